#include "rescue/snapshot.hpp"

#include "rescue/metrics.hpp"

namespace lifeline::rescue {

const std::string& Snapshot::status_text() const {
  // Replacement, not an exception, for invalid UTF-8 in a name taken from the system.
  std::call_once(status_once_, [this] {
    status_text_ = status.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  });
  return status_text_;
}

const std::string& Snapshot::metrics_text() const {
  std::call_once(metrics_once_, [this] { metrics_text_ = render_metrics(*this); });
  return metrics_text_;
}

SnapshotBox::SnapshotBox() : current_(std::make_shared<Snapshot>()) {}

void SnapshotBox::publish(std::shared_ptr<const Snapshot> next) {
  std::shared_ptr<const Snapshot> old;
  {
    std::lock_guard lock(mutex_);
    old = std::move(current_);
    current_ = std::move(next);
  }
  // `old` is released here, outside the lock (a reader may still hold it).
}

std::shared_ptr<const Snapshot> SnapshotBox::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

}  // namespace lifeline::rescue
