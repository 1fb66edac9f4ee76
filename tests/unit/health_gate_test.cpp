// The health gate (deadlines, staleness, lockout mode, the failure listener), the pet
// latch, and the safe-state sequence that runs when the gate closes.
#include "watchdog/health_gate.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "agent/safe_state.hpp"
#include "lifeline/hal/clock.hpp"

namespace lifeline {
namespace {

using std::chrono::milliseconds;

class HealthGateTest : public ::testing::Test {
 protected:
  hal::FakeClock clock;
  HealthGate gate;
  hal::MonoTime t0 = clock.now();
};

TEST_F(HealthGateTest, NewCheckIsFreshForExactlyOneDeadlineFromAdd) {
  const CheckId id = gate.add_check("app-alive", milliseconds(1000), t0);
  EXPECT_TRUE(gate.evaluate(t0).open);
  EXPECT_TRUE(gate.evaluate(t0 + milliseconds(1000)).open);

  const GateVerdict stale = gate.evaluate(t0 + milliseconds(1001));
  EXPECT_FALSE(stale.open);
  ASSERT_TRUE(stale.culprit.has_value());
  EXPECT_EQ(*stale.culprit, id);
  EXPECT_EQ(stale.reason, "check 'app-alive' stale: no report for 1.0 s (deadline 1.0 s)");
}

TEST_F(HealthGateTest, StaleReasonGivesAgeAndDeadlineInSeconds) {
  gate.add_check("app-alive", milliseconds(1500), t0);
  EXPECT_EQ(gate.evaluate(t0 + milliseconds(7240)).reason,
            "check 'app-alive' stale: no report for 7.2 s (deadline 1.5 s)");
}

TEST_F(HealthGateTest, OpenVerdictHasNoCulpritAndNoReason) {
  gate.add_check("app-alive", milliseconds(1000), t0);
  const GateVerdict verdict = gate.evaluate(t0 + milliseconds(10));
  EXPECT_TRUE(verdict.open);
  EXPECT_FALSE(verdict.culprit.has_value());
  EXPECT_EQ(verdict.reason, "");
}

TEST_F(HealthGateTest, EmptyGateIsOpen) {
  EXPECT_TRUE(gate.evaluate(t0).open);
}

TEST_F(HealthGateTest, ReportRestartsTheDeadline) {
  const CheckId id = gate.add_check("app-alive", milliseconds(1000), t0);
  gate.report(id, true, t0 + milliseconds(900));
  EXPECT_TRUE(gate.evaluate(t0 + milliseconds(1900)).open);
  EXPECT_FALSE(gate.evaluate(t0 + milliseconds(1901)).open);
}

TEST_F(HealthGateTest, StaleCheckRecoversWhenItReportsAgain) {
  const CheckId id = gate.add_check("app-alive", milliseconds(1000), t0);
  ASSERT_FALSE(gate.evaluate(t0 + milliseconds(5000)).open);
  gate.report(id, true, t0 + milliseconds(5000));
  EXPECT_TRUE(gate.evaluate(t0 + milliseconds(5000)).open);
}

TEST_F(HealthGateTest, FailingReportClosesWithItsDetail) {
  const CheckId id = gate.add_check("app-alive", milliseconds(1000), t0);
  gate.report(id, false, t0 + milliseconds(100), "file is 7.2 s old");
  const GateVerdict verdict = gate.evaluate(t0 + milliseconds(100));
  EXPECT_FALSE(verdict.open);
  EXPECT_EQ(verdict.culprit, id);
  EXPECT_EQ(verdict.reason, "check 'app-alive' failing: file is 7.2 s old");
}

TEST_F(HealthGateTest, FailingWithoutDetailHasNoColon) {
  const CheckId id = gate.add_check("loop", milliseconds(1000), t0);
  gate.report(id, false, t0);
  EXPECT_EQ(gate.evaluate(t0).reason, "check 'loop' failing");
}

TEST_F(HealthGateTest, PassingReportReopensAndClearsDetail) {
  const CheckId id = gate.add_check("app-alive", milliseconds(1000), t0);
  gate.report(id, false, t0, "bad");
  gate.report(id, true, t0 + milliseconds(10));
  EXPECT_TRUE(gate.evaluate(t0 + milliseconds(10)).open);
  EXPECT_EQ(gate.view(t0 + milliseconds(10)).at(0).detail, "");
}

TEST_F(HealthGateTest, StaleTakesPrecedenceOverFailingForTheSameCheck) {
  const CheckId id = gate.add_check("app-alive", milliseconds(1000), t0);
  gate.report(id, false, t0, "bad");
  EXPECT_EQ(gate.evaluate(t0 + milliseconds(2000)).reason,
            "check 'app-alive' stale: no report for 2.0 s (deadline 1.0 s)");
}

TEST_F(HealthGateTest, CulpritIsTheFirstFailingCheckInRegistrationOrder) {
  const CheckId a = gate.add_check("a", milliseconds(1000), t0);
  const CheckId b = gate.add_check("b", milliseconds(1000), t0);
  const CheckId c = gate.add_check("c", milliseconds(1000), t0);
  gate.report(c, false, t0, "c bad");
  gate.report(b, false, t0, "b bad");
  EXPECT_EQ(gate.evaluate(t0).culprit, b);
  gate.report(a, false, t0, "a bad");
  EXPECT_EQ(gate.evaluate(t0).culprit, a);
  EXPECT_EQ(gate.evaluate(t0).reason, "check 'a' failing: a bad");
}

TEST_F(HealthGateTest, LockoutCountsOnlyEssentialChecks) {
  const CheckId app = gate.add_check("app-alive", milliseconds(1000), t0);
  const CheckId loop = gate.add_check("loop", milliseconds(1000), t0, /*essential=*/true);
  gate.report(app, false, t0, "bad");
  gate.set_mode(GateMode::lockout);
  EXPECT_EQ(gate.mode(), GateMode::lockout);
  EXPECT_TRUE(gate.evaluate(t0).open);
  // A non-essential check going stale does not matter either.
  gate.report(loop, true, t0 + milliseconds(5000));
  EXPECT_TRUE(gate.evaluate(t0 + milliseconds(5000)).open);
  // The essential one still does.
  const GateVerdict stale = gate.evaluate(t0 + milliseconds(6001));
  EXPECT_FALSE(stale.open);
  EXPECT_EQ(stale.culprit, loop);

  gate.set_mode(GateMode::normal);
  EXPECT_EQ(gate.mode(), GateMode::normal);
  EXPECT_EQ(gate.evaluate(t0 + milliseconds(5000)).culprit, app);
}

TEST_F(HealthGateTest, OnFailureFiresOncePerTurnToFailing) {
  int calls = 0;
  gate.on_failure([&] { ++calls; });
  const CheckId id = gate.add_check("app-alive", milliseconds(1000), t0);
  gate.report(id, true, t0);
  EXPECT_EQ(calls, 0);
  gate.report(id, false, t0, "bad");
  EXPECT_EQ(calls, 1);
  gate.report(id, false, t0, "still bad");
  EXPECT_EQ(calls, 1);
  gate.report(id, true, t0);
  EXPECT_EQ(calls, 1);
  gate.report(id, false, t0);
  EXPECT_EQ(calls, 2);
}

TEST_F(HealthGateTest, OnFailureIgnoresChecksThatDoNotCountInLockout) {
  int calls = 0;
  gate.on_failure([&] { ++calls; });
  const CheckId app = gate.add_check("app-alive", milliseconds(1000), t0);
  const CheckId loop = gate.add_check("loop", milliseconds(1000), t0, true);
  gate.set_mode(GateMode::lockout);
  gate.report(app, false, t0);
  EXPECT_EQ(calls, 0);
  gate.report(loop, false, t0);
  EXPECT_EQ(calls, 1);
}

TEST_F(HealthGateTest, RemovedCheckNoLongerCountsAndIgnoresReports) {
  int calls = 0;
  gate.on_failure([&] { ++calls; });
  const CheckId a = gate.add_check("a", milliseconds(1000), t0);
  const CheckId b = gate.add_check("b", milliseconds(1000), t0);
  gate.report(a, false, t0, "bad");
  ASSERT_EQ(calls, 1);
  gate.remove_check(a);
  EXPECT_TRUE(gate.evaluate(t0).open);
  EXPECT_FALSE(gate.find("a").has_value());
  gate.report(a, true, t0);
  gate.report(a, false, t0);
  EXPECT_EQ(calls, 1);
  // Other ids stay valid, and a new check gets a fresh id.
  EXPECT_EQ(gate.find("b"), b);
  const CheckId c = gate.add_check("c", milliseconds(1000), t0);
  EXPECT_NE(c, a);
  EXPECT_NE(c, b);
  EXPECT_EQ(gate.find("c"), c);
  ASSERT_EQ(gate.view(t0).size(), 2U);
  EXPECT_EQ(gate.view(t0)[0].name, "b");
  EXPECT_EQ(gate.view(t0)[1].name, "c");
}

TEST_F(HealthGateTest, UnknownIdsAreIgnored) {
  gate.add_check("a", milliseconds(1000), t0);
  gate.report(42, false, t0);
  gate.remove_check(42);
  EXPECT_TRUE(gate.evaluate(t0).open);
  EXPECT_FALSE(gate.find("nope").has_value());
}

TEST_F(HealthGateTest, ViewReportsEveryField) {
  gate.add_check("app-alive", milliseconds(1000), t0);
  const CheckId loop = gate.add_check("loop", milliseconds(2000), t0, true);
  gate.report(loop, false, t0 + milliseconds(500), "stalled");

  const auto views = gate.view(t0 + milliseconds(1001));
  ASSERT_EQ(views.size(), 2U);
  EXPECT_EQ(views[0].name, "app-alive");
  EXPECT_FALSE(views[0].essential);
  EXPECT_TRUE(views[0].passing);
  EXPECT_FALSE(views[0].fresh);
  EXPECT_EQ(views[0].age, milliseconds(1001));
  EXPECT_EQ(views[0].deadline, milliseconds(1000));
  EXPECT_EQ(views[0].detail, "");

  EXPECT_EQ(views[1].name, "loop");
  EXPECT_TRUE(views[1].essential);
  EXPECT_FALSE(views[1].passing);
  EXPECT_TRUE(views[1].fresh);
  EXPECT_EQ(views[1].age, milliseconds(501));
  EXPECT_EQ(views[1].deadline, milliseconds(2000));
  EXPECT_EQ(views[1].detail, "stalled");

  EXPECT_TRUE(gate.view(t0 + milliseconds(1000))[0].fresh);
}

TEST(PetLatch, PetsWhileOpenThenLatchesClosed) {
  PetLatch latch;
  const GateVerdict open{};
  const GateVerdict closed{false, CheckId{0}, "check 'a' failing"};
  EXPECT_EQ(latch.on_tick(open), PetAction::pet);
  EXPECT_EQ(latch.on_tick(open), PetAction::pet);
  EXPECT_FALSE(latch.closed());
  EXPECT_EQ(latch.on_tick(closed), PetAction::close_gate);
  EXPECT_TRUE(latch.closed());
  // Never pets again in this process, even when the gate reopens.
  EXPECT_EQ(latch.on_tick(open), PetAction::withhold);
  EXPECT_EQ(latch.on_tick(closed), PetAction::withhold);
  EXPECT_TRUE(latch.closed());
}

// SafeState: every participant acts, in order, before the one event is recorded.
struct Log {
  std::vector<std::string> entries;
};

class LogSink final : public EventSink {
 public:
  explicit LogSink(Log& log) : log_(log) {}
  void record(Event event) override {
    log_.entries.push_back("event");
    events.push_back(std::move(event));
  }
  std::vector<Event> events;

