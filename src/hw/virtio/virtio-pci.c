#include <errno.h>
#include <string.h>

#include "hw/virtio/virtio-pci.h"

#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_ISR 3
#define CAP_DEVICE 4
#define CAP_PCI_CFG 5

/* ---- interrupts ---- */

static void vpci_interrupt(void *opaque, unsigned q)
{
	struct virtio_pci *vp = opaque;
	struct virtio_dev *d = vp->dev;
	if (msix_enabled(&vp->msix)) {
		uint16_t v = q < VIRTIO_MAX_QUEUES ? d->queue_vector[q] : d->config_vector;
		if (v != VIRTIO_NO_VECTOR)
			msix_notify(&vp->msix, v);
		return;
	}
	pci_set_irq(&vp->pci, atomic_load(&d->isr) != 0);
}

/* ---- the common configuration ---- */

static uint64_t common_read(struct virtio_pci *vp, uint32_t off, unsigned size)
{
	struct virtio_dev *d = vp->dev;
	unsigned q = d->queue_sel;
	struct virtqueue *vq = q < d->ops->num_queues ? &d->vq[q] : NULL;
	uint64_t v = 0;
	switch (off) {
	case VPCI_DFSELECT: v = d->host_features_sel; break;
	case VPCI_DF: v = virtio_get_host_features(d, d->host_features_sel); break;
	case VPCI_GFSELECT: v = d->guest_features_sel; break;
	case VPCI_GF: v = d->guest_features_sel < 2 ? (uint32_t)(d->guest_features >> (32 * d->guest_features_sel)) : 0; break;
	case VPCI_MSIX: v = d->config_vector; break;
	case VPCI_NUMQ: v = d->ops->num_queues; break;
	case VPCI_STATUS: v = atomic_load(&d->status); break;
	case VPCI_CFGGEN: v = (uint8_t)atomic_load(&d->config_generation); break;
	case VPCI_Q_SELECT: v = q; break;
	case VPCI_Q_SIZE: v = vq ? (vq->size ? vq->size : 0) : 0; break;
	case VPCI_Q_MSIX: v = vq ? d->queue_vector[q] : VIRTIO_NO_VECTOR; break;
	case VPCI_Q_ENABLE: v = vq ? vq->ready : 0; break;
	case VPCI_Q_NOFF: v = vq ? q : 0; break;
	case VPCI_Q_DESC: case VPCI_Q_DESC + 4: v = vq ? vq->desc_gpa >> (8 * (off - VPCI_Q_DESC)) : 0; break;
	case VPCI_Q_AVAIL: case VPCI_Q_AVAIL + 4: v = vq ? vq->avail_gpa >> (8 * (off - VPCI_Q_AVAIL)) : 0; break;
	case VPCI_Q_USED: case VPCI_Q_USED + 4: v = vq ? vq->used_gpa >> (8 * (off - VPCI_Q_USED)) : 0; break;
	case VPCI_Q_NDATA: v = vq ? q : 0; break;
	default: v = 0;
	}
	return size == 8 ? v : v & ((1ull << (8 * size)) - 1);
}

static void set_part(uint64_t *a, uint32_t off, unsigned size, uint64_t v)
{
	/* A 64-bit field written whole or as two 32-bit halves. */
	if (size == 8) {
		*a = v;
	} else if (size == 4) {
		unsigned sh = off & 4 ? 32 : 0;
		*a = (*a & ~(0xffffffffull << sh)) | (v & 0xffffffffull) << sh;
	}
}

static uint16_t msix_vector(struct virtio_pci *vp, uint64_t v)
{
	/* An out-of-range vector reads back as NO_VECTOR (§4.1.5.1.2.1). */
	return v < vp->msix.n ? (uint16_t)v : VIRTIO_NO_VECTOR;
}

