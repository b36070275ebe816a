#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/gic/gicv2m.h"
#include "hw/gic/gicv3-its.h"
#include "hw/pci/pci-host.h"
#include "hw/pci/pci-testdev.h"
#include "hw/virtio/virtio-blk.h"
#include "hw/virtio/virtio-mmio.h"
#include "hw/virtio/virtio-net.h"
#include "hw/virtio/virtio-pci.h"
#include "hw/virtio/virtio-rng.h"
#include "machine/fdt.h"
#include "machine/virt-io.h"

/* One -device (or if=virtio drive) as built. */
struct vio_dev {
	enum vm_device_kind kind;
	struct vblk *blk;
	struct vrng *rng;
	struct vnet *net;
	struct netdev *nd;       /* the NIC's back end (its thread) */
	struct virtio_pci *vpci;
	struct pci_testdev *testdev;
	int mmio_slot;           /* virtio-mmio transport index, -1 */
};

struct virt_io {
	struct pci_host pci;
	struct gicv3_its its;
	bool has_its;
	struct virtio_mmio mmio[VIRT_MMIO_COUNT];
	unsigned mmio_used;      /* transports taken, from the highest down */
	struct vio_dev dev[VM_MAX_DEVICES];
	unsigned ndev;
};

/* ---- interrupts ---- */

static void spi_line(void *opaque, unsigned n, bool level)
{
	struct vm *vm = opaque;
	if (vm->kgic)
		vm->ops->gic_set_spi(vm->avm, 32 + n, level);
	else if (vm->gic)
		gicv3_set_spi(vm->gic, 32 + n, level);
}

/* A PCI function's MSI write: the ITS doorbell, or (in-kernel GIC) the
 * accelerator's MSI frame. Anything else is a write to nowhere. */
static void msi_route(void *opaque, uint64_t addr, uint32_t data, uint32_t devid)
{
	struct vm *vm = opaque;
	struct virt_io *io = vm->io;
	if (io->has_its && addr == GITS_VIRT_BASE + GITS_TRANSLATER)
		gicv3_its_translate(&io->its, devid, data);
	else if (vm->kgic_its && addr == GITS_VIRT_BASE + GITS_TRANSLATER)
		vm->ops->gic_send_msi(vm->avm, addr, data, devid); /* KVM's ITS, with the DeviceID */
	else if (vm->kgic_msi && addr == GICV2M_VIRT_BASE + GICV2M_MSI_SETSPI_NS)
		vm->ops->gic_send_msi(vm->avm, addr, data, devid); /* the framework's MSI frame; data = INTID */
}

/* ---- the device interface for what this file owns ---- */

static void pci_host_reset_op(void *o)
{
	pci_host_reset(o);
}

static const struct device_ops pci_host_device_ops = { .type = "pcie-host", .reset = pci_host_reset_op };

static void its_reset_op(void *o)
{
	gicv3_its_reset(o);
}

static const struct device_ops its_device_ops = { .type = "gicv3-its", .reset = its_reset_op };

/* A virtio device on virtio-mmio: reset through its transport's state. */
static void virtio_reset_op(void *o)
{
	struct virtio_dev *d = o;
	pthread_mutex_lock(&d->lock);
	virtio_dev_reset(d);
	pthread_mutex_unlock(&d->lock);
}

static const struct device_ops virtio_mmio_dev_ops = { .type = "virtio-mmio", .reset = virtio_reset_op };

/* ---- building ---- */

static int open_drive(const struct vm_drive *d, struct blk **b)
{
	char err[512];
	if (blk_open(d->file, &d->blk, b, err, sizeof(err))) {
		fprintf(stderr, "avmm: -drive %s: %s\n", d->id, err);
		return -1;
	}
	return 0;
}

