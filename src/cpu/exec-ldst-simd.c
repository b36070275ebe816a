/* SIMD&FP loads and stores (Arm ARM C4.1.4, C7.2): LDR/STR of B/H/S/D/Q
 * registers (unsigned offset, unscaled, pre/post-index, register offset,
 * literal for S/D/Q), LDP/STP/LDNP/STNP of S/D/Q, LD1-LD4/ST1-ST4
 * (multiple structures), LD1-LD4/ST1-ST4 (single structure) and LD1R-LD4R,
 * with immediate and register post-index.
 *
 * Conventions are those of exec-ldst.c: every memory access happens before
 * any register is written (a fault or an exit to the VMM leaves the
 * registers unchanged and the instruction restartable); the writeback
 * comes last; SP as a base register is checked against SCTLR_EL1.SA/SA0;
 * ordinary accesses fault on misalignment only with SCTLR_EL1.A set, the
 * check being against the element size (the whole register for LDR/STR
 * and LDP/STP). 16-byte accesses are made as two 8-byte accesses in
 * address order, and structure accesses as 8-byte (multiple structures)
 * or element-sized (single structure) accesses to a contiguous block,
 * which the instruction then interleaves or de-interleaves. For RAM this
 * is indistinguishable; a stage-2 fault on MMIO exits with ISV = 0
 * (arch/dabt.c gives no syndrome for V = 1), and the VMM emulates the
 * whole instruction. A store that crosses into a faulting page may have
 * written the part before the fault, as the architecture allows.
 *
 * Decoded entry: rd = Rt (V register number), ra = Rt2 (pairs), rn = base
 * slot (SP for 31), rm = index or post-index register slot, f0 = extend
 * shift or log2 of the element size, imm = scaled offset or post-index
 * amount. Structures: f1 = selem, f2 = rpt (multiple) or lane index
 * (single), f3 = flags (ST_*). */
#include "arch/dabt.h"
#include "cpu/exec-simd.h"
#include "a64-decode.h"

#define H(name) static const dinsn *name(struct a64_cpu *c, const dinsn *d)
#include "cpu/ldst-common.h"

/* A 16-byte element at va, 8- but not 16-byte aligned: it takes an
 * alignment fault on Device memory (the MMU being off, or the page cached
 * with TLB_ALIGN: see mem.c; SCTLR_EL1.A is checked by chk_align). Called
 * before the element's first access, and for a store after it too, when
 * that access has just filled the TLB entry; a store to a Device page not
 * yet in the TLB may therefore have written its first 8 bytes. */
static COLD void q_align_check(struct a64_cpu *c, const dinsn *d, uint64_t va, bool write)
{
	if (!(c->sctlr & 1)) /* MMU off: Device-nGnRnE */
		align_fault(c, d, va, write);
	struct tlb_entry *e = &c->tlb[c->mmu_idx][(va >> 12) & (TLB_SIZE - 1)];
	uint64_t flagged = (va & ~0xfffull) | TLB_ALIGN;
	if (e->rtag == flagged || e->wtag == flagged)
		align_fault(c, d, va, write);
}

/* Read len bytes at va into buf, as elements of esz bytes (1, 2, 4, 8 or
 * 16): one TLB lookup and a copy when the block is in one page and the
 * TLB has it for plain access, else element by element in address order
 * through mem_ld (which checks alignment per element where it matters). */
static void rd_block_slow(struct a64_cpu *c, const dinsn *d, uint64_t va, uint8_t *buf, unsigned len,
			  unsigned esz)
{
	unsigned idx = c->mmu_idx;
	unsigned step = esz > 8 ? 8 : esz;
	for (unsigned i = 0; i < len; i += step) {
		bool q8 = esz == 16 && !(i & 8) && ((va + i) & 8);
		if (q8)
			q_align_check(c, d, va + i, false);
		uint64_t v = mem_ld(c, d, va + i, step, idx);
		if (q8)
			q_align_check(c, d, va + i, false);
		memcpy(buf + i, &v, step);
	}
}

static inline void rd_block(struct a64_cpu *c, const dinsn *d, uint64_t va, void *buf, unsigned len, unsigned esz)
{
	const uint8_t *p = tlb_rd(c, va, len, c->mmu_idx);
	if (likely(p != NULL))
		memcpy(buf, p, len);
	else
		rd_block_slow(c, d, va, buf, len, esz);
}

