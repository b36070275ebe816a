/* The Hypervisor.framework backend: the accelerator interface (accel.h) as a
 * thin mapping onto Apple's hv_* API (facts/hvapi.md §1-2).
 *
 * Built on macOS arm64 against the real framework and, on other hosts,
 * against the stand-in in tests/hvf-standin/ (the same API implemented on
 * the soft CPU), so this file runs in CI everywhere. docs/hvf.md says what
 * is verified where.
 *
 * Rules kept here:
 *   - one VM per process (the framework's rule); IPA size: the maximum the
 *     host allows unless the VMM asks for less; EL2 only when asked for and
 *     hv_vm_config_get_el2_supported says the host has it (macOS 15);
 *   - the in-kernel GIC (hv_gic_*, macOS 15) when the VMM asks for it: it
 *     must be created after the VM and before the vCPUs; the machine keeps
 *     its own GICv3 otherwise;
 *   - SME (macOS 15.2 on M4) is hidden from the guest (ID_AA64PFR1_EL1.SME
 *     and ID_AA64SMFR0_EL1 cleared), as QEMU does, when the framework
 *     accepts that write; otherwise SME stays visible and the vCPU starts
 *     with streaming mode and ZA off (the architectural reset state);
 *   - with the in-kernel GIC the framework drives the vCPU's IRQ/FIQ and
 *     the vtimer PPI: no hv_vcpu_set_pending_interrupt calls then, and each
 *     vCPU's redistributor is where hv_gic_get_redistributor_base says
 *     (checked against the machine's window at the first run);
 *   - calls newer than the deployment target (macOS 13: hv_vm_config_*;
 *     15: hv_gic_*, EL2; 15.2: SME) only behind positive
 *     __builtin_available checks, so the binary loads on older hosts;
 *   - hv_vm_map/unmap/protect take 16 KiB-aligned host addresses, IPAs and
 *     sizes (the Apple Silicon page); anything else is refused here with a
 *     message rather than by the framework;
 *   - every hv_vcpu_* call comes from the vCPU's owning thread (checked
 *     here, so a misuse names the call instead of failing inside HVF);
 *   - fresh vCPUs get CPSR (EL1h, DAIF masked) and SCTLR_EL1 (the v8.0
 *     RES1 bits, MMU off) set explicitly: HVF's own initial values are
 *     EL0t and 0;
 *   - the IRQ/FIQ lines are level inputs for the VMM: HVF consumes the
 *     pending state on every run, so the level last set is re-applied
 *     before each hv_vcpu_run;
 *   - a VTIMER_ACTIVATED exit leaves the vtimer masked (the framework does
 *     that); the VMM unmasks once the guest has dealt with the timer, as
 *     with the soft backend;
 *   - every hv_return_t becomes a negative errno and a message naming the
 *     call. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <Hypervisor/Hypervisor.h>
#include <libkern/OSCacheControl.h>
#if defined(__APPLE__) && !defined(HV_STANDIN)
#include <Availability.h>
#include <mach/kern_return.h>
#include <mach/mach_time.h>
#endif

#include "accel/accel.h"

extern const struct accel_ops accel_hvf_ops;

#define HVF_PAGE 0x4000ull /* Apple Silicon page size: 16 KiB */

/* SCTLR_EL1 at reset as the VMM wants it: RES1 bits 29, 28, 23, 22, 20, 11
 * of Armv8.0; MMU, caches and alignment checks off. */
#define HVF_SCTLR_RESET 0x30d00800ull
#define HVF_CPSR_EL1H 0x3c5ull

/* Runtime checks for APIs newer than the deployment target (src/meson.build):
 * hv_vm_config_* from macOS 13, hv_gic_* and EL2 from 15, SME from 15.2.
 * Use them only as the whole condition of an if, positively (`if
 * (HVF_MACOS15) { ... } else ...`): clang accepts nothing else as a guard
 * and -Wunguarded-availability checks every call outside one. Built for
 * any other target (the stand-in on Linux) the calls are always there; the
 * stand-in compiled for a macOS target (the hvf-availability test) takes
 * the real checks, so its annotations are checked as Apple's are. */
#if defined(__APPLE__)
#define HVF_MACOS13 __builtin_available(macOS 13.0, *)
#define HVF_MACOS15 __builtin_available(macOS 15.0, *)
#define HVF_MACOS15_2 __builtin_available(macOS 15.2, *)
#else
#define HVF_MACOS13 1
#define HVF_MACOS15 1
#define HVF_MACOS15_2 1
#endif

/* Declared from the macOS 15 SDK on: without it, no in-kernel GIC and no
 * EL2; SME state from the 15.2 SDK. */
#if defined(HV_STANDIN) || (defined(__MAC_OS_X_VERSION_MAX_ALLOWED) && __MAC_OS_X_VERSION_MAX_ALLOWED >= 150000)
#define HVF_SDK15 1
#else
#define HVF_SDK15 0
#endif
#if !defined(HV_STANDIN) && defined(__MAC_OS_X_VERSION_MAX_ALLOWED) && __MAC_OS_X_VERSION_MAX_ALLOWED >= 150200
#define HVF_SDK15_2 1
#else
#define HVF_SDK15_2 0 /* the stand-in has no SME */
#endif

#define HVF_CPSR_EL2H 0x3c9ull /* EL2h, DAIF masked */

struct hvf_vm {
	struct accel_vm base;
	uint32_t ipa_bits;
	bool el2;
	bool gic; /* hv_gic_create succeeded */
	uint64_t redist_base, redist_size; /* the framework's redistributor region */
};

