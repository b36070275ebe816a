/* Random test-case generators for the Advanced SIMD integer, permute and
 * crypto instructions and the SIMD&FP structure loads/stores (one group
 * per encoding class, registered in gen.c's table).
 *
 * Encodings are random within each class, biased towards the allocated
 * integer opcodes, with reserved size/Q combinations included (their
 * UNDEFINED decision is compared too). Never generated: the floating-point
 * opcodes of the shared classes (tested by the FP groups) and everything
 * cortex-a76 implements beyond Armv8.0 + AES/PMULL/SHA1/SHA256, which the
 * soft CPU rightly UNDEFs: SQRDMLAH/SQRDMLSH (RDM), SDOT/UDOT (DotProd),
 * FP16 (FMOV vector immediate with o2 = 1, FMLAL...), URECPE/URSQRTE (FP
 * estimate family, owned by the FP groups).
 *
 * V registers are filled lane by lane with edge values (0, +-1, the
 * signed/unsigned extremes of every element size, small shift counts)
 * mixed with random bits; FPSR.QC starts random (base_state), so a
 * saturating instruction must set it and a non-saturating one must leave
 * it alone. */
#include "gen.h"

typedef uint32_t u32;
typedef uint64_t u64;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

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

static void emit(struct isa_case *c, u32 insn)
{
	if (c->ninsn < ISA_MAX_INSN)
		c->insn[c->ninsn++] = insn;
}

static unsigned rreg(prng *r) { return (unsigned)prbits(r, 5); }
static u32 pick(prng *r, const u32 *v, unsigned n) { return v[prbelow(r, n)]; }
#define PICK(r, arr) pick(r, arr, ARRAY_SIZE(arr))

/* One lane value of E bits. */
static u64 lane_value(prng *r, unsigned E)
{
	u64 m = E == 64 ? ~0ull : (1ull << E) - 1;
	u64 smax = m >> 1, smin = smax + 1;
	switch (prbelow(r, 14)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return m;                        /* -1 */
	case 3: return smax;
	case 4: return smin;
	case 5: return smin + 1;
	case 6: return smax - 1;
	case 7: return (u64)((int64_t)prbelow(r, 141) - 70) & m; /* small shift counts, +-E */
	case 8: return prbelow(r, 256) & m;
	case 9: return (1ull << prbelow(r, E)) & m;
	case 10: return m - prbelow(r, 4);
	default: return pr64(r) & m;
	}
}

static void fill_v(struct isa_case *c, prng *r)
{
	for (unsigned i = 0; i < 32; i++) {
		if (prpct(r, 35))
			continue; /* keep base_state's random bits */
		unsigned E = 8u << prbelow(r, 4);
		for (unsigned h = 0; h < 2; h++) {
			u64 w = 0;
			for (unsigned b = 0; b < 64; b += E)
				w |= lane_value(r, E) << b;
			c->v[i][h] = w;
		}
		if (prpct(r, 15)) /* equal lanes / equal halves */
			c->v[i][1] = c->v[i][0];
	}
	if (prpct(r, 50))
		c->fpsr = prpct(r, 50) ? 1u << 27 : 0;
}

/* How many instructions: mostly one, sometimes a short dependent chain. */
static unsigned count(prng *r)
{
	return prpct(r, 80) ? 1 : 2 + (unsigned)prbelow(r, 3);
}

/* Operand registers: sometimes equal, so aliasing (Vd == Vn ...) is tested. */
static void regs3(prng *r, u32 *rd, u32 *rn, u32 *rm)
{
	*rd = rreg(r);
	*rn = prpct(r, 10) ? *rd : rreg(r);
	*rm = prpct(r, 10) ? *rn : prpct(r, 5) ? *rd : rreg(r);
}

/* ---- simd_3same ------------------------------------------------------------- */

