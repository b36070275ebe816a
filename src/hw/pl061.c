/* Arm PrimeCell GPIO PL061 (DDI0190); the model is described in pl061.h. */
#include "hw/pl061.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hw/device.h"
#include "machine/fdt.h"

#define KEY_POWER 116 /* Linux input-event-codes.h */

static const uint8_t pl061_id[8] = { 0x61, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

static uint8_t line_values(const struct pl061 *d)
{
	return (uint8_t)((d->data & d->dir) | (d->in & ~d->dir));
}

/* Detect edges since the last evaluation, refresh level status, drive
 * GPIOINTR and the outputs. Under the lock. */
static void update(struct pl061 *d)
{
	uint8_t now = line_values(d), changed = now ^ d->lines;
	uint8_t edge = (uint8_t)~d->is;
	/* Both edges, or the one IEV selects (1: rising). */
	uint8_t rising = changed & now, falling = changed & ~now;
	uint8_t hit = (uint8_t)((changed & d->ibe) | (rising & d->iev & ~d->ibe) | (falling & ~d->iev & ~d->ibe));
	d->ris |= hit & edge;
	/* Level: status is the line matching IEV (1: high). */
	uint8_t level = (uint8_t)~(now ^ d->iev);
	d->ris = (uint8_t)((d->ris & edge) | (level & d->is));
	d->lines = now;
	bool irq = (d->ris & d->ie) != 0;
	if (irq != d->irq_level) {
		d->irq_level = irq;
		irq_set(&d->cfg.irq, irq);
	}
	uint8_t outs = d->data & d->dir;
	if (d->cfg.out && outs != d->out_seen)
		for (unsigned i = 0; i < 8; i++)
			if ((outs ^ d->out_seen) & (1u << i))
				d->cfg.out(d->cfg.out_opaque, i, (outs >> i) & 1);
	d->out_seen = outs;
}

void pl061_init(struct pl061 *d, const struct pl061_config *cfg)
{
	memset(d, 0, sizeof(*d));
	pthread_mutex_init(&d->lock, NULL);
	d->cfg = *cfg;
}

void pl061_destroy(struct pl061 *d)
{
	pthread_mutex_destroy(&d->lock);
}

void pl061_reset(struct pl061 *d)
{
	pthread_mutex_lock(&d->lock);
	d->data = d->dir = d->is = d->ibe = d->iev = d->ie = d->ris = d->afsel = 0;
	/* The wires are where they are: no edge from the reset itself. */
	d->lines = line_values(d);
	d->ris = 0;
	update(d);
	pthread_mutex_unlock(&d->lock);
}

uint64_t pl061_read(void *opaque, uint64_t off, unsigned size)
{
	struct pl061 *d = opaque;
	(void)size;
	uint32_t v = 0;
	pthread_mutex_lock(&d->lock);
	if (off < 0x400)
		v = line_values(d) & (uint8_t)(off >> 2);
	else if (off == PL061_DIR)
		v = d->dir;
	else if (off == PL061_IS)
		v = d->is;
	else if (off == PL061_IBE)
		v = d->ibe;
	else if (off == PL061_IEV)
		v = d->iev;
	else if (off == PL061_IE)
		v = d->ie;
	else if (off == PL061_RIS)
		v = d->ris;
	else if (off == PL061_MIS)
		v = d->ris & d->ie;
	else if (off == PL061_AFSEL)
		v = d->afsel;
	else if (off >= PL061_PERIPHID0 && off < 0x1000 && !(off & 3))
		v = pl061_id[(off - PL061_PERIPHID0) >> 2];
	pthread_mutex_unlock(&d->lock);
	return v;
}

void pl061_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct pl061 *d = opaque;
	(void)size;
	uint8_t b = (uint8_t)val;
	pthread_mutex_lock(&d->lock);
	if (off < 0x400) {
		uint8_t mask = (uint8_t)(off >> 2) & d->dir;
		d->data = (uint8_t)((d->data & ~mask) | (b & mask));
	} else if (off == PL061_DIR)
		d->dir = b;
	else if (off == PL061_IS)
		d->is = b;
	else if (off == PL061_IBE)
		d->ibe = b;
	else if (off == PL061_IEV)
		d->iev = b;
	else if (off == PL061_IE)
		d->ie = b;
	else if (off == PL061_IC)
		d->ris &= (uint8_t)~(b & ~d->is);
	else if (off == PL061_AFSEL)
		d->afsel = b;
	update(d);
	pthread_mutex_unlock(&d->lock);
}

void pl061_set_input(struct pl061 *d, unsigned line, bool level)
{
	if (line >= 8)
		return;
	pthread_mutex_lock(&d->lock);
	d->in = (uint8_t)((d->in & ~(1u << line)) | ((unsigned)level << line));
	update(d);
	pthread_mutex_unlock(&d->lock);
}

uint32_t pl061_fdt_node(struct fdt_builder *b, uint64_t base, uint32_t spi, uint32_t clk_phandle)
{
	const char *n = fdtb_node(b, "/", "pl061@%" PRIx64, base);
	fdtb_prop_strs(b, n, "compatible", "arm,pl061", "arm,primecell", NULL);
	fdtb_prop_reg(b, n, base, PL061_MMIO_SIZE);
	fdtb_prop_irq(b, n, FDT_IRQ_SPI, spi, FDT_IRQ_LEVEL_HIGH);
	fdtb_prop_u32(b, n, "#gpio-cells", 2);
	fdtb_prop_empty(b, n, "gpio-controller");
	fdtb_prop_u32(b, n, "clocks", clk_phandle);
	fdtb_prop_str(b, n, "clock-names", "apb_pclk");
	uint32_t ph = fdtb_phandle(b, n);
	return b->err ? 0 : ph;
}

void pl061_fdt_gpio_keys(struct fdt_builder *b, uint32_t gpio_phandle, unsigned line)
{
	const char *k = fdtb_node(b, "/", "gpio-keys");
	fdtb_prop_str(b, k, "compatible", "gpio-keys");
	fdtb_prop_u32(b, k, "#size-cells", 0);
	fdtb_prop_u32(b, k, "#address-cells", 1);
	const char *p = fdtb_node(b, "/gpio-keys", "poweroff");
	fdtb_prop_str(b, p, "label", "GPIO Key Poweroff");
	fdtb_prop_u32(b, p, "linux,code", KEY_POWER);
	const uint32_t gpios[3] = { gpio_phandle, line, 0 }; /* GPIO_ACTIVE_HIGH */
	fdtb_prop_cells(b, p, "gpios", gpios, 3);
}

/* ---- the device interface (hw/device.h) ---- */

static void dev_reset(void *o) { pl061_reset(o); }

static void dev_destroy(void *o)
{
	pl061_destroy(o);
	free(o);
}

const struct device_ops pl061_device_ops = {
	.type = "pl061",
	.reset = dev_reset,
	.destroy = dev_destroy,
};
