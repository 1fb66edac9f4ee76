// lifeline's control socket: the CLI (`status`, `rearm`, later `estop`) talks to the
// running agent through it. SOCK_SEQPACKET, one JSON request and one JSON reply per
// connection; only root or lifeline's own uid may use it (SO_PEERCRED).
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/event_loop.hpp"

namespace lifeline {

using ControlHandler = std::function<nlohmann::json(const nlohmann::json& request)>;

inline constexpr std::size_t kMaxControlMessage = std::size_t{64} * 1024;

class ControlServer {
 public:
  ControlServer(EventLoop& loop, ControlHandler handler)
      : loop_(loop), handler_(std::move(handler)) {}
  ~ControlServer();
  Status listen(const std::string& path);

 private:
  void on_accept();
  void on_request(int fd);
  void drop(int fd);
  EventLoop& loop_;
  ControlHandler handler_;
  std::string path_;
  int listen_fd_ = -1;
  EventSource accept_source_;
  struct Connection {
    EventSource io;
    EventSource expiry;
  };
  std::map<int, Connection> connections_;
  std::vector<Connection> retired_;
};

// Client side, for the CLI: sends one request, waits up to `timeout` for the reply.
Expected<nlohmann::json> control_request(const std::string& path, const nlohmann::json& request,
                                         std::chrono::milliseconds timeout);

}  // namespace lifeline
