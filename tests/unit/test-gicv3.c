/* Unit test of the GICv3 model (src/hw/gic/): driven the way Linux's
 * irq-gic-v3 driver drives it (distributor and redistributor set-up through
 * the MMIO bus, CPU interface through the ICC_* trap entry points), with the
 * expected values taken from the GICv3 architecture (IHI 0069): interrupt
 * life cycle, level vs edge, EOImode, SGIs, priority masking and
 * preemption, active priorities, Group 0 as FIQ, routing, hostile accesses,
 * snapshot/restore, and concurrent inputs. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hw/gic/gicv2m.h"
#include "hw/gic/gicv3.h"
#include "hw/mmio.h"
#include "check.h"

#define DIST GICV3_VIRT_DIST_BASE
#define REDIST GICV3_VIRT_REDIST_BASE
#define RD(c) (REDIST + (uint64_t)(c) * GICV3_REDIST_STRIDE)
#define SGI(c) (RD(c) + 0x10000)

/* Outputs as the callback reports them. */
static struct {
	bool irq[GICV3_MAX_CPUS], fiq[GICV3_MAX_CPUS];
	unsigned calls[GICV3_MAX_CPUS];
} out;

static void cpu_irq(void *opaque, unsigned cpu, bool irq, bool fiq)
{
	(void)opaque;
	out.irq[cpu] = irq;
	out.fiq[cpu] = fiq;
	out.calls[cpu]++;
}

static struct gicv3 *gic;
static struct mmio_bus bus;
static unsigned ncpu;

static uint32_t r32(uint64_t a)
{
	uint64_t v = 0xdead;
	check(mmio_bus_read(&bus, a, 4, &v), "read at 0x%llx hit no region", (unsigned long long)a);
	return (uint32_t)v;
}
static uint64_t r64(uint64_t a)
{
	uint64_t v = 0xdead;
	check(mmio_bus_read(&bus, a, 8, &v), "read at 0x%llx hit no region", (unsigned long long)a);
	return v;
}
static uint8_t r8(uint64_t a)
{
	uint64_t v = 0xdead;
	mmio_bus_read(&bus, a, 1, &v);
	return (uint8_t)v;
}
static void w32(uint64_t a, uint32_t v) { mmio_bus_write(&bus, a, 4, v); }
static void w64(uint64_t a, uint64_t v) { mmio_bus_write(&bus, a, 8, v); }
static void w8(uint64_t a, uint8_t v) { mmio_bus_write(&bus, a, 1, v); }

static uint64_t icc_r(unsigned cpu, uint16_t enc)
{
	uint64_t v = 0xdead;
	int r = gicv3_cpuif_read(gic, cpu, enc, &v);
	check(r == 0, "MRS 0x%04x on CPU %u: %d", enc, cpu, r);
	return v;
}
static void icc_w(unsigned cpu, uint16_t enc, uint64_t v)
{
	int r = gicv3_cpuif_write(gic, cpu, enc, v);
	check(r == 0, "MSR 0x%04x on CPU %u: %d", enc, cpu, r);
}

static void setup(unsigned n, unsigned pribits, const uint32_t *aff)
{
	if (gic) {
		gicv3_destroy(gic);
		mmio_bus_destroy(&bus);
	}
	memset(&out, 0, sizeof(out));
	struct gicv3_config cfg = { .num_cpus = n, .num_irqs = GICV3_VIRT_NUM_IRQS, .pribits = pribits,
				    .affinity = aff, .cpu_irq = cpu_irq };
	int r = gicv3_create(&cfg, &gic);
	if (r) {
		printf("gicv3_create: %d\n", r);
		exit(1);
	}
	mmio_bus_init(&bus);
	r = gicv3_map(gic, &bus, DIST, REDIST);
	if (r) {
		printf("gicv3_map: %d\n", r);
		exit(1);
	}
	ncpu = n;
}

/* What Linux's gic_dist_init / gic_cpu_init / gic_cpu_sys_reg_init do. */
static void linux_init(void)
{
	w32(DIST + 0x0, 0);
	check(!(r32(DIST + 0x0) & (1u << 31)), "GICD_CTLR.RWP set");
	unsigned nirq = ((r32(DIST + 0x4) & 0x1f) + 1) * 32;
	for (unsigned i = 32; i < nirq; i += 32) {
		w32(DIST + 0x80 + i / 8, ~0u);  /* IGROUPR: Group 1 */
		w32(DIST + 0x380 + i / 8, ~0u); /* ICACTIVER */
		w32(DIST + 0x180 + i / 8, ~0u); /* ICENABLER */
	}
	for (unsigned i = 32; i < nirq; i += 4)
		w32(DIST + 0x400 + i, 0xa0a0a0a0);
	for (unsigned i = 32; i < nirq; i += 16)
		w32(DIST + 0xc00 + i / 4, 0);
	w32(DIST + 0x0, 0x13); /* ARE_NS | EnableGrp1A | EnableGrp1 */
	for (unsigned i = 32; i < nirq; i++)
		w64(DIST + 0x6000 + 8 * i, 0); /* CPU 0 */
	for (unsigned c = 0; c < ncpu; c++) {
		w32(RD(c) + 0x14, r32(RD(c) + 0x14) & ~2u);
		int spins = 0;
		while ((r32(RD(c) + 0x14) & 4) && spins < 1000)
			spins++;
		check(spins == 0, "CPU %u: ChildrenAsleep still set after waking", c);
		w32(SGI(c) + 0x380, ~0u);         /* ICACTIVER0 */
		w32(SGI(c) + 0x180, 0xffff0000u); /* ICENABLER0: PPIs */
		w32(SGI(c) + 0x100, 0x0000ffffu); /* ISENABLER0: SGIs */
		w32(SGI(c) + 0x80, ~0u);          /* IGROUPR0 */
		for (unsigned i = 0; i < 32; i += 4)
			w32(SGI(c) + 0x400 + i, 0xa0a0a0a0);
		w32(SGI(c) + 0xc04, 0);
		icc_w(c, ICC_SRE_EL1, 1);
		EQ(icc_r(c, ICC_SRE_EL1) & 1, 1);
		icc_w(c, ICC_PMR_EL1, 0xf0);
		EQ(icc_r(c, ICC_PMR_EL1), 0xf0);
		icc_w(c, ICC_BPR1_EL1, 0);
		icc_w(c, ICC_CTLR_EL1, 0);
		unsigned pri = ((icc_r(c, ICC_CTLR_EL1) >> 8) & 7) + 1;
		switch (pri) {
		case 8:
		case 7:
			icc_w(c, ICC_AP1R0_EL1 + 3, 0);
			icc_w(c, ICC_AP1R0_EL1 + 2, 0);
			/* fall through */
		case 6:
			icc_w(c, ICC_AP1R0_EL1 + 1, 0);
			/* fall through */
		default:
			icc_w(c, ICC_AP1R0_EL1, 0);
		}
		icc_w(c, ICC_IGRPEN1_EL1, 1);
	}
}

