// The memory guard's policy ladder: from one domain's reading (the whole box, or one
// watched cgroup) to a level and the relief to take. Pure: values and times in, decisions
// out, no I/O. Levels worsen at once and improve only past a margin (hysteresis); reliefs
// are rate limited so one spike cannot become a kill storm.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lifeline/hal/clock.hpp"

namespace lifeline::memory {

enum class Level : std::uint8_t { normal, warn, relieve, kill };
std::string_view level_name(Level level);

struct LadderPolicy {
  std::uint32_t warn_percent = 15;
  std::uint32_t relieve_percent = 10;
  std::uint32_t kill_percent = 5;  // 0: no kill level
  std::uint32_t clear_margin_percent = 3;
  std::chrono::seconds eta_relieve{30};  // 0: thresholds only
  std::chrono::milliseconds min_relief_interval{5000};
};

struct DomainReading {
  std::uint64_t available_bytes = 0;        // MemAvailable, or a watch's limit minus its usage
  std::uint64_t total_bytes = 0;            // MemTotal, or the watch's limit
  std::optional<std::chrono::seconds> eta;  // until available reaches zero, when falling
  // The kernel's PSI trigger reported a memory stall within its window: tasks are waiting
  // on reclaim and refaults now, whatever MemAvailable still says. Below warn it relieves.
  bool stalled = false;
  // A stall within the last few seconds (the service's hold): above warn it still warns,
  // so a thrashing box with MemAvailable to spare is flagged, once per episode.
  bool stalled_recently = false;
};

enum class Relief : std::uint8_t {
  none,
  relieve,   // an expendable unit, else SIGTERM then SIGKILL after the grace
  kill_now,  // SIGKILL without grace
  escalate,  // a relief is under way and the kill level is reached: SIGKILL it now
};
std::string_view relief_name(Relief relief);

struct LadderDecision {
  Level level = Level::normal;
  Level previous = Level::normal;
  Relief relief = Relief::none;
  bool held_by_rate_limit = false;  // would relieve, but the last relief was too recent
  std::string reason;               // why this level: "MemAvailable 7.9% < relieve 10%"
  [[nodiscard]] bool changed() const { return level != previous; }
};

class Ladder {
 public:
  explicit Ladder(LadderPolicy policy) : policy_(policy) {}
  // One evaluation. `relief_in_progress`: a SIGTERMed victim has not died yet.
  LadderDecision evaluate(hal::MonoTime now, const DomainReading& reading, bool relief_in_progress);
  // The caller took a relief (or dry-ran one) at `now`: starts the rate limit.
  void relief_taken(hal::MonoTime now) { last_relief_ = now; }
  [[nodiscard]] Level level() const { return level_; }

 private:
  [[nodiscard]] Level raw_level(double share, const DomainReading& reading,
                                std::uint32_t margin) const;

  LadderPolicy policy_;
  Level level_ = Level::normal;
  std::optional<hal::MonoTime> last_relief_;
};

// The share of `total` that `available` is, in percent; 0 when total is 0.
double available_share(const DomainReading& reading);

}  // namespace lifeline::memory
