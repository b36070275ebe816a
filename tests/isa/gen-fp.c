/* Random test-case generators for floating point (scalar FP and the
 * floating-point forms of Advanced SIMD): groups fp_arith, fp_fma, fp_cmp,
 * fp_cvt, fp_round, fp_misc, simd_fp.
 *
 * Operands are drawn from special values (signed zeros, infinities, quiet
 * and signalling NaNs with payloads, denormals, minimum/maximum normals,
 * values next to 1.0, integers and halves, values at integer-conversion
 * limits, near-cancelling pairs) and random values; FPCR gets a random
 * rounding mode and FZ/DN/AHP, FPSR random initial flags. Encodings are
 * mostly valid with their fields random, plus reserved combinations that
 * every Armv8 CPU rejects. Never generated: what cortex-a76 implements and
 * the soft CPU does not advertise (half-precision arithmetic, FP16 FMOV,
 * FJCVTZS, FRINT32/64, BFloat16, FHM, FCMA, dot product), the should-be-zero
 * Rm of FCMP #0.0 (CONSTRAINED UNPREDICTABLE), FPCR.FZ16 and trap enables. */
#include "gen.h"

#include <string.h>

typedef uint32_t u32;
typedef uint64_t u64;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void gen_fp_arith(struct isa_case *c, prng *r);
void gen_fp_fma(struct isa_case *c, prng *r);
void gen_fp_cmp(struct isa_case *c, prng *r);
void gen_fp_cvt(struct isa_case *c, prng *r);
void gen_fp_round(struct isa_case *c, prng *r);
void gen_fp_misc(struct isa_case *c, prng *r);
void gen_simd_fp(struct isa_case *c, prng *r);

enum { H = 0, S = 1, D = 2 };
static const unsigned fE[3] = { 5, 8, 11 }, fF[3] = { 10, 23, 52 };
static const int fBias[3] = { 15, 127, 1023 };

static void emit(struct isa_case *c, u32 insn)
{
	if (c->ninsn < ISA_MAX_INSN)
		c->insn[c->ninsn++] = insn;
}

static unsigned rreg(prng *r) { return (unsigned)prbits(r, 5); }

static u64 fpack(unsigned f, u64 sign, u64 exp, u64 frac)
{
	return sign << (fE[f] + fF[f]) | (exp & ((1ull << fE[f]) - 1)) << fF[f] | (frac & ((1ull << fF[f]) - 1));
}

static u64 rbits64(prng *r, unsigned n) { return n >= 64 ? pr64(r) : pr64(r) >> (64 - n); }

/* A special or boundary value of format f. */
static u64 fp_special(prng *r, unsigned f)
{
	unsigned E = fE[f], F = fF[f];
	u64 emax = (1ull << E) - 1, sign = prbits(r, 1), fm = (1ull << F) - 1;
	int bias = fBias[f];
	switch (prbelow(r, 18)) {
	case 0: return fpack(f, sign, 0, 0);
	case 1: return fpack(f, sign, emax, 0);
	case 2: return fpack(f, sign, emax, 1ull << (F - 1) | (prpct(r, 50) ? 0 : rbits64(r, F - 1)));
	case 3: { /* signalling NaN */
		u64 p = rbits64(r, F - 1);
		if (!p)
			p = 1;
		return fpack(f, sign, emax, p);
	}
	case 4: return fpack(f, sign, 0, prpct(r, 50) ? 1 : prbelow(r, 16) + 1);
	case 5: return fpack(f, sign, 0, fm - prbelow(r, 4));
	case 6: return fpack(f, sign, 1, prbelow(r, 3));
	case 7: return fpack(f, sign, emax - 1, fm - prbelow(r, 3));
	case 8: return fpack(f, sign, (u64)bias, 0);
	case 9: return prpct(r, 50) ? fpack(f, sign, (u64)bias, prbelow(r, 3)) : fpack(f, sign, (u64)bias - 1, fm - prbelow(r, 3));
	case 10: return fpack(f, sign, (u64)(bias - 2 + (int)prbelow(r, 5)), rbits64(r, 3) << (F - 3));
	case 11: return fpack(f, sign, 0, rbits64(r, F));
	case 12: return fpack(f, sign, 1 + prbelow(r, 3), rbits64(r, F));
	case 13: return fpack(f, sign, emax - 1 - prbelow(r, 2), rbits64(r, F));
	case 14: { /* integers and halves: few fraction bits below the point */
		unsigned e = (unsigned)prbelow(r, F + 2);
		u64 frac = rbits64(r, F);
		if (e < F)
			frac &= ~((1ull << (F - e - 1)) - 1); /* keep one bit below the point */
		return fpack(f, sign, (u64)bias + e, frac);
	}
	case 15: /* tiny results of products: exponent about half the range down */
		return fpack(f, sign, (u64)(bias / 2 + (int)prbelow(r, 8)) - 4, rbits64(r, F));
	case 16: /* results that overflow when squared */
		return fpack(f, sign, (u64)(bias + bias / 2 + (int)prbelow(r, 4)) - 2, rbits64(r, F));
	default: /* near the integer limits (2^31, 2^32, 2^63, 2^64) */
	{
		static const unsigned lim[] = { 15, 16, 31, 32, 63, 64 };
		unsigned l = lim[prbelow(r, ARRAY_SIZE(lim))];
		if ((int)l > bias)
			l = (unsigned)bias;
		u64 frac = prpct(r, 50) ? prbelow(r, 3) : fm - prbelow(r, 3);
		return fpack(f, sign, (u64)bias + l - (frac > 8), frac);
	}
	}
}

