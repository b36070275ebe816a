/* Unit test of the host-FPU fast path (fpu.h, fpf_*) against the soft
 * floating-point core (fpu.c), which the differential test checks against
 * qemu: for every operand set the fast path either declines, leaving the
 * flags untouched, or gives the soft result and the soft FPSR flags bit for
 * bit. Operands: random normals over the whole range, few-bit significands
 * (exact results and ties), related pairs (equal, negated, next, half an
 * ulp), products and quotients landing at the smallest normal, sums and
 * products at the largest finite, FMA addends that put the exact result a
 * hair from a midpoint (where rounding twice would be wrong), and zeros,
 * infinities, NaNs and denormals; every FPCR mode, FPSR.IXC set or clear
 * beforehand. It also fails when the fast path did not run often enough
 * for some operation, or ran where it must not (non-RN, NaN operands,
 * double FMA with IXC clear). The four-lane forms are checked lane by lane
 * and must agree with the one-lane fast path on when to run.
 * AVMM_FPFAST_N sets the number of rounds (default 3000000). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpu/fpu.h"
#include "check.h"

typedef uint64_t u64;

static u64 rng_next(u64 *s)
{
	u64 x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}
static unsigned below(u64 *s, unsigned n) { return (unsigned)(rng_next(s) % n); }

static const unsigned fE[3] = { 5, 8, 11 }, fF[3] = { 10, 23, 52 };
static const int fBias[3] = { 15, 127, 1023 };

static u64 fpack(unsigned f, u64 sign, u64 exp, u64 frac)
{
	return (sign & 1) << (fE[f] + fF[f]) | (exp & ((1ull << fE[f]) - 1)) << fF[f] | (frac & ((1ull << fF[f]) - 1));
}
static u64 emax(unsigned f) { return (1ull << fE[f]) - 1; }
static u64 fmask(unsigned f) { return (1ull << fF[f]) - 1; }
static u64 clampexp(unsigned f, long e) { return e < 1 ? 1 : e > (long)emax(f) - 1 ? emax(f) - 1 : (u64)e; }
static u64 expof(unsigned f, u64 x) { return (x >> fF[f]) & emax(f); }

/* A random significand with only its top k bits random (k = F: all). */
static u64 fewbits(unsigned f, u64 *s, unsigned k)
{
	return k >= fF[f] ? rng_next(s) & fmask(f) : (rng_next(s) & ((1ull << k) - 1)) << (fF[f] - k);
}

/* One operand of format f. */
static u64 gen(unsigned f, u64 *s)
{
	u64 sg = rng_next(s) & 1, em = emax(f), fm = fmask(f);
	int bias = fBias[f];
	switch (below(s, 12)) {
	case 0:
	case 1: return fpack(f, sg, 1 + below(s, (unsigned)em - 1), rng_next(s));
	case 2:
	case 3: return fpack(f, sg, clampexp(f, bias - 30 + (long)below(s, 61)), rng_next(s));
	case 4:
	case 5: return fpack(f, sg, clampexp(f, bias - 8 + (long)below(s, 17)), fewbits(f, s, below(s, 6)));
	case 6: { /* near the smallest normal or the largest finite */
		static const int de[4] = { 1, 2, -2, -1 };
		long e = de[below(s, 4)];
		u64 fr[5] = { 0, 1, fm, fm - 1, rng_next(s) };
		return fpack(f, sg, e > 0 ? (u64)e : em + (u64)e, fr[below(s, 5)]);
	}
	case 7: return fpack(f, sg, 0, 0);
	case 8: /* special: inf, quiet NaN, signalling NaN, denormal */
		switch (below(s, 4)) {
		case 0: return fpack(f, sg, em, 0);
		case 1: return fpack(f, sg, em, 1ull << (fF[f] - 1) | (rng_next(s) & fm));
		case 2: return fpack(f, sg, em, 1 + (rng_next(s) & (fm >> 1)) % (fm >> 1));
		default: return fpack(f, sg, 0, below(s, 2) ? 1 + (rng_next(s) & fm) % fm : fm);
		}
	case 9: /* halves and integers */
		return fpack(f, sg, (u64)bias + below(s, 24), fewbits(f, s, below(s, 12)));
	default: /* square-ish scales: products near the range limits */
		return fpack(f, sg, clampexp(f, (below(s, 2) ? bias / 2 : bias + bias / 2) - 6 + (long)below(s, 12)),
			     fewbits(f, s, below(s, 2) ? fF[f] : below(s, 8)));
	}
}

