/* The KVM backend (Linux arm64): the accelerator interface (accel.h) on
 * /dev/kvm (facts/hvapi.md §3, §5.3).
 *
 * KVM does more inside the kernel than Hypervisor.framework, and this
 * backend says so (ACCEL_CAP_KERNEL_PSCI) instead of hiding it:
 *   - PSCI is the kernel's (KVM_ARM_VCPU_PSCI_0_2; Debian's 6.1 has no
 *     SMCCC filter, so hypercalls never reach user space); vCPU 0 starts
 *     powered on, the others powered off (KVM_ARM_VCPU_POWER_OFF) until the
 *     guest's CPU_ON; SYSTEM_OFF/RESET come back as ACCEL_EXIT_SYSTEM_EVENT;
 *   - WFI sleeps inside KVM_RUN, the vtimer is the kernel's, and so is the
 *     GICv3 (KVM_DEV_TYPE_ARM_VGIC_V3): a user-space GIC is not supported;
 *   - ISV=1 MMIO is decoded by KVM, which completes a read itself on the next
 *     KVM_RUN (it knows the target register; user space does not):
 *     ACCEL_EXIT_MMIO + mmio_complete. ISV=0 aborts come back, with
 *     KVM_CAP_ARM_NISV_TO_USER, as an HVF-shaped data abort (EC 0x24, ISV=0)
 *     for the VMM's instruction emulator.
 * The VMM creates the vCPUs in index order before any of them runs, so the
 * KVM vCPU id (hence MPIDR_EL1 and the redistributor) is the vCPU index,
 * and the last creation initialises the vGIC (CTRL_INIT needs every vCPU).
 *
 * Kicks (vcpus_exit, any thread): immediate_exit in the vCPU's kvm_run, then
 * SIGUSR1 (a no-op handler) to its thread, as kvmtool and QEMU do: a vCPU
 * inside KVM_RUN returns -EINTR, one about to enter returns at once.
 *
 * System reset (vm_reset): a new VM fd with the same memory slots and vGIC.
 *
 * Memory: one memslot per map; protect can only flip a whole slot between
 * read-write and read-only (KVM_MEM_READONLY), anything finer is refused. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "accel/accel.h"

extern const struct accel_ops accel_kvm_ops;

#define KVM_MAX_SLOTS 32
#define KVM_KICK_SIGNAL SIGUSR1
#define KVM_GIC_NR_IRQS 288 /* 32 private + 256 SPIs, as QEMU's virt */
#define KVM_REDIST_FRAME 0x20000ull /* RD + SGI frame per vCPU */

struct kvm_slot {
	bool used;
	uint32_t flags; /* KVM_MEM_* */
	uint64_t ipa, size;
	void *host;
};

struct kvm_vm {
	struct accel_vm base;
	int kvm_fd, vm_fd, gic_fd, its_fd;
	uint32_t ipa_bits;
	bool pauth, readonly_mem;
	size_t run_size;
	struct kvm_vcpu_init init; /* the preferred target and its features */
	pthread_mutex_t lock;      /* slots, vCPU count, vGIC state */
	struct kvm_slot slots[KVM_MAX_SLOTS];
	unsigned long vm_type;     /* KVM_CREATE_VM's argument */
	unsigned ncpus_gic;        /* vCPUs the vGIC was created for */
	struct accel_gic_config gic_cfg; /* kept for vm_reset */
	unsigned vcpus;            /* created so far (the next vCPU id) */
	bool gic_ready;            /* CTRL_INIT done */
	uint8_t spi_early[KVM_GIC_NR_IRQS / 8]; /* SPI levels raised before CTRL_INIT */
};

struct kvm_vcpu {
	struct accel_vcpu base;
	struct kvm_vm *vm;
	int fd;
	unsigned id;
	struct kvm_run *run;
	pthread_t thread; /* the creating thread, which runs it: the kick's target */
	struct accel_exit exit;
};

#define KVM(v) ((struct kvm_vm *)(v))
#define KVCPU(v) ((struct kvm_vcpu *)(v))

static int kvm_err(const char *call)
{
	int e = errno;
	fprintf(stderr, "avmm: kvm: %s failed: %s\n", call, strerror(e));
	return -e;
}

/* ---- VM ---------------------------------------------------------------------- */

static void kick_handler(int sig) { (void)sig; }

static int check_ext(int fd, long cap)
{
	int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);
	return r < 0 ? 0 : r;
}

/* The VM's fd (KVM_CREATE_VM with the IPA size chosen at creation) and its
 * per-VM settings: at creation, and again at a system reset. */
static int vm_fd_open(struct kvm_vm *vm)
{
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, vm->vm_type);
	if (vm->vm_fd < 0)
		return kvm_err("KVM_CREATE_VM");
	fcntl(vm->vm_fd, F_SETFD, FD_CLOEXEC);
	/* ISV=0 data aborts to user space (the VMM's emulator) instead of
	 * KVM_RUN failing with ENOSYS. */
	if (check_ext(vm->vm_fd, KVM_CAP_ARM_NISV_TO_USER) > 0) {
		struct kvm_enable_cap ec = { .cap = KVM_CAP_ARM_NISV_TO_USER };
		if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &ec) < 0) {
			int r = kvm_err("KVM_ENABLE_CAP(KVM_CAP_ARM_NISV_TO_USER)");
			return r;
		}
	}
	return 0;
}

