/* The device interface (src/hw/device.h) of every device: through its
 * device_ops, reset gives exactly a freshly created device (the GIC: every
 * CPU interface and redistributor too, input levels kept) with its output
 * lines low; save/load round-trips and refuses a wrong length or version;
 * PL031's quiesce stops its timer thread from driving the line until
 * resume, and reset keeps that thread working; a device_list resets and
 * destroys them all (under ASan: nothing leaks or is used after free). */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "hw/device.h"
#include "hw/gic/gicv2m.h"
#include "hw/gic/gicv3.h"
#include "hw/pl011.h"
#include "hw/pl031.h"
#include "hw/testdev.h"

#define NS 1000000000ll

static _Atomic int64_t fake_now = 1700000000ll * NS;
static int64_t fake_clock(void *opaque)
{
	(void)opaque;
	return atomic_load(&fake_now);
}

static _Atomic bool line[4];
static void line_set(void *opaque, unsigned n, bool level)
{
	(void)opaque;
	atomic_store(&line[n], level);
}

static bool irq_out[GICV3_MAX_CPUS], fiq_out[GICV3_MAX_CPUS];
static void cpu_irq(void *opaque, unsigned cpu, bool irq, bool fiq)
{
	(void)opaque;
	irq_out[cpu] = irq;
	fiq_out[cpu] = fiq;
}

/* save through the ops into a fresh buffer */
static void *save(const struct device_ops *ops, void *dev, size_t *len)
{
	*len = ops->state_size(dev);
	void *b = malloc(*len + 1);
	EQ(ops->save(dev, (char *)b + 1, *len), 0); /* unaligned on purpose */
	memmove(b, (char *)b + 1, *len);
	return b;
}

static void test_roundtrip(const struct device_ops *ops, void *dev, const char *what)
{
	check_ctx = what;
	size_t len;
	void *a = save(ops, dev, &len);
	EQ(ops->save(dev, a, len - 1), -EINVAL);
	EQ(ops->load(dev, a, len + 1, ops->state_version), -EINVAL);
	EQ(ops->load(dev, a, len, ops->state_version + 1), -EINVAL);
	EQ(ops->load(dev, a, len, ops->state_version), 0);
	size_t len2;
	void *b = save(ops, dev, &len2);
	CHECK(len == len2 && !memcmp(a, b, len), "save -> load -> save is the identity");
	free(a);
	free(b);
}

static void test_gic(void)
{
	check_ctx = "gicv3 reset";
	struct gicv3 *g, *fresh;
	struct gicv3_config c = { .num_cpus = 4, .cpu_irq = cpu_irq };
	EQ(gicv3_create(&c, &g), 0);
	c.cpu_irq = NULL;
	EQ(gicv3_create(&c, &fresh), 0);
	/* Dirty everything a guest can: distributor, each redistributor and CPU interface. */
	gicv3_dist_write(g, 0x0000, 4, 3);                    /* GICD_CTLR: both groups */
	gicv3_dist_write(g, 0x0084, 4, ~0u);                  /* IGROUPR1 */
	gicv3_dist_write(g, 0x0104, 4, ~0u);                  /* ISENABLER1 */
	gicv3_dist_write(g, 0x0420, 1, 0x80);                 /* IPRIORITYR */
	gicv3_dist_write(g, 0x6100, 8, 1);                    /* IROUTER32 -> CPU 1 */
	gicv3_dist_write(g, 0x0c08, 4, 0xaaaaaaaau);          /* ICFGR2: edge */
	gicv3_set_spi(g, 33, true);
	gicv3_set_ppi(g, 2, 27, true);
	for (unsigned cpu = 0; cpu < 4; cpu++) {
		uint64_t rd = (uint64_t)cpu * GICV3_REDIST_STRIDE;
		gicv3_redist_write(g, rd + 0x14, 4, 0);               /* GICR_WAKER: awake */
		gicv3_redist_write(g, rd + 0x10000 + 0x100, 4, ~0u);  /* ISENABLER0 */
		gicv3_redist_write(g, rd + 0x10000 + 0x80, 4, ~0u);   /* IGROUPR0 */
		gicv3_cpuif_write(g, cpu, ICC_PMR_EL1, 0xf0);
		gicv3_cpuif_write(g, cpu, ICC_IGRPEN1_EL1, 1);
		gicv3_cpuif_write(g, cpu, ICC_BPR1_EL1, 4);
		gicv3_cpuif_write(g, cpu, ICC_CTLR_EL1, 2);
		gicv3_cpuif_write(g, cpu, ICC_SGI1R_EL1, (uint64_t)1 << 24 | (1u << cpu)); /* SGI 1 to itself */
		uint64_t iar;
		if (cpu < 3) /* an active priority; CPU 3 keeps its SGI pending */
			gicv3_cpuif_read(g, cpu, ICC_IAR1_EL1, &iar);
	}
	bool any = false;
	for (unsigned cpu = 0; cpu < 4; cpu++)
		any |= irq_out[cpu];
	CHECK(any, "the dirtied GIC signals something");
	gicv3_device_ops.reset(g);
	struct gicv3_state *s0 = malloc(sizeof(*s0)), *s1 = malloc(sizeof(*s1));
	gicv3_save(fresh, s0);
	gicv3_save(g, s1);
	/* the input levels stay (the devices own their lines) */
	s0->spi[1].level = s1->spi[1].level;
	for (unsigned cpu = 0; cpu < GICV3_MAX_CPUS; cpu++)
		s0->cpu[cpu].ppi.level = s1->cpu[cpu].ppi.level;
	CHECK(!memcmp(s0, s1, sizeof(*s0)), "reset = a fresh GIC with the same input levels");
	CHECK(s1->spi[1].level == 2 && s1->cpu[2].ppi.level == 1u << 27, "levels kept");
	for (unsigned cpu = 0; cpu < 4; cpu++)
		CHECK(!irq_out[cpu] && !fiq_out[cpu], "CPU %u's outputs low after reset", cpu);
	test_roundtrip(&gicv3_device_ops, g, "gicv3 save/load");
	free(s0);
	free(s1);
	gicv3_destroy(fresh);
	gicv3_device_ops.destroy(g);
	CHECK(gicv2m_device_ops.type && !gicv2m_device_ops.save, "gicv2m: stateless");
}