static u32 three_same(prng *r, bool scalar)
{
	u32 rd, rn, rm;
	regs3(r, &rd, &rn, &rm);
	u32 q = prbits(r, 1), u = prbits(r, 1), size = prbits(r, 2), op;
	if (scalar) {
		static const u32 ops[] = { 0x01, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x10, 0x11, 0x16 };
		op = prpct(r, 90) ? PICK(r, ops) : (u32)prbelow(r, 24);
		if ((op == 0x06 || op == 0x07 || op == 0x08 || op == 0x0a || op == 0x10 || op == 0x11) && prpct(r, 85))
			size = 3;
		return 1u << 30 | u << 29 | 0x1eu << 24 | size << 22 | 1u << 21 | rm << 16 | op << 11 | 1u << 10 |
		       rn << 5 | rd;
	}
	op = (u32)prbelow(r, 24); /* integer opcodes 00000-10111 */
	if (size == 3 && !q && prpct(r, 80))
		q = 1;
	return q << 30 | u << 29 | 0x0eu << 24 | size << 22 | 1u << 21 | rm << 16 | op << 11 | 1u << 10 | rn << 5 | rd;
}

void gen_simd_3same(struct isa_case *c, prng *r)
{
	fill_v(c, r);
	for (unsigned n = count(r); n; n--)
		emit(c, three_same(r, false));
}

/* ---- simd_3diff ------------------------------------------------------------- */

static u32 three_diff(prng *r, bool scalar)
{
	u32 rd, rn, rm;
	regs3(r, &rd, &rn, &rm);
	u32 q = prbits(r, 1), u = prbits(r, 1), size = prbits(r, 2), op = (u32)prbelow(r, 16);
	if (scalar) {
		static const u32 ops[] = { 0x9, 0xb, 0xd };
		if (prpct(r, 90)) {
			op = PICK(r, ops);
			u = prpct(r, 90) ? 0 : u;
			size = prpct(r, 90) ? 1 + prbits(r, 1) : size;
		}
		return 1u << 30 | u << 29 | 0x1eu << 24 | size << 22 | 1u << 21 | rm << 16 | op << 12 | rn << 5 | rd;
	}
	if (size == 3 && prpct(r, 60)) { /* PMULL 64x64 */
		op = 0xe;
		u = 0;
	} else if (size == 3 && prpct(r, 80)) {
		size = (u32)prbelow(r, 3);
	}
	return q << 30 | u << 29 | 0x0eu << 24 | size << 22 | 1u << 21 | rm << 16 | op << 12 | rn << 5 | rd;
}

void gen_simd_3diff(struct isa_case *c, prng *r)
{
	fill_v(c, r);
	for (unsigned n = count(r); n; n--)
		emit(c, three_diff(r, false));
}

/* ---- simd_2misc ------------------------------------------------------------- */

static u32 two_misc(prng *r, bool scalar)
{
	u32 rd = rreg(r), rn = prpct(r, 10) ? rd : rreg(r);
	u32 q = prbits(r, 1), u = prbits(r, 1), size = prbits(r, 2), op;
	if (scalar) {
		static const u32 ops[] = { 0x03, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x12, 0x14 };
		op = PICK(r, ops);
		if (op >= 0x08 && op <= 0x0b && prpct(r, 80))
			size = 3;
		return 1u << 30 | u << 29 | 0x1eu << 24 | size << 22 | 0x10u << 17 | op << 12 | 2u << 10 | rn << 5 | rd;
	}
	static const u32 ops[] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
				   0x12, 0x13, 0x14 };
	op = PICK(r, ops);
	if (size == 3 && !q && prpct(r, 70))
		q = 1;
	return q << 30 | u << 29 | 0x0eu << 24 | size << 22 | 0x10u << 17 | op << 12 | 2u << 10 | rn << 5 | rd;
}

void gen_simd_2misc(struct isa_case *c, prng *r)
{
	fill_v(c, r);
	for (unsigned n = count(r); n; n--)
		emit(c, two_misc(r, false));
}

/* ---- simd_shift ------------------------------------------------------------- */

