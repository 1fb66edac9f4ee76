// Helpers shared by the config and board loader tests.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "board/board_loader.hpp"
#include "config/loader.hpp"

namespace lifeline::test {

inline const std::string kFile = "/etc/lifeline/lifeline.toml";

inline constexpr std::string_view kTestBoard = R"(description = "test board"
hal = "sim"
[watchdog]
device = "sim"
max_timeout_s = 15
)";

// Records what it was asked for and returns a fixed sim board (max_timeout_s = 15).
struct FakeResolver {
  std::string ref;
  std::string dir;
  BoardResolver get() {
    return [this](const std::string& r, const std::string& d) -> Expected<Board> {
      ref = r;
      dir = d;
      return parse_board(kTestBoard, "/boards/test.toml");
    };
  }
};

// A scratch directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "lifeline-cfg-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) != nullptr ? pattern : std::string();
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }
  std::string write(const std::string& name, std::string_view content) const {
    const std::string file = path_ + "/" + name;
    std::filesystem::create_directories(std::filesystem::path(file).parent_path());
    std::ofstream(file) << content;
    return file;
  }

 private:
  std::string path_;
};

// Sets an environment variable for one test and restores it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    const char* old = std::getenv(name);  // NOLINT(concurrency-mt-unsafe)
    had_ = old != nullptr;
    if (had_) old_ = old;
    ::setenv(name, value.c_str(), 1);  // NOLINT(concurrency-mt-unsafe)
  }
  ~ScopedEnv() {
    if (had_) {
      ::setenv(name_, old_.c_str(), 1);  // NOLINT(concurrency-mt-unsafe)
    } else {
      ::unsetenv(name_);  // NOLINT(concurrency-mt-unsafe)
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  bool had_ = false;
  std::string old_;
};

// Every setting (not the board or the bookkeeping) of two configs is the same.
inline void expect_same_settings(const Config& a, const Config& b) {
  EXPECT_EQ(a.agent.board, b.agent.board);
  EXPECT_EQ(a.agent.state_dir, b.agent.state_dir);
  EXPECT_EQ(a.agent.control_socket, b.agent.control_socket);
  EXPECT_EQ(a.agent.loop_deadline, b.agent.loop_deadline);
  EXPECT_EQ(a.agent.realtime_priority, b.agent.realtime_priority);
  EXPECT_EQ(a.watchdog.enabled, b.watchdog.enabled);
  EXPECT_EQ(a.watchdog.device, b.watchdog.device);
  EXPECT_EQ(a.watchdog.timeout, b.watchdog.timeout);
  EXPECT_EQ(a.watchdog.pet_interval, b.watchdog.pet_interval);
  EXPECT_EQ(a.watchdog.magic_close, b.watchdog.magic_close);
  EXPECT_EQ(a.lockout.max_resets, b.lockout.max_resets);
  EXPECT_EQ(a.lockout.window, b.lockout.window);
  ASSERT_EQ(a.health.file_checks.size(), b.health.file_checks.size());
  for (std::size_t i = 0; i < a.health.file_checks.size(); ++i) {
    EXPECT_EQ(a.health.file_checks[i].name, b.health.file_checks[i].name);
    EXPECT_EQ(a.health.file_checks[i].path, b.health.file_checks[i].path);
    EXPECT_EQ(a.health.file_checks[i].max_age, b.health.file_checks[i].max_age);
    EXPECT_EQ(a.health.file_checks[i].interval, b.health.file_checks[i].interval);
  }
  EXPECT_EQ(a.blackbox.segment_bytes, b.blackbox.segment_bytes);
  EXPECT_EQ(a.blackbox.segments, b.blackbox.segments);
}

inline Expected<Config> parse(std::string_view text) {
  FakeResolver resolver;
  return parse_config(text, kFile, resolver.get());
}

// The whole error report for `text`, which must be rejected.
inline std::string errors(std::string_view text) {
  auto result = parse(text);
  EXPECT_FALSE(result.ok()) << "accepted:\n" << text;
  return result.ok() ? std::string() : result.error().message;
}

}  // namespace lifeline::test