/* A moderate normal value: what the soft CPU's host-FPU fast path takes. */
static u64 fpval_moderate(prng *r, unsigned f)
{
	int e = fBias[f] + (int)prbelow(r, 41) - 20;
	return fpack(f, prbits(r, 1), (u64)e, rbits64(r, fF[f]));
}

/* A value of format f: special 45%, moderate 40%, any bits 15%. */
static u64 fpval(prng *r, unsigned f)
{
	unsigned k = (unsigned)prbelow(r, 100);
	if (k < 45)
		return fp_special(r, f);
	if (k < 85)
		return fpval_moderate(r, f);
	return rbits64(r, 16u << f);
}

/* Something related to a (same, negated, next, next-but-one), or new. */
static u64 fpval_rel(prng *r, unsigned f, u64 a)
{
	u64 mask = (16u << f) == 64 ? ~0ull : (1ull << (16u << f)) - 1;
	switch (prbelow(r, 10)) {
	case 0: return a;
	case 1: return a ^ (1ull << ((16u << f) - 1));
	case 2: return (a + 1) & mask;
	case 3: return (a - 1) & mask;
	default: return fpval(r, f);
	}
}

static void set_lane(struct isa_case *c, unsigned reg, unsigned f, unsigned lane, u64 v)
{
	unsigned bits = 16u << f, per = 64 / bits, w = lane / per, sh = (lane % per) * bits;
	u64 m = bits == 64 ? ~0ull : ((1ull << bits) - 1) << sh;
	c->v[reg][w] = (c->v[reg][w] & ~m) | ((v << sh) & m);
}

static u64 get_lane(const struct isa_case *c, unsigned reg, unsigned f, unsigned lane)
{
	unsigned bits = 16u << f, per = 64 / bits;
	u64 x = c->v[reg][lane / per] >> ((lane % per) * bits);
	return bits == 64 ? x : x & ((1ull << bits) - 1);
}

/* Fill `lanes` lanes of V<reg> with values (the rest keeps its random bits);
 * half the time every lane is moderate, so vector forms whose fast
 * path needs all lanes ordinary run it too. */
static void set_vals(struct isa_case *c, prng *r, unsigned reg, unsigned f, unsigned lanes)
{
	bool moderate = prpct(r, 50);
	for (unsigned i = 0; i < lanes; i++)
		set_lane(c, reg, f, i, moderate ? fpval_moderate(r, f) : fpval(r, f));
}

/* Fill Vm's lanes related to Vn's (all moderate half the time). */
static void set_vals_rel(struct isa_case *c, prng *r, unsigned rm, unsigned rn, unsigned f, unsigned lanes)
{
	bool moderate = prpct(r, 50);
	for (unsigned i = 0; i < lanes; i++)
		set_lane(c, rm, f, i, moderate ? fpval_moderate(r, f) : fpval_rel(r, f, get_lane(c, rn, f, i)));
}

static void fp_state(struct isa_case *c, prng *r)
{
	u32 v = prpct(r, 50) ? 0 : prbits(r, 2) << 22; /* RN more often: the host fast path's mode */
	if (prpct(r, 30))
		v |= 1u << 24; /* FZ */
	if (prpct(r, 25))
		v |= 1u << 25; /* DN */
	if (prpct(r, 25))
		v |= 1u << 26; /* AHP */
	c->fpcr = v;
	c->fpsr = prpct(r, 50) ? 0 : prbits(r, 32) & 0x0800009fu;
}

/* Vector arrangement: fmt S or D and Q; D with Q = 0 is reserved (5%). */
static void vec_arr(prng *r, u32 *sz, u32 *q)
{
	*sz = prbits(r, 1);
	*q = prpct(r, 95) && *sz ? 1 : prbits(r, 1);
}

static unsigned lanes_of(u32 sz, u32 q) { return (q ? 16u : 8u) / (sz ? 8u : 4u); }

/* ---- encodings ---------------------------------------------------------------- */

static u32 ftype_sd(prng *r) { return prpct(r, 4) ? 2 : prbits(r, 1); } /* 10: unallocated */

/* FP data-processing (2 source) */
static u32 enc_2src(prng *r, u32 ftype, u32 opcode, u32 rm, u32 rn, u32 rd)
{
	(void)r;
	return 0x1e200800u | ftype << 22 | rm << 16 | opcode << 12 | rn << 5 | rd;
}

static u32 enc_1src(u32 ftype, u32 opcode, u32 rn, u32 rd)
{
	return 0x1e204000u | ftype << 22 | opcode << 15 | rn << 5 | rd;
}

