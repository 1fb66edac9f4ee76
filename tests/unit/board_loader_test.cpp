// Board files: parsing, the shipped boards' facts, errors, and finding a board by name.
#include "board/board_loader.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "config_test_support.hpp"

namespace lifeline {
namespace {

using test::ScopedEnv;
using test::TempDir;

const std::string kBoard = "/usr/share/lifeline/boards/robot.toml";

constexpr std::string_view kHeader = R"(description = "robot"
hal = "linux"
[watchdog]
device = "/dev/watchdog0"
max_timeout_s = 15
)";

// The whole error report for a board made of kHeader and `rest`.
std::string board_errors(std::string_view rest, std::string_view header = kHeader) {
  auto board = parse_board(std::string(header) + std::string(rest), kBoard);
  EXPECT_FALSE(board.ok());
  return board.ok() ? std::string() : board.error().message;
}

Board load_shipped(const std::string& name) {
  auto board = load_board(std::string(LIFELINE_SOURCE_DIR) + "/board/" + name + ".toml");
  EXPECT_TRUE(board.ok()) << name << ": " << board.error().message;
  return board.ok() ? *board : Board{};
}

TEST(BoardLoader, ParsesEveryKey) {
  auto board = parse_board(std::string(kHeader) + R"(
[status_led]
chip = "gpiochip0"
line = 17
active_low = true
bias = "pull-up"
[status_led_secondary]
chip = "gpiochip0"
line = 18
bias = "disabled"
[buzzer]
chip = "/dev/gpiochip1"
line = 17
[motor_enable]
chip = "pinctrl-bcm2711"
line = 22
bias = "pull-down"
[motor_serial]
device = "/dev/ttyAMA0"
baud = 115200
)",
                           kBoard);
  ASSERT_TRUE(board.ok()) << board.error().message;
  EXPECT_EQ(board->name, "robot");
  EXPECT_EQ(board->description, "robot");
  EXPECT_EQ(board->hal, HalKind::linux_hal);
  EXPECT_EQ(board->watchdog.device, "/dev/watchdog0");
  EXPECT_EQ(board->watchdog.max_timeout, std::chrono::seconds(15));
  ASSERT_TRUE(board->status_led);
  EXPECT_EQ(board->status_led->chip, "gpiochip0");
  EXPECT_EQ(board->status_led->offset, 17U);
  EXPECT_TRUE(board->status_led->active_low);
  EXPECT_EQ(board->status_led->bias, LineBias::pull_up);
  ASSERT_TRUE(board->status_led_secondary);
  EXPECT_EQ(board->status_led_secondary->bias, LineBias::disabled);
  ASSERT_TRUE(board->buzzer);
  EXPECT_EQ(board->buzzer->chip, "/dev/gpiochip1");
  EXPECT_FALSE(board->buzzer->active_low);
  EXPECT_EQ(board->buzzer->bias, LineBias::as_is);
  ASSERT_TRUE(board->motor_enable);
  EXPECT_EQ(board->motor_enable->bias, LineBias::pull_down);
  ASSERT_TRUE(board->motor_serial);
  EXPECT_EQ(board->motor_serial->device, "/dev/ttyAMA0");
  EXPECT_EQ(board->motor_serial->baud, 115200U);
}

TEST(BoardLoader, RolesAreOptional) {
  auto board = parse_board(kHeader, kBoard);
  ASSERT_TRUE(board.ok()) << board.error().message;
  EXPECT_FALSE(board->status_led || board->status_led_secondary || board->buzzer ||
               board->motor_enable || board->motor_serial);
}

