// A user unit's cgroup found by name below its user's manager, in a directory tree that
// stands in for the cgroup mount; and a user named by name or by UID.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "memory/cgroup_search.hpp"

namespace lifeline::memory {
namespace {

namespace fs = std::filesystem;

class CgroupSearch : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "lifeline-cgroups-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    mount = pattern;
  }
  void TearDown() override { fs::remove_all(mount); }
  void make(const std::string& cgroup) { fs::create_directories(mount + cgroup); }

  std::string mount;
  const std::string manager = "/user.slice/user-1000.slice/user@1000.service";
};

TEST_F(CgroupSearch, AUserServiceIsFoundInWhicheverSliceItRuns) {
  make(manager + "/init.scope");
  make(manager + "/session.slice/dbus.service");
  make(manager + "/app.slice/cam.service");
  make(manager + "/app.slice/robot.slice/planner.service");
  EXPECT_EQ(find_cgroup_named(mount, manager, "cam.service", 3),
            manager + "/app.slice/cam.service");
  EXPECT_EQ(find_cgroup_named(mount, manager, "planner.service", 3),
            manager + "/app.slice/robot.slice/planner.service");
  EXPECT_EQ(find_cgroup_named(mount, manager, "dbus.service", 3),
            manager + "/session.slice/dbus.service");
}

TEST_F(CgroupSearch, NotRunningOrTooDeepOrNoManagerIsNotFound) {
  make(manager + "/app.slice/a.slice/b.slice/deep.service");
  EXPECT_EQ(find_cgroup_named(mount, manager, "cam.service", 3), std::nullopt);
  EXPECT_EQ(find_cgroup_named(mount, manager, "deep.service", 3), std::nullopt);
  EXPECT_EQ(find_cgroup_named(mount, manager, "deep.service", 4),
            manager + "/app.slice/a.slice/b.slice/deep.service");
  EXPECT_EQ(
      find_cgroup_named(mount, "/user.slice/user-1001.slice/user@1001.service", "cam.service", 3),
      std::nullopt);
}

TEST_F(CgroupSearch, TheNearestOfTwoIsTaken) {
  // Breadth first: a unit's own cgroup, not a same-named child of another unit's.
  make(manager + "/app.slice/x.service/cam.service");
  make(manager + "/background.slice/cam.service");
  EXPECT_EQ(find_cgroup_named(mount, manager, "cam.service", 3),
            manager + "/background.slice/cam.service");
}

TEST(UserId, ANumberIsAUidAndANameIsLookedUp) {
  EXPECT_EQ(user_id("1000"), 1000U);
  EXPECT_EQ(user_id("0"), 0U);
  EXPECT_EQ(user_id("root"), 0U);  // every Debian system has it
  EXPECT_EQ(user_id("no-such-user-lifeline"), std::nullopt);
  EXPECT_EQ(user_id(""), std::nullopt);
}

}  // namespace
}  // namespace lifeline::memory
