/* libFuzzer target for virtio-net's transmit, receive and control paths
 * through the virtio-mmio transport, with a fake back end: the input is a
 * sequence of operations, each a chain (up to 4 descriptors whose lengths,
 * flags, addresses and bytes come from the input: short or huge headers,
 * readable buffers on the receive queue, loops and indirect flags, ranges
 * outside RAM) on the transmit or control queue, or a frame of an input-
 * chosen length delivered into receive buffers of input-chosen sizes. The
 * device must never crash; a frame the back end gets is at most
 * NET_MAX_FRAME bytes; a used length never exceeds the writable buffers;
 * a control ack is OK or ERR. The device is reset when it asked for it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/virtio/virtio-mmio.h"
#include "hw/virtio/virtio-net.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x100000ull
#define QSZ 8
#define QAREA(q) (RAM_BASE + 0x1000ull * (3 * (q) + 1))
#define DATA (RAM_BASE + 0x10000)
#define DATA_MAX 0x8000u

static uint8_t ram[RAM_SIZE];
static struct guest_mem gm;
static struct virtio_mmio t;
static struct vnet *n;
static struct netdev *nd;
static uint16_t navail[3];
static size_t max_sent;

static void fail(void)
{
	__builtin_trap();
}

static void fake_send(struct netdev *d, const void *f, size_t len)
{
	if (len > NET_MAX_FRAME)
		fail();
	if (len > max_sent)
		max_sent = len;
}

static void fake_close(struct netdev *d)
{
}

static const struct netdev_ops fake_ops = { .type = "fuzz", .send = fake_send, .close = fake_close };

static void line(void *o, unsigned l, bool v)
{
}

static void wr(uint64_t off, uint32_t val)
{
	virtio_mmio_write(&t, off, 4, val);
}

static uint32_t rd(uint64_t off)
{
	return (uint32_t)virtio_mmio_read(&t, off, 4);
}

static void desc(unsigned q, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *p = ram + (QAREA(q) - RAM_BASE) + 16ull * i;
	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

static uint16_t used_idx(unsigned q)
{
	return __atomic_load_n((uint16_t *)(ram + (QAREA(q) - RAM_BASE) + 0x800 + 2), __ATOMIC_ACQUIRE);
}

static void noop(void *o)
{
}

/* The device's thread has run what was scheduled before (bottom halves and
 * calls run in order there). */
static void settle(void)
{
	netdev_call(nd, noop, NULL);
	netdev_call(nd, noop, NULL);
}

static void start(uint32_t features)
{
	wr(VMMIO_STATUS, 0);
	memset(ram, 0, 0x10000);
	memset(navail, 0, sizeof(navail));
	wr(VMMIO_STATUS, 3);
	wr(VMMIO_DRIVER_FEATURES_SEL, 0);
	wr(VMMIO_DRIVER_FEATURES, features);
	wr(VMMIO_DRIVER_FEATURES_SEL, 1);
	wr(VMMIO_DRIVER_FEATURES, 1 | (features & 0x80000000u ? 0 : 0));
	wr(VMMIO_STATUS, 11);
	for (unsigned q = 0; q < 3; q++) {
		wr(VMMIO_QUEUE_SEL, q);
		wr(VMMIO_QUEUE_NUM, QSZ);
		wr(VMMIO_QUEUE_DESC_LOW, (uint32_t)QAREA(q));
		wr(VMMIO_QUEUE_DRIVER_LOW, (uint32_t)(QAREA(q) + 0x400));
		wr(VMMIO_QUEUE_DEVICE_LOW, (uint32_t)(QAREA(q) + 0x800));
		wr(VMMIO_QUEUE_READY, 1);
	}
	wr(VMMIO_STATUS, 15);
	settle();
}

static void setup(void)
{
	gmem_init(&gm);
	gmem_add(&gm, RAM_BASE, RAM_SIZE, ram, false);
	nd = netdev_new("fuzz", &fake_ops, NULL);
	static const uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	if (!nd || vnet_create(&gm, nd, mac, &n))
		fail();
	virtio_mmio_init(&t, vnet_virtio(n), (struct irq_line){ line, NULL, 0 }, 0);
}

struct deliver {
	const uint8_t *f;
	size_t len;
};

static void deliver_on_thread(void *o)
{
	struct deliver *d = o;
	netdev_deliver(nd, d->f, d->len);
}

