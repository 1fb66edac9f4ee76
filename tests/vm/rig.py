"""The VM rig's host-side driver: one QEMU guest with its console, motor UART, readiness
channel and QMP as unix sockets read by threads, sshd on a loopback port.

QEMU dies with this process (PR_SET_PDEATHSIG) and is always ended by its PID in stop();
no VM outlives a test. Every wait has a timeout; a failure raises RigError, and the run's
artefacts (console.log, motor.log, qmp.jsonl, rig.log) stay in the run directory.
"""

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time

SSH_OPTIONS = [
    "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
    "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10", "-o", "ServerAliveInterval=2",
    "-o", "ServerAliveCountMax=3",
]


class RigError(Exception):
    pass


class NoConsole(RigError):
    """The guest printed nothing at all: QEMU or firmware, before Linux's first line."""


class GuestStarved(RigError):
    """The first boot never reached multi-user and the guest kernel's own lockup detectors
    fired before lifeline started: the host starved QEMU's vCPU threads (seen in CI, a
    soft lockup in `mount` 27 s into boot). Not the code under test."""


# What the guest kernel prints when its vCPUs did not run for tens of seconds.
STARVATION_MARKERS = (b"BUG: soft lockup", b"rcu_preempt kthread starved",
                      b"rcu: INFO: rcu_preempt detected stalls")


