// The file-backed simulated watchdog and output line: what they write, and the simulated
// board reset (armed, unpetted past the timeout, reopened).
#include <gtest/gtest.h>
#include <linux/watchdog.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "hal/sim/sim_output_line.hpp"
#include "hal/sim/sim_watchdog.hpp"
#include "lifeline/hal/clock.hpp"

namespace lifeline::hal {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kHostBootId = "0123456789abcdef0123456789abcdef";

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// FakeClock's monotonic time starts at 1000 s.
std::string at_ms(long long ms_after_start, const std::string& what) {
  return std::to_string(1'000'000'000'000LL + ms_after_start * 1'000'000LL) + " " + what + "\n";
}

class SimHalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "lifeline-sim-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root = pattern;
    dir = root + "/sim";  // open() creates it
  }
  void TearDown() override { std::filesystem::remove_all(root); }
  [[nodiscard]] std::string log() const { return read_text(dir + "/watchdog.log"); }
  [[nodiscard]] std::string state() const { return read_text(dir + "/watchdog.state"); }
  [[nodiscard]] std::string boot_id() const { return sim_boot_id(dir, kHostBootId, clock); }

  // Runs one lifeline: open, timeout, a pet, then leaves it armed (as a crash would).
  void run_and_die(seconds timeout) {
    SimWatchdog watchdog(dir, clock, seconds(60));
    ASSERT_TRUE(watchdog.open().ok());
    ASSERT_TRUE(watchdog.set_timeout(timeout).ok());
    ASSERT_TRUE(watchdog.pet().ok());
    watchdog.close_armed();
  }

  std::string root;
  std::string dir;
  FakeClock clock;
};

using SimWatchdogTest = SimHalTest;
using SimOutputLineTest = SimHalTest;

TEST_F(SimWatchdogTest, LogsEveryOperationWithMonotonicTime) {
  SimWatchdog watchdog(dir, clock, seconds(15));
  EXPECT_FALSE(watchdog.is_open());
  ASSERT_TRUE(watchdog.open().ok());
  EXPECT_TRUE(watchdog.is_open());
  EXPECT_EQ(watchdog.describe(), "sim:" + dir);
  EXPECT_EQ(*watchdog.boot_status(), 0U);
  clock.advance(milliseconds(5));
  auto timeout = watchdog.set_timeout(seconds(10));
  ASSERT_TRUE(timeout.ok());
  EXPECT_EQ(*timeout, seconds(10));
  clock.advance(milliseconds(500));
  ASSERT_TRUE(watchdog.pet().ok());
  clock.advance(milliseconds(500));
  ASSERT_TRUE(watchdog.pet().ok());
  ASSERT_TRUE(watchdog.close_disarmed().ok());
  EXPECT_FALSE(watchdog.is_open());
  EXPECT_EQ(log(), at_ms(0, "open") + at_ms(5, "timeout 10") + at_ms(505, "pet") +
                       at_ms(1005, "pet") + at_ms(1005, "magic_close"));
}

TEST_F(SimWatchdogTest, IdentityAdvertisesMagicCloseAndSettableTimeout) {
  SimWatchdog watchdog(dir, clock, seconds(15));
  auto identity = watchdog.identity();
  ASSERT_TRUE(identity.ok());
  EXPECT_EQ(identity->identity, "lifeline sim watchdog");
  EXPECT_EQ(identity->options,
            static_cast<std::uint32_t>(WDIOF_SETTIMEOUT | WDIOF_MAGICCLOSE | WDIOF_KEEPALIVEPING));
}

TEST_F(SimWatchdogTest, TimeoutIsClampedToTheMaximum) {
  SimWatchdog watchdog(dir, clock, seconds(15));
  ASSERT_TRUE(watchdog.open().ok());
  EXPECT_EQ(*watchdog.set_timeout(seconds(30)), seconds(15));
  EXPECT_EQ(*watchdog.set_timeout(seconds(15)), seconds(15));
  EXPECT_EQ(*watchdog.set_timeout(seconds(3)), seconds(3));
  EXPECT_EQ(log(), at_ms(0, "open") + at_ms(0, "timeout 15") + at_ms(0, "timeout 15") +
                       at_ms(0, "timeout 3"));
}

