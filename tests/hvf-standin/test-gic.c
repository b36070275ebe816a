/* Contract tests of the stand-in's in-kernel GIC (hv_gic_*, macOS 15;
 * facts/hvapi.md §1.7, §2.3): what Apple documents, shown on the stand-in,
 * with guest programs on the soft CPU where the behaviour is the guest's
 * view (no exits for GIC MMIO, ICC_* registers, the vtimer or WFI). The
 * stand-in's own choices where Apple is silent are checked too, and named
 * as such (standin-gic.c). */
#include <pthread.h>
#include <time.h>

#include "test-common.h"

#define DIST 0x08000000ull
#define REDIST 0x080a0000ull
#define MSI 0x08020000ull
#define MSI_BASE_INTID 80u
#define MSI_COUNT 64u

/* Register offsets and bits from the GICv3 specification (IHI 0069). */
#define GICD_CTLR 0x0000
#define GICD_TYPER 0x0004
#define GICD_ISENABLER(n) (0x0100 + 4 * (n))
#define GICD_ISPENDR(n) (0x0200 + 4 * (n))
#define GICD_IGROUPR(n) (0x0080 + 4 * (n))
#define GICD_ICFGR(n) (0x0c00 + 4 * (n))
#define GICD_IROUTER(n) (0x6000 + 8 * (n))
#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014

/* A64 encodings. Sysregs as hv_sys_reg_t keys (op0<<14 | op1<<11 | CRn<<7 | CRm<<3 | op2). */
#define SR_FIELD(e) ((((e) >> 14) & 1u) << 19 | (((e) >> 11) & 7u) << 16 | (((e) >> 7) & 15u) << 12 | \
		     (((e) >> 3) & 15u) << 8 | ((e) & 7u) << 5)
#define I_MSR(e, rt) (0xd5100000u | SR_FIELD(e) | (rt))
#define I_MRS(e, rt) (0xd5300000u | SR_FIELD(e) | (rt))
#define I_LDR_W1_X2 0xb9400041u
#define I_LDR_X1_X2 0xf9400041u
#define I_STR_W1_X2 0xb9000041u
#define I_LDP_X1_X3_X2 0xa9400c41u
#define I_WFI 0xd503207fu
#define I_B_BACK1 0x17ffffffu
#define I_DAIFCLR_I 0xd50342ffu
#define I_ADD_X1_X1_0x100 0x91040021u
#define I_MOVZ_X1_1 0xd2800021u

#define ICC_PMR 0xc230
#define ICC_IAR1 0xc660
#define ICC_EOIR1 0xc661
#define ICC_SRE 0xc665
#define ICC_AP0R3 0xc647
#define CNTVCT 0xdf02
#define CNTV_CTL 0xdf19
#define CNTV_CVAL 0xdf1a

static hv_return_t gic_up(bool msi_base, bool msi_range)
{
	hv_gic_config_t c = hv_gic_config_create();
	CHECK(c != NULL);
	CHECK_HV(hv_gic_config_set_distributor_base(c, DIST), HV_SUCCESS);
	CHECK_HV(hv_gic_config_set_redistributor_base(c, REDIST), HV_SUCCESS);
	if (msi_base)
		CHECK_HV(hv_gic_config_set_msi_region_base(c, MSI), HV_SUCCESS);
	if (msi_range)
		CHECK_HV(hv_gic_config_set_msi_interrupt_range(c, MSI_BASE_INTID, MSI_COUNT), HV_SUCCESS);
	hv_return_t r = hv_gic_create(c);
	os_release(c);
	return r;
}

static hv_vcpu_t vcpu_up(hv_vcpu_exit_t **exit, uint64_t mpidr, uint64_t cpsr)
{
	hv_vcpu_t v = ~0ull;
	CHECK_HV(hv_vcpu_create(&v, exit, NULL), HV_SUCCESS);
	CHECK_HV(hv_vcpu_set_sys_reg(v, HV_SYS_REG_MPIDR_EL1, mpidr), HV_SUCCESS);
	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_CPSR, cpsr), HV_SUCCESS);
	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_PC, RAM_IPA), HV_SUCCESS);
	CHECK_HV(hv_vcpu_set_sys_reg(v, HV_SYS_REG_VBAR_EL1, RAM_IPA + VBAR_OFF), HV_SUCCESS);
	return v;
}

