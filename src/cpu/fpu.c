/* The floating-point core (see fpu.h): Arm ARM shared pseudocode for IEEE
 * arithmetic, implemented on integers. A finite nonzero operand is unpacked
 * into sign, significand m (bit 63 set) and exponent e with value
 * m * 2^e; exact intermediate results keep 128 bits, and every result is
 * rounded once by round_pack(), which is the pseudocode's FPRound. */
#include "cpu/fpu.h"

typedef unsigned __int128 u128;
typedef uint64_t u64;

enum { FC_ZERO, FC_NORM, FC_INF, FC_QNAN, FC_SNAN };

typedef struct fpv {
	int cls;
	unsigned sign;
	int exp;  /* FC_NORM: value = m * 2^exp */
	u64 m;    /* FC_NORM: bit 63 set */
} fpv;

static const struct {
	unsigned E, F;
	int bias;
} fmts[3] = { { 5, 10, 15 }, { 8, 23, 127 }, { 11, 52, 1023 } };

#define FMT_E(f) (fmts[f].E)
#define FMT_F(f) (fmts[f].F)
#define FMT_BIAS(f) (fmts[f].bias)

static inline unsigned clz64(u64 x) { return (unsigned)__builtin_clzll(x); }
static inline unsigned clz128(u128 x)
{
	u64 hi = (u64)(x >> 64);
	return hi ? clz64(hi) : 64 + clz64((u64)x);
}

static inline u64 exp_mask(unsigned fmt) { return (1ull << FMT_E(fmt)) - 1; }
static inline u64 frac_mask(unsigned fmt) { return (1ull << FMT_F(fmt)) - 1; }
static inline u64 pack(unsigned fmt, unsigned sign, u64 bexp, u64 frac)
{
	return (u64)sign << (FMT_E(fmt) + FMT_F(fmt)) | bexp << FMT_F(fmt) | frac;
}
static inline u64 fp_zero(unsigned fmt, unsigned sign) { return pack(fmt, sign, 0, 0); }
static inline u64 fp_inf(unsigned fmt, unsigned sign) { return pack(fmt, sign, exp_mask(fmt), 0); }
static inline u64 fp_max_normal(unsigned fmt, unsigned sign)
{
	return pack(fmt, sign, exp_mask(fmt) - 1, frac_mask(fmt));
}
static inline u64 fp_default_nan(unsigned fmt) { return pack(fmt, 0, exp_mask(fmt), 1ull << (FMT_F(fmt) - 1)); }

/* FPUnpack (cv: FPUnpackCV, for conversions). FZ flushes single and double
 * denormals to zero with IDC; half precision honours FPCR.AHP (no
 * infinities or NaNs) and is never flushed (FZ16 is not implemented). */
static fpv unpack(unsigned fmt, u64 x, fpst *st)
{
	fpv v;
	unsigned F = FMT_F(fmt);
	v.sign = (unsigned)(x >> (FMT_E(fmt) + F)) & 1;
	u64 e = (x >> F) & exp_mask(fmt);
	u64 f = x & frac_mask(fmt);
	v.exp = 0;
	v.m = 0;
	if (e == 0) {
		if (f == 0) {
			v.cls = FC_ZERO;
		} else if (fmt != FP_H && (st->fpcr & FPCR_FZ)) {
			v.cls = FC_ZERO;
			st->exc |= FPSR_IDC;
		} else {
			unsigned sh = clz64(f);
			v.cls = FC_NORM;
			v.m = f << sh;
			/* value = f * 2^(1 - bias - F) */
			v.exp = 1 - FMT_BIAS(fmt) - (int)F - (int)sh;
		}
	} else if (e == exp_mask(fmt) && !(fmt == FP_H && (st->fpcr & FPCR_AHP))) {
		if (f == 0)
			v.cls = FC_INF;
		else
			v.cls = (f >> (F - 1)) & 1 ? FC_QNAN : FC_SNAN;
	} else {
		v.cls = FC_NORM;
		v.m = (f | 1ull << F) << (63 - F);
		v.exp = (int)e - FMT_BIAS(fmt) - 63;
	}
	return v;
}

static inline bool is_nan(const fpv *v) { return v->cls >= FC_QNAN; }

/* FPRound (cv: FPRoundCV). value = m * 2^exp, m != 0 (any bit may be set:
 * it is normalized here); bits below the precision only matter as sticky. */
