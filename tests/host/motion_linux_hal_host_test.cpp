// The Linux HAL of the motor outputs on this machine, which has no GPIO and no UART:
// libgpiod asked for a chip that does not exist, and libserialport asked for a port it
// cannot use (it finds ports through sysfs, which a pseudo-terminal is not in). Both must
// be clear faults while lifeline keeps running; the bytes on a real UART are the VM
// tier's (ttyS1).
#include <gtest/gtest.h>
#include <signal.h>

#include "support/motion_rig.hpp"
#include "support/process.hpp"

namespace lifeline::test {
namespace {

TEST(MotionLinuxHalHost, UnusableOutputsAreClearFaultsAndLifelineKeepsRunning) {
  TempDir dir;
  MotorPort port(dir.file("motor-serial"));
  FakeApp app(dir.file("app.pid"));
  write_absent_linux_board(dir);
  auto text =
      read_file(write_sim_config(dir,
                                 "[motion]\nenabled = true\nprotocol = \"sabertooth-packetized\"\n"
                                 "[motion.app]\npidfile = \"" +
                                     dir.file("app.pid") + "\"\n"));
  const auto sim = std::string(LIFELINE_SOURCE_DIR) + "/board/sim.toml";
  text.replace(text.find(sim), sim.size(), dir.file("board.toml"));
  write_file(dir.file("lifeline.toml"), text);

  app.start();
  AgentProcess agent(dir.file("lifeline.toml"), dir.file("out.log"));
  agent.start();
  ASSERT_TRUE(agent.wait_for_output("motor_enable_unavailable", 10s)) << agent.output();
  EXPECT_NE(agent.output().find("cannot open GPIO chip 'lifeline-test-no-such-chip'"),
            std::string::npos)
      << agent.output();
  ASSERT_TRUE(agent.wait_for_output("fault_raised  motor_serial_down", 10s)) << agent.output();
  EXPECT_NE(agent.output().find("serial port " + dir.file("motor-serial")), std::string::npos)
      << agent.output();
  const auto status = run_cli({"status", "--config", dir.file("lifeline.toml"), "--json"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("\"state\": \"stopped\""), std::string::npos) << status.out;
  agent.signal(SIGTERM);
  EXPECT_EQ(agent.wait_exit(10s), 0);
}

}  // namespace
}  // namespace lifeline::test
