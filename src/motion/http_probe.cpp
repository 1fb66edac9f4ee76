#include "motion/http_probe.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

namespace lifeline {

namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;

std::string ms(std::chrono::milliseconds value) {
  return std::to_string(value.count()) + " ms";
}

std::string system_error(const char* what, int error) {
  return std::string(what) + ": " + std::strerror(error);  // NOLINT(concurrency-mt-unsafe)
}

}  // namespace

HttpProbe::HttpProbe(EventLoop& loop, HttpProbeConfig config, ResultCallback on_result)
    : loop_(loop),
      config_(std::move(config)),
      on_result_(std::move(on_result)),
      failures_(config_.failures_to_trip) {}

HttpProbe::~HttpProbe() {
  stop();
  retired_.clear();
}

Status HttpProbe::start(EventLoop& loop) {
  if (&loop != &loop_) return Error{0, "http probe: start() on another loop than its own"};
  if (running_) return Error{0, "http probe: already started"};
  if (config_.interval.count() <= 0 || config_.timeout.count() <= 0) {
    return Error{0, "http probe: interval and timeout must be positive"};
  }
  if (config_.failures_to_trip == 0) return Error{0, "http probe: failures_to_trip must be >= 1"};
  auto url = parse_probe_url(config_.url);
  if (!url) return url.error();
  url_ = std::move(*url);
  request_ = build_probe_request(*url_);

  // Built as the concrete type and copied in: no aliasing through sockaddr_storage.
  address_ = {};
  if (url_->ipv6) {
    sockaddr_in6 v6{};
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(url_->port);
    v6.sin6_addr = in6addr_loopback;
    std::memcpy(&address_, &v6, sizeof v6);
    address_length_ = sizeof v6;
  } else {
    sockaddr_in v4{};
    v4.sin_family = AF_INET;
    v4.sin_port = htons(url_->port);
    if (::inet_pton(AF_INET, url_->host.c_str(), &v4.sin_addr) != 1) {
      return Error{0, "http probe: cannot use host " + url_->host};
    }
    std::memcpy(&address_, &v4, sizeof v4);
    address_length_ = sizeof v4;
  }

  auto started = loop_.start_periodic(
      timer_, "http-probe", duration_cast<microseconds>(config_.interval), [this] { tick(); });
  if (!started) return started.error();
  running_ = true;
  return ok_status();
}

void HttpProbe::stop() {
  running_ = false;
  timer_.stop();  // safe inside the timer's own callback: PeriodicTimer allows it
  end_attempt();
}

void HttpProbe::tick() {
  // Never two in flight: an attempt that outlives its interval has had its chance.
  if (attempt_in_flight()) {
    finish(ProbeOutcome::timed_out, 0,
           "still unanswered when the next probe was due (interval " + ms(config_.interval) + ")");
    if (!running_) return;  // the callback stopped us
  }
  begin_attempt();
}

void HttpProbe::begin_attempt() {
  // Safe here: we run in the periodic timer's callback, never in a parked source's.
  retired_.clear();
  parser_ = StatusLineParser{};
  sent_ = 0;
  received_ = 0;
  started_ = std::chrono::steady_clock::now();

  const int family = url_->ipv6 ? AF_INET6 : AF_INET;
  fd_ = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    finish(ProbeOutcome::io_error, 0, system_error("socket", errno));
    return;
  }
  // Usually EINPROGRESS even on loopback; an immediate success is handled the same way
  // (EPOLLOUT is ready at once), an immediate refusal ends the attempt here.
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address_), address_length_) != 0 &&
      errno != EINPROGRESS) {
    const int error = errno;
    if (error == ECONNREFUSED) {
      finish(ProbeOutcome::refused, 0, {});
    } else {
      finish(ProbeOutcome::io_error, 0, system_error("connect", error));
    }
    return;
  }
  step_ = Step::connecting;
  auto io = loop_.add_io("http-probe-io", fd_, EPOLLOUT,
                         [this](std::uint32_t revents) { on_io(revents); });
  if (!io) {
    finish(ProbeOutcome::io_error, 0, io.error().message);
    return;
  }
  io_ = std::move(*io);
  auto deadline =
      loop_.add_oneshot("http-probe-timeout", duration_cast<microseconds>(config_.timeout),
                        [this] { on_deadline(); });
  if (!deadline) {
    finish(ProbeOutcome::io_error, 0, deadline.error().message);
    return;
  }
  deadline_ = std::move(*deadline);
}

