// The rescue page under hostile and heavy use, and as Prometheus sees it: slow-header
// clients are cut off while others are served, 200 concurrent clients are all answered by
// a bounded number of threads, `promtool check metrics` accepts /metrics, and a real
// Prometheus server on loopback scrapes it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <fstream>
#include <thread>
#include <vector>

#include "rescue_http.hpp"

namespace lifeline::test {
namespace {

int thread_count(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("Threads:")) return std::stoi(line.substr(8));
  }
  return -1;
}

bool have(const char* program) {
  return ::access(program, X_OK) == 0;
}

// A child process the test started; killed and reaped by PID at the end.
class Child {
 public:
  explicit Child(std::vector<std::string> argv, const std::string& log) {
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> args;
      for (auto& arg : argv) args.push_back(arg.data());
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

 private:
  pid_t pid_ = -1;
};

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

TEST(RescueLoadHost, SlowHeaderClientsAreCutOffWhileOthersAreServed) {
  RescueRig rig("", "request_timeout_ms = 1000\n");
  ASSERT_TRUE(rig.start()) << rig.agent->output();
  // Three times as many slow clients as worker threads, each dribbling its headers.
  std::vector<int> slow;
  for (int i = 0; i < 6; ++i) {
    const int fd = connect_loopback(rig.port);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(send_all(fd, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
    slow.push_back(fd);
  }
  std::atomic<bool> dribbling{true};
  std::thread dribbler([&] {
    while (dribbling) {
      for (int fd : slow) (void)send_all(fd, "X");
      std::this_thread::sleep_for(200ms);
    }
  });
  // Others are answered all the while. A worker holds a slow client for at most
  // request_timeout_ms, so 6 slow clients on 2 workers delay a request by at most ~3 s;
  // the bound is generous on top of that (ASan, parallel tests).
  for (int i = 0; i < 3; ++i) {
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(http(rig.port, {"GET", "/api/v1/status"}, 20s).status, 200) << i;
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s) << i;
  }
  // Every slow client is closed by the server, none served a page.
  for (int fd : slow) {
    const auto rest = read_to_close(fd, 15s);
    EXPECT_TRUE(rest.has_value()) << "a slow client was never cut off";
    if (rest) {
      EXPECT_EQ(rest->find("200 OK"), std::string::npos);
    }
  }
  dribbling = false;
  dribbler.join();
  for (int fd : slow) ::close(fd);
  rig.stop();
}

TEST(RescueLoadHost, TwoHundredConcurrentClientsAreAllAnsweredByBoundedThreads) {
  RescueRig rig;
  ASSERT_TRUE(rig.start()) << rig.agent->output();
  ASSERT_EQ(http(rig.port, {"GET", "/metrics"}).status, 200);
  const int threads_before = thread_count(rig.agent->pid());
  std::atomic<int> ok{0};
  std::atomic<int> most_threads{0};
  std::atomic<bool> running{true};
  std::thread watcher([&] {
    while (running) {
      most_threads = std::max(most_threads.load(), thread_count(rig.agent->pid()));
      std::this_thread::sleep_for(5ms);
    }
  });
  std::vector<std::thread> clients;
  for (int i = 0; i < 200; ++i) {
    clients.emplace_back([&, i] {
      const HttpReply reply = http(rig.port, {"GET", i % 2 == 0 ? "/metrics" : "/"}, 60s);
      if (reply.status == 200) ok += 1;
    });
  }
  for (auto& client : clients) client.join();
  running = false;
  watcher.join();
  EXPECT_EQ(ok.load(), 200);
  EXPECT_EQ(most_threads.load(), threads_before) << "CivetWeb must not grow threads under load";
  EXPECT_EQ(http(rig.port, {"GET", "/api/v1/status"}).status, 200);
  rig.stop();
}

TEST(RescueLoadHost, PromtoolAcceptsTheMetrics) {
  if (!have("/usr/bin/promtool")) GTEST_SKIP() << "promtool missing: ./dev installs prometheus";
  // Every family present: motion, and the memory guard (dry run) with an SSH probe that
  // finds nothing listening.
  RescueRig rig(std::string("[motion]\nenabled = true\nprotocol = \"none\"\n[motion.app]\n") +
                "pidfile = \"/nonexistent/app.pid\"\n[memory]\nenabled = true\ndry_run = true\n" +
                "[memory.ssh]\nport = " + std::to_string(free_port()) + "\n");
  ASSERT_TRUE(rig.start()) << rig.agent->output();
  HttpReply metrics;
  ASSERT_TRUE(eventually(
      [&] {
        metrics = http(rig.port, {"GET", "/metrics"});
        return metrics.body.find("lifeline_ssh_up") != std::string::npos;
      },
      10s))
      << metrics.body << rig.agent->output();
  for (const char* family : {"lifeline_motors_armed", "lifeline_memory_available_bytes",
                             "lifeline_oom_kills_total", "lifeline_blackbox_records_total"}) {
    EXPECT_NE(metrics.body.find(family), std::string::npos) << family;
  }
  write_file(rig.dir.file("metrics.txt"), metrics.body);
  const std::string command = "/usr/bin/promtool check metrics < " + rig.dir.file("metrics.txt") +
                              " > " + rig.dir.file("promtool.out") + " 2>&1";
  const int rc = std::system(command.c_str());  // NOLINT(concurrency-mt-unsafe)
  EXPECT_EQ(rc, 0) << read_file(rig.dir.file("promtool.out"));
  EXPECT_EQ(read_file(rig.dir.file("promtool.out")), "") << "promtool lint findings";
  rig.stop();
}

TEST(RescueLoadHost, ARealPrometheusScrapesIt) {
  if (!have("/usr/bin/prometheus")) GTEST_SKIP() << "prometheus missing: ./dev installs it";
  RescueRig rig;
  ASSERT_TRUE(rig.start()) << rig.agent->output();
  write_file(rig.dir.file("prometheus.yml"),
             "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n"
             "  - job_name: lifeline\n    static_configs:\n      - targets: ['127.0.0.1:" +
                 std::to_string(rig.port) + "']\n");
  const int web_port = free_port();
  Child prometheus({"/usr/bin/prometheus", "--config.file=" + rig.dir.file("prometheus.yml"),
                    "--storage.tsdb.path=" + rig.dir.file("tsdb"),
                    "--web.listen-address=127.0.0.1:" + std::to_string(web_port)},
                   rig.dir.file("prometheus.log"));
  // Prometheus's own view: the target is up and lifeline_up was stored.
  std::string answer;
  const bool scraped = eventually(
      [&] {
        answer =
            http(web_port,
                 {"GET",
                  "/api/v1/query?query=lifeline_up%20and%20up%7Bjob%3D%22lifeline%22%7D%3D%3D1"},
                 2s)
                .body;
        return answer.find("\"lifeline_up\"") != std::string::npos &&
               answer.find("\"1\"]") != std::string::npos;
      },
      30s);
  EXPECT_TRUE(scraped) << answer << "\n" << read_file(rig.dir.file("prometheus.log"));
  const std::string targets = http(web_port, {"GET", "/api/v1/targets"}, 2s).body;
  EXPECT_NE(targets.find("\"health\":\"up\""), std::string::npos) << targets;
  rig.stop();
}

}  // namespace
}  // namespace lifeline::test
