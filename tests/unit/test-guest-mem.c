/* The guest-memory accessor for devices (src/hw/guest-mem.c): regions and
 * their refusals, ranges crossing from one region into the next (separate
 * host buffers, so a range treated as contiguous would land in the wrong
 * place), holes, ranges running past 2^64, len 0, read-only regions, the
 * dirty hook (exact ranges, after the copy, never for a failed or read
 * access, swapped atomically) and the iovec limit. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hw/guest-mem.h"

#define TOP (~0ull - 0x1fff) /* a region ending 4 KiB below 2^64 */

static uint8_t *ha, *hb, *hc, *hd;
static struct guest_mem m;

struct dirty_log {
	unsigned n;
	uint64_t gpa[8], len[8];
	bool saw_data; /* gmem_write's data was in place when the hook ran */
	uint8_t expect;
};

static void dirty_fn(void *opaque, uint64_t gpa, uint64_t len)
{
	struct dirty_log *l = opaque;
	if (l->n < 8) {
		l->gpa[l->n] = gpa;
		l->len[l->n] = len;
	}
	l->n++;
	uint8_t *p = gmem_ptr(&m, gpa, 1, false);
	l->saw_data = p && *p == l->expect;
}

static void setup(void)
{
	ha = calloc(1, 0x2000);
	hb = calloc(1, 0x1000);
	hc = calloc(1, 0x1000);
	hd = calloc(1, 0x1000);
	gmem_init(&m);
	EQ(gmem_add(&m, 0x3000, 0x1000, hb, false), 0); /* out of order on purpose */
	EQ(gmem_add(&m, 0x1000, 0x2000, ha, false), 0); /* A [0x1000,0x3000) then B [0x3000,0x4000) */
	EQ(gmem_add(&m, 0x5000, 0x1000, hc, true), 0);  /* hole [0x4000,0x5000), C read-only */
	EQ(gmem_add(&m, TOP, 0x1000, hd, false), 0);
	for (unsigned i = 0; i < 0x1000; i++)
		hc[i] = (uint8_t)(i * 3 + 1);
}

static void test_add(void)
{
	check_ctx = "add";
	struct guest_mem t;
	uint8_t buf[16];
	gmem_init(&t);
	EQ(gmem_add(&t, 0x1000, 0, buf, false), -EINVAL);
	EQ(gmem_add(&t, 0x1000, 0x10, NULL, false), -EINVAL);
	EQ(gmem_add(&t, ~0ull - 0xf, 0x20, buf, false), -EINVAL); /* wraps */
	EQ(gmem_add(&t, ~0ull - 0xf, 0x10, buf, false), -EINVAL); /* ends at 2^64: not representable */
	EQ(gmem_add(&t, 0x1000, 0x100, buf, false), 0);
	EQ(gmem_add(&t, 0x10ff, 0x10, buf, false), -EEXIST);
	EQ(gmem_add(&t, 0x0ff1, 0x10, buf, false), -EEXIST);
	EQ(gmem_add(&t, 0x0000, 0x10000, buf, false), -EEXIST);
	EQ(gmem_add(&t, 0x1100, 0x10, buf, false), 0); /* adjacent */
	for (unsigned i = 2; i < GMEM_MAX_REGIONS; i++)
		EQ(gmem_add(&t, 0x100000 * i, 0x10, buf, false), 0);
	EQ(gmem_add(&t, 0x100, 0x10, buf, false), -ENOSPC);
	for (unsigned i = 1; i < t.n; i++)
		CHECK(t.r[i - 1].gpa + t.r[i - 1].size <= t.r[i].gpa, "sorted, disjoint at %u", i);
}