static u64 round_pack(unsigned fmt, unsigned sign, int exp, u64 m, unsigned rmode, bool cv, fpst *st)
{
	const unsigned E = FMT_E(fmt), F = FMT_F(fmt);
	const int min_exp = 1 - FMT_BIAS(fmt);
	unsigned sh = clz64(m);
	m <<= sh;
	exp -= (int)sh;
	int e = exp + 63; /* value = 1.xxx * 2^e */
	if (fmt != FP_H && (st->fpcr & FPCR_FZ) && e < min_exp) {
		st->exc |= FPSR_UFC;
		return fp_zero(fmt, sign);
	}
	int biased = e - min_exp + 1;
	unsigned shift = 63 - F;
	if (biased <= 0) {
		long s = (long)shift + (min_exp - e);
		shift = s > 65 ? 65 : (unsigned)s;
		biased = 0;
	}
	u64 int_mant, rest;
	bool half;
	if (shift < 64) {
		int_mant = m >> shift;
		half = (m >> (shift - 1)) & 1;
		rest = m & ((1ull << (shift - 1)) - 1);
	} else if (shift == 64) {
		int_mant = 0;
		half = m >> 63;
		rest = m & ~(1ull << 63);
	} else {
		int_mant = 0;
		half = false;
		rest = m;
	}
	bool err = half || rest;
	if (biased == 0 && err)
		st->exc |= FPSR_UFC;
	bool round_up, ovf_inf;
	switch (rmode) {
	case FPR_TIEEVEN: round_up = half && (rest || (int_mant & 1)); ovf_inf = true; break;
	case FPR_POSINF: round_up = err && !sign; ovf_inf = !sign; break;
	case FPR_NEGINF: round_up = err && sign; ovf_inf = sign; break;
	case FPR_TIEAWAY: round_up = half; ovf_inf = true; break;
	default: round_up = false; ovf_inf = false; break; /* ZERO, ODD */
	}
	if (round_up) {
		int_mant++;
		if (int_mant == 1ull << F)
			biased = 1;
		if (int_mant == 1ull << (F + 1)) {
			biased++;
			int_mant >>= 1;
		}
	}
	if (err && rmode == FPR_ODD)
		int_mant |= 1;
	u64 res;
	if (!(cv && fmt == FP_H && (st->fpcr & FPCR_AHP))) {
		if (biased >= (int)exp_mask(fmt)) {
			res = ovf_inf ? fp_inf(fmt, sign) : fp_max_normal(fmt, sign);
			st->exc |= FPSR_OFC;
			err = true;
		} else {
			res = pack(fmt, sign, (u64)biased, int_mant & frac_mask(fmt));
		}
	} else {
		if (biased >= (int)(1u << E)) {
			res = pack(fmt, sign, exp_mask(fmt), frac_mask(fmt));
			st->exc |= FPSR_IOC;
			err = false;
		} else {
			res = pack(fmt, sign, (u64)biased, int_mant & frac_mask(fmt));
		}
	}
	if (err)
		st->exc |= FPSR_IXC;
	return res;
}

/* Round a 128-bit exact significand: value = m * 2^exp, m != 0. */
static u64 round_pack128(unsigned fmt, unsigned sign, int exp, u128 m, unsigned rmode, fpst *st)
{
	unsigned msb = 127 - clz128(m);
	if (msb > 63) {
		unsigned s = msb - 63;
		u64 sticky = (m & (((u128)1 << s) - 1)) != 0;
		m = (m >> s) | sticky;
		exp += (int)s;
	}
	return round_pack(fmt, sign, exp, (u64)m, rmode, false, st);
}

static inline unsigned rmode_of(const fpst *st) { return fp_rmode_fpcr(st->fpcr); }

/* FPProcessNaN */
static u64 process_nan(unsigned fmt, const fpv *v, u64 x, fpst *st)
{
	if (v->cls == FC_SNAN) {
		st->exc |= FPSR_IOC;
		x |= 1ull << (FMT_F(fmt) - 1);
	}
	if (st->fpcr & FPCR_DN)
		return fp_default_nan(fmt);
	return x;
}

/* FPProcessNaNs: true (and *res) when an operand is a NaN. */
static bool process_nans(unsigned fmt, const fpv *a, u64 xa, const fpv *b, u64 xb, fpst *st, u64 *res)
{
	if (a->cls == FC_SNAN)
		*res = process_nan(fmt, a, xa, st);
	else if (b->cls == FC_SNAN)
		*res = process_nan(fmt, b, xb, st);
	else if (a->cls == FC_QNAN)
		*res = process_nan(fmt, a, xa, st);
	else if (b->cls == FC_QNAN)
		*res = process_nan(fmt, b, xb, st);
	else
		return false;
	return true;
}

