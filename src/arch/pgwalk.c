/* Stage-1 translation table walk, EL1&0 regime (see pgwalk.h). Written from
 * the Arm ARM's description of VMSAv8-64 (DDI0487, D4.2-D4.4 and the
 * pseudocode of AArch64.TranslationTableWalk / CheckPermission /
 * TranslateAddressS1Off), for an Armv8.0 implementation: 48-bit VAs and
 * PAs at most, no hardware access flag or dirty state, no hierarchical
 * permission disables, little-endian descriptors.
 *
 * CONSTRAINED UNPREDICTABLE and reserved choices made here:
 * - T0SZ/T1SZ below 16 or above 39 are clamped to 16 / 39 (Constraint_FORCE).
 * - Reserved TG0 (0b11) and TG1 (0b00) encodings select the 4 KB granule.
 * - Reserved IPS encodings (0b110, 0b111) mean 48 bits; IPS larger than the
 *   implemented PA size means the implemented size.
 * - TTBR bits below the start-level table's size are ignored (treated as 0).
 * - RES0 descriptor bits (e.g. [15:12] of a 64 KB-granule descriptor, the
 *   bits between a block's size and the granule) are ignored.
 * - The Contiguous bit is a hint and is ignored (no misprogramming fault). */
#include "arch/pgwalk.h"

#define BIT(n) (1ull << (n))
#define MASK(hi, lo) ((((hi) >= 63) ? ~0ull : (BIT((hi) + 1) - 1)) & ~(BIT(lo) - 1))

/* TCR_EL1 fields */
#define TCR_T0SZ(t) ((unsigned)((t) & 0x3f))
#define TCR_EPD0 BIT(7)
#define TCR_TG0(t) ((unsigned)(((t) >> 14) & 3))
#define TCR_T1SZ(t) ((unsigned)(((t) >> 16) & 0x3f))
#define TCR_A1 BIT(22)
#define TCR_EPD1 BIT(23)
#define TCR_TG1(t) ((unsigned)(((t) >> 30) & 3))
#define TCR_IPS(t) ((unsigned)(((t) >> 32) & 7))
#define TCR_AS BIT(36)
#define TCR_TBI0 BIT(37)
#define TCR_TBI1 BIT(38)
#define TCR_TBID0 BIT(51)
#define TCR_TBID1 BIT(52)

static bool fail(struct pgw_result *out, enum pgw_fault f, unsigned level)
{
	out->fault = f;
	out->level = level;
	out->fsc = pgw_fsc(f, level);
	return false;
}

/* AddrTop: bit 55 when the top byte is ignored for this half of the VA
 * space, else bit 63. TBIDx (FEAT_PAuth) limits TBI to data accesses. */
static unsigned addr_top(uint64_t tcr, uint64_t va, bool instr)
{
	return pgw_effective_tbi(tcr, va, instr) ? 55 : 63;
}

bool pgw_effective_tbi(uint64_t tcr, uint64_t va, bool instr)
{
	bool hi = (va >> 55) & 1;
	bool tbi = (tcr & (hi ? TCR_TBI1 : TCR_TBI0)) != 0;
	bool tbid = (tcr & (hi ? TCR_TBID1 : TCR_TBID0)) != 0;
	return tbi && !(instr && tbid);
}

static unsigned ips_bits(unsigned ips)
{
	static const unsigned bits[8] = { 32, 36, 40, 42, 44, 48, 48, 48 };
	return bits[ips & 7];
}

/* AP[2:1] and the table restrictions -> the permission set, for the EL1&0
 * regime (AArch64.CheckPermission, no PAN). */
static unsigned perms_of(bool ro, bool user, bool uxn, bool pxn, bool wxn)
{
	bool priv_r = true, priv_w = !ro;
	bool user_r = user, user_w = user && !ro;
	bool user_x = !uxn && !(wxn && user_w);
	/* A location writable at EL0 is never executable at EL1. */
	bool priv_x = !pxn && !user_w && !(wxn && priv_w);
	return (user_r ? PGW_R0 : 0) | (user_w ? PGW_W0 : 0) | (user_x ? PGW_X0 : 0) | (priv_r ? PGW_R1 : 0) |
	       (priv_w ? PGW_W1 : 0) | (priv_x ? PGW_X1 : 0);
}

bool pgw_permitted(unsigned perms, int access, bool el0)
{
	unsigned need;
	switch (access) {
	case PGW_WRITE: need = el0 ? PGW_W0 : PGW_W1; break;
	case PGW_EXEC: need = el0 ? PGW_X0 : PGW_X1; break;
	default: need = el0 ? PGW_R0 : PGW_R1; break;
	}
	return (perms & need) != 0;
}

