/* The monitors of a running struct vm (main.c): QMP and HMP sockets from
 * the command line, the backend that drives the VM, and the lifecycle
 * events (RESET, SHUTDOWN) sent when a boot ends. Main thread. */
#ifndef AVMM_MONITOR_MONITOR_VM_H
#define AVMM_MONITOR_MONITOR_VM_H

#include <stdbool.h>

#include "vmm/vm.h"

#define MONITOR_MAX_SOCKETS 8

struct monitor_opts {
	const char *name;                         /* -name */
	const char *qmp[MONITOR_MAX_SOCKETS];     /* -qmp */
	unsigned nqmp;
	const char *hmp[MONITOR_MAX_SOCKETS];     /* -monitor */
	unsigned nhmp;
};

/* Listens on every socket. 0, or -1 after a message. */
int monitor_vm_start(struct vm *vm, struct evloop *l, const struct monitor_opts *o);
/* What asked the VM to stop next (a SHUTDOWN/RESET reason: "host-signal"). */
void monitor_vm_reason(const char *reason);
/* vm_run returned st; rebooting: the machine boots again. Sends RESET or
 * SHUTDOWN. */
void monitor_vm_boot_ended(enum vm_state st, bool rebooting);
/* Flushes what can be written without waiting, closes every socket. */
void monitor_vm_stop(void);

#endif
