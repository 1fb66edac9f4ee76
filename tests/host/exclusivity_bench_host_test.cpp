// The exclusivity numbers for docs/performance.md, measured with the real lifeline binary
// against FakeUnitManager on a real dbus-daemon. Skipped unless LIFELINE_EXCLUSIVITY_BENCH
// is set (`./dev bench` sets it, tests/host/dev-exclusivity.sh), so the host tier stays
// fast; the sweep is 600 s, so every action measured follows a signal.
//   1. signal -> action: a duplicate unit announced (UnitNew + UnitFilesChanged, time taken
//      in the fake as it sends them) until the fake receives StopUnit (mode "stop", a
//      running duplicate) or MaskUnitFiles (mode "mask", a unit that is only enabled).
//   2. one audit over 300 unit files: lifeline's CPU time (utime + stime from
//      /proc/PID/stat) for one signal-triggered check, its survey time and its RSS.
#include <unistd.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/fake_unit_manager.hpp"
#include "support/process.hpp"
#include "support/system_bus.hpp"

namespace lifeline::test {
namespace {

using Clock = std::chrono::steady_clock;

FakeService duplicate(const std::string& name, bool running) {
  FakeService s;
  s.name = name;
  s.active_state = running ? "active" : "inactive";
  s.unit_file_state = "enabled";
  s.unit_file_preset = "enabled";
  s.exec_path = "/usr/local/bin/mediamtx";
  s.exec_argv = {s.exec_path};
  s.main_pid = running ? 4100 : 0;
  return s;
}

// utime + stime of `pid` in clock ticks.
long cpu_ticks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  long utime = 0;
  long stime = 0;
  for (int i = 3; fields >> field; ++i) {
    if (i == 14) utime = std::stol(field);
    if (i == 15) {
      stime = std::stol(field);
      break;
    }
  }
  return utime + stime;
}

long status_kib(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(key + ":")) return std::stol(line.substr(key.size() + 1));
  }
  return -1;
}

struct Rig {
  TempDir bus_dir;
  TempDir dir;
  DBusDaemon bus{bus_dir.path()};
  std::unique_ptr<FakeUnitManager> systemd;
  std::string config;
  std::unique_ptr<AgentProcess> agent;

  bool start() {
    if (!bus.start()) return false;
    systemd = std::make_unique<FakeUnitManager>(bus.address());
    FakeService owner = duplicate("avatar-tank.service", true);
    owner.main_pid = 3000;
    systemd->add(owner);
    return systemd->ok();
  }
  bool run_agent(const std::string& mode) {
    config =
        write_sim_config(dir, "[exclusivity]\ninterval_ms = 600000\nmask_dir = \"" + dir.path() +
                                  "\"\n[[exclusivity.role]]\n"
                                  "name = \"media\"\nunit = \"avatar-tank.service\"\n"
                                  "binaries = [\"/usr/local/bin/mediamtx\"]\nmode = \"" +
                                  mode + "\"\n");
    agent = std::make_unique<AgentProcess>(config, dir.file("agent.log"));
    agent->set_env({"DBUS_SYSTEM_BUS_ADDRESS=" + bus.address()});
    agent->start();
    return agent->wait_for_output("exclusivity checks follow systemd's unit signals", 15s);
  }
};

void print_stats(const std::string& what, std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  std::printf("%s: n=%zu min %.1f ms, median %.1f ms, p90 %.1f ms, max %.1f ms\n", what.c_str(),
              ms.size(), ms.front(), ms[ms.size() / 2], ms[ms.size() * 9 / 10], ms.back());
}

class ExclusivityBench : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::getenv("LIFELINE_EXCLUSIVITY_BENCH") == nullptr) {
      GTEST_SKIP() << "a benchmark: set LIFELINE_EXCLUSIVITY_BENCH=1 (./dev bench does)";
    }
  }
};

