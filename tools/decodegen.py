#!/usr/bin/env python3
"""decodegen.py - turn a declarative 32-bit instruction encoding table into C.

Usage
-----
  decodegen.py --prefix a64 --ctx-type 'struct a64_dctx' \\
               --header out.h --source out.c.inc input.decode [more.decode ...]
  decodegen.py --list input.decode          # "NAME mask value" per pattern line

Table format (*.decode)
-----------------------
  * `#` starts a comment (anywhere on a line); blank lines are ignored.
  * A line ending in `\\` (after removing its comment) continues on the next
    line.  Errors are reported at the first physical line of the statement.
  * Tokens are separated by whitespace.

Field definitions

    %name seg [seg ...]

  seg is `pos:len` (unsigned) or `pos:slen` (signed).  pos is the index of
  the segment's least significant bit (0..31), len >= 1 and pos+len <= 32.
  Several segments are concatenated, the FIRST one most significant; only the
  first segment may be signed, in which case the whole concatenated value is
  sign-extended.  Total width is at most 63 bits (64 if signed).  Example:

    %adr_imm   5:s19 29:2        # immhi:immlo, signed 21-bit

  A field definition may appear anywhere in the input (before or after its
  use) but each name may be defined only once.

Patterns

    NAME bits... [extra ...]

  NAME is a C identifier.  Bit tokens come first, written MSB (bit 31) first,
  and must cover exactly 32 bits:
    0 1 .      runs of fixed-0, fixed-1 and don't-care bits (e.g. `1.0110`)
    f:N        inline unsigned field `f`, N bits wide
    f:sN       inline signed field `f`, N bits wide (sign-extended)
  Then optional extras:
    %field     add the named field definition as argument `field`
    name=INT   add constant argument `name` (decimal or 0x hex, optional sign,
               must fit int64_t; leading zeros do not mean octal)

  Argument names must be unique within a line and must not be C keywords.
  Several lines may share one NAME (alternative encodings of one operation);
  they must all produce the same SET of argument names.  They share one
  `arg_NAME` struct and one `trans_NAME` function.

  Example:
    %imm26s   0:s26
    B         0 00101 ..........................  %imm26s
    ADD_i     sf:1 0 0 100010 sh:1 imm:12 rn:5 rd:5  setflags=0

Semantics
---------
  Patterns are tried in file order (files in command line order).  A pattern
  matches when all its fixed bits match; its arguments are then extracted
  and trans_NAME(s, &a) is called.  If it returns true decoding is finished
  (PREFIX_decode returns true); if it returns false the search continues with
  the next matching pattern.  When no pattern accepts, PREFIX_decode returns
  false (the caller raises UNDEFINED).

Generated API
-------------
  Header:  for every NAME
             typedef struct { int64_t arg1; int64_t arg2; ... } arg_NAME;
             bool trans_NAME(CTX *s, arg_NAME *a);
           and
             bool PREFIX_decode(CTX *s, uint32_t insn);
           (all arguments are int64_t, in order of first appearance; a NAME
           without arguments gets a dummy `char dummy` member).  The header
           includes <stdint.h>/<stdbool.h> and, when CTX is `struct x` or
           `union x`, forward-declares it; it never defines CTX.
  Source:  the definition of PREFIX_decode plus static inline helpers.  It
           #includes the header and is meant to be #included by exactly one C
           file that defines CTX and all trans_NAME functions.

  The decoder is a decision tree: nested switch statements on a few bits that
  the candidate patterns fix (chosen greedily; for A64 the top level usually
  ends up on the major opcode bits 28:25), with a linear list of
  `(insn & mask) == value` tests, in file order, at the leaves.  A pattern
  that does not fix a switch bit is copied into every case it can match, so
  the first-match/fall-through order is exactly that of the table.

Errors are printed as `file:line: message`; the exit status is then 1 and no
output file is written (outputs are replaced atomically on success only).
"""

import argparse
import os
import re
import sys
import tempfile
from collections import Counter

