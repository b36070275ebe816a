/* Unit test of pointer authentication (FEAT_PAuth) in the soft CPU, driven
 * through the accelerator API at EL1h with the MMU off (the PAC field still
 * follows TCR_EL1, which applies with the MMU off too).
 *
 * The PAC algorithm is IMPLEMENTATION DEFINED, so no PAC value is expected
 * here. What is checked comes from the Arm ARM pseudocode, restated below
 * (ref_*): which bits a PAC may occupy, Strip, the error code a failed AUT
 * writes, the key enables, PACGA's zero low half, and the branch, load and
 * exception-return forms' control flow and faults. Encodings were taken from
 * binutils (aarch64-linux-gnu-as -march=armv8.3-a).
 *
 * Each snippet is one instruction plus `brk #0`, written once and reused; an
 * exception to EL1 shows as the vector fetch exiting (VBAR_EL1 unmapped). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel/accel.h"
#include "check.h"

#define CODE_IPA 0x10000ull
#define RAM_SIZE (1u << 20)
#define DATA_IPA 0x80000ull /* inside the RAM area, away from the code */
#define VBAR_UNMAPPED 0x7f000000ull
#define INSN_BRK0 0xd4200000u

#define BIT(n) (1ull << (n))
#define MASK(hi, lo) ((((hi) >= 63) ? ~0ull : (BIT((hi) + 1) - 1)) & ~(BIT(lo) - 1))

/* TCR_EL1 and SCTLR_EL1 fields */
#define TBI0 BIT(37)
#define TBI1 BIT(38)
#define EN_IA BIT(31)
#define EN_IB BIT(30)
#define EN_DA BIT(27)
#define EN_DB BIT(13)
#define EN_ALL (EN_IA | EN_IB | EN_DA | EN_DB)
#define SCTLR_RES1 (BIT(29) | BIT(28) | BIT(23) | BIT(22) | BIT(20) | BIT(11))

/* binutils encodings, Xd = x0, Xn = x1 unless noted */
enum {
	I_PACIA = 0xdac10020, I_PACIB = 0xdac10420, I_PACDA = 0xdac10820, I_PACDB = 0xdac10c20,
	I_AUTIA = 0xdac11020, I_AUTIB = 0xdac11420, I_AUTDA = 0xdac11820, I_AUTDB = 0xdac11c20,
	I_PACIZA = 0xdac123e0, I_AUTIZB = 0xdac137e0, I_PACIA_SP = 0xdac103e0,
	I_XPACI = 0xdac143e0, I_XPACD = 0xdac147e0,
	I_PACGA = 0x9ac23020 /* x0, x1, x2 */, I_PACGA_SP = 0x9adf3020,
	I_XPACLRI = 0xd50320ff, I_PACIA1716 = 0xd503211f, I_PACIB1716 = 0xd503215f,
	I_AUTIA1716 = 0xd503219f, I_AUTIB1716 = 0xd50321df,
	I_PACIAZ = 0xd503231f, I_PACIASP = 0xd503233f, I_PACIBZ = 0xd503235f, I_PACIBSP = 0xd503237f,
	I_AUTIAZ = 0xd503239f, I_AUTIASP = 0xd50323bf, I_AUTIBZ = 0xd50323df, I_AUTIBSP = 0xd50323ff,
	I_BRAA = 0xd71f0801 /* x0, x1 */, I_BRAB_SP = 0xd71f0c1f, I_BRAAZ = 0xd61f081f, I_BRABZ = 0xd61f0c1f,
	I_BLRAA = 0xd73f0801, I_BLRAB = 0xd73f0c01, I_BLRAAZ = 0xd63f081f, I_BLRABZ = 0xd63f0c1f,
	I_RETAA = 0xd65f0bff, I_RETAB = 0xd65f0fff, I_ERETAA = 0xd69f0bff, I_ERETAB = 0xd69f0fff,
	I_LDRAA = 0xf8200420 /* x0, [x1] */, I_LDRAB_8 = 0xf8a01420 /* x0, [x1, #8] */,
	I_LDRAA_M8_WB = 0xf87ffc20 /* x0, [x1, #-8]! */, I_LDRAA_4088 = 0xf83ff420,
	I_LDRAA_M4096 = 0xf8600420, I_LDRAA_SP16 = 0xf82027e0 /* x0, [sp, #16] */,
	I_MRS_ISAR1 = 0xd5380620, I_MRS_APIAKEYLO = 0xd5382100, I_MSR_APIAKEYLO = 0xd5182100,
	I_MRS_APGAKEYHI = 0xd5382320, I_MSR_SCTLR = 0xd5181000, I_MRS_SCTLR = 0xd5381000,
};

static const uint16_t key_regs[5][2] = {
	{ SYSREG_APIAKEYLO_EL1, SYSREG_APIAKEYHI_EL1 }, { SYSREG_APIBKEYLO_EL1, SYSREG_APIBKEYHI_EL1 },
	{ SYSREG_APDAKEYLO_EL1, SYSREG_APDAKEYHI_EL1 }, { SYSREG_APDBKEYLO_EL1, SYSREG_APDBKEYHI_EL1 },
	{ SYSREG_APGAKEYLO_EL1, SYSREG_APGAKEYHI_EL1 },
};
enum { IA, IB, DA, DB, GA };
static const uint32_t pac_insn[4] = { I_PACIA, I_PACIB, I_PACDA, I_PACDB };
static const uint32_t aut_insn[4] = { I_AUTIA, I_AUTIB, I_AUTDA, I_AUTDB };
static const uint64_t key_en[4] = { EN_IA, EN_IB, EN_DA, EN_DB };

