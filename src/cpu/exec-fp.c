/* A64 floating point: scalar FP and the floating-point forms of Advanced
 * SIMD (a64-fp.decode). The arithmetic is fpu.c's, through fpu.h's host
 * fast path (fpf_*) for add, sub, mul, div, sqrt, single FMA, compares and
 * S<->D conversions; the handlers here move lanes, check FP access
 * (CPACR_EL1.FPEN) and accumulate FPSR flags.
 *
 * Register conventions: a scalar result writes the low `esize` bits of Vd
 * and zeroes the rest; a 64-bit vector result zeroes the upper half; all
 * lanes of a result are computed before Vd is written (Vd may be a source). */
#include "cpu/internal.h"
#include "cpu/fpu.h"
#include "a64-decode.h"

typedef uint64_t u64;

/* Rounding-mode operand meaning "FPCR.RMode at run time". */
#define RM_FPCR 7

/* The FP state for one instruction: FPCR in, FPSR.IXC in too (cumulative:
 * the host fast path needs no inexact check once it is set). */
static inline fpst fp_state(const struct a64_cpu *c) { return (fpst){ c->fpcr, c->fpsr & FPSR_IXC }; }

static inline unsigned rm_resolve(unsigned rm, uint32_t fpcr) { return rm == RM_FPCR ? fp_rmode_fpcr(fpcr) : rm; }

static inline u64 lane_get(const struct a64_cpu *c, unsigned r, unsigned fmt, unsigned i)
{
	switch (fmt) {
	case FP_H: return c->v[r].h[i];
	case FP_S: return c->v[r].s[i];
	default: return c->v[r].d[i];
	}
}

/* A 128-bit result being built. */
typedef union {
	uint64_t d[2];
	uint32_t s[4];
	uint16_t h[8];
} vres;

static inline void lane_set(vres *v, unsigned fmt, unsigned i, u64 x)
{
	switch (fmt) {
	case FP_H: v->h[i] = (uint16_t)x; break;
	case FP_S: v->s[i] = (uint32_t)x; break;
	default: v->d[i] = x; break;
	}
}

static inline void vres_store(struct a64_cpu *c, unsigned r, const vres *v)
{
	c->v[r].d[0] = v->d[0];
	c->v[r].d[1] = v->d[1];
}

static inline void set_scalar(struct a64_cpu *c, unsigned r, unsigned fmt, u64 x)
{
	c->v[r].d[0] = fmt == FP_D ? x : fmt == FP_S ? (uint32_t)x : (uint16_t)x;
	c->v[r].d[1] = 0;
}

static inline u64 ones(unsigned fmt) { return fmt == FP_D ? ~0ull : fmt == FP_S ? 0xffffffffull : 0xffffull; }

/* ---- operations on lanes --------------------------------------------------- */

enum {
	BOP_ADD, BOP_SUB, BOP_MUL, BOP_DIV, BOP_MAX, BOP_MIN, BOP_MAXNM, BOP_MINNM, BOP_NMUL, BOP_MULX,
	BOP_ABD, BOP_RECPS, BOP_RSQRTS, BOP_CMEQ, BOP_CMGE, BOP_CMGT, BOP_ACGE, BOP_ACGT, BOP_MLA, BOP_MLS,
};

static u64 bop(unsigned op, unsigned fmt, u64 acc, u64 a, u64 b, fpst *st)
{
	switch (op) {
	case BOP_ADD: return fpf_add(fmt, a, b, false, st);
	case BOP_SUB: return fpf_add(fmt, a, b, true, st);
	case BOP_MUL: return fpf_mul(fmt, a, b, st);
	case BOP_DIV: return fpf_div(fmt, a, b, st);
	case BOP_MAX: return fp_max(fmt, a, b, st);
	case BOP_MIN: return fp_min(fmt, a, b, st);
	case BOP_MAXNM: return fp_maxnum(fmt, a, b, st);
	case BOP_MINNM: return fp_minnum(fmt, a, b, st);
	case BOP_NMUL: return fp_neg(fmt, fpf_mul(fmt, a, b, st));
	case BOP_MULX: return fp_mulx(fmt, a, b, st);
	case BOP_ABD: return fp_abs(fmt, fpf_add(fmt, a, b, true, st));
	case BOP_RECPS: return fp_recps(fmt, a, b, st);
	case BOP_RSQRTS: return fp_rsqrts(fmt, a, b, st);
	case BOP_CMEQ: return fp_compare_eq(fmt, a, b, st) ? ones(fmt) : 0;
	case BOP_CMGE: return fp_compare_ge(fmt, a, b, st) ? ones(fmt) : 0;
	case BOP_CMGT: return fp_compare_gt(fmt, a, b, st) ? ones(fmt) : 0;
	case BOP_ACGE: return fp_compare_ge(fmt, fp_abs(fmt, a), fp_abs(fmt, b), st) ? ones(fmt) : 0;
	case BOP_ACGT: return fp_compare_gt(fmt, fp_abs(fmt, a), fp_abs(fmt, b), st) ? ones(fmt) : 0;
	case BOP_MLA: return fpf_muladd(fmt, acc, a, b, st);
	default: return fpf_muladd(fmt, acc, fp_neg(fmt, a), b, st); /* BOP_MLS */
	}
}

enum {
	UOP_MOV, UOP_ABS, UOP_NEG, UOP_SQRT, UOP_RINT, UOP_RINTX, UOP_TOS, UOP_TOU, UOP_SCVT, UOP_UCVT,
	UOP_RECPE, UOP_RSQRTE, UOP_RECPX, UOP_CMGT0, UOP_CMEQ0, UOP_CMLT0, UOP_CMGE0, UOP_CMLE0,
	UOP_URECPE, UOP_URSQRTE,
};

