/* The accelerator interface: one small contract with Hypervisor.framework's
 * semantics (facts/hvapi.md §1-2), implemented by the soft CPU, HVF and KVM.
 *
 * Threading: a vCPU belongs to the thread that created it; every call on it
 * must come from that thread, except accel_vcpus_exit().
 * Errors: 0 on success, a negative errno otherwise. */
#ifndef AVMM_ACCEL_H
#define AVMM_ACCEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct accel_vm;
struct accel_vcpu;

enum accel_kind { ACCEL_SOFT, ACCEL_HVF, ACCEL_KVM };

/* Exit reasons: same numbering as hv_exit_reason_t. */
enum accel_exit_reason {
	ACCEL_EXIT_CANCELED = 0,
	ACCEL_EXIT_EXCEPTION = 1,
	ACCEL_EXIT_VTIMER_ACTIVATED = 2,
	ACCEL_EXIT_UNKNOWN = 3,
	/* Beyond HVF, for accelerators that decode more themselves (KVM): */
	ACCEL_EXIT_MMIO = 4,         /* an access the accelerator decoded: see mmio_complete */
	ACCEL_EXIT_SYSTEM_EVENT = 5, /* the guest's PSCI SYSTEM_OFF/RESET, handled in the accelerator */
};

enum accel_event { ACCEL_EVENT_OFF = 0, ACCEL_EVENT_RESET = 1, ACCEL_EVENT_CRASH = 2 };

/* What a run returns: the reason and, for exceptions, ESR_EL2 as HVF
 * reports it, the faulting VA (FAR) and the faulting IPA. ACCEL_EXIT_MMIO:
 * the IPA and the access (1, 2, 4 or 8 bytes; a write's value); the VMM
 * performs it and calls mmio_complete before the next run, the accelerator
 * writes the target register and advances PC. ACCEL_EXIT_SYSTEM_EVENT: the
 * event (enum accel_event). */
struct accel_exit {
	uint32_t reason;
	uint64_t esr;
	uint64_t va;
	uint64_t ipa;
	struct {
		uint32_t len;
		bool write;
		uint64_t data;
	} mmio;
	uint32_t event;
};

/* accel_ops.caps */
enum {
	/* PSCI, WFI, the vtimer and the GIC are inside the accelerator (KVM):
	 * it needs the in-kernel GIC; the VMM creates the vCPUs in index order
	 * before any of them runs, starts vCPU 0 at the boot entry and lets
	 * every other vCPU thread go straight into run, where the accelerator
	 * holds it until the guest's CPU_ON; no HVC/SMC/WFI exits reach the VMM. */
	ACCEL_CAP_KERNEL_PSCI = 1u << 0,
};

/* General registers: same numbering as hv_reg_t. SP is a system register
 * (SP_EL0 / SP_EL1), as in HVF. */
enum accel_reg {
	ACCEL_REG_X0 = 0, /* ... X30 = 30 */
	ACCEL_REG_PC = 31,
	ACCEL_REG_FPCR = 32,
	ACCEL_REG_FPSR = 33,
	ACCEL_REG_CPSR = 34,
};

/* Memory permissions for map/protect: same values as hv_memory_flags_t. */
enum {
	ACCEL_MEM_READ = 1u << 0,
	ACCEL_MEM_WRITE = 1u << 1,
	ACCEL_MEM_EXEC = 1u << 2,
};

enum accel_irq_type { ACCEL_IRQ = 0, ACCEL_FIQ = 1 };

/* System registers are named by their encoding, as hv_sys_reg_t does. */
#define ACCEL_SYSREG(op0, op1, crn, crm, op2) \
	((uint16_t)((op0) << 14 | (op1) << 11 | (crn) << 7 | (crm) << 3 | (op2)))

struct accel_vm_config {
	uint32_t ipa_bits;     /* 0: backend default */
	uint64_t cntfrq_hz;    /* soft backend: generic timer frequency; 0: 24 MHz */
	bool pauth;            /* soft: implement and advertise FEAT_PAuth; hvf: require it of the host */
	uint8_t hvc0_mode;     /* soft backend: enum accel_hvc0_mode */
	bool el2;              /* guest EL2 (nested virtualization): hvf only, if the host has it */
};

