/* Architectural exception behaviour that qemu-system-aarch64 7.2 (the
 * oracle of the other exc-* tests) does not implement or reports
 * differently, checked on avmm alone against the Arm ARM:
 *  - SP alignment checking (SCTLR_EL1.SA for EL1, SA0 for EL0): a load or
 *    store with SP as the base and SP not 16-byte aligned takes an SP
 *    alignment fault, EC 0x26 (qemu implements no SP alignment check);
 *  - MSR DAIFSet/DAIFClr at EL0 with SCTLR_EL1.UMA = 0: EC 0x18 with ISS
 *    op0=0, op1=0b011, CRn=0b0100, CRm=imm, op2=0b110/0b111, Rt=31 (qemu
 *    reports op1 and op2 swapped). */
#include "rt/rt.h"

#define SCTLR_BASE (0x30d00800ull | 1ull << 12)
#define SCTLR_SA (1ull << 3)
#define SCTLR_SA0 (1ull << 4)

static uint64_t scratch[8] __attribute__((aligned(64)));
static uint8_t el0_stack[4096] __attribute__((aligned(16)));
static volatile uint64_t el0_at;

static void check_exc(const char *what, unsigned kind, uint64_t esr, uint64_t elr)
{
	int ok = rt_last.count == 1 && rt_last.kind == kind && rt_last.esr == esr && rt_last.elr == elr;
	rt_check(ok, what);
	if (!ok) {
		rt_puts("  esr ");
		rt_put_hex(rt_last.esr);
		rt_puts(" count ");
		rt_put_dec(rt_last.count);
		rt_putc('\n');
	}
	rt_exception_hook = 0;
}

static uint64_t el0_sp_align(uint64_t s)
{
	(void)s;
	uint64_t at;
	__asm__ volatile("mov x10, sp\n\t"
			 "add x9, x10, #8\n\t"
			 "mov sp, x9\n\t"
			 "adr %0, 1f\n"
			 "1:\tstr x11, [sp, #16]\n\t"
			 "mov sp, x10"
			 : "=&r"(at)
			 :
			 : "x9", "x10", "x11", "memory");
	el0_at = at;
	return 0;
}

static uint64_t el0_daifset(uint64_t s)
{
	el0_at = RT_EXEC(0xd50342df, s); /* msr daifset, #2 */
	return 0;
}
static uint64_t el0_daifclr(uint64_t s)
{
	el0_at = RT_EXEC(0xd50343ff, s); /* msr daifclr, #3 */
	return 0;
}

static void el1t_sp_align(int sa)
{
	uint64_t at;
	RT_MSR(sctlr_el1, SCTLR_BASE | (sa ? SCTLR_SA : 0));
	rt_record();
	__asm__ volatile("msr nzcv, xzr\n\t"
			 "mrs x10, sp_el0\n\t"
			 "add x9, %1, #8\n\t"
			 "msr sp_el0, x9\n\t"
			 "msr spsel, #0\n\t"
			 "adr %0, 1f\n"
			 "1:\tldp x11, x12, [sp]\n\t"
			 "msr spsel, #1\n\t"
			 "msr sp_el0, x10"
			 : "=&r"(at)
			 : "r"(scratch)
			 : "x9", "x10", "x11", "x12", "memory", "cc");
	RT_MSR(sctlr_el1, SCTLR_BASE);
	if (sa) {
		check_exc("LDP [SP] at EL1t, SP misaligned, SA=1: SP0 vector, ESR 0x9a000000", 0, 0x9a000000, at);
		rt_check(rt_last.spsr == 0x3c4, "  SPSR_EL1 = EL1t");
	} else {
		rt_check(rt_last.count == 0, "LDP [SP] at EL1t, SP misaligned, SA=0: no fault");
		rt_exception_hook = 0;
	}
}

static void el0_call(uint64_t (*fn)(uint64_t))
{
	rt_record();
	rt_call_el0(fn, (uint64_t)scratch, (uint64_t)(el0_stack + sizeof(el0_stack)));
}

int main(void)
{
	RT_MSR(sctlr_el1, SCTLR_BASE);
	el1t_sp_align(1);
	el1t_sp_align(0);

	/* SA (EL1) does not apply at EL0 and SA0 not at EL1. */
	RT_MSR(sctlr_el1, SCTLR_BASE | SCTLR_SA0);
	el0_call(el0_sp_align);
	check_exc("STR [SP, #16] at EL0, SP misaligned, SA0=1: ESR 0x9a000000", 8, 0x9a000000, el0_at);
	RT_MSR(sctlr_el1, SCTLR_BASE | SCTLR_SA);
	el0_call(el0_sp_align);
	rt_check(rt_last.count == 0, "STR [SP, #16] at EL0, SP misaligned, SA=1 SA0=0: no fault");
	rt_exception_hook = 0;
	RT_MSR(sctlr_el1, SCTLR_BASE);

	el0_call(el0_daifset);
	check_exc("MSR DAIFSet, #2 at EL0, UMA=0: ESR 0x620cd3e4", 8, 0x620cd3e4, el0_at);
	el0_call(el0_daifclr);
	check_exc("MSR DAIFClr, #3 at EL0, UMA=0: ESR 0x620ed3e6", 8, 0x620ed3e6, el0_at);
	return 0;
}
