/* The guest's stage-1 translation (VMSAv8-64, EL1&0 regime, Armv8.0 without
 * LPA/LPA2, HPDS, HAFDBS or TTST), shared by every backend: the soft CPU
 * walks with it on TLB misses; the ISV=0 instruction emulator translates the
 * faulting PC and data addresses with it under HVF/KVM.
 *
 * A pure function of the translation registers, the VA, the access and the
 * guest's memory (read through a callback). Arm ARM D4.2 "The VMSAv8-64
 * address translation system" and its pseudocode (AArch64.TranslationTable
 * Walk, AArch64.CheckPermission, AArch64.TranslateAddressS1Off). */
#ifndef AVMM_ARCH_PGWALK_H
#define AVMM_ARCH_PGWALK_H

#include <stdbool.h>
#include <stdint.h>

enum pgw_access { PGW_READ = 0, PGW_WRITE = 1, PGW_EXEC = 2 };

/* Permission bits of a successful translation, for both privilege levels
 * (so a TLB can fill EL0 and EL1 entries from one walk). */
enum {
	PGW_R0 = 1u << 0, PGW_W0 = 1u << 1, PGW_X0 = 1u << 2, /* EL0 (and LDTR/STTR, AT S1E0*) */
	PGW_R1 = 1u << 3, PGW_W1 = 1u << 4, PGW_X1 = 1u << 5, /* EL1 */
};

/* Fault kinds; fsc below is the ESR DFSC/IFSC (and PAR_EL1.FST). */
enum pgw_fault {
	PGW_OK = 0,
	PGW_ADDR_SIZE,   /* fsc 0x00 + level */
	PGW_TRANSLATION, /* fsc 0x04 + level */
	PGW_ACCESS_FLAG, /* fsc 0x08 + level */
	PGW_PERMISSION,  /* fsc 0x0c + level */
	PGW_STAGE2,      /* the walk read a descriptor it could not (S1PTW):
			  * fsc is what the callback returned, ipa the
			  * descriptor's address */
};

struct pgw_regs {
	uint64_t sctlr, tcr, ttbr0, ttbr1;
	unsigned pa_bits; /* implemented PA size (ID_AA64MMFR0.PARange): 32..48; 0 means 48 */
};

/* Reads the 8-byte descriptor at guest physical address pa (8-byte aligned)
 * into *desc, single-copy atomically. Returns 0, or the stage-2 fault
 * status code to report (e.g. 0x07: not RAM; 0x0f: no read permission). */
typedef uint32_t (*pgw_read_fn)(void *opaque, uint64_t pa, uint64_t *desc);

struct pgw_result {
	enum pgw_fault fault;
	uint32_t fsc;       /* fault status code (0 on success) */
	unsigned level;     /* level of the fault, or of the leaf descriptor */
	uint64_t ipa;       /* PGW_STAGE2: the descriptor address that failed */

	/* Success, and also PGW_PERMISSION (the leaf was found: the caller may
	 * need the memory type, e.g. to give an alignment fault priority). */
	uint64_t pa;        /* output address of va */
	unsigned perms;     /* PGW_R0 | ... */
	unsigned page_shift; /* log2 of the page/block size (12 with the MMU off) */
	unsigned attrindx;  /* MAIR_EL1 index (AttrIndx) */
	unsigned sh;        /* shareability (descriptor SH[1:0]) */
	bool ng;            /* not global: tagged with asid */
	uint16_t asid;      /* ASID of the TTBR selected by TCR_EL1.A1 (8 bits if TCR.AS=0) */
	bool mmu_off;       /* SCTLR_EL1.M = 0: flat; data is Device-nGnRnE */
	bool ttbr1;         /* the VA was in the TTBR1 range */
};

/* EffectiveTBI for the EL1&0 regime: TBI0/TBI1 by VA bit 55; for
 * instruction addresses also TBID0/TBID1 clear. */
bool pgw_effective_tbi(uint64_t tcr, uint64_t va, bool instr);

/* Translate va for `access` (enum pgw_access) at EL0 privilege (el0: EL0,
 * LDTR/STTR, AT S1E0*) or EL1. Returns true on success. On failure,
 * out->fault and out->fsc say why. */
bool pgw_translate(const struct pgw_regs *regs, uint64_t va, int access, bool el0, pgw_read_fn read,
		   void *opaque, struct pgw_result *out);

/* Do the permission bits of a translation allow `access` (enum
 * pgw_access) at EL0 privilege (el0) or EL1? PAN is the caller's: it is
 * PSTATE, not the tables (see vmm/mmio-exit.c). */
bool pgw_permitted(unsigned perms, int access, bool el0);

/* The fsc for a fault kind at a level. */
static inline uint32_t pgw_fsc(enum pgw_fault f, unsigned level)
{
	switch (f) {
	case PGW_ADDR_SIZE: return 0x00 + level;
	case PGW_TRANSLATION: return 0x04 + level;
	case PGW_ACCESS_FLAG: return 0x08 + level;
	case PGW_PERMISSION: return 0x0c + level;
	default: return 0;
	}
}

/* MAIR attribute byte: Device memory (attr<7:4> == 0)? Unaligned data
 * accesses to Device memory take an alignment fault. */
static inline bool pgw_attr_is_device(uint64_t mair, unsigned attrindx)
{
	return ((mair >> (8 * (attrindx & 7))) & 0xf0) == 0;
}

#endif
