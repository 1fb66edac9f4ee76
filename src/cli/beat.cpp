#include "cli/beat.hpp"

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "lifeline/lease.h"

namespace lifeline::cli {

namespace {

// Why a beat may not arrive, in words an operator can act on.
const char* hint(int error) {
  switch (error) {
    case ENOENT:
    case ECONNREFUSED:
      return " (is lifeline running with a [motion] lease?)";
    case EACCES:
    case EPERM:
      return " (run as root or in the socket's group)";
    case EAGAIN:
      return " (lifeline is not reading its lease socket)";
    default:
      return "";
  }
}

// SIGTERM/SIGINT blocked and waited for with sigtimedwait(): the wait between beats ends
// at once on a stop request, with no handler and no global flag.
class StopSignals {
 public:
  StopSignals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGINT);
    sigprocmask(SIG_BLOCK, &set_, &previous_);
  }
  ~StopSignals() { sigprocmask(SIG_SETMASK, &previous_, nullptr); }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // True when a stop signal arrived, within `timeout` or before.
  bool wait(std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = deadline - std::chrono::steady_clock::now();
      const auto zero = left.count() < 0 ? decltype(left)::zero() : left;
      const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(zero);
      const timespec wait_for{static_cast<time_t>(seconds.count()),
                              static_cast<long>((zero - seconds).count())};
      if (::sigtimedwait(&set_, nullptr, &wait_for) > 0) return true;
      if (errno == EAGAIN) return false;  // the interval is over
      // EINTR: another signal; wait out the rest.
    }
  }

 private:
  sigset_t set_{};
  sigset_t previous_{};
};

}  // namespace

int beat(const std::string& socket_path, const std::string& name, int count,
         std::chrono::milliseconds interval) {
  if (count < 0 || interval < std::chrono::milliseconds(0)) {
    std::fprintf(stderr, "lifeline beat: --count and --interval-ms must not be negative\n");
    return 2;
  }
  lifeline_lease lease{};
  if (const int rc = lifeline_lease_open(&lease, socket_path.c_str(), name.c_str()); rc != 0) {
    std::fprintf(stderr, "lifeline beat: %s\n",
                 rc == -EINVAL ? "the name must be 1 to 32 of [a-z0-9_-] and the socket path "
                                 "at most 107 bytes"
                               : std::strerror(-rc));  // NOLINT(concurrency-mt-unsafe)
    lifeline_lease_close(&lease);
    return 2;
  }
  const StopSignals stop;
  bool any_failed = false;
  int last_error = 0;
  const auto total = static_cast<std::uint64_t>(count);
  for (std::uint64_t sent = 0; count == 0 || sent < total; ++sent) {
    if (sent > 0 && stop.wait(interval)) break;
    const int rc = lifeline_lease_beat(&lease);
    // Printed once per change: a `--count 0` beat loop outliving a lifeline restart
    // must not fill the journal with one line per beat.
    if (rc != 0 && -rc != last_error) {
      std::fprintf(stderr, "lifeline beat: %s: %s%s\n", socket_path.c_str(), std::strerror(-rc),
                   hint(-rc));  // NOLINT(concurrency-mt-unsafe)
    } else if (rc == 0 && last_error != 0) {
      std::fprintf(stderr, "lifeline beat: %s: beats are getting through again\n",
                   socket_path.c_str());
    }
    last_error = -rc;
    any_failed = any_failed || rc != 0;
  }
  lifeline_lease_close(&lease);
  return any_failed ? 1 : 0;
}

}  // namespace lifeline::cli
