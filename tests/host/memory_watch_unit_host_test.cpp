// A `unit =` watch finds its unit's cgroup by asking systemd (LoadUnit, then the unit's
// ControlGroup) over a real dbus-daemon, where a fake systemd reports a cgroup outside
// system.slice: a memory cgroup the test creates, with a real process in it. Without a bus
// the watch assumes /system.slice/UNIT and says why.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <memory>
#include <optional>
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

// A watch on a user unit: `unit` of `user`'s manager.
std::string user_watch_config(const TempDir& dir, const std::string& unit,
                              const std::string& user) {
  return write_sim_config(dir,
                          "[memory]\nenabled = true\nsample_interval_ms = 200\n"
                          "fast_sample_interval_ms = 100\n[memory.ssh]\nenabled = false\n"
                          "[[memory.watch]]\nname = \"cam\"\nunit = \"" +
                              unit + "\"\nuser = \"" + user + "\"\n");
}

// A system unit of a fake systemd on a real dbus-daemon, loaded but not running (its
// ControlGroup is "" until it starts) and meant to run in a memory cgroup the test made
// (e.g. Slice=robot.slice: not /system.slice/UNIT) where a 40 MiB hog already is; and
// lifeline, started with a watch on it.
class MemoryWatchSystemUnitHost : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    auto made = TestCgroup::create(512 * kMiB, why);
    if (!made) GTEST_SKIP() << why;
    cgroup.emplace(std::move(*made));
    bus = std::make_unique<DBusDaemon>(dir.path());
    ASSERT_TRUE(bus->start()) << bus->log();
    systemd = std::make_unique<FakeUnitManager>(bus->address());
    ASSERT_TRUE(systemd->ok()) << bus->log();
    app.name = kUnit;
    app.active_state = "inactive";
    app.control_group = cgroup->path();
    systemd->add(app);
    hog = std::make_unique<Hog>(cgroup->dir(), "robot-app", 40, 0);
    ASSERT_TRUE(hog->ready());
    config = unit_watch_config(dir);
    agent = std::make_unique<AgentProcess>(config, dir.file("agent.log"));
    agent->set_env({"DBUS_SYSTEM_BUS_ADDRESS=" + bus->address()});
    agent->start();
    ASSERT_TRUE(agent->wait_for_output("watchdog_opened", 10s)) << agent->output();
  }

  std::optional<TestCgroup> cgroup;
  TempDir dir;
  std::unique_ptr<DBusDaemon> bus;
  std::unique_ptr<FakeUnitManager> systemd;
  FakeService app;
  std::unique_ptr<Hog> hog;
  std::string config;
  std::unique_ptr<AgentProcess> agent;
};

