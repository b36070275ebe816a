/* Data-abort exits: ISV=1 from the syndrome, ISV=0 through the instruction
 * emulator, CM=1 skipped, everything else an injected external abort. See
 * mmio-exit.h. */
#include "vmm/mmio-exit.h"

#include <errno.h>
#include <string.h>

#include "arch/dabt.h"
#include "arch/pgwalk.h"

#define SYSREG_ID_AA64MMFR0_EL1 ACCEL_SYSREG(3, 0, 0, 7, 0)
#define SYSREG_ID_AA64MMFR1_EL1 ACCEL_SYSREG(3, 0, 0, 7, 1)
#define SYSREG_ID_AA64MMFR2_EL1 ACCEL_SYSREG(3, 0, 0, 7, 2)
#define SYSREG_DCZID_EL0 ACCEL_SYSREG(3, 3, 0, 0, 7)

#define ISS_S1PTW (1u << 7)
#define ISS_FNV (1u << 10)
#define DFSC_SEA 0x10
#define DFSC_ALIGN 0x21

#define SCTLR_EE (1ull << 25)
#define SCTLR_E0E (1ull << 24)
#define SCTLR_SPAN (1ull << 23)
#define SCTLR_EPAN (1ull << 57)

#define PSR_PAN (1ull << 22)
#define PSR_UAO (1ull << 23)
#define PSR_DIT (1ull << 24)

/* ---- exception injection ------------------------------------------------------ */

int mmio_exit_inject_dabt(struct accel_vcpu *v, uint32_t iss, uint64_t far)
{
	uint64_t cpsr, pc, sctlr = 0, vbar = 0, mmfr1 = 0;
	int r;
	if ((r = accel_get_reg(v, ACCEL_REG_CPSR, &cpsr)) || (r = accel_get_reg(v, ACCEL_REG_PC, &pc)) ||
	    (r = accel_get_sysreg(v, SYSREG_SCTLR_EL1, &sctlr)) || (r = accel_get_sysreg(v, SYSREG_VBAR_EL1, &vbar)))
		return r;
	if (accel_get_sysreg(v, SYSREG_ID_AA64MMFR1_EL1, &mmfr1))
		mmfr1 = 0;
	unsigned el = (cpsr >> 2) & 3;
	if (el > 1 || (cpsr & (1u << 4))) /* EL2/EL3 or AArch32: not ours to handle */
		return -EINVAL;
	uint32_t ec = el == 0 ? EC_DABT_LOWER : EC_DABT_CUR;
	uint64_t esr = (uint64_t)ec << 26 | 1u << 25 | (iss & 0x1ffffff);
	uint64_t ncpsr = 0x3c5 | (cpsr & PSR_DIT); /* EL1h, D A I F masked */
	if ((mmfr1 >> 20) & 0xf) /* FEAT_PAN */
		ncpsr |= (sctlr & SCTLR_SPAN) ? (cpsr & PSR_PAN) : PSR_PAN;
	uint64_t vec = el == 0 ? 0x400 : (cpsr & 1) ? 0x200 : 0x000;
	if ((r = accel_set_sysreg(v, SYSREG_ELR_EL1, pc)) || (r = accel_set_sysreg(v, SYSREG_SPSR_EL1, cpsr)) ||
	    (r = accel_set_sysreg(v, SYSREG_ESR_EL1, esr)) || (r = accel_set_sysreg(v, SYSREG_FAR_EL1, far)) ||
	    (r = accel_set_reg(v, ACCEL_REG_CPSR, ncpsr)) || (r = accel_set_reg(v, ACCEL_REG_PC, vbar + vec)))
		return r;
	return 0;
}

static int inject_sea(struct mmio_exit *m, uint64_t far, bool write, int reason, uint32_t insn)
{
	uint64_t pc = 0;
	accel_get_reg(m->vcpu, ACCEL_REG_PC, &pc);
	m->n_injected++;
	m->last_inject_pc = pc;
	m->last_inject_va = far;
	m->last_reason = reason;
	m->last_insn = insn;
	m->monitor.open = false; /* exception entry clears the local monitor */
	int r = mmio_exit_inject_dabt(m->vcpu, ISS_FNV | (write ? ISS_WNR : 0) | DFSC_SEA, far);
	return r ? r : MMIO_EXIT_INJECTED;
}