static u32 shift_imm(prng *r, bool scalar)
{
	u32 rd = rreg(r), rn = prpct(r, 10) ? rd : rreg(r);
	u32 q = prbits(r, 1), u = prbits(r, 1), op;
	static const u32 ops[] = { 0x00, 0x02, 0x04, 0x06, 0x08, 0x0a, 0x0c, 0x0e, 0x10, 0x11, 0x12, 0x13, 0x14 };
	op = prpct(r, 92) ? PICK(r, ops) : (u32)prbelow(r, 0x1c); /* not the FP conversions 111xx */
	/* element size, then a shift at the edges or anywhere */
	unsigned size = (unsigned)prbelow(r, 4);
	if (scalar && op <= 0x0a && prpct(r, 85))
		size = 3;
	if (op >= 0x10 && prpct(r, 85) && size == 3)
		size = (unsigned)prbelow(r, 3);
	u32 immhb = (8u << size) | prbits(r, 3 + size); /* immh:immb with that size */
	if (prpct(r, 30)) {
		u32 lo = 8u << size, span = 8u << size;
		static const u32 e[] = { 0, 1 };
		immhb = prpct(r, 50) ? lo + PICK(r, e) : lo + span - 1 - PICK(r, e);
	}
	if (!scalar && size == 3 && !q && prpct(r, 70))
		q = 1;
	u32 base = scalar ? (1u << 30 | u << 29 | 0x3eu << 23) : (q << 30 | u << 29 | 0x1eu << 23);
	return base | immhb << 16 | op << 11 | 1u << 10 | rn << 5 | rd;
}

void gen_simd_shift(struct isa_case *c, prng *r)
{
	fill_v(c, r);
	for (unsigned n = count(r); n; n--)
		emit(c, shift_imm(r, false));
}

/* ---- simd_elem -------------------------------------------------------------- */

static u32 by_elem(prng *r, bool scalar)
{
	u32 rd = rreg(r), rn = rreg(r), rmf = prbits(r, 4), m = prbits(r, 1), l = prbits(r, 1), h = prbits(r, 1);
	u32 q = prbits(r, 1), u, op, size = 1 + prbits(r, 1);
	/* opcode, U */
	static const u32 vec[][2] = { { 0x0, 1 }, { 0x2, 0 }, { 0x2, 1 }, { 0x3, 0 }, { 0x4, 1 }, { 0x6, 0 },
				      { 0x6, 1 }, { 0x7, 0 }, { 0x8, 0 }, { 0xa, 0 }, { 0xa, 1 }, { 0xb, 0 },
				      { 0xc, 0 }, { 0xd, 0 } };
	static const u32 sca[][2] = { { 0x3, 0 }, { 0x7, 0 }, { 0xb, 0 }, { 0xc, 0 }, { 0xd, 0 } };
	if (scalar) {
		unsigned k = (unsigned)prbelow(r, ARRAY_SIZE(sca));
		op = sca[k][0];
		u = sca[k][1];
	} else {
		unsigned k = (unsigned)prbelow(r, ARRAY_SIZE(vec));
		op = vec[k][0];
		u = vec[k][1];
	}
	if (prpct(r, 4))
		size = prpct(r, 50) ? 0 : 3; /* unallocated for the integer forms */
	u32 base = scalar ? (1u << 30 | u << 29 | 0x1fu << 24) : (q << 30 | u << 29 | 0x0fu << 24);
	return base | size << 22 | l << 21 | m << 20 | rmf << 16 | op << 12 | h << 11 | rn << 5 | rd;
}

void gen_simd_elem(struct isa_case *c, prng *r)
{
	fill_v(c, r);
	for (unsigned n = count(r); n; n--)
		emit(c, by_elem(r, false));
}

/* ---- simd_across ------------------------------------------------------------ */

void gen_simd_across(struct isa_case *c, prng *r)
{
	fill_v(c, r);
	for (unsigned n = count(r); n; n--) {
		static const u32 ops[][2] = { { 0x03, 0 }, { 0x03, 1 }, { 0x0a, 0 }, { 0x0a, 1 }, { 0x1a, 0 },
					      { 0x1a, 1 }, { 0x1b, 0 } };
		unsigned k = (unsigned)prbelow(r, ARRAY_SIZE(ops));
		u32 q = prbits(r, 1), size = prbits(r, 2);
		if (size == 3 && prpct(r, 80))
			size = (u32)prbelow(r, 3);
		emit(c, q << 30 | ops[k][1] << 29 | 0x0eu << 24 | size << 22 | 0x18u << 17 | ops[k][0] << 12 |
				2u << 10 | rreg(r) << 5 | rreg(r));
	}
}