/* p: rounding mode in bits 2:0 (RM_FPCR: FPCR's), fbits in bits 15:8. */
static u64 uop(unsigned op, unsigned fmt, u64 a, unsigned p, fpst *st)
{
	unsigned rm = rm_resolve(p & 7, st->fpcr), fbits = (p >> 8) & 0xff, ib = fp_bits(fmt);
	switch (op) {
	case UOP_MOV: return a;
	case UOP_ABS: return fp_abs(fmt, a);
	case UOP_NEG: return fp_neg(fmt, a);
	case UOP_SQRT: return fpf_sqrt(fmt, a, st);
	case UOP_RINT: return fp_round_int(fmt, a, rm, false, st);
	case UOP_RINTX: return fp_round_int(fmt, a, rm, true, st);
	case UOP_TOS: return fp_to_fixed(fmt, a, fbits, false, ib, rm, st);
	case UOP_TOU: return fp_to_fixed(fmt, a, fbits, true, ib, rm, st);
	case UOP_SCVT: return fp_from_fixed(fmt, a, fbits, false, ib, rm, st);
	case UOP_UCVT: return fp_from_fixed(fmt, a, fbits, true, ib, rm, st);
	case UOP_RECPE: return fp_recpe(fmt, a, st);
	case UOP_RSQRTE: return fp_rsqrte(fmt, a, st);
	case UOP_RECPX: return fp_recpx(fmt, a, st);
	case UOP_CMGT0: return fp_compare_gt(fmt, a, 0, st) ? ones(fmt) : 0;
	case UOP_CMEQ0: return fp_compare_eq(fmt, a, 0, st) ? ones(fmt) : 0;
	case UOP_CMLT0: return fp_compare_gt(fmt, 0, a, st) ? ones(fmt) : 0;
	case UOP_CMGE0: return fp_compare_ge(fmt, a, 0, st) ? ones(fmt) : 0;
	case UOP_CMLE0: return fp_compare_ge(fmt, 0, a, st) ? ones(fmt) : 0;
	case UOP_URECPE: return fp_urecpe((uint32_t)a);
	default: return fp_ursqrte((uint32_t)a); /* UOP_URSQRTE */
	}
}

/* ---- handlers ---------------------------------------------------------------
 * f0 = op, f1 = fmt, f2 = number of lanes (1 for scalars), f3 = 1 for
 * scalar (zero everything above the lane) else 0; vector results with
 * 64-bit total zero the upper half through vres starting at zero. */

static const dinsn *h_fp_3same(struct a64_cpu *c, const dinsn *d)
{
	cpu_fp_check(c, d);
	fpst st = fp_state(c);
	vres r = { { 0, 0 } };
	unsigned fmt = d->f1;
	for (unsigned i = 0; i < d->f2; i++)
		lane_set(&r, fmt, i,
			 bop(d->f0, fmt, lane_get(c, d->rd, fmt, i), lane_get(c, d->rn, fmt, i), lane_get(c, d->rm, fmt, i),
			     &st));
	vres_store(c, d->rd, &r);
	c->fpsr |= st.exc;
	return cpu_next(c, d + 1);
}

/* FADD FSUB FMUL FDIV, vector and scalar (f2 lanes of format FMT, field
 * LANE of the register), with the host fast path inlined: all four lanes
 * of a 4S at once (FAST4, when not 0), else per lane, where a lane it
 * declines goes to the soft core. Selected at decode (same_fast()). */
#define FP_3SAME_FAST(name, FMT, LANE, T, OP, FAST, FAST4)                           \
	static const dinsn *name(struct a64_cpu *c, const dinsn *d)                  \
	{                                                                            \
		cpu_fp_check(c, d);                                                  \
		fpst st = fp_state(c);                                               \
		vres r = { { 0, 0 } };                                               \
		const T *va = c->v[d->rn].LANE, *vb = c->v[d->rm].LANE;              \
		if (d->f2 == 4 && (FAST4))                                           \
			goto done;                                                   \
		for (unsigned i = 0; i < d->f2; i++) {                               \
			T a = va[i], b = vb[i];                                      \
			u64 x;                                                       \
			if (!(FAST))                                                 \
				x = bop(OP, FMT, 0, a, b, &st);                      \
			r.LANE[i] = (T)x;                                            \
		}                                                                    \
	done:                                                                        \
		vres_store(c, d->rd, &r);                                            \
		c->fpsr |= st.exc;                                                   \
		return cpu_next(c, d + 1);                                           \
	}
FP_3SAME_FAST(h_fadd_s, FP_S, s, uint32_t, BOP_ADD, fpf_addsub_s(a, b, false, &st, &x),
	      fpf_addsub4_s(va, vb, false, &st, r.s))
FP_3SAME_FAST(h_fsub_s, FP_S, s, uint32_t, BOP_SUB, fpf_addsub_s(a, b, true, &st, &x),
	      fpf_addsub4_s(va, vb, true, &st, r.s))
FP_3SAME_FAST(h_fmul_s, FP_S, s, uint32_t, BOP_MUL, fpf_mul_s(a, b, &st, &x), fpf_mul4_s(va, vb, &st, r.s))
FP_3SAME_FAST(h_fdiv_s, FP_S, s, uint32_t, BOP_DIV, fpf_div_s(a, b, &st, &x), 0)
FP_3SAME_FAST(h_fadd_d, FP_D, d, uint64_t, BOP_ADD, fpf_addsub_d(a, b, false, &st, &x), 0)
FP_3SAME_FAST(h_fsub_d, FP_D, d, uint64_t, BOP_SUB, fpf_addsub_d(a, b, true, &st, &x), 0)
FP_3SAME_FAST(h_fmul_d, FP_D, d, uint64_t, BOP_MUL, fpf_mul_d(a, b, &st, &x), 0)
FP_3SAME_FAST(h_fdiv_d, FP_D, d, uint64_t, BOP_DIV, fpf_div_d(a, b, &st, &x), 0)