static bool process_nans3(unsigned fmt, const fpv *a, u64 xa, const fpv *b, u64 xb, const fpv *c, u64 xc, fpst *st,
			  u64 *res)
{
	if (a->cls == FC_SNAN)
		*res = process_nan(fmt, a, xa, st);
	else if (b->cls == FC_SNAN)
		*res = process_nan(fmt, b, xb, st);
	else if (c->cls == FC_SNAN)
		*res = process_nan(fmt, c, xc, st);
	else if (a->cls == FC_QNAN)
		*res = process_nan(fmt, a, xa, st);
	else if (b->cls == FC_QNAN)
		*res = process_nan(fmt, b, xb, st);
	else if (c->cls == FC_QNAN)
		*res = process_nan(fmt, c, xc, st);
	else
		return false;
	return true;
}

/* Exact sum of two values (ma * 2^ea with sign sa, likewise b), rounded.
 * Either significand may be zero. A zero exact result has its sign chosen
 * by the rounding mode (the callers have handled same-signed zeros). */
static u64 add_exact(unsigned fmt, unsigned sa, int ea, u128 ma, unsigned sb, int eb, u128 mb, int exp_adj,
		     fpst *st)
{
	/* Bring both to bit 125 (headroom for the carry), shifting right with
	 * sticky where they are wider. */
	u128 *pm[2] = { &ma, &mb };
	int *pe[2] = { &ea, &eb };
	for (int i = 0; i < 2; i++) {
		u128 m = *pm[i];
		if (!m)
			continue;
		int msb = 127 - (int)clz128(m);
		if (msb < 125) {
			*pm[i] = m << (125 - msb);
			*pe[i] -= 125 - msb;
		} else if (msb > 125) {
			unsigned s = (unsigned)(msb - 125);
			*pm[i] = (m >> s) | ((m & (((u128)1 << s) - 1)) != 0);
			*pe[i] += (int)s;
		}
	}
	if (!ma) {
		ma = mb;
		ea = eb;
		sa = sb;
		mb = 0;
	}
	if (mb) {
		if (ea < eb || (ea == eb && mb > ma)) {
			u128 tm = ma; ma = mb; mb = tm;
			int te = ea; ea = eb; eb = te;
			unsigned ts = sa; sa = sb; sb = ts;
		}
		unsigned d = (unsigned)(ea - eb);
		if (d >= 127)
			mb = 1;
		else if (d)
			mb = (mb >> d) | ((mb & (((u128)1 << d) - 1)) != 0);
		ma = sa == sb ? ma + mb : ma - mb;
	}
	if (!ma)
		return fp_zero(fmt, rmode_of(st) == FPR_NEGINF);
	return round_pack128(fmt, sa, ea + exp_adj, ma, rmode_of(st), st);
}

static u64 addsub(unsigned fmt, u64 a, u64 b, bool sub, fpst *st)
{
	fpv va = unpack(fmt, a, st), vb = unpack(fmt, b, st);
	u64 r;
	if (process_nans(fmt, &va, a, &vb, b, st, &r))
		return r;
	unsigned sb = vb.sign ^ sub;
	bool ia = va.cls == FC_INF, ib = vb.cls == FC_INF;
	if (ia && ib && va.sign != sb) {
		st->exc |= FPSR_IOC;
		return fp_default_nan(fmt);
	}
	if (ia)
		return fp_inf(fmt, va.sign);
	if (ib)
		return fp_inf(fmt, sb);
	if (va.cls == FC_ZERO && vb.cls == FC_ZERO && va.sign == sb)
		return fp_zero(fmt, sb);
	return add_exact(fmt, va.sign, va.exp, va.m, sb, vb.exp, vb.m, 0, st);
}

uint64_t fp_add(unsigned fmt, uint64_t a, uint64_t b, fpst *st) { return addsub(fmt, a, b, false, st); }
uint64_t fp_sub(unsigned fmt, uint64_t a, uint64_t b, fpst *st) { return addsub(fmt, a, b, true, st); }

static u64 mul(unsigned fmt, u64 a, u64 b, bool mulx, fpst *st)
{
	fpv va = unpack(fmt, a, st), vb = unpack(fmt, b, st);
	u64 r;
	if (process_nans(fmt, &va, a, &vb, b, st, &r))
		return r;
	unsigned s = va.sign ^ vb.sign;
	bool ia = va.cls == FC_INF, ib = vb.cls == FC_INF;
	bool za = va.cls == FC_ZERO, zb = vb.cls == FC_ZERO;
	if ((ia && zb) || (za && ib)) {
		if (mulx)
			return pack(fmt, s, (u64)FMT_BIAS(fmt) + 1, 0); /* FPTwo */
		st->exc |= FPSR_IOC;
		return fp_default_nan(fmt);
	}
	if (ia || ib)
		return fp_inf(fmt, s);
	if (za || zb)
		return fp_zero(fmt, s);
	return round_pack128(fmt, s, va.exp + vb.exp, (u128)va.m * vb.m, rmode_of(st), st);
}

