#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/host.h"
#include "hw/virtio/virtio-blk.h"
#include "hw/virtio/vworker.h"

/* Feature bits (§5.2.3). */
#define F_SEG_MAX 2
#define F_RO 5
#define F_BLK_SIZE 6
#define F_FLUSH 9
#define F_CONFIG_WCE 11
#define F_MQ 12
#define F_DISCARD 13
#define F_WRITE_ZEROES 14

/* Request types and status (§5.2.6). */
#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define T_DISCARD 11
#define T_WRITE_ZEROES 13
#define S_OK 0
#define S_IOERR 1
#define S_UNSUPP 2

/* Config offsets. */
#define C_CAPACITY 0
#define C_SEG_MAX 12
#define C_BLK_SIZE 20
#define C_WRITEBACK 32
#define C_NUM_QUEUES 34
#define C_MAX_DISCARD_SECTORS 36
#define C_MAX_DISCARD_SEG 40
#define C_DISCARD_ALIGN 44
#define C_MAX_WZ_SECTORS 48
#define C_MAX_WZ_SEG 52
#define C_WZ_MAY_UNMAP 56

#define SECTOR 512u
#define MAX_DISCARD_SECTORS 0x3fffffu

struct vblk_req {
	struct blk_req br;
	struct vblk *v;
	unsigned q;
	uint16_t head;
	uint32_t gen;
	uint8_t *status;          /* the chain's last writable byte */
	uint32_t written;         /* bytes the device writes into the chain */
	struct iovec iov[];       /* the data part */
};

struct vblk {
	struct virtio_dev vdev;
	struct virtio_dev_ops ops;
	struct blk *b;
	uint8_t config[VBLK_CONFIG_SIZE];
	char serial[20];
	unsigned nq;
	pthread_mutex_t qlock[VBLK_MAX_QUEUES]; /* ring state: the request thread and completions */
	struct vworker worker;    /* takes requests off the rings */
	_Atomic uint32_t gen;     /* bumped by reset: older completions are dropped */
	struct vq_elem scratch;   /* the request thread's */
	uint64_t n_bad_req;
};

static void put_le16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}
static void put_le32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}
static void put_le64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void bad_request(struct vblk *v, const char *why)
{
	if (v->n_bad_req++ < 10)
		fprintf(stderr, "avmm: virtio-blk: guest error: %s\n", why);
}

/* Return a chain and interrupt if the driver wants it. Any thread. */
static void complete(struct vblk *v, unsigned q, uint16_t head, uint32_t written, uint32_t gen)
{
	pthread_mutex_lock(&v->qlock[q]);
	if (gen == atomic_load(&v->gen)) {
		vq_push(&v->vdev.vq[q], head, written);
		virtio_queue_done(&v->vdev, q);
	}
	pthread_mutex_unlock(&v->qlock[q]);
}

static void req_done(struct blk_req *br, int result)
{
	struct vblk_req *r = (struct vblk_req *)br;
	if (result && r->v->n_bad_req++ < 10)
		fprintf(stderr, "avmm: virtio-blk: I/O error at byte %llu: %s\n", (unsigned long long)br->offset,
			strerror(-result));
	*r->status = result ? S_IOERR : S_OK;
	complete(r->v, r->q, r->head, r->written, r->gen);
	free(r);
}

/* The part of iov[0..n) that starts `skip` bytes in and is `len` long. */
static unsigned slice(const struct iovec *iov, unsigned n, uint64_t skip, uint64_t len, struct iovec *out)
{
	unsigned k = 0;
	for (unsigned i = 0; i < n && len; i++) {
		uint64_t l = iov[i].iov_len;
		if (skip >= l) {
			skip -= l;
			continue;
		}
		uint64_t take = l - skip < len ? l - skip : len;
		out[k++] = (struct iovec){ (uint8_t *)iov[i].iov_base + skip, (size_t)take };
		len -= take;
		skip = 0;
	}
	return k;
}

/* Is [sector, sector + bytes/512) inside the disk? */
static bool in_range(struct vblk *v, uint64_t sector, uint64_t bytes)
{
	uint64_t cap = blk_size(v->b) / SECTOR;
	return sector <= cap && bytes / SECTOR <= cap - sector;
}