/* The handler for three-same op on fmt: a fast one above, or h_fp_3same. */
static dinsn_fn same_fast(unsigned op, unsigned fmt)
{
	static const dinsn_fn fast[2][4] = { { h_fadd_s, h_fsub_s, h_fmul_s, h_fdiv_s },
					     { h_fadd_d, h_fsub_d, h_fmul_d, h_fdiv_d } };
	if ((fmt != FP_S && fmt != FP_D) || op > BOP_DIV)
		return h_fp_3same;
	return fast[fmt == FP_D][op];
}

/* By element: Vm's lane d->imm for every lane. */
static const dinsn *h_fp_elem(struct a64_cpu *c, const dinsn *d)
{
	cpu_fp_check(c, d);
	fpst st = fp_state(c);
	vres r = { { 0, 0 } };
	unsigned fmt = d->f1;
	u64 b = lane_get(c, d->rm, fmt, (unsigned)d->imm);
	for (unsigned i = 0; i < d->f2; i++)
		lane_set(&r, fmt, i, bop(d->f0, fmt, lane_get(c, d->rd, fmt, i), lane_get(c, d->rn, fmt, i), b, &st));
	vres_store(c, d->rd, &r);
	c->fpsr |= st.exc;
	return cpu_next(c, d + 1);
}

/* Vector pairwise: the pairs of Vm:Vn (Vn's first). */
static const dinsn *h_fp_pair(struct a64_cpu *c, const dinsn *d)
{
	cpu_fp_check(c, d);
	fpst st = fp_state(c);
	vres r = { { 0, 0 } };
	unsigned fmt = d->f1, n = d->f2, h = n / 2;
	for (unsigned i = 0; i < n; i++) {
		unsigned src = i < h ? d->rn : d->rm, j = (i < h ? i : i - h) * 2;
		lane_set(&r, fmt, i, bop(d->f0, fmt, 0, lane_get(c, src, fmt, j), lane_get(c, src, fmt, j + 1), &st));
	}
	vres_store(c, d->rd, &r);
	c->fpsr |= st.exc;
	return cpu_next(c, d + 1);
}

/* Scalar pairwise: lanes 0 and 1 of Vn. */
static const dinsn *h_fp_spair(struct a64_cpu *c, const dinsn *d)
{
	cpu_fp_check(c, d);
	fpst st = fp_state(c);
	unsigned fmt = d->f1;
	u64 x = bop(d->f0, fmt, 0, lane_get(c, d->rn, fmt, 0), lane_get(c, d->rn, fmt, 1), &st);
	set_scalar(c, d->rd, fmt, x);
	c->fpsr |= st.exc;
	return cpu_next(c, d + 1);
}

/* Across lanes (4S): Reduce() pairs lanes recursively, low half first. */
static const dinsn *h_fp_across(struct a64_cpu *c, const dinsn *d)
{
	cpu_fp_check(c, d);
	fpst st = fp_state(c);
	unsigned fmt = FP_S, op = d->f0;
	u64 e[4];
	for (unsigned i = 0; i < 4; i++)
		e[i] = lane_get(c, d->rn, fmt, i);
	u64 hi = bop(op, fmt, 0, e[2], e[3], &st);
	u64 lo = bop(op, fmt, 0, e[0], e[1], &st);
	set_scalar(c, d->rd, fmt, bop(op, fmt, 0, lo, hi, &st));
	c->fpsr |= st.exc;
	return cpu_next(c, d + 1);
}

/* Unary: f0 = op, f1 = fmt, f2 = lanes, imm = uop parameter. */
static const dinsn *h_fp_unary(struct a64_cpu *c, const dinsn *d)
{
	cpu_fp_check(c, d);
	fpst st = fp_state(c);
	vres r = { { 0, 0 } };
	unsigned fmt = d->f1;
	for (unsigned i = 0; i < d->f2; i++)
		lane_set(&r, fmt, i, uop(d->f0, fmt, lane_get(c, d->rn, fmt, i), (unsigned)d->imm, &st));
	vres_store(c, d->rd, &r);
	c->fpsr |= st.exc;
	return cpu_next(c, d + 1);
}

/* FCVT (scalar, between precisions): f1 = from, f2 = to. */
static const dinsn *h_fcvt(struct a64_cpu *c, const dinsn *d)
{
	cpu_fp_check(c, d);
	fpst st = fp_state(c);
	u64 x = fpf_convert(d->f1, d->f2, lane_get(c, d->rn, d->f1, 0), fp_rmode_fpcr(c->fpcr), &st);
	set_scalar(c, d->rd, d->f2, x);
	c->fpsr |= st.exc;
	return cpu_next(c, d + 1);
}

/* FCVTN/FCVTN2, FCVTXN/FCVTXN2: f1 = from fmt, f2 = 1 for the "2" form
 * (upper half, lower half kept), f3 = 1: round to odd; f0 = 1: scalar. */
static const dinsn *h_fcvtn(struct a64_cpu *c, const dinsn *d)
{
	cpu_fp_check(c, d);
	fpst st = fp_state(c);
	unsigned from = d->f1, to = from - 1, n = d->f0 ? 1 : (from == FP_D ? 2 : 4);
	unsigned rm = d->f3 ? FPR_ODD : fp_rmode_fpcr(c->fpcr);
	vres r = { { 0, 0 } };
	if (d->f2)
		r.d[0] = c->v[d->rd].d[0];
	for (unsigned i = 0; i < n; i++)
		lane_set(&r, to, i + (d->f2 ? n : 0), fpf_convert(from, to, lane_get(c, d->rn, from, i), rm, &st));
	vres_store(c, d->rd, &r);
	c->fpsr |= st.exc;
	return cpu_next(c, d + 1);
}