static bool hvf_el2; /* the VM was created with EL2 (one VM per process) */

struct hvf_vcpu {
	struct accel_vcpu base;
	hv_vcpu_t id;
	const hv_vcpu_exit_t *hv_exit; /* owned by the framework */
	pthread_t owner;
	struct hvf_vm *vm;
	bool line[2]; /* IRQ, FIQ levels as the VMM set them */
	bool ran;     /* hv_vcpu_run was called (the GIC topology is final) */
	bool line_warned;
	bool have_feat; /* ctr/clidr/dczid read from the vCPU configuration */
	uint64_t ctr, clidr, dczid;
	struct accel_exit exit;
};

#define HVM(v) ((struct hvf_vm *)(v))
#define HVCPU(v) ((struct hvf_vcpu *)(v))

static atomic_bool vm_exists;

/* HV_EXISTS (0xfae94008) is missing from older SDK headers: use the value. */
#define HVF_RET_EXISTS ((hv_return_t)0xfae94008)

static const char *hv_name(hv_return_t r)
{
	switch (r) {
	case HV_SUCCESS: return "HV_SUCCESS";
	case HV_ERROR: return "HV_ERROR (generic error)";
	case HV_BUSY: return "HV_BUSY (resource busy)";
	case HV_BAD_ARGUMENT: return "HV_BAD_ARGUMENT (bad argument, or a call from a thread that does not own the vCPU)";
	case HV_ILLEGAL_GUEST_STATE: return "HV_ILLEGAL_GUEST_STATE (illegal guest state)";
	case HV_NO_RESOURCES: return "HV_NO_RESOURCES (out of resources)";
	case HV_NO_DEVICE: return "HV_NO_DEVICE (no VM or vCPU)";
	case HV_DENIED: return "HV_DENIED (operation not permitted: missing com.apple.security.hypervisor entitlement?)";
	case HVF_RET_EXISTS: return "HV_EXISTS (already exists)";
	case HV_UNSUPPORTED: return "HV_UNSUPPORTED (not supported on this host)";
	default: return NULL;
	}
}

static int hv_errno(hv_return_t r)
{
	switch (r) {
	case HV_SUCCESS: return 0;
	case HV_BUSY: return -EBUSY;
	case HV_BAD_ARGUMENT: return -EINVAL;
	case HV_ILLEGAL_GUEST_STATE: return -EINVAL;
	case HV_NO_RESOURCES: return -ENOMEM;
	case HV_NO_DEVICE: return -ENODEV;
	case HV_DENIED: return -EPERM;
	case HVF_RET_EXISTS: return -EEXIST;
	case HV_UNSUPPORTED: return -ENOTSUP;
	default: return -EIO;
	}
}

/* Turn a framework result into 0 / -errno, saying which call failed. */
static int hv_check(hv_return_t r, const char *call)
{
	if (r == HV_SUCCESS)
		return 0;
	const char *n = hv_name(r);
	if (n)
		fprintf(stderr, "avmm: hvf: %s failed: %s\n", call, n);
	else
		fprintf(stderr, "avmm: hvf: %s failed: error 0x%08" PRIx32 "\n", call, (uint32_t)r);
	return hv_errno(r);
}

static int owner_check(struct accel_vcpu *v, const char *call)
{
	if (pthread_equal(HVCPU(v)->owner, pthread_self()))
		return 0;
	fprintf(stderr, "avmm: hvf: %s called from a thread that does not own the vCPU\n", call);
	return -EPERM;
}
#define OWNER(v, call)                            \
	do {                                      \
		int own_ = owner_check((v), call); \
		if (own_)                         \
			return own_;              \
	} while (0)

/* ---- VM ---------------------------------------------------------------------- */

/* Guest EL2 (nested virtualization), when the host has it: M3 or later with
 * macOS 15 by community reports (facts/hvapi.md §1.5, §2.6). */
static int el2_enable(hv_vm_config_t conf)
{
#if HVF_SDK15
	if (HVF_MACOS15) {
		bool supported = false;
		int r = hv_check(hv_vm_config_get_el2_supported(&supported), "hv_vm_config_get_el2_supported");
		if (r)
			return r;
		if (!supported) {
			fprintf(stderr, "avmm: hvf: el2=on: this host cannot give guests EL2 "
					"(hv_vm_config_get_el2_supported is false; Apple's nested virtualization needs an "
					"M3 or later chip)\n");
			return -ENOTSUP;
		}
		return hv_check(hv_vm_config_set_el2_enabled(conf, true), "hv_vm_config_set_el2_enabled");
	} else {
		fprintf(stderr, "avmm: hvf: el2=on: guest EL2 needs macOS 15 or later\n");
		return -ENOTSUP;
	}
#else
	(void)conf;
	fprintf(stderr, "avmm: hvf: el2=on: avmm was built with an SDK older than macOS 15\n");
	return -ENOTSUP;
#endif
}

/* -cpu max or pauth=on: HVF guests get the host CPU's features and
 * HVF cannot add pointer authentication, so the host must have it (every
 * Apple silicon CPU does). QEMU refuses the same way, with this message. */
