// The real lifeline binary stopping "motors": a pseudo-terminal is the motor
// controller's UART (the test reads the exact bytes), a child process is the control
// app (killed with real signals), the sim board's motor_enable line is read back.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <thread>

#include "support/memory_rig.hpp"
#include "support/motion_rig.hpp"
#include "support/process.hpp"

namespace lifeline::test {
namespace {

// Sabertooth packetized serial, address 128: motor 1 and motor 2 forward at speed 0,
// each packet address, command, data, (address + command + data) & 0x7F.
const std::vector<std::uint8_t> kStopFrame{0x80, 0x00, 0x00, 0x00, 0x80, 0x04, 0x00, 0x04};

// The frame is written first and the enable line a few microseconds later: a test that
// has just read the frame may look at the line in between.
bool enable_drops(const TempDir& dir) {
  return eventually([&] { return sim_line_value(dir, "motor_enable") == 0; }, 1s);
}

struct MotionRig {
  TempDir dir;
  MotorPort port{dir.file("motor-serial")};
  FakeApp app{dir.file("app.pid")};
  std::string config;
  std::unique_ptr<AgentProcess> agent;

  explicit MotionRig(const std::string& motion_extra = "", const std::string& app_extra = "") {
    config = write_sim_config(
        dir,
        "[motion]\nenabled = true\nprotocol = \"sabertooth-packetized\"\naddress = 128\n"
        "serial_device = \"" +
            dir.file("motor-serial") + "\"\nstop_repeat_ms = 1000\n" + motion_extra +
            "[motion.app]\npidfile = \"" + dir.file("app.pid") + "\"\nresolve_interval_ms = 50\n" +
            app_extra);
  }
  void start() {
    app.start();
    agent = std::make_unique<AgentProcess>(config, dir.file("out.log"));
    agent->start();
    ASSERT_TRUE(agent->wait_for_output("watching the app's process", 10s)) << agent->output();
    ASSERT_TRUE(eventually(
        [&] {
          return run_cli({"status", "--config", config}).exit_code == 0;
        },
        10s))
        << agent->output();
  }
  CliResult rearm() { return run_cli({"rearm", "--config", config}); }
  std::string status() { return run_cli({"status", "--config", config, "--json"}).out; }
  void stop_agent() {
    agent->signal(SIGTERM);
    EXPECT_EQ(agent->wait_exit(10s), 0) << agent->output();
  }
};

TEST(MotionHost, StartsStoppedAndArmsOnlyOnAnOperatorRearm) {
  MotionRig rig;
  rig.start();
  EXPECT_TRUE(contains(rig.port.read_until(kStopFrame, 5s), kStopFrame))
      << "the stop frame is sent at start";
  EXPECT_TRUE(enable_drops(rig.dir));
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(sim_line_value(rig.dir, "motor_enable"), 0) << "never moves on its own";
  const auto rearm = rig.rearm();
  EXPECT_EQ(rearm.exit_code, 0) << rearm.out << rearm.err;
  EXPECT_EQ(sim_line_value(rig.dir, "motor_enable"), 1);
  EXPECT_NE(rig.status().find("\"state\": \"armed\""), std::string::npos);
  rig.stop_agent();
}

TEST(MotionHost, AppSigkillSendsTheStopFrameAndDropsEnableAtOnce) {
  MotionRig rig;
  rig.start();
  ASSERT_EQ(rig.rearm().exit_code, 0);
  ASSERT_EQ(sim_line_value(rig.dir, "motor_enable"), 1);
  rig.port.drain();
  const long long killed_ns = monotonic_now_ns();
  rig.app.kill(SIGKILL);
  const auto bytes = rig.port.read(kStopFrame.size(), 2s);
  const long long arrived_ns = monotonic_now_ns();
  EXPECT_EQ(bytes, kStopFrame) << "exactly the stop frame, first";
  EXPECT_LT(arrived_ns - killed_ns, 1'000'000'000LL)
      << "generous bound; the benchmark has the real figure";
  EXPECT_TRUE(enable_drops(rig.dir));
  ASSERT_TRUE(rig.agent->wait_for_output("motors stopped: the app's process is not running", 5s));
  EXPECT_NE(rig.agent->output().find("app_dead"), std::string::npos);
  // A critical onset sounds the buzzer once (docs/signals.md).
  EXPECT_TRUE(eventually([&] { return sim_line_edges(rig.dir, "buzzer").size() >= 2; }, 3s));

  // The app comes back: still stopped until a person re-arms.
  rig.app.start();
  ASSERT_TRUE(eventually(
      [&] { return rig.status().find("\"process_alive\": true") != std::string::npos; }, 5s));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(sim_line_value(rig.dir, "motor_enable"), 0) << "must not re-arm by itself";
  EXPECT_EQ(rig.rearm().exit_code, 0);
  EXPECT_EQ(sim_line_value(rig.dir, "motor_enable"), 1);
  rig.stop_agent();
}

std::int64_t realtime_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t stamp(const nlohmann::json& fields, const char* key) {
  return fields.contains(key) ? std::stoll(fields[key].get<std::string>()) : -1;
}

// The record says when the stop happened, not only when it was recorded: the pidfd's
// callback, the frame written, the line low, each no earlier than the one before, all
// between the kill and the record (docs/blackbox.md, motors_stopped).
TEST(MotionHost, TheStopRecordCarriesItsStampsInOrder) {
  MotionRig rig;
  rig.start();
  ASSERT_EQ(rig.rearm().exit_code, 0);
  rig.port.drain();
  const std::int64_t killed_us = realtime_us();
  rig.app.kill(SIGKILL);
  ASSERT_EQ(rig.port.read(kStopFrame.size(), 2s), kStopFrame);
  const std::int64_t frame_seen_us = realtime_us();
  nlohmann::json fields;
  std::int64_t recorded_us = 0;
  ASSERT_TRUE(eventually(
      [&] {
        for (const auto& e : read_events(rig.config)) {
          if (e.value("kind", "") == "motors_stopped" &&
              e["fields"].value("cause", "") == "app_dead") {
            fields = e["fields"];
            recorded_us = e.value("realtime_us", std::int64_t{0});
            return true;
          }
        }
        return false;
      },
      5s))
      << rig.agent->output();
  const auto woke = stamp(fields, "loop_woke_us");
  const auto detected = stamp(fields, "detected_us");
  const auto frames = stamp(fields, "frames_written_us");
  const auto line = stamp(fields, "enable_low_us");
  ASSERT_GT(detected, 0) << fields.dump();
  ASSERT_GT(frames, 0) << fields.dump();
  ASSERT_GT(line, 0) << fields.dump();
  EXPECT_LE(killed_us, woke) << fields.dump();
  EXPECT_LE(woke, detected) << fields.dump();
  EXPECT_LE(detected, frames) << "the stop follows the detection";
  EXPECT_LE(frames, line) << "the frame goes out before the line drops";
  EXPECT_LE(frames, frame_seen_us) << "written before the test read it";
  EXPECT_LE(line, recorded_us) << "stop first, record after";
  EXPECT_EQ(stamp(fields, "detected_to_stopped_us"), line - detected);
  rig.stop_agent();
}

TEST(MotionHost, CategoryOneSendsTheFrameThenDropsEnableAfterTheDelay) {
  MotionRig rig("stop_category = 1\ncat1_delay_ms = 400\n");
  rig.start();
  ASSERT_EQ(rig.rearm().exit_code, 0);
  rig.port.drain();
  const long long killed_ns = monotonic_now_ns();
  rig.app.kill(SIGKILL);
  EXPECT_EQ(rig.port.read(kStopFrame.size(), 2s), kStopFrame);
  const long long frame_ns = monotonic_now_ns();
  EXPECT_EQ(sim_line_value(rig.dir, "motor_enable"), 1) << "category 1: enable still on";
  ASSERT_TRUE(eventually([&] { return sim_line_value(rig.dir, "motor_enable") == 0; }, 3s));
  const auto edges = sim_line_edges(rig.dir, "motor_enable");
  ASSERT_FALSE(edges.empty());
  EXPECT_EQ(edges.back().second, 0);
  EXPECT_GE(edges.back().first - killed_ns, 350'000'000LL) << "dropped before the 400 ms delay";
  EXPECT_GT(edges.back().first, frame_ns) << "the frame goes out before the enable drops";
  rig.stop_agent();
}

TEST(MotionHost, RepeatedDeathsRaiseACrashLoopAndRefuseRearm) {
  MotionRig rig("", "crash_loop_deaths = 3\ncrash_loop_window_s = 60\n");
  rig.start();
  for (int death = 0; death < 3; ++death) {
    rig.app.kill(SIGKILL);
    ASSERT_TRUE(eventually(
        [&] { return rig.status().find("\"process_alive\": false") != std::string::npos; }, 5s));
    rig.app.start();
    ASSERT_TRUE(eventually(
        [&] { return rig.status().find("\"process_alive\": true") != std::string::npos; }, 5s));
  }
  ASSERT_TRUE(rig.agent->wait_for_output("fault_raised  app_crash_loop", 5s))
      << rig.agent->output();
  const auto rearm = rig.rearm();
  EXPECT_EQ(rearm.exit_code, 1);
  EXPECT_NE(rearm.out.find("crash loop"), std::string::npos) << rearm.out;
  EXPECT_TRUE(enable_drops(rig.dir));
  rig.stop_agent();
}

TEST(MotionHost, EstopStopsAndHoldsUntilRearm) {
  MotionRig rig;
  rig.start();
  ASSERT_EQ(rig.rearm().exit_code, 0);
  rig.port.drain();
  const auto estop = run_cli({"estop", "--config", rig.config});
  EXPECT_EQ(estop.exit_code, 0) << estop.err;
  EXPECT_EQ(rig.port.read(kStopFrame.size(), 2s), kStopFrame);
  EXPECT_TRUE(enable_drops(rig.dir));
  EXPECT_NE(rig.status().find("estop_active"), std::string::npos);
  // Resent while stopped, so a controller that missed one still stops.
  EXPECT_TRUE(contains(rig.port.read(kStopFrame.size(), 3s), kStopFrame));
  EXPECT_EQ(rig.rearm().exit_code, 0);
  EXPECT_EQ(rig.status().find("estop_active"), std::string::npos);
  rig.stop_agent();
}

TEST(MotionHost, SerialUnplugIsAFaultAndReconnectResendsTheStopFrame) {
  MotionRig rig("stop_repeat_ms = 100\n");
  // stop_repeat_ms given twice would be an error: the rig's default is replaced.
  auto text = read_file(rig.config);
  text.replace(text.find("stop_repeat_ms = 1000\n"), 22, "");
  write_file(rig.config, text);
  rig.start();
  ASSERT_TRUE(contains(rig.port.read_until(kStopFrame, 5s), kStopFrame));
  rig.port.unplug();
  ASSERT_TRUE(rig.agent->wait_for_output("fault_raised  motor_serial_down", 5s))
      << rig.agent->output();
  rig.port.plug();
  EXPECT_TRUE(contains(rig.port.read_until(kStopFrame, 10s), kStopFrame));
  ASSERT_TRUE(rig.agent->wait_for_output("reconnected", 5s)) << rig.agent->output();
  rig.stop_agent();
}

TEST(MotionHost, GateClosingStopsTheMotorsFirst) {
  TempDir hb;
  touch(hb.file("alive"));
  MotionRig rig;
  write_file(rig.config, read_file(rig.config) +
                             "[[health.file_check]]\nname = \"app-alive\"\npath = \"" +
                             hb.file("alive") + "\"\nmax_age_ms = 1500\ninterval_ms = 100\n");
  rig.start();
  ASSERT_EQ(rig.rearm().exit_code, 0) << rig.agent->output();
  rig.port.drain();
  ASSERT_TRUE(rig.agent->wait_for_output("watchdog_petting_stopped", 10s));
  EXPECT_TRUE(enable_drops(rig.dir));
  EXPECT_TRUE(contains(rig.port.read(64, 1s), kStopFrame));
  const auto out = rig.agent->output();
  EXPECT_LT(out.find("motors stopped: health gate closed"), out.find("watchdog_petting_stopped"));
  EXPECT_EQ(rig.rearm().exit_code, 1) << "no re-arm while the board is resetting";
  rig.stop_agent();
}

}  // namespace
}  // namespace lifeline::test

namespace lifeline::test {
namespace {

TEST(MotionHost, AppSegfaultStopsTheMotorsToo) {
  MotionRig rig;
  rig.start();
  const auto rearm = rig.rearm();
  ASSERT_EQ(rearm.exit_code, 0) << rearm.out << rearm.err << rig.agent->output();
  rig.port.drain();
  rig.app.kill(SIGSEGV);
  EXPECT_EQ(rig.port.read(kStopFrame.size(), 2s), kStopFrame);
  EXPECT_TRUE(enable_drops(rig.dir));
  rig.stop_agent();
}

TEST(MotionHost, FailingMotorOutputsCloseTheGateWhenConfiguredTo) {
  MotionRig rig("reset_board_on_output_failure = true\n");
  rig.start();
  ASSERT_TRUE(contains(rig.port.read_until(kStopFrame, 5s), kStopFrame));
  rig.port.unplug();  // and never plugged back in
  ASSERT_TRUE(rig.agent->wait_for_output("watchdog_petting_stopped", 15s)) << rig.agent->output();
  EXPECT_NE(rig.agent->output().find("check 'motor-outputs' failing: motor serial down"),
            std::string::npos)
      << rig.agent->output();
  rig.stop_agent();
}

}  // namespace
}  // namespace lifeline::test
