/* Unit test of the floating-point core (src/cpu/fpu.c) against values
 * worked out by hand from the Arm ARM pseudocode (FPRound, FPProcessNaNs,
 * FPMulAdd, FPToFixed, FPRecipEstimate, ...), and of the FP instructions'
 * CPU plumbing: the CPACR_EL1.FPEN trap (EC 0x07), FPSR accumulation, the
 * upper half of V registers, and UNDEFINED for half-precision arithmetic.
 * The bulk of the checking is the differential test (tests/isa, groups
 * fp_* and simd_fp); these cases pin the subtle rules by name. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel/accel.h"
#include "cpu/fpu.h"
#include "check.h"

#define RN (0u << 22)
#define RP (1u << 22)
#define RM (2u << 22)
#define RZ (3u << 22)
#define FZ FPCR_FZ
#define DN FPCR_DN
#define AHP FPCR_AHP

static void expect(const char *name, uint64_t got, uint32_t got_exc, uint64_t want, uint32_t want_exc)
{
	check(got == want && got_exc == want_exc, "%s: got %#llx flags %#x, expected %#llx flags %#x", name,
	      (unsigned long long)got, got_exc, (unsigned long long)want, want_exc);
}

/* Run expression e with FPCR = fpcr and compare result and flags. */
#define T(name, fpcr, e, want, want_exc)                      \
	do {                                                  \
		fpst st_ = { (fpcr), 0 };                     \
		fpst *st = &st_;                              \
		(void)st;                                     \
		uint64_t got_ = (uint64_t)(e);                \
		expect(name, got_, st_.exc, want, want_exc);  \
	} while (0)

enum { IOC = FPSR_IOC, DZC = FPSR_DZC, OFC = FPSR_OFC, UFC = FPSR_UFC, IXC = FPSR_IXC, IDC = FPSR_IDC };