IDENT_RE = re.compile(r'[A-Za-z_][A-Za-z0-9_]*\Z')
BITS_RE = re.compile(r'[01.]+\Z')
INLINE_FIELD_RE = re.compile(r'([^:]+):(s?)([0-9]+)\Z')
SEGMENT_RE = re.compile(r'([0-9]+):(s?)([0-9]+)\Z')
INT_RE = re.compile(r'[+-]?(0[xX][0-9a-fA-F]+|[0-9]+)\Z')
CTX_RE = re.compile(r'(?:(struct|union)\s+)?([A-Za-z_][A-Za-z0-9_]*)\Z')

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1

C_KEYWORDS = frozenset('''
    auto break case char const continue default do double else enum extern
    float for goto if inline int long register restrict return short signed
    sizeof static struct switch typedef union unsigned void volatile while
    _Alignas _Alignof _Atomic _Bool _Complex _Generic _Imaginary _Noreturn
    _Static_assert _Thread_local asm typeof bool true false
'''.split())

# Decision tree tuning.
LEAF_MAX = 3         # at most this many patterns: just test them linearly
MAX_SWITCH_BITS = 6  # at most 64 cases per switch
MIN_GAIN = 0.9       # each added switch bit must cut expected tests by >= 10%
DUP_MAX = 4.0        # bound on code growth from copying patterns into cases


class Segment:
    __slots__ = ('pos', 'len', 'signed')

    def __init__(self, pos, length, signed):
        self.pos = pos
        self.len = length
        self.signed = signed


class Field:
    """An extracted value: concatenation of segments (first = most significant)."""
    __slots__ = ('segs',)

    def __init__(self, segs):
        self.segs = segs

    @property
    def signed(self):
        return self.segs[0].signed

    @property
    def width(self):
        return sum(s.len for s in self.segs)


class FieldDef:
    __slots__ = ('name', 'field', 'loc')

    def __init__(self, name, field, loc):
        self.name = name
        self.field = field
        self.loc = loc


class Pattern:
    __slots__ = ('index', 'name', 'mask', 'value', 'args', 'loc')

    def __init__(self, index, name, mask, value, args, loc):
        self.index = index
        self.name = name
        self.mask = mask
        self.value = value
        self.args = args    # list of (argname, Field | int)
        self.loc = loc      # (file index, path, line)

    def arg_names(self):
        return [a[0] for a in self.args]


class Errors:
    def __init__(self):
        self.items = []

    def add(self, loc, msg):
        self.items.append((loc[0], loc[2], loc[1], msg))

    def __bool__(self):
        return bool(self.items)

    def report(self, stream):
        for _, line, path, msg in sorted(self.items, key=lambda e: (e[0], e[1])):
            print(f'{path}:{line}: {msg}', file=stream)


def logical_lines(fidx, path, text, errors):
    """Yield (loc, tokens) for each non-empty logical line."""
    acc = []
    start = None
    lineno = 0
    lines = re.split(r'\r?\n', text)
    if lines and lines[-1] == '':
        lines.pop()
    for lineno, raw in enumerate(lines, 1):
        line = raw.split('#', 1)[0].rstrip()
        if start is None:
            start = lineno
        if line.endswith('\\'):
            acc.append(line[:-1])
            continue
        acc.append(line)
        toks = ' '.join(acc).split()
        loc = (fidx, path, start)
        acc = []
        start = None
        if toks:
            yield loc, toks
    if start is not None:
        errors.add((fidx, path, lineno), 'line continuation at end of file')
        toks = ' '.join(acc).split()
        if toks:
            yield (fidx, path, start), toks


def parse_int(text):
    if not INT_RE.match(text):
        return None
    neg = text.startswith('-')
    body = text.lstrip('+-')
    val = int(body, 16) if body[:2].lower() == '0x' else int(body, 10)
    return -val if neg else val


def check_arg_name(name, loc, errors, what):
    if not IDENT_RE.match(name):
        errors.add(loc, f"invalid {what} name '{name}' (must be a C identifier)")
        return False
    if name in C_KEYWORDS:
        errors.add(loc, f"{what} name '{name}' is a C keyword")
        return False
    return True


