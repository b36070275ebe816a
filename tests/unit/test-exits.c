/* Unit test of the soft CPU's exits and exception entry, through the
 * accelerator API only: every exit must look exactly as Hypervisor.framework
 * reports it (facts/hvapi.md §2, §4): HVC with PC past the instruction, SMC
 * and WFx with PC at the instruction, EC 0x18 system-register traps for the
 * GIC CPU interface, PMU, debug, OS lock and IMPLEMENTATION DEFINED space,
 * VTIMER_ACTIVATED with its automatic mask, cancel from another thread
 * (remembered when the vCPU is not running), pending IRQ/FIQ lines cleared
 * after each run, and the guest-visible exception entry (vector, ESR, ELR,
 * SPSR, FAR) for the classes taken to EL1.
 *
 * The guest's vector table has `hvc #(0x100 + slot)` in each of its 16
 * slots, so an exception taken to EL1 exits with an HVC whose immediate
 * names the vector (0x100 + origin * 4 + type). Each snippet is written at a
 * fresh address (the code cache never needs invalidating). */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "accel/accel.h"
#include "check.h"

#define RAM_IPA 0x40000000ull
#define RAM_SIZE (4u << 20)
#define VBAR RAM_IPA
#define CODE_OFF 0x10000u
#define UNMAPPED_IPA 0x10000000ull

/* Encodings */
#define HVC(i) (0xd4000002u | (uint32_t)(i) << 5)
#define SMC(i) (0xd4000003u | (uint32_t)(i) << 5)
#define SVC(i) (0xd4000001u | (uint32_t)(i) << 5)
#define BRK(i) (0xd4200000u | (uint32_t)(i) << 5)
#define WFI 0xd503207fu
#define WFE 0xd503205fu
#define B_SELF 0x14000000u
#define NOP 0xd503201fu
#define ERET 0xd69f03e0u
#define MSR_DAIFCLR(m) (0xd50340ffu | (uint32_t)(m) << 8)
#define SYSREG_FIELDS(op0, op1, crn, crm, op2) \
	((uint32_t)((op0) - 2) << 19 | (uint32_t)(op1) << 16 | (uint32_t)(crn) << 12 | (uint32_t)(crm) << 8 | \
	 (uint32_t)(op2) << 5)
#define MRS(rt, op0, op1, crn, crm, op2) (0xd5300000u | SYSREG_FIELDS(op0, op1, crn, crm, op2) | (rt))
#define MSR(op0, op1, crn, crm, op2, rt) (0xd5100000u | SYSREG_FIELDS(op0, op1, crn, crm, op2) | (rt))
#define LDR_X1_X2 0xf9400041u

/* Vector slots: origin * 4 + type */
enum { V_CUR_SP0 = 0, V_CUR_SPX = 4, V_LOWER64 = 8 };
enum { T_SYNC = 0, T_IRQ = 1, T_FIQ = 2 };

static const struct accel_ops *ops;
static struct accel_vm *vm;
static struct accel_vcpu *cpu;
static const struct accel_exit *ex;
static uint8_t *ram;
static uint32_t code_pos = CODE_OFF;

static uint64_t emit(const uint32_t *insn, unsigned n)
{
	code_pos = (code_pos + 15) & ~15u;
	if (code_pos + n * 4 > RAM_SIZE - 0x10000) {
		fprintf(stderr, "test-exits: out of code space\n");
		exit(1);
	}
	uint64_t at = RAM_IPA + code_pos;
	memcpy(ram + code_pos, insn, n * 4);
	code_pos += n * 4;
	return at;
}
#define EMIT(...) emit((const uint32_t[]){ __VA_ARGS__ }, sizeof((uint32_t[]){ __VA_ARGS__ }) / 4)

static uint64_t reg(enum accel_reg r)
{
	uint64_t v = 0;
	if (accel_get_reg(cpu, r, &v))
		CHECK(0, "get_reg %d failed", r);
	return v;
}
static uint64_t sreg(uint16_t enc)
{
	uint64_t v = 0;
	if (accel_get_sysreg(cpu, enc, &v))
		CHECK(0, "get_sysreg 0x%04x failed", enc);
	return v;
}
static void set_sreg(uint16_t enc, uint64_t v)
{
	if (accel_set_sysreg(cpu, enc, v))
		CHECK(0, "set_sysreg 0x%04x failed", enc);
}

/* Start at pc in the given PSTATE (CPSR format), run once. */
static void run_at(uint64_t pc, uint64_t cpsr)
{
	accel_set_reg(cpu, ACCEL_REG_CPSR, cpsr);
	accel_set_reg(cpu, ACCEL_REG_PC, pc);
	accel_vcpu_run(cpu);
}

static bool is_exception(uint32_t ec)
{
	return ex->reason == ACCEL_EXIT_EXCEPTION && ESR_EC(ex->esr) == ec;
}

/* The exit is the vector slot's HVC: the exception taken to EL1 went to
 * VBAR + slot * 0x80. */
static bool took_vector(unsigned slot)
{
	return is_exception(EC_HVC64) && (ex->esr & 0xffff) == 0x100 + slot &&
	       reg(ACCEL_REG_PC) == VBAR + slot * 0x80 + 4;
}

enum { EL0T = 0x0, EL1T = 0x4, EL1H = 0x5, DAIF_ALL = 0x3c0 };

