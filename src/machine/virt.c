#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libfdt.h>

#include "host/host.h"
#include "hw/gic/gicv2m.h"
#include "hw/gic/gicv3-its.h"
#include "hw/gic/gicv3.h"
#include "hw/pl011.h"
#include "hw/pl031.h"
#include "hw/pl061.h"
#include "vmm/evloop.h"
#include "hw/testdev.h"
#include "machine/fdt.h"
#include "machine/loader.h"
#include "machine/virt.h"
#include "machine/virt-io.h"
#include "vmm/console.h"

/* ---- guest memory as the MMIO exit path sees it ---- */

/* The CPU's own access (ISV=0 emulation, hvc patching): RAM and flash,
 * writable (gmem marks flash read-only for devices only). */
static void *mem_ram(void *opaque, uint64_t ipa, uint64_t len)
{
	struct vm *vm = opaque;
	return gmem_ptr(&vm->gmem, ipa, len, false);
}

static void log_unassigned(struct vm *vm, const char *what, uint64_t ipa, unsigned size)
{
	if (atomic_fetch_add_explicit(&vm->unassigned_logged, 1, memory_order_relaxed) < 10)
		fprintf(stderr, "avmm: guest %s of %u bytes at 0x%" PRIx64 ": no device there (external abort)\n", what,
			size, ipa);
}

static bool mem_read(void *opaque, uint64_t ipa, unsigned size, uint64_t *val)
{
	struct vm *vm = opaque;
	if (mmio_bus_read(&vm->bus, ipa, size, val))
		return true;
	if (virt_io_master_abort(vm, ipa)) {
		*val = size < 8 ? (1ull << (8 * size)) - 1 : ~0ull;
		return true;
	}
	log_unassigned(vm, "read", ipa, size);
	return false;
}

static bool mem_write(void *opaque, uint64_t ipa, unsigned size, uint64_t val)
{
	struct vm *vm = opaque;
	if (mmio_bus_write(&vm->bus, ipa, size, val) || virt_io_master_abort(vm, ipa))
		return true;
	log_unassigned(vm, "write", ipa, size);
	return false;
}

static bool mem_present(void *opaque, uint64_t ipa, uint64_t len)
{
	struct vm *vm = opaque;
	(void)len;
	return mmio_bus_present(&vm->bus, ipa);
}

/* ---- devices ---- */

/* Under the PL011's lock (and the bus lock): console_output only copies. */
static void uart_tx(void *opaque, const uint8_t *buf, size_t n)
{
	(void)opaque;
	console_output(buf, n);
}

/* Every device's interrupt line ends here: SPI n, in whichever GIC the
 * machine has (the user-space model, or the accelerator's in-kernel one). */
static void spi_set(void *opaque, unsigned n, bool level)
{
	struct vm *vm = opaque;
	if (vm->kgic)
		vm->ops->gic_set_spi(vm->avm, 32 + n, level);
	else if (vm->gic)
		gicv3_set_spi(vm->gic, 32 + n, level);
}

/* The GICv3, after the accelerator's VM and before any vCPU: in the
 * accelerator when asked for (gic=kernel) or available (gic=auto), else the
 * user-space model on the MMIO bus, its CPU interface reached through the
 * ICC_* traps (src/vmm/vcpu.c). Same addresses and device tree either way. */
