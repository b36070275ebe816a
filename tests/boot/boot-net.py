#!/usr/bin/env python3
"""Networking boot test: Debian's arm64 kernel with virtio_net (and the
transport's modules) in a test-local busybox initramfs, on -nic user
(libslirp). The guest gets 10.0.2.15 by DHCP (busybox udhcpc with a
default.script written here), fetches a file with wget from an HTTP server
this test runs on the host's 127.0.0.1 (slirp's 10.0.2.2), checked by
sha256; then a host client reaches a guest server (busybox nc) through
hostfwd=tcp:127.0.0.1:PORT-:23. Only loopback addresses on the host.

    boot-net.py --avmm A --fixtures-script S --transport pci|mmio
"""
import argparse
import glob
import gzip
import hashlib
import http.server
import os
import re
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "..", "scripts"))
from boot_console import Console, fixtures  # noqa: E402
import mkinitramfs  # noqa: E402  (its cpio writer and module resolver; not modified)

NET_APPLETS = ["udhcpc", "ip", "ifconfig", "route", "wget", "nc", "sha256sum", "httpd", "netstat"]

UDHCPC_SCRIPT = r"""#!/bin/sh
# udhcpc calls this with the lease in the environment.
case "$1" in
deconfig) ip addr flush dev $interface; ip link set $interface up ;;
bound|renew)
    ip addr add $ip/${mask:-24} dev $interface
    for r in $router; do ip route add default via $r dev $interface; done
    echo "avmm-dhcp: ip=$ip router=$router dns=$dns" ;;
esac
exit 0
"""


def build_initramfs(fx, out, mods):
    busybox = os.path.join(fx, "x-busybox-static:arm64", "bin", "busybox")
    moddir = glob.glob(os.path.join(fx, "x-linux-image-*", "lib", "modules", "*"))[0]
    order = mkinitramfs.resolve_modules(moddir, mods)
    c = mkinitramfs.Cpio()
    for d in ["bin", "sbin", "proc", "sys", "dev", "tmp", "etc", "root", "usr", "usr/share", "usr/share/udhcpc",
              "lib", "lib/modules", "www"]:
        c.add(d, stat.S_IFDIR | 0o755, nlink=2)
    c.add("dev/console", stat.S_IFCHR | 0o600)
    with open(busybox, "rb") as f:
        c.add("bin/busybox", stat.S_IFREG | 0o755, f.read())
    for a in sorted(set(mkinitramfs.APPLETS + NET_APPLETS)):
        c.add("bin/" + a, stat.S_IFLNK | 0o777, b"busybox")
    c.add("init", stat.S_IFREG | 0o755, mkinitramfs.INIT.encode())
    for n, p in order:
        with open(p, "rb") as f:
            c.add("lib/modules/%s.ko" % n, stat.S_IFREG | 0o644, f.read())
    c.add("lib/modules/load", stat.S_IFREG | 0o644, "\n".join(n for n, _ in order).encode() + b"\n")
    c.add("usr/share/udhcpc/default.script", stat.S_IFREG | 0o755, UDHCPC_SCRIPT.encode())
    c.add("etc/profile", stat.S_IFREG | 0o644, b"export PS1='avmm# '\nexport PATH=/bin:/sbin\n")
    with gzip.open(out, "wb", 6) as f:
        f.write(c.finish())


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