/* Advanced SIMD three same (vector if scalar == 0). */
static u32 enc_3same(bool scalar, u32 q, u32 u, u32 a, u32 sz, u32 op, u32 rm, u32 rn, u32 rd)
{
	u32 base = scalar ? 0x5e20c400u : (0x0e20c400u | q << 30);
	return base | u << 29 | a << 23 | sz << 22 | rm << 16 | op << 11 | rn << 5 | rd;
}

static u32 enc_2misc(bool scalar, u32 q, u32 u, u32 a, u32 sz, u32 op, u32 rn, u32 rd)
{
	u32 base = scalar ? 0x5e200800u : (0x0e200800u | q << 30);
	return base | u << 29 | a << 23 | sz << 22 | op << 12 | rn << 5 | rd;
}

/* ---- fp_arith -------------------------------------------------------------------- */

void gen_fp_arith(struct isa_case *c, prng *r)
{
	fp_state(c, r);
	u32 rd = rreg(r), rn = rreg(r), rm = rreg(r);
	unsigned k = (unsigned)prbelow(r, 100);
	if (k < 70) { /* FMUL FDIV FADD FSUB FMAX FMIN FMAXNM FMINNM FNMUL */
		u32 ftype = ftype_sd(r), opcode = prpct(r, 4) ? 9 + (u32)prbelow(r, 7) : (u32)prbelow(r, 9);
		unsigned f = ftype == 1 ? D : S;
		set_vals(c, r, rn, f, 1);
		if (rm != rn)
			set_vals_rel(c, r, rm, rn, f, 1);
		emit(c, enc_2src(r, ftype, opcode, rm, rn, rd));
	} else if (k < 85) { /* FMOV FABS FNEG FSQRT (register) */
		u32 ftype = ftype_sd(r), opcode = (u32)prbelow(r, 4);
		set_vals(c, r, rn, ftype == 1 ? D : S, 1);
		emit(c, enc_1src(ftype, opcode, rn, rd));
	} else { /* scalar FMULX, FABD; vector FADD FSUB FMUL FDIV FABD FMULX */
		bool scalar = prpct(r, 50);
		u32 sz, q;
		vec_arr(r, &sz, &q);
		static const u32 ops[][3] = { /* u a op */
			{ 0, 0, 3 }, { 1, 1, 2 }, { 0, 0, 2 }, { 0, 1, 2 }, { 1, 0, 3 }, { 1, 0, 7 },
		};
		unsigned i = scalar ? (unsigned)prbelow(r, 2) : (unsigned)prbelow(r, ARRAY_SIZE(ops));
		unsigned f = sz ? D : S, n = scalar ? 1 : lanes_of(sz, q);
		set_vals(c, r, rn, f, n);
		if (rm != rn)
			set_vals_rel(c, r, rm, rn, f, n);
		emit(c, enc_3same(scalar, q, ops[i][0], ops[i][1], sz, ops[i][2], rm, rn, rd));
	}
}

/* ---- fp_fma ---------------------------------------------------------------------- */

static u64 host_neg_product(unsigned f, u64 a, u64 b)
{
	if (f == S) {
		float x, y;
		u32 xa = (u32)a, xb = (u32)b;
		memcpy(&x, &xa, 4);
		memcpy(&y, &xb, 4);
		float p = -(float)((double)x * (double)y);
		u32 o;
		memcpy(&o, &p, 4);
		return o;
	}
	double x, y;
	memcpy(&x, &a, 8);
	memcpy(&y, &b, 8);
	double p = -(x * y);
	u64 o;
	memcpy(&o, &p, 8);
	return o;
}

void gen_fp_fma(struct isa_case *c, prng *r)
{
	fp_state(c, r);
	u32 rd = rreg(r), rn = rreg(r), rm = rreg(r), ra = rreg(r);
	unsigned k = (unsigned)prbelow(r, 100);
	bool scalar = k < 60;
	u32 sz, q, ftype = 0;
	unsigned f, n;
	if (scalar) {
		ftype = ftype_sd(r);
		f = ftype == 1 ? D : S;
		n = 1;
		sz = ftype == 1;
		q = 0;
	} else {
		vec_arr(r, &sz, &q);
		f = sz ? D : S;
		n = lanes_of(sz, q);
	}
	unsigned acc = scalar ? ra : rd;
	set_vals(c, r, rn, f, n);
	if (rm != rn)
		set_vals_rel(c, r, rm, rn, f, n);
	if (acc != rn && acc != rm) {
		for (unsigned i = 0; i < n; i++) {
			u64 a = get_lane(c, rn, f, i), b = get_lane(c, rm, f, i), v;
			if (prpct(r, 40)) { /* cancels the product to the rounding error */
				v = host_neg_product(f, a, b);
				if (prpct(r, 30))
					v ^= 1ull << ((16u << f) - 1);
			} else {
				v = fpval(r, f);
			}
			set_lane(c, acc, f, i, v);
		}
	}
	if (scalar)
		emit(c, 0x1f000000u | ftype << 22 | prbits(r, 1) << 21 | rm << 16 | prbits(r, 1) << 15 | ra << 10 |
			       rn << 5 | rd);
	else if (k < 85) /* FMLA (a = 0), FMLS (a = 1) */
		emit(c, enc_3same(false, q, 0, prbits(r, 1), sz, 1, rm, rn, rd));
	else { /* by element, vector or scalar */
		bool se = prpct(r, 30);
		u32 l = sz ? 0 : prbits(r, 1), h = prbits(r, 1), m = rm >> 4;
		u32 op = prpct(r, 50) ? 1 : 5;
		if (se)
			q = 0;
		u32 base = se ? 0x5f801000u : (0x0f801000u | q << 30);
		/* the element's lane of Vm is set like the others */
		unsigned idx = sz ? h : (h << 1 | l);
		set_lane(c, rm, f, idx, fpval(r, f));
		emit(c, (base & ~0xf000u) | op << 12 | sz << 22 | l << 21 | m << 20 | (rm & 15) << 16 | h << 11 | rn << 5 | rd);
	}
}