/* FCVTL/FCVTL2: f1 = from fmt, f2 = 1: from the upper half. */
static const dinsn *h_fcvtl(struct a64_cpu *c, const dinsn *d)
{
	cpu_fp_check(c, d);
	fpst st = fp_state(c);
	unsigned from = d->f1, to = from + 1, n = from == FP_S ? 2 : 4;
	vres r = { { 0, 0 } };
	for (unsigned i = 0; i < n; i++)
		lane_set(&r, to, i,
			 fpf_convert(from, to, lane_get(c, d->rn, from, i + (d->f2 ? n : 0)), fp_rmode_fpcr(c->fpcr), &st));
	vres_store(c, d->rd, &r);
	c->fpsr |= st.exc;
	return cpu_next(c, d + 1);
}

/* FMADD FMSUB FNMADD FNMSUB: f1 = fmt, f2 = negate Ra, f3 = negate Rn. */
static const dinsn *h_fp_3src(struct a64_cpu *c, const dinsn *d)
{
	cpu_fp_check(c, d);
	fpst st = fp_state(c);
	unsigned fmt = d->f1;
	u64 a = lane_get(c, d->ra, fmt, 0), n = lane_get(c, d->rn, fmt, 0), m = lane_get(c, d->rm, fmt, 0);
	if (d->f2)
		a = fp_neg(fmt, a);
	if (d->f3)
		n = fp_neg(fmt, n);
	set_scalar(c, d->rd, fmt, fpf_muladd(fmt, a, n, m, &st));
	c->fpsr |= st.exc;
	return cpu_next(c, d + 1);
}

/* FCMP/FCMPE: f1 = fmt, f2 = signalling, f3 = compare with zero. */
static const dinsn *h_fcmp(struct a64_cpu *c, const dinsn *d)
{
	cpu_fp_check(c, d);
	fpst st = fp_state(c);
	unsigned fmt = d->f1;
	u64 b = d->f3 ? 0 : lane_get(c, d->rm, fmt, 0);
	unsigned nzcv = fpf_compare(fmt, lane_get(c, d->rn, fmt, 0), b, d->f2, &st);
	set_nzcv(c, (u64)nzcv << 28);
	c->fpsr |= st.exc;
	return cpu_next(c, d + 1);
}

/* FCCMP/FCCMPE: f0 = cond, f1 = fmt, f2 = signalling, f3 = nzcv. */
static const dinsn *h_fccmp(struct a64_cpu *c, const dinsn *d)
{
	cpu_fp_check(c, d);
	if (!cond_holds(c, d->f0)) {
		set_nzcv(c, (u64)d->f3 << 28);
		return cpu_next(c, d + 1);
	}
	fpst st = fp_state(c);
	unsigned fmt = d->f1;
	unsigned nzcv = fpf_compare(fmt, lane_get(c, d->rn, fmt, 0), lane_get(c, d->rm, fmt, 0), d->f2, &st);
	set_nzcv(c, (u64)nzcv << 28);
	c->fpsr |= st.exc;
	return cpu_next(c, d + 1);
}

/* FCSEL: f0 = cond, f1 = fmt. */
static const dinsn *h_fcsel(struct a64_cpu *c, const dinsn *d)
{
	cpu_fp_check(c, d);
	unsigned fmt = d->f1;
	set_scalar(c, d->rd, fmt, lane_get(c, cond_holds(c, d->f0) ? d->rn : d->rm, fmt, 0));
	return cpu_next(c, d + 1);
}

/* FMOV (scalar, immediate): imm = the value, f1 = fmt. */
static const dinsn *h_fmov_imm(struct a64_cpu *c, const dinsn *d)
{
	cpu_fp_check(c, d);
	set_scalar(c, d->rd, d->f1, d->imm);
	return cpu_next(c, d + 1);
}

/* FP to general register: rd = X slot, f1 = fmt, f2 = unsigned, f3 = ibits,
 * f0 = rounding (RM_FPCR or explicit), imm = fbits. */
static const dinsn *h_fp_to_int(struct a64_cpu *c, const dinsn *d)
{
	cpu_fp_check(c, d);
	fpst st = fp_state(c);
	unsigned fmt = d->f1;
	u64 x = fp_to_fixed(fmt, lane_get(c, d->rn, fmt, 0), (unsigned)d->imm, d->f2, d->f3, rm_resolve(d->f0, c->fpcr),
			    &st);
	c->x[d->rd] = x;
	c->fpsr |= st.exc;
	return cpu_next(c, d + 1);
}

/* General register to FP: rn = X slot, f1 = fmt, f2 = unsigned, f3 = ibits,
 * imm = fbits. */
static const dinsn *h_int_to_fp(struct a64_cpu *c, const dinsn *d)
{
	cpu_fp_check(c, d);
	fpst st = fp_state(c);
	unsigned fmt = d->f1;
	u64 x = fp_from_fixed(fmt, c->x[d->rn], (unsigned)d->imm, d->f2, d->f3, fp_rmode_fpcr(c->fpcr), &st);
	set_scalar(c, d->rd, fmt, x);
	c->fpsr |= st.exc;
	return cpu_next(c, d + 1);
}

/* FMOV general <- FP: f1 = 32 or 64 bits, f2 = 64-bit lane (D[1]). */
static const dinsn *h_fmov_to_gen(struct a64_cpu *c, const dinsn *d)
{
	cpu_fp_check(c, d);
	u64 x = c->v[d->rn].d[d->f2];
	c->x[d->rd] = d->f1 == 32 ? (uint32_t)x : x;
	return cpu_next(c, d + 1);
}

/* FMOV FP <- general: f1 = 32 or 64 bits, f2 = 1: D[1] (lower half kept). */
static const dinsn *h_fmov_from_gen(struct a64_cpu *c, const dinsn *d)
{
	cpu_fp_check(c, d);
	u64 x = c->x[d->rn];
	if (d->f2) {
		c->v[d->rd].d[1] = x;
	} else {
		c->v[d->rd].d[0] = d->f1 == 32 ? (uint32_t)x : x;
		c->v[d->rd].d[1] = 0;
	}
	return cpu_next(c, d + 1);
}

