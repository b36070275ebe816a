#!/usr/bin/env python3
"""Runs a bare-metal guest test program on avmm and, unless told not to, on
qemu-system-aarch64 (-M virt -cpu cortex-a57) as the system-level oracle.

Passes when avmm exits 0, the transcript ends with "N passed, 0 failed", and
(with the oracle) both transcripts are identical byte for byte.
"""
import argparse
import difflib
import re
import subprocess
import sys


def run(cmd, timeout):
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return None, (e.stdout or b"").decode(errors="replace"), "timed out after %ds" % timeout
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--avmm", required=True)
    ap.add_argument("--qemu", help="qemu-system-aarch64; omit for avmm-only tests")
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--avmm-arg", action="append", default=[])
    ap.add_argument("--qemu-arg", action="append", default=[],
                    help="appended to qemu-system-aarch64's command line (-device ..., -M ...)")
    ap.add_argument("--expect-hang", metavar="LINE",
                    help="the guest must hang (killed after 5 s) with LINE as its last output")
    ap.add_argument("--expect-error", metavar="TEXT",
                    help="avmm must refuse the command line: exit status 2, TEXT in stderr")
    ap.add_argument("--hvc-fault-limit", type=int, metavar="N",
                    help="run with --stats; hvc-patch's exec + write faults must not exceed N")
    ap.add_argument("image")
    a = ap.parse_args()

    if a.expect_error:
        rc, out, err = run([a.avmm, "-kernel", a.image] + a.avmm_arg, a.timeout)
        if rc != 2 or a.expect_error not in err or out:
            print("expected exit status 2 and %r in stderr; got exit status %s, stdout %r, stderr:\n%s"
                  % (a.expect_error, rc, out, err))
            return 1
        print("refused as expected: %s" % err.strip())
        return 0

    if a.expect_hang:
        rc, out, err = run([a.avmm, "-kernel", a.image] + a.avmm_arg, 5)
        sys.stdout.write(out)
        last = out.strip().splitlines()[-1:]
        if rc is not None or last != [a.expect_hang] or "FAIL" in out:
            print("expected a hang after %r; got exit status %s, last line %r; stderr:\n%s"
                  % (a.expect_hang, rc, last, err))
            return 1
        print("hung as expected (%s)" % err)
        return 0

    extra = ["--stats"] if a.hvc_fault_limit is not None else []
    rc, out, err = run([a.avmm, "-kernel", a.image] + a.avmm_arg + extra, a.timeout)
    sys.stdout.write(out)
    ok = True
    if rc != 0:
        print("avmm: exit status %s; stderr:\n%s" % (rc, err))
        ok = False
    if a.hvc_fault_limit is not None:
        m = re.search(r"hvc-patch: (\d+) exec faults, (\d+) write faults.*", err)
        if not m:
            print("no hvc-patch counters in avmm's stderr")
            ok = False
        else:
            print(m.group(0))
            if int(m.group(1)) + int(m.group(2)) > a.hvc_fault_limit:
                print("more than %d hvc-patch faults" % a.hvc_fault_limit)
                ok = False
    last = out.strip().splitlines()[-1:] if out.strip() else []
    if not last or not last[0].endswith(" 0 failed"):
        print("avmm transcript does not end with 'N passed, 0 failed'")
        ok = False
    if a.qemu:
        qcmd = [a.qemu, "-M", "virt", "-cpu", "cortex-a57", "-m", "256", "-display", "none",
                "-serial", "stdio", "-monitor", "none", "-no-reboot", "-kernel", a.image] + a.qemu_arg
        qrc, qout, qerr = run(qcmd, a.timeout)
        if qrc != 0:
            print("qemu-system-aarch64: exit status %s; stderr:\n%s" % (qrc, qerr))
            ok = False
        if qout != out:
            print("transcripts differ (--- qemu, +++ avmm):")
            sys.stdout.writelines(difflib.unified_diff(
                qout.splitlines(True), out.splitlines(True), "qemu", "avmm"))
            ok = False
        else:
            print("transcript identical to qemu-system-aarch64's")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
