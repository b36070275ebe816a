#include "oracle-client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Read exactly n bytes, waiting at most timeout_ms without progress.
 * 1: done, 0: EOF before any byte, -1: error/short read/timeout (err set). */
static int read_exact(int fd, void *buf, size_t n, int timeout_ms, char *err, size_t errlen)
{
	uint8_t *p = buf;
	size_t got = 0;
	uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
	while (got < n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t t = now_ms();
		int wait = t >= deadline ? 0 : (int)(deadline - t);
		int pr = poll(&pfd, 1, wait);
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "poll on the oracle pipe: %s", strerror(errno));
			return -1;
		}
		if (pr == 0) {
			snprintf(err, errlen, "oracle timed out (no output for %d ms; a case may loop forever)",
				 timeout_ms);
			return -1;
		}
		ssize_t r = read(fd, p + got, n - got);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			snprintf(err, errlen, "read from the oracle: %s", strerror(errno));
			return -1;
		}
		if (r == 0) {
			if (got == 0) {
				snprintf(err, errlen, "oracle closed its output (it died or exited)");
				return 0;
			}
			snprintf(err, errlen, "oracle output ended in the middle of a record");
			return -1;
		}
		got += (size_t)r;
		deadline = now_ms() + (uint64_t)timeout_ms;
	}
	return 1;
}

int oracle_start(struct oracle *o, const char *qemu, const char *cpu, const char *oracle_path,
		 char *err, size_t errlen)
{
	int in[2], out[2];
	o->pid = -1;
	o->to_fd = o->from_fd = -1;
	if (access(oracle_path, R_OK) != 0) {
		snprintf(err, errlen, "oracle binary %s: %s", oracle_path, strerror(errno));
		return -1;
	}
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	/* Bigger pipes: fewer context switches per case (best effort). */
	fcntl(in[1], F_SETPIPE_SZ, 1 << 20);
	fcntl(out[1], F_SETPIPE_SZ, 1 << 20);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		const char *argv[] = { qemu, "-cpu", cpu, oracle_path, NULL };
		execvp(qemu, (char *const *)argv);
		fprintf(stderr, "isa: cannot execute %s: %s\n", qemu, strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	o->pid = pid;
	o->to_fd = in[1];
	o->from_fd = out[0];

	struct isa_hello h;
	char e2[256];
	int r = read_exact(o->from_fd, &h, sizeof(h), 30000, e2, sizeof(e2));
	if (r != 1) {
		char st[128];
		oracle_wait(o, 1, st, sizeof(st));
		snprintf(err, errlen, "oracle did not start (%s; %s)", e2, st);
		return -1;
	}
	if (h.magic != ISA_HELLO_MAGIC || h.version != ISA_PROTO_VERSION || h.case_size != sizeof(struct isa_case) ||
	    h.result_hdr != ISA_RESULT_HDR_SIZE) {
		char st[128];
		oracle_wait(o, 1, st, sizeof(st));
		snprintf(err, errlen,
			 "oracle hello mismatch (magic %#x version %u case %u hdr %u; expected version %u case %zu hdr %zu): "
			 "rebuild isa-oracle",
			 h.magic, h.version, h.case_size, h.result_hdr, ISA_PROTO_VERSION, sizeof(struct isa_case),
			 (size_t)ISA_RESULT_HDR_SIZE);
		return -1;
	}
	return 0;
}

int oracle_send(struct oracle *o, const struct isa_case *c)
{
	const uint8_t *p = (const uint8_t *)c;
	size_t n = sizeof(*c);
	while (n) {
		ssize_t w = write(o->to_fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int oracle_recv(struct oracle *o, uint64_t mem_seed, struct isa_result *r, int timeout_ms, char *err,
		size_t errlen)
{
	int rr = read_exact(o->from_fd, r, ISA_RESULT_HDR_SIZE, timeout_ms, err, errlen);
	if (rr != 1)
		return -1;
	if (r->magic != ISA_RESULT_MAGIC) {
		snprintf(err, errlen, "bad result record from the oracle (magic %#x)", r->magic);
		return -1;
	}
	isa_fill_mem(r->mem, mem_seed);
	for (unsigned k = 0; k < 64; k++) {
		if (!(r->mem_dirty >> k & 1))
			continue;
		if (read_exact(o->from_fd, r->mem + k * ISA_MEM_CHUNK, ISA_MEM_CHUNK, timeout_ms, err, errlen) != 1) {
			if (!err[0])
				snprintf(err, errlen, "oracle output ended inside a result");
			return -1;
		}
	}
	return 0;
}

void oracle_close_input(struct oracle *o)
{
	if (o->to_fd >= 0) {
		close(o->to_fd);
		o->to_fd = -1;
	}
}

int oracle_wait(struct oracle *o, int kill_it, char *buf, size_t len)
{
	oracle_close_input(o);
	if (o->pid <= 0) {
		snprintf(buf, len, "not running");
		return -1;
	}
	if (kill_it)
		kill(o->pid, SIGKILL);
	int st = 0;
	while (waitpid(o->pid, &st, 0) < 0 && errno == EINTR)
		;
	o->pid = -1;
	if (o->from_fd >= 0) {
		close(o->from_fd);
		o->from_fd = -1;
	}
	if (WIFEXITED(st)) {
		snprintf(buf, len, "exit status %d", WEXITSTATUS(st));
		return WEXITSTATUS(st) == 0 ? 0 : -1;
	}
	if (WIFSIGNALED(st)) {
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
		return -1;
	}
	snprintf(buf, len, "wait status %#x", st);
	return -1;
}