static void test_hvc_smc(void)
{
	uint64_t pc = EMIT(HVC(0x1234));
	run_at(pc, EL1H | DAIF_ALL);
	CHECK(ex->reason == ACCEL_EXIT_EXCEPTION && ex->esr == 0x5a001234, "HVC: esr 0x%llx",
	      (unsigned long long)ex->esr);
	CHECK(reg(ACCEL_REG_PC) == pc + 4, "HVC: PC past the instruction");

	pc = EMIT(SMC(0xbeef));
	run_at(pc, EL1H | DAIF_ALL);
	CHECK(ex->reason == ACCEL_EXIT_EXCEPTION && ex->esr == 0x5e00beef, "SMC: esr 0x%llx",
	      (unsigned long long)ex->esr);
	CHECK(reg(ACCEL_REG_PC) == pc, "SMC: PC at the instruction");

	/* At EL0 both are UNDEFINED: taken to EL1, never to the VMM. */
	uint64_t hvc0 = EMIT(HVC(1));
	run_at(hvc0, EL0T);
	CHECK(took_vector(V_LOWER64 + T_SYNC), "HVC at EL0: lower-EL sync vector");
	CHECK(sreg(SYSREG_ESR_EL1) == 0x02000000, "HVC at EL0: ESR_EL1 0x%llx",
	      (unsigned long long)sreg(SYSREG_ESR_EL1));
	CHECK(sreg(SYSREG_ELR_EL1) == hvc0, "HVC at EL0: ELR_EL1 at the instruction");
	CHECK(sreg(SYSREG_SPSR_EL1) == EL0T, "HVC at EL0: SPSR_EL1 0x%llx",
	      (unsigned long long)sreg(SYSREG_SPSR_EL1));
	CHECK(reg(ACCEL_REG_CPSR) == (EL1H | DAIF_ALL), "entry: EL1h, DAIF masked (0x%llx)",
	      (unsigned long long)reg(ACCEL_REG_CPSR));
	uint64_t smc0 = EMIT(SMC(1));
	run_at(smc0, EL0T | 0x100);
	CHECK(took_vector(V_LOWER64 + T_SYNC) && sreg(SYSREG_ESR_EL1) == 0x02000000 &&
	      sreg(SYSREG_SPSR_EL1) == (EL0T | 0x100), "SMC at EL0: UNDEFINED");
}

static void test_wfx(void)
{
	uint64_t pc = EMIT(WFI);
	run_at(pc, EL1H | DAIF_ALL);
	CHECK(is_exception(EC_WFX) && ex->esr == 0x07e00000, "WFI: esr 0x%llx", (unsigned long long)ex->esr);
	CHECK(reg(ACCEL_REG_PC) == pc, "WFI: PC at the instruction");
	pc = EMIT(WFE);
	run_at(pc, EL1H | DAIF_ALL);
	CHECK(is_exception(EC_WFX) && ex->esr == 0x07e00001, "WFE: esr 0x%llx", (unsigned long long)ex->esr);
	CHECK(reg(ACCEL_REG_PC) == pc, "WFE: PC at the instruction");

	/* EL0 with SCTLR_EL1.nTWI = 0: EL1's trap has priority. */
	uint64_t sctlr = sreg(SYSREG_SCTLR_EL1);
	set_sreg(SYSREG_SCTLR_EL1, sctlr & ~(1ull << 16 | 1ull << 18));
	pc = EMIT(WFI);
	run_at(pc, EL0T);
	CHECK(took_vector(V_LOWER64 + T_SYNC) && sreg(SYSREG_ESR_EL1) == 0x07e00000 &&
	      sreg(SYSREG_ELR_EL1) == pc, "WFI at EL0, nTWI=0: trapped to EL1");
	set_sreg(SYSREG_SCTLR_EL1, sctlr | 1ull << 16 | 1ull << 18);
	pc = EMIT(WFE);
	run_at(pc, EL0T);
	CHECK(is_exception(EC_WFX) && ex->esr == 0x07e00001 && reg(ACCEL_REG_PC) == pc,
	      "WFE at EL0, nTWE=1: exits to the VMM");
	set_sreg(SYSREG_SCTLR_EL1, sctlr);
}

static uint32_t sysreg_iss(unsigned op0, unsigned op1, unsigned crn, unsigned crm, unsigned op2, unsigned rt,
			   bool read)
{
	return op0 << 20 | op2 << 17 | op1 << 14 | crn << 10 | rt << 5 | crm << 1 | read;
}

static void sysreg_trap_case(const char *what, unsigned op0, unsigned op1, unsigned crn, unsigned crm,
			     unsigned op2, unsigned rt, bool read)
{
	uint32_t insn = read ? MRS(rt, op0, op1, crn, crm, op2) : MSR(op0, op1, crn, crm, op2, rt);
	uint64_t pc = EMIT(insn);
	run_at(pc, EL1H | DAIF_ALL);
	uint64_t want = 0x62000000ull | sysreg_iss(op0, op1, crn, crm, op2, rt, read);
	CHECK(ex->reason == ACCEL_EXIT_EXCEPTION && ex->esr == want, "%s: esr 0x%llx, want 0x%llx", what,
	      (unsigned long long)ex->esr, (unsigned long long)want);
	CHECK(reg(ACCEL_REG_PC) == pc, "%s: PC at the instruction", what);
	/* From EL0 the same access is UNDEFINED (taken to EL1). */
	pc = EMIT(insn);
	run_at(pc, EL0T);
	CHECK(took_vector(V_LOWER64 + T_SYNC) && sreg(SYSREG_ESR_EL1) == 0x02000000, "%s at EL0: UNDEFINED", what);
}

