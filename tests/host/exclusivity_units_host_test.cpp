// Exclusivity from systemd's own facts, driven by its signals: the real lifeline binary
// against a fake systemd Manager (FakeUnitManager) on a real dbus-daemon. The sweep is set
// to 600 s, so a duplicate acted on within seconds can only have been seen through a
// signal (UnitNew / UnitFilesChanged). No cgroups or root needed for the unit side: the
// units' ExecStart, unit file state and preset come over the bus.
#include <stdlib.h>  // setenv: run_cli's lifeline inherits the test's environment

#include <gtest/gtest.h>

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "support/systemd_agent_fixture.hpp"

namespace lifeline::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kMediamtx = "/usr/local/bin/mediamtx";

// mask_dir: where the masks go, never the machine's /etc/systemd/system.
std::string role(const std::string& mode, const std::string& mask_dir) {
  return "[exclusivity]\ninterval_ms = 600000\nmask_dir = \"" + mask_dir +
         "\"\n[[exclusivity.role]]\nname = \"media\"\n"
         "unit = \"avatar-tank.service\"\nbinaries = [\"" +
         std::string(kMediamtx) + "\"]\nmode = \"" + mode + "\"\n";
}

FakeService service(const std::string& name, const std::string& active,
                    const std::string& file_state, const std::string& preset,
                    const std::string& exec, std::uint32_t pid = 0) {
  FakeService s;
  s.name = name;
  s.active_state = active;
  s.unit_file_state = file_state;
  s.unit_file_preset = preset;
  s.exec_path = exec;
  s.exec_argv = {exec, "/etc/mediamtx.yml"};
  s.main_pid = pid;
  return s;
}

nlohmann::json fields(const nlohmann::json& events, int index) {
  return index < 0 ? nlohmann::json::object() : events[static_cast<std::size_t>(index)]["fields"];
}

class ExclusivityUnitsHost : public SystemdAgentFixture {
 protected:
  void SetUp() override {
    SystemdAgentFixture::SetUp();
    ASSERT_TRUE(bus_->start()) << bus_->log();
    ASSERT_NO_FATAL_FAILURE(start_systemd());
    // The owner runs the role's binary too: never a duplicate.
    systemd_->add(service("avatar-tank.service", "active", "enabled", "enabled", kMediamtx, 3000));
    systemd_->add(service("ssh.service", "active", "enabled", "enabled", "/usr/sbin/sshd", 900));
  }
  // Starts lifeline and waits until its first check is done and it subscribed.
  void start_agent(const std::string& mode) {
    launch_agent(role(mode, units_dir()));
    ASSERT_TRUE(agent_->wait_for_output("exclusivity checks follow systemd's unit signals", 15s))
        << agent_->output();
    ASSERT_TRUE(eventually([&] { return systemd_->subscribes() > 0; }, 10s));
    ASSERT_TRUE(eventually([&] { return exclusivity_status().value("checks", 0) >= 1; }, 10s))
        << agent_->output();
  }
  // The fake's and lifeline's /etc/systemd/system (created on first use).
  std::string units_dir() {
    const std::string units = dir_.file("units");
    std::filesystem::create_directories(units);
    return units;
  }
  void stop_agent() {
    agent_->signal(SIGTERM);
    ASSERT_EQ(agent_->wait_exit(10s), 0) << agent_->output();
  }
};