def starved_before_lifeline(console):
    """True when a lockup marker comes before any mention of lifeline on the console."""
    hits = [console.find(m) for m in STARVATION_MARKERS if m in console]
    return bool(hits) and b"lifeline" not in console[:min(hits)]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent():
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Stream:
    """Everything read from one chardev socket, each chunk with its host time."""

    def __init__(self, sock, log_path):
        self.sock = sock
        self.chunks = []  # (host time.time(), bytes)
        self.cond = threading.Condition()
        self.log = open(log_path, "wb")
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            now = time.time()
            with self.cond:
                if not data:
                    self.chunks.append((now, None))
                    self.cond.notify_all()
                    return
                self.chunks.append((now, data))
                self.cond.notify_all()
            self.log.write(data)
            self.log.flush()

    def data(self, since=0.0):
        with self.cond:
            return b"".join(d for t, d in self.chunks if d and t >= since)

    def timed(self, since=0.0):
        with self.cond:
            return [(t, d) for t, d in self.chunks if d and t >= since]

    def wait_for(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                result = predicate(self)
                if result:
                    return result
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RigError(f"timed out after {timeout:.0f} s waiting for {what}")
                self.cond.wait(min(left, 0.5))


class Qmp:
    """QMP: every asynchronous event with QEMU's own (host) timestamp."""

    def __init__(self, sock, log_path):
        self.sock = sock
        self.file = sock.makefile("rb")
        self.events = []
        self.replies = []
        self.cond = threading.Condition()
        self.log = open(log_path, "w")
        greeting = json.loads(self.file.readline())
        if "QMP" not in greeting:
            raise RigError(f"unexpected QMP greeting {greeting}")
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        self.command("qmp_capabilities")

    def _read(self):
        try:
            for line in self.file:
                self._handle(line)
        except OSError:
            pass
        with self.cond:
            self.events.append({"event": "QMP_CLOSED", "time": time.time()})
            self.cond.notify_all()

    def _handle(self, line):
        msg = json.loads(line)
        self.log.write(line.decode())
        self.log.flush()
        with self.cond:
            if "event" in msg:
                ts = msg.get("timestamp", {})
                msg["time"] = ts.get("seconds", 0) + ts.get("microseconds", 0) / 1e6
                self.events.append(msg)
            else:
                self.replies.append(msg)
            self.cond.notify_all()

    def command(self, name, timeout=10, **arguments):
        with self.cond:
            n = len(self.replies)
        msg = {"execute": name}
        if arguments:
            msg["arguments"] = arguments
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.replies) <= n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RigError(f"QMP {name}: no reply in {timeout} s")
                self.cond.wait(left)
            return self.replies[n]

    def named(self, name, since=0.0):
        with self.cond:
            return [e for e in self.events if e["event"] == name and e["time"] >= since]

    def wait_event(self, name, since, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = [e for e in self.events if e["event"] == name and e["time"] >= since]
                if found:
                    return found[0]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RigError(f"no QMP {name} event within {timeout:.0f} s")
                self.cond.wait(min(left, 0.5))


class Vm:
    def __init__(self, image_dir, run_dir, memory_mib=512, smp=2):
        self.image = image_dir
        self.dir = run_dir
        self.memory_mib = memory_mib
        self.smp = smp
        self.proc = None
        self.socks = []
        self.started_at = None
        shutil.rmtree(run_dir, ignore_errors=True)
        os.makedirs(run_dir)
        self.key = os.path.join(run_dir, "id_ed25519")
        shutil.copy(os.path.join(image_dir, "id_ed25519"), self.key)
        os.chmod(self.key, 0o600)

    # -- life cycle ---------------------------------------------------------------------
    def start(self):
        overlay = os.path.join(self.dir, "overlay.qcow2")
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b",
                        os.path.join(self.image, "rootfs.ext4"), overlay], check=True)
        self.ssh_port = free_port()
        self.rescue_port = free_port()  # the guest's rescue page (lifeline.toml: 8081)
        sock = {n: os.path.join(self.dir, n + ".sock") for n in ("console", "motor", "rig", "qmp")}
        cmd = [
            "qemu-system-x86_64", "-accel", "tcg", "-smp", str(self.smp), "-m", str(self.memory_mib),
            # qemu64: with "-cpu max" a guest rebooting under a loaded host hung once in
            # the kernel's KASLR step and once before any output.
            "-cpu", os.environ.get("LIFELINE_VM_CPU", "qemu64"), "-nodefaults", "-no-user-config", "-display", "none",
            "-rtc", "base=utc",
            "-kernel", os.path.join(self.image, "vmlinuz"),
            "-initrd", os.path.join(self.image, "initrd.img"),
            "-append", "root=/dev/vda rw console=ttyS0,115200 loglevel=4 panic=-1 "
                       "random.trust_cpu=on systemd.show_status=1 "
                       "earlyprintk=serial,ttyS0,115200",
            "-drive", f"file={overlay},if=virtio,format=qcow2,cache=unsafe",
            "-device", "i6300esb", "-watchdog-action", "reset",
            "-netdev", f"user,id=net0,hostfwd=tcp:127.0.0.1:{self.ssh_port}-:22,"
                       f"hostfwd=tcp:127.0.0.1:{self.rescue_port}-:8081",
            "-device", "virtio-net-pci,netdev=net0",
        ]
        for name in ("console", "motor"):  # ttyS0, ttyS1 in this order
            cmd += ["-chardev", f"socket,id={name},path={sock[name]},server=on,wait=on",
                    "-serial", f"chardev:{name}"]
        # The readiness channel: a virtio serial port (/dev/virtio-ports/rig in the guest).
        # Not a third UART: ttyS2 shares IRQ 4 with the console and stalls.
        cmd += ["-device", "virtio-serial-pci",
                "-chardev", f"socket,id=rig,path={sock['rig']},server=on,wait=on",
                "-device", "virtserialport,chardev=rig,name=rig"]
        cmd += ["-chardev", f"socket,id=qmp,path={sock['qmp']},server=on,wait=on",
                "-mon", "chardev=qmp,mode=control"]
        with open(os.path.join(self.dir, "qemu.cmd"), "w") as f:
            f.write(" ".join(cmd) + "\n")
        self.qemu_log = open(os.path.join(self.dir, "qemu.log"), "wb")
        self.started_at = time.time()
        self.proc = subprocess.Popen(cmd, stdout=self.qemu_log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        # wait=on: QEMU waits for each socket's client in the order they are defined, so
        # nothing the guest writes is lost.
        conns = {n: self._connect(sock[n]) for n in ("console", "motor", "rig", "qmp")}
        self.console = Stream(conns["console"], os.path.join(self.dir, "console.log"))
        self.motor = Stream(conns["motor"], os.path.join(self.dir, "motor.bin"))
        self.rig = Stream(conns["rig"], os.path.join(self.dir, "rig.log"))
        self.qmp = Qmp(conns["qmp"], os.path.join(self.dir, "qmp.jsonl"))
        return self

    def _connect(self, path, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RigError(f"qemu exited with {self.proc.returncode}: {self._qemu_output()}")
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                self.socks.append(s)
                return s
            except OSError:
                s.close()
                if time.monotonic() > deadline:
                    raise RigError(f"qemu's socket {path} never accepted")
                time.sleep(0.02)

    def _qemu_output(self):
        try:
            with open(os.path.join(self.dir, "qemu.log"), "rb") as f:
                return f.read().decode(errors="replace")[-2000:]
        except OSError:
            return ""

    def stop(self, keep_disk=False):
        """Always safe to call; ends only the QEMU this object started, by its PID. With
        keep_disk the overlay stays for a post-mortem (its black box and journal)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.qmp.command("quit", timeout=3)
            except Exception:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        for s in self.socks:
            try:
                s.close()
            except OSError:
                pass
        self.proc = None
        overlay = os.path.join(self.dir, "overlay.qcow2")
        if os.path.exists(overlay) and not keep_disk:
            os.remove(overlay)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def diagnose(self):
        """Where the vCPUs are, for a guest that stopped answering (saved to cpu.txt)."""
        try:
            status = self.qmp.command("query-status", timeout=3).get("return")
            regs = self.qmp.command("human-monitor-command", timeout=5,
                                    **{"command-line": "info registers -a"}).get("return", "")
            with open(os.path.join(self.dir, "cpu.txt"), "w") as f:
                f.write(f"{status}\n{regs}")
            return f"qemu status {status}; registers in cpu.txt"
        except Exception as e:
            return f"qemu not answering QMP: {e}"

    def console_tail(self, n=60):
        lines = self.console.data().decode(errors="replace").splitlines()
        return "\n".join(lines[-n:])

    # -- readiness and access -----------------------------------------------------------
    def ready_lines(self):
        return [l for l in self.rig.data().decode(errors="replace").splitlines()
                if l.startswith("RIG-READY")]

    def wait_ready(self, count=1, timeout=180):
        """Waits for the count-th RIG-READY line (one per boot); returns (host time, fields)."""
        def ready(stream):
            seen = 0
            for t, data in stream.timed():
                seen += data.count(b"RIG-READY")
                if seen >= count:
                    return t
            return None
        if count == 1:
            try:
                self.console.wait_for(lambda s: s.data(), 60, "the guest's first console byte")
            except RigError as e:
                raise NoConsole(f"{e} ({self.diagnose()})")
        try:
            t = self.rig.wait_for(ready, timeout, f"boot #{count} to reach multi-user (RIG-READY)")
        except RigError as e:
            if count == 1 and starved_before_lifeline(self.console.data()):
                raise GuestStarved(f"{e}; the guest kernel reported lockups before lifeline "
                                   "started") from e
            raise
        line = self.ready_lines()[count - 1]
        fields = dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
        return t, fields

    def banner(self, timeout=2.0):
        """A fresh TCP connection to sshd's forwarded port; returns the banner or None.
        QEMU's hostfwd accepts at once even when the guest does not listen, so only a
        banner proves sshd answered."""
        try:
            with socket.create_connection(("127.0.0.1", self.ssh_port), timeout=timeout) as s:
                s.settimeout(timeout)
                data = b""
                while b"\n" not in data:
                    chunk = s.recv(256)
                    if not chunk:
                        return None
                    data += chunk
                line = data.split(b"\n")[0].strip()
                return line.decode(errors="replace") if line.startswith(b"SSH-") else None
        except OSError:
            return None

    def http_get(self, path, timeout=2.0):
        """GET the guest's rescue page through the forwarded port; returns (status, body)
        or None when no HTTP answer came (hostfwd accepts even when nothing listens)."""
        try:
            with socket.create_connection(("127.0.0.1", self.rescue_port), timeout=timeout) as s:
                s.settimeout(timeout)
                s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Connection: close\r\n\r\n".encode())
                data = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
        except OSError:
            return None
        head, _, body = data.partition(b"\r\n\r\n")
        parts = head.split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            return None
        return int(parts[1]), body

    def wait_banner(self, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            b = self.banner()
            if b:
                return time.time(), b
            time.sleep(0.2)
        raise RigError(f"no sshd banner within {timeout} s")

    def ssh(self, command, timeout=30, check=True):
        cmd = ["ssh", *SSH_OPTIONS, "-i", self.key, "-p", str(self.ssh_port), "root@127.0.0.1",
               command]
        for attempt in (1, 2):
            try:
                r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                raise RigError(f"ssh '{command}' did not finish in {timeout} s")
            # 255 with nothing on stdout: the connection itself failed before the command ran
            # (sshd's MaxStartups drops some unauthenticated connections while the banner
            # probers keep ~10 open on a slow guest). The probers judge reachability; the
            # rig's own commands try once more.
            if r.returncode != 255 or r.stdout or attempt == 2:
                break
            time.sleep(1.0)
        if check and r.returncode != 0:
            raise RigError(f"ssh '{command}' exited {r.returncode}: {r.stderr.strip()}"
                           f" {r.stdout.strip()[-500:]}")
        return r.stdout

    def ssh_lines(self, command, timeout=30):
        """Runs command; returns its stdout lines, each with the host time it arrived."""
        cmd = ["ssh", *SSH_OPTIONS, "-i", self.key, "-p", str(self.ssh_port), "root@127.0.0.1",
               command]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            lines = [(time.time(), l.decode(errors="replace").rstrip("\n")) for l in proc.stdout]
            err = proc.stderr.read().decode(errors="replace")
            proc.wait()
        finally:
            timer.cancel()
        if proc.returncode != 0:
            raise RigError(f"ssh '{command}' exited {proc.returncode}: {err.strip()}")
        return lines

    def ssh_json(self, command, timeout=30):
        out = self.ssh(command, timeout)
        try:
            return json.loads(out)
        except ValueError:
            raise RigError(f"'{command}' printed no JSON: {out[:500]}")

    def events(self, args=""):
        """lifeline's black box as a list of records (lifeline events --json)."""
        out = self.ssh(f"lifeline events --json {args}")
        out = out.strip()
        if out.startswith("["):
            return json.loads(out)
        return [json.loads(l) for l in out.splitlines() if l.strip()]

    def collect(self):
        """Saves the guest's black box and journal beside the console log (best effort)."""
        for name, cmd in (("events.json", "lifeline events --json"),
                          ("status.json", "lifeline status --json"),
                          ("journal.txt", "journalctl -b --no-pager -o short-monotonic")):
            try:
                out = self.ssh(cmd, timeout=30, check=False)
                with open(os.path.join(self.dir, name), "w") as f:
                    f.write(out)
            except RigError:
                pass
