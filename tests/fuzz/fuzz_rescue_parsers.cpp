// Any bytes through the rescue server's own parsers: form/query bodies, cookies, Host and
// Origin, listen addresses, counts. Each must stay within its bounds, reject NUL and
// control bytes instead of passing them on, and agree with itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "rescue/escape.hpp"
#include "rescue/http_text.hpp"

namespace {

using namespace lifeline::rescue;

bool has_control(std::string_view text) {
  for (char ch : text) {
    const auto byte = static_cast<unsigned char>(ch);
    if ((byte < 0x20 && ch != '\t' && ch != '\r' && ch != '\n') || byte == 0x7f) return true;
  }
  return false;
}

void check_form(std::string_view bytes) {
  const ParsedForm form = parse_form(bytes);
  if (!form.ok()) {
    if (!form.fields.empty()) std::abort();  // a rejected body yields nothing at all
    return;
  }
  if (bytes.size() > kMaxBodyBytes || form.fields.size() > kMaxFields) std::abort();
  if (bytes.find('\0') != std::string_view::npos) std::abort();
  for (const auto& field : form.fields) {
    if (field.name.size() > kMaxFieldBytes || field.value.size() > kMaxFieldBytes) std::abort();
    if (has_control(field.name) || has_control(field.value)) std::abort();
  }
}

void check_cookie(std::string_view bytes) {
  if (auto value = cookie_value(bytes, "ll_session")) {
    for (char ch : *value) {
      const auto byte = static_cast<unsigned char>(ch);
      if (byte <= 0x20 || byte >= 0x7f || ch == ';' || ch == '"') std::abort();
    }
    if (value->size() > bytes.size()) std::abort();
  }
}

void check_headers(std::string_view bytes) {
  const std::string host = host_without_port(bytes);
  if (host.size() > bytes.size()) std::abort();
  if (auto authority = origin_authority(bytes)) {
    if (authority->empty() || authority->find('/') != std::string::npos) std::abort();
    if (has_control(*authority)) std::abort();
  }
  if (auto listen = parse_listen(bytes)) {
    if (listen->port < 0 || listen->port > 65535 || listen->host.size() > 15) std::abort();
  }
  if (auto count = parse_count(bytes); count && *count < 0) std::abort();
}

void check_escapes(std::string_view bytes) {
  const std::string html = lifeline::rescue::html(bytes);
  if (html.find_first_of("<>\"'") != std::string::npos || has_control(html)) std::abort();
  std::string label;
  append_label_value(label, bytes);
  if (label.find('\n') != std::string::npos || has_control(label)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check_form(bytes);
  check_cookie(bytes);
  check_headers(bytes);
  check_escapes(bytes);
  return 0;
}
