#!/usr/bin/env python3
"""Boot test: a 600-character paste into the Linux shell on ttyAMA0 (issue 12).
Input faster than the guest reads is held back by avmm (flow control), so the
kernel's PL011 driver must see no overrun: no "oe:" count in
/proc/tty/driver/ttyAMA, no "input overrun(s)" in dmesg, and the shell gets
every character. Old avmm flagged OE for each held-back character.

Fixtures come from scripts/fixtures.sh (downloaded from Debian at test time).
"""
import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from boot_console import Console, fixtures  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--avmm", required=True)
    ap.add_argument("--fixtures-script", required=True)
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--accel", default="soft")
    a = ap.parse_args()

    fx = fixtures(a.fixtures_script)
    cmd = [a.avmm, "-M", "virt", "-accel", a.accel, "-m", "512", "-smp", str(a.smp), "-nographic", "-no-reboot",
           "-kernel", os.path.join(fx, "vmlinuz"), "-initrd", os.path.join(fx, "initramfs.cpio.gz"),
           "-append", "console=ttyAMA0 panic=-1 quiet"]
    print("+ " + " ".join(cmd))
    checks = []

    def check(ok, what):
        checks.append(ok)
        print("%s %s" % ("ok  " if ok else "FAIL", what))

    c = Console(cmd, sys.stdout)
    paste = "".join(chr(ord("a") + i % 26) for i in range(600))
    try:
        c.expect(r"avmm: /init reached", a.timeout)
        c.expect(r"avmm# ", 60)
        # One write of the whole line: it reaches avmm at once, far faster
        # than the 16-deep FIFO is read.
        c.send("echo %s | wc -c; echo END1" % paste)
        out = c.expect(r"END1\r?\n.*avmm# ", 120)
        check(re.search(r"^601\s*$", out, re.M) is not None, "the shell got all 600 pasted characters")
        c.send("cat /proc/tty/driver/ttyAMA; dmesg | grep -c 'input overrun'; echo END2")
        out = c.expect(r"END2\r?\n.*avmm# ", 60)
        line = re.search(r"^0: uart:PL011.*$", out, re.M)
        check(line is not None and "oe:" not in line.group(0),
              "no overrun counted by the driver (%s)" % (line.group(0).strip() if line else "no ttyAMA line"))
        check(re.search(r"^0\s*$", out, re.M) is not None, "no 'input overrun(s)' in dmesg")
        c.send("poweroff -f")
        c.expect(r"(reboot: Power down|Power down)", 60)
    except (TimeoutError, EOFError) as e:
        print("FAIL", e)
        checks.append(False)
    try:
        status = c.p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        c.p.kill()
        status = None
    check(status == 0, "avmm exits 0 after poweroff (status %s)" % status)
    print("%d passed, %d failed" % (checks.count(True), checks.count(False)))
    return 0 if all(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
