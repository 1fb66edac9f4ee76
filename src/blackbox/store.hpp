// The black box's append-only record store: a ring of segment files in one directory.
// Not thread-safe: one thread (the AsyncWriter's) owns a Store. One process at a time:
// open() takes an exclusive flock on the directory.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "blackbox/reader.hpp"
#include "blackbox/record.hpp"
#include "lifeline/expected.hpp"

namespace lifeline::blackbox {

inline constexpr std::uint32_t kMinSegmentBytes = 1024;
inline constexpr std::uint32_t kMinSegments = 2;  // one to keep while the next one fills

struct StoreLimits {
  // A segment is closed when the next frame would take it past this; a single frame larger
  // than this still gets written (alone in its segment).
  std::uint32_t segment_bytes = 256 * 1024;
  // Segments kept, the one being written included; the oldest beyond this are deleted.
  std::uint32_t segments = 8;
};

class Store {
 public:
  // Creates `dir` (mode 0750, with parents) if missing. If the newest segment ends in a
  // torn or corrupt tail, truncates it to the end of its last valid frame. Seqs continue
  // after the highest one found (and never below the newest segment's name).
  static Expected<std::unique_ptr<Store>> open(const std::string& dir, StoreLimits limits);

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  ~Store();

  // Assigns the next seq (record.seq is ignored), writes the frame with one write() and,
  // when `durable`, fdatasync()s it before returning. Rotates first if the frame would
  // take the segment past segment_bytes. On a write error nothing is kept and the seq is
  // not used. An error that comes after the write (fdatasync, deleting an old segment,
  // syncing the directory) is returned too, but the record is in the file and its seq used.
  Expected<std::uint64_t> append(Record record, bool durable);
  // The same for a kept record (record.seq is ignored), without allocating: the frame is
  // encoded into a buffer reserved when the Store opened. Only a rotation to a new segment
  // allocates (the new path and the directory listing), once per segment_bytes.
  Expected<std::uint64_t> append(const KeptRecord& record, bool durable);

  // Makes every record appended so far durable.
  Status sync();

  [[nodiscard]] std::uint64_t next_seq() const { return next_seq_; }
  // Bytes cut off the newest segment's end by open(); 0 if it ended cleanly.
  [[nodiscard]] std::uint64_t recovered_tail_bytes() const { return recovered_tail_bytes_; }
  [[nodiscard]] const std::string& dir() const { return dir_; }

 private:
  Store(std::string dir, StoreLimits limits, int dir_fd);
  Status recover(const std::vector<SegmentFile>& segments);
  // Closes the current segment and opens a new one named for next_seq_. Returns an error
  // only if there is no segment to write; failures to sync or to delete old segments go
  // to `housekeeping`, as the record about to be written matters more.
  Status start_segment(std::optional<Error>& housekeeping);
  std::optional<Error> remove_old_segments();
  Status sync_dir();
  Status write_frame(std::span<const std::uint8_t> frame);
  // Writes a frame already encoded with seq next_seq_: rotation, write, optional sync.
  Expected<std::uint64_t> append_frame(std::span<const std::uint8_t> frame, bool durable);

  std::string dir_;
  StoreLimits limits_;
  int dir_fd_ = -1;  // held open for fsync and the lock
  int fd_ = -1;      // the segment being written; -1 after a failed rotation
  std::string path_;
  std::uint64_t size_ = 0;
  std::uint64_t next_seq_ = 1;
  std::uint64_t recovered_tail_bytes_ = 0;
  // Capacity kMaxFrameBytes, made once: every append encodes into it, none allocates
  // (a kill waits for the records queued before its own, too).
  std::vector<std::uint8_t> frame_;
};

}  // namespace lifeline::blackbox
