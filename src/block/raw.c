/* The raw image back end: a file or a host block device, a pool of worker
 * threads doing positioned vectored I/O. Requests are taken in submission
 * order; a FLUSH is a barrier: it runs only once every request submitted
 * before it has completed, then syncs (so "flushed" means "durable"). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/block.h"
#include "host/host.h"

#define MAX_THREADS 16

struct blk {
	int fd;
	uint64_t size;
	bool readonly, is_bdev;
	enum blk_cache cache;
	pthread_mutex_t lock;
	pthread_cond_t work, idle;
	struct blk_req *head, **tail; /* queued, in submission order */
	uint64_t next_seq;            /* sequence of the next submission */
	uint64_t inflight;            /* taken by a worker, not yet done */
	uint64_t oldest_running;      /* smallest seq being processed (for FLUSH) */
	uint64_t running_seqs[MAX_THREADS];
	bool stopping;
	unsigned nthreads;
	pthread_t threads[MAX_THREADS];
	struct blk_stats st;
	/* snapshot=on: writes go to an unlinked sparse overlay; a bit per
	 * sector says which file holds it (readers test, writers set after
	 * writing: both atomic). */
	int ovl_fd;                   /* -1: no overlay */
	_Atomic uint64_t *ovl_map;
};

static int rw_fd(struct blk *b, int fd, bool rd, uint64_t off, const struct iovec *in, unsigned cnt);
static void blk_close_partial(struct blk *b);

static bool ovl_has(struct blk *b, uint64_t sector)
{
	return (atomic_load_explicit(&b->ovl_map[sector / 64], memory_order_acquire) >> (sector % 64)) & 1;
}

/* The part of in[0..n) from byte `skip`, `len` long, into out (at most max). */
static unsigned slice_iov(const struct iovec *in, unsigned n, uint64_t skip, uint64_t len, struct iovec *out,
			  unsigned max)
{
	unsigned k = 0;
	for (unsigned i = 0; i < n && len && k < max; i++) {
		if (skip >= in[i].iov_len) {
			skip -= in[i].iov_len;
			continue;
		}
		uint64_t take = in[i].iov_len - skip < len ? in[i].iov_len - skip : len;
		out[k++] = (struct iovec){ (uint8_t *)in[i].iov_base + skip, (size_t)take };
		len -= take;
		skip = 0;
	}
	return k;
}

/* snapshot=on: reads take each run of sectors from the file that holds it;
 * writes go to the overlay, then mark their sectors. */
static int ovl_rw(struct blk *b, struct blk_req *r)
{
	uint64_t first = r->offset / 512, n = r->len / 512;
	if (r->op == BLK_WRITE) {
		int e = rw_fd(b, b->ovl_fd, false, r->offset, r->iov, r->iovcnt);
		for (uint64_t s = first; !e && s < first + n; s++)
			atomic_fetch_or_explicit(&b->ovl_map[s / 64], 1ull << (s % 64), memory_order_release);
		return e;
	}
	struct iovec sub[1024];
	for (uint64_t s = first; s < first + n;) {
		bool in_ovl = ovl_has(b, s);
		uint64_t e = s + 1;
		while (e < first + n && ovl_has(b, e) == in_ovl)
			e++;
		unsigned k = slice_iov(r->iov, r->iovcnt, (s - first) * 512, (e - s) * 512, sub, 1024);
		int err = rw_fd(b, in_ovl ? b->ovl_fd : b->fd, true, s * 512, sub, k);
		if (err)
			return err;
		s = e;
	}
	return 0;
}

static int do_rw(struct blk *b, struct blk_req *r)
{
	if (b->ovl_fd >= 0)
		return ovl_rw(b, r);
	int err = rw_fd(b, b->fd, r->op == BLK_READ, r->offset, r->iov, r->iovcnt);
	if (!err && r->op == BLK_WRITE &&
	    (r->fua || b->cache == BLK_CACHE_WRITETHROUGH || b->cache == BLK_CACHE_DIRECTSYNC) && b->cache != BLK_CACHE_UNSAFE)
		err = host_sync_data(b->fd);
	return err;
}

