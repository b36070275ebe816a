/* PSCI 1.1 and the SMCCC architecture calls, answered by the VMM for every
 * backend (facts/hvapi.md §5). The machine supplies the power operations. */
#ifndef AVMM_VMM_PSCI_H
#define AVMM_VMM_PSCI_H

#include <stdbool.h>
#include <stdint.h>

#define PSCI_RET_SUCCESS 0
#define PSCI_RET_NOT_SUPPORTED (-1)
#define PSCI_RET_INVALID_PARAMS (-2)
#define PSCI_RET_DENIED (-3)
#define PSCI_RET_ALREADY_ON (-4)
#define PSCI_RET_ON_PENDING (-5)
#define PSCI_RET_INTERNAL_FAILURE (-6)
#define PSCI_RET_NOT_PRESENT (-7)
#define PSCI_RET_DISABLED (-8)
#define PSCI_RET_INVALID_ADDRESS (-9)

struct psci_ops {
	/* CPU_ON: returns a PSCI_RET_* code. */
	int (*cpu_on)(void *opaque, uint64_t target_mpidr, uint64_t entry, uint64_t context_id);
	/* AFFINITY_INFO at level 0: 0 ON, 1 OFF, 2 ON_PENDING, or a negative
	 * PSCI_RET_* code for an unknown MPIDR. */
	int (*affinity_info)(void *opaque, uint64_t target_mpidr);
	void *opaque;
};

/* What the caller must do after psci_call(). */
enum psci_action {
	PSCI_ACT_RETURN,       /* results are in regs[0..3]: resume the vCPU */
	PSCI_ACT_CPU_OFF,      /* stop this vCPU (until a CPU_ON) */
	PSCI_ACT_SUSPEND,      /* standby: like WFI, then return (regs[0] set) */
	PSCI_ACT_SYSTEM_OFF,
	PSCI_ACT_SYSTEM_RESET,
};

/* Handle an SMCCC call from HVC/SMC with immediate imm: regs[0..3] are X0-X3
 * on entry and the results on return. Unknown calls (and non-zero
 * immediates) return NOT_SUPPORTED, as SMCCC says. */
enum psci_action psci_call(const struct psci_ops *ops, uint16_t imm, uint64_t regs[4]);

#endif
