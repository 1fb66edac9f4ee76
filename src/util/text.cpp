#include "util/text.hpp"

namespace lifeline {

void append_escaped_char(std::string& out, char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (c == '\n') {
    out += "\\n";
  } else if (c == '\t') {
    out += "\\t";
  } else if (c == '\r') {
    out += "\\r";
  } else if (byte < 0x20U || byte == 0x7FU) {
    constexpr char kHex[] = "0123456789abcdef";
    out += "\\x";
    out += kHex[byte >> 4U];
    out += kHex[byte & 0xFU];
  } else {
    out += c;
  }
}

}  // namespace lifeline
