/* Advanced SIMD integer arithmetic (Armv8.0, Arm ARM C4.1.95 and the
 * instruction pages of C7.2): three-same, three-different, two-register
 * miscellaneous, shift by immediate and by-element classes, vector and
 * scalar forms. Floating-point opcodes of these classes are not decoded
 * here (the trans_* functions return false, so the FP tables get them).
 *
 * Every operation is a small inline function on one lane:
 *     op(a, b, acc, E, &qc, imm)
 * a, b: the source lanes (zero-extended), acc: the destination lane (for
 * accumulating forms), E: the element size in bits, imm: a shift amount.
 * The macros below instantiate, per element size, handlers that loop over
 * the lanes with E a constant, so the lane accesses are typed loads and
 * stores. Results are computed with 128-bit intermediates where the Arm
 * pseudocode uses unbounded integers (saturation, rounding, doubling).
 *
 * Decoded entry: rd, rn, rm = V register numbers; f1 = number of result
 * elements (1 for scalar forms); f2 = 1 for the "2" forms (upper half);
 * f3 = the element index of by-element forms; imm = shift amount.
 * Saturating operations set FPSR.QC when a lane saturates. Every handler
 * checks the FP/SIMD access enable (CPACR_EL1.FPEN) first. */
#include "cpu/exec-simd.h"
#include "a64-decode.h"

#define H(name) static const dinsn *name(struct a64_cpu *c, const dinsn *d)

typedef __int128 i128;
typedef unsigned __int128 u128;

/* ---- Saturation and shifts ---------------------------------------------- */

static inline uint64_t sat_s(i128 v, unsigned E, bool *qc)
{
	i128 max = ((i128)1 << (E - 1)) - 1, min = -max - 1;
	if (v > max) {
		*qc = true;
		return (uint64_t)max;
	}
	if (v < min) {
		*qc = true;
		return (uint64_t)min;
	}
	return (uint64_t)v;
}

static inline uint64_t sat_u(i128 v, unsigned E, bool *qc)
{
	i128 max = ((i128)1 << E) - 1;
	if (v > max) {
		*qc = true;
		return (uint64_t)max;
	}
	if (v < 0) {
		*qc = true;
		return 0;
	}
	return (uint64_t)v;
}

/* (v + round) << sh on unbounded integers, sh negative = right shift
 * (rounding adds 1 << (-sh - 1)). |v| < 2^64. A left shift by 64 or more
 * of a non-zero value gives a huge value of the right sign whose low 64
 * bits are zero: exactly what both the wrapping and the saturating forms
 * need. sat: 0 none, 1 signed, 2 unsigned saturation to E bits. */
static inline uint64_t vshift(i128 v, int sh, bool rnd, int sat, unsigned E, bool *qc)
{
	i128 r;
	if (sh >= 0) {
		if (v == 0)
			r = 0;
		else if (sh >= 64)
			r = v < 0 ? -((i128)1 << 120) : ((i128)1 << 120);
		else
			r = v * ((i128)1 << sh);
	} else {
		int n = -sh;
		if (n > 65) {
			r = (v < 0 && !rnd) ? -1 : 0;
		} else {
			if (rnd)
				v += (i128)1 << (n - 1);
			r = v >> n;
		}
	}
	if (sat == 1)
		return sat_s(r, E, qc);
	if (sat == 2)
		return sat_u(r, E, qc);
	return (uint64_t)r;
}

static inline uint64_t clmul8(uint64_t a, uint64_t b)
{
	uint64_t r = 0;
	for (unsigned i = 0; i < 8; i++)
		if (b >> i & 1)
			r ^= (a & 0xff) << i;
	return r;
}

/* ---- Lane operations ------------------------------------------------------ */

#define OPF(name) \
	static inline uint64_t op_##name(uint64_t a, uint64_t b, uint64_t acc, unsigned E, bool *qc, uint64_t imm)
#define SA ((int64_t)sext_e(a, E))
#define SB ((int64_t)sext_e(b, E))
#define SACC ((int64_t)sext_e(acc, E))
#define MASKE(x) ((x) ? ~0ull : 0)

/* three-same */
OPF(shadd) { return (uint64_t)(((i128)SA + SB) >> 1); }
OPF(uhadd) { return (uint64_t)(((u128)a + b) >> 1); }
OPF(srhadd) { return (uint64_t)(((i128)SA + SB + 1) >> 1); }
OPF(urhadd) { return (uint64_t)(((u128)a + b + 1) >> 1); }
OPF(shsub) { return (uint64_t)(((i128)SA - SB) >> 1); }
OPF(uhsub) { return (uint64_t)(((i128)a - (i128)b) >> 1); }
OPF(sqadd) { return sat_s((i128)SA + SB, E, qc); }
OPF(uqadd) { return sat_u((i128)a + b, E, qc); }
OPF(sqsub) { return sat_s((i128)SA - SB, E, qc); }
OPF(uqsub) { return sat_u((i128)a - (i128)b, E, qc); }
OPF(cmgt) { return MASKE(SA > SB); }
OPF(cmhi) { return MASKE(a > b); }
OPF(cmge) { return MASKE(SA >= SB); }
OPF(cmhs) { return MASKE(a >= b); }
OPF(cmeq) { return MASKE(a == b); }
OPF(cmtst) { return MASKE((a & b) != 0); }
OPF(sshl) { return vshift(SA, (int8_t)b, false, 0, E, qc); }
OPF(ushl) { return vshift(a, (int8_t)b, false, 0, E, qc); }
OPF(srshl) { return vshift(SA, (int8_t)b, true, 0, E, qc); }
OPF(urshl) { return vshift(a, (int8_t)b, true, 0, E, qc); }
OPF(sqshl) { return vshift(SA, (int8_t)b, false, 1, E, qc); }
OPF(uqshl) { return vshift(a, (int8_t)b, false, 2, E, qc); }
OPF(sqrshl) { return vshift(SA, (int8_t)b, true, 1, E, qc); }
OPF(uqrshl) { return vshift(a, (int8_t)b, true, 2, E, qc); }
OPF(smax) { return SA > SB ? a : b; }
OPF(umax) { return a > b ? a : b; }
OPF(smin) { return SA < SB ? a : b; }
OPF(umin) { return a < b ? a : b; }
OPF(sabd) { return SA > SB ? (uint64_t)SA - (uint64_t)SB : (uint64_t)SB - (uint64_t)SA; }
OPF(uabd) { return a > b ? a - b : b - a; }
OPF(saba) { return acc + op_sabd(a, b, acc, E, qc, imm); }
OPF(uaba) { return acc + op_uabd(a, b, acc, E, qc, imm); }
OPF(add) { return a + b; }
OPF(sub) { return a - b; }
OPF(mla) { return acc + a * b; }
OPF(mls) { return acc - a * b; }
OPF(mul) { return a * b; }
OPF(pmul) { return clmul8(a, b); }
OPF(sqdmulh) { return sat_s(((i128)2 * SA * SB) >> E, E, qc); }
OPF(sqrdmulh) { return sat_s(((i128)2 * SA * SB + ((i128)1 << (E - 1))) >> E, E, qc); }

