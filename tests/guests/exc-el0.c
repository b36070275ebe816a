/* Exceptions taken from EL0 to EL1 (the lower-EL AArch64 vector): SVC,
 * UNDEFINED (EL1-only registers and instructions, HVC, SMC, ERET), the
 * EL0 traps of SCTLR_EL1 (nTWI/nTWE, UMA, UCT, DZE with DCZID_EL0.DZP),
 * CPACR_EL1.FPEN, BRK, PC/SP/data alignment; ESR, ELR and SPSR exactly as
 * the Arm ARM defines them (runs on avmm and qemu-system-aarch64; what qemu
 * gets wrong or does not implement is in exc-avmm.c). */
#include "rt/rt.h"

#define SCTLR_BASE (0x30d00800ull | 1ull << 12) /* RES1, I; UMA UCT DZE nTWx UCI = 0 */
#define SCTLR_A (1ull << 1)
#define SCTLR_UMA (1ull << 9)
#define SCTLR_DZE (1ull << 14)
#define SCTLR_UCT (1ull << 15)

static uint64_t scratch[8] __attribute__((aligned(64)));
static uint8_t el0_stack[4096] __attribute__((aligned(16)));
static volatile uint64_t el0_at, el0_val;

static void put(const char *name, uint64_t v)
{
	rt_puts("  ");
	rt_puts(name);
	rt_puts(" = ");
	rt_put_hex(v);
	rt_putc('\n');
}

static uint64_t call_el0(uint64_t (*fn)(uint64_t))
{
	rt_record();
	el0_at = 0;
	return rt_call_el0(fn, (uint64_t)scratch, (uint64_t)(el0_stack + sizeof(el0_stack)));
}

static void expect(const char *what, uint64_t esr, uint64_t elr)
{
	int ok = rt_last.count == 1 && rt_last.kind == 8 && rt_last.esr == esr && rt_last.elr == elr;
	rt_check(ok, what);
	if (!ok) {
		put("count", rt_last.count);
		put("kind", rt_last.kind);
		put("esr", rt_last.esr);
		put("elr", rt_last.elr);
	}
	rt_exception_hook = 0;
}

static void expect_none(const char *what)
{
	rt_check(rt_last.count == 0, what);
	if (rt_last.count)
		put("esr", rt_last.esr);
	rt_exception_hook = 0;
}

/* One EL0 function per instruction word: records its address. */
#define EL0_INSN(name, word)                              \
	static uint64_t name(uint64_t s)                  \
	{                                                 \
		el0_at = RT_EXEC(word, s);                \
		return 0;                                 \
	}
EL0_INSN(el0_mrs_sctlr, 0xd5381000)  /* mrs x0, sctlr_el1 */
EL0_INSN(el0_hvc, 0xd4000002)        /* hvc #0 */
EL0_INSN(el0_smc, 0xd4000003)        /* smc #0 */
EL0_INSN(el0_eret, 0xd69f03e0)       /* eret */
EL0_INSN(el0_spsel, 0xd50041bf)      /* msr spsel, #1 */
EL0_INSN(el0_currentel, 0xd5384240)  /* mrs x0, currentel */
EL0_INSN(el0_id, 0xd5380400)         /* mrs x0, id_aa64pfr0_el1 */
EL0_INSN(el0_sp_el0, 0xd5384100)     /* mrs x0, sp_el0 */
EL0_INSN(el0_wfi, 0xd503207f)        /* wfi */
EL0_INSN(el0_brk, 0xd4200fe0)        /* brk #0x7f */
EL0_INSN(el0_fpcr, 0xd53b4400)       /* mrs x0, fpcr */
EL0_INSN(el0_ldur, 0xf8401021)       /* ldur x1, [x1, #1] */
EL0_INSN(el0_udf, 0x0000abcd)        /* udf #0xabcd */

static uint64_t el0_svc(uint64_t s)
{
	(void)s;
	uint64_t at;
	__asm__ volatile("msr nzcv, %1\n\tadr %0, 1f\n1:\tsvc #7" : "=&r"(at) : "r"(0x90000000ull) : "memory", "cc");
	el0_at = at;
	return 0x1234;
}

