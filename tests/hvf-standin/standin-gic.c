/* The stand-in's in-kernel GIC: Hypervisor.framework's hv_gic_* API
 * (macOS 15, facts/hvapi.md §1.7 and §2.3) implemented on avmm's own GICv3
 * model (src/hw/gic/). It shares standin.c's state through standin.h.
 *
 * What the framework documents, and the stand-in does:
 *   - hv_gic_create after hv_vm_create and before any hv_vcpu_create, one
 *     GIC per VM; redistributors are found by the vCPU's MPIDR_EL1 (its
 *     affinity is bound when the vCPU first runs: "once vCPUs run, the
 *     topology is final"); the redistributor region holds one redistributor
 *     (RD + SGI frames, 128 KiB) for every vCPU the VM supports;
 *   - guest accesses to the distributor, redistributor and MSI frames and to
 *     the ICC_* system registers are handled inside hv_vcpu_run: no data
 *     abort or EC 0x18 exit reaches the caller;
 *   - the vtimer is wired to PPI 27 (HV_GIC_INT_EL1_VIRTUAL_TIMER) of the
 *     vCPU's redistributor, as a level; VTIMER_ACTIVATED is never returned
 *     (the QEMU vGIC series: "will never be returned by Hypervisor.framework
 *     when the vGIC is enabled");
 *   - hv_gic_set_spi: level for level-sensitive SPIs, true = an edge for
 *     edge-triggered ones (false ignored); HV_BAD_ARGUMENT outside the SPI
 *     range or inside the MSI range;
 *   - MSIs: only when both the MSI region base and the interrupt range are
 *     set; hv_gic_send_msi takes the address of GICM_SET_SPI_NSR;
 *   - per-vCPU register access (redistributor, ICC) on the owning thread;
 *   - hv_gic_state_*: distributor and redistributor state, not the ICC
 *     registers; taken and restored with no vCPU running.
 *
 * Choices where the documentation is silent (UNCONFIRMED, docs/hvf.md):
 *   - WFI: waits inside hv_vcpu_run until the GIC signals the vCPU, its
 *     vtimer deadline passes or hv_vcpus_exit (as KVM's in-kernel vGIC
 *     does); it does not exit to the caller. Without this, an SGI from
 *     another vCPU could not wake a vCPU the VMM holds in WFI;
 *   - data aborts on the GIC frames with ISV=0 still exit to the caller;
 *   - error codes: no VM HV_NO_DEVICE, no GIC HV_NO_DEVICE, GIC created
 *     twice HV_EXISTS, vCPUs already created HV_BUSY, vCPU running during a
 *     state call HV_BUSY, everything else HV_BAD_ARGUMENT;
 *   - sizes: distributor 64 KiB aligned 64 KiB, redistributors 128 KiB
 *     each aligned 64 KiB, MSI frame 64 KiB aligned 64 KiB (the GICv2m
 *     registers in its first 4 KiB), SPIs 32..1019;
 *   - hv_vcpu_set_pending_interrupt still raises the vCPU's IRQ/FIQ line
 *     (ORed with the GIC's output);
 *   - the stand-in's GIC has GICV3_MAX_CPUS (8) redistributors, CPU n with
 *     affinity Aff0 = n: vCPUs whose MPIDR has other affinity fields or
 *     Aff0 >= 8 cannot run (HV_UNSUPPORTED).
 * The ICH/ICV registers and the EL2 timer PPIs need EL2, which the soft
 * CPU does not have: those calls fail. */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arch/dabt.h"
#include "cpu/cpu.h"
#include "hw/gic/gicv2m.h"
#include "hw/gic/gicv3.h"

#include "standin.h"

#define SGIC_DIST_SIZE 0x10000ull
#define SGIC_DIST_ALIGN 0x10000ull
#define SGIC_REDIST_SIZE 0x20000ull /* RD_base + SGI_base */
#define SGIC_REDIST_ALIGN 0x10000ull
#define SGIC_MSI_SIZE 0x10000ull
#define SGIC_MSI_ALIGN 0x10000ull
#define SGIC_NUM_IRQS GICV3_MAX_IRQS
#define SGIC_SPI_END 1020u
#define SGIC_STATE_MAGIC 0x53434741u /* "AGCS" */

struct hv_gic_config_s {
	unsigned kind; /* OBJ_GIC_CONFIG; first, for os_release */
	hv_ipa_t dist, redist, msi;
	bool has_dist, has_redist, has_msi_base, has_msi_range;
	uint32_t msi_intid_base, msi_intid_count;
};

/* The opaque state blob: a header and the GIC model's snapshot. */
struct sgic_blob {
	uint32_t magic, size;
	struct gicv3_state st;
};
struct hv_gic_state_s {
	unsigned kind; /* OBJ_GIC_STATE */
	struct sgic_blob blob;
};