/* b related to a: equal, negated, next, previous, half an ulp of a (a tie
 * when added), scaled so a*b or a/b is at the smallest normal or near the
 * largest finite, or new. */
static u64 gen_rel(unsigned f, u64 *s, u64 a)
{
	u64 bits = 16u << f, mask = bits == 64 ? ~0ull : (1ull << bits) - 1, sg = rng_next(s) & 1;
	long ea = (long)expof(f, a), bias = fBias[f];
	u64 fr = below(s, 2) ? 0 : fewbits(f, s, below(s, 2) ? fF[f] : below(s, 4));
	switch (below(s, 16)) {
	case 0: return a;
	case 1: return a ^ 1ull << (bits - 1);
	case 2: return (a + 1) & mask;
	case 3: return (a - 1) & mask;
	case 4: /* half an ulp of a, or a little more or less */
		return fpack(f, sg, clampexp(f, ea - (long)fF[f] - 1), below(s, 3) ? 0 : below(s, 2) ? 1 : fmask(f));
	case 5: /* a * b about 2^emin: ea + eb - bias = 1 */
		return fpack(f, sg, clampexp(f, 1 + bias - ea + (long)below(s, 3) - 1), fr);
	case 6: /* a / b about 2^emin: ea - eb + bias = 1 */
		return fpack(f, sg, clampexp(f, ea + bias - 1 + (long)below(s, 3) - 1), fr);
	case 7: /* a * b near the largest finite */
		return fpack(f, sg, clampexp(f, (long)emax(f) - 1 + bias - ea + (long)below(s, 3) - 1), fr);
	case 8: /* a - b near the smallest normal */
		return fpack(f, a >> (bits - 1) ^ 1, expof(f, a), (a & fmask(f)) - below(s, 4));
	default: return gen(f, s);
	}
}

static uint32_t gen_fpcr(u64 *s)
{
	uint32_t v = below(s, 3) ? 0 : (uint32_t)below(s, 4) << FPCR_RMODE_SHIFT; /* RN mostly */
	if (!below(s, 4))
		v |= FPCR_FZ;
	if (!below(s, 4))
		v |= FPCR_DN;
	if (!below(s, 8))
		v |= FPCR_AHP;
	return v;
}

enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_SQRT, OP_FMA, OP_CMP, OP_CVT, NOPS };
static const char *const op_name[NOPS] = { "add", "sub", "mul", "div", "sqrt", "fma", "cmp", "cvt" };

struct counts {
	unsigned long hit[NOPS][3], cases[NOPS][3];
};

static bool fast(unsigned op, unsigned f, u64 a, u64 b, u64 c, fpst *st, u64 *r)
{
	unsigned nz = 0;
	bool ok;
	switch (op) {
	case OP_ADD:
	case OP_SUB:
		return f == FP_S ? fpf_addsub_s((uint32_t)a, (uint32_t)b, op == OP_SUB, st, r)
				 : fpf_addsub_d(a, b, op == OP_SUB, st, r);
	case OP_MUL: return f == FP_S ? fpf_mul_s((uint32_t)a, (uint32_t)b, st, r) : fpf_mul_d(a, b, st, r);
	case OP_DIV: return f == FP_S ? fpf_div_s((uint32_t)a, (uint32_t)b, st, r) : fpf_div_d(a, b, st, r);
	case OP_SQRT: return f == FP_S ? fpf_sqrt_s((uint32_t)a, st, r) : fpf_sqrt_d(a, st, r);
	case OP_FMA:
		return f == FP_S ? fpf_muladd_s((uint32_t)c, (uint32_t)a, (uint32_t)b, st, r) : fpf_muladd_d(c, a, b, st, r);
	case OP_CMP:
		ok = f == FP_S ? fpf_cmp_s((uint32_t)a, (uint32_t)b, st, &nz) : fpf_cmp_d(a, b, st, &nz);
		*r = nz;
		return ok;
	default: /* OP_CVT: from f to the other of S and D */
		return f == FP_S ? fpf_cvt_sd((uint32_t)a, st, r) : fpf_cvt_ds(a, st, r);
	}
}

