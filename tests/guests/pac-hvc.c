/* Apple's CPU-service hypercalls issued exactly as XNU issues them
 * (osfmk/arm64/pac_asm.h, machine_routines_asm.s, machine_routines_apple.c,
 * arm64_hypercall.c: movz/movk x0, hvc #0, cbnz x0, .), then pointer
 * authentication with the keys they set. Run (tests/guests/meson.build):
 *  - HVF-like refusal (-accel soft,hvc0=hvf-public) without patching: the
 *    first call spins forever (the test expects the hang);
 *  - with -M virt,hvc-patch=on (exec-time patching) or =watchdog: completes;
 *  - with the VMM answering hvc #0 directly (hvc0=exit) or HVF's private
 *    ISA level (hvc0=hvf-private): completes.
 * Needs FEAT_PAuth (-cpu max) for the key and AUT checks. */
#include "rt/rt.h"

#define SCTLR_EN_PAC (1ull << 31 | 1ull << 30 | 1ull << 27 | 1ull << 13) /* EnIA EnIB EnDA EnDB */

struct r5 {
	uint64_t x[5];
};

/* Every XNU-shaped call site lives in this one page, as in a kernel's text:
 * the watchdog patches the page of the first spin it finds. */
#define XNU_PAC(hi, lo, a1, a2)                                                                     \
	({                                                                                         \
		uint64_t r_;                                                                       \
		__asm__ volatile("mov x1, %1\n\tmov x2, %2\n\tmovz x0, #" #hi ", lsl #16\n\tmovk x0, #" #lo \
				 "\n\thvc #0\n\tcbnz x0, .\n\tmov %0, x0"                                \
				 : "=r"(r_)                                                        \
				 : "r"((uint64_t)(a1)), "r"((uint64_t)(a2))                             \
				 : "x0", "x1", "x2", "x3", "x4", "memory");                          \
		r_;                                                                                \
	})

static uint64_t defaults[5];

__attribute__((noinline, aligned(4096))) static uint64_t xnu_sequence(unsigned what, uint64_t a1, uint64_t a2)
{
	switch (what) {
	case 0: /* PAC_INIT_KEY_STATE: mov x0, #VMAPPLE_PAC_SET_INITIAL_STATE; hvc #0 */
		rt_puts("pac-hvc: SET_INITIAL_STATE\n");
		{
			uint64_t r;
			__asm__ volatile("movz x0, #0xc100, lsl #16\n\thvc #0\n\tcbnz x0, .\n\tmov %0, x0"
					 : "=r"(r) : : "x0", "x1", "x2", "x3", "memory");
			return r;
		}
	case 1: { /* vmapple_pac_get_default_keys: mov x0, %[fn]; hvc #0; str x2; str x3 */
		const uint64_t fn = 0xc1000001;
		uint64_t r;
		__asm__ volatile("mov x0, %5\n\thvc #0\n\tmov %0, x0\n\tmov %1, x1\n\tmov %2, x2\n\tmov %3, x3\n\tmov %4, x4"
				 : "=r"(r), "=r"(defaults[1]), "=r"(defaults[2]), "=r"(defaults[3]), "=r"(defaults[4])
				 : "r"(fn)
				 : "x0", "x1", "x2", "x3", "x4", "memory");
		return r;
	}
	case 2: return XNU_PAC(0xc100, 0x2, a1, a2); /* SET_A_KEYS */
	case 3: return XNU_PAC(0xc100, 0x3, a1, a2); /* SET_B_KEYS (SET_ROP_KEY_REGISTERS) */
	case 4: return XNU_PAC(0xc100, 0x4, a1, a2); /* SET_EL0_DIVERSIFIER (SET_JOP_KEY_REGISTERS) */
	case 5: return XNU_PAC(0xc100, 0x5, a1, a2); /* SET_EL0_DIVERSIFIER_AT_EL1 */
	case 6: return XNU_PAC(0xc100, 0x6, a1, a2); /* SET_G_KEY */
	default: return XNU_PAC(0xc100, 0xf0, a1, a2); /* PAC_NOP */
	}
}

/* hvc32_4 / hvc_5 of arm64_hypercall.c: x0 = function, results in x0-x4. */
static struct r5 hvc(uint64_t fn, uint64_t a1)
{
	struct r5 r;
	__asm__ volatile("mov x0, %5\n\tmov x1, %6\n\tmov x2, xzr\n\tmov x3, xzr\n\tmov x4, xzr\n\thvc #0\n\t"
			 "mov %0, x0\n\tmov %1, x1\n\tmov %2, x2\n\tmov %3, x3\n\tmov %4, x4"
			 : "=r"(r.x[0]), "=r"(r.x[1]), "=r"(r.x[2]), "=r"(r.x[3]), "=r"(r.x[4])
			 : "r"(fn), "r"(a1)
			 : "x0", "x1", "x2", "x3", "x4", "memory");
	return r;
}

