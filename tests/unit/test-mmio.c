/* The MMIO bus (src/hw/mmio.c): registration and overlap refusal, the
 * width policy, unregister and move, the bus-taken device lock, and what
 * the lock-free dispatch promises under concurrency:
 *  - a slow device does not stall an access to another device (the old
 *    global bus lock made the second access wait: this test then failed
 *    with "an access to B waited for A's callback");
 *  - N reader threads hammer the bus while a writer moves, registers and
 *    unregisters regions: every access to a stable region hits it with its
 *    value, an access to a moving region reaches that region or nothing,
 *    and no callback runs on a device after its unregister returned (the
 *    device is poisoned then freed: ASan sees any late call).
 * Run also in the ASan and TSan builds. Ends with a microbenchmark (ns per
 * dispatched access; printed, not judged). */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "hw/mmio.h"

/* ---- a device that records its last access ---- */

struct rec {
	unsigned calls;
	uint64_t off, val;
	unsigned size;
	bool write;
	uint64_t reply;
};

static uint64_t rec_read(void *o, uint64_t off, unsigned size)
{
	struct rec *r = o;
	r->calls++;
	r->off = off;
	r->size = size;
	r->write = false;
	return r->reply;
}

static void rec_write(void *o, uint64_t off, unsigned size, uint64_t val)
{
	struct rec *r = o;
	r->calls++;
	r->off = off;
	r->size = size;
	r->val = val;
	r->write = true;
}

static const struct mmio_ops rec32 = { rec_read, rec_write, MMIO_W32 };
static const struct mmio_ops rec_all = { rec_read, rec_write, MMIO_W8 | MMIO_W16 | MMIO_W32 | MMIO_W64 };

static void test_register(void)
{
	check_ctx = "register";
	struct mmio_bus bus;
	struct rec a = { 0 }, b = { 0 };
	mmio_bus_init(&bus);
	EQ(mmio_bus_register(&bus, 0x1000, 0x1000, &rec32, &a, "a"), 0);
	EQ(mmio_bus_register(&bus, 0x1800, 0x10, &rec32, &b, "b"), -EEXIST);  /* inside */
	EQ(mmio_bus_register(&bus, 0x0800, 0x1000, &rec32, &b, "b"), -EEXIST); /* over the start */
	EQ(mmio_bus_register(&bus, 0x1fff, 0x10, &rec32, &b, "b"), -EEXIST);   /* over the end */
	EQ(mmio_bus_register(&bus, 0x0000, 0x10000, &rec32, &b, "b"), -EEXIST); /* around */
	EQ(mmio_bus_register(&bus, 0x3000, 0, &rec32, &b, "b"), -EINVAL);
	EQ(mmio_bus_register(&bus, ~0ull - 0xf, 0x20, &rec32, &b, "b"), -EINVAL); /* wraps */
	EQ(mmio_bus_register(&bus, 0x3000, 0x10, NULL, &b, "b"), -EINVAL);
	EQ(mmio_bus_register(&bus, 0x2000, 0x1000, &rec32, &b, "b"), 0);       /* adjacent: fine */
	EQ(mmio_bus_register(&bus, 0x0ff0, 0x10, &rec32, &b, "c"), 0);         /* adjacent below */
	uint64_t v = 0, base = 0, size = 0;
	void *op = NULL;
	CHECK(mmio_bus_lookup(&bus, 0x2fff, &base, &size, &op) && base == 0x2000 && size == 0x1000 && op == &b,
	      "lookup");
	CHECK(!mmio_bus_present(&bus, 0x3000), "past the end");
	CHECK(mmio_bus_present(&bus, 0x1000) && mmio_bus_present(&bus, 0x0ff0), "present");
	a.reply = 0x11223344;
	CHECK(mmio_bus_read(&bus, 0x1010, 4, &v) && v == 0x11223344 && a.off == 0x10, "read a: 0x%llx",
	      (unsigned long long)v);
	CHECK(!mmio_bus_read(&bus, 0x5000, 4, &v) && v == 0, "miss");
	CHECK(!mmio_bus_write(&bus, 0x5000, 4, 1), "miss");
	EQ(bus.unassigned, 2);
	/* Full: MMIO_MAX_REGIONS in all. */
	struct mmio_bus full;
	mmio_bus_init(&full);
	int r = 0;
	unsigned n = 0;
	while (!(r = mmio_bus_register(&full, 0x100000 + 0x1000ull * n, 0x1000, &rec32, &a, "x")))
		n++;
	EQ(r, -ENOSPC);
	EQ(n, MMIO_MAX_REGIONS);
	for (unsigned i = 0; i < n; i += 37)
		CHECK(mmio_bus_present(&full, 0x100000 + 0x1000ull * i + 0x800), "region %u", i);
	mmio_bus_destroy(&full);
	mmio_bus_destroy(&bus);
}

