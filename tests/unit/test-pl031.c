/* Unit test of the PL031 RTC model (DDI0224) on a fake host clock: the
 * counter, LR loading, the match interrupt (tick onto MR, clock jump over
 * MR, LR = MR, MR = counter, masking, ICR), the deadline, save/restore
 * validation, a stopped counter restored and started, and the timer thread
 * on the real clock. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hw/pl031.h"
#include "check.h"

#define NS 1000000000ll

static int64_t fake_now;
static int64_t fake_clock(void *opaque) { return fake_now; }

static _Atomic bool irq; /* the timer thread sets it */
static _Atomic unsigned irq_changes;
static void irq_cb(void *opaque, unsigned n, bool level)
{
	irq = level;
	irq_changes++;
}

static uint32_t rd(struct pl031 *d, uint64_t off) { return (uint32_t)pl031_read(d, off, 4); }
static void wr(struct pl031 *d, uint64_t off, uint32_t v) { pl031_write(d, off, 4, v); }

static void setup(struct pl031 *d)
{
	irq = false;
	irq_changes = 0;
	struct pl031_config cfg = { .irq = { irq_cb, NULL, 2 }, .now_ns = fake_clock };
	EQ(pl031_init(d, &cfg), 0);
}

static void test_regs(void)
{
	struct pl031 d;
	fake_now = 1700000000ll * NS + 300000000; /* .3 s into a second */
	setup(&d);
	EQ(rd(&d, PL031_DR), 1700000000u);
	EQ(rd(&d, PL031_CR), 1);
	EQ(rd(&d, PL031_MR), 0);
	EQ(rd(&d, PL031_LR), 0);
	EQ(rd(&d, PL031_IMSC), 0);
	EQ(rd(&d, PL031_RIS), 0);
	EQ(rd(&d, PL031_MIS), 0);
	static const uint8_t id[8] = { 0x31, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };
	for (unsigned i = 0; i < 8; i++)
		EQ(rd(&d, 0xfe0 + 4 * i), id[i]);
	EQ(rd(&d, 0x020), 0);
	EQ(pl031_read(&d, PL031_DR, 2), 0); /* 32-bit only */
	EQ(pl031_mmio_ops.widths, MMIO_W32);

	fake_now += 700000000; /* the next host second */
	EQ(rd(&d, PL031_DR), 1700000001u);
	wr(&d, PL031_DR, 5); /* read-only */
	EQ(rd(&d, PL031_DR), 1700000001u);
	/* LR sets the counter; ticks stay on host second boundaries. */
	fake_now += 500000000;
	wr(&d, PL031_LR, 1000);
	EQ(rd(&d, PL031_LR), 1000);
	EQ(rd(&d, PL031_DR), 1000);
	fake_now += 499999999;
	EQ(rd(&d, PL031_DR), 1000);
	fake_now += 1;
	EQ(rd(&d, PL031_DR), 1001);
	/* CR start is sticky. */
	wr(&d, PL031_CR, 0);
	EQ(rd(&d, PL031_CR), 1);
	fake_now += NS;
	EQ(rd(&d, PL031_DR), 1002);
	/* Wrap-around of the 32-bit counter. */
	wr(&d, PL031_LR, 0xffffffffu);
	fake_now += NS;
	EQ(rd(&d, PL031_DR), 0);
	pl031_reset(&d);
	EQ(rd(&d, PL031_DR), (uint32_t)(fake_now / NS));
	EQ(rd(&d, PL031_LR), 0);
	pl031_destroy(&d);
}

