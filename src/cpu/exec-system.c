/* A64 system instructions: hints, barriers, PSTATE writes, MRS/MSR, and
 * SYS (cache maintenance, address translation, TLB invalidation). */
#include "arch/dabt.h"
#include "arch/pgwalk.h"
#include "cpu/internal.h"
#include "a64-decode.h"

static const dinsn *h_nop(struct a64_cpu *c, const dinsn *d)
{
	return cpu_next(c, d + 1);
}

/* WFI/WFE: the hypervisor traps both (HCR_EL2.TWI/TWE), so they exit to the
 * VMM with PC at the instruction -- unless EL1 traps them first for EL0
 * (SCTLR_EL1.nTWI/nTWE = 0), which has priority. */
static const dinsn *h_wfx(struct a64_cpu *c, const dinsn *d)
{
	unsigned ti = d->f0; /* 0 WFI, 1 WFE */
	uint64_t pc = insn_pc(c, d);
	/* ISS: CV = 1, COND = 0b1110 (taken from AArch64), TI */
	uint32_t esr = (uint32_t)EC_WFX << 26 | 1u << 25 | 1u << 24 | 0xeu << 20 | ti;
	if (c->el == 0 && !((c->sctlr >> (ti ? 18 : 16)) & 1))
		cpu_exception(c, pc, esr, 0, false);
	cpu_exit_to_vmm(c, pc, ACCEL_EXIT_EXCEPTION, esr, 0, 0);
}

bool trans_HINT(struct a64_dctx *s, arg_HINT *a)
{
	unsigned op = (unsigned)(a->crm << 3 | a->op2);
	s->d->fn = h_nop;
	if (op == 2 || op == 3) { /* WFE, WFI */
		s->d->fn = h_wfx;
		s->d->f0 = op == 2;
	}
	/* YIELD, SEV, SEVL and every unallocated or unadvertised hint
	 * (PAC*SP, BTI, ESB, PSB, CSDB ...) execute as NOP. */
	return true;
}

static const dinsn *h_clrex(struct a64_cpu *c, const dinsn *d)
{
	c->excl_addr = ~0ull;
	return cpu_next(c, d + 1);
}

static const dinsn *h_barrier(struct a64_cpu *c, const dinsn *d)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return cpu_next(c, d + 1);
}

/* ISB: a context synchronization event. Re-look-up the next instruction so
 * code and translation changes made before it take effect: the lookup
 * applies pending epochs and re-validates the decoded page, like a branch
 * (Linux runs an ISB before every counter read, so no trip through the run
 * loop). */
static const dinsn *h_isb(struct a64_cpu *c, const dinsn *d)
{
	cpu_branch_mark(c, d);
	return cpu_lookup(c, insn_pc(c, d) + 4);
}

/* After a write to PSTATE.DAIF: unmasking may let a pending interrupt in,
 * which the run loop takes; otherwise nothing the decoded pages or the TLB
 * depend on changed. The VMM sets the lines only between runs. */
static const dinsn *daif_written(struct a64_cpu *c, const dinsn *d)
{
	bool irq = atomic_load_explicit(&c->irq_line, memory_order_relaxed) && !(c->daif & (1u << 7));
	bool fiq = atomic_load_explicit(&c->fiq_line, memory_order_relaxed) && !(c->daif & (1u << 6));
	if (irq || fiq)
		cpu_resync(c, insn_pc(c, d) + 4);
	return cpu_next(c, d + 1);
}

bool trans_CLREX(struct a64_dctx *s, arg_CLREX *a)
{
	(void)a;
	s->d->fn = h_clrex;
	return true;
}
bool trans_DSB(struct a64_dctx *s, arg_DSB *a)
{
	(void)a;
	s->d->fn = h_barrier;
	return true;
}
bool trans_DMB(struct a64_dctx *s, arg_DMB *a)
{
	(void)a;
	s->d->fn = h_barrier;
	return true;
}
bool trans_ISB(struct a64_dctx *s, arg_ISB *a)
{
	(void)a;
	s->d->fn = h_isb;
	return true;
}

