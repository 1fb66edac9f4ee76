#include "rescue/auth.hpp"

#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <stdexcept>

namespace lifeline::rescue {

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  std::size_t filled = 0;
  while (filled < bytes) {
    const ssize_t got = ::getrandom(raw.data() + filled, bytes - filled, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      // No entropy source at all: a guessable token would be worse than no page.
      throw std::runtime_error("getrandom failed");
    }
    filled += static_cast<std::size_t>(got);
  }
  static constexpr std::array<char, 16> kHex{'0', '1', '2', '3', '4', '5', '6', '7',
                                             '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  std::string out;
  out.reserve(bytes * 2);
  for (char ch : raw) {
    const auto byte = static_cast<unsigned char>(ch);
    out += kHex[byte >> 4U];
    out += kHex[byte & 0xFU];
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  // Loop over the longer length so the time says nothing about a prefix match.
  const std::size_t n = std::max(a.size(), b.size());
  unsigned diff = a.size() == b.size() ? 0U : 1U;
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = static_cast<unsigned char>(i < a.size() ? a[i] : 0);
    const auto y = static_cast<unsigned char>(i < b.size() ? b[i] : 0);
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0;
}

std::string Session::label() const {
  return "session " + token.substr(0, 8) + " from " + remote;
}

Session SessionStore::create(const std::string& remote) {
  const auto now = clock_.now();
  Session session{random_hex(32), random_hex(32), remote, now, now};
  std::lock_guard lock(mutex_);
  std::erase_if(sessions_, [&](const auto& entry) { return expired(entry.second, now); });
  while (sessions_.size() >= limits_.max_sessions) {
    auto oldest = std::min_element(sessions_.begin(), sessions_.end(), [](auto& x, auto& y) {
      return x.second.last_used < y.second.last_used;
    });
    sessions_.erase(oldest);
  }
  sessions_.emplace(session.token, session);
  return session;
}

bool SessionStore::expired(const Session& session, hal::MonoTime now) const {
  return now - session.last_used >= limits_.idle || now - session.created >= limits_.lifetime;
}

std::optional<Session> SessionStore::find(std::string_view token) {
  if (token.size() != 64) return std::nullopt;
  const auto now = clock_.now();
  std::lock_guard lock(mutex_);
  // Compare every stored token in constant time rather than a map lookup whose timing
  // would hint at how much of a guessed token matches.
  for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
    if (!constant_time_equal(it->first, token)) continue;
    if (expired(it->second, now)) {
      sessions_.erase(it);
      return std::nullopt;
    }
    it->second.last_used = now;
    return it->second;
  }
  return std::nullopt;
}

void SessionStore::end(std::string_view token) {
  std::lock_guard lock(mutex_);
  if (auto it = sessions_.find(token); it != sessions_.end()) sessions_.erase(it);
}

std::size_t SessionStore::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

std::chrono::seconds LoginLimiter::wait_for(const std::string& source) {
  const auto now = clock_.now();
  std::lock_guard lock(mutex_);
  const auto it = sources_.find(source);
  if (it == sources_.end() || it->second.blocked_until <= now) return std::chrono::seconds(0);
  // Round up: "wait 0 s" while still blocked would invite an immediate retry.
  const auto left = it->second.blocked_until - now;
  return std::chrono::ceil<std::chrono::seconds>(left);
}

void LoginLimiter::failed(const std::string& source) {
  const auto now = clock_.now();
  std::lock_guard lock(mutex_);
  if (sources_.find(source) == sources_.end() && sources_.size() >= limits_.max_sources) {
    // Forget the address seen least recently; a flood of addresses cannot grow the table.
    auto stalest = std::min_element(sources_.begin(), sources_.end(), [](auto& x, auto& y) {
      return x.second.last_seen < y.second.last_seen;
    });
    sources_.erase(stalest);
  }
  Entry& entry = sources_[source];
  entry.failures += 1;
  entry.last_seen = now;
  const int over = entry.failures - limits_.attempts;
  if (over < 0) return;
  // attempts failures: wait backoff; each further failure doubles it, up to max_backoff.
  auto wait = limits_.backoff;
  for (int i = 0; i < over && wait < limits_.max_backoff; ++i) wait *= 2;
  entry.blocked_until = now + std::min(wait, limits_.max_backoff);
}

void LoginLimiter::succeeded(const std::string& source) {
  std::lock_guard lock(mutex_);
  sources_.erase(source);
}

}  // namespace lifeline::rescue
