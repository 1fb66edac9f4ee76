// Host-test support: run the real lifeline binary (and its CLI) as a child process in a
// private temp directory, read what it printed and what the sim board recorded.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace lifeline::test {

using namespace std::chrono_literals;

// A fresh directory, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct CliResult {
  int exit_code = -1;  // negative: killed by that signal
  std::string out;
  std::string err;
};

// Runs `lifeline ARGS...` to completion (killed after `timeout`).
CliResult run_cli(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 10s);

// `lifeline run --config CONFIG --console` in the background; stdout and stderr go to a
// file the test reads. The destructor SIGKILLs it (by PID) if the test did not stop it.
class AgentProcess {
 public:
  AgentProcess(std::string config_path, std::string output_path);
  ~AgentProcess();
  void start();
  // Extra NAME=VALUE environment for the agent (set before start()).
  void set_env(std::vector<std::string> env) { env_ = std::move(env); }
  [[nodiscard]] pid_t pid() const { return pid_; }
  void signal(int signo) const;
  // The exit code, or −signal; nullopt if still running after `timeout`.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  // Polls the output until it contains `needle`.
  bool wait_for_output(const std::string& needle, std::chrono::milliseconds timeout) const;
  [[nodiscard]] std::string output() const;

 private:
  std::string config_path_;
  std::string output_path_;
  std::vector<std::string> env_;
  pid_t pid_ = -1;
};

// Polls `predicate` every 10 ms until true or `timeout`.
bool eventually(const std::function<bool()>& predicate, std::chrono::milliseconds timeout);

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& content);
void touch(const std::string& path);

// A config for the sim board with state under `dir`, plus `extra` TOML appended
// (sections the test wants). Returns its path.
std::string write_sim_config(const TempDir& dir, const std::string& extra,
                             const std::string& name = "lifeline.toml");

struct SimWatchdogEntry {
  long long monotonic_ns = 0;
  std::string what;  // open, timeout, pet, magic_close, close_armed, simulated_reset
  long long value = -1;
};
std::vector<SimWatchdogEntry> read_sim_watchdog_log(const TempDir& dir);
std::size_t count_entries(const std::vector<SimWatchdogEntry>& log, const std::string& what);

// Starts `agent` and waits until it has petted the sim watchdog once: by then its start-up
// (reset history, lockout decision) is complete and on disk.
bool start_and_wait_for_first_pet(class AgentProcess& agent, const TempDir& dir);

}  // namespace lifeline::test
