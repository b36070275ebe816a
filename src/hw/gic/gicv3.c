/* GICv3 core: creation, reset, SPI routing, the highest-priority pending
 * interrupt of each CPU, the output update, the input lines, snapshots.
 * The register files are in gicv3-dist.c, gicv3-redist.c, gicv3-cpuif.c.
 *
 * The update pattern: every state change ends in gic_update(), which
 * recomputes each CPU's IRQ/FIQ level from the state and calls cpu_irq for
 * the CPUs whose level changed. Nothing is cached but the SPI targets
 * (recomputed on IROUTER writes and restore) and the last output. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/device.h"
#include "hw/gic/gicv3-internal.h"
#include "hw/mmio.h"

void gic_log(struct gicv3 *g, const char *fmt, ...)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (ts.tv_sec != g->log_window) {
		g->log_window = ts.tv_sec;
		g->log_count = 0;
	}
	if (g->log_count >= 10)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("avmm: gicv3: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (++g->log_count == 10)
		fputs(" (further messages this second suppressed)", stderr);
	fputc('\n', stderr);
}

/* Bits of SPI word `word` that are implemented SPIs. */
uint32_t gic_spi_mask(const struct gicv3 *g, unsigned word)
{
	if (word == 0 || word >= g->num_irqs / 32)
		return 0;
	if (32 * word + 32 <= g->spi_end)
		return ~0u;
	return (1u << (g->spi_end - 32 * word)) - 1; /* only the 1020..1023 word */
}

void gic_set_pending(struct gicv3_bits *b, uint32_t bits)
{
	b->pend |= bits;
}

/* For a level-sensitive interrupt whose line is high, the pending state
 * stays (it follows the line). */
void gic_clear_pending(struct gicv3_bits *b, uint32_t bits)
{
	b->pend &= ~bits;
}

void gic_route_spi(struct gicv3 *g, unsigned intid)
{
	uint64_t r = g->s.irouter[intid];
	uint32_t aff = (uint32_t)(r & 0xffffff) | (uint32_t)((r >> 32) & 0xff) << 24;
	g->spi_target[intid] = GIC_NO_TARGET;
	for (unsigned c = 0; c < g->num_cpus; c++)
		if (g->affinity[c] == aff) {
			g->spi_target[intid] = (uint8_t)c;
			break;
		}
}

static void consider(struct gicv3 *g, unsigned cpu, const struct gicv3_bits *b, uint32_t mask, unsigned base,
		     const uint8_t *prio, unsigned grpen, struct gic_hppi *h)
{
	uint32_t cand = gic_pending_word(b) & b->enable & ~b->active & mask;
	if (!(grpen & 1))
		cand &= b->group;
	if (!(grpen & 2))
		cand &= ~b->group;
	while (cand) {
		unsigned bit = (unsigned)__builtin_ctz(cand);
		cand &= cand - 1;
		unsigned intid = base + bit;
		if (intid >= 32 && g->spi_target[intid] != cpu)
			continue;
		unsigned p = prio[bit];
		if (p < h->prio) { /* equal priority: the lower INTID wins */
			h->intid = intid;
			h->prio = p;
			h->group = (b->group >> bit) & 1;
		}
	}
}

/* The highest-priority pending interrupt forwarded to CPU `cpu`: enabled,
 * pending, not active, routed to it, its group enabled in both GICD_CTLR
 * and ICC_IGRPEN<n>, and the redistributor awake. */
