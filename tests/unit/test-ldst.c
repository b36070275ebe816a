/* Unit test of the A64 integer loads and stores on the soft CPU (exec-ldst.c):
 * every addressing form, sign/zero extension, writeback, pairs, literals,
 * PRFM, unprivileged forms, exclusives, load-acquire/store-release, the LSE
 * atomics and CAS/CASP, alignment and SP-alignment faults, MMIO exits with
 * their syndromes, reserved encodings (UNDEFINED), the CONSTRAINED
 * UNPREDICTABLE choices of exec-ldst.c, and atomicity across vCPU threads.
 *
 * Snippets run through the accelerator API at EL1h (some at EL0t) with the
 * MMU off. Code: RAM at 0x10000 (each snippet at a fresh address, so no code
 * invalidation is needed; `brk #0` ends it and exits with EC 0x3C). Data: two
 * RAM pages at 0x20000, refilled with a known pattern for every case; after
 * the run the whole data area must equal the expected image. Exceptions taken
 * to EL1 are seen through VBAR_EL1 = 0x7f000000 (unmapped): the vector fetch
 * exits with EC 0x20 and ESR_EL1/ELR_EL1/FAR_EL1 describe the exception.
 * Every register a case does not name must come back unchanged (also after
 * faults and exits: the instruction must be restartable).
 *
 * The instruction words were produced with GNU as (-march=armv8.4-a); the
 * comment next to each is its source. */
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "accel/accel.h"
#include "check.h"

#define CODE_IPA 0x10000ull
#define CODE_SIZE 0x10000u
#define DATA_IPA 0x20000ull
#define DATA_SIZE 0x2000u
#define MMIO_IPA 0x40000000ull /* not mapped: accesses exit to the VMM */
#define VBAR_UNMAPPED 0x7f000000ull
#define INSN_BRK0 0xd4200000u
/* RES1 bits plus M: the tests run with an identity map of Normal memory
 * (with the MMU off every data access would be Device-nGnRnE, where
 * unaligned accesses fault). */
#define SCTLR_BASE 0x30d00801ull
#define TT_IPA 0x200000ull /* page tables: L1, L2 for 0-1G, L3 for 0-2M, L2 for 1-2G */
#define TT_SIZE 0x4000u
#define SCTLR_A (1ull << 1)
#define SCTLR_SA (1ull << 3)
#define SCTLR_SA0 (1ull << 4)
#define CPSR_EL1H 0x3c5ull
#define CPSR_EL0T 0x3c0ull

#define DA(off) (DATA_IPA + (off))

/* ESR values. */
#define ESR_IL (1u << 25)
#define ESR_UNDEF (0x00u << 26 | ESR_IL)
#define ESR_SP_ALIGN (0x26u << 26 | ESR_IL)
#define ESR_ALIGN_RD (0x25u << 26 | ESR_IL | 0x21)      /* from EL1 */
#define ESR_ALIGN_WR (0x25u << 26 | ESR_IL | 0x40 | 0x21)
#define ESR_DABT_S2 (0x24u << 26 | ESR_IL | 0x07)        /* stage-2 translation fault, ISV=0 */
#define ISS_ISV (1u << 24)
#define ISS_SAS(n) ((uint32_t)(n) << 22)
#define ISS_SSE (1u << 21)
#define ISS_SRT(n) ((uint32_t)(n) << 16)
#define ISS_SF (1u << 15)
#define ISS_AR (1u << 14)
#define ISS_WNR (1u << 6)

static struct accel_vm *vm;
static struct accel_vcpu *cpu;
static const struct accel_exit *vexit;
static uint32_t *code;
static uint8_t *data;
static size_t code_pos; /* next free word */

static uint8_t init_mem[DATA_SIZE]; /* the data area as the case started */
static uint8_t ref_mem[DATA_SIZE];  /* what it must be at the end */

struct state {
	uint64_t x[31];
	uint64_t sp;
};

enum outcome { OUT_NONE, OUT_BRK, OUT_EXC, OUT_EXIT };
static const char *const outcome_name[] = { "nothing", "brk", "exception to EL1", "exit to the VMM" };

static struct {
	const char *name;
	char namebuf[96];
	bool active, ok;
	struct state in, out;
	uint64_t cpsr, sctlr;
	uint64_t pc, brk_pc; /* first instruction, the ending brk */
	enum outcome outcome, want;
	/* OUT_EXC */
	uint64_t esr_el1, elr, far;
	/* OUT_EXIT */
	struct accel_exit exit;
	uint64_t exit_pc;
	bool seen[32]; /* registers checked (31 = SP) */
} t;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	check_vreport(NULL, 0, NULL, fmt, ap);
	va_end(ap);
	t.ok = false;
}

static void must(int rc, const char *what)
{
	if (rc) {
		printf("accel call failed: %s (%d)\n", what, rc);
		exit(2);
	}
}

static void finish(void)
{
	if (!t.active)
		return;
	t.active = false;
	if (t.outcome != t.want) {
		fail("ended with %s, expected %s", outcome_name[t.outcome], outcome_name[t.want]);
	} else if (t.outcome != OUT_NONE) {
		for (unsigned i = 0; i < 31; i++)
			if (!t.seen[i] && t.out.x[i] != t.in.x[i])
				fail("x%u changed: %#llx -> %#llx", i, (unsigned long long)t.in.x[i],
				     (unsigned long long)t.out.x[i]);
		if (!t.seen[31] && t.out.sp != t.in.sp)
			fail("sp changed: %#llx -> %#llx", (unsigned long long)t.in.sp, (unsigned long long)t.out.sp);
	}
	for (unsigned i = 0; i < DATA_SIZE; i++)
		if (data[i] != ref_mem[i]) {
			fail("memory at +%#x is %#04x, expected %#04x (was %#04x)", i, data[i], ref_mem[i], init_mem[i]);
			break;
		}
	check_count(t.ok);
}

static void begin(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void begin(const char *fmt, ...)
{
	finish();
	memset(&t, 0, sizeof(t));
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t.namebuf, sizeof(t.namebuf), fmt, ap);
	va_end(ap);
	t.name = t.namebuf;
	check_ctx = t.name;
	t.active = true;
	t.ok = true;
	t.want = OUT_BRK;
	t.cpsr = CPSR_EL1H;
	t.sctlr = SCTLR_BASE;
	for (unsigned i = 0; i < 31; i++)
		t.in.x[i] = 0x5a5a5a5a00000000ull | (0x01010101ull * (i + 1));
	t.in.sp = 0xa5a5a5a5a5a5a000ull;
	for (unsigned i = 0; i < DATA_SIZE; i++)
		data[i] = (uint8_t)(i * 0x9du + 0x35u + (i >> 8) * 0x2bu);
	memcpy(init_mem, data, DATA_SIZE);
	memcpy(ref_mem, data, DATA_SIZE);
}

static void setx(unsigned r, uint64_t v) { t.in.x[r] = v; }
static void setsp(uint64_t v) { t.in.sp = v; }

/* Little-endian memory helpers on the data area (offsets from DATA_IPA). */
static uint64_t getle(const uint8_t *m, unsigned off, unsigned size)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)m[off + i] << (8 * i);
	return v;
}
static void putle(uint8_t *m, unsigned off, unsigned size, uint64_t v)
{
	for (unsigned i = 0; i < size; i++)
		m[off + i] = (uint8_t)(v >> (8 * i));
}
/* The initial value of memory. */
static uint64_t im(unsigned off, unsigned size) { return getle(init_mem, off, size); }
/* Set memory before the run. */
static void setm(unsigned off, unsigned size, uint64_t v)
{
	putle(data, off, size, v);
	putle(init_mem, off, size, v);
	putle(ref_mem, off, size, v);
}
/* Expect memory to have been written (in program order). */
static void expm(unsigned off, unsigned size, uint64_t v) { putle(ref_mem, off, size, v); }

static uint64_t sext(uint64_t v, unsigned bits)
{
	return bits >= 64 ? v : (uint64_t)((int64_t)(v << (64 - bits)) >> (64 - bits));
}

static void put_code(const uint32_t *w, size_t n)
{
	if (code_pos + n > CODE_SIZE / 4) {
		/* Start over: remapping drops every decoded page. */
		must(accel_unmap(vm, CODE_IPA, CODE_SIZE), "unmap code");
		memset(code, 0, CODE_SIZE);
		must(accel_map(vm, code, CODE_IPA, CODE_SIZE, ACCEL_MEM_READ | ACCEL_MEM_WRITE | ACCEL_MEM_EXEC),
		     "map code");
		code_pos = 0;
	}
	t.pc = CODE_IPA + code_pos * 4;
	memcpy(code + code_pos, w, n * 4);
	code_pos += n;
}

static void run_here(void)
{
	bool el0 = (t.cpsr & 0xf) == 0;
	uint16_t spreg = el0 ? SYSREG_SP_EL0 : SYSREG_SP_EL1;
	for (unsigned i = 0; i < 31; i++)
		must(accel_set_reg(cpu, (enum accel_reg)(ACCEL_REG_X0 + i), t.in.x[i]), "set x");
	must(accel_set_reg(cpu, ACCEL_REG_CPSR, t.cpsr), "set cpsr");
	must(accel_set_sysreg(cpu, SYSREG_SCTLR_EL1, t.sctlr), "set sctlr");
	must(accel_set_sysreg(cpu, spreg, t.in.sp), "set sp");
	must(accel_set_reg(cpu, ACCEL_REG_PC, t.pc), "set pc");
	must(accel_set_sysreg(cpu, SYSREG_ESR_EL1, 0), "set esr");
	must(accel_set_sysreg(cpu, SYSREG_FAR_EL1, 0), "set far");
	must(accel_vcpu_run(cpu), "run");

	uint64_t pc;
	for (unsigned i = 0; i < 31; i++)
		must(accel_get_reg(cpu, (enum accel_reg)(ACCEL_REG_X0 + i), &t.out.x[i]), "get x");
	must(accel_get_reg(cpu, ACCEL_REG_PC, &pc), "get pc");
	must(accel_get_sysreg(cpu, spreg, &t.out.sp), "get sp");
	if (vexit->reason == ACCEL_EXIT_EXCEPTION && ESR_EC(vexit->esr) == EC_BRK && pc == t.brk_pc) {
		t.outcome = OUT_BRK;
	} else if (vexit->reason == ACCEL_EXIT_EXCEPTION && ESR_EC(vexit->esr) == EC_IABT_LOWER &&
		   (vexit->va & ~0xfffull) == VBAR_UNMAPPED) {
		t.outcome = OUT_EXC;
		must(accel_get_sysreg(cpu, SYSREG_ESR_EL1, &t.esr_el1), "get esr");
		must(accel_get_sysreg(cpu, SYSREG_ELR_EL1, &t.elr), "get elr");
		must(accel_get_sysreg(cpu, SYSREG_FAR_EL1, &t.far), "get far");
		/* The exception went to EL1h: the interrupted SP is in SP_ELx. */
		must(accel_get_sysreg(cpu, spreg, &t.out.sp), "get sp");
	} else {
		t.outcome = OUT_EXIT;
		t.exit = *vexit;
		t.exit_pc = pc;
	}
	if (t.outcome != OUT_BRK && t.want == OUT_BRK)
		printf("note %s: exit %u ESR %#llx VA %#llx PC %#llx ESR_EL1 %#llx ELR %#llx\n", t.name,
		       vexit->reason, (unsigned long long)vexit->esr, (unsigned long long)vexit->va,
		       (unsigned long long)pc, (unsigned long long)t.esr_el1, (unsigned long long)t.elr);
}