static struct virtio_dev *make_virtio(struct vm *vm, const struct vm_devopts *o, const struct vm_device *dv,
				      struct vio_dev *x)
{
	bool blk = dv->kind == VMDEV_VIRTIO_BLK_PCI || dv->kind == VMDEV_VIRTIO_BLK_MMIO;
	if (blk) {
		const struct vm_drive *d = &o->drives[dv->drive];
		struct blk *b;
		if (open_drive(d, &b))
			return NULL;
		struct vblk_config c = { dv->num_queues, dv->serial[0] ? dv->serial : d->serial };
		if (vblk_create(b, &vm->gmem, &c, &x->blk)) {
			blk_close(b);
			fprintf(stderr, "avmm: cannot create the virtio-blk device for %s\n", d->id);
			return NULL;
		}
		return vblk_virtio(x->blk);
	}
	if (dv->kind == VMDEV_VIRTIO_NET_PCI || dv->kind == VMDEV_VIRTIO_NET_MMIO) {
		x->nd = netdev_open(&o->netdevs[dv->netdev]);
		if (!x->nd)
			return NULL;
		if (vnet_create(&vm->gmem, x->nd, dv->mac, &x->net)) {
			fprintf(stderr, "avmm: cannot create the virtio-net device for %s\n", o->netdevs[dv->netdev].id);
			return NULL;
		}
		return vnet_virtio(x->net);
	}
	if (vrng_create(&vm->gmem, &x->rng)) {
		fprintf(stderr, "avmm: cannot create virtio-rng\n");
		return NULL;
	}
	return vrng_virtio(x->rng);
}

static int plug_pci(struct vm *vm, struct pci_dev *pd, const struct vm_device *dv)
{
	struct virt_io *io = vm->io;
	int slot = dv->slot >= 0 ? dv->slot : pci_host_free_slot(&io->pci);
	if (slot < 0) {
		fprintf(stderr, "avmm: no free PCI slot for %s (at most 31 devices)\n", pd->name);
		return -1;
	}
	if (pci_host_plug(&io->pci, pd, (unsigned)slot << 3 | (unsigned)(dv->slot >= 0 ? dv->fn : 0))) {
		fprintf(stderr, "avmm: PCI address %x.%x is taken (%s)\n", slot, dv->fn, pd->name);
		return -1;
	}
	return 0;
}

static int add_device(struct vm *vm, const struct vm_devopts *o, const struct vm_device *dv)
{
	struct virt_io *io = vm->io;
	struct vio_dev *x = &io->dev[io->ndev++];
	x->kind = dv->kind;
	x->mmio_slot = -1;
	if (dv->kind == VMDEV_PCI_TESTDEV) {
		x->testdev = calloc(1, sizeof(*x->testdev));
		if (!x->testdev)
			return -1;
		pci_testdev_init(x->testdev);
		return plug_pci(vm, &x->testdev->pci, dv);
	}
	struct virtio_dev *vd = make_virtio(vm, o, dv, x);
	if (!vd)
		return -1;
	bool pci = dv->kind == VMDEV_VIRTIO_BLK_PCI || dv->kind == VMDEV_VIRTIO_RNG_PCI || dv->kind == VMDEV_VIRTIO_NET_PCI;
	if (pci) {
		x->vpci = calloc(1, sizeof(*x->vpci));
		const char *name = dv->kind == VMDEV_VIRTIO_BLK_PCI ? "virtio-blk-pci"
				   : dv->kind == VMDEV_VIRTIO_NET_PCI ? "virtio-net-pci" : "virtio-rng-pci";
		uint32_t cls = dv->kind == VMDEV_VIRTIO_BLK_PCI ? 0x018000
			       : dv->kind == VMDEV_VIRTIO_NET_PCI ? 0x020000 : 0x00ff00;
		if (!x->vpci || virtio_pci_init(x->vpci, vd, name, cls)) {
			fprintf(stderr, "avmm: cannot create %s\n", name);
			return -1;
		}
		return plug_pci(vm, &x->vpci->pci, dv);
	}
	/* virtio-mmio: the first -device gets the highest transport, as on QEMU. */
	if (io->mmio_used == VIRT_MMIO_COUNT) {
		fprintf(stderr, "avmm: at most %d virtio-mmio devices\n", VIRT_MMIO_COUNT);
		return -1;
	}
	unsigned slot = VIRT_MMIO_COUNT - 1 - io->mmio_used++;
	x->mmio_slot = (int)slot;
	struct virtio_mmio *t = &io->mmio[slot];
	virtio_mmio_destroy(t);
	virtio_mmio_init(t, vd, (struct irq_line){ spi_line, vm, VIRT_MMIO_SPI + slot }, t->base);
	char nm[32];
	snprintf(nm, sizeof(nm), "virtio-mmio@%" PRIx64, t->base);
	return device_list_add(&vm->devices, &virtio_mmio_dev_ops, vd, nm);
}

