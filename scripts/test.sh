#!/usr/bin/env bash
# Runs every test: a -Werror build and an ASan/UBSan build, each with the
# whole Meson test suite. Ends with "N passed, N failed" over both.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh || { echo "avmm: installing dependencies failed"; echo "0 passed, 1 failed"; exit 1; }

build() { # dir, extra meson args...
	local dir=$1; shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" --werror "$@" >/dev/null || return 1
	fi
	ninja -C "$dir" >/dev/null || ninja -C "$dir"
}

passed=0 failed=0
# The aarch64 cross build (the KVM backend, static, -Werror): one test of its
# own; tests/kvm runs this binary nested under qemu-system-aarch64.
if build build-aarch64 --cross-file scripts/cross-aarch64.txt; then
	echo "aarch64 cross build (-Werror, static): passed"; passed=$((passed + 1))
else
	echo "avmm: the aarch64 cross build failed"; failed=$((failed + 1))
fi
run_suite() { # dir, label, meson test args...
	local dir=$1 label=$2; shift 2
	meson test -C "$dir" --print-errorlogs "$@"
	local counts
	counts=$(python3 - "$dir/meson-logs/testlog.json" <<'PY'
import json, sys
p = f = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("result") in ("OK", "EXPECTEDFAIL"):
        p += 1
    elif r.get("result") != "SKIP":
        f += 1
print(p, f)
PY
)
	set -- $counts
	echo "$label: $1 passed, $2 failed"
	passed=$((passed + $1)); failed=$((failed + $2))
}

if build build; then
	run_suite build "release build"
else
	echo "avmm: the -Werror build failed"; failed=$((failed + 1))
fi
# The macOS compile check (every source the macOS build compiles, against
# Apple's headers at the deployment target, 13 and 15): only with an SDK,
# which is never part of the repository. Skipped counts neither way.
if [ -n "${MACOS_SDK:-}" ]; then
	if scripts/check-macos.sh build; then
		echo "macOS compile check: passed"; passed=$((passed + 1))
	else
		echo "macOS compile check: FAILED"; failed=$((failed + 1))
	fi
else
	echo "macOS compile check: skipped (set MACOS_SDK)"
fi
# Sanitizers: AVMM_SANITIZE=1 selects the sanitizer variants of long tests.
if build build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug; then
	AVMM_SANITIZE=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
		run_suite build-asan "asan+ubsan build" --timeout-multiplier 4
else
	echo "avmm: the sanitizer build failed"; failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
