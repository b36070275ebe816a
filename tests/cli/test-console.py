#!/usr/bin/env python3
"""The serial console against a careless environment: a stdout nobody reads
(full pipe) must not stop the guest nor exit, Ctrl-A x must work with stdout
blocked, a write error (-serial file:/dev/full) is reported with a non-zero
exit, and input held back by the UART's full FIFO is never an overrun.

The guests are a few instructions assembled by guest_asm.py, so the test
needs no cross compiler. Failure is a wrong result or avmm not exiting
within a generous bound (60 s), never a measured time."""
import fcntl
import os
import select
import struct
import subprocess
import sys
import tempfile
import termios
import time

avmm = sys.argv[1]
BOUND = 60  # seconds: "does not hang" (sanitizer builds are slow), not a speed requirement

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guest_asm import echo, printer  # noqa: E402

tmp = tempfile.mkdtemp(prefix="avmm-console-")


def image_file(name, data):
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def pipe_capacity_full():
    """A pipe whose buffer is already full, nobody reading it (blocking write end)."""
    r, w = os.pipe()
    fl = fcntl.fcntl(w, fcntl.F_GETFL)
    fcntl.fcntl(w, fcntl.F_SETFL, fl | os.O_NONBLOCK)
    try:
        while True:
            os.write(w, b"." * 4096)
    except BlockingIOError:
        pass
    fcntl.fcntl(w, fcntl.F_SETFL, fl)
    return r, w


def unread(fd):
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]


passed = failed = 0


def report(ok, what, detail=""):
    global passed, failed
    print("%s %s%s" % ("ok  " if ok else "FAIL", what, (": " + detail) if detail and not ok else ""))
    passed += ok
    failed += not ok


def run(args, stdout, stdin=subprocess.DEVNULL, input=None):
    """(returncode or None on hang, stderr, seconds)."""
    t0 = time.monotonic()
    p = subprocess.Popen([avmm] + args, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE)
    try:
        _, err = p.communicate(input=input, timeout=BOUND)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
        rc = None
    return rc, err.decode(errors="replace"), time.monotonic() - t0


# 1. The guest prints far more than the pipe and the console buffer hold
# into a full pipe nobody reads: it must still run to its power-off; every
# byte is dropped and counted (none could be written).
N = 384 << 10  # more than the console buffer (256 KiB) and a pipe (64 KiB) hold
r, w = pipe_capacity_full()
rc, err, t = run(["-kernel", image_file("print.img", printer(N))], w)
os.close(w)
os.close(r)
report(rc == 0 and ("%d bytes of guest output dropped" % N) in err,
       "guest printing %d bytes into a full pipe finishes (exit %s, %.1f s)" % (N, rc, t), err.strip()[-400:])

# 2. The same with `| sleep 600`: a pipe that takes 64 KiB and then nobody reads.
r, w = os.pipe()
rc, err, t = run(["--stats", "-kernel", image_file("print.img", printer(N))], w)
took = unread(r)
os.close(w)
os.close(r)
report(rc == 0 and "dropped" in err and took > 0,
       "guest printing into an unread pipe finishes (exit %s, pipe took %d bytes, %.1f s)" % (rc, took, t),
       err.strip()[-400:])

# 3. Ctrl-A x with stdout blocked: a guest printing forever fills the pipe
# (wait until it is full: the guest ran and stdout is now blocked), then the
# escape goes in on stdin.
r, w = os.pipe()
p = subprocess.Popen([avmm, "-kernel", image_file("forever.img", printer(0))], stdin=subprocess.PIPE, stdout=w,
                     stderr=subprocess.PIPE)
os.close(w)
end = time.monotonic() + BOUND
last = -1
while time.monotonic() < end and p.poll() is None:
    n = unread(r)
    if n == last and n > 0:
        break  # stopped growing: full
    last = n
    time.sleep(0.2)
t0 = time.monotonic()
p.stdin.write(b"\x01x")
p.stdin.flush()
try:
    _, err = p.communicate(timeout=BOUND)
    rc = p.returncode
except subprocess.TimeoutExpired:
    p.kill()
    _, err = p.communicate()
    rc = None
t = time.monotonic() - t0
err = err.decode(errors="replace")
os.close(r)
report(rc == 0 and "terminated (Ctrl-A x)" in err,
       "Ctrl-A x with stdout blocked exits (exit %s, %.2f s after the escape)" % (rc, t), err.strip()[-400:])

# 3b. Ctrl-A x after more input than the UART holds, to a guest that never
# reads it: the console keeps reading its stdin (holding the input back from
# the UART), so it still sees the escape.
rc, err, t = run(["-kernel", image_file("forever.img", printer(0))], subprocess.DEVNULL, stdin=subprocess.PIPE,
                 input=b"q" * 1000 + b"\x01x")
report(rc == 0 and "terminated (Ctrl-A x)" in err,
       "Ctrl-A x behind 1000 characters the guest does not read exits (exit %s)" % rc, err.strip()[-400:])

# 4. A write error: reported once, naming the file and the error, non-zero exit.
rc, err, t = run(["-serial", "file:/dev/full", "-kernel", image_file("print.img", printer(1000))], subprocess.DEVNULL)
lines = [l for l in err.splitlines() if "/dev/full" in l]
report(rc not in (0, None) and len(lines) == 1 and "No space left on device" in lines[0],
       "-serial file:/dev/full: message and non-zero exit (exit %s)" % rc, err.strip())

# 5. A working file: everything arrives, nothing dropped, exit 0.
log = os.path.join(tmp, "serial.log")
rc, err, t = run(["--stats", "-serial", "file:" + log, "-kernel", image_file("print.img", printer(100000))],
                 subprocess.DEVNULL)
size = os.path.getsize(log) if os.path.exists(log) else -1
report(rc == 0 and size == 100000 and "100000 bytes written, 0 dropped" in err,
       "-serial file: gets every byte (exit %s, %d bytes)" % (rc, size), err.strip()[-400:])

# 6. Input faster than the guest reads (a paste): the UART holds it back,
# the guest gets every character in order and never an overrun (DR bits
# 11:8 clear), with the FIFOs off (the 1-deep holding register) and on.
paste = bytes((ord("a") + i % 26) for i in range(600))
for fen in (False, True):
    p = subprocess.Popen([avmm, "-kernel", image_file("echo.img", echo(len(paste), fen))], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ready = select.select([p.stdout], [], [], BOUND)[0] and p.stdout.read(1) == b"R"
    try:
        out, err = p.communicate(input=paste, timeout=BOUND)
        rc = p.returncode
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        rc = None
    verdict = out[len(paste):]
    report(ready and rc == 0 and out[:len(paste)] == paste and verdict == b"K",
           "paste of %d characters, FIFOs %s: all echoed in order, no overrun (exit %s, verdict %r)" %
           (len(paste), "on" if fen else "off", rc, verdict.decode(errors="replace")),
           "ready %s, got %d bytes; %s" % (bool(ready), len(out), err.decode(errors="replace").strip()[-400:]))

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
