#include "memory/psi_monitor.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include <cerrno>

#include "util/files.hpp"

namespace lifeline::memory {

namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

// Unprivileged triggers (no CAP_SYS_RESOURCE) need a window that is a multiple of 2 s
// (Documentation/accounting/psi.rst, 6.5+). Round up and scale the stall with it.
constexpr microseconds kUnprivilegedWindowStep{2'000'000};

}  // namespace

PsiMonitor::PsiMonitor(std::string path, PsiConfig config,
                       std::function<void(std::string_view)> on_pressure)
    : path_(std::move(path)), config_(config), on_pressure_(std::move(on_pressure)) {}

PsiMonitor::~PsiMonitor() {
  stop();
}

Expected<int> PsiMonitor::open_trigger(bool full, milliseconds stall) {
  microseconds window = config_.window;
  microseconds stall_us = stall;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto text = format_psi_trigger(full, stall_us, window);
    if (!text) return text.error();
    const int fd = ::open(path_.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return errno_error("cannot open " + path_);
    // The kernel takes the last byte written as the terminator: write the NUL too.
    if (::write(fd, text->c_str(), text->size() + 1) >= 0) {
      triggers_.push_back(*text);
      return fd;
    }
    const Error error = errno_error("cannot register PSI trigger \"" + *text + "\" on " + path_);
    ::close(fd);
    const bool unprivileged_window =
        error.errno_value == EINVAL && window.count() % kUnprivilegedWindowStep.count() != 0;
    if (!unprivileged_window) return error;
    const auto steps =
        (window.count() + kUnprivilegedWindowStep.count() - 1) / kUnprivilegedWindowStep.count();
    const microseconds rounded = kUnprivilegedWindowStep * steps;
    stall_us = stall_us * rounded.count() / window.count();
    window = rounded;
  }
  return Error{EINVAL, "cannot register a PSI trigger on " + path_};
}

Status PsiMonitor::start(EventLoop& loop) {
  if (!config_.enabled) return ok_status();
  std::string problems;
  for (const bool full : {false, true}) {
    auto fd = open_trigger(full, full ? config_.full_stall : config_.some_stall);
    if (!fd) {
      problems += (problems.empty() ? "" : "; ") + fd.error().message;
      continue;
    }
    const std::string_view kind = full ? "full" : "some";
    const std::size_t index = open_.size();
    auto source = loop.add_io(std::string("psi-") + std::string(kind), *fd, EPOLLPRI,
                              [this, kind, index](std::uint32_t events) {
                                if ((events & (EPOLLERR | EPOLLHUP)) != 0) {
                                  on_trigger_lost(index);
                                  return;
                                }
                                if ((events & EPOLLPRI) == 0) return;
                                ++fired_;
                                on_pressure_(kind);
                              });
    if (!source) {
      ::close(*fd);
      problems += (problems.empty() ? "" : "; ") + source.error().message;
      continue;
    }
    open_.push_back(Trigger{*fd, std::move(*source)});
  }
  if (open_.empty()) return Error{0, problems};
  return ok_status();
}

// The cgroup was removed (its unit stopped or restarted): the kernel then reports
// EPOLLPRI | EPOLLERR on the trigger at every poll, level-triggered, which would spin the
// loop and read as endless pressure. The source is switched off here (sd-event allows that
// from its own callback); the owner sees lost() and registers again on the new cgroup.
void PsiMonitor::on_trigger_lost(std::size_t index) {
  if (index < open_.size()) sd_event_source_set_enabled(open_[index].source.raw(), SD_EVENT_OFF);
  lost_ = true;
}

void PsiMonitor::stop() {
  for (Trigger& t : open_) {
    t.source.reset();
    ::close(t.fd);
  }
  open_.clear();
}

std::optional<Psi> PsiMonitor::read() const {
  auto text = read_small_file(path_, 4096);
  if (!text) return std::nullopt;
  auto psi = parse_psi(*text);
  if (!psi) return std::nullopt;
  return *psi;
}

}  // namespace lifeline::memory
