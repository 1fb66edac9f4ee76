#include "motion/lease_monitor.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <span>
#include <utility>

namespace lifeline {

namespace {

using std::chrono::milliseconds;

// A flood must not starve the loop's other sources (the watchdog pet among them): at most
// this many datagrams per wake-up. The io source is level-triggered, so the rest are
// read on the next iteration.
constexpr int kMaxDatagramsPerWake = 64;

// The expiry may fire up to this late, so sd-event can coalesce wake-ups. Small against
// any sensible lease timeout (>= 100 ms), and it never fires early.
constexpr std::uint64_t kExpiryAccuracyUsec = 1000;

// Rejections are counted one by one but reported at most this often: the callback feeds
// the log and the black box, which a hostile sender must not be able to flood.
constexpr auto kRejectionReportInterval = std::chrono::seconds(1);

std::uint64_t to_usec(hal::MonoTime time) {
  const auto usec =
      std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
  return usec < 0 ? 0 : static_cast<std::uint64_t>(usec);
}

Error sd_error(const std::string& what, int negative_errno) {
  return Error{-negative_errno, what + ": " + std::strerror(-negative_errno)};  // NOLINT
}

std::string uid_text(uid_t uid) {
  return std::to_string(uid);
}

}  // namespace

LeaseMonitor::LeaseMonitor(EventLoop& loop, LeaseConfig config,
                           std::function<void(const LeaseEvent&)> on_event)
    : loop_(loop),
      config_(std::move(config)),
      on_event_(std::move(on_event)),
      label_("lease:" + config_.name),
      state_(config_.timeout),
      flood_limiter_(config_.max_datagrams_per_second) {}

LeaseMonitor::~LeaseMonitor() {
  stop();
}

LeaseCounters LeaseMonitor::counters() const {
  LeaseCounters result = counters_;
  result.renewals = state_.renewals();
  result.seq_regressions = state_.seq_regressions();
  return result;
}

Status LeaseMonitor::start(EventLoop& loop) {
  if (&loop != &loop_) return Error{EINVAL, label_ + ": started on another event loop"};
  if (running()) return ok_status();
  if (!is_valid_lease_name(config_.name)) {
    return Error{EINVAL, "lease name '" + config_.name + "' is not 1 to 32 of [a-z0-9_-]"};
  }
  if (config_.timeout <= milliseconds(0)) return Error{EINVAL, label_ + ": timeout must be > 0"};

  // A fresh start is "never renewed": the app proves itself again before any motion.
  state_ = LeaseState(config_.timeout);
  flood_limiter_ = RateLimiter(config_.max_datagrams_per_second);
  alive_ = false;
  counters_ = {};
  last_rejection_report_.reset();
  unreported_rejections_ = 0;

  if (auto bound = bind_socket(); !bound) return bound;
  auto io = loop_.add_io(label_, fd_, EPOLLIN, [this](std::uint32_t) { on_readable(); });
  if (!io) {
    stop();
    return io.error();
  }
  io_ = std::move(*io);
  // The one expiry timer, created disabled and re-armed by every renewal.
  sd_event_source* timer = nullptr;
  if (int rc = sd_event_add_time(loop_.raw(), &timer, CLOCK_MONOTONIC, 0, kExpiryAccuracyUsec,
                                 &LeaseMonitor::on_expiry_timer, this);
      rc < 0) {
    stop();
    return sd_error(label_ + ": add expiry timer", rc);
  }
  expiry_.reset(timer);
  sd_event_source_set_enabled(timer, SD_EVENT_OFF);
  sd_event_source_set_description(timer, (label_ + ":expiry").c_str());
  return ok_status();
}

Status LeaseMonitor::bind_socket() {
  const std::string& path = config_.socket_path;
  sockaddr_un addr{};
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return Error{EINVAL, "lease socket path '" + path + "' is empty or longer than 107 bytes"};
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  const auto* address = reinterpret_cast<const sockaddr*>(&addr);

  // Replace what a previous run left behind, but only a socket (never a file someone
  // pointed the config at by mistake) and only a dead one (never a running instance's).
  struct stat info {};
  if (::lstat(path.c_str(), &info) == 0) {
    if (!S_ISSOCK(info.st_mode)) {
      return Error{EEXIST, path + ": exists and is not a socket; not replacing it"};
    }
    const int probe = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (probe >= 0) {
      const bool live = ::connect(probe, address, sizeof(addr)) == 0;
      ::close(probe);
      if (live) return Error{EADDRINUSE, path + ": another process is bound to this socket"};
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return errno_error("remove stale lease socket " + path);
    }
  } else if (errno != ENOENT) {
    return errno_error("lease socket " + path);
  }

  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return errno_error("lease socket");
  // The kernel then attaches the sender's pid/uid/gid to every datagram; a sender cannot
  // forge them without CAP_SETUID/CAP_SYS_ADMIN.
  const int on = 1;
  if (::setsockopt(fd_, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) != 0) {
    Error error = errno_error("lease socket: SO_PASSCRED");
    stop();
    return error;
  }
  if (::bind(fd_, address, sizeof(addr)) != 0) {
    Error error = errno_error("bind lease socket " + path + " (does its directory exist?)");
    stop();
    return error;
  }
  // Sending needs write permission on the socket file: owner (root) and group. bind()
  // created it per the umask; until this chmod it is at most that, never wider.
  if (::chmod(path.c_str(), 0660) != 0 || ::lstat(path.c_str(), &info) != 0) {
    Error error = errno_error("chmod 0660 lease socket " + path);
    ::unlink(path.c_str());
    stop();
    return error;
  }
  bound_file_ = std::make_pair(info.st_dev, info.st_ino);
  return ok_status();
}

void LeaseMonitor::stop() {
  io_.reset();
  expiry_.reset();
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  // Unlink only the file we bound: a newer instance may have replaced it since.
  struct stat info {};
  if (bound_file_ && ::lstat(config_.socket_path.c_str(), &info) == 0 &&
      std::make_pair(info.st_dev, info.st_ino) == *bound_file_) {
    ::unlink(config_.socket_path.c_str());
  }
  bound_file_.reset();
  alive_ = false;  // no longer observed, so no longer vouched for
}

void LeaseMonitor::on_readable() {
  for (int i = 0; i < kMaxDatagramsPerWake && running(); ++i) {
    if (!receive_one()) break;
  }
}

bool LeaseMonitor::receive_one() {
  iovec iov{buffer_.data(), buffer_.size()};
  // Room for the credentials only: any file descriptors a sender attached do not fit and
  // the kernel drops them instead of installing them here.
  alignas(cmsghdr) std::array<std::uint8_t, CMSG_SPACE(sizeof(ucred))> control{};
  msghdr message{};
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  message.msg_control = control.data();
  message.msg_controllen = control.size();
  // MSG_TRUNC: the real length even when it did not fit, to report it.
  const ssize_t size = ::recvmsg(fd_, &message, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
  if (size < 0) return false;  // EAGAIN: drained. Anything else: level-triggered, retried.

  std::optional<ucred> sender;
  for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr;
       header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_level != SOL_SOCKET) continue;
    if (header->cmsg_type == SCM_CREDENTIALS && header->cmsg_len >= CMSG_LEN(sizeof(ucred))) {
      ucred credentials{};
      std::memcpy(&credentials, CMSG_DATA(header), sizeof(credentials));
      sender = credentials;
    } else if (header->cmsg_type == SCM_RIGHTS) {
      // Defensive: should one ever arrive, do not leak it.
      const std::size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (std::size_t k = 0; k < count; ++k) {
        int fd = -1;
        std::memcpy(&fd, CMSG_DATA(header) + k * sizeof(int), sizeof(int));
        if (fd >= 0) ::close(fd);
      }
    }
  }
  on_datagram(static_cast<std::size_t>(size), (message.msg_flags & MSG_TRUNC) != 0, sender);
  return true;
}

