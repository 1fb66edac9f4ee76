// One black box record and its on-disk frame. The frame is what makes the store
// crash-safe: a reader can tell a complete record from a torn or damaged one without any
// other metadata, and can find the next record after damage by its magic.
//
// Frame (all integers little-endian):
//   magic   u32  the bytes "LLBX" (0x58424C4C)
//   length  u32  payload bytes, kMinPayloadBytes..kMaxPayloadBytes
//   crc     u32  CRC32C over the 4 length bytes followed by the payload
//   payload      see below
// Payload, format version 1 (docs/blackbox.md has the byte table):
//   version u8 (=1), seq u64, realtime_us i64, monotonic_us i64, boot_id 16 bytes,
//   kind u16, fault code u16 (0 = none), severity u8, message (u16 length + bytes),
//   field count u8, then per field: key (u8 length + bytes), value (u16 length + bytes).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fault/event.hpp"
#include "fault/kept_event.hpp"

namespace lifeline::blackbox {

using BootId = std::array<std::uint8_t, 16>;

struct Record {
  std::uint64_t seq = 0;          // assigned by the Store, strictly increasing, from 1
  std::int64_t realtime_us = 0;   // CLOCK_REALTIME, µs since the Unix epoch
  std::int64_t monotonic_us = 0;  // CLOCK_MONOTONIC, µs; only comparable within one boot
  BootId boot_id{};               // /proc/sys/kernel/random/boot_id
  Event event;
  bool operator==(const Record&) const = default;
};

// A record's seq, times and boot: everything in a frame but the event.
struct Stamp {
  std::uint64_t seq = 0;  // assigned by the Store
  std::int64_t realtime_us = 0;
  std::int64_t monotonic_us = 0;
  BootId boot_id{};
};

// A record whose event is a KeptEvent: the memory guard's, written before a kill. Copying
// it and encoding it allocate nothing (docs/blackbox.md, "Kept records"). On disk it is an
// ordinary frame: read back, it is the Record with `event = event.to_event()`.
struct KeptRecord {
  Stamp stamp;  // stamp.seq is ignored by the Store, as Record::seq is
  KeptEvent event;
};

inline constexpr std::uint32_t kFrameMagic = 0x58424C4CU;  // "LLBX" read as u32 LE
inline constexpr std::size_t kFrameHeaderBytes = 12;
inline constexpr std::uint8_t kFormatVersion = 1;

// Hard limits. encode_frame() never fails: it truncates strings that are too long (at a
// UTF-8 character boundary), keeps only the first kMaxFields fields, and drops or shortens
// trailing fields so the payload stays within kMaxPayloadBytes. decode_frame() rejects a
// frame that breaks any of them, so a reader's memory use is bounded by the frame size.
inline constexpr std::size_t kMaxMessageBytes = 1024;
inline constexpr std::size_t kMaxFields = 32;
inline constexpr std::size_t kMaxKeyBytes = 64;
inline constexpr std::size_t kMaxValueBytes = 1024;
inline constexpr std::size_t kMaxPayloadBytes = std::size_t{16} * 1024;
inline constexpr std::size_t kMinPayloadBytes = 49;  // every fixed field, empty strings
inline constexpr std::size_t kMaxFrameBytes = kFrameHeaderBytes + kMaxPayloadBytes;

// A fault code this build does not know (written by a newer lifeline) decodes to
// `event.fault = nullopt` plus a trailing field with this key and the decimal code: the
// number is kept for a person to read, and no caller can pass an out-of-table Fault to
// fault_info() (which aborts). Unknown event kinds are kept as is: event_kind_name()
// renders them as "unknown_<n>".
inline constexpr std::string_view kUnknownFaultField = "unknown_fault_code";

std::vector<std::uint8_t> encode_frame(const Record& record);
// The same into `frame` (cleared first): no allocation while the frame fits its capacity,
// which a buffer reserved to kMaxFrameBytes always does.
void encode_frame(const Record& record, std::vector<std::uint8_t>& frame);
// The same frame encode_frame() makes of the Record with `stamp`'s seq, times and boot and
// `event = event.to_event()`, written into `frame` (cleared first), without allocating
// in the same way.
void encode_frame(const Stamp& stamp, const KeptEvent& event, std::vector<std::uint8_t>& frame);

enum class DecodeStatus {
  ok,         // `record` holds the frame's record; `consumed` is the frame's size
  truncated,  // `bytes` is a proper prefix of a possibly valid frame; `consumed` is 0
  corrupt,    // not a valid frame; skip `consumed` bytes (>= 1) before looking for a magic
};

struct Decoded {
  DecodeStatus status;
  Record record;
  // For corrupt frames: 1 when the header or checksum is bad (the length cannot be
  // trusted), the whole frame when the checksum is good but the payload is not valid
  // version-1 content (e.g. written by a newer lifeline).
  std::size_t consumed;
};

// Total: any byte sequence gives ok, truncated or corrupt, and allocates at most the size
// of one payload. Only the frame at the start of `bytes` is looked at.
Decoded decode_frame(std::span<const std::uint8_t> bytes);

// 32 lowercase hex digits.
std::string boot_id_hex(const BootId& boot_id);
// Accepts 32 hex digits or the 36-character UUID form with dashes, in either case.
std::optional<BootId> parse_boot_id(std::string_view text);

}  // namespace lifeline::blackbox
