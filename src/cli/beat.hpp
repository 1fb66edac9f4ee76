// `lifeline beat NAME`: renews a heartbeat lease from the shell, through the same C
// client an app uses (include/lifeline/lease.h). For scripts, bring-up and tests.
#pragma once

#include <chrono>
#include <string>

namespace lifeline::cli {

inline constexpr const char* kDefaultLeaseSocket = "/run/lifeline/lease.sock";

// Sends `count` beats `interval` apart (count 0: until SIGTERM or SIGINT). Returns 0 when
// every beat was handed to lifeline's socket, 1 when any was not (each new kind of failure
// is printed once), 2 for an invalid name, path, count or interval.
int beat(const std::string& socket_path, const std::string& name, int count,
         std::chrono::milliseconds interval);

}  // namespace lifeline::cli
