// The heartbeat lease on a real event loop and a real unix datagram socket: beats from the
// C client compiled here, from a forked child, from a Python child, from a child stopped
// with SIGSTOP, and from a child that dropped to uid 65534. Timing bounds are generous
// (the suite runs under ASan on a busy 2-core box) but every one can fail.
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
#include <ctime>
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
using Clock = std::chrono::steady_clock;
using Kind = LeaseEvent::Kind;

void sleep_for_ms(long ms) {  // async-signal-safe, for forked children
  timespec delay{ms / 1000, (ms % 1000) * 1'000'000L};
  while (::nanosleep(&delay, &delay) != 0) {
  }
}

// A child process, SIGKILLed and reaped if the test did not wait for it.
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  [[nodiscard]] pid_t pid() const { return pid_; }
  // The exit status once it exited, without blocking; nullopt while it runs.
  std::optional<int> poll_exit() {
    int status = 0;
    if (pid_ <= 0 || ::waitpid(pid_, &status, WNOHANG) != pid_) return std::nullopt;
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_;
};

// A child beating through include/lifeline/lease.h; count 0: until killed.
pid_t fork_beater(const std::string& path, int count, long interval_ms) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  lifeline_lease lease;
  if (lifeline_lease_open(&lease, path.c_str(), "app") != 0) ::_exit(2);
  for (int i = 0; count == 0 || i < count; ++i) {
    lifeline_lease_beat(&lease);
    sleep_for_ms(interval_ms);
  }
  ::_exit(0);
}

sockaddr_un socket_address(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), std::min(path.size(), sizeof(address.sun_path) - 1));
  return address;
}

// Raw datagrams, for what the C client would never send.
class RawSender {
 public:
  explicit RawSender(const std::string& path)
      : fd_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)),
        address_(socket_address(path)) {}
  ~RawSender() { ::close(fd_); }
  RawSender(const RawSender&) = delete;
  RawSender& operator=(const RawSender&) = delete;
  bool send(const std::string& bytes) const {
    return ::sendto(fd_, bytes.data(), bytes.size(), MSG_DONTWAIT,
                    reinterpret_cast<const sockaddr*>(&address_), sizeof(address_)) ==
           static_cast<ssize_t>(bytes.size());
  }

 private:
  int fd_;
  sockaddr_un address_;
};

