/* Split virtqueues and the virtio-mmio transport, driven as a driver would
 * (and as a hostile one would): chains, indirect tables, EVENT_IDX, bad
 * chains of every kind, the register protocol. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hw/virtio/virtio-mmio.h"
#include "hw/virtio/virtqueue.h"

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

static void *g(uint64_t gpa)
{
	return ram + (gpa - RAM_BASE);
}

static void set_desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *p = g(table + 16ull * i);
	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

static uint16_t *avail16(unsigned i)
{
	return (uint16_t *)g(AVAIL + 2 * i);
}

static void offer(uint16_t head)
{
	uint16_t idx = *avail16(1);
	*avail16(2 + (idx % QSZ)) = head;
	*avail16(1) = idx + 1;
}

static uint16_t used_idx(void)
{
	uint16_t v;
	memcpy(&v, g(USED + 2), 2);
	return v;
}

static void fresh_queue(struct virtqueue *vq, bool ev)
{
	memset(ram, 0, RAM_SIZE);
	vq_init(vq, &gm);
	vq->size = QSZ;
	vq->desc_gpa = DESC;
	vq->avail_gpa = AVAIL;
	vq->used_gpa = USED;
	vq->event_idx = ev;
	EQ(vq_enable(vq), 0);
}

static struct vq_elem el;

static void test_basic(void)
{
	check_ctx = "basic";
	struct virtqueue vq;
	fresh_queue(&vq, false);
	EQ(vq_pop(&vq, &el), 0);
	memcpy(g(BUF), "hello", 5);
	set_desc(DESC, 0, BUF, 5, VRING_DESC_F_NEXT, 3);
	set_desc(DESC, 3, BUF + 0x100, 16, VRING_DESC_F_WRITE, 0);
	offer(0);
	OK(vq_has_avail(&vq));
	EQ(vq_pop(&vq, &el), 1);
	EQ(el.head, 0);
	EQ(el.n_out, 1u);
	EQ(el.n_in, 1u);
	EQ(el.out_len, 5u);
	EQ(el.in_len, 16u);
	char b[8] = { 0 };
	EQ(vq_iov_to_buf(el.iov, el.n_out, 0, b, sizeof(b)), 5u);
	OK(!memcmp(b, "hello", 5));
	EQ(vq_iov_from_buf(el.iov + el.n_out, el.n_in, 2, "xy", 2), 2u);
	OK(!memcmp((char *)g(BUF + 0x102), "xy", 2));
	vq_push(&vq, el.head, 4);
	EQ(used_idx(), 1);
	uint32_t id, len;
	memcpy(&id, g(USED + 4), 4);
	memcpy(&len, g(USED + 8), 4);
	EQ(id, 0u);
	EQ(len, 4u);
	OK(vq_need_notify(&vq));
	*avail16(0) = VRING_AVAIL_F_NO_INTERRUPT;
	vq_push(&vq, 0, 0);
	OK(!vq_need_notify(&vq));
	EQ(vq_pop(&vq, &el), 0);
	vq_set_notify(&vq, false);
	uint16_t uf;
	memcpy(&uf, g(USED), 2);
	EQ(uf, VRING_USED_F_NO_NOTIFY);
}

static void test_indirect(void)
{
	check_ctx = "indirect";
	struct virtqueue vq;
	fresh_queue(&vq, false);
	uint64_t t = RAM_BASE + 0x5000;
	set_desc(t, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
	set_desc(t, 1, BUF + 0x100, 512, VRING_DESC_F_NEXT, 2);
	set_desc(t, 2, BUF + 0x400, 1, VRING_DESC_F_WRITE, 0);
	set_desc(DESC, 2, t, 48, VRING_DESC_F_INDIRECT, 0);
	offer(2);
	EQ(vq_pop(&vq, &el), 1);
	EQ(el.head, 2);
	EQ(el.n_out, 2u);
	EQ(el.n_in, 1u);
	EQ(el.out_len, 528u);
	/* A buffer that crosses the end of RAM is refused. */
	set_desc(DESC, 4, RAM_BASE + RAM_SIZE - 8, 16, 0, 0);
	offer(4);
	EQ(vq_pop(&vq, &el), -EINVAL);
}

