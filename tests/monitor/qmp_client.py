"""A small QMP client for the monitor tests."""
import json
import socket

HANG = 120  # seconds: only a guard against a hang


class Qmp:
    def __init__(self, addr, negotiate=True, rcvbuf=None):
        fam = socket.AF_UNIX if isinstance(addr, str) else socket.AF_INET
        self.s = socket.socket(fam, socket.SOCK_STREAM)
        if rcvbuf:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.settimeout(HANG)
        self.s.connect(addr)
        self.buf = b""
        self.events = []
        self.next_id = 0
        self.greeting = self.recv()
        if negotiate:
            r = self.cmd("qmp_capabilities")
            assert r.get("return") == {}, r

    def recv(self):
        while b"\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError
            self.buf += d
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def send_raw(self, b):
        self.s.sendall(b)

    def cmd(self, name, args=None, with_id=True):
        msg = {"execute": name}
        if args is not None:
            msg["arguments"] = args
        if with_id:
            self.next_id += 1
            msg["id"] = "c%d" % self.next_id
        self.send_raw(json.dumps(msg).encode() + b"\n")
        return self.response()

    def response(self):
        while True:
            m = self.recv()
            if "event" in m:
                self.events.append(m)
            else:
                return m

    def event(self, name):
        while True:
            for i, e in enumerate(self.events):
                if e["event"] == name:
                    return self.events.pop(i)
            self.events.append(self.recv())

    def close(self):
        self.s.close()
