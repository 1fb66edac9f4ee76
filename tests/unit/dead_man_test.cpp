// The dead-man policy with a fake clock: no heartbeat, no motion; nothing re-arms by
// itself unless configured; latched stops need a person.
#include <gtest/gtest.h>

#include "lifeline/hal/clock.hpp"
#include "motion/dead_man.hpp"

namespace lifeline::motion {
namespace {

using namespace std::chrono_literals;
using Action = Decision::Action;

AppHealth healthy_app() {
  AppHealth h;
  h.process_watched = true;
  h.process_alive = true;
  h.lease_watched = true;
  h.lease_alive = true;
  return h;
}

TEST(DeadMan, StartsStoppedAndNeverArmsWithoutARearmByDefault) {
  hal::FakeClock clock;
  DeadManPolicy policy({});
  EXPECT_EQ(policy.state(), MotionState::stopped);
  EXPECT_EQ(policy.last_cause(), StopCause::startup);
  for (int i = 0; i < 100; ++i) {
    clock.advance(1s);
    EXPECT_EQ(policy.on_health(healthy_app(), clock.now()).action, Action::none);
  }
  EXPECT_EQ(policy.state(), MotionState::stopped);
}

TEST(DeadMan, RearmIsRefusedWhileAnyWatchedDetectorIsUnhealthy) {
  hal::FakeClock clock;
  DeadManPolicy policy({});
  AppHealth h = healthy_app();
  h.lease_alive = false;
  auto result = policy.on_rearm(h, clock.now(), "");
  EXPECT_FALSE(result.accepted);
  EXPECT_EQ(result.reason, "refused: the app's heartbeat lease is not renewed");
  h = healthy_app();
  h.process_alive = false;
  EXPECT_EQ(policy.on_rearm(h, clock.now(), "").reason,
            "refused: the app's process is not running");
  h = healthy_app();
  h.crash_loop = true;
  EXPECT_EQ(policy.on_rearm(h, clock.now(), "").reason, "refused: the app is in a crash loop");
  EXPECT_EQ(policy.on_rearm(healthy_app(), clock.now(), "lockout").reason, "refused: lockout");
  EXPECT_EQ(policy.on_rearm(AppHealth{}, clock.now(), "").reason,
            "refused: no detector is configured");
  EXPECT_EQ(policy.state(), MotionState::stopped);
  EXPECT_TRUE(policy.on_rearm(healthy_app(), clock.now(), "").accepted);
  EXPECT_EQ(policy.state(), MotionState::armed);
}

TEST(DeadMan, EachDetectorStopsAnArmedRobotWithItsOwnCause) {
  struct Case {
    void (*break_it)(AppHealth&);
    StopCause cause;
  };
  const Case cases[] = {
      {[](AppHealth& h) { h.process_alive = false; }, StopCause::app_dead},
      {[](AppHealth& h) { h.lease_alive = false; }, StopCause::app_hung},
      {[](AppHealth& h) {
         h.probe_watched = true;
         h.probe_ok = false;
       },
       StopCause::app_errors},
      {[](AppHealth& h) { h.crash_loop = true; }, StopCause::crash_loop},
  };
  for (const auto& c : cases) {
    hal::FakeClock clock;
    DeadManPolicy policy({});
    ASSERT_TRUE(policy.on_rearm(healthy_app(), clock.now(), "").accepted);
    AppHealth h = healthy_app();
    c.break_it(h);
    const Decision d = policy.on_health(h, clock.now());
    EXPECT_EQ(d.action, Action::stop);
    EXPECT_EQ(d.cause, c.cause);
    EXPECT_EQ(policy.state(), MotionState::stopped);
    // A second observation of the same problem does not stop again.
    EXPECT_EQ(policy.on_health(h, clock.now()).action, Action::none);
  }
}

TEST(DeadMan, AutoRearmOnlyAfterTheConfiguredHealthyPeriod) {
  hal::FakeClock clock;
  DeadManPolicy policy({.auto_rearm_after = 2000ms});
  EXPECT_EQ(policy.on_health(healthy_app(), clock.now()).action, Action::none);
  clock.advance(1999ms);
  EXPECT_EQ(policy.on_health(healthy_app(), clock.now()).action, Action::none);
  AppHealth flap = healthy_app();
  flap.lease_alive = false;
  EXPECT_EQ(policy.on_health(flap, clock.now()).action, Action::none);  // resets the clock
  clock.advance(1ms);
  EXPECT_EQ(policy.on_health(healthy_app(), clock.now()).action, Action::none);
  clock.advance(2000ms);
  EXPECT_EQ(policy.on_health(healthy_app(), clock.now()).action, Action::arm);
  EXPECT_EQ(policy.state(), MotionState::armed);
}

TEST(DeadMan, EstopAndSafeStateLatchAgainstAutoRearm) {
  hal::FakeClock clock;
  DeadManPolicy policy({.auto_rearm_after = 100ms});
  ASSERT_TRUE(policy.on_rearm(healthy_app(), clock.now(), "").accepted);
  const Decision d = policy.on_estop(clock.now());
  EXPECT_EQ(d.action, Action::stop);
  EXPECT_EQ(d.cause, StopCause::estop);
  for (int i = 0; i < 10; ++i) {
    clock.advance(1s);
    EXPECT_EQ(policy.on_health(healthy_app(), clock.now()).action, Action::none);
  }
  EXPECT_TRUE(policy.on_rearm(healthy_app(), clock.now(), "").accepted);
  EXPECT_EQ(policy.on_safe_state("gate closed", clock.now()).cause, StopCause::safe_state);
  clock.advance(10s);
  EXPECT_EQ(policy.on_health(healthy_app(), clock.now()).action, Action::none);
  EXPECT_EQ(policy.last_reason(), "gate closed");
}

TEST(CrashLoop, CountsDeathsInASlidingWindow) {
  hal::FakeClock clock;
  CrashLoopDetector detector(3, 60s);
  EXPECT_FALSE(detector.record_death(clock.now()));
  clock.advance(30s);
  EXPECT_FALSE(detector.record_death(clock.now()));
  clock.advance(29s);
  EXPECT_TRUE(detector.record_death(clock.now()));
  EXPECT_TRUE(detector.in_crash_loop(clock.now()));
  clock.advance(2s);  // the first death is now 61 s old
  EXPECT_FALSE(detector.in_crash_loop(clock.now()));
  EXPECT_EQ(detector.deaths_in_window(clock.now()), 2U);
}

TEST(StopCauseNames, AreStable) {
  EXPECT_EQ(stop_cause_name(StopCause::app_dead), "app_dead");
  EXPECT_EQ(stop_cause_name(StopCause::app_hung), "app_hung");
  EXPECT_EQ(stop_cause_name(StopCause::app_errors), "app_errors");
  EXPECT_EQ(stop_cause_name(StopCause::crash_loop), "crash_loop");
  EXPECT_EQ(stop_cause_name(StopCause::estop), "estop");
  EXPECT_EQ(stop_cause_name(StopCause::safe_state), "safe_state");
  EXPECT_EQ(stop_cause_name(StopCause::startup), "startup");
}

}  // namespace
}  // namespace lifeline::motion
