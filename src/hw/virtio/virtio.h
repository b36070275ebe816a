/* The transport-independent half of a virtio 1.x device (modern only,
 * virtio 1.2 §2-§4): status and feature negotiation, the queues, the
 * interrupt status, the configuration space. A transport (virtio-mmio.c,
 * later virtio-pci.c) maps its registers onto these fields; a device
 * (virtio-blk.c, ...) fills struct virtio_dev_ops and processes its queues.
 *
 * Threads: transport registers are accessed from vCPU threads under
 * `lock`; the device's queues are processed on the device's own thread
 * (its I/O loop), which the transport never blocks on: notify() only
 * signals it. activate/reset are called under `lock` and must not wait
 * for guest I/O; a device that must stop in-flight work in reset waits for
 * its own thread, which never takes `lock`. */
#ifndef AVMM_HW_VIRTIO_VIRTIO_H
#define AVMM_HW_VIRTIO_VIRTIO_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/guest-mem.h"
#include "hw/virtio/virtqueue.h"

/* Device status (§2.1). */
#define VIRTIO_S_ACKNOWLEDGE 1u
#define VIRTIO_S_DRIVER 2u
#define VIRTIO_S_DRIVER_OK 4u
#define VIRTIO_S_FEATURES_OK 8u
#define VIRTIO_S_NEEDS_RESET 64u
#define VIRTIO_S_FAILED 128u

/* Reserved feature bits (§6). */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_RING_PACKED 34

/* Interrupt status bits (ISR, §4.2.2.1 / §4.1.4.5). */
#define VIRTIO_ISR_QUEUE 1u
#define VIRTIO_ISR_CONFIG 2u

#define VIRTIO_MAX_QUEUES 16
#define VIRTIO_NO_VECTOR 0xffffu

struct virtio_dev;

struct virtio_dev_ops {
	const char *name;
	uint32_t device_id;       /* §5: 1 net, 2 block, 3 console, 4 rng, ... */
	uint64_t features;        /* device-specific bits offered (0..23, 50..) */
	unsigned num_queues;
	uint16_t queue_max;       /* QueueNumMax: a power of two */
	uint32_t config_size;     /* bytes of config space in `config` */
	/* The driver wrote config bytes [off, off+len) (already range-checked
	 * against config_size; the device applies what is writable). */
	void (*config_write)(struct virtio_dev *d, uint32_t off, const void *buf, unsigned len);
	/* DRIVER_OK: the queues are configured; start serving them. 0, or
	 * -errno (the device then reports NEEDS_RESET). */
	int (*activate)(struct virtio_dev *d);
	/* Device reset (status 0, or a system reset): stop serving the
	 * queues, drop in-flight requests, back to the reset state. */
	void (*reset)(struct virtio_dev *d);
	/* The driver notified queue q (vCPU thread, `lock` not held): signal
	 * the device's thread, never process here. */
	void (*notify)(struct virtio_dev *d, unsigned q);
};

/* What a transport provides to the core. */
struct virtio_transport {
	/* Raise the interrupt for queue q, or the configuration change when
	 * q == VIRTIO_MAX_QUEUES. Any thread. */
	void (*interrupt)(void *opaque, unsigned q);
	void *opaque;
};

struct virtio_dev {
	const struct virtio_dev_ops *ops;
	void *opaque;                  /* the device's own state */
	struct guest_mem *gm;
	struct virtio_transport tr;
	pthread_mutex_t lock;          /* register state below, from vCPUs */
	_Atomic uint8_t status;        /* written under lock; NEEDS_RESET also by the device */
	uint64_t host_features;        /* offered: ops->features + transport bits */
	uint64_t guest_features;       /* accepted by the driver */
	uint32_t host_features_sel, guest_features_sel, queue_sel;
	_Atomic uint32_t config_generation;
	_Atomic uint32_t isr;          /* VIRTIO_ISR_* */
	uint8_t *config;               /* ops->config_size bytes, device-owned layout */
	struct virtqueue vq[VIRTIO_MAX_QUEUES];
	uint16_t queue_vector[VIRTIO_MAX_QUEUES]; /* MSI-X (PCI); unused on mmio */
	uint16_t config_vector;
	_Atomic uint64_t n_guest_errors;
};

/* Initialise with the device's ops and config buffer. 0 or -errno. */
int virtio_dev_init(struct virtio_dev *d, const struct virtio_dev_ops *ops, void *opaque, struct guest_mem *gm,
		    uint8_t *config);
void virtio_dev_destroy(struct virtio_dev *d);
/* Device reset (the driver wrote status 0, or the machine resets). */
void virtio_dev_reset(struct virtio_dev *d);

/* Transport helpers, under d->lock. */
uint32_t virtio_get_host_features(struct virtio_dev *d, unsigned sel);
void virtio_set_guest_features(struct virtio_dev *d, unsigned sel, uint32_t val);
void virtio_set_status(struct virtio_dev *d, uint8_t val);
/* Config space access with the width the driver used (1, 2, 4 or 8). */
uint64_t virtio_config_read(struct virtio_dev *d, uint32_t off, unsigned len);
void virtio_config_write(struct virtio_dev *d, uint32_t off, unsigned len, uint64_t val);
/* The driver set QueueReady for the selected queue (1) or cleared it (0). */
void virtio_queue_set_ready(struct virtio_dev *d, unsigned q, bool ready);
/* The driver notified queue q (the transport calls it without d->lock). */
void virtio_queue_notify(struct virtio_dev *d, unsigned q);

/* Device side, any thread. */
static inline bool virtio_has_feature(const struct virtio_dev *d, unsigned bit)
{
	return (d->guest_features >> bit) & 1;
}
/* Used buffers were pushed on queue q: interrupt the driver if it wants. */
void virtio_queue_done(struct virtio_dev *d, unsigned q);
/* The device's config changed: bump the generation and interrupt. */
void virtio_config_changed(struct virtio_dev *d);
/* A driver error the device cannot go on from (§2.1.2): NEEDS_RESET. */
void virtio_needs_reset(struct virtio_dev *d, const char *why);

#endif