static uint64_t dist(uint32_t off)
{
	uint64_t x = 0xdeadbeef;
	CHECK_HV(hv_gic_get_distributor_reg(off, &x), HV_SUCCESS);
	return x;
}

static bool is_hvc(const hv_vcpu_exit_t *ex, unsigned imm)
{
	return ex->reason == HV_EXIT_REASON_EXCEPTION && ex->exception.syndrome >> 26 == 0x16 &&
	       (ex->exception.syndrome & 0xffff) == imm;
}

/* The CPU interface and redistributor of vCPU v ready for Group 1
 * interrupts, and the distributor's Group 1 enabled. */
static void gic_enable_grp1(hv_vcpu_t v)
{
	CHECK_HV(hv_gic_set_distributor_reg(GICD_CTLR, 2), HV_SUCCESS); /* EnableGrp1 */
	CHECK_HV(hv_gic_set_redistributor_reg(v, GICR_WAKER, 0), HV_SUCCESS);
	CHECK_HV(hv_gic_set_icc_reg(v, HV_GIC_ICC_REG_PMR_EL1, 0xff), HV_SUCCESS);
	CHECK_HV(hv_gic_set_icc_reg(v, HV_GIC_ICC_REG_IGRPEN1_EL1, 1), HV_SUCCESS);
}

/* A thread doing something to the VM after 50 ms. */
struct later {
	pthread_t t;
	hv_vcpu_t v;
	int what; /* 0: hv_vcpus_exit, 1: hv_gic_set_spi(40, true) */
	hv_return_t r;
};
static void *later_main(void *p)
{
	struct later *l = p;
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	l->r = l->what ? hv_gic_set_spi(40, true) : hv_vcpus_exit(&l->v, 1);
	return NULL;
}
static void later(struct later *l, hv_vcpu_t v, int what)
{
	l->v = v;
	l->what = what;
	l->r = HV_ERROR;
	pthread_create(&l->t, NULL, later_main, l);
}
static void later_join(struct later *l)
{
	pthread_join(l->t, NULL);
	CHECK_HV(l->r, HV_SUCCESS);
}

/* ---- The tests ------------------------------------------------------------ */

static void test_create_rules(void)
{
	/* Before hv_vm_create: an error. */
	CHECK(gic_up(false, false) != HV_SUCCESS);
	CHECK(hv_gic_set_spi(40, true) != HV_SUCCESS);
	vm_up();
	/* Misaligned bases and an MSI range outside the SPIs are refused. */
	hv_gic_config_t c = hv_gic_config_create();
	CHECK_HV(hv_gic_config_set_distributor_base(c, DIST + 0x1000), HV_BAD_ARGUMENT);
	CHECK_HV(hv_gic_config_set_redistributor_base(c, REDIST + 0x4000), HV_BAD_ARGUMENT);
	CHECK_HV(hv_gic_config_set_msi_interrupt_range(c, 16, 8), HV_BAD_ARGUMENT);
	CHECK_HV(hv_gic_config_set_msi_interrupt_range(c, 1000, 64), HV_BAD_ARGUMENT);
	CHECK(hv_gic_create(c) != HV_SUCCESS); /* no bases set */
	os_release(c);
	/* After a vCPU exists: an error (GIC CPU resources come with the vCPUs). */
	hv_vcpu_exit_t *ex;
	hv_vcpu_t v = vcpu_up(&ex, 0, CPSR_EL1H_MASKED);
	CHECK(gic_up(false, false) != HV_SUCCESS);
	CHECK_HV(hv_vcpu_destroy(v), HV_SUCCESS);
	/* In between: fine, once. */
	CHECK_HV(gic_up(false, false), HV_SUCCESS);
	CHECK(gic_up(false, false) != HV_SUCCESS);
	vm_down();
	/* The GIC went with the VM. */
	CHECK(hv_gic_set_spi(40, true) != HV_SUCCESS);
}

