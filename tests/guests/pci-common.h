/* Helpers of the PCI guest programs: ECAM config access on the virt
 * machine's PCIe host (QEMU's addresses), BAR sizing and assignment. */
#ifndef PCI_COMMON_H
#define PCI_COMMON_H

#include "rt/rt.h"

#define ECAM_LOW 0x3f000000ul
#define ECAM_HIGH 0x4010000000ul /* QEMU uses this one instead when highmem is on */
extern uintptr_t ecam_base;
#define PIO_BASE 0x3eff0000ul   /* I/O port p is at PIO_BASE + p */
#define MMIO32_BASE 0x10000000ul
#define MMIO64_BASE 0x8000000000ul

#define REG32(a) (*(volatile uint32_t *)(uintptr_t)(a))
#define REG16(a) (*(volatile uint16_t *)(uintptr_t)(a))
#define REG8(a) (*(volatile uint8_t *)(uintptr_t)(a))
#define REG64(a) (*(volatile uint64_t *)(uintptr_t)(a))

static inline uintptr_t ecam(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	return ecam_base + ((uintptr_t)bus << 20 | dev << 15 | fn << 12 | off);
}
static inline uint32_t cfg32(unsigned dev, unsigned off) { return REG32(ecam(0, dev, 0, off)); }
static inline uint16_t cfg16(unsigned dev, unsigned off) { return REG16(ecam(0, dev, 0, off)); }
static inline uint8_t cfg8(unsigned dev, unsigned off) { return REG8(ecam(0, dev, 0, off)); }
static inline void cfg32w(unsigned dev, unsigned off, uint32_t v) { REG32(ecam(0, dev, 0, off)) = v; }
static inline void cfg16w(unsigned dev, unsigned off, uint16_t v) { REG16(ecam(0, dev, 0, off)) = v; }

/* Find the ECAM: QEMU's virt maps either the high or the low one; avmm the
 * low one (a read of the high address aborts there). */
static inline void ecam_probe(void)
{
	rt_record();
	uint32_t id = REG32(ECAM_HIGH);
	unsigned exc = rt_last.count;
	rt_exception_hook = 0;
	ecam_base = !exc && id != ~0u ? ECAM_HIGH : ECAM_LOW;
}

struct bar {
	uint64_t size, addr; /* addr: CPU address (I/O: PIO_BASE + port) */
	unsigned flags;      /* low 4 bits of the BAR */
	int is64, io;
};

/* Size BAR i of dev (decode must be off); returns the next BAR index. */
static inline unsigned bar_size(unsigned dev, unsigned i, struct bar *b)
{
	unsigned off = 0x10 + 4 * i;
	uint32_t orig = cfg32(dev, off);
	cfg32w(dev, off, ~0u);
	uint32_t lo = cfg32(dev, off);
	cfg32w(dev, off, orig);
	b->io = orig & 1;
	b->flags = b->io ? (orig & 3) : (orig & 15);
	b->is64 = !b->io && ((orig >> 1) & 3) == 2;
	uint64_t mask = b->io ? (lo & ~3u) : (lo & ~15u);
	if (b->is64) {
		uint32_t origh = cfg32(dev, off + 4);
		cfg32w(dev, off + 4, ~0u);
		mask |= (uint64_t)cfg32(dev, off + 4) << 32;
		cfg32w(dev, off + 4, origh);
	}
	b->size = mask & (~mask + 1); /* the lowest writable address bit */
	return i + (b->is64 ? 2 : 1);
}

/* Place BAR i at a window address (aligned to its size), program it. */
static inline void bar_assign(unsigned dev, unsigned i, struct bar *b, uint64_t *mem32, uint64_t *mem64,
			      uint64_t *port)
{
	uint64_t *next = b->io ? port : (b->is64 && (b->flags & 8)) ? mem64 : mem32;
	uint64_t a = (*next + b->size - 1) & ~(b->size - 1);
	*next = a + b->size;
	unsigned off = 0x10 + 4 * i;
	cfg32w(dev, off, (uint32_t)a | b->flags);
	if (b->is64)
		cfg32w(dev, off + 4, (uint32_t)(a >> 32));
	b->addr = b->io ? PIO_BASE + a : a;
}

#endif
