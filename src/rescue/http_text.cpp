#include "rescue/http_text.hpp"

#include <cctype>

namespace lifeline::rescue {

namespace {

int hex_value(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

FormError check_byte(unsigned char byte) {
  if (byte == 0) return FormError::nul_byte;
  if (byte < 0x20 && byte != '\t' && byte != '\r' && byte != '\n') return FormError::control_byte;
  if (byte == 0x7f) return FormError::control_byte;
  return FormError::none;
}

// Decodes one name or value into `out`; returns the first problem found.
FormError decode_component(std::string_view text, std::string& out) {
  if (text.size() > kMaxFieldBytes * 3) return FormError::too_large;
  out.clear();
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char ch = text[i];
    if (ch == '+') {
      ch = ' ';
    } else if (ch == '%') {
      if (i + 2 >= text.size()) return FormError::bad_escape;
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) return FormError::bad_escape;
      ch = static_cast<char>(high * 16 + low);
      i += 2;
    }
    if (auto error = check_byte(static_cast<unsigned char>(ch)); error != FormError::none) {
      return error;
    }
    out.push_back(ch);
  }
  if (out.size() > kMaxFieldBytes) return FormError::too_large;
  return FormError::none;
}

}  // namespace

std::optional<std::string_view> ParsedForm::get(std::string_view name) const {
  for (const auto& field : fields) {
    if (field.name == name) return std::string_view(field.value);
  }
  return std::nullopt;
}

ParsedForm parse_form(std::string_view body) {
  ParsedForm form;
  if (body.size() > kMaxBodyBytes) {
    form.error = FormError::too_large;
    return form;
  }
  // Raw bytes first: a NUL anywhere rejects the whole body, whatever its position.
  for (char ch : body) {
    if (auto error = check_byte(static_cast<unsigned char>(ch)); error != FormError::none) {
      form.error = error;
      return form;
    }
  }
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t end = body.find('&', start);
    if (end == std::string_view::npos) end = body.size();
    const std::string_view pair = body.substr(start, end - start);
    if (!pair.empty()) {
      if (form.fields.size() == kMaxFields) {
        form.error = FormError::too_many_fields;
        form.fields.clear();
        return form;
      }
      const std::size_t eq = pair.find('=');
      FormField field;
      const std::string_view name = pair.substr(0, eq);
      const std::string_view value =
          eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
      FormError error = decode_component(name, field.name);
      if (error == FormError::none) error = decode_component(value, field.value);
      if (error != FormError::none) {
        form.error = error;
        form.fields.clear();
        return form;
      }
      form.fields.push_back(std::move(field));
    }
    start = end + 1;
  }
  return form;
}

std::string_view form_error_text(FormError error) {
  switch (error) {
    case FormError::none:
      return "ok";
    case FormError::too_large:
      return "the body or a field is too large";
    case FormError::too_many_fields:
      return "too many fields";
    case FormError::bad_escape:
      return "a malformed %-escape";
    case FormError::nul_byte:
      return "a NUL byte";
    case FormError::control_byte:
      return "a control character";
  }
  return "?";
}

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
  if (header.size() > 8192) return std::nullopt;
  std::size_t start = 0;
  while (start < header.size()) {
    std::size_t end = header.find(';', start);
    if (end == std::string_view::npos) end = header.size();
    std::string_view pair = header.substr(start, end - start);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    while (!pair.empty() && pair.back() == ' ') pair.remove_suffix(1);
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
      std::string_view value = pair.substr(eq + 1);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      for (char ch : value) {
        const auto byte = static_cast<unsigned char>(ch);
        if (byte <= 0x20 || byte >= 0x7f || ch == '"' || ch == ',' || ch == '\\') {
          return std::nullopt;
        }
      }
      return std::string(value);
    }
    start = end + 1;
  }
  return std::nullopt;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

std::string host_without_port(std::string_view host_header) {
  if (!host_header.empty() && host_header.front() == '[') {
    const std::size_t close = host_header.find(']');
    if (close == std::string_view::npos) return {};
    return lower(host_header.substr(0, close + 1));
  }
  const std::size_t colon = host_header.rfind(':');
  return lower(colon == std::string_view::npos ? host_header : host_header.substr(0, colon));
}

std::optional<std::string> origin_authority(std::string_view origin) {
  std::string_view rest;
  if (origin.starts_with("http://")) {
    rest = origin.substr(7);
  } else if (origin.starts_with("https://")) {
    rest = origin.substr(8);
  } else {
    return std::nullopt;
  }
  if (rest.empty() || rest.size() > 255) return std::nullopt;
  for (char ch : rest) {
    const auto byte = static_cast<unsigned char>(ch);
    if (byte <= 0x20 || byte >= 0x7f || ch == '/' || ch == '@' || ch == '?' || ch == '#') {
      return std::nullopt;
    }
  }
  return lower(rest);
}

std::optional<long long> parse_count(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  long long value = 0;
  for (char ch : text) {
    if (ch < '0' || ch > '9') return std::nullopt;
    value = value * 10 + (ch - '0');
  }
  return value;
}

std::optional<ListenAddress> parse_listen(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view host = text.substr(0, colon);
  const auto port = parse_count(text.substr(colon + 1));
  if (!port || *port > 65535) return std::nullopt;
  // Four decimal octets, each 0 to 255, no leading '+' or spaces.
  std::size_t start = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    const std::size_t dot = i < 3 ? host.find('.', start) : host.size();
    if (dot == std::string_view::npos) return std::nullopt;
    const auto octet = parse_count(host.substr(start, dot - start));
    if (!octet || *octet > 255 || dot - start > 3) return std::nullopt;
    start = dot + 1;
  }
  return ListenAddress{std::string(host), static_cast<int>(*port)};
}

}  // namespace lifeline::rescue