uint64_t fp_mul(unsigned fmt, uint64_t a, uint64_t b, fpst *st) { return mul(fmt, a, b, false, st); }
uint64_t fp_mulx(unsigned fmt, uint64_t a, uint64_t b, fpst *st) { return mul(fmt, a, b, true, st); }

uint64_t fp_div(unsigned fmt, uint64_t a, uint64_t b, fpst *st)
{
	fpv va = unpack(fmt, a, st), vb = unpack(fmt, b, st);
	u64 r;
	if (process_nans(fmt, &va, a, &vb, b, st, &r))
		return r;
	unsigned s = va.sign ^ vb.sign;
	bool ia = va.cls == FC_INF, ib = vb.cls == FC_INF;
	bool za = va.cls == FC_ZERO, zb = vb.cls == FC_ZERO;
	if ((ia && ib) || (za && zb)) {
		st->exc |= FPSR_IOC;
		return fp_default_nan(fmt);
	}
	if (ia || zb) {
		if (!ia)
			st->exc |= FPSR_DZC;
		return fp_inf(fmt, s);
	}
	if (za || ib)
		return fp_zero(fmt, s);
	u128 n = (u128)va.m << 63;
	u128 q = n / vb.m;
	u64 rem = (u64)(n - q * vb.m);
	return round_pack128(fmt, s, va.exp - vb.exp - 63, q | (rem != 0), rmode_of(st), st);
}

/* Compare two non-NaN unpacked values: -1, 0, 1. */
static int cmp_vals(const fpv *a, const fpv *b)
{
	if (a->cls == FC_ZERO && b->cls == FC_ZERO)
		return 0;
	/* Map to a signed total order: magnitude key then sign. */
	int ka, kb;
	if (a->sign != b->sign) {
		if (a->cls == FC_ZERO)
			return b->sign ? 1 : -1;
		if (b->cls == FC_ZERO)
			return a->sign ? -1 : 1;
		return a->sign ? -1 : 1;
	}
	/* same sign: compare magnitudes */
	ka = a->cls == FC_ZERO ? 0 : a->cls == FC_INF ? 2 : 1;
	kb = b->cls == FC_ZERO ? 0 : b->cls == FC_INF ? 2 : 1;
	int mag;
	if (ka != kb)
		mag = ka < kb ? -1 : 1;
	else if (ka != 1)
		mag = 0;
	else if (a->exp != b->exp)
		mag = a->exp < b->exp ? -1 : 1;
	else
		mag = a->m == b->m ? 0 : a->m < b->m ? -1 : 1;
	return a->sign ? -mag : mag;
}

static u64 maxmin(unsigned fmt, u64 a, u64 b, bool is_max, bool num, fpst *st)
{
	fpv va = unpack(fmt, a, st), vb = unpack(fmt, b, st);
	if (num) {
		/* FPMaxNum/FPMinNum: a single quiet NaN is -Inf (max) / +Inf (min). */
		if (va.cls == FC_QNAN && vb.cls != FC_QNAN) {
			va.cls = FC_INF;
			va.sign = is_max;
			a = fp_inf(fmt, is_max);
		} else if (va.cls != FC_QNAN && vb.cls == FC_QNAN) {
			vb.cls = FC_INF;
			vb.sign = is_max;
			b = fp_inf(fmt, is_max);
		}
	}
	u64 r;
	if (process_nans(fmt, &va, a, &vb, b, st, &r))
		return r;
	int c = cmp_vals(&va, &vb);
	bool pick_a = is_max ? c > 0 : c < 0;
	const fpv *p = pick_a ? &va : &vb;
	u64 x = pick_a ? a : b;
	if (p->cls == FC_INF)
		return fp_inf(fmt, p->sign);
	if (p->cls == FC_ZERO)
		return fp_zero(fmt, is_max ? (va.sign & vb.sign) : (va.sign | vb.sign));
	return x; /* exact: FPRound gives the operand back (FZ already applied) */
}

uint64_t fp_max(unsigned fmt, uint64_t a, uint64_t b, fpst *st) { return maxmin(fmt, a, b, true, false, st); }
uint64_t fp_min(unsigned fmt, uint64_t a, uint64_t b, fpst *st) { return maxmin(fmt, a, b, false, false, st); }
uint64_t fp_maxnum(unsigned fmt, uint64_t a, uint64_t b, fpst *st) { return maxmin(fmt, a, b, true, true, st); }
uint64_t fp_minnum(unsigned fmt, uint64_t a, uint64_t b, fpst *st) { return maxmin(fmt, a, b, false, true, st); }

