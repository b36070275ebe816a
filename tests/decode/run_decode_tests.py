#!/usr/bin/env python3
"""Run tools/decodegen.py over the test tables in tests/decode.

usage: run_decode_tests.py GENERATOR TESTS_DIR

err_*.decode   must be rejected: exit status 1, no output files written, and
               a `file:line:` message on stderr.  The first line of each such
               file is `# expect: LINE: TEXT`; the message must name that line
               and contain TEXT.
succ_*.decode  must be accepted: exit status 0, both outputs written, output
               identical on a second run, `--list` well formed.  When a C
               compiler is available the generated code is also compiled, with
               stub trans functions, at -Wall -Wextra -Werror (and more).
               Compilers: $DECODEGEN_TEST_CC (space separated; "none" to skip),
               else whichever of gcc and clang are installed.

Prints one result line per file and ends with `N passed, N failed`.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

EXPECT_RE = re.compile(r'#\s*expect:\s*(\d+):\s*(.*\S)')
LIST_RE = re.compile(r'[A-Za-z_][A-Za-z0-9_]* 0x[0-9a-f]{8} 0x[0-9a-f]{8}\Z')
TRANS_RE = re.compile(r'^bool trans_([A-Za-z0-9_]+)\(', re.M)
CFLAGS = ['-std=gnu11', '-O2', '-Wall', '-Wextra', '-Werror', '-Wshadow',
          '-Wconversion', '-Wsign-compare', '-Wmissing-prototypes',
          '-Wstrict-prototypes', '-Wundef']


def run_gen(gen, args):
    return subprocess.run([sys.executable, gen] + args, capture_output=True, text=True)


def gen_args(work, path):
    return ['--prefix', 'dt', '--ctx-type', 'struct dt_ctx',
            '--header', os.path.join(work, 'out.h'),
            '--source', os.path.join(work, 'out.c.inc'), path]


def compilers():
    env = os.environ.get('DECODEGEN_TEST_CC')
    if env is not None:
        return [] if env.strip() == 'none' else env.split()
    return [c for c in ('gcc', 'clang') if shutil.which(c)]


def check_err(gen, path, work):
    name = os.path.basename(path)
    with open(path, encoding='utf-8') as f:
        first = f.readline()
    m = EXPECT_RE.match(first)
    if not m:
        return 'first line must be "# expect: LINE: TEXT"'
    line, text = m.group(1), m.group(2)
    for extra in ([], ['--list']):
        args = extra + [path] if extra else gen_args(work, path)
        r = run_gen(gen, args)
        what = ' (--list)' if extra else ''
        if r.returncode != 1:
            return f'exit status {r.returncode}{what}, expected 1\n{r.stderr}'
        if os.listdir(work):
            return f'output files were written: {os.listdir(work)}'
        want = f'{name}:{line}: '
        if not any(want in ln and text in ln for ln in r.stderr.splitlines()):
            return f'no "{want}...{text}" message{what}; stderr was:\n{r.stderr}'
    return None


def check_succ(gen, path, work, ccs):
    r = run_gen(gen, gen_args(work, path))
    if r.returncode != 0:
        return f'exit status {r.returncode}, expected 0\n{r.stderr}'
    try:
        with open(os.path.join(work, 'out.h')) as f:
            header = f.read()
        with open(os.path.join(work, 'out.c.inc')) as f:
            source = f.read()
    except OSError as e:
        return f'missing output: {e}'
    r = run_gen(gen, gen_args(work, path))
    with open(os.path.join(work, 'out.h')) as f:
        h2 = f.read()
    with open(os.path.join(work, 'out.c.inc')) as f:
        s2 = f.read()
    if r.returncode != 0 or h2 != header or s2 != source:
        return 'second run gave a different result'
    r = run_gen(gen, ['--list', path])
    if r.returncode != 0:
        return f'--list: exit status {r.returncode}\n{r.stderr}'
    bad = [ln for ln in r.stdout.splitlines() if not LIST_RE.match(ln)]
    if bad:
        return f'--list: malformed line "{bad[0]}"'
    if ccs:
        names = TRANS_RE.findall(header)
        stub = ['#include <stdbool.h>', '#include <stdint.h>',
                'struct dt_ctx { int calls; };', '#include "out.h"', '#include "out.c.inc"']
        for n in names:
            stub.append(f'bool trans_{n}(struct dt_ctx *s, arg_{n} *a)')
            stub.append('{ (void)a; s->calls++; return false; }')
        stub += ['int main(void)', '{', '    struct dt_ctx c = { 0 };',
                 '    return dt_decode(&c, 0) ? 1 : 0;', '}', '']
        csrc = os.path.join(work, 'stub.c')
        with open(csrc, 'w') as f:
            f.write('\n'.join(stub))
        for cc in ccs:
            r = subprocess.run([cc] + CFLAGS + ['-I', work, '-c', '-o',
                                                os.path.join(work, 'stub.o'), csrc],
                               capture_output=True, text=True)
            if r.returncode != 0:
                return f'{cc} failed on the generated code:\n{r.stderr[:4000]}'
    return None


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    gen, tdir = argv[1], argv[2]
    files = sorted(f for f in os.listdir(tdir)
                   if f.endswith('.decode') and (f.startswith('err_') or f.startswith('succ_')))
    ccs = compilers()
    print(f'generator: {gen}')
    print(f'compile check: {", ".join(ccs) if ccs else "skipped (no compiler)"}')
    passed = failed = 0
    if not any(f.startswith('err_') for f in files) or not any(f.startswith('succ_') for f in files):
        print(f'FAIL no err_*/succ_* files found in {tdir}')
        failed += 1
    for f in files:
        work = tempfile.mkdtemp(prefix='decodegen-test-')
        try:
            path = os.path.join(tdir, f)
            if f.startswith('err_'):
                err = check_err(gen, path, work)
            else:
                err = check_succ(gen, path, work, ccs)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if err:
            failed += 1
            print(f'FAIL {f}: ' + err.rstrip().replace('\n', '\n    '))
        else:
            passed += 1
            print(f'PASS {f}')
    print(f'{passed} passed, {failed} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