TEST(BoardLoader, ShippedBoards) {
  const Board pi4 = load_shipped("pi4");
  EXPECT_EQ(pi4.name, "pi4");
  EXPECT_EQ(pi4.hal, HalKind::linux_hal);
  EXPECT_EQ(pi4.watchdog.device, "/dev/watchdog0");
  EXPECT_EQ(pi4.watchdog.max_timeout, std::chrono::seconds(15));  // bcm2835_wdt
  ASSERT_TRUE(pi4.status_led && pi4.buzzer && pi4.motor_enable && pi4.motor_serial);
  EXPECT_EQ(pi4.status_led->chip, "pinctrl-bcm2711");
  EXPECT_EQ(pi4.status_led->offset, 17U);
  EXPECT_EQ(pi4.buzzer->offset, 27U);
  EXPECT_EQ(pi4.motor_enable->offset, 22U);
  EXPECT_EQ(pi4.motor_enable->bias, LineBias::pull_down);
  EXPECT_EQ(pi4.motor_serial->device, "/dev/serial0");

  const Board pi5 = load_shipped("pi5");
  EXPECT_EQ(pi5.watchdog.max_timeout, std::chrono::seconds(15));
  ASSERT_TRUE(pi5.status_led && pi5.motor_serial);
  EXPECT_EQ(pi5.status_led->chip, "pinctrl-rp1");
  EXPECT_EQ(pi5.motor_serial->device, "/dev/ttyAMA0");

  const Board sim = load_shipped("sim");
  EXPECT_EQ(sim.hal, HalKind::sim);
  EXPECT_EQ(sim.watchdog.device, "sim");
  EXPECT_EQ(sim.watchdog.max_timeout, std::chrono::seconds(600));
  ASSERT_TRUE(sim.status_led && sim.buzzer && sim.motor_enable && sim.motor_serial);
  EXPECT_EQ(sim.status_led->chip, "sim0");
  EXPECT_EQ(sim.motor_serial->device, "sim");

  const Board qemu = load_shipped("qemu");
  EXPECT_EQ(qemu.hal, HalKind::linux_hal);
  EXPECT_EQ(qemu.watchdog.max_timeout, std::chrono::seconds(2046));  // i6300esb
  ASSERT_TRUE(qemu.status_led && qemu.motor_serial);
  EXPECT_EQ(qemu.status_led->chip, "gpio-sim");
  EXPECT_EQ(qemu.motor_serial->device, "/dev/ttyS1");
  EXPECT_EQ(qemu.motor_serial->baud, 115200U);
}

TEST(BoardErrors, SyntaxError) {
  auto board = parse_board("hal = \n", kBoard);
  ASSERT_FALSE(board.ok());
  EXPECT_EQ(board.error().message, kBoard +
                                       ":1:7: invalid TOML: Error while parsing key-value "
                                       "pair: expected value, saw '\\n'");
}

TEST(BoardErrors, UnknownKeysAndSections) {
  EXPECT_EQ(board_errors("[status_led]\nchip = \"gpiochip0\"\nlin = 17\n"),
            kBoard +
                ":6:1: [status_led] line: expected an integer from 0 to 1023, found nothing "
                "(the key is required)\n" +
                kBoard + ":8:1: [status_led] lin: unknown key (did you mean line?)");
  EXPECT_EQ(board_errors("[buzer]\nchip = \"gpiochip0\"\nline = 1\n"),
            kBoard + ":6:2: [buzer]: unknown section (did you mean [buzzer]?)");
  EXPECT_EQ(board_errors("descripton = \"x\"\n",
                         "hal = \"sim\"\n[watchdog]\ndevice = \"sim\"\n"
                         "max_timeout_s = 1\n"),
            kBoard +
                ":1:1: description: expected a one-line description, found nothing (the "
                "key is required)\n" +
                kBoard +
                ":5:1: [watchdog] descripton: unknown key (did you mean description at "
                "the top of the file?)");
}

TEST(BoardErrors, WrongValues) {
  EXPECT_EQ(board_errors("",
                         "description = \"x\"\nhal = \"linx\"\n[watchdog]\n"
                         "device = \"watchdog0\"\nmax_timeout_s = 0\n"),
            kBoard + ":2:7: hal: expected \"linux\" or \"sim\", found \"linx\"\n" + kBoard +
                ":4:10: [watchdog] device: expected an absolute path, found \"watchdog0\"\n" +
                kBoard +
                ":5:17: [watchdog] max_timeout_s: expected an integer from 1 to 65535 (seconds), "
                "found 0");
  EXPECT_EQ(board_errors("[buzzer]\nchip = \"gpiochip0\"\nline = 1024\nbias = \"up\"\n"),
            kBoard + ":8:8: [buzzer] line: expected an integer from 0 to 1023, found 1024\n" +
                kBoard +
                ":9:8: [buzzer] bias: expected \"as-is\", \"disabled\", \"pull-up\" or "
                "\"pull-down\", found \"up\"");
  EXPECT_EQ(board_errors("[motor_serial]\ndevice = \"ttyAMA0\"\nbaud = 9601\n"),
            kBoard +
                ":7:10: [motor_serial] device: expected an absolute path, found \"ttyAMA0\"\n" +
                kBoard +
                ":8:8: [motor_serial] baud: expected one of the standard rates 1200, 1800, 2400, "
                "4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 500000, 576000, 921600 "
                "or 1000000, found 9601");
  EXPECT_EQ(board_errors("[status_led]\nchip = 0\nline = 1.5\n"),
            kBoard +
                ":7:8: [status_led] chip: expected a gpiochip name, label, number or /dev "
                "path, found an integer 0\n" +
                kBoard +
                ":8:8: [status_led] line: expected an integer from 0 to 1023, found a "
                "floating-point number 1.5");
}

