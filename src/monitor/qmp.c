/* The QMP dispatcher (qmp.h): the request object's checks in QEMU's order
 * and words, the capabilities negotiation, the commands. */
#include "monitor/qmp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define AVMM_VERSION_MAJOR 0
#define AVMM_VERSION_MINOR 1
#define AVMM_VERSION_MICRO 0

json_t *qmp_error(const char *cls, const char *desc, json_t *id)
{
	json_t *r = json_pack("{s:{s:s,s:s}}", "error", "class", cls, "desc", desc);
	if (r && id)
		json_object_set(r, "id", id);
	return r;
}

static json_t *version_obj(void)
{
	return json_pack("{s:{s:i,s:i,s:i},s:s}", "qemu", "major", AVMM_VERSION_MAJOR, "minor", AVMM_VERSION_MINOR,
			 "micro", AVMM_VERSION_MICRO, "package", "avmm");
}

json_t *qmp_greeting(void)
{
	return json_pack("{s:{s:o,s:[]}}", "QMP", "version", version_obj(), "capabilities");
}

json_t *qmp_event(const char *name, json_t *data)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	json_t *e = json_pack("{s:s,s:{s:I,s:I}}", "event", name, "timestamp", "seconds", (json_int_t)tv.tv_sec,
			      "microseconds", (json_int_t)tv.tv_usec);
	if (e && data)
		json_object_set_new(e, "data", data);
	else
		json_decref(data);
	return e;
}

void qmp_emit(struct qmp_ctx *c, const char *name, json_t *data)
{
	json_t *e = qmp_event(name, data);
	if (!e)
		return;
	for (unsigned i = 0; i < c->nservers; i++)
		qmp_server_broadcast(c->servers[i], e);
	c->events_sent++;
	json_decref(e);
}

/* ---- commands ---- */

struct qmp_cmd;
/* Returns the "return" value (new reference) or sets *err (new reference). */
typedef json_t *qmp_cmd_fn(struct qmp_ctx *c, json_t *args, json_t **err);

struct qmp_cmd {
	const char *name;
	qmp_cmd_fn *fn;
	const char *const *args; /* accepted argument names, NULL-terminated */
	const char *const *required;
};

static json_t *gerr(const char *desc)
{
	return json_pack("{s:s,s:s}", "class", "GenericError", "desc", desc);
}

static json_t *no_backend(json_t **err)
{
	*err = gerr("not available on this machine");
	return NULL;
}

static json_t *cmd_query_version(struct qmp_ctx *c, json_t *a, json_t **err)
{
	(void)c, (void)a, (void)err;
	return version_obj();
}

static const char *status_of(struct qmp_ctx *c)
{
	return c->be.status ? c->be.status(c->be.opaque) : "running";
}

static json_t *cmd_query_status(struct qmp_ctx *c, json_t *a, json_t **err)
{
	(void)a, (void)err;
	const char *st = status_of(c);
	return json_pack("{s:b,s:b,s:s}", "running", !strcmp(st, "running"), "singlestep", 0, "status", st);
}

static json_t *cmd_query_name(struct qmp_ctx *c, json_t *a, json_t **err)
{
	(void)a, (void)err;
	return c->be.name ? json_pack("{s:s}", "name", c->be.name) : json_object();
}

static json_t *cmd_query_cpus_fast(struct qmp_ctx *c, json_t *a, json_t **err)
{
	(void)a;
	if (!c->be.query_cpus)
		return no_backend(err);
	return c->be.query_cpus(c->be.opaque);
}

static json_t *cmd_query_block(struct qmp_ctx *c, json_t *a, json_t **err)
{
	(void)a;
	if (!c->be.query_block)
		return no_backend(err);
	return c->be.query_block(c->be.opaque);
}

static json_t *cmd_query_commands(struct qmp_ctx *c, json_t *a, json_t **err);

static json_t *cmd_stop(struct qmp_ctx *c, json_t *a, json_t **err)
{
	(void)a;
	if (!c->be.stop)
		return no_backend(err);
	if (!strcmp(status_of(c), "running")) {
		c->be.stop(c->be.opaque);
		qmp_emit(c, "STOP", NULL);
	}
	return json_object();
}

