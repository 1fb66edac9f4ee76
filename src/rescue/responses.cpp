#include "rescue/responses.hpp"

#include <algorithm>

namespace lifeline::rescue {

Response json_response(int status, const nlohmann::json& body) {
  Response response;
  response.status = status;
  response.content_type = "application/json";
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

Response error_response(int status, const std::string& message) {
  return json_response(status, {{"ok", false}, {"error", message}});
}

Response html_response(int status, std::string body) {
  Response response;
  response.status = status;
  response.content_type = "text/html; charset=utf-8";
  response.body = std::move(body);
  return response;
}

bool is_form(const Request& request) {
  return request.content_type.starts_with("application/x-www-form-urlencoded");
}

std::string cookie_header(std::string_view name, const std::string& value, bool tls, bool expire) {
  std::string out = std::string(name) + "=" + value + "; HttpOnly; SameSite=Strict; Path=/";
  if (tls) out += "; Secure";
  if (expire) out += "; Max-Age=0";
  return out;
}

bool is_token(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char ch) {
           return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
         });
}

std::optional<ParsedForm> body_fields(const Request& request, std::string& error) {
  if (request.body.empty()) return ParsedForm{};
  if (is_form(request)) {
    auto form = parse_form(request.body);
    if (!form.ok()) {
      error = "malformed form: " + std::string(form_error_text(form.error));
      return std::nullopt;
    }
    return form;
  }
  if (request.body.size() > kMaxBodyBytes) {
    error = "body too large";
    return std::nullopt;
  }
  if (request.body.find('\0') != std::string::npos) {
    error = "malformed body: a NUL byte";
    return std::nullopt;
  }
  const auto parsed = nlohmann::json::parse(request.body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object() || parsed.size() > kMaxFields) {
    error = "the body must be a form or a JSON object";
    return std::nullopt;
  }
  ParsedForm form;
  for (const auto& [key, value] : parsed.items()) {
    if (value.is_string()) {
      form.fields.push_back({key, value.get<std::string>()});
    } else if (value.is_boolean()) {
      form.fields.push_back({key, value.get<bool>() ? "yes" : "no"});
    }
  }
  return form;
}

bool yes(std::optional<std::string_view> value) {
  return value && (*value == "yes" || *value == "true" || *value == "1" || *value == "on");
}

bool same_origin(const Request& request) {
  const std::string host = lower(request.host);
  if (!request.origin.empty()) {
    const auto authority = origin_authority(request.origin);
    return authority && *authority == host;
  }
  if (!request.referer.empty()) {
    // "http://host:port/path" → "http://host:port"
    const std::size_t scheme_end = request.referer.find("://");
    if (scheme_end == std::string::npos) return false;
    const auto authority =
        origin_authority(request.referer.substr(0, request.referer.find('/', scheme_end + 3)));
    return authority && *authority == host;
  }
  return true;
}

}  // namespace lifeline::rescue
