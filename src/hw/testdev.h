/* The MMIO test device: records every access to its data window (offset,
 * width, value, direction) so tests can prove that an access reached the
 * device exactly as the guest made it (one 64-bit store = one 64-bit write;
 * a pair = two accesses of the element width, in order), and returns a
 * deterministic value for reads. avmm maps it with `-device testdev` at
 * TESTDEV_BASE, in a hole of the virt memory map, and prints its log at exit.
 *
 * Layout (TESTDEV_SIZE = 8 KiB):
 *   0x0000-0x0fff  data window: every access is recorded; a read of byte
 *                  offset o returns bytes testdev_byte(o), testdev_byte(o+1), ...
 *   0x1000         COUNT (read): number of recorded accesses since the last clear
 *   0x1008         CLEAR (write): clear the log
 *   0x1010         DROPPED (read): accesses not recorded because the log was full
 *   0x1100 + 32*i  entry i (read): +0 offset, +8 size | write << 8, +16 value
 * Control registers are not recorded; they accept 64-bit reads/writes (other
 * widths read as zero / are ignored).
 *
 * Locking: its own mutex; the MMIO callbacks lock themselves (several
 * vCPUs may access it at once: each access is recorded whole, in some
 * order). Reset (testdev_device_ops) clears the log as CLEAR does; the
 * total count is the host's statistic and survives. No save/load. */
#ifndef AVMM_HW_TESTDEV_H
#define AVMM_HW_TESTDEV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hw/mmio.h"

#define TESTDEV_BASE 0x0a100000ull
#define TESTDEV_SIZE 0x2000ull
#define TESTDEV_WINDOW 0x1000ull
#define TESTDEV_REG_COUNT 0x1000
#define TESTDEV_REG_CLEAR 0x1008
#define TESTDEV_REG_DROPPED 0x1010
#define TESTDEV_REG_ENTRY 0x1100
#define TESTDEV_LOG_MAX ((TESTDEV_SIZE - TESTDEV_REG_ENTRY) / 32)

struct testdev_access {
	uint64_t off;
	unsigned size;
	bool write;
	uint64_t val;
};

struct testdev {
	pthread_mutex_t lock;
	struct testdev_access log[TESTDEV_LOG_MAX];
	unsigned n;
	uint64_t dropped;
	uint64_t total; /* every data-window access since creation */
};

/* The byte a read of data-window offset `off` returns. */
static inline uint8_t testdev_byte(uint64_t off) { return (uint8_t)(off * 7 + 0x31); }

void testdev_init(struct testdev *d);
void testdev_destroy(struct testdev *d);
void testdev_reset(struct testdev *d);
uint64_t testdev_read(void *opaque, uint64_t off, unsigned size);
void testdev_write(void *opaque, uint64_t off, unsigned size, uint64_t val);
/* For the MMIO bus: widths 1, 2, 4 and 8. */
extern const struct mmio_ops testdev_mmio_ops;
/* The log, one access a line. */
void testdev_dump(struct testdev *d, FILE *f);

/* destroy = testdev_destroy + free (a heap-allocated device). */
struct device_ops;
extern const struct device_ops testdev_device_ops;

#endif
