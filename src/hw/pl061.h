/* Arm PrimeCell GPIO PL061 (DDI0190): eight lines, each an input or an
 * output, with edge or level interrupts combined into one GPIOINTR.
 *
 * Registers (offsets; 32-bit accesses, bits 7:0 meaningful):
 *   0x000-0x3fc GPIODATA  address bits [9:2] mask the access: a read returns
 *               the masked lines (others 0), a write changes only masked
 *               output lines
 *   0x400 GPIODIR  1 = output        0x404 GPIOIS   1 = level-sensitive
 *   0x408 GPIOIBE  1 = both edges    0x40c GPIOIEV  1 = rising edge / high level
 *   0x410 GPIOIE   1 = not masked    0x414 GPIORIS  raw status (RO)
 *   0x418 GPIOMIS  RIS & IE (RO)     0x41c GPIOIC   write 1 clears an edge (WO)
 *   0x420 GPIOAFSEL 1 = hardware control (stored; no alternate function here)
 *   0xfe0-0xffc PeriphID0-3 (0x61 0x10 0x04 0x00), PCellID0-3 (0x0d 0xf0 0x05 0xb1)
 * Undefined offsets read 0 and ignore writes. Reset: every register 0 (all
 * inputs, interrupts masked).
 *
 * A line's value is the external input for input lines and GPIODATA's
 * output for output lines; edges are detected on that value, whichever
 * changed it (the input, the direction, a data write). Level interrupts
 * follow the line (IC does not clear them). The machine drives inputs
 * with pl061_set_input (any thread; the power button). Outputs go to
 * `out` when they change.
 *
 * Locking: a mutex per device; irq and out are called with it held. */
#ifndef AVMM_HW_PL061_H
#define AVMM_HW_PL061_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/mmio.h"

struct fdt_builder;

#define PL061_MMIO_SIZE 0x1000u

enum {
	PL061_DATA = 0x000,
	PL061_DIR = 0x400,
	PL061_IS = 0x404,
	PL061_IBE = 0x408,
	PL061_IEV = 0x40c,
	PL061_IE = 0x410,
	PL061_RIS = 0x414,
	PL061_MIS = 0x418,
	PL061_IC = 0x41c,
	PL061_AFSEL = 0x420,
	PL061_PERIPHID0 = 0xfe0,
};

struct pl061_config {
	struct irq_line irq; /* GPIOINTR */
	void (*out)(void *opaque, unsigned line, bool level); /* may be NULL */
	void *out_opaque;
};

struct pl061 {
	pthread_mutex_t lock;
	struct pl061_config cfg;
	uint8_t data, dir, is, ibe, iev, ie, ris, afsel;
	uint8_t in;       /* external input levels (not reset: the wires stay where they are) */
	uint8_t lines;    /* the lines' values at the last evaluation */
	uint8_t out_seen; /* outputs last reported */
	bool irq_level;
};

void pl061_init(struct pl061 *d, const struct pl061_config *cfg);
void pl061_destroy(struct pl061 *d);
void pl061_reset(struct pl061 *d);
uint64_t pl061_read(void *opaque, uint64_t off, unsigned size);
void pl061_write(void *opaque, uint64_t off, unsigned size, uint64_t val);
/* Drive input line `line` (0-7; others ignored). */
void pl061_set_input(struct pl061 *d, unsigned line, bool level);

/* "pl061@BASE": compatible "arm,pl061", "arm,primecell", SPI `spi` level
 * high, gpio-controller, #gpio-cells 2, apb_pclk. Returns its phandle (0
 * with the builder's error). */
uint32_t pl061_fdt_node(struct fdt_builder *b, uint64_t base, uint32_t spi, uint32_t clk_phandle);
/* QEMU virt's /gpio-keys: "poweroff" on line `line` of the controller, code KEY_POWER. */
void pl061_fdt_gpio_keys(struct fdt_builder *b, uint32_t gpio_phandle, unsigned line);

struct device_ops;
extern const struct device_ops pl061_device_ops; /* destroy = pl061_destroy + free */

#endif
