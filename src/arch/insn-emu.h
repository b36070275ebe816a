/* The A64 load/store instruction emulator: executes one load/store
 * instruction word on state reached through callbacks. Backend-independent:
 * used by the VMM to complete data aborts that carry no valid instruction
 * syndrome (ISV=0: writeback, pairs, SIMD&FP, exclusives, atomics, LDRAA,
 * facts/hvapi.md §4.2, facts/vmapple.md §4.2) on every accelerator, and by
 * the tests against plain memory.
 *
 * What it executes (Arm ARM C4.1.4 "Loads and Stores"):
 *  - load/store register: unscaled, unsigned offset, pre/post-index,
 *    unprivileged (LDTR/STTR and friends: their accesses carry
 *    INSN_EMU_ACC_UNPRIV, for the caller's permission checks), register
 *    offset with UXTW/LSL/SXTW/SXTX, literal; B/H/W/X with zero and sign extension,
 *    B/H/S/D/Q SIMD&FP; PRFM/PRFUM as no-ops;
 *  - pairs: LDP/STP/LDNP/STNP (W, X, S, D, Q), LDPSW, STGP (FEAT_MTE; the
 *    data only, tags are not modelled);
 *  - AdvSIMD LD1-LD4/ST1-ST4 (multiple structures), LD1-LD4/ST1-ST4 single
 *    structure and LD1R-LD4R, with and without post-index;
 *  - exclusives LDXR/LDAXR/STXR/STLXR and the pair forms (through a caller-
 *    owned monitor), LDAR/STLR, LDLAR/STLLR (FEAT_LOR), LDAPR (FEAT_LRCPC),
 *    LDAPUR/STLUR (FEAT_LRCPC2);
 *  - LSE atomics LD<op>/ST<op>, SWP, CAS, CASP, as a read (INSN_EMU_ACC_RMW)
 *    then a write of the same width through the callbacks (not atomic
 *    against other agents);
 *  - LDRAA/LDRAB with and without writeback: the pointer is not
 *    authenticated, only stripped of its PAC (ops->strip_pac);
 *  - DC ZVA (zeroes the block: needs dczva_bytes), other DC and IC IVAU as
 *    no-ops.
 * Anything else (including every UNDEFINED encoding, and features not in
 * `features`) returns INSN_EMU_UNHANDLED without touching any state.
 *
 * Access widths: every element is one callback of its exact width, in the
 * order of the Arm ARM pseudocode: a pair is two accesses of the element
 * size, lower address first; a Q register one access of 16 bytes; an
 * LDn/STn one access per element. Memory data is little-endian.
 *
 * Faults: if a memory callback fails, emulation stops with
 * INSN_EMU_MEM_FAULT and fault_addr / fault_size / fault_write set to the
 * access that failed. No register has been written then (loads write
 * registers only after all their accesses); a store made of several
 * accesses is probed first (ops->probe, INSN_EMU_ACC_WRITE), and so is a
 * load of several accesses, so that one that faults part-way makes no
 * access at all (a device read can have side effects). Without a probe
 * callback an earlier access of the same instruction may have happened, as
 * the architecture permits. Alignment is checked as an Armv8.0 CPU (plus LSE2
 * if INSN_EMU_F_LSE2) checks it for Normal memory: exclusives, acquire/
 * release and atomics need natural alignment of the whole access
 * (INSN_EMU_ALIGN_FAULT); other accesses may be unaligned.
 *
 * CONSTRAINED UNPREDICTABLE choices (the same as the soft CPU's and qemu's):
 * a load with writeback and Rn == Rt writes the loaded value then the
 * written-back address; a store with writeback and Rn == Rt stores the
 * original value; LDP with Rt == Rt2 leaves the lower address's value,
 * LDXP the higher one's; STXR with Rs == Rt/Rn stores the original values;
 * should-be-one fields of LDXR/STXR/LDAR/STLR are ignored. */
#ifndef AVMM_ARCH_INSN_EMU_H
#define AVMM_ARCH_INSN_EMU_H

#include <stdbool.h>
#include <stdint.h>

enum insn_emu_result {
	INSN_EMU_OK = 0,         /* executed; the caller advances PC by 4 */
	INSN_EMU_UNHANDLED = 1,  /* not a load/store this emulator executes */
	INSN_EMU_MEM_FAULT = 2,  /* a memory callback failed at fault_addr */
	INSN_EMU_ALIGN_FAULT = 3 /* alignment fault at fault_addr */
};

