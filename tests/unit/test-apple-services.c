/* Apple's CPU-service / OEM hypercalls (src/arch/apple-services.c) and the
 * hvc-patch helpers (src/vmm/hvc-patch.c), through a fake vCPU that records
 * system-register writes. Expected values come from XNU's source (word
 * order of regs_to_uuid, register layout of the callers) and the decompiled
 * HVF (key layout), re-derived here, not read back from the code. */
#include <stdio.h>
#include <string.h>

#include "accel/accel.h"
#include "arch/apple-services.h"
#include "vmm/hvc-patch.h"
#include "check.h"

struct fake {
	uint64_t sys[0x10000];
	unsigned writes, fail_writes;
	uint64_t vtoff;
	unsigned wfk, kicks;
	uint64_t last_ien, last_kick;
};

static int f_set(void *ctx, uint16_t enc, uint64_t val)
{
	struct fake *f = ctx;
	if (f->fail_writes)
		return -2;
	f->sys[enc] = val;
	f->writes++;
	return 0;
}
static int f_voff(void *ctx, uint64_t *off)
{
	*off = ((struct fake *)ctx)->vtoff;
	return 0;
}
static void f_wfk(void *ctx, uint64_t ien)
{
	struct fake *f = ctx;
	f->wfk++;
	f->last_ien = ien;
}
static int f_kick(void *ctx, uint64_t mpidr)
{
	struct fake *f = ctx;
	f->kicks++;
	f->last_kick = mpidr;
	return mpidr == 0x80000001 ? 0 : -1;
}

static struct fake F;
static const struct apple_svc_env ENV = { f_set, f_voff, f_wfk, f_kick, &F };

static unsigned call(const struct apple_svc *s, struct apple_svc_cpu *c, uint64_t *x, uint64_t x0, uint64_t x1,
		     uint64_t x2)
{
	x[0] = x0;
	x[1] = x1;
	x[2] = x2;
	x[3] = 0x33;
	x[4] = 0x44;
	return apple_svc_call(s, c, &ENV, x);
}

/* key argument k: instruction key (k, k+1), data key (k+2, k+3) */
static void check_pair(unsigned ilo, unsigned dlo, uint64_t k, const char *what)
{
	CHECK(F.sys[ilo] == k && F.sys[ilo + 1] == k + 1 && F.sys[dlo] == k + 2 && F.sys[dlo + 1] == k + 3, "%s", what);
}