bool virt_io_master_abort(struct vm *vm, uint64_t ipa)
{
	return vm->io && pci_host_in_window(&vm->io->pci, ipa);
}

/* QEMU's default network: -nic user (virtio-net-pci on a user-mode
 * netdev "net0" with QEMU's addresses), MAC 52:54:00:12:34:56. A build
 * without libslirp (the static cross build) has none, as QEMU's. */
static int add_default_nic(struct vm *vm)
{
	static struct vm_devopts d; /* one machine per process; too big for the stack */
	memset(&d, 0, sizeof(d));
	netdev_opts_user_defaults(&d.netdevs[0]);
	snprintf(d.netdevs[0].id, sizeof(d.netdevs[0].id), "net0");
	d.nnetdevs = 1;
	struct vm_device dv = { .kind = VMDEV_VIRTIO_NET_PCI, .drive = -1, .slot = -1, .netdev = 0 };
	devopts_default_mac(0, dv.mac);
	if (vm->io->ndev == VM_MAX_DEVICES) {
		fprintf(stderr, "avmm: no room for the default NIC (give -nic none)\n");
		return -1;
	}
	return add_device(vm, &d, &dv);
}

bool virt_io_wants_lpis(const struct vm *vm)
{
	return !vm->kgic;
}

int virt_io_create(struct vm *vm, const struct vm_devopts *o)
{
	struct virt_io *io = calloc(1, sizeof(*io));
	if (!io)
		return -1;
	vm->io = io;
	/* The ITS, with avmm's own GIC (LPIs were configured for it). */
	if (vm->gic) {
		if (gicv3_its_init(&io->its, vm->gic, &vm->gmem, vm->ncpus) ||
		    mmio_bus_register(&vm->bus, GITS_VIRT_BASE, GITS_SIZE, &gicv3_its_ops, &io->its, "gicv3-its") ||
		    device_list_add(&vm->devices, &its_device_ops, &io->its, "gicv3-its")) {
			fprintf(stderr, "avmm: cannot create the GICv3 ITS\n");
			return -1;
		}
		io->has_its = true;
	}
	struct pci_host_config pc = {
		VIRT_PCIE_ECAM_BASE, VIRT_PCIE_ECAM_SIZE, VIRT_PCIE_MMIO_BASE, VIRT_PCIE_MMIO_SIZE, VIRT_PCIE_PIO_BASE,
		VIRT_PCIE_PIO_SIZE, VIRT_PCIE_MMIO64_BASE, VIRT_PCIE_MMIO64_SIZE,
		{ { spi_line, vm, VIRT_PCIE_INTX_SPI }, { spi_line, vm, VIRT_PCIE_INTX_SPI + 1 },
		  { spi_line, vm, VIRT_PCIE_INTX_SPI + 2 }, { spi_line, vm, VIRT_PCIE_INTX_SPI + 3 } },
		msi_route, vm,
	};
	if (pci_host_init(&io->pci, &vm->bus, &pc) ||
	    device_list_add(&vm->devices, &pci_host_device_ops, &io->pci, "pcie-host")) {
		fprintf(stderr, "avmm: cannot create the PCIe host\n");
		return -1;
	}
	/* Every transport exists (DeviceID 0 until a device is behind it). */
	for (unsigned i = 0; i < VIRT_MMIO_COUNT; i++) {
		uint64_t base = VIRT_MMIO_BASE + 0x200ull * i;
		virtio_mmio_init(&io->mmio[i], NULL, (struct irq_line){ spi_line, vm, VIRT_MMIO_SPI + i }, base);
		if (mmio_bus_register(&vm->bus, base, VIRTIO_MMIO_SIZE, &virtio_mmio_ops, &io->mmio[i], "virtio-mmio"))
			return -1;
	}
	for (unsigned i = 0; o && i < o->ndevices; i++)
		if (add_device(vm, o, &o->devices[i]))
			return -1;
	if (o && o->default_nic && net_user_available() && add_default_nic(vm))
		return -1;
	return 0;
}