/* two-register misc (b unused) */
OPF(cls)
{
	uint64_t y = ((a >> 1) ^ a) & ones_e(E - 1);
	return y ? (uint64_t)(E - 2 - (63 - __builtin_clzll(y))) : E - 1;
}
OPF(clz) { return a ? (uint64_t)(__builtin_clzll(a) - (64 - (int)E)) : E; }
OPF(cnt) { return (uint64_t)__builtin_popcountll(a); }
OPF(not) { return ~a; }
OPF(rbit)
{
	uint64_t x = a & 0xff;
	x = (x & 0xf0) >> 4 | (x & 0x0f) << 4;
	x = (x & 0xcc) >> 2 | (x & 0x33) << 2;
	x = (x & 0xaa) >> 1 | (x & 0x55) << 1;
	return x;
}
OPF(sqabs) { return sat_s(SA < 0 ? -(i128)SA : (i128)SA, E, qc); }
OPF(sqneg) { return sat_s(-(i128)SA, E, qc); }
OPF(abs) { return SA < 0 ? -a : a; }
OPF(neg) { return -a; }
OPF(cmgt0) { return MASKE(SA > 0); }
OPF(cmge0) { return MASKE(SA >= 0); }
OPF(cmeq0) { return MASKE(a == 0); }
OPF(cmle0) { return MASKE(SA <= 0); }
OPF(cmlt0) { return MASKE(SA < 0); }
OPF(suqadd) { return sat_s((i128)SACC + a, E, qc); }
OPF(usqadd) { return sat_u((i128)acc + SA, E, qc); }

/* shift by immediate: imm is the shift amount (right: 1..E, left: 0..E-1) */
OPF(sshr) { return (uint64_t)((i128)SA >> imm); }
OPF(ushr) { return (uint64_t)((u128)a >> imm); }
OPF(ssra) { return acc + op_sshr(a, b, acc, E, qc, imm); }
OPF(usra) { return acc + op_ushr(a, b, acc, E, qc, imm); }
OPF(srshr) { return (uint64_t)(((i128)SA + ((i128)1 << (imm - 1))) >> imm); }
OPF(urshr) { return (uint64_t)(((u128)a + ((u128)1 << (imm - 1))) >> imm); }
OPF(srsra) { return acc + op_srshr(a, b, acc, E, qc, imm); }
OPF(ursra) { return acc + op_urshr(a, b, acc, E, qc, imm); }
OPF(sri)
{
	if (imm >= E)
		return acc;
	uint64_t m = ones_e(E) >> imm;
	return (acc & ~m) | ((a >> imm) & m);
}
OPF(shl) { return a << imm; }
OPF(sli)
{
	uint64_t m = ones_e(E) << imm;
	return (acc & ~m) | ((a << imm) & m);
}
OPF(sqshli) { return vshift(SA, (int)imm, false, 1, E, qc); }
OPF(uqshli) { return vshift(a, (int)imm, false, 2, E, qc); }
OPF(sqshlu) { return vshift(SA, (int)imm, false, 2, E, qc); }

/* narrowing: a, b are 2E-bit lanes, the result an E-bit lane */
#define SA2 ((int64_t)sext_e(a, 2 * E))
OPF(addhn) { return (a + b) >> E; }
OPF(raddhn) { return (a + b + (1ull << (E - 1))) >> E; }
OPF(subhn) { return (a - b) >> E; }
OPF(rsubhn) { return (a - b + (1ull << (E - 1))) >> E; }
OPF(xtn) { return a; }
OPF(sqxtn) { return sat_s(SA2, E, qc); }
OPF(uqxtn) { return sat_u(a, E, qc); }
OPF(sqxtun) { return sat_u(SA2, E, qc); }
OPF(shrn) { return a >> imm; }
OPF(rshrn) { return (uint64_t)(((u128)a + ((u128)1 << (imm - 1))) >> imm); }
OPF(sqshrn) { return sat_s((i128)SA2 >> imm, E, qc); }
OPF(sqrshrn) { return sat_s(((i128)SA2 + ((i128)1 << (imm - 1))) >> imm, E, qc); }
OPF(uqshrn) { return sat_u((i128)(a >> imm), E, qc); }
OPF(uqrshrn) { return sat_u((i128)(((u128)a + ((u128)1 << (imm - 1))) >> imm), E, qc); }
OPF(sqshrun) { return sat_u((i128)SA2 >> imm, E, qc); }
OPF(sqrshrun) { return sat_u(((i128)SA2 + ((i128)1 << (imm - 1))) >> imm, E, qc); }

/* long: a, b are E-bit lanes (a is 2E-bit for the wide forms), the result
 * and acc 2E-bit lanes */
#define SAW ((int64_t)sext_e(a, 2 * E))
#define SACC2 ((int64_t)sext_e(acc, 2 * E))
OPF(saddl) { return (uint64_t)(SA + SB); }
OPF(uaddl) { return a + b; }
OPF(ssubl) { return (uint64_t)(SA - SB); }
OPF(usubl) { return a - b; }
OPF(saddw) { return (uint64_t)SAW + (uint64_t)SB; }
OPF(uaddw) { return a + b; }
OPF(ssubw) { return (uint64_t)SAW - (uint64_t)SB; }
OPF(usubw) { return a - b; }
OPF(sabdl) { return op_sabd(a, b, acc, E, qc, imm); }
OPF(uabdl) { return op_uabd(a, b, acc, E, qc, imm); }
OPF(sabal) { return acc + op_sabd(a, b, acc, E, qc, imm); }
OPF(uabal) { return acc + op_uabd(a, b, acc, E, qc, imm); }
OPF(smull) { return (uint64_t)(SA * SB); }
OPF(umull) { return a * b; }
OPF(smlal) { return acc + (uint64_t)(SA * SB); }
OPF(umlal) { return acc + a * b; }
OPF(smlsl) { return acc - (uint64_t)(SA * SB); }
OPF(umlsl) { return acc - a * b; }
OPF(sqdmull) { return sat_s((i128)2 * SA * SB, 2 * E, qc); }
OPF(sqdmlal)
{
	int64_t p = (int64_t)sext_e(sat_s((i128)2 * SA * SB, 2 * E, qc), 2 * E);
	return sat_s((i128)SACC2 + p, 2 * E, qc);
}
OPF(sqdmlsl)
{
	int64_t p = (int64_t)sext_e(sat_s((i128)2 * SA * SB, 2 * E, qc), 2 * E);
	return sat_s((i128)SACC2 - p, 2 * E, qc);
}
OPF(pmull8) { return clmul8(a, b); }
OPF(shll) { return a << E; }
OPF(sshll) { return (uint64_t)SA << imm; }
OPF(ushll) { return a << imm; }

/* pairwise long: a, b are the two E-bit lanes of a pair */
OPF(saddlp) { return (uint64_t)(SA + SB); }
OPF(uaddlp) { return a + b; }
OPF(sadalp) { return acc + (uint64_t)(SA + SB); }
OPF(uadalp) { return acc + a + b; }

