/* avmm's ID registers advertise exactly what is implemented (avmm only: the
 * values are avmm's own). For every feature field probed here, the
 * feature's instruction must execute when the field says the feature is
 * there and must be UNDEFINED when it says it is not; and the AArch32 and
 * reserved ID registers of this AArch64-only CPU read as zero.
 *
 * ONE_WAY marks a feature whose instructions land before its ID field is
 * flipped: only "advertised => executes" is checked for it until then.
 * No feature is in that state now. */
#include "rt/rt.h"

static uint64_t scratch[8] __attribute__((aligned(64)));

enum { ISAR0, ISAR1, PFR0, PFR1, MMFR1, MMFR2, NREGS };
static uint64_t idr[NREGS];
static const char *const idr_name[NREGS] = {
	"ID_AA64ISAR0", "ID_AA64ISAR1", "ID_AA64PFR0", "ID_AA64PFR1", "ID_AA64MMFR1", "ID_AA64MMFR2",
};

#define PROBE(name, word)                              \
	static uint64_t probe_##name(void)             \
	{                                              \
		return RT_EXEC(word, scratch);         \
	}
PROBE(crc32b, 0x1ac24020)    /* crc32b w0, w1, w2 */
PROBE(ldadd, 0xb8210062)     /* ldadd w1, w2, [x3] */
PROBE(aese, 0x4e284820)      /* aese v0.16b, v1.16b */
PROBE(sha1c, 0x5e020020)     /* sha1c q0, s1, v2.4s */
PROBE(sha256h, 0x5e024020)   /* sha256h q0, q1, v2.4s */
PROBE(sha512h, 0xce628020)   /* sha512h q0, q1, v2.2d */
PROBE(eor3, 0xce020c20)      /* eor3 v0.16b, v1.16b, v2.16b, v3.16b */
PROBE(sm3ss1, 0xce420c20)    /* sm3ss1 v0.4s, v1.4s, v2.4s, v3.4s */
PROBE(sqrdmlah, 0x6e428420)  /* sqrdmlah v0.8h, v1.8h, v2.8h */
PROBE(sdot, 0x4e829420)      /* sdot v0.4s, v1.16b, v2.16b */
PROBE(fmlal, 0x0e22ec20)     /* fmlal v0.2s, v1.2h, v2.2h */
PROBE(cfinv, 0xd500401f)     /* cfinv */
PROBE(rndr, 0xd53b2400)      /* mrs x0, rndr */
PROBE(dc_cvap, 0xd50b7c20)   /* dc cvap, x0 */
PROBE(pacia, 0xdac10020)     /* pacia x0, x1 */
PROBE(fjcvtzs, 0x1e7e0020)   /* fjcvtzs w0, d1 */
PROBE(fcmla, 0x6e82c420)     /* fcmla v0.4s, v1.4s, v2.4s, #0 */
PROBE(ldapr, 0xb8bfc020)     /* ldapr w0, [x1] */
PROBE(ldapur, 0x99404020)    /* ldapur w0, [x1, #4] */
PROBE(frint32z, 0x1e284020)  /* frint32z s0, s1 */
PROBE(sb, 0xd50330ff)        /* sb */
PROBE(fmov_dx, 0x9e670020)   /* fmov d0, x1 */
PROBE(fadd_h, 0x1ee22820)    /* fadd h0, h1, h2 */
PROBE(add_v, 0x4e228420)     /* add v0.16b, v1.16b, v2.16b */
PROBE(msr_ssbs, 0xd503413f)  /* msr ssbs, #1 */
PROBE(irg, 0x9adf1020)       /* irg x0, x1 */
PROBE(msr_pan, 0xd500419f)   /* msr pan, #1 */
PROBE(ldlar, 0x88df7c20)     /* ldlar w0, [x1] */
PROBE(msr_uao, 0xd500417f)   /* msr uao, #1 */

/* PAUTH: FEAT_PAuth is advertised by APA (7:4, QARMA) or API (11:8,
 * IMPLEMENTATION DEFINED algorithm); `shift` names APA. */