static int pauth_check(void)
{
	uint64_t isar1 = 0;
	hv_vcpu_config_t vconf = hv_vcpu_config_create();
	if (!vconf) {
		fprintf(stderr, "avmm: hvf: hv_vcpu_config_create failed\n");
		return -ENOMEM;
	}
	int r = hv_check(hv_vcpu_config_get_feature_reg(vconf, HV_FEATURE_REG_ID_AA64ISAR1_EL1, &isar1),
			 "hv_vcpu_config_get_feature_reg(ID_AA64ISAR1_EL1)");
	os_release(vconf);
	/* APA/API (7:4, 11:8) for the address keys, GPA/GPI (27:24, 31:28). */
	if (!r && (!(isar1 >> 4 & 0xff) || !(isar1 >> 24 & 0xff))) {
		fprintf(stderr, "avmm: hvf: 'pauth' feature not supported by hvf on this host\n");
		r = -ENOTSUP;
	}
	return r;
}

static int hvf_vm_create(const struct accel_vm_config *cfg, struct accel_vm **out)
{
	if (cfg && cfg->pauth) {
		int r = pauth_check();
		if (r)
			return r;
	}
	bool expected = false;
	if (!atomic_compare_exchange_strong(&vm_exists, &expected, true)) {
		fprintf(stderr, "avmm: hvf: Hypervisor.framework allows one VM per process\n");
		return -EBUSY;
	}
	struct hvf_vm *vm = calloc(1, sizeof(*vm));
	if (!vm) {
		atomic_store(&vm_exists, false);
		return -ENOMEM;
	}
	int r = 0;
	if (HVF_MACOS13) {
		uint32_t max = 0;
		hv_vm_config_t conf = hv_vm_config_create();
		if (!conf) {
			fprintf(stderr, "avmm: hvf: hv_vm_config_create failed\n");
			r = -ENOMEM;
		}
		if (!r)
			r = hv_check(hv_vm_config_get_max_ipa_size(&max), "hv_vm_config_get_max_ipa_size");
		if (!r) {
			vm->ipa_bits = max;
			if (cfg && cfg->ipa_bits) {
				if (cfg->ipa_bits > max) {
					fprintf(stderr, "avmm: hvf: %u-bit guest physical addresses asked for; this host allows %u\n",
						cfg->ipa_bits, max);
					r = -EINVAL;
				} else {
					vm->ipa_bits = cfg->ipa_bits;
				}
			}
		}
		if (!r)
			r = hv_check(hv_vm_config_set_ipa_size(conf, vm->ipa_bits), "hv_vm_config_set_ipa_size");
		if (!r && cfg && cfg->el2)
			r = el2_enable(conf);
		if (!r)
			r = hv_check(hv_vm_create(conf), "hv_vm_create");
		if (conf)
			os_release(conf);
	} else if (cfg && cfg->el2) {
		fprintf(stderr, "avmm: hvf: el2=on: guest EL2 needs macOS 15 or later\n");
		r = -ENOTSUP;
	} else {
		/* Before macOS 13: default configuration, 36-bit IPA. */
		vm->ipa_bits = 36;
		if (cfg && cfg->ipa_bits > 36) {
			fprintf(stderr, "avmm: hvf: this macOS allows 36-bit guest physical addresses only\n");
			r = -EINVAL;
		}
		if (!r)
			r = hv_check(hv_vm_create(NULL), "hv_vm_create");
	}
	if (r) {
		free(vm);
		atomic_store(&vm_exists, false);
		return r;
	}
	vm->el2 = cfg && cfg->el2;
	hvf_el2 = vm->el2;
	vm->base.ops = &accel_hvf_ops;
	*out = &vm->base;
	return 0;
}

static void hvf_vm_destroy(struct accel_vm *v)
{
	hv_check(hv_vm_destroy(), "hv_vm_destroy");
	free(v);
	atomic_store(&vm_exists, false);
}

static hv_memory_flags_t hv_flags(unsigned flags)
{
	hv_memory_flags_t f = 0;
	if (flags & ACCEL_MEM_READ)
		f |= HV_MEMORY_READ;
	if (flags & ACCEL_MEM_WRITE)
		f |= HV_MEMORY_WRITE;
	if (flags & ACCEL_MEM_EXEC)
		f |= HV_MEMORY_EXEC;
	return f;
}

static int range_check(struct accel_vm *v, const char *call, const void *host, uint64_t ipa, uint64_t size,
		       unsigned flags)
{
	if (((uintptr_t)host & (HVF_PAGE - 1)) || (ipa & (HVF_PAGE - 1)) || (size & (HVF_PAGE - 1)) || !size) {
		fprintf(stderr,
			"avmm: hvf: %s: IPA 0x%" PRIx64 " size 0x%" PRIx64 "%s is not 16 KiB aligned "
			"(Hypervisor.framework maps whole 16 KiB pages)\n",
			call, ipa, size, host ? " (or its host address)" : "");
		return -EINVAL;
	}
	if (ipa + size < ipa || (HVM(v)->ipa_bits < 64 && ipa + size > (1ull << HVM(v)->ipa_bits))) {
		fprintf(stderr, "avmm: hvf: %s: IPA 0x%" PRIx64 " size 0x%" PRIx64 " is beyond the VM's %u-bit IPA space\n",
			call, ipa, size, HVM(v)->ipa_bits);
		return -EINVAL;
	}
	if (flags & ~(unsigned)(ACCEL_MEM_READ | ACCEL_MEM_WRITE | ACCEL_MEM_EXEC)) {
		fprintf(stderr, "avmm: hvf: %s: unknown permission bits 0x%x\n", call, flags);
		return -EINVAL;
	}
	return 0;
}

