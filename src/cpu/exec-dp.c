/* A64 data processing (immediate and register): Armv8.0 integer
 * instructions plus CRC32/CRC32C (FEAT_CRC32).
 *
 * Semantics follow the Arm ARM pseudocode (AddWithCarry, DecodeBitMasks,
 * ShiftReg, ExtendReg, ConditionHolds, CRC32). The trans_* functions do all
 * the decoding work: they reject reserved encodings (returning false, which
 * makes the instruction UNDEFINED), map register operands to slots and pick
 * a handler specialised for the operand size, the operation, the shift or
 * extend type and, for conditional instructions, the condition, so handlers
 * are straight-line code.
 *
 * Conventions of the decoded entry used here:
 *   rd, rn, rm, ra  register slots (REG_ZR reads zero, REG_SINK absorbs);
 *   f1              shift amount or a small constant;
 *   f2, f3          further shift amounts, NZCV of CCMP;
 *   imm             the precomputed immediate, inversion mask or mask.
 * 32-bit operations write the zero-extended result to the 64-bit slot. */
#include "cpu/internal.h"
#include "a64-decode.h"

#define H(name) static const dinsn *name(struct a64_cpu *c, const dinsn *d)
#define XR(f) (c->x[d->f])

static inline uint64_t sext32(uint32_t v)
{
	return (uint64_t)(int64_t)(int32_t)v;
}

/* Ones(k) for 1 <= k <= 64. */
static inline uint64_t ones(unsigned k)
{
	return k >= 64 ? ~0ull : (1ull << k) - 1;
}

/* ---- Flags ----------------------------------------------------------------
 * AddWithCarry(a, b, cin) with NZCV; subtraction is a + NOT(b) + 1. */
static inline uint64_t adc64(struct a64_cpu *c, uint64_t a, uint64_t b, uint64_t cin)
{
	uint64_t t, r;
	bool c1 = __builtin_add_overflow(a, b, &t);
	bool c2 = __builtin_add_overflow(t, cin, &r);
	c->nf = r;
	c->zf = r;
	c->cf = (uint64_t)(c1 | c2);
	c->vf = (a ^ r) & ~(a ^ b);
	return r;
}

static inline uint32_t adc32(struct a64_cpu *c, uint32_t a, uint32_t b, uint64_t cin)
{
	uint64_t w = (uint64_t)a + b + cin;
	uint32_t r = (uint32_t)w;
	c->nf = sext32(r);
	c->zf = r;
	c->cf = w >> 32;
	c->vf = sext32((a ^ r) & ~(a ^ b));
	return r;
}

/* a - b with NZCV: the same as AddWithCarry(a, NOT(b), 1), computed
 * directly (C = no borrow). */
static inline uint64_t subs64(struct a64_cpu *c, uint64_t a, uint64_t b)
{
	uint64_t r = a - b;
	c->nf = r;
	c->zf = r;
	c->cf = a >= b;
	c->vf = (a ^ b) & (a ^ r);
	return r;
}

static inline uint32_t subs32(struct a64_cpu *c, uint32_t a, uint32_t b)
{
	uint32_t r = a - b;
	c->nf = sext32(r);
	c->zf = r;
	c->cf = a >= b;
	c->vf = sext32((a ^ b) & (a ^ r));
	return r;
}

/* Logical flag-setting results: N and Z from the result, C = V = 0. */
static inline uint64_t logic_flags64(struct a64_cpu *c, uint64_t r)
{
	c->nf = r;
	c->zf = r;
	c->cf = 0;
	c->vf = 0;
	return r;
}

static inline uint32_t logic_flags32(struct a64_cpu *c, uint32_t r)
{
	c->nf = sext32(r);
	c->zf = r;
	c->cf = 0;
	c->vf = 0;
	return r;
}

/* ---- Shifts (ShiftReg); amounts are already within the operand size ---- */
static inline uint64_t sh_lsl64(uint64_t v, unsigned s) { return v << s; }
static inline uint64_t sh_lsr64(uint64_t v, unsigned s) { return v >> s; }
static inline uint64_t sh_asr64(uint64_t v, unsigned s) { return (uint64_t)((int64_t)v >> s); }
static inline uint64_t sh_ror64(uint64_t v, unsigned s) { return (v >> s) | (v << (-s & 63)); }
static inline uint32_t sh_lsl32(uint32_t v, unsigned s) { return v << s; }
static inline uint32_t sh_lsr32(uint32_t v, unsigned s) { return v >> s; }
static inline uint32_t sh_asr32(uint32_t v, unsigned s) { return (uint32_t)((int32_t)v >> s); }
static inline uint32_t sh_ror32(uint32_t v, unsigned s) { return (v >> s) | (v << (-s & 31)); }
/* Shift amount 0, whatever the type: the common case gets handlers without
 * a shift (a variable shift costs several host micro-ops). */
static inline uint64_t sh_none64(uint64_t v, unsigned s) { (void)s; return v; }
static inline uint32_t sh_none32(uint32_t v, unsigned s) { (void)s; return v; }

/* ---- Extends (ExtendReg) --------------------------------------------------- */
static inline uint64_t ext_uxtb(uint64_t v) { return (uint8_t)v; }
static inline uint64_t ext_uxth(uint64_t v) { return (uint16_t)v; }
static inline uint64_t ext_uxtw(uint64_t v) { return (uint32_t)v; }
static inline uint64_t ext_sxtb(uint64_t v) { return (uint64_t)(int64_t)(int8_t)v; }
static inline uint64_t ext_sxth(uint64_t v) { return (uint64_t)(int64_t)(int16_t)v; }
static inline uint64_t ext_sxtw(uint64_t v) { return (uint64_t)(int64_t)(int32_t)v; }

/* Table of handlers indexed by condition code. */
#define COND_TAB(p) \
	{ p##0, p##1, p##2, p##3, p##4, p##5, p##6, p##7, p##8, p##9, p##10, p##11, p##12, p##13, p##14, p##15 }
#define FOR_EACH_COND(X) \
	X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)

/* Register moves shared by several aliases (MOV, ORR with XZR, EXTR #0,
 * ADD #0 to or from SP). */
H(h_mov64)
{
	XR(rd) = XR(rm);
	return cpu_next(c, d + 1);
}
H(h_mov32)
{
	XR(rd) = (uint32_t)XR(rm);
	return cpu_next(c, d + 1);
}
/* A constant (MOVZ, MOVN, ORR with XZR and a bitmask immediate). */
H(h_movi)
{
	XR(rd) = d->imm;
	return cpu_next(c, d + 1);
}

/* ==== PC-relative addressing ============================================= */

H(h_adr)
{
	XR(rd) = insn_pc(c, d) + d->imm;
	return cpu_next(c, d + 1);
}
/* The page of the instruction is the page being executed. */
H(h_adrp)
{
	XR(rd) = c->cur_va_page + d->imm;
	return cpu_next(c, d + 1);
}

bool trans_ADR(struct a64_dctx *s, arg_ADR *a)
{
	s->d->fn = h_adr;
	s->d->rd = reg_zr_w((unsigned)a->rd);
	s->d->imm = (uint64_t)a->adr_imm;
	return true;
}

bool trans_ADRP(struct a64_dctx *s, arg_ADRP *a)
{
	s->d->fn = h_adrp;
	s->d->rd = reg_zr_w((unsigned)a->rd);
	s->d->imm = (uint64_t)a->adr_imm << 12;
	return true;
}

/* ==== Add/subtract (immediate) ============================================
 * ADD/SUB: imm is the (negated for SUB) addend. ADDS/SUBS: imm is the
 * second operand. */

H(h_addi64)
{
	XR(rd) = XR(rn) + d->imm;
	return cpu_next(c, d + 1);
}
H(h_addi32)
{
	XR(rd) = (uint32_t)(XR(rn) + d->imm);
	return cpu_next(c, d + 1);
}
H(h_addsi64)
{
	XR(rd) = adc64(c, XR(rn), d->imm, 0);
	return cpu_next(c, d + 1);
}
H(h_addsi32)
{
	XR(rd) = adc32(c, (uint32_t)XR(rn), (uint32_t)d->imm, 0);
	return cpu_next(c, d + 1);
}
H(h_subsi64)
{
	XR(rd) = subs64(c, XR(rn), d->imm);
	return cpu_next(c, d + 1);
}
H(h_subsi32)
{
	XR(rd) = subs32(c, (uint32_t)XR(rn), (uint32_t)d->imm);
	return cpu_next(c, d + 1);
}

