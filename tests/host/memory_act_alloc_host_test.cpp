// The memory guard's kill path allocates nothing, from the ladder's decision to the
// signal: the /proc scan, the victim's description, the look again at memory, the two
// records written (synced) to a real black box before the signal, the wait for them and
// the signal itself. Every heap allocation the process makes in that window is counted
// (tests/alloc), on every thread: the loop's and the black box writer's. The guard runs in
// this process on a real loop, with a real Recorder and black box, and kills a real
// process. Two domains, two scans: the box (every process; the box's memory is made to
// look short through a /proc whose meminfo says so, its PID entries pointing at the real
// ones) and a real memory cgroup whose hog nears its limit.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <optional>
#include <regex>
#include <sstream>
#include <string>

#include "agent/event_loop.hpp"
#include "agent/recorder.hpp"
#include "agent/unit_jobs.hpp"
#include "alloc/alloc_counter.hpp"
#include "blackbox/async_writer.hpp"
#include "blackbox/reader.hpp"
#include "blackbox/store.hpp"
#include "fault/fault_set.hpp"
#include "memory/memory_service.hpp"
#include "support/memory_rig.hpp"
#include "support/process.hpp"
#include "util/files.hpp"

namespace lifeline::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// /proc/meminfo with MemAvailable cut to `percent` of MemTotal.
std::string short_meminfo(int percent) {
  std::ifstream in("/proc/meminfo");
  std::stringstream text;
  text << in.rdbuf();
  std::smatch total;
  const std::string real = text.str();
  std::regex_search(real, total, std::regex(R"(MemTotal:\s+(\d+) kB)"));
  const auto available = std::stoull(total[1].str()) * static_cast<unsigned>(percent) / 100;
  return std::regex_replace(real, std::regex(R"(MemAvailable:\s+\d+ kB)"),
                            "MemAvailable:   " + std::to_string(available) + " kB");
}

// A /proc at `dir`/proc whose meminfo says 3% is available, its PID entries the real
// ones of `pids`: the box looks short of memory, and the processes scanned are real.
std::string short_proc(const TempDir& dir, std::initializer_list<pid_t> pids) {
  const std::string proc = dir.file("proc");
  fs::create_directories(proc);
  std::ofstream(proc + "/meminfo") << short_meminfo(3);
  for (pid_t pid : pids) {
    fs::create_directory_symlink("/proc/" + std::to_string(pid), proc + "/" + std::to_string(pid));
  }
  return proc;
}

// One guard, its loop, a Recorder and a black box in `dir`, run until its first kill's
// signal has gone out (or 20 s).
struct GuardRun {
  std::uint64_t allocations = 0;
  std::uint64_t allocated_bytes = 0;
  std::size_t first_allocation = 0;
  bool act_started = false;
  bool signalled = false;
  pid_t victim = 0;
  std::vector<blackbox::Record> records;
  nlohmann::json status;
};

GuardRun run_guard(const std::string& dir, MemoryConfig config, memory::MemoryPaths paths) {
  GuardRun run;
  auto loop = EventLoop::create();
  EXPECT_TRUE(loop);
  if (!loop) return run;
  auto store = blackbox::Store::open(dir + "/blackbox", blackbox::StoreLimits{});
  EXPECT_TRUE(store);
  if (!store) return run;
  blackbox::AsyncWriter writer(std::move(*store));
  hal::SystemClock clock;
  Recorder recorder(clock, read_boot_id(), RecorderSinks{&writer, false, nullptr});
  FaultSet faults(recorder, clock);
  UnitJobs jobs(**loop);

  std::optional<AllocationCounter> counter;
  memory::MemoryHooks hooks;
  hooks.act_started = [&] {
    run.act_started = true;
    counter.emplace();
  };
  hooks.after_kill = [&](const memory::ProcessInfo& victim, std::string_view) {
    if (counter) counter->stop();
    run.signalled = true;
    run.victim = victim.pid;
    (*loop)->exit(0);
  };
  memory::MemoryService service(**loop, faults, recorder, jobs, &writer, std::move(config),
                                std::move(hooks), std::move(paths));
  EXPECT_TRUE(service.start());
  auto deadline = (*loop)->add_oneshot("test-deadline", 20s, [&] { (*loop)->exit(1); });
  (*loop)->run();
  if (counter) {
    run.allocations = counter->count();
    run.allocated_bytes = counter->bytes();
    run.first_allocation = counter->first_size();
  }
  run.status = service.status();
  writer.flush();
  if (auto read = blackbox::read_store(dir + "/blackbox")) run.records = read->records;
  return run;
}

MemoryConfig guard_config() {
  MemoryConfig config;
  config.enabled = true;
  config.kmsg = false;
  config.psi.enabled = false;
  config.ssh.probe = false;
  config.ssh.protect = false;
  config.sample_interval = 50ms;
  config.fast_sample_interval = 50ms;
  config.warn_available_percent = 30;
  config.relieve_available_percent = 20;
  config.kill_available_percent = 10;
  config.grace = 200ms;
  config.record_wait = 2000ms;  // the kill waits for its records' fsync, whatever the disk
  return config;
}