static unsigned hvf_ipa_bits(struct accel_vm *v)
{
	return HVM(v)->ipa_bits;
}

static int hvf_map(struct accel_vm *v, void *host, uint64_t ipa, uint64_t size, unsigned flags)
{
	if (!host) {
		fprintf(stderr, "avmm: hvf: hv_vm_map: no host memory given for IPA 0x%" PRIx64 "\n", ipa);
		return -EINVAL;
	}
	int r = range_check(v, "hv_vm_map", host, ipa, size, flags);
	if (r)
		return r;
	if ((uint64_t)(size_t)size != size)
		return -EINVAL;
	return hv_check(hv_vm_map(host, ipa, (size_t)size, hv_flags(flags)), "hv_vm_map");
}

static int hvf_unmap(struct accel_vm *v, uint64_t ipa, uint64_t size)
{
	int r = range_check(v, "hv_vm_unmap", NULL, ipa, size, 0);
	if (r)
		return r;
	return hv_check(hv_vm_unmap(ipa, (size_t)size), "hv_vm_unmap");
}

static int hvf_protect(struct accel_vm *v, uint64_t ipa, uint64_t size, unsigned flags)
{
	int r = range_check(v, "hv_vm_protect", NULL, ipa, size, flags);
	if (r)
		return r;
	return hv_check(hv_vm_protect(ipa, (size_t)size, hv_flags(flags)), "hv_vm_protect");
}

/* ---- vCPUs ------------------------------------------------------------------- */

/* SME (FEAT_SME, macOS 15.2 on M4): hidden, as QEMU does ("target/arm/hvf:
 * Disable SME feature"), since the VMM has no use for streaming-mode state.
 * Whether HVF accepts the ID register write is unconfirmed; if it refuses,
 * SME stays visible (the guest may use it: the framework switches its state
 * with the vCPU) and the vCPU starts with PSTATE.SM and PSTATE.ZA clear, the
 * reset state, instead of failing creation. ID_AA64SMFR0_EL1 (0xc025) is
 * an hv_sys_reg_t only from the 15.2 SDK and may be refused by older hosts:
 * that is fine. Returns whether SME is hidden (or absent). */
static bool hide_sme(hv_vcpu_t id)
{
	uint64_t pfr1 = 0;
	if (hv_vcpu_get_sys_reg(id, HV_SYS_REG_ID_AA64PFR1_EL1, &pfr1) != HV_SUCCESS)
		return true;
	if (!(pfr1 & (0xfull << 24))) /* SME, bits 27:24 */
		return true;
	if (hv_vcpu_set_sys_reg(id, HV_SYS_REG_ID_AA64PFR1_EL1, pfr1 & ~(0xfull << 24)) == HV_SUCCESS) {
		hv_vcpu_set_sys_reg(id, (hv_sys_reg_t)0xc025 /* ID_AA64SMFR0_EL1 */, 0);
		return true;
	}
	static atomic_bool said;
	if (!atomic_exchange(&said, true))
		fprintf(stderr, "avmm: hvf: the framework keeps ID_AA64PFR1_EL1.SME; the guest sees SME\n");
#if HVF_SDK15_2
	if (HVF_MACOS15_2) {
		const hv_vcpu_sme_state_t off = { .streaming_sve_mode_enabled = false, .za_storage_enabled = false };
		hv_check(hv_vcpu_set_sme_state(id, &off), "hv_vcpu_set_sme_state");
	}
#endif
	return false;
}

static int hvf_vcpu_create(struct accel_vm *v, struct accel_vcpu **out, const struct accel_exit **exit)
{
	struct hvf_vcpu *vc = calloc(1, sizeof(*vc));
	if (!vc)
		return -ENOMEM;
	hv_vcpu_exit_t *hx = NULL;
	int r = hv_check(hv_vcpu_create(&vc->id, &hx, NULL), "hv_vcpu_create");
	if (r) {
		free(vc);
		return r;
	}
	vc->hv_exit = hx;
	vc->owner = pthread_self();
	vc->vm = HVM(v);
	vc->base.ops = &accel_hvf_ops;
	/* HVF's initial state is EL0t with SCTLR_EL1 = 0: set both (EL2h for
	 * an EL2 guest: whether HVF starts those at EL2 is unconfirmed). */
	r = hv_check(hv_vcpu_set_reg(vc->id, HV_REG_CPSR, hvf_el2 ? HVF_CPSR_EL2H : HVF_CPSR_EL1H),
		     "hv_vcpu_set_reg(CPSR)");
	if (!r)
		r = hv_check(hv_vcpu_set_sys_reg(vc->id, HV_SYS_REG_SCTLR_EL1, HVF_SCTLR_RESET),
			     "hv_vcpu_set_sys_reg(SCTLR_EL1)");
	if (!r)
		hide_sme(vc->id);
	if (r) {
		hv_vcpu_destroy(vc->id);
		free(vc);
		return r;
	}
	/* CTR_EL0, CLIDR_EL1 and DCZID_EL0 are not registers of the API, but
	 * the vCPU configuration reports them; the VMM reads them like any
	 * other (e.g. DCZID for DC ZVA emulation). */
	hv_vcpu_config_t vconf = hv_vcpu_config_create();
	if (vconf) {
		vc->have_feat = hv_vcpu_config_get_feature_reg(vconf, HV_FEATURE_REG_CTR_EL0, &vc->ctr) == HV_SUCCESS &&
				hv_vcpu_config_get_feature_reg(vconf, HV_FEATURE_REG_CLIDR_EL1, &vc->clidr) == HV_SUCCESS &&
				hv_vcpu_config_get_feature_reg(vconf, HV_FEATURE_REG_DCZID_EL0, &vc->dczid) == HV_SUCCESS;
		os_release(vconf);
	}
	*out = &vc->base;
	if (exit)
		*exit = &vc->exit;
	return 0;
}

