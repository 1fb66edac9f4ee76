// The rescue server's routes (see app.hpp for who calls them and how).
#include <algorithm>

#include "rescue/app.hpp"
#include "rescue/page.hpp"
#include "rescue/password.hpp"
#include "rescue/responses.hpp"

namespace lifeline::rescue {

namespace {

constexpr std::size_t kMaxEvents = 50;

nlohmann::json event_json(const RecentEvent& recent) {
  nlohmann::json fields = nlohmann::json::object();
  for (const auto& field : recent.event.fields) fields[field.key] = field.value;
  nlohmann::json out = {{"seq", recent.seq},
                        {"time_us", recent.realtime_us},
                        {"kind", event_kind_name(recent.event.kind)},
                        {"severity", severity_name(recent.event.severity)},
                        {"message", recent.event.message},
                        {"fields", std::move(fields)}};
  if (recent.event.fault) {
    out["fault"] = fault_info(*recent.event.fault).name;
    out["fault_code"] = fault_code(*recent.event.fault);
  }
  return out;
}

}  // namespace

Response RescueApp::page(const Request& request, const Caller& caller) {
  PageView view;
  view.signed_in = caller.session.has_value();
  view.who = caller.session ? caller.session->label() : std::string();
  view.password_set = password_set();
  view.estop_without_login = config_.estop_without_login;
  view.nonce = new_nonce();
  std::string new_anon;
  if (caller.session) {
    view.csrf = caller.session->csrf;
  } else if (!caller.anon_token.empty()) {
    view.csrf = caller.anon_token;
  } else {
    new_anon = random_hex(32);
    view.csrf = new_anon;
  }
  const auto snapshot = snapshots_.current();
  Snapshot hidden;  // without public_status, a visitor sees only the login form
  const bool may_read = config_.public_status || caller.signed_in();
  Response response = html_response(200, render_page(may_read ? *snapshot : hidden, view));
  response.csp_nonce = view.nonce;
  if (!new_anon.empty()) {
    response.headers.emplace_back("Set-Cookie",
                                  cookie_header(kAnonCookie, new_anon, request.tls, false));
  }
  return response;
}

Response RescueApp::status(const Caller& caller) {
  if (!config_.public_status && !caller.signed_in()) return error_response(401, "log in first");
  Response response;
  response.content_type = "application/json";
  response.body = snapshots_.current()->status_text();
  return response;
}

Response RescueApp::events(const Request& request, const Caller& caller) {
  if (!config_.public_status && !caller.signed_in()) return error_response(401, "log in first");
  auto query = parse_form(request.query);
  if (!query.ok()) return error_response(400, "malformed query");
  long long since = 0;
  long long limit = kMaxEvents;
  if (auto text = query.get("since")) {
    auto value = parse_count(*text);
    if (!value) return error_response(400, "since must be an event seq (a whole number)");
    since = *value;
  }
  if (auto text = query.get("limit")) {
    auto value = parse_count(*text);
    if (!value || *value < 1 || *value > static_cast<long long>(kMaxEvents)) {
      return error_response(400, "limit must be 1 to 50");
    }
    limit = *value;
  }
  const auto snapshot = snapshots_.current();
  nlohmann::json list = nlohmann::json::array();
  std::uint64_t last = 0;
  for (const auto& recent : snapshot->events) {
    last = recent.seq;
    if (recent.seq <= static_cast<std::uint64_t>(since)) continue;
    list.push_back(event_json(recent));
  }
  // The newest `limit` of them, oldest first.
  if (list.size() > static_cast<std::size_t>(limit)) {
    list.erase(list.begin(), list.end() - static_cast<nlohmann::json::difference_type>(limit));
  }
  return json_response(200, {{"events", std::move(list)}, {"last_seq", last}});
}

Response RescueApp::metrics(const Caller& caller) {
  if (!config_.public_status && !caller.signed_in()) return error_response(401, "log in first");
  Response response;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  response.body = snapshots_.current()->metrics_text();
  return response;
}

Response RescueApp::login(const Request& request, const Caller& caller) {
  if (!same_origin(request)) return error_response(403, "cross-origin request refused");
  std::string error;
  const auto fields = body_fields(request, error);
  if (!fields) return error_response(400, error);
  // A form login must come from our own page (login CSRF); JSON cannot be sent cross-site
  // without a CORS preflight this server never grants.
  if (is_form(request)) {
    const auto csrf = fields->get("csrf");
    if (caller.anon_token.empty() || !csrf || !constant_time_equal(*csrf, caller.anon_token)) {
      return error_response(403, "missing or wrong CSRF token: reload the page");
    }
  }
  if (const auto wait = limiter_.wait_for(request.remote); wait.count() > 0) {
    Response response =
        error_response(429, "too many failed logins: wait " + std::to_string(wait.count()) + " s");
    response.headers.emplace_back("Retry-After", std::to_string(wait.count()));
    return response;
  }
  const auto hash = services_.password_hash();
  if (!hash) return error_response(500, "cannot read the password file");
  if (hash->empty()) return error_response(403, "no password is set: run lifeline passwd");
  const std::string password(fields->get("password").value_or(""));
  if (!verify_password(password, *hash)) {
    limiter_.failed(request.remote);
    note("login", "a visitor from " + request.remote, "wrong password");
    return error_response(401, "wrong password");
  }
  limiter_.succeeded(request.remote);
  const Session session = sessions_.create(request.remote);
  note("login", session.label(), "signed in");
  Response response = is_form(request) ? html_response(303, "")
                                       : json_response(200, {{"ok", true}, {"csrf", session.csrf}});
  if (is_form(request)) response.headers.emplace_back("Location", "/");
  response.headers.emplace_back("Set-Cookie",
                                cookie_header(kSessionCookie, session.token, request.tls, false));
  return response;
}

Response RescueApp::logout(const Request& request, const Caller& caller) {
  if (!same_origin(request)) return error_response(403, "cross-origin request refused");
  std::string error;
  const auto fields = body_fields(request, error);
  if (!fields) return error_response(400, error);
  if (!caller.session) return error_response(401, "not signed in");
  const std::string csrf(fields->get("csrf").value_or(request.csrf_header));
  if (!constant_time_equal(csrf, caller.session->csrf)) {
    return error_response(403, "missing or wrong CSRF token: reload the page");
  }
  sessions_.end(caller.session->token);
  note("logout", caller.session->label(), "signed out");
  Response response =
      is_form(request) ? html_response(303, "") : json_response(200, {{"ok", true}});
  if (is_form(request)) response.headers.emplace_back("Location", "/");
  response.headers.emplace_back("Set-Cookie", cookie_header(kSessionCookie, "", request.tls, true));
  return response;
}

}  // namespace lifeline::rescue
