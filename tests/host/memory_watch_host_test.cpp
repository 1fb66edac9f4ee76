// A [[memory.watch]] of a program (not a cgroup): the real binary sums the resident sets of
// a real process found by name and flags its steady growth as a leak with an ETA.
#include <gtest/gtest.h>

#include <signal.h>

#include <string>

#include "support/memory_rig.hpp"
#include "support/process.hpp"

namespace lifeline::test {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t kMiB = 1024 * 1024;

TEST(MemoryWatchHost, AProgramWatchSumsItsProcessesAndFlagsTheirLeakWithAnEta) {
  std::string why;
  // The cgroup only keeps the hogs contained; the watch finds them by name, not by cgroup.
  auto cgroup = TestCgroup::create(512 * kMiB, why);
  if (!cgroup) GTEST_SKIP() << why;
  TempDir dir;
  const auto config = write_sim_config(
      dir,
      "[memory]\nenabled = true\nsample_interval_ms = 200\nfast_sample_interval_ms = 100\n"
      "victim_cgroup = \"" +
          cgroup->path() +
          "\"\n"
          "[memory.leak]\nraise_kib_per_s = 2048\nclear_kib_per_s = 512\nmin_duration_s = 1\n"
          "window_samples = 8\n[memory.ssh]\nenabled = false\n"
          "[[memory.watch]]\nname = \"planner\"\nprocess = \"planner\"\n");
  AgentProcess agent(config, dir.file("agent.log"));
  agent.start();
  ASSERT_TRUE(agent.wait_for_output("watchdog_opened", 10s)) << agent.output();

  // Two processes of the program: one steady at 40 MiB, one leaking 12 MiB/s.
  Hog steady(cgroup->dir(), "planner", 40, 0);
  ASSERT_TRUE(steady.ready());
  Hog leaking(cgroup->dir(), "planner", 0, 12, 200);
  ASSERT_TRUE(leaking.ready());
  // A process of another name never counts.
  Hog other(cgroup->dir(), "bystander", 60, 0);
  ASSERT_TRUE(other.ready());

  nlohmann::json domain;
  ASSERT_TRUE(eventually(
      [&] {
        domain = memory_domain_status(config, "planner");
        return domain.is_object() && domain.value("processes", 0) == 2 &&
               domain.value("used_bytes", std::uint64_t{0}) > 50 * kMiB;
      },
      20s))
      << domain.dump() << agent.output();
  EXPECT_EQ(domain["process"], "planner");
  EXPECT_GT(domain.value("anon_bytes", std::uint64_t{0}), 40 * kMiB) << domain.dump();
  // The bystander's 60 MiB is not in the sum while the leaker is still small.
  EXPECT_LT(domain.value("used_bytes", std::uint64_t{0}), 40 * kMiB + 200 * kMiB) << domain.dump();

  ASSERT_TRUE(agent.wait_for_output("planner grows", 30s)) << agent.output();
  agent.signal(SIGTERM);
  ASSERT_EQ(agent.wait_exit(10s), 0);
  const auto events = read_events(config);
  const int leak = find_event(events, "memory_leak_changed", "domain", "planner");
  ASSERT_GE(leak, 0) << events.dump(1);
  const auto& fields = events[static_cast<std::size_t>(leak)]["fields"];
  EXPECT_EQ(fields.value("leak", ""), "true");
  EXPECT_GT(std::stoll(fields.value("rate_kib_per_s", "0")), 6 * 1024) << fields.dump();
  EXPECT_LT(std::stoll(fields.value("rate_kib_per_s", "0")), 24 * 1024) << fields.dump();
  ASSERT_FALSE(fields.value("eta_s", "").empty()) << fields.dump();
  EXPECT_GT(std::stoll(fields.value("eta_s", "0")), 0);
  // Watching is not acting: nothing was killed on the watch's account.
  EXPECT_LT(find_event(events, "memory_relief"), 0) << events.dump(1);
}

}  // namespace
}  // namespace lifeline::test
