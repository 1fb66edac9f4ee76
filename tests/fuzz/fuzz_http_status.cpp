// Any bytes as an HTTP answer and as a probe URL. The status-line parser must give the
// same verdict however the bytes are split (the socket decides the split, not the peer),
// never read past its cap, and only ever report codes 100-599. An accepted URL must be a
// loopback target whose request cannot carry injected header lines.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "motion/http_wire.hpp"

namespace {

using lifeline::StatusLineParser;

void check_parser(std::string_view bytes, std::size_t split) {
  StatusLineParser whole;
  const auto expected = whole.feed(std::span<const char>(bytes.data(), bytes.size()));

  StatusLineParser two;
  two.feed(std::span<const char>(bytes.data(), split));
  const auto got = two.feed(std::span<const char>(bytes.data() + split, bytes.size() - split));
  if (got != expected || two.status() != whole.status()) std::abort();
  if (whole.consumed() > lifeline::kMaxStatusLine || whole.consumed() > bytes.size()) std::abort();

  switch (expected) {
    case StatusLineParser::State::done:
      if (whole.status() < 100 || whole.status() > 599) std::abort();
      if (!bytes.starts_with("HTTP/1.")) std::abort();
      if (bytes.substr(0, whole.consumed()).ends_with("\r\n") == false) std::abort();
      break;
    case StatusLineParser::State::malformed:
      if (whole.error().empty() || whole.status() != 0) std::abort();
      break;
    case StatusLineParser::State::need_more:
      // Only a prefix of a valid line can leave the parser waiting: all bytes were taken.
      if (whole.consumed() != bytes.size() || whole.status() != 0) std::abort();
      break;
  }
}

void check_url(std::string_view text) {
  auto url = lifeline::parse_probe_url(text);
  if (!url) {
    if (url.error().message.empty()) std::abort();
    return;
  }
  if (text.size() > lifeline::kMaxProbeUrl) std::abort();
  if (url->ipv6 ? url->host != "::1" : !url->host.starts_with("127.")) std::abort();
  if (url->port == 0 || url->path.empty() || url->path.front() != '/') std::abort();
  // Exactly the five line ends of the fixed request: nothing from the URL adds a line.
  const std::string request = lifeline::build_probe_request(*url);
  std::size_t line_ends = 0;
  for (std::size_t at = request.find('\n'); at != std::string::npos;
       at = request.find('\n', at + 1)) {
    if (at == 0 || request[at - 1] != '\r') std::abort();
    ++line_ends;
  }
  std::size_t carriage_returns = 0;
  for (char c : request) carriage_returns += c == '\r' ? 1U : 0U;
  if (line_ends != 5 || carriage_returns != 5) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first two bytes choose the split point; the rest is the input.
  const std::size_t head = size >= 2 ? 2 : 1;
  const std::size_t seed = size >= 2 ? (std::size_t{data[0]} << 8 | data[1]) : data[0];
  const std::string_view bytes(reinterpret_cast<const char*>(data + head), size - head);
  check_parser(bytes, bytes.empty() ? 0 : seed % (bytes.size() + 1));
  check_url(bytes);
  return 0;
}