static int rw_fd(struct blk *b, int fd, bool rd, uint64_t off, const struct iovec *in, unsigned cnt)
{
	(void)b;
	struct iovec local[64], *iov;
	if (cnt > 64) {
		/* Advance through a copy: partial transfers edit the vector. */
		iov = malloc(cnt * sizeof(*iov));
		if (!iov)
			return -ENOMEM;
	} else {
		iov = local;
	}
	memcpy(iov, in, cnt * sizeof(*iov));
	struct iovec *v = iov;
	int err = 0;
	while (cnt) {
		int n = cnt > IOV_MAX ? IOV_MAX : (int)cnt;
		ssize_t k = rd ? preadv(fd, v, n, (off_t)off) : pwritev(fd, v, n, (off_t)off);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (k == 0) {
			if (rd) { /* past the end of a file: zeros */
				for (unsigned i = 0; i < cnt; i++)
					memset(v[i].iov_base, 0, v[i].iov_len);
				break;
			}
			err = -EIO;
			break;
		}
		off += (uint64_t)k;
		while (cnt && (size_t)k >= v->iov_len) {
			k -= (ssize_t)v->iov_len;
			v++;
			cnt--;
		}
		if (cnt) {
			v->iov_base = (uint8_t *)v->iov_base + k;
			v->iov_len -= (size_t)k;
		}
	}
	if (iov != local)
		free(iov);
	return err;
}

static int write_zeroes(struct blk *b, uint64_t off, uint64_t len)
{
	static const uint8_t zero[65536];
	while (len) {
		size_t n = len < sizeof(zero) ? (size_t)len : sizeof(zero);
		ssize_t k = pwrite(b->fd, zero, n, (off_t)off);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += (uint64_t)k;
		len -= (uint64_t)k;
	}
	return 0;
}

static int do_discard(struct blk *b, struct blk_req *r, bool zero)
{
	if (b->ovl_fd >= 0) {
		/* The base is never touched: the overlay holds the zeroes. */
		if (!zero)
			return 0;
		static const uint8_t z[65536];
		for (uint64_t o = 0; o < r->len;) {
			uint64_t n = r->len - o < sizeof(z) ? r->len - o : sizeof(z);
			struct iovec iv = { (void *)z, (size_t)n };
			struct blk_req w = { .op = BLK_WRITE, .offset = r->offset + o, .len = n, .iov = &iv, .iovcnt = 1 };
			int e = ovl_rw(b, &w);
			if (e)
				return e;
			o += n;
		}
		return 0;
	}
	int e = host_punch_hole(b->fd, b->is_bdev, r->offset, r->len);
	if (!e)
		return 0;
	/* A discard is advisory; zeroes must be zeroes. */
	return zero ? write_zeroes(b, r->offset, r->len) : 0;
}

static int run(struct blk *b, struct blk_req *r)
{
	switch (r->op) {
	case BLK_READ:
	case BLK_WRITE: return do_rw(b, r);
	case BLK_FLUSH: return b->cache == BLK_CACHE_UNSAFE || b->ovl_fd >= 0 ? 0 : host_sync_data(b->fd);
	case BLK_DISCARD: return do_discard(b, r, false);
	case BLK_WRITE_ZEROES: return do_discard(b, r, true);
	}
	return -EINVAL;
}

/* Smallest sequence number still being processed by another worker. */
static uint64_t oldest_running(struct blk *b)
{
	uint64_t m = UINT64_MAX;
	for (unsigned i = 0; i < b->nthreads; i++)
		if (b->running_seqs[i] < m)
			m = b->running_seqs[i];
	return m;
}