static void test_sysreg_traps(void)
{
	sysreg_trap_case("ICC_IAR1_EL1 read", 3, 0, 12, 12, 0, 3, true);
	sysreg_trap_case("ICC_SGI1R_EL1 write", 3, 0, 12, 11, 5, 7, false);
	sysreg_trap_case("ICC_PMR_EL1 write", 3, 0, 4, 6, 0, 30, false);
	sysreg_trap_case("ICC_SRE_EL1 read", 3, 0, 12, 12, 5, 0, true);
	sysreg_trap_case("PMCR_EL0 read", 3, 3, 9, 12, 0, 5, true);
	sysreg_trap_case("PMINTENSET_EL1 write", 3, 0, 9, 14, 1, 2, false);
	sysreg_trap_case("PMEVCNTR3_EL0 read", 3, 3, 14, 8, 3, 9, true);
	sysreg_trap_case("OSLAR_EL1 write", 2, 0, 1, 0, 4, 31, false);
	sysreg_trap_case("OSLSR_EL1 read", 2, 0, 1, 1, 4, 1, true);
	sysreg_trap_case("OSDLR_EL1 write", 2, 0, 1, 3, 4, 4, false);
	sysreg_trap_case("DBGBVR1_EL1 write", 2, 0, 0, 1, 4, 6, false);
	sysreg_trap_case("MDCCINT_EL1 read", 2, 0, 0, 2, 0, 8, true);
	sysreg_trap_case("IMPDEF S3_0_C15_C2_0 read", 3, 0, 15, 2, 0, 10, true);
	sysreg_trap_case("IMPDEF S3_4_C15_C0_4 write", 3, 4, 15, 0, 4, 11, false);
	sysreg_trap_case("IMPDEF S3_1_C11_C0_2 read", 3, 1, 11, 0, 2, 12, true);

	/* Unallocated / unimplemented registers: UNDEFINED at EL1, no exit. */
	static const struct { unsigned op0, op1, crn, crm, op2; const char *what; } undef[] = {
		{ 3, 0, 4, 2, 3, "PAN" },          { 3, 0, 10, 4, 3, "LORC_EL1" },
		{ 3, 4, 1, 1, 0, "HCR_EL2" },      { 3, 0, 2, 1, 0, "APIAKeyLo_EL1" },
		{ 3, 3, 4, 2, 5, "DIT" },          { 3, 0, 1, 2, 0, "ZCR_EL1" },
		{ 3, 4, 4, 1, 0, "SP_EL1 at EL1" },
	};
	for (unsigned i = 0; i < sizeof(undef) / sizeof(undef[0]); i++) {
		uint64_t pc = EMIT(MRS(1, undef[i].op0, undef[i].op1, undef[i].crn, undef[i].crm, undef[i].op2));
		run_at(pc, EL1H | DAIF_ALL);
		CHECK(took_vector(V_CUR_SPX + T_SYNC) && sreg(SYSREG_ESR_EL1) == 0x02000000 &&
		      sreg(SYSREG_ELR_EL1) == pc, "MRS %s: UNDEFINED", undef[i].what);
	}
	/* Reserved ID space reads as zero at EL1; AArch32 ID registers too. */
	uint64_t pc = EMIT(MRS(1, 3, 0, 0, 3, 0), MRS(2, 3, 0, 0, 5, 7), MRS(3, 3, 0, 0, 1, 0), HVC(7));
	accel_set_reg(cpu, ACCEL_REG_X0 + 1, 0x55);
	accel_set_reg(cpu, ACCEL_REG_X0 + 2, 0x55);
	accel_set_reg(cpu, ACCEL_REG_X0 + 3, 0x55);
	run_at(pc, EL1H | DAIF_ALL);
	CHECK(is_exception(EC_HVC64) && reg(1) == 0 && reg(2) == 0 && reg(3) == 0,
	      "MVFR0, reserved ID_AA64 slot, ID_PFR0: RAZ");
}

