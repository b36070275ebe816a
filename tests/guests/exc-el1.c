/* Exceptions taken from EL1 to EL1: SVC, BRK, UNDEFINED, PC alignment,
 * alignment (SCTLR_EL1.A), UNDEFINED from EL1t (the SP0 vector), FP/SIMD access trap (CPACR_EL1.FPEN), illegal exception returns;
 * the vector taken, ESR_EL1, ELR_EL1, SPSR_EL1 and FAR_EL1 exactly as the
 * Arm ARM defines them (runs on avmm and qemu-system-aarch64; SP alignment
 * checking, which qemu does not implement, is in exc-avmm.c). */
#include "rt/rt.h"

#define SCTLR_BASE (0x30d00800ull | 1ull << 12) /* RES1, I */
#define SCTLR_A (1ull << 1)

static uint64_t scratch[8] __attribute__((aligned(64)));

static void put(const char *name, uint64_t v)
{
	rt_puts("  ");
	rt_puts(name);
	rt_puts(" = ");
	rt_put_hex(v);
	rt_putc('\n');
}

static void dump(void)
{
	put("count", rt_last.count);
	put("kind", rt_last.kind);
	put("esr", rt_last.esr);
	put("elr", rt_last.elr);
	put("spsr", rt_last.spsr);
}

static void expect(const char *what, unsigned kind, uint64_t esr, uint64_t elr)
{
	int ok = rt_last.count == 1 && rt_last.kind == kind && rt_last.esr == esr && rt_last.elr == elr;
	rt_check(ok, what);
	if (!ok)
		dump();
	rt_exception_hook = 0;
}

static void expect_spsr(const char *what, uint64_t spsr)
{
	rt_check(rt_last.spsr == spsr, what);
	if (rt_last.spsr != spsr)
		put("spsr", rt_last.spsr);
}

/* Illegal state: record, clear SPSR.IL so the target runs normally. */
static void illegal_hook(unsigned kind, struct rt_frame *f)
{
	(void)f;
	rt_last.count++;
	rt_last.kind = kind;
	rt_last.esr = rt_read_esr();
	rt_last.elr = rt_read_elr();
	rt_last.spsr = RT_MRS(spsr_el1);
	RT_MSR(spsr_el1, rt_last.spsr & ~(1ull << 20));
}

static void illegal_return(const char *what, uint64_t spsr, uint64_t want_spsr)
{
	uint64_t at;
	rt_record();
	rt_exception_hook = illegal_hook;
	__asm__ volatile("adr x9, 1f\n\t"
			 "msr elr_el1, x9\n\t"
			 "msr spsr_el1, %1\n\t"
			 "mov %0, x9\n\t"
			 "eret\n"
			 "1:\tnop\n\t"
			 "msr daifset, #0xf"
			 : "=&r"(at)
			 : "r"(spsr)
			 : "x9", "memory", "cc");
	expect(what, 4, 0x3a000000, at);
	expect_spsr("  SPSR_EL1: NZCV, DAIF from the SPSR, IL set, EL1h kept", want_spsr);
}

