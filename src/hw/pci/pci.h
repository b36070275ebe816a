/* A PCI (Express) function: its 4 KiB configuration space with per-byte
 * write and write-1-to-clear masks, its BARs (each an MMIO or I/O region
 * with the device's own ops), capabilities (list building, MSI, MSI-X, the
 * PCIe capability) and its INTx pin. The host bridge (pci-host.c) routes
 * configuration accesses here and maps the BARs where the guest put them.
 *
 * A configuration write never edits the bus itself: pci_cfg_write reports
 * which BARs changed (DESIGN.md §5.1) and the host applies that after
 * dropping the configuration lock. */
#ifndef AVMM_HW_PCI_PCI_H
#define AVMM_HW_PCI_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/mmio.h"

#define PCI_CFG_SIZE 4096
#define PCI_NUM_BARS 6

/* Header offsets and bits (PCI Local Bus 3.0 §6, PCIe 5.0 §7.5). */
enum {
	PCI_VENDOR_ID = 0x00,
	PCI_DEVICE_ID = 0x02,
	PCI_COMMAND = 0x04,
	PCI_STATUS = 0x06,
	PCI_REVISION_ID = 0x08,
	PCI_CLASS_PROG = 0x09,
	PCI_CACHE_LINE_SIZE = 0x0c,
	PCI_LATENCY_TIMER = 0x0d,
	PCI_HEADER_TYPE = 0x0e,
	PCI_BAR0 = 0x10,
	PCI_SUBSYSTEM_VENDOR_ID = 0x2c,
	PCI_SUBSYSTEM_ID = 0x2e,
	PCI_ROM_ADDRESS = 0x30,
	PCI_CAPABILITY_LIST = 0x34,
	PCI_INTERRUPT_LINE = 0x3c,
	PCI_INTERRUPT_PIN = 0x3d,
	PCI_CAP_START = 0x40,
	PCI_EXT_CAP_START = 0x100,
};
#define PCI_CMD_IO (1u << 0)
#define PCI_CMD_MEMORY (1u << 1)
#define PCI_CMD_MASTER (1u << 2)
#define PCI_CMD_PARITY (1u << 6)
#define PCI_CMD_SERR (1u << 8)
#define PCI_CMD_INTX_DISABLE (1u << 10)
#define PCI_STATUS_INTERRUPT (1u << 3)
#define PCI_STATUS_CAP_LIST (1u << 4)
#define PCI_STATUS_W1C 0xf900u /* parity, SERR, aborts, master data parity (bits 15-11, 8) */

#define PCI_BAR_IO 0x1u
#define PCI_BAR_MEM64 0x4u
#define PCI_BAR_PREFETCH 0x8u

/* Capability IDs. */
#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_EXP 0x10
#define PCI_CAP_ID_MSIX 0x11
#define PCI_CAP_ID_VNDR 0x09

struct pci_dev;

/* A BAR as the device declares it. */
struct pci_bar {
	uint64_t size;            /* 0: not implemented; else a power of two */
	uint8_t flags;            /* PCI_BAR_IO / PCI_BAR_MEM64 | PCI_BAR_PREFETCH */
	const struct mmio_ops *ops;
	void *opaque;
	/* Where it is decoded now (host's view), or PCI_BAR_UNMAPPED. */
	uint64_t mapped_at;
};
#define PCI_BAR_UNMAPPED UINT64_MAX

/* A BAR that moved: unmap `old` (if mapped) and map `new` (if mapped). */
struct pci_bar_change {
	unsigned bar;
	uint64_t old_addr, new_addr;
};
struct pci_cfg_result {
	unsigned n;
	struct pci_bar_change c[PCI_NUM_BARS];
};

struct pci_dev_ops {
	/* After the generic handling of a config write of [off, off+len) (the
	 * new bytes are in d->cfg). Optional. */
	void (*config_write)(struct pci_dev *d, uint32_t off, unsigned len);
	/* Optional: config reads the device computes (e.g. live status). */
	void (*config_read)(struct pci_dev *d, uint32_t off, unsigned len);
	void (*reset)(struct pci_dev *d);
};

struct msix_state;
struct msi_state;

