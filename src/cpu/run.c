/* The software CPU's execution engine: the run loop, the decoded-instruction
 * cache keyed by guest physical page, and instruction-fetch lookup. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <sys/mman.h>
#include <time.h>

#include "arch/pgwalk.h"
#include "cpu/internal.h"
#include "cpu/timer.h"

/* Instructions run between checks of kicks, interrupts and epochs: the
 * run loop checks after the chain (a run of instructions up to a taken
 * branch or the page's end, see cpu_next) that reaches this many. */
#define CHUNK 1024
/* The decoded-code budget. A decoded page is about six times the guest
 * page it comes from (1025 entries of 24 bytes), and what matters is the
 * working set, not all of RAM: a VM may hold decoded pages worth half its
 * RAM, at least DCACHE_VM_MIN and at most DCACHE_VM_MAX, shared evenly by
 * the vCPUs that exist; each vCPU gets at least DCACHE_CPU_MIN and at most
 * DCACHE_CPU_MAX_PAGES (the arena it reserves). A vCPU whose cache reaches
 * its share drops all of it and refills (see dpage_get). */
#define DCACHE_VM_MIN (32ull << 20)
#define DCACHE_VM_MAX (1ull << 30)
#define DCACHE_CPU_MIN (8ull << 20)
#define DCACHE_CPU_MAX_PAGES 8192u

bool a64_decode(struct a64_dctx *s, uint32_t insn);

/* ---- Decoded pages -------------------------------------------------------- */

static const dinsn *h_decode(struct a64_cpu *c, const dinsn *cd);
static const dinsn *h_page_end(struct a64_cpu *c, const dinsn *d)
{
	cpu_branch_mark(c, d - 1); /* ends the chain; not an instruction */
	/* Reached by chaining: end the chain here, so the run loop's checks
	 * see the page's end like any other instruction boundary. */
	if (d != c->chain_start)
		return d;
	return cpu_lookup(c, c->cur_va_page + 0x1000);
}

static void dpage_reset(struct dpage *dp)
{
	for (unsigned i = 0; i < DPAGE_ENTRIES; i++)
		dp->e[i].fn = h_decode;
	dp->e[DPAGE_ENTRIES].fn = h_page_end;
}

/* This vCPU's share of the budget, in decoded pages. */
static uint32_t dcache_cap(const struct a64_cpu *c)
{
	uint64_t vm = atomic_load_explicit(&c->vm->ram_bytes, memory_order_relaxed) / 2;
	vm = vm < DCACHE_VM_MIN ? DCACHE_VM_MIN : vm > DCACHE_VM_MAX ? DCACHE_VM_MAX : vm;
	unsigned n = atomic_load_explicit(&c->vm->ncpus, memory_order_relaxed);
	uint64_t share = vm / (n ? n : 1);
	if (share < DCACHE_CPU_MIN)
		share = DCACHE_CPU_MIN;
	uint64_t pages = share / sizeof(struct dpage);
	return pages > DCACHE_CPU_MAX_PAGES ? DCACHE_CPU_MAX_PAGES : (uint32_t)pages;
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer) /* clang */
#define ARENA_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(ARENA_ASAN)
#include <sanitizer/asan_interface.h>
#define ARENA_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define ARENA_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define ARENA_POISON(p, n) ((void)(p), (void)(n))
#define ARENA_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

static size_t arena_size(void)
{
	return (size_t)DCACHE_CPU_MAX_PAGES * sizeof(struct dpage);
}

/* Virtual space for the largest share; the host backs only what is
 * written, and after a flush again only what is reused. */
