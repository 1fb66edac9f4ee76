#include "motion/unit_state.hpp"

#include <csignal>
#include <cstring>

namespace lifeline::motion {

namespace {

// "KILL", "SEGV", "RTMIN+3"; empty for a number that is no signal. sigabbrev_np (glibc
// 2.32+) is the thread-safe lookup; it has no names for the real-time range.
std::string signal_name(std::int32_t signo) {
  if (signo >= SIGRTMIN && signo <= SIGRTMAX) {
    return signo == SIGRTMIN ? "RTMIN" : "RTMIN+" + std::to_string(signo - SIGRTMIN);
  }
  if (signo <= 0 || signo >= NSIG) return {};
  const char* name = ::sigabbrev_np(signo);
  return name == nullptr ? std::string() : std::string(name);
}

std::string with_signal_name(std::int32_t signo) {
  const std::string name = signal_name(signo);
  return name.empty() ? std::to_string(signo) : std::to_string(signo) + " (" + name + ")";
}

// Values from the bus end up in log lines: keep them to one printable line.
std::string printable(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7F) c = '?';
  }
  return out;
}

bool entered(const std::string& before, const std::string& after, std::string_view state) {
  return after == state && before != state;
}

}  // namespace

std::string_view unit_change_name(UnitChange change) {
  switch (change) {
    case UnitChange::main_pid_changed:
      return "main_pid_changed";
    case UnitChange::became_failed:
      return "became_failed";
    case UnitChange::became_active:
      return "became_active";
    case UnitChange::stopping:
      return "stopping";
    case UnitChange::restarted:
      return "restarted";
  }
  return "unknown";
}

std::vector<UnitChange> diff_unit_state(const UnitState& before, const UnitState& after) {
  std::vector<UnitChange> changes;
  if (before.main_pid != after.main_pid) changes.push_back(UnitChange::main_pid_changed);
  if (entered(before.active_state, after.active_state, "failed")) {
    changes.push_back(UnitChange::became_failed);
  }
  if (entered(before.active_state, after.active_state, "active")) {
    changes.push_back(UnitChange::became_active);
  }
  if (entered(before.active_state, after.active_state, "deactivating")) {
    changes.push_back(UnitChange::stopping);
  }
  // Only an increase: a manual start resets the counter, which is not a restart.
  if (after.n_restarts > before.n_restarts) changes.push_back(UnitChange::restarted);
  return changes;
}

std::string describe_exit(std::int32_t code, std::int32_t status) {
  switch (code) {
    case 0:
      return "no exit recorded";
    case CLD_EXITED:
      return "exited with status " + std::to_string(status);
    case CLD_KILLED:
      return "killed by signal " + with_signal_name(status);
    case CLD_DUMPED:
      return "dumped core on signal " + with_signal_name(status);
    default:
      return "ended with code " + std::to_string(code) + ", status " + std::to_string(status);
  }
}

std::string systemd_exit_text(std::int32_t code, std::int32_t status) {
  std::string_view name;
  switch (code) {
    case CLD_EXITED:
      name = "exited";
      break;
    case CLD_KILLED:
      name = "killed";
      break;
    case CLD_DUMPED:
      name = "dumped";
      break;
    default:
      break;
  }
  if (name.empty()) return "code=" + std::to_string(code) + ", status=" + std::to_string(status);
  std::string text = "code=" + std::string(name) + ", status=" + std::to_string(status);
  // systemctl adds names to exit statuses too (203/EXEC); lifeline keeps the number,
  // which is what the unit's own exit codes mean.
  if (code != CLD_EXITED) {
    const std::string signame = signal_name(status);
    if (!signame.empty()) text += "/" + signame;
  }
  return text;
}

std::string describe_unit_state(const UnitState& state) {
  std::string line = printable(state.active_state) + "/" + printable(state.sub_state);
  if (!state.result.empty()) line += " result=" + printable(state.result);
  line += " pid=" + std::to_string(state.main_pid);
  line += " restarts=" + std::to_string(state.n_restarts);
  if (state.exec_main_code != 0) {
    line += " (" + describe_exit(state.exec_main_code, state.exec_main_status) + ")";
  }
  return line;
}

std::string unit_object_path(std::string_view unit) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string path(kUnitPathPrefix);
  if (unit.empty()) return path + "_";
  path.reserve(path.size() + unit.size() * 3);
  for (std::size_t i = 0; i < unit.size(); ++i) {
    const char c = unit[i];
    const bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    const bool digit = c >= '0' && c <= '9';
    if (letter || (digit && i > 0)) {
      path += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      path += '_';
      path += kHex[byte >> 4];
      path += kHex[byte & 0x0F];
    }
  }
  return path;
}

}  // namespace lifeline::motion
