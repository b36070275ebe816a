/* Inputs of the pointer-authentication differential test, shared by the
 * oracle (pauth-oracle.c, under qemu-aarch64 -cpu max) and the soft-CPU side
 * (pauth-diff.c): both derive every case from (seed, index), so only
 * results cross the pipe, one text line per case. */
#ifndef AVMM_PAUTH_CASE_H
#define AVMM_PAUTH_CASE_H

#include <stdint.h>

struct pauth_case {
	uint64_t any;  /* arbitrary 64-bit value (XPAC*) */
	uint64_t ptr;  /* canonical pointer: user (bit 55 = 0, tagged) or kernel-half */
	uint64_t mod;  /* modifier */
	uint64_t ga_n, ga_m; /* PACGA operands */
};

static inline uint64_t pauth_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Linux user space as qemu-aarch64 models it: TCR_EL1.TBI0 = 1, TBI1 = 0,
 * 48-bit VAs in both halves (TxSZ = 16 after clamping). */
static inline void pauth_case_make(uint64_t seed, uint64_t index, struct pauth_case *c)
{
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + index * 0xd1b54a32d192ed03ull;
	uint64_t r[6];
	for (unsigned i = 0; i < 6; i++)
		r[i] = pauth_mix(s += 0x9e3779b97f4a7c15ull);
	c->any = r[0];
	if (index & 1)
		c->any ^= 1ull << 55; /* both halves */
	if (index % 3 == 0)
		c->ptr = (r[1] & 0x0000ffffffffffffull) | (r[2] & 0xff00000000000000ull); /* user, tag */
	else if (index % 3 == 1)
		c->ptr = r[1] & 0x0000ffffffffffffull;
	else
		c->ptr = r[1] | 0xffff000000000000ull; /* upper half, no TBI there */
	c->mod = r[3];
	c->ga_n = r[4];
	c->ga_m = r[5];
}

#endif
