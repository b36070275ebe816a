#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hw/virtio/virtio.h"

/* What every transport offers on top of the device's own bits: modern
 * virtio, indirect descriptors, event suppression by index. */
#define TRANSPORT_FEATURES \
	(1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_F_INDIRECT_DESC | 1ull << VIRTIO_F_EVENT_IDX)

static void guest_error(struct virtio_dev *d, const char *what)
{
	if (atomic_fetch_add(&d->n_guest_errors, 1) < 10)
		fprintf(stderr, "avmm: %s: guest error: %s\n", d->ops->name, what);
}

int virtio_dev_init(struct virtio_dev *d, const struct virtio_dev_ops *ops, void *opaque, struct guest_mem *gm,
		    uint8_t *config)
{
	if (ops->num_queues > VIRTIO_MAX_QUEUES || !ops->queue_max || (ops->queue_max & (ops->queue_max - 1)) ||
	    ops->queue_max > VQ_MAX_SIZE)
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	d->ops = ops;
	d->opaque = opaque;
	d->gm = gm;
	d->config = config;
	d->host_features = ops->features | TRANSPORT_FEATURES;
	pthread_mutex_init(&d->lock, NULL);
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		vq_init(&d->vq[i], gm);
	virtio_dev_reset(d);
	return 0;
}

void virtio_dev_destroy(struct virtio_dev *d)
{
	pthread_mutex_destroy(&d->lock);
}

void virtio_dev_reset(struct virtio_dev *d)
{
	if (d->ops->reset)
		d->ops->reset(d);
	atomic_store(&d->status, 0);
	d->guest_features = 0;
	d->host_features_sel = d->guest_features_sel = d->queue_sel = 0;
	atomic_store(&d->isr, 0);
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		vq_reset(&d->vq[i]);
		/* The size starts at the maximum (PCI's queue_size reads it, §4.1.4.3). */
		if (i < d->ops->num_queues)
			d->vq[i].size = d->ops->queue_max;
		d->queue_vector[i] = VIRTIO_NO_VECTOR;
	}
	d->config_vector = VIRTIO_NO_VECTOR;
}

uint32_t virtio_get_host_features(struct virtio_dev *d, unsigned sel)
{
	return sel < 2 ? (uint32_t)(d->host_features >> (32 * sel)) : 0;
}

void virtio_set_guest_features(struct virtio_dev *d, unsigned sel, uint32_t val)
{
	/* Features are frozen once FEATURES_OK is set (§2.2). */
	if (sel >= 2 || (atomic_load(&d->status) & VIRTIO_S_FEATURES_OK)) {
		if (sel < 2)
			guest_error(d, "feature write after FEATURES_OK");
		return;
	}
	uint64_t mask = 0xffffffffull << (32 * sel);
	d->guest_features = (d->guest_features & ~mask) | ((uint64_t)val << (32 * sel));
}

void virtio_set_status(struct virtio_dev *d, uint8_t val)
{
	if (!val) {
		virtio_dev_reset(d);
		return;
	}
	uint8_t cur = atomic_load(&d->status);
	/* The driver only adds bits; clearing one needs a reset (§2.1.2). */
	if ((cur & ~val) & ~VIRTIO_S_NEEDS_RESET) {
		guest_error(d, "status bits cleared without a reset");
		return;
	}
	val &= (uint8_t)~VIRTIO_S_NEEDS_RESET; /* the device's bit, not the driver's */
	uint8_t add = val & ~cur;
	if (add & VIRTIO_S_FEATURES_OK) {
		/* Only what was offered, and modern devices need VERSION_1. */
		bool ok = !(d->guest_features & ~d->host_features) && virtio_has_feature(d, VIRTIO_F_VERSION_1);
		if (!ok) {
			guest_error(d, "feature negotiation failed (features not offered, or no VERSION_1)");
			val &= (uint8_t)~VIRTIO_S_FEATURES_OK;
			add &= (uint8_t)~VIRTIO_S_FEATURES_OK;
		}
	}
	if ((add & VIRTIO_S_DRIVER_OK) && !(val & VIRTIO_S_FEATURES_OK)) {
		guest_error(d, "DRIVER_OK without FEATURES_OK");
		val &= (uint8_t)~VIRTIO_S_DRIVER_OK;
		add &= (uint8_t)~VIRTIO_S_DRIVER_OK;
	}
	atomic_fetch_or(&d->status, val);
	if (add & VIRTIO_S_DRIVER_OK) {
		/* Queues made ready before now pick up the negotiated ring
		 * format (EVENT_IDX) here. */
		for (unsigned i = 0; i < d->ops->num_queues; i++)
			d->vq[i].event_idx = virtio_has_feature(d, VIRTIO_F_EVENT_IDX);
		if (d->ops->activate && d->ops->activate(d))
			virtio_needs_reset(d, "the device could not start");
	}
}

uint64_t virtio_config_read(struct virtio_dev *d, uint32_t off, unsigned len)
{
	uint64_t v = 0;
	if (len > 8 || off > d->ops->config_size || len > d->ops->config_size - off) {
		guest_error(d, "config read out of range");
		return 0;
	}
	memcpy(&v, d->config + off, len);
	return v;
}

void virtio_config_write(struct virtio_dev *d, uint32_t off, unsigned len, uint64_t val)
{
	if (len > 8 || off > d->ops->config_size || len > d->ops->config_size - off) {
		guest_error(d, "config write out of range");
		return;
	}
	if (d->ops->config_write)
		d->ops->config_write(d, off, &val, len);
}

void virtio_queue_set_ready(struct virtio_dev *d, unsigned q, bool ready)
{
	if (q >= d->ops->num_queues)
		return;
	struct virtqueue *vq = &d->vq[q];
	if (!ready) {
		vq->ready = false;
		return;
	}
	if (vq->ready)
		return;
	if (vq->size > d->ops->queue_max) {
		guest_error(d, "queue size above QueueNumMax");
		return;
	}
	vq->event_idx = virtio_has_feature(d, VIRTIO_F_EVENT_IDX);
	if (vq_enable(vq))
		guest_error(d, "queue areas misaligned, not in RAM, or bad size");
}

void virtio_queue_notify(struct virtio_dev *d, unsigned q)
{
	if (q >= d->ops->num_queues)
		return;
	/* Racy by design: a notify that loses against a reset is harmless,
	 * the device thread re-checks its state. */
	if (d->ops->notify)
		d->ops->notify(d, q);
}

void virtio_queue_done(struct virtio_dev *d, unsigned q)
{
	if (!vq_need_notify(&d->vq[q]))
		return;
	atomic_fetch_or(&d->isr, VIRTIO_ISR_QUEUE);
	d->tr.interrupt(d->tr.opaque, q);
}

void virtio_config_changed(struct virtio_dev *d)
{
	atomic_fetch_add(&d->config_generation, 1);
	atomic_fetch_or(&d->isr, VIRTIO_ISR_CONFIG);
	d->tr.interrupt(d->tr.opaque, VIRTIO_MAX_QUEUES);
}

void virtio_needs_reset(struct virtio_dev *d, const char *why)
{
	guest_error(d, why);
	/* Only meaningful once the driver is running (§2.1.1). */
	uint8_t old = atomic_fetch_or(&d->status, VIRTIO_S_NEEDS_RESET);
	if ((old & VIRTIO_S_DRIVER_OK) && !(old & VIRTIO_S_NEEDS_RESET))
		virtio_config_changed(d);
}