struct standin_gic {
	struct gicv3 *gic;
	struct gicv2m msi;
	bool has_msi;
	/* HV_STANDIN_GIC_VTIMER_EXITS set: a vtimer activation is also
	 * returned to the caller, which Apple does not document with hv_gic
	 * but does not rule out either (the VMM must survive it). */
	bool vtimer_exits;
	hv_ipa_t dist, redist, msi_base;
	/* Under g_irq_lock: the GIC's output per CPU interface, and the vCPU
	 * bound to each. */
	bool out_irq[GICV3_MAX_CPUS], out_fiq[GICV3_MAX_CPUS];
	struct standin_vcpu *bound[GICV3_MAX_CPUS];
};

/* ---- Configuration and creation -------------------------------------------- */

hv_gic_config_t hv_gic_config_create(void)
{
	struct hv_gic_config_s *c = calloc(1, sizeof(*c));
	if (c)
		c->kind = OBJ_GIC_CONFIG;
	return c;
}

static bool gic_config_ok(hv_gic_config_t c)
{
	return c && c->kind == OBJ_GIC_CONFIG;
}

hv_return_t hv_gic_config_set_distributor_base(hv_gic_config_t c, hv_ipa_t base)
{
	if (!gic_config_ok(c) || (base & (SGIC_DIST_ALIGN - 1)))
		return HV_BAD_ARGUMENT;
	c->dist = base;
	c->has_dist = true;
	return HV_SUCCESS;
}

hv_return_t hv_gic_config_set_redistributor_base(hv_gic_config_t c, hv_ipa_t base)
{
	if (!gic_config_ok(c) || (base & (SGIC_REDIST_ALIGN - 1)))
		return HV_BAD_ARGUMENT;
	c->redist = base;
	c->has_redist = true;
	return HV_SUCCESS;
}

hv_return_t hv_gic_config_set_msi_region_base(hv_gic_config_t c, hv_ipa_t base)
{
	if (!gic_config_ok(c) || (base & (SGIC_MSI_ALIGN - 1)))
		return HV_BAD_ARGUMENT;
	c->msi = base;
	c->has_msi_base = true;
	return HV_SUCCESS;
}

/* The range must lie within hv_gic_get_spi_interrupt_range. */
hv_return_t hv_gic_config_set_msi_interrupt_range(hv_gic_config_t c, uint32_t base, uint32_t count)
{
	if (!gic_config_ok(c) || base < GICV3_SPI_BASE || base >= SGIC_SPI_END || !count ||
	    count > SGIC_SPI_END - base)
		return HV_BAD_ARGUMENT;
	c->msi_intid_base = base;
	c->msi_intid_count = count;
	c->has_msi_range = true;
	return HV_SUCCESS;
}

static bool ranges_overlap(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
	return a < b + bs && b < a + as;
}

static bool ipa_fits(uint64_t base, uint64_t size)
{
	return base + size > base && base + size <= (1ull << g_ipa_bits);
}

/* GIC output callback: GIC lock held. Record the levels and make the bound
 * vCPU pick them up (leave its run, or its WFI wait). */
static void gic_out(void *opaque, unsigned cpu, bool irq, bool fiq)
{
	struct standin_gic *sg = opaque;
	if (cpu >= GICV3_MAX_CPUS)
		return;
	pthread_mutex_lock(&g_irq_lock);
	sg->out_irq[cpu] = irq;
	sg->out_fiq[cpu] = fiq;
	struct standin_vcpu *v = sg->bound[cpu];
	if (v) {
		pthread_cond_signal(&v->wfi_cond);
		a64_cpu_kick(v->cpu);
	}
	pthread_mutex_unlock(&g_irq_lock);
}

hv_return_t hv_gic_create(hv_gic_config_t c)
{
	if (!gic_config_ok(c) || !c->has_dist || !c->has_redist)
		return HV_BAD_ARGUMENT;
	bool msi = c->has_msi_base && c->has_msi_range; /* both, or no MSIs */
	uint64_t rsize = SGIC_REDIST_SIZE * GICV3_MAX_CPUS;
	pthread_mutex_lock(&g_lock);
	hv_return_t r = HV_SUCCESS;
	if (!g_vm)
		r = HV_NO_DEVICE;
	else if (g_gic)
		r = HV_EXISTS;
	else if (g_nvcpus)
		r = HV_BUSY; /* GIC CPU resources are allocated with the vCPUs */
	else if (!ipa_fits(c->dist, SGIC_DIST_SIZE) || !ipa_fits(c->redist, rsize) ||
		 (msi && !ipa_fits(c->msi, SGIC_MSI_SIZE)) ||
		 ranges_overlap(c->dist, SGIC_DIST_SIZE, c->redist, rsize) ||
		 (msi && (ranges_overlap(c->msi, SGIC_MSI_SIZE, c->dist, SGIC_DIST_SIZE) ||
			  ranges_overlap(c->msi, SGIC_MSI_SIZE, c->redist, rsize))))
		r = HV_BAD_ARGUMENT;
	struct standin_gic *sg = NULL;
	if (r == HV_SUCCESS && !(sg = calloc(1, sizeof(*sg))))
		r = HV_NO_RESOURCES;
	if (r == HV_SUCCESS) {
		struct gicv3_config gc = {
			.num_cpus = GICV3_MAX_CPUS, .num_irqs = SGIC_NUM_IRQS, .cpu_irq = gic_out, .opaque = sg,
		};
		if (gicv3_create(&gc, &sg->gic))
			r = HV_NO_RESOURCES;
		else if (msi && gicv2m_init(&sg->msi, sg->gic, c->msi_intid_base, c->msi_intid_count))
			r = HV_BAD_ARGUMENT;
	}
	if (r == HV_SUCCESS) {
		sg->has_msi = msi;
		sg->vtimer_exits = getenv("HV_STANDIN_GIC_VTIMER_EXITS") != NULL;
		sg->dist = c->dist;
		sg->redist = c->redist;
		sg->msi_base = c->msi;
		g_gic = sg;
	} else if (sg) {
		gicv3_destroy(sg->gic);
		free(sg);
	}
	pthread_mutex_unlock(&g_lock);
	return r;
}

