#!/usr/bin/env bash
# Installs what is missing, builds avmm, fetches Debian's current arm64 cloud
# kernel and busybox (cached), and boots them to an interactive shell.
# Ctrl-A x quits; so does `poweroff` in the guest. Extra arguments go to avmm.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
fx=$(scripts/fixtures.sh | tail -n 1)
exec build/src/avmm -M virt -m 512 -smp 2 -nographic \
	-kernel "$fx/vmlinuz" -initrd "$fx/initramfs.cpio.gz" \
	-append "console=ttyAMA0 quiet" "$@"
