#include "watchdog/reset_history.hpp"

#include <linux/watchdog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "util/files.hpp"

namespace lifeline {

std::string_view start_reason_name(StartReason reason) {
  switch (reason) {
    case StartReason::first_start:
      return "first_start";
    case StartReason::agent_restart:
      return "agent_restart";
    case StartReason::agent_crashed:
      return "agent_crashed";
    case StartReason::clean_reboot:
      return "clean_reboot";
    case StartReason::watchdog_reset:
      return "watchdog_reset";
    case StartReason::unclean_reboot:
      return "unclean_reboot";
  }
  return "unknown";
}

bool is_unclean_reset(StartReason reason) {
  return reason == StartReason::watchdog_reset || reason == StartReason::unclean_reboot;
}

std::size_t resets_in_window(const std::vector<std::int64_t>& resets_s, std::int64_t now_s,
                             const LockoutConfig& policy) {
  const std::int64_t window_s =
      std::chrono::duration_cast<std::chrono::seconds>(policy.window).count();
  return static_cast<std::size_t>(std::count_if(resets_s.begin(), resets_s.end(), [&](auto t) {
    return t <= now_s && now_s - t <= window_s;
  }));
}

StartAssessment assess_start(const std::optional<ResetHistory>& previous,
                             const std::string& boot_id, std::uint32_t boot_status,
                             std::int64_t now_s, const LockoutConfig& policy) {
  StartAssessment out;
  out.next = previous.value_or(ResetHistory{});
  ResetHistory& next = out.next;
  const bool card_reset = (boot_status & WDIOF_CARDRESET) != 0;

  if (!previous) {
    out.reason = card_reset ? StartReason::watchdog_reset : StartReason::first_start;
    out.new_boot = true;
  } else if (previous->boot_id == boot_id) {
    out.reason = previous->agent_running ? StartReason::agent_crashed : StartReason::agent_restart;
  } else {
    out.new_boot = true;
    if (card_reset) {
      out.reason = StartReason::watchdog_reset;
    } else {
      out.reason =
          previous->agent_running ? StartReason::unclean_reboot : StartReason::clean_reboot;
    }
  }

  if (out.new_boot) {
    next.boot_count += 1;
    next.last_boot_status = boot_status;
    if (is_unclean_reset(out.reason)) {
      next.consecutive_unclean += 1;
      next.unclean_resets_s.push_back(now_s);
      if (next.unclean_resets_s.size() > kMaxRememberedResets) {
        next.unclean_resets_s.erase(next.unclean_resets_s.begin());
      }
    } else {
      next.consecutive_unclean = 0;
    }
    // Only a new unclean boot can trip the lockout; a lockout already held persists.
    const std::size_t recent = resets_in_window(next.unclean_resets_s, now_s, policy);
    if (!next.lockout && is_unclean_reset(out.reason) && recent >= policy.max_resets) {
      next.lockout = true;
      next.lockout_since_s = now_s;
      next.lockout_reason = std::to_string(recent) + " unclean resets within " +
                            std::to_string(policy.window.count()) + " min (limit " +
                            std::to_string(policy.max_resets) + ")";
      out.entered_lockout = true;
    }
  }
  next.boot_id = boot_id;
  next.agent_running = true;
  next.last_start_s = now_s;
  next.last_start_reason = std::string(start_reason_name(out.reason));
  return out;
}

void mark_clean_stop(ResetHistory& history, std::int64_t now_s) {
  history.agent_running = false;
  history.last_clean_stop_s = now_s;
}

void clear_lockout(ResetHistory& history) {
  history.lockout = false;
  history.lockout_since_s = 0;
  history.lockout_reason.clear();
  history.unclean_resets_s.clear();  // else the next reset would re-lock at once
  history.consecutive_unclean = 0;
}

std::string history_to_json(const ResetHistory& h) {
  nlohmann::json j = {
      {"version", 1},
      {"boot_id", h.boot_id},
      {"agent_running", h.agent_running},
      {"last_start_s", h.last_start_s},
      {"last_clean_stop_s", h.last_clean_stop_s},
      {"boot_count", h.boot_count},
      {"consecutive_unclean", h.consecutive_unclean},
      {"last_boot_status", h.last_boot_status},
      {"last_start_reason", h.last_start_reason},
      {"unclean_resets_s", h.unclean_resets_s},
      {"lockout", h.lockout},
      {"lockout_since_s", h.lockout_since_s},
      {"lockout_reason", h.lockout_reason},
  };
  return j.dump(2) + "\n";
}

namespace {
// nlohmann's get<uint32_t>() wraps -1 to 4294967295 and truncates 2.5: a damaged file
// must be rejected instead of read as a plausible history.
std::uint32_t counter(const nlohmann::json& j, const char* key) {
  const auto& value = j.at(key);
  if (!value.is_number_integer()) throw std::out_of_range(std::string(key) + " is not an integer");
  const auto wide = value.get<std::int64_t>();
  if (wide < 0 || wide > static_cast<std::int64_t>(UINT32_MAX)) {
    throw std::out_of_range(std::string(key) + " is out of range");
  }
  return static_cast<std::uint32_t>(wide);
}
}  // namespace

Expected<ResetHistory> history_from_json(const std::string& text) {
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Error{0, "not a JSON object"};
  try {
    if (j.value("version", 0) != 1) return Error{0, "unsupported version"};
    ResetHistory h;
    h.boot_id = j.at("boot_id").get<std::string>();
    h.agent_running = j.at("agent_running").get<bool>();
    h.last_start_s = j.at("last_start_s").get<std::int64_t>();
    h.last_clean_stop_s = j.at("last_clean_stop_s").get<std::int64_t>();
    h.boot_count = counter(j, "boot_count");
    h.consecutive_unclean = counter(j, "consecutive_unclean");
    h.last_boot_status = counter(j, "last_boot_status");
    h.last_start_reason = j.at("last_start_reason").get<std::string>();
    h.unclean_resets_s = j.at("unclean_resets_s").get<std::vector<std::int64_t>>();
    h.lockout = j.at("lockout").get<bool>();
    h.lockout_since_s = j.at("lockout_since_s").get<std::int64_t>();
    h.lockout_reason = j.at("lockout_reason").get<std::string>();
    if (h.unclean_resets_s.size() > kMaxRememberedResets) {
      h.unclean_resets_s.erase(
          h.unclean_resets_s.begin(),
          h.unclean_resets_s.end() - static_cast<std::ptrdiff_t>(kMaxRememberedResets));
    }
    return h;
  } catch (const nlohmann::json::exception& e) {
    return Error{0, std::string("bad field: ") + e.what()};
  } catch (const std::out_of_range& e) {
    return Error{0, std::string("bad field: ") + e.what()};
  }
}

std::string history_path(const std::string& state_dir) {
  return state_dir + "/reset-history.json";
}

Expected<std::optional<ResetHistory>> load_history(const std::string& state_dir) {
  const std::string path = history_path(state_dir);
  auto text = read_small_file(path, std::size_t{64} * 1024);
  if (!text) {
    if (text.error().errno_value == ENOENT) return std::optional<ResetHistory>{};
    return text.error();
  }
  auto parsed = history_from_json(*text);
  if (!parsed) return Error{0, path + ": " + parsed.error().message};
  return std::optional<ResetHistory>{std::move(*parsed)};
}

Status save_history(const std::string& state_dir, const ResetHistory& history) {
  return write_file_durably(history_path(state_dir), history_to_json(history));
}

}  // namespace lifeline
