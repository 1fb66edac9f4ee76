#include "exclusivity/proc_facts.hpp"

#include <charconv>

#include "util/proc.hpp"

namespace lifeline::exclusivity {

namespace {

// Splits on runs of spaces and tabs.
std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

template <typename T>
std::optional<T> number(std::string_view text, int base) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// The kernel's TCP state numbers (include/net/tcp_states.h); UDP reuses them.
constexpr unsigned kTcpListen = 0x0A;
constexpr unsigned kTcpClose = 0x07;  // an unconnected UDP socket

}  // namespace

std::vector<PortSocket> parse_proc_net(std::string_view text, PortProto proto) {
  std::vector<PortSocket> out;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
    const auto f = fields(line);
    if (f.size() < 10 || !f[0].ends_with(':')) continue;  // the header, or garbage
    const std::size_t colon = f[1].rfind(':');
    if (colon == std::string_view::npos) continue;
    const auto port = number<std::uint32_t>(f[1].substr(colon + 1), 16);
    const auto state = number<unsigned>(f[3], 16);
    const auto inode = number<std::uint64_t>(f[9], 10);
    if (!port || *port == 0 || *port > 65535 || !state || !inode) continue;
    if (*state != (proto == PortProto::tcp ? kTcpListen : kTcpClose)) continue;
    out.push_back(PortSocket{proto, static_cast<std::uint16_t>(*port), *inode});
  }
  return out;
}

std::string systemd_cgroup_of(std::string_view text) {
  return cgroup_path_of(text, "name=systemd");
}

std::string unit_of_cgroup(std::string_view path) {
  std::string unit;
  while (!path.empty()) {
    const std::size_t slash = path.find('/');
    const std::string_view part = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
    if ((part.size() > 8 && part.ends_with(".service")) ||
        (part.size() > 6 && part.ends_with(".scope"))) {
      unit = part;
    }
  }
  return unit;
}

std::string cmdline_text(std::string_view raw) {
  while (!raw.empty() && raw.back() == '\0') raw.remove_suffix(1);
  std::string out(raw);
  for (char& c : out) {
    if (c == '\0' || c == '\n') c = ' ';
  }
  return out;
}

std::string argv0(std::string_view raw) {
  return std::string(raw.substr(0, raw.find('\0')));
}

std::optional<std::uint64_t> socket_inode(std::string_view link) {
  constexpr std::string_view kPrefix = "socket:[";
  if (!link.starts_with(kPrefix) || !link.ends_with(']')) return std::nullopt;
  return number<std::uint64_t>(link.substr(kPrefix.size(), link.size() - kPrefix.size() - 1), 10);
}

}  // namespace lifeline::exclusivity
