// Keeps black box I/O off the event loop: submit() only queues, one thread writes and
// fsyncs. A full queue drops the record rather than block, and the drop itself is recorded.
#pragma once

#include <array>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "blackbox/record.hpp"
#include "blackbox/store.hpp"
#include "lifeline/expected.hpp"

namespace lifeline::blackbox {

class AsyncWriter {
 public:
  explicit AsyncWriter(std::unique_ptr<Store> store, std::size_t capacity = 256);
  AsyncWriter(const AsyncWriter&) = delete;
  AsyncWriter& operator=(const AsyncWriter&) = delete;
  // Flushes (writes and syncs everything submitted), then stops the thread.
  ~AsyncWriter();

  // Never waits for I/O (the lock only guards the queue). False, and the drop is counted,
  // when the queue is full. Drops are written as one records_dropped record (severity
  // warning, field "count", stamped with the first dropped record's times) in their place.
  bool submit(Record record, bool durable);

  // submit() for the memory guard's kill path, allocating nothing: copies `event` into one
  // of kKeptSlots slots made at construction and queues it in submission order with
  // ordinary records; the thread encodes it into a preallocated frame and frees the slot
  // once the batch is written. Counted in accepted()/settled() like submit(). False, and
  // counted as a drop like submit()'s, when the queue is full or every slot is taken.
  bool submit_kept(std::int64_t realtime_us, std::int64_t monotonic_us, const BootId& boot_id,
                   const KeptEvent& event, bool durable);
  // A kill writes two kept records (the snapshot, the kill) and waits for both to settle.
  static constexpr std::size_t kKeptSlots = 4;

  // Blocks until everything submitted before the call is written and synced. For clean
  // shutdown; a caller that keeps submitting from another thread can delay it.
  void flush();

  // The last write error since the previous call, if any; the event loop raises a fault.
  std::optional<Error> take_error();

  [[nodiscard]] std::uint64_t written() const;  // submitted records written (not drop notes)
  // Records accepted by submit() so far, and how many of those are settled: written, and
  // synced if durable (or failed, see take_error). A caller that must not act before its
  // record is on disk (the memory guard before a kill) notes accepted() after its submit
  // and waits for settled() to reach it; settle_fd() (an eventfd) becomes readable after
  // each batch, so the wait can be an event source on the loop.
  [[nodiscard]] std::uint64_t accepted() const;
  [[nodiscard]] std::uint64_t settled() const;
  [[nodiscard]] int settle_fd() const { return settle_fd_; }
  [[nodiscard]] std::uint64_t dropped() const;  // submitted records refused: queue full
  [[nodiscard]] std::uint64_t failed() const;   // accepted records the Store failed to write

  // Test seam: while held, the thread takes no new work (flush() and the destructor
  // release it), so a test can fill the queue deterministically.
  void hold_for_testing(bool hold);

 private:
  struct DropRun {
    std::uint64_t count = 0;
    bool any_durable = false;
    Record first;  // times and boot of the first dropped record; event unused
  };
  struct Entry {
    Record record;  // unused (empty) when `kept` >= 0
    bool durable = false;
    int kept = -1;  // the kept slot holding this entry's record, or -1
  };

  // Counts a refused record into pending_drops_; the caller holds the lock.
  void note_drop(std::int64_t realtime_us, std::int64_t monotonic_us, const BootId& boot_id,
                 bool durable);
  void run();

  std::unique_ptr<Store> store_;
  std::vector<Entry> ring_;   // bounded queue: `count_` entries from `head_`, wrapping
  std::vector<Entry> batch_;  // the thread's working copy, same capacity, no allocation
  // Kept slots: a slot marked busy (under the lock) belongs to the queued entry naming it
  // until the thread has written it; only then may submit_kept() fill it again.
  std::unique_ptr<std::array<KeptRecord, kKeptSlots>> kept_slots_;
  std::array<bool, kKeptSlots> kept_busy_{};

  mutable std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable flushed_;
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  // Drops happen only while the queue is full and the queue only empties when the thread
  // takes all of it, so every drop comes after every entry the thread takes with it.
  DropRun pending_drops_;
  std::uint64_t flush_requested_ = 0;
  std::uint64_t flush_done_ = 0;
  bool hold_ = false;
  bool stop_ = false;
  bool thread_running_ = false;
  std::uint64_t written_ = 0;
  std::uint64_t accepted_ = 0;
  std::uint64_t settled_ = 0;
  int settle_fd_ = -1;
  std::uint64_t dropped_ = 0;
  std::uint64_t failed_ = 0;
  std::optional<Error> last_error_;
  std::thread thread_;
};

}  // namespace lifeline::blackbox