/* hv_vm_destroy, under g_lock, no vCPUs left. */
void gic_vm_destroy(void)
{
	if (!g_gic)
		return;
	gicv3_destroy(g_gic->gic);
	free(g_gic);
	g_gic = NULL;
}

/* The GIC, if one exists (it lives until hv_vm_destroy, which needs every
 * vCPU gone, so callers may use it after dropping the lock). */
static struct standin_gic *gic_get(void)
{
	pthread_mutex_lock(&g_lock);
	struct standin_gic *sg = g_gic;
	pthread_mutex_unlock(&g_lock);
	return sg;
}

hv_return_t hv_gic_reset(void)
{
	struct standin_gic *sg = gic_get();
	if (!sg)
		return HV_NO_DEVICE;
	gicv3_reset(sg->gic);
	return HV_SUCCESS;
}

/* ---- vCPUs and their redistributors ------------------------------------------ */

/* The GIC CPU interface of a vCPU: from MPIDR_EL1 (Aff0 = n, the other
 * affinity fields 0), or -1. */
static int mpidr_cpu(struct standin_vcpu *v)
{
	if (v->gic_cpu >= 0)
		return v->gic_cpu;
	uint64_t mpidr = 0;
	if (a64_get_sysreg(v->cpu, HV_SYS_REG_MPIDR_EL1, &mpidr))
		return -1;
	if ((mpidr & 0xff00ffff00ull) || (mpidr & 0xff) >= GICV3_MAX_CPUS)
		return -1;
	return (int)(mpidr & 0xff);
}

void gic_vcpu_gone(struct standin_vcpu *v)
{
	pthread_mutex_lock(&g_irq_lock);
	if (g_gic && v->gic_cpu >= 0 && g_gic->bound[v->gic_cpu] == v)
		g_gic->bound[v->gic_cpu] = NULL;
	pthread_mutex_unlock(&g_irq_lock);
}

void gic_wake(struct standin_vcpu *v)
{
	pthread_mutex_lock(&g_irq_lock);
	pthread_cond_signal(&v->wfi_cond);
	pthread_mutex_unlock(&g_irq_lock);
}

hv_return_t hv_gic_get_redistributor_base(hv_vcpu_t id, hv_ipa_t *base)
{
	if (!base || id >= STANDIN_MAX_VCPUS)
		return HV_BAD_ARGUMENT;
	struct standin_gic *sg = gic_get();
	if (!sg)
		return HV_NO_DEVICE;
	pthread_mutex_lock(&g_lock);
	struct standin_vcpu *v = g_vcpus[id];
	int cpu = v ? mpidr_cpu(v) : -1;
	pthread_mutex_unlock(&g_lock);
	if (cpu < 0)
		return HV_BAD_ARGUMENT;
	*base = sg->redist + (uint64_t)cpu * SGIC_REDIST_SIZE;
	return HV_SUCCESS;
}

/* Owning thread: the GIC and the vCPU's CPU interface number. */
static hv_return_t gic_own(hv_vcpu_t id, struct standin_gic **sg, int *cpu)
{
	struct standin_vcpu *v = standin_own(id);
	if (!v)
		return HV_BAD_ARGUMENT;
	if (!(*sg = gic_get()))
		return HV_NO_DEVICE;
	*cpu = mpidr_cpu(v);
	return *cpu < 0 ? HV_BAD_ARGUMENT : HV_SUCCESS;
}

/* Register access width: 64-bit for GICD_IROUTER<n> and GICR_TYPER. */
static unsigned dist_width(uint32_t off)
{
	return off >= 0x6100 && off < 0x8000 ? 8 : 4;
}

hv_return_t hv_gic_get_distributor_reg(hv_gic_distributor_reg_t reg, uint64_t *value)
{
	struct standin_gic *sg = gic_get();
	unsigned w = dist_width(reg); /* reg is 16 bits (Apple's width): inside the 64 KiB frame */
	if (!value || (reg & (w - 1)))
		return HV_BAD_ARGUMENT;
	if (!sg)
		return HV_NO_DEVICE;
	*value = gicv3_dist_read(sg->gic, reg, w);
	return HV_SUCCESS;
}

