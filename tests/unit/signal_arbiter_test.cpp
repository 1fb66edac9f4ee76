// What the LEDs show (severity, then recency; lockout and e-stop override; healthy when
// nothing is active) and when the buzzer sounds (once per onset, reminders, quiet).
#include "signals/arbiter.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <vector>

namespace lifeline::signals {
namespace {

using std::chrono::seconds;

// Active faults in raise order.
std::vector<ActiveFault> faults(std::initializer_list<Fault> list) {
  std::vector<ActiveFault> out;
  for (Fault fault : list) out.push_back(ActiveFault{fault, hal::WallTime{}, "test"});
  return out;
}

const std::string& primary(const std::vector<ActiveFault>& active, bool stopping = false,
                           bool locating = false) {
  return choose_leds(active, stopping, locating, LedOutputs{true, false}).primary->name;
}

TEST(SignalArbiter, HealthyWhenNothingIsActive) {
  const LedChoice choice = choose_leds({}, false, false, LedOutputs{true, false});
  EXPECT_EQ(choice.primary->name, "healthy");
  EXPECT_EQ(choice.secondary->name, "off");
  EXPECT_FALSE(choice.fault.has_value());
  EXPECT_FALSE(shown_fault({}).has_value());
}

TEST(SignalArbiter, MostSevereFaultThenMostRecent) {
  // unclean_reset (warning) then health_check_failing (error): the error shows.
  EXPECT_EQ(primary(faults({Fault::health_check_failing, Fault::unclean_reset})), "code 1-3");
  EXPECT_EQ(primary(faults({Fault::unclean_reset, Fault::health_check_failing})), "code 1-3");
  // Two criticals: the later raised one.
  EXPECT_EQ(primary(faults({Fault::watchdog_unavailable, Fault::app_dead})), "code 4-1");
  EXPECT_EQ(primary(faults({Fault::app_dead, Fault::watchdog_unavailable})), "code 1-1");
  // A critical beats a later warning.
  EXPECT_EQ(primary(faults({Fault::app_hung, Fault::motors_awaiting_rearm})), "code 4-2");
  EXPECT_EQ(*shown_fault(faults({Fault::app_hung, Fault::motors_awaiting_rearm})), Fault::app_hung);
  const auto choice =
      choose_leds(faults({Fault::config_rejected}), false, false, LedOutputs{true, false});
  EXPECT_EQ(*choice.fault, Fault::config_rejected);
}

TEST(SignalArbiter, LockoutAndEstopOverrideTheBlinkCode) {
  EXPECT_EQ(primary(faults({Fault::boot_loop_lockout, Fault::watchdog_unavailable})), "lockout");
  EXPECT_EQ(primary(faults({Fault::estop_active, Fault::app_dead})), "estop");
  EXPECT_EQ(primary(faults({Fault::motors_awaiting_rearm, Fault::estop_active})), "estop");
  // Lockout first: re-arming after an e-stop is refused while the lockout stands.
  EXPECT_EQ(primary(faults({Fault::boot_loop_lockout, Fault::estop_active})), "lockout");
  EXPECT_EQ(primary(faults({Fault::estop_active, Fault::boot_loop_lockout})), "lockout");
}

TEST(SignalArbiter, StoppingAndLocateOverrideEverything) {
  EXPECT_EQ(primary(faults({Fault::boot_loop_lockout}), true, true), "stopped");
  EXPECT_EQ(primary({}, true, false), "stopped");
  EXPECT_EQ(primary(faults({Fault::boot_loop_lockout}), false, true), "locate");
  EXPECT_EQ(primary({}, false, true), "locate");
}

TEST(SignalArbiter, RedGreenPairSplitsHealthyAndFaults) {
  const LedOutputs pair{true, true};
  auto choice = choose_leds({}, false, false, pair);
  EXPECT_EQ(choice.primary->name, "off");
  EXPECT_EQ(choice.secondary->name, "healthy");
  choice = choose_leds(faults({Fault::app_dead}), false, false, pair);
  EXPECT_EQ(choice.primary->name, "code 4-1");
  EXPECT_EQ(choice.secondary->name, "off");
  choice = choose_leds(faults({Fault::estop_active}), false, false, pair);
  EXPECT_EQ(choice.primary->name, "estop");
  EXPECT_EQ(choice.secondary->name, "off");
  choice = choose_leds({}, false, true, pair);
  EXPECT_EQ(choice.primary->name, "locate");
  EXPECT_EQ(choice.secondary->name, "locate");
  choice = choose_leds({}, true, false, pair);
  EXPECT_EQ(choice.primary->name, "stopped");
  EXPECT_EQ(choice.secondary->name, "stopped");
}

TEST(SignalArbiter, OneUsableLedShowsEverything) {
  // The primary failed: the secondary carries codes and heartbeat alone.
  auto choice = choose_leds(faults({Fault::app_dead}), false, false, LedOutputs{false, true});
  EXPECT_EQ(choice.secondary->name, "code 4-1");
  choice = choose_leds({}, false, false, LedOutputs{false, true});
  EXPECT_EQ(choice.secondary->name, "healthy");
  // The secondary failed: the primary shows the heartbeat again.
  choice = choose_leds({}, false, false, LedOutputs{true, false});
  EXPECT_EQ(choice.primary->name, "healthy");
}

TEST(SignalArbiter, QuietWindow) {
  const int h22 = 22 * 60;
  const int h7 = 7 * 60;
  EXPECT_TRUE(in_quiet_window(h22, h22, 23 * 60));
  EXPECT_TRUE(in_quiet_window(h22 + 59, h22, 23 * 60));
  EXPECT_FALSE(in_quiet_window(23 * 60, h22, 23 * 60));  // the end is exclusive
  EXPECT_FALSE(in_quiet_window(h22 - 1, h22, 23 * 60));
  // 22:00-07:00 wraps across midnight.
  EXPECT_TRUE(in_quiet_window(h22, h22, h7));
  EXPECT_TRUE(in_quiet_window(23 * 60 + 30, h22, h7));
  EXPECT_TRUE(in_quiet_window(0, h22, h7));
  EXPECT_TRUE(in_quiet_window(3 * 60, h22, h7));
  EXPECT_TRUE(in_quiet_window(h7 - 1, h22, h7));
  EXPECT_FALSE(in_quiet_window(h7, h22, h7));
  EXPECT_FALSE(in_quiet_window(12 * 60, h22, h7));
  EXPECT_FALSE(in_quiet_window(h22 - 1, h22, h7));
  // No window.
  EXPECT_FALSE(in_quiet_window(600, 600, 600));
  EXPECT_FALSE(in_quiet_window(600, -1, 700));
  EXPECT_FALSE(in_quiet_window(600, 500, -1));
}

class SignalBuzzer : public ::testing::Test {
 protected:
  // The alert's pattern name, "" for none.
  std::string change(std::initializer_list<Fault> list, bool quiet = false) {
    const auto alert = policy.on_faults_changed(faults(list), clock.now(), quiet);
    return alert ? (*alert)->name : "";
  }
  std::string tick(bool quiet = false) {
    const auto alert = policy.on_tick(clock.now(), quiet);
    return alert ? (*alert)->name : "";
  }
  hal::FakeClock clock;
  BuzzerPolicy policy;
};

TEST_F(SignalBuzzer, AwaitingRearmAtStartIsSilent) {
  EXPECT_EQ(change({Fault::motors_awaiting_rearm}), "");
  // A stop cause while awaiting re-arm: motors stopped by lifeline.
  EXPECT_EQ(change({Fault::motors_awaiting_rearm, Fault::app_errors}), "buzz-motors-stopped");
}

TEST_F(SignalBuzzer, OneStopSoundsOnceWhateverTheOrderOfRaises) {
  // The motion service raises the cause, then motors_awaiting_rearm: one alert.
  EXPECT_EQ(change({Fault::app_dead}), "buzz-motors-stopped");
  EXPECT_EQ(change({Fault::app_dead, Fault::motors_awaiting_rearm}), "");
  EXPECT_EQ(change({Fault::app_dead, Fault::motors_awaiting_rearm}), "");  // no onset
  EXPECT_EQ(change({Fault::motors_awaiting_rearm}), "");                   // app recovered
  EXPECT_EQ(change({}), "");                                               // re-armed
  // Both in one change: one alert.
  EXPECT_EQ(change({Fault::app_hung, Fault::motors_awaiting_rearm}), "buzz-motors-stopped");
  EXPECT_EQ(change({}), "");
  // Awaiting re-arm raised with its cause already active but never announced (e.g. the
  // list was first seen with both): covered above; an e-stop is a stop like the others.
  EXPECT_EQ(change({Fault::estop_active}), "buzz-motors-stopped");
}

TEST_F(SignalBuzzer, OncePerOnset) {
  EXPECT_EQ(change({Fault::watchdog_unavailable}), "buzz-critical");
  EXPECT_EQ(change({Fault::watchdog_unavailable}), "");
  EXPECT_EQ(change({Fault::watchdog_unavailable, Fault::unclean_reset}), "");  // a warning
  EXPECT_EQ(change({Fault::unclean_reset}), "");
  EXPECT_EQ(change({Fault::unclean_reset, Fault::watchdog_unavailable}), "buzz-critical");
  EXPECT_EQ(change({Fault::app_crash_loop}), "buzz-crash-loop");
  EXPECT_EQ(change({Fault::motor_serial_down}), "");  // error severity, not a stop cause
}

TEST_F(SignalBuzzer, TheMostImportantOfSimultaneousOnsetsWins) {
  EXPECT_EQ(change({Fault::watchdog_unavailable, Fault::boot_loop_lockout, Fault::app_dead}),
            "buzz-lockout");
  EXPECT_EQ(change({}), "");
  EXPECT_EQ(change({Fault::app_dead, Fault::app_crash_loop}), "buzz-crash-loop");
  EXPECT_EQ(change({}), "");
  EXPECT_EQ(change({Fault::watchdog_unavailable, Fault::app_hung}), "buzz-motors-stopped");
}

TEST_F(SignalBuzzer, RemindersWhileASoundingFaultStays) {
  policy.set_reminder(seconds(10));
  EXPECT_FALSE(policy.next_reminder().has_value());
  EXPECT_EQ(change({Fault::app_crash_loop}), "buzz-crash-loop");
  const hal::MonoTime onset = clock.now();
  EXPECT_EQ(*policy.next_reminder(), onset + seconds(10));
  clock.advance(seconds(9));
  EXPECT_EQ(tick(), "");
  clock.advance(seconds(1));
  EXPECT_EQ(tick(), "buzz-crash-loop");
  EXPECT_EQ(*policy.next_reminder(), onset + seconds(20));
  EXPECT_EQ(tick(), "");
  // Cleared: no more reminders.
  EXPECT_EQ(change({Fault::unclean_reset}), "");
  EXPECT_FALSE(policy.next_reminder().has_value());
  clock.advance(seconds(30));
  EXPECT_EQ(tick(), "");
}

TEST_F(SignalBuzzer, NoRemindersWhenTheIntervalIsZero) {
  EXPECT_EQ(change({Fault::boot_loop_lockout}), "buzz-lockout");
  EXPECT_FALSE(policy.next_reminder().has_value());
  clock.advance(seconds(3600));
  EXPECT_EQ(tick(), "");
}

TEST_F(SignalBuzzer, StoppedMotorsAreRemindedUntilRearmed) {
  policy.set_reminder(seconds(5));
  EXPECT_EQ(change({Fault::motors_awaiting_rearm}), "");
  EXPECT_FALSE(policy.next_reminder().has_value());  // start-up wait: nothing to remind
  EXPECT_EQ(change({Fault::motors_awaiting_rearm, Fault::app_dead}), "buzz-motors-stopped");
  EXPECT_EQ(change({Fault::motors_awaiting_rearm}), "");  // app back, still awaiting re-arm
  clock.advance(seconds(5));
  EXPECT_EQ(tick(), "buzz-motors-stopped");
  EXPECT_EQ(change({}), "");
  EXPECT_FALSE(policy.next_reminder().has_value());
}

TEST_F(SignalBuzzer, QuietUsesUpTheOnsetAndSilencesReminders) {
  policy.set_reminder(seconds(10));
  EXPECT_EQ(change({Fault::app_dead}, true), "");
  EXPECT_EQ(change({Fault::app_dead}, false), "");  // the onset is gone, not deferred
  clock.advance(seconds(10));
  EXPECT_EQ(tick(true), "");
  clock.advance(seconds(10));
  EXPECT_EQ(tick(false), "buzz-motors-stopped");  // quiet over: reminders resume
}

}  // namespace
}  // namespace lifeline::signals
