"""The guest kernel's scheduler trace around one SIGKILL of the app (LIFELINE_VM_SCHED_TRACE=1
in the stop latency benchmark): where the time between the kill and lifeline's detection
went. The stamps in lifeline's record only start when its loop runs; this shows the part
before, from ftrace's sched events: when the app really exited, when lifeline's loop
thread was woken, how long it then waited for a CPU, and what ran there meanwhile.

Times are relative to a trace_marker line written by the killing shell right after it
read $EPOCHREALTIME and right before the kill, so they line up with the record's stamps.
The trace clock is "mono": the default "local" clock is per CPU, and the TCG guest's
per-CPU clocks (unsynchronised TSCs) disagreed by up to ~8 ms, so an event on one vCPU
could not be placed against the marker written on the other."""

import re

TRACEFS = "/sys/kernel/tracing"
EVENTS = ("sched/sched_switch", "sched/sched_wakeup", "sched/sched_process_exit")
MARKER = "LIFELINE-T0"

# "   bash-412     [001] d..2.   123.456789: sched_switch: prev_comm=... "
LINE = re.compile(r"^\s*(?P<task>.+?)-(?P<pid>\d+)\s+\[(?P<cpu>\d+)\]\s+\S+\s+"
                  r"(?P<ts>\d+\.\d+):\s+(?P<event>\w+):\s*(?P<rest>.*)$")


def setup_command():
    """Shell for the guest: tracefs mounted, the sched events on, a buffer large enough."""
    enable = "; ".join(f"echo 1 > events/{e}/enable" for e in EVENTS)
    return (f"mountpoint -q {TRACEFS} || mount -t tracefs nodev {TRACEFS}; cd {TRACEFS} && "
            f"echo 0 > tracing_on && echo mono > trace_clock && echo 2048 > buffer_size_kb && {enable}")


def start_command():
    return f"cd {TRACEFS} && echo > trace && echo 1 > tracing_on"


def trigger_prefix():
    """Goes between the shell's $EPOCHREALTIME and its kill."""
    return f"echo {MARKER} > {TRACEFS}/trace_marker; "


def stop_command():
    return f"cd {TRACEFS} && echo 0 > tracing_on && cat trace"


def parse(text):
    out = []
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            out.append((float(m["ts"]), int(m["cpu"]), m["task"].strip(), int(m["pid"]),
                        m["event"], m["rest"]))
    return out


def _field(rest, key):
    m = re.search(rf"\b{key}=(\S+)", rest)
    return m.group(1) if m else None


def timeline(events, tid, start, end, ms):
    """lifeline's loop thread between two trace times: woken (by whom), on a CPU, off it
    (S: went to sleep, R: preempted while runnable), with the task that took the CPU."""
    out = []
    for ts, cpu, task, pid, event, rest in events:
        if ts < start or ts > end:
            continue
        if event == "sched_wakeup" and _field(rest, "pid") == str(tid):
            out.append((ms(ts), f"woken by {task}-{pid}"))
        elif event == "sched_switch" and _field(rest, "next_pid") == str(tid):
            out.append((ms(ts), f"on cpu{cpu} after {_field(rest, 'prev_comm')}"))
        elif event == "sched_switch" and _field(rest, "prev_pid") == str(tid):
            out.append((ms(ts), f"off cpu{cpu} ({_field(rest, 'prev_state')}) for "
                                f"{_field(rest, 'next_comm')}-{_field(rest, 'next_pid')}"))
    return out


def analyse(text, app_pid, lifeline_tid, until_ms=None):
    """ms from the marker: the app's exit, lifeline woken (or already running), lifeline on
    a CPU; which tasks ran on that CPU between the wake-up and lifeline's turn; and, up to
    `until_ms` (the detection), lifeline's own timeline."""
    events = parse(text)
    t0 = next((e[0] for e in events if e[4] == "tracing_mark_write" and MARKER in e[5]), None)
    if t0 is None:
        return {"error": "no marker in the trace"}
    ms = lambda t: round((t - t0) * 1000, 3)  # noqa: E731
    exit_t = next((e[0] for e in events if e[0] >= t0 and e[4] == "sched_process_exit"
                   and _field(e[5], "pid") == str(app_pid)), None)
    if exit_t is None:
        return {"error": f"no sched_process_exit of {app_pid}"}
    running = False  # was lifeline's loop thread on a CPU when the app exited?
    for ts, _, _, _, event, rest in events:
        if ts > exit_t or event != "sched_switch":
            continue
        if _field(rest, "next_pid") == str(lifeline_tid):
            running = True
        elif _field(rest, "prev_pid") == str(lifeline_tid):
            running = False
    result = {"app_exit": ms(exit_t), "lifeline_running_at_exit": running}
    if until_ms is not None:
        result["timeline"] = timeline(events, lifeline_tid, exit_t, t0 + until_ms / 1000 + 1e-3,
                                      ms)
    if running:
        return result
    wake = next((e for e in events if e[0] >= exit_t and e[4] == "sched_wakeup"
                 and _field(e[5], "pid") == str(lifeline_tid)), None)
    if wake is None:
        return dict(result, error="no wake-up of lifeline after the exit")
    target = _field(wake[5], "target_cpu")
    cpu = int(target) if target is not None else wake[1]
    on_cpu = next((e for e in events if e[0] >= wake[0] and e[4] == "sched_switch"
                   and _field(e[5], "next_pid") == str(lifeline_tid)), None)
    result.update(woken=ms(wake[0]), woken_by=f"{wake[2]}-{wake[3]}", cpu=cpu)
    if on_cpu is None:
        return dict(result, error="lifeline never got a CPU in the trace")
    result["on_cpu"] = ms(on_cpu[0])
    # Who held lifeline's CPU between its wake-up and its turn, and for how long.
    held = {}
    current, since = None, wake[0]
    for ts, c, task, pid, event, rest in events:
        if c != on_cpu[1] or event != "sched_switch" or ts < since:
            continue
        name = f"{_field(rest, 'prev_comm')}-{_field(rest, 'prev_pid')}"
        held[name] = held.get(name, 0.0) + (ts - (current or since)) * 1000
        current = ts
        if ts >= on_cpu[0]:
            break
    result["cpu_held_by_ms"] = {k: round(v, 3) for k, v in
                                sorted(held.items(), key=lambda kv: -kv[1]) if v >= 0.05}
    return result
