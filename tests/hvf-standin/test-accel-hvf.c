/* Tests of the hvf backend (src/accel/hvf.c) through the accelerator
 * interface, on the stand-in framework: the rules the backend adds on top
 * of Hypervisor.framework (16 KiB maps, owner thread, explicit initial
 * state, level-triggered interrupt lines, errors as -errno, counters). */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "accel/accel.h"

#include "test-common.h"

static const struct accel_ops *ops;

struct kicker {
	pthread_t t;
	struct accel_vcpu *v;
	int r;
};
static void *kick_main(void *p)
{
	struct kicker *k = p;
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	k->r = ops->vcpus_exit(&k->v, 1);
	return NULL;
}

static void *foreign_main(void *p)
{
	uint64_t x;
	return (void *)(intptr_t)accel_get_reg(p, ACCEL_REG_X0, &x);
}

static void test_vm_rules(void)
{
	struct accel_vm *vm, *vm2;
	CHECK(accel_vm_create(ops, NULL, &vm) == 0);
	CHECK(accel_vm_create(ops, NULL, &vm2) == -EBUSY);
	const unsigned rwx = ACCEL_MEM_READ | ACCEL_MEM_WRITE | ACCEL_MEM_EXEC;
	CHECK(accel_map(vm, ram + 0x1000, RAM_IPA, 0x4000, rwx) == -EINVAL);
	CHECK(accel_map(vm, ram, RAM_IPA + 0x1000, 0x4000, rwx) == -EINVAL);
	CHECK(accel_map(vm, ram, RAM_IPA, 0x1000, rwx) == -EINVAL);
	CHECK(accel_map(vm, ram, 1ull << 50, 0x4000, rwx) == -EINVAL); /* beyond the IPA size */
	CHECK(accel_map(vm, ram, RAM_IPA, RAM_SIZE, rwx) == 0);
	CHECK(accel_map(vm, ram, RAM_IPA, RAM_SIZE, rwx) == -EEXIST); /* HV_EXISTS from the framework */
	CHECK(accel_protect(vm, RAM_IPA, 0x2000, ACCEL_MEM_READ) == -EINVAL);
	CHECK(accel_unmap(vm, RAM_IPA + 0x1000, 0x4000) == -EINVAL);
	CHECK(accel_unmap(vm, RAM_IPA, RAM_SIZE) == 0);
	accel_vm_destroy(vm);
	/* A larger IPA space than the host allows is refused. */
	struct accel_vm_config cfg = { .ipa_bits = 52 };
	CHECK(accel_vm_create(ops, &cfg, &vm) == -EINVAL);
	cfg.ipa_bits = 36;
	CHECK(accel_vm_create(ops, &cfg, &vm) == 0);
	CHECK(accel_map(vm, ram, 1ull << 36, 0x4000, rwx) == -EINVAL);
	accel_vm_destroy(vm);
	/* pauth (-cpu max): the host's own, checked and then just there (the
	 * stand-in has it, as every Apple silicon CPU does). */
	struct accel_vm_config pa = { .pauth = true };
	struct accel_vcpu *v;
	const struct accel_exit *ex;
	uint64_t isar1 = 0;
	CHECK(accel_vm_create(ops, &pa, &vm) == 0);
	CHECK(accel_vcpu_create(vm, &v, &ex) == 0);
	CHECK(accel_get_sysreg(v, ACCEL_SYSREG(3, 0, 0, 6, 1), &isar1) == 0);
	CHECK((isar1 >> 4 & 0xff) && (isar1 >> 24 & 0xff)); /* APA|API, GPA|GPI */
	accel_vcpu_destroy(v);
	accel_vm_destroy(vm);
}

