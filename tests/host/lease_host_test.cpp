// The lease on a real loop and socket: beats from the C client compiled here, a Python child,
// a SIGSTOPped child and a child that dropped to uid 65534. Timing bounds are generous (ASan
// on a busy 2-core box) but every one can fail.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/event_loop.hpp"
#include "cli/beat.hpp"
#include "lifeline/lease.h"
#include "motion/lease_monitor.hpp"
#include "support/process.hpp"

namespace lifeline {
namespace {

using namespace std::chrono_literals;
using namespace std::string_view_literals;
using Clock = std::chrono::steady_clock;
using Kind = LeaseEvent::Kind;

// A child process, SIGKILLed and reaped if the test did not wait for it.
struct Child {
  explicit Child(pid_t child) : pid(child) {}
  ~Child() {
    if (pid > 0 && ::kill(pid, SIGKILL) == 0) ::waitpid(pid, nullptr, 0);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  // The exit status once it exited, without blocking; nullopt while it runs.
  std::optional<int> poll_exit() {
    int status = 0;
    if (pid <= 0 || ::waitpid(pid, &status, WNOHANG) != pid) return std::nullopt;
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  pid_t pid;
};

// A child beating through include/lifeline/lease.h every 50 ms until killed.
pid_t fork_beater(const std::string& path) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  lifeline_lease lease;
  if (lifeline_lease_open(&lease, path.c_str(), "app") != 0) ::_exit(2);
  for (;;) {
    lifeline_lease_beat(&lease);
    ::usleep(50'000);
  }
}

sockaddr_un socket_address(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), std::min(path.size(), sizeof(address.sun_path) - 1));
  return address;
}

// One raw datagram, for what the C client would never send. True when the kernel took it.
bool send_raw(const std::string& path, std::string_view bytes) {
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const sockaddr_un address = socket_address(path);
  const bool sent = ::sendto(fd, bytes.data(), bytes.size(), MSG_DONTWAIT,
                             reinterpret_cast<const sockaddr*>(&address),
                             sizeof(address)) == static_cast<ssize_t>(bytes.size());
  ::close(fd);
  return sent;
}

class LeaseHost : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = EventLoop::create();
    ASSERT_TRUE(created.ok()) << created.error().message;
    loop_ = std::move(*created);
    path_ = dir_.file("lease.sock");
  }

  LeaseConfig config(std::chrono::milliseconds timeout = 300ms) const {
    LeaseConfig result;
    result.socket_path = path_;  // and the default name, "app"
    result.timeout = timeout;
    return result;
  }

  void start(const LeaseConfig& lease_config,
             std::function<void(const LeaseEvent&)> also = nullptr) {
    monitor_ =
        std::make_unique<LeaseMonitor>(*loop_, lease_config, [this, also](const LeaseEvent& event) {
          seen_.push_back({event, Clock::now()});
          if (also) also(event);
        });
    const Status started = monitor_->start(*loop_);
    ASSERT_TRUE(started.ok()) << started.error().message;
  }

  // Runs the loop until `done` or `timeout`; true when done.
  bool pump_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!done()) {
      if (Clock::now() >= deadline) return false;
      if (sd_event_run(loop_->raw(), 10'000) < 0) return false;
    }
    return true;
  }
  void pump_for(std::chrono::milliseconds span) {
    pump_until([] { return false; }, span);
  }

  [[nodiscard]] std::size_t count(Kind kind) const {
    return static_cast<std::size_t>(std::count_if(
        seen_.begin(), seen_.end(), [kind](const Seen& seen) { return seen.event.kind == kind; }));
  }
  [[nodiscard]] Clock::time_point first_time(Kind kind) const {
    for (const auto& seen : seen_)
      if (seen.event.kind == kind) return seen.at;
    return {};
  }
  [[nodiscard]] LeaseCounters counters() const { return monitor_->counters(); }

  struct Seen {
    LeaseEvent event;
    Clock::time_point at;
  };
  test::TempDir dir_;
  std::string path_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<LeaseMonitor> monitor_;  // declared after loop_: destroyed before it
  std::vector<Seen> seen_;
};

