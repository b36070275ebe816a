/* The soft accelerator: the accelerator interface on the software CPU.
 * Follows Hypervisor.framework's contract, including its thread rule: a
 * vCPU is used only from the thread that created it. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "accel/accel.h"
#include "cpu/cpu.h"
#include "cpu/features.h"
#include "cpu/internal.h"
#include "arch/apple-services.h"

struct soft_vm {
	struct accel_vm base;
	struct a64_vm *vm;
	uint64_t vtimer_offset;
	uint8_t hvc0_mode; /* enum accel_hvc0_mode */
};

struct soft_vcpu {
	struct accel_vcpu base;
	struct soft_vm *vm;
	struct a64_cpu *cpu;
	pthread_t owner;
	struct accel_exit exit;
	struct apple_svc_cpu pac; /* ACCEL_HVC0_HVF_PRIVATE's per-vCPU state */
};

#define SVM(v) ((struct soft_vm *)(v))
#define SVCPU(v) ((struct soft_vcpu *)(v))

/* HVF returns HV_BAD_ARGUMENT for calls from a thread that does not own the
 * vCPU; the soft backend enforces the same rule so bugs show up here. */
#define OWNER_CHECK(v)                                          \
	do {                                                    \
		if (!pthread_equal(SVCPU(v)->owner, pthread_self())) \
			return -EPERM;                          \
	} while (0)

static int soft_vm_create(const struct accel_vm_config *cfg, struct accel_vm **out)
{
	struct soft_vm *vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->vm = a64_vm_new(cfg ? cfg->cntfrq_hz : 0);
	if (!vm->vm) {
		free(vm);
		return -ENOMEM;
	}
	a64_vm_set_pauth(vm->vm, cfg && cfg->pauth);
	vm->hvc0_mode = cfg ? cfg->hvc0_mode : ACCEL_HVC0_EXIT;
	vm->base.ops = &accel_soft_ops;
	*out = &vm->base;
	return 0;
}

static void soft_vm_destroy(struct accel_vm *v)
{
	a64_vm_free(SVM(v)->vm);
	free(v);
}

/* What ID_AA64MMFR0_EL1.PARange advertises to the guest. */
static unsigned soft_ipa_bits(struct accel_vm *v)
{
	static const unsigned bits[8] = { 32, 36, 40, 42, 44, 48, 52, 52 };
	(void)v;
	return bits[FEAT_ID_AA64MMFR0 & 7];
}

static int soft_map(struct accel_vm *v, void *host, uint64_t ipa, uint64_t size, unsigned flags)
{
	return a64_vm_map(SVM(v)->vm, host, ipa, size, flags);
}

static int soft_unmap(struct accel_vm *v, uint64_t ipa, uint64_t size)
{
	return a64_vm_unmap(SVM(v)->vm, ipa, size);
}

static int soft_protect(struct accel_vm *v, uint64_t ipa, uint64_t size, unsigned flags)
{
	return a64_vm_protect(SVM(v)->vm, ipa, size, flags);
}

static int soft_vcpu_create(struct accel_vm *v, struct accel_vcpu **out, const struct accel_exit **exit)
{
	struct soft_vcpu *vc = calloc(1, sizeof(*vc));
	if (!vc)
		return -ENOMEM;
	vc->cpu = a64_cpu_new(SVM(v)->vm);
	if (!vc->cpu) {
		free(vc);
		return -ENOMEM;
	}
	vc->base.ops = &accel_soft_ops;
	vc->vm = SVM(v);
	vc->owner = pthread_self();
	*out = &vc->base;
	if (exit)
		*exit = &vc->exit;
	return 0;
}

static void soft_vcpu_destroy(struct accel_vcpu *v)
{
	a64_cpu_free(SVCPU(v)->cpu);
	free(v);
}

static int pac_set_sysreg(void *ctx, uint16_t enc, uint64_t val)
{
	return a64_set_sysreg(ctx, enc, val);
}

