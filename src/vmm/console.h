/* The serial console: the guest UART's output to a file descriptor, and
 * the terminal's input to the UART, with QEMU's escapes (Ctrl-A x quits,
 * Ctrl-A Ctrl-A sends Ctrl-A). The terminal goes to raw mode while the VM
 * runs and is restored on every exit path. */
#ifndef AVMM_VMM_CONSOLE_H
#define AVMM_VMM_CONSOLE_H

#include <stdbool.h>

struct vm;
struct pl011;

/* spec: "stdio", "none" or "file:PATH". Returns the output fd (or -1 for
 * none) and starts the input thread for stdio; -1 with a message on error
 * sets *err. */
int console_open(const char *spec, struct vm *vm, struct pl011 *uart, bool *err);
void console_close(void);
/* Restore the terminal (idempotent, async-signal-safe). */
void console_restore_terminal(void);

#endif
