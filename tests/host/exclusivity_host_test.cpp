// Runtime service exclusivity against real processes: listeners on loopback ports placed in
// cgroups the test creates and names like units (/lifeline-test-<pid>-N/mediamtx.service),
// so lifeline derives the unit from /proc/PID/cgroup exactly as on a robot. systemd is not
// PID 1 here: "stop" mode talks to a fake systemd on a real dbus-daemon.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/memory_rig.hpp"
#include "support/process.hpp"
#include "support/system_bus.hpp"

namespace lifeline::test {
namespace {

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// A directory the test creates in systemd's own hierarchy (v1 name=systemd on a legacy or
// hybrid box, the unified one otherwise), with one sub-cgroup per fake unit. The destructor
// SIGKILLs and reaps what the test put there (its own children only) and removes them.
class UnitCgroups {
 public:
  static std::unique_ptr<UnitCgroups> create(std::string& why) {
    static std::atomic<int> counter{0};
    const std::string name =
        "lifeline-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    std::string mount;
    if (exists("/sys/fs/cgroup/systemd/cgroup.procs")) {
      mount = "/sys/fs/cgroup/systemd";
    } else if (exists("/sys/fs/cgroup/cgroup.controllers")) {
      mount = "/sys/fs/cgroup";
    } else {
      why = "no name=systemd hierarchy and no unified cgroup hierarchy";
      return nullptr;
    }
    const std::string dir = mount + "/" + name;
    if (::mkdir(dir.c_str(), 0755) != 0) {
      why = "cannot create " + dir + " (not root?)";
      return nullptr;
    }
    return std::unique_ptr<UnitCgroups>(new UnitCgroups(dir, "/" + name));
  }
  ~UnitCgroups() {
    for (auto it = children_.rbegin(); it != children_.rend(); ++it) ::rmdir(it->c_str());
    ::rmdir(dir_.c_str());
  }
  UnitCgroups(const UnitCgroups&) = delete;
  UnitCgroups& operator=(const UnitCgroups&) = delete;

  // Moves `pid` into `<dir>/<unit>` ("" = the test's directory itself: no unit).
  bool place(pid_t pid, const std::string& unit) {
    std::string target = dir_;
    if (!unit.empty()) {
      target += "/" + unit;
      if (!exists(target)) {
        if (::mkdir(target.c_str(), 0755) != 0) return false;
        children_.push_back(target);
      }
    }
    std::ofstream procs(target + "/cgroup.procs");
    procs << pid << std::flush;
    return static_cast<bool>(procs);
  }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  UnitCgroups(std::string dir, std::string path) : dir_(std::move(dir)), path_(std::move(path)) {}
  std::string dir_;
  std::string path_;
  std::vector<std::string> children_;
};

// A TCP listener on 127.0.0.1:`port` (0 = any free port) held by a child that execs
// `sleep` with argv[0] `name`: the socket is the child's alone, and its cmdline is
// recognisable. SO_REUSEPORT lets an owner and a duplicate listen on the same port, as two
// copies of one server would. Killed (SIGKILL) and reaped by PID in the destructor.
class Listener {
 public:
  Listener(const std::string& name, std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);  // no CLOEXEC: the child keeps it
    if (fd < 0) return;
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd, 4) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      ::close(fd);
      return;
    }
    port_ = ntohs(address.sin_port);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execl("/bin/sleep", name.c_str(), "300", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fd);
  }
  ~Listener() { stop(); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

std::string role(const std::string& mode, const std::vector<std::uint16_t>& ports) {
  std::string list;
  for (auto p : ports) list += (list.empty() ? "\"tcp/" : ", \"tcp/") + std::to_string(p) + "\"";
  return "[exclusivity]\ninterval_ms = 500\n[[exclusivity.role]]\nname = \"media\"\n"
         "unit = \"avatar-tank.service\"\nports = [" +
         list + "]\nmode = \"" + mode + "\"\n";
}

nlohmann::json fields_of(const nlohmann::json& events, int index) {
  return index < 0 ? nlohmann::json::object() : events[static_cast<std::size_t>(index)]["fields"];
}

class ExclusivityHost : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    cgroups_ = UnitCgroups::create(why);
    if (!cgroups_) GTEST_SKIP() << why;
  }
  std::unique_ptr<UnitCgroups> cgroups_;
};

