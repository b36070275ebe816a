/* Contract tests of the Hypervisor.framework stand-in: each documented
 * behaviour and quirk of the framework (facts/hvapi.md §1-2) that
 * src/accel/hvf.c relies on, shown on the stand-in. If one of these fails,
 * the stand-in no longer models the framework and CI's -accel hvf runs
 * prove less. */
#include <pthread.h>
#include <time.h>

#include "test-common.h"

#define MMIO_IPA 0x09000000ull

/* A64 encodings used by the guest snippets (besides test-common.h's). */
#define I_SMC(imm) (0xd4000003u | (uint32_t)(imm) << 5)
#define I_STR_X1_X2 0xf9000041u
#define I_NOP 0xd503201fu

static hv_vcpu_t vcpu_up(hv_vcpu_exit_t **exit, uint64_t pc, uint64_t cpsr)
{
	hv_vcpu_t v = ~0ull;
	CHECK_HV(hv_vcpu_create(&v, exit, NULL), HV_SUCCESS);
	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_CPSR, cpsr), HV_SUCCESS);
	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_PC, pc), HV_SUCCESS);
	CHECK_HV(hv_vcpu_set_sys_reg(v, HV_SYS_REG_VBAR_EL1, RAM_IPA + VBAR_OFF), HV_SUCCESS);
	return v;
}

/* A thread that cancels a vCPU after a delay: for runs that would spin. */
struct kicker {
	pthread_t t;
	hv_vcpu_t v;
	hv_return_t r;
};
static void *kick_main(void *p)
{
	struct kicker *k = p;
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	k->r = hv_vcpus_exit(&k->v, 1);
	return NULL;
}
static void kick_later(struct kicker *k, hv_vcpu_t v)
{
	k->v = v;
	k->r = HV_ERROR;
	pthread_create(&k->t, NULL, kick_main, k);
}
static void kick_join(struct kicker *k)
{
	pthread_join(k->t, NULL);
	CHECK_HV(k->r, HV_SUCCESS);
}

/* ---- The tests ------------------------------------------------------------ */

static void test_one_vm_per_process(void)
{
	CHECK_HV(hv_vm_create(NULL), HV_SUCCESS);
	CHECK(hv_vm_create(NULL) != HV_SUCCESS);
	CHECK_HV(hv_vm_destroy(), HV_SUCCESS);
	CHECK(hv_vm_destroy() != HV_SUCCESS);
	CHECK_HV(hv_vm_create(NULL), HV_SUCCESS); /* again after destroy */
	CHECK_HV(hv_vm_destroy(), HV_SUCCESS);
}

static void test_vm_config(void)
{
	uint32_t max = 0, def = 0, got = 0;
	CHECK_HV(hv_vm_config_get_max_ipa_size(&max), HV_SUCCESS);
	CHECK_HV(hv_vm_config_get_default_ipa_size(&def), HV_SUCCESS);
	CHECK(def == 36 && max >= def);
	hv_vm_config_t c = hv_vm_config_create();
	CHECK(c != NULL);
	CHECK_HV(hv_vm_config_get_ipa_size(c, &got), HV_SUCCESS);
	CHECK(got == def);
	CHECK(hv_vm_config_set_ipa_size(c, max + 1) != HV_SUCCESS);
	CHECK_HV(hv_vm_config_set_ipa_size(c, max), HV_SUCCESS);
	bool el2 = true;
	CHECK_HV(hv_vm_config_get_el2_supported(&el2), HV_SUCCESS);
	CHECK(!el2);
	CHECK_HV(hv_vm_config_set_el2_enabled(c, true), HV_UNSUPPORTED);
	CHECK_HV(hv_vm_config_get_el2_enabled(c, &el2), HV_SUCCESS);
	CHECK(!el2);
	CHECK_HV(hv_vm_create(c), HV_SUCCESS);
	os_release(c);
	/* The bigger IPA space is usable; beyond it is not. */
	CHECK_HV(hv_vm_map(ram, 1ull << def, 0x4000, HV_MEMORY_READ), HV_SUCCESS);
	CHECK_HV(hv_vm_unmap(1ull << def, 0x4000), HV_SUCCESS);
	CHECK_HV(hv_vm_map(ram, (1ull << max) - 0x4000, 0x8000, HV_MEMORY_READ), HV_BAD_ARGUMENT);
	CHECK_HV(hv_vm_destroy(), HV_SUCCESS);

	/* The default VM: 36 bits. */
	CHECK_HV(hv_vm_create(NULL), HV_SUCCESS);
	CHECK_HV(hv_vm_map(ram, 1ull << 36, 0x4000, HV_MEMORY_READ), HV_BAD_ARGUMENT);
	CHECK_HV(hv_vm_destroy(), HV_SUCCESS);
}