TEST_F(LeaseHost, CClientBeatsRenewAndOnlyTheFirstIsReported) {
  start(config());
  struct stat info {};
  ASSERT_EQ(::lstat(path_.c_str(), &info), 0);
  EXPECT_TRUE(S_ISSOCK(info.st_mode));
  EXPECT_EQ(info.st_mode & 07777, 0660U);  // root and the socket's group may send
  EXPECT_FALSE(monitor_->alive());         // never renewed: not alive
  EXPECT_FALSE(monitor_->age(loop_->now()).has_value());
  lifeline_lease lease;
  ASSERT_EQ(lifeline_lease_open(&lease, path_.c_str(), "app"), 0);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(lifeline_lease_beat(&lease), 0) << i;
  lifeline_lease_close(&lease);

  ASSERT_TRUE(pump_until([&] { return counters().renewals == 5; }, 3s));
  EXPECT_TRUE(monitor_->alive());
  ASSERT_EQ(seen_.size(), 1U);
  EXPECT_EQ(seen_[0].event.kind, Kind::renewed_first);
  EXPECT_EQ(seen_[0].event.seq, 1U);
  EXPECT_NE(seen_[0].event.detail.find("lease 'app' renewed by pid"), std::string::npos)
      << seen_[0].event.detail;
  const LeaseCounters seen = counters();
  EXPECT_EQ(seen.malformed + seen.wrong_uid + seen.wrong_name + seen.flooded, 0U);
  EXPECT_EQ(seen.seq_regressions, 0U);
  EXPECT_LT(monitor_->age(loop_->now()).value_or(1h), 300ms);
}

TEST_F(LeaseHost, SilenceExpiresOnceAfterTheTimeoutAndABeatRevives) {
  start(config(200ms));
  lifeline_lease lease;
  ASSERT_EQ(lifeline_lease_open(&lease, path_.c_str(), "app"), 0);
  ASSERT_EQ(lifeline_lease_beat(&lease), 0);
  ASSERT_TRUE(pump_until([&] { return monitor_->alive(); }, 3s));
  ASSERT_TRUE(pump_until([&] { return count(Kind::expired) == 1; }, 3s));
  const auto lapse = first_time(Kind::expired) - first_time(Kind::renewed_first);
  EXPECT_GE(lapse, 200ms - 20ms);  // the renewal is stamped a little before its callback
  EXPECT_LE(lapse, 200ms + 500ms);
  EXPECT_FALSE(monitor_->alive());
  EXPECT_EQ(seen_.back().event.seq, 1U);
  EXPECT_NE(seen_.back().event.detail.find("timeout 200 ms"), std::string::npos);

  pump_for(500ms);  // once per expiry, not once per timeout
  EXPECT_EQ(count(Kind::expired), 1U);
  EXPECT_EQ(counters().expiries, 1U);

  ASSERT_EQ(lifeline_lease_beat(&lease), 0);
  ASSERT_TRUE(pump_until([&] { return count(Kind::renewed_first) == 2; }, 3s));
  EXPECT_TRUE(monitor_->alive());
  EXPECT_EQ(seen_.back().event.seq, 2U);
  lifeline_lease_close(&lease);
}

TEST_F(LeaseHost, PythonChildKeepsTheLeaseAliveUntilItStops) {
  start(config(300ms));
  const std::string script =
      "import socket, sys, time\n"
      "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
      "for seq in range(1, 21):\n"
      "    s.sendto(b'LLB1 app %d\\n' % seq, sys.argv[1])\n"
      "    time.sleep(0.05)\n";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/usr/bin/python3", "python3", "-c", script.c_str(), path_.c_str(), nullptr);
    ::_exit(127);
  }
  Child child(pid);
  ASSERT_TRUE(pump_until([&] { return counters().renewals == 20; }, 20s))
      << "renewals: " << counters().renewals << ", malformed: " << counters().malformed;
  EXPECT_EQ(count(Kind::expired), 0U);  // 20 beats 50 ms apart never let a 300 ms lease lapse
  EXPECT_EQ(count(Kind::renewed_first), 1U);
  EXPECT_EQ(counters().seq_regressions, 0U);
  ASSERT_TRUE(pump_until([&] { return count(Kind::expired) == 1; }, 3s));
  EXPECT_EQ(seen_.back().event.seq, 20U);
  std::optional<int> status;
  ASSERT_TRUE(pump_until([&] { return (status = child.poll_exit()).has_value(); }, 10s));
  EXPECT_EQ(*status, 0);
}

