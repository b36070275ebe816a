/* libFuzzer target for the guest-memory accessor (src/hw/guest-mem.c)
 * against a shadow model. Regions are placed from the input in two 64 KiB
 * windows of the guest-physical space, one at 0 and one ending at 2^64
 * (so ranges run into the top and wrap), each with its own host buffer,
 * some read-only; the model keeps one byte and one "backed / writable"
 * flag per address of both windows. Then random operations (read, write,
 * ptr, iov, valid, mark_dirty) at random addresses and lengths, with the
 * device writing through the pointers and iovecs it got.
 *
 * Checked byte by byte against the model: gmem_add's result; every
 * operation's success or refusal (refused iff some byte is unbacked, or
 * read-only for a write, or the range wraps; ptr also iff not one region;
 * iov also iff more pieces than given); that a refused operation changes
 * nothing; the data read; the host pointers (the region's buffer at the
 * right offset, pieces in order and contiguous in guest space); the dirty
 * hook called exactly once, with the exact range, for each successful
 * non-empty write and for nothing else. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/guest-mem.h"

#define CHECK(c)                                                                                      \
	do {                                                                                          \
		if (!(c)) {                                                                           \
			fprintf(stderr, "fuzz-guest-mem: contract broken: %s (line %d)\n", #c, __LINE__); \
			abort();                                                                      \
		}                                                                                     \
	} while (0)

#define WIN 0x10000ull
#define TOPW (0ull - WIN) /* the top window's first address */
#define MAX_OPS 400

struct model {
	uint8_t data[2][WIN];
	int8_t reg[2][WIN]; /* region index, -1: unbacked */
};

struct fz {
	const uint8_t *d;
	size_t n;
	struct guest_mem m;
	struct model *md;
	struct { uint64_t gpa, size; uint8_t *host; bool ro; } r[GMEM_MAX_REGIONS];
	unsigned nr;
	/* dirty hook calls */
	unsigned dirty_n;
	uint64_t dirty_gpa, dirty_len;
};

static void take(struct fz *f, void *out, size_t want)
{
	size_t k = f->n < want ? f->n : want;
	memset(out, 0, want);
	memcpy(out, f->d, k);
	f->d += k;
	f->n -= k;
}
static uint8_t u8(struct fz *f) { uint8_t v; take(f, &v, 1); return v; }
static uint16_t u16(struct fz *f) { uint16_t v; take(f, &v, 2); return v; }
static uint64_t u64(struct fz *f) { uint64_t v; take(f, &v, 8); return v; }

static void dirty(void *opaque, uint64_t gpa, uint64_t len)
{
	struct fz *f = opaque;
	f->dirty_n++;
	f->dirty_gpa = gpa;
	f->dirty_len = len;
}

/* The model's slot for address a, or false outside both windows. */
static bool slot(uint64_t a, unsigned *w, unsigned *off)
{
	if (a < WIN) {
		*w = 0;
		*off = (unsigned)a;
		return true;
	}
	if (a >= TOPW) {
		*w = 1;
		*off = (unsigned)(a - TOPW);
		return true;
	}
	return false;
}

static int reg_at(struct fz *f, uint64_t a)
{
	unsigned w, o;
	return slot(a, &w, &o) ? f->md->reg[w][o] : -1;
}

/* Is every byte of [gpa, gpa+len) backed (and writable)? Pieces: how
 * many regions the range passes through. */
static bool model_ok(struct fz *f, uint64_t gpa, uint64_t len, bool write, unsigned *pieces)
{
	*pieces = 0;
	if (gpa + len < gpa)
		return false;
	if (len > WIN)
		return false; /* longer than a window: some byte is outside */
	int prev = -1;
	for (uint64_t i = 0; i < len; i++) {
		int r = reg_at(f, gpa + i);
		if (r < 0 || (write && f->r[r].ro))
			return false;
		if (r != prev)
			++*pieces;
		prev = r;
	}
	return true;
}

static uint8_t *host_of(struct fz *f, uint64_t a)
{
	int r = reg_at(f, a);
	return r < 0 ? NULL : f->r[r].host + (a - f->r[r].gpa);
}

/* Every backed byte of the range holds what the model says (region by
 * region: a region lies in one window, so its model bytes are contiguous). */
