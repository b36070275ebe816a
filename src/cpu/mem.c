/* Guest memory for the software CPU: the VM's RAM map (what the VMM mapped,
 * i.e. stage 2 as Hypervisor.framework has it), the software TLB and the
 * slow paths of loads and stores. */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "arch/dabt.h"
#include "arch/pgwalk.h"
#include "cpu/internal.h"
#include "cpu/timer.h"

/* ---- The VM's memory map ------------------------------------------------- */

struct a64_vm *a64_vm_new(uint64_t cntfrq_hz)
{
	/* aligned: the map epoch has a cache line of its own */
	struct a64_vm *vm = aligned_alloc(64, (sizeof(*vm) + 63) & ~(size_t)63);
	if (!vm)
		return NULL;
	memset(vm, 0, sizeof(*vm));
	vm->cntfrq = cntfrq_hz ? cntfrq_hz : 24000000;
	vm->boot_ns = host_ns();
	return vm;
}

/* Per-page metadata: anonymous memory that reads as zero and is backed
 * only where written, so its cost follows the pages used, not the size of
 * RAM (a -m 4T guest's tables are 5 GiB of address space and nothing more
 * until it runs). NULL on failure. */
static void *meta_alloc(uint64_t bytes)
{
	if (bytes > SIZE_MAX)
		return NULL;
	void *p = mmap(NULL, (size_t)bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
		       0);
	return p == MAP_FAILED ? NULL : p;
}

static void meta_free(void *p, uint64_t bytes)
{
	if (p)
		munmap(p, (size_t)bytes);
}

static void region_free(struct a64_region *r)
{
	uint64_t pages = r->size >> 12;
	meta_free(r->perm_x, pages);
	meta_free((void *)r->gen, pages * sizeof(*r->gen));
	meta_free((void *)r->code, pages * sizeof(*r->code));
}

void a64_vm_free(struct a64_vm *vm)
{
	if (!vm)
		return;
	for (unsigned i = 0; i < vm->nregions; i++)
		region_free(&vm->regions[i]);
	free(vm);
}

struct a64_region *vm_find_region(struct a64_vm *vm, uint64_t pa)
{
	for (unsigned i = 0; i < vm->nregions; i++) {
		struct a64_region *r = &vm->regions[i];
		if (pa - r->ipa < r->size)
			return r;
	}
	return NULL;
}

int a64_vm_map(struct a64_vm *vm, void *host, uint64_t ipa, uint64_t size, unsigned flags)
{
	if (!host || !size || (ipa & 0xfff) || (size & 0xfff) || ((uintptr_t)host & 0xfff) || ipa + size < ipa)
		return -EINVAL;
	if (flags & ~(unsigned)(ACCEL_MEM_READ | ACCEL_MEM_WRITE | ACCEL_MEM_EXEC))
		return -EINVAL;
	for (unsigned i = 0; i < vm->nregions; i++) {
		struct a64_region *r = &vm->regions[i];
		if (ipa < r->ipa + r->size && r->ipa < ipa + size)
			return -EEXIST;
	}
	if (vm->nregions == A64_MAX_REGIONS)
		return -ENOSPC;
	uint64_t pages = size >> 12;
	struct a64_region r = {
		.ipa = ipa, .size = size, .host = host, .flags = flags,
		.perm_x = meta_alloc(pages), /* zero: every page as mapped */
		.gen = meta_alloc(pages * sizeof(*r.gen)),
		.code = meta_alloc(pages * sizeof(*r.code)),
	};
	if (!r.perm_x || !r.gen || !r.code) {
		region_free(&r);
		return -ENOMEM;
	}
	vm->regions[vm->nregions++] = r;
	atomic_fetch_add_explicit(&vm->ram_bytes, size, memory_order_relaxed);
	atomic_fetch_add(&vm->layout_epoch, 1);
	atomic_fetch_add(&vm->map_epoch, 1);
	atomic_fetch_add(&vm->ic_epoch, 1);
	return 0;
}