def parse_field_def(loc, toks, fields, errors):
    """Add fields[name] = FieldDef; a definition with errors gets field None
    so that its uses are not reported again as unknown fields."""
    name = toks[0][1:]
    if not check_arg_name(name, loc, errors, 'field'):
        return
    if name in fields:
        prev = fields[name].loc
        errors.add(loc, f"duplicate definition of field '%{name}' "
                        f"(first defined at {prev[1]}:{prev[2]})")
        return
    fields[name] = FieldDef(name, None, loc)
    if len(toks) < 2:
        errors.add(loc, f"field '%{name}' has no segments")
        return
    segs = []
    ok = True
    for i, tok in enumerate(toks[1:]):
        m = SEGMENT_RE.match(tok)
        if not m:
            errors.add(loc, f"malformed segment '{tok}' in field '%{name}' "
                            "(expected pos:len or pos:slen)")
            ok = False
            continue
        pos, signed, length = int(m.group(1)), bool(m.group(2)), int(m.group(3))
        if length == 0:
            errors.add(loc, f"zero-length segment '{tok}' in field '%{name}'")
            ok = False
            continue
        if pos > 31 or pos + length > 32:
            errors.add(loc, f"segment '{tok}' in field '%{name}' is out of range "
                            f"(bits {pos}..{pos + length - 1} not within 0..31)")
            ok = False
            continue
        if signed and i != 0:
            errors.add(loc, f"segment '{tok}' in field '%{name}': only the first "
                            "(most significant) segment may be signed")
            ok = False
            continue
        segs.append(Segment(pos, length, signed))
    if not ok:
        return
    field = Field(segs)
    limit = 64 if field.signed else 63
    if field.width > limit:
        errors.add(loc, f"field '%{name}' is {field.width} bits wide "
                        f"(at most {limit} for {'signed' if field.signed else 'unsigned'})")
        return
    fields[name].field = field


def parse_pattern(index, loc, toks, fields, errors):
    name = toks[0]
    if not IDENT_RE.match(name):
        errors.add(loc, f"invalid pattern name '{name}' (must be a C identifier)")
        return None
    mask = value = 0
    nbits = 0
    args = []
    seen = set()
    ok = True
    in_extras = False
    width_unknown = False   # a bit token could not be sized: skip the count check

    def add_arg(argname, what):
        nonlocal ok
        if not check_arg_name(argname, loc, errors, 'argument'):
            ok = False
            return False
        if argname in seen:
            errors.add(loc, f"duplicate argument name '{argname}' in pattern '{name}'")
            ok = False
            return False
        seen.add(argname)
        args.append((argname, what))
        return True

    inline = []  # (argname, signed, width, msb position counted from bit 31)
    for tok in toks[1:]:
        if tok.startswith('%') or '=' in tok:
            in_extras = True
            if tok.startswith('%'):
                fname = tok[1:]
                if fname not in fields:
                    errors.add(loc, f"unknown field '%{fname}'")
                    ok = False
                    continue
                if fields[fname].field is None:   # its definition is broken
                    ok = False
                    continue
                add_arg(fname, fields[fname].field)
            else:
                argname, _, valtext = tok.partition('=')
                val = parse_int(valtext)
                if val is None:
                    errors.add(loc, f"malformed constant '{tok}' (expected name=INT)")
                    ok = False
                    continue
                if not INT64_MIN <= val <= INT64_MAX:
                    errors.add(loc, f"constant '{tok}' is out of int64 range")
                    ok = False
                    continue
                add_arg(argname, val)
            continue
        m_bits = BITS_RE.match(tok)
        m_field = None if m_bits else INLINE_FIELD_RE.match(tok)
        if not m_bits and not m_field:
            errors.add(loc, f"malformed token '{tok}'")
            ok = False
            width_unknown = True
            continue
        if in_extras:
            errors.add(loc, f"bit token '{tok}' after the argument list")
            ok = False
            width_unknown = True
            continue
        if m_bits:
            for ch in tok:
                mask <<= 1
                value <<= 1
                if ch != '.':
                    mask |= 1
                    value |= int(ch)
            nbits += len(tok)
        else:
            fname, signed, width = m_field.group(1), bool(m_field.group(2)), int(m_field.group(3))
            if width == 0:
                errors.add(loc, f"zero-width field '{tok}'")
                ok = False
                width_unknown = True
                continue
            if width > 32:
                errors.add(loc, f"field '{tok}' is wider than 32 bits")
                ok = False
                width_unknown = True
                continue
            mask <<= width
            value <<= width
            inline.append((fname, signed, width, nbits))
            nbits += width
            add_arg(fname, None)  # placeholder, Field filled in below
    if nbits != 32 and not width_unknown:
        errors.add(loc, f"pattern '{name}' has {nbits} bits, expected 32")
        ok = False
    if not ok:
        return None
    # Resolve inline fields now that positions are known.
    resolved = {}
    for fname, signed, width, msb_off in inline:
        pos = 32 - msb_off - width
        resolved[fname] = Field([Segment(pos, width, signed)])
    args = [(n, resolved[n] if w is None else w) for n, w in args]
    return Pattern(index, name, mask, value, args, loc)


