// The rescue page's access control, kept free of HTTP so it is tested with a fake clock:
// random tokens, constant-time comparison, sessions with idle and absolute expiry, and a
// per-source login limiter with exponential back-off. Thread-safe: CivetWeb's worker
// threads share one instance.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "lifeline/hal/clock.hpp"

namespace lifeline::rescue {

// `bytes` random bytes from getrandom(2), as lower-case hex.
std::string random_hex(std::size_t bytes);

// Compares in time that depends only on the lengths, never on where the texts differ.
bool constant_time_equal(std::string_view a, std::string_view b);

struct Session {
  std::string token;  // the cookie value
  std::string csrf;   // must accompany every state-changing request of this session
  std::string remote;
  hal::MonoTime created;
  hal::MonoTime last_used;
  [[nodiscard]] std::string label() const;  // "session 1a2b3c4d from 10.0.0.5": for records
};

struct SessionLimits {
  std::chrono::seconds idle{30 * 60};
  std::chrono::seconds lifetime{12 * 60 * 60};
  std::size_t max_sessions = 16;  // the oldest is ended to make room
};

class SessionStore {
 public:
  SessionStore(const hal::Clock& clock, SessionLimits limits) : clock_(clock), limits_(limits) {}
  Session create(const std::string& remote);
  // The live session for `token` (refreshing its idle time), or nullopt if none or expired.
  std::optional<Session> find(std::string_view token);
  void end(std::string_view token);
  [[nodiscard]] std::size_t size() const;

 private:
  [[nodiscard]] bool expired(const Session& session, hal::MonoTime now) const;
  const hal::Clock& clock_;
  SessionLimits limits_;
  mutable std::mutex mutex_;
  std::map<std::string, Session, std::less<>> sessions_;
};

struct LoginLimits {
  int attempts = 5;                        // free failures before waiting starts
  std::chrono::seconds backoff{30};        // first wait; doubles per further failure
  std::chrono::seconds max_backoff{3600};  // never more than this
  std::size_t max_sources = 256;           // tracked addresses; the stalest is forgotten
};

class LoginLimiter {
 public:
  LoginLimiter(const hal::Clock& clock, LoginLimits limits) : clock_(clock), limits_(limits) {}
  // Zero when `source` may try now; otherwise how long it must still wait.
  std::chrono::seconds wait_for(const std::string& source);
  void failed(const std::string& source);
  void succeeded(const std::string& source);

 private:
  struct Entry {
    int failures = 0;
    hal::MonoTime blocked_until{};
    hal::MonoTime last_seen{};
  };
  const hal::Clock& clock_;
  LoginLimits limits_;
  std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> sources_;
};

}  // namespace lifeline::rescue
