/* The MMIO bus without a global lock: see mmio.h for the contract.
 *
 * Readers are tracked by per-thread slots in one process-wide registry
 * (not per bus: a thread gets its slot on its first access to any bus and
 * gives it back when it exits). A slot holds two counters, each odd while
 * its thread is inside:
 *   seq       the lookup section (table pointer loaded .. region copied);
 *   call_seq  a device callback (with call_opaque = that device).
 * A writer publishes the new table, then waits until every slot whose seq
 * was odd has moved on (the quiescent-state wait): after that no thread
 * can still hold a pointer into the old table, which is freed. The pairing
 * (reader: exchange seq to odd, load table; writer: store table, load seq;
 * all seq_cst) guarantees that a reader the writer did not see inside
 * loads the new table. Unregister then also waits for slots calling into
 * the removed device (call_seq odd, same opaque), except the writer's own.
 *
 * A thread that finds the registry full (more than MMIO_MAX_READERS live
 * threads touching buses) falls back to doing its lookup under the update
 * mutex and counts its calls in bus->slow_calls, which unregister drains. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/mmio.h"

#define MMIO_MAX_READERS 256

struct reader {
	_Alignas(64) _Atomic uint64_t seq; /* own cache line: readers never share one */
	_Atomic uint64_t call_seq;
	void *_Atomic call_opaque;
	_Atomic bool used;
};

static struct reader readers[MMIO_MAX_READERS];
static _Atomic unsigned readers_hi; /* slots [0, hi) have been used */
static _Thread_local struct reader *my_reader;
static _Thread_local bool my_reader_full; /* the registry was full: slow path */
static pthread_key_t reader_key;
static pthread_once_t reader_once = PTHREAD_ONCE_INIT;

static void reader_release(void *p)
{
	struct reader *r = p;
	atomic_store_explicit(&r->used, false, memory_order_release);
}

static void reader_key_init(void)
{
	if (pthread_key_create(&reader_key, reader_release))
		my_reader_full = true; /* no destructor: this thread takes the slow path */
}

/* This thread's slot, or NULL (slow path). */
static struct reader *reader_slot(void)
{
	struct reader *r = my_reader;
	if (__builtin_expect(r != NULL, 1))
		return r;
	if (my_reader_full)
		return NULL;
	pthread_once(&reader_once, reader_key_init);
	if (my_reader_full)
		return NULL;
	for (unsigned i = 0; i < MMIO_MAX_READERS; i++) {
		bool f = false;
		if (!atomic_compare_exchange_strong(&readers[i].used, &f, true))
			continue;
		unsigned hi = atomic_load(&readers_hi);
		while (hi < i + 1 && !atomic_compare_exchange_weak(&readers_hi, &hi, i + 1))
			;
		if (pthread_setspecific(reader_key, &readers[i])) {
			reader_release(&readers[i]);
			break;
		}
		my_reader = &readers[i];
		return my_reader;
	}
	my_reader_full = true;
	return NULL;
}

/* Wait until every reader that may hold the table replaced just before has
 * left its lookup section. Readers never block inside it: this is short. */
static void wait_lookups(void)
{
	atomic_thread_fence(memory_order_seq_cst);
	unsigned hi = atomic_load(&readers_hi);
	for (unsigned i = 0; i < hi; i++) {
		struct reader *r = &readers[i];
		if (r == my_reader)
			continue; /* a writer is never inside its own lookup section */
		uint64_t s = atomic_load(&r->seq);
		if (s & 1)
			while (atomic_load(&r->seq) == s)
				sched_yield();
	}
}

/* Wait for calls into `opaque` in flight on other threads (after
 * wait_lookups: no new call can start). */
