#!/usr/bin/env python3
"""Real-driver virtio tests: Debian's cloud kernel with its own virtio_pci,
virtio_mmio, virtio_blk and virtio_rng modules (loaded by the initramfs) on
ext4 images built here with `mke2fs -d`, checked from the host with e2fsck
and debugfs.

--case disk: virtio-blk-pci (read-write, serial avmm-rw) and a second one
  readonly=on, virtio-rng-pci and pci-testdev. The guest lists the PCI
  functions, checks the interrupt path (ITS-MSI with avmm's GIC; with
  --expect-v2m the framework's GIC, where there is no ITS), reads the image's
  files, writes files, syncs; a second avmm on the image is refused while this
  one runs; the read-only disk mounts read-only and refuses writes; clean
  poweroff. The host then finds the image clean (e2fsck -fn) and reads back
  what the guest wrote (debugfs).
--case kill: virtio-blk-device (mmio) and virtio-rng-device. The guest keeps
  writing and deleting files in the background (no fsync), writes a file with
  conv=fsync and prints its md5; avmm is killed with SIGKILL as soon as that
  line appears. The host recovers the journal (e2fsck -fy: exit 0 or 1), finds
  the result clean (e2fsck -fn) and the fsynced file's md5 intact.
"""
import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from boot_console import Console, fixtures  # noqa: E402

checks = []


def check(ok, what):
    checks.append(bool(ok))
    print("%s %s" % ("ok  " if ok else "FAIL", what), flush=True)
    return ok


def make_image(path, fx, size="64M"):
    """An ext4 image from Debian-packaged files (the busybox-static package's
    tree) plus a file whose content the guest checks."""
    tree = tempfile.mkdtemp(prefix="avmm-vt-tree-")
    try:
        shutil.copytree(os.path.join(fx, "x-busybox-static:arm64"), os.path.join(tree, "pkg"), symlinks=True)
        os.makedirs(os.path.join(tree, "etc"))
        with open(os.path.join(tree, "etc", "avmm-hello"), "w") as f:
            f.write("hello from the host\n")
        subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-d", tree, path, size], check=True)
    finally:
        shutil.rmtree(tree)


def debugfs_cat(img, path):
    p = subprocess.run(["debugfs", "-R", "cat " + path, img], capture_output=True)
    return p.stdout


def e2fsck(img, mode):
    p = subprocess.run(["e2fsck", mode, img], capture_output=True, text=True)
    return p.returncode, (p.stdout + p.stderr).strip()


class Guest:
    def __init__(self, cmd):
        print("+ " + " ".join(cmd), flush=True)
        self.c = Console(cmd, sys.stdout)
        self.n = 0

    def boot(self, timeout):
        self.c.expect(r"avmm: /init reached", timeout)
        self.c.expect(r"avmm# ", 120)

    def run(self, cmd, timeout=120):
        """Runs a shell command; returns its output. The end marker is split
        in the command so the console's echo of the line cannot match it."""
        self.n += 1
        self.c.send("%s; echo EN''D%d" % (cmd, self.n))
        out = self.c.expect(r"\nEND%d\r?\n" % self.n, timeout)
        self.c.expect(r"avmm# ", 30)
        return out.replace("\r", "")


def base_cmd(a, fx):
    return [a.avmm, "-M", "virt", "-accel", a.accel, "-m", "512", "-smp", str(a.smp), "-nographic",
            "-kernel", os.path.join(fx, "vmlinuz"), "-initrd", os.path.join(fx, "initramfs-virtio.cpio.gz"),
            "-append", "console=ttyAMA0 panic=-1 quiet", "-no-reboot"]


