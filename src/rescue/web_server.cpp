#include "rescue/web_server.hpp"

#include <civetweb.h>
#include <strings.h>

#include <cerrno>
#include <cstring>

#include "rescue/civetweb_tls.hpp"
#include "rescue/http_text.hpp"

namespace lifeline::rescue {

namespace {

const char* header_or_empty(const mg_connection* conn, const char* name) {
  const char* value = mg_get_header(conn, name);
  return value != nullptr ? value : "";
}

// Reads the body with a hard cap; false when it is larger than `limit` (then unread).
bool read_body(mg_connection* conn, long long declared, std::string& out) {
  if (declared > static_cast<long long>(kMaxBodyBytes)) return false;
  // Declared (or chunked: -1): read at most one byte more than allowed to detect excess.
  out.resize(kMaxBodyBytes + 1);
  std::size_t got = 0;
  while (got < out.size()) {
    const int n = mg_read(conn, out.data() + got, out.size() - got);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return got <= kMaxBodyBytes;
}

void send(mg_connection* conn, const Response& response, bool head_only) {
  mg_response_header_start(conn, response.status);
  mg_response_header_add(conn, "Content-Type", response.content_type.c_str(), -1);
  const std::string length = std::to_string(response.body.size());
  mg_response_header_add(conn, "Content-Length", length.c_str(), -1);
  for (const auto& [name, value] : response.headers) {
    mg_response_header_add(conn, name.c_str(), value.c_str(), static_cast<int>(value.size()));
  }
  mg_response_header_send(conn);
  if (!head_only && !response.body.empty()) {
    mg_write(conn, response.body.data(), response.body.size());
  }
}

// The response head and body as raw bytes: used where CivetWeb's own response API is not
// available (an error before the request was parsed).
std::string raw_response(const Response& response, const char* reason) {
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " + reason + "\r\n";
  out += "Content-Type: " + response.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
  out += "Connection: close\r\n\r\n";
  return out + response.body;
}

}  // namespace

std::vector<std::string> civetweb_options(const RescueConfig& config) {
  const bool tls = !config.tls_certificate.empty();
  std::string ports;
  for (const auto& entry : config.listen) {
    ports += (ports.empty() ? "" : ",") + entry + (tls ? "s" : "");
  }
  std::vector<std::string> options{
      "listening_ports",
      ports,
      // Bounded workers: a flood of clients waits in the queue instead of growing threads.
      "num_threads",
      std::to_string(config.threads),
      "connection_queue",
      "32",
      "listen_backlog",
      "128",
      // The whole request (headers and body) must arrive in time: slow clients are cut off.
      "request_timeout_ms",
      std::to_string(config.request_timeout.count()),
      "linger_timeout_ms",
      "100",
      "enable_keep_alive",
      "no",
      "max_request_size",
      "8192",  // request line and headers
      "enable_directory_listing",
      "no",
      "cgi_pattern",
      "",
      "ssi_pattern",
      "",
      "access_control_allow_origin",
      "",
      "decode_url",
      "yes",
  };
  // No document_root: CivetWeb serves no file at all; every request reaches on_request.
  if (tls) {
    options.insert(options.end(), {"ssl_certificate", config.tls_certificate,
                                   "ssl_protocol_version", "4",  // TLS 1.2 and newer
                                   "ssl_short_trust", "no"});
  }
  return options;
}

Status WebServer::start(const RescueConfig& config) {
  const bool tls = !config.tls_certificate.empty();
  if (tls) {
    // Never start CivetWeb on an https port unless its OpenSSL is known to work: a failed
    // initialisation would otherwise crash the process on the first connection.
    if (auto ready = enable_civetweb_tls(); !ready) {
      return Error{ready.error().errno_value,
                   "cannot serve the rescue page over HTTPS: " + ready.error().message};
    }
  }
  mg_init_library(tls ? MG_FEATURES_TLS : MG_FEATURES_DEFAULT);
  const auto options = civetweb_options(config);
  std::vector<const char*> pointers;
  for (const auto& option : options) pointers.push_back(option.c_str());
  pointers.push_back(nullptr);
  mg_callbacks callbacks{};
  callbacks.begin_request = &WebServer::on_request;
  callbacks.log_message = &WebServer::on_log;
  callbacks.http_error = &WebServer::on_http_error;
  mg_init_data init{&callbacks, this, pointers.data()};
  char text[256] = {};
  unsigned code = 0;
  mg_error_data error{&code, text, sizeof text};
  context_ = mg_start2(&init, &error);
  if (context_ == nullptr) {
    return Error{EADDRNOTAVAIL, std::string("cannot start the rescue page on ") + options[1] +
                                    ": " + (text[0] != 0 ? text : "unknown error")};
  }
  mg_server_port ports[16] = {};
  const int count = mg_get_server_ports(context_, 16, ports);
  for (int i = 0; i < count && i < static_cast<int>(config.listen.size()); ++i) {
    const auto address = parse_listen(config.listen[static_cast<std::size_t>(i)]);
    urls_.push_back(std::string(tls ? "https://" : "http://") +
                    (address ? address->host : std::string("?")) + ":" +
                    std::to_string(ports[i].port) + "/");
  }
  return ok_status();
}

void WebServer::stop() {
  if (context_ != nullptr) mg_stop(context_);  // joins the workers
  context_ = nullptr;
}

int WebServer::on_log(const mg_connection* /*conn*/, const char* /*message*/) {
  return 1;  // CivetWeb's own messages would go to stderr: lifeline's records say enough
}

int WebServer::on_http_error(mg_connection* conn, int status, const char* /*message*/) {
  // CivetWeb's own answers (400 for a malformed request line, 413, 431 for huge headers,
  // 408...) get the same security headers as lifeline's; CivetWeb's text stays private.
  Response response;
  response.status = status;
  const char* reason = mg_get_response_code_text(conn, status);
  if (reason == nullptr || *reason == 0) reason = "Error";
  const bool has_body = status >= 200 && status != 204 && status != 304;
  if (has_body) response.body = std::to_string(status) + " " + reason + "\n";
  add_common_headers(response, "");
  const std::string bytes = raw_response(response, reason);
  mg_write(conn, bytes.data(), bytes.size());
  return 0;  // handled: CivetWeb sends nothing of its own
}

int WebServer::on_request(mg_connection* conn) {
  auto* self = static_cast<WebServer*>(mg_get_user_data(mg_get_context(conn)));
  const mg_request_info* info = mg_get_request_info(conn);
  Request request;
  request.method = info->request_method != nullptr ? info->request_method : "";
  request.path = info->local_uri != nullptr ? info->local_uri : "";
  request.query = info->query_string != nullptr ? info->query_string : "";
  request.remote = info->remote_addr;
  request.tls = info->is_ssl != 0;
  request.host = header_or_empty(conn, "Host");
  request.origin = header_or_empty(conn, "Origin");
  request.referer = header_or_empty(conn, "Referer");
  request.cookie = header_or_empty(conn, "Cookie");
  request.content_type = header_or_empty(conn, "Content-Type");
  request.authorization = header_or_empty(conn, "Authorization");
  request.csrf_header = header_or_empty(conn, "X-CSRF-Token");
  const bool head = request.method == "HEAD";
  Response response;
  if (request.method == "POST" && !read_body(conn, info->content_length, request.body)) {
    response.status = 413;
    response.body = "request body too large\n";
    add_common_headers(response, "");
  } else {
    if (head) request.method = "GET";  // same headers, no body
    try {
      response = self->app_.handle(request);
    } catch (const std::exception& e) {
      // Nothing a client sends may take the server down; the loop never sees this.
      response = Response{};
      response.status = 500;
      response.body = "internal error\n";
      add_common_headers(response, "");
    }
  }
  send(conn, response, head);
  return 1;  // handled: CivetWeb must not look for a file
}

}  // namespace lifeline::rescue