/* floor(sqrt(r)) for r < 2^128. */
static u64 isqrt128(u128 r, bool *exact)
{
	u64 x = 0;
	for (int bit = 63; bit >= 0; bit--) {
		u64 t = x | 1ull << bit;
		if ((u128)t * t <= r)
			x = t;
	}
	*exact = (u128)x * x == r;
	return x;
}

uint64_t fp_sqrt(unsigned fmt, uint64_t a, fpst *st)
{
	fpv va = unpack(fmt, a, st);
	if (is_nan(&va))
		return process_nan(fmt, &va, a, st);
	if (va.cls == FC_ZERO)
		return fp_zero(fmt, va.sign);
	if (va.cls == FC_INF && !va.sign)
		return a;
	if (va.sign) {
		st->exc |= FPSR_IOC;
		return fp_default_nan(fmt);
	}
	/* value = m * 2^e; make the exponent even. */
	u128 r;
	int e;
	if (va.exp & 1) {
		r = (u128)va.m << 63;
		e = va.exp - 63;
	} else {
		r = (u128)va.m << 64;
		e = va.exp - 64;
	}
	bool exact;
	u64 q = isqrt128(r, &exact);
	return round_pack(fmt, 0, e / 2, q | !exact, rmode_of(st), false, st);
}

/* FPMulAdd core after the operands' signs are final. */
static u64 muladd_v(unsigned fmt, fpv *vc, u64 c, fpv *va, u64 a, fpv *vb, u64 b, int step, fpst *st)
{
	u64 r;
	bool ia = va->cls == FC_INF, ib = vb->cls == FC_INF, za = va->cls == FC_ZERO, zb = vb->cls == FC_ZERO;
	if (process_nans3(fmt, vc, c, va, a, vb, b, st, &r)) {
		if (vc->cls == FC_QNAN && ((ia && zb) || (za && ib))) {
			st->exc |= FPSR_IOC;
			return fp_default_nan(fmt);
		}
		return r;
	}
	unsigned sp = va->sign ^ vb->sign;
	bool ip = ia || ib, zp = za || zb;
	bool ic = vc->cls == FC_INF, zc = vc->cls == FC_ZERO;
	if ((ia && zb) || (za && ib) || (ic && ip && vc->sign != sp)) {
		st->exc |= FPSR_IOC;
		return fp_default_nan(fmt);
	}
	if ((ic && !vc->sign) || (ip && !sp))
		return fp_inf(fmt, 0);
	if ((ic && vc->sign) || (ip && sp))
		return fp_inf(fmt, 1);
	if (zc && zp && vc->sign == sp)
		return fp_zero(fmt, sp);
	u128 mp = zp ? 0 : (u128)va->m * vb->m;
	return add_exact(fmt, vc->sign, vc->exp, zc ? 0 : vc->m, sp, va->exp + vb->exp, mp, step, st);
}

uint64_t fp_muladd(unsigned fmt, uint64_t addend, uint64_t a, uint64_t b, fpst *st)
{
	fpv vc = unpack(fmt, addend, st), va = unpack(fmt, a, st), vb = unpack(fmt, b, st);
	return muladd_v(fmt, &vc, addend, &va, a, &vb, b, 0, st);
}

/* FPRecipStepFused / FPRSqrtStepFused: op1 is negated first (a NaN op1
 * comes back with its sign flipped). */
static u64 step_fused(unsigned fmt, u64 a, u64 b, bool rsqrt, fpst *st)
{
	a = fp_neg(fmt, a);
	fpv va = unpack(fmt, a, st), vb = unpack(fmt, b, st);
	u64 r;
	if (process_nans(fmt, &va, a, &vb, b, st, &r))
		return r;
	bool ia = va.cls == FC_INF, ib = vb.cls == FC_INF, za = va.cls == FC_ZERO, zb = vb.cls == FC_ZERO;
	if ((ia && zb) || (za && ib)) /* 2.0 or 1.5 */
		return rsqrt ? pack(fmt, 0, (u64)FMT_BIAS(fmt), 1ull << (FMT_F(fmt) - 1))
			     : pack(fmt, 0, (u64)FMT_BIAS(fmt) + 1, 0);
	if (ia || ib)
		return fp_inf(fmt, va.sign ^ vb.sign);
	/* constant c = 2.0 or 3.0 as an unpacked value */
	fpv vc = { FC_NORM, 0, rsqrt ? -62 : -62, rsqrt ? 3ull << 62 : 1ull << 63 };
	u128 mp = (za || zb) ? 0 : (u128)va.m * vb.m;
	return add_exact(fmt, 0, vc.exp, vc.m, va.sign ^ vb.sign, va.exp + vb.exp, mp, rsqrt ? -1 : 0, st);
}