hv_return_t hv_gic_set_distributor_reg(hv_gic_distributor_reg_t reg, uint64_t value)
{
	struct standin_gic *sg = gic_get();
	unsigned w = dist_width(reg); /* reg is 16 bits (Apple's width): inside the 64 KiB frame */
	if ((reg & (w - 1)) || (w == 4 && value >> 32))
		return HV_BAD_ARGUMENT;
	if (!sg)
		return HV_NO_DEVICE;
	gicv3_dist_write(sg->gic, reg, w, value);
	return HV_SUCCESS;
}

hv_return_t hv_gic_get_redistributor_reg(hv_vcpu_t id, hv_gic_redistributor_reg_t reg, uint64_t *value)
{
	struct standin_gic *sg;
	int cpu;
	unsigned w = reg == HV_GIC_REDISTRIBUTOR_REG_GICR_TYPER ? 8 : 4;
	if (!value || reg >= SGIC_REDIST_SIZE || (reg & 3))
		return HV_BAD_ARGUMENT;
	hv_return_t r = gic_own(id, &sg, &cpu);
	if (r == HV_SUCCESS)
		*value = gicv3_redist_read(sg->gic, (uint64_t)cpu * SGIC_REDIST_SIZE + reg, w);
	return r;
}

hv_return_t hv_gic_set_redistributor_reg(hv_vcpu_t id, hv_gic_redistributor_reg_t reg, uint64_t value)
{
	struct standin_gic *sg;
	int cpu;
	if (reg >= SGIC_REDIST_SIZE || (reg & 3) || value >> 32)
		return HV_BAD_ARGUMENT;
	hv_return_t r = gic_own(id, &sg, &cpu);
	if (r == HV_SUCCESS)
		gicv3_redist_write(sg->gic, (uint64_t)cpu * SGIC_REDIST_SIZE + reg, 4, value);
	return r;
}

/* The ICC registers of the API (state, not the acknowledge/EOI/SGI
 * operations): PMR, BPR0/1, AP0R<n>/AP1R<n>, RPR (read-only), CTLR, SRE,
 * IGRPEN0/1. ICC_SRE_EL2 needs EL2. */
static bool icc_in_api(uint16_t reg)
{
	switch (reg) {
	case HV_GIC_ICC_REG_PMR_EL1: case HV_GIC_ICC_REG_BPR0_EL1: case HV_GIC_ICC_REG_RPR_EL1:
	case HV_GIC_ICC_REG_BPR1_EL1: case HV_GIC_ICC_REG_CTLR_EL1: case HV_GIC_ICC_REG_SRE_EL1:
	case HV_GIC_ICC_REG_IGRPEN0_EL1: case HV_GIC_ICC_REG_IGRPEN1_EL1:
		return true;
	default:
		return (reg >= HV_GIC_ICC_REG_AP0R0_EL1 && reg <= HV_GIC_ICC_REG_AP0R0_EL1 + 3) ||
		       (reg >= HV_GIC_ICC_REG_AP1R0_EL1 && reg <= HV_GIC_ICC_REG_AP1R0_EL1 + 3);
	}
}

hv_return_t hv_gic_get_icc_reg(hv_vcpu_t id, hv_gic_icc_reg_t reg, uint64_t *value)
{
	struct standin_gic *sg;
	int cpu;
	if (!value || !icc_in_api(reg))
		return HV_BAD_ARGUMENT;
	hv_return_t r = gic_own(id, &sg, &cpu);
	if (r == HV_SUCCESS && gicv3_cpuif_read(sg->gic, (unsigned)cpu, reg, value))
		r = HV_BAD_ARGUMENT; /* not implemented by this GIC (e.g. AP0R3 with 5 priority bits) */
	return r;
}

hv_return_t hv_gic_set_icc_reg(hv_vcpu_t id, hv_gic_icc_reg_t reg, uint64_t value)
{
	struct standin_gic *sg;
	int cpu;
	if (!icc_in_api(reg) || reg == HV_GIC_ICC_REG_RPR_EL1)
		return HV_BAD_ARGUMENT;
	hv_return_t r = gic_own(id, &sg, &cpu);
	if (r == HV_SUCCESS && gicv3_cpuif_write(sg->gic, (unsigned)cpu, reg, value))
		r = HV_BAD_ARGUMENT;
	return r;
}

