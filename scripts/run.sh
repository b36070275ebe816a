#!/usr/bin/env bash
# Builds avmm and runs the default guest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
exec build/src/avmm -kernel build/tests/guests/hello.bin "$@"