/* ---- fp_cmp ------------------------------------------------------------------------ */

void gen_fp_cmp(struct isa_case *c, prng *r)
{
	fp_state(c, r);
	u32 rd = rreg(r), rn = rreg(r), rm = rreg(r);
	unsigned k = (unsigned)prbelow(r, 100);
	u32 ftype = ftype_sd(r);
	unsigned f = ftype == 1 ? D : S;
	set_vals(c, r, rn, f, 1);
	if (rm != rn)
		set_vals_rel(c, r, rm, rn, f, 1);
	if (k < 30) { /* FCMP, FCMPE, with register or #0.0 (Rm = 0) */
		u32 e = prbits(r, 1), z = prbits(r, 1);
		emit(c, 0x1e202000u | ftype << 22 | (z ? 0 : rm) << 16 | rn << 5 | e << 4 | z << 3);
	} else if (k < 50) { /* FCCMP, FCCMPE */
		emit(c, 0x1e200400u | ftype << 22 | rm << 16 | prbits(r, 4) << 12 | rn << 5 | prbits(r, 1) << 4 | prbits(r, 4));
	} else if (k < 60) { /* FCSEL */
		emit(c, 0x1e200c00u | ftype << 22 | rm << 16 | prbits(r, 4) << 12 | rn << 5 | rd);
	} else if (k < 68) { /* FMAX FMIN FMAXNM FMINNM */
		emit(c, enc_2src(r, ftype, 4 + (u32)prbelow(r, 4), rm, rn, rd));
	} else if (k < 84) { /* FCMEQ FCMGE FCMGT FACGE FACGT, scalar or vector; vector FMAX... */
		static const u32 ops[][3] = {
			{ 0, 0, 4 }, { 1, 0, 4 }, { 1, 1, 4 }, { 1, 0, 5 }, { 1, 1, 5 },
			{ 0, 0, 0 }, { 0, 1, 0 }, { 0, 0, 6 }, { 0, 1, 6 },
		};
		bool scalar = prpct(r, 40);
		u32 sz, q;
		vec_arr(r, &sz, &q);
		unsigned i = (unsigned)prbelow(r, scalar ? 5 : ARRAY_SIZE(ops)), n = scalar ? 1 : lanes_of(sz, q);
		f = sz ? D : S;
		set_vals(c, r, rn, f, n);
		if (rm != rn)
			set_vals_rel(c, r, rm, rn, f, n);
		emit(c, enc_3same(scalar, q, ops[i][0], ops[i][1], sz, ops[i][2], rm, rn, rd));
	} else { /* compare with zero: FCMGT FCMEQ FCMLT (U=0), FCMGE FCMLE (U=1) */
		static const u32 ops[][2] = { { 0, 12 }, { 0, 13 }, { 0, 14 }, { 1, 12 }, { 1, 13 } };
		bool scalar = prpct(r, 40);
		u32 sz, q;
		vec_arr(r, &sz, &q);
		unsigned i = (unsigned)prbelow(r, ARRAY_SIZE(ops)), n = scalar ? 1 : lanes_of(sz, q);
		f = sz ? D : S;
		set_vals(c, r, rn, f, n);
		emit(c, enc_2misc(scalar, q, ops[i][0], 1, sz, ops[i][1], rn, rd));
	}
}

/* ---- fp_cvt ------------------------------------------------------------------------- */

/* A value for conversion to an integer of ibits with fbits fraction bits:
 * often near the limits after scaling. */
static u64 cvt_val(prng *r, unsigned f, unsigned ibits, unsigned fbits)
{
	if (prpct(r, 50))
		return fpval(r, f);
	int l = (int)ibits - (int)fbits + 1 - (int)prbelow(r, 3); /* scaled: about 2^ibits, 2^(ibits-1), 2^(ibits-2) */
	if (prpct(r, 20))
		l = -(int)fbits + (int)prbelow(r, 3) - 1; /* around 1 ulp of the fixed point */
	u64 frac = prpct(r, 40) ? (prpct(r, 50) ? prbelow(r, 4) : ((1ull << fF[f]) - 1) - prbelow(r, 4))
				: (prpct(r, 50) ? 1ull << (fF[f] - 1) : rbits64(r, fF[f]));
	int e = fBias[f] + l - 1;
	if (e < 1)
		e = 1;
	if (e > (1 << fE[f]) - 2)
		e = (1 << fE[f]) - 2;
	return fpack(f, prpct(r, 35), (u64)e, frac);
}

