/* The software CPU's internals, shared by its source files: CPU state, the
 * decoded-instruction cache, the software TLB and the inline fast paths that
 * instruction handlers use. Not for use outside src/cpu/. */
#ifndef AVMM_CPU_INTERNAL_H
#define AVMM_CPU_INTERNAL_H

#include <setjmp.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cpu/cpu.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define NORETURN __attribute__((noreturn))

/* ---- Decoded-instruction cache -------------------------------------------
 * Each guest-physical 4 KiB page of code has a dpage: 1024 decoded entries
 * plus a sentinel that continues on the next page. An entry starts as
 * "decode me" and becomes a handler with pre-resolved operands. Handlers
 * return the next entry to run, so sequential code is `return d + 1` and a
 * branch inside the page is a pointer: chaining without a lookup. */
struct a64_cpu;
typedef struct dinsn dinsn;
typedef const dinsn *(*dinsn_fn)(struct a64_cpu *c, const dinsn *d);

struct dinsn {
	dinsn_fn fn;
	uint8_t rd, rn, rm, ra; /* register slots, already mapped (see REG_*) */
	uint8_t f0, f1, f2, f3; /* small operands: size, shift, cond, option... */
	uint64_t imm;
};

#define DPAGE_ENTRIES 1024
struct dpage {
	dinsn e[DPAGE_ENTRIES + 1];
	uint64_t pa;            /* guest physical page address */
	const uint8_t *host;    /* host address of that page */
	const _Atomic uint32_t *gen_ptr; /* the page's write generation */
	uint32_t gen;           /* generation it was decoded at */
	uint32_t ic_epoch;      /* vm->ic_epoch it was decoded at */
	struct dpage *hnext;    /* hash chain */
};

/* ---- Register file -------------------------------------------------------
 * x[0..30] are X0-X30. Operand slots are resolved at decode time so that
 * register 31 costs nothing at run time:
 *   REG_ZR   (31) reads as zero and is never written,
 *   REG_SINK (32) absorbs writes to XZR,
 *   REG_SP   (33) is the current stack pointer. */
enum { REG_ZR = 31, REG_SINK = 32, REG_SP = 33, NREGS = 34 };

/* ---- Software TLB --------------------------------------------------------
 * Direct-mapped, per translation regime (mmu index). A tag is the VA of a
 * 4 KiB page; an entry that must take the slow path for an access type has
 * TLB_INVALID in that tag. */
#define TLB_BITS 10
#define TLB_SIZE (1u << TLB_BITS)
#define TLB_INVALID 1ull
/* Tag flag: the page is valid for the access but unaligned accesses to it
 * fault (Device memory, MMU off, SCTLR_EL1.A): the fast path misses and
 * mem.c's slow path checks alignment without walking again. */
#define TLB_ALIGN 2ull
struct tlb_entry {
	uint64_t rtag, wtag;
	uintptr_t addend; /* host = va + addend */
	uint64_t pa;      /* physical page | log2 of the mapping's size (page or block) */
};
enum { MMU_EL0 = 0, MMU_EL1 = 1, MMU_NIDX = 2 };

struct itlb_entry {
	uint64_t tag;
	struct dpage *dp;
	uint64_t shift; /* log2 of the mapping's size (page or block) */
	/* dp's validity stamp, copied here so a lookup that hits need not
	 * touch the dpage's own fields (another cache line) */
	const _Atomic uint32_t *gen_ptr;
	uint32_t gen, ic_epoch;
};
#define ITLB_SIZE 256

/* ---- Memory map (shared by all vCPUs of a VM) ----------------------------
 * Per-page metadata is in anonymous zero pages that the host backs only
 * when written (mem.c, meta_alloc), so a large guest costs nothing before
 * its pages are used: every array's zero means "as mapped". */
