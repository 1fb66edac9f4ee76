#include "motion/lease_wire.hpp"

#include <cstring>

namespace lifeline {

namespace {

Error malformed(std::string reason) {
  return Error{0, std::move(reason)};
}

bool is_name_byte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// Canonical decimal only: "0", or a non-zero digit then digits, at most UINT64_MAX.
Expected<std::uint64_t> parse_seq(std::string_view text) {
  if (text.empty()) return malformed("missing seq");
  for (const char c : text) {
    if (c == ' ') return malformed("extra field after seq");
    if (c < '0' || c > '9') return malformed("seq is not a decimal number");
  }
  if (text.size() > 1 && text.front() == '0') return malformed("seq has a leading zero");
  std::uint64_t value = 0;
  for (const char c : text) {
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return malformed("seq does not fit in 64 bits");
    value = value * 10 + digit;
  }
  return value;
}

}  // namespace

bool is_valid_lease_name(std::string_view name) {
  if (name.empty() || name.size() > kLeaseMaxName) return false;
  for (const char c : name) {
    if (!is_name_byte(c)) return false;
  }
  return true;
}

Expected<LeaseBeat> parse_lease_datagram(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return malformed("empty datagram");
  if (bytes.size() > kLeaseMaxDatagram) {
    return malformed("datagram of " + std::to_string(bytes.size()) + " bytes exceeds " +
                     std::to_string(kLeaseMaxDatagram));
  }
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (text.back() == '\n') text.remove_suffix(1);

  if (!text.starts_with(kLeaseMagic) || text.size() == kLeaseMagic.size() ||
      text[kLeaseMagic.size()] != ' ') {
    return malformed("does not start with 'LLB1 '");
  }
  // Printable ASCII and the space only: rules out NUL (a C client's string would end
  // there), CR, tabs, a second newline and bytes >= 0x80 in one place.
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c < ' ' || c > '~') {
      return malformed("control or non-ASCII byte at offset " + std::to_string(i));
    }
  }
  text.remove_prefix(kLeaseMagic.size() + 1);

  const std::size_t space = text.find(' ');
  if (space == std::string_view::npos) return malformed("expected 'LLB1 <name> <seq>'");
  const std::string_view name = text.substr(0, space);
  if (!is_valid_lease_name(name)) return malformed("name is not 1 to 32 of [a-z0-9_-]");
  auto seq = parse_seq(text.substr(space + 1));
  if (!seq) return seq.error();
  return LeaseBeat{std::string(name), *seq};
}

std::size_t format_lease_datagram(std::string_view name, std::uint64_t seq, char* out,
                                  std::size_t capacity) {
  if (out == nullptr || !is_valid_lease_name(name)) return 0;
  char digits[20];
  std::size_t count = 0;
  do {
    digits[count++] = static_cast<char>('0' + seq % 10);
    seq /= 10;
  } while (seq != 0);
  const std::size_t length = kLeaseMagic.size() + 1 + name.size() + 1 + count + 1;
  if (length > capacity) return 0;
  char* at = out;
  std::memcpy(at, kLeaseMagic.data(), kLeaseMagic.size());
  at += kLeaseMagic.size();
  *at++ = ' ';
  std::memcpy(at, name.data(), name.size());
  at += name.size();
  *at++ = ' ';
  while (count > 0) *at++ = digits[--count];
  *at = '\n';
  return length;
}

}  // namespace lifeline