TEST_F(ExclusivityUnitsHost, ADuplicateUnitAppearingIsStoppedOnItsSignalNotTheSweep) {
  start_agent("stop");
  EXPECT_TRUE(systemd_->calls_starting("StopUnit").empty());
  const Clock::time_point announced = systemd_->add_and_announce(
      service("mediamtx.service", "active", "enabled", "enabled", kMediamtx, 4100));
  ASSERT_TRUE(eventually([&] { return !systemd_->calls_starting("StopUnit").empty(); }, 10s))
      << agent_->output();
  Clock::time_point stopped{};
  for (const ManagerCall& call : systemd_->calls()) {
    if (call.text.starts_with("StopUnit")) stopped = call.at;
  }
  const auto latency = std::chrono::duration_cast<std::chrono::milliseconds>(stopped - announced);
  // The sweep is 600 s away: seconds can only be the signal (debounce 200 ms + a survey).
  EXPECT_LT(latency, 5s);
  std::printf("signal -> StopUnit: %lld ms\n", static_cast<long long>(latency.count()));
  stop_agent();

  const auto stops = systemd_->calls_starting("StopUnit");
  ASSERT_EQ(stops.size(), 1U);  // once, and never the owner
  EXPECT_EQ(stops[0], "StopUnit mediamtx.service replace");
  EXPECT_TRUE(systemd_->calls_starting("MaskUnitFiles").empty());  // "stop" does not mask
  const auto events = read_events(config_);
  const auto conflict =
      fields(events, find_event(events, "service_conflict", "unit", "mediamtx.service"));
  EXPECT_EQ(conflict.value("kind", ""), "binary") << events.dump(1);
  EXPECT_EQ(conflict.value("shared", ""), kMediamtx);
  EXPECT_EQ(conflict.value("pid", ""), "4100");
  EXPECT_EQ(conflict.value("boot", ""), "enabled by preset");
  EXPECT_EQ(conflict.value("cmdline", ""), std::string(kMediamtx) + " /etc/mediamtx.yml");
  const auto stop = fields(events, find_event(events, "duplicate_stop", "trigger", "signal"));
  EXPECT_EQ(stop.value("unit", ""), "mediamtx.service") << events.dump(1);
  EXPECT_FALSE(stop.value("since_signal_us", "").empty());
  EXPECT_EQ(find_event(events, "service_conflict", "unit", "avatar-tank.service"), -1);
}

TEST_F(ExclusivityUnitsHost, MaskModeStopsAndMasksARunningDuplicateAndMasksAPresetOne) {
  // Present before lifeline starts: found by the first check.
  systemd_->add(
      service("avatar-mediamtx.service", "active", "enabled", "enabled", kMediamtx, 4100));
  // Disabled by hand, but the preset would enable it again (2025-10-25).
  systemd_->add(service("mediamtx.service", "inactive", "disabled", "enabled", kMediamtx));
  start_agent("mask");
  ASSERT_TRUE(
      eventually([&] { return systemd_->calls_starting("MaskUnitFiles").size() == 2; }, 10s))
      << agent_->output();
  ASSERT_TRUE(agent_->wait_for_output("masked mediamtx.service", 10s)) << agent_->output();
  ASSERT_TRUE(agent_->wait_for_output("masked avatar-mediamtx.service", 10s)) << agent_->output();
  EXPECT_EQ(systemd_->unit_file_state("mediamtx.service"), "masked");
  EXPECT_EQ(systemd_->unit_file_state("avatar-mediamtx.service"), "masked");
  EXPECT_EQ(systemd_->unit_file_state("avatar-tank.service"), "enabled");

  // The running one: StopUnit first, then the mask, a reload and the check of the state.
  const auto calls = systemd_->calls();
  const auto index = [&](const std::string& text, std::size_t from = 0) {
    for (std::size_t i = from; i < calls.size(); ++i) {
      if (calls[i].text == text) return static_cast<long>(i);
    }
    return -1L;
  };
  const long stop = index("StopUnit avatar-mediamtx.service replace");
  const long mask = index("MaskUnitFiles avatar-mediamtx.service runtime=false force=true");
  ASSERT_GE(stop, 0);
  ASSERT_GT(mask, stop);
  const long reload = index("Reload", static_cast<std::size_t>(mask));
  ASSERT_GT(reload, mask);
  EXPECT_GT(index("GetUnitFileState avatar-mediamtx.service", static_cast<std::size_t>(reload)),
            reload);
  EXPECT_EQ(systemd_->calls_starting("MaskUnitFiles avatar-mediamtx.service").size(), 1U);
  // The one that is not running is masked, not stopped.
  EXPECT_EQ(systemd_->calls_starting("StopUnit mediamtx.service").size(), 0U);
  EXPECT_EQ(systemd_->calls_starting("MaskUnitFiles mediamtx.service").size(), 1U);
  EXPECT_TRUE(systemd_->calls_starting("StopUnit avatar-tank").empty());
  // Masked units are no duplicates any more: the fault clears after the reload's check.
  ASSERT_TRUE(
      eventually([&] { return exclusivity_status().value("duplicate_count", -1) == 0; }, 10s))
      << exclusivity_status().dump(1);
  stop_agent();

  const auto events = read_events(config_);
  const auto boot =
      fields(events, find_event(events, "service_conflict", "unit", "mediamtx.service"));
  EXPECT_EQ(boot.value("kind", ""), "boot") << events.dump(1);
  EXPECT_EQ(boot.value("boot", ""), "preset would enable");
  EXPECT_EQ(boot.value("fix", ""), "systemctl mask mediamtx.service");
  const auto masked = fields(events, find_event(events, "duplicate_mask", "masked", "true"));
  EXPECT_FALSE(masked.value("unit", "").empty()) << events.dump(1);
  EXPECT_NE(masked.value("detail", "").find("unit file state now masked"), std::string::npos);
  EXPECT_GE(find_event(events, "service_conflict_ended", "unit", "mediamtx.service"), 0);
}