/* Run words followed by `brk #0`. */
static void run_words(const uint32_t *w, size_t n)
{
	uint32_t buf[64];
	if (n + 1 > 64) {
		printf("snippet too long\n");
		exit(2);
	}
	memcpy(buf, w, n * 4);
	buf[n] = INSN_BRK0;
	put_code(buf, n + 1);
	t.brk_pc = t.pc + n * 4;
	run_here();
}

/* Run words that contain their own brk (at word index brk) and data. */
static void run_raw(const uint32_t *w, size_t n, unsigned brk)
{
	put_code(w, n);
	t.brk_pc = t.pc + brk * 4;
	run_here();
}

#define RUN(...) run_words((const uint32_t[]){ __VA_ARGS__ }, sizeof((const uint32_t[]){ __VA_ARGS__ }) / 4)
#define RUN_RAW(brk, ...) \
	run_raw((const uint32_t[]){ __VA_ARGS__ }, sizeof((const uint32_t[]){ __VA_ARGS__ }) / 4, brk)

static void expx(unsigned r, uint64_t v)
{
	t.seen[r] = true;
	if (t.outcome == OUT_BRK && t.out.x[r] != v)
		fail("x%u = %#llx, expected %#llx", r, (unsigned long long)t.out.x[r], (unsigned long long)v);
}
static void expsp(uint64_t v)
{
	t.seen[31] = true;
	if (t.outcome == OUT_BRK && t.out.sp != v)
		fail("sp = %#llx, expected %#llx", (unsigned long long)t.out.sp, (unsigned long long)v);
}

/* Call before the run: the instruction at word index k takes an exception
 * to EL1 with ESR_EL1 = esr (compared under mask) and, if far_valid,
 * FAR_EL1 = far. */
static struct {
	unsigned k;
	uint32_t esr, mask;
	uint64_t far;
	bool far_valid;
} want_exc;
static void want_exception(unsigned k, uint32_t esr, uint32_t mask, uint64_t far, bool far_valid)
{
	t.want = OUT_EXC;
	want_exc.k = k;
	want_exc.esr = esr;
	want_exc.mask = mask;
	want_exc.far = far;
	want_exc.far_valid = far_valid;
}
static void check_exception(void)
{
	if (t.outcome != OUT_EXC)
		return;
	if ((t.esr_el1 & want_exc.mask) != (want_exc.esr & want_exc.mask))
		fail("ESR_EL1 = %#llx, expected %#x (mask %#x)", (unsigned long long)t.esr_el1, want_exc.esr,
		     want_exc.mask);
	if (t.elr != t.pc + 4 * want_exc.k)
		fail("ELR_EL1 = %#llx, expected %#llx", (unsigned long long)t.elr,
		     (unsigned long long)(t.pc + 4 * want_exc.k));
	if (want_exc.far_valid && t.far != want_exc.far)
		fail("FAR_EL1 = %#llx, expected %#llx", (unsigned long long)t.far, (unsigned long long)want_exc.far);
}
#define EXPECT_UNDEF() want_exception(0, ESR_UNDEF, ~0u, 0, false)

/* Call before the run: the first instruction exits to the VMM with
 * ESR = esr (under mask) and IPA = ipa; PC stays at the instruction. */
static struct {
	uint32_t esr, mask;
	uint64_t ipa;
} want_ex;
static void want_exit(uint32_t esr, uint32_t mask, uint64_t ipa)
{
	t.want = OUT_EXIT;
	want_ex.esr = esr;
	want_ex.mask = mask;
	want_ex.ipa = ipa;
}
static void check_exit(void)
{
	if (t.outcome != OUT_EXIT)
		return;
	if (t.exit.reason != ACCEL_EXIT_EXCEPTION)
		fail("exit reason %u", t.exit.reason);
	if ((t.exit.esr & want_ex.mask) != (want_ex.esr & want_ex.mask))
		fail("ESR = %#llx, expected %#x (mask %#x)", (unsigned long long)t.exit.esr, want_ex.esr, want_ex.mask);
	if (t.exit.ipa != want_ex.ipa)
		fail("IPA = %#llx, expected %#llx", (unsigned long long)t.exit.ipa, (unsigned long long)want_ex.ipa);
	if (t.exit_pc != t.pc)
		fail("PC = %#llx, expected the instruction at %#llx", (unsigned long long)t.exit_pc,
		     (unsigned long long)t.pc);
}

/* ---- single registers ------------------------------------------------------ */

static void test_uimm(void)
{
	begin("LDR* unsigned offset");
	setx(1, DA(0));
	setm(16, 1, 0x80);
	setm(17, 1, 0x7f);
	setm(18, 2, 0x8001);
	setm(20, 4, 0x80000002);
	RUN(
		0xf9400420, /* ldr x0,[x1,#8] */
		0xb9400422, /* ldr w2,[x1,#4] */
		0x397ffc23, /* ldrb w3,[x1,#4095] */
		0x79400c24, /* ldrh w4,[x1,#6] */
		0x39804025, /* ldrsb x5,[x1,#16] */
		0x39c04026, /* ldrsb w6,[x1,#16] */
		0x79802427, /* ldrsh x7,[x1,#18] */
		0x79c02428, /* ldrsh w8,[x1,#18] */
		0xb9801429, /* ldrsw x9,[x1,#20] */
		0x3980442a, /* ldrsb x10,[x1,#17] */
		0xf94ffc2b, /* ldr x11,[x1,#8184] */
		0x797ffc2c, /* ldrh w12,[x1,#8190] */
		0xb99ffc2d, /* ldrsw x13,[x1,#8188] */
		0xb95ffc2e, /* ldr w14,[x1,#8188] */
		0x39c0442f, /* ldrsb w15,[x1,#17] */
		0x79c01030, /* ldrsh w16,[x1,#8] */
	);
	expx(0, im(8, 8));
	expx(2, im(4, 4));
	expx(3, im(4095, 1));
	expx(4, im(6, 2));
	expx(5, 0xffffffffffffff80ull);
	expx(6, 0xffffff80ull);
	expx(7, 0xffffffffffff8001ull);
	expx(8, 0xffff8001ull);
	expx(9, 0xffffffff80000002ull);
	expx(10, 0x7f);
	expx(11, im(8184, 8));
	expx(12, im(8190, 2));
	expx(13, sext(im(8188, 4), 32));
	expx(14, im(8188, 4));
	expx(15, 0x7f);
	expx(16, (uint32_t)sext(im(8, 2), 16));

	begin("STR* unsigned offset");
	setx(1, DA(0x100));
	setx(2, 0x1122334455667788ull);
	setx(3, 0xaabbccdd99887766ull);
	setx(4, 0xfedcba98ull);
	setx(5, 0x1234);
	RUN(
		0xf9000422, /* str x2,[x1,#8] */
		0xb9001023, /* str w3,[x1,#16] */
		0x79002c24, /* strh w4,[x1,#22] */
		0x39006425, /* strb w5,[x1,#25] */
		0xf900103f, /* str xzr,[x1,#32] */
		0x7900503f, /* strh wzr,[x1,#40] */
		0xb91efc22, /* str w2,[x1,#7932] */
		0x393ffc23, /* strb w3,[x1,#4095] */
	);
	expm(0x108, 8, 0x1122334455667788ull);
	expm(0x110, 4, 0x99887766);
	expm(0x116, 2, 0xba98);
	expm(0x119, 1, 0x34);
	expm(0x120, 8, 0);
	expm(0x128, 2, 0);
	expm(0x100 + 7932, 4, 0x55667788);
	expm(0x100 + 4095, 1, 0x66);
}

static void test_unscaled(void)
{
	begin("LDUR*/STUR* unscaled, unaligned");
	setx(1, DA(0x200));
	setm(0x100, 1, 0x85);
	setm(0x2ff, 2, 0x9234);
	setm(0x201, 4, 0x87654321);
	setx(8, 0x0102030405060708ull);
	setx(9, 0xffff1234);
	setx(10, 0x1ab);
	setx(11, 0xdeadbeef00c0ffeeull);
	RUN(
		0xf85f8020, /* ldur x0,[x1,#-8] */
		0xb8403022, /* ldur w2,[x1,#3] */
		0x785ff023, /* ldurh w3,[x1,#-1] */
		0x38900024, /* ldursb x4,[x1,#-256] */
		0x78cff025, /* ldursh w5,[x1,#255] */
		0xb8801026, /* ldursw x6,[x1,#1] */
		0x38407027, /* ldurb w7,[x1,#7] */
		0xf8009028, /* stur x8,[x1,#9] */
		0x781fd029, /* sturh w9,[x1,#-3] */
		0x381fb02a, /* sturb w10,[x1,#-5] */
		0xb802102b, /* stur w11,[x1,#33] */
	);
	expx(0, im(0x1f8, 8));
	expx(2, im(0x203, 4));
	expx(3, im(0x1ff, 2));
	expx(4, 0xffffffffffffff85ull);
	expx(5, 0xffff9234ull);
	expx(6, 0xffffffff87654321ull);
	expx(7, im(0x207, 1));
	expm(0x209, 8, 0x0102030405060708ull);
	expm(0x1fd, 2, 0x1234);
	expm(0x1fb, 1, 0xab);
	expm(0x221, 4, 0x00c0ffee);
}

