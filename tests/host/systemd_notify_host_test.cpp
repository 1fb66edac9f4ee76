// lifeline speaks sd_notify to whatever $NOTIFY_SOCKET names: here a real unix datagram
// socket the test owns, standing in for PID 1 (systemd is not PID 1 on this machine).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <thread>

#include "hal/linux/linux_watchdog.hpp"
#include "support/process.hpp"

namespace lifeline::test {
namespace {

class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  }
  ~NotifySocket() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  // Everything received so far, one datagram per element.
  std::vector<std::string> drain() {
    char buffer[4096];
    for (;;) {
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      received_.emplace_back(buffer, static_cast<std::size_t>(n));
    }
    return received_;
  }
  bool saw(const std::string& needle) {
    for (const auto& message : drain()) {
      if (message.find(needle) != std::string::npos) return true;
    }
    return false;
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::vector<std::string> received_;
};

TEST(SystemdNotifyHost, ReadyStatusWatchdogAndStopping) {
  TempDir dir;
  NotifySocket notify(dir.file("notify.sock"));
  AgentProcess agent(write_sim_config(dir, ""), dir.file("out.log"));
  // WatchdogSec=1s: sd-event sends WATCHDOG=1 at half of it from the loop.
  agent.set_env({"NOTIFY_SOCKET=" + dir.file("notify.sock"), "WATCHDOG_USEC=1000000"});
  agent.start();
  ASSERT_TRUE(eventually([&] { return notify.saw("READY=1"); }, 10s)) << agent.output();
  EXPECT_TRUE(notify.saw("STATUS=healthy; 0 active fault(s)"));
  std::this_thread::sleep_for(1200ms);
  std::size_t watchdogs = 0;
  for (const auto& message : notify.drain())
    watchdogs += message.find("WATCHDOG=1") != std::string::npos;
  EXPECT_GE(watchdogs, 2U) << "WATCHDOG=1 about every 500 ms";
  agent.signal(SIGTERM);
  ASSERT_EQ(agent.wait_exit(10s), 0);
  EXPECT_TRUE(notify.saw("STOPPING=1"));
}

TEST(WatchdogHolders, NamesTheProcessHoldingADevice) {
  TempDir dir;
  const std::string device = dir.file("fake-watchdog");
  write_file(device, "");
  // A child that holds the file open, as a watchdog daemon holds /dev/watchdog0.
  const pid_t holder = ::fork();
  if (holder == 0) {
    const int fd = ::open(device.c_str(), O_RDONLY);
    (void)fd;
    ::execl("/bin/sleep", "sleep", "30", nullptr);
    ::_exit(127);
  }
  ASSERT_TRUE(eventually([&] { return !hal::find_device_holders(device).empty(); }, 5s));
  EXPECT_EQ(hal::find_device_holders(device), "pid " + std::to_string(holder) + " (sleep)");
  // What a watchdog open that fails with EBUSY reports: the holder by pid and name.
  const std::string busy = hal::explain_open_error(device, EBUSY);
  EXPECT_NE(busy.find(device + " is busy: another process holds it (pid " + std::to_string(holder) +
                      " (sleep))"),
            std::string::npos)
      << busy;
  ::kill(holder, SIGKILL);
  ::waitpid(holder, nullptr, 0);
  EXPECT_EQ(hal::find_device_holders(device), "");
  EXPECT_NE(hal::explain_open_error(device, EBUSY).find("RuntimeWatchdogSec="), std::string::npos)
      << "with no holder seen, the likely one is systemd's own watchdog";
}

}  // namespace
}  // namespace lifeline::test