#define CHECK_EQ(a, b, what) \
	CHECK((a) == (b), "%s: %#llx, expected %#llx", what, (unsigned long long)(a), (unsigned long long)(b))

static void must(int rc, const char *what)
{
	if (rc) {
		printf("accel call failed: %s (%d)\n", what, rc);
		exit(2);
	}
}

static uint64_t rng_state = 0x5eed0fbac5ull;
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* ---- One VM with one vCPU ------------------------------------------------- */
struct env {
	struct accel_vm *vm;
	struct accel_vcpu *cpu;
	const struct accel_exit *exit;
	uint8_t *ram;
	size_t code_pos;
	uint32_t snip_insn[128];
	uint64_t snip_pc[128];
	unsigned nsnip;
};
static struct env *E;

static void env_init(struct env *e, bool pauth)
{
	struct accel_vm_config cfg = { .pauth = pauth };
	memset(e, 0, sizeof(*e));
	must(accel_vm_create(&accel_soft_ops, &cfg, &e->vm), "vm_create");
	e->ram = aligned_alloc(4096, RAM_SIZE);
	if (!e->ram)
		exit(2);
	memset(e->ram, 0, RAM_SIZE);
	must(accel_map(e->vm, e->ram, CODE_IPA, RAM_SIZE, ACCEL_MEM_READ | ACCEL_MEM_WRITE | ACCEL_MEM_EXEC), "map");
	must(accel_vcpu_create(e->vm, &e->cpu, &e->exit), "vcpu_create");
	must(accel_set_trap_debug_exceptions(e->cpu, true), "trap debug");
	must(accel_set_sysreg(e->cpu, SYSREG_VBAR_EL1, VBAR_UNMAPPED), "vbar");
	must(accel_set_sysreg(e->cpu, SYSREG_SCTLR_EL1, SCTLR_RES1 | EN_ALL), "sctlr");
}

static void env_fini(struct env *e)
{
	accel_vcpu_destroy(e->cpu);
	accel_vm_destroy(e->vm);
	free(e->ram);
}

/* Address of `insn; brk #0` (written the first time it is asked for). */
static uint64_t snippet(uint32_t insn)
{
	for (unsigned i = 0; i < E->nsnip; i++)
		if (E->snip_insn[i] == insn)
			return E->snip_pc[i];
	if (E->nsnip == 128 || E->code_pos + 8 > DATA_IPA - CODE_IPA)
		exit(2);
	uint64_t pc = CODE_IPA + E->code_pos;
	memcpy(E->ram + E->code_pos, &insn, 4);
	uint32_t brk = INSN_BRK0;
	memcpy(E->ram + E->code_pos + 4, &brk, 4);
	E->code_pos += 8;
	E->snip_insn[E->nsnip] = insn;
	E->snip_pc[E->nsnip++] = pc;
	return pc;
}

enum { R_BRK, R_EXC, R_OTHER };
struct res {
	int kind;
	uint64_t x[31], sp, pc;     /* R_BRK: at the brk */
	uint64_t esr, elr, far;     /* R_EXC: the exception taken to EL1 */
};

static uint64_t in_x[31], in_sp;

static void set_inputs(void)
{
	for (unsigned i = 0; i < 31; i++)
		in_x[i] = 0x5a5a5a5a00000000ull | (0x01010101ull * (i + 1));
	in_sp = CODE_IPA + 0x70000;
}

static void run_at(uint64_t pc, struct res *r)
{
	for (unsigned i = 0; i < 31; i++)
		must(accel_set_reg(E->cpu, (enum accel_reg)(ACCEL_REG_X0 + i), in_x[i]), "set x");
	must(accel_set_reg(E->cpu, ACCEL_REG_CPSR, 0x3c5), "set cpsr");
	must(accel_set_sysreg(E->cpu, SYSREG_SP_EL1, in_sp), "set sp");
	must(accel_set_reg(E->cpu, ACCEL_REG_PC, pc), "set pc");
	must(accel_vcpu_run(E->cpu), "run");
	memset(r, 0, sizeof(*r));
	r->kind = R_OTHER;
	for (unsigned i = 0; i < 31; i++)
		must(accel_get_reg(E->cpu, (enum accel_reg)(ACCEL_REG_X0 + i), &r->x[i]), "get x");
	must(accel_get_reg(E->cpu, ACCEL_REG_PC, &r->pc), "get pc");
	const struct accel_exit *x = E->exit;
	if (x->reason == ACCEL_EXIT_EXCEPTION && ESR_EC(x->esr) == EC_BRK) {
		must(accel_get_sysreg(E->cpu, SYSREG_SP_EL1, &r->sp), "get sp");
		r->kind = R_BRK;
	} else if (x->reason == ACCEL_EXIT_EXCEPTION && ESR_EC(x->esr) == EC_IABT_LOWER &&
		   (x->va & ~0xfffull) == VBAR_UNMAPPED) {
		must(accel_get_sysreg(E->cpu, SYSREG_ESR_EL1, &r->esr), "get esr");
		must(accel_get_sysreg(E->cpu, SYSREG_ELR_EL1, &r->elr), "get elr");
		must(accel_get_sysreg(E->cpu, SYSREG_FAR_EL1, &r->far), "get far");
		r->kind = R_EXC;
	}
}

