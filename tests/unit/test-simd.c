/* Unit test of the Advanced SIMD / crypto / SIMD&FP load-store support of
 * the soft CPU, for what the differential tests (EL0 under qemu-aarch64)
 * cannot see: the CPACR_EL1.FPEN trap, alignment faults (EL1 with the MMU
 * off: Device memory), stage-2 exits of SIMD loads/stores (ISV = 0, no
 * register written), known-answer tests of AES and PMULL from the
 * standards, FPSR.QC, and encodings of features that are not advertised
 * (UNDEFINED).
 *
 * Snippets run at EL1h (MMU off) from fresh code addresses, ending in
 * `brk #0` (an exit, trap_debug_exceptions). VBAR_EL1 points at unmapped
 * memory, so an exception taken to EL1 shows up as an instruction abort
 * exit at the vector, with ESR_EL1/ELR_EL1/FAR_EL1 describing it. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel/accel.h"
#include "check.h"

#define CODE_IPA 0x10000ull
#define CODE_SIZE (1u << 20)
#define DATA_IPA 0x200000ull
#define DATA_SIZE 0x10000u
#define HOLE_IPA (DATA_IPA + DATA_SIZE) /* not mapped: MMIO */
#define VBAR_UNMAPPED 0x7f000000ull
#define INSN_BRK0 0xd4200000u

static const struct accel_ops *ops;
static struct accel_vm *vm;
static struct accel_vcpu *cpu;
static const struct accel_exit *vexit;
static uint32_t *code;
static uint8_t *data;
static size_t code_pos;
static bool cur_ok;

enum outcome { OUT_BRK, OUT_EXC, OUT_EXIT };
static struct {
	enum outcome out;
	uint64_t pc, esr, elr, far;   /* for OUT_EXC: ESR_EL1 etc.; OUT_EXIT: the exit's */
} res;

static void must(int rc, const char *what)
{
	if (rc) {
		printf("accel call failed: %s (%d)\n", what, rc);
		exit(2);
	}
}

static void begin(const char *name)
{
	if (check_ctx)
		check_count(cur_ok); /* a case counts once */
	check_ctx = name;
	cur_ok = true;
}

static void fail(const char *what, uint64_t got, uint64_t want)
{
	check_report(NULL, 0, NULL, "%s = %#llx, expected %#llx", what, (unsigned long long)got,
		     (unsigned long long)want);
	cur_ok = false;
}

static void expect(const char *what, uint64_t got, uint64_t want)
{
	if (got != want)
		fail(what, got, want);
}

static void setv(unsigned n, uint64_t lo, uint64_t hi)
{
	uint8_t b[16];
	memcpy(b, &lo, 8);
	memcpy(b + 8, &hi, 8);
	must(accel_set_simd(cpu, n, b), "set simd");
}

static void getv(unsigned n, uint64_t *lo, uint64_t *hi)
{
	uint8_t b[16];
	must(accel_get_simd(cpu, n, b), "get simd");
	memcpy(lo, b, 8);
	memcpy(hi, b + 8, 8);
}

static void expv(unsigned n, uint64_t lo, uint64_t hi)
{
	uint64_t l, h;
	char what[32];
	getv(n, &l, &h);
	snprintf(what, sizeof(what), "v%u.d[0]", n);
	expect(what, l, lo);
	snprintf(what, sizeof(what), "v%u.d[1]", n);
	expect(what, h, hi);
}

static uint64_t getx(unsigned n)
{
	uint64_t v;
	must(accel_get_reg(cpu, (enum accel_reg)(ACCEL_REG_X0 + n), &v), "get x");
	return v;
}
static void setx(unsigned n, uint64_t v)
{
	must(accel_set_reg(cpu, (enum accel_reg)(ACCEL_REG_X0 + n), v), "set x");
}