/* An unbiased exponent near the limits of format t: overflow, smallest
 * normal, smallest denormal. */
static int edge_exp(prng *r, unsigned t)
{
	int emin = 1 - fBias[t], base;
	switch (prbelow(r, 3)) {
	case 0: base = fBias[t]; break;
	case 1: base = emin; break;
	default: base = emin - (int)fF[t]; break;
	}
	return base + (int)prbelow(r, 3) - 1;
}

static u64 int_val(prng *r)
{
	static const u64 e[] = { 0, 1, 2, 3, 0x7fffffff, 0x80000000, 0xffffffff, 0x7fffffffffffffff,
				 0x8000000000000000, 0xffffffffffffffff, 0xfffffffffffffffe, 0x0000000001000001,
				 0x0020000000000001, 0x8000008000000000, 0xffffff7fffffffff, 0x7fffff80, 0xffffff80,
				 0x0010000000000001, 0x80000001 };
	unsigned k = (unsigned)prbelow(r, 100);
	if (k < 30)
		return e[prbelow(r, ARRAY_SIZE(e))];
	if (k < 45) /* few significant bits plus a tail: rounding cases */
		return (pr64(r) >> prbelow(r, 64)) | (prpct(r, 50) ? 1ull << 63 : 0);
	if (k < 60)
		return prbits(r, 32);
	if (k < 70)
		return (u64)(int64_t)(int32_t)prbits(r, 32);
	return pr64(r);
}

void gen_fp_cvt(struct isa_case *c, prng *r)
{
	fp_state(c, r);
	u32 rd = rreg(r), rn = rreg(r);
	unsigned k = (unsigned)prbelow(r, 100);
	if (k < 18) { /* FCVT between H, S, D */
		static const u32 ft[] = { 0, 1, 3 };
		u32 ftype = ft[prbelow(r, 3)], opc = ft[prbelow(r, 3)];
		if (opc == ftype && prpct(r, 90))
			opc = ftype == 0 ? 1 : 0;
		unsigned f = ftype == 3 ? H : ftype == 1 ? D : S, t = opc == 3 ? H : opc == 1 ? D : S;
		u64 v = fpval(r, f);
		if (fF[f] > fF[t] && prpct(r, 50)) { /* around the target's limits, at rounding boundaries */
			u64 frac = rbits64(r, fF[f]), low = (1ull << (fF[f] - fF[t])) - 1;
			if (prpct(r, 40))
				frac = (frac & ~low) | ((low >> 1) + prbelow(r, 3));
			v = fpack(f, prbits(r, 1), (u64)(fBias[f] + edge_exp(r, t)), frac);
		}
		set_lane(c, rn, f, 0, v);
		emit(c, enc_1src(ftype, 4 | opc, rn, rd));
	} else if (k < 40) { /* FCVT[NPMZ][SU], FCVTA[SU], SCVTF, UCVTF, FMOV with general registers */
		u32 sf = prbits(r, 1), ftype = ftype_sd(r), rmode = prbits(r, 2), opcode = (u32)prbelow(r, 6);
		if (opcode >= 2 && prpct(r, 90))
			rmode = 0;
		unsigned f = ftype == 1 ? D : S;
		set_lane(c, rn, f, 0, cvt_val(r, f, sf ? 64 : 32, 0));
		if (opcode == 2 || opcode == 3)
			c->x[rn == 31 ? 0 : rn] = int_val(r);
		emit(c, sf << 31 | 0x1e200000u | ftype << 22 | rmode << 19 | opcode << 16 | rn << 5 | rd);
	} else if (k < 58) { /* fixed point: FCVTZS/FCVTZU (rmode 11), SCVTF/UCVTF (rmode 00) */
		u32 sf = prbits(r, 1), ftype = ftype_sd(r), op = prbits(r, 1), u = prbits(r, 1);
		u32 scale = sf ? prbits(r, 6) : 32 + prbits(r, 5);
		if (prpct(r, 3))
			scale = prbits(r, 6); /* sf = 0, scale < 32: unallocated */
		if (prpct(r, 3))
			op ^= 1, u = prbits(r, 1); /* other rmode: unallocated */
		u32 rmode = op ? 0 : 3, opcode = (op ? 2 : 0) | u;
		if (prpct(r, 3))
			rmode = prbits(r, 2);
		unsigned f = ftype == 1 ? D : S;
		set_lane(c, rn, f, 0, cvt_val(r, f, sf ? 64 : 32, 64 - scale));
		c->x[rn == 31 ? 0 : rn] = int_val(r);
		emit(c, sf << 31 | 0x1e000000u | ftype << 22 | rmode << 19 | opcode << 16 | scale << 10 | rn << 5 | rd);
	} else if (k < 75) { /* vector/scalar FCVT[NPMZA][SU], SCVTF, UCVTF (two-register misc) */
		bool scalar = prpct(r, 35);
		u32 sz, q;
		vec_arr(r, &sz, &q);
		static const u32 ops[][2] = { /* a op */ { 0, 0x1a }, { 1, 0x1a }, { 0, 0x1b }, { 1, 0x1b }, { 0, 0x1c },
					      { 0, 0x1d } };
		unsigned i = (unsigned)prbelow(r, ARRAY_SIZE(ops)), f = sz ? D : S, n = scalar ? 1 : lanes_of(sz, q);
		u32 u = prbits(r, 1);
		for (unsigned j = 0; j < n; j++)
			set_lane(c, rn, f, j, i == 5 ? (prpct(r, 50) ? int_val(r) : fpval(r, f)) : cvt_val(r, f, 16u << f, 0));
		emit(c, enc_2misc(scalar, q, u, ops[i][0], sz, ops[i][1], rn, rd));
	} else if (k < 87) { /* fixed point, vector/scalar: SCVTF/UCVTF (11100), FCVTZS/FCVTZU (11111) */
		bool scalar = prpct(r, 35);
		u32 sz, q;
		vec_arr(r, &sz, &q);
		u32 u = prbits(r, 1), op = prpct(r, 50) ? 0 : 3;
		unsigned f = sz ? D : S, esize = 16u << f, n = scalar ? 1 : lanes_of(sz, q);
		unsigned fbits = 1 + (unsigned)prbelow(r, esize);
		u32 immhb = esize * 2 - fbits;
		if (prpct(r, 3))
			immhb = 8 + prbits(r, 3); /* immh = 0001: reserved */
		for (unsigned j = 0; j < n; j++)
			set_lane(c, rn, f, j, op == 0 ? (prpct(r, 50) ? int_val(r) : fpval(r, f)) : cvt_val(r, f, esize, fbits));
		u32 base = scalar ? 0x5f00e400u : (0x0f00e400u | q << 30);
		emit(c, base | u << 29 | immhb << 16 | op << 11 | rn << 5 | rd);
	} else { /* FCVTN/FCVTN2, FCVTXN/FCVTXN2 (vector, scalar), FCVTL/FCVTL2 */
		u32 q = prbits(r, 1), sz = prbits(r, 1);
		unsigned kk = (unsigned)prbelow(r, 4);
		if (kk == 0) { /* FCVTN: 4S -> 4H or 2D -> 2S */
			unsigned f = sz ? D : S;
			for (unsigned j = 0; j < (sz ? 2u : 4u); j++)
				set_lane(c, rn, f, j, fpval(r, f));
			emit(c, enc_2misc(false, q, 0, 0, sz, 0x16, rn, rd));
		} else if (kk == 1) { /* FCVTXN (sz = 1; sz = 0 reserved) */
			if (prpct(r, 95))
				sz = 1;
			bool scalar = prpct(r, 40);
			for (unsigned j = 0; j < 2; j++)
				set_lane(c, rn, D, j, fpval(r, D));
			emit(c, enc_2misc(scalar, scalar ? 0 : q, 1, 0, sz, 0x16, rn, rd));
		} else { /* FCVTL: 4H -> 4S or 2S -> 2D */
			unsigned f = sz ? S : H;
			for (unsigned j = 0; j < (sz ? 4u : 8u); j++)
				set_lane(c, rn, f, j, fpval(r, f));
			emit(c, enc_2misc(false, q, 0, 0, sz, 0x17, rn, rd));
		}
	}
}

