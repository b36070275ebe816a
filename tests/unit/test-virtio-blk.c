/* virtio-blk on a raw image file, through the virtio-mmio transport, as a
 * driver uses it: write, flush, read back (checked against the file from
 * the host), GET_ID, discard and write-zeroes, and the requests a hostile
 * driver sends (beyond the end, unaligned, no status byte, read-only). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "hw/virtio/virtio-blk.h"
#include "hw/virtio/virtio-mmio.h"

#define OK(c) CHECK(c, "%s", "false")
#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x200000ull
#define QSZ 16
#define DESC (RAM_BASE + 0x1000)
#define AVAIL (RAM_BASE + 0x2000)
#define USED (RAM_BASE + 0x3000)
#define HDR (RAM_BASE + 0x10000)
#define DATA (RAM_BASE + 0x20000)
#define STATUS (RAM_BASE + 0x30000)
#define DISK (1u << 20)

static uint8_t *ram;
static struct guest_mem gm;
static struct virtio_mmio t;
static unsigned ndesc;
static uint16_t nreq;

static void *g(uint64_t a)
{
	return ram + (a - RAM_BASE);
}

static void line(void *o, unsigned n, bool l)
{
}

static void wr(uint64_t off, uint32_t v)
{
	virtio_mmio_write(&t, off, 4, v);
}

static uint32_t rd(uint64_t off)
{
	return (uint32_t)virtio_mmio_read(&t, off, 4);
}

static void desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *p = g(DESC + 16ull * i);
	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

static uint16_t used_idx(void)
{
	return __atomic_load_n((uint16_t *)g(USED + 2), __ATOMIC_ACQUIRE);
}

/* Submit one request (header, optional data, status) and wait for it. */
static uint8_t request(uint32_t type, uint64_t sector, uint64_t data, uint32_t len, bool data_write, uint32_t *used_len)
{
	uint8_t *h = g(HDR);
	memset(h, 0, 16);
	memcpy(h, &type, 4);
	memcpy(h + 8, &sector, 8);
	*(uint8_t *)g(STATUS) = 0xee;
	unsigned d0 = ndesc % QSZ;
	ndesc += 3;
	unsigned d1 = (d0 + 1) % QSZ, d2 = (d0 + 2) % QSZ;
	if (len) {
		desc(d0, HDR, 16, VRING_DESC_F_NEXT, (uint16_t)d1);
		desc(d1, data, len, (uint16_t)(VRING_DESC_F_NEXT | (data_write ? VRING_DESC_F_WRITE : 0)), (uint16_t)d2);
	} else {
		desc(d0, HDR, 16, VRING_DESC_F_NEXT, (uint16_t)d2);
	}
	desc(d2, STATUS, 1, VRING_DESC_F_WRITE, 0);
	uint16_t *avail = g(AVAIL);
	avail[2 + nreq % QSZ] = (uint16_t)d0;
	__atomic_store_n(&avail[1], (uint16_t)(nreq + 1), __ATOMIC_RELEASE);
	wr(VMMIO_QUEUE_NOTIFY, 0);
	struct timespec ts = { 0, 100000 };
	for (unsigned i = 0; i < 200000 && used_idx() != (uint16_t)(nreq + 1); i++)
		nanosleep(&ts, NULL); /* the back end completes on its own threads */
	EQ(used_idx(), (uint16_t)(nreq + 1));
	if (used_len)
		memcpy(used_len, g(USED + 4 + 8 * (nreq % QSZ) + 4), 4);
	nreq++;
	return *(uint8_t *)g(STATUS);
}

