#include "agent/background_doctor.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace lifeline {

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
      const auto began = std::chrono::steady_clock::now();
      findings_ = doctor::run_doctor(request);
      took_ = std::chrono::duration_cast<std::chrono::microseconds>(
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
  if (done_) done_(findings_, took_);
}

}  // namespace lifeline
