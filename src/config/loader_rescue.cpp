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

// Reads an array of strings, each checked by `valid`; false (reported) when anything is off.
template <typename Valid>
bool read_strings(Checker& c, const Scope& s, std::string_view key, std::string_view what,
                  bool allow_empty, Valid valid, std::vector<std::string>& out) {
  const toml::node* node = c.node(s, key);
  if (node == nullptr) return true;
  const toml::array* array = node->as_array();
  if (array == nullptr || (!allow_empty && array->empty()) || array->size() > 16) {
    c.expected(node->source().begin, s, key, what,
               array == nullptr ? check::describe(*node)
                                : "an array of " + std::to_string(array->size()) + " values");
    return false;
  }
  std::vector<std::string> values;
  for (const toml::node& element : *array) {
    const auto* text = element.as_string();
    if (text == nullptr || !valid(text->get())) {
      c.expected(element.source().begin, s, key, what,
                 text == nullptr ? check::describe(element) : check::quote(text->get()));
      return false;
    }
    values.push_back(text->get());
  }
  out = std::move(values);
  return true;
}

}  // namespace

void read_rescue(Checker& c, const toml::table& root, Config& config) {
  const Scope s = c.section(root, "rescue");
  c.reject_unknown(s);
  RescueConfig& out = config.rescue;
  if (auto enabled = c.boolean(s, "enabled")) out.enabled = *enabled;
  const auto valid_listen = [](const std::string& text) {
    return rescue::parse_listen(text).has_value();
  };
  if (read_strings(c, s, "listen", kListenText, false, valid_listen, out.listen)) {
    for (const auto& entry : out.listen) {
      if (entry.starts_with("0.0.0.0:")) {
        c.warn(c.position(s, "listen"), s, "listen",
               "\"" + entry + "\" serves the rescue page on every interface");
      }
    }
  }
  read_strings(
      c, s, "hostnames", kHostnamesText, true,
      [](const std::string& name) { return valid_hostname(name); }, out.hostnames);
  // Debian bookworm's CivetWeb 1.15 loads OpenSSL at run time and, with OpenSSL 3, crashes
  // the whole process on the first HTTPS connection (a worker calls a null function
  // pointer; reproduced with a self-signed certificate and curl). A rescue page must never
  // take lifeline down, so TLS is refused until a CivetWeb that works with OpenSSL 3 ships.
  if (auto cert = c.text(s, "tls_certificate", R"("" (TLS is not available in this build))")) {
    if (!cert->empty()) {
      c.expected(c.position(s, "tls_certificate"), s, "tls_certificate",
                 "\"\": TLS is not available (Debian's CivetWeb 1.15 crashes on HTTPS with "
                 "OpenSSL 3; use an SSH tunnel or a TLS proxy, see docs/rescue.md)",
                 check::quote(*cert));
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
