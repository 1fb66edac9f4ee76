#!/usr/bin/env python3
"""Whole-process benchmarks of the real lifeline binary on the sim board.

Usage: bench/scenarios.py BUILD_DIR   (./dev bench runs it)
Prints one line per figure; docs/performance.md records them with this command.
"""
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write_config(tmp, extra):
    path = os.path.join(tmp, "lifeline.toml")
    with open(path, "w") as f:
        f.write(f'[agent]\nboard = "{ROOT}/board/sim.toml"\nstate_dir = "{tmp}/state"\n'
                f'control_socket = "{tmp}/control.sock"\n{extra}')
    return path


def start(binary, config, tmp):
    out = open(os.path.join(tmp, "out.log"), "w")
    return subprocess.Popen([binary, "run", "--config", config], stdout=out, stderr=out)


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=10)


def pet_times_ns(tmp):
    times = []
    try:
        with open(os.path.join(tmp, "state/sim/watchdog.log")) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2 and parts[1] == "pet":
                    times.append(int(parts[0]))
    except FileNotFoundError:
        pass
    return times


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100.0 * (len(ordered) - 1))))]


def pet_jitter(binary, seconds=20.0, interval_ms=100):
    with tempfile.TemporaryDirectory() as tmp:
        config = write_config(tmp, f"[watchdog]\ntimeout_s = 2\npet_interval_ms = {interval_ms}\n")
        proc = start(binary, config, tmp)
        time.sleep(seconds)
        stop(proc)
        pets = pet_times_ns(tmp)
    gaps_ms = [(b - a) / 1e6 for a, b in zip(pets[1:], pets[2:])]
    jitter = [abs(g - interval_ms) for g in gaps_ms]
    print(f"pet_jitter: {len(gaps_ms)} intervals of {interval_ms} ms: |jitter| p50 "
          f"{percentile(jitter, 50):.3f} ms, p99 {percentile(jitter, 99):.3f} ms, "
          f"max {max(jitter):.3f} ms")


def gate_close_latency(binary, runs=10, max_age_ms=500, probe_ms=100):
    latencies, last_pet_after_stale = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            heartbeat = os.path.join(tmp, "alive")
            extra = (f"[watchdog]\ntimeout_s = 30\npet_interval_ms = 100\n[[health.file_check]]\n"
                     f'name = "app"\npath = "{heartbeat}"\nmax_age_ms = {max_age_ms}\n'
                     f"interval_ms = {probe_ms}\n")
            config = write_config(tmp, extra)
            open(heartbeat, "w").close()
            proc = start(binary, config, tmp)
            time.sleep(0.3)
            os.utime(heartbeat)
            touched = time.monotonic()
            stale_ns = int((touched + max_age_ms / 1000.0) * 1e9)
            time.sleep((max_age_ms + 4 * probe_ms) / 1000.0 + 0.5)
            stop(proc)
            events = json.loads(subprocess.run(
                [binary, "events", "--config", config, "--json"], capture_output=True,
                text=True, check=True).stdout)
            stopped = [e for e in events if e["kind"] == "watchdog_petting_stopped"]
            if not stopped:
                print("gate_close_latency: the gate did not close", file=sys.stderr)
                continue
            latencies.append((stopped[0]["monotonic_us"] * 1000 - stale_ns) / 1e6)
            pets = pet_times_ns(tmp)
            last_pet_after_stale.append((pets[-1] - stale_ns) / 1e6)
    print(f"gate_close_latency: heartbeat stale -> petting stopped ({runs} runs, probe every "
          f"{probe_ms} ms): median {statistics.median(latencies):.1f} ms, "
          f"max {max(latencies):.1f} ms; last pet relative to stale moment: max "
          f"{max(last_pet_after_stale):.1f} ms")


def idle_cost(binary, seconds=20):
    ticks_per_s = os.sysconf("SC_CLK_TCK")
    with tempfile.TemporaryDirectory() as tmp:
        config = write_config(tmp, "[watchdog]\ntimeout_s = 15\n")
        proc = start(binary, config, tmp)
        time.sleep(2)

        def cpu_ticks():
            with open(f"/proc/{proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return int(fields[11]) + int(fields[12])

        def status_kb(key):
            with open(f"/proc/{proc.pid}/status") as f:
                for line in f:
                    if line.startswith(key + ":"):
                        return int(line.split()[1])
            return -1

        before, pets_before = cpu_ticks(), len(pet_times_ns(tmp))
        time.sleep(seconds)
        after, pets_after = cpu_ticks(), len(pet_times_ns(tmp))
        rss, anon = status_kb("VmRSS"), status_kb("RssAnon")
        locked = status_kb("VmLck")
        stop(proc)
    print(f"idle: {after - before} CPU ticks ({ticks_per_s}/s) over {seconds} s with "
          f"{pets_after - pets_before} pets; VmRSS {rss} kB, RssAnon {anon} kB, VmLck {locked} kB")


def led_jitter(binary, seconds=24):
    """Status LED edges on the sim board vs the documented timings (docs/signals.md):
    healthy heartbeat, then a warning's blink code (a rejected reload)."""
    with tempfile.TemporaryDirectory() as tmp:
        config = write_config(tmp, "")
        proc = start(binary, config, tmp)
        time.sleep(seconds / 2)
        with open(config, "a") as f:
            f.write("[watchdog\n")  # config_rejected: 3 long, 1 short
        hup_ns = time.monotonic_ns()
        proc.send_signal(signal.SIGHUP)
        time.sleep(seconds / 2)
        stop(proc)
        edges = []
        with open(os.path.join(tmp, "state/sim/lines/status_led.log")) as f:
            for line in f:
                ns, value = line.split()
                edges.append((int(ns), int(value)))
    documented_on = [50, 150, 600]
    documented_off = [300, 1500, 1950]
    errors = []
    for (t0, v0), (t1, _) in zip(edges, edges[1:]):
        if t0 <= hup_ns + 200_000_000 and t1 >= hup_ns:
            continue  # the interval cut short by the switch from heartbeat to blink code
        ms = (t1 - t0) / 1e6
        options = documented_on if v0 == 1 else documented_off
        errors.append(min(abs(ms - o) for o in options))
    errors = errors[1:-1]  # the first starts at the line's request, the last is cut by the stop
    print(f"led_jitter: {len(errors)} LED intervals vs documented timings: |error| p50 "
          f"{percentile(errors, 50):.3f} ms, p99 {percentile(errors, 99):.3f} ms, "
          f"max {max(errors):.3f} ms")


def binary_size(binary):
    with tempfile.TemporaryDirectory() as tmp:
        stripped = os.path.join(tmp, "lifeline")
        shutil.copy(binary, stripped)
        subprocess.run(["strip", stripped], check=True)
        print(f"binary: {os.path.getsize(stripped)} bytes stripped "
              f"({os.path.getsize(binary)} unstripped)")


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build/bench")
    binary = os.path.join(build, "lifeline")
    binary_size(binary)
    idle_cost(binary)
    pet_jitter(binary)
    gate_close_latency(binary)
    led_jitter(binary)


if __name__ == "__main__":
    main()
