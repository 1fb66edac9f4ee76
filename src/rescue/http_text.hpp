// The rescue server's own parsers for what arrives from the network: form and query
// bodies, cookies, Host and Origin headers, listen addresses. All are bounded and reject
// rather than guess; none uses CivetWeb's form handling (mg_handle_form_request loops
// forever on a NUL byte in 1.15, CVE-2025-9648).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lifeline::rescue {

inline constexpr std::size_t kMaxBodyBytes = 4096;  // the largest form lifeline accepts
inline constexpr std::size_t kMaxFields = 16;
inline constexpr std::size_t kMaxFieldBytes = 1024;

struct FormField {
  std::string name;
  std::string value;
};

enum class FormError { none, too_large, too_many_fields, bad_escape, nul_byte, control_byte };

struct ParsedForm {
  std::vector<FormField> fields;
  FormError error = FormError::none;
  [[nodiscard]] bool ok() const { return error == FormError::none; }
  // The first value of `name`, or nullopt.
  [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const;
};

// application/x-www-form-urlencoded (also a URL's query string). A NUL byte, raw or as
// %00, and any other control character but tab, CR and LF are rejected, not skipped.
ParsedForm parse_form(std::string_view body);
std::string_view form_error_text(FormError error);

// The value of cookie `name` in a Cookie header; nullopt when absent or malformed.
std::optional<std::string> cookie_value(std::string_view header, std::string_view name);

// "host:port" or "[v6]:port" or "host" → the lower-cased host without the port.
std::string host_without_port(std::string_view host_header);

// "http://host:port" → "host:port" (lower-cased); nullopt for anything that is not a
// plain http(s) origin.
std::optional<std::string> origin_authority(std::string_view origin);
std::string lower(std::string_view text);

struct ListenAddress {
  std::string host;  // dotted IPv4
  int port = 0;      // 0: the kernel picks one
};
// "A.B.C.D:PORT"; IPv6 is not offered (Debian's CivetWeb is built without it).
std::optional<ListenAddress> parse_listen(std::string_view text);

// An unsigned decimal of at most 18 digits; nullopt otherwise.
std::optional<long long> parse_count(std::string_view text);

}  // namespace lifeline::rescue
