#!/usr/bin/env bash
# The macOS compile check: every C source the macOS build compiles, compiled
# (-fsyntax-only) by clang for arm64 macOS against Apple's headers, at the
# deployment target of src/meson.build (macos_min) and at macOS 13 and 15,
# with -Wall -Wextra -Werror -Wunguarded-availability: a call newer than the
# target outside a positive __builtin_available check, a Linux-only call or
# declaration, or any other warning under Apple's headers fails it.
#
#   MACOS_SDK=/path/to/MacOSX15.sdk scripts/check-macos.sh [BUILD_DIR]
#   scripts/check-macos.sh --standin [BUILD_DIR]
#
# BUILD_DIR (default: build) is a configured Linux build of this tree: the
# source list and each source's include directories and defines come from
# its introspection (`meson introspect --targets`), so a source added to any
# meson.build is checked without touching this script. The macOS build
# differs from a Linux one in what this script then changes, mirroring
# src/meson.build: no stand-in (tests/hvf-standin/: not built on macOS, the
# real framework instead), no KVM backend (src/accel/kvm.c), no tests/isa/
# (its programs need qemu-aarch64, Linux user mode); hvf.c always,
# with -DAVMM_HAVE_HVF for avmm-core. libfdt (Homebrew's dtc on a Mac) is not
# in the SDK: its headers are taken from the build host.
#
# MACOS_SDK is a macOS SDK (usr/include and
# System/Library/Frameworks/Hypervisor.framework); it is never part of this
# repository. CLANG (default: clang) must target arm64-apple-macos.
#
# --standin needs no SDK: src/accel/hvf.c alone, against the stand-in
# Hypervisor headers (which carry Apple's availability annotations) and the
# aarch64 glibc headers, compiled for arm64 macOS so clang applies the
# annotations. That catches unguarded calls on any Linux host with clang and
# the aarch64 cross headers (the hvf-availability test); exit 77 (skipped)
# without them.
#
# Exit status: 0 passed, 1 failed, 77 skipped (missing tools).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
src_root=$PWD

standin=0
if [ "${1:-}" = --standin ]; then
	standin=1
	shift
fi
build=${1:-build}
case $build in /*) ;; *) build=$src_root/$build ;; esac
clang=${CLANG:-clang}

skip() { echo "check-macos: skipped: $*"; exit 77; }
fail() { echo "check-macos: $*" >&2; exit 1; }

command -v "$clang" >/dev/null 2>&1 || skip "no $clang"

# The deployment target src/meson.build sets, then 13 and 15.
min=$(sed -n "s/^macos_min = '\([0-9.]*\)'.*/\1/p" src/meson.build)
[ -n "$min" ] || fail "no macos_min = '...' line in src/meson.build"
targets=$(printf '%s\n' "$min" 13.0 15.0 | sort -u -t. -k1,1n -k2,2n)

warn=(-Wall -Wextra -Werror -Wunguarded-availability -Wno-unused-parameter
      -fno-strict-aliasing -ffp-contract=off -std=gnu11)

if [ $standin = 1 ]; then
	cross=/usr/aarch64-linux-gnu/include
	[ -f "$cross/stdio.h" ] || skip "no aarch64 glibc headers in $cross"
	[ -f "$build/src/a64-decode.h" ] || ninja -C "$build" src/a64-decode.h >/dev/null ||
		fail "cannot generate $build/src/a64-decode.h"
	res=$("$clang" -print-resource-dir) || skip "$clang has no resource directory"
	status=0
	for t in $targets; do
		# glibc under a Darwin target: clang predefines the nullability
		# spellings glibc uses as macro names (__nonnull).
		if "$clang" -target "arm64-apple-macos$t" -nostdinc -isystem "$res/include" -isystem "$cross" \
			-U__nonnull -U__nullable -U__null_unspecified -fsyntax-only "${warn[@]}" \
			-D_GNU_SOURCE -DAVMM_HAVE_HVF -Isrc -I"$build/src" -Itests/hvf-standin/include src/accel/hvf.c; then
			echo "check-macos (stand-in headers): src/accel/hvf.c at macOS $t: ok"
		else
			echo "check-macos (stand-in headers): src/accel/hvf.c at macOS $t: FAILED"
			status=1
		fi
	done
	exit $status
fi

sdk=${MACOS_SDK:-}
[ -n "$sdk" ] || skip "set MACOS_SDK to a macOS SDK"
[ -f "$sdk/usr/include/stdio.h" ] || fail "MACOS_SDK=$sdk has no usr/include/stdio.h"
[ -f "$sdk/System/Library/Frameworks/Hypervisor.framework/Headers/Hypervisor.h" ] ||
	fail "MACOS_SDK=$sdk has no Hypervisor.framework headers"
