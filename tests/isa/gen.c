/* Random test-case generators: one per instruction group.
 *
 * Each generator draws random 32-bit words inside its classes' encoding
 * spaces (random fields, reserved combinations included, so the UNDEFINED
 * decisions are compared too), biased towards the allocated encodings, and
 * random register state mixed with edge values. Memory operands are made to
 * land in the data page by choosing the effective address first and deriving
 * the base register from it. Cases avoid CONSTRAINED UNPREDICTABLE behaviour
 * (writeback with Rn == Rt, LDP with Rt == Rt2, non-ones SBO fields ...),
 * infinite loops (branches to themselves) and SVC/WFI/WFE. */
#include "gen.h"

#include <string.h>

typedef uint32_t u32;
typedef uint64_t u64;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- values ---------------------------------------------------------------- */

static const u64 edge_values[] = {
	0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 33, 63, 64, 65, 0x7f, 0x80, 0xff, 0x100,
	0x7fff, 0x8000, 0xffff, 0x10000,
	0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff, 0x100000000, 0x100000001, 0x1ffffffff,
	0xffffffff00000000, 0xffffffff80000000, 0xffffffff7fffffff, 0x00000000ffffffff, 0x7fffffff80000000,
	0x7fffffffffffffff, 0x8000000000000000, 0x8000000000000001, 0xfffffffffffffffe, 0xffffffffffffffff,
	0x5555555555555555, 0xaaaaaaaaaaaaaaaa, 0x0123456789abcdef, 0xfedcba9876543210, 0x00ff00ff00ff00ff,
	0x8000000080000000, 0x7fffffff7fffffff,
};

static u64 rval(prng *r)
{
	unsigned k = (unsigned)prbelow(r, 100);
	if (k < 30)
		return edge_values[prbelow(r, ARRAY_SIZE(edge_values))];
	if (k < 40)
		return edge_values[prbelow(r, ARRAY_SIZE(edge_values))] + (u64)((int64_t)prbelow(r, 7) - 3);
	if (k < 48)
		return prbelow(r, 256);
	if (k < 53)
		return (u64) - (int64_t)(1 + prbelow(r, 256));
	if (k < 62)
		return prbits(r, 32);
	if (k < 67)
		return (u64)(int64_t)(int32_t)prbits(r, 32);
	if (k < 72) /* garbage above a small 32-bit value: W operations must ignore it */
		return (u64)prbits(r, 32) << 32 | prbelow(r, 64);
	return pr64(r);
}

static unsigned rreg(prng *r) { return (unsigned)prbits(r, 5); }

/* A register other than those in the mask (bit n: register n). */
static unsigned rreg_not(prng *r, u32 avoid)
{
	for (;;) {
		unsigned n = rreg(r);
		if (!(avoid >> n & 1))
			return n;
	}
}

static void set_x(struct isa_case *c, unsigned n, u64 v)
{
	if (n < 31)
		c->x[n] = v;
}

/* Base register of an address: 31 is SP. */
static void set_base(struct isa_case *c, unsigned n, u64 v)
{
	if (n == 31)
		c->sp = v;
	else
		c->x[n] = v;
}

static void emit(struct isa_case *c, u32 insn)
{
	if (c->ninsn < ISA_MAX_INSN)
		c->insn[c->ninsn++] = insn;
}

static int64_t sext(u64 v, unsigned bits)
{
	return (int64_t)(v << (64 - bits)) >> (64 - bits);
}

/* An offset in the data page for an access of `bytes`, aligned to `align`
 * (a power of two) with probability aligned_pct, else anywhere. */
static u64 data_off(prng *r, unsigned bytes, unsigned align, unsigned aligned_pct)
{
	u64 off = prbelow(r, ISA_DATA_SIZE - bytes + 1);
	unsigned k = (unsigned)prbelow(r, 100);
	if (k < 8) /* the page edges */
		off = prpct(r, 50) ? 0 : ISA_DATA_SIZE - bytes;
	if (prbelow(r, 100) < aligned_pct)
		off &= ~(u64)(align - 1);
	return off;
}

static u64 data_addr(prng *r, unsigned bytes, unsigned align, unsigned aligned_pct)
{
	return ISA_DATA_BASE + data_off(r, bytes, align, aligned_pct);
}

/* Like data_addr, but 3% of the time wholly in an unmapped page next to the
 * data page: the access faults (SIGSEGV) and nothing may change, not even
 * the base register of a writeback form. */
static u64 mem_addr(prng *r, unsigned bytes, unsigned align, unsigned aligned_pct)
{
	u64 a = data_addr(r, bytes, align, aligned_pct);
	if (prpct(r, 3))
		a += prpct(r, 50) ? ISA_DATA_SIZE : -(u64)ISA_DATA_SIZE;
	return a;
}

/* Offset (in words) of a branch target from the case's first instruction,
 * inside the code page and not the branch itself. */
static int64_t code_target_words(prng *r)
{
	for (;;) {
		int64_t t;
		unsigned k = (unsigned)prbelow(r, 100);
		if (k < 50)
			t = (int64_t)prbelow(r, 64) - 32; /* near */
		else
			t = (int64_t)prbelow(r, ISA_CODE_SIZE / 4) - (int64_t)(ISA_CASE_OFF / 4);
		if (t != 0)
			return t;
	}
}

/* ---- dp_imm ------------------------------------------------------------------ */

static u32 imm12(prng *r)
{
	static const u32 e[] = { 0, 1, 2, 0x7ff, 0x800, 0xfff, 0xffe };
	return prpct(r, 30) ? e[prbelow(r, ARRAY_SIZE(e))] : prbits(r, 12);
}

/* A valid bitmask immediate: N:immr:imms for an element of 2..64 bits. */
static u32 valid_bitmask(prng *r, unsigned sf)
{
	unsigned log_e = 1 + (unsigned)prbelow(r, sf ? 6 : 5); /* 2..64 (32 for W) */
	unsigned e = 1u << log_e;
	unsigned ones = 1 + (unsigned)prbelow(r, e - 1);       /* 1..e-1 */
	unsigned rot = (unsigned)prbelow(r, e);
	unsigned n = e == 64;
	unsigned imms = ((~(e * 2 - 1)) & 0x3f) | (ones - 1);
	return n << 12 | rot << 6 | (imms & 0x3f);
}

