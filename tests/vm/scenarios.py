"""The vm tier's scenarios: each boots a fresh guest (clean overlay) and asserts what can be
observed from outside it: QMP events, bytes on the motor UART, gpio-sim line values, black
box records, sshd banners. A scenario whose capability is not built yet raises Skip with
the reason; the runner reports it as skipped ("not yet run"), never as passed.
Watchdog, motion and signal scenarios are here; the memory scenarios are in
scenarios_memory.py, the duplicate-service ones in scenarios_exclusivity.py, and what they
share in helpers.py. SCENARIOS below is the registry run.py and ctest read.
"""

import json
import os
import time

# Skip is run.py's too: a scenario raises it when its capability is missing.
from helpers import Skip, boot, check, fault_names, guest_now_us, note, status, wait_until  # noqa: F401
from probe import BannerProber, decode_blink_codes
from scenarios_doctor import doctor_on_real_devices
from scenarios_exclusivity import scenario_duplicates
from scenarios_footprint import scenario_footprint
from scenarios_user_unit import scenario_user_unit_watch
from scenarios_memory import (scenario_kernel_kill_recorded, scenario_memory_psi,
                              scenario_memory_pressure, scenario_memory_three_arms,
                              scenario_memory_vs_earlyoom, scenario_session_leak)
from scenarios_motion import (LINES, STOP_FRAME, arm, expect_stop, line_value,
                              scenario_motor_stop_latency, stop_parts, trigger_at)

# Flip to True when the capability lands (see docs/vm.md, "Turning a scenario on").
CAPABILITIES = {
    "memory_guard": True,  # the memory guard (issue 5)
    "rescue_page": True,  # the rescue web page
    "exclusivity": True,  # live service exclusivity (issue 6)
}

WATCHDOG_TIMEOUT_S = 10  # tests/vm/guest/etc/lifeline/lifeline.toml


# -- guest helpers ------------------------------------------------------------------------
def hang_lifeline_and_wait_reset(vm):
    """SIGSTOPs lifeline (a hang) and waits for the watchdog reset; returns the time from
    the last pet to QEMU's WATCHDOG event. The last pet is placed on the host clock by the
    arrival of `lifeline status` output (its last_pet_age_ms) on an open ssh session, a few
    ms after the guest printed it."""
    h0 = time.time()
    lines = vm.ssh_lines("lifeline status --json | tr -d '\\n'; echo; "
                         "systemctl kill -s SIGSTOP lifeline; echo stopped")
    t_status, text = lines[0]
    st = json.loads(text)
    check(st["watchdog"]["open"], "watchdog not open before the hang")
    check(lines[-1][1] == "stopped", f"SIGSTOP: {lines}")
    last_pet = t_status - (st["watchdog"]["last_pet_age_ms"] or 0) / 1000
    ev = vm.qmp.wait_event("WATCHDOG", since=h0, timeout=WATCHDOG_TIMEOUT_S + 30)
    check(ev["data"].get("action") == "reset", f"WATCHDOG event action {ev['data']}")
    vm.qmp.wait_event("RESET", since=h0, timeout=10)
    latency = ev["time"] - last_pet
    note(f"QMP WATCHDOG (action reset) {latency:.2f} s after the last pet "
         f"(timeout {st['watchdog']['timeout_s']} s)")
    return latency


# -- scenarios ----------------------------------------------------------------------------
def scenario_boot(vm):
    """Boot: lifeline active, i6300esb opened and petted, gpio-sim chip present, sshd."""
    fields = boot(vm)
    check(fields.get("lifeline") == "active", f"lifeline is {fields.get('lifeline')} at RIG-READY")
    t_banner, banner = vm.wait_banner(timeout=60)
    note(f"sshd banner {t_banner - vm.started_at:.1f} s after qemu start: {banner}")
    st = status(vm)
    wd = st["watchdog"]
    check(wd["open"] and wd["device"] == "/dev/watchdog0", f"watchdog: {wd}")
    note(f"watchdog {wd['device']} '{wd['identity']}', timeout {wd['timeout_s']} s, "
         f"pet every {wd['pet_interval_ms']} ms, boot status {wd['boot_status']}")
    check(wd["timeout_s"] == WATCHDOG_TIMEOUT_S, f"timeout {wd['timeout_s']}")
    # Two more pets need at least two pet intervals; wait three (plus a TCG margin) so the
    # check proves petting continues without depending on where in the period it started.
    pets0 = wd["pets"]
    window_s = 3 * wd["pet_interval_ms"] / 1000 + 2
    time.sleep(window_s)
    pets1 = status(vm)["watchdog"]["pets"]
    check(pets1 >= pets0 + 2, f"pets went {pets0} -> {pets1} in {window_s:.1f} s")
    note(f"pets {pets0} -> {pets1} in {window_s:.1f} s")
    check(st["history"]["last_start_reason"] == "first_start",
          f"start reason {st['history']['last_start_reason']}")
    chips = vm.ssh("gpiodetect")
    check("[gpio-sim]" in chips, f"gpiodetect: {chips}")
    info = vm.ssh("gpioinfo gpio-sim")
    for role in LINES:
        check(f'"{role}"' in info, f"gpio-sim line {role} not named: {info}")
    check('"lifeline"' in info, f"no line held by lifeline: {info}")
    note("gpio-sim chip 'gpio-sim' with lines held by consumer lifeline")
    check(not vm.qmp.named("WATCHDOG"), "a WATCHDOG event during a healthy boot")
    doctor_on_real_devices(vm)


