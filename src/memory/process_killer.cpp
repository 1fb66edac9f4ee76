#include "memory/process_killer.hpp"

#include <sys/epoll.h>
#include <sys/syscall.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "util/files.hpp"

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
}

Status ProcessKiller::start() {
  return loop_.prepare_oneshot(grace_, "memory-kill-grace", [this] { send_sigkill(); });
}

Status ProcessKiller::kill(pid_t pid, const std::string& comm, std::chrono::milliseconds grace) {
  if (in_progress()) return Error{EBUSY, "a kill is already in progress"};
  const int fd = pidfd_open(pid);
  if (fd < 0) return errno_error("pidfd_open(" + std::to_string(pid) + ")");
  // The pidfd pins this process: if it still has the scanned name, it is the scanned one.
  auto now_comm = read_small_file("/proc/" + std::to_string(pid) + "/comm", 64);
  std::string name = now_comm ? *now_comm : std::string{};
  if (!name.empty() && name.back() == '\n') name.pop_back();
  if (name != comm) {
    ::close(fd);
    return Error{ESRCH, "PID " + std::to_string(pid) + " is no longer " + comm +
                            (name.empty() ? " (gone)" : " (now " + name + ")")};
  }
  auto source =
      loop_.add_io("memory-victim-exit", fd, EPOLLIN, [this](std::uint32_t) { on_exit(); });
  if (!source) {
    ::close(fd);
    return source.error();
  }
  const int first = grace.count() > 0 ? SIGTERM : SIGKILL;
  if (pidfd_send_signal(fd, first) < 0) {
    const Error error = errno_error("pidfd_send_signal(" + std::to_string(pid) + ")");
    source->reset();
    ::close(fd);
    return error;
  }
  pidfd_ = fd;
  exit_source_.reset();  // the previous victim's, switched off when it exited
  exit_source_ = std::move(*source);
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
  // Inside the source's own callback: switch it off now, free it at the next kill.
  if (exit_source_.valid()) sd_event_source_set_enabled(exit_source_.raw(), SD_EVENT_OFF);
  ::close(pidfd_);
  pidfd_ = -1;
  on_gone_(current_);
}

}  // namespace lifeline::memory
