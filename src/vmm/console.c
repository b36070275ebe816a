#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "hw/pl011.h"
#include "vmm/console.h"
#include "vmm/vm.h"

/* The terminal state is process-wide by nature (one controlling terminal):
 * documented global, touched only here. */
static struct termios saved_tio;
static volatile sig_atomic_t tio_saved;
static pthread_t input_thread;
static bool input_started;
static int stop_pipe[2] = { -1, -1 };
static struct vm *input_vm;
static struct pl011 *input_uart;

void console_restore_terminal(void)
{
	if (tio_saved) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
		tio_saved = 0;
	}
}

static void feed(const uint8_t *buf, size_t n)
{
	/* Back-pressure: wait while the UART's receive FIFO is full. */
	while (n) {
		size_t k = pl011_receive(input_uart, buf, n);
		buf += k;
		n -= k;
		if (n) {
			if (atomic_load(&input_vm->state) != VM_RUNNING)
				return;
			usleep(1000);
		}
	}
}

static void *input_main(void *arg)
{
	(void)arg;
	bool escape = false;
	for (;;) {
		struct pollfd p[2] = { { STDIN_FILENO, POLLIN, 0 }, { stop_pipe[0], POLLIN, 0 } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		uint8_t buf[256], out[256];
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			break; /* EOF: no more input */
		}
		size_t m = 0;
		for (ssize_t i = 0; i < n; i++) {
			uint8_t ch = buf[i];
			if (escape) {
				escape = false;
				if (ch == 'x' || ch == 'X') {
					fprintf(stderr, "\r\navmm: terminated (Ctrl-A x)\r\n");
					vm_request(input_vm, VM_OFF);
					return NULL;
				}
				if (ch == 1)
					out[m++] = 1;
				continue; /* other escapes: ignored */
			}
			if (ch == 1) {
				escape = true;
				continue;
			}
			out[m++] = ch;
		}
		feed(out, m);
	}
	return NULL;
}

int console_open(const char *spec, struct vm *vm, struct pl011 *uart, bool *err)
{
	*err = false;
	if (!spec || !strcmp(spec, "stdio")) {
		input_vm = vm;
		input_uart = uart;
		if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
			struct termios raw = saved_tio;
			cfmakeraw(&raw);
			raw.c_oflag |= OPOST | ONLCR; /* keep output newlines readable */
			tio_saved = 1;
			atexit(console_restore_terminal); /* signals: main.c */
			tcsetattr(STDIN_FILENO, TCSANOW, &raw);
		}
		if (pipe(stop_pipe) == 0 && pthread_create(&input_thread, NULL, input_main, NULL) == 0)
			input_started = true;
		return STDOUT_FILENO;
	}
	if (!strcmp(spec, "none"))
		return -1;
	if (!strncmp(spec, "file:", 5) && spec[5]) {
		int fd = open(spec + 5, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, "avmm: -serial %s: cannot open '%s': %s\n", spec, spec + 5, strerror(errno));
			*err = true;
		}
		return fd;
	}
	fprintf(stderr, "avmm: -serial %s: use stdio, none or file:PATH\n", spec);
	*err = true;
	return -1;
}

void console_close(void)
{
	if (input_started) {
		ssize_t r = write(stop_pipe[1], "", 1);
		(void)r;
		pthread_join(input_thread, NULL);
		input_started = false;
	}
	console_restore_terminal();
}
