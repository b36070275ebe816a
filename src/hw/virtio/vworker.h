/* A virtio device's request thread: the driver's queue notifications (a
 * vCPU's MMIO write) only set a bit and wake it; it runs the device's queue
 * handler for each notified queue. Reset pauses it and waits until no
 * handler runs, so the rings can be taken away safely. */
#ifndef AVMM_HW_VIRTIO_VWORKER_H
#define AVMM_HW_VIRTIO_VWORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct vworker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint32_t kick;            /* queues notified since the last pass */
	bool active, busy, stop;
	void (*process)(void *opaque, unsigned q);
	void *opaque;
	const char *name;
};

int vworker_start(struct vworker *w, void (*process)(void *opaque, unsigned q), void *opaque, const char *name);
/* The driver notified queue q (any thread; never blocks on the handler). */
void vworker_kick(struct vworker *w, unsigned q);
/* DRIVER_OK: serve, and look at queues 0..nq-1 once (buffers may be there). */
void vworker_activate(struct vworker *w, unsigned nq);
/* Stop serving; returns when no handler is running. */
void vworker_pause(struct vworker *w);
void vworker_stop(struct vworker *w);

#endif