/* ---- simd_perm -------------------------------------------------------------- */

static u32 perm_one(prng *r)
{
	u32 rd, rn, rm;
	regs3(r, &rd, &rn, &rm);
	u32 q = prbits(r, 1);
	switch (prbelow(r, 5)) {
	case 0: /* TBL/TBX, 1-4 registers (wrapping past V31) */
		return q << 30 | 0x0eu << 24 | rm << 16 | prbits(r, 2) << 13 | prbits(r, 1) << 12 | rn << 5 | rd;
	case 1: { /* UZP/TRN/ZIP, opcode 000/100 unallocated */
		u32 size = prbits(r, 2), op = prbits(r, 3);
		if (size == 3 && !q && prpct(r, 70))
			q = 1;
		return q << 30 | 0x0eu << 24 | size << 22 | rm << 16 | op << 12 | 2u << 10 | rn << 5 | rd;
	}
	case 2: /* EXT */
		return q << 30 | 0x2eu << 24 | rm << 16 | prbits(r, 4) << 11 | rn << 5 | rd;
	case 3: { /* copy: DUP/INS/UMOV/SMOV, any imm5/imm4 */
		static const u32 imm4s[] = { 0, 1, 3, 5, 7 };
		u32 op = prpct(r, 20), imm4 = op || prpct(r, 10) ? prbits(r, 4) : PICK(r, imm4s);
		u32 imm5 = prpct(r, 5) ? prbits(r, 5) : (prbits(r, 4) << 1 | 1) << prbelow(r, 4) & 0x1f;
		if (!imm5)
			imm5 = 8;
		return q << 30 | op << 29 | 0x0eu << 24 | imm5 << 16 | imm4 << 11 | 1u << 10 | rn << 5 | rd;
	}
	default: /* scalar DUP (element) */
		return 0x5e000400u | ((prbits(r, 4) << 1 | 1) << prbelow(r, 4) & 0x1f) << 16 |
		       (prpct(r, 5) ? prbits(r, 4) << 11 | prbits(r, 1) << 29 : 0) | rn << 5 | rd;
	}
}

void gen_simd_perm(struct isa_case *c, prng *r)
{
	fill_v(c, r);
	for (unsigned n = count(r); n; n--) {
		u32 w = perm_one(r);
		if ((w & 0xbf208c00u) == 0x0e000000u && prpct(r, 70)) {
			/* TBL/TBX: make most indices land in (or just past) the table */
			unsigned rm = w >> 16 & 31, len = w >> 13 & 3;
			unsigned lim = 16 * (len + 1) + 8;
			for (unsigned h = 0; h < 2; h++) {
				u64 x = 0;
				for (unsigned b = 0; b < 8; b++)
					x |= (u64)prbelow(r, lim) << (8 * b);
				c->v[rm][h] = x;
			}
		}
		emit(c, w);
	}
}

/* ---- simd_imm --------------------------------------------------------------- */

void gen_simd_imm(struct isa_case *c, prng *r)
{
	fill_v(c, r);
	for (unsigned n = count(r); n; n--) {
		/* o2 = 0: o2 = 1 is FMOV (vector, immediate) half-precision (FP16) */
		u32 q = prbits(r, 1), op = prbits(r, 1), cmode = prbits(r, 4), imm8 = prbits(r, 8);
		if (prpct(r, 20))
			imm8 = prpct(r, 50) ? 0 : 0xff;
		emit(c, q << 30 | op << 29 | 0x0f0u << 20 | (imm8 >> 5) << 16 | cmode << 12 | 1u << 10 |
				(imm8 & 31) << 5 | rreg(r));
	}
}

/* ---- simd_scalar -------------------------------------------------------------- */

