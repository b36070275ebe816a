#include <stdio.h>
#include <string.h>

#include "hw/pci/pci-testdev.h"

#define MEMSIZE 2048u /* a BAR holds its tests' offsets after this much */
#define IOSIZE 128u
#define DATAMATCH 0xfau
#define NOMATCH 0xceu

static const char *const test_name[3] = { "no-eventfd", "wildcard-eventfd", "datamatch-eventfd" };

/* Test i: type i / 3 (0 memory, 1 I/O), kind i % 3. */
static uint32_t test_offset(unsigned i)
{
	return (i < 3 ? MEMSIZE : IOSIZE) + i;
}

static uint8_t test_data(unsigned i)
{
	return i % 3 == 1 ? NOMATCH : DATAMATCH;
}

/* The header of test i as bytes: test, width, pad, offset, data, pad, count, name. */
static unsigned header(struct pci_testdev *t, unsigned i, uint8_t *h)
{
	memset(h, 0, 16);
	h[0] = (uint8_t)i;
	h[1] = 1;
	uint32_t off = test_offset(i);
	memcpy(h + 4, &off, 4);
	h[8] = test_data(i);
	memcpy(h + 12, &t->count[i], 4);
	int n = snprintf((char *)h + 16, 48, "%s-%s", i < 3 ? "mmio" : "portio", test_name[i % 3]);
	return 16 + (unsigned)n + 1;
}

static uint8_t read_byte(struct pci_testdev *t, uint64_t addr)
{
	if (t->current < 0)
		return 0;
	uint8_t h[64];
	unsigned size = header(t, (unsigned)t->current, h);
	return addr + 1 >= size ? 0 : h[addr];
}

static void write_byte(struct pci_testdev *t, uint64_t addr, uint8_t v, unsigned type)
{
	if (addr == 0) {
		t->current = -1;
		if (v < 3) {
			t->current = (int)(type * 3 + v);
			t->count[t->current] = 0;
		}
		return;
	}
	if (t->current < 0 || addr != test_offset((unsigned)t->current))
		return;
	/* QEMU's eventfd tests (wildcard, and datamatch with the data) have the
	 * write taken by the ioeventfd, so their count stays 0 (also on TCG);
	 * the rest reach the handler, which counts only the data. */
	if (t->current % 3 != 0 || v != test_data((unsigned)t->current))
		return;
	t->count[t->current]++;
}

static uint64_t rd(void *opaque, uint64_t off, unsigned size)
{
	struct pci_testdev *t = opaque;
	uint64_t v = 0;
	pthread_mutex_lock(&t->lock);
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)read_byte(t, off + i) << (8 * i);
	pthread_mutex_unlock(&t->lock);
	return v;
}

static void wr(struct pci_testdev *t, uint64_t off, unsigned size, uint64_t v, unsigned type)
{
	pthread_mutex_lock(&t->lock);
	for (unsigned i = 0; i < size; i++)
		write_byte(t, off + i, (uint8_t)(v >> (8 * i)), type);
	pthread_mutex_unlock(&t->lock);
}

static void mem_wr(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	wr(opaque, off, size, v, 0);
}

static void io_wr(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	wr(opaque, off, size, v, 1);
}

static const struct mmio_ops mem_ops = { rd, mem_wr, MMIO_W8 | MMIO_W16 | MMIO_W32 | MMIO_W64 };
static const struct mmio_ops io_ops = { rd, io_wr, MMIO_W8 | MMIO_W16 | MMIO_W32 };

static void testdev_reset(struct pci_dev *d)
{
	struct pci_testdev *t = d->opaque;
	pthread_mutex_lock(&t->lock);
	t->current = -1;
	pthread_mutex_unlock(&t->lock);
}

static const struct pci_dev_ops testdev_ops = { .reset = testdev_reset };

void pci_testdev_init(struct pci_testdev *t)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	t->current = -1;
	pci_dev_init(&t->pci, "pci-testdev", 0x1b36, 0x0005, 0, 0x00ff00, 0x1af4, 0x1100);
	t->pci.ops = &testdev_ops;
	t->pci.opaque = t;
	pci_dev_add_bar(&t->pci, 0, 2 * MEMSIZE, 0, &mem_ops, t);
	pci_dev_add_bar(&t->pci, 1, 2 * IOSIZE, PCI_BAR_IO, &io_ops, t);
	pci_dev_finish(&t->pci);
}

void pci_testdev_destroy(struct pci_testdev *t)
{
	pthread_mutex_destroy(&t->lock);
}
