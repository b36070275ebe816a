/* The monitor backend for a real VM (monitor-vm.h). */
#include "monitor/monitor-vm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "machine/virt.h"
#include "monitor/qmp.h"
#include "vmm/devopts.h"

static struct {
	struct vm *vm;
	struct qmp_ctx ctx;
	const char *reason; /* why the VM was asked to stop, by the host */
	bool reason_guest;
} M;

static const char *be_status(void *o)
{
	struct vm *vm = o;
	int st = atomic_load(&vm->state);
	if (st == VM_ERROR)
		return "internal-error";
	if (st == VM_OFF)
		return "shutdown";
	return vm_paused(vm) ? "paused" : "running";
}

static void be_stop(void *o) { vm_pause(o); }
static void be_cont(void *o) { vm_resume(o); }

static void be_system_reset(void *o)
{
	M.reason = "host-qmp-system-reset";
	vm_request(o, VM_RESET);
}

static int be_system_powerdown(void *o) { return virt_powerdown(o); }

static void be_quit(void *o)
{
	M.reason = "host-qmp-quit";
	vm_request(o, VM_OFF);
}

static json_t *be_query_cpus(void *o)
{
	struct vm *vm = o;
	json_t *a = json_array();
	for (unsigned i = 0; a && i < vm->ncpus; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/machine/unattached/device[%u]", i);
		json_array_append_new(a, json_pack("{s:i,s:s,s:i,s:{s:i,s:i,s:i},s:s}", "cpu-index", (int)i, "qom-path", path,
						   "thread-id", atomic_load(&vm->vcpus[i].tid), "props", "core-id", (int)i,
						   "thread-id", 0, "socket-id", 0, "target", "aarch64"));
	}
	return a;
}

static json_t *be_query_block(void *o)
{
	struct vm *vm = o;
	json_t *a = json_array();
	const struct vm_devopts *d = vm->opts.devopts;
	for (unsigned i = 0; a && d && i < d->ndrives; i++) {
		const struct vm_drive *dr = &d->drives[i];
		struct stat st;
		json_int_t size = dr->file && !stat(dr->file, &st) ? (json_int_t)st.st_size : 0;
		json_t *ins = json_pack("{s:s,s:b,s:s,s:b,s:{s:s,s:s,s:I}}", "file", dr->file ? dr->file : "", "ro",
					dr->blk.readonly, "drv", "raw", "encrypted", 0, "image", "filename",
					dr->file ? dr->file : "", "format", "raw", "virtual-size", size);
		json_array_append_new(a, json_pack("{s:s,s:b,s:b,s:s,s:o}", "device", dr->id, "locked", 0, "removable", 0,
						   "type", "unknown", "inserted", ins));
	}
	return a;
}

static json_t *be_query_devices(void *o)
{
	struct vm *vm = o;
	json_t *a = json_array();
	for (unsigned i = 0; a && i < vm->devices.n; i++)
		json_array_append_new(a, json_pack("{s:s,s:s}", "name", vm->devices.devs[i].name, "type",
						   vm->devices.devs[i].ops->type ? vm->devices.devs[i].ops->type : "?"));
	return a;
}

int monitor_vm_start(struct vm *vm, struct evloop *l, const struct monitor_opts *o)
{
	M.vm = vm;
	M.ctx.be = (struct qmp_backend){
		.opaque = vm,
		.name = o->name,
		.status = be_status,
		.stop = be_stop,
		.cont = be_cont,
		.system_reset = be_system_reset,
		.system_powerdown = be_system_powerdown,
		.quit = be_quit,
		.query_cpus = be_query_cpus,
		.query_block = be_query_block,
		.query_devices = be_query_devices,
	};
	char err[300];
	for (unsigned i = 0; i < o->nqmp + o->nhmp; i++) {
		bool q = i < o->nqmp;
		const char *spec = q ? o->qmp[i] : o->hmp[i - o->nqmp];
		if (!qmp_server_new(&M.ctx, l, spec, q ? QMP_MODE_QMP : QMP_MODE_HMP, err, sizeof(err))) {
			fprintf(stderr, "avmm: %s %s\n", q ? "-qmp" : "-monitor", err);
			monitor_vm_stop();
			return -1;
		}
	}
	return 0;
}

void monitor_vm_reason(const char *reason)
{
	M.reason = reason;
}

void monitor_vm_boot_ended(enum vm_state st, bool rebooting)
{
	if (!M.vm)
		return;
	const char *reason = M.reason;
	M.reason = NULL;
	if (st == VM_RESET && rebooting) {
		bool host = reason && !strcmp(reason, "host-qmp-system-reset");
		qmp_emit(&M.ctx, "RESET",
			 json_pack("{s:b,s:s}", "guest", !host, "reason", host ? reason : "guest-reset"));
		return;
	}
	if (!reason)
		reason = st == VM_RESET ? "guest-reset" : st == VM_ERROR ? "host-error" : "guest-shutdown";
	qmp_emit(&M.ctx, "SHUTDOWN", json_pack("{s:b,s:s}", "guest", !strncmp(reason, "guest-", 6), "reason", reason));
}

void monitor_vm_stop(void)
{
	while (M.ctx.nservers) {
		struct qmp_server *s = M.ctx.servers[M.ctx.nservers - 1];
		qmp_server_flush(s);
		qmp_server_free(s); /* takes itself off ctx.servers */
	}
}
