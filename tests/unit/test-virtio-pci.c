/* The virtio PCI transport driven as Linux's virtio_pci_modern does:
 * find the vendor capabilities, negotiate, set up a queue with an MSI-X
 * vector, notify, get the interrupt; INTx and the ISR without MSI-X; the
 * configuration access window. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hw/pci/pci-host.h"
#include "hw/virtio/virtio-pci.h"

#define OK(c) CHECK(c, "%s", "false")
#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x100000ull
#define QSZ 16

static struct mmio_bus bus;
static struct pci_host host;
static struct guest_mem gm;
static uint8_t *ram;
static bool intx;
static unsigned nmsi;
static uint32_t last_data;
static struct vq_elem el;

static void set_line(void *o, unsigned n, bool level)
{
	intx = level;
}

static void msi(void *o, uint64_t addr, uint32_t data, uint32_t devid)
{
	nmsi++;
	last_data = data;
}

static void echo_notify(struct virtio_dev *d, unsigned q)
{
	while (vq_pop(&d->vq[q], &el) == 1)
		vq_push(&d->vq[q], el.head, 0);
	virtio_queue_done(d, q);
}

static uint8_t cfg[8] = { 0x11, 0x22 };
static const struct virtio_dev_ops ops = {
	.name = "echo", .device_id = 4, .num_queues = 1, .queue_max = QSZ, .config_size = sizeof(cfg),
	.notify = echo_notify,
};

static uint32_t cfgr(unsigned reg, unsigned size)
{
	return (uint32_t)pci_host_ecam_read(&host, 3ull << 15 | reg, size);
}

static void cfgw(unsigned reg, unsigned size, uint32_t v)
{
	pci_host_ecam_write(&host, 3ull << 15 | reg, size, v);
}

static uint64_t rd(uint64_t a, unsigned size)
{
	uint64_t v = 0;
	mmio_bus_read(&bus, a, size, &v);
	return v;
}

static void wr(uint64_t a, unsigned size, uint64_t v)
{
	mmio_bus_write(&bus, a, size, v);
}

int main(void)
{
	ram = calloc(1, RAM_SIZE);
	gmem_init(&gm);
	gmem_add(&gm, RAM_BASE, RAM_SIZE, ram, false);
	mmio_bus_init(&bus);
	struct pci_host_config c = {
		VIRT_PCIE_ECAM_BASE, VIRT_PCIE_ECAM_SIZE, VIRT_PCIE_MMIO_BASE, VIRT_PCIE_MMIO_SIZE, VIRT_PCIE_PIO_BASE,
		VIRT_PCIE_PIO_SIZE, VIRT_PCIE_MMIO64_BASE, VIRT_PCIE_MMIO64_SIZE,
		{ { set_line, NULL, 3 }, { set_line, NULL, 4 }, { set_line, NULL, 5 }, { set_line, NULL, 6 } }, msi, NULL,
	};
	EQ(pci_host_init(&host, &bus, &c), 0);
	struct virtio_dev d;
	struct virtio_pci vp;
	EQ(virtio_dev_init(&d, &ops, NULL, &gm, cfg), 0);
	EQ(virtio_pci_init(&vp, &d, "virtio-rng-pci", 0x00ff00), 0);
	EQ(pci_host_plug(&host, &vp.pci, 3 << 3), 0);
	check_ctx = "ids";
	EQ(cfgr(PCI_VENDOR_ID, 4), 0x10441af4u);
	EQ(cfgr(PCI_REVISION_ID, 1), 1u);
	EQ(cfgr(PCI_SUBSYSTEM_ID, 2), 0x1044u);
	/* Walk the capabilities as virtio_pci_modern does. */
	check_ctx = "caps";
	unsigned off[6] = { 0 }, mc = 0, ncap = 0;
	for (unsigned p = cfgr(PCI_CAPABILITY_LIST, 1); p; p = cfgr(p + 1, 1)) {
		ncap++;
		if (cfgr(p, 1) == PCI_CAP_ID_MSIX)
			mc = p;
		if (cfgr(p, 1) != PCI_CAP_ID_VNDR)
			continue;
		unsigned type = cfgr(p + 3, 1);
		OK(type >= 1 && type <= 5);
		if (type <= 5)
			off[type] = p;
	}
	for (unsigned t = 1; t <= 5; t++)
		CHECK(off[t] != 0, "cap type %u", t);
	EQ(cfgr(off[2] + 16, 4), VPCI_NOTIFY_MULT);
	/* BARs: 4 (64-bit) and the MSI-X BAR 1. */
	cfgw(PCI_BAR0 + 16, 4, 0);
	cfgw(PCI_BAR0 + 20, 4, 0x80);
	cfgw(PCI_BAR0 + 4, 4, 0x10000000);
	cfgw(PCI_COMMAND, 2, PCI_CMD_MEMORY | PCI_CMD_MASTER);
	uint64_t b4 = 0x8000000000ull;
	uint64_t common = b4 + cfgr(off[1] + 8, 4), isr = b4 + cfgr(off[3] + 8, 4),
		 dev = b4 + cfgr(off[4] + 8, 4), notify = b4 + cfgr(off[2] + 8, 4);
	check_ctx = "negotiate";
	EQ(rd(common + VPCI_NUMQ, 2), 1u);
	wr(common + VPCI_STATUS, 1, 3);
	wr(common + VPCI_DFSELECT, 4, 1);
	OK(rd(common + VPCI_DF, 4) & 1);
	wr(common + VPCI_GFSELECT, 4, 1);
	wr(common + VPCI_GF, 4, 1);
	wr(common + VPCI_STATUS, 1, 3 | 8);
	OK(rd(common + VPCI_STATUS, 1) & 8);
	EQ(rd(dev, 1), 0x11u);
	EQ(rd(dev + 1, 1), 0x22u);
	/* Queue 0 with MSI-X vector 1, config vector 0; a bad vector reads NO_VECTOR. */
	check_ctx = "queue";
	wr(common + VPCI_Q_SELECT, 2, 0);
	EQ(rd(common + VPCI_Q_SIZE, 2), (uint32_t)QSZ); /* the maximum, until the driver writes it */
	wr(common + VPCI_Q_SIZE, 2, QSZ);
	wr(common + VPCI_Q_DESC, 8, RAM_BASE + 0x1000);
	wr(common + VPCI_Q_AVAIL, 4, (uint32_t)(RAM_BASE + 0x2000));
	wr(common + VPCI_Q_AVAIL + 4, 4, 0);
	wr(common + VPCI_Q_USED, 8, RAM_BASE + 0x3000);
	EQ(rd(common + VPCI_Q_DESC, 8), RAM_BASE + 0x1000);
	wr(common + VPCI_Q_MSIX, 2, 7);
	EQ(rd(common + VPCI_Q_MSIX, 2), 0xffffu);
	wr(common + VPCI_Q_MSIX, 2, 1);
	EQ(rd(common + VPCI_Q_MSIX, 2), 1u);
	wr(common + VPCI_MSIX, 2, 0);
	wr(common + VPCI_Q_ENABLE, 2, 1);
	EQ(rd(common + VPCI_Q_ENABLE, 2), 1u);
	wr(common + VPCI_Q_DESC, 8, 0); /* ignored once enabled */
	EQ(rd(common + VPCI_Q_DESC, 8), RAM_BASE + 0x1000);
	/* MSI-X on, vector 1 unmasked. */
	cfgw(mc + 2, 2, 0x8000);
	uint64_t tb = 0x10000000;
	wr(tb + 16 + 0, 4, 0x08090040);
	wr(tb + 16 + 8, 4, 0x55);
	wr(tb + 16 + 12, 4, 0);
	wr(common + VPCI_STATUS, 1, 3 | 8 | 4);
	/* One request. */
	check_ctx = "request";
	uint8_t *dsc = ram + 0x1000;
	uint64_t a = RAM_BASE + 0x8000;
	uint32_t l = 16;
	uint16_t f = VRING_DESC_F_WRITE;
	memcpy(dsc, &a, 8);
	memcpy(dsc + 8, &l, 4);
	memcpy(dsc + 12, &f, 2);
	uint16_t one = 1;
	memcpy(ram + 0x2002, &one, 2);
	wr(notify + 0, 2, 0);
	uint16_t used;
	memcpy(&used, ram + 0x3002, 2);
	EQ(used, 1);
	EQ(nmsi, 1u);
	EQ(last_data, 0x55u);
	OK(!intx);
	/* Without MSI-X: INTx and the ISR, cleared by reading it. */
	check_ctx = "intx";
	cfgw(mc + 2, 2, 0);
	uint16_t two = 2;
	memcpy(ram + 0x2002 + 2, &(uint16_t){ 0 }, 2);
	memcpy(ram + 0x2002, &two, 2);
	wr(notify, 2, 0);
	OK(intx);
	EQ(rd(isr, 1), VIRTIO_ISR_QUEUE);
	OK(!intx);
	EQ(rd(isr, 1), 0u);
	/* The configuration access window reads the common config. */
	check_ctx = "pci_cfg window";
	unsigned w = off[5];
	cfgw(w + 4, 1, VPCI_BAR);
	cfgw(w + 8, 4, VPCI_COMMON_OFF + VPCI_NUMQ);
	cfgw(w + 12, 4, 2);
	EQ(cfgr(w + 16, 4) & 0xffff, 1u);
	cfgw(w + 8, 4, VPCI_BAR_SIZE - 2); /* length runs out of the BAR: nothing */
	cfgw(w + 12, 4, 4);
	EQ(cfgr(w + 16, 4), 1u);
	/* Reset through status 0. */
	check_ctx = "reset";
	wr(common + VPCI_STATUS, 1, 0);
	EQ(rd(common + VPCI_STATUS, 1), 0u);
	EQ(rd(common + VPCI_Q_ENABLE, 2), 0u);
	virtio_pci_destroy(&vp);
	virtio_dev_destroy(&d);
	pci_host_destroy(&host);
	free(ram);
	return check_summary();
}