/* ---- MSR (immediate): SPSel, DAIFSet, DAIFClr ---- */

static const dinsn *h_msr_spsel(struct a64_cpu *c, const dinsn *d)
{
	if (c->el == 0)
		cpu_undef(c, d);
	cpu_set_el_spsel(c, c->el, d->f0 & 1);
	return cpu_next(c, d + 1);
}

static const dinsn *h_msr_daif(struct a64_cpu *c, const dinsn *d)
{
	if (c->el == 0 && !((c->sctlr >> 9) & 1))
		sysreg_trap_el1(c, d, (uint16_t)(d->imm), 31, false);
	uint32_t bits = (uint32_t)(d->f0 & 0xf) << 6;
	if (d->f1)
		c->daif |= bits;
	else
		c->daif &= ~bits;
	return daif_written(c, d);
}

bool trans_MSR_imm(struct a64_dctx *s, arg_MSR_imm *a)
{
	if (a->op1 == 0 && a->op2 == 5) { /* SPSel */
		s->d->fn = h_msr_spsel;
		s->d->f0 = (uint8_t)a->crm;
		return true;
	}
	if (a->op1 == 3 && (a->op2 == 6 || a->op2 == 7)) { /* DAIFSet, DAIFClr */
		s->d->fn = h_msr_daif;
		s->d->f0 = (uint8_t)a->crm;
		s->d->f1 = a->op2 == 6;
		/* For the EL0 trap syndrome: op0=0, op1, CRn=4, CRm, op2 */
		s->d->imm = (uint64_t)(a->op1 << 11 | 4 << 7 | a->crm << 3 | a->op2);
		return true;
	}
	/* PAN, UAO, DIT, SSBS, TCO, CFINV ...: not advertised. */
	return false;
}

/* ---- MRS / MSR (register) ---- */

static const dinsn *h_mrs_tpidr_el0(struct a64_cpu *c, const dinsn *d)
{
	c->x[d->rd] = c->tpidr_el0;
	return cpu_next(c, d + 1);
}
static const dinsn *h_msr_tpidr_el0(struct a64_cpu *c, const dinsn *d)
{
	c->tpidr_el0 = c->x[d->rd];
	return cpu_next(c, d + 1);
}
static const dinsn *h_mrs_nzcv(struct a64_cpu *c, const dinsn *d)
{
	c->x[d->rd] = pstate_nzcv(c);
	return cpu_next(c, d + 1);
}
static const dinsn *h_msr_nzcv(struct a64_cpu *c, const dinsn *d)
{
	set_nzcv(c, c->x[d->rd]);
	return cpu_next(c, d + 1);
}

static const dinsn *h_mrs(struct a64_cpu *c, const dinsn *d)
{
	uint64_t v;
	if (!sysreg_read(c, d, (uint16_t)d->imm, d->f0, &v))
		cpu_undef(c, d);
	c->x[d->rd] = v;
	return cpu_next(c, d + 1);
}

static const dinsn *h_msr(struct a64_cpu *c, const dinsn *d)
{
	if (!sysreg_write(c, d, (uint16_t)d->imm, d->f0, c->x[d->rd]))
		cpu_undef(c, d);
	/* Writes may change translation, interrupt masking or the stack
	 * pointer in use: continue through a full lookup. */
	cpu_resync(c, insn_pc(c, d) + 4);
}

static const dinsn *h_msr_daif_reg(struct a64_cpu *c, const dinsn *d)
{
	if (!sysreg_write(c, d, (uint16_t)d->imm, d->f0, c->x[d->rd]))
		cpu_undef(c, d);
	return daif_written(c, d);
}

static const dinsn *h_msr_el0_plain(struct a64_cpu *c, const dinsn *d)
{
	if (!sysreg_write(c, d, (uint16_t)d->imm, d->f0, c->x[d->rd]))
		cpu_undef(c, d);
	return cpu_next(c, d + 1);
}