static int advance_pc(struct accel_vcpu *v)
{
	uint64_t pc;
	int r = accel_get_reg(v, ACCEL_REG_PC, &pc);
	return r ? r : accel_set_reg(v, ACCEL_REG_PC, pc + 4);
}

/* ---- physical accesses: RAM or MMIO -------------------------------------------- */

static uint64_t le_get(const uint8_t *b, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static void le_put(uint8_t *b, unsigned n, uint64_t v)
{
	for (unsigned i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

/* [pa, pa + n) within one page and not RAM: one access of the exact width
 * if n is 1, 2, 4 or 8; otherwise (16 bytes, or a part of a straddling
 * access) naturally aligned pieces of at most 8 bytes, in address order. */
static int mmio_range(const struct mmio_exit_mem *mem, uint64_t pa, uint8_t *b, unsigned n, bool write)
{
	for (unsigned off = 0; off < n;) {
		unsigned piece = n;
		if (n != 1 && n != 2 && n != 4 && n != 8)
			for (piece = 8; piece > n - off || ((pa + off) & (piece - 1)); piece >>= 1)
				;
		uint64_t v = 0;
		if (write) {
			if (!mem->write(mem->opaque, pa + off, piece, le_get(b + off, piece)))
				return -1;
		} else {
			if (!mem->read(mem->opaque, pa + off, piece, &v))
				return -1;
			le_put(b + off, piece, v);
		}
		off += piece;
	}
	return 0;
}

static int phys_access(const struct mmio_exit_mem *mem, uint64_t pa, uint8_t *b, unsigned n, bool write)
{
	uint8_t *h = mem->ram(mem->opaque, pa, n);
	if (h) {
		if (write)
			memcpy(h, b, n);
		else
			memcpy(b, h, n);
		return 0;
	}
	return mmio_range(mem, pa, b, n, write);
}

/* ---- the emulator's view of the vCPU -------------------------------------------- */

struct ctx {
	struct mmio_exit *m;
	struct accel_vcpu *v;
	uint64_t cpsr, mair;
	bool el0;
	bool uao;       /* PSTATE.UAO with FEAT_UAO: LDTR/STTR at EL1 are privileged */
	bool pan;       /* PSTATE.PAN with FEAT_PAN: privileged data accesses to EL0 data fault */
	bool epan;      /* FEAT_PAN3 with SCTLR_EL1.EPAN: also to EL0-executable locations */
	struct pgw_regs regs;
	int err; /* first accelerator error */
	/* A stage-1 fault found while translating an access: injected
	 * instead of an external abort. */
	bool s1fault;
	uint32_t s1_iss;
	uint64_t s1_far;
};

static void note(struct ctx *c, int r)
{
	if (r && !c->err)
		c->err = r;
}

static uint64_t get_x(void *o, unsigned n)
{
	struct ctx *c = o;
	uint64_t v = 0;
	note(c, accel_get_reg(c->v, (enum accel_reg)(ACCEL_REG_X0 + n), &v));
	return v;
}

static void set_x(void *o, unsigned n, uint64_t val)
{
	struct ctx *c = o;
	note(c, accel_set_reg(c->v, (enum accel_reg)(ACCEL_REG_X0 + n), val));
}

/* SP of the current EL: SP_EL0 at EL0 or with SPSel = 0, else SP_EL1. */
static uint16_t sp_reg(const struct ctx *c) { return (c->el0 || !(c->cpsr & 1)) ? SYSREG_SP_EL0 : SYSREG_SP_EL1; }

static uint64_t get_sp(void *o)
{
	struct ctx *c = o;
	uint64_t v = 0;
	note(c, accel_get_sysreg(c->v, sp_reg(c), &v));
	return v;
}

static void set_sp(void *o, uint64_t val)
{
	struct ctx *c = o;
	note(c, accel_set_sysreg(c->v, sp_reg(c), val));
}

static void get_v(void *o, unsigned n, uint8_t val[16])
{
	struct ctx *c = o;
	memset(val, 0, 16);
	note(c, accel_get_simd(c->v, n, val));
}

static void set_v(void *o, unsigned n, const uint8_t val[16])
{
	struct ctx *c = o;
	note(c, accel_set_simd(c->v, n, val));
}

static uint32_t desc_read(void *o, uint64_t pa, uint64_t *desc)
{
	struct ctx *c = o;
	const struct mmio_exit_mem *mem = c->m->mem;
	uint64_t *p = (pa & 7) ? NULL : mem->ram(mem->opaque, pa, 8);
	if (!p)
		return 0x07; /* translation fault at level 3 of stage 2: not RAM */
	*desc = __atomic_load_n(p, __ATOMIC_ACQUIRE);
	return 0;
}

/* The instruction's own address: the hardware fetched it, so execute
 * permission is not checked again. */
static int xlate_pc(struct ctx *c, uint64_t va, uint64_t *pa, uint64_t *left)
{
	struct pgw_result r;
	if (!pgw_translate(&c->regs, va, PGW_EXEC, c->el0, desc_read, c, &r) && r.fault != PGW_PERMISSION)
		return -1;
	unsigned shift = r.page_shift >= 12 && r.page_shift < 64 ? r.page_shift : 12;
	*pa = r.pa;
	*left = (1ull << shift) - (va & ((1ull << shift) - 1));
	return 0;
}

static int s1_fault(struct ctx *c, uint64_t far, bool wnr, uint32_t fsc)
{
	c->s1fault = true;
	c->s1_iss = (wnr ? ISS_WNR : 0) | fsc;
	c->s1_far = far;
	return -1;
}

/* One page of a data access: va is where the access enters the page, the
 * address a fault on it reports (QEMU and the soft CPU report the first
 * byte of the access in the faulting page too; the Arm ARM allows any
 * address of the access in that page). The hardware checked only the page
 * that faulted, and did it before the stage-2 abort, so every page is
 * checked here as the Arm ARM's AArch64.CheckPermission does: with the
 * access's own privilege (LDTR/STTR at EL1 as EL0 unless PSTATE.UAO), PAN,
 * read and/or write (an atomic's read needs both: WnR says which failed),
 * and data accesses ignore execute-never. `later`: not the access's
 * first page, so an unaligned access reaches it; the hardware checked
 * alignment on the first page only (Device memory: alignment fault). */
static int xlate_data(struct ctx *c, uint64_t va, unsigned acc, bool write, bool later, uint64_t far_align,
		      uint64_t *pa, uint64_t *left)
{
	struct pgw_result r;
	bool el0 = c->el0 || ((acc & INSN_EMU_ACC_UNPRIV) && !c->uao);
	/* The walk's own permission check is redone below: the leaf is what
	 * matters (a permission fault still returns it). */
	if (!pgw_translate(&c->regs, va, PGW_READ, el0, desc_read, c, &r) && r.fault != PGW_PERMISSION) {
		if (r.fault == PGW_STAGE2) /* the tables are not in RAM: external abort */
			return -1;
		/* translation, access flag, address size; an atomic reports them
		 * as a write (the Arm ARM translates it as one) */
		return s1_fault(c, va, write || (acc & INSN_EMU_ACC_RMW), r.fsc);
	}
	if (later && (r.mmu_off || pgw_attr_is_device(c->mair, r.attrindx)))
		return s1_fault(c, far_align, write, DFSC_ALIGN);
	bool need_r = !write || (acc & INSN_EMU_ACC_RMW), need_w = write || (acc & INSN_EMU_ACC_RMW);
	bool pan = !el0 && c->pan && (r.perms & (PGW_R0 | (c->epan ? PGW_X0 : 0)));
	uint32_t perm = pgw_fsc(PGW_PERMISSION, r.level);
	if (need_r && (pan || !pgw_permitted(r.perms, PGW_READ, el0)))
		return s1_fault(c, va, false, perm);
	if (need_w && (pan || !pgw_permitted(r.perms, PGW_WRITE, el0)))
		return s1_fault(c, va, true, perm);
	unsigned shift = r.page_shift >= 12 && r.page_shift < 64 ? r.page_shift : 12;
	*pa = r.pa;
	*left = (1ull << shift) - (va & ((1ull << shift) - 1));
	return 0;
}

/* Every page of [va, va + len) translates, is permitted for `acc` and
 * `write`, and is RAM or has a device behind it (no side effects). */
static int probe(struct ctx *c, uint64_t va, uint64_t len, unsigned acc, bool write)
{
	const struct mmio_exit_mem *mem = c->m->mem;
	for (uint64_t done = 0; done < len;) {
		uint64_t pa, left;
		if (xlate_data(c, va + done, acc, write, false, 0, &pa, &left))
			return -1;
		uint64_t chunk = len - done < left ? len - done : left;
		if (!mem->ram(mem->opaque, pa, chunk) && mem->present && !mem->present(mem->opaque, pa, chunk))
			return -1;
		done += chunk;
	}
	return 0;
}

/* One access of the emulator (at most 16 bytes, so at most two pages):
 * every page is translated and checked first, then each part goes to RAM
 * or MMIO. A fault on either page makes no access at all. */
static int vaccess(struct ctx *c, uint64_t va, unsigned size, uint8_t *b, bool write, unsigned acc)
{
	struct {
		uint64_t pa;
		unsigned len;
	} part[2];
	unsigned n = 0;
	for (unsigned done = 0; done < size; n++) {
		uint64_t pa, left;
		if (n == 2 || xlate_data(c, va + done, acc, write, n > 0, va, &pa, &left))
			return -1;
		part[n].pa = pa;
		part[n].len = size - done < left ? size - done : (unsigned)left;
		done += part[n].len;
	}
	/* An access of two parts must not reach the first if the second has
	 * no device behind it (a device read can have side effects too). */
	const struct mmio_exit_mem *mem = c->m->mem;
	if (n > 1 && mem->present)
		for (unsigned i = 0; i < n; i++)
			if (!mem->ram(mem->opaque, part[i].pa, part[i].len) &&
			    !mem->present(mem->opaque, part[i].pa, part[i].len))
				return -1;
	for (unsigned i = 0, off = 0; i < n; off += part[i].len, i++)
		if (phys_access(mem, part[i].pa, b + off, part[i].len, write))
			return -1;
	return 0;
}

static int probe_cb(void *o, uint64_t va, uint64_t len, unsigned acc)
{
	return probe(o, va, len, acc & ~INSN_EMU_ACC_WRITE, (acc & INSN_EMU_ACC_WRITE) != 0);
}

static int mread(void *o, uint64_t va, unsigned size, void *buf, unsigned acc)
{
	return vaccess(o, va, size, buf, false, acc);
}

static int mwrite(void *o, uint64_t va, unsigned size, const void *buf, unsigned acc)
{
	uint8_t tmp[16];
	if (size > sizeof(tmp))
		return -1;
	memcpy(tmp, buf, size);
	return vaccess(o, va, size, tmp, true, acc);
}

/* LDRAA/LDRAB: replace the PAC field (bits 54:VA size, and 63:56 unless
 * TBI) by copies of bit 55, as a successful authentication leaves it. */
static uint64_t strip_pac(void *o, uint64_t ptr, bool key_b)
{
	struct ctx *c = o;
	bool upper = (ptr >> 55) & 1;
	unsigned tsz = (unsigned)(upper ? (c->regs.tcr >> 16) : c->regs.tcr) & 63;
	bool tbi = (c->regs.tcr >> (upper ? 38 : 37)) & 1;
	if (tsz < 12)
		tsz = 12;
	if (tsz > 48)
		tsz = 48;
	unsigned bottom = 64 - tsz;
	uint64_t field = (tbi ? (1ull << 56) - 1 : ~0ull) & ~((1ull << bottom) - 1) & ~(1ull << 55);
	return upper ? ptr | field : ptr & ~field;
}

static const struct insn_emu_ops emu_ops = {
	.get_x = get_x, .set_x = set_x, .get_sp = get_sp, .set_sp = set_sp, .get_v = get_v, .set_v = set_v,
	.read = mread, .write = mwrite, .strip_pac = strip_pac, .probe = probe_cb,
};

static unsigned pa_bits(uint64_t mmfr0)
{
	static const unsigned bits[] = { 32, 36, 40, 42, 44, 48 };
	unsigned r = mmfr0 & 0xf;
	return r < 6 ? bits[r] : 48;
}

/* ---- ISV=0 --------------------------------------------------------------------- */

static int emulate(struct mmio_exit *m, const struct accel_exit *ex)
{
	struct accel_vcpu *v = m->vcpu;
	struct ctx c = { .m = m, .v = v };
	uint64_t pc = 0, sctlr = 0, mmfr0 = 0, mmfr1 = 0, mmfr2 = 0, dczid = 0;
	int r;
	if ((r = accel_get_reg(v, ACCEL_REG_PC, &pc)) || (r = accel_get_reg(v, ACCEL_REG_CPSR, &c.cpsr)) ||
	    (r = accel_get_sysreg(v, SYSREG_SCTLR_EL1, &sctlr)) || (r = accel_get_sysreg(v, SYSREG_TCR_EL1, &c.regs.tcr)) ||
	    (r = accel_get_sysreg(v, SYSREG_TTBR0_EL1, &c.regs.ttbr0)) ||
	    (r = accel_get_sysreg(v, SYSREG_TTBR1_EL1, &c.regs.ttbr1)) || (r = accel_get_sysreg(v, SYSREG_MAIR_EL1, &c.mair)))
		return r;
	if (accel_get_sysreg(v, SYSREG_ID_AA64MMFR0_EL1, &mmfr0))
		mmfr0 = 5;
	/* Without the ID registers: no PAN, no UAO (their PSTATE bits RES0). */
	if (accel_get_sysreg(v, SYSREG_ID_AA64MMFR1_EL1, &mmfr1))
		mmfr1 = 0;
	if (accel_get_sysreg(v, SYSREG_ID_AA64MMFR2_EL1, &mmfr2))
		mmfr2 = 0;
	if (accel_get_sysreg(v, SYSREG_DCZID_EL0, &dczid))
		dczid = 1u << 4; /* DC ZVA prohibited */
	c.regs.sctlr = sctlr;
	c.regs.pa_bits = pa_bits(mmfr0);
	c.el0 = ((c.cpsr >> 2) & 3) == 0;
	unsigned pan_ver = (mmfr1 >> 20) & 0xf;
	c.pan = pan_ver && (c.cpsr & PSR_PAN);
	c.epan = pan_ver >= 3 && (sctlr & SCTLR_EPAN);
	c.uao = ((mmfr2 >> 4) & 0xf) && (c.cpsr & PSR_UAO);
	if ((c.cpsr & (1u << 4)) || (sctlr & (c.el0 ? SCTLR_E0E : SCTLR_EE)))
		return inject_sea(m, ex->va, ex->esr & ISS_WNR, -1, 0); /* AArch32 or big-endian data */

	uint64_t ipc, left;
	uint8_t ib[4];
	if (xlate_pc(&c, pc, &ipc, &left) || left < 4 || !m->mem->ram(m->mem->opaque, ipc, 4))
		return inject_sea(m, ex->va, ex->esr & ISS_WNR, -1, 0);
	memcpy(ib, m->mem->ram(m->mem->opaque, ipc, 4), 4);
	uint32_t insn = (uint32_t)le_get(ib, 4);

	struct insn_emu e = {
		.ops = &emu_ops,
		.opaque = &c,
		.pc = pc,
		.features = m->features,
		.dczva_bytes = (dczid & 0x10) ? 0 : 4u << (dczid & 0xf),
		.monitor = &m->monitor,
	};
	enum insn_emu_result res = insn_emu_exec(&e, insn);
	if (c.err)
		return c.err;
	switch (res) {
	case INSN_EMU_OK:
		m->n_emulated++;
		return advance_pc(v) ?: MMIO_EXIT_DONE;
	case INSN_EMU_ALIGN_FAULT:
		m->n_injected++;
		m->monitor.open = false;
		r = mmio_exit_inject_dabt(v, (e.fault_write ? ISS_WNR : 0) | DFSC_ALIGN, e.fault_addr);
		return r ? r : MMIO_EXIT_INJECTED;
	case INSN_EMU_MEM_FAULT:
		if (c.s1fault) { /* the guest's own tables forbid it: its fault, not ours */
			m->n_s1_faults++;
			m->monitor.open = false;
			r = mmio_exit_inject_dabt(v, c.s1_iss, c.s1_far);
			return r ? r : MMIO_EXIT_FAULT;
		}
		return inject_sea(m, e.fault_addr, e.fault_write, res, insn);
	default:
		return inject_sea(m, ex->va, ex->esr & ISS_WNR, res, insn);
	}
}

/* ---- ISV=1 ----------------------------------------------------------------------- */

static int syndrome_access(struct mmio_exit *m, const struct accel_exit *ex)
{
	struct accel_vcpu *v = m->vcpu;
	uint32_t iss = (uint32_t)ESR_ISS(ex->esr);
	unsigned size = 1u << ((iss >> ISS_SAS_SHIFT) & 3), srt = (iss >> ISS_SRT_SHIFT) & 31;
	bool write = iss & ISS_WNR, sse = iss & ISS_SSE, sf = iss & ISS_SF;
	uint8_t b[8];
	uint64_t val = 0;
	int r;
	if ((ex->va & 0xfff) + size > 0x1000) /* straddles a page: part may be RAM */
		return emulate(m, ex);
	if (write) {
		if (srt != 31 && (r = accel_get_reg(v, (enum accel_reg)(ACCEL_REG_X0 + srt), &val)))
			return r;
		le_put(b, size, val);
		if (phys_access(m->mem, ex->ipa, b, size, true))
			return inject_sea(m, ex->va, true, -1, 0);
	} else {
		if (phys_access(m->mem, ex->ipa, b, size, false))
			return inject_sea(m, ex->va, false, -1, 0);
		val = le_get(b, size);
		if (sse && size < 8)
			val = (uint64_t)((int64_t)(val << (64 - 8 * size)) >> (64 - 8 * size));
		if (!sf)
			val = (uint32_t)val;
		if (srt != 31 && (r = accel_set_reg(v, (enum accel_reg)(ACCEL_REG_X0 + srt), val)))
			return r;
	}
	m->n_isv++;
	return advance_pc(v) ?: MMIO_EXIT_DONE;
}

int mmio_exit_access(struct mmio_exit *m, const struct accel_exit *ex)
{
	unsigned n = ex->mmio.len;
	if (ex->reason != ACCEL_EXIT_MMIO || !m->vcpu->ops->mmio_complete || (n != 1 && n != 2 && n != 4 && n != 8))
		return -EINVAL;
	uint8_t b[8];
	le_put(b, n, ex->mmio.data);
	bool ok = !phys_access(m->mem, ex->ipa, b, n, ex->mmio.write);
	if (ok)
		m->n_isv++;
	else
		m->n_unclaimed++;
	int r = m->vcpu->ops->mmio_complete(m->vcpu, ok && !ex->mmio.write ? le_get(b, n) : 0, ok);
	return r ? r : ok ? MMIO_EXIT_DONE : MMIO_EXIT_UNCLAIMED;
}

int mmio_exit_handle(struct mmio_exit *m, const struct accel_exit *ex)
{
	if (ex->reason != ACCEL_EXIT_EXCEPTION || ESR_EC(ex->esr) != EC_DABT_LOWER)
		return -EINVAL;
	uint32_t iss = (uint32_t)ESR_ISS(ex->esr);
	if (iss & ISS_CM) { /* DC/IC by VA on MMIO: nothing to maintain */
		m->n_cm++;
		return advance_pc(m->vcpu) ?: MMIO_EXIT_DONE;
	}
	if (iss & ISS_S1PTW) /* the guest's page tables are not in RAM */
		return inject_sea(m, ex->va, iss & ISS_WNR, -1, 0);
	if (iss & ISS_ISV)
		return syndrome_access(m, ex);
	return emulate(m, ex);
}
