/* virtio-rng through virtio-mmio as Linux's virtio_rng drives it: with
 * EVENT_IDX negotiated, the driver kicks only when its avail index passes
 * the device's avail_event, so the device must publish avail_event after
 * each batch or the second request is never seen (a guest's read of
 * /dev/hwrng hung). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "hw/virtio/virtio-mmio.h"
#include "hw/virtio/virtio-rng.h"

#define OK(c) CHECK(c, "%s", "false")
#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x100000ull
#define QSZ 8
#define DESC (RAM_BASE + 0x1000)
#define AVAIL (RAM_BASE + 0x2000)
#define USED (RAM_BASE + 0x3000)
#define BUF (RAM_BASE + 0x10000)

static uint8_t *ram;
static struct guest_mem gm;
static struct virtio_mmio t;
static unsigned kicks;

static void *g(uint64_t a)
{
	return ram + (a - RAM_BASE);
}

static void line(void *o, unsigned n, bool l)
{
	(void)o, (void)n, (void)l;
}

static void wr(uint64_t off, uint32_t v)
{
	virtio_mmio_write(&t, off, 4, v);
}

static uint32_t rd(uint64_t off)
{
	return (uint32_t)virtio_mmio_read(&t, off, 4);
}

static uint16_t used_idx(void)
{
	return __atomic_load_n((uint16_t *)g(USED + 2), __ATOMIC_ACQUIRE);
}

static uint16_t avail_event(void)
{
	return __atomic_load_n((uint16_t *)g(USED + 4 + 8 * QSZ), __ATOMIC_ACQUIRE);
}

/* The driver side of §2.7.10 (Linux's vring_need_event). */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

/* Adds one 64-byte device-writable buffer, kicks only if avail_event asks
 * for it, and waits (bounded) for the device to use it. */
static bool request(uint16_t n)
{
	uint64_t addr = BUF + 64u * n;
	uint32_t len = 64;
	uint16_t flags = VRING_DESC_F_WRITE, next = 0;
	uint8_t *d = g(DESC + 16u * (n % QSZ));
	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
	uint16_t *avail = g(AVAIL);
	avail[2 + n % QSZ] = (uint16_t)(n % QSZ);
	__atomic_store_n(&avail[1], (uint16_t)(n + 1), __ATOMIC_SEQ_CST);
	if (need_event(avail_event(), (uint16_t)(n + 1), n)) {
		kicks++;
		wr(VMMIO_QUEUE_NOTIFY, 0);
	}
	struct timespec ts = { 0, 100000 };
	for (unsigned i = 0; i < 20000 && used_idx() != (uint16_t)(n + 1); i++)
		nanosleep(&ts, NULL);
	return used_idx() == (uint16_t)(n + 1);
}

int main(void)
{
	ram = calloc(1, RAM_SIZE);
	gmem_init(&gm);
	gmem_add(&gm, RAM_BASE, RAM_SIZE, ram, false);
	struct vrng *r;
	EQ(vrng_create(&gm, &r), 0);
	virtio_mmio_init(&t, vrng_virtio(r), (struct irq_line){ line, NULL, 0 }, 0);
	EQ(rd(VMMIO_DEVICE_ID), 4u);
	wr(VMMIO_STATUS, 3);
	wr(VMMIO_DRIVER_FEATURES_SEL, 0);
	wr(VMMIO_DRIVER_FEATURES, 1u << 29); /* EVENT_IDX */
	wr(VMMIO_DRIVER_FEATURES_SEL, 1);
	wr(VMMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	wr(VMMIO_STATUS, 11);
	OK(rd(VMMIO_STATUS) & 8);
	wr(VMMIO_QUEUE_SEL, 0);
	wr(VMMIO_QUEUE_NUM, QSZ);
	wr(VMMIO_QUEUE_DESC_LOW, (uint32_t)DESC);
	wr(VMMIO_QUEUE_DRIVER_LOW, (uint32_t)AVAIL);
	wr(VMMIO_QUEUE_DEVICE_LOW, (uint32_t)USED);
	wr(VMMIO_QUEUE_READY, 1);
	wr(VMMIO_STATUS, 15);
	/* More requests than the queue has entries: the indices wrap too. */
	for (uint16_t n = 0; n < 3 * QSZ; n++) {
		check_ctx = "request";
		if (!request(n)) {
			check(false, "request %u was never used (avail_event %u, %u kicks)", n, avail_event(), kicks);
			break;
		}
		uint32_t ul;
		memcpy(&ul, g(USED + 4 + 8 * (n % QSZ) + 4), 4);
		EQ(ul, 64u);
		EQ(avail_event(), (uint16_t)(n + 1));
	}
	/* Random bytes, not the zeroes the buffers held. */
	uint8_t z[64] = { 0 };
	OK(memcmp(g(BUF), z, 64) && memcmp(g(BUF + 64), z, 64) && memcmp(g(BUF), g(BUF + 64), 64));
	OK(!(rd(VMMIO_STATUS) & VIRTIO_S_NEEDS_RESET));
	wr(VMMIO_STATUS, 0);
	vrng_destroy(r);
	free(ram);
	return check_summary();
}
