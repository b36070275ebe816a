/* isa-oracle-selfcheck: proves the oracle itself on hand-written cases with
 * known results, without the soft CPU.
 *
 * Usage: isa-oracle-selfcheck --oracle PATH --qemu PATH [--cpu MODEL]
 *        isa-oracle-selfcheck --oracle PATH --qemu PATH --run WORD[,WORD...] [xN=V|sp=V|nzcv=V|fpcr=V|fpsr=V]...
 * The second form runs one case (other registers 0, data page from seed 0)
 * and prints the oracle's result: a probe for how qemu treats an encoding. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle-client.h"

static int failures;
static int checks;

static void check(bool ok, const char *name, const char *fmt, ...)
{
	checks++;
	if (ok)
		return;
	failures++;
	va_list ap;
	va_start(ap, fmt);
	printf("FAIL %s: ", name);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

static void base_case(struct isa_case *c, uint64_t salt)
{
	uint64_t s = 0x5e1fc4ecull ^ salt;
	memset(c, 0, sizeof(*c));
	c->magic = ISA_CASE_MAGIC;
	for (int i = 0; i < 31; i++)
		c->x[i] = isa_splitmix64(&s);
	c->sp = ISA_DATA_BASE + 0x800;
	c->nzcv = 0;
	c->fpcr = 0;
	c->fpsr = 0;
	for (int i = 0; i < 32; i++) {
		c->v[i][0] = isa_splitmix64(&s);
		c->v[i][1] = isa_splitmix64(&s);
	}
	c->mem_seed = isa_splitmix64(&s);
}

static struct oracle orc;

static int run(const char *name, const struct isa_case *c, struct isa_result *r)
{
	char err[256] = "";
	if (oracle_send(&orc, c) != 0) {
		printf("FAIL %s: cannot send the case to the oracle (%m)\n", name);
		return -1;
	}
	if (oracle_recv(&orc, c->mem_seed, r, 30000, err, sizeof(err)) != 0) {
		printf("FAIL %s: %s\n", name, err);
		return -1;
	}
	return 0;
}

/* The case ended at the brk #1 after its last instruction. */
static void check_fell_through(const char *name, const struct isa_case *c, const struct isa_result *r)
{
	check(r->signo == ISA_SIGTRAP && r->si_code == ISA_TRAP_BRKPT, name, "signo %d si_code %d, expected SIGTRAP/TRAP_BRKPT",
	      r->signo, r->si_code);
	check(r->pc == ISA_CASE_PC + 4 * c->ninsn, name, "pc %#" PRIx64 ", expected %#" PRIx64, r->pc,
	      ISA_CASE_PC + 4 * c->ninsn);
}

static void check_unchanged_except(const char *name, const struct isa_case *c, const struct isa_result *r, int skip_x)
{
	for (int i = 0; i < 31; i++)
		if (i != skip_x)
			check(r->x[i] == c->x[i], name, "x%d changed: %#" PRIx64 " -> %#" PRIx64, i, c->x[i], r->x[i]);
	check(r->sp == c->sp, name, "sp changed: %#" PRIx64 " -> %#" PRIx64, c->sp, r->sp);
	for (int i = 0; i < 32; i++)
		check(r->v[i][0] == c->v[i][0] && r->v[i][1] == c->v[i][1], name, "v%d changed", i);
	uint8_t page[ISA_DATA_SIZE] __attribute__((aligned(8)));
	isa_fill_mem(page, c->mem_seed);
	check(memcmp(page, r->mem, sizeof(page)) == 0, name, "data page changed");
}

static void print_result(const struct isa_case *c, const struct isa_result *r)
{
	printf("signo %d si_code %d pc %#" PRIx64 " fault_addr %#" PRIx64 " nzcv %#x fpcr %#x fpsr %#x\n", r->signo,
	       r->si_code, r->pc, r->fault_addr, r->nzcv, r->fpcr, r->fpsr);
	for (int i = 0; i < 31; i++)
		if (r->x[i] != c->x[i])
			printf("x%d %#" PRIx64 " -> %#" PRIx64 "\n", i, c->x[i], r->x[i]);
	if (r->sp != c->sp)
		printf("sp %#" PRIx64 " -> %#" PRIx64 "\n", c->sp, r->sp);
	for (int i = 0; i < 32; i++)
		if (r->v[i][0] != c->v[i][0] || r->v[i][1] != c->v[i][1])
			printf("v%d %016" PRIx64 "%016" PRIx64 " -> %016" PRIx64 "%016" PRIx64 "\n", i, c->v[i][1],
			       c->v[i][0], r->v[i][1], r->v[i][0]);
	printf("mem_dirty %#" PRIx64 "\n", r->mem_dirty);
}

