/* The soft CPU's feature table: what the ID registers advertise. It must
 * match exactly what is implemented (the guest decides what to run from
 * it). Field layouts: Arm ARM D23.2 (ID_AA64*_EL1). */
#ifndef AVMM_CPU_FEATURES_H
#define AVMM_CPU_FEATURES_H

#include <stdint.h>

/* Implementer 0 is reserved for software use: no host errata apply. */
#define FEAT_MIDR 0x000f0000ull

/* ID_AA64PFR0: EL0 and EL1 AArch64 only (1), no EL2/EL3 (0); FP and
 * AdvSIMD implemented without half-precision arithmetic (0); GIC CPU
 * interface system registers (1): they trap to the VMM, whose machine
 * provides the GICv3 behind them. */
#define FEAT_ID_AA64PFR0 (1ull << 0 | 1ull << 4 | 0ull << 16 | 0ull << 20 | 1ull << 24)
#define FEAT_ID_AA64PFR1 0ull
/* ID_AA64DFR0: DebugVer v8 (6); BRPs and WRPs = 1 (2 breakpoints and 2
 * watchpoints, the architectural minimum; their registers trap to the VMM
 * as on HVF, see sysreg.c), CTX_CMPs 0 (1); PMUVer 0: PMU registers trap to
 * the VMM (HVF without EL2), which decides what to present. */
#define FEAT_ID_AA64DFR0 (6ull << 0 | 1ull << 12 | 1ull << 20)
/* ID_AA64ISAR0: AES with PMULL (bits 7:4 = 2), SHA1 (11:8 = 1), SHA256
 * (15:12 = 1), CRC32 (19:16 = 1), LSE atomics (23:20 = 2). */
#define FEAT_ID_AA64ISAR0 (2ull << 4 | 1ull << 8 | 1ull << 12 | 1ull << 16 | 2ull << 20)
/* ID_AA64ISAR1: LRCPC (23:20 = 1): LDAPR; pointer authentication per VM (below). */
#define FEAT_ID_AA64ISAR1 (1ull << 20)
/* Added when the VM has pointer authentication (a64_vm_set_pauth): API
 * (11:8) = 1 and GPI (31:28) = 1, FEAT_PAuth with an IMPLEMENTATION DEFINED
 * algorithm for address and generic authentication; APA = GPA = 0 (not
 * QARMA), no EnhancedPAC/PAuth2/FPAC (exec-pauth.c). */
#define FEAT_ID_AA64ISAR1_PAUTH (1ull << 8 | 1ull << 28)
/* ID_AA64MMFR0: PARange 48 bits (5), 16-bit ASIDs (2), 16K granule (1),
 * 64K granule (0 = supported), 4K granule (0 = supported), little-endian. */
#define FEAT_ID_AA64MMFR0 (5ull << 0 | 2ull << 4 | 1ull << 20)
#define FEAT_ID_AA64MMFR1 0ull
#define FEAT_ID_AA64MMFR2 0ull

/* CTR_EL0: 64-byte lines (IminLine/DminLine/ERG/CWG = 4), PIPT I-cache
 * (L1Ip = 0b11), IDC=DIC=0 so guests do cache maintenance (the code cache
 * relies on IC). */
#define FEAT_CTR (1ull << 31 | 4ull << 24 | 4ull << 20 | 4ull << 16 | 3ull << 14 | 4ull)
/* DCZID_EL0: DC ZVA allowed, 64-byte blocks. */
#define FEAT_DCZID 4ull
/* CLIDR_EL1: separate L1 I and D caches, LoUIS = LoC = LoUU = 1. */
#define FEAT_CLIDR (1ull << 27 | 1ull << 24 | 1ull << 21 | 3ull)
/* CCSIDR_EL1 for CSSELR: the L1 caches (Level 0, either InD) have 64-byte
 * lines (LineSize 2), 4 ways, 128 sets (32 KiB); CSSELR naming a level
 * CLIDR does not list gives an UNKNOWN value: 0. */
static inline uint64_t feat_ccsidr(uint64_t csselr)
{
	if ((csselr >> 1) & 7)
		return 0;
	return (127ull << 13) | (3ull << 3) | 2ull;
}

/* SCTLR_EL1 (v8.0): RES1 bits 29,28,23,22,20,11; writable: M A C SA SA0
 * CP15BEN ITD SED UMA I DZE UCT nTWI nTWE WXN UCI. EE/E0E RES0 (no big
 * endian). */
#define SCTLR_RES1 (1ull << 29 | 1ull << 28 | 1ull << 23 | 1ull << 22 | 1ull << 20 | 1ull << 11)
#define SCTLR_WMASK 0x40dd3bfull
/* With FEAT_PAuth also EnIA (31), EnIB (30), EnDA (27), EnDB (13). */
#define SCTLR_PAUTH_WMASK (1ull << 31 | 1ull << 30 | 1ull << 27 | 1ull << 13)

/* FPCR: AHP DN FZ RMode (FZ16 needs FP16, trap enables need trapping). */
#define FEAT_FPCR_MASK 0x07c00000u
/* FPSR: QC and the cumulative flags. */
#define FEAT_FPSR_MASK 0x0800009fu
/* TCR_EL1 fields of v8.0 (no HA/HD); TBID0/TBID1 come with FEAT_PAuth. */
#define FEAT_TCR_MASK 0x77ffffffbfull
#define FEAT_TCR_TBID (1ull << 51 | 1ull << 52)

#endif