uint64_t fp_recps(unsigned fmt, uint64_t a, uint64_t b, fpst *st) { return step_fused(fmt, a, b, false, st); }
uint64_t fp_rsqrts(unsigned fmt, uint64_t a, uint64_t b, fpst *st) { return step_fused(fmt, a, b, true, st); }

/* ---- estimates ---- */

static unsigned recip_estimate(unsigned a) /* 256 <= a < 512 */
{
	a = a * 2 + 1;
	unsigned b = (1u << 19) / a;
	return (b + 1) / 2;
}

static unsigned rsqrt_estimate(unsigned a) /* 128 <= a < 512 */
{
	if (a < 256)
		a = a * 2 + 1;
	else {
		a = (a >> 1) << 1;
		a = (a + 1) * 2;
	}
	unsigned b = 512;
	while ((u64)a * (b + 1) * (b + 1) < (1ull << 28))
		b++;
	return (b + 1) / 2;
}

uint32_t fp_urecpe(uint32_t a)
{
	if (!(a >> 31))
		return 0xffffffffu;
	return recip_estimate(a >> 23) << 23;
}

uint32_t fp_ursqrte(uint32_t a)
{
	if (!(a >> 30))
		return 0xffffffffu;
	return rsqrt_estimate(a >> 23) << 23;
}

/* The operand's fraction as a 52-bit field and its biased exponent. */
static void est_fields(unsigned fmt, u64 x, u64 *frac, int *exp)
{
	unsigned F = FMT_F(fmt);
	*frac = (x & frac_mask(fmt)) << (52 - F);
	*exp = (int)((x >> F) & exp_mask(fmt));
}

uint64_t fp_recpe(unsigned fmt, uint64_t a, fpst *st)
{
	fpv v = unpack(fmt, a, st);
	if (is_nan(&v))
		return process_nan(fmt, &v, a, st);
	if (v.cls == FC_INF)
		return fp_zero(fmt, v.sign);
	if (v.cls == FC_ZERO) {
		st->exc |= FPSR_DZC;
		return fp_inf(fmt, v.sign);
	}
	/* |value| < 2^-(bias+1) (2^-128 for S, 2^-1024 for D, 2^-16 for H) */
	int e2 = v.exp + 63;
	if (e2 < -(FMT_BIAS(fmt) + 1)) {
		unsigned rm = rmode_of(st);
		bool ovf_inf = rm == FPR_TIEEVEN || (rm == FPR_POSINF && !v.sign) || (rm == FPR_NEGINF && v.sign);
		st->exc |= FPSR_OFC | FPSR_IXC;
		return ovf_inf ? fp_inf(fmt, v.sign) : fp_max_normal(fmt, v.sign);
	}
	if (fmt != FP_H && (st->fpcr & FPCR_FZ) && e2 >= FMT_BIAS(fmt) - 1) {
		st->exc |= FPSR_UFC;
		return fp_zero(fmt, v.sign);
	}
	u64 frac;
	int exp;
	est_fields(fmt, a, &frac, &exp);
	if (exp == 0) {
		if (!((frac >> 51) & 1)) {
			exp = -1;
			frac = (frac << 2) & ((1ull << 52) - 1);
		} else {
			frac = (frac << 1) & ((1ull << 52) - 1);
		}
	}
	unsigned scaled = (unsigned)(256 | (frac >> 44));
	int result_exp = 2 * FMT_BIAS(fmt) - 1 - exp;
	unsigned est = recip_estimate(scaled);
	u64 rf = (u64)(est & 0xff) << 44;
	if (result_exp == 0) {
		rf = 1ull << 51 | rf >> 1;
	} else if (result_exp == -1) {
		rf = 1ull << 50 | rf >> 2;
		result_exp = 0;
	}
	return pack(fmt, v.sign, (u64)result_exp, rf >> (52 - FMT_F(fmt)));
}

uint64_t fp_rsqrte(unsigned fmt, uint64_t a, fpst *st)
{
	fpv v = unpack(fmt, a, st);
	if (is_nan(&v))
		return process_nan(fmt, &v, a, st);
	if (v.cls == FC_ZERO) {
		st->exc |= FPSR_DZC;
		return fp_inf(fmt, v.sign);
	}
	if (v.sign) {
		st->exc |= FPSR_IOC;
		return fp_default_nan(fmt);
	}
	if (v.cls == FC_INF)
		return fp_zero(fmt, 0);
	u64 frac;
	int exp;
	est_fields(fmt, a, &frac, &exp);
	if (exp == 0) {
		while (!((frac >> 51) & 1)) {
			frac = (frac << 1) & ((1ull << 52) - 1);
			exp--;
		}
		frac = (frac << 1) & ((1ull << 52) - 1);
	}
	unsigned scaled = (exp & 1) == 0 ? (unsigned)(256 | (frac >> 44)) : (unsigned)(128 | (frac >> 45));
	/* (3 * bias - 1 - exp) DIV 2, exp may be negative: floor division */
	int num = 3 * FMT_BIAS(fmt) - 1 - exp;
	int result_exp = num / 2; /* num > 0 */
	unsigned est = rsqrt_estimate(scaled);
	return pack(fmt, 0, (u64)result_exp, ((u64)(est & 0xff) << 44) >> (52 - FMT_F(fmt)));
}