/* An interrupt controller inside the accelerator (HVF's hv_gic on macOS 15,
 * KVM's vGICv3): a GICv3 whose distributor, redistributors (one
 * 2 x 64 KiB frame per vCPU, contiguous) and GICv2m-style MSI frame the
 * guest reaches without exits, whose CPU interface needs no ICC_* traps and
 * which takes the vtimer as PPI 27 itself. Created after the VM and before
 * any vCPU. */
struct accel_gic_config {
	unsigned num_cpus;
	uint64_t dist_base;
	uint64_t redist_base, redist_size; /* the window the machine reserved */
	uint64_t msi_base;                 /* 0: no MSI frame */
	uint64_t its_base;                 /* 0: no ITS (KVM's in-kernel ITS) */
	uint32_t msi_spi_base, msi_spi_count;
	uint64_t redist_used; /* out: the region the GIC's redistributors take
			       * (one per vCPU the backend supports, which can
			       * be more than num_cpus): the device tree's size */
};

/* How the soft backend treats `hvc #0` with x0 in Apple's 0xC1xxxxxx CPU
 * service range (facts/hvapi.md §2.2): as an ordinary HVC exit, or answered
 * internally the way HVF does without / with the private ISA level. */
enum accel_hvc0_mode {
	ACCEL_HVC0_EXIT = 0,
	ACCEL_HVC0_HVF_PUBLIC = 1,   /* x0 = 0xFFFFFFFF, no exit */
	ACCEL_HVC0_HVF_PRIVATE = 2,  /* the services answered internally */
};

struct accel_ops {
	const char *name;
	unsigned caps; /* ACCEL_CAP_* */
	int (*vm_create)(const struct accel_vm_config *cfg, struct accel_vm **out);
	void (*vm_destroy)(struct accel_vm *vm);
	/* The VM's guest physical (IPA) address size in bits: RAM must end
	 * below 1 << ipa_bits. NULL: not known before a map fails. */
	unsigned (*ipa_bits)(struct accel_vm *vm);
	int (*map)(struct accel_vm *vm, void *host, uint64_t ipa, uint64_t size, unsigned flags);
	int (*unmap)(struct accel_vm *vm, uint64_t ipa, uint64_t size);
	int (*protect)(struct accel_vm *vm, uint64_t ipa, uint64_t size, unsigned flags);

