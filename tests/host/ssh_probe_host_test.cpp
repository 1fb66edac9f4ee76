// The SSH reachability probe against a real sshd (Debian's openssh-server) started by the
// test on a loopback port, and against a port that accepts but never speaks.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "support/memory_rig.hpp"
#include "support/process.hpp"
#include "support/system_bus.hpp"

namespace lifeline::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSshd = "/usr/sbin/sshd";

// A listening TCP socket on 127.0.0.1 with a kernel-chosen port; never accepts.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::listen(fd_, 16) == 0 &&
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &length) == 0) {
      port_ = ntohs(a.sin_port);
    }
  }
  ~SilentListener() { ::close(fd_); }
  [[nodiscard]] int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

int free_port() {
  SilentListener probe;
  return probe.port();  // closed again at once; sshd binds it next
}

// sshd -D on 127.0.0.1:port with its own host key and config, started with
// oom_score_adj 300 so lifeline's protection can be seen lowering it without needing
// CAP_SYS_RESOURCE (which this machine's root lacks).
class TestSshd {
 public:
  TestSshd(const TempDir& dir, int port) : dir_(dir), port_(port) {
    const std::string key = dir.file("ssh_host_ed25519_key");
    if (::access(key.c_str(), F_OK) != 0) {
      const std::string keygen = "ssh-keygen -q -t ed25519 -N '' -f " + key + " >/dev/null 2>&1";
      if (std::system(keygen.c_str()) != 0) return;  // NOLINT(cert-env33-c)
    }
    ::mkdir("/run/sshd", 0755);  // sshd's privilege separation directory
    write_file(dir.file("sshd_config"), "Port " + std::to_string(port) +
                                            "\nListenAddress 127.0.0.1\nHostKey " + key +
                                            "\nPidFile none\nUsePAM no\nStrictModes no\n");
  }
  ~TestSshd() { stop(); }
  bool start() {
    pid_ = ::fork();
    if (pid_ == 0) {
      std::ofstream("/proc/self/oom_score_adj") << "300" << std::flush;
      const std::string config = dir_.file("sshd_config");
      const std::string log = dir_.file("sshd.log");
      ::freopen(log.c_str(), "a", stderr);
      ::execl(kSshd, kSshd, "-D", "-e", "-f", config.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    return eventually([&] { return banner_ok(); }, 10s);
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] bool banner_ok() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port_));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    char buffer[8] = {};
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                    ::read(fd, buffer, 8) == 8 && std::string(buffer, 8) == "SSH-2.0-";
    ::close(fd);
    return ok;
  }

 private:
  const TempDir& dir_;
  int port_;
  pid_t pid_ = -1;
};

nlohmann::json ssh_status(const std::string& config) {
  const auto result = run_cli({"status", "--config", config, "--json"});
  auto status = nlohmann::json::parse(result.out, nullptr, false);
  if (status.is_discarded()) return nullptr;
  if (status.contains("status")) status = status["status"];
  return status.contains("memory") ? status["memory"]["ssh"] : nlohmann::json(nullptr);
}

int read_adj(pid_t pid) {
  const std::string text = read_file("/proc/" + std::to_string(pid) + "/oom_score_adj");
  return text.empty() ? -2000 : std::stoi(text);
}

TEST(SshProbeHost, RealSshdIsSeenProtectedAndRestartedWhenItStopsAnswering) {
  if (::access(kSshd, X_OK) != 0) GTEST_SKIP() << "openssh-server is not installed";
  TempDir dir;
  DBusDaemon bus(dir.path());
  ASSERT_TRUE(bus.start()) << bus.log();
  FakeSystemd systemd(bus.address(), "ssh-test.service", FakeUnit{});
  ASSERT_TRUE(systemd.ok()) << bus.log();
  const int port = free_port();
  TestSshd sshd(dir, port);
  ASSERT_TRUE(sshd.start()) << read_file(dir.file("sshd.log"));
  ASSERT_EQ(read_adj(sshd.pid()), 300);

  const auto config = write_sim_config(
      dir, "[memory]\nenabled = true\n[memory.ssh]\nport = " + std::to_string(port) +
               "\ninterval_ms = 500\ntimeout_ms = 400\nfailures = 2\nunit = \"ssh-test.service\"\n"
               "restart_min_interval_s = 60\noom_score_adj = 100\nstart_grace_s = 0\n");
  AgentProcess agent(config, dir.file("agent.log"));
  agent.set_env({"DBUS_SYSTEM_BUS_ADDRESS=" + bus.address()});
  agent.start();
  ASSERT_TRUE(agent.wait_for_output("sshd answers: SSH-2.0-OpenSSH", 10s)) << agent.output();
  EXPECT_TRUE(eventually([&] { return read_adj(sshd.pid()) == 100; }, 5s))
      << "sshd's oom_score_adj is " << read_adj(sshd.pid());
  const auto reachable = ssh_status(config);
  ASSERT_TRUE(reachable.is_object()) << reachable;
  EXPECT_EQ(reachable["reachable"], true);
  EXPECT_EQ(reachable["detail"].get<std::string>().rfind("SSH-2.0-OpenSSH", 0), 0U);

  sshd.stop();  // the way in goes away
  ASSERT_TRUE(agent.wait_for_output("fault_raised  ssh_unreachable(205)", 10s)) << agent.output();
  EXPECT_TRUE(eventually(
      [&] {
        for (const auto& call : systemd.job_calls()) {
          if (call == "RestartUnit ssh-test.service replace") return true;
        }
        return false;
      },
      5s))
      << agent.output();
  EXPECT_EQ(ssh_status(config)["reachable"], false);

  ASSERT_TRUE(sshd.start());  // "systemd" brought it back
  ASSERT_TRUE(agent.wait_for_output("ssh_unreachable cleared", 10s)) << agent.output();
  agent.signal(SIGTERM);
  ASSERT_EQ(agent.wait_exit(10s), 0);
  // One restart, not one per failed probe: the rest were held by restart_min_interval_s.
  EXPECT_EQ(systemd.job_calls().size(), 1U);
  const auto events = read_events(config);
  EXPECT_GE(find_event(events, "unit_job", "unit", "ssh-test.service"), 0) << events.dump(1);
}

TEST(SshProbeHost, APortThatAcceptsButNeverSendsABannerFails) {
  TempDir dir;
  SilentListener silent;
  ASSERT_GT(silent.port(), 0);
  const auto config = write_sim_config(
      dir,
      "[memory]\nenabled = true\n[memory.ssh]\nport = " + std::to_string(silent.port()) +
          "\ninterval_ms = 600\ntimeout_ms = 300\nfailures = 1\nunit = \"\"\nstart_grace_s = 0\n");
  AgentProcess agent(config, dir.file("agent.log"));
  agent.start();
  ASSERT_TRUE(agent.wait_for_output("sshd probe failed: no banner within the timeout", 10s))
      << agent.output();
  ASSERT_TRUE(agent.wait_for_output("fault_raised  ssh_unreachable(205)", 10s)) << agent.output();
  agent.signal(SIGTERM);
  ASSERT_EQ(agent.wait_exit(10s), 0);
  EXPECT_EQ(agent.output().find("RestartUnit"), std::string::npos) << "no unit configured";
}

}  // namespace
}  // namespace lifeline::test