/* Optional architecture features the instruction may use; an encoding of a
 * feature not listed is UNHANDLED (UNDEFINED on such a CPU). */
enum {
	INSN_EMU_F_LSE = 1u << 0,    /* atomics, CAS, CASP */
	INSN_EMU_F_LRCPC = 1u << 1,  /* LDAPR */
	INSN_EMU_F_LRCPC2 = 1u << 2, /* LDAPUR/STLUR */
	INSN_EMU_F_LOR = 1u << 3,    /* LDLAR/STLLR */
	INSN_EMU_F_PAUTH = 1u << 4,  /* LDRAA/LDRAB */
	INSN_EMU_F_MTE = 1u << 5,    /* STGP (data part) */
	INSN_EMU_F_LSE2 = 1u << 6,   /* relaxed alignment of LDAR/STLR/atomics within 16 bytes */
	INSN_EMU_F_ALL = 0x7f,
};

/* What a memory callback is told about its access (`acc`). The caller
 * checks permissions with it: the hardware checked only the page that
 * faulted, not the other pages an access touches. */
enum {
	INSN_EMU_ACC_WRITE = 1u << 0,  /* probe only: the range is to be written (read and write callbacks know) */
	INSN_EMU_ACC_UNPRIV = 1u << 1, /* LDTR/STTR family: EL0 privilege at EL1 (unless PSTATE.UAO) */
	INSN_EMU_ACC_RMW = 1u << 2,    /* the read of an atomic read-modify-write (LD<op>, SWP, CAS, CASP):
					* needs write permission too (Arm ARM: one access of both kinds) */
};

/* Callbacks. `opaque` is insn_emu.opaque. GPR n is 0..30 (the emulator
 * handles XZR itself); SP is the stack pointer of the current EL. V
 * registers are 16 bytes, byte 0 least significant. Memory: `va` is the
 * guest virtual address, size 1, 2, 4, 8 or 16, data little-endian in buf;
 * return 0, or -1 if the access cannot be done (the caller injects an
 * abort). */
struct insn_emu_ops {
	uint64_t (*get_x)(void *opaque, unsigned n);
	void (*set_x)(void *opaque, unsigned n, uint64_t val);
	uint64_t (*get_sp)(void *opaque);
	void (*set_sp)(void *opaque, uint64_t val);
	void (*get_v)(void *opaque, unsigned n, uint8_t val[16]);
	void (*set_v)(void *opaque, unsigned n, const uint8_t val[16]);
	int (*read)(void *opaque, uint64_t va, unsigned size, void *buf, unsigned acc);
	int (*write)(void *opaque, uint64_t va, unsigned size, const void *buf, unsigned acc);
	/* LDRAA/LDRAB: the pointer without its PAC (key_b: LDRAB). NULL: the
	 * PAC field is replaced by copies of bit 55 above a 48-bit VA. */
	uint64_t (*strip_pac)(void *opaque, uint64_t ptr, bool key_b);
	/* Optional: could [va, va + len) be accessed as `acc` says (translated
	 * and permitted, RAM or a device behind every byte)? 0 or -1, no side
	 * effects. Called before an instruction of several accesses (pairs,
	 * LDn/STn structures, CASP, LDXP/STXP, DC ZVA), with INSN_EMU_ACC_WRITE
	 * before its stores, so that one that faults makes no access. */
	int (*probe)(void *opaque, uint64_t va, uint64_t len, unsigned acc);
};

/* The exclusive monitor, owned by the caller (one per vCPU). A load-
 * exclusive opens it on its address and size; a store-exclusive succeeds
 * only if it is open on the same address and size; both leave it as the
 * architecture says (the store closes it). */
struct insn_emu_monitor {
	bool open;
	uint64_t addr;
	unsigned size;
};

struct insn_emu {
	const struct insn_emu_ops *ops;
	void *opaque;
	uint64_t pc;                     /* address of the instruction (literals) */
	unsigned features;               /* INSN_EMU_F_* */
	unsigned dczva_bytes;            /* DC ZVA block size; 0: DC ZVA is UNHANDLED */
	struct insn_emu_monitor *monitor; /* NULL: exclusives are UNHANDLED */
	/* out: the access (or probed range) that failed */
	uint64_t fault_addr;
	unsigned fault_size;
	bool fault_write;
};

enum insn_emu_result insn_emu_exec(struct insn_emu *e, uint32_t insn);

#endif