static void wr_block_slow(struct a64_cpu *c, const dinsn *d, uint64_t va, const uint8_t *buf, unsigned len,
			  unsigned esz)
{
	unsigned idx = c->mmu_idx;
	unsigned step = esz > 8 ? 8 : esz;
	for (unsigned i = 0; i < len; i += step) {
		uint64_t v = 0;
		memcpy(&v, buf + i, step);
		bool q8 = esz == 16 && !(i & 8) && ((va + i) & 8);
		if (q8)
			q_align_check(c, d, va + i, true);
		mem_st(c, d, va + i, step, v, idx);
		if (q8) /* the store filled the TLB entry: Device memory? */
			q_align_check(c, d, va + i, true);
	}
}

static inline void wr_block(struct a64_cpu *c, const dinsn *d, uint64_t va, const void *buf, unsigned len,
			    unsigned esz)
{
	uint8_t *p = tlb_wr(c, va, len, c->mmu_idx);
	if (likely(p != NULL))
		memcpy(p, buf, len);
	else
		wr_block_slow(c, d, va, buf, len, esz);
}

/* ---- Single register: LDR/STR (SIMD&FP) -------------------------------------- */

#define VA_IMM (base + d->imm)
#define VA_POST (base)
#define VA_RUXTW (base + ((uint64_t)(uint32_t)c->x[d->rm] << d->f0))
#define VA_RSXTW (base + ((uint64_t)(int64_t)(int32_t)c->x[d->rm] << d->f0))
#define VA_RX (base + (c->x[d->rm] << d->f0))
#define WB_NONE ((void)0)
#define WB_PRE (c->x[d->rn] = va)
#define WB_POST (c->x[d->rn] = base + d->imm)