static void run_words(const uint32_t *w, size_t n)
{
	uint64_t pc = CODE_IPA + code_pos * 4;
	memcpy(code + code_pos, w, n * 4);
	code[code_pos + n] = INSN_BRK0;
	code_pos += n + 1;
	must(accel_set_reg(cpu, ACCEL_REG_CPSR, 0x3c5), "set cpsr");
	must(accel_set_reg(cpu, ACCEL_REG_PC, pc), "set pc");
	must(accel_vcpu_run(cpu), "run");
	res.pc = pc;
	if (vexit->reason == ACCEL_EXIT_EXCEPTION && ESR_EC(vexit->esr) == EC_BRK) {
		res.out = OUT_BRK;
	} else if (vexit->reason == ACCEL_EXIT_EXCEPTION && ESR_EC(vexit->esr) == EC_IABT_LOWER &&
		   (vexit->va & ~0xfffull) == VBAR_UNMAPPED) {
		res.out = OUT_EXC;
		must(accel_get_sysreg(cpu, SYSREG_ESR_EL1, &res.esr), "esr");
		must(accel_get_sysreg(cpu, SYSREG_ELR_EL1, &res.elr), "elr");
		must(accel_get_sysreg(cpu, SYSREG_FAR_EL1, &res.far), "far");
	} else {
		res.out = OUT_EXIT;
		res.esr = vexit->esr;
		res.far = vexit->va;
	}
}
#define RUN(...) run_words((const uint32_t[]){ __VA_ARGS__ }, sizeof((const uint32_t[]){ __VA_ARGS__ }) / 4)

static void exp_brk(void) { expect("outcome (0 = completed)", res.out, OUT_BRK); }
static void exp_undef(void)
{
	expect("outcome (1 = exception)", res.out, OUT_EXC);
	expect("ESR_EL1", res.esr, 0x02000000u);
	expect("ELR_EL1", res.elr, res.pc);
}

/* ---- tests --------------------------------------------------------------------- */

static void test_fp_trap(void)
{
	begin("FPEN=00 traps Advanced SIMD at EL1 (EC 0x07), nothing written");
	setv(0, 1, 2);
	setv(1, 0x10, 0x20);
	must(accel_set_sysreg(cpu, SYSREG_CPACR_EL1, 0), "cpacr");
	RUN(0x4e218420u); /* add v0.16b, v1.16b, v1.16b */
	expect("outcome", res.out, OUT_EXC);
	expect("ESR_EL1.EC", ESR_EC(res.esr), EC_FP_ACCESS);
	expect("ESR_EL1.IL", res.esr >> 25 & 1, 1);
	expect("ELR_EL1", res.elr, res.pc);
	expv(0, 1, 2);

	begin("FPEN=00 traps LD1 with post-index; base unchanged");
	setx(0, DATA_IPA);
	RUN(0x4cdf7000u); /* ld1 {v0.16b}, [x0], #16 */
	expect("ESR_EL1.EC", ESR_EC(res.esr), EC_FP_ACCESS);
	expect("x0", getx(0), DATA_IPA);
	expv(0, 1, 2);

	begin("FPEN=00 traps AESE");
	RUN(0x4e284820u); /* aese v0.16b, v1.16b */
	expect("ESR_EL1.EC", ESR_EC(res.esr), EC_FP_ACCESS);

	begin("FPEN=01 enables EL1");
	must(accel_set_sysreg(cpu, SYSREG_CPACR_EL1, 1ull << 20), "cpacr");
	RUN(0x4e218420u);
	exp_brk();
	expv(0, 0x20, 0x40);

	begin("FPEN=10 traps EL1");
	must(accel_set_sysreg(cpu, SYSREG_CPACR_EL1, 2ull << 20), "cpacr");
	RUN(0x4e218420u);
	expect("ESR_EL1.EC", ESR_EC(res.esr), EC_FP_ACCESS);
	must(accel_set_sysreg(cpu, SYSREG_CPACR_EL1, 3ull << 20), "cpacr");
}

/* FIPS-197 appendix B, round 1 (state bytes in column order). */
static void test_aes(void)
{
	const uint64_t start_lo = 0x2be2f4a0bee33d19ull, start_hi = 0x0848f8e92a8dc69aull;
	const uint64_t shifted_lo = 0xae52b4e0305dbfd4ull, shifted_hi = 0xe598271ef11141b8ull;
	const uint64_t mixed_lo = 0x9a19cbe0e5816604ull, mixed_hi = 0x4c2606287ad3f848ull;

	begin("AESE (zero key) = ShiftRows+SubBytes, FIPS-197 B round 1");
	setv(0, start_lo, start_hi);
	setv(1, 0, 0);
	RUN(0x4e284820u); /* aese v0.16b, v1.16b */
	exp_brk();
	expv(0, shifted_lo, shifted_hi);

	begin("AESMC = MixColumns, FIPS-197 B round 1");
	RUN(0x4e286802u); /* aesmc v2.16b, v0.16b */
	exp_brk();
	expv(2, mixed_lo, mixed_hi);

	begin("AESIMC inverts AESMC, AESD inverts AESE");
	RUN(0x4e287843u,  /* aesimc v3.16b, v2.16b */
	    0x4e285861u); /* aesd v1.16b, v3.16b: v1 = 0 ^ v3 -> InvSubBytes(InvShiftRows) */
	exp_brk();
	expv(3, shifted_lo, shifted_hi);
	expv(1, start_lo, start_hi);

	begin("AESE with the round key: AddRoundKey first");
	setv(4, start_lo ^ 0x0123456789abcdefull, start_hi ^ 0xfedcba9876543210ull);
	setv(5, 0x0123456789abcdefull, 0xfedcba9876543210ull);
	RUN(0x4e2848a4u); /* aese v4.16b, v5.16b */
	exp_brk();
	expv(4, shifted_lo, shifted_hi);
}