static struct dpage *arena_reserve(void)
{
	void *p = mmap(NULL, arena_size(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* Drop every decoded page: only where no decoded entry is held (an
 * instruction lookup, or the vCPU's end). When the share shrank (more
 * vCPUs), the arena beyond it goes back to the host: mapping fresh zero
 * pages over it is how POSIX discards. */
static void dcache_flush(struct a64_cpu *c)
{
	memset(c->dhash, 0, c->dhash_size * sizeof(*c->dhash));
	c->dpages = 0;
	c->stats.dcache_bytes = 0;
	memset(c->itlb, 0, sizeof(c->itlb));
	for (unsigned i = 0; i < ITLB_SIZE; i++)
		c->itlb[i].tag = TLB_INVALID;
	c->stats.dcache_flushes++;
	uint32_t cap = dcache_cap(c);
	if (c->arena_touched > cap) {
		void *tail = c->arena + cap;
		size_t len = (size_t)(c->arena_touched - cap) * sizeof(struct dpage);
		/* Whole host pages only: cap's own page may hold live entries later. */
		uintptr_t lo = ((uintptr_t)tail + 0xffff) & ~(uintptr_t)0xffff;
		uintptr_t hi = (uintptr_t)tail + len;
		if (hi > lo && mmap((void *)lo, hi - lo, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) != MAP_FAILED)
			c->arena_touched = cap;
	}
	/* Stale pointers into dropped pages are use-after-free to ASan. */
	ARENA_POISON(c->arena, (size_t)c->arena_touched * sizeof(struct dpage));
}

/* A page now holds decoded code: from here on, stores to it must invalidate
 * it, so every vCPU's write TLB must take the slow path for it. */
static void mark_code(struct a64_vm *vm, struct a64_region *r, uint64_t pg)
{
	if (!atomic_load_explicit(&r->code[pg], memory_order_relaxed)) {
		atomic_store(&r->code[pg], 1);
		atomic_fetch_add(&vm->code_epoch, 1);
	}
}

static struct dpage *dpage_get(struct a64_cpu *c, uint64_t pa, struct a64_region *r)
{
	uint32_t h = (uint32_t)((pa >> 12) * 0x9E3779B1u) & (c->dhash_size - 1);
	struct dpage *dp;
	for (dp = c->dhash[h]; dp; dp = dp->hnext)
		if (dp->pa == pa)
			return dp;
	/* Full: start again (safe here, see check_epochs). No allocation that
	 * can fail: the arena was reserved with the vCPU. */
	uint32_t cap = dcache_cap(c);
	if (unlikely(c->dpages >= cap)) {
		dcache_flush(c);
		h = (uint32_t)((pa >> 12) * 0x9E3779B1u) & (c->dhash_size - 1);
	}
	dp = &c->arena[c->dpages];
	ARENA_UNPOISON(dp, sizeof(*dp));
	uint64_t pg = (pa - r->ipa) >> 12;
	dp->pa = pa;
	dp->host = r->host + (pa - r->ipa);
	dp->gen_ptr = &r->gen[pg];
	dp->gen = atomic_load_explicit(&r->gen[pg], memory_order_acquire);
	dp->ic_epoch = atomic_load_explicit(&c->vm->ic_epoch, memory_order_acquire);
	dpage_reset(dp);
	dp->hnext = c->dhash[h];
	c->dhash[h] = dp;
	c->dpages++;
	if (c->dpages > c->arena_touched) {
		c->arena_touched = c->dpages;
		if (c->arena_touched > c->arena_max)
			c->arena_max = c->arena_touched;
	}
	c->stats.dcache_bytes = (uint64_t)c->dpages * sizeof(*dp);
	if (c->stats.dcache_bytes > c->stats.dcache_peak_bytes)
		c->stats.dcache_peak_bytes = c->stats.dcache_bytes;
	c->stats.dcache_budget_bytes = (uint64_t)cap * sizeof(*dp);
	mark_code(c->vm, r, pg);
	return dp;
}

/* A page whose generation moved on is re-decoded from scratch. */
static void dpage_validate(struct a64_cpu *c, struct dpage *dp)
{
	uint32_t g = atomic_load_explicit(dp->gen_ptr, memory_order_acquire);
	uint32_t e = atomic_load_explicit(&c->vm->ic_epoch, memory_order_acquire);
	if (unlikely(g != dp->gen || e != dp->ic_epoch)) {
		dp->gen = g;
		dp->ic_epoch = e;
		dpage_reset(dp);
		struct a64_region *r = vm_find_region(c->vm, dp->pa);
		if (r)
			mark_code(c->vm, r, (dp->pa - r->ipa) >> 12);
	}
}

/* Apply what other threads changed. A layout change (map/unmap) frees
 * every decoded page, so it is applied only where no decoded entry is held
 * (flush_code, i.e. instruction lookup); elsewhere it is left pending and
 * reported, and the caller must re-look-up before it runs on. */
static bool check_epochs(struct a64_cpu *c, bool flush_code)
{
	bool pending = false;
	uint32_t le = atomic_load_explicit(&c->vm->layout_epoch, memory_order_acquire);
	if (unlikely(le != c->seen_layout_epoch)) {
		if (flush_code) {
			c->seen_layout_epoch = le;
			dcache_flush(c);
		} else {
			pending = true;
		}
	}
	uint32_t me = atomic_load(&c->vm->map_epoch); /* seq_cst: pairs with in_run for shootdowns */
	uint32_t ce = atomic_load_explicit(&c->vm->code_epoch, memory_order_acquire);
	if (unlikely(me != c->seen_map_epoch)) {
		c->seen_map_epoch = me;
		c->seen_code_epoch = ce;
		tlb_flush_all(c);
		atomic_store_explicit(&c->slot->ack_map_epoch, me, memory_order_release);
	} else if (unlikely(ce != c->seen_code_epoch)) {
		c->seen_code_epoch = ce;
		tlb_flush_writes(c);
	}
	return pending;
}

static const dinsn *h_decode(struct a64_cpu *c, const dinsn *cd)
{
	dinsn *d = (dinsn *)cd; /* entries are written only here */
	size_t idx = (size_t)(d - c->cur_dp->e);
	uint32_t insn;
	memcpy(&insn, c->cur_dp->host + idx * 4, 4);
	struct a64_dctx s = { .d = d, .insn = insn, .c = c };
	memset(&d->rd, 0, sizeof(*d) - offsetof(dinsn, rd));
	c->stats.decoded++;
	if (!a64_decode(&s, insn))
		d->fn = h_undef;
	return d->fn(c, d);
}

const dinsn *h_undef(struct a64_cpu *c, const dinsn *d)
{
	cpu_undef(c, d);
}

/* AArch64.BranchAddr: where the top byte is ignored for instruction
 * addresses, the PC is the target with bits 63:56 copied from bit 55. */
static uint64_t branch_addr(const struct a64_cpu *c, uint64_t va)
{
	if (pgw_effective_tbi(c->tcr, va, true))
		return (uint64_t)((int64_t)(va << 8) >> 8);
	return va;
}

/* The full lookup: TBI, alignment and illegal-state checks, other threads'
 * changes, instruction TLB refill and page validation. */
static __attribute__((noinline)) const dinsn *cpu_lookup_slow(struct a64_cpu *c, uint64_t va)
{
	if (unlikely((uint64_t)((int64_t)(va << 8) >> 8) != va))
		va = branch_addr(c, va);
	if (unlikely(va & 3)) {
		/* PC alignment fault, taken when the instruction is fetched. */
		cpu_exception(c, va, (uint32_t)EC_PC_ALIGN << 26 | 1u << 25, va, true);
	}
	if (unlikely(c->pstate_il)) /* after an illegal exception return */
		cpu_exception(c, va, (uint32_t)EC_ILLEGAL_STATE << 26 | 1u << 25, 0, false);
	check_epochs(c, true);
	uint64_t page = va & ~0xfffull;
	struct itlb_entry *ie = &c->itlb[(va >> 12) & (ITLB_SIZE - 1)];
	struct dpage *dp;
	if (likely(ie->tag == (page | c->mmu_idx << 1))) {
		dp = ie->dp;
		if (unlikely(atomic_load_explicit(ie->gen_ptr, memory_order_acquire) != ie->gen ||
			     atomic_load_explicit(&c->vm->ic_epoch, memory_order_acquire) != ie->ic_epoch)) {
			dpage_validate(c, dp);
			ie->gen = dp->gen;
			ie->ic_epoch = dp->ic_epoch;
		}
	} else {
		uint64_t pa;
		uint32_t fsc;
		unsigned shift;
		c->stats.itlb_misses++;
		if (!mmu_translate_sz(c, va, c->mmu_idx, ACC_EXEC, &pa, &fsc, &shift)) {
			/* Stage-1 instruction abort. */
			uint32_t ec = c->el == 0 ? EC_IABT_LOWER : EC_IABT_CUR;
			cpu_exception(c, va, ec << 26 | 1u << 25 | fsc, va, true);
		}
		struct a64_region *r = vm_find_region(c->vm, pa);
		if (!r) /* stage 2: not RAM -> exit, as HVF does (EC 0x20, translation fault) */
			cpu_exit_to_vmm(c, va, ACCEL_EXIT_EXCEPTION, (uint64_t)EC_IABT_LOWER << 26 | 1u << 25 | 0x07,
					va, pa);
		if (!(region_perm(r, (pa - r->ipa) >> 12) & ACCEL_MEM_EXEC))
			cpu_exit_to_vmm(c, va, ACCEL_EXIT_EXCEPTION, (uint64_t)EC_IABT_LOWER << 26 | 1u << 25 | 0x0f,
					va, pa);
		dp = dpage_get(c, pa & ~0xfffull, r);
		ie->tag = page | c->mmu_idx << 1;
		ie->dp = dp;
		ie->shift = shift;
		tlb_note_size(c, va, shift);
		dpage_validate(c, dp);
		ie->gen_ptr = dp->gen_ptr;
		ie->gen = dp->gen;
		ie->ic_epoch = dp->ic_epoch;
	}
	c->cur_dp = dp;
	c->cur_va_page = page;
	return &dp->e[(va & 0xfff) >> 2];
}

/* Branches to other pages, RET, BR and BLR come here. The common case (a
 * canonical aligned VA whose page the instruction TLB holds, its dpage
 * still current, no other thread's change pending) is a few compares with
 * no call and no saved registers; anything else takes the full lookup,
 * which does every check in order. */
const dinsn *cpu_lookup(struct a64_cpu *c, uint64_t va)
{
	uint64_t page = va & ~0xfffull;
	const struct itlb_entry *ie = &c->itlb[(va >> 12) & (ITLB_SIZE - 1)];
	const struct a64_vm *vm = c->vm;
	if (likely(ie->tag == (page | c->mmu_idx << 1) && !(va & 3) &&
		   (uint64_t)((int64_t)(va << 8) >> 8) == va && !c->pstate_il &&
		   atomic_load_explicit(&vm->layout_epoch, memory_order_acquire) == c->seen_layout_epoch &&
		   atomic_load(&vm->map_epoch) == c->seen_map_epoch &&
		   atomic_load_explicit(&vm->code_epoch, memory_order_acquire) == c->seen_code_epoch &&
		   atomic_load_explicit(ie->gen_ptr, memory_order_acquire) == ie->gen &&
		   atomic_load_explicit(&vm->ic_epoch, memory_order_acquire) == ie->ic_epoch)) {
		c->cur_dp = ie->dp;
		c->cur_va_page = page;
		return &ie->dp->e[(va & 0xfff) >> 2];
	}
	return cpu_lookup_slow(c, va);
}

void a64_itlb_flush(struct a64_cpu *c)
{
	for (unsigned i = 0; i < ITLB_SIZE; i++)
		c->itlb[i].tag = TLB_INVALID;
}

/* Wait until every vCPU inside a64_cpu_run other than self has applied map
 * epoch `want` (vCPUs outside hold no live TLB state: they check the epochs
 * before they run again). Others check every chunk of instructions; while
 * waiting, self keeps acknowledging theirs, so two vCPUs shooting down at
 * once cannot wait for each other. Only the VM's slots are read, never
 * another vCPU: one that leaves its run (to exit, or to be freed) clears
 * in_run and is waited for no longer; a slot freed and taken again holds
 * a new vCPU, which is outside its run or applies the epoch at its next
 * lookup like any other. A vCPU taking a slot above the high-water mark
 * after it was read cannot have run before want was published. */
void vm_tlb_sync(struct a64_vm *vm, struct a64_cpu *self, uint32_t want)
{
	unsigned n = atomic_load(&vm->slots_hwm);
	const struct a64_cpu_slot *me = self ? self->slot : NULL;
	for (unsigned i = 0; i < n; i++) {
		const struct a64_cpu_slot *o = &vm->slots[i];
		if (o == me)
			continue;
		while (atomic_load_explicit(&o->in_run, memory_order_acquire) &&
		       (int32_t)(atomic_load_explicit(&o->ack_map_epoch, memory_order_acquire) - want) < 0) {
			if (self)
				check_epochs(self, false);
			sched_yield();
		}
	}
}

void cpu_tlb_shootdown_va(struct a64_cpu *c, uint64_t va)
{
	uint32_t old = atomic_fetch_add(&c->vm->map_epoch, 1);
	if (old == c->seen_map_epoch) {
		/* Only this TLBI changed the map since this vCPU last applied
		 * it: apply it here by dropping va's entries alone. */
		c->seen_map_epoch = old + 1;
		atomic_store_explicit(&c->slot->ack_map_epoch, old + 1, memory_order_release);
		tlb_flush_va(c, va);
	}
	check_epochs(c, false);
	vm_tlb_sync(c->vm, c, old + 1);
}

void cpu_tlb_shootdown(struct a64_cpu *c)
{
	uint32_t want = atomic_fetch_add(&c->vm->map_epoch, 1) + 1;
	/* Called from a TLBI handler that returns its next entry: the
	 * decoded pages must survive (a pending layout change waits for the
	 * next lookup). */
	check_epochs(c, false);
	vm_tlb_sync(c->vm, c, want);
}

/* ---- Leaving the inner loop ---------------------------------------------- */

NORETURN void cpu_exit_to_vmm(struct a64_cpu *c, uint64_t pc, uint32_t reason, uint64_t esr, uint64_t va,
			      uint64_t ipa)
{
	c->pc = pc;
	c->exit->reason = reason;
	c->exit->esr = esr;
	c->exit->va = va;
	c->exit->ipa = ipa;
	longjmp(c->jb, RUN_EXIT);
}

NORETURN void cpu_resync(struct a64_cpu *c, uint64_t pc)
{
	c->stats.resyncs++;
	c->pc = pc;
	longjmp(c->jb, RUN_CONTINUE);
}

/* ---- The run loop --------------------------------------------------------- */

static bool take_interrupts(struct a64_cpu *c, uint64_t pc);

/* Runs chains from d until CHUNK instructions have run and returns the
 * entry to continue at. Kept out of a64_cpu_run so that c and d live in
 * registers (no setjmp here). A chain ends at a control-flow handler, which
 * marks itself in c->tail, or at a handler that returns its successor
 * without chaining (then the chain is s .. d - 1). Instructions of a chain
 * that leaves by longjmp (exception, exit) are not counted. */
static __attribute__((noinline)) const dinsn *run_chains(struct a64_cpu *c, const dinsn *d)
{
	c->budget = CHUNK;
	do {
		c->chain_start = d;
		c->tail = NULL;
		c->chain_skip = 0;
		d = d->fn(c, d);
		/* A loop may have counted its earlier iterations and moved
		 * chain_start on (cpu_loop_back). */
		const dinsn *s = c->chain_start;
		uintptr_t end = c->tail ? (uintptr_t)(c->tail + 1) : (uintptr_t)d;
		uint64_t k = (uint64_t)(end - (uintptr_t)s) / sizeof(dinsn) - c->chain_skip;
		/* Not a chain in this page (a control-flow handler that did
		 * not mark itself): count it as one instruction. */
		if (k > DPAGE_ENTRIES)
			k = 1;
		c->stats.insns += k;
		c->budget -= (int64_t)k + 1;
	} while (c->budget > 0);
	return d;
}

void a64_cpu_run(struct a64_cpu *c, struct accel_exit *exit)
{
	c->exit = exit;
	memset(exit, 0, sizeof(*exit));
	/* HVF: a pending cancel makes the run return at once. */
	if (atomic_exchange(&c->kick, 0)) {
		exit->reason = ACCEL_EXIT_CANCELED;
		return;
	}
	atomic_store(&c->slot->in_run, true);
	if (setjmp(c->jb) == RUN_EXIT)
		goto out;
	for (;;) {
		if (atomic_load_explicit(&c->kick, memory_order_relaxed)) {
			atomic_store(&c->kick, 0);
			exit->reason = ACCEL_EXIT_CANCELED;
			goto out;
		}
		if (timer_vtimer_should_exit(c)) {
			exit->reason = ACCEL_EXIT_VTIMER_ACTIVATED;
			c->vtimer_masked = true;
			goto out;
		}
		const dinsn *d = cpu_lookup(c, c->pc);
		if (take_interrupts(c, c->pc))
			continue;
		for (;;) {
			d = run_chains(c, d);
			if (atomic_load_explicit(&c->kick, memory_order_relaxed) || timer_vtimer_should_exit(c)) {
				c->pc = insn_pc(c, d);
				break;
			}
			if (take_interrupts(c, insn_pc(c, d)))
				break;
			if (unlikely(check_epochs(c, false))) {
				c->pc = insn_pc(c, d);
				break;
			}
		}
	}
out:
	atomic_store_explicit(&c->slot->in_run, false, memory_order_release);
	/* HVF clears the pending interrupt lines after every run. */
	atomic_store(&c->irq_line, 0);
	atomic_store(&c->fiq_line, 0);
}

/* IRQ/FIQ lines are level inputs set by the VMM; take them when unmasked.
 * Returns true if an exception was taken (c->pc updated). */
static bool take_interrupts(struct a64_cpu *c, uint64_t pc)
{
	uint32_t irq = atomic_load_explicit(&c->irq_line, memory_order_relaxed);
	uint32_t fiq = atomic_load_explicit(&c->fiq_line, memory_order_relaxed);
	if (likely(!irq && !fiq))
		return false;
	extern bool cpu_irq_entry(struct a64_cpu *c, uint64_t pc, bool irq, bool fiq);
	return cpu_irq_entry(c, pc, irq, fiq);
}

/* ---- Creation ------------------------------------------------------------- */

struct a64_cpu *a64_cpu_new(struct a64_vm *vm)
{
	struct a64_cpu *c = aligned_alloc(64, (sizeof(*c) + 63) & ~(size_t)63);
	if (!c)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->vm = vm;
	c->dhash_size = 4096;
	c->dhash = calloc(c->dhash_size, sizeof(*c->dhash));
	c->arena = arena_reserve();
	if (!c->dhash || !c->arena) {
		free(c->dhash);
		if (c->arena)
			munmap(c->arena, arena_size());
		free(c);
		return NULL;
	}
	for (unsigned i = 0; i < ITLB_SIZE; i++)
		c->itlb[i].tag = TLB_INVALID;
	tlb_flush_all(c);
	c->seen_map_epoch = atomic_load(&vm->map_epoch);
	c->seen_code_epoch = atomic_load(&vm->code_epoch);
	c->seen_layout_epoch = atomic_load(&vm->layout_epoch);
	for (unsigned i = 0; i < A64_MAX_CPUS && !c->slot; i++) {
		bool expect = false;
		if (atomic_compare_exchange_strong(&vm->slots[i].used, &expect, true)) {
			c->slot = &vm->slots[i];
			unsigned h = atomic_load(&vm->slots_hwm);
			while (h < i + 1 && !atomic_compare_exchange_weak(&vm->slots_hwm, &h, i + 1))
				;
		}
	}
	if (!c->slot) { /* more vCPUs than shootdowns can reach */
		munmap(c->arena, arena_size());
		free(c->dhash);
		free(c);
		return NULL;
	}
	atomic_store(&c->slot->in_run, false);
	atomic_store(&c->slot->ack_map_epoch, c->seen_map_epoch);
	atomic_fetch_add(&vm->ncpus, 1);
	c->excl_addr = ~0ull;
	/* A fresh HVF vCPU: EL0t, SCTLR 0 (facts/hvapi.md §2.1); VMMs set
	 * CPSR explicitly. */
	c->el = 0;
	c->spsel = 0;
	c->daif = 0xf << 6;
	c->mmu_idx = MMU_EL0;
	c->dtlb = c->tlb[MMU_EL0];
	sysreg_reset(c);
	return c;
}

void a64_cpu_free(struct a64_cpu *c)
{
	if (!c)
		return;
	/* Outside its run, so no one waits for it; after this the slot is
	 * another vCPU's to take. Nothing of c is read by other threads. */
	atomic_store(&c->slot->in_run, false);
	atomic_fetch_sub(&c->vm->ncpus, 1);
	atomic_store_explicit(&c->slot->used, false, memory_order_release);
	ARENA_UNPOISON(c->arena, (size_t)c->arena_max * sizeof(struct dpage));
	munmap(c->arena, arena_size());
	free(c->dhash);
	free(c);
}

void a64_cpu_kick(struct a64_cpu *c)
{
	atomic_store(&c->kick, 1);
}

const struct a64_stats *a64_cpu_stats(struct a64_cpu *c)
{
	return &c->stats;
}