static int kvm_vm_create(const struct accel_vm_config *cfg, struct accel_vm **out)
{
	int kfd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kfd < 0) {
		int e = errno;
		fprintf(stderr, "avmm: kvm: cannot open /dev/kvm: %s\n", strerror(e));
		return -e;
	}
	struct kvm_vm *vm = calloc(1, sizeof(*vm));
	if (!vm) {
		close(kfd);
		return -ENOMEM;
	}
	vm->kvm_fd = kfd;
	vm->vm_fd = vm->gic_fd = vm->its_fd = -1;
	pthread_mutex_init(&vm->lock, NULL);
	int r = 0;
	/* IPA size: the host's maximum unless the VMM asks for less; a kernel
	 * without the capability has the fixed 40 bits (type 0). */
	int max = check_ext(kfd, KVM_CAP_ARM_VM_IPA_SIZE);
	vm->ipa_bits = max > 0 ? (uint32_t)max : 40;
	if (cfg && cfg->ipa_bits) {
		if (cfg->ipa_bits > vm->ipa_bits || cfg->ipa_bits < 32) {
			fprintf(stderr, "avmm: kvm: %u-bit guest physical addresses asked for; this host allows 32 to %u\n",
				cfg->ipa_bits, vm->ipa_bits);
			r = -EINVAL;
			goto fail;
		}
		vm->ipa_bits = cfg->ipa_bits;
	}
	vm->vm_type = max > 0 ? KVM_VM_TYPE_ARM_IPA_SIZE(vm->ipa_bits) : 0ul;
	r = vm_fd_open(vm);
	if (r)
		goto fail;
	int sz = ioctl(kfd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz < (int)sizeof(struct kvm_run)) {
		r = kvm_err("KVM_GET_VCPU_MMAP_SIZE");
		goto fail;
	}
	vm->run_size = (size_t)sz;
	if (ioctl(vm->vm_fd, KVM_ARM_PREFERRED_TARGET, &vm->init) < 0) {
		r = kvm_err("KVM_ARM_PREFERRED_TARGET");
		goto fail;
	}
	vm->readonly_mem = check_ext(vm->vm_fd, KVM_CAP_READONLY_MEM) > 0;
	if (cfg && cfg->pauth) {
		/* Both keys or neither (api.rst); the guest sees PAuth only then. */
		if (check_ext(vm->vm_fd, KVM_CAP_ARM_PTRAUTH_ADDRESS) <= 0 ||
		    check_ext(vm->vm_fd, KVM_CAP_ARM_PTRAUTH_GENERIC) <= 0) {
			fprintf(stderr, "avmm: kvm: 'pauth' (-cpu max / pauth=on): this host's KVM cannot give guests "
					"pointer authentication (KVM_CAP_ARM_PTRAUTH_*)\n");
			r = -ENOTSUP;
			goto fail;
		}
		vm->pauth = true;
	}
	if (cfg && cfg->el2) {
		fprintf(stderr, "avmm: kvm: el2=on is not supported with -accel kvm\n");
		r = -ENOTSUP;
		goto fail;
	}
	/* The kick signal: a handler that does nothing, so KVM_RUN returns
	 * -EINTR; SA_RESTART keeps the VMM's other system calls going. */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(KVM_KICK_SIGNAL, &sa, NULL) < 0) {
		r = kvm_err("sigaction(SIGUSR1)");
		goto fail;
	}
	vm->base.ops = &accel_kvm_ops;
	*out = &vm->base;
	return 0;
fail:
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	close(kfd);
	pthread_mutex_destroy(&vm->lock);
	free(vm);
	return r;
}

static void kvm_vm_destroy(struct accel_vm *v)
{
	struct kvm_vm *vm = KVM(v);
	if (vm->its_fd >= 0)
		close(vm->its_fd);
	if (vm->gic_fd >= 0)
		close(vm->gic_fd);
	close(vm->vm_fd);
	close(vm->kvm_fd);
	pthread_mutex_destroy(&vm->lock);
	free(vm);
}

/* ---- memory slots -------------------------------------------------------------- */

static int slot_set(struct kvm_vm *vm, unsigned i, uint64_t size)
{
	struct kvm_slot *s = &vm->slots[i];
	struct kvm_userspace_memory_region mr = {
		.slot = i, .flags = s->flags, .guest_phys_addr = s->ipa, .memory_size = size,
		.userspace_addr = (uintptr_t)s->host,
	};
	return ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &mr) < 0 ? kvm_err("KVM_SET_USER_MEMORY_REGION") : 0;
}

/* KVM can drop write permission (a READONLY slot: writes exit as MMIO) but
 * not read or execute permission. */
