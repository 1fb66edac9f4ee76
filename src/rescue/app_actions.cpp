// The state-changing routes: e-stop, re-arm, restart app / ssh, reboot. Each passes the
// Origin check, proves its CSRF token (or bearer token), then goes to the loop as the same
// control request the control socket sends, naming who asked.
#include "rescue/app.hpp"
#include "rescue/page.hpp"
#include "rescue/responses.hpp"

namespace lifeline::rescue {

namespace {

int status_for(const nlohmann::json& reply) {
  if (reply.value("ok", false)) return 200;
  const std::string error = reply.value("error", std::string());
  if (error.starts_with("unknown command")) return 501;
  return 409;  // understood and refused: re-arm blocked, not configured, ...
}

std::string reply_text(const std::string& action, const nlohmann::json& reply) {
  std::string text = action + ": ";
  if (reply.contains("result") && reply["result"].is_string()) {
    text += reply["result"].get<std::string>();
  } else if (reply.contains("error") && reply["error"].is_string()) {
    text += reply["error"].get<std::string>();
  } else {
    text += reply.value("ok", false) ? "done" : "failed";
  }
  return text;
}

}  // namespace

Response RescueApp::action(const Request& request, const Caller& caller, const std::string& name) {
  if (!same_origin(request)) return error_response(403, "cross-origin request refused");
  std::string error;
  const auto fields = body_fields(request, error);
  if (!fields) return error_response(400, error);
  const std::string csrf(fields->get("csrf").value_or(request.csrf_header));
  std::string who;
  if (caller.bearer) {
    who = "api token from " + request.remote;  // no ambient credential: no CSRF token needed
  } else if (caller.session) {
    if (!constant_time_equal(csrf, caller.session->csrf)) {
      return error_response(403, "missing or wrong CSRF token: reload the page");
    }
    who = caller.session->label();
  } else if (name == "estop" && config_.estop_without_login) {
    // Stopping is always safe, but a stranger's page still must not trigger it: the
    // visitor's own anonymous token proves the form came from this page.
    if (caller.anon_token.empty() || !constant_time_equal(csrf, caller.anon_token)) {
      return error_response(403, "missing or wrong CSRF token: reload the page");
    }
    who = "a visitor from " + request.remote + " (not signed in)";
  } else if (!password_set()) {
    return error_response(403, "no password is set: run lifeline passwd on the robot");
  } else {
    return error_response(401, "log in first");
  }

  if (name == "reboot" && !yes(fields->get("confirm"))) {
    if (!is_form(request)) return error_response(400, "reboot needs confirm=yes");
    Response response = html_response(200, "");
    response.csp_nonce = new_nonce();
    response.body = render_confirm(name, csrf, response.csp_nonce);
    return response;
  }

  nlohmann::json command = {{"command", name}, {"by", "rescue page: " + who}};
  if (name == "rearm" && yes(fields->get("clear_lockout"))) command["clear_lockout"] = true;
  const auto outcome = services_.act(std::move(command));
  int status = 200;
  nlohmann::json reply;
  switch (outcome.failure) {
    case ActionQueue::Failure::none:
      reply = outcome.reply;
      status = status_for(reply);
      break;
    case ActionQueue::Failure::full:
      status = 503;
      reply = {{"ok", false}, {"error", "lifeline is busy: too many actions waiting"}};
      break;
    case ActionQueue::Failure::timed_out:
      status = 504;
      reply = {{"ok", false}, {"error", "lifeline did not answer in time; it may still act"}};
      break;
    case ActionQueue::Failure::closed:
      status = 503;
      reply = {{"ok", false}, {"error", "lifeline is stopping"}};
      break;
  }
  if (!is_form(request)) return json_response(status, reply);
  // A form post from the page answers with the page itself, the result on top.
  PageView view;
  view.signed_in = caller.session.has_value();
  view.who = caller.session ? caller.session->label() : std::string();
  view.password_set = password_set();
  view.estop_without_login = config_.estop_without_login;
  view.csrf = csrf;
  view.nonce = new_nonce();
  view.notice = reply_text(name, reply);
  view.notice_ok = status == 200;
  Response response = html_response(status, render_page(*snapshots_.current(), view));
  response.csp_nonce = view.nonce;
  return response;
}

}  // namespace lifeline::rescue