static void gen_dp_imm(struct isa_case *c, prng *r)
{
	u32 sf = prbits(r, 1), rd = rreg(r), rn = rreg(r);
	u32 w;
	unsigned k = (unsigned)prbelow(r, 100);
	if (k < 20) { /* ADD/ADDS/SUB/SUBS (immediate), shifted, SP forms */
		w = sf << 31 | prbits(r, 2) << 29 | 0x22u << 23 | prbits(r, 1) << 22 | imm12(r) << 10 | rn << 5 | rd;
	} else if (k < 23) { /* 100011: add/sub with tags, min/max immediate: not on cortex-a76 */
		w = prbits(r, 3) << 29 | 0x23u << 23 | prbits(r, 23);
	} else if (k < 43) { /* logical immediate, valid and invalid bitmasks */
		u32 nrs = prpct(r, 60) ? valid_bitmask(r, sf) : prbits(r, 13);
		w = sf << 31 | prbits(r, 2) << 29 | 0x24u << 23 | nrs << 10 | rn << 5 | rd;
	} else if (k < 58) { /* MOVN/MOVZ/MOVK (opc 01 unallocated), all hw */
		static const u32 e[] = { 0, 1, 0x7fff, 0x8000, 0xffff, 0xfffe };
		u32 imm16 = prpct(r, 30) ? e[prbelow(r, ARRAY_SIZE(e))] : prbits(r, 16);
		u32 opc = prpct(r, 8) ? 1 : (u32)(prbelow(r, 3) == 0 ? 0 : prbelow(r, 2) + 2);
		w = sf << 31 | opc << 29 | 0x25u << 23 | prbits(r, 2) << 21 | imm16 << 5 | rd;
	} else if (k < 78) { /* SBFM/BFM/UBFM */
		u32 opc, n, immr, imms;
		if (prpct(r, 80)) {
			opc = (u32)prbelow(r, 3);
			n = sf;
			immr = (u32)prbelow(r, sf ? 64 : 32);
			imms = (u32)prbelow(r, sf ? 64 : 32);
		} else {
			opc = prbits(r, 2);
			n = prbits(r, 1);
			immr = prbits(r, 6);
			imms = prbits(r, 6);
		}
		w = sf << 31 | opc << 29 | 0x26u << 23 | n << 22 | immr << 16 | imms << 10 | rn << 5 | rd;
	} else if (k < 88) { /* EXTR */
		u32 op21 = 0, o0 = 0, n = sf, imms = (u32)prbelow(r, sf ? 64 : 32);
		if (prpct(r, 20)) {
			op21 = prbits(r, 2);
			o0 = prbits(r, 1);
			n = prbits(r, 1);
			imms = prbits(r, 6);
		}
		w = sf << 31 | op21 << 29 | 0x27u << 23 | n << 22 | o0 << 21 | rreg(r) << 16 | imms << 10 | rn << 5 | rd;
	} else { /* ADR/ADRP */
		w = prbits(r, 1) << 31 | prbits(r, 2) << 29 | 0x10u << 24 | prbits(r, 19) << 5 | rd;
	}
	emit(c, w);
}

/* ---- dp_reg ------------------------------------------------------------------ */

static u32 shift_amount(prng *r, u32 sf)
{
	if (prpct(r, 12))
		return prbits(r, 6); /* includes >= 32 for W: unallocated */
	static const u32 e[] = { 0, 1, 31, 32, 63 };
	if (prpct(r, 25)) {
		u32 v = e[prbelow(r, ARRAY_SIZE(e))];
		return sf ? v : v & 31;
	}
	return (u32)prbelow(r, sf ? 64 : 32);
}

static void dp_reg_one(struct isa_case *c, prng *r)
{
	u32 sf = prbits(r, 1), rd = rreg(r), rn = rreg(r), rm = rreg(r);
	u32 w;
	unsigned k = (unsigned)prbelow(r, 100);
	if (k < 11) { /* logical (shifted register), all shifts incl. ROR */
		w = sf << 31 | prbits(r, 2) << 29 | 0x0au << 24 | prbits(r, 2) << 22 | prbits(r, 1) << 21 | rm << 16 |
		    shift_amount(r, sf) << 10 | rn << 5 | rd;
	} else if (k < 22) { /* add/sub (shifted register); shift 3 reserved */
		u32 shift = prpct(r, 8) ? 3 : (u32)prbelow(r, 3);
		u32 b21 = prpct(r, 3) ? 1 : 0;
		w = sf << 31 | prbits(r, 2) << 29 | 0x0bu << 24 | shift << 22 | b21 << 21 | rm << 16 |
		    shift_amount(r, sf) << 10 | rn << 5 | rd;
		if (b21) /* that is the extended form with random fields */
			w |= prbits(r, 2) << 22;
	} else if (k < 33) { /* add/sub (extended register), amounts 0..4 and >4 */
		u32 opt = prpct(r, 5) ? prbits(r, 2) : 0;
		u32 imm3 = prpct(r, 10) ? 5 + (u32)prbelow(r, 3) : (u32)prbelow(r, 5);
		w = sf << 31 | prbits(r, 2) << 29 | 0x0bu << 24 | opt << 22 | 1u << 21 | rm << 16 | prbits(r, 3) << 13 |
		    imm3 << 10 | rn << 5 | rd;
	} else if (k < 40) { /* ADC/ADCS/SBC/SBCS; other bits 15:10 are FlagM (RMIF, SETF): not on cortex-a76 */
		u32 op2 = prpct(r, 10) ? prbits(r, 6) : 0;
		w = sf << 31 | prbits(r, 2) << 29 | 0xd0u << 21 | rm << 16 | op2 << 10 | rn << 5 | rd;
	} else if (k < 48) { /* CCMN/CCMP register and immediate */
		u32 s = 1, o2 = 0, o3 = 0;
		if (prpct(r, 10)) {
			s = prbits(r, 1);
			o2 = prbits(r, 1);
			o3 = prbits(r, 1);
		}
		w = sf << 31 | prbits(r, 1) << 30 | s << 29 | 0xd2u << 21 | rm << 16 | prbits(r, 4) << 12 |
		    prbits(r, 1) << 11 | o2 << 10 | rn << 5 | o3 << 4 | prbits(r, 4);
	} else if (k < 56) { /* CSEL/CSINC/CSINV/CSNEG */
		u32 s = 0, op2 = prbits(r, 1);
		if (prpct(r, 10)) {
			s = prbits(r, 1);
			op2 = prbits(r, 2);
		}
		w = sf << 31 | prbits(r, 1) << 30 | s << 29 | 0xd4u << 21 | rm << 16 | prbits(r, 4) << 12 | op2 << 10 |
		    rn << 5 | rd;
	} else if (k < 67) { /* data-processing (3 source) */
		static const u32 ops[] = { 0, 1, 2, 5, 6 }; /* op31 */
		u32 op54 = 0, op31 = ops[prbelow(r, ARRAY_SIZE(ops))], o0 = prbits(r, 1), ra = rreg(r);
		if (op31 != 0 && !prpct(r, 5))
			sf = 1; /* the long forms and SMULH/UMULH need sf = 1 */
		if (op31 == 2 || op31 == 6) { /* SMULH/UMULH: o0 = 0, Ra = 11111 (should-be-one) */
			o0 = 0;
			ra = 31;
		}
		if (prpct(r, 12)) {
			op54 = prbits(r, 2);
			op31 = prbits(r, 3);
			if (op31 != 2 && op31 != 6)
				o0 = prbits(r, 1);
			else
				ra = 31;
		}
		w = sf << 31 | op54 << 29 | 0x1bu << 24 | op31 << 21 | rm << 16 | o0 << 15 | ra << 10 | rn << 5 | rd;
	} else if (k < 90) { /* data-processing (2 source): divides, variable shifts, CRC32 */
		static const u32 ops[] = { 2, 3, 8, 9, 10, 11 };
		u32 s = 0, opcode;
		unsigned kk = (unsigned)prbelow(r, 100);
		if (kk < 45) {
			opcode = ops[prbelow(r, ARRAY_SIZE(ops))];
			if (opcode < 4) { /* divides: division by zero and INT_MIN / -1 */
				unsigned e = (unsigned)prbelow(r, 10);
				if (e < 2 && rm != 31)
					set_x(c, rm, prpct(r, 50) ? 0 : (u64)prbits(r, 32) << 32);
				else if (e < 4 && rn != 31 && rm != 31 && rn != rm) {
					set_x(c, rn, sf ? 0x8000000000000000ull : (u64)prbits(r, 32) << 32 | 0x80000000u);
					set_x(c, rm, sf ? ~0ull : (u64)prbits(r, 32) << 32 | 0xffffffffu);
				}
			}
		} else if (kk < 88) { /* CRC32B/H/W/X, CRC32CB/H/W/X */
			u32 sz = prbits(r, 2);
			opcode = 0x10 | prbits(r, 1) << 2 | sz;
			sf = prpct(r, 8) ? prbits(r, 1) : sz == 3;
		} else {
			opcode = prbits(r, 6);
			s = prpct(r, 30);
		}
		w = sf << 31 | s << 29 | 0xd6u << 21 | rm << 16 | opcode << 10 | rn << 5 | rd;
	} else { /* data-processing (1 source): RBIT REV16 REV32 REV CLZ CLS */
		u32 s = 0, opcode2 = 0, opcode = (u32)prbelow(r, 6);
		if (prpct(r, 12)) {
			s = prbits(r, 1);
			opcode2 = prpct(r, 50) ? prbits(r, 1) : prbits(r, 5);
			opcode = prbits(r, 6);
		}
		w = sf << 31 | 1u << 30 | s << 29 | 0xd6u << 21 | opcode2 << 16 | opcode << 10 | rn << 5 | rd;
	}
	emit(c, w);
}

