#include "agent/bus_call.hpp"

#include <cerrno>
#include <memory>
#include <utility>

#include "motion/unit_watcher_wire.hpp"

namespace lifeline {

namespace {

int on_reply(sd_bus_message* m, void* userdata, sd_bus_error* /*error*/) {
  (*static_cast<BusReply*>(userdata))(m);
  return 0;
}

void free_reply(void* userdata) {
  delete static_cast<BusReply*>(userdata);
}

}  // namespace

int bus_call(sd_bus* bus, const char* path, const char* interface, const char* member,
             const BusAppend& append, BusReply reply) {
  sd_bus_message* m = nullptr;
  int r =
      sd_bus_message_new_method_call(bus, &m, motion::unit_wire::kSystemd, path, interface, member);
  if (r >= 0 && append) r = append(m);
  if (r < 0) {
    sd_bus_message_unref(m);
    return r;
  }
  auto owned = std::make_unique<BusReply>(std::move(reply));
  sd_bus_slot* slot = nullptr;
  r = sd_bus_call_async(bus, &slot, m, on_reply, owned.get(), 0);
  sd_bus_message_unref(m);
  if (r < 0) return r;
  sd_bus_slot_set_destroy_callback(slot, free_reply);
  (void)owned.release();
  sd_bus_slot_set_floating(slot, 1);
  sd_bus_slot_unref(slot);
  return 0;
}

int load_unit(sd_bus* bus, const std::string& unit, UnitLoaded loaded) {
  using motion::unit_wire::error_text;
  return bus_call(
      bus, motion::unit_wire::kManagerPath, motion::unit_wire::kManager, "LoadUnit",
      [unit](sd_bus_message* call) { return sd_bus_message_append(call, "s", unit.c_str()); },
      [unit, loaded = std::move(loaded)](sd_bus_message* m) {
        const char* path = nullptr;
        if (sd_bus_message_is_method_error(m, nullptr) != 0 ||
            sd_bus_message_read(m, "o", &path) < 0) {
          return loaded(Error{EIO, "LoadUnit(" + unit + "): " + error_text(m)});
        }
        loaded(std::string(path));
      });
}

}  // namespace lifeline