static void wait_calls(struct mmio_bus *bus, void *opaque)
{
	unsigned hi = atomic_load(&readers_hi);
	for (unsigned i = 0; i < hi; i++) {
		struct reader *r = &readers[i];
		if (r == my_reader)
			continue;
		uint64_t s = atomic_load(&r->call_seq);
		if ((s & 1) && atomic_load(&r->call_opaque) == opaque)
			while (atomic_load(&r->call_seq) == s)
				sched_yield();
	}
	while (atomic_load(&bus->slow_calls))
		sched_yield();
}

void mmio_bus_init(struct mmio_bus *bus)
{
	memset(bus, 0, sizeof(*bus));
	pthread_mutex_init(&bus->update, NULL);
}

void mmio_bus_destroy(struct mmio_bus *bus)
{
	free(atomic_load(&bus->table));
	atomic_store(&bus->table, NULL);
	pthread_mutex_destroy(&bus->update);
}

/* ---- writers (under bus->update) ---- */

static void region_copy(struct mmio_region *d, const struct mmio_region *s)
{
	d->base = s->base;
	d->size = s->size;
	d->ops = s->ops;
	d->opaque = s->opaque;
	d->lock = s->lock;
	d->name = s->name;
	/* readers may be setting it right now in the old table */
	atomic_init(&d->warned, atomic_load_explicit(&s->warned, memory_order_relaxed));
}

/* Index of the region based exactly at base, or -1. */
static int index_of(const struct mmio_table *t, uint64_t base)
{
	for (unsigned i = 0; t && i < t->n; i++)
		if (t->r[i].base == base)
			return (int)i;
	return -1;
}

/* The current table without region `drop` (-1: none) and with `add` (NULL:
 * none) inserted in order. -EEXIST if add overlaps a kept region. */
static int rebuild(const struct mmio_table *old, int drop, const struct mmio_region *add, struct mmio_table **out)
{
	unsigned n_old = old ? old->n : 0, n = n_old - (drop >= 0) + (add != NULL);
	if (add && n > MMIO_MAX_REGIONS)
		return -ENOSPC;
	struct mmio_table *t = malloc(sizeof(*t) + n * sizeof(t->r[0]));
	if (!t)
		return -ENOMEM;
	unsigned k = 0;
	bool placed = add == NULL;
	for (unsigned i = 0; i < n_old; i++) {
		if ((int)i == drop)
			continue;
		const struct mmio_region *r = &old->r[i];
		if (add && r->base < add->base + add->size && add->base < r->base + r->size) {
			free(t);
			return -EEXIST;
		}
		if (!placed && add->base < r->base) {
			region_copy(&t->r[k++], add);
			placed = true;
		}
		region_copy(&t->r[k++], r);
	}
	if (!placed)
		region_copy(&t->r[k++], add);
	t->n = k;
	*out = t;
	return 0;
}

static void publish(struct mmio_bus *bus, struct mmio_table *t)
{
	struct mmio_table *old = atomic_load_explicit(&bus->table, memory_order_relaxed);
	atomic_store_explicit(&bus->table, t, memory_order_seq_cst);
	wait_lookups();
	free(old);
	atomic_fetch_add(&bus->updates, 1);
}

int mmio_bus_register_locked(struct mmio_bus *bus, uint64_t base, uint64_t size, const struct mmio_ops *ops,
			     void *opaque, pthread_mutex_t *lock, const char *name)
{
	if (!size || base + size < base || !ops || !ops->read || !ops->write)
		return -EINVAL;
	struct mmio_region add = { .base = base, .size = size, .ops = ops, .opaque = opaque, .lock = lock,
				   .name = name ? name : "?" };
	pthread_mutex_lock(&bus->update);
	struct mmio_table *t;
	int r = rebuild(atomic_load(&bus->table), -1, &add, &t);
	if (!r)
		publish(bus, t);
	pthread_mutex_unlock(&bus->update);
	return r;
}

int mmio_bus_register(struct mmio_bus *bus, uint64_t base, uint64_t size, const struct mmio_ops *ops,
		      void *opaque, const char *name)
{
	return mmio_bus_register_locked(bus, base, size, ops, opaque, NULL, name);
}

