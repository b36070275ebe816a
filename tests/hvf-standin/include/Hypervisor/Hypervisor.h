/* Stand-in for Apple's <Hypervisor/Hypervisor.h> (arm64), for building and
 * testing avmm's Hypervisor.framework backend on hosts without the
 * framework. Declarations, types and numeric values are written from the
 * project's research notes (facts/hvapi.md §1), not copied from Apple's SDK.
 * It declares the part of the API the stand-in implements (see
 * tests/hvf-standin/standin.c and docs/hvf.md); the real header has more
 * (SME, hv_vm_allocate, ...).
 *
 * Nothing here is used on macOS: there the real framework header is found. */
#ifndef AVMM_HVF_STANDIN_HYPERVISOR_H
#define AVMM_HVF_STANDIN_HYPERVISOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks this header, so code and tests can tell it from Apple's. */
#define HV_STANDIN 1

/* Availability annotations as Apple's headers carry them (API_AVAILABLE from
 * <os/availability.h>: the macOS release that introduced each call). With
 * clang they are clang's availability attribute, so a build that targets
 * macOS (clang -target arm64-apple-macosNN, as the hvf-availability test
 * does with this header) reports every call newer than the deployment
 * target outside a __builtin_available check (-Wunguarded-availability).
 * Off macOS clang accepts and ignores them; other compilers (GCC) get
 * nothing, as they do not know the attribute. */
#ifndef API_AVAILABLE
#if defined(__clang__)
#define HV_STANDIN_AVAILABLE_macos(v) macos, introduced = v
#define API_AVAILABLE(p) __attribute__((availability(HV_STANDIN_AVAILABLE_##p)))
#else
#define API_AVAILABLE(p)
#endif
#endif
#ifndef API_UNAVAILABLE
#define API_UNAVAILABLE(...) /* ios, tvos: not hosts the stand-in models */
#endif
#define HV_API11 API_AVAILABLE(macos(11.0)) API_UNAVAILABLE(ios, tvos)
#define HV_API13 API_AVAILABLE(macos(13.0)) API_UNAVAILABLE(ios, tvos)
#define HV_API15 API_AVAILABLE(macos(15.0)) API_UNAVAILABLE(ios, tvos)
#define HV_API15_2 API_AVAILABLE(macos(15.2)) API_UNAVAILABLE(ios, tvos)

/* ---- hv_return_t (§1.1): err_local | err_sub(0xba5) | n ---------------- */
typedef int32_t hv_return_t; /* mach_error_t */
#define HV_SUCCESS 0
#define HV_ERROR ((hv_return_t)0xfae94001)
#define HV_BUSY ((hv_return_t)0xfae94002)
#define HV_BAD_ARGUMENT ((hv_return_t)0xfae94003)
#define HV_ILLEGAL_GUEST_STATE ((hv_return_t)0xfae94004)
#define HV_NO_RESOURCES ((hv_return_t)0xfae94005)
#define HV_NO_DEVICE ((hv_return_t)0xfae94006)
#define HV_DENIED ((hv_return_t)0xfae94007)
#define HV_EXISTS ((hv_return_t)0xfae94008)
#define HV_UNSUPPORTED ((hv_return_t)0xfae9400f)

/* ---- Basic types (§1.2) ------------------------------------------------ */
typedef uint64_t hv_vcpu_t;
typedef uint64_t hv_ipa_t;
typedef uint64_t hv_memory_flags_t;
#define HV_MEMORY_READ (1ull << 0)
#define HV_MEMORY_WRITE (1ull << 1)
#define HV_MEMORY_EXEC (1ull << 2)

/* OS_OBJECT types: opaque pointers released with os_release(). */
typedef struct hv_vm_config_s *hv_vm_config_t;
typedef struct hv_vcpu_config_s *hv_vcpu_config_t;
void os_release(void *object);

typedef uint32_t hv_exit_reason_t;
enum {
	HV_EXIT_REASON_CANCELED = 0,
	HV_EXIT_REASON_EXCEPTION = 1,
	HV_EXIT_REASON_VTIMER_ACTIVATED = 2,
	HV_EXIT_REASON_UNKNOWN = 3,
};

