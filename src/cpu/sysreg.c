/* System registers of the software CPU: one table, from which MRS/MSR and
 * the accelerator's get/set_sysreg both work. ID registers come from the
 * feature table in features.h and advertise only what is implemented; the
 * rest of the ID register space (op0=3, op1=0, CRn=0, CRm=1..7), including
 * the AArch32 ID registers of this AArch64-only CPU, reads as zero at EL1.
 *
 * Lookup is O(1): a 64K-entry index from the 16-bit encoding to the table
 * entry, built once at program start. */
#include <errno.h>

#include "cpu/features.h"
#include "cpu/internal.h"
#include "cpu/timer.h"

#define E(op0, op1, crn, crm, op2) ((uint16_t)((op0) << 14 | (op1) << 11 | (crn) << 7 | (crm) << 3 | (op2)))

enum sr_kind { SR_FIELD, SR_CONST, SR_SPECIAL, SR_RAZWI };
enum {
	A_EL0R = 1, /* readable at EL0 */
	A_EL0W = 2, /* writable at EL0 */
	A_RO = 4,   /* read-only at every EL */
	A_WO = 8,   /* write-only (no read) */
};

struct sysreg {
	uint16_t enc;
	uint8_t kind, access;
	const char *name;
	size_t off;     /* SR_FIELD: offset in struct a64_cpu */
	uint64_t value; /* SR_CONST: value; SR_SPECIAL: id */
	uint64_t wmask; /* SR_FIELD: writable bits */
};

enum sp_id {
	SP_NZCV, SP_DAIF, SP_FPCR, SP_FPSR, SP_SPSEL, SP_CURRENTEL, SP_SP_EL0, SP_SP_EL1, SP_CNTVCT,
	SP_CNTPCT, SP_CNTFRQ, SP_CNTV_CTL, SP_CNTV_TVAL, SP_CNTP_CTL, SP_CNTP_TVAL, SP_CTR, SP_DCZID,
	SP_SCTLR, SP_TTBR, SP_TCR, SP_CCSIDR, SP_PAN, SP_CPACR, SP_ISR,
	SP_ISAR1, /* ID_AA64ISAR1_EL1: depends on the VM's pointer authentication */
};

#define F(enc_, name_, field, acc, wm) \
	{ enc_, SR_FIELD, acc, name_, offsetof(struct a64_cpu, field), 0, wm }
#define K(enc_, name_, val, acc) { enc_, SR_CONST, (acc) | A_RO, name_, 0, val, 0 }
#define S(enc_, name_, id, acc) { enc_, SR_SPECIAL, acc, name_, 0, id, 0 }
/* IMPLEMENTATION DEFINED registers this CPU gives no function: RAZ/WI. */
#define Z(enc_, name_) { enc_, SR_RAZWI, 0, name_, 0, 0, 0 }