TEST_F(ExclusivityUnitsHost, ReleaseUnmasksRecordsAndIsNotUndoneByTheAgent) {
  systemd_->add(service("mediamtx.service", "inactive", "enabled", "", kMediamtx));
  start_agent("mask");
  ASSERT_TRUE(agent_->wait_for_output("masked mediamtx.service", 10s)) << agent_->output();
  ::setenv("DBUS_SYSTEM_BUS_ADDRESS", bus_->address().c_str(), 1);
  const auto released =
      run_cli({"exclusivity", "release", "mediamtx.service", "--config", config_});
  ::unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
  ASSERT_EQ(released.exit_code, 0) << released.err;
  EXPECT_NE(released.out.find("unit file state enabled"), std::string::npos) << released.out;
  EXPECT_EQ(systemd_->calls_starting("UnmaskUnitFiles"),
            std::vector<std::string>{"UnmaskUnitFiles mediamtx.service runtime=false"});
  EXPECT_EQ(systemd_->unit_file_state("mediamtx.service"), "enabled");
  // The unmask's UnitFilesChanged and Reloading make the agent check again: it reports the
  // duplicate, but does not mask what an operator released.
  ASSERT_TRUE(agent_->wait_for_output("released (unmasked) by cli uid 0", 10s)) << agent_->output();
  ASSERT_TRUE(
      eventually([&] { return exclusivity_status().value("duplicate_count", 0) == 1; }, 10s));
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(systemd_->calls_starting("MaskUnitFiles").size(), 1U);
  EXPECT_EQ(systemd_->unit_file_state("mediamtx.service"), "enabled");
  stop_agent();
  const auto events = read_events(config_);
  const auto record =
      fields(events, find_event(events, "exclusivity_release", "unit", "mediamtx.service"));
  EXPECT_EQ(record.value("by", ""), "cli uid 0") << events.dump(1);
  EXPECT_NE(record.value("detail", "").find("UnmaskUnitFiles(mediamtx.service, runtime=false)"),
            std::string::npos);

  // Without an agent the command records in the black box itself.
  systemd_->add(service("other.service", "inactive", "masked", "", kMediamtx));
  ::setenv("DBUS_SYSTEM_BUS_ADDRESS", bus_->address().c_str(), 1);
  const auto offline = run_cli({"exclusivity", "release", "other.service", "--config", config_});
  ::unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
  ASSERT_EQ(offline.exit_code, 0) << offline.err;
  const auto after = read_events(config_);
  EXPECT_GE(find_event(after, "exclusivity_release", "unit", "other.service"), 0) << after.dump(1);
}