static void *worker(void *arg)
{
	struct blk *b = arg;
	pthread_mutex_lock(&b->lock);
	unsigned me = 0;
	while (me < b->nthreads && b->threads[me] != pthread_self())
		me++;
	host_thread_name("avmm-blk");
	for (;;) {
		struct blk_req *r = b->head;
		/* A FLUSH at the head waits for everything before it. */
		while (!b->stopping && (!r || (r->op == BLK_FLUSH && oldest_running(b) < r->seq))) {
			pthread_cond_wait(&b->work, &b->lock);
			r = b->head;
		}
		if (!r && b->stopping)
			break;
		b->head = r->next;
		if (!b->head)
			b->tail = &b->head;
		b->running_seqs[me] = r->seq;
		b->inflight++;
		pthread_mutex_unlock(&b->lock);
		int res = run(b, r);
		pthread_mutex_lock(&b->lock);
		switch (r->op) {
		case BLK_READ: b->st.reads++; b->st.bytes_read += r->len; break;
		case BLK_WRITE: b->st.writes++; b->st.bytes_written += r->len; break;
		case BLK_FLUSH: b->st.flushes++; break;
		default: b->st.discards++; break;
		}
		if (res)
			b->st.errors++;
		b->running_seqs[me] = UINT64_MAX;
		pthread_mutex_unlock(&b->lock);
		r->done(r, res); /* may submit more: no lock held */
		pthread_mutex_lock(&b->lock);
		b->inflight--;
		pthread_cond_broadcast(&b->work); /* a FLUSH may be waiting for this one */
		if (!b->inflight && !b->head)
			pthread_cond_broadcast(&b->idle);
	}
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

void blk_submit(struct blk *b, struct blk_req *r)
{
	r->next = NULL;
	pthread_mutex_lock(&b->lock);
	r->seq = b->next_seq++;
	*b->tail = r;
	b->tail = &r->next;
	pthread_cond_signal(&b->work);
	pthread_mutex_unlock(&b->lock);
}

void blk_drain(struct blk *b)
{
	pthread_mutex_lock(&b->lock);
	while (b->head || b->inflight)
		pthread_cond_wait(&b->idle, &b->lock);
	pthread_mutex_unlock(&b->lock);
}

int blk_open(const char *path, const struct blk_opts *o, struct blk **out, char *err, size_t errlen)
{
	*out = NULL;
	/* snapshot=on: the image is only read (and shared-locked). */
	bool ro_file = o->readonly || o->snapshot;
	int flags = (ro_file ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	/* cache=none/directsync bypass the host page cache: O_DIRECT on Linux,
	 * F_NOCACHE on macOS (which has no O_DIRECT). */
	bool direct = o->cache == BLK_CACHE_NONE || o->cache == BLK_CACHE_DIRECTSYNC;
#ifdef O_DIRECT
	if (direct)
		flags |= O_DIRECT;
#endif
	int fd = open(path, flags);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot open '%s': %s%s", path, strerror(e),
			 e == EACCES || e == EROFS ? " (use readonly=on for a read-only image)"
			 : e == EINVAL && direct ? " (the file system does not support cache=none)"
						 : "");
		return -e;
	}
#if !defined(O_DIRECT) && defined(F_NOCACHE)
	if (direct)
		fcntl(fd, F_NOCACHE, 1);
#endif
	struct stat sb;
	if (fstat(fd, &sb)) {
		int e = errno;
		close(fd);
		snprintf(err, errlen, "'%s': %s", path, strerror(e));
		return -e;
	}
	bool bdev = S_ISBLK(sb.st_mode);
	if (!bdev && !S_ISREG(sb.st_mode)) {
		close(fd);
		snprintf(err, errlen, "'%s' is neither a regular file nor a block device", path);
		return -EINVAL;
	}
	uint64_t size = (uint64_t)sb.st_size;
	if (bdev && host_blockdev_size(fd, &size)) {
		int e = errno;
		close(fd);
		snprintf(err, errlen, "'%s': cannot read the block device's size: %s", path, strerror(e));
		return -e;
	}
	if (size < 512) {
		close(fd);
		snprintf(err, errlen, "'%s' is %s (a disk image needs at least one 512-byte sector)", path,
			 size ? "smaller than 512 bytes" : "empty");
		return -EINVAL;
	}
	int r = host_lock_file(fd, !ro_file);
	if (r) {
		close(fd);
		if (r == -EAGAIN)
			snprintf(err, errlen, "'%s' is in use by another process (it holds a %slock on it): stop that VM first%s",
				 path, o->readonly ? "write " : "",
				 o->readonly ? "" : ", or open this one with readonly=on if both only read it");
		else
			snprintf(err, errlen, "cannot lock '%s': %s", path, strerror(-r));
		return r;
	}
	struct blk *b = calloc(1, sizeof(*b));
	if (!b) {
		close(fd);
		return -ENOMEM;
	}
	b->fd = fd;
	b->size = size & ~511ull;
	b->readonly = o->readonly;
	b->is_bdev = bdev;
	b->cache = o->cache;
	b->tail = &b->head;
	b->ovl_fd = -1;
	if (o->snapshot && !o->readonly) {
		const char *tmp = getenv("TMPDIR");
		char tpl[4096];
		snprintf(tpl, sizeof(tpl), "%s/avmm-snapshot-XXXXXX", tmp && *tmp ? tmp : "/var/tmp");
		b->ovl_fd = mkstemp(tpl);
		b->ovl_map = calloc((b->size / 512 + 63) / 64, 8);
		if (b->ovl_fd < 0 || !b->ovl_map || ftruncate(b->ovl_fd, (off_t)b->size)) {
			int e = errno;
			if (b->ovl_fd >= 0)
				unlink(tpl);
			blk_close_partial(b);
			snprintf(err, errlen, "'%s': snapshot=on: cannot create the temporary overlay in %s: %s (set TMPDIR)",
				 path, tmp && *tmp ? tmp : "/var/tmp", strerror(e));
			return -e;
		}
		unlink(tpl); /* gone when avmm exits, however it exits */
	}
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->work, NULL);
	pthread_cond_init(&b->idle, NULL);
	b->nthreads = o->threads ? (o->threads > MAX_THREADS ? MAX_THREADS : o->threads) : 4;
	for (unsigned i = 0; i < MAX_THREADS; i++)
		b->running_seqs[i] = UINT64_MAX;
	pthread_mutex_lock(&b->lock);
	for (unsigned i = 0; i < b->nthreads; i++)
		if (pthread_create(&b->threads[i], NULL, worker, b)) {
			b->nthreads = i;
			break;
		}
	pthread_mutex_unlock(&b->lock);
	if (!b->nthreads) {
		blk_close(b);
		snprintf(err, errlen, "'%s': cannot start the I/O threads", path);
		return -EAGAIN;
	}
	*out = b;
	return 0;
}