/* Each bad chain is refused and the next good one still works. */
static void test_bad_chains(void)
{
	check_ctx = "bad chains";
	struct virtqueue vq;
	fresh_queue(&vq, false);
	uint64_t t = RAM_BASE + 0x5000;
	set_desc(DESC, 7, BUF, 4, 0, 0); /* the good one */
	struct {
		const char *what;
		void (*setup)(uint64_t t);
		uint16_t head;
	} cases[] = {
		{ "head out of range", NULL, QSZ },
		{ "loop", NULL, 0 },
		{ "next out of range", NULL, 1 },
		{ "readable after writable", NULL, 2 },
		{ "nested indirect", NULL, 3 },
		{ "indirect with next", NULL, 4 },
		{ "indirect length not a multiple of 16", NULL, 5 },
		{ "buffer outside RAM", NULL, 6 },
	};
	set_desc(DESC, 0, BUF, 4, VRING_DESC_F_NEXT, 0);                    /* loops on itself */
	set_desc(DESC, 1, BUF, 4, VRING_DESC_F_NEXT, QSZ + 3);
	set_desc(DESC, 2, BUF, 4, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 7); /* then a readable one */
	set_desc(t, 0, t, 16, VRING_DESC_F_INDIRECT, 0);
	set_desc(DESC, 3, t, 16, VRING_DESC_F_INDIRECT, 0);
	set_desc(DESC, 4, t + 0x100, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 7);
	set_desc(t + 0x100, 0, BUF, 4, 0, 0);
	set_desc(DESC, 5, t + 0x100, 20, VRING_DESC_F_INDIRECT, 0);
	set_desc(DESC, 6, 0x1000, 4, 0, 0);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_ctx = cases[i].what;
		offer(cases[i].head);
		EQ(vq_pop(&vq, &el), -EINVAL);
		offer(7);
		EQ(vq_pop(&vq, &el), 1);
		EQ(el.head, 7);
	}
	/* An indirect table that loops inside itself. */
	check_ctx = "indirect loop";
	set_desc(t + 0x200, 0, BUF, 4, VRING_DESC_F_NEXT, 1);
	set_desc(t + 0x200, 1, BUF, 4, VRING_DESC_F_NEXT, 0);
	set_desc(DESC, 5, t + 0x200, 32, VRING_DESC_F_INDIRECT, 0);
	offer(5);
	EQ(vq_pop(&vq, &el), -EINVAL);
	/* The driver claims more entries than the ring has. */
	check_ctx = "avail index jump";
	*avail16(1) += QSZ + 1;
	EQ(vq_pop(&vq, &el), -EINVAL);
	OK(vq.n_bad >= 10);
}

static void test_event_idx(void)
{
	check_ctx = "event idx";
	struct virtqueue vq;
	fresh_queue(&vq, true);
	set_desc(DESC, 0, BUF, 4, 0, 0);
	/* used_event = 1: notify only when used idx passes 1 -> 2. */
	*avail16(2 + QSZ) = 1;
	vq_push(&vq, 0, 0); /* used 1 */
	OK(vq_need_notify(&vq)); /* first decision always notifies */
	vq_push(&vq, 0, 0); /* used 2: crossed used_event 1 */
	OK(vq_need_notify(&vq));
	vq_push(&vq, 0, 0); /* used 3: event 1 already passed */
	OK(!vq_need_notify(&vq));
	*avail16(2 + QSZ) = 3;
	vq_push(&vq, 0, 0); /* used 4 crosses 3 */
	OK(vq_need_notify(&vq));
	/* avail_event follows last_avail when notifications are enabled. */
	offer(0);
	EQ(vq_pop(&vq, &el), 1);
	vq_set_notify(&vq, true);
	uint16_t ae;
	memcpy(&ae, g(USED + 4 + 8 * QSZ), 2);
	EQ(ae, 1);
	/* Save and load keep the indices. */
	struct vq_state s;
	vq_save(&vq, &s);
	struct virtqueue vq2;
	vq_init(&vq2, &gm);
	EQ(vq_load(&vq2, &s), 0);
	EQ(vq2.last_avail, vq.last_avail);
	EQ(vq2.used_idx, vq.used_idx);
	s.size = 3;
	OK(vq_load(&vq2, &s) != 0);
}

static void test_enable_checks(void)
{
	check_ctx = "enable";
	struct virtqueue vq;
	vq_init(&vq, &gm);
	vq.size = 6; /* not a power of two */
	vq.desc_gpa = DESC;
	vq.avail_gpa = AVAIL;
	vq.used_gpa = USED;
	OK(vq_enable(&vq) != 0);
	vq.size = QSZ;
	vq.desc_gpa = DESC + 8; /* misaligned */
	OK(vq_enable(&vq) != 0);
	vq.desc_gpa = RAM_BASE + RAM_SIZE - 16; /* runs past RAM */
	OK(vq_enable(&vq) != 0);
	vq.desc_gpa = 0x1000; /* not RAM */
	OK(vq_enable(&vq) != 0);
	OK(!vq.ready);
	EQ(vq_pop(&vq, &el), 0);
}