static int slot_flags(struct kvm_vm *vm, const char *call, unsigned flags, uint32_t *out)
{
	if (flags & ~(unsigned)(ACCEL_MEM_READ | ACCEL_MEM_WRITE | ACCEL_MEM_EXEC)) {
		fprintf(stderr, "avmm: kvm: %s: unknown permission bits 0x%x\n", call, flags);
		return -EINVAL;
	}
	if ((flags & (ACCEL_MEM_READ | ACCEL_MEM_EXEC)) != (ACCEL_MEM_READ | ACCEL_MEM_EXEC)) {
		fprintf(stderr, "avmm: kvm: %s: KVM memory slots are always readable and executable (asked: %s%s%s)\n",
			call, flags & ACCEL_MEM_READ ? "r" : "-", flags & ACCEL_MEM_WRITE ? "w" : "-",
			flags & ACCEL_MEM_EXEC ? "x" : "-");
		return -ENOTSUP;
	}
	if (!(flags & ACCEL_MEM_WRITE) && !vm->readonly_mem) {
		fprintf(stderr, "avmm: kvm: %s: read-only memory needs KVM_CAP_READONLY_MEM, which this host lacks\n", call);
		return -ENOTSUP;
	}
	*out = (flags & ACCEL_MEM_WRITE) ? 0 : KVM_MEM_READONLY;
	return 0;
}

static unsigned kvm_ipa_bits(struct accel_vm *v)
{
	return KVM(v)->ipa_bits;
}

static int range_check(struct kvm_vm *vm, const char *call, const void *host, uint64_t ipa, uint64_t size)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	if (!size || ((uintptr_t)host & (page - 1)) || (ipa & (page - 1)) || (size & (page - 1))) {
		fprintf(stderr, "avmm: kvm: %s: IPA 0x%" PRIx64 " size 0x%" PRIx64 " is not aligned to the host page (0x%"
			PRIx64 ")\n", call, ipa, size, page);
		return -EINVAL;
	}
	if (ipa + size < ipa || ipa + size > (1ull << vm->ipa_bits)) {
		fprintf(stderr, "avmm: kvm: %s: IPA 0x%" PRIx64 " size 0x%" PRIx64 " is beyond the VM's %u-bit IPA space\n",
			call, ipa, size, vm->ipa_bits);
		return -EINVAL;
	}
	return 0;
}

static int kvm_map(struct accel_vm *v, void *host, uint64_t ipa, uint64_t size, unsigned flags)
{
	struct kvm_vm *vm = KVM(v);
	uint32_t kf;
	int r = range_check(vm, "map", host, ipa, size);
	if (!r && !host)
		r = -EINVAL;
	if (!r)
		r = slot_flags(vm, "map", flags, &kf);
	if (r)
		return r;
	pthread_mutex_lock(&vm->lock);
	unsigned i;
	for (i = 0; i < KVM_MAX_SLOTS; i++) {
		const struct kvm_slot *s = &vm->slots[i];
		if (s->used && ipa < s->ipa + s->size && s->ipa < ipa + size) {
			fprintf(stderr, "avmm: kvm: map: IPA 0x%" PRIx64 " overlaps a mapped range\n", ipa);
			r = -EEXIST;
			break;
		}
	}
	for (i = 0; !r && i < KVM_MAX_SLOTS && vm->slots[i].used; i++)
		;
	if (!r && i == KVM_MAX_SLOTS) {
		fprintf(stderr, "avmm: kvm: map: no free memory slot (%u in use)\n", KVM_MAX_SLOTS);
		r = -ENOSPC;
	}
	if (!r) {
		vm->slots[i] = (struct kvm_slot){ true, kf, ipa, size, host };
		r = slot_set(vm, i, size);
		if (r)
			vm->slots[i].used = false;
	}
	pthread_mutex_unlock(&vm->lock);
	return r;
}

/* The slot that is exactly [ipa, ipa + size), or -1 with a message. */
static int slot_exact(struct kvm_vm *vm, const char *call, uint64_t ipa, uint64_t size)
{
	for (unsigned i = 0; i < KVM_MAX_SLOTS; i++)
		if (vm->slots[i].used && vm->slots[i].ipa == ipa && vm->slots[i].size == size)
			return (int)i;
	fprintf(stderr, "avmm: kvm: %s: IPA 0x%" PRIx64 " size 0x%" PRIx64 " is not one whole mapping (KVM memory "
			"slots change only as a whole)\n", call, ipa, size);
	return -1;
}

static int kvm_unmap(struct accel_vm *v, uint64_t ipa, uint64_t size)
{
	struct kvm_vm *vm = KVM(v);
	pthread_mutex_lock(&vm->lock);
	int i = slot_exact(vm, "unmap", ipa, size), r = -ENOTSUP;
	if (i >= 0) {
		r = slot_set(vm, (unsigned)i, 0); /* size 0 deletes the slot */
		if (!r)
			vm->slots[i].used = false;
	}
	pthread_mutex_unlock(&vm->lock);
	return r;
}