static void test_index(void)
{
	begin("pre/post-index writeback");
	setx(1, DA(0x100));
	setx(3, DA(0x200));
	setx(5, DA(0x300));
	setx(7, DA(0x400));
	setx(9, DA(0x500));
	setx(11, DA(0x600));
	setx(13, DA(0x700));
	setx(15, DA(0x800));
	setx(17, DA(0x900));
	setx(19, DA(0xa00));
	setx(21, DA(0xb00));
	setm(0x2fe, 2, 0x8000);
	setm(0x700, 4, 0xfffffffe);
	setm(0x801, 1, 0x90);
	RUN(
		0xf8410c20, /* ldr x0,[x1,#16]! */
		0xb85f8462, /* ldr w2,[x3],#-8 */
		0x789feca4, /* ldrsh x4,[x5,#-2]! */
		0x384ff4e6, /* ldrb w6,[x7],#255 */
		0xf81f0d28, /* str x8,[x9,#-16]! */
		0x7800256a, /* strh w10,[x11],#2 */
		0xb88045ac, /* ldrsw x12,[x13],#4 */
		0x38c01dee, /* ldrsb w14,[x15,#1]! */
		0x381ffe30, /* strb w16,[x17,#-1]! */
		0xb81fc672, /* str w18,[x19],#-4 */
		0xf85006b4, /* ldr x20,[x21],#-256 */
	);
	expx(0, im(0x110, 8));
	expx(1, DA(0x110));
	expx(2, im(0x200, 4));
	expx(3, DA(0x1f8));
	expx(4, 0xffffffffffff8000ull);
	expx(5, DA(0x2fe));
	expx(6, im(0x400, 1));
	expx(7, DA(0x4ff));
	expm(0x4f0, 8, t.in.x[8]);
	expx(9, DA(0x4f0));
	expm(0x600, 2, t.in.x[10] & 0xffff);
	expx(11, DA(0x602));
	expx(12, 0xfffffffffffffffeull);
	expx(13, DA(0x704));
	expx(14, 0xffffff90ull);
	expx(15, DA(0x801));
	expm(0x8ff, 1, t.in.x[16] & 0xff);
	expx(17, DA(0x8ff));
	expm(0xa00, 4, t.in.x[18] & 0xffffffff);
	expx(19, DA(0x9fc));
	expx(20, im(0xb00, 8));
	expx(21, DA(0xa00));

	/* CONSTRAINED UNPREDICTABLE (Arm ARM K1.2.7): exec-ldst.c does what
	 * qemu does: the writeback wins over the loaded value, a store stores
	 * the original register, LDP Rt == Rt2 keeps Rt's value. */
	begin("writeback with Rn == Rt, LDP Rt == Rt2");
	setx(1, DA(0x100));
	setx(2, DA(0x200));
	setx(3, DA(0x300));
	setx(4, DA(0x400));
	setx(5, DA(0x500));
	setx(7, DA(0x600));
	setx(9, DA(0x700));
	setx(10, DA(0x800));
	setx(12, DA(0x900));
	setx(14, DA(0xa00));
	RUN(
		0xf8408c21, /* ldr x1,[x1,#8]! */
		0xf8408442, /* ldr x2,[x2],#8 */
		0xf8008c63, /* str x3,[x3,#8]! */
		0xf8008484, /* str x4,[x4],#8 */
		0xa9c118a5, /* ldp x5,x6,[x5,#16]! */
		0xa8811ce8, /* stp x8,x7,[x7],#16 */
		0x38401d29, /* ldrb w9,[x9,#1]! */
		0xa9402d4b, /* ldp x11,x11,[x10] */
		0x6940358d, /* ldpsw x13,x13,[x12] */
		0xa8c139cf, /* ldp x15,x14,[x14],#16 */
	);
	expx(1, DA(0x108));
	expx(2, DA(0x208));
	expm(0x308, 8, DA(0x300));
	expx(3, DA(0x308));
	expm(0x400, 8, DA(0x400));
	expx(4, DA(0x408));
	expx(5, DA(0x510));
	expx(6, im(0x518, 8));
	expm(0x600, 8, t.in.x[8]);
	expm(0x608, 8, DA(0x600));
	expx(7, DA(0x610));
	expx(9, DA(0x701));
	expx(11, im(0x800, 8));
	expx(13, sext(im(0x900, 4), 32));
	expx(14, DA(0xa10));
	expx(15, im(0xa00, 8));
}

static void test_regoff(void)
{
	begin("register offset loads: UXTW/LSL/SXTW/SXTX, shifts");
	setx(1, DA(0x800));
	setx(2, 3);
	setx(3, 0x12345678fffffffeull); /* W3 = -2 */
	setx(4, 0xabcdef0000000004ull); /* W4 = 4 */
	setx(5, (uint64_t)-3);
	setm(0x7fa, 2, 0xfedc);
	setm(0x7fd, 1, 0xc3);
	RUN(
		0xf8627820, /* ldr x0,[x1,x2,lsl #3] */
		0xf8626826, /* ldr x6,[x1,x2] */
		0xb8645827, /* ldr w7,[x1,w4,uxtw #2] */
		0x3863c828, /* ldrb w8,[x1,w3,sxtw] */
		0x78a5f829, /* ldrsh x9,[x1,x5,sxtx #1] */
		0x7863d82a, /* ldrh w10,[x1,w3,sxtw #1] */
		0xf87f682d, /* ldr x13,[x1,xzr] */
		0xb8a2782e, /* ldrsw x14,[x1,x2,lsl #2] */
		0xf863d82f, /* ldr x15,[x1,w3,sxtw #3] */
		0x38e56830, /* ldrsb w16,[x1,x5] */
		0x38627831, /* ldrb w17,[x1,x2,lsl #0] */
		0xb862f832, /* ldr w18,[x1,x2,sxtx #2] */
		0x78624833, /* ldrh w19,[x1,w2,uxtw] */
		0xb8a3c834, /* ldrsw x20,[x1,w3,sxtw] */
	);
	expx(0, im(0x818, 8));
	expx(6, im(0x803, 8));
	expx(7, im(0x810, 4));
	expx(8, im(0x7fe, 1));
	expx(9, 0xfffffffffffffedcull);
	expx(10, im(0x7fc, 2));
	expx(13, im(0x800, 8));
	expx(14, sext(im(0x80c, 4), 32));
	expx(15, im(0x7f0, 8));
	expx(16, 0xffffffc3ull);
	expx(17, im(0x803, 1));
	expx(18, im(0x80c, 4));
	expx(19, im(0x803, 2));
	expx(20, sext(im(0x7fe, 4), 32));

	begin("register offset stores");
	setx(1, DA(0x900));
	setx(2, 2);
	setx(3, 0x55555555fffffff0ull); /* W3 = -16 */
	setx(4, 0x100000008ull);        /* W4 = 8 */
	setx(9, (uint64_t)-1);
	RUN(
		0xf8227825, /* str x5,[x1,x2,lsl #3] */
		0xb8244826, /* str w6,[x1,w4,uxtw] */
		0x7823d827, /* strh w7,[x1,w3,sxtw #1] */
		0x3829e828, /* strb w8,[x1,x9,sxtx] */
		0xf823d82a, /* str x10,[x1,w3,sxtw #3] */
		0x7822682b, /* strh w11,[x1,x2] */
		0xb824583f, /* str wzr,[x1,w4,uxtw #2] */
	);
	expm(0x910, 8, t.in.x[5]);
	expm(0x908, 4, t.in.x[6] & 0xffffffff);
	expm(0x8e0, 2, t.in.x[7] & 0xffff);
	expm(0x8ff, 1, t.in.x[8] & 0xff);
	expm(0x880, 8, t.in.x[10]);
	expm(0x902, 2, t.in.x[11] & 0xffff);
	expm(0x920, 4, 0);

	/* option<1> == 0 (UXTB, UXTH, SXTB, SXTH) is UNDEFINED. */
	static const uint32_t bases[] = {
		0x38624820, /* ldrb w0,[x1,w2,uxtw] */
		0xf8224820, /* str x0,[x1,w2,uxtw] */
		0xb8a24820, /* ldrsw x0,[x1,w2,uxtw] */
		0xf8a24820, /* prfm pldl1keep,[x1,w2,uxtw] */
	};
	static const unsigned opts[] = { 0, 1, 4, 5 };
	for (unsigned b = 0; b < 4; b++)
		for (unsigned o = 0; o < 4; o++) {
			begin("register offset option %u UNDEFINED (%#x)", opts[o], bases[b]);
			EXPECT_UNDEF();
			RUN((bases[b] & ~(7u << 13)) | opts[o] << 13);
			check_exception();
		}
}

static void test_unpriv(void)
{
	begin("LDTR*/STTR* at EL1");
	setx(1, DA(0x100));
	setm(0xff, 1, 0x81);
	setm(0x102, 2, 0x8421);
	setm(0x104, 4, 0x80000000);
	RUN(
		0xf8408820, /* ldtr x0,[x1,#8] */
		0x389ff822, /* ldtrsb x2,[x1,#-1] */
		0x78c02823, /* ldtrsh w3,[x1,#2] */
		0xb8804824, /* ldtrsw x4,[x1,#4] */
		0x384ff825, /* ldtrb w5,[x1,#255] */
		0x78500826, /* ldtrh w6,[x1,#-256] */
		0xf8010827, /* sttr x7,[x1,#16] */
		0x38018828, /* sttrb w8,[x1,#24] */
		0x7801a829, /* sttrh w9,[x1,#26] */
		0xb801c82a, /* sttr w10,[x1,#28] */
		0xb840882b, /* ldtr w11,[x1,#8] */
		0x7880282c, /* ldtrsh x12,[x1,#2] */
		0x38dff82d, /* ldtrsb w13,[x1,#-1] */
	);
	expx(0, im(0x108, 8));
	expx(2, 0xffffffffffffff81ull);
	expx(3, 0xffff8421ull);
	expx(4, 0xffffffff80000000ull);
	expx(5, im(0x1ff, 1));
	expx(6, im(0x0, 2));
	expm(0x110, 8, t.in.x[7]);
	expm(0x118, 1, t.in.x[8] & 0xff);
	expm(0x11a, 2, t.in.x[9] & 0xffff);
	expm(0x11c, 4, t.in.x[10] & 0xffffffff);
	expx(11, im(0x108, 4));
	expx(12, 0xffffffffffff8421ull);
	expx(13, 0xffffff81ull);

	begin("loads/stores at EL0");
	t.cpsr = CPSR_EL0T;
	setsp(DA(0x1000));
	setx(1, DA(0x40));
	RUN(
		0xf9400020, /* ldr x0,[x1] */
		0xf8008820, /* sttr x0,[x1,#8] */
		0xf8408822, /* ldtr x2,[x1,#8] */
		0xf81f0fe3, /* str x3,[sp,#-16]! */
		0xf84107e4, /* ldr x4,[sp],#16 */
		0xc85f7c25, /* ldxr x5,[x1] */
		0xc8067c23, /* stxr w6,x3,[x1] */
	);
	expx(0, im(0x40, 8));
	expm(0x48, 8, im(0x40, 8));
	expx(2, im(0x40, 8));
	expm(0xff0, 8, t.in.x[3]);
	expx(4, t.in.x[3]);
	expx(5, im(0x40, 8));
	expx(6, 0);
	expm(0x40, 8, t.in.x[3]);
	expsp(DA(0x1000));
}

