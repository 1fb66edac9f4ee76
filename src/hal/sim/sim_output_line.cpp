#include "hal/sim/sim_output_line.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "util/files.hpp"

namespace lifeline::hal {

Expected<std::unique_ptr<SimOutputLine>> SimOutputLine::open(const std::string& dir,
                                                             const std::string& role,
                                                             const Clock& clock, bool initial) {
  const std::string lines_dir = dir + "/lines";
  if (auto made = make_directories(lines_dir); !made) return made.error();
  std::unique_ptr<SimOutputLine> line(new SimOutputLine(role, clock));
  const std::string value_path = lines_dir + "/" + role;
  line->value_fd_ = ::open(value_path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (line->value_fd_ < 0) return errno_error("open " + value_path);
  const std::string log_path = value_path + ".log";
  line->log_fd_ = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (line->log_fd_ < 0) return errno_error("open " + log_path);
  line->value_ = !initial;  // force the first edge to be written
  if (auto set = line->set(initial); !set) return set.error();
  return line;
}

SimOutputLine::~SimOutputLine() {
  if (value_fd_ >= 0) ::close(value_fd_);
  if (log_fd_ >= 0) ::close(log_fd_);
}

Status SimOutputLine::set(bool active) {
  if (active == value_) return ok_status();
  value_ = active;
  const char* text = active ? "1\n" : "0\n";
  if (::pwrite(value_fd_, text, 2, 0) != 2) return Error{errno, "sim line write failed"};
  char line[48];
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.now().time_since_epoch()).count();
  const int n =
      std::snprintf(line, sizeof line, "%lld %d\n", static_cast<long long>(ns), active ? 1 : 0);
  if (n > 0 && ::write(log_fd_, line, static_cast<std::size_t>(n)) != n) {
    return Error{errno, "sim line log write failed"};
  }
  return ok_status();
}

}  // namespace lifeline::hal
