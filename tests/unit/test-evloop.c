/* The event loop, I/O threads and worker pool (src/vmm/evloop.h): fd
 * readiness and removal from callbacks, timers in deadline order and
 * cancelled/freed inside callbacks, deferred work from several threads,
 * signals, stop, pause/resume acknowledged by an I/O thread, worker-pool
 * completions delivered to the submitting loop. No timing thresholds: waits
 * are "until it happened" (the suite's timeout catches a hang). */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "host/host.h"
#include "vmm/evloop.h"

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

/* ---- fd handlers ---- */

struct fdctx {
	struct evloop *l;
	int calls;
	unsigned last;
	int remove_fd;  /* >= 0: remove this fd from the callback */
	bool remove_self;
	int fd;
};

static void on_fd(void *opaque, int fd, unsigned ev)
{
	struct fdctx *c = opaque;
	c->calls++;
	c->last = ev;
	if (ev & EVLOOP_IN) {
		char b[16];
		ssize_t r = read(fd, b, sizeof(b));
		(void)r;
	}
	if (c->remove_fd >= 0) {
		CHECK(evloop_fd_remove(c->l, c->remove_fd) == 0, "remove fd %d from a callback", c->remove_fd);
		c->remove_fd = -1;
	}
	if (c->remove_self)
		CHECK(evloop_fd_remove(c->l, fd) == 0, "remove own fd");
}

static void test_fds(void)
{
	check_ctx = "fd";
	struct evloop *l = evloop_new();
	int p[2], q[2];
	CHECK(pipe(p) == 0 && pipe(q) == 0, "pipes");
	struct fdctx a = { l, 0, 0, -1, false, p[0] }, w = { l, 0, 0, -1, false, p[1] };
	EQ(evloop_fd_add(l, p[0], EVLOOP_IN, on_fd, &a), 0);
	EQ(evloop_fd_add(l, p[0], EVLOOP_IN, on_fd, &a), (uint64_t)-EEXIST);
	/* Nothing ready: a poll calls nothing. */
	evloop_run_once(l, 0);
	EQ(a.calls, 0);
	CHECK(write(p[1], "x", 1) == 1, "write");
	evloop_run_once(l, -1);
	EQ(a.calls, 1);
	CHECK(a.last & EVLOOP_IN, "readable: 0x%x", a.last);
	/* Write interest, then modified away. */
	EQ(evloop_fd_add(l, p[1], EVLOOP_OUT, on_fd, &w), 0);
	evloop_run_once(l, -1);
	EQ(w.calls, 1);
	CHECK(w.last & EVLOOP_OUT, "writable: 0x%x", w.last);
	EQ(evloop_fd_modify(l, p[1], 0), 0);
	evloop_run_once(l, 0);
	EQ(w.calls, 1);
	EQ(evloop_fd_remove(l, p[1]), 0);
	EQ(evloop_fd_remove(l, p[1]), (uint64_t)-ENOENT);

	/* Two fds ready in the same batch; whichever runs first removes the
	 * other, which must not be called (its event is already in the batch). */
	struct fdctx b = { l, 0, 0, -1, false, q[0] };
	EQ(evloop_fd_add(l, q[0], EVLOOP_IN, on_fd, &b), 0);
	a.remove_fd = q[0];
	b.remove_fd = p[0];
	CHECK(write(p[1], "x", 1) == 1 && write(q[1], "y", 1) == 1, "write both");
	a.calls = b.calls = 0;
	evloop_run_once(l, -1);
	EQ(a.calls + b.calls, 1);
	/* The survivor's fd is gone too now or still there: remove what is left. */
	evloop_fd_remove(l, p[0]);
	evloop_fd_remove(l, q[0]);

	/* Remove itself, then the fd number is reused at once. */
	struct fdctx s = { l, 0, 0, -1, true, p[0] };
	EQ(evloop_fd_add(l, p[0], EVLOOP_IN, on_fd, &s), 0);
	CHECK(write(p[1], "z", 1) == 1, "write");
	evloop_run_once(l, -1);
	EQ(s.calls, 1);
	struct fdctx s2 = { l, 0, 0, -1, false, p[0] };
	EQ(evloop_fd_add(l, p[0], EVLOOP_IN, on_fd, &s2), 0);
	CHECK(write(p[1], "z", 1) == 1, "write");
	evloop_run_once(l, -1);
	EQ(s.calls, 1);
	EQ(s2.calls, 1);
	/* Hang-up: the writer closes; the reader sees EOF as IN|ERR or IN. */
	close(p[1]);
	evloop_run_once(l, -1);
	CHECK(s2.calls == 2 && (s2.last & EVLOOP_IN), "hang-up reported (calls %d, 0x%x)", s2.calls, s2.last);
	evloop_fd_remove(l, p[0]);
	close(p[0]);
	close(q[0]);
	close(q[1]);
	evloop_free(l);
}

