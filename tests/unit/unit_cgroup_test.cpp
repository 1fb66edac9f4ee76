// A unit watch's cgroup before and without systemd's answer: the assumed path, the
// interface that holds ControlGroup, and which answers are usable paths.
#include <gtest/gtest.h>

#include "agent/unit_cgroup.hpp"

namespace lifeline {
namespace {

TEST(UnitCgroup, AUnitIsAssumedInTheSystemSlice) {
  EXPECT_EQ(default_unit_cgroup("app.service"), "/system.slice/app.service");
  EXPECT_EQ(default_unit_cgroup("worker@2.service"), "/system.slice/worker@2.service");
}

TEST(UnitCgroup, AUserUnitIsBelowItsUsersManager) {
  EXPECT_EQ(user_manager_cgroup(1000), "/user.slice/user-1000.slice/user@1000.service");
  EXPECT_EQ(default_user_unit_cgroup(1000, "cam.service"),
            "/user.slice/user-1000.slice/user@1000.service/app.slice/cam.service");
}

TEST(UnitCgroup, TheInterfaceFollowsTheUnitType) {
  EXPECT_EQ(control_group_interface("app.service"), "org.freedesktop.systemd1.Service");
  EXPECT_EQ(control_group_interface("worker@2.service"), "org.freedesktop.systemd1.Service");
  EXPECT_EQ(control_group_interface("run-u7.scope"), "org.freedesktop.systemd1.Scope");
  EXPECT_EQ(control_group_interface("robot.slice"), "org.freedesktop.systemd1.Slice");
  EXPECT_EQ(control_group_interface("api.socket"), "org.freedesktop.systemd1.Socket");
  EXPECT_EQ(control_group_interface("data.mount"), "org.freedesktop.systemd1.Mount");
  EXPECT_EQ(control_group_interface("dev-zram0.swap"), "org.freedesktop.systemd1.Swap");
}

TEST(UnitCgroup, TypesWithoutACgroupHaveNoInterface) {
  EXPECT_FALSE(control_group_interface("multi-user.target"));
  EXPECT_FALSE(control_group_interface("backup.timer"));
  EXPECT_FALSE(control_group_interface("app"));
  EXPECT_FALSE(control_group_interface(".service"));
  EXPECT_FALSE(control_group_interface(""));
}

TEST(UnitCgroup, AnAbsolutePathIsUsed) {
  auto in_slice = checked_control_group("/robot.slice/app.service");
  ASSERT_TRUE(in_slice);
  EXPECT_EQ(*in_slice, "/robot.slice/app.service");
  auto nested = checked_control_group("/robot.slice/robot-workers.slice/worker@2.service");
  ASSERT_TRUE(nested);
  EXPECT_EQ(*nested, "/robot.slice/robot-workers.slice/worker@2.service");
}

TEST(UnitCgroup, NoCgroupIsAnEmptyAnswerNotAnError) {
  auto none = checked_control_group("");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST(UnitCgroup, ARelativeOrEscapingPathIsRefused) {
  EXPECT_FALSE(checked_control_group("system.slice/app.service"));
  EXPECT_FALSE(checked_control_group("/system.slice/../../etc"));
  EXPECT_FALSE(checked_control_group("/a/./b"));
  EXPECT_FALSE(checked_control_group("/.."));
  EXPECT_FALSE(checked_control_group(std::string_view("/a\nb", 4)));
}

TEST(UnitCgroup, DotsInsideANameAreFine) {
  EXPECT_TRUE(checked_control_group("/system.slice/a..b.service"));
  EXPECT_TRUE(checked_control_group("/"));
}

}  // namespace
}  // namespace lifeline