struct a64_region {
	uint64_t ipa, size;
	uint8_t *host;
	uint8_t *perm_x;          /* ACCEL_MEM_* per 4 KiB page, XOR flags (region_perm) */
	_Atomic uint32_t *gen;    /* write generation per 4 KiB page */
	_Atomic uint8_t *code;    /* page holds decoded code somewhere */
	unsigned flags;           /* the flags it was mapped with */
};
static inline unsigned region_perm(const struct a64_region *r, uint64_t pg)
{
	return r->perm_x[pg] ^ r->flags;
}

/* A vCPU's part in TLB shootdowns. In the VM, not in the vCPU, so that a
 * vCPU that waits for others never reads another vCPU's own memory: any
 * vCPU may be freed (and its slot reused) while others run and wait. */
struct a64_cpu_slot {
	_Atomic uint32_t ack_map_epoch; /* the map epoch the vCPU has applied */
	_Atomic bool in_run;            /* inside a64_cpu_run */
	_Atomic bool used;              /* a vCPU holds this slot */
} __attribute__((aligned(64)));

#define A64_MAX_REGIONS 64
struct a64_vm {
	struct a64_region regions[A64_MAX_REGIONS];
	unsigned nregions;
	_Atomic uint32_t code_epoch; /* a page became code: write TLBs are stale */
	_Atomic uint32_t ic_epoch;   /* IC IALLU(IS): every dpage is stale */
	_Atomic uint32_t layout_epoch; /* map/unmap: decoded pages may point at freed regions */
	/* map/unmap/protect, TLBI: every TLB is stale. Bumped by every TLBI,
	 * so on a cache line of its own: the epochs above are read at every
	 * instruction lookup. */
	_Atomic uint32_t map_epoch __attribute__((aligned(64)));
	/* The vCPUs' shootdown slots: taken at creation, given back when the
	 * vCPU is freed (at any time, others running). Slots at or above
	 * slots_hwm have never been used. */
#define A64_MAX_CPUS 128 /* a vCPU more is refused: shootdowns could not reach it */
	struct a64_cpu_slot slots[A64_MAX_CPUS];
	_Atomic unsigned slots_hwm;
	_Atomic unsigned ncpus;  /* vCPUs that exist: the code cache's budget is shared */
	_Atomic uint64_t ram_bytes; /* mapped RAM: the code cache's budget scales with it */
	uint64_t cntfrq;
	uint64_t boot_ns;
	bool pauth; /* FEAT_PAuth implemented and advertised (exec-pauth.c) */
};

/* Why a64_cpu_run returned to its caller. */
enum { RUN_EXIT = 1, RUN_CONTINUE = 2 };

struct a64_cpu {
	uint64_t x[NREGS];
	/* NZCV, stored so flag-setting instructions are cheap:
	 * N = nf<0 (as int64), Z = zf==0, C = cf (0/1), V = vf<0 (as int64).
	 * 32-bit operations store sign-extended nf/vf and zero-extended zf. */
	uint64_t nf, zf, cf, vf;

	/* PSTATE other than NZCV */
	uint32_t el;      /* 0 or 1 */
	uint32_t spsel;   /* 0: SP_EL0, 1: SP_ELx */
	uint32_t daif;    /* in SPSR bit positions (9:6) */
	uint32_t pstate_ss, pstate_il, pstate_pan;

	uint64_t sp_el[2]; /* banked SP not currently in x[REG_SP] */

	/* SIMD&FP */
	union {
		uint64_t d[2];
		uint32_t s[4];
		uint16_t h[8];
		uint8_t b[16];
	} v[32] __attribute__((aligned(16)));
	uint32_t fpcr, fpsr;

