#include "cli/commands.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "agent/control_socket.hpp"
#include "agent/recorder.hpp"
#include "blackbox/query.hpp"
#include "blackbox/reader.hpp"
#include "blackbox/store.hpp"
#include "board/board_hal.hpp"
#include "config/loader.hpp"
#include "util/files.hpp"
#include "watchdog/reset_history.hpp"

namespace lifeline::cli {

namespace {

constexpr auto kControlTimeout = std::chrono::milliseconds(2000);

std::optional<Config> load_or_report(const std::string& path) {
  auto config = load_config(path);
  if (!config) {
    std::fprintf(stderr, "%s\n", config.error().message.c_str());
    return std::nullopt;
  }
  return std::move(*config);
}

std::string current_boot_id(const Config& config, const hal::Clock& clock) {
  return BoardHal(config.board, config.agent.state_dir + "/sim", clock).boot_id();
}

}  // namespace

int check_config(const std::string& path) {
  auto config = load_or_report(path);
  if (!config) return 1;
  for (const auto& warning : config->warnings)
    std::fprintf(stderr, "warning: %s\n", warning.c_str());
  std::printf("%s: ok (board '%s', watchdog timeout %lld s, %zu file check(s))\n", path.c_str(),
              config->board.name.c_str(), static_cast<long long>(config->watchdog.timeout.count()),
              config->health.file_checks.size());
  return 0;
}

int events(const EventsOptions& options) {
  auto config = load_or_report(options.config_path);
  if (!config) return 1;
  const std::string state_dir =
      options.state_dir.empty() ? config->agent.state_dir : options.state_dir;
  hal::SystemClock clock;
  blackbox::Filter filter;
  filter.boot = options.boot;
  if (!options.since.empty()) {
    const auto now_us =
        std::chrono::duration_cast<std::chrono::microseconds>(clock.wall_now().time_since_epoch())
            .count();
    auto since = blackbox::parse_since(options.since, now_us);
    if (!since) {
      std::fprintf(stderr, "--since: %s\n", since.error().message.c_str());
      return 1;
    }
    filter.since_realtime_us = *since;
  }
  auto read = blackbox::read_store(state_dir + "/blackbox");
  if (!read) {
    std::fprintf(stderr, "%s\n", read.error().message.c_str());
    return 1;
  }
  const auto boot =
      blackbox::parse_boot_id(current_boot_id(*config, clock)).value_or(blackbox::BootId{});
  const auto selected = blackbox::select(read->records, filter, boot);
  if (options.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& record : selected) out.push_back(blackbox::to_json(record));
    std::cout << out.dump(2) << "\n";
  } else {
    for (const auto& record : selected) std::cout << blackbox::format_text(record) << "\n";
  }
  const auto& stats = read->stats;
  if (stats.corrupt_frames > 0 || stats.torn_tails > 0) {
    std::fprintf(stderr, "note: skipped %zu corrupt frame(s) and %zu torn tail(s) (%zu bytes)\n",
                 stats.corrupt_frames, stats.torn_tails, stats.skipped_bytes);
  }
  return 0;
}

int status(const std::string& config_path, bool json) {
  auto config = load_or_report(config_path);
  if (!config) return 1;
  auto reply =
      control_request(config->agent.control_socket, {{"command", "status"}}, kControlTimeout);
  if (!reply) {
    std::fprintf(stderr, "%s\n", reply.error().message.c_str());
    return 2;
  }
  const auto& status = (*reply)["status"];
  if (json) {
    std::cout << status.dump(2) << "\n";
    return 0;
  }
  std::cout << "state:    " << status.value("state", "?") << "\n";
  const auto& wd = status["watchdog"];
  std::cout << "watchdog: " << wd.value("device", "")
            << (wd.value("open", false) ? " open" : " NOT open") << ", timeout "
            << wd.value("timeout_s", 0) << " s, pets " << wd.value("pets", 0)
            << (wd.value("gate_closed", false) ? ", GATE CLOSED: " + wd.value("gate_reason", "")
                                               : "")
            << "\n";
  for (const auto& check : status["checks"]) {
    std::cout << "check:    " << check.value("name", "") << " "
              << (check.value("passing", false) && check.value("fresh", false) ? "ok" : "FAILING")
              << " " << check.value("detail", "") << "\n";
  }
  for (const auto& fault : status["faults"]) {
    std::cout << "fault:    " << fault.value("fault", "") << " (" << fault.value("code", 0) << ", "
              << fault.value("severity", "") << ") " << fault.value("detail", "") << "\n";
  }
  if (const auto& motion = status["motion"]; motion.is_object()) {
    std::cout << "motion:   " << motion.value("state", "?") << " (" << motion.value("reason", "")
              << "), enable " << (motion.value("enable_active", false) ? "on" : "off")
              << ", serial " << (motion.value("serial_up", false) ? "up" : "DOWN") << "\n";
  }
  if (const auto& signals = status["signals"]; signals.is_object()) {
    const auto text = [](const nlohmann::json& j, const char* a, const char* b) {
      return j.contains(a) && j[a].is_object() && j[a].contains(b) && j[a][b].is_string()
                 ? j[a][b].get<std::string>()
                 : std::string("?");
    };
    std::cout << "signals:  LED " << text(signals, "led", "pattern") << ", buzzer "
              << text(signals, "buzzer", "pattern")
              << (signals.value("/quiet/active"_json_pointer, false) ? ", quiet" : "") << "\n";
  }
  const auto& history = status["history"];
  std::cout << "history:  boot " << history.value("boot_count", 0) << ", last start after "
            << history.value("last_start_reason", "") << ", lockout "
            << (history.value("lockout", false) ? "ACTIVE" : "no") << "\n";
  return 0;
}