void LeaseMonitor::on_datagram(std::size_t size, bool truncated,
                               const std::optional<ucred>& sender) {
  const hal::MonoTime now = loop_.now();
  // Credentials first: they cost nothing to check, and a sender that may not renew must
  // not be able to use up the app's flood budget either.
  const bool uid_ok =
      sender && (sender->uid == 0 || !config_.allowed_uid || sender->uid == *config_.allowed_uid);
  if (!uid_ok) {
    ++counters_.wrong_uid;
    if (rejection_report_due(now)) {
      report_rejection(sender ? "datagram from uid " + uid_text(sender->uid) + " (pid " +
                                    std::to_string(sender->pid) + ") refused: only root and uid " +
                                    uid_text(config_.allowed_uid.value_or(0)) + " may renew"
                              : std::string("datagram without sender credentials refused"),
                       0);
    }
    return;
  }
  if (!flood_limiter_.allow(now)) {
    ++counters_.flooded;
    if (rejection_report_due(now)) {
      report_rejection("more than " + std::to_string(config_.max_datagrams_per_second) +
                           " datagrams a second from pid " + std::to_string(sender->pid) +
                           ": ignoring the excess",
                       0);
    }
    return;
  }
  if (truncated || size > kLeaseMaxDatagram) {
    ++counters_.malformed;
    if (rejection_report_due(now)) {
      report_rejection("datagram of " + std::to_string(size) + " bytes from pid " +
                           std::to_string(sender->pid) + " exceeds " +
                           std::to_string(kLeaseMaxDatagram),
                       0);
    }
    return;
  }
  auto beat = parse_lease_datagram(std::span<const std::uint8_t>(buffer_.data(), size));
  if (!beat) {
    ++counters_.malformed;
    if (rejection_report_due(now)) {
      report_rejection("malformed datagram from pid " + std::to_string(sender->pid) + ": " +
                           beat.error().message,
                       0);
    }
    return;
  }
  if (beat->name != config_.name) {
    ++counters_.wrong_name;
    if (rejection_report_due(now)) {
      // Safe to print: a parsed name is [a-z0-9_-] only.
      report_rejection("beat for lease '" + beat->name + "' from pid " +
                           std::to_string(sender->pid) + " (this lease is '" + config_.name + "')",
                       beat->seq);
    }
    return;
  }
  renew(beat->seq, *sender);
}

