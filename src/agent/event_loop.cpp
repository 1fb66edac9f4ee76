#include "agent/event_loop.hpp"

#include <csignal>
#include <cstring>
#include <utility>

namespace lifeline {

namespace {

Error sd_error(const std::string& what, int negative_errno) {
  return Error{-negative_errno, what + ": " + std::strerror(-negative_errno)};  // NOLINT
}

std::uint64_t now_usec(sd_event* event) {
  std::uint64_t usec = 0;
  sd_event_now(event, CLOCK_MONOTONIC, &usec);
  return usec;
}

int on_plain_callback(sd_event_source* /*source*/, void* userdata) {
  (*static_cast<std::function<void()>*>(userdata))();
  return 0;
}

int on_time_callback(sd_event_source* source, std::uint64_t /*usec*/, void* userdata) {
  return on_plain_callback(source, userdata);
}

int on_signal_callback(sd_event_source* source, const signalfd_siginfo* /*info*/, void* userdata) {
  return on_plain_callback(source, userdata);
}

int on_io_callback(sd_event_source* /*source*/, int /*fd*/, std::uint32_t revents, void* userdata) {
  (*static_cast<std::function<void(std::uint32_t)>*>(userdata))(revents);
  return 0;
}

// Timers are allowed to coalesce by at most this much: petting and blink codes need
// millisecond timing, and on an idle box the wake-ups are few anyway.
constexpr std::uint64_t kTimerAccuracyUsec = 1000;

}  // namespace

EventSource::EventSource(EventSource&& other) noexcept
    : source_(std::exchange(other.source_, nullptr)),
      callback_(std::move(other.callback_)),
      io_callback_(std::move(other.io_callback_)) {}

EventSource& EventSource::operator=(EventSource&& other) noexcept {
  if (this != &other) {
    reset();
    source_ = std::exchange(other.source_, nullptr);
    callback_ = std::move(other.callback_);
    io_callback_ = std::move(other.io_callback_);
  }
  return *this;
}

EventSource::~EventSource() {
  reset();
}

void EventSource::reset() {
  if (source_ != nullptr) {
    sd_event_source_disable_unref(source_);
    source_ = nullptr;
  }
  callback_.reset();
  io_callback_.reset();
}

void PeriodicTimer::set_period(std::chrono::microseconds period) {
  period_ = period;
  if (!source_.valid()) return;
  sd_event* event = sd_event_source_get_event(source_.raw());
  next_usec_ = now_usec(event) + static_cast<std::uint64_t>(period_.count());
  sd_event_source_set_time(source_.raw(), next_usec_);
}

void PeriodicTimer::stop() {
  source_.reset();
}

void PeriodicTimer::pause() noexcept {
  if (source_.valid()) sd_event_source_set_enabled(source_.raw(), SD_EVENT_OFF);
}

void PeriodicTimer::resume_now() noexcept {
  if (!source_.valid()) return;
  sd_event* event = sd_event_source_get_event(source_.raw());
  next_usec_ = now_usec(event);
  sd_event_source_set_time(source_.raw(), next_usec_);
  sd_event_source_set_enabled(source_.raw(), SD_EVENT_ONESHOT);
}

bool PeriodicTimer::running() const {
  int enabled = SD_EVENT_OFF;
  if (source_.valid()) sd_event_source_get_enabled(source_.raw(), &enabled);
  return enabled != SD_EVENT_OFF;
}

void OneshotTimer::arm_after(std::chrono::microseconds delay) noexcept {
  if (!source_.valid()) return;
  sd_event* event = sd_event_source_get_event(source_.raw());
  arm_at(now_usec(event) + static_cast<std::uint64_t>(delay.count()));
}

void OneshotTimer::arm_at(std::uint64_t monotonic_usec) noexcept {
  if (!source_.valid()) return;
  sd_event_source_set_time(source_.raw(), monotonic_usec);
  sd_event_source_set_enabled(source_.raw(), SD_EVENT_ONESHOT);
}

void OneshotTimer::disarm() noexcept {
  if (source_.valid()) sd_event_source_set_enabled(source_.raw(), SD_EVENT_OFF);
}

bool OneshotTimer::armed() const {
  int enabled = SD_EVENT_OFF;
  if (source_.valid()) sd_event_source_get_enabled(source_.raw(), &enabled);
  return enabled != SD_EVENT_OFF;
}

int OneshotTimer::on_fire(sd_event_source* /*source*/, std::uint64_t /*usec*/, void* userdata) {
  static_cast<OneshotTimer*>(userdata)->callback_();
  return 0;
}

int PeriodicTimer::on_fire(sd_event_source* source, std::uint64_t usec, void* userdata) {
  auto* timer = static_cast<PeriodicTimer*>(userdata);
  const auto period = static_cast<std::uint64_t>(timer->period_.count());
  timer->next_usec_ += period;
  if (timer->next_usec_ <= usec) timer->next_usec_ = usec + period;  // stalled: skip ahead
  sd_event_source_set_time(source, timer->next_usec_);
  sd_event_source_set_enabled(source, SD_EVENT_ON);
  timer->callback_();  // may stop() the timer: nothing touches it after this
  return 0;
}

Expected<std::unique_ptr<EventLoop>> EventLoop::create() {
  sd_event* event = nullptr;
  if (int rc = sd_event_new(&event); rc < 0) return sd_error("sd_event_new", rc);
  return std::unique_ptr<EventLoop>(new EventLoop(event));
}

EventLoop::~EventLoop() {
  sd_event_unref(event_);
}

Status EventLoop::start_periodic(PeriodicTimer& timer, const std::string& name,
                                 std::chrono::microseconds period, std::function<void()> callback) {
  timer.source_.reset();
  timer.period_ = period;
  timer.callback_ = std::move(callback);
  timer.next_usec_ = now_usec(event_) + static_cast<std::uint64_t>(period.count());
  sd_event_source* source = nullptr;
  int rc = sd_event_add_time(event_, &source, CLOCK_MONOTONIC, timer.next_usec_, kTimerAccuracyUsec,
                             &PeriodicTimer::on_fire, &timer);
  if (rc < 0) return sd_error("add timer " + name, rc);
  sd_event_source_set_description(source, name.c_str());
  sd_event_source_set_enabled(source, SD_EVENT_ON);
  timer.source_.source_ = source;
  return ok_status();
}

Status EventLoop::prepare_oneshot(OneshotTimer& timer, const std::string& name,
                                  std::function<void()> callback) {
  timer.source_.reset();
  timer.callback_ = std::move(callback);
  sd_event_source* source = nullptr;
  int rc = sd_event_add_time(event_, &source, CLOCK_MONOTONIC, UINT64_MAX, kTimerAccuracyUsec,
                             &OneshotTimer::on_fire, &timer);
  if (rc < 0) return sd_error("add timer " + name, rc);
  sd_event_source_set_description(source, name.c_str());
  sd_event_source_set_enabled(source, SD_EVENT_OFF);
  timer.source_.source_ = source;
  return ok_status();
}

Expected<EventSource> EventLoop::add_oneshot(const std::string& name,
                                             std::chrono::microseconds delay,
                                             std::function<void()> callback) {
  EventSource handle;
  handle.callback_ = std::make_unique<std::function<void()>>(std::move(callback));
  int rc = sd_event_add_time_relative(event_, &handle.source_, CLOCK_MONOTONIC,
                                      static_cast<std::uint64_t>(delay.count()), kTimerAccuracyUsec,
                                      on_time_callback, handle.callback_.get());
  if (rc < 0) return sd_error("add timer " + name, rc);
  sd_event_source_set_description(handle.source_, name.c_str());
  return handle;
}

Expected<EventSource> EventLoop::add_io(const std::string& name, int fd, std::uint32_t events,
                                        std::function<void(std::uint32_t)> callback) {
  EventSource handle;
  handle.io_callback_ = std::make_unique<std::function<void(std::uint32_t)>>(std::move(callback));
  int rc = sd_event_add_io(event_, &handle.source_, fd, events, on_io_callback,
                           handle.io_callback_.get());
  if (rc < 0) return sd_error("add io " + name, rc);
  sd_event_source_set_description(handle.source_, name.c_str());
  return handle;
}

Expected<EventSource> EventLoop::add_signal(const std::string& name, int signo,
                                            std::function<void()> callback) {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, signo);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  EventSource handle;
  handle.callback_ = std::make_unique<std::function<void()>>(std::move(callback));
  int rc = sd_event_add_signal(event_, &handle.source_, signo, on_signal_callback,
                               handle.callback_.get());
  if (rc < 0) return sd_error("add signal " + name, rc);
  sd_event_source_set_description(handle.source_, name.c_str());
  return handle;
}

void EventLoop::enable_systemd_watchdog() {
  sd_event_set_watchdog(event_, 1);
}

int EventLoop::run() {
  return sd_event_loop(event_);
}

void EventLoop::exit(int code) {
  sd_event_exit(event_, code);
}

hal::MonoTime EventLoop::now() const noexcept {
  return hal::MonoTime(std::chrono::microseconds(now_usec(event_)));
}

std::int64_t EventLoop::woke_realtime_us() const noexcept {
  std::uint64_t usec = 0;
  if (sd_event_now(event_, CLOCK_REALTIME, &usec) != 0) return 0;  // > 0: no wake-up yet
  return static_cast<std::int64_t>(usec);
}

}  // namespace lifeline