static void test_geometry(void)
{
	size_t d = 0, da = 0, r = 0, ra = 0, rr = 0, m = 0, ma = 0;
	CHECK_HV(hv_gic_get_distributor_size(&d), HV_SUCCESS);
	CHECK_HV(hv_gic_get_distributor_base_alignment(&da), HV_SUCCESS);
	CHECK_HV(hv_gic_get_redistributor_size(&r), HV_SUCCESS);
	CHECK_HV(hv_gic_get_redistributor_base_alignment(&ra), HV_SUCCESS);
	CHECK_HV(hv_gic_get_redistributor_region_size(&rr), HV_SUCCESS);
	CHECK_HV(hv_gic_get_msi_region_size(&m), HV_SUCCESS);
	CHECK_HV(hv_gic_get_msi_region_base_alignment(&ma), HV_SUCCESS);
	CHECK(d == 0x10000);               /* one GICD frame */
	CHECK(r == 0x20000);               /* RD_base + SGI_base */
	CHECK(rr >= r && rr % r == 0);     /* one per supported vCPU */
	CHECK(da && !(da & (da - 1)) && ra && !(ra & (ra - 1)) && ma && !(ma & (ma - 1)));
	CHECK(m >= 0x1000);                /* at least the GICv2m frame */
	uint32_t base = 0, count = 0, id = 0;
	CHECK_HV(hv_gic_get_spi_interrupt_range(&base, &count), HV_SUCCESS);
	CHECK(base == 32 && count > 0 && base + count <= 1020);
	CHECK_HV(hv_gic_get_intid(HV_GIC_INT_EL1_VIRTUAL_TIMER, &id), HV_SUCCESS);
	CHECK(id == 27); /* the Arm convention the DT names: PPI 11 = INTID 27 */
	CHECK_HV(hv_gic_get_intid(HV_GIC_INT_EL1_PHYSICAL_TIMER, &id), HV_SUCCESS);
	CHECK(id == 30);
	CHECK_HV(hv_gic_get_intid((hv_gic_intid_t)5, &id), HV_BAD_ARGUMENT);
}

/* Guest loads and stores to the GIC frames complete inside hv_vcpu_run. */
static void test_mmio_in_kernel(void)
{
	vm_up();
	CHECK_HV(gic_up(true, true), HV_SUCCESS);
	hv_vcpu_exit_t *ex;
	hv_vcpu_t v = vcpu_up(&ex, 0x80000003ull, CPSR_EL1H_MASKED); /* Aff0 = 3 */
	hv_ipa_t rd = 0;
	CHECK_HV(hv_gic_get_redistributor_base(v, &rd), HV_SUCCESS);
	CHECK(rd == REDIST + 3 * 0x20000); /* found by MPIDR */
	/* ldr w1, [dist + TYPER]; hvc 1; ldr x1, [rd + GICR_TYPER]; hvc 2;
	 * str w1, [dist + CTLR]; hvc 3; str w1, [msi + SETSPI]; hvc 4; ldp; hvc 5 */
	put(0x00, I_LDR_W1_X2);
	put(0x04, I_HVC(1));
	put(0x08, I_LDR_X1_X2);
	put(0x0c, I_HVC(2));
	put(0x10, I_STR_W1_X2);
	put(0x14, I_HVC(3));
	put(0x18, I_STR_W1_X2);
	put(0x1c, I_HVC(4));
	put(0x20, I_LDP_X1_X3_X2);
	put(0x24, I_HVC(5));
	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_X2, DIST + GICD_TYPER), HV_SUCCESS);
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	CHECK(is_hvc(ex, 1));
	uint64_t typer = dist(GICD_TYPER);
	CHECK(reg(v, HV_REG_X1) == typer);
	uint32_t base = 0, count = 0;
	CHECK_HV(hv_gic_get_spi_interrupt_range(&base, &count), HV_SUCCESS);
	CHECK(((typer & 0x1f) + 1) * 32 >= base + count); /* ITLinesNumber covers the SPIs */
	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_X2, rd + GICR_TYPER), HV_SUCCESS);
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	CHECK(is_hvc(ex, 2));
	CHECK((reg(v, HV_REG_X1) >> 32 & 0xffffff) == 3); /* this redistributor's affinity */
	uint64_t rtyper = 0;
	CHECK_HV(hv_gic_get_redistributor_reg(v, HV_GIC_REDISTRIBUTOR_REG_GICR_TYPER, &rtyper), HV_SUCCESS);
	CHECK(rtyper == reg(v, HV_REG_X1));
	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_X1, 2), HV_SUCCESS); /* EnableGrp1 */
	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_X2, DIST + GICD_CTLR), HV_SUCCESS);
	CHECK(!(dist(GICD_CTLR) & 2));
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	CHECK(is_hvc(ex, 3));
	CHECK(dist(GICD_CTLR) & 2);
	/* A guest MSI: the INTID written to the frame's SETSPI register. */
	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_X1, MSI_BASE_INTID + 5), HV_SUCCESS);
	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_X2, MSI + HV_GIC_REG_GICM_SET_SPI_NSR), HV_SUCCESS);
	CHECK(!(dist(GICD_ISPENDR(2)) & 1u << 21));
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	CHECK(is_hvc(ex, 4));
	CHECK(dist(GICD_ISPENDR(2)) & 1u << 21); /* INTID 85 */
	/* Stand-in choice: an access without a valid syndrome (ISV=0) exits. */
	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_X2, DIST + GICD_TYPER - 4), HV_SUCCESS);
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	CHECK(ex->reason == HV_EXIT_REASON_EXCEPTION && ex->exception.syndrome >> 26 == 0x24);
	CHECK(!(ex->exception.syndrome & (1u << 24)) && ex->exception.physical_address == DIST);
	CHECK_HV(hv_vcpu_destroy(v), HV_SUCCESS);
	vm_down();
}