/* An instruction that sets NZCV: ADDS/SUBS (register, immediate), ANDS/BICS,
 * ADCS/SBCS, CCMP/CCMN, W or X. */
static u32 flag_setter(prng *r)
{
	u32 sf = prbits(r, 1), rd = rreg(r), rn = rreg(r), rm = rreg(r);
	switch (prbelow(r, 6)) {
	case 0: /* ADDS/SUBS (shifted register) */
		return sf << 31 | prbits(r, 1) << 30 | 1u << 29 | 0x0bu << 24 | (u32)prbelow(r, 3) << 22 | rm << 16 |
		       (u32)prbelow(r, sf ? 64 : 32) << 10 | rn << 5 | rd;
	case 1: /* ADDS/SUBS (immediate) */
		return sf << 31 | prbits(r, 1) << 30 | 1u << 29 | 0x22u << 23 | prbits(r, 1) << 22 | imm12(r) << 10 |
		       rn << 5 | rd;
	case 2: /* ANDS/BICS (shifted register) */
		return sf << 31 | 3u << 29 | 0x0au << 24 | prbits(r, 2) << 22 | prbits(r, 1) << 21 | rm << 16 |
		       (u32)prbelow(r, sf ? 64 : 32) << 10 | rn << 5 | rd;
	case 3: /* ANDS (immediate) */
		return sf << 31 | 3u << 29 | 0x24u << 23 | valid_bitmask(r, sf) << 10 | rn << 5 | rd;
	case 4: /* ADCS/SBCS */
		return sf << 31 | prbits(r, 1) << 30 | 1u << 29 | 0xd0u << 21 | rm << 16 | rn << 5 | rd;
	default: /* CCMN/CCMP (register or immediate) */
		return sf << 31 | prbits(r, 1) << 30 | 1u << 29 | 0xd2u << 21 | rm << 16 | prbits(r, 4) << 12 |
		       prbits(r, 1) << 11 | rn << 5 | prbits(r, 4);
	}
}

static void gen_dp_reg(struct isa_case *c, prng *r)
{
	if (prpct(r, 85)) {
		dp_reg_one(c, r);
		return;
	}
	/* Short sequences: a flag setter, then instructions that may consume
	 * the flags (ADC/SBC, CSEL, CCMP...) or set them again. They check
	 * that flags produced by one instruction are what the next one sees,
	 * not only what NZCV reads back as. */
	emit(c, flag_setter(r));
	unsigned n = 1 + (unsigned)prbelow(r, 3);
	for (unsigned i = 0; i < n; i++) {
		if (prpct(r, 25))
			emit(c, flag_setter(r));
		else
			dp_reg_one(c, r);
	}
}

/* ---- branch ------------------------------------------------------------------ */

/* An address for a register branch: in the code page (not the branch itself),
 * sometimes misaligned, sometimes outside any mapping. */
static u64 branch_reg_target(prng *r)
{
	unsigned k = (unsigned)prbelow(r, 100);
	if (k < 78)
		return ISA_CASE_PC + (u64)(code_target_words(r) * 4);
	if (k < 88)
		return ISA_CASE_PC + (u64)(code_target_words(r) * 4) + 1 + prbelow(r, 3);
	if (prpct(r, 25)) /* mapped but not executable */
		return ISA_DATA_BASE + prbelow(r, ISA_DATA_SIZE / 4) * 4;
	static const u64 outside[] = { ISA_CODE_BASE - 4, ISA_CODE_BASE + ISA_CODE_SIZE, 0x30000000, 0x12345678 & ~3u,
				       0x0000ffff0000, 0x40000000 };
	/* Never misaligned and outside at once: the architecture gives the PC
	 * alignment fault priority (SIGBUS), but qemu-aarch64 looks the page
	 * up first and reports SIGSEGV. */
	return outside[prbelow(r, ARRAY_SIZE(outside))];
}

