#!/usr/bin/env python3
"""Boot test: Debian's u-boot for QEMU (qemu_arm64/u-boot.bin) as -bios on
avmm must reach its prompt and answer a command."""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from boot_console import Console, fixtures  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--avmm", required=True)
    ap.add_argument("--fixtures-script", required=True)
    ap.add_argument("--timeout", type=int, default=300)
    a = ap.parse_args()
    fx = fixtures(a.fixtures_script)
    cmd = [a.avmm, "-M", "virt", "-m", "256", "-nographic", "-bios", os.path.join(fx, "u-boot.bin")]
    print("+ " + " ".join(cmd))
    c = Console(cmd, sys.stdout)
    ok = True
    try:
        c.expect(r"=> ", a.timeout)
        c.send("version\r", raw=True)
        out = c.expect(r"U-Boot \d{4}\.\d\d.*\r?\n(.*\r?\n)*=> ", 60)
        print("\nok   u-boot prompt reached and 'version' answered")
    except (TimeoutError, EOFError) as e:
        print("\nFAIL", e)
        ok = False
    c.p.kill()
    c.p.wait()
    print("%d passed, %d failed" % (1 if ok else 0, 0 if ok else 1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
