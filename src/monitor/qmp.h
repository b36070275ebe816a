/* QMP, the QEMU Machine Protocol, and the human monitor (HMP) on top of it.
 *
 * Layers, one file each:
 *   json-stream.c  bytes -> JSON values (jansson), buffered with a cap,
 *                  resynchronising after bad input
 *   qmp.c          the dispatcher: one request object -> one response, the
 *                  capabilities negotiation, the commands, event objects
 *   hmp.c          human monitor lines -> QMP commands -> text
 *   server.c       listening sockets (unix:, tcp:) and clients on an evloop:
 *                  non-blocking, per-client input and output buffers with
 *                  caps, events to every negotiated QMP client
 *   monitor-vm.c   the backend for a real struct vm (main.c uses it)
 * The dispatcher knows the VM only through struct qmp_backend, so the fuzz
 * target and unit tests drive it with a fake. Main thread only (the main
 * loop), except where said. */
#ifndef AVMM_MONITOR_QMP_H
#define AVMM_MONITOR_QMP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* What the monitor controls. Every function may be NULL (the command then
 * answers GenericError). Status strings are QMP's RunState names:
 * "running", "paused", "shutdown", "internal-error", "prelaunch". */
struct qmp_backend {
	void *opaque;
	const char *name; /* -name, or NULL */
	const char *(*status)(void *o);
	void (*stop)(void *o);   /* returns once no vCPU runs guest code */
	void (*cont)(void *o);
	void (*system_reset)(void *o);
	/* 0, or -ENODEV (no power button on this machine). */
	int (*system_powerdown)(void *o);
	void (*quit)(void *o);
	/* New references: arrays in QMP's shapes. */
	json_t *(*query_cpus)(void *o);
	json_t *(*query_block)(void *o);
	json_t *(*query_devices)(void *o); /* [{"name":..., "type":...}] for HMP info devices */
};

struct qmp_server;

/* The state shared by every monitor of a VM. */
struct qmp_ctx {
	struct qmp_backend be;
	struct qmp_server *servers[8]; /* where events go */
	unsigned nservers;
	bool quit_requested;
	unsigned long events_sent;
};

/* Per-connection protocol state. */
struct qmp_session {
	bool negotiated; /* qmp_capabilities done: commands and events allowed */
};

/* The greeting (new reference). */
json_t *qmp_greeting(void);
/* Handles one parsed input value; returns the response (new reference), or
 * NULL when there is none to send. Never fails on hostile input. */
json_t *qmp_dispatch(struct qmp_ctx *c, struct qmp_session *s, json_t *req);
/* {"error": {"class": cls, "desc": desc}} (plus "id" if id is non-NULL). */
json_t *qmp_error(const char *cls, const char *desc, json_t *id);
/* An event object with its timestamp; data may be NULL (steals it). */
json_t *qmp_event(const char *name, json_t *data);
/* Build and send an event to every negotiated QMP client of c. */
void qmp_emit(struct qmp_ctx *c, const char *name, json_t *data);

/* The human monitor: runs one command line; returns malloc'd output text
 * (possibly empty, never NULL unless out of memory). */
char *hmp_execute(struct qmp_ctx *c, const char *line);

/* ---- sockets (server.c) ---- */

enum qmp_mode { QMP_MODE_QMP, QMP_MODE_HMP };
struct evloop;

/* Caps: one message's bytes, and the unsent output a client may leave
 * behind before it is disconnected. */
#define QMP_INPUT_MAX (1u << 20)
#define QMP_OUTPUT_MAX (1u << 20)

/* spec: "unix:PATH[,server=on][,wait=off]" or "tcp:HOST:PORT[,...]";
 * server must be on (or absent), wait must be off (no blocking wait for a
 * client before the guest starts). NULL with a message in err on failure. */
struct qmp_server *qmp_server_new(struct qmp_ctx *c, struct evloop *l, const char *spec, enum qmp_mode mode,
				  char *err, size_t errlen);
/* Disconnects every client, closes the socket (unlinks a unix path). */
void qmp_server_free(struct qmp_server *s);
/* Queue a whole JSON object for every negotiated client (server.c). */
void qmp_server_broadcast(struct qmp_server *s, json_t *msg);
/* Try once more to write what is pending, without waiting (at exit). */
void qmp_server_flush(struct qmp_server *s);
unsigned qmp_server_clients(struct qmp_server *s);

#endif
