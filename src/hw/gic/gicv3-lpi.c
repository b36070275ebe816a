/* LPIs in the redistributors (GICv3 §5.1): GICR_CTLR.EnableLPIs,
 * GICR_PROPBASER and GICR_PENDBASER, and the delivery of pending LPIs by
 * their priority in the guest's property table. LPIs are Group 1 and have
 * no active state: acknowledging one clears its pending bit, EOI only drops
 * the running priority. Only an ITS makes them pending (gicv3-its.c), so a
 * GIC without one reports no LPIs (GICR_TYPER.PLPIS = 0). */
#include <string.h>

#include "hw/gic/gicv3-internal.h"
#include "hw/guest-mem.h"

#define GICR_PROPBASER 0x0070
#define GICR_PENDBASER 0x0078
#define PENDBASER_PTZ (1ull << 62)
#define ADDR_MASK 0x000ffffffffff000ull /* bits 51:12 */

static bool test_pend(const struct gic_lpi_cpu *l, unsigned n)
{
	return (l->pend[n / 64] >> (n % 64)) & 1;
}

void gic_lpi_hppi(struct gicv3 *g, unsigned cpu, struct gic_hppi *h)
{
	struct gic_lpi_cpu *l = &g->lpi[cpu];
	if (!l->enabled || !l->npend || !l->prop)
		return;
	for (unsigned w = 0; w < GIC_NUM_LPIS / 64; w++) {
		uint64_t m = l->pend[w];
		while (m) {
			unsigned n = 64 * w + (unsigned)__builtin_ctzll(m);
			m &= m - 1;
			if (n >= l->prop_n)
				return;
			uint8_t c = __atomic_load_n(&l->prop[n], __ATOMIC_RELAXED);
			unsigned p = c & 0xfc & g->prio_mask;
			if ((c & 1) && p < h->prio) {
				h->intid = GIC_LPI_BASE + n;
				h->prio = p;
				h->group = 1;
			}
		}
	}
}

void gic_lpi_ack(struct gicv3 *g, unsigned cpu, unsigned intid)
{
	struct gic_lpi_cpu *l = &g->lpi[cpu];
	unsigned n = intid - GIC_LPI_BASE;
	if (test_pend(l, n)) {
		l->pend[n / 64] &= ~(1ull << (n % 64));
		l->npend--;
	}
}

/* LPIs covered by a PROPBASER: IDbits + 1 bits of INTID, capped by ours. */
static unsigned prop_lpis(uint64_t propbaser)
{
	unsigned idbits = (unsigned)(propbaser & 0x1f) + 1;
	if (idbits > GIC_LPI_IDBITS)
		idbits = GIC_LPI_IDBITS;
	return idbits < 14 ? 0 : (1u << idbits) - GIC_LPI_BASE;
}

static void enable(struct gicv3 *g, unsigned cpu)
{
	struct gic_lpi_cpu *l = &g->lpi[cpu];
	l->enabled = true;
	l->prop_n = prop_lpis(l->propbaser);
	l->prop = l->prop_n ? gmem_ptr(g->gm, l->propbaser & ADDR_MASK, l->prop_n, false) : NULL;
	if (!l->prop) {
		gic_log(g, "GICR%u: LPIs enabled with a property table outside RAM (PROPBASER 0x%llx): no LPI will be "
			   "delivered", cpu, (unsigned long long)l->propbaser);
		return;
	}
	/* A pending table that is not known to be zero is read once: bit n of
	 * it is INTID n (the first 1 KiB, INTIDs below 8192, is ignored). */
	if (!(l->pendbaser & PENDBASER_PTZ)) {
		const uint8_t *p = gmem_ptr(g->gm, (l->pendbaser & 0x000fffffffff0000ull) + GIC_LPI_BASE / 8,
					    l->prop_n / 8, false);
		if (p) {
			memcpy(l->pend, p, l->prop_n / 8);
			l->npend = 0;
			for (unsigned w = 0; w < l->prop_n / 64; w++)
				l->npend += (unsigned)__builtin_popcountll(l->pend[w]);
		}
	}
}