static u64 soft(unsigned op, unsigned f, u64 a, u64 b, u64 c, bool e, fpst *st)
{
	switch (op) {
	case OP_ADD: return fp_add(f, a, b, st);
	case OP_SUB: return fp_sub(f, a, b, st);
	case OP_MUL: return fp_mul(f, a, b, st);
	case OP_DIV: return fp_div(f, a, b, st);
	case OP_SQRT: return fp_sqrt(f, a, st);
	case OP_FMA: return fp_muladd(f, c, a, b, st);
	case OP_CMP: return fp_compare(f, a, b, e, st);
	default: return fp_convert(f, f == FP_S ? FP_D : FP_S, a, fp_rmode_fpcr(st->fpcr), st);
	}
}

/* The generic wrappers (what the instruction handlers call). */
static u64 wrapped(unsigned op, unsigned f, u64 a, u64 b, u64 c, bool e, fpst *st)
{
	switch (op) {
	case OP_ADD: return fpf_add(f, a, b, false, st);
	case OP_SUB: return fpf_add(f, a, b, true, st);
	case OP_MUL: return fpf_mul(f, a, b, st);
	case OP_DIV: return fpf_div(f, a, b, st);
	case OP_SQRT: return fpf_sqrt(f, a, st);
	case OP_FMA: return fpf_muladd(f, c, a, b, st);
	case OP_CMP: return fpf_compare(f, a, b, e, st);
	default: return fpf_convert(f, f == FP_S ? FP_D : FP_S, a, fp_rmode_fpcr(st->fpcr), st);
	}
}

static bool is_nan(unsigned f, u64 x) { return expof(f, x) == emax(f) && (x & fmask(f)); }

static void one(unsigned op, unsigned f, u64 a, u64 b, u64 c, uint32_t fpcr, uint32_t exc0, struct counts *n)
{
	bool e = a & 2; /* FCMPE or FCMP: any choice */
	fpst ss = { fpcr, exc0 }, fs = ss, ws = ss;
	u64 want = soft(op, f, a, b, c, e, &ss), got = ~0ull;
	bool hit = fast(op, f, a, b, c, &fs, &got);
	u64 wgot = wrapped(op, f, a, b, c, e, &ws);
	n->cases[op][f]++;
	bool bad;
	if (hit) {
		n->hit[op][f]++;
		bad = got != want || fs.exc != ss.exc;
		/* Never for a non-RN mode (except exact conversions and compares), never with a NaN. */
		bad |= op != OP_CMP && !(op == OP_CVT && f == FP_S) && (fpcr & (3u << FPCR_RMODE_SHIFT));
		bad |= is_nan(f, a) || ((op != OP_SQRT && op != OP_CVT) && is_nan(f, b)) || (op == OP_FMA && is_nan(f, c));
		bad |= op == OP_FMA && f == FP_D && !(exc0 & FPSR_IXC); /* its inexact is not detected */
	} else {
		bad = fs.exc != exc0; /* declined: nothing written */
	}
	bad |= wgot != want || ws.exc != ss.exc;
	if (!check_count(!bad))
		check_report(NULL, 0, NULL,
			     "%s %s a=%#llx b=%#llx c=%#llx fpcr=%#x exc0=%#x: soft %#llx flags %#x, fast %s %#llx flags %#x, "
			     "wrapper %#llx flags %#x",
			     op_name[op], f == FP_S ? "S" : "D", (unsigned long long)a, (unsigned long long)b,
			     (unsigned long long)c, fpcr, exc0, (unsigned long long)want, ss.exc, hit ? "took" : "declined",
			     (unsigned long long)got, fs.exc, (unsigned long long)wgot, ws.exc);
}

/* c for a * b + c: the exact result a hair from a midpoint of c's format. */
static void fma_midpoint(unsigned f, u64 *s, u64 *a, u64 *b, u64 *c)
{
	*c = fpack(f, rng_next(s) & 1, clampexp(f, fBias[f] - 20 + (long)below(s, 40)), rng_next(s));
	long ec = (long)expof(f, *c);
	int du = (int)below(s, 7) - 3, dw = (int)below(s, 7) - 3;
	/* a = half an ulp of c times (1 + du 2^-F), b = 1 + dw 2^-F (or just below 1) */
	*a = du >= 0 ? fpack(f, rng_next(s) & 1, clampexp(f, ec - (long)fF[f] - 1), (u64)du)
		     : fpack(f, rng_next(s) & 1, clampexp(f, ec - (long)fF[f] - 2), fmask(f) + 1 - (u64)-du);
	*b = dw >= 0 ? fpack(f, 0, (u64)fBias[f], (u64)dw) : fpack(f, 0, (u64)fBias[f] - 1, fmask(f) + 1 - (u64)-dw);
}

