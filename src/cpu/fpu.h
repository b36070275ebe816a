/* The soft CPU's floating-point core: Arm (AArch64, Armv8.0) IEEE 754
 * arithmetic on raw bit patterns, in integer arithmetic only, exact to the
 * bit by construction. It follows the Arm ARM's shared pseudocode (FPUnpack,
 * FPRound, FPProcessNaNs, FPMulAdd, FPToFixed, FPRecipEstimate, ...):
 * tininess before rounding, FPCR.FZ flushing of inputs (IDC) and outputs
 * (UFC, no IXC), FPCR.DN default NaN, FPCR.AHP for half-precision
 * conversions, Arm NaN selection (SNaN over QNaN, then operand order; FMA:
 * addend first), FPCR.RMode plus the explicit modes of FCVT*, FRINT* and
 * FCVTXN (round to odd).
 *
 * Every function takes the FPCR in st->fpcr and ORs the FPSR cumulative
 * flags it raises into st->exc (FPSR bit positions). Half precision is only
 * the Armv8.0 subset: conversions (FZ does not apply to half, FZ16 is not
 * implemented). Values are passed and returned in the low bits of a uint64_t.
 * At the end, fpf_*(): a host-FPU fast path for the common operations,
 * identical in result and flags, that falls back to these functions. */
#ifndef AVMM_CPU_FPU_H
#define AVMM_CPU_FPU_H

#include <stdbool.h>
#include <stdint.h>

/* FPSR cumulative exception flags. */
enum {
	FPSR_IOC = 1u << 0,
	FPSR_DZC = 1u << 1,
	FPSR_OFC = 1u << 2,
	FPSR_UFC = 1u << 3,
	FPSR_IXC = 1u << 4,
	FPSR_IDC = 1u << 7,
};
/* FPCR controls. */
#define FPCR_AHP (1u << 26)
#define FPCR_DN (1u << 25)
#define FPCR_FZ (1u << 24)
#define FPCR_RMODE_SHIFT 22

enum fp_fmt { FP_H = 0, FP_S = 1, FP_D = 2 };

/* Rounding modes: 0..3 are FPCR.RMode's encodings (RN, RP, RM, RZ). */
enum fp_rmode {
	FPR_TIEEVEN = 0,
	FPR_POSINF = 1,
	FPR_NEGINF = 2,
	FPR_ZERO = 3,
	FPR_TIEAWAY = 4,
	FPR_ODD = 5,
};

typedef struct fpst {
	uint32_t fpcr; /* in */
	uint32_t exc;  /* out: FPSR flags raised (OR-ed) */
} fpst;

static inline unsigned fp_rmode_fpcr(uint32_t fpcr) { return (fpcr >> FPCR_RMODE_SHIFT) & 3; }
static inline unsigned fp_bits(unsigned fmt) { return 16u << fmt; }
static inline uint64_t fp_sign_bit(unsigned fmt) { return 1ull << (fp_bits(fmt) - 1); }
static inline uint64_t fp_neg(unsigned fmt, uint64_t a) { return a ^ fp_sign_bit(fmt); }
static inline uint64_t fp_abs(unsigned fmt, uint64_t a) { return a & ~fp_sign_bit(fmt); }

/* Arithmetic (FPAdd, FPSub, FPMul, FPDiv, FPMulX, FPMax, FPMin, FPMaxNum,
 * FPMinNum, FPSqrt). */
