// The dead-man's hang and error detectors end to end: the real lifeline binary, a real
// app process renewing its lease with `lifeline beat` (then SIGSTOPped), and a real HTTP
// server on 127.0.0.1 that starts answering 500.
#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "support/motion_rig.hpp"
#include "support/process.hpp"

namespace lifeline::test {
namespace {

const std::vector<std::uint8_t> kStopFrame{0x80, 0x00, 0x00, 0x00, 0x80, 0x04, 0x00, 0x04};

std::string motion_config(const TempDir& dir, const std::string& extra) {
  return write_sim_config(
      dir, "[motion]\nenabled = true\nprotocol = \"sabertooth-packetized\"\nserial_device = \"" +
               dir.file("motor-serial") + "\"\nstop_repeat_ms = 1000\n" + extra);
}

bool rearm_succeeds(const std::string& config) {
  return eventually([&] { return run_cli({"rearm", "--config", config}).exit_code == 0; }, 10s);
}

TEST(MotionDetectorsHost, AHungAppLetsTheLeaseExpireAndTheMotorsStop) {
  TempDir dir;
  MotorPort port(dir.file("motor-serial"));
  const std::string socket = dir.file("lease.sock");
  const auto config = motion_config(dir, "[motion.app]\npidfile = \"" + dir.file("app.pid") +
                                             "\"\n[motion.lease]\nenabled = true\n"
                                             "socket = \"" +
                                             socket + "\"\nname = \"app\"\ntimeout_ms = 300\n");
  AgentProcess agent(config, dir.file("out.log"));
  agent.start();
  ASSERT_TRUE(eventually(
      [&] {
        return run_cli({"status", "--config", config}).exit_code == 0;
      },
      10s))
      << agent.output();
  // The "app": lifeline's own shell client beating every 50 ms.
  FakeApp app(dir.file("app.pid"), {LIFELINE_BINARY, "beat", "app", "--socket", socket, "--count",
                                    "0", "--interval-ms", "50"});
  app.start();
  ASSERT_TRUE(rearm_succeeds(config)) << agent.output();
  ASSERT_EQ(sim_line_value(dir, "motor_enable"), 1);
  port.drain();

  const long long stopped_ns = monotonic_now_ns();
  app.kill(SIGSTOP);  // alive but hung: only the lease can tell
  const auto bytes = port.read(kStopFrame.size(), 3s);
  const long long arrived_ns = monotonic_now_ns();
  EXPECT_EQ(bytes, kStopFrame);
  EXPECT_GE(arrived_ns - stopped_ns, 200'000'000LL) << "stopped before the 300 ms lease ran out";
  EXPECT_LT(arrived_ns - stopped_ns, 2'000'000'000LL);
  EXPECT_TRUE(eventually([&] { return sim_line_value(dir, "motor_enable") == 0; }, 1s));
  ASSERT_TRUE(agent.wait_for_output("app_hung", 5s)) << agent.output();

  app.kill(SIGCONT);  // it recovers: the lease is renewed, but motion waits for a person
  ASSERT_TRUE(agent.wait_for_output("app_hung cleared", 5s)) << agent.output();
  EXPECT_EQ(sim_line_value(dir, "motor_enable"), 0);
  EXPECT_EQ(run_cli({"rearm", "--config", config}).exit_code, 0);
  EXPECT_EQ(sim_line_value(dir, "motor_enable"), 1);
  agent.signal(SIGTERM);
  EXPECT_EQ(agent.wait_exit(10s), 0);
}

constexpr const char* kServer = R"(
import http.server, os, sys
flag, port_file = sys.argv[1], sys.argv[2]
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code = 500 if os.path.exists(flag) else 200
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
)";

TEST(MotionDetectorsHost, AnAppAnsweringInternalServerErrorIsStopped) {
  TempDir dir;
  MotorPort port(dir.file("motor-serial"));
  write_file(dir.file("server.py"), kServer);
  FakeApp server(dir.file("server.pid"),
                 {"/usr/bin/python3", dir.file("server.py"), dir.file("fail"), dir.file("port")});
  server.start();
  ASSERT_TRUE(eventually([&] { return !read_file(dir.file("port")).empty(); }, 10s));
  const std::string url = "http://127.0.0.1:" + read_file(dir.file("port")) + "/health";
  const auto config =
      motion_config(dir, "[motion.http_probe]\nurl = \"" + url +
                             "\"\ninterval_ms = 200\ntimeout_ms = 150\nfailures = 3\n");
  AgentProcess agent(config, dir.file("out.log"));
  agent.start();
  ASSERT_TRUE(rearm_succeeds(config)) << agent.output();
  // A slow python server on a loaded machine may miss a probe deadline now and then:
  // start failing only from a settled, armed state.
  std::this_thread::sleep_for(700ms);
  ASSERT_TRUE(rearm_succeeds(config)) << agent.output();
  ASSERT_EQ(sim_line_value(dir, "motor_enable"), 1);
  port.drain();

  const long long failing_ns = monotonic_now_ns();
  touch(dir.file("fail"));  // the process lives on, answering 500
  const auto bytes = port.read(kStopFrame.size(), 5s);
  const long long arrived_ns = monotonic_now_ns();
  EXPECT_EQ(bytes, kStopFrame) << agent.output();
  // Three failed probes 200 ms apart cannot happen in less than ~400 ms.
  EXPECT_GE(arrived_ns - failing_ns, 350'000'000LL) << agent.output();
  EXPECT_LT(arrived_ns - failing_ns, 3'000'000'000LL);
  EXPECT_TRUE(eventually([&] { return sim_line_value(dir, "motor_enable") == 0; }, 1s))
      << agent.output();
  ASSERT_TRUE(agent.wait_for_output("health URL failing: HTTP 500", 5s)) << agent.output();
  EXPECT_NE(agent.output().find("app_errors"), std::string::npos);
  agent.signal(SIGTERM);
  EXPECT_EQ(agent.wait_exit(10s), 0);
}

}  // namespace
}  // namespace lifeline::test
