/* -netdev tap (Linux): a tap interface from /dev/net/tun (IFF_TAP |
 * IFF_NO_PI: plain ethernet frames, no offload header), non-blocking, on the
 * netdev's evloop. Reading stops while the NIC is full and starts again on
 * rx_ready. script=no only: avmm runs no configuration scripts. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/net.h"
#include "vmm/evloop.h"

#ifdef __linux__
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>

struct tap {
	struct netdev *nd;
	int fd;
	bool reading;
	unsigned n_errors;
	uint8_t buf[NET_MAX_FRAME];
};

static void tap_readable(void *opaque, int fd, unsigned events)
{
	struct tap *t = opaque;
	for (int i = 0; i < 64; i++) { /* a bounded batch, then the loop's other work */
		ssize_t n = read(t->fd, t->buf, sizeof(t->buf));
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EINTR && t->n_errors++ < 10)
				fprintf(stderr, "avmm: -netdev %s: tap read: %s\n", t->nd->id, strerror(errno));
			return;
		}
		if (!netdev_deliver(t->nd, t->buf, (size_t)n)) {
			t->reading = false;
			evloop_fd_modify(t->nd->loop, t->fd, 0);
			return;
		}
	}
}

static void tap_send(struct netdev *nd, const void *frame, size_t len)
{
	struct tap *t = nd->priv;
	/* A full tap queue drops the frame, as a congested link would. */
	if (write(t->fd, frame, len) < 0 && errno != EAGAIN && t->n_errors++ < 10)
		fprintf(stderr, "avmm: -netdev %s: tap write: %s\n", nd->id, strerror(errno));
}

static void tap_rx_ready(struct netdev *nd)
{
	struct tap *t = nd->priv;
	if (!t->reading) {
		t->reading = true;
		evloop_fd_modify(nd->loop, t->fd, EVLOOP_IN);
	}
}

static void tap_close(struct netdev *nd)
{
	struct tap *t = nd->priv;
	evloop_fd_remove(nd->loop, t->fd);
	close(t->fd);
	free(t);
}

static const struct netdev_ops tap_ops = {
	.type = "tap", .send = tap_send, .rx_ready = tap_rx_ready, .close = tap_close,
};

int net_tap_open(struct netdev *nd, const struct netdev_opts *o)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		fprintf(stderr, "avmm: -netdev tap,id=%s: cannot open /dev/net/tun: %s%s\n", o->id, strerror(errno),
			errno == EACCES || errno == EPERM ? " (needs root or CAP_NET_ADMIN, or a tap the user owns)"
			: errno == ENOENT ? " (no tun driver: modprobe tun)" : "");
		return -1;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o->ifname);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		fprintf(stderr, "avmm: -netdev tap,id=%s: cannot attach to tap interface '%s': %s%s\n", o->id,
			o->ifname[0] ? o->ifname : "(new)", strerror(e),
			e == EPERM || e == EACCES ? " (needs CAP_NET_ADMIN, or a tap made with "
						    "'ip tuntap add NAME mode tap user USER')"
			: e == EBUSY ? " (in use by another process)" : "");
		close(fd);
		return -1;
	}
	struct tap *t = calloc(1, sizeof(*t));
	if (!t) {
		close(fd);
		return -1;
	}
	t->nd = nd;
	t->fd = fd;
	t->reading = true;
	if (evloop_fd_add(nd->loop, fd, EVLOOP_IN, tap_readable, t)) {
		fprintf(stderr, "avmm: -netdev tap,id=%s: cannot watch the tap\n", o->id);
		close(fd);
		free(t);
		return -1;
	}
	nd->priv = t;
	nd->ops = &tap_ops;
	return 0;
}
#else
int net_tap_open(struct netdev *nd, const struct netdev_opts *o)
{
	fprintf(stderr, "avmm: -netdev tap,id=%s: tap is only available on Linux hosts (use vmnet-shared on macOS)\n",
		o->id);
	return -1;
}
#endif

#ifndef __APPLE__
int net_vmnet_open(struct netdev *nd, const struct netdev_opts *o)
{
	fprintf(stderr, "avmm: -netdev %s: vmnet is only available on macOS hosts\n", o->id);
	return -1;
}
#endif