void gic_hppi(struct gicv3 *g, unsigned cpu, struct gic_hppi *h)
{
	struct gicv3_cpu_state *cs = &g->s.cpu[cpu];
	h->intid = GICV3_INTID_SPURIOUS;
	h->prio = 0x100;
	h->group = 0;
	if (cs->waker & GICR_WAKER_PSLEEP)
		return;
	unsigned grpen = 0;
	if ((g->s.gicd_ctlr & GICD_CTLR_EN_GRP0) && (cs->icc_igrpen[0] & 1))
		grpen |= 1;
	if ((g->s.gicd_ctlr & GICD_CTLR_EN_GRP1) && (cs->icc_igrpen[1] & 1))
		grpen |= 2;
	if (!grpen)
		return;
	consider(g, cpu, &cs->ppi, ~0u, 0, cs->prio, grpen, h);
	for (unsigned w = 1; w < g->num_irqs / 32; w++)
		consider(g, cpu, &g->s.spi[w], gic_spi_mask(g, w), 32 * w, &g->s.prio[32 * w], grpen, h);
	if (grpen & 2) /* LPIs are Group 1 */
		gic_lpi_hppi(g, cpu, h);
}

void gic_update(struct gicv3 *g)
{
	for (unsigned c = 0; c < g->num_cpus; c++) {
		struct gic_hppi h;
		gic_hppi(g, c, &h);
		bool irq = false, fiq = false;
		if (h.intid != GICV3_INTID_SPURIOUS && gic_can_signal(g, c, &h)) {
			irq = h.group == 1;
			fiq = h.group == 0;
		}
		if (irq != g->out_irq[c] || fiq != g->out_fiq[c]) {
			g->out_irq[c] = irq;
			g->out_fiq[c] = fiq;
			if (g->cpu_irq)
				g->cpu_irq(g->opaque, c, irq, fiq);
		}
	}
}

static void reset_locked(struct gicv3 *g)
{
	uint32_t spi_level[GICV3_MAX_IRQS / 32], ppi_level[GICV3_MAX_CPUS];
	for (unsigned w = 0; w < GICV3_MAX_IRQS / 32; w++)
		spi_level[w] = g->s.spi[w].level;
	for (unsigned c = 0; c < GICV3_MAX_CPUS; c++)
		ppi_level[c] = g->s.cpu[c].ppi.level;
	memset(&g->s, 0, sizeof(g->s));
	g->s.version = GICV3_STATE_VERSION;
	g->s.num_cpus = g->num_cpus;
	g->s.num_irqs = g->num_irqs;
	g->s.pribits = g->pribits;
	for (unsigned w = 0; w < GICV3_MAX_IRQS / 32; w++)
		g->s.spi[w].level = spi_level[w];
	for (unsigned c = 0; c < g->num_cpus; c++) {
		struct gicv3_cpu_state *cs = &g->s.cpu[c];
		cs->ppi.level = ppi_level[c];
		cs->ppi.edge = 0xffff; /* SGIs */
		cs->waker = GICR_WAKER_PSLEEP;
		cs->icc_bpr[0] = gic_min_bpr0(g);
		cs->icc_bpr[1] = gic_min_bpr0(g) + 1;
	}
	for (unsigned i = 32; i < g->spi_end; i++)
		gic_route_spi(g, i);
	gic_lpi_reset(g);
	gic_update(g);
}

int gicv3_create(const struct gicv3_config *cfg, struct gicv3 **out)
{
	unsigned num_irqs = cfg->num_irqs ? cfg->num_irqs : GICV3_VIRT_NUM_IRQS;
	unsigned pribits = cfg->pribits ? cfg->pribits : 5;
	if (cfg->num_cpus < 1 || cfg->num_cpus > GICV3_MAX_CPUS || num_irqs < 64 || num_irqs > GICV3_MAX_IRQS ||
	    num_irqs % 32 || pribits < 5 || pribits > 8)
		return -EINVAL;
	struct gicv3 *g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	for (unsigned c = 0; c < cfg->num_cpus; c++) {
		uint32_t a = cfg->affinity ? cfg->affinity[c] : c;
		for (unsigned d = 0; d < c; d++)
			if (g->affinity[d] == a)
				goto bad;
		if ((a & 0xff) >= 16)
			goto bad;
		g->affinity[c] = a;
	}
	g->num_cpus = cfg->num_cpus;
	g->num_irqs = num_irqs;
	g->spi_end = num_irqs < 1020 ? num_irqs : 1020;
	g->pribits = pribits;
	g->prebits = pribits < 7 ? pribits : 7;
	g->napr = 1u << (g->prebits - 5);
	g->prio_mask = (uint8_t)(0xffu << (8 - pribits));
	g->cpu_irq = cfg->cpu_irq;
	g->opaque = cfg->opaque;
	g->lpis = cfg->lpis && cfg->gm;
	g->gm = cfg->gm;
	pthread_mutex_init(&g->lock, NULL);
	reset_locked(g);
	*out = g;
	return 0;
bad:
	free(g);
	return -EINVAL;
}