static struct vblk *start(const char *path, bool ro, bool snap)
{
	memset(ram, 0, RAM_SIZE);
	ndesc = nreq = 0;
	struct blk *b;
	char err[256];
	struct blk_opts o = { .readonly = ro, .snapshot = snap };
	if (blk_open(path, &o, &b, err, sizeof(err))) {
		check(false, "blk_open: %s", err);
		return NULL;
	}
	struct vblk *v;
	struct vblk_config c = { 1, "avmm-serial-0123456789" };
	EQ(vblk_create(b, &gm, &c, &v), 0);
	virtio_mmio_init(&t, vblk_virtio(v), (struct irq_line){ line, NULL, 0 }, 0);
	EQ(rd(VMMIO_DEVICE_ID), 2u);
	wr(VMMIO_STATUS, 3);
	wr(VMMIO_DRIVER_FEATURES_SEL, 0);
	wr(VMMIO_DRIVER_FEATURES, (1u << 9) | (1u << 13) | (ro ? 1u << 5 : 1u << 14));
	wr(VMMIO_DRIVER_FEATURES_SEL, 1);
	wr(VMMIO_DRIVER_FEATURES, 1);
	wr(VMMIO_STATUS, 11);
	OK(rd(VMMIO_STATUS) & 8);
	wr(VMMIO_QUEUE_SEL, 0);
	wr(VMMIO_QUEUE_NUM, QSZ);
	wr(VMMIO_QUEUE_DESC_LOW, (uint32_t)DESC);
	wr(VMMIO_QUEUE_DRIVER_LOW, (uint32_t)AVAIL);
	wr(VMMIO_QUEUE_DEVICE_LOW, (uint32_t)USED);
	wr(VMMIO_QUEUE_READY, 1);
	wr(VMMIO_STATUS, 15);
	return v;
}