static const struct sysreg sysregs[] = {
	/* Identification (Arm ARM D23.2) */
	F(E(3, 0, 0, 0, 0), "MIDR_EL1", midr, A_RO, 0),
	F(E(3, 0, 0, 0, 5), "MPIDR_EL1", mpidr, A_RO, 0),
	K(E(3, 0, 0, 0, 6), "REVIDR_EL1", 0, 0),
	/* AArch32 ID registers: 0 on a CPU without AArch32 at EL0 and EL1
	 * (named here; the rest of the ID space is RAZ through sysreg_find). */
	K(E(3, 0, 0, 1, 0), "ID_PFR0_EL1", 0, 0),
	K(E(3, 0, 0, 1, 1), "ID_PFR1_EL1", 0, 0),
	K(E(3, 0, 0, 1, 2), "ID_DFR0_EL1", 0, 0),
	K(E(3, 0, 0, 1, 3), "ID_AFR0_EL1", 0, 0),
	K(E(3, 0, 0, 1, 4), "ID_MMFR0_EL1", 0, 0),
	K(E(3, 0, 0, 1, 5), "ID_MMFR1_EL1", 0, 0),
	K(E(3, 0, 0, 1, 6), "ID_MMFR2_EL1", 0, 0),
	K(E(3, 0, 0, 1, 7), "ID_MMFR3_EL1", 0, 0),
	K(E(3, 0, 0, 2, 0), "ID_ISAR0_EL1", 0, 0),
	K(E(3, 0, 0, 2, 1), "ID_ISAR1_EL1", 0, 0),
	K(E(3, 0, 0, 2, 2), "ID_ISAR2_EL1", 0, 0),
	K(E(3, 0, 0, 2, 3), "ID_ISAR3_EL1", 0, 0),
	K(E(3, 0, 0, 2, 4), "ID_ISAR4_EL1", 0, 0),
	K(E(3, 0, 0, 2, 5), "ID_ISAR5_EL1", 0, 0),
	K(E(3, 0, 0, 2, 6), "ID_MMFR4_EL1", 0, 0),
	K(E(3, 0, 0, 2, 7), "ID_ISAR6_EL1", 0, 0),
	K(E(3, 0, 0, 3, 0), "MVFR0_EL1", 0, 0),
	K(E(3, 0, 0, 3, 1), "MVFR1_EL1", 0, 0),
	K(E(3, 0, 0, 3, 2), "MVFR2_EL1", 0, 0),
	K(E(3, 0, 0, 3, 4), "ID_PFR2_EL1", 0, 0),
	K(E(3, 0, 0, 3, 5), "ID_DFR1_EL1", 0, 0),
	K(E(3, 0, 0, 3, 6), "ID_MMFR5_EL1", 0, 0),
	/* AArch64 ID registers */
	K(E(3, 0, 0, 4, 0), "ID_AA64PFR0_EL1", FEAT_ID_AA64PFR0, 0),
	K(E(3, 0, 0, 4, 1), "ID_AA64PFR1_EL1", FEAT_ID_AA64PFR1, 0),
	K(E(3, 0, 0, 4, 4), "ID_AA64ZFR0_EL1", 0, 0),
	K(E(3, 0, 0, 5, 0), "ID_AA64DFR0_EL1", FEAT_ID_AA64DFR0, 0),
	K(E(3, 0, 0, 5, 1), "ID_AA64DFR1_EL1", 0, 0),
	K(E(3, 0, 0, 5, 4), "ID_AA64AFR0_EL1", 0, 0),
	K(E(3, 0, 0, 5, 5), "ID_AA64AFR1_EL1", 0, 0),
	K(E(3, 0, 0, 6, 0), "ID_AA64ISAR0_EL1", FEAT_ID_AA64ISAR0, 0),
	S(E(3, 0, 0, 6, 1), "ID_AA64ISAR1_EL1", SP_ISAR1, A_RO),
	K(E(3, 0, 0, 6, 2), "ID_AA64ISAR2_EL1", 0, 0),
	K(E(3, 0, 0, 7, 0), "ID_AA64MMFR0_EL1", FEAT_ID_AA64MMFR0, 0),
	K(E(3, 0, 0, 7, 1), "ID_AA64MMFR1_EL1", FEAT_ID_AA64MMFR1, 0),
	K(E(3, 0, 0, 7, 2), "ID_AA64MMFR2_EL1", FEAT_ID_AA64MMFR2, 0),
	K(E(3, 1, 0, 0, 1), "CLIDR_EL1", FEAT_CLIDR, 0),
	K(E(3, 1, 0, 0, 7), "AIDR_EL1", 0, 0),
	S(E(3, 1, 0, 0, 0), "CCSIDR_EL1", SP_CCSIDR, A_RO),
	F(E(3, 2, 0, 0, 0), "CSSELR_EL1", csselr, 0, 0xf),
	S(E(3, 3, 0, 0, 1), "CTR_EL0", SP_CTR, A_RO | A_EL0R), /* EL0: SCTLR_EL1.UCT */
	S(E(3, 3, 0, 0, 7), "DCZID_EL0", SP_DCZID, A_RO | A_EL0R),
	/* System control, translation */
	S(E(3, 0, 1, 0, 0), "SCTLR_EL1", SP_SCTLR, 0),
	Z(E(3, 0, 1, 0, 1), "ACTLR_EL1"),
	S(E(3, 0, 1, 0, 2), "CPACR_EL1", SP_CPACR, 0),
	S(E(3, 0, 2, 0, 0), "TTBR0_EL1", SP_TTBR, 0),
	S(E(3, 0, 2, 0, 1), "TTBR1_EL1", SP_TTBR, 0),
	S(E(3, 0, 2, 0, 2), "TCR_EL1", SP_TCR, 0),
	F(E(3, 0, 5, 1, 0), "AFSR0_EL1", afsr0, 0, ~0ull),
	F(E(3, 0, 5, 1, 1), "AFSR1_EL1", afsr1, 0, ~0ull),
	F(E(3, 0, 5, 2, 0), "ESR_EL1", esr_el1, 0, 0xffffffffull), /* no ISS2 */
	F(E(3, 0, 6, 0, 0), "FAR_EL1", far_el1, 0, ~0ull),
	F(E(3, 0, 7, 4, 0), "PAR_EL1", par, 0, ~0ull),
	F(E(3, 0, 10, 2, 0), "MAIR_EL1", mair, 0, ~0ull),
	F(E(3, 0, 10, 3, 0), "AMAIR_EL1", amair, 0, ~0ull),
	F(E(3, 0, 12, 0, 0), "VBAR_EL1", vbar, 0, ~0x7ffull),
	S(E(3, 0, 12, 1, 0), "ISR_EL1", SP_ISR, A_RO),
	F(E(3, 0, 13, 0, 1), "CONTEXTIDR_EL1", contextidr, 0, 0xffffffffull),
	F(E(3, 0, 13, 0, 4), "TPIDR_EL1", tpidr_el1, 0, ~0ull),
	F(E(3, 0, 14, 1, 0), "CNTKCTL_EL1", cntkctl, 0, 0x3ff),
	/* Exception state */
	/* SPSR: NZCV, SS, IL, DAIF, M[4:0] (v8.0; no PAN/UAO/DIT/SSBS/BTYPE) */
	F(E(3, 0, 4, 0, 0), "SPSR_EL1", spsr_el1, 0, 0xf03003dfull),
	F(E(3, 0, 4, 0, 1), "ELR_EL1", elr_el1, 0, ~0ull),
	S(E(3, 0, 4, 1, 0), "SP_EL0", SP_SP_EL0, 0),
	S(E(3, 4, 4, 1, 0), "SP_EL1", SP_SP_EL1, 0), /* VMM access only (EL2 encoding) */
	S(E(3, 0, 4, 2, 0), "SPSel", SP_SPSEL, 0),
	S(E(3, 0, 4, 2, 2), "CurrentEL", SP_CURRENTEL, A_RO),
	S(E(3, 3, 4, 2, 0), "NZCV", SP_NZCV, A_EL0R | A_EL0W),
	S(E(3, 3, 4, 2, 1), "DAIF", SP_DAIF, A_EL0R | A_EL0W),
	S(E(3, 3, 4, 4, 0), "FPCR", SP_FPCR, A_EL0R | A_EL0W),
	S(E(3, 3, 4, 4, 1), "FPSR", SP_FPSR, A_EL0R | A_EL0W),
	/* Thread ID */
	F(E(3, 3, 13, 0, 2), "TPIDR_EL0", tpidr_el0, A_EL0R | A_EL0W, ~0ull),
	F(E(3, 3, 13, 0, 3), "TPIDRRO_EL0", tpidrro_el0, A_EL0R, ~0ull),
	/* Generic timer */
	S(E(3, 3, 14, 0, 0), "CNTFRQ_EL0", SP_CNTFRQ, A_EL0R | A_RO),
	S(E(3, 3, 14, 0, 1), "CNTPCT_EL0", SP_CNTPCT, A_EL0R | A_RO),
	S(E(3, 3, 14, 0, 2), "CNTVCT_EL0", SP_CNTVCT, A_EL0R | A_RO),
	S(E(3, 3, 14, 3, 0), "CNTV_TVAL_EL0", SP_CNTV_TVAL, A_EL0R | A_EL0W),
	S(E(3, 3, 14, 3, 1), "CNTV_CTL_EL0", SP_CNTV_CTL, A_EL0R | A_EL0W),
	F(E(3, 3, 14, 3, 2), "CNTV_CVAL_EL0", cntv_cval, A_EL0R | A_EL0W, ~0ull),
	S(E(3, 3, 14, 2, 0), "CNTP_TVAL_EL0", SP_CNTP_TVAL, A_EL0R | A_EL0W),
	S(E(3, 3, 14, 2, 1), "CNTP_CTL_EL0", SP_CNTP_CTL, A_EL0R | A_EL0W),
	F(E(3, 3, 14, 2, 2), "CNTP_CVAL_EL0", cntp_cval, A_EL0R | A_EL0W, ~0ull),
	/* Pointer authentication keys (FEAT_PAuth, exec-pauth.c): EL1 only,
	 * UNDEFINED from the guest when the VM does not have it (guest_access);
	 * the VMM reaches them either way, as on HVF. */
	F(E(3, 0, 2, 1, 0), "APIAKeyLo_EL1", apkey[0][0], 0, ~0ull),
	F(E(3, 0, 2, 1, 1), "APIAKeyHi_EL1", apkey[0][1], 0, ~0ull),
	F(E(3, 0, 2, 1, 2), "APIBKeyLo_EL1", apkey[1][0], 0, ~0ull),
	F(E(3, 0, 2, 1, 3), "APIBKeyHi_EL1", apkey[1][1], 0, ~0ull),
	F(E(3, 0, 2, 2, 0), "APDAKeyLo_EL1", apkey[2][0], 0, ~0ull),
	F(E(3, 0, 2, 2, 1), "APDAKeyHi_EL1", apkey[2][1], 0, ~0ull),
	F(E(3, 0, 2, 2, 2), "APDBKeyLo_EL1", apkey[3][0], 0, ~0ull),
	F(E(3, 0, 2, 2, 3), "APDBKeyHi_EL1", apkey[3][1], 0, ~0ull),
	F(E(3, 0, 2, 3, 0), "APGAKeyLo_EL1", apkey[4][0], 0, ~0ull),
	F(E(3, 0, 2, 3, 1), "APGAKeyHi_EL1", apkey[4][1], 0, ~0ull),
	/* Debug registers software touches at boot */
	F(E(2, 0, 0, 2, 2), "MDSCR_EL1", mdscr, 0, 0xffffffffull),
};