def scenario_clean_stop(vm):
    """systemctl stop lifeline disarms (magic close): no reset; a clean reboot is clean_reboot."""
    boot(vm)
    t0 = time.time()
    vm.ssh("systemctl stop lifeline")
    time.sleep(WATCHDOG_TIMEOUT_S * 2 + 2)
    check(not vm.qmp.named("WATCHDOG", since=t0), "the board reset after a clean stop")
    check(vm.banner(), "sshd gone after a clean stop")
    events = vm.events()
    check(any(e["kind"] == "watchdog_disarmed" for e in events), "no watchdog_disarmed record")
    note(f"no WATCHDOG event {WATCHDOG_TIMEOUT_S * 2 + 2} s after the stop; watchdog_disarmed recorded")
    vm.ssh("systemctl start lifeline")
    st = status(vm)
    check(st["history"]["last_start_reason"] == "agent_restart",
          f"restart reason {st['history']['last_start_reason']}")
    note("restart: agent_restart")
    # A clean reboot is not a watchdog reset: i6300esb reports boot status 0.
    t0 = time.time()
    vm.ssh("systemctl reboot", check=False)
    boot(vm, count=2)
    st = status(vm)
    check(not vm.qmp.named("WATCHDOG", since=t0), "a WATCHDOG event during a clean reboot")
    check(st["history"]["last_start_reason"] == "clean_reboot",
          f"start reason after systemctl reboot: {st['history']['last_start_reason']}")
    check(st["watchdog"]["boot_status"] == 0, f"boot status {st['watchdog']['boot_status']}")
    check("unclean_reset" not in fault_names(st), f"faults {fault_names(st)}")
    note("systemctl reboot: clean_reboot, boot status 0, no unclean_reset")


def scenario_watchdog_hang(vm):
    """A hung lifeline (SIGSTOP) is reset by i6300esb; the next boot says watchdog_reset."""
    boot(vm)
    latency = hang_lifeline_and_wait_reset(vm)
    check(WATCHDOG_TIMEOUT_S - 1.5 <= latency <= WATCHDOG_TIMEOUT_S + 3,
          f"reset {latency:.2f} s after the last pet, timeout {WATCHDOG_TIMEOUT_S} s")
    boot(vm, count=2)
    st = status(vm)
    check(st["history"]["last_start_reason"] == "watchdog_reset",
          f"start reason after the reset: {st['history']['last_start_reason']}")
    check(st["watchdog"]["boot_status"] == 0x20, f"boot status {st['watchdog']['boot_status']}")
    check(st["history"]["boot_count"] == 2, f"boot count {st['history']['boot_count']}")
    check("unclean_reset" in fault_names(st), f"faults {fault_names(st)}")
    note(f"after reboot: last start after watchdog_reset, boot status 0x20 (WDIOF_CARDRESET), "
         f"boot count 2, fault unclean_reset")
    previous = vm.events("--boot -1")
    check(previous, "no records of the boot before the reset")
    note(f"black box of the previous boot: {len(previous)} records, last "
         f"'{previous[-1]['kind']}'")


def scenario_health_gate(vm):
    """A failing health check closes the gate: motors stopped, petting stops, the board resets."""
    boot(vm)
    h0 = time.time()
    vm.ssh("systemctl stop rig-alive")
    ev = vm.qmp.wait_event("WATCHDOG", since=h0, timeout=5 + WATCHDOG_TIMEOUT_S + 30)
    note(f"WATCHDOG reset {ev['time'] - h0:.1f} s after the health file went stale "
         f"(max_age 5 s + timeout {WATCHDOG_TIMEOUT_S} s)")
    boot(vm, count=2)
    previous = vm.events("--boot -1")
    kinds = [e["kind"] for e in previous]
    faults = [e["fault"] for e in previous if e["kind"] == "fault_raised"]
    check("health_gate_closed" in faults, f"previous boot's faults: {faults}")
    check("watchdog_petting_stopped" in kinds, f"previous boot's records: {kinds}")
    stops = [e for e in previous if e["kind"] == "motors_stopped"]
    check(stops, "no motors_stopped in the previous boot")
    note("previous boot recorded health_gate_closed, motors_stopped, watchdog_petting_stopped")
    check(status(vm)["history"]["last_start_reason"] == "watchdog_reset", "not watchdog_reset")