int main(void)
{
	ram = calloc(1, RAM_SIZE);
	gmem_init(&gm);
	gmem_add(&gm, RAM_BASE, RAM_SIZE, ram, false);
	char path[] = "/tmp/avmm-vblk-XXXXXX";
	int fd = mkstemp(path);
	OK(fd >= 0 && ftruncate(fd, DISK) == 0);
	struct vblk *v = start(path, false, false);
	if (!v)
		return check_summary();
	check_ctx = "config";
	uint64_t cap = virtio_mmio_read(&t, VMMIO_CONFIG, 4) | (uint64_t)virtio_mmio_read(&t, VMMIO_CONFIG + 4, 4) << 32;
	EQ(cap, DISK / 512);
	EQ(virtio_mmio_read(&t, VMMIO_CONFIG + 20, 4), 512u);
	check_ctx = "write and read";
	for (unsigned i = 0; i < 4096; i++)
		((uint8_t *)g(DATA))[i] = (uint8_t)(i * 7 + 1);
	uint32_t ul;
	EQ(request(1, 8, DATA, 4096, false, &ul), 0);
	EQ(ul, 1u);
	EQ(request(4, 0, 0, 0, false, NULL), 0); /* flush */
	uint8_t back[4096];
	OK(pread(fd, back, sizeof(back), 8 * 512) == (ssize_t)sizeof(back));
	OK(!memcmp(back, g(DATA), sizeof(back)));
	memset(g(DATA), 0, 4096);
	EQ(request(0, 8, DATA, 4096, true, &ul), 0);
	EQ(ul, 4097u);
	OK(!memcmp(back, g(DATA), sizeof(back)));
	check_ctx = "get id";
	EQ(request(8, 0, DATA, 20, true, &ul), 0);
	EQ(ul, 21u);
	OK(!memcmp(g(DATA), "avmm-serial-01234567", 20));
	check_ctx = "write zeroes and discard";
	uint8_t seg[16] = { 0 };
	uint64_t s8 = 8;
	uint32_t n1 = 1;
	memcpy(seg, &s8, 8);
	memcpy(seg + 8, &n1, 4);
	memcpy(g(DATA), seg, 16);
	EQ(request(13, 0, DATA, 16, false, NULL), 0);
	OK(pread(fd, back, 512, 8 * 512) == 512);
	uint8_t z[512] = { 0 };
	OK(!memcmp(back, z, 512));
	OK(pread(fd, back, 512, 9 * 512) == 512 && back[0] == (uint8_t)(512 * 7 + 1));
	EQ(request(11, 0, DATA, 16, false, NULL), 0);
	uint32_t unmap = 1;
	memcpy((uint8_t *)g(DATA) + 12, &unmap, 4);
	EQ(request(11, 0, DATA, 16, false, NULL), 2); /* unmap flag on DISCARD */
	check_ctx = "hostile requests";
	EQ(request(1, DISK / 512 - 1, DATA, 1024, false, NULL), 1); /* crosses the end */
	EQ(request(0, UINT64_MAX / 256, DATA, 512, true, NULL), 1);  /* sector overflow */
	EQ(request(1, 0, DATA, 100, false, NULL), 1);                /* not a sector multiple */
	EQ(request(99, 0, DATA, 512, true, NULL), 2);                /* unknown type */
	memcpy(seg, &(uint64_t){ DISK / 512 }, 8);
	memcpy(g(DATA), seg, 16);
	EQ(request(13, 0, DATA, 16, false, NULL), 1); /* zeroes past the end */
	EQ(request(0, 0, DATA, 512, true, NULL), 0);  /* still working */
	OK(!(rd(VMMIO_STATUS) & VIRTIO_S_NEEDS_RESET));
	/* A looping chain: NEEDS_RESET, and the VMM goes on. */
	desc(0, HDR, 16, VRING_DESC_F_NEXT, 0);
	uint16_t *avail = g(AVAIL);
	avail[2 + nreq % QSZ] = 0;
	__atomic_store_n(&avail[1], (uint16_t)(nreq + 1), __ATOMIC_RELEASE);
	wr(VMMIO_QUEUE_NOTIFY, 0);
	for (unsigned i = 0; i < 20000 && !(rd(VMMIO_STATUS) & VIRTIO_S_NEEDS_RESET); i++)
		usleep(100);
	OK(rd(VMMIO_STATUS) & VIRTIO_S_NEEDS_RESET);
	wr(VMMIO_STATUS, 0);
	virtio_mmio_destroy(&t);
	vblk_destroy(v);
	check_ctx = "locking";
	struct blk *b1, *b2;
	char err[256];
	struct blk_opts o = { 0 };
	EQ(blk_open(path, &o, &b1, err, sizeof(err)), 0);
	OK(blk_open(path, &o, &b2, err, sizeof(err)) == -EAGAIN);
	OK(strstr(err, "in use") != NULL);
	blk_close(b1);
	EQ(blk_open(path, &o, &b2, err, sizeof(err)), 0);
	blk_close(b2);
	check_ctx = "read-only";
	v = start(path, true, false);
	if (v) {
		EQ(request(1, 0, DATA, 512, false, NULL), 1);
		EQ(request(0, 8, DATA, 512, true, NULL), 0);
		wr(VMMIO_STATUS, 0);
		virtio_mmio_destroy(&t);
		vblk_destroy(v);
	}
	check_ctx = "snapshot=on";
	uint8_t before[1024], after[1024];
	OK(pread(fd, before, sizeof(before), 0) == (ssize_t)sizeof(before));
	v = start(path, false, true);
	if (v) {
		struct blk *w;
		OK(blk_open(path, &o, &w, err, sizeof(err)) == -EAGAIN); /* no writer beside it */
		for (unsigned i = 0; i < 1024; i++)
			((uint8_t *)g(DATA))[i] = (uint8_t)(0x5a ^ i);
		EQ(request(1, 0, DATA, 512, false, NULL), 0);                /* sector 0 into the overlay */
		memset(g(DATA), 0, 1024);
		EQ(request(0, 0, DATA, 1024, true, NULL), 0);                /* sector 0 overlay, 1 base */
		OK(((uint8_t *)g(DATA))[5] == (uint8_t)(0x5a ^ 5));
		OK(!memcmp((uint8_t *)g(DATA) + 512, before + 512, 512));
		OK(pread(fd, after, sizeof(after), 0) == (ssize_t)sizeof(after));
		OK(!memcmp(before, after, sizeof(before)));                  /* the image is untouched */
		EQ(request(4, 0, 0, 0, false, NULL), 0);
		wr(VMMIO_STATUS, 0);
		virtio_mmio_destroy(&t);
		vblk_destroy(v);
		OK(pread(fd, after, sizeof(after), 0) == (ssize_t)sizeof(after) && !memcmp(before, after, sizeof(before)));
	}
	check_ctx = "open errors";
	OK(blk_open("/nonexistent/disk.img", &o, &b1, err, sizeof(err)) < 0 && strstr(err, "cannot open"));
	int efd = open(path, O_WRONLY | O_TRUNC);
	close(efd);
	OK(blk_open(path, &o, &b1, err, sizeof(err)) < 0 && strstr(err, "empty"));
	close(fd);
	unlink(path);
	free(ram);
	return check_summary();
}
