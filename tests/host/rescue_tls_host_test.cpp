// HTTPS on the rescue page with Debian bookworm's CivetWeb 1.15 and OpenSSL 3: the defect
// alone (a standalone CivetWeb program dies on its first HTTPS connection), the same
// program with lifeline's shims, and the real lifeline serving the page over TLS to curl
// with a certificate the test makes, refusing plain HTTP and surviving garbage handshakes.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <random>
#include <thread>
#include <vector>

#include "rescue_http.hpp"

extern char** environ;

namespace lifeline::test {
namespace {

bool have(const char* path) {
  return ::access(path, X_OK) == 0;
}

// Runs a shell command; its exit code (-1 if it did not exit normally).
int shell(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A self-signed certificate for 127.0.0.1 (P-256) made with the openssl CLI; the PEM
// lifeline reads holds the key and the certificate, curl trusts the certificate alone.
bool make_certificate(const TempDir& dir) {
  const std::string key = dir.file("key.pem");
  const std::string cert = dir.file("cert.pem");
  const int made = shell(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
      "-keyout " +
      key + " -out " + cert +
      " -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
      "> " +
      dir.file("openssl.out") + " 2>&1");
  if (made != 0) return false;
  write_file(dir.file("server.pem"), read_file(key) + read_file(cert));
  return true;
}

struct CurlResult {
  int exit_code = -1;  // curl's: 0 fine, 7 refused, 35 handshake, 52 empty reply, 60 trust
  std::string headers;
  std::string body;
};

CurlResult curl(const TempDir& dir, const std::string& url, const std::string& options = "") {
  const std::string headers = dir.file("curl.headers");
  const std::string body = dir.file("curl.body");
  write_file(headers, "");
  write_file(body, "");
  CurlResult result;
  result.exit_code = shell("curl -sS --max-time 10 " + options + " -D " + headers + " -o " + body +
                           " '" + url + "' 2> " + dir.file("curl.err"));
  result.headers = read_file(headers);
  result.body = read_file(body);
  return result;
}

// lifeline with the rescue page on https://127.0.0.1:PORT/.
struct TlsRig {
  TempDir dir;
  std::unique_ptr<AgentProcess> agent;
  int port = 0;

  bool start(const std::string& certificate = "") {
    if (!make_certificate(dir)) return false;
    const std::string config = write_sim_config(
        dir, "[rescue]\nenabled = true\nlisten = [\"127.0.0.1:0\"]\npassword_file = \"" +
                 dir.file("rescue.passwd") + "\"\ntls_certificate = \"" +
                 (certificate.empty() ? dir.file("server.pem") : certificate) + "\"\n");
    agent = std::make_unique<AgentProcess>(config, dir.file("out.log"));
    agent->start();
    const std::string marker = "rescue page at https://127.0.0.1:";
    if (!agent->wait_for_output(marker, std::chrono::seconds(15))) return false;
    const std::string out = agent->output();
    port = std::stoi(out.substr(out.find(marker) + marker.size()));
    return port > 0;
  }
  [[nodiscard]] std::string url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(port) + path;
  }
  [[nodiscard]] std::string trust() const { return "--cacert " + dir.file("cert.pem"); }
  void stop() {
    agent->signal(SIGTERM);
    EXPECT_EQ(agent->wait_exit(std::chrono::seconds(15)), 0) << agent->output();
  }
};

TEST(RescueTlsHost, ThePageAnswersOverHttpsWithTheConfiguredCertificate) {
  if (!have("/usr/bin/openssl") || !have("/usr/bin/curl")) GTEST_SKIP() << "openssl/curl missing";
  TlsRig rig;
  ASSERT_TRUE(rig.start()) << rig.agent->output();
  const CurlResult page = curl(rig.dir, rig.url("/"), rig.trust());
  ASSERT_EQ(page.exit_code, 0) << read_file(rig.dir.file("curl.err")) << rig.agent->output();
  EXPECT_TRUE(page.headers.starts_with("HTTP/1.1 200")) << page.headers;
  EXPECT_NE(page.body.find("<span id=\"state\">"), std::string::npos);
  EXPECT_NE(page.headers.find("Content-Security-Policy: default-src 'none'"), std::string::npos);
  // On a TLS connection the visitor's cookie is marked Secure.
  EXPECT_NE(page.headers.find("Set-Cookie: ll_anon="), std::string::npos) << page.headers;
  EXPECT_NE(page.headers.find("; Secure"), std::string::npos) << page.headers;

  const CurlResult metrics = curl(rig.dir, rig.url("/metrics"), rig.trust());
  ASSERT_EQ(metrics.exit_code, 0);
  EXPECT_NE(metrics.body.find("lifeline_up 1\n"), std::string::npos);
  // TLS 1.2 is the oldest version the server accepts: it answers 1.1 with an alert.
  EXPECT_EQ(curl(rig.dir, rig.url("/"), rig.trust() + " --tlsv1.1 --tls-max 1.1").exit_code, 35);
  // Without the test's certificate as trust anchor curl refuses: it really is that one.
  EXPECT_EQ(curl(rig.dir, rig.url("/")).exit_code, 60);
  rig.stop();
}

TEST(RescueTlsHost, PlainHttpOnTheHttpsPortGetsNoPage) {
  if (!have("/usr/bin/openssl") || !have("/usr/bin/curl")) GTEST_SKIP() << "openssl/curl missing";
  TlsRig rig;
  ASSERT_TRUE(rig.start()) << rig.agent->output();
  // Every listen address is HTTPS only: a plain request gets no HTTP answer at all, so no
  // page, cookie or password ever travels unencrypted.
  const HttpReply plain = http(rig.port, {}, std::chrono::seconds(5));
  EXPECT_EQ(plain.status, 0);
  EXPECT_NE(curl(rig.dir, "http://127.0.0.1:" + std::to_string(rig.port) + "/").exit_code, 0);
  EXPECT_EQ(curl(rig.dir, rig.url("/api/v1/status"), rig.trust()).exit_code, 0);
  rig.stop();
}

TEST(RescueTlsHost, GarbageHandshakesLeaveTheServerAnswering) {
  if (!have("/usr/bin/openssl") || !have("/usr/bin/curl")) GTEST_SKIP() << "openssl/curl missing";
  TlsRig rig;
  ASSERT_TRUE(rig.start()) << rig.agent->output();
  std::mt19937 random(9);
  for (int i = 0; i < 150; ++i) {
    std::string bytes;
    if (i % 3 == 0) {
      // A TLS record header announcing a handshake, then random or truncated content.
      bytes = std::string("\x16\x03\x01", 3) + static_cast<char>(random() % 256) +
              static_cast<char>(random() % 256) + "\x01";
    }
    const std::size_t length = random() % 600;
    for (std::size_t k = 0; k < length; ++k) bytes += static_cast<char>(random() % 256);
    const int fd = connect_loopback(rig.port);
    ASSERT_GE(fd, 0) << "connection " << i << " refused: " << rig.agent->output();
    if (!bytes.empty()) send_all(fd, bytes);
    if (i % 2 == 0) (void)read_to_close(fd, std::chrono::milliseconds(500));
    ::close(fd);
  }
  EXPECT_FALSE(rig.agent->wait_exit(std::chrono::milliseconds(0)).has_value());
  const CurlResult page = curl(rig.dir, rig.url("/"), rig.trust());
  EXPECT_EQ(page.exit_code, 0) << read_file(rig.dir.file("curl.err"));
  EXPECT_NE(page.body.find("<span id=\"state\">"), std::string::npos);
  rig.stop();
}

TEST(RescueTlsHost, AMissingCertificateLeavesThePageUnavailableAndLifelineRunning) {
  if (!have("/usr/bin/openssl")) GTEST_SKIP() << "openssl missing";
  TlsRig rig;
  EXPECT_FALSE(rig.start(rig.dir.file("no-such.pem")));
  EXPECT_TRUE(rig.agent->wait_for_output("rescue_page_unavailable", std::chrono::seconds(10)))
      << rig.agent->output();
  EXPECT_FALSE(rig.agent->wait_exit(std::chrono::milliseconds(500)).has_value());
  rig.stop();
}

// The standalone reproducer (tests/host/tools/civetweb_tls_repro.c) in the background.
struct Repro {
  pid_t pid = -1;
  std::string output_path;
  Repro(const TempDir& dir, std::vector<std::string> shims) : output_path(dir.file("repro.out")) {
    std::vector<std::string> args{CIVETWEB_TLS_REPRO_BINARY, dir.file("server.pem")};
    args.insert(args.end(), shims.begin(), shims.end());
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Repro() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  [[nodiscard]] std::string output() const { return read_file(output_path); }
  int port() const {
    const std::string marker = "serving https://127.0.0.1:";
    if (!eventually([&] { return output().find(marker) != std::string::npos; }, 10s)) return 0;
    const std::string out = output();
    return std::stoi(out.substr(out.find(marker) + marker.size()));
  }
  // True when the process ended (any way) within `timeout`; `clean` says whether with 0.
  bool ended(std::chrono::milliseconds timeout, bool& clean) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        return true;
      }
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
};

TEST(RescueTlsHost, DebiansCivetWebDiesOnHttpsWithOpenSsl3AndTheShimsFixIt) {
  if (!have("/usr/bin/openssl") || !have("/usr/bin/curl")) GTEST_SKIP() << "openssl/curl missing";
  TempDir dir;
  ASSERT_TRUE(make_certificate(dir));
  const std::string trust = "--cacert " + dir.file("cert.pem");
  {
    Repro alone(dir, {});
    const int port = alone.port();
    ASSERT_GT(port, 0) << alone.output();
    const std::string before = alone.output();
    EXPECT_NE(before.find("libssl.so.3 exports SSL_get_peer_certificate: no"), std::string::npos);
    // CivetWeb itself says TLS failed, and still starts on the https port...
    EXPECT_NE(before.find("TLS NOT initialised"), std::string::npos) << before;
    // ...and the first HTTPS request kills the whole process (a null function pointer).
    EXPECT_NE(curl(dir, "https://127.0.0.1:" + std::to_string(port) + "/", trust).exit_code, 0);
    bool clean = true;
    EXPECT_TRUE(alone.ended(10s, clean)) << "If this fails, CivetWeb was fixed: revisit "
                                            "src/rescue/civetweb_tls.hpp\n"
                                         << alone.output();
    EXPECT_FALSE(clean) << alone.output();
  }
  {
    Repro shimmed(dir, {TLS_SHIM_LIBCRYPTO, TLS_SHIM_LIBSSL});
    const int port = shimmed.port();
    ASSERT_GT(port, 0) << shimmed.output();
    EXPECT_NE(shimmed.output().find("TLS initialised"), std::string::npos) << shimmed.output();
    for (int i = 0; i < 3; ++i) {
      const CurlResult reply = curl(dir, "https://127.0.0.1:" + std::to_string(port) + "/", trust);
      EXPECT_EQ(reply.exit_code, 0) << read_file(dir.file("curl.err"));
      EXPECT_EQ(reply.body, "ok\n");
    }
    bool clean = false;
    EXPECT_FALSE(shimmed.ended(0ms, clean)) << shimmed.output();
  }
}

}  // namespace
}  // namespace lifeline::test
