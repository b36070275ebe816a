/* The serial console (see console.h): an output buffer drained by its own
 * thread, and an input thread feeding the UART with back-pressure.
 *
 * Lock order: a caller's locks (the MMIO bus, the PL011's) before out.lock;
 * out.lock is held only to copy bytes and update counters, never across a
 * system call that can block. The input thread calls into the PL011 with no
 * console lock held. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "host/host.h"
#include "hw/pl011.h"
#include "vmm/console.h"
#include "vmm/vm.h"

/* The terminal state is process-wide by nature (one controlling terminal),
 * and so is the console: documented globals, touched only here. */
static struct termios saved_tio;
static volatile sig_atomic_t tio_saved;
static bool opened, closed;

#define OUT_RING (256u << 10)     /* a few seconds of a fast boot log */
#define FLUSH_NS 1000000000ull    /* console_close waits this long, at most, for the output */
#define STALL_NS 200000000ull     /* or this long without progress */
#define JOIN_GRACE_NS 100000000ull /* and this long for a thread to finish once told to */
#define IN_HOLD (64u << 10)       /* input read from stdin but not yet taken by the UART */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t data;     /* the drain thread waits for bytes */
	pthread_cond_t progress; /* console_close waits for the drain thread */
	atomic_bool active;      /* console_output takes bytes */
	uint8_t ring[OUT_RING];
	size_t head, count;      /* oldest byte, bytes queued (including those being written) */
	bool waiting;            /* the drain thread sleeps on `data` */
	bool stop, done;         /* told to stop / has stopped */
	bool abandoned;          /* console_close gave up waiting for the thread */
	bool dead;               /* a write failed: drop everything */
	int err;                 /* that write's errno */
	uint64_t written, dropped;
	int fd;
	bool own_fd, regular;
	size_t chunk;            /* bytes one write may carry without blocking after POLLOUT */
	char name[PATH_MAX + 32]; /* for messages: "-serial file:PATH: cannot write to 'PATH'" */
	int wake[2];             /* tells a drain thread waiting in poll() to stop */
	pthread_t thread;
	bool started;
} out = { .lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1, .wake = { -1, -1 } };

static struct {
	pthread_t thread;
	bool started;
	atomic_bool stop;
	bool done; /* under out.lock, signalled on out.progress */
	int pipe[2]; /* wakes the input thread: stop, or room in the UART */
	struct vm *vm;
	struct pl011 *uart;
	uint8_t hold[IN_HOLD];
} in = { .pipe = { -1, -1 } };

void console_restore_terminal(void)
{
	if (tio_saved) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
		tio_saved = 0;
	}
}

/* A message on stderr that cannot hold anything up: dropped if stderr does
 * not take it within 100 ms (it may be the same blocked pipe as stdout). */
static void note(const char *fmt, ...)
{
	char m[PATH_MAX + 256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	if ((size_t)n >= sizeof(m))
		n = (int)sizeof(m) - 1;
	struct pollfd p = { STDERR_FILENO, POLLOUT, 0 };
	if (poll(&p, 1, 100) == 1 && !(p.revents & POLLNVAL)) {
		ssize_t r = write(STDERR_FILENO, m, (size_t)n);
		(void)r;
	}
}

static int pipe_nb(int p[2])
{
	if (pipe(p))
		return -1;
	for (int i = 0; i < 2; i++) {
		fcntl(p[i], F_SETFD, FD_CLOEXEC);
		fcntl(p[i], F_SETFL, fcntl(p[i], F_GETFL) | O_NONBLOCK);
	}
	return 0;
}

static void close_pipe(int p[2])
{
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0) {
			close(p[i]);
			p[i] = -1;
		}
}

static void poke(int fd)
{
	ssize_t r = write(fd, "", 1); /* non-blocking: a full pipe already wakes the reader */
	(void)r;
}

/* Console threads take no asynchronous signals (those are for the main
 * thread), and a write to a closed pipe gives EPIPE here instead of SIGPIPE:
 * the output going away is an output error, not the VMM's death. */