/* `hvc #0` with x0 in Apple's 0xC1xxxxxx range, answered inside the run as
 * HVF does (HvDecompile deliver_pac_trap; facts/hvapi.md §2.2): refused
 * with x0 = 0xFFFFFFFF without the private ISA level, or implemented with
 * HVF's fixed default keys with it. Returns true if answered. */
static bool hvc0_intercept(struct soft_vcpu *vc)
{
	const struct accel_exit *ex = &vc->exit;
	if (vc->vm->hvc0_mode == ACCEL_HVC0_EXIT || ex->reason != ACCEL_EXIT_EXCEPTION)
		return false;
	uint64_t x[5];
	x[0] = a64_get_reg(vc->cpu, ACCEL_REG_X0);
	if (!apple_hvf_answers_hvc(ex->esr, x[0]))
		return false;
	if (vc->vm->hvc0_mode == ACCEL_HVC0_HVF_PUBLIC) {
		a64_set_reg(vc->cpu, ACCEL_REG_X0, APPLE_HVF_REFUSED);
		return true;
	}
	for (unsigned i = 1; i < 5; i++)
		x[i] = a64_get_reg(vc->cpu, (enum accel_reg)(ACCEL_REG_X0 + i));
	const struct apple_svc_env env = { .set_sysreg = pac_set_sysreg, .ctx = vc->cpu };
	unsigned m = apple_pac_call(&apple_pac_hvf_defaults, &vc->pac, &env, x);
	for (unsigned i = 0; i < 5; i++)
		if (m & (1u << i))
			a64_set_reg(vc->cpu, (enum accel_reg)(ACCEL_REG_X0 + i), x[i]);
	return true;
}

static int soft_vcpu_run(struct accel_vcpu *v)
{
	OWNER_CHECK(v);
	do
		a64_cpu_run(SVCPU(v)->cpu, &SVCPU(v)->exit);
	while (hvc0_intercept(SVCPU(v)));
	return 0;
}

static int soft_get_reg(struct accel_vcpu *v, enum accel_reg r, uint64_t *val)
{
	OWNER_CHECK(v);
	if ((unsigned)r > ACCEL_REG_CPSR)
		return -EINVAL;
	*val = a64_get_reg(SVCPU(v)->cpu, r);
	return 0;
}

static int soft_set_reg(struct accel_vcpu *v, enum accel_reg r, uint64_t val)
{
	OWNER_CHECK(v);
	if ((unsigned)r > ACCEL_REG_CPSR)
		return -EINVAL;
	a64_set_reg(SVCPU(v)->cpu, r, val);
	return 0;
}

static int soft_get_simd(struct accel_vcpu *v, unsigned r, uint8_t val[16])
{
	OWNER_CHECK(v);
	if (r > 31)
		return -EINVAL;
	a64_get_simd(SVCPU(v)->cpu, r, val);
	return 0;
}

static int soft_set_simd(struct accel_vcpu *v, unsigned r, const uint8_t val[16])
{
	OWNER_CHECK(v);
	if (r > 31)
		return -EINVAL;
	a64_set_simd(SVCPU(v)->cpu, r, val);
	return 0;
}

static int soft_get_sysreg(struct accel_vcpu *v, uint16_t enc, uint64_t *val)
{
	OWNER_CHECK(v);
	return a64_get_sysreg(SVCPU(v)->cpu, enc, val);
}

static int soft_set_sysreg(struct accel_vcpu *v, uint16_t enc, uint64_t val)
{
	OWNER_CHECK(v);
	return a64_set_sysreg(SVCPU(v)->cpu, enc, val);
}

static int soft_set_pending_interrupt(struct accel_vcpu *v, enum accel_irq_type t, bool pending)
{
	OWNER_CHECK(v);
	if (t != ACCEL_IRQ && t != ACCEL_FIQ)
		return -EINVAL;
	a64_set_irq_line(SVCPU(v)->cpu, t, pending);
	return 0;
}

static int soft_get_vtimer_mask(struct accel_vcpu *v, bool *masked)
{
	OWNER_CHECK(v);
	*masked = a64_get_vtimer_mask(SVCPU(v)->cpu);
	return 0;
}

