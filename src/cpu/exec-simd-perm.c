/* Advanced SIMD data movement (Armv8.0): copy (DUP, INS, UMOV, SMOV),
 * modified immediate (MOVI, MVNI, ORR, BIC, FMOV vector immediate), table
 * lookup (TBL, TBX), permute (UZP, TRN, ZIP), extract (EXT) and across
 * lanes (ADDV, SADDLV, UADDLV, SMAXV, UMAXV, SMINV, UMINV), plus the
 * scalar DUP (element).
 *
 * Decoded entry: rd, rn, rm = V register numbers, except the general
 * register operand of DUP/INS (general) (rn) and UMOV/SMOV (rd), which are
 * X slots; f0 = log2 of the element size in bytes; f1 = number of elements
 * or bytes processed; f2 = Q or a sub-operation; f3 = element index;
 * imm = a constant. */
#include "cpu/exec-simd.h"
#include "a64-decode.h"

#define H(name) static const dinsn *name(struct a64_cpu *c, const dinsn *d)

/* The 64-bit pattern repeating an E-bit value. */
static inline uint64_t replicate(uint64_t v, unsigned E)
{
	switch (E) {
	case 8: return (v & 0xff) * 0x0101010101010101ull;
	case 16: return (v & 0xffff) * 0x0001000100010001ull;
	case 32: return (v & 0xffffffffull) * 0x0000000100000001ull;
	default: return v;
	}
}

/* ---- Copy ------------------------------------------------------------------- */