static int start_thread(pthread_t *t, void *(*fn)(void *))
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int r = pthread_create(t, NULL, fn, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

/* ---- output ---- */

void console_output(const uint8_t *buf, size_t n)
{
	if (!n || !atomic_load_explicit(&out.active, memory_order_acquire))
		return;
	pthread_mutex_lock(&out.lock);
	size_t k = 0;
	if (!out.dead && !out.stop) {
		size_t room = OUT_RING - out.count;
		k = n < room ? n : room;
		size_t tail = (out.head + out.count) % OUT_RING, first = OUT_RING - tail;
		if (first > k)
			first = k;
		memcpy(out.ring + tail, buf, first);
		memcpy(out.ring, buf + first, k - first);
		out.count += k;
		if (k && out.waiting)
			pthread_cond_signal(&out.data);
	}
	out.dropped += n - k;
	pthread_mutex_unlock(&out.lock);
}

/* Write up to n bytes once the output is ready for them: > 0 written, 0 for
 * nothing this time (told to stop, interrupted, spurious readiness), or
 * -errno. */
static ssize_t write_ready(const uint8_t *buf, size_t n)
{
	struct pollfd p[2] = { { out.fd, POLLOUT, 0 }, { out.wake[0], POLLIN, 0 } };
	if (poll(p, 2, -1) < 0)
		return errno == EINTR ? 0 : -errno;
	if (p[1].revents)
		return 0;
	if (p[0].revents & POLLNVAL)
		return -EBADF;
	if (!p[0].revents)
		return 0;
	ssize_t w = write(out.fd, buf, n);
	if (w > 0)
		return w;
	if (w == 0)
		return -EIO; /* a write that takes nothing would spin */
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		/* Ready but not taking (someone made the fd non-blocking and poll
		 * is optimistic): do not spin. */
		struct pollfd q = { out.wake[0], POLLIN, 0 };
		poll(&q, 1, 10);
		return 0;
	}
	return errno == EINTR ? 0 : -errno;
}

static void *drain_main(void *arg)
{
	(void)arg;
	host_thread_name("avmm-console");
	pthread_mutex_lock(&out.lock);
	for (;;) {
		while (!out.count && !out.stop) {
			out.waiting = true;
			pthread_cond_wait(&out.data, &out.lock);
			out.waiting = false;
		}
		if (out.stop)
			break;
		/* The bytes [head, head+n) stay ours while we write them:
		 * producers append behind them, nobody else moves head. */
		size_t n = out.count, edge = OUT_RING - out.head;
		if (n > edge)
			n = edge;
		if (n > out.chunk)
			n = out.chunk;
		const uint8_t *p = out.ring + out.head;
		pthread_mutex_unlock(&out.lock);
		ssize_t w = write_ready(p, n);
		pthread_mutex_lock(&out.lock);
		if (out.abandoned)
			break;
		if (w > 0) {
			out.head = (out.head + (size_t)w) % OUT_RING;
			out.count -= (size_t)w;
			out.written += (uint64_t)w;
		} else if (w < 0) {
			out.dead = true;
			out.err = (int)-w;
			out.dropped += out.count;
			out.count = 0;
		}
		pthread_cond_broadcast(&out.progress);
		if (out.dead) {
			pthread_mutex_unlock(&out.lock);
			note("avmm: %s: %s; later guest output is dropped\n", out.name, strerror(out.err));
			pthread_mutex_lock(&out.lock);
			break;
		}
	}
	out.done = true;
	pthread_cond_broadcast(&out.progress);
	pthread_mutex_unlock(&out.lock);
	return NULL;
}

static int output_start(int fd, bool own, const char *name)
{
	struct stat st;
	out.fd = fd;
	out.own_fd = own;
	out.regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	/* After POLLOUT a pipe takes PIPE_BUF bytes and a terminal at least a
	 * few hundred without blocking; a file takes anything. */
	out.chunk = out.regular ? 65536 : isatty(fd) ? 256 : PIPE_BUF;
	snprintf(out.name, sizeof(out.name), "%s", name);
	if (host_cond_init(&out.progress) || pthread_cond_init(&out.data, NULL) || pipe_nb(out.wake) ||
	    start_thread(&out.thread, drain_main)) {
		fprintf(stderr, "avmm: cannot start the console output thread\n");
		return -1;
	}
	out.started = true;
	atomic_store_explicit(&out.active, true, memory_order_release);
	return 0;
}