static void test_pac(void)
{
	struct apple_svc s;
	struct apple_svc_cpu c = { 0 };
	uint64_t x[5];
	CHECK(apple_svc_init(&s) == 0, "init");
	CHECK(s.pac.b && s.pac.el0_div && s.pac.a && s.pac.g, "non-zero defaults");
	struct apple_svc s2;
	apple_svc_init(&s2);
	CHECK(memcmp(&s, &s2, sizeof(s)), "fresh randomness per boot");

	memset(&F, 0, sizeof(F));
	EQ(call(&s, &c, x, 0xc1000000, 0, 0), 1);
	EQ(x[0], 0);
	/* encodings from the Arm ARM: APIAKeyLo_EL1 = S3_0_C2_C1_0 etc. */
	check_pair(ACCEL_SYSREG(3, 0, 2, 1, 0), ACCEL_SYSREG(3, 0, 2, 2, 0), s.pac.a, "initial A keys");
	check_pair(ACCEL_SYSREG(3, 0, 2, 1, 2), ACCEL_SYSREG(3, 0, 2, 2, 2), s.pac.b, "initial B keys");
	EQ(F.sys[ACCEL_SYSREG(3, 0, 2, 3, 0)], s.pac.g);
	EQ(F.sys[ACCEL_SYSREG(3, 0, 2, 3, 1)], s.pac.g + 1);
	EQ(F.writes, 10);
	EQ(c.el0_div, s.pac.el0_div);

	EQ(call(&s, &c, x, 0xc1000001, 0, 0), 0x1f);
	/* XNU: x2 -> default ROP pid, x3 -> default JOP pid */
	EQ(x[0], 0);
	EQ(x[1], s.pac.a);
	EQ(x[2], s.pac.b);
	EQ(x[3], s.pac.el0_div);
	EQ(x[4], s.pac.g);

	EQ(call(&s, &c, x, 0xc1000002, 0x1000, 0), 1);
	EQ(x[0], 0);
	check_pair(ACCEL_SYSREG(3, 0, 2, 1, 0), ACCEL_SYSREG(3, 0, 2, 2, 0), 0x1000, "SET_A_KEYS");
	EQ(call(&s, &c, x, 0xc1000003, 0x2000, 0), 1);
	check_pair(ACCEL_SYSREG(3, 0, 2, 1, 2), ACCEL_SYSREG(3, 0, 2, 2, 2), 0x2000, "SET_B_KEYS");
	check_pair(ACCEL_SYSREG(3, 0, 2, 1, 0), ACCEL_SYSREG(3, 0, 2, 2, 0), 0x1000, "SET_B_KEYS leaves A");
	EQ(call(&s, &c, x, 0xc1000006, 0x3000, 0), 1);
	EQ(F.sys[ACCEL_SYSREG(3, 0, 2, 3, 0)], 0x3000);
	EQ(F.sys[ACCEL_SYSREG(3, 0, 2, 3, 1)], 0x3001);

	/* The EL0 diversifier: state only, no register writes (cheap). */
	unsigned w = F.writes;
	EQ(call(&s, &c, x, 0xc1000004, 0xabc, 0), 1);
	EQ(x[0], 0);
	EQ(c.el0_div, 0xabc);
	EQ(call(&s, &c, x, 0xc1000005, 1, 0xdef), 1);
	CHECK(c.el0_div == 0xdef && c.el0_div_at_el1, "AT_EL1 enable");
	EQ(call(&s, &c, x, 0xc1000005, 0, 0x123), 1);
	CHECK(c.el0_div == 0x123 && !c.el0_div_at_el1, "AT_EL1 disable");
	EQ(F.writes, w);

	EQ(call(&s, &c, x, 0xc10000f0, 0, 0), 1);
	EQ(x[0], 0);
	EQ(call(&s, &c, x, 0xc1000007, 0, 0), 1);
	EQ(x[0], 0xffffffffull); /* what HVF answers for functions it refuses */
	EQ(call(&s, &c, x, 0xc10000ef, 0, 0), 1);
	EQ(x[0], 0xffffffffull);

	/* Key writes the accelerator refuses are counted, the call still
	 * succeeds (the guest must go on). */
	F.fail_writes = 1;
	EQ(call(&s, &c, x, 0xc1000002, 0x5000, 0), 1);
	EQ(x[0], 0);
	CHECK(c.key_errors > 0, "key errors counted");
	F.fail_writes = 0;

	/* HVF's private ISA level: fixed defaults (HvDecompile). */
	struct apple_svc_cpu hc = { 0 };
	x[0] = 0xc1000001;
	EQ(apple_pac_call(&apple_pac_hvf_defaults, &hc, &ENV, x), 0x1f);
	EQ(x[1], 0xfeedfacefeedfacfull);
	EQ(x[2], 0xfeedfacefeedfad5ull);
	EQ(x[3], 0xfeedfacefeedfad3ull);
	EQ(x[4], 0xfeedfacefeedfad9ull);
	x[0] = 0xc3000003;
	EQ(apple_pac_call(&apple_pac_hvf_defaults, &hc, &ENV, x), 0); /* OEM: not HVF's */
}

/* Parse a UUID string into bytes, then the words as regs_to_uuid reads them. */
static void uuid_to_words(const uint8_t u[16], uint32_t w[4])
{
	for (unsigned i = 0; i < 4; i++) {
		w[i] = 0;
		for (unsigned j = 0; j < 4; j++)
			w[i] |= (uint32_t)u[15 - i * 4 - j] << (8 * j);
	}
}

