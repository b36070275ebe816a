/* A64 loads and stores of general-purpose registers (Arm ARM C4.1.4, C6.2):
 * single registers in every addressing mode, unprivileged forms, literals,
 * PRFM, pairs, exclusives, load-acquire/store-release (incl. RCpc LDAPR) and
 * the LSE atomics (LD<op>/ST<op>, SWP, CAS, CASP).
 *
 * Decoding picks a handler specialised for the access kind (size, sign- or
 * zero-extension, load/store) and the addressing form, with register slots
 * and the scaled offset resolved, so a handler is an address computation,
 * one mem_ld/mem_st and a register write.
 *
 * Every handler does all its memory accesses before writing any register:
 * an access may leave through a data abort or an exit to the VMM, and the
 * instruction must then be restartable with its registers unchanged.
 *
 * CONSTRAINED UNPREDICTABLE choices (Arm ARM K1.2 / the instruction pages),
 * made to match qemu, which the differential tests compare against:
 *  - load with writeback and Rn == Rt (Rn != 31), single or pair: the load
 *    and the writeback are both performed, the writeback last, so Rn ends up
 *    with the written-back address (an UNKNOWN value for Rt is permitted);
 *  - store with writeback and Rn == Rt/Rt2: the original register value is
 *    stored, then the base is written back;
 *  - LDP/LDNP/LDPSW with Rt == Rt2: the value of the lower address (Rt's)
 *    ends up in the register (UNKNOWN value permitted);
 *  - LDXP/LDAXP with Rt == Rt2: the value of the higher address (Rt2's)
 *    ends up in the register (UNKNOWN value permitted);
 *  - STXR/STXP with Rs == Rt, Rt2 or Rn: the store-exclusive executes with
 *    the register values read before it (the original Rt/Rt2 are stored at
 *    the original address) and then writes the status to Rs (the stored
 *    value / address being UNKNOWN is permitted);
 *  - should-be-one Rs/Rt2 fields of LDXR/STXR/LDAR/STLR are ignored (see
 *    a64-ldst.decode).
 *
 * Exclusive monitor: c->excl_addr holds the PHYSICAL address (from the TLB
 * entry the access used), so aliases of one location match; c->excl_size
 * the size of the whole access (16 for LDXP X) and excl_val[] the values
 * read. A store-exclusive first checks alignment and translation/write
 * permission (faults are taken even if the monitor is clear), then passes
 * only if the monitor holds the same physical address and size AND an
 * atomic compare-and-exchange from the recorded value to the new one
 * succeeds, which catches stores from other vCPUs (as qemu does; an
 * ABA sequence by another vCPU is not detected). Pass or fail, the monitor
 * is then clear. Exception entry/return should clear it too (ClearExclusive-
 * Local); that belongs to the exception code.
 *
 * Alignment: ordinary accesses fault only when SCTLR_EL1.A is set (memory
 * is treated as Normal with the MMU off, see mem.c); exclusives, LDAR/STLR/
 * LDAPR, atomics and CAS(P) always require natural alignment of the whole
 * access (pairs: twice the register size). SP as a base register is checked
 * against SCTLR_EL1.SA/SA0 (SP alignment fault, EC 0x26), except by PRFM.
 *
 * Memory ordering on the host: LDAR/LDAXR are seq_cst loads, STLR/STLXR
 * seq_cst stores/exchanges (RCsc: a Store-Release followed by a Load-Acquire
 * stays ordered), LDAPR an acquire load; the LSE atomics use the C11 order
 * of their A/L bits. Accesses that must take the slow path (TLB miss, MMIO)
 * are surrounded by the equivalent fences instead.
 *
 * SIMD&FP loads and stores (V = 1) will fit the same scheme: new access
 * kinds (reading/writing c->v[] with 8..128-bit sizes) instantiated through
 * the same addressing-form macros, and their decode lines with V = 1. */
#include "arch/dabt.h"
#include "cpu/internal.h"
#include "a64-decode.h"

#include "cpu/ldst-common.h"

static inline uint64_t ld(struct a64_cpu *c, const dinsn *d, uint64_t va, unsigned size, unsigned idx)
{
	chk_align(c, d, va, size, false);
	return mem_ld(c, d, va, size, idx);
}

static inline void st(struct a64_cpu *c, const dinsn *d, uint64_t va, unsigned size, uint64_t v, unsigned idx)
{
	chk_align(c, d, va, size, true);
	mem_st(c, d, va, size, v, idx);
}

/* A naturally aligned access of size bytes that hits the TLB: one compare
 * covers the page and the alignment (an aligned access cannot cross the
 * page); unaligned ones take the slow path, where mem_ld/mem_st serve them. */
static inline bool tlb_rd1_hit(struct a64_cpu *c, uint64_t va, unsigned size, unsigned idx, const uint8_t **p)
{
	struct tlb_entry *e = &tlb_for(c, idx)[(va >> 12) & (TLB_SIZE - 1)];
	if (unlikely(e->rtag != (va & (~0xfffull | (size - 1)))))
		return false;
	*p = (const uint8_t *)(uintptr_t)(va + e->addend);
	return true;
}

static inline bool tlb_wr1_hit(struct a64_cpu *c, uint64_t va, unsigned size, unsigned idx, uint8_t **p)
{
	struct tlb_entry *e = &tlb_for(c, idx)[(va >> 12) & (TLB_SIZE - 1)];
	if (unlikely(e->wtag != (va & (~0xfffull | (size - 1)))))
		return false;
	*p = (uint8_t *)(uintptr_t)(va + e->addend);
	return true;
}

/* The same as a test, for fast paths that leave for a slow path on a miss. */
static inline bool tlb_rd_hit(struct a64_cpu *c, uint64_t va, unsigned len, unsigned idx, const uint8_t **p)
{
	struct tlb_entry *e = &tlb_for(c, idx)[(va >> 12) & (TLB_SIZE - 1)];
	if (unlikely(e->rtag != (va & ~0xfffull) || (va & 0xfff) > 0x1000 - len))
		return false;
	*p = (const uint8_t *)(uintptr_t)(va + e->addend);
	return true;
}

static inline bool tlb_wr_hit(struct a64_cpu *c, uint64_t va, unsigned len, unsigned idx, uint8_t **p)
{
	struct tlb_entry *e = &tlb_for(c, idx)[(va >> 12) & (TLB_SIZE - 1)];
	if (unlikely(e->wtag != (va & ~0xfffull) || (va & 0xfff) > 0x1000 - len))
		return false;
	*p = (uint8_t *)(uintptr_t)(va + e->addend);
	return true;
}

/* Physical address of va, valid right after mem_host_rmw(va) (which leaves
 * va's page in the TLB entry). */