static void test_ptr(void)
{
	check_ctx = "ptr";
	CHECK(gmem_ptr(&m, 0x1000, 0x2000, false) == ha, "all of A");
	CHECK(gmem_ptr(&m, 0x2ff0, 0x10, true) == ha + 0x1ff0, "A's end");
	CHECK(!gmem_ptr(&m, 0x2ff0, 0x11, false), "across A and B: not one host range");
	CHECK(gmem_ptr(&m, 0x3000, 1, false) == hb, "B");
	CHECK(!gmem_ptr(&m, 0x3fff, 2, false), "B into the hole");
	CHECK(!gmem_ptr(&m, 0x4000, 1, false), "the hole");
	CHECK(!gmem_ptr(&m, 0x0fff, 2, false), "below A");
	CHECK(!gmem_ptr(&m, 0x1000, 0, false), "len 0");
	CHECK(gmem_ptr(&m, 0x5000, 0x1000, false) == hc, "read-only, for reading");
	CHECK(!gmem_ptr(&m, 0x5000, 1, true), "read-only, for writing");
	CHECK(!gmem_ptr(&m, 0x1000, ~0ull, false), "huge len");
	CHECK(!gmem_ptr(&m, TOP + 0x10, ~0ull - 0xf, false), "past 2^64");
	CHECK(gmem_ptr(&m, TOP + 0xfff, 1, true) == hd + 0xfff, "the top region's last byte");
	CHECK(!gmem_ptr(&m, ~0ull, 1, false), "the last address");
}