static void test_sync_entry(void)
{
	/* SVC from EL0: lower-EL vector, ELR past the SVC. */
	uint64_t pc = EMIT(SVC(0x42));
	run_at(pc, EL0T | 0xf0000000u);
	CHECK(took_vector(V_LOWER64 + T_SYNC), "SVC at EL0: vector");
	CHECK(sreg(SYSREG_ESR_EL1) == 0x56000042, "SVC: ESR_EL1 0x%llx", (unsigned long long)sreg(SYSREG_ESR_EL1));
	CHECK(sreg(SYSREG_ELR_EL1) == pc + 4, "SVC: ELR_EL1 past the instruction");
	CHECK(sreg(SYSREG_SPSR_EL1) == (EL0T | 0xf0000000u), "SVC: SPSR_EL1 keeps NZCV");

	/* SVC at EL1t: current-EL SP0 vector; SP_EL0 stays. */
	set_sreg(SYSREG_SP_EL0, 0x1230);
	set_sreg(SYSREG_SP_EL1, 0x4560);
	pc = EMIT(SVC(1));
	run_at(pc, EL1T | 0x200);
	CHECK(took_vector(V_CUR_SP0 + T_SYNC) && sreg(SYSREG_SPSR_EL1) == (EL1T | 0x200),
	      "SVC at EL1t: SP0 vector, SPSR");
	CHECK(sreg(SYSREG_SP_EL0) == 0x1230 && sreg(SYSREG_SP_EL1) == 0x4560, "SP_EL0 / SP_EL1 banked");

	/* BRK: to EL1 normally, to the VMM with trap_debug_exceptions. */
	pc = EMIT(BRK(0x77));
	run_at(pc, EL1H | DAIF_ALL);
	CHECK(took_vector(V_CUR_SPX + T_SYNC) && sreg(SYSREG_ESR_EL1) == 0xf2000077 &&
	      sreg(SYSREG_ELR_EL1) == pc, "BRK: EC 0x3c to EL1, ELR at the BRK");
	accel_set_trap_debug_exceptions(cpu, true);
	pc = EMIT(BRK(0x78));
	run_at(pc, EL1H | DAIF_ALL);
	CHECK(is_exception(EC_BRK) && ex->esr == 0xf2000078 && reg(ACCEL_REG_PC) == pc, "BRK trapped to the VMM");
	accel_set_trap_debug_exceptions(cpu, false);

	/* PC alignment: ELR = FAR = the misaligned target. */
	uint64_t br = EMIT(0xd61f0000u | 5u << 5); /* br x5 */
	accel_set_reg(cpu, 5, RAM_IPA + 0x30002);
	run_at(br, EL1H | DAIF_ALL);
	CHECK(took_vector(V_CUR_SPX + T_SYNC) && sreg(SYSREG_ESR_EL1) == 0x8a000000 &&
	      sreg(SYSREG_ELR_EL1) == RAM_IPA + 0x30002 && sreg(SYSREG_FAR_EL1) == RAM_IPA + 0x30002,
	      "PC alignment fault");

	/* Illegal exception return (to EL2h): IL set, next instruction takes
	 * EC 0x0e; EL and SP selection unchanged; NZCV/DAIF from SPSR. */
	uint64_t target = EMIT(NOP);
	pc = EMIT(ERET);
	set_sreg(SYSREG_ELR_EL1, target);
	set_sreg(SYSREG_SPSR_EL1, 0x9 | 0x80000000u | 0x80);
	run_at(pc, EL1H | DAIF_ALL);
	CHECK(took_vector(V_CUR_SPX + T_SYNC) && sreg(SYSREG_ESR_EL1) == 0x3a000000 &&
	      sreg(SYSREG_ELR_EL1) == target, "illegal return: EC 0x0e at the target");
	CHECK(sreg(SYSREG_SPSR_EL1) == (0x80000000u | 1u << 20 | 0x80 | EL1H), "illegal return: SPSR 0x%llx",
	      (unsigned long long)sreg(SYSREG_SPSR_EL1));
	/* ERET to EL1h from EL1 with SPSR.IL set: also illegal state. */
	target = EMIT(NOP);
	pc = EMIT(ERET);
	set_sreg(SYSREG_ELR_EL1, target);
	set_sreg(SYSREG_SPSR_EL1, EL0T | 1u << 20);
	run_at(pc, EL1H | DAIF_ALL);
	CHECK(took_vector(V_LOWER64 + T_SYNC) && sreg(SYSREG_ESR_EL1) == 0x3a000000 &&
	      sreg(SYSREG_SPSR_EL1) == (EL0T | 1u << 20), "legal return with SPSR.IL: illegal state at EL0");

	/* FP/SIMD access trap: FPCR with CPACR_EL1.FPEN = 0 (EL1) and 1 (EL0). */
	set_sreg(SYSREG_CPACR_EL1, 0);
	pc = EMIT(MRS(1, 3, 3, 4, 4, 0));
	run_at(pc, EL1H | DAIF_ALL);
	CHECK(took_vector(V_CUR_SPX + T_SYNC) && sreg(SYSREG_ESR_EL1) == 0x1fe00000 &&
	      sreg(SYSREG_ELR_EL1) == pc, "FPCR read, FPEN=0: EC 0x07 (ESR 0x%llx)",
	      (unsigned long long)sreg(SYSREG_ESR_EL1));
	set_sreg(SYSREG_CPACR_EL1, 1ull << 20);
	pc = EMIT(MRS(1, 3, 3, 4, 4, 0), HVC(9));
	run_at(pc, EL1H | DAIF_ALL);
	CHECK(is_exception(EC_HVC64) && (ex->esr & 0xffff) == 9, "FPCR read at EL1, FPEN=1: allowed");
	pc = EMIT(MSR(3, 3, 4, 4, 1, 1)); /* FPSR */
	run_at(pc, EL0T);
	CHECK(took_vector(V_LOWER64 + T_SYNC) && sreg(SYSREG_ESR_EL1) == 0x1fe00000, "FPSR write at EL0, FPEN=1: trap");
	set_sreg(SYSREG_CPACR_EL1, 3ull << 20);
	pc = EMIT(MSR(3, 3, 4, 4, 1, 1), SVC(10));
	run_at(pc, EL0T);
	CHECK(took_vector(V_LOWER64 + T_SYNC) && sreg(SYSREG_ESR_EL1) == 0x5600000a, "FPSR write at EL0, FPEN=3: allowed");

	/* Data abort on unmapped IPA: exit with ISV=1 syndrome, VA and IPA. */
	pc = EMIT(LDR_X1_X2);
	accel_set_reg(cpu, 2, UNMAPPED_IPA + 0x18);
	run_at(pc, EL1H | DAIF_ALL);
	CHECK(ex->reason == ACCEL_EXIT_EXCEPTION && ex->esr == 0x93c18007 && ex->va == UNMAPPED_IPA + 0x18 &&
	      ex->ipa == UNMAPPED_IPA + 0x18 && reg(ACCEL_REG_PC) == pc, "LDR from unmapped IPA: esr 0x%llx",
	      (unsigned long long)ex->esr);
}

static void test_interrupts(void)
{
	/* Line asserted while masked: not taken; the line is cleared after
	 * the run, so unmasking in the next run takes nothing. */
	uint64_t pc = EMIT(HVC(1));
	accel_set_pending_interrupt(cpu, ACCEL_IRQ, true);
	run_at(pc, EL1H | DAIF_ALL);
	CHECK(is_exception(EC_HVC64) && (ex->esr & 0xffff) == 1, "IRQ masked: not taken");
	CHECK((sreg(ACCEL_SYSREG(3, 0, 12, 1, 0)) & 0x80) == 0, "ISR_EL1.I clear after the run");
	pc = EMIT(MSR_DAIFCLR(0xf), HVC(2));
	run_at(pc, EL1H | DAIF_ALL);
	CHECK(is_exception(EC_HVC64) && (ex->esr & 0xffff) == 2, "pending line cleared after each run");

	/* Asserted and unmasked: taken at once, ELR = the next instruction. */
	pc = EMIT(MSR_DAIFCLR(2), NOP, HVC(3));
	accel_set_pending_interrupt(cpu, ACCEL_IRQ, true);
	run_at(pc, EL1H | DAIF_ALL);
	CHECK(took_vector(V_CUR_SPX + T_IRQ) && sreg(SYSREG_ELR_EL1) == pc + 4 &&
	      sreg(SYSREG_SPSR_EL1) == (EL1H | 0x340), "IRQ at EL1h: vector, ELR, SPSR (0x%llx)",
	      (unsigned long long)sreg(SYSREG_SPSR_EL1));
	/* From EL0 with both lines: FIQ first, lower-EL vector. */
	pc = EMIT(NOP, NOP);
	accel_set_pending_interrupt(cpu, ACCEL_IRQ, true);
	accel_set_pending_interrupt(cpu, ACCEL_FIQ, true);
	run_at(pc, EL0T);
	CHECK(took_vector(V_LOWER64 + T_FIQ) && sreg(SYSREG_ELR_EL1) == pc && sreg(SYSREG_SPSR_EL1) == EL0T,
	      "FIQ before IRQ from EL0");
	/* EL1t: SP0 vector. */
	pc = EMIT(NOP);
	accel_set_pending_interrupt(cpu, ACCEL_IRQ, true);
	run_at(pc, EL1T | 0x100);
	CHECK(took_vector(V_CUR_SP0 + T_IRQ), "IRQ at EL1t: SP0 vector");
	/* A pending line wakes nothing at EL1 when masked by PSTATE.I only for
	 * IRQ: FIQ (F clear) still taken. */
	pc = EMIT(NOP);
	accel_set_pending_interrupt(cpu, ACCEL_FIQ, true);
	run_at(pc, EL1H | 0x80);
	CHECK(took_vector(V_CUR_SPX + T_FIQ), "FIQ with I masked, F clear");
}

