// Mode "mask" and a hand-installed unit file: where the mask's symlink goes, the name the
// file is moved aside to, and the two renames (move aside, put back) in a scratch
// directory standing in for /etc/systemd/system.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "config_test_support.hpp"
#include "exclusivity/unit_file_aside.hpp"

namespace lifeline::exclusivity {
namespace {

using test::TempDir;

bool is_regular(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string content(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(UnitFileAside, PathsAreInTheMaskDirectoryItself) {
  EXPECT_EQ(mask_link_path("/etc/systemd/system", "mediamtx.service"),
            "/etc/systemd/system/mediamtx.service");
  EXPECT_EQ(mask_link_path("/etc/systemd/system/", "mediamtx.service"),
            "/etc/systemd/system/mediamtx.service");
  EXPECT_EQ(moved_aside_path("/etc/systemd/system", "mediamtx.service"),
            "/etc/systemd/system/mediamtx.service.lifeline-masked");
  EXPECT_EQ(moved_aside_path("/etc/systemd/system//", "a.service"),
            "/etc/systemd/system/a.service.lifeline-masked");
}

TEST(UnitFileAside, NeverAPathOutsideTheMaskDirectory) {
  EXPECT_FALSE(mask_link_path("/etc/systemd/system", "../passwd"));
  EXPECT_FALSE(mask_link_path("/etc/systemd/system", "a/b.service"));
  EXPECT_FALSE(mask_link_path("/etc/systemd/system", ".."));
  EXPECT_FALSE(mask_link_path("/etc/systemd/system", ""));
  EXPECT_FALSE(mask_link_path("", "a.service"));
  const AsideResult refused = move_aside("/etc/systemd/system", "../passwd");
  EXPECT_FALSE(refused.moved);
  EXPECT_NE(refused.error.find("not a unit file name"), std::string::npos);
}

TEST(UnitFileAside, ARegularFileIsMovedAsideAndPutBack) {
  TempDir dir;
  const std::string file = dir.write("mediamtx.service", "[Service]\nExecStart=/x\n");
  const AsideResult moved = move_aside(dir.path(), "mediamtx.service");
  EXPECT_TRUE(moved.moved) << moved.error;
  EXPECT_EQ(moved.from, file);
  EXPECT_EQ(moved.to, file + ".lifeline-masked");
  EXPECT_FALSE(std::filesystem::exists(file));
  EXPECT_EQ(content(file + ".lifeline-masked"), "[Service]\nExecStart=/x\n");

  EXPECT_EQ(put_back_blocker(dir.path(), "mediamtx.service"), "");
  const AsideResult back = put_back(dir.path(), "mediamtx.service");
  EXPECT_TRUE(back.moved) << back.error;
  EXPECT_EQ(back.from, file + ".lifeline-masked");
  EXPECT_EQ(back.to, file);
  EXPECT_TRUE(is_regular(file));
  EXPECT_EQ(content(file), "[Service]\nExecStart=/x\n");
  EXPECT_FALSE(std::filesystem::exists(file + ".lifeline-masked"));
}

TEST(UnitFileAside, NoFileOrASymlinkIsLeftToSystemd) {
  TempDir dir;
  const AsideResult none = move_aside(dir.path(), "mediamtx.service");
  EXPECT_FALSE(none.moved);
  EXPECT_EQ(none.error, "");
  // An alias or an earlier mask: MaskUnitFiles(force=true) replaces a symlink itself.
  const std::string link = dir.path() + "/mediamtx.service";
  ASSERT_EQ(::symlink("/lib/systemd/system/mediamtx.service", link.c_str()), 0);
  const AsideResult aliased = move_aside(dir.path(), "mediamtx.service");
  EXPECT_FALSE(aliased.moved);
  EXPECT_EQ(aliased.error, "");
  EXPECT_FALSE(std::filesystem::exists(link + ".lifeline-masked"));
  // Nothing moved aside: nothing to put back.
  const AsideResult back = put_back(dir.path(), "mediamtx.service");
  EXPECT_FALSE(back.moved);
  EXPECT_EQ(back.error, "");
}

TEST(UnitFileAside, AnEarlierMovedAsideCopyIsNeverOverwritten) {
  TempDir dir;
  const std::string file = dir.write("a.service", "new\n");
  dir.write("a.service.lifeline-masked", "old\n");
  const AsideResult moved = move_aside(dir.path(), "a.service");
  EXPECT_FALSE(moved.moved);
  EXPECT_NE(moved.error.find("File exists"), std::string::npos) << moved.error;
  EXPECT_EQ(content(file), "new\n");
  EXPECT_EQ(content(file + ".lifeline-masked"), "old\n");
}

TEST(UnitFileAside, PutBackRefusesWhenBothFilesExist) {
  TempDir dir;
  const std::string file = dir.write("a.service", "reinstalled\n");
  dir.write("a.service.lifeline-masked", "moved aside\n");
  const std::string blocker = put_back_blocker(dir.path(), "a.service");
  EXPECT_NE(blocker.find("both " + file + " and " + file + ".lifeline-masked exist"),
            std::string::npos)
      << blocker;
  const AsideResult back = put_back(dir.path(), "a.service");
  EXPECT_FALSE(back.moved);
  EXPECT_NE(back.error.find("File exists"), std::string::npos) << back.error;
  EXPECT_EQ(content(file), "reinstalled\n");
  EXPECT_EQ(content(file + ".lifeline-masked"), "moved aside\n");
}

TEST(UnitFileAside, TheMasksOwnSymlinkDoesNotBlockPuttingBack) {
  TempDir dir;
  dir.write("a.service.lifeline-masked", "moved aside\n");
  const std::string link = dir.path() + "/a.service";
  ASSERT_EQ(::symlink("/dev/null", link.c_str()), 0);
  EXPECT_EQ(put_back_blocker(dir.path(), "a.service"), "");
}

}  // namespace
}  // namespace lifeline::exclusivity
