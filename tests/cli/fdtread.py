"""A minimal flattened-device-tree reader and writer for the CLI tests (no
dtc needed): parse(blob) -> {path: {prop: bytes}}, build(tree) -> blob."""
import struct

FDT_MAGIC = 0xd00dfeed
BEGIN_NODE, END_NODE, PROP, NOP, END = 1, 2, 3, 4, 9


def parse(blob):
    magic, total, off_struct, off_strings, _, version, _, _, size_strings, size_struct = \
        struct.unpack(">10I", blob[:40])
    assert magic == FDT_MAGIC and total <= len(blob), "not a device tree"
    strings = blob[off_strings:off_strings + size_strings]
    tree, stack, pos = {}, [], off_struct
    while True:
        tok, = struct.unpack(">I", blob[pos:pos + 4])
        pos += 4
        if tok == BEGIN_NODE:
            end = blob.index(b"\0", pos)
            name = blob[pos:end].decode()
            pos = (end + 4) & ~3
            stack.append(name)
            path = "/" + "/".join(stack[1:])
            tree[path] = {}
        elif tok == END_NODE:
            stack.pop()
        elif tok == PROP:
            ln, noff = struct.unpack(">II", blob[pos:pos + 8])
            pos += 8
            name = strings[noff:strings.index(b"\0", noff)].decode()
            tree["/" + "/".join(stack[1:])][name] = blob[pos:pos + ln]
            pos = (pos + ln + 3) & ~3
        elif tok == NOP:
            pass
        elif tok == END:
            return tree
        else:
            raise ValueError("bad token %d" % tok)


def build(tree, pad=0):
    """tree: {path: {prop: bytes}}, parents listed before children. pad:
    bytes of free space at the end (0: a tightly packed blob)."""
    strings, stroff, structure = b"", {}, b""

    def s_off(name):
        nonlocal strings
        if name not in stroff:
            stroff[name] = len(strings)
            strings += name.encode() + b"\0"
        return stroff[name]

    paths = sorted(tree, key=lambda p: (p != "/", p))
    open_stack = []
    for path in paths:
        parts = [] if path == "/" else path.strip("/").split("/")
        while open_stack and open_stack != parts[:len(open_stack)]:
            structure += struct.pack(">I", END_NODE)
            open_stack.pop()
        name = parts[-1].encode() if parts else b""
        structure += struct.pack(">I", BEGIN_NODE) + name + b"\0"
        structure += b"\0" * (-len(structure) % 4)
        open_stack = parts
        for prop, val in tree[path].items():
            structure += struct.pack(">III", PROP, len(val), s_off(prop)) + val
            structure += b"\0" * (-len(structure) % 4)
        if not parts:
            open_stack = []
    while open_stack:
        structure += struct.pack(">I", END_NODE)
        open_stack.pop()
    structure += struct.pack(">II", END_NODE, END)
    off_rsv = 40
    rsv = b"\0" * 16
    off_struct = off_rsv + len(rsv)
    off_strings = off_struct + len(structure)
    total = off_strings + len(strings) + pad
    hdr = struct.pack(">10I", FDT_MAGIC, total, off_struct, off_strings, off_rsv, 17, 16, 0, len(strings),
                      len(structure))
    return hdr + rsv + structure + strings + b"\0" * pad


def cells(*v):
    return b"".join(struct.pack(">I", x) for x in v)


def u64s(b):
    return [struct.unpack(">Q", b[i:i + 8])[0] for i in range(0, len(b), 8)]


def string(s):
    return s.encode() + b"\0"