/* ---- Pairs ----------------------------------------------------------------
 * A flag-setting instruction and the flag reader after it (a loop's
 * counter and B.NE, a compare and the CSEL/CINC of a carry) run in one
 * dispatch: the trans function peeks at the next instruction word to pick
 * a pair handler, which runs the first instruction exactly as alone (NZCV
 * written), then the second if its entry holds the expected handler (it is
 * decoded on its own, and reached alone by branches into it), else
 * dispatches to that entry as usual. */
static bool next_word(const struct a64_dctx *s, uint32_t *w)
{
	size_t i = (size_t)(s->d - s->c->cur_dp->e) + 1;
	if (i >= DPAGE_ENTRIES)
		return false;
	memcpy(w, s->c->cur_dp->host + i * 4, 4);
	return true;
}
/* The next word is B.NE. */
static bool next_is_bne(const struct a64_dctx *s)
{
	uint32_t w;
	return next_word(s, &w) && (w & 0xff00001f) == 0x54000001;
}
static inline const dinsn *then_bne(struct a64_cpu *c, const dinsn *e)
{
	if (likely(e->fn == h_bne_near))
		return h_bne_near(c, e);
	return cpu_next(c, e);
}
H(h_addsi64_bne)
{
	XR(rd) = adc64(c, XR(rn), d->imm, 0);
	return then_bne(c, d + 1);
}
H(h_addsi32_bne)
{
	XR(rd) = adc32(c, (uint32_t)XR(rn), (uint32_t)d->imm, 0);
	return then_bne(c, d + 1);
}
H(h_subsi64_bne)
{
	XR(rd) = subs64(c, XR(rn), d->imm);
	return then_bne(c, d + 1);
}
H(h_subsi32_bne)
{
	XR(rd) = subs32(c, (uint32_t)XR(rn), (uint32_t)d->imm);
	return then_bne(c, d + 1);
}

bool trans_ADDSUB_i(struct a64_dctx *s, arg_ADDSUB_i *a)
{
	dinsn *d = s->d;
	uint64_t imm = (uint64_t)a->imm << (a->sh ? 12 : 0);
	d->rn = reg_sp((unsigned)a->rn);
	if (a->s) {
		d->rd = reg_zr_w((unsigned)a->rd);
		if (a->op)
			d->fn = a->sf ? h_subsi64 : h_subsi32;
		else
			d->fn = a->sf ? h_addsi64 : h_addsi32;
		if (next_is_bne(s)) {
			static const dinsn_fn pair[2][2] = { { h_addsi32_bne, h_addsi64_bne },
							     { h_subsi32_bne, h_subsi64_bne } };
			d->fn = pair[a->op][a->sf];
		}
		d->imm = imm;
	} else {
		d->rd = reg_sp((unsigned)a->rd);
		if (imm == 0) { /* MOV to/from SP */
			d->rm = d->rn;
			d->fn = a->sf ? h_mov64 : h_mov32;
		} else {
			d->fn = a->sf ? h_addi64 : h_addi32;
			d->imm = a->op ? -imm : imm;
		}
	}
	return true;
}

/* ==== Logical (immediate) ================================================= */

/* AND: the 32-bit mask has no high bits, so one handler serves both sizes. */
H(h_andi)
{
	XR(rd) = XR(rn) & d->imm;
	return cpu_next(c, d + 1);
}
H(h_orri64)
{
	XR(rd) = XR(rn) | d->imm;
	return cpu_next(c, d + 1);
}
H(h_orri32)
{
	XR(rd) = (uint32_t)(XR(rn) | d->imm);
	return cpu_next(c, d + 1);
}
H(h_eori64)
{
	XR(rd) = XR(rn) ^ d->imm;
	return cpu_next(c, d + 1);
}
H(h_eori32)
{
	XR(rd) = (uint32_t)(XR(rn) ^ d->imm);
	return cpu_next(c, d + 1);
}
H(h_andsi64)
{
	XR(rd) = logic_flags64(c, XR(rn) & d->imm);
	return cpu_next(c, d + 1);
}
H(h_andsi32)
{
	XR(rd) = logic_flags32(c, (uint32_t)(XR(rn) & d->imm));
	return cpu_next(c, d + 1);
}

bool trans_LOGIC_i(struct a64_dctx *s, arg_LOGIC_i *a)
{
	static const dinsn_fn fns[2][4] = {
		{ h_andi, h_orri32, h_eori32, h_andsi32 },
		{ h_andi, h_orri64, h_eori64, h_andsi64 },
	};
	dinsn *d = s->d;
	bool ok;
	if (!a->sf && a->n)
		return false;
	uint64_t imm = a64_decode_bitmask((unsigned)a->n, (unsigned)a->imms, (unsigned)a->immr, a->sf, &ok);
	if (!ok)
		return false;
	/* ANDS writes XZR for Rd = 31, the others SP. */
	d->rd = a->opc == 3 ? reg_zr_w((unsigned)a->rd) : reg_sp((unsigned)a->rd);
	d->rn = reg_zr((unsigned)a->rn);
	d->imm = imm;
	d->fn = fns[a->sf][a->opc];
	if (a->opc == 1 && a->rn == 31) /* MOV (bitmask immediate) */
		d->fn = h_movi;
	return true;
}

/* ==== Move wide (immediate) =============================================== */

/* f1 = 16 * hw, imm = imm16 << f1 */
H(h_movk64)
{
	XR(rd) = (XR(rd) & ~(0xffffull << d->f1)) | d->imm;
	return cpu_next(c, d + 1);
}
H(h_movk32)
{
	XR(rd) = (uint32_t)((XR(rd) & ~(0xffffull << d->f1)) | d->imm);
	return cpu_next(c, d + 1);
}

bool trans_MOVW(struct a64_dctx *s, arg_MOVW *a)
{
	dinsn *d = s->d;
	unsigned shift = (unsigned)a->hw * 16;
	uint64_t imm = (uint64_t)a->imm << shift;
	if (a->opc == 1 || (!a->sf && a->hw >= 2))
		return false;
	d->rd = reg_zr_w((unsigned)a->rd);
	switch (a->opc) {
	case 0: /* MOVN */
		d->fn = h_movi;
		d->imm = a->sf ? ~imm : (uint32_t)~imm;
		break;
	case 2: /* MOVZ */
		d->fn = h_movi;
		d->imm = imm;
		break;
	default: /* MOVK */
		d->fn = a->sf ? h_movk64 : h_movk32;
		d->imm = imm;
		d->f1 = (uint8_t)shift;
		break;
	}
	return true;
}

/* ==== Bitfield ============================================================
 * With S = imms, R = immr, datasize ds, every form is a field moved by
 * shifts (Arm ARM DecodeBitMasks with immediate = FALSE, the wmask/tmask
 * formulation of SBFM/BFM/UBFM):
 *   S >= R: result<S-R:0> = src<S:R>            (xBFX, BFXIL, LSR, ASR)
 *   S <  R: result<ds-R+S:ds-R> = src<S:0>      (xBFIZ, BFI, LSL)
 * UBFM computes ((src << f1) >> f2) << f3 with f1 = 63-S and
 *   S >= R: f2 = 63-S+R, f3 = 0;   S < R: f2 = 63-S, f3 = ds-R;
 * which never lets bits above ds in (so no 32-bit mask is needed);
 * SBFM does the same with an arithmetic right shift and masks to ds (imm);
 * BFM inserts the UBFM value under the mask of the destination field
 * (imm). */

H(h_ubfm)
{
	XR(rd) = ((XR(rn) << d->f1) >> d->f2) << d->f3;
	return cpu_next(c, d + 1);
}
/* SXTB/SXTH/SXTW to 64 bits (SBFM Xd, Xn, #0, #7/15/31). */
H(h_sxtb64)
{
	XR(rd) = ext_sxtb(XR(rn));
	return cpu_next(c, d + 1);
}
H(h_sxth64)
{
	XR(rd) = ext_sxth(XR(rn));
	return cpu_next(c, d + 1);
}
H(h_sxtw64)
{
	XR(rd) = ext_sxtw(XR(rn));
	return cpu_next(c, d + 1);
}
H(h_sbfm)
{
	XR(rd) = ((uint64_t)((int64_t)(XR(rn) << d->f1) >> d->f2) << d->f3) & d->imm;
	return cpu_next(c, d + 1);
}
H(h_bfm64)
{
	uint64_t v = ((XR(rn) << d->f1) >> d->f2) << d->f3;
	XR(rd) = (XR(rd) & ~d->imm) | v;
	return cpu_next(c, d + 1);
}
H(h_bfm32)
{
	uint64_t v = ((XR(rn) << d->f1) >> d->f2) << d->f3;
	XR(rd) = (uint32_t)((XR(rd) & ~d->imm) | v);
	return cpu_next(c, d + 1);
}
/* Common aliases: LSL, LSR, ASR (immediate); f1 = shift. */
H(h_lsli64)
{
	XR(rd) = XR(rn) << d->f1;
	return cpu_next(c, d + 1);
}
H(h_lsli32)
{
	XR(rd) = (uint32_t)(XR(rn) << d->f1);
	return cpu_next(c, d + 1);
}
H(h_lsri64)
{
	XR(rd) = XR(rn) >> d->f1;
	return cpu_next(c, d + 1);
}
H(h_lsri32)
{
	XR(rd) = (uint32_t)XR(rn) >> d->f1;
	return cpu_next(c, d + 1);
}
H(h_asri64)
{
	XR(rd) = sh_asr64(XR(rn), d->f1);
	return cpu_next(c, d + 1);
}
H(h_asri32)
{
	XR(rd) = sh_asr32((uint32_t)XR(rn), d->f1);
	return cpu_next(c, d + 1);
}