uint64_t fp_add(unsigned fmt, uint64_t a, uint64_t b, fpst *st);
uint64_t fp_sub(unsigned fmt, uint64_t a, uint64_t b, fpst *st);
uint64_t fp_mul(unsigned fmt, uint64_t a, uint64_t b, fpst *st);
uint64_t fp_mulx(unsigned fmt, uint64_t a, uint64_t b, fpst *st);
uint64_t fp_div(unsigned fmt, uint64_t a, uint64_t b, fpst *st);
uint64_t fp_max(unsigned fmt, uint64_t a, uint64_t b, fpst *st);
uint64_t fp_min(unsigned fmt, uint64_t a, uint64_t b, fpst *st);
uint64_t fp_maxnum(unsigned fmt, uint64_t a, uint64_t b, fpst *st);
uint64_t fp_minnum(unsigned fmt, uint64_t a, uint64_t b, fpst *st);
uint64_t fp_sqrt(unsigned fmt, uint64_t a, fpst *st);
/* FPMulAdd: addend + a * b with a single rounding. */
uint64_t fp_muladd(unsigned fmt, uint64_t addend, uint64_t a, uint64_t b, fpst *st);
/* FPRecipStepFused (2 - a*b) and FPRSqrtStepFused ((3 - a*b) / 2). */
uint64_t fp_recps(unsigned fmt, uint64_t a, uint64_t b, fpst *st);
uint64_t fp_rsqrts(unsigned fmt, uint64_t a, uint64_t b, fpst *st);
/* FPRecipEstimate, FPRSqrtEstimate, FPRecpX (S and D; H is FEAT_FP16). */
uint64_t fp_recpe(unsigned fmt, uint64_t a, fpst *st);
uint64_t fp_rsqrte(unsigned fmt, uint64_t a, fpst *st);
uint64_t fp_recpx(unsigned fmt, uint64_t a, fpst *st);
/* UnsignedRecipEstimate / UnsignedRSqrtEstimate (URECPE, URSQRTE). */
uint32_t fp_urecpe(uint32_t a);
uint32_t fp_ursqrte(uint32_t a);

/* FPCompare: NZCV in bits 3:0. signal_nans: FCMPE (any NaN is Invalid). */
unsigned fp_compare(unsigned fmt, uint64_t a, uint64_t b, bool signal_nans, fpst *st);
/* FPCompareEQ / GE / GT (Advanced SIMD compares). */
bool fp_compare_eq(unsigned fmt, uint64_t a, uint64_t b, fpst *st);
bool fp_compare_ge(unsigned fmt, uint64_t a, uint64_t b, fpst *st);
bool fp_compare_gt(unsigned fmt, uint64_t a, uint64_t b, fpst *st);

/* FPRoundInt: exact raises Inexact (FRINTX). */
uint64_t fp_round_int(unsigned fmt, uint64_t a, unsigned rmode, bool exact, fpst *st);
/* FPConvert between formats (FCVT, FCVTN, FCVTL, FCVTXN with FPR_ODD). */
uint64_t fp_convert(unsigned from, unsigned to, uint64_t a, unsigned rmode, fpst *st);
/* FPToFixed: to a signed or unsigned integer of ibits (32 or 64) with fbits
 * fraction bits; saturates, Invalid on NaN and overflow. */
uint64_t fp_to_fixed(unsigned fmt, uint64_t a, unsigned fbits, bool is_unsigned, unsigned ibits, unsigned rmode,
		     fpst *st);
/* FixedToFP: from the low ibits (32 or 64) of v, signed or unsigned, with
 * fbits fraction bits, rounded with rmode. */
uint64_t fp_from_fixed(unsigned fmt, uint64_t v, unsigned fbits, bool is_unsigned, unsigned ibits, unsigned rmode,
		       fpst *st);

/* VFPExpandImm: the 8-bit FMOV immediate as a value of fmt. */
uint64_t fp_expand_imm(unsigned fmt, unsigned imm8);

/* ---- Host-FPU fast path ----------------------------------------------------
 * fpf_*(): the soft functions' result and flags, computed with the host's
 * FPU when that is certain to be identical, else false (nothing written:
 * the caller runs the soft function). Certain means: FPCR.RMode is RN (the
 * host's mode: avmm never changes it), every operand is a normal number or
 * zero (no NaN, infinity or denormal, so FZ, DN and NaN rules play no part),
 * and the result is zero only where it is exact (x - x, a zero operand) and
 * otherwise finite and above the smallest normal in magnitude (so no
 * overflow, and no tininess, which Arm detects before rounding: a result
 * equal to the smallest normal may have been rounded up to it). Inexact is
 * detected exactly (an error-free sum, or an integer check of the product),
 * and not at all when st->exc already holds IXC: callers start st->exc with
 * FPSR.IXC, a cumulative flag. Single precision div and sqrt check
 * exactness in double (a float product is exact there); single FMA
 * rounds the exact product plus addend to odd in double, then to single:
 * one correct rounding, since double has at least 24 + 2 bits. Double FMA
 * uses a host FMA instruction once IXC is set. The rest go to the soft
 * core. Hosts: x86-64 (SSE, no x87 excess precision) and arm64 (default
 * FPCR: RN, no FZ; a compiler-contracted a*b+c only ever has an exact
 * product here); elsewhere FP_HOST_FAST is 0 and fpf_*() return false. */