static void test_16k_alignment(void)
{
	CHECK_HV(hv_vm_create(NULL), HV_SUCCESS);
	const hv_memory_flags_t rw = HV_MEMORY_READ | HV_MEMORY_WRITE;
	CHECK_HV(hv_vm_map(ram + 0x1000, RAM_IPA, 0x4000, rw), HV_BAD_ARGUMENT); /* host address */
	CHECK_HV(hv_vm_map(ram, RAM_IPA + 0x1000, 0x4000, rw), HV_BAD_ARGUMENT); /* IPA */
	CHECK_HV(hv_vm_map(ram, RAM_IPA, 0x1000, rw), HV_BAD_ARGUMENT);          /* size */
	CHECK_HV(hv_vm_map(ram, RAM_IPA, 0x6000, rw), HV_BAD_ARGUMENT);
	CHECK_HV(hv_vm_map(ram, RAM_IPA, 0, rw), HV_BAD_ARGUMENT);
	CHECK_HV(hv_vm_map(ram, RAM_IPA, 0x8000, rw | 8), HV_BAD_ARGUMENT); /* unknown flag */
	CHECK_HV(hv_vm_map(ram, RAM_IPA, 0x8000, rw), HV_SUCCESS);
	CHECK(hv_vm_map(ram + 0x8000, RAM_IPA + 0x4000, 0x4000, rw) != HV_SUCCESS); /* overlap */
	CHECK_HV(hv_vm_protect(RAM_IPA + 0x1000, 0x4000, HV_MEMORY_READ), HV_BAD_ARGUMENT);
	CHECK_HV(hv_vm_protect(RAM_IPA, 0x2000, HV_MEMORY_READ), HV_BAD_ARGUMENT);
	CHECK_HV(hv_vm_protect(RAM_IPA + 0x4000, 0x4000, HV_MEMORY_READ), HV_SUCCESS);
	CHECK_HV(hv_vm_unmap(RAM_IPA, 0x1000), HV_BAD_ARGUMENT);
	CHECK_HV(hv_vm_unmap(RAM_IPA + 0x2000, 0x4000), HV_BAD_ARGUMENT);
	CHECK_HV(hv_vm_unmap(RAM_IPA, 0x8000), HV_SUCCESS);
	CHECK_HV(hv_vm_destroy(), HV_SUCCESS);
}

/* hv_vcpu_create hands out the framework's own exit record, rewritten by
 * every run; HVC exits with PC past the instruction, SMC and data aborts
 * with PC at it. */
static void test_exits(void)
{
	vm_up();
	put(0, I_HVC(0x12));
	put(4, I_SMC(0x34));
	put(8, I_STR_X1_X2);
	hv_vcpu_exit_t *ex = NULL;
	hv_vcpu_t v = vcpu_up(&ex, RAM_IPA, CPSR_EL1H_MASKED);
	CHECK(ex != NULL);
	hv_vcpu_exit_t *first = ex;

	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	CHECK(ex->reason == HV_EXIT_REASON_EXCEPTION);
	CHECK(ex->exception.syndrome >> 26 == 0x16);      /* HVC64 */
	CHECK((ex->exception.syndrome & 0xffff) == 0x12); /* imm16 */
	CHECK(reg(v, HV_REG_PC) == RAM_IPA + 4);           /* past the HVC */

	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	CHECK(ex->reason == HV_EXIT_REASON_EXCEPTION);
	CHECK(ex->exception.syndrome >> 26 == 0x17);      /* SMC64 */
	CHECK((ex->exception.syndrome & 0xffff) == 0x34);
	CHECK(reg(v, HV_REG_PC) == RAM_IPA + 4); /* at the SMC: the VMM advances */
	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_PC, RAM_IPA + 8), HV_SUCCESS);

	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_X1, 0x1122334455667788ull), HV_SUCCESS);
	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_X2, MMIO_IPA + 0x18), HV_SUCCESS);
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	CHECK(ex == first); /* the same record, rewritten */
	CHECK(ex->reason == HV_EXIT_REASON_EXCEPTION);
	uint64_t esr = ex->exception.syndrome;
	CHECK(esr >> 26 == 0x24);        /* data abort, lower EL */
	CHECK(esr & (1u << 24));         /* ISV */
	CHECK(((esr >> 22) & 3) == 3);   /* 8 bytes */
	CHECK(((esr >> 16) & 31) == 1);  /* SRT = x1 */
	CHECK(esr & (1u << 6));          /* write */
	CHECK(ex->exception.physical_address == MMIO_IPA + 0x18);
	CHECK(ex->exception.virtual_address == MMIO_IPA + 0x18);
	CHECK(reg(v, HV_REG_PC) == RAM_IPA + 8);

	CHECK_HV(hv_vcpu_destroy(v), HV_SUCCESS);
	vm_down();
}

