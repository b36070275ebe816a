/* -netdev vmnet-shared|vmnet-host|vmnet-bridged (macOS, vmnet.framework):
 * the interface is started on a dispatch queue; its "packets available"
 * event only schedules a bottom half on the netdev's thread, which reads
 * the frames (vmnet_read) and hands them to the NIC; frames from the guest
 * go out with vmnet_write on that thread too. Needs the
 * com.apple.vm.networking entitlement or root. UNVERIFIED: compiled only on
 * macOS, not run by anyone here yet. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dispatch/dispatch.h>
#include <vmnet/vmnet.h>

#include "net/net.h"
#include "vmm/evloop.h"

struct vmn {
	struct netdev *nd;
	interface_ref iface;
	dispatch_queue_t q;
	struct evloop_bh *bh;
	uint64_t max_packet;
	bool full;               /* the NIC wants no more until rx_ready */
	unsigned n_errors;
	uint8_t buf[NET_MAX_FRAME];
};

static void vmn_read(void *opaque)
{
	struct vmn *v = opaque;
	for (int i = 0; i < 64 && !v->full; i++) {
		struct iovec iov = { v->buf, sizeof(v->buf) };
		struct vmpktdesc pkt = { .vm_pkt_size = sizeof(v->buf), .vm_pkt_iov = &iov, .vm_pkt_iovcnt = 1 };
		int count = 1;
		if (vmnet_read(v->iface, &pkt, &count) != VMNET_SUCCESS || count < 1)
			return;
		if (!netdev_deliver(v->nd, v->buf, pkt.vm_pkt_size))
			v->full = true;
	}
	if (!v->full)
		evloop_bh_schedule(v->bh); /* more may be waiting: read on, after the loop's other work */
}

static void vmn_send(struct netdev *nd, const void *frame, size_t len)
{
	struct vmn *v = nd->priv;
	struct iovec iov = { (void *)frame, len };
	struct vmpktdesc pkt = { .vm_pkt_size = len, .vm_pkt_iov = &iov, .vm_pkt_iovcnt = 1 };
	int count = 1;
	if (vmnet_write(v->iface, &pkt, &count) != VMNET_SUCCESS && v->n_errors++ < 10)
		fprintf(stderr, "avmm: -netdev %s: vmnet_write failed\n", nd->id);
}

static void vmn_rx_ready(struct netdev *nd)
{
	struct vmn *v = nd->priv;
	v->full = false;
	evloop_bh_schedule(v->bh);
}

static void vmn_stop(struct vmn *v)
{
	dispatch_semaphore_t sem = dispatch_semaphore_create(0);
	vmnet_interface_set_event_callback(v->iface, VMNET_INTERFACE_PACKETS_AVAILABLE, NULL, NULL);
	vmnet_stop_interface(v->iface, v->q, ^(vmnet_return_t st) {
		dispatch_semaphore_signal(sem);
	});
	dispatch_semaphore_wait(sem, DISPATCH_TIME_FOREVER);
	dispatch_release(sem);
}

static void vmn_close(struct netdev *nd)
{
	struct vmn *v = nd->priv;
	vmn_stop(v);
	evloop_bh_free(v->bh);
	dispatch_release(v->q);
	free(v);
}

static const struct netdev_ops vmn_ops = {
	.type = "vmnet", .send = vmn_send, .rx_ready = vmn_rx_ready, .close = vmn_close,
};

int net_vmnet_open(struct netdev *nd, const struct netdev_opts *o)
{
	struct vmn *v = calloc(1, sizeof(*v));
	if (!v)
		return -1;
	v->nd = nd;
	v->bh = evloop_bh_new(nd->loop, vmn_read, v);
	v->q = dispatch_queue_create("avmm.vmnet", DISPATCH_QUEUE_SERIAL);
	xpc_object_t desc = xpc_dictionary_create(NULL, NULL, 0);
	uint64_t mode = o->type == NETDEV_VMNET_HOST ? VMNET_HOST_MODE
			: o->type == NETDEV_VMNET_BRIDGED ? VMNET_BRIDGED_MODE : VMNET_SHARED_MODE;
	xpc_dictionary_set_uint64(desc, vmnet_operation_mode_key, mode);
	if (o->type == NETDEV_VMNET_BRIDGED)
		xpc_dictionary_set_string(desc, vmnet_shared_interface_name_key, o->ifname_bridge);
	dispatch_semaphore_t sem = dispatch_semaphore_create(0);
	__block vmnet_return_t status = VMNET_FAILURE;
	__block uint64_t maxp = 0;
	v->iface = vmnet_start_interface(desc, v->q, ^(vmnet_return_t st, xpc_object_t param) {
		status = st;
		if (st == VMNET_SUCCESS)
			maxp = xpc_dictionary_get_uint64(param, vmnet_max_packet_size_key);
		dispatch_semaphore_signal(sem);
	});
	if (v->iface)
		dispatch_semaphore_wait(sem, DISPATCH_TIME_FOREVER);
	dispatch_release(sem);
	xpc_release(desc);
	if (!v->iface || status != VMNET_SUCCESS || !v->bh) {
		fprintf(stderr, "avmm: -netdev %s: vmnet.framework refused to start the interface (status %d; it needs "
				"root or the com.apple.vm.networking entitlement)\n", o->id, (int)status);
		if (v->iface && status == VMNET_SUCCESS)
			vmn_stop(v);
		if (v->bh)
			evloop_bh_free(v->bh);
		dispatch_release(v->q);
		free(v);
		return -1;
	}
	v->max_packet = maxp;
	struct evloop_bh *bh = v->bh;
	vmnet_interface_set_event_callback(v->iface, VMNET_INTERFACE_PACKETS_AVAILABLE, v->q,
					   ^(interface_event_t ev, xpc_object_t e) {
		evloop_bh_schedule(bh); /* only a wake-up: the netdev's thread reads */
	});
	nd->priv = v;
	nd->ops = &vmn_ops;
	return 0;
}
