// The unit-file checks: duplicate services (2025-10-23/24/25) and the app unit's restart
// and memory policy (2025-10-24, 2025-11-28).
#include <algorithm>
#include <cstddef>
#include <map>
#include <set>
#include <sstream>

#include "doctor/checks.hpp"

namespace lifeline::doctor {
namespace {

// Whitespace-separated words, with "..." and '...' quoting (systemd.service(5) command
// lines); never fails: an unterminated quote runs to the end.
std::vector<std::string> split_words(std::string_view line) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) break;
    std::string word;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') {
      const char c = line[i++];
      if (c == '"' || c == '\'') {
        while (i < line.size() && line[i] != c) word.push_back(line[i++]);
        if (i < line.size()) ++i;
      } else {
        word.push_back(c);
      }
    }
    words.push_back(std::move(word));
  }
  return words;
}

std::string base_name(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// "python3.11" and "python" are one interpreter, as are sh, bash and dash.
std::string interpreter(const std::string& program) {
  if (program.starts_with("python")) return "python";
  if (program == "sh" || program == "bash" || program == "dash") return "sh";
  if (program == "node" || program == "nodejs") return "node";
  if (program == "perl" || program == "ruby" || program == "php") return program;
  return {};
}

// The first word that names the program, after "exec", "nohup", "setsid" and VAR=value.
std::size_t command_start(const std::vector<std::string>& words) {
  std::size_t start = 0;
  while (start < words.size() &&
         (words[start] == "exec" || words[start] == "nohup" || words[start] == "setsid" ||
          (words[start].find('=') != std::string::npos && !words[start].starts_with("/")))) {
    ++start;
  }
  return start;
}

std::string key_for(const std::vector<std::string>& words, std::size_t start, int depth) {
  if (start >= words.size()) return {};
  const std::string program = base_name(words[start]);
  if (program == "env" && depth < 2) {
    std::size_t next = start + 1;
    while (next < words.size() &&
           (words[next].starts_with("-") || words[next].find('=') != std::string::npos)) {
      ++next;
    }
    return key_for(words, next, depth + 1);
  }
  const std::string language = interpreter(program);
  if (language.empty()) return program;
  for (std::size_t i = start + 1; i < words.size(); ++i) {
    const std::string& arg = words[i];
    if ((arg == "-m" || arg == "-c") && i + 1 < words.size()) {
      if (arg == "-c" && depth < 2) {
        const std::vector<std::string> inner = split_words(words[i + 1]);
        return key_for(inner, command_start(inner), depth + 1);
      }
      return language + " -m " + words[i + 1];
    }
    if (!arg.starts_with("-")) return language + " " + arg;
  }
  return language;
}

bool is_shell_script(const std::string& text) {
  const std::string first = text.substr(0, text.find('\n'));
  return first.starts_with("#!") && (first.find("sh") != std::string::npos);
}

// The programs a wrapper script starts: lines whose command has a path or is an
// interpreter, after "exec"/"nohup"/"setsid" and VAR=value words.
void script_keys(const std::string& text, std::set<std::string>& keys) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> words;
    for (std::string& word : split_words(line)) {
      if (word.starts_with("#") || word == "&" || word == "&&" || word == ";" || word == "|" ||
          word == "||" || word.find_first_of("<>") != std::string::npos) {
        break;
      }
      while (!word.empty() && (word.back() == '&' || word.back() == ';')) word.pop_back();
      if (!word.empty()) words.push_back(std::move(word));
    }
    const std::size_t start = command_start(words);
    if (start >= words.size()) continue;
    const std::string& command = words[start];
    if (command.find('/') == std::string::npos && interpreter(command).empty()) continue;
    const std::string key = key_for(words, start, 0);
    if (!key.empty()) keys.insert(key);
  }
}

std::string enablement_text(const Enablement& how) {
  if (how.linked()) return "enabled (" + how.links.front() + "/)";
  return "disabled, but enabled again by preset (" + how.preset + ")";
}