static void common_write(struct virtio_pci *vp, uint32_t off, unsigned size, uint64_t v)
{
	struct virtio_dev *d = vp->dev;
	unsigned q = d->queue_sel;
	struct virtqueue *vq = q < d->ops->num_queues ? &d->vq[q] : NULL;
	struct virtqueue *cfg = vq && !vq->ready ? vq : NULL;
	switch (off) {
	case VPCI_DFSELECT: d->host_features_sel = (uint32_t)v; break;
	case VPCI_GFSELECT: d->guest_features_sel = (uint32_t)v; break;
	case VPCI_GF: virtio_set_guest_features(d, d->guest_features_sel, (uint32_t)v); break;
	case VPCI_MSIX: d->config_vector = msix_vector(vp, v); break;
	case VPCI_STATUS:
		virtio_set_status(d, (uint8_t)v);
		if (!v)
			pci_set_irq(&vp->pci, false);
		break;
	case VPCI_Q_SELECT: d->queue_sel = (uint32_t)v & 0xffff; break;
	case VPCI_Q_SIZE:
		if (cfg)
			cfg->size = (uint16_t)v;
		break;
	case VPCI_Q_MSIX:
		if (vq)
			d->queue_vector[q] = msix_vector(vp, v);
		break;
	case VPCI_Q_ENABLE:
		/* Writing 0 is not allowed (§4.1.4.3.2): queue_reset does that. */
		if (vq && v == 1)
			virtio_queue_set_ready(d, q, true);
		break;
	case VPCI_Q_DESC: case VPCI_Q_DESC + 4: if (cfg) set_part(&cfg->desc_gpa, off, size, v); break;
	case VPCI_Q_AVAIL: case VPCI_Q_AVAIL + 4: if (cfg) set_part(&cfg->avail_gpa, off, size, v); break;
	case VPCI_Q_USED: case VPCI_Q_USED + 4: if (cfg) set_part(&cfg->used_gpa, off, size, v); break;
	default: break; /* read-only fields */
	}
}

/* ---- BAR4 ---- */

static uint64_t bar_read(void *opaque, uint64_t off, unsigned size)
{
	struct virtio_pci *vp = opaque;
	struct virtio_dev *d = vp->dev;
	uint64_t v = 0;
	if (off < VPCI_COMMON_OFF + VPCI_COMMON_SIZE) {
		pthread_mutex_lock(&d->lock);
		v = common_read(vp, (uint32_t)off, size);
		pthread_mutex_unlock(&d->lock);
	} else if (off == VPCI_ISR_OFF) {
		/* Reading the ISR clears it and lowers INTx (§4.1.4.5). */
		v = atomic_exchange(&d->isr, 0);
		pci_set_irq(&vp->pci, false);
	} else if (off >= VPCI_DEVICE_OFF && off < VPCI_DEVICE_OFF + 0x1000) {
		pthread_mutex_lock(&d->lock);
		v = virtio_config_read(d, (uint32_t)(off - VPCI_DEVICE_OFF), size);
		pthread_mutex_unlock(&d->lock);
	}
	return v;
}

static void bar_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	struct virtio_pci *vp = opaque;
	struct virtio_dev *d = vp->dev;
	if (off >= VPCI_NOTIFY_OFF && off < VPCI_NOTIFY_OFF + VPCI_NOTIFY_MULT * VIRTIO_MAX_QUEUES) {
		/* The hot path: no lock; the queue is the slot written. */
		virtio_queue_notify(d, (unsigned)((off - VPCI_NOTIFY_OFF) / VPCI_NOTIFY_MULT));
		return;
	}
	pthread_mutex_lock(&d->lock);
	if (off < VPCI_COMMON_OFF + VPCI_COMMON_SIZE)
		common_write(vp, (uint32_t)off, size, v);
	else if (off >= VPCI_DEVICE_OFF && off < VPCI_DEVICE_OFF + 0x1000)
		virtio_config_write(d, (uint32_t)(off - VPCI_DEVICE_OFF), size, v);
	pthread_mutex_unlock(&d->lock);
}

static const struct mmio_ops vpci_bar_ops = { bar_read, bar_write, MMIO_W8 | MMIO_W16 | MMIO_W32 | MMIO_W64 };

/* ---- the PCI configuration access window (§4.1.4.9) ---- */

static void cfg_window(struct pci_dev *pd, uint32_t off, unsigned len, bool write)
{
	struct virtio_pci *vp = pd->opaque;
	uint8_t c = vp->cfg_cap;
	if (off + len <= c + 16u || off >= c + 20u)
		return;
	uint8_t bar = pd->cfg[c + 4];
	uint32_t boff = pci_get32(pd, c + 8), blen = pci_get32(pd, c + 12);
	/* Only BAR4, naturally aligned 1, 2 or 4 bytes inside it. */
	if (bar != VPCI_BAR || (blen != 1 && blen != 2 && blen != 4) || (boff & (blen - 1)) ||
	    boff >= VPCI_BAR_SIZE || blen > VPCI_BAR_SIZE - boff)
		return;
	if (write) {
		bar_write(vp, boff, blen, pci_get32(pd, c + 16));
	} else {
		uint32_t v = (uint32_t)bar_read(vp, boff, blen);
		pci_set32(pd->cfg, c + 16, v);
	}
}

