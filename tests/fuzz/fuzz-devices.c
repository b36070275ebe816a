/* libFuzzer target for the devices a hostile guest reaches: the GICv3
 * (distributor, redistributors, CPU interface), its GICv2m frame, the PL011
 * and the PL031, on one MMIO bus at QEMU virt's addresses, wired as
 * src/machine/virt.c wires them (UART and RTC lines into SPIs 33 and 34).
 * The PL031 runs on a fake clock without its timer thread, so an input
 * replays exactly.
 *
 * Input: 9 bytes of configuration (CPUs, priority bits, INTID count,
 * affinities, GICv2m range, strict UART, start time, and whether to start
 * from a GIC set up as Linux sets it up), then operations, one
 * opcode byte each followed by its arguments (missing bytes are zero):
 * MMIO reads and writes (any region; a register of the GIC's families, or
 * offsets in range, unaligned, across the end, in the gaps, anywhere;
 * widths 1/2/4/8 and bogus ones), ICC_* reads and writes (any CPU index,
 * any encoding), an interrupt handler (IAR, EOIR, DIR), set_spi / set_ppi /
 * pulse_spi (any INTID), gicv3_get_output, save/restore round trips,
 * corrupted restores, resets, UART input, clock steps, an RTC alarm and
 * its deadline, and region updates between accesses (any region moved to a
 * gap, onto another, across 2^64; the UART, RTC or GICv2m frame unplugged
 * and plugged back elsewhere), each answered as the model of the map says
 * (0, -ENOENT, -EEXIST, -EINVAL) and followed by accesses at the new map.
 *
 * ASan/UBSan catch memory errors; on top of that every operation checks a
 * contract that holds for any input (abort() when broken):
 *  - the bus: an access hits iff a region covers the address; a refused
 *    width or an access across a region's end reads 0 and changes nothing;
 *    a read returns a value that fits its width;
 *  - GIC reads (GICD, GICR, GICv2m, ICC registers other than IAR) change no
 *    state; inputs out of range return -EINVAL and change nothing;
 *  - IAR<g>: 1023 unless the CPU's group-g output was asserted; otherwise an
 *    INTID that was pending, enabled, inactive, of group g with the group
 *    enabled, routed to that CPU, below the priority mask, of the highest
 *    priority among the CPU's candidates, and active afterwards;
 *  - the cpu_irq callback agrees with gicv3_get_output; every device's
 *    interrupt line agrees with its RIS & IMSC and the GIC's input level;
 *  - save -> restore -> save is the identity; a corrupted state is either
 *    refused with the device unchanged, or accepted and then a fixed point
 *    of save -> restore;
 *  - after reset the device saves as a freshly created one (the GIC keeping
 *    its input levels), with its outputs low;
 *  - pl011_receive takes min(n, pl011_can_receive()); FR never says empty
 *    and full at once;
 *  - the PL031 deadline is in the future, the match interrupt is not
 *    raised before it and is raised at it. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/gic/gicv2m.h"
#include "hw/gic/gicv3.h"
#include "hw/mmio.h"
#include "hw/pl011.h"
#include "hw/pl031.h"

#define UART_BASE 0x09000000ull /* src/machine/virt.h */
#define RTC_BASE 0x09010000ull
#define UART_SPI 1u
#define RTC_SPI 2u
#define NS 1000000000ll
#define MAX_OPS 600