/* ICC_* accesses never exit; the VMM sees the same registers through
 * hv_gic_get/set_icc_reg; an access the GIC refuses is UNDEFINED in the
 * guest. */
static void test_icc_in_kernel(void)
{
	vm_up();
	CHECK_HV(gic_up(false, false), HV_SUCCESS);
	hv_vcpu_exit_t *ex;
	hv_vcpu_t v = vcpu_up(&ex, 0, CPSR_EL1H_MASKED);
	put(0x00, I_MRS(ICC_SRE, 4));
	put(0x04, I_MSR(ICC_PMR, 1));
	put(0x08, I_MRS(ICC_PMR, 3));
	put(0x0c, I_HVC(1));
	put(0x10, I_MRS(ICC_PMR, 3));
	put(0x14, I_MRS(ICC_AP0R3, 5)); /* beyond 5 priority bits: UNDEFINED */
	put(0x18, I_HVC(2));
	put(VBAR_OFF + 0x200, I_HVC(9)); /* synchronous, current EL, SP_ELx */
	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_X1, 0xf0), HV_SUCCESS);
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	CHECK(is_hvc(ex, 1));
	CHECK((reg(v, HV_REG_X4) & 1) == 1); /* SRE: system-register interface */
	CHECK(reg(v, HV_REG_X3) == 0xf0);
	uint64_t pmr = 0;
	CHECK_HV(hv_gic_get_icc_reg(v, HV_GIC_ICC_REG_PMR_EL1, &pmr), HV_SUCCESS);
	CHECK(pmr == 0xf0);
	CHECK_HV(hv_gic_set_icc_reg(v, HV_GIC_ICC_REG_PMR_EL1, 0x80), HV_SUCCESS);
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	CHECK(is_hvc(ex, 9)); /* the UNDEF, taken in the guest */
	CHECK(reg(v, HV_REG_X3) == 0x80);
	uint64_t esr = 0, elr = 0;
	CHECK_HV(hv_vcpu_get_sys_reg(v, HV_SYS_REG_ESR_EL1, &esr), HV_SUCCESS);
	CHECK_HV(hv_vcpu_get_sys_reg(v, HV_SYS_REG_ELR_EL1, &elr), HV_SUCCESS);
	CHECK(esr >> 26 == 0 && elr == RAM_IPA + 0x14);
	/* The API's own rules: RPR is read-only, ICH needs EL2. */
	CHECK_HV(hv_gic_set_icc_reg(v, HV_GIC_ICC_REG_RPR_EL1, 0), HV_BAD_ARGUMENT);
	CHECK(hv_gic_get_ich_reg(v, HV_GIC_ICH_REG_HCR_EL2, &pmr) != HV_SUCCESS);
	CHECK(hv_gic_get_icv_reg(v, HV_GIC_ICV_REG_PMR_EL1, &pmr) != HV_SUCCESS);
	CHECK_HV(hv_vcpu_destroy(v), HV_SUCCESS);
	vm_down();
}