#define DEF_VLD(SZ, form, VA, WB)                                                       \
	H(h_vld##SZ##_##form)                                                           \
	{                                                                               \
		simd_check(c, d);                                                       \
		uint64_t base = ld_base(c, d);                                          \
		uint64_t va = VA;                                                       \
		uint64_t lo, hi = 0;                                                    \
		chk_align(c, d, va, SZ, false);                                         \
		if ((SZ) == 16) {                                                       \
			uint64_t t[2];                                                  \
			rd_block(c, d, va, t, 16, 16);                                      \
			lo = t[0];                                                      \
			hi = t[1];                                                      \
		} else {                                                                \
			lo = mem_ld(c, d, va, (SZ) & 15, c->mmu_idx);                   \
		}                                                                       \
		c->v[d->rd].d[0] = lo;                                                  \
		c->v[d->rd].d[1] = hi;                                                  \
		WB;                                                                     \
		return cpu_next(c, d + 1);                                              \
	}

#define DEF_VST(SZ, form, VA, WB)                                                       \
	H(h_vst##SZ##_##form)                                                           \
	{                                                                               \
		simd_check(c, d);                                                       \
		uint64_t base = ld_base(c, d);                                          \
		uint64_t va = VA;                                                       \
		chk_align(c, d, va, SZ, true);                                          \
		if ((SZ) == 16) {                                                       \
			uint64_t t[2] = { c->v[d->rd].d[0], c->v[d->rd].d[1] };         \
			wr_block(c, d, va, t, 16, 16);                                      \
		} else {                                                                \
			mem_st(c, d, va, (SZ) & 15, c->v[d->rd].d[0], c->mmu_idx);      \
		}                                                                       \
		WB;                                                                     \
		return cpu_next(c, d + 1);                                              \
	}

#define DEF_VFORMS(DEF, SZ)                            \
	DEF(SZ, off, VA_IMM, WB_NONE)                  \
	DEF(SZ, pre, VA_IMM, WB_PRE)                   \
	DEF(SZ, post, VA_POST, WB_POST)                \
	DEF(SZ, ruxtw, VA_RUXTW, WB_NONE)              \
	DEF(SZ, rsxtw, VA_RSXTW, WB_NONE)              \
	DEF(SZ, rx, VA_RX, WB_NONE)
#define DEF_VSIZE(SZ) DEF_VFORMS(DEF_VLD, SZ) DEF_VFORMS(DEF_VST, SZ)
DEF_VSIZE(1)
DEF_VSIZE(2)
DEF_VSIZE(4)
DEF_VSIZE(8)
DEF_VSIZE(16)

enum { F_OFF, F_PRE, F_POST, F_RUXTW, F_RSXTW, F_RX, NFORMS };
#define VROW(k, SZ) { h_##k##SZ##_off, h_##k##SZ##_pre, h_##k##SZ##_post, h_##k##SZ##_ruxtw, h_##k##SZ##_rsxtw, h_##k##SZ##_rx }
/* [load][log2 size][form] */
static const dinsn_fn vsingle_fn[2][5][NFORMS] = {
	{ VROW(vst, 1), VROW(vst, 2), VROW(vst, 4), VROW(vst, 8), VROW(vst, 16) },
	{ VROW(vld, 1), VROW(vld, 2), VROW(vld, 4), VROW(vld, 8), VROW(vld, 16) },
};

/* size:opc -> log2 of the access size (B H S D Q), or -1. */
static int vsize(unsigned size, unsigned opc)
{
	if (opc < 2)
		return (int)size;
	return size == 0 ? 4 : -1;
}

static bool vldst_single(struct a64_dctx *s, unsigned size, unsigned opc, unsigned form, unsigned rt, unsigned rn,
			 unsigned rm, bool shift, uint64_t imm)
{
	dinsn *d = s->d;
	int lg = vsize(size, opc);
	if (lg < 0)
		return false;
	d->fn = vsingle_fn[opc & 1][lg][form];
	d->rd = (uint8_t)rt;
	d->rn = reg_sp(rn);
	d->rm = reg_zr(rm);
	d->f0 = (uint8_t)(shift ? lg : 0);
	d->imm = imm;
	return true;
}

bool trans_LDST_V_uimm(struct a64_dctx *s, arg_LDST_V_uimm *a)
{
	int lg = vsize((unsigned)a->size, (unsigned)a->opc);
	if (lg < 0)
		return false;
	return vldst_single(s, (unsigned)a->size, (unsigned)a->opc, F_OFF, (unsigned)a->rt, (unsigned)a->rn, 31, false,
			    (uint64_t)a->imm << lg);
}

/* Unscaled (00), post-index (01), pre-index (11); 10 (unprivileged) has
 * no SIMD&FP form. */
bool trans_LDST_V_imm9(struct a64_dctx *s, arg_LDST_V_imm9 *a)
{
	static const int forms[4] = { F_OFF, F_POST, -1, F_PRE };
	if (forms[a->idx] < 0)
		return false;
	return vldst_single(s, (unsigned)a->size, (unsigned)a->opc, (unsigned)forms[a->idx], (unsigned)a->rt,
			    (unsigned)a->rn, 31, false, (uint64_t)a->imm);
}

/* Register offset: option UXTW (010), LSL (011), SXTW (110), SXTX (111). */
bool trans_LDST_V_reg(struct a64_dctx *s, arg_LDST_V_reg *a)
{
	unsigned opt = (unsigned)a->opt;
	if (!(opt & 2))
		return false;
	unsigned form = opt == 2 ? F_RUXTW : opt == 6 ? F_RSXTW : F_RX;
	return vldst_single(s, (unsigned)a->size, (unsigned)a->opc, form, (unsigned)a->rt, (unsigned)a->rn,
			    (unsigned)a->rm, a->s != 0, 0);
}

/* Literal: S (00), D (01), Q (10). */
#define DEF_VLDLIT(SZ)                                                          \
	H(h_vldlit##SZ)                                                         \
	{                                                                       \
		simd_check(c, d);                                               \
		uint64_t va = insn_pc(c, d) + d->imm;                           \
		uint64_t t[2] = { 0, 0 };                                       \
		chk_align(c, d, va, SZ, false);                                 \
		if ((SZ) == 16)                                                 \
			rd_block(c, d, va, t, 16, 16);                              \
		else                                                            \
			t[0] = mem_ld(c, d, va, (SZ) & 15, c->mmu_idx);         \
		c->v[d->rd].d[0] = t[0];                                        \
		c->v[d->rd].d[1] = t[1];                                        \
		return cpu_next(c, d + 1);                                      \
	}
DEF_VLDLIT(4)
DEF_VLDLIT(8)
DEF_VLDLIT(16)

bool trans_LDR_V_lit(struct a64_dctx *s, arg_LDR_V_lit *a)
{
	static const dinsn_fn fn[3] = { h_vldlit4, h_vldlit8, h_vldlit16 };
	dinsn *d = s->d;
	if (a->opc == 3)
		return false;
	d->fn = fn[a->opc];
	d->rd = (uint8_t)a->rt;
	d->imm = (uint64_t)(a->imm * 4);
	return true;
}

/* ---- Pairs: LDP/STP/LDNP/STNP (SIMD&FP) ------------------------------------------
 * The first register goes with the lower address. */

#define DEF_VLDP(ES, form, VA, WB)                                                      \
	H(h_vldp##ES##_##form)                                                          \
	{                                                                               \
		simd_check(c, d);                                                       \
		uint64_t base = ld_base(c, d);                                          \
		uint64_t va = VA;                                                       \
		uint64_t t[4] = { 0, 0, 0, 0 };                                         \
		chk_align(c, d, va, ES, false);                                         \
		if ((ES) == 16) {                                                       \
			rd_block(c, d, va, t, 32, 16);                                      \
		} else {                                                                \
			const uint8_t *p = tlb_rd(c, va, 2 * (ES), c->mmu_idx);         \
			if (likely(p != NULL)) {                                        \
				t[0] = ldn_host(p, (ES) & 15);                          \
				t[2] = ldn_host(p + (ES), (ES) & 15);                   \
			} else {                                                        \
				t[0] = mem_ld(c, d, va, (ES) & 15, c->mmu_idx);         \
				t[2] = mem_ld(c, d, va + (ES), (ES) & 15, c->mmu_idx);  \
			}                                                               \
		}                                                                       \
		c->v[d->ra].d[0] = t[2];                                                \
		c->v[d->ra].d[1] = t[3];                                                \
		c->v[d->rd].d[0] = t[0];                                                \
		c->v[d->rd].d[1] = t[1];                                                \
		WB;                                                                     \
		return cpu_next(c, d + 1);                                              \
	}

#define DEF_VSTP(ES, form, VA, WB)                                                      \
	H(h_vstp##ES##_##form)                                                          \
	{                                                                               \
		simd_check(c, d);                                                       \
		uint64_t base = ld_base(c, d);                                          \
		uint64_t va = VA;                                                       \
		chk_align(c, d, va, ES, true);                                          \
		if ((ES) == 16) {                                                       \
			uint64_t t[4] = { c->v[d->rd].d[0], c->v[d->rd].d[1],           \
					  c->v[d->ra].d[0], c->v[d->ra].d[1] };         \
			wr_block(c, d, va, t, 32, 16);                                      \
		} else {                                                                \
			uint64_t v1 = c->v[d->rd].d[0], v2 = c->v[d->ra].d[0];          \
			uint8_t *p = tlb_wr(c, va, 2 * (ES), c->mmu_idx);               \
			if (likely(p != NULL)) {                                        \
				stn_host(p, (ES) & 15, v1);                             \
				stn_host(p + (ES), (ES) & 15, v2);                      \
			} else {                                                        \
				mem_st(c, d, va, (ES) & 15, v1, c->mmu_idx);            \
				mem_st(c, d, va + (ES), (ES) & 15, v2, c->mmu_idx);     \
			}                                                               \
		}                                                                       \
		WB;                                                                     \
		return cpu_next(c, d + 1);                                              \
	}

#define DEF_VPAIR(DEF, ES)                       \
	DEF(ES, off, VA_IMM, WB_NONE)            \
	DEF(ES, pre, VA_IMM, WB_PRE)             \
	DEF(ES, post, VA_POST, WB_POST)
DEF_VPAIR(DEF_VLDP, 4)
DEF_VPAIR(DEF_VLDP, 8)
DEF_VPAIR(DEF_VLDP, 16)
DEF_VPAIR(DEF_VSTP, 4)
DEF_VPAIR(DEF_VSTP, 8)
DEF_VPAIR(DEF_VSTP, 16)

#define PROW(k, ES) { h_##k##ES##_off, h_##k##ES##_pre, h_##k##ES##_post }
static const dinsn_fn vpair_fn[2][3][3] = {
	{ PROW(vstp, 4), PROW(vstp, 8), PROW(vstp, 16) },
	{ PROW(vldp, 4), PROW(vldp, 8), PROW(vldp, 16) },
};

/* opc: 00 S, 01 D, 10 Q, 11 reserved. idx: 00 no-allocate, 01 post-index,
 * 10 offset, 11 pre-index. */
bool trans_LDSTP_V(struct a64_dctx *s, arg_LDSTP_V *a)
{
	dinsn *d = s->d;
	unsigned opc = (unsigned)a->opc, idx = (unsigned)a->idx;
	if (opc == 3)
		return false;
	unsigned form = idx == 1 ? 2 : idx == 3 ? 1 : 0;
	d->fn = vpair_fn[a->l][opc][form];
	d->rd = (uint8_t)a->rt;
	d->ra = (uint8_t)a->rt2;
	d->rn = reg_sp((unsigned)a->rn);
	d->imm = (uint64_t)(a->imm * (4ll << opc));
	return true;
}

/* ---- Structures ----------------------------------------------------------------- */

enum {
	ST_Q = 1,       /* 128-bit registers */
	ST_POST = 2,    /* post-index writeback */
	ST_POSTREG = 4, /* ... by the register in rm (else by imm) */
};

static inline void st_writeback(struct a64_cpu *c, const dinsn *d, uint64_t base)
{
	if (d->f3 & ST_POST)
		c->x[d->rn] = base + ((d->f3 & ST_POSTREG) ? c->x[d->rm] : d->imm);
}

/* LD1 (multiple structures), 1-4 registers: the registers' bytes are the
 * memory block. f2 = number of registers. */
H(h_ld1_mult)
{
	simd_check(c, d);
	uint64_t base = ld_base(c, d);
	uint64_t buf[8];
	unsigned nr = d->f2, q = d->f3 & ST_Q, rb = q ? 16 : 8;
	chk_align(c, d, base, 1u << d->f0, false);
	rd_block(c, d, base, buf, nr * rb, 1u << d->f0);
	for (unsigned r = 0; r < nr; r++) {
		unsigned t = (d->rd + r) & 31;
		if (q) {
			c->v[t].d[0] = buf[2 * r];
			c->v[t].d[1] = buf[2 * r + 1];
		} else {
			c->v[t].d[0] = buf[r];
			c->v[t].d[1] = 0;
		}
	}
	st_writeback(c, d, base);
	return cpu_next(c, d + 1);
}

H(h_st1_mult)
{
	simd_check(c, d);
	uint64_t base = ld_base(c, d);
	uint64_t buf[8];
	unsigned nr = d->f2, q = d->f3 & ST_Q, rb = q ? 16 : 8;
	chk_align(c, d, base, 1u << d->f0, true);
	for (unsigned r = 0; r < nr; r++) {
		unsigned t = (d->rd + r) & 31;
		if (q) {
			buf[2 * r] = c->v[t].d[0];
			buf[2 * r + 1] = c->v[t].d[1];
		} else {
			buf[r] = c->v[t].d[0];
		}
	}
	wr_block(c, d, base, buf, nr * rb, 1u << d->f0);
	st_writeback(c, d, base);
	return cpu_next(c, d + 1);
}

/* LD2/LD3/LD4 and ST2/ST3/ST4 (multiple structures): element e of register
 * t+s is at offset (e * selem + s) * esize. f1 = selem. */
static inline void interleave(uint8_t *mem, const vr *regs, unsigned selem, unsigned esz, unsigned elements)
{
	for (unsigned e = 0; e < elements; e++)
		for (unsigned s = 0; s < selem; s++)
			memcpy(mem + (e * selem + s) * esz, (const uint8_t *)regs[s].d + e * esz, esz);
}

H(h_ldn_mult)
{
	simd_check(c, d);
	uint64_t base = ld_base(c, d);
	uint8_t mem[64];
	vr regs[4];
	unsigned selem = d->f1, esz = 1u << d->f0, q = d->f3 & ST_Q, rb = q ? 16 : 8;
	unsigned elements = rb / esz;
	chk_align(c, d, base, esz, false);
	rd_block(c, d, base, mem, selem * rb, esz);
	memset(regs, 0, sizeof(regs));
	for (unsigned e = 0; e < elements; e++)
		for (unsigned s = 0; s < selem; s++)
			memcpy((uint8_t *)regs[s].d + e * esz, mem + (e * selem + s) * esz, esz);
	for (unsigned s = 0; s < selem; s++)
		vset(c, (d->rd + s) & 31, regs[s]);
	st_writeback(c, d, base);
	return cpu_next(c, d + 1);
}

H(h_stn_mult)
{
	simd_check(c, d);
	uint64_t base = ld_base(c, d);
	uint8_t mem[64];
	vr regs[4];
	unsigned selem = d->f1, esz = 1u << d->f0, q = d->f3 & ST_Q, rb = q ? 16 : 8;
	chk_align(c, d, base, esz, true);
	for (unsigned s = 0; s < selem; s++)
		regs[s] = vget(c, (d->rd + s) & 31);
	interleave(mem, regs, selem, esz, rb / esz);
	wr_block(c, d, base, mem, selem * rb, esz);
	st_writeback(c, d, base);
	return cpu_next(c, d + 1);
}

static bool ldst_mult(struct a64_dctx *s, unsigned q, unsigned l, unsigned opcode, unsigned size, unsigned rn,
		      unsigned rt, bool post, unsigned rm)
{
	dinsn *d = s->d;
	unsigned rpt, selem;
	switch (opcode) {
	case 0x0: rpt = 1; selem = 4; break;
	case 0x2: rpt = 4; selem = 1; break;
	case 0x4: rpt = 1; selem = 3; break;
	case 0x6: rpt = 3; selem = 1; break;
	case 0x7: rpt = 1; selem = 1; break;
	case 0x8: rpt = 1; selem = 2; break;
	case 0xa: rpt = 2; selem = 1; break;
	default: return false;
	}
	if (size == 3 && !q && selem != 1)
		return false;
	if (selem == 1)
		d->fn = l ? h_ld1_mult : h_st1_mult;
	else
		d->fn = l ? h_ldn_mult : h_stn_mult;
	d->rd = (uint8_t)rt;
	d->rn = reg_sp(rn);
	d->f0 = (uint8_t)size;
	d->f1 = (uint8_t)selem;
	d->f2 = (uint8_t)rpt;
	d->f3 = (uint8_t)((q ? ST_Q : 0) | (post ? ST_POST : 0) | (post && rm != 31 ? ST_POSTREG : 0));
	d->rm = reg_zr(rm);
	d->imm = (uint64_t)(rpt * selem * (q ? 16 : 8));
	return true;
}

bool trans_LDST_MULT(struct a64_dctx *s, arg_LDST_MULT *a)
{
	return ldst_mult(s, (unsigned)a->q, (unsigned)a->l, (unsigned)a->opcode, (unsigned)a->size, (unsigned)a->rn,
			 (unsigned)a->rt, false, 31);
}

bool trans_LDST_MULT_P(struct a64_dctx *s, arg_LDST_MULT_P *a)
{
	return ldst_mult(s, (unsigned)a->q, (unsigned)a->l, (unsigned)a->opcode, (unsigned)a->size, (unsigned)a->rn,
			 (unsigned)a->rt, true, (unsigned)a->rm);
}

/* Single structure: selem elements of esize at consecutive addresses, to
 * or from lane f2 of registers t .. t+selem-1; or LDnR: replicated to
 * every lane (f2 unused, Q from f3). */
static inline void rd_elems(struct a64_cpu *c, const dinsn *d, uint64_t va, uint64_t *v, unsigned selem,
			    unsigned esz)
{
	unsigned idx = c->mmu_idx;
	const uint8_t *p = tlb_rd(c, va, selem * esz, idx);
	for (unsigned s = 0; s < selem; s++)
		v[s] = p ? ldn_host(p + s * esz, esz) : mem_ld(c, d, va + s * esz, esz, idx);
}

H(h_ld_single)
{
	simd_check(c, d);
	uint64_t base = ld_base(c, d);
	uint64_t v[4];
	unsigned selem = d->f1, esz = 1u << d->f0, E = 8 * esz;
	chk_align(c, d, base, esz, false);
	rd_elems(c, d, base, v, selem, esz);
	for (unsigned s = 0; s < selem; s++) {
		unsigned t = (d->rd + s) & 31;
		vr r = vget(c, t);
		setlane(&r, E, d->f2, v[s]);
		vset(c, t, r);
	}
	st_writeback(c, d, base);
	return cpu_next(c, d + 1);
}

H(h_ld_repl)
{
	simd_check(c, d);
	uint64_t base = ld_base(c, d);
	uint64_t v[4];
	unsigned selem = d->f1, esz = 1u << d->f0, E = 8 * esz;
	chk_align(c, d, base, esz, false);
	rd_elems(c, d, base, v, selem, esz);
	for (unsigned s = 0; s < selem; s++) {
		unsigned t = (d->rd + s) & 31;
		uint64_t x = v[s];
		for (unsigned w = E; w < 64; w *= 2)
			x |= x << w;
		c->v[t].d[0] = x;
		c->v[t].d[1] = (d->f3 & ST_Q) ? x : 0;
	}
	st_writeback(c, d, base);
	return cpu_next(c, d + 1);
}

H(h_st_single)
{
	simd_check(c, d);
	uint64_t base = ld_base(c, d);
	unsigned selem = d->f1, esz = 1u << d->f0, E = 8 * esz, idx = c->mmu_idx;
	uint64_t v[4];
	chk_align(c, d, base, esz, true);
	for (unsigned s = 0; s < selem; s++) {
		vr r = vget(c, (d->rd + s) & 31);
		v[s] = lane(&r, E, d->f2);
	}
	uint8_t *p = tlb_wr(c, base, selem * esz, idx);
	for (unsigned s = 0; s < selem; s++) {
		if (p)
			stn_host(p + s * esz, esz, v[s]);
		else
			mem_st(c, d, base + s * esz, esz, v[s], idx);
	}
	st_writeback(c, d, base);
	return cpu_next(c, d + 1);
}

static bool ldst_single(struct a64_dctx *s, unsigned q, unsigned l, unsigned r, unsigned opcode, unsigned S,
			unsigned size, unsigned rn, unsigned rt, bool post, unsigned rm)
{
	dinsn *d = s->d;
	unsigned scale = opcode >> 1, selem = ((opcode & 1) << 1 | r) + 1, index = 0;
	bool repl = false;
	switch (scale) {
	case 3:
		if (!l || S)
			return false;
		scale = size;
		repl = true;
		break;
	case 0:
		index = q << 3 | S << 2 | size;
		break;
	case 1:
		if (size & 1)
			return false;
		index = q << 2 | S << 1 | size >> 1;
		break;
	default:
		if (size & 2)
			return false;
		if (!(size & 1)) {
			index = q << 1 | S;
		} else {
			if (S)
				return false;
			index = q;
			scale = 3;
		}
		break;
	}
	d->fn = repl ? h_ld_repl : l ? h_ld_single : h_st_single;
	d->rd = (uint8_t)rt;
	d->rn = reg_sp(rn);
	d->f0 = (uint8_t)scale;
	d->f1 = (uint8_t)selem;
	d->f2 = (uint8_t)index;
	d->f3 = (uint8_t)((q ? ST_Q : 0) | (post ? ST_POST : 0) | (post && rm != 31 ? ST_POSTREG : 0));
	d->rm = reg_zr(rm);
	d->imm = (uint64_t)(selem << scale);
	return true;
}

bool trans_LDST_SINGLE(struct a64_dctx *s, arg_LDST_SINGLE *a)
{
	return ldst_single(s, (unsigned)a->q, (unsigned)a->l, (unsigned)a->r, (unsigned)a->opcode, (unsigned)a->s,
			   (unsigned)a->size, (unsigned)a->rn, (unsigned)a->rt, false, 31);
}

bool trans_LDST_SINGLE_P(struct a64_dctx *s, arg_LDST_SINGLE_P *a)
{
	return ldst_single(s, (unsigned)a->q, (unsigned)a->l, (unsigned)a->r, (unsigned)a->opcode, (unsigned)a->s,
			   (unsigned)a->size, (unsigned)a->rn, (unsigned)a->rt, true, (unsigned)a->rm);
}
