// The page's restart-app, restart-ssh and reboot buttons reach systemd: the real lifeline
// sends the jobs over a real D-Bus connection to a fake systemd Manager (systemd is not
// PID 1 here), and the black box says who asked.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "rescue/password.hpp"
#include "rescue_http.hpp"
#include "support/system_bus.hpp"

namespace lifeline::test {
namespace {

constexpr const char* kForm = "application/x-www-form-urlencoded";

bool called(const FakeSystemd& systemd, const std::string& call) {
  const auto calls = systemd.job_calls();
  return std::find(calls.begin(), calls.end(), call) != calls.end();
}

TEST(RescueUnitsHost, RestartAppRestartSshAndConfirmedRebootBecomeSystemdJobs) {
  TempDir bus_dir;
  DBusDaemon bus(bus_dir.path());
  ASSERT_TRUE(bus.start()) << bus.log();
  FakeSystemd systemd(bus.address(), "robot.service", FakeUnit{});
  ASSERT_TRUE(systemd.ok()) << bus.log();
  RescueRig rig(
      "[motion]\nenabled = true\nprotocol = \"none\"\n[motion.app]\nunit = \"robot.service\"\n"
      "[memory.ssh]\nenabled = false\nunit = \"ssh-test.service\"\n");
  auto hash = rescue::hash_password("correct-horse-battery");
  ASSERT_TRUE(hash.ok());
  ASSERT_TRUE(rescue::write_password_hash(rig.dir.file("rescue.passwd"), *hash).ok());
  // Not rig.start(): the bus address must be in the agent's environment first.
  rig.agent = std::make_unique<AgentProcess>(rig.config, rig.dir.file("out.log"));
  rig.agent->set_env({"DBUS_SYSTEM_BUS_ADDRESS=" + bus.address()});
  rig.agent->start();
  const std::string marker = "rescue page at http://127.0.0.1:";
  ASSERT_TRUE(rig.agent->wait_for_output(marker, 15s)) << rig.agent->output();
  const std::string out = rig.agent->output();
  rig.port = std::stoi(out.substr(out.find(marker) + marker.size()));

  const std::string anon = rig.anon_token();
  const HttpReply login =
      http(rig.port, {"POST", "/login", "127.0.0.1", "ll_anon=" + anon, rig.origin(), kForm,
                      "csrf=" + anon + "&password=correct-horse-battery"});
  ASSERT_EQ(login.status, 303) << login.body;
  const std::string session = login.header("set-cookie").substr(11, 64);
  const std::string cookie = "ll_session=" + session;
  const HttpReply page = http(rig.port, {"GET", "/", "127.0.0.1", cookie});
  const std::size_t at = page.body.find("name=\"csrf\" value=\"");
  ASSERT_NE(at, std::string::npos);
  const std::string csrf = page.body.substr(at + 19, 64);

  const HttpReply app = http(rig.port, {"POST", "/api/v1/restart-app", "127.0.0.1", cookie,
                                        rig.origin(), kForm, "csrf=" + csrf});
  EXPECT_EQ(app.status, 200) << app.body;
  EXPECT_TRUE(eventually([&] { return called(systemd, "RestartUnit robot.service replace"); }, 5s))
      << rig.agent->output();

  const HttpReply ssh = http(rig.port, {"POST", "/api/v1/restart-ssh", "127.0.0.1", cookie,
                                        rig.origin(), kForm, "csrf=" + csrf});
  EXPECT_EQ(ssh.status, 200) << ssh.body;
  EXPECT_TRUE(
      eventually([&] { return called(systemd, "RestartUnit ssh-test.service replace"); }, 5s));

  // Reboot: the first POST only asks for confirmation; nothing reaches systemd.
  const HttpReply ask = http(rig.port, {"POST", "/api/v1/reboot", "127.0.0.1", cookie, rig.origin(),
                                        kForm, "csrf=" + csrf});
  EXPECT_EQ(ask.status, 200);
  EXPECT_NE(ask.body.find("name=\"confirm\" value=\"yes\""), std::string::npos);
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(called(systemd, "StartUnit reboot.target replace-irreversibly"));
  const HttpReply reboot = http(rig.port, {"POST", "/api/v1/reboot", "127.0.0.1", cookie,
                                           rig.origin(), kForm, "csrf=" + csrf + "&confirm=yes"});
  EXPECT_EQ(reboot.status, 200) << reboot.body;
  EXPECT_TRUE(eventually(
      [&] { return called(systemd, "StartUnit reboot.target replace-irreversibly"); }, 5s));

  const std::string who = "rescue page: session " + session.substr(0, 8) + " from 127.0.0.1";
  for (const char* action : {"restart-app", "restart-ssh", "reboot"}) {
    EXPECT_NE(rig.agent->output().find(std::string(action) + " requested by " + who),
              std::string::npos)
        << action << "\n"
        << rig.agent->output();
  }
  rig.stop();
}

}  // namespace
}  // namespace lifeline::test
