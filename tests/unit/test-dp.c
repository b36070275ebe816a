/* Unit test of the A64 integer data-processing instructions on the soft CPU:
 * small snippets run through the accelerator API (EL1h, MMU off) and the
 * registers and NZCV checked against hand-computed results (Arm ARM
 * pseudocode), plus reserved encodings that must be UNDEFINED.
 *
 * Each snippet is written at a fresh address of a RAM area (never rewritten,
 * so no code-cache invalidation is needed), followed by `brk #0`, which exits
 * to the VMM (trap_debug_exceptions) with EC 0x3C. UNDEFINED is seen through
 * VBAR_EL1 pointing at unmapped memory: the vector fetch exits with EC 0x20,
 * and ESR_EL1 then holds EC 0 (Unknown) with IL = 1.
 *
 * Every register that a case does not name must come back unchanged, and
 * NZCV too unless the case checks it. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel/accel.h"
#include "check.h"

#define CODE_IPA 0x10000ull
#define CODE_SIZE (1u << 20)
#define VBAR_UNMAPPED 0x7f000000ull
#define INSN_BRK0 0xd4200000u

/* NZCV in the 4-bit form of the instructions' #nzcv operand. */
enum { N = 8, Z = 4, C = 2, V = 1 };

static const struct accel_ops *ops;
static struct accel_vm *vm;
static struct accel_vcpu *cpu;
static const struct accel_exit *vexit;
static uint32_t *code;
static size_t code_pos; /* next free word */

struct state {
	uint64_t x[31];
	uint64_t sp;
	unsigned nzcv;
};

enum outcome { OUT_BRK, OUT_UNDEF, OUT_OTHER };

