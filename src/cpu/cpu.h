/* The software AArch64 CPU: public interface used by the soft accelerator
 * backend. One struct a64_vm per guest (memory map, shared code-cache
 * invalidation state), one struct a64_cpu per vCPU, each run on its own
 * thread. */
#ifndef AVMM_CPU_H
#define AVMM_CPU_H

#include <stdbool.h>
#include <stdint.h>

#include "accel/accel.h"

struct a64_vm;
struct a64_cpu;

struct a64_vm *a64_vm_new(uint64_t cntfrq_hz);
/* Implement and advertise FEAT_PAuth (off by default). Before any vCPU runs:
 * decoding depends on it. */
void a64_vm_set_pauth(struct a64_vm *vm, bool on);
void a64_vm_free(struct a64_vm *vm);
/* Map host memory as guest RAM. Page (4 KiB) granular; no overlap. */
int a64_vm_map(struct a64_vm *vm, void *host, uint64_t ipa, uint64_t size, unsigned flags);
int a64_vm_unmap(struct a64_vm *vm, uint64_t ipa, uint64_t size);
int a64_vm_protect(struct a64_vm *vm, uint64_t ipa, uint64_t size, unsigned flags);
/* Something other than a vCPU wrote instructions into mapped RAM (host
 * address range): decoded copies of those pages are dropped. */
void a64_vm_code_written(struct a64_vm *vm, const void *host, size_t size);

struct a64_cpu *a64_cpu_new(struct a64_vm *vm);
void a64_cpu_free(struct a64_cpu *c);
/* Run until an exit; fills *exit (the HVF-shaped exit record). */
void a64_cpu_run(struct a64_cpu *c, struct accel_exit *exit);
/* Any thread. */
void a64_cpu_kick(struct a64_cpu *c);

uint64_t a64_get_reg(struct a64_cpu *c, enum accel_reg r);
void a64_set_reg(struct a64_cpu *c, enum accel_reg r, uint64_t v);
void a64_get_simd(struct a64_cpu *c, unsigned n, uint8_t out[16]);
void a64_set_simd(struct a64_cpu *c, unsigned n, const uint8_t in[16]);
/* 0 or -ENOENT for a register the CPU does not have. */
int a64_get_sysreg(struct a64_cpu *c, uint16_t enc, uint64_t *v);
int a64_set_sysreg(struct a64_cpu *c, uint16_t enc, uint64_t v);
void a64_set_irq_line(struct a64_cpu *c, enum accel_irq_type t, bool level);
void a64_set_trap_debug(struct a64_cpu *c, bool trap);
void a64_set_vtimer_mask(struct a64_cpu *c, bool masked);
bool a64_get_vtimer_mask(struct a64_cpu *c);
void a64_set_vtimer_offset(struct a64_cpu *c, uint64_t off);
uint64_t a64_get_vtimer_offset(struct a64_cpu *c);

/* Counters for tests and --stats. */
struct a64_stats {
	uint64_t insns;      /* approximate: counted per executed chunk */
	uint64_t undef;      /* UNDEFINED encodings raised */
	uint64_t decoded;    /* instruction decodes */
	uint64_t dcache_flushes;
	uint64_t tlb_misses;
	uint64_t tlb_flushes;  /* whole-TLB flushes (TLBI, map changes) */
	uint64_t itlb_misses;  /* instruction lookups that translated */
	uint64_t exceptions;   /* exceptions and interrupts taken to EL1 */
	uint64_t resyncs;      /* context synchronisations (ISB, ERET, MSR, TLBI) */
	/* The decoded-code cache: bytes of decoded pages held now, the most
	 * held at once, and the budget this vCPU had at its last allocation. */
	uint64_t dcache_bytes, dcache_peak_bytes, dcache_budget_bytes;
};
const struct a64_stats *a64_cpu_stats(struct a64_cpu *c);
/* The same for a vCPU of the soft accelerator (tests, --stats). */
const struct a64_stats *soft_vcpu_stats(struct accel_vcpu *v);

#endif
