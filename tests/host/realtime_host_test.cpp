// [agent] realtime_priority gives the loop thread (the motor stop, the pets) SCHED_FIFO,
// and only it: the rescue page's CivetWeb threads, created later and answering strangers,
// must not inherit it, or they hold the CPU the stop needs at the loop's own priority.
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "support/process.hpp"

namespace lifeline::test {
namespace {

// The scheduling policy of each thread of `pid` (/proc/PID/task/TID/stat, field 41).
std::map<pid_t, int> thread_policies(pid_t pid) {
  std::map<pid_t, int> out;
  std::error_code ec;
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::ifstream in(entry.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));  // field 3 (state) onwards
    std::string field;
    for (int n = 3; n <= 41 && fields >> field; ++n) {
      if (n == 41) out[std::stoi(entry.path().filename().string())] = std::stoi(field);
    }
  }
  return out;
}

TEST(RealtimeHost, OnlyTheLoopThreadRunsSchedFifo) {
  TempDir dir;
  const auto config = write_sim_config(
      dir, "realtime_priority = 10\n[rescue]\nenabled = true\nlisten = [\"127.0.0.1:0\"]\n");
  AgentProcess agent(config, dir.file("out.log"));
  agent.start();
  ASSERT_TRUE(agent.wait_for_output("rescue page at http://127.0.0.1:", 15s)) << agent.output();
  if (agent.output().find("realtime=refused") != std::string::npos ||
      agent.output().find("refused: ") != std::string::npos) {
    agent.signal(SIGTERM);
    agent.wait_exit(10s);
    GTEST_SKIP() << "SCHED_FIFO refused here (needs CAP_SYS_NICE or an RLIMIT_RTPRIO)";
  }
  const auto policies = thread_policies(agent.pid());
  ASSERT_GE(policies.size(), 3U) << "the loop, the black-box writer and CivetWeb's threads";
  for (const auto& [tid, policy] : policies) {
    if (tid == agent.pid()) {
      EXPECT_EQ(policy, SCHED_FIFO) << "the loop thread";
    } else {
      EXPECT_EQ(policy, SCHED_OTHER) << "thread " << tid << " inherited the loop's policy";
    }
  }
  agent.signal(SIGTERM);
  EXPECT_EQ(agent.wait_exit(10s), 0) << agent.output();
}

}  // namespace
}  // namespace lifeline::test
