/* The PCI core as an enumerating driver sees it through ECAM: absent
 * functions, BAR sizing and decode, read-only and write-1-to-clear bits,
 * the capability list, MSI-X masking and pending bits, MSI, INTx with the
 * swizzle and INTX_DISABLE, function-level reset. */
#include <string.h>

#include "check.h"
#include "hw/pci/msix.h"
#include "hw/pci/pci-host.h"
#include "hw/pci/pci-testdev.h"

#define OK(c) CHECK(c, "%s", "false")

static struct mmio_bus bus;
static struct pci_host host;
static bool lines[4];
static unsigned nmsi;
static uint64_t last_addr;
static uint32_t last_data, last_devid;

static void set_line(void *o, unsigned n, bool level)
{
	lines[n - VIRT_PCIE_INTX_SPI] = level;
}

static void msi(void *o, uint64_t addr, uint32_t data, uint32_t devid)
{
	nmsi++;
	last_addr = addr;
	last_data = data;
	last_devid = devid;
}

static uint32_t cfgr(unsigned devfn, unsigned reg, unsigned size)
{
	return (uint32_t)pci_host_ecam_read(&host, (uint64_t)devfn << 12 | reg, size);
}

static void cfgw(unsigned devfn, unsigned reg, unsigned size, uint32_t v)
{
	pci_host_ecam_write(&host, (uint64_t)devfn << 12 | reg, size, v);
}

static unsigned bar_hits;
static uint64_t bar_read(void *o, uint64_t off, unsigned size)
{
	bar_hits++;
	return 0x1234;
}
static void bar_write(void *o, uint64_t off, unsigned size, uint64_t v)
{
}
static const struct mmio_ops bops = { bar_read, bar_write, MMIO_W32 };

static struct pci_dev dev;
static struct msix_state msix;
static struct msi_state msis;

static unsigned nregions(void)
{
	struct mmio_table *t = atomic_load(&bus.table);
	return t ? t->n : 0;
}

static uint64_t bus_read32(uint64_t a)
{
	uint64_t v = 0;
	if (!mmio_bus_read(&bus, a, 4, &v))
		return ~0ull;
	return v;
}

