/* The MMIO bus: devices register regions with one callback shape,
 * (opaque, offset, size in bytes, value). Widths are never narrowed on the
 * way: a device states the widths it accepts and any other width gets that
 * device's policy (default: reads as zero, writes ignored, logged once per
 * region), never a split or truncated access. */
#ifndef AVMM_HW_MMIO_H
#define AVMM_HW_MMIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct mmio_ops {
	uint64_t (*read)(void *opaque, uint64_t off, unsigned size);
	void (*write)(void *opaque, uint64_t off, unsigned size, uint64_t val);
	/* Accepted access sizes as a mask of sizes in bytes: MMIO_W8 | ... */
	unsigned widths;
};
enum { MMIO_W8 = 1u << 1, MMIO_W16 = 1u << 2, MMIO_W32 = 1u << 4, MMIO_W64 = 1u << 8 };

struct mmio_region {
	uint64_t base, size;
	const struct mmio_ops *ops;
	void *opaque;
	const char *name;
	bool warned;
};

#define MMIO_MAX_REGIONS 128
struct mmio_bus {
	struct mmio_region regions[MMIO_MAX_REGIONS]; /* sorted by base */
	unsigned n;
	pthread_mutex_t lock; /* device callbacks run under it: one access at a time */
	uint64_t unassigned; /* accesses that hit no region (counted) */
};

void mmio_bus_init(struct mmio_bus *bus);
void mmio_bus_destroy(struct mmio_bus *bus);
/* 0, -EEXIST on overlap, -ENOSPC when full, -EINVAL on a bad range. */
int mmio_bus_register(struct mmio_bus *bus, uint64_t base, uint64_t size, const struct mmio_ops *ops,
		      void *opaque, const char *name);
/* Remove the region that starts at base. 0, or -ENOENT. */
int mmio_bus_unregister(struct mmio_bus *bus, uint64_t base);
/* Perform a guest access. Returns true if a region handled it (including
 * width-policy handling); false if no device is there. */
bool mmio_bus_read(struct mmio_bus *bus, uint64_t addr, unsigned size, uint64_t *val);
bool mmio_bus_write(struct mmio_bus *bus, uint64_t addr, unsigned size, uint64_t val);
/* Is a device registered at addr? (No access is made.) */
bool mmio_bus_present(struct mmio_bus *bus, uint64_t addr);

/* An interrupt output: a level the device drives. */
struct irq_line {
	void (*set)(void *opaque, unsigned n, bool level);
	void *opaque;
	unsigned n;
};
static inline void irq_set(const struct irq_line *l, bool level)
{
	if (l->set)
		l->set(l->opaque, l->n, level);
}

#endif
