#include <errno.h>

#include "host/host.h"
#include "hw/virtio/vworker.h"

static void *run(void *arg)
{
	struct vworker *w = arg;
	host_thread_name(w->name);
	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		if (!w->active || !w->kick) {
			pthread_cond_wait(&w->cond, &w->lock);
			continue;
		}
		uint32_t kick = w->kick;
		w->kick = 0;
		w->busy = true;
		pthread_mutex_unlock(&w->lock);
		for (unsigned q = 0; kick; q++, kick >>= 1)
			if (kick & 1)
				w->process(w->opaque, q);
		pthread_mutex_lock(&w->lock);
		w->busy = false;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int vworker_start(struct vworker *w, void (*process)(void *opaque, unsigned q), void *opaque, const char *name)
{
	w->kick = 0;
	w->active = w->busy = w->stop = false;
	w->process = process;
	w->opaque = opaque;
	w->name = name;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	return pthread_create(&w->thread, NULL, run, w) ? -EAGAIN : 0;
}

void vworker_kick(struct vworker *w, unsigned q)
{
	pthread_mutex_lock(&w->lock);
	w->kick |= 1u << q;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void vworker_activate(struct vworker *w, unsigned nq)
{
	pthread_mutex_lock(&w->lock);
	w->active = true;
	w->kick = nq >= 32 ? ~0u : (1u << nq) - 1;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void vworker_pause(struct vworker *w)
{
	pthread_mutex_lock(&w->lock);
	w->active = false;
	w->kick = 0;
	while (w->busy)
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

void vworker_stop(struct vworker *w)
{
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
}