static struct {
	const char *name;
	bool active, ok, ran;
	struct state in, out;
	enum outcome outcome;
	uint64_t pc;           /* first instruction */
	bool seen[32];         /* registers checked (31 = SP) */
	bool nzcv_seen, want_undef;
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

static void finish(void)
{
	if (!t.active)
		return;
	t.active = false;
	if (!t.ran) {
		fail("not run");
	} else if (t.want_undef) {
		if (t.outcome != OUT_UNDEF)
			fail("expected UNDEFINED, got %s", t.outcome == OUT_BRK ? "normal completion" : "another exit");
	} else if (t.outcome != OUT_BRK) {
		fail("did not reach the final brk (%s)", t.outcome == OUT_UNDEF ? "UNDEFINED" : "other exit");
	}
	if (t.ran && (t.outcome == OUT_BRK || t.outcome == OUT_UNDEF)) {
		for (unsigned i = 0; i < 31; i++)
			if (!t.seen[i] && t.out.x[i] != t.in.x[i])
				fail("x%u changed: %#llx -> %#llx", i, (unsigned long long)t.in.x[i],
				     (unsigned long long)t.out.x[i]);
		if (!t.seen[31] && t.out.sp != t.in.sp)
			fail("sp changed: %#llx -> %#llx", (unsigned long long)t.in.sp, (unsigned long long)t.out.sp);
		if (!t.nzcv_seen && !t.want_undef && t.out.nzcv != t.in.nzcv)
			fail("nzcv changed: %#x -> %#x", t.in.nzcv, t.out.nzcv);
	}
	check_count(t.ok);
}

/* Start a case: registers get distinct recognisable values. */
static void begin(const char *name)
{
	finish();
	memset(&t, 0, sizeof(t));
	t.name = name;
	check_ctx = t.name;
	t.active = true;
	t.ok = true;
	for (unsigned i = 0; i < 31; i++)
		t.in.x[i] = 0x5a5a5a5a00000000ull | (0x01010101ull * (i + 1));
	t.in.sp = 0xa5a5a5a5a5a5a000ull;
}

static void setx(unsigned r, uint64_t v) { t.in.x[r] = v; }
static void setsp(uint64_t v) { t.in.sp = v; }
static void setnzcv(unsigned f) { t.in.nzcv = f; }

static void must(int rc, const char *what)
{
	if (rc) {
		printf("accel call failed: %s (%d)\n", what, rc);
		exit(2);
	}
}

static void run_words(const uint32_t *w, size_t n)
{
	if (code_pos + n + 1 > CODE_SIZE / 4) {
		printf("code area exhausted\n");
		exit(2);
	}
	t.pc = CODE_IPA + code_pos * 4;
	memcpy(code + code_pos, w, n * 4);
	code[code_pos + n] = INSN_BRK0;
	uint64_t brk_pc = t.pc + n * 4;
	code_pos += n + 1;

	for (unsigned i = 0; i < 31; i++)
		must(accel_set_reg(cpu, (enum accel_reg)(ACCEL_REG_X0 + i), t.in.x[i]), "set x");
	must(accel_set_reg(cpu, ACCEL_REG_CPSR, 0x3c5ull | (uint64_t)t.in.nzcv << 28), "set cpsr");
	must(accel_set_sysreg(cpu, SYSREG_SP_EL1, t.in.sp), "set sp");
	must(accel_set_reg(cpu, ACCEL_REG_PC, t.pc), "set pc");
	must(accel_set_sysreg(cpu, SYSREG_ESR_EL1, 0), "set esr");
	must(accel_vcpu_run(cpu), "run");
	t.ran = true;

	uint64_t pc, cpsr;
	for (unsigned i = 0; i < 31; i++)
		must(accel_get_reg(cpu, (enum accel_reg)(ACCEL_REG_X0 + i), &t.out.x[i]), "get x");
	must(accel_get_reg(cpu, ACCEL_REG_PC, &pc), "get pc");
	must(accel_get_reg(cpu, ACCEL_REG_CPSR, &cpsr), "get cpsr");
	t.out.nzcv = (unsigned)(cpsr >> 28) & 0xf;
	t.outcome = OUT_OTHER;
	if (vexit->reason == ACCEL_EXIT_EXCEPTION && ESR_EC(vexit->esr) == EC_BRK) {
		must(accel_get_sysreg(cpu, SYSREG_SP_EL1, &t.out.sp), "get sp");
		if (pc == brk_pc)
			t.outcome = OUT_BRK;
		else
			printf("note %s: brk at %#llx, expected %#llx\n", t.name, (unsigned long long)pc,
			       (unsigned long long)brk_pc);
	} else if (vexit->reason == ACCEL_EXIT_EXCEPTION && ESR_EC(vexit->esr) == EC_IABT_LOWER &&
		   (vexit->va & ~0xfffull) == VBAR_UNMAPPED) {
		/* An exception was taken to EL1: SPSR_EL1 has the NZCV, SP_EL1 is
		 * the SP of the interrupted EL1h code. */
		uint64_t esr, elr, spsr;
		must(accel_get_sysreg(cpu, SYSREG_ESR_EL1, &esr), "get esr");
		must(accel_get_sysreg(cpu, SYSREG_ELR_EL1, &elr), "get elr");
		must(accel_get_sysreg(cpu, SYSREG_SPSR_EL1, &spsr), "get spsr");
		must(accel_get_sysreg(cpu, SYSREG_SP_EL1, &t.out.sp), "get sp");
		t.out.nzcv = (unsigned)(spsr >> 28) & 0xf;
		if (esr == 0x02000000u && elr == t.pc)
			t.outcome = OUT_UNDEF;
		else
			printf("note %s: exception ESR %#llx ELR %#llx\n", t.name, (unsigned long long)esr,
			       (unsigned long long)elr);
	} else {
		printf("note %s: exit reason %u ESR %#llx VA %#llx\n", t.name, vexit->reason,
		       (unsigned long long)vexit->esr, (unsigned long long)vexit->va);
	}
}

#define RUN(...) run_words((const uint32_t[]){ __VA_ARGS__ }, sizeof((const uint32_t[]){ __VA_ARGS__ }) / 4)

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
static void expnzcv(unsigned f)
{
	t.nzcv_seen = true;
	if (t.outcome == OUT_BRK && t.out.nzcv != f)
		fail("nzcv = %#x, expected %#x", t.out.nzcv, f);
}
static void expundef(void)
{
	t.want_undef = true;
}

/* A case that must be UNDEFINED. */
static void undef(const char *name, uint32_t insn)
{
	begin(name);
	RUN(insn);
	expundef();
}

/* ConditionHolds (Arm ARM shared pseudocode), on a 4-bit NZCV. */
static bool cond_ref(unsigned cond, unsigned f)
{
	bool n = f & N, z = f & Z, c = f & C, v = f & V, r;
	switch (cond >> 1) {
	case 0: r = z; break;
	case 1: r = c; break;
	case 2: r = n; break;
	case 3: r = v; break;
	case 4: r = c && !z; break;
	case 5: r = n == v; break;
	case 6: r = n == v && !z; break;
	default: r = true; break;
	}
	if ((cond & 1) && cond != 15)
		r = !r;
	return r;
}

/* ---- Add/subtract (immediate) ---- */
static void test_addsub_imm(void)
{
	begin("add x0, x1, #0xfff");
	setx(1, 1);
	RUN(0x913ffc20 /* add x0, x1, #0xfff */);
	expx(0, 0x1000);

	begin("add lsl #12");
	setx(1, 0x10);
	RUN(0x91400420 /* add x0, x1, #1, lsl #12 */);
	expx(0, 0x1010);

	begin("sub lsl #12 negative");
	setx(1, 0);
	RUN(0xd17ffc20 /* sub x0, x1, #4095, lsl #12 */);
	expx(0, 0xffffffffff001000ull);

	begin("sub w: zero-extends");
	setx(1, 0xffffffff00000000ull);
	setnzcv(N | V);
	RUN(0x51000420 /* sub w0, w1, #1 */);
	expx(0, 0xffffffffull);

	begin("adds signed overflow");
	setx(1, 0x7fffffffffffffffull);
	RUN(0xb1000420 /* adds x0, x1, #1 */);
	expx(0, 0x8000000000000000ull);
	expnzcv(N | V);

	begin("adds carry to zero");
	setx(1, ~0ull);
	RUN(0xb1000420 /* adds x0, x1, #1 */);
	expx(0, 0);
	expnzcv(Z | C);

	begin("subs #0 sets C");
	setx(1, 0);
	setnzcv(N | V);
	RUN(0xf1000020 /* subs x0, x1, #0 */);
	expx(0, 0);
	expnzcv(Z | C);

	begin("subs w borrow");
	setx(1, 0x100000000ull);
	RUN(0x71000420 /* subs w0, w1, #1 */);
	expx(0, 0xffffffffull);
	expnzcv(N);

	begin("cmp w signed overflow");
	setx(1, 0x80000000ull);
	RUN(0x7100043f /* cmp w1, #1 */);
	expnzcv(C | V);

	begin("cmn w -1");
	setx(1, 0xffffffffull);
	RUN(0x3100043f /* cmn w1, #1 */);
	expnzcv(Z | C);

	begin("adds w: no carry from bit 63");
	setx(1, 0xffffffff7fffffffull);
	RUN(0x31000420 /* adds w0, w1, #1 */);
	expx(0, 0x80000000ull);
	expnzcv(N | V);

	begin("mov x0, sp");
	setsp(0x12345);
	RUN(0x910003e0 /* mov x0, sp */);
	expx(0, 0x12345);

	begin("mov sp, x1");
	setx(1, 0x4440);
	RUN(0x9100003f /* mov sp, x1 */);
	expsp(0x4440);

	begin("add sp, x1, #16");
	setx(1, 0x1000);
	RUN(0x9100403f /* add sp, x1, #16 */);
	expsp(0x1010);

	begin("sub sp, sp, #0x20");
	setsp(0x2000);
	RUN(0xd10083ff /* sub sp, sp, #0x20 */);
	expsp(0x1fe0);

	begin("adds x0, sp, #1 (Rn is SP)");
	setsp(0x2000);
	RUN(0xb10007e0 /* adds x0, sp, #1 */);
	expx(0, 0x2001);
	expnzcv(0);

	begin("cmp sp, #0x10 (Rd is XZR)");
	setsp(0x10);
	RUN(0xf10043ff /* cmp sp, #0x10 */);
	expnzcv(Z | C);

	begin("add w0, wsp, #4");
	setsp(0x10000fffeull);
	RUN(0x110013e0 /* add w0, wsp, #4 */);
	expx(0, 0x10002);

	begin("add wsp, w1, #1 zero-extends SP");
	setx(1, 0xffffffff00000fffull);
	RUN(0x1100043f /* add wsp, w1, #1 */);
	expsp(0x1000);
}

/* ---- Add/subtract (shifted register) ---- */
static void test_addsub_shifted(void)
{
	begin("add lsl #63");
	setx(1, 1);
	setx(2, 3);
	RUN(0x8b02fc20 /* add x0, x1, x2, lsl #63 */);
	expx(0, 0x8000000000000001ull);

	begin("add w lsr #31");
	setx(1, 1);
	setx(2, 0xffffffff80000000ull);
	RUN(0x0b427c20 /* add w0, w1, w2, lsr #31 */);
	expx(0, 2);

	begin("sub asr #4");
	setx(1, 0);
	setx(2, 0x8000000000000000ull);
	RUN(0xcb821020 /* sub x0, x1, x2, asr #4 */);
	expx(0, 0x0800000000000000ull);

	begin("subs negative");
	setx(1, 5);
	setx(2, 7);
	RUN(0xeb020020 /* subs x0, x1, x2 */);
	expx(0, 0xfffffffffffffffeull);
	expnzcv(N);

	begin("subs overflow");
	setx(1, 0x8000000000000000ull);
	setx(2, 1);
	RUN(0xeb020020 /* subs x0, x1, x2 */);
	expx(0, 0x7fffffffffffffffull);
	expnzcv(C | V);

	begin("adds w asr #31");
	setx(1, 1);
	setx(2, 0x80000000ull);
	RUN(0x2b827c20 /* adds w0, w1, w2, asr #31 */);
	expx(0, 0);
	expnzcv(Z | C);

	begin("negs INT64_MIN");
	setx(1, 0x8000000000000000ull);
	RUN(0xeb0103e0 /* negs x0, x1 */);
	expx(0, 0x8000000000000000ull);
	expnzcv(N | V);

	begin("negs 0");
	setx(1, 0);
	RUN(0xeb0103e0 /* negs x0, x1 */);
	expx(0, 0);
	expnzcv(Z | C);

	begin("cmn INT64_MIN, INT64_MIN");
	setx(1, 0x8000000000000000ull);
	setx(2, 0x8000000000000000ull);
	RUN(0xab02003f /* cmn x1, x2 */);
	expnzcv(Z | C | V);

	begin("add Rn=31 is XZR");
	setx(1, 5);
	setsp(0x1000);
	RUN(0x8b0103e0 /* add x0, xzr, x1 */);
	expx(0, 5);

	begin("add xzr discards");
	setx(1, 5);
	setx(2, 6);
	RUN(0x8b02003f /* add xzr, x1, x2 */);

	begin("subs w lsl #31");
	setx(1, 0);
	setx(2, 0xffffffff00000001ull);
	RUN(0x6b027c20 /* subs w0, w1, w2, lsl #31 */);
	expx(0, 0x80000000ull);
	expnzcv(N | V);

	begin("sub w ignores high bits");
	setx(1, 0x0000000500000003ull);
	setx(2, 0x0000000700000001ull);
	RUN(0x4b020020 /* sub w0, w1, w2 */);
	expx(0, 2);

	begin("add same register");
	setx(3, 0x4000000000000000ull);
	RUN(0x8b030063 /* add x3, x3, x3 */);
	expx(3, 0x8000000000000000ull);

	undef("add shift=11 reserved", 0x8bc20020);
	undef("add w lsl #32 reserved", 0x0b028020);
	undef("subs w asr #63 reserved", 0x6b82fc20);
}

/* ---- Add/subtract (extended register) ---- */
static void test_addsub_ext(void)
{
	begin("add uxtb #4");
	setx(1, 1);
	setx(2, 0x1ff);
	RUN(0x8b221020 /* add x0, x1, w2, uxtb #4 */);
	expx(0, 0xff1);

	begin("add sxtb");
	setx(1, 0);
	setx(2, 0x80);
	RUN(0x8b228020 /* add x0, x1, w2, sxtb */);
	expx(0, 0xffffffffffffff80ull);

	begin("sub sxth #1");
	setx(1, 0);
	setx(2, 0x12348000);
	RUN(0xcb22a420 /* sub x0, x1, w2, sxth #1 */);
	expx(0, 0x10000);

	begin("add uxth #3");
	setx(1, 0);
	setx(2, 0xffffffffffffffffull);
	RUN(0x8b222c20 /* add x0, x1, w2, uxth #3 */);
	expx(0, 0x7fff8);

	begin("add uxtw #2");
	setx(1, 1);
	setx(2, 0xffffffff80000000ull);
	RUN(0x8b224820 /* add x0, x1, w2, uxtw #2 */);
	expx(0, 0x200000001ull);

	begin("add sxtw");
	setx(1, 5);
	setx(2, 0xffffffffull);
	RUN(0x8b22c020 /* add x0, x1, w2, sxtw */);
	expx(0, 4);

	begin("add sxtw #4");
	setx(1, 0);
	setx(2, 0x80000000ull);
	RUN(0x8b22d020 /* add x0, x1, w2, sxtw #4 */);
	expx(0, 0xfffffff800000000ull);

	begin("add sxtx #3");
	setx(1, 1);
	setx(2, 2);
	RUN(0x8b22ec20 /* add x0, x1, x2, sxtx #3 */);
	expx(0, 17);

	begin("add sp, sp, w1, uxtw");
	setsp(0x1000);
	setx(1, 0xffffffff00000010ull);
	RUN(0x8b2143ff /* add sp, sp, w1, uxtw */);
	expsp(0x1010);

	begin("add x0, sp, x1");
	setsp(0x1000);
	setx(1, 0x20);
	RUN(0x8b2163e0 /* add x0, sp, x1 */);
	expx(0, 0x1020);

	begin("sub sp, sp, x1, lsl #4");
	setsp(0x1000);
	setx(1, 0x10);
	RUN(0xcb2173ff /* sub sp, sp, x1, lsl #4 */);
	expsp(0xf00);

	begin("adds w uxth carry");
	setx(1, 0xffff0001ull);
	setx(2, 0xffff);
	RUN(0x2b222020 /* adds w0, w1, w2, uxth */);
	expx(0, 0);
	expnzcv(Z | C);

	begin("cmp w sxtb");
	setx(1, 0x7f);
	setx(2, 0x80);
	setnzcv(Z | C | V);
	RUN(0x6b22803f /* cmp w1, w2, sxtb */);
	expnzcv(0);

	begin("add w sxtw is identity");
	setx(1, 1);
	setx(2, 0xffffffffull);
	RUN(0x0b22c020 /* add w0, w1, w2, sxtw */);
	expx(0, 0);

	begin("sub w uxtx #4");
	setx(1, 0x100);
	setx(2, 0x1000000000000001ull);
	RUN(0x4b227020 /* sub w0, w1, w2, uxtx #4 */);
	expx(0, 0xf0);

	begin("add wsp, w1, w2, uxtb");
	setx(1, 0xfffffff0ull);
	setx(2, 0x120);
	RUN(0x0b22003f /* add wsp, w1, w2, uxtb */);
	expsp(0x10);

	begin("adds xzr (cmn) Rn=SP");
	setsp(0xfffffffffffffff0ull);
	setx(1, 0x10);
	RUN(0xab2163ff /* cmn sp, x1 */);
	expnzcv(Z | C);

	begin("subs x0, sp, w1, sxtw #1");
	setsp(0);
	setx(1, 0xffffffffull);
	RUN(0xeb21c7e0 /* subs x0, sp, w1, sxtw #1 */);
	expx(0, 2);
	expnzcv(0);

	undef("add extend amount 5", 0x8b221420);
	undef("add extended opt=01", 0x8b620020);
	undef("add extended opt=10 (w)", 0x0ba20020);
}

/* ---- Add/subtract with carry ---- */
static void test_adc(void)
{
	begin("adc wraps, flags kept");
	setx(1, ~0ull);
	setx(2, 0);
	setnzcv(C);
	RUN(0x9a020020 /* adc x0, x1, x2 */);
	expx(0, 0);

	begin("adcs carry");
	setx(1, ~0ull);
	setx(2, 0);
	setnzcv(C);
	RUN(0xba020020 /* adcs x0, x1, x2 */);
	expx(0, 0);
	expnzcv(Z | C);

	begin("adcs overflow by carry-in");
	setx(1, 0x7fffffffffffffffull);
	setx(2, 0);
	setnzcv(C);
	RUN(0xba020020 /* adcs x0, x1, x2 */);
	expx(0, 0x8000000000000000ull);
	expnzcv(N | V);

	begin("adcs no carry-in");
	setx(1, 0x8000000000000000ull);
	setx(2, 0x8000000000000000ull);
	RUN(0xba020020 /* adcs x0, x1, x2 */);
	expx(0, 0);
	expnzcv(Z | C | V);

	begin("sbcs borrow in");
	setx(1, 0);
	setx(2, 0);
	RUN(0xfa020020 /* sbcs x0, x1, x2 */);
	expx(0, ~0ull);
	expnzcv(N);

	begin("sbcs equal");
	setx(1, 5);
	setx(2, 5);
	setnzcv(C);
	RUN(0xfa020020 /* sbcs x0, x1, x2 */);
	expx(0, 0);
	expnzcv(Z | C);

	begin("adcs w overflow");
	setx(1, 0xaaaaaaaa7fffffffull);
	setx(2, 0x5555555500000000ull);
	setnzcv(C);
	RUN(0x3a020020 /* adcs w0, w1, w2 */);
	expx(0, 0x80000000ull);
	expnzcv(N | V);

	begin("adcs w carry out");
	setx(1, 0xffffffffull);
	setx(2, 0xffffffffull);
	setnzcv(C);
	RUN(0x3a020020 /* adcs w0, w1, w2 */);
	expx(0, 0xffffffffull);
	expnzcv(N | C);

	begin("sbc w");
	setx(1, 0);
	setx(2, 0);
	RUN(0x5a020020 /* sbc w0, w1, w2 */);
	expx(0, 0xffffffffull);

	begin("sbcs w INT_MIN - 0 - borrow");
	setx(1, 0x80000000ull);
	setx(2, 0);
	RUN(0x7a020020 /* sbcs w0, w1, w2 */);
	expx(0, 0x7fffffffull);
	expnzcv(C | V);

	begin("ngcs");
	setx(1, 0);
	setnzcv(C);
	RUN(0xfa0103e0 /* ngcs x0, x1 */);
	expx(0, 0);
	expnzcv(Z | C);

	begin("128-bit add");
	setx(1, ~0ull);
	setx(2, 1);
	setx(3, 1);
	setx(4, 2);
	RUN(0xab030020 /* adds x0, x1, x3 */, 0x9a040045 /* adc x5, x2, x4 */);
	expx(0, 0);
	expx(5, 4);
	expnzcv(Z | C);

	undef("adc op3!=0", 0x9a020420);
	undef("rmif (FEAT_FlagM)", 0xba008402 /* rmif x0, #1, #2 */);
	undef("setf8 (FEAT_FlagM)", 0x3a00080d /* setf8 w0 */);
	undef("setf16 (FEAT_FlagM)", 0x3a00480d /* setf16 w0 */);
}

/* ---- Logical (immediate) ---- */
static void test_logic_imm(void)
{
	begin("and #0xff");
	setx(1, 0x1234);
	RUN(0x92401c20 /* and x0, x1, #0xff */);
	expx(0, 0x34);

	begin("orr w rotated");
	setx(1, 0xffffffff00000010ull);
	RUN(0x32010420 /* orr w0, w1, #0x80000001 */);
	expx(0, 0x80000011ull);

	begin("eor replicated 2-bit element");
	setx(1, ~0ull);
	RUN(0xd200f020 /* eor x0, x1, #0x5555555555555555 */);
	expx(0, 0xaaaaaaaaaaaaaaaaull);

	begin("eor replicated 16-bit element");
	setx(1, 0);
	RUN(0xd2009c20 /* eor x0, x1, #0x00ff00ff00ff00ff */);
	expx(0, 0x00ff00ff00ff00ffull);

	begin("ands clears C and V");
	setx(1, ~0ull);
	setnzcv(C | V);
	RUN(0xf2410020 /* ands x0, x1, #0x8000000000000000 */);
	expx(0, 0x8000000000000000ull);
	expnzcv(N);

	begin("tst w zero");
	setx(1, 0xfffffffe00000002ull);
	setnzcv(N | C | V);
	RUN(0x7200003f /* tst w1, #1 */);
	expnzcv(Z);

	begin("ands w negative");
	setx(1, 0xffffffffffffffffull);
	RUN(0x721f7820 /* ands w0, w1, #0xfffffffe */);
	expx(0, 0xfffffffeull);
	expnzcv(N);

	begin("mov bitmask immediate");
	RUN(0x92800020 /* mov x0, #0xfffffffffffffffe */);
	expx(0, 0xfffffffffffffffeull);

	begin("mov w bitmask immediate");
	RUN(0x32089fe0 /* mov w0, #0xff00ff00 */);
	expx(0, 0xff00ff00ull);

	begin("orr sp, x1, #0xf");
	setx(1, 0x1000);
	RUN(0xb2400c3f /* orr sp, x1, #0xf */);
	expsp(0x100f);

	begin("and wsp, w1, #0xfff0");
	setx(1, 0xffffffffffffffffull);
	RUN(0x121c2c3f /* and wsp, w1, #0xfff0 */);
	expsp(0xfff0);

	begin("and w");
	setx(1, 0xffffffffffffffffull);
	RUN(0x121f7820 /* and w0, w1, #0xfffffffe */);
	expx(0, 0xfffffffeull);

	begin("eor w clears high bits");
	setx(1, 0xffffffff00000000ull);
	RUN(0x52001c20 /* eor w0, w1, #0xff */);
	expx(0, 0xff);

	begin("and 32-bit element replicated");
	setx(1, ~0ull);
	RUN(0x92007820 /* and x0, x1, #0x7fffffff7fffffff */);
	expx(0, 0x7fffffff7fffffffull);

	begin("and 64-bit 63 ones rotated");
	setx(1, ~0ull);
	RUN(0x9241f820 /* and x0, x1, #0xbfffffffffffffff */);
	expx(0, 0xbfffffffffffffffull);

	undef("and w N=1", 0x12400020);
	undef("and x all-ones element (64)", 0x9240fc20);
	undef("and x imms=111111 N=0", 0x9200fc20);
	undef("orr w all-ones element (32)", 0x32007c20);
	undef("eor x all-ones 2-bit element", 0xd200f420);
}

/* ---- Move wide ---- */
static void test_movw(void)
{
	begin("movz lsl #48");
	RUN(0xd2e24680 /* movz x0, #0x1234, lsl #48 */);
	expx(0, 0x1234000000000000ull);

	begin("movn #0");
	RUN(0x92800000 /* movn x0, #0 */);
	expx(0, ~0ull);

	begin("movn w lsl #16");
	RUN(0x12a24680 /* movn w0, #0x1234, lsl #16 */);
	expx(0, 0xedcbffffull);

	begin("movn x lsl #32");
	RUN(0x92dfffe0 /* movn x0, #0xffff, lsl #32 */);
	expx(0, 0xffff0000ffffffffull);

	begin("movk lsl #16");
	setx(0, 0x1111222233334444ull);
	RUN(0xf2b7dde0 /* movk x0, #0xbeef, lsl #16 */);
	expx(0, 0x11112222beef4444ull);

	begin("movk lsl #48");
	setx(0, 0x1111222233334444ull);
	RUN(0xf2f7dde0 /* movk x0, #0xbeef, lsl #48 */);
	expx(0, 0xbeef222233334444ull);

	begin("movk w clears high bits");
	setx(0, 0xffffffff12345678ull);
	RUN(0x7297dde0 /* movk w0, #0xbeef */);
	expx(0, 0x1234beefull);

	begin("movz w lsl #16");
	RUN(0x52bfffe0 /* movz w0, #0xffff, lsl #16 */);
	expx(0, 0xffff0000ull);

	begin("mov sequence");
	RUN(0xd2822220 /* movz x0, #0x1111 */, 0xf2a44440 /* movk x0, #0x2222, lsl #16 */, 0xf2c66660 /* movk x0, #0x3333, lsl #32 */,
	    0xf2e88880 /* movk x0, #0x4444, lsl #48 */);
	expx(0, 0x4444333322221111ull);

	begin("movz xzr discards");
	RUN(0xd280003f /* movz xzr, #1 */);

	undef("move wide opc=01", 0xb2800000);
	undef("movz w hw=2", 0x52c00020);
	undef("movk w hw=3", 0x72e00020);
}

/* ---- Bitfield ---- */
static void test_bitfield(void)
{
	begin("lsl #63");
	setx(1, 3);
	RUN(0xd3410020 /* lsl x0, x1, #63 */);
	expx(0, 0x8000000000000000ull);

	begin("lsl w #1");
	setx(1, 0xffffffffc0000001ull);
	RUN(0x531f7820 /* lsl w0, w1, #1 */);
	expx(0, 0x80000002ull);

	begin("lsr w #31");
	setx(1, 0xffffffff80000000ull);
	RUN(0x531f7c20 /* lsr w0, w1, #31 */);
	expx(0, 1);

	begin("lsr w #0 (ubfm 0,31)");
	setx(1, 0xffffffff87654321ull);
	RUN(0x53007c20 /* lsr w0, w1, #0 */);
	expx(0, 0x87654321ull);

	begin("asr #63");
	setx(1, 0x8000000000000000ull);
	RUN(0x937ffc20 /* asr x0, x1, #63 */);
	expx(0, ~0ull);

	begin("asr w #4");
	setx(1, 0x80000000ull);
	RUN(0x13047c20 /* asr w0, w1, #4 */);
	expx(0, 0xf8000000ull);

	begin("sxtb");
	setx(1, 0x80);
	RUN(0x93401c20 /* sxtb x0, w1 */);
	expx(0, 0xffffffffffffff80ull);

	begin("sxth w");
	setx(1, 0x8000);
	RUN(0x13003c20 /* sxth w0, w1 */);
	expx(0, 0xffff8000ull);

	begin("sxtw");
	setx(1, 0x1234567887654321ull);
	RUN(0x93407c20 /* sxtw x0, w1 */);
	expx(0, 0xffffffff87654321ull);

	begin("uxtb w");
	setx(1, 0x1ff);
	RUN(0x53001c20 /* uxtb w0, w1 */);
	expx(0, 0xff);

	begin("uxth w");
	setx(1, 0xffffffffffff8001ull);
	RUN(0x53003c20 /* uxth w0, w1 */);
	expx(0, 0x8001);

	begin("ubfx top nibble");
	setx(1, 0xa000000000000000ull);
	RUN(0xd37cfc20 /* ubfx x0, x1, #60, #4 */);
	expx(0, 0xa);

	begin("sbfx");
	setx(1, 0xf80);
	RUN(0x93442c20 /* sbfx x0, x1, #4, #8 */);
	expx(0, 0xfffffffffffffff8ull);

	begin("sbfx w");
	setx(1, 0xffffffff00000f80ull);
	RUN(0x13042c20 /* sbfx w0, w1, #4, #8 */);
	expx(0, 0xfffffff8ull);

	begin("sbfiz");
	setx(1, 2);
	RUN(0x93440420 /* sbfiz x0, x1, #60, #2 */);
	expx(0, 0xe000000000000000ull);

	begin("ubfiz w");
	setx(1, 0xffffffffull);
	RUN(0x53010020 /* ubfiz w0, w1, #31, #1 */);
	expx(0, 0x80000000ull);

	begin("ubfiz ubfm 5,3");
	setx(1, 0xff);
	RUN(0xd3450c20 /* ubfm x0, x1, #5, #3 */);
	expx(0, 0x7800000000000000ull);

	begin("sbfm w 31,0");
	setx(1, 1);
	RUN(0x131f0020 /* sbfm w0, w1, #31, #0 */);
	expx(0, 0xfffffffeull);

	begin("sbfm 0,62");
	setx(1, 0x4000000000000000ull);
	RUN(0x9340f820 /* sbfm x0, x1, #0, #62 */);
	expx(0, 0xc000000000000000ull);

	begin("ubfm 63,62 (lsl #1)");
	setx(1, 0xc000000000000001ull);
	RUN(0xd37ff820 /* ubfm x0, x1, #63, #62 */);
	expx(0, 0x8000000000000002ull);

	begin("ubfm 63,63 (lsr #63)");
	setx(1, 0x8000000000000000ull);
	RUN(0xd37ffc20 /* ubfm x0, x1, #63, #63 */);
	expx(0, 1);

	begin("ubfm 1,0 (bit 0 to bit 63)");
	setx(1, 0xffffffffffffffffull);
	RUN(0xd3410020 /* ubfm x0, x1, #1, #0 */);
	expx(0, 0x8000000000000000ull);

	begin("sbfm 1,0");
	setx(1, 1);
	RUN(0x93410020 /* sbfm x0, x1, #1, #0 */);
	expx(0, 0x8000000000000000ull);

	begin("bfi");
	setx(0, ~0ull);
	setx(1, 0x1234);
	RUN(0xb3783c20 /* bfi x0, x1, #8, #16 */);
	expx(0, 0xffffffffff1234ffull);

	begin("bfxil w clears high bits");
	setx(0, ~0ull);
	setx(1, 0xa0000000ull);
	RUN(0x331c7c20 /* bfxil w0, w1, #28, #4 */);
	expx(0, 0xfffffffaull);

	begin("bfm 0,63 copies");
	setx(0, 0x1234);
	setx(1, 0x5);
	RUN(0xb340fc20 /* bfm x0, x1, #0, #63 */);
	expx(0, 5);

	begin("bfi xzr (bfc)");
	setx(0, ~0ull);
	RUN(0xb37c0fe0 /* bfi x0, xzr, #4, #4 */);
	expx(0, 0xffffffffffffff0full);

	begin("bfi into top bit");
	setx(0, 0);
	setx(1, 0xffffffffffffffffull);
	RUN(0xb3410020 /* bfi x0, x1, #63, #1 */);
	expx(0, 0x8000000000000000ull);

	begin("bfi w into top bits");
	setx(0, 0xffffffff00000000ull);
	setx(1, 0x3);
	RUN(0x33020420 /* bfi w0, w1, #30, #2 */);
	expx(0, 0xc0000000ull);

	begin("bfm w 31,31");
	setx(0, 0x5555555555555554ull);
	setx(1, 0xffffffff80000000ull);
	RUN(0x331f7c20 /* bfm w0, w1, #31, #31 */);
	expx(0, 0x55555555ull);

	undef("sbfm x N=0", 0x93000020);
	undef("sbfm w N=1", 0x13400020);
	undef("sbfm w imms=32", 0x13008020);
	undef("ubfm w immr=32", 0x53200020);
	undef("bitfield opc=11", 0xf3400020);
}

/* ---- Extract ---- */
static void test_extr(void)
{
	begin("extr #4");
	setx(1, 0xf);
	setx(2, 0x1234567890abcdefull);
	RUN(0x93c21020 /* extr x0, x1, x2, #4 */);
	expx(0, 0xf1234567890abcdeull);

	begin("extr #63");
	setx(1, 0x4000000000000000ull);
	setx(2, 0x8000000000000000ull);
	RUN(0x93c2fc20 /* extr x0, x1, x2, #63 */);
	expx(0, 0x8000000000000001ull);

	begin("ror w #8");
	setx(1, 0xffffffff12345678ull);
	RUN(0x13812020 /* ror w0, w1, #8 */);
	expx(0, 0x78123456ull);

	begin("extr w #0");
	setx(1, 0x11111111);
	setx(2, 0xffffffff87654321ull);
	RUN(0x13820020 /* extr w0, w1, w2, #0 */);
	expx(0, 0x87654321ull);

	begin("extr w #31");
	setx(1, 0xffffffff00000001ull);
	setx(2, 0xffffffff80000000ull);
	RUN(0x13827c20 /* extr w0, w1, w2, #31 */);
	expx(0, 3);

	begin("extr x #0");
	setx(2, 0x1122334455667788ull);
	RUN(0x93c20020 /* extr x0, x1, x2, #0 */);
	expx(0, 0x1122334455667788ull);

	undef("extr w imms=32", 0x13828020);
	undef("extr x N=0", 0x93820020);
	undef("extr o0=1", 0x93e20020);
	undef("extr op21=01", 0xb3c20020);
	undef("extr op21=10", 0xd3c20020);
}

/* ---- ADR / ADRP ---- */
static void test_adr(void)
{
	begin("adr +4");
	RUN(0x10000020 /* adr x0, #4 */);
	expx(0, t.pc + 4);

	begin("adr -1");
	RUN(0x70ffffe0 /* adr x0, #-1 */);
	expx(0, t.pc - 1);

	begin("adr max");
	RUN(0x707fffe0 /* adr x0, #1048575 */);
	expx(0, t.pc + 1048575);

	begin("adr min");
	RUN(0x10800000 /* adr x0, #-1048576 */);
	expx(0, t.pc - 1048576);

	begin("adr second insn");
	setx(2, 1);
	RUN(0xd2800002 /* movz x2, #0 */, 0x10000000 /* adr x0, #0 */);
	expx(0, t.pc + 4);
	expx(2, 0);

	begin("adrp +1 page");
	RUN(0xb0000000 /* adrp x0, #4096 */);
	expx(0, (t.pc & ~0xfffull) + 0x1000);

	begin("adrp min");
	RUN(0x90800000 /* adrp x0, #-4294967296 */);
	expx(0, (t.pc & ~0xfffull) - 0x100000000ull);

	begin("adrp max");
	RUN(0xf07fffe0 /* adrp x0, #4294963200 */);
	expx(0, (t.pc & ~0xfffull) + 0xfffff000ull);

	begin("adr xzr discards");
	RUN(0x1000001f /* adr xzr, #0 */);
}

/* ---- Logical (shifted register) ---- */
static void test_logic_reg(void)
{
	begin("and ror #4");
	setx(1, ~0ull);
	setx(2, 0xf);
	RUN(0x8ac21020 /* and x0, x1, x2, ror #4 */);
	expx(0, 0xf000000000000000ull);

	begin("bic");
	setx(1, 0xff);
	setx(2, 0x0f);
	RUN(0x8a220020 /* bic x0, x1, x2 */);
	expx(0, 0xf0);

	begin("orn w lsl #4");
	setx(1, 0xffffffff00000000ull);
	setx(2, 0x0fffffff);
	RUN(0x2a221020 /* orn w0, w1, w2, lsl #4 */);
	expx(0, 0xf);

	begin("eon asr #63");
	setx(1, 1);
	setx(2, 0x8000000000000000ull);
	RUN(0xcaa2fc20 /* eon x0, x1, x2, asr #63 */);
	expx(0, 1);

	begin("eor w ror #31");
	setx(1, 0);
	setx(2, 1);
	RUN(0x4ac27c20 /* eor w0, w1, w2, ror #31 */);
	expx(0, 2);

	begin("eor w asr #31");
	setx(1, 0);
	setx(2, 0x80000000ull);
	RUN(0x4a827c20 /* eor w0, w1, w2, asr #31 */);
	expx(0, 0xffffffffull);

	begin("orr lsr #63");
	setx(1, 0);
	setx(2, 0x8000000000000000ull);
	RUN(0xaa42fc20 /* orr x0, x1, x2, lsr #63 */);
	expx(0, 1);

	begin("ands clears C V");
	setx(1, 0x8000000000000001ull);
	setx(2, 0x8000000000000000ull);
	setnzcv(C | V);
	RUN(0xea020020 /* ands x0, x1, x2 */);
	expx(0, 0x8000000000000000ull);
	expnzcv(N);

	begin("bics w zero");
	setx(1, 0xff);
	setx(2, 0xff);
	setnzcv(N | Z | C | V);
	RUN(0x6a220020 /* bics w0, w1, w2 */);
	expx(0, 0);
	expnzcv(Z);

	begin("bics w negative, inverted operand is 32-bit");
	setx(1, 0xffffffff80000000ull);
	setx(2, 0);
	RUN(0x6a220020 /* bics w0, w1, w2 */);
	expx(0, 0x80000000ull);
	expnzcv(N);

	begin("tst lsr");
	setx(1, 1);
	setx(2, 2);
	RUN(0xea42043f /* tst x1, x2, lsr #1 */);
	expnzcv(0);

	begin("mov x0, x1");
	setx(1, 0x123456789abcdef0ull);
	RUN(0xaa0103e0 /* mov x0, x1 */);
	expx(0, 0x123456789abcdef0ull);

	begin("mov w0, w1");
	setx(1, ~0ull);
	RUN(0x2a0103e0 /* mov w0, w1 */);
	expx(0, 0xffffffffull);

	begin("mvn x");
	setx(1, 0x00ff00ff00ff00ffull);
	RUN(0xaa2103e0 /* mvn x0, x1 */);
	expx(0, 0xff00ff00ff00ff00ull);

	begin("mvn w");
	setx(1, 0x00ff00ff00ff00ffull);
	RUN(0x2a2103e0 /* mvn w0, w1 */);
	expx(0, 0xff00ff00ull);

	begin("orr xzr lsl #4");
	setx(1, 0xf);
	RUN(0xaa0113e0 /* orr x0, xzr, x1, lsl #4 */);
	expx(0, 0xf0);

	begin("orn w ror");
	setx(1, 0);
	setx(2, 0xfffffffe);
	RUN(0x2ae20420 /* orn w0, w1, w2, ror #1 */);
	expx(0, 0x80000000ull);

	undef("and w lsl #32", 0x0a028020);
	undef("bics w ror #63", 0x6ae2fc20);
}

/* ---- Variable shifts ---- */
static void test_shiftv(void)
{
	begin("lslv mod 64");
	setx(1, 3);
	setx(2, 65);
	RUN(0x9ac22020 /* lsl x0, x1, x2 */);
	expx(0, 6);

	begin("lsrv w mod 32");
	setx(1, 0x80000000ull);
	setx(2, 33);
	RUN(0x1ac22420 /* lsr w0, w1, w2 */);
	expx(0, 0x40000000ull);

	begin("asrv w 31");
	setx(1, 0x80000000ull);
	setx(2, 31);
	RUN(0x1ac22820 /* asr w0, w1, w2 */);
	expx(0, 0xffffffffull);

	begin("asrv 63");
	setx(1, 0x8000000000000000ull);
	setx(2, 0xffffffffffffff3full);
	RUN(0x9ac22820 /* asr x0, x1, x2 */);
	expx(0, ~0ull);

	begin("rorv 68");
	setx(1, 1);
	setx(2, 68);
	RUN(0x9ac22c20 /* ror x0, x1, x2 */);
	expx(0, 0x1000000000000000ull);

	begin("rorv w 0 zero-extends");
	setx(1, 0xaaaaaaaa12345678ull);
	setx(2, 32);
	RUN(0x1ac22c20 /* ror w0, w1, w2 */);
	expx(0, 0x12345678ull);

	begin("rorv w 4");
	setx(1, 0x12345678ull);
	setx(2, 4);
	RUN(0x1ac22c20 /* ror w0, w1, w2 */);
	expx(0, 0x81234567ull);

	begin("lslv w");
	setx(1, 0xffffffffffffffffull);
	setx(2, 31);
	RUN(0x1ac22020 /* lsl w0, w1, w2 */);
	expx(0, 0x80000000ull);

	begin("lsrv 0");
	setx(1, 0x8000000000000000ull);
	setx(2, 64);
	RUN(0x9ac22420 /* lsr x0, x1, x2 */);
	expx(0, 0x8000000000000000ull);
}

/* ---- Conditional select / compare ---- */
static void test_cond(void)
{
	begin("csel eq taken");
	setx(1, 1);
	setx(2, 2);
	setnzcv(Z);
	RUN(0x9a820020 /* csel x0, x1, x2, eq */);
	expx(0, 1);

	begin("csel eq not taken");
	setx(1, 1);
	setx(2, 2);
	RUN(0x9a820020 /* csel x0, x1, x2, eq */);
	expx(0, 2);

	begin("csinc w wraps");
	setx(1, 1);
	setx(2, 0xffffffffull);
	setnzcv(Z);
	RUN(0x1a821420 /* csinc w0, w1, w2, ne */);
	expx(0, 0);

	begin("csinv");
	setx(1, 1);
	setx(2, 0x0f0f0f0f0f0f0f0full);
	setnzcv(N);
	RUN(0xda82a020 /* csinv x0, x1, x2, ge */);
	expx(0, 0xf0f0f0f0f0f0f0f0ull);

	begin("csinv w");
	setx(1, 1);
	setx(2, 0xffffffff0f0f0f0full);
	RUN(0x5a824020 /* csinv w0, w1, w2, mi */);
	expx(0, 0xf0f0f0f0ull);

	begin("csneg INT64_MIN");
	setx(1, 1);
	setx(2, 0x8000000000000000ull);
	RUN(0xda82b420 /* csneg x0, x1, x2, lt */);
	expx(0, 0x8000000000000000ull);

	begin("csneg w");
	setx(1, 1);
	setx(2, 5);
	RUN(0x5a82b420 /* csneg w0, w1, w2, lt */);
	expx(0, 0xfffffffbull);

	begin("csneg w taken zero-extends");
	setx(1, 0xffffffff00000005ull);
	setx(2, 7);
	setnzcv(C);
	RUN(0x5a828420 /* csneg w0, w1, w2, hi */);
	expx(0, 5);

	begin("cset hi with Z");
	setnzcv(C | Z);
	RUN(0x9a9f97e0 /* cset x0, hi */);
	expx(0, 0);

	begin("csetm w vs");
	setnzcv(V);
	RUN(0x5a9f73e0 /* csetm w0, vs */);
	expx(0, 0xffffffffull);

	begin("csel al");
	setx(1, 1);
	setx(2, 2);
	RUN(0x9a82e020 /* csel x0, x1, x2, al */);
	expx(0, 1);

	begin("csel nv");
	setx(1, 1);
	setx(2, 2);
	RUN(0x9a82f020 /* csel x0, x1, x2, nv */);
	expx(0, 1);

	/* Every condition against every NZCV: CSINC x0, xzr, xzr, cond gives
	 * 0 when cond holds, else 1 (and the W form the same). */
	static char names[2][16][16][40];
	for (unsigned sf = 0; sf < 2; sf++) {
		for (unsigned cond = 0; cond < 16; cond++) {
			for (unsigned f = 0; f < 16; f++) {
				snprintf(names[sf][cond][f], sizeof(names[sf][cond][f]), "csinc%s cond %u nzcv %#x",
					 sf ? "" : " w", cond, f);
				begin(names[sf][cond][f]);
				setnzcv(f);
				setx(0, 0x1234);
				RUN((sf ? 0x9a9f07e0u : 0x1a9f07e0u) | cond << 12);
				expx(0, cond_ref(cond, f) ? 0 : 1);
			}
		}
	}

	begin("ccmp true");
	setx(1, 5);
	setx(2, 5);
	setnzcv(Z);
	RUN(0xfa42002f /* ccmp x1, x2, #0xf, eq */);
	expnzcv(Z | C);

	begin("ccmp false");
	setx(1, 5);
	setx(2, 5);
	RUN(0xfa42002f /* ccmp x1, x2, #0xf, eq */);
	expnzcv(N | Z | C | V);

	begin("ccmn w imm");
	setx(1, 0xffffffe1ull);
	RUN(0x3a5f1820 /* ccmn w1, #31, #0, ne */);
	expnzcv(Z | C);

	begin("ccmp w imm al");
	setx(1, 0xffffffff00000000ull);
	RUN(0x7a40e822 /* ccmp w1, #0, #2, al */);
	expnzcv(Z | C);

	begin("ccmp imm borrow");
	setx(1, 0);
	setnzcv(C);
	RUN(0xfa412820 /* ccmp x1, #1, #0, cs */);
	expnzcv(N);

	begin("ccmn overflow");
	setx(1, 0x7fffffffffffffffull);
	setx(2, 1);
	setnzcv(N);
	RUN(0xba42b025 /* ccmn x1, x2, #5, lt */);
	expnzcv(N | V);

	begin("ccmp w overflow");
	setx(1, 0x80000000ull);
	setx(2, 0xffffffff00000001ull);
	RUN(0x7a42e020 /* ccmp w1, w2, #0, al */);
	expnzcv(C | V);

	begin("ccmn w imm 31 carry");
	setx(1, 0xfffffffffffffff0ull);
	RUN(0x3a50f820 /* ccmn w1, #16, #0, nv */);
	expnzcv(Z | C);

	begin("ccmp xzr");
	setnzcv(Z);
	RUN(0xfa400be0 /* ccmp xzr, #0, #0, eq */);
	expnzcv(Z | C);

	/* Every condition: CCMP x1, x2 (equal: Z C) or the immediate NZCV
	 * (N V) when the condition fails; both forms and sizes. */
	static char cnames[4][16][16][48];
	for (unsigned form = 0; form < 4; form++) {
		for (unsigned cond = 0; cond < 16; cond++) {
			for (unsigned f = 0; f < 16; f++) {
				bool sf = form & 1, imm = form & 2;
				snprintf(cnames[form][cond][f], sizeof(cnames[form][cond][f]),
					 "ccmp%s%s cond %u nzcv %#x", sf ? "" : " w", imm ? " imm" : "", cond, f);
				begin(cnames[form][cond][f]);
				setnzcv(f);
				setx(1, sf ? 7 : 0xffffffff00000007ull);
				setx(2, 7);
				/* ccmp x1, x2, #9, cond / ccmp x1, #7, #9, cond */
				uint32_t insn = imm ? 0xfa470829u : 0xfa420029u;
				if (!sf)
					insn &= 0x7fffffffu;
				RUN(insn | cond << 12);
				expnzcv(cond_ref(cond, f) ? (Z | C) : (N | V));
			}
		}
	}

	undef("ccmp o2=1", 0xfa420420);
	undef("ccmp o3=1", 0xfa420030);
	undef("ccmp S=0", 0xda420020);
	undef("ccmp imm o2=1", 0xfa420c20);
	undef("csel op2=10", 0x9a820820);
	undef("csel S=1", 0xba820020);
}

/* ---- Multiply ---- */
static void test_mul(void)
{
	begin("madd wraps");
	setx(1, 0x100000000ull);
	setx(2, 0x100000001ull);
	setx(3, 1);
	RUN(0x9b020c20 /* madd x0, x1, x2, x3 */);
	expx(0, 0x100000001ull);

	begin("msub w");
	setx(1, 3);
	setx(2, 4);
	setx(3, 10);
	RUN(0x1b028c20 /* msub w0, w1, w2, w3 */);
	expx(0, 0xfffffffeull);

	begin("mul w ignores high bits");
	setx(1, 0xffffffff00010000ull);
	setx(2, 0x0000000100010001ull);
	RUN(0x1b027c20 /* mul w0, w1, w2 */);
	expx(0, 0x10000);

	begin("mul x");
	setx(1, 0xffffffffffffffffull);
	setx(2, 0xffffffffffffffffull);
	RUN(0x9b027c20 /* mul x0, x1, x2 */);
	expx(0, 1);

	begin("mneg");
	setx(1, 3);
	setx(2, 5);
	RUN(0x9b02fc20 /* mneg x0, x1, x2 */);
	expx(0, (uint64_t)-15);

	begin("madd w with ra");
	setx(1, 0xffffffffull);
	setx(2, 2);
	setx(3, 0xffffffff00000003ull);
	RUN(0x1b020c20 /* madd w0, w1, w2, w3 */);
	expx(0, 1);

	begin("smaddl");
	setx(1, 0xffffffffull);
	setx(2, 0x80000000ull);
	setx(3, 1);
	RUN(0x9b220c20 /* smaddl x0, w1, w2, x3 */);
	expx(0, 0x80000001ull);

	begin("smull INT_MIN^2");
	setx(1, 0x1234567880000000ull);
	setx(2, 0x80000000ull);
	RUN(0x9b227c20 /* smull x0, w1, w2 */);
	expx(0, 0x4000000000000000ull);

	begin("umull max");
	setx(1, 0xffffffffffffffffull);
	setx(2, 0xffffffffull);
	RUN(0x9ba27c20 /* umull x0, w1, w2 */);
	expx(0, 0xfffffffe00000001ull);

	begin("umsubl");
	setx(1, 2);
	setx(2, 3);
	setx(3, 0);
	RUN(0x9ba28c20 /* umsubl x0, w1, w2, x3 */);
	expx(0, (uint64_t)-6);

	begin("smsubl");
	setx(1, 0xfffffffeull);
	setx(2, 3);
	setx(3, 0);
	RUN(0x9b228c20 /* smsubl x0, w1, w2, x3 */);
	expx(0, 6);

	begin("smnegl");
	setx(1, 0xfffffffeull);
	setx(2, 0xfffffffdull);
	RUN(0x9b22fc20 /* smnegl x0, w1, w2 */);
	expx(0, (uint64_t)-6);

	begin("umaddl");
	setx(1, 0x80000000ull);
	setx(2, 4);
	setx(3, 0xffffffffffffffffull);
	RUN(0x9ba20c20 /* umaddl x0, w1, w2, x3 */);
	expx(0, 0x1ffffffffull);

	begin("smulh -1*-1");
	setx(1, ~0ull);
	setx(2, ~0ull);
	RUN(0x9b427c20 /* smulh x0, x1, x2 */);
	expx(0, 0);

	begin("smulh min*min");
	setx(1, 0x8000000000000000ull);
	setx(2, 0x8000000000000000ull);
	RUN(0x9b427c20 /* smulh x0, x1, x2 */);
	expx(0, 0x4000000000000000ull);

	begin("smulh -1*2");
	setx(1, ~0ull);
	setx(2, 2);
	RUN(0x9b427c20 /* smulh x0, x1, x2 */);
	expx(0, ~0ull);

	begin("umulh max");
	setx(1, ~0ull);
	setx(2, ~0ull);
	RUN(0x9bc27c20 /* umulh x0, x1, x2 */);
	expx(0, 0xfffffffffffffffeull);

	begin("umulh");
	setx(1, 0x123456789abcdef0ull);
	setx(2, 0x10);
	RUN(0x9bc27c20 /* umulh x0, x1, x2 */);
	expx(0, 1);

	begin("smulh Ra!=31 (constrained unpredictable, ignored)");
	setx(1, ~0ull);
	setx(2, 2);
	RUN(0x9b420020);
	expx(0, ~0ull);

	undef("smaddl sf=0", 0x1b220c20);
	undef("3-source op31=011", 0x9b620c20);
	undef("3-source op31=100", 0x9b820c20);
	undef("3-source op31=111", 0x9be20c20);
	undef("smulh o0=1", 0x9b42fc20);
	undef("umulh sf=0", 0x1bc27c20);
	undef("madd op54=01", 0xbb020c20);
	undef("3-source op54=11", 0xfb620c20);
}

/* ---- Divide ---- */
static void test_div(void)
{
	begin("udiv /0");
	setx(1, 100);
	setx(2, 0);
	RUN(0x9ac20820 /* udiv x0, x1, x2 */);
	expx(0, 0);

	begin("udiv");
	setx(1, 100);
	setx(2, 7);
	RUN(0x9ac20820 /* udiv x0, x1, x2 */);
	expx(0, 14);

	begin("udiv large");
	setx(1, ~0ull);
	setx(2, 2);
	RUN(0x9ac20820 /* udiv x0, x1, x2 */);
	expx(0, 0x7fffffffffffffffull);

	begin("sdiv INT64_MIN/-1");
	setx(1, 0x8000000000000000ull);
	setx(2, ~0ull);
	RUN(0x9ac20c20 /* sdiv x0, x1, x2 */);
	expx(0, 0x8000000000000000ull);

	begin("sdiv truncates");
	setx(1, (uint64_t)-7);
	setx(2, 2);
	RUN(0x9ac20c20 /* sdiv x0, x1, x2 */);
	expx(0, (uint64_t)-3);

	begin("sdiv /0");
	setx(1, (uint64_t)-7);
	setx(2, 0);
	RUN(0x9ac20c20 /* sdiv x0, x1, x2 */);
	expx(0, 0);

	begin("sdiv w INT_MIN/-1");
	setx(1, 0x80000000ull);
	setx(2, 0xffffffffull);
	RUN(0x1ac20c20 /* sdiv w0, w1, w2 */);
	expx(0, 0x80000000ull);

	begin("sdiv w");
	setx(1, 0xfffffff9ull);
	setx(2, 0x1234567800000002ull);
	RUN(0x1ac20c20 /* sdiv w0, w1, w2 */);
	expx(0, 0xfffffffdull);

	begin("sdiv w /0");
	setx(1, 0xfffffff9ull);
	setx(2, 0xffffffff00000000ull);
	RUN(0x1ac20c20 /* sdiv w0, w1, w2 */);
	expx(0, 0);

	begin("udiv w");
	setx(1, 0xffffffffffffffffull);
	setx(2, 0x100000002ull);
	RUN(0x1ac20820 /* udiv w0, w1, w2 */);
	expx(0, 0x7fffffffull);

	begin("udiv w /0");
	setx(1, 5);
	setx(2, 0x100000000ull);
	RUN(0x1ac20820 /* udiv w0, w1, w2 */);
	expx(0, 0);

	undef("2-source opcode 000001", 0x9ac20420);
	undef("2-source S=1", 0xbac20820);
	undef("subp (FEAT_MTE)", 0x9ac20020 /* subp x0, x1, x2 */);
	undef("irg (FEAT_MTE)", 0x9ac21020 /* irg x0, x1, x2 */);
	undef("gmi (FEAT_MTE)", 0x9ac21420 /* gmi x0, x1, x2 */);
	undef("pacga (FEAT_PAuth)", 0x9ac23020 /* pacga x0, x1, x2 */);
	undef("smax reg (FEAT_CSSC)", 0x9ac26020);
	undef("umin reg (FEAT_CSSC)", 0x9ac26c20);
	undef("addg (FEAT_MTE)", 0x91800020 /* addg x0, x1, #0, #0 */);
	undef("smax imm (FEAT_CSSC)", 0x91c00020);
}

/* ---- 1-source ---- */
static void test_dp1(void)
{
	begin("rbit 1");
	setx(1, 1);
	RUN(0xdac00020 /* rbit x0, x1 */);
	expx(0, 0x8000000000000000ull);

	begin("rbit pattern");
	setx(1, 0x0123456789abcdefull);
	RUN(0xdac00020 /* rbit x0, x1 */);
	expx(0, 0xf7b3d591e6a2c480ull);

	begin("rbit w");
	setx(1, 0xffffffff00000001ull);
	RUN(0x5ac00020 /* rbit w0, w1 */);
	expx(0, 0x80000000ull);

	begin("rbit w pattern");
	setx(1, 0x12345678ull);
	RUN(0x5ac00020 /* rbit w0, w1 */);
	expx(0, 0x1e6a2c48ull);

	begin("rev16 x");
	setx(1, 0x0011223344556677ull);
	RUN(0xdac00420 /* rev16 x0, x1 */);
	expx(0, 0x1100332255447766ull);

	begin("rev16 w");
	setx(1, 0xaabbccdd00112233ull);
	RUN(0x5ac00420 /* rev16 w0, w1 */);
	expx(0, 0x11003322ull);

	begin("rev32 x");
	setx(1, 0x0011223344556677ull);
	RUN(0xdac00820 /* rev32 x0, x1 */);
	expx(0, 0x3322110077665544ull);

	begin("rev w");
	setx(1, 0xaabbccdd11223344ull);
	RUN(0x5ac00820 /* rev w0, w1 */);
	expx(0, 0x44332211ull);

	begin("rev x");
	setx(1, 0x0011223344556677ull);
	RUN(0xdac00c20 /* rev x0, x1 */);
	expx(0, 0x7766554433221100ull);

	begin("clz 0");
	setx(1, 0);
	RUN(0xdac01020 /* clz x0, x1 */);
	expx(0, 64);

	begin("clz 1");
	setx(1, 1);
	RUN(0xdac01020 /* clz x0, x1 */);
	expx(0, 63);

	begin("clz top");
	setx(1, ~0ull);
	RUN(0xdac01020 /* clz x0, x1 */);
	expx(0, 0);

	begin("clz w 0");
	setx(1, 0xffffffff00000000ull);
	RUN(0x5ac01020 /* clz w0, w1 */);
	expx(0, 32);

	begin("clz w");
	setx(1, 0xffffffff00008000ull);
	RUN(0x5ac01020 /* clz w0, w1 */);
	expx(0, 16);

	begin("cls 0");
	setx(1, 0);
	RUN(0xdac01420 /* cls x0, x1 */);
	expx(0, 63);

	begin("cls -1");
	setx(1, ~0ull);
	RUN(0xdac01420 /* cls x0, x1 */);
	expx(0, 63);

	begin("cls 1");
	setx(1, 1);
	RUN(0xdac01420 /* cls x0, x1 */);
	expx(0, 62);

	begin("cls min");
	setx(1, 0x8000000000000000ull);
	RUN(0xdac01420 /* cls x0, x1 */);
	expx(0, 0);

	begin("cls 0xc0..");
	setx(1, 0xc000000000000000ull);
	RUN(0xdac01420 /* cls x0, x1 */);
	expx(0, 1);

	begin("cls w -1");
	setx(1, 0x00000000ffffffffull);
	RUN(0x5ac01420 /* cls w0, w1 */);
	expx(0, 31);

	begin("cls w min");
	setx(1, 0xffffffff80000000ull);
	RUN(0x5ac01420 /* cls w0, w1 */);
	expx(0, 0);

	begin("cls w 1");
	setx(1, 0xffffffff00000001ull);
	RUN(0x5ac01420 /* cls w0, w1 */);
	expx(0, 30);

	begin("cls w 0");
	setx(1, 0x8000000000000000ull);
	RUN(0x5ac01420 /* cls w0, w1 */);
	expx(0, 31);

	undef("rev w opc=11", 0x5ac00c20);
	undef("1-source S=1", 0xfac00020);
	undef("1-source opcode 000110 (ctz, FEAT_CSSC)", 0xdac01820);
	undef("1-source opcode 000111 (cnt, FEAT_CSSC)", 0xdac01c20);
	undef("1-source opcode 001000 (abs, FEAT_CSSC)", 0xdac02020);
	undef("pacia (FEAT_PAuth)", 0xdac10020 /* pacia x0, x1 */);
	undef("autia (FEAT_PAuth)", 0xdac11020 /* autia x0, x1 */);
	undef("xpaci (FEAT_PAuth)", 0xdac143e0 /* xpaci x0 */);
	undef("1-source opcode2=00010", 0xdac20020);
}

/* ---- CRC32 ---- */
static void test_crc(void)
{
	/* "123456789": 0x39 '9' after the first eight bytes, little-endian. */
	begin("crc32 123456789 (x + b)");
	setx(0, 0xffffffff);
	setx(1, 0x3837363534333231ull);
	setx(2, 0x39);
	RUN(0x9ac14c00 /* crc32x w0, w0, x1 */, 0x1ac24000 /* crc32b w0, w0, w2 */, 0x2a2003e0 /* mvn w0, w0 */);
	expx(0, 0xcbf43926);

	begin("crc32c 123456789 (x + b)");
	setx(0, 0xffffffff);
	setx(1, 0x3837363534333231ull);
	setx(2, 0x39);
	RUN(0x9ac15c00 /* crc32cx w0, w0, x1 */, 0x1ac25000 /* crc32cb w0, w0, w2 */, 0x2a2003e0 /* mvn w0, w0 */);
	expx(0, 0xe3069283);

	begin("crc32 123456789 (w w b)");
	setx(0, 0xffffffff);
	setx(1, 0xaaaaaaaa34333231ull);
	setx(2, 0xbbbbbbbb38373635ull);
	setx(3, 0xffffffffffffff39ull);
	RUN(0x1ac14800 /* crc32w w0, w0, w1 */, 0x1ac24800 /* crc32w w0, w0, w2 */, 0x1ac34000 /* crc32b w0, w0, w3 */, 0x2a2003e0 /* mvn w0, w0 */);
	expx(0, 0xcbf43926);

	begin("crc32c 123456789 (h h h h b)");
	setx(0, 0xffffffff);
	setx(1, 0x3231);
	setx(2, 0xffff3433);
	setx(3, 0x3635);
	setx(4, 0x123438373837ull);
	setx(5, 0x39);
	RUN(0x1ac15400 /* crc32ch w0, w0, w1 */, 0x1ac25400 /* crc32ch w0, w0, w2 */, 0x1ac35400 /* crc32ch w0, w0, w3 */, 0x1ac45400 /* crc32ch w0, w0, w4 */,
	    0x1ac55000 /* crc32cb w0, w0, w5 */, 0x2a2003e0 /* mvn w0, w0 */);
	expx(0, 0xe3069283);

	begin("crc32 123456789 (h h h h b)");
	setx(0, 0xffffffff);
	setx(1, 0x3231);
	setx(2, 0xffff3433);
	setx(3, 0x3635);
	setx(4, 0x123438373837ull);
	setx(5, 0x39);
	RUN(0x1ac14400 /* crc32h w0, w0, w1 */, 0x1ac24400 /* crc32h w0, w0, w2 */, 0x1ac34400 /* crc32h w0, w0, w3 */, 0x1ac44400 /* crc32h w0, w0, w4 */,
	    0x1ac54000 /* crc32b w0, w0, w5 */, 0x2a2003e0 /* mvn w0, w0 */);
	expx(0, 0xcbf43926);

	/* iSCSI (RFC 3720 B.4) vectors: 32 bytes of 0x00 / 0xff. */
	begin("crc32c 32 zero bytes");
	setx(0, 0xffffffffffffffffull);
	RUN(0x9adf5c00 /* crc32cx w0, w0, xzr */, 0x9adf5c00 /* crc32cx w0, w0, xzr */, 0x9adf5c00 /* crc32cx w0, w0, xzr */,
	    0x9adf5c00 /* crc32cx w0, w0, xzr */, 0x2a2003e0 /* mvn w0, w0 */);
	expx(0, 0x8a9136aa);

	begin("crc32cw 32 0xff bytes");
	setx(0, 0xffffffff);
	setx(1, ~0ull);
	RUN(0x1ac15800 /* crc32cw w0, w0, w1 */, 0x1ac15800 /* crc32cw w0, w0, w1 */, 0x1ac15800 /* crc32cw w0, w0, w1 */, 0x1ac15800 /* crc32cw w0, w0, w1 */,
	    0x1ac15800 /* crc32cw w0, w0, w1 */, 0x1ac15800 /* crc32cw w0, w0, w1 */, 0x1ac15800 /* crc32cw w0, w0, w1 */, 0x1ac15800 /* crc32cw w0, w0, w1 */,
	    0x2a2003e0 /* mvn w0, w0 */);
	expx(0, 0x62a8ab43);

	begin("crc32b accumulator high bits ignored");
	setx(1, 0x12345678ffffffffull);
	setx(2, 0x39);
	RUN(0x1ac24020 /* crc32b w0, w1, w2 */);
	/* one byte '9' from 0xffffffff: CRC32("9") = 0x8d076785 before the
	 * final inversion */
	expx(0, 0x72f8987a);

	undef("crc32x sf=0", 0x1ac24c20);
	undef("crc32b sf=1", 0x9ac24020);
	undef("crc32cw sf=1", 0x9ac25820);
	undef("crc32cx sf=0", 0x1ac25c20);
}

int main(void)
{
	ops = &accel_soft_ops;
	must(accel_vm_create(ops, NULL, &vm), "vm_create");
	code = aligned_alloc(4096, CODE_SIZE);
	if (!code)
		return 2;
	memset(code, 0, CODE_SIZE);
	must(accel_map(vm, code, CODE_IPA, CODE_SIZE, ACCEL_MEM_READ | ACCEL_MEM_WRITE | ACCEL_MEM_EXEC), "map");
	must(accel_vcpu_create(vm, &cpu, &vexit), "vcpu_create");
	must(accel_set_trap_debug_exceptions(cpu, true), "trap debug");
	must(accel_set_sysreg(cpu, SYSREG_VBAR_EL1, VBAR_UNMAPPED), "vbar");

	test_addsub_imm();
	test_addsub_shifted();
	test_addsub_ext();
	test_adc();
	test_logic_imm();
	test_movw();
	test_bitfield();
	test_extr();
	test_adr();
	test_logic_reg();
	test_shiftv();
	test_cond();
	test_mul();
	test_div();
	test_dp1();
	test_crc();
	finish();

	accel_vcpu_destroy(cpu);
	accel_vm_destroy(vm);
	free(code);
	return check_summary();
}
