/* Event loops, I/O threads and a worker pool (DESIGN.md §5.3).
 *
 * An evloop waits on epoll (Linux) or kqueue (macOS) and dispatches, on the
 * thread that runs it, in this order each iteration: ready file descriptors,
 * expired timers (a heap on the monotonic clock), then deferred work
 * ("bottom halves", FIFO). Every function here may be called from any thread
 * unless it says otherwise; callbacks always run on the loop's thread with no
 * evloop lock held, so they may add, modify, remove and free handlers,
 * timers and bottom halves, their own included.
 *
 * The main thread runs the main loop (main.c: signals, the VM's state
 * changes; later QMP, the monitor, gdbstub, VNC, libslirp). An iothread is a
 * loop on a thread of its own, for a device's back end, with pause/resume
 * acknowledged by the loop (cloud-hypervisor's EpollHelper). Blocking work
 * (preadv, fsync) goes to a workpool; its completion comes back to the
 * submitting loop as deferred work. A vCPU thread never waits for any of it.
 *
 * Not async-signal-safe (evloop_signals is how a loop takes signals). */
#ifndef AVMM_VMM_EVLOOP_H
#define AVMM_VMM_EVLOOP_H

#include <stdbool.h>
#include <stdint.h>

struct evloop;
struct evloop_timer;
struct evloop_bh;

/* fd interest and readiness. EVLOOP_ERR (error or hang-up) is reported
 * without being asked for (kqueue: while IN or OUT is wanted), with
 * EVLOOP_IN when the fd wants input (a read then returns the error or EOF). */
enum { EVLOOP_IN = 1u << 0, EVLOOP_OUT = 1u << 1, EVLOOP_ERR = 1u << 2 };

typedef void evloop_fd_fn(void *opaque, int fd, unsigned events);
typedef void evloop_fn(void *opaque);
typedef void evloop_signal_fn(void *opaque, int sig);

/* NULL on failure (errno set). */
struct evloop *evloop_new(void);
/* Frees the loop, its fd handlers and pending one-shot deferred work
 * (without calling them). Timers and bottom halves made with _new belong to
 * their creators, who free them first. Not while the loop runs. */
void evloop_free(struct evloop *l);

/* Runs until evloop_stop (a stop requested before the call ends it at once;
 * the request is consumed when run returns). 0, or -errno if waiting
 * failed. */
int evloop_run(struct evloop *l);
/* One iteration: waits at most timeout_ns (-1: no limit; 0: poll). */
int evloop_run_once(struct evloop *l, int64_t timeout_ns);
void evloop_stop(struct evloop *l);
/* Wake the loop if it is waiting (it then runs one more iteration). */
void evloop_wake(struct evloop *l);
/* True on the thread currently running the loop. */
bool evloop_in_thread(struct evloop *l);

/* One handler per fd. 0, -EEXIST, -ENOMEM or the poller's -errno.
 * Removing from another thread while the handler runs: the call returns at
 * once and the running call finishes; remove on the loop's thread to be
 * sure no call follows or is in progress. */
int evloop_fd_add(struct evloop *l, int fd, unsigned events, evloop_fd_fn *fn, void *opaque);
int evloop_fd_modify(struct evloop *l, int fd, unsigned events);
int evloop_fd_remove(struct evloop *l, int fd);

/* Timers: created disarmed. arm: fire at deadline_ns (host_now_ns units),
 * then every period_ns if non-zero (a late periodic timer skips the periods
 * it missed rather than firing in a burst). Re-arming an armed timer moves
 * it; cancel disarms (a timer already due but not yet called is not
 * called). free cancels too; inside its own callback is allowed. */
struct evloop_timer *evloop_timer_new(struct evloop *l, evloop_fn *fn, void *opaque);
void evloop_timer_arm(struct evloop_timer *t, uint64_t deadline_ns, uint64_t period_ns);
void evloop_timer_cancel(struct evloop_timer *t);
bool evloop_timer_armed(struct evloop_timer *t);
void evloop_timer_free(struct evloop_timer *t);

/* Bottom halves: a callback to run once on the loop's thread soon after
 * it is scheduled; scheduling one that is already pending does nothing (it
 * runs once). Rescheduling from its own callback runs it next iteration. */
struct evloop_bh *evloop_bh_new(struct evloop *l, evloop_fn *fn, void *opaque);
void evloop_bh_schedule(struct evloop_bh *b);
void evloop_bh_cancel(struct evloop_bh *b);
void evloop_bh_free(struct evloop_bh *b);
/* One-shot deferred work (allocates): 0 or -ENOMEM. */
int evloop_defer(struct evloop *l, evloop_fn *fn, void *opaque);

/* Take these signals on the loop instead of as handlers: Linux blocks them
 * in the calling thread (call before creating other threads, which inherit
 * the mask) and reads them from a signalfd; macOS sets them to SIG_IGN and
 * watches them with EVFILT_SIGNAL. Once per loop. 0 or -errno. */
int evloop_signals(struct evloop *l, const int *sigs, unsigned n, evloop_signal_fn *fn, void *opaque);

/* ---- I/O threads ---- */

struct iothread;

/* A new loop running on a new thread named `name`. NULL on failure. */
struct iothread *iothread_start(const char *name);
struct evloop *iothread_loop(struct iothread *t);
/* Returns once the loop is parked between iterations (no callback of it
 * running, none will run until resume). Nests: the loop runs again after
 * as many resumes as pauses. -EDEADLK from the loop's own thread. */
int iothread_pause(struct iothread *t);
void iothread_resume(struct iothread *t);
/* Stops the loop (resuming it if paused), joins the thread, frees both. */
void iothread_stop(struct iothread *t);

/* ---- worker pool for blocking back ends ---- */

struct workpool;

/* nthreads workers (at least 1). NULL on failure. */
struct workpool *workpool_new(unsigned nthreads, const char *name);
/* Runs work(opaque) on a worker, then done(opaque) on `loop` as deferred
 * work. No allocation happens after this returns 0 (or -ENOMEM), so a
 * completion cannot be lost. */
int workpool_submit(struct workpool *p, struct evloop *loop, evloop_fn *work, evloop_fn *done, void *opaque);
/* Waits for the queued and running jobs (their completions are queued on
 * their loops) and frees the pool. */
void workpool_free(struct workpool *p);

#endif
