"""Shared by the boot tests: drive a guest's serial console through pipes,
and fetch the Debian fixtures."""
import os
import re
import select
import subprocess
import time


def fixtures(script):
    """Runs scripts/fixtures.sh (downloads and caches) and returns its dir."""
    out = subprocess.run([script], check=True, stdout=subprocess.PIPE).stdout.decode()
    return out.strip().splitlines()[-1]


class Console:
    def __init__(self, cmd, log):
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.buf = b""
        self.seen = b""  # everything the guest printed, for checks over the whole log
        self.log = log

    def expect(self, pattern, timeout):
        rx = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
        end = time.monotonic() + timeout
        while True:
            m = rx.search(self.buf)
            if m:
                out = self.buf[:m.end()]
                self.buf = self.buf[m.end():]
                return out.decode(errors="replace")
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("timed out after %ds waiting for %r; last output:\n%s" %
                                   (timeout, pattern, self.buf[-2000:].decode(errors="replace")))
            r, _, _ = select.select([self.p.stdout], [], [], min(left, 1.0))
            if r:
                data = os.read(self.p.stdout.fileno(), 65536)
                if not data:
                    raise EOFError("avmm exited (status %s) before %r; last output:\n%s" %
                                   (self.p.wait(), pattern, self.buf[-2000:].decode(errors="replace")))
                self.log.write(data.decode(errors="replace"))
                self.log.flush()
                self.buf += data
                self.seen += data

    def send(self, line, raw=False):
        self.p.stdin.write(line.encode() + (b"" if raw else b"\n"))
        self.p.stdin.flush()
