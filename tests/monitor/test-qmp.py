#!/usr/bin/env python3
"""QMP and the human monitor against a running guest (power-guest.bin: ticks
on the timer, powers off when the PL061's line 3 sees an edge).

Run 1 (-smp 2, QMP on a unix and a TCP socket, HMP on a unix socket):
greeting, negotiation (commands refused before it), every query, id echoed,
errors by class; stop/cont with STOP/RESUME on two clients and the guest's
output frozen while paused; HMP commands on the socket and through
human-monitor-command; hostile clients (bad JSON, a non-object, a 16 MiB line,
endless input, a client that disconnects mid-command, one that never reads
while events pile up: dropped) while the guest keeps ticking and the other
clients keep working; system_reset (RESET, the guest boots again);
system_powerdown (POWERDOWN, the guest sees the button and powers off:
SHUTDOWN guest-shutdown, exit 0).
Run 2: quit over TCP (SHUTDOWN host-qmp-quit, exit 0).
Run 3: command-line errors."""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmp_client import Qmp  # noqa: E402

avmm, guest = sys.argv[1], sys.argv[2]
passed = failed = 0
HANG = 120  # seconds: only a guard against a hang, never a measure


def check(ok, what):
    global passed, failed
    print("%s %s" % ("ok  " if ok else "FAIL", what), flush=True)
    passed += bool(ok)
    failed += not ok


def wait_for(pred, what):
    end = time.monotonic() + HANG
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.02)
    check(False, "timed out waiting for " + what)
    return False


class Hmp:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(HANG)
        self.s.connect(path)
        self.banner = self.until_prompt()

    def until_prompt(self):
        b = b""
        while not b.endswith(b"(avmm) "):
            d = self.s.recv(65536)
            if not d:
                raise EOFError
            b += d
        return b[:-len(b"(avmm) ")].decode()

    def run(self, line):
        self.s.sendall(line.encode() + b"\n")
        return self.until_prompt()


def error_class(r):
    return r.get("error", {}).get("class")


tmp = tempfile.mkdtemp(prefix="avmm-qmp-")
sock, hsock, out = os.path.join(tmp, "qmp.sock"), os.path.join(tmp, "hmp.sock"), os.path.join(tmp, "serial.txt")
disk = os.path.join(tmp, "disk.img")
with open(disk, "wb") as f:
    f.truncate(1 << 20)
probe = socket.socket()
probe.bind(("127.0.0.1", 0))
port = probe.getsockname()[1]
probe.close()


def serial():
    try:
        with open(out, "rb") as f:
            return f.read().decode(errors="replace")
    except FileNotFoundError:
        return ""


