#!/usr/bin/env python3
"""Storage command-line errors: a missing, empty, too small, non-file or
locked image, a -device naming no drive, an unsupported format: one clear
message, a non-zero exit, and no guest started (the guest would print to
stdout). A read-only open beside a reader is allowed; beside a writer, not."""
import fcntl
import os
import struct
import subprocess
import sys
import tempfile

avmm, guest = sys.argv[1], sys.argv[2]
work = tempfile.mkdtemp(prefix="avmm-cli-")
empty, small, good = (os.path.join(work, n) for n in ("empty.img", "small.img", "good.img"))
open(empty, "wb").close()
with open(small, "wb") as f:
    f.write(b"\0" * 100)
with open(good, "wb") as f:
    f.truncate(1 << 20)


def hold_lock(path, exclusive):
    """What another avmm (or QEMU) holds on an image it uses: an OFD lock on
    Linux, flock elsewhere (as src/host does)."""
    fd = os.open(path, os.O_RDWR)
    if hasattr(fcntl, "F_OFD_SETLK"):
        fl = struct.pack("hhqqixxxx", fcntl.F_WRLCK if exclusive else fcntl.F_RDLCK, os.SEEK_SET, 0, 0, 0)
        fcntl.fcntl(fd, fcntl.F_OFD_SETLK, fl)
    else:
        fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    return fd


passed = failed = 0


def run(args, want_ok, want_msg, what, not_msg=None):
    global passed, failed
    p = subprocess.run([avmm, "-nographic", "-kernel", guest] + args, stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=60)
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    if want_ok:
        ok = p.returncode == 0 and "Hello" in p.stdout
    else:
        ok = p.returncode != 0 and want_msg in p.stderr and len(lines) == 1 and p.stdout == ""
        ok = ok and not (not_msg and not_msg in p.stderr)
    print("%s %s: avmm %s -> exit %d: %s" % ("ok  " if ok else "FAIL", what, " ".join(args), p.returncode,
                                             p.stderr.strip() if not want_ok else "guest ran"))
    passed += ok
    failed += not ok


missing = os.path.join(work, "missing.img")
run(["-drive", "file=%s,if=virtio" % missing], False, "cannot open '%s': No such file or directory" % missing,
    "missing image")
run(["-hda", missing], False, "No such file or directory", "missing image (-hda)")
run(["-drive", "if=none,id=d0,file=%s" % missing, "-device", "virtio-blk-device,drive=d0"], False,
    "No such file or directory", "missing image (-device virtio-blk-device)")
run(["-drive", "file=%s,if=virtio" % empty], False, "is empty", "empty image")
run(["-drive", "file=%s,if=virtio" % small], False, "smaller than 512 bytes", "image smaller than a sector")
run(["-drive", "file=%s,if=virtio" % work], False, "Is a directory", "a directory as image")
run(["-drive", "if=none,id=d0,file=%s" % good, "-device", "virtio-blk-pci,drive=d1"], False,
    "no -drive with that id", "-device names no drive")
run(["-drive", "file=%s,if=virtio,format=qcow2" % good], False, "only raw images", "format=qcow2")
run(["-drive", "file=%s,if=virtio" % good], True, "", "a good image")
fd = hold_lock(good, exclusive=True)
run(["-drive", "file=%s,if=virtio" % good], False, "is in use by another process", "image locked by a writer")
run(["-drive", "file=%s,if=virtio,readonly=on" % good], False, "holds a write lock",
    "image locked by a writer, readonly=on (no advice to use readonly=on)", not_msg="with readonly=on")
os.close(fd)
fd = hold_lock(good, exclusive=False)
run(["-drive", "file=%s,if=virtio" % good], False, "is in use by another process", "image read by another, read-write")
run(["-drive", "file=%s,if=virtio,readonly=on" % good], True, "", "image read by another, readonly=on")
os.close(fd)
run(["-drive", "file=%s,if=virtio" % good], True, "", "the lock is gone with its holder")
for n in (empty, small, good):
    os.unlink(n)
os.rmdir(work)
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
