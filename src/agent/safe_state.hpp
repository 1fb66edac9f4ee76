// The safe-state sequence: what lifeline does before it lets the board reset, on
// lockout and on e-stop. Capabilities (the motor stop path first) register a participant
// at start; entering runs them all in order, each one's failure never skipping the next.
#pragma once

#include <string_view>
#include <vector>

#include "fault/event.hpp"

namespace lifeline {

class SafeStateParticipant {
 public:
  virtual ~SafeStateParticipant() = default;
  [[nodiscard]] virtual std::string_view name() const = 0;
  // Must not allocate, log or wait: it writes outputs and returns.
  virtual void enter_safe_state() noexcept = 0;
  // Runs after every participant has acted: bookkeeping that may allocate and record.
  virtual void after_safe_state(std::string_view /*reason*/) {}
};

class SafeState {
 public:
  explicit SafeState(EventSink& sink) : sink_(sink) {}
  void add(SafeStateParticipant& participant) { participants_.push_back(&participant); }
  // Runs every participant first, then records why (recording may allocate; acting not).
  void enter(std::string_view reason);
  [[nodiscard]] bool entered() const { return entered_; }
  [[nodiscard]] std::size_t participants() const { return participants_.size(); }

 private:
  EventSink& sink_;
  std::vector<SafeStateParticipant*> participants_;
  bool entered_ = false;
};

}  // namespace lifeline
