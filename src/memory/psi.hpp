// Pressure stall information: /proc/pressure/memory and a cgroup's memory.pressure.
//
// Format and trigger rules from the kernel's Documentation/accounting/psi.rst
// ("Pressure interface" and "Monitoring for pressure thresholds"). Not wired into the
// agent yet (see docs/memory-guard.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lifeline/expected.hpp"

namespace lifeline::memory {

// One "some|full avg10=.. avg60=.. avg300=.. total=.." line: the share of wall time (in
// percent, 0..100) that tasks stalled, averaged over 10/60/300 s, and the total stall in us.
struct PsiLine {
  double avg10 = 0;
  double avg60 = 0;
  double avg300 = 0;
  std::uint64_t total_us = 0;
};

struct Psi {
  PsiLine some;
  std::optional<PsiLine> full;  // absent from system-wide cpu pressure before 5.13
};

// Parses the whole file. "some" is required, "full" optional, anything else is an error.
Expected<Psi> parse_psi(std::string_view text);

// The kernel's limits on a trigger's window: 500 ms minimum, 10 s maximum (psi.rst,
// "Monitoring for pressure thresholds", and the psi monitor patch that added triggers).
// The stall must be positive and no longer than the window.
inline constexpr std::chrono::microseconds kPsiMinWindow{500'000};
inline constexpr std::chrono::microseconds kPsiMaxWindow{10'000'000};

// The text of a trigger, "<some|full> <stall us> <window us>", for writing to an open
// pressure file that is then polled for POLLPRI. Write text.size() + 1 bytes from c_str():
// the kernel treats the last byte written as the terminator (psi.rst's userspace example
// writes the terminating NUL). Unprivileged writers on 6.5+ also need a window that is a multiple
// of 2 s; that is not checked here.
Expected<std::string> format_psi_trigger(bool full, std::chrono::microseconds stall,
                                         std::chrono::microseconds window);

}  // namespace lifeline::memory
