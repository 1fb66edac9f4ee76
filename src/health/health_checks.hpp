// Pure judgements behind the health monitors: values in, pass/fail and a reason out.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace lifeline {

struct CheckResult {
  bool passing = false;
  std::string detail;
};

// A heartbeat file: `age` is now − mtime, or nullopt when the file is missing.
CheckResult judge_file_age(std::optional<std::chrono::milliseconds> age,
                           std::chrono::milliseconds max_age);

// The loop's own liveness: how late a periodic tick fired compared to its schedule.
CheckResult judge_loop_lateness(std::chrono::milliseconds lateness,
                                std::chrono::milliseconds deadline);

}  // namespace lifeline