static void test_pmull(void)
{
	begin("PMULL .1Q: all-ones squared");
	setv(1, ~0ull, 3);
	setv(2, ~0ull, 5);
	RUN(0x0ee2e020u); /* pmull v0.1q, v1.1d, v2.1d */
	exp_brk();
	expv(0, 0x5555555555555555ull, 0x5555555555555555ull);

	begin("PMULL2 .1Q: 3 * 5 = 15, x^63 * x = x^64");
	RUN(0x4ee2e020u); /* pmull2 v0.1q, v1.2d, v2.2d */
	exp_brk();
	expv(0, 15, 0);
	setv(1, 1ull << 63, 0);
	setv(2, 2, 0);
	RUN(0x0ee2e020u);
	expv(0, 0, 1);
}

static void test_qc(void)
{
	begin("SQADD saturates: FPSR.QC set");
	must(accel_set_reg(cpu, ACCEL_REG_FPSR, 0), "fpsr");
	setv(1, 0x7f, 0);
	setv(2, 0x01, 0);
	RUN(0x0e220c20u); /* sqadd v0.8b, v1.8b, v2.8b */
	exp_brk();
	expv(0, 0x7f, 0);
	uint64_t fpsr;
	must(accel_get_reg(cpu, ACCEL_REG_FPSR, &fpsr), "fpsr");
	expect("FPSR", fpsr, 1u << 27);

	begin("UQADD without saturation leaves QC clear; ADD never sets it");
	must(accel_set_reg(cpu, ACCEL_REG_FPSR, 0), "fpsr");
	RUN(0x2e220c20u, 0x4e228420u); /* uqadd v0.8b; add v0.16b */
	exp_brk();
	must(accel_get_reg(cpu, ACCEL_REG_FPSR, &fpsr), "fpsr");
	expect("FPSR", fpsr, 0);
}

static void test_faults(void)
{
	begin("LD4 across into MMIO: exit with ISV=0, no register written");
	for (unsigned i = 0; i < 4; i++)
		setv(i, 0x1111 * (i + 1), 0x2222 * (i + 1));
	setx(0, HOLE_IPA - 32);
	RUN(0x4cdf0000u); /* ld4 {v0.16b-v3.16b}, [x0], #64 */
	expect("outcome (2 = exit)", res.out, OUT_EXIT);
	expect("ESR.EC", ESR_EC(res.esr), EC_DABT_LOWER);
	expect("ESR.ISV", res.esr >> 24 & 1, 0);
	expect("exit VA", res.far, HOLE_IPA);
	for (unsigned i = 0; i < 4; i++)
		expv(i, 0x1111 * (i + 1), 0x2222 * (i + 1));
	expect("x0", getx(0), HOLE_IPA - 32);

	begin("STR Q to MMIO: exit with ISV=0, WnR");
	setx(1, HOLE_IPA + 0x40);
	RUN(0x3d800020u); /* str q0, [x1] */
	expect("outcome (2 = exit)", res.out, OUT_EXIT);
	expect("ESR.EC", ESR_EC(res.esr), EC_DABT_LOWER);
	expect("ESR.ISV", res.esr >> 24 & 1, 0);
	expect("ESR.WnR", res.esr >> 6 & 1, 1);

	begin("LDP Q: both loaded, registers written after the accesses");
	for (unsigned i = 0; i < 32; i++)
		data[i] = (uint8_t)i;
	setx(2, DATA_IPA);
	RUN(0xad400440u); /* ldp q0, q1, [x2] */
	exp_brk();
	expv(0, 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull);
	expv(1, 0x1716151413121110ull, 0x1f1e1d1c1b1a1918ull);
}

/* EL1 with the MMU off: data accesses are Device-nGnRnE, so unaligned
 * element accesses take alignment faults (EC 0x25, DFSC 0x21). */
