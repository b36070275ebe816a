#!/usr/bin/env python3
"""Builds a gzip'd newc cpio initramfs around a static busybox: /bin/busybox,
applet links for the shell and a few tools, and an /init that mounts proc,
sys, dev and a tmpfs, prints a banner and starts an interactive shell on the
console (powering off when it exits)."""
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
setsid cttyhack sh -l
poweroff -f
"""

APPLETS = ["sh", "ash", "mount", "umount", "cat", "echo", "ls", "uname", "nproc", "poweroff", "reboot",
           "cut", "grep", "setsid", "cttyhack", "mkdir", "rm", "cp", "mv", "sync", "dmesg", "ps", "sleep",
           "head", "tail", "wc", "md5sum", "sha256sum", "dd", "free", "uptime", "date", "true", "false", "test", "["]


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


def main():
    busybox, out = sys.argv[1], sys.argv[2]
    c = Cpio()
    for d in ["bin", "sbin", "proc", "sys", "dev", "tmp", "etc", "root"]:
        c.add(d, stat.S_IFDIR | 0o755, nlink=2)
    c.add("dev/console", stat.S_IFCHR | 0o600)  # major/minor set below is not needed by devtmpfs
    with open(busybox, "rb") as f:
        c.add("bin/busybox", stat.S_IFREG | 0o755, f.read())
    for a in APPLETS:
        c.add("bin/" + a, stat.S_IFLNK | 0o777, b"busybox")
    c.add("init", stat.S_IFREG | 0o755, INIT.encode())
    c.add("etc/profile", stat.S_IFREG | 0o644, b"export PS1='avmm# '\nexport PATH=/bin:/sbin\n")
    data = c.finish()
    tmp = out + ".tmp"
    with gzip.open(tmp, "wb", 6) as f:
        f.write(data)
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
