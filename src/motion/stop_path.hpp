// The motor stop path: the only code that moves the motor outputs. Everything it needs
// is opened and built at start (frames pre-encoded, timers prepared, line requested), so
// stop() only writes: no allocation, no formatting, no logging before the bytes are out.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "agent/event_loop.hpp"
#include "agent/safe_state.hpp"
#include "fault/fault_set.hpp"
#include "lifeline/hal/output_line.hpp"
#include "lifeline/hal/serial_link.hpp"
#include "motion/dead_man.hpp"
#include "util/retry_backoff.hpp"

namespace lifeline::motion {

struct StopPathSettings {
  int category = 0;  // IEC 60204-1 stop category 0 or 1
  std::chrono::milliseconds cat1_delay{
      500};                                // category 1: enable dropped this long after the frame
  std::chrono::milliseconds repeat{200};   // the stop frame is resent while stopped
  std::chrono::milliseconds keepalive{0};  // 0: no keepalive frame while armed
  std::vector<std::uint8_t> stop_frame;    // empty: no serial stop (enable line only)
  std::vector<std::uint8_t> arm_frame;     // sets the controller's own timeout; may be empty
  std::vector<std::uint8_t> keepalive_frame;
};

// When a stop reached the outputs, CLOCK_REALTIME µs (0: that output was not moved by the
// stop: no serial link or a failed write, no enable line, or category 1's deferred drop).
// Plain integers taken on the stop path; the record that reports them is built afterwards.
struct StopStamps {
  std::int64_t frames_written_us = 0;  // write() of the stop frame returned, all bytes taken
  std::int64_t enable_low_us = 0;      // the enable line's set(false) returned
};

struct StopPathCounters {
  std::uint64_t stops = 0;
  std::uint64_t stop_frames_written = 0;
  std::uint64_t short_writes = 0;
  std::uint64_t write_errors = 0;
  std::uint64_t reconnects = 0;
};

class StopPath final : public SafeStateParticipant {
 public:
  // `serial` or `enable` may be null (not configured); the other one still stops.
  StopPath(EventLoop& loop, FaultSet& faults, StopPathSettings settings,
           std::unique_ptr<hal::SerialLink> serial, std::unique_ptr<hal::OutputLine> enable);
  // Opens the serial port and prepares the timers; a port that will not open is a fault
  // and is retried with back-off, never a reason not to run.
  Status prepare();

  // Stops now: stop frame first, then the enable line (category 0) or a timer for it
  // (category 1); the frame then repeats while stopped. noexcept and allocation-free.
  void stop() noexcept;
  // Allows motion: enable line on, the controller's timeout frame, keepalives.
  void arm();

  [[nodiscard]] bool stopped() const { return stopped_; }
  [[nodiscard]] bool enable_active() const { return enable_ != nullptr && enable_->get(); }
  [[nodiscard]] bool serial_up() const { return serial_ != nullptr && serial_->is_open(); }
  [[nodiscard]] bool has_serial() const {
    return serial_ != nullptr && !settings_.stop_frame.empty();
  }
  [[nodiscard]] const StopPathCounters& counters() const { return counters_; }
  // The stamps of the first stop() since the last take, and forgets them: a safe state
  // stops twice (enter_safe_state, then the record's stop_now), and the record must
  // report the first, which is when the outputs really moved.
  StopStamps take_stamps() noexcept;

  [[nodiscard]] std::string_view name() const override { return "motor-stop"; }
  void enter_safe_state() noexcept override { stop(); }

 private:
  // True when the whole frame was taken by the link.
  bool write_frame(const std::vector<std::uint8_t>& frame) noexcept;
  // True when the line was set low.
  bool drop_enable() noexcept;
  void on_link_lost() noexcept;
  void try_reconnect();

  EventLoop& loop_;
  FaultSet& faults_;
  StopPathSettings settings_;
  std::unique_ptr<hal::SerialLink> serial_;
  std::unique_ptr<hal::OutputLine> enable_;
  bool stopped_ = true;
  bool link_lost_ = false;
  bool enable_failed_ = false;
  // The serial port's reopen: 100 ms after the loss, doubling to 5 s.
  RetryBackoff reconnect_backoff_{std::chrono::milliseconds(100), std::chrono::seconds(5)};
  PeriodicTimer repeat_timer_;
  PeriodicTimer keepalive_timer_;
  OneshotTimer cat1_timer_;
  OneshotTimer reconnect_timer_;
  StopPathCounters counters_;
  StopStamps stamps_;
  bool stamped_ = false;  // stamps_ hold a stop not yet taken
};

}  // namespace lifeline::motion
