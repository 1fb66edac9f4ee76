#include "config/loader_rescue.hpp"

#include "rescue/http_text.hpp"

namespace lifeline::config_detail {

namespace {

using check::Checker;
using check::Scope;

constexpr std::string_view kListenText = R"(an array of "IPv4:PORT" strings, at least one)";
constexpr std::string_view kHostnamesText = "an array of host names (letters, digits, '.', '-')";

bool valid_hostname(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (char ch : name) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

void read_rescue(Checker& c, const toml::table& root, Config& config) {
  const Scope s = c.section(root, "rescue");
  c.reject_unknown(s);
  RescueConfig& out = config.rescue;
  if (auto enabled = c.boolean(s, "enabled")) out.enabled = *enabled;
  const auto valid_listen = [](std::string_view text) {
    return rescue::parse_listen(text).has_value();
  };
  if (auto listen = c.string_list(s, "listen", kListenText, valid_listen, 1, 16)) {
    out.listen = std::move(*listen);
    for (const auto& entry : out.listen) {
      if (entry.starts_with("0.0.0.0:")) {
        c.warn(c.position(s, "listen"), s, "listen",
               "\"" + entry + "\" serves the rescue page on every interface");
      }
    }
  }
  if (auto names = c.string_list(s, "hostnames", kHostnamesText, valid_hostname, 0, 16)) {
    out.hostnames = std::move(*names);
  }
  // HTTPS: one PEM file with the private key and the certificate (chain), as CivetWeb
  // reads it. Debian's CivetWeb 1.15 needs lifeline's OpenSSL 3 shim for it
  // (rescue/civetweb_tls.hpp); a file that will not load makes the page unavailable.
  if (auto cert = c.text(s, "tls_certificate", R"(an absolute path, or "" for plain HTTP)")) {
    if (!cert->empty() && cert->front() != '/') {
      c.expected(c.position(s, "tls_certificate"), s, "tls_certificate",
                 R"(an absolute path, or "" for plain HTTP)", check::quote(*cert));
    } else {
      out.tls_certificate = *cert;
    }
  }
  if (auto file = c.absolute_path(s, "password_file")) out.password_file = *file;
  if (auto token = c.text(s, "api_token_file", R"(an absolute path, or "" for none)")) {
    if (!token->empty() && token->front() != '/') {
      c.expected(c.position(s, "api_token_file"), s, "api_token_file",
                 R"(an absolute path, or "" for none)", check::quote(*token));
    } else {
      out.api_token_file = *token;
    }
  }
  if (auto allowed = c.boolean(s, "estop_without_login")) out.estop_without_login = *allowed;
  if (auto open = c.boolean(s, "public_status")) out.public_status = *open;
  if (auto minutes = c.integer(s, "session_idle_min")) {
    out.session_idle = std::chrono::minutes(*minutes);
  }
  if (auto minutes = c.integer(s, "session_lifetime_min")) {
    out.session_lifetime = std::chrono::minutes(*minutes);
  }
  if (auto attempts = c.integer(s, "login_attempts")) {
    out.login_attempts = static_cast<int>(*attempts);
  }
  if (auto seconds = c.integer(s, "login_backoff_s")) {
    out.login_backoff = std::chrono::seconds(*seconds);
  }
  if (auto threads = c.integer(s, "threads")) out.threads = static_cast<int>(*threads);
  if (auto ms = c.integer(s, "request_timeout_ms")) {
    out.request_timeout = std::chrono::milliseconds(*ms);
  }
}

}  // namespace lifeline::config_detail
