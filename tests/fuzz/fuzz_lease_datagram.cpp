// Any bytes as a lease datagram: the parser must never crash, and whatever it accepts
// must be exactly the canonical beat the formatter writes for it (with or without the
// trailing newline), so there is one spelling per beat and nothing is half-understood.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include "motion/lease_wire.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto beat = lifeline::parse_lease_datagram(std::span<const std::uint8_t>(data, size));
  if (!beat) {
    const std::string& message = beat.error().message;
    if (message.empty() || beat.error().errno_value != 0) std::abort();
    for (const char c : message) {
      if (c < ' ' || c > '~') std::abort();  // safe to log as one line
    }
    return 0;
  }
  if (size > lifeline::kLeaseMaxDatagram || !lifeline::is_valid_lease_name(beat->name)) {
    std::abort();
  }
  char canonical[lifeline::kLeaseMaxBeat];
  const std::size_t length =
      lifeline::format_lease_datagram(beat->name, beat->seq, canonical, sizeof(canonical));
  if (length == 0) std::abort();
  const bool same = size == length && std::memcmp(data, canonical, length) == 0;
  const bool same_without_newline = size + 1 == length && std::memcmp(data, canonical, size) == 0;
  if (!same && !same_without_newline) std::abort();
  return 0;
}
