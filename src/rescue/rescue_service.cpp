#include "rescue/rescue_service.hpp"

#include <sys/epoll.h>

#include <fstream>

#include "rescue/password.hpp"

namespace lifeline::rescue {

namespace {

std::string read_token(const std::string& path) {
  if (path.empty()) return {};
  std::ifstream in(path);
  std::string token;
  std::getline(in, token);
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  return token;
}

std::int64_t micros(hal::WallTime time) {
  return std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
}

}  // namespace

RescueService::RescueService(EventLoop& loop, const hal::Clock& clock, EventSink& sink,
                             RescueConfig config, AgentHooks hooks)
    : loop_(loop),
      clock_(clock),
      sink_(sink),
      config_(std::move(config)),
      hooks_(std::move(hooks)) {}

RescueService::~RescueService() {
  // Waiting web threads are released first, so stopping CivetWeb does not wait for them.
  if (actions_) actions_->close();
  server_.reset();
}

Status RescueService::start() {
  auto queue = ActionQueue::create(8);
  if (!queue) return queue.error();
  actions_ = std::move(*queue);
  auto source = loop_.add_io("rescue-actions", actions_->fd(), EPOLLIN, [this](std::uint32_t) {
    actions_->drain([this](const nlohmann::json& request) { return on_action(request); });
  });
  if (!source) return source.error();
  action_source_ = std::move(*source);
  if (auto prepared =
          loop_.prepare_oneshot(publish_soon_, "rescue-publish-soon", [this] { publish(); });
      !prepared) {
    return prepared;
  }
  publish();  // the first requests must not see an empty snapshot
  if (auto started = loop_.start_periodic(publish_timer_, "rescue-publish", std::chrono::seconds(1),
                                          [this] { publish(); });
      !started) {
    return started;
  }
  Services services;
  services.act = [this](nlohmann::json request) {
    return actions_->call(std::move(request), kActionTimeout);
  };
  const std::string password_file = config_.password_file;
  services.password_hash = [password_file] { return read_password_hash(password_file); };
  services.api_token = read_token(config_.api_token_file);
  app_ = std::make_unique<RescueApp>(config_, clock_, snapshots_, std::move(services),
                                     RescueApp::allowed_hosts(config_));
  server_ = std::make_unique<WebServer>(*app_);
  if (auto started = server_->start(config_); !started) {
    server_.reset();
    return started;
  }
  urls_ = server_->urls();
  std::string urls;
  for (const auto& url : urls_) urls += (urls.empty() ? "" : " ") + url;
  sink_.record(Event{EventKind::rescue_started,
                     std::nullopt,
                     Severity::info,
                     "rescue page at " + urls,
                     {{"urls", urls},
                      {"tls", config_.tls_certificate.empty() ? "no" : "yes"},
                      {"threads", std::to_string(config_.threads)}}});
  return ok_status();
}

void RescueService::on_event(const Event& event) noexcept {
  if (event.kind == EventKind::motors_stopped) {
    for (const auto& field : event.fields) {
      if (field.key == "cause") {
        try {
          stops_by_cause_[field.value] += 1;
        } catch (...) {  // counting must never disturb recording
        }
      }
    }
  }
  if (publish_soon_.prepared() && !publish_soon_.armed()) {
    publish_soon_.arm_after(std::chrono::microseconds(0));
  }
}

void RescueService::publish() {
  auto next = std::make_shared<Snapshot>();
  next->status = hooks_.status();
  if (hooks_.recent != nullptr) next->events = hooks_.recent->copy();
  next->stops_by_cause = stops_by_cause_;
  next->published_us = micros(clock_.wall_now());
  snapshots_.publish(std::move(next));
}

nlohmann::json RescueService::on_action(const nlohmann::json& request) {
  const std::string command = request.value("command", "");
  const std::string who = request.value("by", std::string("rescue page"));
  if (command == "rescue-note") {
    sink_.record(Event{EventKind::rescue_login,
                       std::nullopt,
                       Severity::info,
                       request.value("what", std::string()) + " by " + who + ": " +
                           request.value("result", std::string()),
                       {{"by", who}, {"result", request.value("result", std::string())}}});
    return {{"ok", true}};
  }
  nlohmann::json reply = hooks_.control(request);
  const bool ok = reply.value("ok", false);
  std::string result = reply.contains("result") && reply["result"].is_string()
                           ? reply["result"].get<std::string>()
                           : reply.value("error", std::string(ok ? "done" : "failed"));
  sink_.record(
      Event{EventKind::rescue_action,
            std::nullopt,
            ok ? Severity::info : Severity::warning,
            command + " requested by " + who + ": " + result,
            {{"action", command}, {"by", who}, {"ok", ok ? "yes" : "no"}, {"result", result}}});
  publish();  // the answer's page must already show the action's effect
  return reply;
}

}  // namespace lifeline::rescue
