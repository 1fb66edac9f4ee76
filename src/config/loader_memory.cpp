#include "config/loader_memory.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "memory/victim.hpp"

namespace lifeline::config_detail {

namespace {

using check::Checker;
using check::Scope;

using memory::names_a_unit;

bool protect_entry(std::string_view entry) {
  // A comm is at most 15 bytes (TASK_COMM_LEN - 1); paths and units are longer.
  return !entry.empty() && (entry.front() == '/' || names_a_unit(entry) || entry.size() <= 15);
}

// A login name as useradd accepts it by default, or a numeric UID.
bool user_entry(std::string_view user) {
  if (user.empty() || user.size() > 32) return false;
  const auto digit = [](char ch) { return ch >= '0' && ch <= '9'; };
  if (std::all_of(user.begin(), user.end(), digit)) return true;
  if (digit(user.front()) || user.front() == '-') return false;
  return std::all_of(user.begin(), user.end(), [&](char ch) {
    return (ch >= 'a' && ch <= 'z') || digit(ch) || ch == '_' || ch == '-';
  });
}

bool unit_entry(std::string_view entry) {
  return names_a_unit(entry) && entry.find('/') == std::string_view::npos;
}

// One of `choices`; reported otherwise.
void read_choice(Checker& c, const Scope& s, std::string_view key,
                 std::initializer_list<std::string_view> choices, std::string_view what,
                 std::string& out) {
  auto value = c.text(s, key, what);
  if (!value) return;
  for (std::string_view choice : choices) {
    if (*value == choice) {
      out = *value;
      return;
    }
  }
  c.expected(c.position(s, key), s, key, what, check::quote(*value));
}

void read_levels(Checker& c, const Scope& s, MemoryConfig& out) {
  const auto percent = [&](std::string_view key, std::uint32_t& field) {
    if (auto v = c.integer(s, key)) field = static_cast<std::uint32_t>(*v);
  };
  percent("warn_available_percent", out.warn_available_percent);
  percent("relieve_available_percent", out.relieve_available_percent);
  percent("kill_available_percent", out.kill_available_percent);
  percent("clear_margin_percent", out.clear_margin_percent);
  if (out.relieve_available_percent > out.warn_available_percent) {
    c.expected(
        c.position(s, "relieve_available_percent"), s, "relieve_available_percent",
        "at most warn_available_percent (" + std::to_string(out.warn_available_percent) + ")",
        std::to_string(out.relieve_available_percent));
  }
  if (out.kill_available_percent > out.relieve_available_percent) {
    c.expected(
        c.position(s, "kill_available_percent"), s, "kill_available_percent",
        "at most relieve_available_percent (" + std::to_string(out.relieve_available_percent) + ")",
        std::to_string(out.kill_available_percent));
  }
}

void read_timing(Checker& c, const Scope& s, MemoryConfig& out) {
  if (auto v = c.integer(s, "sample_interval_ms")) out.sample_interval = Millis(*v);
  if (auto v = c.integer(s, "fast_sample_interval_ms")) out.fast_sample_interval = Millis(*v);
  if (out.fast_sample_interval > out.sample_interval) {
    c.expected(c.position(s, "fast_sample_interval_ms"), s, "fast_sample_interval_ms",
               "at most sample_interval_ms (" + std::to_string(out.sample_interval.count()) + ")",
               std::to_string(out.fast_sample_interval.count()));
  }
  if (auto v = c.integer(s, "eta_relieve_s")) out.eta_relieve = Seconds(*v);
  if (auto v = c.integer(s, "grace_ms")) out.grace = Millis(*v);
  if (auto v = c.integer(s, "min_relief_interval_ms")) out.min_relief_interval = Millis(*v);
  if (auto v = c.integer(s, "record_wait_ms")) out.record_wait = Millis(*v);
}

void read_victims(Checker& c, const Scope& s, MemoryConfig& out) {
  if (auto v = c.integer(s, "top_n")) out.top_n = static_cast<std::uint32_t>(*v);
  if (auto v = c.integer(s, "act_reserve_kib"))
    out.act_reserve_kib = static_cast<std::uint32_t>(*v);
  if (auto list = c.string_list(s, "protect",
                                "an array of at most 64 strings, each a process name (at most 15 "
                                "bytes), an absolute path or a unit name",
                                protect_entry)) {
    out.protect = std::move(*list);
  }
  if (auto list = c.string_list(
          s, "expendable_units",
          "an array of at most 64 strings, each a unit name such as \"cache.service\"",
          unit_entry)) {
    out.expendable_units = std::move(*list);
  }
  read_choice(c, s, "expendable_action", {"restart", "stop"}, R"("restart" or "stop")",
              out.expendable_action);
  read_choice(c, s, "victim", {"largest", "fastest"}, R"("largest" or "fastest")", out.victim);
  if (auto path = c.text(s, "victim_cgroup", R"("" or a cgroup path starting with '/')")) {
    if (!path->empty() && path->front() != '/') {
      c.expected(c.position(s, "victim_cgroup"), s, "victim_cgroup",
                 R"("" or a cgroup path starting with '/')", check::quote(*path));
    } else {
      out.victim_cgroup = *path;
    }
  }
}

void read_psi(Checker& c, const Scope& s, PsiConfig& out) {
  c.reject_unknown(s);
  if (auto v = c.boolean(s, "enabled")) out.enabled = *v;
  if (auto v = c.integer(s, "some_stall_ms")) out.some_stall = Millis(*v);
  if (auto v = c.integer(s, "full_stall_ms")) out.full_stall = Millis(*v);
  if (auto v = c.integer(s, "window_ms")) out.window = Millis(*v);
  for (std::string_view key : {"some_stall_ms", "full_stall_ms"}) {
    const Millis stall = key == "some_stall_ms" ? out.some_stall : out.full_stall;
    if (stall > out.window) {
      c.expected(c.position(s, key), s, key,
                 "at most window_ms (" + std::to_string(out.window.count()) + ")",
                 std::to_string(stall.count()));
    }
  }
}

void read_leak(Checker& c, const Scope& s, LeakConfig& out) {
  c.reject_unknown(s);
  if (auto v = c.integer(s, "raise_kib_per_s"))
    out.raise_kib_per_s = static_cast<std::uint32_t>(*v);
  if (auto v = c.integer(s, "clear_kib_per_s"))
    out.clear_kib_per_s = static_cast<std::uint32_t>(*v);
  if (auto v = c.integer(s, "min_duration_s")) out.min_duration = Seconds(*v);
  if (auto v = c.integer(s, "window_samples")) out.window_samples = static_cast<std::uint32_t>(*v);
  if (out.clear_kib_per_s > out.raise_kib_per_s) {
    c.expected(c.position(s, "clear_kib_per_s"), s, "clear_kib_per_s",
               "at most raise_kib_per_s (" + std::to_string(out.raise_kib_per_s) + ")",
               std::to_string(out.clear_kib_per_s));
  }
}

bool is_ip_address(const std::string& text) {
  in6_addr v6{};
  in_addr v4{};
  return inet_pton(AF_INET, text.c_str(), &v4) == 1 || inet_pton(AF_INET6, text.c_str(), &v6) == 1;
}

void read_ssh(Checker& c, const Scope& s, SshConfig& out) {
  c.reject_unknown(s);
  if (auto v = c.boolean(s, "enabled")) out.probe = *v;
  constexpr std::string_view kAddressText = "an IPv4 or IPv6 address such as \"127.0.0.1\"";
  if (auto address = c.text(s, "address", kAddressText)) {
    if (is_ip_address(*address)) {
      out.address = *address;
    } else {
      c.expected(c.position(s, "address"), s, "address", kAddressText, check::quote(*address));
    }
  }
  if (auto v = c.integer(s, "port")) out.port = static_cast<std::uint16_t>(*v);
  if (auto v = c.integer(s, "interval_ms")) out.interval = Millis(*v);
  if (auto v = c.integer(s, "timeout_ms")) out.timeout = Millis(*v);
  if (out.timeout >= out.interval) {
    c.expected(c.position(s, "timeout_ms"), s, "timeout_ms",
               "less than interval_ms (" + std::to_string(out.interval.count()) + ")",
               std::to_string(out.timeout.count()));
  }
  if (auto v = c.integer(s, "failures")) out.failures = static_cast<std::uint32_t>(*v);
  constexpr std::string_view kUnitText = R"(a unit name such as "ssh.service", or "")";
  if (auto unit = c.text(s, "unit", kUnitText)) {
    if (unit->empty() || unit_entry(*unit)) {
      out.unit = *unit;
    } else {
      c.expected(c.position(s, "unit"), s, "unit", kUnitText, check::quote(*unit));
    }
  }
  if (auto v = c.integer(s, "restart_min_interval_s")) out.restart_min_interval = Seconds(*v);
  if (auto v = c.integer(s, "start_grace_s")) out.start_grace = Seconds(*v);
  if (auto v = c.boolean(s, "protect")) out.protect = *v;
  if (auto v = c.integer(s, "oom_score_adj")) out.oom_score_adj = static_cast<int>(*v);
}

void read_watches(Checker& c, const Scope& memory, std::vector<MemoryWatchConfig>& out) {
  const toml::node* node = c.node(memory, "watch");
  if (node == nullptr) return;
  const toml::array* watches = node->as_array();
  if (watches == nullptr || (!watches->empty() && !watches->is_array_of_tables())) {
    c.expected(node->source().begin, memory, "watch", "an array of tables ([[memory.watch]])",
               check::describe(*node));
    return;
  }
  std::map<std::string, bool> names;
  for (std::size_t i = 0; i < watches->size(); ++i) {
    const toml::node& entry = *watches->get(i);
    const Scope s{"memory.watch", "[memory.watch #" + std::to_string(i + 1) + "]", entry.as_table(),
                  entry.source().begin};
    c.reject_unknown(s);
    MemoryWatchConfig watch;
    constexpr std::string_view kNameText =
        "a unique name of 1 to 32 characters from a-z, 0-9, '_' and '-'";
    if (auto name = c.text(s, "name", kNameText)) {
      if (!check::is_short_name(*name) || names.contains(*name)) {
        c.expected(c.position(s, "name"), s, "name", kNameText, check::quote(*name));
      }
      names[*name] = true;
      watch.name = *name;
    } else if (c.node(s, "name") == nullptr) {
      c.missing(s, "name", kNameText);
    }
    constexpr std::string_view kUnitText = R"(a unit name such as "robot.service", or "")";
    if (auto unit = c.text(s, "unit", kUnitText)) {
      if (unit->empty() || unit_entry(*unit)) {
        watch.unit = *unit;
      } else {
        c.expected(c.position(s, "unit"), s, "unit", kUnitText, check::quote(*unit));
      }
    }
    constexpr std::string_view kUserText =
        R"(a user name (1 to 32 of a-z, 0-9, '_', '-', not starting with a digit or '-') or a )"
        R"(numeric UID, with unit, or "")";
    if (auto user = c.text(s, "user", kUserText)) {
      if (user->empty() || user_entry(*user)) {
        watch.user = *user;
      } else {
        c.expected(c.position(s, "user"), s, "user", kUserText, check::quote(*user));
      }
    }
    constexpr std::string_view kCgroupText = R"(a cgroup path starting with '/', or "")";
    if (auto cgroup = c.text(s, "cgroup", kCgroupText)) {
      if (cgroup->empty() || cgroup->front() == '/') {
        watch.cgroup = *cgroup;
      } else {
        c.expected(c.position(s, "cgroup"), s, "cgroup", kCgroupText, check::quote(*cgroup));
      }
    }
    constexpr std::string_view kProcessText =
        R"(a process name (comm, 1 to 15 bytes, no '/') or an absolute executable path, or "")";
    if (auto process = c.text(s, "process", kProcessText)) {
      const bool name =
          !process->empty() && process->size() <= 15 && process->find('/') == std::string::npos;
      if (process->empty() || name || process->front() == '/') {
        watch.process = *process;
      } else {
        c.expected(c.position(s, "process"), s, "process", kProcessText, check::quote(*process));
      }
    }
    const int kinds = static_cast<int>(!watch.unit.empty()) +
                      static_cast<int>(!watch.cgroup.empty()) +
                      static_cast<int>(!watch.process.empty());
    if (kinds != 1) {
      c.expected(s.at, s, "unit", "exactly one of unit, cgroup and process",
                 kinds == 0 ? "none" : "more than one");
    }
    if (!watch.user.empty() && watch.unit.empty()) {
      c.expected(c.position(s, "user"), s, "user", "user only together with unit",
                 watch.cgroup.empty() ? "user with process" : "user with cgroup");
    }
    out.push_back(std::move(watch));
  }
}

}  // namespace

void read_memory(Checker& c, const toml::table& root, Config& config) {
  const Scope memory = c.section(root, "memory");
  c.reject_unknown(memory);
  MemoryConfig& out = config.memory;
  if (auto v = c.boolean(memory, "enabled")) out.enabled = *v;
  if (auto v = c.boolean(memory, "dry_run")) out.dry_run = *v;
  read_levels(c, memory, out);
  read_timing(c, memory, out);
  read_victims(c, memory, out);
  if (auto v = c.boolean(memory, "kmsg")) out.kmsg = *v;
  if (auto v = c.boolean(memory, "kmsg_backlog")) out.kmsg_backlog = *v;
  if (auto v = c.integer(memory, "oom_score_adj")) out.oom_score_adj = static_cast<int>(*v);
  read_watches(c, memory, out.watches);
  read_psi(c, c.subsection(memory, "psi"), out.psi);
  read_leak(c, c.subsection(memory, "leak"), out.leak);
  read_ssh(c, c.subsection(memory, "ssh"), out.ssh);
}

}  // namespace lifeline::config_detail