/* ---- timers ---- */

struct tctx {
	int order[16];
	int n;
	struct evloop_timer *cancel, *free_other, *self;
	int id;
	int *log;
	int *nlog;
	int periodic_left;
	struct evloop *l;
};

static int tlog[64], ntlog;

static void on_timer(void *opaque)
{
	struct tctx *c = opaque;
	tlog[ntlog++ % 64] = c->id;
	if (c->cancel)
		evloop_timer_cancel(c->cancel);
	if (c->free_other) {
		evloop_timer_free(c->free_other);
		c->free_other = NULL;
	}
	if (c->periodic_left && --c->periodic_left == 0)
		evloop_timer_cancel(c->self);
	if (c->self && c->id == 99) {
		evloop_timer_free(c->self);
		c->self = NULL;
	}
}

static void test_timers(void)
{
	check_ctx = "timer";
	struct evloop *l = evloop_new();
	/* Deadlines out of order: they fire in deadline order. */
	static const int ms[5] = { 5, 1, 3, 2, 4 };
	struct tctx c[5];
	struct evloop_timer *t[5];
	uint64_t now = host_now_ns();
	ntlog = 0;
	for (int i = 0; i < 5; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].id = ms[i];
		t[i] = evloop_timer_new(l, on_timer, &c[i]);
		evloop_timer_arm(t[i], now + (uint64_t)ms[i] * 1000000, 0);
	}
	while (ntlog < 5)
		evloop_run_once(l, -1);
	for (int i = 0; i < 5; i++)
		EQ(tlog[i], i + 1);
	CHECK(host_now_ns() >= now + 5000000, "not before the deadline");
	for (int i = 0; i < 5; i++)
		CHECK(!evloop_timer_armed(t[i]), "one-shot disarmed after firing");

	/* Three due in the same round: the first cancels the second and frees
	 * the third; neither may run (the third would be a use after free). */
	ntlog = 0;
	c[0].id = 1, c[1].id = 2, c[2].id = 3;
	c[0].cancel = t[1];
	c[0].free_other = t[2];
	now = host_now_ns();
	evloop_timer_arm(t[0], now - 3, 0);
	evloop_timer_arm(t[1], now - 2, 0);
	evloop_timer_arm(t[2], now - 1, 0);
	evloop_run_once(l, 0);
	EQ(ntlog, 1);
	EQ(tlog[0], 1);
	evloop_run_once(l, 0);
	EQ(ntlog, 1);
	c[0].cancel = NULL;

	/* Cancelled before it is due: never runs. */
	evloop_timer_arm(t[3], host_now_ns() + 1000000, 0);
	evloop_timer_cancel(t[3]);
	evloop_timer_arm(t[4], host_now_ns() + 2000000, 0);
	ntlog = 0;
	while (!ntlog)
		evloop_run_once(l, -1);
	EQ(ntlog, 1);
	EQ(tlog[0], c[4].id);

	/* Periodic: five times, then it cancels itself. */
	c[1].id = 7;
	c[1].periodic_left = 5;
	c[1].self = t[1];
	evloop_timer_arm(t[1], host_now_ns(), 200000);
	ntlog = 0;
	while (evloop_timer_armed(t[1]))
		evloop_run_once(l, -1);
	EQ(ntlog, 5);
	c[1].self = NULL;

	/* Re-arming moves it. */
	ntlog = 0;
	evloop_timer_arm(t[3], host_now_ns() + 3600ull * 1000000000, 0);
	evloop_timer_arm(t[3], host_now_ns(), 0);
	evloop_run_once(l, -1);
	EQ(ntlog, 1);

	/* A timer that frees itself in its callback. */
	struct tctx selfc = { .id = 99 };
	selfc.self = evloop_timer_new(l, on_timer, &selfc);
	evloop_timer_arm(selfc.self, 0, 1000);
	ntlog = 0;
	evloop_run_once(l, 0);
	EQ(ntlog, 1);
	CHECK(selfc.self == NULL, "freed itself");
	evloop_run_once(l, 0);
	EQ(ntlog, 1);

	evloop_timer_free(t[0]);
	evloop_timer_free(t[1]);
	evloop_timer_free(t[3]);
	evloop_timer_free(t[4]);
	evloop_free(l);
}

/* ---- deferred work ---- */

#define PRODUCERS 4
#define PER_PRODUCER 10000

