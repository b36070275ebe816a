#!/usr/bin/env python3
"""Builds a gzip'd newc cpio initramfs around a static busybox: /bin/busybox,
applet links for the shell and a few tools, and an /init that mounts proc,
sys, dev and a tmpfs, prints a banner and starts an interactive shell on the
console (powering off when it exits).

    mkinitramfs.py BUSYBOX OUT [--modules DIR MOD,MOD,...]

--modules: kernel modules from DIR (an unpacked linux-image's
lib/modules/VERSION) loaded by /init before the shell, with their
dependencies (read from each module's .modinfo "depends=", so no depmod is
needed), in dependency order."""
import gzip
import os
import stat
import sys

INIT = r"""#!/bin/sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
/bin/busybox mount -t devtmpfs dev /dev 2>/dev/null
/bin/busybox mount -t tmpfs tmp /tmp
echo "avmm: /init reached, uptime $(cut -d' ' -f1 /proc/uptime) s"
if grep -q avmm.autotest /proc/cmdline; then
    echo "avmm: autotest"
fi
for m in $(cat /lib/modules/load 2>/dev/null); do insmod /lib/modules/$m.ko || echo "avmm: insmod $m failed"; done
setsid cttyhack sh -l
poweroff -f
"""

APPLETS = ["sh", "ash", "mount", "umount", "cat", "echo", "ls", "uname", "nproc", "poweroff", "reboot",
           "cut", "grep", "setsid", "cttyhack", "mkdir", "rm", "cp", "mv", "sync", "dmesg", "ps", "sleep",
           "head", "tail", "wc", "insmod", "mknod", "hexdump", "cmp", "mount", "fsync", "stat", "blockdev", "od", "md5sum", "sha256sum", "dd", "free", "uptime", "date", "true", "false", "test", "[",
           "sed", "awk", "tr", "xargs", "seq", "touch", "find", "readlink", "time", "timeout", "kill", "blkdiscard", "sha1sum"]


class Cpio:
    def __init__(self):
        self.out = bytearray()
        self.ino = 1

    def add(self, name, mode, data=b"", nlink=1):
        name_b = name.encode() + b"\0"
        hdr = "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x" % (
            self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(name_b), 0)
        self.ino += 1
        self.out += hdr.encode() + name_b
        self.out += b"\0" * ((4 - len(self.out) % 4) % 4)
        self.out += data
        self.out += b"\0" * ((4 - len(self.out) % 4) % 4)

    def finish(self):
        self.add("TRAILER!!!", 0)
        return bytes(self.out)


def modinfo_depends(path):
    """The "depends=" entry of a module's .modinfo section."""
    with open(path, "rb") as f:
        data = f.read()
    i = data.find(b"\0depends=")
    if i < 0:
        return []
    v = data[i + 9:data.index(b"\0", i + 1)].decode()
    return [d for d in v.split(",") if d]


def resolve_modules(moddir, names):
    """Module files in load order (dependencies first)."""
    paths = {}
    for root, _, files in os.walk(moddir):
        for f in files:
            if f.endswith(".ko"):
                paths[f[:-3].replace("-", "_")] = os.path.join(root, f)
    order, seen = [], set()

    def visit(n):
        n = n.replace("-", "_")
        if n in seen:
            return
        if n not in paths:
            sys.exit("mkinitramfs: module %s not found in %s" % (n, moddir))
        seen.add(n)
        for d in modinfo_depends(paths[n]):
            visit(d)
        order.append(n)
    for n in names:
        visit(n)
    return [(n, paths[n]) for n in order]


def main():
    busybox, out = sys.argv[1], sys.argv[2]
    mods = []
    if len(sys.argv) > 3:
        if sys.argv[3] != "--modules" or len(sys.argv) != 6:
            sys.exit("usage: mkinitramfs.py BUSYBOX OUT [--modules DIR MOD,MOD,...]")
        mods = resolve_modules(sys.argv[4], sys.argv[5].split(","))
    c = Cpio()
    for d in ["bin", "sbin", "proc", "sys", "dev", "tmp", "etc", "root"]:
        c.add(d, stat.S_IFDIR | 0o755, nlink=2)
    c.add("dev/console", stat.S_IFCHR | 0o600)  # major/minor set below is not needed by devtmpfs
    with open(busybox, "rb") as f:
        c.add("bin/busybox", stat.S_IFREG | 0o755, f.read())
    for a in APPLETS:
        c.add("bin/" + a, stat.S_IFLNK | 0o777, b"busybox")
    c.add("init", stat.S_IFREG | 0o755, INIT.encode())
    if mods:
        c.add("lib", stat.S_IFDIR | 0o755, nlink=2)
        c.add("lib/modules", stat.S_IFDIR | 0o755, nlink=2)
        for n, p in mods:
            with open(p, "rb") as f:
                c.add("lib/modules/%s.ko" % n, stat.S_IFREG | 0o644, f.read())
        c.add("lib/modules/load", stat.S_IFREG | 0o644, "\n".join(n for n, _ in mods).encode() + b"\n")
    c.add("etc/profile", stat.S_IFREG | 0o644, b"export PS1='avmm# '\nexport PATH=/bin:/sbin\n")
    data = c.finish()
    tmp = out + ".tmp"
    with gzip.open(tmp, "wb", 6) as f:
        f.write(data)
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
