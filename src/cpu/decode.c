/* The A64 decoder: generated from the encoding tables (cpu/a64-*.decode).
 * The trans_* functions it calls live in the exec-*.c file of their class. */
#include "cpu/internal.h"
#include "a64-decode.h"
#include "a64-decode.c.inc"

/* DecodeBitMasks (Arm ARM shared pseudocode) for logical immediates. */
uint64_t a64_decode_bitmask(unsigned n, unsigned imms, unsigned immr, bool is64, bool *ok)
{
	unsigned combined = n << 6 | (~imms & 0x3f);
	*ok = false;
	if (!combined)
		return 0;
	int len = 31 - __builtin_clz(combined);
	if (len < 1 || (!is64 && len > 5))
		return 0;
	unsigned esize = 1u << len, levels = esize - 1;
	unsigned s = imms & levels, r = immr & levels;
	if (s == levels)
		return 0; /* all-ones element: reserved */
	uint64_t welem = (s + 1 == 64) ? ~0ull : ((1ull << (s + 1)) - 1);
	uint64_t emask = esize == 64 ? ~0ull : (1ull << esize) - 1;
	uint64_t elem = r ? ((welem >> r) | (welem << (esize - r))) & emask : welem;
	uint64_t v = elem;
	for (unsigned e = esize; e < 64; e *= 2)
		v |= v << e;
	if (!is64)
		v &= 0xffffffffull;
	*ok = true;
	return v;
}
