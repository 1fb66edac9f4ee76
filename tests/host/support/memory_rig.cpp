#include "support/memory_rig.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "support/process.hpp"

namespace lifeline::test {

namespace {

bool write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text << std::flush;
  return static_cast<bool>(out);
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string unique_name() {
  static std::atomic<int> counter{0};
  return "lifeline-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

}  // namespace

std::optional<TestCgroup> TestCgroup::create(std::uint64_t limit_bytes, std::string& why) {
  return create_at("/" + unique_name(), limit_bytes, why);
}

std::optional<TestCgroup> TestCgroup::create_at(const std::string& path, std::uint64_t limit_bytes,
                                                std::string& why) {
  // v2 first: the memory controller must be enabled in the root's subtree_control.
  const std::string v2 = "/sys/fs/cgroup";
  const std::string v1 = "/sys/fs/cgroup/memory";
  std::string mount;
  if (exists(v2 + "/cgroup.controllers") &&
      read_file(v2 + "/cgroup.subtree_control").find("memory") != std::string::npos) {
    mount = v2;
  } else if (exists(v1 + "/memory.limit_in_bytes")) {
    mount = v1;
  } else {
    why = "neither a v2 memory controller nor a v1 memory hierarchy is available";
    return std::nullopt;
  }
  // Each missing ancestor is made (and later removed) by this test; existing ones stay.
  std::vector<std::string> made;
  const auto undo = [&made] {
    for (auto it = made.rbegin(); it != made.rend(); ++it) ::rmdir(it->c_str());
  };
  std::string dir = mount;
  for (std::size_t at = 1; at <= path.size();) {
    std::size_t end = path.find('/', at);
    if (end == std::string::npos) end = path.size();
    if (mount == v2 && dir != mount) write_text(dir + "/cgroup.subtree_control", "+memory");
    dir += "/" + path.substr(at, end - at);
    at = end + 1;
    if (::mkdir(dir.c_str(), 0755) == 0) {
      made.push_back(dir);
    } else if (errno != EEXIST || end == path.size()) {
      why = "cannot create the memory cgroup " + dir + " (not root?)";
      undo();
      return std::nullopt;
    }
  }
  const bool limited =
      mount == v2 ? write_text(dir + "/memory.max", std::to_string(limit_bytes)) &&
                        write_text(dir + "/memory.swap.max", "0")
                  : write_text(dir + "/memory.limit_in_bytes", std::to_string(limit_bytes));
  if (!limited) {
    why = "cannot set the memory limit of " + dir;
    undo();
    return std::nullopt;
  }
  made.pop_back();  // the cgroup itself, which the destructor empties and removes first
  return TestCgroup(dir, path, std::move(made));
}

TestCgroup::TestCgroup(TestCgroup&& other) noexcept
    : dir_(std::move(other.dir_)),
      path_(std::move(other.path_)),
      made_parents_(std::move(other.made_parents_)) {
  other.dir_.clear();
}

TestCgroup::~TestCgroup() {
  if (dir_.empty()) return;
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::istringstream procs(read_file(dir_ + "/cgroup.procs"));
    bool any = false;
    for (pid_t pid = 0; procs >> pid;) {
      any = true;
      ::kill(pid, SIGKILL);  // only this test's own hogs are ever in here
    }
    if (!any && ::rmdir(dir_.c_str()) == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (auto it = made_parents_.rbegin(); it != made_parents_.rend(); ++it) ::rmdir(it->c_str());
}

std::uint64_t TestCgroup::usage() const {
  const bool v1 = dir_.find("/memory/") != std::string::npos;
  const std::string text = read_file(dir_ + (v1 ? "/memory.usage_in_bytes" : "/memory.current"));
  return text.empty() ? 0 : std::stoull(text);
}

Hog::Hog(const std::string& cgroup_dir, const std::string& name, long hold_mib, double rate_mib_s,
         long max_mib) {
  int out[2];
  if (::pipe(out) != 0) return;
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    const std::string hold = std::to_string(hold_mib);
    const std::string rate = std::to_string(rate_mib_s);
    const std::string max = std::to_string(max_mib);
    ::execl(MEMORY_HOG_BINARY, MEMORY_HOG_BINARY, "--cgroup", cgroup_dir.c_str(), "--name",
            name.c_str(), "--hold", hold.c_str(), "--rate", rate.c_str(), "--max", max.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  char buffer[64] = {};
  const ssize_t n = ::read(out[0], buffer, sizeof buffer - 1);  // "ready <pid>\n"
  ::close(out[0]);
  ready_ = n > 0 && std::string(buffer).starts_with("ready");
}

Hog::~Hog() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

std::optional<int> Hog::wait_killed(std::chrono::milliseconds timeout) {
  std::optional<int> signal;
  eventually(
      [&] {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
        reaped_ = true;
        signal = WIFSIGNALED(status) ? WTERMSIG(status) : -WEXITSTATUS(status);
        return true;
      },
      timeout);
  return signal;
}

nlohmann::json read_events(const std::string& config) {
  const auto result = run_cli({"events", "--config", config, "--json"});
  if (result.exit_code != 0) return nlohmann::json::array();
  return nlohmann::json::parse(result.out, nullptr, false);
}

nlohmann::json agent_status(const std::string& config) {
  const auto result = run_cli({"status", "--config", config, "--json"});
  auto json = nlohmann::json::parse(result.out, nullptr, false);
  if (result.exit_code != 0 || json.is_discarded() || !json.is_object()) {
    return nlohmann::json::object();
  }
  return json;
}

nlohmann::json memory_domain_status(const std::string& config, const std::string& name) {
  const nlohmann::json json = agent_status(config);
  if (!json.contains("memory")) return nullptr;
  for (const auto& domain : json["memory"]["domains"]) {
    if (domain.value("name", "") == name) return domain;
  }
  return nullptr;
}

int find_event(const nlohmann::json& events, const std::string& kind, const std::string& key,
               const std::string& value) {
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    if (e.value("kind", "") != kind) continue;
    if (key.empty()) return static_cast<int>(i);
    const auto fields = e.value("fields", nlohmann::json::object());
    if (fields.is_object() && fields.value(key, "") == value) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace lifeline::test
