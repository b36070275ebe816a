/* libFuzzer target for the split-virtqueue walker (src/hw/virtio/virtqueue.c)
 * and the virtio-mmio register protocol, as a hostile driver sees them: the
 * input fills guest RAM (rings, descriptors, indirect tables) and then
 * drives the transport's registers and the device side. Checks beyond "no
 * crash": every iovec handed out lies inside guest RAM, readable parts come
 * before writable ones, the lengths add up, used->idx moves by one per push. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hw/virtio/virtio-mmio.h"
#include "hw/virtio/virtqueue.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x10000ull /* small: descriptors often point inside it */

static uint8_t ram[RAM_SIZE];
static struct vq_elem el;

static void fail(void)
{
	__builtin_trap();
}

static void check_elem(const struct vq_elem *e)
{
	if (e->n_out + e->n_in > VQ_MAX_IOV)
		fail();
	uint64_t out = 0, in = 0;
	for (unsigned i = 0; i < e->n_out + e->n_in; i++) {
		uint8_t *p = e->iov[i].iov_base;
		size_t n = e->iov[i].iov_len;
		if (p < ram || n > RAM_SIZE || p + n > ram + RAM_SIZE)
			fail();
		if (i < e->n_out)
			out += n;
		else
			in += n;
	}
	if (out != e->out_len || in != e->in_len)
		fail();
}

static unsigned pending_q = ~0u;

static void dev_notify(struct virtio_dev *d, unsigned q)
{
	pending_q = q;
}

static uint8_t cfg[16];
static const struct virtio_dev_ops ops = {
	.name = "fuzz", .device_id = 2, .num_queues = 2, .queue_max = 64, .config_size = sizeof(cfg),
	.notify = dev_notify,
};

static void no_line(void *o, unsigned n, bool l)
{
}

static void serve(struct virtio_dev *d, unsigned q)
{
	struct virtqueue *vq = &d->vq[q];
	for (unsigned k = 0; k < 256; k++) {
		uint16_t before = vq->used_idx;
		int r = vq_pop(vq, &el);
		if (r == 0)
			break;
		if (r < 0) {
			virtio_needs_reset(d, "bad chain");
			break;
		}
		check_elem(&el);
		vq_push(vq, el.head, (uint32_t)el.in_len);
		if ((uint16_t)(vq->used_idx - before) != 1)
			fail();
	}
	virtio_queue_done(d, q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_mem gm;
	gmem_init(&gm);
	gmem_add(&gm, RAM_BASE, RAM_SIZE, ram, false);
	memset(ram, 0, sizeof(ram));
	/* First half of the input: RAM contents (repeated). */
	size_t half = size / 2;
	for (size_t i = 0; half && i < RAM_SIZE; i++)
		ram[i] = data[i % half];
	data += half;
	size -= half;
	struct virtio_dev d;
	struct virtio_mmio t;
	if (virtio_dev_init(&d, &ops, NULL, &gm, cfg))
		fail();
	virtio_mmio_init(&t, &d, (struct irq_line){ no_line, NULL, 0 }, 0);
	/* Second half: register writes (off, value) and device steps. */
	while (size >= 5) {
		uint8_t op = data[0];
		uint32_t v;
		memcpy(&v, data + 1, 4);
		data += 5;
		size -= 5;
		if (op >= 0xf0) {
			serve(&d, op & 1);
			continue;
		}
		uint64_t off = (uint64_t)op * 4;
		/* Addresses land in RAM more often than not. */
		if (off >= VMMIO_QUEUE_DESC_LOW && off <= VMMIO_QUEUE_DEVICE_HIGH && !(off & 4))
			v = (uint32_t)(RAM_BASE + (v % RAM_SIZE));
		if (op & 0x80)
			(void)virtio_mmio_read(&t, off & 0x1ff, 4);
		else
			virtio_mmio_write(&t, off & 0x1ff, 4, v);
		if (pending_q != ~0u) {
			serve(&d, pending_q);
			pending_q = ~0u;
		}
	}
	virtio_mmio_destroy(&t);
	virtio_dev_destroy(&d);
	return 0;
}
