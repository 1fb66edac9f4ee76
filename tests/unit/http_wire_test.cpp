// The HTTP probe's pure rules: which URLs may be probed, the exact request, reading the
// status line however it is split, what counts as failure, and when failures trip.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "motion/http_wire.hpp"

namespace lifeline {
namespace {

struct AcceptCase {
  const char* url;
  const char* host;
  std::uint16_t port;
  const char* path;
  bool ipv6;
};

TEST(HttpWireUrl, AcceptsLoopbackLiteralsAndNormalises) {
  const std::vector<AcceptCase> cases = {
      {"http://127.0.0.1:8080/health", "127.0.0.1", 8080, "/health", false},
      {"http://127.0.0.1", "127.0.0.1", 80, "/", false},
      {"http://127.0.0.1/", "127.0.0.1", 80, "/", false},
      {"http://127.1.2.3:1/a/b?x=1&y=%2F", "127.1.2.3", 1, "/a/b?x=1&y=%2F", false},
      {"http://127.255.255.255:65535/", "127.255.255.255", 65535, "/", false},
      {"http://localhost:9000/ready", "127.0.0.1", 9000, "/ready", false},
      {"http://LocalHost/", "127.0.0.1", 80, "/", false},
      {"http://[::1]:8080/health", "::1", 8080, "/health", true},
      {"http://[::1]", "::1", 80, "/", true},
      {"http://[0:0:0:0:0:0:0:1]:81/", "::1", 81, "/", true},
      {"http://127.0.0.1:8080?probe", "127.0.0.1", 8080, "/?probe", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.url);
    auto url = parse_probe_url(c.url);
    ASSERT_TRUE(url.ok()) << url.error().message;
    EXPECT_EQ(url->host, c.host);
    EXPECT_EQ(url->port, c.port);
    EXPECT_EQ(url->path, c.path);
    EXPECT_EQ(url->ipv6, c.ipv6);
  }
}

TEST(HttpWireUrl, RejectsEverythingElseWithAReason) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "must start with http://"},
      {"127.0.0.1:8080/health", "must start with http://"},
      {"ftp://127.0.0.1/", "must start with http://"},
      {"https://127.0.0.1/", "https is not supported"},
      {"http://", "has no host"},
      {"http:///health", "has no host"},
      {"http://10.0.0.5/health", "not a loopback address"},
      {"http://192.168.1.1/", "not a loopback address"},
      {"http://128.0.0.1/", "not a loopback address"},
      {"http://0.0.0.0/", "not a loopback address"},
      {"http://example.com/", "loopback literal"},
      {"http://localhost.example.com/", "loopback literal"},
      {"http://127.0.0.1.nip.io/", "loopback literal"},
      {"http://127.1/", "loopback literal"},
      {"http://0177.0.0.1/", "loopback literal"},
      {"http://127.0.0.01/", "loopback literal"},
      {"http://127.0.0.256/", "loopback literal"},
      {"http://127.0.0.1.5/", "loopback literal"},
      {"http://[::2]/", "loopback literal"},
      {"http://[::ffff:127.0.0.1]/", "loopback literal"},
      {"http://[::1%25lo]/", "loopback literal"},
      {"http://[::1/", "unterminated"},
      {"http://[::1]x/", "junk after the host"},
      {"http://user:pw@127.0.0.1/", "userinfo"},
      {"http://@127.0.0.1/", "userinfo"},
      {"http://127.0.0.1/health#top", "fragment"},
      {"http://127.0.0.1:/", "empty port"},
      {"http://127.0.0.1:0/", "out of range"},
      {"http://127.0.0.1:65536/", "out of range"},
      {"http://127.0.0.1:123456/", "out of range"},
      {"http://127.0.0.1:80a/", "not a number"},
      {"http://127.0.0.1:-1/", "not a number"},
      {"http://127.0.0.1/he alth", "space, control or non-ASCII"},
      {"http://127.0.0.1/health\r\nX-Injected: 1", "space, control or non-ASCII"},
      {std::string("http://127.0.0.1/\0", 18), "space, control or non-ASCII"},
      {"http://127.0.0.1/\x7f", "space, control or non-ASCII"},
      {"http://127.0.0.1/caf\xc3\xa9", "space, control or non-ASCII"},
      {"http://127.0.0.1/%zz", "percent escape"},
      {"http://127.0.0.1/%4", "percent escape"},
      {"http://127.0.0.1/" + std::string(1100, 'a'), "longer than 1024"},
  };
  for (const auto& [text, reason] : cases) {
    SCOPED_TRACE(text);
    auto url = parse_probe_url(text);
    ASSERT_FALSE(url.ok()) << "accepted with host " << url->host;
    EXPECT_NE(url.error().message.find(reason), std::string::npos) << url.error().message;
  }
}

