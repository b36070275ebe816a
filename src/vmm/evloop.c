/* The event loop (evloop.h): epoll + eventfd + signalfd on Linux, kqueue
 * with EVFILT_USER and EVFILT_SIGNAL on macOS. One mutex per loop protects
 * its tables; callbacks are called with it released.
 *
 * Lifetimes, so that a callback may remove or free anything:
 *  - a removed fd handler is unlinked at once and freed at the end of the
 *    loop's current iteration (its events may still be in the batch being
 *    dispatched; `dead` makes them skipped);
 *  - due timers are collected from the heap first and called one by one;
 *    cancel/arm clears `fire`, so a timer cancelled by an earlier callback
 *    of the same round is not called; one freed while collected is freed
 *    when the round reaches it;
 *  - bottom halves move from `pending` to `running` at the start of a round;
 *    rescheduling one from its callback puts it back on `pending` (next
 *    iteration), so no round runs forever. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef __APPLE__
#include <sys/event.h>
#include <sys/time.h>
#include <sys/types.h>
#else
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#endif

#include "host/host.h"
#include "vmm/evloop.h"

#define MAX_EVENTS 64

struct fd_entry {
	int fd;
	unsigned events;
	evloop_fd_fn *fn;
	void *opaque;
	bool dead;
	struct fd_entry *grave_next;
};

struct evloop_timer {
	struct evloop *l;
	evloop_fn *fn;
	void *opaque;
	uint64_t deadline, period;
	int idx;        /* in the heap; -1 when not armed */
	bool fire;      /* collected this round and still to be called */
	bool in_due;    /* linked on the round's due list */
	bool dead;      /* freed while on the due list */
	struct evloop_timer *due_next;
};

struct evloop_bh {
	struct evloop *l;
	evloop_fn *fn;
	void *opaque;
	struct evloop_bh *prev, *next;
	bool scheduled; /* on pending or running */
	bool oneshot;   /* evloop_defer: freed after its call */
};

struct evloop {
	pthread_mutex_t lock;
	int pfd; /* epoll or kqueue */
#ifndef __APPLE__
	int wake_fd, sig_fd;
	struct fd_entry wake_ent, sig_ent; /* internal: not in fds[] */
#endif
	_Atomic bool notified, stop;
	struct fd_entry **fds;
	int nfds;
	struct fd_entry *grave;
	struct evloop_timer **heap;
	unsigned nheap, capheap;
	struct evloop_timer *due;
	struct evloop_bh pending, running; /* sentinels of circular lists */
	evloop_signal_fn *sig_fn;
	void *sig_opaque;
	bool has_signals;
};

/* The loop this thread is running (evloop_in_thread), for nested runs the
 * innermost. */
static _Thread_local struct evloop *current_loop;

/* ---- bottom-half lists ---- */

static void bh_list_init(struct evloop_bh *s) { s->prev = s->next = s; }
static bool bh_list_empty(const struct evloop_bh *s) { return s->next == s; }

static void bh_unlink(struct evloop_bh *b)
{
	b->prev->next = b->next;
	b->next->prev = b->prev;
	b->prev = b->next = NULL;
}

static void bh_append(struct evloop_bh *s, struct evloop_bh *b)
{
	b->prev = s->prev;
	b->next = s;
	s->prev->next = b;
	s->prev = b;
}

/* ---- the timer heap (under l->lock) ---- */

static void heap_set(struct evloop *l, unsigned i, struct evloop_timer *t)
{
	l->heap[i] = t;
	t->idx = (int)i;
}

static void heap_up(struct evloop *l, unsigned i)
{
	struct evloop_timer *t = l->heap[i];
	while (i) {
		unsigned p = (i - 1) / 2;
		if (l->heap[p]->deadline <= t->deadline)
			break;
		heap_set(l, i, l->heap[p]);
		i = p;
	}
	heap_set(l, i, t);
}