def parse_inputs(paths, errors):
    fields = {}
    stmts = []
    for fidx, path in enumerate(paths):
        try:
            with open(path, encoding='utf-8') as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as e:
            errors.add((fidx, path, 0), f'cannot read: {e}')
            continue
        stmts.extend(logical_lines(fidx, path, text, errors))
    for loc, toks in stmts:
        if toks[0].startswith('%'):
            parse_field_def(loc, toks, fields, errors)
    patterns = []
    first = {}
    for loc, toks in stmts:
        if toks[0].startswith('%'):
            continue
        p = parse_pattern(len(patterns), loc, toks, fields, errors)
        if p is None:
            continue
        if p.name in first:
            f = first[p.name]
            a, b = set(f.arg_names()), set(p.arg_names())
            if a != b:
                parts = []
                if b - a:
                    parts.append('extra ' + ', '.join(sorted(b - a)))
                if a - b:
                    parts.append('missing ' + ', '.join(sorted(a - b)))
                errors.add(loc, f"pattern '{p.name}' has different arguments than at "
                                f"{f.loc[1]}:{f.loc[2]} ({'; '.join(parts)})")
                continue
        else:
            first[p.name] = p
        patterns.append(p)
    for i, p in enumerate(patterns):
        p.index = i
    return patterns, first


# ---------------------------------------------------------------------------
# Decision tree

class Leaf:
    __slots__ = ('pats', 'exact_mask')

    def __init__(self, pats, exact_mask):
        self.pats = pats
        self.exact_mask = exact_mask


class Switch:
    __slots__ = ('bits', 'cases')

    def __init__(self, bits, cases):
        self.bits = bits      # ascending bit positions; bits[i] -> bit i of index
        self.cases = cases    # list of (list of index values, child node)


def expand(x, bits):
    v = 0
    for i, b in enumerate(bits):
        if (x >> i) & 1:
            v |= 1 << b
    return v


def evaluate(pats, bits):
    """Return (cost, total): expected linear tests per real instruction and
    the number of pattern copies over all buckets when switching on bits."""
    k = len(bits)
    groups = Counter()
    for p in pats:
        cm = cv = 0
        for i, b in enumerate(bits):
            if (p.mask >> b) & 1:
                cm |= 1 << i
                cv |= ((p.value >> b) & 1) << i
        groups[(cm, cv)] += 1
    n = 1 << k
    sizes = [0] * n
    for (cm, cv), cnt in groups.items():
        for x in range(n):
            if x & cm == cv:
                sizes[x] += cnt
    cost = 0.0
    total = 0
    for (cm, cv), cnt in groups.items():
        s = 0
        c = 0
        for x in range(n):
            if x & cm == cv:
                s += sizes[x]
                c += 1
        cost += cnt * s / c
        total += cnt * c
    return cost / len(pats), total