int main(void)
{
	mmio_bus_init(&bus);
	struct pci_host_config c = {
		VIRT_PCIE_ECAM_BASE, VIRT_PCIE_ECAM_SIZE, VIRT_PCIE_MMIO_BASE, VIRT_PCIE_MMIO_SIZE, VIRT_PCIE_PIO_BASE,
		VIRT_PCIE_PIO_SIZE, VIRT_PCIE_MMIO64_BASE, VIRT_PCIE_MMIO64_SIZE,
		{ { set_line, NULL, 3 }, { set_line, NULL, 4 }, { set_line, NULL, 5 }, { set_line, NULL, 6 } }, msi, NULL,
	};
	EQ(pci_host_init(&host, &bus, &c), 0);
	check_ctx = "enumeration";
	EQ(cfgr(0, PCI_VENDOR_ID, 4), 0x00081b36u);       /* the host bridge */
	EQ(cfgr(8, PCI_VENDOR_ID, 4), 0xffffffffu);       /* an empty slot */
	EQ(cfgr(8, PCI_VENDOR_ID, 2), 0xffffu);
	EQ(pci_host_ecam_read(&host, 1u << 20, 4), 0xffffffffu); /* bus 1 */
	/* A device in slot 2: BAR0 32-bit 4 KiB, BAR2/3 64-bit prefetchable
	 * 1 MiB, BAR4 I/O 256 bytes, MSI-X in BAR5, MSI, pin A. */
	pci_dev_init(&dev, "t", 0x1af4, 0x1042, 1, 0x018000, 0x1af4, 2);
	EQ(pci_dev_add_bar(&dev, 0, 0x1000, 0, &bops, NULL), 0);
	EQ(pci_dev_add_bar(&dev, 2, 0x100000, PCI_BAR_MEM64 | PCI_BAR_PREFETCH, &bops, NULL), 0);
	EQ(pci_dev_add_bar(&dev, 4, 0x100, PCI_BAR_IO, &bops, NULL), 0);
	OK(pci_dev_add_bar(&dev, 5, 0x1000, PCI_BAR_MEM64, &bops, NULL) != 0); /* 64-bit in the last slot */
	OK(pci_dev_add_bar(&dev, 1, 3000, 0, &bops, NULL) != 0);              /* not a power of two */
	uint8_t exp = pci_dev_add_pcie_cap(&dev);
	EQ(msix_init(&dev, &msix, 4, 5), 0);
	EQ(msi_init(&dev, &msis, 1), 0);
	pci_dev_set_pin(&dev, 1);
	pci_dev_finish(&dev);
	EQ(pci_host_plug(&host, &dev, 2 << 3), 0);
	OK(pci_host_plug(&host, &dev, 2 << 3) != 0);
	EQ(cfgr(16, PCI_VENDOR_ID, 4), 0x10421af4u);
	/* Read-only fields stay. */
	cfgw(16, PCI_VENDOR_ID, 4, 0);
	EQ(cfgr(16, PCI_VENDOR_ID, 4), 0x10421af4u);
	EQ(cfgr(16, PCI_CLASS_PROG, 1), 0u);
	EQ(cfgr(16, PCI_CLASS_PROG + 2, 1), 0x01u);
	/* Capability list: PCIe, MSI-X, MSI, then the end. */
	check_ctx = "capabilities";
	OK(cfgr(16, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	unsigned p = cfgr(16, PCI_CAPABILITY_LIST, 1), ids[4] = { 0 }, n = 0;
	while (p && n < 4) {
		ids[n++] = cfgr(16, p, 1);
		p = cfgr(16, p + 1, 1);
	}
	EQ(n, 3u);
	EQ(ids[0], PCI_CAP_ID_EXP);
	EQ(ids[1], PCI_CAP_ID_MSIX);
	EQ(ids[2], PCI_CAP_ID_MSI);
	EQ(cfgr(16, PCI_EXT_CAP_START, 4), 0u); /* no extended capabilities */
	/* BAR sizing. */
	check_ctx = "sizing";
	cfgw(16, PCI_BAR0, 4, 0xffffffff);
	EQ(cfgr(16, PCI_BAR0, 4), 0xfffff000u);
	cfgw(16, PCI_BAR0 + 8, 4, 0xffffffff);
	cfgw(16, PCI_BAR0 + 12, 4, 0xffffffff);
	EQ(cfgr(16, PCI_BAR0 + 8, 4), 0xfff0000cu);
	EQ(cfgr(16, PCI_BAR0 + 12, 4), 0xffffffffu);
	cfgw(16, PCI_BAR0 + 16, 4, 0xffffffff);
	EQ(cfgr(16, PCI_BAR0 + 16, 4), 0xffffff01u);
	EQ(cfgr(16, PCI_BAR0 + 4, 4), 0u); /* unimplemented BAR1 */
	EQ(nregions(), 1u);                      /* decode still off: only ECAM */
	/* Assign and enable memory decode: BAR0 and the 64-bit BAR appear. */
	check_ctx = "decode";
	cfgw(16, PCI_BAR0, 4, 0x10001000);
	cfgw(16, PCI_BAR0 + 8, 4, 0x00100000);
	cfgw(16, PCI_BAR0 + 12, 4, 0x80);
	cfgw(16, PCI_BAR0 + 16, 4, 0x1000);
	cfgw(16, PCI_BAR0 + 20, 4, 0x10002000); /* MSI-X */
	EQ(bus_read32(0x10001000), ~0ull);
	cfgw(16, PCI_COMMAND, 2, PCI_CMD_MEMORY);
	EQ(bus_read32(0x10001000), 0x1234u);
	EQ(bus_read32(0x8000100000ull), 0x1234u);
	EQ(bus_read32(VIRT_PCIE_PIO_BASE + 0x1000), ~0ull); /* I/O decode off */
	cfgw(16, PCI_COMMAND, 2, PCI_CMD_MEMORY | PCI_CMD_IO);
	EQ(bus_read32(VIRT_PCIE_PIO_BASE + 0x1000), 0x1234u);
	/* Moving a BAR while decoding moves the region. */
	cfgw(16, PCI_BAR0, 4, 0x10004000);
	EQ(bus_read32(0x10001000), ~0ull);
	EQ(bus_read32(0x10004000), 0x1234u);
	/* Sizing while decoding unmaps (all ones is not an address). */
	cfgw(16, PCI_BAR0, 4, 0xffffffff);
	EQ(bus_read32(0xfffff000), ~0ull);
	cfgw(16, PCI_BAR0, 4, 0x10004000);
	cfgw(16, PCI_COMMAND, 2, 0);
	EQ(bus_read32(0x10004000), ~0ull);
	EQ(nregions(), 1u);
	/* Status: write-1-to-clear bits only. */
	check_ctx = "status";
	dev.cfg[PCI_STATUS + 1] |= 0x80; /* detected parity error */
	cfgw(16, PCI_STATUS, 2, 0x0010);  /* writing CAP_LIST does nothing */
	OK(cfgr(16, PCI_STATUS, 2) & 0x8000);
	cfgw(16, PCI_STATUS, 2, 0x8000);
	OK(!(cfgr(16, PCI_STATUS, 2) & 0x8000));
	OK(cfgr(16, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	/* INTx: slot 2 pin A -> line (2 + 0) % 4 = 2; disable masks it. */
	check_ctx = "intx";
	pci_set_irq(&dev, true);
	OK(lines[2]);
	OK(cfgr(16, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	cfgw(16, PCI_COMMAND, 2, PCI_CMD_INTX_DISABLE);
	OK(!lines[2]);
	OK(cfgr(16, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	cfgw(16, PCI_COMMAND, 2, 0);
	OK(lines[2]);
	pci_set_irq(&dev, false);
	OK(!lines[2]);
	/* MSI-X: off -> notify reports it; masked entry -> pending; unmask sends. */
	check_ctx = "msix";
	unsigned mc = 0;
	for (p = cfgr(16, PCI_CAPABILITY_LIST, 1); p; p = cfgr(16, p + 1, 1))
		if (cfgr(16, p, 1) == PCI_CAP_ID_MSIX)
			mc = p;
	EQ(cfgr(16, mc + 2, 2) & 0x7ff, 3u);
	EQ(cfgr(16, mc + 4, 4), 5u);          /* table in BAR5 at 0 */
	EQ(cfgr(16, mc + 8, 4), 0x805u);      /* PBA at 0x800 */
	OK(!msix_notify(&msix, 0));
	cfgw(16, PCI_COMMAND, 2, PCI_CMD_MEMORY | PCI_CMD_MASTER);
	cfgw(16, mc + 2, 2, 0x8000);          /* enable */
	uint64_t tb = 0x10002000;
	EQ(bus_read32(tb + 12), 1u);          /* vector 0 masked at reset */
	mmio_bus_write(&bus, tb + 0, 4, 0x08090040);
	mmio_bus_write(&bus, tb + 4, 4, 0);
	mmio_bus_write(&bus, tb + 8, 4, 77);
	OK(msix_notify(&msix, 0));
	EQ(nmsi, 0u);
	EQ(bus_read32(tb + 0x800), 1u);       /* pending */
	mmio_bus_write(&bus, tb + 12, 4, 0);  /* unmask */
	EQ(nmsi, 1u);
	EQ(last_addr, 0x08090040u);
	EQ(last_data, 77u);
	EQ(last_devid, 2u << 3);
	EQ(bus_read32(tb + 0x800), 0u);
	cfgw(16, mc + 2, 2, 0xc000);          /* function mask */
	msix_notify(&msix, 0);
	EQ(nmsi, 1u);
	cfgw(16, mc + 2, 2, 0x8000);
	EQ(nmsi, 2u);
	cfgw(16, PCI_COMMAND, 2, PCI_CMD_MEMORY); /* no bus master: nothing sent */
	msix_notify(&msix, 0);
	EQ(nmsi, 2u);
	mmio_bus_write(&bus, tb + 16 * 4, 4, 1); /* past the table: ignored */
	EQ(bus_read32(tb + 16 * 4), 0u);
	/* Function-level reset: config back, BARs unmapped, MSI-X off. */
	check_ctx = "flr";
	cfgw(16, PCI_COMMAND, 2, PCI_CMD_MEMORY | PCI_CMD_MASTER);
	OK(nregions() > 1);
	cfgw(16, exp + 8, 2, 0x8000);
	EQ(cfgr(16, PCI_COMMAND, 2), 0u);
	EQ(cfgr(16, PCI_BAR0, 4), 0u);
	EQ(nregions(), 1u);
	OK(!msix_enabled(&msix));
	OK(!(cfgr(16, exp + 8, 2) & 0x8000));
	/* MSI: enable, masked -> pending bit, unmask sends. */
	check_ctx = "msi";
	unsigned mi = 0;
	for (p = cfgr(16, PCI_CAPABILITY_LIST, 1); p; p = cfgr(16, p + 1, 1))
		if (cfgr(16, p, 1) == PCI_CAP_ID_MSI)
			mi = p;
	OK(mi != 0);
	cfgw(16, PCI_COMMAND, 2, PCI_CMD_MASTER);
	cfgw(16, mi + 4, 4, 0x08020040);
	cfgw(16, mi + 12, 2, 99);
	cfgw(16, mi + 16, 4, 1);
	cfgw(16, mi + 2, 2, 1);
	msi_notify(&msis, 0);
	EQ(nmsi, 2u);
	EQ(cfgr(16, mi + 20, 4), 1u);
	cfgw(16, mi + 16, 4, 0);
	EQ(nmsi, 3u);
	EQ(last_data, 99u);
	EQ(cfgr(16, mi + 20, 4), 0u);
	/* Misaligned and oversized config accesses. */
	check_ctx = "odd accesses";
	EQ(cfgr(16, 1, 2), 0xffffu);
	EQ(cfgr(16, PCI_CFG_SIZE - 2, 2), 0u);
	/* QEMU's pci-testdev, as kvm-unit-tests drives it. */
	check_ctx = "pci-testdev";
	static struct pci_testdev td;
	pci_testdev_init(&td);
	EQ(pci_host_plug(&host, &td.pci, 4 << 3), 0);
	EQ(cfgr(32, PCI_VENDOR_ID, 4), 0x00051b36u);
	EQ(cfgr(32, PCI_INTERRUPT_PIN, 1), 0u);
	cfgw(32, PCI_BAR0, 4, 0x10010000);
	cfgw(32, PCI_BAR0 + 4, 4, 0x2000);
	cfgw(32, PCI_COMMAND, 2, PCI_CMD_MEMORY | PCI_CMD_IO);
	uint64_t m = 0x10010000, io = VIRT_PCIE_PIO_BASE + 0x2000;
	EQ(bus_read32(m), 0u);                         /* no test selected */
	for (unsigned type = 0; type < 2; type++)
		for (unsigned k = 0; k < 3; k++) {
			uint64_t base = type ? io : m;
			mmio_bus_write(&bus, base, 1, k);
			uint64_t off = bus_read32(base + 4), data = 0;
			mmio_bus_read(&bus, base + 8, 1, &data);
			EQ(off, (type ? 128u : 2048u) + 3 * type + k);
			EQ(data, k == 1 ? 0xceu : 0xfau);
			mmio_bus_write(&bus, base + off, 1, data);
			mmio_bus_write(&bus, base + off, 1, 0x11); /* other data: never counted */
			/* As QEMU: the eventfd tests' writes go to the ioeventfd, not the counter. */
			EQ(bus_read32(base + 12), k == 0 ? 1u : 0u);
			char name[32] = { 0 };
			for (unsigned i = 0; i < 31; i++) {
				uint64_t ch = 0;
				mmio_bus_read(&bus, base + 16 + i, 1, &ch);
				name[i] = (char)ch;
			}
			OK(!strncmp(name, type ? "portio-" : "mmio-", type ? 7 : 5));
		}
	pci_testdev_destroy(&td);
	pci_host_destroy(&host);
	mmio_bus_destroy(&bus);
	return check_summary();
}