/* hv_vcpus_exit on a vCPU that is not running is remembered: the next run
 * returns CANCELED at once, and only that one. On a running vCPU it makes
 * the run return CANCELED. */
static void test_cancel(void)
{
	vm_up();
	put(0, I_HVC(1));
	put(4, I_B_SELF);
	hv_vcpu_exit_t *ex;
	hv_vcpu_t v = vcpu_up(&ex, RAM_IPA, CPSR_EL1H_MASKED);
	CHECK_HV(hv_vcpus_exit(&v, 1), HV_SUCCESS);
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	CHECK(ex->reason == HV_EXIT_REASON_CANCELED);
	CHECK(reg(v, HV_REG_PC) == RAM_IPA); /* nothing executed */
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	CHECK(ex->reason == HV_EXIT_REASON_EXCEPTION && ex->exception.syndrome >> 26 == 0x16);

	struct kicker k;
	kick_later(&k, v); /* the vCPU now spins on "b ." */
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	kick_join(&k);
	CHECK(ex->reason == HV_EXIT_REASON_CANCELED);
	CHECK(reg(v, HV_REG_PC) == RAM_IPA + 4);

	hv_vcpu_t bad = 63;
	CHECK_HV(hv_vcpus_exit(&bad, 1), HV_BAD_ARGUMENT);
	CHECK_HV(hv_vcpu_destroy(v), HV_SUCCESS);
	vm_down();
}

/* The pending IRQ line is taken when unmasked, and the framework clears it
 * after every run: the VMM must set it again before each run. */
static void test_pending_interrupt_cleared(void)
{
	vm_up();
	put(0, I_HVC(2));                  /* runs with IRQs masked */
	put(4, I_B_SELF);                  /* then spins, IRQs unmasked */
	put(VBAR_OFF + 0x280, I_HVC(0x99)); /* IRQ, current EL, SPx */
	hv_vcpu_exit_t *ex;
	hv_vcpu_t v = vcpu_up(&ex, RAM_IPA, CPSR_EL1H_MASKED);
	bool p = false;
	CHECK_HV(hv_vcpu_set_pending_interrupt(v, HV_INTERRUPT_TYPE_IRQ, true), HV_SUCCESS);
	CHECK_HV(hv_vcpu_get_pending_interrupt(v, HV_INTERRUPT_TYPE_IRQ, &p), HV_SUCCESS);
	CHECK(p);
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS); /* masked: not taken */
	CHECK(ex->reason == HV_EXIT_REASON_EXCEPTION && (ex->exception.syndrome & 0xffff) == 2);
	CHECK_HV(hv_vcpu_get_pending_interrupt(v, HV_INTERRUPT_TYPE_IRQ, &p), HV_SUCCESS);
	CHECK(!p); /* consumed by the run */

	/* Unmasked, line not re-asserted: the interrupt is gone. */
	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_CPSR, CPSR_EL1H_IRQ_ON), HV_SUCCESS);
	struct kicker k;
	kick_later(&k, v);
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	kick_join(&k);
	CHECK(ex->reason == HV_EXIT_REASON_CANCELED);

	/* Re-asserted: taken at VBAR + 0x280. */
	CHECK_HV(hv_vcpu_set_pending_interrupt(v, HV_INTERRUPT_TYPE_IRQ, true), HV_SUCCESS);
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	CHECK(ex->reason == HV_EXIT_REASON_EXCEPTION && (ex->exception.syndrome & 0xffff) == 0x99);
	CHECK(reg(v, HV_REG_PC) == RAM_IPA + VBAR_OFF + 0x284);
	uint64_t elr = 0;
	CHECK_HV(hv_vcpu_get_sys_reg(v, HV_SYS_REG_ELR_EL1, &elr), HV_SUCCESS);
	CHECK(elr == RAM_IPA + 4);

	/* FIQ is a separate line, also consumed. */
	CHECK_HV(hv_vcpu_set_pending_interrupt(v, HV_INTERRUPT_TYPE_FIQ, true), HV_SUCCESS);
	CHECK_HV(hv_vcpus_exit(&v, 1), HV_SUCCESS);
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	CHECK_HV(hv_vcpu_get_pending_interrupt(v, HV_INTERRUPT_TYPE_FIQ, &p), HV_SUCCESS);
	CHECK(!p);
	CHECK_HV(hv_vcpu_set_pending_interrupt(v, 2, true), HV_BAD_ARGUMENT);
	CHECK_HV(hv_vcpu_destroy(v), HV_SUCCESS);
	vm_down();
}

