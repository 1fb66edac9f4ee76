#include "agent/background_doctor.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace lifeline {
namespace {

constexpr int kDoctorNice = 19;

std::string current_priority() {
  const int policy = ::sched_getscheduler(0);
  if (policy != SCHED_OTHER) {
    sched_param param{};
    (void)::sched_getparam(0, &param);
    return (policy == SCHED_FIFO ? "SCHED_FIFO " : "policy " + std::to_string(policy) + " ") +
           std::to_string(param.sched_priority);
  }
  errno = 0;
  const int nice = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
  return "SCHED_OTHER nice " + std::to_string(nice);
}

}  // namespace

BackgroundDoctor::~BackgroundDoctor() {
  if (worker_.joinable()) worker_.join();
  wake_source_.reset();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

Status BackgroundDoctor::start(EventLoop& loop, doctor::DoctorRequest request, Done done) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) return errno_error("doctor: eventfd");
  auto source = loop.add_io("doctor-at-start", wake_fd_, EPOLLIN,
                            [this](std::uint32_t /*events*/) { finished(); });
  if (!source) return source.error();
  wake_source_ = std::move(*source);
  done_ = std::move(done);
  try {
    worker_ = std::thread([this, request = std::move(request)] {
      // An audit must never compete with the robot's app or lifeline's own loop. A thread
      // inherits its creator's policy, and the loop may be SCHED_FIFO: back to a normal
      // thread first, then the lowest normal priority (raising one's own nice value needs
      // no privilege; failing to is harmless).
      const sched_param normal{};
      (void)::pthread_setschedparam(::pthread_self(), SCHED_OTHER, &normal);
      (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kDoctorNice);
      result_.priority = current_priority();
      const auto began = std::chrono::steady_clock::now();
      result_.findings = doctor::run_doctor(request);
      result_.took = std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - began);
      const std::uint64_t one = 1;
      (void)!::write(wake_fd_, &one, sizeof one);  // the worker's last act: the loop joins it
    });
  } catch (const std::system_error& e) {
    wake_source_.reset();
    return Error{e.code().value(), std::string("doctor: no worker thread: ") + e.what()};
  }
  return ok_status();
}

void BackgroundDoctor::finished() {
  std::uint64_t count = 0;
  (void)!::read(wake_fd_, &count, sizeof count);
  worker_.join();  // returns at once: waking us was the worker's last act
  wake_source_.reset();
  if (done_) done_(result_);
}

}  // namespace lifeline
