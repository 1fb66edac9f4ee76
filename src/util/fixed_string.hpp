// Text with a fixed capacity inside the object: assigning, appending and copying never
// allocate. For the paths that must not (the memory guard's kill): what does not fit is
// cut, and truncated() says so, so a caller that must not act on a cut value can tell.
#pragma once

#include <algorithm>
#include <charconv>
#include <concepts>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace lifeline {

template <std::size_t Capacity>
class FixedString {
 public:
  static_assert(Capacity > 0);
  static constexpr std::size_t kCapacity = Capacity;

  FixedString() = default;
  FixedString(std::string_view text) { assign(text); }  // NOLINT: reads like a string

  FixedString& operator=(std::string_view text) {
    assign(text);
    return *this;
  }
  void assign(std::string_view text) {
    size_ = 0;
    truncated_ = false;
    append(text);
  }
  void clear() { assign({}); }

  FixedString& append(std::string_view text) {
    const std::size_t room = Capacity - size_;
    const std::size_t take = std::min(room, text.size());
    if (take > 0) std::memcpy(data_ + size_, text.data(), take);
    size_ += take;
    truncated_ = truncated_ || take < text.size();
    data_[size_] = '\0';
    return *this;
  }
  template <std::integral Number>
  FixedString& append_number(Number value) {
    char digits[24];
    const auto result = std::to_chars(digits, digits + sizeof digits, value);
    return append(std::string_view(digits, static_cast<std::size_t>(result.ptr - digits)));
  }
  FixedString& operator<<(std::string_view text) { return append(text); }
  FixedString& operator<<(const char* text) { return append(text); }
  FixedString& operator<<(char c) { return append(std::string_view(&c, 1)); }
  template <std::integral Number>
  requires(!std::same_as<Number, char> && !std::same_as<Number, bool>) FixedString& operator<<(
      Number value) {
    return append_number(value);
  }

  // Writes up to Capacity bytes straight into the buffer (read(), readlink()), then says
  // how many were written; a full buffer counts as truncated (there may have been more).
  char* writable() { return data_; }
  void set_size(std::size_t size) {
    size_ = std::min(size, Capacity);
    truncated_ = size >= Capacity;
    data_[size_] = '\0';
  }
  // The text is known to be incomplete (its source was cut before it got here).
  void mark_truncated() { truncated_ = true; }
  void pop_back() {
    if (size_ > 0) data_[--size_] = '\0';
  }

  [[nodiscard]] std::string_view view() const { return {data_, size_}; }
  operator std::string_view() const { return view(); }  // NOLINT: reads like a string
  [[nodiscard]] std::string str() const { return std::string(view()); }
  [[nodiscard]] const char* c_str() const { return data_; }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] bool truncated() const { return truncated_; }
  [[nodiscard]] char back() const { return size_ > 0 ? data_[size_ - 1] : '\0'; }

  friend bool operator==(const FixedString& a, std::string_view b) { return a.view() == b; }
  friend bool operator==(const FixedString& a, const FixedString& b) {
    return a.view() == b.view();
  }

 private:
  char data_[Capacity + 1] = {};
  std::size_t size_ = 0;
  bool truncated_ = false;
};

}  // namespace lifeline