static void test_widths(void)
{
	check_ctx = "widths";
	struct mmio_bus bus;
	struct rec a = { 0 }, b = { 0 };
	mmio_bus_init(&bus);
	EQ(mmio_bus_register(&bus, 0x1000, 0x100, &rec32, &a, "w32"), 0);
	EQ(mmio_bus_register(&bus, 0x2000, 0x100, &rec_all, &b, "all"), 0);
	uint64_t v;
	a.reply = ~0ull;
	/* Refused widths: handled (true), read as zero, the device not called. */
	static const unsigned bad[] = { 1, 2, 8, 3, 16, 0 };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 0x5a;
		CHECK(mmio_bus_read(&bus, 0x1000, bad[i], &v) && v == 0, "read of %u bytes", bad[i]);
		CHECK(mmio_bus_write(&bus, 0x1000, bad[i], 1), "write of %u bytes", bad[i]);
	}
	EQ(a.calls, 0);
	/* Across the region's end: refused, never split. */
	CHECK(mmio_bus_read(&bus, 0x10fe, 4, &v) && v == 0, "across the end");
	EQ(a.calls, 0);
	/* The width masks: a device returning more bits than the access has. */
	b.reply = 0x8877665544332211ull;
	CHECK(mmio_bus_read(&bus, 0x2000, 1, &v) && v == 0x11, "8-bit 0x%llx", (unsigned long long)v);
	CHECK(mmio_bus_read(&bus, 0x2000, 2, &v) && v == 0x2211, "16-bit");
	CHECK(mmio_bus_read(&bus, 0x2000, 4, &v) && v == 0x44332211, "32-bit");
	CHECK(mmio_bus_read(&bus, 0x2000, 8, &v) && v == 0x8877665544332211ull, "64-bit");
	CHECK(mmio_bus_write(&bus, 0x2003, 1, 0x1ff) && b.val == 0xff && b.size == 1 && b.off == 3, "8-bit write");
	CHECK(mmio_bus_write(&bus, 0x2004, 8, ~0ull) && b.val == ~0ull && b.size == 8, "64-bit write");
	EQ(b.calls, 6);
	mmio_bus_destroy(&bus);
}

static void test_update(void)
{
	check_ctx = "update";
	struct mmio_bus bus;
	struct rec a = { 0 }, b = { 0 };
	mmio_bus_init(&bus);
	EQ(mmio_bus_register(&bus, 0x10000, 0x1000, &rec32, &a, "a"), 0);
	EQ(mmio_bus_register(&bus, 0x20000, 0x1000, &rec32, &b, "b"), 0);
	uint64_t v;
	EQ(mmio_bus_move(&bus, 0x10001, 0x30000), -ENOENT); /* the exact base only */
	EQ(mmio_bus_move(&bus, 0x10000, 0x20800), -EEXIST);
	EQ(mmio_bus_move(&bus, 0x10000, 0x1f001), -EEXIST);
	EQ(mmio_bus_move(&bus, 0x10000, ~0ull - 0x100), -EINVAL);
	CHECK(mmio_bus_present(&bus, 0x10000), "a failed move changes nothing");
	EQ(mmio_bus_move(&bus, 0x10000, 0x10000), 0); /* onto itself */
	EQ(mmio_bus_move(&bus, 0x10000, 0x10800), 0); /* overlapping its own old place */
	CHECK(!mmio_bus_present(&bus, 0x10000) && mmio_bus_present(&bus, 0x117ff), "moved by half");
	EQ(mmio_bus_move(&bus, 0x10800, 0x30000), 0);
	a.reply = 7;
	CHECK(mmio_bus_read(&bus, 0x30010, 4, &v) && v == 7 && a.off == 0x10, "the new place, offsets from it");
	CHECK(!mmio_bus_read(&bus, 0x10010, 4, &v), "the old place misses");
	/* past b, keeping the table sorted */
	EQ(mmio_bus_move(&bus, 0x30000, 0x1000), 0);
	CHECK(mmio_bus_read(&bus, 0x1000, 4, &v) && a.off == 0, "below b");
	CHECK(mmio_bus_read(&bus, 0x20000, 4, &v) && b.calls == 1, "b still there");
	EQ(mmio_bus_unregister(&bus, 0x1004), -ENOENT);
	EQ(mmio_bus_unregister(&bus, 0x1000), 0);
	EQ(mmio_bus_unregister(&bus, 0x1000), -ENOENT);
	CHECK(!mmio_bus_present(&bus, 0x1000), "gone");
	EQ(mmio_bus_register(&bus, 0x1000, 0x1000, &rec32, &a, "a"), 0); /* and back */
	EQ(mmio_bus_unregister(&bus, 0x20000), 0);
	EQ(mmio_bus_unregister(&bus, 0x1000), 0);
	CHECK(!mmio_bus_read(&bus, 0x1000, 4, &v), "empty bus");
	/* Each change publishes one table and frees the one before. */
	uint64_t u = bus.updates;
	for (unsigned i = 0; i < 10000; i++)
		EQ(mmio_bus_register(&bus, 0x1000, 0x1000, &rec32, &a, "a") | mmio_bus_move(&bus, 0x1000, 0x5000) |
			   mmio_bus_unregister(&bus, 0x5000), 0);
	EQ(bus.updates - u, 30000);
	mmio_bus_destroy(&bus);
}

