/* Split virtqueues (virtio 1.2 §2.7), the one implementation every virtio
 * device uses. The rings live in guest memory and are reached only through
 * the guest-memory accessor (hw/guest-mem.h). Everything the driver wrote is
 * untrusted: each descriptor is copied once before use (no time-of-check /
 * time-of-use), a chain is at most the queue size long (indirect tables
 * included), loops, out-of-range indices, nested indirect tables, readable
 * after writable buffers and ranges outside RAM make the chain invalid. An
 * invalid chain is reported to the device (-EINVAL from vq_pop), which
 * fails the request or sets DEVICE_NEEDS_RESET: never a VMM fault.
 *
 * Threading: one queue is used by one thread at a time (its device's I/O
 * loop); the transport configures it while the device is stopped. */
#ifndef AVMM_HW_VIRTIO_VIRTQUEUE_H
#define AVMM_HW_VIRTIO_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "hw/guest-mem.h"

#define VQ_MAX_SIZE 32768u      /* split rings: a power of two up to 2^15 */
#define VQ_MAX_IOV 1024u        /* host iovecs one element may need */

#define VRING_DESC_F_NEXT 1u
#define VRING_DESC_F_WRITE 2u
#define VRING_DESC_F_INDIRECT 4u
#define VRING_AVAIL_F_NO_INTERRUPT 1u
#define VRING_USED_F_NO_NOTIFY 1u

struct virtqueue {
	struct guest_mem *gm;
	/* Set by the transport while the queue is not ready. */
	uint16_t size;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	bool event_idx;          /* VIRTIO_F_RING_EVENT_IDX negotiated */
	bool ready;
	/* Host views of the three areas (checked once, at vq_enable). */
	volatile uint8_t *desc;  /* 16 bytes per descriptor */
	volatile uint16_t *avail; /* flags, idx, ring[size], used_event */
	volatile uint8_t *used;  /* flags, idx, {id, len}[size], avail_event */
	/* Device-side indices. */
	uint16_t last_avail;     /* next avail entry to take */
	uint16_t used_idx;       /* next used entry to fill (shadow of used->idx) */
	uint16_t signalled_used; /* used_idx when the driver was last notified */
	bool signalled_valid;
	/* Counters (guest errors are counted, never fatal). */
	uint64_t n_pop, n_bad;
};

/* One request: the chain's buffers as host iovecs, device-readable (out)
 * first, then device-writable (in). */
struct vq_elem {
	uint16_t head;
	unsigned n_out, n_in;    /* iov[0..n_out) readable, iov[n_out..n_out+n_in) writable */
	uint64_t out_len, in_len; /* bytes in each part */
	struct iovec iov[VQ_MAX_IOV];
};

/* Plain state for snapshots. */
struct vq_state {
	uint16_t size, last_avail, used_idx, signalled_used;
	uint8_t ready, event_idx, signalled_valid, pad;
	uint64_t desc_gpa, avail_gpa, used_gpa;
};

void vq_init(struct virtqueue *vq, struct guest_mem *gm);
/* Back to the reset state (not ready, addresses 0, indices 0). */
void vq_reset(struct virtqueue *vq);
/* The driver set QueueReady: check the size and the three areas (aligned,
 * wholly in RAM) and start. 0, or -EINVAL (the queue stays not ready). */
int vq_enable(struct virtqueue *vq);

/* Take the next available chain. 1: elem filled; 0: nothing available;
 * -EINVAL: the driver's ring or chain is invalid (counted; the element's
 * head is in elem->head when known, -1 in *bad_head otherwise). */
int vq_pop(struct virtqueue *vq, struct vq_elem *elem);
/* Is a chain available (without taking it)? */
bool vq_has_avail(struct virtqueue *vq);
/* Return a chain: `written` bytes of its writable part were filled. */
void vq_push(struct virtqueue *vq, uint16_t head, uint32_t written);
/* After one or more vq_push: must the driver be interrupted? (EVENT_IDX's
 * used_event, else the avail ring's NO_INTERRUPT flag.) Calling it records
 * the decision. */
bool vq_need_notify(struct virtqueue *vq);
/* Ask the driver to (not) notify on new buffers: used ring NO_NOTIFY or,
 * with EVENT_IDX, avail_event. After enabling, re-check vq_has_avail (a
 * buffer may have come in while notifications were off). */
void vq_set_notify(struct virtqueue *vq, bool enable);

void vq_save(const struct virtqueue *vq, struct vq_state *s);
/* Restore and re-enable; -EINVAL if the state is inconsistent. */
int vq_load(struct virtqueue *vq, const struct vq_state *s);

/* Copy helpers over an element's iovecs (bytes copied). */
size_t vq_iov_to_buf(const struct iovec *iov, unsigned n, size_t skip, void *buf, size_t len);
size_t vq_iov_from_buf(const struct iovec *iov, unsigned n, size_t skip, const void *buf, size_t len);

#endif