static void vpci_config_write(struct pci_dev *pd, uint32_t off, unsigned len)
{
	cfg_window(pd, off, len, true);
}

static void vpci_config_read(struct pci_dev *pd, uint32_t off, unsigned len)
{
	cfg_window(pd, off, len, false);
}

static void vpci_reset(struct pci_dev *pd)
{
	struct virtio_pci *vp = pd->opaque;
	pthread_mutex_lock(&vp->dev->lock);
	virtio_dev_reset(vp->dev);
	pthread_mutex_unlock(&vp->dev->lock);
}

static const struct pci_dev_ops vpci_ops = { vpci_config_write, vpci_config_read, vpci_reset };

static uint8_t add_vcap(struct pci_dev *pd, uint8_t type, uint32_t off, uint32_t len, unsigned caplen)
{
	uint8_t c = pci_dev_add_cap(pd, PCI_CAP_ID_VNDR, caplen);
	if (!c)
		return 0;
	pd->cfg[c + 2] = (uint8_t)caplen;
	pd->cfg[c + 3] = type;
	pd->cfg[c + 4] = VPCI_BAR;
	pci_set32(pd->cfg, c + 8, off);
	pci_set32(pd->cfg, c + 12, len);
	return c;
}

int virtio_pci_init(struct virtio_pci *vp, struct virtio_dev *dev, const char *name, uint32_t class_code)
{
	memset(vp, 0, sizeof(*vp));
	vp->dev = dev;
	struct pci_dev *pd = &vp->pci;
	uint16_t id = (uint16_t)(0x1040 + dev->ops->device_id);
	pci_dev_init(pd, name, 0x1af4, id, 1, class_code, 0x1af4, id);
	pd->ops = &vpci_ops;
	pd->opaque = vp;
	int r = pci_dev_add_bar(pd, VPCI_BAR, VPCI_BAR_SIZE, PCI_BAR_MEM64 | PCI_BAR_PREFETCH, &vpci_bar_ops, vp);
	if (r)
		return r;
	pci_dev_add_pcie_cap(pd);
	if (!add_vcap(pd, CAP_COMMON, VPCI_COMMON_OFF, VPCI_COMMON_SIZE, 16) ||
	    !add_vcap(pd, CAP_ISR, VPCI_ISR_OFF, 1, 16) ||
	    !add_vcap(pd, CAP_DEVICE, VPCI_DEVICE_OFF, dev->ops->config_size ? dev->ops->config_size : 4, 16))
		return -ENOSPC;
	uint8_t n = add_vcap(pd, CAP_NOTIFY, VPCI_NOTIFY_OFF, VPCI_NOTIFY_MULT * dev->ops->num_queues, 20);
	if (!n)
		return -ENOSPC;
	pci_set32(pd->cfg, n + 16, VPCI_NOTIFY_MULT);
	/* The access window: bar, offset, length and data are the driver's. */
	vp->cfg_cap = add_vcap(pd, CAP_PCI_CFG, 0, 0, 20);
	if (!vp->cfg_cap)
		return -ENOSPC;
	pd->cfg[vp->cfg_cap + 4] = 0;
	pd->wmask[vp->cfg_cap + 4] = 0xff;
	pci_set32(pd->wmask, vp->cfg_cap + 8, ~0u);
	pci_set32(pd->wmask, vp->cfg_cap + 12, ~0u);
	pci_set32(pd->wmask, vp->cfg_cap + 16, ~0u);
	r = msix_init(pd, &vp->msix, dev->ops->num_queues + 1, VPCI_MSIX_BAR);
	if (r)
		return r;
	pci_dev_set_pin(pd, 1);
	pci_dev_finish(pd);
	dev->tr = (struct virtio_transport){ vpci_interrupt, vp };
	return 0;
}

void virtio_pci_destroy(struct virtio_pci *vp)
{
	msix_destroy(&vp->msix);
}