/* Run `insn; brk` and return X0 (any other outcome fails the check). */
static uint64_t run1(uint32_t insn, unsigned out_reg)
{
	struct res r;
	uint64_t pc = snippet(insn);
	run_at(pc, &r);
	if (r.kind != R_BRK || r.pc != pc + 4) {
		check(false, "insn %08x did not complete (kind %d, ESR_EL1 %#llx)", insn, r.kind,
		      (unsigned long long)r.esr);
		return ~0ull;
	}
	return r.x[out_reg];
}

static void set_tcr(uint64_t tcr) { must(accel_set_sysreg(E->cpu, SYSREG_TCR_EL1, tcr), "tcr"); }
static void set_sctlr(uint64_t v) { must(accel_set_sysreg(E->cpu, SYSREG_SCTLR_EL1, SCTLR_RES1 | v), "sctlr"); }
static void set_key(unsigned k, uint64_t lo, uint64_t hi)
{
	must(accel_set_sysreg(E->cpu, key_regs[k][0], lo), "key lo");
	must(accel_set_sysreg(E->cpu, key_regs[k][1], hi), "key hi");
}
static void random_keys(void)
{
	for (unsigned k = 0; k < 5; k++)
		set_key(k, rnd(), rnd());
}

/* ---- Reference (Arm ARM pseudocode, restated for TBID = 0) ----------------- */
static unsigned ref_bottom(uint64_t tcr, bool upper)
{
	unsigned tsz = (unsigned)(tcr >> (upper ? 16 : 0)) & 63;
	tsz = tsz < 16 ? 16 : tsz > 39 ? 39 : tsz;
	return 64 - tsz;
}
static bool ref_tbi(uint64_t tcr, uint64_t ptr)
{
	return (tcr & ((ptr >> 55) & 1 ? TBI1 : TBI0)) != 0;
}
/* Bits a PAC may occupy in a signed canonical pointer. */
static uint64_t ref_field(uint64_t tcr, uint64_t ptr)
{
	unsigned bot = ref_bottom(tcr, (ptr >> 55) & 1);
	return MASK(54, bot) | (ref_tbi(tcr, ptr) ? 0 : MASK(63, 56));
}
/* Strip: bit 55 replicated over the PAC field (and the top byte if no TBI). */
static uint64_t ref_strip(uint64_t tcr, uint64_t ptr)
{
	unsigned bot = ref_bottom(tcr, (ptr >> 55) & 1);
	uint64_t f = MASK(ref_tbi(tcr, ptr) ? 55 : 63, bot);
	return (ptr >> 55) & 1 ? ptr | f : ptr & ~f;
}
/* The pointer a failed AUT returns: the original with key_number:NOT(key_number). */
static uint64_t ref_err(uint64_t tcr, uint64_t orig, unsigned key_number)
{
	unsigned at = ref_tbi(tcr, orig) ? 53 : 61;
	return (orig & ~(3ull << at)) | (uint64_t)(key_number ? 2 : 1) << at;
}
/* A canonical pointer in the half `upper` of the configuration tcr, with a
 * random tag in the top byte where TBI allows one. */
static uint64_t canon_ptr(uint64_t tcr, bool upper)
{
	uint64_t p = rnd() & MASK(ref_bottom(tcr, upper) - 1, 0);
	if (upper)
		p |= MASK(63, ref_bottom(tcr, true));
	if (ref_tbi(tcr, p))
		p = (p & ~MASK(63, 56)) | (rnd() & MASK(63, 56));
	return p;
}

static const uint64_t tcrs[] = {
	16 | 16 << 16 | TBI0,                  /* Linux user space: TBI0, 48-bit VAs */
	16 | 16 << 16,                         /* no TBI */
	25 | 39ull << 16 | TBI0 | TBI1,        /* both TBI, 39- and 25-bit VA ranges */
	39 | 25ull << 16 | TBI1,
	20 | 30ull << 16 | TBI0,
	0 | 63ull << 16,                       /* out-of-range TxSZ: clamped to 16 / 39 */
};
#define NTCRS (sizeof(tcrs) / sizeof(tcrs[0]))

/* ---- Tests ------------------------------------------------------------------- */