static void hvf_vcpu_destroy(struct accel_vcpu *v)
{
	if (owner_check(v, "hv_vcpu_destroy"))
		return; /* leaking beats destroying another thread's vCPU */
	hv_check(hv_vcpu_destroy(HVCPU(v)->id), "hv_vcpu_destroy");
	free(v);
}

static int gic_redist_check(struct hvf_vcpu *vc);

static int hvf_vcpu_run(struct accel_vcpu *v)
{
	struct hvf_vcpu *vc = HVCPU(v);
	OWNER(v, "hv_vcpu_run");
	int r = 0;
	if (vc->vm->gic) {
		/* The framework's GIC drives IRQ/FIQ itself. Its redistributor
		 * for this vCPU is fixed by MPIDR, which the VMM sets before
		 * the first run: check it is inside the machine's window. */
		if (!vc->ran)
			r = gic_redist_check(vc);
	} else {
		/* The framework clears the pending lines after every run:
		 * re-apply the levels the VMM last set, so they behave as levels. */
		r = hv_check(hv_vcpu_set_pending_interrupt(vc->id, HV_INTERRUPT_TYPE_IRQ, vc->line[ACCEL_IRQ]),
			     "hv_vcpu_set_pending_interrupt(IRQ)");
		if (!r)
			r = hv_check(hv_vcpu_set_pending_interrupt(vc->id, HV_INTERRUPT_TYPE_FIQ, vc->line[ACCEL_FIQ]),
				     "hv_vcpu_set_pending_interrupt(FIQ)");
	}
	if (!r) {
		vc->ran = true;
		r = hv_check(hv_vcpu_run(vc->id), "hv_vcpu_run");
	}
	memset(&vc->exit, 0, sizeof(vc->exit));
	if (r) {
		vc->exit.reason = ACCEL_EXIT_UNKNOWN;
		return r;
	}
	const hv_vcpu_exit_t *hx = vc->hv_exit;
	switch (hx->reason) {
	case HV_EXIT_REASON_CANCELED:
		vc->exit.reason = ACCEL_EXIT_CANCELED;
		break;
	case HV_EXIT_REASON_EXCEPTION:
		vc->exit.reason = ACCEL_EXIT_EXCEPTION;
		vc->exit.esr = hx->exception.syndrome;
		vc->exit.va = hx->exception.virtual_address;
		vc->exit.ipa = hx->exception.physical_address;
		break;
	case HV_EXIT_REASON_VTIMER_ACTIVATED:
		/* The framework has masked the vtimer; the VMM unmasks it. With
		 * the in-kernel GIC Apple documents no such exit, but nothing
		 * says it cannot come (QEMU then treats it as without one): the
		 * VMM unmasks once the guest's timer condition is gone. */
		vc->exit.reason = ACCEL_EXIT_VTIMER_ACTIVATED;
		break;
	default:
		fprintf(stderr, "avmm: hvf: hv_vcpu_run returned exit reason %u\n", (unsigned)hx->reason);
		vc->exit.reason = ACCEL_EXIT_UNKNOWN;
		break;
	}
	return 0;
}

static int hvf_get_reg(struct accel_vcpu *v, enum accel_reg r, uint64_t *val)
{
	OWNER(v, "hv_vcpu_get_reg");
	if ((unsigned)r > ACCEL_REG_CPSR)
		return -EINVAL;
	return hv_check(hv_vcpu_get_reg(HVCPU(v)->id, (hv_reg_t)r, val), "hv_vcpu_get_reg");
}

static int hvf_set_reg(struct accel_vcpu *v, enum accel_reg r, uint64_t val)
{
	OWNER(v, "hv_vcpu_set_reg");
	if ((unsigned)r > ACCEL_REG_CPSR)
		return -EINVAL;
	return hv_check(hv_vcpu_set_reg(HVCPU(v)->id, (hv_reg_t)r, val), "hv_vcpu_set_reg");
}

static int hvf_get_simd(struct accel_vcpu *v, unsigned r, uint8_t val[16])
{
	OWNER(v, "hv_vcpu_get_simd_fp_reg");
	if (r > 31)
		return -EINVAL;
	hv_simd_fp_uchar16_t q;
	int e = hv_check(hv_vcpu_get_simd_fp_reg(HVCPU(v)->id, (hv_simd_fp_reg_t)r, &q), "hv_vcpu_get_simd_fp_reg");
	if (!e)
		memcpy(val, &q, 16);
	return e;
}

static int hvf_set_simd(struct accel_vcpu *v, unsigned r, const uint8_t val[16])
{
	OWNER(v, "hv_vcpu_set_simd_fp_reg");
	if (r > 31)
		return -EINVAL;
	hv_simd_fp_uchar16_t q;
	memcpy(&q, val, 16);
	return hv_check(hv_vcpu_set_simd_fp_reg(HVCPU(v)->id, (hv_simd_fp_reg_t)r, q), "hv_vcpu_set_simd_fp_reg");
}

/* The host counter the vtimer offset is relative to, and its frequency. */
static uint64_t host_counter(void)
{
#ifdef HV_STANDIN
	return hv_standin_host_counter();
#else
	return mach_absolute_time();
#endif
}

