/* INTx through the GICv3 with the standard swizzle, run with `-device
 * pci-testdev -device virtio-rng-pci` (virtio-rng-pci in slot 2, pin A:
 * SPI 3 + (2 + 0) % 4 = 5, INTID 37): virtio-rng-pci with MSI-X off
 * completes a request, raises INTx; ICC_IAR1 gives 37; reading the ISR
 * lowers the line. The command register's INTx disable holds the
 * interrupt back (status.INTx shows it), clearing it delivers. */
#include "pci-virtio.h"

uintptr_t ecam_base;
static struct vq_mem vq __attribute__((aligned(4096)));
static struct vdev v;
static volatile unsigned irqs;
static volatile uint64_t last_intid;
static volatile uint8_t last_isr;

static void irq_hook(unsigned kind, struct rt_frame *f)
{
	(void)f;
	if ((kind & 3) != 1) { /* not an IRQ: a failure, stop here */
		rt_check(0, "unexpected exception");
		rt_exit();
	}
	uint64_t intid = RT_MRS(S3_0_C12_C12_0); /* ICC_IAR1_EL1 */
	if (intid >= 1020 && intid < 1024)
		return; /* spurious */
	irqs++;
	last_intid = intid;
	last_isr = REG8(v.isr); /* read-to-clear: lowers INTx */
	RT_MSR(S3_0_C12_C12_1, intid); /* ICC_EOIR1_EL1 */
}

/* Spin with IRQs unmasked until `want` interrupts or the used index moves
 * and a while passes (no timing thresholds: only a bound on the wait). */
static void wait_irqs(unsigned want)
{
	__asm__ volatile("msr daifclr, #2" ::: "memory");
	for (unsigned long i = 0; i < 20000000ul && irqs < want; i++)
		__asm__ volatile("" ::: "memory");
	__asm__ volatile("msr daifset, #2" ::: "memory");
}

static void settle(void)
{
	__asm__ volatile("msr daifclr, #2" ::: "memory");
	for (unsigned long i = 0; i < 200000ul; i++)
		__asm__ volatile("" ::: "memory");
	__asm__ volatile("msr daifset, #2" ::: "memory");
}

static void wait_used(uint16_t want)
{
	for (unsigned long i = 0; i < 20000000ul && vdev_used(&v) != want; i++)
		;
}

int main(void)
{
	ecam_probe();
	rt_exception_hook = irq_hook;
	gic_init();
	rt_check(vdev_find(&v, MMIO32_BASE), "virtio-rng-pci found, BARs assigned, virtio capabilities");
	if (!v.common)
		return 0;
	unsigned pin = cfg8(v.slot, 0x3d), spi = 3 + (v.slot + pin - 1) % 4;
	rt_puts("virtio-rng-pci in slot ");
	rt_put_dec(v.slot);
	rt_puts(", pin ");
	rt_putc((char)('A' + pin - 1));
	rt_puts(": SPI ");
	rt_put_dec(spi);
	rt_putc('\n');
	gic_enable_spi(32 + spi);
	for (unsigned s = 3; s < 7; s++)
		if (s != spi)
			gic_enable_spi(32 + s); /* a wrong swizzle would show as another INTID */

	rt_check(vdev_start(&v, &vq, 0xffff) == 15, "queue 0 up without MSI-X (status ACK|DRIVER|FEATURES_OK|DRIVER_OK)");
	vdev_request(&v);
	wait_used(1);
	wait_irqs(1);
	rt_check(vdev_used(&v) == 1 && vq.used.ring[0].len == 16, "the request completed with 16 bytes");
	rt_check(irqs == 1, "one interrupt");
	rt_puts("  INTID ");
	rt_put_dec(last_intid);
	rt_putc('\n');
	rt_check(last_intid == 32 + spi, "  ICC_IAR1_EL1 gives 32 + the swizzled SPI");
	rt_check(last_isr == 1, "  the ISR showed the used-buffer bit");
	settle();
	rt_check(irqs == 1 && REG8(v.isr) == 0, "the ISR read lowered the line: no second interrupt");
	rt_check(!(cfg16(v.slot, 6) & 8), "  status.INTx clear");

	/* INTx disable: the interrupt is held back but shows in the status. */
	cfg16w(v.slot, 4, 2 | 4 | 0x400);
	vdev_request(&v);
	wait_used(2);
	settle();
	rt_check(vdev_used(&v) == 2 && irqs == 1, "INTx disabled: request done, no interrupt");
	rt_check((cfg16(v.slot, 6) & 8) != 0, "  status.INTx set (the device asserts it)");
	cfg16w(v.slot, 4, 2 | 4);
	wait_irqs(2);
	rt_check(irqs == 2 && last_intid == 32 + spi, "INTx enabled again: the pending interrupt is delivered");
	rt_check(!(cfg16(v.slot, 6) & 8), "  status.INTx clear after the ISR read");
	return 0;
}
