#include "blackbox/query.hpp"

#include "util/text.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <limits>
#include <map>

namespace lifeline::blackbox {

namespace {

using std::chrono::days;
using std::chrono::sys_days;

constexpr std::int64_t kMicrosPerSecond = 1'000'000;
constexpr std::int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;
// Years 1..9999 keep every date we print or parse in 4 digits and inside chrono's range.
constexpr std::int64_t kFirstDay = -719'162;  // 0001-01-01, days since 1970-01-01
constexpr std::int64_t kLastDay = 2'932'896;  // 9999-12-31

Error since_error(std::string_view text, std::string_view why) {
  return Error{0, "cannot read --since \"" + std::string(text) + "\": " + std::string(why) +
                      "; use @SECONDS, YYYY-MM-DD, \"YYYY-MM-DD HH:MM[:SS]\" (UTC) or -N[smhd]"};
}

// Parses exactly `digits` decimal digits at text[at], or nullopt.
std::optional<int> fixed_digits(std::string_view text, std::size_t at, std::size_t digits) {
  if (text.size() < at + digits) return std::nullopt;
  int value = 0;
  for (std::size_t i = at; i < at + digits; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

std::optional<std::int64_t> whole_number(std::string_view text) {
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || text.front() == '-' || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

Expected<std::int64_t> parse_calendar(std::string_view text) {
  const auto year = fixed_digits(text, 0, 4);
  const auto month = fixed_digits(text, 5, 2);
  const auto day = fixed_digits(text, 8, 2);
  if (!year || !month || !day || text[4] != '-' || text[7] != '-') {
    return since_error(text, "not a date");
  }
  const std::chrono::year_month_day date{std::chrono::year{*year},
                                         std::chrono::month{static_cast<unsigned>(*month)},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok() || *year == 0) return since_error(text, "no such date");
  std::int64_t micros = sys_days{date}.time_since_epoch().count() * kMicrosPerDay;

  std::string_view rest = text.substr(10);
  if (rest.empty()) return micros;
  if (rest.back() == 'Z') rest.remove_suffix(1);
  if (rest.size() != 6 && rest.size() != 9) return since_error(text, "not a date and time");
  const auto hour = fixed_digits(rest, 1, 2);
  const auto minute = fixed_digits(rest, 4, 2);
  const auto second = rest.size() == 9 ? fixed_digits(rest, 7, 2) : std::optional<int>(0);
  if ((rest[0] != ' ' && rest[0] != 'T') || rest[3] != ':' ||
      (rest.size() == 9 && rest[6] != ':') || !hour || !minute || !second) {
    return since_error(text, "not a date and time");
  }
  if (*hour > 23 || *minute > 59 || *second > 59) return since_error(text, "no such time");
  micros += ((*hour * 60 + *minute) * 60 + *second) * kMicrosPerSecond;
  return micros;
}

std::string_view known_fault_name(const std::optional<Fault>& fault) {
  if (!fault || !fault_from_code(fault_code(*fault))) return {};
  return fault_info(*fault).name;
}

void append_escaped(std::string& out, std::string_view text, bool quoting) {
  for (const char c : text) {
    if (quoting && (c == '"' || c == '\\')) out += '\\';
    append_escaped_char(out, c);
  }
}

bool needs_quotes(std::string_view value) {
  return value.empty() || std::any_of(value.begin(), value.end(), [](char c) {
           const auto byte = static_cast<unsigned char>(c);
           return c == ' ' || c == '"' || c == '=' || c == '\\' || byte < 0x20 || byte == 0x7F;
         });
}

// Replaces every byte that does not start a valid UTF-8 sequence with U+FFFD.
std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<std::uint8_t>(text[i]);
    std::size_t length = 1;
    std::uint32_t code_point = lead;
    std::uint32_t smallest = 0;
    if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4, code_point = lead & 0x07U, smallest = 0x10000;
    } else if (lead >= 0xE0 && lead < 0xF0) {
      length = 3, code_point = lead & 0x0FU, smallest = 0x800;
    } else if (lead >= 0xC2 && lead < 0xE0) {
      length = 2, code_point = lead & 0x1FU, smallest = 0x80;
    }
    bool valid = lead < 0x80 || length > 1;
    if (length > 1) {
      valid = i + length <= text.size();
      for (std::size_t k = 1; valid && k < length; ++k) {
        const auto next = static_cast<std::uint8_t>(text[i + k]);
        valid = (next & 0xC0U) == 0x80U;
        code_point = (code_point << 6) | (next & 0x3FU);
      }
      valid = valid && code_point >= smallest && code_point <= 0x10FFFF &&
              (code_point < 0xD800 || code_point > 0xDFFF);
    }
    if (valid) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

}  // namespace

Expected<std::int64_t> parse_since(std::string_view text, std::int64_t now_realtime_us) {
  if (text.empty()) return since_error(text, "empty");
  if (text.front() == '@') {
    const auto seconds = whole_number(text.substr(1));
    if (!seconds) return since_error(text, "not a number of seconds");
    if (*seconds > std::numeric_limits<std::int64_t>::max() / kMicrosPerSecond) {
      return since_error(text, "too far in the future");
    }
    return *seconds * kMicrosPerSecond;
  }
  if (text.front() == '-') {
    std::int64_t unit = 0;
    switch (text.back()) {
      case 's':
        unit = kMicrosPerSecond;
        break;
      case 'm':
        unit = 60 * kMicrosPerSecond;
        break;
      case 'h':
        unit = 3600 * kMicrosPerSecond;
        break;
      case 'd':
        unit = kMicrosPerDay;
        break;
      default:
        return since_error(text, "a relative time needs a unit s, m, h or d");
    }
    const auto count = whole_number(text.substr(1, text.size() - 2));
    if (!count) return since_error(text, "not a number before the unit");
    if (*count > std::numeric_limits<std::int64_t>::max() / unit ||
        now_realtime_us < std::numeric_limits<std::int64_t>::min() + *count * unit) {
      return since_error(text, "too far in the past");
    }
    return now_realtime_us - *count * unit;
  }
  return parse_calendar(text);
}

std::vector<Record> select(const std::vector<Record>& records, const Filter& filter,
                           const BootId& current) {
  std::vector<const Record*> chosen;
  chosen.reserve(records.size());
  for (const Record& record : records) chosen.push_back(&record);
  std::stable_sort(chosen.begin(), chosen.end(),
                   [](const Record* a, const Record* b) { return a->seq < b->seq; });

  std::optional<BootId> boot;
  if (filter.boot) {
    std::vector<BootId> boots;  // in order of first appearance
    for (const Record* record : chosen) {
      if (std::find(boots.begin(), boots.end(), record->boot_id) == boots.end()) {
        boots.push_back(record->boot_id);
      }
    }
    const auto count = static_cast<std::int64_t>(boots.size());
    const std::int64_t current_index =
        std::find(boots.begin(), boots.end(), current) - boots.begin();  // count if absent
    const std::int64_t wanted = *filter.boot > 0 ? *filter.boot - 1 : current_index + *filter.boot;
    if (wanted < 0 || wanted >= count) return {};
    boot = boots[static_cast<std::size_t>(wanted)];
  }

  std::vector<Record> selected;
  for (const Record* record : chosen) {
    if (boot && record->boot_id != *boot) continue;
    if (filter.since_realtime_us && record->realtime_us < *filter.since_realtime_us) continue;
    selected.push_back(*record);
  }
  return selected;
}

std::string format_utc_ms(std::int64_t realtime_us) {
  const std::int64_t day =
      realtime_us >= 0 ? realtime_us / kMicrosPerDay : -((-(realtime_us + 1)) / kMicrosPerDay) - 1;
  if (day < kFirstDay || day > kLastDay) {
    return "@" + std::to_string(realtime_us / kMicrosPerSecond);  // no calendar date fits
  }
  const std::int64_t in_day_ms = (realtime_us - day * kMicrosPerDay) / 1000;
  const std::chrono::year_month_day date{sys_days{days{day}}};
  char text[64];  // 40 fits every date in range; 64 so GCC's 32-bit range check agrees
  (void)std::snprintf(
      text, sizeof text, "%04d-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
      static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
      static_cast<unsigned>(date.day()), static_cast<long long>(in_day_ms / 3'600'000),
      static_cast<long long>(in_day_ms / 60'000 % 60),
      static_cast<long long>(in_day_ms / 1000 % 60), static_cast<long long>(in_day_ms % 1000));
  return text;
}

std::string format_text(const Record& record) {
  const Event& event = record.event;
  std::string line = format_utc_ms(record.realtime_us);
  line += "  boot ";
  line += boot_id_hex(record.boot_id).substr(0, 8);
  line += "  ";
  line += severity_name(event.severity);
  line += "  ";
  line += event_kind_name(event.kind);
  line += "  ";
  if (const std::string_view name = known_fault_name(event.fault); !name.empty()) {
    line += name;
    line += "(" + std::to_string(fault_code(*event.fault)) + ")";
  } else {
    line += '-';
  }
  if (!event.message.empty()) {
    line += "  ";
    append_escaped(line, event.message, false);
  }
  for (std::size_t i = 0; i < event.fields.size(); ++i) {
    line += i == 0 ? "  " : " ";
    append_escaped(line, event.fields[i].key, false);
    line += '=';
    const std::string& value = event.fields[i].value;
    if (needs_quotes(value)) {
      line += '"';
      append_escaped(line, value, true);
      line += '"';
    } else {
      line += value;
    }
  }
  return line;
}

nlohmann::json to_json(const Record& record) {
  const Event& event = record.event;
  nlohmann::json fields = nlohmann::json::object();
  for (const EventField& field : event.fields)
    fields[valid_utf8(field.key)] = valid_utf8(field.value);
  const std::string_view fault = known_fault_name(event.fault);
  nlohmann::json json = nlohmann::json::object();
  json["seq"] = record.seq;
  json["realtime_us"] = record.realtime_us;
  json["time"] = format_utc_ms(record.realtime_us);
  json["monotonic_us"] = record.monotonic_us;
  json["boot_id"] = boot_id_hex(record.boot_id);
  json["kind"] = event_kind_name(event.kind);
  json["severity"] = severity_name(event.severity);
  json["fault"] = fault.empty() ? nlohmann::json(nullptr) : nlohmann::json(fault);
  json["fault_code"] =
      event.fault ? nlohmann::json(fault_code(*event.fault)) : nlohmann::json(nullptr);
  json["message"] = valid_utf8(event.message);
  json["fields"] = std::move(fields);
  return json;
}

}  // namespace lifeline::blackbox