#define NSYSREGS (sizeof(sysregs) / sizeof(sysregs[0]))
_Static_assert(NSYSREGS < 255, "sysreg index entries are 8 bits");

/* Encoding -> 1 + table index (0: not in the table). */
static uint8_t sysreg_index[65536];

__attribute__((constructor)) static void sysreg_index_init(void)
{
	for (size_t i = 0; i < NSYSREGS; i++)
		sysreg_index[sysregs[i].enc] = (uint8_t)(i + 1);
}

/* The unallocated encodings of the ID register space (op0=3, op1=0, CRn=0,
 * CRm=1..7: the Arm ARM's "Reserved, RAZ" ID registers) read as zero. */
static const struct sysreg id_raz = { 0, SR_CONST, A_RO, "ID (reserved, RAZ)", 0, 0, 0 };

static inline const struct sysreg *sysreg_find(uint16_t enc)
{
	unsigned i = sysreg_index[enc];
	if (likely(i))
		return &sysregs[i - 1];
	unsigned crm = (enc >> 3) & 15;
	if ((enc & 0xff80) == E(3, 0, 0, 0, 0) && crm >= 1 && crm <= 7)
		return &id_raz;
	return NULL;
}

bool sysreg_write_no_resync(uint16_t enc)
{
	const struct sysreg *r = sysreg_find(enc);
	if (!r)
		return false;
	if (r->kind == SR_FIELD) /* MAIR_EL1 feeds the memory type cached in the TLB */
		return r->off != offsetof(struct a64_cpu, mair);
	if (r->kind == SR_SPECIAL)
		switch (r->value) {
		case SP_SP_EL0: /* at EL1h it is the banked copy; at EL1t MSR SP_EL0 is UNDEFINED */
		case SP_CNTV_CTL: case SP_CNTV_TVAL: case SP_CNTP_CTL: case SP_CNTP_TVAL:
			return true; /* the vtimer is checked between chunks anyway */
		default:
			return false;
		}
	return false;
}