// The boot-time one-shot (lifeline-exclusivity.service): reports without --enforce, masks
// with it, and says by its exit code whether a duplicate is left.
TEST_F(ExclusivityUnitsHost, CheckReportsAndWithEnforceMasksOnce) {
  systemd_->add(service("mediamtx.service", "inactive", "disabled", "enabled", kMediamtx));
  const std::string config = write_sim_config(dir_, role("mask", units_dir()));
  ::setenv("DBUS_SYSTEM_BUS_ADDRESS", bus_->address().c_str(), 1);
  const auto report = run_cli({"exclusivity", "check", "--config", config}, 40s);
  ASSERT_EQ(report.exit_code, 1) << report.out << report.err;
  EXPECT_NE(report.out.find("duplicate of role media: mediamtx.service"), std::string::npos)
      << report.out;
  EXPECT_TRUE(systemd_->calls_starting("MaskUnitFiles").empty());
  const auto enforce = run_cli({"exclusivity", "check", "--enforce", "--config", config}, 40s);
  ::unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
  ASSERT_EQ(enforce.exit_code, 0) << enforce.out << enforce.err;
  EXPECT_NE(enforce.out.find("masked mediamtx.service"), std::string::npos) << enforce.out;
  EXPECT_NE(enforce.out.find("0 duplicate(s) left"), std::string::npos) << enforce.out;
  EXPECT_EQ(systemd_->calls_starting("MaskUnitFiles"),
            std::vector<std::string>{"MaskUnitFiles mediamtx.service runtime=false force=true"});
  EXPECT_EQ(systemd_->unit_file_state("mediamtx.service"), "masked");
}

TEST_F(ExclusivityUnitsHost, ReleaseFailsClearlyWhenSystemdRefuses) {
  const std::string config = write_sim_config(dir_, role("mask", units_dir()));
  ::setenv("DBUS_SYSTEM_BUS_ADDRESS", (bus_->address() + "-missing").c_str(), 1);
  const auto refused = run_cli({"exclusivity", "release", "x.service", "--config", config});
  ::unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("x.service not released"), std::string::npos) << refused.err;
}

// A unit installed by hand: a regular file in /etc/systemd/system (the robots of the
// incidents). systemd refuses to put the mask's /dev/null symlink over it, so lifeline
// moves it aside first; release puts it back.
constexpr const char* kHandInstalled = "[Service]\nExecStart=/usr/local/bin/mediamtx\n";

bool is_regular(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string link_target(const std::string& path) {
  std::error_code ec;
  return std::filesystem::read_symlink(path, ec).string();
}

TEST_F(ExclusivityUnitsHost, AHandInstalledUnitFileIsMovedAsideMaskedAndPutBackOnRelease) {
  const std::string units = units_dir();
  const std::string file = units + "/mediamtx.service";
  const std::string aside = file + ".lifeline-masked";
  write_file(file, kHandInstalled);
  systemd_->set_unit_dir(units);
  systemd_->add(service("mediamtx.service", "active", "enabled", "enabled", kMediamtx, 4100));
  start_agent("mask");
  ASSERT_TRUE(agent_->wait_for_output("masked mediamtx.service:", 10s)) << agent_->output();
  EXPECT_TRUE(is_regular(aside));
  EXPECT_EQ(read_file(aside), kHandInstalled);
  EXPECT_EQ(link_target(file), "/dev/null");
  EXPECT_EQ(systemd_->unit_file_state("mediamtx.service"), "masked");
  EXPECT_EQ(systemd_->calls_starting("MaskUnitFiles").size(), 1U);  // right the first time

  ::setenv("DBUS_SYSTEM_BUS_ADDRESS", bus_->address().c_str(), 1);
  const auto released =
      run_cli({"exclusivity", "release", "mediamtx.service", "--config", config_});
  ::unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
  ASSERT_EQ(released.exit_code, 0) << released.err;
  EXPECT_TRUE(is_regular(file));
  EXPECT_EQ(read_file(file), kHandInstalled);
  EXPECT_FALSE(std::filesystem::exists(aside));
  EXPECT_EQ(systemd_->unit_file_state("mediamtx.service"), "enabled");
  // Unmasked first (the symlink gone), then the file back, then the reload.
  const auto calls = systemd_->calls();
  ASSERT_GE(calls.size(), 3U);
  EXPECT_EQ(calls[calls.size() - 3].text, "UnmaskUnitFiles mediamtx.service runtime=false");
  EXPECT_EQ(calls[calls.size() - 2].text, "Reload");
  EXPECT_EQ(calls.back().text, "GetUnitFileState mediamtx.service");
  ASSERT_TRUE(agent_->wait_for_output("released (unmasked) by cli uid 0", 10s)) << agent_->output();
  stop_agent();

  const auto events = read_events(config_);
  const auto moved = fields(events, find_event(events, "duplicate_mask", "moved_to", aside));
  EXPECT_EQ(moved.value("unit", ""), "mediamtx.service") << events.dump(1);
  EXPECT_EQ(moved.value("moved_from", ""), file);
  EXPECT_EQ(moved.value("fragment", ""), file);
  const auto masked = fields(events, find_event(events, "duplicate_mask", "masked", "true"));
  EXPECT_NE(masked.value("detail", "").find("unit file state now masked"), std::string::npos)
      << events.dump(1);
  EXPECT_EQ(find_event(events, "duplicate_mask", "masked", "false"), -1) << events.dump(1);
  const auto release =
      fields(events, find_event(events, "exclusivity_release", "unit", "mediamtx.service"));
  EXPECT_EQ(release.value("restored_from", ""), aside) << events.dump(1);
  EXPECT_EQ(release.value("restored_to", ""), file);
  EXPECT_NE(release.value("detail", "").find("put back " + aside), std::string::npos);
}

TEST_F(ExclusivityUnitsHost, ReleaseOverwritesNeitherFileWhenBothExist) {
  const std::string units = units_dir();
  const std::string file = units + "/mediamtx.service";
  write_file(file, "[Service]\nExecStart=/opt/new/mediamtx\n");  // reinstalled meanwhile
  write_file(file + ".lifeline-masked", kHandInstalled);
  systemd_->set_unit_dir(units);
  systemd_->add(service("mediamtx.service", "inactive", "disabled", "", kMediamtx));
  const std::string config = write_sim_config(dir_, role("mask", units));
  ::setenv("DBUS_SYSTEM_BUS_ADDRESS", bus_->address().c_str(), 1);
  const auto refused = run_cli({"exclusivity", "release", "mediamtx.service", "--config", config});
  ::unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("mediamtx.service not released: both " + file + " and " + file +
                             ".lifeline-masked exist"),
            std::string::npos)
      << refused.err;
  EXPECT_EQ(read_file(file), "[Service]\nExecStart=/opt/new/mediamtx\n");
  EXPECT_EQ(read_file(file + ".lifeline-masked"), kHandInstalled);
  EXPECT_TRUE(systemd_->calls_starting("UnmaskUnitFiles").empty());  // nothing changed
}

