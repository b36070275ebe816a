/* Stage-1 translation for the software CPU: the shared walker
 * (arch/pgwalk.c) reading descriptors from the VM's RAM. Stage 2 is the
 * VM's memory map (mem.c): a walk that reads outside RAM, or from a page the
 * VMM made unreadable, is a stage-2 fault on the walk (S1PTW), which exits
 * to the VMM as Hypervisor.framework would. */
#include "arch/dabt.h"
#include "arch/pgwalk.h"
#include "cpu/features.h"
#include "cpu/internal.h"

/* ID_AA64MMFR0_EL1.PARange -> bits */
static unsigned feat_pa_bits(void)
{
	static const unsigned bits[8] = { 32, 36, 40, 42, 44, 48, 48, 48 };
	return bits[FEAT_ID_AA64MMFR0 & 7];
}

static uint32_t walk_read(void *opaque, uint64_t pa, uint64_t *desc)
{
	struct a64_cpu *c = opaque;
	struct a64_region *r = vm_find_region(c->vm, pa);
	if (!r)
		return 0x07; /* stage-2 translation fault (level 3, as for MMIO) */
	if (!(region_perm(r, (pa - r->ipa) >> 12) & ACCEL_MEM_READ))
		return 0x0f; /* stage-2 permission fault */
	/* 64-bit single-copy atomic: other vCPUs may be writing the table. */
	*desc = __atomic_load_n((const uint64_t *)(const void *)(r->host + (pa - r->ipa)), __ATOMIC_RELAXED);
	return 0;
}

bool mmu_xlate(struct a64_cpu *c, uint64_t va, int access, bool el0, struct pgw_result *res)
{
	struct pgw_regs regs = {
		.sctlr = c->sctlr, .tcr = c->tcr, .ttbr0 = c->ttbr0, .ttbr1 = c->ttbr1,
		.pa_bits = feat_pa_bits(),
	};
	return pgw_translate(&regs, va, access, el0, walk_read, c, res);
}

/* ESR_EL2 for a stage-2 fault on the walk of a DC/IC by VA or an AT
 * (Arm ARM ISS of a Data Abort: CM = 1 for cache maintenance and address
 * translation instructions, and WnR "always returns 1" for them; ISV = 0).
 * For AT S1E0* / S1E1* from EL1 with stage 2 enabled this is an exception
 * to EL2, not a PAR_EL1 result, so it is the VMM's exit too. */
void mmu_walk_s2_exit(struct a64_cpu *c, uint64_t pc, uint64_t va, const struct pgw_result *res)
{
	cpu_exit_to_vmm(c, pc, ACCEL_EXIT_EXCEPTION,
			(uint64_t)EC_DABT_LOWER << 26 | 1u << 25 | ISS_CM | 1u << 7 | ISS_WNR | res->fsc, va, res->ipa);
}

/* For callers without an instruction to report (instruction fetch): a
 * stage-2 fault on the walk of an instruction fetch exits to the VMM here
 * (EC 0x20, S1PTW, PC = the fetch address). For data accesses *fsc is
 * MMU_FSC_S1PTW | the stage-2 code: as ESR bits that is S1PTW (bit 7) and
 * CM (bit 8). Callers that can should exit to the VMM instead (mem.c and
 * exec-system.c do, through mmu_xlate). */
#define MMU_FSC_S1PTW 0x180u
bool mmu_translate_sz(struct a64_cpu *c, uint64_t va, unsigned idx, int access, uint64_t *pa, uint32_t *fsc,
		      unsigned *shift)
{
	struct pgw_result r;
	if (mmu_xlate(c, va, access, idx == MMU_EL0, &r)) {
		*pa = r.pa;
		*shift = r.page_shift;
		return true;
	}
	if (r.fault == PGW_STAGE2) {
		if (access == ACC_EXEC)
			cpu_exit_to_vmm(c, va, ACCEL_EXIT_EXCEPTION,
					(uint64_t)EC_IABT_LOWER << 26 | 1u << 25 | 1u << 7 | r.fsc, va, r.ipa);
		*fsc = MMU_FSC_S1PTW | r.fsc;
		return false;
	}
	*fsc = r.fsc;
	return false;
}

bool mmu_translate(struct a64_cpu *c, uint64_t va, unsigned idx, int access, uint64_t *pa, uint32_t *fsc)
{
	unsigned shift;
	return mmu_translate_sz(c, va, idx, access, pa, fsc, &shift);
}