const char *a64_sysreg_name(uint16_t enc)
{
	const struct sysreg *r = sysreg_find(enc);
	return r ? r->name : NULL;
}

void sysreg_reset(struct a64_cpu *c)
{
	c->midr = FEAT_MIDR;
	c->mpidr = 1ull << 31;
	c->sctlr = SCTLR_RES1;
	c->fpcr = 0;
	c->fpsr = 0;
	c->cpacr = 0; /* FP/SIMD trapped until the guest enables it */
	cpu_update_fp_enabled(c);
}

/* EL0 access: registers with no EL0 access are UNDEFINED there; those that
 * SCTLR_EL1 / CNTKCTL_EL1 can disable trap to EL1 with EC 0x18 instead. */
enum { EL0_OK, EL0_UNDEF, EL0_TRAP };
static int el0_access(const struct a64_cpu *c, const struct sysreg *r, bool write)
{
	if (!(r->access & (write ? A_EL0W : A_EL0R)))
		return EL0_UNDEF;
	bool ok = true;
	switch (r->kind == SR_SPECIAL ? r->value : ~0ull) {
	case SP_DAIF: ok = (c->sctlr >> 9) & 1; break;  /* UMA */
	case SP_CTR: ok = (c->sctlr >> 15) & 1; break;  /* UCT */
	case SP_DCZID: ok = true; break;
	case SP_CNTPCT: ok = c->cntkctl & 1; break;     /* EL0PCTEN */
	case SP_CNTVCT: ok = (c->cntkctl >> 1) & 1; break; /* EL0VCTEN */
	case SP_CNTFRQ: ok = c->cntkctl & 3; break;
	case SP_CNTV_TVAL: case SP_CNTV_CTL: ok = (c->cntkctl >> 8) & 1; break; /* EL0VTEN */
	case SP_CNTP_TVAL: case SP_CNTP_CTL: ok = (c->cntkctl >> 9) & 1; break; /* EL0PTEN */
	default:
		if (r->kind == SR_FIELD && r->off == offsetof(struct a64_cpu, cntv_cval))
			ok = (c->cntkctl >> 8) & 1;
		else if (r->kind == SR_FIELD && r->off == offsetof(struct a64_cpu, cntp_cval))
			ok = (c->cntkctl >> 9) & 1;
		break;
	}
	return ok ? EL0_OK : EL0_TRAP;
}