/* Per-vCPU GIC calls belong to the vCPU's owning thread. */
struct foreign {
	hv_vcpu_t v;
	hv_return_t r1, r2, r3;
};
static void *foreign_main(void *p)
{
	struct foreign *f = p;
	uint64_t x;
	hv_ipa_t rd;
	f->r1 = hv_gic_get_redistributor_reg(f->v, HV_GIC_REDISTRIBUTOR_REG_GICR_TYPER, &x);
	f->r2 = hv_gic_get_icc_reg(f->v, HV_GIC_ICC_REG_PMR_EL1, &x);
	f->r3 = hv_gic_get_redistributor_base(f->v, &rd); /* not per-thread */
	return NULL;
}
static void test_owner_thread(void)
{
	vm_up();
	CHECK_HV(gic_up(false, false), HV_SUCCESS);
	hv_vcpu_exit_t *ex;
	struct foreign f = { .v = vcpu_up(&ex, 0, CPSR_EL1H_MASKED) };
	pthread_t t;
	pthread_create(&t, NULL, foreign_main, &f);
	pthread_join(t, NULL);
	CHECK_HV(f.r1, HV_BAD_ARGUMENT);
	CHECK_HV(f.r2, HV_BAD_ARGUMENT);
	CHECK_HV(f.r3, HV_SUCCESS);
	CHECK_HV(hv_vcpu_destroy(f.v), HV_SUCCESS);
	vm_down();
}

/* hv_gic_set_spi: levels, edges, the ranges; delivery without the VMM
 * touching the vCPU's IRQ line, also into a running vCPU. */
static void test_spi(void)
{
	vm_up();
	CHECK_HV(gic_up(true, true), HV_SUCCESS);
	hv_vcpu_exit_t *ex;
	hv_vcpu_t v = vcpu_up(&ex, 0, CPSR_EL1H_IRQ_ON);
	CHECK_HV(hv_gic_set_spi(31, true), HV_BAD_ARGUMENT);                /* a PPI */
	CHECK_HV(hv_gic_set_spi(1020, true), HV_BAD_ARGUMENT);              /* no SPI */
	CHECK_HV(hv_gic_set_spi(MSI_BASE_INTID + 1, true), HV_BAD_ARGUMENT); /* the MSI range */
	/* Level (the reset configuration): pending follows the line. */
	CHECK_HV(hv_gic_set_spi(40, true), HV_SUCCESS);
	CHECK(dist(GICD_ISPENDR(1)) & 1u << 8);
	CHECK_HV(hv_gic_set_spi(40, false), HV_SUCCESS);
	CHECK(!(dist(GICD_ISPENDR(1)) & 1u << 8));
	/* Edge: true is an edge that latches, false is ignored. */
	CHECK_HV(hv_gic_set_distributor_reg(GICD_ICFGR(2), 2u << 18), HV_SUCCESS); /* INTID 41 edge */
	CHECK_HV(hv_gic_set_spi(41, false), HV_SUCCESS);
	CHECK(!(dist(GICD_ISPENDR(1)) & 1u << 9));
	CHECK_HV(hv_gic_set_spi(41, true), HV_SUCCESS);
	CHECK_HV(hv_gic_set_spi(41, false), HV_SUCCESS);
	CHECK(dist(GICD_ISPENDR(1)) & 1u << 9);
	/* Delivery: SPI 40, Group 1, enabled, routed to Aff 0. Guest: spin
	 * with IRQs on; the IRQ vector acknowledges and reports the INTID. */
	gic_enable_grp1(v);
	CHECK_HV(hv_gic_set_distributor_reg(GICD_IGROUPR(1), 1u << 8), HV_SUCCESS);
	CHECK_HV(hv_gic_set_distributor_reg(GICD_ISENABLER(1), 1u << 8), HV_SUCCESS);
	CHECK_HV(hv_gic_set_distributor_reg(GICD_IROUTER(40), 0), HV_SUCCESS);
	put(0x00, I_B_SELF);
	put(VBAR_OFF + 0x280, I_MRS(ICC_IAR1, 3)); /* IRQ, current EL, SP_ELx */
	put(VBAR_OFF + 0x284, I_MSR(ICC_EOIR1, 3));
	put(VBAR_OFF + 0x288, I_HVC(0x40));
	struct later l;
	later(&l, v, 1); /* hv_gic_set_spi(40, true) from another thread, 50 ms on */
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	later_join(&l);
	CHECK(is_hvc(ex, 0x40));
	CHECK(reg(v, HV_REG_X3) == 40);
	CHECK_HV(hv_gic_set_spi(40, false), HV_SUCCESS);
	CHECK_HV(hv_vcpu_destroy(v), HV_SUCCESS);
	vm_down();
}