static uint64_t host_cntfrq(void)
{
#ifdef HV_STANDIN
	return hv_standin_host_cntfrq();
#else
	mach_timebase_info_data_t tb;
	if (mach_timebase_info(&tb) != KERN_SUCCESS || !tb.numer)
		return 24000000; /* Apple M-series */
	return (uint64_t)1000000000u * tb.denom / tb.numer;
#endif
}

#define SYSREG_CNTFRQ_EL0 ACCEL_SYSREG(3, 3, 14, 0, 0)
#define SYSREG_CNTPCT_EL0 ACCEL_SYSREG(3, 3, 14, 0, 1)
#define SYSREG_CNTVCT_EL0 ACCEL_SYSREG(3, 3, 14, 0, 2)
#define SYSREG_CTR_EL0 ACCEL_SYSREG(3, 3, 0, 0, 1)
#define SYSREG_CLIDR_EL1 ACCEL_SYSREG(3, 1, 0, 0, 1)
#define SYSREG_DCZID_EL0 ACCEL_SYSREG(3, 3, 0, 0, 7)

/* A register the framework refuses is reported once per encoding: the VMM
 * probes optional registers and copes with their absence. */
static _Atomic uint8_t sysreg_reported[65536 / 8];
static int sysreg_fail(hv_return_t r, const char *what, uint16_t enc)
{
	uint8_t bit = (uint8_t)(1u << (enc & 7));
	if (atomic_fetch_or(&sysreg_reported[enc >> 3], bit) & bit)
		return hv_errno(r);
	char call[64];
	snprintf(call, sizeof(call), "%s(0x%04x)", what, enc);
	return hv_check(r, call);
}

static int hvf_get_sysreg(struct accel_vcpu *v, uint16_t enc, uint64_t *val)
{
	OWNER(v, "hv_vcpu_get_sys_reg");
	/* The counters are not registers of the framework's API; the VMM reads
	 * them (e.g. for WFI deadlines) as it does on the soft backend, so
	 * answer from the host counter: CNTVCT = counter - vtimer offset. */
	if (enc == SYSREG_CNTFRQ_EL0) {
		*val = host_cntfrq();
		return 0;
	}
	if (enc == SYSREG_CNTPCT_EL0) {
		*val = host_counter();
		return 0;
	}
	if (enc == SYSREG_CNTVCT_EL0) {
		uint64_t off;
		int e = hv_check(hv_vcpu_get_vtimer_offset(HVCPU(v)->id, &off), "hv_vcpu_get_vtimer_offset");
		if (!e)
			*val = host_counter() - off;
		return e;
	}
	if (HVCPU(v)->have_feat && (enc == SYSREG_CTR_EL0 || enc == SYSREG_CLIDR_EL1 || enc == SYSREG_DCZID_EL0)) {
		*val = enc == SYSREG_CTR_EL0 ? HVCPU(v)->ctr : enc == SYSREG_CLIDR_EL1 ? HVCPU(v)->clidr : HVCPU(v)->dczid;
		return 0;
	}
	hv_return_t r = hv_vcpu_get_sys_reg(HVCPU(v)->id, (hv_sys_reg_t)enc, val);
	return r == HV_SUCCESS ? 0 : sysreg_fail(r, "hv_vcpu_get_sys_reg", enc);
}

static int hvf_set_sysreg(struct accel_vcpu *v, uint16_t enc, uint64_t val)
{
	OWNER(v, "hv_vcpu_set_sys_reg");
	hv_return_t r = hv_vcpu_set_sys_reg(HVCPU(v)->id, (hv_sys_reg_t)enc, val);
	return r == HV_SUCCESS ? 0 : sysreg_fail(r, "hv_vcpu_set_sys_reg", enc);
}

static int hvf_set_pending_interrupt(struct accel_vcpu *v, enum accel_irq_type t, bool pending)
{
	OWNER(v, "hv_vcpu_set_pending_interrupt");
	if (t != ACCEL_IRQ && t != ACCEL_FIQ)
		return -EINVAL;
	struct hvf_vcpu *vc = HVCPU(v);
	if (vc->vm->gic && pending) {
		/* The framework's GIC owns the lines: nothing to raise by hand. */
		if (!vc->line_warned) {
			vc->line_warned = true;
			fprintf(stderr, "avmm: hvf: an IRQ/FIQ line raised by the VMM is ignored: the in-kernel GIC drives them\n");
		}
		return -ENOTSUP;
	}
	vc->line[t] = pending;
	/* Applied for real before the next hv_vcpu_run (without the in-kernel GIC). */
	return 0;
}

static int hvf_get_vtimer_mask(struct accel_vcpu *v, bool *masked)
{
	OWNER(v, "hv_vcpu_get_vtimer_mask");
	return hv_check(hv_vcpu_get_vtimer_mask(HVCPU(v)->id, masked), "hv_vcpu_get_vtimer_mask");
}

static int hvf_set_vtimer_mask(struct accel_vcpu *v, bool masked)
{
	OWNER(v, "hv_vcpu_set_vtimer_mask");
	return hv_check(hv_vcpu_set_vtimer_mask(HVCPU(v)->id, masked), "hv_vcpu_set_vtimer_mask");
}

static int hvf_get_vtimer_offset(struct accel_vcpu *v, uint64_t *off)
{
	OWNER(v, "hv_vcpu_get_vtimer_offset");
	return hv_check(hv_vcpu_get_vtimer_offset(HVCPU(v)->id, off), "hv_vcpu_get_vtimer_offset");
}

