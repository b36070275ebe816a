#!/usr/bin/env python3
"""Images that used to spin at 100% CPU with no output forever (defect 11):
refused at load time when the arm64 Image header shows they cannot run (a
header-only or truncated Image, a text_offset that is not 4 KiB aligned),
and, when a vCPU executes where there is no RAM or ROM, reported once; if
the abort's vector is that same address (VBAR_EL1 at nothing) the VM stops
with exit status 1 instead of spinning. A hang shows as a timeout."""
import os
import struct
import subprocess
import sys
import tempfile

avmm, hello = sys.argv[1], sys.argv[2]
tmp = tempfile.mkdtemp(prefix="avmm-spin-")
TIMEOUT = 120  # generous: every case here ends in well under a second
passed = failed = 0

MZ_CCMP = 0xfa405a4d  # code0 of a v6 EFI-stub Image: "MZ" in its low half


def b(off):
    return 0x14000000 | ((off // 4) & 0x3ffffff)


def image(code, text_offset=0x80000, code0=None, code1=0):
    """An arm64 Image: header (code0 branches to the code at 0x40 unless
    given) and the code words from offset 0x40."""
    body = b"".join(struct.pack("<I", w) for w in code)
    size = 0x40 + len(body)
    hdr = struct.pack("<IIQQQQQQII", b(0x40) if code0 is None else code0, code1, text_offset, size, 0xa,
                      0, 0, 0, 0x644d5241, 0)
    return hdr + body


def write(name, data):
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def run(what, args, want_rc, want, accel="soft", once=None):
    global passed, failed
    try:
        p = subprocess.run([avmm, "-accel", accel, "-serial", "none"] + args, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=TIMEOUT)
        rc, err = p.returncode, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, err = None, "(hung: killed after %d s) %s" % (TIMEOUT, (e.stderr or b"").decode(errors="replace"))
    ok = rc == want_rc and want in err
    if once is not None:
        ok = ok and err.count(once) == 1
    print("%s [%s] %s -> exit %s: %s" % ("ok  " if ok else "FAIL", accel, what, rc, err.strip()))
    passed += ok
    failed += not ok


hello_bytes = open(hello, "rb").read()

# ---- refused at load time ----
hdr_only = write("header-only.bin", struct.pack("<IIQQQQQQII", MZ_CCMP, b(0x10000), 0, 1 << 21, 0xa, 0, 0, 0,
                                               0x644d5241, 0x40))
run("header-only Image", ["-kernel", hdr_only], 1, "only the 64-byte arm64 Image header")
trunc = write("truncated.bin", image([0] * 1000, code0=MZ_CCMP, code1=b(0x100000 - 4)))
run("truncated Image (entry branch past the file)", ["-kernel", trunc], 1, "past the 4064 bytes of the file")
for off in (0x80001, 0x80800):
    mis = write("misaligned-%x.bin" % off, hello_bytes[:8] + struct.pack("<Q", off) + hello_bytes[16:])
    run("text_offset 0x%x" % off, ["-kernel", mis], 1, "text_offset 0x%x is not 4 KiB aligned" % off)

# ---- at run time ----
UDF = 0x00000000
accels = ["soft"]
probe = subprocess.run([avmm, "-accel", "hvf", "-serial", "none", "-kernel", hello], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=TIMEOUT)
if probe.returncode == 0:
    accels.append("hvf")
for accel in accels:
    # An undefined instruction with VBAR_EL1 still 0 and no -bios: the abort
    # goes to 0x200, where there is nothing.
    run("undefined instruction, VBAR_EL1 = 0", ["-kernel", write("udf.bin", image([UDF, b(0)]))], 1,
        "guest executes at 0x200", accel)
    # VBAR_EL1 pointing at a hole in the memory map.
    run("undefined instruction, VBAR_EL1 at a hole",
        ["-kernel", write("vbar-hole.bin", image([0xd2a20001, 0xd518c001, 0xd5033fdf, UDF, b(0)]))], 1,
        "guest executes at 0x10000200", accel)
    # A jump to nowhere with a working vector (it powers off): reported once,
    # the guest's handler runs, exit 0.
    code = [0x10003e01, 0xd518c001, 0xd5033fdf, 0xd2a40002, 0xd61f0040]  # adr x1, vec; msr vbar; isb; br 0x20000000
    code += [0] * ((0x800 - 0x40) // 4 - len(code))
    code += [0] * (0x200 // 4) + [0xd2b08000, 0xf2800100, 0xd4000002, b(0)]  # vec+0x200: PSCI SYSTEM_OFF
    run("jump to no RAM, handler in RAM", ["-kernel", write("jump-hole.bin", image(code))], 0,
        "guest executes at 0x20000000 where there is no RAM or ROM", accel,
        once="no RAM or ROM")

# Garbage firmware (soft CPU): undefined instructions whose vector (VBAR_EL1
# = 0, in the flash) is undefined too spin as on hardware, but are reported
# once instead of silently (killed when the line shows, or after 60 s).
def spins_reported(what, args, want):
    global passed, failed
    p = subprocess.Popen([avmm, "-serial", "none"] + args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    import select, time
    err, t0 = "", time.time()
    while want not in err and time.time() - t0 < 60 and p.poll() is None:
        r, _, _ = select.select([p.stderr], [], [], 1)
        if r:
            line = p.stderr.readline()
            if not line:
                break
            err += line
    p.kill()
    p.wait()
    ok = want in err
    print("%s [soft] %s: %s" % ("ok  " if ok else "FAIL", what, err.strip() or "(silent for 60 s)"))
    passed += ok
    failed += not ok


garbage = write("garbage.bin", bytes((i * 2654435761 >> 13) & 0xff for i in range(65536)))
spins_reported("garbage -bios", ["-bios", garbage], "exception's own vector, over and over")

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
