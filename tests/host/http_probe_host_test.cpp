// The HTTP probe on a real event loop against a real server on 127.0.0.1: a small
// server thread in this process (plain sockets) whose answer the test switches between
// probes, so every verdict below comes from real TCP, not from a fake.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "agent/event_loop.hpp"
#include "motion/http_probe.hpp"

namespace lifeline {
namespace {

using namespace std::chrono_literals;

// One thread, poll() over the listener and its connections. Reads each request to the
// blank line, then answers according to the current mode and closes.
class TestServer {
 public:
  enum class Mode { ok, server_error, silent, garbage, close_without_answer };

  TestServer() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(listen_fd_, 16) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      ADD_FAILURE() << "test server: cannot listen on 127.0.0.1";
      return;
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~TestServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    for (const auto& [fd, request] : connections_) ::close(fd);
    if (listen_fd_ >= 0) ::close(listen_fd_);
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  void set_mode(Mode mode) { mode_ = mode; }
  [[nodiscard]] int accepted() const { return accepted_; }
  [[nodiscard]] int max_open() const { return max_open_; }
  [[nodiscard]] std::string last_request() const {
    std::lock_guard lock(mutex_);
    return last_request_;
  }

 private:
  void run() {
    while (!stop_) {
      std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
      for (const auto& [fd, request] : connections_) fds.push_back({fd, POLLIN, 0});
      ::poll(fds.data(), fds.size(), 20);
      sweep();
      for (;;) {
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) break;
        ++accepted_;
        connections_.emplace(fd, std::string());
        // A probe closes its old socket before it connects the next, and on loopback the
        // FIN is delivered before the new connection can be accepted: sweeping again now
        // drops the old one first, so max_open_ counts only truly overlapping probes.
        sweep();
        max_open_ = std::max(max_open_.load(), static_cast<int>(connections_.size()));
      }
    }
  }

  void sweep() {
    for (auto it = connections_.begin(); it != connections_.end();) {
      it = serve(it) ? std::next(it) : close(it);
    }
  }

  using Connections = std::map<int, std::string>;
  Connections::iterator close(Connections::iterator it) {
    ::close(it->first);
    return connections_.erase(it);
  }

  // False when the connection is done with (answered or closed by the peer).
  bool serve(Connections::iterator it) {
    char buffer[1024];
    for (;;) {
      const ssize_t n = ::recv(it->first, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n == 0) return false;
      if (n < 0) break;
      it->second.append(buffer, static_cast<std::size_t>(n));
    }
    const std::size_t end = it->second.find("\r\n\r\n");
    if (end == std::string::npos) return true;
    {
      std::lock_guard lock(mutex_);
      last_request_ = it->second.substr(0, end + 4);
    }
    std::string answer;
    switch (mode_.load()) {
      case Mode::ok:
        answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
        break;
      case Mode::server_error:
        answer = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n";
        break;
      case Mode::garbage:
        answer = "garbage, not HTTP\r\n\r\n";
        break;
      case Mode::close_without_answer:
        return false;
      case Mode::silent:
        it->second.clear();  // keep it open, read (and ignore) whatever comes next
        return true;
    }
    (void)::send(it->first, answer.data(), answer.size(), MSG_NOSIGNAL);
    return false;
  }

  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<Mode> mode_{Mode::ok};
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::atomic<int> max_open_{0};
  mutable std::mutex mutex_;
  std::string last_request_;
  Connections connections_;  // server thread only
  std::thread thread_;
};

// An in-process loop and probe; results are collected, and `hook` sees each one as it
// arrives (to switch the server's mode between probes).
struct Harness {
  explicit Harness(HttpProbeConfig config) {
    auto created = EventLoop::create();
    if (!created) throw std::runtime_error(created.error().message);
    loop = std::move(*created);
    probe = std::make_unique<HttpProbe>(*loop, std::move(config), [this](const ProbeResult& r) {
      results.push_back(r);
      if (hook) hook(r);
    });
  }

  // Drives the loop until `done` or the deadline; false on the deadline.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      sd_event_run(loop->raw(), 20'000);
    }
    return true;
  }
  bool wait_results(std::size_t count, std::chrono::milliseconds limit = 10s) {
    return run_until([&] { return results.size() >= count; }, limit);
  }

  std::unique_ptr<EventLoop> loop;
  std::vector<ProbeResult> results;
  std::function<void(const ProbeResult&)> hook;
  std::unique_ptr<HttpProbe> probe;  // last: destroyed before the loop
};

