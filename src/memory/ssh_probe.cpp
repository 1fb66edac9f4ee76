#include "memory/ssh_probe.hpp"

#include <arpa/inet.h>
#include <sys/epoll.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace lifeline::memory {

namespace {

constexpr std::size_t kBannerMax = 255;  // RFC 4253: at most 255 characters with CR LF

std::string printable(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\r' || c == '\n') break;
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return out;
}

}  // namespace

SshProbe::SshProbe(SshConfig config, std::function<void(const SshProbeResult&)> on_result)
    : config_(std::move(config)), on_result_(std::move(on_result)) {}

SshProbe::~SshProbe() {
  stop();
}

Status SshProbe::start(EventLoop& loop) {
  loop_ = &loop;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address_);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address_);
  if (inet_pton(AF_INET, config_.address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(config_.port);
    address_length_ = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, config_.address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(config_.port);
    address_length_ = sizeof(sockaddr_in6);
  } else {
    return Error{EINVAL, "ssh probe: not an IP address: " + config_.address};
  }
  if (auto s = loop.prepare_oneshot(timeout_, "ssh-probe-timeout",
                                    [this] {
                                      finish(false, connected_ ? "no banner within the timeout"
                                                               : "connect timed out");
                                    });
      !s) {
    return s;
  }
  return loop.start_periodic(interval_, "ssh-probe", config_.interval, [this] { probe_now(); });
}

void SshProbe::stop() {
  interval_.stop();
  timeout_.disarm();
  io_.reset();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void SshProbe::probe_now() {
  if (fd_ >= 0 || loop_ == nullptr) return;
  io_.reset();
  started_ = loop_->now();
  connected_ = false;
  banner_.clear();
  fd_ = ::socket(address_.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return finish(false, std::string("socket: ") + std::strerror(errno));
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address_), address_length_) < 0 &&
      errno != EINPROGRESS) {
    return finish(false, std::string("connect: ") + std::strerror(errno));
  }
  auto io = loop_->add_io("ssh-probe-io", fd_, EPOLLIN | EPOLLOUT,
                          [this](std::uint32_t events) { on_ready(events); });
  if (!io) return finish(false, io.error().message);
  io_ = std::move(*io);
  timeout_.arm_after(config_.timeout);
}

void SshProbe::on_ready(std::uint32_t events) {
  if (!connected_) {
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) return finish(false, std::string("connect: ") + std::strerror(error));
    connected_ = true;
    // Writable stays true from now on: listen for the banner only, or the loop would spin.
    sd_event_source_set_io_events(io_.raw(), EPOLLIN);
  }
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) == 0) return;  // connected; wait to read
  std::array<char, kBannerMax + 1> buffer{};
  const ssize_t n = ::read(fd_, buffer.data(), buffer.size());
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    return finish(false,
                  n == 0 ? "closed before a banner" : std::string("read: ") + std::strerror(errno));
  }
  banner_.append(buffer.data(), static_cast<std::size_t>(n));
  if (banner_.find('\n') == std::string::npos && banner_.size() < kBannerMax) return;
  // Lines before the identification string are allowed; sshd sends none, so the first
  // line must be it.
  if (banner_.starts_with("SSH-2.0-") || banner_.starts_with("SSH-1.99-")) {
    return finish(true, printable(banner_));
  }
  finish(false, "not an SSH banner: " + printable(banner_));
}

void SshProbe::finish(bool ok, std::string detail) {
  timeout_.disarm();
  // This may run inside the io source's own callback: switch the source off (out of epoll,
  // before its fd is closed) and free it at the next probe, not now.
  if (io_.valid()) sd_event_source_set_enabled(io_.raw(), SD_EVENT_OFF);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  SshProbeResult result;
  result.ok = ok;
  result.detail = std::move(detail);
  if (loop_ != nullptr) {
    result.latency = std::chrono::duration_cast<std::chrono::microseconds>(loop_->now() - started_);
  }
  on_result_(result);
}

}  // namespace lifeline::memory
