/* A minimal modern virtio-pci driver for the PCI guests: find
 * virtio-rng-pci, assign its BARs, bring up queue 0 through the common
 * configuration, post one request; the GICv3 setup they share. */
#ifndef PCI_VIRTIO_H
#define PCI_VIRTIO_H

#include "pci-common.h"

#define GICD_BASE 0x08000000ul
#define GICR_BASE 0x080a0000ul /* CPU 0: RD_base, then SGI_base at +64 KiB */

struct vq_mem {
	struct { uint64_t addr; uint32_t len; uint16_t flags, next; } desc[8];
	struct { uint16_t flags, idx, ring[8], used_event; } avail __attribute__((aligned(4)));
	struct { uint16_t flags, idx; struct { uint32_t id, len; } ring[8]; uint16_t avail_event; } used
		__attribute__((aligned(4096)));
	uint8_t buf[8][64];
};

struct vdev {
	unsigned slot;
	struct bar bar[6];
	uintptr_t common, isr, notify;
	uint32_t notify_mult;
	struct vq_mem *q;
	uint16_t avail_idx;
};

/* Find the first 1af4:1044 on bus 0, assign its BARs (32-bit from mmio32,
 * 64-bit prefetchable at the 64-bit window) and the virtio structures. */
static inline int vdev_find(struct vdev *v, uint64_t mem32)
{
	v->slot = 0;
	for (unsigned d = 1; d < 32 && !v->slot; d++)
		if (cfg32(d, 0) == 0x10441af4u)
			v->slot = d;
	if (!v->slot)
		return 0;
	uint64_t mem64 = MMIO64_BASE, port = 0x1000;
	cfg16w(v->slot, 4, 0);
	for (unsigned i = 0; i < 6;) {
		unsigned next = bar_size(v->slot, i, &v->bar[i]);
		if (v->bar[i].size)
			bar_assign(v->slot, i, &v->bar[i], &mem32, &mem64, &port);
		i = next;
	}
	for (unsigned p = cfg8(v->slot, 0x34) & 0xfc, n = 0; p && n < 48; p = cfg8(v->slot, p + 1) & 0xfc, n++) {
		if (cfg8(v->slot, p) != 0x09)
			continue;
		unsigned type = cfg8(v->slot, p + 3), b = cfg8(v->slot, p + 4);
		uintptr_t a = (uintptr_t)v->bar[b < 6 ? b : 0].addr + cfg32(v->slot, p + 8);
		if (type == 1)
			v->common = a;
		else if (type == 3)
			v->isr = a;
		else if (type == 2)
			v->notify = a, v->notify_mult = cfg32(v->slot, p + 16);
	}
	cfg16w(v->slot, 4, 2 | 4); /* memory decode, bus master */
	return v->common && v->isr && v->notify;
}

/* Reset, negotiate VERSION_1 only, set up queue 0 with MSI-X vector vec
 * (0xffff: none), DRIVER_OK. Returns the device status read back. */
static inline uint8_t vdev_start(struct vdev *v, struct vq_mem *q, uint16_t vec)
{
	uintptr_t c = v->common;
	v->q = q;
	v->avail_idx = 0;
	for (unsigned i = 0; i < sizeof(*q); i++)
		((volatile uint8_t *)q)[i] = 0;
	REG8(c + 0x14) = 0;
	while (REG8(c + 0x14))
		;
	REG8(c + 0x14) = 1 | 2;
	REG32(c + 0x08) = 0;
	REG32(c + 0x0c) = 0;
	REG32(c + 0x08) = 1;
	REG32(c + 0x0c) = 1; /* VIRTIO_F_VERSION_1 */
	REG8(c + 0x14) = 1 | 2 | 8;
	REG16(c + 0x16) = 0;
	REG16(c + 0x18) = 8;
	REG16(c + 0x1a) = vec;
	REG32(c + 0x20) = (uint32_t)(uintptr_t)q->desc;
	REG32(c + 0x24) = 0;
	REG32(c + 0x28) = (uint32_t)(uintptr_t)&q->avail;
	REG32(c + 0x2c) = 0;
	REG32(c + 0x30) = (uint32_t)(uintptr_t)&q->used;
	REG32(c + 0x34) = 0;
	REG16(c + 0x1c) = 1;
	REG8(c + 0x14) = 1 | 2 | 4 | 8;
	return REG8(c + 0x14);
}

/* Queue 0's MSI-X vector as the device took it (0xffff: refused). */
static inline uint16_t vdev_qvec(struct vdev *v)
{
	REG16(v->common + 0x16) = 0;
	return REG16(v->common + 0x1a);
}

/* Post one 16-byte device-writable buffer and notify. */
static inline void vdev_request(struct vdev *v)
{
	struct vq_mem *q = v->q;
	unsigned i = v->avail_idx % 8;
	q->desc[i].addr = (uint64_t)(uintptr_t)q->buf[i];
	q->desc[i].len = 16;
	q->desc[i].flags = 2; /* VIRTQ_DESC_F_WRITE */
	q->desc[i].next = 0;
	q->avail.ring[i] = (uint16_t)i;
	__asm__ volatile("dsb sy" ::: "memory");
	q->avail.idx = ++v->avail_idx;
	__asm__ volatile("dsb sy" ::: "memory");
	REG16(v->notify + REG16(v->common + 0x1e) * v->notify_mult) = 0;
}

static inline uint16_t vdev_used(struct vdev *v)
{
	__asm__ volatile("dsb sy" ::: "memory");
	return ((volatile struct vq_mem *)v->q)->used.idx;
}

/* GICv3 for SPIs and LPIs on CPU 0, Group 1, as Linux sets it up (the
 * LPI tables are the ITS guest's business). */
static inline void gic_init(void)
{
	REG32(GICD_BASE + 0x0) = 1u << 4 | 1u << 1; /* GICD_CTLR: ARE, EnableGrp1 */
	REG32(GICR_BASE + 0x14) &= ~(1u << 1);      /* GICR_WAKER.ProcessorSleep */
	while (REG32(GICR_BASE + 0x14) & (1u << 2))
		;
	RT_MSR(S3_0_C12_C12_5, RT_MRS(S3_0_C12_C12_5) | 1); /* ICC_SRE_EL1.SRE */
	RT_MSR(S3_0_C4_C6_0, 0xff);                          /* ICC_PMR_EL1 */
	RT_MSR(S3_0_C12_C12_3, 0);                           /* ICC_BPR1_EL1 */
	RT_MSR(S3_0_C12_C12_7, 1);                           /* ICC_IGRPEN1_EL1 */
}

static inline void gic_enable_spi(unsigned intid)
{
	REG32(GICD_BASE + 0x80 + 4 * (intid / 32)) |= 1u << (intid % 32); /* IGROUPR: Group 1 */
	REG8(GICD_BASE + 0x400 + intid) = 0x80;                             /* IPRIORITYR */
	REG64(GICD_BASE + 0x6000 + 8 * intid) = 0;                          /* IROUTER: CPU 0 */
	REG32(GICD_BASE + 0x100 + 4 * (intid / 32)) = 1u << (intid % 32);   /* ISENABLER */
}

#endif
