#include "motion/app_process.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <filesystem>

#include "util/files.hpp"
#include "util/realtime.hpp"

namespace lifeline::motion {

std::optional<pid_t> parse_pidfile(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  pid_t pid = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), pid);
  if (error != std::errc() || end != text.data() + text.size() || pid <= 1) return std::nullopt;
  return pid;
}

namespace {
// A zombie still answers kill(pid, 0) until its parent reaps it, but it is dead.
bool is_running(pid_t pid) {
  auto stat = read_small_file("/proc/" + std::to_string(pid) + "/stat", 512);
  if (!stat) return false;
  const auto close = stat->rfind(')');
  if (close == std::string::npos || close + 2 >= stat->size()) return false;
  const char state = (*stat)[close + 2];
  return state != 'Z' && state != 'X' && state != 'x';
}
}  // namespace

AppProcessMonitor::AppProcessMonitor(EventLoop& loop, AppConfig config,
                                     std::function<void(const ProcessEvent&)> on_event)
    : loop_(loop), config_(std::move(config)), on_event_(std::move(on_event)) {}

AppProcessMonitor::~AppProcessMonitor() {
  stop();
}

Status AppProcessMonitor::start(EventLoop& /*loop*/) {
  // With only a unit configured the PIDs come from systemd (watch_pid): no timer, no wake-ups.
  if (config_.pidfile.empty() && config_.exe.empty()) return ok_status();
  if (auto s = loop_.start_periodic(
          resolve_timer_, "app-resolve",
          std::chrono::duration_cast<std::chrono::microseconds>(config_.resolve_interval),
          [this] { resolve(); });
      !s) {
    return s;
  }
  resolve();
  return ok_status();
}

void AppProcessMonitor::stop() {
  resolve_timer_.stop();
  pidfd_source_.reset();
  retired_.clear();
  if (pidfd_ >= 0) ::close(pidfd_);
  pidfd_ = -1;
  pid_.reset();
}

std::optional<pid_t> AppProcessMonitor::find_candidate() const {
  namespace fs = std::filesystem;
  auto exe_matches = [&](pid_t pid) {
    if (config_.exe.empty()) return true;
    std::error_code ec;
    auto exe = fs::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec);
    return !ec && exe == config_.exe;
  };
  if (!config_.pidfile.empty()) {
    auto text = read_small_file(config_.pidfile, 64);
    if (!text) return std::nullopt;
    auto pid = parse_pidfile(*text);
    if (!pid || !is_running(*pid) || !exe_matches(*pid)) return std::nullopt;
    return pid;
  }
  if (!config_.exe.empty()) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
      const std::string name = entry.path().filename().string();
      pid_t pid = 0;
      auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), pid);
      if (error != std::errc() || end != name.data() + name.size()) continue;
      if (exe_matches(pid) && is_running(pid)) return pid;
    }
  }
  return std::nullopt;
}

void AppProcessMonitor::resolve() {
  retired_.clear();
  if (pid_) {
    resolve_timer_.pause();
    return;
  }
  if (auto pid = find_candidate()) {
    watch_pid(*pid, config_.pidfile.empty() ? "exe " + config_.exe : "pidfile " + config_.pidfile);
  }
}

void AppProcessMonitor::watch_pid(pid_t pid, const std::string& how) {
  if (pid_ == pid) return;
  if (pidfd_ >= 0) {
    if (pidfd_source_.valid()) {
      sd_event_source_set_enabled(pidfd_source_.raw(), SD_EVENT_OFF);
      retired_.push_back(std::move(pidfd_source_));
    }
    ::close(pidfd_);
    pidfd_ = -1;
  }
  // glibc 2.36's <sys/pidfd.h> lacks C linkage for C++, so call the syscall directly.
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return;  // gone already: the next resolve finds its successor
  auto source = loop_.add_io("app-pidfd", fd, EPOLLIN, [this](std::uint32_t) { on_exit(); });
  if (!source) {
    ::close(fd);
    return;
  }
  // sd-event runs one ready source per iteration, the highest priority first: a dead app
  // (the motor stop) goes before whatever else became ready in the same wake-up.
  sd_event_source_set_priority(source->raw(), SD_EVENT_PRIORITY_IMPORTANT);
  pidfd_ = fd;
  pidfd_source_ = std::move(*source);
  pid_ = pid;
  resolve_timer_.pause();
  on_event_(ProcessEvent{ProcessEvent::Kind::started, pid, "found via " + how});
}

void AppProcessMonitor::on_exit() {
  const std::int64_t detected_us = realtime_now_us();  // first: when lifeline learned of it
  const pid_t pid = pid_.value_or(0);
  // Inside the pidfd source's own callback: park it, close the fd, report.
  sd_event_source_set_enabled(pidfd_source_.raw(), SD_EVENT_OFF);
  retired_.push_back(std::move(pidfd_source_));
  ::close(pidfd_);
  pidfd_ = -1;
  pid_.reset();
  on_event_(ProcessEvent{ProcessEvent::Kind::exited, pid, "process exited", detected_us,
                         loop_.woke_realtime_us()});
  resolve_timer_.resume_now();
}

}  // namespace lifeline::motion