int mmio_bus_unregister(struct mmio_bus *bus, uint64_t base)
{
	pthread_mutex_lock(&bus->update);
	struct mmio_table *old = atomic_load(&bus->table), *t;
	int i = index_of(old, base);
	if (i < 0) {
		pthread_mutex_unlock(&bus->update);
		return -ENOENT;
	}
	void *opaque = old->r[i].opaque;
	int r = rebuild(old, i, NULL, &t);
	if (!r)
		publish(bus, t);
	pthread_mutex_unlock(&bus->update);
	/* Outside the mutex: a slow callback delays only this caller. */
	if (!r)
		wait_calls(bus, opaque);
	return r;
}

int mmio_bus_move(struct mmio_bus *bus, uint64_t old_base, uint64_t new_base)
{
	pthread_mutex_lock(&bus->update);
	struct mmio_table *old = atomic_load(&bus->table), *t;
	int i = index_of(old, old_base), r = -ENOENT;
	if (i >= 0) {
		struct mmio_region moved;
		region_copy(&moved, &old->r[i]);
		moved.base = new_base;
		r = new_base + moved.size < new_base ? -EINVAL : rebuild(old, i, &moved, &t);
		if (!r)
			publish(bus, t);
	}
	pthread_mutex_unlock(&bus->update);
	return r;
}

/* ---- readers ---- */

