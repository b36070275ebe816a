/* The Hypervisor.framework stand-in: Apple's arm64 hv_* API (as declared in
 * include/Hypervisor/Hypervisor.h) implemented on avmm's software CPU, so
 * that the hvf backend (src/accel/hvf.c) builds and runs where no Mac is.
 *
 * It follows the framework's documented contract (facts/hvapi.md §1-2),
 * quirks included, and is deliberately strict where the real framework is
 * documented to be:
 *   - one VM per process: a second hv_vm_create fails (HV_BUSY);
 *   - a vCPU belongs to the thread that created it: every hv_vcpu_* call on
 *     it from another thread fails with HV_BAD_ARGUMENT (hv_vcpus_exit is
 *     the exception);
 *   - hv_vm_map/unmap/protect need 16 KiB-aligned addresses and sizes;
 *   - the exit record returned by hv_vcpu_create belongs to the framework
 *     and is rewritten by every hv_vcpu_run;
 *   - HVC exits with PC already past the instruction (the soft CPU's rule);
 *   - the pending IRQ/FIQ lines are cleared after every run;
 *   - a VTIMER_ACTIVATED exit leaves the vtimer masked until the VMM
 *     unmasks it;
 *   - hv_vcpus_exit on a vCPU that is not running is remembered: its next
 *     run returns CANCELED at once;
 *   - pointer authentication (FEAT_PAuth) is part of the vCPU, as on every
 *     Apple silicon CPU: the guest sees it in ID_AA64ISAR1 (the soft CPU's
 *     values, not Apple's) and the key registers are hv_sys_reg_t's;
 *   - `hvc #0` with x0 in Apple's 0xC1xxxxxx CPU-service range never exits:
 *     as HVF without the private ISA level, x0 = 0xFFFFFFFF and the guest
 *     resumes past the hvc (facts/hvapi.md §2.2).
 * Where the stand-in cannot model the framework it says so with an error
 * rather than pretending (HV_UNSUPPORTED: EL2, debug registers, ID register
 * values other than the soft CPU's). See docs/hvf.md.
 *
 * The in-kernel GIC (hv_gic_*, macOS 15) is in standin-gic.c: avmm's
 * own GICv3 model run inside hv_vcpu_run, so its MMIO, ICC_* accesses,
 * WFI and the vtimer never reach the caller. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <Hypervisor/Hypervisor.h>
#include <libkern/OSCacheControl.h>

#include "arch/apple-services.h"
#include "arch/dabt.h"
#include "cpu/cpu.h"
#include "hw/gic/gicv2m.h"
#include "hw/gic/gicv3.h"

#include "standin.h"

pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
struct a64_vm *g_vm;
uint32_t g_ipa_bits;
unsigned g_nvcpus;
struct a64_cpu *g_clock;
struct standin_vcpu *g_vcpus[STANDIN_MAX_VCPUS];
unsigned g_running;
struct standin_gic *g_gic;
pthread_mutex_t g_irq_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- Objects -------------------------------------------------------------- */

void os_release(void *object)
{
	if (!object)
		return;
	unsigned *kind = object;
	if (*kind == OBJ_VM_CONFIG || *kind == OBJ_VCPU_CONFIG || *kind == OBJ_GIC_CONFIG || *kind == OBJ_GIC_STATE) {
		*kind = 0;
		free(object);
	}
}

hv_vm_config_t hv_vm_config_create(void)
{
	struct hv_vm_config_s *c = calloc(1, sizeof(*c));
	if (c)
		c->kind = OBJ_VM_CONFIG;
	return c;
}

static bool vm_config_ok(hv_vm_config_t c)
{
	return c && c->kind == OBJ_VM_CONFIG;
}

hv_return_t hv_vm_config_get_max_ipa_size(uint32_t *bits)
{
	if (!bits)
		return HV_BAD_ARGUMENT;
	*bits = STANDIN_MAX_IPA;
	return HV_SUCCESS;
}

