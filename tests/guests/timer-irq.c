/* Virtual-timer interrupts on avmm (there is no interrupt controller yet,
 * so this needs avmm's model and is not compared with qemu): the timer
 * fires, the accelerator exits with VTIMER_ACTIVATED, the VMM raises the
 * vCPU's IRQ line while CNTV_CTL shows the condition (ENABLE, ISTATUS, not
 * IMASK), and unmasks the vtimer once the guest has dealt with it, which
 * the VMM notices at the guest's next exit (an HVC here stands in for the
 * EOI write that a GIC would trap). Checks: the IRQ vector per origin (EL1h,
 * EL1t, EL0), ELR/SPSR, ISR_EL1.I, WFI waking on the timer (also with IRQs
 * masked, when the interrupt stays pending until unmasked), no interrupt
 * after the condition is gone, and re-arming. */
#include "rt/rt.h"

#define SCTLR_BASE (0x30d00800ull | 1ull << 12 | 1ull << 16 | 1ull << 18) /* RES1, I, nTWI, nTWE */

static uint8_t el0_stack[4096] __attribute__((aligned(16)));
static volatile unsigned irqs, last_kind;
static volatile uint64_t last_isr, last_ctl, last_spsr, rearm_ticks;
static uint64_t frq;

/* IRQ handler: note what was seen, then either re-arm the timer (a new
 * CVAL in the future) or disable it, and exit to the VMM. */
static void irq_hook(unsigned kind, struct rt_frame *f)
{
	(void)f;
	irqs++;
	last_kind = kind;
	last_isr = RT_MRS(isr_el1);
	last_ctl = RT_MRS(cntv_ctl_el0);
	last_spsr = RT_MRS(spsr_el1);
	if (rearm_ticks) {
		RT_MSR(cntv_tval_el0, rearm_ticks);
		rearm_ticks = 0;
	} else {
		RT_MSR(cntv_ctl_el0, 0);
	}
	rt_psci(0x84000000, 0, 0, 0); /* PSCI_VERSION: an exit, the "EOI" */
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

	/* EL1h: WFI sleeps until the timer; the IRQ is taken after it. */
	uint64_t t0 = RT_MRS(cntvct_el0);
	arm_ms(20);
	__asm__ volatile("msr daifclr, #2\n\twfi\n\tmsr daifset, #2" ::: "memory");
	uint64_t t1 = RT_MRS(cntvct_el0);
	spin_until(1, 100);
	rt_check(irqs == 1, "vtimer IRQ taken once at EL1h");
	rt_check(last_kind == 5, "  IRQ vector, current EL with SPx");
	rt_check(t1 - t0 >= frq * 20 / 1000, "  WFI returned at the deadline, not before");
	rt_check((last_isr & 0x80) != 0, "  ISR_EL1.I set in the handler");
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
