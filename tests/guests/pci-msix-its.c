/* MSI-X through the GICv3 ITS, run with `-device pci-testdev -device
 * virtio-rng-pci` (QEMU: -M virt,gic-version=3, whose ITS is on by
 * default): LPIs set up on the redistributor (PROPBASER, PENDBASER,
 * EnableLPIs), the ITS's tables from what GITS_TYPER and GITS_BASERn
 * say (flat, one 4 KiB page each, as a generic driver would), the command
 * queue (MAPD, MAPC, MAPTI, SYNC, INT; CREADR polled), then virtio-rng-pci's
 * queue on MSI-X vector 1 aimed at GITS_TRANSLATER: a completed request
 * raises the LPI (ICC_IAR1 gives its INTID); a masked vector sets its PBA
 * bit and delivers on unmask. */
#include "pci-virtio.h"

#define GITS_BASE 0x08080000ul
#define GITS_TRANSLATER (GITS_BASE + 0x10040)
#define LPI_BASE 8192u
#define EV_QUEUE 3u   /* EventID of the queue's vector */
#define EV_INT 7u     /* EventID used only by the INT command */
#define LPI_QUEUE (LPI_BASE + 32)
#define LPI_INT (LPI_BASE + 33)

uintptr_t ecam_base;
static struct vq_mem vq __attribute__((aligned(4096)));
static struct vdev v;
static uint8_t prop[8192] __attribute__((aligned(4096)));  /* LPIs 8192..16383 */
static uint8_t pend[65536] __attribute__((aligned(65536)));
static uint8_t tables[8][4096] __attribute__((aligned(65536)));
static uint64_t cmdq[4096 / 8] __attribute__((aligned(65536)));
static uint8_t itt[4096] __attribute__((aligned(4096)));
static unsigned cmd_off;
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

/* Queue one ITS command and wait until the ITS has read it. */
static int its_cmd(uint64_t d0, uint64_t d1, uint64_t d2, uint64_t d3)
{
	volatile uint64_t *c = &cmdq[cmd_off / 8];
	c[0] = d0, c[1] = d1, c[2] = d2, c[3] = d3;
	__asm__ volatile("dsb sy" ::: "memory");
	cmd_off = (cmd_off + 32) % sizeof(cmdq);
	REG64(GITS_BASE + 0x88) = cmd_off; /* GITS_CWRITER */
	for (unsigned long i = 0; i < 10000000ul; i++) {
		uint64_t r = REG64(GITS_BASE + 0x90); /* GITS_CREADR */
		if (r & 1)
			return 0; /* stalled: a command error */
		if ((r & 0xfffe0) == cmd_off)
			return 1;
	}
	return 0;
}

