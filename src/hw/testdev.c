#include "hw/testdev.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hw/device.h"

void testdev_init(struct testdev *d)
{
	memset(d, 0, sizeof(*d));
	pthread_mutex_init(&d->lock, NULL);
}

void testdev_destroy(struct testdev *d) { pthread_mutex_destroy(&d->lock); }

void testdev_reset(struct testdev *d)
{
	pthread_mutex_lock(&d->lock);
	d->n = 0;
	d->dropped = 0;
	pthread_mutex_unlock(&d->lock);
}

static bool width_ok(unsigned size) { return size == 1 || size == 2 || size == 4 || size == 8; }

static void record(struct testdev *d, uint64_t off, unsigned size, bool write, uint64_t val)
{
	d->total++;
	if (d->n < TESTDEV_LOG_MAX)
		d->log[d->n++] = (struct testdev_access){ off, size, write, val };
	else
		d->dropped++;
}

uint64_t testdev_read(void *opaque, uint64_t off, unsigned size)
{
	struct testdev *d = opaque;
	uint64_t v = 0;
	if (!width_ok(size) || off >= TESTDEV_SIZE || TESTDEV_SIZE - off < size)
		return 0;
	pthread_mutex_lock(&d->lock);
	if (off < TESTDEV_WINDOW) {
		if (off + size <= TESTDEV_WINDOW) {
			for (unsigned i = 0; i < size; i++)
				v |= (uint64_t)testdev_byte(off + i) << (8 * i);
			record(d, off, size, false, v);
		}
	} else if (size == 8) {
		if (off == TESTDEV_REG_COUNT) {
			v = d->n;
		} else if (off == TESTDEV_REG_DROPPED) {
			v = d->dropped;
		} else if (off >= TESTDEV_REG_ENTRY && !(off & 7)) {
			uint64_t i = (off - TESTDEV_REG_ENTRY) / 32, f = (off - TESTDEV_REG_ENTRY) % 32;
			if (i < d->n) {
				const struct testdev_access *a = &d->log[i];
				v = f == 0 ? a->off : f == 8 ? (a->size | (uint64_t)a->write << 8) : f == 16 ? a->val : 0;
			}
		}
	}
	pthread_mutex_unlock(&d->lock);
	return v;
}

void testdev_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct testdev *d = opaque;
	if (!width_ok(size) || off >= TESTDEV_SIZE || TESTDEV_SIZE - off < size)
		return;
	if (size < 8)
		val &= (1ull << (8 * size)) - 1;
	pthread_mutex_lock(&d->lock);
	if (off < TESTDEV_WINDOW) {
		if (off + size <= TESTDEV_WINDOW)
			record(d, off, size, true, val);
	} else if (off == TESTDEV_REG_CLEAR && size == 8) {
		d->n = 0;
		d->dropped = 0;
	}
	pthread_mutex_unlock(&d->lock);
}

const struct mmio_ops testdev_mmio_ops = {
	.read = testdev_read,
	.write = testdev_write,
	.widths = MMIO_W8 | MMIO_W16 | MMIO_W32 | MMIO_W64,
};

void testdev_dump(struct testdev *d, FILE *f)
{
	pthread_mutex_lock(&d->lock);
	fprintf(f, "testdev: %" PRIu64 " accesses, %u in the log, %" PRIu64 " dropped\n", d->total, d->n, d->dropped);
	for (unsigned i = 0; i < d->n; i++) {
		const struct testdev_access *a = &d->log[i];
		fprintf(f, "testdev: %-5s %u bytes at +0x%03" PRIx64 ": 0x%0*" PRIx64 "\n", a->write ? "write" : "read",
			a->size, a->off, (int)(2 * a->size), a->val);
	}
	pthread_mutex_unlock(&d->lock);
}

static void dev_reset(void *o) { testdev_reset(o); }

static void dev_destroy(void *o)
{
	testdev_destroy(o);
	free(o);
}

const struct device_ops testdev_device_ops = {
	.type = "testdev",
	.reset = dev_reset,
	.destroy = dev_destroy,
};