static void gen_branch(struct isa_case *c, prng *r)
{
	unsigned k = (unsigned)prbelow(r, 100);
	u32 w;
	if (k < 18) { /* B, BL */
		u32 imm26 = prpct(r, 88) ? (u32)code_target_words(r) & 0x3ffffff : prbits(r, 26);
		if (imm26 == 0)
			imm26 = 1;
		w = prbits(r, 1) << 31 | 0x05u << 26 | imm26;
	} else if (k < 38) { /* B.cond, all conditions (random NZCV); o0/o1 set: BC.cond (HBC), unallocated */
		u32 imm19 = prpct(r, 88) ? (u32)code_target_words(r) & 0x7ffff : prbits(r, 19);
		if (imm19 == 0)
			imm19 = 2;
		u32 o = prpct(r, 4) ? prbits(r, 1) << 4 | prbits(r, 1) << 24 : 0;
		if (!o && (imm19 & 0x7ffff) == 0)
			imm19 = 1;
		w = 0x54000000u | o | imm19 << 5 | prbits(r, 4);
	} else if (k < 54) { /* CBZ/CBNZ */
		u32 sf = prbits(r, 1), rt = rreg(r);
		u32 imm19 = prpct(r, 88) ? (u32)code_target_words(r) & 0x7ffff : prbits(r, 19);
		if (imm19 == 0)
			imm19 = 3;
		if (prpct(r, 40))
			set_x(c, rt, sf ? 0 : (u64)prbits(r, 32) << 32);
		w = sf << 31 | 0x1au << 25 | prbits(r, 1) << 24 | imm19 << 5 | rt;
	} else if (k < 70) { /* TBZ/TBNZ: +-32 KiB, always inside the code page */
		u32 imm14 = prbits(r, 14);
		if (imm14 == 0)
			imm14 = 0x3fff;
		w = prbits(r, 1) << 31 | 0x1bu << 25 | prbits(r, 1) << 24 | prbits(r, 5) << 19 | imm14 << 5 | rreg(r);
	} else if (k < 88) { /* BR/BLR/RET */
		static const u32 ops[] = { 0xd61f0000u, 0xd63f0000u, 0xd65f0000u };
		u32 op = ops[prbelow(r, 3)];
		u32 rn = op == 0xd65f0000u && prpct(r, 60) ? 30 : rreg(r);
		set_x(c, rn, branch_reg_target(r));
		w = op | rn << 5;
	} else if (k < 92) { /* the rest of the branch-register class: ERET, DRPS, PAC forms (UNDEFINED here) */
		u32 opc = prbits(r, 4), rn = rreg(r);
		u32 op2 = prpct(r, 80) ? 31 : prbits(r, 5);
		u32 op3 = prpct(r, 50) ? 0 : prbits(r, 6);
		u32 op4 = prpct(r, 50) ? 0 : prbits(r, 5);
		set_x(c, rn, branch_reg_target(r));
		w = 0xd6000000u | opc << 21 | op2 << 16 | op3 << 10 | rn << 5 | op4;
	} else if (k < 98) { /* a flag setter, then B.cond on its flags */
		u32 imm19 = (u32)code_target_words(r) & 0x7ffff;
		c->ninsn = 0;
		emit(c, flag_setter(r));
		if (imm19 == 0x7ffff)
			imm19 = 2; /* not back onto the flag setter... */
		if (imm19 == 0)
			imm19 = 1; /* ...nor onto itself */
		emit(c, 0x54000000u | imm19 << 5 | prbits(r, 4));
		return;
	} else { /* bl +8; brk #1; ret: x30 and the return */
		c->ninsn = 0;
		emit(c, 0x94000002u);
		emit(c, ISA_INSN_END);
		emit(c, 0xd65f03c0u);
		return;
	}
	emit(c, w);
}

/* ---- ldst ------------------------------------------------------------------- */

/* Base register choice: SP 15% of the time. */
static unsigned rbase(prng *r)
{
	return prpct(r, 15) ? 31 : rreg(r);
}

struct ldst_kind {
	unsigned bytes;  /* access size, 0 = no access (PRFM) or unallocated */
	bool store;
};

/* Integer load/store register: size:opc -> access. */
static struct ldst_kind int_kind(u32 size, u32 opc)
{
	struct ldst_kind k = { 1u << size, opc == 0 };
	if (opc >= 2 && size == 3) /* PRFM (opc 2) / unallocated (3) */
		k.bytes = 0;
	if (opc == 3 && size == 2)
		k.bytes = 0;
	return k;
}

/* SIMD&FP load/store register: size:opc -> access. */
static struct ldst_kind fp_kind(u32 size, u32 opc)
{
	struct ldst_kind k = { 1u << size, (opc & 1) == 0 };
	if (opc >= 2)
		k.bytes = size == 0 ? 16 : 0;
	return k;
}

/* The offset a register-offset form adds for index value v. */
static u64 reg_offset(u64 v, u32 option, u32 shift)
{
	u64 e;
	switch (option) {
	case 2: e = (u32)v; break;                    /* UXTW */
	case 6: e = (u64)(int64_t)(int32_t)v; break;  /* SXTW */
	default: e = v; break;                        /* LSL (UXTX), SXTX */
	}
	return e << shift;
}

