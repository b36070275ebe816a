#include <errno.h>
#include <string.h>

#include "hw/guest-mem.h"

void gmem_init(struct guest_mem *m)
{
	memset(m, 0, sizeof(*m));
}

int gmem_add(struct guest_mem *m, uint64_t gpa, uint64_t size, void *host, bool readonly)
{
	if (!size || gpa + size < gpa || !host)
		return -EINVAL;
	if (m->n == GMEM_MAX_REGIONS)
		return -ENOSPC;
	unsigned i = 0;
	while (i < m->n && m->r[i].gpa < gpa)
		i++;
	if (i > 0 && m->r[i - 1].gpa + m->r[i - 1].size > gpa)
		return -EEXIST;
	if (i < m->n && gpa + size > m->r[i].gpa)
		return -EEXIST;
	memmove(&m->r[i + 1], &m->r[i], (m->n - i) * sizeof(m->r[0]));
	m->r[i] = (struct gmem_region){ gpa, size, host, readonly };
	m->n++;
	return 0;
}

void gmem_set_dirty_hook(struct guest_mem *m, const struct gmem_dirty_hook *h)
{
	atomic_store_explicit(&m->dirty, h, memory_order_release);
}

void gmem_mark_dirty(struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	const struct gmem_dirty_hook *h = atomic_load_explicit(&m->dirty, memory_order_acquire);
	if (h && h->fn && len)
		h->fn(h->opaque, gpa, len);
}

/* The region holding gpa, or NULL (a handful of regions: binary search is
 * not worth it). */
static const struct gmem_region *find(const struct guest_mem *m, uint64_t gpa)
{
	for (unsigned i = 0; i < m->n; i++)
		if (gpa >= m->r[i].gpa && gpa - m->r[i].gpa < m->r[i].size)
			return &m->r[i];
	return NULL;
}

void *gmem_ptr(struct guest_mem *m, uint64_t gpa, uint64_t len, bool write)
{
	const struct gmem_region *r = find(m, gpa);
	if (!r || !len || len > r->size - (gpa - r->gpa) || (write && r->readonly))
		return NULL;
	if (write)
		gmem_mark_dirty(m, gpa, len);
	return r->host + (gpa - r->gpa);
}

/* Walk [gpa, gpa+len) region by region; fn gets each piece. Fails without
 * calling fn at all if any byte is not backed. */
static int walk(const struct guest_mem *m, uint64_t gpa, uint64_t len, bool write,
		int (*fn)(void *ctx, uint8_t *host, uint64_t n), void *ctx)
{
	if (gpa + len < gpa)
		return -EFAULT;
	for (int pass = 0; pass < 2; pass++) {
		uint64_t a = gpa, left = len;
		while (left) {
			const struct gmem_region *r = find(m, a);
			if (!r || (write && r->readonly))
				return -EFAULT;
			uint64_t n = r->size - (a - r->gpa);
			if (n > left)
				n = left;
			if (pass) {
				int e = fn(ctx, r->host + (a - r->gpa), n);
				if (e)
					return e;
			}
			a += n;
			left -= n;
		}
		if (!fn)
			return 0;
	}
	return 0;
}

bool gmem_valid(const struct guest_mem *m, uint64_t gpa, uint64_t len, bool write)
{
	return walk(m, gpa, len, write, NULL, NULL) == 0;
}

struct copy_ctx {
	uint8_t *buf;
	bool to_guest;
};

static int copy_piece(void *ctx, uint8_t *host, uint64_t n)
{
	struct copy_ctx *c = ctx;
	if (c->to_guest)
		memcpy(host, c->buf, n);
	else
		memcpy(c->buf, host, n);
	c->buf += n;
	return 0;
}

int gmem_read(struct guest_mem *m, uint64_t gpa, void *dst, size_t len)
{
	struct copy_ctx c = { dst, false };
	return walk(m, gpa, len, false, copy_piece, &c);
}

int gmem_write(struct guest_mem *m, uint64_t gpa, const void *src, size_t len)
{
	struct copy_ctx c = { (uint8_t *)src, true };
	int r = walk(m, gpa, len, true, copy_piece, &c);
	if (!r && len)
		gmem_mark_dirty(m, gpa, len);
	return r;
}

struct iov_ctx {
	struct iovec *iov;
	unsigned n, max;
};

static int iov_piece(void *ctx, uint8_t *host, uint64_t n)
{
	struct iov_ctx *c = ctx;
	if (c->n == c->max)
		return -E2BIG;
	c->iov[c->n++] = (struct iovec){ host, n };
	return 0;
}

int gmem_iov(struct guest_mem *m, uint64_t gpa, uint64_t len, bool write, struct iovec *iov, unsigned max)
{
	struct iov_ctx c = { iov, 0, max };
	int r = walk(m, gpa, len, write, iov_piece, &c);
	if (r)
		return r;
	if (write && len)
		gmem_mark_dirty(m, gpa, len);
	return (int)c.n;
}
