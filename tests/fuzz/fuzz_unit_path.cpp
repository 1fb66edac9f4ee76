// Any bytes as a unit name, and any exit code and status: building the object path and
// describing an exit must never crash. The path holds only [A-Za-z0-9_/], reverses to
// the exact name (so two units never share a path) and is what libsystemd's own encoder
// produces; descriptions are one printable ASCII line.
//
// Input layout: [code: 4 bytes LE] [status: 4 bytes LE] [rest: the unit name].
#include <systemd/sd-bus.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "motion/unit_state.hpp"

namespace {

using lifeline::motion::kUnitPathPrefix;

std::int32_t read_int32(const std::uint8_t* data, std::size_t size, std::size_t at) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    const std::uint8_t byte = at + i < size ? data[at + i] : 0;
    value |= static_cast<std::uint32_t>(byte) << (8 * i);
  }
  std::int32_t out = 0;
  std::memcpy(&out, &value, sizeof out);
  return out;
}

bool label_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  std::abort();  // the escaping writes lowercase hex only
}

// The inverse of the escaping, strict: every '_' starts a complete escape.
std::string unescape(std::string_view label) {
  if (label == "_") return {};
  std::string out;
  for (std::size_t i = 0; i < label.size(); ++i) {
    if (label[i] != '_') {
      out += label[i];
      continue;
    }
    if (i + 2 >= label.size()) std::abort();
    out += static_cast<char>(hex_value(label[i + 1]) * 16 + hex_value(label[i + 2]));
    i += 2;
  }
  return out;
}

void check_line(const std::string& text) {
  if (text.empty()) std::abort();
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7F) std::abort();
  }
}

void check_path(std::string_view unit) {
  const std::string path = lifeline::motion::unit_object_path(unit);
  if (!path.starts_with(kUnitPathPrefix)) std::abort();
  const std::string_view label = std::string_view(path).substr(kUnitPathPrefix.size());
  if (label.empty()) std::abort();
  for (const char c : label) {
    if (!label_char(c)) std::abort();
  }
  if (label[0] >= '0' && label[0] <= '9') std::abort();
  if (unescape(label) != unit) std::abort();
  // libsystemd takes a C string, so it can only judge names without NUL.
  if (unit.find('\0') == std::string_view::npos) {
    char* encoded = nullptr;
    const std::string name(unit);
    if (sd_bus_path_encode("/org/freedesktop/systemd1/unit", name.c_str(), &encoded) < 0) {
      std::abort();
    }
    const bool same = path == encoded;
    std::free(encoded);  // NOLINT: allocated by libsystemd
    if (!same) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::int32_t code = read_int32(data, size, 0);
  const std::int32_t status = read_int32(data, size, 4);
  const std::string_view unit =
      size > 8 ? std::string_view(reinterpret_cast<const char*>(data + 8), size - 8)
               : std::string_view();
  check_path(unit);
  // Small codes reach the CLD_* branches (1..3) often; any value must still be fine.
  for (const std::int32_t c : {code, code & 3}) {
    check_line(lifeline::motion::describe_exit(c, status));
    check_line(lifeline::motion::systemd_exit_text(c, status));
  }
  lifeline::motion::UnitState state;
  state.active_state = std::string(unit);
  state.result = std::string(unit.substr(0, unit.size() / 2));
  state.exec_main_code = code & 3;
  state.exec_main_status = status;
  check_line(lifeline::motion::describe_unit_state(state));
  if (!lifeline::motion::diff_unit_state(state, state).empty()) std::abort();
  return 0;
}