static uint16_t sysreg_enc(int64_t op0, int64_t op1, int64_t crn, int64_t crm, int64_t op2)
{
	return (uint16_t)(op0 << 14 | op1 << 11 | crn << 7 | crm << 3 | op2);
}

bool trans_MRS(struct a64_dctx *s, arg_MRS *a)
{
	uint16_t enc = sysreg_enc(2 + a->o0, a->op1, a->crn, a->crm, a->op2);
	s->d->rd = reg_zr_w((unsigned)a->rt);
	s->d->f0 = (uint8_t)a->rt;
	s->d->imm = enc;
	if (enc == SYSREG_TPIDR_EL0)
		s->d->fn = h_mrs_tpidr_el0;
	else if (enc == 0xda10) /* NZCV */
		s->d->fn = h_mrs_nzcv;
	else
		s->d->fn = h_mrs;
	return true;
}

bool trans_MSR(struct a64_dctx *s, arg_MSR *a)
{
	uint16_t enc = sysreg_enc(2 + a->o0, a->op1, a->crn, a->crm, a->op2);
	s->d->rd = reg_zr((unsigned)a->rt);
	s->d->f0 = (uint8_t)a->rt;
	s->d->imm = enc;
	if (enc == SYSREG_TPIDR_EL0)
		s->d->fn = h_msr_tpidr_el0;
	else if (enc == 0xda10)
		s->d->fn = h_msr_nzcv;
	else if (enc == 0xda11) /* DAIF */
		s->d->fn = h_msr_daif_reg;
	else if (enc == 0xda20 || enc == 0xda21 || sysreg_write_no_resync(enc)) /* no translation effect */
		s->d->fn = h_msr_el0_plain;
	else
		s->d->fn = h_msr;
	return true;
}

/* ---- SYS: DC, IC, AT, TLBI ---- */

enum sys_op {
	SYS_IC_IALLUIS, SYS_IC_IALLU, SYS_IC_IVAU,
	SYS_DC_ZVA, SYS_DC_VA_EL0, SYS_DC_VA_EL1, SYS_DC_SW,
	SYS_AT, SYS_TLBI,
};

/* A cache maintenance by VA checks the translation (it can fault, with
 * CM=1) and, for MMIO, exits to the VMM with CM=1 like hardware does; so
 * does a walk that leaves RAM (stage-2 fault, S1PTW). Returns the PA. */
static uint64_t dc_va_check(struct a64_cpu *c, const dinsn *d, uint64_t va)
{
	struct pgw_result r;
	if (!mmu_xlate(c, va, ACC_READ, c->mmu_idx == MMU_EL0, &r)) {
		if (r.fault == PGW_STAGE2)
			mmu_walk_s2_exit(c, insn_pc(c, d), va, &r);
		uint32_t ec = c->el == 0 ? EC_DABT_LOWER : EC_DABT_CUR;
		cpu_exception(c, insn_pc(c, d), ec << 26 | 1u << 25 | ISS_CM | ISS_WNR | r.fsc, va, true);
	}
	if (!vm_find_region(c->vm, r.pa))
		cpu_exit_to_vmm(c, insn_pc(c, d), ACCEL_EXIT_EXCEPTION,
				(uint64_t)EC_DABT_LOWER << 26 | 1u << 25 | ISS_CM | ISS_WNR | 0x07, va, r.pa);
	return r.pa;
}

/* PAR_EL1 after AT S1E0R/W, S1E1R/W (64-bit format, Arm ARM PAR_EL1).
 * Success: ATTR[63:56] = the MAIR byte of the page's AttrIndx, PA[47:12],
 * bit 11 RES1, NS (bit 9: UNKNOWN for a Non-secure regime; 1 here, the PA
 * space it is), SH[8:7], F = 0. SH reads 0b10 for any Device and for
 * Normal Inner+Outer Non-cacheable memory. With stage 1 disabled, data
 * accesses are Device-nGnRnE whatever SCTLR_EL1.C says (AT is not a fetch,
 * so SCTLR_EL1.I plays no part): ATTR 0x00, SH 0b10. Failure: FST[6:1],
 * bit 11 RES1, F = 1; PTW and S stay 0, since a stage-2 fault on the walk
 * is not reported here but exits (mmu_walk_s2_exit). */
