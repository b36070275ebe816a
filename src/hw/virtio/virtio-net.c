#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hw/virtio/virtio-net.h"
#include "vmm/evloop.h"

#define TX_BUDGET 256u          /* frames per pass before other work gets the thread */
#define CONFIG_SIZE 10u         /* mac[6], status, max_virtqueue_pairs */

struct frame {
	uint8_t *data;
	size_t len;
};

struct vnet {
	struct virtio_dev vdev;
	struct netdev *nd;
	uint8_t config[CONFIG_SIZE];
	/* On the netdev's thread only, below. */
	bool active;            /* DRIVER_OK seen and no reset since */
	bool link_up;
	bool rx_pushed;         /* used RX buffers not yet signalled */
	struct evloop_bh *bh_rx, *bh_tx, *bh_ctrl, *bh_rx_irq;
	struct frame backlog[VNET_RX_BACKLOG];
	unsigned bl_head, bl_count;
	struct vq_elem elem, first;
	uint16_t heads[VNET_QUEUE_MAX];
	uint32_t lens[VNET_QUEUE_MAX];
	uint8_t txbuf[VIRTIO_NET_HDR_LEN + NET_MAX_FRAME];
	struct vnet_stats st;
};

static inline uint16_t ld16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline void st16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* ---- receive: frames from the back end into the guest's buffers ---- */

/* 1: delivered (or dropped for good); 0: not enough buffers now (nothing
 * consumed); -1: the driver's ring is broken (NEEDS_RESET set). */
static int rx_one(struct vnet *n, const uint8_t *frame, size_t len)
{
	struct virtqueue *vq = &n->vdev.vq[VNET_RXQ];
	bool mrg = virtio_has_feature(&n->vdev, VIRTIO_NET_F_MRG_RXBUF);
	uint8_t hdr[VIRTIO_NET_HDR_LEN] = { 0 };
	if (n->nd->rx_csum_valid && virtio_has_feature(&n->vdev, VIRTIO_NET_F_GUEST_CSUM))
		hdr[0] = VIRTIO_NET_HDR_F_DATA_VALID;
	size_t done = 0; /* frame bytes placed */
	unsigned nb = 0;
	uint16_t start = vq->last_avail;
	while (!nb || done < len) {
		if (nb == vq->size || nb == VNET_QUEUE_MAX) { /* the whole ring cannot hold it */
			n->st.rx_dropped++;
			for (unsigned i = 0; i < nb; i++)
				vq_push(vq, n->heads[i], 0);
			n->rx_pushed = true;
			return 1;
		}
		struct vq_elem *e = nb ? &n->elem : &n->first;
		int k = vq_pop(vq, e);
		if (k < 0) {
			virtio_needs_reset(&n->vdev, "invalid receive descriptor chain");
			return -1;
		}
		if (!k) {
			vq->last_avail = start; /* not taken: filled again once there are enough */
			/* Ask for a kick when buffers come (EVENT_IDX: avail_event);
			 * some may have come before that was visible. */
			vq_set_notify(vq, true);
			if (vq_has_avail(vq))
				evloop_bh_schedule(n->bh_rx);
			return 0;
		}
		if (e->n_out || (!nb && e->in_len < sizeof(hdr)) || !e->in_len) {
			vq_push(vq, e->head, 0);
			n->rx_pushed = true;
			virtio_needs_reset(&n->vdev, "receive buffer not writable or shorter than the header");
			return -1;
		}
		/* The first buffer starts with the header, written last (once
		 * num_buffers is known). */
		size_t skip = nb ? 0 : sizeof(hdr);
		size_t chunk = len - done;
		if (chunk > e->in_len - skip)
			chunk = (size_t)e->in_len - skip;
		size_t w = vq_iov_from_buf(e->iov + e->n_out, e->n_in, skip, frame + done, chunk);
		done += w;
		n->heads[nb] = e->head;
		n->lens[nb] = (uint32_t)(skip + w);
		nb++;
		if (w < chunk || (!mrg && done < len)) { /* one buffer must hold it all without MRG_RXBUF */
			n->st.rx_dropped++;
			for (unsigned i = 0; i < nb; i++)
				vq_push(vq, n->heads[i], 0);
			n->rx_pushed = true;
			return 1;
		}
	}
	st16(hdr + 10, (uint16_t)nb);
	vq_iov_from_buf(n->first.iov + n->first.n_out, n->first.n_in, 0, hdr, sizeof(hdr));
	for (unsigned i = 0; i < nb; i++)
		vq_push(vq, n->heads[i], n->lens[i]);
	n->st.rx_frames++;
	n->rx_pushed = true;
	return 1;
}

static void rx_signal(struct vnet *n)
{
	if (n->rx_pushed) {
		vq_set_notify(&n->vdev.vq[VNET_RXQ], true); /* avail_event follows what was taken */
		evloop_bh_schedule(n->bh_rx_irq);
	}
}

