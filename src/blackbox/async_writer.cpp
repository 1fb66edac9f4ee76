#include "blackbox/async_writer.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <system_error>
#include <utility>

#include "util/prefault.hpp"

namespace lifeline::blackbox {

namespace {

// The writer's deepest call (encode, write, fsync) touched 12 KiB of its stack in the
// memory benchmark; its largest allocation is one frame (kMaxFrameBytes).
constexpr std::size_t kWriterStackPrefault = std::size_t{64} * 1024;
constexpr std::size_t kWriterHeapWarm = std::size_t{4} * kMaxFrameBytes;

}  // namespace

AsyncWriter::AsyncWriter(std::unique_ptr<Store> store, std::size_t capacity)
    : store_(std::move(store)),
      ring_(std::max<std::size_t>(capacity, 1)),
      kept_slots_(std::make_unique<std::array<KeptRecord, kKeptSlots>>()) {
  batch_.reserve(ring_.size());
  settle_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);  // -1: waiters fall back to deadlines
  thread_running_ = true;
  try {
    thread_ = std::thread([this] { run(); });
  } catch (const std::system_error& error) {
    // Keep the no-exceptions promise: every submit() now counts as a drop and the error
    // reaches the event loop through take_error().
    thread_running_ = false;
    last_error_ = Error{error.code().value(),
                        std::string("cannot start the black box writer thread: ") + error.what()};
  }
}

AsyncWriter::~AsyncWriter() {
  flush();
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  work_ready_.notify_one();
  if (thread_.joinable()) thread_.join();
  if (settle_fd_ >= 0) ::close(settle_fd_);
}

void AsyncWriter::note_drop(std::int64_t realtime_us, std::int64_t monotonic_us,
                            const BootId& boot_id, bool durable) {
  if (pending_drops_.count == 0) {
    pending_drops_.first.realtime_us = realtime_us;
    pending_drops_.first.monotonic_us = monotonic_us;
    pending_drops_.first.boot_id = boot_id;
  }
  ++pending_drops_.count;
  pending_drops_.any_durable = pending_drops_.any_durable || durable;
  ++dropped_;
}

bool AsyncWriter::submit(Record record, bool durable) {
  std::unique_lock lock(mutex_);
  if (!thread_running_ || count_ == ring_.size()) {
    note_drop(record.realtime_us, record.monotonic_us, record.boot_id, durable);
    return false;
  }
  Entry& slot = ring_[(head_ + count_) % ring_.size()];
  slot.record = std::move(record);
  slot.durable = durable;
  slot.kept = -1;
  ++count_;
  ++accepted_;
  lock.unlock();
  work_ready_.notify_one();
  return true;
}

bool AsyncWriter::submit_kept(std::int64_t realtime_us, std::int64_t monotonic_us,
                              const BootId& boot_id, const KeptEvent& event, bool durable) {
  std::unique_lock lock(mutex_);
  const auto* free_slot = std::find(kept_busy_.begin(), kept_busy_.end(), false);
  if (!thread_running_ || count_ == ring_.size() || free_slot == kept_busy_.end()) {
    note_drop(realtime_us, monotonic_us, boot_id, durable);
    return false;
  }
  const auto index = static_cast<std::size_t>(free_slot - kept_busy_.begin());
  KeptRecord& kept = (*kept_slots_)[index];
  kept.stamp = Stamp{0, realtime_us, monotonic_us, boot_id};
  kept.event = event;  // fixed-size arrays: a copy, no allocation
  kept_busy_[index] = true;
  // The ring entry's Record was moved out when the thread last took it: nothing to free.
  Entry& entry = ring_[(head_ + count_) % ring_.size()];
  entry.durable = durable;
  entry.kept = static_cast<int>(index);
  ++count_;
  ++accepted_;
  lock.unlock();
  work_ready_.notify_one();
  return true;
}

void AsyncWriter::flush() {
  std::unique_lock lock(mutex_);
  if (!thread_running_) return;
  const std::uint64_t ticket = ++flush_requested_;
  work_ready_.notify_one();
  flushed_.wait(lock, [&] { return flush_done_ >= ticket; });
}

