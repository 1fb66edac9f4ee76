// Frames: checksum, encoding limits, and that no damaged byte sequence decodes as a record.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "blackbox/crc32c.hpp"
#include "blackbox/reader.hpp"
#include "blackbox/record.hpp"

namespace lifeline::blackbox {
namespace {

std::span<const std::uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

BootId test_boot() {
  return *parse_boot_id("3f2a9c01-5b6d-4e7f-8a9b-0c1d2e3f4a5b");
}

Record sample_record(std::uint64_t seq = 7) {
  Record record;
  record.seq = seq;
  record.realtime_us = 1'795'404'309'123'456;
  record.monotonic_us = -42;  // negative values must survive too
  record.boot_id = test_boot();
  record.event.kind = EventKind::fault_raised;
  record.event.fault = Fault::health_gate_closed;
  record.event.severity = Severity::critical;
  record.event.message = "Gate closed: ping → failed";  // multi-byte UTF-8
  record.event.fields = {{"check", "ping"}, {"", ""}, {"failures", "3"}};
  return record;
}

std::vector<std::uint8_t> concat(const std::vector<std::vector<std::uint8_t>>& parts) {
  std::vector<std::uint8_t> all;
  for (const auto& part : parts) all.insert(all.end(), part.begin(), part.end());
  return all;
}

// Re-seals a frame whose payload a test edited, so only the content check can reject it.
void reseal(std::vector<std::uint8_t>& frame) {
  std::uint32_t crc = crc32c(std::span(frame).subspan(4, 4));
  crc = crc32c(std::span(frame).subspan(kFrameHeaderBytes), crc);
  for (std::size_t i = 0; i < 4; ++i) frame[8 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
}

TEST(Crc32c, KnownVectors) {
  EXPECT_EQ(crc32c(bytes_of("123456789")), 0xE3069283U);
  EXPECT_EQ(crc32c(bytes_of("")), 0U);
  EXPECT_EQ(crc32c(bytes_of("56789"), crc32c(bytes_of("1234"))), 0xE3069283U);
}

TEST(BlackBoxRecord, RoundTripsEveryField) {
  const Record record = sample_record();
  const auto frame = encode_frame(record);
  const Decoded decoded = decode_frame(frame);
  ASSERT_EQ(decoded.status, DecodeStatus::ok);
  EXPECT_EQ(decoded.consumed, frame.size());
  EXPECT_EQ(decoded.record, record);
}

TEST(BlackBoxRecord, RoundTripsWithoutFaultAndEveryKind) {
  for (const auto& info : kEventKinds) {
    Record record;
    record.seq = 1;
    record.event.kind = info.kind;
    record.event.severity = Severity::warning;
    const Decoded decoded = decode_frame(encode_frame(record));
    ASSERT_EQ(decoded.status, DecodeStatus::ok);
    EXPECT_EQ(decoded.record, record);
  }
}

TEST(BlackBoxRecord, FrameHeaderLayout) {
  const auto frame = encode_frame(sample_record());
  EXPECT_EQ(std::string(frame.begin(), frame.begin() + 4), "LLBX");
  const auto length =
      static_cast<std::uint32_t>(frame[4] | frame[5] << 8 | frame[6] << 16 | frame[7] << 24);
  EXPECT_EQ(length, frame.size() - kFrameHeaderBytes);
  EXPECT_EQ(frame[kFrameHeaderBytes], kFormatVersion);
  std::vector<std::uint8_t> resealed = frame;
  reseal(resealed);
  EXPECT_EQ(resealed, frame);
}

TEST(BlackBoxRecord, TruncatesOverlongStringsAtCharacterBoundaries) {
  Record record = sample_record();
  record.event.message = std::string(kMaxMessageBytes - 1, 'a') + "é";  // é would straddle
  record.event.fields = {{std::string(kMaxKeyBytes + 10, 'k'), std::string(3000, 'v')},
                         {"euro", std::string(kMaxValueBytes - 2, 'x') + "€"}};
  const Decoded decoded = decode_frame(encode_frame(record));
  ASSERT_EQ(decoded.status, DecodeStatus::ok);
  EXPECT_EQ(decoded.record.event.message, std::string(kMaxMessageBytes - 1, 'a'));
  ASSERT_EQ(decoded.record.event.fields.size(), 2U);
  EXPECT_EQ(decoded.record.event.fields[0].key, std::string(kMaxKeyBytes, 'k'));
  EXPECT_EQ(decoded.record.event.fields[0].value, std::string(kMaxValueBytes, 'v'));
  EXPECT_EQ(decoded.record.event.fields[1].value, std::string(kMaxValueBytes - 2, 'x'));
}

TEST(BlackBoxRecord, KeepsPayloadWithinLimitWhenFieldsAreHuge) {
  Record record = sample_record();
  record.event.message = std::string(5000, 'm');
  record.event.fields.clear();
  for (int i = 0; i < 40; ++i) {
    record.event.fields.push_back({"field_" + std::to_string(i), std::string(2000, 'v')});
  }
  const auto frame = encode_frame(record);
  EXPECT_LE(frame.size(), kMaxFrameBytes);
  const Decoded decoded = decode_frame(frame);
  ASSERT_EQ(decoded.status, DecodeStatus::ok);
  const auto& fields = decoded.record.event.fields;
  ASSERT_LT(fields.size(), kMaxFields);  // 32 full values cannot fit in 16 KiB
  ASSERT_GE(fields.size(), 14U);
  for (std::size_t i = 0; i < fields.size(); ++i) {
    EXPECT_EQ(fields[i].key, "field_" + std::to_string(i));
    if (i + 1 < fields.size()) {
      EXPECT_EQ(fields[i].value.size(), kMaxValueBytes);
    }
  }
}

TEST(BlackBoxRecord, KeepsOnlyTheFirst32Fields) {
  Record record = sample_record();
  record.event.fields.clear();
  for (int i = 0; i < 40; ++i) record.event.fields.push_back({"k" + std::to_string(i), "v"});
  const Decoded decoded = decode_frame(encode_frame(record));
  ASSERT_EQ(decoded.status, DecodeStatus::ok);
  ASSERT_EQ(decoded.record.event.fields.size(), kMaxFields);
  EXPECT_EQ(decoded.record.event.fields.back().key, "k31");
}

TEST(BlackBoxRecord, UnknownFaultCodeBecomesAField) {
  Record record = sample_record();
  record.event.fault = static_cast<Fault>(999);  // as a newer lifeline might write
  const Decoded decoded = decode_frame(encode_frame(record));
  ASSERT_EQ(decoded.status, DecodeStatus::ok);
  EXPECT_FALSE(decoded.record.event.fault.has_value());
  ASSERT_EQ(decoded.record.event.fields.size(), 4U);
  EXPECT_EQ(decoded.record.event.fields.back(), (EventField{"unknown_fault_code", "999"}));
}

TEST(BlackBoxRecord, UnknownKindIsKept) {
  Record record = sample_record();
  record.event.kind = static_cast<EventKind>(4242);
  const Decoded decoded = decode_frame(encode_frame(record));
  ASSERT_EQ(decoded.status, DecodeStatus::ok);
  EXPECT_EQ(event_kind_name(decoded.record.event.kind), "unknown_4242");
}

TEST(BlackBoxRecord, EveryTruncationPointIsTruncated) {
  const auto frame = encode_frame(sample_record());
  for (std::size_t size = 0; size < frame.size(); ++size) {
    const Decoded decoded = decode_frame(std::span(frame).first(size));
    EXPECT_EQ(decoded.status, DecodeStatus::truncated) << "prefix of " << size << " bytes";
  }
}

TEST(BlackBoxRecord, EverySingleBitFlipIsRejected) {
  const Record record = sample_record();
  const auto frame = encode_frame(record);
  for (std::size_t bit = 0; bit < frame.size() * 8; ++bit) {
    auto damaged = frame;
    damaged[bit / 8] ^= static_cast<std::uint8_t>(1U << (bit % 8));
    const Decoded decoded = decode_frame(damaged);
    EXPECT_NE(decoded.status, DecodeStatus::ok) << "bit " << bit;
    if (decoded.status == DecodeStatus::corrupt) {
      EXPECT_GE(decoded.consumed, 1U);
    }
  }
}

TEST(BlackBoxRecord, RejectsChecksummedButInvalidPayload) {
  const auto frame = encode_frame(sample_record());
  auto bad_severity = frame;
  bad_severity[kFrameHeaderBytes + 45] = 9;
  reseal(bad_severity);
  auto bad_version = frame;
  bad_version[kFrameHeaderBytes] = 2;
  reseal(bad_version);
  for (const auto& damaged : {bad_severity, bad_version}) {
    const Decoded decoded = decode_frame(damaged);
    EXPECT_EQ(decoded.status, DecodeStatus::corrupt);
    EXPECT_EQ(decoded.consumed, frame.size());  // the checksum vouches for the length
  }
}

TEST(BlackBoxRecord, ImpossibleLengthIsCorruptNotTruncated) {
  auto frame = encode_frame(sample_record());
  frame[6] = 0x01;  // length + 64 KiB: over the limit
  const Decoded decoded = decode_frame(frame);
  EXPECT_EQ(decoded.status, DecodeStatus::corrupt);
  EXPECT_EQ(decoded.consumed, 1U);
  EXPECT_EQ(decode_frame(bytes_of("LLBQ")).status, DecodeStatus::corrupt);
  EXPECT_EQ(decode_frame(bytes_of("LLB")).status, DecodeStatus::truncated);
}

TEST(BlackBoxRecord, BootIdForms) {
  const BootId boot = test_boot();
  EXPECT_EQ(boot_id_hex(boot), "3f2a9c015b6d4e7f8a9b0c1d2e3f4a5b");
  EXPECT_EQ(parse_boot_id("3F2A9C015B6D4E7F8A9B0C1D2E3F4A5B"), boot);
  EXPECT_FALSE(parse_boot_id(""));
  EXPECT_FALSE(parse_boot_id("3f2a9c015b6d4e7f8a9b0c1d2e3f4a5"));
  EXPECT_FALSE(parse_boot_id("3f2a9c015b6d4e7f8a9b0c1d2e3f4a5g"));
  EXPECT_FALSE(parse_boot_id("3f2a9c01-5b6d-4e7f-8a9b+0c1d2e3f4a5b"));
}

TEST(BlackBoxReader, ReadsConsecutiveFrames) {
  const auto bytes = concat({encode_frame(sample_record(1)), encode_frame(sample_record(2))});
  const ReadResult result = read_segment_bytes(bytes);
  ASSERT_EQ(result.records.size(), 2U);
  EXPECT_EQ(result.records[1], sample_record(2));
  EXPECT_EQ(result.stats.records, 2U);
  EXPECT_EQ(result.stats.corrupt_frames + result.stats.torn_tails + result.stats.skipped_bytes, 0U);
}

TEST(BlackBoxReader, ResynchronisesAfterCorruptMiddleFrame) {
  auto middle = encode_frame(sample_record(2));
  middle[middle.size() / 2] ^= 0x40;
  const auto bytes =
      concat({encode_frame(sample_record(1)), middle, encode_frame(sample_record(3))});
  const ReadResult result = read_segment_bytes(bytes);
  ASSERT_EQ(result.records.size(), 2U);
  EXPECT_EQ(result.records[0].seq, 1U);
  EXPECT_EQ(result.records[1].seq, 3U);
  EXPECT_EQ(result.stats.corrupt_frames, 1U);
  EXPECT_EQ(result.stats.torn_tails, 0U);
  EXPECT_EQ(result.stats.skipped_bytes, middle.size());
}

TEST(BlackBoxReader, LengthDamageDoesNotHideLaterFrames) {
  auto middle = encode_frame(sample_record(2));
  middle[5] = static_cast<std::uint8_t>(middle[5] + 0x20);  // still <= 16 KiB, past the end
  const auto bytes =
      concat({encode_frame(sample_record(1)), middle, encode_frame(sample_record(3))});
  const ReadResult result = read_segment_bytes(bytes);
  ASSERT_EQ(result.records.size(), 2U);
  EXPECT_EQ(result.records[1].seq, 3U);
  EXPECT_EQ(result.stats.corrupt_frames, 1U);
  EXPECT_EQ(result.stats.torn_tails, 0U);
}

TEST(BlackBoxReader, SkipsAndCountsTornTail) {
  const auto last = encode_frame(sample_record(3));
  auto bytes = concat({encode_frame(sample_record(1)), encode_frame(sample_record(2))});
  bytes.insert(bytes.end(), last.begin(), last.begin() + 30);
  const ReadResult result = read_segment_bytes(bytes);
  ASSERT_EQ(result.records.size(), 2U);
  EXPECT_EQ(result.stats.torn_tails, 1U);
  EXPECT_EQ(result.stats.corrupt_frames, 0U);
  EXPECT_EQ(result.stats.skipped_bytes, 30U);
  EXPECT_EQ(scan_segment(bytes).valid_end, bytes.size() - 30);
}

TEST(BlackBoxReader, SkipsGarbageAroundFrames) {
  const std::vector<std::uint8_t> garbage = {'L', 'L', 'B', 'X', 0xFF, 0, 0, 0, 1, 2, 3};
  const std::vector<std::uint8_t> zeros(100, 0);
  const auto bytes = concat(
      {garbage, encode_frame(sample_record(1)), garbage, encode_frame(sample_record(2)), zeros});
  const ReadResult result = read_segment_bytes(bytes);
  ASSERT_EQ(result.records.size(), 2U);
  EXPECT_EQ(result.stats.corrupt_frames, 3U);  // before, between, and the zeroed tail
  EXPECT_EQ(result.stats.torn_tails, 0U);
  EXPECT_EQ(result.stats.skipped_bytes, 2 * garbage.size() + zeros.size());
}

TEST(BlackBoxReader, MagicInsideAMessageIsJustText) {
  Record record = sample_record(1);
  record.event.message = "LLBX LLBX";
  const auto bytes = concat({encode_frame(record), encode_frame(sample_record(2))});
  const ReadResult result = read_segment_bytes(bytes);
  ASSERT_EQ(result.records.size(), 2U);
  EXPECT_EQ(result.records[0], record);
}

TEST(BlackBoxReader, SegmentNames) {
  EXPECT_EQ(segment_file_name(0x1F), "seg-000000000000001f.llbb");
  EXPECT_EQ(parse_segment_file_name("seg-000000000000001f.llbb"), 0x1FU);
  EXPECT_FALSE(parse_segment_file_name("seg-000000000000001F.llbb"));
  EXPECT_FALSE(parse_segment_file_name("seg-00000000000001f.llbb"));
  EXPECT_FALSE(parse_segment_file_name("seg-000000000000001f.llbb.tmp"));
}

// The fuzz seeds were written by a separate script from docs/blackbox.md alone, so they
// pin the on-disk format: old black boxes must stay readable.
std::vector<std::uint8_t> seed_file(const std::string& name) {
  std::ifstream in(
      std::string(LIFELINE_SOURCE_DIR) + "/tests/fuzz/seeds/fuzz_blackbox_reader/" + name,
      std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(BlackBoxReader, ReadsTheDocumentedFormat) {
  const ReadResult result = read_segment_bytes(seed_file("three_frames.llbb"));
  ASSERT_EQ(result.records.size(), 3U);
  Record first;
  first.seq = 1;
  first.realtime_us = 1'795'404'309'123'457;
  first.monotonic_us = 98'765'433;
  first.boot_id = test_boot();
  first.event = {EventKind::fault_raised,
                 Fault::health_gate_closed,
                 Severity::critical,
                 "The health gate closed.",
                 {{"check", "ping"}, {"failures", "3"}}};
  EXPECT_EQ(result.records[0], first);
  EXPECT_EQ(result.records[1].event.kind, EventKind::config_loaded);
  EXPECT_FALSE(result.records[1].event.fault);
  EXPECT_EQ(result.records[2].event.fields, (std::vector<EventField>{{"count", "4"}}));
  EXPECT_EQ(encode_frame(first), seed_file("one_frame.llbb"));

  const ReadResult damaged = read_segment_bytes(seed_file("corrupt_middle_torn_tail.llbb"));
  ASSERT_EQ(damaged.records.size(), 2U);
  EXPECT_EQ(damaged.records[1].seq, 3U);
  EXPECT_EQ(damaged.stats.corrupt_frames, 1U);
  EXPECT_EQ(damaged.stats.torn_tails, 1U);
}

}  // namespace
}  // namespace lifeline::blackbox
