#include "config/loader.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <utility>

#include "board/board_loader.hpp"
#include "config/checker.hpp"
#include "config/loader_exclusivity.hpp"
#include "config/loader_memory.hpp"
#include "config/loader_motion.hpp"
#include "config/loader_rescue.hpp"
#include "config/schema.hpp"

namespace lifeline {

namespace {

using check::Checker;
using check::Scope;

constexpr std::size_t kMaxSocketPath = 107;  // sizeof(sockaddr_un::sun_path) - 1 for the NUL
constexpr std::int64_t kMinPetMs = 100;

void read_agent(Checker& c, const Scope& agent, AgentConfig& out) {
  c.reject_unknown(agent);
  constexpr std::string_view kBoardText = "a board name or a path to a board file";
  if (auto board = c.text(agent, "board", kBoardText)) {
    if (board->empty()) {
      c.expected(c.position(agent, "board"), agent, "board", kBoardText, "\"\"");
    } else {
      out.board = *board;
    }
  }
  if (auto dir = c.absolute_path(agent, "state_dir")) out.state_dir = *dir;
  if (auto socket = c.absolute_path(agent, "control_socket")) {
    if (socket->size() > kMaxSocketPath) {
      c.expected(c.position(agent, "control_socket"), agent, "control_socket",
                 "an absolute path of at most 107 bytes (the sun_path limit)",
                 "a path of " + std::to_string(socket->size()) + " bytes");
    } else {
      out.control_socket = *socket;
    }
  }
  if (auto ms = c.integer(agent, "loop_deadline_ms")) out.loop_deadline = Millis(*ms);
  if (auto priority = c.integer(agent, "realtime_priority")) {
    out.realtime_priority = static_cast<int>(*priority);
  }
}

std::string pet_text(std::int64_t timeout_s, std::string_view why) {
  return "0 (a quarter of the timeout) or " +
         check::integer_range_text(kMinPetMs, timeout_s * 1000 / 2 - 1, "ms") + ", " +
         std::string(why);
}

void read_watchdog(Checker& c, const Scope& wd, WatchdogConfig& out) {
  c.reject_unknown(wd);
  if (auto enabled = c.boolean(wd, "enabled")) out.enabled = *enabled;
  if (auto device = c.text(wd, "device", R"(an absolute path, or "" for the board's device)")) {
    if (!device->empty() && device->front() != '/') {
      c.expected(c.position(wd, "device"), wd, "device",
                 R"(an absolute path, or "" for the board's device)", check::quote(*device));
    } else {
      out.device = *device;
    }
  }
  const bool timeout_given = c.node(wd, "timeout_s") != nullptr;
  const auto timeout = c.integer(wd, "timeout_s");
  if (timeout) out.timeout = Seconds(*timeout);
  if (auto pet = c.integer(wd, "pet_interval_ms")) {
    // A pet at half the timeout or later leaves no margin for one late loop iteration.
    const std::int64_t timeout_s = out.timeout.count();
    if (*pet != 0 && (*pet < kMinPetMs || *pet >= timeout_s * 1000 / 2)) {
      if (!timeout_given || timeout) {  // a bad timeout_s is already reported
        c.expected(
            c.position(wd, "pet_interval_ms"), wd, "pet_interval_ms",
            pet_text(timeout_s, "less than half of timeout_s = " + std::to_string(timeout_s)),
            std::to_string(*pet));
      }
    } else {
      out.pet_interval = Millis(*pet);
    }
  }
  if (auto magic = c.boolean(wd, "magic_close")) out.magic_close = *magic;
}

void read_lockout(Checker& c, const Scope& lockout, LockoutConfig& out) {
  c.reject_unknown(lockout);
  if (auto resets = c.integer(lockout, "max_resets")) {
    out.max_resets = static_cast<std::uint32_t>(*resets);
  }
  if (auto minutes = c.integer(lockout, "window_min")) out.window = std::chrono::minutes(*minutes);
}

std::optional<FileCheckConfig> read_file_check(Checker& c, const Scope& s,
                                               std::map<std::string, std::uint32_t>& names) {
  c.reject_unknown(s);
  FileCheckConfig check;
  bool ok = true;
  constexpr std::string_view kNameText = "a name of 1 to 32 characters from a-z, 0-9, '_' and '-'";
  if (c.node(s, "name") == nullptr) {
    c.missing(s, "name", kNameText);
    ok = false;
  } else if (auto name = c.text(s, "name", kNameText); !name) {
    ok = false;
  } else if (!check::is_short_name(*name)) {
    c.expected(c.position(s, "name"), s, "name", kNameText, check::quote(*name));
    ok = false;
  } else if (auto [it, inserted] = names.emplace(*name, c.position(s, "name").line); !inserted) {
    c.expected(c.position(s, "name"), s, "name", "a name no other check uses",
               check::quote(*name) + ", already used on line " + std::to_string(it->second));
    ok = false;
  } else {
    check.name = *name;
  }
  if (c.node(s, "path") == nullptr) {
    c.missing(s, "path", "an absolute path");
    ok = false;
  } else if (auto path = c.absolute_path(s, "path")) {
    check.path = *path;
  } else {
    ok = false;
  }
  const bool max_age_given = c.node(s, "max_age_ms") != nullptr;
  const auto max_age = c.integer(s, "max_age_ms");
  if (max_age) check.max_age = Millis(*max_age);
  ok = ok && (max_age || !max_age_given);
  if (auto interval = c.integer(s, "interval_ms")) {
    // Looking less often than the file may age would let a stale file go unseen.
    if (*interval > check.max_age.count()) {
      if (!max_age_given || max_age) {
        c.expected(
            c.position(s, "interval_ms"), s, "interval_ms",
            check::integer_range_text(100, check.max_age.count(), "ms") + ", at most max_age_ms",
            std::to_string(*interval));
      }
      ok = false;
    } else {
      check.interval = Millis(*interval);
    }
  } else if (c.node(s, "interval_ms") != nullptr) {
    ok = false;
  } else {
    check.interval = std::min(check.interval, check.max_age);  // default, capped at max_age
  }
  if (!ok) return std::nullopt;
  return check;
}

void read_health(Checker& c, const Scope& health, HealthConfig& out) {
  c.reject_unknown(health);
  const toml::node* node = c.node(health, "file_check");
  if (node == nullptr) return;
  const toml::array* checks = node->as_array();
  constexpr std::string_view kChecksText = "an array of tables ([[health.file_check]])";
  if (checks == nullptr || (!checks->empty() && !checks->is_array_of_tables())) {
    c.expected(node->source().begin, health, "file_check", kChecksText, check::describe(*node));
    return;
  }
  std::map<std::string, std::uint32_t> names;  // name -> line, for duplicates
  for (std::size_t i = 0; i < checks->size(); ++i) {
    const toml::node& entry = *checks->get(i);
    const Scope s{"health.file_check", "[health.file_check #" + std::to_string(i + 1) + "]",
                  entry.as_table(), entry.source().begin};
    if (auto check = read_file_check(c, s, names)) out.file_checks.push_back(std::move(*check));
  }
}

void read_blackbox(Checker& c, const Scope& blackbox, BlackBoxConfig& out) {
  c.reject_unknown(blackbox);
  if (auto kib = c.integer(blackbox, "segment_kib")) {
    out.segment_bytes = static_cast<std::uint32_t>(*kib) * 1024U;
  }
  if (auto segments = c.integer(blackbox, "segments")) {
    out.segments = static_cast<std::uint32_t>(*segments);
  }
}

// "HH:MM" → minutes since midnight; nullopt when malformed.
std::optional<int> parse_clock_time(const std::string& text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  for (std::size_t i : {0U, 1U, 3U, 4U}) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  const int hours = (text[0] - '0') * 10 + (text[1] - '0');
  const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (hours > 23 || minutes > 59) return std::nullopt;
  return hours * 60 + minutes;
}

void read_signals(Checker& c, const Scope& signals, SignalsConfig& out) {
  c.reject_unknown(signals);
  if (auto s = c.integer(signals, "buzzer_reminder_s")) out.buzzer_reminder = Seconds(*s);
  if (auto quiet = c.boolean(signals, "quiet")) out.quiet = *quiet;
  constexpr std::string_view kTimeText = R"("HH:MM" (00:00 to 23:59), or "")";
  std::optional<int> bounds[2];
  bool given[2] = {false, false};
  bool valid = true;
  const char* keys[2] = {"quiet_start", "quiet_end"};
  for (int i = 0; i < 2; ++i) {
    auto text = c.text(signals, keys[i], kTimeText);
    if (!text || text->empty()) continue;
    given[i] = true;
    bounds[i] = parse_clock_time(*text);
    if (!bounds[i]) {
      valid = false;
      c.expected(c.position(signals, keys[i]), signals, keys[i], kTimeText, check::quote(*text));
    }
  }
  if (given[0] != given[1]) {
    const char* missing = given[0] ? "quiet_end" : "quiet_start";
    const char* present = given[0] ? "quiet_start" : "quiet_end";
    c.expected(c.position(signals, present), signals, missing,
               "both quiet_start and quiet_end, or neither", std::string("only ") + present);
  } else if (given[0] && valid) {
    out.quiet_start_minute = *bounds[0];
    out.quiet_end_minute = *bounds[1];
  }
}

std::string config_dir_of(const std::string& source_path) {
  std::string dir = std::filesystem::path(source_path).parent_path().string();
  return dir.empty() ? "." : dir;
}

bool load_referenced_board(Checker& c, const Scope& agent, const BoardResolver& resolver,
                           Config& config) {
  const std::string& ref = config.agent.board;
  const toml::node* given = c.node(agent, "board");
  if (given != nullptr && (!given->is_string() || ref != given->as_string()->get())) {
    return false;  // the value was rejected above; do not look for the default instead
  }
  auto board = resolver(ref, config_dir_of(config.source_path));
  if (board) {
    config.board = std::move(*board);
    return true;
  }
  if (board.error().errno_value == 0) {
    c.add_foreign(board.error().message);  // already positioned in the board file
  } else {
    c.expected(c.position(agent, "board"), agent, "board",
               "the name of an installed board or a path to a board file",
               check::quote(ref) + (given == nullptr ? " (the default)" : "") + " (" +
                   board.error().message + ")");
  }
  return false;
}

// The agent clamps timeout_s to what the board's driver accepts; say so, and make sure
// the pet interval still fits the timeout that will really be used.
void check_against_board(Checker& c, const Scope& wd, Config& config) {
  WatchdogConfig& w = config.watchdog;
  const Seconds max = config.board.watchdog.max_timeout;
  if (!w.enabled || w.timeout <= max) return;
  c.warn(c.position(wd, "timeout_s"), wd, "timeout_s",
         std::to_string(w.timeout.count()) + " s is above board \"" + config.board.name +
             "\" max_timeout_s of " + std::to_string(max.count()) + " s; the agent will use " +
             std::to_string(max.count()) + " s");
  const std::int64_t pet = w.pet_interval.count();
  if (pet != 0 && pet >= max.count() * 1000 / 2) {
    c.expected(c.position(wd, "pet_interval_ms"), wd, "pet_interval_ms",
               pet_text(max.count(), "less than half of the effective timeout (timeout_s " +
                                         std::to_string(w.timeout.count()) +
                                         " is clamped to board \"" + config.board.name +
                                         "\" max_timeout_s " + std::to_string(max.count()) + ")"),
               std::to_string(pet));
  }
}

}  // namespace

BoardResolver default_board_resolver() {
  return [](const std::string& ref, const std::string& config_dir) -> Expected<Board> {
    auto path = resolve_board_path(ref, config_dir);
    if (!path) return path.error();
    return load_board(*path);
  };
}

Expected<Config> parse_config(std::string_view text, const std::string& source_path,
                              const BoardResolver& resolver) {
  auto root = check::parse_toml(text, source_path);
  if (!root) return root.error();
  Checker c(source_path, schema::config_keys(), schema::config_sections());
  Config config;
  config.source_path = source_path;
  c.reject_unknown(c.top(*root));

  const Scope agent = c.section(*root, "agent");
  read_agent(c, agent, config.agent);
  const Scope wd = c.section(*root, "watchdog");
  read_watchdog(c, wd, config.watchdog);
  read_lockout(c, c.section(*root, "lockout"), config.lockout);
  read_health(c, c.section(*root, "health"), config.health);
  read_blackbox(c, c.section(*root, "blackbox"), config.blackbox);
  read_signals(c, c.section(*root, "signals"), config.signals);
  const auto motion = config_detail::read_motion(c, *root, config.agent, config.motion);
  config_detail::read_memory(c, *root, config);
  config_detail::read_rescue(c, *root, config);
  config_detail::read_exclusivity(c, *root, config);

  if (load_referenced_board(c, agent, resolver, config)) {
    check_against_board(c, wd, config);
    config_detail::check_motion_against_board(c, motion, config);
  }

  if (c.failed()) return Error{0, c.report()};
  config.warnings = c.warnings();
  return config;
}

Expected<Config> load_config(const std::string& path, const BoardResolver& resolver) {
  auto text = check::read_text_file(path);
  if (!text) return text.error();
  return parse_config(*text, path, resolver);
}

Expected<Config> load_config(const std::string& path) {
  return load_config(path, default_board_resolver());
}

}  // namespace lifeline
