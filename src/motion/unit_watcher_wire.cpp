#include "motion/unit_watcher_wire.hpp"

#include <cstdlib>
#include <cstring>
#include <type_traits>

namespace lifeline::motion::unit_wire {

namespace {

// Reads one variant of type `type` ('s', 'u' or 'i') into `out`.
template <typename T>
int read_variant(sd_bus_message* m, char type, T& out) {
  const char signature[] = {type, '\0'};
  int r = sd_bus_message_enter_container(m, SD_BUS_TYPE_VARIANT, signature);
  if (r < 0) return r;
  if constexpr (std::is_same_v<T, std::string>) {
    const char* value = nullptr;
    if ((r = sd_bus_message_read_basic(m, type, &value)) < 0) return r;
    out = value;
  } else if ((r = sd_bus_message_read_basic(m, type, &out)) < 0) {
    return r;
  }
  return sd_bus_message_exit_container(m);
}

// One value of an a{sv}.
int read_property(sd_bus_message* m, std::string_view name, UnitState& state) {
  const char* contents = nullptr;
  if (int r = sd_bus_message_peek_type(m, nullptr, &contents); r < 0) return r;
  const std::string_view type = contents != nullptr ? contents : "";
  if (type == "s" && name == "ActiveState") return read_variant(m, 's', state.active_state);
  if (type == "s" && name == "SubState") return read_variant(m, 's', state.sub_state);
  if (type == "s" && name == "Result") return read_variant(m, 's', state.result);
  if (type == "u" && name == "MainPID") return read_variant(m, 'u', state.main_pid);
  if (type == "u" && name == "NRestarts") return read_variant(m, 'u', state.n_restarts);
  if (type == "i" && name == "ExecMainCode") return read_variant(m, 'i', state.exec_main_code);
  if (type == "i" && name == "ExecMainStatus") return read_variant(m, 'i', state.exec_main_status);
  return sd_bus_message_skip(m, "v");
}

}  // namespace

std::string errno_text(int negative_errno) {
  return std::strerror(-negative_errno);  // NOLINT(concurrency-mt-unsafe): loop thread only
}

std::string error_text(sd_bus_message* m) {
  const sd_bus_error* e = sd_bus_message_get_error(m);
  if (e == nullptr || e->name == nullptr) return "unknown error";
  return std::string(e->name) + (e->message != nullptr ? ": " + std::string(e->message) : "");
}

std::string bus_address() {
  const char* address = std::getenv("DBUS_SYSTEM_BUS_ADDRESS");
  return address != nullptr ? address : "unix:path=/run/dbus/system_bus_socket";
}

bool tracked(std::string_view name) {
  return name == "ActiveState" || name == "SubState" || name == "MainPID" || name == "Result" ||
         name == "ExecMainCode" || name == "ExecMainStatus" || name == "NRestarts";
}

int read_properties(sd_bus_message* m, UnitState& state) {
  int r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, "{sv}");
  if (r < 0) return r;
  while ((r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, "sv")) > 0) {
    const char* name = nullptr;
    if ((r = sd_bus_message_read_basic(m, 's', &name)) < 0) return r;
    if ((r = read_property(m, name, state)) < 0) return r;
    if ((r = sd_bus_message_exit_container(m)) < 0) return r;
  }
  if (r < 0) return r;
  return sd_bus_message_exit_container(m);
}

}  // namespace lifeline::motion::unit_wire