/* ---- decode ------------------------------------------------------------------ */

/* Scalar ftype: 00 S, 01 D, 11 H. Returns -1 for 10. */
static int ftype_fmt(int64_t ftype)
{
	return ftype == 0 ? FP_S : ftype == 1 ? FP_D : ftype == 3 ? FP_H : -1;
}

static void set_ops(struct a64_dctx *s, dinsn_fn fn, unsigned rd, unsigned rn, unsigned rm)
{
	s->d->fn = fn;
	s->d->rd = (uint8_t)rd;
	s->d->rn = (uint8_t)rn;
	s->d->rm = (uint8_t)rm;
}

bool trans_FP_FIXED(struct a64_dctx *s, arg_FP_FIXED *a)
{
	int fmt = ftype_fmt(a->ftype);
	if (fmt != FP_S && fmt != FP_D)
		return false;
	if (!a->sf && !(a->scale & 32))
		return false;
	unsigned fbits = 64 - (unsigned)a->scale, ibits = a->sf ? 64 : 32;
	dinsn *d = s->d;
	if (a->rmode == 3 && a->opcode <= 1) { /* FCVTZS, FCVTZU */
		set_ops(s, h_fp_to_int, reg_zr_w((unsigned)a->rd), (unsigned)a->rn, 0);
		d->f0 = FPR_ZERO;
		d->f2 = (uint8_t)a->opcode;
	} else if (a->rmode == 0 && (a->opcode == 2 || a->opcode == 3)) { /* SCVTF, UCVTF */
		set_ops(s, h_int_to_fp, (unsigned)a->rd, reg_zr((unsigned)a->rn), 0);
		d->f2 = a->opcode == 3;
	} else {
		return false;
	}
	d->f1 = (uint8_t)fmt;
	d->f3 = (uint8_t)ibits;
	d->imm = fbits;
	return true;
}

bool trans_FP_INT(struct a64_dctx *s, arg_FP_INT *a)
{
	dinsn *d = s->d;
	unsigned opc = (unsigned)a->opcode, rmode = (unsigned)a->rmode, ibits = a->sf ? 64 : 32;
	int fmt = ftype_fmt(a->ftype);
	if (opc >= 6) { /* FMOV (general) */
		bool to_gen = opc == 6;
		unsigned lane;
		if (rmode == 0 && ((a->sf == 0 && fmt == FP_S) || (a->sf == 1 && fmt == FP_D)))
			lane = 0;
		else if (rmode == 1 && a->sf == 1 && a->ftype == 2)
			lane = 1;
		else
			return false; /* half precision (FP16), FJCVTZS, unallocated */
		if (to_gen)
			set_ops(s, h_fmov_to_gen, reg_zr_w((unsigned)a->rd), (unsigned)a->rn, 0);
		else
			set_ops(s, h_fmov_from_gen, (unsigned)a->rd, reg_zr((unsigned)a->rn), 0);
		d->f1 = (uint8_t)ibits;
		d->f2 = (uint8_t)lane;
		return true;
	}
	if (fmt != FP_S && fmt != FP_D)
		return false;
	d->f1 = (uint8_t)fmt;
	d->f3 = (uint8_t)ibits;
	d->imm = 0;
	if (opc <= 1) { /* FCVT{N,P,M,Z}{S,U} */
		set_ops(s, h_fp_to_int, reg_zr_w((unsigned)a->rd), (unsigned)a->rn, 0);
		static const uint8_t rms[4] = { FPR_TIEEVEN, FPR_POSINF, FPR_NEGINF, FPR_ZERO };
		d->f0 = rms[rmode];
		d->f2 = (uint8_t)opc;
		return true;
	}
	if (rmode != 0)
		return false;
	if (opc == 4 || opc == 5) { /* FCVTAS, FCVTAU */
		set_ops(s, h_fp_to_int, reg_zr_w((unsigned)a->rd), (unsigned)a->rn, 0);
		d->f0 = FPR_TIEAWAY;
		d->f2 = opc == 5;
		return true;
	}
	/* SCVTF, UCVTF */
	set_ops(s, h_int_to_fp, (unsigned)a->rd, reg_zr((unsigned)a->rn), 0);
	d->f2 = opc == 3;
	return true;
}

bool trans_FP_1SRC(struct a64_dctx *s, arg_FP_1SRC *a)
{
	int fmt = ftype_fmt(a->ftype);
	unsigned opc = (unsigned)a->opcode;
	dinsn *d = s->d;
	if (fmt < 0)
		return false;
	if ((opc & 0x3c) == 0x04) { /* FCVT: opc<1:0> is the destination type */
		int to = ftype_fmt(opc & 3);
		if (to < 0 || to == fmt)
			return false;
		set_ops(s, h_fcvt, (unsigned)a->rd, (unsigned)a->rn, 0);
		d->f1 = (uint8_t)fmt;
		d->f2 = (uint8_t)to;
		return true;
	}
	if (fmt == FP_H)
		return false; /* FP16 arithmetic */
	unsigned op, p = 0;
	switch (opc) {
	case 0x00: op = UOP_MOV; break;
	case 0x01: op = UOP_ABS; break;
	case 0x02: op = UOP_NEG; break;
	case 0x03: op = UOP_SQRT; break;
	case 0x08: op = UOP_RINT; p = FPR_TIEEVEN; break;
	case 0x09: op = UOP_RINT; p = FPR_POSINF; break;
	case 0x0a: op = UOP_RINT; p = FPR_NEGINF; break;
	case 0x0b: op = UOP_RINT; p = FPR_ZERO; break;
	case 0x0c: op = UOP_RINT; p = FPR_TIEAWAY; break;
	case 0x0e: op = UOP_RINTX; p = RM_FPCR; break;
	case 0x0f: op = UOP_RINT; p = RM_FPCR; break;
	default: return false;
	}
	set_ops(s, h_fp_unary, (unsigned)a->rd, (unsigned)a->rn, 0);
	d->f0 = (uint8_t)op;
	d->f1 = (uint8_t)fmt;
	d->f2 = 1;
	d->imm = p;
	return true;
}