void gen_simd_scalar(struct isa_case *c, prng *r)
{
	fill_v(c, r);
	for (unsigned n = count(r); n; n--) {
		switch (prbelow(r, 7)) {
		case 0: emit(c, three_same(r, true)); break;
		case 1: emit(c, three_diff(r, true)); break;
		case 2: emit(c, two_misc(r, true)); break;
		case 3: emit(c, shift_imm(r, true)); break;
		case 4: emit(c, by_elem(r, true)); break;
		case 5: /* ADDP (scalar): D only; other sizes unallocated */
			emit(c, 0x5e31b800u | (prpct(r, 85) ? 3u : prbits(r, 2)) << 22 | rreg(r) << 5 | rreg(r));
			break;
		default: /* DUP (element), scalar */
			emit(c, 0x5e000400u | ((prbits(r, 4) << 1 | 1) << prbelow(r, 4) & 0x1f) << 16 | rreg(r) << 5 |
					rreg(r));
			break;
		}
	}
}

/* ---- crypto ---------------------------------------------------------------------- */

void gen_crypto(struct isa_case *c, prng *r)
{
	fill_v(c, r);
	unsigned k = (unsigned)prbelow(r, 100);
	if (k < 15) { /* AESE/AESMC or AESD/AESIMC pairs, as kernels use them */
		u32 rd = rreg(r), rn = rreg(r), dec = prbits(r, 1);
		emit(c, 0x4e284800u | dec << 12 | rn << 5 | rd);
		emit(c, 0x4e286800u | dec << 12 | rd << 5 | (prpct(r, 70) ? rd : rreg(r)));
		return;
	}
	for (unsigned n = count(r); n; n--) {
		u32 rd = rreg(r), rn = rreg(r), rm = rreg(r);
		switch (prbelow(r, 4)) {
		case 0: { /* AES; other sizes/opcodes unallocated */
			u32 op = prpct(r, 90) ? 4 + prbits(r, 2) : prbits(r, 5);
			u32 size = prpct(r, 95) ? 0 : prbits(r, 2);
			emit(c, 0x4e280800u | size << 22 | op << 12 | rn << 5 | rd);
			break;
		}
		case 1: /* SHA three-register (opcode 111 unallocated) */
			emit(c, 0x5e000000u | rm << 16 | prbits(r, 3) << 12 | rn << 5 | rd);
			break;
		case 2: { /* SHA two-register */
			u32 op = prpct(r, 90) ? (u32)prbelow(r, 3) : prbits(r, 5);
			emit(c, 0x5e280800u | op << 12 | rn << 5 | rd);
			break;
		}
		default: /* PMULL/PMULL2 .1Q */
			emit(c, 0x0ee0e000u | prbits(r, 1) << 30 | rm << 16 | rn << 5 | rd);
			break;
		}
	}
}

/* ---- ldst_simd: structure loads and stores ------------------------------------ */

static void set_base(struct isa_case *c, unsigned n, u64 v)
{
	if (n == 31)
		c->sp = v;
	else
		c->x[n] = v;
}

/* An address for a block of `bytes` in the data page (3%: wholly in an
 * unmapped neighbour page, so the access faults and nothing changes). */
static u64 block_addr(prng *r, unsigned bytes, unsigned align)
{
	u64 off = prbelow(r, ISA_DATA_SIZE - bytes + 1);
	if (prpct(r, 8))
		off = prpct(r, 50) ? 0 : ISA_DATA_SIZE - bytes;
	if (prpct(r, 70))
		off &= ~(u64)(align - 1);
	u64 a = ISA_DATA_BASE + off;
	if (prpct(r, 3))
		a += prpct(r, 50) ? ISA_DATA_SIZE : -(u64)ISA_DATA_SIZE;
	return a;
}

