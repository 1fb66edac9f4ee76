#include "support/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace lifeline::test {

namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "lifeline-host-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

void touch(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) {
    ::futimens(fd, nullptr);
    ::close(fd);
  }
}

bool eventually(const std::function<bool()>& predicate, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return predicate();
}

namespace {

pid_t spawn(const std::vector<std::string>& args, const std::string& out_path,
            const std::string& err_path, const std::vector<std::string>& env = {}) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  for (const auto& entry : env) ::putenv(const_cast<char*>(entry.c_str()));
  const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ::dup2(out, STDOUT_FILENO);
  ::dup2(err, STDERR_FILENO);
  const int null = ::open("/dev/null", O_RDONLY);
  ::dup2(null, STDIN_FILENO);
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

std::optional<int> wait_child(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    if (done < 0 || std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
}

}  // namespace

CliResult run_cli(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  TempDir scratch;
  std::vector<std::string> full{LIFELINE_BINARY};
  full.insert(full.end(), args.begin(), args.end());
  const pid_t pid = spawn(full, scratch.file("out"), scratch.file("err"));
  CliResult result;
  if (auto code = wait_child(pid, timeout)) {
    result.exit_code = *code;
  } else {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    result.exit_code = -SIGKILL;
  }
  result.out = read_file(scratch.file("out"));
  result.err = read_file(scratch.file("err"));
  return result;
}

AgentProcess::AgentProcess(std::string config_path, std::string output_path)
    : config_path_(std::move(config_path)), output_path_(std::move(output_path)) {}

AgentProcess::~AgentProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void AgentProcess::start() {
  pid_ = spawn({LIFELINE_BINARY, "run", "--config", config_path_, "--console"}, output_path_,
               output_path_ + ".err", env_);
}

void AgentProcess::signal(int signo) const {
  ::kill(pid_, signo);
}

std::optional<int> AgentProcess::wait_exit(std::chrono::milliseconds timeout) {
  auto code = wait_child(pid_, timeout);
  if (code) pid_ = -1;
  return code;
}

bool AgentProcess::wait_for_output(const std::string& needle,
                                   std::chrono::milliseconds timeout) const {
  return eventually([&] { return output().find(needle) != std::string::npos; }, timeout);
}

std::string AgentProcess::output() const {
  return read_file(output_path_) + read_file(output_path_ + ".err");
}

std::string write_sim_config(const TempDir& dir, const std::string& extra,
                             const std::string& name) {
  std::ostringstream config;
  config << "[agent]\n"
         << "board = \"" << LIFELINE_SOURCE_DIR << "/board/sim.toml\"\n"
         << "state_dir = \"" << dir.file("state") << "\"\n"
         << "control_socket = \"" << dir.file("control.sock") << "\"\n"
         << extra;
  const std::string path = dir.file(name);
  write_file(path, config.str());
  return path;
}

std::vector<SimWatchdogEntry> read_sim_watchdog_log(const TempDir& dir) {
  std::vector<SimWatchdogEntry> entries;
  std::istringstream in(read_file(dir.file("state/sim/watchdog.log")));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    SimWatchdogEntry entry;
    fields >> entry.monotonic_ns >> entry.what;
    if (!(fields >> entry.value)) entry.value = -1;
    entries.push_back(entry);
  }
  return entries;
}

std::size_t count_entries(const std::vector<SimWatchdogEntry>& log, const std::string& what) {
  std::size_t n = 0;
  for (const auto& entry : log) n += entry.what == what ? 1U : 0U;
  return n;
}

bool start_and_wait_for_first_pet(AgentProcess& agent, const TempDir& dir) {
  const auto before = count_entries(read_sim_watchdog_log(dir), "pet");
  agent.start();
  return eventually([&] { return count_entries(read_sim_watchdog_log(dir), "pet") > before; }, 10s);
}

}  // namespace lifeline::test