	/* System registers */
	uint64_t sctlr, tcr, ttbr0, ttbr1, mair, amair, vbar, contextidr;
	uint64_t elr_el1, spsr_el1, esr_el1, far_el1, afsr0, afsr1, par;
	uint64_t tpidr_el0, tpidrro_el0, tpidr_el1, cpacr, cntkctl, csselr;
	uint64_t mdscr, midr, mpidr;
	uint64_t cntv_ctl, cntv_cval, cntp_ctl, cntp_cval, cntvoff;
	/* Pointer authentication keys APIA, APIB, APDA, APDB, APGA: [0] = KeyLo,
	 * [1] = KeyHi (exec-pauth.c). */
	uint64_t apkey[5][2];

	/* Exclusive monitor (local): physical address and the value read. */
	uint64_t excl_addr; /* ~0: clear */
	uint64_t excl_val[2];
	uint32_t excl_size;

	/* Execution state: the page being executed. */
	struct dpage *cur_dp;
	/* The last control-flow entry of the current chain (for counting
	 * instructions: see cpu_next and run.c). */
	const dinsn *tail;
	const dinsn *chain_start; /* where the run loop entered the chain */
	uint64_t chain_skip; /* entries the chain jumped over (forward branches) */
	int64_t budget; /* instructions left in the run loop's chunk (run.c) */
	uint64_t cur_va_page;
	uint64_t pc; /* valid only outside the inner loop */
	/* Synchronous exceptions in a row whose vector is the faulting address
	 * itself (a vector with no code: no progress is possible); reported once. */
	uint32_t self_vector_loops;
	bool self_vector_reported;

	struct tlb_entry tlb[MMU_NIDX][TLB_SIZE];
	struct tlb_entry *dtlb; /* tlb[mmu_idx], kept with it (cpu_set_el_spsel) */
	uint32_t mmu_idx;
	struct itlb_entry itlb[ITLB_SIZE];
	/* VA ranges (bits 55:0) of the mappings larger than 4 KiB that TLB
	 * entries came from since the last full flush: a TLBI by VA inside one
	 * must search the whole TLB, elsewhere only va's own slots. */
#define TLB_BIG_RANGES 8
	struct { uint64_t lo, hi; } tlb_big[TLB_BIG_RANGES];
	uint32_t tlb_big_n;
	bool tlb_big_all; /* more ranges than that: always search */
	uint32_t seen_map_epoch, seen_code_epoch, seen_layout_epoch;
	/* For TLB shootdowns: the map epoch this vCPU has applied, and whether
	 * it is inside a64_cpu_run (a vCPU outside holds no live TLB state:
	 * it re-checks the epochs before it runs again). In the VM (see
	 * struct a64_cpu_slot). */
	struct a64_cpu_slot *slot;

	/* Decoded pages: hash on physical page number. They are carved in
	 * order from one reserved arena (run.c) that is emptied as a whole
	 * when the budget is reached. */
	struct dpage **dhash;
	uint32_t dhash_size, dpages;
	struct dpage *arena;
	uint32_t arena_touched; /* dpages of the arena the host may be backing */
	uint32_t arena_max;     /* the most ever used (ASan builds poison up to it) */

	struct a64_vm *vm;
	struct accel_exit *exit; /* filled when leaving */
	jmp_buf jb;

	_Atomic uint32_t kick;     /* cancel requested (remembered) */
	_Atomic uint32_t irq_line, fiq_line;
	bool trap_debug;
	bool vtimer_masked;
	bool fp_enabled; /* CPACR_EL1.FPEN allows FP/SIMD at the current EL */

	struct a64_stats stats;
};

