/* virtio-net through the virtio-mmio transport with a fake back end (a
 * netdev whose send records frames): MAC and link status in config space,
 * TX reaches the back end with the 12-byte header stripped (and a partial
 * checksum completed), RX into mergeable buffers (num_buffers), control
 * commands acknowledged, and bad chains: a short TX header is dropped, a
 * read-only RX buffer sets NEEDS_RESET, never a crash. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "hw/virtio/virtio-mmio.h"
#include "hw/virtio/virtio-net.h"

#define OK(c) CHECK(c, "%s", "false")
#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x200000ull
#define QSZ 16
#define QAREA(q) (RAM_BASE + 0x10000ull * (q + 1)) /* desc, avail +0x1000, used +0x2000 */
#define BUF (RAM_BASE + 0x100000)

static uint8_t *ram;
static struct guest_mem gm;
static struct virtio_mmio t;
static uint16_t navail[3];

/* The fake back end: frames from the guest, on the netdev's thread. */
static pthread_mutex_t fm = PTHREAD_MUTEX_INITIALIZER;
static uint8_t got[4][256];
static size_t got_len[4];
static unsigned ngot;

static void fake_send(struct netdev *nd, const void *f, size_t len)
{
	pthread_mutex_lock(&fm);
	if (ngot < 4 && len <= sizeof(got[0])) {
		memcpy(got[ngot], f, len);
		got_len[ngot] = len;
	}
	ngot++;
	pthread_mutex_unlock(&fm);
}

static void fake_close(struct netdev *nd)
{
}

static const struct netdev_ops fake_ops = { .type = "fake", .send = fake_send, .close = fake_close };

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

static uint32_t rd(uint64_t off, unsigned size)
{
	return (uint32_t)virtio_mmio_read(&t, off, size);
}