/* A VTIMER_ACTIVATED exit leaves the vtimer masked: no further vtimer exits
 * until the VMM unmasks it. */
static void test_vtimer_masked_after_exit(void)
{
	vm_up();
	put(0, I_B_SELF);
	hv_vcpu_exit_t *ex;
	hv_vcpu_t v = vcpu_up(&ex, RAM_IPA, CPSR_EL1H_MASKED);
	bool m = true;
	CHECK_HV(hv_vcpu_get_vtimer_mask(v, &m), HV_SUCCESS);
	CHECK(!m);
	CHECK_HV(hv_vcpu_set_sys_reg(v, HV_SYS_REG_CNTV_CVAL_EL0, 0), HV_SUCCESS);
	CHECK_HV(hv_vcpu_set_sys_reg(v, HV_SYS_REG_CNTV_CTL_EL0, 1), HV_SUCCESS); /* enabled, fires now */
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	CHECK(ex->reason == HV_EXIT_REASON_VTIMER_ACTIVATED);
	CHECK_HV(hv_vcpu_get_vtimer_mask(v, &m), HV_SUCCESS);
	CHECK(m);
	uint64_t ctl = 0;
	CHECK_HV(hv_vcpu_get_sys_reg(v, HV_SYS_REG_CNTV_CTL_EL0, &ctl), HV_SUCCESS);
	CHECK(ctl == 5); /* ENABLE | ISTATUS */

	struct kicker k;
	kick_later(&k, v);
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	kick_join(&k);
	CHECK(ex->reason == HV_EXIT_REASON_CANCELED); /* masked: no second exit */

	CHECK_HV(hv_vcpu_set_vtimer_mask(v, false), HV_SUCCESS);
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	CHECK(ex->reason == HV_EXIT_REASON_VTIMER_ACTIVATED);

	/* The offset: the guest's count is the host counter minus it. */
	uint64_t off = 0;
	CHECK_HV(hv_vcpu_set_vtimer_offset(v, 12345), HV_SUCCESS);
	CHECK_HV(hv_vcpu_get_vtimer_offset(v, &off), HV_SUCCESS);
	CHECK(off == 12345);
	CHECK(hv_standin_host_cntfrq() == 24000000);
	CHECK_HV(hv_vcpu_destroy(v), HV_SUCCESS);
	vm_down();
}

/* Every hv_vcpu_* call from a thread that does not own the vCPU fails with
 * HV_BAD_ARGUMENT; hv_vcpus_exit is allowed from any thread. */
struct foreign {
	hv_vcpu_t v;
	hv_return_t r[12];
};
static void *foreign_main(void *p)
{
	struct foreign *f = p;
	uint64_t x;
	bool b;
	hv_simd_fp_uchar16_t q;
	memset(&q, 0, sizeof(q));
	f->r[0] = hv_vcpu_get_reg(f->v, HV_REG_X0, &x);
	f->r[1] = hv_vcpu_set_reg(f->v, HV_REG_X0, 1);
	f->r[2] = hv_vcpu_get_sys_reg(f->v, HV_SYS_REG_SCTLR_EL1, &x);
	f->r[3] = hv_vcpu_set_sys_reg(f->v, HV_SYS_REG_SCTLR_EL1, 0);
	f->r[4] = hv_vcpu_run(f->v);
	f->r[5] = hv_vcpu_set_pending_interrupt(f->v, HV_INTERRUPT_TYPE_IRQ, true);
	f->r[6] = hv_vcpu_set_vtimer_mask(f->v, true);
	f->r[7] = hv_vcpu_get_vtimer_offset(f->v, &x);
	f->r[8] = hv_vcpu_get_simd_fp_reg(f->v, 0, &q);
	f->r[9] = hv_vcpu_get_trap_debug_exceptions(f->v, &b);
	f->r[10] = hv_vcpu_destroy(f->v);
	f->r[11] = hv_vcpus_exit(&f->v, 1);
	return NULL;
}
static void test_thread_affinity(void)
{
	vm_up();
	put(0, I_HVC(3));
	hv_vcpu_exit_t *ex;
	hv_vcpu_t v = vcpu_up(&ex, RAM_IPA, CPSR_EL1H_MASKED);
	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_X0, 7), HV_SUCCESS);
	struct foreign f = { .v = v };
	pthread_t t;
	pthread_create(&t, NULL, foreign_main, &f);
	pthread_join(t, NULL);
	for (int i = 0; i <= 10; i++)
		CHECK_HV(f.r[i], HV_BAD_ARGUMENT);
	CHECK_HV(f.r[11], HV_SUCCESS);
	CHECK(reg(v, HV_REG_X0) == 7); /* untouched */
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	CHECK(ex->reason == HV_EXIT_REASON_CANCELED); /* the foreign cancel */
	CHECK_HV(hv_vm_destroy(), HV_BUSY);          /* a vCPU still exists */
	CHECK_HV(hv_vcpu_destroy(v), HV_SUCCESS);
	CHECK_HV(hv_vcpu_get_reg(v, HV_REG_X0, &(uint64_t){ 0 }), HV_BAD_ARGUMENT); /* gone */
	vm_down();
}

