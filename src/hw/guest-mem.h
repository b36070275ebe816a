/* The guest-memory accessor for devices (DMA; DESIGN.md §5.4): every device
 * that reads or writes guest memory goes through it. A guest-physical range
 * is served only when it lies wholly in RAM (or other host-backed memory the
 * machine registered); MMIO holes and unmapped addresses are refused, and a
 * range that crosses from one RAM region into an adjacent one is split.
 * Writes through it report the range to the dirty hook (snapshots and
 * migration track guest memory written behind the CPU's back).
 *
 * The region set is fixed when the machine is built (before any vCPU or
 * device thread runs), so lookups take no lock; the dirty hook may be
 * changed at run time (atomic). */
#ifndef AVMM_HW_GUEST_MEM_H
#define AVMM_HW_GUEST_MEM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define GMEM_MAX_REGIONS 8

struct gmem_region {
	uint64_t gpa, size;
	uint8_t *host;
	bool readonly;           /* device writes refused (e.g. a ROM) */
};

typedef void gmem_dirty_fn(void *opaque, uint64_t gpa, uint64_t len);

struct guest_mem {
	struct gmem_region r[GMEM_MAX_REGIONS]; /* sorted by gpa, non-overlapping */
	unsigned n;
	gmem_dirty_fn *_Atomic dirty;
	void *_Atomic dirty_opaque;
};

void gmem_init(struct guest_mem *m);
/* Add host memory at [gpa, gpa+size). 0, -EEXIST (overlap), -ENOSPC, -EINVAL. */
int gmem_add(struct guest_mem *m, uint64_t gpa, uint64_t size, void *host, bool readonly);
/* Install (or with NULL remove) the dirty hook. */
void gmem_set_dirty_hook(struct guest_mem *m, gmem_dirty_fn *fn, void *opaque);

/* Report [gpa, gpa+len) written by a device through a pointer it kept
 * (ring structures mapped once). */
void gmem_mark_dirty(struct guest_mem *m, uint64_t gpa, uint64_t len);
/* Host pointer to [gpa, gpa+len) if it lies in one region (for a write: a
 * writable one, and the range is reported dirty), else NULL. len 0 is
 * refused. Use for structures that must be contiguous (ring headers). */
void *gmem_ptr(struct guest_mem *m, uint64_t gpa, uint64_t len, bool write);
/* Is [gpa, gpa+len) wholly backed (split across regions allowed)? */
bool gmem_valid(const struct guest_mem *m, uint64_t gpa, uint64_t len, bool write);
/* Copy out of / into guest memory, split across regions. 0, or -EFAULT
 * with nothing copied when any byte is not backed (or read-only, writing). */
int gmem_read(struct guest_mem *m, uint64_t gpa, void *dst, size_t len);
int gmem_write(struct guest_mem *m, uint64_t gpa, const void *src, size_t len);
/* The range as host iovecs (scatter-gather for preadv/pwritev): returns the
 * number of iovecs filled, -EFAULT when any byte is not backed, -E2BIG when
 * it needs more than max. A write range is reported dirty. */
int gmem_iov(struct guest_mem *m, uint64_t gpa, uint64_t len, bool write, struct iovec *iov, unsigned max);

#endif