static uint8_t frame[NET_MAX_FRAME + 64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!n)
		setup();
	if (size < 1)
		return 0;
	/* Features: VERSION_1 always; the device's own bits from the input. */
	uint32_t feat = (data[0] & 1 ? 1u << 15 : 0) | (data[0] & 2 ? 1u << 0 : 0) | (data[0] & 4 ? 1u << 1 : 0) |
			1u << 5 | 1u << 16 | 1u << 17 | 1u << 18 | (data[0] & 8 ? 1u << 29 : 0) | (data[0] & 16 ? 1u << 28 : 0);
	data++;
	size--;
	start(feat);
	while (size >= 8) {
		uint8_t op = data[0] % 3, nd_ = (uint8_t)(data[1] % 4 + 1);
		uint32_t flen = (uint32_t)(data[2] | data[3] << 8 | (data[4] & 1) << 16);
		data += 8;
		size -= 8;
		if (rd(VMMIO_STATUS) & VIRTIO_S_NEEDS_RESET)
			start(feat);
		unsigned q = op == 2 ? VNET_RXQ : op == 0 ? VNET_TXQ : VNET_CTRLQ;
		unsigned base = (unsigned)(navail[q] * 4u) % QSZ;
		uint64_t wlen = 0;
		for (unsigned i = 0; i < nd_; i++) {
			if (size < 6)
				return 0;
			uint32_t len = (uint32_t)(data[0] | data[1] << 8) % DATA_MAX;
			uint16_t fl = data[2] & 7, off = (uint16_t)(data[3] | data[4] << 8);
			uint8_t fill = data[5];
			data += 6;
			size -= 6;
			if (i + 1 < nd_)
				fl |= VRING_DESC_F_NEXT;
			else if (!(data[-1] & 0x80))
				fl &= (uint16_t)~VRING_DESC_F_NEXT;
			if (op != 2 && !(fill & 0x40))
				fl &= (uint16_t)~VRING_DESC_F_INDIRECT;
			uint64_t addr = fill & 0x20 ? RAM_BASE + RAM_SIZE - 16 + (off & 63) : DATA + (off % DATA_MAX);
			if (addr >= DATA && addr - DATA + len <= 2 * DATA_MAX)
				memset(ram + (addr - RAM_BASE), fill, len);
			if (fl & VRING_DESC_F_WRITE)
				wlen += len;
			desc(q, (base + i) % QSZ, addr, len, fl, (uint16_t)((base + i + 1) % QSZ ^ (fill & 0x10 ? 1 : 0)));
		}
		uint16_t *avail = (uint16_t *)(ram + (QAREA(q) + 0x400 - RAM_BASE));
		uint16_t before = used_idx(q);
		avail[2 + navail[q] % QSZ] = (uint16_t)base;
		navail[q]++;
		__atomic_store_n(&avail[1], navail[q], __ATOMIC_RELEASE);
		if (op == 2) {
			struct deliver d = { frame, flen % (NET_MAX_FRAME + 1) };
			memset(frame, 0xab, d.len);
			wr(VMMIO_QUEUE_NOTIFY, q);
			settle();
			netdev_call(nd, deliver_on_thread, &d);
		} else {
			wr(VMMIO_QUEUE_NOTIFY, q);
		}
		settle();
		/* What came back is consistent with what was posted. */
		uint16_t after = used_idx(q);
		/* Chains of earlier operations may be used now (mergeable RX
		 * takes several), over descriptors rewritten since: a used
		 * length is bounded by every writable byte the table offers. */
		uint64_t wall = 0;
		for (unsigned i = 0; i < QSZ; i++) {
			uint8_t *p = ram + (QAREA(q) - RAM_BASE) + 16ull * i;
			uint32_t l;
			uint16_t f;
			memcpy(&l, p + 8, 4);
			memcpy(&f, p + 12, 2);
			if (f & VRING_DESC_F_WRITE)
				wall += l;
		}
		(void)wlen;
		for (uint16_t u = before; u != after; u++) {
			uint32_t ul, id;
			memcpy(&id, ram + (QAREA(q) + 0x800 + 4 + 8 * (u % QSZ) - RAM_BASE), 4);
			memcpy(&ul, ram + (QAREA(q) + 0x800 + 4 + 8 * (u % QSZ) + 4 - RAM_BASE), 4);
			if (id >= QSZ)
				fail();
			if (q == VNET_TXQ && ul)
				fail();
			if (q == VNET_CTRLQ && ul > 1)
				fail();
			if (q == VNET_RXQ && ul > wall && !(feat & 1u << 28))
				fail();
		}
	}
	return 0;
}
