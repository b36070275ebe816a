#!/usr/bin/env bash
# Boot benchmark: the same Debian kernel and busybox initramfs on avmm (soft
# CPU) and on qemu-system-aarch64 -M virt -cpu cortex-a57 (TCG), in this run,
# RUNS times each: boot-to-/init (the guest's own uptime when /init starts)
# and boot-to-poweroff (wall time of the whole process, /init powering off
# at once); medians and ratios; avmm's peak RSS minus guest RAM.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
# BUILD=dir measures another build directory (default build/).
build=${BUILD:-build}
[ -f "$build/build.ninja" ] || meson setup "$build" >/dev/null
ninja -C "$build" >/dev/null
fx=$(scripts/fixtures.sh | tail -n 1)
runs=${RUNS:-5}
smp=${SMP:-2}
mem=512
append="console=ttyAMA0 panic=-1 rdinit=/bin/sh -- -c 'cut -d\" \" -f1 /proc/uptime; poweroff -f'"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# An initramfs whose /init prints the uptime and powers off at once.
python3 - "$fx/initramfs.cpio.gz" "$work/bench-initrd.cpio.gz" <<'PY'
import gzip, sys
data = gzip.open(sys.argv[1]).read()
init = b"#!/bin/sh\n/bin/busybox mount -t proc proc /proc\necho INIT-UPTIME $(cut -d' ' -f1 /proc/uptime)\n/bin/busybox poweroff -f\n"
# Append a second cpio archive that replaces /init (later entries win).
def entry(name, mode, body, ino):
    nb = name.encode() + b"\0"
    h = "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x" % (ino, mode, 0, 0, 1, 0, len(body), 0, 0, 0, 0, len(nb), 0)
    out = h.encode() + nb
    out += b"\0" * ((4 - len(out) % 4) % 4) + body
    return out + b"\0" * ((4 - len(out) % 4) % 4)
extra = entry("init", 0o100755, init, 900000) + entry("TRAILER!!!", 0, b"", 900001)
with gzip.open(sys.argv[2], "wb") as f:
    f.write(data + extra)
PY
initrd=$work/bench-initrd.cpio.gz
run_one() { # label, command...
	local label=$1; shift
	local t0 t1 out
	t0=$(date +%s.%N)
	out=$( "$@" 2>&1 < /dev/null )
	t1=$(date +%s.%N)
	local up
	up=$(echo "$out" | sed -n 's/.*INIT-UPTIME \([0-9.]*\).*/\1/p' | tail -1)
	if [ -z "$up" ]; then
		echo "bench: $label did not reach /init; output:" >&2
		echo "$out" | tail -20 >&2
		exit 1
	fi
	echo "$(echo "$t1 - $t0" | bc -l) $up"
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
a_wall=() a_init=() q_wall=() q_init=()
for i in $(seq "$runs"); do
	set -- $(run_one avmm /usr/bin/time -f "RSS %M" "$build"/src/avmm -M virt -m $mem -smp $smp -nographic \
		-kernel "$fx/vmlinuz" -initrd "$initrd" -append "console=ttyAMA0 panic=-1 quiet")
	a_wall+=("$1") a_init+=("$2")
	set -- $(run_one qemu qemu-system-aarch64 -M virt -cpu cortex-a57 -m $mem -smp $smp -nographic -no-reboot \
		-kernel "$fx/vmlinuz" -initrd "$initrd" -append "console=ttyAMA0 panic=-1 quiet")
	q_wall+=("$1") q_init+=("$2")
done
# Peak RSS, and the guest RAM resident at poweroff (avmm --stats, from
# mincore): the difference is avmm's own memory.
stats=$( { /usr/bin/time -f "RSS %M" "$build"/src/avmm -M virt -m $mem -smp $smp -nographic --stats \
	-kernel "$fx/vmlinuz" -initrd "$initrd" -append "console=ttyAMA0 panic=-1 quiet" < /dev/null > /dev/null; } 2>&1)
rss_kb=$(echo "$stats" | sed -n 's/^RSS //p')
guest_kb=$(echo "$stats" | sed -n 's/^avmm: guest RAM resident: \([0-9]*\) KiB.*/\1/p')
aw=$(printf '%s\n' "${a_wall[@]}" | median) ai=$(printf '%s\n' "${a_init[@]}" | median)
qw=$(printf '%s\n' "${q_wall[@]}" | median) qi=$(printf '%s\n' "${q_init[@]}" | median)
echo "kernel: $(readlink -f "$fx/vmlinuz" | xargs basename), -m $mem, -smp $smp, $runs runs each (medians)"
printf '%-28s %10s %10s %8s\n' "" "avmm" "qemu TCG" "ratio"
printf '%-28s %9.2fs %9.2fs %7.2fx\n' "boot to /init (guest uptime)" "$ai" "$qi" "$(echo "$ai / $qi" | bc -l)"
printf '%-28s %9.2fs %9.2fs %7.2fx\n' "boot to poweroff (wall)" "$aw" "$qw" "$(echo "$aw / $qw" | bc -l)"
echo "avmm peak RSS: $((rss_kb / 1024)) MiB, of which guest RAM resident: $((guest_kb / 1024)) MiB;" \
	"avmm's own: $(((rss_kb - guest_kb) / 1024)) MiB"
