/* The host layer: everything that differs between Linux and macOS hosts, in
 * one place, so the rest of avmm calls no OS-specific function directly.
 * Every function here builds on both; docs/hvf.md lists what only a Mac can
 * confirm. */
#ifndef AVMM_HOST_HOST_H
#define AVMM_HOST_HOST_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Cryptographically random bytes (getentropy on both hosts, in the 256-byte
 * pieces it allows). 0, or -errno. */
int host_random(void *buf, size_t len);

/* The monotonic clock in nanoseconds. */
uint64_t host_now_ns(void);

/* A condition variable whose timed waits are on the monotonic clock.
 * Linux: CLOCK_MONOTONIC condattr; macOS (which has no such attribute and
 * reads absolute deadlines as wall-clock time): relative waits. */
int host_cond_init(pthread_cond_t *c);
/* Wait until signalled or the monotonic deadline (host_now_ns() units).
 * Returns 0 when woken (possibly spuriously), ETIMEDOUT at the deadline. */
int host_cond_wait_until(pthread_cond_t *c, pthread_mutex_t *m, uint64_t deadline_ns);

/* The calling thread's timer slack: as small as the host allows, so timed
 * waits wake on time (Linux PR_SET_TIMERSLACK; nothing on macOS). */
void host_thread_timer_slack_min(void);
/* Name the calling thread (for debuggers and top; truncated as the host needs). */
void host_thread_name(const char *name);
/* The calling thread's id as the host's tools show it (Linux gettid,
 * macOS pthread_threadid_np), truncated to int; QMP's thread-id. */
int host_thread_id(void);

/* Which pages of [addr, addr+len) are resident: vec gets one byte a page,
 * bit 0 set if resident (mincore; macOS takes char *). 0, or -errno. */
int host_mincore(void *addr, size_t len, unsigned char *vec);

/* Make a file's written data durable on the medium: fdatasync on Linux,
 * fcntl(F_FULLFSYNC) on macOS (plain fsync there does not reach the
 * medium). 0, or -errno. */
int host_sync_data(int fd);

/* Take an advisory lock on an open file, shared (readers) or exclusive (a
 * writer), without waiting: open-file-description locks on Linux (they
 * follow the fd, not the process, and are not dropped by closing another fd
 * of the same file), flock on macOS. 0, -EAGAIN when another holder
 * conflicts, or -errno. */
int host_lock_file(int fd, bool exclusive);

/* Deallocate [off, off+len) so it reads as zeros (a file: punch a hole;
 * a Linux block device: BLKDISCARD). 0, or -errno (-ENOTSUP where the
 * host or file system cannot). */
int host_punch_hole(int fd, bool blockdev, uint64_t off, uint64_t len);
/* The size in bytes of an open block device. 0, or -1 with errno. */
int host_blockdev_size(int fd, uint64_t *size);
/* Memory the host could back guest RAM with: physical memory plus swap on
 * Linux (what its default overcommit heuristic allows one allocation),
 * physical memory on macOS. 0 if unknown. */
uint64_t host_memory_total(void);

#endif
