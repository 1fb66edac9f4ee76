// The rescue page in a real browser: headless Chromium driven by Playwright
// (tests/browser/rescue_page.mjs) against the real lifeline, whose app unit's state comes
// from a fake systemd over D-Bus and carries markup. The screenshot is kept as an artefact
// in the build directory (rescue-artifacts/rescue-page.png).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>

#include "rescue/password.hpp"
#include "rescue_http.hpp"
#include "support/motion_rig.hpp"
#include "support/system_bus.hpp"

namespace lifeline::test {
namespace {

const std::string kHostile = "\"><img src=x onerror=alert(1)>";

std::string artefact_dir() {
  const auto dir = std::filesystem::path(LIFELINE_BINARY).parent_path() / "rescue-artifacts";
  std::filesystem::create_directories(dir);
  return dir.string();
}

TEST(RescueBrowserHost, PhoneLoginEstopAndEscapedUnitStateInChromium) {
  const std::string source = LIFELINE_SOURCE_DIR;
  if (::access("/usr/bin/node", X_OK) != 0 || ::access("/usr/bin/chromium", X_OK) != 0 ||
      !std::filesystem::exists(source + "/.cache/playwright/node_modules/playwright-core")) {
    GTEST_SKIP() << "node, chromium or playwright-core missing: ./dev installs them";
  }
  TempDir bus_dir;
  FakeApp app{bus_dir.file("app.pid")};
  app.start();
  DBusDaemon bus(bus_dir.path());
  ASSERT_TRUE(bus.start()) << bus.log();
  FakeUnit unit;
  unit.main_pid = static_cast<std::uint32_t>(app.pid());
  unit.sub_state = kHostile;  // what systemd says is not lifeline's to trust
  FakeSystemd systemd(bus.address(), "robot.service", unit);
  ASSERT_TRUE(systemd.ok()) << bus.log();
  RescueRig rig(
      "[motion]\nenabled = true\nprotocol = \"none\"\n[motion.app]\nunit = \"robot.service\"\n");
  auto hash = rescue::hash_password("phone-password-1");
  ASSERT_TRUE(hash.ok());
  ASSERT_TRUE(rescue::write_password_hash(rig.dir.file("rescue.passwd"), *hash).ok());
  rig.agent = std::make_unique<AgentProcess>(rig.config, rig.dir.file("out.log"));
  rig.agent->set_env({"DBUS_SYSTEM_BUS_ADDRESS=" + bus.address()});
  rig.agent->start();
  const std::string marker = "rescue page at http://127.0.0.1:";
  ASSERT_TRUE(rig.agent->wait_for_output(marker, 15s)) << rig.agent->output();
  const std::string out = rig.agent->output();
  rig.port = std::stoi(out.substr(out.find(marker) + marker.size()));
  ASSERT_TRUE(eventually(
      [&] {
        return run_cli({"rearm", "--config", rig.config}).exit_code == 0;
      },
      10s))
      << rig.agent->output();
  ASSERT_EQ(sim_line_value(rig.dir, "motor_enable"), 1);

  const std::string screenshot = artefact_dir() + "/rescue-page.png";
  std::filesystem::remove(screenshot);
  const std::string command = "/usr/bin/node " + source + "/tests/browser/rescue_page.mjs " +
                              rig.origin() + "/ phone-password-1 " + screenshot + " '" + kHostile +
                              "' " + source + " > " + rig.dir.file("browser.log") + " 2>&1";
  const int status = std::system(command.c_str());  // NOLINT(concurrency-mt-unsafe)
  const std::string log = read_file(rig.dir.file("browser.log"));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 77) GTEST_SKIP() << log;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << log << rig.agent->output();
  EXPECT_TRUE(std::filesystem::exists(screenshot));
  // What the browser saw is what happened: the line dropped, the session is on record.
  EXPECT_EQ(sim_line_value(rig.dir, "motor_enable"), 0);
  EXPECT_NE(rig.agent->output().find("estop requested by rescue page: session "),
            std::string::npos);
  rig.stop();
}

}  // namespace
}  // namespace lifeline::test