static uint64_t par_of(const struct a64_cpu *c, bool ok, const struct pgw_result *r)
{
	if (!ok)
		return 1ull << 11 | (uint64_t)(r->fsc & 0x3f) << 1 | 1;
	uint64_t attr = r->mmu_off ? 0x00 : (c->mair >> (8 * (r->attrindx & 7))) & 0xff;
	bool device = (attr & 0xf0) == 0;
	uint64_t sh = device || attr == 0x44 ? 2 : r->sh;
	return attr << 56 | (r->pa & 0xfffffffff000ull) | 1ull << 11 | 1ull << 9 | sh << 7;
}

/* DC ZVA to any Device memory takes an Alignment fault, prioritised like
 * the other alignment faults that come from the memory type: after
 * translation and access flag faults, before permission faults. It is not
 * a cache maintenance instruction: CM = 0, WnR = 1; FAR = the block's
 * address. A page cached for writing without TLB_ALIGN is Normal: no walk.
 * Not yet with the MMU off, although data accesses are Device-nGnRnE
 * there and hardware faults too: QEMU, the oracle of guest-exc-el0 (which
 * runs DC ZVA with the MMU off), zeroes (QEMU issue 3005). */
static void dc_zva_check(struct a64_cpu *c, const dinsn *d, uint64_t va)
{
	const struct tlb_entry *e = &c->tlb[c->mmu_idx][(va >> 12) & (TLB_SIZE - 1)];
	if (e->wtag == (va & ~0xfffull))
		return;
	struct pgw_result r;
	bool ok = mmu_xlate(c, va, ACC_WRITE, c->mmu_idx == MMU_EL0, &r);
	if (!ok && r.fault != PGW_PERMISSION)
		return; /* the stores below report it */
	if (!r.mmu_off && pgw_attr_is_device(c->mair, r.attrindx)) {
		uint32_t ec = c->el == 0 ? EC_DABT_LOWER : EC_DABT_CUR;
		cpu_exception(c, insn_pc(c, d), ec << 26 | 1u << 25 | ISS_WNR | 0x21, va, true);
	}
}

static bool el0_cache_op_allowed(struct a64_cpu *c, const dinsn *d, unsigned sctlr_bit)
{
	if (c->el != 0)
		return true;
	if (!((c->sctlr >> sctlr_bit) & 1))
		sysreg_trap_el1(c, d, (uint16_t)d->imm, d->f1, false);
	return true;
}