typedef struct {
	uint64_t syndrome;         /* ESR_EL2 */
	uint64_t virtual_address;  /* FAR */
	hv_ipa_t physical_address; /* faulting IPA */
} hv_vcpu_exit_exception_t;

typedef struct {
	hv_exit_reason_t reason;
	hv_vcpu_exit_exception_t exception;
} hv_vcpu_exit_t;

typedef uint32_t hv_interrupt_type_t;
enum { HV_INTERRUPT_TYPE_IRQ = 0, HV_INTERRUPT_TYPE_FIQ = 1 };

typedef uint32_t hv_feature_reg_t;
enum {
	HV_FEATURE_REG_ID_AA64DFR0_EL1 = 0,
	HV_FEATURE_REG_ID_AA64DFR1_EL1 = 1,
	HV_FEATURE_REG_ID_AA64ISAR0_EL1 = 2,
	HV_FEATURE_REG_ID_AA64ISAR1_EL1 = 3,
	HV_FEATURE_REG_ID_AA64MMFR0_EL1 = 4,
	HV_FEATURE_REG_ID_AA64MMFR1_EL1 = 5,
	HV_FEATURE_REG_ID_AA64MMFR2_EL1 = 6,
	HV_FEATURE_REG_ID_AA64PFR0_EL1 = 7,
	HV_FEATURE_REG_ID_AA64PFR1_EL1 = 8,
	HV_FEATURE_REG_CTR_EL0 = 9,
	HV_FEATURE_REG_CLIDR_EL1 = 10,
	HV_FEATURE_REG_DCZID_EL0 = 11,
};

/* A 16-byte vector: Apple's header uses clang's ext_vector_type; GCC's
 * vector_size gives the same size, alignment and by-value passing. */
typedef uint8_t hv_simd_fp_uchar16_t __attribute__((vector_size(16)));

/* ---- Registers (§1.3) -------------------------------------------------- */
typedef uint32_t hv_reg_t;
enum {
	HV_REG_X0 = 0, HV_REG_X1, HV_REG_X2, HV_REG_X3, HV_REG_X4, HV_REG_X5, HV_REG_X6, HV_REG_X7,
	HV_REG_X8, HV_REG_X9, HV_REG_X10, HV_REG_X11, HV_REG_X12, HV_REG_X13, HV_REG_X14, HV_REG_X15,
	HV_REG_X16, HV_REG_X17, HV_REG_X18, HV_REG_X19, HV_REG_X20, HV_REG_X21, HV_REG_X22, HV_REG_X23,
	HV_REG_X24, HV_REG_X25, HV_REG_X26, HV_REG_X27, HV_REG_X28, HV_REG_X29, HV_REG_X30,
	HV_REG_FP = HV_REG_X29,
	HV_REG_LR = HV_REG_X30,
	HV_REG_PC = 31,
	HV_REG_FPCR = 32,
	HV_REG_FPSR = 33,
	HV_REG_CPSR = 34,
};

typedef uint32_t hv_simd_fp_reg_t;
enum { HV_SIMD_FP_REG_Q0 = 0, HV_SIMD_FP_REG_Q31 = 31 };

/* System registers: op0<<14 | op1<<11 | CRn<<7 | CRm<<3 | op2 (§1.4).
 * The EL1/EL0 set; the stand-in has no EL2, SME or in-kernel GIC. */
