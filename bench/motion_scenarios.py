#!/usr/bin/env python3
"""Motor dead-man latencies of the real lifeline binary on the sim board.

Usage: bench/motion_scenarios.py BUILD_DIR [--kills N] [--hangs N] [--errors N]
The motor controller is a pseudo-terminal; the time is from the signal (or the moment
the health URL starts failing) to the first stop byte readable on the pty master.
"""
import argparse
import json
import os
import pty
import select
import signal
import socket
import subprocess
import sys
import tempfile
import termios
import threading
import time
import tty
import http.server

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STOP = bytes([0x80, 0x00, 0x00, 0x00, 0x80, 0x04, 0x00, 0x04])
REALTIME = 0  # [agent] realtime_priority for every rig (--realtime)


def percentiles(samples_ms):
    s = sorted(samples_ms)
    pick = lambda p: s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]
    return f"p50 {pick(50):.3f} ms, p99 {pick(99):.3f} ms, max {s[-1]:.3f} ms (n={len(s)})"


class Rig:
    def __init__(self, binary, tmp, extra):
        self.tmp = tmp
        self.master, slave = pty.openpty()
        tty.setraw(self.master)
        self.link = os.path.join(tmp, "motor-serial")
        os.symlink(os.ttyname(slave), self.link)
        self.slave = slave  # keep open so the pty survives between writes
        self.pidfile = os.path.join(tmp, "app.pid")
        self.control = os.path.join(tmp, "control.sock")
        config = os.path.join(tmp, "lifeline.toml")
        with open(config, "w") as f:
            f.write(f'[agent]\nboard = "{ROOT}/board/sim.toml"\nstate_dir = "{tmp}/state"\n'
                    f'control_socket = "{self.control}"\nrealtime_priority = {REALTIME}\n'
                    f'[motion]\nenabled = true\n'
                    f'protocol = "sabertooth-packetized"\nserial_device = "{self.link}"\n'
                    f'stop_repeat_ms = 5000\n{extra}')
        self.out = open(os.path.join(tmp, "out.log"), "w")
        self.agent = subprocess.Popen([binary, "run", "--config", config], stdout=self.out,
                                      stderr=self.out)
        self.wait(lambda: self.request("status").get("ok"), "lifeline to start")

    def request(self, command):
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
                s.settimeout(2)
                s.connect(self.control)
                s.send(json.dumps({"command": command, "by": "bench"}).encode())
                return json.loads(s.recv(65536))
        except OSError:
            return {}

    def wait(self, predicate, what, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.002)
        raise RuntimeError(f"timed out waiting for {what}")

    def drain(self):
        while select.select([self.master], [], [], 0)[0]:
            os.read(self.master, 4096)

    def time_to_stop_byte(self, act):
        self.drain()
        start = time.monotonic()
        act()
        if not select.select([self.master], [], [], 5)[0]:
            raise RuntimeError("no stop byte within 5 s")
        elapsed = time.monotonic() - start
        data = os.read(self.master, 64)
        if not STOP.startswith(data[:len(STOP)]):
            raise RuntimeError(f"unexpected bytes {data.hex()}")
        return elapsed * 1000.0

    def close(self):
        self.agent.send_signal(signal.SIGTERM)
        self.agent.wait(timeout=10)


def start_app(rig, argv):
    app = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(rig.pidfile + ".tmp", "w") as f:
        f.write(str(app.pid))
    os.rename(rig.pidfile + ".tmp", rig.pidfile)
    return app


def arm(rig):
    rig.wait(lambda: rig.request("rearm").get("ok"), "re-arm")


def kills(binary, n):
    with tempfile.TemporaryDirectory() as tmp:
        rig = Rig(binary, tmp, f'[motion.app]\npidfile = "{tmp}/app.pid"\nresolve_interval_ms = 20\n'
                               'crash_loop_deaths = 100\ncrash_loop_window_s = 1\n')
        samples = []
        for _ in range(n):
            app = start_app(rig, ["/bin/sleep", "1000"])
            arm(rig)
            samples.append(rig.time_to_stop_byte(lambda: os.kill(app.pid, signal.SIGKILL)))
            app.wait()
        rig.close()
    print(f"app SIGKILL -> first stop byte: {percentiles(samples)}")


def hangs(binary, n, timeout_ms=300):
    """The bench is the app: it beats every 20 ms, then stops (a hang). Latency is measured
    from the lease's deadline (last beat + timeout) to the first stop byte."""
    with tempfile.TemporaryDirectory() as tmp:
        sock_path = os.path.join(tmp, "lease.sock")
        rig = Rig(binary, tmp, f'[motion.lease]\nenabled = true\nsocket = "{sock_path}"\n'
                               f'timeout_ms = {timeout_ms}\n')
        beat = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        seq = 0

        def send():
            nonlocal seq
            seq += 1
            beat.sendto(f"LLB1 app {seq}\n".encode(), sock_path)

        samples = []
        for _ in range(n):
            rig.wait(lambda: (send(), rig.request("rearm").get("ok"))[1], "re-arm")
            for _ in range(5):
                send()
                time.sleep(0.02)
            rig.drain()
            send()
            deadline = time.monotonic() + timeout_ms / 1000.0
            if not select.select([rig.master], [], [], 5)[0]:
                raise RuntimeError("no stop byte within 5 s of the lease deadline")
            samples.append((time.monotonic() - deadline) * 1000.0)
            os.read(rig.master, 64)
        rig.close()
    print(f"hang (beats stop) -> first stop byte, after the {timeout_ms} ms lease deadline: "
          f"{percentiles(samples)}")


def errors(binary, n, interval_ms=100, failures=3):
    failing = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(500 if failing.is_set() else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/health"
    with tempfile.TemporaryDirectory() as tmp:
        rig = Rig(binary, tmp, f'[motion.http_probe]\nurl = "{url}"\ninterval_ms = {interval_ms}\n'
                               f'timeout_ms = 50\nfailures = {failures}\n')
        samples = []
        for _ in range(n):
            failing.clear()
            arm(rig)
            samples.append(rig.time_to_stop_byte(failing.set))
        rig.close()
    server.shutdown()
    print(f"health URL answers 500 -> first stop byte (bound: interval x failures = "
          f"{interval_ms * failures} ms + a few ms): {percentiles(samples)}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build", nargs="?", default=os.path.join(ROOT, "build/bench"))
    parser.add_argument("--kills", type=int, default=1000)
    parser.add_argument("--hangs", type=int, default=100)
    parser.add_argument("--errors", type=int, default=50)
    parser.add_argument("--realtime", type=int, default=0,
                        help="[agent] realtime_priority (0 = normal scheduling)")
    args = parser.parse_args()
    global REALTIME
    REALTIME = args.realtime
    print(f"realtime_priority = {REALTIME}")
    binary = os.path.join(args.build, "lifeline")
    if args.kills:
        kills(binary, args.kills)
    if args.hangs:
        hangs(binary, args.hangs)
    if args.errors:
        errors(binary, args.errors)


if __name__ == "__main__":
    main()