static void blk_close_partial(struct blk *b)
{
	if (b->ovl_fd >= 0)
		close(b->ovl_fd);
	free(b->ovl_map);
	close(b->fd);
	free(b);
}

uint64_t blk_size(const struct blk *b)
{
	return b->size;
}

bool blk_readonly(const struct blk *b)
{
	return b->readonly;
}

bool blk_write_cache(const struct blk *b)
{
	return b->cache == BLK_CACHE_WRITEBACK || b->cache == BLK_CACHE_NONE || b->cache == BLK_CACHE_UNSAFE;
}

void blk_close(struct blk *b)
{
	if (!b)
		return;
	blk_drain(b);
	pthread_mutex_lock(&b->lock);
	b->stopping = true;
	pthread_cond_broadcast(&b->work);
	pthread_mutex_unlock(&b->lock);
	for (unsigned i = 0; i < b->nthreads; i++)
		pthread_join(b->threads[i], NULL);
	if (!b->readonly && b->cache != BLK_CACHE_UNSAFE && b->ovl_fd < 0)
		host_sync_data(b->fd);
	close(b->fd); /* drops the lock */
	if (b->ovl_fd >= 0)
		close(b->ovl_fd);
	free(b->ovl_map);
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->work);
	pthread_cond_destroy(&b->idle);
	free(b);
}

void blk_get_stats(struct blk *b, struct blk_stats *s)
{
	pthread_mutex_lock(&b->lock);
	*s = b->st;
	pthread_mutex_unlock(&b->lock);
}
