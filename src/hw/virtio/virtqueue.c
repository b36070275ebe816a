#include <errno.h>
#include <string.h>

#include "hw/virtio/virtqueue.h"

/* The rings are little-endian; avmm's hosts (x86-64, arm64) are too. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "virtqueues assume a little-endian host");

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};
_Static_assert(sizeof(struct vring_desc) == 16, "descriptor layout");

#define AVAIL_FLAGS 0
#define AVAIL_IDX 1
#define AVAIL_RING 2 /* in uint16_t units */
#define USED_IDX_OFF 2
#define USED_RING_OFF 4

void vq_init(struct virtqueue *vq, struct guest_mem *gm)
{
	memset(vq, 0, sizeof(*vq));
	vq->gm = gm;
}

void vq_reset(struct virtqueue *vq)
{
	vq_init(vq, vq->gm);
}

static uint64_t desc_bytes(uint16_t size)
{
	return 16ull * size;
}

static uint64_t avail_bytes(uint16_t size, bool ev)
{
	return 4ull + 2ull * size + (ev ? 2 : 0);
}

static uint64_t used_bytes(uint16_t size, bool ev)
{
	return 4ull + 8ull * size + (ev ? 2 : 0);
}

int vq_enable(struct virtqueue *vq)
{
	uint16_t n = vq->size;
	vq->ready = false;
	if (!n || (n & (n - 1)))
		return -EINVAL;
	/* Alignment as the spec requires (§2.7: 16, 2, 4). */
	if ((vq->desc_gpa & 15) || (vq->avail_gpa & 1) || (vq->used_gpa & 3))
		return -EINVAL;
	/* The event words are always mapped: a driver may turn EVENT_IDX on
	 * only by negotiation, but the space exists in every layout. */
	uint8_t *d = gmem_ptr(vq->gm, vq->desc_gpa, desc_bytes(n), false);
	uint8_t *a = gmem_ptr(vq->gm, vq->avail_gpa, avail_bytes(n, true), false);
	uint8_t *u = gmem_ptr(vq->gm, vq->used_gpa, used_bytes(n, true), true);
	if (!d || !a || !u)
		return -EINVAL;
	vq->desc = d;
	vq->avail = (volatile uint16_t *)a;
	vq->used = u;
	vq->signalled_valid = false;
	vq->ready = true;
	return 0;
}

static uint16_t avail_idx(const struct virtqueue *vq)
{
	return __atomic_load_n((uint16_t *)&vq->avail[AVAIL_IDX], __ATOMIC_ACQUIRE);
}

bool vq_has_avail(struct virtqueue *vq)
{
	return vq->ready && avail_idx(vq) != vq->last_avail;
}

/* Map one buffer into the element's iovecs. */
static int add_buf(struct virtqueue *vq, struct vq_elem *e, const struct vring_desc *d)
{
	bool wr = d->flags & VRING_DESC_F_WRITE;
	if (!wr && e->n_in)
		return -EINVAL; /* readable after writable (§2.7.4.2) */
	if (!d->len)
		return 0;
	unsigned used = e->n_out + e->n_in;
	int k = gmem_iov(vq->gm, d->addr, d->len, wr, e->iov + used, VQ_MAX_IOV - used);
	if (k < 0)
		return -EINVAL;
	if (wr) {
		e->n_in += (unsigned)k;
		e->in_len += d->len;
	} else {
		e->n_out += (unsigned)k;
		e->out_len += d->len;
	}
	return 0;
}

/* Walk the chain from head. Each descriptor is copied once before use. */
static int walk_chain(struct virtqueue *vq, uint16_t head, struct vq_elem *e)
{
	const uint8_t *table = (const uint8_t *)vq->desc;
	uint32_t tsize = vq->size, idx = head, budget = vq->size;
	bool indirect = false;
	for (;;) {
		if (idx >= tsize || budget-- == 0)
			return -EINVAL; /* out of the table, or a loop */
		struct vring_desc d;
		memcpy(&d, table + 16ull * idx, sizeof(d));
		__atomic_signal_fence(__ATOMIC_SEQ_CST); /* d is the copy from here on */
		if (d.flags & VRING_DESC_F_INDIRECT) {
			/* One level only, never combined with NEXT (§2.7.5.3.1). */
			if (indirect || (d.flags & VRING_DESC_F_NEXT) || !d.len || (d.len & 15) ||
			    d.len / 16 > VQ_MAX_SIZE)
				return -EINVAL;
			table = gmem_ptr(vq->gm, d.addr, d.len, false);
			if (!table)
				return -EINVAL;
			tsize = budget = d.len / 16;
			idx = 0;
			indirect = true;
			continue;
		}
		if (add_buf(vq, e, &d))
			return -EINVAL;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		idx = d.next;
	}
}

int vq_pop(struct virtqueue *vq, struct vq_elem *e)
{
	if (!vq->ready)
		return 0;
	uint16_t ai = avail_idx(vq);
	if (ai == vq->last_avail)
		return 0;
	e->n_out = e->n_in = 0;
	e->out_len = e->in_len = 0;
	if ((uint16_t)(ai - vq->last_avail) > vq->size) {
		/* The driver claims more buffers than the ring holds. */
		vq->n_bad++;
		e->head = 0xffff;
		return -EINVAL;
	}
	uint16_t slot = vq->last_avail & (vq->size - 1);
	uint16_t head = __atomic_load_n((uint16_t *)&vq->avail[AVAIL_RING + slot], __ATOMIC_RELAXED);
	vq->last_avail++;
	e->head = head;
	if (head >= vq->size || walk_chain(vq, head, e)) {
		vq->n_bad++;
		e->n_out = e->n_in = 0;
		return -EINVAL;
	}
	vq->n_pop++;
	return 1;
}

