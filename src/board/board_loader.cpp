#include "board/board_loader.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <utility>
#include <vector>

#include "config/checker.hpp"
#include "config/schema.hpp"

#ifndef LIFELINE_BOARDS_DIR
#define LIFELINE_BOARDS_DIR "/usr/share/lifeline/boards"
#endif

namespace lifeline {

namespace {

using check::Checker;
using check::Scope;

// The termios rates from 1200 up; anything else would need a custom divisor.
constexpr std::array<std::int64_t, 15> kStandardBauds{1200,   1800,   2400,   4800,   9600,
                                                      19200,  38400,  57600,  115200, 230400,
                                                      460800, 500000, 576000, 921600, 1000000};

constexpr std::string_view kBaudText =
    "one of the standard rates 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600, 115200, "
    "230400, 460800, 500000, 576000, 921600 or 1000000";

// Where a role's line was given, for the duplicate check.
struct Claim {
  std::string role;
  std::string chip;  // normalised
  std::uint32_t offset;
  toml::source_position at;
};

// "gpiochip0", "/dev/gpiochip0" and "0" all name the same chip; labels stay as they are
// (a label and a name for the same chip cannot be matched without the hardware).
std::string normalise_chip(const std::string& chip) {
  std::string_view view = chip;
  if (view.starts_with("/dev/")) view.remove_prefix(5);
  const bool number = !view.empty() && std::all_of(view.begin(), view.end(),
                                                   [](char c) { return c >= '0' && c <= '9'; });
  return number ? "gpiochip" + std::string(view) : std::string(view);
}

std::optional<LineBias> parse_bias(std::string_view text) {
  if (text == "as-is") return LineBias::as_is;
  if (text == "disabled") return LineBias::disabled;
  if (text == "pull-up") return LineBias::pull_up;
  if (text == "pull-down") return LineBias::pull_down;
  return std::nullopt;
}

// A device: an absolute path on real hardware; the sim HAL accepts any non-empty name.
std::optional<std::string> read_device(Checker& c, const Scope& scope, bool sim) {
  const std::string_view what = sim ? "a non-empty device name" : "an absolute path";
  if (c.node(scope, "device") == nullptr) {
    c.missing(scope, "device", what);
    return std::nullopt;
  }
  auto device = c.text(scope, "device", what);
  if (!device) return std::nullopt;
  if (device->empty() || (!sim && device->front() != '/')) {
    c.expected(c.position(scope, "device"), scope, "device", what, check::quote(*device));
    return std::nullopt;
  }
  return device;
}

std::optional<LineRole> read_line_role(Checker& c, const Scope& scope, std::string_view role,
                                       std::vector<Claim>& claims) {
  c.reject_unknown(scope);
  LineRole line;
  bool ok = true;
  constexpr std::string_view kChipText = "a gpiochip name, label, number or /dev path";
  if (c.node(scope, "chip") == nullptr) {
    c.missing(scope, "chip", kChipText);
    ok = false;
  } else if (auto chip = c.text(scope, "chip", kChipText); !chip) {
    ok = false;
  } else if (chip->empty()) {
    c.expected(c.position(scope, "chip"), scope, "chip", kChipText, "\"\"");
    ok = false;
  } else {
    line.chip = *chip;
  }
  if (c.node(scope, "line") == nullptr) {
    c.missing(scope, "line", check::integer_range_text(0, 1023, ""));
    ok = false;
  } else if (auto offset = c.integer(scope, "line"); !offset) {
    ok = false;
  } else {
    line.offset = static_cast<std::uint32_t>(*offset);
  }
  if (auto active_low = c.boolean(scope, "active_low")) line.active_low = *active_low;
  constexpr std::string_view kBiasText = R"("as-is", "disabled", "pull-up" or "pull-down")";
  if (auto bias = c.text(scope, "bias", kBiasText)) {
    if (auto parsed = parse_bias(*bias)) {
      line.bias = *parsed;
    } else {
      c.expected(c.position(scope, "bias"), scope, "bias", kBiasText, check::quote(*bias));
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  const std::string chip = normalise_chip(line.chip);
  const toml::source_position at = c.position(scope, "line");
  for (const Claim& other : claims) {
    if (other.chip == chip && other.offset == line.offset) {
      c.expected(at, scope, "line", "a line no other role uses",
                 std::to_string(line.offset) + " on chip " + check::quote(line.chip) +
                     ", already used by [" + other.role + "] (line " +
                     std::to_string(other.at.line) + ")");
      return std::nullopt;
    }
  }
  claims.push_back(Claim{std::string(role), chip, line.offset, at});
  return line;
}

std::optional<SerialRole> read_serial(Checker& c, const Scope& scope, bool sim) {
  c.reject_unknown(scope);
  SerialRole serial;
  auto device = read_device(c, scope, sim);
  bool ok = device.has_value();
  if (device) serial.device = *device;
  if (auto baud = c.any_integer(scope, "baud", kBaudText)) {
    if (std::find(kStandardBauds.begin(), kStandardBauds.end(), *baud) == kStandardBauds.end()) {
      c.expected(c.position(scope, "baud"), scope, "baud", kBaudText, std::to_string(*baud));
      ok = false;
    } else {
      serial.baud = static_cast<std::uint32_t>(*baud);
    }
  } else if (c.node(scope, "baud") != nullptr) {
    ok = false;
  }
  if (!ok) return std::nullopt;
  return serial;
}

void read_watchdog(Checker& c, const toml::table& root, bool sim, WatchdogRole& out) {
  const Scope scope = c.section(root, "watchdog");
  if (scope.table == nullptr) {
    // Every board has a watchdog, or lifeline has nothing to do; a mistyped one is
    // already reported by section().
    if (!root.contains("watchdog")) c.missing(scope, "", "a table with device and max_timeout_s");
    return;
  }
  c.reject_unknown(scope);
  if (auto device = read_device(c, scope, sim)) out.device = *device;
  if (c.node(scope, "max_timeout_s") == nullptr) {
    c.missing(scope, "max_timeout_s", check::integer_range_text(1, 65535, "s"));
  } else if (auto max = c.integer(scope, "max_timeout_s")) {
    out.max_timeout = std::chrono::seconds(*max);
  }
}

std::optional<LineRole>& line_slot(Board& board, std::string_view role) {
  if (role == "status_led") return board.status_led;
  if (role == "status_led_secondary") return board.status_led_secondary;
  if (role == "buzzer") return board.buzzer;
  return board.motor_enable;
}

bool regular_file(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

bool valid_board_name(std::string_view name) {
  return !name.empty() && name.front() != '.' && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

}  // namespace

Expected<Board> parse_board(std::string_view text, const std::string& source_path) {
  auto root = check::parse_toml(text, source_path);
  if (!root) return root.error();
  Checker c(source_path, schema::board_keys(), schema::board_sections());
  Board board;
  board.name = std::filesystem::path(source_path).stem().string();
  const Scope top = c.top(*root);
  c.reject_unknown(top);

  constexpr std::string_view kDescriptionText = "a one-line description";
  if (c.node(top, "description") == nullptr) {
    c.missing(top, "description", kDescriptionText);
  } else if (auto description = c.text(top, "description", kDescriptionText)) {
    if (description->empty() || description->find_first_of("\r\n") != std::string::npos) {
      c.expected(c.position(top, "description"), top, "description", kDescriptionText,
                 check::quote(*description));
    } else {
      board.description = *description;
    }
  }

  constexpr std::string_view kHalText = R"("linux" or "sim")";
  if (c.node(top, "hal") == nullptr) {
    c.missing(top, "hal", kHalText);
  } else if (auto hal = c.text(top, "hal", kHalText)) {
    if (*hal == "linux") {
      board.hal = HalKind::linux_hal;
    } else if (*hal == "sim") {
      board.hal = HalKind::sim;
    } else {
      c.expected(c.position(top, "hal"), top, "hal", kHalText, check::quote(*hal));
    }
  }
  // An unknown or missing hal is checked as "linux", the stricter of the two.
  const bool sim = board.hal == HalKind::sim;

  read_watchdog(c, *root, sim, board.watchdog);

  std::vector<Claim> claims;
  for (std::string_view role : schema::board_line_roles()) {
    const Scope scope = c.section(*root, role, schema::kLineSection);
    if (scope.table != nullptr) line_slot(board, role) = read_line_role(c, scope, role, claims);
  }
  if (const Scope serial = c.section(*root, "motor_serial"); serial.table != nullptr) {
    board.motor_serial = read_serial(c, serial, sim);
  }

  if (c.failed()) return Error{0, c.report()};
  return board;
}

Expected<Board> load_board(const std::string& path) {
  auto text = check::read_text_file(path);
  if (!text) return text.error();
  return parse_board(*text, path);
}

Expected<std::string> resolve_board_path(const std::string& ref, const std::string& config_dir) {
  if (ref.find('/') != std::string::npos) {
    if (ref.front() == '/' || config_dir.empty()) return ref;
    return (std::filesystem::path(config_dir) / ref).lexically_normal().string();
  }
  if (!valid_board_name(ref)) {
    return Error{EINVAL,
                 "not a board name (letters, digits, '.', '_', '-'); a file needs a '/', "
                 "e.g. \"./" +
                     ref + "\""};
  }
  std::vector<std::string> dirs;
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read once at load, before any threads.
  if (const char* env = std::getenv("LIFELINE_BOARD_PATH"); env != nullptr) {
    std::string_view rest = env;
    while (!rest.empty()) {
      const std::size_t colon = rest.find(':');
      const std::string_view dir = rest.substr(0, colon);
      if (!dir.empty()) dirs.emplace_back(dir);
      rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    }
  }
  dirs.emplace_back(LIFELINE_BOARDS_DIR);
  std::string searched;
  for (const std::string& dir : dirs) {
    std::string candidate = dir;
    candidate.append("/").append(ref).append(".toml");
    if (regular_file(candidate)) return candidate;
    if (!searched.empty()) searched += ", ";
    searched += dir;
  }
  return Error{ENOENT, "no " + ref + ".toml in " + searched};
}

}  // namespace lifeline
