#include "hal/sim/sim_watchdog.hpp"

#include <fcntl.h>
#include <linux/watchdog.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "util/files.hpp"

namespace lifeline::hal {

namespace {

struct SimState {
  bool armed = false;
  long long last_pet_wall_ms = 0;
  long long timeout_s = 0;
  unsigned boots = 0;
};

SimState read_state(const std::string& dir) {
  SimState state;
  auto text = read_small_file(dir + "/watchdog.state", 256);
  if (!text) return state;
  int armed = 0;
  if (std::sscanf(text->c_str(), "armed=%d last_pet_wall_ms=%lld timeout_s=%lld boots=%u", &armed,
                  &state.last_pet_wall_ms, &state.timeout_s, &state.boots) == 4) {
    state.armed = armed != 0;
  }
  return state;
}

long long wall_ms(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.wall_now().time_since_epoch())
      .count();
}

// Left armed and unpetted past its timeout: real hardware would have reset the board.
bool expired(const SimState& state, const Clock& clock) {
  return state.armed && wall_ms(clock) - state.last_pet_wall_ms > state.timeout_s * 1000;
}

}  // namespace

SimWatchdog::SimWatchdog(std::string dir, const Clock& clock, std::chrono::seconds max_timeout)
    : dir_(std::move(dir)), clock_(clock), max_timeout_(max_timeout) {}

SimWatchdog::~SimWatchdog() {
  close_armed();
}

Status SimWatchdog::open() {
  if (log_fd_ >= 0) return ok_status();
  if (auto made = make_directories(dir_); !made) return made;
  const SimState previous = read_state(dir_);
  boots_ = previous.boots;
  if (expired(previous, clock_)) {
    boot_status_ = WDIOF_CARDRESET;
    boots_ += 1;
  }
  const std::string log_path = dir_ + "/watchdog.log";
  log_fd_ = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd_ < 0) return errno_error("open " + log_path);
  const std::string state_path = dir_ + "/watchdog.state";
  state_fd_ = ::open(state_path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (state_fd_ < 0) return errno_error("open " + state_path);
  if (boot_status_ != 0) log_line("simulated_reset", boots_);
  last_pet_wall_ms_ = wall_ms(clock_);
  log_line("open");
  write_state(true);
  return ok_status();
}

Expected<WatchdogIdentity> SimWatchdog::identity() {
  return WatchdogIdentity{"lifeline sim watchdog",
                          WDIOF_SETTIMEOUT | WDIOF_MAGICCLOSE | WDIOF_KEEPALIVEPING, 1};
}

Expected<std::chrono::seconds> SimWatchdog::set_timeout(std::chrono::seconds wanted) {
  // Like many drivers: silently limited to what the hardware can count.
  timeout_ = std::min(wanted, max_timeout_);
  log_line("timeout", timeout_.count());
  write_state(true);
  return timeout_;
}

Status SimWatchdog::pet() {
  last_pet_wall_ms_ = wall_ms(clock_);
  log_line("pet");
  write_state(true);
  return ok_status();
}

Status SimWatchdog::close_disarmed() {
  if (log_fd_ < 0) return ok_status();
  log_line("magic_close");
  write_state(false);
  ::close(log_fd_);
  ::close(state_fd_);
  log_fd_ = state_fd_ = -1;
  return ok_status();
}

void SimWatchdog::close_armed() {
  if (log_fd_ < 0) return;
  log_line("close_armed");
  ::close(log_fd_);
  ::close(state_fd_);
  log_fd_ = state_fd_ = -1;
}

void SimWatchdog::log_line(const char* what, long long value) {
  char line[96];
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.now().time_since_epoch()).count();
  const int n =
      value >= 0 ? std::snprintf(line, sizeof line, "%lld %s %lld\n", static_cast<long long>(ns),
                                 what, value)
                 : std::snprintf(line, sizeof line, "%lld %s\n", static_cast<long long>(ns), what);
  if (n > 0) (void)!::write(log_fd_, line, static_cast<std::size_t>(n));
}

void SimWatchdog::write_state(bool armed) {
  // Fixed width so a pwrite at 0 always replaces the whole record without truncating.
  char line[128];
  const int n = std::snprintf(
      line, sizeof line, "armed=%d last_pet_wall_ms=%020lld timeout_s=%06lld boots=%010u\n",
      armed ? 1 : 0, last_pet_wall_ms_, static_cast<long long>(timeout_.count()), boots_);
  if (n > 0) (void)!::pwrite(state_fd_, line, static_cast<std::size_t>(n), 0);
}

std::string sim_boot_id(const std::string& dir, const std::string& host_boot_id,
                        const Clock& clock) {
  // Asked before open() too: a reset that open() is about to discover is already a new
  // boot, so the answer is the same before and after.
  const SimState state = read_state(dir);
  const unsigned boots = state.boots + (expired(state, clock) ? 1U : 0U);
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%08x", boots);
  // The count leads, so the short form people read (the first 8 digits) changes too.
  std::string rest = host_boot_id.size() >= 32 ? host_boot_id.substr(8, 24) : std::string(24, '0');
  return suffix + rest;
}

}  // namespace lifeline::hal