hv_return_t hv_vm_config_get_default_ipa_size(uint32_t *bits)
{
	if (!bits)
		return HV_BAD_ARGUMENT;
	*bits = STANDIN_DEFAULT_IPA;
	return HV_SUCCESS;
}

hv_return_t hv_vm_config_set_ipa_size(hv_vm_config_t c, uint32_t bits)
{
	if (!vm_config_ok(c) || bits < STANDIN_MIN_IPA || bits > STANDIN_MAX_IPA)
		return HV_BAD_ARGUMENT;
	c->ipa_bits = bits;
	return HV_SUCCESS;
}

hv_return_t hv_vm_config_get_ipa_size(hv_vm_config_t c, uint32_t *bits)
{
	if (!vm_config_ok(c) || !bits)
		return HV_BAD_ARGUMENT;
	*bits = c->ipa_bits ? c->ipa_bits : STANDIN_DEFAULT_IPA;
	return HV_SUCCESS;
}

/* The soft CPU has no EL2: nested virtualization is not supported. */
hv_return_t hv_vm_config_get_el2_supported(bool *supported)
{
	if (!supported)
		return HV_BAD_ARGUMENT;
	*supported = false;
	return HV_SUCCESS;
}

hv_return_t hv_vm_config_get_el2_enabled(hv_vm_config_t c, bool *enabled)
{
	if (!vm_config_ok(c) || !enabled)
		return HV_BAD_ARGUMENT;
	*enabled = c->el2;
	return HV_SUCCESS;
}

hv_return_t hv_vm_config_set_el2_enabled(hv_vm_config_t c, bool enabled)
{
	if (!vm_config_ok(c))
		return HV_BAD_ARGUMENT;
	if (enabled)
		return HV_UNSUPPORTED;
	c->el2 = false;
	return HV_SUCCESS;
}

hv_vcpu_config_t hv_vcpu_config_create(void)
{
	struct hv_vcpu_config_s *c = calloc(1, sizeof(*c));
	if (c)
		c->kind = OBJ_VCPU_CONFIG;
	return c;
}

static const uint16_t feature_enc[] = {
	[HV_FEATURE_REG_ID_AA64DFR0_EL1] = 0xc028, [HV_FEATURE_REG_ID_AA64DFR1_EL1] = 0xc029,
	[HV_FEATURE_REG_ID_AA64ISAR0_EL1] = 0xc030, [HV_FEATURE_REG_ID_AA64ISAR1_EL1] = 0xc031,
	[HV_FEATURE_REG_ID_AA64MMFR0_EL1] = 0xc038, [HV_FEATURE_REG_ID_AA64MMFR1_EL1] = 0xc039,
	[HV_FEATURE_REG_ID_AA64MMFR2_EL1] = 0xc03a, [HV_FEATURE_REG_ID_AA64PFR0_EL1] = 0xc020,
	[HV_FEATURE_REG_ID_AA64PFR1_EL1] = 0xc021, [HV_FEATURE_REG_CTR_EL0] = 0xd801,
	[HV_FEATURE_REG_CLIDR_EL1] = 0xc801,        [HV_FEATURE_REG_DCZID_EL0] = 0xd807,
};

/* The values a vCPU made with this config reads: read from a scratch soft
 * CPU, so they are the CPU's own feature table. */
hv_return_t hv_vcpu_config_get_feature_reg(hv_vcpu_config_t c, hv_feature_reg_t reg, uint64_t *value)
{
	if (!c || c->kind != OBJ_VCPU_CONFIG || !value ||
	    reg >= sizeof(feature_enc) / sizeof(feature_enc[0]))
		return HV_BAD_ARGUMENT;
	struct a64_vm *vm = a64_vm_new(0);
	struct a64_cpu *cpu = vm ? a64_cpu_new(vm) : NULL;
	if (!cpu) {
		a64_vm_free(vm);
		return HV_NO_RESOURCES;
	}
	a64_vm_set_pauth(vm, true); /* as hv_vm_create's VMs */
	int r = a64_get_sysreg(cpu, feature_enc[reg], value);
	a64_cpu_free(cpu);
	a64_vm_free(vm);
	return r ? HV_ERROR : HV_SUCCESS;
}

