#include "fault/kept_event.hpp"

#include <algorithm>
#include <cstring>
#include <string>

namespace lifeline {

void KeptEvent::reset(EventKind kind, std::optional<Fault> fault, Severity severity) {
  kind_ = kind;
  fault_ = fault;
  severity_ = severity;
  message_.clear();
  used_ = 0;
  count_ = 0;
  truncated_ = false;
  last_dropped_ = false;
}

KeptEvent::Value KeptEvent::field(std::string_view key) {
  if (count_ == kMaxFields || key.size() > kFieldTextBytes - used_) {
    truncated_ = true;
    last_dropped_ = true;
    return Value(*this);
  }
  if (!key.empty()) std::memcpy(text_.data() + used_, key.data(), key.size());
  Span& span = spans_[count_++];
  span.key_at = static_cast<std::uint16_t>(used_);
  span.key_size = static_cast<std::uint16_t>(key.size());
  used_ += key.size();
  span.value_at = static_cast<std::uint16_t>(used_);
  span.value_size = 0;
  last_dropped_ = false;
  return Value(*this);
}

void KeptEvent::append_value(std::string_view text) {
  if (last_dropped_ || count_ == 0) return;
  const std::size_t take = std::min(text.size(), kFieldTextBytes - used_);
  if (take > 0) std::memcpy(text_.data() + used_, text.data(), take);
  used_ += take;
  spans_[count_ - 1].value_size = static_cast<std::uint16_t>(spans_[count_ - 1].value_size + take);
  truncated_ = truncated_ || take < text.size();
}

std::string_view KeptEvent::key(std::size_t i) const {
  if (i >= count_) return {};
  return {text_.data() + spans_[i].key_at, spans_[i].key_size};
}

std::string_view KeptEvent::value(std::size_t i) const {
  if (i >= count_) return {};
  return {text_.data() + spans_[i].value_at, spans_[i].value_size};
}

std::string_view KeptEvent::find(std::string_view wanted) const {
  for (std::size_t i = 0; i < count_; ++i) {
    if (key(i) == wanted) return value(i);
  }
  return {};
}

Event KeptEvent::to_event() const {
  Event event{kind_, fault_, severity_, message_.str(), {}};
  event.fields.reserve(count_);
  for (std::size_t i = 0; i < count_; ++i) {
    event.fields.push_back({std::string(key(i)), std::string(value(i))});
  }
  return event;
}

}  // namespace lifeline

namespace lifeline {

void EventSink::record_kept(const KeptEvent& event) {
  record(event.to_event());
}

}  // namespace lifeline
