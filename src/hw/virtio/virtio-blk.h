/* virtio-blk (virtio 1.2 §5.2) over any transport, on a block back end
 * (block/block.h): READ, WRITE, FLUSH, GET_ID, DISCARD, WRITE_ZEROES,
 * read-only, the guest-controlled write cache (CONFIG_WCE), several queues.
 * A request thread takes requests off the rings (the vCPU's notify only
 * wakes it); the back end's threads complete them, so neither a vCPU nor the
 * request thread ever waits on the disk. Every header, segment and length is
 * checked against the chain and the capacity: a bad request completes with
 * IOERR (or UNSUPP), a chain that breaks the ring rules sets NEEDS_RESET. */
#ifndef AVMM_HW_VIRTIO_VIRTIO_BLK_H
#define AVMM_HW_VIRTIO_VIRTIO_BLK_H

#include "block/block.h"
#include "hw/virtio/virtio.h"

#define VIRTIO_BLK_ID 2
#define VBLK_MAX_QUEUES 8
#define VBLK_QUEUE_SIZE 256
#define VBLK_CONFIG_SIZE 60

struct vblk;

struct vblk_config {
	unsigned num_queues;   /* 1..VBLK_MAX_QUEUES */
	const char *serial;    /* GET_ID (up to 20 bytes), may be NULL */
};

/* The device on an opened back end (owned by the device from here). */
int vblk_create(struct blk *b, struct guest_mem *gm, const struct vblk_config *c, struct vblk **out);
struct virtio_dev *vblk_virtio(struct vblk *v);
/* Stop the request thread, complete in-flight requests, close the back end. */
void vblk_destroy(struct vblk *v);

#endif