void gicv3_destroy(struct gicv3 *gic)
{
	if (!gic)
		return;
	pthread_mutex_destroy(&gic->lock);
	free(gic);
}

void gicv3_reset(struct gicv3 *gic)
{
	pthread_mutex_lock(&gic->lock);
	reset_locked(gic);
	pthread_mutex_unlock(&gic->lock);
}

unsigned gicv3_num_cpus(const struct gicv3 *gic) { return gic->num_cpus; }
unsigned gicv3_num_irqs(const struct gicv3 *gic) { return gic->num_irqs; }

int gicv3_map(struct gicv3 *gic, struct mmio_bus *bus, uint64_t dist_base, uint64_t redist_base)
{
	static const struct mmio_ops dist_ops = {
		.read = gicv3_dist_read, .write = gicv3_dist_write, .widths = MMIO_W8 | MMIO_W32 | MMIO_W64,
	};
	static const struct mmio_ops redist_ops = {
		.read = gicv3_redist_read, .write = gicv3_redist_write, .widths = MMIO_W8 | MMIO_W32 | MMIO_W64,
	};
	int r = mmio_bus_register(bus, dist_base, GICV3_DIST_SIZE, &dist_ops, gic, "gicv3-dist");
	if (r)
		return r;
	return mmio_bus_register(bus, redist_base, gicv3_redist_region_size(gic->num_cpus), &redist_ops, gic,
				 "gicv3-redist");
}

/* A line changes: level-sensitive interrupts follow it, edge-triggered ones
 * latch pending on a rising edge. */
static void set_line(struct gicv3_bits *b, uint32_t bit, bool level)
{
	if (level) {
		if ((b->edge & bit) && !(b->level & bit))
			b->pend |= bit;
		b->level |= bit;
	} else {
		b->level &= ~bit;
	}
}

int gicv3_set_spi(struct gicv3 *gic, unsigned intid, bool level)
{
	if (intid < 32 || intid >= gic->spi_end)
		return -EINVAL;
	pthread_mutex_lock(&gic->lock);
	set_line(&gic->s.spi[intid / 32], 1u << (intid % 32), level);
	gic_update(gic);
	pthread_mutex_unlock(&gic->lock);
	return 0;
}

int gicv3_pulse_spi(struct gicv3 *gic, unsigned intid)
{
	if (intid < 32 || intid >= gic->spi_end)
		return -EINVAL;
	pthread_mutex_lock(&gic->lock);
	gic_set_pending(&gic->s.spi[intid / 32], 1u << (intid % 32));
	gic_update(gic);
	pthread_mutex_unlock(&gic->lock);
	return 0;
}

int gicv3_set_ppi(struct gicv3 *gic, unsigned cpu, unsigned intid, bool level)
{
	if (cpu >= gic->num_cpus || intid < GICV3_PPI_BASE || intid >= 32)
		return -EINVAL;
	pthread_mutex_lock(&gic->lock);
	set_line(&gic->s.cpu[cpu].ppi, 1u << intid, level);
	gic_update(gic);
	pthread_mutex_unlock(&gic->lock);
	return 0;
}