static int virt_gic(struct vm *vm, const struct vm_opts *o)
{
	if (o->gic != VM_GIC_USER) {
		int r = -ENOTSUP;
		struct accel_gic_config gc = { 0 };
		if (vm->ops->gic_create) {
			gc = (struct accel_gic_config){
				.num_cpus = vm->ncpus,
				.dist_base = GICV3_VIRT_DIST_BASE,
				.redist_base = GICV3_VIRT_REDIST_BASE,
				.redist_size = GICV3_VIRT_REDIST_REGION_SIZE,
			};
			/* Hypervisor.framework's GIC has an MSI frame: PCI MSIs go
			 * there (described to Linux as GICv3 MBIs, virt-io.c). */
			if (!strcmp(vm->ops->name, "hvf")) {
				gc.msi_base = GICV2M_VIRT_BASE;
				gc.msi_spi_base = GICV2M_VIRT_SPI_BASE;
				gc.msi_spi_count = GICV2M_VIRT_SPI_COUNT;
			} else if (!strcmp(vm->ops->name, "kvm")) {
				gc.its_base = GITS_VIRT_BASE; /* KVM's in-kernel ITS */
			}
			r = vm->ops->gic_create(vm->avm, &gc);
		}
		if (!r) {
			vm->kgic = true;
			vm->kgic_msi = gc.msi_base != 0;
			vm->kgic_its = gc.its_base != 0;
			vm->kgic_redist_size = gc.redist_used;
			return 0;
		}
		if (r != -ENOTSUP || o->gic == VM_GIC_KERNEL) {
			fprintf(stderr, "avmm: gic=kernel: %s\n",
				!vm->ops->gic_create ? "this accelerator has no in-kernel GIC (use gic=user)"
				: r == -ENOTSUP ? "not available on this host (use gic=user or gic=auto)"
						: "the accelerator could not create its GIC");
			return -1;
		}
	}
	struct gicv3_config gc = {
		.num_cpus = vm->ncpus, .cpu_irq = vm_cpu_irq, .opaque = vm, .lpis = virt_io_wants_lpis(vm), .gm = &vm->gmem,
	};
	if (gicv3_create(&gc, &vm->gic)) {
		vm->gic = NULL;
		fprintf(stderr, "avmm: cannot create the GICv3\n");
		return -1;
	}
	if (device_list_add(&vm->devices, &gicv3_device_ops, vm->gic, "gicv3")) {
		gicv3_destroy(vm->gic);
		vm->gic = NULL;
		return -1;
	}
	if (gicv3_map(vm->gic, &vm->bus, GICV3_VIRT_DIST_BASE, GICV3_VIRT_REDIST_BASE)) {
		fprintf(stderr, "avmm: cannot map the GICv3\n");
		return -1;
	}
	return 0;
}

static const struct mmio_ops uart_ops = { pl011_read, pl011_write, MMIO_W8 | MMIO_W16 | MMIO_W32 };
static const struct mmio_ops gpio_ops = { pl061_read, pl061_write, MMIO_W8 | MMIO_W16 | MMIO_W32 };
static const struct mmio_ops rtc_ops = { pl031_read, pl031_write, MMIO_W8 | MMIO_W16 | MMIO_W32 };
static const struct mmio_ops testdev_ops = { testdev_read, testdev_write, MMIO_W8 | MMIO_W16 | MMIO_W32 | MMIO_W64 };

/* Guest RAM: anonymous memory aligned to 16 KiB, the page size
 * Hypervisor.framework maps. */
