// Reading the black box back. Only frames whose checksum and content are valid become
// records; damage is skipped, counted, and never stops the frames after it from being read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "blackbox/record.hpp"
#include "lifeline/expected.hpp"

namespace lifeline::blackbox {

struct ReadStats {
  std::size_t segments = 0, records = 0, corrupt_frames = 0, torn_tails = 0;
  std::size_t skipped_bytes = 0;  // bytes that belonged to no valid frame
};

struct ReadResult {
  std::vector<Record> records;
  ReadStats stats;
};

// Scans one segment's bytes. A damaged region (anything from a bad frame up to the next
// magic that starts a valid frame) counts as one corrupt frame. A damaged region that
// runs to the end counts as a torn tail if it is the beginning of a frame (a write cut
// short), otherwise as a corrupt frame. Records come back in file order.
ReadResult read_segment_bytes(std::span<const std::uint8_t> bytes);

// read_segment_bytes() plus where the valid part ends, for the Store's tail recovery.
struct SegmentScan {
  ReadResult result;
  std::size_t valid_end = 0;  // offset just past the last valid frame (0 if none)
};
SegmentScan scan_segment(std::span<const std::uint8_t> bytes);

// Every segment of the store in `dir`, oldest first; records sorted by seq. A segment
// that disappears while being read (the ring deleted it) is skipped; a missing or
// unreadable directory or segment is an error.
Expected<ReadResult> read_store(const std::string& dir);

// Segment files are "seg-<first seq, 16 hex digits>.llbb": the name orders them and says
// which seq the segment was created for, so a missing tail can never reuse a seq.
std::string segment_file_name(std::uint64_t first_seq);
std::optional<std::uint64_t> parse_segment_file_name(std::string_view name);

// No segment the Store writes is larger (configs allow segments up to 64 MiB, plus a frame
// that may overshoot); a larger file is not ours and is not read whole into memory.
inline constexpr std::size_t kMaxSegmentFileBytes = std::size_t{64} * 1024 * 1024 + kMaxFrameBytes;

struct SegmentFile {
  std::uint64_t first_seq = 0;
  std::string path;
};
// The segment files in `dir`, oldest first; other files are ignored.
Expected<std::vector<SegmentFile>> list_segments(const std::string& dir);

}  // namespace lifeline::blackbox
