/* Monitor sockets on the main loop (qmp.h): a listening unix or TCP socket,
 * any number of clients up to a cap, each non-blocking with its own input
 * (json-stream, or HMP lines) and output buffer. Nothing here blocks after
 * start-up: a client that sends too much is told so and dropped, one that
 * does not read has its input ignored until it does and is dropped when its
 * unsent output passes QMP_OUTPUT_MAX (events pile up for it otherwise). */
#include "monitor/qmp.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "monitor/json-stream.h"
#include "vmm/evloop.h"

#define MAX_CLIENTS 64
#define HMP_LINE_MAX 4096
#define READ_CHUNK 65536
/* Past this much unsent output a client's input waits (back-pressure). */
#define OUTPUT_PAUSE_INPUT (64u << 10)

struct client {
	struct qmp_server *srv;
	int fd;
	bool dead;
	struct qmp_session sess;
	struct json_stream in;     /* QMP */
	char line[HMP_LINE_MAX];   /* HMP */
	size_t line_len;
	bool line_overflow;
	char *out;
	size_t olen, oalloc;
	unsigned events;           /* the interest set now */
	struct client *next;
};

struct qmp_server {
	struct qmp_ctx *ctx;
	struct evloop *loop;
	enum qmp_mode mode;
	int fd;
	char unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct client *clients;
	unsigned nclients;
	struct evloop_bh *reap;    /* frees dead clients outside their callbacks */
};

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