static void bh_rx_irq(void *opaque)
{
	struct vnet *n = opaque;
	if (n->active && n->rx_pushed) {
		n->rx_pushed = false;
		virtio_queue_done(&n->vdev, VNET_RXQ);
	}
}

static bool rx_usable(struct vnet *n)
{
	return n->active && n->link_up && n->vdev.vq[VNET_RXQ].ready &&
	       !(atomic_load(&n->vdev.status) & VIRTIO_S_NEEDS_RESET);
}

static void backlog_drop(struct vnet *n)
{
	while (n->bl_count) {
		free(n->backlog[n->bl_head].data);
		n->bl_head = (n->bl_head + 1) % VNET_RX_BACKLOG;
		n->bl_count--;
	}
}

static bool backlog_add(struct vnet *n, const void *frame, size_t len)
{
	if (n->bl_count == VNET_RX_BACKLOG) {
		n->st.rx_dropped++;
		return false;
	}
	uint8_t *d = malloc(len ? len : 1);
	if (!d) {
		n->st.rx_dropped++;
		return true;
	}
	memcpy(d, frame, len);
	n->backlog[(n->bl_head + n->bl_count) % VNET_RX_BACKLOG] = (struct frame){ d, len };
	n->bl_count++;
	n->st.rx_backlogged++;
	return n->bl_count < VNET_RX_BACKLOG;
}

/* The guest gave receive buffers (or the device started): the backlog first. */
static void bh_rx(void *opaque)
{
	struct vnet *n = opaque;
	if (!rx_usable(n)) {
		backlog_drop(n);
		return;
	}
	bool was_full = n->bl_count == VNET_RX_BACKLOG;
	while (n->bl_count) {
		struct frame *f = &n->backlog[n->bl_head];
		int r = rx_one(n, f->data, f->len);
		if (r == 0)
			break;
		free(f->data);
		n->bl_head = (n->bl_head + 1) % VNET_RX_BACKLOG;
		n->bl_count--;
		if (r < 0) {
			backlog_drop(n);
			break;
		}
	}
	rx_signal(n);
	if (was_full && n->bl_count < VNET_RX_BACKLOG)
		netdev_rx_ready(n->nd);
}

static bool vnet_receive(void *opaque, const void *frame, size_t len)
{
	struct vnet *n = opaque;
	if (!rx_usable(n)) {
		n->st.rx_dropped++;
		return true; /* no driver, no link: the frame is lost, as on a wire */
	}
	if (n->bl_count) {
		bh_rx(n); /* buffers may have come without a kick reaching us yet */
		if (n->bl_count || !rx_usable(n))
			return rx_usable(n) ? backlog_add(n, frame, len) : true;
	}
	int r = rx_one(n, frame, len);
	if (r == 0)
		return backlog_add(n, frame, len);
	rx_signal(n);
	return true;
}

/* ---- transmit ---- */

/* The checksum the driver left to the device (NEEDS_CSUM): the ones'
 * complement sum from csum_start to the end, stored at csum_offset. */
