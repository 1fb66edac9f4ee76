// One asynchronous method call to systemd on an sd-bus connection attached to the loop,
// shared by lifeline's bus clients (UnitJobs, the exclusivity check's SystemdUnits), and
// the first step both take to read a unit's properties: LoadUnit for its object path.
#pragma once

#include <systemd/sd-bus.h>

#include <functional>
#include <string>

#include "lifeline/expected.hpp"

namespace lifeline {

using BusReply = std::function<void(sd_bus_message*)>;  // an error reply included
using BusAppend = std::function<int(sd_bus_message*)>;  // appends the arguments

// Sends `member` of `interface` on systemd's object `path`, with the arguments `append`
// adds (none when empty); `reply` runs on the loop with the answer. The closure lives as
// long as the call's slot, which the bus owns: closing the bus frees it without a call.
// A negative errno when the call was not sent.
int bus_call(sd_bus* bus, const char* path, const char* interface, const char* member,
             const BusAppend& append, BusReply reply);

// The unit's object path, or why systemd refused LoadUnit or answered what could not be
// read ("LoadUnit(UNIT): name: message").
using UnitLoaded = std::function<void(Expected<std::string>)>;

// Manager.LoadUnit(unit) with bus_call: `loaded` runs on the loop with the answer. A
// negative errno when the call was not sent; `loaded` is then never called.
int load_unit(sd_bus* bus, const std::string& unit, UnitLoaded loaded);

}  // namespace lifeline
