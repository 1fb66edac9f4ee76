// The rescue page of the real lifeline binary on loopback: every route and status code,
// the NUL-byte POST (CVE-2025-9648 in CivetWeb's own form parser), the no-password state,
// login/logout, CSRF and Origin rejection, and who-did-what in the black box.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdio>

#include <nlohmann/json.hpp>

#include "rescue/password.hpp"
#include "rescue_http.hpp"
#include "support/motion_rig.hpp"

namespace lifeline::test {
namespace {

constexpr const char* kForm = "application/x-www-form-urlencoded";

void set_password(const RescueRig& rig, const std::string& password) {
  auto hash = rescue::hash_password(password);
  ASSERT_TRUE(hash.ok());
  ASSERT_TRUE(rescue::write_password_hash(rig.dir.file("rescue.passwd"), *hash).ok());
}

// Logs in through the form; returns the session cookie value and the page's CSRF token.
std::pair<std::string, std::string> login(const RescueRig& rig, const std::string& password) {
  const std::string anon = rig.anon_token();
  HttpReply reply = http(rig.port, {"POST", "/login", "127.0.0.1", "ll_anon=" + anon, rig.origin(),
                                    kForm, "csrf=" + anon + "&password=" + password});
  const std::string cookie = reply.header("set-cookie");
  if (reply.status != 303 || !cookie.starts_with("ll_session=")) return {};
  const std::string session = cookie.substr(11, 64);
  const HttpReply page = http(rig.port, {"GET", "/", "127.0.0.1", "ll_session=" + session});
  const std::size_t at = page.body.find("name=\"csrf\" value=\"");
  return {session, at == std::string::npos ? "" : page.body.substr(at + 19, 64)};
}

TEST(RescueHost, EveryRouteAnswersWithItsStatusAndSecurityHeaders) {
  RescueRig rig;
  ASSERT_TRUE(rig.start()) << rig.agent->output();
  const HttpReply page = http(rig.port, {});
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.header("content-type"), "text/html; charset=utf-8");
  EXPECT_LE(page.body.size(), 64U * 1024U);
  EXPECT_NE(page.body.find("<span id=\"state\">"), std::string::npos);
  EXPECT_NE(page.header("content-security-policy").find("default-src 'none'"), std::string::npos);
  EXPECT_EQ(page.header("x-content-type-options"), "nosniff");
  EXPECT_EQ(page.header("cache-control"), "no-store");
  EXPECT_EQ(page.header("referrer-policy"), "same-origin");

  const HttpReply status = http(rig.port, {"GET", "/api/v1/status"});
  ASSERT_EQ(status.status, 200);
  EXPECT_EQ(status.header("content-type"), "application/json");
  const auto json = nlohmann::json::parse(status.body);
  EXPECT_EQ(json["board"], "sim");
  EXPECT_TRUE(json["watchdog"]["open"].get<bool>());

  const HttpReply events = http(rig.port, {"GET", "/api/v1/events?limit=5"});
  ASSERT_EQ(events.status, 200);
  const auto list = nlohmann::json::parse(events.body)["events"];
  EXPECT_GE(list.size(), 1U);
  EXPECT_LE(list.size(), 5U);
  EXPECT_EQ(http(rig.port, {"GET", "/api/v1/events?limit=0"}).status, 400);

  const HttpReply metrics = http(rig.port, {"GET", "/metrics"});
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(metrics.body.find("lifeline_up 1\n"), std::string::npos);