uint64_t fp_recpx(unsigned fmt, uint64_t a, fpst *st)
{
	fpv v = unpack(fmt, a, st);
	if (is_nan(&v))
		return process_nan(fmt, &v, a, st);
	u64 e = (a >> FMT_F(fmt)) & exp_mask(fmt);
	if (e == 0)
		return pack(fmt, v.sign, exp_mask(fmt) - 1, 0);
	return pack(fmt, v.sign, ~e & exp_mask(fmt), 0);
}

/* ---- compares ---- */

unsigned fp_compare(unsigned fmt, uint64_t a, uint64_t b, bool signal_nans, fpst *st)
{
	fpv va = unpack(fmt, a, st), vb = unpack(fmt, b, st);
	if (is_nan(&va) || is_nan(&vb)) {
		if (va.cls == FC_SNAN || vb.cls == FC_SNAN || signal_nans)
			st->exc |= FPSR_IOC;
		return 0x3;
	}
	int c = cmp_vals(&va, &vb);
	return c == 0 ? 0x6 : c < 0 ? 0x8 : 0x2;
}

bool fp_compare_eq(unsigned fmt, uint64_t a, uint64_t b, fpst *st)
{
	fpv va = unpack(fmt, a, st), vb = unpack(fmt, b, st);
	if (is_nan(&va) || is_nan(&vb)) {
		if (va.cls == FC_SNAN || vb.cls == FC_SNAN)
			st->exc |= FPSR_IOC;
		return false;
	}
	return cmp_vals(&va, &vb) == 0;
}

bool fp_compare_ge(unsigned fmt, uint64_t a, uint64_t b, fpst *st)
{
	fpv va = unpack(fmt, a, st), vb = unpack(fmt, b, st);
	if (is_nan(&va) || is_nan(&vb)) {
		st->exc |= FPSR_IOC;
		return false;
	}
	return cmp_vals(&va, &vb) >= 0;
}

bool fp_compare_gt(unsigned fmt, uint64_t a, uint64_t b, fpst *st)
{
	fpv va = unpack(fmt, a, st), vb = unpack(fmt, b, st);
	if (is_nan(&va) || is_nan(&vb)) {
		st->exc |= FPSR_IOC;
		return false;
	}
	return cmp_vals(&va, &vb) > 0;
}

/* ---- integer rounding and conversions ---- */

/* Round |value| = m * 2^k to an integer (k < 0 allowed, m != 0) in the
 * given mode for a value of sign `sign`. Returns the magnitude (up to
 * 2^64 + ... saturates at 2^127), *inexact set when a fraction was lost. */
static u128 round_mag(u64 m, int k, unsigned sign, unsigned rmode, bool *inexact)
{
	if (k >= 0) {
		*inexact = false;
		if (k > 63)
			return (u128)1 << 127;
		return (u128)m << k;
	}
	unsigned s = (unsigned)-k;
	u64 ip;
	bool half, rest;
	if (s < 64) {
		ip = m >> s;
		half = (m >> (s - 1)) & 1;
		rest = (m & ((1ull << (s - 1)) - 1)) != 0;
	} else if (s == 64) {
		ip = 0;
		half = m >> 63;
		rest = (m << 1) != 0;
	} else {
		ip = 0;
		half = false;
		rest = true;
	}
	bool err = half || rest, up;
	switch (rmode) {
	case FPR_TIEEVEN: up = half && (rest || (ip & 1)); break;
	case FPR_TIEAWAY: up = half; break;
	case FPR_POSINF: up = err && !sign; break;
	case FPR_NEGINF: up = err && sign; break;
	default: up = false; break;
	}
	*inexact = err;
	return (u128)ip + up;
}