#if (defined(__x86_64__) || defined(__aarch64__)) && __FLT_EVAL_METHOD__ == 0 && !defined(__FAST_MATH__)
#define FP_HOST_FAST 1
#else
#define FP_HOST_FAST 0
#endif

typedef union { float f; uint32_t u; } fpf_s;
typedef union { double f; uint64_t u; } fpf_d;

/* RN, and (for single/double) every operand normal or zero. */
static inline bool fpf_rn(const fpst *st) { return FP_HOST_FAST && !(st->fpcr & (3u << FPCR_RMODE_SHIFT)); }
static inline bool fpf_ok_s(uint32_t x) { return ((x >> 23) & 0xff) - 1u < 0xfeu || !(x << 1); }
static inline bool fpf_ok_d(uint64_t x) { return ((x >> 52) & 0x7ff) - 1u < 0x7feu || !(x << 1); }
/* Finite (the largest included), above the smallest normal in magnitude. */
static inline bool fpf_big_s(uint32_t r) { return (r & 0x7fffffffu) - 0x00800001u < 0x7f000000u - 1u; }
static inline bool fpf_big_d(uint64_t r)
{
	return (r & 0x7fffffffffffffffull) - 0x0010000000000001ull < 0x7fe0000000000000ull - 1u;
}
static inline void fpf_ixc(fpst *st, bool inexact)
{
	if (inexact)
		st->exc |= FPSR_IXC;
}
/* The rounding error of s = a + b is zero (TwoSum: exact in RN without overflow). */
static inline bool fpf_sum_exact_s(float a, float b, float s)
{
	float bb = s - a;
	return (a - (s - bb)) + (b - bb) == 0;
}
static inline bool fpf_sum_exact_d(double a, double b, double s)
{
	double bb = s - a;
	return (a - (s - bb)) + (b - bb) == 0;
}

static inline bool fpf_addsub_s(uint32_t a, uint32_t b, bool sub, fpst *st, uint64_t *res)
{
	if (!fpf_rn(st) || !fpf_ok_s(a) || !fpf_ok_s(b))
		return false;
	fpf_s x = { .u = a }, y = { .u = b ^ (uint32_t)sub << 31 }, r;
	r.f = x.f + y.f;
	if (!fpf_big_s(r.u) && (r.u << 1)) /* a zero sum of normals is exact */
		return false;
	if (!(st->exc & FPSR_IXC))
		fpf_ixc(st, !fpf_sum_exact_s(x.f, y.f, r.f));
	*res = r.u;
	return true;
}
static inline bool fpf_addsub_d(uint64_t a, uint64_t b, bool sub, fpst *st, uint64_t *res)
{
	if (!fpf_rn(st) || !fpf_ok_d(a) || !fpf_ok_d(b))
		return false;
	fpf_d x = { .u = a }, y = { .u = b ^ (uint64_t)sub << 63 }, r;
	r.f = x.f + y.f;
	if (!fpf_big_d(r.u) && (r.u << 1))
		return false;
	if (!(st->exc & FPSR_IXC))
		fpf_ixc(st, !fpf_sum_exact_d(x.f, y.f, r.f));
	*res = r.u;
	return true;
}

/* A zero result is exact only when an operand is zero (else it underflowed). */
static inline bool fpf_mul_s(uint32_t a, uint32_t b, fpst *st, uint64_t *res)
{
	if (!fpf_rn(st) || !fpf_ok_s(a) || !fpf_ok_s(b))
		return false;
	fpf_s x = { .u = a }, y = { .u = b }, r;
	double p = (double)x.f * (double)y.f; /* exact: 48 bits */
	r.f = (float)p;
	if (!fpf_big_s(r.u) && !(!(a << 1) || !(b << 1)))
		return false;
	if (!(st->exc & FPSR_IXC))
		fpf_ixc(st, (double)r.f != p);
	*res = r.u;
	return true;
}
/* Four single lanes at once (FADD, FSUB, FMUL 4S) with GCC/clang vector
 * extensions: true when every lane is certain by the rules of
 * fpf_addsub_s and fpf_mul_s, else false with nothing written (the caller
 * goes lane by lane). */