// The records the kill wrote before its signal: the snapshot naming the victim first, and
// the kill's reason; both in the black box.
void expect_records_before_kill(const GuardRun& run) {
  int snapshot = -1;
  int kill = -1;
  for (std::size_t i = 0; i < run.records.size(); ++i) {
    const Event& e = run.records[i].event;
    const std::string pid = std::to_string(run.victim);
    if (e.kind == EventKind::memory_snapshot &&
        e.message.find("before killing " + pid) != std::string::npos) {
      snapshot = static_cast<int>(i);
      ASSERT_FALSE(e.fields.empty());
      bool listed = false;
      for (const auto& f : e.fields) listed = listed || f.value.starts_with(pid + " ");
      EXPECT_TRUE(listed) << "the snapshot lists the victim";
    }
    if (e.kind == EventKind::memory_relief && e.message.starts_with("killing " + pid)) {
      kill = static_cast<int>(i);
    }
  }
  EXPECT_GE(snapshot, 0) << "no snapshot record before the kill";
  EXPECT_GT(kill, snapshot) << "no kill record after the snapshot";
}

TEST(MemoryActAllocHost, TheBoxsKillPathAllocatesNothing) {
  ASSERT_TRUE(AllocationCounter::available());
  TempDir dir;
  // The victim: a real process with some memory of its own.
  Hog hog("", "act-victim", 32, 0);
  ASSERT_TRUE(hog.ready());
  // The processes the scan sees: the victim, this process (lifeline itself: protected) and
  // PID 1 (protected).
  const std::string proc = short_proc(dir, {hog.pid(), ::getpid(), pid_t{1}});
  memory::MemoryPaths paths;
  paths.proc = proc;

  const GuardRun run = run_guard(dir.path(), guard_config(), paths);
  ASSERT_TRUE(run.act_started) << "the ladder never decided to kill";
  ASSERT_TRUE(run.signalled);
  EXPECT_EQ(run.victim, hog.pid());
  EXPECT_EQ(hog.wait_killed(5s), SIGKILL) << "3% available is below kill: SIGKILL at once";
  EXPECT_EQ(run.allocations, 0U) << run.allocations << " allocations (" << run.allocated_bytes
                                 << " bytes), the first of " << run.first_allocation << " bytes";
  expect_records_before_kill(run);
  EXPECT_EQ(run.status["last_kill"]["pid"], hog.pid());
}

TEST(MemoryActAllocHost, AWatchedCgroupsKillPathAllocatesNothing) {
  ASSERT_TRUE(AllocationCounter::available());
  std::string why;
  auto cgroup = TestCgroup::create(std::uint64_t{64} << 20, why);
  if (!cgroup) GTEST_SKIP() << "no memory cgroup can be made here: " << why;
  TempDir dir;
  Hog hog(cgroup->dir(), "act-hog", 59, 0);  // 59 of 64 MiB: under 8% left, below kill
  ASSERT_TRUE(hog.ready());
  MemoryConfig config = guard_config();
  MemoryWatchConfig watch;
  watch.name = "hogs";
  watch.cgroup = cgroup->path();
  config.watches.push_back(watch);

  const GuardRun run = run_guard(dir.path(), config, memory::MemoryPaths{});
  ASSERT_TRUE(run.act_started) << "the ladder never decided to kill";
  ASSERT_TRUE(run.signalled);
  EXPECT_EQ(run.victim, hog.pid());
  EXPECT_TRUE(hog.wait_killed(5s).has_value());
  EXPECT_EQ(run.allocations, 0U) << run.allocations << " allocations (" << run.allocated_bytes
                                 << " bytes), the first of " << run.first_allocation << " bytes";
  expect_records_before_kill(run);
}

// The counter is not blind: the same run with the black box writer's kept records
// replaced by ordinary ones (a sink without the split) allocates on the way to the signal.
class PlainSink final : public EventSink {
 public:
  void record(Event event) override { events.push_back(std::move(event)); }
  std::vector<Event> events;
};

TEST(MemoryActAllocHost, TheCounterSeesAKillPathThatAllocates) {
  ASSERT_TRUE(AllocationCounter::available());
  TempDir dir;
  Hog hog("", "act-victim", 16, 0);
  ASSERT_TRUE(hog.ready());
  const std::string proc = short_proc(dir, {hog.pid()});
  auto loop = EventLoop::create();
  ASSERT_TRUE(loop);
  PlainSink sink;  // record_kept() falls back to record(to_event()): allocates
  hal::SystemClock clock;
  FaultSet faults(sink, clock);
  UnitJobs jobs(**loop);
  std::optional<AllocationCounter> counter;
  memory::MemoryHooks hooks;
  hooks.act_started = [&] { counter.emplace(); };
  hooks.after_kill = [&](const memory::ProcessInfo&, std::string_view) {
    if (counter) counter->stop();
    (*loop)->exit(0);
  };
  memory::MemoryPaths paths;
  paths.proc = proc;
  memory::MemoryService service(**loop, faults, sink, jobs, nullptr, guard_config(),
                                std::move(hooks), paths);
  ASSERT_TRUE(service.start());
  auto deadline = (*loop)->add_oneshot("test-deadline", 20s, [&] { (*loop)->exit(1); });
  ASSERT_EQ((*loop)->run(), 0);
  ASSERT_TRUE(counter);
  EXPECT_GT(counter->count(), 0U);
}

}  // namespace
}  // namespace lifeline::test
