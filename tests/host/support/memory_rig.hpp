// Real memory cgroups and real memory hogs for the memory guard's host tests.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lifeline::test {

// A memory cgroup the test creates (v2 where the unified hierarchy has the memory
// controller, else v1's memory hierarchy), removed again by the destructor after
// SIGKILLing whatever the test left in it (only the test's own processes are ever put there).
class TestCgroup {
 public:
  // nullopt with the reason in `why` when neither hierarchy can be used here.
  static std::optional<TestCgroup> create(std::uint64_t limit_bytes, std::string& why);
  // At `path` below the mount ("/user.slice/.../x.service"), making the ancestors that
  // are missing (and removing those again when it goes).
  static std::optional<TestCgroup> create_at(const std::string& path, std::uint64_t limit_bytes,
                                             std::string& why);
  TestCgroup(TestCgroup&& other) noexcept;
  TestCgroup& operator=(TestCgroup&&) = delete;
  ~TestCgroup();
  [[nodiscard]] const std::string& dir() const { return dir_; }    // absolute directory
  [[nodiscard]] const std::string& path() const { return path_; }  // below the mount
  [[nodiscard]] std::uint64_t usage() const;

 private:
  TestCgroup(std::string dir, std::string path, std::vector<std::string> made_parents)
      : dir_(std::move(dir)), path_(std::move(path)), made_parents_(std::move(made_parents)) {}
  std::string dir_;
  std::string path_;
  std::vector<std::string> made_parents_;  // ancestors this test made, outermost first
};

// tests/host/tools/memory_hog, started and waited for until it holds its first block.
class Hog {
 public:
  Hog(const std::string& cgroup_dir, const std::string& name, long hold_mib, double rate_mib_s,
      long max_mib = 1 << 20);
  ~Hog();
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] bool ready() const { return ready_; }
  // The signal that ended it (reaped), or nullopt while it still runs after `timeout`.
  std::optional<int> wait_killed(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  bool ready_ = false;
  bool reaped_ = false;
};

// `lifeline events --json` for `config`, parsed.
nlohmann::json read_events(const std::string& config);
// `lifeline status --json` for `config`: the agent's status object, or an empty object
// when the agent did not answer.
nlohmann::json agent_status(const std::string& config);
// The domain `name` from `lifeline status --json` for `config`; null when absent.
nlohmann::json memory_domain_status(const std::string& config, const std::string& name);
// Index of the first event of `kind` whose field `key` is `value` ("" = any); -1 if none.
int find_event(const nlohmann::json& events, const std::string& kind, const std::string& key = "",
               const std::string& value = "");

}  // namespace lifeline::test