static int kvm_protect(struct accel_vm *v, uint64_t ipa, uint64_t size, unsigned flags)
{
	struct kvm_vm *vm = KVM(v);
	uint32_t kf;
	int r = slot_flags(vm, "protect", flags, &kf);
	if (r)
		return r;
	pthread_mutex_lock(&vm->lock);
	int i = slot_exact(vm, "protect", ipa, size);
	r = i < 0 ? -ENOTSUP : 0;
	if (!r && vm->slots[i].flags != kf) {
		/* A slot's flags cannot change in place: delete, then re-add. */
		r = slot_set(vm, (unsigned)i, 0);
		if (!r) {
			vm->slots[i].flags = kf;
			r = slot_set(vm, (unsigned)i, size);
		}
		if (r)
			vm->slots[i].used = false;
	}
	pthread_mutex_unlock(&vm->lock);
	return r;
}

/* ---- the in-kernel vGICv3 -------------------------------------------------------- */

static int gic_attr(struct kvm_vm *vm, uint32_t group, uint64_t attr, const void *val, const char *what)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uintptr_t)val };
	if (ioctl(vm->gic_fd, KVM_SET_DEVICE_ATTR, &a) < 0)
		return kvm_err(what);
	return 0;
}

static int irq_line(struct kvm_vm *vm, unsigned intid, bool level)
{
	struct kvm_irq_level l = { .irq = (uint32_t)KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT | intid,
				   .level = level };
	return ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0 ? kvm_err("KVM_IRQ_LINE") : 0;
}

/* The vGICv3 device at the machine's addresses (vm->gic_cfg). */
static int gic_device_create(struct kvm_vm *vm)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	if (ioctl(vm->vm_fd, KVM_CREATE_DEVICE, &cd) < 0) {
		int e = errno;
		/* No GICv3 on this host (e.g. a GICv2 machine): say it plainly. */
		fprintf(stderr, "avmm: kvm: KVM_CREATE_DEVICE(KVM_DEV_TYPE_ARM_VGIC_V3) failed: %s\n", strerror(e));
		return e == ENODEV ? -ENOTSUP : -e;
	}
	vm->gic_fd = (int)cd.fd;
	fcntl(vm->gic_fd, F_SETFD, FD_CLOEXEC);
	uint32_t nr = KVM_GIC_NR_IRQS;
	int r = gic_attr(vm, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &vm->gic_cfg.dist_base, "vGIC distributor address");
	if (!r)
		r = gic_attr(vm, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &vm->gic_cfg.redist_base,
			     "vGIC redistributor address");
	if (!r)
		r = gic_attr(vm, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr, "vGIC number of interrupts");
	if (!r && vm->gic_cfg.its_base) {
		/* The in-kernel ITS (Documentation/virt/kvm/devices/arm-vgic-its.rst):
		 * created with the vGIC, initialised after it (gic_init_locked). */
		struct kvm_create_device id = { .type = KVM_DEV_TYPE_ARM_VGIC_ITS };
		if (ioctl(vm->vm_fd, KVM_CREATE_DEVICE, &id) < 0) {
			r = kvm_err("KVM_CREATE_DEVICE(KVM_DEV_TYPE_ARM_VGIC_ITS)");
		} else {
			vm->its_fd = (int)id.fd;
			fcntl(vm->its_fd, F_SETFD, FD_CLOEXEC);
			struct kvm_device_attr a = { .group = KVM_DEV_ARM_VGIC_GRP_ADDR, .attr = KVM_VGIC_ITS_ADDR_TYPE,
						     .addr = (uint64_t)(uintptr_t)&vm->gic_cfg.its_base };
			if (ioctl(vm->its_fd, KVM_SET_DEVICE_ATTR, &a) < 0)
				r = kvm_err("the ITS's address (KVM_VGIC_ITS_ADDR_TYPE)");
		}
	}
	if (r) {
		if (vm->its_fd >= 0)
			close(vm->its_fd);
		vm->its_fd = -1;
		close(vm->gic_fd);
		vm->gic_fd = -1;
		return r;
	}
	return 0;
}

static int kvm_gic_create(struct accel_vm *v, struct accel_gic_config *cfg)
{
	struct kvm_vm *vm = KVM(v);
	if (vm->gic_fd >= 0 || vm->vcpus)
		return -EBUSY;
	if (cfg->msi_base) {
		fprintf(stderr, "avmm: kvm: the in-kernel GIC has no GICv2m MSI frame\n");
		return -ENOTSUP;
	}
	uint64_t need = (uint64_t)cfg->num_cpus * KVM_REDIST_FRAME;
	if (!cfg->num_cpus || need > cfg->redist_size || ((cfg->dist_base | cfg->redist_base) & 0xffff)) {
		fprintf(stderr, "avmm: kvm: the GIC's frames (distributor 0x%" PRIx64 ", %u redistributors at 0x%" PRIx64
				") do not fit the machine's window\n", cfg->dist_base, cfg->num_cpus, cfg->redist_base);
		return -EINVAL;
	}
	vm->gic_cfg = *cfg;
	int r = gic_device_create(vm);
	if (r)
		return r;
	vm->ncpus_gic = cfg->num_cpus;
	cfg->redist_used = need;
	return 0;
}

/* Every vCPU exists: initialise the vGIC (mandatory before the first
 * KVM_RUN) and raise the lines devices set meanwhile. Under vm->lock. */