HttpProbeConfig config_for(std::uint16_t port, std::chrono::milliseconds interval = 50ms,
                           std::chrono::milliseconds timeout = 500ms, std::uint32_t trip = 3) {
  HttpProbeConfig config;
  config.url = "http://127.0.0.1:" + std::to_string(port) + "/health";
  config.interval = interval;
  config.timeout = timeout;
  config.failures_to_trip = trip;
  return config;
}

TEST(HttpProbeHost, AnswerOf200IsOkAndTheRequestIsExact) {
  TestServer server;
  Harness harness(config_for(server.port()));
  ASSERT_TRUE(harness.probe->start(*harness.loop).ok());
  ASSERT_TRUE(harness.wait_results(2));
  for (const auto& result : harness.results) {
    EXPECT_TRUE(result.ok) << result.detail;
    EXPECT_EQ(result.status, 200);
    EXPECT_EQ(result.detail, "HTTP 200");
    EXPECT_EQ(result.consecutive_failures, 0U);
    EXPECT_FALSE(result.tripped);
    EXPECT_LT(result.elapsed, 1s);
  }
  auto url = parse_probe_url("http://127.0.0.1:" + std::to_string(server.port()) + "/health");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(server.last_request(), build_probe_request(*url));
}

TEST(HttpProbeHost, ServerErrorsTripAfterExactlyNConsecutiveFailuresAndRecover) {
  TestServer server;
  Harness harness(config_for(server.port()));
  // After the first success the app starts answering 500 (the 2025-10-23 incident); after
  // five failures it recovers.
  harness.hook = [&](const ProbeResult&) {
    const std::size_t n = harness.results.size();
    server.set_mode(n >= 1 && n < 6 ? TestServer::Mode::server_error : TestServer::Mode::ok);
  };
  ASSERT_TRUE(harness.probe->start(*harness.loop).ok());
  ASSERT_TRUE(harness.wait_results(7));
  const auto& r = harness.results;
  EXPECT_TRUE(r[0].ok) << r[0].detail;
  for (std::uint32_t failure = 1; failure <= 5; ++failure) {
    SCOPED_TRACE(failure);
    EXPECT_FALSE(r[failure].ok);
    EXPECT_EQ(r[failure].status, 500);
    EXPECT_EQ(r[failure].detail, "HTTP 500: the app answered with a server error");
    EXPECT_EQ(r[failure].consecutive_failures, failure);
    EXPECT_EQ(r[failure].tripped, failure >= 3) << "trips at exactly the third";
  }
  EXPECT_TRUE(r[6].ok) << r[6].detail;
  EXPECT_EQ(r[6].consecutive_failures, 0U);
  EXPECT_FALSE(r[6].tripped) << "one success clears the trip";
  EXPECT_FALSE(harness.probe->tripped());
}

TEST(HttpProbeHost, ASuccessBetweenFailuresResetsTheCount) {
  TestServer server;
  // fail, fail, ok, fail, fail, ok, fail, fail, fail
  const std::vector<bool> plan = {false, false, true, false, false, true, false, false, false};
  server.set_mode(TestServer::Mode::server_error);
  Harness harness(config_for(server.port()));
  harness.hook = [&](const ProbeResult&) {
    const std::size_t next = harness.results.size();
    if (next < plan.size()) {
      server.set_mode(plan[next] ? TestServer::Mode::ok : TestServer::Mode::server_error);
    }
  };
  ASSERT_TRUE(harness.probe->start(*harness.loop).ok());
  ASSERT_TRUE(harness.wait_results(plan.size()));
  const std::vector<std::uint32_t> counts = {1, 2, 0, 1, 2, 0, 1, 2, 3};
  for (std::size_t i = 0; i < plan.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(harness.results[i].ok, plan[i]) << harness.results[i].detail;
    EXPECT_EQ(harness.results[i].consecutive_failures, counts[i]);
    EXPECT_EQ(harness.results[i].tripped, i == plan.size() - 1);
  }
}

