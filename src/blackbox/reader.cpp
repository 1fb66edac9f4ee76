#include "blackbox/reader.hpp"

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>

#include "util/files.hpp"

namespace lifeline::blackbox {

namespace {

constexpr std::string_view kSegmentPrefix = "seg-";
constexpr std::string_view kSegmentSuffix = ".llbb";
constexpr std::size_t kSegmentHexDigits = 16;

bool starts_with_magic(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= 4 && bytes[0] == 'L' && bytes[1] == 'L' && bytes[2] == 'B' &&
         bytes[3] == 'X';
}

// The first offset at or after `from` where a valid frame starts; bytes.size() if none.
std::size_t find_next_valid_frame(std::span<const std::uint8_t> bytes, std::size_t from) {
  for (std::size_t at = from; at + kFrameHeaderBytes <= bytes.size(); ++at) {
    const auto rest = bytes.subspan(at);
    if (starts_with_magic(rest) && decode_frame(rest).status == DecodeStatus::ok) return at;
  }
  return bytes.size();
}

}  // namespace

SegmentScan scan_segment(std::span<const std::uint8_t> bytes) {
  SegmentScan scan;
  ReadStats& stats = scan.result.stats;
  stats.segments = 1;
  std::size_t offset = 0;
  while (offset < bytes.size()) {
    Decoded decoded = decode_frame(bytes.subspan(offset));
    if (decoded.status == DecodeStatus::ok) {
      scan.result.records.push_back(std::move(decoded.record));
      offset += decoded.consumed;
      scan.valid_end = offset;
      continue;
    }
    const std::size_t resume =
        find_next_valid_frame(bytes, offset + std::max<std::size_t>(1, decoded.consumed));
    stats.skipped_bytes += resume - offset;
    if (resume == bytes.size() && decoded.status == DecodeStatus::truncated) {
      ++stats.torn_tails;
    } else {
      ++stats.corrupt_frames;
    }
    offset = resume;
  }
  stats.records = scan.result.records.size();
  return scan;
}

ReadResult read_segment_bytes(std::span<const std::uint8_t> bytes) {
  return std::move(scan_segment(bytes).result);
}

std::string segment_file_name(std::uint64_t first_seq) {
  char name[40];
  (void)std::snprintf(name, sizeof name, "seg-%016llx.llbb",
                      static_cast<unsigned long long>(first_seq));
  return name;
}

std::optional<std::uint64_t> parse_segment_file_name(std::string_view name) {
  if (name.size() != kSegmentPrefix.size() + kSegmentHexDigits + kSegmentSuffix.size() ||
      !name.starts_with(kSegmentPrefix) || !name.ends_with(kSegmentSuffix)) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  for (const char c : name.substr(kSegmentPrefix.size(), kSegmentHexDigits)) {
    int digit = -1;
    if (c >= '0' && c <= '9') digit = c - '0';
    if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    if (digit < 0) return std::nullopt;  // only the form we write, so names sort as numbers
    value = (value << 4) | static_cast<std::uint64_t>(digit);
  }
  return value;
}

Expected<std::vector<SegmentFile>> list_segments(const std::string& dir) {
  std::unique_ptr<DIR, int (*)(DIR*)> stream(::opendir(dir.c_str()), &::closedir);
  if (!stream) {
    if (errno == ENOENT) {
      return Error{ENOENT, "black box directory " + dir + " does not exist"};
    }
    return errno_error("cannot open black box directory " + dir);
  }
  std::vector<SegmentFile> segments;
  errno = 0;
  // readdir() is safe here: each call has its own DIR stream.
  while (const dirent* entry = ::readdir(stream.get())) {  // NOLINT(concurrency-mt-unsafe)
    if (const auto first_seq = parse_segment_file_name(entry->d_name)) {
      segments.push_back({*first_seq, dir + "/" + entry->d_name});
    }
    errno = 0;
  }
  if (errno != 0) return errno_error("cannot list black box directory " + dir);
  std::sort(segments.begin(), segments.end(),
            [](const SegmentFile& a, const SegmentFile& b) { return a.first_seq < b.first_seq; });
  return segments;
}

Expected<ReadResult> read_store(const std::string& dir) {
  auto segments = list_segments(dir);
  if (!segments) return segments.error();
  ReadResult all;
  for (const SegmentFile& segment : *segments) {
    auto content = read_small_file(segment.path, kMaxSegmentFileBytes);
    if (!content) {
      if (content.error().errno_value == ENOENT) continue;  // removed by the ring meanwhile
      return Error{content.error().errno_value,
                   "cannot read black box segment: " + content.error().message};
    }
    const std::span<const std::uint8_t> bytes(
        reinterpret_cast<const std::uint8_t*>(content->data()), content->size());
    ReadResult one = read_segment_bytes(bytes);
    all.stats.segments += one.stats.segments;
    all.stats.records += one.stats.records;
    all.stats.corrupt_frames += one.stats.corrupt_frames;
    all.stats.torn_tails += one.stats.torn_tails;
    all.stats.skipped_bytes += one.stats.skipped_bytes;
    all.records.insert(all.records.end(), std::make_move_iterator(one.records.begin()),
                       std::make_move_iterator(one.records.end()));
  }
  std::stable_sort(all.records.begin(), all.records.end(),
                   [](const Record& a, const Record& b) { return a.seq < b.seq; });
  return all;
}

}  // namespace lifeline::blackbox