static int gic_init_locked(struct kvm_vm *vm)
{
	int r = gic_attr(vm, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL, "vGIC CTRL_INIT");
	if (r)
		return r;
	if (vm->its_fd >= 0) {
		struct kvm_device_attr a = { .group = KVM_DEV_ARM_VGIC_GRP_CTRL, .attr = KVM_DEV_ARM_VGIC_CTRL_INIT };
		if (ioctl(vm->its_fd, KVM_SET_DEVICE_ATTR, &a) < 0)
			return kvm_err("ITS CTRL_INIT");
	}
	vm->gic_ready = true;
	for (unsigned n = 32; n < KVM_GIC_NR_IRQS; n++)
		if (vm->spi_early[n / 8] & (1u << (n % 8)))
			irq_line(vm, n, true);
	return 0;
}

/* Any thread. */
static int kvm_gic_set_spi(struct accel_vm *v, unsigned intid, bool level)
{
	struct kvm_vm *vm = KVM(v);
	if (vm->gic_fd < 0)
		return -ENODEV;
	if (intid < 32 || intid >= KVM_GIC_NR_IRQS)
		return -EINVAL;
	pthread_mutex_lock(&vm->lock);
	int r = 0;
	if (!vm->gic_ready) { /* KVM_IRQ_LINE fails before CTRL_INIT: remember the level */
		if (level)
			vm->spi_early[intid / 8] |= (uint8_t)(1u << (intid % 8));
		else
			vm->spi_early[intid / 8] &= (uint8_t)~(1u << (intid % 8));
	} else {
		r = irq_line(vm, intid, level);
	}
	pthread_mutex_unlock(&vm->lock);
	return r;
}

/* An MSI into the in-kernel ITS: KVM_SIGNAL_MSI with the requester ID. */
static int kvm_gic_send_msi(struct accel_vm *v, uint64_t addr, uint32_t data, uint32_t devid)
{
	struct kvm_vm *vm = KVM(v);
	if (vm->its_fd < 0 || !vm->gic_ready)
		return -ENODEV;
	struct kvm_msi m = { .address_lo = (uint32_t)addr, .address_hi = (uint32_t)(addr >> 32), .data = data,
			     .flags = KVM_MSI_VALID_DEVID, .devid = devid };
	/* 0: the guest has not mapped this (device, event): dropped, as the ITS does. */
	return ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &m) < 0 ? -errno : 0;
}

/* ---- vCPUs ------------------------------------------------------------------------ */

static int kvm_vcpu_create(struct accel_vm *v, struct accel_vcpu **out, const struct accel_exit **exit)
{
	struct kvm_vm *vm = KVM(v);
	struct kvm_vcpu *vc = calloc(1, sizeof(*vc));
	if (!vc)
		return -ENOMEM;
	vc->vm = vm;
	vc->fd = -1;
	vc->thread = pthread_self();
	vc->base.ops = &accel_kvm_ops;
	pthread_mutex_lock(&vm->lock);
	int r = 0;
	if (vm->gic_fd < 0) {
		fprintf(stderr, "avmm: kvm: the vCPUs need the in-kernel GIC (gic=kernel)\n");
		r = -ENOTSUP;
	} else if (vm->vcpus >= vm->ncpus_gic) {
		fprintf(stderr, "avmm: kvm: more vCPUs than the GIC was created for (%u)\n", vm->ncpus_gic);
		r = -EINVAL;
	}
	if (!r) {
		vc->id = vm->vcpus;
		vc->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)vc->id);
		if (vc->fd < 0)
			r = kvm_err("KVM_CREATE_VCPU");
	}
	if (!r) {
		fcntl(vc->fd, F_SETFD, FD_CLOEXEC);
		vc->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vc->fd, 0);
		if (vc->run == MAP_FAILED) {
			vc->run = NULL;
			r = kvm_err("mmap(kvm_run)");
		}
	}
	if (!r) {
		/* PSCI 0.2+ in the kernel; secondaries off until CPU_ON. */
		struct kvm_vcpu_init init = vm->init;
		init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
		if (vc->id)
			init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
		if (vm->pauth)
			init.features[0] |= 1u << KVM_ARM_VCPU_PTRAUTH_ADDRESS | 1u << KVM_ARM_VCPU_PTRAUTH_GENERIC;
		if (ioctl(vc->fd, KVM_ARM_VCPU_INIT, &init) < 0)
			r = kvm_err("KVM_ARM_VCPU_INIT");
	}
	if (!r && ++vm->vcpus == vm->ncpus_gic)
		r = gic_init_locked(vm);
	pthread_mutex_unlock(&vm->lock);
	if (r) {
		if (vc->run)
			munmap(vc->run, vm->run_size);
		if (vc->fd >= 0)
			close(vc->fd);
		free(vc);
		return r;
	}
	*out = &vc->base;
	if (exit)
		*exit = &vc->exit;
	return 0;
}

static void kvm_vcpu_destroy(struct accel_vcpu *v)
{
	struct kvm_vcpu *vc = KVCPU(v);
	munmap(vc->run, vc->vm->run_size);
	close(vc->fd);
	free(vc);
}

