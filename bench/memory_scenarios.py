#!/usr/bin/env python3
"""The memory guard's numbers on this machine, with the real lifeline binary.

Usage: bench/memory_scenarios.py BUILD_DIR [--runs N] [--idle-seconds S] [--psi-only|--relief-only]

1. Relief latency. A hog grows 50 MiB/s inside a 128 MiB memory cgroup the script creates;
   lifeline watches the cgroup and relieves below 50 % headroom (SIGTERM, 500 ms grace).
   Reported per run, from the black box and the hog's own CLOCK_MONOTONIC stamps:
     wake -> decision   the loop woke (timer or PSI trigger) until the relief was decided
     decision -> signal the relief record (synced to disk first) until SIGTERM arrived
     wake -> signal     the two above, per run: what follows a PSI trigger's wake-up
     64 MiB -> signal   the hog reached 64 MiB (about the crossing) until SIGTERM arrived;
                        includes waiting for the next sample (fast_sample_interval_ms)
2. PSI event -> first action. Two readers thrash a 96 MiB file through a 64 MiB memory
   cgroup until the box's PSI `some` trigger fires; memory is plentiful, so lifeline's
   first action is the warning the stall alone raises. Timed against the bench's own PSI
   trigger, registered like lifeline's on the same file (the kernel fires both in one pass).
3. Idle cost. lifeline on the sim board for S seconds with the guard off, then on (default
   intervals, SSH probe on): CPU ticks used, wakeups of the loop, resident memory.
Needs root (cgroups, /dev/kmsg). The hog and lifeline are ended by PID.
"""
import argparse
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
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


def status(binary, config):
    out = subprocess.run([binary, "status", "--config", config, "--json"], capture_output=True,
                         text=True, timeout=30).stdout
    return json.loads(out) if out.strip() else {}


def relief_run(binary, hog, tmp, reserve_kib=None):
    """One relief; reserve_kib None leaves act_reserve_kib at its default."""
    cg_dir, cg_path = make_cgroup(128 * MiB)
    agent = hog_proc = None
    try:
        config = write_config(tmp, (
            "[memory]\nenabled = true\nsample_interval_ms = 500\nfast_sample_interval_ms = 100\n"
            "warn_available_percent = 80\nrelieve_available_percent = 50\nkill_available_percent = 0\n"
            f"eta_relieve_s = 0\ngrace_ms = 500\nvictim_cgroup = \"{cg_path}\"\n"
            + (f"act_reserve_kib = {reserve_kib}\n" if reserve_kib is not None else "") +
            "[memory.ssh]\nenabled = false\n"
            f"[[memory.watch]]\nname = \"bench\"\ncgroup = \"{cg_path}\"\n"))
        log = open(os.path.join(tmp, "out.log"), "w")
        agent = subprocess.Popen([binary, "run", "--config", config, "--console"], stdout=log, stderr=log)
        if not wait_for(lambda: "watchdog_opened" in open(log.name).read(), 10):
            raise RuntimeError("lifeline did not start: " + open(log.name).read())
        guard = status(binary, config).get("memory", {})
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
        exited = [e for e in events(binary, config) if e["kind"] == "memory_victim_exited"
                  and e["fields"].get("pid") == str(hog_proc.pid)]
        faults = int(exited[0]["fields"].get("act_page_faults", -1)) if exited else None
        grew = int(exited[0]["fields"].get("act_heap_grew_bytes", 0)) if exited else None
        sig_us = int(stamps["sigterm"]) / 1000.0
        return {
            "wake_to_decision_ms": int(r["fields"]["wake_to_decision_us"]) / 1000.0,
            "decision_to_signal_ms": (sig_us - r["monotonic_us"]) / 1000.0,
            "mark_to_signal_ms": (sig_us - int(stamps["mark"]) / 1000.0) / 1000.0 if "mark" in stamps else None,
            "trigger": r["fields"].get("trigger"),
            "act_page_faults": faults,
            "act_heap_grew_bytes": grew,
            "reserve_bytes": guard.get("act_reserve_bytes"),
            "rehearsal_bytes": guard.get("act_rehearsal_bytes"),
        }
    finally:
        if hog_proc and hog_proc.poll() is None:
            hog_proc.kill()
            hog_proc.wait()
        if agent:
            agent.kill()
            agent.wait()
        remove_cgroup(cg_dir)


class PsiObserver:
    """The bench's own trigger on /proc/pressure/memory, registered like lifeline's (a 1 s
    window, or the 2 s an unprivileged opener needs, the stall scaled alike), so the kernel
    fires both in the same pass. Each event's CLOCK_MONOTONIC wake time is kept."""

    def __init__(self, kind="some", stall_us=150000, window_us=1000000):
        self.fd = os.open("/proc/pressure/memory", os.O_RDWR | os.O_NONBLOCK)
        try:
            os.write(self.fd, f"{kind} {stall_us} {window_us}\0".encode())
        except OSError:  # no CAP_SYS_RESOURCE: windows must be multiples of 2 s
            os.close(self.fd)
            self.fd = os.open("/proc/pressure/memory", os.O_RDWR | os.O_NONBLOCK)
            os.write(self.fd, f"{kind} {stall_us * 2} {window_us * 2}\0".encode())
        self.events_ns = []
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        poller = select.poll()
        poller.register(self.fd, select.POLLPRI)
        while self.running:
            for _ in poller.poll(200):
                self.events_ns.append(time.monotonic_ns())

    def close(self):
        self.running = False
        self.thread.join()
        os.close(self.fd)


