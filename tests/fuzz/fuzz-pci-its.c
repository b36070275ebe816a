/* libFuzzer target for what a hostile guest reaches of the PCI and MSI
 * path: ECAM configuration accesses (every function, offset and width),
 * the BARs they map (virtio-pci's registers, the MSI-X table), and the
 * GICv3 ITS: its registers and a command queue, device table and ITTs
 * whose contents come from the input. Beyond "no crash": absent functions
 * read all ones, and every LPI the GIC signals is one the ITS could have
 * mapped (8192 <= INTID < 65536). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hw/gic/gicv3-its.h"
#include "hw/pci/pci-host.h"
#include "hw/virtio/virtio-pci.h"

#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x40000ull

static uint8_t ram[RAM_SIZE];

static void fail(void)
{
	__builtin_trap();
}

static struct gicv3_its its;

static void msi(void *o, uint64_t addr, uint32_t data, uint32_t devid)
{
	if (addr == GITS_VIRT_BASE + GITS_TRANSLATER)
		gicv3_its_translate(&its, devid, data);
}

static void no_line(void *o, unsigned n, bool l)
{
}

static void cpu_irq(void *o, unsigned c, bool i, bool f)
{
}

static void vnotify(struct virtio_dev *d, unsigned q)
{
	struct vq_elem *e = malloc(sizeof(*e));
	while (e && vq_pop(&d->vq[q], e) == 1)
		vq_push(&d->vq[q], e->head, 0);
	free(e);
	virtio_queue_done(d, q);
}

static uint8_t vcfg[8];
static const struct virtio_dev_ops vops = {
	.name = "fuzz", .device_id = 4, .num_queues = 2, .queue_max = 16, .config_size = sizeof(vcfg), .notify = vnotify,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_mem gm;
	gmem_init(&gm);
	gmem_add(&gm, RAM_BASE, RAM_SIZE, ram, false);
	memset(ram, 0, sizeof(ram));
	size_t fill = size / 3;
	for (size_t i = 0; fill && i < RAM_SIZE; i++)
		ram[i] = data[i % fill];
	data += fill;
	size -= fill;
	struct mmio_bus bus;
	mmio_bus_init(&bus);
	struct gicv3 *gic;
	struct gicv3_config gc = { .num_cpus = 2, .cpu_irq = cpu_irq, .lpis = true, .gm = &gm };
	if (gicv3_create(&gc, &gic))
		fail();
	gicv3_its_init(&its, gic, &gm, 2);
	struct pci_host h;
	struct pci_host_config hc = {
		VIRT_PCIE_ECAM_BASE, VIRT_PCIE_ECAM_SIZE, VIRT_PCIE_MMIO_BASE, VIRT_PCIE_MMIO_SIZE, VIRT_PCIE_PIO_BASE,
		VIRT_PCIE_PIO_SIZE, VIRT_PCIE_MMIO64_BASE, VIRT_PCIE_MMIO64_SIZE,
		{ { no_line, NULL, 3 }, { no_line, NULL, 4 }, { no_line, NULL, 5 }, { no_line, NULL, 6 } }, msi, NULL,
	};
	pci_host_init(&h, &bus, &hc);
	struct virtio_dev vd;
	struct virtio_pci vp;
	virtio_dev_init(&vd, &vops, NULL, &gm, vcfg);
	virtio_pci_init(&vp, &vd, "fuzz", 0x00ff00);
	pci_host_plug(&h, &vp.pci, 1 << 3);
	/* Operations: 1 byte kind, 3 bytes offset, 1 byte width, 8 bytes value. */
	while (size >= 13) {
		uint8_t kind = data[0];
		uint32_t off = (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16;
		unsigned w = 1u << (data[4] & 3);
		uint64_t v;
		memcpy(&v, data + 5, 8);
		data += 13;
		size -= 13;
		switch (kind % 6) {
		case 0: { /* ECAM read: bus 0..1, any function */
			uint64_t o = off & 0x1fffff;
			uint64_t r = pci_host_ecam_read(&h, o, w > 4 ? 4 : w);
			unsigned devfn = (unsigned)(o >> 12) & 0xff;
			if (((o >> 20) || (devfn != 0 && devfn != 8)) && !(o & ((w > 4 ? 4 : w) - 1)) &&
			    r != (w >= 4 ? 0xffffffffu : (1u << (8 * w)) - 1))
				fail();
			break;
		}
		case 1: pci_host_ecam_write(&h, off & 0x1fffff, w > 4 ? 4 : w, v); break;
		case 2: { /* any bus access: BARs wherever the guest put them */
			uint64_t a = (kind & 0x80) ? VIRT_PCIE_MMIO64_BASE + (off & 0xffff) : VIRT_PCIE_MMIO_BASE + off;
			uint64_t r;
			if (kind & 0x40)
				mmio_bus_read(&bus, a, w, &r);
			else
				mmio_bus_write(&bus, a, w, v);
			break;
		}
		case 3: /* ITS registers: addresses pointed into RAM more often than not */
			if ((off & 0xfff8) == 0x80 || (off & 0xffc0) == 0x100)
				v = (v & ~0x000ffffffffff000ull) | ((RAM_BASE + (v & 0x3f000)) & 0x000ffffffffff000ull);
			gicv3_its_write(&its, off & 0x1ffff, w < 4 ? 4 : w, v);
			break;
		case 4: (void)gicv3_its_read(&its, off & 0x1ffff, w < 4 ? 4 : w); break;
		case 5: { /* redistributor LPI set-up and the CPU interface */
			unsigned cpu = kind >> 7;
			if (kind & 0x40) {
				uint64_t iar;
				gicv3_cpuif_read(gic, cpu, ICC_IAR1_EL1, &iar);
				if (iar >= 1024 && (iar < 8192 || iar >= 65536))
					fail();
				gicv3_cpuif_write(gic, cpu, ICC_EOIR1_EL1, iar);
			} else {
				uint64_t r = (off & 1) ? 0x78 : (off & 2) ? 0x70 : (off & 4) ? 0x14 : 0;
				if (r == 0x70 || r == 0x78)
					v = RAM_BASE + (v & 0x30000) + (v & 0x1f) + (v & (1ull << 62));
				gicv3_redist_write(gic, cpu * GICV3_REDIST_STRIDE + r, r >= 0x70 ? 8 : 4, v);
				gicv3_cpuif_write(gic, cpu, ICC_IGRPEN1_EL1, 1);
				gicv3_cpuif_write(gic, cpu, ICC_PMR_EL1, 0xff);
				gicv3_dist_write(gic, 0, 4, 2);
			}
			break;
		}
		}
	}
	virtio_pci_destroy(&vp);
	virtio_dev_destroy(&vd);
	pci_host_destroy(&h);
	gicv3_its_destroy(&its);
	gicv3_destroy(gic);
	mmio_bus_destroy(&bus);
	return 0;
}
