// SignalService on a real sd-event loop with sim lines: the edges logged by the sim line
// match the documented timings; a failing output is reported once and the rest go on.
#include "signals/signal_service.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "hal/sim/sim_output_line.hpp"

namespace lifeline::signals {
namespace {

using namespace std::chrono_literals;

constexpr long long kToleranceMs = 30;

struct LoggedEdge {
  long long ns;
  bool level;
};

std::vector<LoggedEdge> read_log(const std::string& path) {
  std::vector<LoggedEdge> edges;
  std::ifstream in(path);
  long long ns = 0;
  int level = 0;
  while (in >> ns >> level) edges.push_back({ns, level != 0});
  return edges;
}

// (level, how long it lasted in ms) for each edge after the first that turned the line on;
// the last, still running, level is left out.
std::vector<std::pair<bool, long long>> durations(const std::vector<LoggedEdge>& edges) {
  std::vector<std::pair<bool, long long>> out;
  std::size_t first = 0;
  while (first < edges.size() && !edges[first].level) ++first;
  for (std::size_t i = first; i + 1 < edges.size(); ++i) {
    out.emplace_back(edges[i].level, (edges[i + 1].ns - edges[i].ns) / 1'000'000);
  }
  return out;
}

void expect_durations(const std::vector<std::pair<bool, long long>>& seen,
                      const std::vector<std::pair<bool, long long>>& expected) {
  ASSERT_GE(seen.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(seen[i].first, expected[i].first) << "edge " << i;
    EXPECT_NEAR(static_cast<double>(seen[i].second), static_cast<double>(expected[i].second),
                static_cast<double>(kToleranceMs))
        << "step " << i << " (" << (expected[i].first ? "on" : "off") << ")";
  }
}

std::vector<ActiveFault> faults(std::initializer_list<Fault> list) {
  std::vector<ActiveFault> out;
  for (Fault fault : list) out.push_back(ActiveFault{fault, hal::WallTime{}, "test"});
  return out;
}

// An output whose set() fails from the `fail_from`-th call on (1-based; 0: never).
class FakeLine final : public hal::OutputLine {
 public:
  explicit FakeLine(int fail_from) : fail_from_(fail_from) {}
  Status set(bool active) override {
    ++calls_;
    if (fail_from_ > 0 && calls_ >= fail_from_) return Error{EIO, "line vanished"};
    value_ = active;
    return ok_status();
  }
  [[nodiscard]] bool get() const override { return value_; }
  [[nodiscard]] std::string describe() const override { return "fake line"; }