typedef uint16_t hv_sys_reg_t;
enum {
	HV_SYS_REG_DBGBVR0_EL1 = 0x8004,
	HV_SYS_REG_DBGBCR0_EL1 = 0x8005,
	HV_SYS_REG_DBGWVR0_EL1 = 0x8006,
	HV_SYS_REG_DBGWCR0_EL1 = 0x8007,
	HV_SYS_REG_MDCCINT_EL1 = 0x8010,
	HV_SYS_REG_MDSCR_EL1 = 0x8012,
	HV_SYS_REG_MIDR_EL1 = 0xc000,
	HV_SYS_REG_MPIDR_EL1 = 0xc005,
	HV_SYS_REG_ID_AA64PFR0_EL1 = 0xc020,
	HV_SYS_REG_ID_AA64PFR1_EL1 = 0xc021,
	HV_SYS_REG_ID_AA64ZFR0_EL1 HV_API15_2 = 0xc024,  /* not in the stand-in's API */
	HV_SYS_REG_ID_AA64SMFR0_EL1 HV_API15_2 = 0xc025, /* not in the stand-in's API */
	HV_SYS_REG_ID_AA64DFR0_EL1 = 0xc028,
	HV_SYS_REG_ID_AA64DFR1_EL1 = 0xc029,
	HV_SYS_REG_ID_AA64ISAR0_EL1 = 0xc030,
	HV_SYS_REG_ID_AA64ISAR1_EL1 = 0xc031,
	HV_SYS_REG_ID_AA64MMFR0_EL1 = 0xc038,
	HV_SYS_REG_ID_AA64MMFR1_EL1 = 0xc039,
	HV_SYS_REG_ID_AA64MMFR2_EL1 = 0xc03a,
	HV_SYS_REG_SCTLR_EL1 = 0xc080,
	HV_SYS_REG_CPACR_EL1 = 0xc082,
	HV_SYS_REG_TTBR0_EL1 = 0xc100,
	HV_SYS_REG_TTBR1_EL1 = 0xc101,
	HV_SYS_REG_TCR_EL1 = 0xc102,
	HV_SYS_REG_APIAKEYLO_EL1 = 0xc108,
	HV_SYS_REG_APIAKEYHI_EL1 = 0xc109,
	HV_SYS_REG_APIBKEYLO_EL1 = 0xc10a,
	HV_SYS_REG_APIBKEYHI_EL1 = 0xc10b,
	HV_SYS_REG_APDAKEYLO_EL1 = 0xc110,
	HV_SYS_REG_APDAKEYHI_EL1 = 0xc111,
	HV_SYS_REG_APDBKEYLO_EL1 = 0xc112,
	HV_SYS_REG_APDBKEYHI_EL1 = 0xc113,
	HV_SYS_REG_APGAKEYLO_EL1 = 0xc118,
	HV_SYS_REG_APGAKEYHI_EL1 = 0xc119,
	HV_SYS_REG_SPSR_EL1 = 0xc200,
	HV_SYS_REG_ELR_EL1 = 0xc201,
	HV_SYS_REG_SP_EL0 = 0xc208,
	HV_SYS_REG_AFSR0_EL1 = 0xc288,
	HV_SYS_REG_AFSR1_EL1 = 0xc289,
	HV_SYS_REG_ESR_EL1 = 0xc290,
	HV_SYS_REG_FAR_EL1 = 0xc300,
	HV_SYS_REG_PAR_EL1 = 0xc3a0,
	HV_SYS_REG_MAIR_EL1 = 0xc510,
	HV_SYS_REG_AMAIR_EL1 = 0xc518,
	HV_SYS_REG_VBAR_EL1 = 0xc600,
	HV_SYS_REG_CONTEXTIDR_EL1 = 0xc681,
	HV_SYS_REG_TPIDR_EL1 = 0xc684,
	HV_SYS_REG_CNTKCTL_EL1 = 0xc708,
	HV_SYS_REG_CSSELR_EL1 = 0xd000,
	HV_SYS_REG_TPIDR_EL0 = 0xde82,
	HV_SYS_REG_TPIDRRO_EL0 = 0xde83,
	HV_SYS_REG_CNTV_CTL_EL0 = 0xdf19,
	HV_SYS_REG_CNTV_CVAL_EL0 = 0xdf1a,
	HV_SYS_REG_SP_EL1 = 0xe208,
};

/* ---- VM (§1.5) ---------------------------------------------------------- */
HV_API11
hv_return_t hv_vm_get_max_vcpu_count(uint32_t *max_vcpu_count);
HV_API13
hv_vm_config_t hv_vm_config_create(void);
HV_API13
hv_return_t hv_vm_config_get_max_ipa_size(uint32_t *ipa_bit_length);
HV_API13
hv_return_t hv_vm_config_get_default_ipa_size(uint32_t *ipa_bit_length);
HV_API13
hv_return_t hv_vm_config_set_ipa_size(hv_vm_config_t config, uint32_t ipa_bit_length);
HV_API13
hv_return_t hv_vm_config_get_ipa_size(hv_vm_config_t config, uint32_t *ipa_bit_length);
HV_API15
hv_return_t hv_vm_config_get_el2_supported(bool *el2_supported);
HV_API15
hv_return_t hv_vm_config_get_el2_enabled(hv_vm_config_t config, bool *el2_enabled);
HV_API15
hv_return_t hv_vm_config_set_el2_enabled(hv_vm_config_t config, bool el2_enabled);
HV_API11
hv_return_t hv_vm_create(hv_vm_config_t config);
HV_API11
hv_return_t hv_vm_destroy(void);
HV_API11
hv_return_t hv_vm_map(void *addr, hv_ipa_t ipa, size_t size, hv_memory_flags_t flags);
HV_API11
hv_return_t hv_vm_unmap(hv_ipa_t ipa, size_t size);
HV_API11
hv_return_t hv_vm_protect(hv_ipa_t ipa, size_t size, hv_memory_flags_t flags);