/* EL2 only; the stand-in has no EL2 VMs. */
static hv_return_t el2_only(hv_vcpu_t id)
{
	struct standin_gic *sg;
	int cpu;
	hv_return_t r = gic_own(id, &sg, &cpu);
	return r == HV_SUCCESS ? HV_BAD_ARGUMENT : r;
}
hv_return_t hv_gic_get_ich_reg(hv_vcpu_t id, hv_gic_ich_reg_t reg, uint64_t *value)
{
	(void)reg;
	(void)value;
	return el2_only(id);
}
hv_return_t hv_gic_set_ich_reg(hv_vcpu_t id, hv_gic_ich_reg_t reg, uint64_t value)
{
	(void)reg;
	(void)value;
	return el2_only(id);
}
hv_return_t hv_gic_get_icv_reg(hv_vcpu_t id, hv_gic_icv_reg_t reg, uint64_t *value)
{
	(void)reg;
	(void)value;
	return el2_only(id);
}
hv_return_t hv_gic_set_icv_reg(hv_vcpu_t id, hv_gic_icv_reg_t reg, uint64_t value)
{
	(void)reg;
	(void)value;
	return el2_only(id);
}

/* ---- Interrupt injection and the MSI frame ------------------------------------ */

static bool in_msi_range(const struct standin_gic *sg, uint32_t intid)
{
	return sg->has_msi && intid >= sg->msi.spi_base && intid - sg->msi.spi_base < sg->msi.spi_count;
}

hv_return_t hv_gic_set_spi(uint32_t intid, bool level)
{
	struct standin_gic *sg = gic_get();
	if (!sg)
		return HV_NO_DEVICE;
	if (intid < GICV3_SPI_BASE || intid >= SGIC_SPI_END || in_msi_range(sg, intid))
		return HV_BAD_ARGUMENT;
	return gicv3_set_spi(sg->gic, intid, level) ? HV_BAD_ARGUMENT : HV_SUCCESS;
}

hv_return_t hv_gic_send_msi(hv_ipa_t address, uint32_t intid)
{
	struct standin_gic *sg = gic_get();
	if (!sg)
		return HV_NO_DEVICE;
	if (!sg->has_msi || address != sg->msi_base + HV_GIC_REG_GICM_SET_SPI_NSR || !in_msi_range(sg, intid))
		return HV_BAD_ARGUMENT;
	return gicv3_pulse_spi(sg->gic, intid) ? HV_BAD_ARGUMENT : HV_SUCCESS;
}

hv_return_t hv_gic_get_msi_reg(hv_gic_msi_reg_t reg, uint64_t *value)
{
	struct standin_gic *sg = gic_get();
	if (!value || reg != HV_GIC_REG_GICM_TYPER)
		return HV_BAD_ARGUMENT; /* SET_SPI_NSR is write-only */
	if (!sg)
		return HV_NO_DEVICE;
	if (!sg->has_msi)
		return HV_BAD_ARGUMENT;
	*value = gicv2m_read(&sg->msi, reg, 4);
	return HV_SUCCESS;
}

/* GICM_TYPER follows from the configuration: writing it back unchanged (a
 * restore) is accepted; SET_SPI_NSR delivers an MSI. */
hv_return_t hv_gic_set_msi_reg(hv_gic_msi_reg_t reg, uint64_t value)
{
	struct standin_gic *sg = gic_get();
	if (!sg)
		return HV_NO_DEVICE;
	if (!sg->has_msi)
		return HV_BAD_ARGUMENT;
	if (reg == HV_GIC_REG_GICM_TYPER)
		return value == gicv2m_read(&sg->msi, reg, 4) ? HV_SUCCESS : HV_BAD_ARGUMENT;
	if (reg == HV_GIC_REG_GICM_SET_SPI_NSR)
		return hv_gic_send_msi(sg->msi_base + reg, (uint32_t)value);
	return HV_BAD_ARGUMENT;
}

/* ---- State ---------------------------------------------------------------------- */

/* Both state calls need the VM stopped: no vCPU inside hv_vcpu_run. */
static struct standin_gic *gic_stopped(hv_return_t *r)
{
	pthread_mutex_lock(&g_lock);
	struct standin_gic *sg = g_gic;
	*r = !sg ? HV_NO_DEVICE : g_running ? HV_BUSY : HV_SUCCESS;
	pthread_mutex_unlock(&g_lock);
	return *r == HV_SUCCESS ? sg : NULL;
}

hv_gic_state_t hv_gic_state_create(void)
{
	hv_return_t r;
	struct standin_gic *sg = gic_stopped(&r);
	if (!sg)
		return NULL;
	struct hv_gic_state_s *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->kind = OBJ_GIC_STATE;
	s->blob.magic = SGIC_STATE_MAGIC;
	s->blob.size = sizeof(s->blob);
	gicv3_save(sg->gic, &s->blob.st);
	return s;
}

hv_return_t hv_gic_state_get_size(hv_gic_state_t s, size_t *size)
{
	if (!s || s->kind != OBJ_GIC_STATE || !size)
		return HV_BAD_ARGUMENT;
	*size = sizeof(s->blob);
	return HV_SUCCESS;
}

hv_return_t hv_gic_state_get_data(hv_gic_state_t s, void *data)
{
	if (!s || s->kind != OBJ_GIC_STATE || !data)
		return HV_BAD_ARGUMENT;
	memcpy(data, &s->blob, sizeof(s->blob));
	return HV_SUCCESS;
}

