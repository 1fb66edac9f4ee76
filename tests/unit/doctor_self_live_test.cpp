// Doctor's check of lifeline itself (config, board, devices) and of what is running, on
// facts handed in as values.
#include <gtest/gtest.h>

#include "doctor/live_checks.hpp"
#include "doctor/self_checks.hpp"

namespace lifeline::doctor {
namespace {

using Summary = std::vector<std::pair<std::string, FindingSeverity>>;
constexpr auto kOk = FindingSeverity::ok;
constexpr auto kInfo = FindingSeverity::info;
constexpr auto kWarning = FindingSeverity::warning;
constexpr auto kCritical = FindingSeverity::critical;

Summary summary(const std::vector<Finding>& findings) {
  Summary out;
  for (const Finding& f : findings) out.emplace_back(f.id, f.severity);
  return out;
}

SelfFacts healthy_pi() {
  SelfFacts facts;
  facts.config_path = "/etc/lifeline/lifeline.toml";
  facts.config_found = true;
  facts.board = "pi4 (Raspberry Pi 4 Model B)";
  facts.devices_checked = true;
  facts.state_dir = "/var/lib/lifeline";
  facts.devices = {{"state_dir", "/var/lib/lifeline", DeviceState::ok, ""},
                   {"watchdog", "/dev/watchdog0", DeviceState::ok, ""},
                   {"motor_serial", "/dev/serial0", DeviceState::ok, "-> /dev/ttyS0"},
                   {"motor_enable", "pinctrl-bcm2711 line 22", DeviceState::ok, "gpiochip0"}};
  return facts;
}

TEST(DoctorSelf, AHealthyRobotIsOneOkNamingEveryDevice) {
  const auto findings = check_lifeline(healthy_pi());
  EXPECT_EQ(summary(findings), (Summary{{"lifeline.ok", kOk}}));
  EXPECT_NE(findings[0].seen.find("4 devices: state_dir=/var/lib/lifeline watchdog=/dev/watchdog0 "
                                  "motor_serial=/dev/serial0 motor_enable=pinctrl-bcm2711 line 22"),
            std::string::npos)
      << findings[0].seen;
}

TEST(DoctorSelf, AMissingOrInvalidConfigIsCriticalAndAloneInItsFamily) {
  SelfFacts missing;
  missing.config_path = "/etc/lifeline/lifeline.toml";
  EXPECT_EQ(summary(check_lifeline(missing)), (Summary{{"lifeline.config-missing", kCritical}}));

  SelfFacts invalid = healthy_pi();
  invalid.config_error = "lifeline.toml:3:1: unknown key 'wachdog'";
  const auto findings = check_lifeline(invalid);
  EXPECT_EQ(summary(findings), (Summary{{"lifeline.config-invalid", kCritical}}));
  EXPECT_NE(findings[0].seen.find("unknown key 'wachdog'"), std::string::npos);
  EXPECT_EQ(findings[0].fix.rfind("lifeline check-config /etc/lifeline/lifeline.toml", 0), 0U);
}

TEST(DoctorSelf, EachDeviceStateIsACriticalFindingWithItsConsequenceAndFix) {
  SelfFacts facts = healthy_pi();
  facts.devices[1] = {"watchdog", "/dev/watchdog0", DeviceState::missing,
                      "No such file or directory"};
  facts.devices[2] = {"motor_serial", "/dev/serial0", DeviceState::busy,
                      "-> /dev/ttyS0, held by PID 612 (agetty)"};
  facts.devices[3] = {"motor_enable", "pinctrl-bcm2711 line 22", DeviceState::busy,
                      "gpiochip0, held by consumer 'app'"};
  facts.devices[0] = {"state_dir", "/var/lib/lifeline", DeviceState::inaccessible,
                      "/var/lib: Permission denied"};
  const auto findings = check_lifeline(facts);
  EXPECT_EQ(summary(findings), (Summary{{"lifeline.device-inaccessible", kCritical},
                                        {"lifeline.device-missing", kCritical},
                                        {"lifeline.device-busy", kCritical},
                                        {"lifeline.device-busy", kCritical}}));
  EXPECT_EQ(findings[1].title, "watchdog (/dev/watchdog0) is missing");
  EXPECT_NE(findings[1].why.find("never reset"), std::string::npos);
  EXPECT_EQ(findings[2].seen,
            "motor_serial: /dev/serial0: -> /dev/ttyS0, held by PID 612 (agetty)");
  EXPECT_EQ(findings[2].fix.rfind("fuser -v /dev/serial0", 0), 0U);
  EXPECT_NE(findings[2].why.find("stop frame"), std::string::npos);
  EXPECT_EQ(findings[3].fix.rfind("gpioinfo", 0), 0U);
  EXPECT_EQ(findings[0].fix.rfind("ls -l /var/lib/lifeline", 0), 0U);
}

TEST(DoctorSelf, SimBoardConsoleOnTheMotorPortAndAVolatileStateDir) {
  SelfFacts facts = healthy_pi();
  facts.serial_console = "ttyS0";
  facts.state_dir_volatile_fs = "tmpfs";
  EXPECT_EQ(summary(check_lifeline(facts)), (Summary{{"lifeline.serial-console", kCritical},
                                                     {"lifeline.state-dir-volatile", kWarning}}));
  SelfFacts sim = healthy_pi();
  sim.sim_board = true;
  sim.devices_checked = false;
  sim.devices.resize(1);
  sim.config_warnings = {"lifeline.toml:9:1: [motion] protocol is none"};
  EXPECT_EQ(summary(check_lifeline(sim)),
            (Summary{{"lifeline.config-warning", kInfo}, {"lifeline.sim-board", kWarning}}));
}

TEST(DoctorSelf, AnOfflineRunSaysTheDevicesWereNotChecked) {
  SelfFacts facts = healthy_pi();
  facts.devices_checked = false;
  facts.devices.clear();
  const auto findings = check_lifeline(facts);
  ASSERT_EQ(summary(findings), (Summary{{"lifeline.ok", kOk}}));
  EXPECT_NE(findings[0].seen.find("devices not checked"), std::string::npos);
}

TEST(DoctorSelf, KernelConsoles) {
  EXPECT_EQ(kernel_consoles("console=serial0,115200 console=tty1 root=PARTUUID=1 rootwait"),
            (std::vector<std::string>{"serial0", "tty1"}));
  EXPECT_EQ(kernel_consoles("quiet console=ttyS0 -- console=ttyAMA0"),
            (std::vector<std::string>{"ttyS0"}));  // after "--": init's arguments
  EXPECT_TRUE(kernel_consoles("").empty());
  EXPECT_TRUE(kernel_consoles("console= consoleblank=0\n").empty());
}

RunningProcess proc(pid_t pid, pid_t ppid, std::string comm, std::optional<int> adj = 0) {
  return RunningProcess{pid, ppid, std::move(comm), adj};
}

TEST(DoctorLive, OtherOomDaemonsRunningAndTheKernelsWatchdogdIsNoDaemon) {
  const std::vector<RunningProcess> processes = {proc(1, 0, "systemd"), proc(2, 0, "kthreadd"),
                                                 proc(42, 2, "watchdogd"), proc(812, 1, "earlyoom"),
                                                 proc(813, 1, "systemd-oomd")};
  const auto oom = check_running_oom_daemons(processes);
  EXPECT_EQ(summary(oom),
            (Summary{{"oom.other-daemon-running", kWarning}, {"oom.other-daemon-running", kInfo}}));
  EXPECT_EQ(oom[0].seen, "earlyoom running: PID 812");
  EXPECT_EQ(summary(check_running_watchdog_daemons(processes)),
            (Summary{{"watchdog.none-running", kOk}}));
  const auto daemon = check_running_watchdog_daemons({proc(900, 1, "watchdog")});
  EXPECT_EQ(summary(daemon), (Summary{{"watchdog.daemon-running", kWarning}}));
  EXPECT_EQ(daemon[0].fix, "systemctl mask --now watchdog.service");
  EXPECT_EQ(summary(check_running_oom_daemons({proc(1, 0, "systemd")})),
            (Summary{{"oom.none-running", kOk}}));
}

TEST(DoctorLive, TheSshListenerDecidesNotItsSessions) {
  // The listener protected, a session (child of sshd) at 0: protected.
  std::vector<RunningProcess> processes = {proc(1, 0, "systemd"), proc(700, 1, "sshd", -900),
                                           proc(7001, 700, "sshd", 0)};
  const auto findings = check_running_ssh(processes);
  EXPECT_EQ(summary(findings), (Summary{{"ssh.running-protected", kOk}}));
  EXPECT_EQ(findings[0].seen, "sshd PID 700: oom_score_adj -900");
  processes[1].oom_score_adj = -100;
  EXPECT_EQ(summary(check_running_ssh(processes)),
            (Summary{{"ssh.running-unprotected", kWarning}}));
  processes[1].oom_score_adj = std::nullopt;  // unreadable: not known to be protected
  EXPECT_EQ(summary(check_running_ssh(processes)),
            (Summary{{"ssh.running-unprotected", kWarning}}));
  EXPECT_EQ(summary(check_running_ssh({proc(1, 0, "systemd")})),
            (Summary{{"ssh.not-running", kInfo}}));
}

}  // namespace
}  // namespace lifeline::doctor
