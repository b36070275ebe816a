/* GICv2m MSI frame (Arm SBSA / "arm,gic-v2m-frame"): a 4 KiB MMIO frame
 * whose MSI_SETSPI_NS register turns a write of an SPI INTID into an edge
 * on that SPI of the GICv3 (gicv3_pulse_spi). The MSI-capable devices are
 * given the frame's MSI_SETSPI_NS address as their MSI address and the INTID
 * as their data; Linux's irq-gic-v3 driver uses such a frame when the GIC
 * has no ITS (and Hypervisor.framework's hv_gic exposes one the same way).
 *
 * Registers: MSI_TYPER (0x008, RO: BASE [25:16] = first INTID, NUMBER [9:0]),
 * MSI_SETSPI_NS (0x040, WO), MSI_IIDR (0xFCC, RO); 32-bit accesses only;
 * everything else reads as zero and ignores writes (rate-limited log of the
 * GIC). A SETSPI write of an INTID outside the frame's range is ignored.
 * The frame has no state of its own (nothing to save or reset: its
 * gicv2m_device_ops has no operations). Locking: none of its own (its
 * configuration is fixed at init); its callbacks take the GIC lock, so they
 * lock themselves (register with mmio_bus_register). */
#ifndef AVMM_HW_GIC_GICV2M_H
#define AVMM_HW_GIC_GICV2M_H

#include <stdint.h>

struct gicv3;
struct mmio_bus;

#define GICV2M_FRAME_SIZE 0x1000u
/* QEMU's virt machine: frame at 0x08020000, SPIs 48.. (INTID 80..), 64 of them. */
#define GICV2M_VIRT_BASE 0x08020000ull
#define GICV2M_VIRT_SPI_BASE 80u
#define GICV2M_VIRT_SPI_COUNT 64u

#define GICV2M_MSI_TYPER 0x008
#define GICV2M_MSI_SETSPI_NS 0x040
#define GICV2M_MSI_IIDR 0xfcc

struct gicv2m {
	struct gicv3 *gic;
	unsigned spi_base, spi_count;
};

/* 0, or -EINVAL when [spi_base, spi_base + spi_count) is not a non-empty
 * range of the GIC's SPIs (at most 1023 - BASE fits the fields). */
int gicv2m_init(struct gicv2m *m, struct gicv3 *gic, unsigned spi_base, unsigned spi_count);
int gicv2m_map(struct gicv2m *m, struct mmio_bus *bus, uint64_t base);
uint64_t gicv2m_read(void *m, uint64_t off, unsigned size);
void gicv2m_write(void *m, uint64_t off, unsigned size, uint64_t val);

struct device_ops;
extern const struct device_ops gicv2m_device_ops;

#endif
