/* The serial console: the guest UART's output to stdout or a file, and
 * the terminal's input to the UART, with QEMU's escapes (Ctrl-A x quits,
 * Ctrl-A Ctrl-A sends Ctrl-A). The terminal goes to raw mode while the VM
 * runs and is restored on every exit path.
 *
 * Once per process: console_open() before the vCPUs run, console_close()
 * at exit. Nothing in it belongs to one boot of the guest, so it carries
 * over a machine reset untouched (the UART it feeds must be reset in place,
 * not reallocated, and outlive console_close()).
 *
 * Output never blocks the caller: console_output() copies into a buffer
 * that the console's own thread writes out when the output takes it (poll
 * for POLLOUT). When the buffer is full the new bytes are dropped and
 * counted, as a real UART with nobody listening loses them; the guest sees
 * its UART drain as usual. The first write error is reported once on
 * stderr, naming the output, and makes console_had_error() true (avmm then
 * exits non-zero); later output is dropped. */
#ifndef AVMM_VMM_CONSOLE_H
#define AVMM_VMM_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct vm;
struct pl011;

/* spec: "stdio" (or NULL), "none" or "file:PATH" (truncated once, here).
 * For stdio, starts the input thread, which feeds `uart` with back-pressure
 * and sends Ctrl-A x to vm as a power-off request. 0, or -1 with a message
 * (a second call is refused). */
int console_open(const char *spec, struct vm *vm, struct pl011 *uart);
/* The guest's output (any thread, any lock held: it takes only the
 * console's own buffer lock, for a copy). */
void console_output(const uint8_t *buf, size_t n);
/* Stop input, write out what is buffered (waiting at most 1 s in all, so a
 * blocked stdout does not hold up exit), make a file's data durable, report
 * dropped output once on stderr, restore the terminal. Idempotent. */
void console_close(void);
/* A write to the output failed (reported on stderr when it happened). */
bool console_had_error(void);
/* Bytes written, and dropped (buffer full, unwritten at exit, or after an error). */
void console_print_stats(FILE *f);
/* Restore the terminal (idempotent, async-signal-safe). */
void console_restore_terminal(void);

#endif