static void test_literal(void)
{
	begin("LDR literal: W, X, LDRSW, PRFM, negative offset");
	RUN_RAW(6,
		0x580000e0, /* ldr x0, .+28 */
		0x18000101, /* ldr w1, .+32 */
		0x98000102, /* ldrsw x2, .+32 */
		0xd8000080, /* prfm pldl1keep, .+16 */
		0x18ffff83, /* ldr w3, .-16 */
		0x58000024, /* ldr x4, .+4 */
		0xd4200000, /* brk #0 */
		0x55667788, 0x11223344, /* 28: .quad */
		0x89abcdef,             /* 36 */
		0x80000001,             /* 40 */
	);
	expx(0, 0x1122334455667788ull);
	expx(1, 0x89abcdef);
	expx(2, 0xffffffff80000001ull);
	expx(3, code[(t.pc - CODE_IPA) / 4]);
	expx(4, 0x55667788d4200000ull);
}

static void test_prfm(void)
{
	begin("PRFM: no access, no fault (unmapped addresses, any prfop)");
	setx(1, VBAR_UNMAPPED);
	setx(2, 0x123);
	RUN(
		0xf9800420, /* prfm pldl1keep,[x1,#8] */
		0xf89ff033, /* prfum pstl2strm,[x1,#-1] */
		0xf8a2782c, /* prfm plil3keep,[x1,x2,lsl #3] */
		0xf980003f, /* prfm #0x1f,[x1] */
		0xf8a2c821, /* prfm pldl1strm,[x1,w2,sxtw] */
		0xd87fffe0, /* prfm pldl1keep, .+0xffffc */
		0xf9bffc30, /* prfm pstl1keep,[x1,#32760] */
	);

	static const uint32_t undef[] = {
		0xf8800420, /* PRFM post-index (size 11, opc 10): unallocated */
		0xf8800c20, /* PRFM pre-index */
		0xf8800820, /* LDTR size 11 opc 10 */
		0xb8c00020, /* LDUR size 10 opc 11 */
		0xb8c00420, /* LDR post-index size 10 opc 11 */
		0xb9c00020, /* LDR unsigned size 10 opc 11 */
		0xf9c00020, /* LDR unsigned size 11 opc 11 */
		0xf8e26820, /* LDR register size 11 opc 11 */
		0xb8e26820, /* LDR register size 10 opc 11 */
		0xf8200420, /* LDRAA (FEAT_PAuth) */
		0xf8a00c20, /* LDRAB pre-index */
	};
	for (unsigned i = 0; i < sizeof(undef) / 4; i++) {
		begin("reserved load/store register encoding %#x UNDEFINED", undef[i]);
		setx(1, DA(0x100));
		EXPECT_UNDEF();
		RUN(undef[i]);
		check_exception();
	}
}

/* ---- pairs ----------------------------------------------------------------- */

static void test_pairs(void)
{
	begin("LDP/LDNP/LDPSW: offset, pre, post");
	setx(2, DA(0x100));
	setx(5, DA(0x200));
	setx(8, DA(0x300));
	setx(11, DA(0x600));
	setx(13, DA(0x500));
	setx(16, DA(0x700));
	setx(19, DA(0x800));
	setx(23, DA(0x900));
	setx(26, DA(0xc00));
	setm(0x300, 4, 0x80000000);
	setm(0x304, 4, 0x7fffffff);
	setm(0x6f8, 4, 0xffffffff);
	setm(0x6fc, 4, 0x80000001);
	RUN(
		0xa9410440, /* ldp x0,x1,[x2,#16] */
		0x29ff10a3, /* ldp w3,w4,[x5,#-8]! */
		0x68c11d06, /* ldpsw x6,x7,[x8],#8 */
		0xa8602969, /* ldnp x9,x10,[x11,#-512] */
		0x285fb9ac, /* ldnp w12,w14,[x13,#252] */
		0x69ff460f, /* ldpsw x15,x17,[x16,#-8]! */
		0x28dfd272, /* ldp w18,w20,[x19],#252 */
		0xa95fdaf5, /* ldp x21,x22,[x23,#504] */
		0x69606758, /* ldpsw x24,x25,[x26,#-256] */
	);
	expx(0, im(0x110, 8));
	expx(1, im(0x118, 8));
	expx(3, im(0x1f8, 4));
	expx(4, im(0x1fc, 4));
	expx(5, DA(0x1f8));
	expx(6, 0xffffffff80000000ull);
	expx(7, 0x7fffffff);
	expx(8, DA(0x308));
	expx(9, im(0x400, 8));
	expx(10, im(0x408, 8));
	expx(12, im(0x5fc, 4));
	expx(14, im(0x600, 4));
	expx(15, 0xffffffffffffffffull);
	expx(17, 0xffffffff80000001ull);
	expx(16, DA(0x6f8));
	expx(18, im(0x800, 4));
	expx(20, im(0x804, 4));
	expx(19, DA(0x8fc));
	expx(21, im(0xaf8, 8));
	expx(22, im(0xb00, 8));
	expx(24, sext(im(0xb00, 4), 32));
	expx(25, sext(im(0xb04, 4), 32));

	begin("STP/STNP: offset, pre, post, XZR");
	setx(2, DA(0x100));
	setx(5, DA(0x200));
	setx(8, DA(0x300));
	setx(11, DA(0x400));
	setx(14, DA(0x500));
	setx(15, DA(0x600));
	setx(17, DA(0x700));
	RUN(
		0xa9010440, /* stp x0,x1,[x2,#16] */
		0x29bf10a3, /* stp w3,w4,[x5,#-8]! */
		0xa8809d06, /* stp x6,x7,[x8],#8 */
		0x2800a969, /* stnp w9,w10,[x11,#4] */
		0xa83f35cc, /* stnp x12,x13,[x14,#-16] */
		0xa9007dff, /* stp xzr,xzr,[x15] */
		0x28a07e30, /* stp w16,wzr,[x17],#-256 */
	);
	expm(0x110, 8, t.in.x[0]);
	expm(0x118, 8, t.in.x[1]);
	expm(0x1f8, 4, t.in.x[3] & 0xffffffff);
	expm(0x1fc, 4, t.in.x[4] & 0xffffffff);
	expx(5, DA(0x1f8));
	expm(0x300, 8, t.in.x[6]);
	expm(0x308, 8, t.in.x[7]);
	expx(8, DA(0x308));
	expm(0x404, 4, t.in.x[9] & 0xffffffff);
	expm(0x408, 4, t.in.x[10] & 0xffffffff);
	expm(0x4f0, 8, t.in.x[12]);
	expm(0x4f8, 8, t.in.x[13]);
	expm(0x600, 8, 0);
	expm(0x608, 8, 0);
	expm(0x700, 4, t.in.x[16] & 0xffffffff);
	expm(0x704, 4, 0);
	expx(17, DA(0x600));

	static const uint32_t undef[] = {
		0x69000440, /* STGP (FEAT_MTE) */
		0x68400440, /* LDNP opc 01 (no LDNPSW) */
		0x68000440, /* STNP opc 01 */
		0x68800440, /* STP opc 01 post-index (STGP) */
		0xe9400440, /* LDP opc 11 */
		0xe9000440, /* STP opc 11 */
		0xe8c00440, /* LDP opc 11 post-index */
		0xe8400440, /* LDNP opc 11 */
	};
	for (unsigned i = 0; i < sizeof(undef) / 4; i++) {
		begin("reserved load/store pair encoding %#x UNDEFINED", undef[i]);
		setx(2, DA(0x100));
		EXPECT_UNDEF();
		RUN(undef[i]);
		check_exception();
	}
}