TEST(HttpWireUrl, LengthLimitIsInclusive) {
  const std::string prefix = "http://127.0.0.1/";
  EXPECT_TRUE(parse_probe_url(prefix + std::string(kMaxProbeUrl - prefix.size(), 'a')).ok());
  EXPECT_FALSE(parse_probe_url(prefix + std::string(kMaxProbeUrl - prefix.size() + 1, 'a')).ok());
}

TEST(HttpWireRequest, BytesAreExact) {
  EXPECT_EQ(build_probe_request(*parse_probe_url("http://127.0.0.1:8080/health?deep=1")),
            "GET /health?deep=1 HTTP/1.1\r\n"
            "Host: 127.0.0.1:8080\r\n"
            "User-Agent: lifeline-probe\r\n"
            "Connection: close\r\n"
            "\r\n");
  // The default port is left out of Host, as clients conventionally do.
  EXPECT_EQ(build_probe_request(*parse_probe_url("http://localhost")),
            "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: lifeline-probe\r\n"
            "Connection: close\r\n\r\n");
  EXPECT_EQ(build_probe_request(*parse_probe_url("http://[::1]:9/x")),
            "GET /x HTTP/1.1\r\nHost: [::1]:9\r\nUser-Agent: lifeline-probe\r\n"
            "Connection: close\r\n\r\n");
}

StatusLineParser::State feed_whole(StatusLineParser& parser, std::string_view bytes) {
  return parser.feed(std::span<const char>(bytes.data(), bytes.size()));
}

StatusLineParser::State feed_bytewise(StatusLineParser& parser, std::string_view bytes) {
  for (char c : bytes) parser.feed(std::span<const char>(&c, 1));
  return parser.state();
}

using State = StatusLineParser::State;

TEST(HttpWireStatus, ParsesWholeAndByteByByteAlike) {
  const std::vector<std::pair<std::string, int>> cases = {
      {"HTTP/1.1 200 OK\r\n", 200},
      {"HTTP/1.0 204 No Content\r\nServer: x\r\n\r\n", 204},
      {"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n", 500},
      {"HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n", 302},
      {"HTTP/1.1 404 \r\n", 404},
      {"HTTP/1.1 503\r\n", 503},               // reason and its space left out
      {"HTTP/1.1 200 \tok\x80\xff\r\n", 200},  // HTAB and obs-text are allowed in a reason
      {"HTTP/1.9 100 Continue\r\n", 100},
      {"HTTP/1.1 599 x\r\n", 599},
  };
  for (const auto& [bytes, status] : cases) {
    SCOPED_TRACE(bytes);
    StatusLineParser whole;
    EXPECT_EQ(feed_whole(whole, bytes), State::done) << whole.error();
    EXPECT_EQ(whole.status(), status);
    StatusLineParser bytewise;
    EXPECT_EQ(feed_bytewise(bytewise, bytes), State::done) << bytewise.error();
    EXPECT_EQ(bytewise.status(), status);
  }
}

