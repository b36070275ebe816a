/* virtio-net (virtio 1.2 §5.1): one receive and one transmit queue and the
 * control queue, the MAC address and link status in config space, mergeable
 * receive buffers, checksum offload both ways (the device completes a
 * partial checksum the driver leaves, VIRTIO_NET_F_CSUM; frames from a back
 * end whose checksums are correct are marked DATA_VALID, GUEST_CSUM). No
 * segmentation offloads: neither libslirp nor a plain tap takes them, so
 * none is offered. Queues are processed on the netdev's thread (net/net.h),
 * the driver's notify only schedules work there. */
#ifndef AVMM_HW_VIRTIO_VIRTIO_NET_H
#define AVMM_HW_VIRTIO_VIRTIO_NET_H

#include "hw/virtio/virtio.h"
#include "net/net.h"

#define VIRTIO_NET_ID 1

#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_F_CTRL_VQ 17
#define VIRTIO_NET_F_CTRL_RX 18

#define VIRTIO_NET_S_LINK_UP 1u

#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1u
#define VIRTIO_NET_HDR_F_DATA_VALID 2u
#define VIRTIO_NET_HDR_LEN 12u   /* with VERSION_1, always with num_buffers */

#define VIRTIO_NET_CTRL_RX 0
#define VIRTIO_NET_CTRL_MAC 1
#define VIRTIO_NET_OK 0
#define VIRTIO_NET_ERR 1

#define VNET_RXQ 0
#define VNET_TXQ 1
#define VNET_CTRLQ 2
#define VNET_QUEUE_MAX 256
#define VNET_RX_BACKLOG 256      /* frames kept while the guest has no buffers */

struct vnet;

/* The NIC on netdev nd (which it takes as its peer). 0 or -errno. */
int vnet_create(struct guest_mem *gm, struct netdev *nd, const uint8_t mac[6], struct vnet **out);
struct virtio_dev *vnet_virtio(struct vnet *n);
/* Link up or down (config status, a configuration-change interrupt). */
void vnet_set_link(struct vnet *n, bool up);
/* Stop the device first (its netdev's thread must not use it afterwards). */
void vnet_destroy(struct vnet *n);

struct vnet_stats {
	uint64_t tx_frames, rx_frames, rx_dropped, tx_bad, rx_backlogged;
};
void vnet_get_stats(struct vnet *n, struct vnet_stats *s);

#endif
