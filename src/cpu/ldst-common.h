/* Checks shared by the load/store handlers (exec-ldst.c, exec-ldst-simd.c):
 * alignment faults, SP alignment (CheckSPAlignment), the base register. */
#ifndef AVMM_CPU_LDST_COMMON_H
#define AVMM_CPU_LDST_COMMON_H

#include "arch/dabt.h"
#include "cpu/internal.h"

#define COLD __attribute__((cold, noinline, unused))

#define SCTLR_A (1ull << 1)
#define SCTLR_SA (1ull << 3)
#define SCTLR_SA0 (1ull << 4)

/* Alignment fault: a stage-1 data abort (FSC 0x21) taken to EL1. */
static COLD NORETURN void align_fault(struct a64_cpu *c, const dinsn *d, uint64_t va, bool write)
{
	uint32_t ec = c->el == 0 ? EC_DABT_LOWER : EC_DABT_CUR;
	cpu_exception(c, insn_pc(c, d), ec << 26 | 1u << 25 | (write ? ISS_WNR : 0) | 0x21, va, true);
}

static COLD void sp_align_check(struct a64_cpu *c, const dinsn *d)
{
	if (c->sctlr & (c->el ? SCTLR_SA : SCTLR_SA0))
		cpu_exception(c, insn_pc(c, d), (uint32_t)EC_SP_ALIGN << 26 | 1u << 25, 0, false);
}

/* The base register's value; SP must be 16-byte aligned when checking is
 * enabled (CheckSPAlignment). */
static inline uint64_t ld_base(struct a64_cpu *c, const dinsn *d)
{
	uint64_t b = c->x[d->rn];
	if (d->rn == REG_SP && unlikely(b & 15))
		sp_align_check(c, d);
	return b;
}

/* Ordinary accesses: alignment fault only with SCTLR_EL1.A set. */
static inline void chk_align(struct a64_cpu *c, const dinsn *d, uint64_t va, unsigned size, bool write)
{
	if (size > 1 && unlikely(va & (size - 1)) && unlikely(c->sctlr & SCTLR_A))
		align_fault(c, d, va, write);
}

#endif