/* ---- Register access ----------------------------------------------------- */
static inline uint64_t pstate_nzcv(const struct a64_cpu *c)
{
	return ((uint64_t)((int64_t)c->nf < 0) << 31) | ((uint64_t)(c->zf == 0) << 30) |
	       ((uint64_t)(c->cf != 0) << 29) | ((uint64_t)((int64_t)c->vf < 0) << 28);
}
static inline void set_nzcv(struct a64_cpu *c, uint64_t nzcv)
{
	c->nf = (nzcv >> 31 & 1) ? ~0ull : 0;
	c->zf = (nzcv >> 30 & 1) ? 0 : 1;
	c->cf = nzcv >> 29 & 1;
	c->vf = (nzcv >> 28 & 1) ? ~0ull : 0;
}
/* A64 condition codes (EQ..NV). */
static inline bool cond_holds(const struct a64_cpu *c, unsigned cond)
{
	bool r;
	switch (cond >> 1) {
	case 0: r = c->zf == 0; break;                                   /* EQ */
	case 1: r = c->cf != 0; break;                                   /* CS */
	case 2: r = (int64_t)c->nf < 0; break;                           /* MI */
	case 3: r = (int64_t)c->vf < 0; break;                           /* VS */
	/* & rather than &&: no host branch (see the CSEL handlers) */
	case 4: r = (c->cf != 0) & (c->zf != 0); break;                  /* HI */
	case 5: r = ((int64_t)c->nf < 0) == ((int64_t)c->vf < 0); break; /* GE */
	case 6: r = (((int64_t)c->nf < 0) == ((int64_t)c->vf < 0)) & (c->zf != 0); break; /* GT */
	default: return true;                                            /* AL, NV */
	}
	return (cond & 1) ? !r : r;
}

/* Slot mapping for register operands, used by trans_* functions. */
static inline uint8_t reg_zr(unsigned n) { return (uint8_t)n; }              /* read: 31 = XZR */
static inline uint8_t reg_zr_w(unsigned n) { return n == 31 ? REG_SINK : (uint8_t)n; } /* write */
static inline uint8_t reg_sp(unsigned n) { return n == 31 ? REG_SP : (uint8_t)n; }

/* ---- PC and control flow ------------------------------------------------- */
/* An add, not an or: d may be the page-end sentinel (entry 1024, offset
 * 0x1000) when a chunk of instructions ends there, and then the PC is the
 * next page, whatever bit 12 of this one is. */
static inline uint64_t insn_pc(const struct a64_cpu *c, const dinsn *d)
{
	return c->cur_va_page + ((uint64_t)(d - c->cur_dp->e) << 2);
}

/* Continue with entry d. Straight-line handlers end with
 * `return cpu_next(c, d + 1)`: in optimised builds the handler jumps
 * straight into the next one (a sibling call), so a run of instructions up
 * to the next taken branch costs no trip through the run loop, and each
 * handler's own indirect jump predicts its successor. The chain cannot leave
 * the decoded page (its sentinel returns), which bounds its depth where the
 * compiler makes real calls; unoptimised builds return to the loop after
 * every instruction instead (same behaviour, shallow stacks). Control-flow
 * handlers record themselves in c->tail (cpu_branch_mark) so the run loop
 * can count the chain's instructions. */
static inline const dinsn *cpu_next(struct a64_cpu *c, const dinsn *d)
{
#ifdef __OPTIMIZE__
	return d->fn(c, d);
#else
	(void)c;
	return d;
#endif
}
/* A taken forward branch inside the page continues the chain at d, which
 * is n + 1 entries on: the entries only increase, so the chain still ends
 * in this page; the n skipped ones are not counted. */
static inline const dinsn *cpu_next_skip(struct a64_cpu *c, const dinsn *d, uint64_t n)
{
#ifdef __OPTIMIZE__
	c->chain_skip += n;
	return d->fn(c, d);
#else
	(void)c;
	(void)n;
	return d;
#endif
}
static inline void cpu_branch_mark(struct a64_cpu *c, const dinsn *d)
{
	c->tail = d;
}
/* A taken backward branch at d to t in the page (a loop): while the run
 * loop's chunk has room, count the chain that ends at d and start a new one
 * at t without returning to the run loop (which would only do the same and
 * call t); else return t. The budget bounds the stack where the compiler
 * makes real calls, and interrupts are still checked every chunk. */
