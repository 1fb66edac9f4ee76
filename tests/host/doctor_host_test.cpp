// `lifeline doctor`, the real binary: the incident trees under tests/fixtures/doctor, its
// check of lifeline's own devices on this machine (a missing watchdog, a serial port another
// process holds, a GPIO chip that does not exist, a state directory in RAM), real processes
// named like other OOM daemons and sshd, and the agent running doctor at start.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "support/memory_rig.hpp"
#include "support/motion_rig.hpp"
#include "support/process.hpp"

namespace lifeline::test {
namespace {

std::string fixture(const std::string& name) {
  return std::string(LIFELINE_SOURCE_DIR) + "/tests/fixtures/doctor/" + name;
}

struct DoctorRun {
  int exit_code = -1;
  nlohmann::json report;
  std::string err;
};

DoctorRun doctor(std::vector<std::string> args) {
  args.insert(args.begin(), "doctor");
  args.emplace_back("--json");
  const CliResult result = run_cli(args, 60s);
  DoctorRun run{result.exit_code, nlohmann::json::parse(result.out, nullptr, false), result.err};
  return run;
}

// The findings with `id`, as JSON objects.
std::vector<nlohmann::json> with_id(const DoctorRun& run, const std::string& id) {
  std::vector<nlohmann::json> out;
  for (const auto& f : run.report["findings"]) {
    if (f["id"] == id) out.push_back(f);
  }
  return out;
}

bool seen_contains(const std::vector<nlohmann::json>& findings, const std::string& text) {
  for (const auto& f : findings) {
    if (f["seen"].get<std::string>().find(text) != std::string::npos) return true;
  }
  return false;
}

// A copy of /bin/sleep under another name: the kernel names the process after the file.
std::string named_sleep(const TempDir& dir, const std::string& name) {
  const std::string path = dir.file(name);
  std::filesystem::copy_file("/bin/sleep", path);
  ::chmod(path.c_str(), 0755);
  return path;
}

TEST(DoctorHost, EachIncidentTreeGivesItsFindingAndExitCode) {
  struct Case {
    const char* tree;
    const char* app;
    int exit_code;
    const char* finding;
  };
  for (const Case& c :
       {Case{"healthy", "avatar-tank.service", 0, "units.ok"},
        Case{"incident-2025-10-23", "avatar-tank.service", 2, "units.duplicate"},
        Case{"incident-2025-10-24", "avatar-tank.service", 2, "app.restart-unlimited"},
        Case{"incident-2025-10-25", "avatar-tank.service", 2, "units.duplicate-preset"},
        Case{"incident-2026-02-08", "kontali-backend.service", 2, "swap.none"}}) {
    const DoctorRun run = doctor({"--root", fixture(c.tree), "--app-unit", c.app});
    EXPECT_EQ(run.exit_code, c.exit_code) << c.tree << ": " << run.err;
    EXPECT_FALSE(with_id(run, c.finding).empty()) << c.tree << ": " << run.report.dump(1);
    // Offline: neither lifeline's devices nor the processes of this machine are judged.
    EXPECT_EQ(with_id(run, "lifeline.not-checked").size(), 1U) << c.tree;
    EXPECT_EQ(with_id(run, "live.not-checked").size(), 1U) << c.tree;
  }
}

TEST(DoctorHost, LifelinesOwnDevicesMissingHeldByAnotherOrInRam) {
  TempDir dir;
  MotorPort port(dir.file("motor-serial"));  // a pseudo-terminal; this test holds it open
  const std::string held = std::filesystem::canonical(dir.file("motor-serial")).string();
  const int holder = ::open(held.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(holder, 0);
  char shm_template[] = "/dev/shm/lifeline-doctor-XXXXXX";  // tmpfs: lost at reboot
  ASSERT_NE(::mkdtemp(shm_template), nullptr);
  const std::string state_dir = shm_template;
  write_absent_linux_board(dir);
  write_file(dir.file("lifeline.toml"),
             "[agent]\nboard = \"" + dir.file("board.toml") + "\"\nstate_dir = \"" + state_dir +
                 "\"\n[motion]\nenabled = true\nprotocol = \"sabertooth-packetized\"\n"
                 "[motion.app]\npidfile = \"" +
                 dir.file("app.pid") + "\"\n");

  const DoctorRun run = doctor({"--root", fixture("healthy"), "--app-unit", "avatar-tank.service",
                                "--live", "--config", dir.file("lifeline.toml")});
  ::close(holder);
  std::filesystem::remove_all(state_dir);
  EXPECT_EQ(run.exit_code, 2) << run.err;
  const auto missing = with_id(run, "lifeline.device-missing");
  ASSERT_EQ(missing.size(), 2U) << run.report.dump(1);
  EXPECT_EQ(missing[0]["title"], "watchdog (" + dir.file("no-watchdog") + ") is missing");
  EXPECT_TRUE(seen_contains(missing, "GPIO chip 'lifeline-test-no-such-chip'"))
      << run.report.dump(1);
  const auto busy = with_id(run, "lifeline.device-busy");
  ASSERT_EQ(busy.size(), 1U) << run.report.dump(1);
  EXPECT_TRUE(seen_contains(busy, "-> " + held + ", held by PID " + std::to_string(::getpid())))
      << busy[0].dump();
  const auto volatile_dir = with_id(run, "lifeline.state-dir-volatile");
  ASSERT_EQ(volatile_dir.size(), 1U) << run.report.dump(1);
  EXPECT_EQ(volatile_dir[0]["seen"], state_dir + " is on tmpfs");
  EXPECT_TRUE(with_id(run, "lifeline.ok").empty());
}

TEST(DoctorHost, TheKernelConsoleOnTheMotorPortAndARejectedConfig) {
  TempDir dir;
  const std::string tree = dir.file("root");
  std::filesystem::copy(
      fixture("healthy"), tree,
      std::filesystem::copy_options::recursive | std::filesystem::copy_options::copy_symlinks);
  std::filesystem::create_directories(tree + "/proc");
  write_file(tree + "/proc/cmdline", "console=ttyS0,115200 console=tty1 root=/dev/mmcblk0p2\n");
  write_sim_config(dir,
                   "[motion]\nenabled = true\nprotocol = \"sabertooth-packetized\"\n"
                   "serial_device = \"/dev/ttyS0\"\n[motion.app]\npidfile = \"" +
                       dir.file("app.pid") + "\"\n");
  const DoctorRun console = doctor(
      {"--root", tree, "--app-unit", "avatar-tank.service", "-c", dir.file("lifeline.toml")});
  EXPECT_EQ(console.exit_code, 2) << console.err;
  const auto found = with_id(console, "lifeline.serial-console");
  ASSERT_EQ(found.size(), 1U) << console.report.dump(1);
  EXPECT_EQ(found[0]["seen"], "console=ttyS0 on the kernel command line");

  write_file(dir.file("bad.toml"), "[agent]\nboard = \"no-such-board-anywhere\"\n");
  const DoctorRun bad = doctor({"--root", fixture("healthy"), "--app-unit", "avatar-tank.service",
                                "-c", dir.file("bad.toml")});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  const auto invalid = with_id(bad, "lifeline.config-invalid");
  ASSERT_EQ(invalid.size(), 1U) << bad.report.dump(1);
  EXPECT_TRUE(seen_contains(invalid, "no-such-board-anywhere")) << invalid[0].dump();
}

TEST(DoctorHost, OtherOomDaemonsAndAnUnprotectedSshdRunningNow) {
  TempDir dir;
  FakeApp earlyoom(dir.file("earlyoom.pid"), {named_sleep(dir, "earlyoom"), "100000"});
  FakeApp sshd(dir.file("sshd.pid"), {named_sleep(dir, "sshd"), "100000"});
  earlyoom.start();
  sshd.start();
  const std::string sshd_pid = std::to_string(sshd.pid());
  write_file("/proc/" + sshd_pid + "/oom_score_adj", "0\n");

  const auto run_live = [] {
    return doctor({"--root", fixture("healthy"), "--app-unit", "avatar-tank.service", "--live"});
  };
  const DoctorRun before = run_live();
  EXPECT_EQ(before.exit_code, 1) << before.err;  // warnings: earlyoom, sshd
  EXPECT_TRUE(seen_contains(with_id(before, "oom.other-daemon-running"),
                            "earlyoom running: PID " + std::to_string(earlyoom.pid())))
      << before.report.dump(1);
  EXPECT_TRUE(seen_contains(with_id(before, "ssh.running-unprotected"),
                            "sshd PID " + sshd_pid + ": oom_score_adj 0"))
      << before.report.dump(1);

  // The value is read now, from the process: raised (lowering it needs CAP_SYS_RESOURCE,
  // which this machine's root may lack), the next run sees the new one. "Protected" is the
  // unit tests' (doctor_self_live_test.cpp).
  write_file("/proc/" + sshd_pid + "/oom_score_adj", "300\n");
  const DoctorRun after = run_live();
  EXPECT_TRUE(seen_contains(with_id(after, "ssh.running-unprotected"),
                            "sshd PID " + sshd_pid + ": oom_score_adj 300"))
      << after.report.dump(1);
}

TEST(DoctorHost, TheAgentRunsDoctorAtStartAndRecordsWhatItFound) {
  TempDir dir;
  FakeApp earlyoom(dir.file("earlyoom.pid"), {named_sleep(dir, "earlyoom"), "100000"});
  earlyoom.start();
  // A real-time loop: the audit thread must not inherit SCHED_FIFO from it.
  const std::string config = write_sim_config(dir, "realtime_priority = 10\n");
  AgentProcess agent(config, dir.file("out.log"));
  agent.start();
  ASSERT_TRUE(agent.wait_for_output("doctor_report", 60s)) << agent.output();

  const nlohmann::json events = read_events(config);
  const int report = find_event(events, "doctor_report");
  ASSERT_GE(report, 0) << events.dump(1);
  const auto& fields = events[static_cast<std::size_t>(report)]["fields"];
  const std::string ids = fields.value("findings", "");
  EXPECT_NE(ids.find("lifeline.sim-board"), std::string::npos) << ids;
  EXPECT_NE(ids.find("oom.other-daemon-running"), std::string::npos) << ids;
  const int started = find_event(events, "agent_started");
  ASSERT_GE(started, 0);
  EXPECT_EQ(events[static_cast<std::size_t>(started)]["fields"].value("realtime", ""),
            "SCHED_FIFO 10")
      << "this machine refuses SCHED_FIFO: the inheritance is not tested";
  EXPECT_EQ(fields.value("priority", ""), "SCHED_OTHER nice 10");
  const int finding = find_event(events, "doctor_finding", "id", "oom.other-daemon-running");
  ASSERT_GE(finding, 0) << events.dump(1);
  EXPECT_NE(events[static_cast<std::size_t>(finding)]["fields"]
                .value("seen", "")
                .find("PID " + std::to_string(earlyoom.pid())),
            std::string::npos);

  const nlohmann::json status = agent_status(config);
  ASSERT_TRUE(status.contains("doctor")) << status.dump(1);
  EXPECT_EQ(status["doctor"]["state"], "done");
  EXPECT_GE(status["doctor"]["summary"]["warning"].get<int>(), 2);
  agent.signal(SIGTERM);
  EXPECT_EQ(agent.wait_exit(20s), 0);
}

}  // namespace
}  // namespace lifeline::test
