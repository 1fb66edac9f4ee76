#include "fault/fault.hpp"

#include <cstdlib>

namespace lifeline {

namespace {
constexpr std::array<std::string_view, 4> kSeverityNames = {"info", "warning", "error", "critical"};
}  // namespace

std::string_view severity_name(Severity severity) {
  return kSeverityNames.at(static_cast<std::size_t>(severity));
}

std::optional<Severity> parse_severity(std::string_view name) {
  for (std::size_t i = 0; i < kSeverityNames.size(); ++i) {
    if (kSeverityNames[i] == name) return static_cast<Severity>(i);
  }
  return std::nullopt;
}

const FaultInfo& fault_info(Fault fault) {
  for (const auto& info : kFaultTable) {
    if (info.fault == fault) return info;
  }
  std::abort();  // unreachable: every enumerator has a row (tested)
}

std::optional<Fault> fault_from_code(std::uint16_t code) {
  for (const auto& info : kFaultTable) {
    if (fault_code(info.fault) == code) return info.fault;
  }
  return std::nullopt;
}

std::optional<Fault> fault_from_name(std::string_view name) {
  for (const auto& info : kFaultTable) {
    if (info.name == name) return info.fault;
  }
  return std::nullopt;
}

}  // namespace lifeline
