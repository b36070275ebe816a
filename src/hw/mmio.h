/* The MMIO bus: devices register regions with one callback shape,
 * (opaque, offset, size in bytes, value). Widths are never narrowed on the
 * way: a device states the widths it accepts and any other width gets that
 * device's policy (default: reads as zero, writes ignored, logged once per
 * region), never a split or truncated access.
 *
 * No global lock (DESIGN.md §5.2). The region table is an immutable sorted
 * array published with an atomic release store. A guest access looks its
 * region up inside a read-side section that covers the lookup only (a few
 * loads and two stores of a per-thread counter, no lock, no shared write),
 * copies what it needs and leaves the section before calling the device.
 * The call takes the region's mutex if it was registered with one
 * (mmio_bus_register_locked), none otherwise: mmio_bus_register is for
 * devices whose callbacks lock themselves (all of avmm's do).
 *
 * Writers (register, unregister, move: a PCI BAR moves, a device is
 * hot-plugged) build a new table under the bus's update mutex, publish it,
 * and free the old one once every reader thread has left the section it was
 * in (a quiescent-state wait). Since no reader ever blocks inside that
 * section (device callbacks run outside it), the wait is short and cannot
 * deadlock with a reader stuck in a device, and at most one retired table
 * exists per bus at a time, however often a guest moves a BAR. A writer may
 * run on any thread, including inside a device callback; the rule of
 * DESIGN.md §5.2 still holds: never change the table while holding a device
 * lock (apply BAR changes after unlocking), so that the lock order stays
 * device -> update mutex and never the reverse.
 *
 * Because callbacks run outside the section, an access that looked its
 * region up just before a move may still reach the device (at the old
 * offset) just after the move returns: it is ordered before the move, as if
 * it had completed first. mmio_bus_unregister additionally waits for calls
 * in flight into the removed region on other threads, so the device may be
 * freed once it returns (a device unregistering itself from its own
 * callback must defer freeing until that callback returns). */
#ifndef AVMM_HW_MMIO_H
#define AVMM_HW_MMIO_H

#include <pthread.h>
#include <stdatomic.h>
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
	pthread_mutex_t *lock; /* taken around each callback; NULL: the device locks itself */
	const char *name;
	_Atomic bool warned;   /* the width policy logged once (carried across table copies) */
};

/* An immutable snapshot of the map, sorted by base. */
struct mmio_table {
	unsigned n;
	struct mmio_region r[];
};

#define MMIO_MAX_REGIONS 256
struct mmio_bus {
	struct mmio_table *_Atomic table; /* NULL: no region */
	pthread_mutex_t update;          /* serialises writers */
	_Atomic uint64_t unassigned;     /* accesses that hit no region (counted) */
	_Atomic uint64_t updates;        /* tables published (statistics) */
	_Atomic unsigned slow_calls;     /* calls by threads without a reader slot (see mmio.c) */
};

void mmio_bus_init(struct mmio_bus *bus);
/* No access may be in flight (vCPUs stopped). */
void mmio_bus_destroy(struct mmio_bus *bus);
/* 0, -EEXIST on overlap, -ENOSPC when full, -EINVAL on a bad range or ops,
 * -ENOMEM. The device's callbacks must be safe to call concurrently. */
int mmio_bus_register(struct mmio_bus *bus, uint64_t base, uint64_t size, const struct mmio_ops *ops,
		      void *opaque, const char *name);
/* The same, for a device that wants the bus to take `lock` around every
 * callback (lock != NULL). */
int mmio_bus_register_locked(struct mmio_bus *bus, uint64_t base, uint64_t size, const struct mmio_ops *ops,
			     void *opaque, pthread_mutex_t *lock, const char *name);
/* Remove the region at `base` (its exact base). 0 or -ENOENT. When it
 * returns, no access can reach the region and no call into it made by
 * another thread is still running. */
int mmio_bus_unregister(struct mmio_bus *bus, uint64_t base);
/* Move the region at `old_base` to `new_base`, atomically (an access sees
 * it at one place or the other). 0, -ENOENT, -EEXIST (the new place
 * overlaps another region: nothing changes), -EINVAL (wraps). */
int mmio_bus_move(struct mmio_bus *bus, uint64_t old_base, uint64_t new_base);
/* Perform a guest access. Returns true if a region handled it (including
 * width-policy handling); false if no device is there. */
bool mmio_bus_read(struct mmio_bus *bus, uint64_t addr, unsigned size, uint64_t *val);
bool mmio_bus_write(struct mmio_bus *bus, uint64_t addr, unsigned size, uint64_t val);
/* Is a device registered at addr? (No access is made.) */
bool mmio_bus_present(struct mmio_bus *bus, uint64_t addr);
/* Copy of the region at addr (false if none); its `warned` is unspecified. */
bool mmio_bus_lookup(struct mmio_bus *bus, uint64_t addr, uint64_t *base, uint64_t *size, void **opaque);

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