/* Registers: the hv_reg_t / hv_sys_reg_t numbering, SP as SP_EL0/SP_EL1,
 * MIDR and MPIDR settable, ID registers as hv_vcpu_config reports them. */
static void test_registers(void)
{
	vm_up();
	hv_vcpu_exit_t *ex;
	hv_vcpu_t v = vcpu_up(&ex, RAM_IPA, CPSR_EL1H_MASKED);
	uint64_t x = 0;
	CHECK_HV(hv_vcpu_get_reg(v, HV_REG_CPSR, &x), HV_SUCCESS);
	CHECK((x & 0x3cf) == CPSR_EL1H_MASKED);
	CHECK_HV(hv_vcpu_get_reg(v, 35, &x), HV_BAD_ARGUMENT);
	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_LR, 0xabc), HV_SUCCESS);
	CHECK(reg(v, HV_REG_X30) == 0xabc);

	CHECK_HV(hv_vcpu_set_sys_reg(v, HV_SYS_REG_SP_EL1, RAM_IPA + 0x8000), HV_SUCCESS);
	CHECK_HV(hv_vcpu_set_sys_reg(v, HV_SYS_REG_SP_EL0, 0x1230), HV_SUCCESS);
	CHECK_HV(hv_vcpu_get_sys_reg(v, HV_SYS_REG_SP_EL1, &x), HV_SUCCESS);
	CHECK(x == RAM_IPA + 0x8000);
	CHECK_HV(hv_vcpu_get_sys_reg(v, HV_SYS_REG_SP_EL0, &x), HV_SUCCESS);
	CHECK(x == 0x1230);

	CHECK_HV(hv_vcpu_set_sys_reg(v, HV_SYS_REG_MIDR_EL1, 0x610f0000), HV_SUCCESS);
	CHECK_HV(hv_vcpu_get_sys_reg(v, HV_SYS_REG_MIDR_EL1, &x), HV_SUCCESS);
	CHECK(x == 0x610f0000);
	CHECK_HV(hv_vcpu_set_sys_reg(v, HV_SYS_REG_MPIDR_EL1, 0x80000001), HV_SUCCESS);
	CHECK_HV(hv_vcpu_get_sys_reg(v, HV_SYS_REG_MPIDR_EL1, &x), HV_SUCCESS);
	CHECK(x == 0x80000001);

	/* Not registers of the API (the counters, CurrentEL): refused. */
	CHECK_HV(hv_vcpu_get_sys_reg(v, 0xdf02 /* CNTVCT_EL0 */, &x), HV_BAD_ARGUMENT);
	CHECK_HV(hv_vcpu_get_sys_reg(v, 0xc212 /* CurrentEL */, &x), HV_BAD_ARGUMENT);

	hv_vcpu_config_t vc = hv_vcpu_config_create();
	uint64_t feat = 0, mmfr0 = 1;
	CHECK_HV(hv_vcpu_config_get_feature_reg(vc, HV_FEATURE_REG_ID_AA64MMFR0_EL1, &feat), HV_SUCCESS);
	CHECK_HV(hv_vcpu_get_sys_reg(v, HV_SYS_REG_ID_AA64MMFR0_EL1, &mmfr0), HV_SUCCESS);
	CHECK(feat == mmfr0);
	CHECK_HV(hv_vcpu_config_get_feature_reg(vc, 99, &feat), HV_BAD_ARGUMENT);
	os_release(vc);
	CHECK_HV(hv_vcpu_set_sys_reg(v, HV_SYS_REG_ID_AA64MMFR0_EL1, mmfr0), HV_SUCCESS);

	uint8_t in[16], out[16];
	for (int i = 0; i < 16; i++)
		in[i] = (uint8_t)(i * 17 + 1);
	hv_simd_fp_uchar16_t q;
	memcpy(&q, in, 16);
	CHECK_HV(hv_vcpu_set_simd_fp_reg(v, 31, q), HV_SUCCESS);
	memset(&q, 0, 16);
	CHECK_HV(hv_vcpu_get_simd_fp_reg(v, 31, &q), HV_SUCCESS);
	memcpy(out, &q, 16);
	CHECK(!memcmp(in, out, 16));
	CHECK_HV(hv_vcpu_get_simd_fp_reg(v, 32, &q), HV_BAD_ARGUMENT);
	CHECK_HV(hv_vcpu_destroy(v), HV_SUCCESS);
	vm_down();
}