int main(void)
{
	ecam_probe();
	rt_exception_hook = irq_hook;
	gic_init();

	/* The redistributor's LPIs. */
	rt_check((REG32(GICD_BASE + 0x4) >> 17) & 1, "GICD_TYPER.LPIS");
	rt_check(REG64(GICR_BASE + 0x8) & 1, "GICR_TYPER.PLPIS");
	if (!(REG64(GICR_BASE + 0x8) & 1))
		return 0;
	for (unsigned i = 0; i < sizeof(prop); i++)
		prop[i] = 0xa0 | 1; /* priority 0xa0, enabled */
	REG64(GICR_BASE + 0x70) = (uint64_t)(uintptr_t)prop | 13; /* PROPBASER: 14 ID bits */
	REG64(GICR_BASE + 0x78) = (uint64_t)(uintptr_t)pend | 1ull << 62; /* PENDBASER, PTZ */
	REG32(GICR_BASE + 0x0) |= 1; /* GICR_CTLR.EnableLPIs */
	rt_check(REG32(GICR_BASE + 0x0) & 1, "GICR_CTLR.EnableLPIs set");

	/* The ITS: its tables as GITS_TYPER and the BASERs describe them. */
	uint64_t typer = REG64(GITS_BASE + 0x8);
	unsigned pta = (unsigned)(typer >> 19) & 1;
	rt_check(typer & 1, "GITS_TYPER.Physical");
	unsigned have_dev = 0, have_coll = 0;
	for (unsigned n = 0; n < 8; n++) {
		uintptr_t reg = GITS_BASE + 0x100 + 8 * n;
		uint64_t b = REG64(reg);
		unsigned type = (unsigned)(b >> 56) & 7;
		if (type != 1 && type != 4)
			continue;
		REG64(reg) = 1ull << 63 | (b & (0x1full << 48 | 7ull << 56)) | (uint64_t)(uintptr_t)tables[n];
		have_dev += type == 1 && (REG64(reg) >> 63);
		have_coll += type == 4 && (REG64(reg) >> 63);
	}
	rt_check(have_dev == 1, "a device table in a GITS_BASER, valid once written");
	rt_check(have_coll == 1 || ((typer >> 24) & 0xff) > 0, "  a collection table, or collections held in the ITS (HCC)");
	REG64(GITS_BASE + 0x80) = 1ull << 63 | (uint64_t)(uintptr_t)cmdq; /* CBASER: 1 page */
	REG64(GITS_BASE + 0x88) = 0;
	REG32(GITS_BASE + 0x0) |= 1; /* GITS_CTLR.Enabled */
	rt_check(REG32(GITS_BASE + 0x0) & 1, "GITS_CTLR.Enabled");

	rt_check(vdev_find(&v, MMIO32_BASE), "virtio-rng-pci found, BARs assigned");
	if (!v.common)
		return 0;
	uint64_t devid = v.slot << 3; /* the requester ID: bus 0 */
	uint64_t rd = pta ? (GICR_BASE >> 16) << 16 : 0; /* the target: CPU 0 */
	rt_check(its_cmd(0x08 | devid << 32, 4 /* 5 EventID bits */, 1ull << 63 | (uintptr_t)itt, 0), "MAPD");
	rt_check(its_cmd(0x09, 0, 1ull << 63 | rd | 0 /* ICID 0 */, 0), "MAPC");
	rt_check(its_cmd(0x0a | devid << 32, EV_QUEUE | (uint64_t)LPI_QUEUE << 32, 0, 0), "MAPTI queue event");
	rt_check(its_cmd(0x0a | devid << 32, EV_INT | (uint64_t)LPI_INT << 32, 0, 0), "MAPTI INT event");
	rt_check(its_cmd(0x05, 0, rd, 0), "SYNC");

	/* INT: the LPI without the device. */
	rt_check(its_cmd(0x03 | devid << 32, EV_INT, 0, 0) && its_cmd(0x05, 0, rd, 0), "INT, SYNC");
	spin(20000000ul, 1);
	rt_check(irqs == 1 && last_intid == LPI_INT, "  the LPI of the INT event arrives (ICC_IAR1_EL1)");

	/* MSI-X: enable (function mask off), vector 1 to the ITS doorbell. */
	unsigned cap = 0;
	for (unsigned p = cfg8(v.slot, 0x34) & 0xfc, n = 0; p && n < 48; p = cfg8(v.slot, p + 1) & 0xfc, n++)
		if (cfg8(v.slot, p) == 0x11)
			cap = p;
	rt_check(cap != 0, "MSI-X capability");
	uint32_t tbl = cfg32(v.slot, cap + 4), pba = cfg32(v.slot, cap + 8);
	uintptr_t table = (uintptr_t)v.bar[tbl & 7].addr + (tbl & ~7u);
	uintptr_t pbap = (uintptr_t)v.bar[pba & 7].addr + (pba & ~7u);
	cfg16w(v.slot, cap + 2, 0x8000);
	rt_check((cfg16(v.slot, cap + 2) & 0xc000) == 0x8000, "MSI-X enabled, function not masked");
	for (unsigned e = 0; e < 2; e++) {
		REG32(table + 16 * e + 0) = (uint32_t)GITS_TRANSLATER;
		REG32(table + 16 * e + 4) = 0;
		REG32(table + 16 * e + 8) = e ? EV_QUEUE : 31;
		REG32(table + 16 * e + 12) = 0;
	}
	rt_check(REG32(table + 16 + 8) == EV_QUEUE && REG32(table + 16 + 12) == 0, "  table entry 1 reads back");
	rt_check(vdev_start(&v, &vq, 1) == 15, "queue 0 up with MSI-X vector 1");
	rt_check(vdev_qvec(&v) == 1, "  the device took vector 1");

	irqs = 0;
	vdev_request(&v);
	wait_used(1);
	spin(20000000ul, 1);
	REG8(v.isr); /* (both QEMU and avmm set the ISR bit with MSI-X too; not checked) */
	rt_check(vdev_used(&v) == 1, "the request completed");
	rt_check(irqs == 1 && last_intid == LPI_QUEUE, "  its MSI-X message raised the mapped LPI through the ITS");

	/* Masked vector: the message is held as a pending bit. */
	REG32(table + 16 + 12) = 1;
	vdev_request(&v);
	wait_used(2);
	spin(200000ul, 2);
	rt_check(vdev_used(&v) == 2 && irqs == 1, "vector masked: request done, no LPI");
	rt_check((REG32(pbap) & 2) != 0, "  PBA bit 1 set");
	REG32(table + 16 + 12) = 0;
	spin(20000000ul, 2);
	rt_check(irqs == 2 && last_intid == LPI_QUEUE, "unmasked: the pending message is delivered");
	rt_check((REG32(pbap) & 2) == 0, "  PBA bit 1 clear");

	/* The function mask holds every vector back likewise. */
	cfg16w(v.slot, cap + 2, 0xc000);
	vdev_request(&v);
	wait_used(3);
	spin(200000ul, 3);
	rt_check(vdev_used(&v) == 3 && irqs == 2 && (REG32(pbap) & 2), "function masked: no LPI, PBA bit set");
	cfg16w(v.slot, cap + 2, 0x8000);
	spin(20000000ul, 3);
	rt_check(irqs == 3 && last_intid == LPI_QUEUE, "function unmasked: delivered");
	return 0;
}
