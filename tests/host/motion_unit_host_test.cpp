// The real lifeline binary following the control app through its systemd unit: a private
// dbus-daemon and a fake systemd (support/system_bus.hpp) serve `avatar-tank.service`,
// whose MainPID is a real child process of this test; a pseudo-terminal is the motor
// controller's UART and the sim board's motor_enable line is read back. The test plays
// systemd: it kills the main process with a real SIGKILL and publishes what systemd
// would (Result=signal, ExecMainCode=CLD_KILLED, ExecMainStatus=9, ActiveState=failed),
// then "restarts" the unit with a new child, as Restart=always would.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/motion_rig.hpp"
#include "support/process.hpp"
#include "support/system_bus.hpp"

namespace lifeline::test {
namespace {

constexpr const char* kUnit = "avatar-tank.service";
constexpr const char* kFailedRecord = "avatar-tank.service failed: killed by signal 9 (KILL)";

// Sabertooth packetized serial, address 128: motor 1 and motor 2 forward at speed 0.
const std::vector<std::uint8_t> kStopFrame{0x80, 0x00, 0x00, 0x00, 0x80, 0x04, 0x00, 0x04};

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class MotionUnitHost : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::access("/usr/bin/dbus-daemon", X_OK), 0) << "the test needs dbus-daemon";
    ASSERT_TRUE(bus_.start()) << bus_.log();
    app_.start();
    ASSERT_GT(app_.pid(), 0);
    FakeUnit unit;
    unit.main_pid = static_cast<std::uint32_t>(app_.pid());
    unit.n_restarts = 0;
    systemd_ = std::make_unique<FakeSystemd>(bus_.address(), kUnit, unit);
    ASSERT_TRUE(systemd_->ok()) << bus_.log();

    config_ = write_sim_config(dir_,
                               "[motion]\nenabled = true\nprotocol = \"sabertooth-packetized\"\n"
                               "serial_device = \"" +
                                   port_.link() +
                                   "\"\nstop_repeat_ms = 1000\n"
                                   "[motion.app]\nunit = \"" +
                                   kUnit +
                                   "\"\ncrash_loop_deaths = 3\ncrash_loop_window_s = 60\n"
                                   "stop_unit_on_crash_loop = true\n");
    agent_ = std::make_unique<AgentProcess>(config_, dir_.file("out.log"));
    agent_->set_env({"DBUS_SYSTEM_BUS_ADDRESS=" + bus_.address()});
    agent_->start();
    ASSERT_TRUE(eventually(
        [&] {
          return run_cli({"status", "--config", config_}).exit_code == 0;
        },
        15s))
        << agent_->output();
  }

  void TearDown() override {
    if (agent_ && agent_->pid() > 0) {
      agent_->signal(SIGTERM);
      EXPECT_EQ(agent_->wait_exit(15s), 0) << agent_->output();
    }
    if (HasFailure() && agent_) {
      std::printf("--- lifeline output ---\n%s\n--- bus log ---\n%s\n", agent_->output().c_str(),
                  bus_.log().c_str());
    }
    agent_.reset();    // SIGKILLed and reaped by PID if it did not exit
    systemd_.reset();  // joins its thread
    bus_.kill();       // SIGKILL and reap, by PID
  }

  // `lifeline status --json`'s motion.app, or null.
  nlohmann::json app_status() const {
    const auto result = run_cli({"status", "--config", config_, "--json"});
    if (result.exit_code != 0) return nullptr;
    const auto status = nlohmann::json::parse(result.out, nullptr, false);
    if (status.is_discarded() || !status.contains("motion") || !status["motion"].is_object()) {
      return nullptr;
    }
    return status["motion"].value("app", nlohmann::json(nullptr));
  }

  // lifeline watches `pid` as the app, learned from the unit over the bus.
  bool watching(pid_t pid) const {
    return eventually(
        [&] {
          const auto app = app_status();
          return app.is_object() && app.value("pid", -1) == pid &&
                 app.value("unit", nlohmann::json::object()).value("connected", false);
        },
        15s);
  }

  // A real SIGKILL of the main process, then systemd's account of it.
  void kill_main_process() {
    app_.kill(SIGKILL);  // and reaped by this test, its parent
    systemd_->change([](FakeUnit& u) {
      u.active_state = "failed";
      u.sub_state = "failed";
      u.result = "signal";
      u.main_pid = 0;
      u.exec_main_code = CLD_KILLED;
      u.exec_main_status = SIGKILL;
    });
  }

  // What Restart=always does next: a new main process, NRestarts one higher.
  void restart_unit() {
    app_.start();
    const auto pid = static_cast<std::uint32_t>(app_.pid());
    systemd_->change([pid](FakeUnit& u) {
      u.active_state = "active";
      u.sub_state = "running";
      u.result = "success";
      u.main_pid = pid;
      u.n_restarts += 1;
    });
  }

  TempDir dir_;
  MotorPort port_{dir_.file("motor-serial")};
  FakeApp app_{dir_.file("app.pid"), {"/bin/sleep", "1000"}};  // the pidfile is not configured
  DBusDaemon bus_{dir_.path()};
  std::unique_ptr<FakeSystemd> systemd_;
  std::string config_;
  std::unique_ptr<AgentProcess> agent_;
};