static uint8_t *ram_alloc(uint64_t size)
{
	const uint64_t align = 0x4000;
	uint8_t *p = mmap(NULL, size + align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	uint64_t head = (align - ((uintptr_t)p & (align - 1))) & (align - 1);
	if (head)
		munmap(p, head);
	munmap(p + head + size, align - head);
	return p + head;
}

/* The device tree: generated for the machine, or the -dtb file fitted to it
 * (memory, PSCI and, with -kernel, /chosen, as QEMU patches a user tree).
 * Either way /chosen gets fresh seeds (fdt_virt_seeds). */
static int build_fdt(struct vm *vm, const struct vm_opts *o, const struct boot_layout *bl, void **blob,
		     size_t *size)
{
	struct fdt_builder b;
	char err[256];
	if (o->dtb) {
		void *user;
		size_t usize;
		if (loader_read_dtb(o->dtb, &user, &usize, err, sizeof(err))) {
			fprintf(stderr, "avmm: %s\n", err);
			return -1;
		}
		int r = fdtb_open(&b, user, usize, LOADER_DTB_MAX);
		free(user);
		fdt_virt_fit_user(&b, vm->ram_base, vm->ram_size, o->kernel != NULL, o->append, bl->initrd_start,
				  bl->initrd_size);
		fdt_virt_seeds(&b);
		if (!r)
			r = fdtb_finish(&b, blob, size);
		if (r)
			fprintf(stderr, "avmm: -dtb %s: %s\n", o->dtb, b.msg);
		fdtb_free(&b);
		return r ? -1 : 0;
	}
	if (fdtb_init(&b, FDT_MAX_SIZE_DEFAULT)) {
		fprintf(stderr, "avmm: device tree: %s\n", b.msg);
		return -1;
	}
	uint64_t mpidr[VM_MAX_CPUS];
	for (unsigned i = 0; i < vm->ncpus; i++)
		mpidr[i] = vm->vcpus[i].mpidr & 0xff00ffffffull;
	fdt_virt_root(&b);
	fdt_virt_memory(&b, vm->ram_base, vm->ram_size);
	fdt_virt_cpus(&b, mpidr, vm->ncpus);
	fdt_virt_psci(&b, "hvc");
	fdt_virt_timer(&b);
	/* An in-kernel GIC has redistributors for every vCPU it supports and
	 * sets GICR_TYPER.Last only on the final one: describe them all. */
	uint32_t gic_ph = fdt_virt_gicv3(&b, GICV3_VIRT_DIST_BASE, GICV3_DIST_SIZE, GICV3_VIRT_REDIST_BASE,
					 vm->kgic ? vm->kgic_redist_size : gicv3_redist_region_size(vm->ncpus));
	char gic_path[32];
	snprintf(gic_path, sizeof(gic_path), "/intc@%llx", (unsigned long long)GICV3_VIRT_DIST_BASE);
	virt_io_fdt(vm, &b, gic_ph, gic_path);
	uint32_t clk = fdt_virt_apb_pclk(&b);
	const char *uart = pl011_fdt_node(&b, VIRT_UART_BASE, VIRT_UART_SPI, clk);
	pl031_fdt_node(&b, VIRT_RTC_BASE, VIRT_RTC_SPI, clk);
	uint32_t gpio_ph = pl061_fdt_node(&b, VIRT_GPIO_BASE, VIRT_GPIO_SPI, clk);
	pl061_fdt_gpio_keys(&b, gpio_ph, VIRT_GPIO_POWER_LINE);
	fdt_virt_chosen(&b, o->append ? o->append : "", uart, bl->initrd_start, bl->initrd_size, NULL, 0);
	fdt_virt_seeds(&b);
	int r = fdtb_finish(&b, blob, size);
	if (r)
		fprintf(stderr, "avmm: device tree: %s\n", b.msg);
	fdtb_free(&b);
	return r ? -1 : 0;
}

/* Remember an image as loaded (a copy of the bytes now at dst), for the
 * resets: QEMU's ROM blobs, re-copied into memory at every system reset. */
static int keep_image(struct vm *vm, uint8_t *dst, uint64_t len)
{
	if (!len)
		return 0;
	uint8_t *copy = vm->nimages < VM_MAX_IMAGES ? malloc(len) : NULL;
	if (!copy) {
		fprintf(stderr, "avmm: cannot keep a copy of the boot images (%" PRIu64 " bytes) for resets\n", len);
		return -1;
	}
	memcpy(copy, dst, len);
	vm->images[vm->nimages++] = (struct vm_image){ dst, copy, len };
	return 0;
}

int virt_create(struct vm *vm, const struct vm_opts *o)
{
	char err[512];
	memset(vm, 0, sizeof(*vm));
	vm->opts = *o;
	vm->console_fd = -1;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->main_cond, NULL);
	pthread_cond_init(&vm->create_cond, NULL);
	mmio_bus_init(&vm->bus);

	const char *an = o->accel ? o->accel : accel_default_name();
	vm->ops = accel_find(an);
	if (!vm->ops) {
		fprintf(stderr, "avmm: accelerator '%s' is not available in this build (try -accel soft)\n", an);
		return -1;
	}
	vm->ncpus = o->smp;
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		v->vm = vm;
		v->idx = i;
		v->mpidr = 1ull << 31 | i; /* Aff0 = CPU number (GICv3 needs Aff0 < 16) */
		/* WFI sleeps to an absolute CLOCK_MONOTONIC deadline. */
		host_cond_init(&v->cond);
	}

	vm->ram_base = VIRT_RAM_BASE;
	vm->ram_size = o->ram_size;
	vm->ram = ram_alloc(vm->ram_size);
	if (!vm->ram) {
		fprintf(stderr, "avmm: cannot allocate %" PRIu64 " MiB of guest RAM: %s (lower -m)\n", vm->ram_size >> 20,
			strerror(errno));
		return -1;
	}
	struct loader_ram lram = { vm->ram, vm->ram_base, vm->ram_size };
	struct boot_layout bl;
	memset(&bl, 0, sizeof(bl));
	if (o->bios) {
		/* Two banks, as on QEMU: the firmware in the first, the second
		 * (firmware variables) erased. */
		vm->flash_size = 2 * VIRT_FLASH_SIZE;
		vm->flash = ram_alloc(vm->flash_size);
		uint64_t loaded;
		if (!vm->flash) {
			fprintf(stderr, "avmm: cannot allocate the flash bank\n");
			return -1;
		}
		memset(vm->flash + VIRT_FLASH_SIZE, 0xff, VIRT_FLASH_SIZE);
		if (loader_load_firmware(o->bios, vm->flash, VIRT_FLASH_SIZE, &loaded, err, sizeof(err))) {
			fprintf(stderr, "avmm: %s\n", err);
			return -1;
		}
		if (keep_image(vm, vm->flash, loaded))
			return -1;
		vm->boot_pc = VIRT_FLASH_BASE;
		bl.dtb_addr = vm->ram_base; /* firmware finds the DTB at the start of RAM, as on QEMU */
	}
	if (o->kernel) {
		if (loader_load_linux(&lram, o->kernel, o->initrd, &bl, err, sizeof(err))) {
			fprintf(stderr, "avmm: %s\n", err);
			return -1;
		}
		if (keep_image(vm, vm->ram + (bl.kernel_entry - vm->ram_base), bl.kernel_bytes) ||
		    (bl.initrd_size && keep_image(vm, vm->ram + (bl.initrd_start - vm->ram_base), bl.initrd_size)))
			return -1;
		if (!o->bios)
			vm->boot_pc = bl.kernel_entry;
	}

	/* Guest memory as devices (DMA) and the MMIO exit path see it: RAM,
	 * and the flash, which devices may read but not write. */
	if (gmem_add(&vm->gmem, vm->ram_base, vm->ram_size, vm->ram, false) ||
	    (vm->flash && gmem_add(&vm->gmem, VIRT_FLASH_BASE, vm->flash_size, vm->flash, true))) {
		fprintf(stderr, "avmm: guest RAM and flash overlap or do not fit the memory map\n");
		return -1;
	}

	/* Devices (the GIC comes with the accelerator, below), each in
	 * vm->devices as soon as it exists (virt_destroy frees the list). Their
	 * MMIO callbacks lock themselves: no bus lock. */
	struct pl011 *uart = calloc(1, sizeof(*uart));
	if (!uart)
		return -1;
	struct pl011_config uc = { .tx = uart_tx, .tx_opaque = vm, .irq = { spi_set, vm, VIRT_UART_SPI } };
	pl011_init(uart, &uc);
	if (device_list_add(&vm->devices, &pl011_device_ops, uart, "pl011@9000000")) {
		pl011_destroy(uart);
		free(uart);
		return -1;
	}
	vm->uart = uart;
	struct pl031 *rtc = calloc(1, sizeof(*rtc));
	if (!rtc)
		return -1;
	struct pl031_config rc = { .irq = { spi_set, vm, VIRT_RTC_SPI }, .timer_thread = true };
	if (pl031_init(rtc, &rc)) {
		free(rtc);
		fprintf(stderr, "avmm: cannot start the RTC\n");
		return -1;
	}
	if (device_list_add(&vm->devices, &pl031_device_ops, rtc, "pl031@9010000")) {
		pl031_destroy(rtc);
		free(rtc);
		return -1;
	}
	vm->rtc = rtc;
	struct pl061 *gpio = calloc(1, sizeof(*gpio));
	if (!gpio)
		return -1;
	struct pl061_config gc = { .irq = { spi_set, vm, VIRT_GPIO_SPI } };
	pl061_init(gpio, &gc);
	if (device_list_add(&vm->devices, &pl061_device_ops, gpio, "pl061@9030000")) {
		pl061_destroy(gpio);
		free(gpio);
		return -1;
	}
	vm->gpio = gpio;
	if (mmio_bus_register(&vm->bus, VIRT_GPIO_BASE, PL061_MMIO_SIZE, &gpio_ops, vm->gpio, "pl061"))
		return -1;
	if (mmio_bus_register(&vm->bus, VIRT_UART_BASE, PL011_MMIO_SIZE, &uart_ops, vm->uart, "pl011") ||
	    mmio_bus_register(&vm->bus, VIRT_RTC_BASE, PL031_MMIO_SIZE, &rtc_ops, vm->rtc, "pl031"))
		return -1;
	if (o->testdev) {
		struct testdev *td = calloc(1, sizeof(*td));
		if (!td)
			return -1;
		testdev_init(td);
		if (device_list_add(&vm->devices, &testdev_device_ops, td, "testdev")) {
			testdev_destroy(td);
			free(td);
			return -1;
		}
		vm->testdev = td;
		if (mmio_bus_register(&vm->bus, TESTDEV_BASE, TESTDEV_SIZE, &testdev_ops, vm->testdev, "testdev"))
			return -1;
	}
	vm->mem = (struct mmio_exit_mem){ mem_ram, mem_read, mem_write, mem_present, vm };

	/* The accelerator. */
	struct accel_vm_config vc = { .cntfrq_hz = o->cntfrq_hz, .pauth = o->pauth, .hvc0_mode = o->hvc0_mode };
	vc.el2 = o->el2;
	int r = accel_vm_create(vm->ops, &vc, &vm->avm);
	/* RAM must end inside the accelerator's guest physical address space
	 * (HVF: 36 bits before macOS 13, the host's maximum after; KVM:
	 * KVM_CAP_ARM_VM_IPA_SIZE; soft: its PARange): one message with the
	 * limit rather than the map call's failure. */
	unsigned ipa = !r && vm->ops->ipa_bits ? vm->ops->ipa_bits(vm->avm) : 0;
	if (ipa && ipa < 64 && vm->ram_base + vm->ram_size > 1ull << ipa) {
		uint64_t max = (1ull << ipa) - vm->ram_base;
		fprintf(stderr,
			"avmm: -m %" PRIu64 "M: RAM from 0x%" PRIx64 " would end beyond the %u-bit (%" PRIu64
			" GiB) guest physical address space of the %s accelerator on this host: at most %" PRIu64
			"M; lower -m\n",
			vm->ram_size >> 20, vm->ram_base, ipa, (uint64_t)1 << (ipa - 30), vm->ops->name, max >> 20);
		return -1;
	}
	if (!r)
		r = accel_map(vm->avm, vm->ram, vm->ram_base, vm->ram_size,
			      ACCEL_MEM_READ | ACCEL_MEM_WRITE | ACCEL_MEM_EXEC);
	if (!r && vm->flash)
		r = accel_map(vm->avm, vm->flash, VIRT_FLASH_BASE, vm->flash_size,
			      ACCEL_MEM_READ | ACCEL_MEM_WRITE | ACCEL_MEM_EXEC);
	if (r) {
		fprintf(stderr, "avmm: cannot create the VM with the %s accelerator: %s\n", vm->ops->name, strerror(-r));
		return -1;
	}
	if (virt_gic(vm, o) || virt_io_create(vm, o->devopts))
		return -1;

	/* The device tree, unless the image is a bare program with no use for it
	 * (after the GIC: an in-kernel one decides the redistributor region). */
	void *dtb = NULL;
	size_t dtb_size = 0;
	if (build_fdt(vm, o, &bl, &dtb, &dtb_size))
		return -1;
	if (o->dumpdtb) { /* -M virt,dumpdtb=FILE: QEMU's way to see the tree the guest would get */
		int wr = loader_write_file(o->dumpdtb, dtb, dtb_size, err, sizeof(err));
		free(dtb);
		if (wr) {
			fprintf(stderr, "avmm: -M virt,dumpdtb=%s: %s\n", o->dumpdtb, err);
			return -1;
		}
		return 1;
	}
	if (loader_place_dtb(&lram, bl.dtb_addr ? bl.dtb_addr : vm->ram_base, dtb, dtb_size, err, sizeof(err))) {
		free(dtb);
		fprintf(stderr, "avmm: %s\n", err);
		return -1;
	}
	/* Kept for the resets: placed again with a new rng-seed each time. */
	vm->dtb = dtb;
	vm->dtb_size = dtb_size;
	vm->dtb_gpa = bl.dtb_addr ? bl.dtb_addr : vm->ram_base;
	vm->boot_x0 = bl.dtb_addr ? bl.dtb_addr : vm->ram_base;
	if (console_open(o->serial, vm, vm->uart))
		return -1;
	return 0;
}