static void test_vcpu(void)
{
	struct accel_vm *vm;
	struct accel_vcpu *v;
	const struct accel_exit *ex;
	memset(ram, 0, RAM_SIZE);
	put(0, I_HVC(1));                   /* IRQs masked */
	put(4, I_B_SELF);                   /* IRQs unmasked */
	put(VBAR_OFF + 0x280, I_HVC(0x99)); /* IRQ vector */
	CHECK(accel_vm_create(ops, NULL, &vm) == 0);
	CHECK(accel_map(vm, ram, RAM_IPA, RAM_SIZE, ACCEL_MEM_READ | ACCEL_MEM_WRITE | ACCEL_MEM_EXEC) == 0);
	CHECK(accel_vcpu_create(vm, &v, &ex) == 0);

	/* Explicit initial state: EL1h with DAIF masked, SCTLR_EL1 RES1. */
	uint64_t x = 0;
	CHECK(accel_get_reg(v, ACCEL_REG_CPSR, &x) == 0 && (x & 0x3cf) == 0x3c5);
	CHECK(accel_get_sysreg(v, SYSREG_SCTLR_EL1, &x) == 0 && x == 0x30d00800);

	/* Owner thread only. */
	pthread_t t;
	void *res;
	pthread_create(&t, NULL, foreign_main, v);
	pthread_join(t, &res);
	CHECK((intptr_t)res == -EPERM);

	/* Errors become -errno: not a register of the API. */
	CHECK(accel_get_sysreg(v, ACCEL_SYSREG(3, 0, 4, 2, 2), &x) == -EINVAL);
	CHECK(accel_get_reg(v, (enum accel_reg)40, &x) == -EINVAL);
	/* Not API registers, answered from the vCPU configuration. */
	uint64_t dczid = 0;
	CHECK(accel_get_sysreg(v, ACCEL_SYSREG(3, 3, 0, 0, 7), &dczid) == 0);
	{
		hv_vcpu_config_t vc = hv_vcpu_config_create();
		uint64_t want = ~0ull;
		hv_vcpu_config_get_feature_reg(vc, HV_FEATURE_REG_DCZID_EL0, &want);
		os_release(vc);
		CHECK(dczid == want);
	}
	CHECK(accel_get_sysreg(v, ACCEL_SYSREG(3, 3, 0, 0, 1), &x) == 0 && x != 0); /* CTR_EL0 */

	/* Counters answered by the backend: CNTVCT = host counter - offset. */
	uint64_t frq = 0, vct = 0, pct = 0;
	CHECK(ops->set_vtimer_offset(v, 1000) == 0);
	CHECK(accel_get_sysreg(v, ACCEL_SYSREG(3, 3, 14, 0, 0), &frq) == 0 && frq == hv_standin_host_cntfrq());
	CHECK(accel_get_sysreg(v, ACCEL_SYSREG(3, 3, 14, 0, 2), &vct) == 0);
	CHECK(accel_get_sysreg(v, ACCEL_SYSREG(3, 3, 14, 0, 1), &pct) == 0);
	CHECK(pct >= vct + 1000 && pct - (vct + 1000) < frq); /* read within a second */
	CHECK(ops->set_vtimer_offset(v, 0) == 0);

	/* Level-triggered IRQ: set once, still pending in a later run even
	 * though the framework clears it after every run. */
	CHECK(accel_set_reg(v, ACCEL_REG_PC, RAM_IPA) == 0);
	CHECK(accel_set_sysreg(v, SYSREG_VBAR_EL1, RAM_IPA + VBAR_OFF) == 0);
	CHECK(accel_set_pending_interrupt(v, ACCEL_IRQ, true) == 0);
	CHECK(accel_vcpu_run(v) == 0);
	CHECK(ex->reason == ACCEL_EXIT_EXCEPTION && ESR_EC(ex->esr) == EC_HVC64 && (ex->esr & 0xffff) == 1);
	CHECK(accel_set_reg(v, ACCEL_REG_CPSR, 0x345) == 0); /* unmask IRQ */
	CHECK(accel_vcpu_run(v) == 0);
	CHECK(ex->reason == ACCEL_EXIT_EXCEPTION && (ex->esr & 0xffff) == 0x99);
	uint64_t elr = 0;
	CHECK(accel_get_sysreg(v, SYSREG_ELR_EL1, &elr) == 0 && elr == RAM_IPA + 4);

	/* Lowered: no interrupt; the run spins until cancelled from another
	 * thread. */
	CHECK(accel_set_pending_interrupt(v, ACCEL_IRQ, false) == 0);
	CHECK(accel_set_reg(v, ACCEL_REG_PC, RAM_IPA + 4) == 0);
	CHECK(accel_set_reg(v, ACCEL_REG_CPSR, 0x345) == 0);
	struct kicker k = { .v = v, .r = -1 };
	pthread_create(&k.t, NULL, kick_main, &k);
	CHECK(accel_vcpu_run(v) == 0);
	pthread_join(k.t, NULL);
	CHECK(k.r == 0);
	CHECK(ex->reason == ACCEL_EXIT_CANCELED);

	/* The vtimer: exit, then masked until the VMM unmasks. */
	bool m = true;
	CHECK(accel_set_sysreg(v, SYSREG_CNTV_CVAL_EL0, 0) == 0);
	CHECK(accel_set_sysreg(v, SYSREG_CNTV_CTL_EL0, 1) == 0);
	CHECK(accel_set_reg(v, ACCEL_REG_CPSR, 0x3c5) == 0);
	CHECK(accel_vcpu_run(v) == 0);
	CHECK(ex->reason == ACCEL_EXIT_VTIMER_ACTIVATED);
	CHECK(ops->get_vtimer_mask(v, &m) == 0 && m);
	CHECK(ops->set_vtimer_mask(v, false) == 0);
	CHECK(ops->get_vtimer_mask(v, &m) == 0 && !m);

	/* SIMD registers round trip. */
	uint8_t in[16], out[16];
	for (int i = 0; i < 16; i++)
		in[i] = (uint8_t)(0xf0 - i);
	CHECK(accel_set_simd(v, 7, in) == 0 && accel_get_simd(v, 7, out) == 0 && !memcmp(in, out, 16));
	CHECK(accel_set_simd(v, 32, in) == -EINVAL);

	accel_vcpu_destroy(v);
	CHECK(accel_unmap(vm, RAM_IPA, RAM_SIZE) == 0);
	accel_vm_destroy(vm);
}

