#include "rescue/action_queue.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace lifeline::rescue {

Expected<std::unique_ptr<ActionQueue>> ActionQueue::create(std::size_t capacity) {
  const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return errno_error("eventfd");
  return std::unique_ptr<ActionQueue>(new ActionQueue(fd, capacity));
}

ActionQueue::~ActionQueue() {
  close();
  ::close(fd_);
}

ActionQueue::Outcome ActionQueue::call(nlohmann::json request, std::chrono::milliseconds timeout) {
  auto pending = std::make_shared<Call>();
  pending->request = std::move(request);
  std::unique_lock lock(mutex_);
  if (closed_) return {Failure::closed, {}};
  if (waiting_.size() >= capacity_) return {Failure::full, {}};
  waiting_.push_back(pending);
  const std::uint64_t one = 1;
  // A full counter (EAGAIN) still leaves the fd readable: the loop wakes either way.
  (void)::write(fd_, &one, sizeof one);
  const bool answered = answered_.wait_for(lock, timeout, [&] { return pending->done || closed_; });
  if (pending->done) return {Failure::none, std::move(pending->reply)};
  // Not taken yet: withdraw it, so a late loop does not act on a request nobody awaits.
  std::erase(waiting_, pending);
  return {answered ? Failure::closed : Failure::timed_out, {}};
}

void ActionQueue::drain(const std::function<nlohmann::json(const nlohmann::json&)>& handler) {
  std::uint64_t count = 0;
  (void)::read(fd_, &count, sizeof count);
  for (;;) {
    std::shared_ptr<Call> next;
    {
      std::lock_guard lock(mutex_);
      if (waiting_.empty()) return;
      next = waiting_.front();
      waiting_.pop_front();
    }
    // The handler runs without the lock: it is the agent's own code on its own thread.
    nlohmann::json reply = handler(next->request);
    {
      std::lock_guard lock(mutex_);
      next->reply = std::move(reply);
      next->done = true;
    }
    answered_.notify_all();
  }
}

void ActionQueue::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    waiting_.clear();
  }
  answered_.notify_all();
}

}  // namespace lifeline::rescue
