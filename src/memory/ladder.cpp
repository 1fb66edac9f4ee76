#include "memory/ladder.hpp"

#include <cstdio>

namespace lifeline::memory {

std::string_view level_name(Level level) {
  switch (level) {
    case Level::normal:
      return "normal";
    case Level::warn:
      return "warn";
    case Level::relieve:
      return "relieve";
    case Level::kill:
      return "kill";
  }
  return "normal";
}

std::string_view relief_name(Relief relief) {
  switch (relief) {
    case Relief::none:
      return "none";
    case Relief::relieve:
      return "relieve";
    case Relief::kill_now:
      return "kill_now";
    case Relief::escalate:
      return "escalate";
  }
  return "none";
}

double available_share(const DomainReading& reading) {
  if (reading.total_bytes == 0) return 0;
  return 100.0 * static_cast<double>(reading.available_bytes) /
         static_cast<double>(reading.total_bytes);
}

// The level the reading calls for when every threshold is raised by `margin` points.
Level Ladder::raw_level(double share, const DomainReading& reading, std::uint32_t margin) const {
  const auto below = [&](std::uint32_t threshold) {
    return threshold > 0 && share < static_cast<double>(threshold + margin);
  };
  if (below(policy_.kill_percent)) return Level::kill;
  if (below(policy_.relieve_percent)) return Level::relieve;
  if (below(policy_.warn_percent)) {
    // Below warn, a steep fall counts as much as a low level (the ETA says how soon), and
    // so does a stall the kernel measured: the box is already thrashing.
    const bool soon = policy_.eta_relieve.count() > 0 && reading.eta.has_value() &&
                      *reading.eta < policy_.eta_relieve;
    return soon || reading.stalled ? Level::relieve : Level::warn;
  }
  // The kernel measured tasks stalling on memory (refaults, reclaim) while MemAvailable
  // still looks fine: the working set no longer fits. Worth a warning, never a kill.
  if (reading.stalled || reading.stalled_recently) return Level::warn;
  return Level::normal;
}

LadderDecision Ladder::evaluate(hal::MonoTime now, const DomainReading& reading,
                                bool relief_in_progress) {
  LadderDecision d;
  d.previous = level_;
  const double share = available_share(reading);
  const Level worse = raw_level(share, reading, 0);
  // Improving needs the margin: the level the reading would keep with raised thresholds.
  const Level kept = raw_level(share, reading, policy_.clear_margin_percent);
  const Level next = worse >= level_ ? worse : (kept < level_ ? kept : level_);
  level_ = next < worse ? worse : next;
  d.level = level_;

  char text[160];
  std::snprintf(
      text, sizeof text, "available %.1f%% (%llu of %llu MiB)%s%s", share,
      static_cast<unsigned long long>(reading.available_bytes >> 20),
      static_cast<unsigned long long>(reading.total_bytes >> 20),
      reading.eta ? (", exhausted in about " + std::to_string(reading.eta->count()) + " s").c_str()
                  : "",
      reading.stalled ? ", memory stall (PSI)" : "");
  d.reason = text;

  if (level_ < Level::relieve) return d;
  if (relief_in_progress) {
    if (level_ == Level::kill) d.relief = Relief::escalate;
    return d;
  }
  if (last_relief_ && now - *last_relief_ < policy_.min_relief_interval) {
    d.held_by_rate_limit = true;
    return d;
  }
  d.relief = level_ == Level::kill ? Relief::kill_now : Relief::relieve;
  return d;
}

}  // namespace lifeline::memory