static json_t *cmd_cont(struct qmp_ctx *c, json_t *a, json_t **err)
{
	(void)a;
	if (!c->be.cont)
		return no_backend(err);
	const char *st = status_of(c);
	if (!strcmp(st, "shutdown") || !strcmp(st, "internal-error")) {
		*err = gerr("the guest has stopped and cannot be resumed: reset it with system_reset");
		return NULL;
	}
	if (!strcmp(st, "paused")) {
		c->be.cont(c->be.opaque);
		qmp_emit(c, "RESUME", NULL);
	}
	return json_object();
}

static json_t *cmd_system_reset(struct qmp_ctx *c, json_t *a, json_t **err)
{
	(void)a;
	if (!c->be.system_reset)
		return no_backend(err);
	c->be.system_reset(c->be.opaque); /* RESET is sent when the reset happens */
	return json_object();
}

static json_t *cmd_system_powerdown(struct qmp_ctx *c, json_t *a, json_t **err)
{
	(void)a;
	if (!c->be.system_powerdown || c->be.system_powerdown(c->be.opaque))
		return no_backend(err);
	qmp_emit(c, "POWERDOWN", NULL);
	return json_object();
}

static json_t *cmd_quit(struct qmp_ctx *c, json_t *a, json_t **err)
{
	(void)a, (void)err;
	c->quit_requested = true;
	if (c->be.quit)
		c->be.quit(c->be.opaque); /* SHUTDOWN follows when the VM has stopped */
	return json_object();
}

static json_t *cmd_hmp(struct qmp_ctx *c, json_t *a, json_t **err)
{
	json_t *cl = json_object_get(a, "command-line");
	if (!json_is_string(cl)) {
		*err = gerr("Invalid parameter type for 'command-line', expected: string");
		return NULL;
	}
	json_t *ci = json_object_get(a, "cpu-index");
	if (ci && !json_is_integer(ci)) {
		*err = gerr("Invalid parameter type for 'cpu-index', expected: integer");
		return NULL;
	}
	char *out = hmp_execute(c, json_string_value(cl));
	if (!out) {
		*err = gerr("out of memory");
		return NULL;
	}
	json_t *r = json_string(out);
	free(out);
	if (!r) /* the output was not UTF-8 (it never should be) */
		r = json_string("");
	return r;
}

static json_t *cmd_input_send_event(struct qmp_ctx *c, json_t *a, json_t **err)
{
	(void)c, (void)a;
	/* No keyboard, mouse or tablet exists yet (no USB, no virtio-input). */
	*err = gerr("Input handler not found: this machine has no input device (no USB HID or virtio-input yet)");
	return NULL;
}

static const char *const no_args[] = { NULL };
static const char *const hmp_args[] = { "command-line", "cpu-index", NULL };
static const char *const hmp_req[] = { "command-line", NULL };
static const char *const caps_args[] = { "enable", NULL };
static const char *const ise_args[] = { "events", "device", "head", NULL };
static const char *const ise_req[] = { "events", NULL };
static const char *const qb_args[] = { "flat", NULL };

static const struct qmp_cmd cmds[] = {
	{ "qmp_capabilities", NULL, caps_args, no_args }, /* handled in qmp_dispatch */
	{ "query-version", cmd_query_version, no_args, no_args },
	{ "query-status", cmd_query_status, no_args, no_args },
	{ "query-name", cmd_query_name, no_args, no_args },
	{ "query-cpus-fast", cmd_query_cpus_fast, no_args, no_args },
	{ "query-block", cmd_query_block, qb_args, no_args },
	{ "query-commands", cmd_query_commands, no_args, no_args },
	{ "stop", cmd_stop, no_args, no_args },
	{ "cont", cmd_cont, no_args, no_args },
	{ "system_reset", cmd_system_reset, no_args, no_args },
	{ "system_powerdown", cmd_system_powerdown, no_args, no_args },
	{ "quit", cmd_quit, no_args, no_args },
	{ "human-monitor-command", cmd_hmp, hmp_args, hmp_req },
	{ "input-send-event", cmd_input_send_event, ise_args, ise_req },
};