void gicv3_get_output(struct gicv3 *gic, unsigned cpu, bool *irq, bool *fiq)
{
	*irq = *fiq = false;
	if (cpu >= gic->num_cpus)
		return;
	pthread_mutex_lock(&gic->lock);
	*irq = gic->out_irq[cpu];
	*fiq = gic->out_fiq[cpu];
	pthread_mutex_unlock(&gic->lock);
}

void gicv3_save(struct gicv3 *gic, struct gicv3_state *st)
{
	pthread_mutex_lock(&gic->lock);
	*st = gic->s;
	pthread_mutex_unlock(&gic->lock);
}

static void mask_bits(struct gicv3_bits *b, uint32_t m)
{
	b->group &= m;
	b->enable &= m;
	b->pend &= m;
	b->active &= m;
	b->edge &= m;
	b->level &= m;
}

static uint32_t clamp(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

int gicv3_restore(struct gicv3 *gic, const struct gicv3_state *in)
{
	if (in->version != GICV3_STATE_VERSION || in->num_cpus != gic->num_cpus || in->num_irqs != gic->num_irqs ||
	    in->pribits != gic->pribits)
		return -EINVAL;
	struct gicv3_state *st = malloc(sizeof(*st));
	if (!st)
		return -ENOMEM;
	*st = *in;
	st->gicd_ctlr &= GICD_CTLR_EN_GRP0 | GICD_CTLR_EN_GRP1;
	for (unsigned w = 0; w < GICV3_MAX_IRQS / 32; w++)
		mask_bits(&st->spi[w], gic_spi_mask(gic, w));
	for (unsigned i = 0; i < GICV3_MAX_IRQS; i++) {
		bool spi = i >= 32 && i < gic->spi_end;
		st->prio[i] = spi ? st->prio[i] & gic->prio_mask : 0;
		st->irouter[i] = spi ? st->irouter[i] & 0xff00ffffffull : 0;
	}
	for (unsigned c = 0; c < GICV3_MAX_CPUS; c++) {
		struct gicv3_cpu_state *cs = &st->cpu[c];
		if (c >= gic->num_cpus) {
			memset(cs, 0, sizeof(*cs));
			continue;
		}
		cs->ppi.edge |= 0xffff;
		cs->ppi.level &= 0xffff0000u;
		for (unsigned i = 0; i < 32; i++)
			cs->prio[i] &= gic->prio_mask;
		cs->waker &= GICR_WAKER_PSLEEP;
		cs->icc_ctlr &= ICC_CTLR_CBPR | ICC_CTLR_EOIMODE;
		cs->icc_pmr &= gic->prio_mask;
		cs->icc_bpr[0] = clamp(cs->icc_bpr[0], gic_min_bpr0(gic), 7);
		cs->icc_bpr[1] = clamp(cs->icc_bpr[1], gic_min_bpr0(gic) + 1, 7);
		for (unsigned grp = 0; grp < 2; grp++) {
			for (unsigned n = gic->napr; n < 4; n++)
				cs->icc_ap[grp][n] = 0;
			cs->icc_igrpen[grp] &= 1;
		}
	}
	pthread_mutex_lock(&gic->lock);
	gic->s = *st;
	for (unsigned i = 32; i < gic->spi_end; i++)
		gic_route_spi(gic, i);
	gic_update(gic);
	pthread_mutex_unlock(&gic->lock);
	free(st);
	return 0;
}

/* CoreSight-style identification: PIDR2.ArchRev = 3 (GICv3), JEP106 of Arm
 * (0x43B), part numbers of a GIC-500 distributor / redistributor. */
uint32_t gic_id_reg(unsigned off, bool redist)
{
	switch (off) {
	case 0xffd0: return 0x44;               /* PIDR4: 64 KiB frame count, JEP106 continuation 4 */
	case 0xffe0: return redist ? 0x93 : 0x92; /* PIDR0: part number [7:0] */
	case 0xffe4: return 0xb4;               /* PIDR1: JEP106 [3:0], part [11:8] */
	case 0xffe8: return 0x3b;               /* PIDR2: ArchRev 3, JEDEC, JEP106 [6:4] */
	case 0xfff0: return 0x0d;               /* CIDR0..3 */
	case 0xfff4: return 0xf0;
	case 0xfff8: return 0x05;
	case 0xfffc: return 0xb1;
	default: return 0;                      /* PIDR3, PIDR5..7 */
	}
}

uint32_t gic_bitreg_read(const struct gicv3_bits *b, enum gic_bitreg r, uint32_t m)
{
	switch (r) {
	case GIC_GROUP: return b->group & m;
	case GIC_SENABLE:
	case GIC_CENABLE: return b->enable & m;
	case GIC_SPEND:
	case GIC_CPEND: return gic_pending_word(b) & m;
	case GIC_SACTIVE:
	case GIC_CACTIVE: return b->active & m;
	}
	return 0;
}

void gic_bitreg_write(struct gicv3_bits *b, enum gic_bitreg r, uint32_t v, uint32_t m)
{
	v &= m;
	switch (r) {
	case GIC_GROUP: b->group = (b->group & ~m) | v; break;
	case GIC_SENABLE: b->enable |= v; break;
	case GIC_CENABLE: b->enable &= ~v; break;
	case GIC_SPEND: gic_set_pending(b, v); break;
	case GIC_CPEND: gic_clear_pending(b, v); break;
	case GIC_SACTIVE: b->active |= v; break;
	case GIC_CACTIVE: b->active &= ~v; break;
	}
}

/* ICFGR: Int_config[1] (bit 2k+1) = 1 for edge-triggered; bit 2k is RES0. */
uint32_t gic_cfg_read(uint32_t edge, unsigned half)
{
	uint32_t v = 0;
	for (unsigned k = 0; k < 16; k++)
		if (edge & (1u << (16 * half + k)))
			v |= 2u << (2 * k);
	return v;
}

/* m: the interrupts (bits of `edge`) whose configuration is programmable. */
uint32_t gic_cfg_write(uint32_t edge, unsigned half, uint32_t v, uint32_t m)
{
	for (unsigned k = 0; k < 16; k++) {
		uint32_t bit = 1u << (16 * half + k);
		if (!(m & bit))
			continue;
		if (v & (2u << (2 * k)))
			edge |= bit;
		else
			edge &= ~bit;
	}
	return edge;
}

/* ---- the device interface (hw/device.h) ---- */

static void dev_reset(void *o) { gicv3_reset(o); }
static size_t dev_state_size(void *o) { (void)o; return sizeof(struct gicv3_state); }

static int dev_save(void *o, void *buf, size_t len)
{
	if (len != sizeof(struct gicv3_state))
		return -EINVAL;
	struct gicv3_state *st = malloc(sizeof(*st));
	if (!st)
		return -ENOMEM;
	gicv3_save(o, st);
	memcpy(buf, st, sizeof(*st));
	free(st);
	return 0;
}

static int dev_load(void *o, const void *buf, size_t len, uint32_t version)
{
	if (len != sizeof(struct gicv3_state) || version != GICV3_STATE_VERSION)
		return -EINVAL;
	struct gicv3_state *st = malloc(sizeof(*st));
	if (!st)
		return -ENOMEM;
	memcpy(st, buf, sizeof(*st)); /* buf may be unaligned */
	int r = gicv3_restore(o, st);
	free(st);
	return r;
}

static void dev_destroy(void *o) { gicv3_destroy(o); }

const struct device_ops gicv3_device_ops = {
	.type = "gicv3",
	.state_version = GICV3_STATE_VERSION,
	.reset = dev_reset,
	.state_size = dev_state_size,
	.save = dev_save,
	.load = dev_load,
	.destroy = dev_destroy,
};
