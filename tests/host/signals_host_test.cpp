// The status LED on the real binary: the sim board's status_led edges (monotonic ns)
// read back and compared with the documented codes (docs/signals.md).
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdint>
#include <thread>

#include "support/motion_rig.hpp"
#include "support/process.hpp"

namespace lifeline::test {
namespace {

// Durations (ms) of the "on" periods that began after `since_ns`.
std::vector<long long> on_durations(const TempDir& dir, long long since_ns) {
  const auto edges = sim_line_edges(dir, "status_led");
  std::vector<long long> out;
  for (std::size_t i = 0; i + 1 < edges.size(); ++i) {
    if (edges[i].first >= since_ns && edges[i].second == 1 && edges[i + 1].second == 0) {
      out.push_back((edges[i + 1].first - edges[i].first) / 1'000'000);
    }
  }
  return out;
}

// Pulses classed by length, not matched to the millisecond: on a loaded machine a timer
// fires late and stretches a pulse (649 ms for a 600 ms flash was seen in CI). The classes
// part at the geometric means of neighbouring nominal lengths (50 | 150 | 600 ms), so
// each tolerates the largest error either way while a long still cannot pass as a short.
enum class Pulse : std::uint8_t { heartbeat, short_flash, long_flash };

Pulse classify(long long ms) {
  if (ms < 87) return Pulse::heartbeat;     // sqrt(50 * 150)
  if (ms < 300) return Pulse::short_flash;  // sqrt(150 * 600)
  return Pulse::long_flash;
}

TEST(SignalsHost, HeartbeatWhenHealthyBlinkCodeForAFaultAndOffWhenStopped) {
  TempDir dir;
  const auto config = write_sim_config(dir, "");
  AgentProcess agent(config, dir.file("out.log"));
  const long long started_ns = monotonic_now_ns();
  agent.start();
  std::this_thread::sleep_for(4500ms);
  const auto healthy = on_durations(dir, started_ns);
  ASSERT_GE(healthy.size(), 2U) << "a heartbeat every 2 s";
  for (auto d : healthy) {
    EXPECT_EQ(classify(d), Pulse::heartbeat) << d << " ms: the healthy pulse is 50 ms";
  }
  EXPECT_EQ(read_file(dir.file("state/sim/lines/buzzer.log")).find(" 1"), std::string::npos)
      << "no beep while healthy";

  // A rejected reload raises config_rejected: warning, blink code 3 long, 1 short.
  write_file(config, read_file(config) + "[watchdog\n");
  const long long fault_ns = monotonic_now_ns();
  agent.signal(SIGHUP);
  ASSERT_TRUE(agent.wait_for_output("config_rejected", 5s));
  std::this_thread::sleep_for(5500ms);  // one whole cycle: 3 x 900 + 450 + 1500 ms pause
  const auto code = on_durations(dir, fault_ns);
  // Find long, long, long, short in a row, not preceded by a long (the cycle may start
  // anywhere in the window; a 4-long code must not pass as 3 long).
  const auto is = [&code](std::size_t i, Pulse p) { return classify(code[i]) == p; };
  bool found = false;
  for (std::size_t i = 0; i + 3 < code.size() && !found; ++i) {
    found = is(i, Pulse::long_flash) && is(i + 1, Pulse::long_flash) &&
            is(i + 2, Pulse::long_flash) && is(i + 3, Pulse::short_flash) &&
            (i == 0 || !is(i - 1, Pulse::long_flash));
  }
  EXPECT_TRUE(found) << "on-durations: " << ::testing::PrintToString(code);
  EXPECT_EQ(read_file(dir.file("state/sim/lines/buzzer.log")).find(" 1"), std::string::npos)
      << "a warning must not beep";

  agent.signal(SIGTERM);
  ASSERT_EQ(agent.wait_exit(10s), 0);
  EXPECT_EQ(sim_line_value(dir, "status_led"), 0) << "stopped: the LED is off, never a heartbeat";
}

}  // namespace
}  // namespace lifeline::test
