/* The one device interface (DESIGN.md §5.1): every device, whatever its bus,
 * is a `struct device` with the same lifecycle operations, so the machine
 * resets, quiesces, snapshots and destroys all of them the same way
 * (Firecracker's devices share one skeleton). Register access is separate:
 * MMIO regions (hw/mmio.h), later PCI config space.
 *
 * Lifecycle: create (device-specific, e.g. pl011_init) -> device_list_add
 * -> [reset | quiesce/resume | save/load]* -> destroy (reverse order of
 * creation). reset is a system reset: the device's documented reset values,
 * back ends kept (open files, sockets). quiesce stops background work that
 * touches guest state (I/O threads, timers) and waits for in-flight work;
 * resume restarts it. save/load carry a plain, versioned state struct; load
 * validates every index and size and refuses (-EINVAL) what it cannot take.
 * Every op may be NULL (nothing to do / not supported: -ENOTSUP for save). */
#ifndef AVMM_HW_DEVICE_H
#define AVMM_HW_DEVICE_H

#include <stddef.h>
#include <stdint.h>

struct device_ops {
	const char *type;        /* "pl011", "gicv3", ... */
	uint32_t state_version;  /* of the save/load blob */
	void (*reset)(void *opaque);
	void (*quiesce)(void *opaque);
	void (*resume)(void *opaque);
	/* The state's size in bytes (save writes exactly that many). */
	size_t (*state_size)(void *opaque);
	int (*save)(void *opaque, void *buf, size_t len);
	int (*load)(void *opaque, const void *buf, size_t len, uint32_t version);
	void (*destroy)(void *opaque); /* frees the device */
};

struct device {
	const struct device_ops *ops;
	void *opaque;
	char name[32];           /* instance name: "pl011@9000000" */
};

/* The machine's devices in creation order (reset and quiesce in that
 * order, destroy in reverse). */
struct device_list {
	struct device *devs;
	unsigned n, cap;
};

/* 0, or -ENOMEM. */
int device_list_add(struct device_list *l, const struct device_ops *ops, void *opaque, const char *name);
struct device *device_list_find(struct device_list *l, const char *name);
void device_list_reset(struct device_list *l);
void device_list_quiesce(struct device_list *l);
void device_list_resume(struct device_list *l);
/* Quiesces every device (so no background work of one device reaches
 * another being destroyed: PL031's timer thread drives the GIC), then
 * destroys them in reverse order and frees the list. No vCPU may run. */
void device_list_destroy(struct device_list *l);

#endif