TEST_F(ExclusivityBench, SignalToAction) {
  for (const std::string mode : {"stop", "mask"}) {
    Rig rig;
    ASSERT_TRUE(rig.start());
    ASSERT_TRUE(rig.run_agent(mode)) << rig.agent->output();
    std::this_thread::sleep_for(500ms);  // the first check is done
    const std::string verb = mode == "stop" ? "StopUnit" : "MaskUnitFiles";
    std::vector<double> ms;
    for (int i = 0; i < 20; ++i) {
      const std::string name = "dup" + std::to_string(i) + ".service";
      const auto sent = rig.systemd->add_and_announce(duplicate(name, mode == "stop"));
      ASSERT_TRUE(
          eventually([&] { return !rig.systemd->calls_starting(verb + " " + name).empty(); }, 10s))
          << rig.agent->output();
      for (const ManagerCall& call : rig.systemd->calls()) {
        if (call.text.starts_with(verb + " " + name)) {
          ms.push_back(std::chrono::duration<double, std::milli>(call.at - sent).count());
        }
      }
      rig.systemd->remove(name);
      std::this_thread::sleep_for(300ms);  // not one debounce window for two units
    }
    print_stats("signal -> " + verb + " (mode " + mode + ", 2 other units)", ms);
    rig.agent->signal(SIGTERM);
    ASSERT_EQ(rig.agent->wait_exit(10s), 0);
  }
}

TEST_F(ExclusivityBench, AuditOf300UnitFiles) {
  Rig rig;
  ASSERT_TRUE(rig.start());
  // 300 service files: 60 loaded and running, 240 only files (enabled, disabled with and
  // without a preset, static), none a duplicate; LoadUnit is needed for the 240.
  for (int i = 0; i < 300; ++i) {
    FakeService s;
    s.name = "unit" + std::to_string(i) + ".service";
    s.loaded = i < 60;
    s.active_state = i < 60 ? "active" : "inactive";
    static const char* kStates[] = {"enabled", "disabled", "disabled", "static"};
    s.unit_file_state = kStates[i % 4];
    s.unit_file_preset = i % 3 == 0 ? "enabled" : "disabled";
    s.exec_path = "/usr/bin/prog" + std::to_string(i);
    s.exec_argv = {s.exec_path, "--config", "/etc/prog" + std::to_string(i) + ".conf"};
    s.main_pid = i < 60 ? static_cast<std::uint32_t>(10000 + i) : 0;
    rig.systemd->add(s);
  }
  ASSERT_TRUE(rig.run_agent("report")) << rig.agent->output();
  std::this_thread::sleep_for(3s);  // the start's check is over
  const pid_t pid = rig.agent->pid();
  const long hz = ::sysconf(_SC_CLK_TCK);
  std::vector<double> cpu_ms;
  for (int i = 0; i < 10; ++i) {
    const std::size_t reads = rig.systemd->property_reads();
    const long before = cpu_ticks(pid);
    rig.systemd->add_and_announce(duplicate("x.service", false));
    rig.systemd->remove("x.service");
    ASSERT_TRUE(eventually([&] { return rig.systemd->property_reads() > reads + 1000; }, 20s));
    std::this_thread::sleep_for(1500ms);  // the check after the survey, and quiet
    cpu_ms.push_back(1000.0 * static_cast<double>(cpu_ticks(pid) - before) /
                     static_cast<double>(hz));
  }
  const auto status = run_cli({"status", "--config", rig.config, "--json"});
  auto json = nlohmann::json::parse(status.out, nullptr, false);
  if (json.contains("status")) json = json["status"];
  const auto part = json.value("exclusivity", nlohmann::json::object());
  print_stats("lifeline CPU per audit of 300 unit files (incl. the 200 ms debounce idle)", cpu_ms);
  std::printf(
      "units read: %d (of 300 files; static ones skipped), last survey %.1f ms, last "
      "check (/proc part) %.1f ms, VmRSS %ld KiB, VmHWM %ld KiB\n",
      part.value("units_seen", 0), part.value("last_survey_us", 0) / 1000.0,
      part.value("last_check_us", 0) / 1000.0, status_kib(pid, "VmRSS"), status_kib(pid, "VmHWM"));
  EXPECT_GE(part.value("units_seen", 0), 200);
  rig.agent->signal(SIGTERM);
  ASSERT_EQ(rig.agent->wait_exit(10s), 0);
}

}  // namespace
}  // namespace lifeline::test
