/* A GICv3 (Arm IHI 0069) in user space, the way a VMM without an in-kernel
 * GIC provides it (facts/hvapi.md §2.2, §2.5): the distributor and the
 * redistributors are MMIO regions, the CPU interface is reached through the
 * ICC_* system-register traps (EC 0x18), and each CPU interface drives an
 * IRQ and an FIQ level that the VMM turns into the vCPU's pending lines.
 *
 * What is modelled:
 * - one security state (GICD_CTLR.DS = 1, GICD_TYPER.SecurityExtn = 0),
 *   affinity routing always on (ARE RAO/WI), Group 0 signalled as FIQ and
 *   Group 1 as IRQ; IGRPMODR and NSACR are RAZ/WI (as DS = 1 requires);
 * - up to GICV3_MAX_CPUS CPUs, SPIs up to num_irqs - 1 (num_irqs a multiple
 *   of 32, at most 1024; INTIDs 1020-1023 are never SPIs); no LPIs, no ITS,
 *   no extended SPI/PPI ranges, no 1-of-N routing (GICD_TYPER.No1N = 1), no
 *   message-based SPIs in the distributor (MBIS = 0), no NMIs;
 * - 5 to 8 implemented priority bits (default 5, like GIC-500), preemption
 *   bits = min(priority bits, 7), hence 1, 2 or 4 active-priority registers
 *   per group (ICC_AP{0,1}R<n>; higher n are UNDEFINED);
 * - the reset values below (gicv3_reset).
 *
 * Locking: the GIC state has its own mutex, taken by every entry point
 * (MMIO callbacks lock themselves: register with mmio_bus_register, no bus
 * lock exists). Lock order: a device's own lock (PL011, PL031 drive their
 * SPI with it held) before the GIC lock, the GIC lock before vm->lock;
 * nothing in this module calls into the bus or into a device. The cpu_irq
 * callback runs with the GIC lock held; it must not call back into the GIC
 * (it should record the levels and kick the vCPU: hv_vcpus_exit / condition
 * variable of the WFI sleep).
 *
 * Lifecycle (hw/device.h, gicv3_device_ops): reset = gicv3_reset (every
 * CPU interface and redistributor too), save/load of struct gicv3_state,
 * destroy = gicv3_destroy. */
#ifndef AVMM_HW_GIC_GICV3_H
#define AVMM_HW_GIC_GICV3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mmio_bus;

#define GICV3_MAX_CPUS 8
#define GICV3_MAX_IRQS 1024      /* num_irqs upper bound (INTIDs 0..1019 usable) */
#define GICV3_DIST_SIZE 0x10000u /* GICD: one 64 KiB frame */
#define GICV3_REDIST_STRIDE 0x20000u /* GICR: RD_base + SGI_base per CPU */

/* QEMU's virt machine (facts/qemu-virt.md). */
#define GICV3_VIRT_DIST_BASE 0x08000000ull
#define GICV3_VIRT_REDIST_BASE 0x080A0000ull
#define GICV3_VIRT_REDIST_REGION_SIZE 0x00F60000ull
#define GICV3_VIRT_NUM_IRQS 288u /* 32 private + 256 SPIs */

/* INTID ranges. */
#define GICV3_SGI_BASE 0u
#define GICV3_PPI_BASE 16u
#define GICV3_SPI_BASE 32u
#define GICV3_INTID_SPURIOUS 1023u
/* The generic-timer PPIs (INTIDs; device tree cells are INTID - 16). */
#define GICV3_PPI_HYP_TIMER 26u
#define GICV3_PPI_VIRT_TIMER 27u
#define GICV3_PPI_SEC_PHYS_TIMER 29u
#define GICV3_PPI_PHYS_TIMER 30u
#define GICV3_PPI_PMU 23u

struct gicv3;

/* Output of CPU interface `cpu`: called with the GIC lock held whenever the
 * IRQ or FIQ level of that CPU changes. */
typedef void gicv3_cpu_irq_fn(void *opaque, unsigned cpu, bool irq_level, bool fiq_level);

struct gicv3_config {
	unsigned num_cpus; /* 1..GICV3_MAX_CPUS */
	unsigned num_irqs; /* 64..1024, a multiple of 32; 0: GICV3_VIRT_NUM_IRQS */
	unsigned pribits;  /* implemented priority bits, 5..8; 0: 5 */
	/* Affinity of each CPU as in GICR_TYPER[63:32]: Aff3 << 24 | Aff2 << 16
	 * | Aff1 << 8 | Aff0, matching the MPIDR_EL1 the machine gives the vCPU.
	 * NULL: CPU n has Aff0 = n. Affinities must be distinct and Aff0 < 16
	 * (GICD_TYPER.RSS = 0). */
	const uint32_t *affinity;
	gicv3_cpu_irq_fn *cpu_irq;
	void *opaque;
	/* LPIs (for an ITS): the redistributors read their property and
	 * pending tables from guest memory through gm. */
	bool lpis;
	struct guest_mem *gm;
};

