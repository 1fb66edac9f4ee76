// The CivetWeb adapter: starts a hardened server (bounded threads, request size and time
// limits, no document root, so no files, directory listings, CGI, Lua or SSI), turns each
// connection into a Request, hands it to RescueApp and writes the Response back. The
// request body is read here with a hard cap; CivetWeb's form parser is never used.
#pragma once

#include <string>
#include <vector>

#include "lifeline/expected.hpp"
#include "rescue/app.hpp"

struct mg_context;
struct mg_connection;

namespace lifeline::rescue {

class WebServer {
 public:
  explicit WebServer(RescueApp& app) : app_(app) {}
  ~WebServer() { stop(); }
  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  Status start(const RescueConfig& config);
  void stop();
  // "http://127.0.0.1:8080/" for every address listened on (ports resolved when 0 was asked).
  [[nodiscard]] std::vector<std::string> urls() const { return urls_; }

 private:
  static int on_request(mg_connection* conn);
  static int on_log(const mg_connection* conn, const char* message);
  static int on_http_error(mg_connection* conn, int status, const char* message);
  RescueApp& app_;
  mg_context* context_ = nullptr;
  std::vector<std::string> urls_;
};

// Builds CivetWeb's option list for `config` (exposed for the unit test of the hardening).
std::vector<std::string> civetweb_options(const RescueConfig& config);

}  // namespace lifeline::rescue