def scenario_lockout(vm):
    """Three watchdog resets within the window: boot-loop lockout, held until re-armed."""
    boot(vm)
    for n in range(1, 4):
        hang_lifeline_and_wait_reset(vm)
        boot(vm, count=n + 1)
    st = status(vm)
    check(st["history"]["lockout"], f"no lockout after 3 resets: {st['history']}")
    check("boot_loop_lockout" in fault_names(st), f"faults {fault_names(st)}")
    check(st["motion"]["state"] == "stopped", "motion not held stopped in lockout")
    rc = vm.ssh("lifeline check-lockout; echo rc=$?", check=False)
    check("rc=1" in rc, f"check-lockout: {rc}")
    note(f"lockout after 3 resets: {st['history']['lockout_reason']}; check-lockout exits 1")
    # Held, not boot-looping: petting goes on and the box stays reachable.
    t0 = time.time()
    pets0 = st["watchdog"]["pets"]
    time.sleep(WATCHDOG_TIMEOUT_S + 3)
    check(not vm.qmp.named("WATCHDOG", since=t0), "the board reset again during lockout")
    check(status(vm)["watchdog"]["pets"] > pets0, "no pets during lockout")
    note(f"no reset for {WATCHDOG_TIMEOUT_S + 3} s in lockout; still petting; sshd up")
    # Exits 1 while the motion re-arm is refused (no app here); the lockout is cleared.
    vm.ssh("lifeline rearm --clear-lockout", check=False)
    st = status(vm)
    check(not st["history"]["lockout"], "lockout not cleared")
    check("boot_loop_lockout" not in fault_names(st), "lockout fault still active")
    note("lifeline rearm --clear-lockout cleared it")


def scenario_motor_dead_man(vm):
    """The control app dies (SIGKILL), hangs (SIGSTOP), answers 500: each stops the motors."""
    boot(vm)
    prober = BannerProber(vm, interval=0.5).start()
    latencies = {}
    try:
        arm(vm)
        pid = vm.ssh("systemctl show -p MainPID --value rig-app").strip()
        t0 = time.time()
        # t0 from bash's $EPOCHREALTIME in the shell that sends the signal: no fork between
        # the timestamp and the kill (date's exit and the shell's wait were part of it).
        g0 = trigger_at(vm, f"kill -KILL {pid}")
        latencies["SIGKILL"] = stop_parts(expect_stop(vm, t0, g0, "app_dead", timeout=10), g0)

        arm(vm)
        pid = vm.ssh("systemctl show -p MainPID --value rig-app").strip()
        t0 = time.time()
        g0 = trigger_at(vm, f"kill -STOP {pid}")
        latencies["SIGSTOP"] = stop_parts(expect_stop(vm, t0, g0, "app_hung", timeout=15), g0)
        vm.ssh(f"kill -CONT {pid}")

        arm(vm)
        t0 = time.time()
        g0 = trigger_at(vm, "echo error > /run/rig-app/mode")
        latencies["HTTP 500"] = stop_parts(expect_stop(vm, t0, g0, "app_errors", timeout=15), g0)
        vm.ssh("rm -f /run/rig-app/mode")
    finally:
        prober.stop()
    note("guest-clock latencies (trigger -> motors stopped / record): " +
         ", ".join(f"{k} {v['stopped']:.0f} / {v['record']:.0f} ms" for k, v in latencies.items()))
    check(latencies["SIGKILL"]["stopped"] < 1000,
          f"SIGKILL stop took {latencies['SIGKILL']['stopped']:.0f} ms")
    prober.report_and_check(max_failures=0)