/* A thread that cancels the vCPU after delay_ms unless told the run is over
 * first. A cancel that lands after the run returned is remembered by the
 * vCPU; run_with_cancel then consumes it with a run that must return
 * CANCELED at once. */
struct canceller {
	pthread_mutex_t m;
	pthread_cond_t cv;
	bool done, kicked;
	unsigned delay_ms;
};
static void *cancel_thread(void *arg)
{
	struct canceller *k = arg;
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += (long)(k->delay_ms % 1000) * 1000000;
	until.tv_sec += k->delay_ms / 1000 + until.tv_nsec / 1000000000;
	until.tv_nsec %= 1000000000;
	pthread_mutex_lock(&k->m);
	while (!k->done)
		if (pthread_cond_timedwait(&k->cv, &k->m, &until))
			break;
	if (!k->done) {
		k->kicked = true;
		ops->vcpus_exit(&cpu, 1);
	}
	pthread_mutex_unlock(&k->m);
	return NULL;
}
/* Run pc until an exit, cancelling from another thread after delay_ms.
 * Returns the exit reason. */
static uint32_t run_with_cancel(uint64_t pc, uint64_t cpsr, unsigned delay_ms)
{
	struct canceller k = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false, delay_ms };
	pthread_t t;
	pthread_create(&t, NULL, cancel_thread, &k);
	run_at(pc, cpsr);
	uint32_t reason = ex->reason;
	pthread_mutex_lock(&k.m);
	k.done = true;
	pthread_cond_signal(&k.cv);
	pthread_mutex_unlock(&k.m);
	pthread_join(t, NULL);
	if (k.kicked && reason != ACCEL_EXIT_CANCELED) {
		accel_vcpu_run(cpu);
		CHECK(ex->reason == ACCEL_EXIT_CANCELED, "late cancel remembered");
	}
	return reason;
}

static void test_cancel(void)
{
	uint64_t spin = EMIT(B_SELF);
	CHECK(run_with_cancel(spin, EL1H | DAIF_ALL, 20) == ACCEL_EXIT_CANCELED && reg(ACCEL_REG_PC) == spin,
	      "cancel from another thread");
	/* Remembered while not running: the next run returns at once. */
	ops->vcpus_exit(&cpu, 1);
	uint64_t pc = EMIT(HVC(5));
	run_at(pc, EL1H | DAIF_ALL);
	CHECK(ex->reason == ACCEL_EXIT_CANCELED && reg(ACCEL_REG_PC) == pc, "cancel remembered");
	accel_vcpu_run(cpu);
	CHECK(is_exception(EC_HVC64) && (ex->esr & 0xffff) == 5, "only once");
}

static void test_vtimer(void)
{
	bool masked = true;
	ops->set_vtimer_mask(cpu, false);
	ops->set_vtimer_offset(cpu, 0);
	uint64_t frq = sreg(ACCEL_SYSREG(3, 3, 14, 0, 0));
	CHECK(frq == 1000000, "CNTFRQ from accel_vm_config (%llu)", (unsigned long long)frq);
	uint64_t pct = sreg(ACCEL_SYSREG(3, 3, 14, 0, 1));
	ops->set_vtimer_offset(cpu, 1000);
	uint64_t vct = sreg(ACCEL_SYSREG(3, 3, 14, 0, 2));
	CHECK(vct + 1000 >= pct && vct + 1000 - pct < 100000, "CNTVCT = CNTPCT - offset");
	ops->set_vtimer_offset(cpu, 0);

	/* Timer fires: VTIMER_ACTIVATED, then masked. */
	uint64_t spin = EMIT(B_SELF);
	set_sreg(SYSREG_CNTV_CVAL_EL0, sreg(ACCEL_SYSREG(3, 3, 14, 0, 2)) + 2000); /* 2 ms */
	set_sreg(SYSREG_CNTV_CTL_EL0, 1);
	uint32_t reason = run_with_cancel(spin, EL1H | DAIF_ALL, 500);
	CHECK(reason == ACCEL_EXIT_VTIMER_ACTIVATED, "vtimer fires (reason %u)", reason);
	ops->get_vtimer_mask(cpu, &masked);
	CHECK(masked, "vtimer masked by the exit");
	CHECK(sreg(SYSREG_CNTV_CTL_EL0) == 5, "CNTV_CTL: ENABLE | ISTATUS");
	CHECK(run_with_cancel(spin, EL1H | DAIF_ALL, 20) == ACCEL_EXIT_CANCELED, "no second vtimer exit while masked");
	ops->set_vtimer_mask(cpu, false);
	accel_vcpu_run(cpu);
	CHECK(ex->reason == ACCEL_EXIT_VTIMER_ACTIVATED, "unmasked with the condition: exits again");
	/* IMASK set: no exit. */
	ops->set_vtimer_mask(cpu, false);
	set_sreg(SYSREG_CNTV_CTL_EL0, 3);
	CHECK(run_with_cancel(spin, EL1H | DAIF_ALL, 20) == ACCEL_EXIT_CANCELED && sreg(SYSREG_CNTV_CTL_EL0) == 7,
	      "IMASK: no exit, ISTATUS set");
	/* TVAL: signed 32-bit, counts down past zero. */
	set_sreg(ACCEL_SYSREG(3, 3, 14, 3, 0), (uint32_t)-5000);
	uint64_t tval = sreg(ACCEL_SYSREG(3, 3, 14, 3, 0));
	CHECK(tval <= 0xffffffffu && (int32_t)tval <= -5000 && (int32_t)tval > -5000 - 100000, "TVAL negative");
	set_sreg(SYSREG_CNTV_CTL_EL0, 0);
	CHECK(sreg(SYSREG_CNTV_CTL_EL0) == 0, "disabled: ISTATUS clear");
}

