#include "health/loop_liveness.hpp"

#include "health/health_checks.hpp"

namespace lifeline {

Status LoopLiveness::start(EventLoop& loop) {
  loop_ = &loop;
  const auto now = loop.now();
  check_ = gate_.add_check("loop", deadline_, now, /*essential=*/true);
  // Half the deadline: a stall longer than the deadline always makes one tick late by
  // more than the deadline, and an idle box wakes only twice per deadline for it.
  const auto period = std::chrono::duration_cast<std::chrono::microseconds>(deadline_) / 2;
  expected_ = now + period;
  return loop.start_periodic(timer_, "loop-liveness", period, [this] { tick(); });
}

void LoopLiveness::stop() {
  timer_.stop();
  if (check_) gate_.remove_check(*check_);
  check_.reset();
}

void LoopLiveness::tick() {
  const auto now = loop_->now();
  const auto lateness = std::chrono::duration_cast<std::chrono::milliseconds>(now - expected_);
  const CheckResult result = judge_loop_lateness(lateness, deadline_);
  gate_.report(*check_, result.passing, now, result.detail);
  expected_ = now + timer_.period();
}

}  // namespace lifeline