static void test_oem(void)
{
	struct apple_svc s;
	struct apple_svc_cpu c = { 0 };
	uint64_t x[5];
	apple_svc_init(&s);
	memset(&F, 0, sizeof(F));

	static const uint8_t apple_uid[16] = { 0x3b, 0x87, 0x81, 0x85, 0xaa, 0x62, 0x4e, 0x1f,
					       0x9d, 0xc9, 0xd6, 0x79, 0x9c, 0xbb, 0x6e, 0xbb };
	uint32_t w[4];
	uuid_to_words(apple_uid, w);
	for (unsigned range = 0; range < 2; range++) {
		uint32_t base = range ? 0x83000000u : 0x81000000u;
		EQ(call(&s, &c, x, base | 0xff01, 0, 0), 0xf);
		for (unsigned i = 0; i < 4; i++)
			EQ(x[i], w[i]);
		EQ(call(&s, &c, x, base | 0xff03, 0, 0), 0x3);
		EQ(x[0], 1);
		EQ(x[1], 0);
	}
	EQ(call(&s, &c, x, 0x8300feff, 0xc3000005, 0), 1);
	EQ(x[0], 0);
	EQ(call(&s, &c, x, 0x8300feff, 0xc3000007, 0), 1);
	CHECK((int32_t)x[0] < 0, "unknown OEM feature");
	EQ(call(&s, &c, x, 0x8100feff, 0xc10000f0, 0), 1);
	EQ(x[0], 0);
	EQ(call(&s, &c, x, 0x8300ff00, 0, 0), 0); /* call count: not ours */
	EQ(call(&s, &c, x, 0x83000000, 0, 0), 0);
	EQ(call(&s, &c, x, 0x84000000, 0, 0), 0); /* PSCI: not ours */
	EQ(call(&s, &c, x, 0x1c3000004ull, 0, 0), 0); /* bits above 31 set: not an SMCCC ID */

	EQ(call(&s, &c, x, 0xc3000004, 0, 0), 0x1f);
	EQ(x[0], 0);
	uint32_t uw[4];
	uuid_to_words(s.boot_uuid, uw);
	for (unsigned i = 0; i < 4; i++)
		EQ(x[1 + i], uw[i]);
	EQ((x[3] >> 12) & 0xf, 4); /* UUID byte 6's high nibble: version 4 */
	uint64_t again[5];
	call(&s, &c, again, 0xc3000004, 0, 0);
	CHECK(!memcmp(x, again, sizeof(again)), "stable per boot");

	F.vtoff = 1000000;
	EQ(call(&s, &c, x, 0xc3000003, 0, 0), 0x3);
	EQ(x[0], 0);
	EQ(x[1], 1000000);
	EQ(call(&s, &c, x, 0xc3000003, 400, 0), 0x3);
	EQ(x[1], 1000000 - 400);

	EQ(call(&s, &c, x, 0xc3000005, 1, 0), 1);
	CHECK(F.wfk == 1 && F.last_ien == 1 && x[0] == 0, "WFK");
	EQ(call(&s, &c, x, 0xc3000006, 0x80000001, 0), 1);
	CHECK(F.kicks == 1 && F.last_kick == 0x80000001 && x[0] == 0, "KICK");
	EQ(call(&s, &c, x, 0xc3000006, 7, 0), 1);
	EQ(x[0], (uint64_t)-3);
	EQ(call(&s, &c, x, 0xc3000007, 0, 0), 0);
}

static uint64_t regs_for_mov[32];
static uint64_t xm(void *o, unsigned m)
{
	(void)o;
	return regs_for_mov[m];
}

static void test_patch(void)
{
	uint32_t w[6] = { HVC0_INSN, 0xd4000022, 0xd4000003 /* smc */, HVC0_INSN, 0xd4200000 /* brk */, 0 };
	EQ(hvc_patch_scan(w, 6), 2);
	CHECK(w[0] == 0xd4000022 && w[3] == 0xd4000022 && w[2] == 0xd4000003 && w[4] == 0xd4200000, "patched words");
	EQ(hvc_patch_scan(w, 6), 0);

	uint64_t v;
	/* movz x0, #0xc100, lsl #16 (the assembler's encoding of mov x0, #0xc1000000) */
	const uint32_t a[] = { 0xd2b82000 };
	CHECK(hvc_patch_recover_x0(a, 1, xm, NULL, &v) && v == 0xc1000000, "movz");
	/* MOV64: movz + movk, with mov x1, #1 between */
	const uint32_t b[] = { 0xaa0003e2 /* mov x2, x0 */, 0xd2b82000, 0xf28000a0 /* movk x0, #5 */,
			       0xd2800021 /* mov x1, #1 */ };
	CHECK(hvc_patch_recover_x0(b, 4, xm, NULL, &v) && v == 0xc1000005, "movz+movk: 0x%llx", (unsigned long long)v);
	/* mov x0, x19 */
	regs_for_mov[19] = 0xc1000001;
	const uint32_t c[] = { 0xaa1303e0 };
	CHECK(hvc_patch_recover_x0(c, 1, xm, NULL, &v) && v == 0xc1000001, "mov register");
	/* 32-bit movz w0 */
	const uint32_t d[] = { 0x52b82000 };
	CHECK(hvc_patch_recover_x0(d, 1, xm, NULL, &v) && v == 0xc1000000, "movz w0");
	/* something else writes x0 last: give up */
	const uint32_t e[] = { 0xd2b82000, 0x91000400 /* add x0, x0, #1 */ };
	CHECK(!hvc_patch_recover_x0(e, 2, xm, NULL, &v), "add x0 stops recovery");
	CHECK(!hvc_patch_recover_x0(e, 0, xm, NULL, &v), "nothing to go on");
	const uint32_t f[] = { 0xf28000a0 };
	CHECK(!hvc_patch_recover_x0(f, 1, xm, NULL, &v), "movk without a base");

	EQ(hvc_patch_parse_mode("on"), HVC_PATCH_EXEC);
	EQ(hvc_patch_parse_mode("watchdog"), HVC_PATCH_WATCHDOG);
	EQ(hvc_patch_parse_mode("both"), HVC_PATCH_EXEC | HVC_PATCH_WATCHDOG);
	EQ(hvc_patch_parse_mode("off"), 0);
	EQ(hvc_patch_parse_mode("maybe"), -1);
}

int main(void)
{
	test_pac();
	test_oem();
	test_patch();
	return check_summary();
}