Finding duplicate_finding(const std::vector<std::string>& keys, const std::set<std::string>& units,
                          const std::map<std::string, Enablement>& enabled,
                          const std::map<std::string, std::string>& exec_of,
                          const std::map<std::string, std::string>& path_of,
                          const DoctorOptions& options) {
  bool preset_only = false;
  std::string keep;
  for (const std::string& unit : units) {
    if (!enabled.at(unit).linked()) preset_only = true;
    if (keep.empty() && enabled.at(unit).linked()) keep = unit;
  }
  if (units.count(options.app_unit) != 0) keep = options.app_unit;
  if (keep.empty()) keep = *units.begin();
  Finding f;
  f.id = preset_only ? "units.duplicate-preset" : "units.duplicate";
  f.severity = FindingSeverity::critical;
  std::string joined;
  for (const std::string& key : keys) joined += (joined.empty() ? "" : ", ") + key;
  f.title =
      std::to_string(units.size()) + " services that start at boot run the same program: " + joined;
  for (const std::string& unit : units) {
    if (!f.seen.empty()) f.seen += "\n";
    f.seen += unit + ": ExecStart=" + exec_of.at(unit) + " (" + path_of.at(unit) + "), " +
              enablement_text(enabled.at(unit));
  }
  f.why =
      "Two copies of one program fight over its port, camera, audio, serial and memory until "
      "the kernel kills both; Restart= brings them back into the same fight (2025-10-23, and "
      "2025-10-24 with mediamtx.service). Disabling does not last: a preset enables the unit "
      "again (2025-10-25). Masking does. Keep " +
      keep + ".";
  f.incident = preset_only ? kIncidentPreset : kIncidentPort5000;
  for (const std::string& unit : units) {
    if (unit == keep) continue;
    f.fix += (f.fix.empty() ? "" : "\n") + std::string("systemctl mask --now ") + unit;
  }
  return f;
}

bool unlimited(const std::optional<std::string>& value) {
  return !value || value->empty() || *value == "infinity";
}

}  // namespace

std::vector<std::string> program_keys(const SystemFiles& files, const std::string& exec_start) {
  std::vector<std::string> words = split_words(exec_start);
  if (words.empty()) return {};
  // systemd.service(5): "@" makes the second word argv[0]; "-", ":", "+", "!", "!!" and
  // "|" change failure handling, expansion or privileges, not the program.
  const std::size_t prefix_end = words[0].find_first_not_of("-@:+!|");
  const bool has_argv0 =
      words[0].substr(0, std::min(prefix_end, words[0].size())).find('@') != std::string::npos;
  words[0].erase(0, std::min(prefix_end, words[0].size()));
  if (words[0].empty()) words.erase(words.begin());
  if (has_argv0 && words.size() > 1) words.erase(words.begin() + 1);
  if (words.empty()) return {};
  std::set<std::string> keys;
  const std::string key = key_for(words, 0, 0);
  if (!key.empty()) keys.insert(key);
  if (words[0].starts_with("/")) {
    if (const auto text = files.read(words[0]); text && is_shell_script(*text)) {
      script_keys(*text, keys);
    }
  }
  return {keys.begin(), keys.end()};
}

std::vector<Finding> check_duplicates(const SystemFiles& files, const DoctorOptions& options) {
  const std::map<std::string, Enablement> enabled = enabled_services(files);
  std::map<std::string, std::set<std::string>> units_by_key;
  std::map<std::string, std::string> exec_of;
  std::map<std::string, std::string> path_of;
  for (const auto& [name, how] : enabled) {
    // Instances of templates (getty@tty1, serial-getty@ttyS0) are many on purpose.
    if (name.find('@') != std::string::npos) continue;
    const auto loaded = load_unit(files, name);
    if (!loaded || loaded->unit.last("Service", "Type") == "oneshot") continue;
    for (const std::string& exec : loaded->unit.all("Service", "ExecStart")) {
      if (!exec_of.count(name)) exec_of[name] = exec;
      path_of[name] = loaded->path;
      for (const std::string& key : program_keys(files, exec)) units_by_key[key].insert(name);
    }
  }
  // One finding per set of units, naming every program they share.
  std::map<std::set<std::string>, std::vector<std::string>> keys_by_units;
  for (const auto& [key, units] : units_by_key) {
    if (units.size() >= 2) keys_by_units[units].push_back(key);
  }
  std::vector<Finding> findings;
  for (const auto& [units, keys] : keys_by_units) {
    findings.push_back(duplicate_finding(keys, units, enabled, exec_of, path_of, options));
  }
  if (findings.empty()) {
    findings.push_back({"units.ok",
                        "no two services that start at boot run the same program (" +
                            std::to_string(enabled.size()) + " checked)",
                        "", "", "", "", FindingSeverity::ok});
  }
  return findings;
}

