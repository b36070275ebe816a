#!/usr/bin/env python3
"""The device tree the guest gets: fresh /chosen seeds on every boot
(defect 5) and a -dtb file fitted to the machine, as QEMU does: memory node
from -m, /chosen bootargs from -append, the initrd from -initrd (defect 9).
Read by a guest (dtb-guest.c prints what it finds) and with -M
virt,dumpdtb=FILE."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fdtread as F  # noqa: E402

avmm, guest = sys.argv[1], sys.argv[2]
tmp = tempfile.mkdtemp(prefix="avmm-dtb-")
passed = failed = 0


def check(ok, what, detail=""):
    global passed, failed
    print("%s %s%s" % ("ok  " if ok else "FAIL", what, (": " + detail) if detail and not ok else ""))
    passed += bool(ok)
    failed += not ok


def run(args, timeout=60):
    p = subprocess.run([avmm, "-accel", "soft", "-serial", "stdio"] + args, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=timeout)
    return p


def boot(args):
    """Boot the guest; its "key: value" lines as a dict (memory: a list)."""
    p = run(["-kernel", guest] + args)
    out = {"memory": [], "rc": p.returncode, "stderr": p.stderr, "stdout": p.stdout}
    for line in p.stdout.splitlines():
        k, sep, v = line.partition(": ")
        if sep and k == "memory":
            out["memory"].append(v)
        elif sep and k in ("bootargs", "linux,initrd-start", "linux,initrd-end", "rng-seed", "kaslr-seed"):
            out[k] = v
    return out


def dump(args, name):
    path = os.path.join(tmp, name)
    p = run(["-M", "virt,dumpdtb=" + path] + args)
    ok = p.returncode == 0 and p.stdout == "" and p.stderr == "" and os.path.exists(path)
    check(ok, "dumpdtb %s: exit 0, silent, file written" % name, "exit %d, stderr %r" % (p.returncode, p.stderr))
    return F.parse(open(path, "rb").read()) if ok else {}


def write(name, blob):
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(blob)
    return path


# ---- defect 5: seeds differ from boot to boot (two boots well within a second) ----
a, b = boot([]), boot([])
check(a["rc"] == 0 and b["rc"] == 0, "guest boots", a["stderr"] + b["stderr"])
check(len(a.get("rng-seed", "")) == 64, "rng-seed is 32 bytes", repr(a.get("rng-seed")))
check(len(a.get("kaslr-seed", "")) == 16, "kaslr-seed is 8 bytes", repr(a.get("kaslr-seed")))
check(a.get("rng-seed") != b.get("rng-seed"), "rng-seed differs between two boots",
      "%s == %s" % (a.get("rng-seed"), b.get("rng-seed")))
check(a.get("kaslr-seed") != b.get("kaslr-seed"), "kaslr-seed differs between two boots")
d1, d2 = dump(["-kernel", guest], "gen1.dtb"), dump(["-kernel", guest], "gen2.dtb")
c1, c2 = d1.get("/chosen", {}), d2.get("/chosen", {})
check(c1.get("rng-seed") and c1.get("rng-seed") != c2.get("rng-seed"), "dumpdtb: rng-seed differs")

# ---- defect 9: a user tree, packed tight, without /chosen, with the wrong memory ----
user = {
    "/": {"#address-cells": F.cells(2), "#size-cells": F.cells(2), "compatible": F.string("user,board"),
          "model": F.string("user tree")},
    "/memory@80000000": {"device_type": F.string("memory"), "reg": F.cells(0, 0x80000000, 0, 0x1000000)},
    "/memory": {"device_type": F.string("memory"), "reg": F.cells(1, 0, 0, 0x1000000)},
    "/psci": {"compatible": F.string("arm,psci-0.2"), "method": F.string("smc")},
    "/mydev@9000000": {"compatible": F.string("user,dev"), "reg": F.cells(0, 0x9000000, 0, 0x1000)},
}
udtb = write("user.dtb", F.build(user))
initrd = write("initrd.img", os.urandom(5000))
g = boot(["-dtb", udtb, "-append", "console=ttyAMA0 from=append", "-initrd", initrd, "-m", "256M"])
check(g["rc"] == 0, "guest boots with -dtb", g["stderr"])
check(g.get("bootargs") == "console=ttyAMA0 from=append", "-dtb: bootargs from -append", repr(g.get("bootargs")))
st, en = g.get("linux,initrd-start"), g.get("linux,initrd-end")
check(st and en and int(en, 16) - int(st, 16) == 5000, "-dtb: initrd-start/end span the -initrd file",
      "%s %s" % (st, en))
check(g["memory"] == ["0000000040000000" "0000000010000000"], "-dtb: one memory node, RAM base and -m",
      repr(g["memory"]))
check(len(g.get("rng-seed", "")) == 64 and len(g.get("kaslr-seed", "")) == 16, "-dtb: seeds added")
t = dump(["-kernel", guest, "-dtb", udtb, "-append", "x", "-m", "1G"], "fitted.dtb")
check(t.get("/psci", {}).get("method") == F.string("hvc"), "-dtb: /psci is the machine's (hvc)")
check(t.get("/mydev@9000000", {}).get("compatible") == F.string("user,dev") and
      t.get("/", {}).get("model") == F.string("user tree"), "-dtb: the rest of the tree kept")
mems = sorted(p for p in t if p.startswith("/memory"))
check(mems == ["/memory@40000000"] and
      F.u64s(t["/memory@40000000"]["reg"]) == [0x40000000, 1 << 30], "dumpdtb: memory@40000000 for -m 1G",
      repr(mems))
check("linux,initrd-start" not in t.get("/chosen", {}), "-dtb without -initrd: no initrd properties")

# A tree with its own /chosen: bootargs kept without -append (QEMU's rule),
# stale initrd properties dropped (no initrd was loaded there).
user2 = dict(user)
user2["/chosen"] = {"bootargs": F.string("from=tree"), "linux,initrd-start": F.cells(0, 0x48000000),
                    "linux,initrd-end": F.cells(0, 0x48001000)}
g = boot(["-dtb", write("user2.dtb", F.build(user2, pad=16))])
check(g.get("bootargs") == "from=tree", "-dtb without -append: the tree's bootargs kept", repr(g.get("bootargs")))
check("linux,initrd-start" not in g, "-dtb: a stale initrd range dropped", repr(g.get("linux,initrd-start")))

# One address and one size cell: fine below 4 GiB, refused at 4 GiB.
user3 = dict(user)
user3["/"] = dict(user["/"], **{"#address-cells": F.cells(1), "#size-cells": F.cells(1)})
u3 = write("user3.dtb", F.build(user3))
g = boot(["-dtb", u3, "-m", "256M"])
check(g["memory"] == ["40000000" "10000000"], "-dtb with 1/1 cells: reg in one cell each", repr(g["memory"]))
p = run(["-kernel", guest, "-dtb", u3, "-m", "4G"])
lines = [l for l in p.stderr.splitlines() if l.strip()]
if "more than the" in p.stderr:  # a host with less than 4 GiB: -m 4G is refused before the tree
    print("skip -dtb with #size-cells 1 and -m 4G: %s" % p.stderr.strip())
else:
    check(p.returncode == 1 and len(lines) == 1 and "#size-cells = <1>" in p.stderr and "lower -m" in p.stderr,
          "-dtb with #size-cells 1 and -m 4G refused with one message", "exit %d: %r" % (p.returncode, p.stderr))

# -bios with -dtb: memory fitted and seeds added, /chosen otherwise left alone.
t = dump(["-bios", guest, "-dtb", write("user4.dtb", F.build(user2))], "bios.dtb")
ch = t.get("/chosen", {})
check(ch.get("bootargs") == F.string("from=tree") and "linux,initrd-start" in ch and len(ch.get("rng-seed", b"")) == 32,
      "-bios -dtb: /chosen kept, seeds added", repr(ch))

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
