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
 * changed at run time (one atomic pointer to a caller-owned hook, so a
 * writer never sees one hook's function with another's argument).
 *
 * Dirty reporting: gmem_write reports its range after copying. gmem_ptr
 * and gmem_iov for a write report the range when they hand it out (enough
 * for a snapshot taken with devices quiesced); a device that writes through
 * the pointer or iovecs later must also call gmem_mark_dirty when its
 * writes are done (what live tracking needs: a page copied between the
 * hand-out and the write would otherwise be lost). */
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

struct gmem_dirty_hook {
	void (*fn)(void *opaque, uint64_t gpa, uint64_t len);
	void *opaque;
};

struct guest_mem {
	struct gmem_region r[GMEM_MAX_REGIONS]; /* sorted by gpa, non-overlapping */
	unsigned n;
	const struct gmem_dirty_hook *_Atomic dirty;
};

void gmem_init(struct guest_mem *m);
/* Add host memory at [gpa, gpa+size). 0, -EEXIST (overlap), -ENOSPC, -EINVAL. */
int gmem_add(struct guest_mem *m, uint64_t gpa, uint64_t size, void *host, bool readonly);
/* Install (or with NULL remove) the dirty hook. The hook must stay valid
 * until no device can be writing (replace it, then quiesce the devices). */
void gmem_set_dirty_hook(struct guest_mem *m, const struct gmem_dirty_hook *h);
/* Report [gpa, gpa+len) written (a device's writes through gmem_ptr or
 * gmem_iov are done). len 0: nothing. */
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
