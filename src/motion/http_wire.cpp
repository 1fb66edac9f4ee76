#include "motion/http_wire.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <cstring>
#include <limits>

namespace lifeline {

namespace {

Error url_error(std::string_view url, const std::string& why) {
  return Error{0, "probe URL \"" + std::string(url) + "\": " + why};
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) {
      return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Strict dotted quad: exactly four decimal parts 0-255 without leading zeros, so that
// "127.1" or "0177.0.0.1" (which some resolvers read as octal) cannot sneak past as a
// different address than the one a person reads.
bool parse_ipv4(std::string_view text, std::array<unsigned, 4>& parts) {
  std::size_t part = 0;
  std::size_t digits = 0;
  unsigned value = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '.') {
      if (digits == 0 || part == 4) return false;
      parts[part++] = value;
      digits = 0;
      value = 0;
      continue;
    }
    if (!is_digit(text[i]) || (digits == 1 && value == 0) || digits == 3) return false;
    value = value * 10 + static_cast<unsigned>(text[i] - '0');
    if (value > 255) return false;
    ++digits;
  }
  return part == 4;
}

bool is_ipv6_loopback(std::string_view literal) {
  if (literal.empty() || literal.size() >= INET6_ADDRSTRLEN) return false;
  std::array<char, INET6_ADDRSTRLEN> text{};
  std::memcpy(text.data(), literal.data(), literal.size());
  in6_addr address{};
  return ::inet_pton(AF_INET6, text.data(), &address) == 1 &&
         std::memcmp(&address, &in6addr_loopback, sizeof address) == 0;
}

std::string with_context(std::string base, std::string_view context) {
  if (!context.empty()) {
    base += ": ";
    base += context;
  }
  return base;
}

}  // namespace

Expected<HttpUrl> parse_probe_url(std::string_view url) {
  // Checked first, so that every later message can quote the URL as printable ASCII.
  if (url.size() > kMaxProbeUrl) {
    return Error{0, "probe URL is longer than " + std::to_string(kMaxProbeUrl) + " bytes"};
  }
  for (std::size_t i = 0; i < url.size(); ++i) {
    const auto byte = static_cast<unsigned char>(url[i]);
    if (byte <= 0x20 || byte >= 0x7f) {
      return Error{0, "probe URL has a space, control or non-ASCII byte at offset " +
                          std::to_string(i) + " (percent-encode it)"};
    }
  }
  if (url.find('#') != std::string_view::npos) {
    return url_error(url, "has a fragment (#...), which is never sent to the server");
  }
  constexpr std::string_view kScheme = "http://";
  if (url.starts_with("https://")) {
    return url_error(url, "https is not supported: the probe speaks plain HTTP on loopback");
  }
  if (!url.starts_with(kScheme)) return url_error(url, "must start with http://");

  const std::string_view rest = url.substr(kScheme.size());
  const std::size_t authority_end = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, authority_end);
  const std::string_view tail =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return url_error(url, "has userinfo (user@host): credentials do not belong in a probe URL");
  }
  if (authority.empty()) return url_error(url, "has no host");

  HttpUrl parsed;
  std::string_view host;
  std::string_view port_text;  // including its ':' when present
  if (authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return url_error(url, "has an unterminated [IPv6] host");
    host = authority.substr(1, close - 1);
    port_text = authority.substr(close + 1);
    if (!is_ipv6_loopback(host)) {
      return url_error(url, "host must be a loopback literal (127.x.x.x, localhost or [::1])");
    }
    parsed.host = "::1";
    parsed.ipv6 = true;
  } else {
    const std::size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    port_text = colon == std::string_view::npos ? std::string_view() : authority.substr(colon);
    std::array<unsigned, 4> parts{};
    if (equals_ignoring_case(host, "localhost")) {
      // Resolved here, not by the resolver: /etc/hosts could point it anywhere.
      parsed.host = "127.0.0.1";
    } else if (parse_ipv4(host, parts)) {
      if (parts[0] != 127) return url_error(url, "is not a loopback address (127.x.x.x)");
      parsed.host = std::string(host);
    } else {
      return url_error(url, "host must be a loopback literal (127.x.x.x, localhost or [::1])");
    }
  }

  if (!port_text.empty()) {
    if (port_text.front() != ':') return url_error(url, "has junk after the host");
    const std::string_view digits = port_text.substr(1);
    if (digits.empty()) return url_error(url, "has an empty port");
    if (digits.size() > 5) return url_error(url, "has a port out of range 1-65535");
    unsigned value = 0;
    for (char c : digits) {
      if (!is_digit(c)) return url_error(url, "has a port that is not a number");
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > std::numeric_limits<std::uint16_t>::max()) {
      return url_error(url, "has a port out of range 1-65535");
    }
    parsed.port = static_cast<std::uint16_t>(value);
  }

  for (std::size_t i = 0; i < tail.size(); ++i) {
    if (tail[i] == '%' && (i + 2 >= tail.size() || !is_hex(tail[i + 1]) || !is_hex(tail[i + 2]))) {
      return url_error(url, "has a bad percent escape (want %XX)");
    }
  }
  if (tail.empty()) {
    parsed.path = "/";
  } else if (tail.front() == '?') {
    parsed.path = "/" + std::string(tail);
  } else {
    parsed.path = std::string(tail);
  }
  return parsed;
}

