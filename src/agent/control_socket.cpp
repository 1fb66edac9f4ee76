#include "agent/control_socket.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace lifeline {

namespace {

// More than a handful of simultaneous CLI calls means something is wrong; refuse them
// rather than let a local client grow lifeline's memory.
constexpr std::size_t kMaxConnections = 8;
constexpr auto kConnectionLifetime = std::chrono::seconds(2);

Expected<sockaddr_un> socket_address(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) {
    return Error{ENAMETOOLONG, "control socket path too long: " + path};
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  return address;
}

bool peer_allowed(int fd) {
  ucred peer{};
  socklen_t length = sizeof peer;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0) return false;
  return peer.uid == 0 || peer.uid == ::geteuid();
}

}  // namespace

ControlServer::~ControlServer() {
  for (auto& [fd, connection] : connections_) ::close(fd);
  connections_.clear();
  retired_.clear();
  accept_source_.reset();
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    ::unlink(path_.c_str());
  }
}

Status ControlServer::listen(const std::string& path) {
  auto address = socket_address(path);
  if (!address) return address.error();
  path_ = path;
  listen_fd_ = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return errno_error("control socket");
  struct stat existing {};
  // A socket left by a crashed lifeline is ours to replace; anything else is not.
  if (::lstat(path.c_str(), &existing) == 0) {
    if (!S_ISSOCK(existing.st_mode)) {
      return Error{EEXIST, path + " exists and is not a socket: refusing to replace it"};
    }
    ::unlink(path.c_str());
  }
  const mode_t old_mask = ::umask(0117);
  const int bound =
      ::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&*address), sizeof(sockaddr_un));
  ::umask(old_mask);
  if (bound != 0) return errno_error("bind " + path);
  if (::listen(listen_fd_, 8) != 0) return errno_error("listen " + path);
  auto source =
      loop_.add_io("control-accept", listen_fd_, EPOLLIN, [this](std::uint32_t) { on_accept(); });
  if (!source) return source.error();
  accept_source_ = std::move(*source);
  return ok_status();
}

void ControlServer::on_accept() {
  retired_.clear();
  for (;;) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN: drained
    if (connections_.size() >= kMaxConnections || !peer_allowed(fd)) {
      const char* refusal = R"({"ok":false,"error":"refused"})";
      (void)::send(fd, refusal, std::strlen(refusal), MSG_DONTWAIT | MSG_NOSIGNAL);
      ::close(fd);
      continue;
    }
    Connection connection;
    auto io =
        loop_.add_io("control-request", fd, EPOLLIN, [this, fd](std::uint32_t) { on_request(fd); });
    auto expiry = loop_.add_oneshot(
        "control-expiry",
        std::chrono::duration_cast<std::chrono::microseconds>(kConnectionLifetime),
        [this, fd] { drop(fd); });
    if (!io || !expiry) {
      ::close(fd);
      continue;
    }
    connection.io = std::move(*io);
    connection.expiry = std::move(*expiry);
    connections_.emplace(fd, std::move(connection));
  }
}

void ControlServer::on_request(int fd) {
  std::vector<char> buffer(kMaxControlMessage);
  const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
  if (n < 0 && errno == EAGAIN) return;
  nlohmann::json reply;
  if (n <= 0) {
    drop(fd);
    return;
  }
  auto request = nlohmann::json::parse(buffer.begin(), buffer.begin() + n, nullptr, false);
  if (request.is_discarded() || !request.is_object() || !request.contains("command")) {
    reply = {{"ok", false}, {"error", "request must be a JSON object with a \"command\""}};
  } else {
    reply = handler_(request);
  }
  const std::string text = reply.dump();
  (void)::send(fd, text.data(), std::min(text.size(), kMaxControlMessage),
               MSG_DONTWAIT | MSG_NOSIGNAL);
  drop(fd);
}

// Called from the connection's own callbacks: the sources are switched off and parked
// until the next accept, never destroyed while one of them is running.
void ControlServer::drop(int fd) {
  auto it = connections_.find(fd);
  if (it == connections_.end()) return;
  sd_event_source_set_enabled(it->second.io.raw(), SD_EVENT_OFF);
  sd_event_source_set_enabled(it->second.expiry.raw(), SD_EVENT_OFF);
  retired_.push_back(std::move(it->second));
  connections_.erase(it);
  ::close(fd);
}

Expected<nlohmann::json> control_request(const std::string& path, const nlohmann::json& request,
                                         std::chrono::milliseconds timeout) {
  auto address = socket_address(path);
  if (!address) return address.error();
  const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_error("socket");
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&*address), sizeof(sockaddr_un)) != 0) {
    return errno_error("connect to lifeline at " + path + " (is `lifeline run` running?)");
  }
  const std::string text = request.dump();
  if (::send(fd, text.data(), text.size(), MSG_NOSIGNAL) < 0) return errno_error("send");
  pollfd waiter{fd, POLLIN, 0};
  const int ready = ::poll(&waiter, 1, static_cast<int>(timeout.count()));
  if (ready <= 0)
    return Error{ETIMEDOUT,
                 "lifeline did not answer within " + std::to_string(timeout.count()) + " ms"};
  std::vector<char> buffer(kMaxControlMessage);
  const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
  if (n <= 0) return errno_error("receive from lifeline");
  auto reply = nlohmann::json::parse(buffer.begin(), buffer.begin() + n, nullptr, false);
  if (reply.is_discarded()) return Error{0, "lifeline sent an unreadable reply"};
  return reply;
}

}  // namespace lifeline