enum rule { GE, SIGNED_GE, PAUTH };
#define ONE_WAY 1
static const struct probe {
	const char *what;
	unsigned reg, shift;
	enum rule rule;
	unsigned min;
	uint64_t (*fn)(void);
	int one_way;
} probes[] = {
	{ "CRC32 (CRC32B)", ISAR0, 16, GE, 1, probe_crc32b, 0 },
	{ "Atomic (LDADD)", ISAR0, 20, GE, 2, probe_ldadd, 0 },
	{ "AES (AESE)", ISAR0, 4, GE, 1, probe_aese, 0 },
	{ "SHA1 (SHA1C)", ISAR0, 8, GE, 1, probe_sha1c, 0 },
	{ "SHA2 (SHA256H)", ISAR0, 12, GE, 1, probe_sha256h, 0 },
	{ "SHA2 SHA512 (SHA512H)", ISAR0, 12, GE, 2, probe_sha512h, 0 },
	{ "SHA3 (EOR3)", ISAR0, 32, GE, 1, probe_eor3, 0 },
	{ "SM3 (SM3SS1)", ISAR0, 36, GE, 1, probe_sm3ss1, 0 },
	{ "RDM (SQRDMLAH)", ISAR0, 28, GE, 1, probe_sqrdmlah, 0 },
	{ "DP (SDOT)", ISAR0, 44, GE, 1, probe_sdot, 0 },
	{ "FHM (FMLAL)", ISAR0, 48, GE, 1, probe_fmlal, 0 },
	{ "TS/FlagM (CFINV)", ISAR0, 52, GE, 1, probe_cfinv, 0 },
	{ "RNDR (MRS RNDR)", ISAR0, 60, GE, 1, probe_rndr, 0 },
	{ "DPB (DC CVAP)", ISAR1, 0, GE, 1, probe_dc_cvap, 0 },
	{ "PAuth: APA or API (PACIA)", ISAR1, 4, PAUTH, 1, probe_pacia, 0 },
	{ "JSCVT (FJCVTZS)", ISAR1, 12, GE, 1, probe_fjcvtzs, 0 },
	{ "FCMA (FCMLA)", ISAR1, 16, GE, 1, probe_fcmla, 0 },
	{ "LRCPC (LDAPR)", ISAR1, 20, GE, 1, probe_ldapr, 0 },
	{ "LRCPC2 (LDAPUR)", ISAR1, 20, GE, 2, probe_ldapur, 0 },
	{ "FRINTTS (FRINT32Z)", ISAR1, 32, GE, 1, probe_frint32z, 0 },
	{ "SB (SB)", ISAR1, 36, GE, 1, probe_sb, 0 },
	{ "FP (FMOV Dd, Xn)", PFR0, 16, SIGNED_GE, 0, probe_fmov_dx, 0 },
	{ "FP16 (FADD Hd)", PFR0, 16, SIGNED_GE, 1, probe_fadd_h, 0 },
	{ "AdvSIMD (ADD Vd.16B)", PFR0, 20, SIGNED_GE, 0, probe_add_v, 0 },
	{ "SSBS (MSR SSBS)", PFR1, 4, GE, 1, probe_msr_ssbs, 0 },
	{ "MTE (IRG)", PFR1, 8, GE, 2, probe_irg, 0 },
	{ "PAN (MSR PAN)", MMFR1, 20, GE, 1, probe_msr_pan, 0 },
	{ "LO (LDLAR)", MMFR1, 16, GE, 1, probe_ldlar, 0 },
	{ "UAO (MSR UAO)", MMFR2, 4, GE, 1, probe_msr_uao, 0 },
};

int main(void)
{
	RT_MSR(cpacr_el1, 3ull << 20); /* FP/SIMD probes must not trap */
	idr[ISAR0] = RT_MRS(id_aa64isar0_el1);
	idr[ISAR1] = RT_MRS(id_aa64isar1_el1);
	idr[PFR0] = RT_MRS(id_aa64pfr0_el1);
	idr[PFR1] = RT_MRS(id_aa64pfr1_el1);
	idr[MMFR1] = RT_MRS(id_aa64mmfr1_el1);
	idr[MMFR2] = RT_MRS(id_aa64mmfr2_el1);
	for (unsigned i = 0; i < NREGS; i++) {
		rt_puts(idr_name[i]);
		rt_puts(" = ");
		rt_put_hex(idr[i]);
		rt_putc('\n');
	}

	for (unsigned i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		const struct probe *p = &probes[i];
		unsigned f = (unsigned)(idr[p->reg] >> p->shift) & 15;
		int adv = p->rule == GE ? f >= p->min
			  : p->rule == PAUTH ? (f | ((unsigned)(idr[p->reg] >> (p->shift + 4)) & 15)) >= p->min
					     : (int)((f ^ 8) - 8) >= (int)p->min;
		rt_record();
		uint64_t at = p->fn();
		int undef = rt_last.count == 1 && rt_last.esr == 0x02000000 && rt_last.elr == at;
		int ran = rt_last.count == 0;
		rt_exception_hook = 0;
		int ok = adv ? ran : (undef || p->one_way);
		rt_puts(adv ? "advertised     " : "not advertised ");
		rt_check(ok, p->what);
		if (!ok) {
			rt_puts("  exceptions ");
			rt_put_dec(rt_last.count);
			rt_puts(", ESR ");
			rt_put_hex(rt_last.esr);
			rt_putc('\n');
		}
	}

	/* EL0/EL1 AArch64 only, no EL2/EL3; no AArch32 ID information. */
	rt_check((idr[PFR0] & 0xffff) == 0x0011, "ID_AA64PFR0: EL0, EL1 AArch64 only; no EL2, EL3");
	rt_check(RT_MRS(id_pfr0_el1) == 0 && RT_MRS(id_pfr1_el1) == 0 && RT_MRS(id_dfr0_el1) == 0 &&
		 RT_MRS(id_isar0_el1) == 0 && RT_MRS(id_mmfr0_el1) == 0,
		 "AArch32 ID registers read as zero");
	rt_check(RT_MRS(mvfr0_el1) == 0 && RT_MRS(mvfr1_el1) == 0 && RT_MRS(mvfr2_el1) == 0, "MVFR0-2 read as zero");
	rt_check(RT_MRS(s3_0_c0_c4_2) == 0 && RT_MRS(s3_0_c0_c6_3) == 0 && RT_MRS(s3_0_c0_c7_7) == 0,
		 "reserved ID encodings read as zero");
	uint64_t dfr0 = RT_MRS(id_aa64dfr0_el1);
	rt_check((dfr0 & 0xf) >= 6 && (dfr0 >> 12 & 0xf) >= 1 && (dfr0 >> 20 & 0xf) >= 1,
		 "ID_AA64DFR0: v8 debug, at least 2 breakpoints and 2 watchpoints");
	uint64_t ctr = RT_MRS(ctr_el0);
	rt_check((ctr >> 14 & 3) == 3 && (ctr & 15) == 4 && (ctr >> 16 & 15) == 4, "CTR_EL0: PIPT, 64-byte lines");
	RT_MSR(csselr_el1, 0);
	uint64_t ccsidr = RT_MRS(ccsidr_el1);
	rt_check((ccsidr & 7) == 2, "CCSIDR_EL1 (L1 D): 64-byte lines, as CTR_EL0 says");
	return 0;
}
