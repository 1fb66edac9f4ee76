// The rescue capability on the loop: publishes the snapshot (a named 1 s timer, and soon
// after every recorded event), answers the web threads' action requests through the
// agent's control handler, records who did what, and owns the web server.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "agent/event_loop.hpp"
#include "agent/recent_events.hpp"
#include "fault/event.hpp"
#include "rescue/action_queue.hpp"
#include "rescue/app.hpp"
#include "rescue/rescue_config.hpp"
#include "rescue/snapshot.hpp"
#include "rescue/web_server.hpp"

namespace lifeline::rescue {

struct AgentHooks {
  std::function<nlohmann::json()> status;                        // Agent::status_json
  std::function<nlohmann::json(const nlohmann::json&)> control;  // Agent::handle_control
  const RecentEvents* recent = nullptr;                          // the recorder's ring
};

class RescueService {
 public:
  RescueService(EventLoop& loop, const hal::Clock& clock, EventSink& sink, RescueConfig config,
                AgentHooks hooks);
  ~RescueService();
  RescueService(const RescueService&) = delete;
  RescueService& operator=(const RescueService&) = delete;

  // Starts publishing and serving; an error means the page is not available (a fault).
  Status start();
  // Called for every recorded event (on the loop): schedules a publish, counts stops.
  void on_event(const Event& event) noexcept;
  [[nodiscard]] const std::vector<std::string>& urls() const { return urls_; }

  static constexpr std::chrono::milliseconds kActionTimeout{5000};

 private:
  void publish();
  nlohmann::json on_action(const nlohmann::json& request);

  EventLoop& loop_;
  const hal::Clock& clock_;
  EventSink& sink_;
  RescueConfig config_;
  AgentHooks hooks_;
  SnapshotBox snapshots_;
  std::unique_ptr<ActionQueue> actions_;
  EventSource action_source_;
  PeriodicTimer publish_timer_;
  OneshotTimer publish_soon_;
  std::map<std::string, std::uint64_t> stops_by_cause_;
  std::unique_ptr<RescueApp> app_;
  std::unique_ptr<WebServer> server_;
  std::vector<std::string> urls_;
};

}  // namespace lifeline::rescue
