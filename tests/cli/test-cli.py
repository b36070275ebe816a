#!/usr/bin/env python3
"""Bad command-line input: one clear message naming the problem, a non-zero
exit, and no guest started. Also --help."""
import os
import subprocess
import sys

avmm, guest = sys.argv[1], sys.argv[2]


def host_memory():
    """RAM + swap in bytes (Linux), as avmm's -m limit counts it; None elsewhere."""
    try:
        kb = {}
        for line in open("/proc/meminfo"):
            k, v = line.split(":")
            kb[k] = int(v.split()[0])
        return (kb["MemTotal"] + kb["SwapTotal"]) * 1024
    except (OSError, KeyError, ValueError):
        return None

cases = [
    (["-kernel", "/nonexistent"], 2, "-kernel /nonexistent: No such file"),
    (["-kernel", "/etc/passwd"], 1, "not an arm64 Linux Image"),
    (["-m", "0", "-kernel", guest], 2, "-m 0: give the RAM size"),
    (["-m", "12x", "-kernel", guest], 2, "-m 12x: give the RAM size"),
    (["-m", "-1", "-kernel", guest], 2, "-m -1: give the RAM size"),
    # Defect 10: at most what the virt map has room for below its high MMIO
    # (255 GiB, as QEMU's virt), in whole 16 KiB pages.
    (["-m", "64T", "-kernel", guest], 2, "-m 64T: the virt machine has room for 255 GiB of RAM at most"),
    (["-m", "65536G", "-kernel", guest], 2, "-m 65536G: the virt machine has room for 255 GiB"),
    (["-m", "261121", "-kernel", guest], 2, "-m 261121: the virt machine has room for 255 GiB"),
    (["-m", "1000K", "-kernel", guest], 2, "-m 1000K: the RAM size must be a multiple of 16 KiB"),
    (["-m", "99999999999999999999", "-kernel", guest], 2, "give the RAM size"),
    (["-smp", "9", "-kernel", guest], 2, "-smp 9: give a number of vCPUs from 1 to 8"),
    (["-smp", "0", "-kernel", guest], 2, "-smp 0"),
    (["--frobnicate"], 2, "unknown option '--frobnicate'"),
    (["-kernel"], 2, "needs an argument"),
    ([], 2, "nothing to boot"),
    (["-M", "pc", "-kernel", guest], 2, "-M pc: unknown machine"),
    (["-serial", "tcp:1", "-kernel", guest], 1, "-serial tcp:1: use stdio, none or file:PATH"),
    (["-accel", "nope", "-kernel", guest], 1, "accelerator 'nope' is not available"),
    (["-bios", guest, "-initrd", "/etc/hostname"], 2, "need -kernel"),
    (["-device", "virtio-foo", "-kernel", guest], 2, "unknown device"),
    (["-M", "virt,hvc-patch=maybe", "-kernel", guest], 2, "unknown option hvc-patch=maybe"),
    (["-M", "virt,hvc-patch", "-kernel", guest], 2, "expected key=value"),
    (["-accel", "soft,hvc0=never", "-kernel", guest], 2, "unknown option hvc0=never"),
    (["-cpu", "cortex-z9", "-kernel", guest], 2, "-cpu cortex-z9: unknown CPU model"),
    (["-cpu", "max,pauth=maybe", "-kernel", guest], 2, "unknown option pauth=maybe"),
    (["-d", "everything", "-kernel", guest], 2, "-d everything: unknown debug item"),
]
# More than the host's memory (RAM and swap): refused rather than left to
# the OOM killer.
mem = host_memory()
if mem is not None and mem < 255 << 30:
    cases.append((["-m", "255G", "-kernel", guest], 2, "-m 255G: more than the"))
passed = failed = 0
for args, want_rc, want_msg in cases:
    p = subprocess.run([avmm] + args, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    ok = p.returncode == want_rc and want_msg in p.stderr and len(lines) == 1 and p.stdout == ""
    print("%s avmm %s -> exit %d: %s" % ("ok  " if ok else "FAIL", " ".join(args), p.returncode, p.stderr.strip()))
    passed += ok
    failed += not ok
p = subprocess.run([avmm, "--help"], capture_output=True, text=True, timeout=30)
ok = p.returncode == 0 and "-kernel" in p.stdout and "-smp" in p.stdout and "Ctrl-A x" in p.stdout
print("%s avmm --help" % ("ok  " if ok else "FAIL"))
passed += ok
failed += not ok
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