static inline const dinsn *cpu_loop_back(struct a64_cpu *c, const dinsn *d, const dinsn *t)
{
#ifdef __OPTIMIZE__
	int64_t k = (int64_t)(d + 1 - c->chain_start) - (int64_t)c->chain_skip;
	if (c->budget > k + 1) {
		c->budget -= k + 1;
		c->stats.insns += (uint64_t)k;
		c->chain_start = t;
		c->chain_skip = 0;
		c->tail = NULL;
		return t->fn(c, t);
	}
#endif
	(void)c;
	(void)d;
	return t;
}

/* B.NE to a target in the page (exec-branch.c): flag-setting handlers that
 * one follows call it directly instead of dispatching (exec-dp.c). */
const dinsn *h_bne_near(struct a64_cpu *c, const dinsn *d);

/* Full lookup of the entry for a VA (instruction fetch translation). May
 * leave the inner loop through an exception or exit. */
const dinsn *cpu_lookup(struct a64_cpu *c, uint64_t va);

/* Continue at target: inside the current page and aligned, a pointer. */
static inline const dinsn *cpu_goto(struct a64_cpu *c, uint64_t target)
{
	if (likely(((target ^ c->cur_va_page) & ~0xffcull) == 0))
		return &c->cur_dp->e[(target & 0xfff) >> 2];
	return cpu_lookup(c, target);
}

/* ---- Leaving the inner loop -----------------------------------------------
 * Everything below longjmps to a64_cpu_run with c->pc set. */
NORETURN void cpu_exit_to_vmm(struct a64_cpu *c, uint64_t pc, uint32_t reason, uint64_t esr,
			      uint64_t va, uint64_t ipa);
/* Take a synchronous exception to EL1 (ESR_EL1 = esr, FAR_EL1 = far when
 * has_far). pc is the preferred return address. */
NORETURN void cpu_exception(struct a64_cpu *c, uint64_t pc, uint32_t esr, uint64_t far, bool has_far);
NORETURN void cpu_undef(struct a64_cpu *c, const dinsn *d);
/* Re-look-up the instruction after d: for changes of translation or state
 * that the decoded page or TLB cannot see. */
NORETURN void cpu_resync(struct a64_cpu *c, uint64_t pc);

/* FP/SIMD access check (CPACR_EL1.FPEN): every FP/SIMD instruction and
 * FPCR/FPSR access calls cpu_fp_check(c, d) before touching FP state; when
 * FPEN does not enable access at the current EL it traps to EL1 with EC 0x07.
 * c->fp_enabled is recomputed on CPACR writes and EL changes. */
NORETURN void cpu_fp_trap(struct a64_cpu *c, const dinsn *d);
static inline void cpu_fp_check(struct a64_cpu *c, const dinsn *d)
{
	if (unlikely(!c->fp_enabled))
		cpu_fp_trap(c, d);
}
void cpu_update_fp_enabled(struct a64_cpu *c);

/* Exception-level changes (SP banking, mmu index). */
void cpu_set_el_spsel(struct a64_cpu *c, unsigned el, unsigned spsel);
uint64_t cpu_get_spsr_pstate(const struct a64_cpu *c);
void cpu_set_pstate_from_spsr(struct a64_cpu *c, uint64_t spsr);

/* ---- Memory --------------------------------------------------------------- */
enum mem_kind { MEM_READ = 0, MEM_WRITE = 1 };
/* Slow paths: translate, fill the TLB, split page-crossing accesses, or exit
 * to the VMM for MMIO. d identifies the instruction (for the syndrome). */
uint64_t mem_read_slow(struct a64_cpu *c, const dinsn *d, uint64_t va, unsigned size, unsigned idx);
void mem_write_slow(struct a64_cpu *c, const dinsn *d, uint64_t va, unsigned size, uint64_t val, unsigned idx);
/* Host pointer for an aligned access of `size` bytes that must be RAM
 * (exclusives, atomics). Checks alignment (fault) and permissions;
 * for_write demands write permission too. */
