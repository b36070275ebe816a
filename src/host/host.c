#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/sysinfo.h>
#include <sys/syscall.h>
#endif
#ifdef __APPLE__
#include <sys/disk.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#endif

#include "host/host.h"

int host_random(void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len) {
		size_t n = len < 256 ? len : 256; /* getentropy's limit */
		if (getentropy(p, n))
			return -errno;
		p += n;
		len -= n;
	}
	return 0;
}

uint64_t host_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int host_cond_init(pthread_cond_t *c)
{
#ifdef __APPLE__
	return -pthread_cond_init(c, NULL);
#else
	pthread_condattr_t ca;
	int r = pthread_condattr_init(&ca);
	if (!r)
		r = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (!r)
		r = pthread_cond_init(c, &ca);
	pthread_condattr_destroy(&ca);
	return -r;
#endif
}

int host_cond_wait_until(pthread_cond_t *c, pthread_mutex_t *m, uint64_t deadline_ns)
{
#ifdef __APPLE__
	uint64_t now = host_now_ns();
	if (now >= deadline_ns)
		return ETIMEDOUT;
	uint64_t rel = deadline_ns - now;
	struct timespec ts = { (time_t)(rel / 1000000000u), (long)(rel % 1000000000u) };
	int r = pthread_cond_timedwait_relative_np(c, m, &ts);
	/* A relative wait that timed out early (or late) is judged by the clock. */
	if (r == ETIMEDOUT && host_now_ns() < deadline_ns)
		return 0;
	return r;
#else
	struct timespec ts = { (time_t)(deadline_ns / 1000000000u), (long)(deadline_ns % 1000000000u) };
	return pthread_cond_timedwait(c, m, &ts);
#endif
}

void host_thread_timer_slack_min(void)
{
#ifdef __linux__
	prctl(PR_SET_TIMERSLACK, 1UL);
#endif
}

void host_thread_name(const char *name)
{
#ifdef __APPLE__
	pthread_setname_np(name);
#else
	char b[16];
	strncpy(b, name, sizeof(b) - 1);
	b[sizeof(b) - 1] = 0;
	pthread_setname_np(pthread_self(), b);
#endif
}

int host_thread_id(void)
{
#ifdef __APPLE__
	uint64_t id = 0;
	pthread_threadid_np(NULL, &id);
	return (int)id;
#else
	return (int)syscall(SYS_gettid);
#endif
}

int host_mincore(void *addr, size_t len, unsigned char *vec)
{
#ifdef __APPLE__
	return mincore(addr, len, (char *)vec) ? -errno : 0;
#else
	return mincore(addr, len, vec) ? -errno : 0;
#endif
}

int host_sync_data(int fd)
{
#ifdef __APPLE__
	if (fcntl(fd, F_FULLFSYNC) == 0)
		return 0;
	/* Some file systems (network, FUSE) refuse F_FULLFSYNC: fsync is the best they offer. */
	return fsync(fd) ? -errno : 0;
#else
	for (;;) {
		if (fdatasync(fd) == 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
#endif
}

int host_lock_file(int fd, bool exclusive)
{
#if defined(__linux__) && defined(F_OFD_SETLK)
	struct flock fl = { .l_type = exclusive ? F_WRLCK : F_RDLCK, .l_whence = SEEK_SET };
	if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
		return 0;
	return errno == EACCES ? -EAGAIN : -errno;
#else
	if (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0)
		return 0;
	return errno == EWOULDBLOCK ? -EAGAIN : -errno;
#endif
}

int host_punch_hole(int fd, bool blockdev, uint64_t off, uint64_t len)
{
#ifdef __linux__
	if (blockdev) {
		uint64_t range[2] = { off, len };
		return ioctl(fd, BLKDISCARD, range) ? -errno : 0;
	}
	return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) ? -errno : 0;
#elif defined(__APPLE__) && defined(F_PUNCHHOLE)
	if (blockdev)
		return -ENOTSUP;
	struct fpunchhole ph = { .fp_flags = 0, .fp_offset = (off_t)off, .fp_length = (off_t)len };
	return fcntl(fd, F_PUNCHHOLE, &ph) ? -errno : 0;
#else
	(void)fd, (void)blockdev, (void)off, (void)len;
	return -ENOTSUP;
#endif
}

int host_blockdev_size(int fd, uint64_t *size)
{
#ifdef __linux__
	return ioctl(fd, BLKGETSIZE64, size);
#elif defined(__APPLE__)
	uint32_t bs;
	uint64_t n;
	if (ioctl(fd, DKIOCGETBLOCKSIZE, &bs) || ioctl(fd, DKIOCGETBLOCKCOUNT, &n))
		return -1;
	*size = (uint64_t)bs * n;
	return 0;
#else
	(void)fd, (void)size;
	errno = ENOTSUP;
	return -1;
#endif
}

uint64_t host_memory_total(void)
{
#ifdef __linux__
	struct sysinfo si;
	if (sysinfo(&si) == 0)
		return ((uint64_t)si.totalram + si.totalswap) * (si.mem_unit ? si.mem_unit : 1);
#endif
	/* macOS: physical memory only (its swap grows on demand, with no total). */
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	return pages > 0 && psz > 0 ? (uint64_t)pages * (uint64_t)psz : 0;
}
