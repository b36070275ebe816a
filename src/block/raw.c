/* The raw image back end: a file or a host block device, a pool of worker
 * threads doing positioned vectored I/O. Requests are taken in submission
 * order; a FLUSH is a barrier: it runs only once every request submitted
 * before it has completed, then syncs (so "flushed" means "durable"). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
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
	bool punch_ok;                /* fallocate hole punching works here */
};

static int do_rw(struct blk *b, struct blk_req *r)
{
	uint64_t off = r->offset;
	struct iovec local[64], *iov = r->iov;
	unsigned cnt = r->iovcnt;
	if (cnt > 64) {
		/* Advance through a copy: partial transfers edit the vector. */
		iov = malloc(cnt * sizeof(*iov));
		if (!iov)
			return -ENOMEM;
	} else {
		iov = local;
	}
	memcpy(iov, r->iov, cnt * sizeof(*iov));
	struct iovec *v = iov;
	int err = 0;
	while (cnt) {
		int n = cnt > IOV_MAX ? IOV_MAX : (int)cnt;
		ssize_t k = r->op == BLK_READ ? preadv(b->fd, v, n, (off_t)off) : pwritev(b->fd, v, n, (off_t)off);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (k == 0) {
			if (r->op == BLK_READ) { /* past the end of a file: zeros */
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
	if (!err && r->op == BLK_WRITE &&
	    (r->fua || b->cache == BLK_CACHE_WRITETHROUGH || b->cache == BLK_CACHE_DIRECTSYNC) && b->cache != BLK_CACHE_UNSAFE)
		err = host_sync_data(b->fd);
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
	case BLK_FLUSH: return b->cache == BLK_CACHE_UNSAFE ? 0 : host_sync_data(b->fd);
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
	if (o->snapshot) {
		snprintf(err, errlen, "%s: snapshot=on is not supported yet (copy the image instead)", path);
		return -ENOTSUP;
	}
	int flags = (o->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
#ifdef O_DIRECT
	if (o->cache == BLK_CACHE_NONE || o->cache == BLK_CACHE_DIRECTSYNC)
		flags |= O_DIRECT;
#endif
	int fd = open(path, flags);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot open '%s': %s%s", path, strerror(e),
			 e == EACCES || e == EROFS ? " (use readonly=on for a read-only image)"
			 : e == EINVAL && (flags & O_DIRECT ? 1 : 0) ? " (the file system does not support cache=none)"
								    : "");
		return -e;
	}
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
	int r = host_lock_file(fd, !o->readonly);
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
	if (!b->readonly && b->cache != BLK_CACHE_UNSAFE)
		host_sync_data(b->fd);
	close(b->fd); /* drops the lock */
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