bool trans_BITFIELD(struct a64_dctx *s, arg_BITFIELD *a)
{
	dinsn *d = s->d;
	unsigned ds = a->sf ? 64 : 32, S = (unsigned)a->imms, R = (unsigned)a->immr;
	if (a->opc == 3 || a->n != a->sf)
		return false;
	if (!a->sf && ((S | R) & 0x20))
		return false;
	d->rd = reg_zr_w((unsigned)a->rd);
	d->rn = reg_zr((unsigned)a->rn);
	d->f1 = (uint8_t)(63 - S);
	if (S >= R) {
		d->f2 = (uint8_t)(63 - S + R);
		d->f3 = 0;
	} else {
		d->f2 = (uint8_t)(63 - S);
		d->f3 = (uint8_t)(ds - R);
	}
	switch (a->opc) {
	case 0: /* SBFM */
		if (S == ds - 1) {
			d->fn = a->sf ? h_asri64 : h_asri32;
			d->f1 = (uint8_t)R;
		} else {
			d->fn = h_sbfm;
			d->imm = ones(ds);
			if (a->sf && R == 0 && (S == 7 || S == 15 || S == 31))
				d->fn = S == 7 ? h_sxtb64 : S == 15 ? h_sxth64 : h_sxtw64;
		}
		break;
	case 1: /* BFM */
		d->fn = a->sf ? h_bfm64 : h_bfm32;
		d->imm = S >= R ? ones(S - R + 1) : ones(S + 1) << (ds - R);
		break;
	default: /* UBFM */
		if (S == ds - 1) {
			d->fn = a->sf ? h_lsri64 : h_lsri32;
			d->f1 = (uint8_t)R;
		} else if (S + 1 == R) {
			d->fn = a->sf ? h_lsli64 : h_lsli32;
			d->f1 = (uint8_t)(ds - R);
		} else if (R == 0) { /* UXTB, UXTH, UBFX #0: the low S+1 bits */
			d->fn = h_andi;
			d->imm = ones(S + 1);
		} else {
			d->fn = h_ubfm;
		}
		break;
	}
	return true;
}

/* ==== Extract ============================================================= */

/* f1 = lsb (1..63) */
H(h_extr64)
{
	XR(rd) = (XR(rm) >> d->f1) | (XR(rn) << (64 - d->f1));
	return cpu_next(c, d + 1);
}
/* f1 = lsb (0..31) */
H(h_extr32)
{
	uint64_t cat = (uint64_t)(uint32_t)XR(rn) << 32 | (uint32_t)XR(rm);
	XR(rd) = (uint32_t)(cat >> d->f1);
	return cpu_next(c, d + 1);
}

bool trans_EXTR(struct a64_dctx *s, arg_EXTR *a)
{
	dinsn *d = s->d;
	if (a->n != a->sf || (!a->sf && a->imms >= 32))
		return false;
	d->rd = reg_zr_w((unsigned)a->rd);
	d->rn = reg_zr((unsigned)a->rn);
	d->rm = reg_zr((unsigned)a->rm);
	d->f1 = (uint8_t)a->imms;
	if (a->sf)
		d->fn = a->imms ? h_extr64 : h_mov64;
	else
		d->fn = h_extr32;
	return true;
}

/* ==== Logical (shifted register) ==========================================
 * f1 = shift amount, imm = inversion mask for BIC/ORN/EON/BICS (0 or ones). */