/* Four single lanes (fpf_addsub4_s, fpf_mul4_s, op: OP_ADD, OP_SUB or
 * OP_MUL) against the soft core lane by lane: the vector path must take
 * exactly the cases where every lane's scalar fast path does, and then
 * give the soft lanes and the OR of their flags. */
static void four(unsigned op, u64 *s, unsigned long *hits, unsigned long *cases)
{
	uint32_t a[4], b[4], want[4], got[4] = { 1, 2, 3, 4 }, keep[4] = { 1, 2, 3, 4 };
	uint32_t fpcr = gen_fpcr(s), exc0 = below(s, 2) ? FPSR_IXC : 0;
	for (unsigned i = 0; i < 4; i++) {
		/* mostly moderate values, so that all four lanes are ordinary often */
		a[i] = (uint32_t)(below(s, 4) ? fpack(FP_S, rng_next(s), clampexp(FP_S, 127 - 30 + (long)below(s, 61)),
						  fewbits(FP_S, s, below(s, 2) ? 23 : below(s, 6)))
					: gen(FP_S, s));
		b[i] = (uint32_t)gen_rel(FP_S, s, a[i]);
	}
	fpst ss = { fpcr, exc0 }, vs = ss;
	bool all = true;
	for (unsigned i = 0; i < 4; i++) {
		fpst ls = { fpcr, exc0 };
		u64 x;
		all &= op == OP_MUL ? fpf_mul_s(a[i], b[i], &ls, &x) : fpf_addsub_s(a[i], b[i], op == OP_SUB, &ls, &x);
		want[i] = (uint32_t)soft(op, FP_S, a[i], b[i], 0, false, &ss);
	}
	bool hit = op == OP_MUL ? fpf_mul4_s(a, b, &vs, got) : fpf_addsub4_s(a, b, op == OP_SUB, &vs, got);
	const uint32_t *exp = hit ? want : keep;
	bool bad = hit != all || vs.exc != (hit ? ss.exc : exc0);
	for (unsigned i = 0; i < 4; i++)
		bad |= got[i] != exp[i];
	++*cases;
	*hits += hit;
	if (!check_count(!bad))
		check_report(NULL, 0, NULL,
			     "%s 4S a=%08x,%08x,%08x,%08x b=%08x,%08x,%08x,%08x fpcr=%#x exc0=%#x: vector %s (lanes %s) "
			     "%08x,%08x,%08x,%08x flags %#x, soft %08x,%08x,%08x,%08x flags %#x",
			     op_name[op], a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3], fpcr, exc0,
			     hit ? "took" : "declined", all ? "took" : "declined", got[0], got[1], got[2], got[3], vs.exc,
			     want[0], want[1], want[2], want[3], ss.exc);
}

