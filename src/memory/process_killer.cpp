#include "memory/process_killer.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "util/files.hpp"
#include "util/fixed_string.hpp"

namespace lifeline::memory {

namespace {

// glibc 2.36 has no wrapper for process_mrelease (Linux 5.15; the same number on every
// architecture since the syscall tables were unified at 424).
#ifdef SYS_process_mrelease
constexpr long kProcessMrelease = SYS_process_mrelease;
#else
constexpr long kProcessMrelease = 448;
#endif

int pidfd_open(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

int pidfd_send_signal(int pidfd, int signal) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0));
}

}  // namespace

ProcessKiller::ProcessKiller(EventLoop& loop, std::function<void(const KillOutcome&)> on_gone)
    : loop_(loop), on_gone_(std::move(on_gone)) {}

ProcessKiller::~ProcessKiller() {
  exit_source_.reset();
  if (pidfd_ >= 0) ::close(pidfd_);
  if (idle_fd_ >= 0) ::close(idle_fd_);
}

// The exit watch is made here, switched off and pointed at an idle eventfd: a kill only
// points it at the victim's pidfd and switches it on, which allocates nothing (a new loop
// source would, between the decision and the signal).
Status ProcessKiller::start() {
  if (auto s = loop_.prepare_oneshot(grace_, "memory-kill-grace", [this] { send_sigkill(); }); !s) {
    return s;
  }
  idle_fd_ = ::eventfd(0, EFD_CLOEXEC);
  if (idle_fd_ < 0) return errno_error("eventfd for the victim's exit watch");
  auto source =
      loop_.add_io("memory-victim-exit", idle_fd_, EPOLLIN, [this](std::uint32_t) { on_exit(); });
  if (!source) return source.error();
  exit_source_ = std::move(*source);
  sd_event_source_set_enabled(exit_source_.raw(), SD_EVENT_OFF);
  return ok_status();
}

Status ProcessKiller::kill(pid_t pid, std::string_view comm, std::chrono::milliseconds grace) {
  if (in_progress()) return Error{EBUSY, "a kill is already in progress"};
  // Nothing here allocates when the kill goes ahead (the kill path's promise); only the
  // errors do.
  const int fd = pidfd_open(pid);
  if (fd < 0) return errno_error("pidfd_open(" + std::to_string(pid) + ")");
  // The pidfd pins this process: if it still has the scanned name, it is the scanned one.
  FixedString<32> path("/proc/");
  path << pid << "/comm";
  std::array<char, 64> text{};
  const auto n = read_into(path.c_str(), text);
  std::string_view name = n ? std::string_view(text.data(), *n) : std::string_view{};
  if (!name.empty() && name.back() == '\n') name.remove_suffix(1);
  if (name != comm) {
    ::close(fd);
    return Error{ESRCH, "PID " + std::to_string(pid) + " is no longer " + std::string(comm) +
                            (name.empty() ? " (gone)" : " (now " + std::string(name) + ")")};
  }
  const int first = grace.count() > 0 ? SIGTERM : SIGKILL;
  if (pidfd_send_signal(fd, first) < 0) {
    const Error error = errno_error("pidfd_send_signal(" + std::to_string(pid) + ")");
    ::close(fd);
    return error;
  }
  // Watch for the exit. Should the watch fail, nobody would see the victim go: SIGKILL it
  // now rather than leave it in a grace nobody ends.
  int rc = sd_event_source_set_io_fd(exit_source_.raw(), fd);
  if (rc >= 0) rc = sd_event_source_set_enabled(exit_source_.raw(), SD_EVENT_ON);
  if (rc < 0) {
    pidfd_send_signal(fd, SIGKILL);
    sd_event_source_set_enabled(exit_source_.raw(), SD_EVENT_OFF);
    sd_event_source_set_io_fd(exit_source_.raw(), idle_fd_);
    ::close(fd);
    return Error{-rc,
                 std::string("signalled, but cannot watch for its exit: ") + std::strerror(-rc)};
  }
  pidfd_ = fd;
  current_ = KillOutcome{};
  current_.pid = pid;
  current_.comm = comm;
  started_ = loop_.now();
  if (first == SIGKILL) {
    current_.sigkilled = true;
    send_sigkill();
  } else {
    grace_.arm_after(grace);
  }
  return ok_status();
}

void ProcessKiller::escalate() {
  if (in_progress() && !current_.sigkilled) send_sigkill();
}

void ProcessKiller::send_sigkill() {
  if (!in_progress()) return;
  grace_.disarm();
  pidfd_send_signal(pidfd_, SIGKILL);  // ESRCH: it is already dead, fine
  current_.sigkilled = true;
  // Reaps the address space now, on our time, instead of waiting for the victim's exit.
  if (::syscall(kProcessMrelease, pidfd_, 0) == 0) {
    current_.mreleased = true;
  } else {
    current_.mrelease_error = std::strerror(errno);
  }
}

void ProcessKiller::on_exit() {
  grace_.disarm();
  current_.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(loop_.now() - started_);
  // Back to idle: off, and off the pidfd before it is closed.
  sd_event_source_set_enabled(exit_source_.raw(), SD_EVENT_OFF);
  sd_event_source_set_io_fd(exit_source_.raw(), idle_fd_);
  ::close(pidfd_);
  pidfd_ = -1;
  on_gone_(current_);
}

}  // namespace lifeline::memory