/* Regression: a chunk of instructions that ends exactly on a page's end
 * leaves the CPU at the page-end sentinel; an exit taken there must resume
 * at the next page, also when that page's address has bit 12 set (the PC
 * was once formed with an OR and jumped back to the start of the page).
 * A page full of `msr cntv_ctl_el0, x0` arms an expired vtimer with every
 * instruction, so the exit comes at the first chunk boundary, and starting
 * at each offset in turn puts that boundary on every entry and the
 * sentinel whatever the chunk length. */
static void test_exit_at_page_end(void)
{
	code_pos = (code_pos + 0x1fff) & ~0x1fffu;
	code_pos |= 0x1000; /* an odd page */
	uint32_t page[1025];
	for (unsigned i = 0; i < 1024; i++)
		page[i] = MSR(3, 3, 14, 3, 1, 0);
	page[1024] = HVC(7);
	uint64_t base = emit(page, 1025);
	unsigned bad = 0, at_end = 0;
	for (uint64_t off = 0; off < 0x1000; off += 4) {
		ops->set_vtimer_mask(cpu, false);
		set_sreg(SYSREG_CNTV_CTL_EL0, 0);
		set_sreg(SYSREG_CNTV_CVAL_EL0, 0);
		accel_set_reg(cpu, ACCEL_REG_X0, 1);
		run_at(base + off, EL1H | DAIF_ALL);
		if (ex->reason == ACCEL_EXIT_VTIMER_ACTIVATED) {
			uint64_t pc = reg(ACCEL_REG_PC);
			at_end += pc == base + 0x1000;
			if (pc <= base + off || pc > base + 0x1000) {
				if (!bad++)
					CHECK(0, "start 0x%llx: vtimer exit with PC 0x%llx", (unsigned long long)(base + off),
					      (unsigned long long)pc);
				continue;
			}
			accel_vcpu_run(cpu); /* masked now: runs on to the HVC */
		}
		if (!is_exception(EC_HVC64) || (ex->esr & 0xffff) != 7 || reg(ACCEL_REG_PC) != base + 0x1004) {
			if (!bad++)
				CHECK(0, "start 0x%llx: did not reach the next page's HVC", (unsigned long long)(base + off));
		}
	}
	CHECK(bad == 0, "exits at chunk ends inside an odd page: %u bad starts", bad);
	CHECK(at_end > 0, "some exit landed on the page-end sentinel");
	set_sreg(SYSREG_CNTV_CTL_EL0, 0);
}

/* A loop of the shapes the soft CPU runs as decode-time pairs (a flag
 * setter and the B.NE / CSEL / CSINC reading its flags), iterated so that
 * the pairs are taken (they need the second entry already decoded), with
 * the results computed here: register values, the carry-selected counts and
 * the final NZCV. */
static void test_flag_pairs(void)
{
	const unsigned n = 1000;
	uint64_t pc = EMIT(0xeb020027,  /* 0: subs x7, x1, x2 */
			   0x9a842484,  /*    cinc x4, x4, cc */
			   0xeb0a0029,  /*    subs x9, x1, x10 */
			   0x9a852025,  /*    csel x5, x1, x5, cs */
			   0x8b030021,  /*    add  x1, x1, x3 */
			   0x31000400,  /*    adds w0, w0, #1 */
			   0x54ffff41,  /*    b.ne 0 */
			   0xf1000400,  /*    subs x0, x0, #1 */
			   0x54000021,  /*    b.ne next */
			   HVC(0));
	uint64_t x1 = 0x0123456789abcdefull, x2 = 1ull << 63, x10 = 0x123456789abcdef0ull,
		 x3 = 0x9e3779b97f4a7c15ull, x4 = 7, x5 = 0x55;
	accel_set_reg(cpu, ACCEL_REG_X0, (uint32_t)-n);
	accel_set_reg(cpu, ACCEL_REG_X0 + 1, x1);
	accel_set_reg(cpu, ACCEL_REG_X0 + 2, x2);
	accel_set_reg(cpu, ACCEL_REG_X0 + 3, x3);
	accel_set_reg(cpu, ACCEL_REG_X0 + 4, x4);
	accel_set_reg(cpu, ACCEL_REG_X0 + 5, x5);
	accel_set_reg(cpu, ACCEL_REG_X0 + 10, x10);
	uint64_t x7 = 0, x9 = 0;
	for (unsigned i = 0; i < n; i++) {
		x7 = x1 - x2;
		x4 += x1 < x2;
		x9 = x1 - x10;
		if (x1 >= x10)
			x5 = x1;
		x1 += x3;
	}
	run_at(pc, EL1H | DAIF_ALL);
	CHECK(is_exception(EC_HVC64) && (ex->esr & 0xffff) == 0, "flag pairs: loop reached its HVC");
	EQ(reg(ACCEL_REG_X0), ~0ull);
	EQ(reg(ACCEL_REG_X0 + 1), x1);
	EQ(reg(ACCEL_REG_X0 + 4), x4);
	EQ(reg(ACCEL_REG_X0 + 5), x5);
	EQ(reg(ACCEL_REG_X0 + 7), x7);
	EQ(reg(ACCEL_REG_X0 + 9), x9);
	EQ(reg(ACCEL_REG_CPSR) >> 28, 0x8u); /* 0 - 1: N, no carry */
}

