/* libFuzzer target for QMP's input path: the bytes, cut into chunks as a
 * socket might deliver them, go through the JSON stream (json-stream.c)
 * into the dispatcher (qmp.c) and, for human-monitor-command, the human
 * monitor (hmp.c), against a fake VM. Checks: every response is an object
 * with exactly one of "return" or "error" (an error has a class and a
 * desc), the id is echoed, a session is negotiated only by
 * qmp_capabilities, the stream never holds more than its cap, events
 * are well formed, and the fake's state stays consistent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/json-stream.h"
#include "monitor/qmp.h"

static bool paused;
static unsigned resets, powerdowns, quits, events;

static const char *f_status(void *o) { (void)o; return paused ? "paused" : "running"; }
static void f_stop(void *o) { (void)o; paused = true; }
static void f_cont(void *o) { (void)o; paused = false; }
static void f_reset(void *o) { (void)o; resets++; }
static int f_powerdown(void *o) { (void)o; powerdowns++; return 0; }
static void f_quit(void *o) { (void)o; quits++; }
static json_t *f_cpus(void *o) { (void)o; return json_pack("[{s:i,s:i}]", "cpu-index", 0, "thread-id", 1); }
static json_t *f_block(void *o) { (void)o; return json_pack("[{s:s,s:{s:s,s:b,s:s}}]", "device", "d0", "inserted", "file", "x", "ro", 0, "drv", "raw"); }
static json_t *f_devices(void *o) { (void)o; return json_pack("[{s:s,s:s}]", "name", "pl061@9030000", "type", "pl061"); }

/* The socket layer's broadcast (server.c), here: check and count events. */
void qmp_server_broadcast(struct qmp_server *s, json_t *msg)
{
	(void)s;
	if (!json_is_string(json_object_get(msg, "event")) || !json_is_object(json_object_get(msg, "timestamp")))
		abort();
	events++;
}

static void check_response(json_t *req, json_t *r)
{
	if (!json_is_object(r))
		abort();
	json_t *ret = json_object_get(r, "return"), *err = json_object_get(r, "error");
	if (!!ret == !!err)
		abort();
	if (err && (!json_is_string(json_object_get(err, "class")) || !json_is_string(json_object_get(err, "desc"))))
		abort();
	json_t *id = json_is_object(req) ? json_object_get(req, "id") : NULL;
	json_t *rid = json_object_get(r, "id");
	if (ret && !json_equal(id, rid) && (id || rid))
		abort();
	char *s = json_dumps(r, JSON_COMPACT); /* serialisable (UTF-8 strings only) */
	if (!s)
		abort();
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct qmp_server *fake_server = (struct qmp_server *)1; /* never dereferenced */
	struct qmp_ctx c = { .be = { .opaque = NULL, .name = "fuzz", .status = f_status, .stop = f_stop, .cont = f_cont,
				     .system_reset = f_reset, .system_powerdown = f_powerdown, .quit = f_quit,
				     .query_cpus = f_cpus, .query_block = f_block, .query_devices = f_devices } };
	c.servers[0] = fake_server;
	c.nservers = 1;
	paused = false;
	struct qmp_session s = { 0 };
	struct json_stream js;
	json_stream_init(&js, 4096); /* small, so the cap is reached */
	/* The first byte picks the chunk size; 0x80 pre-negotiates. */
	size_t chunk = size ? (data[0] & 0x3f) + 1 : 1;
	if (size && (data[0] & 0x80))
		s.negotiated = true;
	for (size_t off = size ? 1 : 0; off < size; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk;
		if (json_stream_feed(&js, data + off, n)) {
			if (js.len + n <= js.max)
				abort(); /* refused although it fitted */
			break;        /* the server disconnects here */
		}
		if (js.len > js.max)
			abort();
		json_t *v;
		char err[200];
		enum json_stream_result r;
		while ((r = json_stream_next(&js, &v, err, sizeof(err))) != JSON_STREAM_MORE) {
			bool was = s.negotiated;
			json_t *resp = r == JSON_STREAM_VALUE ? qmp_dispatch(&c, &s, v) : qmp_error("GenericError", err, NULL);
			if (!resp)
				abort();
			check_response(v, resp);
			bool caps = json_is_object(v) && json_is_string(json_object_get(v, "execute")) &&
				    !strcmp(json_string_value(json_object_get(v, "execute")), "qmp_capabilities");
			if (s.negotiated != was && !(caps && json_object_get(resp, "return")))
				abort();
			json_decref(resp);
			json_decref(v);
		}
	}
	json_stream_free(&js);
	/* The human monitor on the raw bytes as one line (NUL-terminated copy). */
	char line[512];
	size_t n = size < sizeof(line) - 1 ? size : sizeof(line) - 1;
	memcpy(line, data, n);
	line[n] = 0;
	free(hmp_execute(&c, line));
	return 0;
}
