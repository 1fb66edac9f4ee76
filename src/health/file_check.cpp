#include "health/file_check.hpp"

#include <sys/stat.h>

#include "health/health_checks.hpp"

namespace lifeline {

Status FileCheck::start(EventLoop& loop) {
  loop_ = &loop;
  // Stale after three missed probes: the probe itself stopping is also a failure.
  check_ =
      gate_.add_check(config_.name, std::max(config_.max_age, 3 * config_.interval), loop.now());
  probe();
  return loop.start_periodic(
      timer_, "health-file:" + config_.name,
      std::chrono::duration_cast<std::chrono::microseconds>(config_.interval), [this] { probe(); });
}

void FileCheck::stop() {
  timer_.stop();
  if (check_) gate_.remove_check(*check_);
  check_.reset();
}

void FileCheck::probe() {
  struct stat info {};
  std::optional<std::chrono::milliseconds> age;
  if (::stat(config_.path.c_str(), &info) == 0) {
    const auto mtime = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::seconds(info.st_mtim.tv_sec) +
            std::chrono::nanoseconds(info.st_mtim.tv_nsec)));
    age = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now() -
                                                                mtime);
  }
  const CheckResult result = judge_file_age(age, config_.max_age);
  gate_.report(*check_, result.passing, loop_->now(),
               result.passing ? std::string() : config_.path + ": " + result.detail);
}

}  // namespace lifeline
