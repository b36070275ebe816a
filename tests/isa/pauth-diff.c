/* Pointer authentication: the soft CPU against qemu-aarch64 -cpu max. The
 * PAC algorithms differ (QARMA there, an IMPLEMENTATION DEFINED function
 * here), so behaviour is compared, not PAC values:
 *   - XPACI/XPACD/XPACLRI results, bit for bit;
 *   - sign then authenticate gives the pointer back, for every key;
 *   - the bits a PAC changes lie in the architected field on both sides, and
 *     over all cases they fill it (lower half with TBI0: 54:48; upper half
 *     without TBI1: 63:56 and 54:48);
 *   - AUT with a wrong modifier gives the pointer with the error code
 *     (bit for bit equal on both sides) or, by a PAC collision, the pointer;
 *   - PACGA's low 32 bits are zero.
 * The soft CPU runs at EL1 with the TCR_EL1 qemu gives Linux user space
 * (TBI0 = 1, TBI1 = 0, 48-bit VAs) and random keys.
 * Usage: isa-pauth-diff --qemu QEMU --oracle ORACLE [--seed S] [--cases N] */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accel/accel.h"
#include "pauth-case.h"

#define CODE_IPA 0x10000ull
#define RAM_SIZE 0x10000u
#define VBAR_UNMAPPED 0x7f000000ull
#define TCR_USER (16ull | 16ull << 16 | 1ull << 37)
#define SCTLR_PAUTH (0x30d00800ull | 1ull << 31 | 1ull << 30 | 1ull << 27 | 1ull << 13)
#define FIELD_LO 0x007f000000000000ull /* 54:48 */
#define FIELD_HI 0xff7f000000000000ull /* 63:56, 54:48 */

/* binutils encodings: op x0 with x1, then brk #0 */
static const uint32_t insns[] = {
	0xdac143e0, /* xpaci x0 */
	0xdac147e0, /* xpacd x0 */
	0xd50320ff, /* xpaclri (x30) */
	0xdac10020, 0xdac10420, 0xdac10820, 0xdac10c20, /* pacia pacib pacda pacdb x0, x1 */
	0xdac11020, 0xdac11420, 0xdac11820, 0xdac11c20, /* autia autib autda autdb x0, x1 */
	0x9ac13000, /* pacga x0, x0, x1 */
};
enum { XPACI, XPACD, XPACLRI, PAC0, AUT0 = PAC0 + 4, PACGA = AUT0 + 4, NINSNS };

static struct accel_vcpu *cpu;
static const struct accel_exit *vexit;

static void must(int rc, const char *what)
{
	if (rc) {
		fprintf(stderr, "accel call failed: %s (%d)\n", what, rc);
		exit(2);
	}
}

/* Run insns[i] with x0, x1 (and x30 = x0) and return the result register. */
static uint64_t soft(unsigned i, uint64_t x0, uint64_t x1)
{
	must(accel_set_reg(cpu, ACCEL_REG_X0, x0), "x0");
	must(accel_set_reg(cpu, (enum accel_reg)(ACCEL_REG_X0 + 1), x1), "x1");
	must(accel_set_reg(cpu, (enum accel_reg)(ACCEL_REG_X0 + 30), x0), "x30");
	must(accel_set_reg(cpu, ACCEL_REG_CPSR, 0x3c5), "cpsr");
	must(accel_set_reg(cpu, ACCEL_REG_PC, CODE_IPA + i * 8), "pc");
	must(accel_vcpu_run(cpu), "run");
	uint64_t pc = 0, v = 0;
	must(accel_get_reg(cpu, ACCEL_REG_PC, &pc), "pc");
	if (vexit->reason != ACCEL_EXIT_EXCEPTION || ESR_EC(vexit->esr) != EC_BRK || pc != CODE_IPA + i * 8 + 4) {
		fprintf(stderr, "soft CPU: insn %08x did not complete\n", insns[i]);
		exit(2);
	}
	must(accel_get_reg(cpu, (enum accel_reg)(ACCEL_REG_X0 + (i == XPACLRI ? 30 : 0)), &v), "result");
	return v;
}

