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
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from boot_console import Console, fixtures  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--avmm", required=True)
    ap.add_argument("--fixtures-script", required=True)
    ap.add_argument("--smp", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--accel", default="soft")
    ap.add_argument("--reboot", action="store_true",
                    help="end with `reboot -f` under -no-reboot (avmm must exit 0) instead of poweroff")
    ap.add_argument("--restart", action="store_true",
                    help="`reboot -f` without -no-reboot, --restarts times: the machine must start again (in the "
                         "same process) and boot to the shell each time, which then powers off")
    ap.add_argument("--restarts", type=int, default=3)
    ap.add_argument("--restart-file", action="store_true",
                    help="a kernel that panics and resets by itself, with -serial file: the file must keep every "
                         "boot's output; then SIGTERM: an orderly shutdown with exit 0")
    a = ap.parse_args()
    if a.restart_file:
        return restart_file(a)

    fx = fixtures(a.fixtures_script)
    kernel = os.path.join(fx, "vmlinuz")
    initrd = os.path.join(fx, "initramfs.cpio.gz")
    cmd = [a.avmm, "-M", "virt", "-accel", a.accel, "-m", "512", "-smp", str(a.smp), "-nographic",
           "-kernel", kernel, "-initrd", initrd, "-append", "console=ttyAMA0 panic=-1 quiet"] + (["--stats"] if a.restart else ["-no-reboot"])
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
        if a.reboot:
            c.send("reboot -f")
            c.expect(r"reboot: Restarting system", 60)
        elif a.restart:
            for n in range(1, a.restarts + 1):
                c.send("reboot -f")
                c.expect(r"reboot: Restarting system", 60)
                c.expect(r"avmm: /init reached", a.timeout)
                c.expect(r"avmm# ", 60)
                c.send("nproc; echo END5")
                out = c.expect(r"END5\r?\n.*avmm# ", 60)
                m = re.search(r"^(\d+)\s*$", out, re.M)
                check(m is not None and int(m.group(1)) == a.smp,
                      "after restart %d: a fresh boot to the shell, nproc says %d" % (n, a.smp))
            c.send("poweroff -f")
            c.expect(r"(reboot: Power down|Power down)", 60)
        else:
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
    rest = c.p.stdout.read()  # what came after the last expect (--stats)
    sys.stdout.write(rest.decode(errors="replace"))
    c.seen += rest
    if a.restart:
        # One process for every boot: --stats counts the boots it ran
        # (an avmm that re-executed itself would count one).
        boots = re.findall(r"avmm: ran [0-9.]+ s, (\d+) boot", c.seen.decode(errors="replace"))
        check(boots == [str(a.restarts + 1)], "one avmm process ran all %d boots (--stats: %s)" % (a.restarts + 1, boots))
    check(status == 0, "avmm exits 0 after %s (status %s)" % (
        "a reboot request with -no-reboot" if a.reboot else "a restart and poweroff" if a.restart else "poweroff", status))
    # The kernel's own checks (its crypto self-tests, lockdep, BUG/WARN)
    # exercise the CPU far beyond the shell commands: none may complain.
    bad = re.findall(r"^.*(?:Oops|BUG:|WARNING:|Internal error|Kernel panic|alg: .*fail).*$",
                     c.seen.decode(errors="replace"), re.M)
    check(not bad, "no kernel oops, BUG, WARNING or self-test failure%s" % ("" if not bad else ": " + bad[0].strip()))
    if all(checks):
        print("boot to shell: %.2f s" % t_shell)
    print("%d passed, %d failed" % (checks.count(True), checks.count(False)))
    return 0 if all(checks) else 1


def restart_file(a):
    """The guest resets itself (no init: the kernel panics, panic=-1 resets
    at once) again and again, its console in a file. Every boot's output
    must stay in the file (defect: it was reopened with O_TRUNC by a
    re-executed avmm, keeping the last boot only), the same process must run
    them all, and SIGTERM must end it in order with exit 0."""
    import signal
    import tempfile
    fx = fixtures(a.fixtures_script)
    d = tempfile.mkdtemp(prefix="avmm-restart-")
    log = os.path.join(d, "serial.txt")
    cmd = [a.avmm, "-M", "virt", "-accel", a.accel, "-m", "512", "-smp", str(a.smp), "-nographic",
           "-kernel", os.path.join(fx, "vmlinuz"), "-initrd", os.path.join(fx, "initramfs.cpio.gz"),
           "-append", "console=ttyAMA0 panic=-1 rdinit=/nonexistent", "-serial", "file:" + log, "--stats"]
    print("+ " + " ".join(cmd))
    checks = []

    def check(ok, what):
        checks.append(ok)
        print("%s %s" % ("ok  " if ok else "FAIL", what))

    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    pid = p.pid
    want = a.restarts + 1
    end = time.monotonic() + a.timeout * want
    text = ""
    shrank = False
    while time.monotonic() < end and p.poll() is None:
        if os.path.exists(log):
            with open(log, "rb") as f:
                now = f.read().decode(errors="replace")
            shrank = len(now) < len(text)  # truncated: earlier boots lost
            text = now
        # A boot counts once it has panicked: its reset is on its way.
        if shrank or text.count("Kernel panic - not syncing") >= want:
            break
        time.sleep(0.5)
    check(not shrank, "the serial file never shrinks across resets")
    alive = p.poll() is None
    check(alive, "avmm still running after the resets (pid %d)" % pid)
    if alive:
        os.kill(pid, signal.SIGTERM)
    try:
        out = p.communicate(timeout=60)[0].decode(errors="replace")
        status = p.returncode
    except subprocess.TimeoutExpired:
        p.kill()
        out, status = "", None
    sys.stdout.write(out)
    if os.path.exists(log):
        with open(log, "rb") as f:
            text = f.read().decode(errors="replace")
    banners = text.count("Booting Linux on physical CPU 0x")
    panics = text.count("Kernel panic - not syncing")
    check(panics >= want and banners >= panics,
          "the serial file keeps every boot: %d kernel banners, %d panics (want >= %d)" % (banners, panics, want))
    boots = re.findall(r"avmm: ran [0-9.]+ s, (\d+) boot", out)
    check(len(boots) == 1 and int(boots[0]) >= banners,
          "one avmm process (pid %d) ran every boot (--stats: %s boot(s))" % (pid, boots))
    check("terminating on signal 15" in out, "SIGTERM reported")
    check(status == 0, "avmm exits 0 after SIGTERM (status %s)" % status)
    print("%d passed, %d failed" % (checks.count(True), checks.count(False)))
    return 0 if all(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