void virt_io_fdt(struct vm *vm, struct fdt_builder *b, uint32_t gic_phandle, const char *gic_path)
{
	struct virt_io *io = vm->io;
	if (!io)
		return;
	uint32_t msi = 0;
	bool mbi = false;
	if (io->has_its || vm->kgic_its) {
		msi = gicv3_its_fdt_node(b, gic_path, GITS_VIRT_BASE);
	} else if (vm->kgic_msi) {
		/* The in-kernel GIC's MSI frame as a GICv2m frame under the GICv3
		 * node: Linux's GICv3 driver uses one when there are no LPIs. */
		const char *n = fdtb_node(b, gic_path, "v2m@%llx", (unsigned long long)GICV2M_VIRT_BASE);
		fdtb_prop_str(b, n, "compatible", "arm,gic-v2m-frame");
		fdtb_prop_empty(b, n, "msi-controller");
		fdtb_prop_reg(b, n, GICV2M_VIRT_BASE, GICV2M_FRAME_SIZE);
		fdtb_prop_u32(b, n, "arm,msi-base-spi", GICV2M_VIRT_SPI_BASE);
		fdtb_prop_u32(b, n, "arm,msi-num-spis", GICV2M_VIRT_SPI_COUNT);
		msi = fdtb_phandle(b, n);
		mbi = true; /* msi-parent: the frame has no #msi-cells */
	}
	/* Highest address first, as QEMU's tree lists them lowest first. */
	for (unsigned i = VIRT_MMIO_COUNT; i-- > 0;)
		virtio_mmio_fdt_node(b, io->mmio[i].base, VIRT_MMIO_SPI + i);
	pci_host_fdt_node(&io->pci, b, gic_phandle, msi, mbi);
}

void virt_io_print_stats(struct vm *vm)
{
	struct virt_io *io = vm->io;
	if (!io)
		return;
	if (io->has_its)
		fprintf(stderr, "avmm: ITS: %" PRIu64 " commands (%" PRIu64 " in error), %" PRIu64 " MSIs translated, %" PRIu64
				" dropped\n",
			io->its.n_cmds, io->its.n_errors, io->its.n_translated, io->its.n_dropped);
}

void virt_io_destroy(struct vm *vm)
{
	struct virt_io *io = vm->io;
	if (!io)
		return;
	/* The vCPUs are gone and the device list has quiesced everything. */
	for (unsigned i = 0; i < io->ndev; i++) {
		struct vio_dev *x = &io->dev[i];
		if (x->vpci) {
			virtio_pci_destroy(x->vpci);
			free(x->vpci);
		}
		vblk_destroy(x->blk);
		vrng_destroy(x->rng);
		vnet_destroy(x->net);
		netdev_close(x->nd);
		if (x->testdev) {
			pci_testdev_destroy(x->testdev);
			free(x->testdev);
		}
	}
	for (unsigned i = 0; i < VIRT_MMIO_COUNT; i++)
		virtio_mmio_destroy(&io->mmio[i]);
	pci_host_destroy(&io->pci);
	if (io->has_its)
		gicv3_its_destroy(&io->its);
	free(io);
	vm->io = NULL;
}
