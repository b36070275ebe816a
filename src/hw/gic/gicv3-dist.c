/* GICv3 distributor (GICD_*, one 64 KiB frame), affinity routing on,
 * DS = 1. Access policy (IHI 0069 "GIC memory-mapped register access"):
 * every register is 32-bit accessible, GICD_IPRIORITYR also byte
 * accessible, GICD_IROUTER<n> 64-bit accessible (and as 32-bit halves).
 * Anything else (other widths, misaligned, reserved offsets) reads as zero
 * and ignores writes, with a rate-limited log line. Registers the
 * architecture makes RAZ/WI in this configuration (the private-interrupt
 * words under ARE, ITARGETSR, IGRPMODR and NSACR with DS = 1, registers of
 * unimplemented INTIDs, STATUSR without error reporting) are silent. */
#include <pthread.h>

#include "hw/gic/gicv3-internal.h"

#define GICD_CTLR 0x0000
#define GICD_TYPER 0x0004
#define GICD_IIDR 0x0008
#define GICD_TYPER2 0x000c
#define GICD_STATUSR 0x0010
#define GICD_IGROUPR 0x0080
#define GICD_ISENABLER 0x0100
#define GICD_ICENABLER 0x0180
#define GICD_ISPENDR 0x0200
#define GICD_ICPENDR 0x0280
#define GICD_ISACTIVER 0x0300
#define GICD_ICACTIVER 0x0380
#define GICD_IPRIORITYR 0x0400
#define GICD_ITARGETSR 0x0800
#define GICD_ICFGR 0x0c00
#define GICD_IGRPMODR 0x0d00
#define GICD_NSACR 0x0e00
#define GICD_IROUTER 0x6000
#define GICD_ID_BASE 0xffd0

/* IIDR: ProductID 0x61 ('a'), variant 0, revision 0, implementer 0x43B. */
#define GICD_IIDR_VALUE 0x6100043bu

static uint32_t typer(const struct gicv3 *g)
{
	return (g->num_irqs / 32 - 1)  /* ITLinesNumber */
	       | (g->lpis ? (GIC_LPI_IDBITS - 1) << 19 | 1u << 17 /* IDbits, LPIS */
			  : 9u << 19)  /* IDbits: 10 bits of INTID */
	       | 1u << 24              /* A3V: Aff3 supported */
	       | 1u << 25;             /* No1N: no 1-of-N SPI routing */
	/* CPUNumber 0 (no ARE = 0), ESPI, NMI, SecurityExtn, MBIS, DVIS,
	 * RSS all 0; num_LPIs 0 (IDbits says how many). */
}

enum kind { K_REG, K_RAZWI, K_RESERVED, K_BADWIDTH };

static void bad(struct gicv3 *g, enum kind k, uint64_t off, unsigned size, bool write)
{
	if (k == K_RAZWI)
		return;
	gic_log(g, "guest %s of %u bytes at GICD+0x%llx: %s (%s)", write ? "write" : "read", size,
		(unsigned long long)off, k == K_RESERVED ? "reserved register" : "access width or alignment not supported",
		write ? "ignored" : "reads as zero");
}

static const enum gic_bitreg bitregs[] = {
	GIC_GROUP, GIC_SENABLE, GIC_CENABLE, GIC_SPEND, GIC_CPEND, GIC_SACTIVE, GIC_CACTIVE,
};

/* 32-bit register read; *k says whether the offset is a register. */
static uint32_t read32(struct gicv3 *g, unsigned off, enum kind *k)
{
	*k = K_REG;
	if (off >= GICD_IGROUPR && off < GICD_IPRIORITYR) {
		unsigned w = (off & 0x7f) / 4;
		return gic_bitreg_read(&g->s.spi[w], bitregs[(off - GICD_IGROUPR) / 0x80], gic_spi_mask(g, w));
	}
	if (off >= GICD_IPRIORITYR && off < GICD_ITARGETSR) {
		unsigned i = off - GICD_IPRIORITYR;
		uint32_t v = 0;
		for (unsigned b = 0; b < 4; b++)
			if (i + b >= 32 && i + b < g->spi_end)
				v |= (uint32_t)g->s.prio[i + b] << (8 * b);
		return v;
	}
	if (off >= GICD_ICFGR && off < GICD_IGRPMODR) {
		unsigned n = (off - GICD_ICFGR) / 4; /* INTIDs 16n.. */
		uint32_t m = gic_spi_mask(g, n / 2);
		return gic_cfg_read(g->s.spi[n / 2].edge & m, n & 1);
	}
	if (off >= GICD_IROUTER + 8 * 32 && off < GICD_IROUTER + 8 * 1020) {
		unsigned i = (off - GICD_IROUTER) / 8;
		if (i >= g->spi_end)
			return 0;
		return (uint32_t)(g->s.irouter[i] >> (off & 4 ? 32 : 0));
	}
	if ((off >= GICD_ITARGETSR && off < GICD_ICFGR) || (off >= GICD_IGRPMODR && off < 0x0f00) ||
	    (off >= GICD_IROUTER && off < GICD_IROUTER + 8 * 32) || (off >= 0x0f10 && off < 0x0f30) ||
	    off == GICD_STATUSR) {
		*k = K_RAZWI; /* architecturally RAZ/WI here */
		return 0;
	}
	if (off >= GICD_ID_BASE)
		return gic_id_reg(off, false);
	switch (off) {
	case GICD_CTLR: return g->s.gicd_ctlr | GICD_CTLR_ARE | GICD_CTLR_DS;
	case GICD_TYPER: return typer(g);
	case GICD_IIDR: return GICD_IIDR_VALUE;
	case GICD_TYPER2: return 0;
	}
	*k = K_RESERVED;
	return 0;
}

