#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "hw/pci/pci-host.h"
#include "machine/fdt.h"

/* ---- INTx ---- */

static void intx_sink(void *opaque, struct pci_dev *d, bool level)
{
	struct pci_host *h = opaque;
	unsigned pin = d->cfg[PCI_INTERRUPT_PIN];
	if (!pin || pin > 4)
		return;
	unsigned line = ((d->devfn >> 3) + pin - 1) % 4; /* the standard swizzle */
	pthread_mutex_lock(&h->intx_lock);
	unsigned before = h->intx_count[line];
	h->intx_count[line] += level ? 1 : (h->intx_count[line] ? -1u : 0);
	if (!before != !h->intx_count[line])
		irq_set(&h->intx[line], h->intx_count[line] != 0);
	pthread_mutex_unlock(&h->intx_lock);
}

static void msi_sink(void *opaque, uint64_t addr, uint32_t data, uint32_t devid)
{
	struct pci_host *h = opaque;
	if (h->msi)
		h->msi(h->msi_opaque, addr, data, devid);
}

/* ---- BAR mapping ---- */

static uint64_t window_base(struct pci_host *h, const struct pci_bar *b)
{
	return (b->flags & PCI_BAR_IO) ? h->pio_base : 0;
}

/* Apply the BAR changes of one function. Under map_lock, never cfg_lock. */
static void apply(struct pci_host *h, struct pci_dev *d, const struct pci_cfg_result *res)
{
	for (unsigned i = 0; i < res->n; i++) {
		const struct pci_bar_change *c = &res->c[i];
		struct pci_bar *b = &d->bar[c->bar];
		uint64_t wb = window_base(h, b);
		if (c->old_addr != PCI_BAR_UNMAPPED)
			mmio_bus_unregister(h->bus, wb + c->old_addr);
		if (c->new_addr == PCI_BAR_UNMAPPED)
			continue;
		char name[48];
		snprintf(name, sizeof(name), "%s BAR%u", d->name, c->bar);
		int r = mmio_bus_register(h->bus, wb + c->new_addr, b->size, b->ops, b->opaque, name);
		if (r && h->n_bad_bar++ < 10)
			fprintf(stderr, "avmm: pci %s: BAR%u at 0x%" PRIx64 " overlaps another region: not decoded\n",
				d->name, c->bar, wb + c->new_addr);
	}
}

/* A config access through ECAM: bus 0 only; absent functions read ones. */
static struct pci_dev *lookup(struct pci_host *h, uint64_t off, uint32_t *reg)
{
	unsigned busn = (unsigned)(off >> 20), devfn = (unsigned)(off >> 12) & 0xff;
	*reg = (uint32_t)(off & 0xfff);
	return busn == 0 ? h->dev[devfn] : NULL;
}

uint64_t pci_host_ecam_read(void *opaque, uint64_t off, unsigned size)
{
	struct pci_host *h = opaque;
	uint32_t reg;
	pthread_mutex_lock(&h->cfg_lock);
	struct pci_dev *d = lookup(h, off, &reg);
	uint32_t v = d && !(reg & (size - 1)) ? pci_cfg_read(d, reg, size) : UINT32_MAX;
	pthread_mutex_unlock(&h->cfg_lock);
	return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

void pci_host_ecam_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct pci_host *h = opaque;
	uint32_t reg;
	struct pci_cfg_result res = { 0 };
	pthread_mutex_lock(&h->map_lock);
	pthread_mutex_lock(&h->cfg_lock);
	struct pci_dev *d = lookup(h, off, &reg);
	if (d && !(reg & (size - 1)))
		pci_cfg_write(d, reg, size, (uint32_t)val, &res);
	pthread_mutex_unlock(&h->cfg_lock);
	if (d && res.n)
		apply(h, d, &res);
	pthread_mutex_unlock(&h->map_lock);
}

static const struct mmio_ops ecam_ops = { pci_host_ecam_read, pci_host_ecam_write, MMIO_W8 | MMIO_W16 | MMIO_W32 };

int pci_host_init(struct pci_host *h, struct mmio_bus *bus, const struct pci_host_config *c)
{
	memset(h, 0, sizeof(*h));
	h->bus = bus;
	h->ecam_base = c->ecam_base;
	h->ecam_size = c->ecam_size;
	h->mmio_base = c->mmio_base;
	h->mmio_size = c->mmio_size;
	h->pio_base = c->pio_base;
	h->pio_size = c->pio_size;
	h->mmio64_base = c->mmio64_base;
	h->mmio64_size = c->mmio64_size;
	memcpy(h->intx, c->intx, sizeof(h->intx));
	h->msi = c->msi;
	h->msi_opaque = c->msi_opaque;
	pthread_mutex_init(&h->cfg_lock, NULL);
	pthread_mutex_init(&h->map_lock, NULL);
	pthread_mutex_init(&h->intx_lock, NULL);
	/* 00.0: the host bridge, as QEMU's gpex-root (1b36:0008, class 0600). */
	pci_dev_init(&h->root, "host-bridge", 0x1b36, 0x0008, 0, 0x060000, 0x1af4, 0x1100);
	pci_dev_add_pcie_cap(&h->root);
	pci_dev_finish(&h->root);
	int r = pci_host_plug(h, &h->root, 0);
	if (!r)
		r = mmio_bus_register(bus, c->ecam_base, c->ecam_size, &ecam_ops, h, "pcie-ecam");
	/* The PIO window holds only the I/O BARs (regions of their own, see
	 * apply): an unassigned port is an unassigned access. */
	return r;
}