static void enable_spi(unsigned intid) { w32(DIST + 0x100 + intid / 32 * 4, 1u << (intid % 32)); }
static void set_prio(unsigned intid, uint8_t p) { w8(DIST + 0x400 + intid, p); }
static bool spi_pending(unsigned intid) { return r32(DIST + 0x200 + intid / 32 * 4) >> (intid % 32) & 1; }
static bool spi_active(unsigned intid) { return r32(DIST + 0x300 + intid / 32 * 4) >> (intid % 32) & 1; }
static bool sgi_pending(unsigned c, unsigned intid) { return r32(SGI(c) + 0x200) >> intid & 1; }

static void test_ids(void)
{
	check_ctx = "ids";
	setup(4, 0, NULL);
	uint32_t typer = r32(DIST + 0x4);
	EQ(typer & 0x1f, 288 / 32 - 1);
	EQ(typer >> 24 & 3, 3); /* A3V, No1N */
	EQ(typer >> 10 & 1, 0); /* SecurityExtn */
	EQ(typer >> 16 & 3, 0); /* MBIS, LPIS */
	EQ(r32(DIST + 0x0), 0x50); /* ARE | DS */
	EQ(r32(DIST + 0xffe8) >> 4 & 0xf, 3);
	EQ(r32(DIST + 0x8) & 0xfff, 0x43b);
	for (unsigned c = 0; c < 4; c++) {
		EQ(r32(RD(c) + 0xffe8) >> 4 & 0xf, 3);
		uint64_t t = r64(RD(c) + 0x8);
		EQ(t >> 32, c);
		EQ(t >> 8 & 0xffff, c);
		EQ(t >> 4 & 1, c == 3);
		EQ(r32(RD(c) + 0x8), (uint32_t)t);
		EQ(r32(RD(c) + 0xc), (uint32_t)(t >> 32));
		EQ(r32(RD(c) + 0x14), 6); /* asleep at reset */
		EQ(r32(SGI(c) + 0xc00), 0xaaaaaaaa);
	}
	EQ(icc_r(0, ICC_CTLR_EL1), 4u << 8 | 1u << 15);
	EQ(icc_r(0, ICC_SRE_EL1), 7);
	EQ(icc_r(0, ICC_BPR0_EL1), 2);
	EQ(icc_r(0, ICC_BPR1_EL1), 3);
	EQ(icc_r(0, ICC_RPR_EL1), 0xff);
	/* Writes to read-only registers change nothing. */
	w32(DIST + 0x4, 0);
	EQ(r32(DIST + 0x4), typer);
	w64(RD(1) + 0x8, 0);
	EQ(r64(RD(1) + 0x8), 1ull << 32 | 1u << 8);
	w32(SGI(0) + 0xc00, 0);
	EQ(r32(SGI(0) + 0xc00), 0xaaaaaaaa);
	/* Group modifiers and NSACR are RAZ/WI with DS = 1. */
	w32(DIST + 0xd04, ~0u);
	EQ(r32(DIST + 0xd04), 0);
	w32(SGI(0) + 0xd00, ~0u);
	EQ(r32(SGI(0) + 0xd00), 0);
}

static void test_spi_level(void)
{
	check_ctx = "spi-level";
	setup(2, 0, NULL);
	linux_init();
	EQ(out.irq[0], 0);
	enable_spi(40);
	check(gicv3_set_spi(gic, 40, true) == 0, "set_spi");
	EQ(out.irq[0], 1);
	EQ(out.irq[1], 0);
	EQ(spi_pending(40), 1);
	EQ(icc_r(0, ICC_HPPIR1_EL1), 40);
	EQ(icc_r(1, ICC_HPPIR1_EL1), 1023);
	EQ(icc_r(0, ICC_IAR1_EL1), 40);
	EQ(out.irq[0], 0); /* active: not signalled again */
	EQ(spi_active(40), 1);
	EQ(spi_pending(40), 1); /* the line is still high */
	EQ(icc_r(0, ICC_RPR_EL1), 0xa0);
	EQ(icc_r(0, ICC_AP1R0_EL1), 1u << (0xa0 >> 3));
	EQ(icc_r(0, ICC_IAR1_EL1), 1023);
	icc_w(0, ICC_EOIR1_EL1, 40);
	EQ(spi_active(40), 0);
	EQ(icc_r(0, ICC_RPR_EL1), 0xff);
	EQ(out.irq[0], 1); /* level still asserted */
	gicv3_set_spi(gic, 40, false);
	EQ(out.irq[0], 0);
	EQ(spi_pending(40), 0);
	/* ISPENDR on a level-sensitive interrupt latches until acknowledged. */
	w32(DIST + 0x204, 1u << 8);
	EQ(out.irq[0], 1);
	EQ(icc_r(0, ICC_IAR1_EL1), 40);
	EQ(spi_pending(40), 0);
	icc_w(0, ICC_EOIR1_EL1, 40);
	EQ(out.irq[0], 0);
	/* ICPENDR does not clear a pending state the line holds. */
	gicv3_set_spi(gic, 40, true);
	w32(DIST + 0x284, 1u << 8);
	EQ(spi_pending(40), 1);
	/* Disabled: not signalled, still pending. */
	w32(DIST + 0x184, 1u << 8);
	EQ(out.irq[0], 0);
	EQ(spi_pending(40), 1);
	gicv3_set_spi(gic, 40, false);
	/* Callback only on changes. */
	unsigned calls = out.calls[0];
	enable_spi(40);
	enable_spi(41);
	gicv3_set_spi(gic, 40, true);
	gicv3_set_spi(gic, 41, true);
	EQ(out.calls[0], calls + 1);
	gicv3_set_spi(gic, 40, false);
	gicv3_set_spi(gic, 41, false);
	EQ(out.calls[0], calls + 2);
}