	int (*vcpu_create)(struct accel_vm *vm, struct accel_vcpu **out, const struct accel_exit **exit);
	void (*vcpu_destroy)(struct accel_vcpu *vcpu);
	int (*vcpu_run)(struct accel_vcpu *vcpu);
	int (*get_reg)(struct accel_vcpu *vcpu, enum accel_reg reg, uint64_t *val);
	int (*set_reg)(struct accel_vcpu *vcpu, enum accel_reg reg, uint64_t val);
	int (*get_simd)(struct accel_vcpu *vcpu, unsigned reg, uint8_t val[16]);
	int (*set_simd)(struct accel_vcpu *vcpu, unsigned reg, const uint8_t val[16]);
	int (*get_sysreg)(struct accel_vcpu *vcpu, uint16_t enc, uint64_t *val);
	int (*set_sysreg)(struct accel_vcpu *vcpu, uint16_t enc, uint64_t val);
	int (*set_pending_interrupt)(struct accel_vcpu *vcpu, enum accel_irq_type type, bool pending);
	int (*get_vtimer_mask)(struct accel_vcpu *vcpu, bool *masked);
	int (*set_vtimer_mask)(struct accel_vcpu *vcpu, bool masked);
	int (*get_vtimer_offset)(struct accel_vcpu *vcpu, uint64_t *offset);
	int (*set_vtimer_offset)(struct accel_vcpu *vcpu, uint64_t offset);
	/* MDCR_EL2.TDE: route BRK/breakpoint/step/watchpoint to the VMM. */
	int (*set_trap_debug_exceptions)(struct accel_vcpu *vcpu, bool trap);
	/* Any thread: make the listed vCPUs exit with ACCEL_EXIT_CANCELED;
	 * remembered if a vCPU is not running. */
	int (*vcpus_exit)(struct accel_vcpu *const *vcpus, unsigned count);
	/* The in-kernel GIC (struct accel_gic_config); NULL when the backend has
	 * none. gic_create: -ENOTSUP when this host lacks it (the caller may
	 * fall back to a GIC of its own), other errors after a message. Then
	 * any thread: gic_set_spi (INTID 32..; a level, or an edge for
	 * edge-triggered SPIs), gic_send_msi (an MSI write: on HVF the MSI
	 * frame's SETSPI address and the SPI INTID as data; on KVM the ITS's
	 * GITS_TRANSLATER and the EventID, with the requester's DeviceID). */
	int (*gic_create)(struct accel_vm *vm, struct accel_gic_config *cfg);
	int (*gic_set_spi)(struct accel_vm *vm, unsigned intid, bool level);
	int (*gic_send_msi)(struct accel_vm *vm, uint64_t addr, uint32_t data, uint32_t devid);
	/* Any thread: the VMM wrote instructions into guest RAM through its
	 * mapping (host, size bytes); vCPUs fetch the new ones from now on. */
	void (*code_written)(struct accel_vm *vm, void *host, size_t size);
	/* After ACCEL_EXIT_MMIO (NULL when the backend has no such exit): the
	 * value a read returns; ok false when no device answered (the backend
	 * says what the guest sees then). */
	int (*mmio_complete)(struct accel_vcpu *vcpu, uint64_t val, bool ok);
	/* System reset, after every vCPU has been destroyed and before any is
	 * created again: the VM's own state (the in-kernel GIC above all) goes
	 * back to what vm_create + map + gic_create gave; memory contents and
	 * the map stay. NULL: the VM keeps nothing a reset must clear (soft). */
	int (*vm_reset)(struct accel_vm *vm);
};

/* Every VM and vCPU handle starts with its ops pointer. */
struct accel_vm { const struct accel_ops *ops; };
struct accel_vcpu { const struct accel_ops *ops; };

extern const struct accel_ops accel_soft_ops;

/* Backend by name ("soft", "hvf", "kvm"); NULL if not built in. */
const struct accel_ops *accel_find(const char *name);
/* The default for this host: hvf on macOS, kvm on Linux arm64, else soft. */
const char *accel_default_name(void);

static inline int accel_vm_create(const struct accel_ops *ops, const struct accel_vm_config *cfg,
				  struct accel_vm **out)
{
	return ops->vm_create(cfg, out);
}
static inline void accel_vm_destroy(struct accel_vm *vm) { vm->ops->vm_destroy(vm); }
static inline void accel_code_written(struct accel_vm *vm, void *host, size_t size)
{
	vm->ops->code_written(vm, host, size);
}
static inline int accel_vm_reset(struct accel_vm *vm)
{
	return vm->ops->vm_reset ? vm->ops->vm_reset(vm) : 0;
}
static inline int accel_map(struct accel_vm *vm, void *host, uint64_t ipa, uint64_t size, unsigned flags)
{
	return vm->ops->map(vm, host, ipa, size, flags);
}
static inline int accel_unmap(struct accel_vm *vm, uint64_t ipa, uint64_t size)
{
	return vm->ops->unmap(vm, ipa, size);
}
static inline int accel_protect(struct accel_vm *vm, uint64_t ipa, uint64_t size, unsigned flags)
{
	return vm->ops->protect(vm, ipa, size, flags);
}
static inline int accel_vcpu_create(struct accel_vm *vm, struct accel_vcpu **out, const struct accel_exit **exit)
{
	return vm->ops->vcpu_create(vm, out, exit);
}
static inline void accel_vcpu_destroy(struct accel_vcpu *v) { v->ops->vcpu_destroy(v); }
static inline int accel_vcpu_run(struct accel_vcpu *v) { return v->ops->vcpu_run(v); }
static inline int accel_get_reg(struct accel_vcpu *v, enum accel_reg r, uint64_t *val)
{
	return v->ops->get_reg(v, r, val);
}
static inline int accel_set_reg(struct accel_vcpu *v, enum accel_reg r, uint64_t val)
{
	return v->ops->set_reg(v, r, val);
}
static inline int accel_get_simd(struct accel_vcpu *v, unsigned r, uint8_t val[16])
{
	return v->ops->get_simd(v, r, val);
}
static inline int accel_set_simd(struct accel_vcpu *v, unsigned r, const uint8_t val[16])
{
	return v->ops->set_simd(v, r, val);
}
static inline int accel_get_sysreg(struct accel_vcpu *v, uint16_t enc, uint64_t *val)
{
	return v->ops->get_sysreg(v, enc, val);
}
static inline int accel_set_sysreg(struct accel_vcpu *v, uint16_t enc, uint64_t val)
{
	return v->ops->set_sysreg(v, enc, val);
}
static inline int accel_set_pending_interrupt(struct accel_vcpu *v, enum accel_irq_type t, bool p)
{
	return v->ops->set_pending_interrupt(v, t, p);
}
static inline int accel_set_trap_debug_exceptions(struct accel_vcpu *v, bool trap)
{
	return v->ops->set_trap_debug_exceptions(v, trap);
}