/* ---- The VM ------------------------------------------------------------------ */

hv_return_t hv_vm_get_max_vcpu_count(uint32_t *count)
{
	if (!count)
		return HV_BAD_ARGUMENT;
	*count = STANDIN_MAX_VCPUS;
	return HV_SUCCESS;
}

hv_return_t hv_vm_create(hv_vm_config_t config)
{
	if (config && !vm_config_ok(config))
		return HV_BAD_ARGUMENT;
	if (config && config->el2)
		return HV_UNSUPPORTED;
	pthread_mutex_lock(&g_lock);
	hv_return_t r = HV_SUCCESS;
	if (g_vm) {
		r = HV_BUSY; /* one VM per process */
	} else {
		g_vm = a64_vm_new(0);
		if (g_vm) /* Apple silicon has FEAT_PAuth; HVF gives it to guests */
			a64_vm_set_pauth(g_vm, true);
		g_clock = g_vm ? a64_cpu_new(g_vm) : NULL;
		if (!g_clock) {
			a64_vm_free(g_vm);
			g_vm = NULL;
			r = HV_NO_RESOURCES;
		}
		g_ipa_bits = config && config->ipa_bits ? config->ipa_bits : STANDIN_DEFAULT_IPA;
	}
	pthread_mutex_unlock(&g_lock);
	return r;
}

hv_return_t hv_vm_destroy(void)
{
	pthread_mutex_lock(&g_lock);
	hv_return_t r = HV_SUCCESS;
	if (!g_vm)
		r = HV_NO_DEVICE;
	else if (g_nvcpus)
		r = HV_BUSY; /* destroy the vCPUs first */
	else {
		gic_vm_destroy();
		a64_cpu_free(g_clock);
		g_clock = NULL;
		a64_vm_free(g_vm);
		g_vm = NULL;
	}
	pthread_mutex_unlock(&g_lock);
	return r;
}

static hv_return_t errno_to_hv(int e)
{
	switch (e) {
	case 0: return HV_SUCCESS;
	case -ENOMEM: case -ENOSPC: return HV_NO_RESOURCES;
	case -EEXIST: return HV_EXISTS;
	default: return HV_BAD_ARGUMENT;
	}
}

/* Page alignment and IPA range, as hv_vm_map/unmap/protect require. */
static bool range_ok(hv_ipa_t ipa, size_t size)
{
	if (!size || (ipa & (STANDIN_PAGE - 1)) || (size & (STANDIN_PAGE - 1)))
		return false;
	uint64_t end = ipa + (uint64_t)size;
	return end > ipa && end <= (1ull << g_ipa_bits);
}

hv_return_t hv_vm_map(void *addr, hv_ipa_t ipa, size_t size, hv_memory_flags_t flags)
{
	if (!addr || ((uintptr_t)addr & (STANDIN_PAGE - 1)))
		return HV_BAD_ARGUMENT;
	if (flags & ~(HV_MEMORY_READ | HV_MEMORY_WRITE | HV_MEMORY_EXEC))
		return HV_BAD_ARGUMENT;
	pthread_mutex_lock(&g_lock);
	hv_return_t r;
	if (!g_vm)
		r = HV_NO_DEVICE;
	else if (!range_ok(ipa, size))
		r = HV_BAD_ARGUMENT;
	else
		r = errno_to_hv(a64_vm_map(g_vm, addr, ipa, size, (unsigned)flags));
	pthread_mutex_unlock(&g_lock);
	return r;
}

hv_return_t hv_vm_unmap(hv_ipa_t ipa, size_t size)
{
	pthread_mutex_lock(&g_lock);
	hv_return_t r;
	if (!g_vm)
		r = HV_NO_DEVICE;
	else if (!range_ok(ipa, size))
		r = HV_BAD_ARGUMENT;
	else /* the soft CPU unmaps whole mappings only */
		r = errno_to_hv(a64_vm_unmap(g_vm, ipa, size));
	pthread_mutex_unlock(&g_lock);
	return r;
}

