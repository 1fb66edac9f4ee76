// The unit-file reader against each systemd.syntax(7) rule it implements.
#include <gtest/gtest.h>

#include "doctor/unit_file.hpp"

namespace lifeline::doctor {
namespace {

using Entries = std::vector<std::pair<std::string, std::string>>;

TEST(DoctorUnitFile, SectionsAndAssignments) {
  const UnitFile f = parse_unit_file(
      "[Unit]\nDescription=Avatar Tank System\n\n[Service]\nExecStart=/usr/bin/app --x\n");
  ASSERT_EQ(f.sections.size(), 2U);
  EXPECT_EQ(f.sections.at("Unit"), (Entries{{"Description", "Avatar Tank System"}}));
  EXPECT_EQ(f.last("Service", "ExecStart"), "/usr/bin/app --x");
  EXPECT_EQ(f.last("Service", "Restart"), std::nullopt);
  EXPECT_EQ(f.last("Install", "WantedBy"), std::nullopt);
  EXPECT_TRUE(f.warnings.empty());
}

TEST(DoctorUnitFile, WhitespaceAroundKeyAndValueIsStripped) {
  const UnitFile f = parse_unit_file("  [Service]  \n\t Restart =  always \t\r\n");
  EXPECT_EQ(f.last("Service", "Restart"), "always");
}

TEST(DoctorUnitFile, CommentLinesWithHashOrSemicolonAreIgnored) {
  const UnitFile f = parse_unit_file("# top\n[Service]\n; old\n  # Restart=no\nRestart=always\n");
  EXPECT_EQ(f.sections.at("Service"), (Entries{{"Restart", "always"}}));
}

TEST(DoctorUnitFile, NoInlineComments) {
  // systemd has no trailing comments: the text after '#' belongs to the value.
  const UnitFile f = parse_unit_file("[Service]\nUser=robot # the app user\n");
  EXPECT_EQ(f.last("Service", "User"), "robot # the app user");
}

TEST(DoctorUnitFile, BackslashContinuesTheLineWithASpace) {
  const UnitFile f =
      parse_unit_file("[Service]\nExecStart=/usr/bin/python3 \\\n    -u app.py\\\n--port 5000\n");
  EXPECT_EQ(f.last("Service", "ExecStart"), "/usr/bin/python3      -u app.py --port 5000");
}

TEST(DoctorUnitFile, CommentLinesInsideAContinuationAreSkipped) {
  const UnitFile f = parse_unit_file("[Service]\nExecStart=/bin/a \\\n# note\n; more\n  -b\n");
  EXPECT_EQ(f.last("Service", "ExecStart"), "/bin/a    -b");
}

TEST(DoctorUnitFile, EscapedBackslashAtTheEndDoesNotContinue) {
  const UnitFile f = parse_unit_file("[Service]\nA=x\\\\\nB=y\n");
  EXPECT_EQ(f.last("Service", "A"), "x\\\\");
  EXPECT_EQ(f.last("Service", "B"), "y");
}

TEST(DoctorUnitFile, BackslashOnTheLastLineKeepsTheAssignment) {
  const UnitFile f = parse_unit_file("[Service]\nA=x \\");
  EXPECT_EQ(f.last("Service", "A"), "x");
}

TEST(DoctorUnitFile, RepeatedKeysAccumulateAndLastWins) {
  const UnitFile f = parse_unit_file(
      "[Service]\nExecStartPre=/bin/a\nRestart=no\nExecStartPre=/bin/b\nRestart=always\n");
  EXPECT_EQ(f.all("Service", "ExecStartPre"), (std::vector<std::string>{"/bin/a", "/bin/b"}));
  EXPECT_EQ(f.last("Service", "Restart"), "always");
}

TEST(DoctorUnitFile, EmptyAssignmentResetsTheList) {
  const UnitFile f =
      parse_unit_file("[Service]\nExecStart=/bin/old\nExecStart=\nExecStart=/bin/new\n");
  EXPECT_EQ(f.all("Service", "ExecStart"), (std::vector<std::string>{"/bin/new"}));
  const UnitFile g = parse_unit_file("[Service]\nMemoryMax=1G\nMemoryMax=\n");
  EXPECT_EQ(g.last("Service", "MemoryMax"), "");
  EXPECT_FALSE(g.has("Service", "MemoryMax"));
  EXPECT_TRUE(g.all("Service", "MemoryMax").empty());
}

TEST(DoctorUnitFile, RepeatedSectionsMerge) {
  const UnitFile f = parse_unit_file("[Service]\nA=1\n[Unit]\nB=2\n[Service]\nA=3\n");
  EXPECT_EQ(f.all("Service", "A"), (std::vector<std::string>{"1", "3"}));
}

TEST(DoctorUnitFile, DropInMergeAppendsAfterTheUnit) {
  UnitFile unit = parse_unit_file("[Service]\nExecStart=/bin/a\nOOMScoreAdjust=0\n");
  unit.merge(parse_unit_file("[Service]\nExecStart=\nExecStart=/bin/b\nOOMScoreAdjust=-900\n"));
  EXPECT_EQ(unit.all("Service", "ExecStart"), (std::vector<std::string>{"/bin/b"}));
  EXPECT_EQ(unit.last("Service", "OOMScoreAdjust"), "-900");
}

TEST(DoctorUnitFile, ValueMayContainEquals) {
  const UnitFile f = parse_unit_file("[Service]\nEnvironment=A=1 B=2\n");
  EXPECT_EQ(f.last("Service", "Environment"), "A=1 B=2");
}

TEST(DoctorUnitFile, IgnoredLinesAreWarnedAbout) {
  const UnitFile f =
      parse_unit_file("Early=1\n[Service]\njunk\n=value\n[Broken\nLost=1\n[Ok]\nK=v\n");
  EXPECT_EQ(f.warnings.size(), 5U);
  EXPECT_EQ(f.warnings.front(), "line 1: assignment outside any section, line ignored");
  EXPECT_EQ(f.last("Service", "Lost"), std::nullopt);
  EXPECT_EQ(f.last("Ok", "K"), "v");
  EXPECT_TRUE(f.sections.at("Service").empty());
}

TEST(DoctorUnitFile, LineEndingsAndByteOrderMark) {
  const UnitFile f = parse_unit_file("\xEF\xBB\xBF[Unit]\r\nA=1\r\nB=2\rC=3");
  EXPECT_EQ(f.last("Unit", "A"), "1");
  EXPECT_EQ(f.last("Unit", "B"), "2");
  EXPECT_EQ(f.last("Unit", "C"), "3");
}

TEST(DoctorUnitFile, EmptyAndBinaryInputAreTotal) {
  EXPECT_TRUE(parse_unit_file("").sections.empty());
  const std::string bytes("\0[\0]\\\n=\xff\\", 9);
  const UnitFile f = parse_unit_file(bytes);
  EXPECT_LE(f.sections.size(), 1U);
}

}  // namespace
}  // namespace lifeline::doctor