/* Snapshot of everything the guest can observe (distributor, redistributors,
 * CPU interfaces) plus the input line levels. Bitmaps hold one bit per INTID:
 * spi[n] covers INTIDs 32n..32n+31 (spi[0] is unused), cpu[c].ppi covers the
 * SGIs and PPIs of CPU c. `pend` is the pending latch (edge, ISPENDR, SGI);
 * a level-sensitive interrupt is pending while latch | level. */
struct gicv3_bits {
	uint32_t group;  /* 1 = Group 1 */
	uint32_t enable;
	uint32_t pend;
	uint32_t active;
	uint32_t edge;   /* 1 = edge-triggered (ICFGR Int_config) */
	uint32_t level;  /* input line level */
};

struct gicv3_cpu_state {
	struct gicv3_bits ppi;
	uint8_t prio[32];
	uint32_t waker;      /* GICR_WAKER.ProcessorSleep (bit 1) */
	uint32_t icc_ctlr;   /* CBPR (bit 0), EOImode (bit 1) */
	uint32_t icc_pmr;
	uint32_t icc_bpr[2];
	uint32_t icc_ap[2][4];
	uint32_t icc_igrpen[2];
};

#define GICV3_STATE_VERSION 1u
struct gicv3_state {
	uint32_t version;  /* GICV3_STATE_VERSION */
	uint32_t num_cpus, num_irqs, pribits; /* must match the GIC restored into */
	uint32_t gicd_ctlr; /* EnableGrp0 (bit 0), EnableGrp1 (bit 1) */
	struct gicv3_bits spi[GICV3_MAX_IRQS / 32];
	uint8_t prio[GICV3_MAX_IRQS];
	uint64_t irouter[GICV3_MAX_IRQS];
	struct gicv3_cpu_state cpu[GICV3_MAX_CPUS];
};

/* 0 or -EINVAL (bad configuration) / -ENOMEM. The GIC starts in reset. */
int gicv3_create(const struct gicv3_config *cfg, struct gicv3 **out);
void gicv3_destroy(struct gicv3 *gic);

/* Reset values: GICD_CTLR groups disabled; every interrupt Group 0,
 * disabled, not pending (latches cleared), inactive, priority 0, SPIs and
 * PPIs level-sensitive (SGIs are always edge), IROUTER 0; redistributors
 * asleep (GICR_WAKER.ProcessorSleep = ChildrenAsleep = 1); CPU interfaces:
 * PMR 0, BPR0 = minimum, BPR1 = minimum + 1, CBPR = EOImode = 0, no active
 * priorities, both group enables 0. Input levels are kept (the devices own
 * their lines). */
void gicv3_reset(struct gicv3 *gic);

/* Geometry, for the machine and its device-tree writer. */
unsigned gicv3_num_cpus(const struct gicv3 *gic);
unsigned gicv3_num_irqs(const struct gicv3 *gic);
static inline uint64_t gicv3_redist_region_size(unsigned num_cpus)
{
	return (uint64_t)num_cpus * GICV3_REDIST_STRIDE;
}

/* MMIO: register the distributor (GICV3_DIST_SIZE) and the redistributors
 * (num_cpus * GICV3_REDIST_STRIDE, contiguous) on a bus. 0 or the bus's
 * error. Accepted widths: 8 (IPRIORITYR only), 32 (all), 64 (IROUTER,
 * GICR_TYPER); anything else reads as zero, writes are ignored (logged). */
int gicv3_map(struct gicv3 *gic, struct mmio_bus *bus, uint64_t dist_base, uint64_t redist_base);
/* The raw accessors the regions use (offset within the region). */
uint64_t gicv3_dist_read(void *gic, uint64_t off, unsigned size);
void gicv3_dist_write(void *gic, uint64_t off, unsigned size, uint64_t val);
uint64_t gicv3_redist_read(void *gic, uint64_t off, unsigned size);
void gicv3_redist_write(void *gic, uint64_t off, unsigned size, uint64_t val);

/* Inputs. 0, or -EINVAL for an INTID out of range / a bad CPU.
 * set_spi: INTID 32..num_irqs-1; set_ppi: INTID 16..31 of one CPU.
 * Level-sensitive interrupts follow the level; edge-triggered ones become
 * pending on a rising edge. pulse_spi: an edge (an MSI delivered as an SPI):
 * sets the pending latch whatever the configured trigger. */