typedef float fpf_v4f __attribute__((vector_size(16)));
typedef uint32_t fpf_v4u __attribute__((vector_size(16)));
typedef int32_t fpf_v4i __attribute__((vector_size(16)));
typedef double fpf_v4d __attribute__((vector_size(32)));
typedef uint64_t fpf_v4q __attribute__((vector_size(32)));

static inline fpf_v4i fpf_ok4(fpf_v4u x) { return (((x >> 23) & 0xffu) - 1u < 0xfeu) | ((x << 1) == 0); }
static inline fpf_v4i fpf_big4(fpf_v4u r) { return (r & 0x7fffffffu) - 0x00800001u < 0x7f000000u - 1u; }
static inline bool fpf_all4(fpf_v4i m)
{
	uint64_t w[2];
	__builtin_memcpy(w, &m, sizeof(w));
	return (w[0] & w[1]) == ~0ull;
}
static inline bool fpf_any4(fpf_v4i m)
{
	uint64_t w[2];
	__builtin_memcpy(w, &m, sizeof(w));
	return (w[0] | w[1]) != 0;
}

static inline bool fpf_addsub4_s(const uint32_t *a, const uint32_t *b, bool sub, fpst *st, uint32_t *res)
{
	if (!fpf_rn(st))
		return false;
	fpf_v4u ua, ub;
	__builtin_memcpy(&ua, a, sizeof(ua));
	__builtin_memcpy(&ub, b, sizeof(ub));
	ub ^= (uint32_t)sub << 31;
	fpf_v4f x = (fpf_v4f)ua, y = (fpf_v4f)ub, r = x + y;
	fpf_v4u ur = (fpf_v4u)r;
	if (!fpf_all4(fpf_ok4(ua) & fpf_ok4(ub) & (fpf_big4(ur) | ((ur << 1) == 0))))
		return false;
	if (!(st->exc & FPSR_IXC)) { /* TwoSum per lane */
		fpf_v4f bb = r - x;
		if (fpf_any4((x - (r - bb)) + (y - bb) != 0))
			st->exc |= FPSR_IXC;
	}
	__builtin_memcpy(res, &ur, sizeof(ur));
	return true;
}
static inline bool fpf_mul4_s(const uint32_t *a, const uint32_t *b, fpst *st, uint32_t *res)
{
	if (!fpf_rn(st))
		return false;
	fpf_v4u ua, ub;
	__builtin_memcpy(&ua, a, sizeof(ua));
	__builtin_memcpy(&ub, b, sizeof(ub));
	fpf_v4d p = __builtin_convertvector((fpf_v4f)ua, fpf_v4d) * __builtin_convertvector((fpf_v4f)ub, fpf_v4d);
	fpf_v4f r = __builtin_convertvector(p, fpf_v4f);
	fpf_v4u ur = (fpf_v4u)r;
	if (!fpf_all4(fpf_ok4(ua) & fpf_ok4(ub) & (fpf_big4(ur) | ((ua << 1) == 0) | ((ub << 1) == 0))))
		return false;
	if (!(st->exc & FPSR_IXC)) { /* bits differ: no NaN, and a zero keeps its sign */
		fpf_v4q dq = (fpf_v4q)__builtin_convertvector(r, fpf_v4d) ^ (fpf_v4q)p;
		uint64_t w[4];
		__builtin_memcpy(w, &dq, sizeof(w));
		if (w[0] | w[1] | w[2] | w[3])
			st->exc |= FPSR_IXC;
	}
	__builtin_memcpy(res, &ur, sizeof(ur));
	return true;
}

/* The significand with its implicit bit, without trailing zeros. */
static inline uint64_t fpf_odd_d(uint64_t x)
{
	uint64_t m = (x & ((1ull << 52) - 1)) | 1ull << 52;
	return m >> __builtin_ctzll(m);
}
static inline uint64_t fpf_sig_d(uint64_t x) { return (x & ((1ull << 52) - 1)) | 1ull << 52; }
static inline int fpf_exp_d(uint64_t x) { return (int)((x >> 52) & 0x7ff); }