static uint32_t sysreg_iss(uint16_t enc, unsigned rt, bool read)
{
	unsigned op0 = enc >> 14, op1 = (enc >> 11) & 7, crn = (enc >> 7) & 15, crm = (enc >> 3) & 15,
		 op2 = enc & 7;
	return op0 << 20 | op2 << 17 | op1 << 14 | crn << 10 | rt << 5 | crm << 1 | (read ? 1u : 0u);
}

NORETURN void sysreg_trap_el1(struct a64_cpu *c, const dinsn *d, uint16_t enc, unsigned rt, bool read)
{
	cpu_exception(c, insn_pc(c, d), (uint32_t)EC_SYSREG << 26 | 1u << 25 | sysreg_iss(enc, rt, read), 0, false);
}

static uint64_t timer_ctl(uint64_t ctl, bool cond)
{
	return (ctl & 3) | ((ctl & 1) && cond ? 4 : 0);
}

static uint64_t special_read(struct a64_cpu *c, unsigned id, uint16_t enc)
{
	switch (id) {
	case SP_NZCV: return pstate_nzcv(c);
	case SP_DAIF: return c->daif;
	case SP_FPCR: return c->fpcr;
	case SP_FPSR: return c->fpsr;
	case SP_SPSEL: return c->spsel;
	case SP_CURRENTEL: return (uint64_t)c->el << 2;
	case SP_SP_EL0: return (c->el == 0 || !c->spsel) ? c->x[REG_SP] : c->sp_el[0];
	case SP_SP_EL1: return (c->el == 1 && c->spsel) ? c->x[REG_SP] : c->sp_el[1];
	case SP_CNTFRQ: return c->vm->cntfrq;
	case SP_CNTPCT: return timer_cntpct(c);
	case SP_CNTVCT: return timer_cntvct(c);
	case SP_CNTV_CTL: return timer_ctl(c->cntv_ctl, timer_cntvct(c) >= c->cntv_cval);
	case SP_CNTP_CTL: return timer_ctl(c->cntp_ctl, timer_cntpct(c) >= c->cntp_cval);
	case SP_CNTV_TVAL: return (uint32_t)(c->cntv_cval - timer_cntvct(c));
	case SP_CNTP_TVAL: return (uint32_t)(c->cntp_cval - timer_cntpct(c));
	case SP_CTR: return FEAT_CTR;
	case SP_DCZID: /* DZP: DC ZVA prohibited at EL0 when SCTLR_EL1.DZE = 0 */
		return FEAT_DCZID | (c->el == 0 && !((c->sctlr >> 14) & 1) ? 1u << 4 : 0);
	case SP_ISR: /* pending (virtual) interrupts: I bit 7, F bit 6 */
		return (atomic_load_explicit(&c->irq_line, memory_order_relaxed) ? 1u << 7 : 0) |
		       (atomic_load_explicit(&c->fiq_line, memory_order_relaxed) ? 1u << 6 : 0);
	case SP_SCTLR: return c->sctlr;
	case SP_CPACR: return c->cpacr;
	case SP_TTBR: return (enc & 7) ? c->ttbr1 : c->ttbr0;
	case SP_TCR: return c->tcr;
	case SP_CCSIDR: return feat_ccsidr(c->csselr);
	case SP_ISAR1: return FEAT_ID_AA64ISAR1 | (c->vm->pauth ? FEAT_ID_AA64ISAR1_PAUTH : 0);
	default: return 0;
	}
}

