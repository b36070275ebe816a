/* GICv3 redistributors: per CPU two contiguous 64 KiB frames, RD_base then
 * SGI_base, the CPUs' frames contiguous in CPU order (the last one has
 * GICR_TYPER.Last set). No LPIs: GICR_CTLR is RAZ/WI (EnableLPIs cannot be
 * set, RWP never set) and the LPI registers are RAZ/WI. Same access policy
 * as the distributor: 32-bit everywhere, bytes for IPRIORITYR, 64-bit for
 * GICR_TYPER (and the RAZ/WI 64-bit LPI registers); the rest reads as zero,
 * ignores writes, and is logged (rate-limited). */
#include <pthread.h>

#include "hw/gic/gicv3-internal.h"

#define GICR_CTLR 0x0000
#define GICR_IIDR 0x0004
#define GICR_TYPER 0x0008
#define GICR_STATUSR 0x0010
#define GICR_WAKER 0x0014
#define GICR_ID_BASE 0xffd0
/* SGI_base frame */
#define GICR_IGROUPR0 0x0080
#define GICR_IPRIORITYR0 0x0400
#define GICR_ICFGR0 0x0c00
#define GICR_ICFGR1 0x0c04

#define GICR_IIDR_VALUE 0x6100043bu

enum kind { K_REG, K_RAZWI, K_RESERVED, K_BADWIDTH };

static uint64_t typer(const struct gicv3 *g, unsigned cpu)
{
	return (uint64_t)g->affinity[cpu] << 32 | (uint64_t)cpu << 8 /* Processor_Number */
	       | (cpu == g->num_cpus - 1 ? 1u << 4 : 0)              /* Last */
	       | (g->lpis ? 1u : 0);                                  /* PLPIS */
}

static bool lpi_reg(unsigned r)
{
	return r >= 0x0040 && r < 0x00d0; /* SETLPIR .. SYNCR */
}

static const enum gic_bitreg bitregs[] = {
	GIC_GROUP, GIC_SENABLE, GIC_CENABLE, GIC_SPEND, GIC_CPEND, GIC_SACTIVE, GIC_CACTIVE,
};

static uint32_t rd_read32(struct gicv3 *g, unsigned cpu, unsigned r, enum kind *k)
{
	*k = K_REG;
	uint64_t lv;
	if (g->lpis && gic_lpi_reg_read(g, cpu, r, &lv))
		return (uint32_t)lv;
	switch (r) {
	case GICR_CTLR: return 0;
	case GICR_IIDR: return GICR_IIDR_VALUE;
	case GICR_TYPER: return (uint32_t)typer(g, cpu);
	case GICR_TYPER + 4: return (uint32_t)(typer(g, cpu) >> 32);
	case GICR_STATUSR: return 0;
	case GICR_WAKER: {
		uint32_t sleep = g->s.cpu[cpu].waker & GICR_WAKER_PSLEEP;
		return sleep | (sleep ? GICR_WAKER_CASLEEP : 0);
	}
	}
	if (r >= GICR_ID_BASE)
		return gic_id_reg(r, true);
	*k = lpi_reg(r) ? K_RAZWI : K_RESERVED;
	return 0;
}

static void rd_write32(struct gicv3 *g, unsigned cpu, unsigned r, uint32_t v, enum kind *k)
{
	*k = K_REG;
	if (g->lpis && gic_lpi_reg_write(g, cpu, r, 4, v))
		return;
	switch (r) {
	case GICR_CTLR:
	case GICR_STATUSR:
		return;
	case GICR_WAKER:
		g->s.cpu[cpu].waker = v & GICR_WAKER_PSLEEP;
		gic_update(g);
		return;
	case GICR_IIDR:
	case GICR_TYPER:
	case GICR_TYPER + 4:
		gic_log(g, "guest write of 0x%x to read-only GICR%u+0x%x ignored", v, cpu, r);
		return;
	}
	if (r >= GICR_ID_BASE)
		gic_log(g, "guest write of 0x%x to read-only GICR%u+0x%x ignored", v, cpu, r);
	else
		*k = lpi_reg(r) ? K_RAZWI : K_RESERVED;
}

/* RAZ/WI by architecture here: extended PPI ranges, IGRPMODR and NSACR
 * (DS = 1), INMIR (no NMIs). */
static bool sgi_razwi(unsigned r)
{
	return (r >= 0x0080 && r < 0x0400 && (r & 0x7f)) || (r >= 0x0420 && r < 0x0480) ||
	       (r >= 0x0c08 && r < 0x0c18) || (r >= 0x0d00 && r < 0x0d0c) || r == 0x0e00 || r == 0x0f80;
}

