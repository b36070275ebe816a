/* The virt machine's I/O: the PCIe host (QEMU's ECAM host at QEMU's
 * addresses), the GICv3 ITS as the MSI target when the GIC is avmm's own,
 * 32 virtio-mmio transports (0x0A00_0000, SPIs 16..47) and the devices of
 * the command line (-drive, -device) on them. Wired in straight-line code
 * after the GIC, before the device tree. */
#ifndef AVMM_MACHINE_VIRT_IO_H
#define AVMM_MACHINE_VIRT_IO_H

#include "vmm/devopts.h"
#include "vmm/vm.h"

#define VIRT_MMIO_BASE 0x0a000000ull
#define VIRT_MMIO_COUNT 32
#define VIRT_MMIO_SPI 16

struct fdt_builder;

/* 0, or -1 after one clear message (an image missing, locked, ...). */
int virt_io_create(struct vm *vm, const struct vm_devopts *o);
/* The nodes: virtio_mmio@..., pcie@..., its@... under the GIC node. */
void virt_io_fdt(struct vm *vm, struct fdt_builder *b, uint32_t gic_phandle, const char *gic_path);
/* The GIC's configuration wants LPIs (an ITS will be there). */
/* An access no device took: inside the PCI windows it is a master abort
 * (true: a read gives all ones, a write is dropped), else a bus error. */
bool virt_io_master_abort(struct vm *vm, uint64_t ipa);
bool virt_io_wants_lpis(const struct vm *vm);
void virt_io_print_stats(struct vm *vm);
/* Before the GIC goes: stops the devices' threads, closes the images. */
void virt_io_destroy(struct vm *vm);

#endif