/* ---- vCPU (§1.6) --------------------------------------------------------- */
HV_API11
hv_vcpu_config_t hv_vcpu_config_create(void);
HV_API11
hv_return_t hv_vcpu_config_get_feature_reg(hv_vcpu_config_t config, hv_feature_reg_t feature_reg,
					   uint64_t *value);
HV_API11
hv_return_t hv_vcpu_create(hv_vcpu_t *vcpu, hv_vcpu_exit_t **exit, hv_vcpu_config_t config);
HV_API11
hv_return_t hv_vcpu_destroy(hv_vcpu_t vcpu);
HV_API11
hv_return_t hv_vcpu_get_reg(hv_vcpu_t vcpu, hv_reg_t reg, uint64_t *value);
HV_API11
hv_return_t hv_vcpu_set_reg(hv_vcpu_t vcpu, hv_reg_t reg, uint64_t value);
HV_API11
hv_return_t hv_vcpu_get_simd_fp_reg(hv_vcpu_t vcpu, hv_simd_fp_reg_t reg, hv_simd_fp_uchar16_t *value);
HV_API11
hv_return_t hv_vcpu_set_simd_fp_reg(hv_vcpu_t vcpu, hv_simd_fp_reg_t reg, hv_simd_fp_uchar16_t value);
HV_API11
hv_return_t hv_vcpu_get_sys_reg(hv_vcpu_t vcpu, hv_sys_reg_t reg, uint64_t *value);
HV_API11
hv_return_t hv_vcpu_set_sys_reg(hv_vcpu_t vcpu, hv_sys_reg_t reg, uint64_t value);
HV_API11
hv_return_t hv_vcpu_get_pending_interrupt(hv_vcpu_t vcpu, hv_interrupt_type_t type, bool *pending);
HV_API11
hv_return_t hv_vcpu_set_pending_interrupt(hv_vcpu_t vcpu, hv_interrupt_type_t type, bool pending);
HV_API11
hv_return_t hv_vcpu_get_trap_debug_exceptions(hv_vcpu_t vcpu, bool *value);
HV_API11
hv_return_t hv_vcpu_set_trap_debug_exceptions(hv_vcpu_t vcpu, bool value);
HV_API11
hv_return_t hv_vcpu_run(hv_vcpu_t vcpu);
HV_API11
hv_return_t hv_vcpus_exit(hv_vcpu_t *vcpus, uint32_t vcpu_count);
HV_API11
hv_return_t hv_vcpu_get_vtimer_mask(hv_vcpu_t vcpu, bool *vtimer_is_masked);
HV_API11
hv_return_t hv_vcpu_set_vtimer_mask(hv_vcpu_t vcpu, bool vtimer_is_masked);
HV_API11
hv_return_t hv_vcpu_get_vtimer_offset(hv_vcpu_t vcpu, uint64_t *vtimer_offset);
HV_API11
hv_return_t hv_vcpu_set_vtimer_offset(hv_vcpu_t vcpu, uint64_t vtimer_offset);

/* ---- In-kernel GICv3: hv_gic_* (macOS 15.0, facts/hvapi.md §1.7) ----------
 * Names and values from the notes (which took them from the SDK's hv_gic.h
 * and Apple's documentation). The enum widths were checked against the
 * macOS 15 SDK (scripts/check-macos.sh): uint16_t for the distributor and
 * MSI offsets, the sysreg encodings and hv_gic_intid_t, uint32_t for the
 * redistributor offsets (its SGI frame is at +64 KiB). Only the first
 * member of each register family is named here (IPRIORITYRn = IPRIORITYR0
 * + 4n and so on: Apple documents that any GICv3 register offset may be
 * passed, not only the named ones). */