p = subprocess.Popen([avmm, "-accel", "soft", "-smp", "2", "-kernel", guest, "-serial", "file:" + out,
                      "-name", "qmp-test", "-drive", "file=%s,if=virtio,id=disk0" % disk,
                      "-qmp", "unix:%s,server=on,wait=off" % sock,
                      "-qmp", "tcp:127.0.0.1:%d,server=on,wait=off" % port,
                      "-monitor", "unix:%s,server=on,wait=off" % hsock],
                     stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
wait_for(lambda: os.path.exists(sock) and os.path.exists(hsock), "the sockets")

# ---- the greeting and the negotiation ----
a = Qmp(sock, negotiate=False)
g = a.greeting
check(set(g) == {"QMP"} and g["QMP"]["capabilities"] == [] and "qemu" in g["QMP"]["version"], "greeting: %s" % g)
r = a.cmd("query-status")
check(error_class(r) == "CommandNotFound" and r.get("id") == "c1", "a command before qmp_capabilities: CommandNotFound, id echoed")
r = a.cmd("qmp_capabilities", {"enable": ["oob"]})
check(error_class(r) == "GenericError", "qmp_capabilities enable=[oob]: GenericError (not offered)")
check(a.cmd("qmp_capabilities") .get("return") == {}, "qmp_capabilities")
check(error_class(a.cmd("qmp_capabilities")) == "CommandNotFound", "qmp_capabilities twice: CommandNotFound")

# ---- queries ----
r = a.cmd("query-version")["return"]
check(r["qemu"]["major"] == 0 and r["qemu"]["minor"] == 1 and r["package"] == "avmm", "query-version %s" % r)
check(a.cmd("query-name")["return"] == {"name": "qmp-test"}, "query-name (-name)")
r = a.cmd("query-status")["return"]
check(r["status"] == "running" and r["running"] is True, "query-status: running")
r = a.cmd("query-cpus-fast")["return"]
check(len(r) == 2 and [c["cpu-index"] for c in r] == [0, 1] and r[0]["thread-id"] > 0 and r[0]["target"] == "aarch64",
      "query-cpus-fast: two vCPUs with host thread ids")
r = a.cmd("query-block")["return"]
check(len(r) == 1 and r[0]["device"] == "disk0" and r[0]["inserted"]["file"] == disk and
      r[0]["inserted"]["image"]["virtual-size"] == 1 << 20, "query-block: disk0")
names = {c["name"] for c in a.cmd("query-commands")["return"]}
want = {"qmp_capabilities", "query-version", "query-status", "query-name", "query-cpus-fast", "query-block",
        "query-commands", "stop", "cont", "system_reset", "system_powerdown", "quit", "human-monitor-command",
        "input-send-event"}
check(names == want, "query-commands lists exactly the commands (%d)" % len(names))

# ---- errors ----
r = a.cmd("screendump", {"filename": "/tmp/x"})
check(error_class(r) == "CommandNotFound" and r["id"].startswith("c"), "screendump: CommandNotFound (no display)")
check(error_class(a.cmd("device_add", {"driver": "usb-kbd"})) == "CommandNotFound", "device_add: CommandNotFound (no USB)")
r = a.cmd("input-send-event", {"events": []})
check(error_class(r) == "GenericError" and "input" in r["error"]["desc"], "input-send-event: GenericError (no input device)")
check(error_class(a.cmd("query-status", {"bogus": 1})) == "GenericError", "an unexpected argument: GenericError")
check(error_class(a.cmd("human-monitor-command")) == "GenericError", "a missing argument: GenericError")
check(error_class(a.cmd("human-monitor-command", {"command-line": 5})) == "GenericError", "a wrong argument type")
a.send_raw(b'{"execute": "query-name", "id": {"deep": [1, 2, {"x": null}]}}')  # no newline: QMP needs none
r = a.response()
check(r.get("id") == {"deep": [1, 2, {"x": None}]} and "return" in r, "a structured id echoed, no separator needed")
a.send_raw(b'{"execute": "query-name", "extra": 1}\n')
check(error_class(a.response()) == "GenericError", "an unexpected member: GenericError")
a.send_raw(b'{"arguments": {}}\n')
check(error_class(a.response()) == "GenericError", "no 'execute': GenericError")

# ---- the guest runs; stop and cont on two clients ----
wait_for(lambda: "tick 2" in serial(), "the guest's ticks")
b = Qmp(("127.0.0.1", port))
check(a.cmd("stop").get("return") == {}, "stop")
check(a.event("STOP")["event"] == "STOP" and b.event("STOP")["event"] == "STOP", "STOP on both clients")
check(b.cmd("query-status")["return"] == {"running": False, "singlestep": False, "status": "paused"}, "query-status: paused")
time.sleep(0.3)
frozen = serial()
time.sleep(0.7)
check(serial() == frozen, "no guest output while paused")
check(b.cmd("stop").get("return") == {}, "stop while paused: nothing to do")
check(b.cmd("cont").get("return") == {}, "cont")
check(a.event("RESUME") and b.event("RESUME"), "RESUME on both clients")
n = frozen.count("tick")
wait_for(lambda: serial().count("tick") > n + 1, "ticks after cont")
check(b.cmd("query-status")["return"]["status"] == "running", "running again")

# ---- the human monitor ----
h = Hmp(hsock)
check("monitor" in h.banner, "HMP banner")
check(h.run("info status").strip() == "VM status: running", "HMP info status")
check("0.1.0 (avmm)" in h.run("info version"), "HMP info version")
t = h.run("info cpus")
check("CPU #0: thread_id=" in t and "CPU #1" in t, "HMP info cpus")
check("disk0: %s (raw)" % disk in h.run("info block"), "HMP info block")
t = h.run("info devices")
check("pl061@9030000" in t and "pl011@9000000" in t and "gicv3" in t, "HMP info devices")
check("system_powerdown" in h.run("help"), "HMP help")
check("unknown command" in h.run("frobnicate"), "HMP unknown command")
check("VM status: running" in h.run("x" * 5000) + h.run("info status"), "HMP: a 5000-byte line refused, then fine")
h.run("stop")
check(a.event("STOP") and a.cmd("query-status")["return"]["status"] == "paused", "HMP stop: STOP event, paused")
r = a.cmd("human-monitor-command", {"command-line": "info status"})
check(r.get("return") == "VM status: paused\n", "human-monitor-command info status: %r" % r.get("return"))
a.cmd("human-monitor-command", {"command-line": "cont"})
check(a.event("RESUME") and "running" in h.run("info status"), "cont through human-monitor-command")

# ---- hostile clients ----
a.send_raw(b'{"execute": nope}\n')
r = a.response()
check(error_class(r) == "GenericError" and "JSON" in r["error"]["desc"], "bad JSON: GenericError (%s)" % r["error"]["desc"])
a.send_raw(b'[1, 2]\n')
check(error_class(a.response()) == "GenericError", "a JSON array: GenericError")
a.send_raw(b'\x00\xff garbage }}}\n')
check(error_class(a.response()) == "GenericError", "binary garbage: GenericError")
check(a.cmd("query-name")["return"]["name"] == "qmp-test", "the client still works after bad input")

big = Qmp(sock)
try:
    big.send_raw(b'{"execute": "query-status", "arguments": {"x": "' + b"a" * (16 << 20) + b'"}}\n')
except OSError:
    pass  # dropped while sending
got = []
try:
    while True:
        got.append(big.recv())
except (EOFError, OSError):
    pass
check(any(error_class(m) == "GenericError" and "too long" in m["error"]["desc"] for m in got),
      "a 16 MiB line: 'too long', then disconnected")
big.close()

endless = Qmp(sock, negotiate=False)
try:
    endless.send_raw(b'{"execute": "' + b"q" * (2 << 20))
except OSError:
    pass
try:
    while endless.recv():
        pass
except (EOFError, OSError):
    pass
check(True, "endless input without an end: disconnected")
endless.close()

half = Qmp(sock)
half.send_raw(b'{"execute": "query-sta')
half.close()  # disconnects mid-command

# A client that never reads (small receive buffer) while events pile up:
# 15000 stop/cont pairs make about 2.7 MB of events, past the 1 MiB cap
# plus what the unix socket's buffers hold (about 200 KiB on Linux).
idle = Qmp(sock, rcvbuf=4096)
pairs = 0
while pairs < 15000:
    for _ in range(100):
        a.cmd("stop")
        a.cmd("cont")
    pairs += 100
    a.events.clear()
    b.events.clear()
    b.cmd("query-status")  # b reads: its backlog stays small
drained = 0
try:
    while True:
        d = idle.s.recv(1 << 20)
        if not d:
            break
        drained += len(d)
    gone = True
except OSError:
    gone = False
check(gone, "a client that never reads is dropped (after %d stop/cont pairs, %d bytes were left for it)" % (pairs, drained))
idle.close()
a.events.clear()
b.events.clear()
check(a.cmd("query-status")["return"]["status"] == "running" and b.cmd("query-name")["return"]["name"] == "qmp-test",
      "the other clients keep working")
n = serial().count("tick")
wait_for(lambda: serial().count("tick") > n, "the guest still ticking")

# ---- system_reset ----
check(serial().count("power-guest: up") == 1, "one boot so far")
check(b.cmd("system_reset").get("return") == {}, "system_reset")
e = a.event("RESET")
check(e.get("data") == {"guest": False, "reason": "host-qmp-system-reset"}, "RESET event: %s" % e.get("data"))
wait_for(lambda: serial().count("power-guest: up") == 2, "the second boot")
check(a.cmd("query-status")["return"]["status"] == "running", "running after the reset")

# ---- system_powerdown: the guest sees the button and powers off ----
wait_for(lambda: serial().count("tick") > n + 1, "ticks in the second boot")
check(a.cmd("system_powerdown").get("return") == {}, "system_powerdown")
check(a.event("POWERDOWN") and b.event("POWERDOWN"), "POWERDOWN on both clients")
e = a.event("SHUTDOWN")
check(e.get("data") == {"guest": True, "reason": "guest-shutdown"}, "SHUTDOWN after the guest's power-off: %s" % e.get("data"))
rc = p.wait(timeout=HANG)
err = p.stderr.read().decode(errors="replace")
check(rc == 0, "exit 0 after the guest's own power-off (rc %d)" % rc)
check("power-guest: power button pressed" in serial() and "FAIL" not in serial(), "the guest saw the power button")
check(not os.path.exists(sock), "the unix socket is removed at exit")
if rc:
    print(err)

# ---- run 2: quit over TCP, two clients at once ----
p = subprocess.Popen([avmm, "-accel", "soft", "-kernel", guest, "-serial", "none",
                      "-qmp", "tcp:127.0.0.1:%d,server=on,wait=off" % port], stdin=subprocess.DEVNULL,
                     stderr=subprocess.PIPE)
c1 = c2 = None
end = time.monotonic() + HANG
while c1 is None and time.monotonic() < end:
    try:
        c1 = Qmp(("127.0.0.1", port))
    except ConnectionRefusedError:
        time.sleep(0.05)
c2 = Qmp(("127.0.0.1", port))
check(c1.cmd("query-name")["return"] == {}, "query-name without -name: {}")
check(c1.cmd("system_reset").get("return") == {} and c2.event("RESET"), "system_reset over TCP")
check(c2.cmd("quit").get("return") == {}, "quit")
e1, e2 = c1.event("SHUTDOWN"), c2.event("SHUTDOWN")
check(e1["data"] == e2["data"] == {"guest": False, "reason": "host-qmp-quit"}, "SHUTDOWN host-qmp-quit on both")
rc = p.wait(timeout=HANG)
check(rc == 0, "quit: exit 0")

# ---- run 3: command-line errors ----
for args, want in ((["-qmp", "unix:"], "empty or too long"), (["-qmp", "pipe:x"], "expected unix:"),
                   (["-qmp", "unix:%s,server=off" % sock], "server=off"),
                   (["-qmp", "unix:%s,bogus=1" % sock], "unknown option"),
                   (["-monitor", "stdio"], "console has stdio")):
    r = subprocess.run([avmm, "-kernel", guest, "-serial", "none"] + args, stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=HANG)
    check(r.returncode in (1, 2) and want in r.stderr.decode(), "%s: %s" % (" ".join(args), r.stderr.decode().strip()))

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
