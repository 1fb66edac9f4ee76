// Boot-loop lockout on the sim board: the sim watchdog "resets the board" when lifeline
// dies armed and stays dead past the timeout, exactly as hardware would.
#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "support/process.hpp"

namespace lifeline::test {
namespace {

// Starts lifeline, waits for its start record, kills it armed and waits out the 1 s
// watchdog timeout: the next start sees a watchdog reset.
void crash_and_let_the_watchdog_fire(const std::string& config, const TempDir& dir, int round) {
  AgentProcess agent(config, dir.file("round" + std::to_string(round) + ".log"));
  ASSERT_TRUE(start_and_wait_for_first_pet(agent, dir)) << agent.output();
  agent.signal(SIGKILL);
  ASSERT_EQ(agent.wait_exit(5s), -SIGKILL);
  std::this_thread::sleep_for(1300ms);
}

TEST(LockoutHost, ThreeWatchdogResetsInTheWindowLockOutUntilAnOperatorClears) {
  TempDir dir;
  const auto config = write_sim_config(
      dir, "[watchdog]\ntimeout_s = 1\n[lockout]\nmax_resets = 3\nwindow_min = 15\n");
  for (int round = 0; round < 3; ++round) crash_and_let_the_watchdog_fire(config, dir, round);
  // Rounds 1 and 2 started after a reset; this start is the third reset in the window.
  EXPECT_EQ(run_cli({"check-lockout", "--config", config}).exit_code, 0)
      << "two resets must not lock out yet";

  AgentProcess locked(config, dir.file("locked.log"));
  ASSERT_TRUE(start_and_wait_for_first_pet(locked, dir)) << locked.output();
  ASSERT_TRUE(locked.wait_for_output("boot-loop lockout: 3 unclean resets within 15 min", 10s))
      << locked.output();
  EXPECT_NE(locked.output().find("start after watchdog_reset (new boot)"), std::string::npos);
  EXPECT_NE(locked.output().find("safe state entered: boot-loop lockout"), std::string::npos);
  const auto check = run_cli({"check-lockout", "--config", config});
  EXPECT_EQ(check.exit_code, 1);
  EXPECT_NE(check.err.find("lockout is active"), std::string::npos);
  auto status = run_cli({"status", "--config", config});
  EXPECT_NE(status.out.find("state:    lockout"), std::string::npos) << status.out;
  // In lockout the box stays up and reachable: petting goes on.
  const auto pets_before = count_entries(read_sim_watchdog_log(dir), "pet");
  std::this_thread::sleep_for(600ms);
  EXPECT_GT(count_entries(read_sim_watchdog_log(dir), "pet"), pets_before);

  const auto rearm = run_cli({"rearm", "--clear-lockout", "--config", config});
  EXPECT_EQ(rearm.exit_code, 0) << rearm.err;
  EXPECT_NE(rearm.out.find("cleared by the running lifeline"), std::string::npos) << rearm.out;
  EXPECT_EQ(run_cli({"check-lockout", "--config", config}).exit_code, 0);
  ASSERT_TRUE(locked.wait_for_output("boot-loop lockout cleared by cli uid", 5s));
  locked.signal(SIGTERM);
  ASSERT_EQ(locked.wait_exit(10s), 0);

  const auto events = run_cli({"events", "--config", config, "--json"});
  ASSERT_EQ(events.exit_code, 0) << events.err;
  EXPECT_NE(events.out.find("\"kind\": \"lockout_entered\""), std::string::npos);
  EXPECT_NE(events.out.find("\"kind\": \"lockout_cleared\""), std::string::npos);
}

TEST(LockoutHost, LockoutPersistsAcrossRestartsAndCanBeClearedOffline) {
  TempDir dir;
  const auto config = write_sim_config(
      dir, "[watchdog]\ntimeout_s = 1\n[lockout]\nmax_resets = 1\nwindow_min = 5\n");
  crash_and_let_the_watchdog_fire(config, dir, 0);
  {
    AgentProcess agent(config, dir.file("a.log"));
    agent.start();
    ASSERT_TRUE(agent.wait_for_output("lockout_entered", 10s)) << agent.output();
    agent.signal(SIGTERM);
    ASSERT_EQ(agent.wait_exit(10s), 0);
  }
  {  // A clean restart does not clear it.
    AgentProcess agent(config, dir.file("b.log"));
    agent.start();
    ASSERT_TRUE(agent.wait_for_output("fault_raised  boot_loop_lockout", 10s)) << agent.output();
    agent.signal(SIGTERM);
    ASSERT_EQ(agent.wait_exit(10s), 0);
  }
  EXPECT_EQ(run_cli({"check-lockout", "--config", config}).exit_code, 1);
  const auto rearm = run_cli({"rearm", "--clear-lockout", "--config", config});
  EXPECT_EQ(rearm.exit_code, 0);
  EXPECT_NE(rearm.out.find("lifeline not running"), std::string::npos) << rearm.out;
  EXPECT_EQ(run_cli({"check-lockout", "--config", config}).exit_code, 0);
  const auto events = run_cli({"events", "--config", config});
  EXPECT_NE(events.out.find("boot-loop lockout cleared by cli uid"), std::string::npos)
      << events.out;
}

}  // namespace
}  // namespace lifeline::test