static json_t *cmd_query_commands(struct qmp_ctx *c, json_t *a, json_t **err)
{
	(void)c, (void)a, (void)err;
	json_t *r = json_array();
	for (size_t i = 0; r && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		json_array_append_new(r, json_pack("{s:s}", "name", cmds[i].name));
	return r;
}

static bool in_list(const char *const *l, const char *k)
{
	for (; *l; l++)
		if (!strcmp(*l, k))
			return true;
	return false;
}

static json_t *with_id(json_t *r, json_t *id)
{
	if (r && id)
		json_object_set(r, "id", id);
	return r;
}

json_t *qmp_dispatch(struct qmp_ctx *c, struct qmp_session *s, json_t *req)
{
	char desc[160];
	if (!json_is_object(req))
		return qmp_error("GenericError", "QMP input must be a JSON object", NULL);
	json_t *id = json_object_get(req, "id");
	const char *key;
	json_t *val;
	json_object_foreach(req, key, val) {
		if (!strcmp(key, "execute") || !strcmp(key, "arguments") || !strcmp(key, "id"))
			continue;
		if (!strcmp(key, "exec-oob"))
			return qmp_error("GenericError", "Out-of-band execution is not supported", id);
		snprintf(desc, sizeof(desc), "QMP input member '%.80s' is unexpected", key);
		return qmp_error("GenericError", desc, id);
	}
	json_t *ex = json_object_get(req, "execute");
	if (!ex)
		return qmp_error("GenericError", "QMP input lacks member 'execute'", id);
	if (!json_is_string(ex))
		return qmp_error("GenericError", "QMP input member 'execute' must be a string", id);
	json_t *args = json_object_get(req, "arguments");
	if (args && !json_is_object(args))
		return qmp_error("GenericError", "QMP input member 'arguments' must be an object", id);
	const char *name = json_string_value(ex);
	const struct qmp_cmd *cmd = NULL;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmds[i].name, name))
			cmd = &cmds[i];
	bool caps = !strcmp(name, "qmp_capabilities");
	if (!s->negotiated && !caps)
		return qmp_error("CommandNotFound", "Expecting capabilities negotiation with 'qmp_capabilities'", id);
	if (!cmd) {
		snprintf(desc, sizeof(desc), "The command %.80s has not been found", name);
		return qmp_error("CommandNotFound", desc, id);
	}
	json_object_foreach(args, key, val) {
		if (!in_list(cmd->args, key)) {
			snprintf(desc, sizeof(desc), "Parameter '%.80s' is unexpected", key);
			return qmp_error("GenericError", desc, id);
		}
	}
	for (const char *const *r = cmd->required; *r; r++)
		if (!json_object_get(args, *r)) {
			snprintf(desc, sizeof(desc), "Parameter '%.80s' is missing", *r);
			return qmp_error("GenericError", desc, id);
		}
	if (caps) {
		if (s->negotiated)
			return qmp_error("CommandNotFound", "Capabilities negotiation is already complete, command ignored",
					 id);
		json_t *en = json_object_get(args, "enable");
		if (en && !json_is_array(en))
			return qmp_error("GenericError", "Invalid parameter type for 'enable', expected: array", id);
		if (en && json_array_size(en)) {
			json_t *cap = json_array_get(en, 0);
			snprintf(desc, sizeof(desc), "Capability '%.60s' not available",
				 json_is_string(cap) ? json_string_value(cap) : "?");
			return qmp_error("GenericError", desc, id);
		}
		s->negotiated = true;
		return with_id(json_pack("{s:{}}", "return"), id);
	}
	json_t *err = NULL;
	json_t *ret = cmd->fn(c, args, &err);
	if (!ret) {
		if (!err)
			err = gerr("out of memory");
		json_t *r = json_pack("{s:o}", "error", err);
		return with_id(r, id);
	}
	return with_id(json_pack("{s:o}", "return", ret), id);
}