hv_return_t hv_vm_protect(hv_ipa_t ipa, size_t size, hv_memory_flags_t flags)
{
	if (flags & ~(HV_MEMORY_READ | HV_MEMORY_WRITE | HV_MEMORY_EXEC))
		return HV_BAD_ARGUMENT;
	pthread_mutex_lock(&g_lock);
	hv_return_t r;
	if (!g_vm)
		r = HV_NO_DEVICE;
	else if (!range_ok(ipa, size))
		r = HV_BAD_ARGUMENT;
	else
		r = errno_to_hv(a64_vm_protect(g_vm, ipa, size, (unsigned)flags));
	pthread_mutex_unlock(&g_lock);
	return r;
}

/* libkern's call, here because only the framework's VM knows the soft
 * CPU's decoded code. */
void sys_icache_invalidate(void *start, size_t len)
{
	pthread_mutex_lock(&g_lock);
	if (g_vm)
		a64_vm_code_written(g_vm, start, len);
	pthread_mutex_unlock(&g_lock);
}

/* ---- vCPUs ------------------------------------------------------------------- */

/* The vCPU, if the handle is live and the caller is its owning thread. */
struct standin_vcpu *standin_own(hv_vcpu_t id)
{
	if (id >= STANDIN_MAX_VCPUS)
		return NULL;
	pthread_mutex_lock(&g_lock);
	struct standin_vcpu *v = g_vcpus[id];
	pthread_mutex_unlock(&g_lock);
	if (!v || !pthread_equal(v->owner, pthread_self()))
		return NULL;
	return v;
}

hv_return_t hv_vcpu_create(hv_vcpu_t *vcpu, hv_vcpu_exit_t **exit, hv_vcpu_config_t config)
{
	if (!vcpu || !exit || (config && config->kind != OBJ_VCPU_CONFIG))
		return HV_BAD_ARGUMENT;
	struct standin_vcpu *v = calloc(1, sizeof(*v));
	if (!v)
		return HV_NO_RESOURCES;
	pthread_mutex_lock(&g_lock);
	hv_return_t r = HV_SUCCESS;
	unsigned id = 0;
	if (!g_vm) {
		r = HV_NO_DEVICE;
	} else {
		while (id < STANDIN_MAX_VCPUS && g_vcpus[id])
			id++;
		if (id == STANDIN_MAX_VCPUS)
			r = HV_NO_RESOURCES;
		else if (!(v->cpu = a64_cpu_new(g_vm)))
			r = HV_NO_RESOURCES;
	}
	if (r == HV_SUCCESS) {
		v->owner = pthread_self();
		v->gic_cpu = -1;
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&v->wfi_cond, &ca);
		pthread_condattr_destroy(&ca);
		g_vcpus[id] = v;
		g_nvcpus++;
	}
	pthread_mutex_unlock(&g_lock);
	if (r != HV_SUCCESS) {
		free(v);
		return r;
	}
	*vcpu = id;
	*exit = &v->exit;
	return HV_SUCCESS;
}

hv_return_t hv_vcpu_destroy(hv_vcpu_t id)
{
	struct standin_vcpu *v = standin_own(id);
	if (!v)
		return HV_BAD_ARGUMENT;
	pthread_mutex_lock(&g_lock);
	g_vcpus[id] = NULL;
	g_nvcpus--;
	pthread_mutex_unlock(&g_lock);
	gic_vcpu_gone(v);
	pthread_cond_destroy(&v->wfi_cond);
	a64_cpu_free(v->cpu);
	free(v);
	return HV_SUCCESS;
}

hv_return_t hv_vcpu_get_reg(hv_vcpu_t id, hv_reg_t reg, uint64_t *value)
{
	struct standin_vcpu *v = standin_own(id);
	if (!v || !value || reg > HV_REG_CPSR)
		return HV_BAD_ARGUMENT;
	*value = a64_get_reg(v->cpu, (enum accel_reg)reg);
	return HV_SUCCESS;
}

