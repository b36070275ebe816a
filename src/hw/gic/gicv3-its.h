/* A GICv3 ITS (Arm IHI 0069 §5.2, §8.19) in user space, for PCI MSIs on the
 * virt machine as QEMU's virt has it (0x0808_0000, 128 KiB). The device
 * table (GITS_BASER0, flat) and each device's interrupt translation table
 * live in guest memory as the guest allocated them; collections are held
 * in the ITS (GITS_TYPER.HCC covers every CPU, so no collection table).
 * The command queue is processed synchronously when GITS_CWRITER is
 * written: Linux polls GITS_CREADR right after. Every table address, size
 * and ID a command names is checked: a bad command is logged, counted and
 * skipped; a queue the ITS cannot read stalls it (GITS_CREADR.Stalled).
 * Formats (IMPLEMENTATION DEFINED): a device table entry is 8 bytes (bit 0
 * valid, bits 5:1 EventID bits - 1, bits 51:8 the ITT address), an
 * interrupt translation entry 8 bytes (bit 0 valid, 31:16 ICID, 63:32
 * pINTID). Lock order: ITS, then the GIC. */
#ifndef AVMM_HW_GIC_GICV3_ITS_H
#define AVMM_HW_GIC_GICV3_ITS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/gic/gicv3.h"
#include "hw/guest-mem.h"
#include "hw/mmio.h"

#define GITS_VIRT_BASE 0x08080000ull
#define GITS_SIZE 0x20000u
#define GITS_TRANSLATER 0x10040u
#define GITS_DEVBITS 16u
#define GITS_EVBITS 16u

struct gicv3_its {
	pthread_mutex_t lock;
	struct gicv3 *gic;
	struct guest_mem *gm;
	unsigned ncpus;
	uint32_t ctlr;
	uint64_t cbaser, cwriter, creadr, baser_dev;
	bool stalled;
	struct { bool valid; uint16_t cpu; } col[GICV3_MAX_CPUS];
	uint64_t n_cmds, n_errors, n_translated, n_dropped;
	unsigned log_count;
};

int gicv3_its_init(struct gicv3_its *its, struct gicv3 *gic, struct guest_mem *gm, unsigned ncpus);
void gicv3_its_destroy(struct gicv3_its *its);
void gicv3_its_reset(struct gicv3_its *its);
/* An MSI write to GITS_TRANSLATER from `devid` (a PCI requester ID). */
void gicv3_its_translate(struct gicv3_its *its, uint32_t devid, uint32_t eventid);
uint64_t gicv3_its_read(void *its, uint64_t off, unsigned size);
void gicv3_its_write(void *its, uint64_t off, unsigned size, uint64_t val);
extern const struct mmio_ops gicv3_its_ops;

struct fdt_builder;
/* its@BASE under the GIC node (gic_path); returns its phandle. */
uint32_t gicv3_its_fdt_node(struct fdt_builder *b, const char *gic_path, uint64_t base);

#endif
