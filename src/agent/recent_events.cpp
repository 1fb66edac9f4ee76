#include "agent/recent_events.hpp"

#include <algorithm>

namespace lifeline {

namespace {

void assign_cut(std::string& out, const std::string& text, std::size_t max_bytes) {
  out.assign(text, 0, std::min(text.size(), max_bytes));
}

}  // namespace

void RecentEvents::add(std::int64_t realtime_us, const Event& event) {
  if (ring_.empty()) return;
  RecentEvent& slot = ring_[next_];
  next_ = (next_ + 1) % ring_.size();
  slot.seq = ++seq_;
  slot.realtime_us = realtime_us;
  slot.event.kind = event.kind;
  slot.event.fault = event.fault;
  slot.event.severity = event.severity;
  assign_cut(slot.event.message, event.message, kMaxMessageBytes);
  const std::size_t fields = std::min(event.fields.size(), kMaxFields);
  slot.event.fields.resize(fields);
  for (std::size_t i = 0; i < fields; ++i) {
    assign_cut(slot.event.fields[i].key, event.fields[i].key, kMaxFieldBytes);
    assign_cut(slot.event.fields[i].value, event.fields[i].value, kMaxFieldBytes);
  }
}

std::vector<RecentEvent> RecentEvents::copy() const {
  std::vector<RecentEvent> out;
  // seq_ is 64-bit; the ring's size bounds the result, so it fits a 32-bit size_t too.
  const auto filled = static_cast<std::size_t>(std::min<std::uint64_t>(seq_, ring_.size()));
  out.reserve(filled);
  // The oldest kept event sits at next_ once the ring has wrapped, else at 0.
  const std::size_t start = seq_ > ring_.size() ? next_ : 0;
  for (std::size_t i = 0; i < filled; ++i) out.push_back(ring_[(start + i) % ring_.size()]);
  return out;
}

}  // namespace lifeline
