// The HTTP health probe's wire format and judgement, free of I/O so that every rule is
// unit-tested and fuzzed: which URLs may be probed, the exact request bytes, reading the
// answer's status line, what counts as a failure and when failures trip.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "lifeline/expected.hpp"

namespace lifeline {

// A probe target. Only loopback literals are accepted, so the probe can never be pointed
// at another machine (and never waits on DNS): `host` is the canonical literal.
struct HttpUrl {
  std::string host;  // "127.x.y.z" or "::1" (no brackets)
  std::uint16_t port = 80;
  std::string path = "/";  // origin-form: starts with '/', may carry a query
  bool ipv6 = false;
};

inline constexpr std::size_t kMaxProbeUrl = 1024;

// http://HOST[:PORT][/PATH][?QUERY] with HOST = 127.x.x.x, localhost or [::1]. Rejects
// other schemes, other hosts, userinfo, fragments, spaces, control and non-ASCII bytes,
// bad percent escapes and anything longer than kMaxProbeUrl.
Expected<HttpUrl> parse_probe_url(std::string_view url);

// "GET PATH HTTP/1.1" with Host, User-Agent: lifeline-probe and Connection: close (the
// server closing is how a probe ends, so no keep-alive state is ever carried over).
std::string build_probe_request(const HttpUrl& url);

inline constexpr std::size_t kMaxStatusLine = 1024;  // bytes, CRLF included

// Reads only the status line, "HTTP/1.x NNN reason\r\n", incrementally: bytes may arrive
// in any split. Anything else (HTTP/0.9's bare body, HTTP/2 frames, a longer line than
// kMaxStatusLine, control bytes, a bare LF) is malformed. Once done or malformed the
// state never changes and further bytes are ignored (headers and body are not read).
class StatusLineParser {
 public:
  enum class State { need_more, done, malformed };

  State feed(std::span<const char> bytes);
  [[nodiscard]] State state() const { return state_; }
  [[nodiscard]] int status() const { return state_ == State::done ? status_ : 0; }
  // Why the line was rejected, for the probe's report; empty unless malformed.
  [[nodiscard]] std::string_view error() const { return error_; }
  [[nodiscard]] std::size_t consumed() const { return consumed_; }

 private:
  enum class Phase { version, space, code, after_code, reason, line_feed };
  void step(unsigned char byte);
  State fail(const char* why);

  State state_ = State::need_more;
  Phase phase_ = Phase::version;
  std::size_t index_ = 0;  // position within the current phase
  std::size_t consumed_ = 0;
  int status_ = 0;
  const char* error_ = "";
};

// What one attempt came to, before judgement.
enum class ProbeOutcome {
  answered,   // a well-formed status line arrived; the code decides
  timed_out,  // no status line within the timeout (or before the next tick)
  refused,    // ECONNREFUSED: nothing listens, the app is down or not yet up
  malformed,  // the peer answered, but not with HTTP/1.x
  io_error,   // any other socket failure (reset, unreachable, out of fds ...)
};

struct ProbeVerdict {
  bool ok = false;
  std::string detail;  // one line for the result and the logs, e.g. "HTTP 500 ..."
};

// 2xx and 3xx pass (a redirect is the app answering deliberately; it is not followed).
// Everything else fails, 4xx included: the URL is fixed by configuration, so a 404 or
// 403 means the app is not serving what it served when the robot was commissioned, and
// a probe that tolerated it would keep passing against a broken app. 1xx is not a final
// answer and fails too. `context` adds the cause for timeouts, malformed and I/O errors.
ProbeVerdict judge_probe(ProbeOutcome outcome, int status = 0, std::string_view context = {});

// Counts consecutive failed probes; `threshold` of them in a row trips, one success
// resets. A threshold of 0 is treated as 1 (tripping before any failure would make no
// sense).
class ConsecutiveFailures {
 public:
  explicit ConsecutiveFailures(std::uint32_t threshold)
      : threshold_(threshold == 0 ? 1 : threshold) {}
  // Returns true when this result changed tripped(): the Nth failure in a row, or the
  // first success after tripping. Callers react to transitions, not to every result.
  bool record(bool ok);
  [[nodiscard]] std::uint32_t count() const { return count_; }
  [[nodiscard]] bool tripped() const { return count_ >= threshold_; }
  [[nodiscard]] std::uint32_t threshold() const { return threshold_; }

 private:
  std::uint32_t threshold_;
  std::uint32_t count_ = 0;
};

}  // namespace lifeline