static void complete_csum(uint8_t *p, size_t len, unsigned start, unsigned off)
{
	uint32_t sum = 0;
	size_t i = start;
	for (; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < len)
		sum += (uint32_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	uint16_t c = (uint16_t)~sum;
	p[start + off] = (uint8_t)(c >> 8);
	p[start + off + 1] = (uint8_t)c;
}

static void tx_frame(struct vnet *n, struct vq_elem *e)
{
	if (e->out_len < VIRTIO_NET_HDR_LEN || e->out_len > sizeof(n->txbuf)) {
		n->st.tx_bad++;
		return;
	}
	size_t len = vq_iov_to_buf(e->iov, e->n_out, 0, n->txbuf, (size_t)e->out_len);
	uint8_t *h = n->txbuf, *f = n->txbuf + VIRTIO_NET_HDR_LEN;
	len -= VIRTIO_NET_HDR_LEN;
	if (h[1] != 0) { /* gso_type: no segmentation offload was offered */
		n->st.tx_bad++;
		return;
	}
	if ((h[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM) && virtio_has_feature(&n->vdev, VIRTIO_NET_F_CSUM)) {
		unsigned start = ld16(h + 6), off = ld16(h + 8);
		if ((size_t)start + off + 2 > len) {
			n->st.tx_bad++;
			return;
		}
		complete_csum(f, len, start, off);
	}
	n->st.tx_frames++;
	netdev_send(n->nd, f, len);
}

static void bh_tx(void *opaque)
{
	struct vnet *n = opaque;
	struct virtqueue *vq = &n->vdev.vq[VNET_TXQ];
	if (!n->active || !vq->ready || (atomic_load(&n->vdev.status) & VIRTIO_S_NEEDS_RESET))
		return;
	unsigned done = 0;
	int k;
	for (;;) {
		vq_set_notify(vq, false);
		while (done < TX_BUDGET && (k = vq_pop(vq, &n->elem)) == 1) {
			/* The link down: frames go nowhere, the buffers come back. */
			if (n->link_up)
				tx_frame(n, &n->elem);
			vq_push(vq, n->elem.head, 0);
			done++;
		}
		if (done == TX_BUDGET) {
			evloop_bh_schedule(n->bh_tx); /* more next iteration: notifications stay off */
			break;
		}
		if (k < 0) {
			virtio_needs_reset(&n->vdev, "invalid transmit descriptor chain");
			break;
		}
		vq_set_notify(vq, true);
		if (!vq_has_avail(vq))
			break;
	}
	if (done)
		virtio_queue_done(&n->vdev, VNET_TXQ);
}

/* ---- control queue ---- */

static uint8_t ctrl_cmd(struct vnet *n, const struct vq_elem *e)
{
	uint8_t buf[2 + 2 * (4 + 6 * 64)];
	size_t len = vq_iov_to_buf(e->iov, e->n_out, 0, buf, sizeof(buf));
	if (len < 2 || e->out_len > sizeof(buf))
		return VIRTIO_NET_ERR;
	uint8_t cls = buf[0], cmd = buf[1];
	const uint8_t *d = buf + 2;
	len -= 2;
	if (cls == VIRTIO_NET_CTRL_RX && cmd <= 5) {
		/* promisc, allmulti, alluni, nomulti, nouni, allbcast: one byte
		 * each. Every frame reaches the guest anyway (the back end only
		 * sends it its own), so each mode is already in effect. */
		return len == 1 ? VIRTIO_NET_OK : VIRTIO_NET_ERR;
	}
	if (cls == VIRTIO_NET_CTRL_MAC && cmd == 0) { /* MAC_TABLE_SET: unicast, then multicast table */
		size_t off = 0;
		for (int t = 0; t < 2; t++) {
			if (len - off < 4)
				return VIRTIO_NET_ERR;
			uint32_t cnt = (uint32_t)d[off] | (uint32_t)d[off + 1] << 8 | (uint32_t)d[off + 2] << 16 |
				       (uint32_t)d[off + 3] << 24;
			off += 4;
			if (cnt > (len - off) / 6)
				return VIRTIO_NET_ERR;
			off += 6 * (size_t)cnt;
		}
		return off == len ? VIRTIO_NET_OK : VIRTIO_NET_ERR;
	}
	return VIRTIO_NET_ERR;
}

static void bh_ctrl(void *opaque)
{
	struct vnet *n = opaque;
	struct virtqueue *vq = &n->vdev.vq[VNET_CTRLQ];
	if (!n->active || !vq->ready || (atomic_load(&n->vdev.status) & VIRTIO_S_NEEDS_RESET))
		return;
	int k;
	bool pushed = false;
again:
	while ((k = vq_pop(vq, &n->elem)) == 1) {
		if (!n->elem.in_len) {
			vq_push(vq, n->elem.head, 0);
			virtio_needs_reset(&n->vdev, "control command without a status byte");
			k = 0;
			pushed = true;
			break;
		}
		uint8_t ack = ctrl_cmd(n, &n->elem);
		vq_iov_from_buf(n->elem.iov + n->elem.n_out, n->elem.n_in, 0, &ack, 1);
		vq_push(vq, n->elem.head, 1);
		pushed = true;
	}
	if (k == 0 && !(atomic_load(&n->vdev.status) & VIRTIO_S_NEEDS_RESET)) {
		vq_set_notify(vq, true); /* EVENT_IDX: the next command kicks */
		if (vq_has_avail(vq))
			goto again;
	}
	if (k < 0)
		virtio_needs_reset(&n->vdev, "invalid control descriptor chain");
	if (pushed)
		virtio_queue_done(&n->vdev, VNET_CTRLQ);
}

/* ---- the device ---- */

static void vnet_notify(struct virtio_dev *d, unsigned q)
{
	struct vnet *n = d->opaque;
	evloop_bh_schedule(q == VNET_RXQ ? n->bh_rx : q == VNET_TXQ ? n->bh_tx : n->bh_ctrl);
}

static void activate_on_thread(void *opaque)
{
	struct vnet *n = opaque;
	n->active = true;
	bh_rx(n);
	bh_tx(n);
	bh_ctrl(n);
}

static int vnet_activate(struct virtio_dev *d)
{
	struct vnet *n = d->opaque;
	/* Not waited for: the rings are ready; the thread starts on them. */
	struct evloop *l = n->nd->loop;
	return evloop_defer(l, activate_on_thread, n);
}

static void reset_on_thread(void *opaque)
{
	struct vnet *n = opaque;
	n->active = false;
	n->rx_pushed = false;
	bool was_full = n->bl_count == VNET_RX_BACKLOG;
	backlog_drop(n);
	evloop_bh_cancel(n->bh_rx);
	evloop_bh_cancel(n->bh_tx);
	evloop_bh_cancel(n->bh_ctrl);
	evloop_bh_cancel(n->bh_rx_irq);
	if (was_full)
		netdev_rx_ready(n->nd);
}

/* Under d->lock, from a vCPU or a system reset: the netdev's thread stops
 * using the rings before this returns (it never takes d->lock). An
 * activation deferred before the reset runs first and is undone. */
static void vnet_reset(struct virtio_dev *d)
{
	struct vnet *n = d->opaque;
	netdev_call(n->nd, reset_on_thread, n);
}

static const struct virtio_dev_ops vnet_ops = {
	.name = "virtio-net",
	.device_id = VIRTIO_NET_ID,
	.features = 1ull << VIRTIO_NET_F_CSUM | 1ull << VIRTIO_NET_F_GUEST_CSUM | 1ull << VIRTIO_NET_F_MAC |
		    1ull << VIRTIO_NET_F_MRG_RXBUF | 1ull << VIRTIO_NET_F_STATUS | 1ull << VIRTIO_NET_F_CTRL_VQ |
		    1ull << VIRTIO_NET_F_CTRL_RX,
	.num_queues = 3,
	.queue_max = VNET_QUEUE_MAX,
	.config_size = CONFIG_SIZE,
	.activate = vnet_activate,
	.reset = vnet_reset,
	.notify = vnet_notify,
};

static void attach_on_thread(void *opaque)
{
	struct vnet *n = opaque;
	n->nd->peer = (struct net_client){ vnet_receive, n };
}

static void detach_on_thread(void *opaque)
{
	struct vnet *n = opaque;
	reset_on_thread(n);
	n->nd->peer = (struct net_client){ 0 };
	evloop_bh_free(n->bh_rx);
	evloop_bh_free(n->bh_tx);
	evloop_bh_free(n->bh_ctrl);
	evloop_bh_free(n->bh_rx_irq);
}

int vnet_create(struct guest_mem *gm, struct netdev *nd, const uint8_t mac[6], struct vnet **out)
{
	struct vnet *n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->nd = nd;
	n->link_up = true;
	memcpy(n->config, mac, 6);
	st16(n->config + 6, VIRTIO_NET_S_LINK_UP);
	st16(n->config + 8, 1);
	n->bh_rx = evloop_bh_new(nd->loop, bh_rx, n);
	n->bh_tx = evloop_bh_new(nd->loop, bh_tx, n);
	n->bh_ctrl = evloop_bh_new(nd->loop, bh_ctrl, n);
	n->bh_rx_irq = evloop_bh_new(nd->loop, bh_rx_irq, n);
	int e = -ENOMEM;
	if (!n->bh_rx || !n->bh_tx || !n->bh_ctrl || !n->bh_rx_irq ||
	    (e = virtio_dev_init(&n->vdev, &vnet_ops, n, gm, n->config))) {
		evloop_bh_free(n->bh_rx);
		evloop_bh_free(n->bh_tx);
		evloop_bh_free(n->bh_ctrl);
		evloop_bh_free(n->bh_rx_irq);
		free(n);
		return e;
	}
	netdev_call(nd, attach_on_thread, n);
	*out = n;
	return 0;
}

struct virtio_dev *vnet_virtio(struct vnet *n)
{
	return &n->vdev;
}

struct link_arg {
	struct vnet *n;
	bool up;
};

static void link_on_thread(void *opaque)
{
	struct link_arg *a = opaque;
	a->n->link_up = a->up;
	if (!a->up)
		backlog_drop(a->n);
}

void vnet_set_link(struct vnet *n, bool up)
{
	struct link_arg a = { n, up };
	netdev_call(n->nd, link_on_thread, &a);
	pthread_mutex_lock(&n->vdev.lock);
	st16(n->config + 6, up ? VIRTIO_NET_S_LINK_UP : 0);
	pthread_mutex_unlock(&n->vdev.lock);
	virtio_config_changed(&n->vdev);
}

struct stats_arg {
	struct vnet *n;
	struct vnet_stats *s;
};

static void stats_on_thread(void *opaque)
{
	struct stats_arg *a = opaque;
	*a->s = a->n->st;
}

void vnet_get_stats(struct vnet *n, struct vnet_stats *s)
{
	struct stats_arg a = { n, s };
	netdev_call(n->nd, stats_on_thread, &a);
}

void vnet_destroy(struct vnet *n)
{
	if (!n)
		return;
	netdev_call(n->nd, detach_on_thread, n);
	virtio_dev_destroy(&n->vdev);
	free(n);
}