  EXPECT_EQ(http(rig.port, {"GET", "/no/such/page"}).status, 404);
  EXPECT_EQ(http(rig.port, {"GET", "/../../etc/passwd"}).status, 404);
  EXPECT_EQ(http(rig.port, {"GET", "/api/v1/estop"}).status, 405);
  EXPECT_EQ(http(rig.port, {"DELETE", "/"}).status, 405);
  EXPECT_EQ(http(rig.port, {"GET", "/", "attacker.example"}).status, 421);
  EXPECT_EQ(http(rig.port, {"GET", "/", "localhost"}).status, 200);
  // Limits: a body over 4 KiB and headers over 8 KiB are refused, not buffered.
  const std::string anon = rig.anon_token();
  EXPECT_EQ(http(rig.port, {"POST", "/api/v1/estop", "127.0.0.1", "ll_anon=" + anon, rig.origin(),
                            kForm, "csrf=" + anon + "&pad=" + std::string(5000, 'x')})
                .status,
            413);
  HttpRequest huge;
  huge.extra_headers = "X-Pad: " + std::string(9000, 'x') + "\r\n";
  const int huge_status = http(rig.port, huge).status;
  EXPECT_TRUE(huge_status == 413 || huge_status == 431 || huge_status == 400) << huge_status;
  EXPECT_EQ(http(rig.port, {"GET", "/api/v1/status"}).status, 200);  // still answering
  rig.stop();
}

// Answers CivetWeb writes itself, before lifeline's handler runs (a malformed request line,
// headers over the limit), carry the same security headers as lifeline's own.
TEST(RescueHost, CivetWebsOwnErrorAnswersCarryTheSecurityHeaders) {
  RescueRig rig;
  ASSERT_TRUE(rig.start()) << rig.agent->output();
  const auto expect_hardened = [](const HttpReply& reply, const std::string& what) {
    EXPECT_NE(reply.header("content-security-policy").find("default-src 'none'"), std::string::npos)
        << what;
    EXPECT_EQ(reply.header("x-content-type-options"), "nosniff") << what;
    EXPECT_EQ(reply.header("x-frame-options"), "DENY") << what;
    EXPECT_EQ(reply.header("referrer-policy"), "same-origin") << what;
    EXPECT_EQ(reply.header("cache-control"), "no-store") << what;
    EXPECT_EQ(reply.header("content-type"), "text/plain; charset=utf-8") << what;
  };
  const HttpReply garbage = http_raw(rig.port, "GARBAGE\r\n\r\n");
  EXPECT_EQ(garbage.status, 400);
  expect_hardened(garbage, "malformed request line");
  EXPECT_EQ(garbage.body, "400 Bad Request\n");
  const HttpReply no_version = http_raw(rig.port, "GET /\r\nHost: 127.0.0.1\r\n\r\n");
  EXPECT_GE(no_version.status, 400) << "a request line without a version";
  expect_hardened(no_version, "request line without a version");
  HttpRequest huge;
  huge.extra_headers = "X-Pad: " + std::string(9000, 'x') + "\r\n";
  const HttpReply too_big = http(rig.port, huge);
  EXPECT_GE(too_big.status, 400);
  expect_hardened(too_big, "headers over 8 KiB: " + std::to_string(too_big.status));
  EXPECT_EQ(http(rig.port, {"GET", "/api/v1/status"}).status, 200);  // still answering
  rig.stop();
}

TEST(RescueHost, PostWithNulBytesGets400AndTheServerKeepsAnswering) {
  RescueRig rig;
  ASSERT_TRUE(rig.start()) << rig.agent->output();
  const std::string anon = rig.anon_token();
  // More NUL posts than worker threads: with CivetWeb's form parser each would spin forever.
  for (int i = 0; i < 4; ++i) {
    const std::string body = std::string("csrf=") + anon + std::string("&x=a\0b", 6);
    const HttpReply reply =
        http(rig.port,
             {"POST", "/api/v1/estop", "127.0.0.1", "ll_anon=" + anon, rig.origin(), kForm, body},
             std::chrono::seconds(5));
    EXPECT_EQ(reply.status, 400) << i;
    EXPECT_NE(reply.body.find("NUL"), std::string::npos) << reply.body;
    const HttpReply login = http(rig.port,
                                 {"POST", "/login", "127.0.0.1", "ll_anon=" + anon, rig.origin(),
                                  kForm, std::string("password=\0\0", 11)},
                                 std::chrono::seconds(5));
    EXPECT_EQ(login.status, 400) << i;
  }
  const auto before = std::chrono::steady_clock::now();
  EXPECT_EQ(http(rig.port, {"GET", "/api/v1/status"}, std::chrono::seconds(3)).status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(3));
  EXPECT_EQ(rig.agent->output().find("rescue_action"), std::string::npos);  // nothing acted
  rig.stop();
}

TEST(RescueHost, WithoutAPasswordOnlyTheEstopWorksAndThePageSaysHow) {
  RescueRig rig;
  ASSERT_TRUE(rig.start()) << rig.agent->output();
  const HttpReply page = http(rig.port, {});
  EXPECT_NE(page.body.find("No password is set"), std::string::npos);
  EXPECT_NE(page.body.find("lifeline passwd"), std::string::npos);
  const std::string anon = rig.anon_token();
  for (const char* action : {"rearm", "restart-app", "restart-ssh", "reboot"}) {
    const HttpReply reply =
        http(rig.port, {"POST", std::string("/api/v1/") + action, "127.0.0.1", "ll_anon=" + anon,
                        rig.origin(), kForm, "csrf=" + anon + "&confirm=yes"});
    EXPECT_EQ(reply.status, 403) << action;
  }
  const HttpReply login = http(rig.port, {"POST", "/login", "127.0.0.1", "ll_anon=" + anon,
                                          rig.origin(), kForm, "csrf=" + anon + "&password=x"});
  EXPECT_EQ(login.status, 403);
  EXPECT_NE(login.body.find("no password is set"), std::string::npos);
  rig.stop();
}

TEST(RescueHost, PasswdCommandStoresAYescryptHashOnly) {
  TempDir dir;
  const std::string file = dir.file("pw");
  const std::string command = "printf 'a-long-password\\n' | " + std::string(LIFELINE_BINARY) +
                              " passwd --file " + file + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char buffer[512] = {};
  const std::size_t n = std::fread(buffer, 1, sizeof buffer - 1, pipe);
  EXPECT_EQ(::pclose(pipe), 0) << std::string(buffer, n);
  const std::string stored = read_file(file);
  EXPECT_TRUE(stored.starts_with("$y$")) << stored;
  EXPECT_EQ(stored.find("a-long-password"), std::string::npos);
  EXPECT_TRUE(rescue::verify_password("a-long-password", stored.substr(0, stored.size() - 1)));
  struct stat info {};
  ASSERT_EQ(::stat(file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600U);
}

TEST(RescueHost, LoginActLogoutWithCsrfAndTheBlackBoxSaysWho) {
  RescueRig rig;
  set_password(rig, "correct-horse-battery");
  ASSERT_TRUE(rig.start()) << rig.agent->output();
  const std::string anon = rig.anon_token();
  const HttpReply wrong = http(rig.port, {"POST", "/login", "127.0.0.1", "ll_anon=" + anon,
                                          rig.origin(), kForm, "csrf=" + anon + "&password=nope"});
  EXPECT_EQ(wrong.status, 401);
  const auto [session, csrf] = login(rig, "correct-horse-battery");
  ASSERT_EQ(session.size(), 64U) << rig.agent->output();
  ASSERT_EQ(csrf.size(), 64U);
  const std::string cookie = "ll_session=" + session;

  // CSRF: no token, a wrong token, a foreign Origin.
  EXPECT_EQ(http(rig.port, {"POST", "/api/v1/rearm", "127.0.0.1", cookie, rig.origin(), kForm, ""})
                .status,
            403);
  EXPECT_EQ(http(rig.port, {"POST", "/api/v1/rearm", "127.0.0.1", cookie, rig.origin(), kForm,
                            "csrf=" + std::string(64, '0')})
                .status,
            403);
  EXPECT_EQ(http(rig.port, {"POST", "/api/v1/rearm", "127.0.0.1", cookie, "http://evil.example",
                            kForm, "csrf=" + csrf})
                .status,
            403);
  EXPECT_EQ(rig.agent->output().find("rescue_action"), std::string::npos);

  // With the token: the loop's own handle_control answers (motion is not configured here).
  const HttpReply rearm =
      http(rig.port, {"POST", "/api/v1/rearm", "127.0.0.1", cookie, rig.origin(),
                      "application/json", "{}", "X-CSRF-Token: " + csrf + "\r\n"});
  EXPECT_EQ(rearm.status, 200) << rearm.body;
  EXPECT_EQ(nlohmann::json::parse(rearm.body)["motion"], "not configured");
  const std::string who = "session " + session.substr(0, 8) + " from 127.0.0.1";
  EXPECT_TRUE(rig.agent->wait_for_output("rearm requested by rescue page: " + who, 5s))
      << rig.agent->output();
  EXPECT_NE(rig.agent->output().find("rescue_login"), std::string::npos);

  const HttpReply logout =
      http(rig.port, {"POST", "/logout", "127.0.0.1", cookie, rig.origin(), kForm, "csrf=" + csrf});
  EXPECT_EQ(logout.status, 303);
  EXPECT_NE(logout.header("set-cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(http(rig.port, {"POST", "/api/v1/rearm", "127.0.0.1", cookie, rig.origin(), kForm,
                            "csrf=" + csrf})
                .status,
            401);
  rig.stop();
  // The black box on disk holds the action and who did it.
  const CliResult events = run_cli({"events", "--config", rig.config, "--json"}, 10s);
  EXPECT_NE(events.out.find("rescue_action"), std::string::npos) << events.out << events.err;
  EXPECT_NE(events.out.find(who), std::string::npos);
}

TEST(RescueHost, PrivateStatusNeedsTheBearerTokenWhichAlsoActsWithoutCsrf) {
  TempDir token_dir;
  write_file(token_dir.file("token"), "scrape-token-0123456789abcdef\n");
  RescueRig rig("",
                "public_status = false\napi_token_file = \"" + token_dir.file("token") + "\"\n");
  ASSERT_TRUE(rig.start()) << rig.agent->output();
  const std::string bearer = "Authorization: Bearer scrape-token-0123456789abcdef\r\n";
  for (const char* path : {"/metrics", "/api/v1/status", "/api/v1/events"}) {
    EXPECT_EQ(http(rig.port, {"GET", path}).status, 401) << path;
    EXPECT_EQ(http(rig.port, {"GET", path, "127.0.0.1", "", "", "", "", bearer}).status, 200)
        << path;
    EXPECT_EQ(http(rig.port, {"GET", path, "127.0.0.1", "", "", "", "",
                              "Authorization: Bearer scrape-token-0123456789abcdeX\r\n"})
                  .status,
              401)
        << path;
  }
  EXPECT_EQ(http(rig.port, {}).body.find("<span id=\"state\">healthy"), std::string::npos);
  // A machine's e-stop: no cookie, no CSRF token, just the bearer token.
  const HttpReply estop = http(
      rig.port, {"POST", "/api/v1/estop", "127.0.0.1", "", "", "application/json", "{}", bearer});
  EXPECT_EQ(estop.status, 409) << estop.body;  // understood; motion is not configured here
  EXPECT_TRUE(
      rig.agent->wait_for_output("estop requested by rescue page: api token from "
                                 "127.0.0.1: motion is not configured",
                                 5s))
      << rig.agent->output();
  rig.stop();
}

TEST(RescueHost, LoginAttemptsBackOffPerAddress) {
  RescueRig rig("", "login_attempts = 2\nlogin_backoff_s = 60\n");
  set_password(rig, "correct-horse-battery");
  ASSERT_TRUE(rig.start()) << rig.agent->output();
  const std::string anon = rig.anon_token();
  const HttpRequest wrong{"POST",
                          "/login",
                          "127.0.0.1",
                          "ll_anon=" + anon,
                          rig.origin(),
                          kForm,
                          "csrf=" + anon + "&password=guess"};
  EXPECT_EQ(http(rig.port, wrong).status, 401);
  EXPECT_EQ(http(rig.port, wrong).status, 401);
  const HttpReply limited = http(rig.port, wrong);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.header("retry-after"), "60");
  HttpRequest right = wrong;
  right.body = "csrf=" + anon + "&password=correct-horse-battery";
  EXPECT_EQ(http(rig.port, right).status, 429);
  rig.stop();
}

