// Typed configuration of [rescue] in lifeline.toml. The loader fills it; the capability takes
// it as a value. Defaults live here and in schema_rescue.cpp (a test keeps them equal).
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace lifeline {

struct RescueConfig {
  bool enabled = false;
  // "ADDRESS:PORT" entries; port 0 picks a free one (tests). Never 0.0.0.0 by default: the
  // page is reachable only where the operator says so.
  std::vector<std::string> listen{"127.0.0.1:8080"};
  std::vector<std::string> hostnames;  // extra Host header names accepted (DNS names)
  std::string tls_certificate;         // PEM with certificate and key; "" = plain HTTP
  std::string password_file = "/etc/lifeline/rescue.passwd";
  std::string api_token_file;  // "" = no bearer token for machines
  bool estop_without_login = true;
  bool public_status = true;  // page, status, events and metrics readable without login
  std::chrono::minutes session_idle{30};
  std::chrono::minutes session_lifetime{720};
  int login_attempts = 5;                  // failures per source before back-off starts
  std::chrono::seconds login_backoff{30};  // first back-off, doubled per further failure
  int threads = 2;                         // CivetWeb worker threads, 2 to 4
  std::chrono::milliseconds request_timeout{5000};
  bool operator==(const RescueConfig&) const = default;
};

}  // namespace lifeline