static void handle(struct vblk *v, unsigned q, struct vq_elem *e, uint32_t gen)
{
	uint8_t hdr[16];
	struct iovec *in = e->iov + e->n_out;
	if (e->out_len < sizeof(hdr) || e->in_len < 1) {
		/* Nowhere to put a status: the request cannot even fail. */
		bad_request(v, "request without header or status byte");
		complete(v, q, e->head, 0, gen);
		return;
	}
	vq_iov_to_buf(e->iov, e->n_out, 0, hdr, sizeof(hdr));
	uint32_t type;
	uint64_t sector;
	memcpy(&type, hdr, 4);
	memcpy(&sector, hdr + 8, 8);
	struct iovec st;
	slice(in, e->n_in, e->in_len - 1, 1, &st);
	uint8_t *status = st.iov_base;
	bool ro = blk_readonly(v->b);
	uint8_t s = S_OK;
	uint64_t dlen = 0, doff = 0;
	unsigned dn = 0;
	const struct iovec *dsrc = NULL;
	enum blk_op op = BLK_READ;
	switch (type) {
	case T_IN:
		dsrc = in, dn = e->n_in, dlen = e->in_len - 1, op = BLK_READ;
		break;
	case T_OUT:
		dsrc = e->iov, dn = e->n_out, doff = sizeof(hdr), dlen = e->out_len - sizeof(hdr), op = BLK_WRITE;
		break;
	case T_FLUSH:
		op = BLK_FLUSH;
		break;
	case T_GET_ID: {
		struct iovec id[VQ_MAX_IOV];
		uint64_t n = e->in_len - 1 < sizeof(v->serial) ? e->in_len - 1 : sizeof(v->serial);
		unsigned k = slice(in, e->n_in, 0, n, id);
		vq_iov_from_buf(id, k, 0, v->serial, (size_t)n);
		*status = S_OK;
		complete(v, q, e->head, (uint32_t)n + 1, gen);
		return;
	}
	case T_DISCARD:
	case T_WRITE_ZEROES: {
		uint8_t seg[16];
		if (e->out_len - sizeof(hdr) != sizeof(seg)) { /* max_discard_seg = max_write_zeroes_seg = 1 */
			s = S_UNSUPP;
			break;
		}
		vq_iov_to_buf(e->iov, e->n_out, sizeof(hdr), seg, sizeof(seg));
		uint32_t num, flags;
		memcpy(&sector, seg, 8);
		memcpy(&num, seg + 8, 4);
		memcpy(&flags, seg + 12, 4);
		if ((type == T_DISCARD && flags) || (flags & ~1u)) {
			s = S_UNSUPP; /* unmap is for WRITE_ZEROES only; other flags reserved */
			break;
		}
		if (num > MAX_DISCARD_SECTORS || !in_range(v, sector, (uint64_t)num * SECTOR) || ro) {
			s = S_IOERR;
			break;
		}
		op = type == T_DISCARD ? BLK_DISCARD : BLK_WRITE_ZEROES;
		dlen = (uint64_t)num * SECTOR;
		break;
	}
	default:
		s = S_UNSUPP;
	}
	if (s == S_OK && (op == BLK_READ || op == BLK_WRITE)) {
		if ((dlen % SECTOR) || !in_range(v, sector, dlen) || (op == BLK_WRITE && ro)) {
			if (dlen % SECTOR)
				bad_request(v, "data length not a multiple of 512");
			s = S_IOERR;
		}
	}
	if (s != S_OK) {
		*status = s;
		complete(v, q, e->head, 1, gen);
		return;
	}
	struct vblk_req *r = malloc(sizeof(*r) + (size_t)dn * sizeof(struct iovec));
	if (!r) {
		*status = S_IOERR;
		complete(v, q, e->head, 1, gen);
		return;
	}
	memset(&r->br, 0, sizeof(r->br));
	r->v = v;
	r->q = q;
	r->head = e->head;
	r->gen = gen;
	r->status = status;
	r->written = op == BLK_READ ? (uint32_t)dlen + 1 : 1;
	r->br.op = op;
	r->br.offset = sector * SECTOR;
	r->br.len = dlen;
	if (op == BLK_READ || op == BLK_WRITE) {
		r->br.iovcnt = slice(dsrc, dn, doff, dlen, r->iov);
		r->br.iov = r->iov;
	}
	/* A guest that turned its write cache off gets write-through. */
	r->br.fua = op == BLK_WRITE && virtio_has_feature(&v->vdev, F_CONFIG_WCE) && !v->config[C_WRITEBACK];
	r->br.done = req_done;
	blk_submit(v->b, &r->br);
}

static void process_queue(void *opaque, unsigned q)
{
	struct vblk *v = opaque;
	struct virtqueue *vq = &v->vdev.vq[q];
	uint32_t gen = atomic_load(&v->gen);
	pthread_mutex_lock(&v->qlock[q]);
	for (;;) {
		vq_set_notify(vq, false);
		int r;
		while ((r = vq_pop(vq, &v->scratch)) == 1) {
			/* handle() may complete at once, which takes qlock. */
			pthread_mutex_unlock(&v->qlock[q]);
			handle(v, q, &v->scratch, gen);
			pthread_mutex_lock(&v->qlock[q]);
		}
		if (r < 0) {
			virtio_needs_reset(&v->vdev, "invalid descriptor chain");
			break;
		}
		vq_set_notify(vq, true);
		if (!vq_has_avail(vq))
			break;
	}
	pthread_mutex_unlock(&v->qlock[q]);
}

