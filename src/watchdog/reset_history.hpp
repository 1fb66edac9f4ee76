// Why did the last run end? The persisted reset history and the pure decision that
// classifies a start and applies the boot-loop lockout policy.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "lifeline/expected.hpp"

namespace lifeline {

enum class StartReason : std::uint8_t {
  first_start,     // no history: a new install or a wiped state dir
  agent_restart,   // same boot, the previous lifeline stopped cleanly
  agent_crashed,   // same boot, the previous lifeline died without a clean stop
  clean_reboot,    // new boot after a clean stop, no watchdog reset flagged
  watchdog_reset,  // new boot, the watchdog reports it reset the card (WDIOF_CARDRESET)
  unclean_reboot,  // new boot, no clean stop: power loss, panic, hard reset
};

std::string_view start_reason_name(StartReason reason);
// Counted towards the boot-loop lockout: the box itself went down uncleanly.
bool is_unclean_reset(StartReason reason);

// Persisted in <state_dir>/reset-history.json (written durably on every change).
struct ResetHistory {
  std::string boot_id;            // the boot the last writer ran in
  bool agent_running = false;     // set at start, cleared by a clean stop
  std::int64_t last_start_s = 0;  // realtime seconds
  std::int64_t last_clean_stop_s = 0;
  std::uint32_t boot_count = 0;           // boots seen by lifeline
  std::uint32_t consecutive_unclean = 0;  // unclean resets since the last clean reboot
  std::uint32_t last_boot_status = 0;     // WDIOF_* of this boot
  std::string last_start_reason;
  std::vector<std::int64_t> unclean_resets_s;  // recent unclean resets, newest last
  bool lockout = false;
  std::int64_t lockout_since_s = 0;
  std::string lockout_reason;
};

inline constexpr std::size_t kMaxRememberedResets = 64;

struct StartAssessment {
  StartReason reason = StartReason::first_start;
  bool new_boot = false;
  bool entered_lockout = false;  // this start put lifeline into lockout
  ResetHistory next;             // the history to persist now (agent_running = true)
};

// Pure: previous history (if any), this boot's id, the watchdog's boot status flags, the
// wall time and the policy in; the classification and the new history out.
StartAssessment assess_start(const std::optional<ResetHistory>& previous,
                             const std::string& boot_id, std::uint32_t boot_status,
                             std::int64_t now_s, const LockoutConfig& policy);

// Recent unclean resets inside the policy's window ending at now.
std::size_t resets_in_window(const std::vector<std::int64_t>& resets_s, std::int64_t now_s,
                             const LockoutConfig& policy);

void mark_clean_stop(ResetHistory& history, std::int64_t now_s);
void clear_lockout(ResetHistory& history);

std::string history_to_json(const ResetHistory& history);
Expected<ResetHistory> history_from_json(const std::string& text);

// I/O: <state_dir>/reset-history.json. A missing file is "no history" (nullopt); a
// corrupt one is an error the caller reports (and then starts from no history).
std::string history_path(const std::string& state_dir);
Expected<std::optional<ResetHistory>> load_history(const std::string& state_dir);
Status save_history(const std::string& state_dir, const ResetHistory& history);

}  // namespace lifeline