static uint64_t le_bytes(const uint8_t *b, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

static int kvm_vcpu_run(struct accel_vcpu *v)
{
	struct kvm_vcpu *vc = KVCPU(v);
	struct kvm_run *run = vc->run;
	struct accel_exit *ex = &vc->exit;
	int r = ioctl(vc->fd, KVM_RUN, 0);
	int e = errno;
	/* A kick seen (or about to be): the VMM re-checks its state after this
	 * return, so clearing here loses nothing. */
	__atomic_store_n(&run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	memset(ex, 0, sizeof(*ex));
	if (r < 0) {
		if (e == EINTR || e == EAGAIN) {
			ex->reason = ACCEL_EXIT_CANCELED;
			return 0;
		}
		ex->reason = ACCEL_EXIT_UNKNOWN;
		fprintf(stderr, "avmm: kvm: KVM_RUN failed: %s\n", strerror(e));
		return -e;
	}
	switch (run->exit_reason) {
	case KVM_EXIT_MMIO:
		if (run->mmio.len != 1 && run->mmio.len != 2 && run->mmio.len != 4 && run->mmio.len != 8) {
			fprintf(stderr, "avmm: kvm: MMIO exit of %u bytes\n", run->mmio.len);
			ex->reason = ACCEL_EXIT_UNKNOWN;
			break;
		}
		ex->reason = ACCEL_EXIT_MMIO;
		ex->ipa = run->mmio.phys_addr;
		ex->mmio.len = run->mmio.len;
		ex->mmio.write = run->mmio.is_write;
		ex->mmio.data = run->mmio.is_write ? le_bytes(run->mmio.data, run->mmio.len) : 0;
		break;
	case KVM_EXIT_ARM_NISV:
		/* A data abort without a valid syndrome: as HVF reports one (EC
		 * 0x24, IL, ISV=0), keeping the bits KVM gives (CM, WnR, DFSC).
		 * FAR is not reported; the emulator decodes the address itself. */
		ex->reason = ACCEL_EXIT_EXCEPTION;
		ex->esr = (uint64_t)EC_DABT_LOWER << 26 | 1u << 25 | (run->arm_nisv.esr_iss & 0x17f);
		ex->ipa = run->arm_nisv.fault_ipa;
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		ex->reason = ACCEL_EXIT_SYSTEM_EVENT;
		ex->event = run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN ? ACCEL_EVENT_OFF
			  : run->system_event.type == KVM_SYSTEM_EVENT_RESET  ? ACCEL_EVENT_RESET
									   : ACCEL_EVENT_CRASH;
		break;
	case KVM_EXIT_INTR:
		ex->reason = ACCEL_EXIT_CANCELED;
		break;
	case KVM_EXIT_FAIL_ENTRY:
		fprintf(stderr, "avmm: kvm: vCPU %u: entry failed (reason 0x%llx)\n", vc->id,
			(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		ex->reason = ACCEL_EXIT_UNKNOWN;
		break;
	default:
		fprintf(stderr, "avmm: kvm: vCPU %u: exit reason %u\n", vc->id, run->exit_reason);
		ex->reason = ACCEL_EXIT_UNKNOWN;
		break;
	}
	return 0;
}

/* After ACCEL_EXIT_MMIO: the value a read returns, KVM puts it into the
 * register on the next KVM_RUN. No device there (ok false): read as zero,
 * write ignored, as QEMU does on KVM. (Injecting an external abort after
 * KVM_EXIT_MMIO trips a KVM_BUG_ON in kernels without "KVM: arm64: Don't
 * retire aborted MMIO instruction", Debian's 6.1 among the candidates.) */
static int kvm_mmio_complete(struct accel_vcpu *v, uint64_t val, bool ok)
{
	struct kvm_run *run = KVCPU(v)->run;
	if (run->exit_reason != KVM_EXIT_MMIO)
		return -EINVAL;
	if (!run->mmio.is_write) {
		unsigned n = run->mmio.len <= 8 ? run->mmio.len : 8;
		for (unsigned i = 0; i < n; i++)
			run->mmio.data[i] = ok ? (uint8_t)(val >> (8 * i)) : 0;
	}
	return 0;
}

/* ---- registers ------------------------------------------------------------------------ */

#define CORE_ID(size, field) (KVM_REG_ARM64 | (size) | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(field))
#define SYSREG_ID(enc) (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG | (uint64_t)(enc))

static int one_reg(struct kvm_vcpu *vc, uint64_t id, void *val, bool set)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)val };
	return ioctl(vc->fd, set ? KVM_SET_ONE_REG : KVM_GET_ONE_REG, &reg) < 0 ? -errno : 0;
}

static int reg_id(enum accel_reg r, uint64_t *id)
{
	if ((unsigned)r <= 30)
		*id = CORE_ID(KVM_REG_SIZE_U64, regs.regs[r]);
	else if (r == ACCEL_REG_PC)
		*id = CORE_ID(KVM_REG_SIZE_U64, regs.pc);
	else if (r == ACCEL_REG_CPSR)
		*id = CORE_ID(KVM_REG_SIZE_U64, regs.pstate);
	else if (r == ACCEL_REG_FPCR)
		*id = CORE_ID(KVM_REG_SIZE_U32, fp_regs.fpcr);
	else if (r == ACCEL_REG_FPSR)
		*id = CORE_ID(KVM_REG_SIZE_U32, fp_regs.fpsr);
	else
		return -EINVAL;
	return 0;
}

static int kvm_get_reg(struct accel_vcpu *v, enum accel_reg r, uint64_t *val)
{
	uint64_t id;
	int e = reg_id(r, &id);
	if (e)
		return e;
	if (r == ACCEL_REG_FPCR || r == ACCEL_REG_FPSR) {
		uint32_t w = 0;
		e = one_reg(KVCPU(v), id, &w, false);
		*val = w;
		return e;
	}
	return one_reg(KVCPU(v), id, val, false);
}

static int kvm_set_reg(struct accel_vcpu *v, enum accel_reg r, uint64_t val)
{
	uint64_t id;
	int e = reg_id(r, &id);
	if (e)
		return e;
	if (r == ACCEL_REG_FPCR || r == ACCEL_REG_FPSR) {
		uint32_t w = (uint32_t)val;
		return one_reg(KVCPU(v), id, &w, true);
	}
	return one_reg(KVCPU(v), id, &val, true);
}

static int kvm_get_simd(struct accel_vcpu *v, unsigned r, uint8_t val[16])
{
	if (r > 31)
		return -EINVAL;
	return one_reg(KVCPU(v), CORE_ID(KVM_REG_SIZE_U128, fp_regs.vregs[r]), val, false);
}

static int kvm_set_simd(struct accel_vcpu *v, unsigned r, const uint8_t val[16])
{
	if (r > 31)
		return -EINVAL;
	uint8_t b[16];
	memcpy(b, val, 16);
	return one_reg(KVCPU(v), CORE_ID(KVM_REG_SIZE_U128, fp_regs.vregs[r]), b, true);
}

#define SYSREG_CNTFRQ_EL0 ACCEL_SYSREG(3, 3, 14, 0, 0)
#define SYSREG_CNTVCT_EL0 ACCEL_SYSREG(3, 3, 14, 0, 2)
#define SYSREG_DCZID_EL0 ACCEL_SYSREG(3, 3, 0, 0, 7)

static uint64_t host_cntvct(void)
{
	uint64_t v;
	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
	return v;
}

/* The ONE_REG id of a system register, where KVM does not use the plain
 * encoding: SP_EL0/SP_EL1/ELR_EL1/SPSR_EL1 are core registers, and the
 * virtual timer's CVAL and CNT ids are swapped in the uapi (api.rst,
 * KVM_REG_ARM_TIMER_CVAL has CNTVCT_EL0's encoding and vice versa). */
static uint64_t sysreg_id(uint16_t enc)
{
	switch (enc) {
	case SYSREG_SP_EL0: return CORE_ID(KVM_REG_SIZE_U64, regs.sp);
	case SYSREG_SP_EL1: return CORE_ID(KVM_REG_SIZE_U64, sp_el1);
	case SYSREG_ELR_EL1: return CORE_ID(KVM_REG_SIZE_U64, elr_el1);
	case SYSREG_SPSR_EL1: return CORE_ID(KVM_REG_SIZE_U64, spsr[0]);
	case SYSREG_CNTV_CVAL_EL0: return KVM_REG_ARM_TIMER_CVAL;
	case SYSREG_CNTVCT_EL0: return KVM_REG_ARM_TIMER_CNT;
	default: return SYSREG_ID(enc);
	}
}

static int kvm_get_sysreg(struct accel_vcpu *v, uint16_t enc, uint64_t *val)
{
	/* Not KVM registers; the guest reads the host's values. */
	if (enc == SYSREG_CNTFRQ_EL0) {
		__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(*val));
		return 0;
	}
	if (enc == SYSREG_DCZID_EL0) {
		__asm__ volatile("mrs %0, dczid_el0" : "=r"(*val));
		return 0;
	}
	return one_reg(KVCPU(v), sysreg_id(enc), val, false);
}