static inline bool fpf_mul_d(uint64_t a, uint64_t b, fpst *st, uint64_t *res)
{
	if (!fpf_rn(st) || !fpf_ok_d(a) || !fpf_ok_d(b))
		return false;
	fpf_d x = { .u = a }, y = { .u = b }, r;
	r.f = x.f * y.f;
	bool zop = !(a << 1) || !(b << 1);
	if (!fpf_big_d(r.u) && !zop)
		return false;
	/* Exact iff the odd parts' product fits in 53 bits (it is odd). */
	if (!(st->exc & FPSR_IXC) && !zop)
		fpf_ixc(st, (unsigned __int128)fpf_odd_d(a) * fpf_odd_d(b) >> 53 != 0);
	*res = r.u;
	return true;
}

/* q = a / b: exact iff q * b == a. A zero divisor gives infinity (soft). */
static inline bool fpf_div_s(uint32_t a, uint32_t b, fpst *st, uint64_t *res)
{
	if (!fpf_rn(st) || !fpf_ok_s(a) || !fpf_ok_s(b) || !(b << 1))
		return false;
	fpf_s x = { .u = a }, y = { .u = b }, r;
	r.f = x.f / y.f;
	if (!fpf_big_s(r.u) && (a << 1))
		return false;
	if (!(st->exc & FPSR_IXC))
		fpf_ixc(st, (double)r.f * (double)y.f != (double)x.f);
	*res = r.u;
	return true;
}
static inline bool fpf_div_d(uint64_t a, uint64_t b, fpst *st, uint64_t *res)
{
	if (!fpf_rn(st) || !fpf_ok_d(a) || !fpf_ok_d(b) || !(b << 1))
		return false;
	fpf_d x = { .u = a }, y = { .u = b }, r;
	r.f = x.f / y.f;
	if (!(a << 1)) {
		*res = r.u; /* +-0 / normal */
		return true;
	}
	if (!fpf_big_d(r.u))
		return false;
	if (!(st->exc & FPSR_IXC)) {
		/* a = ma 2^(ea-1075), q*b = mq mb 2^(eq+eb-2150): compare ma << k with mq mb. */
		int k = fpf_exp_d(a) - fpf_exp_d(r.u) - fpf_exp_d(b) + 1075;
		unsigned __int128 p = (unsigned __int128)fpf_sig_d(r.u) * fpf_sig_d(b);
		fpf_ixc(st, k < 52 || k > 53 || p != (unsigned __int128)fpf_sig_d(a) << k);
	}
	*res = r.u;
	return true;
}

/* The host's square root instruction (the libm call would need -lm for
 * its errno path, never taken here). */
static inline float fpf_hsqrt_s(float x)
{
#if defined(__x86_64__)
	__asm__("sqrtss %1, %0" : "=x"(x) : "x"(x));
#elif defined(__aarch64__)
	__asm__("fsqrt %s0, %s1" : "=w"(x) : "w"(x));
#endif
	return x;
}
static inline double fpf_hsqrt_d(double x)
{
#if defined(__x86_64__)
	__asm__("sqrtsd %1, %0" : "=x"(x) : "x"(x));
#elif defined(__aarch64__)
	__asm__("fsqrt %d0, %d1" : "=w"(x) : "w"(x));
#endif
	return x;
}

/* sqrt of a positive normal is normal; of +-0 is +-0; negative: soft (IOC). */
static inline bool fpf_sqrt_s(uint32_t a, fpst *st, uint64_t *res)
{
	if (!fpf_rn(st) || !fpf_ok_s(a) || ((a >> 31) && (a << 1)))
		return false;
	fpf_s x = { .u = a }, r;
	r.f = fpf_hsqrt_s(x.f);
	if (!(st->exc & FPSR_IXC))
		fpf_ixc(st, (double)r.f * (double)r.f != (double)x.f);
	*res = r.u;
	return true;
}
static inline bool fpf_sqrt_d(uint64_t a, fpst *st, uint64_t *res)
{
	if (!fpf_rn(st) || !fpf_ok_d(a) || ((a >> 63) && (a << 1)))
		return false;
	fpf_d x = { .u = a }, r;
	r.f = fpf_hsqrt_d(x.f);
	if (!(st->exc & FPSR_IXC) && (a << 1)) {
		/* r*r = mr^2 2^(2er-2150), a = ma 2^(ea-1075) */
		int k = fpf_exp_d(a) - 2 * fpf_exp_d(r.u) + 1075;
		unsigned __int128 p = (unsigned __int128)fpf_sig_d(r.u) * fpf_sig_d(r.u);
		fpf_ixc(st, k < 52 || k > 53 || p != (unsigned __int128)fpf_sig_d(a) << k);
	}
	*res = r.u;
	return true;
}

