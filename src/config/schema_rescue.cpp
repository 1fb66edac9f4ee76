// The [rescue] keys of lifeline.toml (see schema.hpp). Defaults must match
// rescue/rescue_config.hpp; ConfigSchema.DefaultsMatchConfigStruct and
// RescueConfig.SchemaDefaultsAreTheStructDefaults check it.
#include <array>

#include "config/schema.hpp"

namespace lifeline::schema {

namespace {

using K = Kind;

constexpr std::array<std::string_view, 1> kRescueSections{"rescue"};

constexpr std::array kRescueKeys{
    Key{"rescue", "enabled", K::boolean, 0, 0, "", "false",
        "Serve the rescue page, its JSON API and /metrics from lifeline's own process."},
    Key{"rescue", "listen", K::string, 0, 0, "", R"(["127.0.0.1:8080"])",
        "Array of \"IPv4:PORT\" addresses to listen on; never all interfaces unless written "
        "as \"0.0.0.0:PORT\"."},
    Key{"rescue", "hostnames", K::string, 0, 0, "", "[]",
        "Array of extra names the Host header may carry (the robot's DNS names)."},
    Key{"rescue", "tls_certificate", K::path, 0, 0, "", R"("")",
        "PEM file with the private key and certificate chain: serve HTTPS only; \"\" = HTTP."},
    Key{"rescue", "password_file", K::path, 0, 0, "", R"("/etc/lifeline/rescue.passwd")",
        "Where `lifeline passwd` stores the yescrypt hash of the page's password."},
    Key{"rescue", "api_token_file", K::path, 0, 0, "", R"("")",
        "File holding a bearer token for machines (Prometheus, scripts); \"\" for none."},
    Key{"rescue", "estop_without_login", K::boolean, 0, 0, "", "true",
        "Allow the e-stop without logging in (stopping is always safe)."},
    Key{"rescue", "public_status", K::boolean, 0, 0, "", "true",
        "The page, status, events and metrics are readable without logging in."},
    Key{"rescue", "session_idle_min", K::integer, 1, 1440, "min", "30",
        "A session unused this long ends."},
    Key{"rescue", "session_lifetime_min", K::integer, 1, 10080, "min", "720",
        "A session ends this long after login, used or not."},
    Key{"rescue", "login_attempts", K::integer, 1, 100, "", "5",
        "Failed logins from one address before it must wait."},
    Key{"rescue", "login_backoff_s", K::integer, 1, 3600, "s", "30",
        "The first wait after login_attempts failures; doubled per further failure, at most "
        "an hour."},
    Key{"rescue", "threads", K::integer, 2, 4, "", "2", "CivetWeb worker threads."},
    Key{"rescue", "request_timeout_ms", K::integer, 100, 60000, "ms", "5000",
        "A request (headers and body) must arrive within this."},
};

}  // namespace

std::span<const std::string_view> rescue_sections() {
  return kRescueSections;
}
std::span<const Key> rescue_keys() {
  return kRescueKeys;
}

}  // namespace lifeline::schema