# The prompt after a command's END marker; job control's "Done" or a kernel
# message may come between.
def done(tag):
    return tag + r"\r*\n(?:[^\n]*\n)*?[^\n]*avmm# "


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--avmm", required=True)
    ap.add_argument("--fixtures-script", required=True)
    ap.add_argument("--transport", choices=["pci", "mmio"], default="pci")
    ap.add_argument("--accel", default="soft")
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--size", type=int, default=1 << 20, help="bytes of the file fetched with wget")
    a = ap.parse_args()
    fx = fixtures(a.fixtures_script)
    tmp = tempfile.mkdtemp(prefix="avmm-net-")
    initrd = os.path.join(tmp, "initramfs-net.cpio.gz")
    mods = ["virtio_net"] + (["virtio_pci"] if a.transport == "pci" else ["virtio_mmio"])
    build_initramfs(fx, initrd, mods)

    # The host's HTTP server, on loopback only.
    www = os.path.join(tmp, "www")
    os.mkdir(www)
    blob = os.urandom(a.size)
    with open(os.path.join(www, "blob"), "wb") as f:
        f.write(blob)
    want = hashlib.sha256(blob).hexdigest()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kw):
            super().__init__(*args, directory=www, **kw)

        def log_message(self, *args):
            pass
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    http_port = httpd.server_address[1]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()

    fwd_port = free_port()
    model = "virtio-net-pci" if a.transport == "pci" else "virtio-net-device"
    cmd = [a.avmm, "-M", "virt", "-accel", a.accel, "-m", "512", "-smp", "2", "-nographic",
           "-kernel", os.path.join(fx, "vmlinuz"), "-initrd", initrd, "-no-reboot",
           "-append", "console=ttyAMA0 panic=-1 quiet",
           "-nic", "user,model=%s,hostfwd=tcp:127.0.0.1:%d-:23" % (model, fwd_port)]
    print("+ " + " ".join(cmd))
    checks = []

    def check(ok, what):
        checks.append(ok)
        print("%s %s" % ("ok  " if ok else "FAIL", what))

    c = Console(cmd, sys.stdout)
    try:
        c.expect(r"avmm: /init reached", a.timeout)
        c.expect(r"avmm# ", 120)
        c.send("cat /sys/class/net/eth0/address; cat /sys/class/net/eth0/operstate; echo ENDA")
        out = c.expect(done("ENDA"), 60)
        check("52:54:00:12:34:56" in out, "eth0 has the default MAC 52:54:00:12:34:56")
        c.send("ip link set eth0 up; udhcpc -i eth0 -n -q -t 5 -T 2 -s /usr/share/udhcpc/default.script; ip -4 addr show eth0; ip route; echo ENDB")
        out = c.expect(done("ENDB"), 120)
        check("inet 10.0.2.15/24" in out, "DHCP: eth0 got 10.0.2.15/24")
        check(re.search(r"default via 10\.0\.2\.2", out) is not None, "DHCP: default route via 10.0.2.2")
        check("dns=10.0.2.3" in out, "DHCP: DNS server 10.0.2.3")
        if a.transport == "pci":
            c.send("grep -c ITS-MSI.*virtio /proc/interrupts; grep virtio /proc/interrupts; echo ENDC")
            out = c.expect(done("ENDC"), 60)
            check(re.search(r"ITS-MSI.*virtio\d+-(input|output)", out) is not None,
                  "virtio-net's queues use MSI-X through the ITS (/proc/interrupts)")
        t0 = time.monotonic()
        c.send("wget -q -O - http://10.0.2.2:%d/blob | sha256sum; echo ENDD" % http_port)
        out = c.expect(done("ENDD"), 300)
        dt = time.monotonic() - t0
        check(want in out, "wget of a %d-byte file from the host: sha256 matches" % a.size)
        print("wget: %d bytes in %.2f s (%.2f MB/s, including the shell round trip)" % (a.size, dt, a.size / dt / 1e6))
        # A guest server behind hostfwd: nc answers one connection with a line.
        c.send("(echo avmm-guest-hello-$((6*7)) | nc -l -p 23 > /tmp/got) & sleep 1; echo ENDE")
        c.expect(done("ENDE"), 60)
        reply = b""
        for _ in range(20):
            try:
                s = socket.create_connection(("127.0.0.1", fwd_port), timeout=10)
                s.sendall(b"from-host\n")
                s.shutdown(socket.SHUT_WR)
                while True:
                    d = s.recv(4096)
                    if not d:
                        break
                    reply += d
                s.close()
                if reply:
                    break
            except OSError:
                pass
            time.sleep(1)
        check(b"avmm-guest-hello-42" in reply, "host client through hostfwd reached the guest's server (%r)" % reply)
        c.send("sleep 1; cat /tmp/got; echo ENDF")
        out = c.expect(done("ENDF"), 60)
        check("from-host" in out, "the guest's server got the host's line")
        c.send("poweroff -f")
        c.expect(r"(reboot: Power down|Power down)", 60)
    except (TimeoutError, EOFError) as e:
        print("FAIL", e)
        print("buffer: %r" % c.buf[-300:])
        checks.append(False)
    try:
        status = c.p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        c.p.kill()
        status = None
    check(status == 0, "avmm exits 0 after poweroff (status %s)" % status)
    bad = re.findall(r"^.*(?:Oops|BUG:|WARNING:|Internal error|Kernel panic).*$", c.seen.decode(errors="replace"), re.M)
    check(not bad, "no kernel oops, BUG or WARNING%s" % ("" if not bad else ": " + bad[0].strip()))
    httpd.shutdown()
    print("%d passed, %d failed" % (checks.count(True), checks.count(False)))
    return 0 if all(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