static void gen_ldst_common(struct isa_case *c, prng *r, bool fp)
{
	unsigned k = (unsigned)prbelow(r, 100);
	u32 V = fp ? 1 : 0;
	u32 rt = rreg(r), w;
	if (k < 20) { /* unsigned offset */
		u32 size = prbits(r, 2), opc = prbits(r, 2), rn = rbase(r);
		if (fp && opc >= 2 && prpct(r, 60))
			size = 0; /* Q */
		struct ldst_kind kd = fp ? fp_kind(size, opc) : int_kind(size, opc);
		u32 scale = fp && opc >= 2 && size == 0 ? 4 : size;
		u32 imm = prpct(r, 30) ? (u32)prbelow(r, 16) : prbits(r, 12);
		if (kd.bytes)
			set_base(c, rn, mem_addr(r, kd.bytes, kd.bytes, 88) - ((u64)imm << scale));
		else
			set_base(c, rn, rval(r)); /* PRFM: no access at all */
		w = size << 30 | 0x39u << 24 | V << 26 | opc << 22 | imm << 10 | rn << 5 | rt;
	} else if (k < 50) { /* unscaled, post-index, unprivileged, pre-index */
		u32 size = prbits(r, 2), opc = prbits(r, 2), type = prbits(r, 2), rn = rbase(r);
		if (fp && opc >= 2 && prpct(r, 60))
			size = 0;
		struct ldst_kind kd = fp ? fp_kind(size, opc) : int_kind(size, opc);
		if (type == 1 || type == 3) /* writeback: Rn != Rt (or Rn = SP) */
			while (rn == rt && rn != 31)
				rt = rreg(r);
		u32 imm9 = prpct(r, 30) ? (u32)((int)prbelow(r, 33) - 16) & 0x1ff : prbits(r, 9);
		int64_t simm = sext(imm9, 9);
		if (kd.bytes) {
			u64 a = mem_addr(r, kd.bytes, kd.bytes, 70);
			set_base(c, rn, type == 1 ? a : a - (u64)simm);
		} else {
			set_base(c, rn, rval(r));
		}
		w = size << 30 | 0x38u << 24 | V << 26 | opc << 22 | imm9 << 12 | type << 10 | rn << 5 | rt;
	} else if (k < 75) { /* register offset, every extend and shift */
		static const u32 options[] = { 2, 3, 6, 7 };
		u32 size = prbits(r, 2), opc = prbits(r, 2), rn = rbase(r);
		if (fp && opc >= 2 && prpct(r, 60))
			size = 0;
		u32 option = prpct(r, 90) ? options[prbelow(r, 4)] : prbits(r, 3);
		u32 s = prbits(r, 1);
		u32 rm = rreg_not(r, 1u << rn);
		struct ldst_kind kd = fp ? fp_kind(size, opc) : int_kind(size, opc);
		u32 scale = fp && opc >= 2 && size == 0 ? 4 : size;
		u64 idx;
		unsigned kk = (unsigned)prbelow(r, 100);
		if (kk < 40)
			idx = prbelow(r, 64) << 0;
		else if (kk < 55)
			idx = (u64)-(int64_t)prbelow(r, 64);
		else
			idx = rval(r);
		if (rm == 31)
			idx = 0; /* XZR */
		else
			c->x[rm] = idx;
		u64 off = reg_offset(idx, option, s ? scale : 0);
		if (kd.bytes)
			set_base(c, rn, mem_addr(r, kd.bytes, kd.bytes, 85) - off);
		else
			set_base(c, rn, rval(r));
		w = size << 30 | 0x38u << 24 | V << 26 | opc << 22 | 1u << 21 | rm << 16 | option << 13 | s << 12 |
		    2u << 10 | rn << 5 | rt;
	} else if (k < 83) { /* literal: LDR W/X, LDRSW, PRFM (SIMD&FP: LDR S/D/Q) */
		u32 opc = prbits(r, 2);
		unsigned kk = (unsigned)prbelow(r, 100);
		int64_t woff;
		c->ninsn = 0;
		if (kk < 50) { /* data words placed after the case's ending brk */
			unsigned ndata = 2 + (unsigned)prbelow(r, 5); /* 2..6 words */
			woff = 2 + (int64_t)prbelow(r, ndata - 1); /* at insn[2 .. 2+ndata-2] */
			w = opc << 30 | 0x18u << 24 | V << 26 | ((u32)woff & 0x7ffff) << 5 | rt;
			emit(c, w);
			emit(c, ISA_INSN_END);
			for (unsigned i = 0; i < ndata; i++)
				emit(c, (u32)pr64(r));
			return;
		}
		if (kk < 90)
			woff = code_target_words(r);
		else
			woff = sext(prbits(r, 19), 19);
		w = opc << 30 | 0x18u << 24 | V << 26 | ((u32)woff & 0x7ffff) << 5 | rt;
	} else { /* pairs: offset, pre/post-index, no-allocate; LDPSW */
		u32 opc, type = prbits(r, 2), L = prbits(r, 1), rn = rbase(r);
		unsigned kk = (unsigned)prbelow(r, 100);
		opc = kk < 40 ? 0 : kk < 80 ? 2 : kk < 95 ? 1 : 3;
		u32 rt2 = rreg(r);
		if (L)
			while (rt2 == rt)
				rt2 = rreg(r);
		if (type == 1 || type == 3)
			while (rn != 31 && (rn == rt || rn == rt2))
				rn = rbase(r);
		unsigned esize = fp ? 4u << opc : (opc & 2) ? 8 : 4;
		u32 imm7 = prpct(r, 30) ? (u32)((int)prbelow(r, 9) - 4) & 0x7f : prbits(r, 7);
		int64_t off = sext(imm7, 7) * (int64_t)esize;
		bool alloc = fp ? opc != 3 : (opc != 3 && !(opc == 1 && (L == 0 || type == 0)));
		if (alloc) {
			u64 a = mem_addr(r, 2 * esize, esize, 80);
			set_base(c, rn, type == 1 ? a : a - (u64)off);
		} else {
			set_base(c, rn, data_addr(r, 16, 16, 100));
		}
		w = opc << 30 | 0x28u << 24 | V << 26 | type << 23 | L << 22 | imm7 << 15 | rt2 << 10 | rn << 5 | rt;
	}
	emit(c, w);
}

/* STR{B,H,,} then LDR{S}{B,H,W,} of an overlapping location through the
 * same base register (unsigned offset, no writeback). */
static void gen_store_load(struct isa_case *c, prng *r)
{
	u32 rn = rbase(r), rt = rreg(r), rt2 = rreg(r);
	u32 ssize = prbits(r, 2), lsize = prbits(r, 2);
	u32 lopc = lsize == 3 ? 1 : 1 + (u32)prbelow(r, lsize == 2 ? 2 : 3); /* LDR, LDRS to X, LDRS to W */
	u64 word = data_addr(r, 8, 8, 100);             /* both accesses inside this 8-byte word */
	u64 base = word - (prpct(r, 50) ? 0 : 8);
	u64 st = word + (prbelow(r, 8) & ~((1ull << ssize) - 1));
	u64 ld = word + (prbelow(r, 8) & ~((1ull << lsize) - 1));
	set_base(c, rn, base);
	c->ninsn = 0;
	emit(c, ssize << 30 | 0x39u << 24 | (u32)((st - base) >> ssize) << 10 | rn << 5 | rt);
	emit(c, lsize << 30 | 0x39u << 24 | lopc << 22 | (u32)((ld - base) >> lsize) << 10 | rn << 5 | rt2);
}

static void gen_ldst(struct isa_case *c, prng *r)
{
	if (prpct(r, 8))
		gen_store_load(c, r);
	else
		gen_ldst_common(c, r, false);
}
static void gen_ldst_fp(struct isa_case *c, prng *r) { gen_ldst_common(c, r, true); }

/* ---- excl ---------------------------------------------------------------------- */

static u32 excl_word(u32 size, u32 o2, u32 L, u32 o1, u32 rs, u32 o0, u32 rt2, u32 rn, u32 rt)
{
	return size << 30 | 0x08u << 24 | o2 << 23 | L << 22 | o1 << 21 | rs << 16 | o0 << 15 | rt2 << 10 | rn << 5 | rt;
}

