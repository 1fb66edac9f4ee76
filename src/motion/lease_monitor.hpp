// The heartbeat lease ("no heartbeat, no motion"): the control app renews a lease by
// datagram on a unix socket; a lease not renewed within `timeout` means the app died or
// hung, and lifeline stops the motors. This monitor only observes and reports: what to do
// with an expiry (and when motion may resume) is the caller's, see docs/safety.md.
//
// Per beat the work is one recvmsg, a parse and one sd_event_source_set_time: no
// allocation for lease names of up to 15 bytes (they fit std::string's inline buffer), no
// polling, no timer created or destroyed.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "agent/event_loop.hpp"
#include "agent/monitor.hpp"
#include "motion/lease_policy.hpp"
#include "motion/lease_wire.hpp"
#include "motion/motion_config.hpp"

namespace lifeline {

struct LeaseEvent {
  enum class Kind {
    renewed_first,  // not alive -> alive: the first beat after start, or after an expiry
    expired,        // alive -> not alive: once per lapse
    rejected,       // a datagram was refused; at most one report a second (all are counted)
  };
  Kind kind;
  std::string detail;     // one line for a person; never contains raw datagram bytes
  std::uint64_t seq = 0;  // the beat's seq (renewed_first), the last seq (expired), or 0
};

// Since start(). Every datagram read lands in exactly one of the first five.
struct LeaseCounters {
  std::uint64_t renewals = 0;
  std::uint64_t malformed = 0;
  std::uint64_t wrong_uid = 0;   // sender neither root nor allowed_uid, or no credentials
  std::uint64_t wrong_name = 0;  // well-formed beat for another lease
  std::uint64_t flooded = 0;     // beyond max_datagrams_per_second: not even parsed
  std::uint64_t expiries = 0;
  std::uint64_t seq_regressions = 0;  // renewals whose seq did not increase (app restarts)
};

class LeaseMonitor final : public Monitor {
 public:
  LeaseMonitor(EventLoop& loop, LeaseConfig config,
               std::function<void(const LeaseEvent&)> on_event);
  ~LeaseMonitor() override;
  LeaseMonitor(const LeaseMonitor&) = delete;
  LeaseMonitor& operator=(const LeaseMonitor&) = delete;

  [[nodiscard]] std::string_view name() const override { return label_; }
  // Binds config.socket_path (replacing a stale socket file, never any other file) with
  // mode 0660, so the app must run as root or in the socket's group; the lease starts
  // "never renewed". `loop` must be the loop given to the constructor.
  Status start(EventLoop& loop) override;
  // Closes the socket and unlinks its file if it is still ours. The callback may call it.
  void stop() override;

  // True between a renewed_first and the next expired.
  [[nodiscard]] bool alive() const { return alive_; }
  // Since the last renewal; nullopt while never renewed.
  [[nodiscard]] std::optional<std::chrono::milliseconds> age(hal::MonoTime now) const {
    return state_.age(now);
  }
  [[nodiscard]] LeaseCounters counters() const;
  [[nodiscard]] const LeaseConfig& config() const { return config_; }

 private:
  struct SourceUnref {
    void operator()(sd_event_source* source) const { sd_event_source_disable_unref(source); }
  };

  Status bind_socket();
  void on_readable();
  bool receive_one();  // false when the queue is empty (or the socket went away)
  void on_datagram(std::size_t size, bool truncated, const std::optional<ucred>& sender);
  void renew(std::uint64_t seq, const ucred& sender);
  bool arm_expiry();
  static int on_expiry_timer(sd_event_source* source, std::uint64_t usec, void* userdata);
  void expire(hal::MonoTime now);
  bool rejection_report_due(hal::MonoTime now);
  void report_rejection(std::string detail, std::uint64_t seq);
  void emit(LeaseEvent::Kind kind, std::string detail, std::uint64_t seq);
  [[nodiscard]] bool running() const { return fd_ >= 0; }

  EventLoop& loop_;
  LeaseConfig config_;
  std::function<void(const LeaseEvent&)> on_event_;
  std::string label_;

  int fd_ = -1;
  std::optional<std::pair<dev_t, ino_t>> bound_file_;  // to unlink only our own socket file
  EventSource io_;
  std::unique_ptr<sd_event_source, SourceUnref> expiry_;

  LeaseState state_;
  RateLimiter flood_limiter_;
  bool alive_ = false;
  LeaseCounters counters_;
  std::optional<hal::MonoTime> last_rejection_report_;
  std::uint64_t unreported_rejections_ = 0;
  // One byte more than a datagram may have, so that an oversize one is seen as such.
  std::array<std::uint8_t, kLeaseMaxDatagram + 1> buffer_{};
};

}  // namespace lifeline