static void test_align(void)
{
	begin("LDR Q at an 8-aligned address on Device memory: alignment fault");
	setv(0, 5, 6);
	setx(0, DATA_IPA + 8);
	RUN(0x3dc00000u); /* ldr q0, [x0] */
	expect("outcome", res.out, OUT_EXC);
	expect("ESR_EL1", res.esr & ~0x40ull, (uint64_t)EC_DABT_CUR << 26 | 1u << 25 | 0x21);
	expect("FAR_EL1", res.far, DATA_IPA + 8);
	expv(0, 5, 6);

	begin("STR Q at an 8-aligned address on Device memory: alignment fault, nothing stored");
	memset(data + 0x100, 0xee, 32);
	setx(0, DATA_IPA + 0x108);
	RUN(0x3d800000u); /* str q0, [x0] */
	expect("ESR_EL1", res.esr, (uint64_t)EC_DABT_CUR << 26 | 1u << 25 | 1u << 6 | 0x21);
	expect("memory", data[0x108], 0xee);

	begin("LD1 {.16B} at an odd address: byte elements are aligned");
	setx(0, DATA_IPA + 1);
	RUN(0x4c407000u); /* ld1 {v0.16b}, [x0] */
	exp_brk();
	expv(0, 0x0807060504030201ull, 0x100f0e0d0c0b0a09ull);

	begin("LD1 {.4S} at 2 mod 4: alignment fault");
	setx(0, DATA_IPA + 2);
	RUN(0x4c407800u); /* ld1 {v0.4s}, [x0] */
	expect("outcome", res.out, OUT_EXC);
	expect("ESR_EL1.DFSC", res.esr & 0x3f, 0x21);
}

static void test_undef(void)
{
	static const struct {
		uint32_t insn;
		const char *what;
	} u[] = {
		{ 0x4e829420u, "SDOT (FEAT_DotProd) is UNDEFINED" },
		{ 0x6e428420u, "SQRDMLAH (FEAT_RDM) is UNDEFINED" },
		{ 0xce628000u, "SHA512H (FEAT_SHA512) is UNDEFINED" },
		{ 0x4f03fe00u, "FMOV .8H immediate (FEAT_FP16) is UNDEFINED" },
		{ 0x4e684800u, "AESE with size 01 is UNDEFINED" },
		{ 0x0e200400u | 3u << 22, "SHADD .1D (size 11) is UNDEFINED" },
		{ 0x0c401000u, "LD/ST multiple structures, opcode 0001 is UNDEFINED" },
		{ 0x0d40d000u, "LD1R with S = 1 is UNDEFINED" },
		{ 0x4f000400u | 0xfu << 12 | 0u << 29, "FMOV .4S #imm is allocated (not UNDEFINED)" },
	};
	for (unsigned i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		begin(u[i].what);
		RUN(u[i].insn);
		if (strstr(u[i].what, "not UNDEFINED"))
			exp_brk();
		else
			exp_undef();
	}
}

int main(void)
{
	ops = &accel_soft_ops;
	must(accel_vm_create(ops, NULL, &vm), "vm_create");
	code = aligned_alloc(4096, CODE_SIZE);
	data = aligned_alloc(4096, DATA_SIZE);
	if (!code || !data)
		return 2;
	memset(code, 0, CODE_SIZE);
	memset(data, 0, DATA_SIZE);
	must(accel_map(vm, code, CODE_IPA, CODE_SIZE, ACCEL_MEM_READ | ACCEL_MEM_WRITE | ACCEL_MEM_EXEC), "map");
	must(accel_map(vm, data, DATA_IPA, DATA_SIZE, ACCEL_MEM_READ | ACCEL_MEM_WRITE), "map data");
	must(accel_vcpu_create(vm, &cpu, &vexit), "vcpu_create");
	must(accel_set_trap_debug_exceptions(cpu, true), "trap debug");
	must(accel_set_sysreg(cpu, SYSREG_VBAR_EL1, VBAR_UNMAPPED), "vbar");
	must(accel_set_sysreg(cpu, SYSREG_CPACR_EL1, 3ull << 20), "cpacr");

	test_fp_trap();
	test_aes();
	test_pmull();
	test_qc();
	test_faults();
	test_align();
	test_undef();
	begin(NULL);

	accel_vcpu_destroy(cpu);
	accel_vm_destroy(vm);
	free(code);
	free(data);
	return check_summary();
}