/* Loops inside one page run iteration after iteration without going back
 * to the run loop (cpu_loop_back), for at most a chunk of instructions.
 * The instruction count must stay exact: a loop with a forward branch that
 * skips an instruction on some iterations, counted here from its own
 * semantics (the last iteration shares its chain with the exiting HVC, and
 * a chain that leaves by an exit is not counted). And the loop must stay
 * interruptible: a cancel from another thread stops a loop that would run
 * for hours, at an instruction boundary inside it, with registers that
 * agree with the PC; the run then goes on from there. */
void soft_print_stats(struct accel_vcpu *v, FILE *f);
static uint64_t insns_counted(void)
{
	char buf[512] = { 0 };
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
	unsigned long long n = 0;
	if (!f)
		return 0;
	soft_print_stats(cpu, f);
	fclose(f);
	if (sscanf(buf, "avmm: soft cpu: %llu instructions", &n) != 1)
		CHECK(0, "stats line: %s", buf);
	return n;
}
static void test_loop_chaining(void)
{
	code_pos = (code_pos + 0xfff) & ~0xfffu; /* the loops stay inside one page */
	uint64_t pc = EMIT(0x8b030021,  /* 0: add  x1, x1, x3 */
			   0xca010042,  /*    eor  x2, x2, x1 */
			   0x37000041,  /*    tbnz w1, #0, 1f */
			   0x91000484,  /*    add  x4, x4, #1 */
			   0xf1000400,  /* 1: subs x0, x0, #1 */
			   0x54ffff61,  /*    b.ne 0 */
			   HVC(0));
	const uint64_t n = 100000, x3 = 0x9e3779b97f4a7c15ull;
	uint64_t x1 = 5, x2 = 0, x4 = 0, expect = 0;
	for (uint64_t i = 0; i < n; i++) {
		x1 += x3;
		x2 ^= x1;
		unsigned k = 5; /* add, eor, tbnz, subs, b.ne */
		if (!(x1 & 1)) {
			x4++;
			k++;
		}
		if (i + 1 < n)
			expect += k;
	}
	accel_set_reg(cpu, ACCEL_REG_X0, n);
	accel_set_reg(cpu, ACCEL_REG_X0 + 1, 5);
	accel_set_reg(cpu, ACCEL_REG_X0 + 2, 0);
	accel_set_reg(cpu, ACCEL_REG_X0 + 3, x3);
	accel_set_reg(cpu, ACCEL_REG_X0 + 4, 0);
	uint64_t before = insns_counted();
	run_at(pc, EL1H | DAIF_ALL);
	uint64_t counted = insns_counted() - before;
	CHECK(is_exception(EC_HVC64) && (ex->esr & 0xffff) == 0, "chained loop reached its HVC");
	EQ(reg(ACCEL_REG_X0 + 1), x1);
	EQ(reg(ACCEL_REG_X0 + 2), x2);
	EQ(reg(ACCEL_REG_X0 + 4), x4);
	CHECK(counted == expect, "chained loop: %llu instructions counted, %llu run before the last iteration",
	      (unsigned long long)counted, (unsigned long long)expect);

	/* Interruptible: 2^40 iterations, cancelled after 20 ms, twice. */
	uint64_t head = EMIT(0x8b030021,  /* add  x1, x1, x3 */
			     0x91000442,  /* add  x2, x2, #1 */
			     0xf1000400,  /* subs x0, x0, #1 */
			     0x54ffffa1,  /* b.ne head */
			     HVC(1));
	const uint64_t big = 1ull << 40;
	accel_set_reg(cpu, ACCEL_REG_X0, big);
	accel_set_reg(cpu, ACCEL_REG_X0 + 1, 0);
	accel_set_reg(cpu, ACCEL_REG_X0 + 2, 0);
	uint64_t last = 0;
	for (int round = 0; round < 2; round++) {
		uint32_t reason = round == 0 ? run_with_cancel(head, EL1H | DAIF_ALL, 20)
					     : run_with_cancel(reg(ACCEL_REG_PC), reg(ACCEL_REG_CPSR), 20);
		uint64_t at = reg(ACCEL_REG_PC), r0 = reg(ACCEL_REG_X0), r1 = reg(ACCEL_REG_X0 + 1),
			 r2 = reg(ACCEL_REG_X0 + 2);
		CHECK(reason == ACCEL_EXIT_CANCELED, "long loop: cancel stops it (reason %u)", reason);
		CHECK(at >= head && at < head + 16, "long loop: stopped inside it (PC 0x%llx)", (unsigned long long)at);
		/* x2 counts the iterations that passed its ADD; x1 is one
		 * ahead of it between the two ADDs, x0 one behind between
		 * the second ADD and the SUBS. */
		uint64_t m1 = at == head + 4 ? r2 + 1 : r2, done0 = at == head + 8 ? r2 - 1 : r2;
		CHECK(r1 == m1 * x3, "long loop: x1 agrees with the PC");
		CHECK(big - r0 == done0, "long loop: x0 agrees with x2 and the PC");
		CHECK(r2 > last, "long loop: progress in round %d (%llu iterations)", round, (unsigned long long)r2);
		last = r2;
	}
}

/* Branches to another page (BL, BLR, RET) find the target's decoded page
 * through a fast path in front of the full lookup; it must still see the
 * target page rewritten by a store (its write generation), unmapped, and
 * mapped again with other code (the layout epoch). The guest calls a
 * function in another page, rewrites that function's first instruction and
 * calls it again (no ISB: leaving the page is enough in avmm), twice, the
 * second time with both pages decoded already; then the
 * VMM unmaps the function's page (the call must exit with an instruction
 * abort), maps another page with other code there, and takes execute
 * permission away from it and gives it back. */
