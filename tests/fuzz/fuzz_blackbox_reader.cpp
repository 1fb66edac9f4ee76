// Any bytes, as a segment file or a single frame: the reader must never crash, read out of
// bounds, allocate without bound, or return a record that does not re-encode to its frame.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "blackbox/reader.hpp"
#include "blackbox/record.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lifeline::blackbox;
  const std::span<const std::uint8_t> bytes(data, size);

  const Decoded decoded = decode_frame(bytes);
  if (decoded.status == DecodeStatus::ok) {
    // A frame that decodes is exactly what the encoder writes for that record.
    const auto again = encode_frame(decoded.record);
    if (decoded.consumed != again.size() || !std::equal(again.begin(), again.end(), data)) {
      // Only an unknown fault code (turned into a field) may legitimately differ.
      if (decoded.record.event.fields.empty() ||
          decoded.record.event.fields.back().key != kUnknownFaultField) {
        std::abort();
      }
    }
  } else if (decoded.status == DecodeStatus::corrupt && decoded.consumed == 0) {
    std::abort();
  }

  const SegmentScan scan = scan_segment(bytes);
  const ReadStats& stats = scan.result.stats;
  if (scan.valid_end > size || stats.skipped_bytes > size ||
      stats.records != scan.result.records.size()) {
    std::abort();
  }
  return 0;
}
