// The last N recorded events kept in memory, so the rescue page can show recent history
// without reading the black box from disk (nothing on the loop may block). A fixed ring:
// after it fills, each event reuses the slot (and string capacity) of the oldest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "fault/event.hpp"

namespace lifeline {

struct RecentEvent {
  std::uint64_t seq = 0;  // 1, 2, ... in this process: "since" for pollers
  std::int64_t realtime_us = 0;
  Event event;
};

class RecentEvents {
 public:
  static constexpr std::size_t kMaxMessageBytes = 512;
  static constexpr std::size_t kMaxFields = 12;
  static constexpr std::size_t kMaxFieldBytes = 256;

  explicit RecentEvents(std::size_t capacity = 50) : ring_(capacity) {}
  // Copies `event`, cut to the bounds above so one huge message cannot grow the ring.
  void add(std::int64_t realtime_us, const Event& event);
  // Oldest first.
  [[nodiscard]] std::vector<RecentEvent> copy() const;
  [[nodiscard]] std::uint64_t last_seq() const { return seq_; }
  [[nodiscard]] std::size_t capacity() const { return ring_.size(); }

 private:
  std::vector<RecentEvent> ring_;
  std::size_t next_ = 0;
  std::uint64_t seq_ = 0;
};

}  // namespace lifeline