static void special_write(struct a64_cpu *c, unsigned id, uint16_t enc, uint64_t v)
{
	switch (id) {
	case SP_NZCV: set_nzcv(c, v); break;
	case SP_DAIF: c->daif = v & 0x3c0; break;
	case SP_FPCR: c->fpcr = v & FEAT_FPCR_MASK; break;
	case SP_FPSR: c->fpsr = v & FEAT_FPSR_MASK; break;
	case SP_SPSEL: cpu_set_el_spsel(c, c->el, v & 1); break;
	case SP_SP_EL0:
		if (c->el == 0 || !c->spsel) c->x[REG_SP] = v; else c->sp_el[0] = v;
		break;
	case SP_SP_EL1:
		if (c->el == 1 && c->spsel) c->x[REG_SP] = v; else c->sp_el[1] = v;
		break;
	case SP_CNTV_CTL: c->cntv_ctl = v & 3; break;
	case SP_CNTP_CTL: c->cntp_ctl = v & 3; break;
	case SP_CNTV_TVAL: c->cntv_cval = timer_cntvct(c) + (uint64_t)(int64_t)(int32_t)v; break;
	case SP_CNTP_TVAL: c->cntp_cval = timer_cntpct(c) + (uint64_t)(int64_t)(int32_t)v; break;
	case SP_SCTLR:
		c->sctlr = (v & (SCTLR_WMASK | (c->vm->pauth ? SCTLR_PAUTH_WMASK : 0))) | SCTLR_RES1;
		tlb_flush_all(c);
		break;
	case SP_CPACR: /* FPEN only: no SVE (ZEN), no trace (TTA) */
		c->cpacr = v & (3ull << 20);
		cpu_update_fp_enabled(c);
		break;
	case SP_TTBR:
		if (enc & 7) c->ttbr1 = v; else c->ttbr0 = v;
		tlb_flush_all(c);
		break;
	case SP_TCR: c->tcr = v & (FEAT_TCR_MASK | (c->vm->pauth ? FEAT_TCR_TBID : 0)); tlb_flush_all(c); break;
	default: break;
	}
}

/* Registers the VMM handles, as Hypervisor.framework exits them (EC 0x18):
 * GIC CPU interface, PMU, debug/OS lock, IMPLEMENTATION DEFINED space. */
static bool traps_to_vmm(uint16_t enc)
{
	unsigned op0 = enc >> 14, op1 = (enc >> 11) & 7, crn = (enc >> 7) & 15, crm = (enc >> 3) & 15;
	if (op0 == 3 && (crn == 11 || crn == 15))
		return true; /* IMPLEMENTATION DEFINED */
	if (op0 == 3 && op1 == 0 && crn == 12 && crm >= 8)
		return true; /* ICC_*_EL1 */
	if (op0 == 3 && op1 == 0 && crn == 4 && crm == 6)
		return true; /* ICC_PMR_EL1 */
	if (op0 == 3 && crn == 9 && crm >= 12)
		return true; /* PMU */
	if (op0 == 3 && op1 == 3 && crn == 14 && crm >= 8)
		return true; /* PMEVCNTR/PMEVTYPER */
	if (op0 == 2 && !(enc == E(2, 0, 0, 2, 2)))
		return true; /* debug, OS lock */
	return false;
}

static NORETURN void trap_exit(struct a64_cpu *c, const dinsn *d, uint16_t enc, unsigned rt, bool read)
{
	cpu_exit_to_vmm(c, insn_pc(c, d), ACCEL_EXIT_EXCEPTION,
			(uint64_t)EC_SYSREG << 26 | 1u << 25 | sysreg_iss(enc, rt, read), 0, 0);
}