static void test_spi_edge(void)
{
	check_ctx = "spi-edge";
	setup(2, 0, NULL);
	linux_init();
	w32(DIST + 0xc00 + 41 / 16 * 4, 2u << (2 * (41 % 16))); /* edge */
	EQ(r32(DIST + 0xc08), 2u << 18);
	enable_spi(41);
	gicv3_set_spi(gic, 41, true);
	gicv3_set_spi(gic, 41, false);
	EQ(out.irq[0], 1);
	EQ(spi_pending(41), 1);
	EQ(icc_r(0, ICC_IAR1_EL1), 41);
	EQ(spi_pending(41), 0);
	/* A second edge while active: pending and active. */
	gicv3_set_spi(gic, 41, true);
	EQ(spi_pending(41), 1);
	EQ(out.irq[0], 0);
	icc_w(0, ICC_EOIR1_EL1, 41);
	EQ(out.irq[0], 1);
	EQ(icc_r(0, ICC_IAR1_EL1), 41);
	icc_w(0, ICC_EOIR1_EL1, 41);
	/* The line stays high: no new edge, nothing pending. */
	gicv3_set_spi(gic, 41, true);
	EQ(spi_pending(41), 0);
	EQ(out.irq[0], 0);
	/* ICPENDR clears an edge latch. */
	gicv3_set_spi(gic, 41, false);
	gicv3_set_spi(gic, 41, true);
	EQ(out.irq[0], 1);
	w32(DIST + 0x284, 1u << 9);
	EQ(out.irq[0], 0);
	/* MSI-style pulse. */
	check(gicv3_pulse_spi(gic, 41) == 0, "pulse");
	EQ(icc_r(0, ICC_IAR1_EL1), 41);
	icc_w(0, ICC_EOIR1_EL1, 41);
	EQ(out.irq[0], 0);
}

static void test_eoimode(void)
{
	check_ctx = "eoimode";
	setup(1, 0, NULL);
	linux_init();
	icc_w(0, ICC_CTLR_EL1, 2);
	EQ(icc_r(0, ICC_CTLR_EL1) & 3, 2);
	enable_spi(33);
	enable_spi(34);
	set_prio(34, 0xc0);
	gicv3_pulse_spi(gic, 33);
	EQ(icc_r(0, ICC_IAR1_EL1), 33);
	gicv3_pulse_spi(gic, 34); /* lower priority: not signalled while 33 runs */
	EQ(out.irq[0], 0);
	icc_w(0, ICC_EOIR1_EL1, 33); /* priority drop only */
	EQ(spi_active(33), 1);
	EQ(icc_r(0, ICC_RPR_EL1), 0xff);
	EQ(out.irq[0], 1);
	EQ(icc_r(0, ICC_IAR1_EL1), 34);
	icc_w(0, ICC_EOIR1_EL1, 34);
	icc_w(0, ICC_DIR_EL1, 33);
	EQ(spi_active(33), 0);
	EQ(spi_active(34), 1);
	icc_w(0, ICC_DIR_EL1, 34);
	EQ(spi_active(34), 0);
	/* A still-active interrupt is not re-signalled until deactivated. */
	gicv3_pulse_spi(gic, 33);
	EQ(icc_r(0, ICC_IAR1_EL1), 33);
	icc_w(0, ICC_EOIR1_EL1, 33);
	gicv3_pulse_spi(gic, 33);
	EQ(out.irq[0], 0);
	icc_w(0, ICC_DIR_EL1, 33);
	EQ(out.irq[0], 1);
	EQ(icc_r(0, ICC_IAR1_EL1), 33);
	icc_w(0, ICC_EOIR1_EL1, 33);
	icc_w(0, ICC_DIR_EL1, 33);
	/* DIR with EOImode = 0 is ignored. */
	icc_w(0, ICC_CTLR_EL1, 0);
	gicv3_pulse_spi(gic, 33);
	EQ(icc_r(0, ICC_IAR1_EL1), 33);
	icc_w(0, ICC_DIR_EL1, 33);
	EQ(spi_active(33), 1);
	icc_w(0, ICC_EOIR1_EL1, 33);
	EQ(spi_active(33), 0);
}

static void test_sgi(void)
{
	check_ctx = "sgi";
	setup(4, 0, NULL);
	linux_init();
	/* CPU 0 -> target list {1, 2}, SGI 3. */
	icc_w(0, ICC_SGI1R_EL1, 3ull << 24 | 0x6);
	for (unsigned c = 0; c < 4; c++)
		EQ(sgi_pending(c, 3), c == 1 || c == 2);
	EQ(out.irq[1], 1);
	EQ(out.irq[2], 1);
	EQ(out.irq[0], 0);
	EQ(out.irq[3], 0);
	EQ(icc_r(1, ICC_IAR1_EL1), 3);
	icc_w(1, ICC_EOIR1_EL1, 3);
	EQ(icc_r(2, ICC_IAR1_EL1), 3);
	icc_w(2, ICC_EOIR1_EL1, 3);
	/* All but self from CPU 2, SGI 5. */
	icc_w(2, ICC_SGI1R_EL1, 1ull << 40 | 5ull << 24);
	for (unsigned c = 0; c < 4; c++)
		EQ(sgi_pending(c, 5), c != 2);
	for (unsigned c = 0; c < 4; c++)
		if (c != 2) {
			EQ(icc_r(c, ICC_IAR1_EL1), 5);
			icc_w(c, ICC_EOIR1_EL1, 5);
		}
	/* Self included in a list. */
	icc_w(3, ICC_SGI1R_EL1, 7ull << 24 | 1u << 3);
	EQ(sgi_pending(3, 7), 1);
	EQ(icc_r(3, ICC_IAR1_EL1), 7);
	icc_w(3, ICC_EOIR1_EL1, 7);
	/* Wrong Aff1/Aff2/Aff3 or range selector: nobody. */
	icc_w(0, ICC_SGI1R_EL1, 1ull << 16 | 0xf);
	icc_w(0, ICC_SGI1R_EL1, 1ull << 32 | 0xf);
	icc_w(0, ICC_SGI1R_EL1, 1ull << 48 | 0xf);
	icc_w(0, ICC_SGI1R_EL1, 1ull << 44 | 0xf);
	for (unsigned c = 0; c < 4; c++)
		EQ(r32(SGI(c) + 0x200) & 0xffff, 0);
	/* SGI0R / ASGI1R: Group 0 SGIs only. */
	icc_w(0, ICC_SGI0R_EL1, 2ull << 24 | 2);
	icc_w(0, ICC_ASGI1R_EL1, 2ull << 24 | 2);
	EQ(sgi_pending(1, 2), 0);
	w32(SGI(1) + 0x80, ~0u & ~(1u << 2)); /* SGI 2 Group 0 on CPU 1 */
	EQ(r32(DIST + 0x0) & 1, 1);            /* EnableGrp0: Linux's 0x13 sets it with DS = 1 */
	icc_w(1, ICC_IGRPEN0_EL1, 1);
	icc_w(0, ICC_SGI0R_EL1, 2ull << 24 | 2);
	EQ(sgi_pending(1, 2), 1);
	EQ(out.fiq[1], 1);
	EQ(out.irq[1], 0);
	EQ(icc_r(1, ICC_IAR0_EL1), 2);
	icc_w(1, ICC_EOIR0_EL1, 2);
	icc_w(0, ICC_ASGI1R_EL1, 2ull << 24 | 2);
	EQ(sgi_pending(1, 2), 1);
	w32(SGI(1) + 0x280, 1u << 2);
	/* SGI1R forwards a Group 0 SGI too (DS = 1). */
	icc_w(0, ICC_SGI1R_EL1, 2ull << 24 | 2);
	EQ(sgi_pending(1, 2), 1);
	w32(SGI(1) + 0x280, 1u << 2);
	EQ(out.fiq[1], 0);
	/* Hostile: every bit set (IRM = 1, INTID 15) and huge affinities. */
	icc_w(1, ICC_SGI1R_EL1, ~0ull);
	for (unsigned c = 0; c < 4; c++)
		EQ(sgi_pending(c, 15), c != 1);
	icc_w(1, ICC_SGI1R_EL1, 0xff00ff00ff00ffffull & ~(1ull << 40));
	/* Two clusters: Aff1 selects. */
	static const uint32_t aff[4] = { 0x000, 0x001, 0x100, 0x101 };
	setup(4, 0, aff);
	linux_init();
	EQ(r64(RD(2) + 0x8) >> 32, 0x100);
	icc_w(0, ICC_SGI1R_EL1, 1ull << 16 | 4ull << 24 | 0x2);
	for (unsigned c = 0; c < 4; c++)
		EQ(sgi_pending(c, 4), c == 3);
	/* SPI routed by affinity. */
	enable_spi(100);
	w64(DIST + 0x6000 + 8 * 100, 0x101);
	EQ(r64(DIST + 0x6000 + 8 * 100), 0x101);
	gicv3_pulse_spi(gic, 100);
	EQ(icc_r(3, ICC_HPPIR1_EL1), 4);
	w32(SGI(3) + 0x280, 1u << 4);
	EQ(icc_r(3, ICC_HPPIR1_EL1), 100);
	EQ(icc_r(0, ICC_HPPIR1_EL1), 1023);
	/* 32-bit halves: Aff3 lives in the upper word. */
	w32(DIST + 0x6000 + 8 * 100 + 4, 0xffffffff);
	w32(DIST + 0x6000 + 8 * 100, 0xffffffff);
	EQ(r64(DIST + 0x6000 + 8 * 100), 0xff00ffffffull);
	EQ(icc_r(3, ICC_HPPIR1_EL1), 1023); /* routed to no CPU */
	EQ(spi_pending(100), 1);
	w32(DIST + 0x6000 + 8 * 100 + 4, 0);
	w32(DIST + 0x6000 + 8 * 100, 0x001);
	EQ(icc_r(1, ICC_HPPIR1_EL1), 100);
	EQ(out.irq[1], 1);
}