static void write32(struct gicv3 *g, unsigned off, uint32_t v, enum kind *k)
{
	*k = K_REG;
	if (off >= GICD_IGROUPR && off < GICD_IPRIORITYR) {
		unsigned w = (off & 0x7f) / 4;
		gic_bitreg_write(&g->s.spi[w], bitregs[(off - GICD_IGROUPR) / 0x80], v, gic_spi_mask(g, w));
	} else if (off >= GICD_IPRIORITYR && off < GICD_ITARGETSR) {
		unsigned i = off - GICD_IPRIORITYR;
		for (unsigned b = 0; b < 4; b++)
			if (i + b >= 32 && i + b < g->spi_end)
				g->s.prio[i + b] = (uint8_t)(v >> (8 * b)) & g->prio_mask;
	} else if (off >= GICD_ICFGR && off < GICD_IGRPMODR) {
		unsigned n = (off - GICD_ICFGR) / 4;
		struct gicv3_bits *b = &g->s.spi[n / 2];
		b->edge = gic_cfg_write(b->edge, n & 1, v, gic_spi_mask(g, n / 2));
	} else if (off >= GICD_IROUTER + 8 * 32 && off < GICD_IROUTER + 8 * 1020) {
		unsigned i = (off - GICD_IROUTER) / 8;
		if (i >= g->spi_end)
			return;
		uint64_t r = g->s.irouter[i];
		if (off & 4)
			r = (r & 0xffffffffull) | (uint64_t)(v & 0xff) << 32; /* Aff3 */
		else
			r = (r & ~0xffffffffull) | (v & 0xffffff); /* Aff2..Aff0; IRM RAZ/WI */
		g->s.irouter[i] = r;
		gic_route_spi(g, i);
	} else if (off == GICD_CTLR) {
		g->s.gicd_ctlr = v & (GICD_CTLR_EN_GRP0 | GICD_CTLR_EN_GRP1);
	} else if ((off >= GICD_ITARGETSR && off < GICD_ICFGR) || (off >= GICD_IGRPMODR && off < 0x0f00) ||
		   (off >= GICD_IROUTER && off < GICD_IROUTER + 8 * 32) || (off >= 0x0f10 && off < 0x0f30) ||
		   off == GICD_STATUSR) {
		*k = K_RAZWI;
		return;
	} else if (off == GICD_TYPER || off == GICD_IIDR || off == GICD_TYPER2 || off >= GICD_ID_BASE) {
		gic_log(g, "guest write of 0x%x to read-only GICD+0x%x ignored", v, off);
		return;
	} else {
		*k = K_RESERVED;
		return;
	}
	gic_update(g);
}

static bool is_irouter(uint64_t off)
{
	return off >= GICD_IROUTER && off < GICD_IROUTER + 8 * 1020;
}

uint64_t gicv3_dist_read(void *opaque, uint64_t off, unsigned size)
{
	struct gicv3 *g = opaque;
	uint64_t v = 0;
	enum kind k = K_BADWIDTH;
	pthread_mutex_lock(&g->lock);
	if ((size != 1 && size != 4 && size != 8) || off >= GICV3_DIST_SIZE || (off & (size - 1))) {
		k = K_BADWIDTH;
	} else if (size == 1) {
		if (off >= GICD_IPRIORITYR && off < GICD_ITARGETSR) {
			k = K_REG;
			if (off - GICD_IPRIORITYR >= 32 && off - GICD_IPRIORITYR < g->spi_end)
				v = g->s.prio[off - GICD_IPRIORITYR];
		}
	} else if (size == 8) {
		if (is_irouter(off)) {
			v = read32(g, (unsigned)off, &k) | (uint64_t)read32(g, (unsigned)off + 4, &k) << 32;
		}
	} else {
		v = read32(g, (unsigned)off, &k);
	}
	if (k != K_REG)
		bad(g, k, off, size, false);
	pthread_mutex_unlock(&g->lock);
	return v;
}

void gicv3_dist_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct gicv3 *g = opaque;
	enum kind k = K_BADWIDTH;
	pthread_mutex_lock(&g->lock);
	if ((size != 1 && size != 4 && size != 8) || off >= GICV3_DIST_SIZE || (off & (size - 1))) {
		k = K_BADWIDTH;
	} else if (size == 1) {
		if (off >= GICD_IPRIORITYR && off < GICD_ITARGETSR) {
			k = K_REG;
			unsigned i = (unsigned)off - GICD_IPRIORITYR;
			if (i >= 32 && i < g->spi_end) {
				g->s.prio[i] = (uint8_t)val & g->prio_mask;
				gic_update(g);
			}
		}
	} else if (size == 8) {
		if (is_irouter(off)) {
			write32(g, (unsigned)off, (uint32_t)val, &k);
			write32(g, (unsigned)off + 4, (uint32_t)(val >> 32), &k);
		}
	} else {
		write32(g, (unsigned)off, (uint32_t)val, &k);
	}
	if (k != K_REG)
		bad(g, k, off, size, true);
	pthread_mutex_unlock(&g->lock);
}