void vq_push(struct virtqueue *vq, uint16_t head, uint32_t written)
{
	if (!vq->ready)
		return;
	uint16_t slot = vq->used_idx & (vq->size - 1);
	uint8_t *ent = (uint8_t *)vq->used + USED_RING_OFF + 8u * slot;
	uint32_t id = head;
	memcpy(ent, &id, 4);
	memcpy(ent + 4, &written, 4);
	vq->used_idx++;
	/* The entry is visible before the index that publishes it. */
	__atomic_store_n((uint16_t *)(vq->used + USED_IDX_OFF), vq->used_idx, __ATOMIC_RELEASE);
	gmem_mark_dirty(vq->gm, vq->used_gpa + USED_RING_OFF + 8u * slot, 8);
	gmem_mark_dirty(vq->gm, vq->used_gpa + USED_IDX_OFF, 2);
}

/* §2.7.10: notify if new_idx passed event_idx since old. */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

bool vq_need_notify(struct virtqueue *vq)
{
	if (!vq->ready)
		return false;
	/* Our used->idx store must be ordered before reading the driver's
	 * suppression word, or both sides can miss each other. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(__atomic_load_n((uint16_t *)&vq->avail[AVAIL_FLAGS], __ATOMIC_RELAXED) & VRING_AVAIL_F_NO_INTERRUPT);
	uint16_t ev = __atomic_load_n((uint16_t *)&vq->avail[AVAIL_RING + vq->size], __ATOMIC_RELAXED);
	uint16_t old = vq->signalled_used;
	bool valid = vq->signalled_valid;
	vq->signalled_used = vq->used_idx;
	vq->signalled_valid = true;
	return !valid || need_event(ev, vq->used_idx, old);
}

void vq_set_notify(struct virtqueue *vq, bool enable)
{
	if (!vq->ready)
		return;
	if (vq->event_idx) {
		if (enable) {
			uint16_t *ae = (uint16_t *)(vq->used + USED_RING_OFF + 8u * vq->size);
			__atomic_store_n(ae, vq->last_avail, __ATOMIC_RELAXED);
			gmem_mark_dirty(vq->gm, vq->used_gpa + USED_RING_OFF + 8u * vq->size, 2);
		}
	} else {
		uint16_t f = enable ? 0 : VRING_USED_F_NO_NOTIFY;
		__atomic_store_n((uint16_t *)vq->used, f, __ATOMIC_RELAXED);
		gmem_mark_dirty(vq->gm, vq->used_gpa, 2);
	}
	/* Publish before the caller re-checks the avail ring. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void vq_save(const struct virtqueue *vq, struct vq_state *s)
{
	memset(s, 0, sizeof(*s));
	s->size = vq->size;
	s->last_avail = vq->last_avail;
	s->used_idx = vq->used_idx;
	s->signalled_used = vq->signalled_used;
	s->ready = vq->ready;
	s->event_idx = vq->event_idx;
	s->signalled_valid = vq->signalled_valid;
	s->desc_gpa = vq->desc_gpa;
	s->avail_gpa = vq->avail_gpa;
	s->used_gpa = vq->used_gpa;
}

int vq_load(struct virtqueue *vq, const struct vq_state *s)
{
	vq_reset(vq);
	if (s->size > VQ_MAX_SIZE || (s->size & (s->size - 1)))
		return -EINVAL;
	vq->size = s->size;
	vq->desc_gpa = s->desc_gpa;
	vq->avail_gpa = s->avail_gpa;
	vq->used_gpa = s->used_gpa;
	vq->event_idx = s->event_idx;
	if (s->ready && vq_enable(vq))
		return -EINVAL;
	vq->last_avail = s->last_avail;
	vq->used_idx = s->used_idx;
	vq->signalled_used = s->signalled_used;
	vq->signalled_valid = s->signalled_valid;
	return 0;
}

/* Copy between a buffer and the iovecs from byte `skip` of them on. */
static size_t iov_copy(const struct iovec *iov, unsigned n, size_t skip, uint8_t *buf, size_t len, bool to_iov)
{
	size_t done = 0;
	for (unsigned i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len;
		if (skip >= l) {
			skip -= l;
			continue;
		}
		size_t k = l - skip < len - done ? l - skip : len - done;
		uint8_t *p = (uint8_t *)iov[i].iov_base + skip;
		if (to_iov)
			memcpy(p, buf + done, k);
		else
			memcpy(buf + done, p, k);
		done += k;
		skip = 0;
	}
	return done;
}

size_t vq_iov_to_buf(const struct iovec *iov, unsigned n, size_t skip, void *buf, size_t len)
{
	return iov_copy(iov, n, skip, buf, len, false);
}

size_t vq_iov_from_buf(const struct iovec *iov, unsigned n, size_t skip, const void *buf, size_t len)
{
	return iov_copy(iov, n, skip, (uint8_t *)buf, len, true);
}