void LeaseMonitor::renew(std::uint64_t seq, const ucred& sender) {
  // The loop's time of this wake-up, which is no later than the datagram's arrival: the
  // deadline errs early, on the side of stopping.
  const hal::MonoTime now = loop_.now();
  // A beat read after the deadline (this wake-up also found the timer due) cannot undo
  // the lapse: report the expiry first, then the new renewal.
  if (alive_ && state_.expired(now)) {
    expire(now);
    if (!running()) return;
  }
  state_.renew(now, seq);
  if (!arm_expiry()) {
    // Without a timer nothing would notice the next lapse: never call the lease alive.
    if (alive_) expire(now);
    if (running()) report_rejection("cannot arm the lease expiry timer; beat ignored", seq);
    return;
  }
  if (!alive_) {
    alive_ = true;
    emit(LeaseEvent::Kind::renewed_first,
         "lease '" + config_.name + "' renewed by pid " + std::to_string(sender.pid) + " (uid " +
             uid_text(sender.uid) + "), seq " + std::to_string(seq),
         seq);
  }
}

bool LeaseMonitor::arm_expiry() {
  const auto deadline = state_.deadline();
  if (!expiry_ || !deadline) return false;
  // Moves the one existing source: no allocation on the per-beat path.
  return sd_event_source_set_time(expiry_.get(), to_usec(*deadline)) >= 0 &&
         sd_event_source_set_enabled(expiry_.get(), SD_EVENT_ONESHOT) >= 0;
}

int LeaseMonitor::on_expiry_timer(sd_event_source* /*source*/, std::uint64_t /*usec*/,
                                  void* userdata) {
  auto* self = static_cast<LeaseMonitor*>(userdata);
  const hal::MonoTime now = self->loop_.now();
  if (!self->alive_) return 0;
  if (!self->state_.expired(now)) {  // cannot happen (it never fires early); stay armed
    self->arm_expiry();
    return 0;
  }
  self->expire(now);
  return 0;
}

void LeaseMonitor::expire(hal::MonoTime now) {
  alive_ = false;
  ++counters_.expiries;
  if (expiry_) sd_event_source_set_enabled(expiry_.get(), SD_EVENT_OFF);
  const std::uint64_t last_seq = state_.last_seq().value_or(0);
  const auto age = state_.age(now).value_or(milliseconds(0));
  emit(LeaseEvent::Kind::expired,
       "lease '" + config_.name + "' not renewed for " + std::to_string(age.count()) +
           " ms (timeout " + std::to_string(config_.timeout.count()) + " ms), last seq " +
           std::to_string(last_seq),
       last_seq);
}

bool LeaseMonitor::rejection_report_due(hal::MonoTime now) {
  if (last_rejection_report_ && now - *last_rejection_report_ < kRejectionReportInterval) {
    ++unreported_rejections_;
    return false;
  }
  last_rejection_report_ = now;
  return true;
}

void LeaseMonitor::report_rejection(std::string detail, std::uint64_t seq) {
  detail = "lease '" + config_.name + "': " + detail;
  if (unreported_rejections_ > 0) {
    detail +=
        " (and " + std::to_string(unreported_rejections_) + " more rejected since the last report)";
    unreported_rejections_ = 0;
  }
  emit(LeaseEvent::Kind::rejected, std::move(detail), seq);
}

void LeaseMonitor::emit(LeaseEvent::Kind kind, std::string detail, std::uint64_t seq) {
  // Last thing each path does: the callback may stop() this monitor.
  if (on_event_) on_event_(LeaseEvent{kind, std::move(detail), seq});
}

}  // namespace lifeline