def choose_bits(pats, decided, dup):
    n = len(pats)
    fixed_any = 0
    for p in pats:
        fixed_any |= p.mask
    cands = [b for b in range(31, -1, -1)
             if not (decided >> b) & 1 and (fixed_any >> b) & 1]
    # Copies per switch are limited locally, and along each root-to-leaf path
    # the product of the copy factors stays <= DUP_MAX.  Since the sum over
    # the leaves of size/path_factor equals the number of patterns, the total
    # number of emitted tests is then at most DUP_MAX * len(patterns).
    limit = min(1.5 * n + 4, n * DUP_MAX / dup)
    cur = float(n)
    chosen = []
    for _ in range(MAX_SWITCH_BITS):
        best = None
        for b in cands:
            if b in chosen:
                continue
            cost, total = evaluate(pats, sorted(chosen + [b]))
            if total > limit:
                continue
            key = (cost, total)
            if best is None or key < best[0]:
                best = (key, b)
        if best is None or best[0][0] > cur * MIN_GAIN:
            break
        chosen.append(best[1])
        cur = best[0][0]
    return sorted(chosen)


def build(pats, decided, exact_mask, dup):
    if len(pats) <= LEAF_MAX:
        return Leaf(pats, exact_mask)
    bits = choose_bits(pats, decided, dup)
    if not bits:
        return Leaf(pats, exact_mask)
    smask = expand((1 << len(bits)) - 1, bits)
    buckets = {}
    order = []
    for x in range(1 << len(bits)):
        full = expand(x, bits)
        members = tuple(p for p in pats if ((full ^ p.value) & p.mask & smask) == 0)
        if not members:
            continue
        key = tuple(p.index for p in members)
        if key not in buckets:
            buckets[key] = (members, [])
            order.append(key)
        buckets[key][1].append(x)
    total = sum(len(buckets[key][0]) * len(buckets[key][1]) for key in order)
    dup *= total / len(pats)
    cases = []
    for key in order:
        members, xs = buckets[key]
        # Cases with identical member lists share code.  No member can fix a
        # switch bit on which those cases differ (it would then be compatible
        # with only one of them), so every member's fixed bits within smask
        # are already known to match: the leaves need not test them again.
        child = build(list(members), decided | smask, exact_mask | smask, dup)
        cases.append((xs, child))
    return Switch(bits, cases)


def tree_stats(node, pats):
    """(number of switch nodes, max leaf size, mean leaf size seen by a pattern)."""
    nsw = 0
    maxleaf = 0
    seen = {p.index: [] for p in pats}

    def walk(nd):
        nonlocal nsw, maxleaf
        if isinstance(nd, Leaf):
            maxleaf = max(maxleaf, len(nd.pats))
            for p in nd.pats:
                seen[p.index].append(len(nd.pats))
            return
        nsw += 1
        for _, child in nd.cases:
            walk(child)
    walk(node)
    means = [sum(v) / len(v) for v in seen.values() if v]
    return nsw, maxleaf, (sum(means) / len(means) if means else 0.0)


# ---------------------------------------------------------------------------
# C emission

def hexu(v):
    return f'0x{v:x}u'


def hex32(v):
    return f'0x{v:08x}u'


def seg_expr(seg):
    mask = (1 << seg.len) - 1
    if seg.pos == 0 and seg.len == 32:
        return 'insn'
    if seg.pos + seg.len == 32:
        return f'(insn >> {seg.pos})'
    if seg.pos == 0:
        return f'(insn & {hexu(mask)})'
    return f'((insn >> {seg.pos}) & {hexu(mask)})'


def merged_segments(segs):
    """Join runs of segments that are adjacent in the word (next directly below)."""
    out = [Segment(segs[0].pos, segs[0].len, segs[0].signed)]
    for seg in segs[1:]:
        last = out[-1]
        if seg.pos + seg.len == last.pos:
            last.pos = seg.pos
            last.len += seg.len
        else:
            out.append(Segment(seg.pos, seg.len, seg.signed))
    return out


def field_expr(field):
    segs = merged_segments(field.segs)
    if len(segs) == 1:
        raw = f'(int64_t){seg_expr(segs[0])}'
    else:
        parts = []
        shift = field.width
        for seg in segs:
            shift -= seg.len
            e = f'(uint64_t){seg_expr(seg)}'
            parts.append(f'({e} << {shift})' if shift else e)
        raw = f"(int64_t)({' | '.join(parts)})"
    if not field.signed or field.width == 64:
        return raw
    sb = 1 << (field.width - 1)
    return f'(({raw} ^ INT64_C(0x{sb:x})) - INT64_C(0x{sb:x}))'