void *mem_host_rmw(struct a64_cpu *c, const dinsn *d, uint64_t va, unsigned size, bool for_write, unsigned idx);

static inline uint64_t ldn_host(const void *p, unsigned size)
{
	switch (size) {
	case 1: return *(const uint8_t *)p;
	case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
	case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
	default: { uint64_t v; memcpy(&v, p, 8); return v; }
	}
}
static inline void stn_host(void *p, unsigned size, uint64_t v)
{
	switch (size) {
	case 1: *(uint8_t *)p = (uint8_t)v; break;
	case 2: { uint16_t t = (uint16_t)v; memcpy(p, &t, 2); break; }
	case 4: { uint32_t t = (uint32_t)v; memcpy(p, &t, 4); break; }
	default: memcpy(p, &v, 8); break;
	}
}

/* The TLB of regime idx: for idx == c->mmu_idx (the usual case, known to
 * the compiler) the cached pointer, saving the index arithmetic. */
static inline struct tlb_entry *tlb_for(struct a64_cpu *c, unsigned idx)
{
	return idx == c->mmu_idx ? c->dtlb : c->tlb[idx];
}

/* Host address of len bytes at va if regime idx's TLB has them in one page
 * for reading (tlb_rd) or writing (tlb_wr), else NULL: the caller then takes
 * the slow path. */
static inline const uint8_t *tlb_rd(struct a64_cpu *c, uint64_t va, unsigned len, unsigned idx)
{
	struct tlb_entry *e = &c->tlb[idx][(va >> 12) & (TLB_SIZE - 1)];
	if (likely(e->rtag == (va & ~0xfffull) && (va & 0xfff) <= 0x1000 - len))
		return (const uint8_t *)(uintptr_t)(va + e->addend);
	return NULL;
}
static inline uint8_t *tlb_wr(struct a64_cpu *c, uint64_t va, unsigned len, unsigned idx)
{
	struct tlb_entry *e = &c->tlb[idx][(va >> 12) & (TLB_SIZE - 1)];
	if (likely(e->wtag == (va & ~0xfffull) && (va & 0xfff) <= 0x1000 - len))
		return (uint8_t *)(uintptr_t)(va + e->addend);
	return NULL;
}

/* Load/store `size` (1,2,4,8) bytes at va through the TLB of regime idx
 * (c->mmu_idx normally; MMU_EL0 for LDTR/STTR). Little-endian only. */
static inline uint64_t mem_ld(struct a64_cpu *c, const dinsn *d, uint64_t va, unsigned size, unsigned idx)
{
	const uint8_t *p = tlb_rd(c, va, size, idx);
	if (likely(p != NULL))
		return ldn_host(p, size);
	return mem_read_slow(c, d, va, size, idx);
}
static inline void mem_st(struct a64_cpu *c, const dinsn *d, uint64_t va, unsigned size, uint64_t v, unsigned idx)
{
	uint8_t *p = tlb_wr(c, va, size, idx);
	if (likely(p != NULL)) {
		stn_host(p, size, v);
		return;
	}
	mem_write_slow(c, d, va, size, v, idx);
}

void tlb_flush_all(struct a64_cpu *c);
/* Drop the TLB entries (data, both regimes, and instruction) that a
 * mapping of va may have made: every entry whose page or block holds va. */
void tlb_flush_va(struct a64_cpu *c, uint64_t va);
/* A TLB entry for va comes from a mapping of 2^shift bytes. */
void tlb_note_size(struct a64_cpu *c, uint64_t va, unsigned shift);
/* TLBI: invalidate every vCPU's TLB and wait until each running one has
 * done so, as the DSB after a broadcast TLBI guarantees. */
void cpu_tlb_shootdown(struct a64_cpu *c);
/* The same for a TLBI by VA: this vCPU drops only va's entries when no
 * other change to the map is pending for it; the others flush everything. */