int rearm(const std::string& config_path, bool clear_lockout) {
  auto config = load_or_report(config_path);
  if (!config) return 1;
  const std::string who = "cli uid " + std::to_string(::getuid());
  auto reply = control_request(
      config->agent.control_socket,
      {{"command", "rearm"}, {"clear_lockout", clear_lockout}, {"by", who}}, kControlTimeout);
  if (reply) {
    if (clear_lockout) std::printf("lockout cleared by the running lifeline\n");
    if (reply->contains("result"))
      std::printf("re-arm: %s\n", (*reply)["result"].get<std::string>().c_str());
    return reply->value("ok", false) ? 0 : 1;
  }
  if (!clear_lockout) {
    std::fprintf(stderr, "%s\n", reply.error().message.c_str());
    return 2;
  }
  // No agent running: edit the history and record it ourselves.
  auto history = load_history(config->agent.state_dir);
  if (!history) {
    std::fprintf(stderr, "%s\n", history.error().message.c_str());
    return 1;
  }
  if (!*history) {
    std::printf("no reset history: nothing to clear\n");
    return 0;
  }
  const bool was_locked = (*history)->lockout;
  lifeline::clear_lockout(**history);
  if (auto saved = save_history(config->agent.state_dir, **history); !saved) {
    std::fprintf(stderr, "%s\n", saved.error().message.c_str());
    return 1;
  }
  hal::SystemClock clock;
  auto store = blackbox::Store::open(config->agent.state_dir + "/blackbox",
                                     {config->blackbox.segment_bytes, config->blackbox.segments});
  if (store) {
    blackbox::Record record;
    record.realtime_us =
        std::chrono::duration_cast<std::chrono::microseconds>(clock.wall_now().time_since_epoch())
            .count();
    record.monotonic_us =
        std::chrono::duration_cast<std::chrono::microseconds>(clock.now().time_since_epoch())
            .count();
    record.boot_id =
        blackbox::parse_boot_id(current_boot_id(*config, clock)).value_or(blackbox::BootId{});
    record.event =
        Event{EventKind::lockout_cleared,
              std::nullopt,
              Severity::warning,
              (was_locked ? "boot-loop lockout cleared by " : "reset history cleared by ") + who,
              {{"by", who}}};
    (void)(*store)->append(record, true);
  }
  std::printf("%s (lifeline not running; takes effect at its next start)\n",
              was_locked ? "lockout cleared" : "not locked out; reset history cleared");
  return 0;
}

int locate(const std::string& config_path, int seconds) {
  auto config = load_or_report(config_path);
  if (!config) return 1;
  auto reply = control_request(config->agent.control_socket,
                               {{"command", "locate"}, {"seconds", seconds}}, kControlTimeout);
  if (!reply) {
    std::fprintf(stderr, "%s\n", reply.error().message.c_str());
    return 2;
  }
  std::printf("%s\n", reply->value("result", std::string("?")).c_str());
  return reply->value("ok", false) ? 0 : 1;
}

int estop(const std::string& config_path) {
  auto config = load_or_report(config_path);
  if (!config) return 1;
  const std::string who = "cli uid " + std::to_string(::getuid());
  auto reply = control_request(config->agent.control_socket, {{"command", "estop"}, {"by", who}},
                               kControlTimeout);
  if (!reply) {
    std::fprintf(stderr, "%s\n", reply.error().message.c_str());
    return 2;
  }
  if (!reply->value("ok", false)) {
    std::fprintf(stderr, "estop refused: %s\n", reply->value("error", std::string("?")).c_str());
    return 1;
  }
  std::printf("motors stopped\n");
  return 0;
}

int check_lockout(const std::string& config_path) {
  auto config = load_or_report(config_path);
  if (!config) return 2;
  auto history = load_history(config->agent.state_dir);
  if (history && *history && (*history)->lockout) {
    std::fprintf(stderr, "lifeline boot-loop lockout is active: %s\n",
                 (*history)->lockout_reason.c_str());
    return 1;
  }
  return 0;
}

}  // namespace lifeline::cli
