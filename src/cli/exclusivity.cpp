#include "cli/exclusivity.hpp"

#include <systemd/sd-bus.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <set>

#include "agent/control_socket.hpp"
#include "agent/event_loop.hpp"
#include "agent/unit_jobs.hpp"
#include "blackbox/store.hpp"
#include "board/board_hal.hpp"
#include "config/loader.hpp"
#include "exclusivity/exclusivity_service.hpp"
#include "exclusivity/unit_file_aside.hpp"
#include "fault/fault_set.hpp"
#include "lifeline/hal/clock.hpp"

namespace lifeline::cli {

namespace {

constexpr const char* kSystemd = "org.freedesktop.systemd1";
constexpr const char* kManagerPath = "/org/freedesktop/systemd1";
constexpr const char* kManager = "org.freedesktop.systemd1.Manager";

struct BusDeleter {
  void operator()(sd_bus* bus) const { sd_bus_flush_close_unref(bus); }
};

// What a release did: the unit file state after it, and the moved-aside unit file put
// back (unit_file_aside.hpp), if there was one.
struct Released {
  std::string state;
  exclusivity::AsideResult restored;
};

// Unmask, the moved-aside unit file renamed back, Reload, GetUnitFileState: "" on success,
// else why not. A file at the unit's name next to a moved-aside copy stops it before
// anything changes: neither is overwritten.
std::string unmask(const std::string& unit, const std::string& mask_dir, Released& done) {
  if (auto blocked = exclusivity::put_back_blocker(mask_dir, unit); !blocked.empty()) {
    return blocked;
  }
  sd_bus* raw = nullptr;
  int r = sd_bus_open_system(&raw);
  std::unique_ptr<sd_bus, BusDeleter> bus(raw);
  if (r < 0) return "cannot connect to the system bus: " + std::to_string(-r);
  const auto call = [&](const char* method, const char* types, auto... args) -> std::string {
    sd_bus_error error{};  // SD_BUS_ERROR_NULL, without its C compound literal (clang)
    sd_bus_message* reply = nullptr;
    const int rr = sd_bus_call_method(bus.get(), kSystemd, kManagerPath, kManager, method, &error,
                                      &reply, types, args...);
    std::string why;
    if (rr < 0) {
      why = std::string(method) + ": " +
            (error.message != nullptr ? error.message : "error " + std::to_string(-rr));
    } else if (std::string_view(method) == "GetUnitFileState") {
      const char* text = nullptr;
      if (sd_bus_message_read(reply, "s", &text) >= 0) done.state = text;
    }
    sd_bus_error_free(&error);
    sd_bus_message_unref(reply);
    return why;
  };
  if (auto why = call("UnmaskUnitFiles", "asb", 1, unit.c_str(), 0); !why.empty()) return why;
  // After the unmask, so the /dev/null symlink is gone from the name; before the reload,
  // so systemd loads the unit from its own file again.
  done.restored = exclusivity::put_back(mask_dir, unit);
  if (!done.restored.error.empty()) {
    return "unmasked, but its moved-aside unit file was not put back: " + done.restored.error;
  }
  if (auto why = call("Reload", ""); !why.empty()) return "unmasked, but " + why;
  return call("GetUnitFileState", "s", unit.c_str());
}

void record_offline(const Config& config, const Event& event) {
  hal::SystemClock clock;
  auto store = blackbox::Store::open(config.agent.state_dir + "/blackbox",
                                     {config.blackbox.segment_bytes, config.blackbox.segments});
  if (!store) {
    std::fprintf(stderr, "not recorded: %s\n", store.error().message.c_str());
    return;
  }
  blackbox::Record record;
  const auto us = [](auto t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  };
  record.realtime_us = us(clock.wall_now());
  record.monotonic_us = us(clock.now());
  const std::string boot = BoardHal(config.board, config.agent.state_dir + "/sim", clock).boot_id();
  record.boot_id = blackbox::parse_boot_id(boot).value_or(blackbox::BootId{});
  record.event = event;
  (void)(*store)->append(record, true);
}

// Prints every event as a line and remembers what became of each duplicate unit.
class CheckSink : public EventSink {
 public:
  void record(Event event) override {
    std::printf("%s\n", event.message.c_str());
    std::fflush(stdout);
    const auto field = [&](const std::string& key) {
      for (const EventField& f : event.fields) {
        if (f.key == key) return f.value;
      }
      return std::string();
    };
    if (event.kind == EventKind::service_conflict) {
      const std::string unit = field("unit");
      found_.insert(unit.empty() ? "pid " + field("pid") : unit);
    }
    if ((event.kind == EventKind::duplicate_mask && field("masked") == "true") ||
        (event.kind == EventKind::duplicate_stop && field("accepted") == "true")) {
      neutralised_.insert(field("unit"));
    }
  }
  [[nodiscard]] std::size_t left() const {
    std::size_t n = 0;
    for (const std::string& who : found_) n += neutralised_.contains(who) ? 0U : 1U;
    return n;
  }

