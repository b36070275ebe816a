#!/usr/bin/env bash
# SMP stress (not part of CI): boots the Debian kernel N times with -smp S and
# counts boots that reach /init with no oops, BUG or WARNING. It found the
# page-end PC bug (docs/ARCHITECTURE.md). Failed boots' logs are kept in
# /tmp/smp-stress.I.log. Usage: tests/boot/smp-stress.sh [N] [S] [avmm args]
set -uo pipefail
cd "$(dirname "$0")/../.."
n=${1:-10} smp=${2:-2}
shift 2 2>/dev/null || shift $#
fx=$(scripts/fixtures.sh | tail -n 1)
bad_re='Oops|Internal error|BUG|WARNING|Kernel panic'
ok=0 bad=0
for i in $(seq "$n"); do
	log=/tmp/smp-stress.$i.log
	build/src/avmm -M virt -m 512 -smp "$smp" -kernel "$fx/vmlinuz" -initrd "$fx/initramfs.cpio.gz" \
		-append "console=ttyAMA0 panic=-1 quiet" -no-reboot "$@" < /dev/null > "$log" 2>&1 &
	pid=$!
	# The guest's shell waits for input: stop at /init or at the first sign of trouble.
	for _ in $(seq 600); do
		sleep 0.2
		grep -qaE "init reached|$bad_re" "$log" && { sleep 0.5; break; }
		kill -0 "$pid" 2>/dev/null || break
	done
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	if grep -qa "init reached" "$log" && ! grep -qaE "$bad_re" "$log"; then
		ok=$((ok + 1))
		rm -f "$log"
	else
		bad=$((bad + 1))
		echo "boot $i failed: $(grep -aE -m1 "pc :|$bad_re" "$log" || tail -c 200 "$log") (log: $log)"
	fi
done
echo "$ok passed, $bad failed"
