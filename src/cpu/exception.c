/* Exception entry and return for EL0/EL1 (Arm ARM D1.10 "Exception entry",
 * D1.10.2 "Exception vectors", D1.11 "Exception return", and the shared
 * pseudocode AArch64.TakeException / AArch64.ExceptionReturn /
 * IllegalExceptionReturn).
 *
 * Everything is taken to EL1 (there is no EL2/EL3 in the guest's view; what
 * a hypervisor would take goes to the VMM through cpu_exit_to_vmm instead).
 * Entry: SPSR_EL1 = PSTATE, ELR_EL1 = preferred return address, ESR_EL1 =
 * syndrome (IL = 1 for every A64 exception), FAR_EL1 for aborts and
 * alignment faults only (otherwise left as it was: UNKNOWN), PSTATE = EL1h
 * with D, A, I and F masked, SS and IL cleared, the local exclusive monitor
 * cleared, PC = VBAR_EL1 + origin offset + type offset. */
#include <stdio.h>
#include "cpu/internal.h"

uint64_t cpu_get_spsr_pstate(const struct a64_cpu *c)
{
	return pstate_nzcv(c) | (uint64_t)c->pstate_pan << 22 | (uint64_t)c->pstate_ss << 21 |
	       (uint64_t)c->pstate_il << 20 | c->daif | c->el << 2 | c->spsel;
}

/* CPACR_EL1.FPEN: 0b01 enables EL1 only, 0b11 both EL0 and EL1, 0b00/0b10
 * neither. */
void cpu_update_fp_enabled(struct a64_cpu *c)
{
	unsigned fpen = (unsigned)(c->cpacr >> 20) & 3;
	c->fp_enabled = fpen == 3 || (fpen == 1 && c->el == 1);
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
	c->dtlb = c->tlb[c->mmu_idx];
	cpu_update_fp_enabled(c);
}

/* ERET (and the VMM setting CPSR goes through regs.c): the SPSR's mode
 * must be EL0t, EL1t or EL1h, no higher than the current EL; anything else
 * (AArch32, EL2/EL3, the reserved M encodings) is an illegal return: EL and
 * SP selection stay as they are, PSTATE.IL is set (the next instruction
 * then takes an Illegal Execution state exception), and NZCV and DAIF are
 * still restored from the SPSR. PAN is not implemented (RES0). */
void cpu_set_pstate_from_spsr(struct a64_cpu *c, uint64_t spsr)
{
	unsigned m = spsr & 0x1f;
	bool legal = m == 0x0 || m == 0x4 || m == 0x5;
	if (legal && (m >> 2) > c->el)
		legal = false;
	set_nzcv(c, spsr);
	c->daif = spsr & 0x3c0;
	c->pstate_ss = 0; /* no software step: MDSCR_EL1.SS has no effect */
	if (legal) {
		cpu_set_el_spsel(c, m >> 2, m & 1);
		c->pstate_il = (spsr >> 20) & 1;
	} else {
		c->pstate_il = 1;
	}
}

/* Vector offsets (Arm ARM D1.10.2): current EL with SP_EL0 0x000, current
 * EL with SP_ELx 0x200, lower EL using AArch64 0x400; plus 0x80 per type
 * (0 synchronous, 1 IRQ, 2 FIQ, 3 SError). */
static void enter_el1(struct a64_cpu *c, uint64_t ret_pc, unsigned type)
{
	uint64_t off;
	if (c->el == 0)
		off = 0x400;
	else
		off = c->spsel ? 0x200 : 0x000;
	c->stats.exceptions++;
	c->spsr_el1 = cpu_get_spsr_pstate(c);
	c->elr_el1 = ret_pc;
	cpu_set_el_spsel(c, 1, 1);
	c->daif = 0x3c0;
	c->pstate_ss = 0;
	c->pstate_il = 0;
	c->excl_addr = ~0ull; /* ClearExclusiveLocal on exception entry */
	c->pc = c->vbar + off + type * 0x80;
	/* A guest whose vector faults on itself (garbage firmware, VBAR on
	 * nothing) spins forever, as on hardware; say so once, like QEMU's
	 * guest-error log, instead of spinning silently. */
	if (type == 0 && c->pc == ret_pc) {
		if (++c->self_vector_loops == 100000 && !c->self_vector_reported) {
			c->self_vector_reported = true;
			fprintf(stderr, "avmm: guest error: the CPU takes exception ESR 0x%08x at 0x%llx, which is that "
					"exception's own vector, over and over: no progress is possible (check -kernel/-bios)\n",
				(unsigned)c->esr_el1, (unsigned long long)ret_pc);
		}
	} else {
		c->self_vector_loops = 0;
	}
}

NORETURN void cpu_exception(struct a64_cpu *c, uint64_t pc, uint32_t esr, uint64_t far, bool has_far)
{
	c->esr_el1 = esr;
	if (has_far)
		c->far_el1 = far;
	enter_el1(c, pc, 0);
	longjmp(c->jb, RUN_CONTINUE);
}

NORETURN void cpu_undef(struct a64_cpu *c, const dinsn *d)
{
	c->stats.undef++;
	cpu_exception(c, insn_pc(c, d), (uint32_t)EC_UNKNOWN << 26 | 1u << 25, 0, false);
}

/* Access to FP/SIMD with CPACR_EL1.FPEN not enabling it: EC 0x07. For
 * exceptions taken from AArch64 the ISS holds CV = 1, COND = 0b1110. */
NORETURN void cpu_fp_trap(struct a64_cpu *c, const dinsn *d)
{
	cpu_exception(c, insn_pc(c, d), (uint32_t)EC_FP_ACCESS << 26 | 1u << 25 | 1u << 24 | 0xeu << 20, 0,
		      false);
}

/* Called by the run loop at instruction boundaries. The VMM's IRQ/FIQ
 * lines are HVF's virtual interrupts (HCR_EL2.VI/VF): at EL0 and EL1 they
 * are masked by PSTATE.I/F. FIQ is taken before IRQ when both are
 * deliverable. Returns true with c->pc at the vector when one was taken. */
bool cpu_irq_entry(struct a64_cpu *c, uint64_t pc, bool irq, bool fiq);
bool cpu_irq_entry(struct a64_cpu *c, uint64_t pc, bool irq, bool fiq)
{
	unsigned type;
	if (fiq && !(c->daif & (1u << 6)))
		type = 2;
	else if (irq && !(c->daif & (1u << 7)))
		type = 1;
	else
		return false;
	enter_el1(c, pc, type);
	return true;
}