/* ---- fp_round ----------------------------------------------------------------------- */

void gen_fp_round(struct isa_case *c, prng *r)
{
	fp_state(c, r);
	u32 rd = rreg(r), rn = rreg(r);
	if (prpct(r, 55)) { /* FRINTN P M Z A (X) X I, opcode 001000-001111 (001101 unallocated) */
		u32 ftype = ftype_sd(r), opcode = 8 + (u32)prbelow(r, 8);
		set_lane(c, rn, ftype == 1 ? D : S, 0, fpval(r, ftype == 1 ? D : S));
		emit(c, enc_1src(ftype, opcode, rn, rd));
	} else { /* vector: FRINTN FRINTP FRINTM FRINTZ FRINTA FRINTX FRINTI */
		static const u32 ops[][3] = { /* u a op */
			{ 0, 0, 0x18 }, { 0, 1, 0x18 }, { 0, 0, 0x19 }, { 0, 1, 0x19 }, { 1, 0, 0x18 }, { 1, 0, 0x19 },
			{ 1, 1, 0x19 }, { 1, 1, 0x18 } /* unallocated */,
		};
		u32 sz, q;
		vec_arr(r, &sz, &q);
		unsigned i = (unsigned)prbelow(r, prpct(r, 97) ? 7 : 8), f = sz ? D : S;
		set_vals(c, r, rn, f, lanes_of(sz, q));
		emit(c, enc_2misc(false, q, ops[i][0], ops[i][1], sz, ops[i][2], rn, rd));
	}
}

/* ---- fp_misc ----------------------------------------------------------------------- */