static void test_msi(void)
{
	vm_up();
	CHECK_HV(gic_up(true, false), HV_SUCCESS); /* a frame but no range: no MSIs */
	uint64_t t = 0;
	CHECK(hv_gic_get_msi_reg(HV_GIC_REG_GICM_TYPER, &t) != HV_SUCCESS);
	CHECK(hv_gic_send_msi(MSI + HV_GIC_REG_GICM_SET_SPI_NSR, MSI_BASE_INTID) != HV_SUCCESS);
	CHECK_HV(hv_gic_set_spi(MSI_BASE_INTID, true), HV_SUCCESS); /* an ordinary SPI then */
	vm_down();
	vm_up();
	CHECK_HV(gic_up(true, true), HV_SUCCESS);
	CHECK_HV(hv_gic_get_msi_reg(HV_GIC_REG_GICM_TYPER, &t), HV_SUCCESS);
	CHECK(t == ((uint64_t)MSI_BASE_INTID << 16 | MSI_COUNT)); /* GICv2m MSI_TYPER: BASE, NUMBER */
	CHECK_HV(hv_gic_send_msi(MSI + HV_GIC_REG_GICM_SET_SPI_NSR, MSI_BASE_INTID + MSI_COUNT), HV_BAD_ARGUMENT);
	CHECK_HV(hv_gic_send_msi(MSI, MSI_BASE_INTID), HV_BAD_ARGUMENT); /* not the SETSPI address */
	CHECK(!(dist(GICD_ISPENDR(2)) & 1u << 16));
	CHECK_HV(hv_gic_send_msi(MSI + HV_GIC_REG_GICM_SET_SPI_NSR, MSI_BASE_INTID), HV_SUCCESS);
	CHECK(dist(GICD_ISPENDR(2)) & 1u << 16); /* INTID 80, latched as an edge */
	vm_down();
}

/* The vtimer is the GIC's PPI 27: no VTIMER_ACTIVATED exit, no WFI exit;
 * after the guest's handler the vtimer is unmasked again. */