static void test_sp(void)
{
	begin("SP as the base register");
	setsp(DA(0x800));
	setx(6, 16);
	RUN(
		0xf94007e0, /* ldr x0,[sp,#8] */
		0xa9bf7bfd, /* stp x29,x30,[sp,#-16]! */
		0xa8c10be1, /* ldp x1,x2,[sp],#16 */
		0xb81fcfe3, /* str w3,[sp,#-4]! */
		0x384047e4, /* ldrb w4,[sp],#4 */
		0xf8666be5, /* ldr x5,[sp,x6] */
		0xc85f7fe7, /* ldxr x7,[sp] */
		0xc8087fe9, /* stxr w8,x9,[sp] */
		0xf82a03eb, /* ldadd x10,x11,[sp] */
	);
	expx(0, im(0x808, 8));
	expm(0x7f0, 8, t.in.x[29]);
	expm(0x7f8, 8, t.in.x[30]);
	expx(1, t.in.x[29]);
	expx(2, t.in.x[30]);
	expm(0x7fc, 4, t.in.x[3] & 0xffffffff);
	expx(4, t.in.x[3] & 0xff);
	expx(5, im(0x810, 8));
	expx(7, im(0x800, 8));
	expx(8, 0);
	expm(0x800, 8, t.in.x[9]);
	expx(11, t.in.x[9]);
	expm(0x800, 8, t.in.x[9] + t.in.x[10]);
	expsp(DA(0x800));

	begin("SP alignment fault (SCTLR_EL1.SA)");
	t.sctlr = SCTLR_BASE | SCTLR_SA;
	setsp(DA(0x808));
	want_exception(0, ESR_SP_ALIGN, ~0u, 0, false);
	RUN(
		0xf94003e0, /* ldr x0,[sp] */
	);
	check_exception();

	begin("SP alignment fault: STP; PRFM exempt");
	t.sctlr = SCTLR_BASE | SCTLR_SA;
	setsp(DA(0x808));
	want_exception(1, ESR_SP_ALIGN, ~0u, 0, false);
	RUN(
		0xf98003e0, /* prfm pldl1keep,[sp] */
		0xa9bf87e0, /* stp x0,x1,[sp,#-8]! */
	);
	check_exception();

	begin("SP alignment: aligned SP, and SA clear");
	t.sctlr = SCTLR_BASE | SCTLR_SA;
	setsp(DA(0x810));
	RUN(
		0xf94007e0, /* ldr x0,[sp,#8] */
		0xc85f7fe1, /* ldxr x1,[sp] */
	);
	expx(0, im(0x818, 8));
	expx(1, im(0x810, 8));

	begin("SP misaligned with SA clear: no fault");
	setsp(DA(0x808));
	RUN(
		0xf94003e0, /* ldr x0,[sp] */
	);
	expx(0, im(0x808, 8));

	begin("SP alignment fault at EL0 (SCTLR_EL1.SA0)");
	t.cpsr = CPSR_EL0T;
	t.sctlr = SCTLR_BASE | SCTLR_SA0;
	setsp(DA(0x804));
	want_exception(0, ESR_SP_ALIGN, ~0u, 0, false);
	RUN(
		0xb94003e0, /* ldr w0,[sp] */
	);
	check_exception();

	begin("SP misaligned at EL0 with only SA set: no fault");
	t.cpsr = CPSR_EL0T;
	t.sctlr = SCTLR_BASE | SCTLR_SA;
	setsp(DA(0x804));
	RUN(
		0xb94003e0, /* ldr w0,[sp] */
	);
	expx(0, im(0x804, 4));
}

static void test_align(void)
{
	begin("SCTLR_EL1.A: misaligned load faults");
	t.sctlr = SCTLR_BASE | SCTLR_A;
	setx(1, DA(4));
	want_exception(0, ESR_ALIGN_RD, ~0u, DA(4), true);
	RUN(
		0xf9400020, /* ldr x0,[x1] */
	);
	check_exception();

	begin("SCTLR_EL1.A: misaligned store faults");
	t.sctlr = SCTLR_BASE | SCTLR_A;
	setx(1, DA(2));
	want_exception(0, ESR_ALIGN_WR, ~0u, DA(2), true);
	RUN(
		0xb9000020, /* str w0,[x1] */
	);
	check_exception();

	begin("SCTLR_EL1.A: misaligned pre-index LDP faults, registers unchanged");
	t.sctlr = SCTLR_BASE | SCTLR_A;
	setx(1, DA(0xfc));
	want_exception(0, ESR_ALIGN_RD, ~0u, DA(0x104), true);
	RUN(
		0xa9c08820, /* ldp x0,x2,[x1,#8]! */
	);
	check_exception();

	begin("SCTLR_EL1.A: aligned accesses are fine");
	t.sctlr = SCTLR_BASE | SCTLR_A;
	setx(1, DA(3));
	setx(3, DA(0x108));
	RUN(
		0x39400020, /* ldrb w0,[x1] */
		0x78401022, /* ldrh w2,[x1,#1] */
		0xa9401464, /* ldp x4,x5,[x3] */
		0xb9400466, /* ldr w6,[x3,#4] */
	);
	expx(0, im(3, 1));
	expx(2, im(4, 2));
	expx(4, im(0x108, 8));
	expx(5, im(0x110, 8));
	expx(6, im(0x10c, 4));

	begin("page-crossing accesses");
	setx(1, DA(0xffc));
	setx(4, DA(0xffd));
	setx(7, DA(0xff8));
	setx(10, DA(0xffc));
	RUN(
		0xf9400020, /* ldr x0,[x1] */
		0xb8402023, /* ldr w3,[x1,#2] */
		0xa94018e5, /* ldp x5,x6,[x7] */
		0x29002548, /* stp w8,w9,[x10] */
		0xf9000082, /* str x2,[x4] */
		0x7880208b, /* ldursh x11,[x4,#2] */
	);
	expx(0, im(0xffc, 8));
	expx(3, im(0xffe, 4));
	expx(5, im(0xff8, 8));
	expx(6, im(0x1000, 8));
	expm(0xffc, 4, t.in.x[8] & 0xffffffff);
	expm(0x1000, 4, t.in.x[9] & 0xffffffff);
	expm(0xffd, 8, t.in.x[2]);
	expx(11, sext((t.in.x[2] >> 16) & 0xffff, 16));

	begin("page-crossing load into unmapped memory exits, ISV=0");
	setx(1, DA(0x1ffc));
	want_exit(ESR_DABT_S2, ~0u, DA(0x2000));
	RUN(
		0xf9400020, /* ldr x0,[x1] */
	);
	check_exit();

	begin("page-crossing store into unmapped memory: exits, nothing written");
	setx(1, DA(0x1ffe));
	want_exit(ESR_DABT_S2 | ISS_WNR, ~0u, DA(0x2000));
	RUN(
		0xb9000020, /* str w0,[x1] */
	);
	check_exit();
}

/* ---- exclusives ----------------------------------------------------------------- */

static void test_excl(void)
{
	begin("LDXR/STXR X: success");
	setx(1, DA(0x100));
	setx(3, 0x1122334455667788ull);
	RUN(
		0xd5033f5f, /* clrex */
		0xc85f7c20, /* ldxr x0,[x1] */
		0xc8027c23, /* stxr w2,x3,[x1] */
	);
	expx(0, im(0x100, 8));
	expx(2, 0);
	expm(0x100, 8, 0x1122334455667788ull);

	begin("STXR fails with the monitor clear");
	setx(1, DA(0x100));
	RUN(
		0xd5033f5f, /* clrex */
		0xc8027c23, /* stxr w2,x3,[x1] */
	);
	expx(2, 1);

	begin("STXR fails after the location changed");
	setx(1, DA(0x100));
	setx(5, ~im(0x100, 4));
	RUN(
		0x885f7c20, /* ldxr w0,[x1] */
		0xb9000025, /* str w5,[x1] */
		0x88027c23, /* stxr w2,w3,[x1] */
	);
	expx(0, im(0x100, 4));
	expm(0x100, 4, ~im(0x100, 4));
	expx(2, 1);

	begin("STXR to another address fails, monitor cleared");
	setx(1, DA(0x100));
	setx(4, DA(0x108));
	RUN(
		0xc85f7c20, /* ldxr x0,[x1] */
		0xc8027c83, /* stxr w2,x3,[x4] */
		0xc8057c23, /* stxr w5,x3,[x1] */
	);
	expx(0, im(0x100, 8));
	expx(2, 1);
	expx(5, 1);

	begin("CLREX makes STXR fail");
	setx(1, DA(0x100));
	RUN(
		0xc85f7c20, /* ldxr x0,[x1] */
		0xd5033f5f, /* clrex */
		0xc8027c23, /* stxr w2,x3,[x1] */
	);
	expx(0, im(0x100, 8));
	expx(2, 1);

	begin("STXR of another size fails");
	setx(1, DA(0x100));
	RUN(
		0x885f7c20, /* ldxr w0,[x1] */
		0xc8027c23, /* stxr w2,x3,[x1] */
	);
	expx(0, im(0x100, 4));
	expx(2, 1);

	begin("LDXRB/LDAXRH/LDAXR/LDXR, STXRB/STLXRH/STLXR: every size");
	setx(1, DA(0x101));
	setx(5, DA(0x202));
	setx(9, DA(0x304));
	setx(13, DA(0x408));
	RUN(
		0x085f7c20, /* ldxrb w0,[x1] */
		0x08027c23, /* stxrb w2,w3,[x1] */
		0x485ffca4, /* ldaxrh w4,[x5] */
		0x4806fca7, /* stlxrh w6,w7,[x5] */
		0x885ffd28, /* ldaxr w8,[x9] */
		0x880afd2b, /* stlxr w10,w11,[x9] */
		0xc85f7dac, /* ldxr x12,[x13] */
		0xc80efdaf, /* stlxr w14,x15,[x13] */
	);
	expx(0, im(0x101, 1));
	expx(2, 0);
	expm(0x101, 1, t.in.x[3] & 0xff);
	expx(4, im(0x202, 2));
	expx(6, 0);
	expm(0x202, 2, t.in.x[7] & 0xffff);
	expx(8, im(0x304, 4));
	expx(10, 0);
	expm(0x304, 4, t.in.x[11] & 0xffffffff);
	expx(12, im(0x408, 8));
	expx(14, 0);
	expm(0x408, 8, t.in.x[15]);

	begin("LDXP/STXP X and LDAXP/STLXP W: success");
	setx(1, DA(0x110));
	setx(8, DA(0x208));
	RUN(
		0xc87f1020, /* ldxp x0,x4,[x1] */
		0xc8221423, /* stxp w2,x3,x5,[x1] */
		0x887fa909, /* ldaxp w9,w10,[x8] */
		0x882bb50c, /* stlxp w11,w12,w13,[x8] */
	);
	expx(0, im(0x110, 8));
	expx(4, im(0x118, 8));
	expx(2, 0);
	expm(0x110, 8, t.in.x[3]);
	expm(0x118, 8, t.in.x[5]);
	expx(9, im(0x208, 4));
	expx(10, im(0x20c, 4));
	expx(11, 0);
	expm(0x208, 4, t.in.x[12] & 0xffffffff);
	expm(0x20c, 4, t.in.x[13] & 0xffffffff);

	begin("STXP X fails when the high half changed");
	setx(1, DA(0x110));
	RUN(
		0xc87f1020, /* ldxp x0,x4,[x1] */
		0xf9000426, /* str x6,[x1,#8] */
		0xc8221423, /* stxp w2,x3,x5,[x1] */
	);
	expx(0, im(0x110, 8));
	expx(4, im(0x118, 8));
	expm(0x118, 8, t.in.x[6]);
	expx(2, 1);

	begin("STXP W fails when the high word changed");
	setx(1, DA(0x110));
	setx(6, ~im(0x114, 4));
	RUN(
		0x887f1020, /* ldxp w0,w4,[x1] */
		0xb9000426, /* str w6,[x1,#4] */
		0x88221423, /* stxp w2,w3,w5,[x1] */
	);
	expx(0, im(0x110, 4));
	expx(4, im(0x114, 4));
	expm(0x114, 4, ~im(0x114, 4));
	expx(2, 1);

	/* CONSTRAINED UNPREDICTABLE choices (as qemu). */
	begin("LDXP Rt == Rt2: Rt2's value");
	setx(1, DA(0x110));
	RUN(
		0xc87f1826, /* ldxp x6,x6,[x1] */
		0x887f9c27, /* ldaxp w7,w7,[x1] */
	);
	expx(6, im(0x118, 8));
	expx(7, im(0x114, 4));

	begin("STXR Rs == Rt: the original Rt is stored, then the status");
	setx(1, DA(0x100));
	RUN(
		0xc85f7c20, /* ldxr x0,[x1] */
		0xc8037c23, /* stxr w3,x3,[x1] */
	);
	expx(0, im(0x100, 8));
	expm(0x100, 8, t.in.x[3]);
	expx(3, 0);

	begin("STXR Rs == Rn: the original address is used");
	setx(1, DA(0x100));
	RUN(
		0xc85f7c20, /* ldxr x0,[x1] */
		0xc8017c23, /* stxr w1,x3,[x1] */
	);
	expx(0, im(0x100, 8));
	expm(0x100, 8, t.in.x[3]);
	expx(1, 0);

	begin("LDXR/STXR with XZR");
	setx(1, DA(0x100));
	RUN(
		0xc85f7c3f, /* ldxr xzr,[x1] */
		0xc8027c3f, /* stxr w2,xzr,[x1] */
	);
	expx(2, 0);
	expm(0x100, 8, 0);

	/* SBO fields (Rs, Rt2 of LDXR/STXR) other than ones are ignored. */
	begin("LDXR/STXR with non-ones Rs/Rt2 fields");
	setx(1, DA(0x100));
	RUN(0xc8407c20 /* ldxr x0,[x1] with Rs = 0 */, 0xc8020023 /* stxr w2,x3,[x1] with Rt2 = 0 */);
	expx(0, im(0x100, 8));
	expx(2, 0);
	expm(0x100, 8, t.in.x[3]);

	struct {
		const char *what;
		uint32_t insn;
		uint64_t addr;
		uint32_t esr;
	} al[] = {
		{ "ldxr x0,[x1]", 0xc85f7c20, DA(0x104), ESR_ALIGN_RD },
		{ "ldxrh w0,[x1]", 0x485f7c20, DA(0x101), ESR_ALIGN_RD },
		{ "ldaxr w0,[x1]", 0x885ffc20, DA(0x102), ESR_ALIGN_RD },
		{ "stxr w2,w3,[x1]", 0x88027c23, DA(0x102), ESR_ALIGN_WR },
		{ "stlxr w2,x3,[x1]", 0xc802fc23, DA(0x104), ESR_ALIGN_WR },
		{ "ldxp x0,x4,[x1]", 0xc87f1020, DA(0x108), ESR_ALIGN_RD },
		{ "ldxp w0,w4,[x1]", 0x887f1020, DA(0x104), ESR_ALIGN_RD },
		{ "stxp w2,x3,x5,[x1]", 0xc8221423, DA(0x108), ESR_ALIGN_WR },
	};
	for (unsigned i = 0; i < sizeof(al) / sizeof(al[0]); i++) {
		begin("exclusive alignment fault: %s", al[i].what);
		setx(1, al[i].addr);
		want_exception(0, al[i].esr, ~0u, al[i].addr, true);
		RUN(al[i].insn);
		check_exception();
	}
}