TEST_F(MemoryWatchSystemUnitHost, AUnitInAnotherSliceIsWatchedInTheCgroupSystemdNamesOnceItStarts) {
  // Asked, answered "no cgroup": still the assumed path, no problem.
  nlohmann::json domain;
  ASSERT_TRUE(eventually(
      [&] {
        domain = memory_domain_status(config, "app");
        return domain.is_object() && systemd->property_reads() >= 1;
      },
      10s))
      << domain.dump() << agent->output();
  EXPECT_EQ(domain.value("unit", ""), kUnit) << domain.dump();
  EXPECT_EQ(domain.value("cgroup", ""), "/system.slice/" + kUnit) << domain.dump();
  EXPECT_EQ(domain.value("cgroup_from", ""), "assumed") << domain.dump();
  EXPECT_TRUE(domain["cgroup_problem"].is_null()) << domain.dump();

  // The unit starts: it is asked about again while its cgroup is absent (after 1 s, 2 s,
  // 4 s ...), and the watch moves to where it runs and reads its memory there.
  app.active_state = "active";
  systemd->add(app);
  ASSERT_TRUE(eventually(
      [&] {
        domain = memory_domain_status(config, "app");
        return domain.is_object() && domain.value("cgroup", "") == cgroup->path() &&
               domain.value("used_bytes", std::uint64_t{0}) > 30 * kMiB;
      },
      20s))
      << domain.dump() << agent->output();
  EXPECT_EQ(domain.value("cgroup_from", ""), "systemd") << domain.dump();
  EXPECT_EQ(domain.value("limit_bytes", std::uint64_t{0}), 512 * kMiB) << domain.dump();
  // Found: no more questions while the cgroup is there.
  const std::size_t reads = systemd->property_reads();
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(systemd->property_reads(), reads);
  // While it was stopped, at most a question per back-off step, not one per 100-200 ms
  // sample: at 0, 1, 3, 7 and 15 s.
  EXPECT_LE(reads, 6U);

  agent->signal(SIGTERM);
  ASSERT_EQ(agent->wait_exit(10s), 0);
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
TEST_F(MemoryWatchSystemUnitHost, AStartedUnitIsAskedAboutOnItsJobRemovedSignal) {
  ASSERT_TRUE(eventually([&] { return systemd->property_reads() >= 3; }, 15s)) << agent->output();
  // Asked at 0, 1 and 3 s: the back-off's next question comes 4 s after this one.
  app.active_state = "active";
  const auto started = systemd->add_and_announce(app, /*files_changed=*/false);
  nlohmann::json domain;
  ASSERT_TRUE(eventually(
      [&] {
        domain = memory_domain_status(config, "app");
        return domain.is_object() && domain.value("cgroup", "") == cgroup->path();
      },
      10s))
      << domain.dump() << agent->output();
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_LT(took, 2500ms) << "the watch moved only "
                          << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                          << " ms after the start job ended: at the back-off, not the signal";
  EXPECT_EQ(domain.value("cgroup_job_signals", 0), 1) << domain.dump();
  EXPECT_EQ(domain.value("cgroup_from", ""), "systemd") << domain.dump();
  agent->signal(SIGTERM);
  ASSERT_EQ(agent->wait_exit(10s), 0);
}

// A user unit (systemd --user) is found by its name below its user's manager, in
// whichever slice it runs: no bus is asked (there is none here), the cgroup tree says it.
TEST(MemoryWatchUnitHost, AUserUnitIsFoundBelowItsUsersManagerOnceItStarts) {
  const std::string uid = "4242";
  const std::string manager = "/user.slice/user-" + uid + ".slice/user@" + uid + ".service";
  const std::string unit = "robot-cam-" + std::to_string(::getpid()) + ".service";
  TempDir dir;
  const auto config = user_watch_config(dir, unit, uid);
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

// lifeline on `config` until watch `name` shows a cgroup_problem, then 4 s more (the
// back-off asks again meanwhile) before it stops: that status, and how many records say
// `said` (one is right: a problem is recorded once, not at every question).
struct ProblemSeen {
  nlohmann::json domain;
  int records = 0;
};
ProblemSeen run_until_problem(const TempDir& dir, const std::string& config,
                              const std::string& name, const std::string& said) {
  ProblemSeen seen;
  AgentProcess agent(config, dir.file("agent.log"));
  agent.set_env({"DBUS_SYSTEM_BUS_ADDRESS=unix:path=" + dir.file("no-bus")});
  agent.start();
  EXPECT_TRUE(agent.wait_for_output("watchdog_opened", 10s)) << agent.output();
  EXPECT_TRUE(eventually(
      [&] {
        seen.domain = memory_domain_status(config, name);
        return seen.domain.is_object() && seen.domain["cgroup_problem"].is_string();
      },
      10s))
      << seen.domain.dump() << agent.output();
  std::this_thread::sleep_for(4s);
  agent.signal(SIGTERM);
  EXPECT_EQ(agent.wait_exit(10s), 0);
  for (const auto& e : read_events(config)) {
    seen.records += e.value("message", "").find(said) != std::string::npos;
  }
  return seen;
}

TEST(MemoryWatchUnitHost, AnUnknownUserIsSaidOnceAndTheWatchWaits) {
  TempDir dir;
  const auto config = user_watch_config(dir, "cam.service", "no-such-user-lifeline");
  const auto seen = run_until_problem(dir, config, "cam", "cannot find where cam.service runs");
  ASSERT_TRUE(seen.domain["cgroup_problem"].is_string()) << seen.domain.dump();
  EXPECT_NE(seen.domain["cgroup_problem"].get<std::string>().find(
                "there is no user no-such-user-lifeline on this machine"),
            std::string::npos)
      << seen.domain.dump();
  EXPECT_FALSE(seen.domain.contains("cgroup")) << seen.domain.dump();
  EXPECT_EQ(seen.records, 1);
}

TEST(MemoryWatchUnitHost, WithoutASystemBusTheUnitIsAssumedInTheSystemSliceAndSaysWhy) {
  TempDir dir;
  const auto config = unit_watch_config(dir);
  // The assumed cgroup is absent here, so it is asked about again with a back-off.
  const auto seen = run_until_problem(dir, config, "app", "cannot ask systemd where " + kUnit);
  ASSERT_TRUE(seen.domain["cgroup_problem"].is_string()) << seen.domain.dump();
  EXPECT_EQ(seen.domain.value("cgroup", ""), "/system.slice/" + kUnit) << seen.domain.dump();
  EXPECT_EQ(seen.domain.value("cgroup_from", ""), "assumed") << seen.domain.dump();
  EXPECT_NE(seen.domain["cgroup_problem"].get<std::string>().find("system bus"), std::string::npos)
      << seen.domain.dump();
  EXPECT_EQ(seen.records, 1);
}

}  // namespace
}  // namespace lifeline::test