static void test_priority(void)
{
	check_ctx = "priority";
	setup(1, 0, NULL);
	linux_init();
	/* PMR masking is strict: priority must be < PMR. */
	enable_spi(40);
	set_prio(40, 0xa0);
	EQ(r8(DIST + 0x400 + 40), 0xa0);
	icc_w(0, ICC_PMR_EL1, 0xa0);
	gicv3_pulse_spi(gic, 40);
	EQ(out.irq[0], 0);
	EQ(icc_r(0, ICC_HPPIR1_EL1), 40); /* HPPIR ignores the mask */
	EQ(icc_r(0, ICC_IAR1_EL1), 1023);
	icc_w(0, ICC_PMR_EL1, 0xa8);
	EQ(out.irq[0], 1);
	icc_w(0, ICC_PMR_EL1, 0xf0);
	EQ(icc_r(0, ICC_IAR1_EL1), 40);
	icc_w(0, ICC_EOIR1_EL1, 40);
	/* 5 priority bits: low bits RAZ/WI. */
	icc_w(0, ICC_PMR_EL1, 0xff);
	EQ(icc_r(0, ICC_PMR_EL1), 0xf8);
	set_prio(40, 0xff);
	EQ(r8(DIST + 0x400 + 40), 0xf8);
	w32(DIST + 0x428, 0xffffffff);
	EQ(r32(DIST + 0x428), 0xf8f8f8f8);
	/* Preemption and the binary point. A = 42 (0x88), B = 43 (0x80). */
	enable_spi(42);
	enable_spi(43);
	set_prio(42, 0x88);
	set_prio(43, 0x80);
	icc_w(0, ICC_BPR1_EL1, 0);
	EQ(icc_r(0, ICC_BPR1_EL1), 3); /* minimum */
	gicv3_pulse_spi(gic, 42);
	EQ(icc_r(0, ICC_IAR1_EL1), 42);
	EQ(icc_r(0, ICC_RPR_EL1), 0x88);
	gicv3_pulse_spi(gic, 43);
	EQ(out.irq[0], 1); /* 0x80 < 0x88: preempts */
	EQ(icc_r(0, ICC_IAR1_EL1), 43);
	EQ(icc_r(0, ICC_RPR_EL1), 0x80);
	EQ(icc_r(0, ICC_AP1R0_EL1), 1u << 16 | 1u << 17);
	icc_w(0, ICC_EOIR1_EL1, 43);
	EQ(icc_r(0, ICC_RPR_EL1), 0x88);
	EQ(icc_r(0, ICC_AP1R0_EL1), 1u << 17);
	icc_w(0, ICC_EOIR1_EL1, 42);
	EQ(icc_r(0, ICC_RPR_EL1), 0xff);
	EQ(icc_r(0, ICC_AP1R0_EL1), 0);
	/* BPR1 = 4: group priority [7:4]; 0x88 and 0x80 are in one group. */
	icc_w(0, ICC_BPR1_EL1, 4);
	EQ(icc_r(0, ICC_BPR1_EL1), 4);
	gicv3_pulse_spi(gic, 42);
	EQ(icc_r(0, ICC_IAR1_EL1), 42);
	EQ(icc_r(0, ICC_RPR_EL1), 0x80);
	gicv3_pulse_spi(gic, 43);
	EQ(out.irq[0], 0);
	EQ(icc_r(0, ICC_IAR1_EL1), 1023);
	EQ(icc_r(0, ICC_HPPIR1_EL1), 43);
	icc_w(0, ICC_EOIR1_EL1, 42);
	EQ(out.irq[0], 1);
	EQ(icc_r(0, ICC_IAR1_EL1), 43);
	icc_w(0, ICC_EOIR1_EL1, 43);
	/* Equal priority: lower INTID first. */
	icc_w(0, ICC_BPR1_EL1, 3);
	set_prio(42, 0x80);
	gicv3_pulse_spi(gic, 43);
	gicv3_pulse_spi(gic, 42);
	EQ(icc_r(0, ICC_IAR1_EL1), 42);
	icc_w(0, ICC_EOIR1_EL1, 42);
	EQ(icc_r(0, ICC_IAR1_EL1), 43);
	icc_w(0, ICC_EOIR1_EL1, 43);
	/* BPR0 minimum, CBPR. */
	icc_w(0, ICC_BPR0_EL1, 0);
	EQ(icc_r(0, ICC_BPR0_EL1), 2);
	icc_w(0, ICC_BPR0_EL1, 5);
	icc_w(0, ICC_CTLR_EL1, 1);
	EQ(icc_r(0, ICC_BPR1_EL1), 6);
	icc_w(0, ICC_BPR1_EL1, 5); /* ignored */
	icc_w(0, ICC_CTLR_EL1, 0);
	EQ(icc_r(0, ICC_BPR1_EL1), 3);
	/* EOI with nothing active: ignored, no state change. */
	icc_w(0, ICC_EOIR1_EL1, 42);
	EQ(icc_r(0, ICC_RPR_EL1), 0xff);
	/* AP registers restore a running priority. */
	icc_w(0, ICC_AP1R0_EL1, 1u << 4);
	EQ(icc_r(0, ICC_RPR_EL1), 0x20);
	icc_w(0, ICC_AP1R0_EL1, 0);
	/* 8 priority bits: 4 AP registers, BPR0 min 0, BPR1 min 1. */
	setup(1, 8, NULL);
	linux_init();
	EQ(icc_r(0, ICC_CTLR_EL1) >> 8 & 7, 7);
	icc_w(0, ICC_PMR_EL1, 0xff);
	EQ(icc_r(0, ICC_PMR_EL1), 0xff);
	icc_w(0, ICC_BPR0_EL1, 0);
	EQ(icc_r(0, ICC_BPR0_EL1), 0);
	icc_w(0, ICC_BPR1_EL1, 0);
	EQ(icc_r(0, ICC_BPR1_EL1), 1);
	enable_spi(50);
	set_prio(50, 0xfd);
	EQ(r8(DIST + 0x400 + 50), 0xfd);
	gicv3_pulse_spi(gic, 50);
	EQ(icc_r(0, ICC_IAR1_EL1), 50);
	EQ(icc_r(0, ICC_AP1R0_EL1 + 3), 1u << 30); /* 0xfc >> 1 = 126 */
	EQ(icc_r(0, ICC_RPR_EL1), 0xfc);
	icc_w(0, ICC_EOIR1_EL1, 50);
	EQ(icc_r(0, ICC_AP1R0_EL1 + 3), 0);
}

