#include "config/loader_exclusivity.hpp"

#include <charconv>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace lifeline::config_detail {

namespace {

using check::Checker;
using check::Scope;

std::optional<RolePort> parse_port(std::string_view text) {
  RolePort port;
  if (text.starts_with("tcp/")) {
    port.proto = PortProto::tcp;
  } else if (text.starts_with("udp/")) {
    port.proto = PortProto::udp;
  } else {
    return std::nullopt;
  }
  const std::string_view digits = text.substr(4);
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc{} || end != digits.data() + digits.size() || value < 1 || value > 65535) {
    return std::nullopt;
  }
  port.port = static_cast<std::uint16_t>(value);
  return port;
}

// A unit that can own a role: systemd's name for a service or scope, no path.
bool owner_unit(std::string_view name) {
  const bool suffix = (name.size() > 8 && name.ends_with(".service")) ||
                      (name.size() > 6 && name.ends_with(".scope"));
  return suffix && name.find('/') == std::string_view::npos;
}

// An absolute path, or a file name (no '/'): what an executable is matched by.
bool binary_entry(std::string_view entry) {
  return !entry.empty() && (entry.front() == '/' || entry.find('/') == std::string_view::npos);
}

bool port_entry(std::string_view entry) {
  return parse_port(entry).has_value();
}

RoleConfig read_role(Checker& c, const Scope& s, std::set<std::string>& names) {
  c.reject_unknown(s);
  RoleConfig role;
  constexpr std::string_view kNameText =
      "a unique name of 1 to 32 characters from a-z, 0-9, '_' and '-'";
  if (auto name = c.text(s, "name", kNameText)) {
    if (!check::is_short_name(*name) || names.contains(*name)) {
      c.expected(c.position(s, "name"), s, "name", kNameText, check::quote(*name));
    }
    names.insert(*name);
    role.name = *name;
  } else if (c.node(s, "name") == nullptr) {
    c.missing(s, "name", kNameText);
  }
  constexpr std::string_view kUnitText = R"(a unit name such as "avatar-tank.service")";
  if (auto unit = c.text(s, "unit", kUnitText)) {
    if (owner_unit(*unit)) {
      role.unit = *unit;
    } else {
      c.expected(c.position(s, "unit"), s, "unit", kUnitText, check::quote(*unit));
    }
  } else if (c.node(s, "unit") == nullptr) {
    c.missing(s, "unit", kUnitText);
  }
  // A list that was given but rejected makes the role invalid (it was reported).
  bool lists_ok = true;
  const auto list = [&](std::string_view key, std::string_view entry,
                        bool (*valid)(std::string_view)) {
    auto values =
        c.string_list(s, key, "an array of at most 64 strings, each " + std::string(entry), valid);
    if (!values && c.node(s, key) != nullptr) lists_ok = false;
    return values.value_or(std::vector<std::string>{});
  };
  for (const std::string& text :
       list("ports", R"("tcp/N" or "udp/N" with N from 1 to 65535)", port_entry)) {
    role.ports.push_back(*parse_port(text));
  }
  role.binaries = list("binaries", "an absolute path or a file name", binary_entry);
  if (auto v = c.integer(s, "max_instances")) role.max_instances = static_cast<std::uint32_t>(*v);
  constexpr std::string_view kModeText = R"("report", "stop" or "mask")";
  if (auto mode = c.text(s, "mode", kModeText)) {
    if (*mode == "report") {
      role.mode = ExclusivityMode::report;
    } else if (*mode == "stop") {
      role.mode = ExclusivityMode::stop;
    } else if (*mode == "mask") {
      role.mode = ExclusivityMode::mask;
    } else {
      c.expected(c.position(s, "mode"), s, "mode", kModeText, check::quote(*mode));
    }
  }
  // A role with nothing to own guards nothing (unless a bad entry was already reported).
  if (lists_ok && role.ports.empty() && role.binaries.empty()) {
    c.expected(s.at, s, "ports", "at least one port or binary", "neither");
  }
  return role;
}

}  // namespace

void read_exclusivity(Checker& c, const toml::table& root, Config& config) {
  const Scope s = c.section(root, "exclusivity");
  c.reject_unknown(s);
  ExclusivityConfig& out = config.exclusivity;
  if (auto v = c.integer(s, "interval_ms")) out.interval = std::chrono::milliseconds(*v);
  if (auto dir = c.absolute_path(s, "mask_dir")) out.mask_dir = *dir;
  const toml::node* node = c.node(s, "role");
  if (node == nullptr) return;
  const toml::array* roles = node->as_array();
  if (roles == nullptr || (!roles->empty() && !roles->is_array_of_tables())) {
    c.expected(node->source().begin, s, "role", "an array of tables ([[exclusivity.role]])",
               check::describe(*node));
    return;
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < roles->size(); ++i) {
    const toml::node& entry = *roles->get(i);
    const Scope role{"exclusivity.role", "[exclusivity.role #" + std::to_string(i + 1) + "]",
                     entry.as_table(), entry.source().begin};
    out.roles.push_back(read_role(c, role, names));
  }
}

}  // namespace lifeline::config_detail