int main(void)
{
	uint64_t at;
	RT_MSR(sctlr_el1, SCTLR_BASE);
	RT_MSR(cpacr_el1, 3ull << 20);

	/* SVC: ELR is the next instruction; NZCV saved. */
	rt_record();
	__asm__ volatile("msr nzcv, %1\n\tadr %0, 1f\n1:\tsvc #0x123"
			 : "=&r"(at)
			 : "r"(0x60000000ull)
			 : "memory", "cc");
	expect("SVC #0x123 from EL1h: SPx vector, ESR 0x56000123, ELR past it", 4, 0x56000123, at + 4);
	expect_spsr("  SPSR_EL1 = 0x600003c5", 0x600003c5);

	rt_record();
	at = RT_EXEC(0xd42009a0, scratch); /* brk #0x4d */
	expect("BRK #0x4d: ESR 0xf200004d, ELR at the BRK", 4, 0xf200004d, at);

	rt_record();
	at = RT_EXEC(0x00000000, scratch); /* udf #0 */
	expect("UDF #0: UNDEFINED, ESR 0x02000000", 4, 0x02000000, at);

	/* PC alignment: ELR = FAR = the misaligned target. */
	rt_record();
	__asm__ volatile("adr x9, 1f\n\t"
			 "str x9, [%1]\n\t"
			 "add x9, x9, #2\n\t"
			 "mov %0, x9\n\t"
			 "br x9\n"
			 "1:"
			 : "=&r"(at)
			 : "r"(&rt_resume)
			 : "x9", "memory");
	expect("BR to PC+2: PC alignment fault, ESR 0x8a000000", 4, 0x8a000000, at);
	rt_check(rt_last.far == at, "  FAR_EL1 = the misaligned PC");

	/* Alignment fault with SCTLR_EL1.A: data abort, same EL, FSC 0x21. */
	RT_MSR(sctlr_el1, SCTLR_BASE | SCTLR_A);
	rt_record();
	at = RT_EXEC(0xf8401021, scratch); /* ldur x1, [x1, #1] */
	RT_MSR(sctlr_el1, SCTLR_BASE);
	expect("LDUR unaligned with SCTLR.A: ESR 0x96000021", 4, 0x96000021, at);
	rt_check(rt_last.far == (uint64_t)scratch + 1, "  FAR_EL1 = the address");
	RT_MSR(sctlr_el1, SCTLR_BASE | SCTLR_A);
	rt_record();
	at = RT_EXEC(0xf8001020, scratch); /* stur x0, [x1, #1] */
	RT_MSR(sctlr_el1, SCTLR_BASE);
	expect("STUR unaligned with SCTLR.A: ESR 0x96000061 (WnR)", 4, 0x96000061, at);
	rt_check(rt_last.far == (uint64_t)scratch + 1, "  FAR_EL1 = the address");

	/* MRS SP_EL0 while using SP_EL0: UNDEFINED (from EL1t). */
	rt_record();
	__asm__ volatile("msr nzcv, xzr\n\t"
			 "msr spsel, #0\n\t"
			 "adr %0, 1f\n"
			 "1:\tmrs x9, sp_el0\n\t"
			 "msr spsel, #1"
			 : "=&r"(at)
			 :
			 : "x9", "memory", "cc");
	expect("MRS SP_EL0 at EL1t: UNDEFINED via the SP0 vector", 0, 0x02000000, at);

	/* FP/SIMD access trap: EC 0x07 with CV=1, COND=0b1110. */
	RT_MSR(cpacr_el1, 0);
	rt_record();
	at = RT_EXEC(0xd53b4400, scratch); /* mrs x0, fpcr */
	expect("MRS FPCR with CPACR_EL1.FPEN=0: ESR 0x1fe00000", 4, 0x1fe00000, at);
	RT_MSR(cpacr_el1, 2ull << 20);
	rt_record();
	at = RT_EXEC(0xd51b4420, scratch); /* msr fpsr, x0 */
	expect("MSR FPSR with CPACR_EL1.FPEN=2: ESR 0x1fe00000", 4, 0x1fe00000, at);
	RT_MSR(cpacr_el1, 1ull << 20);
	rt_record();
	RT_EXEC(0xd53b4400, scratch);
	rt_check(rt_last.count == 0, "MRS FPCR at EL1 with FPEN=1: allowed");
	rt_exception_hook = 0;
	RT_MSR(cpacr_el1, 3ull << 20);

	/* Illegal exception returns (EL and SP selection kept, IL set; the
	 * next instruction takes EC 0x0e with ELR at it). */
	illegal_return("ERET to EL2h (not implemented): illegal state", 0x600003c9, 0x601003c5);
	illegal_return("ERET to M=0b00001 (reserved): illegal state", 0x000003c1, 0x001003c5);
	illegal_return("ERET to M=0b00010 (reserved): illegal state", 0x90000282, 0x90100285);
	illegal_return("ERET to EL1h with SPSR.IL set: illegal state", 0x001003c5, 0x001003c5);

	/* ELR_EL1/SPSR_EL1 survive a nested synchronous exception taken with
	 * the handler's own values: an SVC from the hook is not needed here;
	 * check the return state instead: DAIF masked on entry. */
	rt_record();
	__asm__ volatile("msr daifclr, #0xf\n\tmsr nzcv, xzr\n\tadr %0, 1f\n1:\tsvc #1\n\tmsr daifset, #0xf"
			 : "=&r"(at)
			 :
			 : "memory", "cc");
	expect("SVC with DAIF clear: ELR past it", 4, 0x56000001, at + 4);
	expect_spsr("  SPSR_EL1 = 0x5 (DAIF clear), handler ran masked", 0x5);
	return 0;
}
