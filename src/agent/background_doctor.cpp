#include "agent/background_doctor.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <systemd/sd-event.h>

#include <nlohmann/json.hpp>

namespace lifeline {
namespace {

// Low enough never to compete with the robot's app, not so low that a busy robot starves it
// past its time limit (nice 19 has 1.5 % of a nice-0 task's weight, nice 10 about 10 %).
constexpr int kDoctorNice = 10;
constexpr std::size_t kMaxOutput = 1 << 20;  // a report is tens of KiB

// Starts this binary as the doctor with posix_spawn, not fork: glibc spawns with
// CLONE_VM|CLONE_VFORK, so the agent's pages are never shared copy-on-write with a child.
// After a fork every page the agent then writes takes a write-protect fault once, and the
// memory guard's first kill took 11 of them on its rehearsed buffers (the relief benchmark,
// which read no new resident page in any mapping). Returns the child's PID, or an errno.
Expected<pid_t> spawn_doctor(int out_fd, char* const argv[]) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  // Nothing of the agent's (the watchdog, the motor port, sockets) may stay open in it.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);  // the loop's blocked signals are the agent's
  // Never compete with the robot's app or the agent's loop (which may be SCHED_FIFO).
  const sched_param normal{};
  posix_spawnattr_setschedpolicy(&attr, SCHED_OTHER);
  posix_spawnattr_setschedparam(&attr, &normal);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSCHEDULER);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, "/proc/self/exe", &actions, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return Error{rc, std::string("doctor: posix_spawn: ") + std::strerror(rc)};
  // posix_spawn has no nice: set on the child as soon as it exists (it may have run a few
  // microseconds at the agent's).
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(pid), kDoctorNice);
  return pid;
}

// Off, but kept until the destructor: a source is never freed inside its own callback.
void switch_off(EventSource& source) {
  if (source.valid()) sd_event_source_set_enabled(source.raw(), SD_EVENT_OFF);
}

}  // namespace

BackgroundDoctor::~BackgroundDoctor() {
  out_source_.reset();
  exit_source_.reset();
  timeout_source_.reset();
  if (child_ > 0) {
    kill_child();
    int status = 0;
    ::waitpid(child_, &status, 0);  // killed: it ends at once
  }
  if (pidfd_ >= 0) ::close(pidfd_);
  if (out_fd_ >= 0) ::close(out_fd_);
}

Status BackgroundDoctor::start(EventLoop& loop, const DoctorChildRequest& request, Done done) {
  std::vector<std::string> args = {"lifeline", "doctor", "--json", "--config", request.config_path};
  if (!request.app_unit.empty()) {
    args.emplace_back("--app-unit");
    args.push_back(request.app_unit);
  }
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return errno_error("doctor: pipe");
  const auto spawned = spawn_doctor(pipe_fds[1], argv.data());
  ::close(pipe_fds[1]);
  if (!spawned) {
    ::close(pipe_fds[0]);
    return spawned.error();
  }
  const pid_t pid = *spawned;
  child_ = pid;
  out_fd_ = pipe_fds[0];
  began_ = std::chrono::steady_clock::now();
  done_ = std::move(done);
  ::fcntl(out_fd_, F_SETFL, ::fcntl(out_fd_, F_GETFL) | O_NONBLOCK);
  // Not reaped yet, so the PID cannot have been reused.
  pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd_ < 0) {
    const Error error = errno_error("doctor: pidfd_open");
    kill_child();  // and the destructor reaps it
    return error;
  }
  auto out = loop.add_io("doctor-output", out_fd_, EPOLLIN, [this](std::uint32_t) { on_output(); });
  auto exited = loop.add_io("doctor-exit", pidfd_, EPOLLIN, [this](std::uint32_t) { on_exit(); });
  auto timeout = loop.add_oneshot("doctor-timeout", request.timeout, [this] {
    error_ = "no report within the time limit: killed";
    kill_child();
  });
  if (!out || !exited || !timeout) {
    kill_child();  // and the destructor reaps it
    return !out ? out.error() : !exited ? exited.error() : timeout.error();
  }
  out_source_ = std::move(*out);
  exit_source_ = std::move(*exited);
  timeout_source_ = std::move(*timeout);
  return ok_status();
}

void BackgroundDoctor::on_output() {
  char buffer[16384];
  for (;;) {
    const ssize_t n = ::read(out_fd_, buffer, sizeof buffer);
    if (n > 0) {
      if (output_.size() + static_cast<std::size_t>(n) > kMaxOutput) {
        error_ = "its report is larger than 1 MiB: killed";
        kill_child();
        switch_off(out_source_);
        return;
      }
      output_.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) switch_off(out_source_);  // the end; its exit comes through the pidfd
    return;                               // EAGAIN: more later
  }
}

void BackgroundDoctor::on_exit() {
  on_output();  // what is left in the pipe
  siginfo_t info{};
  if (::waitid(P_PIDFD, static_cast<id_t>(pidfd_), &info, WEXITED | WNOHANG) != 0 ||
      info.si_pid == 0) {
    return;  // not yet reapable: the pidfd stays readable, so this comes again
  }
  child_ = -1;
  DoctorResult result;
  result.took = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - began_);
  const nlohmann::json report = nlohmann::json::parse(output_, nullptr, false);
  auto findings = doctor::findings_from_json(report);
  if (findings) {
    result.findings = std::move(*findings);
    result.priority = report.value("priority", "");
  } else if (!error_.empty()) {
    result.error = error_;
  } else if (info.si_code == CLD_EXITED && info.si_status == 127) {
    result.error = "could not run /proc/self/exe doctor";
  } else {
    result.error = "no report (" +
                   (info.si_code == CLD_EXITED ? "exit " + std::to_string(info.si_status)
                                               : "signal " + std::to_string(info.si_status)) +
                   ", " + std::to_string(output_.size()) + " bytes of output)";
  }
  finish(result);
}

void BackgroundDoctor::kill_child() const {
  if (pidfd_ >= 0) {
    ::syscall(SYS_pidfd_send_signal, pidfd_, SIGKILL, nullptr, 0);
  } else if (child_ > 0) {
    ::kill(child_, SIGKILL);  // the child we forked, not yet reaped: its PID is ours
  }
}

void BackgroundDoctor::finish(const DoctorResult& result) {
  switch_off(out_source_);
  switch_off(exit_source_);
  switch_off(timeout_source_);
  output_.clear();
  output_.shrink_to_fit();
  if (done_) done_(result);
}

}  // namespace lifeline
