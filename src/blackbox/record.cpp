#include "blackbox/record.hpp"

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>

#include "blackbox/crc32c.hpp"

namespace lifeline::blackbox {

namespace {

bool is_continuation(char c) {
  return (static_cast<std::uint8_t>(c) & 0xC0U) == 0x80U;
}

// Shortens `text` to at most `max_bytes` without splitting a UTF-8 sequence. Invalid
// UTF-8 is cut at max_bytes: a valid sequence has at most 3 continuation bytes.
std::string_view truncate_utf8(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  // text[cut] is the first byte left out; back up to the start of its character.
  const std::size_t lowest = max_bytes >= 3 ? max_bytes - 3 : 0;
  std::size_t cut = max_bytes;
  while (cut > lowest && is_continuation(text[cut])) --cut;
  if (is_continuation(text[cut])) return text.substr(0, max_bytes);  // not UTF-8 anyway
  return text.substr(0, cut);
}

class ByteWriter {
 public:
  explicit ByteWriter(std::vector<std::uint8_t>& out) : out_(out) {}

  template <typename Unsigned>
  void put(Unsigned value) {
    for (std::size_t i = 0; i < sizeof(Unsigned); ++i) {
      out_.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
    }
  }
  void put_bytes(std::string_view text) { out_.insert(out_.end(), text.begin(), text.end()); }
  void put_bytes(std::span<const std::uint8_t> bytes) {
    out_.insert(out_.end(), bytes.begin(), bytes.end());
  }

 private:
  std::vector<std::uint8_t>& out_;
};

// Reads a payload front to back; every read checks the remaining length first, and a
// failed read leaves the reader failed so the caller checks once at the end.
class ByteReader {
 public:
  explicit ByteReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  template <typename Unsigned>
  Unsigned get() {
    if (!take(sizeof(Unsigned))) return 0;
    Unsigned value = 0;
    for (std::size_t i = 0; i < sizeof(Unsigned); ++i) {
      value = static_cast<Unsigned>(
          value | (static_cast<Unsigned>(bytes_[pos_ - sizeof(Unsigned) + i]) << (8 * i)));
    }
    return value;
  }
  std::string get_string(std::size_t length) {
    if (!take(length)) return {};
    const auto* first = bytes_.data() + (pos_ - length);
    return {reinterpret_cast<const char*>(first), length};
  }
  void get_bytes(std::span<std::uint8_t> out) {
    if (!take(out.size())) return;
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = bytes_[pos_ - out.size() + i];
  }
  void fail() { failed_ = true; }
  [[nodiscard]] bool failed() const { return failed_; }
  [[nodiscard]] bool at_end() const { return pos_ == bytes_.size(); }