TEST(BoardErrors, RequiredParts) {
  auto board = parse_board("", kBoard);
  ASSERT_FALSE(board.ok());
  EXPECT_EQ(board.error().message,
            kBoard +
                ":1:1: description: expected a one-line description, found nothing (the "
                "key is required)\n" +
                kBoard +
                ":1:1: hal: expected \"linux\" or \"sim\", found nothing (the key is "
                "required)\n" +
                kBoard +
                ":1:1: [watchdog]: expected a table with device and max_timeout_s, "
                "found nothing (the section is required)");
  EXPECT_EQ(board_errors("", "description = \"x\"\nhal = \"sim\"\n[watchdog]\n"),
            kBoard +
                ":3:1: [watchdog] device: expected a non-empty device name, found nothing "
                "(the key is required)\n" +
                kBoard +
                ":3:1: [watchdog] max_timeout_s: expected an integer from 1 to 65535 "
                "(seconds), found nothing (the key is required)");
}

TEST(BoardErrors, TwoRolesOnOneLineNameBoth) {
  EXPECT_EQ(board_errors("[status_led]\nchip = \"gpiochip0\"\nline = 17\n"
                         "[buzzer]\nchip = \"/dev/gpiochip0\"\nline = 17\n"),
            kBoard +
                ":11:8: [buzzer] line: expected a line no other role uses, found 17 on chip "
                "\"/dev/gpiochip0\", already used by [status_led] (line 8)");
  EXPECT_EQ(board_errors("[motor_enable]\nchip = \"0\"\nline = 3\n"
                         "[status_led_secondary]\nchip = \"gpiochip0\"\nline = 3\n"),
            kBoard +
                ":8:8: [motor_enable] line: expected a line no other role uses, found 3 on "
                "chip \"0\", already used by [status_led_secondary] (line 11)")
      << "roles are checked in a fixed order, not file order";
  // Same offset on different chips is fine.
  EXPECT_TRUE(parse_board(std::string(kHeader) + "[status_led]\nchip = \"gpiochip0\"\nline = 17\n"
                                                 "[buzzer]\nchip = \"gpiochip1\"\nline = 17\n",
                          kBoard)
                  .ok());
}

TEST(BoardErrors, SimAcceptsDeviceNamesLinuxNeedsPaths) {
  const std::string sim =
      "description = \"s\"\nhal = \"sim\"\n[watchdog]\ndevice = \"sim\"\n"
      "max_timeout_s = 600\n[motor_serial]\ndevice = \"sim\"\n";
  EXPECT_TRUE(parse_board(sim, kBoard).ok());
  auto empty = parse_board(
      "description = \"s\"\nhal = \"sim\"\n[watchdog]\ndevice = \"sim\"\n"
      "max_timeout_s = 600\n[motor_serial]\ndevice = \"\"\n",
      kBoard);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().message,
            kBoard + ":7:10: [motor_serial] device: expected a non-empty device name, found \"\"");
}

TEST(BoardLoader, MissingFile) {
  auto board = load_board("/nonexistent-lifeline-dir/x.toml");
  ASSERT_FALSE(board.ok());
  EXPECT_EQ(board.error().errno_value, ENOENT);
  EXPECT_EQ(board.error().message,
            "/nonexistent-lifeline-dir/x.toml: cannot read: No such file or directory");
}

TEST(BoardResolve, PathsAndNames) {
  EXPECT_EQ(*resolve_board_path("/opt/b.toml", "/etc/lifeline"), "/opt/b.toml");
  EXPECT_EQ(*resolve_board_path("boards/b.toml", "/etc/lifeline"), "/etc/lifeline/boards/b.toml");
  EXPECT_EQ(*resolve_board_path("../b.toml", "/etc/lifeline"), "/etc/b.toml");

  TempDir first;
  TempDir second;
  second.write("pi4.toml", "");
  second.write("mine.toml", "");
  first.write("mine.toml", "");
  ScopedEnv env("LIFELINE_BOARD_PATH", first.path() + "::" + second.path());
  EXPECT_EQ(*resolve_board_path("mine", "/etc"), first.path() + "/mine.toml");
  EXPECT_EQ(*resolve_board_path("pi4", "/etc"), second.path() + "/pi4.toml");

  auto missing = resolve_board_path("nope", "/etc");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().errno_value, ENOENT);
  EXPECT_EQ(missing.error().message,
            "no nope.toml in " + first.path() + ", " + second.path() + ", " + LIFELINE_BOARDS_DIR);

  auto bad = resolve_board_path("..", "/etc");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().errno_value, EINVAL);
}

}  // namespace
}  // namespace lifeline
