#include <inttypes.h>
#include <stdio.h>

#include "hw/virtio/virtio-mmio.h"
#include "machine/fdt.h"

/* The line follows ISR, under irq_lock, so a device raising and a vCPU
 * acknowledging at the same time never leave it low with ISR set. */
static void update_irq(struct virtio_mmio *t)
{
	pthread_mutex_lock(&t->irq_lock);
	irq_set(&t->irq, t->dev && atomic_load(&t->dev->isr) != 0);
	pthread_mutex_unlock(&t->irq_lock);
}

static void mmio_interrupt(void *opaque, unsigned q)
{
	(void)q; /* one line for every queue and the config change */
	update_irq(opaque);
}

void virtio_mmio_init(struct virtio_mmio *t, struct virtio_dev *dev, struct irq_line irq, uint64_t base)
{
	t->dev = dev;
	t->irq = irq;
	t->base = base;
	pthread_mutex_init(&t->irq_lock, NULL);
	if (dev)
		dev->tr = (struct virtio_transport){ mmio_interrupt, t };
}

void virtio_mmio_destroy(struct virtio_mmio *t)
{
	pthread_mutex_destroy(&t->irq_lock);
}

static uint64_t reg_read(struct virtio_mmio *t, struct virtio_dev *d, uint64_t off)
{
	struct virtqueue *vq = d->queue_sel < d->ops->num_queues ? &d->vq[d->queue_sel] : NULL;
	switch (off) {
	case VMMIO_DEVICE_ID: return d->ops->device_id;
	case VMMIO_DEVICE_FEATURES: return virtio_get_host_features(d, d->host_features_sel);
	case VMMIO_QUEUE_NUM_MAX: return vq ? d->ops->queue_max : 0;
	case VMMIO_QUEUE_READY: return vq ? vq->ready : 0;
	case VMMIO_INTERRUPT_STATUS: return atomic_load(&d->isr);
	case VMMIO_STATUS: return atomic_load(&d->status);
	case VMMIO_SHM_LEN_LOW:
	case VMMIO_SHM_LEN_HIGH: return 0xffffffffu; /* no shared memory regions: length ~0 */
	case VMMIO_CONFIG_GENERATION: return atomic_load(&d->config_generation);
	/* The queue's addresses and size read back (QEMU does; the spec lists them write-only). */
	case VMMIO_QUEUE_NUM: return vq ? vq->size : 0;
	case VMMIO_QUEUE_DESC_LOW: return vq ? (uint32_t)vq->desc_gpa : 0;
	case VMMIO_QUEUE_DESC_HIGH: return vq ? vq->desc_gpa >> 32 : 0;
	case VMMIO_QUEUE_DRIVER_LOW: return vq ? (uint32_t)vq->avail_gpa : 0;
	case VMMIO_QUEUE_DRIVER_HIGH: return vq ? vq->avail_gpa >> 32 : 0;
	case VMMIO_QUEUE_DEVICE_LOW: return vq ? (uint32_t)vq->used_gpa : 0;
	case VMMIO_QUEUE_DEVICE_HIGH: return vq ? vq->used_gpa >> 32 : 0;
	default: return 0; /* write-only and reserved registers read as zero */
	}
	(void)t;
}

uint64_t virtio_mmio_read(void *opaque, uint64_t off, unsigned size)
{
	struct virtio_mmio *t = opaque;
	struct virtio_dev *d = t->dev;
	if (off >= VMMIO_CONFIG) {
		if (!d)
			return 0;
		pthread_mutex_lock(&d->lock);
		uint64_t v = virtio_config_read(d, (uint32_t)(off - VMMIO_CONFIG), size);
		pthread_mutex_unlock(&d->lock);
		return v;
	}
	if (size != 4 || (off & 3))
		return 0; /* registers are 32-bit only (§4.2.2.2) */
	switch (off) {
	case VMMIO_MAGIC: return VIRTIO_MMIO_MAGIC;
	case VMMIO_VERSION: return 2;
	case VMMIO_VENDOR_ID: return VIRTIO_MMIO_VENDOR;
	}
	if (!d)
		return 0;
	pthread_mutex_lock(&d->lock);
	uint64_t v = reg_read(t, d, off);
	pthread_mutex_unlock(&d->lock);
	return v;
}

