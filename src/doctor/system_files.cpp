#include "doctor/system_files.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

namespace lifeline::doctor {
namespace {

constexpr std::size_t kMaxFileBytes = 4U << 20U;

bool ends_with(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Files named *`suffix` in `dirs` (highest priority first), a name in a higher directory
// hiding the same name below; returned as full paths sorted by file name.
std::vector<std::string> layered_files(const SystemFiles& files,
                                       const std::vector<std::string>& dirs,
                                       std::string_view suffix) {
  std::map<std::string, std::string> by_name;
  for (const std::string& dir : dirs) {
    for (const std::string& name : files.list(dir)) {
      if (ends_with(name, suffix)) by_name.try_emplace(name, dir + "/" + name);
    }
  }
  std::vector<std::string> paths;
  for (const auto& [name, path] : by_name) paths.push_back(path);
  return paths;
}

struct PresetRule {
  std::string verb;
  std::string pattern;
  std::string source;  // "file: line"
};

std::vector<PresetRule> preset_rules(const SystemFiles& files) {
  static const std::vector<std::string> dirs = {
      "/etc/systemd/system-preset", "/run/systemd/system-preset", "/lib/systemd/system-preset",
      "/usr/lib/systemd/system-preset"};
  std::vector<PresetRule> rules;
  for (const std::string& path : layered_files(files, dirs, ".preset")) {
    const auto text = files.read(path);
    if (!text) continue;
    std::istringstream lines(*text);
    std::string line;
    while (std::getline(lines, line)) {
      std::istringstream words(line);
      PresetRule rule;
      if (!(words >> rule.verb >> rule.pattern)) continue;
      if (rule.verb.front() == '#' || rule.verb.front() == ';') continue;
      rule.source = path + ": " + rule.verb + " " + rule.pattern;
      rules.push_back(std::move(rule));
    }
  }
  return rules;
}

// The first rule matching `name` decides (systemd.preset(5)); only an explicit enable
// counts: "enable *" is a distribution's blanket default, not a decision about a unit.
std::string explicit_preset_enable(const std::vector<PresetRule>& rules, const std::string& name) {
  for (const PresetRule& rule : rules) {
    if (fnmatch(rule.pattern.c_str(), name.c_str(), 0) != 0) continue;
    if (rule.verb == "enable" && rule.pattern != "*") return rule.source;
    return {};
  }
  return {};
}

}  // namespace

SystemFiles files_under_root(const std::string& root) {
  std::string base = root;
  while (!base.empty() && base.back() == '/') base.pop_back();
  SystemFiles files;
  files.read = [base](const std::string& path) -> std::optional<std::string> {
    std::error_code error;
    if (std::filesystem::is_directory(base + path, error)) return std::nullopt;
    std::ifstream in(base + path, std::ios::binary);
    if (!in) return std::nullopt;
    std::string text(kMaxFileBytes, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    return text;
  };
  files.list = [base](const std::string& dir) {
    std::vector<std::string> names;
    std::error_code error;
    std::filesystem::directory_iterator it(base + dir, error);
    for (; !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
      names.push_back(it->path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  };
  return files;
}

std::optional<LoadedUnit> load_unit(const SystemFiles& files, const std::string& name) {
  std::optional<LoadedUnit> loaded;
  for (const std::string& dir : unit_dirs()) {
    auto text = files.read(dir + "/" + name);
    if (!text) continue;
    loaded.emplace();
    loaded->name = name;
    loaded->path = dir + "/" + name;
    loaded->masked = text->empty();
    loaded->unit = parse_unit_file(*text);
    break;
  }
  // An instance ("getty@tty1.service") loads from its template ("getty@.service").
  const std::size_t at = name.find('@');
  const std::size_t dot = name.rfind('.');
  if (!loaded && at != std::string::npos && dot != std::string::npos && dot > at + 1) {
    const std::string tmpl = name.substr(0, at + 1) + name.substr(dot);
    loaded = load_unit(files, tmpl);
    if (loaded) loaded->name = name;
    return loaded;
  }
  if (!loaded || loaded->masked) return loaded;
  std::vector<std::string> dropin_dirs;
  for (const std::string& dir : unit_dirs()) dropin_dirs.push_back(dir + "/" + name + ".d");
  for (const std::string& path : layered_files(files, dropin_dirs, ".conf")) {
    const auto text = files.read(path);
    if (!text) continue;
    loaded->dropins.push_back(path);
    loaded->unit.merge(parse_unit_file(*text));
  }
  return loaded;
}

UnitFile load_config(const SystemFiles& files, const std::string& main,
                     const std::string& dropin_dir_name, std::vector<std::string>* sources) {
  UnitFile config;
  if (const auto text = files.read(main)) {
    config = parse_unit_file(*text);
    if (sources) sources->push_back(main);
  }
  const std::vector<std::string> dirs = {
      "/etc/systemd/" + dropin_dir_name, "/run/systemd/" + dropin_dir_name,
      "/lib/systemd/" + dropin_dir_name, "/usr/lib/systemd/" + dropin_dir_name};
  for (const std::string& path : layered_files(files, dirs, ".conf")) {
    const auto text = files.read(path);
    if (!text) continue;
    config.merge(parse_unit_file(*text));
    if (sources) sources->push_back(path);
  }
  return config;
}

std::map<std::string, Enablement> enabled_services(const SystemFiles& files) {
  std::map<std::string, Enablement> found;
  std::set<std::string> candidates;
  for (const std::string& dir : unit_dirs()) {
    for (const std::string& entry : files.list(dir)) {
      // A template ("getty@.service") runs only as instances, which the links name.
      if (ends_with(entry, ".service") && !ends_with(entry, "@.service")) candidates.insert(entry);
      if (!ends_with(entry, ".wants") && !ends_with(entry, ".requires")) continue;
      for (const std::string& name : files.list(dir + "/" + entry)) {
        if (!ends_with(name, ".service")) continue;
        found[name].links.push_back(dir + "/" + entry);
        candidates.insert(name);
      }
    }
  }
  const std::vector<PresetRule> rules = preset_rules(files);
  for (const std::string& name : candidates) {
    const auto loaded = load_unit(files, name);
    if (!loaded || loaded->masked) {
      found.erase(name);
      continue;
    }
    const bool installable = !loaded->unit.all("Install", "WantedBy").empty() ||
                             !loaded->unit.all("Install", "RequiredBy").empty();
    if (installable) {
      std::string preset = explicit_preset_enable(rules, name);
      if (!preset.empty()) found[name].preset = std::move(preset);
    }
  }
  return found;
}

}  // namespace lifeline::doctor