TEST(HttpWireStatus, NeedsMoreUntilTheLineEnds) {
  StatusLineParser parser;
  const std::string line = "HTTP/1.1 200 OK\r\n";
  for (std::size_t i = 0; i + 1 < line.size(); ++i) {
    EXPECT_EQ(parser.feed(std::span<const char>(&line[i], 1)), State::need_more) << i;
    EXPECT_EQ(parser.status(), 0) << "no status before the line is complete";
  }
  EXPECT_EQ(parser.feed(std::span<const char>(&line.back(), 1)), State::done);
  EXPECT_EQ(parser.status(), 200);
  EXPECT_EQ(parser.feed(std::span<const char>()), State::done);
}

TEST(HttpWireStatus, RejectsWhatIsNotAnHttp1StatusLine) {
  const std::vector<std::string> cases = {
      "<html><body>hello</body></html>\r\n",  // HTTP/0.9: a bare body
      "garbage\r\n\r\n",
      std::string("\0\0\0\x04\0\0\0\0\0", 9),  // an HTTP/2 frame header
      "HTTP/2 200\r\n",
      "HTTP/1.x 200 OK\r\n",
      "HTTP/1.11 200 OK\r\n",
      "http/1.1 200 OK\r\n",
      " HTTP/1.1 200 OK\r\n",
      "HTTP/1.1  200 OK\r\n",
      "HTTP/1.1 20 OK\r\n",
      "HTTP/1.1 2000 OK\r\n",
      "HTTP/1.1 099 OK\r\n",
      "HTTP/1.1 600 OK\r\n",
      "HTTP/1.1 20x OK\r\n",
      "HTTP/1.1 200 OK\n",  // bare LF
      "HTTP/1.1 200 OK\r\r\n",
      "HTTP/1.1 200 O\x01K\r\n",
      "HTTP/1.1 200 OK\x7f\r\n",
      std::string("HTTP/1.1 200 O\0K\r\n", 18),
  };
  for (const auto& bytes : cases) {
    SCOPED_TRACE(testing::PrintToString(bytes));
    StatusLineParser whole;
    EXPECT_EQ(feed_whole(whole, bytes), State::malformed);
    EXPECT_FALSE(whole.error().empty());
    EXPECT_EQ(whole.status(), 0);
    StatusLineParser bytewise;
    EXPECT_EQ(feed_bytewise(bytewise, bytes), State::malformed);
  }
}

TEST(HttpWireStatus, GarbageIsRejectedAtTheFirstWrongByte) {
  StatusLineParser parser;
  EXPECT_EQ(feed_whole(parser, "X"), State::malformed);
  EXPECT_EQ(parser.consumed(), 1U);
  EXPECT_EQ(feed_whole(parser, "HTTP/1.1 200 OK\r\n"), State::malformed) << "malformed sticks";
}

