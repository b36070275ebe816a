/* Virtual-timer interrupts through the GICv3 of the virt machine, as Linux
 * takes them: the timer fires, the accelerator exits with
 * VTIMER_ACTIVATED, the VMM raises PPI 27 at the GIC while CNTV_CTL shows
 * the condition (ENABLE, ISTATUS, not IMASK); the guest acknowledges with
 * ICC_IAR1_EL1 and ICC_EOIR1_EL1 (trapped to the VMM), by which time the
 * condition is gone and the VMM lowers the PPI and unmasks the vtimer.
 * Checks: the IRQ vector per origin (EL1h, EL1t, EL0), the INTID,
 * ELR/SPSR, ISR_EL1.I, WFI waking on the timer (also with IRQs masked, when
 * the interrupt stays pending until unmasked), no interrupt after the
 * condition is gone, and re-arming. */
#include "rt/rt.h"

#define SCTLR_BASE (0x30d00800ull | 1ull << 12 | 1ull << 16 | 1ull << 18) /* RES1, I, nTWI, nTWE */

static uint8_t el0_stack[4096] __attribute__((aligned(16)));
static volatile unsigned irqs, last_kind;
static volatile uint64_t last_isr, last_ctl, last_spsr, rearm_ticks;
static uint64_t frq;
static volatile uint64_t last_intid;

#define GICD_BASE 0x08000000ul
#define GICR_BASE 0x080a0000ul /* CPU 0: RD_base, then SGI_base at +64 KiB */
#define REG32(a) (*(volatile uint32_t *)(a))
#define REG8(a) (*(volatile uint8_t *)(a))

/* Bring up the GICv3 for the virtual timer's PPI 27, as Linux does. */
static void gic_init(void)
{
	REG32(GICD_BASE + 0x0) = 1u << 4 | 1u << 1; /* GICD_CTLR: ARE, EnableGrp1 */
	REG32(GICR_BASE + 0x14) &= ~(1u << 1);      /* GICR_WAKER.ProcessorSleep */
	while (REG32(GICR_BASE + 0x14) & (1u << 2))  /* ChildrenAsleep */
		;
	REG32(GICR_BASE + 0x10000 + 0x80) |= 1u << 27;  /* GICR_IGROUPR0: Group 1 */
	REG8(GICR_BASE + 0x10000 + 0x400 + 27) = 0x80;  /* GICR_IPRIORITYR */
	REG32(GICR_BASE + 0x10000 + 0x100) = 1u << 27;  /* GICR_ISENABLER0 */
	RT_MSR(S3_0_C12_C12_5, RT_MRS(S3_0_C12_C12_5) | 1); /* ICC_SRE_EL1.SRE */
	__asm__ volatile("isb");
	RT_MSR(S3_0_C4_C6_0, 0xff);  /* ICC_PMR_EL1: let everything through */
	RT_MSR(S3_0_C12_C12_3, 0);   /* ICC_BPR1_EL1 */
	RT_MSR(S3_0_C12_C12_7, 1);   /* ICC_IGRPEN1_EL1 */
	__asm__ volatile("isb");
}

/* IRQ handler: note what was seen, then either re-arm the timer (a new
 * CVAL in the future) or disable it, and exit to the VMM. */
static void irq_hook(unsigned kind, struct rt_frame *f)
{
	(void)f;
	last_isr = RT_MRS(isr_el1); /* before the acknowledge: still pending */
	uint64_t intid = RT_MRS(S3_0_C12_C12_0); /* ICC_IAR1_EL1 */
	irqs++;
	last_kind = kind;
	last_intid = intid;
	last_ctl = RT_MRS(cntv_ctl_el0);
	last_spsr = RT_MRS(spsr_el1);
	if (rearm_ticks) {
		RT_MSR(cntv_tval_el0, rearm_ticks);
		rearm_ticks = 0;
	} else {
		RT_MSR(cntv_ctl_el0, 0);
	}
	RT_MSR(S3_0_C12_C12_1, intid); /* ICC_EOIR1_EL1 */
}

static void arm_ms(unsigned ms)
{
	RT_MSR(cntv_tval_el0, frq * ms / 1000);
	RT_MSR(cntv_ctl_el0, 1);
}