static void client_kill(struct client *c)
{
	if (c->dead)
		return;
	c->dead = true;
	evloop_fd_remove(c->srv->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	evloop_bh_schedule(c->srv->reap);
}

static void client_set_events(struct client *c)
{
	unsigned ev = 0;
	if (c->olen)
		ev |= EVLOOP_OUT;
	if (c->olen < OUTPUT_PAUSE_INPUT)
		ev |= EVLOOP_IN;
	if (ev != c->events && !c->dead) {
		c->events = ev;
		evloop_fd_modify(c->srv->loop, c->fd, ev);
	}
}

static void client_flush(struct client *c)
{
	while (!c->dead && c->olen) {
		ssize_t n = write(c->fd, c->out, c->olen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			client_kill(c);
			return;
		}
		memmove(c->out, c->out + n, c->olen - (size_t)n);
		c->olen -= (size_t)n;
	}
	if (!c->dead)
		client_set_events(c);
}

static void client_write(struct client *c, const char *s, size_t n)
{
	if (c->dead)
		return;
	if (n > QMP_OUTPUT_MAX || c->olen > QMP_OUTPUT_MAX - n) {
		client_kill(c); /* it stopped reading */
		return;
	}
	if (c->olen + n > c->oalloc) {
		size_t a = c->oalloc ? c->oalloc : 4096;
		while (a < c->olen + n)
			a *= 2;
		char *p = realloc(c->out, a);
		if (!p) {
			client_kill(c);
			return;
		}
		c->out = p;
		c->oalloc = a;
	}
	memcpy(c->out + c->olen, s, n);
	c->olen += n;
	client_flush(c);
}

static void client_send_json(struct client *c, json_t *msg)
{
	char *s = json_dumps(msg, JSON_COMPACT);
	if (!s) {
		client_kill(c);
		return;
	}
	client_write(c, s, strlen(s));
	client_write(c, "\r\n", 2);
	free(s);
}

static void client_send_str(struct client *c, const char *s)
{
	client_write(c, s, strlen(s));
}

static void qmp_input(struct client *c, const char *buf, size_t n)
{
	if (json_stream_feed(&c->in, buf, n)) {
		json_t *e = qmp_error("GenericError", "JSON message too long (more than 1 MiB): disconnecting", NULL);
		client_send_json(c, e);
		json_decref(e);
		client_flush(c);
		client_kill(c);
		return;
	}
	char err[200];
	json_t *v;
	enum json_stream_result r;
	while (!c->dead && (r = json_stream_next(&c->in, &v, err, sizeof(err))) != JSON_STREAM_MORE) {
		json_t *resp = r == JSON_STREAM_VALUE ? qmp_dispatch(c->srv->ctx, &c->sess, v)
						      : qmp_error("GenericError", err, NULL);
		json_decref(v);
		if (resp)
			client_send_json(c, resp);
		json_decref(resp);
	}
}

static void hmp_line(struct client *c)
{
	c->line[c->line_len] = 0;
	char *out = hmp_execute(c->srv->ctx, c->line);
	if (out) {
		client_send_str(c, out);
		free(out);
	}
	client_send_str(c, "(avmm) ");
}

static void hmp_input(struct client *c, const char *buf, size_t n)
{
	for (size_t i = 0; i < n && !c->dead; i++) {
		if (buf[i] == '\n') {
			if (c->line_overflow)
				client_send_str(c, "Error: line too long\n(avmm) ");
			else
				hmp_line(c);
			c->line_len = 0;
			c->line_overflow = false;
		} else if (c->line_len + 1 < sizeof(c->line)) {
			if (buf[i] != '\r')
				c->line[c->line_len++] = buf[i];
		} else {
			c->line_overflow = true;
		}
	}
}

static void client_ready(void *opaque, int fd, unsigned events)
{
	struct client *c = opaque;
	(void)fd;
	if (c->dead)
		return;
	if (events & (EVLOOP_OUT | EVLOOP_ERR))
		client_flush(c);
	if (c->dead)
		return;
	if ((events & EVLOOP_ERR) && !(c->events & EVLOOP_IN)) {
		client_kill(c); /* hung up while its input waits: it would be reported again and again */
		return;
	}
	if (!(events & (EVLOOP_IN | EVLOOP_ERR)) || !(c->events & EVLOOP_IN))
		return;
	static char buf[READ_CHUNK]; /* main thread only */
	ssize_t n = read(c->fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		client_kill(c);
		return;
	}
	if (c->srv->mode == QMP_MODE_QMP)
		qmp_input(c, buf, (size_t)n);
	else
		hmp_input(c, buf, (size_t)n);
}

static void reap(void *opaque)
{
	struct qmp_server *s = opaque;
	for (struct client **p = &s->clients; *p;) {
		struct client *c = *p;
		if (!c->dead) {
			p = &c->next;
			continue;
		}
		*p = c->next;
		s->nclients--;
		json_stream_free(&c->in);
		free(c->out);
		free(c);
	}
}

static void accept_ready(void *opaque, int fd, unsigned events)
{
	struct qmp_server *s = opaque;
	(void)events;
	int cfd = accept(fd, NULL, NULL);
	if (cfd < 0)
		return; /* EAGAIN, or the peer went away: nothing to do */
	struct client *c = s->nclients < MAX_CLIENTS && !set_nonblock(cfd) ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		close(cfd);
		return;
	}
	c->srv = s;
	c->fd = cfd;
	c->events = EVLOOP_IN;
	json_stream_init(&c->in, QMP_INPUT_MAX);
	if (evloop_fd_add(s->loop, cfd, EVLOOP_IN, client_ready, c)) {
		close(cfd);
		free(c);
		return;
	}
	c->next = s->clients;
	s->clients = c;
	s->nclients++;
	if (s->mode == QMP_MODE_QMP) {
		json_t *g = qmp_greeting();
		client_send_json(c, g);
		json_decref(g);
	} else {
		client_send_str(c, "avmm monitor - type 'help' for more information\n(avmm) ");
	}
}

void qmp_server_broadcast(struct qmp_server *s, json_t *msg)
{
	if (s->mode != QMP_MODE_QMP)
		return;
	for (struct client *c = s->clients; c; c = c->next)
		if (!c->dead && c->sess.negotiated)
			client_send_json(c, msg);
}

void qmp_server_flush(struct qmp_server *s)
{
	for (struct client *c = s->clients; c; c = c->next)
		client_flush(c);
}

unsigned qmp_server_clients(struct qmp_server *s)
{
	unsigned n = 0;
	for (struct client *c = s->clients; c; c = c->next)
		n += !c->dead;
	return n;
}

/* ---- the listening socket ---- */

static int listen_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (!path[0] || strlen(path) >= sizeof(a.sun_path)) {
		snprintf(err, errlen, "unix socket path '%s': empty or too long", path);
		return -1;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	unlink(path); /* a socket left by an earlier run (QEMU does the same) */
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 16)) {
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int listen_tcp(const char *hostport, char *err, size_t errlen)
{
	char host[256];
	const char *colon = strrchr(hostport, ':');
	if (!colon || !colon[1] || (size_t)(colon - hostport) >= sizeof(host)) {
		snprintf(err, errlen, "tcp:%s: expected HOST:PORT", hostport);
		return -1;
	}
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = 0;
	char *h = host;
	if (h[0] == '[' && strlen(h) > 1 && h[strlen(h) - 1] == ']') { /* [::1]:4444 */
		h[strlen(h) - 1] = 0;
		h++;
	}
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *res;
	int r = getaddrinfo(h[0] ? h : NULL, colon + 1, &hints, &res);
	if (r) {
		snprintf(err, errlen, "tcp:%s: %s", hostport, gai_strerror(r));
		return -1;
	}
	int fd = -1, e = 0;
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 16)) {
			e = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(err, errlen, "cannot listen on tcp:%s: %s", hostport, strerror(e));
	return fd;
}