 private:
  Log& log_;
};

class Participant final : public SafeStateParticipant {
 public:
  Participant(std::string name, Log& log) : name_(std::move(name)), log_(log) {}
  [[nodiscard]] std::string_view name() const override { return name_; }
  void enter_safe_state() noexcept override { log_.entries.push_back(name_); }

 private:
  std::string name_;
  Log& log_;
};

TEST(SafeState, RunsEveryParticipantInOrderThenRecordsOneEvent) {
  Log log;
  LogSink sink(log);
  Participant motor("motor_enable", log);
  Participant buzzer("buzzer", log);
  Participant led("status_led", log);
  SafeState safe(sink);
  safe.add(motor);
  safe.add(buzzer);
  safe.add(led);
  EXPECT_EQ(safe.participants(), 3U);
  EXPECT_FALSE(safe.entered());

  safe.enter("health gate closed");

  EXPECT_TRUE(safe.entered());
  EXPECT_EQ(log.entries,
            (std::vector<std::string>{"motor_enable", "buzzer", "status_led", "event"}));
  ASSERT_EQ(sink.events.size(), 1U);
  const Event& event = sink.events[0];
  EXPECT_EQ(event.kind, EventKind::safe_state_entered);
  EXPECT_FALSE(event.fault.has_value());
  EXPECT_EQ(event.severity, Severity::warning);
  EXPECT_EQ(event.message, "safe state entered: health gate closed");
  EXPECT_EQ(event.fields,
            (std::vector<EventField>{{"participants", "motor_enable,buzzer,status_led"}}));
}

TEST(SafeState, WithoutParticipantsStillRecordsNamingNone) {
  Log log;
  LogSink sink(log);
  SafeState safe(sink);
  safe.enter("lockout");
  EXPECT_TRUE(safe.entered());
  ASSERT_EQ(sink.events.size(), 1U);
  EXPECT_EQ(sink.events[0].message, "safe state entered: lockout");
  EXPECT_EQ(sink.events[0].fields, (std::vector<EventField>{{"participants", "none"}}));
}

}  // namespace
}  // namespace lifeline