int a64_vm_unmap(struct a64_vm *vm, uint64_t ipa, uint64_t size)
{
	/* Whole regions only: HVF users unmap what they mapped. As with HVF,
	 * no vCPU may be running: the vCPUs drop their decoded pages (which
	 * point into the region's tables) at their next run. */
	for (unsigned i = 0; i < vm->nregions; i++) {
		struct a64_region *r = &vm->regions[i];
		if (r->ipa == ipa && r->size == size) {
			atomic_fetch_sub_explicit(&vm->ram_bytes, size, memory_order_relaxed);
			region_free(r);
			vm->regions[i] = vm->regions[--vm->nregions];
			atomic_fetch_add(&vm->layout_epoch, 1);
			atomic_fetch_add(&vm->map_epoch, 1);
			atomic_fetch_add(&vm->ic_epoch, 1);
			return 0;
		}
	}
	return -EINVAL;
}

int a64_vm_protect(struct a64_vm *vm, uint64_t ipa, uint64_t size, unsigned flags)
{
	if ((ipa & 0xfff) || (size & 0xfff) || !size)
		return -EINVAL;
	for (uint64_t a = ipa; a < ipa + size; a += 0x1000)
		if (!vm_find_region(vm, a))
			return -EINVAL;
	for (uint64_t a = ipa; a < ipa + size; a += 0x1000) {
		struct a64_region *r = vm_find_region(vm, a);
		r->perm_x[(a - r->ipa) >> 12] = (uint8_t)(flags ^ r->flags);
	}
	/* Like hv_vm_protect, the change holds for every vCPU when this
	 * returns: no running vCPU may keep a TLB entry with the old rights
	 * (write-protection for dirty tracking and W^X depends on it). A
	 * vCPU thread calls this outside a64_cpu_run, so it waits for no one
	 * but the others. */
	uint32_t want = atomic_fetch_add(&vm->map_epoch, 1) + 1;
	vm_tlb_sync(vm, NULL, want);
	return 0;
}

void code_invalidate_pa(struct a64_vm *vm, uint64_t pa)
{
	struct a64_region *r = vm_find_region(vm, pa);
	if (!r)
		return;
	uint64_t pg = (pa - r->ipa) >> 12;
	atomic_fetch_add(&r->gen[pg], 1);
	atomic_store(&r->code[pg], 0);
}

void a64_vm_code_written(struct a64_vm *vm, const void *host, size_t size)
{
	const uint8_t *p = host;
	for (unsigned i = 0; i < vm->nregions; i++) {
		const struct a64_region *r = &vm->regions[i];
		if (p + size <= r->host || p >= r->host + r->size)
			continue;
		uint64_t lo = p > r->host ? (uint64_t)(p - r->host) : 0;
		uint64_t hi = p + size < r->host + r->size ? (uint64_t)(p + size - r->host) : r->size;
		for (uint64_t off = lo & ~0xfffull; off < hi; off += 0x1000)
			code_invalidate_pa(vm, r->ipa + off);
	}
}

/* ---- TLB ------------------------------------------------------------------ */

void tlb_flush_all(struct a64_cpu *c)
{
	c->stats.tlb_flushes++;
	c->tlb_big_n = 0;
	c->tlb_big_all = false;
	for (unsigned i = 0; i < MMU_NIDX; i++)
		for (unsigned j = 0; j < TLB_SIZE; j++) {
			c->tlb[i][j].rtag = TLB_INVALID;
			c->tlb[i][j].wtag = TLB_INVALID;
		}
	for (unsigned i = 0; i < ITLB_SIZE; i++)
		c->itlb[i].tag = TLB_INVALID;
}

/* Does an entry for the 4 KiB page vpage, made from a mapping of 2^shift
 * bytes, translate va? VA bits 55:shift decide (the top byte may differ:
 * over-invalidation is allowed). */
static bool tlb_covers(uint64_t vpage, unsigned shift, uint64_t va)
{
	uint64_t mask = 0x00fffffffffff000ull & ~((1ull << shift) - 1);
	return ((vpage ^ va) & mask) == 0;
}

#define VA_BITS_MASK 0x00ffffffffffffffull