def case_disk(a, fx, work):
    img = os.path.join(work, "rw.img")
    ro = os.path.join(work, "ro.img")
    make_image(img, fx)
    make_image(ro, fx, "16M")
    ro_md5 = hashlib.md5(open(ro, "rb").read()).hexdigest()
    bb_md5 = hashlib.md5(open(os.path.join(fx, "x-busybox-static:arm64", "bin", "busybox"), "rb").read()).hexdigest()
    cmd = base_cmd(a, fx) + [
        "-drive", "file=%s,if=virtio,format=raw,serial=avmm-rw" % img,
        "-drive", "if=none,id=ro0,file=%s,readonly=on" % ro, "-device", "virtio-blk-pci,drive=ro0,serial=avmm-ro",
        "-device", "virtio-rng-pci", "-device", "pci-testdev"]
    g = Guest(cmd)
    guest_md5 = None
    try:
        g.boot(a.timeout)
        out = g.run("for d in /sys/bus/pci/devices/*; do echo PCI $(cat $d/vendor):$(cat $d/device); done")
        ids = set(re.findall(r"^PCI (0x[0-9a-f]{4}:0x[0-9a-f]{4})", out, re.M))
        check("0x1b36:0x0008" in ids, "the guest sees the host bridge 1b36:0008 (%s)" % " ".join(sorted(ids)))
        check("0x1af4:0x1042" in ids, "the guest sees virtio-blk-pci 1af4:1042")
        check("0x1af4:0x1044" in ids, "the guest sees virtio-rng-pci 1af4:1044")
        check("0x1b36:0x0005" in ids, "the guest sees pci-testdev 1b36:0005")
        out = g.run("cat /proc/interrupts")
        virtio = [l for l in out.splitlines() if "virtio" in l]
        if a.expect_v2m:
            # No ITS with the framework's GIC: MSI-X through its MSI frame,
            # which the device tree describes as a GICv2m frame.
            check(virtio and not any("ITS-MSI" in l for l in virtio) and
                  any(re.search(r"\bMSI\s+\d+\s+Edge\s+virtio", l) for l in virtio),
                  "virtio-pci vectors are MSIs through the framework's MSI frame (GICv2m), no ITS: %s" % " | ".join(
                      " ".join(l.split()) for l in virtio))
        else:
            check(any("ITS-MSI" in l and "virtio" in l for l in virtio),
                  "virtio-pci vectors are ITS-MSI in /proc/interrupts: %s" % " | ".join(
                      " ".join(l.split()) for l in virtio))
        out = g.run("cat /sys/class/misc/hw_random/rng_current; head -c 64 /dev/hwrng | wc -c")
        check(re.search(r"^virtio_rng", out, re.M), "rng_current is virtio_rng")
        check(re.search(r"^\s*64\s*$", out, re.M), "64 bytes from /dev/hwrng")
        out = g.run("for b in /sys/block/vd*; do echo BLK ${b##*/} $(cat $b/serial) $(cat $b/ro); done")
        disks = {m.group(2): (m.group(1), m.group(3)) for m in re.finditer(r"^BLK (vd\w+) (\S+) (\d)", out, re.M)}
        rw, rod = disks.get("avmm-rw"), disks.get("avmm-ro")
        check(rw and rw[1] == "0", "the read-write disk (serial avmm-rw) is writable: %s" % (rw,))
        check(rod and rod[1] == "1", "the readonly=on disk (serial avmm-ro) is read-only: %s" % (rod,))
        rwdev = "/dev/" + (rw[0] if rw else "vda")
        rodev = "/dev/" + (rod[0] if rod else "vdb")
        out = g.run("mkdir -p /mnt /ro; mount -t ext4 %s /mnt && cat /mnt/etc/avmm-hello && md5sum /mnt/pkg/bin/busybox"
                    % rwdev)
        check("hello from the host" in out, "the guest reads a file the host put in the image")
        check(bb_md5 in out, "busybox read from the image has the host's md5 %s" % bb_md5)
        out = g.run("mkdir /mnt/guest && echo written-by-the-guest > /mnt/guest/a.txt && "
                    "dd if=/dev/urandom of=/mnt/guest/rand bs=64k count=24 2>/dev/null && sync && "
                    "md5sum /mnt/guest/rand")
        m = re.search(r"^([0-9a-f]{32})\s+/mnt/guest/rand", out, re.M)
        check(m, "the guest wrote and synced 1.5 MiB")
        guest_md5 = m.group(1) if m else None
        # While this VM holds the image: a second avmm is refused, read-write and read-only.
        for extra, what in (("", "read-write"), (",readonly=on", "readonly=on")):
            p = subprocess.run([a.avmm, "-m", "64", "-nographic", "-kernel", os.path.join(fx, "vmlinuz"),
                                "-drive", "file=%s,if=virtio%s" % (img, extra)],
                               stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
            lines = [l for l in p.stderr.splitlines() if l.strip()]
            check(p.returncode != 0 and "in use by another process" in p.stderr and len(lines) == 1 and not p.stdout,
                  "a second avmm (%s) on the image is refused: exit %d: %s" % (what, p.returncode, p.stderr.strip()))
        out = g.run("mount -t ext4 -o ro %s /ro && cat /ro/etc/avmm-hello; umount /ro; "
                    "dd if=/dev/zero of=%s bs=4k count=1 oflag=direct; echo DD-RC=$?" % (rodev, rodev))
        check("hello from the host" in out, "the readonly=on disk mounts read-only and reads")
        m = re.search(r"^DD-RC=(\d+)", out, re.M)
        check(m and m.group(1) != "0", "a write to the readonly=on disk fails in the guest (dd exit %s)" %
              (m.group(1) if m else "?"))
        g.run("umount /mnt")
        g.c.send("poweroff -f")
        g.c.expect(r"Power down", 60)
    except (TimeoutError, EOFError) as e:
        check(False, str(e))
    try:
        status = g.c.p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        g.c.p.kill()
        status = None
    check(status == 0, "avmm exits 0 after poweroff (status %s)" % status)
    rc, msg = e2fsck(img, "-fn")
    check(rc == 0, "e2fsck -fn on the host: clean (exit %d)%s" % (rc, "" if rc == 0 else "\n" + msg))
    check(debugfs_cat(img, "/guest/a.txt") == b"written-by-the-guest\n", "debugfs reads the guest's text file back")
    got = hashlib.md5(debugfs_cat(img, "/guest/rand")).hexdigest()
    check(guest_md5 and got == guest_md5, "debugfs reads the guest's random file back, md5 %s" % got)
    check(hashlib.md5(open(ro, "rb").read()).hexdigest() == ro_md5, "the readonly=on image is unchanged")
    return g


def case_kill(a, fx, work):
    img = os.path.join(work, "kill.img")
    make_image(img, fx, "96M")
    cmd = base_cmd(a, fx) + ["-drive", "if=none,id=d0,file=%s" % img, "-device", "virtio-blk-device,drive=d0",
                             "-device", "virtio-rng-device"]
    g = Guest(cmd)
    md5 = None
    try:
        g.boot(a.timeout)
        out = g.run("cat /sys/class/misc/hw_random/rng_current; head -c 64 /dev/hwrng | wc -c; "
                    "ls /sys/bus/virtio/drivers/virtio_blk")
        check(re.search(r"^virtio_rng", out, re.M) and re.search(r"^\s*64\s*$", out, re.M),
              "virtio-rng-device (mmio): rng_current is virtio_rng, 64 bytes from /dev/hwrng")
        check(re.search(r"virtio\d", out), "virtio_blk is bound to a virtio-mmio device")
        g.run("mkdir -p /mnt; mount -t ext4 /dev/vda /mnt && cat /mnt/etc/avmm-hello")
        # Writes in flight: files created, extended and deleted without fsync.
        g.run("(i=0; while :; do dd if=/dev/urandom of=/mnt/bg.$i bs=16k count=8 2>/dev/null; "
              "rm -f /mnt/bg.$((i-4)); i=$((i+1)); done) & true")
        g.c.send("dd if=/dev/urandom of=/mnt/x bs=64k count=16 conv=fsync 2>/dev/null && md5sum /mnt/x | "
                 "sed 's/^/FSYNCED /'")
        out = g.c.expect(r"\nFSYNCED ([0-9a-f]{32})", 300)
        g.c.p.kill()  # SIGKILL, the moment the guest says the data is durable
        md5 = re.search(r"FSYNCED ([0-9a-f]{32})", out).group(1)
        g.c.p.wait(timeout=30)
        check(g.c.p.returncode == -9, "avmm killed with SIGKILL right after the fsync (status %s)" % g.c.p.returncode)
    except (TimeoutError, EOFError) as e:
        check(False, str(e))
        g.c.p.kill()
        g.c.p.wait()
    rc, msg = e2fsck(img, "-fy")
    check(rc in (0, 1), "e2fsck -fy recovers the file system (exit %d)%s" % (rc, "" if rc in (0, 1) else "\n" + msg))
    rc, msg = e2fsck(img, "-fn")
    check(rc == 0, "after recovery e2fsck -fn finds it clean (exit %d)%s" % (rc, "" if rc == 0 else "\n" + msg))
    data = debugfs_cat(img, "/x")
    got = hashlib.md5(data).hexdigest()
    check(md5 and got == md5 and len(data) == 1 << 20,
          "the fsynced 1 MiB file survived the kill: md5 %s (guest said %s)" % (got, md5))
    return g


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--avmm", required=True)
    ap.add_argument("--fixtures-script", required=True)
    ap.add_argument("--case", choices=["disk", "kill"], required=True)
    ap.add_argument("--smp", type=int, default=2)
    ap.add_argument("--accel", default="soft")
    ap.add_argument("--expect-v2m", action="store_true", help="no ITS (hvf,gic=kernel): MSI-X through the framework's MSI frame (GICv2m)")
    ap.add_argument("--timeout", type=int, default=300)
    a = ap.parse_args()
    for tool in ("mke2fs", "e2fsck", "debugfs"):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
            print("SKIP: %s not found (scripts/deps.sh installs e2fsprogs)" % tool)
            return 77
    os.environ["PATH"] = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    fx = fixtures(a.fixtures_script)
    work = tempfile.mkdtemp(prefix="avmm-vt-")
    t0 = time.monotonic()
    try:
        g = case_disk(a, fx, work) if a.case == "disk" else case_kill(a, fx, work)
    finally:
        shutil.rmtree(work)
    bad = re.findall(r"^.*(?:Oops|BUG:|WARNING:|Internal error|Kernel panic|I/O error|EXT4-fs error).*$",
                     g.c.seen.decode(errors="replace"), re.M)
    check(not bad, "no kernel oops, BUG, WARNING, I/O or ext4 error%s" % ("" if not bad else ": " + bad[0].strip()))
    print("%d passed, %d failed (%.1f s)" % (checks.count(True), checks.count(False), time.monotonic() - t0))
    return 0 if all(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