def thrasher(cg_dir, path, seconds):
    """Reads `path` (larger than the cgroup's limit) over and over from inside the cgroup:
    every pass evicts and refaults the page cache, and those refaults are memory stalls."""
    code = ("import os,sys,time\nfd=os.open(sys.argv[1],os.O_RDONLY)\nn=os.fstat(fd).st_size\n"
            "end=time.monotonic()+float(sys.argv[2])\nwhile time.monotonic()<end:\n"
            " o=0\n while o<n:\n  os.pread(fd,1<<20,o); o+=1<<20\n")
    def enter():
        with open(f"{cg_dir}/cgroup.procs", "w") as f:
            f.write(str(os.getpid()))
    return subprocess.Popen([sys.executable, "-c", code, path, str(seconds)], preexec_fn=enter)


def psi_run(binary, tmp, thrash_file):
    """A real PSI event to the first action. Memory is plentiful (this box's MemAvailable is
    far above the warn level), so only the trigger can move the ladder: two readers thrash
    a 96 MiB file through a 64 MiB memory cgroup, the box's `some` stall crosses lifeline's
    trigger, and a stall is a warning (memory_low, a top-RSS snapshot). The first action is
    the level-change record, timed against the bench's own trigger on the same file."""
    cg_dir, _ = make_cgroup(64 * MiB)
    agent = observer = None
    readers = []
    # The last run's pages went to the parent cgroup when its cgroup was removed; cached
    # there, they would be read without a charge, a reclaim or a stall. Drop them.
    fd = os.open(thrash_file, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)
    try:
        config = write_config(tmp, "[memory]\nenabled = true\n[memory.ssh]\nenabled = false\n")
        log = open(os.path.join(tmp, "out.log"), "w")
        agent = subprocess.Popen([binary, "run", "--config", config, "--console"], stdout=log,
                                 stderr=log)
        if not wait_for(lambda: "watchdog_opened" in open(log.name).read(), 10):
            raise RuntimeError("lifeline did not start: " + open(log.name).read())
        guard = status(binary, config).get("memory", {})
        time.sleep(1)
        observer = PsiObserver()
        readers = [thrasher(cg_dir, thrash_file, 30) for _ in range(2)]
        def warned():
            every = events(binary, config)
            changes = [e for e in every if e["kind"] == "memory_level_changed"
                       and e["fields"].get("level") != "normal"]
            snapshots = [e for e in every if e["kind"] == "memory_snapshot"
                         and "entered" in e.get("message", "")]
            return (changes, snapshots, every) if changes and snapshots else None
        found = None
        end = time.monotonic() + 30
        while time.monotonic() < end and not found:
            time.sleep(0.5)
            found = warned()
        if not found:
            seen = sorted({e["kind"] for e in events(binary, config)})
            return {"trigger": f"none in 30 s ({len(observer.events_ns)} bench trigger events; "
                               f"records: {', '.join(seen)})"}
        r = found[0][0]
        fault = [e for e in found[2] if e["kind"] == "fault_raised" and e.get("fault") == "memory_low"]
        if r["fields"].get("trigger") != "psi" or not observer.events_ns:
            return {"trigger": r["fields"].get("trigger")}
        action_us = r["monotonic_us"]
        wake_us = action_us - int(r["fields"]["wake_to_action_us"])
        # The observer's event of the same kernel pass: the one nearest lifeline's wake.
        event_us = min((ns / 1000.0 for ns in observer.events_ns), key=lambda t: abs(t - wake_us))
        return {
            "trigger": "psi",
            "event_to_wake_ms": (wake_us - event_us) / 1000.0,
            "event_to_action_ms": (action_us - event_us) / 1000.0,
            "wake_to_action_ms": int(r["fields"]["wake_to_action_us"]) / 1000.0,
            "event_to_fault_ms": (fault[0]["monotonic_us"] - event_us) / 1000.0 if fault else None,
            "event_to_snapshot_ms": (found[1][0]["monotonic_us"] - event_us) / 1000.0,
            "level": r["fields"].get("level"),
        }
    finally:
        for reader in readers:
            if reader.poll() is None:
                reader.kill()
            reader.wait()
        if observer:
            observer.close()
        if agent:
            agent.send_signal(signal.SIGTERM)
            try:
                agent.wait(timeout=10)
            except subprocess.TimeoutExpired:
                agent.kill()
                agent.wait()
        remove_cgroup(cg_dir)