/* Pointer authentication, as Apple silicon gives it to HVF guests: the
 * guest sees FEAT_PAuth in ID_AA64ISAR1 (the soft CPU's fields here, API
 * and GPI; Apple's own on a Mac), the VMM reaches the five keys through
 * hv_vcpu_get/set_sys_reg (QEMU's hvf.c syncs them), and they are the keys
 * the guest's PAC instructions use. */
#define I_PACIA_X1_X2 0xdac10041u /* pacia x1, x2 */
#define I_AUTIA_X1_X2 0xdac11041u /* autia x1, x2 */
#define I_MRS_X1_ISAR1 0xd5380621u /* mrs x1, id_aa64isar1_el1 */
#define I_MRS_X1_APIAKEYLO 0xd5382101u /* mrs x1, apiakeylo_el1 */
#define SCTLR_ENIA (1ull << 31)

static void test_pauth(void)
{
	hv_vcpu_config_t vc = hv_vcpu_config_create();
	uint64_t isar1 = 0, own = 1;
	CHECK_HV(hv_vcpu_config_get_feature_reg(vc, HV_FEATURE_REG_ID_AA64ISAR1_EL1, &isar1), HV_SUCCESS);
	os_release(vc);
	/* FEAT_PAuth: APA (7:4) or API (11:8); generic: GPA (27:24) or GPI (31:28). */
	CHECK((isar1 >> 4 & 0xff) != 0);
	CHECK((isar1 >> 24 & 0xff) != 0);

	vm_up();
	put(0, I_MRS_X1_ISAR1);
	put(4, I_HVC(1));
	put(8, I_MRS_X1_APIAKEYLO);
	put(12, I_HVC(2));
	put(16, I_PACIA_X1_X2);
	put(20, I_HVC(3));
	put(24, I_AUTIA_X1_X2);
	put(28, I_HVC(4));
	put(VBAR_OFF + 0x200, I_HVC(0x55)); /* a synchronous exception (FPAC) */
	hv_vcpu_exit_t *ex;
	hv_vcpu_t v = vcpu_up(&ex, RAM_IPA, CPSR_EL1H_MASKED);
	CHECK_HV(hv_vcpu_get_sys_reg(v, HV_SYS_REG_ID_AA64ISAR1_EL1, &own), HV_SUCCESS);
	CHECK(own == isar1);
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	CHECK(ex->reason == HV_EXIT_REASON_EXCEPTION && (ex->exception.syndrome & 0xffff) == 1);
	CHECK(reg(v, HV_REG_X1) == isar1); /* the guest's view */

	/* All ten key halves, each its own register. */
	static const hv_sys_reg_t keys[] = {
		HV_SYS_REG_APIAKEYLO_EL1, HV_SYS_REG_APIAKEYHI_EL1, HV_SYS_REG_APIBKEYLO_EL1, HV_SYS_REG_APIBKEYHI_EL1,
		HV_SYS_REG_APDAKEYLO_EL1, HV_SYS_REG_APDAKEYHI_EL1, HV_SYS_REG_APDBKEYLO_EL1, HV_SYS_REG_APDBKEYHI_EL1,
		HV_SYS_REG_APGAKEYLO_EL1, HV_SYS_REG_APGAKEYHI_EL1,
	};
	for (unsigned i = 0; i < 10; i++)
		CHECK_HV(hv_vcpu_set_sys_reg(v, keys[i], 0x1111111111111111ull * (i + 1)), HV_SUCCESS);
	for (unsigned i = 0; i < 10; i++) {
		uint64_t k = 0;
		CHECK_HV(hv_vcpu_get_sys_reg(v, keys[i], &k), HV_SUCCESS);
		CHECK(k == 0x1111111111111111ull * (i + 1));
	}
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS); /* mrs x1, APIAKeyLo_EL1 */
	CHECK(ex->reason == HV_EXIT_REASON_EXCEPTION && (ex->exception.syndrome & 0xffff) == 2);
	CHECK(reg(v, HV_REG_X1) == 0x1111111111111111ull);

	/* Sign with the key the VMM set, authenticate: the pointer back. */
	const uint64_t p = 0x0000000000123450ull;
	uint64_t sctlr = 0;
	CHECK_HV(hv_vcpu_get_sys_reg(v, HV_SYS_REG_SCTLR_EL1, &sctlr), HV_SUCCESS);
	CHECK_HV(hv_vcpu_set_sys_reg(v, HV_SYS_REG_SCTLR_EL1, sctlr | SCTLR_ENIA), HV_SUCCESS);
	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_X1, p), HV_SUCCESS);
	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_X2, 0x77), HV_SUCCESS);
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	CHECK(ex->reason == HV_EXIT_REASON_EXCEPTION && (ex->exception.syndrome & 0xffff) == 3);
	uint64_t signed_p = reg(v, HV_REG_X1);
	CHECK(signed_p != p && (signed_p & 0xffffffffffffull) == p); /* a PAC above the address */
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	CHECK(ex->reason == HV_EXIT_REASON_EXCEPTION && (ex->exception.syndrome & 0xffff) == 4);
	CHECK(reg(v, HV_REG_X1) == p);

	/* Another APIA key: the same signed pointer no longer authenticates
	 * (an error code in the pointer, or with FPAC an exception). */
	CHECK_HV(hv_vcpu_set_sys_reg(v, HV_SYS_REG_APIAKEYLO_EL1, 0x5a5a5a5a5a5a5a5aull), HV_SUCCESS);
	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_PC, RAM_IPA + 24), HV_SUCCESS);
	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_X1, signed_p), HV_SUCCESS);
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	CHECK(ex->reason == HV_EXIT_REASON_EXCEPTION);
	unsigned imm = ex->exception.syndrome & 0xffff;
	CHECK(imm == 0x55 || (imm == 4 && reg(v, HV_REG_X1) != p));
	CHECK_HV(hv_vcpu_destroy(v), HV_SUCCESS);
	vm_down();
}

