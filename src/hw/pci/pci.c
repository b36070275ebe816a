#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hw/pci/msix.h"
#include "hw/pci/pci.h"

void pci_dev_init(struct pci_dev *d, const char *name, uint16_t vendor, uint16_t device, uint8_t revision,
		  uint32_t class_code, uint16_t subsys_vendor, uint16_t subsys)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	pthread_mutex_init(&d->irq_lock, NULL);
	pci_set16(d->cfg, PCI_VENDOR_ID, vendor);
	pci_set16(d->cfg, PCI_DEVICE_ID, device);
	d->cfg[PCI_REVISION_ID] = revision;
	d->cfg[PCI_CLASS_PROG] = (uint8_t)class_code;
	d->cfg[PCI_CLASS_PROG + 1] = (uint8_t)(class_code >> 8);
	d->cfg[PCI_CLASS_PROG + 2] = (uint8_t)(class_code >> 16);
	pci_set16(d->cfg, PCI_SUBSYSTEM_VENDOR_ID, subsys_vendor);
	pci_set16(d->cfg, PCI_SUBSYSTEM_ID, subsys);
	/* Command: I/O, memory, bus master, parity, SERR, INTx disable. */
	pci_set16(d->wmask, PCI_COMMAND,
		  PCI_CMD_IO | PCI_CMD_MEMORY | PCI_CMD_MASTER | PCI_CMD_PARITY | PCI_CMD_SERR | PCI_CMD_INTX_DISABLE);
	pci_set16(d->w1cmask, PCI_STATUS, PCI_STATUS_W1C);
	d->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	d->wmask[PCI_INTERRUPT_LINE] = 0xff;
	d->next_cap = PCI_CAP_START;
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		d->bar[i].mapped_at = PCI_BAR_UNMAPPED;
}

int pci_dev_add_bar(struct pci_dev *d, unsigned i, uint64_t size, uint8_t flags, const struct mmio_ops *ops,
		    void *opaque)
{
	bool io = flags & PCI_BAR_IO, b64 = flags & PCI_BAR_MEM64;
	if (i >= PCI_NUM_BARS || (b64 && (io || i + 1 >= PCI_NUM_BARS)) || !size || (size & (size - 1)) ||
	    (io && size > 0x10000) || (!b64 && size > 0x80000000ull) || size < (io ? 4 : 16) || d->bar[i].size)
		return -EINVAL;
	struct pci_bar *b = &d->bar[i];
	b->size = size;
	b->flags = flags;
	b->ops = ops;
	b->opaque = opaque;
	unsigned off = PCI_BAR0 + 4 * i;
	uint64_t mask = ~(size - 1);
	pci_set32(d->cfg, off, io ? PCI_BAR_IO : (flags & (PCI_BAR_MEM64 | PCI_BAR_PREFETCH)));
	pci_set32(d->wmask, off, (uint32_t)mask & (io ? ~3u : ~15u));
	if (b64)
		pci_set32(d->wmask, off + 4, (uint32_t)(mask >> 32));
	return 0;
}

uint8_t pci_dev_add_cap(struct pci_dev *d, uint8_t id, unsigned len)
{
	unsigned off = (d->next_cap + 3u) & ~3u;
	if (len < 2 || off + len > PCI_EXT_CAP_START)
		return 0;
	d->cfg[off] = id;
	d->cfg[off + 1] = 0;
	if (d->cap_tail)
		d->cfg[d->cap_tail + 1] = (uint8_t)off;
	else
		d->cfg[PCI_CAPABILITY_LIST] = (uint8_t)off;
	pci_set16(d->cfg, PCI_STATUS, pci_get16(d, PCI_STATUS) | PCI_STATUS_CAP_LIST);
	d->cap_tail = (uint8_t)off;
	d->next_cap = (uint16_t)(off + len);
	return (uint8_t)off;
}

uint8_t pci_dev_add_pcie_cap(struct pci_dev *d)
{
	/* 0x3c bytes: the v2 capability with the device 2 / link 2 registers. */
	uint8_t c = pci_dev_add_cap(d, PCI_CAP_ID_EXP, 0x3c);
	if (!c)
		return 0;
	pci_set16(d->cfg, c + 2, 2 | 0x9u << 4);      /* version 2, Root Complex Integrated Endpoint */
	pci_set32(d->cfg, c + 4, 1u << 15 | 1u << 28); /* DevCap: role-based error reporting, FLR */
	/* DevCtl: error reporting enables, relaxed ordering, max payload /
	 * read request, no-snoop, and initiate-FLR (bit 15) are writable. */
	pci_set16(d->wmask, c + 8, 0x7cffu);
	pci_set16(d->cfg, c + 8, 1u << 4 | 2u << 12);  /* relaxed ordering, 512-byte read requests */
	pci_set16(d->w1cmask, c + 10, 0x000fu);         /* DevSta error bits */
	pci_set32(d->cfg, c + 0x24, 1u << 4 | 1u << 11);   /* DevCap2: completion timeout disable, LTR */
	pci_set16(d->wmask, c + 0x28, 1u << 4 | 1u << 10); /* DevCtl2 */
	return c;
}

void pci_dev_set_pin(struct pci_dev *d, uint8_t pin)
{
	d->cfg[PCI_INTERRUPT_PIN] = pin;
}

void pci_dev_finish(struct pci_dev *d)
{
	memcpy(d->reset_cfg, d->cfg, sizeof(d->cfg));
}

/* Where BAR i decodes now, or PCI_BAR_UNMAPPED (decode off, never
 * assigned, being sized, or wrapping the address space). */
