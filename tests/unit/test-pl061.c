/* Unit test of the PL061 GPIO model against its TRM (DDI0190): reset
 * values and the PrimeCell IDs, GPIODATA address masking on reads and
 * writes (outputs only written), direction, edge interrupts (rising,
 * falling, both: IBE overrides IEV), level interrupts (high, low; IC does not
 * clear them), IE masking into MIS and GPIOINTR, IC clearing an edge, an
 * edge made by a direction change, undefined offsets, reset keeping the
 * input wires, and the power button's line 3 as virt wires it. */
#include <stdio.h>
#include <string.h>

#include "hw/pl061.h"
#include "check.h"

static bool intr;
static unsigned intr_changes;
static void irq_cb(void *opaque, unsigned n, bool level)
{
	(void)opaque, (void)n;
	intr = level;
	intr_changes++;
}

static uint8_t outs[8];
static void out_cb(void *opaque, unsigned line, bool level)
{
	(void)opaque;
	outs[line] = level;
}

static uint32_t rd(struct pl061 *d, uint64_t off) { return (uint32_t)pl061_read(d, off, 4); }
static void wr(struct pl061 *d, uint64_t off, uint32_t v) { pl061_write(d, off, 4, v); }

static void setup(struct pl061 *d)
{
	intr = false;
	intr_changes = 0;
	memset(outs, 0, sizeof(outs));
	struct pl061_config c = { .irq = { irq_cb, NULL, 7 }, .out = out_cb };
	pl061_init(d, &c);
}

static void test_reset_ids(void)
{
	struct pl061 d;
	setup(&d);
	static const uint32_t id[8] = { 0x61, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };
	for (unsigned i = 0; i < 8; i++)
		EQ(rd(&d, 0xfe0 + 4 * i), id[i]);
	for (uint64_t off = 0x400; off <= 0x420; off += 4)
		EQ(rd(&d, off), 0);
	EQ(rd(&d, 0x3fc), 0);
	EQ(rd(&d, 0x424), 0); /* undefined: reads 0 */
	wr(&d, 0x800, 0xff);  /* ignored */
	EQ(rd(&d, 0x800), 0);
	pl061_destroy(&d);
}

static void test_data_masking(void)
{
	struct pl061 d;
	setup(&d);
	wr(&d, PL061_DIR, 0x0f); /* lines 0-3 outputs */
	wr(&d, 0x3fc, 0xff);     /* all bits unmasked: only outputs change */
	EQ(rd(&d, 0x3fc), 0x0f);
	EQ(outs[0] && outs[3] && !outs[4], 1);
	wr(&d, 0x3fc, 0x00);
	wr(&d, 0x1 << 2 | 0x4 << 2, 0xff); /* mask 0x05: lines 0 and 2 */
	EQ(rd(&d, 0x3fc), 0x05);
	EQ(rd(&d, 0x4 << 2), 0x04); /* read mask 0x04 */
	EQ(rd(&d, 0x2 << 2), 0x00);
	pl061_set_input(&d, 5, true); /* input line 5 */
	pl061_set_input(&d, 1, true); /* line 1 is an output: the input does not show */
	EQ(rd(&d, 0x3fc), 0x25);
	EQ(rd(&d, 0x20 << 2), 0x20);
	pl061_set_input(&d, 9, true); /* no such line */
	EQ(rd(&d, 0x3fc), 0x25);
	pl061_destroy(&d);
}

static void test_edges(void)
{
	struct pl061 d;
	setup(&d);
	wr(&d, PL061_IEV, 0x01); /* line 0 rising, line 1 falling, line 2 both */
	wr(&d, PL061_IBE, 0x04);
	pl061_set_input(&d, 0, true);
	pl061_set_input(&d, 1, true);
	pl061_set_input(&d, 2, true);
	EQ(rd(&d, PL061_RIS), 0x05); /* rising on 0, both on 2; 1 waits for a fall */
	EQ(rd(&d, PL061_MIS), 0);
	EQ(intr, false);              /* masked */
	wr(&d, PL061_IE, 0x07);
	EQ(rd(&d, PL061_MIS), 0x05);
	EQ(intr, true);
	wr(&d, PL061_IC, 0x05);
	EQ(rd(&d, PL061_RIS), 0);
	EQ(intr, false);
	pl061_set_input(&d, 0, false); /* a fall: line 0 only wants rises */
	pl061_set_input(&d, 1, false);
	pl061_set_input(&d, 2, false);
	EQ(rd(&d, PL061_RIS), 0x06);
	wr(&d, PL061_IC, 0x02);
	EQ(rd(&d, PL061_RIS), 0x04);
	wr(&d, PL061_IC, 0xff);
	pl061_set_input(&d, 0, false); /* no change, no edge */
	EQ(rd(&d, PL061_RIS), 0);
	/* An output going high is an edge too. */
	wr(&d, PL061_IEV, 0x09);
	wr(&d, PL061_IE, 0x08);
	wr(&d, PL061_DIR, 0x08);
	wr(&d, 0x8 << 2, 0x08);
	EQ(rd(&d, PL061_RIS), 0x08);
	EQ(intr, true);
	pl061_destroy(&d);
}

static void test_levels(void)
{
	struct pl061 d;
	setup(&d);
	wr(&d, PL061_IS, 0x03);  /* lines 0, 1 level */
	wr(&d, PL061_IEV, 0x01); /* 0: high, 1: low */
	EQ(rd(&d, PL061_RIS), 0x02); /* line 1 is low now */
	wr(&d, PL061_IE, 0x03);
	EQ(intr, true);
	wr(&d, PL061_IC, 0x03); /* IC does not clear a level */
	EQ(rd(&d, PL061_RIS), 0x02);
	pl061_set_input(&d, 1, true);
	EQ(rd(&d, PL061_RIS), 0x00);
	EQ(intr, false);
	pl061_set_input(&d, 0, true);
	EQ(rd(&d, PL061_RIS), 0x01);
	EQ(intr, true);
	pl061_set_input(&d, 0, false);
	EQ(intr, false);
	pl061_destroy(&d);
}

static void test_reset_and_button(void)
{
	struct pl061 d;
	setup(&d);
	wr(&d, PL061_DIR, 0xf0);
	wr(&d, PL061_IE, 0xff);
	wr(&d, PL061_AFSEL, 0x11);
	EQ(rd(&d, PL061_AFSEL), 0x11);
	pl061_set_input(&d, 2, true);
	pl061_reset(&d);
	for (uint64_t off = 0x400; off <= 0x420; off += 4)
		EQ(rd(&d, off), 0);
	EQ(rd(&d, 0x3fc), 0x04); /* the input wire is still high */
	EQ(intr, false);
	/* Linux's gpio-keys on line 3: both edges, unmasked; a press and a
	 * release are two interrupts, each cleared by IC. */
	wr(&d, PL061_IBE, 0x08);
	wr(&d, PL061_IE, 0x08);
	unsigned before = intr_changes;
	pl061_set_input(&d, 3, true);
	EQ(intr, true);
	EQ(rd(&d, 0x8 << 2), 0x08);
	wr(&d, PL061_IC, 0x08);
	EQ(intr, false);
	pl061_set_input(&d, 3, false);
	EQ(intr, true);
	wr(&d, PL061_IC, 0x08);
	EQ(intr, false);
	EQ(intr_changes - before, 4);
	pl061_destroy(&d);
}

int main(void)
{
	test_reset_ids();
	test_data_masking();
	test_edges();
	test_levels();
	test_reset_and_button();
	return check_summary();
}