#define DEF_LOGIC_R(SH)                                                                    \
	H(h_and64_##SH)                                                                    \
	{                                                                                  \
		XR(rd) = XR(rn) & (sh_##SH##64(XR(rm), d->f1) ^ d->imm);                   \
		return cpu_next(c, d + 1);                                                 \
	}                                                                                  \
	H(h_orr64_##SH)                                                                    \
	{                                                                                  \
		XR(rd) = XR(rn) | (sh_##SH##64(XR(rm), d->f1) ^ d->imm);                   \
		return cpu_next(c, d + 1);                                                 \
	}                                                                                  \
	H(h_eor64_##SH)                                                                    \
	{                                                                                  \
		XR(rd) = XR(rn) ^ (sh_##SH##64(XR(rm), d->f1) ^ d->imm);                   \
		return cpu_next(c, d + 1);                                                 \
	}                                                                                  \
	H(h_ands64_##SH)                                                                   \
	{                                                                                  \
		XR(rd) = logic_flags64(c, XR(rn) & (sh_##SH##64(XR(rm), d->f1) ^ d->imm)); \
		return cpu_next(c, d + 1);                                                 \
	}                                                                                  \
	H(h_and32_##SH)                                                                    \
	{                                                                                  \
		uint32_t m = sh_##SH##32((uint32_t)XR(rm), d->f1) ^ (uint32_t)d->imm;      \
		XR(rd) = (uint32_t)XR(rn) & m;                                             \
		return cpu_next(c, d + 1);                                                 \
	}                                                                                  \
	H(h_orr32_##SH)                                                                    \
	{                                                                                  \
		uint32_t m = sh_##SH##32((uint32_t)XR(rm), d->f1) ^ (uint32_t)d->imm;      \
		XR(rd) = (uint32_t)XR(rn) | m;                                             \
		return cpu_next(c, d + 1);                                                 \
	}                                                                                  \
	H(h_eor32_##SH)                                                                    \
	{                                                                                  \
		uint32_t m = sh_##SH##32((uint32_t)XR(rm), d->f1) ^ (uint32_t)d->imm;      \
		XR(rd) = (uint32_t)XR(rn) ^ m;                                             \
		return cpu_next(c, d + 1);                                                 \
	}                                                                                  \
	H(h_ands32_##SH)                                                                   \
	{                                                                                  \
		uint32_t m = sh_##SH##32((uint32_t)XR(rm), d->f1) ^ (uint32_t)d->imm;      \
		XR(rd) = logic_flags32(c, (uint32_t)XR(rn) & m);                           \
		return cpu_next(c, d + 1);                                                 \
	}
DEF_LOGIC_R(lsl)
DEF_LOGIC_R(lsr)
DEF_LOGIC_R(asr)
DEF_LOGIC_R(ror)
DEF_LOGIC_R(none)

bool trans_LOGIC_r(struct a64_dctx *s, arg_LOGIC_r *a)
{
#define LOGIC_ROW(sz, op) { h_##op##sz##_lsl, h_##op##sz##_lsr, h_##op##sz##_asr, h_##op##sz##_ror }
	static const dinsn_fn fns[2][4][4] = {
		{ LOGIC_ROW(32, and), LOGIC_ROW(32, orr), LOGIC_ROW(32, eor), LOGIC_ROW(32, ands) },
		{ LOGIC_ROW(64, and), LOGIC_ROW(64, orr), LOGIC_ROW(64, eor), LOGIC_ROW(64, ands) },
	};
#undef LOGIC_ROW
	dinsn *d = s->d;
	if (!a->sf && a->imm6 >= 32)
		return false;
	d->rd = reg_zr_w((unsigned)a->rd);
	d->rn = reg_zr((unsigned)a->rn);
	d->rm = reg_zr((unsigned)a->rm);
	d->f1 = (uint8_t)a->imm6;
	d->imm = a->n ? (a->sf ? ~0ull : 0xffffffffull) : 0;
	d->fn = fns[a->sf][a->opc][a->shift];
	if (a->imm6 == 0) {
		static const dinsn_fn none[2][4] = {
			{ h_and32_none, h_orr32_none, h_eor32_none, h_ands32_none },
			{ h_and64_none, h_orr64_none, h_eor64_none, h_ands64_none },
		};
		d->fn = none[a->sf][a->opc];
	}
	if (a->opc == 1 && !a->n && a->rn == 31 && a->imm6 == 0) /* MOV (register) */
		d->fn = a->sf ? h_mov64 : h_mov32;
	return true;
}

/* ==== Add/subtract (shifted register) =====================================
 * f1 = shift amount. */

#define DEF_ADDSUB_R(SH)                                                                      \
	H(h_add64_##SH)                                                                       \
	{                                                                                     \
		XR(rd) = XR(rn) + sh_##SH##64(XR(rm), d->f1);                                 \
		return cpu_next(c, d + 1);                                                    \
	}                                                                                     \
	H(h_sub64_##SH)                                                                       \
	{                                                                                     \
		XR(rd) = XR(rn) - sh_##SH##64(XR(rm), d->f1);                                 \
		return cpu_next(c, d + 1);                                                    \
	}                                                                                     \
	H(h_adds64_##SH)                                                                      \
	{                                                                                     \
		XR(rd) = adc64(c, XR(rn), sh_##SH##64(XR(rm), d->f1), 0);                     \
		return cpu_next(c, d + 1);                                                    \
	}                                                                                     \
	H(h_subs64_##SH)                                                                      \
	{                                                                                     \
		XR(rd) = subs64(c, XR(rn), sh_##SH##64(XR(rm), d->f1));                       \
		return cpu_next(c, d + 1);                                                    \
	}                                                                                     \
	H(h_add32_##SH)                                                                       \
	{                                                                                     \
		XR(rd) = (uint32_t)((uint32_t)XR(rn) + sh_##SH##32((uint32_t)XR(rm), d->f1)); \
		return cpu_next(c, d + 1);                                                    \
	}                                                                                     \
	H(h_sub32_##SH)                                                                       \
	{                                                                                     \
		XR(rd) = (uint32_t)((uint32_t)XR(rn) - sh_##SH##32((uint32_t)XR(rm), d->f1)); \
		return cpu_next(c, d + 1);                                                    \
	}                                                                                     \
	H(h_adds32_##SH)                                                                      \
	{                                                                                     \
		XR(rd) = adc32(c, (uint32_t)XR(rn), sh_##SH##32((uint32_t)XR(rm), d->f1), 0); \
		return cpu_next(c, d + 1);                                                    \
	}                                                                                     \
	H(h_subs32_##SH)                                                                      \
	{                                                                                     \
		XR(rd) = subs32(c, (uint32_t)XR(rn), sh_##SH##32((uint32_t)XR(rm), d->f1));   \
		return cpu_next(c, d + 1);                                                    \
	}
DEF_ADDSUB_R(lsl)
DEF_ADDSUB_R(lsr)
DEF_ADDSUB_R(asr)
DEF_ADDSUB_R(none)

#define ADDSUB_ROW(sz, SH) { h_add##sz##_##SH, h_adds##sz##_##SH, h_sub##sz##_##SH, h_subs##sz##_##SH }

H(h_subs64_none_csel2);
H(h_subs64_none_csel3);

bool trans_ADDSUB_r(struct a64_dctx *s, arg_ADDSUB_r *a)
{
	/* [sf][shift][op:S] */
	static const dinsn_fn fns[2][3][4] = {
		{ ADDSUB_ROW(32, lsl), ADDSUB_ROW(32, lsr), ADDSUB_ROW(32, asr) },
		{ ADDSUB_ROW(64, lsl), ADDSUB_ROW(64, lsr), ADDSUB_ROW(64, asr) },
	};
	dinsn *d = s->d;
	if (a->shift == 3 || (!a->sf && a->imm6 >= 32))
		return false;
	d->rd = reg_zr_w((unsigned)a->rd);
	d->rn = reg_zr((unsigned)a->rn);
	d->rm = reg_zr((unsigned)a->rm);
	d->f1 = (uint8_t)a->imm6;
	d->fn = fns[a->sf][a->shift][a->op * 2 + a->s];
	if (a->imm6 == 0) {
		static const dinsn_fn none[2][4] = { ADDSUB_ROW(32, none), ADDSUB_ROW(64, none) };
		d->fn = none[a->sf][a->op * 2 + a->s];
	}
	uint32_t w;
	/* SUBS Xd, Xn, Xm then a 64-bit CSEL-family instruction on CS/CC */
	if (d->fn == h_subs64_none && next_word(s, &w) && (w & 0xbfe00800) == 0x9a800000 &&
	    ((w >> 12 & 15) == 2 || (w >> 12 & 15) == 3))
		d->fn = (w >> 12 & 15) == 2 ? h_subs64_none_csel2 : h_subs64_none_csel3;
	return true;
}

/* ==== Add/subtract (extended register) ====================================
 * f1 = left shift (0-4) after the extend. UXTX/SXTX (and, for 32-bit
 * operations, UXTW/SXTW) do not change the operand: they use the LSL
 * handlers of the shifted-register form. */

#define DEF_ADDSUB_X64(EXT)                                               \
	H(h_add64_##EXT)                                                  \
	{                                                                 \
		XR(rd) = XR(rn) + (ext_##EXT(XR(rm)) << d->f1);           \
		return cpu_next(c, d + 1);                                \
	}                                                                 \
	H(h_sub64_##EXT)                                                  \
	{                                                                 \
		XR(rd) = XR(rn) - (ext_##EXT(XR(rm)) << d->f1);           \
		return cpu_next(c, d + 1);                                \
	}                                                                 \
	H(h_adds64_##EXT)                                                 \
	{                                                                 \
		XR(rd) = adc64(c, XR(rn), ext_##EXT(XR(rm)) << d->f1, 0); \
		return cpu_next(c, d + 1);                                \
	}                                                                 \
	H(h_subs64_##EXT)                                                 \
	{                                                                 \
		XR(rd) = subs64(c, XR(rn), ext_##EXT(XR(rm)) << d->f1);   \
		return cpu_next(c, d + 1);                                \
	}
#define DEF_ADDSUB_X32(EXT)                                                                     \
	H(h_add32_##EXT)                                                                        \
	{                                                                                       \
		XR(rd) = (uint32_t)(XR(rn) + (ext_##EXT(XR(rm)) << d->f1));                     \
		return cpu_next(c, d + 1);                                                      \
	}                                                                                       \
	H(h_sub32_##EXT)                                                                        \
	{                                                                                       \
		XR(rd) = (uint32_t)(XR(rn) - (ext_##EXT(XR(rm)) << d->f1));                     \
		return cpu_next(c, d + 1);                                                      \
	}                                                                                       \
	H(h_adds32_##EXT)                                                                       \
	{                                                                                       \
		XR(rd) = adc32(c, (uint32_t)XR(rn), (uint32_t)(ext_##EXT(XR(rm)) << d->f1), 0); \
		return cpu_next(c, d + 1);                                                      \
	}                                                                                       \
	H(h_subs32_##EXT)                                                                       \
	{                                                                                       \
		XR(rd) = subs32(c, (uint32_t)XR(rn), (uint32_t)(ext_##EXT(XR(rm)) << d->f1));   \
		return cpu_next(c, d + 1);                                                      \
	}
DEF_ADDSUB_X64(uxtb)
DEF_ADDSUB_X64(uxth)
DEF_ADDSUB_X64(uxtw)
DEF_ADDSUB_X64(sxtb)
DEF_ADDSUB_X64(sxth)
DEF_ADDSUB_X64(sxtw)
DEF_ADDSUB_X32(uxtb)
DEF_ADDSUB_X32(uxth)
DEF_ADDSUB_X32(sxtb)
DEF_ADDSUB_X32(sxth)

bool trans_ADDSUB_x(struct a64_dctx *s, arg_ADDSUB_x *a)
{
	/* [sf][option][op:S] */
	static const dinsn_fn fns[2][8][4] = {
		{ ADDSUB_ROW(32, uxtb), ADDSUB_ROW(32, uxth), ADDSUB_ROW(32, lsl), ADDSUB_ROW(32, lsl),
		  ADDSUB_ROW(32, sxtb), ADDSUB_ROW(32, sxth), ADDSUB_ROW(32, lsl), ADDSUB_ROW(32, lsl) },
		{ ADDSUB_ROW(64, uxtb), ADDSUB_ROW(64, uxth), ADDSUB_ROW(64, uxtw), ADDSUB_ROW(64, lsl),
		  ADDSUB_ROW(64, sxtb), ADDSUB_ROW(64, sxth), ADDSUB_ROW(64, sxtw), ADDSUB_ROW(64, lsl) },
	};
	dinsn *d = s->d;
	if (a->imm3 > 4)
		return false;
	d->rd = a->s ? reg_zr_w((unsigned)a->rd) : reg_sp((unsigned)a->rd);
	d->rn = reg_sp((unsigned)a->rn);
	d->rm = reg_zr((unsigned)a->rm);
	d->f1 = (uint8_t)a->imm3;
	d->fn = fns[a->sf][a->option][a->op * 2 + a->s];
	/* The extends that leave the operand as it is, without a shift. */
	bool plain = (a->option & 3) == 3 || (!a->sf && (a->option & 3) == 2);
	if (plain && a->imm3 == 0) {
		static const dinsn_fn none[2][4] = { ADDSUB_ROW(32, none), ADDSUB_ROW(64, none) };
		d->fn = none[a->sf][a->op * 2 + a->s];
	}
	return true;
}
#undef ADDSUB_ROW

/* ==== Add/subtract with carry ============================================= */

H(h_adc64)
{
	XR(rd) = XR(rn) + XR(rm) + c->cf;
	return cpu_next(c, d + 1);
}
H(h_adc32)
{
	XR(rd) = (uint32_t)(XR(rn) + XR(rm) + c->cf);
	return cpu_next(c, d + 1);
}
H(h_sbc64)
{
	XR(rd) = XR(rn) + ~XR(rm) + c->cf;
	return cpu_next(c, d + 1);
}
H(h_sbc32)
{
	XR(rd) = (uint32_t)(XR(rn) + ~XR(rm) + c->cf);
	return cpu_next(c, d + 1);
}
H(h_adcs64)
{
	XR(rd) = adc64(c, XR(rn), XR(rm), c->cf);
	return cpu_next(c, d + 1);
}
H(h_adcs32)
{
	XR(rd) = adc32(c, (uint32_t)XR(rn), (uint32_t)XR(rm), c->cf);
	return cpu_next(c, d + 1);
}
H(h_sbcs64)
{
	XR(rd) = adc64(c, XR(rn), ~XR(rm), c->cf);
	return cpu_next(c, d + 1);
}
H(h_sbcs32)
{
	XR(rd) = adc32(c, (uint32_t)XR(rn), ~(uint32_t)XR(rm), c->cf);
	return cpu_next(c, d + 1);
}

bool trans_ADC(struct a64_dctx *s, arg_ADC *a)
{
	static const dinsn_fn fns[2][4] = {
		{ h_adc32, h_adcs32, h_sbc32, h_sbcs32 },
		{ h_adc64, h_adcs64, h_sbc64, h_sbcs64 },
	};
	dinsn *d = s->d;
	d->rd = reg_zr_w((unsigned)a->rd);
	d->rn = reg_zr((unsigned)a->rn);
	d->rm = reg_zr((unsigned)a->rm);
	d->fn = fns[a->sf][a->op * 2 + a->s];
	return true;
}

/* ==== Conditional compare ================================================
 * One handler per condition. The second operand is x[rm] + imm (rm = XZR
 * for the immediate form, imm = 0 for the register form); CCMP inverts it
 * and carries in 1 (f1 = 1), CCMN does neither (f1 = 0). f2 = NZCV used
 * when the condition fails. */

#define DEF_CCMP(n)                                                                                       \
	H(h_ccmp64_##n)                                                                                   \
	{                                                                                                 \
		if (cond_holds(c, n))                                                                     \
			adc64(c, XR(rn), (XR(rm) + d->imm) ^ (0 - (uint64_t)d->f1), d->f1);               \
		else                                                                                      \
			set_nzcv(c, (uint64_t)d->f2 << 28);                                               \
		return cpu_next(c, d + 1);                                                                \
	}                                                                                                 \
	H(h_ccmp32_##n)                                                                                   \
	{                                                                                                 \
		if (cond_holds(c, n))                                                                     \
			adc32(c, (uint32_t)XR(rn), (uint32_t)((XR(rm) + d->imm) ^ (0 - (uint64_t)d->f1)), \
			      d->f1);                                                                     \
		else                                                                                      \
			set_nzcv(c, (uint64_t)d->f2 << 28);                                               \
		return cpu_next(c, d + 1);                                                                \
	}
FOR_EACH_COND(DEF_CCMP)

static const dinsn_fn ccmp_fns[2][16] = { COND_TAB(h_ccmp32_), COND_TAB(h_ccmp64_) };

bool trans_CCMP_r(struct a64_dctx *s, arg_CCMP_r *a)
{
	dinsn *d = s->d;
	d->rn = reg_zr((unsigned)a->rn);
	d->rm = reg_zr((unsigned)a->rm);
	d->imm = 0;
	d->f1 = (uint8_t)a->op;
	d->f2 = (uint8_t)a->nzcv;
	d->fn = ccmp_fns[a->sf][a->cond];
	return true;
}

bool trans_CCMP_i(struct a64_dctx *s, arg_CCMP_i *a)
{
	dinsn *d = s->d;
	d->rn = reg_zr((unsigned)a->rn);
	d->rm = REG_ZR;
	d->imm = (uint64_t)a->imm5;
	d->f1 = (uint8_t)a->op;
	d->f2 = (uint8_t)a->nzcv;
	d->fn = ccmp_fns[a->sf][a->cond];
	return true;
}

/* ==== Conditional select ==================================================
 * One handler per condition: rd = cond ? rn : (rm ^ imm) + f1, with
 * CSEL imm = 0, f1 = 0; CSINC imm = 0, f1 = 1; CSINV imm = ones, f1 = 0;
 * CSNEG imm = ones, f1 = 1 (-m = NOT(m) + 1). Selected with a mask, not a
 * branch: conditions such as carries in multi-word arithmetic are
 * data-dependent, and a mispredicted host branch costs more than the
 * whole instruction. */

static inline uint64_t csel_mask(bool cond, uint64_t t, uint64_t f)
{
	uint64_t m = -(uint64_t)cond;
	return (t & m) | (f & ~m);
}

#define DEF_CSEL(n)                                                                          \
	H(h_csel64_##n)                                                                      \
	{                                                                                    \
		XR(rd) = csel_mask(cond_holds(c, n), XR(rn), (XR(rm) ^ d->imm) + d->f1);     \
		return cpu_next(c, d + 1);                                      \
	}                                                                                    \
	H(h_csel32_##n)                                                                      \
	{                                                                                    \
		uint64_t r = csel_mask(cond_holds(c, n), XR(rn), (XR(rm) ^ d->imm) + d->f1); \
		XR(rd) = (uint32_t)r;                                                        \
		return cpu_next(c, d + 1);                                      \
	}
FOR_EACH_COND(DEF_CSEL)

/* SUBS (shifted register, no shift) then CSEL-family on CS or CC, 64-bit:
 * the carry idiom of multi-word arithmetic (a pair, see trans_ADDSUB_i). */
#define DEF_SUBS_CSEL(n)                                                                             \
	H(h_subs64_none_csel##n)                                                                     \
	{                                                                                            \
		XR(rd) = subs64(c, XR(rn), XR(rm));                                                  \
		const dinsn *e = d + 1;                                                              \
		if (likely(e->fn == h_csel64_##n)) {                                                 \
			uint64_t f = (c->x[e->rm] ^ e->imm) + e->f1;                                 \
			c->x[e->rd] = csel_mask(cond_holds(c, n), c->x[e->rn], f);                   \
			return cpu_next(c, e + 1);                                                   \
		}                                                                                    \
		return cpu_next(c, e);                                                               \
	}
DEF_SUBS_CSEL(2)
DEF_SUBS_CSEL(3)

bool trans_CSEL(struct a64_dctx *s, arg_CSEL *a)
{
	static const dinsn_fn fns[2][16] = { COND_TAB(h_csel32_), COND_TAB(h_csel64_) };
	dinsn *d = s->d;
	d->rd = reg_zr_w((unsigned)a->rd);
	d->rn = reg_zr((unsigned)a->rn);
	d->rm = reg_zr((unsigned)a->rm);
	d->imm = a->op ? ~0ull : 0;
	d->f1 = (uint8_t)a->o2;
	d->fn = fns[a->sf][a->cond];
	return true;
}

/* ==== Data-processing (2 source) ========================================== */

/* Division never traps: x / 0 = 0 and INT_MIN / -1 = INT_MIN. */
H(h_udiv64)
{
	uint64_t n = XR(rn), m = XR(rm);
	XR(rd) = m ? n / m : 0;
	return cpu_next(c, d + 1);
}
H(h_udiv32)
{
	uint32_t n = (uint32_t)XR(rn), m = (uint32_t)XR(rm);
	XR(rd) = m ? n / m : 0;
	return cpu_next(c, d + 1);
}
H(h_sdiv64)
{
	int64_t n = (int64_t)XR(rn), m = (int64_t)XR(rm);
	uint64_t r;
	if (unlikely(m == 0))
		r = 0;
	else if (unlikely(m == -1))
		r = 0 - (uint64_t)n;
	else
		r = (uint64_t)(n / m);
	XR(rd) = r;
	return cpu_next(c, d + 1);
}
H(h_sdiv32)
{
	int32_t n = (int32_t)XR(rn), m = (int32_t)XR(rm);
	uint32_t r;
	if (unlikely(m == 0))
		r = 0;
	else if (unlikely(m == -1))
		r = 0 - (uint32_t)n;
	else
		r = (uint32_t)(n / m);
	XR(rd) = r;
	return cpu_next(c, d + 1);
}

H(h_lslv64)
{
	XR(rd) = XR(rn) << (XR(rm) & 63);
	return cpu_next(c, d + 1);
}
H(h_lsrv64)
{
	XR(rd) = XR(rn) >> (XR(rm) & 63);
	return cpu_next(c, d + 1);
}
H(h_asrv64)
{
	XR(rd) = sh_asr64(XR(rn), XR(rm) & 63);
	return cpu_next(c, d + 1);
}
H(h_rorv64)
{
	XR(rd) = sh_ror64(XR(rn), XR(rm) & 63);
	return cpu_next(c, d + 1);
}
H(h_lslv32)
{
	XR(rd) = sh_lsl32((uint32_t)XR(rn), XR(rm) & 31);
	return cpu_next(c, d + 1);
}
H(h_lsrv32)
{
	XR(rd) = sh_lsr32((uint32_t)XR(rn), XR(rm) & 31);
	return cpu_next(c, d + 1);
}
H(h_asrv32)
{
	XR(rd) = sh_asr32((uint32_t)XR(rn), XR(rm) & 31);
	return cpu_next(c, d + 1);
}
H(h_rorv32)
{
	XR(rd) = sh_ror32((uint32_t)XR(rn), XR(rm) & 31);
	return cpu_next(c, d + 1);
}

static void dp_reg3(dinsn *d, int64_t rd, int64_t rn, int64_t rm)
{
	d->rd = reg_zr_w((unsigned)rd);
	d->rn = reg_zr((unsigned)rn);
	d->rm = reg_zr((unsigned)rm);
}

bool trans_DIV(struct a64_dctx *s, arg_DIV *a)
{
	static const dinsn_fn fns[2][2] = { { h_udiv32, h_sdiv32 }, { h_udiv64, h_sdiv64 } };
	dp_reg3(s->d, a->rd, a->rn, a->rm);
	s->d->fn = fns[a->sf][a->sgn];
	return true;
}

bool trans_SHIFTV(struct a64_dctx *s, arg_SHIFTV *a)
{
	static const dinsn_fn fns[2][4] = {
		{ h_lslv32, h_lsrv32, h_asrv32, h_rorv32 },
		{ h_lslv64, h_lsrv64, h_asrv64, h_rorv64 },
	};
	dp_reg3(s->d, a->rd, a->rn, a->rm);
	s->d->fn = fns[a->sf][a->type];
	return true;
}

/* ---- CRC32 / CRC32C ------------------------------------------------------
 * The Arm ARM's CRC32 (bit-reversed operands, polynomial division, bit-
 * reversed result) is the reflected CRC update without the initial and
 * final inversion: per byte, least significant first,
 *   crc = T[(crc ^ byte) & 0xff] ^ (crc >> 8)
 * where T[i] is i shifted right 8 times, XORing the reflected polynomial
 * whenever a 1 is shifted out: 0xEDB88320 (CRC32, 0x04C11DB7) and
 * 0x82F63B78 (CRC32C, 0x1EDC6F41). imm points to the table. */
static const uint32_t crc32_tab[256] = {
	0x00000000, 0x77073096, 0xee0e612c, 0x990951ba, 0x076dc419, 0x706af48f,
	0xe963a535, 0x9e6495a3, 0x0edb8832, 0x79dcb8a4, 0xe0d5e91e, 0x97d2d988,
	0x09b64c2b, 0x7eb17cbd, 0xe7b82d07, 0x90bf1d91, 0x1db71064, 0x6ab020f2,
	0xf3b97148, 0x84be41de, 0x1adad47d, 0x6ddde4eb, 0xf4d4b551, 0x83d385c7,
	0x136c9856, 0x646ba8c0, 0xfd62f97a, 0x8a65c9ec, 0x14015c4f, 0x63066cd9,
	0xfa0f3d63, 0x8d080df5, 0x3b6e20c8, 0x4c69105e, 0xd56041e4, 0xa2677172,
	0x3c03e4d1, 0x4b04d447, 0xd20d85fd, 0xa50ab56b, 0x35b5a8fa, 0x42b2986c,
	0xdbbbc9d6, 0xacbcf940, 0x32d86ce3, 0x45df5c75, 0xdcd60dcf, 0xabd13d59,
	0x26d930ac, 0x51de003a, 0xc8d75180, 0xbfd06116, 0x21b4f4b5, 0x56b3c423,
	0xcfba9599, 0xb8bda50f, 0x2802b89e, 0x5f058808, 0xc60cd9b2, 0xb10be924,
	0x2f6f7c87, 0x58684c11, 0xc1611dab, 0xb6662d3d, 0x76dc4190, 0x01db7106,
	0x98d220bc, 0xefd5102a, 0x71b18589, 0x06b6b51f, 0x9fbfe4a5, 0xe8b8d433,
	0x7807c9a2, 0x0f00f934, 0x9609a88e, 0xe10e9818, 0x7f6a0dbb, 0x086d3d2d,
	0x91646c97, 0xe6635c01, 0x6b6b51f4, 0x1c6c6162, 0x856530d8, 0xf262004e,
	0x6c0695ed, 0x1b01a57b, 0x8208f4c1, 0xf50fc457, 0x65b0d9c6, 0x12b7e950,
	0x8bbeb8ea, 0xfcb9887c, 0x62dd1ddf, 0x15da2d49, 0x8cd37cf3, 0xfbd44c65,
	0x4db26158, 0x3ab551ce, 0xa3bc0074, 0xd4bb30e2, 0x4adfa541, 0x3dd895d7,
	0xa4d1c46d, 0xd3d6f4fb, 0x4369e96a, 0x346ed9fc, 0xad678846, 0xda60b8d0,
	0x44042d73, 0x33031de5, 0xaa0a4c5f, 0xdd0d7cc9, 0x5005713c, 0x270241aa,
	0xbe0b1010, 0xc90c2086, 0x5768b525, 0x206f85b3, 0xb966d409, 0xce61e49f,
	0x5edef90e, 0x29d9c998, 0xb0d09822, 0xc7d7a8b4, 0x59b33d17, 0x2eb40d81,
	0xb7bd5c3b, 0xc0ba6cad, 0xedb88320, 0x9abfb3b6, 0x03b6e20c, 0x74b1d29a,
	0xead54739, 0x9dd277af, 0x04db2615, 0x73dc1683, 0xe3630b12, 0x94643b84,
	0x0d6d6a3e, 0x7a6a5aa8, 0xe40ecf0b, 0x9309ff9d, 0x0a00ae27, 0x7d079eb1,
	0xf00f9344, 0x8708a3d2, 0x1e01f268, 0x6906c2fe, 0xf762575d, 0x806567cb,
	0x196c3671, 0x6e6b06e7, 0xfed41b76, 0x89d32be0, 0x10da7a5a, 0x67dd4acc,
	0xf9b9df6f, 0x8ebeeff9, 0x17b7be43, 0x60b08ed5, 0xd6d6a3e8, 0xa1d1937e,
	0x38d8c2c4, 0x4fdff252, 0xd1bb67f1, 0xa6bc5767, 0x3fb506dd, 0x48b2364b,
	0xd80d2bda, 0xaf0a1b4c, 0x36034af6, 0x41047a60, 0xdf60efc3, 0xa867df55,
	0x316e8eef, 0x4669be79, 0xcb61b38c, 0xbc66831a, 0x256fd2a0, 0x5268e236,
	0xcc0c7795, 0xbb0b4703, 0x220216b9, 0x5505262f, 0xc5ba3bbe, 0xb2bd0b28,
	0x2bb45a92, 0x5cb36a04, 0xc2d7ffa7, 0xb5d0cf31, 0x2cd99e8b, 0x5bdeae1d,
	0x9b64c2b0, 0xec63f226, 0x756aa39c, 0x026d930a, 0x9c0906a9, 0xeb0e363f,
	0x72076785, 0x05005713, 0x95bf4a82, 0xe2b87a14, 0x7bb12bae, 0x0cb61b38,
	0x92d28e9b, 0xe5d5be0d, 0x7cdcefb7, 0x0bdbdf21, 0x86d3d2d4, 0xf1d4e242,
	0x68ddb3f8, 0x1fda836e, 0x81be16cd, 0xf6b9265b, 0x6fb077e1, 0x18b74777,
	0x88085ae6, 0xff0f6a70, 0x66063bca, 0x11010b5c, 0x8f659eff, 0xf862ae69,
	0x616bffd3, 0x166ccf45, 0xa00ae278, 0xd70dd2ee, 0x4e048354, 0x3903b3c2,
	0xa7672661, 0xd06016f7, 0x4969474d, 0x3e6e77db, 0xaed16a4a, 0xd9d65adc,
	0x40df0b66, 0x37d83bf0, 0xa9bcae53, 0xdebb9ec5, 0x47b2cf7f, 0x30b5ffe9,
	0xbdbdf21c, 0xcabac28a, 0x53b39330, 0x24b4a3a6, 0xbad03605, 0xcdd70693,
	0x54de5729, 0x23d967bf, 0xb3667a2e, 0xc4614ab8, 0x5d681b02, 0x2a6f2b94,
	0xb40bbe37, 0xc30c8ea1, 0x5a05df1b, 0x2d02ef8d,
};
static const uint32_t crc32c_tab[256] = {
	0x00000000, 0xf26b8303, 0xe13b70f7, 0x1350f3f4, 0xc79a971f, 0x35f1141c,
	0x26a1e7e8, 0xd4ca64eb, 0x8ad958cf, 0x78b2dbcc, 0x6be22838, 0x9989ab3b,
	0x4d43cfd0, 0xbf284cd3, 0xac78bf27, 0x5e133c24, 0x105ec76f, 0xe235446c,
	0xf165b798, 0x030e349b, 0xd7c45070, 0x25afd373, 0x36ff2087, 0xc494a384,
	0x9a879fa0, 0x68ec1ca3, 0x7bbcef57, 0x89d76c54, 0x5d1d08bf, 0xaf768bbc,
	0xbc267848, 0x4e4dfb4b, 0x20bd8ede, 0xd2d60ddd, 0xc186fe29, 0x33ed7d2a,
	0xe72719c1, 0x154c9ac2, 0x061c6936, 0xf477ea35, 0xaa64d611, 0x580f5512,
	0x4b5fa6e6, 0xb93425e5, 0x6dfe410e, 0x9f95c20d, 0x8cc531f9, 0x7eaeb2fa,
	0x30e349b1, 0xc288cab2, 0xd1d83946, 0x23b3ba45, 0xf779deae, 0x05125dad,
	0x1642ae59, 0xe4292d5a, 0xba3a117e, 0x4851927d, 0x5b016189, 0xa96ae28a,
	0x7da08661, 0x8fcb0562, 0x9c9bf696, 0x6ef07595, 0x417b1dbc, 0xb3109ebf,
	0xa0406d4b, 0x522bee48, 0x86e18aa3, 0x748a09a0, 0x67dafa54, 0x95b17957,
	0xcba24573, 0x39c9c670, 0x2a993584, 0xd8f2b687, 0x0c38d26c, 0xfe53516f,
	0xed03a29b, 0x1f682198, 0x5125dad3, 0xa34e59d0, 0xb01eaa24, 0x42752927,
	0x96bf4dcc, 0x64d4cecf, 0x77843d3b, 0x85efbe38, 0xdbfc821c, 0x2997011f,
	0x3ac7f2eb, 0xc8ac71e8, 0x1c661503, 0xee0d9600, 0xfd5d65f4, 0x0f36e6f7,
	0x61c69362, 0x93ad1061, 0x80fde395, 0x72966096, 0xa65c047d, 0x5437877e,
	0x4767748a, 0xb50cf789, 0xeb1fcbad, 0x197448ae, 0x0a24bb5a, 0xf84f3859,
	0x2c855cb2, 0xdeeedfb1, 0xcdbe2c45, 0x3fd5af46, 0x7198540d, 0x83f3d70e,
	0x90a324fa, 0x62c8a7f9, 0xb602c312, 0x44694011, 0x5739b3e5, 0xa55230e6,
	0xfb410cc2, 0x092a8fc1, 0x1a7a7c35, 0xe811ff36, 0x3cdb9bdd, 0xceb018de,
	0xdde0eb2a, 0x2f8b6829, 0x82f63b78, 0x709db87b, 0x63cd4b8f, 0x91a6c88c,
	0x456cac67, 0xb7072f64, 0xa457dc90, 0x563c5f93, 0x082f63b7, 0xfa44e0b4,
	0xe9141340, 0x1b7f9043, 0xcfb5f4a8, 0x3dde77ab, 0x2e8e845f, 0xdce5075c,
	0x92a8fc17, 0x60c37f14, 0x73938ce0, 0x81f80fe3, 0x55326b08, 0xa759e80b,
	0xb4091bff, 0x466298fc, 0x1871a4d8, 0xea1a27db, 0xf94ad42f, 0x0b21572c,
	0xdfeb33c7, 0x2d80b0c4, 0x3ed04330, 0xccbbc033, 0xa24bb5a6, 0x502036a5,
	0x4370c551, 0xb11b4652, 0x65d122b9, 0x97baa1ba, 0x84ea524e, 0x7681d14d,
	0x2892ed69, 0xdaf96e6a, 0xc9a99d9e, 0x3bc21e9d, 0xef087a76, 0x1d63f975,
	0x0e330a81, 0xfc588982, 0xb21572c9, 0x407ef1ca, 0x532e023e, 0xa145813d,
	0x758fe5d6, 0x87e466d5, 0x94b49521, 0x66df1622, 0x38cc2a06, 0xcaa7a905,
	0xd9f75af1, 0x2b9cd9f2, 0xff56bd19, 0x0d3d3e1a, 0x1e6dcdee, 0xec064eed,
	0xc38d26c4, 0x31e6a5c7, 0x22b65633, 0xd0ddd530, 0x0417b1db, 0xf67c32d8,
	0xe52cc12c, 0x1747422f, 0x49547e0b, 0xbb3ffd08, 0xa86f0efc, 0x5a048dff,
	0x8ecee914, 0x7ca56a17, 0x6ff599e3, 0x9d9e1ae0, 0xd3d3e1ab, 0x21b862a8,
	0x32e8915c, 0xc083125f, 0x144976b4, 0xe622f5b7, 0xf5720643, 0x07198540,
	0x590ab964, 0xab613a67, 0xb831c993, 0x4a5a4a90, 0x9e902e7b, 0x6cfbad78,
	0x7fab5e8c, 0x8dc0dd8f, 0xe330a81a, 0x115b2b19, 0x020bd8ed, 0xf0605bee,
	0x24aa3f05, 0xd6c1bc06, 0xc5914ff2, 0x37faccf1, 0x69e9f0d5, 0x9b8273d6,
	0x88d28022, 0x7ab90321, 0xae7367ca, 0x5c18e4c9, 0x4f48173d, 0xbd23943e,
	0xf36e6f75, 0x0105ec76, 0x12551f82, 0xe03e9c81, 0x34f4f86a, 0xc69f7b69,
	0xd5cf889d, 0x27a40b9e, 0x79b737ba, 0x8bdcb4b9, 0x988c474d, 0x6ae7c44e,
	0xbe2da0a5, 0x4c4623a6, 0x5f16d052, 0xad7d5351,
};

static inline uint32_t crc_bytes(const uint32_t *t, uint32_t crc, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++, v >>= 8)
		crc = t[(crc ^ v) & 0xff] ^ (crc >> 8);
	return crc;
}

#define CRC_TAB(d) ((const uint32_t *)(uintptr_t)(d)->imm)
H(h_crc8)
{
	XR(rd) = crc_bytes(CRC_TAB(d), (uint32_t)XR(rn), XR(rm), 1);
	return cpu_next(c, d + 1);
}
H(h_crc16)
{
	XR(rd) = crc_bytes(CRC_TAB(d), (uint32_t)XR(rn), XR(rm), 2);
	return cpu_next(c, d + 1);
}
H(h_crc32)
{
	XR(rd) = crc_bytes(CRC_TAB(d), (uint32_t)XR(rn), XR(rm), 4);
	return cpu_next(c, d + 1);
}
H(h_crc64)
{
	XR(rd) = crc_bytes(CRC_TAB(d), (uint32_t)XR(rn), XR(rm), 8);
	return cpu_next(c, d + 1);
}
#undef CRC_TAB

bool trans_CRC32(struct a64_dctx *s, arg_CRC32 *a)
{
	static const dinsn_fn fns[4] = { h_crc8, h_crc16, h_crc32, h_crc64 };
	/* CRC32X/CRC32CX need sf = 1, the others sf = 0. */
	if (a->sf != (a->sz == 3))
		return false;
	dp_reg3(s->d, a->rd, a->rn, a->rm);
	s->d->fn = fns[a->sz];
	s->d->imm = (uint64_t)(uintptr_t)(a->c ? crc32c_tab : crc32_tab);
	return true;
}

/* ==== Data-processing (1 source) ========================================== */

static inline uint64_t rbit64(uint64_t x)
{
	x = (x >> 1 & 0x5555555555555555ull) | (x & 0x5555555555555555ull) << 1;
	x = (x >> 2 & 0x3333333333333333ull) | (x & 0x3333333333333333ull) << 2;
	x = (x >> 4 & 0x0f0f0f0f0f0f0f0full) | (x & 0x0f0f0f0f0f0f0f0full) << 4;
	return __builtin_bswap64(x);
}

H(h_rbit64)
{
	XR(rd) = rbit64(XR(rn));
	return cpu_next(c, d + 1);
}
H(h_rbit32)
{
	XR(rd) = rbit64(XR(rn) << 32);
	return cpu_next(c, d + 1);
}
H(h_rev16_64)
{
	uint64_t x = XR(rn);
	XR(rd) = (x >> 8 & 0x00ff00ff00ff00ffull) | (x & 0x00ff00ff00ff00ffull) << 8;
	return cpu_next(c, d + 1);
}
H(h_rev16_32)
{
	uint32_t x = (uint32_t)XR(rn);
	XR(rd) = (x >> 8 & 0x00ff00ffu) | (x & 0x00ff00ffu) << 8;
	return cpu_next(c, d + 1);
}
H(h_rev32_64)
{
	XR(rd) = sh_ror64(__builtin_bswap64(XR(rn)), 32);
	return cpu_next(c, d + 1);
}
H(h_rev32)
{
	XR(rd) = __builtin_bswap32((uint32_t)XR(rn));
	return cpu_next(c, d + 1);
}
H(h_rev64)
{
	XR(rd) = __builtin_bswap64(XR(rn));
	return cpu_next(c, d + 1);
}

bool trans_REV(struct a64_dctx *s, arg_REV *a)
{
	static const dinsn_fn fns[2][4] = {
		{ h_rbit32, h_rev16_32, h_rev32, NULL },
		{ h_rbit64, h_rev16_64, h_rev32_64, h_rev64 },
	};
	if (!fns[a->sf][a->opc]) /* REV with opc = 11 is 64-bit only */
		return false;
	s->d->rd = reg_zr_w((unsigned)a->rd);
	s->d->rn = reg_zr((unsigned)a->rn);
	s->d->fn = fns[a->sf][a->opc];
	return true;
}

H(h_clz64)
{
	uint64_t x = XR(rn);
	XR(rd) = x ? (uint64_t)__builtin_clzll(x) : 64;
	return cpu_next(c, d + 1);
}
H(h_clz32)
{
	uint32_t x = (uint32_t)XR(rn);
	XR(rd) = x ? (uint64_t)__builtin_clz(x) : 32;
	return cpu_next(c, d + 1);
}
/* CountLeadingSignBits(x) = CountLeadingZeroBits(x<N-1:1> EOR x<N-2:0>):
 * the N-1 bit value is the top N-1 bits of x EOR (x << 1); bit 0 forced to
 * one stops the count at N-1. */
H(h_cls64)
{
	uint64_t x = XR(rn);
	XR(rd) = (uint64_t)__builtin_clzll((x ^ (x << 1)) | 1);
	return cpu_next(c, d + 1);
}
H(h_cls32)
{
	uint32_t x = (uint32_t)XR(rn);
	XR(rd) = (uint64_t)__builtin_clz((x ^ (x << 1)) | 1);
	return cpu_next(c, d + 1);
}

bool trans_CLZ(struct a64_dctx *s, arg_CLZ *a)
{
	static const dinsn_fn fns[2][2] = { { h_clz32, h_cls32 }, { h_clz64, h_cls64 } };
	s->d->rd = reg_zr_w((unsigned)a->rd);
	s->d->rn = reg_zr((unsigned)a->rn);
	s->d->fn = fns[a->sf][a->cls];
	return true;
}

/* ==== Data-processing (3 source) ========================================== */

H(h_madd64)
{
	XR(rd) = XR(ra) + XR(rn) * XR(rm);
	return cpu_next(c, d + 1);
}
H(h_msub64)
{
	XR(rd) = XR(ra) - XR(rn) * XR(rm);
	return cpu_next(c, d + 1);
}
H(h_mul64)
{
	XR(rd) = XR(rn) * XR(rm);
	return cpu_next(c, d + 1);
}
H(h_madd32)
{
	XR(rd) = (uint32_t)(XR(ra) + XR(rn) * XR(rm));
	return cpu_next(c, d + 1);
}
H(h_msub32)
{
	XR(rd) = (uint32_t)(XR(ra) - XR(rn) * XR(rm));
	return cpu_next(c, d + 1);
}
H(h_mul32)
{
	XR(rd) = (uint32_t)(XR(rn) * XR(rm));
	return cpu_next(c, d + 1);
}

static inline uint64_t smul32(uint64_t n, uint64_t m)
{
	return (uint64_t)((int64_t)(int32_t)n * (int64_t)(int32_t)m);
}
static inline uint64_t umul32(uint64_t n, uint64_t m)
{
	return (uint64_t)(uint32_t)n * (uint32_t)m;
}

H(h_smaddl)
{
	XR(rd) = XR(ra) + smul32(XR(rn), XR(rm));
	return cpu_next(c, d + 1);
}
H(h_smsubl)
{
	XR(rd) = XR(ra) - smul32(XR(rn), XR(rm));
	return cpu_next(c, d + 1);
}
H(h_umaddl)
{
	XR(rd) = XR(ra) + umul32(XR(rn), XR(rm));
	return cpu_next(c, d + 1);
}
H(h_umsubl)
{
	XR(rd) = XR(ra) - umul32(XR(rn), XR(rm));
	return cpu_next(c, d + 1);
}
H(h_smulh)
{
	__int128 p = (__int128)(int64_t)XR(rn) * (int64_t)XR(rm);
	XR(rd) = (uint64_t)(p >> 64);
	return cpu_next(c, d + 1);
}
H(h_umulh)
{
	unsigned __int128 p = (unsigned __int128)XR(rn) * XR(rm);
	XR(rd) = (uint64_t)(p >> 64);
	return cpu_next(c, d + 1);
}

static void dp_reg4(dinsn *d, int64_t rd, int64_t rn, int64_t rm, int64_t ra)
{
	dp_reg3(d, rd, rn, rm);
	d->ra = reg_zr((unsigned)ra);
}

bool trans_MADD(struct a64_dctx *s, arg_MADD *a)
{
	static const dinsn_fn fns[2][2] = { { h_madd32, h_msub32 }, { h_madd64, h_msub64 } };
	dp_reg4(s->d, a->rd, a->rn, a->rm, a->ra);
	s->d->fn = fns[a->sf][a->o0];
	if (!a->o0 && a->ra == 31) /* MUL */
		s->d->fn = a->sf ? h_mul64 : h_mul32;
	return true;
}

bool trans_MADDL(struct a64_dctx *s, arg_MADDL *a)
{
	static const dinsn_fn fns[2][2] = { { h_smaddl, h_smsubl }, { h_umaddl, h_umsubl } };
	dp_reg4(s->d, a->rd, a->rn, a->rm, a->ra);
	s->d->fn = fns[a->u][a->o0];
	return true;
}

bool trans_MULH(struct a64_dctx *s, arg_MULH *a)
{
	dp_reg3(s->d, a->rd, a->rn, a->rm);
	s->d->fn = a->u ? h_umulh : h_smulh;
	return true;
}
