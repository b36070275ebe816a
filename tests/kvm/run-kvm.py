#!/usr/bin/env python3
"""The KVM backend, tested where there is no arm64 KVM: Debian's arm64 cloud
kernel (CONFIG_KVM=y) boots in qemu-system-aarch64 -M virt,virtualization=on
(TCG with EL2), so /dev/kvm exists inside it; a static aarch64 avmm (the cross
build, scripts/cross-aarch64.txt) runs bare-metal guest programs there with
-accel kvm, and optionally boots the same Linux kernel to its /init.

Everything runs from one initramfs whose /init prints each guest's transcript
between markers and powers off. A guest passes when avmm exits 0 and its
transcript ends "N passed, 0 failed" with N > 0; a guest given with --oracle
must also match, byte for byte, its transcript on qemu-system-aarch64 -M virt
-cpu cortex-a57 run here (an independent implementation).

Exit 77 (skipped) in the sanitizer suite (AVMM_SANITIZE=1): the binary under
test is the cross build, which the sanitizers do not cover, and one nested run
per suite is enough.
"""
import argparse
import difflib
import gzip
import os
import re
import stat
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from mkinitramfs import Cpio  # noqa: E402

APPLETS = ["sh", "mount", "cat", "echo", "poweroff", "timeout", "sed", "grep", "dmesg", "uname", "nproc", "true"]

INIT_HEAD = r"""#!/bin/sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox mount -t devtmpfs dev /dev
/bin/busybox mount -t tmpfs tmp /tmp
if [ -c /dev/kvm ]; then echo "kvm-test: /dev/kvm present"; else echo "kvm-test: /dev/kvm MISSING"; fi
dmesg | grep -i 'kvm \[' | sed 's/^/kvm-test: dmesg: /'
run() { # name, timeout, avmm args...
    n=$1; t=$2; shift 2
    echo "=== BEGIN $n"
    timeout $t /avmm "$@" </dev/null 2>/tmp/err
    rc=$?
    sed 's/^/=== stderr: /' /tmp/err
    echo "=== END $n rc=$rc"
}
"""

INNER_INIT = r"""#!/bin/sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox mount -t devtmpfs dev /dev
echo "inner: /init reached, $(/bin/busybox nproc) CPUs, $(/bin/busybox uname -r)"
for m in $(/bin/busybox cat /lib/modules/load 2>/dev/null); do /bin/busybox insmod /lib/modules/$m.ko; done
if [ -e /lib/modules/load ]; then
    /bin/busybox sleep 1
    /bin/busybox grep -E 'ITS-MSI.*virtio' /proc/interrupts | /bin/busybox sed 's/^/inner: irq /'
    echo "inner: hwrng $(/bin/busybox head -c 32 /dev/hwrng | /bin/busybox wc -c) bytes"
fi
/bin/busybox reboot -f
"""


def cpio_gz(files, out):
    """files: list of (name, mode, data)."""
    c = Cpio()
    for name, mode, data in files:
        c.add(name, mode, data, nlink=2 if stat.S_ISDIR(mode) else 1)
    with gzip.open(out, "wb", 6) as f:
        f.write(c.finish())


def base_files(busybox):
    fs = [(d, stat.S_IFDIR | 0o755, b"") for d in ["bin", "proc", "sys", "dev", "tmp", "g"]]
    with open(busybox, "rb") as f:
        fs.append(("bin/busybox", stat.S_IFREG | 0o755, f.read()))
    fs += [("bin/" + a, stat.S_IFLNK | 0o777, b"busybox") for a in APPLETS]
    return fs