static uint32_t sgi_read32(struct gicv3 *g, unsigned cpu, unsigned r, enum kind *k)
{
	struct gicv3_cpu_state *cs = &g->s.cpu[cpu];
	*k = K_REG;
	if (r >= GICR_IGROUPR0 && r < GICR_IPRIORITYR0 && !(r & 0x7f))
		return gic_bitreg_read(&cs->ppi, bitregs[(r - GICR_IGROUPR0) / 0x80], ~0u);
	if (r >= GICR_IPRIORITYR0 && r < GICR_IPRIORITYR0 + 32) {
		unsigned i = r - GICR_IPRIORITYR0;
		return (uint32_t)cs->prio[i] | (uint32_t)cs->prio[i + 1] << 8 | (uint32_t)cs->prio[i + 2] << 16 |
		       (uint32_t)cs->prio[i + 3] << 24;
	}
	if (r == GICR_ICFGR0 || r == GICR_ICFGR1)
		return gic_cfg_read(cs->ppi.edge, r == GICR_ICFGR1);
	if (!sgi_razwi(r))
		*k = K_RESERVED;
	else
		*k = K_RAZWI;
	return 0;
}

static void sgi_write32(struct gicv3 *g, unsigned cpu, unsigned r, uint32_t v, enum kind *k)
{
	struct gicv3_cpu_state *cs = &g->s.cpu[cpu];
	*k = K_REG;
	if (r >= GICR_IGROUPR0 && r < GICR_IPRIORITYR0 && !(r & 0x7f)) {
		gic_bitreg_write(&cs->ppi, bitregs[(r - GICR_IGROUPR0) / 0x80], v, ~0u);
	} else if (r >= GICR_IPRIORITYR0 && r < GICR_IPRIORITYR0 + 32) {
		for (unsigned b = 0; b < 4; b++)
			cs->prio[r - GICR_IPRIORITYR0 + b] = (uint8_t)(v >> (8 * b)) & g->prio_mask;
	} else if (r == GICR_ICFGR0) {
		return; /* SGIs are always edge-triggered: read-only */
	} else if (r == GICR_ICFGR1) {
		cs->ppi.edge = gic_cfg_write(cs->ppi.edge, 1, v, 0xffff0000u);
	} else {
		*k = sgi_razwi(r) ? K_RAZWI : K_RESERVED;
		return;
	}
	gic_update(g);
}

static void bad(struct gicv3 *g, enum kind k, uint64_t off, unsigned size, bool write)
{
	if (k == K_RAZWI || k == K_REG)
		return;
	gic_log(g, "guest %s of %u bytes at GICR+0x%llx: %s (%s)", write ? "write" : "read", size,
		(unsigned long long)off, k == K_RESERVED ? "reserved register" : "access width or alignment not supported",
		write ? "ignored" : "reads as zero");
}

static bool access_ok(struct gicv3 *g, uint64_t off, unsigned size)
{
	return (size == 1 || size == 4 || size == 8) && off < gicv3_redist_region_size(g->num_cpus) &&
	       !(off & (size - 1));
}

uint64_t gicv3_redist_read(void *opaque, uint64_t off, unsigned size)
{
	struct gicv3 *g = opaque;
	uint64_t v = 0;
	enum kind k = K_BADWIDTH;
	pthread_mutex_lock(&g->lock);
	if (access_ok(g, off, size)) {
		unsigned cpu = (unsigned)(off / GICV3_REDIST_STRIDE), r = off & 0xffff;
		bool sgi = off & 0x10000;
		if (size == 1) {
			if (sgi && r >= GICR_IPRIORITYR0 && r < GICR_IPRIORITYR0 + 32) {
				v = g->s.cpu[cpu].prio[r - GICR_IPRIORITYR0];
				k = K_REG;
			}
		} else if (size == 8) {
			if (!sgi && (r == GICR_TYPER || lpi_reg(r))) {
				v = rd_read32(g, cpu, r, &k) | (uint64_t)rd_read32(g, cpu, r + 4, &k) << 32;
			}
		} else {
			v = sgi ? sgi_read32(g, cpu, r, &k) : rd_read32(g, cpu, r, &k);
		}
	}
	bad(g, k, off, size, false);
	pthread_mutex_unlock(&g->lock);
	return v;
}

void gicv3_redist_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct gicv3 *g = opaque;
	enum kind k = K_BADWIDTH;
	pthread_mutex_lock(&g->lock);
	if (access_ok(g, off, size)) {
		unsigned cpu = (unsigned)(off / GICV3_REDIST_STRIDE), r = off & 0xffff;
		bool sgi = off & 0x10000;
		if (size == 1) {
			if (sgi && r >= GICR_IPRIORITYR0 && r < GICR_IPRIORITYR0 + 32) {
				g->s.cpu[cpu].prio[r - GICR_IPRIORITYR0] = (uint8_t)val & g->prio_mask;
				k = K_REG;
				gic_update(g);
			}
		} else if (size == 8) {
			if (!sgi && g->lpis && gic_lpi_reg_write(g, cpu, r, 8, val))
				k = K_REG;
			else if (!sgi && (r == GICR_TYPER || lpi_reg(r)))
				rd_write32(g, cpu, r, (uint32_t)val, &k); /* RO or RAZ/WI: one half says it all */
		} else if (sgi) {
			sgi_write32(g, cpu, r, (uint32_t)val, &k);
		} else {
			rd_write32(g, cpu, r, (uint32_t)val, &k);
		}
	}
	bad(g, k, off, size, true);
	pthread_mutex_unlock(&g->lock);
}