/* Wait until *done (under out.lock) or the deadline; join the thread if it
 * finished, else leave it (it is stuck in a system call; process exit ends
 * it). Returns whether it was joined. */
static bool join_until(pthread_t t, const bool *done, uint64_t deadline)
{
	pthread_mutex_lock(&out.lock);
	while (!*done && host_cond_wait_until(&out.progress, &out.lock, deadline) != ETIMEDOUT)
		;
	bool d = *done;
	pthread_mutex_unlock(&out.lock);
	if (d)
		pthread_join(t, NULL);
	else
		pthread_detach(t);
	return d;
}

static void output_close(uint64_t deadline)
{
	if (!out.started)
		return;
	pthread_mutex_lock(&out.lock);
	/* Wait while the output takes bytes; give up at the deadline, or
	 * sooner when it stalls (a blocked stdout makes no progress at all). */
	uint64_t seen = out.written, stall = host_now_ns() + STALL_NS;
	while (out.count && !out.done) {
		uint64_t until = stall < deadline ? stall : deadline;
		if (host_cond_wait_until(&out.progress, &out.lock, until) == ETIMEDOUT) {
			if (out.written == seen || host_now_ns() >= deadline)
				break;
		}
		if (out.written != seen) {
			seen = out.written;
			stall = host_now_ns() + STALL_NS;
		}
	}
	out.stop = true; /* console_output drops from here on */
	pthread_cond_signal(&out.data);
	pthread_mutex_unlock(&out.lock);
	poke(out.wake[1]);
	uint64_t until = host_now_ns() + JOIN_GRACE_NS; /* woken from poll, it stops at once */
	pthread_mutex_lock(&out.lock);
	while (!out.done && host_cond_wait_until(&out.progress, &out.lock, until) != ETIMEDOUT)
		;
	bool joined = out.done;
	out.abandoned = !joined; /* the thread accounts for nothing more */
	out.dropped += out.count;
	out.count = 0;
	pthread_mutex_unlock(&out.lock);
	atomic_store(&out.active, false);
	out.started = false;
	if (!joined) {
		/* Stuck in a write to a blocked output: it keeps the fd and
		 * the ring until the process exits. */
		pthread_detach(out.thread);
		return;
	}
	pthread_join(out.thread, NULL);
	if (out.regular && !out.dead) {
		int r = host_sync_data(out.fd);
		if (r && r != -EINVAL && r != -ENOTSUP) {
			out.dead = true;
			out.err = -r;
			note("avmm: %s: %s\n", out.name, strerror(-r));
		}
	}
	if (out.own_fd)
		close(out.fd);
	out.fd = -1;
	close_pipe(out.wake);
}

bool console_had_error(void)
{
	pthread_mutex_lock(&out.lock);
	bool e = out.dead;
	pthread_mutex_unlock(&out.lock);
	return e;
}

void console_print_stats(FILE *f)
{
	pthread_mutex_lock(&out.lock);
	uint64_t w = out.written, d = out.dropped;
	int err = out.dead ? out.err : 0;
	pthread_mutex_unlock(&out.lock);
	fprintf(f, "avmm: serial: %" PRIu64 " bytes written, %" PRIu64 " dropped%s%s\n", w, d,
		err ? ", write error: " : "", err ? strerror(err) : "");
}

/* ---- input ---- */

/* The UART has room again (called with its lock held). */
static void input_room(void *opaque)
{
	(void)opaque;
	poke(in.pipe[1]);
}

