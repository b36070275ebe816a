/* System registers from the guest's side (runs on avmm and on
 * qemu-system-aarch64 -cpu cortex-a57, so only architecturally defined
 * values are compared): read-back of the EL1 registers an OS programs,
 * PSTATE access (NZCV, DAIF, SPSel, CurrentEL), the ID register space, and
 * UNDEFINED for registers and instructions of features neither CPU has
 * (PAN, UAO, DIT, SSBS, LOR, pointer authentication, FlagM, RCPC2, SVE,
 * MTE, SB, EL2 registers). */
#include "rt/rt.h"

#define SCTLR_BASE (0x30d00800ull | 1ull << 12)

static uint64_t scratch[8] __attribute__((aligned(64)));
extern char rt_vectors[];

#define RW(name, v)                                                    \
	do {                                                           \
		uint64_t w_ = (v);                                     \
		RT_MSR(name, w_);                                      \
		uint64_t r_ = RT_MRS(name);                            \
		rt_check(r_ == w_, #name " reads back what was written"); \
		if (r_ != w_) {                                        \
			rt_puts("  read ");                            \
			rt_put_hex(r_);                                \
			rt_putc('\n');                                 \
		}                                                      \
	} while (0)

static void undef(const char *what, uint64_t at)
{
	int ok = rt_last.count == 1 && rt_last.kind == 4 && rt_last.esr == 0x02000000 && rt_last.elr == at;
	rt_check(ok, what);
	if (!ok) {
		rt_puts("  count ");
		rt_put_dec(rt_last.count);
		rt_puts(" esr ");
		rt_put_hex(rt_last.esr);
		rt_putc('\n');
	}
	rt_exception_hook = 0;
}
#define UNDEF(what, word)                        \
	do {                                     \
		rt_record();                     \
		uint64_t at_ = RT_EXEC(word, scratch); \
		undef(what, at_);                \
	} while (0)

/* The instruction executes without an exception. */
#define RUNS(what, word)                                 \
	do {                                             \
		rt_record();                             \
		(void)RT_EXEC(word, scratch);            \
		rt_check(rt_last.count == 0, what);      \
		rt_exception_hook = 0;                   \
	} while (0)

int main(void)
{
	RT_MSR(sctlr_el1, SCTLR_BASE);
	RT_MSR(cpacr_el1, 3ull << 20);

	/* EL1 registers an OS programs: full-width read-back. */
	RW(tpidr_el0, 0x0123456789abcdefull);
	RW(tpidr_el1, 0xfedcba9876543210ull);
	RW(tpidrro_el0, 0x1122334455667788ull);
	RW(mair_el1, 0x000000ff440c0400ull);
	RW(ttbr0_el1, 0x00aa000040123000ull);
	RW(ttbr1_el1, 0x00bb000040456000ull);
	RW(tcr_el1, 0x00000032b5193519ull);
	RW(elr_el1, 0xffff000012345678ull);
	RW(far_el1, 0x0000dead0000beefull);
	RW(par_el1, 0x0000000040001000ull);
	RW(contextidr_el1, 0x12345678ull);
	RW(vbar_el1, 0x40080800ull);
	RW(spsr_el1, 0xf00003c5ull);
	RW(esr_el1, 0x5600abcdull);
	RW(cntkctl_el1, 0x303ull);
	RW(cpacr_el1, 1ull << 20);
	RW(cpacr_el1, 3ull << 20);
	RW(csselr_el1, 0);
	RW(sp_el0, 0x40001230ull);
	RT_MSR(vbar_el1, (uint64_t)rt_vectors);

	/* SCTLR_EL1: the v8.0 controls both CPUs implement. */
	uint64_t ctl = (1ull << 2 | 1ull << 3 | 1ull << 4 | 1ull << 9 | 1ull << 14 | 1ull << 15 | 1ull << 16 |
			1ull << 18 | 1ull << 26);
	RT_MSR(sctlr_el1, SCTLR_BASE | ctl);
	rt_check((RT_MRS(sctlr_el1) & (ctl | 3)) == ctl, "SCTLR_EL1: C SA SA0 UMA DZE UCT nTWI nTWE UCI read back");
	RT_MSR(sctlr_el1, SCTLR_BASE);
	rt_check((RT_MRS(sctlr_el1) & (ctl | 3)) == 0, "SCTLR_EL1: and clear again");

	/* PSTATE */
	rt_check(RT_MRS(currentel) == 4, "CurrentEL = EL1");
	rt_check(RT_MRS(spsel) == 1, "SPSel = 1");
	RT_MSR(nzcv, 0xa0000000ull);
	rt_check(RT_MRS(nzcv) == 0xa0000000ull, "NZCV reads back N and C");
	RT_MSR(daif, 0x140ull);
	rt_check(RT_MRS(daif) == 0x140ull, "DAIF reads back A and F (0x140)");
	__asm__ volatile("msr daifset, #0xf" ::: "memory");
	rt_check(RT_MRS(daif) == 0x3c0ull, "DAIFSet #0xf: 0x3c0");
	__asm__ volatile("msr daifclr, #0x5" ::: "memory");
	rt_check(RT_MRS(daif) == 0x280ull, "DAIFClr #5 (A, F): 0x280");
	__asm__ volatile("msr daifset, #0xf" ::: "memory");
	RT_MSR(fpcr, 0x03000000ull);
	rt_check(RT_MRS(fpcr) == 0x03000000ull, "FPCR: FZ and DN read back");
	RT_MSR(fpcr, 0);
	RT_MSR(fpsr, 0x1full);
	rt_check(RT_MRS(fpsr) == 0x1full, "FPSR: cumulative flags read back");
	RT_MSR(fpsr, 0);

	/* Identification */
	rt_check((RT_MRS(mpidr_el1) >> 31 & 1) == 1, "MPIDR_EL1 bit 31 (RES1)");
	rt_check(RT_MRS(midr_el1) != 0, "MIDR_EL1 is not zero");
	uint64_t pfr0 = RT_MRS(id_aa64pfr0_el1);
	rt_check((pfr0 & 0xf) != 0 && (pfr0 >> 4 & 0xf) != 0, "ID_AA64PFR0_EL1: EL0 and EL1 implemented");
	rt_check((RT_MRS(ctr_el0) >> 31) == 1, "CTR_EL0 bit 31 (RES1)");
	rt_check((RT_MRS(clidr_el1) & 7) != 0, "CLIDR_EL1 describes an L1 cache");
	RT_MSR(csselr_el1, 0);
	rt_check(RT_MRS(ccsidr_el1) != 0, "CCSIDR_EL1 for L1 data is not zero");
	/* Every encoding of the ID space op0=3 op1=0 CRn=0 CRm=1..7 reads
	 * without UNDEFINED at EL1 (RAZ where unallocated). */
	rt_record();
	(void)RT_MRS(s3_0_c0_c3_3);
	(void)RT_MRS(s3_0_c0_c4_7);
	(void)RT_MRS(s3_0_c0_c5_6);
	(void)RT_MRS(s3_0_c0_c6_4);
	(void)RT_MRS(s3_0_c0_c7_5);
	(void)RT_MRS(id_pfr0_el1);
	(void)RT_MRS(mvfr0_el1);
	rt_check(rt_last.count == 0, "ID space: reserved and AArch32 encodings readable");
	rt_check(RT_MRS(s3_0_c0_c3_3) == 0 && RT_MRS(s3_0_c0_c7_5) == 0, "ID space: unallocated encodings RAZ");
	rt_exception_hook = 0;

	/* Features neither CPU implements: UNDEFINED. */
	UNDEF("MSR PAN, #1 (FEAT_PAN)", 0xd500419f);
	UNDEF("MRS x0, PAN", 0xd5384260);
	UNDEF("MSR UAO, #1 (FEAT_UAO)", 0xd500417f);
	UNDEF("MRS x0, DIT (FEAT_DIT)", 0xd53b42a0);
	UNDEF("MSR SSBS, #1 (FEAT_SSBS)", 0xd503413f);
	/* PAuth is the one feature a CPU here may have (the soft CPU with
	 * -cpu max, Apple silicon under hvf): then these must execute. */
	uint64_t isar1 = RT_MRS(id_aa64isar1_el1);
	if (((isar1 >> 4) & 0xff) == 0) { /* APA, API */
		UNDEF("PACIA x0, x1 (FEAT_PAuth, non-hint)", 0xdac10020);
		UNDEF("AUTIA x0, x1", 0xdac11020);
		UNDEF("MRS APIAKeyLo_EL1", 0xd5382100);
	} else {
		RUNS("PACIA x0, x1 (FEAT_PAuth advertised)", 0xdac10020);
		RUNS("AUTIA x0, x1", 0xdac11020);
		RUNS("MRS APIAKeyLo_EL1", 0xd5382100);
	}
	UNDEF("CFINV (FEAT_FlagM)", 0xd500401f);
	UNDEF("SETF8 w0 (FEAT_FlagM)", 0x3a00080d);
	UNDEF("RMIF x0, #3, #2 (FEAT_FlagM)", 0xba018402);
	UNDEF("LDLAR w0, [x1] (FEAT_LOR)", 0x88df7c20);
	UNDEF("STLLR w0, [x1] (FEAT_LOR)", 0x889f7c20);
	UNDEF("MRS LORC_EL1 (FEAT_LOR)", 0xd538a460);
	UNDEF("LDAPUR w0, [x1, #4] (FEAT_LRCPC2)", 0x99404020);
	UNDEF("MRS ZCR_EL1 (SVE)", 0xd5381200);
	UNDEF("IRG x0, x1 (MTE)", 0x9adf1020);
	UNDEF("SB (FEAT_SB)", 0xd50330ff);
	UNDEF("MRS HCR_EL2 (no EL2)", 0xd53c1100);
	UNDEF("MRS SCTLR_EL2 (no EL2)", 0xd53c1000);
	UNDEF("MRS SP_EL1 from EL1", 0xd53c4100);
	UNDEF("MRS S3_0_C4_C2_7 (unallocated)", 0xd53842e0);
	UNDEF("HLT #0", 0xd4400000);
	UNDEF("DCPS1", 0xd4a00001);
	UNDEF("SYSL x0, #0, C0, C0, #0", 0xd5280000);
	return 0;
}
