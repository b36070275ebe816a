/* Guest memory for the software CPU: the VM's RAM map (what the VMM mapped,
 * i.e. stage 2 as Hypervisor.framework has it), the software TLB and the
 * slow paths of loads and stores. */
#include <errno.h>
#include <stdlib.h>

#include "arch/dabt.h"
#include "cpu/internal.h"
#include "cpu/timer.h"

/* ---- The VM's memory map ------------------------------------------------- */

struct a64_vm *a64_vm_new(uint64_t cntfrq_hz)
{
	struct a64_vm *vm = calloc(1, sizeof(*vm));
	if (!vm)
		return NULL;
	vm->cntfrq = cntfrq_hz ? cntfrq_hz : 24000000;
	vm->boot_ns = host_ns();
	return vm;
}

static void region_free(struct a64_region *r)
{
	free(r->perm);
	free((void *)r->gen);
	free((void *)r->code);
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
		.ipa = ipa, .size = size, .host = host,
		.perm = malloc(pages),
		.gen = calloc(pages, sizeof(*r.gen)),
		.code = calloc(pages, sizeof(*r.code)),
	};
	if (!r.perm || !r.gen || !r.code) {
		region_free(&r);
		return -ENOMEM;
	}
	memset(r.perm, (int)flags, pages);
	vm->regions[vm->nregions++] = r;
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
		r->perm[(a - r->ipa) >> 12] = (uint8_t)flags;
	}
	atomic_fetch_add(&vm->map_epoch, 1);
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

/* ---- TLB ------------------------------------------------------------------ */

void tlb_flush_all(struct a64_cpu *c)
{
	for (unsigned i = 0; i < MMU_NIDX; i++)
		for (unsigned j = 0; j < TLB_SIZE; j++) {
			c->tlb[i][j].rtag = TLB_INVALID;
			c->tlb[i][j].wtag = TLB_INVALID;
		}
	for (unsigned i = 0; i < ITLB_SIZE; i++)
		c->itlb[i].tag = TLB_INVALID;
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

/* Translate, find RAM and check stage-2 permission; fill the TLB entry. */
static uint8_t *access_page(struct a64_cpu *c, const dinsn *d, uint64_t va, bool write, unsigned idx,
			    bool syndrome)
{
	uint64_t pa;
	uint32_t fsc;
	c->stats.tlb_misses++;
	if (!mmu_translate(c, va, idx, write ? ACC_WRITE : ACC_READ, &pa, &fsc))
		data_abort(c, d, va, write, fsc);
	struct a64_region *r = vm_find_region(c->vm, pa);
	if (!r)
		stage2_exit(c, d, va, pa, write, false, syndrome);
	uint64_t pg = (pa - r->ipa) >> 12;
	unsigned perm = r->perm[pg];
	if (!(perm & (write ? ACCEL_MEM_WRITE : ACCEL_MEM_READ)))
		stage2_exit(c, d, va, pa, write, true, syndrome);
	if (write && atomic_load_explicit(&r->code[pg], memory_order_relaxed))
		code_invalidate_pa(c->vm, pa);

	uint8_t *host = r->host + (pa - r->ipa);
	struct tlb_entry *e = &c->tlb[idx][(va >> 12) & (TLB_SIZE - 1)];
	uint64_t vpage = va & ~0xfffull;
	uint64_t ppage = pa & ~0xfffull;
	uintptr_t addend = (uintptr_t)(host - (pa & 0xfff)) - (uintptr_t)vpage;
	if (e->addend != addend || e->pa != ppage) {
		e->rtag = TLB_INVALID;
		e->wtag = TLB_INVALID;
	}
	e->addend = addend;
	e->pa = ppage;
	if (perm & ACCEL_MEM_READ && mmu_translate(c, va, idx, ACC_READ, &pa, &fsc))
		e->rtag = vpage;
	if ((perm & ACCEL_MEM_WRITE) && !atomic_load_explicit(&r->code[pg], memory_order_relaxed) &&
	    mmu_translate(c, va, idx, ACC_WRITE, &pa, &fsc))
		e->wtag = vpage;
	return host;
}

uint64_t mem_read_slow(struct a64_cpu *c, const dinsn *d, uint64_t va, unsigned size, unsigned idx)
{
	if ((va & 0xfff) + size > 0x1000) {
		/* Crosses a page: check both pages, then assemble bytes. */
		uint64_t second = (va | 0xfff) + 1;
		access_page(c, d, va, false, idx, false);
		access_page(c, d, second, false, idx, false);
		uint64_t v = 0;
		for (unsigned i = 0; i < size; i++)
			v |= (uint64_t)*access_page(c, d, va + i, false, idx, false) << (8 * i);
		return v;
	}
	return ldn_host(access_page(c, d, va, false, idx, true), size);
}

void mem_write_slow(struct a64_cpu *c, const dinsn *d, uint64_t va, unsigned size, uint64_t val, unsigned idx)
{
	if ((va & 0xfff) + size > 0x1000) {
		uint64_t second = (va | 0xfff) + 1;
		access_page(c, d, va, true, idx, false);
		access_page(c, d, second, true, idx, false);
		for (unsigned i = 0; i < size; i++)
			*access_page(c, d, va + i, true, idx, false) = (uint8_t)(val >> (8 * i));
		return;
	}
	stn_host(access_page(c, d, va, true, idx, true), size, val);
}

void *mem_host_rmw(struct a64_cpu *c, const dinsn *d, uint64_t va, unsigned size, bool for_write, unsigned idx)
{
	if (va & (size - 1))
		data_abort(c, d, va, for_write, 0x21); /* alignment fault */
	struct tlb_entry *e = &c->tlb[idx][(va >> 12) & (TLB_SIZE - 1)];
	uint64_t vpage = va & ~0xfffull;
	if (likely(e->rtag == vpage && (!for_write || e->wtag == vpage)))
		return (void *)(uintptr_t)(va + e->addend);
	/* Atomics and exclusives are ISV=0: no per-instruction syndrome.
	 * A read-modify-write needs read permission and, if it writes, write. */
	uint8_t *host = access_page(c, d, va, false, idx, false);
	if (for_write)
		host = access_page(c, d, va, true, idx, false);
	return host;
}

/* ---- Address translation ---------------------------------------------------
 * MMU off: VA = PA (flat), as the architecture defines it for EL0/EL1 with
 * SCTLR_EL1.M = 0. Stage-1 tables are walked by mmu.c when the MMU is on. */
bool mmu_walk(struct a64_cpu *c, uint64_t va, unsigned idx, int access, uint64_t *pa, uint32_t *fsc);

bool mmu_translate(struct a64_cpu *c, uint64_t va, unsigned idx, int access, uint64_t *pa, uint32_t *fsc)
{
	if (!(c->sctlr & 1)) {
		if (va >> 48) { /* beyond the PA size: address size fault, level 0 */
			*fsc = 0x00;
			return false;
		}
		*pa = va;
		return true;
	}
	return mmu_walk(c, va, idx, access, pa, fsc);
}
