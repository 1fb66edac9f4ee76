// Motion safety first: when the memory guard's victim is the control app, the motors stop
// (stop frame on the wire, enable line low) before the app is signalled, not after.
#include <gtest/gtest.h>

#include <signal.h>

#include <string>

#include "support/memory_rig.hpp"
#include "support/motion_rig.hpp"
#include "support/process.hpp"

namespace lifeline::test {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t kMiB = 1024 * 1024;
// Sabertooth packetized, address 128: both motors at speed 0.
const std::vector<std::uint8_t> kStopFrame{0x80, 0x00, 0x00, 0x00, 0x80, 0x04, 0x00, 0x04};

TEST(MemoryMotionHost, TheMotorsStopBeforeTheControlAppIsKilled) {
  std::string why;
  auto cgroup = TestCgroup::create(64 * kMiB, why);
  if (!cgroup) GTEST_SKIP() << why;
  TempDir dir;
  MotorPort port(dir.file("motor-serial"));
  // The control app itself leaks: 8 MiB at once, then 10 MiB/s after 4 s.
  FakeApp app(dir.file("app.pid"),
              {MEMORY_HOG_BINARY, "--cgroup", cgroup->dir(), "--name", "robot-app", "--hold", "8",
               "--rate", "10", "--max", "60", "--delay", "4"});
  const auto config = write_sim_config(
      dir,
      "[motion]\nenabled = true\nprotocol = \"sabertooth-packetized\"\naddress = 128\n"
      "serial_device = \"" +
          dir.file("motor-serial") + "\"\nstop_repeat_ms = 5000\n[motion.app]\npidfile = \"" +
          dir.file("app.pid") +
          "\"\nresolve_interval_ms = 50\n"
          "[memory]\nenabled = true\nsample_interval_ms = 200\nfast_sample_interval_ms = 100\n"
          "warn_available_percent = 60\nrelieve_available_percent = 40\n"
          "kill_available_percent = 0\neta_relieve_s = 0\ngrace_ms = 300\n"
          "victim_cgroup = \"" +
          cgroup->path() + "\"\n[memory.ssh]\nenabled = false\n[[memory.watch]]\n" +
          "name = \"app\"\ncgroup = \"" + cgroup->path() + "\"\n");
  app.start();
  ASSERT_TRUE(eventually([&] { return cgroup->usage() > 4 * kMiB; }, 5s));
  AgentProcess agent(config, dir.file("agent.log"));
  agent.start();
  ASSERT_TRUE(agent.wait_for_output("watching the app's process", 10s)) << agent.output();
  ASSERT_TRUE(eventually(
      [&] {
        return run_cli({"rearm", "--config", config}).exit_code == 0;
      },
      3s))
      << agent.output();
  ASSERT_TRUE(eventually([&] { return sim_line_value(dir, "motor_enable") == 1; }, 2s));
  port.drain();

  // The app grows past the relieve level; the guard picks it (the only process there).
  const std::vector<std::uint8_t> wire = port.read(kStopFrame.size(), 20s);
  EXPECT_EQ(wire, kStopFrame) << agent.output();
  EXPECT_TRUE(eventually([&] { return sim_line_value(dir, "motor_enable") == 0; }, 2s));
  ASSERT_TRUE(agent.wait_for_output("memory_victim_exited", 10s)) << agent.output();
  agent.signal(SIGTERM);
  ASSERT_EQ(agent.wait_exit(10s), 0);

  const auto events = read_events(config);
  const std::string pid = std::to_string(app.pid());
  int stopped = -1;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (events[i]["kind"] == "motors_stopped" &&
        events[i]["message"].get<std::string>().find("memory guard is killing the control app") !=
            std::string::npos) {
      stopped = static_cast<int>(i);
      break;
    }
  }
  const int exited = find_event(events, "memory_victim_exited", "pid", pid);
  const int app_exited = find_event(events, "app_exited");
  ASSERT_GE(stopped, 0) << events.dump(1);
  ASSERT_GE(exited, 0) << events.dump(1);
  EXPECT_LT(stopped, exited) << "the motors must stop before the app is signalled";
  if (app_exited >= 0) {
    EXPECT_LT(stopped, app_exited);
  }
}

}  // namespace
}  // namespace lifeline::test