def report_psi(build, runs):
    if not os.path.exists("/proc/pressure/memory"):
        print("PSI event -> first action: skipped, this kernel has no PSI")
        return
    thrash_file = os.path.join(build, "psi-thrash.bin")  # on disk: tmpfs pages never refault
    with open(thrash_file, "wb") as f:
        for _ in range(96):
            f.write(os.urandom(MiB))
        # Written back and dropped: its pages are charged to the cgroup that reads them in
        # next (the readers'), not to this process's.
        f.flush()
        os.fsync(f.fileno())
        os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
    results, others = [], []
    try:
        for _ in range(runs):
            with tempfile.TemporaryDirectory(prefix="lifeline-membench-") as tmp:
                r = psi_run(os.path.join(build, "lifeline"), tmp, thrash_file)
            (results if r and r["trigger"] == "psi" else others).append(r)
    finally:
        os.remove(thrash_file)
    print(f"PSI event -> first action ({len(results)}/{runs} runs woken by PSI; others: "
          f"{[o and o['trigger'] for o in others]}):")
    print("  event -> loop wake:   " + percentiles([r["event_to_wake_ms"] for r in results]))
    print("  wake -> level record: " + percentiles([r["wake_to_action_ms"] for r in results]))
    print("  event -> level record (goal <= 20 ms): "
          + percentiles([r["event_to_action_ms"] for r in results]))
    print("  event -> memory_low raised: "
          + percentiles([r["event_to_fault_ms"] for r in results if r["event_to_fault_ms"] is not None]))
    print("  event -> top-RSS snapshot recorded (a /proc scan): "
          + percentiles([r["event_to_snapshot_ms"] for r in results]))


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
    parser.add_argument("--psi-only", action="store_true", help="only the PSI event -> action runs")
    parser.add_argument("--relief-only", action="store_true", help="only the relief runs")
    args = parser.parse_args()
    binary = os.path.join(args.build, "lifeline")
    hog = os.path.join(args.build, "memory_hog")
    if os.geteuid() != 0:
        print("memory scenarios: skipped, root is needed for cgroups")
        return 0
    if args.psi_only:  # needs no hog
        report_psi(args.build, args.runs)
        return 0
    if not os.path.exists(hog):
        print(f"memory scenarios: {hog} is missing (build with tests)")
        return 1
    if not args.relief_only:
        report_psi(args.build, args.runs)
    # The default reserve (act_reserve_kib, sized up from the rehearsal where that needs
    # more) against the old fixed 2 MiB and against none, interleaved so load hits all three.
    arms = {"default": None, "2048": 2048, "0": 0}
    by_arm = {name: [] for name in arms}
    for i in range(args.runs):
        for name, kib in arms.items():
            if name != "default" and i >= max(3, args.runs // 4):
                continue
            with tempfile.TemporaryDirectory(prefix="lifeline-membench-") as tmp:
                r = relief_run(binary, hog, tmp, reserve_kib=kib)
                if r:
                    by_arm[name].append(r)
    results = by_arm["default"]
    print(f"memory guard relief ({len(results)}/{args.runs} runs ended in a relief):")
    print("  wake -> decision:    " + percentiles([r["wake_to_decision_ms"] for r in results]))
    print("  decision -> SIGTERM: " + percentiles([r["decision_to_signal_ms"] for r in results]))
    print("  wake -> SIGTERM:     " + percentiles([r["wake_to_decision_ms"] + r["decision_to_signal_ms"]
                                                   for r in results]))
    print("  64 MiB -> SIGTERM:   " + percentiles([r["mark_to_signal_ms"] for r in results
                                                   if r["mark_to_signal_ms"] is not None]))
    print("  triggers: " + ", ".join(sorted({r["trigger"] for r in results})))
    for name, runs in by_arm.items():
        sizes = sorted({(r["reserve_bytes"], r["rehearsal_bytes"]) for r in runs})
        faults = [r["act_page_faults"] for r in runs if r["act_page_faults"] is not None]
        grew = [r["act_heap_grew_bytes"] for r in runs if r["act_heap_grew_bytes"] is not None]
        print(f"  act_reserve_kib {name} (reserve, rehearsal peak bytes: {sizes}):")
        print("    page faults on the act path (wake -> SIGTERM): "
              + percentiles(faults, unit="faults")
              + f"; none in {sum(1 for f in faults if f == 0)} of {len(faults)} runs")
        print("    heap taken from the kernel on the act path:     "
              + percentiles(grew, unit="bytes"))
    if args.relief_only:
        return 0
    for on in (False, True):
        with tempfile.TemporaryDirectory(prefix="lifeline-membench-") as tmp:
            ticks, rss = idle_run(binary, tmp, on, args.idle_seconds)
        hz = os.sysconf("SC_CLK_TCK")
        print(f"idle {args.idle_seconds} s, memory guard {'on ' if on else 'off'}: "
              f"{ticks} CPU ticks ({ticks / hz * 1000:.0f} ms CPU), VmRSS {rss} kB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