typedef struct hv_gic_config_s *hv_gic_config_t;
typedef struct hv_gic_state_s *hv_gic_state_t;

/* The fixed PPIs a guest's DT / ACPI tables must name (INTIDs). */
typedef uint16_t hv_gic_intid_t HV_API15;
enum {
	HV_GIC_INT_PERFORMANCE_MONITOR = 23,
	HV_GIC_INT_MAINTENANCE = 25,       /* EL2 guests */
	HV_GIC_INT_EL2_PHYSICAL_TIMER = 26, /* EL2 guests */
	HV_GIC_INT_EL1_VIRTUAL_TIMER = 27,
	HV_GIC_INT_EL1_PHYSICAL_TIMER = 30,
};

/* Distributor registers: the GICD offsets of the GICv3 specification
 * (16 bits wide, as in Apple's header). */
typedef uint16_t hv_gic_distributor_reg_t HV_API15;
enum {
	HV_GIC_DISTRIBUTOR_REG_GICD_CTLR = 0x0000,
	HV_GIC_DISTRIBUTOR_REG_GICD_TYPER = 0x0004,
	HV_GIC_DISTRIBUTOR_REG_GICD_IGROUPR0 = 0x0080,
	HV_GIC_DISTRIBUTOR_REG_GICD_ISENABLER0 = 0x0100,
	HV_GIC_DISTRIBUTOR_REG_GICD_ICENABLER0 = 0x0180,
	HV_GIC_DISTRIBUTOR_REG_GICD_ISPENDR0 = 0x0200,
	HV_GIC_DISTRIBUTOR_REG_GICD_ICPENDR0 = 0x0280,
	HV_GIC_DISTRIBUTOR_REG_GICD_ISACTIVER0 = 0x0300,
	HV_GIC_DISTRIBUTOR_REG_GICD_ICACTIVER0 = 0x0380,
	HV_GIC_DISTRIBUTOR_REG_GICD_IPRIORITYR0 = 0x0400,
	HV_GIC_DISTRIBUTOR_REG_GICD_ICFGR0 = 0x0c00,
	HV_GIC_DISTRIBUTOR_REG_GICD_IROUTER32 = 0x6100,
	HV_GIC_DISTRIBUTOR_REG_GICD_PIDR2 = 0xffe8,
};

/* Redistributor registers: offsets from RD_base; the SGI frame at +64 KiB. */
typedef uint32_t hv_gic_redistributor_reg_t;
enum {
	HV_GIC_REDISTRIBUTOR_REG_GICR_TYPER = 0x0008,
	HV_GIC_REDISTRIBUTOR_REG_GICR_PIDR2 = 0xffe8,
	HV_GIC_REDISTRIBUTOR_REG_GICR_IGROUPR0 = 0x10080,
	HV_GIC_REDISTRIBUTOR_REG_GICR_ISENABLER0 = 0x10100,
	HV_GIC_REDISTRIBUTOR_REG_GICR_ICENABLER0 = 0x10180,
	HV_GIC_REDISTRIBUTOR_REG_GICR_ISPENDR0 = 0x10200,
	HV_GIC_REDISTRIBUTOR_REG_GICR_ICPENDR0 = 0x10280,
	HV_GIC_REDISTRIBUTOR_REG_GICR_ISACTIVER0 = 0x10300,
	HV_GIC_REDISTRIBUTOR_REG_GICR_ICACTIVER0 = 0x10380,
	HV_GIC_REDISTRIBUTOR_REG_GICR_IPRIORITYR0 = 0x10400,
	HV_GIC_REDISTRIBUTOR_REG_GICR_ICFGR0 = 0x10c00,
	HV_GIC_REDISTRIBUTOR_REG_GICR_ICFGR1 = 0x10c04,
};

