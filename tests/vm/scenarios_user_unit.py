"""A memory watch on a user unit (systemctl --user) under the guest's real systemd 252: the
user's manager runs by lingering, the unit starts after lifeline, and lifeline finds its
cgroup below user@UID.service and reads its memory there (docs/memory-guard.md)."""

from helpers import boot, check, events_since, guest_now_us, note, status, wait_until

USER = "robot"
UNIT = "cam.service"
WATCH = f"""
[[memory.watch]]
name = "cam"
unit = "{UNIT}"
user = "{USER}"
"""
# A user service holding 40 MiB (tests/vm/tools/rig-hog.c), in a slice of its own: not
# where lifeline assumes it (app.slice), so it must be looked for.
UNIT_FILE = """[Service]
Slice=robot.slice
ExecStart=/usr/local/bin/rig-hog --step-mib 1 --max-mib 40
"""
MiB = 1024 * 1024


def as_user(vm, uid, command):
    """systemctl --user as the user, over the manager's private socket (no user bus here)."""
    return vm.ssh(f"runuser -u {USER} -- env XDG_RUNTIME_DIR=/run/user/{uid} {command}")


def cam_domain(vm):
    return next((d for d in status(vm)["memory"]["domains"] if d["name"] == "cam"), None)


def scenario_user_unit_watch(vm):
    """User unit: a [[memory.watch]] on a robot user's systemctl --user unit finds its cgroup."""
    boot(vm)
    vm.ssh(f"id -u {USER} >/dev/null 2>&1 || useradd -m {USER}")
    uid = int(vm.ssh(f"id -u {USER}").strip())
    manager = f"user@{uid}.service"
    # The user's manager, started as lingering starts it on a robot. The rig's image has no
    # logind (masked: it slows TCG boots) and so no pam_systemd to give the manager its
    # XDG_RUNTIME_DIR; a drop-in does that instead.
    vm.ssh("mkdir -p /etc/systemd/system/user@.service.d && printf '%s\\n' '[Service]' "
           "'Environment=XDG_RUNTIME_DIR=/run/user/%i' "
           "> /etc/systemd/system/user@.service.d/rig-runtime-dir.conf && "
           f"systemctl daemon-reload && systemctl start {manager}")
    wait_until(f"{manager} to run",
               lambda: vm.ssh(f"systemctl is-active {manager}", check=False).strip() == "active",
               60)
    home = f"/home/{USER}/.config/systemd/user"
    vm.ssh(f"mkdir -p {home} && printf '%s' '{UNIT_FILE}' > {home}/{UNIT} && "
           f"chown -R {USER}: /home/{USER}/.config")
    as_user(vm, uid, "systemctl --user daemon-reload")
    vm.ssh(f"printf '%s' '{WATCH}' >> /etc/lifeline/lifeline.toml && systemctl restart lifeline")
    wait_until("the cam watch in lifeline's status", lambda: cam_domain(vm), 30)
    before = cam_domain(vm)
    note(f"before the unit starts: cgroup {before.get('cgroup')} ({before.get('cgroup_from')}), "
         f"problem {before.get('cgroup_problem')}")
    check(before.get("cgroup_from") == "assumed" and before.get("cgroup_problem") is None,
          f"the watch before the unit starts: {before}")

    g0 = guest_now_us(vm)
    as_user(vm, uid, f"systemctl --user start {UNIT}")
    expected = f"/user.slice/user-{uid}.slice/{manager}/robot.slice/{UNIT}"
    real = as_user(vm, uid, f"systemctl --user show -p ControlGroup --value {UNIT}").strip()
    check(real == expected, f"the user manager says {UNIT} runs in {real!r}, not {expected!r}")
    found = wait_until(
        f"lifeline to watch {UNIT} in {expected} with its memory",
        lambda: (lambda d: d if d and d.get("cgroup") == expected
                 and d.get("used_bytes", 0) > 30 * MiB else None)(cam_domain(vm)),
        60)
    note(f"watched in {found['cgroup']} ({found['cgroup_from']}): used "
         f"{found['used_bytes'] // MiB} MiB, found "
         f"{(guest_now_us(vm) - g0) / 1e6:.1f} s or less after the start")
    check(found.get("cgroup_from") == "user manager", f"cgroup_from: {found}")
    moved = [e for e in events_since(vm, g0, "memory_monitor")
             if e["fields"].get("cgroup") == expected]
    check(moved and f"found below {USER}'s manager" in moved[0]["message"],
          f"no record of the move: {[e['message'] for e in events_since(vm, g0)]}")
    note(f"recorded: {moved[0]['message']}")
    as_user(vm, uid, f"systemctl --user stop {UNIT}")