static void test_match(void)
{
	struct pl031 d;
	fake_now = 1000 * NS;
	setup(&d);
	EQ(pl031_deadline_ns(&d), INT64_MAX); /* masked */
	wr(&d, PL031_MR, 1003);
	wr(&d, PL031_IMSC, 1);
	EQ(pl031_deadline_ns(&d), 1003 * NS);
	fake_now = 1002 * NS + NS - 1;
	pl031_poll(&d);
	EQ(rd(&d, PL031_RIS), 0);
	CHECK(!irq, "early");
	fake_now = 1003 * NS;
	pl031_poll(&d);
	CHECK(irq, "match at 1003");
	EQ(rd(&d, PL031_RIS), 1);
	EQ(rd(&d, PL031_MIS), 1);
	EQ(pl031_deadline_ns(&d), INT64_MAX); /* pending */
	wr(&d, PL031_ICR, 1);
	CHECK(!irq, "cleared");
	EQ(rd(&d, PL031_RIS), 0);
	fake_now += 3 * NS;
	pl031_poll(&d);
	CHECK(!irq, "no second match without reaching MR again");
	/* A host clock jump over MR matches. */
	wr(&d, PL031_MR, 2000);
	fake_now = 5000 * NS;
	EQ(rd(&d, PL031_RIS), 1); /* evaluated on access */
	CHECK(irq, "jump over MR");
	wr(&d, PL031_ICR, 1);
	/* A backward jump does not. */
	wr(&d, PL031_MR, 4000);
	fake_now = 3000 * NS;
	pl031_poll(&d);
	EQ(rd(&d, PL031_RIS), 0);
	fake_now = 3999 * NS;
	pl031_poll(&d);
	EQ(rd(&d, PL031_RIS), 0);
	fake_now = 4000 * NS + 1;
	pl031_poll(&d);
	EQ(rd(&d, PL031_RIS), 1);
	wr(&d, PL031_ICR, 1);
	/* Masked: RIS still records, the line stays low. */
	wr(&d, PL031_IMSC, 0);
	wr(&d, PL031_LR, 77);
	wr(&d, PL031_MR, 78);
	fake_now += NS;
	EQ(rd(&d, PL031_RIS), 1);
	EQ(rd(&d, PL031_MIS), 0);
	CHECK(!irq, "masked");
	wr(&d, PL031_IMSC, 1);
	CHECK(irq, "unmasked pending");
	wr(&d, PL031_ICR, 1);
	CHECK(!irq, "cleared");
	/* LR loading the match value, and MR written with the counter value. */
	wr(&d, PL031_LR, 500);
	EQ(rd(&d, PL031_RIS), 0);
	wr(&d, PL031_LR, 78);
	EQ(rd(&d, PL031_RIS), 1);
	wr(&d, PL031_ICR, 1);
	wr(&d, PL031_MR, rd(&d, PL031_DR));
	EQ(rd(&d, PL031_RIS), 1);
	wr(&d, PL031_ICR, 1);
	/* Matched this second and cleared: the next time is 2^32 s away. */
	EQ(pl031_deadline_ns(&d), (fake_now / NS + (1ll << 32)) * NS);
	pl031_destroy(&d);
}

static void test_save_restore(void)
{
	struct pl031 a, b;
	fake_now = 10000 * NS;
	setup(&a);
	wr(&a, PL031_LR, 123456);
	wr(&a, PL031_MR, 123460);
	wr(&a, PL031_IMSC, 1);
	struct pl031_state s;
	pl031_save(&a, &s);
	EQ(s.version, PL031_STATE_VERSION);
	setup(&b);
	EQ(pl031_restore(&b, &s), 0);
	EQ(rd(&b, PL031_DR), 123456);
	EQ(rd(&b, PL031_MR), 123460);
	EQ(rd(&b, PL031_LR), 123456);
	fake_now += 4 * NS;
	pl031_poll(&b);
	CHECK(irq, "restored alarm fires");
	struct pl031_state bad = s;
	bad.version = 2;
	EQ(pl031_restore(&b, &bad), -EINVAL);
	bad = s;
	bad.size = 1;
	EQ(pl031_restore(&b, &bad), -EINVAL);
	bad = s;
	bad.regs.cr = 3;
	EQ(pl031_restore(&b, &bad), -EINVAL);
	bad = s;
	bad.regs.imsc = 2;
	EQ(pl031_restore(&b, &bad), -EINVAL);
	bad = s;
	bad.regs.ris = 0x80000000u;
	EQ(pl031_restore(&b, &bad), -EINVAL);
	EQ(rd(&b, PL031_RIS), 1); /* untouched */
	/* A stopped counter holds its value; LR loads it; CR starts it. */
	bad = s;
	bad.regs.cr = 0;
	bad.regs.held = 42;
	bad.regs.last_dr = 42;
	bad.regs.ris = 0;
	EQ(pl031_restore(&b, &bad), 0);
	EQ(rd(&b, PL031_CR), 0);
	fake_now += 10 * NS;
	EQ(rd(&b, PL031_DR), 42);
	wr(&b, PL031_LR, 50);
	EQ(rd(&b, PL031_DR), 50);
	EQ(pl031_deadline_ns(&b), INT64_MAX);
	wr(&b, PL031_CR, 1);
	EQ(rd(&b, PL031_CR), 1);
	EQ(rd(&b, PL031_DR), 50);
	fake_now += NS;
	EQ(rd(&b, PL031_DR), 51);
	pl031_destroy(&a);
	pl031_destroy(&b);
}

static void test_thread(void)
{
	struct pl031 d;
	irq = false;
	struct pl031_config cfg = { .irq = { irq_cb, NULL, 2 }, .timer_thread = true };
	EQ(pl031_init(&d, &cfg), 0);
	uint32_t before = (uint32_t)time(NULL);
	uint32_t now = rd(&d, PL031_DR);
	uint32_t after = (uint32_t)time(NULL);
	CHECK(now >= before - 1 && now <= after + 1, "DR %u is host time (%u..%u)", now, before, after);
	wr(&d, PL031_MR, now + 1);
	wr(&d, PL031_IMSC, 1);
	/* Without any further access, the thread raises the line within ~1 s. */
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		struct timespec ms = { 0, 10000000 };
		nanosleep(&ms, NULL);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (!irq && t.tv_sec - t0.tv_sec < 20); /* generous: CI machines stall */
	CHECK(irq, "timer thread raised the match interrupt");
	pl031_destroy(&d);
}

int main(void)
{
	test_regs();
	test_match();
	test_save_restore();
	test_thread();
	return check_summary();
}