/* Guest RAM pages resident in the host, in bytes: what of avmm's RSS is the
 * guest's memory rather than avmm's own. */
static uint64_t guest_ram_resident(const struct vm *vm)
{
	const uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE), chunk = 1ull << 30;
	unsigned char *vec = malloc(chunk / pg);
	uint64_t n = 0;
	for (uint64_t off = 0; vec && off < vm->ram_size; off += chunk) {
		uint64_t len = vm->ram_size - off < chunk ? vm->ram_size - off : chunk;
		if (host_mincore(vm->ram + off, len, vec) != 0)
			break;
		for (uint64_t i = 0; i < (len + pg - 1) / pg; i++)
			n += vec[i] & 1;
	}
	free(vec);
	return n * pg;
}

void virt_print_stats(struct vm *vm)
{
	fprintf(stderr, "avmm: guest RAM resident: %" PRIu64 " KiB of %" PRIu64 " KiB\n", guest_ram_resident(vm) >> 10,
		vm->ram_size >> 10);
	fprintf(stderr, "avmm: GIC: %s\n", vm->kgic ? "in the accelerator (in-kernel)" : "user space");
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		fprintf(stderr, "avmm: vCPU %u: %" PRIu64 " exits, %" PRIu64 " WFI sleeps, %" PRIu64 " MMIO (ISV=1), %" PRIu64
				" emulated (ISV=0), %" PRIu64 " aborts injected\n",
			i, v->exits, v->wfi_sleeps, v->dabt.n_isv, v->dabt.n_emulated, v->dabt.n_injected);
	}
}

