// What to do about sshd's reachability, from probe results. Pure: results and times in,
// decisions out.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "lifeline/hal/clock.hpp"

namespace lifeline::memory {

struct SshProbeResult {
  bool ok = false;
  std::string detail;  // the banner, or why there was none
  std::chrono::microseconds latency{0};
};

struct SshPolicySettings {
  std::uint32_t failures_to_raise = 3;
  std::chrono::seconds restart_min_interval{300};  // 0: never restart
  bool restart_configured = true;                  // a unit to restart exists
  // Until sshd has answered once, failures count only this long after the first probe:
  // lifeline starts before sshd at boot.
  std::chrono::seconds start_grace{0};
};

struct SshDecision {
  bool raise = false;         // ssh_unreachable starts now
  bool clear = false;         // it ends now
  bool restart = false;       // restart the unit now
  bool restart_held = false;  // would restart, but the last restart was too recent
};

class SshPolicy {
 public:
  explicit SshPolicy(SshPolicySettings settings) : settings_(settings) {}
  SshDecision on_result(hal::MonoTime now, const SshProbeResult& result);
  [[nodiscard]] bool unreachable() const { return unreachable_; }
  [[nodiscard]] std::uint32_t consecutive_failures() const { return failures_; }

 private:
  SshPolicySettings settings_;
  std::uint32_t failures_ = 0;
  bool unreachable_ = false;
  std::optional<hal::MonoTime> last_restart_;
  std::optional<hal::MonoTime> first_probe_;
  bool answered_once_ = false;
};

}  // namespace lifeline::memory
