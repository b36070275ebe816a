#include "arch/dabt.h"

static uint32_t syn(unsigned size_log2, bool sse, unsigned rt, bool sf, bool ar)
{
	return ISS_ISV | size_log2 << ISS_SAS_SHIFT | (sse ? ISS_SSE : 0) | rt << ISS_SRT_SHIFT |
	       (sf ? ISS_SF : 0) | (ar ? ISS_AR : 0);
}

/* Load/store register (immediate unsigned offset, unscaled, unprivileged,
 * register offset): size:opc decide width, sign and register width. */
static uint32_t ldst_single(uint32_t insn, bool ar)
{
	unsigned size = insn >> 30, opc = (insn >> 22) & 3, rt = insn & 31;
	if (opc == 0) /* store */
		return syn(size, false, rt, size == 3, ar);
	if (opc == 1) /* zero-extending load */
		return syn(size, false, rt, size == 3, ar);
	/* opc 2/3: sign-extending loads (or PRFM / unallocated for size 3, 2) */
	if (size == 3)
		return 0; /* PRFM: no data abort syndrome needed */
	if (size == 2 && opc == 3)
		return 0;
	return syn(size, true, rt, opc == 2, ar);
}

uint32_t a64_dabt_insn_syndrome(uint32_t insn)
{
	/* Only general-purpose (V=0, bit 26 clear) load/store register forms. */
	if ((insn & 0x3f000000) == 0x18000000) { /* LDR (literal), LDRSW (literal) */
		unsigned opc = insn >> 30, rt = insn & 31;
		if (opc == 0)
			return syn(2, false, rt, false, false);
		if (opc == 1)
			return syn(3, false, rt, true, false);
		if (opc == 2)
			return syn(2, true, rt, true, false);
		return 0; /* PRFM (literal) */
	}
	if ((insn & 0x3f000000) == 0x39000000) /* unsigned immediate */
		return ldst_single(insn, false);
	if ((insn & 0x3f200000) == 0x38000000) {
		unsigned op = (insn >> 10) & 3; /* 0 unscaled, 1 post, 2 unprivileged, 3 pre */
		if (op == 0 || op == 2)
			return ldst_single(insn, false);
		return 0; /* writeback */
	}
	if ((insn & 0x3f200c00) == 0x38200800) /* register offset */
		return ldst_single(insn, false);
	/* LDAR/STLR/LDLAR/STLLR (ordered, o2=1 L? o1=0 o0): 0x08800000 family */
	if ((insn & 0x3f000000) == 0x08000000 && (insn & (1u << 23))) {
		/* load/store ordered: bit 23 (o2) = 1, bit 21 (o1) = 0 */
		if (insn & (1u << 21))
			return 0; /* pair / CAS forms */
		unsigned size = insn >> 30, rt = insn & 31;
		return syn(size, false, rt, size == 3, true);
	}
	/* LDAPR (RCpc): 0x38bfc000 family */
	if ((insn & 0x3ffffc00) == 0x38bfc000) {
		unsigned size = insn >> 30, rt = insn & 31;
		return syn(size, false, rt, size == 3, true);
	}
	return 0;
}
