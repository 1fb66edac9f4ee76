// The fault table's invariants, the FaultSet's one-event-per-onset rule and LED choice,
// and the event kind names.
#include "fault/fault.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "fault/event.hpp"
#include "fault/fault_set.hpp"
#include "lifeline/hal/clock.hpp"

namespace lifeline {
namespace {

bool is_snake_case(std::string_view name) {
  static const std::regex pattern("[a-z][a-z0-9]*(_[a-z0-9]+)*");
  return std::regex_match(name.begin(), name.end(), pattern);
}

// The enumerators of `enum class <name>` in a header of this repo, as (name, value), so
// a new enumerator without a table row fails here rather than in std::abort at run time.
std::vector<std::pair<std::string, unsigned>> enumerators(const std::string& header,
                                                          const std::string& name) {
  std::ifstream in(std::string(LIFELINE_SOURCE_DIR) + "/" + header);
  std::stringstream text;
  text << in.rdbuf();
  const std::string source = text.str();
  const auto start = source.find("enum class " + name + " ");
  EXPECT_NE(start, std::string::npos) << header << " has no enum class " << name;
  if (start == std::string::npos) return {};
  const auto open = source.find('{', start);
  const auto close = source.find('}', open);
  const std::string body = source.substr(open + 1, close - open - 1);
  std::vector<std::pair<std::string, unsigned>> out;
  static const std::regex item(R"(([a-z_0-9]+)\s*=\s*(\d+))");
  for (auto it = std::sregex_iterator(body.begin(), body.end(), item); it != std::sregex_iterator();
       ++it) {
    out.emplace_back((*it)[1].str(), static_cast<unsigned>(std::stoul((*it)[2].str())));
  }
  return out;
}

TEST(FaultTable, EveryEnumeratorHasARowWithItsOwnName) {
  const auto faults = enumerators("src/fault/fault.hpp", "Fault");
  ASSERT_FALSE(faults.empty());
  EXPECT_EQ(faults.size(), kFaultTable.size());
  for (const auto& [name, code] : faults) {
    const auto fault = fault_from_code(static_cast<std::uint16_t>(code));
    ASSERT_TRUE(fault.has_value()) << name << " = " << code << " has no row";
    EXPECT_EQ(fault_info(*fault).name, name);
  }
}

TEST(FaultTable, CodesAndNamesAreUnique) {
  std::set<std::uint16_t> codes;
  std::set<std::string_view> names;
  for (const auto& info : kFaultTable) {
    EXPECT_TRUE(codes.insert(fault_code(info.fault)).second) << fault_code(info.fault);
    EXPECT_TRUE(names.insert(info.name).second) << info.name;
  }
  EXPECT_EQ(codes.size(), kFaultTable.size());
}

TEST(FaultTable, NamesAreSnakeCase) {
  for (const auto& info : kFaultTable) EXPECT_TRUE(is_snake_case(info.name)) << info.name;
  EXPECT_FALSE(is_snake_case("Health_gate"));
  EXPECT_FALSE(is_snake_case("health-gate"));
  EXPECT_FALSE(is_snake_case("health__gate"));
  EXPECT_FALSE(is_snake_case(""));
}

TEST(FaultTable, BlinkCodesAreUniqueAndReadable) {
  std::set<std::pair<int, int>> seen;
  for (const auto& info : kFaultTable) {
    EXPECT_GE(info.blink.long_blinks, 1) << info.name;
    // One family per capability; 7 is service exclusivity, the last one a person can still
    // count at a glance.
    EXPECT_LE(info.blink.long_blinks, 7) << info.name;
    EXPECT_GE(info.blink.short_blinks, 1) << info.name;
    EXPECT_LE(info.blink.short_blinks, 5) << info.name;
    EXPECT_TRUE(seen.insert({info.blink.long_blinks, info.blink.short_blinks}).second)
        << info.name << " shares its blink code";
  }
}

TEST(FaultTable, MeaningAndActionAreFilledIn) {
  for (const auto& info : kFaultTable) {
    EXPECT_FALSE(info.meaning.empty()) << info.name;
    EXPECT_FALSE(info.action.empty()) << info.name;
    EXPECT_EQ(info.meaning.find('|'), std::string_view::npos) << info.name;  // a table cell
    EXPECT_EQ(info.action.find('\n'), std::string_view::npos) << info.name;
  }
}

TEST(FaultTable, LookupsRoundTrip) {
  for (const auto& info : kFaultTable) {
    EXPECT_EQ(&fault_info(info.fault), &info);
    EXPECT_EQ(fault_from_code(fault_code(info.fault)), info.fault);
    EXPECT_EQ(fault_from_name(info.name), info.fault);
  }
  EXPECT_EQ(fault_code(Fault::health_gate_closed), 112);
  EXPECT_EQ(fault_from_name("boot_loop_lockout"), Fault::boot_loop_lockout);
  EXPECT_EQ(fault_from_code(131), Fault::config_rejected);
}

TEST(FaultTable, UnknownCodesAndNamesAreNotFaults) {
  for (const std::uint16_t code :
       std::initializer_list<std::uint16_t>{0, 1, 100, 103, 110, 999, 65535}) {
    EXPECT_FALSE(fault_from_code(code).has_value()) << code;
  }
  for (const char* name : {"", "unknown", "Watchdog_Unavailable", "watchdog_unavailable "}) {
    EXPECT_FALSE(fault_from_name(name).has_value()) << name;
  }
}

TEST(FaultTable, SeverityNamesRoundTrip) {
  EXPECT_EQ(severity_name(Severity::info), "info");
  EXPECT_EQ(severity_name(Severity::warning), "warning");
  EXPECT_EQ(severity_name(Severity::error), "error");
  EXPECT_EQ(severity_name(Severity::critical), "critical");
  for (const auto s : {Severity::info, Severity::warning, Severity::error, Severity::critical}) {
    EXPECT_EQ(parse_severity(severity_name(s)), s);
  }
  EXPECT_FALSE(parse_severity("Critical").has_value());
  EXPECT_FALSE(parse_severity("").has_value());
  EXPECT_FALSE(parse_severity("fatal").has_value());
  EXPECT_LT(Severity::info, Severity::warning);
  EXPECT_LT(Severity::warning, Severity::error);
  EXPECT_LT(Severity::error, Severity::critical);
}

class CollectingSink final : public EventSink {
 public:
  void record(Event event) override { events.push_back(std::move(event)); }
  std::vector<Event> events;
};

class FaultSetTest : public ::testing::Test {
 protected:
  CollectingSink sink;
  hal::FakeClock clock;
  FaultSet faults{sink, clock};
};

TEST_F(FaultSetTest, RaiseRecordsOneEventPerOnset) {
  EXPECT_TRUE(faults.raise(Fault::health_check_failing, "check 'app' failing", {{"check", "app"}}));
  EXPECT_FALSE(faults.raise(Fault::health_check_failing, "again"));
  EXPECT_FALSE(faults.raise(Fault::health_check_failing, "and again"));
  ASSERT_EQ(sink.events.size(), 1U);
  const Event& event = sink.events[0];
  EXPECT_EQ(event.kind, EventKind::fault_raised);
  EXPECT_EQ(event.fault, Fault::health_check_failing);
  EXPECT_EQ(event.severity, Severity::error);
  EXPECT_EQ(event.message, "health_check_failing: check 'app' failing");
  EXPECT_EQ(event.fields, (std::vector<EventField>{{"check", "app"}}));

  EXPECT_TRUE(faults.active(Fault::health_check_failing));
  EXPECT_FALSE(faults.active(Fault::unclean_reset));
  ASSERT_EQ(faults.active_faults().size(), 1U);
  EXPECT_EQ(faults.active_faults()[0].since, clock.wall_now());
  EXPECT_EQ(faults.active_faults()[0].detail, "check 'app' failing");
}

TEST_F(FaultSetTest, ClearRecordsOnceAndOnlyWhenActive) {
  EXPECT_FALSE(faults.clear(Fault::blackbox_degraded, "never raised"));
  EXPECT_TRUE(sink.events.empty());
  faults.raise(Fault::blackbox_degraded, "disk full");
  EXPECT_TRUE(faults.clear(Fault::blackbox_degraded, "space freed"));
  EXPECT_FALSE(faults.clear(Fault::blackbox_degraded, "again"));
  ASSERT_EQ(sink.events.size(), 2U);
  const Event& event = sink.events[1];
  EXPECT_EQ(event.kind, EventKind::fault_cleared);
  EXPECT_EQ(event.fault, Fault::blackbox_degraded);
  EXPECT_EQ(event.severity, Severity::info);
  EXPECT_EQ(event.message, "blackbox_degraded cleared: space freed");
  EXPECT_TRUE(event.fields.empty());
  EXPECT_FALSE(faults.active(Fault::blackbox_degraded));
  EXPECT_TRUE(faults.active_faults().empty());
}

TEST_F(FaultSetTest, RaiseAfterClearIsANewOnset) {
  faults.raise(Fault::unclean_reset, "one");
  faults.clear(Fault::unclean_reset, "ok");
  EXPECT_TRUE(faults.raise(Fault::unclean_reset, "two"));
  ASSERT_EQ(sink.events.size(), 3U);
  EXPECT_EQ(sink.events[2].kind, EventKind::fault_raised);
  EXPECT_EQ(sink.events[2].message, "unclean_reset: two");
  EXPECT_EQ(sink.events[2].severity, Severity::warning);
}

TEST_F(FaultSetTest, ClearingOneFaultKeepsTheOthers) {
  faults.raise(Fault::unclean_reset, "a");
  faults.raise(Fault::config_rejected, "b");
  faults.raise(Fault::blackbox_degraded, "c");
  faults.clear(Fault::config_rejected, "fixed");
  ASSERT_EQ(faults.active_faults().size(), 2U);
  EXPECT_EQ(faults.active_faults()[0].fault, Fault::unclean_reset);
  EXPECT_EQ(faults.active_faults()[1].fault, Fault::blackbox_degraded);
}

TEST_F(FaultSetTest, MostSevereIsHighestSeverityThenMostRecent) {
  EXPECT_FALSE(faults.most_severe().has_value());
  faults.raise(Fault::unclean_reset, "warning");  // warning
  EXPECT_EQ(faults.most_severe(), Fault::unclean_reset);
  clock.advance(std::chrono::seconds(1));
  faults.raise(Fault::health_gate_closed, "critical, older");
  clock.advance(std::chrono::seconds(1));
  faults.raise(Fault::blackbox_degraded, "error, newer");
  EXPECT_EQ(faults.most_severe(), Fault::health_gate_closed);
  clock.advance(std::chrono::seconds(1));
  faults.raise(Fault::watchdog_unavailable, "critical, newest");
  EXPECT_EQ(faults.most_severe(), Fault::watchdog_unavailable);
  clock.advance(std::chrono::seconds(1));
  faults.raise(Fault::config_rejected, "warning, newest");
  EXPECT_EQ(faults.most_severe(), Fault::watchdog_unavailable);

  faults.clear(Fault::watchdog_unavailable, "ok");
  EXPECT_EQ(faults.most_severe(), Fault::health_gate_closed);
  faults.clear(Fault::health_gate_closed, "ok");
  EXPECT_EQ(faults.most_severe(), Fault::blackbox_degraded);
  faults.clear(Fault::blackbox_degraded, "ok");
  EXPECT_EQ(faults.most_severe(), Fault::config_rejected);
}

TEST_F(FaultSetTest, SameSeveritySameTimeShowsTheLastRaised) {
  faults.raise(Fault::watchdog_unavailable, "a");
  faults.raise(Fault::boot_loop_lockout, "b");
  EXPECT_EQ(faults.most_severe(), Fault::boot_loop_lockout);
  faults.raise(Fault::health_gate_closed, "c");
  EXPECT_EQ(faults.most_severe(), Fault::health_gate_closed);
}

// Event kinds share the fault table's rules: unique codes and snake_case names.
TEST(FaultTableEventKinds, EveryKindHasAUniqueSnakeCaseName) {
  const auto kinds = enumerators("src/fault/event.hpp", "EventKind");
  ASSERT_FALSE(kinds.empty());
  EXPECT_EQ(kinds.size(), kEventKinds.size());
  for (const auto& [name, code] : kinds) {
    EXPECT_EQ(event_kind_name(static_cast<EventKind>(code)), name);
  }
  std::set<std::string_view> names;
  std::set<unsigned> codes;
  for (const auto& info : kEventKinds) {
    EXPECT_TRUE(names.insert(info.name).second) << info.name;
    EXPECT_TRUE(codes.insert(static_cast<unsigned>(info.kind)).second) << info.name;
    EXPECT_TRUE(is_snake_case(info.name)) << info.name;
    EXPECT_EQ(event_kind_name(info.kind), info.name);
  }
}

TEST(FaultTableEventKinds, UnknownKindsAreNamedByNumber) {
  EXPECT_EQ(event_kind_name(EventKind::safe_state_entered), "safe_state_entered");
  EXPECT_EQ(event_kind_name(static_cast<EventKind>(0)), "unknown_0");
  EXPECT_EQ(event_kind_name(static_cast<EventKind>(999)), "unknown_999");
  EXPECT_EQ(event_kind_name(static_cast<EventKind>(65535)), "unknown_65535");
}

}  // namespace
}  // namespace lifeline