static void *input_main(void *arg)
{
	(void)arg;
	host_thread_name("avmm-input");
	bool escape = false, eof = false;
	size_t off = 0, held = 0; /* in.hold[off, off+held): read, not yet taken by the UART */
	while (!atomic_load(&in.stop)) {
		if (held) {
			size_t k = pl011_receive(in.uart, in.hold + off, held);
			off += k;
			held -= k;
		}
		if (!held)
			off = 0;
		else if (off && IN_HOLD - off - held < 256) {
			memmove(in.hold, in.hold + off, held);
			off = 0;
		}
		if (eof && !held)
			break;
		size_t space = IN_HOLD - off - held;
		/* A full hold stops reading: the terminal's own buffer holds the rest. */
		struct pollfd p[2] = { { (eof || !space) ? -1 : STDIN_FILENO, POLLIN, 0 }, { in.pipe[0], POLLIN, 0 } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents) {
			uint8_t junk[64];
			while (read(in.pipe[0], junk, sizeof(junk)) > 0)
				;
		}
		if (!p[0].revents)
			continue;
		uint8_t buf[256];
		ssize_t n = read(STDIN_FILENO, buf, space < sizeof(buf) ? space : sizeof(buf));
		if (n <= 0) {
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			eof = true; /* no more input; what is held still goes in */
			continue;
		}
		uint8_t *dst = in.hold + off + held;
		size_t m = 0; /* escapes only shrink: m <= n <= space */
		for (ssize_t i = 0; i < n; i++) {
			uint8_t ch = buf[i];
			if (escape) {
				escape = false;
				if (ch == 'x' || ch == 'X') {
					vm_request(in.vm, VM_OFF);
					note("\r\navmm: terminated (Ctrl-A x)\r\n");
					goto out;
				}
				if (ch == 1)
					dst[m++] = 1;
				continue; /* other escapes: ignored */
			}
			if (ch == 1) {
				escape = true;
				continue;
			}
			dst[m++] = ch;
		}
		held += m;
	}
out:
	pthread_mutex_lock(&out.lock);
	in.done = true;
	pthread_cond_broadcast(&out.progress);
	pthread_mutex_unlock(&out.lock);
	return NULL;
}

static void input_start(struct vm *vm, struct pl011 *uart)
{
	in.vm = vm;
	in.uart = uart;
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
		struct termios raw = saved_tio;
		cfmakeraw(&raw);
		raw.c_oflag |= OPOST | ONLCR; /* keep output newlines readable */
		tio_saved = 1;
		atexit(console_restore_terminal);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	if (pipe_nb(in.pipe) == 0 && start_thread(&in.thread, input_main) == 0) {
		in.started = true;
		pl011_set_rx_notify(uart, input_room, NULL);
	} else {
		fprintf(stderr, "avmm: cannot start the console input thread: no input to the guest\n");
	}
}

static void input_close(uint64_t deadline)
{
	if (!in.started)
		return;
	atomic_store(&in.stop, true);
	poke(in.pipe[1]);
	in.started = false;
	if (join_until(in.thread, &in.done, deadline)) {
		pl011_set_rx_notify(in.uart, NULL, NULL);
		close_pipe(in.pipe);
	} /* else: left to exit, with its pipe (the UART may still poke it) */
}

/* ---- open / close ---- */

int console_open(const char *spec, struct vm *vm, struct pl011 *uart)
{
	if (opened) {
		fprintf(stderr, "avmm: the console is opened once per process\n");
		return -1;
	}
	opened = true;
	if (!spec || !strcmp(spec, "stdio")) {
		if (output_start(STDOUT_FILENO, false, "-serial stdio: cannot write to stdout"))
			return -1;
		input_start(vm, uart);
		return 0;
	}
	if (!strcmp(spec, "none"))
		return 0;
	if (!strncmp(spec, "file:", 5) && spec[5]) {
		const char *path = spec + 5;
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, "avmm: -serial %s: cannot open '%s': %s\n", spec, path, strerror(errno));
			return -1;
		}
		char name[sizeof(out.name)];
		snprintf(name, sizeof(name), "-serial %s: cannot write to '%s'", spec, path);
		if (output_start(fd, true, name)) {
			close(fd);
			return -1;
		}
		return 0;
	}
	fprintf(stderr, "avmm: -serial %s: use stdio, none or file:PATH\n", spec);
	return -1;
}

void console_close(void)
{
	if (!closed) {
		closed = true;
		uint64_t t0 = host_now_ns();
		input_close(t0 + JOIN_GRACE_NS);
		output_close(t0 + FLUSH_NS);
		pthread_mutex_lock(&out.lock);
		uint64_t d = out.dropped;
		bool dead = out.dead;
		pthread_mutex_unlock(&out.lock);
		if (d)
			note("avmm: serial: %" PRIu64 " bytes of guest output dropped (%s)\n", d,
			     dead ? "after the write error" : "the output did not take them");
	}
	console_restore_terminal();
}