/* ---- the bus takes the device's lock ---- */

struct unlocked {
	pthread_mutex_t lock;
	uint64_t count; /* plain: only the bus's lock protects it */
};

static uint64_t ul_read(void *o, uint64_t off, unsigned size)
{
	(void)off, (void)size;
	return ((struct unlocked *)o)->count;
}

static void ul_write(void *o, uint64_t off, unsigned size, uint64_t val)
{
	(void)off, (void)size, (void)val;
	struct unlocked *u = o;
	uint64_t c = u->count;
	for (volatile int i = 0; i < 20; i++)
		; /* widen the window a missing lock would lose updates in */
	u->count = c + 1;
}

static const struct mmio_ops ul_ops = { ul_read, ul_write, MMIO_W32 };

struct ul_arg {
	struct mmio_bus *bus;
	unsigned n;
};

static void *ul_thread(void *p)
{
	struct ul_arg *a = p;
	for (unsigned i = 0; i < a->n; i++)
		mmio_bus_write(a->bus, 0x1000, 4, 1);
	return NULL;
}

static void test_device_lock(void)
{
	check_ctx = "device lock";
	struct mmio_bus bus;
	struct unlocked u = { .count = 0 };
	pthread_mutex_init(&u.lock, NULL);
	mmio_bus_init(&bus);
	EQ(mmio_bus_register_locked(&bus, 0x1000, 0x100, &ul_ops, &u, &u.lock, "unlocked"), 0);
	enum { T = 4, N = 20000 };
	pthread_t t[T];
	struct ul_arg a = { &bus, N };
	for (unsigned i = 0; i < T; i++)
		pthread_create(&t[i], NULL, ul_thread, &a);
	for (unsigned i = 0; i < T; i++)
		pthread_join(t[i], NULL);
	EQ(u.count, (uint64_t)T * N);
	mmio_bus_destroy(&bus);
	pthread_mutex_destroy(&u.lock);
}

/* ---- a slow device does not stall another ---- */

struct slow {
	pthread_mutex_t m;
	pthread_cond_t c;
	bool entered, other_done, timed_out;
};

static uint64_t slow_read(void *o, uint64_t off, unsigned size)
{
	(void)off, (void)size;
	struct slow *s = o;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 20; /* far beyond any scheduling delay: only a stall gets here */
	pthread_mutex_lock(&s->m);
	s->entered = true;
	pthread_cond_broadcast(&s->c);
	while (!s->other_done && !s->timed_out)
		if (pthread_cond_timedwait(&s->c, &s->m, &ts) == ETIMEDOUT)
			s->timed_out = true;
	pthread_mutex_unlock(&s->m);
	return 1;
}

static const struct mmio_ops slow_ops = { slow_read, rec_write, MMIO_W32 };

static void *slow_thread(void *p)
{
	uint64_t v;
	mmio_bus_read(p, 0x1000, 4, &v);
	return NULL;
}

