// The pure side of the unit watcher: systemd's object-path escaping (checked against
// libsystemd's own encoder, so a mismatch with the real rule fails here), how a main
// process's end is described, and which snapshot pairs count as which transitions.
#include "motion/unit_state.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <systemd/sd-bus.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace lifeline::motion {
namespace {

std::string libsystemd_path(const std::string& unit) {
  char* out = nullptr;
  if (sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit.c_str(), &out) < 0) return {};
  std::string path(out);
  std::free(out);  // NOLINT: allocated by libsystemd
  return path;
}

TEST(UnitStatePath, EscapesLikeSystemd) {
  struct Row {
    std::string unit;
    std::string escaped;
  };
  const std::vector<Row> table = {
      {"avatar-tank.service", "avatar_2dtank_2eservice"},
      {"lifeline.service", "lifeline_2eservice"},
      {"getty@tty1.service", "getty_40tty1_2eservice"},
      {"app_ctl.service", "app_5fctl_2eservice"},  // '_' itself is escaped
      {"ABC.slice", "ABC_2eslice"},                // uppercase is kept
      {"a9.service", "a9_2eservice"},              // a digit after the first is kept
      {"9lives.service", "_39lives_2eservice"},    // a leading digit is escaped
      {"dev-sda\\x2d1.device", "dev_2dsda_5cx2d1_2edevice"},
      {"\xc3\xa9.service", "_c3_a9_2eservice"},  // bytes above 0x7f, lowercase hex
      {"", "_"},
  };
  for (const auto& row : table) {
    SCOPED_TRACE(row.unit);
    EXPECT_EQ(unit_object_path(row.unit), std::string(kUnitPathPrefix) + row.escaped);
    EXPECT_EQ(unit_object_path(row.unit), libsystemd_path(row.unit));
  }
}

TEST(UnitStatePath, MatchesLibsystemdForEveryByte) {
  for (int byte = 1; byte < 256; ++byte) {
    const std::string unit = "x" + std::string(1, static_cast<char>(byte)) + "y";
    const std::string first(1, static_cast<char>(byte));
    SCOPED_TRACE(byte);
    EXPECT_EQ(unit_object_path(unit), libsystemd_path(unit));
    EXPECT_EQ(unit_object_path(first), libsystemd_path(first));
  }
}

TEST(UnitStateExit, DescribesHowTheMainProcessEnded) {
  EXPECT_EQ(describe_exit(CLD_EXITED, 0), "exited with status 0");
  EXPECT_EQ(describe_exit(CLD_EXITED, 3), "exited with status 3");
  EXPECT_EQ(describe_exit(CLD_KILLED, 9), "killed by signal 9 (KILL)");
  EXPECT_EQ(describe_exit(CLD_KILLED, 15), "killed by signal 15 (TERM)");
  EXPECT_EQ(describe_exit(CLD_DUMPED, 11), "dumped core on signal 11 (SEGV)");
  EXPECT_EQ(describe_exit(CLD_DUMPED, 6), "dumped core on signal 6 (ABRT)");
  EXPECT_EQ(describe_exit(CLD_KILLED, SIGRTMIN + 2),
            "killed by signal " + std::to_string(SIGRTMIN + 2) + " (RTMIN+2)");
  EXPECT_EQ(describe_exit(CLD_KILLED, 0), "killed by signal 0");
  EXPECT_EQ(describe_exit(CLD_KILLED, -4), "killed by signal -4");
  EXPECT_EQ(describe_exit(CLD_KILLED, 1000), "killed by signal 1000");
  EXPECT_EQ(describe_exit(0, 0), "no exit recorded");
  EXPECT_EQ(describe_exit(77, 5), "ended with code 77, status 5");
}

TEST(UnitStateExit, SpellsItLikeSystemctl) {
  EXPECT_EQ(systemd_exit_text(CLD_KILLED, 9), "code=killed, status=9/KILL");
  EXPECT_EQ(systemd_exit_text(CLD_DUMPED, 11), "code=dumped, status=11/SEGV");
  EXPECT_EQ(systemd_exit_text(CLD_EXITED, 1), "code=exited, status=1");
  EXPECT_EQ(systemd_exit_text(CLD_KILLED, 1000), "code=killed, status=1000");
  EXPECT_EQ(systemd_exit_text(0, 0), "code=0, status=0");
}