/* The blob's distributor and redistributor state over the GIC's current
 * CPU-interface (ICC) state, which the caller restores separately. The
 * model validates and masks every field (a hostile blob cannot break it). */
hv_return_t hv_gic_set_state(const void *data, size_t size)
{
	if (!data || size != sizeof(struct sgic_blob))
		return HV_BAD_ARGUMENT;
	hv_return_t r;
	struct standin_gic *sg = gic_stopped(&r);
	if (!sg)
		return r;
	struct sgic_blob *in = malloc(sizeof(*in));
	struct gicv3_state *cur = malloc(sizeof(*cur));
	if (!in || !cur) {
		free(in);
		free(cur);
		return HV_NO_RESOURCES;
	}
	memcpy(in, data, sizeof(*in));
	r = HV_BAD_ARGUMENT;
	if (in->magic == SGIC_STATE_MAGIC && in->size == sizeof(*in)) {
		gicv3_save(sg->gic, cur);
		for (unsigned c = 0; c < GICV3_MAX_CPUS; c++) {
			struct gicv3_cpu_state *d = &in->st.cpu[c];
			const struct gicv3_cpu_state *k = &cur->cpu[c];
			d->icc_ctlr = k->icc_ctlr;
			d->icc_pmr = k->icc_pmr;
			memcpy(d->icc_bpr, k->icc_bpr, sizeof(d->icc_bpr));
			memcpy(d->icc_ap, k->icc_ap, sizeof(d->icc_ap));
			memcpy(d->icc_igrpen, k->icc_igrpen, sizeof(d->icc_igrpen));
		}
		if (!gicv3_restore(sg->gic, &in->st))
			r = HV_SUCCESS;
	}
	free(in);
	free(cur);
	return r;
}

/* ---- Geometry ------------------------------------------------------------------- */

#define SIZE_QUERY(name, value)             \
	hv_return_t name(size_t *out)       \
	{                                   \
		if (!out)                   \
			return HV_BAD_ARGUMENT; \
		*out = (value);             \
		return HV_SUCCESS;          \
	}
SIZE_QUERY(hv_gic_get_distributor_size, SGIC_DIST_SIZE)
SIZE_QUERY(hv_gic_get_distributor_base_alignment, SGIC_DIST_ALIGN)
SIZE_QUERY(hv_gic_get_redistributor_region_size, SGIC_REDIST_SIZE * GICV3_MAX_CPUS)
SIZE_QUERY(hv_gic_get_redistributor_size, SGIC_REDIST_SIZE)
SIZE_QUERY(hv_gic_get_redistributor_base_alignment, SGIC_REDIST_ALIGN)
SIZE_QUERY(hv_gic_get_msi_region_size, SGIC_MSI_SIZE)
SIZE_QUERY(hv_gic_get_msi_region_base_alignment, SGIC_MSI_ALIGN)

hv_return_t hv_gic_get_spi_interrupt_range(uint32_t *base, uint32_t *count)
{
	if (!base || !count)
		return HV_BAD_ARGUMENT;
	*base = GICV3_SPI_BASE;
	*count = SGIC_SPI_END - GICV3_SPI_BASE;
	return HV_SUCCESS;
}

hv_return_t hv_gic_get_intid(hv_gic_intid_t interrupt, uint32_t *intid)
{
	if (!intid)
		return HV_BAD_ARGUMENT;
	switch (interrupt) {
	case HV_GIC_INT_PERFORMANCE_MONITOR: case HV_GIC_INT_MAINTENANCE: case HV_GIC_INT_EL2_PHYSICAL_TIMER:
	case HV_GIC_INT_EL1_VIRTUAL_TIMER: case HV_GIC_INT_EL1_PHYSICAL_TIMER:
		*intid = interrupt; /* the enum values are the INTIDs */
		return HV_SUCCESS;
	default:
		return HV_BAD_ARGUMENT;
	}
}

/* ---- Inside hv_vcpu_run ------------------------------------------------------- */

/* A synchronous exception into the guest's EL1 at its PC (UNDEFINED for a
 * GIC register access the GIC refuses), as the architecture's entry does. */
static void guest_undef(struct standin_vcpu *v)
{
	uint64_t pc = a64_get_reg(v->cpu, ACCEL_REG_PC), cpsr = a64_get_reg(v->cpu, ACCEL_REG_CPSR), vbar = 0;
	uint64_t off = ((cpsr >> 2) & 3) == 0 ? 0x400 : (cpsr & 1) ? 0x200 : 0;
	a64_get_sysreg(v->cpu, HV_SYS_REG_VBAR_EL1, &vbar);
	a64_set_sysreg(v->cpu, HV_SYS_REG_ESR_EL1, 1u << 25); /* EC 0, IL */
	a64_set_sysreg(v->cpu, HV_SYS_REG_ELR_EL1, pc);
	a64_set_sysreg(v->cpu, HV_SYS_REG_SPSR_EL1, cpsr);
	a64_set_reg(v->cpu, ACCEL_REG_CPSR, 0x3c5);
	a64_set_reg(v->cpu, ACCEL_REG_PC, vbar + off);
}

