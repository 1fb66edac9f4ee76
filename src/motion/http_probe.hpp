// The app's HTTP health probe: every `interval` a GET to a loopback URL, done entirely on
// the event loop (non-blocking socket, epoll readiness, a one-shot timeout), judged by
// the status line alone. Each result goes to the callback; `failures_to_trip` failures
// in a row mean the app is up but answering errors (the 2025-10-23 incident), and the
// owner's policy stops the motors. The probe itself never acts on the result.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agent/event_loop.hpp"
#include "agent/monitor.hpp"
#include "motion/http_wire.hpp"
#include "motion/motion_config.hpp"

namespace lifeline {

struct ProbeResult {
  bool ok = false;
  int status = 0;      // the HTTP status when the app answered, else 0
  std::string detail;  // one line: "HTTP 500: ...", "timeout: ...", "connection refused"
  std::uint32_t consecutive_failures = 0;
  bool tripped = false;                  // consecutive_failures >= failures_to_trip
  std::chrono::microseconds elapsed{0};  // from socket() to the verdict
};

class HttpProbe final : public Monitor {
 public:
  // Called on the loop once per attempt, with every result (not only transitions). It may
  // call stop(); it must not destroy the probe.
  using ResultCallback = std::function<void(const ProbeResult&)>;

  HttpProbe(EventLoop& loop, HttpProbeConfig config, ResultCallback on_result);
  ~HttpProbe() override;
  HttpProbe(const HttpProbe&) = delete;
  HttpProbe& operator=(const HttpProbe&) = delete;

  [[nodiscard]] std::string_view name() const override { return "http-probe"; }
  // Validates the config and URL, then probes every interval, the first after one
  // interval (so start() itself never calls back). `loop` must be the constructor's.
  Status start(EventLoop& loop) override;
  // Stops probing; an attempt in flight is abandoned without a result. The failure count
  // is kept, so a stop/start cannot launder a tripped probe.
  void stop() override;

  [[nodiscard]] std::uint32_t consecutive_failures() const { return failures_.count(); }
  [[nodiscard]] bool tripped() const { return failures_.tripped(); }
  [[nodiscard]] bool attempt_in_flight() const { return fd_ >= 0; }

 private:
  enum class Step { connecting, sending, receiving };
  void tick();
  void begin_attempt();
  void on_io(std::uint32_t revents);
  bool check_connected();
  bool send_request();
  void read_status();
  void on_deadline();
  void finish(ProbeOutcome outcome, int status, std::string_view context);
  void end_attempt();

  EventLoop& loop_;
  HttpProbeConfig config_;
  ResultCallback on_result_;
  std::optional<HttpUrl> url_;
  sockaddr_storage address_{};
  socklen_t address_length_ = 0;
  std::string request_;
  ConsecutiveFailures failures_;
  PeriodicTimer timer_;
  bool running_ = false;

  // The one attempt in flight (fd_ >= 0).
  int fd_ = -1;
  Step step_ = Step::connecting;
  std::size_t sent_ = 0;
  std::size_t received_ = 0;
  StatusLineParser parser_;
  std::chrono::steady_clock::time_point started_;
  EventSource io_;
  EventSource deadline_;
  // A finished attempt's sources, switched off and kept until the next attempt begins:
  // an attempt usually ends inside one of its own callbacks, and destroying the source
  // would destroy the std::function that is running.
  std::vector<EventSource> retired_;
};

}  // namespace lifeline