/* `hvc #0` with x0 in Apple's CPU-service range 0xC1000000..0xC1FFFFFF is
 * answered inside the framework, as HVF without the private ISA level does:
 * x0 = 0xFFFFFFFF, the guest resumes past the hvc, no exit (facts/hvapi.md
 * §2.2). Every other HVC (another immediate, another x0) and SMC exit. */
#define I_MOVZ_X0_C100_LSL16 0xd2b82000u /* movz x0, #0xc100, lsl #16 */
#define I_MOVK_X0_F0 0xf2801e00u         /* movk x0, #0xf0 (PAC_NOP) */

static void test_cpu_service_refused(void)
{
	vm_up();
	put(0, I_MOVZ_X0_C100_LSL16);
	put(4, I_MOVK_X0_F0);
	put(8, I_HVC(0));
	put(12, I_HVC(7));
	put(16, I_HVC(1));
	put(20, I_HVC(7));
	put(24, I_SMC(0));
	put(32, I_MOVZ_X0_C100_LSL16); /* XNU's PAC_INIT_KEY_STATE */
	put(36, I_HVC(0));
	put(40, 0xb5000000u); /* cbnz x0, . */
	hv_vcpu_exit_t *ex;
	hv_vcpu_t v = vcpu_up(&ex, RAM_IPA, CPSR_EL1H_MASKED);
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	CHECK(ex->reason == HV_EXIT_REASON_EXCEPTION && ex->exception.syndrome >> 26 == 0x16 &&
	      (ex->exception.syndrome & 0xffff) == 7); /* the hvc #0 did not exit */
	CHECK(reg(v, HV_REG_X0) == 0xffffffffu);
	CHECK(reg(v, HV_REG_PC) == RAM_IPA + 16);

	/* hvc #0 again at PC 8, with each x0: answered (next exit is hvc #7,
	 * x0 = 0xFFFFFFFF) or passed on (exit for the hvc #0, x0 untouched). */
	static const struct {
		uint64_t x0;
		bool answered;
	} cases[] = {
		{ 0xc1000000, true },  /* SET_INITIAL_STATE */
		{ 0xc1000006, true },  /* SET_G_KEY */
		{ 0xc1ffffff, true },  /* the range's end */
		{ 0xc0ffffff, false }, /* just below */
		{ 0xc2000000, false }, /* just above */
		{ 0xc3000003, false }, /* OEM: GET_MABS_OFFSET */
		{ 0x8300ff01, false }, /* OEM UID (HVC32 form) */
		{ 0x84000000, false }, /* PSCI_VERSION */
		{ 0xc4000003, false }, /* PSCI CPU_ON (SMC64) */
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_HV(hv_vcpu_set_reg(v, HV_REG_PC, RAM_IPA + 8), HV_SUCCESS);
		CHECK_HV(hv_vcpu_set_reg(v, HV_REG_X0, cases[i].x0), HV_SUCCESS);
		CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
		CHECK(ex->reason == HV_EXIT_REASON_EXCEPTION && ex->exception.syndrome >> 26 == 0x16);
		CHECK((ex->exception.syndrome & 0xffff) == (cases[i].answered ? 7u : 0u));
		CHECK(reg(v, HV_REG_X0) == (cases[i].answered ? 0xffffffffu : cases[i].x0));
		CHECK(reg(v, HV_REG_PC) == RAM_IPA + (cases[i].answered ? 16 : 12));
	}

	/* hvc #1 (what avmm's patcher makes of hvc #0) and SMC always exit. */
	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_PC, RAM_IPA + 16), HV_SUCCESS);
	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_X0, 0xc1000000), HV_SUCCESS);
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	CHECK(ex->reason == HV_EXIT_REASON_EXCEPTION && ex->exception.syndrome >> 26 == 0x16 &&
	      (ex->exception.syndrome & 0xffff) == 1);
	CHECK(reg(v, HV_REG_X0) == 0xc1000000 && reg(v, HV_REG_PC) == RAM_IPA + 20);
	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_PC, RAM_IPA + 24), HV_SUCCESS);
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	CHECK(ex->reason == HV_EXIT_REASON_EXCEPTION && ex->exception.syndrome >> 26 == 0x17);
	CHECK(reg(v, HV_REG_X0) == 0xc1000000);

	/* XNU's spin after a refused call (hvc #0; cbnz x0, .) never exits
	 * by itself: only a cancel ends the run, with PC on the cbnz. */
	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_PC, RAM_IPA + 32), HV_SUCCESS);
	struct kicker k;
	kick_later(&k, v);
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	kick_join(&k);
	CHECK(ex->reason == HV_EXIT_REASON_CANCELED);
	CHECK(reg(v, HV_REG_PC) == RAM_IPA + 40 && reg(v, HV_REG_X0) == 0xffffffffu);
	CHECK_HV(hv_vcpu_destroy(v), HV_SUCCESS);
	vm_down();
}