static void test_slow_device(void)
{
	check_ctx = "slow device";
	struct mmio_bus bus;
	struct slow s = { .entered = false };
	struct rec b = { .reply = 2 };
	pthread_mutex_init(&s.m, NULL);
	pthread_cond_init(&s.c, NULL);
	mmio_bus_init(&bus);
	EQ(mmio_bus_register(&bus, 0x1000, 0x100, &slow_ops, &s, "slow"), 0);
	EQ(mmio_bus_register(&bus, 0x2000, 0x100, &rec32, &b, "other"), 0);
	pthread_t t;
	pthread_create(&t, NULL, slow_thread, &bus);
	pthread_mutex_lock(&s.m);
	while (!s.entered)
		pthread_cond_wait(&s.c, &s.m);
	pthread_mutex_unlock(&s.m);
	/* A is inside its callback, waiting for this access to B. */
	uint64_t v = 0;
	CHECK(mmio_bus_read(&bus, 0x2000, 4, &v) && v == 2, "access to B");
	pthread_mutex_lock(&s.m);
	s.other_done = true;
	bool stalled = s.timed_out;
	pthread_cond_broadcast(&s.c);
	pthread_mutex_unlock(&s.m);
	pthread_join(t, NULL);
	CHECK(!stalled, "an access to B waited for A's callback (a bus-wide lock)");
	mmio_bus_destroy(&bus);
	pthread_cond_destroy(&s.c);
	pthread_mutex_destroy(&s.m);
}

/* ---- readers against a writer ---- */

#define LIVE 0x4c495645u
#define DEAD 0xdeadu

struct tagdev {
	_Atomic unsigned magic;
	uint32_t tag;
	_Atomic uint64_t calls;
};

static uint64_t tag_read(void *o, uint64_t off, unsigned size)
{
	(void)off, (void)size;
	struct tagdev *d = o;
	unsigned m = atomic_load(&d->magic);
	for (volatile int i = 0; i < 50; i++)
		; /* stay inside a while: an unregister must wait for this */
	atomic_fetch_add(&d->calls, 1);
	return m == LIVE && atomic_load(&d->magic) == LIVE ? d->tag : 0xbad;
}

static void tag_write(void *o, uint64_t off, unsigned size, uint64_t val)
{
	(void)off, (void)size, (void)val;
	struct tagdev *d = o;
	atomic_fetch_add(&d->calls, 1);
}

static const struct mmio_ops tag_ops = { tag_read, tag_write, MMIO_W32 | MMIO_W64 };

enum { STABLE_A = 0x10000, STABLE_B = 0x90000, MOVE_1 = 0x40000, MOVE_2 = 0x60000, TEMP = 0x80000 };

struct stress {
	struct mmio_bus bus;
	struct tagdev a, b, mover;
	struct tagdev *_Atomic temp; /* the hot-plugged device, while registered */
	_Atomic bool stop;
	_Atomic unsigned bad, misses_stable, temp_bad;
	_Atomic uint64_t accesses;
	_Atomic uint64_t progress; /* accesses so far, all readers */
	_Atomic unsigned started;
};

static void *reader(void *p)
{
	struct stress *s = p;
	uint64_t n = 0;
	unsigned seed = (unsigned)(uintptr_t)&n;
	atomic_fetch_add(&s->started, 1);
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		uint64_t v = 0;
		seed = seed * 1103515245u + 12345u;
		switch (seed >> 16 & 3) {
		case 0:
			if (!mmio_bus_read(&s->bus, STABLE_A + 8, 4, &v))
				atomic_fetch_add(&s->misses_stable, 1);
			else if (v != 0xa)
				atomic_fetch_add(&s->bad, 1);
			break;
		case 1:
			if (!mmio_bus_read(&s->bus, STABLE_B, 8, &v))
				atomic_fetch_add(&s->misses_stable, 1);
			else if (v != 0xb)
				atomic_fetch_add(&s->bad, 1);
			break;
		case 2: /* wherever the mover is, if there */
			if (mmio_bus_read(&s->bus, (seed & 0x100000) ? MOVE_1 : MOVE_2, 4, &v) && v != 0xc)
				atomic_fetch_add(&s->bad, 1);
			break;
		default: /* the hot-plugged device: its tag or nothing */
			if (mmio_bus_read(&s->bus, TEMP + 4, 4, &v) && v != 0xd)
				atomic_fetch_add(&s->temp_bad, 1);
			break;
		}
		if (!(++n & 255))
			atomic_fetch_add_explicit(&s->progress, 256, memory_order_relaxed);
	}
	atomic_fetch_add(&s->accesses, n);
	return NULL;
}

