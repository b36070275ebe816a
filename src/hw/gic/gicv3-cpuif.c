/* GICv3 CPU interface (ICC_*_EL1), reached through the EC 0x18 sysreg
 * traps. The PE is Non-secure EL1 in a system with GICD_CTLR.DS = 1, so:
 * Group 0 is signalled as FIQ and Group 1 as IRQ; both groups' registers
 * are accessible; ICC_SGI1R_EL1 generates an SGI of either group (as the
 * target redistributor configures it), ICC_SGI0R_EL1 and ICC_ASGI1R_EL1 only
 * Group 0 SGIs (there is no other Security state: IHI 0069 table "Forwarding
 * an SGI", Non-secure EL1 with DS = 1); BPR1 is the Non-secure binary point
 * (group priority = priority[7:BPR1], minimum = minimum BPR0 + 1).
 *
 * Fixed facts: ICC_SRE_EL1 SRE/DFB/DIB RAO/WI (no legacy memory-mapped
 * interface); ICC_CTLR_EL1: CBPR and EOImode writable, PMHE 0, IDbits 16
 * bits, SEIS 0, A3V 1, RSS 0, ExtRange 0, PRIbits from the configuration.
 * Access in the wrong direction (MRS of a write-only register or MSR of a
 * read-only one) and unimplemented encodings (AP<n>R beyond the priority
 * bits, ICC_NMIAR1_EL1, ...) are UNDEFINED. */
#include <errno.h>
#include <pthread.h>

#include "hw/gic/gicv3-internal.h"

unsigned gic_rpr(struct gicv3 *g, unsigned cpu)
{
	struct gicv3_cpu_state *cs = &g->s.cpu[cpu];
	for (unsigned n = 0; n < g->napr; n++) {
		uint32_t a = cs->icc_ap[0][n] | cs->icc_ap[1][n];
		if (a)
			return ((n * 32 + (unsigned)__builtin_ctz(a)) << (8 - g->prebits)) & 0xff;
	}
	return 0xff;
}

unsigned gic_gprio_mask(struct gicv3 *g, unsigned cpu, unsigned group)
{
	struct gicv3_cpu_state *cs = &g->s.cpu[cpu];
	if (group == 1 && (cs->icc_ctlr & ICC_CTLR_CBPR))
		group = 0;
	if (group == 0)
		return (0xffu << (cs->icc_bpr[0] + 1)) & 0xff;
	return (0xffu << cs->icc_bpr[1]) & 0xff;
}

bool gic_can_signal(struct gicv3 *g, unsigned cpu, const struct gic_hppi *h)
{
	return h->prio < g->s.cpu[cpu].icc_pmr && (h->prio & gic_gprio_mask(g, cpu, h->group)) < gic_rpr(g, cpu);
}

bool gicv3_is_cpuif_reg(uint16_t enc)
{
	unsigned op0 = enc >> 14, op1 = (enc >> 11) & 7, crn = (enc >> 7) & 15, crm = (enc >> 3) & 15;
	return enc == ICC_PMR_EL1 || (op0 == 3 && op1 == 0 && crn == 12 && crm >= 8);
}

/* Acknowledge: the HPPI if it is of group `grp` and can be signalled
 * (priority mask, preemption), else 1023. */
static unsigned acknowledge(struct gicv3 *g, unsigned cpu, unsigned grp)
{
	struct gic_hppi h;
	gic_hppi(g, cpu, &h);
	if (h.intid == GICV3_INTID_SPURIOUS || h.group != grp || !gic_can_signal(g, cpu, &h))
		return GICV3_INTID_SPURIOUS;
	if (h.intid >= GIC_LPI_BASE) {
		gic_lpi_ack(g, cpu, h.intid); /* no active state */
	} else {
		struct gicv3_bits *b = gic_bank(g, cpu, h.intid);
		uint32_t bit = 1u << (h.intid % 32);
		b->active |= bit;
		b->pend &= ~bit; /* a level-sensitive one stays pending while its line is high */
	}
	unsigned apr = (h.prio & gic_gprio_mask(g, cpu, grp)) >> (8 - g->prebits);
	g->s.cpu[cpu].icc_ap[grp][apr / 32] |= 1u << (apr % 32);
	gic_update(g);
	return h.intid;
}

static void deactivate(struct gicv3 *g, unsigned cpu, unsigned intid)
{
	gic_bank(g, cpu, intid)->active &= ~(1u << (intid % 32));
}

