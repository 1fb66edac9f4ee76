// A watched cgroup's own PSI triggers across its unit's restarts. When a cgroup is removed
// (the unit stopped), the kernel reports its memory.pressure trigger as EPOLLPRI|EPOLLERR
// at every poll: a guard that kept it would spin its loop and read endless pressure. The
// real binary must drop the dead triggers, stay idle, and register again on the new cgroup.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/memory_rig.hpp"
#include "support/process.hpp"

namespace lifeline::test {
namespace {

using namespace std::chrono_literals;

// The cgroup directories a unit would have: on a pure v2 host one, on a hybrid host (v1
// memory accounting, v2 tree for PSI) two, at the same path below each mount.
struct CgroupTwin {
  std::string path;  // below the mounts
  std::vector<std::string> dirs;

  static std::optional<CgroupTwin> find(std::string& why) {
    CgroupTwin twin;
    twin.path = "/lifeline-test-psi-" + std::to_string(::getpid());
    if (::access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0) {
      twin.dirs = {"/sys/fs/cgroup" + twin.path};
    } else if (::access("/sys/fs/cgroup/unified/cgroup.controllers", F_OK) == 0 &&
               ::access("/sys/fs/cgroup/memory", F_OK) == 0) {
      twin.dirs = {"/sys/fs/cgroup/memory" + twin.path, "/sys/fs/cgroup/unified" + twin.path};
    } else {
      why = "no cgroup v2 tree here (neither /sys/fs/cgroup nor /sys/fs/cgroup/unified)";
      return std::nullopt;
    }
    return twin;
  }
  bool create() const {
    for (const auto& d : dirs) {
      if (::mkdir(d.c_str(), 0755) != 0 && errno != EEXIST) return false;
    }
    return ::access((dirs.back() + "/memory.pressure").c_str(), F_OK) == 0;
  }
  void remove() const {
    for (const auto& d : dirs) ::rmdir(d.c_str());  // empty: no process is ever put in it
  }
};

long cpu_ticks(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::istringstream rest(text.substr(text.rfind(')') + 2));
  std::vector<std::string> fields{std::istream_iterator<std::string>(rest), {}};
  return std::stol(fields.at(11)) + std::stol(fields.at(12));  // utime + stime
}

TEST(MemoryWatchPsiHost, ARemovedCgroupDoesNotSpinTheLoopAndItsTriggersComeBack) {
  std::string why;
  const auto twin = CgroupTwin::find(why);
  if (!twin) GTEST_SKIP() << why;
  ASSERT_TRUE(twin->create()) << "cannot create " << twin->dirs.back();
  struct Cleanup {
    const CgroupTwin& twin;
    ~Cleanup() { twin.remove(); }
  } cleanup{*twin};
  TempDir dir;
  const auto config =
      write_sim_config(dir,
                       "[memory]\nenabled = true\nsample_interval_ms = "
                       "200\nfast_sample_interval_ms = 100\n[memory.ssh]\nenabled = false\n"
                       "[[memory.watch]]\nname = \"twin\"\ncgroup = \"" +
                           twin->path + "\"\n");
  AgentProcess agent(config, dir.file("agent.log"));
  agent.start();
  ASSERT_TRUE(agent.wait_for_output("watchdog_opened", 10s)) << agent.output();
  const auto registered = [&] {
    const auto d = memory_domain_status(config, "twin");
    return d.is_object() && d.contains("psi_triggers") && !d["psi_triggers"].empty();
  };
  ASSERT_TRUE(eventually(registered, 10s))
      << memory_domain_status(config, "twin").dump() << agent.output();

  // The unit stops: its cgroup goes away. Two seconds of a spinning loop would be ~200
  // ticks; an idle guard sampling every 200 ms uses a few (ASan build).
  twin->remove();
  std::this_thread::sleep_for(300ms);
  const long before = cpu_ticks(agent.pid());
  std::this_thread::sleep_for(2s);
  const long used = cpu_ticks(agent.pid()) - before;
  EXPECT_LT(used, 60) << "lifeline used " << used << " ticks in 2 s after the cgroup went away";
  EXPECT_FALSE(registered()) << "the removed cgroup's triggers are still reported";

  // The unit starts again: a new cgroup at the same path gets new triggers.
  ASSERT_TRUE(twin->create());
  ASSERT_TRUE(eventually(registered, 10s))
      << memory_domain_status(config, "twin").dump() << agent.output();
  agent.signal(SIGTERM);
  ASSERT_EQ(agent.wait_exit(10s), 0);
  const auto events = read_events(config);
  bool again = false;
  for (const auto& e : events) {
    again = again || (e.value("kind", "") == "memory_monitor" &&
                      e.value("message", "").find("registered again") != std::string::npos);
  }
  EXPECT_TRUE(again) << "no record of the triggers registered again\n" << events.dump(1);
}

}  // namespace
}  // namespace lifeline::test