for t in $targets; do
	echo 'int x;' | "$clang" -target "arm64-apple-macos$t" -isysroot "$sdk" -fsyntax-only -x c - ||
		fail "$clang cannot compile for arm64-apple-macos$t with MACOS_SDK=$sdk"
done

[ -f "$build/build.ninja" ] || fail "$build is not a configured build (meson setup $build)"
# Generated sources (the A64 decoder, test tables) must exist.
ninja -C "$build" >/dev/null || fail "building $build failed"

# The libraries' headers from the build host (libfdt; jansson for QMP;
# libslirp for user networking: Homebrew's on a Mac), alone in a directory of
# their own.
fdt_inc=$(mktemp -d)
trap 'rm -rf "$fdt_inc"' EXIT
for h in libfdt.h libfdt_env.h fdt.h jansson.h jansson_config.h slirp/libslirp.h slirp/libslirp-version.h; do
	f=$(echo "#include <$h>" | cc -E -H -x c - 2>&1 >/dev/null | sed -n "s|^\. \(.*/$h\)$|\1|p" | head -1)
	[ -n "$f" ] && mkdir -p "$fdt_inc/$(dirname "$h")" && ln -s "$f" "$fdt_inc/$h"
done
[ -e "$fdt_inc/libfdt.h" ] || fail "libfdt.h not found on the build host"

# One line per compilation: directory, then the source, then its flags.
list=$(cd "$build" && meson introspect --targets | python3 -c '
import json, os, sys
src_root, build = sys.argv[1], os.getcwd()
seen = set()
out = []
for t in json.load(sys.stdin):
    if t["type"] not in ("executable", "static library", "shared library"):
        continue
    for ts in t["target_sources"]:
        if ts.get("language") != "c":
            continue
        flags = []
        params = ts["parameters"]
        i = 0
        while i < len(params):
            p = params[i]
            if p in ("-I", "-D", "-include") and i + 1 < len(params):
                p, i = p + params[i + 1], i + 1
            i += 1
            if p.startswith("-I"):
                d = os.path.normpath(os.path.join(build, p[2:]))
                if "/tests/hvf-standin" in d:
                    continue  # the stand-in framework: not on macOS
                flags.append("-I" + d)
            elif p.startswith("-D") and p not in ("-DAVMM_HAVE_KVM",):
                flags.append(p)
            elif p.startswith("-include"):
                flags.append(p)
        if t["name"] == "avmm-core" and "-DAVMM_HAVE_HVF" not in flags:
            flags.append("-DAVMM_HAVE_HVF")
        for s in ts["sources"]:
            s = os.path.normpath(os.path.join(build, s))
            rel = os.path.relpath(s, src_root)
            if rel.startswith("tests/hvf-standin/") or rel == "src/accel/kvm.c":
                continue  # stand-in (and its tests), KVM: not on macOS
            if rel.startswith("tests/isa/"):
                continue  # built only with qemu-aarch64 (Linux user mode): never on macOS
            key = (rel, tuple(flags))
            if key in seen:
                continue
            seen.add(key)
            out.append((rel, flags))
hvf = [f for f in out if f[0] == "src/accel/hvf.c"]
if not hvf:
    core = [f for f in out if f[0] == "src/accel/accel.c"]
    out.append(("src/accel/hvf.c", core[0][1] if core else ["-I" + src_root + "/src", "-DAVMM_HAVE_HVF"]))
for rel, flags in out:
    print(rel + "\t" + " ".join(flags))
' "$src_root") || fail "meson introspect failed"
[ -n "$list" ] || fail "no sources found in $build"
grep -q '^src/accel/hvf.c	' <<<"$list" || fail "src/accel/hvf.c is not in the source list"

n=$(wc -l <<<"$list")
echo "check-macos: $n sources, macOS targets: $(tr "\n" " " <<<"$targets"), SDK $sdk"
status=0
errors=0
for t in $targets; do
	failed=0
	while IFS=$'\t' read -r file flags; do
		# shellcheck disable=SC2086 # flags are whitespace-separated by construction
		if ! out=$("$clang" -target "arm64-apple-macos$t" -isysroot "$sdk" -idirafter "$fdt_inc" -fsyntax-only \
			"${warn[@]}" $flags "$src_root/$file" 2>&1); then
			echo "$out"
			echo "check-macos: FAILED at macOS $t: $file"
			failed=$((failed + 1))
		fi
	done <<<"$list"
	if [ $failed = 0 ]; then
		echo "check-macos: macOS $t: $n sources ok"
	else
		echo "check-macos: macOS $t: $failed of $n sources FAILED"
		status=1
		errors=$((errors + failed))
	fi
done
if [ $status = 0 ]; then
	echo "check-macos: passed"
else
	echo "check-macos: $errors compilations failed"
fi
exit $status
