// The server's own request and response objects: CivetWeb's connection is translated into
// a Request once (web_server.cpp), every handler works on these plain values, and so unit
// tests and fuzzers drive the handlers in process, without a socket.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace lifeline::rescue {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // decoded path without the query
  std::string query;   // raw query string, not decoded
  std::string remote;  // the peer's address
  std::string host;    // headers the handlers read; "" when absent
  std::string origin;
  std::string referer;
  std::string cookie;
  std::string content_type;
  std::string authorization;
  std::string csrf_header;  // X-CSRF-Token
  std::string body;
  bool tls = false;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;  // beyond the common ones
  std::string body;
  std::string csp_nonce;  // HTML with inline style and script: their CSP nonce
  [[nodiscard]] const std::string* header(const std::string& name) const {
    for (const auto& [key, value] : headers) {
      if (key == name) return &value;
    }
    return nullptr;
  }
};

}  // namespace lifeline::rescue
