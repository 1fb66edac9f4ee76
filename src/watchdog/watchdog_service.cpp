#include "watchdog/watchdog_service.hpp"

#include <linux/watchdog.h>

#include <cstdio>

#include "hal/linux/linux_watchdog.hpp"

namespace lifeline {

namespace {

std::string hex(std::uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%x", value);
  return text;
}

std::chrono::milliseconds effective_interval(const WatchdogConfig& config,
                                             std::chrono::seconds timeout) {
  if (config.pet_interval.count() > 0) {
    // Never slower than half the timeout the driver actually set (it may be shorter
    // than the one asked for).
    return std::min(config.pet_interval,
                    std::chrono::duration_cast<std::chrono::milliseconds>(timeout) / 2);
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(timeout) / 4;
}

}  // namespace

WatchdogService::WatchdogService(EventLoop& loop, FaultSet& faults, EventSink& sink,
                                 SafeState& safe_state, HealthGate& gate,
                                 std::unique_ptr<hal::WatchdogDevice> device)
    : loop_(loop),
      faults_(faults),
      sink_(sink),
      safe_state_(safe_state),
      gate_(gate),
      device_(std::move(device)) {
  gate_.on_failure([this] { on_gate_failure(); });
}

WatchdogService::~WatchdogService() {
  gate_.on_failure(nullptr);
}

std::uint32_t WatchdogService::open(const WatchdogConfig& config, std::chrono::seconds board_max) {
  config_ = config;
  status_.enabled = config.enabled;
  status_.device = device_->describe();
  if (!config.enabled) {
    sink_.record(Event{EventKind::watchdog_opened,
                       std::nullopt,
                       Severity::warning,
                       "watchdog disabled by configuration: a hung box will not reset",
                       {{"device", status_.device}}});
    return 0;
  }
  if (auto opened = device_->open(); !opened) {
    faults_.raise(Fault::watchdog_unavailable, opened.error().message,
                  {{"device", status_.device}});
    return 0;
  }
  status_.open = true;
  if (auto id = device_->identity()) {
    status_.identity = id->identity;
    if ((id->options & WDIOF_MAGICCLOSE) == 0 && config.magic_close) {
      sink_.record(Event{EventKind::watchdog_opened,
                         std::nullopt,
                         Severity::warning,
                         "driver does not support magic close: a clean stop may still reset",
                         {{"device", status_.device}}});
    }
  }
  if (auto flags = device_->boot_status()) status_.boot_status = *flags;
  status_.nowayout = hal::read_nowayout(status_.device);
  configure_timeout(board_max);
  sink_.record(
      Event{EventKind::watchdog_opened,
            std::nullopt,
            Severity::info,
            "watchdog " + status_.device + " (" + status_.identity + ") armed, timeout " +
                std::to_string(status_.timeout.count()) + " s, petting every " +
                std::to_string(status_.pet_interval.count()) + " ms",
            {{"device", status_.device},
             {"identity", status_.identity},
             {"timeout_requested_s", std::to_string(status_.timeout_requested.count())},
             {"timeout_s", std::to_string(status_.timeout.count())},
             {"pet_interval_ms", std::to_string(status_.pet_interval.count())},
             {"boot_status", hex(status_.boot_status)},
             {"nowayout", status_.nowayout ? (*status_.nowayout ? "1" : "0") : "unknown"}}});
  if (status_.nowayout.value_or(false) && config.magic_close) {
    sink_.record(Event{EventKind::watchdog_opened,
                       std::nullopt,
                       Severity::warning,
                       "driver has nowayout set: magic close cannot disarm it; after a clean "
                       "stop the board resets unless something else pets it",
                       {{"device", status_.device}}});
  }
  faults_.clear(Fault::watchdog_unavailable, "watchdog open");
  return status_.boot_status;
}

void WatchdogService::configure_timeout(std::chrono::seconds board_max) {
  std::chrono::seconds wanted = config_.timeout;
  status_.timeout_requested = wanted;
  if (wanted > board_max) {
    sink_.record(Event{EventKind::watchdog_opened,
                       std::nullopt,
                       Severity::warning,
                       "timeout " + std::to_string(wanted.count()) + " s is above the board's " +
                           std::to_string(board_max.count()) + " s maximum: clamped",
                       {{"device", status_.device}}});
    wanted = board_max;
  }
  if (auto actual = device_->set_timeout(wanted)) {
    status_.timeout = *actual;
  } else {
    faults_.raise(Fault::watchdog_unavailable, actual.error().message,
                  {{"device", status_.device}});
    status_.timeout = wanted;
  }
  if (status_.timeout.count() <= 0) status_.timeout = wanted;
  status_.pet_interval = effective_interval(config_, status_.timeout);
}

Status WatchdogService::start() {
  // Without a device the timer still evaluates the gate, so an unhealthy system enters
  // the safe state even where nothing can reset it.
  if (!status_.open) status_.pet_interval = std::chrono::seconds(1);
  on_pet_tick();
  return loop_.start_periodic(
      pet_timer_, "watchdog-pet",
      std::chrono::duration_cast<std::chrono::microseconds>(status_.pet_interval),
      [this] { on_pet_tick(); });
}

void WatchdogService::apply(const WatchdogConfig& config, std::chrono::seconds board_max) {
  config_ = config;
  if (!status_.open || latch_.closed()) return;
  configure_timeout(board_max);
  pet_timer_.set_period(
      std::chrono::duration_cast<std::chrono::microseconds>(status_.pet_interval));
}

void WatchdogService::check_failing_fault(hal::MonoTime now) {
  std::string failing;
  for (const auto& check : gate_.view(now)) {
    if (check.passing && check.fresh) continue;
    if (!failing.empty()) failing += "; ";
    failing += check.name + (check.fresh ? ": " + check.detail : ": stale");
  }
  if (!failing.empty()) {
    faults_.raise(Fault::health_check_failing, failing);
  } else {
    faults_.clear(Fault::health_check_failing, "all checks passing");
  }
}

void WatchdogService::on_pet_tick() {
  const auto now = loop_.now();
  const GateVerdict verdict = gate_.evaluate(now);
  switch (latch_.on_tick(verdict)) {
    case PetAction::pet:
      if (!status_.open) break;
      if (auto petted = device_->pet(); !petted) {
        faults_.raise(Fault::watchdog_unavailable, "keepalive failed: " + petted.error().message);
      } else {
        status_.pets += 1;
        status_.last_pet = now;
      }
      break;
    case PetAction::close_gate:
      close_gate(verdict);
      break;
    case PetAction::withhold:
      break;
  }
  check_failing_fault(now);
}

void WatchdogService::on_gate_failure() {
  if (!latch_.closed()) on_pet_tick();
}

void WatchdogService::close_gate(const GateVerdict& verdict) {
  pet_timer_.stop();
  status_.gate_closed = true;
  status_.gate_reason = verdict.reason;
  safe_state_.enter("health gate closed: " + verdict.reason);
  faults_.raise(Fault::health_gate_closed, verdict.reason);
  sink_.record(
      Event{EventKind::watchdog_petting_stopped,
            Fault::health_gate_closed,
            Severity::critical,
            status_.open ? "stopped petting the watchdog: the board resets within " +
                               std::to_string(status_.timeout.count()) + " s"
                         : std::string("health gate closed, but no watchdog is open: nothing "
                                       "will reset this board"),
            {{"reason", verdict.reason}, {"timeout_s", std::to_string(status_.timeout.count())}}});
  if (!status_.open) return;
  // If we are still alive well after the timeout, the reset did not happen.
  const auto grace = status_.timeout + std::max(std::chrono::seconds(2), status_.timeout / 4);
  auto timer =
      loop_.add_oneshot("watchdog-did-not-fire",
                        std::chrono::duration_cast<std::chrono::microseconds>(grace), [this] {
                          faults_.raise(Fault::watchdog_did_not_fire,
                                        status_.device + " was not petted for " +
                                            std::to_string(status_.timeout.count()) +
                                            " s and more, yet this board is still running");
                        });
  if (timer) did_not_fire_ = std::move(*timer);
}

void WatchdogService::stop_clean() {
  pet_timer_.stop();
  if (!status_.open) return;
  if (latch_.closed()) {
    device_->close_armed();
    sink_.record(Event{EventKind::watchdog_disarmed,
                       std::nullopt,
                       Severity::warning,
                       "stopping with the health gate closed: watchdog left armed",
                       {}});
    return;
  }
  if (!config_.magic_close) {
    device_->close_armed();
    sink_.record(Event{EventKind::watchdog_disarmed,
                       std::nullopt,
                       Severity::info,
                       "stopping: watchdog left armed (magic_close = false)",
                       {}});
    return;
  }
  if (auto closed = device_->close_disarmed(); !closed) {
    faults_.raise(Fault::watchdog_unavailable, closed.error().message);
    return;
  }
  sink_.record(Event{EventKind::watchdog_disarmed,
                     std::nullopt,
                     Severity::info,
                     "stopping: watchdog disarmed with the magic close",
                     {{"device", status_.device}}});
}

WatchdogStatus WatchdogService::status() const {
  return status_;
}

}  // namespace lifeline