 private:
  int fail_from_;
  int calls_ = 0;
  bool value_ = false;
};

class SignalServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "lifeline-signals-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir = pattern;
    auto created = EventLoop::create();
    ASSERT_TRUE(created.ok());
    loop = std::move(*created);
  }
  void TearDown() override {
    service.reset();
    std::filesystem::remove_all(dir);
  }
  std::unique_ptr<hal::OutputLine> sim(const std::string& role) {
    auto line = hal::SimOutputLine::open(dir, role, clock, false);
    EXPECT_TRUE(line.ok());
    return line ? std::unique_ptr<hal::OutputLine>(std::move(*line)) : nullptr;
  }
  void make(std::unique_ptr<hal::OutputLine> led, std::unique_ptr<hal::OutputLine> secondary,
            std::unique_ptr<hal::OutputLine> buzzer, SignalSettings settings = {}) {
    service = std::make_unique<signals::SignalService>(
        *loop, clock, std::move(led), std::move(secondary), std::move(buzzer), settings,
        [this](const std::string& which, const std::string& error) {
          failures.emplace_back(which, error);
        });
  }
  void run_for(std::chrono::milliseconds span) {
    const auto end = std::chrono::steady_clock::now() + span;
    while (std::chrono::steady_clock::now() < end) sd_event_run(loop->raw(), 10'000);
  }
  [[nodiscard]] std::vector<LoggedEdge> log(const std::string& role) const {
    return read_log(dir + "/lines/" + role + ".log");
  }
  [[nodiscard]] std::string pattern(const char* output) const {
    return service->status()[output]["pattern"].get<std::string>();
  }

  std::string dir;
  std::unique_ptr<EventLoop> loop;
  hal::SystemClock clock;
  std::unique_ptr<signals::SignalService> service;
  std::vector<std::pair<std::string, std::string>> failures;
};

TEST_F(SignalServiceTest, BlinkCodeEdgesOnTheSimLineMatchTheTimingTable) {
  make(sim("status_led"), nullptr, sim("buzzer"));
  service->on_faults_changed(faults({Fault::watchdog_did_not_fire}));  // code 1-2, critical
  ASSERT_TRUE(service->start().ok());
  run_for(2200ms);
  // 600 on, 300 off, 150 on, 300 off, 150 on, then the 1500 ms pause (still running).
  expect_durations(durations(log("status_led")),
                   {{true, 600}, {false, 300}, {true, 150}, {false, 300}, {true, 150}});
  const auto led = log("status_led");
  ASSERT_FALSE(led.empty());
  EXPECT_FALSE(led.back().level);
  // The onset beeped once: one 400 ms tone, then silence.
  const auto buzzer = log("buzzer");
  expect_durations(durations(buzzer), {{true, 400}});
  EXPECT_EQ(durations(buzzer).size(), 1U);
  EXPECT_EQ(pattern("led"), "code 1-2");
  EXPECT_EQ(service->status()["led"]["fault"], "watchdog_did_not_fire");
  EXPECT_EQ(pattern("buzzer"), "off");
  EXPECT_TRUE(failures.empty());
}

TEST_F(SignalServiceTest, HealthyHeartbeatOnTheSimLine) {
  make(sim("status_led"), nullptr, nullptr);
  ASSERT_TRUE(service->start().ok());
  run_for(2150ms);
  expect_durations(durations(log("status_led")), {{true, 50}, {false, 1950}, {true, 50}});
  EXPECT_EQ(pattern("led"), "healthy");
  EXPECT_EQ(service->status()["buzzer"]["output"], "absent");
}

TEST_F(SignalServiceTest, LockoutOverridesWithAFastBlink) {
  make(sim("status_led"), nullptr, nullptr);
  ASSERT_TRUE(service->start().ok());
  service->on_faults_changed(faults({Fault::boot_loop_lockout, Fault::app_dead}));
  run_for(700ms);
  EXPECT_EQ(pattern("led"), "lockout");
  expect_durations(durations(log("status_led")),
                   {{true, 125}, {false, 125}, {true, 125}, {false, 125}});
}

TEST_F(SignalServiceTest, RedGreenPairSplitsHeartbeatAndFaults) {
  make(sim("status_led"), sim("status_led_secondary"), nullptr);
  ASSERT_TRUE(service->start().ok());
  run_for(100ms);
  EXPECT_EQ(pattern("led"), "off");
  EXPECT_EQ(pattern("led_secondary"), "healthy");
  EXPECT_EQ(log("status_led").size(), 1U);  // only the initial 0
  expect_durations(durations(log("status_led_secondary")), {{true, 50}});
  service->on_faults_changed(faults({Fault::estop_active}));
  run_for(100ms);
  EXPECT_EQ(pattern("led"), "estop");
  EXPECT_EQ(pattern("led_secondary"), "off");
  EXPECT_TRUE(log("status_led").back().level);
  EXPECT_FALSE(log("status_led_secondary").back().level);
}

TEST_F(SignalServiceTest, FailingLedIsReportedOnceAndTheOthersCarryOn) {
  make(std::make_unique<FakeLine>(1), sim("status_led_secondary"), sim("buzzer"));
  ASSERT_TRUE(service->start().ok());
  service->on_faults_changed(faults({Fault::app_dead}));
  run_for(300ms);
  service->on_faults_changed(faults({Fault::app_dead, Fault::motors_awaiting_rearm}));
  run_for(600ms);
  ASSERT_EQ(failures.size(), 1U);
  EXPECT_EQ(failures[0].first, "status_led");
  EXPECT_EQ(failures[0].second, "line vanished");
  const auto status = service->status();
  EXPECT_EQ(status["led"]["output"], "failed");
  EXPECT_EQ(status["led"]["error"], "line vanished");
  // The green LED of the pair now shows the code on its own; the buzzer sounded.
  EXPECT_EQ(pattern("led_secondary"), "code 4-1");
  expect_durations(durations(log("status_led_secondary")), {{true, 600}});
  expect_durations(durations(log("buzzer")),
                   {{true, 150}, {false, 150}, {true, 150}, {false, 150}, {true, 150}});
}

TEST_F(SignalServiceTest, BuzzerFailingMidAlertLeavesTheLedBlinking) {
  // The buzzer's first set() works, its second (the first beep's end) fails.
  make(sim("status_led"), nullptr, std::make_unique<FakeLine>(3));
  ASSERT_TRUE(service->start().ok());
  service->on_faults_changed(faults({Fault::app_crash_loop}));  // code 4-4, crash-loop beeps
  run_for(1200ms);
  ASSERT_EQ(failures.size(), 1U);
  EXPECT_EQ(failures[0].first, "buzzer");
  expect_durations(durations(log("status_led")), {{true, 600}, {false, 300}});
  EXPECT_TRUE(log("status_led").back().level);  // the second long flash
}

TEST_F(SignalServiceTest, LocateThenBackToNormal) {
  make(sim("status_led"), nullptr, sim("buzzer"));
  ASSERT_TRUE(service->start().ok());
  service->locate(1s);
  EXPECT_EQ(pattern("led"), "locate");
  EXPECT_EQ(pattern("buzzer"), "buzz-locate");
  EXPECT_TRUE(service->status()["locate"]["active"].get<bool>());
  EXPECT_EQ(service->status()["locate"]["remaining_s"], 1);
  run_for(1150ms);
  EXPECT_FALSE(service->locating());
  EXPECT_EQ(pattern("led"), "healthy");
  EXPECT_EQ(pattern("buzzer"), "off");
  expect_durations(durations(log("status_led")),
                   {{true, 100}, {false, 100}, {true, 100}, {false, 700}, {true, 50}});
  // The buzzer beeps in step, then stays off: no edge where the second cycle would start.
  const auto buzzer = log("buzzer");
  expect_durations(durations(buzzer), {{true, 100}, {false, 100}, {true, 100}});
  EXPECT_EQ(durations(buzzer).size(), 3U);
  EXPECT_FALSE(buzzer.back().level);
}

TEST_F(SignalServiceTest, AnAlertDuringLocatePlaysFirstThenLocateResumes) {
  make(sim("status_led"), nullptr, sim("buzzer"));
  ASSERT_TRUE(service->start().ok());
  service->locate(3s);
  service->on_faults_changed(faults({Fault::app_crash_loop}));
  EXPECT_EQ(pattern("buzzer"), "buzz-crash-loop");
  EXPECT_EQ(pattern("led"), "locate");
  run_for(1270ms);  // the alert lasts 1150 ms
  EXPECT_EQ(pattern("buzzer"), "buzz-locate");
  // Locate beeps resume in step with the LED's double flash (which restarts each second).
  expect_durations(durations(log("buzzer")), {{true, 500}, {false, 150}, {true, 500}, {false, 50}});
  EXPECT_TRUE(log("buzzer").back().level);
  service->locate(0s);
  EXPECT_EQ(pattern("buzzer"), "off");
  EXPECT_EQ(pattern("led"), "code 4-4");
}

TEST_F(SignalServiceTest, QuietSilencesTheBuzzerButNotTheLed) {
  make(sim("status_led"), nullptr, sim("buzzer"));
  ASSERT_TRUE(service->start().ok());
  service->set_quiet(true);
  service->on_faults_changed(faults({Fault::app_dead}));
  service->locate(1s);
  run_for(300ms);
  EXPECT_EQ(log("buzzer").size(), 1U);  // only the initial 0
  EXPECT_EQ(pattern("led"), "locate");
  EXPECT_TRUE(service->status()["quiet"]["active"].get<bool>());
  service->locate(0s);
  EXPECT_EQ(pattern("led"), "code 4-1");
  // Quiet switched on mid-alert cuts the alert short.
  service->set_quiet(false);
  service->on_faults_changed(faults({Fault::app_dead, Fault::app_crash_loop}));
  run_for(100ms);
  EXPECT_TRUE(log("buzzer").back().level);
  service->set_quiet(true);
  EXPECT_FALSE(log("buzzer").back().level);
  EXPECT_EQ(pattern("buzzer"), "off");
}

TEST_F(SignalServiceTest, QuietWindowFollowsLocalTime) {
  const int now = local_minute_of_day(clock.wall_now());
  ASSERT_GE(now, 0);
  SignalSettings settings;
  settings.quiet_start_minute = now;
  settings.quiet_end_minute = (now + 2) % 1440;
  make(nullptr, nullptr, sim("buzzer"), settings);
  ASSERT_TRUE(service->start().ok());
  EXPECT_TRUE(service->quiet_now());
  EXPECT_FALSE(service->status()["quiet"]["switch"].get<bool>());
  EXPECT_EQ(service->status()["quiet"]["window"].get<std::string>().size(), 11U);  // HH:MM-HH:MM
  service->on_faults_changed(faults({Fault::boot_loop_lockout}));
  run_for(50ms);
  EXPECT_EQ(log("buzzer").size(), 1U);
  settings.quiet_start_minute = (now + 60) % 1440;
  settings.quiet_end_minute = (now + 120) % 1440;
  service->apply_settings(settings);
  EXPECT_FALSE(service->quiet_now());
}

TEST_F(SignalServiceTest, RemindersSoundAgainWhileTheFaultStays) {
  SignalSettings settings;
  settings.buzzer_reminder = 1s;
  make(nullptr, nullptr, sim("buzzer"), settings);
  ASSERT_TRUE(service->start().ok());
  service->on_faults_changed(faults({Fault::watchdog_unavailable}));
  run_for(1250ms);
  // 400 ms tone, 600 ms silence, the reminder's tone.
  expect_durations(durations(log("buzzer")), {{true, 400}, {false, 600}});
  EXPECT_TRUE(log("buzzer").back().level);
  EXPECT_EQ(service->status()["buzzer"]["reminder_s"], 1);
}

TEST_F(SignalServiceTest, ShutdownLeavesTheLedsOffAndStill) {
  make(sim("status_led"), sim("status_led_secondary"), sim("buzzer"));
  ASSERT_TRUE(service->start().ok());
  service->on_faults_changed(faults({Fault::estop_active}));
  run_for(50ms);
  EXPECT_TRUE(log("status_led").back().level);
  EXPECT_TRUE(log("buzzer").back().level);
  service->shutdown();
  EXPECT_EQ(pattern("led"), "stopped");
  EXPECT_EQ(pattern("led_secondary"), "stopped");
  EXPECT_FALSE(log("status_led").back().level);
  EXPECT_FALSE(log("buzzer").back().level);
  const auto edges = log("status_led").size() + log("buzzer").size();
  service->on_faults_changed(faults({Fault::boot_loop_lockout}));
  service->locate(5s);
  run_for(300ms);
  EXPECT_EQ(log("status_led").size() + log("buzzer").size(), edges);
  EXPECT_TRUE(failures.empty());
}

}  // namespace
}  // namespace lifeline::signals