def scenario_crash_loop(vm):
    """Incident 2025-10-24: Restart=always brings a dying app back again and again; lifeline
    sees the crash loop, holds the motors stopped and stops the unit."""
    boot(vm)
    arm(vm)
    t0 = time.time()
    g0 = guest_now_us(vm)
    def main_pid():
        pid = vm.ssh("systemctl show -p MainPID --value rig-app").strip()
        return pid if pid not in ("", "0") else None
    killed = []
    for _ in range(5):
        pid = wait_until("rig-app running again", lambda: main_pid() not in (None, *killed) and
                         main_pid(), 15, 0.2)
        vm.ssh(f"kill -KILL {pid}", check=False)
        killed.append(pid)
    note(f"SIGKILLed rig-app 5 times (pids {', '.join(killed)}); systemd restarted it each time")
    check(STOP_FRAME in vm.motor.data(since=t0), "no stop frame during the crash loop")
    wait_until("app_crash_loop", lambda: "app_crash_loop" in fault_names(status(vm)), 15)
    state = wait_until("rig-app stopped by lifeline", lambda: (
        vm.ssh("systemctl is-active rig-app", check=False).strip() in ("inactive", "failed")
        and vm.ssh("systemctl is-active rig-app", check=False).strip()), 15)
    time.sleep(2)
    check(vm.ssh("systemctl is-active rig-app", check=False).strip() != "active",
          "rig-app came back after lifeline stopped it")
    events = [e for e in vm.events() if e["realtime_us"] >= g0]
    deaths = [e for e in events if e["kind"] == "app_exited" and "deaths_in_window" in e["fields"]]
    check(len(deaths) == 5, f"{len(deaths)} process deaths recorded, 5 expected")
    note(f"app_crash_loop after {len(deaths)} recorded deaths; rig-app left {state}")
    check(status(vm)["motion"]["state"] == "stopped", "motors not held stopped")
    vm.ssh("lifeline rearm", check=False)
    check(status(vm)["motion"]["state"] == "stopped", "re-arm accepted during a crash loop")
    check(line_value(vm, "motor_enable") == 0, "motor_enable high during a crash loop")
    note("re-arm refused; motor_enable 0")


def scenario_led_blink_code(vm):
    """The active fault's blink code, read from the gpio-sim status_led line in the guest."""
    boot(vm)
    arm(vm)
    healthy = decode_blink_codes(vm.ssh("rig-sample-line 0 6", timeout=60))["pulses_ms"]
    note(f"armed and healthy: pulses {healthy} ms in 6 s (heartbeat: 50 ms every 2 s)")
    check(len(healthy) >= 2 and all(10 <= p <= 300 for p in healthy),
          f"no healthy heartbeat on status_led: {healthy}")
    vm.ssh("systemctl kill -s SIGSTOP rig-app")  # app_hung: 4 long, 2 short
    wait_until("app_hung", lambda: "app_hung" in fault_names(status(vm)), 15)
    out = vm.ssh("rig-sample-line 0 20", timeout=60)
    codes = decode_blink_codes(out)
    note(f"status_led groups (long, short): {codes['groups']}")
    check((4, 2) in codes["groups"], f"no 4 long + 2 short group: {codes}")
    vm.ssh("systemctl kill -s SIGCONT rig-app")


def scenario_sshd_reachable(vm):
    """sshd answers a fresh connection every 200 ms while lifeline runs and motors stop."""
    boot(vm)
    prober = BannerProber(vm, interval=0.2).start()
    try:
        arm(vm)
        vm.ssh("systemctl kill -s SIGKILL rig-app")
        time.sleep(10)
    finally:
        prober.stop()
    prober.report_and_check(max_failures=0, max_ms=3000)


# Scenarios whose capability is missing: (capability, why), reported as "not yet run".
REQUIRES = {}

# Measurements rather than tests (timing goals live in benchmarks): run by ./dev bench and
# by name (./dev vm test NAME), not by ./dev test.
BENCH_ONLY = ("memory_psi", "memory_vs_earlyoom", "memory_three_arms", "motor_stop_latency",
              "footprint")

SCENARIOS = {
    "boot": scenario_boot,
    "clean_stop": scenario_clean_stop,
    "watchdog_hang": scenario_watchdog_hang,
    "health_gate": scenario_health_gate,
    "lockout": scenario_lockout,
    "motor_dead_man": scenario_motor_dead_man,
    "motor_stop_latency": scenario_motor_stop_latency,
    "crash_loop": scenario_crash_loop,
    "led_blink_code": scenario_led_blink_code,
    "sshd_reachable": scenario_sshd_reachable,
    "memory_pressure": scenario_memory_pressure,
    "memory_psi": scenario_memory_psi,
    "memory_vs_earlyoom": scenario_memory_vs_earlyoom,
    "memory_three_arms": scenario_memory_three_arms,
    "session_leak": scenario_session_leak,
    "kernel_kill_recorded": scenario_kernel_kill_recorded,
    "duplicates": scenario_duplicates,
    "footprint": scenario_footprint,
    "user_unit_watch": scenario_user_unit_watch,
}