static void test_group0(void)
{
	check_ctx = "group0";
	setup(2, 0, NULL);
	linux_init();
	icc_w(0, ICC_IGRPEN0_EL1, 1);
	w32(DIST + 0x84, ~0u & ~(1u << 18)); /* SPI 50: Group 0 */
	enable_spi(50);
	enable_spi(51);
	set_prio(50, 0x90);
	gicv3_pulse_spi(gic, 50);
	EQ(out.fiq[0], 1);
	EQ(out.irq[0], 0);
	EQ(icc_r(0, ICC_HPPIR1_EL1), 1023);
	EQ(icc_r(0, ICC_HPPIR0_EL1), 50);
	EQ(icc_r(0, ICC_IAR1_EL1), 1023);
	/* A lower-priority Group 1 interrupt behind it is not acknowledged by IAR1. */
	set_prio(51, 0xa0);
	gicv3_pulse_spi(gic, 51);
	EQ(icc_r(0, ICC_IAR1_EL1), 1023);
	EQ(icc_r(0, ICC_IAR0_EL1), 50);
	EQ(out.fiq[0], 0);
	EQ(out.irq[0], 0); /* 0xa0 does not preempt 0x90 */
	EQ(icc_r(0, ICC_AP0R0_EL1), 1u << (0x90 >> 3));
	icc_w(0, ICC_EOIR1_EL1, 50); /* wrong group: ignored */
	EQ(spi_active(50), 1);
	icc_w(0, ICC_EOIR0_EL1, 50);
	EQ(spi_active(50), 0);
	EQ(out.irq[0], 1);
	EQ(icc_r(0, ICC_IAR1_EL1), 51);
	icc_w(0, ICC_EOIR1_EL1, 51);
	/* EOIR1 while the running priority is Group 0: ignored entirely. */
	gicv3_pulse_spi(gic, 51);
	EQ(icc_r(0, ICC_IAR1_EL1), 51);
	set_prio(50, 0x80);
	gicv3_pulse_spi(gic, 50);
	EQ(out.fiq[0], 1); /* 0x80 preempts 0xa0 */
	EQ(icc_r(0, ICC_IAR0_EL1), 50);
	icc_w(0, ICC_EOIR1_EL1, 51);
	EQ(spi_active(51), 1);
	EQ(icc_r(0, ICC_RPR_EL1), 0x80);
	icc_w(0, ICC_EOIR0_EL1, 50);
	icc_w(0, ICC_EOIR1_EL1, 51);
	EQ(spi_active(51), 0);
	EQ(icc_r(0, ICC_RPR_EL1), 0xff);
	/* EOIR1 naming a Group 0 interrupt: priority drop, no deactivation. */
	w32(DIST + 0x304, 1u << 18); /* ISACTIVER: SPI 50 */
	gicv3_pulse_spi(gic, 51);
	EQ(icc_r(0, ICC_IAR1_EL1), 51);
	icc_w(0, ICC_EOIR1_EL1, 50);
	EQ(icc_r(0, ICC_RPR_EL1), 0xff);
	EQ(spi_active(50), 1);
	EQ(spi_active(51), 1);
	w32(DIST + 0x384, 3u << 18);
	EQ(spi_active(50), 0);
	EQ(spi_active(51), 0);
	set_prio(50, 0x90);
	/* Group enables: distributor and CPU interface both gate. */
	gicv3_pulse_spi(gic, 50);
	EQ(out.fiq[0], 1);
	icc_w(0, ICC_IGRPEN0_EL1, 0);
	EQ(out.fiq[0], 0);
	icc_w(0, ICC_IGRPEN0_EL1, 1);
	EQ(out.fiq[0], 1);
	w32(DIST + 0x0, 0x12);
	EQ(out.fiq[0], 0);
	EQ(icc_r(0, ICC_HPPIR0_EL1), 1023);
	/* Sleeping redistributor: nothing forwarded. */
	w32(DIST + 0x0, 0x13);
	w32(DIST + 0x284, 1u << 18); /* SPI 50 no longer pending */
	EQ(out.fiq[0], 0);
	gicv3_pulse_spi(gic, 51);
	EQ(out.irq[0], 1);
	w32(RD(0) + 0x14, 2);
	EQ(r32(RD(0) + 0x14), 6);
	EQ(out.irq[0], 0);
	w32(RD(0) + 0x14, 0);
	EQ(out.irq[0], 1);
}