static void test_vtimer_and_wfi(void)
{
	vm_up();
	CHECK_HV(gic_up(false, false), HV_SUCCESS);
	hv_vcpu_exit_t *ex;
	hv_vcpu_t v = vcpu_up(&ex, 0, CPSR_EL1H_MASKED);
	gic_enable_grp1(v);
	CHECK_HV(hv_gic_set_redistributor_reg(v, HV_GIC_REDISTRIBUTOR_REG_GICR_IGROUPR0, 1u << 27), HV_SUCCESS);
	CHECK_HV(hv_gic_set_redistributor_reg(v, HV_GIC_REDISTRIBUTOR_REG_GICR_ISENABLER0, 1u << 27), HV_SUCCESS);
	put(0x00, I_MRS(CNTVCT, 1));
	put(0x04, I_ADD_X1_X1_0x100);
	put(0x08, I_MSR(CNTV_CVAL, 1));
	put(0x0c, I_MOVZ_X1_1);
	put(0x10, I_MSR(CNTV_CTL, 1));
	put(0x14, I_DAIFCLR_I);
	put(0x18, I_WFI);
	put(0x1c, I_B_BACK1);
	put(VBAR_OFF + 0x280, I_MRS(ICC_IAR1, 3));
	put(VBAR_OFF + 0x284, I_MSR(CNTV_CTL, 31)); /* timer off: its condition is gone */
	put(VBAR_OFF + 0x288, I_MSR(ICC_EOIR1, 3));
	put(VBAR_OFF + 0x28c, I_HVC(0x27));
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	CHECK(is_hvc(ex, 0x27));
	CHECK(reg(v, HV_REG_X3) == 27);
	bool masked = true;
	CHECK_HV(hv_vcpu_get_vtimer_mask(v, &masked), HV_SUCCESS);
	CHECK(!masked);
	/* WFI with nothing to wake it: waits inside the framework until
	 * hv_vcpus_exit, which returns CANCELED (stand-in choice: no WFI exit). */
	put(0x40, I_WFI); /* fresh code: the soft CPU caches decoded code */
	put(0x44, I_HVC(1));
	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_PC, RAM_IPA + 0x40), HV_SUCCESS);
	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_CPSR, CPSR_EL1H_MASKED), HV_SUCCESS);
	struct later l;
	later(&l, v, 0);
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	later_join(&l);
	CHECK(ex->reason == HV_EXIT_REASON_CANCELED);
	/* The kick is consumed: the next run goes on (and waits again). */
	later(&l, v, 0);
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	later_join(&l);
	CHECK(ex->reason == HV_EXIT_REASON_CANCELED);
	CHECK_HV(hv_vcpu_destroy(v), HV_SUCCESS);
	vm_down();
}

/* State: distributor/redistributor state round-trips; ICC registers are
 * not part of it; reset. */
static void test_state_and_reset(void)
{
	vm_up();
	CHECK_HV(gic_up(false, false), HV_SUCCESS);
	hv_vcpu_exit_t *ex;
	hv_vcpu_t v = vcpu_up(&ex, 0, CPSR_EL1H_MASKED);
	CHECK_HV(hv_gic_set_distributor_reg(GICD_ISENABLER(1), 0x00f0), HV_SUCCESS);
	CHECK_HV(hv_gic_set_redistributor_reg(v, HV_GIC_REDISTRIBUTOR_REG_GICR_ISENABLER0, 1u << 27), HV_SUCCESS);
	CHECK_HV(hv_gic_set_icc_reg(v, HV_GIC_ICC_REG_PMR_EL1, 0x80), HV_SUCCESS);
	hv_gic_state_t st = hv_gic_state_create();
	CHECK(st != NULL);
	size_t size = 0;
	CHECK_HV(hv_gic_state_get_size(st, &size), HV_SUCCESS);
	CHECK(size > 0);
	uint8_t *blob = malloc(size);
	CHECK_HV(hv_gic_state_get_data(st, blob), HV_SUCCESS);
	os_release(st);
	/* Change the state, then restore. */
	CHECK_HV(hv_gic_set_distributor_reg(0x0180 + 4, 0xffffffff), HV_SUCCESS); /* ICENABLER1 */
	CHECK_HV(hv_gic_set_redistributor_reg(v, HV_GIC_REDISTRIBUTOR_REG_GICR_ICENABLER0, ~0u), HV_SUCCESS);
	CHECK_HV(hv_gic_set_icc_reg(v, HV_GIC_ICC_REG_PMR_EL1, 0x40), HV_SUCCESS);
	CHECK(dist(GICD_ISENABLER(1)) == 0);
	CHECK_HV(hv_gic_set_state(blob, size - 1), HV_BAD_ARGUMENT);
	blob[0] ^= 0xff;
	CHECK_HV(hv_gic_set_state(blob, size), HV_BAD_ARGUMENT); /* not a state this framework wrote */
	blob[0] ^= 0xff;
	CHECK_HV(hv_gic_set_state(blob, size), HV_SUCCESS);
	CHECK(dist(GICD_ISENABLER(1)) == 0x00f0);
	uint64_t x = 0;
	CHECK_HV(hv_gic_get_redistributor_reg(v, HV_GIC_REDISTRIBUTOR_REG_GICR_ISENABLER0, &x), HV_SUCCESS);
	CHECK(x & 1u << 27);
	CHECK_HV(hv_gic_get_icc_reg(v, HV_GIC_ICC_REG_PMR_EL1, &x), HV_SUCCESS);
	CHECK(x == 0x40); /* the ICC registers are restored separately */
	free(blob);
	/* Reset: distributor and redistributors back to their reset values. */
	CHECK_HV(hv_gic_set_distributor_reg(GICD_CTLR, 2), HV_SUCCESS);
	CHECK_HV(hv_gic_reset(), HV_SUCCESS);
	CHECK((dist(GICD_CTLR) & 3) == 0);
	CHECK(dist(GICD_ISENABLER(1)) == 0);
	CHECK_HV(hv_vcpu_destroy(v), HV_SUCCESS);
	vm_down();
}