static void test_id_and_keys(bool pauth)
{
	check_ctx = pauth ? "ID/keys (pauth on)" : "ID/keys (pauth off)";
	uint64_t isar1 = 0;
	must(accel_get_sysreg(E->cpu, 0xc031 /* ID_AA64ISAR1_EL1 */, &isar1), "get isar1");
	CHECK_EQ((isar1 >> 8) & 15, pauth ? 1u : 0u, "ISAR1.API");
	CHECK_EQ((isar1 >> 28) & 15, pauth ? 1u : 0u, "ISAR1.GPI");
	CHECK_EQ((isar1 >> 4) & 15, 0u, "ISAR1.APA");
	CHECK_EQ((isar1 >> 24) & 15, 0u, "ISAR1.GPA");
	set_inputs();
	CHECK_EQ(run1(I_MRS_ISAR1, 0), isar1, "MRS ID_AA64ISAR1_EL1");

	/* The VMM reaches the keys in both cases; the guest only with PAuth. */
	set_key(GA, 0x1111222233334444ull, 0x5555666677778888ull);
	set_key(IA, 0x0123456789abcdefull, 0);
	uint64_t v = 0;
	must(accel_get_sysreg(E->cpu, SYSREG_APGAKEYHI_EL1, &v), "get key");
	CHECK_EQ(v, 0x5555666677778888ull, "APGAKeyHi via the VMM");
	struct res r;
	run_at(snippet(I_MRS_APGAKEYHI), &r);
	if (pauth) {
		CHECK(r.kind == R_BRK && r.x[0] == 0x5555666677778888ull, "MRS APGAKeyHi_EL1");
		in_x[0] = 0xfeedfacecafebeefull;
		run_at(snippet(I_MSR_APIAKEYLO), &r);
		must(accel_get_sysreg(E->cpu, SYSREG_APIAKEYLO_EL1, &v), "get key");
		CHECK_EQ(v, 0xfeedfacecafebeefull, "MSR APIAKeyLo_EL1");
		set_inputs();
		CHECK_EQ(run1(I_MRS_APIAKEYLO, 0), 0xfeedfacecafebeefull, "MRS APIAKeyLo_EL1");
	} else {
		CHECK(r.kind == R_EXC && (r.esr >> 26) == 0, "MRS APGAKeyHi_EL1 must be UNDEFINED (ESR %#llx)",
		      (unsigned long long)r.esr);
		run_at(snippet(I_MSR_APIAKEYLO), &r);
		CHECK(r.kind == R_EXC && (r.esr >> 26) == 0, "MSR APIAKeyLo_EL1 must be UNDEFINED");
	}
	/* SCTLR_EL1.En* are RES0 without PAuth. */
	set_sctlr(0);
	set_inputs();
	in_x[0] = SCTLR_RES1 | EN_ALL;
	run_at(snippet(I_MSR_SCTLR), &r);
	uint64_t sctlr = 0;
	must(accel_get_sysreg(E->cpu, SYSREG_SCTLR_EL1, &sctlr), "get sctlr");
	CHECK_EQ(sctlr & EN_ALL, pauth ? EN_ALL : 0, "SCTLR_EL1.En* after MSR");
	set_sctlr(EN_ALL);
}

/* Sign and authenticate with every key, TCR configuration and half. */
static void test_roundtrip(void)
{
	check_ctx = "sign/auth roundtrip";
	random_keys();
	for (unsigned t = 0; t < NTCRS; t++) {
		set_tcr(tcrs[t]);
		for (unsigned k = 0; k < 4; k++)
			for (unsigned upper = 0; upper < 2; upper++) {
				uint64_t p = canon_ptr(tcrs[t], upper), field = ref_field(tcrs[t], p), seen = 0;
				unsigned collisions = 0;
				for (unsigned i = 0; i < 48; i++) {
					set_inputs();
					uint64_t mod = rnd();
					in_x[0] = p;
					in_x[1] = mod;
					uint64_t s = run1(pac_insn[k], 0);
					CHECK(((s ^ p) & ~field) == 0, "tcr %u key %u: PAC outside the field: %#llx -> %#llx",
					      t, k, (unsigned long long)p, (unsigned long long)s);
					seen |= s ^ p;
					in_x[0] = s;
					CHECK_EQ(run1(aut_insn[k], 0), p, "authenticated pointer");
					/* Wrong modifier (one bit): the error code, or by
					 * chance (2^-field bits) a match. */
					in_x[1] = mod ^ BIT(rnd() & 63);
					uint64_t f = run1(aut_insn[k], 0);
					if (f == p)
						collisions++;
					else
						CHECK_EQ(f, ref_err(tcrs[t], p, k & 1), "failed AUT (wrong modifier)");
					/* Corrupted pointer: one bit of the PAC field flipped. */
					unsigned b;
					do
						b = (unsigned)(rnd() & 63);
					while (!(field & BIT(b)));
					in_x[0] = s ^ BIT(b);
					in_x[1] = mod;
					f = run1(aut_insn[k], 0);
					if (f == p)
						collisions++;
					else
						CHECK_EQ(f, ref_err(tcrs[t], p, k & 1), "failed AUT (corrupted PAC)");
				}
				CHECK(collisions <= 8, "tcr %u key %u: %u of 96 wrong AUTs succeeded", t, k, collisions);
				CHECK(seen == field, "tcr %u key %u: PAC bits used %#llx, field %#llx", t, k,
				      (unsigned long long)seen, (unsigned long long)field);
			}
	}
}

/* Z forms, SP as modifier, and the hint-space forms give the same PAC as the
 * general form with the same operands. */
