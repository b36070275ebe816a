#!/usr/bin/env python3
"""Network options on the command line: mistakes get one clear message and a
non-zero exit (unknown netdev, no id, bad hostfwd, tap without permission);
a guest runs with -nic none, with the default NIC and with -nic user and a
hostfwd on a loopback port."""
import os
import shutil
import socket
import subprocess
import sys

avmm, guest = sys.argv[1], sys.argv[2]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


cases = [
    (["-device", "virtio-net-pci,netdev=n9"], 2, "netdev=n9: no -netdev with that id"),
    (["-device", "virtio-net-pci"], 2, "needs netdev=ID"),
    (["-netdev", "user"], 2, "needs id=ID"),
    (["-netdev", "bogus,id=n0"], 2, "give the type first"),
    (["-netdev", "user,id=n0,frob=1"], 2, "unknown parameter 'frob'"),
    (["-netdev", "user,id=n0,hostfwd=tcp:2222:22"], 2, "hostfwd=tcp:2222:22: give [tcp|udp]"),
    (["-netdev", "user,id=n0,hostfwd=tcp::99999-:22"], 2, "hostfwd=tcp::99999-:22"),
    (["-netdev", "user,id=n0,net=10.0.3.0/24,host=10.0.2.2"], 2, "must be inside net="),
    (["-netdev", "user,id=n0", "-netdev", "user,id=n0"], 2, "id=n0 is used twice"),
    (["-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0", "-device", "virtio-net-pci,netdev=n0"], 2,
     "already used by another NIC"),
    (["-nic", "user,model=e1000"], 2, "model=e1000: use virtio-net-pci or virtio-net-device"),
    (["-nic", "user,mac=01:00:00:00:00:01"], 2, "mac=01:00:00:00:00:01: give six hex bytes"),
    (["-netdev", "tap,id=t0,script=/etc/qemu-ifup"], 2, "avmm runs no scripts"),
    (["-nic", "none", "-nic", "user"], 2, "-nic none: but a network device"),
]
passed = failed = 0


def run(args, want_rc, want_msg, user=None):
    global passed, failed
    cmd = ([] if user is None else user) + [avmm] + args + ["-kernel", guest]
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    ok = p.returncode == want_rc and want_msg in p.stderr and (want_rc == 0 or len(lines) == 1)
    print("%s avmm %s -> exit %d: %s" % ("ok  " if ok else "FAIL", " ".join(args), p.returncode, p.stderr.strip()))
    passed += ok
    failed += not ok


for args, rc, msg in cases:
    run(args, rc, msg)
# A tap nobody may open: as root here, the test drops to an unprivileged user.
setpriv = shutil.which("setpriv")
if os.geteuid() == 0 and setpriv:
    run(["-netdev", "tap,id=t0,ifname=avmmtap0,script=no", "-device", "virtio-net-pci,netdev=t0"], 1,
        "-netdev tap,id=t0: cannot", user=[setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"])
elif os.geteuid() != 0:
    run(["-netdev", "tap,id=t0,ifname=avmmtap0,script=no", "-device", "virtio-net-pci,netdev=t0"], 1,
        "-netdev tap,id=t0: cannot")
# Guests that start and power off: no NIC, the default NIC, and a hostfwd.
run(["-nic", "none"], 0, "")
run([], 0, "")
run(["-nic", "user,model=virtio-net-device,hostfwd=tcp:127.0.0.1:%d-:22" % free_port()], 0, "")
# A port already taken on loopback: a clear message.
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
run(["-nic", "user,hostfwd=tcp:127.0.0.1:%d-:22" % s.getsockname()[1]], 1, "cannot listen there")
s.close()
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
