#include "blackbox/store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <utility>
#include <vector>

#include "blackbox/reader.hpp"
#include "util/files.hpp"

namespace lifeline::blackbox {

namespace {

Expected<std::vector<std::uint8_t>> read_whole(int fd, const std::string& path) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) return errno_error("cannot stat black box segment " + path);
  const auto size = static_cast<std::uint64_t>(info.st_size);
  if (size > kMaxSegmentFileBytes) {
    return Error{EFBIG, "black box segment " + path + " is " + std::to_string(size) +
                            " bytes, far larger than the store writes; move it away"};
  }
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n =
        ::pread(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("cannot read black box segment " + path);
    if (n == 0) break;  // shrank meanwhile; scan what there is
    done += static_cast<std::size_t>(n);
  }
  bytes.resize(done);
  return bytes;
}

std::optional<std::uint64_t> highest_seq(const std::vector<Record>& records) {
  std::optional<std::uint64_t> highest;
  for (const Record& record : records) highest = std::max(highest.value_or(0), record.seq);
  return highest;
}

}  // namespace

Store::Store(std::string dir, StoreLimits limits, int dir_fd)
    : dir_(std::move(dir)), limits_(limits), dir_fd_(dir_fd) {
  frame_.reserve(kMaxFrameBytes);
}

Store::~Store() {
  if (fd_ >= 0) ::close(fd_);
  if (dir_fd_ >= 0) ::close(dir_fd_);  // also releases the lock
}

Expected<std::unique_ptr<Store>> Store::open(const std::string& dir, StoreLimits limits) {
  if (limits.segment_bytes < kMinSegmentBytes || limits.segments < kMinSegments) {
    return Error{EINVAL, "black box limits too small: segment_bytes " +
                             std::to_string(limits.segment_bytes) + " (minimum " +
                             std::to_string(kMinSegmentBytes) + "), segments " +
                             std::to_string(limits.segments) + " (minimum " +
                             std::to_string(kMinSegments) + ")"};
  }
  if (auto made = make_directories(dir, 0750); !made) return made.error();
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return errno_error("cannot open black box directory " + dir);
  std::unique_ptr<Store> store(new Store(dir, limits, dir_fd));
  // Two writers would interleave frames and reuse seqs.
  if (::flock(dir_fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Error{EWOULDBLOCK, "black box directory " + dir + " is in use by another process"};
    }
    return errno_error("cannot lock black box directory " + dir);
  }

  auto segments = list_segments(dir);
  if (!segments) return segments.error();
  std::optional<Error> housekeeping;
  if (segments->empty()) {
    if (auto started = store->start_segment(housekeeping); !started) return started.error();
  } else if (auto recovered = store->recover(*segments); !recovered) {
    return recovered.error();
  }
  if (!housekeeping) housekeeping = store->remove_old_segments();
  if (housekeeping) return *housekeeping;
  return store;
}