static const struct mmio_region *find(const struct mmio_table *t, uint64_t addr)
{
	unsigned lo = 0, hi = t ? t->n : 0;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		const struct mmio_region *r = &t->r[mid];
		if (addr < r->base)
			hi = mid;
		else if (addr - r->base >= r->size)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

/* Enter the lookup section: seq odd by a seq_cst exchange (cheaper than a
 * store and a fence on x86), then the table loaded seq_cst (load_table).
 * With the writer's seq_cst store of the table and load of seq, one of the
 * two sees the other: the reader the new table, or the writer the reader. */
static inline void enter(struct reader *me, uint64_t s)
{
	atomic_exchange_explicit(&me->seq, s + 1, memory_order_seq_cst);
}

static inline const struct mmio_table *load_table(struct mmio_bus *bus)
{
	return atomic_load_explicit(&bus->table, memory_order_seq_cst);
}

/* What an access needs of its region, copied inside the lookup section. */
struct hit {
	const struct mmio_ops *ops;
	void *opaque;
	pthread_mutex_t *lock;
	const char *name;
	uint64_t off;
	bool found, ok, warn, nested;
};

/* The access must fit the region and have a width the device accepts. */
static void classify(const struct mmio_region *r, uint64_t addr, unsigned size, struct hit *h)
{
	h->found = true;
	h->ops = r->ops;
	h->opaque = r->opaque;
	h->lock = r->lock;
	h->name = r->name;
	h->off = addr - r->base;
	h->ok = size <= 8 && (r->ops->widths & (1u << size)) && h->off + size <= r->size;
	/* the region is writable memory even in a published table: only this flag changes */
	h->warn = !h->ok && !atomic_load_explicit(&r->warned, memory_order_relaxed) &&
		  !atomic_exchange_explicit((_Atomic bool *)&r->warned, true, memory_order_relaxed);
}

/* Look addr up; on a hit with an accepted width, the call section is
 * entered (leave it with end_call). */
static void begin(struct mmio_bus *bus, uint64_t addr, unsigned size, struct hit *h)
{
	memset(h, 0, sizeof(*h));
	struct reader *me = reader_slot();
	if (__builtin_expect(me == NULL, 0)) {
		pthread_mutex_lock(&bus->update);
		const struct mmio_region *r = find(atomic_load(&bus->table), addr);
		if (r)
			classify(r, addr, size, h);
		if (h->ok)
			atomic_fetch_add(&bus->slow_calls, 1);
		pthread_mutex_unlock(&bus->update);
		return;
	}
	uint64_t s = atomic_load_explicit(&me->seq, memory_order_relaxed);
	enter(me, s);
	const struct mmio_region *r = find(load_table(bus), addr);
	if (r) {
		classify(r, addr, size, h);
		if (h->ok) {
			uint64_t c = atomic_load_explicit(&me->call_seq, memory_order_relaxed);
			h->nested = c & 1; /* a device callback making an access: the outer call covers it */
			if (!h->nested) {
				atomic_store_explicit(&me->call_opaque, h->opaque, memory_order_relaxed);
				atomic_store_explicit(&me->call_seq, c + 1, memory_order_relaxed);
			}
		}
	}
	atomic_store_explicit(&me->seq, s + 2, memory_order_release);
}

static void end_call(struct mmio_bus *bus, const struct hit *h)
{
	struct reader *me = my_reader;
	if (!me) {
		atomic_fetch_sub(&bus->slow_calls, 1);
		return;
	}
	if (!h->nested)
		atomic_store_explicit(&me->call_seq, atomic_load_explicit(&me->call_seq, memory_order_relaxed) + 1,
				      memory_order_release);
}

static void warn_width(const struct hit *h, unsigned size, bool write)
{
	fprintf(stderr, "avmm: guest %s of %u bytes at %s+0x%llx: width not supported by the device "
			"(reads as zero, writes ignored)\n",
		write ? "write" : "read", size, h->name, (unsigned long long)h->off);
}

bool mmio_bus_read(struct mmio_bus *bus, uint64_t addr, unsigned size, uint64_t *val)
{
	struct hit h;
	begin(bus, addr, size, &h);
	*val = 0;
	if (h.ok) {
		if (h.lock)
			pthread_mutex_lock(h.lock);
		*val = h.ops->read(h.opaque, h.off, size);
		if (h.lock)
			pthread_mutex_unlock(h.lock);
		end_call(bus, &h);
		/* A device returning bits above the access width: the width masks. */
		if (size < 8)
			*val &= (1ull << (8 * size)) - 1;
	} else if (h.warn) {
		warn_width(&h, size, false);
	}
	if (!h.found)
		atomic_fetch_add_explicit(&bus->unassigned, 1, memory_order_relaxed);
	return h.found;
}

bool mmio_bus_write(struct mmio_bus *bus, uint64_t addr, unsigned size, uint64_t val)
{
	struct hit h;
	begin(bus, addr, size, &h);
	if (h.ok) {
		if (size < 8)
			val &= (1ull << (8 * size)) - 1;
		if (h.lock)
			pthread_mutex_lock(h.lock);
		h.ops->write(h.opaque, h.off, size, val);
		if (h.lock)
			pthread_mutex_unlock(h.lock);
		end_call(bus, &h);
	} else if (h.warn) {
		warn_width(&h, size, true);
	}
	if (!h.found)
		atomic_fetch_add_explicit(&bus->unassigned, 1, memory_order_relaxed);
	return h.found;
}

bool mmio_bus_lookup(struct mmio_bus *bus, uint64_t addr, uint64_t *base, uint64_t *size, void **opaque)
{
	struct reader *me = reader_slot();
	bool hit = false;
	uint64_t s = 0;
	if (me) {
		s = atomic_load_explicit(&me->seq, memory_order_relaxed);
		enter(me, s);
	} else {
		pthread_mutex_lock(&bus->update);
	}
	const struct mmio_region *r = find(load_table(bus), addr);
	if (r) {
		hit = true;
		if (base)
			*base = r->base;
		if (size)
			*size = r->size;
		if (opaque)
			*opaque = r->opaque;
	}
	if (me)
		atomic_store_explicit(&me->seq, s + 2, memory_order_release);
	else
		pthread_mutex_unlock(&bus->update);
	return hit;
}

bool mmio_bus_present(struct mmio_bus *bus, uint64_t addr)
{
	return mmio_bus_lookup(bus, addr, NULL, NULL, NULL);
}