static void test_copy(void)
{
	check_ctx = "copy";
	uint8_t src[0x40], dst[0x40];
	for (unsigned i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(0x80 + i);
	/* across A and B */
	EQ(gmem_write(&m, 0x2fe0, src, sizeof(src)), 0);
	CHECK(!memcmp(ha + 0x1fe0, src, 0x20) && !memcmp(hb, src + 0x20, 0x20), "split write");
	memset(dst, 0, sizeof(dst));
	EQ(gmem_read(&m, 0x2fe0, dst, sizeof(dst)), 0);
	CHECK(!memcmp(dst, src, sizeof(dst)), "split read");
	/* into the hole: nothing copied at all */
	memset(hb + 0xfe0, 0x11, 0x20);
	EQ(gmem_write(&m, 0x3fe0, src, sizeof(src)), -EFAULT);
	CHECK(hb[0xfe0] == 0x11 && hb[0xfff] == 0x11, "a refused write touches nothing");
	memset(dst, 0x22, sizeof(dst));
	EQ(gmem_read(&m, 0x3fe0, dst, sizeof(dst)), -EFAULT);
	CHECK(dst[0] == 0x22 && dst[0x3f] == 0x22, "a refused read copies nothing");
	/* A, B, hole? no: B's end to C across the hole */
	EQ(gmem_read(&m, 0x3ff0, dst, 0x2000), -EFAULT);
	/* read-only */
	EQ(gmem_read(&m, 0x5000, dst, 4), 0);
	CHECK(dst[0] == 1 && dst[1] == 4, "read C");
	EQ(gmem_write(&m, 0x5000, src, 4), -EFAULT);
	CHECK(hc[0] == 1, "C unchanged");
	/* past 2^64 and around it */
	EQ(gmem_read(&m, ~0ull - 0xf, dst, 0x20), -EFAULT);
	EQ(gmem_write(&m, TOP + 0xff0, src, 0x20), -EFAULT); /* into unbacked top */
	EQ(gmem_write(&m, TOP + 0xff0, src, 0x10), 0);
	CHECK(!memcmp(hd + 0xff0, src, 0x10), "top region");
	/* len 0: nothing to do, succeeds anywhere */
	EQ(gmem_read(&m, 0x4000, dst, 0), 0);
	EQ(gmem_write(&m, ~0ull, src, 0), 0);
	CHECK(gmem_valid(&m, 0x4000, 0, true), "empty range");
	/* valid */
	CHECK(gmem_valid(&m, 0x1000, 0x3000, true), "A+B");
	CHECK(!gmem_valid(&m, 0x1000, 0x3001, false), "A+B+hole");
	CHECK(gmem_valid(&m, 0x5000, 0x1000, false) && !gmem_valid(&m, 0x5000, 0x1000, true), "C");
	CHECK(!gmem_valid(&m, 0x2000, ~0ull, false), "wraps");
}

static void test_iov(void)
{
	check_ctx = "iov";
	struct iovec iov[4];
	EQ(gmem_iov(&m, 0x2f00, 0x200, false, iov, 4), 2);
	CHECK(iov[0].iov_base == ha + 0x1f00 && iov[0].iov_len == 0x100, "first piece");
	CHECK(iov[1].iov_base == hb && iov[1].iov_len == 0x100, "second piece");
	EQ(gmem_iov(&m, 0x2f00, 0x200, false, iov, 1), -E2BIG);
	EQ(gmem_iov(&m, 0x2f00, 0x100, false, iov, 1), 1);
	EQ(gmem_iov(&m, 0x1000, 0x10, false, iov, 0), -E2BIG);
	EQ(gmem_iov(&m, 0x1000, 0, false, iov, 0), 0);
	EQ(gmem_iov(&m, 0x3f00, 0x200, false, iov, 4), -EFAULT);
	EQ(gmem_iov(&m, 0x5000, 0x10, true, iov, 4), -EFAULT);
	EQ(gmem_iov(&m, 0x5000, 0x10, false, iov, 4), 1);
	EQ(gmem_iov(&m, ~0ull - 0xf, 0x20, false, iov, 4), -EFAULT);
}

static void test_dirty(void)
{
	check_ctx = "dirty";
	struct dirty_log l = { 0 }, other = { 0 };
	struct gmem_dirty_hook h = { dirty_fn, &l }, h2 = { dirty_fn, &other };
	uint8_t buf[0x20];
	struct iovec iov[2];
	gmem_set_dirty_hook(&m, &h);
	memset(buf, 0x5c, sizeof(buf));
	l.expect = 0x5c;
	EQ(gmem_write(&m, 0x2ff0, buf, sizeof(buf)), 0);
	CHECK(l.n == 1 && l.gpa[0] == 0x2ff0 && l.len[0] == 0x20, "one range, the whole write: n=%u", l.n);
	CHECK(l.saw_data, "reported after the copy");
	EQ(gmem_read(&m, 0x2ff0, buf, sizeof(buf)), 0);
	EQ(gmem_write(&m, 0x3ff0, buf, sizeof(buf)), -EFAULT);
	EQ(gmem_write(&m, 0x5000, buf, 1), -EFAULT);
	EQ(gmem_write(&m, 0x1000, buf, 0), 0);
	CHECK(gmem_ptr(&m, 0x1000, 8, false) != NULL, "read ptr");
	EQ(gmem_iov(&m, 0x1000, 8, false, iov, 2), 1);
	EQ(l.n, 1); /* reads, refusals and empty writes report nothing */
	CHECK(gmem_ptr(&m, 0x1100, 8, true) != NULL, "write ptr");
	CHECK(l.n == 2 && l.gpa[1] == 0x1100 && l.len[1] == 8, "a write pointer is reported");
	EQ(gmem_iov(&m, 0x2ff8, 0x10, true, iov, 2), 2);
	CHECK(l.n == 3 && l.gpa[2] == 0x2ff8 && l.len[2] == 0x10, "write iovecs, one range");
	EQ(gmem_iov(&m, 0x2ff8, 0x10, true, iov, 1), -E2BIG);
	EQ(l.n, 3);
	gmem_mark_dirty(&m, 0x1200, 0);
	EQ(l.n, 3);
	gmem_mark_dirty(&m, 0x1200, 4);
	CHECK(l.n == 4 && l.gpa[3] == 0x1200 && l.len[3] == 4, "mark_dirty");
	/* swapping the hook: the new one gets its own argument */
	gmem_set_dirty_hook(&m, &h2);
	other.expect = 0x5c;
	EQ(gmem_write(&m, 0x1000, buf, 1), 0);
	CHECK(l.n == 4 && other.n == 1, "the new hook only");
	gmem_set_dirty_hook(&m, NULL);
	EQ(gmem_write(&m, 0x1000, buf, 1), 0);
	CHECK(l.n == 4 && other.n == 1, "no hook");
}

int main(void)
{
	test_add();
	setup();
	test_ptr();
	test_copy();
	test_iov();
	test_dirty();
	free(ha);
	free(hb);
	free(hc);
	free(hd);
	return check_summary();
}