TEST_F(SimWatchdogTest, StateRecordsArmedUntilMagicClose) {
  SimWatchdog watchdog(dir, clock, seconds(15));
  ASSERT_TRUE(watchdog.open().ok());
  ASSERT_TRUE(watchdog.set_timeout(seconds(10)).ok());
  const std::string wall = "00000001700000000000";  // FakeClock's wall time in ms
  EXPECT_EQ(state(), "armed=1 last_pet_wall_ms=" + wall + " timeout_s=000010 boots=0000000000\n");
  ASSERT_TRUE(watchdog.close_disarmed().ok());
  EXPECT_EQ(state(), "armed=0 last_pet_wall_ms=" + wall + " timeout_s=000010 boots=0000000000\n");
  EXPECT_TRUE(watchdog.close_disarmed().ok());  // closing twice is harmless
}

TEST_F(SimWatchdogTest, CloseArmedAndDestructorLeaveItArmed) {
  {
    SimWatchdog watchdog(dir, clock, seconds(15));
    ASSERT_TRUE(watchdog.open().ok());
  }
  EXPECT_EQ(log(), at_ms(0, "open") + at_ms(0, "close_armed"));
  EXPECT_EQ(state().rfind("armed=1 ", 0), 0U) << state();
}

TEST_F(SimWatchdogTest, ReopenPastTimeoutIsASimulatedReset) {
  run_and_die(seconds(10));
  EXPECT_EQ(boot_id(),
            "00000000"
            "89abcdef0123456789abcdef");
  clock.advance(seconds(10) + milliseconds(1));
  const std::string before = boot_id();
  EXPECT_EQ(before,
            "00000001"
            "89abcdef0123456789abcdef");

  SimWatchdog watchdog(dir, clock, seconds(60));
  ASSERT_TRUE(watchdog.open().ok());
  EXPECT_EQ(*watchdog.boot_status(), static_cast<std::uint32_t>(WDIOF_CARDRESET));
  EXPECT_EQ(boot_id(), before);
  EXPECT_NE(log().find(at_ms(10'001, "simulated_reset 1") + at_ms(10'001, "open")),
            std::string::npos)
      << log();
  EXPECT_NE(state().find(" boots=0000000001\n"), std::string::npos) << state();
}

TEST_F(SimWatchdogTest, ReopenWithinTimeoutIsNoReset) {
  run_and_die(seconds(10));
  clock.advance(seconds(10));  // exactly the timeout: not yet fired
  const std::string before = boot_id();
  SimWatchdog watchdog(dir, clock, seconds(60));
  ASSERT_TRUE(watchdog.open().ok());
  EXPECT_EQ(*watchdog.boot_status(), 0U);
  EXPECT_EQ(before,
            "00000000"
            "89abcdef0123456789abcdef");
  EXPECT_EQ(boot_id(), before);
  EXPECT_EQ(log().find("simulated_reset"), std::string::npos) << log();
}

TEST_F(SimWatchdogTest, ReopenAfterMagicCloseIsNoResetHoweverLate) {
  {
    SimWatchdog watchdog(dir, clock, seconds(60));
    ASSERT_TRUE(watchdog.open().ok());
    ASSERT_TRUE(watchdog.close_disarmed().ok());
  }
  clock.advance(std::chrono::hours(24));
  SimWatchdog watchdog(dir, clock, seconds(60));
  ASSERT_TRUE(watchdog.open().ok());
  EXPECT_EQ(*watchdog.boot_status(), 0U);
  EXPECT_EQ(boot_id(),
            "00000000"
            "89abcdef0123456789abcdef");
}

