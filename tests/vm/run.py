#!/usr/bin/env python3
"""Runs vm-tier scenarios, each in a fresh guest (clean overlay). Exit status: 0 passed,
1 failed, 77 skipped (not yet run: its capability is missing). Stdlib only.

  tests/vm/run.py [--image DIR] [--runs DIR] [--keep] SCENARIO...
  tests/vm/run.py --list | --names | --bench-names
  tests/vm/run.py --shell            boot a guest and open a root shell in it

The image comes from tests/vm/build-image.sh (default: .cache/vm/current). Each run's
artefacts (console.log, motor.bin, rig.log, qmp.jsonl, events.json, journal.txt,
status.json, qemu.cmd) stay in RUNS/SCENARIO/ (default .cache/vm/runs/)."""

import argparse
import os
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rig import SSH_OPTIONS, GuestStarved, NoConsole, RigError, Vm  # noqa: E402
from scenarios import BENCH_ONLY, CAPABILITIES, REQUIRES, SCENARIOS, Skip  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SKIP = 77


def run_one(name, image, runs, retry=True):
    fn = SCENARIOS[name]
    print(f"== vm scenario {name}: {(fn.__doc__ or '').strip().splitlines()[0]}", flush=True)
    need = REQUIRES.get(name)
    if need and not CAPABILITIES[need[0]]:
        print(f"SKIPPED {name}: not yet run: {need[1]}", flush=True)
        return SKIP
    t0 = time.monotonic()
    vm = Vm(image, os.path.join(runs, name))
    try:
        vm.start()
        fn(vm)
        vm.collect()
        print(f"PASSED {name} in {time.monotonic() - t0:.0f} s", flush=True)
        return 0
    except (NoConsole, GuestStarved) as e:
        if not retry:
            return report_failure(name, vm, t0, e)
        # Not lifeline's doing: the guest never reached Linux's first line, or its kernel
        # stalled before lifeline started. Said loudly, retried once in a fresh guest.
        print(f"RETRY {name}: {e}", flush=True)
        if vm.proc is not None:
            print("--- console tail ---\n" + vm.console_tail(20) + "\n---", flush=True)
        vm.stop()
        return run_one(name, image, runs, retry=False)
    except Skip as e:
        print(f"SKIPPED {name}: {e}", flush=True)
        return SKIP
    except (AssertionError, RigError, OSError, KeyError, ValueError) as e:
        if not isinstance(e, (AssertionError, RigError)):
            traceback.print_exc()
        return report_failure(name, vm, t0, e)
    finally:
        vm.stop()


def report_failure(name, vm, t0, error):
    print(f"FAILED {name} after {time.monotonic() - t0:.0f} s: {error}", flush=True)
    if vm.proc is not None:
        print(vm.diagnose(), flush=True)
        vm.collect()
        print("--- console tail ---\n" + vm.console_tail() + "\n---", flush=True)
    print(f"artefacts: {vm.dir} (overlay.qcow2 kept: the guest's disk)", flush=True)
    vm.stop(keep_disk=True)
    return 1


def shell(image, runs):
    with Vm(image, os.path.join(runs, "shell")) as vm:
        t, fields = vm.wait_ready()
        print(f"booted in {t - vm.started_at:.1f} s (lifeline {fields.get('lifeline')}); "
              f"artefacts in {vm.dir}\n  ssh: ssh -i {vm.key} -p {vm.ssh_port} root@127.0.0.1 "
              "(-o StrictHostKeyChecking=no)\nthe VM stops when this shell exits", flush=True)
        return subprocess.call(["ssh", *SSH_OPTIONS, "-t", "-i", vm.key, "-p", str(vm.ssh_port),
                                "root@127.0.0.1"])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--image", default=os.path.join(ROOT, ".cache/vm/current"))
    ap.add_argument("--runs", default=os.path.join(ROOT, ".cache/vm/runs"))
    ap.add_argument("--list", action="store_true", help="scenarios with their first doc line")
    ap.add_argument("--names", action="store_true",
                    help="the test scenarios' names, one per line (not the benchmarks)")
    ap.add_argument("--bench-names", action="store_true",
                    help="the benchmark scenarios' names (./dev bench)")
    ap.add_argument("--shell", action="store_true",
                    help="boot one guest and open an ssh shell in it (ended with the shell)")
    ap.add_argument("scenario", nargs="*")
    args = ap.parse_args()
    if args.names:
        print("\n".join(n for n in SCENARIOS if n not in BENCH_ONLY))
        return 0
    if args.bench_names:
        print("\n".join(BENCH_ONLY))
        return 0
    if args.list:
        for name, fn in SCENARIOS.items():
            need = REQUIRES.get(name)
            state = "" if not need or CAPABILITIES[need[0]] else f"  [not yet run: {need[0]}]"
            state += "  [benchmark]" if name in BENCH_ONLY else ""
            print(f"{name:22} {(fn.__doc__ or '').strip().splitlines()[0]}{state}")
        return 0
    image = os.path.realpath(args.image)
    if not os.path.isfile(os.path.join(image, "rootfs.ext4")):
        print(f"no VM image at {args.image}: run ./dev vm image", file=sys.stderr)
        return 1
    if args.shell:
        return shell(image, args.runs)
    unknown = [s for s in args.scenario if s not in SCENARIOS]
    if unknown or not args.scenario:
        ap.error(f"unknown scenario(s) {unknown}; --list shows them")
    results = [run_one(s, image, args.runs) for s in args.scenario]
    if any(r == 1 for r in results):
        return 1
    return SKIP if all(r == SKIP for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