def cross_build(builddir, werror=True):
    """The static aarch64 avmm: set the cross build up if needed, then ninja."""
    if not os.path.exists(os.path.join(ROOT, ".cache/aarch64/usr/lib/aarch64-linux-gnu/libfdt.a")):
        subprocess.run([os.path.join(ROOT, "scripts/deps.sh")], check=True)
    if not os.path.exists(os.path.join(builddir, "build.ninja")):
        subprocess.run(["meson", "setup", builddir, "--cross-file", os.path.join(ROOT, "scripts/cross-aarch64.txt")]
                       + (["--werror"] if werror else []), check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    subprocess.run(["ninja", "-C", builddir, "src/avmm"], check=True, stdout=subprocess.DEVNULL)
    return os.path.join(builddir, "src", "avmm")


def qemu_oracle(qemu, image, timeout):
    p = subprocess.run([qemu, "-M", "virt", "-cpu", "cortex-a57", "-m", "256", "-display", "none", "-serial", "stdio",
                        "-monitor", "none", "-no-reboot", "-kernel", image],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace").replace("\r\n", "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--fixtures-script", required=True)
    ap.add_argument("--cross-build", required=True,
                    help="the aarch64 build directory, set up here if missing ($AVMM_AARCH64_BUILD overrides)")
    ap.add_argument("--guest", action="append", default=[], metavar="NAME=IMAGE[,AVMM-ARG...]")
    ap.add_argument("--oracle", action="append", default=[], metavar="NAME")
    ap.add_argument("--expect-fail", action="append", default=[], metavar="NAME:CHECK",
                    help="this check of guest NAME must fail (and is then the only kind of failure allowed)")
    ap.add_argument("--smp", type=int, default=2, help="vCPUs of each guest under KVM")
    ap.add_argument("--linux", action="store_true", help="also boot the kernel under avmm -accel kvm -smp 2 to its /init")
    ap.add_argument("--timeout", type=int, default=540)
    ap.add_argument("--restart-seconds", type=int, default=150,
                    help="how long the self-rebooting kernel runs under avmm -accel kvm before SIGTERM")
    a = ap.parse_args()
    if os.environ.get("AVMM_SANITIZE"):
        print("skipped in the sanitizer suite (the cross build is not sanitized)")
        return 77

    t0 = time.monotonic()
    avmm = cross_build(os.environ.get("AVMM_AARCH64_BUILD", a.cross_build))
    t_build = time.monotonic() - t0
    fx = subprocess.run([a.fixtures_script], check=True, stdout=subprocess.PIPE).stdout.decode().strip().splitlines()[-1]
    kernel = os.path.join(fx, "vmlinuz")
    busybox = os.path.join(fx, "x-busybox-static:arm64", "bin", "busybox")

    files = base_files(busybox)
    with open(avmm, "rb") as f:
        files.append(("avmm", stat.S_IFREG | 0o755, f.read()))
    init = INIT_HEAD
    guests = []
    for spec in a.guest:
        name, rest = spec.split("=", 1)
        image, *args = rest.split(",")
        guests.append((name, image))
        with open(image, "rb") as f:
            files.append(("g/%s.bin" % name, stat.S_IFREG | 0o644, f.read()))
        init += "run %s 60 -accel kvm -smp %d -m 128 -kernel /g/%s.bin %s\n" % (name, a.smp, name, " ".join(args))
    # Command lines KVM cannot serve: one clear error each, exit status 2.
    refused = {"gic-user": (["-accel", "kvm,gic=user"], "needs its in-kernel GICv3"),
               "hvc-patch": (["-accel", "kvm", "-M", "virt,hvc-patch=on"], "KVM answers hvc #0 in the kernel")}
    if guests:
        for n, (args, _) in refused.items():
            init += "run refuse-%s 10 %s -kernel /g/%s.bin\n" % (n, " ".join(args), guests[0][0])
    if a.linux:
        inner = os.path.join(os.environ.get("TMPDIR", "/tmp"), "avmm-kvm-inner-%d.cpio.gz" % os.getpid())
        # virtio-rng-pci in the inner guest: PCI and MSI-X through KVM's in-kernel ITS.
        from mkinitramfs import resolve_modules  # noqa: E402
        import glob
        moddir = glob.glob(os.path.join(fx, "x-linux-image-*/lib/modules/*"))
        mods = resolve_modules(moddir[0], ["virtio_pci", "virtio_rng"]) if moddir else []
        extra = [("lib", stat.S_IFDIR | 0o755, b""), ("lib/modules", stat.S_IFDIR | 0o755, b"")]
        for n, p in mods:
            with open(p, "rb") as f:
                extra.append(("lib/modules/%s.ko" % n, stat.S_IFREG | 0o644, f.read()))
        if mods:
            extra.append(("lib/modules/load", stat.S_IFREG | 0o644, "\n".join(n for n, _ in mods).encode() + b"\n"))
        cpio_gz(base_files(busybox) + extra + [("init", stat.S_IFREG | 0o755, INNER_INIT.encode())], inner)
        with open(inner, "rb") as f:
            files.append(("inner.cpio.gz", stat.S_IFREG | 0o644, f.read()))
        os.unlink(inner)
        with open(kernel, "rb") as f:
            files.append(("vmlinuz", stat.S_IFREG | 0o644, f.read()))
        init += ("run linux 240 -accel kvm -smp 2 -m 256 -kernel /vmlinuz -initrd /inner.cpio.gz "
                 "-device virtio-rng-pci -no-reboot -append 'console=ttyAMA0 quiet panic=-1'\n")
        # Without -no-reboot the inner /init's reboot resets the machine in
        # the same avmm (KVM: a new VM fd, vCPUs and vGIC made again) and it
        # boots again, over and over, until timeout's SIGTERM: an orderly exit.
        init += ("run linux-restart %d -accel kvm -smp 2 -m 256 -kernel /vmlinuz -initrd /inner.cpio.gz "
                 "-append 'console=ttyAMA0 quiet panic=-1'\n" % a.restart_seconds)
    init += "echo kvm-test: done\n/bin/busybox poweroff -f\n"
    files.append(("init", stat.S_IFREG | 0o755, init.encode()))
    initrd = os.path.join(os.environ.get("TMPDIR", "/tmp"), "avmm-kvm-test-%d.cpio.gz" % os.getpid())
    cpio_gz(files, initrd)

    # TCG with EL2 and a GICv3: KVM initialises in VHE mode inside.
    cmd = [a.qemu, "-M", "virt,virtualization=on,gic-version=3", "-cpu", "max,pauth-impdef=on", "-smp", "2",
           "-m", "1G", "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot",
           "-kernel", kernel, "-initrd", initrd, "-append", "console=ttyAMA0 loglevel=1 panic=-1"]
    t1 = time.monotonic()
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=a.timeout)
        out, rc = p.stdout.decode(errors="replace").replace("\r\n", "\n"), p.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = (e.stdout or b"").decode(errors="replace").replace("\r\n", "\n"), None
    finally:
        os.unlink(initrd)
    t_nested = time.monotonic() - t1
    sys.stdout.write(out)
    print("\ncross build %.1f s, nested run %.1f s (qemu exit status %s)" % (t_build, t_nested, rc))

    ok = True
    if "kvm-test: /dev/kvm present" not in out:
        print("FAIL: /dev/kvm is missing in the nested guest (KVM did not initialise)")
        return 1
    if "kvm-test: done" not in out:
        print("FAIL: the nested guest did not finish")
        ok = False
    runs = {m.group(1): (m.group(2), int(m.group(3)))
            for m in re.finditer(r"=== BEGIN (\S+)\n(.*?)=== END \1 rc=(\d+)\n", out, re.S)}
    for name, image in guests:
        if name not in runs:
            print("FAIL %s: no result" % name)
            ok = False
            continue
        body, grc = runs[name]
        transcript = "".join(l + "\n" for l in body.splitlines() if not l.startswith("=== stderr: "))
        last = transcript.strip().splitlines()[-1:] if transcript.strip() else [""]
        m = re.fullmatch(r"(\d+) passed, (\d+) failed", last[0])
        # Known, explained differences (tests/kvm/meson.build): exactly these
        # checks fail, so one that starts passing is noticed too.
        xfail = sorted(c for g, c in (e.split(":", 1) for e in a.expect_fail) if g == name)
        failed = sorted(l[5:] for l in transcript.splitlines() if l.startswith("FAIL "))
        good = (grc == 0 and m is not None and int(m.group(1)) > 0 and int(m.group(2)) == len(xfail)
                and failed == xfail)
        why = "" if good else " (avmm exit status %d, last line %r, failed %r, expected to fail %r)" % (
            grc, last[0], failed, xfail)
        if good and xfail:
            why = " (the %d expected failures: %s)" % (len(xfail), "; ".join(xfail))
        if good and name in a.oracle:
            qrc, qout = qemu_oracle(a.qemu, image, 60)
            if qrc != 0 or qout != transcript:
                good = False
                why = " (differs from qemu-system-aarch64's transcript, exit status %s):\n%s" % (qrc, "".join(
                    difflib.unified_diff(qout.splitlines(True), transcript.splitlines(True), "qemu", "avmm-kvm")))
            else:
                why = " (identical to qemu-system-aarch64's transcript)"
        print("%s %s: %s%s" % ("PASS" if good else "FAIL", name, last[0], why))
        ok = ok and good
    for n, (args, msg) in refused.items():
        if not guests:
            break
        body, grc = runs.get("refuse-" + n, ("", -1))
        good = grc == 2 and msg in body
        print("%s refuse %s: %s" % ("PASS" if good else "FAIL", " ".join(args),
                                    "exit status 2 with a clear message" if good else "exit status %d: %r" % (grc, body)))
        ok = ok and good
    if a.linux:
        body, grc = runs.get("linux", ("", -1))
        # The inner /init reboots: KVM's reset event, which -no-reboot turns
        # into a clean exit (the guest programs above end with SYSTEM_OFF).
        good = grc == 0 and "inner: /init reached, 2 CPUs" in body and "reboot: Restarting system" in body
        print("%s linux: Debian's kernel under avmm -accel kvm -no-reboot %s" % ("PASS" if good else "FAIL",
              "reached /init, rebooted, and avmm exited 0" if good
              else "did not reach /init and reboot (exit status %d)" % grc))
        ok = ok and good
        # virtio-rng-pci's vectors through KVM's ITS, and data from it.
        good = "inner: irq" in body and "ITS-MSI" in body and "inner: hwrng 32 bytes" in body
        print("%s linux-pci: virtio-rng-pci with MSI-X through KVM's in-kernel ITS%s" % (
              "PASS" if good else "FAIL", "" if good else ": %r" % "\n".join(
                  l for l in body.splitlines() if l.startswith("inner:") or "ITS" in l or "virtio" in l)[-1500:]))
        ok = ok and good
        body, grc = runs.get("linux-restart", ("", -1))
        boots = body.count("inner: /init reached, 2 CPUs")
        good = boots >= 2 and "terminating on signal 15" in body
        print("%s linux-restart: in-process resets under -accel kvm: %d boots to /init in one avmm, then SIGTERM "
              "(exit status %d)%s" % ("PASS" if good else "FAIL", boots, grc,
                                      "" if good else ": %r" % body[-1500:]))
        ok = ok and good
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