/* Frequently used system register encodings (facts/hvapi.md §1.4). */
enum {
	SYSREG_MIDR_EL1 = 0xc000,
	SYSREG_MPIDR_EL1 = 0xc005,
	SYSREG_SCTLR_EL1 = 0xc080,
	SYSREG_CPACR_EL1 = 0xc082,
	SYSREG_TTBR0_EL1 = 0xc100,
	SYSREG_TTBR1_EL1 = 0xc101,
	SYSREG_TCR_EL1 = 0xc102,
	SYSREG_APIAKEYLO_EL1 = 0xc108, SYSREG_APIAKEYHI_EL1 = 0xc109,
	SYSREG_APIBKEYLO_EL1 = 0xc10a, SYSREG_APIBKEYHI_EL1 = 0xc10b,
	SYSREG_APDAKEYLO_EL1 = 0xc110, SYSREG_APDAKEYHI_EL1 = 0xc111,
	SYSREG_APDBKEYLO_EL1 = 0xc112, SYSREG_APDBKEYHI_EL1 = 0xc113,
	SYSREG_APGAKEYLO_EL1 = 0xc118, SYSREG_APGAKEYHI_EL1 = 0xc119,
	SYSREG_SPSR_EL1 = 0xc200,
	SYSREG_ELR_EL1 = 0xc201,
	SYSREG_SP_EL0 = 0xc208,
	SYSREG_ESR_EL1 = 0xc290,
	SYSREG_FAR_EL1 = 0xc300,
	SYSREG_PAR_EL1 = 0xc3a0,
	SYSREG_MAIR_EL1 = 0xc510,
	SYSREG_VBAR_EL1 = 0xc600,
	SYSREG_TPIDR_EL1 = 0xc684,
	SYSREG_TPIDR_EL0 = 0xde82,
	SYSREG_TPIDRRO_EL0 = 0xde83,
	SYSREG_CNTV_CTL_EL0 = 0xdf19,
	SYSREG_CNTV_CVAL_EL0 = 0xdf1a,
	SYSREG_SP_EL1 = 0xe208,
};

/* ESR fields used across the VMM. */
#define ESR_EC(esr) (((esr) >> 26) & 0x3f)
#define ESR_ISS(esr) ((esr) & 0x1ffffff)
enum {
	EC_UNKNOWN = 0x00, EC_WFX = 0x01, EC_FP_ACCESS = 0x07, EC_ILLEGAL_STATE = 0x0e,
	EC_SVC64 = 0x15, EC_HVC64 = 0x16, EC_SMC64 = 0x17, EC_SYSREG = 0x18,
	EC_IABT_LOWER = 0x20, EC_IABT_CUR = 0x21, EC_PC_ALIGN = 0x22,
	EC_DABT_LOWER = 0x24, EC_DABT_CUR = 0x25, EC_SP_ALIGN = 0x26,
	EC_SERROR = 0x2f, EC_BRK = 0x3c,
};

#endif