void gen_fp_misc(struct isa_case *c, prng *r)
{
	fp_state(c, r);
	u32 rd = rreg(r), rn = rreg(r), rm = rreg(r);
	unsigned k = (unsigned)prbelow(r, 100);
	if (k < 12) { /* FMOV (scalar, immediate); imm5 != 0 unallocated */
		u32 imm5 = prpct(r, 4) ? prbits(r, 5) : 0;
		emit(c, 0x1e201000u | ftype_sd(r) << 22 | prbits(r, 8) << 13 | imm5 << 5 | rd);
	} else if (k < 30) { /* FMOV (general): W<->S, X<->D, X<->V.D[1], other combinations unallocated */
		static const u32 forms[][3] = { /* sf ftype rmode */ { 0, 0, 0 }, { 1, 1, 0 }, { 1, 2, 1 } };
		unsigned i = (unsigned)prbelow(r, 3);
		u32 sf = forms[i][0], ftype = forms[i][1], rmode = forms[i][2];
		if (prpct(r, 8)) { /* unallocated: not the FP16 (ftype 11) or FJCVTZS forms */
			sf = prbits(r, 1);
			if (sf) {
				ftype = prbits(r, 1) ? 2 : 0;
				rmode = 0;
			} else {
				ftype = 1 + prbits(r, 1);
				rmode = prbits(r, 1);
			}
		}
		emit(c, sf << 31 | 0x1e200000u | ftype << 22 | rmode << 19 | (6 | prbits(r, 1)) << 16 | rn << 5 | rd);
	} else if (k < 52) { /* FRECPE FRSQRTE FRECPX (scalar), FRECPE FRSQRTE URECPE URSQRTE (vector) */
		bool scalar = prpct(r, 45);
		u32 sz, q;
		vec_arr(r, &sz, &q);
		static const u32 sops[][3] = { { 0, 1, 0x1d }, { 1, 1, 0x1d }, { 0, 1, 0x1f } };
		static const u32 vops[][3] = { { 0, 1, 0x1d }, { 1, 1, 0x1d }, { 0, 1, 0x1c }, { 1, 1, 0x1c } };
		unsigned i = (unsigned)prbelow(r, scalar ? 3 : 4);
		const u32 *o = scalar ? sops[i] : vops[i];
		if (!scalar && i >= 2 && prpct(r, 95))
			sz = 0; /* URECPE/URSQRTE: 32-bit lanes only */
		unsigned f = sz ? D : S, n = scalar ? 1 : lanes_of(sz, q);
		for (unsigned j = 0; j < n; j++)
			set_lane(c, rn, f, j, (!scalar && i >= 2 && prpct(r, 50)) ? pr64(r) : fpval(r, f));
		emit(c, enc_2misc(scalar, q, o[0], o[1], sz, o[2], rn, rd));
	} else if (k < 72) { /* FRECPS FRSQRTS, scalar and vector */
		bool scalar = prpct(r, 50);
		u32 sz, q;
		vec_arr(r, &sz, &q);
		unsigned f = sz ? D : S, n = scalar ? 1 : lanes_of(sz, q);
		set_vals(c, r, rn, f, n);
		if (rm != rn)
			set_vals_rel(c, r, rm, rn, f, n);
		emit(c, enc_3same(scalar, q, 0, prbits(r, 1), sz, 7, rm, rn, rd));
	} else if (k < 84) { /* FABS FNEG FSQRT (vector) */
		static const u32 ops[][3] = { { 0, 1, 0x0f }, { 1, 1, 0x0f }, { 1, 1, 0x1f } };
		u32 sz, q;
		vec_arr(r, &sz, &q);
		unsigned i = (unsigned)prbelow(r, 3);
		set_vals(c, r, rn, sz ? D : S, lanes_of(sz, q));
		emit(c, enc_2misc(false, q, ops[i][0], ops[i][1], sz, ops[i][2], rn, rd));
	} else { /* FP-to-FP sequences: a result feeds the next instruction */
		u32 ftype = prbits(r, 1);
		unsigned f = ftype ? D : S;
		set_vals(c, r, rn, f, 1);
		set_vals(c, r, rm, f, 1);
		unsigned n = 2 + (unsigned)prbelow(r, 3);
		for (unsigned i = 0; i < n; i++) {
			u32 a = prbits(r, 1) ? rn : rm, b = prbits(r, 1) ? rn : rm, d = prbits(r, 1) ? rn : rm;
			if (prpct(r, 70))
				emit(c, enc_2src(r, ftype, (u32)prbelow(r, 9), b, a, d));
			else
				emit(c, 0x1f000000u | ftype << 22 | prbits(r, 1) << 21 | b << 16 | prbits(r, 1) << 15 |
						rreg(r) << 10 | a << 5 | d);
		}
	}
}

/* ---- simd_fp ------------------------------------------------------------------------- */

