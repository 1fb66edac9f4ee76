// The config loader: defaults, every key, and the exact text of every kind of error.
#include "config/loader.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "config_test_support.hpp"

namespace lifeline {
namespace {

using test::errors;
using test::expect_same_settings;
using test::FakeResolver;
using test::kFile;
using test::parse;
using test::ScopedEnv;
using test::TempDir;

TEST(ConfigLoader, EmptyFileGivesDefaults) {
  FakeResolver resolver;
  auto config = parse_config("", kFile, resolver.get());
  ASSERT_TRUE(config.ok()) << config.error().message;
  expect_same_settings(*config, Config{});
  EXPECT_EQ(config->source_path, kFile);
  EXPECT_EQ(config->agent.board, "pi4");
  EXPECT_EQ(config->agent.state_dir, "/var/lib/lifeline");
  EXPECT_EQ(config->agent.control_socket, "/run/lifeline/control.sock");
  EXPECT_EQ(config->agent.loop_deadline, Millis(2000));
  EXPECT_TRUE(config->watchdog.enabled);
  EXPECT_EQ(config->watchdog.device, "");
  EXPECT_EQ(config->watchdog.timeout, Seconds(15));
  EXPECT_EQ(config->watchdog.pet_interval, Millis(0));
  EXPECT_TRUE(config->watchdog.magic_close);
  EXPECT_EQ(config->lockout.max_resets, 3U);
  EXPECT_EQ(config->lockout.window, std::chrono::minutes(15));
  EXPECT_TRUE(config->health.file_checks.empty());
  EXPECT_EQ(config->blackbox.segment_bytes, 256U * 1024U);
  EXPECT_EQ(config->blackbox.segments, 8U);
  EXPECT_EQ(config->board.name, "test");
  EXPECT_TRUE(config->warnings.empty());
  EXPECT_EQ(resolver.ref, "pi4");
  EXPECT_EQ(resolver.dir, "/etc/lifeline");
}

TEST(ConfigLoader, ParsesEveryKey) {
  FakeResolver resolver;
  auto config = parse_config(R"(
[agent]
board = "../boards/mine.toml"
state_dir = "/srv/lifeline"
control_socket = "/run/ll.sock"
loop_deadline_ms = 500
[watchdog]
enabled = false
device = "/dev/watchdog1"
timeout_s = 10
pet_interval_ms = 2000
magic_close = false
[lockout]
max_resets = 5
window_min = 60
[[health.file_check]]
name = "app-alive"
path = "/run/avatar/alive"
max_age_ms = 3000
interval_ms = 500
[[health.file_check]]
name = "nav_2"
path = "/run/nav/alive"
[blackbox]
segment_kib = 64
segments = 16
)",
                             kFile, resolver.get());
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(resolver.ref, "../boards/mine.toml");
  EXPECT_EQ(config->agent.board, "../boards/mine.toml");
  EXPECT_EQ(config->agent.state_dir, "/srv/lifeline");
  EXPECT_EQ(config->agent.control_socket, "/run/ll.sock");
  EXPECT_EQ(config->agent.loop_deadline, Millis(500));
  EXPECT_FALSE(config->watchdog.enabled);
  EXPECT_EQ(config->watchdog.device, "/dev/watchdog1");
  EXPECT_EQ(config->watchdog.timeout, Seconds(10));
  EXPECT_EQ(config->watchdog.pet_interval, Millis(2000));
  EXPECT_FALSE(config->watchdog.magic_close);
  EXPECT_EQ(config->lockout.max_resets, 5U);
  EXPECT_EQ(config->lockout.window, std::chrono::minutes(60));
  ASSERT_EQ(config->health.file_checks.size(), 2U);
  EXPECT_EQ(config->health.file_checks[0].name, "app-alive");
  EXPECT_EQ(config->health.file_checks[0].path, "/run/avatar/alive");
  EXPECT_EQ(config->health.file_checks[0].max_age, Millis(3000));
  EXPECT_EQ(config->health.file_checks[0].interval, Millis(500));
  EXPECT_EQ(config->health.file_checks[1].name, "nav_2");
  EXPECT_EQ(config->health.file_checks[1].max_age, Millis(5000));
  EXPECT_EQ(config->health.file_checks[1].interval, Millis(1000));
  EXPECT_EQ(config->blackbox.segment_bytes, 64U * 1024U);
  EXPECT_EQ(config->blackbox.segments, 16U);
}

TEST(ConfigLoader, DefaultIntervalIsCappedAtMaxAge) {
  auto config = parse("[[health.file_check]]\nname = \"a\"\npath = \"/a\"\nmax_age_ms = 400\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->health.file_checks.at(0).interval, Millis(400));
}

TEST(ConfigErrors, SyntaxErrorHasTomlPosition) {
  EXPECT_EQ(
      errors("[agent\nboard = \"x\"\n"),
      kFile + ":1:7: invalid TOML: Error while parsing table header: expected ']', saw '\\n'");
  EXPECT_EQ(errors("[watchdog]\ntimeout_s = 15 s\n"),
            kFile +
                ":2:16: invalid TOML: Error while parsing key-value pair: expected a comment or "
                "whitespace, saw 's'");
}

TEST(ConfigErrors, SyntaxErrorStaysOneLine) {
  // toml++ echoes the offending character, here a newline; it must not split the report.
  EXPECT_EQ(errors("[watchdog]\nenabled = f\n"),
            kFile +
                ":2:12: invalid TOML: Error while parsing boolean: expected 'false', saw "
                "'f\\n'");
}

TEST(ConfigErrors, UnknownKeySuggestsTheClosest) {
  EXPECT_EQ(errors("[watchdog]\ntimout_s = 10\n"),
            kFile + ":2:1: [watchdog] timout_s: unknown key (did you mean timeout_s?)");
  EXPECT_EQ(
      errors("[watchdog]\npetinterval_msx = 10\n"),
      kFile + ":2:1: [watchdog] petinterval_msx: unknown key (did you mean pet_interval_ms?)");
  EXPECT_EQ(errors("[watchdog]\ntimeout = 10\n"),
            kFile + ":2:1: [watchdog] timeout: unknown key (did you mean timeout_s?)");
  EXPECT_EQ(errors("[agent]\ncolour = \"red\"\n"), kFile + ":2:1: [agent] colour: unknown key");
  EXPECT_EQ(errors("[agent]\nmax_reset = 3\n"),
            kFile + ":2:1: [agent] max_reset: unknown key (did you mean max_resets in [lockout]?)");
  EXPECT_EQ(errors("[watchdog]\nmax_resets = 3\n"),
            kFile + ":2:1: [watchdog] max_resets: unknown key (it belongs in [lockout])");
  EXPECT_EQ(errors("[[health.file_check]]\nname = \"a\"\npath = \"/a\"\nmax_age = 1\n"),
            kFile + ":4:1: [health.file_check #1] max_age: unknown key (did you mean max_age_ms?)");
}

TEST(ConfigErrors, UnknownSection) {
  EXPECT_EQ(errors("[agnet]\nboard = \"pi4\"\n"),
            kFile + ":1:2: [agnet]: unknown section (did you mean [agent]?)");
  EXPECT_EQ(errors("[logging]\nlevel = 1\n"), kFile + ":1:2: [logging]: unknown section");
  EXPECT_EQ(errors("timeout_s = 5\n"),
            kFile + ":1:1: timeout_s: unknown key (it belongs in [watchdog])");
}

TEST(ConfigErrors, WrongType) {
  EXPECT_EQ(errors("[watchdog]\ntimeout_s = 15.0\n"),
            kFile +
                ":2:13: [watchdog] timeout_s: expected an integer from 1 to 600 (seconds), found "
                "a floating-point number 15.0");
  EXPECT_EQ(errors("[watchdog]\ntimeout_s = \"15\"\n"),
            kFile +
                ":2:13: [watchdog] timeout_s: expected an integer from 1 to 600 (seconds), found "
                "a string \"15\"");
  EXPECT_EQ(errors("[watchdog]\nenabled = 1\n"),
            kFile + ":2:11: [watchdog] enabled: expected true or false, found an integer 1");
  EXPECT_EQ(errors("[agent]\nstate_dir = [\"/a\"]\n"),
            kFile + ":2:13: [agent] state_dir: expected an absolute path, found an array");
  EXPECT_EQ(errors("agent = 5\n"), kFile +
                                       ":1:9: agent: expected a table ([agent]), found an "
                                       "integer 5");
  EXPECT_EQ(errors("[health.file_check]\nname = \"a\"\n"),
            kFile +
                ":1:1: [health] file_check: expected an array of tables ([[health.file_check]]), "
                "found a table");
}

TEST(ConfigErrors, OutOfRange) {
  EXPECT_EQ(errors("[watchdog]\ntimeout_s = 0\n"),
            kFile +
                ":2:13: [watchdog] timeout_s: expected an integer from 1 to 600 (seconds), "
                "found 0");
  EXPECT_EQ(errors("[lockout]\nmax_resets = -1\n"),
            kFile + ":2:14: [lockout] max_resets: expected an integer from 1 to 100, found -1");
  EXPECT_EQ(errors("[blackbox]\nsegment_kib = 65537\n"),
            kFile +
                ":2:15: [blackbox] segment_kib: expected an integer from 16 to 65536 (KiB), "
                "found 65537");
  EXPECT_EQ(errors("[agent]\nloop_deadline_ms = 99\n"),
            kFile +
                ":2:20: [agent] loop_deadline_ms: expected an integer from 100 to 60000 "
                "(milliseconds), found 99");
}

TEST(ConfigErrors, PetIntervalMustBeUnderHalfTheTimeout) {
  const std::string expected =
      ": [watchdog] pet_interval_ms: expected 0 (a quarter of the timeout) or an integer from "
      "100 to 4999 (milliseconds), less than half of timeout_s = 10, found ";
  EXPECT_EQ(errors("[watchdog]\ntimeout_s = 10\npet_interval_ms = 5000\n"),
            kFile + ":3:19" + expected + "5000");
  EXPECT_EQ(errors("[watchdog]\ntimeout_s = 10\npet_interval_ms = 50\n"),
            kFile + ":3:19" + expected + "50");
  EXPECT_TRUE(parse("[watchdog]\ntimeout_s = 10\npet_interval_ms = 4999\n").ok());
  // With the default timeout_s of 15.
  EXPECT_EQ(errors("[watchdog]\npet_interval_ms = 7500\n"),
            kFile +
                ":2:19: [watchdog] pet_interval_ms: expected 0 (a quarter of the timeout) or an "
                "integer from 100 to 7499 (milliseconds), less than half of timeout_s = 15, "
                "found 7500");
}

TEST(ConfigErrors, PetIntervalMustFitTheClampedTimeout) {
  // The test board allows 15 s; 60 s is clamped, so 10 s between pets would reset.
  EXPECT_EQ(errors("[watchdog]\ntimeout_s = 60\npet_interval_ms = 10000\n"),
            kFile +
                ":3:19: [watchdog] pet_interval_ms: expected 0 (a quarter of the timeout) or an "
                "integer from 100 to 7499 (milliseconds), less than half of the effective timeout "
                "(timeout_s 60 is clamped to board \"test\" max_timeout_s 15), found 10000");
}

TEST(ConfigWarnings, TimeoutAboveBoardMaximum) {
  auto config = parse("[watchdog]\ntimeout_s = 60\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_EQ(config->warnings.size(), 1U);
  EXPECT_EQ(config->warnings[0],
            kFile +
                ":2:13: [watchdog] timeout_s: 60 s is above board \"test\" max_timeout_s of "
                "15 s; the agent will use 15 s");
  auto disabled = parse("[watchdog]\nenabled = false\ntimeout_s = 60\n");
  ASSERT_TRUE(disabled.ok());
  EXPECT_TRUE(disabled->warnings.empty());
}

TEST(ConfigErrors, FileChecks) {
  EXPECT_EQ(errors(R"([[health.file_check]]
name = "app"
path = "/a"
[[health.file_check]]
name = "app"
path = "/b"
)"),
            kFile +
                ":5:8: [health.file_check #2] name: expected a name no other check uses, "
                "found \"app\", already used on line 2");
  EXPECT_EQ(errors("[[health.file_check]]\nname = \"App Alive\"\npath = \"/a\"\n"),
            kFile +
                ":2:8: [health.file_check #1] name: expected a name of 1 to 32 characters "
                "from a-z, 0-9, '_' and '-', found \"App Alive\"");
  EXPECT_EQ(
      errors("[[health.file_check]]\nname = \"a\"\npath = \"run/a\"\n"),
      kFile + ":3:8: [health.file_check #1] path: expected an absolute path, found \"run/a\"");
  EXPECT_EQ(errors("[[health.file_check]]\nmax_age_ms = 1000\n"),
            kFile +
                ":1:1: [health.file_check #1] name: expected a name of 1 to 32 characters "
                "from a-z, 0-9, '_' and '-', found nothing (the key is required)\n" +
                kFile +
                ":1:1: [health.file_check #1] path: expected an absolute path, found "
                "nothing (the key is required)");
  EXPECT_EQ(errors("[[health.file_check]]\nname = \"a\"\npath = \"/a\"\nmax_age_ms = 1000\n"
                   "interval_ms = 2000\n"),
            kFile +
                ":5:15: [health.file_check #1] interval_ms: expected an integer from 100 to "
                "1000 (milliseconds), at most max_age_ms, found 2000");
}

TEST(ConfigErrors, Paths) {
  EXPECT_EQ(errors("[agent]\nstate_dir = \"var/lib/lifeline\"\n"),
            kFile +
                ":2:13: [agent] state_dir: expected an absolute path, found "
                "\"var/lib/lifeline\"");
  EXPECT_EQ(errors("[watchdog]\ndevice = \"watchdog0\"\n"),
            kFile +
                ":2:10: [watchdog] device: expected an absolute path, or \"\" for the "
                "board's device, found \"watchdog0\"");
  EXPECT_EQ(errors("[agent]\nstate_dir = \"/var/\\u0000lib\"\n"),
            kFile +
                ":2:13: [agent] state_dir: expected an absolute path, found a string "
                "containing a NUL character");
  const std::string long_socket = "/run/" + std::string(103, 's');  // 108 bytes
  EXPECT_EQ(errors("[agent]\ncontrol_socket = \"" + long_socket + "\"\n"),
            kFile +
                ":2:18: [agent] control_socket: expected an absolute path of at most 107 "
                "bytes (the sun_path limit), found a path of 108 bytes");
  EXPECT_TRUE(parse("[agent]\ncontrol_socket = \"" + long_socket.substr(1) + "\"\n").ok() ==
              false);  // relative
  EXPECT_TRUE(parse("[agent]\ncontrol_socket = \"" + long_socket.substr(0, 107) + "\"\n").ok());
}

TEST(ConfigErrors, MissingConfigFile) {
  auto config = load_config("/nonexistent-lifeline-dir/lifeline.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().errno_value, ENOENT);
  EXPECT_EQ(config.error().message,
            "/nonexistent-lifeline-dir/lifeline.toml: cannot read: No such file or directory");
}

TEST(ConfigErrors, BoardNotFound) {
  TempDir dir;
  ScopedEnv env("LIFELINE_BOARD_PATH", dir.path());
  const std::string file = dir.write("lifeline.toml", "[agent]\nboard = \"pi9\"\n");
  auto config = load_config(file);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().message,
            file +
                ":2:9: [agent] board: expected the name of an installed board or a path to a "
                "board file, found \"pi9\" (no pi9.toml in " +
                dir.path() + ", " + LIFELINE_BOARDS_DIR + ")");

  const std::string relative = dir.write("rel.toml", "[agent]\nboard = \"boards/x.toml\"\n");
  auto by_path = load_config(relative);
  ASSERT_FALSE(by_path.ok());
  EXPECT_EQ(by_path.error().message,
            relative +
                ":2:9: [agent] board: expected the name of an installed board or a path "
                "to a board file, found \"boards/x.toml\" (" +
                dir.path() + "/boards/x.toml: cannot read: No such file or directory)");
}

TEST(ConfigErrors, BoardErrorsCarryTheBoardsPosition) {
  TempDir dir;
  const std::string board = dir.write("boards/bad.toml", R"(description = "bad"
hal = "linux"
[watchdog]
device = "/dev/watchdog0"
max_timeout_s = 0
)");
  const std::string file = dir.write(
      "lifeline.toml", "[agent]\nboard = \"boards/bad.toml\"\n[lockout]\nmax_resets = 0\n");
  auto config = load_config(file);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().errno_value, 0);
  EXPECT_EQ(config.error().message,
            file + ":4:14: [lockout] max_resets: expected an integer from 1 to 100, found 0\n" +
                board +
                ":5:17: [watchdog] max_timeout_s: expected an integer from 1 to 65535 "
                "(seconds), found 0");
}

TEST(ConfigErrors, AllErrorsReportedTogetherInFileOrder) {
  EXPECT_EQ(
      errors(R"([watchdog]
timout_s = 10
magic_close = "yes"
[agent]
state_dir = "relative"
[blackbox]
segments = 1
[agnet]
)"),
      kFile + ":2:1: [watchdog] timout_s: unknown key (did you mean timeout_s?)\n" + kFile +
          ":3:15: [watchdog] magic_close: expected true or false, found a string \"yes\"\n" +
          kFile + ":5:13: [agent] state_dir: expected an absolute path, found \"relative\"\n" +
          kFile + ":7:12: [blackbox] segments: expected an integer from 2 to 1024, found 1\n" +
          kFile + ":8:2: [agnet]: unknown section (did you mean [agent]?)");
}

TEST(ConfigLoader, ShippedExampleLoadsWithShippedBoards) {
  ScopedEnv env("LIFELINE_BOARD_PATH", std::string(LIFELINE_SOURCE_DIR) + "/board");
  auto config = load_config(std::string(LIFELINE_SOURCE_DIR) + "/docs/examples/lifeline.toml");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->board.name, "pi4");
  EXPECT_TRUE(config->warnings.empty());
  // The example documents the defaults: it must mean exactly what an empty file means.
  expect_same_settings(*config, Config{});
}

TEST(ConfigLoader, EveryShippedBoardLoadsByName) {
  ScopedEnv env("LIFELINE_BOARD_PATH", std::string(LIFELINE_SOURCE_DIR) + "/board");
  for (const char* name : {"pi4", "pi5", "sim", "qemu"}) {
    auto config = parse_config(std::string("[agent]\nboard = \"") + name + "\"\n", kFile,
                               default_board_resolver());
    ASSERT_TRUE(config.ok()) << name << ": " << config.error().message;
    EXPECT_EQ(config->board.name, name);
  }
}

}  // namespace
}  // namespace lifeline
