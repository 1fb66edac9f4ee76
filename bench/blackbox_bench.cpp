// Black box costs: framing (CRC32C + encode) and an append to the store, buffered and
// durable (fdatasync), on this machine's disk.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "blackbox/crc32c.hpp"
#include "blackbox/record.hpp"
#include "blackbox/store.hpp"

namespace lifeline::blackbox {
namespace {

Record sample() {
  Record record;
  record.realtime_us = 1'700'000'000'000'000;
  record.monotonic_us = 123'456'789;
  record.event = Event{EventKind::fault_raised,
                       Fault::health_gate_closed,
                       Severity::critical,
                       "health_gate_closed: check 'app-alive' failing: file is 7.2 s old",
                       {{"reason", "check 'app-alive' failing"}, {"timeout_s", "15"}}};
  return record;
}

void BM_Crc32c(benchmark::State& state) {
  std::vector<std::uint8_t> data(static_cast<std::size_t>(state.range(0)), 0xA5);
  for (auto _ : state) benchmark::DoNotOptimize(crc32c(data));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Crc32c)->Arg(256)->Arg(4096);

void BM_EncodeFrame(benchmark::State& state) {
  const Record record = sample();
  for (auto _ : state) benchmark::DoNotOptimize(encode_frame(record));
}
BENCHMARK(BM_EncodeFrame);

void BM_StoreAppend(benchmark::State& state) {
  const bool durable = state.range(0) != 0;
  const auto dir = std::filesystem::temp_directory_path() / "lifeline-bench-blackbox";
  std::filesystem::remove_all(dir);
  auto store = Store::open(dir.string(), StoreLimits{1024 * 1024, 4});
  if (!store) {
    state.SkipWithError(store.error().message.c_str());
    return;
  }
  const Record record = sample();
  for (auto _ : state) benchmark::DoNotOptimize((*store)->append(record, durable));
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_StoreAppend)->Arg(0)->Arg(1)->ArgNames({"durable"})->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace lifeline::blackbox