static bool el0_check(struct a64_cpu *c, const dinsn *d, const struct sysreg *r, uint16_t enc, unsigned rt,
		      bool read)
{
	if (c->el != 0)
		return true;
	int a = el0_access(c, r, !read);
	if (a == EL0_TRAP)
		sysreg_trap_el1(c, d, enc, rt, read);
	return a == EL0_OK;
}

static uint64_t reg_get(struct a64_cpu *c, const struct sysreg *r, uint16_t enc)
{
	switch (r->kind) {
	case SR_FIELD: return *(const uint64_t *)((const char *)c + r->off);
	case SR_CONST: return r->value;
	case SR_RAZWI: return 0;
	default: return special_read(c, (unsigned)r->value, enc);
	}
}

static void reg_set(struct a64_cpu *c, const struct sysreg *r, uint16_t enc, uint64_t v)
{
	switch (r->kind) {
	case SR_FIELD: *(uint64_t *)((char *)c + r->off) = v & r->wmask; break;
	case SR_SPECIAL: special_write(c, (unsigned)r->value, enc, v); break;
	default: break; /* SR_RAZWI; SR_CONST never gets here */
	}
}

/* Checks common to MRS and MSR from the guest; false: UNDEFINED. */
static bool guest_access(struct a64_cpu *c, const dinsn *d, const struct sysreg *r, uint16_t enc, unsigned rt,
			 bool read)
{
	if ((r->access & (read ? A_WO : A_RO)) || !el0_check(c, d, r, enc, rt, read))
		return false;
	if (enc == E(3, 4, 4, 1, 0)) /* SP_EL1: not accessible from the guest's EL1 */
		return false;
	if (enc == E(3, 0, 4, 1, 0) && c->spsel == 0)
		return false; /* SP_EL0 while using SP_EL0: UNDEFINED */
	if (enc >= E(3, 0, 2, 1, 0) && enc <= E(3, 0, 2, 3, 7) && !c->vm->pauth)
		return false; /* pointer authentication keys without FEAT_PAuth */
	if (r->kind == SR_SPECIAL && (r->value == SP_FPCR || r->value == SP_FPSR))
		cpu_fp_check(c, d); /* CPACR_EL1.FPEN: EC 0x07 */
	return true;
}

bool sysreg_read(struct a64_cpu *c, const dinsn *d, uint16_t enc, unsigned rt, uint64_t *val)
{
	const struct sysreg *r = sysreg_find(enc);
	if (!r) {
		if (c->el == 1 && traps_to_vmm(enc))
			trap_exit(c, d, enc, rt, true);
		return false;
	}
	if (!guest_access(c, d, r, enc, rt, true))
		return false;
	*val = reg_get(c, r, enc);
	return true;
}

bool sysreg_write(struct a64_cpu *c, const dinsn *d, uint16_t enc, unsigned rt, uint64_t val)
{
	const struct sysreg *r = sysreg_find(enc);
	if (!r) {
		if (c->el == 1 && traps_to_vmm(enc))
			trap_exit(c, d, enc, rt, false);
		return false;
	}
	if (!guest_access(c, d, r, enc, rt, false))
		return false;
	reg_set(c, r, enc, val);
	return true;
}

/* The VMM's view (accelerator get/set_sysreg): every register in the table,
 * regardless of EL, writes to read-only identification registers allowed
 * where HVF allows them (MIDR, MPIDR). */
int a64_get_sysreg(struct a64_cpu *c, uint16_t enc, uint64_t *v)
{
	const struct sysreg *r = sysreg_find(enc);
	if (!r)
		return -ENOENT;
	*v = reg_get(c, r, enc);
	return 0;
}

int a64_set_sysreg(struct a64_cpu *c, uint16_t enc, uint64_t v)
{
	const struct sysreg *r = sysreg_find(enc);
	if (!r)
		return -ENOENT;
	if (enc == SYSREG_MIDR_EL1) {
		c->midr = v;
		return 0;
	}
	if (enc == SYSREG_MPIDR_EL1) {
		c->mpidr = v;
		return 0;
	}
	if (r->kind == SR_CONST || enc == E(3, 0, 4, 2, 2) || (r->kind == SR_SPECIAL && r->value == SP_ISAR1))
		return -EPERM;
	reg_set(c, r, enc, v);
	return 0;
}
