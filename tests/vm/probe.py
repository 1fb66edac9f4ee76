"""Observers for the scenarios: an sshd banner prober (a fresh connection each time, as the
memory scenarios need) and a decoder of status LED blink codes from sampled line edges."""

import threading
import time


def summarise(results):
    """Probe results [(host time, latency s or None)] -> counts and latency percentiles (ms)."""
    ok = sorted(r for _, r in results if r is not None)
    pct = lambda p: ok[min(len(ok) - 1, int(p * len(ok)))] * 1000 if ok else float("nan")
    return {"probes": len(results), "failed": sum(1 for _, r in results if r is None),
            "p50_ms": pct(0.5), "p99_ms": pct(0.99), "max_ms": ok[-1] * 1000 if ok else float("nan")}


class BannerProber:
    """Probes sshd's banner every `interval` s from a thread; each probe is a new TCP
    connection (QEMU's hostfwd accepts even when the guest does not answer)."""

    what = "sshd banner"

    def __init__(self, vm, interval=0.2, timeout=2.0):
        self.vm, self.interval, self.timeout = vm, interval, timeout
        self.results = []  # (host time, latency s or None)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self, settle=30.0):
        """Starts probing once the service has answered one probe (within `settle` s): the
        series measures staying reachable, not how soon after boot sshd first forks a
        session (the first banner after boot took over 2 s once under a loaded host). A
        service that never answers leaves one failed probe in the series."""
        deadline = time.time() + settle
        while True:
            t0 = time.time()
            if self.probe():
                break
            if time.time() >= deadline:
                self.results.append((t0, None))
                break
            time.sleep(0.2)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=self.timeout + 1)

    def _run(self):
        while not self._stop.is_set():
            t0 = time.time()
            ok = self.probe()
            self.results.append((t0, time.time() - t0 if ok else None))
            self._stop.wait(max(0.0, self.interval - (time.time() - t0)))

    def probe(self):
        return self.vm.banner(timeout=self.timeout)

    def summary(self):
        return summarise(self.results)

    def summary_line(self):
        """Prints the probes' summary, with when (from the first probe) any failed."""
        s = self.summary()
        t0 = self.results[0][0] if self.results else 0
        failed_at = [f"{t - t0:.1f}" for t, r in self.results if r is None]
        print(f"  - {self.what} probes: {s['probes']}, failed {s['failed']}"
              + (f" (at {', '.join(failed_at)} s)" if failed_at else "")
              + f", p50 {s['p50_ms']:.0f} ms, p99 {s['p99_ms']:.0f} ms, max {s['max_ms']:.0f} ms",
              flush=True)
        return s

    def report_and_check(self, max_failures=0, max_ms=None):
        self.summary_line()
        return self.check_summary(max_failures, max_ms)

    def check_summary(self, max_failures=0, max_ms=None):
        """Raises when more than max_failures probes failed or the slowest took > max_ms."""
        s = self.summary()
        if s["probes"] == 0 or s["failed"] > max_failures:
            raise AssertionError(f"{self.what} probes failed: {s}")
        if max_ms is not None and s["max_ms"] > max_ms:
            raise AssertionError(f"slowest {self.what} {s['max_ms']:.0f} ms > {max_ms} ms")
        return s


class PageProber(BannerProber):
    """GETs a path of the rescue page every `interval` s (a new connection each time); a
    probe passes only on a 200 whose body holds `expect`."""

    what = "rescue page"

    def __init__(self, vm, path="/api/v1/status", expect=b'"watchdog"', interval=0.2,
                 timeout=2.0):
        super().__init__(vm, interval, timeout)
        self.what = f"rescue page GET {path}"
        self.path, self.expect = path, expect

    def probe(self):
        answer = self.vm.http_get(self.path, timeout=self.timeout)
        return answer is not None and answer[0] == 200 and self.expect in answer[1]


def decode_blink_codes(sampler_output, long_ms=(300, 1000), short_ms=(40, 300), pause_ms=1000):
    """Turns rig-sample-line output ("<epoch µs> <value>" per edge) into on-pulse lengths
    and blink-code groups (long count, short count) separated by pauses >= pause_ms. The
    first and last groups may be cut by the sampling window and are dropped, and so is a
    pulse already on when sampling began.
    Long (600 ms) and short (150 ms) part at 300 ms, their geometric mean: the polling
    sampler, descheduled on a loaded TCG guest, sees an edge late by up to a few hundred
    ms, and an equal split tolerates that error best in either direction."""
    edges = []
    for line in sampler_output.split("\n"):
        parts = line.split()
        if len(parts) == 2 and parts[1] in ("0", "1"):
            edges.append((int(parts[0]), int(parts[1])))
    pulses = []  # (start µs, length ms)
    # The first line is the line's state when sampling began, not an edge: a pulse already
    # on then is cut short (a 5 ms "heartbeat" failed vm_led_blink_code once) and dropped,
    # like a pulse still on at the end.
    for i, ((t0, v0), (t1, _)) in enumerate(zip(edges, edges[1:])):
        if v0 == 1 and i > 0:
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