/* DUP (element): f0 = size, f3 = index, f2 = Q. */
#define DEF_DUP(SZ, E)                                                        \
	H(h_dup_elem_##SZ)                                                    \
	{                                                                     \
		simd_check(c, d);                                             \
		vr n = vget(c, d->rn);                                        \
		uint64_t v = replicate(lane(&n, E, d->f3), E);                \
		c->v[d->rd].d[0] = v;                                         \
		c->v[d->rd].d[1] = d->f2 ? v : 0;                             \
		return cpu_next(c, d + 1);                                    \
	}                                                                     \
	H(h_dup_gen_##SZ)                                                     \
	{                                                                     \
		simd_check(c, d);                                             \
		uint64_t v = replicate(c->x[d->rn], E);                       \
		c->v[d->rd].d[0] = v;                                         \
		c->v[d->rd].d[1] = d->f2 ? v : 0;                             \
		return cpu_next(c, d + 1);                                    \
	}                                                                     \
	H(h_ins_gen_##SZ)                                                     \
	{                                                                     \
		simd_check(c, d);                                             \
		vr r = vget(c, d->rd);                                        \
		setlane(&r, E, d->f3, c->x[d->rn]);                           \
		vset(c, d->rd, r);                                            \
		return cpu_next(c, d + 1);                                    \
	}                                                                     \
	H(h_ins_elem_##SZ)                                                    \
	{                                                                     \
		simd_check(c, d);                                             \
		vr n = vget(c, d->rn), r = vget(c, d->rd);                    \
		setlane(&r, E, d->f3, lane(&n, E, d->f2));                    \
		vset(c, d->rd, r);                                            \
		return cpu_next(c, d + 1);                                    \
	}                                                                     \
	H(h_umov_##SZ)                                                        \
	{                                                                     \
		simd_check(c, d);                                             \
		vr n = vget(c, d->rn);                                        \
		c->x[d->rd] = lane(&n, E, d->f3);                             \
		return cpu_next(c, d + 1);                                    \
	}                                                                     \
	H(h_smov_x_##SZ)                                                      \
	{                                                                     \
		simd_check(c, d);                                             \
		vr n = vget(c, d->rn);                                        \
		c->x[d->rd] = (uint64_t)slane(&n, E, d->f3);                  \
		return cpu_next(c, d + 1);                                    \
	}                                                                     \
	H(h_smov_w_##SZ)                                                      \
	{                                                                     \
		simd_check(c, d);                                             \
		vr n = vget(c, d->rn);                                        \
		c->x[d->rd] = (uint32_t)slane(&n, E, d->f3);                  \
		return cpu_next(c, d + 1);                                    \
	}                                                                     \
	H(h_dup_scalar_##SZ)                                                  \
	{                                                                     \
		simd_check(c, d);                                             \
		vr n = vget(c, d->rn);                                        \
		vset64(c, d->rd, lane(&n, E, d->f3));                         \
		return cpu_next(c, d + 1);                                    \
	}
DEF_DUP(0, 8)
DEF_DUP(1, 16)
DEF_DUP(2, 32)
DEF_DUP(3, 64)
#define SZ_TAB(p) { p##0, p##1, p##2, p##3 }
static const dinsn_fn dup_elem_fn[4] = SZ_TAB(h_dup_elem_);
static const dinsn_fn dup_gen_fn[4] = SZ_TAB(h_dup_gen_);
static const dinsn_fn ins_gen_fn[4] = SZ_TAB(h_ins_gen_);
static const dinsn_fn ins_elem_fn[4] = SZ_TAB(h_ins_elem_);
static const dinsn_fn umov_fn[4] = SZ_TAB(h_umov_);
static const dinsn_fn smov_x_fn[4] = SZ_TAB(h_smov_x_);
static const dinsn_fn smov_w_fn[4] = SZ_TAB(h_smov_w_);
static const dinsn_fn dup_scalar_fn[4] = SZ_TAB(h_dup_scalar_);

bool trans_COPY(struct a64_dctx *s, arg_COPY *a)
{
	dinsn *d = s->d;
	unsigned imm5 = (unsigned)a->imm5, imm4 = (unsigned)a->imm4, q = (unsigned)a->q;
	if (!(imm5 & 0xf))
		return false;
	unsigned size = (unsigned)__builtin_ctz(imm5);
	unsigned idx = imm5 >> (size + 1);
	d->f0 = (uint8_t)size;
	d->f3 = (uint8_t)idx;
	d->f2 = (uint8_t)q;
	if (a->op) { /* INS (element) */
		if (!q)
			return false;
		d->fn = ins_elem_fn[size];
		d->rd = (uint8_t)a->rd;
		d->rn = (uint8_t)a->rn;
		d->f2 = (uint8_t)(imm4 >> size);
		return true;
	}
	switch (imm4) {
	case 0x0: /* DUP (element) */
		if (size == 3 && !q)
			return false;
		d->fn = dup_elem_fn[size];
		d->rd = (uint8_t)a->rd;
		d->rn = (uint8_t)a->rn;
		return true;
	case 0x1: /* DUP (general) */
		if (size == 3 && !q)
			return false;
		d->fn = dup_gen_fn[size];
		d->rd = (uint8_t)a->rd;
		d->rn = reg_zr((unsigned)a->rn);
		return true;
	case 0x3: /* INS (general) */
		if (!q)
			return false;
		d->fn = ins_gen_fn[size];
		d->rd = (uint8_t)a->rd;
		d->rn = reg_zr((unsigned)a->rn);
		return true;
	case 0x5: /* SMOV: W from B/H, X from B/H/S */
		if (size >= (q ? 3u : 2u))
			return false;
		d->fn = q ? smov_x_fn[size] : smov_w_fn[size];
		d->rd = reg_zr_w((unsigned)a->rd);
		d->rn = (uint8_t)a->rn;
		return true;
	case 0x7: /* UMOV: W from B/H/S, X from D */
		if (q ? size != 3 : size == 3)
			return false;
		d->fn = umov_fn[size];
		d->rd = reg_zr_w((unsigned)a->rd);
		d->rn = (uint8_t)a->rn;
		return true;
	default:
		return false;
	}
}

/* Scalar copy: DUP (element) / MOV scalar only. */
bool trans_S_COPY(struct a64_dctx *s, arg_S_COPY *a)
{
	dinsn *d = s->d;
	unsigned imm5 = (unsigned)a->imm5;
	if (a->op || a->imm4 || !(imm5 & 0xf))
		return false;
	unsigned size = (unsigned)__builtin_ctz(imm5);
	d->fn = dup_scalar_fn[size];
	d->rd = (uint8_t)a->rd;
	d->rn = (uint8_t)a->rn;
	d->f3 = (uint8_t)(imm5 >> (size + 1));
	return true;
}

/* ---- Modified immediate ------------------------------------------------------ */

H(h_movi)
{
	simd_check(c, d);
	c->v[d->rd].d[0] = d->imm;
	c->v[d->rd].d[1] = d->f2 ? d->imm : 0;
	return cpu_next(c, d + 1);
}
H(h_orr_imm)
{
	simd_check(c, d);
	c->v[d->rd].d[0] |= d->imm;
	c->v[d->rd].d[1] = d->f2 ? c->v[d->rd].d[1] | d->imm : 0;
	return cpu_next(c, d + 1);
}
H(h_bic_imm)
{
	simd_check(c, d);
	c->v[d->rd].d[0] &= ~d->imm;
	c->v[d->rd].d[1] = d->f2 ? c->v[d->rd].d[1] & ~d->imm : 0;
	return cpu_next(c, d + 1);
}

/* AdvSIMDExpandImm (Arm ARM shared pseudocode), including the FMOV forms
 * (cmode 1111: VFPExpandImm of the single- or double-precision value). */
static uint64_t expand_imm(unsigned op, unsigned cmode, uint64_t imm8)
{
	switch (cmode >> 1) {
	case 0: return replicate(imm8, 32);
	case 1: return replicate(imm8 << 8, 32);
	case 2: return replicate(imm8 << 16, 32);
	case 3: return replicate(imm8 << 24, 32);
	case 4: return replicate(imm8, 16);
	case 5: return replicate(imm8 << 8, 16);
	case 6:
		return (cmode & 1) ? replicate(imm8 << 16 | 0xffff, 32) : replicate(imm8 << 8 | 0xff, 32);
	default:
		if (!(cmode & 1)) {
			if (!op)
				return replicate(imm8, 8);
			uint64_t r = 0;
			for (unsigned i = 0; i < 8; i++)
				if (imm8 >> i & 1)
					r |= 0xffull << (8 * i);
			return r;
		}
		if (!op) {
			uint32_t f = (uint32_t)(imm8 >> 7 & 1) << 31 | (uint32_t)(~imm8 >> 6 & 1) << 30 |
				     ((imm8 >> 6 & 1) ? 0x1fu << 25 : 0) | (uint32_t)(imm8 & 0x3f) << 19;
			return replicate(f, 32);
		}
		return (imm8 >> 7 & 1) << 63 | (~imm8 >> 6 & 1) << 62 | ((imm8 >> 6 & 1) ? 0xffull << 54 : 0) |
		       (imm8 & 0x3f) << 48;
	}
}

bool trans_MODIMM(struct a64_dctx *s, arg_MODIMM *a)
{
	dinsn *d = s->d;
	unsigned op = (unsigned)a->op, cmode = (unsigned)a->cmode, q = (unsigned)a->q;
	if (a->o2) /* FMOV (vector, immediate) half-precision: FEAT_FP16 */
		return false;
	if (cmode == 0xf && op && !q)
		return false;
	uint64_t imm = expand_imm(op, cmode, (uint64_t)a->abc << 5 | (uint64_t)a->defgh);
	bool orrbic = (cmode & 1) && (cmode >> 2) != 3 ;
	if (orrbic) {
		d->fn = op ? h_bic_imm : h_orr_imm;
	} else {
		d->fn = h_movi;
		if (op && cmode != 0xe && cmode != 0xf) /* MVNI */
			imm = ~imm;
	}
	d->rd = (uint8_t)a->rd;
	d->f2 = (uint8_t)q;
	d->imm = imm;
	return true;
}

/* ---- Table lookup ------------------------------------------------------------- */

/* f1 = number of table registers, f2 = Q, f3 = 1 for TBX. */
H(h_tbl)
{
	simd_check(c, d);
	uint8_t tab[64];
	unsigned nt = d->f1, nbytes = d->f2 ? 16 : 8;
	for (unsigned i = 0; i < nt; i++)
		memcpy(tab + 16 * i, &c->v[(d->rn + i) & 31], 16);
	vr idx = vget(c, d->rm), r = vget(c, d->rd);
	if (!d->f3)
		r.d[0] = r.d[1] = 0;
	const u8a *ib = (const u8a *)idx.d;
	u8a *rb = (u8a *)r.d;
	unsigned lim = 16 * nt;
	for (unsigned i = 0; i < nbytes; i++)
		if (ib[i] < lim)
			rb[i] = tab[ib[i]];
	if (!d->f2)
		r.d[1] = 0;
	vset(c, d->rd, r);
	return cpu_next(c, d + 1);
}

bool trans_TBL(struct a64_dctx *s, arg_TBL *a)
{
	dinsn *d = s->d;
	d->fn = h_tbl;
	d->rd = (uint8_t)a->rd;
	d->rn = (uint8_t)a->rn;
	d->rm = (uint8_t)a->rm;
	d->f1 = (uint8_t)(a->len + 1);
	d->f2 = (uint8_t)a->q;
	d->f3 = (uint8_t)a->op;
	return true;
}

/* ---- Permute -------------------------------------------------------------------- */

/* f1 = number of elements, f2 = operation (opcode), f3 = part. */
#define DEF_PERM(SZ, E)                                                                           \
	H(h_perm_##SZ)                                                                            \
	{                                                                                         \
		simd_check(c, d);                                                                 \
		vr n = vget(c, d->rn), m = vget(c, d->rm), r = { { 0, 0 } };                      \
		unsigned cnt = d->f1, half = cnt / 2, part = d->f3;                               \
		switch (d->f2 & 3) {                                                              \
		case 1: /* UZP1/UZP2 */                                                           \
			for (unsigned i = 0; i < half; i++) {                                     \
				setlane(&r, E, i, lane(&n, E, 2 * i + part));                     \
				setlane(&r, E, half + i, lane(&m, E, 2 * i + part));              \
			}                                                                         \
			break;                                                                    \
		case 2: /* TRN1/TRN2 */                                                           \
			for (unsigned p = 0; p < half; p++) {                                     \
				setlane(&r, E, 2 * p, lane(&n, E, 2 * p + part));                 \
				setlane(&r, E, 2 * p + 1, lane(&m, E, 2 * p + part));             \
			}                                                                         \
			break;                                                                    \
		default: /* ZIP1/ZIP2 */                                                          \
			for (unsigned p = 0; p < half; p++) {                                     \
				setlane(&r, E, 2 * p, lane(&n, E, part * half + p));              \
				setlane(&r, E, 2 * p + 1, lane(&m, E, part * half + p));          \
			}                                                                         \
			break;                                                                    \
		}                                                                                 \
		vset(c, d->rd, r);                                                                \
		return cpu_next(c, d + 1);                                                        \
	}
DEF_PERM(0, 8)
DEF_PERM(1, 16)
DEF_PERM(2, 32)
DEF_PERM(3, 64)
static const dinsn_fn perm_fn[4] = SZ_TAB(h_perm_);

bool trans_PERM(struct a64_dctx *s, arg_PERM *a)
{
	dinsn *d = s->d;
	unsigned op = (unsigned)a->opcode, size = (unsigned)a->size, q = (unsigned)a->q;
	if ((op & 3) == 0 || (size == 3 && !q))
		return false;
	d->fn = perm_fn[size];
	d->rd = (uint8_t)a->rd;
	d->rn = (uint8_t)a->rn;
	d->rm = (uint8_t)a->rm;
	d->f1 = (uint8_t)((q ? 16 : 8) >> size);
	d->f2 = (uint8_t)op;
	d->f3 = (uint8_t)(op >> 2);
	return true;
}

/* ---- Extract ---------------------------------------------------------------------- */

/* f1 = first byte, f2 = Q. */
H(h_ext_q)
{
	simd_check(c, d);
	uint8_t buf[32];
	memcpy(buf, &c->v[d->rn], 16);
	memcpy(buf + 16, &c->v[d->rm], 16);
	memcpy(&c->v[d->rd], buf + d->f1, 16);
	return cpu_next(c, d + 1);
}
H(h_ext_d)
{
	simd_check(c, d);
	uint8_t buf[16];
	uint64_t r;
	memcpy(buf, &c->v[d->rn].d[0], 8);
	memcpy(buf + 8, &c->v[d->rm].d[0], 8);
	memcpy(&r, buf + d->f1, 8);
	vset64(c, d->rd, r);
	return cpu_next(c, d + 1);
}

bool trans_EXT(struct a64_dctx *s, arg_EXT *a)
{
	dinsn *d = s->d;
	if (!a->q && (a->imm4 & 8))
		return false;
	d->fn = a->q ? h_ext_q : h_ext_d;
	d->rd = (uint8_t)a->rd;
	d->rn = (uint8_t)a->rn;
	d->rm = (uint8_t)a->rm;
	d->f1 = (uint8_t)a->imm4;
	return true;
}

/* ---- Across lanes ------------------------------------------------------------------ */

/* f1 = number of elements, f2 = operation. */
enum { AC_ADDV, AC_SADDLV, AC_UADDLV, AC_SMAXV, AC_UMAXV, AC_SMINV, AC_UMINV };
#define DEF_ACROSS(SZ, E)                                                                 \
	H(h_across_##SZ)                                                                  \
	{                                                                                 \
		simd_check(c, d);                                                         \
		vr n = vget(c, d->rn);                                                    \
		unsigned cnt = d->f1;                                                     \
		uint64_t r;                                                               \
		switch (d->f2) {                                                          \
		case AC_ADDV:                                                             \
		case AC_UADDLV:                                                           \
			r = 0;                                                            \
			for (unsigned i = 0; i < cnt; i++)                                \
				r += lane(&n, E, i);                                      \
			r &= ones_e(d->f2 == AC_ADDV ? E : 2 * E);                        \
			break;                                                            \
		case AC_SADDLV: {                                                         \
			int64_t t = 0;                                                    \
			for (unsigned i = 0; i < cnt; i++)                                \
				t += slane(&n, E, i);                                     \
			r = (uint64_t)t & ones_e(2 * E);                                  \
			break;                                                            \
		}                                                                         \
		case AC_SMAXV:                                                            \
		case AC_SMINV: {                                                          \
			int64_t t = slane(&n, E, 0);                                      \
			for (unsigned i = 1; i < cnt; i++) {                              \
				int64_t v = slane(&n, E, i);                              \
				if (d->f2 == AC_SMAXV ? v > t : v < t)                    \
					t = v;                                            \
			}                                                                 \
			r = (uint64_t)t & ones_e(E);                                      \
			break;                                                            \
		}                                                                         \
		case AC_UMAXV: {                                                          \
			uint64_t t = 0;                                                   \
			for (unsigned i = 0; i < cnt; i++) {                              \
				uint64_t v = lane(&n, E, i);                              \
				t = v > t ? v : t;                                        \
			}                                                                 \
			r = t;                                                            \
			break;                                                            \
		}                                                                         \
		default: {                                                                \
			uint64_t t = lane(&n, E, 0);                                      \
			for (unsigned i = 1; i < cnt; i++) {                              \
				uint64_t v = lane(&n, E, i);                              \
				t = v < t ? v : t;                                        \
			}                                                                 \
			r = t;                                                            \
			break;                                                            \
		}                                                                         \
		}                                                                         \
		vset64(c, d->rd, r);                                                      \
		return cpu_next(c, d + 1);                                                \
	}
DEF_ACROSS(0, 8)
DEF_ACROSS(1, 16)
DEF_ACROSS(2, 32)
static const dinsn_fn across_fn[3] = { h_across_0, h_across_1, h_across_2 };

bool trans_ACROSS(struct a64_dctx *s, arg_ACROSS *a)
{
	dinsn *d = s->d;
	unsigned op = (unsigned)a->opcode, u = (unsigned)a->u, size = (unsigned)a->size, q = (unsigned)a->q;
	int k;
	switch (op) {
	case 0x03: k = u ? AC_UADDLV : AC_SADDLV; break;
	case 0x0a: k = u ? AC_UMAXV : AC_SMAXV; break;
	case 0x1a: k = u ? AC_UMINV : AC_SMINV; break;
	case 0x1b: if (u) return false; k = AC_ADDV; break;
	default: return false;
	}
	if (size == 3 || (size == 2 && !q))
		return false;
	d->fn = across_fn[size];
	d->rd = (uint8_t)a->rd;
	d->rn = (uint8_t)a->rn;
	d->f1 = (uint8_t)((q ? 16 : 8) >> size);
	d->f2 = (uint8_t)k;
	return true;
}
