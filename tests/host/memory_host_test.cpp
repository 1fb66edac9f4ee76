// The memory guard on this machine: real memory cgroups, real hogs growing in them, real
// signals, the kernel's own OOM killer read from /dev/kmsg.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "support/memory_rig.hpp"
#include "support/process.hpp"
#include "support/system_bus.hpp"

namespace lifeline::test {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t kMiB = 1024 * 1024;

// A guard that judges one watched cgroup with steep levels, so a hog of tens of MiB walks
// the whole ladder in seconds. The system's own levels are far below what this machine has
// free, and kills for the system's sake are confined to the test's cgroup anyway.
std::string guard_config(const TestCgroup& cgroup, const std::string& extra) {
  return "[memory]\nenabled = true\nsample_interval_ms = 200\nfast_sample_interval_ms = 100\n"
         "warn_available_percent = 60\nrelieve_available_percent = 30\n"
         "kill_available_percent = 0\neta_relieve_s = 0\ngrace_ms = 500\n"
         "min_relief_interval_ms = 2000\nprotect = [\"bigprot\"]\n"
         "victim_cgroup = \"" +
         cgroup.path() + "\"\n" + extra +
         "[memory.leak]\nraise_kib_per_s = 2048\nclear_kib_per_s = 512\nmin_duration_s = 1\n"
         "window_samples = 8\n"
         "[memory.ssh]\nenabled = false\n"
         "[[memory.watch]]\nname = \"hogs\"\ncgroup = \"" +
         cgroup.path() + "\"\n";
}

const nlohmann::json& ev(const nlohmann::json& events, int i) {
  return events[static_cast<std::size_t>(i)];
}

bool alive(pid_t pid) {
  return ::kill(pid, 0) == 0;
}

TEST(MemoryHost, LeakIsFlaggedWithAnEtaThenTheLeakerIsKilledNotTheProtectedProcess) {
  std::string why;
  auto cgroup = TestCgroup::create(256 * kMiB, why);
  if (!cgroup) GTEST_SKIP() << why;
  TempDir dir;
  const auto config = write_sim_config(dir, guard_config(*cgroup, ""));
  AgentProcess agent(config, dir.file("agent.log"));
  agent.start();
  ASSERT_TRUE(agent.wait_for_output("watchdog_opened", 10s)) << agent.output();

  // The largest process is protected by name; the leaker grows 15 MiB/s from nothing.
  Hog protected_hog(cgroup->dir(), "bigprot", 100, 0);
  ASSERT_TRUE(protected_hog.ready());
  Hog leaker(cgroup->dir(), "leaker", 0, 15, 240);
  ASSERT_TRUE(leaker.ready());

  const auto signal = leaker.wait_killed(40s);
  ASSERT_TRUE(signal.has_value()) << "the leaker was not killed\n" << agent.output();
  EXPECT_EQ(*signal, SIGTERM) << "a grace of 500 ms is enough for a plain process";
  EXPECT_TRUE(alive(protected_hog.pid())) << "the protected process must survive";
  ASSERT_TRUE(agent.wait_for_output("memory_victim_exited", 10s)) << agent.output();
  agent.signal(SIGTERM);
  ASSERT_EQ(agent.wait_exit(10s), 0);

  const auto events = read_events(config);
  const int leak = find_event(events, "memory_leak_changed", "domain", "hogs");
  const std::string leaker_pid = std::to_string(leaker.pid());
  const int relief = find_event(events, "memory_relief", "pid", leaker_pid);
  const int gone = find_event(events, "memory_victim_exited", "pid", leaker_pid);
  ASSERT_GE(leak, 0) << events.dump(1);
  ASSERT_GE(relief, 0) << events.dump(1);
  ASSERT_GE(gone, 0) << events.dump(1);
  EXPECT_LT(leak, relief) << "the leak must be flagged before anything is killed";
  const auto leak_fields = ev(events, leak)["fields"];
  EXPECT_EQ(ev(events, leak)["fault"], "memory_leak");
  EXPECT_EQ(leak_fields.value("leak", ""), "true");
  ASSERT_FALSE(leak_fields.value("eta_s", "").empty()) << ev(events, leak).dump();
  EXPECT_GT(std::stoll(leak_fields.value("eta_s", "0")), 0);
  EXPECT_EQ(ev(events, relief)["fields"]["comm"], "leaker");

  // The snapshot taken for this kill is on disk before the kill's own record, and it
  // lists the leaker and the protected process with their resident sets.
  int snapshot = -1;
  for (int i = relief - 1; i >= 0; --i) {
    if (ev(events, i)["kind"] == "memory_snapshot" &&
        ev(events, i)["message"].get<std::string>().find("before killing " + leaker_pid) !=
            std::string::npos) {
      snapshot = i;
      break;
    }
  }
  ASSERT_GE(snapshot, 0) << events.dump(1);
  const std::string top = ev(events, snapshot)["fields"].dump();
  EXPECT_NE(top.find(leaker_pid + " leaker rss="), std::string::npos) << top;
  EXPECT_NE(top.find(std::to_string(protected_hog.pid()) + " bigprot rss="), std::string::npos)
      << top;
  EXPECT_LT(gone, static_cast<int>(events.size()));
  EXPECT_GT(gone, relief);
}

TEST(MemoryHost, DryRunRecordsTheVictimButKillsNothing) {
  std::string why;
  auto cgroup = TestCgroup::create(128 * kMiB, why);
  if (!cgroup) GTEST_SKIP() << why;
  TempDir dir;
  const auto config = write_sim_config(dir, guard_config(*cgroup, "dry_run = true\n"));
  AgentProcess agent(config, dir.file("agent.log"));
  agent.start();
  ASSERT_TRUE(agent.wait_for_output("watchdog_opened", 10s)) << agent.output();
  Hog hog(cgroup->dir(), "fathog", 100, 0);  // 100 of 128 MiB: below the relieve level
  ASSERT_TRUE(hog.ready());
  const std::string needle = "dry run: would kill " + std::to_string(hog.pid()) + " (fathog)";
  ASSERT_TRUE(agent.wait_for_output(needle, 20s)) << agent.output();
  std::this_thread::sleep_for(1s);  // longer than the grace a real kill would have used
  EXPECT_TRUE(alive(hog.pid()));
  EXPECT_FALSE(hog.wait_killed(10ms).has_value());
  agent.signal(SIGTERM);
  ASSERT_EQ(agent.wait_exit(10s), 0);
  const auto events = read_events(config);
  const int relief = find_event(events, "memory_relief", "pid", std::to_string(hog.pid()));
  ASSERT_GE(relief, 0);
  EXPECT_EQ(ev(events, relief)["fields"]["dry_run"], "true");
  EXPECT_LT(find_event(events, "memory_victim_exited"), 0);
}

TEST(MemoryHost, TheKernelsMemcgOomKillIsRecordedWithItsVictim) {
  if (::access("/dev/kmsg", R_OK) != 0) GTEST_SKIP() << "/dev/kmsg is not readable here";
  std::string why;
  auto cgroup = TestCgroup::create(64 * kMiB, why);
  if (!cgroup) GTEST_SKIP() << why;
  TempDir dir;
  // The guard watches nothing here: the kernel, not lifeline, does the killing.
  const auto config =
      write_sim_config(dir, "[memory]\nenabled = true\n[memory.ssh]\nenabled = false\n");
  AgentProcess agent(config, dir.file("agent.log"));
  agent.start();
  ASSERT_TRUE(agent.wait_for_output("watchdog_opened", 10s)) << agent.output();

  Hog hog(cgroup->dir(), "oomvictim", 0, 400, 200);  // 200 MiB wanted, 64 allowed
  ASSERT_TRUE(hog.ready() || hog.pid() > 0);
  const auto signal = hog.wait_killed(30s);
  ASSERT_TRUE(signal.has_value());
  ASSERT_EQ(*signal, SIGKILL) << "the kernel's OOM killer kills with SIGKILL";
  const std::string pid = std::to_string(hog.pid());
  ASSERT_TRUE(agent.wait_for_output("kernel OOM killer killed " + pid, 10s)) << agent.output();
  agent.signal(SIGTERM);
  ASSERT_EQ(agent.wait_exit(10s), 0);

  const auto events = read_events(config);
  const int seen = find_event(events, "oom_kill_seen", "pid", pid);
  ASSERT_GE(seen, 0) << events.dump(1);
  const auto fields = ev(events, seen)["fields"];
  EXPECT_EQ(fields["comm"], "oomvictim");
  EXPECT_EQ(fields["constraint"], "CONSTRAINT_MEMCG");
  EXPECT_NE(fields["oom_memcg"].get<std::string>().find(cgroup->path()), std::string::npos)
      << fields.dump();
  EXPECT_GT(std::stoull(fields["anon_rss_kb"].get<std::string>()), 1024U);
  EXPECT_EQ(ev(events, seen)["fault"], "kernel_oom_kill");
}

}  // namespace
}  // namespace lifeline::test