void gen_simd_fp(struct isa_case *c, prng *r)
{
	fp_state(c, r);
	u32 rd = rreg(r), rn = rreg(r), rm = rreg(r);
	unsigned k = (unsigned)prbelow(r, 100);
	u32 sz, q;
	vec_arr(r, &sz, &q);
	unsigned f = sz ? D : S, n = lanes_of(sz, q);
	if (k < 45) { /* three same, every FP opcode (u, a, op), unallocated ones included */
		static const u32 valid[][3] = {
			{ 0, 0, 0 }, { 0, 0, 1 }, { 0, 0, 2 }, { 0, 0, 3 }, { 0, 0, 4 }, { 0, 0, 6 }, { 0, 0, 7 },
			{ 0, 1, 0 }, { 0, 1, 1 }, { 0, 1, 2 }, { 0, 1, 6 }, { 0, 1, 7 },
			{ 1, 0, 0 }, { 1, 0, 2 }, { 1, 0, 3 }, { 1, 0, 4 }, { 1, 0, 5 }, { 1, 0, 6 }, { 1, 0, 7 },
			{ 1, 1, 0 }, { 1, 1, 2 }, { 1, 1, 4 }, { 1, 1, 5 }, { 1, 1, 6 },
		};
		/* unallocated in every version: (0,1,3), (0,1,4), (1,1,3), (1,1,7) */
		static const u32 unalloc[][3] = { { 0, 1, 3 }, { 0, 1, 4 }, { 1, 1, 3 }, { 1, 1, 7 } };
		const u32 *o = prpct(r, 4) ? unalloc[prbelow(r, 4)] : valid[prbelow(r, ARRAY_SIZE(valid))];
		set_vals(c, r, rn, f, n);
		if (rm != rn)
			set_vals_rel(c, r, rm, rn, f, n);
		if (rd != rn && rd != rm)
			set_vals(c, r, rd, f, n);
		emit(c, enc_3same(false, q, o[0], o[1], sz, o[2], rm, rn, rd));
	} else if (k < 62) { /* by element: FMLA FMLS FMUL FMULX, vector and scalar */
		bool scalar = prpct(r, 35);
		static const u32 ops[][2] = { { 0, 1 }, { 0, 5 }, { 0, 9 }, { 1, 9 } };
		unsigned i = (unsigned)prbelow(r, 4);
		u32 l = prbits(r, 1), h = prbits(r, 1);
		if (sz && prpct(r, 95))
			l = 0; /* sz = 1, L = 1: reserved */
		if (scalar)
			n = 1;
		set_vals(c, r, rn, f, n);
		set_vals(c, r, rm, f, sz ? 2 : 4);
		if (rd != rn && rd != rm)
			set_vals(c, r, rd, f, n);
		u32 base = scalar ? 0x5f800000u : (0x0f800000u | q << 30);
		emit(c, base | ops[i][0] << 29 | sz << 22 | l << 21 | (rm >> 4) << 20 | (rm & 15) << 16 | ops[i][1] << 12 |
				h << 11 | rn << 5 | rd);
	} else if (k < 72) { /* across lanes: FMAXNMV FMINNMV FMAXV FMINV (4S; other sizes reserved) */
		u32 a = prbits(r, 1), op = prpct(r, 50) ? 0x0c : 0x0f;
		u32 qq = prpct(r, 95) ? 1 : q, s2 = prpct(r, 95) ? 0 : sz;
		set_vals(c, r, rn, S, 4);
		emit(c, 0x2e300800u | qq << 30 | a << 23 | s2 << 22 | op << 12 | rn << 5 | rd);
	} else if (k < 82) { /* scalar pairwise: FMAXNMP FADDP FMAXP FMINNMP FMINP */
		static const u32 ops[][2] = { { 0, 0x0c }, { 0, 0x0d }, { 0, 0x0f }, { 1, 0x0c }, { 1, 0x0f } };
		unsigned i = (unsigned)prbelow(r, ARRAY_SIZE(ops));
		set_vals(c, r, rn, f, 2);
		emit(c, 0x7e300800u | ops[i][0] << 23 | sz << 22 | ops[i][1] << 12 | rn << 5 | rd);
	} else { /* vector two-register misc with FP lanes: all FP opcodes */
		static const u32 ops[][3] = {
			{ 0, 1, 0x0c }, { 0, 1, 0x0d }, { 0, 1, 0x0e }, { 0, 1, 0x0f }, { 1, 1, 0x0c }, { 1, 1, 0x0d },
			{ 1, 1, 0x0f }, { 0, 0, 0x18 }, { 0, 1, 0x18 }, { 0, 0, 0x19 }, { 0, 1, 0x19 }, { 0, 0, 0x1a },
			{ 0, 1, 0x1a }, { 0, 0, 0x1b }, { 0, 1, 0x1b }, { 0, 0, 0x1c }, { 0, 0, 0x1d }, { 0, 1, 0x1d },
			{ 1, 0, 0x18 }, { 1, 0, 0x19 }, { 1, 1, 0x19 }, { 1, 0, 0x1a }, { 1, 1, 0x1a }, { 1, 0, 0x1b },
			{ 1, 1, 0x1b }, { 1, 0, 0x1c }, { 1, 0, 0x1d }, { 1, 1, 0x1d }, { 1, 1, 0x1f },
			{ 1, 1, 0x0e } /* unallocated */, { 0, 1, 0x1f } /* FRECPX: scalar only */,
		};
		unsigned i = (unsigned)prbelow(r, prpct(r, 96) ? ARRAY_SIZE(ops) - 2 : ARRAY_SIZE(ops));
		set_vals(c, r, rn, f, n);
		emit(c, enc_2misc(false, q, ops[i][0], ops[i][1], sz, ops[i][2], rn, rd));
	}
}