bool pgw_translate(const struct pgw_regs *regs, uint64_t va, int access, bool el0, pgw_read_fn read,
		   void *opaque, struct pgw_result *out)
{
	const uint64_t tcr = regs->tcr;
	unsigned pamax = regs->pa_bits;
	if (pamax == 0 || pamax > 48)
		pamax = 48;
	if (pamax < 32)
		pamax = 32;

	*out = (struct pgw_result){ 0 };
	unsigned top = addr_top(tcr, va, access == PGW_EXEC);

	if (!(regs->sctlr & 1)) {
		/* Stage 1 disabled: flat, with the VA checked against the PA size. */
		out->mmu_off = true;
		out->page_shift = 12;
		if (va & MASK(top, pamax))
			return fail(out, PGW_ADDR_SIZE, 0);
		out->pa = va & MASK(pamax - 1, 0);
		out->perms = PGW_R0 | PGW_W0 | PGW_X0 | PGW_R1 | PGW_W1 | PGW_X1;
		return true;
	}

	/* Which half of the VA space, its size and granule. */
	bool hi = (va >> top) & 1;
	unsigned tsz = hi ? TCR_T1SZ(tcr) : TCR_T0SZ(tcr);
	if (tsz < 16)
		tsz = 16;
	if (tsz > 39)
		tsz = 39;
	unsigned inputsize = 64 - tsz;
	uint64_t range = MASK(top, inputsize);
	bool basefound = hi ? (va & range) == range : (va & range) == 0;
	bool disabled = (tcr & (hi ? TCR_EPD1 : TCR_EPD0)) != 0;
	out->ttbr1 = hi;
	if (!basefound || disabled)
		return fail(out, PGW_TRANSLATION, 0);

	unsigned grainsize, firstblocklevel;
	unsigned tg = hi ? TCR_TG1(tcr) : TCR_TG0(tcr);
	bool large = hi ? tg == 3 : tg == 1;
	bool mid = hi ? tg == 1 : tg == 2;
	if (large) {
		grainsize = 16;
		firstblocklevel = 2;
	} else if (mid) {
		grainsize = 14;
		firstblocklevel = 2;
	} else {
		grainsize = 12;
		firstblocklevel = 1;
	}
	unsigned stride = grainsize - 3;
	int level = 4 - (int)((inputsize - grainsize + stride - 1) / stride);

	unsigned outputsize = ips_bits(TCR_IPS(tcr));
	if (outputsize > pamax)
		outputsize = pamax;

	uint64_t ttbr = hi ? regs->ttbr1 : regs->ttbr0;
	if (outputsize < 48 && (ttbr & MASK(47, outputsize)))
		return fail(out, PGW_ADDR_SIZE, 0);
	unsigned baselowerbound = 3 + inputsize - ((3 - (unsigned)level) * stride + grainsize);
	uint64_t base = ttbr & MASK(47, baselowerbound);

	/* Walk. */
	bool ap_table_ro = false, ap_table_nouser = false, xn_table = false, pxn_table = false;
	unsigned addrselecttop = inputsize - 1;
	unsigned addrselectbottom;
	uint64_t desc;
	for (;;) {
		addrselectbottom = (3 - (unsigned)level) * stride + grainsize;
		uint64_t index = (va & MASK(addrselecttop, addrselectbottom)) >> addrselectbottom;
		uint64_t descaddr = base | index << 3;
		uint32_t s2 = read(opaque, descaddr, &desc);
		if (s2) {
			out->fault = PGW_STAGE2;
			out->fsc = s2;
			out->level = (unsigned)level;
			out->ipa = descaddr;
			return false;
		}
		if (!(desc & 1) || ((desc & 3) == 1 && level == 3))
			return fail(out, PGW_TRANSLATION, (unsigned)level);
		if ((desc & 3) == 1 || level == 3)
			break; /* block or page */
		/* Table descriptor */
		if (outputsize < 48 && (desc & MASK(47, outputsize)))
			return fail(out, PGW_ADDR_SIZE, (unsigned)level);
		base = desc & MASK(47, grainsize);
		ap_table_ro |= (desc >> 62) & 1;
		ap_table_nouser |= (desc >> 61) & 1;
		xn_table |= (desc >> 60) & 1;
		pxn_table |= (desc >> 59) & 1;
		level++;
		addrselecttop = addrselectbottom - 1;
	}

	if (level < (int)firstblocklevel) /* block where the granule has none */
		return fail(out, PGW_TRANSLATION, (unsigned)level);
	if (outputsize < 48 && (desc & MASK(47, outputsize)))
		return fail(out, PGW_ADDR_SIZE, (unsigned)level);
	out->pa = (desc & MASK(47, addrselectbottom)) | (va & (BIT(addrselectbottom) - 1));
	out->page_shift = addrselectbottom;
	out->attrindx = (unsigned)(desc >> 2) & 7;
	out->sh = (unsigned)(desc >> 8) & 3;
	out->ng = (desc >> 11) & 1;
	uint64_t asid_reg = (tcr & TCR_A1) ? regs->ttbr1 : regs->ttbr0;
	out->asid = (uint16_t)((tcr & TCR_AS) ? asid_reg >> 48 : (asid_reg >> 48) & 0xff);
	if (!((desc >> 10) & 1)) /* AF = 0, no hardware update */
		return fail(out, PGW_ACCESS_FLAG, (unsigned)level);

	bool ro = ((desc >> 7) & 1) || ap_table_ro;
	bool user = ((desc >> 6) & 1) && !ap_table_nouser;
	bool uxn = ((desc >> 54) & 1) || xn_table;
	bool pxn = ((desc >> 53) & 1) || pxn_table;
	out->perms = perms_of(ro, user, uxn, pxn, (regs->sctlr >> 19) & 1);
	out->level = (unsigned)level;
	if (!pgw_permitted(out->perms, access, el0))
		return fail(out, PGW_PERMISSION, (unsigned)level);
	return true;
}
