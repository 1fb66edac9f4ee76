// Typed configuration of the motor dead-man ([motion] in lifeline.toml). The loader
// fills these; the monitors and the stop path take them as values.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lifeline {

// The heartbeat lease: the app renews it by datagram; no renewal within `timeout` = hang.
struct LeaseConfig {
  std::string socket_path = "/run/lifeline/lease.sock";
  std::string name = "app";  // the lease the app must renew
  std::chrono::milliseconds timeout{300};
  std::optional<uid_t> allowed_uid;               // only this uid may renew (root always may)
  std::uint32_t max_datagrams_per_second = 1000;  // beyond: ignored and counted (flood)
  bool operator==(const LeaseConfig&) const = default;
};

// The app's HTTP health URL on loopback: a 5xx, a timeout or a refused connection counts
// as a failure; `failures_to_trip` consecutive failures = the app is answering errors.
struct HttpProbeConfig {
  std::string url;  // http://127.0.0.1:PORT/PATH only (loopback, no TLS)
  std::chrono::milliseconds interval{500};
  std::chrono::milliseconds timeout{300};
  std::uint32_t failures_to_trip = 3;
  bool operator==(const HttpProbeConfig&) const = default;
};

}  // namespace lifeline