static inline uint64_t rmw_pa(struct a64_cpu *c, uint64_t va, unsigned idx)
{
	return (c->tlb[idx][(va >> 12) & (TLB_SIZE - 1)].pa & ~0xfffull) | (va & 0xfff);
}

/* PRFM in all its forms is a hint: no access, no fault. */
static const dinsn *h_prfm(struct a64_cpu *c, const dinsn *d)
{
	return cpu_next(c, d + 1);
}

/* ---- Single register: LDR/STR and the B/H/SB/SH/SW variants ----------------
 * Operands: rd = Rt slot (XZR read for stores, sink for loads), rn = base
 * slot (SP for 31), rm = index register slot, f0 = index shift, imm = offset
 * (already scaled). */

#define EXT_Z(v) (v)
#define EXT_SB_X(v) ((uint64_t)(int64_t)(int8_t)(v))
#define EXT_SH_X(v) ((uint64_t)(int64_t)(int16_t)(v))
#define EXT_SW_X(v) ((uint64_t)(int64_t)(int32_t)(v))
#define EXT_SB_W(v) ((uint64_t)(uint32_t)(int32_t)(int8_t)(v))
#define EXT_SH_W(v) ((uint64_t)(uint32_t)(int32_t)(int16_t)(v))

/* Addressing forms: the access address (from `base`), the regime and the
 * writeback. A loaded value is written before the writeback (see the
 * CONSTRAINED UNPREDICTABLE notes at the top). */
#define VA_IMM (base + d->imm)
#define VA_POST (base)
#define VA_RUXTW (base + ((uint64_t)(uint32_t)c->x[d->rm] << d->f0))
#define VA_RSXTW (base + ((uint64_t)(int64_t)(int32_t)c->x[d->rm] << d->f0))
#define VA_RX (base + (c->x[d->rm] << d->f0))
#define WB_NONE ((void)0)
#define WB_PRE (c->x[d->rn] = va)
#define WB_POST (c->x[d->rn] = base + d->imm)

/* Each handler is a fast path (SP base aligned or not SP, TLB hit inside
 * the page) that calls nothing, so it needs no stack frame and jumps
 * straight on to the next instruction, and a cold slow path that does the
 * whole instruction with every check. Alignment needs no test on the fast
 * path: with SCTLR_EL1.A set (or Device memory) TLB entries carry
 * TLB_ALIGN and never hit there. */
#define SLOW static __attribute__((noinline, cold)) const dinsn *
/* d->f1: 15 if the base is SP (its alignment is checked), else 0. */
#define SP_MISALIGNED(c, d, base) unlikely((base) & (d)->f1)

#define DEF_LD1(kind, form, size, EXT, VA, IDX, WB)                                   \
	SLOW h_##kind##_##form##_slow(struct a64_cpu *c, const dinsn *d)              \
	{                                                                             \
		uint64_t base = ld_base(c, d);                                        \
		uint64_t va = VA;                                                     \
		uint64_t v = ld(c, d, va, size, IDX);                                 \
		c->x[d->rd] = EXT(v);                                                 \
		WB;                                                                   \
		return cpu_next(c, d + 1);                               \
	}                                                                             \
	static const dinsn *h_##kind##_##form(struct a64_cpu *c, const dinsn *d)      \
	{                                                                             \
		uint64_t base = c->x[d->rn];                                          \
		if (SP_MISALIGNED(c, d, base))                                        \
			return h_##kind##_##form##_slow(c, d);                        \
		uint64_t va = VA;                                                     \
		const uint8_t *p;                                                     \
		if (unlikely(!tlb_rd1_hit(c, va, size, IDX, &p)))                     \
			return h_##kind##_##form##_slow(c, d);                        \
		uint64_t v = ldn_host(p, size);                                       \
		c->x[d->rd] = EXT(v);                                                 \
		WB;                                                                   \
		return cpu_next(c, d + 1);                               \
	}

#define DEF_ST1(kind, form, size, EXT, VA, IDX, WB)                                   \
	SLOW h_##kind##_##form##_slow(struct a64_cpu *c, const dinsn *d)              \
	{                                                                             \
		uint64_t base = ld_base(c, d);                                        \
		uint64_t va = VA;                                                     \
		st(c, d, va, size, c->x[d->rd], IDX);                                 \
		WB;                                                                   \
		return cpu_next(c, d + 1);                               \
	}                                                                             \
	static const dinsn *h_##kind##_##form(struct a64_cpu *c, const dinsn *d)      \
	{                                                                             \
		uint64_t base = c->x[d->rn];                                          \
		if (SP_MISALIGNED(c, d, base))                                        \
			return h_##kind##_##form##_slow(c, d);                        \
		uint64_t va = VA;                                                     \
		uint8_t *p;                                                           \
		if (unlikely(!tlb_wr1_hit(c, va, size, IDX, &p)))                     \
			return h_##kind##_##form##_slow(c, d);                        \
		stn_host(p, size, c->x[d->rd]);                                       \
		WB;                                                                   \
		return cpu_next(c, d + 1);                               \
	}

#define DEF_FORMS(DEF, kind, size, EXT)                                  \
	DEF(kind, off, size, EXT, VA_IMM, c->mmu_idx, WB_NONE)           \
	DEF(kind, unp, size, EXT, VA_IMM, MMU_EL0, WB_NONE)              \
	DEF(kind, pre, size, EXT, VA_IMM, c->mmu_idx, WB_PRE)            \
	DEF(kind, post, size, EXT, VA_POST, c->mmu_idx, WB_POST)         \
	DEF(kind, ruxtw, size, EXT, VA_RUXTW, c->mmu_idx, WB_NONE)       \
	DEF(kind, rsxtw, size, EXT, VA_RSXTW, c->mmu_idx, WB_NONE)       \
	DEF(kind, rx, size, EXT, VA_RX, c->mmu_idx, WB_NONE)

DEF_FORMS(DEF_ST1, st8, 1, EXT_Z)
DEF_FORMS(DEF_ST1, st16, 2, EXT_Z)
DEF_FORMS(DEF_ST1, st32, 4, EXT_Z)
DEF_FORMS(DEF_ST1, st64, 8, EXT_Z)
DEF_FORMS(DEF_LD1, ld8, 1, EXT_Z)
DEF_FORMS(DEF_LD1, ld16, 2, EXT_Z)
DEF_FORMS(DEF_LD1, ld32, 4, EXT_Z)
DEF_FORMS(DEF_LD1, ld64, 8, EXT_Z)
DEF_FORMS(DEF_LD1, ldsb_x, 1, EXT_SB_X)
DEF_FORMS(DEF_LD1, ldsh_x, 2, EXT_SH_X)
DEF_FORMS(DEF_LD1, ldsw_x, 4, EXT_SW_X)
DEF_FORMS(DEF_LD1, ldsb_w, 1, EXT_SB_W)
DEF_FORMS(DEF_LD1, ldsh_w, 2, EXT_SH_W)