/* With the GIC too, `hvc #0` with x0 = 0xC1xxxxxx is answered inside the
 * framework (0xFFFFFFFF, no exit) and any other HVC exits. */
static void test_cpu_service_with_gic(void)
{
	vm_up();
	CHECK_HV(gic_up(false, false), HV_SUCCESS);
	hv_vcpu_exit_t *ex;
	hv_vcpu_t v = vcpu_up(&ex, 0, CPSR_EL1H_MASKED);
	put(0x00, 0xd2b82000u); /* movz x0, #0xc100, lsl #16 */
	put(0x04, I_HVC(0));
	put(0x08, I_HVC(7));
	put(0x0c, I_HVC(0));
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	CHECK(is_hvc(ex, 7) && reg(v, HV_REG_X0) == 0xffffffffu && reg(v, HV_REG_PC) == RAM_IPA + 0x0c);
	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_X0, 0x84000000), HV_SUCCESS); /* PSCI_VERSION */
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	CHECK(is_hvc(ex, 0) && reg(v, HV_REG_X0) == 0x84000000 && reg(v, HV_REG_PC) == RAM_IPA + 0x10);
	CHECK_HV(hv_vcpu_destroy(v), HV_SUCCESS);
	vm_down();
}

/* Without a GIC nothing changes: a GIC frame access is a data abort exit,
 * an ICC access an EC 0x18 exit (the user-space GIC's path). */
static void test_without_gic(void)
{
	vm_up();
	hv_vcpu_exit_t *ex;
	hv_vcpu_t v = vcpu_up(&ex, 0, CPSR_EL1H_MASKED);
	put(0x00, I_LDR_W1_X2);
	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_X2, DIST + GICD_TYPER), HV_SUCCESS);
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	CHECK(ex->reason == HV_EXIT_REASON_EXCEPTION && ex->exception.syndrome >> 26 == 0x24);
	put(0x40, I_MRS(ICC_PMR, 3));
	CHECK_HV(hv_vcpu_set_reg(v, HV_REG_PC, RAM_IPA + 0x40), HV_SUCCESS);
	CHECK_HV(hv_vcpu_run(v), HV_SUCCESS);
	CHECK(ex->reason == HV_EXIT_REASON_EXCEPTION && ex->exception.syndrome >> 26 == 0x18);
	CHECK_HV(hv_vcpu_destroy(v), HV_SUCCESS);
	vm_down();
}

int main(void)
{
	if (test_start())
		return 1;
	test_create_rules();
	test_geometry();
	test_mmio_in_kernel();
	test_icc_in_kernel();
	test_owner_thread();
	test_spi();
	test_msi();
	test_vtimer_and_wfi();
	test_state_and_reset();
	test_cpu_service_with_gic();
	test_without_gic();
	return test_finish("hvf-standin-gic");
}