Status Store::recover(const std::vector<SegmentFile>& segments) {
  const SegmentFile& newest = segments.back();
  const int fd = ::open(newest.path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  if (fd < 0) return errno_error("cannot open black box segment " + newest.path);
  fd_ = fd;
  path_ = newest.path;
  auto bytes = read_whole(fd, newest.path);
  if (!bytes) return bytes.error();

  const SegmentScan scan = scan_segment(*bytes);
  if (scan.valid_end < bytes->size()) {
    // Appending after a torn frame would bury every later record behind it.
    if (::ftruncate(fd, static_cast<off_t>(scan.valid_end)) != 0 || ::fdatasync(fd) != 0) {
      return errno_error("cannot cut the damaged tail off black box segment " + newest.path);
    }
    recovered_tail_bytes_ = bytes->size() - scan.valid_end;
  }
  size_ = scan.valid_end;

  // An empty newest segment (created just before a crash) leaves the seq to older ones.
  std::optional<std::uint64_t> highest = highest_seq(scan.result.records);
  for (auto older = segments.rbegin() + 1; !highest && older != segments.rend(); ++older) {
    auto content = read_small_file(older->path, kMaxSegmentFileBytes);
    if (!content) return content.error();
    highest =
        highest_seq(read_segment_bytes(std::span<const std::uint8_t>(
                                           reinterpret_cast<const std::uint8_t*>(content->data()),
                                           content->size()))
                        .records);
  }
  next_seq_ = std::max({highest.value_or(0) + 1, newest.first_seq, std::uint64_t{1}});
  return ok_status();
}

Status Store::start_segment(std::optional<Error>& housekeeping) {
  if (fd_ >= 0) {
    // Records in closed segments are all durable; only the open one can lose a tail.
    if (::fdatasync(fd_) != 0) housekeeping = errno_error("cannot sync black box segment " + path_);
    ::close(fd_);
    fd_ = -1;
  }
  const std::string path = dir_ + "/" + segment_file_name(next_seq_);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return errno_error("cannot create black box segment " + path);
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    auto error = errno_error("cannot stat black box segment " + path);
    ::close(fd);
    return error;
  }
  fd_ = fd;
  path_ = path;
  size_ = static_cast<std::uint64_t>(info.st_size);
  // The new name must be durable before records in it are reported durable.
  if (auto synced = sync_dir(); !synced && !housekeeping) housekeeping = synced.error();
  if (auto removed = remove_old_segments(); removed && !housekeeping) housekeeping = removed;
  return ok_status();
}

std::optional<Error> Store::remove_old_segments() {
  auto segments = list_segments(dir_);
  if (!segments) return segments.error();
  bool removed_any = false;
  for (std::size_t i = 0; i + limits_.segments < segments->size(); ++i) {
    const std::string& path = (*segments)[i].path;
    if (path == path_) break;  // never the one being written, whatever the names say
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return errno_error("cannot delete old black box segment " + path);
    }
    removed_any = true;
  }
  if (removed_any) {
    if (auto synced = sync_dir(); !synced) return synced.error();
  }
  return std::nullopt;
}

Status Store::sync_dir() {
  if (::fsync(dir_fd_) != 0) return errno_error("cannot sync black box directory " + dir_);
  return ok_status();
}

Status Store::write_frame(std::span<const std::uint8_t> frame) {
  std::size_t done = 0;
  while (done < frame.size()) {
    const ssize_t n = ::write(fd_, frame.data() + done, frame.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = ENOSPC;
      auto error = errno_error("cannot write black box segment " + path_);
      // Leave no partial frame behind: the reader would skip it, but it is noise.
      if (done > 0) (void)::ftruncate(fd_, static_cast<off_t>(size_));
      return error;
    }
    done += static_cast<std::size_t>(n);
  }
  return ok_status();
}

Expected<std::uint64_t> Store::append(Record record, bool durable) {
  record.seq = next_seq_;
  encode_frame(record, frame_);  // into the frame buffer made once: no allocation
  return append_frame(frame_, durable);
}

Expected<std::uint64_t> Store::append(const KeptRecord& record, bool durable) {
  // The slot stays the caller's; only the frame carries the seq.
  Stamp stamp = record.stamp;
  stamp.seq = next_seq_;
  encode_frame(stamp, record.event, frame_);
  return append_frame(frame_, durable);
}

Expected<std::uint64_t> Store::append_frame(std::span<const std::uint8_t> frame, bool durable) {
  const std::uint64_t seq = next_seq_;
  std::optional<Error> housekeeping;
  if (fd_ < 0 || (size_ > 0 && size_ + frame.size() > limits_.segment_bytes)) {
    // Rare (once per segment), and the one place a kept append allocates.
    if (auto started = start_segment(housekeeping); !started) return started.error();
  }
  if (auto written = write_frame(frame); !written) return written.error();
  size_ += frame.size();
  ++next_seq_;
  if (durable && ::fdatasync(fd_) != 0) {
    return errno_error("cannot sync black box segment " + path_);
  }
  if (housekeeping) return *housekeeping;
  return seq;
}

Status Store::sync() {
  if (fd_ >= 0 && ::fdatasync(fd_) != 0) {
    return errno_error("cannot sync black box segment " + path_);
  }
  return ok_status();
}

}  // namespace lifeline::blackbox
