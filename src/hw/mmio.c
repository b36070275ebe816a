#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hw/mmio.h"

void mmio_bus_init(struct mmio_bus *bus)
{
	memset(bus, 0, sizeof(*bus));
	pthread_mutex_init(&bus->lock, NULL);
}

void mmio_bus_destroy(struct mmio_bus *bus)
{
	pthread_mutex_destroy(&bus->lock);
}

int mmio_bus_register(struct mmio_bus *bus, uint64_t base, uint64_t size, const struct mmio_ops *ops,
		      void *opaque, const char *name)
{
	if (!size || base + size < base || !ops || !ops->read || !ops->write)
		return -EINVAL;
	if (bus->n == MMIO_MAX_REGIONS)
		return -ENOSPC;
	unsigned i = 0;
	while (i < bus->n && bus->regions[i].base < base)
		i++;
	if (i > 0 && bus->regions[i - 1].base + bus->regions[i - 1].size > base)
		return -EEXIST;
	if (i < bus->n && base + size > bus->regions[i].base)
		return -EEXIST;
	memmove(&bus->regions[i + 1], &bus->regions[i], (bus->n - i) * sizeof(bus->regions[0]));
	bus->regions[i] = (struct mmio_region){ base, size, ops, opaque, name, false };
	bus->n++;
	return 0;
}

int mmio_bus_unregister(struct mmio_bus *bus, uint64_t base)
{
	pthread_mutex_lock(&bus->lock);
	int r = -ENOENT;
	for (unsigned i = 0; i < bus->n; i++)
		if (bus->regions[i].base == base) {
			memmove(&bus->regions[i], &bus->regions[i + 1], (bus->n - i - 1) * sizeof(bus->regions[0]));
			bus->n--;
			r = 0;
			break;
		}
	pthread_mutex_unlock(&bus->lock);
	return r;
}

static struct mmio_region *find(struct mmio_bus *bus, uint64_t addr)
{
	unsigned lo = 0, hi = bus->n;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		struct mmio_region *r = &bus->regions[mid];
		if (addr < r->base)
			hi = mid;
		else if (addr - r->base >= r->size)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

/* The access must fit the region and have a width the device accepts. */
static bool width_ok(struct mmio_region *r, uint64_t off, unsigned size, bool write)
{
	if (size <= 8 && (r->ops->widths & (1u << size)) && off + size <= r->size)
		return true;
	if (!r->warned) {
		r->warned = true;
		fprintf(stderr, "avmm: guest %s of %u bytes at %s+0x%llx: width not supported by the device "
				"(reads as zero, writes ignored)\n",
			write ? "write" : "read", size, r->name, (unsigned long long)off);
	}
	return false;
}

bool mmio_bus_read(struct mmio_bus *bus, uint64_t addr, unsigned size, uint64_t *val)
{
	pthread_mutex_lock(&bus->lock);
	struct mmio_region *r = find(bus, addr);
	bool hit = r != NULL;
	*val = 0;
	if (r && width_ok(r, addr - r->base, size, false))
		*val = r->ops->read(r->opaque, addr - r->base, size);
	if (!r)
		bus->unassigned++;
	pthread_mutex_unlock(&bus->lock);
	return hit;
}

bool mmio_bus_write(struct mmio_bus *bus, uint64_t addr, unsigned size, uint64_t val)
{
	pthread_mutex_lock(&bus->lock);
	struct mmio_region *r = find(bus, addr);
	bool hit = r != NULL;
	if (r && width_ok(r, addr - r->base, size, true))
		r->ops->write(r->opaque, addr - r->base, size, val);
	if (!r)
		bus->unassigned++;
	pthread_mutex_unlock(&bus->lock);
	return hit;
}

bool mmio_bus_present(struct mmio_bus *bus, uint64_t addr)
{
	pthread_mutex_lock(&bus->lock);
	bool hit = find(bus, addr) != NULL;
	pthread_mutex_unlock(&bus->lock);
	return hit;
}