static void test_ppi(void)
{
	check_ctx = "ppi";
	setup(2, 0, NULL);
	linux_init();
	w32(SGI(1) + 0x100, 1u << 27);
	check(gicv3_set_ppi(gic, 1, 27, true) == 0, "set_ppi");
	EQ(out.irq[1], 1);
	EQ(out.irq[0], 0);
	EQ(icc_r(1, ICC_IAR1_EL1), 27);
	icc_w(1, ICC_EOIR1_EL1, 27);
	EQ(out.irq[1], 1); /* level */
	gicv3_set_ppi(gic, 1, 27, false);
	EQ(out.irq[1], 0);
	/* PPI edge configuration. */
	w32(SGI(1) + 0xc04, 2u << 22);
	EQ(r32(SGI(1) + 0xc04), 2u << 22);
	gicv3_set_ppi(gic, 1, 27, true);
	EQ(icc_r(1, ICC_IAR1_EL1), 27);
	icc_w(1, ICC_EOIR1_EL1, 27);
	EQ(out.irq[1], 0);
	gicv3_set_ppi(gic, 1, 27, false);
	/* Priority bytes of the redistributor. */
	w8(SGI(1) + 0x400 + 27, 0x47);
	EQ(r8(SGI(1) + 0x400 + 27), 0x40);
	EQ(r32(SGI(1) + 0x418), 0x40a0a0a0);
}

