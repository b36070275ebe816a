/* MSI-X through the GICv2m-style MSI frame of -accel hvf,gic=kernel
 * (Hypervisor.framework's, at 0x0802_0000; avmm only: QEMU's virt with a
 * GICv3 has none), run with `-device virtio-rng-pci`: MSI_TYPER gives the
 * SPI range; a CPU write of an INTID to MSI_SETSPI_NS raises that SPI;
 * virtio-rng-pci's queue vector aimed at the frame raises its SPI, masking
 * holds it in the PBA until unmasked. */
#include "pci-virtio.h"

#define V2M_BASE 0x08020000ul

uintptr_t ecam_base;
static struct vq_mem vq __attribute__((aligned(4096)));
static struct vdev v;
static volatile unsigned irqs;
static volatile uint64_t last_intid;
static void irq_hook(unsigned kind, struct rt_frame *f)
{
	(void)f;
	if ((kind & 3) != 1) { /* not an IRQ: a failure, stop here */
		rt_check(0, "unexpected exception");
		rt_exit();
	}
	uint64_t intid = RT_MRS(S3_0_C12_C12_0); /* ICC_IAR1_EL1 */
	if (intid >= 1020 && intid < 1024)
		return;
	irqs++;
	last_intid = intid;
	RT_MSR(S3_0_C12_C12_1, intid); /* ICC_EOIR1_EL1 */
}

static void spin(unsigned long n, unsigned want)
{
	__asm__ volatile("msr daifclr, #2" ::: "memory");
	for (unsigned long i = 0; i < n && irqs < want; i++)
		__asm__ volatile("" ::: "memory");
	__asm__ volatile("msr daifset, #2" ::: "memory");
}

static void wait_used(uint16_t want)
{
	for (unsigned long i = 0; i < 20000000ul && vdev_used(&v) != want; i++)
		;
}

/* MSIs are edges. */
static void gic_edge(unsigned intid)
{
	REG32(GICD_BASE + 0xc00 + 4 * (intid / 16)) |= 2u << (2 * (intid % 16)); /* ICFGR */
}

int main(void)
{
	ecam_probe();
	rt_exception_hook = irq_hook;
	gic_init();
	uint32_t typer = REG32(V2M_BASE + 0x8);
	unsigned base = (typer >> 16) & 0x3ff, count = typer & 0x3ff;
	rt_check(count >= 2 && base >= 32 && base + count <= 1020, "MSI_TYPER: a range of SPIs");
	if (count < 2)
		return 0;
	for (unsigned i = 0; i < 2; i++)
		gic_enable_spi(base + i);
	gic_edge(base);
	gic_edge(base + 1);

	REG32(V2M_BASE + 0x40) = base + 1; /* a CPU write to MSI_SETSPI_NS */
	spin(20000000ul, 1);
	rt_check(irqs == 1 && last_intid == base + 1, "MSI_SETSPI_NS write: that SPI arrives");

	rt_check(vdev_find(&v, MMIO32_BASE), "virtio-rng-pci found, BARs assigned");
	if (!v.common)
		return 0;
	unsigned cap = 0;
	for (unsigned p = cfg8(v.slot, 0x34) & 0xfc, n = 0; p && n < 48; p = cfg8(v.slot, p + 1) & 0xfc, n++)
		if (cfg8(v.slot, p) == 0x11)
			cap = p;
	rt_check(cap != 0, "MSI-X capability");
	uint32_t tbl = cfg32(v.slot, cap + 4), pba = cfg32(v.slot, cap + 8);
	uintptr_t table = (uintptr_t)v.bar[tbl & 7].addr + (tbl & ~7u);
	uintptr_t pbap = (uintptr_t)v.bar[pba & 7].addr + (pba & ~7u);
	cfg16w(v.slot, cap + 2, 0x8000);
	for (unsigned e = 0; e < 2; e++) {
		REG32(table + 16 * e + 0) = (uint32_t)(V2M_BASE + 0x40);
		REG32(table + 16 * e + 4) = 0;
		REG32(table + 16 * e + 8) = base + e;
		REG32(table + 16 * e + 12) = 0;
	}
	rt_check(vdev_start(&v, &vq, 1) == 15 && vdev_qvec(&v) == 1, "queue 0 up with MSI-X vector 1");
	irqs = 0;
	vdev_request(&v);
	wait_used(1);
	spin(20000000ul, 1);
	rt_check(vdev_used(&v) == 1, "the request completed");
	rt_check(irqs == 1 && last_intid == base + 1, "  its MSI-X message raised the frame's SPI");

	REG32(table + 16 + 12) = 1;
	vdev_request(&v);
	wait_used(2);
	spin(200000ul, 2);
	rt_check(vdev_used(&v) == 2 && irqs == 1 && (REG32(pbap) & 2), "vector masked: no SPI, PBA bit 1 set");
	REG32(table + 16 + 12) = 0;
	spin(20000000ul, 2);
	rt_check(irqs == 2 && last_intid == base + 1 && !(REG32(pbap) & 2), "unmasked: delivered, PBA bit clear");
	return 0;
}
