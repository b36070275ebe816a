/* virtio-mmio version 2 (virtio 1.2 §4.2.2), modern only, as QEMU's virt
 * lays it out: 32 transports of 0x200 bytes from 0x0A00_0000, SPIs 16..47;
 * a transport with no device behind it reads DeviceID 0 (the driver skips
 * it). The interrupt line is high while InterruptStatus is non-zero; the
 * device tree calls it edge-triggered, as QEMU's does (Linux acknowledges
 * before it walks the rings, so no edge is lost). */
#ifndef AVMM_HW_VIRTIO_VIRTIO_MMIO_H
#define AVMM_HW_VIRTIO_VIRTIO_MMIO_H

#include "hw/mmio.h"
#include "hw/virtio/virtio.h"

#define VIRTIO_MMIO_SIZE 0x200
#define VIRTIO_MMIO_MAGIC 0x74726976u  /* "virt" */
#define VIRTIO_MMIO_VENDOR 0x554d4551u /* "QEMU", as guests expect on virt */

/* Register offsets (§4.2.2). */
enum {
	VMMIO_MAGIC = 0x000,
	VMMIO_VERSION = 0x004,
	VMMIO_DEVICE_ID = 0x008,
	VMMIO_VENDOR_ID = 0x00c,
	VMMIO_DEVICE_FEATURES = 0x010,
	VMMIO_DEVICE_FEATURES_SEL = 0x014,
	VMMIO_DRIVER_FEATURES = 0x020,
	VMMIO_DRIVER_FEATURES_SEL = 0x024,
	VMMIO_QUEUE_SEL = 0x030,
	VMMIO_QUEUE_NUM_MAX = 0x034,
	VMMIO_QUEUE_NUM = 0x038,
	VMMIO_QUEUE_READY = 0x044,
	VMMIO_QUEUE_NOTIFY = 0x050,
	VMMIO_INTERRUPT_STATUS = 0x060,
	VMMIO_INTERRUPT_ACK = 0x064,
	VMMIO_STATUS = 0x070,
	VMMIO_QUEUE_DESC_LOW = 0x080,
	VMMIO_QUEUE_DESC_HIGH = 0x084,
	VMMIO_QUEUE_DRIVER_LOW = 0x090,
	VMMIO_QUEUE_DRIVER_HIGH = 0x094,
	VMMIO_QUEUE_DEVICE_LOW = 0x0a0,
	VMMIO_QUEUE_DEVICE_HIGH = 0x0a4,
	VMMIO_SHM_SEL = 0x0ac,
	VMMIO_SHM_LEN_LOW = 0x0b0,
	VMMIO_SHM_LEN_HIGH = 0x0b4,
	VMMIO_SHM_BASE_LOW = 0x0b8,
	VMMIO_SHM_BASE_HIGH = 0x0bc,
	VMMIO_CONFIG_GENERATION = 0x0fc,
	VMMIO_CONFIG = 0x100,
};

struct virtio_mmio {
	struct virtio_dev *dev;     /* NULL: an empty slot (DeviceID 0) */
	struct irq_line irq;
	pthread_mutex_t irq_lock;   /* orders ISR changes with the line level */
	uint64_t base;
};

/* dev may be NULL (an empty transport). */
void virtio_mmio_init(struct virtio_mmio *t, struct virtio_dev *dev, struct irq_line irq, uint64_t base);
void virtio_mmio_destroy(struct virtio_mmio *t);
uint64_t virtio_mmio_read(void *opaque, uint64_t off, unsigned size);
void virtio_mmio_write(void *opaque, uint64_t off, unsigned size, uint64_t val);
extern const struct mmio_ops virtio_mmio_ops;

struct fdt_builder;
/* virtio_mmio@BASE: "virtio,mmio", reg, a level-high SPI, dma-coherent. */
void virtio_mmio_fdt_node(struct fdt_builder *b, uint64_t base, uint32_t spi);

#endif