void tlb_note_size(struct a64_cpu *c, uint64_t va, unsigned shift)
{
	if (shift <= 12 || c->tlb_big_all)
		return;
	uint64_t lo = va & VA_BITS_MASK & ~((1ull << shift) - 1), hi = lo + (1ull << shift);
	for (unsigned i = 0; i < c->tlb_big_n; i++)
		if (c->tlb_big[i].lo <= hi && lo <= c->tlb_big[i].hi) { /* overlaps or touches: merge */
			c->tlb_big[i].lo = c->tlb_big[i].lo < lo ? c->tlb_big[i].lo : lo;
			c->tlb_big[i].hi = c->tlb_big[i].hi > hi ? c->tlb_big[i].hi : hi;
			return;
		}
	if (c->tlb_big_n == TLB_BIG_RANGES) {
		c->tlb_big_all = true;
		return;
	}
	c->tlb_big[c->tlb_big_n].lo = lo;
	c->tlb_big[c->tlb_big_n].hi = hi;
	c->tlb_big_n++;
}

void tlb_flush_va(struct a64_cpu *c, uint64_t va)
{
	bool all = c->tlb_big_all;
	for (unsigned i = 0; i < c->tlb_big_n && !all; i++)
		all = (va & VA_BITS_MASK) - c->tlb_big[i].lo < c->tlb_big[i].hi - c->tlb_big[i].lo;
	/* Outside every larger mapping: va's own slots are the only candidates. */
	unsigned lo = all ? 0 : (va >> 12) & (TLB_SIZE - 1), n = all ? TLB_SIZE : 1;
	unsigned ilo = all ? 0 : (va >> 12) & (ITLB_SIZE - 1), in = all ? ITLB_SIZE : 1;
	for (unsigned i = 0; i < MMU_NIDX; i++)
		for (unsigned j = lo; j < lo + n; j++) {
			struct tlb_entry *e = &c->tlb[i][j];
			uint64_t tag = e->rtag != TLB_INVALID ? e->rtag : e->wtag;
			if (tag != TLB_INVALID && tlb_covers(tag & ~0xfffull, (unsigned)(e->pa & 0x3f), va)) {
				e->rtag = TLB_INVALID;
				e->wtag = TLB_INVALID;
			}
		}
	for (unsigned i = ilo; i < ilo + in; i++) {
		struct itlb_entry *ie = &c->itlb[i];
		if (ie->tag != TLB_INVALID && tlb_covers(ie->tag & ~0xfffull, (unsigned)ie->shift, va))
			ie->tag = TLB_INVALID;
	}
}

void tlb_flush_writes(struct a64_cpu *c)
{
	for (unsigned i = 0; i < MMU_NIDX; i++)
		for (unsigned j = 0; j < TLB_SIZE; j++)
			c->tlb[i][j].wtag = TLB_INVALID;
}

/* ---- Faults ---------------------------------------------------------------- */

static uint32_t insn_at(struct a64_cpu *c, const dinsn *d)
{
	size_t idx = (size_t)(d - c->cur_dp->e);
	uint32_t insn;
	memcpy(&insn, c->cur_dp->host + idx * 4, 4);
	return insn;
}

/* Stage-1 fault: a data abort taken to EL1. */
static NORETURN void data_abort(struct a64_cpu *c, const dinsn *d, uint64_t va, bool write, uint32_t fsc)
{
	uint32_t ec = c->el == 0 ? EC_DABT_LOWER : EC_DABT_CUR;
	cpu_exception(c, insn_pc(c, d), ec << 26 | 1u << 25 | (write ? ISS_WNR : 0) | fsc, va, true);
}

/* Stage-2 fault: not RAM, or the VMM removed the permission. Exits to the
 * VMM with the syndrome hardware would give (ISV per the instruction). */
static NORETURN void stage2_exit(struct a64_cpu *c, const dinsn *d, uint64_t va, uint64_t pa, bool write,
				 bool perm_fault, bool whole_insn_syndrome)
{
	uint32_t iss = whole_insn_syndrome ? a64_dabt_insn_syndrome(insn_at(c, d)) : 0;
	uint64_t esr = (uint64_t)EC_DABT_LOWER << 26 | 1u << 25 | iss | (write ? ISS_WNR : 0) |
		       (perm_fault ? 0x0f : 0x07);
	cpu_exit_to_vmm(c, insn_pc(c, d), ACCEL_EXIT_EXCEPTION, esr, va, pa);
}