/* FPMulAdd, single: c + a * b. */
static inline bool fpf_muladd_s(uint32_t c, uint32_t a, uint32_t b, fpst *st, uint64_t *res)
{
	if (!fpf_rn(st) || !fpf_ok_s(a) || !fpf_ok_s(b) || !fpf_ok_s(c))
		return false;
	fpf_s x = { .u = a }, y = { .u = b }, z = { .u = c }, r;
	double p = (double)x.f * (double)y.f, dc = (double)z.f; /* exact */
	fpf_d s = { .f = p + dc };
	/* Every nonzero p + c is a multiple of 2^-298: s is a double normal and
	 * TwoSum is exact; s == 0 only for an exact zero. */
	double bb = s.f - p, err = (p - (s.f - bb)) + (dc - bb);
	if (err != 0 && !(s.u & 1)) /* round to odd: step towards the exact value */
		s.u += (err > 0) == (s.f > 0) ? 1 : (uint64_t)-1;
	r.f = (float)s.f;
	if (!fpf_big_s(r.u) && (s.u << 1))
		return false;
	if (!(st->exc & FPSR_IXC)) /* err != 0 left s odd: never a single */
		fpf_ixc(st, (double)r.f != s.f);
	*res = r.u;
	return true;
}

/* FPMulAdd, double: the host's fused multiply-add (one rounding, as Arm's),
 * where there is one (x86-64: FMA3, checked at run time), and only once
 * FPSR.IXC is set: its inexact is not detected. A zero result is certain
 * (not an underflow) only from zero operands. */
#if FP_HOST_FAST && defined(__x86_64__)
__attribute__((target("fma"))) static inline double fpf_hfma_d(double a, double b, double c)
{
	return __builtin_fma(a, b, c);
}
static inline bool fpf_have_fma(void) { return __builtin_cpu_supports("fma"); }
#elif FP_HOST_FAST && defined(__aarch64__)
static inline double fpf_hfma_d(double a, double b, double c) { return __builtin_fma(a, b, c); }
static inline bool fpf_have_fma(void) { return true; }
#else
static inline double fpf_hfma_d(double a, double b, double c) { return a + b + c; } /* never called */
static inline bool fpf_have_fma(void) { return false; }
#endif
static inline bool fpf_muladd_d(uint64_t c, uint64_t a, uint64_t b, fpst *st, uint64_t *res)
{
	if (!(st->exc & FPSR_IXC) || !fpf_rn(st) || !fpf_ok_d(a) || !fpf_ok_d(b) || !fpf_ok_d(c) || !fpf_have_fma())
		return false;
	fpf_d x = { .u = a }, y = { .u = b }, z = { .u = c }, r;
	r.f = fpf_hfma_d(x.f, y.f, z.f);
	if (!fpf_big_d(r.u) && !(!(c << 1) && (!(a << 1) || !(b << 1))))
		return false;
	*res = r.u;
	return true;
}

/* FPCompare without NaNs and (under FZ) denormals: NZCV, no flags. */
static inline bool fpf_cmp_s(uint32_t a, uint32_t b, const fpst *st, unsigned *nzcv)
{
	if (!FP_HOST_FAST || (a & 0x7fffffffu) > 0x7f800000u || (b & 0x7fffffffu) > 0x7f800000u)
		return false;
	if ((st->fpcr & FPCR_FZ) && (!fpf_ok_s(a) || !fpf_ok_s(b)))
		return false; /* denormal: IDC */
	fpf_s x = { .u = a }, y = { .u = b };
	*nzcv = x.f == y.f ? 0x6 : x.f < y.f ? 0x8 : 0x2;
	return true;
}
static inline bool fpf_cmp_d(uint64_t a, uint64_t b, const fpst *st, unsigned *nzcv)
{
	const uint64_t inf = 0x7ff0000000000000ull, m = ~(1ull << 63);
	if (!FP_HOST_FAST || (a & m) > inf || (b & m) > inf)
		return false;
	if ((st->fpcr & FPCR_FZ) && (!fpf_ok_d(a) || !fpf_ok_d(b)))
		return false;
	fpf_d x = { .u = a }, y = { .u = b };
	*nzcv = x.f == y.f ? 0x6 : x.f < y.f ? 0x8 : 0x2;
	return true;
}