/* INTID of an EOIR/DIR write that names an implemented interrupt. */
static bool eoi_intid(struct gicv3 *g, unsigned cpu, uint64_t v, const char *reg, unsigned *intid)
{
	*intid = (unsigned)(v & 0xffffff);
	if (*intid < g->spi_end || (g->lpis && *intid >= GIC_LPI_BASE && *intid < (1u << GIC_LPI_IDBITS)))
		return true;
	if (*intid < 1020 || *intid > 1023) /* special INTIDs: ignored silently */
		gic_log(g, "CPU %u: %s write of INTID %u (not implemented) ignored", cpu, reg, *intid);
	return false;
}

static void eoi(struct gicv3 *g, unsigned cpu, unsigned grp, uint64_t v)
{
	struct gicv3_cpu_state *cs = &g->s.cpu[cpu];
	unsigned intid;
	if (!eoi_intid(g, cpu, v, grp ? "ICC_EOIR1_EL1" : "ICC_EOIR0_EL1", &intid))
		return;
	/* Priority drop: the highest active priority must belong to grp. */
	unsigned n = 0;
	while (n < g->napr && !(cs->icc_ap[0][n] | cs->icc_ap[1][n]))
		n++;
	if (n == g->napr) {
		gic_log(g, "CPU %u: EOI of INTID %u with no active priority ignored", cpu, intid);
		return;
	}
	uint32_t low = (cs->icc_ap[0][n] | cs->icc_ap[1][n]) & -(cs->icc_ap[0][n] | cs->icc_ap[1][n]);
	if (!(cs->icc_ap[grp][n] & low)) {
		gic_log(g, "CPU %u: EOI of Group %u INTID %u while the running priority is of the other group: ignored",
			cpu, grp, intid);
		return;
	}
	cs->icc_ap[grp][n] &= ~low;
	if (!(cs->icc_ctlr & ICC_CTLR_EOIMODE) && intid < GIC_LPI_BASE) { /* LPIs: priority drop only */
		struct gicv3_bits *b = gic_bank(g, cpu, intid);
		if (((b->group >> (intid % 32)) & 1) == grp)
			deactivate(g, cpu, intid);
		else
			gic_log(g, "CPU %u: EOIR%u of INTID %u of the other group: not deactivated", cpu, grp, intid);
	}
	gic_update(g);
}

/* SGI generation. */
static void send_sgi(struct gicv3 *g, unsigned cpu, uint64_t v, bool any_group)
{
	unsigned intid = (v >> 24) & 0xf;
	uint32_t tlist = v & 0xffff;
	uint32_t aff321 = (uint32_t)((v >> 16) & 0xff) << 8 | (uint32_t)((v >> 32) & 0xff) << 16 |
			  (uint32_t)((v >> 48) & 0xff) << 24;
	unsigned rs = (v >> 44) & 0xf;
	bool irm = (v >> 40) & 1;
	for (unsigned t = 0; t < g->num_cpus; t++) {
		uint32_t a = g->affinity[t];
		if (irm) {
			if (t == cpu)
				continue;
		} else {
			if ((a & 0xffffff00u) != aff321 || (a & 0xf0) >> 4 != rs || !(tlist & (1u << (a & 0xf))))
				continue;
		}
		struct gicv3_bits *b = &g->s.cpu[t].ppi;
		if (!any_group && (b->group & (1u << intid)))
			continue; /* SGI0R/ASGI1R: Group 0 SGIs only */
		b->pend |= 1u << intid;
	}
	gic_update(g);
}

/* ICC_AP0R<n>_EL1 / ICC_AP1R<n>_EL1 if implemented (n < napr), else NULL. */
static uint32_t *ap_reg(struct gicv3 *g, struct gicv3_cpu_state *cs, uint16_t enc)
{
	for (unsigned grp = 0; grp < 2; grp++) {
		unsigned base = grp ? ICC_AP1R0_EL1 : ICC_AP0R0_EL1;
		if (enc >= base && enc < base + g->napr)
			return &cs->icc_ap[grp][enc - base];
	}
	return NULL;
}

