/* Apple's paravirtual "CPU service" and "OEM service" hypercalls that a
 * vmapple XNU issues with `hvc #0` (XNU osfmk/arm64/hv_hvc.h; facts/hvapi.md
 * §5.4, facts/vmapple.md §3), answered for every backend.
 *
 * Pointer-authentication keys go to the architected key registers through
 * the accelerator (the environment's set_sysreg), laid out as Apple's
 * hypervisor does (HvDecompile deliver_pac_trap): a "key" argument k sets
 * the instruction key to (lo k, hi k+1) and the data key to (k+2, k+3).
 * The EL0 diversifier (Apple's KERNKEY, mixed into EL0 keys by Apple's own
 * PAC extension) has no architected equivalent: it is recorded per vCPU.
 *
 * Pure register-in/register-out logic: no threads, no allocation; the
 * caller supplies the vCPU through struct apple_svc_env. Also used by the
 * soft backend to answer the 0xC1 range internally, as HVF does with its
 * private ISA level (accel.h ACCEL_HVC0_HVF_PRIVATE). */
#ifndef AVMM_ARCH_APPLE_SERVICES_H
#define AVMM_ARCH_APPLE_SERVICES_H

#include <stdbool.h>
#include <stdint.h>

/* Function IDs (hv_hvc.h). */
#define APPLE_HVC_CPU_SERVICE 0xc1000000u
#define APPLE_PAC_SET_INITIAL_STATE 0xc1000000u
#define APPLE_PAC_GET_DEFAULT_KEYS 0xc1000001u
#define APPLE_PAC_SET_A_KEYS 0xc1000002u
#define APPLE_PAC_SET_B_KEYS 0xc1000003u
#define APPLE_PAC_SET_EL0_DIVERSIFIER 0xc1000004u
#define APPLE_PAC_SET_EL0_DIVERSIFIER_AT_EL1 0xc1000005u
#define APPLE_PAC_SET_G_KEY 0xc1000006u
#define APPLE_PAC_NOP 0xc10000f0u
#define APPLE_GET_MABS_OFFSET 0xc3000003u
#define APPLE_GET_BOOTSESSIONUUID 0xc3000004u
#define APPLE_VCPU_WFK 0xc3000005u
#define APPLE_VCPU_KICK 0xc3000006u
/* Discovery, HVC32 form: 0x8100xxxx (CPU service), 0x8300xxxx (OEM). */
#define APPLE_HVC32_CPU 0x81000000u
#define APPLE_HVC32_OEM 0x83000000u
#define APPLE_FID_UID 0xff01u
#define APPLE_FID_REVISION 0xff03u
#define APPLE_FID_FEATURES 0xfeffu

/* The words of the Apple service UID 3B878185-AA62-4E1F-9DC9-D6799CBB6EBB
 * as XNU's regs_to_uuid() reads them from w0..w3 (w0 holds UUID bytes
 * 12..15, byte 15 in bits 7:0; w3 holds bytes 0..3). */
#define APPLE_HVC_UID_W0 0x9cbb6ebbu
#define APPLE_HVC_UID_W1 0x9dc9d679u
#define APPLE_HVC_UID_W2 0xaa624e1fu
#define APPLE_HVC_UID_W3 0x3b878185u

/* The per-boot defaults. */
struct apple_pac_defaults {
	uint64_t a, b, g; /* key arguments for the A, B and generic keys */
	uint64_t el0_div; /* the default EL0 diversifier (XNU: default JOP pid) */
};

/* The per-boot state of the VMM's services. */
struct apple_svc {
	struct apple_pac_defaults pac;
	uint8_t boot_uuid[16]; /* random (version 4) */
};

/* Per-vCPU state; zero-initialise. */
struct apple_svc_cpu {
	uint64_t el0_div;    /* last EL0 diversifier set */
	bool el0_div_at_el1; /* SET_EL0_DIVERSIFIER_AT_EL1's enable */
	uint64_t calls, key_errors;
};

/* The vCPU as the services see it. */
struct apple_svc_env {
	int (*set_sysreg)(void *ctx, uint16_t enc, uint64_t val);
	/* Host counter minus guest counter (CNTVOFF), in counter ticks. */
	int (*get_vtimer_offset)(void *ctx, uint64_t *off);
	/* VCPU_WFK: idle until kicked or an interrupt is pending. */
	void (*wait_for_kick)(void *ctx, uint64_t ien);
	/* VCPU_KICK: wake the vCPU whose MPIDR affinity is `mpidr`; 0, or -1
	 * if there is none. */
	int (*kick)(void *ctx, uint64_t mpidr);
	void *ctx;
};

/* Fill s with fresh random keys, diversifier and boot UUID (getrandom).
 * Returns 0 or a negative errno. */
int apple_svc_init(struct apple_svc *s);

/* HVF's fixed defaults with the private ISA level (HvDecompile). */
extern const struct apple_pac_defaults apple_pac_hvf_defaults;

/* The 0xC1 CPU-service range: x[0..4] are X0-X4 on entry and the results
 * on return. Returns the mask of registers written (bit n: Xn), 0 if x0 is
 * not in the range. Unknown functions in the range get x0 = -1. */
unsigned apple_pac_call(const struct apple_pac_defaults *d, struct apple_svc_cpu *cpu,
			const struct apple_svc_env *env, uint64_t x[5]);

/* What Hypervisor.framework writes to x0 for a CPU-service call it answers
 * itself without the private ISA level (NOT_SUPPORTED as a 32-bit value). */
#define APPLE_HVF_REFUSED 0xffffffffu

/* Whether Hypervisor.framework answers this guest exception inside the
 * framework instead of exiting to the VMM: `hvc #0` (EC 0x16, imm16 = 0)
 * with x0 in the CPU-service range, x0 & 0xFF000000 = 0xC1000000
 * (HvDecompile deliver_pac_trap; facts/hvapi.md §2.2, facts/vmapple.md §3).
 * Any other immediate (the patcher's `hvc #1`) or x0 exits as usual. Used
 * by the soft backend's HVF-like modes and by the HVF stand-in. */
bool apple_hvf_answers_hvc(uint64_t esr, uint64_t x0);

/* Every Apple call (CPU service, OEM, discovery). Same contract. */
unsigned apple_svc_call(const struct apple_svc *s, struct apple_svc_cpu *cpu, const struct apple_svc_env *env,
			uint64_t x[5]);

#endif
