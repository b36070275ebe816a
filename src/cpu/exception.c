/* Exception entry and return for EL0/EL1 (Arm ARM D1.10: exception entry,
 * "AArch64 exception vector table"). */
#include "cpu/internal.h"

uint64_t cpu_get_spsr_pstate(const struct a64_cpu *c)
{
	return pstate_nzcv(c) | (uint64_t)c->pstate_pan << 22 | (uint64_t)c->pstate_ss << 21 |
	       (uint64_t)c->pstate_il << 20 | c->daif | c->el << 2 | c->spsel;
}

void cpu_set_el_spsel(struct a64_cpu *c, unsigned el, unsigned spsel)
{
	unsigned old = c->spsel ? c->el : 0, nw = spsel ? el : 0;
	if (old != nw) {
		c->sp_el[old] = c->x[REG_SP];
		c->x[REG_SP] = c->sp_el[nw];
	}
	c->el = el;
	c->spsel = spsel;
	c->mmu_idx = el ? MMU_EL1 : MMU_EL0;
}

/* ERET / setting CPSR: an illegal target leaves EL and SP alone and sets
 * PSTATE.IL (Arm ARM "Illegal return events from AArch64 state"). */
void cpu_set_pstate_from_spsr(struct a64_cpu *c, uint64_t spsr)
{
	unsigned m = spsr & 0x1f;
	bool legal = m == 0x0 || m == 0x4 || m == 0x5;
	if (legal && (m >> 2) > c->el)
		legal = false;
	set_nzcv(c, spsr);
	c->daif = spsr & 0x3c0;
	c->pstate_ss = 0;
	if (legal) {
		cpu_set_el_spsel(c, m >> 2, m & 1);
		c->pstate_il = (spsr >> 20) & 1;
	} else {
		c->pstate_il = 1;
	}
}

static NORETURN void enter_el1(struct a64_cpu *c, uint64_t ret_pc, unsigned type)
{
	uint64_t off;
	if (c->el == 0)
		off = 0x400;
	else
		off = c->spsel ? 0x200 : 0x000;
	c->spsr_el1 = cpu_get_spsr_pstate(c);
	c->elr_el1 = ret_pc;
	cpu_set_el_spsel(c, 1, 1);
	c->daif = 0x3c0;
	c->pstate_ss = 0;
	c->pstate_il = 0;
	c->pc = c->vbar + off + type * 0x80;
	longjmp(c->jb, RUN_CONTINUE);
}

NORETURN void cpu_exception(struct a64_cpu *c, uint64_t pc, uint32_t esr, uint64_t far, bool has_far)
{
	c->esr_el1 = esr;
	if (has_far)
		c->far_el1 = far;
	enter_el1(c, pc, 0);
}

NORETURN void cpu_undef(struct a64_cpu *c, const dinsn *d)
{
	c->stats.undef++;
	cpu_exception(c, insn_pc(c, d), (uint32_t)EC_UNKNOWN << 26 | 1u << 25, 0, false);
}

/* Called by the run loop between chunks. Returns true with c->pc at the
 * vector when an interrupt was taken. */
bool cpu_irq_entry(struct a64_cpu *c, uint64_t pc, bool irq, bool fiq)
{
	unsigned type;
	if (fiq && !(c->daif & (1u << 6)))
		type = 2;
	else if (irq && !(c->daif & (1u << 7)))
		type = 1;
	else
		return false;
	uint64_t off = c->el == 0 ? 0x400 : (c->spsel ? 0x200 : 0x000);
	c->spsr_el1 = cpu_get_spsr_pstate(c);
	c->elr_el1 = pc;
	cpu_set_el_spsel(c, 1, 1);
	c->daif = 0x3c0;
	c->pstate_ss = 0;
	c->pstate_il = 0;
	c->pc = c->vbar + off + type * 0x80;
	return true;
}