static void set_addr(uint64_t *a, bool high, uint32_t v)
{
	*a = high ? (*a & 0xffffffffull) | (uint64_t)v << 32 : (*a & ~0xffffffffull) | v;
}

void virtio_mmio_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct virtio_mmio *t = opaque;
	struct virtio_dev *d = t->dev;
	if (!d)
		return;
	if (off >= VMMIO_CONFIG) {
		pthread_mutex_lock(&d->lock);
		virtio_config_write(d, (uint32_t)(off - VMMIO_CONFIG), size, val);
		pthread_mutex_unlock(&d->lock);
		return;
	}
	if (size != 4 || (off & 3))
		return;
	uint32_t v = (uint32_t)val;
	if (off == VMMIO_QUEUE_NOTIFY) { /* the hot path: no lock, no work here */
		virtio_queue_notify(d, v & 0xffff);
		return;
	}
	bool irq_changed = false;
	pthread_mutex_lock(&d->lock);
	struct virtqueue *vq = d->queue_sel < d->ops->num_queues ? &d->vq[d->queue_sel] : NULL;
	/* A ready queue's layout is fixed until it is disabled (§4.2.2.3). */
	struct virtqueue *cfg = vq && !vq->ready ? vq : NULL;
	switch (off) {
	case VMMIO_DEVICE_FEATURES_SEL: d->host_features_sel = v; break;
	case VMMIO_DRIVER_FEATURES: virtio_set_guest_features(d, d->guest_features_sel, v); break;
	case VMMIO_DRIVER_FEATURES_SEL: d->guest_features_sel = v; break;
	case VMMIO_QUEUE_SEL: d->queue_sel = v; break;
	case VMMIO_QUEUE_NUM:
		if (cfg)
			cfg->size = v > VQ_MAX_SIZE ? 0 : (uint16_t)v;
		break;
	case VMMIO_QUEUE_READY:
		if (vq)
			virtio_queue_set_ready(d, d->queue_sel, v & 1);
		break;
	case VMMIO_INTERRUPT_ACK:
		atomic_fetch_and(&d->isr, ~v);
		irq_changed = true;
		break;
	case VMMIO_STATUS:
		virtio_set_status(d, (uint8_t)v);
		irq_changed = !v; /* a reset clears ISR */
		break;
	case VMMIO_QUEUE_DESC_LOW: if (cfg) set_addr(&cfg->desc_gpa, false, v); break;
	case VMMIO_QUEUE_DESC_HIGH: if (cfg) set_addr(&cfg->desc_gpa, true, v); break;
	case VMMIO_QUEUE_DRIVER_LOW: if (cfg) set_addr(&cfg->avail_gpa, false, v); break;
	case VMMIO_QUEUE_DRIVER_HIGH: if (cfg) set_addr(&cfg->avail_gpa, true, v); break;
	case VMMIO_QUEUE_DEVICE_LOW: if (cfg) set_addr(&cfg->used_gpa, false, v); break;
	case VMMIO_QUEUE_DEVICE_HIGH: if (cfg) set_addr(&cfg->used_gpa, true, v); break;
	case VMMIO_SHM_SEL: break;
	default: break; /* read-only and reserved: ignored */
	}
	pthread_mutex_unlock(&d->lock);
	if (irq_changed)
		update_irq(t);
}

const struct mmio_ops virtio_mmio_ops = { virtio_mmio_read, virtio_mmio_write, MMIO_W8 | MMIO_W16 | MMIO_W32 | MMIO_W64 };

void virtio_mmio_fdt_node(struct fdt_builder *b, uint64_t base, uint32_t spi)
{
	const char *n = fdtb_node(b, "/", "virtio_mmio@%" PRIx64, base);
	fdtb_prop_str(b, n, "compatible", "virtio,mmio");
	fdtb_prop_reg(b, n, base, VIRTIO_MMIO_SIZE);
	fdtb_prop_irq(b, n, FDT_IRQ_SPI, spi, FDT_IRQ_EDGE_RISING);
	fdtb_prop_empty(b, n, "dma-coherent");
}
