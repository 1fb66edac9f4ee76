#include "rescue/escape.hpp"

#include "util/text.hpp"

namespace lifeline::rescue {

void append_html(std::string& out, std::string_view text) {
  for (char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        append_escaped_char(out, ch);  // control characters become visible, never raw
    }
  }
}

std::string html(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  append_html(out, text);
  return out;
}

void append_label_value(std::string& out, std::string_view text) {
  for (char ch : text) {
    if (ch == '\\') {
      out += "\\\\";
    } else if (ch == '"') {
      out += "\\\"";
    } else if (ch == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) {
      out += '?';
    } else {
      out += ch;
    }
  }
}

}  // namespace lifeline::rescue