static int hvf_set_vtimer_offset(struct accel_vcpu *v, uint64_t off)
{
	OWNER(v, "hv_vcpu_set_vtimer_offset");
	return hv_check(hv_vcpu_set_vtimer_offset(HVCPU(v)->id, off), "hv_vcpu_set_vtimer_offset");
}

static int hvf_set_trap_debug(struct accel_vcpu *v, bool trap)
{
	OWNER(v, "hv_vcpu_set_trap_debug_exceptions");
	return hv_check(hv_vcpu_set_trap_debug_exceptions(HVCPU(v)->id, trap), "hv_vcpu_set_trap_debug_exceptions");
}

/* Any thread. */
static int hvf_vcpus_exit(struct accel_vcpu *const *vcpus, unsigned count)
{
	if (!count)
		return 0;
	if (!vcpus || count > 4096)
		return -EINVAL;
	hv_vcpu_t *ids = malloc(count * sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	for (unsigned i = 0; i < count; i++)
		ids[i] = HVCPU(vcpus[i])->id;
	int r = hv_check(hv_vcpus_exit(ids, count), "hv_vcpus_exit");
	free(ids);
	return r;
}

/* ---- The in-kernel GIC (hv_gic_*, macOS 15) ---------------------------------- */

#if HVF_SDK15
static int gic_region_check(const char *what, uint64_t base, uint64_t align, const char *call)
{
	if (base & (align - 1)) {
		fprintf(stderr, "avmm: hvf: the GIC %s at 0x%" PRIx64 " is not aligned as %s requires (0x%" PRIx64 ")\n",
			what, base, call, align);
		return -EINVAL;
	}
	return 0;
}

/* The body of gic_create, for hosts that have hv_gic. */
API_AVAILABLE(macos(15.0))
static int gic_create15(struct accel_vm *v, struct accel_gic_config *cfg)
{
	size_t dsize = 0, dalign = 0, rsize = 0, ralign = 0, rone = 0, malign = 0;
	int r = hv_check(hv_gic_get_distributor_size(&dsize), "hv_gic_get_distributor_size");
	if (!r)
		r = hv_check(hv_gic_get_distributor_base_alignment(&dalign), "hv_gic_get_distributor_base_alignment");
	if (!r)
		r = hv_check(hv_gic_get_redistributor_region_size(&rsize), "hv_gic_get_redistributor_region_size");
	if (!r)
		r = hv_check(hv_gic_get_redistributor_size(&rone), "hv_gic_get_redistributor_size");
	if (!r)
		r = hv_check(hv_gic_get_redistributor_base_alignment(&ralign),
			     "hv_gic_get_redistributor_base_alignment");
	if (!r && cfg->msi_base)
		r = hv_check(hv_gic_get_msi_region_base_alignment(&malign), "hv_gic_get_msi_region_base_alignment");
	if (r)
		return r;
	/* The machine's map and device tree assume GICv3's frame sizes. */
	if (dsize != 0x10000 || rone != 0x20000 || !dalign || !ralign || (cfg->msi_base && !malign)) {
		fprintf(stderr, "avmm: hvf: hv_gic reports a distributor of 0x%zx and redistributors of 0x%zx bytes; "
				"avmm expects 0x10000 and 0x20000\n", dsize, rone);
		return -ENOTSUP;
	}
	if (rsize > cfg->redist_size || (uint64_t)cfg->num_cpus * rone > rsize) {
		fprintf(stderr, "avmm: hvf: hv_gic's redistributor region (0x%zx bytes) does not fit the machine's "
				"window of 0x%" PRIx64 " bytes or its %u vCPUs\n", rsize, cfg->redist_size, cfg->num_cpus);
		return -ENOTSUP;
	}
	r = gic_region_check("distributor", cfg->dist_base, dalign, "hv_gic_get_distributor_base_alignment");
	if (!r)
		r = gic_region_check("redistributors", cfg->redist_base, ralign, "hv_gic_get_redistributor_base_alignment");
	if (!r && cfg->msi_base)
		r = gic_region_check("MSI frame", cfg->msi_base, malign, "hv_gic_get_msi_region_base_alignment");
	if (r)
		return r;
	hv_gic_config_t gc = hv_gic_config_create();
	if (!gc) {
		fprintf(stderr, "avmm: hvf: hv_gic_config_create failed\n");
		return -ENOMEM;
	}
	r = hv_check(hv_gic_config_set_distributor_base(gc, cfg->dist_base), "hv_gic_config_set_distributor_base");
	if (!r)
		r = hv_check(hv_gic_config_set_redistributor_base(gc, cfg->redist_base),
			     "hv_gic_config_set_redistributor_base");
	/* MSIs are on only with both the frame and the range set. */
	if (!r && cfg->msi_base)
		r = hv_check(hv_gic_config_set_msi_region_base(gc, cfg->msi_base), "hv_gic_config_set_msi_region_base");
	if (!r && cfg->msi_base)
		r = hv_check(hv_gic_config_set_msi_interrupt_range(gc, cfg->msi_spi_base, cfg->msi_spi_count),
			     "hv_gic_config_set_msi_interrupt_range");
	if (!r)
		r = hv_check(hv_gic_create(gc), "hv_gic_create");
	os_release(gc);
	if (!r) {
		HVM(v)->gic = true;
		HVM(v)->redist_base = cfg->redist_base;
		HVM(v)->redist_size = rsize;
		cfg->redist_used = rsize;
	}
	return r;
}

static int hvf_gic_create(struct accel_vm *v, struct accel_gic_config *cfg)
{
	if (HVF_MACOS15)
		return gic_create15(v, cfg);
	else
		return -ENOTSUP; /* before macOS 15: no hv_gic */
}

/* Where the framework put this vCPU's redistributor (it goes by MPIDR):
 * one whole redistributor inside the region the device tree describes, or
 * the guest would not find it. */
static int gic_redist_check(struct hvf_vcpu *vc)
{
	hv_ipa_t base = 0;
	int r;
	if (HVF_MACOS15)
		r = hv_check(hv_gic_get_redistributor_base(vc->id, &base), "hv_gic_get_redistributor_base");
	else
		return -ENOTSUP; /* no GIC can exist before macOS 15 */
	if (r)
		return r;
	const struct hvf_vm *vm = vc->vm;
	if (base < vm->redist_base || base - vm->redist_base > vm->redist_size ||
	    vm->redist_size - (base - vm->redist_base) < 0x20000) {
		fprintf(stderr, "avmm: hvf: hv_gic put a vCPU's redistributor at 0x%" PRIx64 ", outside the region "
				"0x%" PRIx64 "+0x%" PRIx64 " the machine describes\n",
			(uint64_t)base, vm->redist_base, vm->redist_size);
		return -EINVAL;
	}
	return 0;
}

/* Any thread: the framework's GIC calls are not per-vCPU. A GIC exists
 * only on macOS 15 and later, so the checks below never fail once it does. */
static int hvf_gic_set_spi(struct accel_vm *v, unsigned intid, bool level)
{
	if (!HVM(v)->gic)
		return -ENODEV;
	if (HVF_MACOS15)
		return hv_check(hv_gic_set_spi(intid, level), "hv_gic_set_spi");
	else
		return -ENODEV;
}

static int hvf_gic_send_msi(struct accel_vm *v, uint64_t addr, uint32_t data, uint32_t devid)
{
	if (!HVM(v)->gic)
		return -ENODEV;
	if (HVF_MACOS15)
		return hv_check(hv_gic_send_msi(addr, data), "hv_gic_send_msi");
	else
		return -ENODEV;
}

/* System reset (every vCPU destroyed): the framework's GIC back to its
 * reset state; nothing else in the VM outlives the vCPUs. */
static int hvf_vm_reset(struct accel_vm *v)
{
	if (!HVM(v)->gic)
		return 0;
	if (HVF_MACOS15) /* a GIC exists only from macOS 15 */
		return hv_check(hv_gic_reset(), "hv_gic_reset");
	else
		return -ENODEV;
}
#else
static int hvf_gic_create(struct accel_vm *v, struct accel_gic_config *cfg)
{
	(void)v;
	(void)cfg;
	return -ENOTSUP; /* built with an SDK older than macOS 15 */
}
static int gic_redist_check(struct hvf_vcpu *vc)
{
	(void)vc;
	return -ENOTSUP; /* unreachable: no GIC without the macOS 15 SDK */
}
static int hvf_gic_set_spi(struct accel_vm *v, unsigned intid, bool level)
{
	(void)v, (void)intid, (void)level;
	return -ENODEV;
}
static int hvf_gic_send_msi(struct accel_vm *v, uint64_t addr, uint32_t data, uint32_t devid)
{
	(void)v, (void)addr, (void)data;
	return -ENODEV;
}
static int hvf_vm_reset(struct accel_vm *v)
{
	(void)v;
	return 0; /* no hv_gic before macOS 15: nothing outlives the vCPUs */
}
#endif

/* Guest RAM is the VMM's memory: instructions the VMM wrote reach the
 * vCPUs once the host's instruction cache has forgotten the range. */
static void hvf_code_written(struct accel_vm *v, void *host, size_t size)
{
	(void)v;
	sys_icache_invalidate(host, size);
}

const struct accel_ops accel_hvf_ops = {
	.name = "hvf",
	.vm_create = hvf_vm_create,
	.vm_destroy = hvf_vm_destroy,
	.ipa_bits = hvf_ipa_bits,
	.map = hvf_map,
	.unmap = hvf_unmap,
	.protect = hvf_protect,
	.vcpu_create = hvf_vcpu_create,
	.vcpu_destroy = hvf_vcpu_destroy,
	.vcpu_run = hvf_vcpu_run,
	.get_reg = hvf_get_reg,
	.set_reg = hvf_set_reg,
	.get_simd = hvf_get_simd,
	.set_simd = hvf_set_simd,
	.get_sysreg = hvf_get_sysreg,
	.set_sysreg = hvf_set_sysreg,
	.set_pending_interrupt = hvf_set_pending_interrupt,
	.get_vtimer_mask = hvf_get_vtimer_mask,
	.set_vtimer_mask = hvf_set_vtimer_mask,
	.get_vtimer_offset = hvf_get_vtimer_offset,
	.set_vtimer_offset = hvf_set_vtimer_offset,
	.set_trap_debug_exceptions = hvf_set_trap_debug,
	.vcpus_exit = hvf_vcpus_exit,
	.gic_create = hvf_gic_create,
	.gic_set_spi = hvf_gic_set_spi,
	.gic_send_msi = hvf_gic_send_msi,
	.code_written = hvf_code_written,
	.vm_reset = hvf_vm_reset,
};