static void core_tests(void)
{
	/* rounding: 1 + 2^-24 is exactly half an ulp of 1.0 */
	T("add tie to even", RN, fp_add(FP_S, 0x3f800000, 0x33800000, st), 0x3f800000, IXC);
	T("add round up", RP, fp_add(FP_S, 0x3f800000, 0x33800000, st), 0x3f800001, IXC);
	T("add exact zero RN", RN, fp_add(FP_S, 0x3f800000, 0xbf800000, st), 0, 0);
	T("add exact zero RM", RM, fp_add(FP_S, 0x3f800000, 0xbf800000, st), 0x80000000, 0);
	T("sub -0 - +0", RN, fp_sub(FP_S, 0x80000000, 0, st), 0x80000000, 0);
	T("add inf - inf", RN, fp_add(FP_D, 0x7ff0000000000000, 0xfff0000000000000, st), 0x7ff8000000000000, IOC);
	T("add overflow RN", RN, fp_add(FP_S, 0x7f7fffff, 0x7f7fffff, st), 0x7f800000, OFC | IXC);
	T("add overflow RZ", RZ, fp_add(FP_S, 0x7f7fffff, 0x7f7fffff, st), 0x7f7fffff, OFC | IXC);
	T("add overflow RM positive", RM, fp_add(FP_S, 0x7f7fffff, 0x7f7fffff, st), 0x7f7fffff, OFC | IXC);
	/* underflow: exact denormal results raise nothing */
	T("mul exact denormal", RN, fp_mul(FP_S, 0x00800000, 0x3f000000, st), 0x00400000, 0);
	T("mul exact denormal FZ", FZ, fp_mul(FP_S, 0x00800000, 0x3f000000, st), 0, UFC);
	/* tininess before rounding: rounds up to the smallest normal, still UFC */
	T("tiny before rounding", RN, fp_mul(FP_S, 0x00800000, 0x3f7fffff, st), 0x00800000, UFC | IXC);
	T("tiny flushed before rounding", FZ, fp_mul(FP_S, 0x00800000, 0x3f7fffff, st), 0, UFC);
	T("FZ input denormal", FZ, fp_add(FP_S, 0x00000001, 0, st), 0, IDC);
	T("FZ input denormal negative", FZ, fp_add(FP_S, 0x80000001, 0x80000000, st), 0x80000000, IDC);
	T("FZ IDC with NaN", FZ, fp_mul(FP_D, 1, 0x7ff8000000000001, st), 0x7ff8000000000001, IDC);
	T("denormal + denormal", RN, fp_add(FP_S, 0x00400000, 0x00400000, st), 0x00800000, 0);
	T("div by zero", RN, fp_div(FP_S, 0x3f800000, 0x80000000, st), 0xff800000, DZC);
	T("0/0", RN, fp_div(FP_S, 0, 0x80000000, st), 0x7fc00000, IOC);
	T("inf/0 no DZC", RN, fp_div(FP_S, 0x7f800000, 0, st), 0x7f800000, 0);
	T("1/3 double", RN, fp_div(FP_D, 0x3ff0000000000000, 0x4008000000000000, st), 0x3fd5555555555555, IXC);
	T("1/3 double RP", RP, fp_div(FP_D, 0x3ff0000000000000, 0x4008000000000000, st), 0x3fd5555555555556, IXC);
	T("sqrt 2", RN, fp_sqrt(FP_S, 0x40000000, st), 0x3fb504f3, IXC);
	T("sqrt -0", RN, fp_sqrt(FP_S, 0x80000000, st), 0x80000000, 0);
	T("sqrt -1", RN, fp_sqrt(FP_D, 0xbff0000000000000, st), 0x7ff8000000000000, IOC);
	T("sqrt 4 double", RN, fp_sqrt(FP_D, 0x4010000000000000, st), 0x4000000000000000, 0);
	/* NaN propagation */
	T("SNaN over QNaN", RN, fp_add(FP_S, 0x7fc00005, 0xff800002, st), 0xffc00002, IOC);
	T("first SNaN", RN, fp_add(FP_S, 0x7f800001, 0x7f800002, st), 0x7fc00001, IOC);
	T("first QNaN", RN, fp_mul(FP_S, 0xffc00003, 0x7fc00004, st), 0xffc00003, 0);
	T("DN", DN, fp_add(FP_S, 0x7f800001, 0x3f800000, st), 0x7fc00000, IOC);
	T("DN quiet", DN, fp_sub(FP_D, 0x3ff0000000000000, 0xfff8000000000123, st), 0x7ff8000000000000, 0);
	/* fused multiply-add */
	T("fma addend QNaN, 0*inf", RN, fp_muladd(FP_S, 0x7fc00009, 0, 0x7f800000, st), 0x7fc00000, IOC);
	T("fma addend SNaN, 0*inf", RN, fp_muladd(FP_S, 0x7f800003, 0, 0x7f800000, st), 0x7fc00003, IOC);
	T("fma addend first", RN, fp_muladd(FP_S, 0x7fc00009, 0x7fc00001, 0x3f800000, st), 0x7fc00009, 0);
	T("fma SNaN operand over QNaN addend", RN, fp_muladd(FP_S, 0x7fc00009, 0x7f800001, 0x3f800000, st),
	  0x7fc00001, IOC);
	T("fma single rounding", RN, fp_muladd(FP_S, 0xbf800002, 0x3f800001, 0x3f800001, st), 0x28800000, 0);
	T("fma inf - inf", RN, fp_muladd(FP_S, 0xff800000, 0x7f800000, 0x3f800000, st), 0x7fc00000, IOC);
	T("fma -0 + -0", RN, fp_muladd(FP_S, 0x80000000, 0x80000000, 0x3f800000, st), 0x80000000, 0);
	T("fma +0 + -0 RM", RM, fp_muladd(FP_S, 0, 0x80000000, 0x3f800000, st), 0x80000000, 0);
	T("fma exact cancel RN", RN, fp_muladd(FP_D, 0xbff0000000000000, 0x3ff0000000000000, 0x3ff0000000000000, st),
	  0, 0);
	/* max/min */
	T("max -0 +0", RN, fp_max(FP_S, 0x80000000, 0, st), 0, 0);
	T("min -0 +0", RN, fp_min(FP_S, 0, 0x80000000, st), 0x80000000, 0);
	T("max QNaN", RN, fp_max(FP_S, 0x7fc00001, 0x3f800000, st), 0x7fc00001, 0);
	T("maxnum QNaN", RN, fp_maxnum(FP_S, 0x7fc00001, 0x3f800000, st), 0x3f800000, 0);
	T("minnum QNaN second", RN, fp_minnum(FP_S, 0xff800000, 0x7fc00001, st), 0xff800000, 0);
	T("maxnum SNaN", RN, fp_maxnum(FP_S, 0x7f800001, 0x3f800000, st), 0x7fc00001, IOC);
	T("maxnum both QNaN", RN, fp_maxnum(FP_S, 0x7fc00001, 0x7fc00002, st), 0x7fc00001, 0);
	T("max denormal kept", RN, fp_max(FP_S, 0x00000003, 0x80000000, st), 0x00000003, 0);
	/* compares */
	T("fcmp unordered", RN, fp_compare(FP_S, 0x3f800000, 0x7fc00000, false, st), 0x3, 0);
	T("fcmpe unordered", RN, fp_compare(FP_S, 0x3f800000, 0x7fc00000, true, st), 0x3, IOC);
	T("fcmp SNaN", RN, fp_compare(FP_S, 0x7f800001, 0x3f800000, false, st), 0x3, IOC);
	T("fcmp -0 == +0", RN, fp_compare(FP_D, 0x8000000000000000, 0, false, st), 0x6, 0);
	T("fcmp less", RN, fp_compare(FP_S, 0x3f800000, 0x40000000, false, st), 0x8, 0);
	T("fcmp greater", RN, fp_compare(FP_S, 0x7f800000, 0x40000000, false, st), 0x2, 0);
	T("fcmeq QNaN quiet", RN, fp_compare_eq(FP_S, 0x7fc00000, 0x7fc00000, st), 0, 0);
	T("fcmge QNaN signals", RN, fp_compare_ge(FP_S, 0x7fc00000, 0, st), 0, IOC);
	T("fcmgt -1 > -2", RN, fp_compare_gt(FP_S, 0xbf800000, 0xc0000000, st), 1, 0);
	/* integer conversions */
	T("to int32 overflow", RZ, fp_to_fixed(FP_S, 0x4f000000, 0, false, 32, FPR_ZERO, st), 0x7fffffff, IOC);
	T("to int32 min", RZ, fp_to_fixed(FP_S, 0xcf000000, 0, false, 32, FPR_ZERO, st), 0x80000000, 0);
	T("to uint -0.5 RN", RN, fp_to_fixed(FP_S, 0xbf000000, 0, true, 32, FPR_TIEEVEN, st), 0, IXC);
	T("to uint -0.75 RN", RN, fp_to_fixed(FP_S, 0xbf400000, 0, true, 32, FPR_TIEEVEN, st), 0, IOC);
	T("to int NaN", RN, fp_to_fixed(FP_D, 0x7ff8000000000000, 0, false, 64, FPR_ZERO, st), 0, IOC);
	T("to int64 -inf", RN, fp_to_fixed(FP_D, 0xfff0000000000000, 0, false, 64, FPR_ZERO, st),
	  0x8000000000000000, IOC);
	T("to uint64 2^64-2048", RN, fp_to_fixed(FP_D, 0x43efffffffffffff, 0, true, 64, FPR_ZERO, st),
	  0xfffffffffffff800, 0);
	T("to int 2.5 tie away", RN, fp_to_fixed(FP_S, 0xc0200000, 0, false, 32, FPR_TIEAWAY, st), 0xfffffffd, IXC);
	T("to int 2.5 tie even", RN, fp_to_fixed(FP_S, 0xc0200000, 0, false, 32, FPR_TIEEVEN, st), 0xfffffffe, IXC);
	T("to fixed 16 fbits", RN, fp_to_fixed(FP_S, 0x3fc00000, 16, false, 32, FPR_ZERO, st), 0x18000, 0);
	T("from int 2^24+1", RN, fp_from_fixed(FP_S, 0x01000001, 0, false, 32, FPR_TIEEVEN, st), 0x4b800000, IXC);
	T("from int -1 W", RN, fp_from_fixed(FP_D, 0xffffffff, 0, false, 32, FPR_TIEEVEN, st), 0xbff0000000000000, 0);
	T("from uint W", RN, fp_from_fixed(FP_D, 0xffffffff, 0, true, 32, FPR_TIEEVEN, st), 0x41efffffffe00000, 0);
	T("from int64 min", RN, fp_from_fixed(FP_S, 0x8000000000000000, 0, false, 64, FPR_TIEEVEN, st), 0xdf000000, 0);
	T("from fixed 64 fbits", RN, fp_from_fixed(FP_S, 1, 64, true, 64, FPR_TIEEVEN, st), 0x1f800000, 0);
	/* FRINT */
	T("frintn 2.5", RN, fp_round_int(FP_S, 0x40200000, FPR_TIEEVEN, false, st), 0x40000000, 0);
	T("frintx 2.5", RN, fp_round_int(FP_S, 0x40200000, FPR_TIEEVEN, true, st), 0x40000000, IXC);
	T("frinta 2.5", RN, fp_round_int(FP_S, 0x40200000, FPR_TIEAWAY, false, st), 0x40400000, 0);
	T("frintp -0.3", RN, fp_round_int(FP_S, 0xbe99999a, FPR_POSINF, false, st), 0x80000000, 0);
	T("frintm 0.3", RN, fp_round_int(FP_D, 0x3fd3333333333333, FPR_NEGINF, false, st), 0, 0);
	T("frint SNaN", RN, fp_round_int(FP_S, 0xff800001, FPR_ZERO, false, st), 0xffc00001, IOC);
	/* precision conversions */
	T("S->H overflow", RN, fp_convert(FP_S, FP_H, 0x477ff000, FPR_TIEEVEN, st), 0x7c00, OFC | IXC);
	T("S->H AHP 65520", AHP, fp_convert(FP_S, FP_H, 0x477ff000, FPR_TIEEVEN, st), 0x7c00, IXC);
	T("S->H AHP overflow", AHP, fp_convert(FP_S, FP_H, 0x48000000, FPR_TIEEVEN, st), 0x7fff, IOC);
	T("S->H AHP inf", AHP, fp_convert(FP_S, FP_H, 0xff800000, FPR_TIEEVEN, st), 0xffff, IOC);
	T("S->H AHP NaN", AHP | DN, fp_convert(FP_S, FP_H, 0xffc00000, FPR_TIEEVEN, st), 0x8000, IOC);
	T("H->S AHP", AHP, fp_convert(FP_H, FP_S, 0x7c00, FPR_TIEEVEN, st), 0x47800000, 0);
	T("H->S IEEE inf", RN, fp_convert(FP_H, FP_S, 0x7c00, FPR_TIEEVEN, st), 0x7f800000, 0);
	T("H denormal not flushed", FZ, fp_convert(FP_H, FP_S, 0x0001, FPR_TIEEVEN, st), 0x33800000, 0);
	T("S->H denormal result not flushed", FZ, fp_convert(FP_S, FP_H, 0x33800000, FPR_TIEEVEN, st), 0x0001, 0);
	T("D->S NaN payload", RN, fp_convert(FP_D, FP_S, 0x7ff0000000000001, FPR_TIEEVEN, st), 0x7fc00000, IOC);
	T("S->D NaN payload", RN, fp_convert(FP_S, FP_D, 0xffc00001, FPR_TIEEVEN, st), 0xfff8000020000000, 0);
	T("D->S FZ flush", FZ, fp_convert(FP_D, FP_S, 0x3800000000000000, FPR_TIEEVEN, st), 0, UFC);
	T("D->S round to odd", RN, fp_convert(FP_D, FP_S, 0x3ff0000004000000, FPR_ODD, st), 0x3f800001, IXC);
	T("D->S round to odd overflow", RN, fp_convert(FP_D, FP_S, 0x47f0000000000000, FPR_ODD, st), 0x7f7fffff,
	  OFC | IXC);
	/* estimates and steps */
	T("frecpe 1.0", RN, fp_recpe(FP_S, 0x3f800000, st), 0x3f7f8000, 0);
	T("frecpe 1.0 D", RN, fp_recpe(FP_D, 0x3ff0000000000000, st), 0x3feff00000000000, 0);
	T("frecpe 0", RN, fp_recpe(FP_S, 0x80000000, st), 0xff800000, DZC);
	T("frecpe tiny", RN, fp_recpe(FP_S, 0x00000001, st), 0x7f800000, OFC | IXC);
	T("frecpe tiny RZ", RZ, fp_recpe(FP_S, 0x00000001, st), 0x7f7fffff, OFC | IXC);
	T("frecpe huge FZ", FZ, fp_recpe(FP_S, 0x7e800000, st), 0, UFC);
	T("frecpe huge", RN, fp_recpe(FP_S, 0x7e800000, st), 0x007fc000, 0);
	T("frsqrte 1.0", RN, fp_rsqrte(FP_S, 0x3f800000, st), 0x3f7f8000, 0);
	T("frsqrte 4.0", RN, fp_rsqrte(FP_S, 0x40800000, st), 0x3eff8000, 0);
	T("frsqrte -1", RN, fp_rsqrte(FP_S, 0xbf800000, st), 0x7fc00000, IOC);
	T("frsqrte -0", RN, fp_rsqrte(FP_S, 0x80000000, st), 0xff800000, DZC);
	T("frecpx 1.0", RN, fp_recpx(FP_S, 0x3f800000, st), 0x40000000, 0);
	T("frecpx denormal", RN, fp_recpx(FP_S, 0x80000001, st), 0xff000000, 0);
	T("urecpe", RN, fp_urecpe(0x80000000), 0xff800000, 0);
	T("urecpe small", RN, fp_urecpe(0x7fffffff), 0xffffffff, 0);
	T("ursqrte small", RN, fp_ursqrte(0x3fffffff), 0xffffffff, 0);
	T("frecps 1,1", RN, fp_recps(FP_S, 0x3f800000, 0x3f800000, st), 0x3f800000, 0);
	T("frecps inf,0", RN, fp_recps(FP_S, 0x7f800000, 0x80000000, st), 0x40000000, 0);
	T("frecps NaN sign flips", RN, fp_recps(FP_S, 0x7fc00001, 0x3f800000, st), 0xffc00001, 0);
	T("frsqrts 1,1", RN, fp_rsqrts(FP_S, 0x3f800000, 0x3f800000, st), 0x3f800000, 0);
	T("frsqrts 0,inf", RN, fp_rsqrts(FP_D, 0, 0xfff0000000000000, st), 0x3ff8000000000000, 0);
	T("fmulx 0*inf", RN, fp_mulx(FP_S, 0x80000000, 0x7f800000, st), 0xc0000000, 0);
	T("fmov imm 1.0", RN, fp_expand_imm(FP_S, 0x70), 0x3f800000, 0);
	T("fmov imm -0.125 D", RN, fp_expand_imm(FP_D, 0xc0), 0xbfc0000000000000, 0);
	T("fmov imm 31.0", RN, fp_expand_imm(FP_S, 0x3f), 0x41f80000, 0);
}

