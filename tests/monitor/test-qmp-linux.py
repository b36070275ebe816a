#!/usr/bin/env python3
"""QMP against Debian's kernel with the busybox initramfs (-smp 2): the PL061
bound by Linux's gpio-pl061 driver at 9030000, stop (the shell answers
nothing while paused) and cont (it answers), system_powerdown (POWERDOWN;
Debian's cloud kernel has no gpio-keys driver, so Linux does not act on the
button: checked, not expected to power off), system_reset (RESET, Linux
boots again in the same process), quit (SHUTDOWN host-qmp-quit, exit 0)."""
import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "boot"))
from boot_console import Console, fixtures  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
ap = argparse.ArgumentParser()
ap.add_argument("--avmm", required=True)
ap.add_argument("--fixtures-script", required=True)
a = ap.parse_args()

import importlib.util  # noqa: E402
spec = importlib.util.spec_from_file_location("tq", os.path.join(os.path.dirname(os.path.abspath(__file__)), "qmp_client.py"))
tq = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tq)

checks = []


def check(ok, what):
    checks.append(bool(ok))
    print("%s %s" % ("ok  " if ok else "FAIL", what), flush=True)


fx = fixtures(a.fixtures_script)
sock = os.path.join(tempfile.mkdtemp(prefix="avmm-qmpl-"), "qmp.sock")
cmd = [a.avmm, "-M", "virt", "-accel", "soft", "-m", "512", "-smp", "2", "-nographic",
       "-kernel", os.path.join(fx, "vmlinuz"), "-initrd", os.path.join(fx, "initramfs.cpio.gz"),
       "-append", "console=ttyAMA0 panic=-1 quiet", "-qmp", "unix:%s,server=on,wait=off" % sock]
c = Console(cmd, sys.stdout)
try:
    c.expect(r"avmm: /init reached", 300)
    c.expect(r"avmm# ", 60)
    q = tq.Qmp(sock)
    c.send("ls /sys/bus/amba/drivers/pl061_gpio/; echo END1")
    out = c.expect(r"END1\r?\n.*avmm# ", 60)
    check("9030000.pl061" in out, "Linux's gpio-pl061 driver bound the PL061 at 0x9030000")
    check(q.cmd("stop").get("return") == {} and q.event("STOP"), "stop: STOP")
    c.send("echo PAUSED-$((6*7))")
    try:
        c.expect(r"PAUSED-42", 2)
        answered = True
    except TimeoutError:
        answered = False
    check(not answered, "the paused guest does not answer")
    check(q.cmd("cont").get("return") == {} and q.event("RESUME"), "cont: RESUME")
    c.expect(r"PAUSED-42", 60)
    c.expect(r"avmm# ", 60)
    check(True, "the guest answers after cont")
    check(q.cmd("system_powerdown").get("return") == {} and q.event("POWERDOWN"), "system_powerdown: POWERDOWN")
    c.send("echo STILL-$((1+1))")
    c.expect(r"STILL-2", 60)
    c.expect(r"avmm# ", 60)
    check(True, "no gpio-keys in this kernel: Linux stays up after the button")
    check(q.cmd("system_reset").get("return") == {}, "system_reset")
    e = q.event("RESET")
    check(e["data"] == {"guest": False, "reason": "host-qmp-system-reset"}, "RESET %s" % e["data"])
    c.expect(r"avmm: /init reached", 300)
    c.expect(r"avmm# ", 60)
    check(True, "Linux booted again after system_reset")
    c.send("nproc; echo END2")
    out = c.expect(r"END2\r?\n.*avmm# ", 60)
    check("\n2" in out.replace("\r", ""), "both vCPUs up in the second boot")
    check(q.cmd("quit").get("return") == {}, "quit")
    e = q.event("SHUTDOWN")
    check(e["data"] == {"guest": False, "reason": "host-qmp-quit"}, "SHUTDOWN %s" % e["data"])
except (TimeoutError, EOFError) as ex:
    check(False, str(ex))
try:
    status = c.p.wait(timeout=60)
except Exception:
    c.p.kill()
    status = None
check(status == 0, "exit 0 (status %s)" % status)
print("%d passed, %d failed" % (checks.count(True), checks.count(False)))
sys.exit(0 if all(checks) else 1)