struct dctx {
	struct evloop *l;
	int last[PRODUCERS];
	long count;
	long out_of_order, off_thread;
};

struct item {
	struct dctx *d;
	int producer, seq;
};

static void on_deferred(void *opaque)
{
	struct item *it = opaque;
	struct dctx *d = it->d;
	if (!evloop_in_thread(d->l))
		d->off_thread++;
	if (it->seq != d->last[it->producer] + 1)
		d->out_of_order++;
	d->last[it->producer] = it->seq;
	d->count++;
	free(it);
}

static void *producer(void *arg)
{
	struct item *first = arg;
	for (int i = 1; i <= PER_PRODUCER; i++) {
		struct item *it = malloc(sizeof(*it));
		*it = (struct item){ first->d, first->producer, i };
		while (evloop_defer(first->d->l, on_deferred, it))
			sched_yield();
	}
	return NULL;
}

struct bhctx {
	struct evloop_bh *b;
	int runs, resched;
};

static void on_bh(void *opaque)
{
	struct bhctx *c = opaque;
	c->runs++;
	if (c->resched && c->resched--)
		evloop_bh_schedule(c->b);
}

static void test_deferred(void)
{
	check_ctx = "deferred";
	struct dctx d = { .l = evloop_new() };
	pthread_t th[PRODUCERS];
	struct item args[PRODUCERS];
	for (int i = 0; i < PRODUCERS; i++) {
		args[i] = (struct item){ &d, i, 0 };
		pthread_create(&th[i], NULL, producer, &args[i]);
	}
	while (d.count < PRODUCERS * PER_PRODUCER)
		evloop_run_once(d.l, -1);
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(th[i], NULL);
	evloop_run_once(d.l, 0);
	EQ(d.count, PRODUCERS * PER_PRODUCER);
	EQ(d.out_of_order, 0);
	EQ(d.off_thread, 0);

	/* Bottom halves: scheduled twice, run once; rescheduled from the
	 * callback: the next iteration; cancelled: not at all. */
	struct bhctx c = { 0 };
	c.b = evloop_bh_new(d.l, on_bh, &c);
	evloop_bh_schedule(c.b);
	evloop_bh_schedule(c.b);
	evloop_run_once(d.l, 0);
	EQ(c.runs, 1);
	c.resched = 1;
	evloop_bh_schedule(c.b);
	evloop_run_once(d.l, 0);
	EQ(c.runs, 2);
	evloop_run_once(d.l, 0);
	EQ(c.runs, 3);
	evloop_bh_schedule(c.b);
	evloop_bh_cancel(c.b);
	evloop_run_once(d.l, 0);
	EQ(c.runs, 3);
	evloop_bh_schedule(c.b);
	evloop_bh_free(c.b); /* pending: freed without running */
	evloop_run_once(d.l, 0);
	EQ(c.runs, 3);
	/* Pending one-shot work is freed with the loop (ASan checks). */
	evloop_defer(d.l, on_bh, &c);
	evloop_free(d.l);
}

/* ---- stop and signals ---- */

static void *stopper(void *arg)
{
	sleep_ms(5);
	evloop_stop(arg);
	return NULL;
}

static int got_sig;
static void on_sig(void *opaque, int sig)
{
	(void)opaque;
	got_sig = sig;
}

static void test_stop_signals(void)
{
	check_ctx = "stop";
	struct evloop *l = evloop_new();
	evloop_stop(l);
	EQ(evloop_run(l), 0); /* a stop before run ends it at once */
	pthread_t th;
	pthread_create(&th, NULL, stopper, l);
	EQ(evloop_run(l), 0); /* returns: stopped from another thread */
	pthread_join(th, NULL);

	check_ctx = "signals";
	int sigs[1] = { SIGUSR2 };
	EQ(evloop_signals(l, sigs, 1, on_sig, NULL), 0);
	raise(SIGUSR2);
	while (!got_sig)
		evloop_run_once(l, -1);
	EQ(got_sig, SIGUSR2);
	evloop_free(l);
}

/* ---- I/O threads ---- */

struct ioctx {
	_Atomic long ticks;
	_Atomic bool in_cb;
	_Atomic bool overlap; /* a callback ran while paused */
	_Atomic bool paused;
	struct evloop *l;
};

static void on_tick(void *opaque)
{
	struct ioctx *c = opaque;
	atomic_store(&c->in_cb, true);
	if (atomic_load(&c->paused))
		atomic_store(&c->overlap, true);
	atomic_fetch_add(&c->ticks, 1);
	atomic_store(&c->in_cb, false);
}