int gicv3_set_spi(struct gicv3 *gic, unsigned intid, bool level);
int gicv3_set_ppi(struct gicv3 *gic, unsigned cpu, unsigned intid, bool level);
int gicv3_pulse_spi(struct gicv3 *gic, unsigned intid);

/* LPIs (INTID 8192..65535), for the ITS: make an LPI pending or not on
 * CPU `cpu`'s redistributor. Returns its previous state (0 or 1), or -1 if
 * that redistributor does not take LPIs (EnableLPIs 0: dropped) or the
 * arguments are out of range. move_all: every pending LPI of `from` to
 * `to` (MOVALL). */
int gicv3_lpi_set(struct gicv3 *gic, unsigned cpu, unsigned intid, bool pending);
void gicv3_lpi_move_all(struct gicv3 *gic, unsigned from, unsigned to);
/* The guest changed LPI configuration in its property table (INV, INVALL):
 * re-evaluate what is signalled. */
void gicv3_lpi_sync(struct gicv3 *gic);

/* Current output levels of a CPU interface (for the vCPU loop, which sets
 * the pending IRQ/FIQ lines before each run). */
void gicv3_get_output(struct gicv3 *gic, unsigned cpu, bool *irq, bool *fiq);

/* CPU interface, called on an EC 0x18 trap. enc is the sysreg key
 * (op0 << 14 | op1 << 11 | CRn << 7 | CRm << 3 | op2, as ACCEL_SYSREG).
 * gicv3_is_cpuif_reg: the encoding belongs to the ICC_*_EL1 space this
 * module answers for (op0 3, op1 0, CRn 12 CRm 8..15, and ICC_PMR_EL1).
 * read/write: 0, or -EINVAL when the access is UNDEFINED (unimplemented
 * register, wrong direction, bad CPU): the VMM injects UNDEF. */
bool gicv3_is_cpuif_reg(uint16_t enc);
int gicv3_cpuif_read(struct gicv3 *gic, unsigned cpu, uint16_t enc, uint64_t *val);
int gicv3_cpuif_write(struct gicv3 *gic, unsigned cpu, uint16_t enc, uint64_t val);

/* Snapshot. save: consistent copy under the lock. restore: -EINVAL if the
 * geometry or version differs; otherwise every field is masked to what the
 * registers can hold (hostile snapshot files cannot put the model outside
 * its invariants), the outputs are recomputed and the callback called for
 * any change. */
void gicv3_save(struct gicv3 *gic, struct gicv3_state *st);
int gicv3_restore(struct gicv3 *gic, const struct gicv3_state *st);

/* Sysreg keys of the CPU interface registers (op0 = 3, op1 = 0). */
#define GICV3_ICC(crn, crm, op2) ((uint16_t)(3u << 14 | (crn) << 7 | (crm) << 3 | (op2)))
#define ICC_PMR_EL1 GICV3_ICC(4, 6, 0)
#define ICC_IAR0_EL1 GICV3_ICC(12, 8, 0)
#define ICC_EOIR0_EL1 GICV3_ICC(12, 8, 1)
#define ICC_HPPIR0_EL1 GICV3_ICC(12, 8, 2)
#define ICC_BPR0_EL1 GICV3_ICC(12, 8, 3)
#define ICC_AP0R0_EL1 GICV3_ICC(12, 8, 4) /* ..AP0R3: op2 4..7 */
#define ICC_AP1R0_EL1 GICV3_ICC(12, 9, 0) /* ..AP1R3: op2 0..3 */
#define ICC_DIR_EL1 GICV3_ICC(12, 11, 1)
#define ICC_RPR_EL1 GICV3_ICC(12, 11, 3)
#define ICC_SGI1R_EL1 GICV3_ICC(12, 11, 5)
#define ICC_ASGI1R_EL1 GICV3_ICC(12, 11, 6)
#define ICC_SGI0R_EL1 GICV3_ICC(12, 11, 7)
#define ICC_IAR1_EL1 GICV3_ICC(12, 12, 0)
#define ICC_EOIR1_EL1 GICV3_ICC(12, 12, 1)
#define ICC_HPPIR1_EL1 GICV3_ICC(12, 12, 2)
#define ICC_BPR1_EL1 GICV3_ICC(12, 12, 3)
#define ICC_CTLR_EL1 GICV3_ICC(12, 12, 4)
#define ICC_SRE_EL1 GICV3_ICC(12, 12, 5)
#define ICC_IGRPEN0_EL1 GICV3_ICC(12, 12, 6)
#define ICC_IGRPEN1_EL1 GICV3_ICC(12, 12, 7)

struct device_ops;
extern const struct device_ops gicv3_device_ops;

#endif
