#!/usr/bin/env bash
# Block benchmark: the same Debian kernel (its virtio_blk and virtio_pci
# modules) and busybox initramfs on avmm and on qemu-system-aarch64 -M
# virt,gic-version=3 -cpu cortex-a57 (TCG), in this run, on the same raw
# image with the same cache mode (virtio-blk-pci, MSI-X through the ITS on
# both). In the guest, bench/blk-io (a static arm64 program, O_DIRECT on
# /dev/vda, timed with the guest's clock): sequential 1 MiB writes then reads
# over SIZE_MIB, random 4 KiB writes then reads (RAND_OPS each, fixed seed).
# RUNS boots per VMM; medians; ratios avmm/qemu (above 1: avmm is faster),
# and host CPU seconds per GiB moved (utime+stime of the VMM process over
# each phase, from /proc/PID/stat: the guest's CPU work is in it too).
#   RUNS=3 SIZE_MIB=256 RAND_OPS=4000 CACHE=writeback SMP=2 ACCEL=soft BUILD=build
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
build=${BUILD:-build}
[ -f "$build/build.ninja" ] || meson setup "$build" >/dev/null
ninja -C "$build" >/dev/null
fx=$(scripts/fixtures.sh | tail -n 1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -Werror -o "$work/blk-io" bench/blk-io.c
export RUNS=${RUNS:-3} SIZE_MIB=${SIZE_MIB:-256} RAND_OPS=${RAND_OPS:-4000} CACHE=${CACHE:-writeback} SMP=${SMP:-2}
export ACCEL=${ACCEL:-soft}
python3 - "$build/src/avmm" "$fx" "$work" <<'PY'
import gzip, os, re, statistics, subprocess, sys, time
sys.path.insert(0, "tests/boot")
from boot_console import Console

avmm, fx, work = sys.argv[1:4]
runs, size_mib, rand_ops = int(os.environ["RUNS"]), int(os.environ["SIZE_MIB"]), int(os.environ["RAND_OPS"])
cache, smp, accel = os.environ["CACHE"], os.environ["SMP"], os.environ["ACCEL"]

# The virtio initramfs plus /bin/blk-io (a second cpio archive: later entries win).
def entry(name, mode, body, ino):
    nb = name.encode() + b"\0"
    h = "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x" % (
        ino, mode, 0, 0, 1, 0, len(body), 0, 0, 0, 0, len(nb), 0)
    out = h.encode() + nb
    out += b"\0" * ((4 - len(out) % 4) % 4) + body
    return out + b"\0" * ((4 - len(out) % 4) % 4)
initrd = os.path.join(work, "initrd.gz")
with gzip.open(initrd, "wb") as f:
    f.write(gzip.open(os.path.join(fx, "initramfs-virtio.cpio.gz")).read() +
            entry("bin/blk-io", 0o100755, open(os.path.join(work, "blk-io"), "rb").read(), 900000) +
            entry("TRAILER!!!", 0, b"", 900001))
img = os.path.join(work, "disk.img")
# Written out in full first: neither VMM pays for the host allocating blocks
# (the first to write a sparse image would).
with open(img, "wb") as f:
    for _ in range(size_mib):
        f.write(b"\xa5" * (1 << 20))
    os.fsync(f.fileno())

span = size_mib << 20
phases = [("seqwrite", 1 << 20, size_mib), ("seqread", 1 << 20, size_mib),
          ("randwrite", 4096, rand_ops), ("randread", 4096, rand_ops)]
append = "console=ttyAMA0 panic=-1 quiet"
drive = "file=%s,if=virtio,format=raw,cache=%s" % (img, cache)
common = ["-m", "512", "-smp", smp, "-nographic", "-no-reboot", "-kernel", os.path.join(fx, "vmlinuz"),
          "-initrd", initrd, "-append", append, "-drive", drive]
vmms = {"avmm": [avmm, "-M", "virt", "-accel", accel] + common,
        "qemu": ["qemu-system-aarch64", "-M", "virt,gic-version=3", "-cpu", "cortex-a57"] + common}
tick = os.sysconf("SC_CLK_TCK")

def cpu(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / tick

class Log:
    def write(self, s): pass
    def flush(self): pass

res = {v: {p[0]: [] for p in phases} for v in vmms}
cpus = {v: {p[0]: [] for p in phases} for v in vmms}
for r in range(runs):
    for v, cmd in vmms.items():
        c = Console(cmd, Log())
        c.expect(r"avmm: /init reached", 600)
        c.expect(r"avmm# ", 120)
        for n, (mode, bs, count) in enumerate(phases):
            c0 = cpu(c.p.pid)
            c.send("blk-io /dev/vda %s %d %d %d; echo EN''D%d" % (mode, bs, count, span, n))
            out = c.expect(r"\nEND%d\r?\n" % n, 1800)
            c1 = cpu(c.p.pid)
            m = re.search(r"RESULT (\S+) (\d+) (\d+) (\d+) ([0-9.]+)", out)
            if not m:
                sys.exit("bench: %s %s failed:\n%s" % (v, mode, out))
            nbytes, secs = int(m.group(4)), float(m.group(5))
            res[v][mode].append(nbytes / secs if mode.startswith("seq") else count / secs)
            cpus[v][mode].append((c1 - c0) / (nbytes / (1 << 30)))
            c.expect(r"avmm# ", 60)
        c.send("poweroff -f")
        c.expect(r"Power down", 60)
        c.p.wait(timeout=60)
        print("run %d/%d %s: %s" % (r + 1, runs, v, ", ".join(
            "%s %.0f" % (m, res[v][m][-1] / ((1 << 20) if m.startswith("seq") else 1)) for m, _, _ in phases)),
            flush=True)

med = statistics.median
print("kernel: %s, -smp %s, cache=%s, avmm -accel %s, %d MiB sequential, %d random 4 KiB ops, %d runs each (medians)" % (
    os.path.basename(os.path.realpath(os.path.join(fx, "vmlinuz"))), smp, cache, accel, size_mib, rand_ops, runs))
print("%-26s %12s %12s %8s   %14s %14s %8s" % ("", "avmm", "qemu TCG", "ratio", "avmm CPU s/GiB", "qemu CPU s/GiB", "ratio"))
for mode, bs, _ in phases:
    a, q = med(res["avmm"][mode]), med(res["qemu"][mode])
    ca, cq = med(cpus["avmm"][mode]), med(cpus["qemu"][mode])
    if mode.startswith("seq"):
        label, fa, fq = "%s 1 MiB (MiB/s)" % mode, a / (1 << 20), q / (1 << 20)
    else:
        label, fa, fq = "%s 4 KiB (IOPS)" % mode, a, q
    print("%-26s %12.1f %12.1f %7.2fx   %14.2f %14.2f %7.2fx" % (label, fa, fq, a / q, ca, cq, ca / cq))
PY
