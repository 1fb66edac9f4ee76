#include "exclusivity/unit_properties.hpp"

#include <cstdlib>
#include <string_view>

namespace lifeline::exclusivity {

namespace {

bool service_name(std::string_view name) {
  return name.ends_with(".service") && !name.ends_with("@.service");
}

std::string_view file_name(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

int read_string_variant(sd_bus_message* m, std::string& out) {
  int r = sd_bus_message_enter_container(m, SD_BUS_TYPE_VARIANT, "s");
  if (r < 0) return r;
  const char* value = nullptr;
  if ((r = sd_bus_message_read_basic(m, 's', &value)) < 0) return r;
  out = value;
  return sd_bus_message_exit_container(m);
}

// ExecStart's a(sasbttttuii): path, argv, ignore-failure, start/exit timestamps, pid, code,
// status. Only path and argv matter here.
int read_exec(sd_bus_message* m, std::vector<ExecCommand>& out) {
  int r = sd_bus_message_enter_container(m, SD_BUS_TYPE_VARIANT, "a(sasbttttuii)");
  if (r < 0) return r;
  if ((r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, "(sasbttttuii)")) < 0) return r;
  std::vector<ExecCommand> commands;
  while ((r = sd_bus_message_enter_container(m, SD_BUS_TYPE_STRUCT, "sasbttttuii")) > 0) {
    ExecCommand command;
    const char* path = nullptr;
    if ((r = sd_bus_message_read_basic(m, 's', &path)) < 0) return r;
    command.path = path;
    char** argv = nullptr;
    if ((r = sd_bus_message_read_strv(m, &argv)) < 0) return r;
    for (char** arg = argv; arg != nullptr && *arg != nullptr; ++arg) {
      command.argv.emplace_back(*arg);
      free(*arg);  // NOLINT(cppcoreguidelines-no-malloc): sd-bus allocated it
    }
    free(argv);  // NOLINT(cppcoreguidelines-no-malloc)
    if ((r = sd_bus_message_skip(m, "bttttuii")) < 0) return r;
    if ((r = sd_bus_message_exit_container(m)) < 0) return r;
    commands.push_back(std::move(command));
  }
  if (r < 0) return r;
  if ((r = sd_bus_message_exit_container(m)) < 0) return r;
  out = std::move(commands);
  return sd_bus_message_exit_container(m);
}

int read_property(sd_bus_message* m, std::string_view name, UnitFact& unit) {
  const char* contents = nullptr;
  if (int r = sd_bus_message_peek_type(m, nullptr, &contents); r < 0) return r;
  const std::string_view type = contents != nullptr ? contents : "";
  if (type == "s") {
    if (name == "ActiveState") return read_string_variant(m, unit.active_state);
    if (name == "UnitFileState") return read_string_variant(m, unit.unit_file_state);
    if (name == "UnitFilePreset") return read_string_variant(m, unit.unit_file_preset);
    if (name == "FragmentPath") return read_string_variant(m, unit.fragment_path);
    if (name == "ControlGroup") return read_string_variant(m, unit.control_group);
  }
  if (type == "u" && name == "MainPID") {
    int r = sd_bus_message_enter_container(m, SD_BUS_TYPE_VARIANT, "u");
    if (r < 0) return r;
    std::uint32_t pid = 0;
    if ((r = sd_bus_message_read_basic(m, 'u', &pid)) < 0) return r;
    unit.main_pid = static_cast<pid_t>(pid);
    return sd_bus_message_exit_container(m);
  }
  if (type == "a(sasbttttuii)" && name == "ExecStart") return read_exec(m, unit.exec_start);
  return sd_bus_message_skip(m, "v");
}

}  // namespace

int read_list_units(sd_bus_message* m, std::vector<ListedUnit>& out) {
  int r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, "(ssssssouso)");
  if (r < 0) return r;
  const char* name = nullptr;
  const char* load = nullptr;
  const char* active = nullptr;
  const char* path = nullptr;
  while ((r = sd_bus_message_read(m, "(ssssssouso)", &name, nullptr, &load, &active, nullptr,
                                  nullptr, &path, nullptr, nullptr, nullptr)) > 0) {
    if (service_name(name)) out.push_back(ListedUnit{name, load, active, path});
  }
  if (r < 0) return r;
  return sd_bus_message_exit_container(m);
}

int read_list_unit_files(sd_bus_message* m, std::vector<ListedUnitFile>& out) {
  int r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, "(ss)");
  if (r < 0) return r;
  const char* path = nullptr;
  const char* state = nullptr;
  while ((r = sd_bus_message_read(m, "(ss)", &path, &state)) > 0) {
    const std::string_view name = file_name(path);
    if (service_name(name)) out.push_back(ListedUnitFile{std::string(name), state});
  }
  if (r < 0) return r;
  return sd_bus_message_exit_container(m);
}

int read_unit_properties(sd_bus_message* m, UnitFact& unit) {
  int r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, "{sv}");
  if (r < 0) return r;
  while ((r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, "sv")) > 0) {
    const char* name = nullptr;
    if ((r = sd_bus_message_read_basic(m, 's', &name)) < 0) return r;
    if ((r = read_property(m, name, unit)) < 0) return r;
    if ((r = sd_bus_message_exit_container(m)) < 0) return r;
  }
  if (r < 0) return r;
  return sd_bus_message_exit_container(m);
}

bool may_start_at_boot(const std::string& state) {
  return state == "enabled" || state == "enabled-runtime" || state == "disabled" ||
         state == "linked" || state == "linked-runtime" || state == "indirect" || state == "alias";
}

}  // namespace lifeline::exclusivity