/* The in-kernel GIC through the interface: placement checked against the
 * framework's sizes, the redistributor region reported back, SPIs and MSIs
 * reach the framework's GIC; EL2 refused with the reason (the stand-in has
 * none); the soft backend has no in-kernel GIC. */
static void test_gic_and_el2(void)
{
	CHECK(accel_soft_ops.gic_create == NULL);
	struct accel_vm *vm = NULL;
	struct accel_vm_config el2 = { .el2 = true };
	CHECK(accel_vm_create(ops, &el2, &vm) == -ENOTSUP);
	CHECK(accel_vm_create(ops, NULL, &vm) == 0);
	CHECK(ops->gic_set_spi(vm, 40, true) == -ENODEV); /* no GIC yet */
	struct accel_gic_config bad = { .num_cpus = 1, .dist_base = 0x08001000, .redist_base = 0x080a0000,
					.redist_size = 0xf60000 };
	CHECK(ops->gic_create(vm, &bad) == -EINVAL); /* distributor not 64 KiB aligned */
	struct accel_gic_config small = { .num_cpus = 1, .dist_base = 0x08000000, .redist_base = 0x080a0000,
					  .redist_size = 0x20000 };
	CHECK(ops->gic_create(vm, &small) == -ENOTSUP); /* the framework's region does not fit */
	struct accel_gic_config gc = { .num_cpus = 2, .dist_base = 0x08000000, .redist_base = 0x080a0000,
				       .redist_size = 0xf60000, .msi_base = 0x08020000, .msi_spi_base = 80,
				       .msi_spi_count = 64 };
	CHECK(ops->gic_create(vm, &gc) == 0);
	size_t rsize = 0;
	CHECK(hv_gic_get_redistributor_region_size(&rsize) == HV_SUCCESS);
	CHECK(gc.redist_used == rsize && rsize >= 2 * 0x20000);
	uint64_t pend = 0;
	CHECK(ops->gic_set_spi(vm, 40, true) == 0);
	CHECK(hv_gic_get_distributor_reg(0x0204, &pend) == HV_SUCCESS && (pend & 1u << 8));
	CHECK(ops->gic_set_spi(vm, 81, true) == -EINVAL); /* the MSI range */
	CHECK(ops->gic_send_msi(vm, 0x08020040, 81, 0) == 0);
	CHECK(hv_gic_get_distributor_reg(0x0208, &pend) == HV_SUCCESS && (pend & 1u << 17));
	CHECK(ops->gic_send_msi(vm, 0x08020000, 81, 0) == -EINVAL);

	/* With hv_gic the framework drives IRQ/FIQ: running a vCPU makes no
	 * hv_vcpu_set_pending_interrupt calls (the old backend made two per
	 * run), a line raised by hand is refused, and the first run reads the
	 * vCPU's redistributor from the framework (inside the window). */
	memset(ram, 0, RAM_SIZE);
	put(0, I_HVC(1));
	CHECK(accel_map(vm, ram, RAM_IPA, RAM_SIZE, ACCEL_MEM_READ | ACCEL_MEM_WRITE | ACCEL_MEM_EXEC) == 0);
	struct accel_vcpu *v = NULL;
	const struct accel_exit *ex = NULL;
	CHECK(accel_vcpu_create(vm, &v, &ex) == 0);
	if (v) {
		CHECK(accel_set_sysreg(v, ACCEL_SYSREG(3, 0, 0, 0, 5), 1ull << 31) == 0); /* MPIDR: Aff0 0 */
		CHECK(accel_set_reg(v, ACCEL_REG_PC, RAM_IPA) == 0);
		uint64_t calls = hv_standin_pending_interrupt_calls();
		CHECK(ops->set_pending_interrupt(v, ACCEL_IRQ, true) == -ENOTSUP);
		CHECK(ops->set_pending_interrupt(v, ACCEL_IRQ, false) == 0);
		CHECK(accel_vcpu_run(v) == 0);
		CHECK(ex->reason == ACCEL_EXIT_EXCEPTION && (ex->esr >> 26) == 0x16); /* the hvc */
		CHECK(hv_standin_pending_interrupt_calls() == calls);
		accel_vcpu_destroy(v);
	}
	CHECK(accel_unmap(vm, RAM_IPA, RAM_SIZE) == 0);
	accel_vm_destroy(vm);
}

int main(void)
{
	ops = accel_find("hvf");
	if (!ops) {
		fprintf(stderr, "hvf backend not built in\n");
		return 1;
	}
	if (test_start())
		return 1;
	test_vm_rules();
	test_vcpu();
	test_gic_and_el2();
	return test_finish("hvf backend on the stand-in");
}
