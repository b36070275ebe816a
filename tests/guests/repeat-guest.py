#!/usr/bin/env python3
"""Run run-guest.py with the same arguments N times (--times N, first):
for races that a single run shows only sometimes. Fails at the first run
that fails, with its output."""
import os
import subprocess
import sys


def main():
    args = sys.argv[1:]
    times = 1
    if len(args) >= 2 and args[0] == "--times":
        times = int(args[1])
        args = args[2:]
    runner = os.path.join(os.path.dirname(os.path.abspath(__file__)), "run-guest.py")
    for i in range(times):
        p = subprocess.run([sys.executable, runner] + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True)
        if p.returncode != 0:
            sys.stdout.write(p.stdout)
            print("run %d of %d failed (exit status %d)" % (i + 1, times, p.returncode))
            return 1
    print("%d runs passed; the last:" % times)
    sys.stdout.write(p.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