/* Spin with IRQs unmasked until `want` interrupts or `ms` elapsed. */
void spin_until(unsigned want, unsigned ms);
void spin_until(unsigned want, unsigned ms)
{
	uint64_t t0 = RT_MRS(cntvct_el0);
	__asm__ volatile("msr daifclr, #2" ::: "memory");
	while (irqs < want && RT_MRS(cntvct_el0) - t0 < frq * ms / 1000)
		;
	__asm__ volatile("msr daifset, #2" ::: "memory");
}

static uint64_t el0_wait(uint64_t want)
{
	uint64_t t0 = RT_MRS(cntvct_el0);
	while (irqs < want && RT_MRS(cntvct_el0) - t0 < frq)
		;
	return irqs;
}

int main(void)
{
	RT_MSR(sctlr_el1, SCTLR_BASE);
	RT_MSR(cntkctl_el1, 2); /* EL0 may read CNTVCT */
	frq = RT_MRS(cntfrq_el0);
	rt_exception_hook = irq_hook;
	gic_init();

	/* EL1h: WFI sleeps until the timer; the IRQ is taken after it. */
	uint64_t t0 = RT_MRS(cntvct_el0);
	arm_ms(20);
	__asm__ volatile("msr daifclr, #2\n\twfi\n\tmsr daifset, #2" ::: "memory");
	uint64_t t1 = RT_MRS(cntvct_el0);
	spin_until(1, 100);
	rt_check(irqs == 1, "vtimer IRQ taken once at EL1h");
	rt_check(last_kind == 5, "  IRQ vector, current EL with SPx");
	rt_check(last_intid == 27, "  ICC_IAR1_EL1 gives INTID 27, the virtual timer");
	rt_check(t1 - t0 >= frq * 20 / 1000, "  WFI returned at the deadline, not before");
	rt_check((last_isr & 0x80) != 0, "  ISR_EL1.I set in the handler before the acknowledge");
	rt_check(last_ctl == 5, "  CNTV_CTL = ENABLE | ISTATUS in the handler");
	rt_check((last_spsr & 0x3cf) == 0x345, "  SPSR_EL1: EL1h, I clear, D/A/F as before");
	spin_until(2, 30);
	rt_check(irqs == 1, "no further IRQ once the timer is disabled");

	/* Re-arming in the handler: the VMM unmasks and the timer fires again. */
	irqs = 0;
	rearm_ticks = frq * 5 / 1000;
	arm_ms(5);
	spin_until(2, 500);
	rt_check(irqs == 2, "re-armed in the handler: a second IRQ");

	/* IRQs masked: WFI still wakes on the pending interrupt, which is taken
	 * when unmasked. */
	irqs = 0;
	arm_ms(10);
	__asm__ volatile("wfi" ::: "memory");
	rt_check(irqs == 0 && (RT_MRS(cntv_ctl_el0) & 4) != 0, "WFI with PSTATE.I set wakes on the timer");
	rt_check((RT_MRS(isr_el1) & 0x80) != 0, "  ISR_EL1.I shows the pending interrupt");
	spin_until(1, 100);
	rt_check(irqs == 1, "  the IRQ is taken once unmasked");

	/* EL1t: the SP0 IRQ vector. */
	irqs = 0;
	arm_ms(5);
	/* Run spin_until on SP_EL0 (4 KiB below the current stack), all in one
	 * asm statement so no compiled code sees the other SP. */
	__asm__ volatile("mov x9, sp\n\t"
			 "sub x9, x9, #4096\n\t"
			 "msr sp_el0, x9\n\t"
			 "msr spsel, #0\n\t"
			 "mov w0, #1\n\t"
			 "mov w1, #200\n\t"
			 "bl spin_until\n\t"
			 "msr spsel, #1"
			 ::: "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12",
			 "x13", "x14", "x15", "x16", "x17", "x18", "x30", "memory", "cc");
	rt_check(irqs == 1 && last_kind == 1, "IRQ at EL1t: current EL with SP0 vector");

	/* EL0: the lower-EL IRQ vector. */
	irqs = 0;
	arm_ms(5);
	uint64_t n = rt_call_el0(el0_wait, 1, (uint64_t)(el0_stack + sizeof(el0_stack)));
	rt_check(n == 1 && last_kind == 9, "IRQ at EL0: lower EL vector");
	rt_check((last_spsr & 0x3cf) == 0, "  SPSR_EL1 = EL0t, DAIF clear");
	return 0;
}