/* ---- virtio_dev_ops ---- */

static struct vblk *of(struct virtio_dev *d)
{
	return d->opaque;
}

static void vblk_notify(struct virtio_dev *d, unsigned q)
{
	vworker_kick(&of(d)->worker, q);
}

static int vblk_activate(struct virtio_dev *d)
{
	vworker_activate(&of(d)->worker, of(d)->nq);
	return 0;
}

/* Stop taking requests, then let in-flight ones finish (their completions
 * are dropped: the rings are gone after a reset). */
static void vblk_reset(struct virtio_dev *d)
{
	struct vblk *v = of(d);
	atomic_fetch_add(&v->gen, 1);
	vworker_pause(&v->worker);
	if (v->b)
		blk_drain(v->b);
	v->config[C_WRITEBACK] = v->b && blk_write_cache(v->b);
}

static void vblk_config_write(struct virtio_dev *d, uint32_t off, const void *buf, unsigned len)
{
	struct vblk *v = of(d);
	/* Only the writeback byte, and only with CONFIG_WCE (§5.2.4). */
	if (off <= C_WRITEBACK && off + len > C_WRITEBACK && virtio_has_feature(d, F_CONFIG_WCE))
		v->config[C_WRITEBACK] = ((const uint8_t *)buf)[C_WRITEBACK - off] ? 1 : 0;
}

int vblk_create(struct blk *b, struct guest_mem *gm, const struct vblk_config *c, struct vblk **out)
{
	unsigned nq = c->num_queues ? c->num_queues : 1;
	if (nq > VBLK_MAX_QUEUES)
		return -EINVAL;
	struct vblk *v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->b = b;
	v->nq = nq;
	if (c->serial)
		memcpy(v->serial, c->serial, strnlen(c->serial, sizeof(v->serial))); /* not NUL-terminated at 20 */
	bool ro = blk_readonly(b);
	uint64_t f = 1ull << F_SEG_MAX | 1ull << F_BLK_SIZE | 1ull << F_FLUSH | 1ull << F_DISCARD;
	if (blk_write_cache(b))
		f |= 1ull << F_CONFIG_WCE;
	if (nq > 1)
		f |= 1ull << F_MQ;
	if (ro)
		f |= 1ull << F_RO;
	else
		f |= 1ull << F_WRITE_ZEROES;
	v->ops = (struct virtio_dev_ops){
		.name = "virtio-blk", .device_id = VIRTIO_BLK_ID, .features = f, .num_queues = nq,
		.queue_max = VBLK_QUEUE_SIZE, .config_size = VBLK_CONFIG_SIZE, .config_write = vblk_config_write,
		.activate = vblk_activate, .reset = vblk_reset, .notify = vblk_notify,
	};
	put_le64(v->config + C_CAPACITY, blk_size(b) / SECTOR);
	put_le32(v->config + C_SEG_MAX, VBLK_QUEUE_SIZE - 2);
	put_le32(v->config + C_BLK_SIZE, SECTOR);
	v->config[C_WRITEBACK] = blk_write_cache(b);
	put_le16(v->config + C_NUM_QUEUES, (uint16_t)nq);
	put_le32(v->config + C_MAX_DISCARD_SECTORS, MAX_DISCARD_SECTORS);
	put_le32(v->config + C_MAX_DISCARD_SEG, 1);
	put_le32(v->config + C_DISCARD_ALIGN, 1);
	put_le32(v->config + C_MAX_WZ_SECTORS, MAX_DISCARD_SECTORS);
	put_le32(v->config + C_MAX_WZ_SEG, 1);
	v->config[C_WZ_MAY_UNMAP] = 1;
	for (unsigned i = 0; i < nq; i++)
		pthread_mutex_init(&v->qlock[i], NULL);
	/* The worker first: virtio_dev_init resets the device, which pauses it. */
	int r = vworker_start(&v->worker, process_queue, v, "avmm-vblk");
	if (!r && (r = virtio_dev_init(&v->vdev, &v->ops, v, gm, v->config)))
		vworker_stop(&v->worker);
	if (r) {
		free(v);
		return r;
	}
	*out = v;
	return 0;
}

struct virtio_dev *vblk_virtio(struct vblk *v)
{
	return &v->vdev;
}

void vblk_destroy(struct vblk *v)
{
	if (!v)
		return;
	pthread_mutex_lock(&v->vdev.lock);
	vblk_reset(&v->vdev);
	pthread_mutex_unlock(&v->vdev.lock);
	vworker_stop(&v->worker);
	blk_close(v->b);
	virtio_dev_destroy(&v->vdev);
	free(v);
}
