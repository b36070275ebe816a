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
 * implemented). Values are passed and returned in the low bits of a uint64_t. */
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

#endif