static void test_forms(void)
{
	check_ctx = "instruction forms";
	random_keys();
	set_tcr(tcrs[0]);
	for (unsigned i = 0; i < 8; i++) {
		uint64_t p = canon_ptr(tcrs[0], i & 1), m = rnd();
		set_inputs();
		in_x[0] = p;
		in_x[1] = 0;
		uint64_t za = run1(I_PACIA, 0);
		CHECK_EQ(run1(I_PACIZA, 0), za, "PACIZA = PACIA with modifier 0");
		in_x[1] = in_sp;
		uint64_t spa = run1(I_PACIA, 0);
		CHECK_EQ(run1(I_PACIA_SP, 0), spa, "PACIA x0, sp");
		in_x[0] = p;
		in_x[1] = m;
		uint64_t b = run1(I_PACIB, 0);
		in_x[0] = b;
		in_x[1] = 0;
		uint64_t f = run1(I_AUTIZB, 0); /* modifier 0, signed with m: fails (or collides) */
		CHECK(f == p || f == ref_err(tcrs[0], p, 1), "AUTIZB with the wrong modifier");
		in_x[1] = 0;
		in_x[0] = p;
		uint64_t zb = run1(I_PACIB, 0);
		in_x[0] = zb;
		CHECK_EQ(run1(I_AUTIZB, 0), p, "AUTIZB");

		/* 1716: X17 with modifier X16 */
		set_inputs();
		in_x[0] = p;
		in_x[1] = m;
		uint64_t ia = run1(I_PACIA, 0), ib = run1(I_PACIB, 0);
		in_x[17] = p;
		in_x[16] = m;
		CHECK_EQ(run1(I_PACIA1716, 17), ia, "PACIA1716");
		CHECK_EQ(run1(I_PACIB1716, 17), ib, "PACIB1716");
		in_x[17] = ia;
		CHECK_EQ(run1(I_AUTIA1716, 17), p, "AUTIA1716");
		in_x[17] = ib;
		CHECK_EQ(run1(I_AUTIB1716, 17), p, "AUTIB1716");

		/* X30 with modifier SP or zero */
		set_inputs();
		in_x[0] = p;
		in_x[1] = in_sp;
		uint64_t iasp = run1(I_PACIA, 0), ibsp = run1(I_PACIB, 0);
		in_x[1] = 0;
		uint64_t iaz = run1(I_PACIA, 0), ibz = run1(I_PACIB, 0);
		in_x[30] = p;
		CHECK_EQ(run1(I_PACIASP, 30), iasp, "PACIASP");
		CHECK_EQ(run1(I_PACIBSP, 30), ibsp, "PACIBSP");
		CHECK_EQ(run1(I_PACIAZ, 30), iaz, "PACIAZ");
		CHECK_EQ(run1(I_PACIBZ, 30), ibz, "PACIBZ");
		in_x[30] = iasp;
		CHECK_EQ(run1(I_AUTIASP, 30), p, "AUTIASP");
		in_x[30] = ibsp;
		CHECK_EQ(run1(I_AUTIBSP, 30), p, "AUTIBSP");
		in_x[30] = iaz;
		CHECK_EQ(run1(I_AUTIAZ, 30), p, "AUTIAZ");
		in_x[30] = ibz;
		CHECK_EQ(run1(I_AUTIBZ, 30), p, "AUTIBZ");
		in_x[30] = ibz;
		uint64_t f2 = run1(I_AUTIBSP, 30); /* signed with 0, checked with SP */
		CHECK(f2 == p || f2 == ref_err(tcrs[0], p, 1), "AUTIBSP wrong modifier");
	}
}

/* Every key bit and every modifier bit changes the PAC (wide field: no TBI,
 * 25-bit VAs, so 38 PAC bits: a chance equality is 2^-38). Different keys
 * fail each other's authentication. */
static void test_key_dependence(void)
{
	check_ctx = "key and modifier dependence";
	uint64_t tcr = 39 | 39ull << 16;
	set_tcr(tcr);
	random_keys();
	uint64_t p = canon_ptr(tcr, false), m = rnd(), lo = rnd(), hi = rnd();
	set_key(IA, lo, hi);
	set_inputs();
	in_x[0] = p;
	in_x[1] = m;
	uint64_t s0 = run1(I_PACIA, 0);
	unsigned same = 0;
	for (unsigned b = 0; b < 128; b++) {
		set_key(IA, b < 64 ? lo ^ BIT(b) : lo, b >= 64 ? hi ^ BIT(b - 64) : hi);
		uint64_t s = run1(I_PACIA, 0);
		same += s == s0;
		in_x[0] = s0;
		CHECK_EQ(run1(I_AUTIA, 0), ref_err(tcr, p, 0), "AUTIA with another key");
		in_x[0] = p;
	}
	CHECK(same == 0, "%u of 128 one-bit key changes left the PAC unchanged", same);
	set_key(IA, lo, hi);
	same = 0;
	for (unsigned b = 0; b < 64; b++) {
		in_x[1] = m ^ BIT(b);
		same += run1(I_PACIA, 0) == s0;
	}
	CHECK(same == 0, "%u of 64 one-bit modifier changes left the PAC unchanged", same);
	/* The four address keys differ from each other (keys set apart). */
	in_x[1] = m;
	uint64_t ib = run1(I_PACIB, 0);
	CHECK(ib != s0, "IA and IB keys give the same PAC");
	in_x[0] = s0;
	CHECK_EQ(run1(I_AUTIB, 0), ref_err(tcr, p, 1), "AUTIB of an IA-signed pointer");
	CHECK_EQ(run1(I_AUTDA, 0), ref_err(tcr, p, 0), "AUTDA of an IA-signed pointer");

	/* A pointer with bad extension bits never authenticates. */
	uint64_t bad = p | BIT(50);
	in_x[0] = bad;
	in_x[1] = m;
	uint64_t sb = run1(I_PACIA, 0);
	in_x[0] = sb;
	CHECK_EQ(run1(I_AUTIA, 0), ref_err(tcr, ref_strip(tcr, sb), 0), "AUTIA of a non-canonical pointer");
}