/* How a function delivers MSIs and drives INTx (set by the host). */
struct pci_irq_sink {
	void (*intx)(void *opaque, struct pci_dev *d, bool level);
	/* addr/data as the guest programmed them; devid = the requester ID. */
	void (*msi)(void *opaque, uint64_t addr, uint32_t data, uint32_t devid);
	void *opaque;
};

struct pci_dev {
	char name[32];
	const struct pci_dev_ops *ops;
	void *opaque;                 /* the device's own state */
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];  /* bits the guest may write */
	uint8_t w1cmask[PCI_CFG_SIZE]; /* bits a 1 clears */
	uint8_t reset_cfg[PCI_CFG_SIZE]; /* cfg as built: what reset restores */
	struct pci_bar bar[PCI_NUM_BARS];
	uint8_t cap_tail;             /* last capability's offset (0: none) */
	uint16_t next_cap;            /* where the next capability goes */
	uint8_t bus, devfn;           /* set by the host when plugged */
	pthread_mutex_t irq_lock;     /* INTx level and its masking */
	bool intx_level;              /* the device's INTx output before masking */
	bool intx_out;                /* what the sink was last told */
	struct pci_irq_sink sink;
	struct msix_state *msix;
	struct msi_state *msi;
};

/* Build a type 0 header. `class_code` is base:sub:prog (24 bits). */
void pci_dev_init(struct pci_dev *d, const char *name, uint16_t vendor, uint16_t device, uint8_t revision,
		  uint32_t class_code, uint16_t subsys_vendor, uint16_t subsys);
/* Declare BAR i (a 64-bit BAR uses i and i+1). 0, or -EINVAL. */
int pci_dev_add_bar(struct pci_dev *d, unsigned i, uint64_t size, uint8_t flags, const struct mmio_ops *ops,
		    void *opaque);
/* Add a capability of `len` bytes (header included) to the list; returns
 * its offset (0 when the space is full). The caller fills it and its
 * write masks. */
uint8_t pci_dev_add_cap(struct pci_dev *d, uint8_t id, unsigned len);
/* The PCIe capability (version 2) of a Root Complex Integrated Endpoint,
 * as devices on the root bus of QEMU's virt are. */
uint8_t pci_dev_add_pcie_cap(struct pci_dev *d);
/* INTx pin 1..4 (A..D), 0 for none. */
void pci_dev_set_pin(struct pci_dev *d, uint8_t pin);
/* Freeze the current config as the reset state (after all caps). */
void pci_dev_finish(struct pci_dev *d);
/* System or function-level reset: config back to reset_cfg, BARs
 * unmapped (the result says which to unmap), INTx low, MSI(-X) off. */
void pci_dev_reset(struct pci_dev *d, struct pci_cfg_result *res);

/* Config access (off + len inside the 4 KiB space, len 1, 2 or 4). */
uint32_t pci_cfg_read(struct pci_dev *d, uint32_t off, unsigned len);
void pci_cfg_write(struct pci_dev *d, uint32_t off, unsigned len, uint32_t val, struct pci_cfg_result *res);

/* The device's INTx output (any thread). Masked by INTX_DISABLE; the
 * status bit follows the unmasked level. */
void pci_set_irq(struct pci_dev *d, bool level);
/* Is bus mastering (DMA, MSI) enabled? */
bool pci_bus_master(const struct pci_dev *d);

/* Little-endian config helpers. */
static inline uint16_t pci_get16(const struct pci_dev *d, unsigned off)
{
	return (uint16_t)(d->cfg[off] | d->cfg[off + 1] << 8);
}
static inline uint32_t pci_get32(const struct pci_dev *d, unsigned off)
{
	return pci_get16(d, off) | (uint32_t)pci_get16(d, off + 2) << 16;
}
static inline void pci_set16(uint8_t *p, unsigned off, uint16_t v)
{
	p[off] = (uint8_t)v;
	p[off + 1] = (uint8_t)(v >> 8);
}
static inline void pci_set32(uint8_t *p, unsigned off, uint32_t v)
{
	pci_set16(p, off, (uint16_t)v);
	pci_set16(p, off + 2, (uint16_t)(v >> 16));
}

#endif