enum { F_OFF, F_UNP, F_PRE, F_POST, F_RUXTW, F_RSXTW, F_RX, NFORMS };
enum {
	K_ST8, K_ST16, K_ST32, K_ST64,
	K_LD8, K_LD16, K_LD32, K_LD64,
	K_LDSB_X, K_LDSH_X, K_LDSW_X,
	K_LDSB_W, K_LDSH_W,
	NKINDS,
	K_PRFM = -1, K_UNALLOC = -2,
};

#define FORM_ROW(kind) \
	{ h_##kind##_off, h_##kind##_unp, h_##kind##_pre, h_##kind##_post, h_##kind##_ruxtw, h_##kind##_rsxtw, h_##kind##_rx }
static const dinsn_fn single_fn[NKINDS][NFORMS] = {
	FORM_ROW(st8), FORM_ROW(st16), FORM_ROW(st32), FORM_ROW(st64),
	FORM_ROW(ld8), FORM_ROW(ld16), FORM_ROW(ld32), FORM_ROW(ld64),
	FORM_ROW(ldsb_x), FORM_ROW(ldsh_x), FORM_ROW(ldsw_x),
	FORM_ROW(ldsb_w), FORM_ROW(ldsh_w),
};

/* size:opc of the load/store register classes (V = 0). */
static int single_kind(unsigned size, unsigned opc)
{
	switch (opc) {
	case 0: return K_ST8 + (int)size;
	case 1: return K_LD8 + (int)size;
	case 2: return size == 3 ? K_PRFM : K_LDSB_X + (int)size;
	default: return size < 2 ? K_LDSB_W + (int)size : K_UNALLOC;
	}
}

static bool ldst_single(struct a64_dctx *s, unsigned size, unsigned opc, unsigned form, unsigned rt, unsigned rn,
			unsigned rm, unsigned shift, uint64_t imm)
{
	dinsn *d = s->d;
	int k = single_kind(size, opc);
	if (k == K_UNALLOC)
		return false;
	if (k == K_PRFM) {
		/* PRFM (immediate), PRFUM and PRFM (register) only: there is no
		 * writeback or unprivileged prefetch. */
		if (form == F_UNP || form == F_PRE || form == F_POST)
			return false;
		d->fn = h_prfm;
		return true;
	}
	d->fn = single_fn[k][form];
	d->rd = k <= K_ST64 ? reg_zr(rt) : reg_zr_w(rt);
	d->rn = reg_sp(rn);
	d->rm = reg_zr(rm);
	d->f0 = (uint8_t)shift;
	d->f1 = rn == 31 ? 15 : 0; /* SP base: alignment checked (fast paths) */
	d->imm = imm;
	return true;
}

/* LDR/STR... (unsigned offset): imm12 scaled by the access size. */
bool trans_LDST_uimm(struct a64_dctx *s, arg_LDST_uimm *a)
{
	return ldst_single(s, (unsigned)a->size, (unsigned)a->opc, F_OFF, (unsigned)a->rt, (unsigned)a->rn, 31, 0,
			   (uint64_t)a->imm << a->size);
}

/* LDUR/STUR (00), post-index (01), LDTR/STTR (10), pre-index (11): imm9. */
bool trans_LDST_imm9(struct a64_dctx *s, arg_LDST_imm9 *a)
{
	static const uint8_t forms[4] = { F_OFF, F_POST, F_UNP, F_PRE };
	return ldst_single(s, (unsigned)a->size, (unsigned)a->opc, forms[a->idx], (unsigned)a->rt, (unsigned)a->rn,
			   31, 0, (uint64_t)a->imm);
}

/* Register offset: option UXTW (010), LSL (011), SXTW (110), SXTX (111);
 * option<1> == 0 is UNDEFINED. The index is shifted by the access size
 * when S is set. */
bool trans_LDST_reg(struct a64_dctx *s, arg_LDST_reg *a)
{
	unsigned opt = (unsigned)a->opt;
	if (!(opt & 2))
		return false;
	unsigned form = opt == 2 ? F_RUXTW : opt == 6 ? F_RSXTW : F_RX;
	return ldst_single(s, (unsigned)a->size, (unsigned)a->opc, form, (unsigned)a->rt, (unsigned)a->rn,
			   (unsigned)a->rm, a->s ? (unsigned)a->size : 0, 0);
}

/* ---- Literal: LDR W/X, LDRSW, PRFM ------------------------------------------ */

#define DEF_LDLIT(name, size, EXT)                                            \
	static const dinsn *h_##name(struct a64_cpu *c, const dinsn *d)       \
	{                                                                     \
		uint64_t va = insn_pc(c, d) + d->imm;                         \
		uint64_t v = ld(c, d, va, size, c->mmu_idx);                  \
		c->x[d->rd] = EXT(v);                                         \
		return cpu_next(c, d + 1);                                    \
	}
DEF_LDLIT(ldlit32, 4, EXT_Z)
DEF_LDLIT(ldlit64, 8, EXT_Z)
DEF_LDLIT(ldlitsw, 4, EXT_SW_X)

bool trans_LDR_lit(struct a64_dctx *s, arg_LDR_lit *a)
{
	static const dinsn_fn fn[3] = { h_ldlit32, h_ldlit64, h_ldlitsw };
	dinsn *d = s->d;
	if (a->opc == 3) {
		d->fn = h_prfm;
		return true;
	}
	d->fn = fn[a->opc];
	d->rd = reg_zr_w((unsigned)a->rt);
	d->imm = (uint64_t)(a->imm * 4);
	return true;
}

/* ---- Pairs: LDP/STP/LDPSW/LDNP/STNP ----------------------------------------
 * Operands: rd = Rt, ra = Rt2, rn = base, imm = scaled offset. The first
 * element is at the lower address; both accesses happen (lower first)
 * before any register is written. With both elements in one page and the
 * TLB hit, one lookup serves both. */

#define DEF_LDP(kind, form, es, EXT, VA, WB)                                          \
	static const dinsn *h_##kind##_##form##_slow(struct a64_cpu *c, const dinsn *d); \
	static const dinsn *h_##kind##_##form(struct a64_cpu *c, const dinsn *d)      \
	{                                                                             \
		uint64_t base = c->x[d->rn];                                          \
		if (SP_MISALIGNED(c, d, base))                                        \
			return h_##kind##_##form##_slow(c, d);                        \
		uint64_t va = VA;                                                     \
		const uint8_t *p;                                                     \
		if (unlikely(!tlb_rd_hit(c, va, 2 * (es), c->mmu_idx, &p)))           \
			return h_##kind##_##form##_slow(c, d);                        \
		uint64_t v1 = ldn_host(p, es), v2 = ldn_host(p + (es), es);           \
		c->x[d->ra] = EXT(v2);                                                \
		c->x[d->rd] = EXT(v1); /* Rt == Rt2: Rt's value */                   \
		WB;                                                                   \
		return cpu_next(c, d + 1);                               \
	}                                                                             \
	SLOW h_##kind##_##form##_slow(struct a64_cpu *c, const dinsn *d)              \
	{                                                                             \
		uint64_t base = ld_base(c, d);                                        \
		uint64_t va = VA;                                                     \
		unsigned idx = c->mmu_idx;                                            \
		uint64_t v1, v2;                                                      \
		chk_align(c, d, va, es, false);                                       \
		const uint8_t *p = tlb_rd(c, va, 2 * (es), idx);                      \
		if (likely(p != NULL)) {                                              \
			v1 = ldn_host(p, es);                                         \
			v2 = ldn_host(p + (es), es);                                  \
		} else {                                                              \
			v1 = mem_ld(c, d, va, es, idx);                               \
			v2 = mem_ld(c, d, va + (es), es, idx);                        \
		}                                                                     \
		c->x[d->ra] = EXT(v2);                                                \
		c->x[d->rd] = EXT(v1); /* Rt == Rt2: Rt's value */                   \
		WB;                                                                   \
		return cpu_next(c, d + 1);                                            \
	}

#define DEF_STP(kind, form, es, EXT, VA, WB)                                          \
	static const dinsn *h_##kind##_##form##_slow(struct a64_cpu *c, const dinsn *d); \
	static const dinsn *h_##kind##_##form(struct a64_cpu *c, const dinsn *d)      \
	{                                                                             \
		uint64_t base = c->x[d->rn];                                          \
		if (SP_MISALIGNED(c, d, base))                                        \
			return h_##kind##_##form##_slow(c, d);                        \
		uint64_t va = VA;                                                     \
		uint8_t *p;                                                           \
		if (unlikely(!tlb_wr_hit(c, va, 2 * (es), c->mmu_idx, &p)))           \
			return h_##kind##_##form##_slow(c, d);                        \
		stn_host(p, es, c->x[d->rd]);                                         \
		stn_host(p + (es), es, c->x[d->ra]);                                  \
		WB;                                                                   \
		return cpu_next(c, d + 1);                               \
	}                                                                             \
	SLOW h_##kind##_##form##_slow(struct a64_cpu *c, const dinsn *d)              \
	{                                                                             \
		uint64_t base = ld_base(c, d);                                        \
		uint64_t va = VA;                                                     \
		unsigned idx = c->mmu_idx;                                            \
		uint64_t v1 = c->x[d->rd], v2 = c->x[d->ra];                          \
		chk_align(c, d, va, es, true);                                        \
		uint8_t *p = tlb_wr(c, va, 2 * (es), idx);                            \
		if (likely(p != NULL)) {                                              \
			stn_host(p, es, v1);                                          \
			stn_host(p + (es), es, v2);                                   \
		} else {                                                              \
			mem_st(c, d, va, es, v1, idx);                                \
			mem_st(c, d, va + (es), es, v2, idx);                         \
		}                                                                     \
		WB;                                                                   \
		return cpu_next(c, d + 1);                                            \
	}

#define DEF_PAIR_FORMS(DEF, kind, es, EXT)               \
	DEF(kind, off, es, EXT, VA_IMM, WB_NONE)         \
	DEF(kind, pre, es, EXT, VA_IMM, WB_PRE)          \
	DEF(kind, post, es, EXT, VA_POST, WB_POST)

DEF_PAIR_FORMS(DEF_STP, stp32, 4, EXT_Z)
DEF_PAIR_FORMS(DEF_STP, stp64, 8, EXT_Z)
DEF_PAIR_FORMS(DEF_LDP, ldp32, 4, EXT_Z)
DEF_PAIR_FORMS(DEF_LDP, ldp64, 8, EXT_Z)
DEF_PAIR_FORMS(DEF_LDP, ldpsw, 4, EXT_SW_X)

enum { P_STP32, P_STP64, P_LDP32, P_LDP64, P_LDPSW, NPAIRKINDS };
enum { PF_OFF, PF_PRE, PF_POST, NPAIRFORMS };
#define PAIR_ROW(kind) { h_##kind##_off, h_##kind##_pre, h_##kind##_post }
static const dinsn_fn pair_fn[NPAIRKINDS][NPAIRFORMS] = {
	PAIR_ROW(stp32), PAIR_ROW(stp64), PAIR_ROW(ldp32), PAIR_ROW(ldp64), PAIR_ROW(ldpsw),
};

/* opc: 00 W, 01 LDPSW (L=1; STGP needs FEAT_MTE), 10 X, 11 reserved.
 * idx: 00 no-allocate (no LDNPSW), 01 post-index, 10 offset, 11 pre-index. */
bool trans_LDSTP(struct a64_dctx *s, arg_LDSTP *a)
{
	dinsn *d = s->d;
	unsigned opc = (unsigned)a->opc, idx = (unsigned)a->idx;
	bool load = a->l;
	if (opc == 3 || (opc == 1 && (!load || idx == 0)))
		return false;
	unsigned es = opc == 2 ? 8 : 4;
	unsigned kind = load ? (opc == 0 ? P_LDP32 : opc == 1 ? P_LDPSW : P_LDP64) : (opc == 0 ? P_STP32 : P_STP64);
	unsigned form = idx == 1 ? PF_POST : idx == 3 ? PF_PRE : PF_OFF;
	d->fn = pair_fn[kind][form];
	d->rd = load ? reg_zr_w((unsigned)a->rt) : reg_zr((unsigned)a->rt);
	d->ra = load ? reg_zr_w((unsigned)a->rt2) : reg_zr((unsigned)a->rt2);
	d->rn = reg_sp((unsigned)a->rn);
	d->f1 = a->rn == 31 ? 15 : 0; /* SP base: alignment checked (fast paths) */
	d->imm = (uint64_t)(a->imm * (int64_t)es);
	return true;
}

/* ---- 128-bit compare-and-exchange (CASP X, STXP X) -------------------------
 * Lock-free where the host can: cmpxchg16b on x86-64 (present on every
 * x86-64 CPU this runs on; GCC will not inline it without -mcx16, hence the
 * asm), the __sync builtin where the compiler inlines 16-byte CAS (AArch64
 * hosts). Otherwise a global lock, which is atomic only against other
 * 128-bit operations. p is 16-byte aligned. On failure *lo and *hi receive the
 * current memory value. Full barrier in every case. */
#if !defined(__x86_64__) && !defined(__GCC_HAVE_SYNC_COMPARE_AND_SWAP_16)
#include <pthread.h>
static pthread_mutex_t cas128_lock = PTHREAD_MUTEX_INITIALIZER;
#endif

static bool cas128(void *p, uint64_t *lo, uint64_t *hi, uint64_t nlo, uint64_t nhi)
{
#if defined(__x86_64__)
	bool ok;
	__asm__ __volatile__("lock cmpxchg16b %1"
			     : "=@ccz"(ok), "+m"(*(volatile unsigned __int128 *)p), "+a"(*lo), "+d"(*hi)
			     : "b"(nlo), "c"(nhi)
			     : "memory");
	return ok;
#elif defined(__GCC_HAVE_SYNC_COMPARE_AND_SWAP_16)
	unsigned __int128 exp = (unsigned __int128)*hi << 64 | *lo;
	unsigned __int128 nv = (unsigned __int128)nhi << 64 | nlo;
	unsigned __int128 old = __sync_val_compare_and_swap((unsigned __int128 *)p, exp, nv);
	*lo = (uint64_t)old;
	*hi = (uint64_t)(old >> 64);
	return old == exp;
#else
	uint64_t *q = p;
	bool ok;
	pthread_mutex_lock(&cas128_lock);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	ok = q[0] == *lo && q[1] == *hi;
	if (ok) {
		q[0] = nlo;
		q[1] = nhi;
	} else {
		*lo = q[0];
		*hi = q[1];
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&cas128_lock);
	return ok;
#endif
}

/* ---- Exclusives: LDXR/LDAXR, STXR/STLXR, LDXP/LDAXP, STXP/STLXP ------------
 * Operands: rd = Rt, rm = Rt2 (pairs), ra = Rs (status), rn = base. */

#define ORD_LDX __ATOMIC_RELAXED
#define ORD_LDAX __ATOMIC_SEQ_CST
#define ORD_STX __ATOMIC_RELAXED
#define ORD_STLX __ATOMIC_SEQ_CST

#define DEF_LDXR(name, bits, ORD)                                                          \
	static const dinsn *h_##name(struct a64_cpu *c, const dinsn *d)                    \
	{                                                                                  \
		uint64_t va = ld_base(c, d);                                               \
		unsigned idx = c->mmu_idx;                                                 \
		uint##bits##_t *p = mem_host_rmw(c, d, va, (bits) / 8, false, idx);        \
		uint64_t v = __atomic_load_n(p, ORD);                                      \
		c->excl_addr = rmw_pa(c, va, idx);                                         \
		c->excl_size = (bits) / 8;                                                 \
		c->excl_val[0] = v;                                                        \
		c->x[d->rd] = v;                                                           \
		return cpu_next(c, d + 1);                                                 \
	}

#define DEF_STXR(name, bits, ORD)                                                          \
	static const dinsn *h_##name(struct a64_cpu *c, const dinsn *d)                    \
	{                                                                                  \
		uint64_t va = ld_base(c, d);                                               \
		uint##bits##_t v = (uint##bits##_t)c->x[d->rd];                            \
		unsigned idx = c->mmu_idx;                                                 \
		uint##bits##_t *p = mem_host_rmw(c, d, va, (bits) / 8, true, idx);         \
		bool ok = false;                                                           \
		if (c->excl_addr == rmw_pa(c, va, idx) && c->excl_size == (bits) / 8) {    \
			uint##bits##_t exp = (uint##bits##_t)c->excl_val[0];               \
			ok = __atomic_compare_exchange_n(p, &exp, v, false, ORD,           \
							 __ATOMIC_RELAXED);                 \
		}                                                                          \
		c->excl_addr = ~0ull;                                                      \
		c->x[d->ra] = !ok;                                                         \
		return cpu_next(c, d + 1);                                                 \
	}

DEF_LDXR(ldxr8, 8, ORD_LDX)
DEF_LDXR(ldxr16, 16, ORD_LDX)
DEF_LDXR(ldxr32, 32, ORD_LDX)
DEF_LDXR(ldxr64, 64, ORD_LDX)
DEF_LDXR(ldaxr8, 8, ORD_LDAX)
DEF_LDXR(ldaxr16, 16, ORD_LDAX)
DEF_LDXR(ldaxr32, 32, ORD_LDAX)
DEF_LDXR(ldaxr64, 64, ORD_LDAX)
DEF_STXR(stxr8, 8, ORD_STX)
DEF_STXR(stxr16, 16, ORD_STX)
DEF_STXR(stxr32, 32, ORD_STX)
DEF_STXR(stxr64, 64, ORD_STX)
DEF_STXR(stlxr8, 8, ORD_STLX)
DEF_STXR(stlxr16, 16, ORD_STLX)
DEF_STXR(stlxr32, 32, ORD_STLX)
DEF_STXR(stlxr64, 64, ORD_STLX)

/* LDXP W: one 64-bit access, Rt from the lower word. */
#define DEF_LDXP32(name, ORD)                                                   \
	static const dinsn *h_##name(struct a64_cpu *c, const dinsn *d)         \
	{                                                                       \
		uint64_t va = ld_base(c, d);                                    \
		unsigned idx = c->mmu_idx;                                      \
		uint64_t *p = mem_host_rmw(c, d, va, 8, false, idx);            \
		uint64_t v = __atomic_load_n(p, ORD);                           \
		c->excl_addr = rmw_pa(c, va, idx);                              \
		c->excl_size = 8;                                               \
		c->excl_val[0] = v;                                             \
		c->x[d->rd] = (uint32_t)v;                                      \
		c->x[d->rm] = v >> 32; /* Rt == Rt2: Rt2's value */             \
		return cpu_next(c, d + 1);                                      \
	}

/* LDXP X: two 64-bit reads; a torn pair can only be followed by a failing
 * STXP (its 128-bit compare-and-exchange sees the difference). */
#define DEF_LDXP64(name, ORD)                                                   \
	static const dinsn *h_##name(struct a64_cpu *c, const dinsn *d)         \
	{                                                                       \
		uint64_t va = ld_base(c, d);                                    \
		unsigned idx = c->mmu_idx;                                      \
		uint64_t *p = mem_host_rmw(c, d, va, 16, false, idx);           \
		uint64_t v1 = __atomic_load_n(p, ORD);                          \
		uint64_t v2 = __atomic_load_n(p + 1, ORD);                      \
		c->excl_addr = rmw_pa(c, va, idx);                              \
		c->excl_size = 16;                                              \
		c->excl_val[0] = v1;                                            \
		c->excl_val[1] = v2;                                            \
		c->x[d->rd] = v1;                                               \
		c->x[d->rm] = v2; /* Rt == Rt2: Rt2's value */                  \
		return cpu_next(c, d + 1);                                      \
	}

#define DEF_STXP32(name, ORD)                                                              \
	static const dinsn *h_##name(struct a64_cpu *c, const dinsn *d)                    \
	{                                                                                  \
		uint64_t va = ld_base(c, d);                                               \
		uint64_t v = (uint32_t)c->x[d->rd] | c->x[d->rm] << 32;                    \
		unsigned idx = c->mmu_idx;                                                 \
		uint64_t *p = mem_host_rmw(c, d, va, 8, true, idx);                        \
		bool ok = false;                                                           \
		if (c->excl_addr == rmw_pa(c, va, idx) && c->excl_size == 8) {             \
			uint64_t exp = c->excl_val[0];                                     \
			ok = __atomic_compare_exchange_n(p, &exp, v, false, ORD,           \
							 __ATOMIC_RELAXED);                 \
		}                                                                          \
		c->excl_addr = ~0ull;                                                      \
		c->x[d->ra] = !ok;                                                         \
		return cpu_next(c, d + 1);                                                 \
	}

static const dinsn *stxp64(struct a64_cpu *c, const dinsn *d)
{
	uint64_t va = ld_base(c, d);
	uint64_t v1 = c->x[d->rd], v2 = c->x[d->rm];
	unsigned idx = c->mmu_idx;
	void *p = mem_host_rmw(c, d, va, 16, true, idx);
	bool ok = false;
	if (c->excl_addr == rmw_pa(c, va, idx) && c->excl_size == 16) {
		uint64_t lo = c->excl_val[0], hi = c->excl_val[1];
		ok = cas128(p, &lo, &hi, v1, v2);
	}
	c->excl_addr = ~0ull;
	c->x[d->ra] = !ok;
	return cpu_next(c, d + 1);
}

DEF_LDXP32(ldxp32, ORD_LDX)
DEF_LDXP32(ldaxp32, ORD_LDAX)
DEF_LDXP64(ldxp64, ORD_LDX)
DEF_LDXP64(ldaxp64, ORD_LDAX)
DEF_STXP32(stxp32, ORD_STX)
DEF_STXP32(stlxp32, ORD_STLX)
/* cas128 is a full barrier: STXP and STLXP are the same. */
#define h_stxp64 stxp64
#define h_stlxp64 stxp64

bool trans_LDXR(struct a64_dctx *s, arg_LDXR *a)
{
	static const dinsn_fn fn[2][4] = {
		{ h_ldxr8, h_ldxr16, h_ldxr32, h_ldxr64 },
		{ h_ldaxr8, h_ldaxr16, h_ldaxr32, h_ldaxr64 },
	};
	dinsn *d = s->d;
	d->fn = fn[a->o0][a->size];
	d->rd = reg_zr_w((unsigned)a->rt);
	d->rn = reg_sp((unsigned)a->rn);
	return true;
}

bool trans_STXR(struct a64_dctx *s, arg_STXR *a)
{
	static const dinsn_fn fn[2][4] = {
		{ h_stxr8, h_stxr16, h_stxr32, h_stxr64 },
		{ h_stlxr8, h_stlxr16, h_stlxr32, h_stlxr64 },
	};
	dinsn *d = s->d;
	d->fn = fn[a->o0][a->size];
	d->rd = reg_zr((unsigned)a->rt);
	d->ra = reg_zr_w((unsigned)a->rs);
	d->rn = reg_sp((unsigned)a->rn);
	return true;
}

bool trans_LDXP(struct a64_dctx *s, arg_LDXP *a)
{
	static const dinsn_fn fn[2][2] = { { h_ldxp32, h_ldxp64 }, { h_ldaxp32, h_ldaxp64 } };
	dinsn *d = s->d;
	d->fn = fn[a->o0][a->sz];
	d->rd = reg_zr_w((unsigned)a->rt);
	d->rm = reg_zr_w((unsigned)a->rt2);
	d->rn = reg_sp((unsigned)a->rn);
	return true;
}

bool trans_STXP(struct a64_dctx *s, arg_STXP *a)
{
	static const dinsn_fn fn[2][2] = { { h_stxp32, h_stxp64 }, { h_stlxp32, h_stlxp64 } };
	dinsn *d = s->d;
	d->fn = fn[a->o0][a->sz];
	d->rd = reg_zr((unsigned)a->rt);
	d->rm = reg_zr((unsigned)a->rt2);
	d->ra = reg_zr_w((unsigned)a->rs);
	d->rn = reg_sp((unsigned)a->rn);
	return true;
}

/* ---- Load-acquire / store-release: LDAR, STLR, LDAPR ----------------------
 * Always size-aligned (alignment fault otherwise). They can reach MMIO
 * (ISV=1 syndrome, with AR set), so the slow path is the ordinary one. */

#define DEF_LDACQ(name, bits, ORD, PRE_FENCE)                                           \
	static const dinsn *h_##name(struct a64_cpu *c, const dinsn *d)                 \
	{                                                                               \
		uint64_t va = ld_base(c, d);                                            \
		unsigned idx = c->mmu_idx;                                              \
		uint64_t v;                                                             \
		if (unlikely(va & ((bits) / 8 - 1)))                                    \
			align_fault(c, d, va, false);                                   \
		const uint8_t *p = tlb_rd(c, va, (bits) / 8, idx);                      \
		if (likely(p != NULL)) {                                                \
			v = __atomic_load_n((const uint##bits##_t *)p, ORD);            \
		} else {                                                                \
			__atomic_thread_fence(PRE_FENCE);                               \
			v = mem_read_slow(c, d, va, (bits) / 8, idx);                   \
			__atomic_thread_fence(__ATOMIC_ACQUIRE);                        \
		}                                                                       \
		c->x[d->rd] = v;                                                        \
		return cpu_next(c, d + 1);                                              \
	}

#define DEF_STREL(name, bits)                                                           \
	static const dinsn *h_##name(struct a64_cpu *c, const dinsn *d)                 \
	{                                                                               \
		uint64_t va = ld_base(c, d);                                            \
		uint64_t v = c->x[d->rd];                                               \
		unsigned idx = c->mmu_idx;                                              \
		if (unlikely(va & ((bits) / 8 - 1)))                                    \
			align_fault(c, d, va, true);                                    \
		uint8_t *p = tlb_wr(c, va, (bits) / 8, idx);                            \
		if (likely(p != NULL)) {                                                \
			__atomic_store_n((uint##bits##_t *)p, (uint##bits##_t)v,        \
					 __ATOMIC_SEQ_CST);                             \
		} else {                                                                \
			__atomic_thread_fence(__ATOMIC_SEQ_CST);                        \
			mem_write_slow(c, d, va, (bits) / 8, v, idx);                   \
			__atomic_thread_fence(__ATOMIC_SEQ_CST);                        \
		}                                                                       \
		return cpu_next(c, d + 1);                                              \
	}

/* LDAR (RCsc): seq_cst; LDAPR (RCpc): acquire. */
DEF_LDACQ(ldar8, 8, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)
DEF_LDACQ(ldar16, 16, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)
DEF_LDACQ(ldar32, 32, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)
DEF_LDACQ(ldar64, 64, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)
DEF_LDACQ(ldapr8, 8, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)
DEF_LDACQ(ldapr16, 16, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)
DEF_LDACQ(ldapr32, 32, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)
DEF_LDACQ(ldapr64, 64, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)
DEF_STREL(stlr8, 8)
DEF_STREL(stlr16, 16)
DEF_STREL(stlr32, 32)
DEF_STREL(stlr64, 64)

/* o0 = 0 is LDLAR/STLLR (FEAT_LOR), which is not implemented. */
bool trans_LDAR(struct a64_dctx *s, arg_LDAR *a)
{
	static const dinsn_fn fn[4] = { h_ldar8, h_ldar16, h_ldar32, h_ldar64 };
	dinsn *d = s->d;
	if (!a->o0)
		return false;
	d->fn = fn[a->size];
	d->rd = reg_zr_w((unsigned)a->rt);
	d->rn = reg_sp((unsigned)a->rn);
	return true;
}

bool trans_STLR(struct a64_dctx *s, arg_STLR *a)
{
	static const dinsn_fn fn[4] = { h_stlr8, h_stlr16, h_stlr32, h_stlr64 };
	dinsn *d = s->d;
	if (!a->o0)
		return false;
	d->fn = fn[a->size];
	d->rd = reg_zr((unsigned)a->rt);
	d->rn = reg_sp((unsigned)a->rn);
	return true;
}

bool trans_LDAPR(struct a64_dctx *s, arg_LDAPR *a)
{
	static const dinsn_fn fn[4] = { h_ldapr8, h_ldapr16, h_ldapr32, h_ldapr64 };
	dinsn *d = s->d;
	d->fn = fn[a->size];
	d->rd = reg_zr_w((unsigned)a->rt);
	d->rn = reg_sp((unsigned)a->rn);
	return true;
}

/* ---- Memory orderings of the LSE instructions -------------------------------
 * Index A:R (A = acquire, R/L = release). */
#define ORD0 __ATOMIC_RELAXED
#define ORD1 __ATOMIC_RELEASE
#define ORD2 __ATOMIC_ACQUIRE
#define ORD3 __ATOMIC_SEQ_CST
/* The order of a failed CAS (no write): at most the load's. */
#define FORD0 __ATOMIC_RELAXED
#define FORD1 __ATOMIC_RELAXED
#define FORD2 __ATOMIC_ACQUIRE
#define FORD3 __ATOMIC_SEQ_CST

/* ---- CAS, CASA, CASL, CASAL -------------------------------------------------
 * Operands: rm = Rs (compare value, read), ra = Rs (old value, written),
 * rd = Rt (new value), rn = base. Rs always receives the value read. Write
 * permission is required even when the comparison fails. */

#define DEF_CAS(bits, o)                                                                      \
	static const dinsn *h_cas##bits##_##o(struct a64_cpu *c, const dinsn *d)              \
	{                                                                                     \
		uint64_t va = ld_base(c, d);                                                  \
		uint##bits##_t exp = (uint##bits##_t)c->x[d->rm];                             \
		uint##bits##_t nv = (uint##bits##_t)c->x[d->rd];                              \
		uint##bits##_t *p = mem_host_rmw(c, d, va, (bits) / 8, true, c->mmu_idx);     \
		__atomic_compare_exchange_n(p, &exp, nv, false, ORD##o, FORD##o);             \
		c->x[d->ra] = exp;                                                            \
		return cpu_next(c, d + 1);                                                    \
	}
#define DEF_CAS_ORDS(bits) DEF_CAS(bits, 0) DEF_CAS(bits, 1) DEF_CAS(bits, 2) DEF_CAS(bits, 3)
DEF_CAS_ORDS(8)
DEF_CAS_ORDS(16)
DEF_CAS_ORDS(32)
DEF_CAS_ORDS(64)

/* bits 23:22 hold o2=1 and L (acquire); o0 is release. */
bool trans_CAS(struct a64_dctx *s, arg_CAS *a)
{
#define CAS_ROW(bits) { h_cas##bits##_0, h_cas##bits##_1, h_cas##bits##_2, h_cas##bits##_3 }
	static const dinsn_fn fn[4][4] = { CAS_ROW(8), CAS_ROW(16), CAS_ROW(32), CAS_ROW(64) };
#undef CAS_ROW
	dinsn *d = s->d;
	d->fn = fn[a->size][a->l << 1 | a->o0];
	d->rm = reg_zr((unsigned)a->rs);
	d->ra = reg_zr_w((unsigned)a->rs);
	d->rd = reg_zr((unsigned)a->rt);
	d->rn = reg_sp((unsigned)a->rn);
	return true;
}

/* ---- CASP, CASPA, CASPL, CASPAL ---------------------------------------------
 * Operands: rm/f1 = Rs/Rs+1 (read), ra/f2 = Rs/Rs+1 (written), rd/f0 =
 * Rt/Rt+1, rn = base. The first register of each pair goes with the lower
 * address (little-endian). */

#define DEF_CASP32(o)                                                                         \
	static const dinsn *h_casp32_##o(struct a64_cpu *c, const dinsn *d)                   \
	{                                                                                     \
		uint64_t va = ld_base(c, d);                                                  \
		uint64_t exp = (uint32_t)c->x[d->rm] | c->x[d->f1] << 32;                     \
		uint64_t nv = (uint32_t)c->x[d->rd] | c->x[d->f0] << 32;                      \
		uint64_t *p = mem_host_rmw(c, d, va, 8, true, c->mmu_idx);                    \
		__atomic_compare_exchange_n(p, &exp, nv, false, ORD##o, FORD##o);             \
		c->x[d->ra] = (uint32_t)exp;                                                  \
		c->x[d->f2] = exp >> 32;                                                      \
		return cpu_next(c, d + 1);                                                    \
	}
DEF_CASP32(0)
DEF_CASP32(1)
DEF_CASP32(2)
DEF_CASP32(3)

/* cas128 is a full barrier, which serves every ordering. */
static const dinsn *h_casp64(struct a64_cpu *c, const dinsn *d)
{
	uint64_t va = ld_base(c, d);
	uint64_t lo = c->x[d->rm], hi = c->x[d->f1];
	uint64_t nlo = c->x[d->rd], nhi = c->x[d->f0];
	void *p = mem_host_rmw(c, d, va, 16, true, c->mmu_idx);
	cas128(p, &lo, &hi, nlo, nhi);
	c->x[d->ra] = lo;
	c->x[d->f2] = hi;
	return cpu_next(c, d + 1);
}

/* An odd Rs or Rt is UNDEFINED (Rs = 30 pairs X30 with XZR). */
bool trans_CASP(struct a64_dctx *s, arg_CASP *a)
{
	static const dinsn_fn fn32[4] = { h_casp32_0, h_casp32_1, h_casp32_2, h_casp32_3 };
	dinsn *d = s->d;
	unsigned rs = (unsigned)a->rs, rt = (unsigned)a->rt;
	if ((rs & 1) || (rt & 1))
		return false;
	d->fn = a->sz ? h_casp64 : fn32[a->l << 1 | a->o0];
	d->rm = reg_zr(rs);
	d->f1 = reg_zr(rs + 1);
	d->ra = reg_zr_w(rs);
	d->f2 = reg_zr_w(rs + 1);
	d->rd = reg_zr(rt);
	d->f0 = reg_zr(rt + 1);
	d->rn = reg_sp((unsigned)a->rn);
	return true;
}

/* ---- LD<op>/ST<op>, SWP -------------------------------------------------------
 * Operands: rm = Rs (operand), rd = Rt (old value; XZR for the ST<op>
 * aliases), rn = base. The operand is truncated to the access size and the
 * old value zero-extended into Rt. */

#define AOP_add(T, ST, p, v, o) __atomic_fetch_add(p, v, o)
#define AOP_clr(T, ST, p, v, o) __atomic_fetch_and(p, (T)~(v), o)
#define AOP_eor(T, ST, p, v, o) __atomic_fetch_xor(p, v, o)
#define AOP_set(T, ST, p, v, o) __atomic_fetch_or(p, v, o)
#define AOP_swp(T, ST, p, v, o) __atomic_exchange_n(p, v, o)
/* Min/max: a compare-and-exchange loop; always writes (possibly the same
 * value), as the instruction does. */
#define AOP_MINMAX(T, p, v, o, KEEP_OLD)                                                         \
	({                                                                                       \
		T old_ = __atomic_load_n(p, __ATOMIC_RELAXED), new_;                             \
		do                                                                               \
			new_ = (KEEP_OLD) ? old_ : (v);                                          \
		while (!__atomic_compare_exchange_n(p, &old_, new_, true, o, __ATOMIC_RELAXED)); \
		old_;                                                                            \
	})
#define AOP_smax(T, ST, p, v, o) AOP_MINMAX(T, p, v, o, (ST)old_ > (ST)(v))
#define AOP_smin(T, ST, p, v, o) AOP_MINMAX(T, p, v, o, (ST)old_ < (ST)(v))
#define AOP_umax(T, ST, p, v, o) AOP_MINMAX(T, p, v, o, old_ > (v))
#define AOP_umin(T, ST, p, v, o) AOP_MINMAX(T, p, v, o, old_ < (v))

#define DEF_ATOM(op, bits, o)                                                                 \
	static const dinsn *h_##op##bits##_##o(struct a64_cpu *c, const dinsn *d)             \
	{                                                                                     \
		uint64_t va = ld_base(c, d);                                                  \
		uint##bits##_t v = (uint##bits##_t)c->x[d->rm];                               \
		uint##bits##_t *p = mem_host_rmw(c, d, va, (bits) / 8, true, c->mmu_idx);     \
		uint##bits##_t old = AOP_##op(uint##bits##_t, int##bits##_t, p, v, ORD##o);   \
		c->x[d->rd] = old;                                                            \
		return cpu_next(c, d + 1);                                                    \
	}
#define DEF_ATOM_ORDS(op, bits) DEF_ATOM(op, bits, 0) DEF_ATOM(op, bits, 1) DEF_ATOM(op, bits, 2) DEF_ATOM(op, bits, 3)
#define DEF_ATOM_ALL(op) DEF_ATOM_ORDS(op, 8) DEF_ATOM_ORDS(op, 16) DEF_ATOM_ORDS(op, 32) DEF_ATOM_ORDS(op, 64)
DEF_ATOM_ALL(add)
DEF_ATOM_ALL(clr)
DEF_ATOM_ALL(eor)
DEF_ATOM_ALL(set)
DEF_ATOM_ALL(smax)
DEF_ATOM_ALL(smin)
DEF_ATOM_ALL(umax)
DEF_ATOM_ALL(umin)
DEF_ATOM_ALL(swp)

#define ATOM_ORDS(op, bits) { h_##op##bits##_0, h_##op##bits##_1, h_##op##bits##_2, h_##op##bits##_3 }
#define ATOM_OP(op) { ATOM_ORDS(op, 8), ATOM_ORDS(op, 16), ATOM_ORDS(op, 32), ATOM_ORDS(op, 64) }
/* Indexed by o3:opc (0-7: LDADD LDCLR LDEOR LDSET LDSMAX LDSMIN LDUMAX
 * LDUMIN; 8: SWP), size, A:R. */
static const dinsn_fn atomic_fn[9][4][4] = {
	ATOM_OP(add), ATOM_OP(clr), ATOM_OP(eor), ATOM_OP(set),
	ATOM_OP(smax), ATOM_OP(smin), ATOM_OP(umax), ATOM_OP(umin),
	ATOM_OP(swp),
};

/* o3 = 1: only SWP (opc 000) here; LDAPR (opc 100 with A=1 R=0 Rs=11111)
 * has its own pattern; the rest is unallocated. */
bool trans_ATOMIC(struct a64_dctx *s, arg_ATOMIC *a)
{
	dinsn *d = s->d;
	unsigned op = (unsigned)a->opc;
	if (a->o3) {
		if (op != 0)
			return false;
		op = 8;
	}
	d->fn = atomic_fn[op][a->size][a->a << 1 | a->r];
	d->rm = reg_zr((unsigned)a->rs);
	d->rd = reg_zr_w((unsigned)a->rt);
	d->rn = reg_sp((unsigned)a->rn);
	return true;
}
