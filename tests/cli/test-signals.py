#!/usr/bin/env python3
"""Signals and the terminal: avmm runs on a pseudo-terminal (which it puts in
raw mode) with a guest that idles in WFI; each signal is sent with kill and
the terminal's settings (tcgetattr) must be what they were before, with the
documented exit status:
  SIGINT, SIGTERM, SIGHUP   orderly shutdown, exit 0, "terminating on signal N"
  SIGQUIT, SIGUSR1, SIGUSR2, SIGSEGV, SIGABRT, SIGBUS
                            terminal restored, then killed by that signal
  SIGPIPE                   ignored (the guest keeps running; SIGTERM ends it)
and avmm writing to a pipe nobody reads (`avmm | head -1`): no death by
SIGPIPE, the terminal restored, the guest runs to its power-off."""
import os
import pty
import resource
import signal
import subprocess
import sys
import tempfile
import termios
import time

avmm, hello = sys.argv[1], sys.argv[2]
passed = failed = 0


def check(ok, what):
    global passed, failed
    print("%s %s" % ("ok  " if ok else "FAIL", what))
    passed += ok
    failed += not ok


# A firmware that idles: wfi; b .-4 (no interrupt ever comes).
fw = tempfile.NamedTemporaryFile(suffix=".bin", delete=False)
fw.write(bytes.fromhex("7f2003d5ffffff17"))
fw.close()


def no_core():
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def wait_raw(fd, p, limit=60):
    """Until avmm has put the terminal in raw mode (ICANON off)."""
    end = time.monotonic() + limit
    while time.monotonic() < end and p.poll() is None:
        if not termios.tcgetattr(fd)[3] & termios.ICANON:
            return True
        time.sleep(0.01)
    return False


def drain(master):
    out = b""
    try:
        while True:
            d = os.read(master, 65536)
            if not d:
                break
            out += d
    except OSError:
        pass
    return out.decode(errors="replace")


def run(sig, then_term=False):
    master, slave = pty.openpty()
    before = termios.tcgetattr(slave)
    p = subprocess.Popen([avmm, "-accel", "soft", "-bios", fw.name], stdin=slave, stdout=slave, stderr=slave,
                         start_new_session=True, preexec_fn=no_core)
    name = signal.Signals(sig).name
    raw = wait_raw(slave, p)
    check(raw, "%s: avmm put the terminal in raw mode" % name)
    os.kill(p.pid, sig)
    if then_term:
        time.sleep(0.3)
        check(p.poll() is None, "%s: ignored, avmm still running" % name)
        if p.poll() is None:
            os.kill(p.pid, signal.SIGTERM)
    try:
        rc = p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = p.wait()
    after = termios.tcgetattr(slave)
    os.close(slave)
    out = drain(master)
    os.close(master)
    check(after == before, "%s: terminal settings restored" % name)
    return rc, out


for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    rc, out = run(sig)
    check(rc == 0 and "terminating on signal %d" % sig in out,
          "%s: orderly shutdown, exit 0 (status %s)" % (sig.name, rc))
for sig in (signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2, signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS):
    rc, out = run(sig)
    check(rc == -sig, "%s: killed by the signal (status %s)" % (sig.name, rc))
rc, out = run(signal.SIGPIPE, then_term=True)
check(rc == 0, "SIGPIPE then SIGTERM: exit 0 (status %s)" % rc)

# `avmm | head -1`: stdout a pipe whose reader is gone before avmm writes.
master, slave = pty.openpty()
before = termios.tcgetattr(slave)
r, w = os.pipe()
os.close(r)
p = subprocess.Popen([avmm, "-accel", "soft", "-kernel", hello], stdin=slave, stdout=w, stderr=subprocess.DEVNULL,
                     start_new_session=True, preexec_fn=no_core)
os.close(w)
try:
    rc = p.wait(timeout=60)
except subprocess.TimeoutExpired:
    p.kill()
    rc = p.wait()
after = termios.tcgetattr(slave)
os.close(slave)
os.close(master)
check(rc != -signal.SIGPIPE and rc >= 0, "output to a closed pipe: not killed by SIGPIPE (status %s)" % rc)
check(after == before, "output to a closed pipe: terminal settings restored")

os.unlink(fw.name)
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
