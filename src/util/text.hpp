// Text shared by everything that writes a line from outside data (config files, events,
// process names): control characters become visible escapes, so nothing can split or
// forge a log line.
#pragma once

#include <string>

namespace lifeline {

// Appends `c`, or "\n", "\t", "\r", "\xNN" for control characters and DEL.
void append_escaped_char(std::string& out, char c);

}  // namespace lifeline