bool trans_FP_CMP(struct a64_dctx *s, arg_FP_CMP *a)
{
	int fmt = ftype_fmt(a->ftype);
	if (fmt != FP_S && fmt != FP_D)
		return false;
	set_ops(s, h_fcmp, 0, (unsigned)a->rn, (unsigned)a->rm);
	s->d->f1 = (uint8_t)fmt;
	s->d->f2 = (uint8_t)a->e;
	s->d->f3 = (uint8_t)a->z;
	return true;
}

bool trans_FP_IMM(struct a64_dctx *s, arg_FP_IMM *a)
{
	int fmt = ftype_fmt(a->ftype);
	if (fmt != FP_S && fmt != FP_D)
		return false;
	set_ops(s, h_fmov_imm, (unsigned)a->rd, 0, 0);
	s->d->f1 = (uint8_t)fmt;
	s->d->imm = fp_expand_imm((unsigned)fmt, (unsigned)a->imm8);
	return true;
}

bool trans_FP_CCMP(struct a64_dctx *s, arg_FP_CCMP *a)
{
	int fmt = ftype_fmt(a->ftype);
	if (fmt != FP_S && fmt != FP_D)
		return false;
	set_ops(s, h_fccmp, 0, (unsigned)a->rn, (unsigned)a->rm);
	s->d->f0 = (uint8_t)a->cond;
	s->d->f1 = (uint8_t)fmt;
	s->d->f2 = (uint8_t)a->e;
	s->d->f3 = (uint8_t)a->nzcv;
	return true;
}

bool trans_FP_2SRC(struct a64_dctx *s, arg_FP_2SRC *a)
{
	static const uint8_t ops[9] = { BOP_MUL, BOP_DIV, BOP_ADD, BOP_SUB, BOP_MAX,
					BOP_MIN, BOP_MAXNM, BOP_MINNM, BOP_NMUL };
	int fmt = ftype_fmt(a->ftype);
	if ((fmt != FP_S && fmt != FP_D) || a->opcode > 8)
		return false;
	set_ops(s, same_fast(ops[a->opcode], (unsigned)fmt), (unsigned)a->rd, (unsigned)a->rn, (unsigned)a->rm);
	s->d->f0 = ops[a->opcode];
	s->d->f1 = (uint8_t)fmt;
	s->d->f2 = 1;
	return true;
}

bool trans_FP_CSEL(struct a64_dctx *s, arg_FP_CSEL *a)
{
	int fmt = ftype_fmt(a->ftype);
	if (fmt != FP_S && fmt != FP_D)
		return false;
	set_ops(s, h_fcsel, (unsigned)a->rd, (unsigned)a->rn, (unsigned)a->rm);
	s->d->f0 = (uint8_t)a->cond;
	s->d->f1 = (uint8_t)fmt;
	return true;
}

bool trans_FP_3SRC(struct a64_dctx *s, arg_FP_3SRC *a)
{
	int fmt = ftype_fmt(a->ftype);
	if (fmt != FP_S && fmt != FP_D)
		return false;
	set_ops(s, h_fp_3src, (unsigned)a->rd, (unsigned)a->rn, (unsigned)a->rm);
	s->d->ra = (uint8_t)a->ra;
	s->d->f1 = (uint8_t)fmt;
	s->d->f2 = (uint8_t)a->o1;              /* FNMADD, FNMSUB: negate Ra */
	s->d->f3 = (uint8_t)(a->o1 != a->o0);  /* FMSUB, FNMADD: negate Rn */
	return true;
}

/* Three same (vector and scalar), opcode 11:op with U and a. Returns the
 * BOP or -1; *pair set for the pairwise vector forms. */
static int three_same_op(unsigned u, unsigned a, unsigned op, bool *pair)
{
	static const int8_t tab[2][2][8] = {
		/* U=0 a=0: FMAXNM FMLA FADD FMULX FCMEQ - FMAX FRECPS */
		{ { BOP_MAXNM, BOP_MLA, BOP_ADD, BOP_MULX, BOP_CMEQ, -1, BOP_MAX, BOP_RECPS },
		  /* U=0 a=1: FMINNM FMLS FSUB - - - FMIN FRSQRTS */
		  { BOP_MINNM, BOP_MLS, BOP_SUB, -1, -1, -1, BOP_MIN, BOP_RSQRTS } },
		/* U=1 a=0: FMAXNMP - FADDP FMUL FCMGE FACGE FMAXP FDIV */
		{ { BOP_MAXNM, -1, BOP_ADD, BOP_MUL, BOP_CMGE, BOP_ACGE, BOP_MAX, BOP_DIV },
		  /* U=1 a=1: FMINNMP - FABD - FCMGT FACGT FMINP - */
		  { BOP_MINNM, -1, BOP_ABD, -1, BOP_CMGT, BOP_ACGT, BOP_MIN, -1 } },
	};
	*pair = u == 1 && (op == 0 || op == 6 || (op == 2 && a == 0));
	return tab[u][a][op];
}

bool trans_V_3SAME_FP(struct a64_dctx *s, arg_V_3SAME_FP *a)
{
	bool pair;
	int op = three_same_op((unsigned)a->u, (unsigned)a->a, (unsigned)a->op, &pair);
	if (op < 0 || (a->sz && !a->q))
		return false;
	unsigned fmt = a->sz ? FP_D : FP_S;
	set_ops(s, pair ? h_fp_pair : same_fast((unsigned)op, fmt), (unsigned)a->rd, (unsigned)a->rn, (unsigned)a->rm);
	s->d->f0 = (uint8_t)op;
	s->d->f1 = (uint8_t)fmt;
	s->d->f2 = (uint8_t)((a->q ? 16 : 8) / (fmt == FP_D ? 8 : 4));
	return true;
}