hv_return_t hv_vcpu_set_reg(hv_vcpu_t id, hv_reg_t reg, uint64_t value)
{
	struct standin_vcpu *v = standin_own(id);
	if (!v || reg > HV_REG_CPSR)
		return HV_BAD_ARGUMENT;
	a64_set_reg(v->cpu, (enum accel_reg)reg, value);
	return HV_SUCCESS;
}

hv_return_t hv_vcpu_get_simd_fp_reg(hv_vcpu_t id, hv_simd_fp_reg_t reg, hv_simd_fp_uchar16_t *value)
{
	struct standin_vcpu *v = standin_own(id);
	if (!v || !value || reg > HV_SIMD_FP_REG_Q31)
		return HV_BAD_ARGUMENT;
	uint8_t b[16];
	a64_get_simd(v->cpu, reg, b);
	memcpy(value, b, 16);
	return HV_SUCCESS;
}

hv_return_t hv_vcpu_set_simd_fp_reg(hv_vcpu_t id, hv_simd_fp_reg_t reg, hv_simd_fp_uchar16_t value)
{
	struct standin_vcpu *v = standin_own(id);
	if (!v || reg > HV_SIMD_FP_REG_Q31)
		return HV_BAD_ARGUMENT;
	uint8_t b[16];
	memcpy(b, &value, 16);
	a64_set_simd(v->cpu, reg, b);
	return HV_SUCCESS;
}

/* hv_sys_reg_t values the API enumerates (EL0/EL1 part). Anything else is
 * not a register of the API: HV_BAD_ARGUMENT. */
static bool sysreg_in_api(uint16_t enc)
{
	if (enc >= 0x8004 && enc <= 0x807f && (enc & 7) >= 4)
		return true; /* DBGBVR/BCR/WVR/WCR 0..15 */
	switch (enc) {
	case 0x8010: case 0x8012:
	case 0xc000: case 0xc005: case 0xc020: case 0xc021: case 0xc028: case 0xc029: case 0xc030:
	case 0xc031: case 0xc038: case 0xc039: case 0xc03a:
	case 0xc080: case 0xc082: case 0xc100: case 0xc101: case 0xc102:
	case 0xc200: case 0xc201: case 0xc208: case 0xc288: case 0xc289: case 0xc290: case 0xc300:
	case 0xc3a0: case 0xc510: case 0xc518: case 0xc600: case 0xc681: case 0xc684: case 0xc708:
	case 0xd000: case 0xde82: case 0xde83: case 0xdf19: case 0xdf1a: case 0xe208:
	/* pointer-authentication keys */
	case 0xc108: case 0xc109: case 0xc10a: case 0xc10b: case 0xc110: case 0xc111: case 0xc112:
	case 0xc113: case 0xc118: case 0xc119:
		return true;
	default:
		return false;
	}
}

static bool is_id_reg(uint16_t enc)
{
	return enc >= 0xc020 && enc <= 0xc03a;
}

hv_return_t hv_vcpu_get_sys_reg(hv_vcpu_t id, hv_sys_reg_t reg, uint64_t *value)
{
	struct standin_vcpu *v = standin_own(id);
	if (!v || !value || !sysreg_in_api(reg))
		return HV_BAD_ARGUMENT;
	/* In the API but not in the soft CPU (debug registers). */
	return a64_get_sysreg(v->cpu, reg, value) ? HV_UNSUPPORTED : HV_SUCCESS;
}

hv_return_t hv_vcpu_set_sys_reg(hv_vcpu_t id, hv_sys_reg_t reg, uint64_t value)
{
	struct standin_vcpu *v = standin_own(id);
	if (!v || !sysreg_in_api(reg))
		return HV_BAD_ARGUMENT;
	if (is_id_reg(reg)) {
		/* HVF lets the VMM choose ID register values; the soft CPU's
		 * features are fixed, so only its own values are accepted. */
		uint64_t cur;
		if (a64_get_sysreg(v->cpu, reg, &cur))
			return HV_UNSUPPORTED;
		return cur == value ? HV_SUCCESS : HV_UNSUPPORTED;
	}
	return a64_set_sysreg(v->cpu, reg, value) ? HV_UNSUPPORTED : HV_SUCCESS;
}

