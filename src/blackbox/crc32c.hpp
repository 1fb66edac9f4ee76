// CRC32C (Castagnoli): the black box's frame checksum. Chosen over CRC32 (zlib) because
// it detects more error patterns at the frame sizes we write and is what ext4, btrfs and
// iSCSI use; the table-driven form needs no CPU feature detection.
#pragma once

#include <cstdint>
#include <span>

namespace lifeline::blackbox {

// `crc` is the value returned for the preceding bytes, so a checksum can be computed in
// pieces: crc32c(b, crc32c(a)) == crc32c(a followed by b). crc32c("123456789") is 0xE3069283.
std::uint32_t crc32c(std::span<const std::uint8_t> data, std::uint32_t crc = 0);

}  // namespace lifeline::blackbox
