"""lifeline doctor in the guest: at the agent's start and by hand, on the real devices."""

from helpers import check, note, wait_until


def doctor_on_real_devices(vm):
    """lifeline doctor at start and by hand, on i6300esb, gpio-sim and ttyS1, which lifeline
    holds itself (not a finding); then another process holding the motor port is one."""
    reports = wait_until("the agent's doctor_report",
                         lambda: [e for e in vm.events("--boot 0") if e["kind"] == "doctor_report"],
                         timeout=150)  # a nice-10 child in a TCG guest; killed at 120 s
    problems = reports[-1]["fields"].get("findings", "")
    check(not [p for p in problems.split(",") if p.startswith("lifeline.")],
          f"doctor at start found lifeline itself wrong: {problems}")
    note(reports[-1]["message"])

    def doctor_findings(prefix):
        report = vm.ssh_json("lifeline doctor --json || true", timeout=120)
        return [f for f in report["findings"] if f["id"].startswith(prefix)]

    own = [f for f in doctor_findings("lifeline.") if f["severity"] != "info"]
    check([f["id"] for f in own] == ["lifeline.ok"], f"doctor on lifeline itself: {own}")
    for device in ("watchdog=/dev/watchdog0", "motor_serial=/dev/ttyS1",
                   "motor_enable=gpio-sim line 2", "status_led=gpio-sim line 0"):
        check(device in own[0]["seen"], f"{device} not checked: {own[0]['seen']}")
    note(f"lifeline doctor: {own[0]['seen']}")
    holder = vm.ssh("sh -c 'exec 3<>/dev/ttyS1; exec sleep 300' >/dev/null 2>&1 & echo $!").strip()
    try:
        busy = [f for f in doctor_findings("lifeline.") if f["id"] == "lifeline.device-busy"]
        check(busy and f"held by PID {holder} (sleep)" in busy[0]["seen"],
              f"a second holder of ttyS1 (PID {holder}) not found: {busy}")
        note(f"a second process on the motor port: {busy[0]['title']}: {busy[0]['seen']}")
    finally:
        vm.ssh(f"kill {holder}", check=False)