TEST(HttpProbeHost, NothingListeningIsRefused) {
  // A bound socket that never listens: the port is ours, and connecting to it is refused.
  const int holder = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(holder, reinterpret_cast<sockaddr*>(&address), length), 0);
  ASSERT_EQ(::getsockname(holder, reinterpret_cast<sockaddr*>(&address), &length), 0);
  Harness harness(config_for(ntohs(address.sin_port), 50ms, 500ms, 2));
  ASSERT_TRUE(harness.probe->start(*harness.loop).ok());
  const bool got = harness.wait_results(2);
  ::close(holder);
  ASSERT_TRUE(got);
  for (const auto& result : harness.results) {
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.status, 0);
    EXPECT_EQ(result.detail, "connection refused");
  }
  EXPECT_FALSE(harness.results[0].tripped);
  EXPECT_TRUE(harness.results[1].tripped);
}

TEST(HttpProbeHost, AServerThatNeverAnswersTimesOut) {
  TestServer server;
  server.set_mode(TestServer::Mode::silent);
  Harness harness(config_for(server.port(), 1000ms, 200ms));
  ASSERT_TRUE(harness.probe->start(*harness.loop).ok());
  ASSERT_TRUE(harness.wait_results(1, 5s));
  const auto& result = harness.results[0];
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.detail, "timeout: no status line within 200 ms");
  EXPECT_GE(result.elapsed, 150ms);  // the loop's timer may start a little before socket()
  EXPECT_LT(result.elapsed, 2s);
  EXPECT_FALSE(harness.probe->attempt_in_flight());
}

TEST(HttpProbeHost, AnAttemptStillRunningAtTheNextTickIsATimeoutNeverTwoInFlight) {
  TestServer server;
  server.set_mode(TestServer::Mode::silent);
  // The timeout is longer than the interval, so the next tick ends each attempt.
  Harness harness(config_for(server.port(), 100ms, 5000ms, 3));
  ASSERT_TRUE(harness.probe->start(*harness.loop).ok());
  ASSERT_TRUE(harness.wait_results(4));
  for (const auto& result : harness.results) {
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.detail,
              "timeout: still unanswered when the next probe was due (interval 100 ms)");
    EXPECT_LT(result.elapsed, 1s);
  }
  EXPECT_TRUE(harness.results[2].tripped);
  harness.probe->stop();
  EXPECT_GE(server.accepted(), 4);
  EXPECT_EQ(server.max_open(), 1);
}

TEST(HttpProbeHost, GarbageIsMalformed) {
  TestServer server;
  server.set_mode(TestServer::Mode::garbage);
  Harness harness(config_for(server.port()));
  ASSERT_TRUE(harness.probe->start(*harness.loop).ok());
  ASSERT_TRUE(harness.wait_results(1));
  EXPECT_FALSE(harness.results[0].ok);
  EXPECT_EQ(harness.results[0].status, 0);
  EXPECT_EQ(harness.results[0].detail, "malformed response: not an HTTP/1.x status line");
}

TEST(HttpProbeHost, ClosingWithoutAnAnswerIsAFailure) {
  TestServer server;
  server.set_mode(TestServer::Mode::close_without_answer);
  Harness harness(config_for(server.port()));
  ASSERT_TRUE(harness.probe->start(*harness.loop).ok());
  ASSERT_TRUE(harness.wait_results(1));
  EXPECT_FALSE(harness.results[0].ok);
  EXPECT_EQ(harness.results[0].detail, "malformed response: connection closed without an answer");
}

TEST(HttpProbeHost, StopFromTheCallbackEndsProbing) {
  TestServer server;
  Harness harness(config_for(server.port()));
  harness.hook = [&](const ProbeResult&) { harness.probe->stop(); };
  ASSERT_TRUE(harness.probe->start(*harness.loop).ok());
  ASSERT_TRUE(harness.wait_results(1));
  harness.run_until([] { return false; }, 300ms);
  EXPECT_EQ(harness.results.size(), 1U);
  EXPECT_FALSE(harness.probe->attempt_in_flight());
  EXPECT_EQ(server.accepted(), 1);
}

TEST(HttpProbeHost, StartRejectsANonLoopbackUrlAndABadConfig) {
  Harness remote(config_for(8080));
  HttpProbeConfig config = config_for(8080);
  config.url = "http://10.0.0.1:8080/health";
  Harness harness(config);
  auto started = harness.probe->start(*harness.loop);
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message.find("loopback"), std::string::npos) << started.error().message;

  config = config_for(8080);
  config.failures_to_trip = 0;
  Harness zero(config);
  EXPECT_FALSE(zero.probe->start(*zero.loop).ok());
  // Built on one loop, started on another: refused rather than half-registered.
  EXPECT_FALSE(remote.probe->start(*zero.loop).ok());
}

}  // namespace
}  // namespace lifeline
