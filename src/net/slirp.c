/* -netdev user: user-mode networking through libslirp. The stack, its
 * sockets and timers live on the netdev's thread: before each wait
 * (prepare) slirp_pollfds_fill lists the sockets it wants watched, which go
 * on the thread's evloop (added, changed or removed as the list changes);
 * after the wait (after) slirp_pollfds_poll gets what was seen. Slirp's
 * timers are evloop timers calling slirp_handle_timer; frames from the guest
 * come from the NIC's bottom halves on the same thread, so every libslirp
 * call is made from that one thread (after slirp_new). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <libslirp.h>

#include "host/host.h"
#include "net/net.h"
#include "vmm/evloop.h"

struct sfd {
	unsigned want, got;  /* EVLOOP_* */
	bool registered, seen;
};

struct sl {
	struct netdev *nd;
	Slirp *slirp;
	struct sfd *fds;
	int nfds;            /* table size (by fd number) */
	int *reg;            /* registered fds, nreg of them */
	int nreg, capreg;
	unsigned n_guest_errors;
};

struct sl_timer {
	struct sl *s;
	struct evloop_timer *t;
	SlirpTimerId id;
	void *cb_opaque;
};

static ssize_t send_packet(const void *buf, size_t len, void *opaque)
{
	struct sl *s = opaque;
	netdev_deliver(s->nd, buf, len); /* a full NIC drops: TCP retransmits */
	return (ssize_t)len;
}

static void guest_error(const char *msg, void *opaque)
{
	struct sl *s = opaque;
	if (s->n_guest_errors++ < 10)
		fprintf(stderr, "avmm: -netdev %s: guest error: %s\n", s->nd->id, msg);
}

static int64_t clock_get_ns(void *opaque)
{
	return (int64_t)host_now_ns();
}

static void timer_fire(void *opaque)
{
	struct sl_timer *t = opaque;
	slirp_handle_timer(t->s->slirp, t->id, t->cb_opaque);
}

static void *timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct sl *s = opaque;
	struct sl_timer *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->s = s;
	t->id = id;
	t->cb_opaque = cb_opaque;
	t->t = evloop_timer_new(s->nd->loop, timer_fire, t);
	if (!t->t) {
		free(t);
		return NULL;
	}
	return t;
}

static void timer_free(void *timer, void *opaque)
{
	struct sl_timer *t = timer;
	if (!t)
		return;
	evloop_timer_free(t->t);
	free(t);
}

static void timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct sl_timer *t = timer;
	if (t)
		evloop_timer_arm(t->t, expire_ms < 0 ? 0 : (uint64_t)expire_ms * 1000000u, 0);
}

static void fd_forget(struct sl *s, int fd)
{
	if (fd < 0 || fd >= s->nfds || !s->fds[fd].registered)
		return;
	evloop_fd_remove(s->nd->loop, fd);
	s->fds[fd].registered = false;
	for (int i = 0; i < s->nreg; i++)
		if (s->reg[i] == fd) {
			s->reg[i] = s->reg[--s->nreg];
			break;
		}
}

/* A socket created or closed: whatever was registered under that number
 * belongs to an old socket (epoll forgets closed fds by itself). */
static void register_poll_fd(int fd, void *opaque)
{
	fd_forget(opaque, fd);
}

static void unregister_poll_fd(int fd, void *opaque)
{
	fd_forget(opaque, fd);
}

static void notify(void *opaque)
{
	struct sl *s = opaque;
	evloop_wake(s->nd->loop);
}

static void on_fd(void *opaque, int fd, unsigned events)
{
	struct sl *s = opaque;
	if (fd >= 0 && fd < s->nfds)
		s->fds[fd].got |= events;
}

static int add_poll(int fd, int events, void *opaque)
{
	struct sl *s = opaque;
	if (fd < 0)
		return -1;
	if (fd >= s->nfds) {
		int n = fd + 64;
		struct sfd *f = realloc(s->fds, (size_t)n * sizeof(*f));
		if (!f)
			return -1;
		memset(f + s->nfds, 0, (size_t)(n - s->nfds) * sizeof(*f));
		s->fds = f;
		s->nfds = n;
	}
	struct sfd *f = &s->fds[fd];
	unsigned want = (events & (SLIRP_POLL_IN | SLIRP_POLL_PRI) ? EVLOOP_IN : 0) |
			(events & SLIRP_POLL_OUT ? EVLOOP_OUT : 0);
	f->seen = true;
	if (f->registered && f->want != want) {
		if (evloop_fd_modify(s->nd->loop, fd, want)) {
			fd_forget(s, fd);
		} else {
			f->want = want;
		}
	}
	if (!f->registered) {
		if (s->nreg == s->capreg) {
			int c = s->capreg ? 2 * s->capreg : 64;
			int *r = realloc(s->reg, (size_t)c * sizeof(*r));
			if (!r)
				return -1;
			s->reg = r;
			s->capreg = c;
		}
		if (evloop_fd_add(s->nd->loop, fd, want, on_fd, s))
			return -1;
		f->registered = true;
		f->want = want;
		s->reg[s->nreg++] = fd;
	}
	f->got = 0;
	return fd;
}

