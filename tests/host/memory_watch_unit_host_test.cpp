// A `unit =` watch finds its unit's cgroup by asking systemd (LoadUnit, then the unit's
// ControlGroup) over a real dbus-daemon, where a fake systemd reports a cgroup outside
// system.slice: a memory cgroup the test creates, with a real process in it. Without a bus
// the watch assumes /system.slice/UNIT and says why.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <string>

#include "support/fake_unit_manager.hpp"
#include "support/memory_rig.hpp"
#include "support/process.hpp"
#include "support/system_bus.hpp"

namespace lifeline::test {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t kMiB = 1024 * 1024;
const std::string kUnit = "robot-app.service";

std::string unit_watch_config(const TempDir& dir) {
  return write_sim_config(dir,
                          "[memory]\nenabled = true\nsample_interval_ms = 200\n"
                          "fast_sample_interval_ms = 100\n[memory.ssh]\nenabled = false\n"
                          "[[memory.watch]]\nname = \"app\"\nunit = \"" +
                              kUnit + "\"\n");
}

TEST(MemoryWatchUnitHost, AUnitInAnotherSliceIsWatchedInTheCgroupSystemdNamesOnceItStarts) {
  std::string why;
  auto cgroup = TestCgroup::create(512 * kMiB, why);
  if (!cgroup) GTEST_SKIP() << why;
  TempDir dir;
  DBusDaemon bus(dir.path());
  ASSERT_TRUE(bus.start()) << bus.log();
  FakeUnitManager systemd(bus.address());
  ASSERT_TRUE(systemd.ok()) << bus.log();
  // Loaded but not running: systemd's ControlGroup is "" until it starts.
  FakeService app;
  app.name = kUnit;
  app.active_state = "inactive";
  app.control_group = cgroup->path();  // e.g. Slice=robot.slice: not /system.slice/UNIT
  systemd.add(app);
  Hog hog(cgroup->dir(), "robot-app", 40, 0);
  ASSERT_TRUE(hog.ready());

  const auto config = unit_watch_config(dir);
  AgentProcess agent(config, dir.file("agent.log"));
  agent.set_env({"DBUS_SYSTEM_BUS_ADDRESS=" + bus.address()});
  agent.start();
  ASSERT_TRUE(agent.wait_for_output("watchdog_opened", 10s)) << agent.output();

  // Asked, answered "no cgroup": still the assumed path, no problem.
  nlohmann::json domain;
  ASSERT_TRUE(eventually(
      [&] {
        domain = memory_domain_status(config, "app");
        return domain.is_object() && systemd.property_reads() >= 1;
      },
      10s))
      << domain.dump() << agent.output();
  EXPECT_EQ(domain.value("unit", ""), kUnit) << domain.dump();
  EXPECT_EQ(domain.value("cgroup", ""), "/system.slice/" + kUnit) << domain.dump();
  EXPECT_EQ(domain.value("cgroup_from", ""), "assumed") << domain.dump();
  EXPECT_TRUE(domain["cgroup_problem"].is_null()) << domain.dump();

  // The unit starts: it is asked about again while its cgroup is absent (after 1 s, 2 s,
  // 4 s ...), and the watch moves to where it runs and reads its memory there.
  app.active_state = "active";
  systemd.add(app);
  ASSERT_TRUE(eventually(
      [&] {
        domain = memory_domain_status(config, "app");
        return domain.is_object() && domain.value("cgroup", "") == cgroup->path() &&
               domain.value("used_bytes", std::uint64_t{0}) > 30 * kMiB;
      },
      20s))
      << domain.dump() << agent.output();
  EXPECT_EQ(domain.value("cgroup_from", ""), "systemd") << domain.dump();
  EXPECT_EQ(domain.value("limit_bytes", std::uint64_t{0}), 512 * kMiB) << domain.dump();
  // Found: no more questions while the cgroup is there.
  const std::size_t reads = systemd.property_reads();
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(systemd.property_reads(), reads);
  // While it was stopped, at most a question per back-off step, not one per 100-200 ms
  // sample: at 0, 1, 3, 7 and 15 s.
  EXPECT_LE(reads, 6U);

  agent.signal(SIGTERM);
  ASSERT_EQ(agent.wait_exit(10s), 0);
  const auto events = read_events(config);
  const int moved = find_event(events, "memory_monitor", "cgroup", cgroup->path());
  ASSERT_GE(moved, 0) << events.dump(1);
  EXPECT_NE(events[static_cast<std::size_t>(moved)].value("message", "").find(kUnit + " runs in"),
            std::string::npos)
      << events.dump(1);
}

// A unit that starts while the back-off waits is asked about on systemd's JobRemoved for
// its start job, not at the back-off's next step: after the third question (0, 1 and 3 s)
// the next is 4 s away, and the watch must have moved well before.
TEST(MemoryWatchUnitHost, AStartedUnitIsAskedAboutOnItsJobRemovedSignal) {
  std::string why;
  auto cgroup = TestCgroup::create(512 * kMiB, why);
  if (!cgroup) GTEST_SKIP() << why;
  TempDir dir;
  DBusDaemon bus(dir.path());
  ASSERT_TRUE(bus.start()) << bus.log();
  FakeUnitManager systemd(bus.address());
  ASSERT_TRUE(systemd.ok()) << bus.log();
  FakeService app;
  app.name = kUnit;
  app.active_state = "inactive";  // ControlGroup "" until it starts
  app.control_group = cgroup->path();
  systemd.add(app);
  Hog hog(cgroup->dir(), "robot-app", 40, 0);
  ASSERT_TRUE(hog.ready());

  const auto config = unit_watch_config(dir);
  AgentProcess agent(config, dir.file("agent.log"));
  agent.set_env({"DBUS_SYSTEM_BUS_ADDRESS=" + bus.address()});
  agent.start();
  ASSERT_TRUE(agent.wait_for_output("watchdog_opened", 10s)) << agent.output();
  ASSERT_TRUE(eventually([&] { return systemd.property_reads() >= 3; }, 15s)) << agent.output();
  // Asked at 0, 1 and 3 s: the back-off's next question comes 4 s after this one.
  app.active_state = "active";
  const auto started = systemd.add_and_announce(app, /*files_changed=*/false);
  nlohmann::json domain;
  ASSERT_TRUE(eventually(
      [&] {
        domain = memory_domain_status(config, "app");
        return domain.is_object() && domain.value("cgroup", "") == cgroup->path();
      },
      10s))
      << domain.dump() << agent.output();
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_LT(took, 2500ms) << "the watch moved only "
                          << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                          << " ms after the start job ended: at the back-off, not the signal";
  EXPECT_EQ(domain.value("cgroup_job_signals", 0), 1) << domain.dump();
  EXPECT_EQ(domain.value("cgroup_from", ""), "systemd") << domain.dump();
  agent.signal(SIGTERM);
  ASSERT_EQ(agent.wait_exit(10s), 0);
}

// A user unit (systemd --user) is found by its name below its user's manager, in
// whichever slice it runs: no bus is asked (there is none here), the cgroup tree says it.
TEST(MemoryWatchUnitHost, AUserUnitIsFoundBelowItsUsersManagerOnceItStarts) {
  const std::string uid = "4242";
  const std::string manager = "/user.slice/user-" + uid + ".slice/user@" + uid + ".service";
  const std::string unit = "robot-cam-" + std::to_string(::getpid()) + ".service";
  TempDir dir;
  const auto config = write_sim_config(
      dir,
      "[memory]\nenabled = true\nsample_interval_ms = 200\nfast_sample_interval_ms = 100\n"
      "[memory.ssh]\nenabled = false\n"
      "[[memory.watch]]\nname = \"cam\"\nunit = \"" +
          unit + "\"\nuser = \"" + uid + "\"\n");
  AgentProcess agent(config, dir.file("agent.log"));
  agent.set_env({"DBUS_SYSTEM_BUS_ADDRESS=unix:path=" + dir.file("no-bus")});
  agent.start();
  ASSERT_TRUE(agent.wait_for_output("watchdog_opened", 10s)) << agent.output();
  // Not running yet: assumed in the manager's app.slice, and nothing is wrong.
  nlohmann::json domain;
  ASSERT_TRUE(eventually(
      [&] {
        domain = memory_domain_status(config, "cam");
        return domain.is_object();
      },
      10s))
      << agent.output();
  EXPECT_EQ(domain.value("user", ""), uid) << domain.dump();
  EXPECT_EQ(domain.value("cgroup", ""), manager + "/app.slice/" + unit) << domain.dump();
  EXPECT_EQ(domain.value("cgroup_from", ""), "assumed") << domain.dump();
  EXPECT_TRUE(domain["cgroup_problem"].is_null()) << domain.dump();

  // It starts in a slice of the user's own, not app.slice.
  std::string why;
  auto cgroup = TestCgroup::create_at(manager + "/session.slice/" + unit, 512 * kMiB, why);
  if (!cgroup) GTEST_SKIP() << why;
  Hog hog(cgroup->dir(), "robot-cam", 40, 0);
  ASSERT_TRUE(hog.ready());
  ASSERT_TRUE(eventually(
      [&] {
        domain = memory_domain_status(config, "cam");
        return domain.is_object() && domain.value("cgroup", "") == cgroup->path() &&
               domain.value("used_bytes", std::uint64_t{0}) > 30 * kMiB;
      },
      20s))
      << domain.dump() << agent.output();
  EXPECT_EQ(domain.value("cgroup_from", ""), "user manager") << domain.dump();
  EXPECT_EQ(domain.value("limit_bytes", std::uint64_t{0}), 512 * kMiB) << domain.dump();

  agent.signal(SIGTERM);
  ASSERT_EQ(agent.wait_exit(10s), 0);
  const auto events = read_events(config);
  const int moved = find_event(events, "memory_monitor", "cgroup", cgroup->path());
  ASSERT_GE(moved, 0) << events.dump(1);
  EXPECT_NE(events[static_cast<std::size_t>(moved)]
                .value("message", "")
                .find(unit + " runs in " + cgroup->path() + " (found below " + uid + "'s manager"),
            std::string::npos)
      << events.dump(1);
}

TEST(MemoryWatchUnitHost, AnUnknownUserIsSaidOnceAndTheWatchWaits) {
  TempDir dir;
  const auto config = write_sim_config(
      dir,
      "[memory]\nenabled = true\nsample_interval_ms = 200\nfast_sample_interval_ms = 100\n"
      "[memory.ssh]\nenabled = false\n"
      "[[memory.watch]]\nname = \"cam\"\nunit = \"cam.service\"\n"
      "user = \"no-such-user-lifeline\"\n");
  AgentProcess agent(config, dir.file("agent.log"));
  agent.start();
  ASSERT_TRUE(agent.wait_for_output("watchdog_opened", 10s)) << agent.output();
  nlohmann::json domain;
  ASSERT_TRUE(eventually(
      [&] {
        domain = memory_domain_status(config, "cam");
        return domain.is_object() && domain["cgroup_problem"].is_string();
      },
      10s))
      << domain.dump() << agent.output();
  EXPECT_NE(domain["cgroup_problem"].get<std::string>().find(
                "there is no user no-such-user-lifeline on this machine"),
            std::string::npos)
      << domain.dump();
  EXPECT_FALSE(domain.contains("cgroup")) << domain.dump();
  std::this_thread::sleep_for(4s);  // looked up again with a back-off: still one record
  agent.signal(SIGTERM);
  ASSERT_EQ(agent.wait_exit(10s), 0);
  const auto events = read_events(config);
  int said = 0;
  for (const auto& e : events) {
    said += e.value("message", "").find("cannot find where cam.service runs") != std::string::npos;
  }
  EXPECT_EQ(said, 1) << events.dump(1);
}

TEST(MemoryWatchUnitHost, WithoutASystemBusTheUnitIsAssumedInTheSystemSliceAndSaysWhy) {
  TempDir dir;
  const auto config = unit_watch_config(dir);
  AgentProcess agent(config, dir.file("agent.log"));
  agent.set_env({"DBUS_SYSTEM_BUS_ADDRESS=unix:path=" + dir.file("no-bus")});
  agent.start();
  ASSERT_TRUE(agent.wait_for_output("watchdog_opened", 10s)) << agent.output();
  nlohmann::json domain;
  ASSERT_TRUE(eventually(
      [&] {
        domain = memory_domain_status(config, "app");
        return domain.is_object() && domain["cgroup_problem"].is_string();
      },
      10s))
      << domain.dump() << agent.output();
  EXPECT_EQ(domain.value("cgroup", ""), "/system.slice/" + kUnit) << domain.dump();
  EXPECT_EQ(domain.value("cgroup_from", ""), "assumed") << domain.dump();
  EXPECT_NE(domain["cgroup_problem"].get<std::string>().find("system bus"), std::string::npos)
      << domain.dump();
  // Asked again with a back-off (the assumed cgroup is absent here): still one record.
  std::this_thread::sleep_for(4s);
  agent.signal(SIGTERM);
  ASSERT_EQ(agent.wait_exit(10s), 0);
  const auto events = read_events(config);
  int said = 0;
  for (const auto& e : events) {
    said += e.value("message", "").find("cannot ask systemd where " + kUnit) != std::string::npos;
  }
  EXPECT_EQ(said, 1) << events.dump(1);
}

}  // namespace
}  // namespace lifeline::test
