#include "util/files.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

namespace lifeline {

namespace {

Status write_all(int fd, const std::string& content, const std::string& path) {
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("write " + path);
    }
    done += static_cast<std::size_t>(n);
  }
  return ok_status();
}

Status fsync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_error("open directory " + dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return errno_error("fsync directory " + dir);
  return ok_status();
}

}  // namespace

Status write_file_durably(const std::string& path, const std::string& content) {
  const std::string temp = path + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return errno_error("create " + temp);
  if (auto written = write_all(fd, content, temp); !written) {
    ::close(fd);
    return written;
  }
  if (::fsync(fd) != 0) {
    auto error = errno_error("fsync " + temp);
    ::close(fd);
    return error;
  }
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) return errno_error("rename " + temp);
  std::string dir = std::filesystem::path(path).parent_path().string();
  return fsync_directory(dir.empty() ? "." : dir);
}

Expected<std::string> read_small_file(const std::string& path, std::size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error("open " + path);
  std::string content;
  char buffer[4096];
  while (content.size() < max_bytes) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      auto error = errno_error("read " + path);
      ::close(fd);
      return error;
    }
    if (n == 0) break;
    content.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (content.size() > max_bytes) content.resize(max_bytes);
  return content;
}

std::optional<std::size_t> read_into(const char* path, std::span<char> buffer) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::size_t used = 0;
  while (used < buffer.size()) {
    const ssize_t n = ::read(fd, buffer.data() + used, buffer.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return used;
}

Status make_directories(const std::string& path, unsigned mode) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return Error{ec.value(), "create directory " + path + ": " + ec.message()};
  ::chmod(path.c_str(), static_cast<mode_t>(mode));  // best effort: it may pre-exist
  return ok_status();
}

Expected<int> lock_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return errno_error("open " + path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char holder[32] = {};
    (void)!::pread(fd, holder, sizeof holder - 1, 0);
    ::close(fd);
    if (err == EWOULDBLOCK) {
      std::string pid(holder);
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
      return Error{err, "another lifeline (pid " + (pid.empty() ? "?" : pid) + ") holds " + path +
                            ": only one may run per state directory"};
    }
    errno = err;
    return errno_error("lock " + path);
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  (void)!::ftruncate(fd, 0);
  (void)!::pwrite(fd, pid.data(), pid.size(), 0);
  return fd;
}

std::string read_boot_id() {
  auto text = read_small_file("/proc/sys/kernel/random/boot_id", 128);
  if (!text) return {};
  std::string id;
  for (char c : *text) {
    if (c != '-' && c != '\n') id.push_back(c);
  }
  return id;
}

}  // namespace lifeline