static void on_slow(void *opaque)
{
	struct ioctx *c = opaque;
	atomic_store(&c->in_cb, true);
	sleep_ms(20);
	atomic_store(&c->in_cb, false);
}

static _Atomic int pause_rc;
static void on_pause_self(void *opaque)
{
	pause_rc = iothread_pause(opaque);
}

static void test_iothread(void)
{
	check_ctx = "iothread";
	struct iothread *io = iothread_start("test-io");
	CHECK(io != NULL, "started");
	struct ioctx c = { .l = iothread_loop(io) };
	struct evloop_timer *t = evloop_timer_new(c.l, on_tick, &c);
	evloop_timer_arm(t, host_now_ns(), 100000);
	while (atomic_load(&c.ticks) < 10)
		sleep_ms(1);
	for (int round = 0; round < 50; round++) {
		EQ(iothread_pause(io), 0);
		atomic_store(&c.paused, true);
		CHECK(!atomic_load(&c.in_cb), "no callback running once paused");
		long before = atomic_load(&c.ticks);
		sleep_ms(round ? 0 : 10);
		EQ(atomic_load(&c.ticks), before);
		/* Nested pause. */
		EQ(iothread_pause(io), 0);
		iothread_resume(io);
		EQ(atomic_load(&c.ticks), before);
		atomic_store(&c.paused, false);
		iothread_resume(io);
		while (atomic_load(&c.ticks) == before)
			sleep_ms(0);
	}
	CHECK(!atomic_load(&c.overlap), "no tick while paused");
	/* Pause while a long callback runs: returns only after it ended. */
	evloop_defer(c.l, on_slow, &c);
	while (!atomic_load(&c.in_cb))
		sched_yield();
	EQ(iothread_pause(io), 0);
	CHECK(!atomic_load(&c.in_cb), "pause waited for the running callback");
	iothread_resume(io);
	/* From the loop's own thread: refused, not a deadlock. */
	pause_rc = 1;
	evloop_defer(c.l, on_pause_self, io);
	while (pause_rc == 1)
		sleep_ms(1);
	EQ(pause_rc, (uint64_t)-EDEADLK);
	/* Stop while paused: stop resumes it. */
	EQ(iothread_pause(io), 0);
	evloop_timer_free(t); /* the loop is parked: nothing runs it meanwhile */
	iothread_stop(io);
}

/* ---- worker pool ---- */

#define JOBS 1000

struct wctx {
	struct evloop *loop;
	struct workpool *pool;
	long done, done_off_thread;
	_Atomic long work_on_loop;
	_Atomic long worked;
};

struct wjob {
	struct wctx *w;
	int n;
	long result;
};

static void job_work(void *opaque)
{
	struct wjob *j = opaque;
	if (evloop_in_thread(j->w->loop))
		atomic_fetch_add(&j->w->work_on_loop, 1);
	j->result = (long)j->n * j->n;
	atomic_fetch_add(&j->w->worked, 1);
}

static void job_done(void *opaque)
{
	struct wjob *j = opaque;
	struct wctx *w = j->w;
	if (!evloop_in_thread(w->loop))
		w->done_off_thread++;
	if (j->result == (long)j->n * j->n)
		w->done++;
	free(j);
}

static void submit_all(void *opaque)
{
	struct wctx *w = opaque;
	for (int i = 0; i < JOBS; i++) {
		struct wjob *j = malloc(sizeof(*j));
		*j = (struct wjob){ w, i, 0 };
		CHECK(workpool_submit(w->pool, w->loop, job_work, job_done, j) == 0, "submit");
	}
}

static void test_workpool(void)
{
	check_ctx = "workpool";
	struct wctx w = { .loop = evloop_new(), .pool = workpool_new(4, "test-work") };
	CHECK(w.pool != NULL, "pool");
	evloop_defer(w.loop, submit_all, &w); /* submitted from the loop, as a device would */
	while (w.done < JOBS)
		evloop_run_once(w.loop, -1);
	EQ(w.done, JOBS);
	EQ(w.done_off_thread, 0);
	EQ(atomic_load(&w.work_on_loop), 0);
	/* Free with jobs queued: they still run and complete. */
	w.done = 0;
	submit_all(&w);
	workpool_free(w.pool);
	EQ(atomic_load(&w.worked), 2 * JOBS);
	while (w.done < JOBS)
		evloop_run_once(w.loop, -1);
	EQ(w.done, JOBS);
	evloop_free(w.loop);
}

int main(void)
{
	test_fds();
	test_timers();
	test_deferred();
	test_stop_signals();
	test_iothread();
	test_workpool();
	return check_summary();
}
