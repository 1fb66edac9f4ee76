#!/usr/bin/env python3
"""The memory guard's numbers on this machine, with the real lifeline binary.

Usage: bench/memory_scenarios.py BUILD_DIR [--runs N] [--idle-seconds S]

1. Relief latency. A hog grows 50 MiB/s inside a 128 MiB memory cgroup the script creates;
   lifeline watches the cgroup and relieves below 50 % headroom (SIGTERM, 500 ms grace).
   Reported per run, from the black box and the hog's own CLOCK_MONOTONIC stamps:
     wake -> decision   the loop woke (timer or PSI trigger) until the relief was decided
     decision -> signal the relief record (synced to disk first) until SIGTERM arrived
     wake -> signal     the two above, per run: what follows a PSI trigger's wake-up
     64 MiB -> signal   the hog reached 64 MiB (about the crossing) until SIGTERM arrived;
                        includes waiting for the next sample (fast_sample_interval_ms)
2. Idle cost. lifeline on the sim board for S seconds with the guard off, then on (default
   intervals, SSH probe on): CPU ticks used, wakeups of the loop, resident memory.
Needs root (cgroups, /dev/kmsg). The hog and lifeline are ended by PID.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MiB = 1024 * 1024


def percentiles(samples, unit="ms"):
    s = sorted(samples)
    if not s:
        return "no samples"
    pick = lambda p: s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]
    return f"p50 {pick(50):.2f} {unit}, p99 {pick(99):.2f} {unit}, max {s[-1]:.2f} {unit} (n={len(s)})"


def make_cgroup(limit):
    name = f"lifeline-bench-{os.getpid()}-{time.monotonic_ns()}"
    v2 = "/sys/fs/cgroup"
    if os.path.exists(f"{v2}/cgroup.controllers") and "memory" in open(f"{v2}/cgroup.subtree_control").read():
        d = f"{v2}/{name}"
        os.mkdir(d)
        open(f"{d}/memory.max", "w").write(str(limit))
        return d, "/" + name
    d = f"/sys/fs/cgroup/memory/{name}"
    os.mkdir(d)
    open(f"{d}/memory.limit_in_bytes", "w").write(str(limit))
    return d, "/" + name


def remove_cgroup(d):
    for _ in range(200):
        pids = open(f"{d}/cgroup.procs").read().split()
        for pid in pids:
            os.kill(int(pid), signal.SIGKILL)  # only the bench's own hog is ever in it
        if not pids:
            try:
                os.rmdir(d)
                return
            except OSError:
                pass
        time.sleep(0.02)


def write_config(tmp, extra):
    path = os.path.join(tmp, "lifeline.toml")
    with open(path, "w") as f:
        f.write(f'[agent]\nboard = "{ROOT}/board/sim.toml"\nstate_dir = "{tmp}/state"\n'
                f'control_socket = "{tmp}/control.sock"\n{extra}')
    return path


def events(binary, config):
    out = subprocess.run([binary, "events", "--config", config, "--json"], capture_output=True,
                         text=True, timeout=30).stdout
    return json.loads(out) if out.strip() else []


def wait_for(predicate, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def relief_run(binary, hog, tmp):
    cg_dir, cg_path = make_cgroup(128 * MiB)
    agent = hog_proc = None
    try:
        config = write_config(tmp, (
            "[memory]\nenabled = true\nsample_interval_ms = 500\nfast_sample_interval_ms = 100\n"
            "warn_available_percent = 80\nrelieve_available_percent = 50\nkill_available_percent = 0\n"
            f"eta_relieve_s = 0\ngrace_ms = 500\nvictim_cgroup = \"{cg_path}\"\n"
            "[memory.ssh]\nenabled = false\n"
            f"[[memory.watch]]\nname = \"bench\"\ncgroup = \"{cg_path}\"\n"))
        log = open(os.path.join(tmp, "out.log"), "w")
        agent = subprocess.Popen([binary, "run", "--config", config, "--console"], stdout=log, stderr=log)
        if not wait_for(lambda: "watchdog_opened" in open(log.name).read(), 10):
            raise RuntimeError("lifeline did not start: " + open(log.name).read())
        times = os.path.join(tmp, "hog.times")
        hog_proc = subprocess.Popen([hog, "--cgroup", cg_dir, "--name", "benchhog", "--hold", "8",
                                     "--rate", "50", "--max", "120", "--delay", "1", "--mark", "64",
                                     "--times", times], stdout=subprocess.DEVNULL)
        hog_proc.wait(timeout=30)
        stamps = dict(line.split() for line in open(times).read().splitlines())
        wait_for(lambda: any(e["kind"] == "memory_victim_exited" for e in events(binary, config)), 5)
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=10)
        agent = None
        relief = [e for e in events(binary, config)
                  if e["kind"] == "memory_relief" and e["fields"].get("pid") == str(hog_proc.pid)]
        if not relief or "sigterm" not in stamps:
            return None
        r = relief[0]
        sig_us = int(stamps["sigterm"]) / 1000.0
        return {
            "wake_to_decision_ms": int(r["fields"]["wake_to_decision_us"]) / 1000.0,
            "decision_to_signal_ms": (sig_us - r["monotonic_us"]) / 1000.0,
            "mark_to_signal_ms": (sig_us - int(stamps["mark"]) / 1000.0) / 1000.0 if "mark" in stamps else None,
            "trigger": r["fields"].get("trigger"),
        }
    finally:
        if hog_proc and hog_proc.poll() is None:
            hog_proc.kill()
            hog_proc.wait()
        if agent:
            agent.kill()
            agent.wait()
        remove_cgroup(cg_dir)


def proc_ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def proc_rss_kb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def idle_run(binary, tmp, memory_on, seconds):
    extra = "[memory]\nenabled = true\n" if memory_on else ""
    config = write_config(tmp, extra)
    log = open(os.path.join(tmp, "out.log"), "w")
    agent = subprocess.Popen([binary, "run", "--config", config, "--console"], stdout=log, stderr=log)
    try:
        wait_for(lambda: "watchdog_opened" in open(log.name).read(), 10)
        time.sleep(2)  # start-up done
        before = proc_ticks(agent.pid)
        time.sleep(seconds)
        ticks = proc_ticks(agent.pid) - before
        return ticks, proc_rss_kb(agent.pid)
    finally:
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=10)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--idle-seconds", type=int, default=60)
    args = parser.parse_args()
    binary = os.path.join(args.build, "lifeline")
    hog = os.path.join(args.build, "memory_hog")
    if os.geteuid() != 0:
        print("memory scenarios: skipped, root is needed for cgroups")
        return 0
    if not os.path.exists(hog):
        print(f"memory scenarios: {hog} is missing (build with tests)")
        return 1
    results = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="lifeline-membench-") as tmp:
            r = relief_run(binary, hog, tmp)
            if r:
                results.append(r)
    print(f"memory guard relief ({len(results)}/{args.runs} runs ended in a relief):")
    print("  wake -> decision:    " + percentiles([r["wake_to_decision_ms"] for r in results]))
    print("  decision -> SIGTERM: " + percentiles([r["decision_to_signal_ms"] for r in results]))
    print("  wake -> SIGTERM:     " + percentiles([r["wake_to_decision_ms"] + r["decision_to_signal_ms"]
                                                   for r in results]))
    print("  64 MiB -> SIGTERM:   " + percentiles([r["mark_to_signal_ms"] for r in results
                                                   if r["mark_to_signal_ms"] is not None]))
    print("  triggers: " + ", ".join(sorted({r["trigger"] for r in results})))
    for on in (False, True):
        with tempfile.TemporaryDirectory(prefix="lifeline-membench-") as tmp:
            ticks, rss = idle_run(binary, tmp, on, args.idle_seconds)
        hz = os.sysconf("SC_CLK_TCK")
        print(f"idle {args.idle_seconds} s, memory guard {'on ' if on else 'off'}: "
              f"{ticks} CPU ticks ({ticks / hz * 1000:.0f} ms CPU), VmRSS {rss} kB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