static uint64_t el0_mrs_daif(uint64_t s)
{
	(void)s;
	uint64_t at, v = 0x55;
	__asm__ volatile("mov x5, #0x55\n\tadr %0, 1f\n1:\tmrs x5, daif\n\tmov %1, x5" : "=&r"(at), "=r"(v) : : "x5", "memory");
	el0_at = at;
	el0_val = v;
	return 0;
}

static uint64_t el0_ctr(uint64_t s)
{
	(void)s;
	uint64_t at, v;
	__asm__ volatile("mov x6, xzr\n\tadr %0, 1f\n1:\tmrs x6, ctr_el0\n\tmov %1, x6" : "=&r"(at), "=r"(v) : : "x6", "memory");
	el0_at = at;
	el0_val = v;
	return 0;
}

static uint64_t el0_dczid(uint64_t s)
{
	(void)s;
	el0_val = RT_MRS(dczid_el0);
	return 0;
}

static uint64_t el0_dczva(uint64_t s)
{
	uint64_t at;
	__asm__ volatile("mov x0, %1\n\tadr %0, 1f\n1:\tdc zva, x0" : "=&r"(at) : "r"(s) : "x0", "memory");
	el0_at = at;
	return 0;
}

static uint64_t el0_pc_align(uint64_t s)
{
	(void)s;
	uint64_t at;
	__asm__ volatile("adr x9, 1f\n\t"
			 "str x9, [%1]\n\t"
			 "add x9, x9, #2\n\t"
			 "mov %0, x9\n\t"
			 "br x9\n"
			 "1:"
			 : "=&r"(at)
			 : "r"(&rt_resume)
			 : "x9", "memory");
	el0_at = at;
	return 0;
}

static uint64_t el0_sp_align(uint64_t s)
{
	(void)s;
	uint64_t at;
	__asm__ volatile("mov x10, sp\n\t"
			 "add x9, x10, #8\n\t"
			 "mov sp, x9\n\t"
			 "adr %0, 1f\n"
			 "1:\tldr x11, [sp]\n\t"
			 "mov sp, x10"
			 : "=&r"(at)
			 :
			 : "x9", "x10", "x11", "memory");
	el0_at = at;
	return 0;
}