/* ---- the mmio transport with a trivial echo device ---- */

static unsigned notified, activated, resets;
static bool line;
static uint8_t cfg[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

static void echo_notify(struct virtio_dev *d, unsigned q)
{
	notified++;
	int r;
	while ((r = vq_pop(&d->vq[q], &el)) == 1)
		vq_push(&d->vq[q], el.head, 0);
	if (r < 0)
		virtio_needs_reset(d, "bad chain");
	virtio_queue_done(d, q);
}

static int echo_activate(struct virtio_dev *d)
{
	activated++;
	return 0;
}

static void echo_reset(struct virtio_dev *d)
{
	resets++;
}

static void echo_cfg_write(struct virtio_dev *d, uint32_t off, const void *buf, unsigned len)
{
	memcpy(d->config + off, buf, len);
}

static const struct virtio_dev_ops echo_ops = {
	.name = "echo", .device_id = 4, .features = 1ull << 3, .num_queues = 2, .queue_max = QSZ,
	.config_size = sizeof(cfg), .config_write = echo_cfg_write, .activate = echo_activate,
	.reset = echo_reset, .notify = echo_notify,
};

static void set_line(void *opaque, unsigned n, bool level)
{
	line = level;
}

static uint32_t rd(struct virtio_mmio *t, uint64_t off)
{
	return (uint32_t)virtio_mmio_read(t, off, 4);
}

static void wr(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
	virtio_mmio_write(t, off, 4, v);
}

static void test_mmio(void)
{
	check_ctx = "mmio";
	memset(ram, 0, RAM_SIZE);
	struct virtio_dev d;
	struct virtio_mmio t, empty;
	EQ(virtio_dev_init(&d, &echo_ops, NULL, &gm, cfg), 0);
	virtio_mmio_init(&t, &d, (struct irq_line){ set_line, NULL, 0 }, 0);
	virtio_mmio_init(&empty, NULL, (struct irq_line){ 0 }, 0);
	EQ(rd(&empty, VMMIO_MAGIC), VIRTIO_MMIO_MAGIC);
	EQ(rd(&empty, VMMIO_DEVICE_ID), 0u);
	EQ(rd(&t, VMMIO_MAGIC), VIRTIO_MMIO_MAGIC);
	EQ(rd(&t, VMMIO_VERSION), 2u);
	EQ(rd(&t, VMMIO_DEVICE_ID), 4u);
	EQ(rd(&t, VMMIO_VENDOR_ID), VIRTIO_MMIO_VENDOR);
	EQ(virtio_mmio_read(&t, VMMIO_MAGIC, 2), 0u); /* registers are 32-bit only */
	wr(&t, VMMIO_STATUS, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
	wr(&t, VMMIO_DEVICE_FEATURES_SEL, 0);
	uint32_t f0 = rd(&t, VMMIO_DEVICE_FEATURES);
	wr(&t, VMMIO_DEVICE_FEATURES_SEL, 1);
	uint32_t f1 = rd(&t, VMMIO_DEVICE_FEATURES);
	OK(f0 & (1u << 3));
	OK(f0 & (1u << VIRTIO_F_EVENT_IDX));
	OK(f1 & 1u); /* VERSION_1 */
	/* Features not offered make FEATURES_OK fail. */
	wr(&t, VMMIO_DRIVER_FEATURES_SEL, 0);
	wr(&t, VMMIO_DRIVER_FEATURES, 1u << 5);
	wr(&t, VMMIO_DRIVER_FEATURES_SEL, 1);
	wr(&t, VMMIO_DRIVER_FEATURES, 1);
	wr(&t, VMMIO_STATUS, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK);
	OK(!(rd(&t, VMMIO_STATUS) & VIRTIO_S_FEATURES_OK));
	wr(&t, VMMIO_STATUS, 0);
	OK(resets >= 2);
	wr(&t, VMMIO_STATUS, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
	wr(&t, VMMIO_DRIVER_FEATURES_SEL, 0);
	wr(&t, VMMIO_DRIVER_FEATURES, 1u << 3);
	wr(&t, VMMIO_DRIVER_FEATURES_SEL, 1);
	wr(&t, VMMIO_DRIVER_FEATURES, 1);
	wr(&t, VMMIO_STATUS, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK);
	OK(rd(&t, VMMIO_STATUS) & VIRTIO_S_FEATURES_OK);
	/* Queue 1; queue 5 does not exist. */
	wr(&t, VMMIO_QUEUE_SEL, 5);
	EQ(rd(&t, VMMIO_QUEUE_NUM_MAX), 0u);
	wr(&t, VMMIO_QUEUE_READY, 1);
	EQ(rd(&t, VMMIO_QUEUE_READY), 0u);
	wr(&t, VMMIO_QUEUE_SEL, 1);
	EQ(rd(&t, VMMIO_QUEUE_NUM_MAX), (uint32_t)QSZ);
	wr(&t, VMMIO_QUEUE_NUM, 2 * QSZ); /* above the maximum: refused at ready */
	wr(&t, VMMIO_QUEUE_DESC_LOW, (uint32_t)DESC);
	wr(&t, VMMIO_QUEUE_DESC_HIGH, 0);
	wr(&t, VMMIO_QUEUE_DRIVER_LOW, (uint32_t)AVAIL);
	wr(&t, VMMIO_QUEUE_DEVICE_LOW, (uint32_t)USED);
	wr(&t, VMMIO_QUEUE_READY, 1);
	EQ(rd(&t, VMMIO_QUEUE_READY), 0u);
	wr(&t, VMMIO_QUEUE_NUM, QSZ);
	wr(&t, VMMIO_QUEUE_READY, 1);
	EQ(rd(&t, VMMIO_QUEUE_READY), 1u);
	wr(&t, VMMIO_QUEUE_DESC_LOW, 0x1234); /* ignored while ready */
	EQ(d.vq[1].desc_gpa, DESC);
	wr(&t, VMMIO_STATUS, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER | VIRTIO_S_FEATURES_OK | VIRTIO_S_DRIVER_OK);
	EQ(activated, 1u);
	/* A request round trip raises the line; the acknowledgement lowers it. */
	set_desc(DESC, 0, BUF, 4, 0, 0);
	offer(0);
	wr(&t, VMMIO_QUEUE_NOTIFY, 1);
	EQ(notified, 1u);
	EQ(used_idx(), 1);
	OK(line);
	EQ(rd(&t, VMMIO_INTERRUPT_STATUS), VIRTIO_ISR_QUEUE);
	wr(&t, VMMIO_INTERRUPT_ACK, VIRTIO_ISR_QUEUE);
	OK(!line);
	/* Config space: byte and word access inside, nothing outside. */
	EQ(virtio_mmio_read(&t, VMMIO_CONFIG + 1, 1), 2u);
	EQ(virtio_mmio_read(&t, VMMIO_CONFIG + 4, 4), 0x08070605u);
	EQ(virtio_mmio_read(&t, VMMIO_CONFIG + 6, 4), 0u);
	virtio_mmio_write(&t, VMMIO_CONFIG, 2, 0xbbaa);
	EQ(cfg[0], 0xaa);
	virtio_mmio_write(&t, VMMIO_CONFIG + 7, 2, 0xffff); /* crosses the end: ignored */
	EQ(cfg[7], 8);
	/* A bad chain: NEEDS_RESET and a config interrupt. */
	set_desc(DESC, 1, BUF, 4, VRING_DESC_F_NEXT, 1);
	offer(1);
	wr(&t, VMMIO_QUEUE_NOTIFY, 1);
	OK(rd(&t, VMMIO_STATUS) & VIRTIO_S_NEEDS_RESET);
	OK(rd(&t, VMMIO_INTERRUPT_STATUS) & VIRTIO_ISR_CONFIG);
	OK(line);
	/* Clearing a status bit without reset is refused; reset clears all. */
	wr(&t, VMMIO_STATUS, VIRTIO_S_ACKNOWLEDGE);
	OK(rd(&t, VMMIO_STATUS) & VIRTIO_S_DRIVER_OK);
	wr(&t, VMMIO_STATUS, 0);
	EQ(rd(&t, VMMIO_STATUS), 0u);
	EQ(rd(&t, VMMIO_INTERRUPT_STATUS), 0u);
	OK(!line);
	wr(&t, VMMIO_QUEUE_SEL, 1);
	EQ(rd(&t, VMMIO_QUEUE_READY), 0u);
	virtio_mmio_destroy(&t);
	virtio_mmio_destroy(&empty);
	virtio_dev_destroy(&d);
}

int main(void)
{
	ram = calloc(1, RAM_SIZE);
	gmem_init(&gm);
	gmem_add(&gm, RAM_BASE, RAM_SIZE, ram, false);
	test_basic();
	test_indirect();
	test_bad_chains();
	test_event_idx();
	test_enable_checks();
	test_mmio();
	free(ram);
	return check_summary();
}