static const dinsn *h_sys(struct a64_cpu *c, const dinsn *d)
{
	uint64_t xt = c->x[d->rd];
	switch (d->f0) {
	case SYS_IC_IALLUIS:
	case SYS_IC_IALLU:
		if (c->el == 0)
			cpu_undef(c, d);
		atomic_fetch_add(&c->vm->ic_epoch, 1);
		break;
	case SYS_IC_IVAU: {
		el0_cache_op_allowed(c, d, 26); /* UCI */
		code_invalidate_pa(c->vm, dc_va_check(c, d, xt));
		break;
	}
	case SYS_DC_ZVA: {
		el0_cache_op_allowed(c, d, 14); /* DZE */
		uint64_t va = xt & ~63ull;
		dc_zva_check(c, d, va);
		for (unsigned i = 0; i < 64; i += 8)
			mem_st(c, d, va + i, 8, 0, c->mmu_idx);
		break;
	}
	case SYS_DC_VA_EL0:
		el0_cache_op_allowed(c, d, 26); /* UCI */
		dc_va_check(c, d, xt);
		break;
	case SYS_DC_VA_EL1: /* DC IVAC: EL1 only; treated as a clean */
		if (c->el == 0)
			cpu_undef(c, d);
		dc_va_check(c, d, xt);
		break;
	case SYS_DC_SW:
		if (c->el == 0)
			cpu_undef(c, d);
		break;
	case SYS_AT: {
		if (c->el == 0)
			cpu_undef(c, d);
		/* AT S1E1R/W, S1E0R/W: PAR_EL1 gets the PA or the fault. */
		unsigned op2 = d->f2;
		struct pgw_result r;
		bool ok = mmu_xlate(c, xt, (op2 & 1) ? ACC_WRITE : ACC_READ, op2 >= 2, &r);
		if (!ok && r.fault == PGW_STAGE2)
			mmu_walk_s2_exit(c, insn_pc(c, d), xt, &r);
		c->par = par_of(c, ok, &r);
		break;
	}
	case SYS_TLBI:
		if (c->el == 0)
			cpu_undef(c, d);
		/* Over-invalidation is always allowed: every other vCPU drops
		 * its TLB, and the inner-shareable forms must have reached the
		 * others before the guest's DSB completes. By VA (op2 1, 3, 5,
		 * 7: Xt[43:0] = VA[55:12]) this vCPU drops only that VA's
		 * entries. */
		if (d->f2 & 1)
			cpu_tlb_shootdown_va(c, (xt & 0xfffffffffffull) << 12);
		else
			cpu_tlb_shootdown(c);
		/* The instruction TLB went too: look the next one up again. */
		cpu_branch_mark(c, d);
		return cpu_lookup(c, insn_pc(c, d) + 4);
	}
	return cpu_next(c, d + 1);
}

bool trans_SYS(struct a64_dctx *s, arg_SYS *a)
{
	unsigned op1 = (unsigned)a->op1, crn = (unsigned)a->crn, crm = (unsigned)a->crm, op2 = (unsigned)a->op2;
	int op = -1;
	if (crn == 7) {
		if (op1 == 0 && crm == 1 && op2 == 0) op = SYS_IC_IALLUIS;
		else if (op1 == 0 && crm == 5 && op2 == 0) op = SYS_IC_IALLU;
		else if (op1 == 3 && crm == 5 && op2 == 1) op = SYS_IC_IVAU;
		else if (op1 == 3 && crm == 4 && op2 == 1) op = SYS_DC_ZVA;
		else if (op1 == 3 && op2 == 1 && (crm == 10 || crm == 11 || crm == 14)) op = SYS_DC_VA_EL0; /* CVAC CVAU CIVAC */
		else if (op1 == 0 && crm == 6 && op2 == 1) op = SYS_DC_VA_EL1; /* IVAC */
		else if (op1 == 0 && op2 == 2 && (crm == 6 || crm == 10 || crm == 14)) op = SYS_DC_SW; /* ISW CSW CISW */
		else if (op1 == 0 && crm == 8 && op2 <= 3) op = SYS_AT;
	} else if (crn == 8 && op1 == 0 && (crm == 3 || crm == 7)) {
		/* VMALLE1(IS) ASIDE1(IS) VAE1(IS) VAAE1(IS) VALE1(IS) VAALE1(IS) */
		if (op2 <= 3 || op2 == 5 || op2 == 7)
			op = SYS_TLBI;
	}
	if (op < 0)
		return false; /* other SYS encodings: UNDEFINED */
	s->d->fn = h_sys;
	s->d->f0 = (uint8_t)op;
	s->d->f1 = (uint8_t)a->rt;
	s->d->f2 = (uint8_t)op2;
	s->d->rd = reg_zr((unsigned)a->rt);
	s->d->imm = sysreg_enc(1, op1, crn, crm, op2);
	return true;
}

bool trans_SYSL(struct a64_dctx *s, arg_SYSL *a)
{
	(void)s; (void)a;
	return false; /* no SYSL operations are defined */
}