static void test_acqrel(void)
{
	begin("LDAR/LDAPR/STLR: every size");
	setx(1, DA(0x100));
	setx(10, DA(0x201));
	setx(12, DA(0x302));
	setx(14, DA(0x404));
	setx(16, DA(0x508));
	RUN(
		0x08dffc20, /* ldarb w0,[x1] */
		0x48dffc22, /* ldarh w2,[x1] */
		0x88dffc23, /* ldar w3,[x1] */
		0xc8dffc24, /* ldar x4,[x1] */
		0x38bfc025, /* ldaprb w5,[x1] */
		0x78bfc026, /* ldaprh w6,[x1] */
		0xb8bfc027, /* ldapr w7,[x1] */
		0xf8bfc028, /* ldapr x8,[x1] */
		0x089ffd49, /* stlrb w9,[x10] */
		0x489ffd8b, /* stlrh w11,[x12] */
		0x889ffdcd, /* stlr w13,[x14] */
		0xc89ffe0f, /* stlr x15,[x16] */
	);
	expx(0, im(0x100, 1));
	expx(2, im(0x100, 2));
	expx(3, im(0x100, 4));
	expx(4, im(0x100, 8));
	expx(5, im(0x100, 1));
	expx(6, im(0x100, 2));
	expx(7, im(0x100, 4));
	expx(8, im(0x100, 8));
	expm(0x201, 1, t.in.x[9] & 0xff);
	expm(0x302, 2, t.in.x[11] & 0xffff);
	expm(0x404, 4, t.in.x[13] & 0xffffffff);
	expm(0x508, 8, t.in.x[15]);

	begin("LDAR/STLR with non-ones Rs/Rt2 fields");
	setx(1, DA(0x100));
	RUN(0x88c08020 /* ldar w0,[x1], Rs = Rt2 = 0 */, 0xc880fc22 /* stlr x2,[x1], Rs = 0 */);
	expx(0, im(0x100, 4));
	expm(0x100, 8, t.in.x[2]);

	struct {
		const char *what;
		uint32_t insn;
		uint64_t addr;
		uint32_t esr;
	} al[] = {
		{ "ldar w0,[x1]", 0x88dffc20, DA(0x102), ESR_ALIGN_RD },
		{ "ldarh w0,[x1]", 0x48dffc20, DA(0x101), ESR_ALIGN_RD },
		{ "ldar x0,[x1]", 0xc8dffc20, DA(0x10c), ESR_ALIGN_RD },
		{ "stlrh w0,[x1]", 0x489ffc20, DA(0x101), ESR_ALIGN_WR },
		{ "stlr x0,[x1]", 0xc89ffc20, DA(0x104), ESR_ALIGN_WR },
		{ "ldapr x0,[x1]", 0xf8bfc020, DA(0x104), ESR_ALIGN_RD },
		{ "ldaprh w0,[x1]", 0x78bfc020, DA(0x103), ESR_ALIGN_RD },
	};
	for (unsigned i = 0; i < sizeof(al) / sizeof(al[0]); i++) {
		begin("acquire/release alignment fault: %s", al[i].what);
		setx(1, al[i].addr);
		want_exception(0, al[i].esr, ~0u, al[i].addr, true);
		RUN(al[i].insn);
		check_exception();
	}

	static const uint32_t undef[] = {
		0x88df7c20, /* ldlar w0,[x1] (FEAT_LOR, not implemented) */
		0x889f7c20, /* stllr w0,[x1] */
		0x08df7c20, /* ldlarb w0,[x1] */
		0xc89f7c20, /* stllr x0,[x1] */
		0xb8a0c020, /* ldapr w0,[x1] with Rs = 0 */
		0xf8bec020, /* ldapr x0,[x1] with Rs = 30 */
		0xf83fc020, /* o3:opc = 1100 with A = 0 */
		0xf8ffc020, /* o3:opc = 1100 with A = 1, R = 1 */
		0xf8a09020, /* o3:opc = 1001 */
		0xf8a0f020, /* o3:opc = 1111 */
		0x38a2b020, /* o3:opc = 1011, B */
	};
	for (unsigned i = 0; i < sizeof(undef) / 4; i++) {
		begin("reserved ordered/atomic encoding %#x UNDEFINED", undef[i]);
		setx(1, DA(0x100));
		EXPECT_UNDEF();
		RUN(undef[i]);
		check_exception();
	}
}

/* ---- LSE atomics ------------------------------------------------------------- */

static const char *const atomic_names[9] = { "LDADD", "LDCLR", "LDEOR", "LDSET", "LDSMAX",
					     "LDSMIN", "LDUMAX", "LDUMIN", "SWP" };

static uint64_t atomic_ref(unsigned op, unsigned bytes, uint64_t m, uint64_t s)
{
	unsigned bits = bytes * 8;
	uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
	m &= mask;
	s &= mask;
	int64_t sm = (int64_t)sext(m, bits), ss = (int64_t)sext(s, bits);
	switch (op) {
	case 0: return (m + s) & mask;
	case 1: return m & ~s;
	case 2: return m ^ s;
	case 3: return m | s;
	case 4: return sm > ss ? m : s;
	case 5: return sm < ss ? m : s;
	case 6: return m > s ? m : s;
	case 7: return m < s ? m : s;
	default: return s;
	}
}

