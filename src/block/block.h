/* Block back ends (DESIGN.md §5.5): an image opened once, locked against a
 * second writer, requests submitted asynchronously and completed on the
 * back end's own threads, so no vCPU and no device loop ever waits on the
 * disk. The portable engine is a pool of threads doing preadv/pwritev
 * (macOS has no io_uring); FLUSH waits for every request submitted before
 * it, then makes the data durable (host_sync_data: fdatasync, or
 * F_FULLFSYNC on macOS), unless the cache mode is "unsafe". */
#ifndef AVMM_BLOCK_BLOCK_H
#define AVMM_BLOCK_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* QEMU's cache modes: what the guest's write cache is, and how the host
 * page cache is used. */
enum blk_cache {
	BLK_CACHE_WRITEBACK,    /* default: guest flushes make data durable */
	BLK_CACHE_WRITETHROUGH, /* every write durable before it completes */
	BLK_CACHE_NONE,         /* O_DIRECT, guest flushes honoured */
	BLK_CACHE_DIRECTSYNC,   /* O_DIRECT and write-through */
	BLK_CACHE_UNSAFE,       /* flushes ignored (data lost on a host crash) */
};

struct blk_opts {
	bool readonly;
	enum blk_cache cache;
	bool snapshot;          /* writes go to a temporary overlay, dropped at exit */
	unsigned threads;       /* worker threads (0: default) */
};

enum blk_op { BLK_READ, BLK_WRITE, BLK_FLUSH, BLK_DISCARD, BLK_WRITE_ZEROES };

struct blk_req {
	enum blk_op op;
	uint64_t offset, len;   /* bytes; for READ/WRITE len is the iovecs' total */
	struct iovec *iov;
	unsigned iovcnt;
	bool fua;               /* WRITE: durable before it completes */
	/* Called once on a back-end thread with 0 or -errno. */
	void (*done)(struct blk_req *r, int result);
	void *opaque;
	/* The back end's. */
	struct blk_req *next;
	uint64_t seq;
};

struct blk;

/* Open and lock an image (a file or a host block device). On error, a
 * message naming the problem and the fix is in err and -errno returned. */
int blk_open(const char *path, const struct blk_opts *o, struct blk **out, char *err, size_t errlen);
uint64_t blk_size(const struct blk *b);
bool blk_readonly(const struct blk *b);
/* Whether the guest sees a volatile write cache (flushes needed). */
bool blk_write_cache(const struct blk *b);
/* Queue a request. Never blocks on I/O. */
void blk_submit(struct blk *b, struct blk_req *r);
/* Wait until every submitted request has completed. */
void blk_drain(struct blk *b);
/* Drain, make everything durable, stop the threads, unlock, close. */
void blk_close(struct blk *b);
/* Counters for --stats. */
struct blk_stats {
	uint64_t reads, writes, flushes, discards, bytes_read, bytes_written, errors;
};
void blk_get_stats(struct blk *b, struct blk_stats *s);

#endif