std::optional<Error> AsyncWriter::take_error() {
  const std::lock_guard lock(mutex_);
  return std::exchange(last_error_, std::nullopt);
}

std::uint64_t AsyncWriter::written() const {
  const std::lock_guard lock(mutex_);
  return written_;
}

std::uint64_t AsyncWriter::accepted() const {
  const std::lock_guard lock(mutex_);
  return accepted_;
}

std::uint64_t AsyncWriter::settled() const {
  const std::lock_guard lock(mutex_);
  return settled_;
}

std::uint64_t AsyncWriter::dropped() const {
  const std::lock_guard lock(mutex_);
  return dropped_;
}

std::uint64_t AsyncWriter::failed() const {
  const std::lock_guard lock(mutex_);
  return failed_;
}

void AsyncWriter::hold_for_testing(bool hold) {
  {
    const std::lock_guard lock(mutex_);
    hold_ = hold;
  }
  work_ready_.notify_one();
}

void AsyncWriter::run() {
  // A memory-guard kill waits for its record to be synced: this thread's first encode of
  // a large record must not be the moment its stack and arena first need fresh pages.
  util::prefault_stack(kWriterStackPrefault);
  util::warm_heap(kWriterHeapWarm);
  std::unique_lock lock(mutex_);
  for (;;) {
    work_ready_.wait(lock, [&] {
      const bool has_work = count_ > 0 || pending_drops_.count > 0;
      return stop_ || flush_requested_ > flush_done_ || (has_work && !hold_);
    });
    const bool flushing = flush_requested_ > flush_done_;

    if (count_ > 0 || pending_drops_.count > 0) {
      for (std::size_t i = 0; i < count_; ++i) {
        batch_.push_back(std::move(ring_[(head_ + i) % ring_.size()]));
      }
      head_ = (head_ + count_) % ring_.size();
      count_ = 0;
      const DropRun drops = std::exchange(pending_drops_, DropRun{});
      lock.unlock();

      std::uint64_t written = 0;
      std::uint64_t failed = 0;
      std::optional<Error> error;
      bool sync_needed = false;
      const auto tally = [&](const Expected<std::uint64_t>& appended, bool counted) {
        if (!appended) error = appended.error();
        if (counted) ++(appended ? written : failed);
      };
      for (Entry& entry : batch_) {
        sync_needed = sync_needed || entry.durable;
        if (entry.kept >= 0) {
          // Slots are only written under the lock while not busy, and this one is busy.
          const KeptRecord& kept = (*kept_slots_)[static_cast<std::size_t>(entry.kept)];
          tally(store_->append(kept, false), true);
        } else {
          tally(store_->append(std::move(entry.record), false), true);
        }
      }
      if (drops.count > 0) {
        Record note = drops.first;
        note.event.kind = EventKind::records_dropped;
        note.event.severity = Severity::warning;
        note.event.message =
            std::to_string(drops.count) + " records dropped: the black box queue was full";
        note.event.fields = {{"count", std::to_string(drops.count)}};
        sync_needed = sync_needed || drops.any_durable;
        tally(store_->append(std::move(note), false), false);
      }
      // One fdatasync covers every durable record of the batch (group commit).
      if (sync_needed) {
        if (auto synced = store_->sync(); !synced) error = synced.error();
      }

      lock.lock();
      for (const Entry& entry : batch_) {
        if (entry.kept >= 0) kept_busy_[static_cast<std::size_t>(entry.kept)] = false;
      }
      batch_.clear();
      written_ += written;
      failed_ += failed;
      settled_ += written + failed;
      if (settle_fd_ >= 0) {
        const std::uint64_t one = 1;
        (void)!::write(settle_fd_, &one, sizeof one);  // a full counter is still readable
      }
      if (error) last_error_ = std::move(error);
      continue;  // look again before syncing for a flush: more may have been queued
    }
    if (flushing) {
      const std::uint64_t ticket = flush_requested_;
      lock.unlock();
      auto synced = store_->sync();
      lock.lock();
      if (!synced) last_error_ = synced.error();
      flush_done_ = ticket;
      flushed_.notify_all();
      continue;
    }
    if (stop_) return;
  }
}

}  // namespace lifeline::blackbox
