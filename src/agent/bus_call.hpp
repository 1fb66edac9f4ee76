// One asynchronous method call to systemd on an sd-bus connection attached to the loop,
// shared by lifeline's bus clients (UnitJobs, the exclusivity check's SystemdUnits).
#pragma once

#include <systemd/sd-bus.h>

#include <functional>

namespace lifeline {

using BusReply = std::function<void(sd_bus_message*)>;  // an error reply included
using BusAppend = std::function<int(sd_bus_message*)>;  // appends the arguments

// Sends `member` of `interface` on systemd's object `path`, with the arguments `append`
// adds (none when empty); `reply` runs on the loop with the answer. The closure lives as
// long as the call's slot, which the bus owns: closing the bus frees it without a call.
// A negative errno when the call was not sent.
int bus_call(sd_bus* bus, const char* path, const char* interface, const char* member,
             const BusAppend& append, BusReply reply);

}  // namespace lifeline