hv_return_t hv_vcpu_get_pending_interrupt(hv_vcpu_t id, hv_interrupt_type_t type, bool *pending)
{
	struct standin_vcpu *v = standin_own(id);
	if (!v || !pending || type > HV_INTERRUPT_TYPE_FIQ)
		return HV_BAD_ARGUMENT;
	*pending = v->pending[type];
	return HV_SUCCESS;
}

static atomic_uint_fast64_t g_pending_calls;
uint64_t hv_standin_pending_interrupt_calls(void)
{
	return atomic_load(&g_pending_calls);
}

hv_return_t hv_vcpu_set_pending_interrupt(hv_vcpu_t id, hv_interrupt_type_t type, bool pending)
{
	atomic_fetch_add(&g_pending_calls, 1);
	struct standin_vcpu *v = standin_own(id);
	if (!v || type > HV_INTERRUPT_TYPE_FIQ)
		return HV_BAD_ARGUMENT;
	v->pending[type] = pending;
	a64_set_irq_line(v->cpu, type == HV_INTERRUPT_TYPE_FIQ ? ACCEL_FIQ : ACCEL_IRQ, pending);
	return HV_SUCCESS;
}

hv_return_t hv_vcpu_get_trap_debug_exceptions(hv_vcpu_t id, bool *value)
{
	struct standin_vcpu *v = standin_own(id);
	if (!v || !value)
		return HV_BAD_ARGUMENT;
	*value = v->trap_debug;
	return HV_SUCCESS;
}

hv_return_t hv_vcpu_set_trap_debug_exceptions(hv_vcpu_t id, bool value)
{
	struct standin_vcpu *v = standin_own(id);
	if (!v)
		return HV_BAD_ARGUMENT;
	v->trap_debug = value;
	a64_set_trap_debug(v->cpu, value);
	return HV_SUCCESS;
}

/* Apple's CPU-service calls (`hvc #0`, x0 = 0xC1xxxxxx) are answered inside
 * the framework; without the private ISA level (the only level public
 * entitlements give) the answer is NOT_SUPPORTED. PC is already past the
 * hvc. True if this exit was one: the run goes on. */
static bool cpu_service_refused(struct standin_vcpu *v)
{
	if (v->scratch.reason != ACCEL_EXIT_EXCEPTION ||
	    !apple_hvf_answers_hvc(v->scratch.esr, a64_get_reg(v->cpu, ACCEL_REG_X0)))
		return false;
	a64_set_reg(v->cpu, ACCEL_REG_X0, APPLE_HVF_REFUSED);
	return true;
}

hv_return_t hv_vcpu_run(hv_vcpu_t id)
{
	struct standin_vcpu *v = standin_own(id);
	if (!v)
		return HV_BAD_ARGUMENT;
	pthread_mutex_lock(&g_lock);
	struct standin_gic *gic = g_gic;
	g_running++;
	pthread_mutex_unlock(&g_lock);
	hv_return_t r = HV_SUCCESS;
	do {
		if (gic)
			r = gic_run(v); /* exits the GIC handles never come back here */
		else
			a64_cpu_run(v->cpu, &v->scratch);
	} while (r == HV_SUCCESS && cpu_service_refused(v));
	pthread_mutex_lock(&g_lock);
	g_running--;
	pthread_mutex_unlock(&g_lock);
	if (r != HV_SUCCESS)
		return r;
	if (v->scratch.reason == ACCEL_EXIT_CANCELED)
		atomic_store(&v->cancel, false); /* this exit is the one asked for */
	/* The framework consumes the pending lines on every run. */
	v->pending[0] = v->pending[1] = false;
	a64_set_irq_line(v->cpu, ACCEL_IRQ, false);
	a64_set_irq_line(v->cpu, ACCEL_FIQ, false);
	memset(&v->exit, 0, sizeof(v->exit));
	switch (v->scratch.reason) {
	case ACCEL_EXIT_CANCELED: v->exit.reason = HV_EXIT_REASON_CANCELED; break;
	case ACCEL_EXIT_EXCEPTION: v->exit.reason = HV_EXIT_REASON_EXCEPTION; break;
	case ACCEL_EXIT_VTIMER_ACTIVATED: v->exit.reason = HV_EXIT_REASON_VTIMER_ACTIVATED; break;
	default: v->exit.reason = HV_EXIT_REASON_UNKNOWN; break;
	}
	if (v->exit.reason == HV_EXIT_REASON_EXCEPTION) {
		v->exit.exception.syndrome = v->scratch.esr;
		v->exit.exception.virtual_address = v->scratch.va;
		v->exit.exception.physical_address = v->scratch.ipa;
	}
	return HV_SUCCESS;
}