TEST(HttpWireStatus, CapsTheLineAtOneKibibyte) {
  const std::string head = "HTTP/1.1 200 ";
  const std::string fits = head + std::string(kMaxStatusLine - head.size() - 2, 'r') + "\r\n";
  ASSERT_EQ(fits.size(), kMaxStatusLine);
  StatusLineParser at_limit;
  EXPECT_EQ(feed_whole(at_limit, fits), State::done);

  const std::string over = head + std::string(kMaxStatusLine - head.size() - 1, 'r') + "\r\n";
  StatusLineParser whole;
  EXPECT_EQ(feed_whole(whole, over), State::malformed);
  EXPECT_NE(std::string(whole.error()).find("longer than 1024"), std::string::npos);
  EXPECT_EQ(whole.consumed(), kMaxStatusLine);
  StatusLineParser bytewise;
  EXPECT_EQ(feed_bytewise(bytewise, std::string(100'000, 'r').insert(0, head)), State::malformed);
  EXPECT_EQ(bytewise.consumed(), kMaxStatusLine) << "nothing read past the cap";
}

TEST(HttpWireJudge, Table) {
  struct Case {
    ProbeOutcome outcome;
    int status;
    bool ok;
    const char* detail;
  };
  const std::vector<Case> cases = {
      {ProbeOutcome::answered, 200, true, "HTTP 200"},
      {ProbeOutcome::answered, 204, true, "HTTP 204"},
      {ProbeOutcome::answered, 299, true, "HTTP 299"},
      {ProbeOutcome::answered, 301, true, "HTTP 301"},
      {ProbeOutcome::answered, 399, true, "HTTP 399"},
      {ProbeOutcome::answered, 400, false, "HTTP 400: the app rejected the probe"},
      {ProbeOutcome::answered, 404, false, "HTTP 404: the app rejected the probe"},
      {ProbeOutcome::answered, 499, false, "HTTP 499: the app rejected the probe"},
      {ProbeOutcome::answered, 500, false, "HTTP 500: the app answered with a server error"},
      {ProbeOutcome::answered, 503, false, "HTTP 503: the app answered with a server error"},
      {ProbeOutcome::answered, 599, false, "HTTP 599: the app answered with a server error"},
      {ProbeOutcome::answered, 101, false, "HTTP 101: informational"},
      {ProbeOutcome::answered, 0, false, "malformed response: status 0 out of range"},
      {ProbeOutcome::answered, 600, false, "malformed response: status 600 out of range"},
      {ProbeOutcome::timed_out, 0, false, "timeout"},
      {ProbeOutcome::refused, 0, false, "connection refused"},
      {ProbeOutcome::malformed, 0, false, "malformed response"},
      {ProbeOutcome::io_error, 0, false, "I/O error"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.detail);
    const ProbeVerdict verdict = judge_probe(c.outcome, c.status);
    EXPECT_EQ(verdict.ok, c.ok);
    EXPECT_TRUE(verdict.detail.starts_with(c.detail)) << verdict.detail;
  }
  EXPECT_EQ(judge_probe(ProbeOutcome::timed_out, 0, "no status line within 300 ms").detail,
            "timeout: no status line within 300 ms");
  EXPECT_EQ(judge_probe(ProbeOutcome::malformed, 0, "bare LF").detail,
            "malformed response: bare LF");
}

TEST(HttpWireFailures, TripsAtExactlyTheThresholdAndASuccessResets) {
  ConsecutiveFailures failures(3);
  EXPECT_FALSE(failures.record(false));
  EXPECT_FALSE(failures.record(false));
  EXPECT_FALSE(failures.tripped());
  EXPECT_EQ(failures.count(), 2U);
  EXPECT_TRUE(failures.record(false)) << "the third failure is the transition";
  EXPECT_TRUE(failures.tripped());
  EXPECT_FALSE(failures.record(false)) << "still tripped: no new transition";
  EXPECT_TRUE(failures.tripped());
  EXPECT_EQ(failures.count(), 4U);
  EXPECT_TRUE(failures.record(true)) << "recovery is a transition too";
  EXPECT_FALSE(failures.tripped());
  EXPECT_EQ(failures.count(), 0U);
  EXPECT_FALSE(failures.record(true));
}

TEST(HttpWireFailures, InterleavedSuccessesNeverTrip) {
  ConsecutiveFailures failures(3);
  for (int round = 0; round < 10; ++round) {
    EXPECT_FALSE(failures.record(false));
    EXPECT_FALSE(failures.record(false));
    EXPECT_FALSE(failures.record(true));
    EXPECT_FALSE(failures.tripped());
  }
}

TEST(HttpWireFailures, ThresholdOneTripsOnTheFirstFailureAndZeroMeansOne) {
  ConsecutiveFailures one(1);
  EXPECT_FALSE(one.tripped());
  EXPECT_TRUE(one.record(false));
  EXPECT_TRUE(one.tripped());
  ConsecutiveFailures zero(0);
  EXPECT_EQ(zero.threshold(), 1U);
  EXPECT_FALSE(zero.tripped()) << "never tripped before any failure";
}

}  // namespace
}  // namespace lifeline
