"""The agent's memory footprint on Debian 12's own kernel (benchmark, issue 9).

The build machine's kernel (6.16 and later) maps ext4 file pages as large folios, so a
single touch of a library's text makes a whole folio resident and VmRSS there overstates
what the same binary costs on a robot's kernel. The guest runs bookworm's 6.1 kernel on an
ext4 root, with the shipped .deb and the rig's robot-like configuration (motion, lease,
HTTP probe, memory guard, rescue page), so its numbers are the ones docs/performance.md
quotes. Three arms in one boot, each measured after an idle spell and a few page requests:
as configured, without the memory guard's pre-faulted act reserve, and without the rescue
page as well."""

import json
import os
import re
import time

from helpers import boot, check, note

CONFIG = "/etc/lifeline/lifeline.toml"
IDLE_S = 20
ROLLUP_KEYS = ("Rss", "Pss", "Pss_Anon", "Pss_File", "Anonymous", "Locked")
STATUS_KEYS = ("VmRSS", "RssAnon", "RssFile", "VmHWM")


def kib_fields(text, keys):
    values = {}
    for line in text.splitlines():
        match = re.match(r"^(\w+):\s+(\d+) kB", line)
        if match and match.group(1) in keys:
            values[match.group(1)] = int(match.group(2))
    return values


def by_mapping(vm, pid):
    """Rss and Pss (KiB) per mapped file or anonymous region kind, largest first."""
    script = ("awk '/^[0-9a-f]+-[0-9a-f]+ /{f = (NF > 5 ? $6 : \"[anon]\")} "
              "/^Rss:/{r[f] += $2} /^Pss:/{p[f] += $2} "
              "END{for (k in r) if (r[k] > 0) print r[k], p[k], k}' "
              f"/proc/{pid}/smaps")
    rows = []
    for line in vm.ssh(script).splitlines():
        rss, pss, name = line.split(maxsplit=2)
        rows.append({"mapping": name, "rss_kib": int(rss), "pss_kib": int(pss)})
    return sorted(rows, key=lambda row: -row["rss_kib"])


def measure(vm, arm, rescue):
    pid = vm.ssh("systemctl show -p MainPID --value lifeline").strip()
    check(pid not in ("", "0"), f"{arm}: lifeline is not running")
    time.sleep(IDLE_S)
    if rescue:
        for _ in range(10):
            for path in ("/", "/metrics", "/api/v1/status"):
                answer = vm.http_get(path, timeout=10)
                check(answer is not None and answer[0] == 200, f"{arm}: GET {path}: {answer}")
    rollup = kib_fields(vm.ssh(f"cat /proc/{pid}/smaps_rollup"), ROLLUP_KEYS)
    status = kib_fields(vm.ssh(f"cat /proc/{pid}/status"), STATUS_KEYS)
    check(set(ROLLUP_KEYS) <= set(rollup) and set(STATUS_KEYS) <= set(status),
          f"{arm}: could not read lifeline's memory: {rollup} {status}")
    mappings = by_mapping(vm, pid)
    note(f"{arm}: VmRSS {status['VmRSS']} KiB (anon {status['RssAnon']}, file "
         f"{status['RssFile']}), Pss {rollup['Pss']} KiB (anon {rollup['Pss_Anon']}, file "
         f"{rollup['Pss_File']}), locked {rollup['Locked']} KiB, VmHWM {status['VmHWM']} KiB")
    note(f"{arm}: largest: " + ", ".join(
        f"{os.path.basename(m['mapping'])} {m['rss_kib']}/{m['pss_kib']}" for m in mappings[:8]))
    return {"arm": arm, "pid": int(pid), "status": status, "rollup": rollup,
            "mappings": mappings}


def restart_with(vm, sed_expression):
    vm.ssh(f"sed -i '{sed_expression}' {CONFIG} && systemctl restart lifeline")
    vm.ssh("systemctl is-active lifeline")


def scenario_footprint(vm):
    """Footprint: lifeline's VmRSS/Pss on bookworm's kernel, with and without its parts."""
    boot(vm)
    vm.wait_banner(timeout=60)
    kernel = vm.ssh("uname -r").strip()
    page = vm.ssh("getconf PAGESIZE").strip()
    note(f"guest kernel {kernel}, page size {page} B")
    arms = [measure(vm, "as configured (memory guard, rescue page)", rescue=True)]
    # The act reserve is faulted-in heap kept for the memory guard's kill path.
    restart_with(vm, "/^\\[memory\\]$/a act_reserve_kib = 0")
    arms.append(measure(vm, "act_reserve_kib = 0", rescue=True))
    restart_with(vm, "/^\\[rescue\\]$/,/^\\[/s/^enabled = true/enabled = false/")
    arms.append(measure(vm, "act_reserve_kib = 0, no rescue page", rescue=False))
    with open(os.path.join(vm.dir, "footprint.json"), "w") as f:
        json.dump({"kernel": kernel, "page_size": int(page), "idle_s": IDLE_S, "arms": arms},
                  f, indent=2)
