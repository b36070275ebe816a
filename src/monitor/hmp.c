/* The human monitor's commands (qmp.h: hmp_execute): each one runs the QMP
 * command underneath and prints its answer as QEMU's monitor does. */
#include "monitor/qmp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct out {
	char *s;
	size_t len, cap;
	bool oom;
};

static void outf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void outf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || o->oom)
		return;
	if (o->len + (size_t)n + 1 > o->cap) {
		size_t c = o->cap ? o->cap : 256;
		while (c < o->len + (size_t)n + 1)
			c *= 2;
		char *p = realloc(o->s, c);
		if (!p) {
			o->oom = true;
			return;
		}
		o->s = p;
		o->cap = c;
	}
	va_start(ap, fmt);
	vsnprintf(o->s + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	o->len += (size_t)n;
}

/* Runs a QMP command; returns its "return" value (borrowed from *resp, which
 * the caller frees) or NULL after printing the error. */
static json_t *run(struct qmp_ctx *c, struct out *o, const char *cmd, json_t **resp)
{
	struct qmp_session s = { .negotiated = true };
	json_t *req = json_pack("{s:s}", "execute", cmd);
	*resp = req ? qmp_dispatch(c, &s, req) : NULL;
	json_decref(req);
	json_t *ret = json_object_get(*resp, "return");
	if (!ret) {
		const char *d = json_string_value(json_object_get(json_object_get(*resp, "error"), "desc"));
		outf(o, "Error: %s\n", d ? d : "out of memory");
	}
	return ret;
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static void info(struct qmp_ctx *c, struct out *o, const char *what)
{
	json_t *resp = NULL, *r;
	size_t i;
	json_t *e;
	if (!strcmp(what, "status")) {
		if ((r = run(c, o, "query-status", &resp)))
			outf(o, "VM status: %s\n", str(r, "status"));
	} else if (!strcmp(what, "version")) {
		if ((r = run(c, o, "query-version", &resp))) {
			json_t *q = json_object_get(r, "qemu");
			outf(o, "%lld.%lld.%lld (%s)\n", (long long)json_integer_value(json_object_get(q, "major")),
			     (long long)json_integer_value(json_object_get(q, "minor")),
			     (long long)json_integer_value(json_object_get(q, "micro")), str(r, "package"));
		}
	} else if (!strcmp(what, "name")) {
		if ((r = run(c, o, "query-name", &resp)) && json_object_get(r, "name"))
			outf(o, "%s\n", str(r, "name"));
	} else if (!strcmp(what, "cpus")) {
		if ((r = run(c, o, "query-cpus-fast", &resp)))
			json_array_foreach(r, i, e)
				outf(o, "%c CPU #%lld: thread_id=%lld\n", i ? ' ' : '*',
				     (long long)json_integer_value(json_object_get(e, "cpu-index")),
				     (long long)json_integer_value(json_object_get(e, "thread-id")));
	} else if (!strcmp(what, "block")) {
		if ((r = run(c, o, "query-block", &resp))) {
			json_array_foreach(r, i, e) {
				json_t *ins = json_object_get(e, "inserted");
				outf(o, "%s: %s (%s%s)\n", str(e, "device"), str(ins, "file"), str(ins, "drv"),
				     json_is_true(json_object_get(ins, "ro")) ? ", read-only" : "");
			}
			if (!json_array_size(r))
				outf(o, "(no block devices)\n");
		}
	} else if (!strcmp(what, "devices") || !strcmp(what, "qtree")) {
		if (!c->be.query_devices) {
			outf(o, "Error: not available on this machine\n");
			return;
		}
		r = c->be.query_devices(c->be.opaque);
		json_array_foreach(r, i, e)
			outf(o, "%-24s %s\n", str(e, "name"), str(e, "type"));
		json_decref(r);
	} else {
		outf(o, "info %s: unknown (see 'help info')\n", what);
	}
	json_decref(resp);
}

static const char help_text[] =
	"cont|c -- resume emulation\n"
	"help|? [cmd] -- show the commands\n"
	"info status -- show the VM status (running|paused)\n"
	"info version -- show the version\n"
	"info name -- show the VM's name (-name)\n"
	"info cpus -- show the vCPUs and their host threads\n"
	"info block -- show the block devices\n"
	"info devices -- show the machine's devices (also: info qtree)\n"
	"quit|q -- quit the emulator\n"
	"stop|s -- stop emulation (pause every vCPU)\n"
	"system_powerdown -- press the power button (PL061 GPIO line 3, KEY_POWER)\n"
	"system_reset -- reset the system\n";

char *hmp_execute(struct qmp_ctx *c, const char *line)
{
	struct out o = { 0 };
	char cmd[64] = "", arg[64] = "";
	/* The command word and one argument; longer words are not commands. */
	while (*line == ' ' || *line == '\t')
		line++;
	size_t n = strcspn(line, " \t\r\n");
	if (n < sizeof(cmd)) {
		memcpy(cmd, line, n);
		cmd[n] = 0;
		const char *a = line + n;
		a += strspn(a, " \t");
		size_t m = strcspn(a, " \t\r\n");
		if (m < sizeof(arg)) {
			memcpy(arg, a, m);
			arg[m] = 0;
		}
	} else {
		snprintf(cmd, sizeof(cmd), "%.60s", line);
	}
	static const struct {
		const char *hmp, *alias, *qmp;
	} simple[] = {
		{ "stop", "s", "stop" },
		{ "cont", "c", "cont" },
		{ "system_reset", NULL, "system_reset" },
		{ "system_powerdown", NULL, "system_powerdown" },
		{ "quit", "q", "quit" },
	};
	if (!cmd[0]) {
		/* an empty line does nothing */
	} else if (!strcmp(cmd, "help") || !strcmp(cmd, "?")) {
		outf(&o, "%s", help_text);
	} else if (!strcmp(cmd, "info")) {
		if (!arg[0])
			outf(&o, "info status|version|name|cpus|block|devices\n");
		else
			info(c, &o, arg);
	} else {
		size_t i;
		for (i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
			if (!strcmp(cmd, simple[i].hmp) || (simple[i].alias && !strcmp(cmd, simple[i].alias)))
				break;
		if (i < sizeof(simple) / sizeof(simple[0])) {
			json_t *resp;
			run(c, &o, simple[i].qmp, &resp);
			json_decref(resp);
		} else {
			outf(&o, "unknown command: '%s'\n", cmd);
		}
	}
	if (o.oom) {
		free(o.s);
		return NULL;
	}
	return o.s ? o.s : calloc(1, 1);
}