static int probe(char **argv, int argc, int first)
{
	struct isa_case c;
	static struct isa_result r;
	memset(&c, 0, sizeof(c));
	c.magic = ISA_CASE_MAGIC;
	char *words = argv[first];
	for (char *tok = strtok(words, ","); tok && c.ninsn < ISA_MAX_INSN; tok = strtok(NULL, ","))
		c.insn[c.ninsn++] = (uint32_t)strtoul(tok, NULL, 16);
	for (int i = first + 1; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (!eq)
			return 2;
		*eq = 0;
		uint64_t v = strtoull(eq + 1, NULL, 0);
		if (argv[i][0] == 'x')
			c.x[atoi(argv[i] + 1) % 31] = v;
		else if (!strcmp(argv[i], "sp"))
			c.sp = v;
		else if (!strcmp(argv[i], "nzcv"))
			c.nzcv = (uint32_t)v;
		else if (!strcmp(argv[i], "fpcr"))
			c.fpcr = (uint32_t)v;
		else if (!strcmp(argv[i], "fpsr"))
			c.fpsr = (uint32_t)v;
		else
			return 2;
	}
	if (run("probe", &c, &r) != 0)
		return 1;
	print_result(&c, &r);
	return 0;
}

int main(int argc, char **argv)
{
	const char *oracle_path = NULL, *qemu = "qemu-aarch64", *cpu = "cortex-a76";
	int probe_at = 0;
	for (int i = 1; i < argc && !probe_at; i++) {
		if (!strcmp(argv[i], "--oracle") && i + 1 < argc)
			oracle_path = argv[++i];
		else if (!strcmp(argv[i], "--qemu") && i + 1 < argc)
			qemu = argv[++i];
		else if (!strcmp(argv[i], "--cpu") && i + 1 < argc)
			cpu = argv[++i];
		else if (!strcmp(argv[i], "--run") && i + 1 < argc)
			probe_at = i + 1;
		else {
			fprintf(stderr, "usage: %s --oracle PATH [--qemu PATH] [--cpu MODEL]\n", argv[0]);
			return 2;
		}
	}
	if (!oracle_path) {
		fprintf(stderr, "isa-oracle-selfcheck: --oracle is required\n");
		return 2;
	}
	char err[512];
	if (oracle_start(&orc, qemu, cpu, oracle_path, err, sizeof(err)) != 0) {
		printf("FAIL: %s\n", err);
		return 1;
	}
	if (probe_at) {
		int rc = probe(argv, argc, probe_at);
		char st[128];
		oracle_wait(&orc, 0, st, sizeof(st));
		if (rc == 2)
			fprintf(stderr, "isa-oracle-selfcheck: bad --run arguments\n");
		return rc;
	}

	struct isa_case c;
	static struct isa_result r;

	/* 1. nop: every register, SIMD register and the data page pass through. */
	base_case(&c, 1);
	c.ninsn = 1;
	c.insn[0] = 0xd503201f; /* nop */
	c.nzcv = 0xa0000000;
	c.fpcr = 0x03c00000; /* DN FZ RMode=RZ */
	c.fpsr = 0x0800009f; /* QC IDC IXC UFC OFC DZC IOC */
	if (run("nop", &c, &r) == 0) {
		check_fell_through("nop", &c, &r);
		check_unchanged_except("nop", &c, &r, -1);
		check(r.nzcv == c.nzcv, "nop", "nzcv %#x, expected %#x", r.nzcv, c.nzcv);
		check(r.fpcr == c.fpcr, "nop", "fpcr %#x, expected %#x", r.fpcr, c.fpcr);
		check(r.fpsr == c.fpsr, "nop", "fpsr %#x, expected %#x", r.fpsr, c.fpsr);
		check(r.mem_dirty == 0, "nop", "mem_dirty %#" PRIx64, r.mem_dirty);
	}

	/* 2. adds x0, x1, x2 with x1 = x2 = 2^63: 0 with Z, C and V set (NZCV = 0111). */
	base_case(&c, 2);
	c.ninsn = 1;
	c.insn[0] = 0xab020020;
	c.x[1] = c.x[2] = 1ull << 63;
	c.nzcv = 0x90000000;
	if (run("adds", &c, &r) == 0) {
		check_fell_through("adds", &c, &r);
		check(r.x[0] == 0, "adds", "x0 = %#" PRIx64 ", expected 0", r.x[0]);
		check(r.nzcv == 0x70000000, "adds", "nzcv = %#x, expected 0x70000000", r.nzcv);
		check_unchanged_except("adds", &c, &r, 0);
	}

	/* 3. movz x0, #1; add x0, x0, #2; subs xzr, x0, #3 (cmp): x0 = 3, Z and C set. */
	base_case(&c, 3);
	c.ninsn = 3;
	c.insn[0] = 0xd2800020;
	c.insn[1] = 0x91000800;
	c.insn[2] = 0xf1000c1f;
	if (run("sequence", &c, &r) == 0) {
		check_fell_through("sequence", &c, &r);
		check(r.x[0] == 3, "sequence", "x0 = %#" PRIx64 ", expected 3", r.x[0]);
		check(r.nzcv == 0x60000000, "sequence", "nzcv = %#x, expected 0x60000000", r.nzcv);
	}

	/* 4. ldr x3, [x4] and ldr w5, [x4, #12]: the seeded bytes. */
	base_case(&c, 4);
	c.ninsn = 2;
	c.insn[0] = 0xf9400083; /* ldr x3, [x4] */
	c.insn[1] = 0xb9400c85; /* ldr w5, [x4, #12] */
	c.x[4] = ISA_DATA_BASE + 0x100;
	if (run("ldr", &c, &r) == 0) {
		check_fell_through("ldr", &c, &r);
		uint64_t w = isa_mem_word(c.mem_seed, 0x100 / 8);
		uint64_t w5 = isa_mem_word(c.mem_seed, 0x108 / 8) >> 32;
		check(r.x[3] == w, "ldr", "x3 = %#" PRIx64 ", expected %#" PRIx64, r.x[3], w);
		check(r.x[5] == w5, "ldr", "x5 = %#" PRIx64 ", expected %#" PRIx64, r.x[5], w5);
	}

	/* 5. stp x5, x6, [sp, #-16]!: the data page changes, sp written back. */
	base_case(&c, 5);
	c.ninsn = 1;
	c.insn[0] = 0xa9bf1be5;
	c.sp = ISA_DATA_BASE + 0x810;
	if (run("stp", &c, &r) == 0) {
		check_fell_through("stp", &c, &r);
		check(r.sp == ISA_DATA_BASE + 0x800, "stp", "sp = %#" PRIx64, r.sp);
		uint64_t m0, m1;
		memcpy(&m0, r.mem + 0x800, 8);
		memcpy(&m1, r.mem + 0x808, 8);
		check(m0 == c.x[5] && m1 == c.x[6], "stp", "memory %#" PRIx64 " %#" PRIx64, m0, m1);
		check(r.mem_dirty == 1ull << (0x800 / 64), "stp", "mem_dirty %#" PRIx64, r.mem_dirty);
		uint8_t page[ISA_DATA_SIZE] __attribute__((aligned(8)));
		isa_fill_mem(page, c.mem_seed);
		memcpy(page + 0x800, &c.x[5], 8);
		memcpy(page + 0x808, &c.x[6], 8);
		check(memcmp(page, r.mem, sizeof(page)) == 0, "stp", "rest of the data page changed");
	}

	/* 6. udf #0x1234: SIGILL at the udf. */
	base_case(&c, 6);
	c.ninsn = 2;
	c.insn[0] = 0x00001234;
	c.insn[1] = 0xd503201f;
	if (run("udf", &c, &r) == 0) {
		check(r.signo == ISA_SIGILL, "udf", "signo %d, expected SIGILL", r.signo);
		check(r.pc == ISA_CASE_PC, "udf", "pc %#" PRIx64, r.pc);
		check_unchanged_except("udf", &c, &r, -1);
		printf("info: udf gives si_code %d\n", r.si_code);
	}

	/* 7. ldr x0, [x1] from an unmapped address: SIGSEGV with that address. */
	base_case(&c, 7);
	c.ninsn = 1;
	c.insn[0] = 0xf9400020;
	c.x[1] = 0x30000008;
	if (run("segv", &c, &r) == 0) {
		check(r.signo == ISA_SIGSEGV && r.si_code == ISA_SEGV_MAPERR, "segv", "signo %d si_code %d", r.signo,
		      r.si_code);
		check(r.pc == ISA_CASE_PC, "segv", "pc %#" PRIx64, r.pc);
		check(r.fault_addr == 0x30000008, "segv", "fault address %#" PRIx64, r.fault_addr);
		check_unchanged_except("segv", &c, &r, -1);
	}

	/* 8. ldxr x0, [x1] misaligned: alignment fault, SIGBUS. */
	base_case(&c, 8);
	c.ninsn = 1;
	c.insn[0] = 0xc85f7c20;
	c.x[1] = ISA_DATA_BASE + 0x44;
	if (run("ldxr-align", &c, &r) == 0) {
		check(r.signo == ISA_SIGBUS && r.si_code == ISA_BUS_ADRALN, "ldxr-align", "signo %d si_code %d",
		      r.signo, r.si_code);
		check(r.pc == ISA_CASE_PC, "ldxr-align", "pc %#" PRIx64, r.pc);
		check(r.fault_addr == ISA_DATA_BASE + 0x44, "ldxr-align", "fault address %#" PRIx64, r.fault_addr);
	}

	/* 9. b #+0x100 lands on the brk #1 there; bl #-0x20 sets x30. */
	base_case(&c, 9);
	c.ninsn = 1;
	c.insn[0] = 0x14000040;
	if (run("b", &c, &r) == 0) {
		check(r.signo == ISA_SIGTRAP && r.pc == ISA_CASE_PC + 0x100, "b", "signo %d pc %#" PRIx64, r.signo, r.pc);
	}
	base_case(&c, 10);
	c.ninsn = 1;
	c.insn[0] = 0x97fffff8;
	if (run("bl", &c, &r) == 0) {
		check(r.signo == ISA_SIGTRAP && r.pc == ISA_CASE_PC - 0x20, "bl", "signo %d pc %#" PRIx64, r.signo, r.pc);
		check(r.x[30] == ISA_CASE_PC + 4, "bl", "x30 = %#" PRIx64, r.x[30]);
	}

	/* 10. mov v0.16b, v1.16b; msr fpsr, x2; mrs x3, fpcr: SIMD state in and out. */
	base_case(&c, 11);
	c.ninsn = 3;
	c.insn[0] = 0x4ea11c20;
	c.insn[1] = 0xd51b4422;
	c.insn[2] = 0xd53b4403;
	c.x[2] = 0x8000001;
	c.fpcr = 0x01000000;
	if (run("simd", &c, &r) == 0) {
		check_fell_through("simd", &c, &r);
		check(r.v[0][0] == c.v[1][0] && r.v[0][1] == c.v[1][1], "simd", "v0 != old v1");
		check(r.fpsr == 0x8000001, "simd", "fpsr = %#x", r.fpsr);
		check(r.x[3] == 0x01000000, "simd", "x3 (fpcr) = %#" PRIx64, r.x[3]);
	}

	/* 11. msr tpidr_el0, x7; mrs x8, tpidr_el0, then a fresh case reads 0. */
	base_case(&c, 12);
	c.ninsn = 2;
	c.insn[0] = 0xd51bd047;
	c.insn[1] = 0xd53bd048;
	if (run("tpidr", &c, &r) == 0)
		check(r.x[8] == c.x[7], "tpidr", "x8 = %#" PRIx64 ", expected %#" PRIx64, r.x[8], c.x[7]);
	c.ninsn = 1;
	c.insn[0] = 0xd53bd048;
	if (run("tpidr-reset", &c, &r) == 0)
		check(r.x[8] == 0, "tpidr-reset", "x8 = %#" PRIx64 ", expected 0", r.x[8]);

	/* 12. brk #0x42: SIGTRAP at the brk itself. */
	base_case(&c, 13);
	c.ninsn = 2;
	c.insn[0] = 0xd4200840;
	c.insn[1] = 0xd503201f;
	if (run("brk", &c, &r) == 0)
		check(r.signo == ISA_SIGTRAP && r.si_code == ISA_TRAP_BRKPT && r.pc == ISA_CASE_PC, "brk",
		      "signo %d si_code %d pc %#" PRIx64, r.signo, r.si_code, r.pc);

	/* 13. Any SP a case leaves behind is fine for the oracle: sweep the
	 * oracle's own image (a static binary near 4 MiB, where its signal stack
	 * once lived) and the low 32-bit range generated SP values favour. */
	bool sp_ok = true;
	for (uint64_t sp = 0x3f0000; sp < 0x500000 && sp_ok; sp += 0x200) {
		base_case(&c, 14);
		c.ninsn = 1;
		c.insn[0] = 0xd503201f;
		c.sp = sp;
		sp_ok = run("sp-anywhere", &c, &r) == 0;
		if (sp_ok && (r.signo != ISA_SIGTRAP || r.sp != sp)) {
			printf("sp-anywhere: sp %#" PRIx64 ": signo %d, sp after %#" PRIx64 "\n", sp, r.signo, r.sp);
			sp_ok = false;
		}
	}
	check(sp_ok, "sp-anywhere", "a case's SP broke the oracle");

	char st[128];
	if (oracle_wait(&orc, 0, st, sizeof(st)) != 0) {
		printf("FAIL: oracle exit: %s\n", st);
		failures++;
	}
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
