"""Observers for the scenarios: an sshd banner prober (a fresh connection each time, as the
memory scenarios need) and a decoder of status LED blink codes from sampled line edges."""

import threading
import time


class BannerProber:
    """Probes sshd's banner every `interval` s from a thread; each probe is a new TCP
    connection (QEMU's hostfwd accepts even when the guest does not answer)."""

    def __init__(self, vm, interval=0.2, timeout=2.0):
        self.vm, self.interval, self.timeout = vm, interval, timeout
        self.results = []  # (host time, latency s or None)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=self.timeout + 1)

    def _run(self):
        while not self._stop.is_set():
            t0 = time.time()
            ok = self.vm.banner(timeout=self.timeout)
            self.results.append((t0, time.time() - t0 if ok else None))
            self._stop.wait(max(0.0, self.interval - (time.time() - t0)))

    def summary(self):
        ok = sorted(r for _, r in self.results if r is not None)
        failed = sum(1 for _, r in self.results if r is None)
        pct = lambda p: ok[min(len(ok) - 1, int(p * len(ok)))] * 1000 if ok else float("nan")
        return {"probes": len(self.results), "failed": failed, "p50_ms": pct(0.5),
                "p99_ms": pct(0.99), "max_ms": ok[-1] * 1000 if ok else float("nan")}

    def report_and_check(self, max_failures=0, max_ms=None):
        s = self.summary()
        print(f"  - sshd banner probes: {s['probes']}, failed {s['failed']}, p50 "
              f"{s['p50_ms']:.0f} ms, p99 {s['p99_ms']:.0f} ms, max {s['max_ms']:.0f} ms",
              flush=True)
        if s["probes"] == 0 or s["failed"] > max_failures:
            raise AssertionError(f"sshd banner probes failed: {s}")
        if max_ms is not None and s["max_ms"] > max_ms:
            raise AssertionError(f"slowest sshd banner {s['max_ms']:.0f} ms > {max_ms} ms")
        return s


def decode_blink_codes(sampler_output, long_ms=(400, 900), short_ms=(60, 350), pause_ms=1000):
    """Turns rig-sample-line output ("<epoch µs> <value>" per edge) into on-pulse lengths
    and blink-code groups (long count, short count) separated by pauses >= pause_ms. The
    first and last groups may be cut by the sampling window and are dropped."""
    edges = []
    for line in sampler_output.split("\n"):
        parts = line.split()
        if len(parts) == 2 and parts[1] in ("0", "1"):
            edges.append((int(parts[0]), int(parts[1])))
    pulses = []  # (start µs, length ms)
    for (t0, v0), (t1, _) in zip(edges, edges[1:]):
        if v0 == 1:
            pulses.append((t0, (t1 - t0) / 1000))
    groups, current, last_end = [], [], None
    for start, length in pulses:
        if last_end is not None and (start - last_end) / 1000 >= pause_ms:
            groups.append(current)
            current = []
        current.append(length)
        last_end = start + length * 1000
    groups.append(current)
    decoded = []
    for g in groups[1:-1]:
        longs = sum(1 for l in g if long_ms[0] <= l <= long_ms[1])
        shorts = sum(1 for l in g if short_ms[0] <= l <= short_ms[1])
        if longs + shorts == len(g):
            decoded.append((longs, shorts))
    return {"pulses_ms": [round(l) for _, l in pulses], "groups": decoded}
