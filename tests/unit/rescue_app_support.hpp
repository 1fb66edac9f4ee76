// A RescueApp driven in process: a fake clock, a hand-made snapshot, a recorded "loop".
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rescue/app.hpp"
#include "rescue/http_text.hpp"
#include "rescue/password.hpp"
#include "rescue/responses.hpp"

namespace lifeline::rescue::test {

inline const std::string& test_password_hash() {
  static const std::string hash = *hash_password("rescue-me-please");
  return hash;
}

inline nlohmann::json sample_status() {
  return {
      {"state", "degraded"},
      {"board", "sim"},
      {"faults",
       {{{"fault", "estop_active"},
         {"code", 405},
         {"severity", "critical"},
         {"blink", {4, 5}},
         {"detail", "by <b>someone</b>"}}}},
      {"motion",
       {{"state", "stopped"},
        {"cause", "estop"},
        {"reason", "e-stop"},
        {"stops", 2},
        {"app",
         {{"process_watched", true},
          {"process_alive", false},
          {"deaths_total", 3},
          {"crash_loop", false},
          {"unit",
           {{"name", "<script>alert(1)</script>.service"},
            {"active_state", "failed"},
            {"sub_state", "\"><img src=x onerror=alert(2)>"}}}}}}},
      {"watchdog", {{"open", true}, {"timeout_s", 15}, {"pets", 7}, {"last_pet_age_ms", 120}}},
      {"history", {{"boot_count", 4}, {"last_start_reason", "watchdog_reset"}, {"lockout", false}}},
      {"checks", {{{"name", "loop"}, {"passing", true}, {"fresh", true}}}},
      {"blackbox", {{"records_written", 12}, {"records_dropped", 0}}}};
}

class RescueAppTest : public ::testing::Test {
 protected:
  RescueAppTest() { publish(sample_status()); }

  void publish(nlohmann::json status, std::vector<RecentEvent> events = {}) {
    auto snapshot = std::make_shared<Snapshot>();
    snapshot->status = std::move(status);
    snapshot->events = std::move(events);
    snapshot->stops_by_cause = {{"estop", 2}, {"startup", 1}};
    snapshot->published_us = 1'700'000'000'000'000;
    snapshots.publish(std::move(snapshot));
  }

  RescueApp& app() {
    if (!app_) {
      Services services;
      services.act = [this](nlohmann::json request) {
        acted.push_back(request);
        if (request.value("command", "") == "rescue-note") {
          return ActionQueue::Outcome{ActionQueue::Failure::none, {{"ok", true}}};
        }
        return ActionQueue::Outcome{failure, reply};
      };
      services.password_hash = [this]() -> Expected<std::string> { return password_hash; };
      services.api_token = api_token;
      app_ = std::make_unique<RescueApp>(config, clock, snapshots, std::move(services),
                                         RescueApp::allowed_hosts(config));
    }
    return *app_;
  }

  static Request get(const std::string& path, const std::string& query = "") {
    Request request;
    request.method = "GET";
    request.path = path;
    request.query = query;
    request.remote = "10.0.0.7";
    request.host = "127.0.0.1:8080";
    return request;
  }
  static Request post(const std::string& path, const std::string& form) {
    Request request = get(path);
    request.method = "POST";
    request.origin = "http://127.0.0.1:8080";
    request.content_type = "application/x-www-form-urlencoded";
    request.body = form;
    return request;
  }

  // A visitor's anonymous CSRF token, as the page hands it out.
  std::string anon_cookie() {
    const Response page = app().handle(get("/"));
    const std::string* set = page.header("Set-Cookie");
    if (set == nullptr) return {};
    return set->substr(std::string("ll_anon=").size(), 64);
  }

  // Logs in; returns {session token, csrf token}.
  std::pair<std::string, std::string> login() {
    const std::string anon = anon_cookie();
    Request request = post("/login", "csrf=" + anon + "&password=rescue-me-please");
    request.cookie = "ll_anon=" + anon;
    const Response response = app().handle(request);
    EXPECT_EQ(response.status, 303) << response.body;
    const std::string* set = response.header("Set-Cookie");
    if (set == nullptr) return {};
    const std::string token = set->substr(std::string("ll_session=").size(), 64);
    Request page = get("/");
    page.cookie = "ll_session=" + token;
    const std::string body = app().handle(page).body;
    const std::size_t at = body.find("name=\"csrf\" value=\"");
    return {token, at == std::string::npos ? "" : body.substr(at + 19, 64)};
  }

  hal::FakeClock clock;
  RescueConfig config;  // listens on 127.0.0.1:8080 by default
  SnapshotBox snapshots;
  std::vector<nlohmann::json> acted;
  ActionQueue::Failure failure = ActionQueue::Failure::none;
  nlohmann::json reply = {{"ok", true}, {"result", "motors stopped"}};
  std::string password_hash = test_password_hash();
  std::string api_token;

 private:
  std::unique_ptr<RescueApp> app_;
};

}  // namespace lifeline::rescue::test
