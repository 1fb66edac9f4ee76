// Selection and rendering for `lifeline events [--json] [--since T] [--boot N]`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "blackbox/record.hpp"
#include "lifeline/expected.hpp"

namespace lifeline::blackbox {

struct Filter {
  std::optional<std::int64_t> since_realtime_us;  // keep records at or after this time
  // Like journalctl: 0 = the current boot, -1 the one before it, ...; 1 = the oldest boot
  // in the black box, 2 the next, ... Boots are ordered by their first record's seq.
  std::optional<int> boot;
};

// Parses --since, always as UTC (a robot's clock has no useful local zone):
//   @<unix seconds>           @1700000000
//   YYYY-MM-DD                2026-11-23            (midnight)
//   YYYY-MM-DD HH:MM[:SS]     2026-11-23 03:25:09   ('T' instead of ' ', trailing 'Z' allowed)
//   -<n>s | -<n>m | -<n>h | -<n>d                   (relative to now_realtime_us)
Expected<std::int64_t> parse_since(std::string_view text, std::int64_t now_realtime_us);

// The records matching every set criterion, in seq order. -N counts back from `current`;
// when `current` has no records yet, it counts as a boot after all recorded ones, so
// 0 selects nothing and -1 is the last recorded boot (the one before this one).
std::vector<Record> select(const std::vector<Record>& records, const Filter& filter,
                           const BootId& current);

// One line: time (UTC, ms), boot (first 8 hex digits), severity, kind, fault as
// name(code) or "-", message, then key=value per field. Control characters are escaped
// and values with spaces or quotes are quoted, so a record is always exactly one line.
//   2026-11-23T03:25:09.123Z  boot 3f2a9c01  critical  fault_raised  health_gate_closed(112)  Gate
//   closed  check=ping
std::string format_text(const Record& record);

// Keys: seq, realtime_us, time, monotonic_us, boot_id, kind, severity, fault (name or
// null), fault_code (number or null), message, fields (object; a repeated key keeps its
// last value). Strings that are not valid UTF-8 get U+FFFD, so dump() cannot throw.
nlohmann::json to_json(const Record& record);

// "2026-11-23T03:25:09.123Z" for a realtime in µs since the epoch.
std::string format_utc_ms(std::int64_t realtime_us);

}  // namespace lifeline::blackbox
