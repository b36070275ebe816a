/* The generic timer from the guest's side, without interrupts (runs on avmm
 * and qemu-system-aarch64; the counter frequency differs between them and
 * is never printed): the counters advance, CNTV/CNTP compare semantics
 * (ISTATUS, IMASK, CVAL, TVAL as a signed 32-bit down-counter), and the
 * CNTKCTL_EL1 controls of EL0 access (trapped accesses: EC 0x18). */
#include "rt/rt.h"

#define SCTLR_BASE (0x30d00800ull | 1ull << 12)

static uint64_t scratch[8] __attribute__((aligned(64)));
static uint8_t el0_stack[4096] __attribute__((aligned(16)));
static volatile uint64_t el0_at;

/* Wait until the counter has advanced by `ticks`. */
static void wait_ticks(uint64_t ticks)
{
	uint64_t t0 = RT_MRS(cntvct_el0);
	while (RT_MRS(cntvct_el0) - t0 < ticks)
		;
}

#define TIMER_TESTS(T, CNT)                                                                            \
	static void test_##T(uint64_t frq)                                                             \
	{                                                                                              \
		RT_MSR(T##_ctl_el0, 0);                                                                \
		RT_MSR(T##_cval_el0, 0x123456789abcdefull);                                            \
		rt_check(RT_MRS(T##_cval_el0) == 0x123456789abcdefull, #T ": CVAL reads back");         \
		RT_MSR(T##_cval_el0, RT_MRS(CNT) + frq / 5);                                           \
		RT_MSR(T##_ctl_el0, 1);                                                                \
		rt_check(RT_MRS(T##_ctl_el0) == 1, #T ": CVAL 200 ms ahead: ENABLE, no ISTATUS");       \
		int64_t tv = (int32_t)RT_MRS(T##_tval_el0);                                            \
		rt_check(tv > 0 && (uint64_t)tv <= frq / 5, #T ": TVAL counts down from 200 ms");    \
		rt_check(RT_MRS(T##_tval_el0) >> 32 == 0, #T ": TVAL bits 63:32 read 0");              \
		uint64_t t0 = RT_MRS(CNT); /* before the write: CVAL >= t0 + 1 ms */                   \
		RT_MSR(T##_tval_el0, frq / 1000);                                                      \
		while (!(RT_MRS(T##_ctl_el0) & 4) && RT_MRS(CNT) - t0 < frq)                           \
			;                                                                              \
		rt_check(RT_MRS(T##_ctl_el0) == 5, #T ": TVAL 1 ms: ISTATUS set after it expires");    \
		rt_check(RT_MRS(CNT) - t0 >= frq / 1000, #T ": not before 1 ms");                      \
		rt_check((int32_t)RT_MRS(T##_tval_el0) <= 0, #T ": TVAL negative after expiry");        \
		RT_MSR(T##_ctl_el0, 3);                                                                \
		rt_check(RT_MRS(T##_ctl_el0) == 7, #T ": IMASK does not hide ISTATUS");                \
		RT_MSR(T##_ctl_el0, 0xfffffff9ull);                                                    \
		rt_check(RT_MRS(T##_ctl_el0) == 5, #T ": only ENABLE and IMASK are writable");         \
		RT_MSR(T##_cval_el0, ~0ull);                                                           \
		rt_check(RT_MRS(T##_ctl_el0) == 1, #T ": CVAL = max: condition false");                \
		RT_MSR(T##_cval_el0, 0);                                                               \
		rt_check(RT_MRS(T##_ctl_el0) == 5, #T ": CVAL = 0: condition true");                   \
		RT_MSR(T##_tval_el0, (uint32_t)-1000);                                                 \
		rt_check(RT_MRS(T##_ctl_el0) == 5, #T ": negative TVAL: condition true");              \
		uint64_t now = RT_MRS(CNT), cv = RT_MRS(T##_cval_el0);                                 \
		rt_check(cv < now && now - cv < frq, #T ": negative TVAL sets CVAL in the past");      \
		RT_MSR(T##_tval_el0, 0x7fffffffull);                                                   \
		rt_check(RT_MRS(T##_ctl_el0) == 1, #T ": TVAL 0x7fffffff: in the future");             \
		RT_MSR(T##_ctl_el0, 0);                                                                \
	}
TIMER_TESTS(cntv, cntvct_el0)
TIMER_TESTS(cntp, cntpct_el0)

static void expect_trap(const char *what, uint64_t esr)
{
	int ok = rt_last.count == 1 && rt_last.kind == 8 && rt_last.esr == esr && rt_last.elr == el0_at;
	rt_check(ok, what);
	if (!ok) {
		rt_puts("  esr ");
		rt_put_hex(rt_last.esr);
		rt_putc('\n');
	}
	rt_exception_hook = 0;
}
static void expect_ok(const char *what)
{
	rt_check(rt_last.count == 0, what);
	rt_exception_hook = 0;
}

#define EL0_INSN(name, word)                              \
	static uint64_t name(uint64_t s)                  \
	{                                                 \
		el0_at = RT_EXEC(word, s);                \
		return 0;                                 \
	}
EL0_INSN(el0_cntvct, 0xd53be040) /* mrs x0, cntvct_el0 */
EL0_INSN(el0_cntpct, 0xd53be020) /* mrs x0, cntpct_el0 */
EL0_INSN(el0_cntfrq, 0xd53be000) /* mrs x0, cntfrq_el0 */
EL0_INSN(el0_cntv_ctl, 0xd53be320) /* mrs x0, cntv_ctl_el0 */
EL0_INSN(el0_cntp_ctl, 0xd53be220) /* mrs x0, cntp_ctl_el0 */
EL0_INSN(el0_cntv_cval_w, 0xd51be340) /* msr cntv_cval_el0, x0 */

static void el0(uint64_t (*fn)(uint64_t))
{
	rt_record();
	rt_call_el0(fn, (uint64_t)scratch, (uint64_t)(el0_stack + sizeof(el0_stack)));
}

int main(void)
{
	RT_MSR(sctlr_el1, SCTLR_BASE);
	RT_MSR(cntkctl_el1, 0);
	uint64_t frq = RT_MRS(cntfrq_el0);
	rt_check(frq >= 1000000, "CNTFRQ_EL0 is set (at least 1 MHz)");
	uint64_t v0 = RT_MRS(cntvct_el0), p0 = RT_MRS(cntpct_el0);
	wait_ticks(frq / 1000);
	uint64_t v1 = RT_MRS(cntvct_el0), p1 = RT_MRS(cntpct_el0);
	rt_check(v1 - v0 >= frq / 1000, "CNTVCT_EL0 advances");
	rt_check(p1 > p0, "CNTPCT_EL0 advances");

	test_cntv(frq);
	test_cntp(frq);

	/* EL0 access controls (CNTKCTL_EL1). */
	el0(el0_cntvct);
	expect_trap("EL0 CNTVCT, EL0VCTEN=0: trap, ESR 0x6234f801", 0x6234f801);
	el0(el0_cntpct);
	expect_trap("EL0 CNTPCT, EL0PCTEN=0: trap, ESR 0x6232f801", 0x6232f801);
	el0(el0_cntfrq);
	expect_trap("EL0 CNTFRQ, EL0PCTEN=EL0VCTEN=0: trap, ESR 0x6230f801", 0x6230f801);
	el0(el0_cntv_ctl);
	expect_trap("EL0 CNTV_CTL, EL0VTEN=0: trap, ESR 0x6232f807", 0x6232f807);
	el0(el0_cntp_ctl);
	expect_trap("EL0 CNTP_CTL, EL0PTEN=0: trap, ESR 0x6232f805", 0x6232f805);
	el0(el0_cntv_cval_w);
	expect_trap("EL0 MSR CNTV_CVAL, EL0VTEN=0: trap, ESR 0x6234f806", 0x6234f806);
	RT_MSR(cntkctl_el1, 2);
	el0(el0_cntvct);
	expect_ok("EL0 CNTVCT, EL0VCTEN=1: allowed");
	el0(el0_cntfrq);
	expect_ok("EL0 CNTFRQ, EL0VCTEN=1: allowed");
	el0(el0_cntpct);
	expect_trap("EL0 CNTPCT, EL0VCTEN=1 only: still trapped", 0x6232f801);
	RT_MSR(cntkctl_el1, 1);
	el0(el0_cntpct);
	expect_ok("EL0 CNTPCT, EL0PCTEN=1: allowed");
	RT_MSR(cntkctl_el1, 0x100);
	el0(el0_cntv_ctl);
	expect_ok("EL0 CNTV_CTL, EL0VTEN=1: allowed");
	el0(el0_cntp_ctl);
	expect_trap("EL0 CNTP_CTL, EL0VTEN=1 only: still trapped", 0x6232f805);
	RT_MSR(cntkctl_el1, 0x200);
	el0(el0_cntp_ctl);
	expect_ok("EL0 CNTP_CTL, EL0PTEN=1: allowed");
	RT_MSR(cntkctl_el1, 0);
	return 0;
}
