// The unit watcher's side of the D-Bus wire, internal to src/motion: systemd's bus names
// and the parsing of its property messages (GetAll replies and PropertiesChanged
// signals) into a UnitState. No connection state here; UnitWatcher owns that.
#pragma once

#include <systemd/sd-bus.h>

#include <string>
#include <string_view>

#include "motion/unit_state.hpp"

namespace lifeline::motion::unit_wire {

inline constexpr const char* kSystemd = "org.freedesktop.systemd1";
inline constexpr const char* kManagerPath = "/org/freedesktop/systemd1";
inline constexpr const char* kManager = "org.freedesktop.systemd1.Manager";
inline constexpr const char* kUnitInterface = "org.freedesktop.systemd1.Unit";
inline constexpr const char* kServiceInterface = "org.freedesktop.systemd1.Service";
inline constexpr const char* kProperties = "org.freedesktop.DBus.Properties";
// The bus daemon tells every connection with this match when systemd (re)takes its name,
// e.g. after a daemon-reexec: lifeline then subscribes again and re-reads the unit.
inline constexpr const char* kOwnerMatch =
    "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
    "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='org.freedesktop.systemd1'";

// strerror() of a negative errno as sd-bus returns them.
[[nodiscard]] std::string errno_text(int negative_errno);
// "name: message" of a method error reply ("unknown error" without one).
[[nodiscard]] std::string error_text(sd_bus_message* m);
// The address sd_bus_open_system() connects to, for messages.
[[nodiscard]] std::string bus_address();
// Whether `name` is one of the properties a UnitState holds.
[[nodiscard]] bool tracked(std::string_view name);

// Reads an a{sv} of properties (GetAll's reply, PropertiesChanged's second argument) into
// `state`. A tracked property with an unexpected type is skipped, not trusted: the state
// keeps its last good value. A negative errno when the message is malformed.
int read_properties(sd_bus_message* m, UnitState& state);

}  // namespace lifeline::motion::unit_wire