/* CPU interface registers: sysreg encodings (op0<<14 | op1<<11 | ...). */
typedef uint16_t hv_gic_icc_reg_t HV_API15;
enum {
	HV_GIC_ICC_REG_PMR_EL1 = 0xc230,
	HV_GIC_ICC_REG_BPR0_EL1 = 0xc643,
	HV_GIC_ICC_REG_AP0R0_EL1 = 0xc644,
	HV_GIC_ICC_REG_AP1R0_EL1 = 0xc648,
	HV_GIC_ICC_REG_RPR_EL1 = 0xc65b,
	HV_GIC_ICC_REG_BPR1_EL1 = 0xc663,
	HV_GIC_ICC_REG_CTLR_EL1 = 0xc664,
	HV_GIC_ICC_REG_SRE_EL1 = 0xc665,
	HV_GIC_ICC_REG_IGRPEN0_EL1 = 0xc666,
	HV_GIC_ICC_REG_IGRPEN1_EL1 = 0xc667,
	HV_GIC_ICC_REG_SRE_EL2 = 0xe64d,
};

/* Hypervisor control (ICH_*) and virtual CPU interface (ICV_*) registers:
 * EL2-enabled VMs only. */
typedef uint16_t hv_gic_ich_reg_t HV_API15;
enum {
	HV_GIC_ICH_REG_AP0R0_EL2 = 0xe640,
	HV_GIC_ICH_REG_AP1R0_EL2 = 0xe648,
	HV_GIC_ICH_REG_HCR_EL2 = 0xe658,
	HV_GIC_ICH_REG_VTR_EL2 = 0xe659,
	HV_GIC_ICH_REG_MISR_EL2 = 0xe65a,
	HV_GIC_ICH_REG_EISR_EL2 = 0xe65b,
	HV_GIC_ICH_REG_ELRSR_EL2 = 0xe65d,
	HV_GIC_ICH_REG_VMCR_EL2 = 0xe65f,
	HV_GIC_ICH_REG_LR0_EL2 = 0xe660, /* ..LR15_EL2 = 0xe66f */
};
typedef uint16_t hv_gic_icv_reg_t HV_API15;
enum {
	HV_GIC_ICV_REG_PMR_EL1 = 0xc230,
	HV_GIC_ICV_REG_BPR0_EL1 = 0xc643,
	HV_GIC_ICV_REG_AP0R0_EL1 = 0xc644,
	HV_GIC_ICV_REG_AP1R0_EL1 = 0xc648,
	HV_GIC_ICV_REG_RPR_EL1 = 0xc65b,
	HV_GIC_ICV_REG_BPR1_EL1 = 0xc663,
	HV_GIC_ICV_REG_CTLR_EL1 = 0xc664,
	HV_GIC_ICV_REG_SRE_EL1 = 0xc665,
	HV_GIC_ICV_REG_IGRPEN0_EL1 = 0xc666,
	HV_GIC_ICV_REG_IGRPEN1_EL1 = 0xc667,
};

/* The MSI frame (GICv2m-style: an MSI is a write of an SPI INTID); 16 bits
 * wide as in Apple's header, which (like the redistributor type) gives it
 * no availability of its own. */
typedef uint16_t hv_gic_msi_reg_t;
enum {
	HV_GIC_REG_GICM_TYPER = 0x0008,
	HV_GIC_REG_GICM_SET_SPI_NSR = 0x0040,
};

/* After hv_vm_create; hv_gic_create before any hv_vcpu_create. */
HV_API15
hv_gic_config_t hv_gic_config_create(void);
HV_API15
hv_return_t hv_gic_config_set_distributor_base(hv_gic_config_t config, hv_ipa_t distributor_base_address);
HV_API15
hv_return_t hv_gic_config_set_redistributor_base(hv_gic_config_t config, hv_ipa_t redistributor_base_address);
HV_API15
hv_return_t hv_gic_config_set_msi_region_base(hv_gic_config_t config, hv_ipa_t msi_region_base_address);
HV_API15
hv_return_t hv_gic_config_set_msi_interrupt_range(hv_gic_config_t config, uint32_t msi_intid_base,
						  uint32_t msi_intid_count);
HV_API15
hv_return_t hv_gic_create(hv_gic_config_t gic_config);
HV_API15
hv_return_t hv_gic_reset(void);

HV_API15
hv_return_t hv_gic_set_spi(uint32_t intid, bool level);
HV_API15
hv_return_t hv_gic_send_msi(hv_ipa_t address, uint32_t intid);