/* ---- Handler templates ------------------------------------------------------ */

#define QC_SET() \
	do { \
		if (qc) \
			c->fpsr |= FPSR_QC; \
	} while (0)

/* Element-wise: r[i] = op(n[i], m[i] or m[f3] or -, d[i]); lanes from f1
 * up are zero. */
#define DEF_EW_E(NAME, OP, SZ, E, BSRC)                                                 \
	H(NAME##_##SZ)                                                                  \
	{                                                                               \
		simd_check(c, d);                                                       \
		vr n = vget(c, d->rn), m = vget(c, d->rm), o = vget(c, d->rd);          \
		vr r = { { 0, 0 } };                                                    \
		bool qc = false;                                                        \
		unsigned cnt = d->f1;                                                   \
		(void)m;                                                                \
		for (unsigned i = 0; i < cnt; i++) {                                    \
			uint64_t b = BSRC;                                              \
			setlane(&r, E, i, OP(lane(&n, E, i), b, lane(&o, E, i), E, &qc, d->imm)); \
		}                                                                       \
		QC_SET();                                                               \
		vset(c, d->rd, r);                                                      \
		return cpu_next(c, d + 1);                                              \
	}
#define BS_VEC(E) lane(&m, E, i)
#define BS_ELEM(E) lane(&m, E, d->f3)
#define BS_NONE(E) 0

#define DEF_EW(NAME, OP)                                       \
	DEF_EW_E(h_##NAME, op_##OP, 0, 8, BS_VEC(8))           \
	DEF_EW_E(h_##NAME, op_##OP, 1, 16, BS_VEC(16))         \
	DEF_EW_E(h_##NAME, op_##OP, 2, 32, BS_VEC(32))         \
	DEF_EW_E(h_##NAME, op_##OP, 3, 64, BS_VEC(64))         \
	static const dinsn_fn ew_##NAME[4] = { h_##NAME##_0, h_##NAME##_1, h_##NAME##_2, h_##NAME##_3 };
/* by element: sizes 16 and 32 only */
#define DEF_EL(NAME, OP)                                       \
	DEF_EW_E(he_##NAME, op_##OP, 1, 16, BS_ELEM(16))       \
	DEF_EW_E(he_##NAME, op_##OP, 2, 32, BS_ELEM(32))       \
	static const dinsn_fn el_##NAME[4] = { NULL, he_##NAME##_1, he_##NAME##_2, NULL };

/* Pairwise: the source is Vm:Vn (n's lanes first); r[i] = op(src[2i],
 * src[2i+1]). */
#define DEF_PW_E(NAME, OP, SZ, E)                                                       \
	H(NAME##_##SZ)                                                                  \
	{                                                                               \
		simd_check(c, d);                                                       \
		vr n = vget(c, d->rn), m = vget(c, d->rm), r = { { 0, 0 } };            \
		unsigned cnt = d->f1, half = cnt / 2;                                   \
		bool qc = false;                                                        \
		for (unsigned i = 0; i < half; i++)                                     \
			setlane(&r, E, i, OP(lane(&n, E, 2 * i), lane(&n, E, 2 * i + 1), 0, E, &qc, 0)); \
		for (unsigned i = 0; i < half; i++)                                     \
			setlane(&r, E, half + i, OP(lane(&m, E, 2 * i), lane(&m, E, 2 * i + 1), 0, E, &qc, 0)); \
		vset(c, d->rd, r);                                                      \
		return cpu_next(c, d + 1);                                              \
	}
#define DEF_PW(NAME, OP)                                  \
	DEF_PW_E(h_##NAME, op_##OP, 0, 8)                 \
	DEF_PW_E(h_##NAME, op_##OP, 1, 16)                \
	DEF_PW_E(h_##NAME, op_##OP, 2, 32)                \
	DEF_PW_E(h_##NAME, op_##OP, 3, 64)                \
	static const dinsn_fn pw_##NAME[4] = { h_##NAME##_0, h_##NAME##_1, h_##NAME##_2, h_##NAME##_3 };

/* Long: r[i] (2E) = op(n[i + part] (E, or 2E when WIDE), m[i + part] or
 * m[f3], r[i]); f1 = number of results, part = f2 * f1. */
#define DEF_L_E(NAME, OP, SZ, E, WIDE, BSRC)                                            \
	H(NAME##_##SZ)                                                                  \
	{                                                                               \
		simd_check(c, d);                                                       \
		vr n = vget(c, d->rn), m = vget(c, d->rm), o = vget(c, d->rd);          \
		vr r = { { 0, 0 } };                                                    \
		bool qc = false;                                                        \
		unsigned cnt = d->f1, part = d->f2 ? cnt : 0;                           \
		(void)m;                                                                \
		for (unsigned i = 0; i < cnt; i++) {                                    \
			uint64_t a = (WIDE) ? lane(&n, 2 * E, i) : lane(&n, E, i + part); \
			uint64_t b = BSRC;                                              \
			setlane(&r, 2 * E, i, OP(a, b, lane(&o, 2 * E, i), E, &qc, d->imm)); \
		}                                                                       \
		QC_SET();                                                               \
		vset(c, d->rd, r);                                                      \
		return cpu_next(c, d + 1);                                              \
	}
#define BL_VEC(E) lane(&m, E, i + part)
#define DEF_L(NAME, OP, WIDE)                                        \
	DEF_L_E(h_##NAME, op_##OP, 0, 8, WIDE, BL_VEC(8))            \
	DEF_L_E(h_##NAME, op_##OP, 1, 16, WIDE, BL_VEC(16))          \
	DEF_L_E(h_##NAME, op_##OP, 2, 32, WIDE, BL_VEC(32))          \
	static const dinsn_fn lo_##NAME[4] = { h_##NAME##_0, h_##NAME##_1, h_##NAME##_2, NULL };
#define DEF_LEL(NAME, OP)                                            \
	DEF_L_E(hle_##NAME, op_##OP, 1, 16, 0, BS_ELEM(16))          \
	DEF_L_E(hle_##NAME, op_##OP, 2, 32, 0, BS_ELEM(32))          \
	static const dinsn_fn le_##NAME[4] = { NULL, hle_##NAME##_1, hle_##NAME##_2, NULL };

/* Narrow: r[i + part] (E) = op(n[i] (2E), m[i] (2E)); part = f2 * f1.
 * Writing the upper half keeps the lower one; writing the lower half
 * zeroes the upper one. */
#define DEF_N_E(NAME, OP, SZ, E)                                                        \
	H(NAME##_##SZ)                                                                  \
	{                                                                               \
		simd_check(c, d);                                                       \
		vr n = vget(c, d->rn), m = vget(c, d->rm), r = { { 0, 0 } };            \
		bool qc = false;                                                        \
		unsigned cnt = d->f1, part = 0;                                         \
		if (d->f2) {                                                            \
			r.d[0] = c->v[d->rd].d[0];                                      \
			part = cnt;                                                     \
		}                                                                       \
		for (unsigned i = 0; i < cnt; i++)                                      \
			setlane(&r, E, i + part, OP(lane(&n, 2 * E, i), lane(&m, 2 * E, i), 0, E, &qc, d->imm)); \
		QC_SET();                                                               \
		vset(c, d->rd, r);                                                      \
		return cpu_next(c, d + 1);                                              \
	}
#define DEF_N(NAME, OP)                                 \
	DEF_N_E(h_##NAME, op_##OP, 0, 8)                \
	DEF_N_E(h_##NAME, op_##OP, 1, 16)               \
	DEF_N_E(h_##NAME, op_##OP, 2, 32)               \
	static const dinsn_fn na_##NAME[4] = { h_##NAME##_0, h_##NAME##_1, h_##NAME##_2, NULL };

/* Pairwise long (SADDLP...): r[i] (2E) = op(n[2i], n[2i+1], r[i]). */
#define DEF_PL_E(NAME, OP, SZ, E)                                                       \
	H(NAME##_##SZ)                                                                  \
	{                                                                               \
		simd_check(c, d);                                                       \
		vr n = vget(c, d->rn), o = vget(c, d->rd), r = { { 0, 0 } };            \
		bool qc = false;                                                        \
		for (unsigned i = 0; i < d->f1; i++)                                    \
			setlane(&r, 2 * E, i, OP(lane(&n, E, 2 * i), lane(&n, E, 2 * i + 1), lane(&o, 2 * E, i), E, &qc, 0)); \
		vset(c, d->rd, r);                                                      \
		return cpu_next(c, d + 1);                                              \
	}
#define DEF_PL(NAME, OP)                                \
	DEF_PL_E(h_##NAME, op_##OP, 0, 8)               \
	DEF_PL_E(h_##NAME, op_##OP, 1, 16)              \
	DEF_PL_E(h_##NAME, op_##OP, 2, 32)              \
	static const dinsn_fn pl_##NAME[4] = { h_##NAME##_0, h_##NAME##_1, h_##NAME##_2, NULL };

/* ---- Instances ---------------------------------------------------------------- */

DEF_EW(shadd, shadd) DEF_EW(uhadd, uhadd) DEF_EW(srhadd, srhadd) DEF_EW(urhadd, urhadd)
DEF_EW(shsub, shsub) DEF_EW(uhsub, uhsub)
DEF_EW(sqadd, sqadd) DEF_EW(uqadd, uqadd) DEF_EW(sqsub, sqsub) DEF_EW(uqsub, uqsub)
DEF_EW(cmgt, cmgt) DEF_EW(cmhi, cmhi) DEF_EW(cmge, cmge) DEF_EW(cmhs, cmhs)
DEF_EW(cmeq, cmeq) DEF_EW(cmtst, cmtst)
DEF_EW(sshl, sshl) DEF_EW(ushl, ushl) DEF_EW(srshl, srshl) DEF_EW(urshl, urshl)
DEF_EW(sqshl, sqshl) DEF_EW(uqshl, uqshl) DEF_EW(sqrshl, sqrshl) DEF_EW(uqrshl, uqrshl)
DEF_EW(smax, smax) DEF_EW(umax, umax) DEF_EW(smin, smin) DEF_EW(umin, umin)
DEF_EW(sabd, sabd) DEF_EW(uabd, uabd) DEF_EW(saba, saba) DEF_EW(uaba, uaba)
DEF_EW(add, add) DEF_EW(sub, sub) DEF_EW(mla, mla) DEF_EW(mls, mls) DEF_EW(mul, mul) DEF_EW(pmul, pmul)
DEF_EW(sqdmulh, sqdmulh) DEF_EW(sqrdmulh, sqrdmulh)
DEF_PW(addp, add) DEF_PW(smaxp, smax) DEF_PW(umaxp, umax) DEF_PW(sminp, smin) DEF_PW(uminp, umin)
DEF_EL(mla, mla) DEF_EL(mls, mls) DEF_EL(mul, mul) DEF_EL(sqdmulh, sqdmulh) DEF_EL(sqrdmulh, sqrdmulh)

DEF_EW(cls, cls) DEF_EW(clz, clz) DEF_EW(cnt, cnt) DEF_EW(not, not) DEF_EW(rbit, rbit)
DEF_EW(sqabs, sqabs) DEF_EW(sqneg, sqneg) DEF_EW(abs, abs) DEF_EW(neg, neg)
DEF_EW(cmgt0, cmgt0) DEF_EW(cmge0, cmge0) DEF_EW(cmeq0, cmeq0) DEF_EW(cmle0, cmle0) DEF_EW(cmlt0, cmlt0)
DEF_EW(suqadd, suqadd) DEF_EW(usqadd, usqadd)
DEF_PL(saddlp, saddlp) DEF_PL(uaddlp, uaddlp) DEF_PL(sadalp, sadalp) DEF_PL(uadalp, uadalp)

DEF_EW(sshr, sshr) DEF_EW(ushr, ushr) DEF_EW(ssra, ssra) DEF_EW(usra, usra)
DEF_EW(srshr, srshr) DEF_EW(urshr, urshr) DEF_EW(srsra, srsra) DEF_EW(ursra, ursra)
DEF_EW(sri, sri) DEF_EW(shl, shl) DEF_EW(sli, sli)
DEF_EW(sqshli, sqshli) DEF_EW(uqshli, uqshli) DEF_EW(sqshlu, sqshlu)

DEF_N(addhn, addhn) DEF_N(raddhn, raddhn) DEF_N(subhn, subhn) DEF_N(rsubhn, rsubhn)
DEF_N(xtn, xtn) DEF_N(sqxtn, sqxtn) DEF_N(uqxtn, uqxtn) DEF_N(sqxtun, sqxtun)
DEF_N(shrn, shrn) DEF_N(rshrn, rshrn) DEF_N(sqshrn, sqshrn) DEF_N(sqrshrn, sqrshrn)
DEF_N(uqshrn, uqshrn) DEF_N(uqrshrn, uqrshrn) DEF_N(sqshrun, sqshrun) DEF_N(sqrshrun, sqrshrun)

DEF_L(saddl, saddl, 0) DEF_L(uaddl, uaddl, 0) DEF_L(ssubl, ssubl, 0) DEF_L(usubl, usubl, 0)
DEF_L(saddw, saddw, 1) DEF_L(uaddw, uaddw, 1) DEF_L(ssubw, ssubw, 1) DEF_L(usubw, usubw, 1)
DEF_L(sabal, sabal, 0) DEF_L(uabal, uabal, 0) DEF_L(sabdl, sabdl, 0) DEF_L(uabdl, uabdl, 0)
DEF_L(smlal, smlal, 0) DEF_L(umlal, umlal, 0) DEF_L(smlsl, smlsl, 0) DEF_L(umlsl, umlsl, 0)
DEF_L(smull, smull, 0) DEF_L(umull, umull, 0)
DEF_L(sqdmlal, sqdmlal, 0) DEF_L(sqdmlsl, sqdmlsl, 0) DEF_L(sqdmull, sqdmull, 0)
DEF_L(pmull8, pmull8, 0) DEF_L(shll, shll, 0) DEF_L(sshll, sshll, 0) DEF_L(ushll, ushll, 0)
DEF_LEL(smlal, smlal) DEF_LEL(umlal, umlal) DEF_LEL(smlsl, smlsl) DEF_LEL(umlsl, umlsl)
DEF_LEL(smull, smull) DEF_LEL(umull, umull)
DEF_LEL(sqdmlal, sqdmlal) DEF_LEL(sqdmlsl, sqdmlsl) DEF_LEL(sqdmull, sqdmull)

/* ---- Specialised handlers for the common bitwise operations ---------------- */

#define DEF_LOGIC(NAME, EXPR)                                                  \
	H(h_##NAME##_q)                                                        \
	{                                                                      \
		simd_check(c, d);                                              \
		for (unsigned i = 0; i < 2; i++) {                             \
			uint64_t n = c->v[d->rn].d[i], m = c->v[d->rm].d[i];   \
			uint64_t o = c->v[d->rd].d[i];                         \
			(void)o;                                               \
			c->v[d->rd].d[i] = (EXPR);                             \
		}                                                              \
		return cpu_next(c, d + 1);                                     \
	}                                                                      \
	H(h_##NAME##_d)                                                        \
	{                                                                      \
		simd_check(c, d);                                              \
		uint64_t n = c->v[d->rn].d[0], m = c->v[d->rm].d[0];           \
		uint64_t o = c->v[d->rd].d[0];                                 \
		(void)o;                                                       \
		vset64(c, d->rd, (EXPR));                                      \
		return cpu_next(c, d + 1);                                     \
	}
DEF_LOGIC(and, n & m)
DEF_LOGIC(bic, n & ~m)
DEF_LOGIC(orr, n | m)
DEF_LOGIC(orn, n | ~m)
DEF_LOGIC(eor, n ^ m)
DEF_LOGIC(bsl, (o & n) | (~o & m))
DEF_LOGIC(bit, (m & n) | (~m & o))
DEF_LOGIC(bif, (~m & n) | (m & o))
static const dinsn_fn logic_fn[8][2] = {
	{ h_and_d, h_and_q }, { h_bic_d, h_bic_q }, { h_orr_d, h_orr_q }, { h_orn_d, h_orn_q },
	{ h_eor_d, h_eor_q }, { h_bsl_d, h_bsl_q }, { h_bit_d, h_bit_q }, { h_bif_d, h_bif_q },
};

/* ADD, SUB, CMEQ (vector): the hot ones (memchr/strlen, checksums), on
 * 64-bit words with the lanes kept apart by masking (SWAR). f1 = number of
 * lanes; f2 = 1 for 128 bits. */
static inline uint64_t hi_bits(unsigned E)
{
	return E == 64 ? 1ull << 63 : replicate_lsb(E) << (E - 1);
}
static inline uint64_t swar_add(uint64_t a, uint64_t b, unsigned E)
{
	uint64_t H = hi_bits(E), L = ~H;
	return ((a & L) + (b & L)) ^ ((a ^ b) & H);
}
static inline uint64_t swar_sub(uint64_t a, uint64_t b, unsigned E)
{
	uint64_t H = hi_bits(E), L = ~H;
	return ((a | H) - (b & L)) ^ ((a ^ ~b) & H);
}
static inline uint64_t swar_cmeq(uint64_t a, uint64_t b, unsigned E)
{
	uint64_t H = hi_bits(E), L = ~H, x = a ^ b;
	uint64_t nz = (((x & L) + L) | x) & H; /* lane's top bit: lane != 0 */
	return ((nz ^ H) >> (E - 1)) * ones_e(E);
}
#define DEF_SWAR(NAME, F, SZ, E)                                                    \
	H(h_##NAME##_v##SZ)                                                         \
	{                                                                           \
		simd_check(c, d);                                                   \
		uint64_t n0 = c->v[d->rn].d[0], m0 = c->v[d->rm].d[0];              \
		uint64_t n1 = c->v[d->rn].d[1], m1 = c->v[d->rm].d[1];              \
		c->v[d->rd].d[0] = F(n0, m0, E);                                    \
		c->v[d->rd].d[1] = d->f2 ? F(n1, m1, E) : 0;                        \
		return cpu_next(c, d + 1);                                          \
	}
#define DEF_SWAR_ALL(NAME, F)                                                       \
	DEF_SWAR(NAME, F, 0, 8) DEF_SWAR(NAME, F, 1, 16) DEF_SWAR(NAME, F, 2, 32)    \
	DEF_SWAR(NAME, F, 3, 64)                                                    \
	static const dinsn_fn sw_##NAME[4] = { h_##NAME##_v0, h_##NAME##_v1, h_##NAME##_v2, h_##NAME##_v3 };
DEF_SWAR_ALL(add, swar_add)
DEF_SWAR_ALL(sub, swar_sub)
DEF_SWAR_ALL(cmeq, swar_cmeq)

/* ADDP (scalar): D = n[0] + n[1]. */
H(h_addp_scalar)
{
	simd_check(c, d);
	vset64(c, d->rd, c->v[d->rn].d[0] + c->v[d->rn].d[1]);
	return cpu_next(c, d + 1);
}

/* REV16/REV32/REV64: r[i] = n[i ^ f3] (f3 = elements per container - 1). */
#define DEF_REV_E(SZ, E)                                                      \
	H(h_rev_##SZ)                                                         \
	{                                                                     \
		simd_check(c, d);                                             \
		vr n = vget(c, d->rn), r = { { 0, 0 } };                      \
		for (unsigned i = 0; i < d->f1; i++)                          \
			setlane(&r, E, i, lane(&n, E, i ^ d->f3));            \
		vset(c, d->rd, r);                                            \
		return cpu_next(c, d + 1);                                    \
	}
DEF_REV_E(0, 8)
DEF_REV_E(1, 16)
DEF_REV_E(2, 32)
static const dinsn_fn rev_fn[3] = { h_rev_0, h_rev_1, h_rev_2 };

/* PMULL/PMULL2 with 64-bit elements (FEAT_PMULL): a 128-bit carry-less
 * product, four bits of b at a time. */
static void clmul64(uint64_t a, uint64_t b, uint64_t *lo, uint64_t *hi)
{
	uint64_t tl[16], th[16];
	tl[0] = th[0] = 0;
	for (unsigned i = 1; i < 16; i++) {
		if (i & 1) {
			tl[i] = tl[i - 1] ^ a;
			th[i] = th[i - 1];
		} else {
			tl[i] = tl[i / 2] << 1;
			th[i] = th[i / 2] << 1 | tl[i / 2] >> 63;
		}
	}
	uint64_t l = 0, h = 0;
	for (int s = 60; s >= 0; s -= 4) {
		unsigned k = (unsigned)(b >> s) & 15;
		h = h << 4 | l >> 60;
		l <<= 4;
		l ^= tl[k];
		h ^= th[k];
	}
	*lo = l;
	*hi = h;
}

#if defined(__x86_64__)
#include <wmmintrin.h>
__attribute__((target("pclmul,sse2"))) static const dinsn *h_pmull64_ni(struct a64_cpu *c, const dinsn *d)
{
	simd_check(c, d);
	__m128i x = _mm_cvtsi64_si128((long long)c->v[d->rn].d[d->f2]);
	__m128i y = _mm_cvtsi64_si128((long long)c->v[d->rm].d[d->f2]);
	_mm_storeu_si128((__m128i *)(void *)&c->v[d->rd], _mm_clmulepi64_si128(x, y, 0));
	return cpu_next(c, d + 1);
}
#endif

H(h_pmull64)
{
	simd_check(c, d);
	uint64_t lo, hi;
	clmul64(c->v[d->rn].d[d->f2], c->v[d->rm].d[d->f2], &lo, &hi);
	c->v[d->rd].d[0] = lo;
	c->v[d->rd].d[1] = hi;
	return cpu_next(c, d + 1);
}

/* ---- Decoding ---------------------------------------------------------------- */

struct opdesc {
	const dinsn_fn *fn;
	uint8_t sizes;  /* allowed sizes (bit per size) */
};

static bool set_ew(struct a64_dctx *s, const dinsn_fn *fn, unsigned size, unsigned cnt, unsigned rd, unsigned rn,
		   unsigned rm)
{
	dinsn *d = s->d;
	if (!fn || !fn[size])
		return false;
	d->fn = fn[size];
	d->rd = (uint8_t)rd;
	d->rn = (uint8_t)rn;
	d->rm = (uint8_t)rm;
	d->f1 = (uint8_t)cnt;
	return true;
}

/* Advanced SIMD three same (integer opcodes 00000-10111). */
static const struct opdesc three_same[24][2] = {
	[0x00] = { { ew_shadd, 7 }, { ew_uhadd, 7 } },
	[0x01] = { { ew_sqadd, 15 }, { ew_uqadd, 15 } },
	[0x02] = { { ew_srhadd, 7 }, { ew_urhadd, 7 } },
	[0x04] = { { ew_shsub, 7 }, { ew_uhsub, 7 } },
	[0x05] = { { ew_sqsub, 15 }, { ew_uqsub, 15 } },
	[0x06] = { { ew_cmgt, 15 }, { ew_cmhi, 15 } },
	[0x07] = { { ew_cmge, 15 }, { ew_cmhs, 15 } },
	[0x08] = { { ew_sshl, 15 }, { ew_ushl, 15 } },
	[0x09] = { { ew_sqshl, 15 }, { ew_uqshl, 15 } },
	[0x0a] = { { ew_srshl, 15 }, { ew_urshl, 15 } },
	[0x0b] = { { ew_sqrshl, 15 }, { ew_uqrshl, 15 } },
	[0x0c] = { { ew_smax, 7 }, { ew_umax, 7 } },
	[0x0d] = { { ew_smin, 7 }, { ew_umin, 7 } },
	[0x0e] = { { ew_sabd, 7 }, { ew_uabd, 7 } },
	[0x0f] = { { ew_saba, 7 }, { ew_uaba, 7 } },
	[0x10] = { { ew_add, 15 }, { ew_sub, 15 } },
	[0x11] = { { ew_cmtst, 15 }, { ew_cmeq, 15 } },
	[0x12] = { { ew_mla, 7 }, { ew_mls, 7 } },
	[0x13] = { { ew_mul, 7 }, { ew_pmul, 1 } },
	[0x14] = { { pw_smaxp, 7 }, { pw_umaxp, 7 } },
	[0x15] = { { pw_sminp, 7 }, { pw_uminp, 7 } },
	[0x16] = { { ew_sqdmulh, 6 }, { ew_sqrdmulh, 6 } },
	[0x17] = { { pw_addp, 15 }, { NULL, 0 } },
};
/* Scalar forms: allowed sizes per opcode. */
static const uint8_t three_same_scalar[24] = {
	[0x01] = 15, [0x05] = 15, [0x06] = 8, [0x07] = 8, [0x08] = 8, [0x09] = 15, [0x0a] = 8, [0x0b] = 15,
	[0x10] = 8, [0x11] = 8, [0x16] = 6,
};

bool trans_THREESAME(struct a64_dctx *s, arg_THREESAME *a)
{
	unsigned op = (unsigned)a->opcode, u = (unsigned)a->u, size = (unsigned)a->size, q = (unsigned)a->q;
	if (op == 0x03) { /* logical: size selects the operation */
		dinsn *d = s->d;
		d->fn = logic_fn[u << 2 | size][q];
		d->rd = (uint8_t)a->rd;
		d->rn = (uint8_t)a->rn;
		d->rm = (uint8_t)a->rm;
		return true;
	}
	if (op >= 24)
		return false;
	const struct opdesc *o = &three_same[op][u];
	if (!(o->sizes >> size & 1) || (size == 3 && !q))
		return false;
	const dinsn_fn *fn = o->fn;
	if (op == 0x10)
		fn = u ? sw_sub : sw_add;
	else if (op == 0x11 && u)
		fn = sw_cmeq;
	if (!set_ew(s, fn, size, (q ? 16 : 8) >> size, (unsigned)a->rd, (unsigned)a->rn, (unsigned)a->rm))
		return false;
	s->d->f2 = (uint8_t)q;
	return true;
}

bool trans_S_THREESAME(struct a64_dctx *s, arg_S_THREESAME *a)
{
	unsigned op = (unsigned)a->opcode, u = (unsigned)a->u, size = (unsigned)a->size;
	if (op >= 24 || !(three_same_scalar[op] >> size & 1))
		return false;
	return set_ew(s, three_same[op][u].fn, size, 1, (unsigned)a->rd, (unsigned)a->rn, (unsigned)a->rm);
}

/* Advanced SIMD three different. */
static const struct opdesc three_diff[16][2] = {
	[0x0] = { { lo_saddl, 7 }, { lo_uaddl, 7 } },
	[0x1] = { { lo_saddw, 7 }, { lo_uaddw, 7 } },
	[0x2] = { { lo_ssubl, 7 }, { lo_usubl, 7 } },
	[0x3] = { { lo_ssubw, 7 }, { lo_usubw, 7 } },
	[0x4] = { { na_addhn, 7 }, { na_raddhn, 7 } },
	[0x5] = { { lo_sabal, 7 }, { lo_uabal, 7 } },
	[0x6] = { { na_subhn, 7 }, { na_rsubhn, 7 } },
	[0x7] = { { lo_sabdl, 7 }, { lo_uabdl, 7 } },
	[0x8] = { { lo_smlal, 7 }, { lo_umlal, 7 } },
	[0x9] = { { lo_sqdmlal, 6 }, { NULL, 0 } },
	[0xa] = { { lo_smlsl, 7 }, { lo_umlsl, 7 } },
	[0xb] = { { lo_sqdmlsl, 6 }, { NULL, 0 } },
	[0xc] = { { lo_smull, 7 }, { lo_umull, 7 } },
	[0xd] = { { lo_sqdmull, 6 }, { NULL, 0 } },
	[0xe] = { { lo_pmull8, 1 }, { NULL, 0 } },
};

bool trans_THREEDIFF(struct a64_dctx *s, arg_THREEDIFF *a)
{
	unsigned op = (unsigned)a->opcode, u = (unsigned)a->u, size = (unsigned)a->size, q = (unsigned)a->q;
	dinsn *d = s->d;
	if (op == 0xe && u == 0 && size == 3) { /* PMULL{2} .1Q, .1D/.2D */
		d->fn = h_pmull64;
#if defined(__x86_64__)
		if (simd_host_crypto())
			d->fn = h_pmull64_ni;
#endif
		d->rd = (uint8_t)a->rd;
		d->rn = (uint8_t)a->rn;
		d->rm = (uint8_t)a->rm;
		d->f2 = (uint8_t)q;
		return true;
	}
	const struct opdesc *o = &three_diff[op][u];
	if (!(o->sizes >> size & 1))
		return false;
	if (!set_ew(s, o->fn, size, 8 >> size, (unsigned)a->rd, (unsigned)a->rn, (unsigned)a->rm))
		return false;
	d->f2 = (uint8_t)q;
	return true;
}

bool trans_S_THREEDIFF(struct a64_dctx *s, arg_S_THREEDIFF *a)
{
	unsigned op = (unsigned)a->opcode, size = (unsigned)a->size;
	if (a->u || (op != 0x9 && op != 0xb && op != 0xd) || (size != 1 && size != 2))
		return false;
	return set_ew(s, three_diff[op][0].fn, size, 1, (unsigned)a->rd, (unsigned)a->rn, (unsigned)a->rm);
}

/* Advanced SIMD two-register miscellaneous (integer opcodes). */
enum { K_EW, K_NARROW, K_LONG, K_PL };
struct miscdesc {
	const dinsn_fn *fn;
	uint8_t sizes, kind, scalar_sizes;
};
static const struct miscdesc two_misc[21][2] = {
	[0x02] = { { pl_saddlp, 7, K_PL, 0 }, { pl_uaddlp, 7, K_PL, 0 } },
	[0x03] = { { ew_suqadd, 15, K_EW, 15 }, { ew_usqadd, 15, K_EW, 15 } },
	[0x04] = { { ew_cls, 7, K_EW, 0 }, { ew_clz, 7, K_EW, 0 } },
	[0x06] = { { pl_sadalp, 7, K_PL, 0 }, { pl_uadalp, 7, K_PL, 0 } },
	[0x07] = { { ew_sqabs, 15, K_EW, 15 }, { ew_sqneg, 15, K_EW, 15 } },
	[0x08] = { { ew_cmgt0, 15, K_EW, 8 }, { ew_cmge0, 15, K_EW, 8 } },
	[0x09] = { { ew_cmeq0, 15, K_EW, 8 }, { ew_cmle0, 15, K_EW, 8 } },
	[0x0a] = { { ew_cmlt0, 15, K_EW, 8 }, { NULL, 0, 0, 0 } },
	[0x0b] = { { ew_abs, 15, K_EW, 8 }, { ew_neg, 15, K_EW, 8 } },
	[0x12] = { { na_xtn, 7, K_NARROW, 0 }, { na_sqxtun, 7, K_NARROW, 7 } },
	[0x13] = { { NULL, 0, 0, 0 }, { lo_shll, 7, K_LONG, 0 } },
	[0x14] = { { na_sqxtn, 7, K_NARROW, 7 }, { na_uqxtn, 7, K_NARROW, 7 } },
};

bool trans_TWOMISC(struct a64_dctx *s, arg_TWOMISC *a)
{
	unsigned op = (unsigned)a->opcode, u = (unsigned)a->u, size = (unsigned)a->size, q = (unsigned)a->q;
	unsigned rd = (unsigned)a->rd, rn = (unsigned)a->rn;
	dinsn *d = s->d;
	if (op <= 1) { /* REV64 (size 0-2), REV32 (size 0-1), REV16 (size 0) */
		unsigned container = op == 1 ? (u ? 0 : 16) : (u ? 32 : 64);
		if (!container || (8u << size) >= container)
			return false;
		set_ew(s, rev_fn, size, (q ? 16 : 8) >> size, rd, rn, rn);
		d->f3 = (uint8_t)(container / (8u << size) - 1);
		return true;
	}
	if (op == 0x05) { /* CNT, NOT, RBIT: bytes only */
		static const dinsn_fn *const fns[2][2] = { { ew_cnt, NULL }, { ew_not, ew_rbit } };
		if (size > 1 || !fns[u][size])
			return false;
		return set_ew(s, fns[u][size], 0, q ? 16 : 8, rd, rn, rn);
	}
	if (op >= 21)
		return false;
	const struct miscdesc *m = &two_misc[op][u];
	if (!(m->sizes >> size & 1) || (size == 3 && !q))
		return false;
	switch (m->kind) {
	case K_EW:
		return set_ew(s, m->fn, size, (q ? 16 : 8) >> size, rd, rn, rn);
	case K_NARROW: /* XTN{2}: Vn has 2E lanes, 64 bits of results */
	case K_LONG:   /* SHLL{2} */
		if (!set_ew(s, m->fn, size, 8 >> size, rd, rn, rn))
			return false;
		d->f2 = (uint8_t)q;
		return true;
	default: /* K_PL */
		return set_ew(s, m->fn, size, (q ? 8 : 4) >> size, rd, rn, rn);
	}
}

bool trans_S_TWOMISC(struct a64_dctx *s, arg_S_TWOMISC *a)
{
	unsigned op = (unsigned)a->opcode, u = (unsigned)a->u, size = (unsigned)a->size;
	if (op >= 21)
		return false;
	const struct miscdesc *m = &two_misc[op][u];
	if (!(m->scalar_sizes >> size & 1))
		return false;
	return set_ew(s, m->fn, size, 1, (unsigned)a->rd, (unsigned)a->rn, (unsigned)a->rn);
}

/* Advanced SIMD scalar pairwise: ADDP (D) only; the rest is FP. */
bool trans_S_PAIRWISE(struct a64_dctx *s, arg_S_PAIRWISE *a)
{
	dinsn *d = s->d;
	if (a->u || a->opcode != 0x1b || a->size != 3)
		return false;
	d->fn = h_addp_scalar;
	d->rd = (uint8_t)a->rd;
	d->rn = (uint8_t)a->rn;
	return true;
}

/* Shift by immediate: immh gives the element size (highest set bit) and,
 * with immb, the shift. */
enum { SH_R, SH_L, SH_NARROW, SH_LONG };
struct shdesc {
	const dinsn_fn *fn;
	uint8_t kind;
	bool scalar; /* has a scalar form (64-bit only for SH_R/SH_L unless sat) */
	bool scalar_any; /* scalar form for every size */
};
static const struct shdesc shift_imm[21][2] = {
	[0x00] = { { ew_sshr, SH_R, true, false }, { ew_ushr, SH_R, true, false } },
	[0x02] = { { ew_ssra, SH_R, true, false }, { ew_usra, SH_R, true, false } },
	[0x04] = { { ew_srshr, SH_R, true, false }, { ew_urshr, SH_R, true, false } },
	[0x06] = { { ew_srsra, SH_R, true, false }, { ew_ursra, SH_R, true, false } },
	[0x08] = { { NULL, 0, false, false }, { ew_sri, SH_R, true, false } },
	[0x0a] = { { ew_shl, SH_L, true, false }, { ew_sli, SH_L, true, false } },
	[0x0c] = { { NULL, 0, false, false }, { ew_sqshlu, SH_L, true, true } },
	[0x0e] = { { ew_sqshli, SH_L, true, true }, { ew_uqshli, SH_L, true, true } },
	[0x10] = { { na_shrn, SH_NARROW, false, false }, { na_sqshrun, SH_NARROW, true, true } },
	[0x11] = { { na_rshrn, SH_NARROW, false, false }, { na_sqrshrun, SH_NARROW, true, true } },
	[0x12] = { { na_sqshrn, SH_NARROW, true, true }, { na_uqshrn, SH_NARROW, true, true } },
	[0x13] = { { na_sqrshrn, SH_NARROW, true, true }, { na_uqrshrn, SH_NARROW, true, true } },
	[0x14] = { { lo_sshll, SH_LONG, false, false }, { lo_ushll, SH_LONG, false, false } },
};

static bool shift_imm_common(struct a64_dctx *s, bool scalar, unsigned q, unsigned u, unsigned immh, unsigned immb,
			     unsigned op, unsigned rd, unsigned rn)
{
	dinsn *d = s->d;
	if (!immh || op >= 21)
		return false;
	const struct shdesc *sd = &shift_imm[op][u];
	if (!sd->fn)
		return false;
	unsigned size = 31 - (unsigned)__builtin_clz(immh), E = 8u << size;
	unsigned imm = immh << 3 | immb;
	if (scalar) {
		if (!sd->scalar)
			return false;
		if (!sd->scalar_any && size != 3)
			return false;
	}
	switch (sd->kind) {
	case SH_R:
	case SH_L:
		if (size == 3 && !q && !scalar)
			return false;
		if (!set_ew(s, sd->fn, size, scalar ? 1 : (q ? 16 : 8) >> size, rd, rn, rn))
			return false;
		d->imm = sd->kind == SH_R ? 2 * E - imm : imm - E;
		return true;
	case SH_NARROW:
		if (size == 3)
			return false;
		if (!set_ew(s, sd->fn, size, scalar ? 1 : 8 >> size, rd, rn, rn))
			return false;
		d->imm = 2 * E - imm;
		d->f2 = (uint8_t)(scalar ? 0 : q);
		return true;
	default: /* SH_LONG */
		if (size == 3)
			return false;
		if (!set_ew(s, sd->fn, size, 8 >> size, rd, rn, rn))
			return false;
		d->imm = imm - E;
		d->f2 = (uint8_t)q;
		return true;
	}
}

bool trans_SHIFTIMM(struct a64_dctx *s, arg_SHIFTIMM *a)
{
	return shift_imm_common(s, false, (unsigned)a->q, (unsigned)a->u, (unsigned)a->immh, (unsigned)a->immb,
				(unsigned)a->opcode, (unsigned)a->rd, (unsigned)a->rn);
}

bool trans_S_SHIFTIMM(struct a64_dctx *s, arg_S_SHIFTIMM *a)
{
	return shift_imm_common(s, true, 1, (unsigned)a->u, (unsigned)a->immh, (unsigned)a->immb,
				(unsigned)a->opcode, (unsigned)a->rd, (unsigned)a->rn);
}

/* Vector x indexed element (integer opcodes); sizes 16 (index H:L:M,
 * Rm 0-15) and 32 (index H:L, Rm = M:Rm). */
struct eldesc {
	const dinsn_fn *fn;
	bool lng, scalar;
};
static const struct eldesc by_elem[16][2] = {
	[0x0] = { { NULL, 0, 0 }, { el_mla, false, false } },
	[0x2] = { { le_smlal, true, false }, { le_umlal, true, false } },
	[0x3] = { { le_sqdmlal, true, true }, { NULL, 0, 0 } },
	[0x4] = { { NULL, 0, 0 }, { el_mls, false, false } },
	[0x6] = { { le_smlsl, true, false }, { le_umlsl, true, false } },
	[0x7] = { { le_sqdmlsl, true, true }, { NULL, 0, 0 } },
	[0x8] = { { el_mul, false, false }, { NULL, 0, 0 } },
	[0xa] = { { le_smull, true, false }, { le_umull, true, false } },
	[0xb] = { { le_sqdmull, true, true }, { NULL, 0, 0 } },
	[0xc] = { { el_sqdmulh, false, true }, { NULL, 0, 0 } },
	[0xd] = { { el_sqrdmulh, false, true }, { NULL, 0, 0 } },
};

static bool elem_common(struct a64_dctx *s, bool scalar, unsigned q, unsigned u, unsigned size, unsigned l,
			unsigned m, unsigned rm, unsigned op, unsigned h, unsigned rd, unsigned rn)
{
	dinsn *d = s->d;
	const struct eldesc *e = &by_elem[op][u];
	if (!e->fn || (size != 1 && size != 2) || (scalar && !e->scalar))
		return false;
	unsigned idx, reg;
	if (size == 1) {
		idx = h << 2 | l << 1 | m;
		reg = rm;
	} else {
		idx = h << 1 | l;
		reg = m << 4 | rm;
	}
	unsigned cnt = scalar ? 1 : e->lng ? 8 >> size : (q ? 16 : 8) >> size;
	if (!set_ew(s, e->fn, size, cnt, rd, rn, reg))
		return false;
	d->f3 = (uint8_t)idx;
	d->f2 = (uint8_t)(scalar ? 0 : q);
	return true;
}

bool trans_ELEM(struct a64_dctx *s, arg_ELEM *a)
{
	return elem_common(s, false, (unsigned)a->q, (unsigned)a->u, (unsigned)a->size, (unsigned)a->l,
			   (unsigned)a->m, (unsigned)a->rm, (unsigned)a->opcode, (unsigned)a->h, (unsigned)a->rd,
			   (unsigned)a->rn);
}

bool trans_S_ELEM(struct a64_dctx *s, arg_S_ELEM *a)
{
	return elem_common(s, true, 1, (unsigned)a->u, (unsigned)a->size, (unsigned)a->l, (unsigned)a->m,
			   (unsigned)a->rm, (unsigned)a->opcode, (unsigned)a->h, (unsigned)a->rd, (unsigned)a->rn);
}