TEST(RescueHost, EstopFromThePageDropsTheMotorLineAndRecordsTheVisitor) {
  TempDir app_dir;
  FakeApp app{app_dir.file("app.pid")};
  app.start();
  RescueRig rig("[motion]\nenabled = true\nprotocol = \"none\"\n[motion.app]\npidfile = \"" +
                app_dir.file("app.pid") + "\"\nresolve_interval_ms = 50\n");
  ASSERT_TRUE(rig.start()) << rig.agent->output();
  ASSERT_TRUE(rig.agent->wait_for_output("watching the app's process", 10s));
  ASSERT_TRUE(eventually(
      [&] {
        return run_cli({"rearm", "--config", rig.config}).exit_code == 0;
      },
      10s));
  ASSERT_EQ(sim_line_value(rig.dir, "motor_enable"), 1);
  const std::string anon = rig.anon_token();
  const HttpReply reply = http(rig.port, {"POST", "/api/v1/estop", "127.0.0.1", "ll_anon=" + anon,
                                          rig.origin(), kForm, "csrf=" + anon});
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(sim_line_value(rig.dir, "motor_enable"), 0);
  // The answer is the page itself with the result on top and the new motor state.
  EXPECT_NE(reply.body.find("estop: motors stopped"), std::string::npos);
  EXPECT_NE(reply.body.find("<td id=\"motors\">stopped (estop"), std::string::npos) << reply.body;
  EXPECT_TRUE(rig.agent->wait_for_output(
      "estop requested by rescue page: a visitor from 127.0.0.1 (not signed in)", 5s));
  const HttpReply metrics = http(rig.port, {"GET", "/metrics"});
  EXPECT_NE(metrics.body.find("lifeline_motor_stops_total{cause=\"estop\"} 1\n"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("lifeline_motors_armed 0\n"), std::string::npos);
  rig.stop();
}

}  // namespace
}  // namespace lifeline::test
