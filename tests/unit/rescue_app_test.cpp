// The rescue handlers with an in-process request object: routes and status codes, the
// Host/Origin checks, CSRF, sessions, the no-password state and escaping.
#include <gtest/gtest.h>

#include "rescue/page.hpp"
#include "rescue_app_support.hpp"

namespace lifeline::rescue {
namespace {

using test::RescueAppTest;
using namespace std::chrono_literals;

TEST_F(RescueAppTest, StatusIsTheSnapshotsJson) {
  const Response response = app().handle(get("/api/v1/status"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(nlohmann::json::parse(response.body), test::sample_status());
  EXPECT_NE(response.header("Content-Security-Policy"), nullptr);
  EXPECT_EQ(*response.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(*response.header("Cache-Control"), "no-store");
  EXPECT_EQ(*response.header("Referrer-Policy"), "same-origin");
}

TEST_F(RescueAppTest, UnknownPathsAndMethodsAreRefused) {
  EXPECT_EQ(app().handle(get("/etc/passwd")).status, 404);
  EXPECT_EQ(app().handle(get("/api/v1/shutdown")).status, 404);
  const Response get_estop = app().handle(get("/api/v1/estop"));
  EXPECT_EQ(get_estop.status, 405);
  EXPECT_EQ(*get_estop.header("Allow"), "POST");
  Request put = get("/");
  put.method = "PUT";
  EXPECT_EQ(app().handle(put).status, 405);
  EXPECT_TRUE(acted.empty());  // GET never changes state
}

TEST_F(RescueAppTest, AForeignHostNameIsMisdirected) {
  Request request = get("/api/v1/status");
  request.host = "attacker.example:8080";  // DNS rebinding to the robot's address
  EXPECT_EQ(app().handle(request).status, 421);
  request.host = "";
  EXPECT_EQ(app().handle(request).status, 421);
  request.host = "localhost:8080";
  EXPECT_EQ(app().handle(request).status, 200);
}

TEST_F(RescueAppTest, ConfiguredHostnamesAreAccepted) {
  config.hostnames = {"Robot.local"};
  Request request = get("/api/v1/status");
  request.host = "robot.local:8080";
  EXPECT_EQ(app().handle(request).status, 200);
}

TEST_F(RescueAppTest, PageEscapesNamesFromTheSystem) {
  const Response page = app().handle(get("/"));
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(page.body.find("<script>alert"), std::string::npos);
  EXPECT_EQ(page.body.find("<img"), std::string::npos);
  EXPECT_EQ(page.body.find("<b>someone"), std::string::npos);
  EXPECT_NE(page.body.find("&lt;script&gt;alert(1)&lt;/script&gt;.service"), std::string::npos);
  EXPECT_NE(page.body.find("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"), std::string::npos);
  // Every inline part carries this response's nonce, and the CSP names it.
  const std::string csp = *page.header("Content-Security-Policy");
  const std::size_t at = csp.find("'nonce-");
  ASSERT_NE(at, std::string::npos);
  const std::string nonce = csp.substr(at + 7, 32);
  EXPECT_NE(page.body.find("<script nonce=\"" + nonce + "\">"), std::string::npos);
  EXPECT_NE(page.body.find("<style nonce=\"" + nonce + "\">"), std::string::npos);
}

TEST_F(RescueAppTest, PageShowsStateFaultMotorsAndWatchdog) {
  const std::string body = app().handle(get("/")).body;
  EXPECT_NE(body.find("<span id=\"state\">degraded</span>"), std::string::npos);
  EXPECT_NE(body.find("405 estop_active"), std::string::npos);
  EXPECT_NE(body.find("blink 4 long 5 short"), std::string::npos);
  EXPECT_NE(body.find("<td id=\"motors\">stopped (estop: e-stop)</td>"), std::string::npos);
  EXPECT_NE(body.find("watchdog_reset"), std::string::npos);
  EXPECT_NE(body.find("name=\"viewport\""), std::string::npos);
  EXPECT_NE(body.find("not monitored on this robot"), std::string::npos);  // no memory part
}

TEST_F(RescueAppTest, PageStaysUnder64KiBWithFiftyHostileEvents) {
  std::vector<RecentEvent> events;
  for (std::uint64_t i = 1; i <= 50; ++i) {
    RecentEvent recent;
    recent.seq = i;
    recent.realtime_us = 1'700'000'000'000'000;
    recent.event.message = std::string(RecentEvents::kMaxMessageBytes, '"');  // 6x when escaped
    events.push_back(recent);
  }
  nlohmann::json status = test::sample_status();
  status["faults"] = nlohmann::json::array();
  for (int i = 0; i < 20; ++i) {
    status["faults"].push_back(
        {{"fault", "app_dead"}, {"code", 401}, {"detail", std::string(200, '&')}});
  }
  publish(status, events);
  const std::string body = app().handle(get("/")).body;
  EXPECT_LE(body.size(), kMaxPageBytes);
  EXPECT_NE(body.find("</html>"), std::string::npos);
}

TEST_F(RescueAppTest, AnonymousEstopNeedsThePagesTokenAndSaysWhoAsked) {
  const std::string anon = anon_cookie();
  ASSERT_EQ(anon.size(), 64U);
  Request request = post("/api/v1/estop", "csrf=" + anon);
  request.cookie = "ll_anon=" + anon;
  const Response response = app().handle(request);
  EXPECT_EQ(response.status, 200) << response.body;
  ASSERT_EQ(acted.size(), 1U);
  EXPECT_EQ(acted[0]["command"], "estop");
  EXPECT_EQ(acted[0]["by"], "rescue page: a visitor from 10.0.0.7 (not signed in)");
  EXPECT_NE(response.body.find("estop: motors stopped"), std::string::npos);  // page + notice
}

TEST_F(RescueAppTest, EstopWithoutOrWithAWrongTokenIsForbidden) {
  const std::string anon = anon_cookie();
  Request missing = post("/api/v1/estop", "");
  missing.cookie = "ll_anon=" + anon;
  EXPECT_EQ(app().handle(missing).status, 403);
  Request wrong = post("/api/v1/estop", "csrf=" + std::string(64, 'a'));
  wrong.cookie = "ll_anon=" + anon;
  EXPECT_EQ(app().handle(wrong).status, 403);
  Request no_cookie = post("/api/v1/estop", "csrf=" + anon);
  EXPECT_EQ(app().handle(no_cookie).status, 403);
  EXPECT_TRUE(acted.empty());
}

TEST_F(RescueAppTest, CrossOriginPostsAreRefusedBeforeAnythingElse) {
  const std::string anon = anon_cookie();
  for (const char* origin : {"http://attacker.example", "null", "http://127.0.0.1:9999"}) {
    Request request = post("/api/v1/estop", "csrf=" + anon);
    request.cookie = "ll_anon=" + anon;
    request.origin = origin;
    EXPECT_EQ(app().handle(request).status, 403) << origin;
  }
  Request referer = post("/api/v1/estop", "csrf=" + anon);
  referer.cookie = "ll_anon=" + anon;
  referer.origin = "";
  referer.referer = "http://attacker.example/page";
  EXPECT_EQ(app().handle(referer).status, 403);
  referer.referer = "http://127.0.0.1:8080/";
  EXPECT_EQ(app().handle(referer).status, 200);
  EXPECT_EQ(acted.size(), 1U);
}

TEST_F(RescueAppTest, EstopWithoutLoginCanBeTurnedOff) {
  config.estop_without_login = false;
  const std::string anon = anon_cookie();
  Request request = post("/api/v1/estop", "csrf=" + anon);
  request.cookie = "ll_anon=" + anon;
  EXPECT_EQ(app().handle(request).status, 401);
  EXPECT_TRUE(acted.empty());
}

TEST_F(RescueAppTest, WithoutAPasswordOnlyEstopWorksAndThePageSaysHowToSetOne) {
  password_hash.clear();
  const Response page = app().handle(get("/"));
  EXPECT_NE(page.body.find("id=\"no-password\""), std::string::npos);
  EXPECT_NE(page.body.find("lifeline passwd"), std::string::npos);
  EXPECT_NE(page.body.find("id=\"btn-estop\""), std::string::npos);
  EXPECT_EQ(page.body.find("id=\"btn-rearm\""), std::string::npos);
  const std::string anon = anon_cookie();
  for (const char* action : {"rearm", "restart-app", "restart-ssh", "reboot"}) {
    Request request = post(std::string("/api/v1/") + action, "csrf=" + anon);
    request.cookie = "ll_anon=" + anon;
    const Response response = app().handle(request);
    EXPECT_EQ(response.status, 403) << action;
    EXPECT_NE(response.body.find("lifeline passwd"), std::string::npos) << action;
  }
  Request login = post("/login", "csrf=" + anon + "&password=anything-at-all");
  login.cookie = "ll_anon=" + anon;
  EXPECT_EQ(app().handle(login).status, 403);
  EXPECT_TRUE(acted.empty());
}

TEST_F(RescueAppTest, LoginLogoutAndTheSessionsCsrfToken) {
  const auto [token, csrf] = login();
  ASSERT_EQ(token.size(), 64U);
  ASSERT_EQ(csrf.size(), 64U);
  ASSERT_FALSE(acted.empty());
  EXPECT_EQ(acted.back()["command"], "rescue-note");  // the login is recorded
  Request rearm = post("/api/v1/rearm", "csrf=" + csrf + "&clear_lockout=yes");
  rearm.cookie = "ll_session=" + token;
  EXPECT_EQ(app().handle(rearm).status, 200);
  EXPECT_EQ(acted.back()["command"], "rearm");
  EXPECT_EQ(acted.back()["clear_lockout"], true);
  EXPECT_EQ(acted.back()["by"], "rescue page: session " + token.substr(0, 8) + " from 10.0.0.7");
  Request forged = post("/api/v1/rearm", "csrf=" + std::string(64, 'b'));
  forged.cookie = "ll_session=" + token;
  EXPECT_EQ(app().handle(forged).status, 403);
  Request logout = post("/logout", "csrf=" + csrf);
  logout.cookie = "ll_session=" + token;
  const Response out = app().handle(logout);
  EXPECT_EQ(out.status, 303);
  EXPECT_NE(out.header("Set-Cookie")->find("Max-Age=0"), std::string::npos);
  Request after = post("/api/v1/rearm", "csrf=" + csrf);
  after.cookie = "ll_session=" + token;
  EXPECT_EQ(app().handle(after).status, 401);
}

TEST_F(RescueAppTest, SessionCookieIsHttpOnlyStrictAndSecureOnlyWithTls) {
  const std::string anon = anon_cookie();
  Request request = post("/login", "csrf=" + anon + "&password=rescue-me-please");
  request.cookie = "ll_anon=" + anon;
  const std::string plain = *app().handle(request).header("Set-Cookie");
  EXPECT_NE(plain.find("; HttpOnly; SameSite=Strict; Path=/"), std::string::npos);
  EXPECT_EQ(plain.find("Secure"), std::string::npos);
  request.tls = true;
  EXPECT_NE(app().handle(request).header("Set-Cookie")->find("; Secure"), std::string::npos);
}

TEST_F(RescueAppTest, SessionsExpireWhenIdle) {
  const auto [token, csrf] = login();
  clock.advance(31min);
  Request rearm = post("/api/v1/rearm", "csrf=" + csrf);
  rearm.cookie = "ll_session=" + token;
  EXPECT_EQ(app().handle(rearm).status, 401);
}

TEST_F(RescueAppTest, FailedLoginsBackOffPerSourceWithRetryAfter) {
  config.login_attempts = 2;
  const std::string anon = anon_cookie();
  Request wrong = post("/login", "csrf=" + anon + "&password=not-the-password");
  wrong.cookie = "ll_anon=" + anon;
  EXPECT_EQ(app().handle(wrong).status, 401);
  EXPECT_EQ(app().handle(wrong).status, 401);
  const Response limited = app().handle(wrong);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(*limited.header("Retry-After"), "30");
  Request right = wrong;
  right.body = "csrf=" + anon + "&password=rescue-me-please";
  EXPECT_EQ(app().handle(right).status, 429);  // even the right password waits
  Request other = right;
  other.remote = "10.0.0.8";
  EXPECT_EQ(app().handle(other).status, 303);
  clock.advance(30s);
  EXPECT_EQ(app().handle(right).status, 303);
}

TEST_F(RescueAppTest, FormLoginNeedsThePagesToken) {
  Request request = post("/login", "password=rescue-me-please");
  EXPECT_EQ(app().handle(request).status, 403);
}

TEST_F(RescueAppTest, RebootAsksForConfirmationFirst) {
  const auto [token, csrf] = login();
  const std::size_t before = acted.size();
  Request first = post("/api/v1/reboot", "csrf=" + csrf);
  first.cookie = "ll_session=" + token;
  const Response confirm = app().handle(first);
  EXPECT_EQ(confirm.status, 200);
  EXPECT_NE(confirm.body.find("name=\"confirm\" value=\"yes\""), std::string::npos);
  EXPECT_EQ(acted.size(), before);  // nothing happened yet
  Request second = post("/api/v1/reboot", "csrf=" + csrf + "&confirm=yes");
  second.cookie = "ll_session=" + token;
  reply = {{"ok", false}, {"error", "unknown command 'reboot'"}};
  EXPECT_EQ(app().handle(second).status, 501);
  EXPECT_EQ(acted.back()["command"], "reboot");
  Request json = second;
  json.content_type = "application/json";
  json.body = "{}";
  json.csrf_header = csrf;
  EXPECT_EQ(app().handle(json).status, 400);  // machines confirm in the body
}

TEST_F(RescueAppTest, BearerTokenActsWithoutCsrfAndJsonAnswers) {
  api_token = "machine-token-0123456789";
  Request request = post("/api/v1/restart-app", "");
  request.content_type = "";
  request.origin = "";
  request.authorization = "Bearer machine-token-0123456789";
  reply = {{"ok", true}, {"result", "restart of robot.service queued"}};
  const Response response = app().handle(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(nlohmann::json::parse(response.body)["result"], "restart of robot.service queued");
  EXPECT_EQ(acted.back()["by"], "rescue page: api token from 10.0.0.7");
  request.authorization = "Bearer machine-token-0123456788";
  EXPECT_EQ(app().handle(request).status, 401);
}

TEST_F(RescueAppTest, LoopFailuresBecomeServiceErrors) {
  api_token = "t0123456789";
  Request request = post("/api/v1/estop", "");
  request.content_type = "application/json";
  request.authorization = "Bearer t0123456789";
  failure = ActionQueue::Failure::full;
  EXPECT_EQ(app().handle(request).status, 503);
  failure = ActionQueue::Failure::timed_out;
  EXPECT_EQ(app().handle(request).status, 504);
  failure = ActionQueue::Failure::none;
  reply = {{"ok", false}, {"error", "re-arm refused"}};
  EXPECT_EQ(app().handle(request).status, 409);
}

TEST_F(RescueAppTest, MalformedBodiesAre400AndActNothing) {
  const std::string anon = anon_cookie();
  for (const std::string& body : {std::string("csrf=a\0b", 8), std::string("csrf=%00"),
                                  std::string("csrf=%4"), std::string(kMaxBodyBytes + 1, 'a')}) {
    Request request = post("/api/v1/estop", body);
    request.cookie = "ll_anon=" + anon;
    EXPECT_EQ(app().handle(request).status, 400) << body.size();
  }
  Request json = post("/api/v1/estop", "[1,2]");
  json.content_type = "application/json";
  EXPECT_EQ(app().handle(json).status, 400);
  EXPECT_TRUE(acted.empty());
}

TEST_F(RescueAppTest, PublicStatusOffNeedsASession) {
  config.public_status = false;
  EXPECT_EQ(app().handle(get("/api/v1/status")).status, 401);
  EXPECT_EQ(app().handle(get("/metrics")).status, 401);
  EXPECT_EQ(app().handle(get("/api/v1/events")).status, 401);
  const std::string page = app().handle(get("/")).body;
  EXPECT_EQ(page.find("estop_active"), std::string::npos);  // only the login form
  const auto [token, csrf] = login();
  Request status = get("/api/v1/status");
  status.cookie = "ll_session=" + token;
  EXPECT_EQ(app().handle(status).status, 200);
}

}  // namespace
}  // namespace lifeline::rescue
