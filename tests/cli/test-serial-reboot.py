#!/usr/bin/env python3
"""-serial file: keeps every boot's output across guest resets (issue 12,
defect 7): the file is opened once per process, so a guest that prints a
line and resets, over and over, leaves one line per boot. (When a reset
re-executed avmm, each boot truncated the file: it never held more than one.)
Ends avmm with SIGTERM once enough boots are in, or fails after a generous
bound (60 s)."""
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guest_asm import reset_loop  # noqa: E402

avmm = sys.argv[1]
BOOTS = 5
tmp = tempfile.mkdtemp(prefix="avmm-serial-reboot-")
img = os.path.join(tmp, "reset.img")
log = os.path.join(tmp, "serial.log")
with open(img, "wb") as f:
    f.write(reset_loop("boot\n"))

p = subprocess.Popen([avmm, "-serial", "file:" + log, "-kernel", img], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
end = time.monotonic() + 60
boots = 0
while time.monotonic() < end and p.poll() is None:
    try:
        with open(log, "rb") as f:
            boots = f.read().count(b"boot\n")
    except FileNotFoundError:
        boots = 0
    if boots >= BOOTS:
        break
    time.sleep(0.1)
p.send_signal(signal.SIGTERM)
try:
    p.wait(timeout=30)
except subprocess.TimeoutExpired:
    p.kill()
    p.wait()
err = p.stderr.read().decode(errors="replace")
ok = boots >= BOOTS
print("%s -serial file: holds %d boots' output (want at least %d)%s" %
      ("ok  " if ok else "FAIL", boots, BOOTS, "" if ok else ": " + err.strip()[-400:]))
sys.exit(0 if ok else 1)
