#include "motion/stop_path.hpp"

#include <cerrno>

namespace lifeline::motion {

namespace {
std::chrono::microseconds us(std::chrono::milliseconds ms) {
  return std::chrono::duration_cast<std::chrono::microseconds>(ms);
}

// A full output buffer is not a lost link; anything else from the kernel is.
bool link_gone(int err) {
  return err != EAGAIN && err != EWOULDBLOCK && err != EINTR;
}
}  // namespace

StopPath::StopPath(EventLoop& loop, FaultSet& faults, StopPathSettings settings,
                   std::unique_ptr<hal::SerialLink> serial, std::unique_ptr<hal::OutputLine> enable)
    : loop_(loop),
      faults_(faults),
      settings_(std::move(settings)),
      serial_(std::move(serial)),
      enable_(std::move(enable)) {}

Status StopPath::prepare() {
  if (auto s = loop_.start_periodic(repeat_timer_, "motor-stop-repeat", us(settings_.repeat),
                                    [this] { write_frame(settings_.stop_frame); });
      !s) {
    return s;
  }
  if (auto s =
          loop_.prepare_oneshot(cat1_timer_, "motor-cat1-enable-drop", [this] { drop_enable(); });
      !s) {
    return s;
  }
  if (auto s = loop_.prepare_oneshot(reconnect_timer_, "motor-serial-reconnect",
                                     [this] { try_reconnect(); });
      !s) {
    return s;
  }
  if (settings_.keepalive.count() > 0 && !settings_.keepalive_frame.empty()) {
    if (auto s = loop_.start_periodic(keepalive_timer_, "motor-keepalive", us(settings_.keepalive),
                                      [this] { write_frame(settings_.keepalive_frame); });
        !s) {
      return s;
    }
    keepalive_timer_.pause();
  }
  if (serial_ != nullptr) {
    if (auto opened = serial_->open(); !opened) {
      faults_.raise(Fault::motor_serial_down, serial_->describe() + ": " + opened.error().message);
      link_lost_ = true;
      reconnect_backoff_.failed(loop_.now());
      reconnect_timer_.arm_after(us(reconnect_backoff_.wait()));
    }
  }
  stop();  // start stopped: nothing has proved the app healthy yet
  return ok_status();
}

bool StopPath::write_frame(const std::vector<std::uint8_t>& frame) noexcept {
  if (serial_ == nullptr || frame.empty() || link_lost_) return false;
  auto written = serial_->write(frame);
  if (!written) {
    counters_.write_errors += 1;
    if (link_gone(written.error().errno_value)) on_link_lost();
    return false;
  }
  if (&frame == &settings_.stop_frame) counters_.stop_frames_written += 1;
  if (*written < frame.size()) {
    counters_.short_writes += 1;
    return false;
  }
  return true;
}

bool StopPath::drop_enable() noexcept {
  if (enable_ == nullptr) return false;
  auto set = enable_->set(false);
  if (!set && !enable_failed_) {
    enable_failed_ = true;
    faults_.raise(Fault::motor_enable_unavailable,
                  enable_->describe() + ": " + set.error().message);
  }
  return set.ok();
}

void StopPath::stop() noexcept {
  // The order is the point: bytes to the controller first, then the enable line, and
  // only then anything that may allocate (fault records happen in the callers). The
  // stamps are plain clock reads into a member; the record formats them later.
  const bool stamp = !stamped_;
  if (write_frame(settings_.stop_frame) && stamp)
    stamps_.frames_written_us = hal::wall_us(faults_.clock());
  if (settings_.category == 1 && enable_ != nullptr && enable_->get()) {
    cat1_timer_.arm_after(us(settings_.cat1_delay));
  } else if (drop_enable() && stamp) {
    stamps_.enable_low_us = hal::wall_us(faults_.clock());
  }
  stamped_ = true;
  counters_.stops += 1;
  stopped_ = true;
  keepalive_timer_.pause();
  repeat_timer_.resume_now();
}

StopStamps StopPath::take_stamps() noexcept {
  const StopStamps taken = stamps_;
  stamps_ = StopStamps{};
  stamped_ = false;
  return taken;
}

void StopPath::arm() {
  repeat_timer_.pause();
  cat1_timer_.disarm();
  stopped_ = false;
  take_stamps();  // a stop nobody reported is not the next stop's
  write_frame(settings_.arm_frame);
  if (enable_ != nullptr) {
    if (auto set = enable_->set(true); !set) {
      faults_.raise(Fault::motor_enable_unavailable,
                    enable_->describe() + ": " + set.error().message);
    }
  }
  if (keepalive_timer_.active()) keepalive_timer_.resume_now();
}

void StopPath::on_link_lost() noexcept {
  link_lost_ = true;
  serial_->close();
  reconnect_backoff_.reset();
  reconnect_backoff_.failed(loop_.now());
  reconnect_timer_.arm_after(us(reconnect_backoff_.wait()));
}

void StopPath::try_reconnect() {
  if (!faults_.active(Fault::motor_serial_down)) {
    faults_.raise(Fault::motor_serial_down, serial_->describe() + ": link lost, reconnecting");
  }
  if (auto opened = serial_->open(); !opened) {
    reconnect_backoff_.failed(loop_.now());
    reconnect_timer_.arm_after(us(reconnect_backoff_.wait()));
    return;
  }
  link_lost_ = false;
  counters_.reconnects += 1;
  faults_.clear(Fault::motor_serial_down, serial_->describe() + " reconnected");
  // Whatever the controller missed while unplugged, it hears the current state now.
  if (stopped_) {
    write_frame(settings_.stop_frame);
  } else {
    write_frame(settings_.arm_frame);
  }
}

}  // namespace lifeline::motion
