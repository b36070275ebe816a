/* Network back ends (-netdev) and the NIC side they talk to.
 *
 * Threads: each back end owns one thread running an evloop (net_thread
 * below). Everything of a back end (libslirp, the tap fd) and the NIC's
 * receive and transmit processing attached to it run on that thread only;
 * a vCPU's queue notification just schedules a bottom half there. A NIC
 * that must stop (device reset) runs its reset on the thread with
 * netdev_call (the vCPU waits for it, the thread never takes the vCPU's
 * locks). */
#ifndef AVMM_NET_NET_H
#define AVMM_NET_NET_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define NETDEV_ID_MAX 32
#define NET_MAX_HOSTFWD 16
#define NET_MAX_FRAME 65550u     /* ethernet frame the NIC moves at most (64 KiB + header) */

enum netdev_type { NETDEV_USER, NETDEV_TAP, NETDEV_VMNET_SHARED, NETDEV_VMNET_HOST, NETDEV_VMNET_BRIDGED };

struct net_hostfwd {
	bool udp;
	uint32_t host_addr;        /* network order; 0: any */
	uint16_t host_port;
	uint32_t guest_addr;       /* network order; 0: the DHCP start address */
	uint16_t guest_port;
};

/* -netdev options, parsed and checked by vmm/devopts.c. Addresses in
 * network byte order. */
struct netdev_opts {
	enum netdev_type type;
	char id[NETDEV_ID_MAX];
	/* user */
	bool restrict_;
	uint32_t net, mask, host, dhcp_start, dns;
	char hostname[64];
	struct net_hostfwd fwd[NET_MAX_HOSTFWD];
	unsigned nfwd;
	/* tap */
	char ifname[16];
	/* vmnet-bridged */
	char ifname_bridge[32];
	bool used;                 /* a NIC refers to it */
};

/* Fill QEMU's user-mode defaults (10.0.2.0/24, host .2, DNS .3, DHCP .15). */
void netdev_opts_user_defaults(struct netdev_opts *o);

/* The NIC as the back end sees it. receive: a frame for the guest, on the
 * back end's thread; returns false when the NIC is full (it kept the frame
 * or dropped it) and wants no more until it calls netdev_rx_ready. */
struct net_client {
	bool (*receive)(void *opaque, const void *frame, size_t len);
	void *opaque;
};

struct netdev;

struct netdev_ops {
	const char *type;
	/* One frame from the guest (on the thread). */
	void (*send)(struct netdev *nd, const void *frame, size_t len);
	/* The NIC takes frames again (on the thread). */
	void (*rx_ready)(struct netdev *nd);
	/* Called around each wait of the thread (optional): prepare gives the
	 * longest wait (ns, may lower *timeout_ns), after runs once it woke. */
	void (*prepare)(struct netdev *nd, int64_t *timeout_ns);
	void (*after)(struct netdev *nd);
	/* On the thread, last: free the back end's state. */
	void (*close)(struct netdev *nd);
};

struct evloop;

struct netdev {
	char id[NETDEV_ID_MAX];
	const struct netdev_ops *ops;
	void *priv;
	bool rx_csum_valid;        /* frames to the guest carry correct checksums */
	struct net_client peer;    /* set once, before the NIC starts */
	struct evloop *loop;
	pthread_t thread;
	_Atomic bool stop;
	/* counters (on the thread) */
	uint64_t n_tx, n_rx, n_tx_bytes, n_rx_bytes;
};

/* Opens the back end and starts its thread. NULL after one message on
 * stderr (e.g. a tap that cannot be opened). */
struct netdev *netdev_open(const struct netdev_opts *o);
/* A netdev with the caller's back end (tests: a fake one): ops and priv
 * set, its loop and thread started. NULL on failure. */
struct netdev *netdev_new(const char *id, const struct netdev_ops *ops, void *priv);
/* Stops the thread (after the NIC is stopped) and frees it. */
void netdev_close(struct netdev *nd);
/* Run fn(arg) on the back end's thread and wait for it (directly when
 * called on the thread). */
void netdev_call(struct netdev *nd, void (*fn)(void *), void *arg);
/* NIC side, on the thread: a frame from the guest; room for frames again. */
void netdev_send(struct netdev *nd, const void *frame, size_t len);
void netdev_rx_ready(struct netdev *nd);
/* Back end side, on the thread: a frame for the guest. False: the NIC
 * wants no more for now (see net_client). */
bool netdev_deliver(struct netdev *nd, const void *frame, size_t len);

/* Built with libslirp (-netdev user, the default NIC)? */
bool net_user_available(void);

/* Back end constructors (net/slirp.c, net/tap.c, net/vmnet.c): fill
 * nd->ops and nd->priv with the loop already created (not yet running).
 * 0, or -1 after one message. */
int net_slirp_open(struct netdev *nd, const struct netdev_opts *o);
int net_tap_open(struct netdev *nd, const struct netdev_opts *o);
int net_vmnet_open(struct netdev *nd, const struct netdev_opts *o);

#endif
