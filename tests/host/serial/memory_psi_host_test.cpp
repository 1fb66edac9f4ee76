// A real memory stall on this machine wakes the memory guard through its PSI trigger.
// Two readers thrash a file larger than their memory cgroup's limit, so every pass evicts
// and refaults the page cache, and the kernel counts those refaults as memory stalls.
// MemAvailable stays plentiful, so only the trigger can move the ladder: the guard must
// warn (memory_low, a top-RSS snapshot), say the PSI trigger woke it, and kill nothing.
//
// Runs alone (RUN_SERIAL, host_serial_tests): the readers keep both cores busy for
// seconds and would stretch other tests' timing.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "support/memory_rig.hpp"
#include "support/process.hpp"

namespace lifeline::test {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t kMiB = 1024 * 1024;
constexpr long kTmpfsMagic = 0x01021994;

// The test's own trigger on /proc/pressure/memory, registered as lifeline registers its
// default one (some 150 ms per 1 s, or per 2 s scaled when the opener lacks
// CAP_SYS_RESOURCE): it tells "the machine never stalled enough" (skip) apart from "it
// stalled and lifeline did not notice" (fail).
class StallObserver {
 public:
  StallObserver() {
    for (const char* trigger : {"some 150000 1000000", "some 300000 2000000"}) {
      fd_ = ::open("/proc/pressure/memory", O_RDWR | O_NONBLOCK | O_CLOEXEC);
      if (fd_ < 0) return;
      if (::write(fd_, trigger, std::strlen(trigger) + 1) >= 0) break;
      ::close(fd_);
      fd_ = -1;
    }
    if (fd_ >= 0) thread_ = std::thread([this] { run(); });
  }
  ~StallObserver() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }
  StallObserver(const StallObserver&) = delete;
  StallObserver& operator=(const StallObserver&) = delete;
  [[nodiscard]] bool registered() const { return fd_ >= 0; }
  [[nodiscard]] int events() const { return events_.load(); }

 private:
  void run() {
    pollfd pfd{fd_, POLLPRI, 0};
    while (!stop_) {
      if (::poll(&pfd, 1, 100) > 0 && (pfd.revents & POLLPRI) != 0) ++events_;
    }
  }
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<int> events_{0};
  std::thread thread_;
};

// A file that refaults from disk: in the working directory (the build tree) when the
// temporary directory is a tmpfs, whose pages are never evicted without swap.
class ThrashFile {
 public:
  ThrashFile(const TempDir& dir, std::uint64_t bytes) {
    struct statfs fs {};
    const bool tmpfs = ::statfs(dir.path().c_str(), &fs) == 0 && fs.f_type == kTmpfsMagic;
    path_ = tmpfs ? std::filesystem::current_path() / ("psi-thrash-" + std::to_string(::getpid()))
                  : std::filesystem::path(dir.file("thrash.bin"));
    std::ofstream out(path_, std::ios::binary);
    std::mt19937_64 random(42);
    std::vector<std::uint64_t> block(kMiB / sizeof(std::uint64_t));
    for (std::uint64_t written = 0; written < bytes; written += kMiB) {
      for (auto& word : block) word = random();
      out.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(kMiB));
    }
    out.close();
    // The pages just written are charged to this process's cgroup, not the readers':
    // written back and dropped, they are read in (and charged) inside the readers' cgroup.
    const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      ::fsync(fd);
      ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
      ::close(fd);
    }
  }
  ~ThrashFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  ThrashFile(const ThrashFile&) = delete;
  ThrashFile& operator=(const ThrashFile&) = delete;
  [[nodiscard]] std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// A child that joins the cgroup and reads `path` front to back, over and over.
pid_t start_reader(const std::string& cgroup_dir, const std::string& path) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  {
    std::ofstream procs(cgroup_dir + "/cgroup.procs");
    procs << ::getpid() << std::flush;
    if (!procs) ::_exit(2);
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) ::_exit(3);
  static char buffer[kMiB];
  for (;;) {
    for (off_t offset = 0; ::pread(fd, buffer, sizeof buffer, offset) > 0;
         offset += static_cast<off_t>(sizeof buffer)) {
    }
  }
}

bool running(pid_t pid) {
  int status = 0;
  return ::waitpid(pid, &status, WNOHANG) == 0;
}

TEST(MemoryPsiHost, ARealStallWarnsThroughThePsiTriggerAndKillsNothing) {
  if (::access("/proc/pressure/memory", R_OK) != 0) {
    GTEST_SKIP() << "this kernel has no PSI (/proc/pressure/memory)";
  }
  std::string why;
  auto cgroup = TestCgroup::create(64 * kMiB, why);
  if (!cgroup) GTEST_SKIP() << why;
  TempDir dir;
  const ThrashFile file(dir, 96 * kMiB);
  // Default levels and the default PSI trigger; this machine's MemAvailable is far above
  // the warn level, so a level change can only come from the stall.
  const auto config =
      write_sim_config(dir, "[memory]\nenabled = true\n[memory.ssh]\nenabled = false\n");
  AgentProcess agent(config, dir.file("agent.log"));
  agent.start();
  ASSERT_TRUE(agent.wait_for_output("watchdog_opened", 10s)) << agent.output();

  StallObserver observer;
  ASSERT_TRUE(observer.registered()) << "cannot register a trigger on /proc/pressure/memory";
  std::vector<pid_t> readers{start_reader(cgroup->dir(), file.path()),
                             start_reader(cgroup->dir(), file.path())};
  int warn = -1;
  nlohmann::json events;
  eventually(
      [&] {
        events = read_events(config);
        warn = find_event(events, "memory_level_changed", "level", "warn");
        return warn >= 0;
      },
      60s);
  const int stalls_seen = observer.events();
  const bool readers_alive = running(readers[0]) && running(readers[1]);
  for (const pid_t pid : readers) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  agent.signal(SIGTERM);
  ASSERT_EQ(agent.wait_exit(10s), 0);
  events = read_events(config);
  warn = find_event(events, "memory_level_changed", "level", "warn");

  if (warn < 0 && stalls_seen == 0) {
    GTEST_SKIP() << "two readers thrashing a 96 MiB file through a 64 MiB cgroup never "
                    "crossed some 150 ms/1 s of stall on this machine in 60 s";
  }
  ASSERT_GE(warn, 0) << "the machine stalled (" << stalls_seen
                     << " trigger events) and lifeline never warned\n"
                     << events.dump(1);
  const auto& change = events[static_cast<std::size_t>(warn)];
  EXPECT_EQ(change["fields"]["domain"], "system");
  EXPECT_EQ(change["fields"]["trigger"], "psi") << change.dump();
  EXPECT_EQ(change["fields"]["stalled"], "true") << change.dump();
  EXPECT_FALSE(change["fields"].value("wake_to_action_us", "").empty()) << change.dump();
  bool memory_low = false;
  bool snapshot = false;
  for (const auto& e : events) {
    memory_low =
        memory_low || (e["kind"] == "fault_raised" && e.value("fault", "") == "memory_low");
    snapshot =
        snapshot || (e["kind"] == "memory_snapshot" &&
                     e["message"].get<std::string>().find("entered warn") != std::string::npos);
  }
  EXPECT_TRUE(memory_low) << events.dump(1);
  EXPECT_TRUE(snapshot) << "no top-RSS snapshot on entering warn\n" << events.dump(1);
  EXPECT_EQ(find_event(events, "memory_relief"), -1)
      << "a stall with memory to spare kills nothing";
  EXPECT_TRUE(readers_alive) << "the readers must not have been killed";
}

}  // namespace
}  // namespace lifeline::test
