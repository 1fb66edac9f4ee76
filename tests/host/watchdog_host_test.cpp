// The real lifeline binary on the sim board: petting, the health gate, clean and unclean
// stops. Observed through the sim watchdog's log and lifeline's own output.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <thread>

#include "support/process.hpp"

namespace lifeline::test {
namespace {

long long monotonic_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::vector<long long> pet_times(const TempDir& dir) {
  std::vector<long long> times;
  for (const auto& entry : read_sim_watchdog_log(dir)) {
    if (entry.what == "pet") times.push_back(entry.monotonic_ns);
  }
  return times;
}

TEST(WatchdogHost, PetsAtTheConfiguredRateAndDisarmsOnSigterm) {
  TempDir dir;
  const auto config = write_sim_config(dir, "[watchdog]\ntimeout_s = 2\npet_interval_ms = 200\n");
  AgentProcess agent(config, dir.file("out.log"));
  agent.start();
  ASSERT_TRUE(eventually([&] { return pet_times(dir).size() >= 8; }, 10s)) << agent.output();
  agent.signal(SIGTERM);
  ASSERT_EQ(agent.wait_exit(10s), 0) << agent.output();

  const auto log = read_sim_watchdog_log(dir);
  ASSERT_GE(log.size(), 3U);
  EXPECT_EQ(log.front().what, "open");
  EXPECT_EQ(log[1].what, "timeout");
  EXPECT_EQ(log[1].value, 2);
  EXPECT_EQ(log.back().what, "magic_close") << "a clean stop must disarm the watchdog";
  auto pets = pet_times(dir);
  std::vector<long long> gaps;
  for (std::size_t i = 2; i < pets.size(); ++i) gaps.push_back(pets[i] - pets[i - 1]);
  std::sort(gaps.begin(), gaps.end());
  const long long median = gaps[gaps.size() / 2];
  EXPECT_GT(median, 150'000'000) << "pets faster than the 200 ms interval";
  EXPECT_LT(median, 300'000'000) << "pets slower than the 200 ms interval";
  EXPECT_NE(agent.output().find("agent_stopped"), std::string::npos);
}

TEST(WatchdogHost, FailingHealthCheckStopsPettingAndEntersSafeState) {
  TempDir dir;
  const std::string heartbeat = dir.file("alive");
  const auto config =
      write_sim_config(dir,
                       "[watchdog]\ntimeout_s = 30\npet_interval_ms = 100\n[[health.file_check]]\n"
                       "name = \"app-alive\"\npath = \"" +
                           heartbeat + "\"\nmax_age_ms = 400\ninterval_ms = 100\n");
  touch(heartbeat);
  AgentProcess agent(config, dir.file("out.log"));
  agent.start();
  // Keep the app "alive" for a while: the gate must stay open.
  const auto alive_until = std::chrono::steady_clock::now() + 1500ms;
  while (std::chrono::steady_clock::now() < alive_until) {
    touch(heartbeat);
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(agent.output().find("watchdog_petting_stopped"), std::string::npos) << agent.output();
  const auto pets_while_alive = pet_times(dir).size();
  EXPECT_GE(pets_while_alive, 8U);
  const long long last_touch_ns = monotonic_ns();

  // The app "hangs": no more touches.
  ASSERT_TRUE(agent.wait_for_output("watchdog_petting_stopped", 10s)) << agent.output();
  const auto out = agent.output();
  EXPECT_NE(out.find("check 'app-alive' failing"), std::string::npos) << out;
  EXPECT_LT(out.find("safe_state_entered"), out.find("watchdog_petting_stopped"))
      << "the safe state runs before petting stops";
  const auto pets = pet_times(dir);
  // Stale after 400 ms, seen by the next 100 ms probe; generous bound for a loaded box.
  EXPECT_LT(pets.back(), last_touch_ns + 2'000'000'000LL)
      << "petting went on " << (pets.back() - last_touch_ns) / 1'000'000
      << " ms after the last touch";
  std::this_thread::sleep_for(700ms);
  EXPECT_EQ(pet_times(dir).size(), pets.size()) << "petting resumed after the gate closed";

  touch(heartbeat);  // the app comes back: the gate is latched, petting must not resume
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(pet_times(dir).size(), pets.size()) << "the gate must stay closed once closed";

  agent.signal(SIGTERM);
  ASSERT_EQ(agent.wait_exit(10s), 0);
  EXPECT_EQ(read_sim_watchdog_log(dir).back().what, "close_armed")
      << "with the gate closed a stop must leave the watchdog armed";
}

TEST(WatchdogHost, SigkillIsNoticedAsAnUncleanStopOnTheNextStart) {
  TempDir dir;
  const auto config = write_sim_config(dir, "[watchdog]\ntimeout_s = 60\n");
  {
    AgentProcess first(config, dir.file("first.log"));
    ASSERT_TRUE(start_and_wait_for_first_pet(first, dir)) << first.output();
    EXPECT_NE(first.output().find("start after first_start"), std::string::npos);
    first.signal(SIGKILL);
    ASSERT_EQ(first.wait_exit(5s), -SIGKILL);
  }
  EXPECT_EQ(read_sim_watchdog_log(dir).back().what, "pet") << "killed: no magic close";
  AgentProcess second(config, dir.file("second.log"));
  second.start();
  ASSERT_TRUE(second.wait_for_output("start after agent_crashed (same boot)", 10s))
      << second.output();
  EXPECT_NE(second.output().find("unclean_reset"), std::string::npos);
  second.signal(SIGTERM);
  ASSERT_EQ(second.wait_exit(10s), 0);

  AgentProcess third(config, dir.file("third.log"));
  third.start();
  ASSERT_TRUE(third.wait_for_output("start after agent_restart (same boot)", 10s))
      << third.output();
  third.signal(SIGTERM);
  ASSERT_EQ(third.wait_exit(10s), 0);
}

TEST(WatchdogHost, SecondInstanceOnTheSameStateDirIsRefused) {
  TempDir dir;
  const auto config = write_sim_config(dir, "");
  AgentProcess first(config, dir.file("first.log"));
  first.start();
  ASSERT_TRUE(first.wait_for_output("start after", 10s)) << first.output();
  const auto second = run_cli({"run", "--config", config});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find("another lifeline (pid " + std::to_string(first.pid()) + ")"),
            std::string::npos)
      << second.err;
  first.signal(SIGTERM);
  ASSERT_EQ(first.wait_exit(10s), 0);
}

TEST(WatchdogHost, MissingLinuxWatchdogDeviceIsAFaultNotACrash) {
  TempDir dir;
  write_file(dir.file("board.toml"),
             "description = \"no watchdog\"\nhal = \"linux\"\n"
             "[watchdog]\ndevice = \"" +
                 dir.file("watchdog-missing") + "\"\nmax_timeout_s = 15\n");
  const auto config = write_sim_config(dir, "");
  // Point the config at the linux board instead of the sim one.
  auto text = read_file(config);
  const auto sim = std::string(LIFELINE_SOURCE_DIR) + "/board/sim.toml";
  text.replace(text.find(sim), sim.size(), dir.file("board.toml"));
  write_file(config, text);
  AgentProcess agent(config, dir.file("out.log"));
  agent.start();
  ASSERT_TRUE(agent.wait_for_output("watchdog_unavailable", 10s)) << agent.output();
  EXPECT_NE(agent.output().find("does not exist: the watchdog driver is not loaded"),
            std::string::npos)
      << agent.output();
  CliResult status;
  ASSERT_TRUE(eventually(
      [&] {
        status = run_cli({"status", "--config", config, "--json"});
        return status.exit_code == 0;
      },
      10s))
      << status.err;
  EXPECT_NE(status.out.find("\"open\": false"), std::string::npos) << status.out;
  agent.signal(SIGTERM);
  EXPECT_EQ(agent.wait_exit(10s), 0);
}

TEST(WatchdogHost, DeviceWithoutTheWatchdogIoctlsIsReported) {
  TempDir dir;
  // /dev/null opens like a watchdog but answers every WDIOC_* with ENOTTY.
  write_file(dir.file("board.toml"),
             "description = \"not a watchdog\"\nhal = \"linux\"\n"
             "[watchdog]\ndevice = \"/dev/null\"\nmax_timeout_s = 15\n");
  auto text = read_file(write_sim_config(dir, ""));
  const auto sim = std::string(LIFELINE_SOURCE_DIR) + "/board/sim.toml";
  text.replace(text.find(sim), sim.size(), dir.file("board.toml"));
  write_file(dir.file("lifeline.toml"), text);
  AgentProcess agent(dir.file("lifeline.toml"), dir.file("out.log"));
  agent.start();
  ASSERT_TRUE(agent.wait_for_output("WDIOC_GETTIMEOUT on /dev/null", 10s)) << agent.output();
  agent.signal(SIGTERM);
  EXPECT_EQ(agent.wait_exit(10s), 0);
}

}  // namespace
}  // namespace lifeline::test
