/* Completing a guest data abort (EC 0x24) that the accelerator handed to the
 * VMM, for every backend (facts/hvapi.md §4.2, facts/vmapple.md §3-4):
 *  - CM=1 (cache maintenance by VA on MMIO): nothing to do, PC += 4;
 *  - ISV=1: the syndrome gives width, register, sign extension, direction:
 *    one access of exactly that width at the IPA, PC += 4;
 *  - ISV=0: the instruction is fetched from guest memory at PC (translated
 *    with the guest's own stage-1 tables, src/arch/pgwalk.h) and executed by
 *    the load/store emulator (src/arch/insn-emu.h), whose data accesses are
 *    translated the same way and then go to RAM (the caller's lookup) or to
 *    the MMIO bus (the caller's callbacks) at their exact widths; PC += 4.
 *    A 16-byte access to MMIO reaches the device as two 8-byte accesses,
 *    lower address first; an access that straddles pages is split at the
 *    page boundary, each part going to RAM or MMIO on its own.
 *  - Every page an emulated access touches is checked against the guest's
 *    stage-1 tables with the access's real privilege (LDTR/STTR as EL0
 *    unless PSTATE.UAO, PSTATE.PAN honoured, read/write/both for atomics),
 *    because the hardware checked only the page it faulted on. A page that
 *    fails gets the data abort the Arm ARM gives (translation, access flag,
 *    address size, permission or alignment fault, FAR in the faulting page,
 *    WnR), before any part of the instruction reached RAM or a device:
 *    MMIO_EXIT_FAULT.
 *  - When the access cannot be done (no device there, an instruction the
 *    emulator does not handle, page tables outside RAM, an instruction
 *    fetch whose translation fails now), a synchronous
 *    external abort is injected into the guest as KVM does (data abort,
 *    EC 0x24/0x25 as the guest sees it, FnV=1, DFSC 0x10), by writing
 *    ESR/FAR/ELR/SPSR_EL1, CPSR and PC through the accelerator interface,
 *    since HVF has no injection helper. The VM is never stopped.
 *
 * Independent of the vCPU loop: it needs only the vCPU, the accelerator
 * interface and the memory callbacks below. EL1&0 translation regime only
 * (no EL2 in the guest). Little-endian guests only: with
 * SCTLR_EL1.EE/E0E set an ISV=0 abort is answered with an external abort. */
#ifndef AVMM_VMM_MMIO_EXIT_H
#define AVMM_VMM_MMIO_EXIT_H

#include <stdbool.h>
#include <stdint.h>

#include "accel/accel.h"
#include "arch/insn-emu.h"

struct mmio_exit_mem {
	/* Host address of guest RAM [ipa, ipa + len), if that range is RAM
	 * inside one mapping; NULL otherwise. */
	void *(*ram)(void *opaque, uint64_t ipa, uint64_t len);
	/* One MMIO access of size 1, 2, 4 or 8 at ipa; false if no device
	 * claims it. */
	bool (*read)(void *opaque, uint64_t ipa, unsigned size, uint64_t *val);
	bool (*write)(void *opaque, uint64_t ipa, unsigned size, uint64_t val);
	/* Optional: is a device behind [ipa, ipa + len)? No side effects. Used
	 * to check a store of several accesses before making any, so one that
	 * would fault part-way reaches no device. NULL: assume there is. */
	bool (*present)(void *opaque, uint64_t ipa, uint64_t len);
	void *opaque;
};

/* Per-vCPU state: set vcpu, mem and features, zero the rest. */
struct mmio_exit {
	struct accel_vcpu *vcpu;
	const struct mmio_exit_mem *mem;
	unsigned features;               /* INSN_EMU_F_*: what the vCPU implements */
	struct insn_emu_monitor monitor; /* exclusives to MMIO */
	/* counters */
	uint64_t n_isv, n_emulated, n_cm, n_injected;
	uint64_t n_unclaimed; /* ACCEL_EXIT_MMIO with no device there */
	uint64_t n_s1_faults; /* stage-1 faults of the guest's own tables injected (MMIO_EXIT_FAULT) */
	/* the last injected abort, for diagnostics */
	uint64_t last_inject_pc, last_inject_va;
	uint32_t last_insn;
	int last_reason; /* enum insn_emu_result, or -1: fetch/translation failed */
};

enum {
	MMIO_EXIT_DONE = 0,     /* access completed, PC advanced */
	MMIO_EXIT_INJECTED = 1, /* an abort was injected into the guest */
	MMIO_EXIT_UNCLAIMED = 2, /* no device: the accelerator answers (mmio_complete) */
	MMIO_EXIT_FAULT = 3,    /* the guest's stage-1 tables forbid the access: its fault was injected */
};

/* Perform an ACCEL_EXIT_MMIO (an access the accelerator decoded itself,
 * KVM's ISV=1 path) on RAM or the MMIO bus and hand the result back through
 * the backend's mmio_complete. Returns MMIO_EXIT_DONE, MMIO_EXIT_UNCLAIMED
 * or a negative errno. */
int mmio_exit_access(struct mmio_exit *m, const struct accel_exit *ex);

/* Complete the data-abort exit `ex` (EC 0x24). Returns MMIO_EXIT_DONE,
 * MMIO_EXIT_INJECTED or MMIO_EXIT_FAULT, or a negative errno if the accelerator failed (or
 * the exit is not a data abort). */
int mmio_exit_handle(struct mmio_exit *m, const struct accel_exit *ex);

/* Inject a synchronous data abort into the guest at its current PC, as
 * the architecture's exception entry to EL1 does: ESR_EL1 = esr (EC 0x24
 * from EL0, 0x25 from EL1 is chosen here; pass the ISS), FAR_EL1 = far. */
int mmio_exit_inject_dabt(struct accel_vcpu *v, uint32_t iss, uint64_t far);

#endif