namespace lifeline::test {
namespace {

TEST(MemoryHost, AnExpendableUnitIsRestartedBeforeAnyProcessIsKilled) {
  std::string why;
  auto cgroup = TestCgroup::create(128 * kMiB, why);
  if (!cgroup) GTEST_SKIP() << why;
  TempDir dir;
  DBusDaemon bus(dir.path());
  ASSERT_TRUE(bus.start()) << bus.log();
  FakeSystemd systemd(bus.address(), "cache.service", FakeUnit{});
  ASSERT_TRUE(systemd.ok()) << bus.log();
  const auto config =
      write_sim_config(dir, guard_config(*cgroup, "expendable_units = [\"cache.service\"]\n"));
  AgentProcess agent(config, dir.file("agent.log"));
  agent.set_env({"DBUS_SYSTEM_BUS_ADDRESS=" + bus.address()});
  agent.start();
  ASSERT_TRUE(agent.wait_for_output("watchdog_opened", 10s)) << agent.output();
  // 100 of 128 MiB and not shrinking: restarting the "cache" (a fake) frees nothing, so the
  // next relief, one interval later, has to kill.
  Hog hog(cgroup->dir(), "stuckhog", 100, 0);
  ASSERT_TRUE(hog.ready());
  ASSERT_TRUE(eventually([&] { return !systemd.job_calls().empty(); }, 10s)) << agent.output();
  EXPECT_EQ(systemd.job_calls().front(), "RestartUnit cache.service replace");
  EXPECT_TRUE(alive(hog.pid())) << "the unit comes first";
  const auto signal = hog.wait_killed(20s);
  ASSERT_TRUE(signal.has_value()) << agent.output();
  EXPECT_EQ(systemd.job_calls().size(), 1U) << "each unit once per episode";
  agent.signal(SIGTERM);
  ASSERT_EQ(agent.wait_exit(10s), 0);
  const auto events = read_events(config);
  const int restart = find_event(events, "memory_relief", "unit", "cache.service");
  const int kill = find_event(events, "memory_relief", "pid", std::to_string(hog.pid()));
  ASSERT_GE(restart, 0) << events.dump(1);
  ASSERT_GE(kill, 0) << events.dump(1);
  EXPECT_LT(restart, kill);
  EXPECT_GE(find_event(events, "unit_job", "unit", "cache.service"), 0);
}

}  // namespace
}  // namespace lifeline::test