void cpu_tlb_shootdown_va(struct a64_cpu *c, uint64_t va);
/* Wait for every running vCPU but self (may be NULL) to apply map epoch want. */
void vm_tlb_sync(struct a64_vm *vm, struct a64_cpu *self, uint32_t want);
void tlb_flush_writes(struct a64_cpu *c);
/* Bump the write generation of the physical page at pa (code invalidation). */
void code_invalidate_pa(struct a64_vm *vm, uint64_t pa);
struct a64_region *vm_find_region(struct a64_vm *vm, uint64_t pa);
/* Translate a VA for the current regime; MMU off: identity. Returns false
 * on fault (and fills *fsc with the fault status code). */
bool mmu_translate(struct a64_cpu *c, uint64_t va, unsigned idx, int access, uint64_t *pa, uint32_t *fsc);
/* The same, also giving log2 of the size of the page or block mapping va. */
bool mmu_translate_sz(struct a64_cpu *c, uint64_t va, unsigned idx, int access, uint64_t *pa, uint32_t *fsc,
		      unsigned *shift);
enum { ACC_READ = 0, ACC_WRITE = 1, ACC_EXEC = 2 };
/* One stage-1 walk (mmu.c) with the whole result: memory type, sharea-
 * bility, and for a stage-2 fault on the walk the descriptor's IPA. */
struct pgw_result;
bool mmu_xlate(struct a64_cpu *c, uint64_t va, int access, bool el0, struct pgw_result *res);
/* DC/IC by VA and AT whose walk left RAM (res->fault == PGW_STAGE2): the
 * stage-2 fault on the walk exits to the VMM (EC 0x24, CM, S1PTW), as it
 * does under HVF; FAR = va (the register argument). */
NORETURN void mmu_walk_s2_exit(struct a64_cpu *c, uint64_t pc, uint64_t va, const struct pgw_result *res);

/* ---- System registers (sysreg.c) ----------------------------------------- */
/* MRS/MSR from the guest. enc is op0:op1:CRn:CRm:op2 (16 bits), rt the
 * register number for the trap syndrome. Registers the VMM must see (GIC CPU
 * interface, PMU, debug, OS lock, IMPLEMENTATION DEFINED) exit to it as
 * HVF does (EC 0x18, PC at the instruction). Returns false if the access is
 * UNDEFINED at this EL. */
bool sysreg_read(struct a64_cpu *c, const dinsn *d, uint16_t enc, unsigned rt, uint64_t *val);
bool sysreg_write(struct a64_cpu *c, const dinsn *d, uint16_t enc, unsigned rt, uint64_t val);
void sysreg_reset(struct a64_cpu *c);
/* EL0 access disabled by an EL1 control (SCTLR_EL1.UMA/UCT/UCI/DZE,
 * CNTKCTL_EL1): trap to EL1 with EC 0x18. */
NORETURN void sysreg_trap_el1(struct a64_cpu *c, const dinsn *d, uint16_t enc, unsigned rt, bool read);
const char *a64_sysreg_name(uint16_t enc);
/* True if a successful MSR to enc changes nothing the decoded pages, the TLB
 * or the interrupt check depend on, so the MSR handler may continue with
 * d + 1 instead of cpu_resync (ELR/SPSR/ESR/FAR, TPIDR*, SP_EL0, timer
 * registers, ...). Decode time only. */
bool sysreg_write_no_resync(uint16_t enc);

/* ---- Decoder ------------------------------------------------------------- */
struct a64_dctx {
	dinsn *d;
	uint32_t insn;
	struct a64_cpu *c;
};
/* Handler that raises UNDEFINED; also what a trans_* uses for encodings it
 * decodes but must reject at run time. */
const dinsn *h_undef(struct a64_cpu *c, const dinsn *d);

/* Decode helpers used by exec-*.c. */
uint64_t a64_decode_bitmask(unsigned n, unsigned imms, unsigned immr, bool is64, bool *ok);

#endif