void pci_host_destroy(struct pci_host *h)
{
	pthread_mutex_destroy(&h->cfg_lock);
	pthread_mutex_destroy(&h->map_lock);
	pthread_mutex_destroy(&h->intx_lock);
}

int pci_host_plug(struct pci_host *h, struct pci_dev *d, unsigned devfn)
{
	if (devfn > 0xff)
		return -EINVAL;
	pthread_mutex_lock(&h->cfg_lock);
	int r = h->dev[devfn] ? -EEXIST : 0;
	if (!r) {
		d->bus = 0;
		d->devfn = (uint8_t)devfn;
		d->sink = (struct pci_irq_sink){ intx_sink, msi_sink, h };
		h->dev[devfn] = d;
	}
	pthread_mutex_unlock(&h->cfg_lock);
	return r;
}

bool pci_host_in_window(const struct pci_host *h, uint64_t addr)
{
	return (addr >= h->mmio_base && addr - h->mmio_base < h->mmio_size) ||
	       (addr >= h->pio_base && addr - h->pio_base < h->pio_size) ||
	       (addr >= h->mmio64_base && addr - h->mmio64_base < h->mmio64_size);
}

int pci_host_free_slot(struct pci_host *h)
{
	pthread_mutex_lock(&h->cfg_lock);
	int r = -ENOSPC;
	for (unsigned s = 1; s < 32 && r < 0; s++)
		if (!h->dev[s << 3])
			r = (int)s;
	pthread_mutex_unlock(&h->cfg_lock);
	return r;
}

void pci_host_reset(struct pci_host *h)
{
	pthread_mutex_lock(&h->map_lock);
	for (unsigned i = 0; i < 256; i++) {
		struct pci_cfg_result res = { 0 };
		pthread_mutex_lock(&h->cfg_lock);
		struct pci_dev *d = h->dev[i];
		if (d)
			pci_dev_reset(d, &res);
		pthread_mutex_unlock(&h->cfg_lock);
		if (d)
			apply(h, d, &res);
	}
	pthread_mutex_unlock(&h->map_lock);
}

void pci_host_fdt_node(struct pci_host *h, struct fdt_builder *b, uint32_t gic_phandle, uint32_t msi_phandle,
		       bool msi_parent)
{
	const char *n = fdtb_node(b, "/", "pcie@%" PRIx64, h->mmio_base);
	fdtb_prop_str(b, n, "compatible", "pci-host-ecam-generic");
	fdtb_prop_str(b, n, "device_type", "pci");
	fdtb_prop_u32(b, n, "#address-cells", 3);
	fdtb_prop_u32(b, n, "#size-cells", 2);
	fdtb_prop_u32(b, n, "linux,pci-domain", 0);
	uint32_t buses = (uint32_t)(h->ecam_size >> 20);
	const uint32_t range[2] = { 0, buses - 1 };
	fdtb_prop_cells(b, n, "bus-range", range, 2);
	fdtb_prop_empty(b, n, "dma-coherent");
	fdtb_prop_reg(b, n, h->ecam_base, h->ecam_size);
	/* ranges: (child: space hi, mid, lo) (parent: 2 cells) (size: 2). */
	uint32_t r[3 * 7], k = 0;
	const struct { uint32_t space; uint64_t pci, cpu, size; } win[3] = {
		{ 0x01000000u, 0, h->pio_base, h->pio_size },
		{ 0x02000000u, h->mmio_base, h->mmio_base, h->mmio_size },
		{ 0x43000000u, h->mmio64_base, h->mmio64_base, h->mmio64_size },
	};
	for (unsigned i = 0; i < 3; i++) {
		if (!win[i].size)
			continue;
		r[k++] = win[i].space;
		r[k++] = (uint32_t)(win[i].pci >> 32);
		r[k++] = (uint32_t)win[i].pci;
		r[k++] = (uint32_t)(win[i].cpu >> 32);
		r[k++] = (uint32_t)win[i].cpu;
		r[k++] = (uint32_t)(win[i].size >> 32);
		r[k++] = (uint32_t)win[i].size;
	}
	fdtb_prop_cells(b, n, "ranges", r, k);
	/* INTx: slots 0-3 x pins A-D (the pattern repeats every 4 slots). */
	fdtb_prop_u32(b, n, "#interrupt-cells", 1);
	uint32_t map[4 * 4 * 10], m = 0;
	for (unsigned slot = 0; slot < 4; slot++)
		for (unsigned pin = 1; pin <= 4; pin++) {
			unsigned spi = (unsigned)(h->intx[0].n) + (slot + pin - 1) % 4;
			const uint32_t e[10] = { slot << 11, 0, 0, pin, gic_phandle, 0, 0, FDT_IRQ_SPI, spi, FDT_IRQ_LEVEL_HIGH };
			memcpy(map + m, e, sizeof(e));
			m += 10;
		}
	fdtb_prop_cells(b, n, "interrupt-map", map, m);
	const uint32_t mask[4] = { 3u << 11, 0, 0, 7 };
	fdtb_prop_cells(b, n, "interrupt-map-mask", mask, 4);
	if (msi_phandle && msi_parent) {
		fdtb_prop_u32(b, n, "msi-parent", msi_phandle);
	} else if (msi_phandle) {
		const uint32_t mm[4] = { 0, msi_phandle, 0, 0x10000 };
		fdtb_prop_cells(b, n, "msi-map", mm, 4);
	}
}