TEST_F(MotionUnitHost, FollowsTheMainPidAndStopsWhenSystemdReportsAKill) {
  ASSERT_TRUE(watching(app_.pid())) << app_status().dump() << "\n" << agent_->output();
  EXPECT_GE(systemd_->subscribes(), 1);
  const auto rearm = run_cli({"rearm", "--config", config_});
  ASSERT_EQ(rearm.exit_code, 0) << rearm.out << rearm.err;
  ASSERT_EQ(sim_line_value(dir_, "motor_enable"), 1);
  port_.drain();  // the stop frames repeated while stopped at start

  kill_main_process();
  EXPECT_EQ(port_.read(kStopFrame.size(), 3s), kStopFrame) << "exactly the stop frame, first";
  EXPECT_TRUE(eventually([&] { return sim_line_value(dir_, "motor_enable") == 0; }, 3s));
  ASSERT_TRUE(agent_->wait_for_output(kFailedRecord, 10s)) << agent_->output();
  const std::string output = agent_->output();
  EXPECT_NE(output.find("exit=\"code=killed, status=9/KILL\""), std::string::npos) << output;
  EXPECT_NE(output.find("result=signal"), std::string::npos) << output;
  EXPECT_EQ(occurrences(output, kFailedRecord), 1U) << output;

  const auto app = app_status();
  ASSERT_TRUE(app.is_object());
  EXPECT_FALSE(app.value("process_alive", true));
  EXPECT_FALSE(app.contains("pid")) << app.dump();
  const auto unit = app.value("unit", nlohmann::json::object());
  EXPECT_EQ(unit.value("active_state", ""), "failed") << app.dump();
  EXPECT_EQ(unit.value("result", ""), "signal") << app.dump();
  EXPECT_TRUE(systemd_->stop_calls().empty()) << "one death is not a crash loop";
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(sim_line_value(dir_, "motor_enable"), 0) << "must not re-arm by itself";
}

TEST_F(MotionUnitHost, ACrashLoopUnderRestartAlwaysStopsTheUnitOnce) {
  ASSERT_TRUE(watching(app_.pid())) << app_status().dump() << "\n" << agent_->output();
  for (int death = 1; death <= 3; ++death) {
    kill_main_process();
    ASSERT_TRUE(eventually(
        [&] {
          const auto app = app_status();
          return app.is_object() && app.value("deaths_total", 0) == death;
        },
        10s))
        << "death " << death << ": " << app_status().dump();
    ASSERT_TRUE(eventually(
        [&] {
          return occurrences(agent_->output(), kFailedRecord) == static_cast<std::size_t>(death);
        },
        10s))
        << "death " << death << ": " << agent_->output();
    if (death == 3) break;
    EXPECT_TRUE(systemd_->stop_calls().empty()) << "stopped the unit after " << death << " deaths";
    restart_unit();
    ASSERT_TRUE(watching(app_.pid())) << "restart " << death << ": " << app_status().dump();
  }

  ASSERT_TRUE(agent_->wait_for_output("fault_raised  app_crash_loop", 10s)) << agent_->output();
  ASSERT_TRUE(eventually([&] { return !systemd_->stop_calls().empty(); }, 10s)) << agent_->output();
  ASSERT_TRUE(agent_->wait_for_output("StopUnit(avatar-tank.service, replace)", 10s))
      << agent_->output();
  std::this_thread::sleep_for(1500ms);  // a second StopUnit would have arrived by now
  const auto calls = systemd_->stop_calls();
  ASSERT_EQ(calls.size(), 1U);
  EXPECT_EQ(calls[0].first, kUnit);
  EXPECT_EQ(calls[0].second, "replace");

  const auto app = app_status();
  ASSERT_TRUE(app.is_object());
  EXPECT_TRUE(app.value("crash_loop", false)) << app.dump();
  EXPECT_EQ(app.value("unit", nlohmann::json::object()).value("n_restarts", 0U), 2U) << app.dump();
  const auto rearm = run_cli({"rearm", "--config", config_});
  EXPECT_EQ(rearm.exit_code, 1) << rearm.out << rearm.err;
  EXPECT_NE(rearm.out.find("crash loop"), std::string::npos) << rearm.out;
  EXPECT_EQ(sim_line_value(dir_, "motor_enable"), 0);
}

}  // namespace
}  // namespace lifeline::test