static void test_stress(void)
{
	check_ctx = "readers and a writer";
	struct stress *s = calloc(1, sizeof(*s));
	mmio_bus_init(&s->bus);
	s->a = (struct tagdev){ .magic = LIVE, .tag = 0xa };
	s->b = (struct tagdev){ .magic = LIVE, .tag = 0xb };
	s->mover = (struct tagdev){ .magic = LIVE, .tag = 0xc };
	EQ(mmio_bus_register(&s->bus, STABLE_A, 0x1000, &tag_ops, &s->a, "a"), 0);
	EQ(mmio_bus_register(&s->bus, STABLE_B, 0x1000, &tag_ops, &s->b, "b"), 0);
	EQ(mmio_bus_register(&s->bus, MOVE_1, 0x1000, &tag_ops, &s->mover, "mover"), 0);
	enum { T = 4, ROUNDS = 3000 };
	pthread_t t[T];
	for (unsigned i = 0; i < T; i++)
		pthread_create(&t[i], NULL, reader, s);
	unsigned fails = 0, i;
	while (atomic_load(&s->started) < T)
		sched_yield();
	/* at least ROUNDS changes, and until the readers made 200000 accesses
	 * among them (on a loaded host they may get little time) */
	for (i = 0; i < ROUNDS || atomic_load(&s->progress) < 200000; i++) {
		/* a BAR moves back and forth */
		fails += mmio_bus_move(&s->bus, i & 1 ? MOVE_2 : MOVE_1, i & 1 ? MOVE_1 : MOVE_2) != 0;
		/* a device is hot-plugged, then unplugged and freed */
		struct tagdev *d = malloc(sizeof(*d));
		atomic_init(&d->magic, LIVE);
		d->tag = 0xd;
		atomic_init(&d->calls, 0);
		fails += mmio_bus_register(&s->bus, TEMP, 0x1000, &tag_ops, d, "temp") != 0;
		for (volatile int k = 0; k < 200; k++)
			;
		fails += mmio_bus_unregister(&s->bus, TEMP) != 0;
		atomic_store(&d->magic, DEAD); /* a call still running sees this: temp_bad */
		free(d);                       /* a later one is a use-after-free (ASan) */
	}
	atomic_store(&s->stop, true);
	for (unsigned k = 0; k < T; k++)
		pthread_join(t[k], NULL);
	EQ(fails, 0);
	EQ(s->misses_stable, 0);
	EQ(s->bad, 0);
	EQ(s->temp_bad, 0);
	CHECK(s->accesses > 0, "readers ran");
	printf("stress: %u readers, %llu accesses during %u moves and %u plug/unplug pairs\n", T,
	       (unsigned long long)s->accesses, i, i);
	mmio_bus_destroy(&s->bus);
	free(s);
}

/* ---- microbenchmark (printed, not judged) ---- */

static uint64_t nop_read(void *o, uint64_t off, unsigned size)
{
	(void)size;
	return (uint64_t)(uintptr_t)o + off;
}
static void nop_write(void *o, uint64_t off, unsigned size, uint64_t val) { (void)o, (void)off, (void)size, (void)val; }
static const struct mmio_ops nop_ops = { nop_read, nop_write, MMIO_W32 };

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct bench_arg {
	struct mmio_bus *bus;
	uint64_t addr;
	unsigned n;
	double ns;
};

static void *bench_thread(void *p)
{
	struct bench_arg *a = p;
	uint64_t v, sum = 0;
	double t0 = now_s();
	for (unsigned i = 0; i < a->n; i++) {
		mmio_bus_read(a->bus, a->addr, 4, &v);
		sum += v;
	}
	a->ns = (now_s() - t0) * 1e9 / a->n;
	return (void *)(uintptr_t)sum;
}

static void bench(void)
{
	struct mmio_bus bus;
	mmio_bus_init(&bus);
	static char devs[16];
	for (unsigned i = 0; i < 16; i++) /* a map the size of virt's */
		mmio_bus_register(&bus, 0x08000000 + 0x10000ull * i, 0x1000, &nop_ops, &devs[i], "nop");
	/* the best of 5 (a shared host is noisy) */
	double best1 = 1e9, best2 = 1e9;
	for (unsigned rep = 0; rep < 5; rep++) {
		struct bench_arg one = { &bus, 0x08050000, 1000000, 0 };
		bench_thread(&one);
		struct bench_arg two[2] = { { &bus, 0x08010000, 1000000, 0 }, { &bus, 0x080a0000, 1000000, 0 } };
		pthread_t t[2];
		for (unsigned i = 0; i < 2; i++)
			pthread_create(&t[i], NULL, bench_thread, &two[i]);
		for (unsigned i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		double w = two[0].ns > two[1].ns ? two[0].ns : two[1].ns;
		best1 = one.ns < best1 ? one.ns : best1;
		best2 = w < best2 ? w : best2;
	}
	printf("bench: %.1f ns per dispatched read (1 thread); %.1f ns (2 threads on 2 devices, the slower)\n", best1,
	       best2);
	mmio_bus_destroy(&bus);
}

int main(void)
{
	test_register();
	test_widths();
	test_update();
	test_device_lock();
	test_slow_device();
	test_stress();
	check_ctx = NULL;
	bench();
	return check_summary();
}
