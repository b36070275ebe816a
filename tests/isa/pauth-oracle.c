/* The oracle side of the pointer-authentication differential test: runs
 * under `qemu-aarch64 -cpu max` (FEAT_PAuth with QARMA, keys chosen by the
 * emulated kernel) and prints, for each case of pauth-case.h, one line:
 *   XPACI XPACD XPACLRI, then per key IA IB DA DB: (signed ^ ptr),
 *   AUT(signed) == ptr, AUT with a wrong modifier, then PACGA.
 * Usage: pauth-oracle SEED COUNT. Needs -march=armv8.3-a. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/auxv.h>

#include "pauth-case.h"

#define PAC2(name, insn)                                                         \
	static uint64_t name(uint64_t p, uint64_t m)                             \
	{                                                                        \
		__asm__ volatile(insn " %0, %1" : "+r"(p) : "r"(m));             \
		return p;                                                        \
	}
PAC2(pacia, "pacia") PAC2(pacib, "pacib") PAC2(pacda, "pacda") PAC2(pacdb, "pacdb")
PAC2(autia, "autia") PAC2(autib, "autib") PAC2(autda, "autda") PAC2(autdb, "autdb")

static uint64_t xpaci(uint64_t p) { __asm__ volatile("xpaci %0" : "+r"(p)); return p; }
static uint64_t xpacd(uint64_t p) { __asm__ volatile("xpacd %0" : "+r"(p)); return p; }
static uint64_t xpaclri(uint64_t p)
{
	uint64_t r;
	__asm__ volatile("mov x30, %1\n\txpaclri\n\tmov %0, x30" : "=r"(r) : "r"(p) : "x30");
	return r;
}
static uint64_t pacga(uint64_t n, uint64_t m)
{
	uint64_t d;
	__asm__ volatile("pacga %0, %1, %2" : "=r"(d) : "r"(n), "r"(m));
	return d;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	/* HWCAP_PACA (bit 30) and HWCAP_PACG (bit 31) */
	if ((getauxval(AT_HWCAP) & (3ul << 30)) != (3ul << 30)) {
		printf("no-pauth\n");
		return 3;
	}
	uint64_t seed = strtoull(argv[1], NULL, 0), n = strtoull(argv[2], NULL, 0);
	uint64_t (*const pac[4])(uint64_t, uint64_t) = { pacia, pacib, pacda, pacdb };
	uint64_t (*const aut[4])(uint64_t, uint64_t) = { autia, autib, autda, autdb };
	for (uint64_t i = 0; i < n; i++) {
		struct pauth_case c;
		pauth_case_make(seed, i, &c);
		printf("%" PRIx64 " %" PRIx64 " %" PRIx64, xpaci(c.any), xpacd(c.any), xpaclri(c.any));
		for (unsigned k = 0; k < 4; k++) {
			uint64_t s = pac[k](c.ptr, c.mod);
			printf(" %" PRIx64 " %d %" PRIx64, s ^ c.ptr, aut[k](s, c.mod) == c.ptr,
			       aut[k](s, c.mod ^ (1ull << (i & 63))));
		}
		printf(" %" PRIx64 "\n", pacga(c.ga_n, c.ga_m));
	}
	return 0;
}