std::vector<Finding> check_app_unit(const SystemFiles& files, const DoctorOptions& options) {
  if (options.app_unit.empty()) {
    return {{"app.not-checked", "no app unit given (--app-unit NAME): its policy is not checked",
             "", "", "", "", FindingSeverity::info}};
  }
  const std::string& name = options.app_unit;
  const auto loaded = load_unit(files, name);
  if (!loaded || loaded->masked) {
    return {{"app.missing", "the app does not run as a systemd unit",
             loaded ? loaded->path + " is masked" : "no " + name + " on the unit search path",
             "Without a unit nothing restarts the app, limits its memory or records its end: on "
             "2026-02-08 the backend was OOM-killed and stayed dead until someone looked.",
             kIncidentNoSwap,
             "write /etc/systemd/system/" + name +
                 " (Restart=on-failure, StartLimitIntervalSec=, StartLimitBurst=, MemoryHigh=, "
                 "MemoryMax=)\nsystemctl enable --now " +
                 name,
             FindingSeverity::warning}};
  }
  std::vector<Finding> findings;
  const UnitFile& unit = loaded->unit;
  const std::string restart = unit.last("Service", "Restart").value_or("no");
  auto interval = unit.last("Unit", "StartLimitIntervalSec");
  if (!interval) interval = unit.last("Service", "StartLimitInterval");  // pre-v230 name
  auto burst = unit.last("Unit", "StartLimitBurst");
  if (!burst) burst = unit.last("Service", "StartLimitBurst");
  const bool restarts = !restart.empty() && restart != "no";
  const bool no_limit = (!interval && !burst) || interval == "0" || interval == "infinity";
  if (restarts && no_limit) {
    findings.push_back(
        {"app.restart-unlimited", name + " restarts with no start limit of its own",
         loaded->path + ": Restart=" + restart + ", StartLimitIntervalSec=" +
             interval.value_or("(unset)") + ", StartLimitBurst=" + burst.value_or("(unset)"),
         "Restart=" + restart +
             " and the default start limit (5 starts in 10 s) never trips once RestartSec= "
             "is 2 s or more: on 2025-10-24 the OOM-killed services came back into the same "
             "conflict "
             "all night, a crash loop that looked intermittent.",
         kIncidentOomLoop,
         "systemctl edit " + name + "   # [Unit] StartLimitIntervalSec=600 and StartLimitBurst=5",
         FindingSeverity::warning});
  }
  const auto max = unit.last("Service", "MemoryMax");
  const auto high = unit.last("Service", "MemoryHigh");
  const auto legacy = unit.last("Service", "MemoryLimit");
  if (unlimited(max) && unlimited(high) && unlimited(legacy)) {
    findings.push_back(
        {"app.no-memory-limit", name + " has no memory limit",
         loaded->path + ": no MemoryMax= or MemoryHigh= in [Service]",
         "A leak grows until the kernel OOM killer picks a victim, maybe not the leaker: on "
         "2025-11-28 a server went from 300 MB to 5.6 GB in 51 minutes and died mid-demo. "
         "MemoryHigh= throttles and MemoryMax= confines the kill to this unit.",
         kIncidentLeak, "systemctl edit " + name + "   # [Service] MemoryHigh=... MemoryMax=...",
         FindingSeverity::warning});
  }
  if (findings.empty()) {
    findings.push_back({"app.ok", name + " has a start limit (or no restart) and a memory limit",
                        loaded->path, "", "", "", FindingSeverity::ok});
  }
  return findings;
}

}  // namespace lifeline::doctor