/* ---- Translation for data accesses ------------------------------------------
 * One stage-1 walk gives the permissions at EL0 and EL1 and the memory type.
 * Alignment (Arm ARM B2.5, D4.4): data accesses with the MMU off are to
 * Device-nGnRnE memory, and an unaligned access to Device memory takes an
 * alignment fault (after translation faults, before permission faults);
 * SCTLR_EL1.A makes every unaligned access fault (before translation).
 * Pages where unaligned accesses must fault are installed with TLB_ALIGN in
 * their tags: the inline fast path then misses, and the slow path checks
 * alignment against the cached entry without walking again. */
#define SCTLR_M (1ull << 0)
#define SCTLR_A (1ull << 1)

bool mmu_xlate(struct a64_cpu *c, uint64_t va, int access, bool el0, struct pgw_result *res);

static bool needs_align_check(const struct a64_cpu *c, const struct pgw_result *r)
{
	return (c->sctlr & SCTLR_A) || r->mmu_off || pgw_attr_is_device(c->mair, r->attrindx);
}

static NORETURN void align_fault(struct a64_cpu *c, const dinsn *d, uint64_t va, bool write)
{
	data_abort(c, d, va, write, 0x21);
}

/* Translate va for a data access of `size` bytes (size 0: no alignment
 * check, the caller did it), raise every fault, check stage 2, and fill
 * the TLB entries of both regimes. Returns the host address of va. */
static uint8_t *access_page(struct a64_cpu *c, const dinsn *d, uint64_t va, bool write, unsigned idx,
			    bool syndrome, unsigned size, bool *alchk_out)
{
	struct pgw_result r;
	c->stats.tlb_misses++;
	bool misaligned = size > 1 && (va & (size - 1));
	if (misaligned && (c->sctlr & SCTLR_A))
		align_fault(c, d, va, write);
	if (!mmu_xlate(c, va, write ? ACC_WRITE : ACC_READ, idx == MMU_EL0, &r)) {
		if (r.fault == PGW_STAGE2) /* the walk left RAM: stage-2 fault, S1PTW */
			cpu_exit_to_vmm(c, insn_pc(c, d), ACCEL_EXIT_EXCEPTION,
					(uint64_t)EC_DABT_LOWER << 26 | 1u << 25 | 1u << 7 | r.fsc, va, r.ipa);
		if (r.fault == PGW_PERMISSION && misaligned && needs_align_check(c, &r))
			align_fault(c, d, va, write);
		data_abort(c, d, va, write, r.fsc);
	}
	bool alchk = needs_align_check(c, &r);
	if (alchk_out)
		*alchk_out = alchk;
	if (misaligned && alchk)
		align_fault(c, d, va, write);

	uint64_t pa = r.pa;
	struct a64_region *reg = vm_find_region(c->vm, pa);
	if (!reg)
		stage2_exit(c, d, va, pa, write, false, syndrome);
	uint64_t pg = (pa - reg->ipa) >> 12;
	unsigned perm = region_perm(reg, pg);
	if (!(perm & (write ? ACCEL_MEM_WRITE : ACCEL_MEM_READ)))
		stage2_exit(c, d, va, pa, write, true, syndrome);
	bool code = atomic_load_explicit(&reg->code[pg], memory_order_relaxed);
	if (write && code)
		code_invalidate_pa(c->vm, pa);

	uint8_t *host = reg->host + (pa - reg->ipa);
	uint64_t vpage = va & ~0xfffull;
	uint64_t ppage = pa & ~0xfffull;
	uintptr_t addend = (uintptr_t)(host - (pa & 0xfff)) - (uintptr_t)vpage;
	tlb_note_size(c, va, r.page_shift);
	uint64_t flags = alchk ? TLB_ALIGN : 0;
	/* Both regimes from the one walk (the write tag stays invalid on pages
	 * holding decoded code, so that stores to them invalidate it). */
	static const unsigned rbit[MMU_NIDX] = { PGW_R0, PGW_R1 }, wbit[MMU_NIDX] = { PGW_W0, PGW_W1 };
	for (unsigned i = 0; i < MMU_NIDX; i++) {
		struct tlb_entry *e = &c->tlb[i][(va >> 12) & (TLB_SIZE - 1)];
		if (i != idx && !(r.perms & (rbit[i] | wbit[i])))
			continue;
		e->addend = addend;
		e->pa = ppage | r.page_shift;
		e->rtag = (r.perms & rbit[i]) && (perm & ACCEL_MEM_READ) ? vpage | flags : TLB_INVALID;
		e->wtag = (r.perms & wbit[i]) && (perm & ACCEL_MEM_WRITE) && !code ? vpage | flags : TLB_INVALID;
	}
	return host;
}