static uint64_t ref_err(uint64_t p, unsigned key_b)
{
	unsigned at = (p >> 55) & 1 ? 61 : 53; /* TBI1 = 0, TBI0 = 1 */
	return (p & ~(3ull << at)) | (uint64_t)(key_b ? 2 : 1) << at;
}

int main(int argc, char **argv)
{
	const char *qemu = NULL, *oracle = NULL;
	uint64_t seed = (uint64_t)time(NULL), n = 20000;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--qemu"))
			qemu = argv[i + 1];
		else if (!strcmp(argv[i], "--oracle"))
			oracle = argv[i + 1];
		else if (!strcmp(argv[i], "--seed"))
			seed = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--cases"))
			n = strtoull(argv[i + 1], NULL, 0);
	}
	if (!qemu || !oracle) {
		fprintf(stderr, "usage: %s --qemu QEMU --oracle ORACLE [--seed S] [--cases N]\n", argv[0]);
		return 2;
	}
	printf("seed %" PRIu64 ", %" PRIu64 " cases\n", seed, n);

	struct accel_vm_config cfg = { .pauth = true };
	struct accel_vm *vm;
	uint32_t *ram = aligned_alloc(4096, RAM_SIZE);
	if (!ram)
		return 2;
	memset(ram, 0, RAM_SIZE);
	for (unsigned i = 0; i < NINSNS; i++) {
		ram[i * 2] = insns[i];
		ram[i * 2 + 1] = 0xd4200000u; /* brk #0 */
	}
	must(accel_vm_create(&accel_soft_ops, &cfg, &vm), "vm");
	must(accel_map(vm, ram, CODE_IPA, RAM_SIZE, ACCEL_MEM_READ | ACCEL_MEM_EXEC), "map");
	must(accel_vcpu_create(vm, &cpu, &vexit), "vcpu");
	must(accel_set_trap_debug_exceptions(cpu, true), "trap debug");
	must(accel_set_sysreg(cpu, SYSREG_VBAR_EL1, VBAR_UNMAPPED), "vbar");
	must(accel_set_sysreg(cpu, SYSREG_TCR_EL1, TCR_USER), "tcr");
	must(accel_set_sysreg(cpu, SYSREG_SCTLR_EL1, SCTLR_PAUTH), "sctlr");
	static const uint16_t keys[] = {
		SYSREG_APIAKEYLO_EL1, SYSREG_APIAKEYHI_EL1, SYSREG_APIBKEYLO_EL1, SYSREG_APIBKEYHI_EL1,
		SYSREG_APDAKEYLO_EL1, SYSREG_APDAKEYHI_EL1, SYSREG_APDBKEYLO_EL1, SYSREG_APDBKEYHI_EL1,
		SYSREG_APGAKEYLO_EL1, SYSREG_APGAKEYHI_EL1,
	};
	for (unsigned i = 0; i < 10; i++)
		must(accel_set_sysreg(cpu, keys[i], pauth_mix(seed + i)), "key");

	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "'%s' -cpu max '%s' %" PRIu64 " %" PRIu64, qemu, oracle, seed, n);
	FILE *o = popen(cmd, "r");
	if (!o) {
		perror("popen");
		return 2;
	}
	unsigned long long mism = 0, collide[2] = { 0 }, fails = 0;
	uint64_t seen[2][4][2] = { { { 0 } } }; /* side, key, half */
	char line[1024];
	uint64_t i;
	for (i = 0; i < n && fgets(line, sizeof(line), o); i++) {
		struct pauth_case c;
		pauth_case_make(seed, i, &c);
		uint64_t q[3 + 12 + 1];
		char *s = line, *e;
		for (unsigned j = 0; j < 16; j++, s = e) {
			q[j] = strtoull(s, &e, 16);
			if (e == s) {
				fprintf(stderr, "oracle: bad line %" PRIu64 ": %s", i, line);
				return 2;
			}
		}
		bool ok = true;
		uint64_t a = c.any;
		uint64_t mine[3] = { soft(XPACI, a, 0), soft(XPACD, a, 0), soft(XPACLRI, a, 0) };
		for (unsigned j = 0; j < 3; j++)
			if (mine[j] != q[j]) {
				printf("case %" PRIu64 ": XPAC%s(%#" PRIx64 ") = %#" PRIx64 ", qemu %#" PRIx64 "\n", i,
				       j == 0 ? "I" : j == 1 ? "D" : "LRI", a, mine[j], q[j]);
				ok = false;
			}
		unsigned half = (c.ptr >> 55) & 1;
		uint64_t field = half ? FIELD_HI : FIELD_LO;
		for (unsigned k = 0; k < 4; k++) {
			uint64_t sg = soft(PAC0 + k, c.ptr, c.mod);
			uint64_t d[2] = { sg ^ c.ptr, q[3 + k * 3] };
			bool rt[2] = { soft(AUT0 + k, sg, c.mod) == c.ptr, q[4 + k * 3] == 1 };
			uint64_t bad[2] = { soft(AUT0 + k, sg, c.mod ^ (1ull << (i & 63))), q[5 + k * 3] };
			for (unsigned side = 0; side < 2; side++) {
				const char *who = side ? "qemu" : "soft";
				seen[side][k][half] |= d[side];
				if (d[side] & ~field) {
					printf("case %" PRIu64 " key %u %s: PAC bits %#" PRIx64 " outside %#" PRIx64 "\n", i,
					       k, who, d[side], field);
					ok = false;
				}
				if (!rt[side]) {
					printf("case %" PRIu64 " key %u %s: roundtrip failed\n", i, k, who);
					ok = false;
				}
				if (bad[side] == c.ptr) {
					collide[side]++;
				} else if (bad[side] != ref_err(c.ptr, k & 1)) {
					printf("case %" PRIu64 " key %u %s: failed AUT gave %#" PRIx64 ", expected %#" PRIx64
					       "\n", i, k, who, bad[side], ref_err(c.ptr, k & 1));
					ok = false;
				} else {
					fails++;
				}
			}
		}
		uint64_t g = soft(PACGA, c.ga_n, c.ga_m);
		if ((g | q[15]) & 0xffffffffull) {
			printf("case %" PRIu64 ": PACGA low half soft %#" PRIx64 " qemu %#" PRIx64 "\n", i, g, q[15]);
			ok = false;
		}
		if (!ok && ++mism > 20)
			break;
	}
	int st = pclose(o);
	if (i < n && mism <= 20) {
		fprintf(stderr, "oracle stopped after %" PRIu64 " cases (status %d)\n", i, st);
		return 2;
	}
	for (unsigned side = 0; side < 2; side++)
		for (unsigned k = 0; k < 4; k++)
			for (unsigned h = 0; h < 2; h++)
				if (n >= 300 && seen[side][k][h] != (h ? FIELD_HI : FIELD_LO)) {
					printf("%s key %u half %u: PAC bits seen %#" PRIx64 "\n", side ? "qemu" : "soft", k, h,
					       seen[side][k][h]);
					mism++;
				}
	/* A wrong modifier authenticates with chance 2^-7 (lower half). */
	for (unsigned side = 0; side < 2; side++)
		if (collide[side] * 32 > n * 4) {
			printf("%s: %llu of %" PRIu64 " wrong-modifier AUTs succeeded\n", side ? "qemu" : "soft",
			       collide[side], n * 4);
			mism++;
		}
	printf("%" PRIu64 " cases, %llu failed AUTs with the error code, collisions soft %llu qemu %llu, "
	       "%llu mismatches\n", i, fails, collide[0], collide[1], mism);
	accel_vcpu_destroy(cpu);
	accel_vm_destroy(vm);
	free(ram);
	return mism ? 1 : 0;
}
