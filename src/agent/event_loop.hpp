// The one sd-event loop. Every periodic job is a named timer source (the name shows in
// sd-event's debug output and in lifeline's own logs); callbacks run to completion and
// never block.
#pragma once

#include <systemd/sd-event.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "lifeline/expected.hpp"
#include "lifeline/hal/clock.hpp"

namespace lifeline {

// Owns one sd_event_source; unref'd (and so removed from the loop) on destruction.
class EventSource {
 public:
  EventSource() = default;
  EventSource(const EventSource&) = delete;
  EventSource& operator=(const EventSource&) = delete;
  EventSource(EventSource&& other) noexcept;
  EventSource& operator=(EventSource&& other) noexcept;
  ~EventSource();

  [[nodiscard]] bool valid() const { return source_ != nullptr; }
  [[nodiscard]] sd_event_source* raw() const { return source_; }
  void reset();

 private:
  friend class EventLoop;
  sd_event_source* source_ = nullptr;
  std::unique_ptr<std::function<void()>> callback_;  // owned, so the userdata outlives it
  std::unique_ptr<std::function<void(std::uint32_t)>> io_callback_;
};

// A repeating timer on CLOCK_MONOTONIC. Deadlines advance by whole periods from the first
// one, so the rate does not drift with callback latency; after a stall it skips ahead.
class PeriodicTimer {
 public:
  PeriodicTimer() = default;
  PeriodicTimer(const PeriodicTimer&) = delete;
  PeriodicTimer& operator=(const PeriodicTimer&) = delete;
  void set_period(std::chrono::microseconds period);
  // Pause and resume keep the source and callback: no allocation (stop path).
  void pause() noexcept;
  void resume_now() noexcept;  // fires as soon as the loop runs, then every period
  [[nodiscard]] bool running() const;
  void stop();
  [[nodiscard]] std::chrono::microseconds period() const { return period_; }
  [[nodiscard]] bool active() const { return source_.valid(); }

 private:
  friend class EventLoop;
  static int on_fire(sd_event_source* source, std::uint64_t usec, void* userdata);
  EventSource source_;
  std::chrono::microseconds period_{0};
  std::uint64_t next_usec_ = 0;
  std::function<void()> callback_;
};

// A one-shot timer prepared once (callback stored, source created disabled) and then
// armed and disarmed any number of times without allocating: the stop path uses it.
class OneshotTimer {
 public:
  OneshotTimer() = default;
  OneshotTimer(const OneshotTimer&) = delete;
  OneshotTimer& operator=(const OneshotTimer&) = delete;
  void arm_after(std::chrono::microseconds delay) noexcept;
  void arm_at(std::uint64_t monotonic_usec) noexcept;
  void disarm() noexcept;
  [[nodiscard]] bool armed() const;
  [[nodiscard]] bool prepared() const { return source_.valid(); }

 private:
  friend class EventLoop;
  static int on_fire(sd_event_source* source, std::uint64_t usec, void* userdata);
  EventSource source_;
  std::function<void()> callback_;
};

class EventLoop {
 public:
  static Expected<std::unique_ptr<EventLoop>> create();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Starts `timer` firing every `period` (first after one period). The timer must outlive
  // the loop's use of it (it is a member of the component that owns the job).
  Status start_periodic(PeriodicTimer& timer, const std::string& name,
                        std::chrono::microseconds period, std::function<void()> callback);
  // Prepares `timer` (disabled); arm it later without allocation.
  Status prepare_oneshot(OneshotTimer& timer, const std::string& name,
                         std::function<void()> callback);
  // One call after `delay`.
  Expected<EventSource> add_oneshot(const std::string& name, std::chrono::microseconds delay,
                                    std::function<void()> callback);
  // Calls back with the epoll revents when `fd` is ready for `events` (EPOLLIN, ...).
  Expected<EventSource> add_io(const std::string& name, int fd, std::uint32_t events,
                               std::function<void(std::uint32_t)> callback);
  // Blocks the signal for the process and delivers it on the loop.
  Expected<EventSource> add_signal(const std::string& name, int signo,
                                   std::function<void()> callback);
  // Sends WATCHDOG=1 to systemd at half its WatchdogSec, if the unit set one.
  void enable_systemd_watchdog();

  int run();
  void exit(int code);
  [[nodiscard]] hal::MonoTime now() const noexcept;  // the loop's cached CLOCK_MONOTONIC
  // CLOCK_REALTIME µs at which the current iteration's wait returned (sd-event stamps each
  // wake-up); 0 before the loop first ran. A callback's own time minus this is how long the
  // loop took to get to it after waking.
  [[nodiscard]] std::int64_t woke_realtime_us() const noexcept;
  [[nodiscard]] sd_event* raw() const { return event_; }

 private:
  explicit EventLoop(sd_event* event) : event_(event) {}
  sd_event* event_;
};

}  // namespace lifeline