#define CHECK(c)                                                                                    \
	do {                                                                                        \
		if (!(c)) {                                                                         \
			fprintf(stderr, "fuzz-devices: contract broken: %s (line %d)\n", #c, __LINE__); \
			abort();                                                                    \
		}                                                                                   \
	} while (0)

enum { R_DIST, R_REDIST, R_V2M, R_UART, R_RTC, NREG };

struct fz {
	const uint8_t *d;
	size_t n;
	/* configuration */
	struct gicv3_config gc;
	uint32_t aff[GICV3_MAX_CPUS];
	unsigned ncpu, spi_end, v2m_base, v2m_count;
	struct { uint64_t base, size; unsigned widths; bool gone; } reg[NREG]; /* the bus as the model sees it */
	/* devices */
	struct mmio_bus bus;
	struct gicv3 *gic;
	struct gicv2m v2m;
	struct pl011 uart;
	struct pl031 rtc;
	int64_t now; /* the RTC's host clock, ns */
	/* outputs as the callbacks saw them */
	bool irq[GICV3_MAX_CPUS], fiq[GICV3_MAX_CPUS];
	bool line[3]; /* the devices' lines, by SPI number (UART_SPI, RTC_SPI) */
	unsigned tx_chars;
	/* scratch snapshots (large: not on the stack) */
	struct gicv3_state g0, g1, g2;
};

static size_t take(struct fz *f, void *out, size_t want)
{
	size_t k = f->n < want ? f->n : want;
	memset(out, 0, want);
	memcpy(out, f->d, k);
	f->d += k;
	f->n -= k;
	return k;
}
static uint8_t u8(struct fz *f) { uint8_t v; take(f, &v, 1); return v; }
static uint16_t u16(struct fz *f) { uint16_t v; take(f, &v, 2); return v; }
static uint32_t u32(struct fz *f) { uint32_t v; take(f, &v, 4); return v; }
static uint64_t u64(struct fz *f) { uint64_t v; take(f, &v, 8); return v; }

static void cpu_irq(void *opaque, unsigned cpu, bool irq, bool fiq)
{
	struct fz *f = opaque;
	CHECK(cpu < f->ncpu);
	f->irq[cpu] = irq;
	f->fiq[cpu] = fiq;
}

/* A device line: as virt.c's spi_set, into the GIC. */
static void spi_set(void *opaque, unsigned n, bool level)
{
	struct fz *f = opaque;
	CHECK(n == UART_SPI || n == RTC_SPI);
	f->line[n] = level;
	CHECK(gicv3_set_spi(f->gic, 32 + n, level) == 0);
}

static void tx(void *opaque, const uint8_t *buf, size_t n)
{
	struct fz *f = opaque;
	CHECK(n > 0 && buf);
	f->tx_chars += (unsigned)n;
}

static int64_t clock_now(void *opaque) { return ((struct fz *)opaque)->now; }

/* --- snapshot comparisons (field by field: the structs have padding) --- */

static bool gic_eq(const struct gicv3_state *a, const struct gicv3_state *b)
{
	return a->version == b->version && a->num_cpus == b->num_cpus && a->num_irqs == b->num_irqs &&
	       a->pribits == b->pribits && a->gicd_ctlr == b->gicd_ctlr && !memcmp(a->spi, b->spi, sizeof(a->spi)) &&
	       !memcmp(a->prio, b->prio, sizeof(a->prio)) && !memcmp(a->irouter, b->irouter, sizeof(a->irouter)) &&
	       !memcmp(a->cpu, b->cpu, sizeof(a->cpu));
}

static bool rtc_eq(const struct pl031_regs *a, const struct pl031_regs *b)
{
	return a->mr == b->mr && a->lr == b->lr && a->cr == b->cr && a->imsc == b->imsc && a->ris == b->ris &&
	       a->offset == b->offset && a->held == b->held && a->last_dr == b->last_dr;
}

static void outputs(struct fz *f, bool irq[GICV3_MAX_CPUS], bool fiq[GICV3_MAX_CPUS])
{
	for (unsigned c = 0; c < GICV3_MAX_CPUS; c++)
		gicv3_get_output(f->gic, c, &irq[c], &fiq[c]);
}

/* Everything the GIC shows: its state and its outputs. */
struct gic_view { bool irq[GICV3_MAX_CPUS], fiq[GICV3_MAX_CPUS]; };
static void gic_look(struct fz *f, struct gicv3_state *st, struct gic_view *v)
{
	gicv3_save(f->gic, st);
	outputs(f, v->irq, v->fiq);
}
static bool view_eq(const struct gic_view *a, const struct gic_view *b)
{
	return !memcmp(a->irq, b->irq, sizeof(a->irq)) && !memcmp(a->fiq, b->fiq, sizeof(a->fiq));
}

/* Invariants after every operation. */
static void invariants(struct fz *f)
{
	bool irq[GICV3_MAX_CPUS], fiq[GICV3_MAX_CPUS];
	outputs(f, irq, fiq);
	for (unsigned c = 0; c < GICV3_MAX_CPUS; c++) {
		CHECK(irq[c] == (c < f->ncpu && f->irq[c]));
		CHECK(fiq[c] == (c < f->ncpu && f->fiq[c]));
	}
	struct pl011_state us;
	pl011_save(&f->uart, &us);
	CHECK(f->line[UART_SPI] == ((us.regs.ris & us.regs.imsc & PL011_INT_ALL) != 0));
	struct pl031_state rs;
	pl031_save(&f->rtc, &rs);
	CHECK(f->line[RTC_SPI] == ((rs.regs.ris & rs.regs.imsc & 1) != 0));
	gicv3_save(f->gic, &f->g0);
	for (unsigned n = UART_SPI; n <= RTC_SPI; n++)
		CHECK(((f->g0.spi[1].level >> n) & 1) == f->line[n]);
}

/* --- MMIO --- */

static const unsigned widths[16] = { 1, 2, 4, 8, 4, 4, 8, 1, 0, 3, 5, 6, 7, 16, 9, 32 };

/* The GIC's register families (IHI 0069 chapter 12): first offset, stride
 * in bytes of one register, number of registers. */
struct family { uint32_t off, stride, count; };
static const struct family gicd_regs[] = {
	{ 0x0000, 4, 5 },    /* CTLR TYPER IIDR TYPER2 STATUSR */
	{ 0x0080, 4, 32 },   /* IGROUPR */
	{ 0x0100, 4, 32 },   /* ISENABLER */
	{ 0x0180, 4, 32 },   /* ICENABLER */
	{ 0x0200, 4, 32 },   /* ISPENDR */
	{ 0x0280, 4, 32 },   /* ICPENDR */
	{ 0x0300, 4, 32 },   /* ISACTIVER */
	{ 0x0380, 4, 32 },   /* ICACTIVER */
	{ 0x0400, 1, 1024 }, /* IPRIORITYR */
	{ 0x0c00, 4, 64 },   /* ICFGR */
	{ 0x0d00, 4, 64 },   /* IGRPMODR, NSACR */
	{ 0x6000, 4, 2048 }, /* IROUTER (halves) */
	{ 0xffd0, 4, 12 },   /* ID registers */
};
static const struct family gicr_regs[] = { /* offsets in the CPU's 128 KiB: RD_base, SGI_base */
	{ 0x00000, 4, 6 },  /* CTLR IIDR TYPER STATUSR WAKER */
	{ 0x00040, 8, 18 }, /* LPI registers */
	{ 0x0ffd0, 4, 12 }, /* ID registers */
	{ 0x10080, 0x80, 7 }, /* IGROUPR0 ISENABLER0 ICENABLER0 ISPENDR0 ICPENDR0 ISACTIVER0 ICACTIVER0 */
	{ 0x10400, 1, 32 }, /* IPRIORITYR */
	{ 0x10c00, 4, 2 },  /* ICFGR0/1 */
	{ 0x10d00, 4, 4 },  /* IGRPMODR0, NSACR */
};

static uint64_t family_off(const struct family *t, unsigned n, uint32_t raw, uint64_t align)
{
	const struct family *fm = &t[raw % n];
	return (fm->off + (raw >> 8) % fm->count * fm->stride) & ~(align - 1);
}

static uint64_t pick_addr(struct fz *f, unsigned *w)
{
	uint8_t sel = u8(f), mode = u8(f);
	uint32_t raw = u32(f);
	*w = widths[mode >> 4];
	unsigned r = sel % NREG;
	uint64_t base = f->reg[r].base, size = f->reg[r].size;
	uint64_t align = (*w == 1 || *w == 2 || *w == 4 || *w == 8) ? *w : 1;
	switch (mode & 7) {
	case 0: /* a register */
		if (r == R_DIST)
			return base + family_off(gicd_regs, sizeof(gicd_regs) / sizeof(gicd_regs[0]), raw, align);
		if (r == R_REDIST)
			return base + (raw >> 24) % f->ncpu * GICV3_REDIST_STRIDE +
			       family_off(gicr_regs, sizeof(gicr_regs) / sizeof(gicr_regs[0]), raw & 0xffffff, align);
		if (r == R_UART || r == R_RTC) /* registers 0x000..0x04c, IDs 0xfe0..0xffc */
			return base + (((raw & 1) ? 0xfe0 + (raw >> 1) % 8 * 4 : (raw >> 1) % 20 * 4) | (raw >> 8 & 3)) /
					      align * align;
		return base + ((raw & 0xfff) % size & ~(align - 1));
	case 1: /* a register of a 64 KiB frame's low page (GICR: any CPU, RD or SGI frame) */
		if (size >= 0x10000)
			return base + (raw >> 16) % (size / 0x10000) * 0x10000 + ((raw & 0xfff) & ~(align - 1));
		return base + ((raw & 0xfff) % size & ~(align - 1));
	case 2: return base + (raw % size & ~(align - 1));
	case 3: return base + raw % size; /* any alignment */
	case 4: return base + size - 1 - (raw & 15); /* across the end */
	case 5: return base + size + (raw & 0xffff); /* past the end: a gap or the next region */
	case 6: return base - 1 - (raw & 0xff);      /* before the base */
	default: return (uint64_t)raw << (sel >> 3 & 31); /* anywhere */
	}
}

static int region_of(struct fz *f, uint64_t a)
{
	for (int r = 0; r < NREG; r++)
		if (!f->reg[r].gone && a >= f->reg[r].base && a - f->reg[r].base < f->reg[r].size)
			return r;
	return -1;
}

static void op_mmio(struct fz *f, bool write)
{
	unsigned w;
	uint64_t a = pick_addr(f, &w), val = write ? u64(f) : 0;
	if (w < 8)
		val &= (1ull << (8 * w)) - 1; /* the data abort path delivers the bytes written */
	int r = region_of(f, a);
	bool refused = r < 0 || w > 8 || !(f->reg[r].widths & (1u << w)) || a - f->reg[r].base + w > f->reg[r].size;
	bool gic = r == R_DIST || r == R_REDIST || r == R_V2M;
	struct gic_view v0, v1;
	struct pl011_state u0, u1;
	struct pl031_state t0, t1;
	gic_look(f, &f->g1, &v0);
	pl011_save(&f->uart, &u0);
	pl031_save(&f->rtc, &t0);
	uint64_t unassigned = f->bus.unassigned;
	bool hit;
	if (write) {
		hit = mmio_bus_write(&f->bus, a, w, val);
	} else {
		val = 0xa5a5a5a5a5a5a5a5ull;
		hit = mmio_bus_read(&f->bus, a, w, &val);
		CHECK(w >= 8 || val >> (8 * w) == 0);
		if (refused)
			CHECK(val == 0);
	}
	CHECK(hit == (r >= 0));
	CHECK(f->bus.unassigned == unassigned + (r < 0));
	gic_look(f, &f->g2, &v1);
	pl011_save(&f->uart, &u1);
	pl031_save(&f->rtc, &t1);
	if (refused || (!write && gic)) { /* nothing happened, or a GIC read: no side effect */
		CHECK(gic_eq(&f->g1, &f->g2) && view_eq(&v0, &v1));
		CHECK(!memcmp(&u0.regs, &u1.regs, sizeof(u0.regs)));
		CHECK(rtc_eq(&t0.regs, &t1.regs));
	}
	if (!refused && r == R_V2M && write) { /* MSI_SETSPI_NS: an edge on an SPI of the frame, nothing else */
		uint64_t off = a - f->reg[r].base;
		bool msi = off == GICV2M_MSI_SETSPI_NS && val >= f->v2m_base && val - f->v2m_base < f->v2m_count;
		if (msi)
			CHECK(f->g2.spi[val / 32].pend >> (val % 32) & 1);
		if (msi)
			f->g1.spi[val / 32].pend |= 1u << (val % 32);
		CHECK(gic_eq(&f->g1, &f->g2));
	}
	if (!refused && r == R_UART && !write && (a & ~3ull) == f->reg[R_UART].base + PL011_FR) {
		uint32_t fr = (uint32_t)pl011_read(&f->uart, PL011_FR, 4);
		CHECK(!((fr & PL011_FR_RXFE) && (fr & PL011_FR_RXFF)));
		CHECK(!((fr & PL011_FR_TXFE) && (fr & PL011_FR_TXFF)));
	}
}

/* --- CPU interface --- */

static unsigned pick_cpu(struct fz *f)
{
	uint8_t b = u8(f);
	if (b < 0xf0)
		return b % f->ncpu;
	return b < 0xf8 ? f->ncpu + (b & 7) : b == 0xff ? ~0u : b; /* out of range: just past, far past */
}

static uint16_t pick_enc(struct fz *f)
{
	uint8_t b = u8(f);
	if (b == 0xff)
		return u16(f);
	if (b % 65 == 64)
		return ICC_PMR_EL1;
	return GICV3_ICC(12, 8 + b % 65 / 8, b % 65 % 8);
}

static unsigned spi_bit(const struct gicv3_bits *b, unsigned bit)
{
	return (b->pend | (b->level & ~b->edge)) >> bit & 1;
}

/* Can `intid` be taken by CPU `cpu` in state `s` (any group enabled)? */
static bool candidate(struct fz *f, const struct gicv3_state *s, unsigned cpu, unsigned intid, unsigned *prio,
		      unsigned *grp)
{
	const struct gicv3_bits *b = intid < 32 ? &s->cpu[cpu].ppi : &s->spi[intid / 32];
	unsigned bit = intid % 32;
	*grp = b->group >> bit & 1;
	*prio = intid < 32 ? s->cpu[cpu].prio[intid] : s->prio[intid];
	if (!spi_bit(b, bit) || !(b->enable >> bit & 1) || (b->active >> bit & 1))
		return false;
	if (!(s->gicd_ctlr >> *grp & 1) || !(s->cpu[cpu].icc_igrpen[*grp] & 1) || (s->cpu[cpu].waker & 2))
		return false;
	if (intid >= 32) {
		uint64_t r = s->irouter[intid];
		uint32_t aff = (uint32_t)(r & 0xffffff) | (uint32_t)(r >> 32 & 0xff) << 24;
		if (aff != f->aff[cpu])
			return false;
	}
	return true;
}

static void check_iar(struct fz *f, unsigned cpu, unsigned grp, const struct gicv3_state *pre, bool asserted,
		      uint64_t v)
{
	CHECK((v != GICV3_INTID_SPURIOUS) == asserted);
	if (v == GICV3_INTID_SPURIOUS)
		return;
	CHECK(v < f->spi_end);
	unsigned prio, g, intid = (unsigned)v;
	CHECK(candidate(f, pre, cpu, intid, &prio, &g));
	CHECK(g == grp);
	CHECK(prio < pre->cpu[cpu].icc_pmr);
	for (unsigned i = 0; i < f->spi_end; i++) { /* the highest priority pending */
		unsigned p, gi;
		if (candidate(f, pre, cpu, i, &p, &gi))
			CHECK(p >= prio);
	}
	gicv3_save(f->gic, &f->g2);
	const struct gicv3_bits *b = intid < 32 ? &f->g2.cpu[cpu].ppi : &f->g2.spi[intid / 32];
	CHECK(b->active >> (intid % 32) & 1);
}

static uint64_t icc_access(struct fz *f, unsigned cpu, uint16_t enc, bool write, uint64_t val)
{
	struct gic_view v0, v1;
	gic_look(f, &f->g1, &v0);
	int r;
	if (write) {
		r = gicv3_cpuif_write(f->gic, cpu, enc, val);
	} else {
		val = 0xa5a5;
		r = gicv3_cpuif_read(f->gic, cpu, enc, &val);
	}
	CHECK(r == 0 || r == -EINVAL);
	if (cpu >= f->ncpu || !gicv3_is_cpuif_reg(enc))
		CHECK(r == -EINVAL);
	gic_look(f, &f->g2, &v1);
	if (r || (!write && enc != ICC_IAR0_EL1 && enc != ICC_IAR1_EL1)) /* refused, or a read without side effect */
		CHECK(gic_eq(&f->g1, &f->g2) && view_eq(&v0, &v1));
	if (r) {
		if (!write)
			CHECK(val == 0);
		return GICV3_INTID_SPURIOUS;
	}
	if (write)
		return 0;
	switch (enc) {
	case ICC_IAR0_EL1: check_iar(f, cpu, 0, &f->g1, v0.fiq[cpu], val); break;
	case ICC_IAR1_EL1: check_iar(f, cpu, 1, &f->g1, v0.irq[cpu], val); break;
	case ICC_HPPIR0_EL1:
	case ICC_HPPIR1_EL1: CHECK(val < f->spi_end || val == GICV3_INTID_SPURIOUS); break;
	case ICC_PMR_EL1:
	case ICC_RPR_EL1: CHECK(val <= 0xff); break;
	case ICC_BPR0_EL1:
	case ICC_BPR1_EL1: CHECK(val <= 7); break;
	case ICC_IGRPEN0_EL1:
	case ICC_IGRPEN1_EL1: CHECK(val <= 1); break;
	default: CHECK(val <= 0xffffffffull); break;
	}
	return val;
}

static void op_icc(struct fz *f, bool write)
{
	unsigned cpu = pick_cpu(f);
	uint16_t enc = pick_enc(f);
	icc_access(f, cpu, enc, write, write ? u64(f) : 0);
}

/* An interrupt handler: acknowledge, then (mostly) EOI, and with
 * EOImode = 1 deactivate. */
static void op_handle(struct fz *f)
{
	uint8_t b = u8(f);
	unsigned cpu = b % f->ncpu, grp = b >> 7;
	uint64_t intid = icc_access(f, cpu, grp ? ICC_IAR1_EL1 : ICC_IAR0_EL1, false, 0);
	if (intid == GICV3_INTID_SPURIOUS || (b & 0x40))
		return;
	icc_access(f, cpu, grp ? ICC_EOIR1_EL1 : ICC_EOIR0_EL1, true, intid);
	if (b & 0x20)
		icc_access(f, cpu, ICC_DIR_EL1, true, intid);
}

/* --- inputs --- */

static void op_input(struct fz *f, unsigned kind)
{
	unsigned cpu = pick_cpu(f), intid = u16(f) % 1100;
	bool level = intid & 1;
	if (u8(f) & 1) /* most of the time an INTID in the interesting range */
		intid %= f->spi_end + 8;
	if (intid == 32 + UART_SPI || intid == 32 + RTC_SPI)
		intid += 2; /* those lines belong to the UART and the RTC */
	struct gic_view v0, v1;
	gic_look(f, &f->g1, &v0);
	int r;
	bool ok;
	if (kind == 0) {
		r = gicv3_set_spi(f->gic, intid, level);
		ok = intid >= 32 && intid < f->spi_end;
	} else if (kind == 1) {
		r = gicv3_set_ppi(f->gic, cpu, intid % 40, level);
		ok = cpu < f->ncpu && intid % 40 >= 16 && intid % 40 < 32;
	} else {
		r = gicv3_pulse_spi(f->gic, intid);
		ok = intid >= 32 && intid < f->spi_end;
	}
	CHECK(r == (ok ? 0 : -EINVAL));
	if (!ok) {
		gic_look(f, &f->g2, &v1);
		CHECK(gic_eq(&f->g1, &f->g2) && view_eq(&v0, &v1));
	}
}

/* --- snapshots --- */

static void gic_resync_lines(struct fz *f)
{
	/* A GIC state from elsewhere may disagree with the devices' lines:
	 * the devices drive them again, as after a whole-machine restore. */
	for (unsigned n = UART_SPI; n <= RTC_SPI; n++)
		CHECK(gicv3_set_spi(f->gic, 32 + n, f->line[n]) == 0);
}

static void op_roundtrip(struct fz *f)
{
	struct gic_view v0, v1;
	gic_look(f, &f->g1, &v0);
	CHECK(gicv3_restore(f->gic, &f->g1) == 0);
	gic_look(f, &f->g2, &v1);
	CHECK(gic_eq(&f->g1, &f->g2) && view_eq(&v0, &v1));

	struct pl011_state u0, u1;
	pl011_save(&f->uart, &u0);
	CHECK(pl011_restore(&f->uart, &u0) == 0);
	pl011_save(&f->uart, &u1);
	CHECK(!memcmp(&u0, &u1, sizeof(u0)));

	struct pl031_state t0, t1;
	pl031_poll(&f->rtc); /* the saved state is evaluated at the current time, as a restore does */
	pl031_save(&f->rtc, &t0);
	CHECK(pl031_restore(&f->rtc, &t0) == 0);
	pl031_save(&f->rtc, &t1);
	CHECK(rtc_eq(&t0.regs, &t1.regs));
}

/* Up to 4 bytes changed, anywhere or in [lo, size) (the per-CPU part of
 * the GIC state, where most fields are indexes and shifts). */
static void corrupt(struct fz *f, void *p, size_t size, size_t lo)
{
	uint8_t k = u8(f);
	for (unsigned i = 0; i <= (k & 3); i++) {
		uint16_t at = u16(f);
		uint8_t x = u8(f);
		size_t o = (k & 4) ? lo + at % (size - lo) : at % size;
		((uint8_t *)p)[o] = (k & 8) ? x : ((uint8_t *)p)[o] ^ x;
	}
}

static void op_corrupt(struct fz *f)
{
	unsigned which = u8(f) % 3;
	if (which == 0) {
		struct gic_view v0, v1;
		gic_look(f, &f->g1, &v0);
		struct gicv3_state *bad = &f->g0;
		*bad = f->g1;
		corrupt(f, bad, sizeof(*bad), offsetof(struct gicv3_state, cpu));
		int r = gicv3_restore(f->gic, bad);
		CHECK(r == 0 || r == -EINVAL);
		gic_look(f, &f->g2, &v1);
		if (r) {
			CHECK(gic_eq(&f->g1, &f->g2) && view_eq(&v0, &v1));
			return;
		}
		CHECK(gicv3_restore(f->gic, &f->g2) == 0); /* what it accepted is a fixed point */
		gic_look(f, &f->g1, &v0);
		CHECK(gic_eq(&f->g1, &f->g2) && view_eq(&v0, &v1));
		gic_resync_lines(f);
	} else if (which == 1) {
		struct pl011_state s0, s1, bad;
		pl011_save(&f->uart, &s0);
		bad = s0;
		corrupt(f, &bad, sizeof(bad), 0);
		int r = pl011_restore(&f->uart, &bad);
		CHECK(r == 0 || r == -EINVAL);
		pl011_save(&f->uart, &s1);
		if (r) {
			CHECK(!memcmp(&s0, &s1, sizeof(s0)));
			return;
		}
		CHECK(pl011_restore(&f->uart, &s1) == 0);
		pl011_save(&f->uart, &s0);
		CHECK(!memcmp(&s0, &s1, sizeof(s0)));
	} else {
		struct pl031_state s0, s1, bad;
		pl031_save(&f->rtc, &s0);
		bad = s0;
		corrupt(f, &bad, sizeof(bad), 0);
		int r = pl031_restore(&f->rtc, &bad);
		CHECK(r == 0 || r == -EINVAL);
		pl031_save(&f->rtc, &s1);
		if (r) {
			CHECK(rtc_eq(&s0.regs, &s1.regs));
			return;
		}
		CHECK(pl031_restore(&f->rtc, &s1) == 0);
		pl031_save(&f->rtc, &s0);
		CHECK(rtc_eq(&s0.regs, &s1.regs));
	}
}

static void op_reset(struct fz *f)
{
	unsigned which = u8(f) % 3;
	if (which == 0) {
		struct gicv3 *fresh;
		struct gicv3_config c = f->gc;
		c.cpu_irq = NULL;
		CHECK(gicv3_create(&c, &fresh) == 0);
		gicv3_save(fresh, &f->g0);
		gicv3_destroy(fresh);
		gicv3_save(f->gic, &f->g1);
		gicv3_reset(f->gic);
		for (unsigned w = 0; w < GICV3_MAX_IRQS / 32; w++) /* the input levels stay */
			f->g0.spi[w].level = f->g1.spi[w].level;
		for (unsigned c = 0; c < GICV3_MAX_CPUS; c++)
			f->g0.cpu[c].ppi.level = f->g1.cpu[c].ppi.level;
		struct gic_view v;
		gic_look(f, &f->g2, &v);
		CHECK(gic_eq(&f->g0, &f->g2));
		for (unsigned c = 0; c < GICV3_MAX_CPUS; c++)
			CHECK(!v.irq[c] && !v.fiq[c]);
	} else if (which == 1) {
		struct pl011 fresh;
		struct pl011_state s0, s1;
		pl011_init(&fresh, NULL);
		pl011_save(&fresh, &s0);
		pl011_destroy(&fresh);
		pl011_reset(&f->uart);
		pl011_save(&f->uart, &s1);
		CHECK(!memcmp(&s0, &s1, sizeof(s0)));
		CHECK(!f->line[UART_SPI]);
	} else {
		struct pl031 fresh;
		struct pl031_state s0, s1;
		struct pl031_config c = { .now_ns = clock_now, .clock_opaque = f };
		CHECK(pl031_init(&fresh, &c) == 0);
		pl031_save(&fresh, &s0);
		pl031_destroy(&fresh);
		pl031_reset(&f->rtc);
		pl031_save(&f->rtc, &s1);
		CHECK(rtc_eq(&s0.regs, &s1.regs));
		CHECK(!f->line[RTC_SPI]);
	}
}

/* --- UART input, RTC clock --- */

static void op_receive(struct fz *f)
{
	uint8_t n = u8(f), buf[40];
	if (n == 0xff) {
		pl011_receive_break(&f->uart);
		return;
	}
	n %= sizeof(buf);
	take(f, buf, n);
	size_t can = pl011_can_receive(&f->uart);
	size_t got = pl011_receive(&f->uart, buf, n);
	CHECK(got == (n < can ? n : can));
}

static int64_t clamp_time(int64_t t)
{
	const int64_t lim = (int64_t)1 << 61; /* +-73 years around 1970 */
	return t < -lim ? -lim : t > lim ? lim : t;
}

static void op_clock(struct fz *f)
{
	uint8_t k = u8(f);
	uint32_t v = u32(f);
	f->now = clamp_time(f->now); /* a deadline may have taken it past the range: no overflow below */
	switch (k & 3) {
	case 0: f->now = clamp_time(f->now + (int64_t)v); break;         /* under 5 s forward */
	case 1: f->now = clamp_time(f->now + (int64_t)v * NS); break;    /* seconds to a century forward */
	case 2: f->now = clamp_time(f->now - (int64_t)(v & 0xffff) * NS); break; /* a host clock step back */
	default: break;
	}
	if (k & 4) {
		pl031_poll(&f->rtc);
		return;
	}
	if ((k & 32) && !f->reg[R_RTC].gone) { /* an alarm as Linux's rtc-pl031 sets one: MR = DR + n, clear, unmask */
		uint64_t dr, rb = f->reg[R_RTC].base;
		CHECK(mmio_bus_read(&f->bus, rb + PL031_DR, 4, &dr));
		CHECK(mmio_bus_write(&f->bus, rb + PL031_MR, 4, (uint32_t)(dr + (v >> 24))));
		CHECK(mmio_bus_write(&f->bus, rb + PL031_ICR, 4, 1));
		CHECK(mmio_bus_write(&f->bus, rb + PL031_IMSC, 4, 1));
	}
	if (!(k & 8))
		return;
	int64_t dl = pl031_deadline_ns(&f->rtc);
	if (dl == INT64_MAX)
		return;
	CHECK(dl > f->now);
	CHECK((pl031_read(&f->rtc, PL031_RIS, 4) & 1) == 0); /* a pending deadline means not matched yet */
	if (!(k & 16) || dl - f->now > ((int64_t)1 << 31) * NS) {
		/* Just before: not yet. (A jump of 2^31 s or more counts as a step
		 * back; the timer thread never sleeps that long.) */
		f->now = dl - 1;
		pl031_poll(&f->rtc);
		CHECK((pl031_read(&f->rtc, PL031_RIS, 4) & 1) == 0);
	}
	f->now = dl;
	pl031_poll(&f->rtc);
	CHECK((pl031_read(&f->rtc, PL031_RIS, 4) & 1) == 1);
	CHECK(f->line[RTC_SPI]);
}

/* --- region updates (a BAR moves, a device is unplugged and plugged
 * again) between accesses: the bus must answer exactly as the model --- */

/* As virt.c maps them (it accepts 8/16/32-bit accesses for both). */
static const struct mmio_ops uart_ops = { pl011_read, pl011_write, MMIO_W8 | MMIO_W16 | MMIO_W32 };
static const struct mmio_ops rtc_ops = { pl031_read, pl031_write, MMIO_W8 | MMIO_W16 | MMIO_W32 };

static const uint64_t spots[] = {
	UART_BASE, RTC_BASE, GICV2M_VIRT_BASE, GICV3_VIRT_DIST_BASE, GICV3_VIRT_REDIST_BASE,
	0x09020000ull, 0x0a000000ull, 0x10000000ull, 0x4010000000ull, 0xfffffffffffff000ull, 0,
};

/* Does [b, b + size) overlap a present region other than `self`? */
static bool overlaps(struct fz *f, int self, uint64_t b, uint64_t size)
{
	for (int r = 0; r < NREG; r++)
		if (r != self && !f->reg[r].gone && b < f->reg[r].base + f->reg[r].size && f->reg[r].base < b + size)
			return true;
	return false;
}

static int plug(struct fz *f, int r, uint64_t b)
{
	if (r == R_V2M)
		return gicv2m_map(&f->v2m, &f->bus, b);
	if (r == R_UART)
		return mmio_bus_register(&f->bus, b, PL011_MMIO_SIZE, &uart_ops, &f->uart, "pl011");
	return mmio_bus_register(&f->bus, b, PL031_MMIO_SIZE, &rtc_ops, &f->rtc, "pl031");
}

static void op_remap(struct fz *f)
{
	uint8_t k = u8(f), sp = u8(f);
	int r = k % NREG;
	uint64_t nb = (k & 0x80) ? spots[sp % (sizeof(spots) / sizeof(spots[0]))] + (uint64_t)(sp >> 4) * 0x1000
				 : (uint64_t)u32(f) << (k >> 3 & 15);
	if ((k >> 5 & 3) == 3 && r >= R_V2M) { /* unplug, or plug back (UART, RTC, v2m) */
		if (!f->reg[r].gone) {
			CHECK(mmio_bus_unregister(&f->bus, f->reg[r].base) == 0);
			f->reg[r].gone = true;
		} else {
			uint64_t size = f->reg[r].size;
			int want = nb + size < nb ? -EINVAL : overlaps(f, r, nb, size) ? -EEXIST : 0;
			CHECK(plug(f, r, nb) == want);
			if (!want) {
				f->reg[r].base = nb;
				f->reg[r].gone = false;
			}
		}
	} else { /* move whatever is based at r's (last) base */
		uint64_t old = f->reg[r].base;
		int q = -1;
		for (int i = 0; i < NREG; i++)
			if (!f->reg[i].gone && f->reg[i].base == old)
				q = i;
		int want = q < 0 ? -ENOENT
			   : nb + f->reg[q].size < nb ? -EINVAL
			   : overlaps(f, q, nb, f->reg[q].size) ? -EEXIST : 0;
		CHECK(mmio_bus_move(&f->bus, old, nb) == want);
		if (!want)
			f->reg[q].base = nb;
	}
	/* the bus and the model agree on every region */
	for (int i = 0; i < NREG; i++) {
		uint64_t b = 0, sz = 0;
		void *op = NULL;
		bool hit = mmio_bus_lookup(&f->bus, f->reg[i].base, &b, &sz, &op);
		if (f->reg[i].gone)
			CHECK(hit == (region_of(f, f->reg[i].base) >= 0));
		else
			CHECK(hit && b == f->reg[i].base && sz == f->reg[i].size);
	}
}

/* --- set-up --- */

static void w32(struct fz *f, uint64_t a, uint32_t v) { CHECK(mmio_bus_write(&f->bus, a, 4, v)); }

/* What Linux's irq-gic-v3 does at boot, so that inputs start with
 * interrupts that can be taken: redistributors awake, both groups enabled,
 * every interrupt enabled with varied priorities and groups, SPIs spread
 * over the CPUs, CPU interfaces unmasked. */
static void arm_gic(struct fz *f, uint8_t flags)
{
	const uint64_t d = GICV3_VIRT_DIST_BASE;
	for (unsigned c = 0; c < f->ncpu; c++) {
		uint64_t rd = GICV3_VIRT_REDIST_BASE + (uint64_t)c * GICV3_REDIST_STRIDE, sgi = rd + 0x10000;
		w32(f, rd + 0x14, 0);                                  /* GICR_WAKER */
		w32(f, sgi + 0x80, flags & 2 ? 0xaaaaaaaau : ~0u);     /* IGROUPR0 */
		w32(f, sgi + 0x100, ~0u);                              /* ISENABLER0 */
		for (unsigned i = 0; i < 32; i += 4)                   /* IPRIORITYR */
			w32(f, sgi + 0x400 + i, 0x10305070u + i * 0x01010101u * (flags >> 4));
		for (uint16_t g = 0; g < 2; g++) {
			CHECK(gicv3_cpuif_write(f->gic, c, g ? ICC_IGRPEN1_EL1 : ICC_IGRPEN0_EL1, 1) == 0);
		}
		CHECK(gicv3_cpuif_write(f->gic, c, ICC_PMR_EL1, 0xff) == 0);
		CHECK(gicv3_cpuif_write(f->gic, c, ICC_BPR0_EL1, 0) == 0);
	}
	for (unsigned w = 1; w < (f->spi_end + 31) / 32; w++) {
		w32(f, d + 0x80 + 4 * w, flags & 2 ? 0x55555555u : ~0u); /* IGROUPR */
		w32(f, d + 0x100 + 4 * w, ~0u);                        /* ISENABLER */
		if (flags & 4) {                                       /* ICFGR: edge */
			w32(f, d + 0xc00 + 8 * w, 0xaaaaaaaau);
			w32(f, d + 0xc04 + 8 * w, 0xaaaaaaaau);
		}
	}
	for (unsigned i = 32; i < f->spi_end; i += 4)
		w32(f, d + 0x400 + i, 0x28486888u + i * 0x01010101u * (flags >> 4));
	for (unsigned i = 32; i < f->spi_end; i++) { /* IROUTER: Aff3 in bits 39:32 */
		uint32_t a = f->aff[(i + (flags >> 3)) % f->ncpu];
		CHECK(mmio_bus_write(&f->bus, d + 0x6000 + 8 * i, 8, (a & 0xffffff) | (uint64_t)(a >> 24) << 32));
	}
	w32(f, d, 3); /* GICD_CTLR: EnableGrp0 | EnableGrp1 */
}

static void setup(struct fz *f)
{
	uint8_t b0 = u8(f), b1 = u8(f), b2 = u8(f), b3 = u8(f);
	uint32_t t = u32(f);
	uint8_t flags = u8(f);
	f->ncpu = 1 + (b0 & 7);
	unsigned av = b0 >> 3 & 3;
	for (unsigned c = 0; c < f->ncpu; c++) /* identity (NULL), spread over Aff1, or with Aff2/Aff3 too */
		f->aff[c] = av == 0 ? c : (c & 3) | (c >> 2) << 8 | (av == 2 ? 0x05030000u : 0);
	static const unsigned nirq[4] = { 0, 64, 1024, 0 };
	f->gc = (struct gicv3_config){
		.num_cpus = f->ncpu,
		.num_irqs = (b1 & 3) == 3 ? 32 * (2 + (b1 >> 2) % 31) : nirq[b1 & 3],
		.pribits = 5 + (b0 >> 5 & 3),
		.affinity = av ? f->aff : NULL,
		.cpu_irq = cpu_irq,
		.opaque = f,
	};
	CHECK(gicv3_create(&f->gc, &f->gic) == 0);
	unsigned nirqs = gicv3_num_irqs(f->gic);
	f->spi_end = nirqs < 1020 ? nirqs : 1020;
	mmio_bus_init(&f->bus);
	CHECK(gicv3_map(f->gic, &f->bus, GICV3_VIRT_DIST_BASE, GICV3_VIRT_REDIST_BASE) == 0);

	/* GICv2m: a fuzzed range, refused iff it is not a non-empty range of SPIs. */
	unsigned base = 24 + b2, count = b3 * (b1 >> 7 ? 4u : 1u);
	bool valid = base >= 32 && count >= 1 && base + count <= f->spi_end;
	CHECK(gicv2m_init(&f->v2m, f->gic, base, count) == (valid ? 0 : -EINVAL));
	if (!valid) {
		base = 32 + 8;
		count = f->spi_end - base < 64 ? f->spi_end - base : 64;
		CHECK(gicv2m_init(&f->v2m, f->gic, base, count) == 0);
	}
	f->v2m_base = base;
	f->v2m_count = count;
	CHECK(gicv2m_map(&f->v2m, &f->bus, GICV2M_VIRT_BASE) == 0);

	f->now = 1700000000ll * NS + (int64_t)(t % 0x40000000u) * (NS / 16);
	struct pl011_config uc = { .tx = tx, .tx_opaque = f, .irq = { spi_set, f, UART_SPI }, .strict_enables = b1 >> 6 & 1 };
	pl011_init(&f->uart, &uc);
	struct pl031_config rc = { .irq = { spi_set, f, RTC_SPI }, .now_ns = clock_now, .clock_opaque = f };
	CHECK(pl031_init(&f->rtc, &rc) == 0);
	CHECK(mmio_bus_register(&f->bus, UART_BASE, PL011_MMIO_SIZE, &uart_ops, &f->uart, "pl011") == 0);
	CHECK(mmio_bus_register(&f->bus, RTC_BASE, PL031_MMIO_SIZE, &rtc_ops, &f->rtc, "pl031") == 0);

	f->reg[R_DIST].base = GICV3_VIRT_DIST_BASE;
	f->reg[R_DIST].size = GICV3_DIST_SIZE;
	f->reg[R_DIST].widths = MMIO_W8 | MMIO_W32 | MMIO_W64;
	f->reg[R_REDIST].base = GICV3_VIRT_REDIST_BASE;
	f->reg[R_REDIST].size = gicv3_redist_region_size(f->ncpu);
	f->reg[R_REDIST].widths = MMIO_W8 | MMIO_W32 | MMIO_W64;
	f->reg[R_V2M].base = GICV2M_VIRT_BASE;
	f->reg[R_V2M].size = GICV2M_FRAME_SIZE;
	f->reg[R_V2M].widths = MMIO_W32;
	f->reg[R_UART].base = UART_BASE;
	f->reg[R_UART].size = PL011_MMIO_SIZE;
	f->reg[R_UART].widths = uart_ops.widths;
	f->reg[R_RTC].base = RTC_BASE;
	f->reg[R_RTC].size = PL031_MMIO_SIZE;
	f->reg[R_RTC].widths = rtc_ops.widths;
	if (flags & 1)
		arm_gic(f, flags);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz *f = calloc(1, sizeof(*f));
	if (!f)
		return 0;
	f->d = data;
	f->n = size;
	setup(f);
	invariants(f);
	for (unsigned i = 0; i < MAX_OPS && f->n; i++) {
		switch (u8(f) % 17) {
		case 0:
		case 1: op_mmio(f, false); break;
		case 2:
		case 3: op_mmio(f, true); break;
		case 4: op_icc(f, false); break;
		case 5: op_icc(f, true); break;
		case 6: op_input(f, 0); break;
		case 7: op_input(f, 1); break;
		case 8: op_input(f, 2); break;
		case 9: { /* outputs of any CPU index, in range or not */
			bool irq = true, fiq = true;
			unsigned cpu = u8(f);
			gicv3_get_output(f->gic, cpu, &irq, &fiq);
			if (cpu >= f->ncpu)
				CHECK(!irq && !fiq);
			break;
		}
		case 10: op_roundtrip(f); break;
		case 11: op_corrupt(f); break;
		case 12: op_reset(f); break;
		case 13: op_receive(f); break;
		case 14: op_clock(f); break;
		case 16: op_remap(f); break;
		default: op_handle(f); break;
		}
		invariants(f);
	}
	pl031_destroy(&f->rtc);
	pl011_destroy(&f->uart);
	gicv3_destroy(f->gic);
	mmio_bus_destroy(&f->bus);
	free(f);
	return 0;
}