static void gen_excl(struct isa_case *c, prng *r)
{
	unsigned k = (unsigned)prbelow(r, 100);
	u32 rn = rbase(r);
	if (k < 55) { /* load-exclusive then store-exclusive, single or pair */
		bool pair = prpct(r, 30);
		u32 size = pair ? 2 + prbits(r, 1) : prbits(r, 2);
		unsigned bytes = (1u << size) * (pair ? 2 : 1);
		u32 rt = rreg_not(r, 1u << rn), rt2 = 31;
		if (pair)
			rt2 = rreg_not(r, 1u << rn | 1u << rt);
		u64 a = mem_addr(r, bytes, bytes, prpct(r, 6) ? 0 : 100);
		set_base(c, rn, a);
		emit(c, excl_word(size, 0, 1, pair, 31, prbits(r, 1), rt2, rn, rt));
		unsigned kk = (unsigned)prbelow(r, 100);
		if (kk < 10)
			emit(c, 0xd503305fu | prbits(r, 4) << 8); /* CLREX: the store fails */
		u32 srn = rn;
		if (kk >= 10 && kk < 20) { /* store to another address (other register, same base otherwise) */
			srn = rreg_not(r, 1u << rn | 1u << rt | 1u << rt2 | 1u << 31);
			u64 b = data_addr(r, bytes, bytes, 100);
			if (prpct(r, 50))
				b = a ^ 0x800; /* another 2 KiB granule */
			set_x(c, srn, b);
		}
		u32 st = rreg(r), st2 = pair ? rreg(r) : 31;
		u32 rs = rreg_not(r, 1u << st | 1u << st2 | (srn != 31 ? 1u << srn : 0));
		if (rs == 31)
			rs = rreg_not(r, 1u << st | 1u << st2 | 1u << srn | 1u << 31);
		emit(c, excl_word(size, 0, 0, pair, rs, prbits(r, 1), st2, srn, st));
	} else if (k < 62) { /* a store-exclusive alone: the monitor is clear, it fails. Mapped
			    * and aligned: whether a failing store-exclusive still checks
			    * the address (and faults) is IMPLEMENTATION DEFINED. */
		u32 size = prbits(r, 2), rt = rreg(r);
		u32 rs = rreg_not(r, 1u << rt | 1u << rn | 1u << 31);
		set_base(c, rn, data_addr(r, 1u << size, 1u << size, 100));
		emit(c, excl_word(size, 0, 0, 0, rs, prbits(r, 1), 31, rn, rt));
	} else if (k < 84) { /* LDAR/STLR, all sizes. Not LDLAR/STLLR (o0 = 0): those
			    * are FEAT_LOR, which cortex-a76 has (v8.1+) and a v8.0
			    * CPU with LSE (ID_AA64MMFR1.LO = 0) rightly UNDEFs. */
		u32 size = prbits(r, 2), L = prbits(r, 1);
		set_base(c, rn, mem_addr(r, 1u << size, 1u << size, 100));
		emit(c, excl_word(size, 1, L, 0, 31, 1, 31, rn, rreg(r)));
	} else if (k < 94) { /* LDAPR/LDAPRB/LDAPRH */
		u32 size = prbits(r, 2);
		set_base(c, rn, mem_addr(r, 1u << size, 1u << size, 100));
		emit(c, size << 30 | 0x38bfc000u | rn << 5 | rreg(r));
	} else { /* CLREX alone, any CRm */
		emit(c, 0xd503305fu | prbits(r, 4) << 8);
	}
}

/* ---- atomics -------------------------------------------------------------------- */

static u64 mem_value(const struct isa_case *c, u64 addr, unsigned bytes)
{
	u64 off = addr - ISA_DATA_BASE, v = 0;
	if (off > ISA_DATA_SIZE - bytes)
		return 0; /* not in the data page: the access faults */
	for (unsigned i = 0; i < bytes; i++) {
		u64 word = isa_mem_word(c->mem_seed, (unsigned)((off + i) / 8));
		v |= (word >> (8 * ((off + i) % 8)) & 0xff) << (8 * i);
	}
	return v;
}

static void gen_atomics(struct isa_case *c, prng *r)
{
	unsigned k = (unsigned)prbelow(r, 100);
	u32 rn = rbase(r), w;
	unsigned aligned = prpct(r, 3) ? 0 : 100;
	if (k < 60) { /* LD<op>, SWP, ST<op> (Rt = 31), all sizes and orderings */
		u32 size = prbits(r, 2), A = prbits(r, 1), R = prbits(r, 1);
		u32 o3 = 0, opc;
		if (prpct(r, 15)) {
			o3 = 1;
			opc = prpct(r, 80) ? 0 : prbits(r, 3); /* SWP; others unallocated (or LDAPR-like) */
		} else {
			opc = prbits(r, 3);
		}
		u32 rs = rreg(r), rt = prpct(r, 15) ? 31 : rreg(r);
		u64 a = mem_addr(r, 1u << size, 1u << size, aligned);
		set_base(c, rn, a);
		if (rs != 31 && rs != rn && prpct(r, 20)) /* min/max against a close value */
			c->x[rs] = mem_value(c, a, 1u << size) + (u64)((int64_t)prbelow(r, 3) - 1);
		w = size << 30 | 0x38200000u | A << 23 | R << 22 | rs << 16 | o3 << 15 | opc << 12 | rn << 5 | rt;
		if (o3 && opc == 4 && A == 1 && R == 0 && rs == 31)
			w &= ~(7u << 12); /* that is LDAPR (excl group): make it SWPA */
	} else if (k < 82) { /* CAS, CASA, CASL, CASAL */
		u32 size = prbits(r, 2), rs = rreg(r), rt = rreg(r);
		u64 a = mem_addr(r, 1u << size, 1u << size, aligned);
		set_base(c, rn, a);
		if (rs != 31 && rs != rn && prpct(r, 50)) { /* compare equal: the swap happens */
			u64 m = mem_value(c, a, 1u << size);
			c->x[rs] = prpct(r, 50) ? m : (c->x[rs] & ~(~0ull >> (64 - 8 * (1u << size)))) | m;
		}
		w = size << 30 | 0x08a07c00u | prbits(r, 1) << 22 | rs << 16 | prbits(r, 1) << 15 | rn << 5 | rt;
	} else { /* CASP W/X pairs (odd registers are UNDEFINED) */
		u32 sz = prbits(r, 1);
		u32 rs = prpct(r, 5) ? rreg(r) : rreg(r) & ~1u;
		u32 rt = prpct(r, 5) ? rreg(r) : rreg(r) & ~1u;
		unsigned bytes = 8u << sz;
		u64 a = mem_addr(r, bytes, bytes, aligned);
		set_base(c, rn, a);
		if (!(rs & 1) && rs < 30 && rn != rs && rn != rs + 1 && prpct(r, 50)) {
			u64 lo = mem_value(c, a, bytes / 2), hi = mem_value(c, a + bytes / 2, bytes / 2);
			c->x[rs] = lo;
			c->x[rs + 1] = hi;
		}
		w = sz << 30 | 0x08207c00u | prbits(r, 1) << 22 | rs << 16 | prbits(r, 1) << 15 | rn << 5 | rt;
	}
	emit(c, w);
}