static void test_vcpu_limits(void)
{
	uint32_t max = 0;
	CHECK_HV(hv_vm_get_max_vcpu_count(&max), HV_SUCCESS);
	CHECK(max >= 1 && max <= 64);
	hv_vcpu_t v;
	hv_vcpu_exit_t *ex;
	CHECK_HV(hv_vcpu_create(&v, &ex, NULL), HV_NO_DEVICE); /* no VM */
	vm_up();
	hv_vcpu_t *all = calloc(max, sizeof(*all));
	unsigned made = 0;
	for (; made < max; made++)
		if (hv_vcpu_create(&all[made], &ex, NULL) != HV_SUCCESS)
			break;
	CHECK(made == max);
	CHECK_HV(hv_vcpu_create(&v, &ex, NULL), HV_NO_RESOURCES);
	for (unsigned i = 0; i < made; i++)
		CHECK_HV(hv_vcpu_destroy(all[i]), HV_SUCCESS);
	free(all);
	vm_down();
}

int main(void)
{
	if (test_start())
		return 1;
	test_one_vm_per_process();
	test_vm_config();
	test_16k_alignment();
	test_exits();
	test_cancel();
	test_pending_interrupt_cleared();
	test_vtimer_masked_after_exit();
	test_thread_affinity();
	test_registers();
	test_pauth();
	test_cpu_service_refused();
	test_vcpu_limits();
	return test_finish("hvf stand-in contract");
}
