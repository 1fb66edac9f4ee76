// The SSH reachability probe: a fresh TCP connection to sshd each time, which must send its
// "SSH-2.0-" banner within the timeout (RFC 4253 section 4.2: the server sends its
// identification string first). A port that accepts but never speaks fails, as a wedged
// or swapped-out sshd would. Non-blocking on the loop: connect, wait, read, all as events.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <functional>
#include <string>

#include "agent/event_loop.hpp"
#include "agent/monitor.hpp"
#include "memory/memory_config.hpp"
#include "memory/ssh_policy.hpp"

namespace lifeline::memory {

class SshProbe final : public Monitor {
 public:
  SshProbe(SshConfig config, std::function<void(const SshProbeResult&)> on_result);
  ~SshProbe() override;
  [[nodiscard]] std::string_view name() const override { return "ssh-probe"; }
  Status start(EventLoop& loop) override;  // first probe after one interval
  void stop() override;
  void probe_now();  // starts a probe unless one is in flight

 private:
  void on_ready(std::uint32_t events);
  void finish(bool ok, std::string detail);

  SshConfig config_;
  std::function<void(const SshProbeResult&)> on_result_;
  EventLoop* loop_ = nullptr;
  sockaddr_storage address_{};
  socklen_t address_length_ = 0;
  PeriodicTimer interval_;
  OneshotTimer timeout_;
  EventSource io_;
  int fd_ = -1;
  bool connected_ = false;
  std::string banner_;
  hal::MonoTime started_{};
};

}  // namespace lifeline::memory