HV_API15
hv_return_t hv_gic_get_distributor_reg(hv_gic_distributor_reg_t reg, uint64_t *value);
HV_API15
hv_return_t hv_gic_set_distributor_reg(hv_gic_distributor_reg_t reg, uint64_t value);
HV_API15
hv_return_t hv_gic_get_redistributor_base(hv_vcpu_t vcpu, hv_ipa_t *redistributor_base_address);
/* Owning thread only: */
HV_API15
hv_return_t hv_gic_get_redistributor_reg(hv_vcpu_t vcpu, hv_gic_redistributor_reg_t reg, uint64_t *value);
HV_API15
hv_return_t hv_gic_set_redistributor_reg(hv_vcpu_t vcpu, hv_gic_redistributor_reg_t reg, uint64_t value);
HV_API15
hv_return_t hv_gic_get_icc_reg(hv_vcpu_t vcpu, hv_gic_icc_reg_t reg, uint64_t *value);
HV_API15
hv_return_t hv_gic_set_icc_reg(hv_vcpu_t vcpu, hv_gic_icc_reg_t reg, uint64_t value);
HV_API15
hv_return_t hv_gic_get_ich_reg(hv_vcpu_t vcpu, hv_gic_ich_reg_t reg, uint64_t *value);
HV_API15
hv_return_t hv_gic_set_ich_reg(hv_vcpu_t vcpu, hv_gic_ich_reg_t reg, uint64_t value);
HV_API15
hv_return_t hv_gic_get_icv_reg(hv_vcpu_t vcpu, hv_gic_icv_reg_t reg, uint64_t *value);
HV_API15
hv_return_t hv_gic_set_icv_reg(hv_vcpu_t vcpu, hv_gic_icv_reg_t reg, uint64_t value);
HV_API15
hv_return_t hv_gic_get_msi_reg(hv_gic_msi_reg_t reg, uint64_t *value);
HV_API15
hv_return_t hv_gic_set_msi_reg(hv_gic_msi_reg_t reg, uint64_t value);

/* Whole-GIC state (distributor, redistributors, MSI; not the ICC/ICH
 * registers): VM stopped. Opaque format. */
HV_API15
hv_gic_state_t hv_gic_state_create(void);
HV_API15
hv_return_t hv_gic_state_get_size(hv_gic_state_t state, size_t *size);
HV_API15
hv_return_t hv_gic_state_get_data(hv_gic_state_t state, void *state_data);
HV_API15
hv_return_t hv_gic_set_state(const void *gic_state_data, size_t gic_state_size);

/* Geometry. */
HV_API15
hv_return_t hv_gic_get_distributor_size(size_t *distributor_size);
HV_API15
hv_return_t hv_gic_get_distributor_base_alignment(size_t *distributor_base_alignment);
HV_API15
hv_return_t hv_gic_get_redistributor_region_size(size_t *redistributor_region_size);
HV_API15
hv_return_t hv_gic_get_redistributor_size(size_t *redistributor_size);
HV_API15
hv_return_t hv_gic_get_redistributor_base_alignment(size_t *redistributor_base_alignment);
HV_API15
hv_return_t hv_gic_get_msi_region_size(size_t *msi_region_size);
HV_API15
hv_return_t hv_gic_get_msi_region_base_alignment(size_t *msi_region_base_alignment);
HV_API15
hv_return_t hv_gic_get_spi_interrupt_range(uint32_t *spi_intid_base, uint32_t *spi_intid_count);
HV_API15
hv_return_t hv_gic_get_intid(hv_gic_intid_t interrupt, uint32_t *intid);

/* ---- Stand-in only (not Apple API) ---------------------------------------
 * The host counter the vtimer offset is relative to (mach_absolute_time() on
 * a Mac; here the soft CPU's physical count of the current VM, 0 without a
 * VM) and its frequency (mach_timebase_info() on a Mac). */
uint64_t hv_standin_host_counter(void);
uint64_t hv_standin_host_cntfrq(void);
/* How often hv_vcpu_set_pending_interrupt was called (tests: none with
 * hv_gic). Environment HV_STANDIN_GIC_VTIMER_EXITS at hv_gic_create: the
 * GIC also returns each vtimer activation as a VTIMER_ACTIVATED exit. */
uint64_t hv_standin_pending_interrupt_calls(void);

#ifdef __cplusplus
}
#endif

#endif
