/* PSCI 1.1 (Arm DEN0022) and SMCCC 1.1 (DEN0028) over HVC. */
#include "vmm/psci.h"

#define SMCCC_VERSION 0x80000000u
#define SMCCC_ARCH_FEATURES 0x80000001u
#define PSCI_VERSION 0x84000000u
#define PSCI_CPU_SUSPEND 0x84000001u
#define PSCI_CPU_OFF 0x84000002u
#define PSCI_CPU_ON 0x84000003u
#define PSCI_AFFINITY_INFO 0x84000004u
#define PSCI_MIGRATE 0x84000005u
#define PSCI_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_MIGRATE_INFO_UP_CPU 0x84000007u
#define PSCI_SYSTEM_OFF 0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u
#define PSCI_FEATURES 0x8400000au
#define PSCI_SYSTEM_RESET2 0x84000012u
#define SMC64 0x40000000u

static uint64_t ret(int v)
{
	return (uint64_t)(int64_t)v;
}

/* The functions we implement, in both calling conventions where PSCI
 * defines an SMC64 form. */
static bool implemented(uint32_t fn)
{
	switch (fn) {
	case PSCI_VERSION: case PSCI_CPU_SUSPEND: case PSCI_CPU_SUSPEND | SMC64: case PSCI_CPU_OFF:
	case PSCI_CPU_ON: case PSCI_CPU_ON | SMC64: case PSCI_AFFINITY_INFO: case PSCI_AFFINITY_INFO | SMC64:
	case PSCI_MIGRATE_INFO_TYPE: case PSCI_SYSTEM_OFF: case PSCI_SYSTEM_RESET: case PSCI_FEATURES:
	case PSCI_SYSTEM_RESET2: case PSCI_SYSTEM_RESET2 | SMC64:
		return true;
	default:
		return false;
	}
}

enum psci_action psci_call(const struct psci_ops *ops, uint16_t imm, uint64_t regs[4])
{
	uint32_t fn = (uint32_t)regs[0] & ~(1u << 16); /* bit 16: SVE hint, ignored */
	bool is64 = fn & SMC64;
	uint64_t a1 = is64 ? regs[1] : (uint32_t)regs[1];
	uint64_t a2 = is64 ? regs[2] : (uint32_t)regs[2];
	uint64_t a3 = is64 ? regs[3] : (uint32_t)regs[3];
	if (imm != 0) { /* non-zero immediates are reserved (SMCCC §2.9) */
		regs[0] = ret(PSCI_RET_NOT_SUPPORTED);
		return PSCI_ACT_RETURN;
	}
	switch (fn) {
	case SMCCC_VERSION:
		regs[0] = 0x10001; /* 1.1 */
		return PSCI_ACT_RETURN;
	case SMCCC_ARCH_FEATURES:
		/* SMCCC_VERSION is implied; no Spectre workaround calls. */
		regs[0] = ret((uint32_t)a1 == SMCCC_VERSION ? 0 : PSCI_RET_NOT_SUPPORTED);
		return PSCI_ACT_RETURN;
	case PSCI_VERSION:
		regs[0] = 0x10001; /* 1.1 */
		return PSCI_ACT_RETURN;
	case PSCI_FEATURES:
		regs[0] = ret(implemented((uint32_t)a1) || (uint32_t)a1 == SMCCC_VERSION ? 0
										   : PSCI_RET_NOT_SUPPORTED);
		return PSCI_ACT_RETURN;
	case PSCI_CPU_SUSPEND:
	case PSCI_CPU_SUSPEND | SMC64:
		/* Every power state is implemented as standby: it returns as if
		 * woken by an interrupt (allowed for power-down states too). */
		regs[0] = ret(PSCI_RET_SUCCESS);
		return PSCI_ACT_SUSPEND;
	case PSCI_CPU_OFF:
		return PSCI_ACT_CPU_OFF;
	case PSCI_CPU_ON:
	case PSCI_CPU_ON | SMC64:
		regs[0] = ret(ops->cpu_on(ops->opaque, a1, a2, a3));
		return PSCI_ACT_RETURN;
	case PSCI_AFFINITY_INFO:
	case PSCI_AFFINITY_INFO | SMC64:
		/* Only level 0 is meaningful on this flat topology. */
		regs[0] = ret(a2 > 0 ? PSCI_RET_INVALID_PARAMS : ops->affinity_info(ops->opaque, a1));
		return PSCI_ACT_RETURN;
	case PSCI_MIGRATE_INFO_TYPE:
		regs[0] = 2; /* no Trusted OS: migration not required */
		return PSCI_ACT_RETURN;
	case PSCI_SYSTEM_OFF:
		return PSCI_ACT_SYSTEM_OFF;
	case PSCI_SYSTEM_RESET:
		return PSCI_ACT_SYSTEM_RESET;
	case PSCI_SYSTEM_RESET2:
	case PSCI_SYSTEM_RESET2 | SMC64:
		if (a1 & (1ull << 31) || a1 == 0)
			return PSCI_ACT_SYSTEM_RESET; /* warm reset and vendor resets: a reset */
		regs[0] = ret(PSCI_RET_INVALID_PARAMS);
		return PSCI_ACT_RETURN;
	default:
		regs[0] = ret(PSCI_RET_NOT_SUPPORTED);
		return PSCI_ACT_RETURN;
	}
}