/* ---- system --------------------------------------------------------------------- */

static u32 fpcr_value(prng *r)
{
	/* AHP DN FZ RMode; sometimes everything else too except Stride/FZ16/Len
	 * (bits 21:16), which exist on cortex-a76 (AArch32, FP16) and legitimately
	 * read as zero on a CPU without them. */
	if (prpct(r, 85))
		return prbits(r, 32) & 0x07c00000u;
	return prbits(r, 32) & ~0x003f0000u;
}

static u32 fpsr_value(prng *r)
{
	/* Bits 31:28 are AArch32's FPSCR.NZCV: exist only with AArch32. */
	if (prpct(r, 85))
		return prbits(r, 32) & 0x0800009fu;
	return prbits(r, 32) & 0x0fffffffu;
}

static void gen_system(struct isa_case *c, prng *r)
{
	unsigned k = (unsigned)prbelow(r, 100);
	u32 rt = rreg(r), rt2 = rreg(r);
	if (k < 14) { /* hints: NOP YIELD SEV SEVL DGH ESB PSB TSB CSDB, unallocated hints (NOPs) */
		static const u32 hints[] = { 0, 1, 4, 5, 6, 16, 17, 18, 20 };
		u32 h = prpct(r, 70) ? hints[prbelow(r, ARRAY_SIZE(hints))] : 64 + prbits(r, 6);
		emit(c, 0xd503201fu | h << 5);
	} else if (k < 28) { /* DMB/DSB/ISB, every option; SB and other op2 values */
		static const u32 op2s[] = { 4, 5, 6 };
		u32 op2 = prpct(r, 85) ? op2s[prbelow(r, 3)] : prbits(r, 3);
		if (op2 == 2 && prpct(r, 50))
			op2 = 5;
		emit(c, 0xd503301fu | prbits(r, 4) << 8 | op2 << 5);
	} else if (k < 32) { /* CLREX */
		emit(c, 0xd503305fu | prbits(r, 4) << 8);
	} else if (k < 44) { /* NZCV: msr then mrs, or mrs alone */
		if (prpct(r, 70)) {
			set_x(c, rt, prpct(r, 50) ? (u64)prbits(r, 4) << 28 : rval(r));
			emit(c, 0xd51b4200u | rt);
		}
		emit(c, 0xd53b4200u | rt2);
	} else if (k < 54) { /* FPCR */
		if (prpct(r, 70)) {
			set_x(c, rt, (prpct(r, 50) ? pr64(r) & ~0xffffffffull : 0) | fpcr_value(r));
			emit(c, 0xd51b4400u | rt);
		}
		emit(c, 0xd53b4400u | rt2);
	} else if (k < 64) { /* FPSR */
		if (prpct(r, 70)) {
			set_x(c, rt, (prpct(r, 50) ? pr64(r) & ~0xffffffffull : 0) | fpsr_value(r));
			emit(c, 0xd51b4420u | rt);
		}
		emit(c, 0xd53b4420u | rt2);
	} else if (k < 72) { /* TPIDR_EL0 write then read back (reads 0 at case start) */
		if (prpct(r, 80))
			emit(c, 0xd51bd040u | rt);
		emit(c, 0xd53bd040u | rt2);
	} else if (k < 80) { /* DAIF at EL0 (SCTLR_EL1.UMA = 0: trapped, SIGILL); other PSTATE fields */
		unsigned kk = (unsigned)prbelow(r, 4);
		if (kk == 0)
			emit(c, 0xd53b4220u | rt);
		else if (kk == 1)
			emit(c, 0xd51b4220u | rt);
		else if (kk == 2)
			emit(c, 0xd50340dfu | prbits(r, 1) << 5 | prbits(r, 4) << 8); /* DAIFSet/DAIFClr */
		else { /* MSR (immediate), any op1/op2: SPSel, PAN, UAO, DIT, TCO, CFINV... at EL0.
			* Not SSBS (op1 3, op2 1): cortex-a76 has FEAT_SSBS, which
			* EL0 may use; a CPU without it legitimately UNDEFs. */
			u32 op1 = prbits(r, 3), op2 = prbits(r, 3);
			if (op1 == 3 && op2 == 1)
				op2 = 6;
			emit(c, 0xd500401fu | op1 << 16 | prbits(r, 4) << 8 | op2 << 5);
		}
	} else if (k < 86) { /* BRK */
		emit(c, 0xd4200000u | prbits(r, 16) << 5);
	} else if (k < 90) { /* UDF */
		emit(c, prbits(r, 16));
	} else { /* HLT, HVC, SMC, DCPS1-3 and the rest of the exception-generation class (not SVC) */
		static const u32 ops[] = { 0xd4400000u, 0xd4000002u, 0xd4000003u, 0xd4a00001u, 0xd4a00002u, 0xd4a00003u };
		u32 imm = prbits(r, 16);
		if (imm == 0xf000)
			imm = 0xf001; /* HLT #0xf000 is the semihosting call */
		if (prpct(r, 80))
			emit(c, ops[prbelow(r, ARRAY_SIZE(ops))] | imm << 5);
		else
			emit(c, 0xd4000000u | prbits(r, 3) << 21 | imm << 5 | prbits(r, 5));
	}
}

/* ---- table and driver ------------------------------------------------------------ */

/* Advanced SIMD integer/permute/crypto and structure loads/stores: gen-simd.c */
void gen_simd_3same(struct isa_case *c, prng *r);
void gen_simd_3diff(struct isa_case *c, prng *r);
void gen_simd_2misc(struct isa_case *c, prng *r);
void gen_simd_shift(struct isa_case *c, prng *r);
void gen_simd_elem(struct isa_case *c, prng *r);
void gen_simd_across(struct isa_case *c, prng *r);
void gen_simd_perm(struct isa_case *c, prng *r);
void gen_simd_imm(struct isa_case *c, prng *r);
void gen_simd_scalar(struct isa_case *c, prng *r);
void gen_crypto(struct isa_case *c, prng *r);
void gen_ldst_simd(struct isa_case *c, prng *r);
void gen_simd_mix(struct isa_case *c, prng *r);
/* Floating point, scalar and Advanced SIMD: gen-fp.c */
void gen_fp_arith(struct isa_case *c, prng *r);
void gen_fp_fma(struct isa_case *c, prng *r);
void gen_fp_cmp(struct isa_case *c, prng *r);
void gen_fp_cvt(struct isa_case *c, prng *r);
void gen_fp_round(struct isa_case *c, prng *r);
void gen_fp_misc(struct isa_case *c, prng *r);
void gen_simd_fp(struct isa_case *c, prng *r);