def const_expr(v):
    if v == INT64_MIN:
        return 'INT64_MIN'
    if v < 0:
        return f'-INT64_C({-v})'
    return f'INT64_C({v})'


def switch_expr(bits):
    runs = []
    for b in bits:
        if runs and runs[-1][0] + runs[-1][1] == b:
            runs[-1][1] += 1
        else:
            runs.append([b, 1])
    terms = []
    off = 0
    for lo, length in runs:
        shift = lo - off
        e = f'(insn >> {shift})' if shift else 'insn'
        if not (len(runs) == 1 and lo + length == 32):
            e = f'({e} & {hexu(((1 << length) - 1) << off)})'
        terms.append(e)
        off += length
    return ' | '.join(terms)


def c_ident_part(s):
    return re.sub(r'[^A-Za-z0-9_]', '_', s)


class Emitter:
    def __init__(self, prefix, ctx, patterns, first, input_names):
        self.prefix = prefix
        self.ctx = ctx
        self.patterns = patterns
        self.first = first
        self.input_names = input_names
        self.used = set()

    def fn(self, p):
        return f'{self.prefix}_dec_{p.index}_{p.name}'

    def header(self, header_path):
        guard = c_ident_part(f'DECODEGEN_{self.prefix}_{os.path.basename(header_path)}').upper()
        out = [f'/* Generated by decodegen.py from {", ".join(self.input_names)}. DO NOT EDIT. */',
               f'#ifndef {guard}', f'#define {guard}', '',
               '#include <stdbool.h>', '#include <stdint.h>', '']
        m = CTX_RE.match(self.ctx)
        if m.group(1):
            out += [f'{self.ctx};', '']
        for name, p in self.first.items():
            names = p.arg_names()
            out.append('typedef struct {')
            if names:
                out += [f'    int64_t {a};' for a in names]
            else:
                out.append('    char dummy;')
            out.append(f'}} arg_{name};')
            out.append('')
        for name in self.first:
            out.append(f'bool trans_{name}({self.ctx} *s, arg_{name} *a);')
        out += ['', f'bool {self.prefix}_decode({self.ctx} *s, uint32_t insn);', '',
                f'#endif /* {guard} */', '']
        return '\n'.join(out)

    def emit_node(self, node, ind, out):
        pad = '    ' * ind
        if isinstance(node, Leaf):
            for p in node.pats:
                self.used.add(p.index)
                m = p.mask & ~node.exact_mask
                call = f'{self.fn(p)}(s, insn)'
                out.append(f'{pad}/* {p.name}: {os.path.basename(p.loc[1])}:{p.loc[2]} */')
                if m:
                    out.append(f'{pad}if ((insn & {hex32(m)}) == {hex32(p.value & m)} && {call}) {{')
                else:
                    out.append(f'{pad}if ({call}) {{')
                out.append(f'{pad}    return true;')
                out.append(f'{pad}}}')
            return
        se = switch_expr(node.bits)
        if se.startswith('(') and ' | ' not in se:
            se = se[1:-1]
        out.append(f'{pad}switch ({se}) {{')
        for xs, child in node.cases:
            for x in xs:
                out.append(f'{pad}case 0x{x:x}:')
            self.emit_node(child, ind + 1, out)
            out.append(f'{pad}    break;')
        out.append(f'{pad}default:')
        out.append(f'{pad}    break;')
        out.append(f'{pad}}}')

    def source(self, tree, header_rel):
        body = []
        self.emit_node(tree, 1, body)
        out = [f'/* Generated by decodegen.py from {", ".join(self.input_names)}. DO NOT EDIT. */']
        if header_rel:
            out.append(f'#include "{header_rel}"')
        out.append('')
        for p in self.patterns:
            if p.index not in self.used:
                continue
            out.append(f'/* {p.name}: {os.path.basename(p.loc[1])}:{p.loc[2]} */')
            out.append(f'static inline bool {self.fn(p)}({self.ctx} *s, uint32_t insn)')
            out.append('{')
            if p.args:
                out.append(f'    arg_{p.name} a = {{')
                for n, w in p.args:
                    e = const_expr(w) if isinstance(w, int) else field_expr(w)
                    out.append(f'        .{n} = {e},')
                out.append('    };')
            else:
                out.append(f'    arg_{p.name} a = {{ 0 }};')
            if all(isinstance(w, int) for _, w in p.args):
                out.append('    (void)insn;')
            out.append(f'    return trans_{p.name}(s, &a);')
            out.append('}')
            out.append('')
        out.append(f'bool {self.prefix}_decode({self.ctx} *s, uint32_t insn)')
        out.append('{')
        if not self.patterns:
            out.append('    (void)s;')
            out.append('    (void)insn;')
        out += body
        out.append('    return false;')
        out.append('}')
        out.append('')
        return '\n'.join(out)