bool trans_S_3SAME_FP(struct a64_dctx *s, arg_S_3SAME_FP *a)
{
	bool pair;
	int op = three_same_op((unsigned)a->u, (unsigned)a->a, (unsigned)a->op, &pair);
	/* scalar: FMULX FCMEQ FRECPS FRSQRTS FCMGE FACGE FABD FCMGT FACGT */
	if (op != BOP_MULX && op != BOP_CMEQ && op != BOP_RECPS && op != BOP_RSQRTS && op != BOP_CMGE &&
	    op != BOP_ACGE && op != BOP_ABD && op != BOP_CMGT && op != BOP_ACGT)
		return false;
	set_ops(s, h_fp_3same, (unsigned)a->rd, (unsigned)a->rn, (unsigned)a->rm);
	s->d->f0 = (uint8_t)op;
	s->d->f1 = (uint8_t)(a->sz ? FP_D : FP_S);
	s->d->f2 = 1;
	return true;
}

/* Two-register misc: the uop and its parameter for (U, a, opcode), or -1.
 * Conversions between precisions are handled by the callers. */
static int two_misc_op(unsigned u, unsigned a, unsigned op, unsigned *p)
{
	*p = 0;
	if (op >= 0x0c && op <= 0x0f) {
		if (!a)
			return -1;
		static const int8_t t[2][4] = { { UOP_CMGT0, UOP_CMEQ0, UOP_CMLT0, UOP_ABS },
						{ UOP_CMGE0, UOP_CMLE0, -1, UOP_NEG } };
		return t[u][op - 0x0c];
	}
	switch (op) {
	case 0x18: /* FRINTN FRINTP / FRINTA - */
		if (u && a)
			return -1;
		*p = u ? FPR_TIEAWAY : a ? FPR_POSINF : FPR_TIEEVEN;
		return UOP_RINT;
	case 0x19: /* FRINTM FRINTZ / FRINTX FRINTI */
		if (u) {
			*p = RM_FPCR;
			return a ? UOP_RINT : UOP_RINTX;
		}
		*p = a ? FPR_ZERO : FPR_NEGINF;
		return UOP_RINT;
	case 0x1a: /* FCVTN[SU] FCVTP[SU] */
		*p = a ? FPR_POSINF : FPR_TIEEVEN;
		return u ? UOP_TOU : UOP_TOS;
	case 0x1b: /* FCVTM[SU] FCVTZ[SU] */
		*p = a ? FPR_ZERO : FPR_NEGINF;
		return u ? UOP_TOU : UOP_TOS;
	case 0x1c: /* FCVTA[SU] / URECPE URSQRTE */
		if (a)
			return u ? UOP_URSQRTE : UOP_URECPE;
		*p = FPR_TIEAWAY;
		return u ? UOP_TOU : UOP_TOS;
	case 0x1d: /* SCVTF UCVTF / FRECPE FRSQRTE */
		if (a)
			return u ? UOP_RSQRTE : UOP_RECPE;
		*p = RM_FPCR;
		return u ? UOP_UCVT : UOP_SCVT;
	case 0x1f: /* FSQRT (U=1, a=1); FRECPX is scalar only (U=0, a=1) */
		if (a && u)
			return UOP_SQRT;
		if (a && !u)
			return UOP_RECPX;
		return -1;
	default:
		return -1;
	}
}

bool trans_V_2MISC_FP(struct a64_dctx *s, arg_V_2MISC_FP *a)
{
	unsigned op = (unsigned)a->op, u = (unsigned)a->u;
	dinsn *d = s->d;
	if (op == 0x16 && !a->a) { /* FCVTN (U=0), FCVTXN (U=1, sz=1 only) */
		if (u && !a->sz)
			return false;
		set_ops(s, h_fcvtn, (unsigned)a->rd, (unsigned)a->rn, 0);
		d->f0 = 0;
		d->f1 = a->sz ? FP_D : FP_S;
		d->f2 = (uint8_t)a->q;
		d->f3 = (uint8_t)u;
		return true;
	}
	if (op == 0x17 && !a->a && !u) { /* FCVTL */
		set_ops(s, h_fcvtl, (unsigned)a->rd, (unsigned)a->rn, 0);
		d->f1 = a->sz ? FP_S : FP_H;
		d->f2 = (uint8_t)a->q;
		return true;
	}
	unsigned p;
	int uo = two_misc_op(u, (unsigned)a->a, op, &p);
	if (uo < 0 || uo == UOP_RECPX || (a->sz && !a->q))
		return false;
	if ((uo == UOP_URECPE || uo == UOP_URSQRTE) && a->sz)
		return false;
	unsigned fmt = a->sz ? FP_D : FP_S;
	set_ops(s, h_fp_unary, (unsigned)a->rd, (unsigned)a->rn, 0);
	d->f0 = (uint8_t)uo;
	d->f1 = (uint8_t)fmt;
	d->f2 = (uint8_t)((a->q ? 16 : 8) / (fmt == FP_D ? 8 : 4));
	d->imm = p;
	return true;
}

bool trans_S_2MISC_FP(struct a64_dctx *s, arg_S_2MISC_FP *a)
{
	unsigned op = (unsigned)a->op, u = (unsigned)a->u;
	dinsn *d = s->d;
	if (op == 0x16 && !a->a && u) { /* FCVTXN Sd, Dn */
		if (!a->sz)
			return false;
		set_ops(s, h_fcvtn, (unsigned)a->rd, (unsigned)a->rn, 0);
		d->f0 = 1;
		d->f1 = FP_D;
		d->f2 = 0;
		d->f3 = 1;
		return true;
	}
	unsigned p;
	int uo = two_misc_op(u, (unsigned)a->a, op, &p);
	/* scalar forms: compares with zero, conversions, FRECPE FRSQRTE FRECPX */
	if (uo < 0 || uo == UOP_ABS || uo == UOP_NEG || uo == UOP_SQRT || uo == UOP_RINT || uo == UOP_RINTX ||
	    uo == UOP_URECPE || uo == UOP_URSQRTE)
		return false;
	set_ops(s, h_fp_unary, (unsigned)a->rd, (unsigned)a->rn, 0);
	d->f0 = (uint8_t)uo;
	d->f1 = (uint8_t)(a->sz ? FP_D : FP_S);
	d->f2 = 1;
	d->imm = p;
	return true;
}

