#include "support/motion_rig.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <stdexcept>

namespace lifeline::test {

MotorPort::MotorPort(std::string link_path) : link_(std::move(link_path)) {
  plug();
}

MotorPort::~MotorPort() {
  unplug();
  std::error_code ec;
  std::filesystem::remove(link_, ec);
}

void MotorPort::plug() {
  master_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master_ < 0 || ::grantpt(master_) != 0 || ::unlockpt(master_) != 0) {
    throw std::runtime_error("cannot create a pseudo-terminal");
  }
  termios mode{};
  ::tcgetattr(master_, &mode);
  ::cfmakeraw(&mode);
  ::tcsetattr(master_, TCSANOW, &mode);
  const std::string slave = ::ptsname(master_);
  std::error_code ec;
  std::filesystem::remove(link_, ec);
  std::filesystem::create_symlink(slave, link_);
}

void MotorPort::unplug() {
  if (master_ >= 0) ::close(master_);
  master_ = -1;
}

std::vector<std::uint8_t> MotorPort::read(std::size_t count, std::chrono::milliseconds timeout) {
  std::vector<std::uint8_t> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < count) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd waiter{master_, POLLIN, 0};
    if (::poll(&waiter, 1, static_cast<int>(left.count())) <= 0) break;
    std::uint8_t buffer[256];
    const ssize_t n = ::read(master_, buffer, std::min(sizeof buffer, count - out.size()));
    if (n <= 0) break;
    out.insert(out.end(), buffer, buffer + n);
  }
  return out;
}

std::vector<std::uint8_t> MotorPort::read_until(const std::vector<std::uint8_t>& pattern,
                                                std::chrono::milliseconds timeout) {
  std::vector<std::uint8_t> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!contains(out, pattern) && std::chrono::steady_clock::now() < deadline) {
    auto chunk = read(1, std::chrono::duration_cast<std::chrono::milliseconds>(
                             deadline - std::chrono::steady_clock::now()));
    out.insert(out.end(), chunk.begin(), chunk.end());
  }
  return out;
}

void MotorPort::drain() {
  while (!read(256, std::chrono::milliseconds(20)).empty()) {
  }
}

FakeApp::FakeApp(std::string pidfile, std::vector<std::string> argv)
    : pidfile_(std::move(pidfile)), argv_(std::move(argv)) {}

FakeApp::~FakeApp() {
  if (pid_ > 0) kill(SIGKILL);
}

void FakeApp::start() {
  pid_ = ::fork();
  if (pid_ == 0) {
    const int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 1);
    std::vector<char*> args;
    for (auto& a : argv_) args.push_back(a.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  write_file(pidfile_, std::to_string(pid_) + "\n");
}

void FakeApp::kill(int signo) {
  if (pid_ <= 0) return;
  ::kill(pid_, signo);
  if (signo == SIGSTOP || signo == SIGCONT) return;
  if (signo != SIGKILL) ::kill(pid_, SIGCONT);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

int sim_line_value(const TempDir& dir, const std::string& role) {
  const auto text = read_file(dir.file("state/sim/lines/" + role));
  return text.empty() ? -1 : text[0] - '0';
}

std::vector<std::pair<long long, int>> sim_line_edges(const TempDir& dir, const std::string& role) {
  std::vector<std::pair<long long, int>> edges;
  std::istringstream in(read_file(dir.file("state/sim/lines/" + role + ".log")));
  long long ns = 0;
  int value = 0;
  while (in >> ns >> value) edges.emplace_back(ns, value);
  return edges;
}

bool contains(const std::vector<std::uint8_t>& haystack, const std::vector<std::uint8_t>& needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
         haystack.end();
}

long long monotonic_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string write_absent_linux_board(const TempDir& dir) {
  write_file(dir.file("board.toml"),
             "description = \"linux board without GPIO\"\nhal = \"linux\"\n"
             "[watchdog]\ndevice = \"" +
                 dir.file("no-watchdog") +
                 "\"\nmax_timeout_s = 15\n"
                 "[motor_enable]\nchip = \"lifeline-test-no-such-chip\"\nline = 22\n"
                 "[motor_serial]\ndevice = \"" +
                 dir.file("motor-serial") + "\"\nbaud = 115200\n");
  return dir.file("board.toml");
}

}  // namespace lifeline::test