/* Any thread. All handles are checked before any vCPU is kicked. */
hv_return_t hv_vcpus_exit(hv_vcpu_t *vcpus, uint32_t count)
{
	if (!vcpus && count)
		return HV_BAD_ARGUMENT;
	pthread_mutex_lock(&g_lock);
	hv_return_t r = HV_SUCCESS;
	for (uint32_t i = 0; i < count; i++)
		if (vcpus[i] >= STANDIN_MAX_VCPUS || !g_vcpus[vcpus[i]])
			r = HV_BAD_ARGUMENT;
	if (r == HV_SUCCESS)
		for (uint32_t i = 0; i < count; i++) {
			struct standin_vcpu *v = g_vcpus[vcpus[i]];
			atomic_store(&v->cancel, true);
			a64_cpu_kick(v->cpu);
			gic_wake(v); /* a WFI waiting inside the framework */
		}
	pthread_mutex_unlock(&g_lock);
	return r;
}

hv_return_t hv_vcpu_get_vtimer_mask(hv_vcpu_t id, bool *masked)
{
	struct standin_vcpu *v = standin_own(id);
	if (!v || !masked)
		return HV_BAD_ARGUMENT;
	*masked = a64_get_vtimer_mask(v->cpu);
	return HV_SUCCESS;
}

hv_return_t hv_vcpu_set_vtimer_mask(hv_vcpu_t id, bool masked)
{
	struct standin_vcpu *v = standin_own(id);
	if (!v)
		return HV_BAD_ARGUMENT;
	a64_set_vtimer_mask(v->cpu, masked);
	return HV_SUCCESS;
}

/* CNTVOFF_EL2: the guest's CNTVCT_EL0 is the host counter minus this. The
 * stand-in's "host counter" is the soft VM's physical count (24 MHz from VM
 * creation), where Apple's is mach_absolute_time(). */
hv_return_t hv_vcpu_get_vtimer_offset(hv_vcpu_t id, uint64_t *offset)
{
	struct standin_vcpu *v = standin_own(id);
	if (!v || !offset)
		return HV_BAD_ARGUMENT;
	*offset = a64_get_vtimer_offset(v->cpu);
	return HV_SUCCESS;
}

hv_return_t hv_vcpu_set_vtimer_offset(hv_vcpu_t id, uint64_t offset)
{
	struct standin_vcpu *v = standin_own(id);
	if (!v)
		return HV_BAD_ARGUMENT;
	a64_set_vtimer_offset(v->cpu, offset);
	return HV_SUCCESS;
}

/* ---- The host counter ------------------------------------------------------ */

static uint64_t clock_read(uint16_t enc, uint64_t dflt)
{
	uint64_t v = dflt;
	pthread_mutex_lock(&g_lock);
	if (g_clock && a64_get_sysreg(g_clock, enc, &v))
		v = dflt;
	pthread_mutex_unlock(&g_lock);
	return v;
}

uint64_t hv_standin_host_counter(void)
{
	return clock_read(0xdf01 /* CNTPCT_EL0 */, 0);
}

uint64_t hv_standin_host_cntfrq(void)
{
	return clock_read(0xdf00 /* CNTFRQ_EL0 */, 24000000);
}

/* The in-kernel GIC: a separate file (included, so the library's source
 * list in src/meson.build stays as it is). */