static void compare(struct fz *f, uint64_t gpa, uint64_t len)
{
	uint64_t end = gpa + len < gpa ? ~0ull : gpa + len;
	for (unsigned i = 0; i < f->nr; i++) {
		uint64_t lo = f->r[i].gpa > gpa ? f->r[i].gpa : gpa;
		uint64_t hi = f->r[i].gpa + f->r[i].size < end ? f->r[i].gpa + f->r[i].size : end;
		if (lo >= hi)
			continue;
		unsigned w, o;
		CHECK(slot(lo, &w, &o));
		CHECK(!memcmp(f->r[i].host + (lo - f->r[i].gpa), &f->md->data[w][o], hi - lo));
	}
}

static void model_store(struct fz *f, uint64_t a, uint8_t v)
{
	unsigned w, o;
	CHECK(slot(a, &w, &o));
	f->md->data[w][o] = v;
}

static uint64_t pick_gpa(struct fz *f)
{
	uint8_t k = u8(f);
	uint16_t v = u16(f);
	switch (k & 3) {
	case 0: return v;                             /* low window */
	case 1: return TOPW + v;                      /* top window */
	case 2: return f->nr ? f->r[((k >> 2) & 7) % f->nr].gpa + (v & 0x3ff) - 0x200 : v; /* near a region */
	default: return u64(f);                       /* anywhere */
	}
}

static uint64_t pick_len(struct fz *f)
{
	uint8_t k = u8(f);
	uint16_t v = u16(f);
	switch (k & 7) {
	case 0: return 0;
	case 1: return 1 + (v & 7);
	case 2: return v & 0xfff;
	case 3: return v;
	case 4: return WIN + v; /* longer than a window */
	case 5: return ~0ull - v; /* wraps */
	default: return 1 + (v & 0x3f);
	}
}

static void setup(struct fz *f)
{
	unsigned n = u8(f) % 12;
	for (unsigned i = 0; i < n; i++) {
		uint8_t k = u8(f);
		uint16_t off = u16(f), sz = u16(f);
		uint64_t gpa = (k & 1) ? TOPW + off : off, size = (k & 2) ? sz & 0xff : (uint64_t)sz % 0x5000;
		bool ro = k & 4;
		if (!(k & 1) && gpa + size > WIN)
			size = WIN - gpa; /* the low window's regions stay inside it */
		/* the model's answer */
		int want = 0;
		if (!size || gpa + size < gpa || gpa + size == 0)
			want = -EINVAL;
		else if (f->nr == GMEM_MAX_REGIONS)
			want = -ENOSPC;
		else
			for (unsigned j = 0; j < f->nr; j++)
				if (gpa < f->r[j].gpa + f->r[j].size && f->r[j].gpa < gpa + size)
					want = -EEXIST;
		uint8_t *host = size ? malloc(size) : NULL;
		uint8_t dummy;
		int got = gmem_add(&f->m, gpa, size, host ? host : &dummy, ro);
		CHECK(got == want || (want == -ENOSPC && got == -EEXIST) || (want == -EEXIST && got == -ENOSPC));
		if (got) {
			free(host);
			continue;
		}
		unsigned idx = f->nr++;
		f->r[idx].gpa = gpa;
		f->r[idx].size = size;
		f->r[idx].host = host;
		f->r[idx].ro = ro;
		for (uint64_t a = 0; a < size; a++) {
			unsigned w, o;
			CHECK(slot(gpa + a, &w, &o));
			f->md->reg[w][o] = (int8_t)idx;
			host[a] = (uint8_t)(gpa + a) ^ 0x5a;
			f->md->data[w][o] = host[a];
		}
	}
}

static void expect_dirty(struct fz *f, unsigned n0, bool called, uint64_t gpa, uint64_t len)
{
	if (!called) {
		CHECK(f->dirty_n == n0);
		return;
	}
	CHECK(f->dirty_n == n0 + 1 && f->dirty_gpa == gpa && f->dirty_len == len);
}

