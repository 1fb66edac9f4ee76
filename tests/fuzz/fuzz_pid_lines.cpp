// Any bytes as cgroup.procs, fed to PidLines in pieces of any size: the PIDs found must be
// the same whatever the piece size (a line cut at a piece's end is carried over), and the
// same as splitting the whole text at its newlines and reading each line short enough to
// be a PID with parse_pid.
//
// Input: the first byte is the piece size (0 → 1); the rest is the text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "util/proc.hpp"

namespace {

std::vector<pid_t> split(std::string_view text, std::size_t piece) {
  std::vector<pid_t> pids;
  lifeline::PidLines lines;
  const auto visit = [&](pid_t pid) { pids.push_back(pid); };
  for (std::size_t at = 0; at < text.size(); at += piece) lines.feed(text.substr(at, piece), visit);
  lines.finish(visit);
  return pids;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t piece = data[0] == 0 ? 1 : data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::vector<pid_t> whole = split(text, text.size() + 1);
  if (split(text, piece) != whole) std::abort();
  std::vector<pid_t> expected;
  for (std::string_view rest = text; !rest.empty();) {
    const std::size_t nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    if (line.size() > 24) continue;  // PidLines' carry: longer is never a PID
    if (auto pid = lifeline::parse_pid(line)) expected.push_back(*pid);
  }
  if (whole != expected) std::abort();
  return 0;
}