 private:
  bool take(std::size_t count) {
    if (failed_ || bytes_.size() - pos_ < count) {
      failed_ = true;
      return false;
    }
    pos_ += count;
    return true;
  }

  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
  bool failed_ = false;
};

std::uint32_t load_u32(std::span<const std::uint8_t> bytes, std::size_t at) {
  return static_cast<std::uint32_t>(bytes[at]) | (static_cast<std::uint32_t>(bytes[at + 1]) << 8) |
         (static_cast<std::uint32_t>(bytes[at + 2]) << 16) |
         (static_cast<std::uint32_t>(bytes[at + 3]) << 24);
}

// One field list or the other, read the same way by encode_payload().
std::size_t field_count(const std::vector<EventField>& fields) {
  return fields.size();
}
std::string_view field_key(const std::vector<EventField>& fields, std::size_t i) {
  return fields[i].key;
}
std::string_view field_value(const std::vector<EventField>& fields, std::size_t i) {
  return fields[i].value;
}
std::size_t field_count(const KeptEvent& event) {
  return event.field_count();
}
std::string_view field_key(const KeptEvent& event, std::size_t i) {
  return event.key(i);
}
std::string_view field_value(const KeptEvent& event, std::size_t i) {
  return event.value(i);
}

// What a payload holds besides the event's fields, whichever type the event is.
struct PayloadHead {
  std::uint64_t seq;
  std::int64_t realtime_us;
  std::int64_t monotonic_us;
  BootId boot_id;  // 16 bytes: copied, so the struct holds no reference
  EventKind kind;
  std::optional<Fault> fault;
  Severity severity;
  std::string_view message;
};

// The one payload encoder, for an Event and a KeptEvent alike. `fields` is an Event's
// vector<EventField> or a KeptEvent's; field_key()/field_value() read either without
// copying. Appends to `out` with push_back/insert only: no allocation within capacity.
template <typename Fields>
void encode_payload(const PayloadHead& head, const Fields& fields, std::vector<std::uint8_t>& out) {
  ByteWriter writer(out);
  const std::size_t start = out.size();
  writer.put(kFormatVersion);
  writer.put(head.seq);
  writer.put(static_cast<std::uint64_t>(head.realtime_us));
  writer.put(static_cast<std::uint64_t>(head.monotonic_us));
  writer.put_bytes(std::span<const std::uint8_t>(head.boot_id));
  writer.put(static_cast<std::uint16_t>(head.kind));
  writer.put(head.fault ? fault_code(*head.fault) : std::uint16_t{0});
  writer.put(static_cast<std::uint8_t>(head.severity));
  const std::string_view message = truncate_utf8(head.message, kMaxMessageBytes);
  writer.put(static_cast<std::uint16_t>(message.size()));
  writer.put_bytes(message);

  const std::size_t count_at = out.size();
  writer.put(std::uint8_t{0});  // patched below, once we know how many fields fit
  std::uint8_t count = 0;
  for (std::size_t i = 0; i < field_count(fields); ++i) {
    if (count == kMaxFields) break;
    const std::string_view key = truncate_utf8(field_key(fields, i), kMaxKeyBytes);
    const std::size_t used = out.size() - start;
    const std::size_t overhead = 1 + key.size() + 2;
    if (used + overhead > kMaxPayloadBytes) break;
    const std::size_t room = std::min(kMaxValueBytes, kMaxPayloadBytes - used - overhead);
    const std::string_view value = truncate_utf8(field_value(fields, i), room);
    writer.put(static_cast<std::uint8_t>(key.size()));
    writer.put_bytes(key);
    writer.put(static_cast<std::uint16_t>(value.size()));
    writer.put_bytes(value);
    ++count;
  }
  out[count_at] = count;
}

// Writes the frame header in front of a payload, then fills in its length and checksum.
template <typename Fields>
void encode_frame_into(const PayloadHead& head, const Fields& fields,
                       std::vector<std::uint8_t>& frame) {
  ByteWriter writer(frame);
  writer.put(kFrameMagic);
  writer.put(std::uint32_t{0});  // length and checksum, once the payload is known
  writer.put(std::uint32_t{0});
  encode_payload(head, fields, frame);

  const auto length = static_cast<std::uint32_t>(frame.size() - kFrameHeaderBytes);
  for (std::size_t i = 0; i < 4; ++i) frame[4 + i] = static_cast<std::uint8_t>(length >> (8 * i));
  const std::span<const std::uint8_t> covered(frame.data() + 4, frame.size() - 4);
  std::uint32_t crc = crc32c(covered.first(4));
  crc = crc32c(covered.subspan(8), crc);  // skip the checksum's own 4 bytes
  for (std::size_t i = 0; i < 4; ++i) frame[8 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
}

// Fills `record` from a checksum-verified payload; false if it is not valid version 1.
bool decode_payload(std::span<const std::uint8_t> payload, Record& record) {
  ByteReader reader(payload);
  if (reader.get<std::uint8_t>() != kFormatVersion) return false;
  record.seq = reader.get<std::uint64_t>();
  record.realtime_us = static_cast<std::int64_t>(reader.get<std::uint64_t>());
  record.monotonic_us = static_cast<std::int64_t>(reader.get<std::uint64_t>());
  reader.get_bytes(record.boot_id);
  record.event.kind = static_cast<EventKind>(reader.get<std::uint16_t>());
  const auto code = reader.get<std::uint16_t>();
  const auto severity = reader.get<std::uint8_t>();
  if (severity > static_cast<std::uint8_t>(Severity::critical)) return false;
  record.event.severity = static_cast<Severity>(severity);

  const auto message_length = reader.get<std::uint16_t>();
  if (message_length > kMaxMessageBytes) return false;
  record.event.message = reader.get_string(message_length);

  const auto count = reader.get<std::uint8_t>();
  if (count > kMaxFields || reader.failed()) return false;
  record.event.fields.reserve(count + 1U);
  for (std::uint8_t i = 0; i < count; ++i) {
    const auto key_length = reader.get<std::uint8_t>();
    if (key_length > kMaxKeyBytes) return false;
    std::string key = reader.get_string(key_length);
    const auto value_length = reader.get<std::uint16_t>();
    if (value_length > kMaxValueBytes) return false;
    std::string value = reader.get_string(value_length);
    if (reader.failed()) return false;
    record.event.fields.push_back({std::move(key), std::move(value)});
  }
  if (reader.failed() || !reader.at_end()) return false;

  if (code != 0) {
    record.event.fault = fault_from_code(code);
    if (!record.event.fault) {
      record.event.fields.push_back({std::string(kUnknownFaultField), std::to_string(code)});
    }
  }
  return true;
}

bool is_magic_prefix(std::span<const std::uint8_t> bytes) {
  for (std::size_t i = 0; i < bytes.size() && i < 4; ++i) {
    if (bytes[i] != static_cast<std::uint8_t>(kFrameMagic >> (8 * i))) return false;
  }
  return true;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::vector<std::uint8_t> encode_frame(const Record& record) {
  std::vector<std::uint8_t> frame;
  frame.reserve(256);
  encode_frame(record, frame);
  return frame;
}

void encode_frame(const Record& record, std::vector<std::uint8_t>& frame) {
  frame.clear();
  const Event& event = record.event;
  encode_frame_into({record.seq, record.realtime_us, record.monotonic_us, record.boot_id,
                     event.kind, event.fault, event.severity, event.message},
                    event.fields, frame);
}

void encode_frame(const Stamp& stamp, const KeptEvent& event, std::vector<std::uint8_t>& frame) {
  frame.clear();
  encode_frame_into({stamp.seq, stamp.realtime_us, stamp.monotonic_us, stamp.boot_id, event.kind(),
                     event.fault(), event.severity(), event.message_text()},
                    event, frame);
}

Decoded decode_frame(std::span<const std::uint8_t> bytes) {
  if (!is_magic_prefix(bytes)) return {DecodeStatus::corrupt, {}, 1};
  if (bytes.size() < 8) return {DecodeStatus::truncated, {}, 0};
  const std::uint32_t length = load_u32(bytes, 4);
  // An impossible length is damage, not a frame still being written: refusing it here
  // keeps a flipped length bit from hiding every later frame behind a "torn tail".
  if (length < kMinPayloadBytes || length > kMaxPayloadBytes) {
    return {DecodeStatus::corrupt, {}, 1};
  }
  if (bytes.size() < kFrameHeaderBytes) return {DecodeStatus::truncated, {}, 0};
  if (bytes.size() - kFrameHeaderBytes < length) return {DecodeStatus::truncated, {}, 0};

  const auto payload = bytes.subspan(kFrameHeaderBytes, length);
  const std::uint32_t crc = crc32c(payload, crc32c(bytes.subspan(4, 4)));
  if (crc != load_u32(bytes, 8)) return {DecodeStatus::corrupt, {}, 1};

  const std::size_t frame_bytes = kFrameHeaderBytes + length;
  Decoded decoded{DecodeStatus::ok, {}, frame_bytes};
  if (!decode_payload(payload, decoded.record)) return {DecodeStatus::corrupt, {}, frame_bytes};
  return decoded;
}

std::string boot_id_hex(const BootId& boot_id) {
  static constexpr std::string_view kDigits = "0123456789abcdef";
  std::string hex;
  hex.reserve(boot_id.size() * 2);
  for (const std::uint8_t byte : boot_id) {
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0x0FU]);
  }
  return hex;
}

std::optional<BootId> parse_boot_id(std::string_view text) {
  const bool uuid_form = text.size() == 36;
  if (!uuid_form && text.size() != 32) return std::nullopt;
  BootId boot_id{};
  std::size_t digit = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (uuid_form && (i == 8 || i == 13 || i == 18 || i == 23)) {
      if (text[i] != '-') return std::nullopt;
      continue;
    }
    const int value = hex_digit(text[i]);
    if (value < 0) return std::nullopt;
    auto& byte = boot_id[digit / 2];
    byte = static_cast<std::uint8_t>(digit % 2 == 0 ? value << 4 : byte | value);
    ++digit;
  }
  return boot_id;
}

}  // namespace lifeline::blackbox