static void skip_insn(struct standin_vcpu *v)
{
	a64_set_reg(v->cpu, ACCEL_REG_PC, a64_get_reg(v->cpu, ACCEL_REG_PC) + 4);
}

/* A data abort on a GIC frame with a valid syndrome: one access of exactly
 * the syndrome's width, done here. false: not the GIC's (or ISV=0). */
static bool gic_mmio(struct standin_gic *sg, struct standin_vcpu *v, uint64_t esr, uint64_t ipa)
{
	uint64_t (*rd)(void *, uint64_t, unsigned);
	void (*wr)(void *, uint64_t, unsigned, uint64_t);
	void *dev;
	uint64_t off;
	if (ipa - sg->dist < SGIC_DIST_SIZE) {
		rd = gicv3_dist_read, wr = gicv3_dist_write, dev = sg->gic, off = ipa - sg->dist;
	} else if (ipa - sg->redist < SGIC_REDIST_SIZE * GICV3_MAX_CPUS) {
		rd = gicv3_redist_read, wr = gicv3_redist_write, dev = sg->gic, off = ipa - sg->redist;
	} else if (sg->has_msi && ipa - sg->msi_base < SGIC_MSI_SIZE) {
		rd = gicv2m_read, wr = gicv2m_write, dev = &sg->msi, off = ipa - sg->msi_base;
	} else {
		return false;
	}
	uint32_t iss = (uint32_t)ESR_ISS(esr);
	if (!(iss & ISS_ISV) || (iss & ISS_CM))
		return false;
	unsigned size = 1u << ((iss >> 22) & 3), rt = (iss >> 16) & 31;
	if (iss & ISS_WNR) {
		uint64_t val = rt == 31 ? 0 : a64_get_reg(v->cpu, (enum accel_reg)rt);
		if (size < 8)
			val &= (1ull << (size * 8)) - 1;
		wr(dev, off, size, val);
	} else {
		uint64_t val = rd(dev, off, size);
		if (size < 8 && (iss & ISS_SSE) && (val >> (size * 8 - 1) & 1))
			val |= ~0ull << (size * 8);
		if (!(iss & ISS_SF))
			val &= 0xffffffffull;
		if (rt != 31)
			a64_set_reg(v->cpu, (enum accel_reg)rt, val);
	}
	skip_insn(v);
	return true;
}

/* An MSR/MRS trap (EC 0x18) of the CPU interface, done here. */
static bool gic_sysreg(struct standin_gic *sg, struct standin_vcpu *v, uint64_t esr)
{
	uint32_t iss = (uint32_t)ESR_ISS(esr);
	unsigned op0 = (iss >> 20) & 3, op2 = (iss >> 17) & 7, op1 = (iss >> 14) & 7, crn = (iss >> 10) & 15,
		 rt = (iss >> 5) & 31, crm = (iss >> 1) & 15;
	uint16_t enc = ACCEL_SYSREG(op0, op1, crn, crm, op2);
	if (!gicv3_is_cpuif_reg(enc))
		return false;
	int r;
	if (iss & 1) {
		uint64_t val = 0;
		r = gicv3_cpuif_read(sg->gic, (unsigned)v->gic_cpu, enc, &val);
		if (!r && rt != 31)
			a64_set_reg(v->cpu, (enum accel_reg)rt, val);
	} else {
		r = gicv3_cpuif_write(sg->gic, (unsigned)v->gic_cpu, enc,
				      rt == 31 ? 0 : a64_get_reg(v->cpu, (enum accel_reg)rt));
	}
	if (r)
		guest_undef(v);
	else
		skip_insn(v);
	return true;
}

#define CNTV_CTL 0xdf19
#define CNTV_CVAL 0xdf1a
#define CNTVCT 0xdf02
#define CNTFRQ 0xdf00

/* The vtimer as a level on PPI 27: raised at the soft CPU's activation exit
 * (which leaves the vtimer masked), lowered and unmasked once the guest's
 * timer condition (ENABLE, ISTATUS, not IMASK) is gone, checked whenever
 * the vCPU comes back here: the guest acknowledges and EOIs through ICC_*
 * traps, so its EOI is seen. */
static void vtimer_sync(struct standin_gic *sg, struct standin_vcpu *v, bool fired)
{
	if (fired && !v->vtimer_ppi) {
		v->vtimer_ppi = true;
		gicv3_set_ppi(sg->gic, (unsigned)v->gic_cpu, HV_GIC_INT_EL1_VIRTUAL_TIMER, true);
		return;
	}
	uint64_t ctl = 0;
	if (v->vtimer_ppi && !(a64_get_sysreg(v->cpu, CNTV_CTL, &ctl) == 0 && (ctl & 7) == 5)) {
		v->vtimer_ppi = false;
		gicv3_set_ppi(sg->gic, (unsigned)v->gic_cpu, HV_GIC_INT_EL1_VIRTUAL_TIMER, false);
		a64_set_vtimer_mask(v->cpu, false);
	}
}

