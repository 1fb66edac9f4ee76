// [memory]: the guard's levels, intervals, protect and expendable lists, PSI, leak, SSH
// and the watches (unit, cgroup or program), with every error at its key.
#include <gtest/gtest.h>

#include "config_test_support.hpp"

namespace lifeline {
namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(ConfigMemory, DefaultsAreOffWithTheDocumentedLevels) {
  auto config = test::parse("");
  ASSERT_TRUE(config.ok()) << config.error().message;
  const auto& m = config->memory;
  EXPECT_FALSE(m.enabled);
  EXPECT_FALSE(m.dry_run);
  EXPECT_EQ(m.warn_available_percent, 15U);
  EXPECT_EQ(m.relieve_available_percent, 10U);
  EXPECT_EQ(m.kill_available_percent, 5U);
  EXPECT_TRUE(m.watches.empty());
}

TEST(ConfigMemory, EveryKindOfWatchIsRead) {
  auto config = test::parse(
      "[memory]\nenabled = true\nwarn_available_percent = 20\nrelieve_available_percent = 12\n"
      "kill_available_percent = 4\nprotect = [\"planner\", \"/usr/bin/robot\", "
      "\"robot.service\"]\nexpendable_units = [\"cache.service\"]\n"
      "[[memory.watch]]\nname = \"app\"\nunit = \"robot.service\"\n"
      "[[memory.watch]]\nname = \"cams\"\ncgroup = \"/robot.slice/cams.service\"\n"
      "[[memory.watch]]\nname = \"planner\"\nprocess = \"planner\"\n"
      "[[memory.watch]]\nname = \"slam\"\nprocess = \"/opt/robot/bin/slam_node\"\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  const auto& m = config->memory;
  EXPECT_TRUE(m.enabled);
  EXPECT_EQ(m.warn_available_percent, 20U);
  EXPECT_EQ(m.relieve_available_percent, 12U);
  EXPECT_EQ(m.kill_available_percent, 4U);
  ASSERT_EQ(m.watches.size(), 4U);
  EXPECT_EQ(m.watches[0].unit, "robot.service");
  EXPECT_EQ(m.watches[1].cgroup, "/robot.slice/cams.service");
  EXPECT_EQ(m.watches[2].process, "planner");
  EXPECT_TRUE(m.watches[2].unit.empty() && m.watches[2].cgroup.empty());
  EXPECT_EQ(m.watches[3].process, "/opt/robot/bin/slam_node");
}

TEST(ConfigMemory, AWatchNeedsExactlyOneOfUnitCgroupAndProcess) {
  const std::string neither = test::errors("[[memory.watch]]\nname = \"x\"\n");
  EXPECT_TRUE(has(neither, "exactly one of unit, cgroup and process, found none")) << neither;
  const std::string two =
      test::errors("[[memory.watch]]\nname = \"x\"\nunit = \"a.service\"\nprocess = \"a\"\n");
  EXPECT_TRUE(has(two, "exactly one of unit, cgroup and process, found more than one")) << two;
}

TEST(ConfigMemory, AUserUnitNamesItsUserByNameOrUid) {
  const auto config = test::parse(
      "[[memory.watch]]\nname = \"a\"\nunit = \"robot.service\"\nuser = \"robot\"\n"
      "[[memory.watch]]\nname = \"b\"\nunit = \"cam.service\"\nuser = \"1000\"\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  const auto& watches = config.value().memory.watches;
  ASSERT_EQ(watches.size(), 2U);
  EXPECT_EQ(watches[0].user, "robot");
  EXPECT_EQ(watches[1].user, "1000");
  EXPECT_TRUE(test::parse("[[memory.watch]]\nname = \"a\"\nunit = \"x.service\"\n")
                  .value()
                  .memory.watches[0]
                  .user.empty());
}

TEST(ConfigMemory, AUserNeedsAUnitAndAPlainName) {
  const std::string with_cgroup =
      test::errors("[[memory.watch]]\nname = \"x\"\ncgroup = \"/a\"\nuser = \"robot\"\n");
  EXPECT_TRUE(has(with_cgroup,
                  ":4:8: [memory.watch #1] user: expected user only together with "
                  "unit, found user with cgroup"))
      << with_cgroup;
  for (const std::string bad : {"Robot", "-x", "1x", "a/b", "a-very-long-user-name-of-33-chars"}) {
    const std::string text = test::errors(
        "[[memory.watch]]\nname = \"x\"\nunit = \"a.service\"\n"
        "user = \"" +
        bad + "\"\n");
    EXPECT_TRUE(has(text, "[memory.watch #1] user: expected a user name")) << bad << ": " << text;
  }
}

TEST(ConfigMemory, AProcessIsACommNameOrAnAbsolutePath) {
  // 16 bytes: longer than any comm the kernel keeps (TASK_COMM_LEN 16 with the NUL).
  const std::string long_name =
      test::errors("[[memory.watch]]\nname = \"x\"\nprocess = \"abcdefghijklmnop\"\n");
  EXPECT_TRUE(has(long_name, ":3:11: [memory.watch #1] process: expected a process name"))
      << long_name;
  const std::string relative =
      test::errors("[[memory.watch]]\nname = \"x\"\nprocess = \"bin/robot\"\n");
  EXPECT_TRUE(has(relative, "found \"bin/robot\"")) << relative;
  EXPECT_TRUE(test::parse("[[memory.watch]]\nname = \"x\"\nprocess = \"abcdefghijklmno\"\n").ok());
}

TEST(ConfigMemory, LevelsMustFallInOrder) {
  const std::string relieve =
      test::errors("[memory]\nwarn_available_percent = 10\nrelieve_available_percent = 12\n");
  EXPECT_TRUE(has(relieve, "relieve_available_percent: expected at most warn_available_percent"))
      << relieve;
  const std::string kill =
      test::errors("[memory]\nrelieve_available_percent = 8\nkill_available_percent = 9\n");
  EXPECT_TRUE(has(kill, "kill_available_percent: expected at most relieve_available_percent"))
      << kill;
  const std::string fast =
      test::errors("[memory]\nsample_interval_ms = 500\nfast_sample_interval_ms = 1000\n");
  EXPECT_TRUE(has(fast, "expected at most sample_interval_ms (500)")) << fast;
}

TEST(ConfigMemory, DuplicateWatchNamesAndUnknownKeysAreErrors) {
  const std::string twice = test::errors(
      "[[memory.watch]]\nname = \"a\"\nprocess = \"p\"\n[[memory.watch]]\nname = \"a\"\n"
      "process = \"q\"\n");
  EXPECT_TRUE(has(twice, "[memory.watch #2] name: expected a unique name")) << twice;
  const std::string unknown = test::errors("[memory]\nenabeld = true\n");
  EXPECT_TRUE(has(unknown, "enabeld")) << unknown;
}

}  // namespace
}  // namespace lifeline