def write_atomic(files):
    """files: list of (path, text).  Write all to temporaries, then rename."""
    umask = os.umask(0)
    os.umask(umask)
    temps = []
    try:
        for path, text in files:
            d = os.path.dirname(os.path.abspath(path))
            fd, tmp = tempfile.mkstemp(dir=d, prefix='.' + os.path.basename(path) + '.')
            temps.append(tmp)
            os.fchmod(fd, 0o666 & ~umask)
            with os.fdopen(fd, 'w', encoding='utf-8') as f:
                f.write(text)
        for (path, _), tmp in zip(files, temps):
            os.replace(tmp, path)
        temps = []
    finally:
        for tmp in temps:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def main(argv=None):
    ap = argparse.ArgumentParser(description='Generate a C decoder from a .decode table.')
    ap.add_argument('--prefix', help='C prefix, gives PREFIX_decode()')
    ap.add_argument('--ctx-type', help="decoder context type, e.g. 'struct a64_dctx'")
    ap.add_argument('--header', help='output header')
    ap.add_argument('--source', help='output source (.c.inc)')
    ap.add_argument('--list', action='store_true',
                    help='print "NAME mask value" for each pattern line and exit')
    ap.add_argument('--stats', action='store_true',
                    help='print decision tree statistics to stderr')
    ap.add_argument('inputs', nargs='+', metavar='input.decode')
    args = ap.parse_args(argv)

    if not args.list:
        if not args.header and not args.source:
            ap.error('need --header and/or --source (or --list)')
        if not args.prefix or not IDENT_RE.match(args.prefix):
            ap.error('--prefix must be given and be a C identifier')
        if not args.ctx_type or not CTX_RE.match(args.ctx_type.strip()):
            ap.error("--ctx-type must be given, e.g. 'struct a64_dctx' or a typedef name")
        args.ctx_type = ' '.join(args.ctx_type.split())

    errors = Errors()
    patterns, first = parse_inputs(args.inputs, errors)
    if errors:
        errors.report(sys.stderr)
        return 1

    if args.list:
        for p in patterns:
            print(f'{p.name} 0x{p.mask:08x} 0x{p.value:08x}')
        return 0

    tree = build(patterns, 0, 0, 1.0)
    if args.stats:
        nsw, maxleaf, mean = tree_stats(tree, patterns)
        print(f'decodegen: {len(patterns)} patterns, {len(first)} names, {nsw} switches, '
              f'max leaf {maxleaf}, mean leaf {mean:.2f}', file=sys.stderr)
    em = Emitter(args.prefix, args.ctx_type, patterns, first,
                 [os.path.basename(p) for p in args.inputs])
    outputs = []
    header_path = args.header
    if header_path:
        outputs.append((header_path, em.header(header_path)))
    if args.source:
        if header_path:
            rel = os.path.relpath(os.path.abspath(header_path),
                                  os.path.dirname(os.path.abspath(args.source)))
            rel = rel.replace(os.sep, '/')
        else:
            rel = None
        outputs.append((args.source, em.source(tree, rel)))
    try:
        write_atomic(outputs)
    except OSError as e:
        print(f'decodegen: cannot write output: {e}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
