// What the web threads read: an immutable copy of the agent's state, published by the loop
// (once a second and soon after every recorded event) and swapped in whole. The page, the
// JSON API and /metrics all render from the same snapshot; the renderings are made once
// per snapshot, by the first request that needs them, and shared after that.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/recent_events.hpp"

namespace lifeline::rescue {

struct Snapshot {
  nlohmann::json status;            // Agent::status_json(): the single source of truth
  std::vector<RecentEvent> events;  // oldest first, at most 50
  std::map<std::string, std::uint64_t> stops_by_cause;  // since this lifeline started
  std::int64_t published_us = 0;                        // CLOCK_REALTIME

  // Renderings, made at most once per snapshot (by whichever thread asks first).
  [[nodiscard]] const std::string& status_text() const;
  [[nodiscard]] const std::string& metrics_text() const;

 private:
  mutable std::once_flag status_once_;
  mutable std::string status_text_;
  mutable std::once_flag metrics_once_;
  mutable std::string metrics_text_;
};

class SnapshotBox {
 public:
  SnapshotBox();
  void publish(std::shared_ptr<const Snapshot> next);
  [[nodiscard]] std::shared_ptr<const Snapshot> current() const;

 private:
  mutable std::mutex mutex_;  // held only to copy or swap one pointer
  std::shared_ptr<const Snapshot> current_;
};

}  // namespace lifeline::rescue