TEST(UnitStateExit, DescribesAWholeStateOnOneLine) {
  UnitState state{"failed", "failed", "signal", 0, CLD_KILLED, 9, 3};
  EXPECT_EQ(describe_unit_state(state),
            "failed/failed result=signal pid=0 restarts=3 (killed by signal 9 (KILL))");
  state.result = "evil\nline";
  EXPECT_EQ(describe_unit_state(state).find('\n'), std::string::npos);
}

UnitState running(std::uint32_t pid, std::uint32_t restarts = 0) {
  return UnitState{"active", "running", "success", pid, 0, 0, restarts};
}

TEST(UnitStateDiff, SameStateReportsNothing) {
  EXPECT_TRUE(diff_unit_state(running(42), running(42)).empty());
  EXPECT_TRUE(diff_unit_state(UnitState{}, UnitState{}).empty());
}

TEST(UnitStateDiff, FirstSightOfARunningUnit) {
  EXPECT_EQ(diff_unit_state(UnitState{}, running(42)),
            (std::vector<UnitChange>{UnitChange::main_pid_changed, UnitChange::became_active}));
}

TEST(UnitStateDiff, MainPidChangesEitherWay) {
  EXPECT_EQ(diff_unit_state(running(42), running(43)),
            std::vector<UnitChange>{UnitChange::main_pid_changed});
  EXPECT_EQ(diff_unit_state(running(42), running(0)),
            std::vector<UnitChange>{UnitChange::main_pid_changed});
}

TEST(UnitStateDiff, KilledBySignalIsFailed) {
  UnitState killed{"failed", "failed", "signal", 0, CLD_KILLED, 9, 0};
  EXPECT_EQ(diff_unit_state(running(42), killed),
            (std::vector<UnitChange>{UnitChange::main_pid_changed, UnitChange::became_failed}));
  // Staying failed while other fields change is not a second failure.
  UnitState still = killed;
  still.sub_state = "dead";
  EXPECT_TRUE(diff_unit_state(killed, still).empty());
}

TEST(UnitStateDiff, DeactivatingIsStopping) {
  UnitState stopping = running(42);
  stopping.active_state = "deactivating";
  stopping.sub_state = "stop-sigterm";
  EXPECT_EQ(diff_unit_state(running(42), stopping), std::vector<UnitChange>{UnitChange::stopping});
  UnitState inactive = stopping;
  inactive.active_state = "inactive";
  EXPECT_TRUE(diff_unit_state(stopping, inactive).empty());
}

TEST(UnitStateDiff, RestartCountsOnlyWhenItGrows) {
  // Restart=always after an OOM kill: new process, counter up, active again.
  UnitState auto_restart{"activating", "auto-restart", "oom-kill", 0, CLD_KILLED, 9, 1};
  EXPECT_EQ(diff_unit_state(running(42, 0), auto_restart),
            (std::vector<UnitChange>{UnitChange::main_pid_changed, UnitChange::restarted}));
  EXPECT_EQ(diff_unit_state(auto_restart, running(50, 1)),
            (std::vector<UnitChange>{UnitChange::main_pid_changed, UnitChange::became_active}));
  // A manual start resets the counter: not a restart.
  EXPECT_TRUE(diff_unit_state(running(42, 5), running(42, 0)).empty());
}

TEST(UnitStateDiff, ChangesHaveNames) {
  EXPECT_EQ(unit_change_name(UnitChange::main_pid_changed), "main_pid_changed");
  EXPECT_EQ(unit_change_name(UnitChange::became_failed), "became_failed");
  EXPECT_EQ(unit_change_name(UnitChange::became_active), "became_active");
  EXPECT_EQ(unit_change_name(UnitChange::stopping), "stopping");
  EXPECT_EQ(unit_change_name(UnitChange::restarted), "restarted");
}

}  // namespace
}  // namespace lifeline::motion
