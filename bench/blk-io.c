/* Guest side of bench/blk.sh (a static arm64 Linux program): O_DIRECT
 * sequential or random reads or writes on a block device, timed with the
 * guest's monotonic clock. Random offsets come from a fixed-seed xorshift
 * over the first SPAN bytes, so avmm and QEMU do the same requests.
 *   blk-io DEV seqread|seqwrite|randread|randwrite BS COUNT SPAN
 * prints: RESULT mode bs ops bytes seconds */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: blk-io DEV seqread|seqwrite|randread|randwrite BS COUNT SPAN\n");
		return 2;
	}
	const char *mode = argv[2];
	size_t bs = strtoull(argv[3], NULL, 0);
	uint64_t count = strtoull(argv[4], NULL, 0), span = strtoull(argv[5], NULL, 0);
	int wr = strstr(mode, "write") != NULL, rnd = !strncmp(mode, "rand", 4);
	if (!bs || bs % 4096 || span < bs) {
		fprintf(stderr, "blk-io: BS must be a multiple of 4096 and at most SPAN\n");
		return 2;
	}
	int fd = open(argv[1], (wr ? O_WRONLY : O_RDONLY) | O_DIRECT);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	void *buf;
	if (posix_memalign(&buf, 4096, bs))
		return 1;
	memset(buf, 0x5a, bs);
	uint64_t x = 0x9e3779b97f4a7c15ull, blocks = span / bs;
	double t0 = now();
	for (uint64_t i = 0; i < count; i++) {
		uint64_t b = i % blocks;
		if (rnd) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			b = x % blocks;
		}
		ssize_t n = wr ? pwrite(fd, buf, bs, (off_t)(b * bs)) : pread(fd, buf, bs, (off_t)(b * bs));
		if (n != (ssize_t)bs) {
			perror("blk-io: transfer");
			return 1;
		}
	}
	if (wr && fdatasync(fd)) {
		perror("blk-io: fdatasync");
		return 1;
	}
	double t = now() - t0;
	printf("RESULT %s %zu %llu %llu %.6f\n", mode, bs, (unsigned long long)count, (unsigned long long)(count * bs), t);
	return 0;
}