#define FN_IPA 0x48000000ull
#define MOVZ_X0(i) (0xd2800000u | (uint32_t)(i) << 5)
#define RET 0xd65f03c0u
static void test_cross_page_code(void)
{
	code_pos = (code_pos + 0xfff) & ~0xfffu;
	uint64_t fn = emit((const uint32_t[]){ MOVZ_X0(1), RET }, 2);
	code_pos = (code_pos + 0xfff) & ~0xfffu; /* the caller in another page */
	uint64_t pc = EMIT(0xb90000c4,  /* str  w4, [x6] */
			   0xd63f0100,  /* blr  x8 */
			   0xaa0003e7,  /* mov  x7, x0 */
			   0xb90000c5,  /* str  w5, [x6] */
			   0xd63f0100,  /* blr  x8 */
			   HVC(2));
	for (int round = 0; round < 2; round++) { /* the second finds everything decoded */
		accel_set_reg(cpu, ACCEL_REG_X0 + 4, MOVZ_X0(1));
		accel_set_reg(cpu, ACCEL_REG_X0 + 5, MOVZ_X0(2));
		accel_set_reg(cpu, ACCEL_REG_X0 + 6, fn);
		accel_set_reg(cpu, ACCEL_REG_X0 + 8, fn);
		run_at(pc, EL1H | DAIF_ALL);
		CHECK(is_exception(EC_HVC64) && (ex->esr & 0xffff) == 2, "cross-page calls reached the HVC");
		CHECK(reg(ACCEL_REG_X0 + 7) == 1 && reg(ACCEL_REG_X0) == 2,
		      "round %d: the rewritten function ran after the store (x7 %llu, x0 %llu)", round,
		      (unsigned long long)reg(ACCEL_REG_X0 + 7), (unsigned long long)reg(ACCEL_REG_X0));
	}

	/* A page of its own, called, unmapped, then mapped with other code. */
	uint8_t *pg[2];
	for (int i = 0; i < 2; i++) {
		pg[i] = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHECK(pg[i] != MAP_FAILED, "mmap");
		if (pg[i] == MAP_FAILED)
			return;
		uint32_t code[2] = { MOVZ_X0(10 + i), RET };
		memcpy(pg[i], code, sizeof(code));
	}
	uint64_t call = EMIT(0xd63f0100, HVC(3)); /* blr x8 */
	CHECK(accel_map(vm, pg[0], FN_IPA, 4096, ACCEL_MEM_READ | ACCEL_MEM_EXEC) == 0, "map the function's page");
	accel_set_reg(cpu, ACCEL_REG_X0 + 8, FN_IPA);
	for (int i = 0; i < 2; i++) {
		run_at(call, EL1H | DAIF_ALL);
		CHECK(is_exception(EC_HVC64) && (ex->esr & 0xffff) == 3 && reg(ACCEL_REG_X0) == 10,
		      "call %d into the mapped page returns 10 (x0 %llu)", i, (unsigned long long)reg(ACCEL_REG_X0));
	}
	CHECK(accel_unmap(vm, FN_IPA, 4096) == 0, "unmap the function's page");
	run_at(call, EL1H | DAIF_ALL);
	CHECK(is_exception(EC_IABT_LOWER) && ex->ipa == FN_IPA && reg(ACCEL_REG_PC) == FN_IPA,
	      "call into the unmapped page: instruction abort exit (esr 0x%llx)", (unsigned long long)ex->esr);
	CHECK(accel_map(vm, pg[1], FN_IPA, 4096, ACCEL_MEM_READ | ACCEL_MEM_EXEC) == 0, "map another page there");
	run_at(call, EL1H | DAIF_ALL);
	CHECK(is_exception(EC_HVC64) && (ex->esr & 0xffff) == 3 && reg(ACCEL_REG_X0) == 11,
	      "the other page's code runs (x0 %llu)", (unsigned long long)reg(ACCEL_REG_X0));
	/* Execute permission taken away (the map epoch only): a permission
	 * fault exit; given back: the code runs again. */
	CHECK(accel_protect(vm, FN_IPA, 4096, ACCEL_MEM_READ) == 0, "protect the function's page");
	run_at(call, EL1H | DAIF_ALL);
	CHECK(is_exception(EC_IABT_LOWER) && (ex->esr & 0x3f) == 0x0f && ex->ipa == FN_IPA,
	      "call into the page without execute permission: permission fault exit (esr 0x%llx)",
	      (unsigned long long)ex->esr);
	CHECK(accel_protect(vm, FN_IPA, 4096, ACCEL_MEM_READ | ACCEL_MEM_EXEC) == 0, "unprotect it");
	run_at(call, EL1H | DAIF_ALL);
	CHECK(is_exception(EC_HVC64) && (ex->esr & 0xffff) == 3 && reg(ACCEL_REG_X0) == 11,
	      "executable again (x0 %llu)", (unsigned long long)reg(ACCEL_REG_X0));
	accel_unmap(vm, FN_IPA, 4096);
	munmap(pg[0], 4096);
	munmap(pg[1], 4096);
}

int main(void)
{
	ops = &accel_soft_ops;
	struct accel_vm_config cfg = { .cntfrq_hz = 1000000 };
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED || accel_vm_create(ops, &cfg, &vm) ||
	    accel_map(vm, ram, RAM_IPA, RAM_SIZE, ACCEL_MEM_READ | ACCEL_MEM_WRITE | ACCEL_MEM_EXEC) ||
	    accel_vcpu_create(vm, &cpu, &ex)) {
		fprintf(stderr, "test-exits: cannot create the VM\n");
		return 1;
	}
	for (unsigned slot = 0; slot < 16; slot++) {
		uint32_t insn = HVC(0x100 + slot);
		memcpy(ram + slot * 0x80, &insn, 4);
	}
	set_sreg(SYSREG_VBAR_EL1, VBAR);
	set_sreg(SYSREG_SCTLR_EL1, sreg(SYSREG_SCTLR_EL1) | 1ull << 16 | 1ull << 18); /* nTWI, nTWE */
	set_sreg(SYSREG_CPACR_EL1, 3ull << 20);

	test_hvc_smc();
	test_wfx();
	test_sysreg_traps();
	test_sync_entry();
	test_interrupts();
	test_cancel();
	test_vtimer();
	test_exit_at_page_end();
	test_flag_pairs();
	test_loop_chaining();
	test_cross_page_code();

	int rc = check_summary();
	accel_vcpu_destroy(cpu);
	accel_vm_destroy(vm);
	munmap(ram, RAM_SIZE);
	return rc;
}
