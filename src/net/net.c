#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include "host/host.h"
#include "net/net.h"
#include "vmm/evloop.h"

void netdev_opts_user_defaults(struct netdev_opts *o)
{
	o->net = htonl(0x0a000200);        /* 10.0.2.0 */
	o->mask = htonl(0xffffff00);
	o->host = htonl(0x0a000202);       /* 10.0.2.2: the gateway, the host's loopback */
	o->dns = htonl(0x0a000203);
	o->dhcp_start = htonl(0x0a00020f); /* 10.0.2.15 */
}

static void *net_thread(void *arg)
{
	struct netdev *nd = arg;
	char name[16];
	snprintf(name, sizeof(name), "avmm-net-%.6s", nd->id);
	host_thread_name(name);
	while (!atomic_load(&nd->stop)) {
		int64_t timeout = -1;
		if (nd->ops->prepare)
			nd->ops->prepare(nd, &timeout);
		if (evloop_run_once(nd->loop, timeout) < 0)
			break;
		if (nd->ops->after && !atomic_load(&nd->stop)) /* closed by a call in that iteration */
			nd->ops->after(nd);
	}
	return NULL;
}

struct netdev *netdev_open(const struct netdev_opts *o)
{
	struct netdev *nd = calloc(1, sizeof(*nd));
	if (!nd)
		return NULL;
	snprintf(nd->id, sizeof(nd->id), "%s", o->id);
	nd->loop = evloop_new();
	if (!nd->loop) {
		fprintf(stderr, "avmm: -netdev %s: cannot create its event loop: %s\n", o->id, strerror(errno));
		free(nd);
		return NULL;
	}
	int r;
	switch (o->type) {
	case NETDEV_USER: r = net_slirp_open(nd, o); break;
	case NETDEV_TAP: r = net_tap_open(nd, o); break;
	default: r = net_vmnet_open(nd, o); break;
	}
	if (r) {
		evloop_free(nd->loop);
		free(nd);
		return NULL;
	}
	if (pthread_create(&nd->thread, NULL, net_thread, nd)) {
		fprintf(stderr, "avmm: -netdev %s: cannot start its thread\n", o->id);
		nd->ops->close(nd);
		evloop_free(nd->loop);
		free(nd);
		return NULL;
	}
	return nd;
}

struct netdev *netdev_new(const char *id, const struct netdev_ops *ops, void *priv)
{
	struct netdev *nd = calloc(1, sizeof(*nd));
	if (!nd)
		return NULL;
	snprintf(nd->id, sizeof(nd->id), "%s", id);
	nd->ops = ops;
	nd->priv = priv;
	nd->loop = evloop_new();
	if (!nd->loop || pthread_create(&nd->thread, NULL, net_thread, nd)) {
		if (nd->loop)
			evloop_free(nd->loop);
		free(nd);
		return NULL;
	}
	return nd;
}

struct call {
	void (*fn)(void *);
	void *arg;
	pthread_mutex_t m;
	pthread_cond_t c;
	bool done;
};

static void call_run(void *opaque)
{
	struct call *c = opaque;
	c->fn(c->arg);
	pthread_mutex_lock(&c->m);
	c->done = true;
	pthread_cond_broadcast(&c->c);
	pthread_mutex_unlock(&c->m);
}

void netdev_call(struct netdev *nd, void (*fn)(void *), void *arg)
{
	if (evloop_in_thread(nd->loop) || atomic_load(&nd->stop)) {
		fn(arg);
		return;
	}
	struct call c = { fn, arg, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false };
	while (evloop_defer(nd->loop, call_run, &c))
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL); /* -ENOMEM: again, the call must happen */
	pthread_mutex_lock(&c.m);
	while (!c.done)
		pthread_cond_wait(&c.c, &c.m);
	pthread_mutex_unlock(&c.m);
	pthread_mutex_destroy(&c.m);
	pthread_cond_destroy(&c.c);
}

static void close_on_thread(void *arg)
{
	struct netdev *nd = arg;
	nd->ops->close(nd);
	atomic_store(&nd->stop, true);
}

void netdev_close(struct netdev *nd)
{
	if (!nd)
		return;
	netdev_call(nd, close_on_thread, nd);
	evloop_wake(nd->loop);
	pthread_join(nd->thread, NULL);
	evloop_free(nd->loop);
	free(nd);
}

void netdev_send(struct netdev *nd, const void *frame, size_t len)
{
	nd->n_tx++;
	nd->n_tx_bytes += len;
	nd->ops->send(nd, frame, len);
}

void netdev_rx_ready(struct netdev *nd)
{
	if (nd->ops->rx_ready)
		nd->ops->rx_ready(nd);
}

bool netdev_deliver(struct netdev *nd, const void *frame, size_t len)
{
	nd->n_rx++;
	nd->n_rx_bytes += len;
	if (!nd->peer.receive)
		return true; /* no NIC: dropped, as on a cable to nowhere */
	return nd->peer.receive(nd->peer.opaque, frame, len);
}

#ifndef AVMM_HAVE_SLIRP
int net_slirp_open(struct netdev *nd, const struct netdev_opts *o)
{
	fprintf(stderr, "avmm: -netdev user,id=%s: this avmm was built without libslirp (no user-mode networking)\n",
		o->id);
	return -1;
}
#endif

bool net_user_available(void)
{
#ifdef AVMM_HAVE_SLIRP
	return true;
#else
	return false;
#endif
}
