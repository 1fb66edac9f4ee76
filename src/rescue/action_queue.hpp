// How a web thread asks the loop to act: a bounded queue behind an eventfd the loop
// watches. The web thread waits (bounded) for the loop's reply; the loop runs the request
// through the same Agent::handle_control the control socket uses. Nothing here lets a web
// thread touch the agent's state.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include <nlohmann/json.hpp>

#include "lifeline/expected.hpp"

namespace lifeline::rescue {

class ActionQueue {
 public:
  static Expected<std::unique_ptr<ActionQueue>> create(std::size_t capacity);
  ~ActionQueue();
  ActionQueue(const ActionQueue&) = delete;
  ActionQueue& operator=(const ActionQueue&) = delete;

  [[nodiscard]] int fd() const { return fd_; }  // readable when requests wait

  enum class Failure { none, full, timed_out, closed };
  struct Outcome {
    Failure failure = Failure::none;
    nlohmann::json reply;  // set when failure == none
  };
  // Web thread: queues `request` and waits up to `timeout` for the loop's reply.
  Outcome call(nlohmann::json request, std::chrono::milliseconds timeout);

  // Loop thread: answers every waiting request with `handler`.
  void drain(const std::function<nlohmann::json(const nlohmann::json&)>& handler);

  // Fails every waiting and future call at once (shutdown: the loop will not answer).
  void close();

 private:
  struct Call {
    nlohmann::json request;
    nlohmann::json reply;
    bool done = false;
  };
  ActionQueue(int fd, std::size_t capacity) : fd_(fd), capacity_(capacity) {}
  int fd_;
  std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable answered_;
  std::deque<std::shared_ptr<Call>> waiting_;
  bool closed_ = false;
};

}  // namespace lifeline::rescue