/* Pairwise/across opcode: 01100 (MAXNM/MINNM), 01101 (ADD, a = 0), 01111 (MAX/MIN). */
static int pair_op(unsigned a, unsigned op)
{
	switch (op) {
	case 0x0c: return a ? BOP_MINNM : BOP_MAXNM;
	case 0x0d: return a ? -1 : BOP_ADD;
	case 0x0f: return a ? BOP_MIN : BOP_MAX;
	default: return -1;
	}
}

bool trans_S_PAIR_FP(struct a64_dctx *s, arg_S_PAIR_FP *a)
{
	int op = pair_op((unsigned)a->a, (unsigned)a->op);
	if (op < 0)
		return false;
	set_ops(s, h_fp_spair, (unsigned)a->rd, (unsigned)a->rn, 0);
	s->d->f0 = (uint8_t)op;
	s->d->f1 = (uint8_t)(a->sz ? FP_D : FP_S);
	return true;
}

bool trans_V_ACROSS_FP(struct a64_dctx *s, arg_V_ACROSS_FP *a)
{
	int op = pair_op((unsigned)a->a, (unsigned)a->op);
	if (op < 0 || op == BOP_ADD || !a->q || a->sz)
		return false;
	set_ops(s, h_fp_across, (unsigned)a->rd, (unsigned)a->rn, 0);
	s->d->f0 = (uint8_t)op;
	return true;
}

/* By element: opcode 0001 FMLA, 0101 FMLS (U = 0), 1001 FMUL (U = 0) / FMULX (U = 1). */
static bool elem_common(struct a64_dctx *s, unsigned u, unsigned sz, unsigned l, unsigned m, unsigned rm,
			unsigned op, unsigned h, unsigned rn, unsigned rd, unsigned lanes_bytes)
{
	int bo;
	if (op == 1 && !u)
		bo = BOP_MLA;
	else if (op == 5 && !u)
		bo = BOP_MLS;
	else if (op == 9)
		bo = u ? BOP_MULX : BOP_MUL;
	else
		return false;
	if (sz && l)
		return false;
	unsigned fmt = sz ? FP_D : FP_S;
	set_ops(s, h_fp_elem, rd, rn, m << 4 | rm);
	s->d->f0 = (uint8_t)bo;
	s->d->f1 = (uint8_t)fmt;
	s->d->f2 = (uint8_t)(lanes_bytes / (sz ? 8 : 4));
	s->d->imm = sz ? h : (h << 1 | l);
	return true;
}

bool trans_V_ELEM_FP(struct a64_dctx *s, arg_V_ELEM_FP *a)
{
	if (a->sz && !a->q)
		return false;
	return elem_common(s, (unsigned)a->u, (unsigned)a->sz, (unsigned)a->l, (unsigned)a->m, (unsigned)a->rm,
			   (unsigned)a->op, (unsigned)a->h, (unsigned)a->rn, (unsigned)a->rd, a->q ? 16 : 8);
}

bool trans_S_ELEM_FP(struct a64_dctx *s, arg_S_ELEM_FP *a)
{
	return elem_common(s, (unsigned)a->u, (unsigned)a->sz, (unsigned)a->l, (unsigned)a->m, (unsigned)a->rm,
			   (unsigned)a->op, (unsigned)a->h, (unsigned)a->rn, (unsigned)a->rd, a->sz ? 8 : 4);
}

/* Shift by immediate, fixed-point conversions: op 00 SCVTF/UCVTF, 11 FCVTZS/FCVTZU. */
static bool shift_fp(struct a64_dctx *s, unsigned q, unsigned u, unsigned immh, unsigned immb, unsigned op,
		     unsigned rn, unsigned rd, bool scalar)
{
	if (immh == 0 || (op != 0 && op != 3))
		return false; /* modified immediate; other shifts */
	unsigned fmt, esize;
	if (immh & 8) {
		fmt = FP_D;
		esize = 64;
		if (!scalar && !q)
			return false;
	} else if (immh & 4) {
		fmt = FP_S;
		esize = 32;
	} else {
		return false; /* 001x: FP16; 0001: reserved */
	}
	unsigned fbits = esize * 2 - (immh << 3 | immb);
	set_ops(s, h_fp_unary, rd, rn, 0);
	s->d->f0 = (uint8_t)(op == 0 ? (u ? UOP_UCVT : UOP_SCVT) : (u ? UOP_TOU : UOP_TOS));
	s->d->f1 = (uint8_t)fmt;
	s->d->f2 = (uint8_t)(scalar ? 1 : (q ? 16 : 8) / (esize / 8));
	s->d->imm = fbits << 8 | (op == 0 ? RM_FPCR : FPR_ZERO);
	return true;
}

bool trans_V_SHIFT_FP(struct a64_dctx *s, arg_V_SHIFT_FP *a)
{
	return shift_fp(s, (unsigned)a->q, (unsigned)a->u, (unsigned)a->immh, (unsigned)a->immb, (unsigned)a->op,
			(unsigned)a->rn, (unsigned)a->rd, false);
}

bool trans_S_SHIFT_FP(struct a64_dctx *s, arg_S_SHIFT_FP *a)
{
	return shift_fp(s, 0, (unsigned)a->u, (unsigned)a->immh, (unsigned)a->immb, (unsigned)a->op,
			(unsigned)a->rn, (unsigned)a->rd, true);
}
