// In-process figures for the watchdog path: gate evaluation per pet, and the latency
// from a check reporting failure to the safe state having run and petting stopped.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>

#include "agent/event_loop.hpp"
#include "agent/safe_state.hpp"
#include "fault/fault_set.hpp"
#include "hal/sim/sim_watchdog.hpp"
#include "watchdog/health_gate.hpp"
#include "watchdog/watchdog_service.hpp"

namespace lifeline {
namespace {

class NullSink final : public EventSink {
 public:
  void record(Event /*event*/) override {}
};

// Counts pets without touching a file, so the benchmark measures lifeline, not the disk.
class CountingWatchdog final : public hal::WatchdogDevice {
 public:
  Status open() override { return ok_status(); }
  Expected<hal::WatchdogIdentity> identity() override {
    return hal::WatchdogIdentity{"bench", 0, 0};
  }
  Expected<std::chrono::seconds> set_timeout(std::chrono::seconds wanted) override {
    return wanted;
  }
  Expected<std::uint32_t> boot_status() override { return 0U; }
  Status pet() override {
    ++pets;
    return ok_status();
  }
  Status close_disarmed() override { return ok_status(); }
  void close_armed() override {}
  [[nodiscard]] bool is_open() const override { return true; }
  [[nodiscard]] std::string describe() const override { return "bench"; }
  std::uint64_t pets = 0;
};

void BM_GateEvaluate(benchmark::State& state) {
  HealthGate gate;
  const auto now = std::chrono::steady_clock::now();
  for (int i = 0; i < state.range(0); ++i) {
    gate.add_check("check" + std::to_string(i), std::chrono::seconds(5), now);
  }
  for (auto _ : state) benchmark::DoNotOptimize(gate.evaluate(now + std::chrono::seconds(1)));
}
BENCHMARK(BM_GateEvaluate)->Arg(2)->Arg(8)->Arg(32);

// From gate.report(failing) to: safe state entered, fault raised, petting stopped.
void BM_GateCloseToPettingStopped(benchmark::State& state) {
  auto loop = EventLoop::create();
  NullSink sink;
  hal::SystemClock clock;
  for (auto _ : state) {
    state.PauseTiming();
    HealthGate gate;
    FaultSet faults(sink, clock);
    SafeState safe_state(sink);
    auto device = std::make_unique<CountingWatchdog>();
    auto* counter = device.get();
    WatchdogService service(**loop, faults, sink, safe_state, gate, std::move(device));
    WatchdogConfig config;
    config.timeout = std::chrono::seconds(15);
    service.open(config, std::chrono::seconds(15));
    const CheckId check = gate.add_check("app", std::chrono::seconds(5), (*loop)->now());
    (void)service.start();
    const auto pets_before = counter->pets;
    state.ResumeTiming();
    gate.report(check, false, (*loop)->now(), "bench");
    state.PauseTiming();
    if (!service.status().gate_closed || counter->pets != pets_before) {
      state.SkipWithError("gate did not close synchronously");
    }
    state.ResumeTiming();
  }
}
BENCHMARK(BM_GateCloseToPettingStopped)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace lifeline