struct qmp_server *qmp_server_new(struct qmp_ctx *ctx, struct evloop *l, const char *spec, enum qmp_mode mode,
				  char *err, size_t errlen)
{
	char copy[512];
	if (strlen(spec) >= sizeof(copy)) {
		snprintf(err, errlen, "%.40s...: too long", spec);
		return NULL;
	}
	memcpy(copy, spec, strlen(spec) + 1);
	bool server = true, wait = true;
	char *opts = NULL;
	bool is_unix = !strncmp(copy, "unix:", 5), is_tcp = !strncmp(copy, "tcp:", 4);
	if (!is_unix && !is_tcp) {
		snprintf(err, errlen, "%s: expected unix:PATH,server=on,wait=off or tcp:HOST:PORT,server=on,wait=off", spec);
		return NULL;
	}
	opts = strchr(copy, ',');
	if (opts)
		*opts++ = 0;
	for (char *kv = opts, *next; kv; kv = next) {
		next = strchr(kv, ',');
		if (next)
			*next++ = 0;
		if (!strcmp(kv, "server") || !strcmp(kv, "server=on"))
			server = true;
		else if (!strcmp(kv, "server=off"))
			server = false;
		else if (!strcmp(kv, "nowait") || !strcmp(kv, "wait=off"))
			wait = false;
		else if (!strcmp(kv, "wait=on") || !strcmp(kv, "wait"))
			wait = true;
		else {
			snprintf(err, errlen, "%s: unknown option '%s' (known: server=on|off, wait=on|off)", spec, kv);
			return NULL;
		}
	}
	if (!server) {
		snprintf(err, errlen, "%s: server=off (connecting out) is not supported", spec);
		return NULL;
	}
	if (ctx->nservers >= sizeof(ctx->servers) / sizeof(ctx->servers[0])) {
		snprintf(err, errlen, "%s: too many monitors", spec);
		return NULL;
	}
	struct qmp_server *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->ctx = ctx;
	s->loop = l;
	s->mode = mode;
	s->fd = is_unix ? listen_unix(copy + 5, err, errlen) : listen_tcp(copy + 4, err, errlen);
	if (s->fd < 0) {
		free(s);
		return NULL;
	}
	if (is_unix)
		snprintf(s->unix_path, sizeof(s->unix_path), "%s", copy + 5);
	s->reap = evloop_bh_new(l, reap, s);
	if (!s->reap || set_nonblock(s->fd) || evloop_fd_add(l, s->fd, EVLOOP_IN, accept_ready, s)) {
		snprintf(err, errlen, "%s: cannot watch the socket", spec);
		qmp_server_free(s);
		return NULL;
	}
	if (wait) {
		/* QEMU's wait=on: the guest starts once a first client is here. */
		fprintf(stderr, "avmm: waiting for a connection on %s\n", spec);
		fd_set rd;
		FD_ZERO(&rd);
		FD_SET(s->fd, &rd);
		while (select(s->fd + 1, &rd, NULL, NULL, NULL) < 0 && errno == EINTR)
			FD_SET(s->fd, &rd);
		accept_ready(s, s->fd, EVLOOP_IN);
	}
	ctx->servers[ctx->nservers++] = s;
	return s;
}

void qmp_server_free(struct qmp_server *s)
{
	if (!s)
		return;
	for (struct client *c = s->clients; c; c = c->next)
		client_kill(c);
	if (s->reap) {
		reap(s);
		evloop_bh_free(s->reap);
	}
	if (s->fd >= 0) {
		evloop_fd_remove(s->loop, s->fd);
		close(s->fd);
	}
	if (s->unix_path[0])
		unlink(s->unix_path);
	for (unsigned i = 0; i < s->ctx->nservers; i++)
		if (s->ctx->servers[i] == s) {
			s->ctx->servers[i] = s->ctx->servers[--s->ctx->nservers];
			break;
		}
	free(s);
}