/* Pointer authentication, by encoding (x9 = pointer, x10 = modifier). */
#define PAC_OP(insn, p, m)                                                                       \
	({                                                                                       \
		uint64_t p_ = (p);                                                               \
		__asm__ volatile("mov x9, %0\n\tmov x10, %1\n\t.inst " #insn "\n\tmov %0, x9"      \
				 : "+r"(p_) : "r"((uint64_t)(m)) : "x9", "x10");                  \
		p_;                                                                              \
	})
#define PACIA(p, m) PAC_OP(0xdac10149, p, m)
#define AUTIA(p, m) PAC_OP(0xdac11149, p, m)
#define PACIB(p, m) PAC_OP(0xdac10549, p, m)
#define AUTIB(p, m) PAC_OP(0xdac11549, p, m)
#define PACDA(p, m) PAC_OP(0xdac10949, p, m)
#define AUTDA(p, m) PAC_OP(0xdac11949, p, m)
#define PACGA(p, m) PAC_OP(0x9aca3129, p, m) /* pacga x9, x9, x10 */

static unsigned hexval(char c)
{
	return c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

/* The UID words XNU expects, derived here from the UUID string the way
 * regs_to_uuid() (arm64_hypercall.c) reads them back. */
static void uid_words(uint32_t w[4])
{
	static const char s[] = "3B878185-AA62-4E1F-9DC9-D6799CBB6EBB";
	uint8_t u[16];
	unsigned n = 0;
	for (unsigned i = 0; s[i]; i++)
		if (s[i] != '-') {
			if (n % 2 == 0)
				u[n / 2] = 0;
			u[n / 2] = (uint8_t)(u[n / 2] << 4 | hexval(s[i]));
			n++;
		}
	for (unsigned i = 0; i < 4; i++) {
		w[i] = 0;
		for (unsigned j = 0; j < 4; j++)
			w[i] |= (uint32_t)u[15 - i * 4 - j] << (j * 8);
	}
}

static uint32_t codebuf[4096] __attribute__((aligned(16384)));

static void write_code(const uint32_t *w, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		codebuf[i] = w[i];
	for (unsigned i = 0; i < n; i += 16)
		__asm__ volatile("dc cvau, %0" ::"r"(&codebuf[i]) : "memory");
	__asm__ volatile("dsb ish" ::: "memory");
	for (unsigned i = 0; i < n; i += 16)
		__asm__ volatile("ic ivau, %0" ::"r"(&codebuf[i]) : "memory");
	__asm__ volatile("dsb ish\n\tisb" ::: "memory");
}

static void pauth_checks(void)
{
	uint64_t isar1 = RT_MRS(id_aa64isar1_el1);
	int have = ((isar1 >> 4) & 0xff) != 0 && ((isar1 >> 24) & 0xff) != 0; /* APA|API, GPA|GPI */
	rt_check(have, "FEAT_PAuth advertised (needs -cpu max)");
	if (!have)
		return;
	const uint64_t k1 = 0x0123456789abcdefull, k2 = 0x0fedcba987654321ull, kb = 0x1111222233334444ull;
	rt_check(xnu_sequence(2, k1, 0) == 0, "SET_A_KEYS x0 = 0");
	rt_check(RT_MRS(S3_0_C2_C1_0) == k1 && RT_MRS(S3_0_C2_C1_1) == k1 + 1 && RT_MRS(S3_0_C2_C2_0) == k1 + 2 &&
			 RT_MRS(S3_0_C2_C2_1) == k1 + 3,
		 "SET_A_KEYS: APIA = (k, k+1), APDA = (k+2, k+3)");
	rt_check(xnu_sequence(3, kb, 0) == 0 && RT_MRS(S3_0_C2_C1_2) == kb && RT_MRS(S3_0_C2_C2_3) == kb + 3,
		 "SET_B_KEYS: APIB/APDB");
	RT_MSR(sctlr_el1, RT_MRS(sctlr_el1) | SCTLR_EN_PAC);
	const uint64_t p = 0xffffff8000123450ull, m = 0x5a5a;
	uint64_t sa = PACIA(p, m), sb = PACIB(p, m), sd = PACDA(p, m);
	rt_check(sa != p && sb != p && sd != p, "PACIA/PACIB/PACDA insert a PAC");
	rt_check(AUTIA(sa, m) == p && AUTIB(sb, m) == p && AUTDA(sd, m) == p, "AUT with the keys set: success");
	/* A process switch in XNU: SET_B_KEYS with another ROP pid. */
	rt_check(xnu_sequence(3, kb + 8, 0) == 0 && AUTIB(sb, m) != p, "AUTIB after SET_B_KEYS(other): fails");
	rt_check(xnu_sequence(2, k2, 0) == 0 && AUTIA(sa, m) != p && AUTDA(sd, m) != p,
		 "AUTIA/AUTDA with wrong keys: fail");
	rt_check(xnu_sequence(2, k1, 0) == 0 && xnu_sequence(3, kb, 0) == 0 && AUTIA(sa, m) == p &&
			 AUTIB(sb, m) == p && AUTDA(sd, m) == p,
		 "keys restored: AUT succeeds again");
	rt_check(xnu_sequence(6, k1, 0) == 0 && RT_MRS(S3_0_C2_C3_0) == k1 && RT_MRS(S3_0_C2_C3_1) == k1 + 1,
		 "SET_G_KEY: APGA = (k, k+1)");
	uint64_t g1 = PACGA(p, m);
	rt_check(xnu_sequence(6, k2, 0) == 0 && PACGA(p, m) != g1 && (g1 & 0xffffffffu) == 0,
		 "PACGA depends on the G key");
}

int main(void)
{
	rt_mmu_identity();
	/* PAC_INIT_KEY_STATE: a refused call hangs right here. */
	rt_check(xnu_sequence(0, 0, 0) == 0, "SET_INITIAL_STATE x0 = 0");
	rt_check(xnu_sequence(7, 0, 0) == 0, "PAC_NOP x0 = 0 (hvg_is_hcall_available)");
	rt_check(xnu_sequence(1, 0, 0) == 0 && defaults[2] && defaults[3], "GET_DEFAULT_KEYS: non-zero ROP/JOP pids");
	rt_check(xnu_sequence(4, 0x77, 0) == 0 && xnu_sequence(5, 1, 0x78) == 0 && xnu_sequence(5, 0, 0x79) == 0,
		 "EL0 diversifier calls x0 = 0");

	uint32_t w[4];
	uid_words(w);
	struct r5 r = hvc(0x8300ff01, 0);
	rt_check((uint32_t)r.x[0] == w[0] && (uint32_t)r.x[1] == w[1] && (uint32_t)r.x[2] == w[2] &&
			 (uint32_t)r.x[3] == w[3],
		 "OEM UID = 3B878185-AA62-4E1F-9DC9-D6799CBB6EBB");
	r = hvc(0x8300ff03, 0);
	rt_check(r.x[0] == 1 && r.x[1] == 0, "OEM revision 1.0");
	rt_check((int32_t)hvc(0x8300feff, 0xc3000004).x[0] >= 0 && (int32_t)hvc(0x8300feff, 0xc3000099).x[0] < 0,
		 "OEM FEATURES");
	struct r5 u1 = hvc(0xc3000004, 0), u2 = hvc(0xc3000004, 0);
	rt_check(u1.x[0] == 0 && u1.x[1] == u2.x[1] && u1.x[4] == u2.x[4] && ((u1.x[3] >> 12) & 0xf) == 4,
		 "GET_BOOTSESSIONUUID stable, version-4 UUID in XNU's word order");
	struct r5 m0 = hvc(0xc3000003, 0), m5 = hvc(0xc3000003, 5);
	rt_check(m0.x[0] == 0 && m5.x[1] == m0.x[1] - 5, "GET_MABS_OFFSET");
	uint64_t me = RT_MRS(mpidr_el1) & 0xff00ffffffull;
	rt_check(hvc(0xc3000006, me).x[0] == 0, "VCPU_KICK self");
	rt_check(hvc(0xc3000005, 1).x[0] == 0, "VCPU_WFK returns after the kick");
	rt_check((int64_t)hvc(0xc3000006, 0xfe).x[0] < 0, "VCPU_KICK of no vCPU fails");
	rt_check(hvc(0xc1000000 | 0x7, 0).x[0] == 0xffffffffu, "unknown CPU-service function refused");
	rt_check(hvc(0x8400000a, 0x84000000).x[0] == 0, "PSCI still answered");

	pauth_checks();

	/* Code written after its page was executed is scanned again. */
	static const uint32_t nop_stub[] = { 0xd2b82000, 0xf2801e00, 0xd4000002, 0xb5000000, 0xd65f03c0 };
	static const uint32_t gkey_stub[] = { 0xd2b82000, 0xf28000c0, 0xd4000002, 0xb5000000, 0xd65f03c0 };
	uint64_t (*fn)(uint64_t, uint64_t) = (uint64_t(*)(uint64_t, uint64_t))(uintptr_t)codebuf;
	write_code(nop_stub, 5);
	rt_check(fn(0, 0) == 0, "fresh code page: PAC_NOP answered");
	write_code(gkey_stub, 5);
	rt_check(fn(0, 0x4242) == 0, "rewritten code page: SET_G_KEY answered");
	return 0;
}
