#include "memory/psi.hpp"

#include <charconv>
#include <cmath>
#include <system_error>
#include <utility>

namespace lifeline::memory {
namespace {

Error bad(std::string what) {
  return Error{0, "pressure file: " + std::move(what)};
}

// "key=value" with a double value in 0..100.
std::optional<double> percent(std::string_view field, std::string_view key) {
  if (field.substr(0, key.size()) != key) return std::nullopt;
  const std::string_view value = field.substr(key.size());
  double out = 0;
  const char* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, out, std::chars_format::fixed);
  if (value.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  if (!std::isfinite(out) || out < 0 || out > 100) return std::nullopt;
  return out;
}

Expected<PsiLine> parse_line(std::string_view fields, std::string_view kind) {
  static constexpr std::string_view kKeys[] = {"avg10=", "avg60=", "avg300=", "total="};
  std::string_view parts[4];
  for (int i = 0; i < 4; ++i) {
    const auto space = fields.find(' ');
    parts[i] = fields.substr(0, space);
    fields = space == std::string_view::npos ? std::string_view() : fields.substr(space + 1);
  }
  if (!fields.empty()) return bad(std::string(kind) + " line has extra fields");
  PsiLine line;
  double* averages[] = {&line.avg10, &line.avg60, &line.avg300};
  for (int i = 0; i < 3; ++i) {
    const auto value = percent(parts[i], kKeys[i]);
    if (!value) {
      return bad(std::string(kind) + " line: expected " + std::string(kKeys[i]) +
                 "<percent 0..100>");
    }
    *averages[i] = *value;
  }
  const std::string_view total = parts[3];
  if (total.substr(0, kKeys[3].size()) != kKeys[3]) {
    return bad(std::string(kind) + " line: expected total=<microseconds>");
  }
  const std::string_view digits = total.substr(kKeys[3].size());
  const char* end = digits.data() + digits.size();
  auto [ptr, ec] = std::from_chars(digits.data(), end, line.total_us);
  if (digits.empty() || ec != std::errc() || ptr != end) {
    return bad(std::string(kind) + " line: total is not a number of microseconds");
  }
  return line;
}

}  // namespace

Expected<Psi> parse_psi(std::string_view text) {
  std::optional<PsiLine> some;
  std::optional<PsiLine> full;
  while (!text.empty()) {
    const auto end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty()) continue;
    const auto space = line.find(' ');
    const std::string_view kind = line.substr(0, space);
    const std::string_view rest =
        space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    std::optional<PsiLine>* slot = kind == "some" ? &some : kind == "full" ? &full : nullptr;
    if (slot == nullptr) return bad("unexpected line (not some/full)");
    if (slot->has_value()) return bad("duplicate " + std::string(kind) + " line");
    auto parsed = parse_line(rest, kind);
    if (!parsed) return parsed.error();
    *slot = *parsed;
  }
  if (!some) return bad("no some line");
  return Psi{*some, full};
}

Expected<std::string> format_psi_trigger(bool full, std::chrono::microseconds stall,
                                         std::chrono::microseconds window) {
  if (window < kPsiMinWindow || window > kPsiMaxWindow) {
    return Error{0, "psi trigger: window " + std::to_string(window.count()) +
                        " us is outside the kernel's 500 ms..10 s"};
  }
  if (stall.count() <= 0 || stall > window) {
    return Error{0, "psi trigger: stall " + std::to_string(stall.count()) +
                        " us must be positive and no longer than the window"};
  }
  return std::string(full ? "full " : "some ") + std::to_string(stall.count()) + " " +
         std::to_string(window.count());
}

}  // namespace lifeline::memory
