/* GICv3 model internals shared by gicv3.c (core: state, routing, update,
 * inputs, snapshot), gicv3-dist.c, gicv3-redist.c and gicv3-cpuif.c.
 * Every function here expects the GIC lock held. */
#ifndef AVMM_HW_GIC_GICV3_INTERNAL_H
#define AVMM_HW_GIC_GICV3_INTERNAL_H

#include <pthread.h>
#include <time.h>

#include "hw/gic/gicv3.h"

/* GICD_CTLR (DS = 1 layout). */
#define GICD_CTLR_EN_GRP0 (1u << 0)
#define GICD_CTLR_EN_GRP1 (1u << 1)
#define GICD_CTLR_ARE (1u << 4)
#define GICD_CTLR_DS (1u << 6)

#define GICR_WAKER_PSLEEP (1u << 1)
#define GICR_WAKER_CASLEEP (1u << 2)

#define ICC_CTLR_CBPR (1u << 0)
#define ICC_CTLR_EOIMODE (1u << 1)

#define GIC_NO_TARGET 0xffu

/* LPIs (with an ITS): INTIDs 8192 .. 2^GIC_LPI_IDBITS - 1. */
#define GIC_LPI_BASE 8192u
#define GIC_LPI_IDBITS 16u
#define GIC_NUM_LPIS ((1u << GIC_LPI_IDBITS) - GIC_LPI_BASE)
#define GICR_CTLR_ENABLE_LPIS 1u

/* One redistributor's LPI state. The configuration (priority, enable) is
 * read from the guest's property table when needed; the pending state is
 * kept here (the pending table is read once, when LPIs are enabled). */
struct gic_lpi_cpu {
	bool enabled;           /* GICR_CTLR.EnableLPIs */
	uint64_t propbaser, pendbaser;
	const uint8_t *prop;    /* host view of the property table, while enabled */
	unsigned prop_n;        /* LPIs it covers */
	uint64_t pend[GIC_NUM_LPIS / 64];
	unsigned npend;
};

struct gicv3 {
	pthread_mutex_t lock;
	unsigned num_cpus, num_irqs;
	unsigned spi_end;    /* first INTID past the SPIs: min(num_irqs, 1020) */
	unsigned pribits, prebits, napr;
	uint8_t prio_mask;   /* implemented priority bits */
	uint32_t affinity[GICV3_MAX_CPUS];
	gicv3_cpu_irq_fn *cpu_irq;
	void *opaque;

	struct gicv3_state s;
	uint8_t spi_target[GICV3_MAX_IRQS]; /* CPU index from IROUTER, or GIC_NO_TARGET */
	bool out_irq[GICV3_MAX_CPUS], out_fiq[GICV3_MAX_CPUS];

	/* LPIs: only with an ITS (gicv3_config.lpis). */
	bool lpis;
	struct guest_mem *gm;
	struct gic_lpi_cpu lpi[GICV3_MAX_CPUS];

	/* Rate limit of the guest-error log. */
	time_t log_window;
	unsigned log_count;
};

struct gic_hppi {
	unsigned intid; /* GICV3_INTID_SPURIOUS: none */
	unsigned prio;
	unsigned group;
};

/* gicv3.c */
void gic_log(struct gicv3 *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gic_update(struct gicv3 *g);
void gic_route_spi(struct gicv3 *g, unsigned intid);
void gic_hppi(struct gicv3 *g, unsigned cpu, struct gic_hppi *h);
uint32_t gic_spi_mask(const struct gicv3 *g, unsigned word);
/* The bank holding INTID `intid` as seen by CPU `cpu` (intid < spi_end). */
static inline struct gicv3_bits *gic_bank(struct gicv3 *g, unsigned cpu, unsigned intid)
{
	return intid < 32 ? &g->s.cpu[cpu].ppi : &g->s.spi[intid / 32];
}
static inline uint8_t *gic_prio(struct gicv3 *g, unsigned cpu, unsigned intid)
{
	return intid < 32 ? &g->s.cpu[cpu].prio[intid] : &g->s.prio[intid];
}
/* Pending state as the ISPENDR registers report it. */
static inline uint32_t gic_pending_word(const struct gicv3_bits *b)
{
	return b->pend | (b->level & ~b->edge);
}
/* ISPENDR / ICPENDR semantics on a set of bits of one bank. */
void gic_set_pending(struct gicv3_bits *b, uint32_t bits);
void gic_clear_pending(struct gicv3_bits *b, uint32_t bits);

/* gicv3-lpi.c: the best pending LPI of a CPU into h (if better), the
 * acknowledge of one, the redistributor's LPI registers, reset. */
void gic_lpi_hppi(struct gicv3 *g, unsigned cpu, struct gic_hppi *h);
void gic_lpi_ack(struct gicv3 *g, unsigned cpu, unsigned intid);
bool gic_lpi_reg_read(struct gicv3 *g, unsigned cpu, unsigned r, uint64_t *v);
bool gic_lpi_reg_write(struct gicv3 *g, unsigned cpu, unsigned r, unsigned size, uint64_t v);
void gic_lpi_reset(struct gicv3 *g);

/* gicv3-cpuif.c: running priority (0xff when idle), the mask of the group
 * priority bits for an interrupt of `group`, and whether the HPPI can be
 * signalled (priority mask and preemption). */
unsigned gic_rpr(struct gicv3 *g, unsigned cpu);
unsigned gic_gprio_mask(struct gicv3 *g, unsigned cpu, unsigned group);
bool gic_can_signal(struct gicv3 *g, unsigned cpu, const struct gic_hppi *h);
static inline unsigned gic_min_bpr0(const struct gicv3 *g) { return 7 - g->prebits; }

/* The one-bit-per-INTID register families (IGROUPR, IS/ICENABLER,
 * IS/ICPENDR, IS/ICACTIVER) on one bank, restricted to the bits in `m`. */
enum gic_bitreg { GIC_GROUP, GIC_SENABLE, GIC_CENABLE, GIC_SPEND, GIC_CPEND, GIC_SACTIVE, GIC_CACTIVE };
uint32_t gic_bitreg_read(const struct gicv3_bits *b, enum gic_bitreg r, uint32_t m);
void gic_bitreg_write(struct gicv3_bits *b, enum gic_bitreg r, uint32_t v, uint32_t m);
/* ICFGR view of 16 interrupts: `half` selects bits 0-15 or 16-31 of edge. */
uint32_t gic_cfg_read(uint32_t edge, unsigned half);
uint32_t gic_cfg_write(uint32_t edge, unsigned half, uint32_t v, uint32_t m);

/* Shared ID registers (0xFFD0..0xFFFC) of the GICD and GICR frames. */
uint32_t gic_id_reg(unsigned off, bool redist);

#endif
