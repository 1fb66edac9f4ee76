// The rescue server's request handling, independent of CivetWeb: routing, the Host and
// Origin checks, sessions and CSRF, the login limiter, and the actions sent to the loop.
// Called concurrently from the worker threads; it reads the agent only through the
// published snapshot and acts only through `Services::act`.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lifeline/expected.hpp"
#include "lifeline/hal/clock.hpp"
#include "rescue/action_queue.hpp"
#include "rescue/auth.hpp"
#include "rescue/request.hpp"
#include "rescue/rescue_config.hpp"
#include "rescue/snapshot.hpp"

namespace lifeline::rescue {

struct Services {
  // Sends a control request to the loop and waits (bounded) for its reply.
  std::function<ActionQueue::Outcome(nlohmann::json)> act;
  // The stored password hash; "" when none is set.
  std::function<Expected<std::string>()> password_hash;
  std::string api_token;  // "" when machines have no bearer token
};

// Who is asking, resolved once per request.
struct Caller {
  std::optional<Session> session;
  bool bearer = false;
  std::string anon_token;  // the ll_anon cookie: the CSRF token of a visitor without a session
  [[nodiscard]] bool signed_in() const { return session.has_value() || bearer; }
};

class RescueApp {
 public:
  RescueApp(RescueConfig config, const hal::Clock& clock, SnapshotBox& snapshots, Services services,
            std::vector<std::string> allowed_hosts);
  Response handle(const Request& request);

  // The Host names accepted: every listen address, "localhost" and [rescue] hostnames.
  static std::vector<std::string> allowed_hosts(const RescueConfig& config);

 private:
  Response route(const Request& request);
  Response page(const Request& request, const Caller& caller);
  Response status(const Caller& caller);
  Response events(const Request& request, const Caller& caller);
  Response metrics(const Caller& caller);
  Response login(const Request& request, const Caller& caller);
  Response logout(const Request& request, const Caller& caller);
  Response action(const Request& request, const Caller& caller, const std::string& name);
  Caller identify(const Request& request);
  [[nodiscard]] bool password_set();
  void note(const std::string& what, const std::string& who, const std::string& result);

  RescueConfig config_;
  const hal::Clock& clock_;
  SnapshotBox& snapshots_;
  Services services_;
  std::vector<std::string> allowed_hosts_;
  SessionStore sessions_;
  LoginLimiter limiter_;
};

// Security headers every response carries; `nonce` non-empty for HTML with inline parts.
void add_common_headers(Response& response, const std::string& nonce);

}  // namespace lifeline::rescue