TEST_F(LeaseHost, SigstoppedChildExpiresTheLeaseAfterAboutTheTimeout) {
  start(config(300ms));
  Child child(fork_beater(path_));
  ASSERT_TRUE(pump_until([&] { return monitor_->alive(); }, 5s));
  pump_for(600ms);  // twice the timeout: the beats keep it alive
  ASSERT_EQ(count(Kind::expired), 0U);
  ASSERT_GE(counters().renewals, 5U);

  const auto stopped = Clock::now();
  ASSERT_EQ(::kill(child.pid, SIGSTOP), 0);
  ASSERT_TRUE(pump_until([&] { return count(Kind::expired) == 1; }, 5s));
  const auto lapse = first_time(Kind::expired) - stopped;
  // The last beat came at most one interval (50 ms) before the stop.
  EXPECT_GE(lapse, 300ms - 50ms - 20ms);
  EXPECT_LE(lapse, 300ms + 500ms);
  EXPECT_FALSE(monitor_->alive());

  ASSERT_EQ(::kill(child.pid, SIGCONT), 0);  // the app comes back: a new first renewal
  ASSERT_TRUE(pump_until([&] { return count(Kind::renewed_first) == 2; }, 5s));
  EXPECT_TRUE(monitor_->alive());
  EXPECT_EQ(counters().expiries, 1U);
}

TEST_F(LeaseHost, MalformedAndWrongNameAreCountedNeverRenewAndReportedAtMostOnceASecond) {
  start(config());
  const std::string oversize(200, 'L');
  for (const std::string_view datagram :
       {"hello\n"sv, ""sv, std::string_view(oversize), "LLB1 app 01\n"sv, "LLB1 app 1\0"sv,
        "\xff\xfe\x00\x01"sv, "LLB1 other 1\n"sv})
    ASSERT_TRUE(send_raw(path_, datagram));
  ASSERT_TRUE(pump_until([&] { return counters().malformed + counters().wrong_name == 7; }, 3s));
  EXPECT_EQ(counters().malformed, 6U);
  EXPECT_EQ(counters().wrong_name, 1U);
  EXPECT_EQ(counters().renewals, 0U);
  EXPECT_FALSE(monitor_->alive());
  EXPECT_EQ(count(Kind::rejected), 1U);  // the first; the rest within the second are counted
  EXPECT_NE(seen_[0].event.detail.find("does not start with 'LLB1 '"), std::string::npos)
      << seen_[0].event.detail;

  pump_for(1100ms);
  ASSERT_TRUE(send_raw(path_, "LLB1 other 2\n"));
  ASSERT_TRUE(pump_until([&] { return count(Kind::rejected) == 2; }, 3s));
  EXPECT_NE(seen_.back().event.detail.find("lease 'other'"), std::string::npos);
  EXPECT_NE(seen_.back().event.detail.find("and 6 more rejected"), std::string::npos)
      << seen_.back().event.detail;
  EXPECT_EQ(seen_.back().event.seq, 2U);

  ASSERT_TRUE(send_raw(path_, "LLB1 app 7\n"));  // and a good beat still gets through
  ASSERT_TRUE(pump_until([&] { return monitor_->alive(); }, 3s));
}

TEST_F(LeaseHost, FloodBeyondTheRateIsIgnoredAndCounted) {
  LeaseConfig flood_config = config(2000ms);
  flood_config.max_datagrams_per_second = 20;
  start(flood_config);
  // The kernel queue is short (net.unix.max_dgram_qlen), so send and read in turns.
  int sent = 0;
  const auto began = Clock::now();
  while (sent < 300 && Clock::now() < began + 10s) {
    if (send_raw(path_, "LLB1 app " + std::to_string(sent + 1) + "\n")) {
      ++sent;
    } else {
      sd_event_run(loop_->raw(), 1000);
    }
  }
  ASSERT_EQ(sent, 300);
  ASSERT_TRUE(pump_until([&] { return counters().renewals + counters().flooded == 300; }, 5s));
  // A burst of 20, then 20 a second while this ran.
  const auto refill =
      20U * static_cast<std::uint64_t>(
                std::chrono::ceil<std::chrono::seconds>(Clock::now() - began).count());
  EXPECT_GE(counters().renewals, 20U);
  EXPECT_LE(counters().renewals, 20U + refill);
  EXPECT_EQ(counters().renewals + counters().flooded, 300U);
  EXPECT_EQ(counters().malformed, 0U);
  EXPECT_TRUE(monitor_->alive());
  EXPECT_EQ(count(Kind::renewed_first), 1U);
  EXPECT_GE(count(Kind::rejected), 1U);
  EXPECT_LE(count(Kind::rejected), 1U + refill / 20U);  // at most one report a second

  const auto renewals = counters().renewals;
  pump_for(1100ms);  // the bucket refills
  ASSERT_TRUE(send_raw(path_, "LLB1 app 1000\n"));
  ASSERT_TRUE(pump_until([&] { return counters().renewals == renewals + 1; }, 3s));
}

