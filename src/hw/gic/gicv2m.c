/* GICv2m MSI frame: see gicv2m.h. */
#include <errno.h>

#include "hw/device.h"
#include "hw/gic/gicv2m.h"
#include "hw/gic/gicv3-internal.h"
#include "hw/mmio.h"

/* MSI_IIDR: ProductID 0x61 ('a'), implementer 0x43B, as the GIC's IIDR. */
#define GICV2M_IIDR_VALUE 0x6100043bu

int gicv2m_init(struct gicv2m *m, struct gicv3 *gic, unsigned spi_base, unsigned spi_count)
{
	if (spi_base < GICV3_SPI_BASE || spi_count == 0 || spi_count > 1023 || spi_base > gic->spi_end ||
	    spi_count > gic->spi_end - spi_base)
		return -EINVAL;
	m->gic = gic;
	m->spi_base = spi_base;
	m->spi_count = spi_count;
	return 0;
}

int gicv2m_map(struct gicv2m *m, struct mmio_bus *bus, uint64_t base)
{
	static const struct mmio_ops ops = { .read = gicv2m_read, .write = gicv2m_write, .widths = MMIO_W32 };
	return mmio_bus_register(bus, base, GICV2M_FRAME_SIZE, &ops, m, "gicv2m");
}

static void guest_error(struct gicv2m *m, const char *what, uint64_t off, unsigned size, uint64_t val)
{
	pthread_mutex_lock(&m->gic->lock);
	gic_log(m->gic, "GICv2m: guest %s of %u bytes at +0x%llx (value 0x%llx) ignored", what, size,
		(unsigned long long)off, (unsigned long long)val);
	pthread_mutex_unlock(&m->gic->lock);
}

uint64_t gicv2m_read(void *opaque, uint64_t off, unsigned size)
{
	struct gicv2m *m = opaque;
	if (size == 4 && off == GICV2M_MSI_TYPER)
		return (uint32_t)m->spi_base << 16 | m->spi_count;
	if (size == 4 && off == GICV2M_MSI_IIDR)
		return GICV2M_IIDR_VALUE;
	guest_error(m, "read", off, size, 0);
	return 0;
}

void gicv2m_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct gicv2m *m = opaque;
	if (size == 4 && off == GICV2M_MSI_SETSPI_NS && val >= m->spi_base && val - m->spi_base < m->spi_count) {
		gicv3_pulse_spi(m->gic, (unsigned)val);
		return;
	}
	guest_error(m, "write", off, size, val);
}

/* Stateless: embedded in its owner, which frees it. */
const struct device_ops gicv2m_device_ops = { .type = "gicv2m" };
