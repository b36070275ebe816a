#!/usr/bin/env python3
"""Boot test: Debian's arm64 cloud kernel with a busybox initramfs on avmm,
driven through the serial console like a user would: wait for the shell,
run commands, check their output, power off, and check avmm's exit status.

Fixtures come from scripts/fixtures.sh (downloaded from Debian at test time).
"""
import argparse
import hashlib
import os
import re
import select
import subprocess
import sys
import time


class Console:
    def __init__(self, cmd, log):
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.buf = b""
        self.log = log

    def expect(self, pattern, timeout):
        rx = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
        end = time.monotonic() + timeout
        while True:
            m = rx.search(self.buf)
            if m:
                out = self.buf[:m.end()]
                self.buf = self.buf[m.end():]
                return out.decode(errors="replace")
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("timed out after %ds waiting for %r; last output:\n%s" %
                                   (timeout, pattern, self.buf[-2000:].decode(errors="replace")))
            r, _, _ = select.select([self.p.stdout], [], [], min(left, 1.0))
            if r:
                data = os.read(self.p.stdout.fileno(), 65536)
                if not data:
                    if rx.search(self.buf):
                        continue
                    raise EOFError("avmm exited (status %s) before %r; last output:\n%s" %
                                   (self.p.wait(), pattern, self.buf[-2000:].decode(errors="replace")))
                self.log.write(data.decode(errors="replace"))
                self.log.flush()
                self.buf += data

    def send(self, line):
        self.p.stdin.write(line.encode() + b"\n")
        self.p.stdin.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--avmm", required=True)
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--smp", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--accel", default="soft")
    a = ap.parse_args()

    kernel = os.path.join(a.fixtures, "vmlinuz")
    initrd = os.path.join(a.fixtures, "initramfs.cpio.gz")
    cmd = [a.avmm, "-M", "virt", "-accel", a.accel, "-m", "512", "-smp", str(a.smp), "-nographic",
           "-kernel", kernel, "-initrd", initrd, "-append", "console=ttyAMA0 panic=-1 quiet", "-no-reboot"]
    print("+ " + " ".join(cmd))
    checks = []

    def check(ok, what):
        checks.append(ok)
        print("%s %s" % ("ok  " if ok else "FAIL", what))

    c = Console(cmd, sys.stdout)
    t0 = time.monotonic()
    try:
        c.expect(r"avmm: /init reached", a.timeout)
        c.expect(r"avmm# ", 60)
        t_shell = time.monotonic() - t0
        c.send("uname -a; echo END1")
        out = c.expect(r"END1\r?\n.*avmm# ", 60)
        check("Linux" in out and "aarch64" in out, "uname -a reports Linux on aarch64")
        c.send("nproc; echo END2")
        out = c.expect(r"END2\r?\n.*avmm# ", 60)
        m = re.search(r"^(\d+)\s*$", out, re.M)
        check(m is not None and int(m.group(1)) == a.smp, "nproc says %d" % a.smp)
        c.send("grep -c ^processor /proc/cpuinfo; grep -m1 Features /proc/cpuinfo; echo END3")
        out = c.expect(r"END3\r?\n.*avmm# ", 60)
        check(re.search(r"^%d\s*$" % a.smp, out, re.M) is not None, "/proc/cpuinfo lists %d processors" % a.smp)
        check("Features" in out, "/proc/cpuinfo has a Features line")
        c.send("echo avmm-tmpfs-test > /tmp/f; cat /tmp/f; md5sum /tmp/f; echo END4")
        out = c.expect(r"END4\r?\n.*avmm# ", 60)
        check(out.count("avmm-tmpfs-test") >= 2, "write and read back a file in tmpfs")
        want = hashlib.md5(b"avmm-tmpfs-test\n").hexdigest()
        check(want in out, "md5sum of the tmpfs file is %s" % want)
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
    if all(checks):
        print("boot to shell: %.2f s" % t_shell)
    print("%d passed, %d failed" % (checks.count(True), checks.count(False)))
    return 0 if all(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