/* A fresh random value in each seed property of /chosen (rng-seed, and
 * kaslr-seed if a user's tree has one): each boot gets its own. */
static void renew_seeds(void *fdt)
{
	int off = fdt_path_offset(fdt, "/chosen");
	static const char *const props[] = { "rng-seed", "kaslr-seed" };
	for (unsigned i = 0; off >= 0 && i < 2; i++) {
		int len;
		uint8_t buf[512];
		if (!fdt_getprop(fdt, off, props[i], &len) || len <= 0 || len > (int)sizeof(buf))
			continue;
		if (host_random(buf, (size_t)len) == 0)
			fdt_setprop_inplace(fdt, off, props[i], buf, len);
	}
}

int virt_reset(struct vm *vm)
{
	int r = accel_vm_reset(vm->avm);
	if (r) {
		fprintf(stderr, "avmm: system reset: the %s accelerator cannot reset its VM: %s\n", vm->ops->name,
			strerror(-r));
		return -1;
	}
	device_list_reset(&vm->devices);
	/* Memory as QEMU leaves it: RAM is not cleared, the images are copied
	 * back where they were loaded (the kernel patched its own text). */
	for (unsigned i = 0; i < vm->nimages; i++) {
		memcpy(vm->images[i].dst, vm->images[i].data, vm->images[i].len);
		accel_code_written(vm->avm, vm->images[i].dst, vm->images[i].len);
	}
	if (vm->dtb) {
		char err[256];
		struct loader_ram lram = { vm->ram, vm->ram_base, vm->ram_size };
		renew_seeds(vm->dtb);
		if (loader_place_dtb(&lram, vm->dtb_gpa, vm->dtb, vm->dtb_size, err, sizeof(err))) {
			fprintf(stderr, "avmm: system reset: %s\n", err);
			return -1;
		}
	}
	return 0;
}

