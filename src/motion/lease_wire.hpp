// The heartbeat lease's wire format, pure and total: one SOCK_DGRAM datagram per beat,
//
//   LLB1 <name> <seq>[\n]
//
// ASCII, at most 128 bytes. <name> is 1 to 32 of [a-z0-9_-]; <seq> is a u64 in canonical
// decimal (no sign, no leading zeros, "0" allowed) that each sender process increases by
// one per beat. Exactly one space separates the fields; one trailing '\n' is optional;
// anything else (CR, tabs, NUL, a second newline, extra fields) is malformed. The format is
// strict on purpose: a safety signal should have exactly one spelling, so a confused or
// hostile sender is counted as malformed instead of being half-understood. docs/lease.md
// is the reference for app writers; include/lifeline/lease.h is the C client.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "lifeline/expected.hpp"

namespace lifeline {

inline constexpr std::size_t kLeaseMaxDatagram = 128;
inline constexpr std::size_t kLeaseMaxName = 32;
inline constexpr std::string_view kLeaseMagic = "LLB1";
// The longest well-formed beat: "LLB1 " + 32-byte name + " " + 20 digits + "\n".
inline constexpr std::size_t kLeaseMaxBeat = kLeaseMagic.size() + 1 + kLeaseMaxName + 1 + 20 + 1;

struct LeaseBeat {
  std::string name;
  std::uint64_t seq = 0;
};

// 1 to kLeaseMaxName bytes of [a-z0-9_-]: the same rule as every other name in lifeline,
// so a lease name is always safe to print in a log line or a metric label.
[[nodiscard]] bool is_valid_lease_name(std::string_view name);

// Never crashes, for any bytes. The error's message says what was wrong without echoing
// the input, so logging it cannot be used to forge log lines; errno_value is 0.
Expected<LeaseBeat> parse_lease_datagram(std::span<const std::uint8_t> bytes);

// Writes the canonical beat "LLB1 <name> <seq>\n" (with the newline, without a NUL) to
// `out` and returns its length; returns 0 and writes nothing when `name` is invalid or the
// beat does not fit in `capacity` (kLeaseMaxBeat always suffices).
std::size_t format_lease_datagram(std::string_view name, std::uint64_t seq, char* out,
                                  std::size_t capacity);

}  // namespace lifeline
