// Patterns are data built from the fault table and one timing table; the player gives
// exact levels and edges. docs/signals.md is checked against the same table.
#include "signals/pattern.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fault/fault_set.hpp"
#include "signals/arbiter.hpp"

namespace lifeline::signals {
namespace {

using std::chrono::milliseconds;

struct Edge {
  long long at_ms;
  bool level;
  bool operator==(const Edge&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Edge& edge) {
  return out << "{" << edge.at_ms << " ms, " << (edge.level ? "on" : "off") << "}";
}

// Walks next_edge() from the start and records every edge up to `until_ms`.
std::vector<Edge> edges(const Pattern& pattern, long long until_ms) {
  hal::FakeClock clock;
  const hal::MonoTime start = clock.now();
  PatternPlayer player;
  player.start(&pattern, start);
  std::vector<Edge> out{{0, player.level(start)}};
  hal::MonoTime t = start;
  while (auto next = player.next_edge(t)) {
    if (*next - start > milliseconds(until_ms)) break;
    t = *next;
    out.push_back({std::chrono::duration_cast<milliseconds>(t - start).count(), player.level(t)});
  }
  return out;
}

TEST(SignalPattern, EveryFaultsBlinkPatternHasItsCodesLongAndShortFlashes) {
  for (const FaultInfo& info : kFaultTable) {
    const Pattern pattern = blink_pattern(info.blink);
    const BlinkCount count = count_blinks(pattern);
    EXPECT_EQ(count.long_blinks, info.blink.long_blinks) << info.name;
    EXPECT_EQ(count.short_blinks, info.blink.short_blinks) << info.name;
    // Every flash is a long or a short one, longs first, and the pattern ends dark.
    bool seen_short = false;
    for (const Step& step : pattern.steps) {
      if (!step.on) continue;
      ASSERT_TRUE(step.duration == kTimings.long_on || step.duration == kTimings.short_on);
      if (step.duration == kTimings.short_on) seen_short = true;
      EXPECT_FALSE(seen_short && step.duration == kTimings.long_on) << info.name;
    }
    ASSERT_FALSE(pattern.steps.empty());
    EXPECT_FALSE(pattern.steps.back().on);
    EXPECT_EQ(pattern.steps.back().duration, kTimings.pause);
    EXPECT_TRUE(pattern.repeat);
    EXPECT_EQ(led_pattern_for(info.fault).steps.size(), pattern.steps.size()) << info.name;
    EXPECT_EQ(led_pattern_for(info.fault).name, pattern.name);
  }
}

TEST(SignalPattern, BlinkCodeTwoOneHasExactEdges) {
  const Pattern pattern = blink_pattern(BlinkCode{2, 1});
  EXPECT_EQ(pattern.name, "code 2-1");
  // 600 on, 300 off, 600 on, 300 off, 150 on, 1500 off: 3450 ms, then again.
  const std::vector<Edge> expected{{0, true},    {600, false},  {900, true},  {1500, false},
                                   {1800, true}, {1950, false}, {3450, true}, {4050, false},
                                   {4350, true}, {4950, false}, {5250, true}, {5400, false},
                                   {6900, true}};
  EXPECT_EQ(edges(pattern, 6900), expected);
  EXPECT_EQ(pattern_length(pattern), milliseconds(3450));
}

TEST(SignalPattern, LevelsBetweenAndAtEdges) {
  const Pattern pattern = blink_pattern(BlinkCode{1, 2});
  hal::FakeClock clock;
  const hal::MonoTime start = clock.now();
  PatternPlayer player;
  player.start(&pattern, start);
  const auto at = [&](long long ms) { return start + milliseconds(ms); };
  EXPECT_TRUE(player.level(at(0)));
  EXPECT_TRUE(player.level(at(599)));
  EXPECT_FALSE(player.level(at(600)));  // an edge belongs to the new level
  EXPECT_TRUE(player.level(at(900)));
  EXPECT_FALSE(player.level(at(1050)));
  EXPECT_TRUE(player.level(at(1350)));
  EXPECT_FALSE(player.level(at(1500)));
  EXPECT_FALSE(player.level(at(2999)));
  EXPECT_TRUE(player.level(at(3000)));
  // next_edge is strictly after t, also when t is an edge.
  EXPECT_EQ(*player.next_edge(at(600)), at(900));
  EXPECT_EQ(*player.next_edge(at(599)), at(600));
  EXPECT_EQ(*player.next_edge(at(1500)), at(3000));
  // A late caller (a stalled loop) lands on the right phase, far into the pattern.
  EXPECT_EQ(*player.next_edge(at(300'000 + 1400)), at(300'000 + 1500));
  EXPECT_TRUE(player.level(at(300'000 + 1400)));
  // Before the start reads as the start.
  EXPECT_TRUE(player.level(start - milliseconds(5)));
  EXPECT_EQ(*player.next_edge(start - milliseconds(5)), at(600));
}

TEST(SignalPattern, HealthyIsAShortTickEveryTwoSeconds) {
  const std::vector<Edge> expected{
      {0, true}, {50, false}, {2000, true}, {2050, false}, {4000, true}};
  EXPECT_EQ(edges(healthy_pattern(), 4000), expected);
}

TEST(SignalPattern, LockoutBlinksAtFourHertz) {
  const std::vector<Edge> expected{{0, true}, {125, false}, {250, true}, {375, false}, {500, true}};
  EXPECT_EQ(edges(lockout_pattern(), 500), expected);
}

TEST(SignalPattern, SolidAndDarkPatternsHaveNoEdges) {
  for (const Pattern& pattern : {estop_pattern(), stopped_pattern(), off_pattern()}) {
    PatternPlayer player;
    hal::FakeClock clock;
    player.start(&pattern, clock.now());
    EXPECT_EQ(player.level(clock.now() + milliseconds(12345)), pattern.name == "estop");
    EXPECT_FALSE(player.next_edge(clock.now()).has_value()) << pattern.name;
    EXPECT_FALSE(player.finished(clock.now() + std::chrono::hours(1)));
  }
  PatternPlayer idle;  // nothing started: off, no edges
  EXPECT_FALSE(idle.level(hal::MonoTime{}));
  EXPECT_FALSE(idle.next_edge(hal::MonoTime{}).has_value());
}

TEST(SignalPattern, LocateIsADoubleFlashOnceASecond) {
  const std::vector<Edge> expected{{0, true},    {100, false}, {200, true},
                                   {300, false}, {1000, true}, {1100, false}};
  EXPECT_EQ(edges(locate_pattern(), 1100), expected);
  EXPECT_EQ(edges(buzzer_locate_pattern(), 1100), expected);  // beeps in step with it
}

TEST(SignalPattern, BuzzerAlertsPlayOnceAndEnd) {
  const Pattern pattern = buzzer_pattern(BuzzerAlert::motors_stopped);
  EXPECT_FALSE(pattern.repeat);
  const std::vector<Edge> expected{{0, true},    {150, false}, {300, true},
                                   {450, false}, {600, true},  {750, false}};
  EXPECT_EQ(edges(pattern, 100'000), expected);
  hal::FakeClock clock;
  PatternPlayer player;
  player.start(&pattern, clock.now());
  EXPECT_EQ(*player.end_time(), clock.now() + milliseconds(750));
  EXPECT_FALSE(player.finished(clock.now() + milliseconds(749)));
  EXPECT_TRUE(player.finished(clock.now() + milliseconds(750)));
  EXPECT_FALSE(player.level(clock.now() + milliseconds(800)));

  EXPECT_EQ(edges(buzzer_pattern(BuzzerAlert::lockout), 100'000),
            (std::vector<Edge>{{0, true}, {1500, false}}));
  EXPECT_EQ(edges(buzzer_pattern(BuzzerAlert::crash_loop), 100'000),
            (std::vector<Edge>{{0, true}, {500, false}, {650, true}, {1150, false}}));
  EXPECT_EQ(edges(buzzer_pattern(BuzzerAlert::critical), 100'000),
            (std::vector<Edge>{{0, true}, {400, false}}));
  EXPECT_TRUE(buzzer_pattern(BuzzerAlert::none).steps.empty());
}

TEST(SignalPattern, WhichFaultsSound) {
  EXPECT_EQ(buzzer_alert_for(Fault::boot_loop_lockout), BuzzerAlert::lockout);
  EXPECT_EQ(buzzer_alert_for(Fault::app_crash_loop), BuzzerAlert::crash_loop);
  for (Fault fault : {Fault::app_dead, Fault::app_hung, Fault::app_errors, Fault::estop_active,
                      Fault::motors_awaiting_rearm}) {
    EXPECT_EQ(buzzer_alert_for(fault), BuzzerAlert::motors_stopped) << fault_info(fault).name;
  }
  EXPECT_EQ(buzzer_alert_for(Fault::watchdog_unavailable), BuzzerAlert::critical);
  EXPECT_EQ(buzzer_alert_for(Fault::motor_enable_unavailable), BuzzerAlert::critical);
  EXPECT_EQ(buzzer_alert_for(Fault::unclean_reset), BuzzerAlert::none);
  EXPECT_EQ(buzzer_alert_for(Fault::motor_serial_down), BuzzerAlert::none);
  EXPECT_EQ(buzzer_pattern_for(Fault::app_crash_loop).name, "buzz-crash-loop");
}

TEST(SignalPattern, MakePatternMergesAndDropsEmptySteps) {
  const Pattern pattern = make_pattern("p",
                                       {{true, milliseconds(10)},
                                        {true, milliseconds(5)},
                                        {false, milliseconds(0)},
                                        {false, milliseconds(20)},
                                        {true, milliseconds(0)},
                                        {false, milliseconds(1)}},
                                       true);
  ASSERT_EQ(pattern.steps.size(), 2U);
  EXPECT_TRUE(pattern.steps[0].on);
  EXPECT_EQ(pattern.steps[0].duration, milliseconds(15));
  EXPECT_EQ(pattern.steps[1].duration, milliseconds(21));
}

TEST(SignalPattern, NamedPatternsAreDistinct) {
  const PatternLibrary& lib = patterns();
  std::vector<std::string> names{lib.healthy.name, lib.lockout.name, lib.estop.name,
                                 lib.locate.name,  lib.stopped.name, lib.off.name};
  for (const Pattern& code : lib.blink_codes) names.push_back(code.name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::unique(names.begin(), names.end()), names.end());
}

// The row docs/signals.md must have for a fault, derived from the patterns themselves.
std::string doc_row(const FaultInfo& info) {
  const BlinkCount count = count_blinks(blink_pattern(info.blink));
  std::string led =
      std::to_string(count.long_blinks) + " long, " + std::to_string(count.short_blinks) + " short";
  if (info.fault == Fault::boot_loop_lockout) led = "lockout (4 Hz blink)";
  if (info.fault == Fault::estop_active) led = "e-stop (solid on)";
  std::string buzzer = buzzer_pattern_for(info.fault).name;
  if (info.fault == Fault::motors_awaiting_rearm) buzzer += " (after a stop)";
  return "| " + std::to_string(fault_code(info.fault)) + " | `" + std::string(info.name) + "` | " +
         std::string(severity_name(info.severity)) + " | " + led + " | " + buzzer + " |";
}

TEST(SignalPattern, DocsListEveryFaultsCode) {
  const std::string path = std::string(LIFELINE_SOURCE_DIR) + "/docs/signals.md";
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << path;
  std::stringstream text;
  text << in.rdbuf();
  for (const FaultInfo& info : kFaultTable) {
    const std::string row = doc_row(info);
    EXPECT_NE(text.str().find(row + "\n"), std::string::npos)
        << path << " lacks (or has a stale) row for " << info.name << "; expected:\n"
        << row;
  }
}

}  // namespace
}  // namespace lifeline::signals