static void test_hostile(void)
{
	check_ctx = "hostile";
	setup(2, 0, NULL);
	linux_init();
	/* Configurations. */
	struct gicv3 *g2;
	struct gicv3_config bad[] = {
		{ .num_cpus = 0 }, { .num_cpus = 9 }, { .num_cpus = 1, .num_irqs = 48 },
		{ .num_cpus = 1, .num_irqs = 2048 }, { .num_cpus = 1, .num_irqs = 100 },
		{ .num_cpus = 1, .pribits = 4 }, { .num_cpus = 1, .pribits = 9 },
		{ .num_cpus = 2, .affinity = (const uint32_t[]){ 5, 5 } },
		{ .num_cpus = 1, .affinity = (const uint32_t[]){ 16 } },
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check(gicv3_create(&bad[i], &g2) == -EINVAL, "bad config %u accepted", i);
	struct gicv3_config big = { .num_cpus = 1, .num_irqs = 1024 };
	check(gicv3_create(&big, &g2) == 0, "1024 INTIDs");
	EQ(gicv3_set_spi(g2, 1019, true), 0);
	EQ(gicv3_set_spi(g2, 1020, true), (uint64_t)-EINVAL);
	gicv3_dist_write(g2, 0x100 + 31 * 4, 4, ~0u);
	EQ(gicv3_dist_read(g2, 0x100 + 31 * 4, 4), 0x0fffffff);
	gicv3_destroy(g2);
	/* Inputs. */
	EQ(gicv3_set_spi(gic, 5000, true), (uint64_t)-EINVAL);
	EQ(gicv3_set_spi(gic, 288, true), (uint64_t)-EINVAL);
	EQ(gicv3_set_spi(gic, 31, true), (uint64_t)-EINVAL);
	EQ(gicv3_set_ppi(gic, 2, 27, true), (uint64_t)-EINVAL);
	EQ(gicv3_set_ppi(gic, ~0u, 27, true), (uint64_t)-EINVAL);
	EQ(gicv3_set_ppi(gic, 0, 5, true), (uint64_t)-EINVAL);
	EQ(gicv3_set_ppi(gic, 0, 32, true), (uint64_t)-EINVAL);
	EQ(gicv3_pulse_spi(gic, 1u << 31), (uint64_t)-EINVAL);
	/* CPU interface: bad CPU, wrong direction, unimplemented. */
	uint64_t v;
	EQ(gicv3_cpuif_read(gic, 2, ICC_PMR_EL1, &v), (uint64_t)-EINVAL);
	EQ(gicv3_cpuif_write(gic, 99, ICC_PMR_EL1, 0), (uint64_t)-EINVAL);
	EQ(gicv3_cpuif_read(gic, 0, ICC_EOIR1_EL1, &v), (uint64_t)-EINVAL);
	EQ(gicv3_cpuif_read(gic, 0, ICC_SGI1R_EL1, &v), (uint64_t)-EINVAL);
	EQ(gicv3_cpuif_read(gic, 0, ICC_DIR_EL1, &v), (uint64_t)-EINVAL);
	EQ(gicv3_cpuif_write(gic, 0, ICC_IAR1_EL1, 0), (uint64_t)-EINVAL);
	EQ(gicv3_cpuif_write(gic, 0, ICC_RPR_EL1, 0), (uint64_t)-EINVAL);
	EQ(gicv3_cpuif_write(gic, 0, ICC_HPPIR0_EL1, 0), (uint64_t)-EINVAL);
	EQ(gicv3_cpuif_read(gic, 0, ICC_AP1R0_EL1 + 1, &v), (uint64_t)-EINVAL);
	EQ(gicv3_cpuif_write(gic, 0, ICC_AP0R0_EL1 + 3, 0), (uint64_t)-EINVAL);
	EQ(gicv3_cpuif_read(gic, 0, GICV3_ICC(12, 9, 5), &v), (uint64_t)-EINVAL); /* ICC_NMIAR1_EL1 */
	EQ(gicv3_cpuif_read(gic, 0, GICV3_ICC(12, 10, 0), &v), (uint64_t)-EINVAL);
	check(gicv3_is_cpuif_reg(ICC_PMR_EL1) && gicv3_is_cpuif_reg(ICC_SGI1R_EL1) &&
		      gicv3_is_cpuif_reg(ICC_IGRPEN1_EL1) && !gicv3_is_cpuif_reg(GICV3_ICC(12, 0, 0)) &&
		      !gicv3_is_cpuif_reg((uint16_t)(ICC_IAR1_EL1 | 6u << 11)),
	      "gicv3_is_cpuif_reg");
	/* EOIR / DIR with huge or special INTIDs: ignored. */
	enable_spi(40);
	gicv3_pulse_spi(gic, 40);
	EQ(icc_r(0, ICC_IAR1_EL1), 40);
	icc_w(0, ICC_EOIR1_EL1, 0xffffffffffffffffull);
	icc_w(0, ICC_EOIR1_EL1, 1023);
	icc_w(0, ICC_EOIR1_EL1, 5000);
	icc_w(0, ICC_EOIR1_EL1, 300);
	icc_w(0, ICC_DIR_EL1, 0xffffff);
	EQ(icc_r(0, ICC_RPR_EL1), 0xa0);
	EQ(spi_active(40), 1);
	icc_w(0, ICC_EOIR1_EL1, 40);
	EQ(spi_active(40), 0);
	/* MMIO: odd widths, misalignment, out of range, reserved. */
	uint32_t ctlr = r32(DIST);
	uint64_t x = 0x1234;
	check(mmio_bus_read(&bus, DIST, 2, &x) && x == 0, "16-bit read 0x%llx", (unsigned long long)x);
	mmio_bus_write(&bus, DIST, 2, 0);
	mmio_bus_write(&bus, DIST, 1, 0);
	mmio_bus_write(&bus, DIST, 8, 0);
	mmio_bus_write(&bus, DIST + 2, 4, 0);
	EQ(r32(DIST), ctlr);
	EQ(gicv3_dist_read(gic, 0, 1), 0);
	EQ(gicv3_dist_read(gic, 0, 8), 0);
	EQ(gicv3_dist_read(gic, 0x102, 4), 0);
	EQ(gicv3_dist_read(gic, 0x10000, 4), 0);
	EQ(gicv3_dist_read(gic, ~0ull - 3, 4), 0);
	EQ(gicv3_dist_read(gic, 0, 3), 0);
	gicv3_dist_write(gic, ~0ull - 3, 4, ~0u);
	gicv3_dist_write(gic, 0x10000, 8, ~0ull);
	gicv3_dist_write(gic, 0, 16, ~0ull);
	EQ(r32(DIST), ctlr);
	w32(DIST + 0x0f00, ~0u); /* GICD_SGIR: reserved with ARE */
	EQ(r32(DIST + 0x0f00), 0);
	w32(DIST + 0x9000, ~0u);
	EQ(r32(DIST + 0x9000), 0);
	/* Private-interrupt words of the distributor are RAZ/WI with ARE. */
	w32(DIST + 0x100, ~0u);
	EQ(r32(DIST + 0x100), 0);
	w8(DIST + 0x400, 0x80);
	EQ(r8(DIST + 0x400), 0);
	w64(DIST + 0x6000, 1);
	EQ(r64(DIST + 0x6000), 0);
	/* Unimplemented SPIs. */
	w32(DIST + 0x100 + 9 * 4, ~0u);
	EQ(r32(DIST + 0x100 + 9 * 4), 0);
	w8(DIST + 0x400 + 1019, 0x80);
	EQ(r8(DIST + 0x400 + 1019), 0);
	w64(DIST + 0x6000 + 8 * 1019, 1);
	EQ(r64(DIST + 0x6000 + 8 * 1019), 0);
	w32(DIST + 0xc00 + 63 * 4, ~0u);
	EQ(r32(DIST + 0xc00 + 63 * 4), 0);
	/* Redistributor: beyond the CPUs, bad widths, reserved. */
	EQ(gicv3_redist_read(gic, 2 * GICV3_REDIST_STRIDE, 4), 0);
	EQ(gicv3_redist_read(gic, 0x14, 8), 0);
	EQ(gicv3_redist_read(gic, 0x14, 1), 0);
	EQ(gicv3_redist_read(gic, 0x10000 + 0x100, 8), 0);
	gicv3_redist_write(gic, 2 * GICV3_REDIST_STRIDE + 0x14, 4, 2);
	gicv3_redist_write(gic, 0x14, 1, 2);
	EQ(r32(RD(0) + 0x14), 0);
	w32(RD(0) + 0x0, ~0u);
	EQ(r32(RD(0) + 0x0), 0); /* EnableLPIs cannot be set */
	w64(RD(0) + 0x70, ~0ull); /* PROPBASER: no LPIs */
	EQ(r64(RD(0) + 0x70), 0);
	w32(RD(0) + 0x1000, ~0u);
	EQ(r32(RD(0) + 0x1000), 0);
	w32(SGI(0) + 0x84, ~0u);
	EQ(r32(SGI(0) + 0x84), 0);
	EQ(r32(SGI(0) + 0xffe8), 0); /* ID registers only in RD_base */
	/* The state survived all of it. */
	gicv3_pulse_spi(gic, 40);
	EQ(icc_r(0, ICC_IAR1_EL1), 40);
	icc_w(0, ICC_EOIR1_EL1, 40);
	EQ(out.irq[0], 0);
}

static void test_snapshot(void)
{
	check_ctx = "snapshot";
	setup(2, 0, NULL);
	linux_init();
	enable_spi(40);
	enable_spi(45);
	set_prio(45, 0x60);
	w64(DIST + 0x6000 + 8 * 45, 1);
	gicv3_set_spi(gic, 40, true);
	EQ(icc_r(0, ICC_IAR1_EL1), 40);
	gicv3_pulse_spi(gic, 45);
	icc_w(1, ICC_SGI1R_EL1, 9ull << 24 | 1);
	icc_w(1, ICC_CTLR_EL1, 2);
	struct gicv3_state *st = malloc(sizeof(*st)), *st2 = malloc(sizeof(*st2));
	gicv3_save(gic, st);
	bool irq0 = out.irq[0], irq1 = out.irq[1];
	gicv3_set_ppi(gic, 1, 30, true);
	gicv3_reset(gic);
	EQ(r32(SGI(1) + 0x200), 1u << 30); /* line levels survive reset */
	gicv3_set_ppi(gic, 1, 30, false);
	EQ(r32(DIST), 0x50);
	EQ(r32(RD(0) + 0x14), 6);
	EQ(out.irq[0], 0);
	EQ(out.irq[1], 0);
	EQ(icc_r(0, ICC_RPR_EL1), 0xff);
	EQ(spi_pending(40), 1); /* the line is still high: kept across reset */
	EQ(gicv3_restore(gic, st), 0);
	EQ(out.irq[0], irq0);
	EQ(out.irq[1], irq1);
	EQ(out.irq[1], 1);
	EQ(icc_r(0, ICC_RPR_EL1), 0xa0);
	EQ(r64(DIST + 0x6000 + 8 * 45), 1);
	EQ(icc_r(1, ICC_CTLR_EL1) & 3, 2);
	EQ(icc_r(1, ICC_IAR1_EL1), 45);
	gicv3_save(gic, st2);
	/* Geometry mismatch. */
	st->num_cpus = 3;
	EQ(gicv3_restore(gic, st), (uint64_t)-EINVAL);
	st->num_cpus = 2;
	st->version = 99;
	EQ(gicv3_restore(gic, st), (uint64_t)-EINVAL);
	/* Garbage body: accepted, masked into range. */
	memset(st, 0xff, sizeof(*st));
	st->version = GICV3_STATE_VERSION;
	st->num_cpus = 2;
	st->num_irqs = GICV3_VIRT_NUM_IRQS;
	st->pribits = 5;
	EQ(gicv3_restore(gic, st), 0);
	EQ(icc_r(0, ICC_PMR_EL1), 0xf8);
	EQ(icc_r(0, ICC_BPR0_EL1), 7);
	EQ(icc_r(0, ICC_RPR_EL1), 0);
	EQ(r32(DIST), 0x53);
	EQ(r32(DIST + 0x100 + 9 * 4), 0);
	EQ(r64(DIST + 0x6000 + 8 * 100), 0xff00ffffffull);
	EQ(r32(SGI(0) + 0xc00), 0xaaaaaaaa);
	/* Everything active: IAR finds nothing, EOIs unwind it. */
	EQ(icc_r(0, ICC_IAR1_EL1), 1023);
	icc_w(0, ICC_CTLR_EL1, 0);
	for (unsigned i = 0; i < 64; i++)
		icc_w(0, i & 1 ? ICC_EOIR1_EL1 : ICC_EOIR0_EL1, 32);
	EQ(icc_r(0, ICC_RPR_EL1), 0xff);
	EQ(gicv3_restore(gic, st2), 0);
	gicv3_save(gic, st);
	check(memcmp(st, st2, sizeof(*st)) == 0, "save after restore differs");
	free(st);
	free(st2);
}

/* A device thread pulses an edge SPI, waiting for each to be acknowledged;
 * the vCPU thread acknowledges them; another line toggles meanwhile. */
#define NPULSE 3000u
static atomic_uint acked;
static atomic_bool stop;
static void *producer(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < NPULSE && !atomic_load(&stop); i++) {
		while (atomic_load(&acked) < i && !atomic_load(&stop))
			sched_yield();
		gicv3_set_spi(gic, 60, true);
		gicv3_set_spi(gic, 60, false);
		gicv3_set_ppi(gic, 1, 27, i & 1);
	}
	return NULL;
}