/* ---- through the CPU ---------------------------------------------------------- */

#define CODE_IPA 0x10000ull
#define VBAR_UNMAPPED 0x7f000000ull
static const struct accel_ops *ops;
static struct accel_vm *vm;
static struct accel_vcpu *cpu;
static const struct accel_exit *vexit;
static uint32_t *code;
static unsigned code_pos;

static void must(int rc, const char *what)
{
	if (rc) {
		printf("accel call failed: %s (%d)\n", what, rc);
		exit(2);
	}
}

/* Run one instruction at EL1h; returns 0 when it reached the brk after it,
 * else ESR_EL1 of the exception it took. */
static uint64_t run1(uint32_t insn, uint64_t cpacr)
{
	uint64_t pc = CODE_IPA + code_pos * 4;
	code[code_pos] = insn;
	code[code_pos + 1] = 0xd4200000u; /* brk #0 */
	code_pos += 2;
	must(accel_set_sysreg(cpu, SYSREG_CPACR_EL1, cpacr), "cpacr");
	must(accel_set_reg(cpu, ACCEL_REG_CPSR, 0x3c5), "cpsr");
	must(accel_set_reg(cpu, ACCEL_REG_PC, pc), "pc");
	must(accel_vcpu_run(cpu), "run");
	if (vexit->reason == ACCEL_EXIT_EXCEPTION && ESR_EC(vexit->esr) == EC_BRK)
		return 0;
	uint64_t esr = ~0ull, elr = 0;
	if (vexit->reason == ACCEL_EXIT_EXCEPTION && (vexit->va & ~0xfffull) == VBAR_UNMAPPED) {
		must(accel_get_sysreg(cpu, SYSREG_ESR_EL1, &esr), "esr");
		must(accel_get_sysreg(cpu, SYSREG_ELR_EL1, &elr), "elr");
		if (elr != pc)
			esr = ~0ull;
	}
	return esr;
}