int main(void)
{
	const char *env = getenv("AVMM_FPFAST_N");
	unsigned long rounds = env ? strtoul(env, NULL, 0) : 3000000;
	u64 seed = 0x9e3779b97f4a7c15ull;
	struct counts n = { { { 0 } }, { { 0 } } };

	/* Pinned cases (S): ties, the smallest normal, the largest finite. */
	static const struct { unsigned op; u64 a, b, c; } pin[] = {
		{ OP_ADD, 0x3f800000, 0x33800000, 0 },  /* 1 + 2^-24: tie to even */
		{ OP_ADD, 0x3f800001, 0x33800000, 0 },  /* tie, rounds up */
		{ OP_MUL, 0x20000000, 0x1f000000, 0 },  /* 2^-63 * 2^-65 = 2^-128: tiny, exact denormal */
		{ OP_MUL, 0x1f800000, 0x20000000, 0 },  /* 2^-64 * 2^-63 = 2^-127 */
		{ OP_MUL, 0x00800000, 0x3f7fffff, 0 },  /* rounds up to the smallest normal: UFC */
		{ OP_MUL, 0x00800000, 0x3f800001, 0 },  /* just above it */
		{ OP_MUL, 0x7f7fffff, 0x3f800001, 0 },  /* overflow */
		{ OP_MUL, 0x7f7fffff, 0x3f7fffff, 0 },  /* below the largest finite */
		{ OP_ADD, 0x7f7fffff, 0x73000000, 0 },  /* max + half ulp: overflow (tie to even) */
		{ OP_ADD, 0x7f7fffff, 0x72800000, 0 },  /* max + quarter ulp: max, inexact */
		{ OP_SUB, 0x00800001, 0x00800000, 0 },  /* exact denormal difference */
		{ OP_SUB, 0x3f800000, 0x3f800000, 0 },  /* exact zero */
		{ OP_DIV, 0x00800000, 0x3f800001, 0 },  /* just below the smallest normal */
		{ OP_DIV, 0x3f800000, 0x40400000, 0 },  /* 1/3 */
		{ OP_SQRT, 0x40800000, 0, 0 },          /* 2: exact */
		{ OP_SQRT, 0x40000000, 0, 0 },          /* sqrt 2 */
		{ OP_FMA, 0x33800000, 0x3f7fffff, 0x3f800000 }, /* 1 + 2^-24 (1 - 2^-24): just under a tie */
		{ OP_FMA, 0x3f800000, 0x3f800000, 0xbf800000 }, /* exact zero */
		{ OP_CMP, 0x80000000, 0, 0 },                   /* -0 == +0 */
	};
	for (unsigned i = 0; i < sizeof(pin) / sizeof(pin[0]); i++)
		for (uint32_t rm = 0; rm < 4; rm++)
			for (uint32_t x = 0; x < 2; x++)
				one(pin[i].op, FP_S, pin[i].a, pin[i].b, pin[i].c, rm << FPCR_RMODE_SHIFT | (x ? FPCR_FZ : 0),
				    x ? FPSR_IXC : 0, &n);
	one(OP_CVT, FP_D, 0x380fffffffffffffull, 0, 0, 0, 0, &n); /* below the smallest normal single */
	one(OP_CVT, FP_D, 0x47efffffefffffffull, 0, 0, 0, 0, &n); /* under max single + half ulp */
	one(OP_CVT, FP_D, 0x47efffffe0000000ull, 0, 0, 0, 0, &n); /* max single + half ulp: overflow */

	for (unsigned long i = 0; i < rounds; i++) {
		unsigned f = below(&seed, 2) ? FP_S : FP_D;
		unsigned op = below(&seed, NOPS);
		uint32_t fpcr = gen_fpcr(&seed);
		uint32_t exc0 = below(&seed, 2) ? FPSR_IXC : 0;
		if (!below(&seed, 4))
			exc0 |= (uint32_t)rng_next(&seed) & (FPSR_IOC | FPSR_DZC | FPSR_OFC | FPSR_UFC | FPSR_IDC);
		u64 a, b, c;
		if (op == OP_FMA && below(&seed, 3) == 0) {
			fma_midpoint(f, &seed, &a, &b, &c);
		} else {
			a = gen(f, &seed);
			b = gen_rel(f, &seed, a);
			c = below(&seed, 3) ? gen(f, &seed) : gen_rel(f, &seed, a); /* FMA: also c close to a*b */
			if (op == OP_FMA && below(&seed, 3) == 0) {
				/* c = -(a*b rounded): the result is the product's rounding error */
				fpst t = { 0, 0 };
				c = fp_neg(f, fp_mul(f, a, b, &t));
			}
		}
		one(op, f, a, b, c, fpcr, exc0, &n);
	}

	static const unsigned vops[3] = { OP_ADD, OP_SUB, OP_MUL };
	unsigned long vhit[3] = { 0 }, vcases[3] = { 0 };
	for (unsigned long i = 0; i < rounds / 4; i++)
		for (unsigned k = 0; k < 3; k++)
			four(vops[k], &seed, &vhit[k], &vcases[k]);
	for (unsigned k = 0; k < 3; k++) {
		printf("%s 4S: vector fast path %lu of %lu\n", op_name[vops[k]], vhit[k], vcases[k]);
		CHECK(!FP_HOST_FAST || vhit[k] * 8 > vcases[k], "%s 4S: vector fast path ran %lu times of %lu",
		      op_name[vops[k]], vhit[k], vcases[k]);
	}

	/* The fast path must have run for a good share of each operation. */
	for (unsigned op = 0; op < NOPS; op++)
		for (unsigned f = FP_S; f <= FP_D; f++) {
			unsigned long h = n.hit[op][f], t = n.cases[op][f];
			printf("%s %s: fast path %lu of %lu\n", op_name[op], f == FP_S ? "S" : "D", h, t);
			if (op == OP_FMA && f == FP_D && !fpf_have_fma())
				CHECK(h == 0, "double FMA fast path ran without a host FMA");
			else if (FP_HOST_FAST)
				CHECK(t && h * 8 > t, "%s: fast path ran %lu times of %lu", op_name[op], h, t);
			else
				CHECK(h == 0, "fast path ran on a host without it");
		}
	return check_summary();
}
