/* The PCIe host bridge, compatible with QEMU's generic ECAM host
 * ("pci-host-ecam-generic"): configuration through ECAM (1 MiB a bus),
 * a 32-bit and a 64-bit MMIO window and a PIO window in which the guest
 * places BARs, INTx A-D on four SPIs with the standard swizzle, MSIs to
 * whatever the machine wires (ITS, GICv2m). Bus 0 only (no bridges):
 * functions on other buses read as absent (all ones).
 *
 * Locks: cfg_lock covers every function's configuration space; map_lock
 * orders the BAR (un)mappings a configuration write implies, which are
 * applied after cfg_lock is dropped (no device lock held while the region
 * table changes). */
#ifndef AVMM_HW_PCI_PCI_HOST_H
#define AVMM_HW_PCI_PCI_HOST_H

#include <pthread.h>
#include <stdbool.h>

#include "hw/mmio.h"
#include "hw/pci/pci.h"

/* QEMU virt's addresses (facts/qemu-virt.md). */
#define VIRT_PCIE_MMIO_BASE 0x10000000ull
#define VIRT_PCIE_MMIO_SIZE 0x2eff0000ull
#define VIRT_PCIE_PIO_BASE 0x3eff0000ull
#define VIRT_PCIE_PIO_SIZE 0x10000ull
#define VIRT_PCIE_ECAM_BASE 0x3f000000ull
#define VIRT_PCIE_ECAM_SIZE 0x01000000ull
#define VIRT_PCIE_HIGH_ECAM_BASE 0x4010000000ull
#define VIRT_PCIE_HIGH_ECAM_SIZE 0x10000000ull
#define VIRT_PCIE_MMIO64_BASE 0x8000000000ull
#define VIRT_PCIE_MMIO64_SIZE 0x8000000000ull
#define VIRT_PCIE_INTX_SPI 3 /* A..D on SPIs 3..6 */

struct pci_host {
	pthread_mutex_t cfg_lock, map_lock;
	struct mmio_bus *bus;
	uint64_t ecam_base, ecam_size;
	uint64_t mmio_base, mmio_size, pio_base, pio_size, mmio64_base, mmio64_size;
	struct pci_dev *dev[32 * 8]; /* bus 0, by devfn */
	struct pci_dev root;         /* 00.0: the host bridge itself */
	/* INTx: four shared lines, each the OR of the functions on it. */
	struct irq_line intx[4];
	unsigned intx_count[4];
	pthread_mutex_t intx_lock;
	/* MSI doorbell writes go here (addr, data, requester ID). */
	void (*msi)(void *opaque, uint64_t addr, uint32_t data, uint32_t devid);
	void *msi_opaque;
	uint64_t n_bad_bar;          /* BARs that could not be mapped (overlap) */
};

struct pci_host_config {
	uint64_t ecam_base, ecam_size;
	uint64_t mmio_base, mmio_size, pio_base, pio_size, mmio64_base, mmio64_size;
	struct irq_line intx[4];
	void (*msi)(void *opaque, uint64_t addr, uint32_t data, uint32_t devid);
	void *msi_opaque;
};

/* Create the host and map its ECAM and the PIO window on `bus`. */
int pci_host_init(struct pci_host *h, struct mmio_bus *bus, const struct pci_host_config *c);
void pci_host_destroy(struct pci_host *h);
/* Plug a finished function at devfn (slot << 3 | fn). 0, -EEXIST, -EINVAL. */
int pci_host_plug(struct pci_host *h, struct pci_dev *d, unsigned devfn);
/* The first free slot from 1 (0 is the host bridge), or -ENOSPC. */
/* Is addr inside one of the host's windows (32-bit, 64-bit MMIO, PIO)? An
 * access there that no BAR decodes is a master abort: reads all ones,
 * writes dropped (QEMU's generic host does the same), not a bus error. */
bool pci_host_in_window(const struct pci_host *h, uint64_t addr);
int pci_host_free_slot(struct pci_host *h);
/* System reset: every function back to its reset state, BARs unmapped. */
void pci_host_reset(struct pci_host *h);

uint64_t pci_host_ecam_read(void *opaque, uint64_t off, unsigned size);
void pci_host_ecam_write(void *opaque, uint64_t off, unsigned size, uint64_t val);

struct fdt_builder;
/* pcie@: compatible, reg (ECAM), bus-range, ranges, interrupt-map for the
 * swizzle, dma-coherent; when msi_phandle is non-zero, msi-map to it (an
 * ITS: the requester ID is the DeviceID) or, with msi_parent, msi-parent
 * (an MSI controller without #msi-cells: GICv3 MBIs). */
void pci_host_fdt_node(struct pci_host *h, struct fdt_builder *b, uint32_t gic_phandle, uint32_t msi_phandle,
		       bool msi_parent);

#endif
