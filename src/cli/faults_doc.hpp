// `lifeline faults [--markdown]`: every fault of the fault table for a person, and the
// Markdown page docs/faults.md (checked against this output by a unit test).
#pragma once

#include <string>

#include "fault/fault.hpp"

namespace lifeline::cli {

// "1 long, 3 short".
std::string blink_text(BlinkCode blink);

// docs/faults.md: an intro and one table row per fault, in table order.
std::string render_faults_markdown();
// The buzzer column: "none" or the onset's beeps, e.g. "3 beeps: 100+100+100 ms".
std::string buzzer_text(Fault fault);

// The same rows as plain text for a terminal.
std::string render_faults_text();

// Prints one of the two on stdout; returns the exit code: 0, or 1 if stdout failed.
int print_faults(bool markdown);

}  // namespace lifeline::cli
