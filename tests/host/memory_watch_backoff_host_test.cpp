// A cgroup watch whose PSI trigger registration is refused is tried again after a growing
// wait, not at every sample, with one record for the first failure and one when it finally
// registers. The guard runs in this process (its MemoryPaths point at a cgroup tree the
// test makes): a cgroup v2 tree whose memory.pressure refuses the trigger, like a kernel
// that refuses one, cannot be made on every host. The refusal is real: the file is
// /dev/full, whose write fails with ENOSPC; a FIFO later takes the trigger (a pollable
// file, like the kernel's).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "agent/event_loop.hpp"
#include "agent/unit_jobs.hpp"
#include "fault/fault_set.hpp"
#include "memory/memory_service.hpp"
#include "memory/process_scan.hpp"
#include "support/process.hpp"

namespace lifeline::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

class Collect final : public EventSink {
 public:
  void record(Event event) override { events.push_back(std::move(event)); }
  std::vector<Event> events;
};

void write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

int count_messages(const std::vector<Event>& events, const std::string& needle) {
  int n = 0;
  for (const Event& e : events) {
    if (e.kind == EventKind::memory_monitor && e.message.find(needle) != std::string::npos) ++n;
  }
  return n;
}

nlohmann::json watch_status(const memory::MemoryService& service) {
  const nlohmann::json status = service.status();
  for (const auto& d : status["domains"]) {
    if (d.value("name", "") == "twin") return d;
  }
  return nullptr;
}

TEST(MemoryWatchBackoffHost, ARefusedRegistrationBacksOffAndIsRecordedTwice) {
  TempDir dir;
  const std::string proc = dir.file("proc");
  const std::string root = dir.file("cgroup");
  const std::string cgroup = root + "/twin";
  ASSERT_TRUE(fs::create_directories(proc));
  ASSERT_TRUE(fs::create_directories(cgroup));
  write(proc + "/meminfo", read_file("/proc/meminfo"));  // copy_file sees a size of 0
  write(root + "/cgroup.controllers", "memory\n");       // a unified (v2) tree
  write(cgroup + "/memory.current", "1048576\n");
  write(cgroup + "/memory.max", "max\n");
  write(cgroup + "/memory.stat", "inactive_file 0\n");
  fs::create_symlink("/dev/full", cgroup + "/memory.pressure");

  auto loop = EventLoop::create();
  ASSERT_TRUE(loop);
  Collect sink;
  hal::SystemClock clock;
  FaultSet faults(sink, clock);
  UnitJobs jobs(**loop);
  MemoryConfig config;
  config.enabled = true;
  config.sample_interval = 50ms;
  config.fast_sample_interval = 50ms;
  config.kmsg = false;
  config.ssh.probe = false;
  config.ssh.protect = false;
  config.ssh.unit.clear();
  config.act_reserve_kib = 0;
  config.oom_score_adj = memory::read_oom_score_adj(::getpid()).value_or(0);  // unchanged
  MemoryWatchConfig twin;
  twin.name = "twin";
  twin.cgroup = "/twin";
  config.watches.push_back(twin);
  memory::MemoryPaths paths;
  paths.proc = proc;
  paths.pressure = dir.file("no-pressure");  // no system-wide PSI: not this test's subject
  paths.kmsg = dir.file("no-kmsg");
  paths.cgroup_root = root;
  memory::MemoryService service(**loop, faults, sink, jobs, nullptr, config, {}, paths);
  const auto started_ok = service.start();
  ASSERT_TRUE(started_ok) << started_ok.error().message;

  // 50 ms samples for 3.4 s: 68 samples, attempts at 0, 1 and 3 s only.
  nlohmann::json refused;
  nlohmann::json registered;
  const auto started = std::chrono::steady_clock::now();
  int step = 0;
  PeriodicTimer script;
  ASSERT_TRUE((*loop)->start_periodic(script, "test-script", 20ms, [&] {
    const auto t = std::chrono::steady_clock::now() - started;
    if (step == 0 && t >= 3400ms) {
      refused = watch_status(service);
      // The unit stops: its cgroup goes; the new one takes triggers.
      fs::remove(cgroup + "/memory.current");
      fs::remove(cgroup + "/memory.pressure");
      ASSERT_EQ(::mkfifo((cgroup + "/memory.pressure").c_str(), 0600), 0);
      ++step;
    } else if (step == 1 && t >= 3700ms) {
      write(cgroup + "/memory.current", "1048576\n");  // the unit started again
      ++step;
    } else if (step == 2 && t >= 4300ms) {
      registered = watch_status(service);
      (*loop)->exit(0);
    }
  }));
  (*loop)->run();

  ASSERT_TRUE(refused.is_object()) << service.status().dump(1);
  const auto failed = refused.value("psi_failed_attempts", 0);
  EXPECT_GE(failed, 2) << refused.dump(1);
  EXPECT_LE(failed, 4) << "tried at (almost) every sample: " << refused.dump(1);
  EXPECT_TRUE(refused["psi_triggers"].empty()) << refused.dump(1);
  ASSERT_TRUE(refused["psi_error"].is_string()) << refused.dump(1);
  EXPECT_NE(refused["psi_error"].get<std::string>().find("memory.pressure"), std::string::npos);
  ASSERT_TRUE(refused["psi_retry_in_ms"].is_number()) << refused.dump(1);
  EXPECT_GT(refused["psi_retry_in_ms"].get<long>(), 0);
  EXPECT_LE(refused["psi_retry_in_ms"].get<long>(), 4000);

  // The re-created cgroup was tried at once, not after the back-off's 4 s.
  ASSERT_TRUE(registered.is_object());
  EXPECT_EQ(registered["psi_triggers"].size(), 2U) << registered.dump(1);
  EXPECT_EQ(registered.value("psi_failed_attempts", -1), 0) << registered.dump(1);
  EXPECT_TRUE(registered["psi_error"].is_null()) << registered.dump(1);
  EXPECT_TRUE(registered["psi_retry_in_ms"].is_null()) << registered.dump(1);

  std::string all;
  for (const Event& e : sink.events) all += e.message + "\n";
  EXPECT_EQ(count_messages(sink.events, "twin: no PSI triggers"), 1) << all;
  EXPECT_EQ(count_messages(sink.events, "trying again in 1 s"), 1) << all;
  EXPECT_EQ(count_messages(sink.events, "twin: PSI triggers on"), 1) << all;
  EXPECT_EQ(count_messages(sink.events, "registered after"), 1) << all;
}

}  // namespace
}  // namespace lifeline::test
