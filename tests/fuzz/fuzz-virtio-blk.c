/* libFuzzer target for virtio-blk's request parser and the block back end,
 * with a shadow disk: the input is a sequence of requests (type, sector,
 * lengths, chain layout, data) driven through the virtio-mmio transport
 * one at a time; every completed write is applied to an in-memory copy of
 * the disk and every completed read must return exactly the copy's bytes,
 * so a misplaced or torn write is found, not only a crash. The status
 * byte must be OK only for well-formed in-range requests. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "hw/virtio/virtio-blk.h"
#include "hw/virtio/virtio-mmio.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x100000ull
#define QSZ 16
#define DESC (RAM_BASE + 0x1000)
#define AVAIL (RAM_BASE + 0x2000)
#define USED (RAM_BASE + 0x3000)
#define HDR (RAM_BASE + 0x4000)
#define STATUS (RAM_BASE + 0x5000)
#define DATA (RAM_BASE + 0x10000)
#define DATA_MAX 0x8000u
#define DISK_SECTORS 256u

static uint8_t ram[RAM_SIZE];
static uint8_t shadow[DISK_SECTORS * 512];
static struct guest_mem gm;
static struct virtio_mmio t;
static struct vblk *v;
static char path[64];
static uint16_t nreq;
static int img_fd = -1;

static void fail(void)
{
	__builtin_trap();
}

static void line(void *o, unsigned n, bool l)
{
}

static void wr(uint64_t off, uint32_t val)
{
	virtio_mmio_write(&t, off, 4, val);
}

static void desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *p = ram + (DESC - RAM_BASE) + 16ull * i;
	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

/* What a driver does to bring the device up: features, queue 0, DRIVER_OK. */
static void driver_up(void)
{
	wr(VMMIO_STATUS, 3);
	wr(VMMIO_DRIVER_FEATURES_SEL, 0);
	wr(VMMIO_DRIVER_FEATURES, (1u << 9) | (1u << 13) | (1u << 14));
	wr(VMMIO_DRIVER_FEATURES_SEL, 1);
	wr(VMMIO_DRIVER_FEATURES, 1);
	wr(VMMIO_STATUS, 11);
	wr(VMMIO_QUEUE_SEL, 0);
	wr(VMMIO_QUEUE_NUM, QSZ);
	wr(VMMIO_QUEUE_DESC_LOW, (uint32_t)DESC);
	wr(VMMIO_QUEUE_DRIVER_LOW, (uint32_t)AVAIL);
	wr(VMMIO_QUEUE_DEVICE_LOW, (uint32_t)USED);
	wr(VMMIO_QUEUE_READY, 1);
	wr(VMMIO_STATUS, 15);
}

static void setup(void)
{
	gmem_init(&gm);
	gmem_add(&gm, RAM_BASE, RAM_SIZE, ram, false);
	snprintf(path, sizeof(path), "/tmp/fuzz-vblk-%d.img", (int)getpid());
	FILE *f = fopen(path, "w+");
	if (!f || ftruncate(fileno(f), sizeof(shadow)))
		fail();
	fclose(f);
	img_fd = open(path, O_RDONLY);
	struct blk *b;
	char err[256];
	struct blk_opts o = { .cache = BLK_CACHE_UNSAFE };
	if (blk_open(path, &o, &b, err, sizeof(err)))
		fail();
	unlink(path);
	struct vblk_config c = { 1, "fuzz" };
	if (vblk_create(b, &gm, &c, &v))
		fail();
	virtio_mmio_init(&t, vblk_virtio(v), (struct irq_line){ line, NULL, 0 }, 0);
	driver_up();
}

