// Any bytes as a request to every rescue handler, in process: the input is split into the
// request's parts (method, path, query, headers, body). Whatever arrives, the answer is a
// valid status, nothing but an authenticated-looking request reaches the loop, and no HTML
// answer carries markup that came from the request.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lifeline/hal/clock.hpp"
#include "rescue/app.hpp"

namespace {

using namespace lifeline;
using namespace lifeline::rescue;

struct World {
  hal::FakeClock clock;
  SnapshotBox snapshots;
  std::unique_ptr<RescueApp> app;
  int acted = 0;
  World() {
    auto snapshot = std::make_shared<Snapshot>();
    snapshot->status = {{"state", "healthy"},
                        {"board", "sim"},
                        {"faults", nlohmann::json::array()},
                        {"motion", {{"state", "armed"}, {"app", {{"process_watched", true}}}}}};
    snapshots.publish(snapshot);
    Services services;
    services.act = [this](nlohmann::json) {
      ++acted;
      return ActionQueue::Outcome{ActionQueue::Failure::none, {{"ok", true}}};
    };
    // No password: only an e-stop with the visitor's token, or the bearer token, may act.
    services.password_hash = []() -> Expected<std::string> { return std::string(); };
    services.api_token = "fuzz-token-0123456789";
    RescueConfig config;
    app = std::make_unique<RescueApp>(config, clock, snapshots, std::move(services),
                                      RescueApp::allowed_hosts(config));
  }
};

std::vector<std::string> split(std::string_view bytes, std::size_t parts) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i + 1 < parts; ++i) {
    const std::size_t end = bytes.find('\n', start);
    if (end == std::string_view::npos) break;
    out.emplace_back(bytes.substr(start, end - start));
    start = end + 1;
  }
  out.emplace_back(bytes.substr(std::min(start, bytes.size())));
  out.resize(parts);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World world;
  const auto parts = split(std::string_view(reinterpret_cast<const char*>(data), size), 10);
  Request request;
  request.method = parts[0];
  request.path = parts[1];
  request.query = parts[2];
  request.host = parts[3].empty() ? "127.0.0.1:8080" : parts[3];
  request.origin = parts[4];
  request.cookie = parts[5];
  request.content_type = parts[6];
  request.authorization = parts[7];
  request.csrf_header = parts[8];
  request.body = parts[9];
  request.remote = "10.0.0.1";
  const int acted_before = world.acted;
  const Response response = world.app->handle(request);
  if (response.status < 200 || response.status > 599) std::abort();
  if (response.header("Content-Security-Policy") == nullptr) std::abort();
  if (world.acted != acted_before) {
    // Only a POST to an action may act, and only with a credential or the visitor's token.
    if (request.method != "POST") std::abort();
    const bool bearer = request.authorization == "Bearer fuzz-token-0123456789";
    const bool visitor = request.cookie.find("ll_anon=") != std::string::npos;
    const bool login_note = request.path == "/login";
    if (!bearer && !visitor && !login_note) std::abort();
  }
  if (response.content_type.starts_with("text/html") && request.body.find("<x-fuzz") == 0 &&
      response.body.find("<x-fuzz") != std::string::npos) {
    std::abort();
  }
  return 0;
}