TEST_F(SimWatchdogTest, EachResetIsANewBoot) {
  run_and_die(seconds(5));
  clock.advance(seconds(6));
  run_and_die(seconds(5));
  EXPECT_EQ(boot_id(),
            "00000001"
            "89abcdef0123456789abcdef");
  clock.advance(seconds(6));
  EXPECT_EQ(boot_id(),
            "00000002"
            "89abcdef0123456789abcdef");
  run_and_die(seconds(5));
  EXPECT_EQ(boot_id(),
            "00000002"
            "89abcdef0123456789abcdef");
}

TEST_F(SimWatchdogTest, BootIdWithoutAHostIdIsZeroPadded) {
  EXPECT_EQ(sim_boot_id(dir, "", clock), "00000000" + std::string(24, '0'));
  EXPECT_EQ(sim_boot_id(dir, "abc", clock), "00000000" + std::string(24, '0'));
}

TEST_F(SimOutputLineTest, OpenWritesTheInitialValueAndEdge) {
  auto line = SimOutputLine::open(dir, "motor_enable", clock, false);
  ASSERT_TRUE(line.ok()) << line.error().message;
  EXPECT_FALSE((*line)->get());
  EXPECT_EQ((*line)->describe(), "sim line motor_enable");
  EXPECT_EQ(read_text(dir + "/lines/motor_enable"), "0\n");
  EXPECT_EQ(read_text(dir + "/lines/motor_enable.log"), at_ms(0, "0"));

  auto led = SimOutputLine::open(dir, "status_led", clock, true);
  ASSERT_TRUE(led.ok());
  EXPECT_TRUE((*led)->get());
  EXPECT_EQ(read_text(dir + "/lines/status_led"), "1\n");
  EXPECT_EQ(read_text(dir + "/lines/status_led.log"), at_ms(0, "1"));
}

TEST_F(SimOutputLineTest, WritesOnlyOnChange) {
  auto opened = SimOutputLine::open(dir, "buzzer", clock, false);
  ASSERT_TRUE(opened.ok());
  SimOutputLine& line = **opened;
  clock.advance(milliseconds(5));
  ASSERT_TRUE(line.set(true).ok());
  EXPECT_TRUE(line.get());
  EXPECT_EQ(read_text(dir + "/lines/buzzer"), "1\n");
  clock.advance(milliseconds(5));
  ASSERT_TRUE(line.set(true).ok());  // no change: no edge
  clock.advance(milliseconds(5));
  ASSERT_TRUE(line.set(false).ok());
  ASSERT_TRUE(line.set(false).ok());
  EXPECT_FALSE(line.get());
  EXPECT_EQ(read_text(dir + "/lines/buzzer"), "0\n");
  EXPECT_EQ(read_text(dir + "/lines/buzzer.log"), at_ms(0, "0") + at_ms(5, "1") + at_ms(15, "0"));
}

TEST_F(SimOutputLineTest, ReopenAppendsToTheEdgeLog) {
  { ASSERT_TRUE(SimOutputLine::open(dir, "buzzer", clock, true).ok()); }
  clock.advance(milliseconds(20));
  auto again = SimOutputLine::open(dir, "buzzer", clock, false);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(read_text(dir + "/lines/buzzer"), "0\n");
  EXPECT_EQ(read_text(dir + "/lines/buzzer.log"), at_ms(0, "1") + at_ms(20, "0"));
}

TEST_F(SimOutputLineTest, OpenFailsWhenTheDirectoryCannotBeMade) {
  std::ofstream(root + "/file") << "x";
  auto line = SimOutputLine::open(root + "/file", "buzzer", clock, false);
  ASSERT_FALSE(line.ok());
  EXPECT_NE(line.error().message.find(root + "/file/lines"), std::string::npos)
      << line.error().message;
}

}  // namespace
}  // namespace lifeline::hal