static void test_threads(void)
{
	check_ctx = "threads";
	setup(2, 0, NULL);
	linux_init();
	w32(DIST + 0xc00 + 60 / 16 * 4, 2u << (2 * (60 % 16)));
	enable_spi(60);
	atomic_store(&acked, 0);
	atomic_store(&stop, false);
	pthread_t t;
	pthread_create(&t, NULL, producer, NULL);
	time_t deadline = time(NULL) + 60;
	while (atomic_load(&acked) < NPULSE) {
		uint64_t id;
		gicv3_cpuif_read(gic, 0, ICC_IAR1_EL1, &id);
		if (id == 1023) {
			if (time(NULL) > deadline) {
				check(false, "stuck after %u acknowledgements", atomic_load(&acked));
				break;
			}
			sched_yield();
			continue;
		}
		if (id != 60) {
			check(false, "IAR returned %llu", (unsigned long long)id);
			break;
		}
		gicv3_cpuif_write(gic, 0, ICC_EOIR1_EL1, id);
		atomic_fetch_add(&acked, 1);
	}
	atomic_store(&stop, true);
	pthread_join(t, NULL);
	EQ(atomic_load(&acked), NPULSE);
	EQ(out.irq[0], 0);
	EQ(icc_r(0, ICC_RPR_EL1), 0xff);
}

static void test_v2m(void)
{
	check_ctx = "gicv2m";
	setup(2, 0, NULL);
	linux_init();
	struct gicv2m m, bad;
	check(gicv2m_init(&bad, gic, 31, 4) == -EINVAL, "v2m below the SPIs");
	check(gicv2m_init(&bad, gic, 280, 9) == -EINVAL, "v2m past the SPIs");
	check(gicv2m_init(&bad, gic, 280, 0) == -EINVAL, "v2m empty");
	check(gicv2m_init(&bad, gic, 280, ~0u) == -EINVAL, "v2m huge");
	check(gicv2m_init(&m, gic, GICV2M_VIRT_SPI_BASE, GICV2M_VIRT_SPI_COUNT) == 0, "v2m init");
	check(gicv2m_map(&m, &bus, GICV2M_VIRT_BASE) == 0, "v2m map");
	uint64_t f = GICV2M_VIRT_BASE;
	EQ(r32(f + GICV2M_MSI_TYPER), 80u << 16 | 64);
	EQ(r32(f + GICV2M_MSI_IIDR) & 0xfff, 0x43b);
	/* What Linux's gicv2m does: the SPI is edge-triggered, data = INTID. */
	w32(DIST + 0xc00 + 85 / 16 * 4, 2u << (2 * (85 % 16)));
	enable_spi(85);
	w32(f + GICV2M_MSI_SETSPI_NS, 85);
	EQ(spi_pending(85), 1);
	EQ(out.irq[0], 1);
	EQ(icc_r(0, ICC_IAR1_EL1), 85);
	icc_w(0, ICC_EOIR1_EL1, 85);
	EQ(out.irq[0], 0);
	/* Hostile: out-of-range INTIDs, other widths, other offsets. */
	enable_spi(79);
	enable_spi(144);
	w32(f + GICV2M_MSI_SETSPI_NS, 79);
	w32(f + GICV2M_MSI_SETSPI_NS, 144);
	w32(f + GICV2M_MSI_SETSPI_NS, ~0u);
	w64(f + GICV2M_MSI_SETSPI_NS, 85);
	mmio_bus_write(&bus, f + GICV2M_MSI_SETSPI_NS, 2, 85);
	w32(f + 0x44, 85);
	w32(f + GICV2M_MSI_TYPER, 0);
	EQ(r32(f + GICV2M_MSI_TYPER), 80u << 16 | 64);
	EQ(r32(f + GICV2M_MSI_SETSPI_NS), 0);
	EQ(r32(f + 0xffc), 0);
	EQ(spi_pending(79), 0);
	EQ(spi_pending(144), 0);
	EQ(spi_pending(85), 0);
	EQ(out.irq[0], 0);
}

int main(void)
{
	test_ids();
	test_spi_level();
	test_spi_edge();
	test_eoimode();
	test_sgi();
	test_priority();
	test_group0();
	test_ppi();
	test_hostile();
	test_snapshot();
	test_threads();
	test_v2m();
	gicv3_destroy(gic);
	mmio_bus_destroy(&bus);
	return check_summary();
}
