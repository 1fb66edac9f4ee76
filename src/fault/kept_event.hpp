// An Event built without allocating, for the one path that must not: the memory guard's,
// from its kill decision to the signal (a fresh page there means direct reclaim on a
// starved box). Its text lives in fixed arrays inside the object, so filling it, copying
// it into the black box writer and encoding it touch no allocator; what does not fit is
// cut and truncated() says so. to_event() makes an ordinary Event of it afterwards, off
// that path, for the journal, the console and the page.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "fault/event.hpp"
#include "util/fixed_string.hpp"

namespace lifeline {

class KeptEvent {
 public:
  static constexpr std::size_t kMessageBytes = 512;
  // As many fields as a black box record holds, and room for a full top-RSS snapshot
  // (top_n is at most 32 lines, each a few hundred bytes with its cgroup path).
  static constexpr std::size_t kMaxFields = 32;
  static constexpr std::size_t kFieldTextBytes = std::size_t{12} * 1024;  // keys and values

  // Appends to the value of the field last added.
  class Value {
   public:
    explicit Value(KeptEvent& event) : event_(event) {}
    Value& operator<<(std::string_view text) {
      event_.append_value(text);
      return *this;
    }
    Value& operator<<(const char* text) { return *this << std::string_view(text); }
    template <std::integral Number>
    requires(!std::same_as<Number, char> && !std::same_as<Number, bool>) Value& operator<<(
        Number value) {
      FixedString<24> digits;
      digits.append_number(value);
      return *this << digits.view();
    }

   private:
    KeptEvent& event_;
  };

  KeptEvent() = default;
  KeptEvent(EventKind kind, std::optional<Fault> fault, Severity severity) {
    reset(kind, fault, severity);
  }
  // Empties the event for a new one.
  void reset(EventKind kind, std::optional<Fault> fault, Severity severity);

  FixedString<kMessageBytes>& message() { return message_; }
  // Adds a field with an empty value and returns where its value is written. A field past
  // kMaxFields, or a key that does not fit, is dropped whole (and counted as truncated).
  Value field(std::string_view key);
  template <typename V>
  void field(std::string_view key, const V& value) {
    field(key) << value;
  }

  [[nodiscard]] EventKind kind() const { return kind_; }
  [[nodiscard]] std::optional<Fault> fault() const { return fault_; }
  [[nodiscard]] Severity severity() const { return severity_; }
  [[nodiscard]] std::string_view message_text() const { return message_.view(); }
  [[nodiscard]] std::size_t field_count() const { return count_; }
  [[nodiscard]] std::string_view key(std::size_t i) const;
  [[nodiscard]] std::string_view value(std::size_t i) const;
  // The value of the first field named `key`; "" when there is none.
  [[nodiscard]] std::string_view find(std::string_view key) const;
  // Something did not fit: the message, a value, or a whole field.
  [[nodiscard]] bool truncated() const { return truncated_ || message_.truncated(); }

  // The same event as an ordinary Event (allocates: not for the path this is made for).
  [[nodiscard]] Event to_event() const;

 private:
  struct Span {
    std::uint16_t key_at = 0;
    std::uint16_t key_size = 0;
    std::uint16_t value_at = 0;
    std::uint16_t value_size = 0;
  };
  void append_value(std::string_view text);

  EventKind kind_ = EventKind::agent_started;
  std::optional<Fault> fault_;
  Severity severity_ = Severity::info;
  FixedString<kMessageBytes> message_;
  std::array<char, kFieldTextBytes> text_{};
  std::size_t used_ = 0;
  std::array<Span, kMaxFields> spans_{};
  std::size_t count_ = 0;
  bool truncated_ = false;
  bool last_dropped_ = false;  // the field last asked for did not fit: its value goes nowhere
};

}  // namespace lifeline
