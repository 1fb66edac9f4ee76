#include "rescue/app.hpp"

#include <algorithm>
#include <array>

#include "rescue/http_text.hpp"
#include "rescue/page.hpp"
#include "rescue/password.hpp"
#include "rescue/responses.hpp"

namespace lifeline::rescue {

namespace {

constexpr std::array<std::string_view, 5> kActions{"estop", "rearm", "restart-app", "restart-ssh",
                                                   "reboot"};

}  // namespace

void add_common_headers(Response& response, const std::string& nonce) {
  std::string csp = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";
  if (!nonce.empty()) {
    csp += "; script-src 'nonce-" + nonce + "'; style-src 'nonce-" + nonce +
           "'; connect-src 'self'; img-src data:; form-action 'self'";
  }
  response.headers.emplace_back("Content-Security-Policy", csp);
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  // same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" on a form
  // POST, and the Origin check could no longer tell the page's own forms from a stranger's.
  response.headers.emplace_back("Referrer-Policy", "same-origin");
  response.headers.emplace_back("X-Frame-Options", "DENY");
  response.headers.emplace_back("Cache-Control", "no-store");
}

RescueApp::RescueApp(RescueConfig config, const hal::Clock& clock, SnapshotBox& snapshots,
                     Services services, std::vector<std::string> allowed_hosts)
    : config_(std::move(config)),
      clock_(clock),
      snapshots_(snapshots),
      services_(std::move(services)),
      allowed_hosts_(std::move(allowed_hosts)),
      sessions_(clock, SessionLimits{config_.session_idle, config_.session_lifetime, 16}),
      limiter_(clock, LoginLimits{config_.login_attempts, config_.login_backoff,
                                  std::chrono::seconds(3600), 256}) {}

std::vector<std::string> RescueApp::allowed_hosts(const RescueConfig& config) {
  std::vector<std::string> hosts{"localhost", "127.0.0.1"};
  for (const auto& entry : config.listen) {
    if (auto address = parse_listen(entry); address && address->host != "0.0.0.0") {
      hosts.push_back(address->host);
    }
  }
  for (const auto& name : config.hostnames) hosts.push_back(lower(name));
  return hosts;
}

Response RescueApp::handle(const Request& request) {
  Response response = route(request);
  add_common_headers(response, response.csp_nonce);
  return response;
}

Caller RescueApp::identify(const Request& request) {
  Caller caller;
  if (auto token = cookie_value(request.cookie, kSessionCookie); token && is_token(*token)) {
    caller.session = sessions_.find(*token);
  }
  if (auto anon = cookie_value(request.cookie, kAnonCookie); anon && is_token(*anon)) {
    caller.anon_token = *anon;
  }
  constexpr std::string_view kBearer = "Bearer ";
  if (!services_.api_token.empty() && request.authorization.starts_with(kBearer)) {
    caller.bearer =
        constant_time_equal(std::string_view(request.authorization).substr(7), services_.api_token);
  }
  return caller;
}

Response RescueApp::route(const Request& request) {
  // DNS rebinding: a stranger's name resolving to the robot must not reach the page.
  const std::string host = host_without_port(request.host);
  if (std::find(allowed_hosts_.begin(), allowed_hosts_.end(), host) == allowed_hosts_.end()) {
    return error_response(421, "this server does not answer to that Host name");
  }
  const Caller caller = identify(request);
  const std::string& path = request.path;
  const bool get = request.method == "GET";
  const bool post = request.method == "POST";
  // Each route names its one method; anything else is 405 with an Allow header.
  const auto wrong_method = [](const char* allowed) {
    Response response = error_response(405, "method not allowed");
    response.headers.emplace_back("Allow", allowed);
    return response;
  };
  if (path == "/") return get ? page(request, caller) : wrong_method("GET");
  if (path == "/api/v1/status") return get ? status(caller) : wrong_method("GET");
  if (path == "/api/v1/events") return get ? events(request, caller) : wrong_method("GET");
  if (path == "/metrics") return get ? metrics(caller) : wrong_method("GET");
  if (path == "/login") return post ? login(request, caller) : wrong_method("POST");
  if (path == "/logout") return post ? logout(request, caller) : wrong_method("POST");
  constexpr std::string_view kApi = "/api/v1/";
  if (path.starts_with(kApi)) {
    const std::string name = path.substr(kApi.size());
    if (std::find(kActions.begin(), kActions.end(), name) != kActions.end()) {
      return post ? action(request, caller, name) : wrong_method("POST");
    }
  }
  return error_response(404, "not found");
}

bool RescueApp::password_set() {
  auto hash = services_.password_hash();
  return hash && !hash->empty();
}

void RescueApp::note(const std::string& what, const std::string& who, const std::string& result) {
  // Recorded on the loop like any other event; a busy loop must not hold up the answer.
  (void)services_.act(
      {{"command", "rescue-note"}, {"what", what}, {"by", who}, {"result", result}});
}

}  // namespace lifeline::rescue
