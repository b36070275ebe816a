/* The generic timer's counters as the soft CPU sees them. */
#ifndef AVMM_CPU_TIMER_H
#define AVMM_CPU_TIMER_H

#include <time.h>

#include "cpu/internal.h"

static inline uint64_t host_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The physical count: host monotonic time since the VM was created, at the
 * VM's counter frequency. */
static inline uint64_t timer_cntpct(const struct a64_cpu *c)
{
	uint64_t ns = host_ns() - c->vm->boot_ns;
	/* floor(ns * f / 1e9) without a 128-bit division (a library call):
	 * whole seconds, then the rest, whose product with f fits 64 bits
	 * for any f below 2^34 Hz (the VMM's frequencies are MHz). */
	uint64_t s = ns / 1000000000u, r = ns % 1000000000u, f = c->vm->cntfrq;
	if (likely(f < (1ull << 34)))
		return s * f + r * f / 1000000000u;
	return (uint64_t)((unsigned __int128)ns * f / 1000000000u);
}
static inline uint64_t timer_cntvct(const struct a64_cpu *c)
{
	return timer_cntpct(c) - c->cntvoff;
}

/* CNTx_CTL: ENABLE bit 0, IMASK bit 1, ISTATUS bit 2 (read-only). */
static inline bool timer_vtimer_condition(const struct a64_cpu *c)
{
	return (c->cntv_ctl & 1) && timer_cntvct(c) >= c->cntv_cval;
}
static inline bool timer_vtimer_should_exit(const struct a64_cpu *c)
{
	/* HVF: exit once when the vtimer fires unmasked, then mask it until
	 * the VMM unmasks (facts/hvapi.md §2). */
	return !c->vtimer_masked && (c->cntv_ctl & 3) == 1 && timer_vtimer_condition(c);
}

#endif