static bool wait_used(uint16_t want)
{
	struct timespec ts = { 0, 20000 }, t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > 60)
			break; /* a minute even on a loaded host: stalled */
		if (__atomic_load_n((uint16_t *)(ram + (USED - RAM_BASE) + 2), __ATOMIC_ACQUIRE) == want)
			return true;
		if (virtio_mmio_read(&t, VMMIO_STATUS, 4) & VIRTIO_S_NEEDS_RESET)
			return false;
		nanosleep(&ts, NULL);
	}
	fail(); /* a request that never completes: the device stalled */
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!v)
		setup();
	while (size >= 12) {
		uint8_t type = data[0] % 16, layout = data[1];
		uint32_t sector = data[2] | (uint32_t)data[3] << 8, len = (uint32_t)(data[4] | data[5] << 8) % DATA_MAX;
		uint8_t fill = data[6];
		uint32_t t32 = type == 15 ? 99 : type; /* mostly real types */
		data += 12;
		size -= 12;
		if (layout & 0x80)
			len &= ~511u; /* well-formed lengths more often than not */
		sector %= (layout & 0x40) ? 0xffffu : DISK_SECTORS + 4;
		uint8_t *h = ram + (HDR - RAM_BASE);
		memset(h, 0, 16);
		memcpy(h, &t32, 4);
		uint64_t s64 = sector;
		memcpy(h + 8, &s64, 8);
		memset(ram + (DATA - RAM_BASE), fill, len);
		uint8_t *st = ram + (STATUS - RAM_BASE);
		*st = 0xee;
		bool to_dev = t32 == 1 || t32 == 11 || t32 == 13;
		/* Chain: header, data (maybe split in two), status; some hostile shapes. */
		unsigned n = 0;
		uint16_t dflags = to_dev ? 0 : VRING_DESC_F_WRITE;
		desc(n, HDR, (layout & 1) ? 8 : 16, VRING_DESC_F_NEXT, (uint16_t)(n + 1)), n++;
		if (len) {
			uint32_t a = (layout & 2) ? len / 2 : len;
			desc(n, DATA, a, VRING_DESC_F_NEXT | dflags, (uint16_t)(n + 1)), n++;
			if (a < len)
				desc(n, DATA + a, len - a, VRING_DESC_F_NEXT | dflags, (uint16_t)(n + 1)), n++;
		}
		desc(n, STATUS, 1, (layout & 4) ? 0 : VRING_DESC_F_WRITE, 0), n++;
		if (layout & 8)
			desc(n - 1, STATUS, 1, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0); /* a loop */
		uint16_t *avail = (uint16_t *)(ram + (AVAIL - RAM_BASE));
		avail[2 + nreq % QSZ] = 0;
		__atomic_store_n(&avail[1], (uint16_t)(nreq + 1), __ATOMIC_RELEASE);
		wr(VMMIO_QUEUE_NOTIFY, 0);
		if (!wait_used((uint16_t)(nreq + 1))) {
			/* NEEDS_RESET: reset the device and start over (the shadow stays:
			 * nothing was written by a broken chain). */
			wr(VMMIO_STATUS, 0);
			virtio_mmio_destroy(&t);
			virtio_mmio_init(&t, vblk_virtio(v), (struct irq_line){ line, NULL, 0 }, 0);
			memset(ram, 0, 0x10000);
			nreq = 0;
			driver_up();
			continue;
		}
		nreq++;
		bool well = !(layout & (1 | 4 | 8));
		bool inrange = (uint64_t)sector * 512 + len <= sizeof(shadow) && !(len % 512);
		uint8_t s = *st;
		if (!well)
			continue; /* malformed: any status, nothing else checked */
		if (t32 == 0 && s == 0) {
			if (!inrange || memcmp(ram + (DATA - RAM_BASE), shadow + (size_t)sector * 512, len))
				fail(); /* a read that does not match the shadow disk */
		} else if (t32 == 1 && s == 0) {
			if (!inrange)
				fail();
			memset(shadow + (size_t)sector * 512, fill, len);
		} else if ((t32 == 0 || t32 == 1) && inrange && s != 0) {
			fail(); /* a good request refused */
		} else if (t32 == 13 && s == 0) {
			/* WRITE_ZEROES: the segment is in the data (fill bytes): apply what it says. */
			uint64_t ss;
			uint32_t num;
			memcpy(&ss, ram + (DATA - RAM_BASE), 8);
			memcpy(&num, ram + (DATA - RAM_BASE) + 8, 4);
			if (ss * 512 + (uint64_t)num * 512 > sizeof(shadow))
				fail();
			memset(shadow + ss * 512, 0, (size_t)num * 512);
		} else if (t32 == 11 && s == 0) {
			/* DISCARD may zero or not (a hole where the file system can
			 * punch one): take what the image now holds. */
			uint64_t ss;
			uint32_t num;
			memcpy(&ss, ram + (DATA - RAM_BASE), 8);
			memcpy(&num, ram + (DATA - RAM_BASE) + 8, 4);
			if (ss * 512 + (uint64_t)num * 512 > sizeof(shadow))
				fail();
			if (pread(img_fd, shadow + ss * 512, (size_t)num * 512, (off_t)(ss * 512)) != (ssize_t)num * 512)
				fail();
		}
	}
	return 0;
}