uint64_t fp_round_int(unsigned fmt, uint64_t a, unsigned rmode, bool exact, fpst *st)
{
	fpv v = unpack(fmt, a, st);
	if (is_nan(&v))
		return process_nan(fmt, &v, a, st);
	if (v.cls == FC_INF)
		return fp_inf(fmt, v.sign);
	if (v.cls == FC_ZERO)
		return fp_zero(fmt, v.sign);
	if (v.exp >= 0)
		return a; /* already an integer */
	bool inexact;
	u128 mag = round_mag(v.m, v.exp, v.sign, rmode, &inexact);
	u64 r;
	if (mag == 0)
		r = fp_zero(fmt, v.sign);
	else
		r = round_pack(fmt, v.sign, 0, (u64)mag, FPR_ZERO, false, st); /* exact */
	if (inexact && exact)
		st->exc |= FPSR_IXC;
	return r;
}

uint64_t fp_convert(unsigned from, unsigned to, uint64_t a, unsigned rmode, fpst *st)
{
	fpv v = unpack(from, a, st);
	bool alt = to == FP_H && (st->fpcr & FPCR_AHP);
	if (is_nan(&v)) {
		u64 r;
		if (alt) {
			r = fp_zero(to, v.sign);
		} else if (st->fpcr & FPCR_DN) {
			r = fp_default_nan(to);
		} else {
			unsigned Ff = FMT_F(from), Ft = FMT_F(to);
			u64 frac = a & frac_mask(from);
			frac = Ft > Ff ? frac << (Ft - Ff) : frac >> (Ff - Ft);
			r = pack(to, v.sign, exp_mask(to), frac | 1ull << (Ft - 1));
		}
		if (v.cls == FC_SNAN || alt)
			st->exc |= FPSR_IOC;
		return r;
	}
	if (v.cls == FC_INF) {
		if (alt) {
			st->exc |= FPSR_IOC;
			return pack(to, v.sign, exp_mask(to), frac_mask(to));
		}
		return fp_inf(to, v.sign);
	}
	if (v.cls == FC_ZERO)
		return fp_zero(to, v.sign);
	return round_pack(to, v.sign, v.exp, v.m, rmode, true, st);
}

uint64_t fp_to_fixed(unsigned fmt, uint64_t a, unsigned fbits, bool is_unsigned, unsigned ibits, unsigned rmode,
		     fpst *st)
{
	fpv v = unpack(fmt, a, st);
	if (is_nan(&v)) {
		st->exc |= FPSR_IOC;
		return 0;
	}
	u128 mag;
	bool inexact = false;
	if (v.cls == FC_ZERO)
		return 0;
	if (v.cls == FC_INF)
		mag = (u128)1 << 127;
	else
		mag = round_mag(v.m, v.exp + (int)fbits, v.sign, rmode, &inexact);
	u64 res;
	bool ovf;
	if (is_unsigned) {
		u128 max = ((u128)1 << ibits) - 1;
		if (v.sign && mag) {
			ovf = true;
			res = 0;
		} else if (mag > max) {
			ovf = true;
			res = (u64)max;
		} else {
			ovf = false;
			res = (u64)mag;
		}
	} else {
		u128 lim = (u128)1 << (ibits - 1); /* |min| */
		if (v.sign) {
			ovf = mag > lim;
			res = ovf ? (u64)0 - (u64)lim : (u64)0 - (u64)mag;
		} else {
			ovf = mag > lim - 1;
			res = ovf ? (u64)(lim - 1) : (u64)mag;
		}
		if (ibits == 32)
			res &= 0xffffffffu;
	}
	if (ovf)
		st->exc |= FPSR_IOC;
	else if (inexact)
		st->exc |= FPSR_IXC;
	return res;
}

uint64_t fp_from_fixed(unsigned fmt, uint64_t v, unsigned fbits, bool is_unsigned, unsigned ibits, unsigned rmode,
		       fpst *st)
{
	unsigned sign = 0;
	if (ibits == 32)
		v = is_unsigned ? (uint32_t)v : (u64)(int64_t)(int32_t)v;
	if (!is_unsigned && (int64_t)v < 0) {
		sign = 1;
		v = (u64)0 - v;
	}
	if (!v)
		return fp_zero(fmt, 0);
	return round_pack(fmt, sign, -(int)fbits, v, rmode, false, st);
}

uint64_t fp_expand_imm(unsigned fmt, unsigned imm8)
{
	unsigned E = FMT_E(fmt), F = FMT_F(fmt);
	unsigned sign = imm8 >> 7 & 1, b6 = imm8 >> 6 & 1;
	/* exp = NOT(b6) : Replicate(b6, E-3) : imm8<5:4> */
	u64 exp = (u64)(!b6) << (E - 1) | (b6 ? ((1ull << (E - 3)) - 1) << 2 : 0) | (imm8 >> 4 & 3);
	u64 frac = (u64)(imm8 & 15) << (F - 4);
	return pack(fmt, sign, exp, frac);
}
