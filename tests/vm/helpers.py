"""What every vm-tier scenario uses: assertions that say what was expected, notes for the
log, polling with a deadline, and reading the guest (boot, lifeline's status and records)."""

import time


class Skip(Exception):
    pass


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def note(message):
    print(f"  - {message}", flush=True)


def status(vm):
    return vm.ssh_json("lifeline status --json")


def fault_names(st):
    return [f.get("fault") for f in st.get("faults", [])]


def wait_until(what, predicate, timeout, interval=0.5):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")


def boot(vm, count=1):
    t, fields = vm.wait_ready(count=count)
    note(f"boot #{count}: RIG-READY after {t - vm.started_at:.1f} s (guest uptime "
         f"{fields.get('uptime')} s), lifeline {fields.get('lifeline')}")
    return fields


def guest_now_us(vm):
    return int(vm.ssh("date +%s%6N").strip())


def events_since(vm, guest_us, kind=None):
    return [e for e in vm.events() if e["realtime_us"] >= guest_us and
            (kind is None or e["kind"] == kind)]
