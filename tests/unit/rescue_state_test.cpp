// What the rescue server reads: the recent-events ring, the snapshot's renderings (events
// API, metrics), the action queue between web threads and the loop, and [rescue] config.
#include <gtest/gtest.h>

#include <poll.h>

#include <algorithm>
#include <thread>

#include "agent/recent_events.hpp"
#include "config_test_support.hpp"
#include "rescue/action_queue.hpp"
#include "rescue/escape.hpp"
#include "rescue/metrics.hpp"
#include "rescue/web_server.hpp"
#include "rescue_app_support.hpp"

namespace lifeline::rescue {
namespace {

using namespace std::chrono_literals;

Event event_with(const std::string& message) {
  return Event{EventKind::motors_stopped,
               Fault::estop_active,
               Severity::critical,
               message,
               {{"cause", "estop"}}};
}

TEST(RescueRecentEvents, KeepsTheLastNOldestFirstWithSeq) {
  RecentEvents ring(3);
  EXPECT_TRUE(ring.copy().empty());
  for (int i = 1; i <= 5; ++i) ring.add(i, event_with("e" + std::to_string(i)));
  const auto events = ring.copy();
  ASSERT_EQ(events.size(), 3U);
  EXPECT_EQ(events[0].seq, 3U);
  EXPECT_EQ(events[0].event.message, "e3");
  EXPECT_EQ(events[2].seq, 5U);
  EXPECT_EQ(events[2].realtime_us, 5);
  EXPECT_EQ(ring.last_seq(), 5U);
}

TEST(RescueRecentEvents, HugeEventsAreCutToBounds) {
  RecentEvents ring(2);
  Event huge = event_with(std::string(100000, 'x'));
  huge.fields.assign(100, EventField{std::string(1000, 'k'), std::string(1000, 'v')});
  ring.add(1, huge);
  const auto kept = ring.copy().at(0);
  EXPECT_EQ(kept.event.message.size(), RecentEvents::kMaxMessageBytes);
  EXPECT_EQ(kept.event.fields.size(), RecentEvents::kMaxFields);
  EXPECT_EQ(kept.event.fields[0].value.size(), RecentEvents::kMaxFieldBytes);
}

class RescueEventsApi : public test::RescueAppTest {
 protected:
  void SetUp() override {
    RecentEvents ring(50);
    for (int i = 1; i <= 60; ++i) ring.add(i, event_with("event " + std::to_string(i)));
    publish(test::sample_status(), ring.copy());
  }
};

TEST_F(RescueEventsApi, ReturnsTheLastFiftyWithSeqAndFields) {
  const Response response = app().handle(get("/api/v1/events"));
  ASSERT_EQ(response.status, 200);
  const auto body = nlohmann::json::parse(response.body);
  ASSERT_EQ(body["events"].size(), 50U);
  EXPECT_EQ(body["events"][0]["seq"], 11);
  EXPECT_EQ(body["events"][49]["message"], "event 60");
  EXPECT_EQ(body["events"][49]["kind"], "motors_stopped");
  EXPECT_EQ(body["events"][49]["fault"], "estop_active");
  EXPECT_EQ(body["events"][49]["fault_code"], 405);
  EXPECT_EQ(body["events"][49]["fields"]["cause"], "estop");
  EXPECT_EQ(body["last_seq"], 60);
}

TEST_F(RescueEventsApi, SinceAndLimitSelectTheNewest) {
  auto body = nlohmann::json::parse(app().handle(get("/api/v1/events", "since=55&limit=3")).body);
  ASSERT_EQ(body["events"].size(), 3U);
  EXPECT_EQ(body["events"][0]["seq"], 58);
  EXPECT_EQ(body["events"][2]["seq"], 60);
  body = nlohmann::json::parse(app().handle(get("/api/v1/events", "since=60")).body);
  EXPECT_TRUE(body["events"].empty());
  for (const char* bad : {"since=-1", "since=x", "limit=0", "limit=51", "limit=%00", "since=1e3"}) {
    EXPECT_EQ(app().handle(get("/api/v1/events", bad)).status, 400) << bad;
  }
}

TEST_F(RescueEventsApi, MetricsComeFromTheSnapshotWithEveryFaultCode) {
  const Response response = app().handle(get("/metrics"));
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = response.body;
  EXPECT_NE(text.find("# TYPE lifeline_up gauge\nlifeline_up 1\n"), std::string::npos);
  EXPECT_NE(text.find("lifeline_state{state=\"degraded\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("lifeline_fault_active{code=\"405\",fault=\"estop_active\",severity="
                      "\"critical\"} 1\n"),
            std::string::npos);
  for (const auto& info : kFaultTable) {
    EXPECT_NE(text.find("code=\"" + std::to_string(fault_code(info.fault)) + "\""),
              std::string::npos)
        << info.name;
  }
  EXPECT_NE(text.find("lifeline_motor_stops_total{cause=\"estop\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("lifeline_motor_stops_total{cause=\"app_dead\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("lifeline_motors_armed 0\n"), std::string::npos);
  EXPECT_NE(text.find("lifeline_app_deaths_total 3\n"), std::string::npos);
  EXPECT_NE(text.find("lifeline_watchdog_timeout_seconds 15\n"), std::string::npos);
  EXPECT_NE(text.find("lifeline_watchdog_last_pet_age_seconds 0.12\n"), std::string::npos);
  EXPECT_NE(text.find("lifeline_boots 4\n"), std::string::npos);
  EXPECT_NE(text.find("lifeline_blackbox_records_total 12\n"), std::string::npos);
  // Rendered once per snapshot: the same bytes, the same buffer.
  EXPECT_EQ(&snapshots.current()->metrics_text(), &snapshots.current()->metrics_text());
}

nlohmann::json memory_status() {
  return {{"mem_total_bytes", 4294967296},
          {"mem_available_bytes", 1073741824},
          {"swap_total_bytes", 0},
          {"swap_free_bytes", 0},
          {"psi", {{"some_avg10", 12.5}, {"full_avg10", 3.0}}},
          {"domains", {{{"name", "system"}, {"level", "warn"}, {"leak", true}, {"eta_s", 90}}}},
          {"top", {{{"comm", "<svg onload=x>"}, {"rss_kb", 900000}}}},
          {"kills", {{"lifeline", 1}, {"kernel_logged", 2}, {"kernel_unlogged", 0}}},
          {"ssh", {{"reachable", false}, {"address", "127.0.0.1:22"}, {"restarts", 1}}}};
}

TEST(RescueMetrics, MemoryPartWhenTheGuardPublishesOne) {
  Snapshot snapshot;
  snapshot.status = {{"state", "degraded"}, {"memory", memory_status()}};
  const std::string text = render_metrics(snapshot);
  EXPECT_NE(text.find("lifeline_memory_available_bytes 1073741824\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lifeline_memory_pressure_avg10_ratio{kind=\"some\"} 0.125\n"),
            std::string::npos);
  EXPECT_NE(text.find("lifeline_memory_leak_eta_seconds{domain=\"system\"} 90\n"),
            std::string::npos);
  EXPECT_NE(text.find("lifeline_oom_kills_total{by=\"kernel\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("lifeline_oom_kills_total{by=\"lifeline\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("lifeline_ssh_up 0\n"), std::string::npos);
}

TEST_F(RescueEventsApi, PageShowsMemoryAndSshWithProcessNamesEscaped) {
  nlohmann::json status = test::sample_status();
  status["memory"] = memory_status();
  publish(status);
  const std::string body = app().handle(get("/")).body;
  EXPECT_NE(body.find("<td id=\"mem-available\">1024 MiB of 4096 MiB</td>"), std::string::npos);
  EXPECT_NE(body.find("some 12.50 %, full 3.00 %"), std::string::npos);
  EXPECT_NE(body.find("warn, growing, full in 90 s"), std::string::npos);
  EXPECT_NE(body.find("kernel 2, lifeline 1"), std::string::npos);
  EXPECT_NE(body.find("&lt;svg onload=x&gt; 900000 KiB"), std::string::npos);
  EXPECT_EQ(body.find("<svg"), std::string::npos);
  EXPECT_NE(body.find("<td id=\"ssh\">NOT answering</td>"), std::string::npos);
}

TEST(RescueMetrics, LabelValuesAreEscaped) {
  std::string out;
  append_label_value(out, "a\"b\\c\nd\x01");
  EXPECT_EQ(out, "a\\\"b\\\\c\\nd?");
  Snapshot snapshot;
  snapshot.status = {{"state", "healthy"},
                     {"checks", {{{"name", "x\"}\nlifeline_up 0"}, {"passing", true}}}}};
  const std::string text = render_metrics(snapshot);
  EXPECT_EQ(text.find("\nlifeline_up 0"), std::string::npos);
  EXPECT_NE(text.find("check=\"x\\\"}\\nlifeline_up 0\""), std::string::npos);
}

TEST(RescueActionQueue, TheLoopAnswersAWaitingWebThread) {
  auto queue = ActionQueue::create(2);
  ASSERT_TRUE(queue.ok());
  ActionQueue::Outcome outcome;
  std::thread web([&] { outcome = (*queue)->call({{"command", "estop"}}, 5s); });
  // The loop's side: drain once the eventfd says something waits.
  bool answered = false;
  for (int i = 0; i < 500 && !answered; ++i) {
    (*queue)->drain([&](const nlohmann::json& request) {
      answered = true;
      return nlohmann::json{{"ok", true}, {"echo", request["command"]}};
    });
    std::this_thread::sleep_for(10ms);
  }
  web.join();
  EXPECT_EQ(outcome.failure, ActionQueue::Failure::none);
  EXPECT_EQ(outcome.reply["echo"], "estop");
}

TEST(RescueActionQueue, NoAnswerTimesOutAndIsWithdrawn) {
  auto queue = ActionQueue::create(2);
  ASSERT_TRUE(queue.ok());
  const auto outcome = (*queue)->call({{"command", "estop"}}, 20ms);
  EXPECT_EQ(outcome.failure, ActionQueue::Failure::timed_out);
  bool ran = false;
  (*queue)->drain([&](const nlohmann::json&) {
    ran = true;
    return nlohmann::json{};
  });
  EXPECT_FALSE(ran);  // a late loop does not act on a request nobody awaits
}

TEST(RescueActionQueue, FullAndClosedFailAtOnce) {
  auto queue = ActionQueue::create(1);
  ASSERT_TRUE(queue.ok());
  std::thread first([&] { (void)(*queue)->call({{"n", 1}}, 5s); });
  pollfd waiting{(*queue)->fd(), POLLIN, 0};  // readable once the first call is queued
  ASSERT_EQ(::poll(&waiting, 1, 5000), 1);
  EXPECT_EQ((*queue)->call({{"n", 2}}, 5s).failure, ActionQueue::Failure::full);
  (*queue)->close();  // releases `first` well before its 5 s
  first.join();
  EXPECT_EQ((*queue)->call({{"n", 3}}, 5s).failure, ActionQueue::Failure::closed);
}

TEST(RescueConfig, DefaultsAndEveryKeyRead) {
  const auto defaults = lifeline::test::parse("");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->rescue, RescueConfig{});
  EXPECT_FALSE(defaults->rescue.enabled);
  EXPECT_EQ(defaults->rescue.listen, std::vector<std::string>{"127.0.0.1:8080"});
  const auto config = lifeline::test::parse(R"([rescue]
enabled = true
listen = ["127.0.0.1:0", "192.168.1.50:8443"]
hostnames = ["robot.local"]
password_file = "/var/lib/lifeline/pw"
api_token_file = "/etc/lifeline/token"
estop_without_login = false
public_status = false
session_idle_min = 5
session_lifetime_min = 60
login_attempts = 3
login_backoff_s = 10
threads = 4
request_timeout_ms = 2000
)");
  ASSERT_TRUE(config.ok()) << config.error().message;
  const RescueConfig& r = config->rescue;
  EXPECT_TRUE(r.enabled);
  EXPECT_EQ(r.listen.size(), 2U);
  EXPECT_EQ(r.hostnames, std::vector<std::string>{"robot.local"});
  EXPECT_EQ(r.tls_certificate, "");
  EXPECT_EQ(r.password_file, "/var/lib/lifeline/pw");
  EXPECT_EQ(r.api_token_file, "/etc/lifeline/token");
  EXPECT_FALSE(r.estop_without_login);
  EXPECT_FALSE(r.public_status);
  EXPECT_EQ(r.session_idle, 5min);
  EXPECT_EQ(r.session_lifetime, 60min);
  EXPECT_EQ(r.login_attempts, 3);
  EXPECT_EQ(r.login_backoff, 10s);
  EXPECT_EQ(r.threads, 4);
  EXPECT_EQ(r.request_timeout, 2000ms);
}

TEST(RescueConfig, BadValuesAreReportedWithTheirPlace) {
  const std::string report = lifeline::test::errors(R"([rescue]
listen = ["localhost:80"]
hostnames = ["<evil>"]
threads = 8
tls_certificate = "relative.pem"
)");
  EXPECT_NE(report.find(":2:11: [rescue] listen: expected an array of \"IPv4:PORT\""),
            std::string::npos)
      << report;
  EXPECT_NE(report.find(":3:14: [rescue] hostnames:"), std::string::npos) << report;
  EXPECT_NE(report.find("[rescue] threads: expected an integer from 2 to 4"), std::string::npos)
      << report;
  EXPECT_NE(report.find("[rescue] tls_certificate:"), std::string::npos) << report;
  EXPECT_NE(lifeline::test::errors("[rescue]\nlisten = []\n").find("listen"), std::string::npos);
}

TEST(RescueConfig, TlsCertificateIsAnAbsolutePathOrEmpty) {
  const auto config =
      lifeline::test::parse("[rescue]\ntls_certificate = \"/etc/lifeline/rescue.pem\"\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->rescue.tls_certificate, "/etc/lifeline/rescue.pem");
  const std::string report = lifeline::test::errors("[rescue]\ntls_certificate = \"rescue.pem\"\n");
  EXPECT_NE(report.find(":2:19: [rescue] tls_certificate: expected an absolute path"),
            std::string::npos)
      << report;
  EXPECT_TRUE(lifeline::test::parse("[rescue]\ntls_certificate = \"\"\n").ok());
}

TEST(RescueConfig, AllInterfacesOnlyWhenWrittenAndThenWarned) {
  const auto config = lifeline::test::parse("[rescue]\nlisten = [\"0.0.0.0:8080\"]\n");
  ASSERT_TRUE(config.ok());
  ASSERT_EQ(config->warnings.size(), 1U);
  EXPECT_NE(config->warnings[0].find("every interface"), std::string::npos);
}

TEST(RescueServerOptions, HardenedCivetWebSettings) {
  RescueConfig config;
  config.listen = {"127.0.0.1:8080", "10.0.0.2:80"};
  config.threads = 3;
  const auto options = civetweb_options(config);
  const auto value = [&](const std::string& key) -> std::string {
    for (std::size_t i = 0; i + 1 < options.size(); i += 2) {
      if (options[i] == key) return options[i + 1];
    }
    return "<absent>";
  };
  EXPECT_EQ(value("listening_ports"), "127.0.0.1:8080,10.0.0.2:80");
  EXPECT_EQ(value("num_threads"), "3");
  EXPECT_EQ(value("enable_directory_listing"), "no");
  EXPECT_EQ(value("document_root"), "<absent>");  // no file is ever served
  EXPECT_EQ(value("request_timeout_ms"), "5000");
  EXPECT_EQ(value("max_request_size"), "8192");
  EXPECT_EQ(value("ssl_certificate"), "<absent>");
  config.tls_certificate = "/etc/lifeline/rescue.pem";
  const auto tls_options = civetweb_options(config);
  EXPECT_EQ(tls_options[1], "127.0.0.1:8080s,10.0.0.2:80s");  // every port HTTPS only
  EXPECT_EQ(std::find(tls_options.begin(), tls_options.end(), "ssl_certificate")[1],
            "/etc/lifeline/rescue.pem");
}

}  // namespace
}  // namespace lifeline::rescue
