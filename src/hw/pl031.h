/* Arm PrimeCell real-time clock PL031 (DDI0224).
 *
 * Registers (32-bit accesses only; other widths get the bus's policy):
 *   0x000 DR    counter, seconds (read-only)
 *   0x004 MR    match value
 *   0x008 LR    load: a write sets the counter; reads return the last value written
 *   0x00c CR    bit 0 start: once set, writes have no effect until reset
 *   0x010 IMSC  bit 0 interrupt mask (1 = enabled); 0x014 RIS; 0x018 MIS
 *   0x01c ICR   write 1 to clear the interrupt
 *   0xfe0..0xffc PeriphID0-3 (0x31 0x10 0x14 0x00) / PCellID0-3
 *
 * The counter is the host's real-time clock in whole seconds plus an offset
 * the guest sets through LR (the counter ticks on the host's second
 * boundaries: loading LR does not restart the 1 Hz clock, as on hardware).
 * Reset models a machine powering on with a battery-backed RTC: running
 * (CR = 1) at the host's time; registers otherwise zero. A counter that was
 * stopped (only reachable by restoring a state with CR = 0) holds its value,
 * LR loads it, and setting CR.start makes it count from there.
 *
 * Match interrupt: RIS is set when the counter reaches MR, i.e. when it
 * moves to MR on a tick or a host clock step forward over it, when LR loads
 * MR, or when MR is written with the current counter value. The device
 * evaluates this on every register access, in pl031_poll(), and, when
 * created with `timer_thread`, in its own thread that sleeps until the next
 * match deadline (pl031_deadline_ns(), also usable by a VMM event loop).
 *
 * Locking: a mutex per device; the irq_line is called with it held. Its MMIO
 * callbacks lock themselves (register it with mmio_bus_register).
 *
 * Lifecycle (hw/device.h, pl031_device_ops): reset as above (the timer
 * thread keeps running and re-evaluates its deadline); quiesce pauses the
 * timer thread (it drives no line until resume; register accesses still
 * evaluate the match); save/load of struct pl031_state. */
#ifndef AVMM_HW_PL031_H
#define AVMM_HW_PL031_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/mmio.h"

struct fdt_builder;

#define PL031_MMIO_SIZE 0x1000u

enum {
	PL031_DR = 0x000,
	PL031_MR = 0x004,
	PL031_LR = 0x008,
	PL031_CR = 0x00c,
	PL031_IMSC = 0x010,
	PL031_RIS = 0x014,
	PL031_MIS = 0x018,
	PL031_ICR = 0x01c,
	PL031_PERIPHID0 = 0xfe0,
};

struct pl031_regs {
	uint32_t mr;      /* MR: match value */
	uint32_t lr;      /* LR: last value loaded */
	uint32_t cr;      /* CR: bit 0 = started */
	uint32_t imsc;    /* IMSC: bit 0 */
	uint32_t ris;     /* RIS: bit 0, match seen */
	int64_t offset;   /* running: counter = host seconds + offset (mod 2^32) */
	uint32_t held;    /* stopped: the counter value */
	uint32_t last_dr; /* counter at the last evaluation, to detect MR being reached */
};

#define PL031_STATE_VERSION 1u
struct pl031_state {
	uint32_t version; /* PL031_STATE_VERSION */
	uint32_t size;    /* sizeof(struct pl031_state) */
	struct pl031_regs regs;
};

struct pl031_config {
	struct irq_line irq; /* RTCINTR */
	/* Host real time in ns since the epoch; NULL = CLOCK_REALTIME. */
	int64_t (*now_ns)(void *opaque);
	void *clock_opaque;
	bool timer_thread; /* raise the match interrupt on time from a thread */
};

struct pl031 {
	pthread_mutex_t lock;
	pthread_cond_t wake; /* the timer thread: registers changed or stop */
	pthread_t thread;
	bool thread_running, stop;
	bool paused; /* quiesced: the timer thread leaves the line alone (pl031_quiesce) */
	struct pl031_config cfg;
	struct pl031_regs r;
	bool irq_level; /* last level driven */
};

/* 0, or -errno if the timer thread cannot be started (then nothing is left to destroy). */
int pl031_init(struct pl031 *d, const struct pl031_config *cfg);
void pl031_destroy(struct pl031 *d);
void pl031_reset(struct pl031 *d);

uint64_t pl031_read(void *opaque, uint64_t off, unsigned size);
void pl031_write(void *opaque, uint64_t off, unsigned size, uint64_t val);
extern const struct mmio_ops pl031_mmio_ops; /* width 32 */

/* Evaluate the match now. */
void pl031_poll(struct pl031 *d);
/* Host real time (ns, as cfg.now_ns) of the next unmasked match that would
 * change the interrupt line, or INT64_MAX if none is pending. */
int64_t pl031_deadline_ns(struct pl031 *d);

/* Pause / restart the timer thread's evaluation (no-op without one). */
void pl031_quiesce(struct pl031 *d);
void pl031_resume(struct pl031 *d);

void pl031_save(struct pl031 *d, struct pl031_state *s);
/* 0, or -EINVAL (state untouched) for a wrong version/size or bad values. */
int pl031_restore(struct pl031 *d, const struct pl031_state *s);

/* "pl031@BASE" (compatible "arm,pl031", "arm,primecell"; SPI `spi`, level
 * high; apb_pclk). Returns the node's path, or NULL with the builder's error. */
const char *pl031_fdt_node(struct fdt_builder *b, uint64_t base, uint32_t spi, uint32_t clk_phandle);

/* destroy = pl031_destroy + free (a heap-allocated device). */
struct device_ops;
extern const struct device_ops pl031_device_ops;

#endif