static void test_pl011(void)
{
	check_ctx = "pl011 reset";
	struct pl011 *u = calloc(1, sizeof(*u)), fresh;
	struct pl011_config c = { .irq = { line_set, NULL, 1 } };
	pl011_init(u, &c);
	pl011_init(&fresh, NULL);
	pl011_write(u, PL011_IMSC, 4, PL011_INT_ALL);
	pl011_write(u, PL011_LCR_H, 4, 0x70);
	pl011_write(u, PL011_IBRD, 4, 13);
	pl011_receive(u, (const uint8_t *)"abc", 3);
	CHECK(atomic_load(&line[1]), "the UART interrupts");
	test_roundtrip(&pl011_device_ops, u, "pl011 save/load");
	pl011_device_ops.reset(u);
	struct pl011_state a, b;
	pl011_save(&fresh, &a);
	pl011_save(u, &b);
	check_ctx = "pl011 reset";
	CHECK(!memcmp(&a, &b, sizeof(a)), "reset = a fresh UART");
	CHECK(!atomic_load(&line[1]), "line low");
	pl011_destroy(&fresh);
	pl011_device_ops.destroy(u);
}

static bool wait_line(unsigned n, bool level)
{
	for (int i = 0; i < 20000; i++) { /* 20 s: only a broken thread gets there */
		if (atomic_load(&line[n]) == level)
			return true;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
	return false;
}

static void test_pl031(void)
{
	check_ctx = "pl031";
	struct pl031 *r = calloc(1, sizeof(*r));
	struct pl031_config c = { .irq = { line_set, NULL, 2 }, .now_ns = fake_clock, .timer_thread = true };
	EQ(pl031_init(r, &c), 0);
	uint32_t dr = (uint32_t)pl031_read(r, PL031_DR, 4);
	pl031_write(r, PL031_MR, 4, dr + 2);
	pl031_write(r, PL031_IMSC, 4, 1);
	test_roundtrip(&pl031_device_ops, r, "pl031 save/load");
	check_ctx = "pl031";
	/* quiesced: the timer thread does not raise the match (no register access here) */
	pl031_device_ops.quiesce(r);
	atomic_fetch_add(&fake_now, 3 * NS);
	pl031_device_ops.quiesce(r); /* twice: harmless */
	for (int i = 0; i < 5; i++) { /* wake the thread as a register change would */
		pthread_mutex_lock(&r->lock);
		pthread_cond_signal(&r->wake);
		pthread_mutex_unlock(&r->lock);
		struct timespec ts = { 0, 10000000 };
		nanosleep(&ts, NULL);
	}
	CHECK(!atomic_load(&line[2]), "no interrupt while quiesced");
	pl031_device_ops.resume(r);
	CHECK(wait_line(2, true), "the timer thread raises the match after resume");
	/* reset: line low, registers fresh, and the thread still arms alarms */
	pl031_device_ops.reset(r);
	CHECK(!atomic_load(&line[2]), "line low after reset");
	EQ(pl031_read(r, PL031_IMSC, 4), 0);
	EQ(pl031_read(r, PL031_CR, 4), 1);
	dr = (uint32_t)pl031_read(r, PL031_DR, 4);
	pl031_write(r, PL031_MR, 4, dr + 1);
	pl031_write(r, PL031_IMSC, 4, 1);
	atomic_fetch_add(&fake_now, NS);
	/* the thread sleeps on the real clock until the fake deadline: poke it */
	pl031_device_ops.quiesce(r);
	pl031_device_ops.resume(r);
	CHECK(wait_line(2, true), "an alarm after reset");
	pl031_device_ops.destroy(r);
}

static void test_list(void)
{
	check_ctx = "list";
	struct device_list l = { 0 };
	struct testdev *t = calloc(1, sizeof(*t));
	testdev_init(t);
	struct pl031 *r = calloc(1, sizeof(*r));
	struct pl031_config rc = { .irq = { line_set, NULL, 3 }, .now_ns = fake_clock, .timer_thread = true };
	EQ(pl031_init(r, &rc), 0);
	struct gicv3 *g;
	struct gicv3_config gc = { .num_cpus = 2 };
	EQ(gicv3_create(&gc, &g), 0);
	EQ(device_list_add(&l, &testdev_device_ops, t, "testdev"), 0);
	EQ(device_list_add(&l, &pl031_device_ops, r, NULL), 0);
	EQ(device_list_add(&l, &gicv3_device_ops, g, "gicv3"), 0);
	CHECK(device_list_find(&l, "pl031") && device_list_find(&l, "pl031")->opaque == r, "named by type");
	testdev_write(t, 0x10, 4, 7);
	EQ(testdev_read(t, TESTDEV_REG_COUNT, 8), 1);
	device_list_reset(&l);
	EQ(testdev_read(t, TESTDEV_REG_COUNT, 8), 0);
	EQ(t->total, 1); /* the host's statistic survives */
	CHECK(!testdev_device_ops.save, "testdev: no snapshot");
	device_list_destroy(&l);
	EQ(l.n, 0);
}

int main(void)
{
	test_gic();
	test_pl011();
	test_pl031();
	test_list();
	return check_summary();
}
