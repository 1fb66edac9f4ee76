// Every event is one structured journal entry. No journald runs on this machine (systemd
// is not PID 1), so the test binds the journal's well-known socket itself and reads the
// native protocol (KEY=VALUE lines per datagram) that sd_journal_sendv() writes.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <optional>

#include "support/process.hpp"

namespace lifeline::test {
namespace {

constexpr const char* kJournalDir = "/run/systemd/journal";
constexpr const char* kJournalSocket = "/run/systemd/journal/socket";

class FakeJournal {
 public:
  FakeJournal() {
    created_dir_ = ::mkdir(kJournalDir, 0755) == 0;
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, kJournalSocket, sizeof address.sun_path - 1);
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~FakeJournal() {
    ::close(fd_);
    if (bound_) ::unlink(kJournalSocket);
    if (created_dir_) ::rmdir(kJournalDir);
  }
  [[nodiscard]] bool ready() const { return bound_; }
  std::vector<std::string> entries() {
    char buffer[65536];
    for (;;) {
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      entries_.emplace_back(buffer, static_cast<std::size_t>(n));
    }
    return entries_;
  }
  // The first entry containing every one of `lines` (each a whole KEY=VALUE line).
  std::optional<std::string> find(const std::vector<std::string>& lines) {
    for (const auto& entry : entries()) {
      bool all = true;
      for (const auto& line : lines)
        all = all && ("\n" + entry).find("\n" + line + "\n") != std::string::npos;
      if (all) return entry;
    }
    return std::nullopt;
  }

 private:
  int fd_ = -1;
  bool created_dir_ = false;
  bool bound_ = false;
  std::vector<std::string> entries_;
};

TEST(JournalHost, EveryEventIsOneStructuredEntry) {
  if (std::filesystem::exists(kJournalSocket)) {
    GTEST_SKIP() << "a real journald owns " << kJournalSocket << " here; read `journalctl` instead";
  }
  FakeJournal journal;
  ASSERT_TRUE(journal.ready()) << "cannot bind " << kJournalSocket;
  TempDir dir;
  const auto config = write_sim_config(dir, "");
  AgentProcess agent(config, dir.file("out.log"));
  agent.set_env({"JOURNAL_STREAM=8:12345"});  // as systemd sets it for a service
  agent.start();
  ASSERT_TRUE(
      eventually([&] { return journal.find({"LIFELINE_EVENT=reset_recorded"}).has_value(); }, 10s))
      << agent.output();
  const auto started = journal.find({"LIFELINE_EVENT=agent_started"});
  ASSERT_TRUE(started.has_value());
  EXPECT_NE(started->find("\nSYSLOG_IDENTIFIER=lifeline\n"), std::string::npos) << *started;
  EXPECT_NE(started->find("\nPRIORITY=6\n"), std::string::npos) << *started;
  EXPECT_NE(started->find("\nLIFELINE_BOARD=sim\n"), std::string::npos) << *started;

  write_file(config, read_file(config) + "[watchdog\n");
  agent.signal(SIGHUP);
  ASSERT_TRUE(eventually(
      [&] {
        return journal.find({"LIFELINE_EVENT=fault_raised", "LIFELINE_FAULT=config_rejected"})
            .has_value();
      },
      10s))
      << agent.output();
  const auto fault =
      journal.find({"LIFELINE_EVENT=fault_raised", "LIFELINE_FAULT=config_rejected"});
  EXPECT_NE(fault->find("\nLIFELINE_FAULT_CODE=131\n"), std::string::npos) << *fault;
  EXPECT_NE(fault->find("\nLIFELINE_SEVERITY=warning\n"), std::string::npos) << *fault;
  EXPECT_NE(fault->find("\nPRIORITY=4\n"), std::string::npos) << *fault;
  agent.signal(SIGTERM);
  ASSERT_EQ(agent.wait_exit(10s), 0);
  EXPECT_TRUE(journal.find({"LIFELINE_EVENT=agent_stopped"}).has_value());
}

}  // namespace
}  // namespace lifeline::test