static int kvm_set_sysreg(struct accel_vcpu *v, uint16_t enc, uint64_t val)
{
	/* MPIDR_EL1 comes from the vCPU id (= the VMM's index): accept the
	 * value it already has without asking the kernel, which may refuse. */
	if (enc == SYSREG_MPIDR_EL1) {
		uint64_t cur;
		if (!one_reg(KVCPU(v), SYSREG_ID(enc), &cur, false) && (cur & 0xff00ffffffull) == (val & 0xff00ffffffull))
			return 0;
	}
	int r = one_reg(KVCPU(v), sysreg_id(enc), &val, true);
	if (r)
		fprintf(stderr, "avmm: kvm: KVM_SET_ONE_REG(sysreg 0x%04x) failed: %s\n", enc, strerror(-r));
	return r;
}

/* No user-space interrupt controller with KVM: the lines are the vGIC's. */
static int kvm_set_pending_interrupt(struct accel_vcpu *v, enum accel_irq_type t, bool pending)
{
	(void)v, (void)t;
	return pending ? -ENOTSUP : 0;
}

static int kvm_get_vtimer_mask(struct accel_vcpu *v, bool *masked)
{
	(void)v;
	*masked = false; /* the kernel owns the timer's interrupt */
	return 0;
}

static int kvm_set_vtimer_mask(struct accel_vcpu *v, bool masked)
{
	(void)v;
	return masked ? -ENOTSUP : 0;
}