// /etc read-only (or lifeline without the right to write it): the stopped duplicate
// would come back at boot, so that is said, with the reason, and not passed over.
TEST_F(ExclusivityUnitsHost, AMaskDirThatCannotBeWrittenIsRecordedAsCouldNotMask) {
  const std::string units = units_dir();
  const std::string file = units + "/mediamtx.service";
  write_file(file, kHandInstalled);
  // root writes through permissions: a read-only bind mount of the directory instead.
  struct ReadOnly {
    std::string dir;
    bool mounted = false;
    ~ReadOnly() {
      if (mounted) ::umount2(dir.c_str(), MNT_DETACH);
    }
  } read_only{units};
  if (::geteuid() == 0) {
    if (::mount(units.c_str(), units.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      GTEST_SKIP() << "no bind mount here: " << std::strerror(errno);
    }
    read_only.mounted = true;
    ASSERT_EQ(::mount(nullptr, units.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr),
              0)
        << std::strerror(errno);
  } else {
    ASSERT_EQ(::chmod(units.c_str(), 0555), 0);
  }
  systemd_->set_unit_dir(units);
  systemd_->add(service("mediamtx.service", "inactive", "disabled", "enabled", kMediamtx));
  start_agent("mask");
  ASSERT_TRUE(agent_->wait_for_output("could NOT mask mediamtx.service", 10s)) << agent_->output();
  stop_agent();
  EXPECT_TRUE(is_regular(file));
  EXPECT_TRUE(systemd_->calls_starting("MaskUnitFiles").empty());  // it would only refuse
  const auto events = read_events(config_);
  const auto failed = fields(events, find_event(events, "duplicate_mask", "masked", "false"));
  EXPECT_EQ(failed.value("unit", ""), "mediamtx.service") << events.dump(1);
  EXPECT_EQ(failed.value("moved_from", ""), file);
  const std::string why = ::geteuid() == 0 ? "Read-only file system" : "Permission denied";
  EXPECT_NE(failed.value("detail", "").find(why), std::string::npos) << events.dump(1);
  if (!read_only.mounted) ::chmod(units.c_str(), 0755);
}

}  // namespace
}  // namespace lifeline::test
