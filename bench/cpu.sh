#!/usr/bin/env bash
# CPU benchmarks: the same integer and FP/SIMD workloads on avmm's soft CPU and under
# qemu-aarch64, in this run, several times each; prints guest MIPS (median)
# for both and the ratio. The instruction count comes from avmm's counters
# (instructions of a run that leaves the CPU by an exception or exit are
# counted up to the last taken branch; the workload exits only to print one
# line) and is the same stream qemu runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
# BUILD=dir measures another build directory (default build/).
build=${BUILD:-build}
[ -f "$build/build.ninja" ] || meson setup "$build" >/dev/null
ninja -C "$build" >/dev/null
runs=${RUNS:-3}
now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
bench() { # name, avmm guest image, qemu-aarch64 program
	local name=$1 guest=$2 linux=$3
	local a_times=() q_times=() insns=0 ares qres out t0 t1
	for i in $(seq "$runs"); do
		t0=$(now)
		out=$("$build"/src/avmm -kernel "$guest" --stats 2>&1)
		t1=$(now)
		a_times+=("$(echo "$t1 - $t0" | bc -l)")
		insns=$(echo "$out" | sed -n 's/.*soft cpu: \([0-9]*\) instructions.*/\1/p')
		ares=$(echo "$out" | sed -n 's/^result //p')
		t0=$(now)
		qres=$(qemu-aarch64 -cpu cortex-a76 "$linux" | sed -n 's/^result //p')
		t1=$(now)
		q_times+=("$(echo "$t1 - $t0" | bc -l)")
		if [ "$ares" != "$qres" ]; then
			echo "bench: $name results differ: avmm $ares, qemu $qres" >&2
			exit 1
		fi
	done
	local am qm amips qmips
	am=$(printf '%s\n' "${a_times[@]}" | median) qm=$(printf '%s\n' "${q_times[@]}" | median)
	amips=$(echo "$insns / $am / 1000000" | bc -l) qmips=$(echo "$insns / $qm / 1000000" | bc -l)
	printf '%s: %d guest instructions (result %s), %d runs each, medians\n' "$name" "$insns" "$ares" "$runs"
	printf '  avmm soft cpu:  %7.3f s  %7.1f MIPS\n' "$am" "$amips"
	printf '  qemu-aarch64:   %7.3f s  %7.1f MIPS\n' "$qm" "$qmips"
	printf '  ratio avmm/qemu (speed): %.2f\n' "$(echo "$amips / $qmips" | bc -l)"
}
bench "integer (sieve + CRC-32)" "$build"/bench/cpu-guest.bin "$build"/bench/cpu-linux
bench "FP/SIMD (float matmul + Q-register copies)" "$build"/bench/fp-guest.bin "$build"/bench/fp-linux