// A child that connects as root, then drops to nobody and sends: the kernel stamps the
// datagram with the uid at send time. Returns the child's exit status (0: it was sent).
int send_as_nobody(const std::string& path, const std::string& datagram) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    const sockaddr_un address = socket_address(path);
    if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0)
      ::_exit(2);
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(3);
    ::_exit(::send(fd, datagram.data(), datagram.size(), 0) == static_cast<ssize_t>(datagram.size())
                ? 0
                : 4);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

TEST_F(LeaseHost, SenderWithAnotherUidIsRejectedButAllowedUidAndRootMayRenew) {
  ASSERT_EQ(::geteuid(), 0U) << "the host tests run as root";
  LeaseConfig uid_config = config();
  uid_config.allowed_uid = 1000;
  start(uid_config);
  ASSERT_EQ(send_as_nobody(path_, "LLB1 app 1\n"), 0);
  ASSERT_TRUE(pump_until([&] { return counters().wrong_uid == 1; }, 3s));
  EXPECT_EQ(counters().renewals, 0U);
  EXPECT_FALSE(monitor_->alive());
  ASSERT_EQ(count(Kind::rejected), 1U);
  EXPECT_NE(seen_[0].event.detail.find("uid 65534"), std::string::npos) << seen_[0].event.detail;

  uid_config.allowed_uid = 65534;
  start(uid_config);  // a new monitor on the same path
  ASSERT_EQ(send_as_nobody(path_, "LLB1 app 1\n"), 0);
  ASSERT_TRUE(pump_until([&] { return counters().renewals == 1; }, 3s));
  EXPECT_TRUE(monitor_->alive());
  ASSERT_TRUE(send_raw(path_, "LLB1 app 2\n"));
  ASSERT_TRUE(pump_until([&] { return counters().renewals == 2; }, 3s));
  EXPECT_EQ(counters().wrong_uid, 0U);
}

TEST_F(LeaseHost, StartRefusesAnInvalidNameAPlainFileOrALiveSocketButReplacesAStaleOne) {
  LeaseConfig bad = config();
  bad.name = "App Name";
  Status started = LeaseMonitor(*loop_, bad, nullptr).start(*loop_);
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message.find("[a-z0-9_-]"), std::string::npos);

  test::write_file(path_, "not a socket");
  auto monitor = std::make_unique<LeaseMonitor>(*loop_, config(), nullptr);
  started = monitor->start(*loop_);
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message.find("not a socket"), std::string::npos);
  EXPECT_EQ(test::read_file(path_), "not a socket");
  ASSERT_EQ(::unlink(path_.c_str()), 0);

  const sockaddr_un address = socket_address(path_);
  const int live = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(::bind(live, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
  started = monitor->start(*loop_);
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().errno_value, EADDRINUSE);
  ::close(live);  // now the file is a stale socket of a dead owner

  start(config());
  ASSERT_TRUE(send_raw(path_, "LLB1 app 1\n"));
  ASSERT_TRUE(pump_until([&] { return monitor_->alive(); }, 3s));
}

TEST_F(LeaseHost, CallbackMayStopTheMonitorWhichRemovesTheSocket) {
  start(config(), [this](const LeaseEvent&) { monitor_->stop(); });
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(send_raw(path_, "LLB1 app " + std::to_string(i) + "\n"));
  ASSERT_TRUE(pump_until([&] { return !seen_.empty(); }, 3s));
  pump_for(400ms);  // past the timeout: the stopped monitor's timer must not fire
  EXPECT_EQ(counters().renewals, 1U);
  EXPECT_EQ(seen_.size(), 1U);
  struct stat info {};
  EXPECT_NE(::lstat(path_.c_str(), &info), 0);
  EXPECT_FALSE(monitor_->alive());
}

TEST_F(LeaseHost, BeatCommandRenewsThroughTheCClient) {
  start(config());
  EXPECT_EQ(cli::beat(path_, "app", 3, 10ms), 0);
  ASSERT_TRUE(pump_until([&] { return counters().renewals == 3; }, 3s));
  EXPECT_EQ(seen_[0].event.seq, 1U);
  EXPECT_EQ(cli::beat(dir_.file("missing.sock"), "app", 1, 10ms), 1);
  EXPECT_EQ(cli::beat(path_, "Bad Name", 1, 10ms), 2);
  EXPECT_EQ(cli::beat(path_, "app", -1, 10ms), 2);
}

}  // namespace
}  // namespace lifeline