const struct gen_group gen_groups[] = {
	{ "dp_imm", 12, true, gen_dp_imm, "ADD/SUB/logical immediate, MOVx, bitfield, EXTR, ADR/ADRP" },
	{ "dp_reg", 25, true, gen_dp_reg,
	  "shifted/extended add/sub, ADC/SBC, logical, shifts, CSEL, CCMP, multiply, divide, bit ops, CRC32" },
	{ "branch", 8, true, gen_branch, "B/BL, B.cond, CBZ/CBNZ, TBZ/TBNZ, BR/BLR/RET" },
	{ "ldst", 25, true, gen_ldst, "integer loads/stores: every addressing mode, pairs, literal, PRFM, LDTR" },
	{ "excl", 10, true, gen_excl, "load/store exclusive, acquire/release, LDAPR, CLREX" },
	{ "atomics", 12, true, gen_atomics, "LSE: LD<op>, ST<op>, SWP, CAS, CASP" },
	{ "system", 8, true, gen_system, "hints, barriers, MRS/MSR NZCV/FPCR/FPSR/TPIDR_EL0/DAIF, BRK, UDF, HLT/HVC/SMC" },
	{ "ldst_fp", 10, true, gen_ldst_fp, "SIMD&FP loads/stores: LDR/STR B/H/S/D/Q, LDP/STP/LDNP/STNP S/D/Q, literal" },
	{ "simd_3same", 10, true, gen_simd_3same, "Advanced SIMD three same (integer), logical, pairwise" },
	{ "simd_3diff", 6, true, gen_simd_3diff, "Advanced SIMD three different: long, wide, narrow, PMULL" },
	{ "simd_2misc", 6, true, gen_simd_2misc, "Advanced SIMD two-register misc (integer): REV, CNT, CLZ, XTN, ..." },
	{ "simd_shift", 6, true, gen_simd_shift, "Advanced SIMD shift by immediate: SSHR..SQRSHRUN, SSHLL" },
	{ "simd_elem", 4, true, gen_simd_elem, "Advanced SIMD by element (integer): MUL, MLA, SMULL, SQDMULH, ..." },
	{ "simd_across", 3, true, gen_simd_across, "Advanced SIMD across lanes: ADDV, SADDLV, UMAXV, ..." },
	{ "simd_perm", 6, true, gen_simd_perm, "TBL/TBX, UZP/TRN/ZIP, EXT, DUP, INS, UMOV, SMOV" },
	{ "simd_imm", 3, true, gen_simd_imm, "MOVI/MVNI/ORR/BIC (vector, immediate), FMOV (vector, immediate)" },
	{ "simd_scalar", 6, true, gen_simd_scalar, "Advanced SIMD scalar integer forms, ADDP, DUP" },
	{ "crypto", 4, true, gen_crypto, "AES, SHA1, SHA256, PMULL 64x64" },
	{ "ldst_simd", 6, true, gen_ldst_simd, "LD1-LD4/ST1-ST4 multiple and single structure, LD1R-LD4R" },
	{ "simd_mix", 4, true, gen_simd_mix, "sequences of Advanced SIMD integer instructions of every class" },
	{ "fp_arith", 22, true, gen_fp_arith, "FADD FSUB FMUL FDIV FNMUL FMAX.. FSQRT FABS FNEG FMOV, FMULX FABD" },
	{ "fp_fma", 16, true, gen_fp_fma, "FMADD FMSUB FNMADD FNMSUB, FMLA/FMLS vector and by element" },
	{ "fp_cmp", 16, true, gen_fp_cmp, "FCMP(E), FCCMP(E), FCSEL, FMAX/FMIN(NM), FCMxx, FACxx" },
	{ "fp_cvt", 28, true, gen_fp_cvt, "FCVT H/S/D, FCVT*S/U, SCVTF/UCVTF (incl. fixed point), FCVTN/L/XN" },
	{ "fp_round", 10, true, gen_fp_round, "FRINTN/P/M/Z/A/X/I scalar and vector" },
	{ "fp_misc", 18, true, gen_fp_misc, "FMOV imm/general, FRECPE/FRSQRTE/FRECPX/FRECPS/FRSQRTS, URECPE, sequences" },
	{ "simd_fp", 30, true, gen_simd_fp, "Advanced SIMD FP: three same, by element, across lanes, pairwise, 2-reg misc" },
};
const unsigned gen_ngroups = ARRAY_SIZE(gen_groups);

const struct gen_group *gen_find(const char *name)
{
	for (unsigned i = 0; i < gen_ngroups; i++)
		if (!strcmp(gen_groups[i].name, name))
			return &gen_groups[i];
	return NULL;
}

/* Encodings no case may contain: SVC (a real system call in the oracle),
 * WFI/WFE (may sleep), HLT #0xf000 (semihosting). */
static bool forbidden(u32 w)
{
	if ((w & 0xffe0001fu) == 0xd4000001u)
		return true;
	if ((w & 0xffffffdfu) == 0xd503205fu)
		return true;
	if (w == (0xd4400000u | 0xf000u << 5))
		return true;
	return false;
}

static void base_state(struct isa_case *c, prng *r)
{
	memset(c, 0, sizeof(*c));
	c->magic = ISA_CASE_MAGIC;
	for (int i = 0; i < 31; i++)
		c->x[i] = rval(r);
	c->sp = rval(r);
	c->nzcv = prbits(r, 4) << 28;
	c->fpcr = prpct(r, 50) ? 0 : prbits(r, 32) & 0x07c00000u;
	c->fpsr = prpct(r, 50) ? 0 : prbits(r, 32) & 0x0800009fu;
	for (int i = 0; i < 32; i++) {
		c->v[i][0] = pr64(r);
		c->v[i][1] = prpct(r, 20) ? 0 : pr64(r);
	}
	c->mem_seed = pr64(r);
}

static u64 name_hash(const char *s)
{
	u64 h = 0xcbf29ce484222325ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

void gen_case(const struct gen_group *g, uint64_t seed, uint64_t index, struct isa_case *c)
{
	prng r = { seed ^ name_hash(g->name) };
	r.s = pr64(&r) + index * 0xd1342543de82ef95ull;
	pr64(&r);
	for (;;) {
		base_state(c, &r);
		g->gen(c, &r);
		bool bad = c->ninsn == 0;
		for (unsigned i = 0; i < c->ninsn; i++)
			bad |= forbidden(c->insn[i]);
		if (!bad)
			return;
	}
}