void HttpProbe::on_io(std::uint32_t revents) {
  if (step_ == Step::connecting) {
    if (!check_connected()) return;
    if ((revents & EPOLLOUT) == 0U) {
      // A hang-up without a pending error would wake us again and again until the
      // timeout (epoll is level-triggered): end the attempt instead of spinning.
      if ((revents & (EPOLLERR | EPOLLHUP)) != 0U) {
        finish(ProbeOutcome::io_error, 0, "connection hung up while connecting");
      }
      return;
    }
    step_ = Step::sending;
  }
  if (step_ == Step::sending) {
    if (!send_request()) return;
    step_ = Step::receiving;
    // Switching the running source's mask is fine; only destroying it would not be.
    if (const int rc = sd_event_source_set_io_events(io_.raw(), EPOLLIN); rc < 0) {
      finish(ProbeOutcome::io_error, 0, system_error("wait for the answer", -rc));
    }
    return;
  }
  read_status();
}

// False when the attempt has ended (refused or failed) or the connect is still pending.
bool HttpProbe::check_connected() {
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
  if (error == ECONNREFUSED) {
    finish(ProbeOutcome::refused, 0, {});
    return false;
  }
  if (error != 0) {
    finish(ProbeOutcome::io_error, 0, system_error("connect", error));
    return false;
  }
  return true;
}

// True once the whole request is out; false while waiting for room or after a failure.
bool HttpProbe::send_request() {
  while (sent_ < request_.size()) {
    const ssize_t n =
        ::send(fd_, request_.data() + sent_, request_.size() - sent_, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
      finish(ProbeOutcome::io_error, 0, system_error("send", errno));
      return false;
    }
    sent_ += static_cast<std::size_t>(n);
  }
  return true;
}

void HttpProbe::read_status() {
  // The parser gives up after 1 KiB, so this loop is bounded however fast the peer is.
  std::array<char, 512> buffer{};
  for (;;) {
    const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (n > 0) {
      received_ += static_cast<std::size_t>(n);
      switch (parser_.feed(std::span<const char>(buffer.data(), static_cast<std::size_t>(n)))) {
        case StatusLineParser::State::done:
          finish(ProbeOutcome::answered, parser_.status(), {});
          return;
        case StatusLineParser::State::malformed:
          finish(ProbeOutcome::malformed, 0, parser_.error());
          return;
        case StatusLineParser::State::need_more:
          continue;
      }
    }
    if (n == 0) {
      finish(ProbeOutcome::malformed, 0,
             received_ == 0 ? "connection closed without an answer"
                            : "connection closed inside the status line");
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    finish(ProbeOutcome::io_error, 0, system_error("recv", errno));
    return;
  }
}

void HttpProbe::on_deadline() {
  const char* waiting = step_ == Step::connecting ? "no connection"
                        : step_ == Step::sending  ? "request not sent"
                                                  : "no status line";
  finish(ProbeOutcome::timed_out, 0, std::string(waiting) + " within " + ms(config_.timeout));
}

void HttpProbe::finish(ProbeOutcome outcome, int status, std::string_view context) {
  end_attempt();
  ProbeVerdict verdict = judge_probe(outcome, status, context);
  failures_.record(verdict.ok);
  ProbeResult result;
  result.ok = verdict.ok;
  result.status = outcome == ProbeOutcome::answered ? status : 0;
  result.detail = std::move(verdict.detail);
  result.consecutive_failures = failures_.count();
  result.tripped = failures_.tripped();
  result.elapsed = duration_cast<microseconds>(std::chrono::steady_clock::now() - started_);
  // Last: the callback may stop() us, and nothing of the attempt is touched after it.
  if (on_result_) on_result_(result);
}

void HttpProbe::end_attempt() {
  // Off first (removes the fd from epoll while it is still open), then parked, then closed.
  for (EventSource* source : {&io_, &deadline_}) {
    if (!source->valid()) continue;
    sd_event_source_set_enabled(source->raw(), SD_EVENT_OFF);
    retired_.push_back(std::move(*source));
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

}  // namespace lifeline
