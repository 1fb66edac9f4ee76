#include "exclusivity/unit_facts.hpp"

#include <array>
#include <cctype>

namespace lifeline::exclusivity {

namespace {

std::string_view file_name(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// "python3.11" -> "python3", "bash" -> "bash": a name without a trailing version.
std::string_view without_version(std::string_view name) {
  while (!name.empty() &&
         (std::isdigit(static_cast<unsigned char>(name.back())) != 0 || name.back() == '.')) {
    name.remove_suffix(1);
  }
  return name;
}

bool is_interpreter(std::string_view path) {
  static constexpr std::array<std::string_view, 7> kNames{"python", "sh",   "bash", "dash",
                                                          "node",   "perl", "ruby"};
  const std::string_view name = without_version(file_name(path));
  for (std::string_view known : kNames) {
    if (name == known) return true;
  }
  return false;
}

bool is_shell(std::string_view path) {
  const std::string_view name = file_name(path);
  return name == "sh" || name == "bash" || name == "dash";
}

// The first word of a shell command, after an optional "exec".
std::string first_word(std::string_view script) {
  std::vector<std::string> words;
  std::string word;
  for (char ch : script) {
    if (std::isspace(static_cast<unsigned char>(ch)) != 0) {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
      if (words.size() == 2) break;
    } else {
      word += ch;
    }
  }
  if (!word.empty() && words.size() < 2) words.push_back(std::move(word));
  if (!words.empty() && words[0] == "exec") words.erase(words.begin());
  return words.empty() ? std::string() : words[0];
}

// Programs started by `argv` from index `at` on, where argv[at - 1] was `runner`.
void follow(const std::vector<std::string>& argv, std::size_t at, std::string_view runner,
            std::vector<std::string>& out, int depth) {
  if (depth > 4) return;  // env env env ...: enough
  const bool env = file_name(runner) == "env";
  for (std::size_t i = at; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg.empty()) continue;
    if (is_shell(runner) && arg == "-c") {
      if (i + 1 < argv.size()) {
        std::string program = first_word(argv[i + 1]);
        if (!program.empty()) out.push_back(std::move(program));
      }
      return;
    }
    if (arg.front() == '-') continue;                         // an option
    if (env && arg.find('=') != std::string::npos) continue;  // VAR=value
    if (!env && arg.front() != '/' && arg.find('.') == std::string::npos &&
        arg.find('/') == std::string::npos) {
      return;  // an interpreter's first word that is no script (e.g. "python3 -m pkg")
    }
    out.push_back(arg);
    if (env && is_interpreter(arg)) follow(argv, i + 1, arg, out, depth + 1);
    return;
  }
}

}  // namespace

std::vector<std::string> exec_programs(const ExecCommand& command) {
  std::vector<std::string> out;
  if (!command.path.empty()) out.push_back(command.path);
  if (!command.argv.empty() && !command.argv[0].empty() && command.argv[0] != command.path) {
    out.push_back(command.argv[0]);
  }
  const std::string_view runner = command.path.empty() && !command.argv.empty()
                                      ? std::string_view(command.argv[0])
                                      : std::string_view(command.path);
  if (file_name(runner) == "env" || is_interpreter(runner)) follow(command.argv, 1, runner, out, 0);
  return out;
}

bool unit_runs_binary(const UnitFact& unit, const std::string& binary) {
  if (binary.empty()) return false;
  for (const ExecCommand& command : unit.exec_start) {
    for (const std::string& program : exec_programs(command)) {
      if (binary.front() == '/' ? program == binary : file_name(program) == binary) return true;
    }
  }
  return false;
}

bool unit_active(const UnitFact& unit) {
  return unit.active_state == "active" || unit.active_state == "activating" ||
         unit.active_state == "reloading";
}

std::string boot_reason(const UnitFact& unit) {
  const bool preset_enabled = unit.unit_file_preset == "enabled";
  if (unit.unit_file_state == "enabled") return preset_enabled ? "enabled by preset" : "enabled";
  if (unit.unit_file_state == "enabled-runtime") return "enabled-runtime";
  if (unit.unit_file_state == "disabled" && preset_enabled) return "preset would enable";
  return "";
}

bool masked(std::string_view unit_file_state) {
  return unit_file_state == "masked" || unit_file_state == "masked-runtime";
}

}  // namespace lifeline::exclusivity
