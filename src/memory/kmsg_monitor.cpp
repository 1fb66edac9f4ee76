#include "memory/kmsg_monitor.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <array>
#include <cerrno>

namespace lifeline::memory {

namespace {

// One record per read(); the kernel's limit is 1024 bytes of text plus its dictionary.
constexpr std::size_t kRecordMax = 8192;
// The OOM report's summary and kill lines are logged microseconds apart; if only one of
// them has arrived, wait this long for the other before recording it alone.
constexpr std::chrono::milliseconds kSettle{200};

}  // namespace

KmsgMonitor::KmsgMonitor(std::string path, bool backlog,
                         std::function<void(const OomKill&)> on_kill)
    : path_(std::move(path)), backlog_(backlog), on_kill_(std::move(on_kill)) {}

KmsgMonitor::~KmsgMonitor() {
  stop();
}

Status KmsgMonitor::start(EventLoop& loop) {
  fd_ = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) return errno_error("cannot open " + path_);
  if (!backlog_ && ::lseek(fd_, 0, SEEK_END) < 0) {
    const Error error = errno_error("cannot seek to the end of " + path_);
    ::close(fd_);
    fd_ = -1;
    return error;
  }
  if (auto prepared = loop.prepare_oneshot(settle_, "kmsg-settle",
                                           [this] {
                                             if (auto half = parser_.flush()) emit(*half);
                                           });
      !prepared) {
    return prepared;
  }
  auto source = loop.add_io("kmsg", fd_, EPOLLIN, [this](std::uint32_t) { drain(); });
  if (!source) return source.error();
  source_ = std::move(*source);
  drain();  // the backlog, if any, is readable already
  return ok_status();
}

void KmsgMonitor::stop() {
  source_.reset();
  settle_.disarm();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void KmsgMonitor::drain() {
  std::array<char, kRecordMax> buffer{};
  for (;;) {
    const ssize_t n = ::read(fd_, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EPIPE) {
      ++missed_;  // overwritten before we read it; the next read continues after the gap
      continue;
    }
    if (n <= 0) break;  // EAGAIN: nothing more for now
    ++records_;
    auto record = parse_kmsg_record(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
    if (!record) continue;
    for (const OomKill& kill : parser_.consume(*record)) emit(kill);
  }
  settle_.arm_after(kSettle);
}

void KmsgMonitor::emit(const OomKill& kill) {
  ++kills_;
  on_kill_(kill);
}

}  // namespace lifeline::memory
