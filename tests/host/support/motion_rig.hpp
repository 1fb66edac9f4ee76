// Host-test rig for the motor dead-man: a real pseudo-terminal standing in for the motor
// controller's UART (the test reads the master side), a real child process standing in
// for the control app (its PID in a pidfile), and the sim board's motor_enable line.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace lifeline::test {

// A pty whose slave is reached through a symlink, so a test can "unplug" it (close the
// master) and "plug in" a new one at the same path.
class MotorPort {
 public:
  explicit MotorPort(std::string link_path);
  ~MotorPort();
  void unplug();
  void plug();
  // Reads whatever arrived until `count` bytes or `timeout`.
  std::vector<std::uint8_t> read(std::size_t count, std::chrono::milliseconds timeout);
  // Reads until `pattern` has been seen or `timeout`; returns everything read.
  std::vector<std::uint8_t> read_until(const std::vector<std::uint8_t>& pattern,
                                       std::chrono::milliseconds timeout);
  void drain();
  [[nodiscard]] const std::string& link() const { return link_; }
  [[nodiscard]] int master_fd() const { return master_; }

 private:
  std::string link_;
  int master_ = -1;
};

// A child process (`/bin/sleep 100000` unless told otherwise) with its PID in a pidfile.
class FakeApp {
 public:
  FakeApp(std::string pidfile, std::vector<std::string> argv = {"/bin/sleep", "100000"});
  ~FakeApp();
  void start();
  void kill(int signo);  // and reap it, unless SIGSTOP/SIGCONT
  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  std::string pidfile_;
  std::vector<std::string> argv_;
  pid_t pid_ = -1;
};

// The sim board's current value of a line ("0"/"1") and its edges (monotonic ns, value).
int sim_line_value(const TempDir& dir, const std::string& role);
std::vector<std::pair<long long, int>> sim_line_edges(const TempDir& dir, const std::string& role);

// A Linux-HAL board with what this machine lacks: a watchdog at DIR/no-watchdog, the motor
// enable line on a GPIO chip that does not exist, the motor port at DIR/motor-serial (a
// MotorPort's link). Returns its path (DIR/board.toml).
std::string write_absent_linux_board(const TempDir& dir);

bool contains(const std::vector<std::uint8_t>& haystack, const std::vector<std::uint8_t>& needle);
long long monotonic_now_ns();

}  // namespace lifeline::test