static void op(struct fz *f, uint8_t code)
{
	uint64_t gpa = pick_gpa(f), len = pick_len(f);
	unsigned pieces, n0 = f->dirty_n;
	bool write = code & 0x10;
	bool ok = model_ok(f, gpa, len, write, &pieces);
	static uint8_t buf[WIN];
	switch (code % 6) {
	case 0: { /* read */
		if (len > WIN)
			len = WIN; /* the buffer's size: still refused unless backed */
		ok = model_ok(f, gpa, len, false, &pieces);
		memset(buf, 0xee, len);
		int r = gmem_read(&f->m, gpa, buf, len);
		CHECK(r == (ok ? 0 : -EFAULT));
		for (uint64_t i = 0; i < len; i++) {
			unsigned w, o;
			if (ok) {
				CHECK(slot(gpa + i, &w, &o));
				CHECK(buf[i] == f->md->data[w][o]);
			} else {
				CHECK(buf[i] == 0xee); /* nothing copied */
			}
		}
		expect_dirty(f, n0, false, 0, 0);
		break;
	}
	case 1: { /* write */
		if (len > WIN)
			len = WIN;
		ok = model_ok(f, gpa, len, true, &pieces);
		uint8_t seed = u8(f);
		for (uint64_t i = 0; i < len; i++)
			buf[i] = (uint8_t)(seed + i * 13);
		int r = gmem_write(&f->m, gpa, buf, len);
		CHECK(r == (ok ? 0 : -EFAULT));
		if (ok)
			for (uint64_t i = 0; i < len; i++)
				model_store(f, gpa + i, buf[i]);
		compare(f, gpa, len); /* a refused write changed nothing */
		expect_dirty(f, n0, ok && len, gpa, len);
		break;
	}
	case 2: { /* ptr */
		uint8_t *p = gmem_ptr(&f->m, gpa, len, write);
		bool want = ok && len && pieces == 1;
		CHECK((p != NULL) == want);
		if (p) {
			CHECK(p == host_of(f, gpa));
			if (write) { /* the device writes through it */
				uint8_t v = u8(f);
				for (uint64_t i = 0; i < len; i++) {
					p[i] = (uint8_t)(v ^ i);
					model_store(f, gpa + i, p[i]);
				}
			}
		}
		expect_dirty(f, n0, want && write, gpa, len);
		break;
	}
	case 3: { /* iov */
		struct iovec iov[GMEM_MAX_REGIONS + 1];
		unsigned max = u8(f) % (GMEM_MAX_REGIONS + 2);
		int r = gmem_iov(&f->m, gpa, len, write, iov, max);
		int want = !ok ? -EFAULT : pieces > max ? -E2BIG : (int)pieces;
		CHECK(r == want);
		if (r > 0) {
			uint64_t a = gpa;
			uint8_t v = u8(f);
			for (int i = 0; i < r; i++) {
				CHECK(iov[i].iov_base == host_of(f, a) && iov[i].iov_len > 0);
				int reg = reg_at(f, a);
				if (i + 1 < r) /* a piece ends at its region's end */
					CHECK(a + iov[i].iov_len == f->r[reg].gpa + f->r[reg].size);
				if (write)
					for (size_t j = 0; j < iov[i].iov_len; j++) {
						((uint8_t *)iov[i].iov_base)[j] = (uint8_t)(v + j);
						model_store(f, a + j, (uint8_t)(v + j));
					}
				a += iov[i].iov_len;
			}
			CHECK(a == gpa + len);
		}
		expect_dirty(f, n0, r >= 0 && write && len, gpa, len);
		break;
	}
	case 4: /* valid */
		CHECK(gmem_valid(&f->m, gpa, len, write) == ok);
		expect_dirty(f, n0, false, 0, 0);
		break;
	default: /* mark_dirty, and a look at the range */
		gmem_mark_dirty(&f->m, gpa, len);
		expect_dirty(f, n0, len != 0, gpa, len);
		compare(f, gpa, len);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz *f = calloc(1, sizeof(*f));
	if (!f)
		return 0;
	f->md = malloc(sizeof(*f->md));
	if (!f->md) {
		free(f);
		return 0;
	}
	memset(f->md->reg, -1, sizeof(f->md->reg));
	f->d = data;
	f->n = size;
	gmem_init(&f->m);
	struct gmem_dirty_hook hook = { dirty, f };
	setup(f);
	gmem_set_dirty_hook(&f->m, &hook);
	for (unsigned i = 0; i < MAX_OPS && f->n; i++)
		op(f, u8(f));
	compare(f, 0, WIN);
	compare(f, TOPW, WIN);
	for (unsigned i = 0; i < f->nr; i++)
		free(f->r[i].host);
	free(f->md);
	free(f);
	return 0;
}