bool gic_lpi_reg_read(struct gicv3 *g, unsigned cpu, unsigned r, uint64_t *v)
{
	struct gic_lpi_cpu *l = &g->lpi[cpu];
	switch (r) {
	case 0x0000: *v = l->enabled ? GICR_CTLR_ENABLE_LPIS : 0; return true; /* GICR_CTLR: RWP never set */
	case GICR_PROPBASER: *v = l->propbaser; return true;
	case GICR_PROPBASER + 4: *v = l->propbaser >> 32; return true;
	case GICR_PENDBASER: *v = l->pendbaser & ~PENDBASER_PTZ; return true; /* PTZ reads as 0 */
	case GICR_PENDBASER + 4: *v = (l->pendbaser & ~PENDBASER_PTZ) >> 32; return true;
	}
	return false;
}

bool gic_lpi_reg_write(struct gicv3 *g, unsigned cpu, unsigned r, unsigned size, uint64_t v)
{
	struct gic_lpi_cpu *l = &g->lpi[cpu];
	uint64_t *reg = r == GICR_PROPBASER || r == GICR_PROPBASER + 4 ? &l->propbaser
		      : r == GICR_PENDBASER || r == GICR_PENDBASER + 4 ? &l->pendbaser
								     : NULL;
	if (r == 0x0000) {
		/* EnableLPIs: once set it stays set (allowed by the architecture,
		 * as GIC-600 does), so the tables never change under a running ITS. */
		if ((v & GICR_CTLR_ENABLE_LPIS) && !l->enabled && g->lpis) {
			enable(g, cpu);
			gic_update(g);
		}
		return true;
	}
	if (!reg)
		return false;
	if (l->enabled) {
		gic_log(g, "GICR%u: write to %s while LPIs are enabled ignored", cpu,
			reg == &l->propbaser ? "GICR_PROPBASER" : "GICR_PENDBASER");
		return true;
	}
	/* The fields each register has (GICv3 §12.11.30, §12.11.31). */
	const uint64_t cache = 7ull << 7 | 3ull << 10 | 7ull << 56;
	uint64_t keep = reg == &l->propbaser ? (0x1full | ADDR_MASK | cache) : (0x000fffffffff0000ull | cache | PENDBASER_PTZ);
	if (size == 8)
		*reg = v & keep;
	else if (r & 4)
		*reg = ((*reg & 0xffffffffull) | (v & 0xffffffffull) << 32) & keep;
	else
		*reg = ((*reg & ~0xffffffffull) | (v & 0xffffffffull)) & keep;
	return true;
}

void gic_lpi_reset(struct gicv3 *g)
{
	memset(g->lpi, 0, sizeof(g->lpi));
}

int gicv3_lpi_set(struct gicv3 *g, unsigned cpu, unsigned intid, bool pending)
{
	int was;
	if (cpu >= g->num_cpus || intid < GIC_LPI_BASE || intid - GIC_LPI_BASE >= GIC_NUM_LPIS)
		return -1;
	pthread_mutex_lock(&g->lock);
	struct gic_lpi_cpu *l = &g->lpi[cpu];
	unsigned n = intid - GIC_LPI_BASE;
	if (!l->enabled) {
		was = -1; /* a redistributor with LPIs disabled drops them */
	} else {
		was = test_pend(l, n);
		if (pending != was) {
			l->pend[n / 64] ^= 1ull << (n % 64);
			l->npend += pending ? 1 : -1u;
			gic_update(g);
		}
	}
	pthread_mutex_unlock(&g->lock);
	return was;
}

void gicv3_lpi_move_all(struct gicv3 *g, unsigned from, unsigned to)
{
	if (from >= g->num_cpus || to >= g->num_cpus || from == to)
		return;
	pthread_mutex_lock(&g->lock);
	struct gic_lpi_cpu *a = &g->lpi[from], *b = &g->lpi[to];
	for (unsigned w = 0; w < GIC_NUM_LPIS / 64; w++) {
		uint64_t m = a->pend[w] & ~b->pend[w];
		b->pend[w] |= a->pend[w];
		b->npend += (unsigned)__builtin_popcountll(m);
		a->pend[w] = 0;
	}
	a->npend = 0;
	gic_update(g);
	pthread_mutex_unlock(&g->lock);
}

void gicv3_lpi_sync(struct gicv3 *g)
{
	pthread_mutex_lock(&g->lock);
	gic_update(g);
	pthread_mutex_unlock(&g->lock);
}