/* HVF's offset: CNTVCT = host counter - offset. KVM sets CNTVOFF when the
 * guest's counter (TIMER_CNT) is written. */
static int kvm_get_vtimer_offset(struct accel_vcpu *v, uint64_t *off)
{
	uint64_t cnt;
	int r = one_reg(KVCPU(v), KVM_REG_ARM_TIMER_CNT, &cnt, false);
	if (!r)
		*off = host_cntvct() - cnt;
	return r;
}

static int kvm_set_vtimer_offset(struct accel_vcpu *v, uint64_t off)
{
	uint64_t cnt = host_cntvct() - off;
	return one_reg(KVCPU(v), KVM_REG_ARM_TIMER_CNT, &cnt, true);
}

static int kvm_set_trap_debug(struct accel_vcpu *v, bool trap)
{
	(void)v;
	return trap ? -ENOTSUP : 0;
}

/* Any thread: immediate_exit covers a vCPU not yet inside KVM_RUN, the
 * signal one inside it. */
static int kvm_vcpus_exit(struct accel_vcpu *const *vcpus, unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		struct kvm_vcpu *vc = KVCPU(vcpus[i]);
		__atomic_store_n(&vc->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		pthread_kill(vc->thread, KVM_KICK_SIGNAL);
	}
	return 0;
}

/* The host's instruction cache is not coherent with data writes on every
 * arm64 CPU: clean and invalidate the range the VMM wrote. */
static void kvm_code_written(struct accel_vm *v, void *host, size_t size)
{
	(void)v;
	__builtin___clear_cache((char *)host, (char *)host + size);
}

/* ---- system reset ---------------------------------------------------------------- */

/* Every vCPU has been destroyed (its fd closed). KVM frees a vCPU only with
 * its VM, and a new KVM_CREATE_VCPU with the same id fails, so a reset is a
 * new VM on the same memory: the old one goes away with its last fd, and
 * the new one gets the same slots and vGIC, which start in their reset
 * state; the vCPUs are then created again in index order as at boot. */
static int kvm_vm_reset(struct accel_vm *v)
{
	struct kvm_vm *vm = KVM(v);
	pthread_mutex_lock(&vm->lock);
	if (vm->its_fd >= 0)
		close(vm->its_fd);
	vm->its_fd = -1;
	if (vm->gic_fd >= 0)
		close(vm->gic_fd);
	vm->gic_fd = -1;
	close(vm->vm_fd);
	vm->vcpus = 0;
	vm->gic_ready = false;
	memset(vm->spi_early, 0, sizeof(vm->spi_early));
	int r = vm_fd_open(vm);
	for (unsigned i = 0; !r && i < KVM_MAX_SLOTS; i++)
		if (vm->slots[i].used)
			r = slot_set(vm, i, vm->slots[i].size);
	if (!r && vm->ncpus_gic)
		r = gic_device_create(vm);
	pthread_mutex_unlock(&vm->lock);
	return r;
}

const struct accel_ops accel_kvm_ops = {
	.name = "kvm",
	.caps = ACCEL_CAP_KERNEL_PSCI,
	.vm_create = kvm_vm_create,
	.vm_destroy = kvm_vm_destroy,
	.ipa_bits = kvm_ipa_bits,
	.map = kvm_map,
	.unmap = kvm_unmap,
	.protect = kvm_protect,
	.vcpu_create = kvm_vcpu_create,
	.vcpu_destroy = kvm_vcpu_destroy,
	.vcpu_run = kvm_vcpu_run,
	.get_reg = kvm_get_reg,
	.set_reg = kvm_set_reg,
	.get_simd = kvm_get_simd,
	.set_simd = kvm_set_simd,
	.get_sysreg = kvm_get_sysreg,
	.set_sysreg = kvm_set_sysreg,
	.set_pending_interrupt = kvm_set_pending_interrupt,
	.get_vtimer_mask = kvm_get_vtimer_mask,
	.set_vtimer_mask = kvm_set_vtimer_mask,
	.get_vtimer_offset = kvm_get_vtimer_offset,
	.set_vtimer_offset = kvm_set_vtimer_offset,
	.set_trap_debug_exceptions = kvm_set_trap_debug,
	.vcpus_exit = kvm_vcpus_exit,
	.gic_create = kvm_gic_create,
	.gic_set_spi = kvm_gic_set_spi,
	.gic_send_msi = kvm_gic_send_msi,
	.code_written = kvm_code_written,
	.mmio_complete = kvm_mmio_complete,
	.vm_reset = kvm_vm_reset,
};
