#!/usr/bin/env python3
"""The rescue page's figures from the real lifeline binary on the sim board.

Usage: bench/rescue_bench.py BUILD_DIR [--seconds N]   (./dev bench runs it)
Prints one line per figure: page size, p50/p99 latency of / and /metrics idle and while
wrk loads /metrics from a second process, wrk's throughput, and the RSS the web server
adds (lifeline with [rescue] enabled minus without). docs/performance.md records them.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write_config(tmp, rescue):
    path = os.path.join(tmp, "lifeline.toml")
    with open(path, "w") as f:
        f.write(f'[agent]\nboard = "{ROOT}/board/sim.toml"\nstate_dir = "{tmp}/state"\n'
                f'control_socket = "{tmp}/control.sock"\n')
        if rescue:
            f.write(f'[rescue]\nenabled = true\nlisten = ["127.0.0.1:0"]\n'
                    f'password_file = "{tmp}/rescue.passwd"\n')
    return path


def start(binary, tmp, rescue):
    log = os.path.join(tmp, "out.log")
    proc = subprocess.Popen([binary, "run", "--config", write_config(tmp, rescue), "--console"],
                            stdout=open(log, "w"), stderr=subprocess.STDOUT)
    port = None
    for _ in range(200):
        time.sleep(0.05)
        text = open(log).read()
        if not rescue and "watchdog_opened" in text:
            break
        match = re.search(r"rescue page at http://127\.0\.0\.1:(\d+)/", text)
        if match:
            port = int(match.group(1))
            break
    return proc, port


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=15)


def rss_kib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def get(port, path):
    """One request on its own connection (the server closes after each); seconds, bytes."""
    start = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    elapsed = time.perf_counter() - start
    if not data.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"GET {path}: {data[:60]!r}")
    return elapsed, len(data.split(b"\r\n\r\n", 1)[1])


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100.0 * (len(ordered) - 1))))]


def latencies(port, path, count, pause=0.0):
    times = []
    for _ in range(count):
        times.append(get(port, path)[0] * 1000.0)
        if pause:
            time.sleep(pause)
    return percentile(times, 50), percentile(times, 99)


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build/bench"
    seconds = int(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 10
    binary = os.path.join(build, "lifeline")
    with tempfile.TemporaryDirectory() as tmp:
        proc, _ = start(binary, tmp, rescue=False)
        time.sleep(2)
        rss_without = rss_kib(proc.pid)
        anon_without = rss_kib(proc.pid, "RssAnon")
        stop(proc)
    with tempfile.TemporaryDirectory() as tmp:
        proc, port = start(binary, tmp, rescue=True)
        try:
            time.sleep(1.5)
            _, page_bytes = get(port, "/")
            _, metrics_bytes = get(port, "/metrics")
            print(f"rescue page size: {page_bytes} bytes (limit 65536); /metrics {metrics_bytes} bytes")
            for path in ("/", "/metrics"):
                p50, p99 = latencies(port, path, 500, pause=0.002)
                print(f"rescue idle {path}: p50 {p50:.2f} ms, p99 {p99:.2f} ms (500 requests)")
            rss_idle = rss_kib(proc.pid)
            anon_idle = rss_kib(proc.pid, "RssAnon")
            wrk = shutil.which("wrk")
            if wrk:
                load = subprocess.Popen([wrk, "-t2", "-c16", f"-d{seconds}s", "--latency",
                                         f"http://127.0.0.1:{port}/metrics"],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                time.sleep(1)
                peak = rss_kib(proc.pid)
                for path in ("/", "/metrics"):
                    p50, p99 = latencies(port, path, 200, pause=0.01)
                    peak = max(peak, rss_kib(proc.pid))
                    print(f"rescue under wrk load {path}: p50 {p50:.2f} ms, p99 {p99:.2f} ms "
                          "(200 requests beside wrk -t2 -c16 on /metrics)")
                out, _ = load.communicate(timeout=seconds + 30)
                rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
                wrk99 = re.search(r"\s99%\s+(\S+)", out)
                print(f"wrk -t2 -c16 /metrics: {rate.group(1) if rate else '?'} requests/s, "
                      f"wrk's own p99 {wrk99.group(1) if wrk99 else '?'}")
                print(f"lifeline VmRSS: {rss_without} KiB without [rescue], {rss_idle} KiB with it "
                      f"idle (+{rss_idle - rss_without} KiB), {peak} KiB peak under load; "
                      f"RssAnon {anon_without} -> {anon_idle} KiB")
            else:
                print("wrk missing: ./dev installs it; load figures skipped")
                print(f"lifeline RSS: {rss_without} KiB without [rescue], {rss_idle} KiB with it")
        finally:
            stop(proc)


if __name__ == "__main__":
    main()