static int read_locked(struct gicv3 *g, unsigned cpu, uint16_t enc, uint64_t *val)
{
	struct gicv3_cpu_state *cs = &g->s.cpu[cpu];
	struct gic_hppi h;
	switch (enc) {
	case ICC_PMR_EL1: *val = cs->icc_pmr; return 0;
	case ICC_IAR0_EL1: *val = acknowledge(g, cpu, 0); return 0;
	case ICC_IAR1_EL1: *val = acknowledge(g, cpu, 1); return 0;
	case ICC_HPPIR0_EL1:
	case ICC_HPPIR1_EL1:
		gic_hppi(g, cpu, &h);
		*val = h.group == (enc == ICC_HPPIR1_EL1) ? h.intid : GICV3_INTID_SPURIOUS;
		return 0;
	case ICC_BPR0_EL1: *val = cs->icc_bpr[0]; return 0;
	case ICC_BPR1_EL1:
		*val = cs->icc_ctlr & ICC_CTLR_CBPR ? (cs->icc_bpr[0] < 7 ? cs->icc_bpr[0] + 1 : 7) : cs->icc_bpr[1];
		return 0;
	case ICC_RPR_EL1: *val = gic_rpr(g, cpu); return 0;
	case ICC_CTLR_EL1:
		*val = cs->icc_ctlr | (uint64_t)(g->pribits - 1) << 8 | 1u << 15; /* PRIbits, A3V */
		return 0;
	case ICC_SRE_EL1: *val = 7; return 0;
	case ICC_IGRPEN0_EL1: *val = cs->icc_igrpen[0]; return 0;
	case ICC_IGRPEN1_EL1: *val = cs->icc_igrpen[1]; return 0;
	}
	uint32_t *ap = ap_reg(g, cs, enc);
	if (!ap)
		return -EINVAL;
	*val = *ap;
	return 0;
}

static int write_locked(struct gicv3 *g, unsigned cpu, uint16_t enc, uint64_t v)
{
	struct gicv3_cpu_state *cs = &g->s.cpu[cpu];
	unsigned intid, min0 = gic_min_bpr0(g);
	switch (enc) {
	case ICC_PMR_EL1: cs->icc_pmr = v & g->prio_mask; break;
	case ICC_EOIR0_EL1: eoi(g, cpu, 0, v); return 0;
	case ICC_EOIR1_EL1: eoi(g, cpu, 1, v); return 0;
	case ICC_DIR_EL1:
		if (!eoi_intid(g, cpu, v, "ICC_DIR_EL1", &intid))
			return 0;
		if (!(cs->icc_ctlr & ICC_CTLR_EOIMODE)) {
			gic_log(g, "CPU %u: ICC_DIR_EL1 write with EOImode = 0 ignored", cpu);
			return 0;
		}
		if (intid < GIC_LPI_BASE)
			deactivate(g, cpu, intid);
		break;
	case ICC_SGI1R_EL1: send_sgi(g, cpu, v, true); return 0;
	case ICC_SGI0R_EL1:
	case ICC_ASGI1R_EL1: send_sgi(g, cpu, v, false); return 0;
	case ICC_BPR0_EL1: cs->icc_bpr[0] = (v & 7) < min0 ? min0 : (v & 7); break;
	case ICC_BPR1_EL1:
		if (cs->icc_ctlr & ICC_CTLR_CBPR)
			return 0; /* writes ignored while CBPR = 1 */
		cs->icc_bpr[1] = (v & 7) < min0 + 1 ? min0 + 1 : (v & 7);
		break;
	case ICC_CTLR_EL1: cs->icc_ctlr = v & (ICC_CTLR_CBPR | ICC_CTLR_EOIMODE); break;
	case ICC_SRE_EL1: return 0;
	case ICC_IGRPEN0_EL1: cs->icc_igrpen[0] = v & 1; break;
	case ICC_IGRPEN1_EL1: cs->icc_igrpen[1] = v & 1; break;
	default: {
		uint32_t *ap = ap_reg(g, cs, enc);
		if (!ap)
			return -EINVAL;
		*ap = (uint32_t)v;
	}
	}
	gic_update(g);
	return 0;
}

int gicv3_cpuif_read(struct gicv3 *gic, unsigned cpu, uint16_t enc, uint64_t *val)
{
	*val = 0;
	if (cpu >= gic->num_cpus)
		return -EINVAL;
	pthread_mutex_lock(&gic->lock);
	int r = read_locked(gic, cpu, enc, val);
	pthread_mutex_unlock(&gic->lock);
	return r;
}

int gicv3_cpuif_write(struct gicv3 *gic, unsigned cpu, uint16_t enc, uint64_t val)
{
	if (cpu >= gic->num_cpus)
		return -EINVAL;
	pthread_mutex_lock(&gic->lock);
	int r = write_locked(gic, cpu, enc, val);
	pthread_mutex_unlock(&gic->lock);
	return r;
}
