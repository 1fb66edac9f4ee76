# Sourced by ./dev: the exclusivity benchmark (signal -> StopUnit/MaskUnitFiles latency,
# CPU and RSS of one audit over 300 unit files). It drives the real lifeline with the host
# tests' fake systemd, so it needs an optimised build with the tests (build/bench has none).
exclusivity_bench() {
  log "exclusivity benchmark (build/bench-exclusivity)"
  cmake -S . -B build/bench-exclusivity -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DLIFELINE_BENCH=OFF >/dev/null
  cmake --build build/bench-exclusivity -j "$JOBS" --target lifeline host_tests
  LIFELINE_EXCLUSIVITY_BENCH=1 build/bench-exclusivity/tests/host_tests \
    --gtest_filter='ExclusivityBench.*'
}
BENCH_HOOKS+=(exclusivity_bench)