static void test_xpac(void)
{
	check_ctx = "XPACI/XPACD/XPACLRI";
	for (unsigned t = 0; t < NTCRS; t++) {
		set_tcr(tcrs[t]);
		for (unsigned i = 0; i < 32; i++) {
			uint64_t p = rnd();
			if (i & 1)
				p ^= BIT(55);
			set_inputs();
			in_x[0] = p;
			in_x[30] = p;
			CHECK_EQ(run1(I_XPACI, 0), ref_strip(tcrs[t], p), "XPACI");
			CHECK_EQ(run1(I_XPACD, 0), ref_strip(tcrs[t], p), "XPACD");
			CHECK_EQ(run1(I_XPACLRI, 30), ref_strip(tcrs[t], p), "XPACLRI");
		}
	}
	/* Stripping a signed pointer gives the original back. */
	set_tcr(tcrs[0]);
	uint64_t p = canon_ptr(tcrs[0], false);
	set_inputs();
	in_x[0] = p;
	in_x[1] = 77;
	in_x[0] = run1(I_PACDA, 0);
	CHECK_EQ(run1(I_XPACD, 0), p, "XPACD of a signed pointer");
}

static void test_enables(void)
{
	check_ctx = "SCTLR_EL1.En*";
	set_tcr(tcrs[0]);
	random_keys();
	for (unsigned k = 0; k < 4; k++) {
		set_sctlr(EN_ALL & ~key_en[k]);
		uint64_t p = canon_ptr(tcrs[0], k & 1);
		set_inputs();
		in_x[0] = p;
		in_x[1] = rnd();
		CHECK_EQ(run1(pac_insn[k], 0), p, "PAC with its key disabled");
		in_x[0] = p ^ BIT(50);
		CHECK_EQ(run1(aut_insn[k], 0), p ^ BIT(50), "AUT with its key disabled");
		in_x[0] = p;
		unsigned other = (k + 1) & 3;
		uint64_t s = run1(pac_insn[other], 0);
		CHECK(s != p, "key %u disabled another key", k); /* 2^-7 chance of a PAC equal to the bits */
		in_x[0] = s;
		CHECK_EQ(run1(aut_insn[other], 0), p, "other key still enabled");
	}
	/* Hint forms follow the same enables. */
	set_sctlr(EN_ALL & ~EN_IA);
	set_inputs();
	in_x[30] = 0x0000123456789000ull;
	CHECK_EQ(run1(I_PACIASP, 30), 0x0000123456789000ull, "PACIASP with EnIA = 0");
	/* BRAA with EnIA = 0 branches to the unchanged register. */
	uint64_t target = snippet(0xd503201f /* nop */);
	in_x[0] = target;
	in_x[1] = 5;
	struct res r;
	uint64_t pc = snippet(I_BRAA);
	run_at(pc, &r);
	CHECK(r.kind == R_BRK && r.pc == target + 4, "BRAA with EnIA = 0");
	set_sctlr(EN_ALL);
}

static void test_pacga(void)
{
	check_ctx = "PACGA";
	random_keys();
	uint64_t prev = 0;
	unsigned same = 0;
	for (unsigned i = 0; i < 16; i++) {
		set_inputs();
		in_x[1] = rnd();
		in_x[2] = rnd();
		uint64_t g = run1(I_PACGA, 0);
		CHECK_EQ(g & 0xffffffffull, 0u, "PACGA low half");
		same += g == prev;
		prev = g;
		in_x[2] = in_sp;
		CHECK_EQ(run1(I_PACGA_SP, 0), run1(I_PACGA, 0), "PACGA Xm = SP");
		/* Independent of the address keys and the enables. */
		set_sctlr(0);
		set_key(IA, rnd(), rnd());
		in_x[2] = rnd();
		uint64_t g1 = run1(I_PACGA, 0);
		set_key(GA, rnd(), rnd());
		uint64_t g2 = run1(I_PACGA, 0);
		CHECK(g1 != g2, "PACGA ignores the GA key");
		set_sctlr(EN_ALL);
	}
	CHECK(same == 0, "PACGA repeats");
}

/* Branch forms: success lands on the target; failure branches to the
 * error-coded address, whose fetch faults (instruction abort, FAR = it). */
static void test_branches(void)
{
	check_ctx = "BRAA/BLRAA/RETAA";
	random_keys();
	uint64_t tcr = tcrs[0];
	set_tcr(tcr);
	uint64_t target = snippet(0xd503201f /* nop */);
	struct {
		uint32_t insn;
		unsigned key, treg;
		int mod; /* -1: zero, -2: SP, else register */
		bool link;
	} f[] = {
		{ I_BRAA, IA, 0, 1, false }, { I_BRAB_SP, IB, 0, -2, false }, { I_BRAAZ, IA, 0, -1, false },
		{ I_BRABZ, IB, 0, -1, false }, { I_BLRAA, IA, 0, 1, true }, { I_BLRAB, IB, 0, 1, true },
		{ I_BLRAAZ, IA, 0, -1, true }, { I_BLRABZ, IB, 0, -1, true }, { I_RETAA, IA, 30, -2, false },
		{ I_RETAB, IB, 30, -2, false },
	};
	for (unsigned i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		set_inputs();
		uint64_t mod = f[i].mod == -1 ? 0 : f[i].mod == -2 ? in_sp : 0x1234567890abcdefull;
		in_x[1] = mod;
		/* Untagged (tagged branch targets are test_tbid's). */
		in_x[0] = target;
		uint64_t signed_t = run1(pac_insn[f[i].key], 0);
		set_inputs();
		in_x[1] = mod;
		in_x[f[i].treg] = signed_t;
		uint64_t pc = snippet(f[i].insn);
		struct res r;
		run_at(pc, &r);
		CHECK(r.kind == R_BRK && r.pc == target + 4, "%08x: success did not reach the target (kind %d pc %#llx)",
		      f[i].insn, r.kind, (unsigned long long)r.pc);
		if (f[i].link)
			CHECK_EQ(r.x[30], pc + 4, "link register");
		/* Failure: corrupt one PAC bit. */
		in_x[f[i].treg] = signed_t ^ BIT(49);
		run_at(pc, &r);
		uint64_t want = ref_err(tcr, target, f[i].key & 1);
		CHECK(r.kind == R_EXC && (r.esr >> 26) == EC_IABT_CUR && r.far == want && r.elr == want,
		      "%08x failure: kind %d ESR %#llx FAR %#llx, expected FAR %#llx", f[i].insn, r.kind,
		      (unsigned long long)r.esr, (unsigned long long)r.far, (unsigned long long)want);
		if (f[i].link)
			CHECK_EQ(r.x[30], pc + 4, "link register after a failed BLRA*");
	}
}