/* WFI inside the framework. Returns false if hv_vcpus_exit asked for an
 * exit meanwhile (the WFI is then left for the next run to execute). */
static bool gic_wfi(struct standin_gic *sg, struct standin_vcpu *v)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	int64_t wait_ns = 100 * 1000 * 1000; /* bounded: WFI may complete early */
	uint64_t ctl = 0, cval = 0, cnt = 0, frq = 0;
	if (!v->vtimer_ppi && !a64_get_sysreg(v->cpu, CNTV_CTL, &ctl) && (ctl & 3) == 1 &&
	    !a64_get_sysreg(v->cpu, CNTV_CVAL, &cval) && !a64_get_sysreg(v->cpu, CNTVCT, &cnt) &&
	    !a64_get_sysreg(v->cpu, CNTFRQ, &frq) && frq) {
		if ((int64_t)(cval - cnt) <= 0)
			return true;
		unsigned __int128 ns = (unsigned __int128)(cval - cnt) * 1000000000u / frq + 1;
		if (ns < (unsigned __int128)wait_ns)
			wait_ns = (int64_t)ns;
	}
	ts.tv_sec += wait_ns / 1000000000;
	ts.tv_nsec += wait_ns % 1000000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	unsigned c = (unsigned)v->gic_cpu;
	pthread_mutex_lock(&g_irq_lock);
	while (!sg->out_irq[c] && !sg->out_fiq[c] && !v->pending[0] && !v->pending[1] && !atomic_load(&v->cancel) &&
	       pthread_cond_timedwait(&v->wfi_cond, &g_irq_lock, &ts) == 0)
		;
	pthread_mutex_unlock(&g_irq_lock);
	return !atomic_exchange(&v->cancel, false);
}

/* Bind the vCPU to its redistributor (first run: the topology is final). */
static hv_return_t gic_bind(struct standin_gic *sg, struct standin_vcpu *v)
{
	if (v->gic_cpu >= 0)
		return HV_SUCCESS;
	int cpu = mpidr_cpu(v);
	if (cpu < 0)
		return HV_UNSUPPORTED; /* an affinity the stand-in's GIC does not have */
	hv_return_t r = HV_SUCCESS;
	pthread_mutex_lock(&g_irq_lock);
	if (sg->bound[cpu])
		r = HV_BAD_ARGUMENT; /* two vCPUs with one MPIDR */
	else
		sg->bound[cpu] = v;
	pthread_mutex_unlock(&g_irq_lock);
	if (r == HV_SUCCESS)
		v->gic_cpu = cpu;
	return r;
}

/* hv_vcpu_run with a GIC: run the soft CPU, handling the GIC's exits here,
 * until one the caller must see. Leaves the exit in v->scratch. */
hv_return_t gic_run(struct standin_vcpu *v)
{
	struct standin_gic *sg = g_gic;
	hv_return_t r = gic_bind(sg, v);
	if (r != HV_SUCCESS)
		return r;
	unsigned c = (unsigned)v->gic_cpu;
	for (;;) {
		pthread_mutex_lock(&g_irq_lock);
		bool irq = sg->out_irq[c] || v->pending[0], fiq = sg->out_fiq[c] || v->pending[1];
		pthread_mutex_unlock(&g_irq_lock);
		a64_set_irq_line(v->cpu, ACCEL_IRQ, irq);
		a64_set_irq_line(v->cpu, ACCEL_FIQ, fiq);
		a64_cpu_run(v->cpu, &v->scratch);
		const struct accel_exit *x = &v->scratch;
		vtimer_sync(sg, v, x->reason == ACCEL_EXIT_VTIMER_ACTIVATED);
		if (x->reason == ACCEL_EXIT_VTIMER_ACTIVATED) {
			if (sg->vtimer_exits)
				return HV_SUCCESS; /* PPI 27 raised above; the vtimer stays masked */
			continue;
		}
		if (x->reason == ACCEL_EXIT_CANCELED) {
			if (atomic_exchange(&v->cancel, false))
				return HV_SUCCESS;
			continue; /* the GIC's kick: pick up its output */
		}
		if (x->reason != ACCEL_EXIT_EXCEPTION)
			return HV_SUCCESS;
		switch (ESR_EC(x->esr)) {
		case EC_DABT_LOWER:
			if (gic_mmio(sg, v, x->esr, x->ipa))
				continue;
			return HV_SUCCESS;
		case EC_SYSREG:
			if (gic_sysreg(sg, v, x->esr))
				continue;
			return HV_SUCCESS;
		case EC_WFX:
			if ((x->esr & 1) == 0 && !gic_wfi(sg, v)) {
				v->scratch = (struct accel_exit){ .reason = ACCEL_EXIT_CANCELED };
				return HV_SUCCESS;
			}
			skip_insn(v); /* WFE: a yield */
			continue;
		default:
			return HV_SUCCESS;
		}
	}
}
