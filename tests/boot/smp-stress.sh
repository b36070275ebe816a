#!/usr/bin/env bash
# Reproducer for the open SMP bug (docs/ARCHITECTURE.md, "Known bug"): boots
# the Debian kernel N times with -smp S and counts boots that reach /init
# without an oops. Not part of CI. Usage: tests/boot/smp-stress.sh [N] [S]
set -uo pipefail
cd "$(dirname "$0")/../.."
n=${1:-10} smp=${2:-2}
fx=$(scripts/fixtures.sh | tail -n 1)
ok=0 bad=0
for i in $(seq "$n"); do
	log=$(mktemp)
	timeout 60 build/src/avmm -M virt -m 512 -smp "$smp" -kernel "$fx/vmlinuz" -initrd "$fx/initramfs.cpio.gz" \
		-append "console=ttyAMA0 panic=-1 quiet" -no-reboot < /dev/null > "$log" 2>&1
	if grep -qa "init reached" "$log" && ! grep -qa "Oops" "$log"; then
		ok=$((ok + 1))
	else
		bad=$((bad + 1))
		echo "boot $i failed: $(grep -a -m1 'pc :' "$log" || tail -c 200 "$log")"
	fi
	rm -f "$log"
done
echo "$ok passed, $bad failed"