static int get_revents(int idx, void *opaque)
{
	struct sl *s = opaque;
	if (idx < 0 || idx >= s->nfds)
		return 0;
	unsigned g = s->fds[idx].got;
	int r = 0;
	if (g & EVLOOP_IN)
		r |= SLIRP_POLL_IN;
	if (g & EVLOOP_OUT)
		r |= SLIRP_POLL_OUT;
	if (g & EVLOOP_ERR)
		r |= SLIRP_POLL_ERR | SLIRP_POLL_HUP;
	return r;
}

static void sl_prepare(struct netdev *nd, int64_t *timeout_ns)
{
	struct sl *s = nd->priv;
	uint32_t ms = UINT32_MAX;
	for (int i = 0; i < s->nreg; i++)
		s->fds[s->reg[i]].seen = false;
	slirp_pollfds_fill(s->slirp, &ms, add_poll, s);
	/* Sockets slirp no longer lists. */
	for (int i = 0; i < s->nreg;) {
		int fd = s->reg[i];
		if (!s->fds[fd].seen)
			fd_forget(s, fd); /* moves the last entry to i */
		else
			i++;
	}
	if (ms != UINT32_MAX && (*timeout_ns < 0 || (int64_t)ms * 1000000 < *timeout_ns))
		*timeout_ns = (int64_t)ms * 1000000;
}

static void sl_after(struct netdev *nd)
{
	struct sl *s = nd->priv;
	slirp_pollfds_poll(s->slirp, 0, get_revents, s);
	for (int i = 0; i < s->nreg; i++)
		s->fds[s->reg[i]].got = 0;
}

static void sl_send(struct netdev *nd, const void *frame, size_t len)
{
	struct sl *s = nd->priv;
	slirp_input(s->slirp, frame, (int)len);
}

static void sl_close(struct netdev *nd)
{
	struct sl *s = nd->priv;
	while (s->nreg)
		fd_forget(s, s->reg[0]);
	slirp_cleanup(s->slirp);
	free(s->fds);
	free(s->reg);
	free(s);
}

static const struct netdev_ops sl_ops = {
	.type = "user", .send = sl_send, .prepare = sl_prepare, .after = sl_after, .close = sl_close,
};

static const SlirpCb sl_cb = {
	.send_packet = send_packet, .guest_error = guest_error, .clock_get_ns = clock_get_ns,
	.timer_free = timer_free, .timer_mod = timer_mod, .register_poll_fd = register_poll_fd,
	.unregister_poll_fd = unregister_poll_fd, .notify = notify, .timer_new_opaque = timer_new_opaque,
};

int net_slirp_open(struct netdev *nd, const struct netdev_opts *o)
{
	struct sl *s = calloc(1, sizeof(*s));
	if (!s)
		return -1;
	s->nd = nd;
	SlirpConfig c = {
		.version = 4,
		.restricted = o->restrict_,
		.in_enabled = true,
		.vnetwork = { o->net },
		.vnetmask = { o->mask },
		.vhost = { o->host },
		.vhostname = o->hostname[0] ? o->hostname : NULL,
		.vdhcp_start = { o->dhcp_start },
		.vnameserver = { o->dns },
	};
	s->slirp = slirp_new(&c, &sl_cb, s);
	if (!s->slirp) {
		fprintf(stderr, "avmm: -netdev user,id=%s: libslirp refused the configuration\n", o->id);
		free(s);
		return -1;
	}
	nd->priv = s;
	nd->ops = &sl_ops;
	nd->rx_csum_valid = true;
	for (unsigned i = 0; i < o->nfwd; i++) {
		const struct net_hostfwd *f = &o->fwd[i];
		struct in_addr h = { f->host_addr }, g = { f->guest_addr ? f->guest_addr : o->dhcp_start };
		if (slirp_add_hostfwd(s->slirp, f->udp, h, f->host_port, g, f->guest_port)) {
			char hs[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, &h, hs, sizeof(hs));
			fprintf(stderr, "avmm: -netdev %s: hostfwd=%s:%s:%u: cannot listen there (%s)\n", o->id,
				f->udp ? "udp" : "tcp", f->host_addr ? hs : "", f->host_port,
				errno ? strerror(errno) : "port in use?");
			sl_close(nd);
			return -1;
		}
	}
	return 0;
}