static void test_eret(void)
{
	check_ctx = "ERETAA/ERETAB";
	random_keys();
	set_tcr(tcrs[0]);
	uint64_t target = snippet(0xd503201f /* nop */);
	for (unsigned k = 0; k < 2; k++) {
		set_inputs();
		in_x[0] = target;
		in_x[1] = in_sp;
		uint64_t s = run1(pac_insn[k], 0);
		for (unsigned bad = 0; bad < 2; bad++) {
			must(accel_set_sysreg(E->cpu, SYSREG_ELR_EL1, bad ? s ^ BIT(52) : s), "elr");
			must(accel_set_sysreg(E->cpu, SYSREG_SPSR_EL1, 0x3c5), "spsr"); /* EL1h */
			struct res r;
			run_at(snippet(k ? I_ERETAB : I_ERETAA), &r);
			if (!bad) {
				CHECK(r.kind == R_BRK && r.pc == target + 4, "ERETA%c success", k ? 'B' : 'A');
			} else {
				uint64_t want = ref_err(tcrs[0], target, k);
				CHECK(r.kind == R_EXC && (r.esr >> 26) == EC_IABT_CUR && r.far == want,
				      "ERETA%c failure: FAR %#llx, expected %#llx", k ? 'B' : 'A',
				      (unsigned long long)r.far, (unsigned long long)want);
			}
		}
	}
}

static void test_ldra(void)
{
	check_ctx = "LDRAA/LDRAB";
	random_keys();
	set_tcr(tcrs[0]);
	uint64_t base = DATA_IPA + 0x2000;
	for (int i = -512; i < 512; i++) {
		uint64_t v = 0xd00d000000000000ull | (uint64_t)(i + 512);
		memcpy(E->ram + (base - CODE_IPA) + (int64_t)i * 8, &v, 8);
	}
	struct {
		uint32_t insn;
		unsigned key;
		int64_t off;
		bool wb, sp;
	} f[] = {
		{ I_LDRAA, DA, 0, false, false }, { I_LDRAB_8, DB, 8, false, false },
		{ I_LDRAA_M8_WB, DA, -8, true, false }, { I_LDRAA_4088, DA, 4088, false, false },
		{ I_LDRAA_M4096, DA, -4096, false, false }, { I_LDRAA_SP16, DA, 16, false, true },
	};
	for (unsigned i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		set_inputs();
		in_x[0] = base | 0x7700000000000000ull;
		in_x[1] = 0; /* LDRA* use modifier zero */
		uint64_t s = run1(pac_insn[f[i].key], 0);
		set_inputs();
		uint64_t want_va = (base | 0x7700000000000000ull) + (uint64_t)f[i].off, want;
		memcpy(&want, E->ram + (want_va & 0xffffffff) - CODE_IPA, 8);
		if (f[i].sp)
			in_sp = s;
		else
			in_x[1] = s;
		uint64_t pc = snippet(f[i].insn);
		struct res r;
		run_at(pc, &r);
		CHECK(r.kind == R_BRK && r.x[0] == want, "%08x: kind %d x0 %#llx, expected %#llx", f[i].insn, r.kind,
		      (unsigned long long)r.x[0], (unsigned long long)want);
		if (f[i].wb)
			CHECK_EQ(r.x[1], want_va, "writeback");
		else if (!f[i].sp)
			CHECK_EQ(r.x[1], s, "no writeback");
		/* Failure: data abort at the error-coded address plus the offset. */
		if (f[i].sp)
			in_sp = s ^ BIT(50);
		else
			in_x[1] = s ^ BIT(50);
		run_at(pc, &r);
		uint64_t bad = ref_err(tcrs[0], base | 0x7700000000000000ull, f[i].key & 1) + (uint64_t)f[i].off;
		CHECK(r.kind == R_EXC && (r.esr >> 26) == EC_DABT_CUR && r.far == bad && r.elr == pc,
		      "%08x failure: kind %d ESR %#llx FAR %#llx, expected %#llx", f[i].insn, r.kind,
		      (unsigned long long)r.esr, (unsigned long long)r.far, (unsigned long long)bad);
		if (f[i].wb)
			CHECK_EQ(r.x[1], s ^ BIT(50), "no writeback after a fault");
	}
}

/* Without PAuth: non-hint forms UNDEFINED, hint forms NOPs. */
/* TCR_EL1.TBID0/1 (writable with FEAT_PAuth): the top byte is ignored for
 * data addresses only. Instruction-key PACs then use bits 63:56 too, data
 * keys do not; and a branch to a tagged address keeps its tag and faults,
 * where with TBI alone AArch64.BranchAddr drops the tag. */