static int soft_set_vtimer_mask(struct accel_vcpu *v, bool masked)
{
	OWNER_CHECK(v);
	a64_set_vtimer_mask(SVCPU(v)->cpu, masked);
	return 0;
}

static int soft_get_vtimer_offset(struct accel_vcpu *v, uint64_t *off)
{
	OWNER_CHECK(v);
	*off = a64_get_vtimer_offset(SVCPU(v)->cpu);
	return 0;
}

static int soft_set_vtimer_offset(struct accel_vcpu *v, uint64_t off)
{
	OWNER_CHECK(v);
	a64_set_vtimer_offset(SVCPU(v)->cpu, off);
	return 0;
}

static int soft_set_trap_debug(struct accel_vcpu *v, bool trap)
{
	OWNER_CHECK(v);
	a64_set_trap_debug(SVCPU(v)->cpu, trap);
	return 0;
}

static int soft_vcpus_exit(struct accel_vcpu *const *vcpus, unsigned count)
{
	for (unsigned i = 0; i < count; i++)
		a64_cpu_kick(SVCPU(vcpus[i])->cpu);
	return 0;
}

static void soft_code_written(struct accel_vm *v, void *host, size_t size)
{
	a64_vm_code_written(SVM(v)->vm, host, size);
}

const struct accel_ops accel_soft_ops = {
	.name = "soft",
	.vm_create = soft_vm_create,
	.vm_destroy = soft_vm_destroy,
	.ipa_bits = soft_ipa_bits,
	.map = soft_map,
	.unmap = soft_unmap,
	.protect = soft_protect,
	.vcpu_create = soft_vcpu_create,
	.vcpu_destroy = soft_vcpu_destroy,
	.vcpu_run = soft_vcpu_run,
	.get_reg = soft_get_reg,
	.set_reg = soft_set_reg,
	.get_simd = soft_get_simd,
	.set_simd = soft_set_simd,
	.get_sysreg = soft_get_sysreg,
	.set_sysreg = soft_set_sysreg,
	.set_pending_interrupt = soft_set_pending_interrupt,
	.get_vtimer_mask = soft_get_vtimer_mask,
	.set_vtimer_mask = soft_set_vtimer_mask,
	.get_vtimer_offset = soft_get_vtimer_offset,
	.set_vtimer_offset = soft_set_vtimer_offset,
	.set_trap_debug_exceptions = soft_set_trap_debug,
	.vcpus_exit = soft_vcpus_exit,
	.code_written = soft_code_written,
};

const struct a64_stats *soft_vcpu_stats(struct accel_vcpu *v)
{
	return a64_cpu_stats(SVCPU(v)->cpu);
}

/* Soft-CPU counters, for --stats. */
void soft_print_stats(struct accel_vcpu *v, FILE *f);
void soft_print_stats(struct accel_vcpu *v, FILE *f)
{
	const struct a64_stats *s = a64_cpu_stats(SVCPU(v)->cpu);
	fprintf(f, "avmm: soft cpu: %llu instructions, %llu decoded, %llu undefined, %llu tlb misses, %llu code cache flushes\n",
		(unsigned long long)s->insns, (unsigned long long)s->decoded, (unsigned long long)s->undef,
		(unsigned long long)s->tlb_misses, (unsigned long long)s->dcache_flushes);
	fprintf(f, "avmm: soft cpu: %llu tlb flushes, %llu itlb misses, %llu exceptions taken, %llu resyncs\n",
		(unsigned long long)s->tlb_flushes, (unsigned long long)s->itlb_misses,
		(unsigned long long)s->exceptions, (unsigned long long)s->resyncs);
	fprintf(f, "avmm: soft cpu: decoded-code cache %llu KiB now, %llu KiB at most, budget %llu KiB\n",
		(unsigned long long)(s->dcache_bytes >> 10), (unsigned long long)(s->dcache_peak_bytes >> 10),
		(unsigned long long)(s->dcache_budget_bytes >> 10));
}
