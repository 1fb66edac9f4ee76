// Small response and body helpers shared by the rescue handlers (app*.cpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "rescue/http_text.hpp"
#include "rescue/request.hpp"

namespace lifeline::rescue {

inline constexpr std::string_view kSessionCookie = "ll_session";
inline constexpr std::string_view kAnonCookie = "ll_anon";  // CSRF token of a visitor

Response json_response(int status, const nlohmann::json& body);
Response error_response(int status, const std::string& message);
Response html_response(int status, std::string body);
bool is_form(const Request& request);
// "name=value; HttpOnly; SameSite=Strict; Path=/" (+ Secure with TLS, Max-Age=0 to end it).
std::string cookie_header(std::string_view name, const std::string& value, bool tls, bool expire);
bool is_token(std::string_view text);  // 64 lower-case hex digits, as random_hex(32) makes
// The body as fields: a form, or a flat JSON object (machines). nullopt (and `error`) when
// malformed: too large, a NUL byte, a bad escape, not an object.
std::optional<ParsedForm> body_fields(const Request& request, std::string& error);
bool yes(std::optional<std::string_view> value);
// A browser's POST names where it came from (Origin, else Referer); it must be this very
// server. Clients that send neither (curl, Prometheus) are not browsers: no page sent them.
bool same_origin(const Request& request);

}  // namespace lifeline::rescue