#define TBID0 BIT(51)
#define TBID1 BIT(52)
static void test_tbid(bool pauth)
{
	check_ctx = pauth ? "TBID (pauth on)" : "TBID (pauth off)";
	uint64_t base = 16 | 16 << 16, tcr = 0;
	set_tcr(base | TBI0 | TBI1 | TBID0 | TBID1);
	must(accel_get_sysreg(E->cpu, SYSREG_TCR_EL1, &tcr), "get tcr");
	CHECK_EQ(tcr & (TBID0 | TBID1), pauth ? TBID0 | TBID1 : 0, "TCR_EL1.TBID0/1 writable only with PAuth");

	/* BR x1 to a tagged address in the lower half. */
	uint64_t target = snippet(0xd503201f /* nop */), br = snippet(0xd61f0020 /* br x1 */);
	uint64_t tagged = 0x5aull << 56 | target;
	struct res r;
	set_tcr(base | TBI0);
	set_inputs();
	in_x[1] = tagged;
	run_at(br, &r);
	CHECK(r.kind == R_BRK && r.pc == target + 4, "TBI0: BR drops the tag (kind %d pc %#llx)", r.kind,
	      (unsigned long long)r.pc);
	set_tcr(base);
	run_at(br, &r);
	CHECK(r.kind == R_EXC && (r.esr >> 26) == EC_IABT_CUR && r.far == tagged && r.elr == tagged,
	      "no TBI: BR keeps the tag and the fetch faults (kind %d FAR %#llx)", r.kind, (unsigned long long)r.far);
	if (!pauth)
		return;
	set_tcr(base | TBI0 | TBID0);
	run_at(br, &r);
	CHECK(r.kind == R_EXC && (r.esr >> 26) == EC_IABT_CUR && r.far == tagged && r.elr == tagged,
	      "TBI0+TBID0: BR keeps the tag and the fetch faults (kind %d FAR %#llx)", r.kind,
	      (unsigned long long)r.far);

	/* PAC fields: instruction keys 63:56 and 54:48, data keys 54:48. */
	random_keys();
	uint64_t seen_i = 0, seen_d = 0;
	for (unsigned i = 0; i < 96; i++) {
		set_inputs();
		uint64_t p = rnd() & MASK(47, 0);
		in_x[0] = p;
		in_x[1] = rnd();
		seen_i |= run1(I_PACIA, 0) ^ p;
		in_x[0] = p;
		seen_d |= run1(I_PACDA, 0) ^ p;
	}
	CHECK_EQ(seen_i, MASK(63, 56) | MASK(54, 48), "TBID0: PACIA uses the top byte");
	CHECK_EQ(seen_d, MASK(54, 48), "TBID0: PACDA leaves the top byte");
	set_tcr(base | TBI0);
}

static void test_off(void)
{
	check_ctx = "pauth off";
	static const uint32_t undef[] = {
		I_PACIA, I_PACIB, I_PACDA, I_PACDB, I_AUTIA, I_AUTIB, I_AUTDA, I_AUTDB, I_PACIZA, I_AUTIZB,
		I_XPACI, I_XPACD, I_PACGA, I_BRAA, I_BRAAZ, I_BLRAA, I_BLRABZ, I_RETAA, I_RETAB, I_ERETAA,
		I_ERETAB, I_LDRAA, I_LDRAB_8, I_LDRAA_M8_WB,
	};
	static const uint32_t nop[] = {
		I_XPACLRI, I_PACIA1716, I_PACIB1716, I_AUTIA1716, I_AUTIB1716, I_PACIAZ, I_PACIASP,
		I_PACIBZ, I_PACIBSP, I_AUTIAZ, I_AUTIASP, I_AUTIBZ, I_AUTIBSP,
	};
	set_tcr(tcrs[0]);
	for (unsigned i = 0; i < sizeof(undef) / sizeof(undef[0]); i++) {
		set_inputs();
		in_x[1] = DATA_IPA;
		uint64_t pc = snippet(undef[i]);
		struct res r;
		run_at(pc, &r);
		CHECK(r.kind == R_EXC && r.esr == 0x02000000u && r.elr == pc, "%08x not UNDEFINED (kind %d ESR %#llx)",
		      undef[i], r.kind, (unsigned long long)r.esr);
	}
	for (unsigned i = 0; i < sizeof(nop) / sizeof(nop[0]); i++) {
		set_inputs();
		in_x[30] = 0x0055123456789abcull; /* would change under XPACLRI/AUT* */
		in_x[17] = 0x0055123456789abcull;
		uint64_t pc = snippet(nop[i]);
		struct res r;
		run_at(pc, &r);
		bool same = r.kind == R_BRK && r.pc == pc + 4;
		for (unsigned j = 0; same && j < 31; j++)
			same = r.x[j] == in_x[j];
		CHECK(same, "hint %08x is not a NOP", nop[i]);
	}
}

int main(void)
{
	static struct env on, off;
	env_init(&on, true);
	env_init(&off, false);

	E = &on;
	test_id_and_keys(true);
	test_roundtrip();
	test_forms();
	test_key_dependence();
	test_xpac();
	test_enables();
	test_pacga();
	test_branches();
	test_eret();
	test_ldra();
	test_tbid(true);

	E = &off;
	test_id_and_keys(false);
	test_off();
	test_tbid(false);

	env_fini(&on);
	env_fini(&off);
	return check_summary();
}