static uint64_t bar_address(const struct pci_dev *d, unsigned i)
{
	const struct pci_bar *b = &d->bar[i];
	if (!b->size)
		return PCI_BAR_UNMAPPED;
	uint16_t cmd = pci_get16(d, PCI_COMMAND);
	unsigned off = PCI_BAR0 + 4 * i;
	uint64_t a;
	if (b->flags & PCI_BAR_IO) {
		if (!(cmd & PCI_CMD_IO))
			return PCI_BAR_UNMAPPED;
		a = pci_get32(d, off) & ~3u;
		if (!a || a + b->size > 0x10000)
			return PCI_BAR_UNMAPPED;
		return a;
	}
	if (!(cmd & PCI_CMD_MEMORY))
		return PCI_BAR_UNMAPPED;
	a = pci_get32(d, off) & ~15u;
	uint64_t limit = UINT32_MAX;
	if (b->flags & PCI_BAR_MEM64) {
		a |= (uint64_t)pci_get32(d, off + 4) << 32;
		limit = UINT64_MAX;
	}
	uint64_t last = a + b->size - 1;
	if (!a || last < a || last >= limit)
		return PCI_BAR_UNMAPPED;
	return a;
}

static void update_bars(struct pci_dev *d, struct pci_cfg_result *res)
{
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		uint64_t n = bar_address(d, i);
		if (n == d->bar[i].mapped_at)
			continue;
		res->c[res->n++] = (struct pci_bar_change){ i, d->bar[i].mapped_at, n };
		d->bar[i].mapped_at = n;
	}
}

static void update_intx(struct pci_dev *d)
{
	pthread_mutex_lock(&d->irq_lock);
	bool out = d->intx_level && !(pci_get16(d, PCI_COMMAND) & PCI_CMD_INTX_DISABLE) && d->cfg[PCI_INTERRUPT_PIN];
	if (out != d->intx_out) {
		d->intx_out = out;
		if (d->sink.intx)
			d->sink.intx(d->sink.opaque, d, out);
	}
	pthread_mutex_unlock(&d->irq_lock);
}

void pci_set_irq(struct pci_dev *d, bool level)
{
	pthread_mutex_lock(&d->irq_lock);
	d->intx_level = level;
	pthread_mutex_unlock(&d->irq_lock);
	update_intx(d);
}

bool pci_bus_master(const struct pci_dev *d)
{
	return __atomic_load_n(&d->cfg[PCI_COMMAND], __ATOMIC_RELAXED) & PCI_CMD_MASTER;
}

void pci_dev_reset(struct pci_dev *d, struct pci_cfg_result *res)
{
	res->n = 0;
	memcpy(d->cfg, d->reset_cfg, sizeof(d->cfg));
	update_bars(d, res);
	if (d->msix)
		msix_reset(d->msix);
	if (d->msi)
		msi_reset(d->msi);
	pthread_mutex_lock(&d->irq_lock);
	d->intx_level = false;
	pthread_mutex_unlock(&d->irq_lock);
	update_intx(d);
	if (d->ops && d->ops->reset)
		d->ops->reset(d);
}

uint32_t pci_cfg_read(struct pci_dev *d, uint32_t off, unsigned len)
{
	if ((len != 1 && len != 2 && len != 4) || off >= PCI_CFG_SIZE || len > PCI_CFG_SIZE - off)
		return UINT32_MAX;
	if (d->ops && d->ops->config_read)
		d->ops->config_read(d, off, len);
	uint32_t v = 0;
	for (unsigned i = 0; i < len; i++) {
		uint8_t b = d->cfg[off + i];
		/* Status.Interrupt shows the device's INTx whether masked or not. */
		if (off + i == PCI_STATUS)
			b = (uint8_t)((b & ~PCI_STATUS_INTERRUPT) |
				      (__atomic_load_n(&d->intx_level, __ATOMIC_RELAXED) ? PCI_STATUS_INTERRUPT : 0));
		v |= (uint32_t)b << (8 * i);
	}
	return v;
}

static bool overlaps(uint32_t off, unsigned len, uint32_t start, uint32_t end)
{
	return off < end && off + len > start;
}

void pci_cfg_write(struct pci_dev *d, uint32_t off, unsigned len, uint32_t val, struct pci_cfg_result *res)
{
	res->n = 0;
	if ((len != 1 && len != 2 && len != 4) || off >= PCI_CFG_SIZE || len > PCI_CFG_SIZE - off)
		return;
	/* Initiate Function Level Reset: DevCtl bit 15 of the PCIe
	 * capability, written as 1 (it always reads 0). */
	uint8_t exp = 0;
	for (unsigned c = d->cfg[PCI_CAPABILITY_LIST], n = 0; c && n < 48; c = d->cfg[c + 1], n++)
		if (d->cfg[c] == PCI_CAP_ID_EXP)
			exp = (uint8_t)c;
	if (exp && overlaps(off, len, exp + 9u, exp + 10u) && ((val >> (8 * (exp + 9u - off))) & 0x80)) {
		pci_dev_reset(d, res);
		return;
	}
	for (unsigned i = 0; i < len; i++) {
		uint8_t v = (uint8_t)(val >> (8 * i)), w = d->wmask[off + i], c = d->w1cmask[off + i];
		uint8_t *p = &d->cfg[off + i];
		*p = (uint8_t)(((*p & ~w) | (v & w)) & ~(v & c));
	}
	if (overlaps(off, len, PCI_COMMAND, PCI_COMMAND + 2) || overlaps(off, len, PCI_BAR0, PCI_BAR0 + 24))
		update_bars(d, res);
	if (overlaps(off, len, PCI_COMMAND, PCI_COMMAND + 2))
		update_intx(d);
	if (d->msix)
		msix_cfg_write(d->msix, off, len);
	if (d->msi)
		msi_cfg_write(d->msi, off, len);
	if (d->ops && d->ops->config_write)
		d->ops->config_write(d, off, len);
}