std::string build_probe_request(const HttpUrl& url) {
  std::string host = url.ipv6 ? "[" + url.host + "]" : url.host;
  if (url.port != 80) host += ":" + std::to_string(url.port);
  return "GET " + url.path + " HTTP/1.1\r\nHost: " + host +
         "\r\nUser-Agent: lifeline-probe\r\nConnection: close\r\n\r\n";
}

StatusLineParser::State StatusLineParser::feed(std::span<const char> bytes) {
  for (char c : bytes) {
    if (state_ != State::need_more) break;
    if (consumed_ == kMaxStatusLine) return fail("status line longer than 1024 bytes");
    ++consumed_;
    step(static_cast<unsigned char>(c));
  }
  return state_;
}

StatusLineParser::State StatusLineParser::fail(const char* why) {
  state_ = State::malformed;
  error_ = why;
  return state_;
}

void StatusLineParser::step(unsigned char byte) {
  constexpr std::string_view kPrefix = "HTTP/1.";
  const bool digit = byte >= '0' && byte <= '9';
  switch (phase_) {
    case Phase::version:
      if (index_ < kPrefix.size()) {
        if (byte != static_cast<unsigned char>(kPrefix[index_])) {
          fail("not an HTTP/1.x status line");
          return;
        }
        ++index_;
      } else if (digit) {
        phase_ = Phase::space;
      } else {
        fail("not an HTTP/1.x version");
      }
      return;
    case Phase::space:
      if (byte != ' ') {
        fail("no space after the HTTP version");
        return;
      }
      phase_ = Phase::code;
      index_ = 0;
      return;
    case Phase::code:
      // RFC 9110 status codes are three digits, 100-599.
      if (!digit || (index_ == 0 && (byte < '1' || byte > '5'))) {
        fail("status code is not three digits in 100-599");
        return;
      }
      status_ = status_ * 10 + (byte - '0');
      if (++index_ == 3) phase_ = Phase::after_code;
      return;
    case Phase::after_code:
      // The space before an empty reason is often left out; accept that.
      if (byte == ' ') {
        phase_ = Phase::reason;
      } else if (byte == '\r') {
        phase_ = Phase::line_feed;
      } else {
        fail("status code is not three digits in 100-599");
      }
      return;
    case Phase::reason:
      if (byte == '\r') {
        phase_ = Phase::line_feed;
      } else if (byte != '\t' && (byte < 0x20 || byte == 0x7f)) {
        fail("control byte in the reason phrase");
      }
      return;
    case Phase::line_feed:
      if (byte != '\n') {
        fail("status line not ended by CRLF");
        return;
      }
      state_ = State::done;
      return;
  }
}

ProbeVerdict judge_probe(ProbeOutcome outcome, int status, std::string_view context) {
  const std::string code = "HTTP " + std::to_string(status);
  switch (outcome) {
    case ProbeOutcome::answered:
      if (status >= 200 && status <= 399) return {true, code};
      if (status >= 500 && status <= 599)
        return {false, code + ": the app answered with a server error"};
      if (status >= 400 && status <= 499) {
        return {false, code + ": the app rejected the probe (wrong path, or not serving it)"};
      }
      if (status >= 100 && status <= 199) return {false, code + ": informational, not an answer"};
      return {false, "malformed response: status " + std::to_string(status) + " out of range"};
    case ProbeOutcome::timed_out:
      return {false, with_context("timeout", context)};
    case ProbeOutcome::refused:
      return {false, with_context("connection refused", context)};
    case ProbeOutcome::malformed:
      return {false, with_context("malformed response", context)};
    case ProbeOutcome::io_error:
      return {false, with_context("I/O error", context)};
  }
  return {false, "unknown probe outcome"};
}

bool ConsecutiveFailures::record(bool ok) {
  const bool was_tripped = tripped();
  if (ok) {
    count_ = 0;
  } else if (count_ < std::numeric_limits<std::uint32_t>::max()) {
    ++count_;
  }
  return was_tripped != tripped();
}

}  // namespace lifeline
