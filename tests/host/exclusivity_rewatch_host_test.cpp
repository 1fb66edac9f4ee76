// Exclusivity follows systemd's signals again by itself when it could not at first or lost
// them, and a unit signal costs one unit's read: the real lifeline binary, a real dbus-daemon and
// the fake systemd Manager. The sweep is 600 s, so whatever happens within seconds is the
// re-watch's back-off (1 s, doubling), not the sweep. Found in the VM tier: at boot lifeline starts
// before dbus.service, and its checks stayed sweep-only for the whole boot.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "support/systemd_agent_fixture.hpp"

namespace lifeline::test {
namespace {

constexpr const char* kMediamtx = "/usr/local/bin/mediamtx";
constexpr const char* kFollowing = "exclusivity checks follow systemd's unit signals";

std::string stop_role() {
  return "[exclusivity]\ninterval_ms = 600000\n[[exclusivity.role]]\nname = \"media\"\n"
         "unit = \"avatar-tank.service\"\nbinaries = [\"" +
         std::string(kMediamtx) + "\"]\nmode = \"stop\"\n";
}

FakeService running(const std::string& name, std::uint32_t pid) {
  FakeService s;
  s.name = name;
  s.active_state = "active";
  s.unit_file_state = "enabled";
  s.unit_file_preset = "enabled";
  s.exec_path = kMediamtx;
  s.exec_argv = {kMediamtx};
  s.main_pid = pid;
  return s;
}

class ExclusivityRewatchHost : public SystemdAgentFixture {
 protected:
  void start_systemd() {
    SystemdAgentFixture::start_systemd();
    systemd_->add(running("avatar-tank.service", 3000));
  }
  void start_agent() { launch_agent(stop_role()); }
  // A duplicate announced now is stopped: lifeline reads the units again on its signal.
  void expect_duplicate_stopped(const std::string& unit, std::uint32_t pid) {
    systemd_->add_and_announce(running(unit, pid));
    EXPECT_TRUE(
        eventually([&] { return !systemd_->calls_starting("StopUnit " + unit).empty(); }, 10s))
        << agent_->output();
  }
};

TEST_F(ExclusivityRewatchHost, StartedBeforeTheBusItFollowsTheSignalsOnceTheBusIsUp) {
  start_agent();
  ASSERT_TRUE(agent_->wait_for_output("exclusivity checks only on the sweep every 600 s", 15s))
      << agent_->output();
  // dbus.service comes up a few seconds after lifeline at boot.
  ASSERT_TRUE(bus_->start()) << bus_->log();
  start_systemd();
  ASSERT_TRUE(agent_->wait_for_output(kFollowing, 20s))
      << "lifeline never subscribed once the bus was up: " << agent_->output();
  EXPECT_TRUE(eventually([&] { return systemd_->subscribes() > 0; }, 5s));
  expect_duplicate_stopped("mediamtx.service", 4100);
}

TEST_F(ExclusivityRewatchHost, SystemdTakingItsNameAgainIsSubscribedToAgain) {
  ASSERT_TRUE(bus_->start()) << bus_->log();
  start_systemd();
  start_agent();
  ASSERT_TRUE(agent_->wait_for_output(kFollowing, 15s)) << agent_->output();
  ASSERT_TRUE(eventually([&] { return systemd_->subscribes() > 0; }, 10s));
  // A daemon-reexec: systemd's connection ends and a new one takes the name, knowing no
  // subscriber.
  systemd_.reset();
  start_systemd();
  EXPECT_TRUE(agent_->wait_for_output("systemd's signals were lost", 10s)) << agent_->output();
  EXPECT_TRUE(eventually([&] { return systemd_->subscribes() > 0; }, 20s))
      << "lifeline did not subscribe to the new systemd: " << agent_->output();
  expect_duplicate_stopped("mediamtx.service", 4100);
}

// Found in the VM tier: a survey of 66 units took 8-9 s in the TCG guest, and every
// signal cost one. A unit started (UnitNew, JobRemoved) is read alone; the rest come from
// the last survey.
TEST_F(ExclusivityRewatchHost, AStartedUnitIsReadAloneNotWithEveryOtherUnit) {
  ASSERT_TRUE(bus_->start()) << bus_->log();
  start_systemd();
  for (std::uint32_t i = 0; i < 40; ++i) {
    FakeService other = running("other-" + std::to_string(i) + ".service", 5000U + i);
    other.exec_path = other.exec_argv[0] = "/usr/bin/other";
    systemd_->add(other);
  }
  start_agent();
  ASSERT_TRUE(agent_->wait_for_output(kFollowing, 15s)) << agent_->output();
  ASSERT_TRUE(eventually([&] { return exclusivity_status().value("checks", 0) >= 1; }, 10s));
  const std::size_t first_survey = systemd_->property_reads();
  ASSERT_GT(first_survey, 41U * 4);  // every unit's properties were read once
  systemd_->add_and_announce(running("mediamtx.service", 4100), /*files_changed=*/false);
  ASSERT_TRUE(eventually([&] { return !systemd_->calls_starting("StopUnit").empty(); }, 10s))
      << agent_->output();
  // The start's survey, and the one after the stop's JobRemoved: one unit each.
  ASSERT_TRUE(eventually([&] { return exclusivity_status().value("checks", 0) >= 3; }, 10s));
  const std::size_t since = systemd_->property_reads() - first_survey;
  EXPECT_LT(since, first_survey / 4)
      << "later surveys read " << since << " properties, the first " << first_survey;
  const nlohmann::json st = exclusivity_status();
  EXPECT_LE(st.value("units_read_last_survey", 99), 1) << st.dump();
  EXPECT_GE(st.value("units_seen", 0), 42) << st.dump();
}

}  // namespace
}  // namespace lifeline::test