/* FCVT single <-> double in RN (FPCR.RMode: FCVT, FCVTN, FCVTL). Widening
 * a normal or zero is exact. */
static inline bool fpf_cvt_sd(uint32_t a, const fpst *st, uint64_t *res)
{
	if (!FP_HOST_FAST || !fpf_ok_s(a))
		return false;
	fpf_s x = { .u = a };
	fpf_d r = { .f = (double)x.f };
	*res = r.u;
	(void)st;
	return true;
}
static inline bool fpf_cvt_ds(uint64_t a, fpst *st, uint64_t *res)
{
	if (!fpf_rn(st) || !fpf_ok_d(a))
		return false;
	fpf_d x = { .u = a };
	fpf_s r = { .f = (float)x.f };
	if (!fpf_big_s(r.u) && (a << 1))
		return false;
	if (!(st->exc & FPSR_IXC))
		fpf_ixc(st, (double)r.f != x.f);
	*res = r.u;
	return true;
}

/* Format-generic wrappers: the fast path, else the soft function. */
static inline uint64_t fpf_add(unsigned fmt, uint64_t a, uint64_t b, bool sub, fpst *st)
{
	uint64_t r;
	if (fmt == FP_S ? fpf_addsub_s((uint32_t)a, (uint32_t)b, sub, st, &r)
			: fmt == FP_D && fpf_addsub_d(a, b, sub, st, &r))
		return r;
	return sub ? fp_sub(fmt, a, b, st) : fp_add(fmt, a, b, st);
}
static inline uint64_t fpf_mul(unsigned fmt, uint64_t a, uint64_t b, fpst *st)
{
	uint64_t r;
	if (fmt == FP_S ? fpf_mul_s((uint32_t)a, (uint32_t)b, st, &r) : fmt == FP_D && fpf_mul_d(a, b, st, &r))
		return r;
	return fp_mul(fmt, a, b, st);
}
static inline uint64_t fpf_div(unsigned fmt, uint64_t a, uint64_t b, fpst *st)
{
	uint64_t r;
	if (fmt == FP_S ? fpf_div_s((uint32_t)a, (uint32_t)b, st, &r) : fmt == FP_D && fpf_div_d(a, b, st, &r))
		return r;
	return fp_div(fmt, a, b, st);
}
static inline uint64_t fpf_sqrt(unsigned fmt, uint64_t a, fpst *st)
{
	uint64_t r;
	if (fmt == FP_S ? fpf_sqrt_s((uint32_t)a, st, &r) : fmt == FP_D && fpf_sqrt_d(a, st, &r))
		return r;
	return fp_sqrt(fmt, a, st);
}
static inline uint64_t fpf_muladd(unsigned fmt, uint64_t c, uint64_t a, uint64_t b, fpst *st)
{
	uint64_t r;
	if (fmt == FP_S ? fpf_muladd_s((uint32_t)c, (uint32_t)a, (uint32_t)b, st, &r)
			: fmt == FP_D && fpf_muladd_d(c, a, b, st, &r))
		return r;
	return fp_muladd(fmt, c, a, b, st);
}
static inline unsigned fpf_compare(unsigned fmt, uint64_t a, uint64_t b, bool signal_nans, fpst *st)
{
	unsigned r;
	if (fmt == FP_S ? fpf_cmp_s((uint32_t)a, (uint32_t)b, st, &r) : fmt == FP_D && fpf_cmp_d(a, b, st, &r))
		return r;
	return fp_compare(fmt, a, b, signal_nans, st);
}
static inline uint64_t fpf_convert(unsigned from, unsigned to, uint64_t a, unsigned rmode, fpst *st)
{
	uint64_t r;
	if (from == FP_S && to == FP_D && fpf_cvt_sd((uint32_t)a, st, &r))
		return r;
	if (from == FP_D && to == FP_S && rmode == FPR_TIEEVEN && fpf_cvt_ds(a, st, &r))
		return r;
	return fp_convert(from, to, a, rmode, st);
}

#endif