int main(void)
{
	RT_MSR(sctlr_el1, SCTLR_BASE);
	RT_MSR(cpacr_el1, 3ull << 20);

	uint64_t r = call_el0(el0_svc);
	expect("SVC #7 from EL0: lower-EL vector, ESR 0x56000007, ELR past it", 0x56000007, el0_at + 4);
	rt_check(rt_last.spsr == 0x90000000, "  SPSR_EL1 = EL0t with NZCV, DAIF clear");
	rt_check(r == 0x1234, "EL0 function returned its value");

	call_el0(el0_mrs_sctlr);
	expect("MRS SCTLR_EL1 at EL0: UNDEFINED", 0x02000000, el0_at);
	call_el0(el0_hvc);
	expect("HVC at EL0: UNDEFINED", 0x02000000, el0_at);
	call_el0(el0_smc);
	expect("SMC at EL0: UNDEFINED", 0x02000000, el0_at);
	call_el0(el0_eret);
	expect("ERET at EL0: UNDEFINED", 0x02000000, el0_at);
	call_el0(el0_spsel);
	expect("MSR SPSel at EL0: UNDEFINED", 0x02000000, el0_at);
	call_el0(el0_currentel);
	expect("MRS CurrentEL at EL0: UNDEFINED", 0x02000000, el0_at);
	call_el0(el0_id);
	expect("MRS ID_AA64PFR0_EL1 at EL0: UNDEFINED", 0x02000000, el0_at);
	call_el0(el0_sp_el0);
	expect("MRS SP_EL0 at EL0: UNDEFINED", 0x02000000, el0_at);
	call_el0(el0_udf);
	expect("UDF at EL0: UNDEFINED", 0x02000000, el0_at);
	call_el0(el0_brk);
	expect("BRK #0x7f at EL0: ESR 0xf200007f", 0xf200007f, el0_at);

	/* SCTLR_EL1.nTWI = 0: WFI traps to EL1 (CV=1, COND=0xe). (WFE traps
	 * only if it would suspend, which depends on the event register: not
	 * compared.) */
	call_el0(el0_wfi);
	expect("WFI at EL0, nTWI=0: ESR 0x07e00000", 0x07e00000, el0_at);

	/* SCTLR_EL1.UMA = 0: DAIF accesses trap with EC 0x18 (MSR DAIFSet is
	 * in exc-avmm.c: qemu 7.2 swaps op1 and op2 in its syndrome). */
	call_el0(el0_mrs_daif);
	expect("MRS DAIF at EL0, UMA=0: EC 0x18, read, Rt=5", 0x6232d0a5, el0_at);
	RT_MSR(sctlr_el1, SCTLR_BASE | SCTLR_UMA);
	call_el0(el0_mrs_daif);
	expect_none("MRS DAIF at EL0, UMA=1: allowed");
	rt_check(el0_val == 0, "  DAIF reads 0 at EL0");
	RT_MSR(sctlr_el1, SCTLR_BASE);

	/* SCTLR_EL1.UCT: CTR_EL0. */
	call_el0(el0_ctr);
	expect("MRS CTR_EL0 at EL0, UCT=0: EC 0x18, read, Rt=6", 0x6232c0c1, el0_at);
	RT_MSR(sctlr_el1, SCTLR_BASE | SCTLR_UCT);
	call_el0(el0_ctr);
	expect_none("MRS CTR_EL0 at EL0, UCT=1: allowed");
	rt_check(el0_val == RT_MRS(ctr_el0), "  same value as at EL1");
	RT_MSR(sctlr_el1, SCTLR_BASE);

	/* SCTLR_EL1.DZE: DC ZVA and DCZID_EL0.DZP. */
	call_el0(el0_dczid);
	rt_check((el0_val >> 4 & 1) == 1, "DCZID_EL0.DZP = 1 at EL0 with DZE=0");
	rt_check((RT_MRS(dczid_el0) >> 4 & 1) == 0, "DCZID_EL0.DZP = 0 at EL1");
	rt_exception_hook = 0;
	for (int i = 0; i < 8; i++)
		scratch[i] = ~0ull;
	call_el0(el0_dczva);
	expect("DC ZVA at EL0, DZE=0: EC 0x18, ISS op0=1 op1=3 CRn=7 CRm=4 op2=1", 0x6212dc08, el0_at);
	rt_check(scratch[0] == ~0ull, "  nothing written");
	RT_MSR(sctlr_el1, SCTLR_BASE | SCTLR_DZE);
	call_el0(el0_dczid);
	rt_check((el0_val >> 4 & 1) == 0, "DCZID_EL0.DZP = 0 at EL0 with DZE=1");
	rt_exception_hook = 0;
	unsigned bs = 4u << (el0_val & 15);
	call_el0(el0_dczva);
	expect_none("DC ZVA at EL0, DZE=1: allowed");
	int zero = 1;
	for (unsigned i = 0; i < 8 && i * 8 < bs; i++)
		zero &= scratch[i] == 0;
	rt_check(zero, "  the block is zeroed");
	RT_MSR(sctlr_el1, SCTLR_BASE);

	/* CPACR_EL1.FPEN = 1: FP enabled at EL1 only. */
	RT_MSR(cpacr_el1, 1ull << 20);
	call_el0(el0_fpcr);
	expect("MRS FPCR at EL0, FPEN=1: ESR 0x1fe00000", 0x1fe00000, el0_at);
	RT_MSR(cpacr_el1, 3ull << 20);
	call_el0(el0_fpcr);
	expect_none("MRS FPCR at EL0, FPEN=3: allowed");

	/* Alignment at EL0. */
	call_el0(el0_pc_align);
	expect("BR to PC+2 at EL0: ESR 0x8a000000, ELR = the target", 0x8a000000, el0_at);
	rt_check(rt_last.far == el0_at, "  FAR_EL1 = the target");
	call_el0(el0_sp_align);
	expect_none("LDR [SP] at EL0, SP misaligned, SA0=0: no fault");
	RT_MSR(sctlr_el1, SCTLR_BASE | SCTLR_A);
	call_el0(el0_ldur);
	RT_MSR(sctlr_el1, SCTLR_BASE);
	expect("LDUR unaligned at EL0 with SCTLR.A: ESR 0x92000021 (lower EL)", 0x92000021, el0_at);
	rt_check(rt_last.far == (uint64_t)scratch + 1, "  FAR_EL1 = the address");
	return 0;
}