static void desc(unsigned q, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *p = g(QAREA(q) + 16ull * i);
	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

static void post(unsigned q, uint16_t head, bool kick)
{
	uint16_t *avail = g(QAREA(q) + 0x1000);
	avail[2 + navail[q] % QSZ] = head;
	navail[q]++;
	__atomic_store_n(&avail[1], navail[q], __ATOMIC_RELEASE);
	if (kick)
		wr(VMMIO_QUEUE_NOTIFY, q);
}

static uint16_t used_idx(unsigned q)
{
	return __atomic_load_n((uint16_t *)g(QAREA(q) + 0x2000 + 2), __ATOMIC_ACQUIRE);
}

static uint32_t used_len(unsigned q, unsigned i)
{
	uint32_t l;
	memcpy(&l, g(QAREA(q) + 0x2000 + 4 + 8 * (i % QSZ) + 4), 4);
	return l;
}

static bool wait_used(unsigned q, uint16_t want)
{
	struct timespec ts = { 0, 100000 };
	for (unsigned i = 0; i < 50000 && used_idx(q) != want; i++)
		nanosleep(&ts, NULL); /* the device works on the netdev's thread */
	return used_idx(q) == want;
}

struct deliver_arg {
	struct netdev *nd;
	const uint8_t *f;
	size_t len;
};

static void deliver_on_thread(void *opaque)
{
	struct deliver_arg *a = opaque;
	netdev_deliver(a->nd, a->f, a->len);
}

int main(void)
{
	ram = calloc(1, RAM_SIZE);
	gmem_init(&gm);
	gmem_add(&gm, RAM_BASE, RAM_SIZE, ram, false);
	struct netdev *nd = netdev_new("fake", &fake_ops, NULL);
	OK(nd != NULL);
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x57 };
	struct vnet *n;
	EQ(vnet_create(&gm, nd, mac, &n), 0);
	virtio_mmio_init(&t, vnet_virtio(n), (struct irq_line){ line, NULL, 0 }, 0);
	EQ(rd(VMMIO_DEVICE_ID, 4), 1u);
	/* Offered: CSUM, GUEST_CSUM, MAC, MRG_RXBUF, STATUS, CTRL_VQ, CTRL_RX. */
	wr(VMMIO_DEVICE_FEATURES_SEL, 0);
	uint32_t f0 = rd(VMMIO_DEVICE_FEATURES, 4);
	uint32_t want = 1u << 0 | 1u << 1 | 1u << 5 | 1u << 15 | 1u << 16 | 1u << 17 | 1u << 18;
	EQ(f0 & 0xffffffu, want);
	for (unsigned i = 0; i < 6; i++)
		EQ(rd(0x100 + i, 1), mac[i]);
	EQ(rd(0x106, 2), 1u); /* LINK_UP */
	wr(VMMIO_STATUS, 3);
	wr(VMMIO_DRIVER_FEATURES_SEL, 0);
	wr(VMMIO_DRIVER_FEATURES, want);
	wr(VMMIO_DRIVER_FEATURES_SEL, 1);
	wr(VMMIO_DRIVER_FEATURES, 1);
	wr(VMMIO_STATUS, 11);
	OK(rd(VMMIO_STATUS, 4) & 8);
	for (unsigned q = 0; q < 3; q++) {
		wr(VMMIO_QUEUE_SEL, q);
		EQ(rd(VMMIO_QUEUE_NUM_MAX, 4), VNET_QUEUE_MAX);
		wr(VMMIO_QUEUE_NUM, QSZ);
		wr(VMMIO_QUEUE_DESC_LOW, (uint32_t)QAREA(q));
		wr(VMMIO_QUEUE_DRIVER_LOW, (uint32_t)(QAREA(q) + 0x1000));
		wr(VMMIO_QUEUE_DEVICE_LOW, (uint32_t)(QAREA(q) + 0x2000));
		wr(VMMIO_QUEUE_READY, 1);
	}
	wr(VMMIO_STATUS, 15);

	/* TX: header and frame in two descriptors; the back end gets the frame. */
	check_ctx = "tx";
	uint8_t *hdr = g(BUF), *fr = g(BUF + 0x100);
	memset(hdr, 0, 12);
	for (unsigned i = 0; i < 60; i++)
		fr[i] = (uint8_t)(i * 7 + 1);
	desc(1, 0, BUF, 12, VRING_DESC_F_NEXT, 1);
	desc(1, 1, BUF + 0x100, 60, 0, 0);
	post(1, 0, true);
	OK(wait_used(1, 1));
	pthread_mutex_lock(&fm);
	EQ(ngot, 1u);
	EQ(got_len[0], 60u);
	OK(!memcmp(got[0], fr, 60));
	pthread_mutex_unlock(&fm);

	/* TX with NEEDS_CSUM: csum_start 20, csum_offset 4 over 40 bytes. */
	check_ctx = "tx-csum";
	uint8_t *h2 = g(BUF + 0x200);
	memset(h2, 0, 12 + 40);
	h2[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h2[6] = 20;
	h2[8] = 4;
	for (unsigned i = 0; i < 40; i++)
		if (i < 24 || i > 25)
			h2[12 + i] = (uint8_t)(i + 3);
	desc(1, 2, BUF + 0x200, 12 + 40, 0, 0);
	post(1, 2, true);
	OK(wait_used(1, 2));
	pthread_mutex_lock(&fm);
	EQ(ngot, 2u);
	EQ(got_len[1], 40u);
	uint32_t sum = 0;
	for (unsigned i = 20; i < 40; i += 2)
		sum += (uint32_t)(got[1][i] << 8 | got[1][i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	EQ(sum, 0xffffu); /* the completed checksum makes the ones' complement sum all ones */
	pthread_mutex_unlock(&fm);

	/* A chain shorter than the header: returned, nothing sent. */
	check_ctx = "tx-short";
	desc(1, 3, BUF, 5, 0, 0);
	post(1, 3, true);
	OK(wait_used(1, 3));
	pthread_mutex_lock(&fm);
	EQ(ngot, 2u);
	pthread_mutex_unlock(&fm);
	EQ(rd(VMMIO_STATUS, 4) & VIRTIO_S_NEEDS_RESET, 0u);

	/* Control: RX_PROMISC on -> OK; an unknown class -> ERR. */
	check_ctx = "ctrl";
	uint8_t *c = g(BUF + 0x400);
	c[0] = VIRTIO_NET_CTRL_RX;
	c[1] = 0;
	c[2] = 1;
	c[3] = 0xee;
	desc(2, 0, BUF + 0x400, 3, VRING_DESC_F_NEXT, 1);
	desc(2, 1, BUF + 0x403, 1, VRING_DESC_F_WRITE, 0);
	post(2, 0, true);
	OK(wait_used(2, 1));
	EQ(c[3], VIRTIO_NET_OK);
	c[0] = 9;
	c[3] = 0xee;
	post(2, 0, true);
	OK(wait_used(2, 2));
	EQ(c[3], VIRTIO_NET_ERR);

	/* RX: a 100-byte frame into three 40-byte buffers (12 + 28, 40, 32). */
	check_ctx = "rx-mrg";
	for (unsigned i = 0; i < 3; i++) {
		desc(0, i, BUF + 0x1000 + 0x100 * i, 40, VRING_DESC_F_WRITE, 0);
		post(0, (uint16_t)i, false);
	}
	wr(VMMIO_QUEUE_NOTIFY, 0);
	uint8_t frame[100];
	for (unsigned i = 0; i < 100; i++)
		frame[i] = (uint8_t)(0x80 + i);
	struct deliver_arg da = { nd, frame, sizeof(frame) };
	netdev_call(nd, deliver_on_thread, &da);
	OK(wait_used(0, 3));
	EQ(used_len(0, 0), 40u);
	EQ(used_len(0, 1), 40u);
	EQ(used_len(0, 2), 32u);
	uint8_t *r0 = g(BUF + 0x1000);
	EQ(r0[10] | r0[11] << 8, 3); /* num_buffers */
	OK(!memcmp(r0 + 12, frame, 28));
	OK(!memcmp(g(BUF + 0x1100), frame + 28, 40));
	OK(!memcmp(g(BUF + 0x1200), frame + 68, 32));

	/* No buffers: the frame waits; a posted buffer takes it. */
	check_ctx = "rx-backlog";
	uint8_t small[20];
	memset(small, 0x5a, sizeof(small));
	da = (struct deliver_arg){ nd, small, sizeof(small) };
	netdev_call(nd, deliver_on_thread, &da);
	EQ(used_idx(0), 3u);
	desc(0, 3, BUF + 0x1300, 64, VRING_DESC_F_WRITE, 0);
	post(0, 3, true);
	OK(wait_used(0, 4));
	EQ(used_len(0, 3), 32u);
	OK(!memcmp(g(BUF + 0x1300 + 12), small, 20));

	/* Link down: the config says so. */
	check_ctx = "link";
	vnet_set_link(n, false);
	EQ(rd(0x106, 2), 0u);
	vnet_set_link(n, true);
	EQ(rd(0x106, 2), 1u);

	/* A read-only RX buffer: NEEDS_RESET, and the VMM goes on. */
	check_ctx = "rx-bad";
	desc(0, 4, BUF + 0x1400, 64, 0, 0);
	post(0, 4, true);
	netdev_call(nd, deliver_on_thread, &da);
	OK(rd(VMMIO_STATUS, 4) & VIRTIO_S_NEEDS_RESET);
	/* Reset, and the device comes back at status 0. */
	wr(VMMIO_STATUS, 0);
	EQ(rd(VMMIO_STATUS, 4), 0u);

	struct vnet_stats st;
	vnet_get_stats(n, &st);
	EQ(st.tx_frames, 2u);
	EQ(st.tx_bad, 1u);
	EQ(st.rx_frames, 2u);
	vnet_destroy(n);
	virtio_mmio_destroy(&t);
	netdev_close(nd);
	free(ram);
	return check_summary();
}