static void heap_down(struct evloop *l, unsigned i)
{
	struct evloop_timer *t = l->heap[i];
	for (;;) {
		unsigned c = 2 * i + 1;
		if (c >= l->nheap)
			break;
		if (c + 1 < l->nheap && l->heap[c + 1]->deadline < l->heap[c]->deadline)
			c++;
		if (t->deadline <= l->heap[c]->deadline)
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

static void heap_remove(struct evloop *l, struct evloop_timer *t)
{
	if (t->idx < 0)
		return;
	unsigned i = (unsigned)t->idx;
	t->idx = -1;
	struct evloop_timer *last = l->heap[--l->nheap];
	if (i == l->nheap)
		return;
	heap_set(l, i, last);
	heap_up(l, i);
	heap_down(l, (unsigned)last->idx);
}

static int heap_insert(struct evloop *l, struct evloop_timer *t)
{
	if (l->nheap == l->capheap) {
		unsigned cap = l->capheap ? 2 * l->capheap : 16;
		struct evloop_timer **h = realloc(l->heap, cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		l->heap = h;
		l->capheap = cap;
	}
	heap_set(l, l->nheap++, t);
	heap_up(l, (unsigned)t->idx);
	return 0;
}

/* ---- creation ---- */

#ifdef __APPLE__
static int kq_change(int kq, uintptr_t ident, int16_t filter, uint16_t flags, uint32_t fflags, void *udata)
{
	struct kevent kev;
	EV_SET(&kev, ident, filter, flags, fflags, 0, udata);
	return kevent(kq, &kev, 1, NULL, 0, NULL) < 0 ? -errno : 0;
}
#define WAKE_IDENT 1
#endif

struct evloop *evloop_new(void)
{
	struct evloop *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	pthread_mutex_init(&l->lock, NULL);
	bh_list_init(&l->pending);
	bh_list_init(&l->running);
#ifdef __APPLE__
	l->pfd = kqueue();
	if (l->pfd >= 0) {
		fcntl(l->pfd, F_SETFD, FD_CLOEXEC);
		int r = kq_change(l->pfd, WAKE_IDENT, EVFILT_USER, EV_ADD | EV_CLEAR, 0, NULL);
		if (r) {
			close(l->pfd);
			l->pfd = -1;
			errno = -r;
		}
	}
	if (l->pfd < 0)
		goto fail;
#else
	l->sig_fd = -1;
	l->pfd = epoll_create1(EPOLL_CLOEXEC);
	l->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->pfd < 0 || l->wake_fd < 0)
		goto fail;
	l->wake_ent.fd = l->wake_fd;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &l->wake_ent };
	if (epoll_ctl(l->pfd, EPOLL_CTL_ADD, l->wake_fd, &ev) < 0)
		goto fail;
#endif
	return l;
fail: {
	int e = errno;
	if (l->pfd >= 0)
		close(l->pfd);
#ifndef __APPLE__
	if (l->wake_fd >= 0)
		close(l->wake_fd);
#endif
	pthread_mutex_destroy(&l->lock);
	free(l);
	errno = e;
	return NULL;
}
}

void evloop_free(struct evloop *l)
{
	if (!l)
		return;
	for (int i = 0; i < l->nfds; i++)
		free(l->fds[i]);
	free(l->fds);
	while (l->grave) {
		struct fd_entry *e = l->grave;
		l->grave = e->grave_next;
		free(e);
	}
	for (unsigned i = 0; i < l->nheap; i++)
		l->heap[i]->idx = -1;
	free(l->heap);
	struct evloop_bh *lists[2] = { &l->pending, &l->running };
	for (unsigned k = 0; k < 2; k++)
		while (!bh_list_empty(lists[k])) {
			struct evloop_bh *b = lists[k]->next;
			bh_unlink(b);
			b->scheduled = false;
			if (b->oneshot)
				free(b);
		}
	close(l->pfd);
#ifndef __APPLE__
	close(l->wake_fd);
	if (l->sig_fd >= 0)
		close(l->sig_fd);
#endif
	pthread_mutex_destroy(&l->lock);
	free(l);
}

bool evloop_in_thread(struct evloop *l) { return current_loop == l; }

void evloop_wake(struct evloop *l)
{
	if (atomic_exchange(&l->notified, true))
		return; /* a wake-up is already on its way */
#ifdef __APPLE__
	kq_change(l->pfd, WAKE_IDENT, EVFILT_USER, 0, NOTE_TRIGGER, NULL);
#else
	uint64_t one = 1;
	ssize_t r = write(l->wake_fd, &one, sizeof(one));
	(void)r; /* EAGAIN: the counter is already non-zero, the loop wakes anyway */
#endif
}

void evloop_stop(struct evloop *l)
{
	atomic_store(&l->stop, true);
	atomic_store(&l->notified, false); /* force the wake-up below through */
	evloop_wake(l);
}

/* Wake the loop unless the caller is the loop itself (it recomputes its
 * timeout before waiting again). */
static void kick(struct evloop *l)
{
	if (!evloop_in_thread(l))
		evloop_wake(l);
}

/* ---- fd handlers ---- */

#ifdef __APPLE__
static int kq_interest(struct evloop *l, struct fd_entry *e, unsigned old, unsigned now)
{
	struct kevent kev[2];
	int n = 0;
	/* READ and WRITE are separate filters: add or delete each as it changes. */
	if ((now & EVLOOP_IN) != (old & EVLOOP_IN)) {
		EV_SET(&kev[n], (uintptr_t)e->fd, EVFILT_READ, (now & EVLOOP_IN) ? EV_ADD : EV_DELETE, 0, 0, e);
		n++;
	}
	if ((now & EVLOOP_OUT) != (old & EVLOOP_OUT)) {
		EV_SET(&kev[n], (uintptr_t)e->fd, EVFILT_WRITE, (now & EVLOOP_OUT) ? EV_ADD : EV_DELETE, 0, 0, e);
		n++;
	}
	if (n && kevent(l->pfd, kev, n, NULL, 0, NULL) < 0)
		return -errno;
	return 0;
}
#else
static uint32_t ep_events(unsigned ev)
{
	return ((ev & EVLOOP_IN) ? EPOLLIN : 0) | ((ev & EVLOOP_OUT) ? EPOLLOUT : 0);
}
#endif

int evloop_fd_add(struct evloop *l, int fd, unsigned events, evloop_fd_fn *fn, void *opaque)
{
	if (fd < 0 || !fn)
		return -EINVAL;
	struct fd_entry *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->fd = fd;
	e->events = events & (EVLOOP_IN | EVLOOP_OUT);
	e->fn = fn;
	e->opaque = opaque;
	pthread_mutex_lock(&l->lock);
	int r = 0;
	if (fd >= l->nfds) {
		int n = l->nfds ? l->nfds : 16;
		while (n <= fd)
			n = n > INT_MAX / 2 ? fd + 1 : 2 * n;
		struct fd_entry **t = realloc(l->fds, (size_t)n * sizeof(*t));
		if (!t) {
			r = -ENOMEM;
		} else {
			memset(t + l->nfds, 0, (size_t)(n - l->nfds) * sizeof(*t));
			l->fds = t;
			l->nfds = n;
		}
	}
	if (!r && l->fds[fd])
		r = -EEXIST;
#ifdef __APPLE__
	if (!r)
		r = kq_interest(l, e, 0, e->events);
#else
	if (!r) {
		struct epoll_event ev = { .events = ep_events(e->events), .data.ptr = e };
		if (epoll_ctl(l->pfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			r = -errno;
	}
#endif
	if (!r)
		l->fds[fd] = e;
	pthread_mutex_unlock(&l->lock);
	if (r)
		free(e);
	return r;
}

int evloop_fd_modify(struct evloop *l, int fd, unsigned events)
{
	events &= EVLOOP_IN | EVLOOP_OUT;
	pthread_mutex_lock(&l->lock);
	struct fd_entry *e = fd >= 0 && fd < l->nfds ? l->fds[fd] : NULL;
	int r = e ? 0 : -ENOENT;
#ifdef __APPLE__
	if (e)
		r = kq_interest(l, e, e->events, events);
#else
	if (e) {
		struct epoll_event ev = { .events = ep_events(events), .data.ptr = e };
		if (epoll_ctl(l->pfd, EPOLL_CTL_MOD, fd, &ev) < 0)
			r = -errno;
	}
#endif
	if (!r)
		e->events = events;
	pthread_mutex_unlock(&l->lock);
	return r;
}

int evloop_fd_remove(struct evloop *l, int fd)
{
	pthread_mutex_lock(&l->lock);
	struct fd_entry *e = fd >= 0 && fd < l->nfds ? l->fds[fd] : NULL;
	if (e) {
#ifdef __APPLE__
		kq_interest(l, e, e->events, 0); /* errors: the fd is already closed, nothing left to remove */
#else
		epoll_ctl(l->pfd, EPOLL_CTL_DEL, fd, NULL);
#endif
		l->fds[fd] = NULL;
		e->dead = true;
		e->grave_next = l->grave;
		l->grave = e;
	}
	pthread_mutex_unlock(&l->lock);
	return e ? 0 : -ENOENT;
}

static void dispatch_fd(struct evloop *l, struct fd_entry *e, unsigned ready)
{
	pthread_mutex_lock(&l->lock);
	bool live = !e->dead;
	evloop_fd_fn *fn = e->fn;
	void *opaque = e->opaque;
	if (ready & EVLOOP_ERR && e->events & EVLOOP_IN)
		ready |= EVLOOP_IN;
	pthread_mutex_unlock(&l->lock);
	if (live)
		fn(opaque, e->fd, ready);
}

/* ---- timers ---- */

struct evloop_timer *evloop_timer_new(struct evloop *l, evloop_fn *fn, void *opaque)
{
	struct evloop_timer *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->l = l;
	t->fn = fn;
	t->opaque = opaque;
	t->idx = -1;
	return t;
}

void evloop_timer_arm(struct evloop_timer *t, uint64_t deadline_ns, uint64_t period_ns)
{
	struct evloop *l = t->l;
	pthread_mutex_lock(&l->lock);
	heap_remove(l, t);
	t->fire = false;
	t->deadline = deadline_ns;
	t->period = period_ns;
	bool ok = heap_insert(l, t) == 0;
	bool first = ok && t->idx == 0;
	pthread_mutex_unlock(&l->lock);
	/* heap_insert can only fail to grow the heap: the timer stays
	 * disarmed; nothing better to do without an error path here. */
	if (first)
		kick(l);
}

void evloop_timer_cancel(struct evloop_timer *t)
{
	pthread_mutex_lock(&t->l->lock);
	heap_remove(t->l, t);
	t->fire = false;
	pthread_mutex_unlock(&t->l->lock);
}

bool evloop_timer_armed(struct evloop_timer *t)
{
	pthread_mutex_lock(&t->l->lock);
	bool r = t->idx >= 0 || t->fire;
	pthread_mutex_unlock(&t->l->lock);
	return r;
}

void evloop_timer_free(struct evloop_timer *t)
{
	if (!t)
		return;
	struct evloop *l = t->l;
	pthread_mutex_lock(&l->lock);
	heap_remove(l, t);
	t->fire = false;
	bool later = t->in_due;
	t->dead = true;
	pthread_mutex_unlock(&l->lock);
	if (!later)
		free(t);
}

/* Next deadline, UINT64_MAX if none. Under lock. */
static uint64_t next_deadline(struct evloop *l)
{
	return l->nheap ? l->heap[0]->deadline : UINT64_MAX;
}

static void run_timers(struct evloop *l)
{
	uint64_t now = host_now_ns();
	pthread_mutex_lock(&l->lock);
	struct evloop_timer **tail = &l->due;
	while (l->nheap && l->heap[0]->deadline <= now) {
		struct evloop_timer *t = l->heap[0];
		heap_remove(l, t);
		if (t->period) {
			/* Skip the periods already missed: no burst after a stall. */
			uint64_t next = t->deadline + t->period;
			if (next <= now)
				next += ((now - next) / t->period + 1) * t->period;
			t->deadline = next;
			heap_insert(l, t);
		}
		t->fire = true;
		if (!t->in_due) {
			t->in_due = true;
			t->due_next = NULL;
			*tail = t;
			tail = &t->due_next;
		}
	}
	while (l->due) {
		struct evloop_timer *t = l->due;
		l->due = t->due_next;
		t->in_due = false;
		if (t->dead) {
			free(t);
			continue;
		}
		if (!t->fire)
			continue;
		t->fire = false;
		evloop_fn *fn = t->fn;
		void *opaque = t->opaque;
		pthread_mutex_unlock(&l->lock);
		fn(opaque); /* t may be freed or re-armed in there: not touched after */
		pthread_mutex_lock(&l->lock);
	}
	pthread_mutex_unlock(&l->lock);
}

/* ---- bottom halves ---- */

struct evloop_bh *evloop_bh_new(struct evloop *l, evloop_fn *fn, void *opaque)
{
	struct evloop_bh *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->l = l;
	b->fn = fn;
	b->opaque = opaque;
	return b;
}

void evloop_bh_schedule(struct evloop_bh *b)
{
	struct evloop *l = b->l;
	pthread_mutex_lock(&l->lock);
	bool queued = !b->scheduled;
	if (queued) {
		b->scheduled = true;
		bh_append(&l->pending, b);
	}
	pthread_mutex_unlock(&l->lock);
	if (queued)
		kick(l);
}

void evloop_bh_cancel(struct evloop_bh *b)
{
	pthread_mutex_lock(&b->l->lock);
	if (b->scheduled) {
		bh_unlink(b);
		b->scheduled = false;
	}
	pthread_mutex_unlock(&b->l->lock);
}

void evloop_bh_free(struct evloop_bh *b)
{
	if (!b)
		return;
	evloop_bh_cancel(b);
	free(b);
}

int evloop_defer(struct evloop *l, evloop_fn *fn, void *opaque)
{
	struct evloop_bh *b = evloop_bh_new(l, fn, opaque);
	if (!b)
		return -ENOMEM;
	b->oneshot = true;
	evloop_bh_schedule(b);
	return 0;
}

static void run_bhs(struct evloop *l)
{
	pthread_mutex_lock(&l->lock);
	if (!bh_list_empty(&l->pending)) { /* splice pending onto running */
		struct evloop_bh *first = l->pending.next, *last = l->pending.prev;
		first->prev = l->running.prev;
		l->running.prev->next = first;
		last->next = &l->running;
		l->running.prev = last;
		bh_list_init(&l->pending);
	}
	while (!bh_list_empty(&l->running)) {
		struct evloop_bh *b = l->running.next;
		bh_unlink(b);
		b->scheduled = false;
		evloop_fn *fn = b->fn;
		void *opaque = b->opaque;
		bool oneshot = b->oneshot;
		pthread_mutex_unlock(&l->lock);
		fn(opaque);
		if (oneshot)
			free(b);
		pthread_mutex_lock(&l->lock);
	}
	pthread_mutex_unlock(&l->lock);
}

/* ---- signals ---- */

int evloop_signals(struct evloop *l, const int *sigs, unsigned n, evloop_signal_fn *fn, void *opaque)
{
	if (l->has_signals || !fn)
		return -EBUSY;
	l->sig_fn = fn;
	l->sig_opaque = opaque;
#ifdef __APPLE__
	/* EVFILT_SIGNAL sees a signal even when it is ignored; ignoring it is
	 * what keeps the default action (termination) from happening. */
	for (unsigned i = 0; i < n; i++) {
		signal(sigs[i], SIG_IGN);
		int r = kq_change(l->pfd, (uintptr_t)sigs[i], EVFILT_SIGNAL, EV_ADD, 0, NULL);
		if (r)
			return r;
	}
#else
	sigset_t set;
	sigemptyset(&set);
	for (unsigned i = 0; i < n; i++)
		sigaddset(&set, sigs[i]);
	int r = pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (r)
		return -r;
	l->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->sig_fd < 0)
		return -errno;
	l->sig_ent.fd = l->sig_fd;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &l->sig_ent };
	if (epoll_ctl(l->pfd, EPOLL_CTL_ADD, l->sig_fd, &ev) < 0)
		return -errno;
#endif
	l->has_signals = true;
	return 0;
}

#ifndef __APPLE__
static void read_signals(struct evloop *l)
{
	struct signalfd_siginfo si;
	while (read(l->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		l->sig_fn(l->sig_opaque, (int)si.ssi_signo);
}
#endif

/* ---- the loop ---- */

/* The poller's wait with a timeout in nanoseconds (-1: none). Returns the
 * number of events or -errno. */
#ifdef __APPLE__
static int poll_wait(struct evloop *l, struct kevent *evs, int64_t timeout_ns)
{
	struct timespec ts, *tp = NULL;
	if (timeout_ns >= 0) {
		ts.tv_sec = (time_t)(timeout_ns / 1000000000);
		ts.tv_nsec = (long)(timeout_ns % 1000000000);
		tp = &ts;
	}
	int n = kevent(l->pfd, NULL, 0, evs, MAX_EVENTS, tp);
	return n < 0 ? -errno : n;
}
#else
static int poll_wait(struct evloop *l, struct epoll_event *evs, int64_t timeout_ns)
{
#ifdef SYS_epoll_pwait2
	/* Nanosecond timeouts (Linux 5.11); epoll_wait's are milliseconds. */
	static _Atomic bool no_pwait2;
	if (!atomic_load_explicit(&no_pwait2, memory_order_relaxed)) {
		struct timespec ts = { (time_t)(timeout_ns / 1000000000), (long)(timeout_ns % 1000000000) };
		long n = syscall(SYS_epoll_pwait2, l->pfd, evs, MAX_EVENTS, timeout_ns < 0 ? NULL : &ts, NULL, 0);
		if (n >= 0)
			return (int)n;
		if (errno != ENOSYS)
			return -errno;
		atomic_store_explicit(&no_pwait2, true, memory_order_relaxed);
	}
#endif
	int ms = -1;
	if (timeout_ns >= 0)
		ms = timeout_ns > (int64_t)INT_MAX * 1000000 ? INT_MAX : (int)((timeout_ns + 999999) / 1000000);
	int n = epoll_wait(l->pfd, evs, MAX_EVENTS, ms);
	return n < 0 ? -errno : n;
}
#endif

int evloop_run_once(struct evloop *l, int64_t timeout_ns)
{
	struct evloop *outer = current_loop;
	current_loop = l;
	pthread_mutex_lock(&l->lock);
	if (!bh_list_empty(&l->pending) || atomic_load(&l->stop)) {
		timeout_ns = 0;
	} else {
		uint64_t d = next_deadline(l);
		if (d != UINT64_MAX) {
			uint64_t now = host_now_ns();
			int64_t left = d <= now ? 0 : d - now > INT64_MAX ? INT64_MAX : (int64_t)(d - now);
			if (timeout_ns < 0 || left < timeout_ns)
				timeout_ns = left;
		}
	}
	pthread_mutex_unlock(&l->lock);
#ifdef __APPLE__
	struct kevent evs[MAX_EVENTS];
#else
	struct epoll_event evs[MAX_EVENTS];
#endif
	int n = poll_wait(l, evs, timeout_ns);
	if (n == -EINTR)
		n = 0;
	if (n < 0) {
		current_loop = outer;
		return n;
	}
	for (int i = 0; i < n; i++) {
#ifdef __APPLE__
		struct kevent *k = &evs[i];
		if (k->filter == EVFILT_USER) {
			atomic_store(&l->notified, false);
			continue;
		}
		if (k->filter == EVFILT_SIGNAL) {
			l->sig_fn(l->sig_opaque, (int)k->ident);
			continue;
		}
		unsigned ready = k->filter == EVFILT_READ ? EVLOOP_IN : k->filter == EVFILT_WRITE ? EVLOOP_OUT : 0;
		if (k->flags & (EV_EOF | EV_ERROR))
			ready |= EVLOOP_ERR;
		dispatch_fd(l, k->udata, ready);
#else
		struct fd_entry *e = evs[i].data.ptr;
		if (e == &l->wake_ent) {
			uint64_t v;
			ssize_t r = read(l->wake_fd, &v, sizeof(v));
			(void)r;
			atomic_store(&l->notified, false);
			continue;
		}
		if (e == &l->sig_ent) {
			read_signals(l);
			continue;
		}
		uint32_t ev = evs[i].events;
		unsigned ready = ((ev & EPOLLIN) ? EVLOOP_IN : 0) | ((ev & EPOLLOUT) ? EVLOOP_OUT : 0) |
				 ((ev & (EPOLLERR | EPOLLHUP)) ? EVLOOP_ERR : 0);
		dispatch_fd(l, e, ready);
#endif
	}
	run_timers(l);
	run_bhs(l);
	pthread_mutex_lock(&l->lock);
	struct fd_entry *g = l->grave;
	l->grave = NULL;
	pthread_mutex_unlock(&l->lock);
	while (g) {
		struct fd_entry *next = g->grave_next;
		free(g);
		g = next;
	}
	current_loop = outer;
	return 0;
}

int evloop_run(struct evloop *l)
{
	int r = 0;
	while (!atomic_load(&l->stop) && !(r = evloop_run_once(l, -1)))
		;
	atomic_store(&l->stop, false);
	return r;
}

/* ---- I/O threads ---- */

struct iothread {
	struct evloop *l;
	pthread_t thread;
	pthread_mutex_t m;
	pthread_cond_t c;
	unsigned pauses;   /* under m */
	bool parked;       /* under m: the loop waits in park() */
	struct evloop_bh *park_bh;
	char name[16];
};

/* Runs on the loop's thread as deferred work: between iterations, so no
 * other callback of this loop is running. */
static void park(void *opaque)
{
	struct iothread *t = opaque;
	pthread_mutex_lock(&t->m);
	if (t->pauses) {
		t->parked = true;
		pthread_cond_broadcast(&t->c);
		while (t->pauses)
			pthread_cond_wait(&t->c, &t->m);
		t->parked = false;
	}
	pthread_mutex_unlock(&t->m);
}

static void *iothread_main(void *arg)
{
	struct iothread *t = arg;
	host_thread_name(t->name);
	evloop_run(t->l);
	return NULL;
}

struct iothread *iothread_start(const char *name)
{
	struct iothread *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	snprintf(t->name, sizeof(t->name), "%s", name ? name : "iothread");
	pthread_mutex_init(&t->m, NULL);
	pthread_cond_init(&t->c, NULL);
	t->l = evloop_new();
	if (t->l)
		t->park_bh = evloop_bh_new(t->l, park, t);
	if (!t->park_bh || pthread_create(&t->thread, NULL, iothread_main, t)) {
		evloop_bh_free(t->park_bh);
		evloop_free(t->l);
		pthread_cond_destroy(&t->c);
		pthread_mutex_destroy(&t->m);
		free(t);
		return NULL;
	}
	return t;
}

struct evloop *iothread_loop(struct iothread *t) { return t->l; }

int iothread_pause(struct iothread *t)
{
	if (evloop_in_thread(t->l))
		return -EDEADLK;
	pthread_mutex_lock(&t->m);
	if (t->pauses++ == 0)
		evloop_bh_schedule(t->park_bh);
	while (!t->parked)
		pthread_cond_wait(&t->c, &t->m);
	pthread_mutex_unlock(&t->m);
	return 0;
}

void iothread_resume(struct iothread *t)
{
	pthread_mutex_lock(&t->m);
	if (t->pauses && --t->pauses == 0)
		pthread_cond_broadcast(&t->c);
	pthread_mutex_unlock(&t->m);
}

void iothread_stop(struct iothread *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->m);
	t->pauses = 0;
	pthread_cond_broadcast(&t->c);
	pthread_mutex_unlock(&t->m);
	evloop_stop(t->l);
	pthread_join(t->thread, NULL);
	evloop_bh_free(t->park_bh);
	evloop_free(t->l);
	pthread_cond_destroy(&t->c);
	pthread_mutex_destroy(&t->m);
	free(t);
}

/* ---- the worker pool ---- */

struct job {
	struct evloop_bh bh; /* the completion, preallocated */
	evloop_fn *work, *done;
	void *opaque;
	struct job *next;
};

struct workpool {
	pthread_mutex_t m;
	pthread_cond_t c;
	struct job *head, **tail;
	bool stop;
	unsigned n;
	char name[16];
	pthread_t threads[];
};

static void job_complete(void *opaque)
{
	struct job *j = opaque;
	j->done(j->opaque);
	free(j);
}

static void *worker_main(void *arg)
{
	struct workpool *p = arg;
	host_thread_name(p->name);
	pthread_mutex_lock(&p->m);
	for (;;) {
		while (!p->head && !p->stop)
			pthread_cond_wait(&p->c, &p->m);
		struct job *j = p->head;
		if (!j)
			break; /* stopping and drained */
		p->head = j->next;
		if (!p->head)
			p->tail = &p->head;
		pthread_mutex_unlock(&p->m);
		j->work(j->opaque);
		evloop_bh_schedule(&j->bh);
		pthread_mutex_lock(&p->m);
	}
	pthread_mutex_unlock(&p->m);
	return NULL;
}

struct workpool *workpool_new(unsigned nthreads, const char *name)
{
	if (!nthreads)
		nthreads = 1;
	struct workpool *p = calloc(1, sizeof(*p) + nthreads * sizeof(pthread_t));
	if (!p)
		return NULL;
	pthread_mutex_init(&p->m, NULL);
	pthread_cond_init(&p->c, NULL);
	p->tail = &p->head;
	snprintf(p->name, sizeof(p->name), "%s", name ? name : "worker");
	for (; p->n < nthreads; p->n++)
		if (pthread_create(&p->threads[p->n], NULL, worker_main, p))
			break;
	if (!p->n) {
		workpool_free(p);
		return NULL;
	}
	return p;
}

int workpool_submit(struct workpool *p, struct evloop *loop, evloop_fn *work, evloop_fn *done, void *opaque)
{
	struct job *j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->bh.l = loop;
	j->bh.fn = job_complete;
	j->bh.opaque = j;
	j->work = work;
	j->done = done;
	j->opaque = opaque;
	pthread_mutex_lock(&p->m);
	*p->tail = j;
	p->tail = &j->next;
	pthread_cond_signal(&p->c);
	pthread_mutex_unlock(&p->m);
	return 0;
}

void workpool_free(struct workpool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->m);
	p->stop = true;
	pthread_cond_broadcast(&p->c);
	pthread_mutex_unlock(&p->m);
	for (unsigned i = 0; i < p->n; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->c);
	pthread_mutex_destroy(&p->m);
	free(p);
}
