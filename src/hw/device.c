#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/device.h"

int device_list_add(struct device_list *l, const struct device_ops *ops, void *opaque, const char *name)
{
	if (l->n == l->cap) {
		unsigned cap = l->cap ? 2 * l->cap : 16;
		struct device *d = realloc(l->devs, cap * sizeof(*d));
		if (!d)
			return -ENOMEM;
		l->devs = d;
		l->cap = cap;
	}
	struct device *d = &l->devs[l->n++];
	d->ops = ops;
	d->opaque = opaque;
	snprintf(d->name, sizeof(d->name), "%s", name ? name : ops->type);
	return 0;
}

struct device *device_list_find(struct device_list *l, const char *name)
{
	for (unsigned i = 0; i < l->n; i++)
		if (!strcmp(l->devs[i].name, name))
			return &l->devs[i];
	return NULL;
}

void device_list_reset(struct device_list *l)
{
	for (unsigned i = 0; i < l->n; i++)
		if (l->devs[i].ops->reset)
			l->devs[i].ops->reset(l->devs[i].opaque);
}

void device_list_quiesce(struct device_list *l)
{
	for (unsigned i = 0; i < l->n; i++)
		if (l->devs[i].ops->quiesce)
			l->devs[i].ops->quiesce(l->devs[i].opaque);
}

void device_list_resume(struct device_list *l)
{
	for (unsigned i = 0; i < l->n; i++)
		if (l->devs[i].ops->resume)
			l->devs[i].ops->resume(l->devs[i].opaque);
}

void device_list_destroy(struct device_list *l)
{
	device_list_quiesce(l);
	for (unsigned i = l->n; i-- > 0;)
		if (l->devs[i].ops->destroy)
			l->devs[i].ops->destroy(l->devs[i].opaque);
	free(l->devs);
	memset(l, 0, sizeof(*l));
}