class LeaseHost : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = EventLoop::create();
    ASSERT_TRUE(created.ok()) << created.error().message;
    loop_ = std::move(*created);
    path_ = dir_.file("lease.sock");
  }
  void TearDown() override { monitor_.reset(); }

  LeaseConfig config(std::chrono::milliseconds timeout = 300ms) const {
    LeaseConfig result;
    result.socket_path = path_;
    result.name = "app";
    result.timeout = timeout;
    return result;
  }

  void start(const LeaseConfig& lease_config,
             std::function<void(const LeaseEvent&)> also = nullptr) {
    monitor_ = std::make_unique<LeaseMonitor>(
        *loop_, lease_config, [this, also](const LeaseEvent& event) {
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
  void pump_for(std::chrono::milliseconds duration) {
    pump_until([] { return false; }, duration);
  }

  [[nodiscard]] std::size_t count(Kind kind) const {
    return static_cast<std::size_t>(std::count_if(
        seen_.begin(), seen_.end(), [kind](const Seen& seen) { return seen.event.kind == kind; }));
  }
  [[nodiscard]] Clock::time_point first_time(Kind kind) const {
    for (const auto& seen : seen_) {
      if (seen.event.kind == kind) return seen.at;
    }
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
  std::unique_ptr<LeaseMonitor> monitor_;
  std::vector<Seen> seen_;
};

TEST_F(LeaseHost, CClientBeatsRenewAndOnlyTheFirstIsReported) {
  start(config());
  EXPECT_FALSE(monitor_->alive());  // never renewed: not alive
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
  ASSERT_TRUE(monitor_->age(loop_->now()).has_value());
  EXPECT_LT(*monitor_->age(loop_->now()), 300ms);
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
  Child child(fork_beater(path_, 0, 50));
  ASSERT_TRUE(pump_until([&] { return monitor_->alive(); }, 5s));
  pump_for(600ms);  // twice the timeout: the beats keep it alive
  ASSERT_EQ(count(Kind::expired), 0U);
  ASSERT_GE(counters().renewals, 5U);

  const auto stopped = Clock::now();
  ASSERT_EQ(::kill(child.pid(), SIGSTOP), 0);
  ASSERT_TRUE(pump_until([&] { return count(Kind::expired) == 1; }, 5s));
  const auto lapse = first_time(Kind::expired) - stopped;
  // The last beat came at most one interval (50 ms) before the stop.
  EXPECT_GE(lapse, 300ms - 50ms - 20ms);
  EXPECT_LE(lapse, 300ms + 500ms);
  EXPECT_FALSE(monitor_->alive());

  ASSERT_EQ(::kill(child.pid(), SIGCONT), 0);  // the app comes back: a new first renewal
  ASSERT_TRUE(pump_until([&] { return count(Kind::renewed_first) == 2; }, 5s));
  EXPECT_TRUE(monitor_->alive());
  EXPECT_EQ(counters().expiries, 1U);
}

TEST_F(LeaseHost, MalformedAndWrongNameAreCountedNeverRenewAndReportedAtMostOnceASecond) {
  start(config());
  RawSender sender(path_);
  const std::vector<std::string> bad = {
      "hello\n", "", std::string(200, 'L'), "LLB1 app 01\n", std::string("LLB1 app 1\0", 11),
      "\xff\xfe\x00\x01", "LLB1 other 1\n"};
  for (const auto& datagram : bad) ASSERT_TRUE(sender.send(datagram));
  ASSERT_TRUE(pump_until([&] { return counters().malformed + counters().wrong_name == 7; }, 3s));
  EXPECT_EQ(counters().malformed, 6U);
  EXPECT_EQ(counters().wrong_name, 1U);
  EXPECT_EQ(counters().renewals, 0U);
  EXPECT_FALSE(monitor_->alive());
  EXPECT_EQ(count(Kind::rejected), 1U);  // the first; the rest within the second are counted
  EXPECT_NE(seen_[0].event.detail.find("does not start with 'LLB1 '"), std::string::npos)
      << seen_[0].event.detail;

  pump_for(1100ms);
  ASSERT_TRUE(sender.send("LLB1 other 2\n"));
  ASSERT_TRUE(pump_until([&] { return count(Kind::rejected) == 2; }, 3s));
  EXPECT_NE(seen_.back().event.detail.find("lease 'other'"), std::string::npos);
  EXPECT_NE(seen_.back().event.detail.find("and 6 more rejected"), std::string::npos)
      << seen_.back().event.detail;
  EXPECT_EQ(seen_.back().event.seq, 2U);

  ASSERT_TRUE(sender.send("LLB1 app 7\n"));  // and a good beat still gets through
  ASSERT_TRUE(pump_until([&] { return monitor_->alive(); }, 3s));
}

TEST_F(LeaseHost, FloodBeyondTheRateIsIgnoredAndCounted) {
  LeaseConfig flood_config = config(2000ms);
  flood_config.max_datagrams_per_second = 20;
  start(flood_config);
  RawSender sender(path_);
  // The kernel queue is short (net.unix.max_dgram_qlen), so send and read in turns.
  int sent = 0;
  const auto give_up = Clock::now() + 10s;
  while (sent < 300 && Clock::now() < give_up) {
    if (sender.send("LLB1 app " + std::to_string(sent + 1) + "\n")) {
      ++sent;
    } else {
      sd_event_run(loop_->raw(), 1000);
    }
  }
  ASSERT_EQ(sent, 300);
  ASSERT_TRUE(pump_until([&] { return counters().renewals + counters().flooded == 300; }, 5s));
  const auto elapsed_s = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - (give_up - 10s)).count());
  EXPECT_GE(counters().renewals, 20U);
  EXPECT_LE(counters().renewals, 20U + 20U * (elapsed_s + 1));
  EXPECT_GE(counters().flooded, 300U - 20U - 20U * (elapsed_s + 1));
  EXPECT_EQ(counters().malformed, 0U);
  EXPECT_TRUE(monitor_->alive());
  EXPECT_EQ(count(Kind::renewed_first), 1U);
  EXPECT_GE(count(Kind::rejected), 1U);
  EXPECT_LE(count(Kind::rejected), 1U + elapsed_s + 1);

  const auto renewals = counters().renewals;
  pump_for(1100ms);  // the bucket refills
  ASSERT_TRUE(sender.send("LLB1 app 1000\n"));
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
    ::_exit(::send(fd, datagram.data(), datagram.size(), 0) ==
                    static_cast<ssize_t>(datagram.size())
                ? 0
                : 4);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

TEST_F(LeaseHost, SenderWithAnotherUidIsRejectedAndCounted) {
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
}

TEST_F(LeaseHost, AllowedUidAndRootMayRenew) {
  LeaseConfig uid_config = config();
  uid_config.allowed_uid = 65534;
  start(uid_config);
  ASSERT_EQ(send_as_nobody(path_, "LLB1 app 1\n"), 0);
  ASSERT_TRUE(pump_until([&] { return counters().renewals == 1; }, 3s));
  EXPECT_TRUE(monitor_->alive());
  RawSender root(path_);
  ASSERT_TRUE(root.send("LLB1 app 2\n"));
  ASSERT_TRUE(pump_until([&] { return counters().renewals == 2; }, 3s));
  EXPECT_EQ(counters().wrong_uid, 0U);
}

TEST_F(LeaseHost, SocketIsGroupWritableAndRemovedOnStop) {
  start(config());
  struct stat info {};
  ASSERT_EQ(::lstat(path_.c_str(), &info), 0);
  EXPECT_TRUE(S_ISSOCK(info.st_mode));
  EXPECT_EQ(info.st_mode & 07777, 0660U);
  monitor_->stop();
  EXPECT_NE(::lstat(path_.c_str(), &info), 0);
  EXPECT_FALSE(monitor_->alive());
}

TEST_F(LeaseHost, StaleSocketIsReplacedButAPlainFileOrALiveSocketIsNot) {
  test::write_file(path_, "not a socket");
  auto monitor = std::make_unique<LeaseMonitor>(*loop_, config(), nullptr);
  Status started = monitor->start(*loop_);
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
  RawSender sender(path_);
  ASSERT_TRUE(sender.send("LLB1 app 1\n"));
  ASSERT_TRUE(pump_until([&] { return monitor_->alive(); }, 3s));
}

TEST_F(LeaseHost, CallbackMayStopTheMonitor) {
  start(config(), [this](const LeaseEvent&) { monitor_->stop(); });
  RawSender sender(path_);
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(sender.send("LLB1 app " + std::to_string(i) + "\n"));
  ASSERT_TRUE(pump_until([&] { return !seen_.empty(); }, 3s));
  pump_for(400ms);  // past the timeout: the stopped monitor's timer must not fire
  EXPECT_EQ(counters().renewals, 1U);
  EXPECT_EQ(seen_.size(), 1U);
  struct stat info {};
  EXPECT_NE(::lstat(path_.c_str(), &info), 0);
}

TEST_F(LeaseHost, StartRejectsAnInvalidLeaseName) {
  LeaseConfig bad = config();
  bad.name = "App Name";
  LeaseMonitor monitor(*loop_, bad, nullptr);
  const Status started = monitor.start(*loop_);
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message.find("[a-z0-9_-]"), std::string::npos);
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