TEST_F(ExclusivityHost, ReportsTheDuplicateUnitAndAStrayButNotTheOwner) {
  Listener owner("mediamtx", 0);
  ASSERT_GT(owner.pid(), 0);
  Listener duplicate("mediamtx", owner.port());  // a second copy on the same port
  Listener stray("stray-listener", 0);           // another role port, outside any unit
  ASSERT_GT(duplicate.pid(), 0);
  ASSERT_GT(stray.pid(), 0);
  ASSERT_TRUE(cgroups_->place(owner.pid(), "avatar-tank.service"));
  ASSERT_TRUE(cgroups_->place(duplicate.pid(), "mediamtx.service"));
  ASSERT_TRUE(cgroups_->place(stray.pid(), ""));

  TempDir dir;
  const auto config = write_sim_config(dir, role("report", {owner.port(), stray.port()}));
  AgentProcess agent(config, dir.file("agent.log"));
  agent.start();
  ASSERT_TRUE(agent.wait_for_output("duplicate of role media: mediamtx.service", 15s))
      << agent.output();
  ASSERT_TRUE(agent.wait_for_output("PID " + std::to_string(stray.pid()) + " (no unit)", 10s))
      << agent.output();
  // The status part the rescue page and `lifeline status` show: both duplicates, the
  // owner not among them.
  const auto status = run_cli({"status", "--config", config, "--json"});
  auto json = nlohmann::json::parse(status.out, nullptr, false);
  if (json.contains("status")) json = json["status"];
  const auto part = json.value("exclusivity", nlohmann::json::object());
  EXPECT_EQ(part.value("duplicate_count", 0), 2) << status.out;
  EXPECT_EQ(part.dump().find("\"unit\":\"avatar-tank.service\""), std::string::npos);
  agent.signal(SIGTERM);
  ASSERT_EQ(agent.wait_exit(10s), 0) << agent.output();

  const auto events = read_events(config);
  const std::string port = "tcp/" + std::to_string(owner.port());
  const auto dup =
      fields_of(events, find_event(events, "service_conflict", "unit", "mediamtx.service"));
  EXPECT_EQ(dup.value("owner", ""), "avatar-tank.service") << events.dump(1);
  EXPECT_EQ(dup.value("shared", ""), port);
  EXPECT_EQ(dup.value("pid", ""), std::to_string(duplicate.pid()));
  EXPECT_EQ(dup.value("cmdline", ""), "mediamtx 300");
  EXPECT_EQ(dup.value("fix", ""),
            "systemctl stop mediamtx.service && systemctl mask mediamtx.service");

  const auto loose =
      fields_of(events, find_event(events, "service_conflict", "pid", std::to_string(stray.pid())));
  EXPECT_EQ(loose.value("unit", "?"), "");
  EXPECT_EQ(loose.value("cmdline", ""), "stray-listener 300");
  EXPECT_EQ(loose.value("shared", ""), "tcp/" + std::to_string(stray.port()));
  EXPECT_EQ(loose.value("fix", ""), "kill " + std::to_string(stray.pid()));

  // The owner is never the duplicate, and each duplicate is recorded once, not per check.
  EXPECT_EQ(find_event(events, "service_conflict", "unit", "avatar-tank.service"), -1);
  int recorded = 0;
  for (const auto& e : events) recorded += e.value("kind", "") == "service_conflict";
  EXPECT_EQ(recorded, 2) << events.dump(1);
  bool fault = false;
  for (const auto& e : events) {
    fault = fault || (e.value("kind", "") == "fault_raised" && e["fault"] == "service_conflict");
  }
  EXPECT_TRUE(fault) << events.dump(1);
}

TEST_F(ExclusivityHost, StopModeAsksSystemdToStopTheDuplicateAndVerifiesTheOwner) {
  TempDir bus_dir;
  DBusDaemon bus(bus_dir.path());
  ASSERT_TRUE(bus.start()) << bus.log();
  FakeSystemd systemd(bus.address(), "avatar-tank.service", FakeUnit{});
  ASSERT_TRUE(systemd.ok()) << bus.log();

  Listener owner("mediamtx", 0);
  Listener duplicate("mediamtx", owner.port());
  ASSERT_GT(owner.pid(), 0);
  ASSERT_GT(duplicate.pid(), 0);
  ASSERT_TRUE(cgroups_->place(owner.pid(), "avatar-tank.service"));
  ASSERT_TRUE(cgroups_->place(duplicate.pid(), "mediamtx.service"));

  TempDir dir;
  const auto config = write_sim_config(dir, role("stop", {owner.port()}));
  AgentProcess agent(config, dir.file("agent.log"));
  agent.set_env({"DBUS_SYSTEM_BUS_ADDRESS=" + bus.address()});
  agent.start();
  ASSERT_TRUE(eventually([&] { return !systemd.stop_calls().empty(); }, 15s)) << agent.output();
  // The fake only answers; do what systemd would: end the unit's process.
  duplicate.stop();
  ASSERT_TRUE(agent.wait_for_output("holds the ports of role media", 10s)) << agent.output();
  agent.signal(SIGTERM);
  ASSERT_EQ(agent.wait_exit(10s), 0) << agent.output();

  const auto calls = systemd.stop_calls();
  ASSERT_EQ(calls.size(), 1U) << agent.output();  // asked once, and never the owner
  EXPECT_EQ(calls[0].first, "mediamtx.service");
  EXPECT_EQ(calls[0].second, "replace");
  const auto events = read_events(config);
  const auto answer = fields_of(events, find_event(events, "duplicate_stop", "accepted", "true"));
  EXPECT_EQ(answer.value("unit", ""), "mediamtx.service") << events.dump(1);
  const auto verified = fields_of(events, find_event(events, "owner_verified"));
  EXPECT_EQ(verified.value("ok", ""), "true") << agent.output();
  EXPECT_GE(find_event(events, "service_conflict_ended", "unit", "mediamtx.service"), 0);
}

}  // namespace
}  // namespace lifeline::test
