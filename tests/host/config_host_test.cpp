// The real binary against good and bad configuration files, at start and on SIGHUP.
#include <gtest/gtest.h>
#include <signal.h>

#include "support/process.hpp"

namespace lifeline::test {
namespace {

TEST(ConfigHost, CheckConfigAcceptsAGoodFileAndNamesFileLineColumnForABadOne) {
  TempDir dir;
  const auto good = write_sim_config(dir, "[watchdog]\ntimeout_s = 10\n", "good.toml");
  const auto ok = run_cli({"check-config", good});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("ok"), std::string::npos);

  const auto bad = write_sim_config(dir, "[watchdog]\ntimout_s = 10\n", "bad.toml");
  const auto rejected = run_cli({"check-config", bad});
  EXPECT_EQ(rejected.exit_code, 1);
  // Line 6: the four [agent] lines, the [watchdog] header, then the typo.
  EXPECT_NE(rejected.err.find(bad + ":6:1"), std::string::npos) << rejected.err;
  EXPECT_NE(rejected.err.find("timout_s"), std::string::npos) << rejected.err;
  EXPECT_NE(rejected.err.find("timeout_s"), std::string::npos) << "suggests the right key";
}

TEST(ConfigHost, RunRefusesABadFileWithExitCode78) {
  TempDir dir;
  const auto bad = write_sim_config(dir, "[watchdog]\ntimeout_s = \"ten\"\n");
  const auto result = run_cli({"run", "--config", bad});
  EXPECT_EQ(result.exit_code, 78);
  EXPECT_NE(result.err.find(bad + ":6:"), std::string::npos) << result.err;
  const auto missing = run_cli({"run", "--config", dir.file("nope.toml")});
  EXPECT_EQ(missing.exit_code, 78);
  EXPECT_NE(missing.err.find("nope.toml"), std::string::npos) << missing.err;
}

TEST(ConfigHost, SighupWithABadFileKeepsTheRunningConfigAndAGoodOneIsApplied) {
  TempDir dir;
  touch(dir.file("a"));
  touch(dir.file("b"));
  const auto check = [&](const std::string& name) {
    return "[[health.file_check]]\nname = \"" + name + "\"\npath = \"" + dir.file(name) +
           "\"\nmax_age_ms = 600000\n";
  };
  const auto config = write_sim_config(dir, check("a"));
  AgentProcess agent(config, dir.file("out.log"));
  agent.start();
  ASSERT_TRUE(agent.wait_for_output("start after", 10s)) << agent.output();

  write_file(config, read_file(config) + "[watchdog\n");  // a syntax error
  agent.signal(SIGHUP);
  ASSERT_TRUE(agent.wait_for_output("config_rejected", 10s)) << agent.output();
  // The CLI reads the same (now broken) file to find the socket: use a good copy.
  const auto reader = write_sim_config(dir, "", "reader.toml");
  auto status = run_cli({"status", "--config", reader, "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("\"name\": \"a\""), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("config_rejected"), std::string::npos) << "fault raised";
  EXPECT_EQ(status.out.find("gate_closed\": true"), std::string::npos);

  write_sim_config(dir, check("b"));
  agent.signal(SIGHUP);
  ASSERT_TRUE(agent.wait_for_output("configuration reloaded", 10s)) << agent.output();
  status = run_cli({"status", "--config", reader, "--json"});
  EXPECT_EQ(status.out.find("\"name\": \"a\""), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("\"name\": \"b\""), std::string::npos) << status.out;
  EXPECT_EQ(status.out.find("config_rejected"), std::string::npos) << "fault cleared";

  agent.signal(SIGTERM);
  EXPECT_EQ(agent.wait_exit(10s), 0) << agent.output();
}

}  // namespace
}  // namespace lifeline::test