/* The entry for va's page when it is cached with TLB_ALIGN for this access:
 * check alignment and return the host address, or NULL. */
static inline uint8_t *tlb_aligned_hit(struct a64_cpu *c, const dinsn *d, uint64_t va, unsigned size, bool write,
				       unsigned idx)
{
	struct tlb_entry *e = &c->tlb[idx][(va >> 12) & (TLB_SIZE - 1)];
	uint64_t tag = write ? e->wtag : e->rtag;
	if (tag != ((va & ~0xfffull) | TLB_ALIGN))
		return NULL;
	if (va & (size - 1))
		align_fault(c, d, va, write);
	return (uint8_t *)(uintptr_t)(va + e->addend);
}

/* An access that crosses a page (always unaligned, size <= 8): check both
 * pages, then do it bytewise. */
static void cross_pages(struct a64_cpu *c, const dinsn *d, uint64_t va, unsigned size, bool write, unsigned idx,
			uint8_t *bytes)
{
	uint64_t second = (va | 0xfff) + 1;
	unsigned n1 = (unsigned)(second - va);
	bool alchk2;
	uint8_t *h1 = access_page(c, d, va, write, idx, false, size, NULL);
	uint8_t *h2 = access_page(c, d, second, write, idx, false, 0, &alchk2);
	if (alchk2) /* Device memory on the second page */
		align_fault(c, d, va, write);
	/* Both host pointers stay valid: RAM does not move while a vCPU runs. */
	if (write) {
		memcpy(h1, bytes, n1);
		memcpy(h2, bytes + n1, size - n1);
	} else {
		memcpy(bytes, h1, n1);
		memcpy(bytes + n1, h2, size - n1);
	}
}

uint64_t mem_read_slow(struct a64_cpu *c, const dinsn *d, uint64_t va, unsigned size, unsigned idx)
{
	if ((va & 0xfff) + size > 0x1000) {
		uint8_t b[8] = { 0 };
		cross_pages(c, d, va, size, false, idx, b);
		uint64_t v = 0;
		for (unsigned i = 0; i < size; i++)
			v |= (uint64_t)b[i] << (8 * i);
		return v;
	}
	uint8_t *h = tlb_aligned_hit(c, d, va, size, false, idx);
	if (!h)
		h = access_page(c, d, va, false, idx, true, size, NULL);
	return ldn_host(h, size);
}

void mem_write_slow(struct a64_cpu *c, const dinsn *d, uint64_t va, unsigned size, uint64_t val, unsigned idx)
{
	if ((va & 0xfff) + size > 0x1000) {
		uint8_t b[8];
		for (unsigned i = 0; i < size; i++)
			b[i] = (uint8_t)(val >> (8 * i));
		cross_pages(c, d, va, size, true, idx, b);
		return;
	}
	uint8_t *h = tlb_aligned_hit(c, d, va, size, true, idx);
	if (!h)
		h = access_page(c, d, va, true, idx, true, size, NULL);
	stn_host(h, size, val);
}

void *mem_host_rmw(struct a64_cpu *c, const dinsn *d, uint64_t va, unsigned size, bool for_write, unsigned idx)
{
	if (va & (size - 1))
		align_fault(c, d, va, for_write);
	struct tlb_entry *e = &c->tlb[idx][(va >> 12) & (TLB_SIZE - 1)];
	uint64_t vpage = va & ~0xfffull;
	if (likely((e->rtag & ~TLB_ALIGN) == vpage && (!for_write || (e->wtag & ~TLB_ALIGN) == vpage)))
		return (void *)(uintptr_t)(va + e->addend);
	/* Atomics and exclusives are ISV=0: no per-instruction syndrome.
	 * A read-modify-write needs read permission and, if it writes, write. */
	uint8_t *host = access_page(c, d, va, false, idx, false, 0, NULL);
	if (for_write)
		host = access_page(c, d, va, true, idx, false, 0, NULL);
	return host;
}
