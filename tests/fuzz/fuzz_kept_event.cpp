// Any fields and message in a KeptEvent: the black box frame encoded from it (the memory
// guard's records before a kill, encoded without allocating) must be byte for byte the
// frame of the ordinary Record with event = kept.to_event(), and must decode to that event
// whenever nothing was cut to fit the frame's limits.
//
// Input: a message, then fields, each a key and a value, separated by NUL bytes; the first
// byte picks the kind's fault and severity.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "blackbox/record.hpp"
#include "fault/kept_event.hpp"

using namespace lifeline;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool with_fault = (data[0] & 1) != 0;
  const auto severity = static_cast<Severity>(data[0] % 4);
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto next = [&rest] {
    const std::size_t nul = rest.find('\0');
    const std::string_view part = rest.substr(0, nul);
    rest = nul == std::string_view::npos ? std::string_view{} : rest.substr(nul + 1);
    return part;
  };
  static KeptEvent kept;  // 13 KiB: not on the fuzzer's stack
  kept.reset(EventKind::memory_relief,
             with_fault ? std::optional<Fault>(Fault::memory_relief) : std::nullopt, severity);
  kept.message() << next();
  while (!rest.empty()) {
    const std::string_view key = next();
    kept.field(key) << next();
  }
  blackbox::Stamp stamp{42, 1'700'000'000'000'000, 123456, {}};
  std::vector<std::uint8_t> frame;
  frame.reserve(blackbox::kMaxFrameBytes);
  blackbox::encode_frame(stamp, kept, frame);
  blackbox::Record record{stamp.seq, stamp.realtime_us, stamp.monotonic_us, stamp.boot_id,
                          kept.to_event()};
  if (frame != blackbox::encode_frame(record)) std::abort();
  const blackbox::Decoded decoded = blackbox::decode_frame(frame);
  if (decoded.status != blackbox::DecodeStatus::ok) std::abort();
  // Cut to fit: a long message, a long key or value, too many fields, or a full payload.
  bool fits = kept.message_text().size() <= blackbox::kMaxMessageBytes &&
              kept.field_count() <= blackbox::kMaxFields;
  std::size_t payload = blackbox::kMinPayloadBytes + kept.message_text().size();
  for (std::size_t i = 0; i < kept.field_count(); ++i) {
    fits = fits && kept.key(i).size() <= blackbox::kMaxKeyBytes &&
           kept.value(i).size() <= blackbox::kMaxValueBytes;
    payload += 3 + kept.key(i).size() + kept.value(i).size();
  }
  if (fits && payload <= blackbox::kMaxPayloadBytes && !(decoded.record == record)) std::abort();
  return 0;
}