static void test_atomics(void)
{
	static const uint64_t vals[][2] = {
		{ 5, 3 },
		{ 3, 5 },
		{ 0x7fffffffffffffffull, 0x8000000000000000ull },
		{ 0x8000000000000000ull, 0x7fffffffffffffffull },
		{ ~0ull, 1 },
		{ 0, ~0ull },
		{ 0x123456789abcdef0ull, 0xfedcba9876543210ull },
		{ 0xf0f0f0f0f0f0f0f0ull, 0x0ff00ff00ff00ff0ull },
	};
	static const char *const ord[4] = { "", "L", "A", "AL" };
	unsigned n = 0;
	for (unsigned op = 0; op < 9; op++)
		for (unsigned size = 0; size < 4; size++)
			for (unsigned v = 0; v < sizeof(vals) / sizeof(vals[0]); v++, n++) {
				unsigned bytes = 1u << size, bits = 8 * bytes;
				unsigned ar = n & 3;
				unsigned rt = v == 7 ? 31 : 3; /* ST<op> alias once per size */
				uint64_t m = vals[v][0], s = vals[v][1];
				/* Values at the sign boundary of the size. */
				if (v == 2 || v == 3)
					m >>= 64 - bits, s >>= 64 - bits;
				begin("%s%s%s r%u (m=%#llx s=%#llx)", atomic_names[op], ord[ar],
				      size == 0 ? "B" : size == 1 ? "H" : "", rt, (unsigned long long)m,
				      (unsigned long long)s);
				unsigned off = 0x100 + 8 * size;
				uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
				setm(off, bytes, m);
				setx(1, DA(off));
				setx(2, s | (bits < 64 ? 0xdead000000000000ull : 0)); /* upper bits ignored */
				uint32_t o3 = op == 8, opc = op == 8 ? 0 : op;
				RUN(size << 30 | 0x38200000u | ar << 22 | 2u << 16 | o3 << 15 | opc << 12 | 1u << 5 | rt);
				if (rt != 31)
					expx(3, m & mask);
				expm(off, bytes, atomic_ref(op, bytes, m, s));
			}

	begin("LDADD Rs == Rt");
	setx(1, DA(0x100));
	RUN(
		0xf8230023, /* ldadd x3,x3,[x1] */
	);
	expx(3, im(0x100, 8));
	expm(0x100, 8, im(0x100, 8) + t.in.x[3]);

	begin("STADD/STSETL/STCLRB (Rt = 31)");
	setx(1, DA(0x100));
	setx(4, DA(0x109));
	RUN(
		0xf822003f, /* stadd x2,[x1] */
		0xb863303f, /* stsetl w3,[x1] */
		0x3825109f, /* stclrb w5,[x4] */
	);
	expm(0x100, 8, im(0x100, 8) + t.in.x[2]);
	expm(0x100, 4, (im(0x100, 8) + t.in.x[2]) | (t.in.x[3] & 0xffffffff));
	expm(0x109, 1, im(0x109, 1) & ~t.in.x[5]);

	struct {
		const char *what;
		uint32_t insn;
		uint64_t addr;
	} al[] = {
		{ "ldadd w2,w3,[x1]", 0xb8220023, DA(0x102) },
		{ "ldsmaxh w2,w3,[x1]", 0x78224023, DA(0x101) },
		{ "swpal x2,x3,[x1]", 0xf8e28023, DA(0x104) },
		{ "cas w2,w3,[x1]", 0x88a27c23, DA(0x101) },
		{ "casal x2,x3,[x1]", 0xc8e2fc23, DA(0x10c) },
		{ "caspa w4,w5,w6,w7,[x1]", 0x08647c26, DA(0x104) },
		{ "casp x4,x5,x6,x7,[x1]", 0x48247c26, DA(0x108) },
	};
	for (unsigned i = 0; i < sizeof(al) / sizeof(al[0]); i++) {
		begin("atomic alignment fault: %s", al[i].what);
		setx(1, al[i].addr);
		/* WnR is not checked: both an access and its write are involved. */
		want_exception(0, ESR_ALIGN_RD, ~ISS_WNR, al[i].addr, true);
		RUN(al[i].insn);
		check_exception();
	}
}

static void test_cas(void)
{
	static const char *const ord[4] = { "", "L", "A", "AL" };
	for (unsigned size = 0; size < 4; size++)
		for (unsigned o = 0; o < 4; o++)
			for (unsigned ok = 0; ok < 2; ok++) {
				unsigned bytes = 1u << size, bits = 8 * bytes;
				uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
				unsigned off = 0x100 + 8 * size;
				begin("CAS%s%s %s", ord[o], size == 0 ? "B" : size == 1 ? "H" : "",
				      ok ? "success" : "failure");
				setx(1, DA(off));
				uint64_t m = im(off, bytes);
				/* Upper bits of Rs are ignored by the comparison. */
				setx(2, (ok ? m : m ^ (1ull << (bits - 1))) | (bits < 64 ? 0x7777000000000000ull : 0));
				setx(3, 0x0123456789abcdefull);
				uint32_t l = o >> 1, o0 = o & 1;
				RUN(size << 30 | 0x08a07c00u | l << 22 | 2u << 16 | o0 << 15 | 1u << 5 | 3);
				expx(2, m);
				if (ok)
					expm(off, bytes, 0x0123456789abcdefull & mask);
			}

	begin("CAS with Rs = XZR (compare with zero)");
	setx(1, DA(0x100));
	setm(0x100, 8, 0);
	RUN(
		0xc8bf7c23, /* cas xzr,x3,[x1] */
	);
	expm(0x100, 8, t.in.x[3]);

	for (unsigned sz = 0; sz < 2; sz++)
		for (unsigned o = 0; o < 4; o++)
			for (unsigned ok = 0; ok < 2; ok++) {
				unsigned ebytes = 4u << sz;
				uint64_t emask = sz ? ~0ull : 0xffffffffull;
				unsigned off = 0x110;
				begin("CASP%s %s %s", ord[o], sz ? "X" : "W", ok ? "success" : "failure");
				setx(1, DA(off));
				uint64_t lo = im(off, ebytes), hi = im(off + ebytes, ebytes);
				setx(4, lo | (sz ? 0 : 0x4444000000000000ull));
				setx(5, (ok ? hi : hi ^ 1) | (sz ? 0 : 0x5555000000000000ull));
				uint32_t l = o >> 1, o0 = o & 1;
				RUN(sz << 30 | 0x08207c00u | l << 22 | 4u << 16 | o0 << 15 | 1u << 5 | 6);
				expx(4, lo);
				expx(5, hi);
				if (ok) {
					expm(off, ebytes, t.in.x[6] & emask);
					expm(off + ebytes, ebytes, t.in.x[7] & emask);
				}
			}

	begin("CASP X30, XZR pair");
	setx(1, DA(0x120));
	setm(0x128, 8, 0);
	setx(30, im(0x120, 8));
	RUN(
		0x483e7c26, /* casp x30,xzr,x6,x7,[x1] */
	);
	expx(30, im(0x120, 8));
	expm(0x120, 8, t.in.x[6]);
	expm(0x128, 8, t.in.x[7]);

	static const uint32_t undef[] = {
		0x48257c26, /* casp x5,x6,x6,x7 (odd Rs) */
		0x48247c27, /* casp x4,x5,x7,x8 (odd Rt) */
		0x083f7c26, /* casp w31 (odd Rs) */
		0x48240026, /* casp with Rt2 = 0 */
		0xc8a20023, /* cas x2,x3,[x1] with Rt2 = 0 */
		0x08a21023, /* casb with Rt2 = 4 */
	};
	for (unsigned i = 0; i < sizeof(undef) / 4; i++) {
		begin("reserved CAS/CASP encoding %#x UNDEFINED", undef[i]);
		setx(1, DA(0x100));
		EXPECT_UNDEF();
		RUN(undef[i]);
		check_exception();
	}
}

/* ---- MMIO exits ------------------------------------------------------------------- */

static void test_mmio(void)
{
	struct {
		const char *what;
		uint32_t insn;
		uint64_t off; /* accessed IPA - MMIO_IPA */
		uint32_t iss;
		uint32_t mask;
	} c[] = {
		{ "ldrsh w3,[x1]", 0x79c00023, 0, ISS_ISV | ISS_SAS(1) | ISS_SSE | ISS_SRT(3), ~0u },
		{ "ldrsb x4,[x1,#1]", 0x39800424, 1, ISS_ISV | ISS_SAS(0) | ISS_SSE | ISS_SRT(4) | ISS_SF, ~0u },
		{ "str w5,[x1,#4]", 0xb9000425, 4, ISS_ISV | ISS_SAS(2) | ISS_SRT(5) | ISS_WNR, ~0u },
		{ "ldr x9,[x1,x2]", 0xf8626829, 0x10, ISS_ISV | ISS_SAS(3) | ISS_SRT(9) | ISS_SF, ~0u },
		{ "strb wzr,[x1]", 0x3900003f, 0, ISS_ISV | ISS_SAS(0) | ISS_SRT(31) | ISS_WNR, ~0u },
		{ "ldtr w8,[x1]", 0xb8400828, 0, ISS_ISV | ISS_SAS(2) | ISS_SRT(8), ~0u },
		{ "ldur x8,[x1,#-8]", 0xf85f8028, (uint64_t)-8, ISS_ISV | ISS_SAS(3) | ISS_SRT(8) | ISS_SF, ~0u },
		{ "ldar w6,[x1]", 0x88dffc26, 0, ISS_ISV | ISS_SAS(2) | ISS_SRT(6) | ISS_AR, ~0u },
		{ "stlr x7,[x1]", 0xc89ffc27, 0, ISS_ISV | ISS_SAS(3) | ISS_SRT(7) | ISS_SF | ISS_AR | ISS_WNR, ~0u },
		{ "ldapr x10,[x1]", 0xf8bfc02a, 0, ISS_ISV | ISS_SAS(3) | ISS_SRT(10) | ISS_SF | ISS_AR, ~0u },
		{ "ldr x0,[x1,#8]!", 0xf8408c20, 8, 0, ~0u },
		{ "str x0,[x1],#8", 0xf8008420, 0, ISS_WNR, ~0u },
		{ "ldp x0,x2,[x1]", 0xa9400820, 0, 0, ~0u },
		{ "stp x0,x2,[x1,#16]", 0xa9010820, 0x10, ISS_WNR, ~0u },
		{ "ldxr x0,[x1]", 0xc85f7c20, 0, 0, ~0u },
		{ "stxr w2,x0,[x1]", 0xc8027c20, 0, 0, ~ISS_WNR },
		{ "ldadd x2,x0,[x1]", 0xf8220020, 0, 0, ~ISS_WNR },
		{ "cas w2,w3,[x1]", 0x88a27c23, 0, 0, ~ISS_WNR },
		{ "casp x4,x5,x6,x7,[x1]", 0x48247c26, 0, 0, ~ISS_WNR },
	};
	for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		begin("MMIO exit: %s", c[i].what);
		setx(1, MMIO_IPA);
		setx(2, 0x10);
		want_exit(ESR_DABT_S2 | c[i].iss, c[i].mask, MMIO_IPA + c[i].off);
		RUN(c[i].insn);
		check_exit();
	}

	begin("MMIO exit: ldur at the start of a page (va reported)");
	setx(1, MMIO_IPA + 0x1000);
	want_exit(ESR_DABT_S2 | ISS_ISV | ISS_SAS(2) | ISS_SRT(0), ~0u, MMIO_IPA + 0x1000);
	RUN(
		0xb9400020, /* ldr w0,[x1] */
	);
	check_exit();
	if (t.outcome == OUT_EXIT && t.exit.va != MMIO_IPA + 0x1000)
		fail("VA = %#llx", (unsigned long long)t.exit.va);
}

