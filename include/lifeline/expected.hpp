// A minimal success-or-error type: C++20 has no std::expected, and every fallible
// operation in lifeline must say *why* it failed (clear errors, never silent failure).
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace lifeline {

struct Error {
  int errno_value = 0;  // 0 when the failure is not a system call's
  std::string message;  // one line a person can act on
};

template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : state_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Expected(Error error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<T>(state_); }
  const T& value() const { return std::get<T>(state_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  [[nodiscard]] const Error& error() const { return std::get<Error>(state_); }

 private:
  std::variant<T, Error> state_;
};

struct Unit {};
using Status = Expected<Unit>;
inline Status ok_status() {
  return Unit{};
}

// Builds an Error from the current errno, naming what was attempted.
Error errno_error(const std::string& what);

}  // namespace lifeline