 private:
  std::set<std::string> found_;
  std::set<std::string> neutralised_;
};

}  // namespace

int exclusivity_check(const std::string& config_path, bool enforce) {
  auto config = load_config(config_path);
  if (!config) {
    std::fprintf(stderr, "%s\n", config.error().message.c_str());
    return 2;
  }
  ExclusivityConfig settings = config->exclusivity;
  if (settings.roles.empty()) {
    std::printf("no [[exclusivity.role]] configured: nothing to check\n");
    return 0;
  }
  if (!enforce) {
    for (RoleConfig& role : settings.roles) role.mode = ExclusivityMode::report;
  }
  settings.interval = std::chrono::hours(1);  // one check: no sweep
  auto loop = EventLoop::create();
  if (!loop) {
    std::fprintf(stderr, "%s\n", loop.error().message.c_str());
    return 1;
  }
  CheckSink sink;
  hal::SystemClock clock;
  FaultSet faults(sink, clock);
  UnitJobs jobs(**loop);
  exclusivity::ExclusivityService service(**loop, faults, sink, jobs, settings);
  if (auto started = service.start(/*follow_signals=*/false); !started) {
    std::fprintf(stderr, "%s\n", started.error().message.c_str());
    return 1;
  }
  // Done when settled for a moment (a mask's reload brings one more check), or at 30 s.
  int quiet = 0;
  int ticks = 0;
  PeriodicTimer poll;
  (void)(*loop)->start_periodic(poll, "exclusivity-check-done", std::chrono::milliseconds(100),
                                [&] {
                                  quiet = service.settled() ? quiet + 1 : 0;
                                  if (quiet >= 5 || ++ticks > 300) (*loop)->exit(0);
                                });
  (*loop)->run();
  if (!service.settled()) std::printf("systemd did not answer everything within 30 s\n");
  // Without systemd's units only /proc was checked: an enabled duplicate that is not
  // running would go unseen, so "0 left" would be a guess.
  if (!service.survey_error().empty()) {
    std::printf(
        "systemd's units could not be read (%s): only running processes were "
        "checked\n",
        service.survey_error().c_str());
  }
  const std::size_t left = sink.left();
  std::printf("%zu duplicate(s) left\n", left);
  return left == 0 && service.survey_error().empty() ? 0 : 1;
}

int exclusivity_release(const std::string& config_path, const std::string& unit) {
  auto config = load_config(config_path);
  if (!config) {
    std::fprintf(stderr, "%s\n", config.error().message.c_str());
    return 2;
  }
  if (::geteuid() != 0) {
    std::fprintf(stderr, "lifeline exclusivity release needs root (it unmasks a unit file)\n");
    return 1;
  }
  Released done;
  const std::string why = unmask(unit, config->exclusivity.mask_dir, done);
  if (!why.empty()) {
    std::fprintf(stderr, "%s not released: %s\n", unit.c_str(), why.c_str());
    return 1;
  }
  const std::string who = "cli uid " + std::to_string(::getuid());
  std::string detail = "UnmaskUnitFiles(" + unit + ", runtime=false), ";
  if (done.restored.moved) {
    detail += "put back " + done.restored.from + " as " + done.restored.to + ", ";
  }
  detail += "Reload: unit file state now " + done.state;
  nlohmann::json request{
      {"command", "exclusivity-released"}, {"unit", unit}, {"by", who}, {"detail", detail}};
  std::vector<EventField> fields{{"unit", unit}, {"by", who}, {"detail", detail}};
  if (done.restored.moved) {
    request["restored_from"] = done.restored.from;
    request["restored_to"] = done.restored.to;
    fields.push_back({"restored_from", done.restored.from});
    fields.push_back({"restored_to", done.restored.to});
  }
  auto reply =
      control_request(config->agent.control_socket, request, std::chrono::milliseconds(2000));
  if (!reply || !reply->value("ok", false)) {
    record_offline(
        *config, Event{EventKind::exclusivity_release, std::nullopt, Severity::warning,
                       unit + " released (unmasked) by " + who + ": " + detail, std::move(fields)});
  }
  std::printf(
      "%s released: unit file state %s (a role in mode \"mask\" masks it again at "
      "lifeline's next start unless the role changes)\n",
      unit.c_str(), done.state.c_str());
  return 0;
}

}  // namespace lifeline::cli