void gen_ldst_simd(struct isa_case *c, prng *r)
{
	fill_v(c, r);
	u32 q = prbits(r, 1), l = prbits(r, 1), size = prbits(r, 2), rt = rreg(r);
	u32 rn = prpct(r, 15) ? 31 : rreg(r), post = prbits(r, 1);
	u32 rm = post ? (prpct(r, 50) ? 31 : rreg(r)) : 0;
	if (post && rm != 31 && rm == rn && prpct(r, 80))
		rm = 31;
	unsigned bytes, esz;
	u32 w;
	if (prpct(r, 55)) { /* multiple structures */
		static const u32 ops[] = { 0x0, 0x2, 0x4, 0x6, 0x7, 0x8, 0xa };
		static const unsigned regs[] = { 4, 4, 3, 3, 1, 2, 2 };
		unsigned k = (unsigned)prbelow(r, ARRAY_SIZE(ops));
		u32 op = prpct(r, 95) ? ops[k] : prbits(r, 4);
		bytes = regs[k] * (q ? 16 : 8);
		if (op != ops[k])
			bytes = 64;
		esz = 1u << size;
		w = q << 30 | 0x0c000000u | post << 23 | l << 22 | (post ? rm << 16 : 0) | op << 12 | size << 10 |
		    rn << 5 | rt;
	} else { /* single structure, replicate */
		u32 rr = prbits(r, 1), op = prbits(r, 3), s = prbits(r, 1), sz = size;
		unsigned scale = op >> 1;
		if (scale == 1 && prpct(r, 90))
			sz &= 2;
		if (scale == 2 && prpct(r, 90)) {
			sz &= 1;
			if (sz)
				s = 0;
		}
		if (scale == 3) {
			if (prpct(r, 90))
				l = 1;
			if (prpct(r, 90))
				s = 0;
		}
		unsigned es = scale == 3 ? sz : scale == 2 && (sz & 1) ? 3 : scale;
		esz = 1u << es;
		bytes = ((op & 1) << 1 | rr) * esz + esz;
		w = q << 30 | 0x0d000000u | post << 23 | l << 22 | rr << 21 | (post ? rm << 16 : 0) | op << 13 |
		    s << 12 | sz << 10 | rn << 5 | rt;
	}
	u64 a = block_addr(r, bytes, esz);
	set_base(c, rn, a);
	if (post && rm != 31 && rm != rn)
		c->x[rm] = prpct(r, 50) ? prbelow(r, 128) : (u64)(int64_t)((int)prbelow(r, 257) - 128);
	emit(c, w);
	/* and store it back (ST1 {Vt.16B}) through the same base, when that
	 * block lies wholly inside or outside the data page: a store that
	 * faults half-way may or may not have written its first part (both
	 * CPUs are right), so no case may straddle the page boundary */
	if (l && !post && prpct(r, 20) && (a + 16 <= ISA_DATA_BASE + ISA_DATA_SIZE || a >= ISA_DATA_BASE + ISA_DATA_SIZE) &&
	    a >= ISA_DATA_BASE)
		emit(c, 0x4c007000u | prbits(r, 2) << 10 | rn << 5 | rt);
}

/* ---- simd_mix: sequences across the classes ------------------------------------ */

/* 2-6 instructions from every register class: results feed later
 * instructions, and FPSR.QC accumulates over the sequence. */
void gen_simd_mix(struct isa_case *c, prng *r)
{
	fill_v(c, r);
	unsigned n = 2 + (unsigned)prbelow(r, 5);
	for (unsigned i = 0; i < n; i++) {
		bool sc = prpct(r, 25);
		switch (prbelow(r, 7)) {
		case 0: emit(c, three_same(r, sc)); break;
		case 1: emit(c, three_diff(r, sc)); break;
		case 2: emit(c, two_misc(r, sc)); break;
		case 3: emit(c, shift_imm(r, sc)); break;
		case 4: emit(c, by_elem(r, sc)); break;
		case 5: emit(c, perm_one(r)); break;
		default: { /* across lanes */
			static const u32 ops[][2] = { { 0x03, 0 }, { 0x03, 1 }, { 0x0a, 0 }, { 0x0a, 1 }, { 0x1a, 0 },
						      { 0x1a, 1 }, { 0x1b, 0 } };
			unsigned k = (unsigned)prbelow(r, ARRAY_SIZE(ops));
			emit(c, 0x4e000000u | ops[k][1] << 29 | (u32)prbelow(r, 3) << 22 | 0x18u << 17 | ops[k][0] << 12 |
					2u << 10 | rreg(r) << 5 | rreg(r));
			break;
		}
		}
	}
}