static void test_xzr(void)
{
	begin("XZR as Rt: loads discard, stores store zero");
	setx(1, DA(0x100));
	setx(4, DA(0x130));
	RUN(
		0xf940003f, /* ldr xzr,[x1] */
		0xa940083f, /* ldp xzr,x2,[x1] */
		0xf900083f, /* str xzr,[x1,#16] */
		0xa9027c3f, /* stp xzr,xzr,[x1,#32] */
		0xc8dffc3f, /* ldar xzr,[x1] */
		0xf823009f, /* ldadd x3,xzr,[x4] */
		0x39c0003f, /* ldrsb wzr,[x1] */
		0xf823803f, /* swp x3,xzr,[x1] */
	);
	expx(2, im(0x108, 8));
	expm(0x110, 8, 0);
	expm(0x120, 8, 0);
	expm(0x128, 8, 0);
	expm(0x130, 8, im(0x130, 8) + t.in.x[3]);
	expm(0x100, 8, t.in.x[3]);
}

/* ---- atomicity across vCPU threads ------------------------------------------------ */

#define NTHREADS 4
#define NITER 100000
static uint64_t thread_pc;

/* Identity map, 4K granule, 39-bit VAs: code pages read-only (executable
 * at EL0 and EL1), everything else in the first 2 GiB read/write for both
 * ELs, except the 2 MiB around VBAR_UNMAPPED, executable so that a vector
 * fetch reaches stage 2 (and exits) instead of a stage-1 permission fault. */
static uint64_t *tt;
static void mmu_tables(void)
{
	const uint64_t attrs = 1ull << 10 | 3ull << 8; /* AF, inner shareable, AttrIndx 0 */
	uint64_t *l1 = tt, *l2a = tt + 512, *l3 = tt + 1024, *l2b = tt + 1536;
	l1[0] = (TT_IPA + 0x1000) | 3;
	l1[1] = (TT_IPA + 0x3000) | 3;
	l2a[0] = (TT_IPA + 0x2000) | 3;
	for (unsigned i = 1; i < 512; i++)
		l2a[i] = ((uint64_t)i << 21) | attrs | 1ull << 6 | 1;
	for (unsigned i = 0; i < 512; i++) {
		uint64_t pa = (uint64_t)i << 12;
		bool is_code = pa >= CODE_IPA && pa < CODE_IPA + CODE_SIZE;
		l3[i] = pa | attrs | (is_code ? 3ull : 1ull) << 6 | 3;
	}
	for (unsigned i = 0; i < 512; i++) {
		uint64_t pa = 0x40000000ull + ((uint64_t)i << 21);
		bool vec = (VBAR_UNMAPPED & ~0x1fffffull) == pa;
		l2b[i] = pa | attrs | (vec ? 3ull : 1ull) << 6 | 1;
	}
}
static void mmu_regs(struct accel_vcpu *v)
{
	accel_set_sysreg(v, SYSREG_MAIR_EL1, 0xff);
	/* T0SZ 25, IRGN0/ORGN0 write-back, SH0 inner, TG0 4K, EPD1, IPS 48 bits */
	accel_set_sysreg(v, SYSREG_TCR_EL1, 25 | 1ull << 8 | 1ull << 10 | 3ull << 12 | 1ull << 23 | 5ull << 32);
	accel_set_sysreg(v, SYSREG_TTBR0_EL1, TT_IPA);
}

static void setreg(struct accel_vcpu *v, unsigned r, uint64_t val)
{
	accel_set_reg(v, (enum accel_reg)(ACCEL_REG_X0 + r), val);
}

static void *thread_main(void *arg)
{
	intptr_t ok = 0;
	struct accel_vcpu *v;
	const struct accel_exit *ex;
	(void)arg;
	if (accel_vcpu_create(vm, &v, &ex))
		return (void *)ok;
	accel_set_trap_debug_exceptions(v, true);
	accel_set_sysreg(v, SYSREG_VBAR_EL1, VBAR_UNMAPPED);
	mmu_regs(v);
	accel_set_reg(v, ACCEL_REG_CPSR, CPSR_EL1H);
	accel_set_sysreg(v, SYSREG_SCTLR_EL1, SCTLR_BASE);
	setreg(v, 1, DA(0x1000));
	setreg(v, 2, NITER);
	setreg(v, 4, 1);
	setreg(v, 6, DA(0x1008));
	setreg(v, 7, DA(0x1010));
	setreg(v, 10, DA(0x1020));
	setreg(v, 20, DA(0x1030));
	accel_set_reg(v, ACCEL_REG_PC, thread_pc);
	for (;;) {
		if (accel_vcpu_run(v))
			break;
		if (ex->reason == ACCEL_EXIT_CANCELED || ex->reason == ACCEL_EXIT_VTIMER_ACTIVATED)
			continue;
		uint64_t x2 = 1;
		accel_get_reg(v, (enum accel_reg)(ACCEL_REG_X0 + 2), &x2);
		ok = ex->reason == ACCEL_EXIT_EXCEPTION && ESR_EC(ex->esr) == EC_BRK && x2 == 0;
		if (!ok)
			printf("thread: exit %u ESR %#llx x2 %llu\n", ex->reason, (unsigned long long)ex->esr,
			       (unsigned long long)x2);
		break;
	}
	accel_vcpu_destroy(v);
	return (void *)ok;
}

static void test_threads(void)
{
	begin("atomicity across %d vCPU threads (LDAXR/STLXR, LDADD, LDXP/STXP, CASP, CAS)", NTHREADS);
	static const uint32_t prog[] = {
		0xc85ffc20, /* 1: ldaxr x0,[x1] */
		0x91000400, /* add x0,x0,#1 */
		0xc803fc20, /* stlxr w3,x0,[x1] */
		0x35ffffa3, /* cbnz w3,1b */
		0xf82400c5, /* ldadd x4,x5,[x6] */
		0xc87f24e8, /* 2: ldxp x8,x9,[x7] */
		0xb1000508, /* adds x8,x8,#1 */
		0x9a1f0129, /* adc x9,x9,xzr */
		0xc82324e8, /* stxp w3,x8,x9,[x7] */
		0x35ffff83, /* cbnz w3,2b */
		0xa940354c, /* ldp x12,x13,[x10] */
		0xb100058e, /* 3: adds x14,x12,#1 */
		0x9a1f01af, /* adc x15,x13,xzr */
		0xaa0c03f0, /* mov x16,x12 */
		0xaa0d03f1, /* mov x17,x13 */
		0x482c7d4e, /* casp x12,x13,x14,x15,[x10] */
		0xeb10019f, /* cmp x12,x16 */
		0xfa5101a0, /* ccmp x13,x17,#0,eq */
		0x54ffff21, /* b.ne 3b */
		0xb9400295, /* ldr w21,[x20] */
		0x11000eb6, /* 4: add w22,w21,#3 */
		0x2a1503f7, /* mov w23,w21 */
		0x88f5fe96, /* casal w21,w22,[x20] */
		0x6b1702bf, /* cmp w21,w23 */
		0x54ffff81, /* b.ne 4b */
		0xf1000442, /* subs x2,x2,#1 */
		0x54fffcc1, /* b.ne 1b */
		0xd4200000, /* brk #0 */
	};
	put_code(prog, sizeof(prog) / 4);
	thread_pc = t.pc;
	t.want = OUT_NONE;
	setm(0x1000, 8, 0);
	setm(0x1008, 8, 0);
	setm(0x1010, 8, 0xffffffffffffff00ull);
	setm(0x1018, 8, 7);
	setm(0x1020, 8, 0xfffffffffffffff0ull);
	setm(0x1028, 8, 0);
	setm(0x1030, 8, 0);
	pthread_t th[NTHREADS];
	for (int i = 0; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, thread_main, NULL)) {
			fail("pthread_create");
			return;
		}
	for (int i = 0; i < NTHREADS; i++) {
		void *r;
		pthread_join(th[i], &r);
		if (!r)
			fail("thread %d did not finish its loop", i);
	}
	uint64_t total = (uint64_t)NTHREADS * NITER;
	expm(0x1000, 8, total);
	expm(0x1008, 8, total);
	unsigned __int128 a = ((unsigned __int128)7 << 64 | 0xffffffffffffff00ull) + total;
	expm(0x1010, 8, (uint64_t)a);
	expm(0x1018, 8, (uint64_t)(a >> 64));
	unsigned __int128 b = (unsigned __int128)0xfffffffffffffff0ull + total;
	expm(0x1020, 8, (uint64_t)b);
	expm(0x1028, 8, (uint64_t)(b >> 64));
	expm(0x1030, 4, 3 * total);
}

int main(void)
{
	const struct accel_ops *ops = &accel_soft_ops;
	must(accel_vm_create(ops, NULL, &vm), "vm create");
	code = mmap(NULL, CODE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	data = mmap(NULL, DATA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (code == MAP_FAILED || data == MAP_FAILED) {
		printf("mmap failed\n");
		return 2;
	}
	must(accel_map(vm, code, CODE_IPA, CODE_SIZE, ACCEL_MEM_READ | ACCEL_MEM_WRITE | ACCEL_MEM_EXEC), "map code");
	must(accel_map(vm, data, DATA_IPA, DATA_SIZE, ACCEL_MEM_READ | ACCEL_MEM_WRITE), "map data");
	tt = mmap(NULL, TT_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (tt == MAP_FAILED) {
		printf("mmap failed\n");
		return 2;
	}
	mmu_tables();
	must(accel_map(vm, tt, TT_IPA, TT_SIZE, ACCEL_MEM_READ), "map page tables");
	must(accel_vcpu_create(vm, &cpu, &vexit), "vcpu create");
	mmu_regs(cpu);
	must(accel_set_trap_debug_exceptions(cpu, true), "trap debug");
	must(accel_set_sysreg(cpu, SYSREG_VBAR_EL1, VBAR_UNMAPPED), "set vbar");

	test_uimm();
	test_unscaled();
	test_index();
	test_regoff();
	test_unpriv();
	test_literal();
	test_prfm();
	test_pairs();
	test_sp();
	test_align();
	test_excl();
	test_acqrel();
	test_atomics();
	test_cas();
	test_mmio();
	test_xzr();
	test_threads();
	finish();

	accel_vcpu_destroy(cpu);
	accel_vm_destroy(vm);
	return check_summary();
}