static void power_key_release(void *opaque)
{
	struct vm *vm = opaque;
	if (vm->gpio)
		pl061_set_input(vm->gpio, VIRT_GPIO_POWER_LINE, false);
}

int virt_powerdown(struct vm *vm)
{
	struct evloop *l = atomic_load(&vm->loop);
	if (!vm->gpio || vm->opts.dtb || !l)
		return -ENODEV;
	if (!vm->power_key && !(vm->power_key = evloop_timer_new(l, power_key_release, vm)))
		return -ENOMEM;
	pl061_set_input(vm->gpio, VIRT_GPIO_POWER_LINE, true);
	evloop_timer_arm(vm->power_key, host_now_ns() + 100000000u, 0);
	return 0;
}

/* Make what was written to the console durable if it is a file. */
static void console_sync(int fd)
{
	struct stat st;
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode))
		return;
	int r = host_sync_data(fd);
	if (r)
		fprintf(stderr, "avmm: serial output: sync failed: %s\n", strerror(-r));
}

void virt_destroy(struct vm *vm)
{
	/* Back ends stop first (nothing more reaches guest state or files),
	 * then the console is flushed and the terminal restored. */
	device_list_quiesce(&vm->devices);
	console_close();
	if (vm->opts.stats) /* after the close: what the output took in the end */
		console_print_stats(stderr);
	console_sync(vm->console_fd);
	for (unsigned i = 0; i < vm->nimages; i++)
		free((void *)vm->images[i].data);
	vm->nimages = 0;
	free(vm->dtb);
	vm->dtb = NULL;
	if (vm->testdev && vm->opts.testdev)
		testdev_dump(vm->testdev, stderr);
	/* PCI and virtio first: their threads complete requests into the GIC. */
	virt_io_destroy(vm);
	/* Every device (quiesced first: the RTC's timer thread drives the GIC). */
	device_list_destroy(&vm->devices);
	vm->gpio = NULL;
	evloop_timer_free(vm->power_key);
	vm->power_key = NULL;
	vm->testdev = NULL;
	vm->rtc = NULL;
	vm->uart = NULL;
	vm->gic = NULL;
	if (vm->avm)
		accel_vm_destroy(vm->avm);
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	if (vm->flash)
		munmap(vm->flash, vm->flash_size);
	mmio_bus_destroy(&vm->bus);
}
