#include <errno.h>
#include <stdlib.h>

#include "host/host.h"
#include "hw/virtio/virtio-rng.h"
#include "hw/virtio/vworker.h"

#define RNG_CHUNK 4096u /* at most this much per request: the driver asks again */

struct vrng {
	struct virtio_dev vdev;
	struct vworker worker;
	struct vq_elem elem;
	uint8_t buf[RNG_CHUNK];
};

static void process(void *opaque, unsigned q)
{
	struct vrng *r = opaque;
	struct virtqueue *vq = &r->vdev.vq[q];
	int k;
	bool pushed = false;
	for (;;) {
		vq_set_notify(vq, false);
		while ((k = vq_pop(vq, &r->elem)) == 1) {
			size_t n = r->elem.in_len < RNG_CHUNK ? (size_t)r->elem.in_len : RNG_CHUNK;
			if (host_random(r->buf, n))
				n = 0;
			n = vq_iov_from_buf(r->elem.iov + r->elem.n_out, r->elem.n_in, 0, r->buf, n);
			vq_push(vq, r->elem.head, (uint32_t)n);
			pushed = true;
		}
		if (k < 0) {
			virtio_needs_reset(&r->vdev, "invalid descriptor chain");
			break;
		}
		/* With EVENT_IDX the driver kicks only when its avail index
		 * passes avail_event: publish it, then look again for a buffer
		 * added before the driver could see it. */
		vq_set_notify(vq, true);
		if (!vq_has_avail(vq))
			break;
	}
	if (pushed)
		virtio_queue_done(&r->vdev, q);
}

static void rng_notify(struct virtio_dev *d, unsigned q)
{
	vworker_kick(&((struct vrng *)d->opaque)->worker, q);
}

static int rng_activate(struct virtio_dev *d)
{
	vworker_activate(&((struct vrng *)d->opaque)->worker, 1);
	return 0;
}

static void rng_reset(struct virtio_dev *d)
{
	vworker_pause(&((struct vrng *)d->opaque)->worker);
}

static const struct virtio_dev_ops rng_ops = {
	.name = "virtio-rng", .device_id = VIRTIO_RNG_ID, .num_queues = 1, .queue_max = 256,
	.activate = rng_activate, .reset = rng_reset, .notify = rng_notify,
};

int vrng_create(struct guest_mem *gm, struct vrng **out)
{
	struct vrng *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	int e = vworker_start(&r->worker, process, r, "avmm-vrng");
	if (!e && (e = virtio_dev_init(&r->vdev, &rng_ops, r, gm, NULL)))
		vworker_stop(&r->worker);
	if (e) {
		free(r);
		return e;
	}
	*out = r;
	return 0;
}

struct virtio_dev *vrng_virtio(struct vrng *r)
{
	return &r->vdev;
}

void vrng_destroy(struct vrng *r)
{
	if (!r)
		return;
	vworker_pause(&r->worker);
	vworker_stop(&r->worker);
	virtio_dev_destroy(&r->vdev);
	free(r);
}