static void set_v(unsigned r, uint64_t lo, uint64_t hi)
{
	uint8_t b[16];
	memcpy(b, &lo, 8);
	memcpy(b + 8, &hi, 8);
	must(accel_set_simd(cpu, r, b), "set simd");
}

static void get_v(unsigned r, uint64_t *lo, uint64_t *hi)
{
	uint8_t b[16];
	must(accel_get_simd(cpu, r, b), "get simd");
	memcpy(lo, b, 8);
	memcpy(hi, b + 8, 8);
}

static void cpu_tests(void)
{
	ops = accel_find("soft");
	struct accel_vm_config cfg = { 0 };
	must(!ops, "soft backend");
	must(accel_vm_create(ops, &cfg, &vm), "vm");
	code = aligned_alloc(4096, 1u << 16);
	must(!code, "alloc");
	memset(code, 0, 1u << 16);
	must(accel_map(vm, code, CODE_IPA, 1u << 16, ACCEL_MEM_READ | ACCEL_MEM_WRITE | ACCEL_MEM_EXEC), "map");
	must(accel_vcpu_create(vm, &cpu, &vexit), "vcpu");
	must(accel_set_trap_debug_exceptions(cpu, true), "trap debug");
	must(accel_set_sysreg(cpu, SYSREG_VBAR_EL1, VBAR_UNMAPPED), "vbar");

	const uint32_t fadd_s0_s1_s2 = 0x1e222820u;
	/* EC 0x07 with IL = 1 (the ISS, CV/COND, is cpu_fp_trap's business) */
	const uint64_t fp_trap = 0x07ull << 26 | 1u << 25, ec_il = 0xfe000000u;
	/* FPEN 00 and 10 trap EL1, 01 and 11 do not */
	expect("FPEN=0 traps EL1", run1(fadd_s0_s1_s2, 0) & ec_il, 0, fp_trap, 0);
	expect("FPEN=2 traps EL1", run1(fadd_s0_s1_s2, 2ull << 20) & ec_il, 0, fp_trap, 0);
	expect("FPEN=1 EL1 runs", run1(fadd_s0_s1_s2, 1ull << 20), 0, 0, 0);
	expect("FPEN=0 traps FMOV general", run1(0x9e670020u /* fmov d0, x1 */, 0) & ec_il, 0, fp_trap, 0);
	expect("FPEN=0 traps FCVTZS vector", run1(0x4ea1b820u /* fcvtzs v0.4s, v1.4s */, 0) & ec_il, 0, fp_trap, 0);

	/* FADD with flags: 1.0 + 2^-24 in RP; the upper bits of V0 are zeroed */
	uint64_t lo, hi, v;
	set_v(0, ~0ull, ~0ull);
	set_v(1, 0xdead00003f800000ull, 0x1234);
	set_v(2, 0x33800000ull, 0x5678);
	must(accel_set_reg(cpu, ACCEL_REG_FPCR, 1u << 22), "fpcr");
	must(accel_set_reg(cpu, ACCEL_REG_FPSR, FPSR_IDC), "fpsr");
	expect("FADD runs", run1(fadd_s0_s1_s2, 3ull << 20), 0, 0, 0);
	get_v(0, &lo, &hi);
	expect("FADD S result", lo, 0, 0x3f800001, 0);
	expect("FADD clears upper", hi, 0, 0, 0);
	must(accel_get_reg(cpu, ACCEL_REG_FPSR, &v), "fpsr");
	expect("FPSR accumulates", v, 0, FPSR_IDC | FPSR_IXC, 0);
	must(accel_set_reg(cpu, ACCEL_REG_FPCR, 0), "fpcr");

	/* FMOV X1, V2.D[1] and FMOV V3.D[1], X1 */
	set_v(2, 1, 0x0123456789abcdefull);
	set_v(3, 0x1111, 0x2222);
	expect("FMOV X1, V2.D[1]", run1(0x9eae0041u, 3ull << 20), 0, 0, 0);
	must(accel_get_reg(cpu, (enum accel_reg)(ACCEL_REG_X0 + 1), &v), "x1");
	expect("FMOV to X from D[1]", v, 0, 0x0123456789abcdefull, 0);
	expect("FMOV V3.D[1], X1", run1(0x9eaf0023u, 3ull << 20), 0, 0, 0);
	get_v(3, &lo, &hi);
	expect("FMOV D[1] keeps low", lo, 0, 0x1111, 0);
	expect("FMOV D[1] writes high", hi, 0, 0x0123456789abcdefull, 0);

	/* UNDEFINED: half-precision arithmetic, FMOV Hd, Wn (FP16), FJCVTZS,
	 * FRINT32Z, 2D with Q = 0, FCVT to the same precision */
	const uint64_t undef = 0x02000000;
	expect("FADD H UNDEF", run1(0x1ee22820u, 3ull << 20), 0, undef, 0);
	expect("FMOV H,W UNDEF", run1(0x1ee70020u, 3ull << 20), 0, undef, 0);
	expect("FJCVTZS UNDEF", run1(0x1e7e0020u, 3ull << 20), 0, undef, 0);
	expect("FRINT32Z UNDEF", run1(0x1e284020u, 3ull << 20), 0, undef, 0);
	expect("FADD 1D UNDEF", run1(0x0e62d420u, 3ull << 20), 0, undef, 0);
	expect("FCVT S->S UNDEF", run1(0x1e224020u, 3ull << 20), 0, undef, 0);
	expect("FADD 2D runs", run1(0x4e62d420u, 3ull << 20), 0, 0, 0);
	expect("FADD 4H (FP16) UNDEF", run1(0x0e421420u, 3ull << 20), 0, undef, 0);
	expect("FRINT32Z 2S UNDEF", run1(0x0e21e820u, 3ull << 20), 0, undef, 0);
	expect("FMLAL UNDEF", run1(0x0e22ec20u, 3ull << 20), 0, undef, 0);
	expect("FMLA by element 4H UNDEF", run1(0x4f021020u, 3ull << 20), 0, undef, 0);
	expect("FCVTZS fixed H UNDEF", run1(0x4f1dfc20u, 3ull << 20), 0, undef, 0);

	accel_vcpu_destroy(cpu);
	accel_vm_destroy(vm);
	free(code);
}

int main(void)
{
	core_tests();
	cpu_tests();
	return check_summary();
}
