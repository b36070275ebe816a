/* A running virtual machine: its memory, devices and vCPU threads. The
 * machine file (src/machine/virt.c) builds it; vcpu.c runs it. */
#ifndef AVMM_VMM_VM_H
#define AVMM_VMM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "accel/accel.h"
#include "hw/device.h"
#include "hw/guest-mem.h"
#include "hw/mmio.h"
#include "arch/apple-services.h"
#include "vmm/hvc-patch.h"
#include "vmm/mmio-exit.h"

struct vm_devopts;

#define VM_MAX_CPUS 8
#define VM_OPT_NAME_MAX 32

struct vm_opts {
	const char *machine;  /* "virt" */
	const char *accel;    /* NULL: the host default */
	uint64_t ram_size;    /* bytes */
	unsigned smp;
	const char *kernel, *initrd, *append, *dtb, *bios;
	const char *serial;   /* "stdio" (default), "none", "file:PATH" */
	struct vm_devopts *devopts; /* -drive, -device (vmm/devopts.h) */
	const char *dumpdtb;  /* -M virt,dumpdtb=FILE: write the device tree there and exit */
	bool no_reboot;       /* a guest reset request exits instead */
	bool stats;
	bool testdev;
	uint64_t cntfrq_hz;   /* 0: default */
	uint8_t gic;          /* enum vm_gic_mode (-accel ...,gic=) */
	bool el2;             /* -accel hvf,el2=on */
	unsigned hvc_patch;   /* HVC_PATCH_* (-M virt,hvc-patch=...) */
	bool debug_hvc_patch; /* -d hvc-patch */
	bool pauth;           /* -cpu max / -cpu ...,pauth=on */
	uint8_t hvc0_mode;    /* -accel soft,hvc0=...: enum accel_hvc0_mode */
	char machine_name[VM_OPT_NAME_MAX], accel_name[VM_OPT_NAME_MAX]; /* -M / -accel NAME,... */
};

/* Where the GICv3 lives: the user-space model (src/hw/gic) or the
 * accelerator's in-kernel one; auto: in-kernel when the backend has it. */
enum vm_gic_mode { VM_GIC_USER = 0, VM_GIC_KERNEL, VM_GIC_AUTO };

enum vcpu_power { VCPU_OFF, VCPU_ON_PENDING, VCPU_ON };
enum vm_state { VM_RUNNING, VM_OFF, VM_RESET, VM_ERROR };

struct vm;
struct virt_io;
struct evloop;

/* A boot image as loaded at creation, put back into guest memory by every
 * system reset (the file is not read again: it may have changed). */
struct vm_image {
	uint8_t *dst;        /* where in RAM or flash (host address) */
	const uint8_t *data; /* the copy */
	size_t len;
};

#define VM_MAX_IMAGES 4

struct vcpu {
	struct vm *vm;
	unsigned idx;
	uint64_t mpidr;
	pthread_t thread;
	bool thread_started;
	struct accel_vcpu *_Atomic av; /* created on the vCPU's own thread */
	const struct accel_exit *ex;
	/* Power state and the CPU_ON request, under vm->lock. */
	enum vcpu_power power;
	uint64_t entry, context;
	bool wake;                  /* a reason to leave WFI, under vm->lock */
	bool kicked;                /* VCPU_KICK pending, under vm->lock */
	pthread_cond_t cond;        /* WFI and powered-off waits, with vm->lock */
	/* The interrupt controller's outputs for this CPU (any thread). */
	_Atomic bool irq, fiq;
	bool vtimer_irq;            /* vCPU thread only */
	struct mmio_exit dabt;
	uint64_t exits, wfi_sleeps;
	bool noram_reported;        /* a fetch from no RAM reported (vcpu.c iabt_no_ram) */
	/* Apple CPU services and the hvc-patch watchdog. */
	struct apple_svc_cpu svc;
	_Atomic uint32_t run_seq;   /* bumped at every exit (vCPU thread) */
	_Atomic bool in_guest;      /* inside accel_vcpu_run */
	_Atomic bool wd_check;      /* the watchdog kicked: look for a spin */
	bool paused;                /* parked by vm_pause, or powered off while pausing (under vm->lock) */
	_Atomic int tid;            /* host thread id (0: unknown), for query-cpus-fast */
};

struct vm {
	struct vm_opts opts;
	const struct accel_ops *ops;
	struct accel_vm *avm;
	uint8_t *ram;
	uint64_t ram_base, ram_size;
	uint8_t *flash;
	uint64_t flash_size;
	struct mmio_bus bus;
	struct mmio_exit_mem mem;
	struct guest_mem gmem;      /* RAM and flash, for devices (DMA) and mem.ram */
	struct device_list devices; /* every device, in creation order (hw/device.h) */
	struct virt_io *io;         /* PCIe, ITS, virtio (machine/virt-io.c) */
	struct gicv3 *gic;          /* the user-space GIC; NULL with kgic */
	bool kgic;                  /* the accelerator's in-kernel GIC */
	bool kgic_msi;              /* ... with an MSI frame (hvf) */
	bool kgic_its;              /* ... with an ITS (kvm) */
	uint64_t kgic_redist_size;  /* its redistributor region */
	struct pl011 *uart;
	struct pl031 *rtc;
	struct pl061 *gpio;         /* the power button's GPIO (line 3) */
	struct evloop_timer *power_key; /* releases the power button (main loop) */
	struct testdev *testdev;
	/* Boot state for vCPU 0. */
	uint64_t boot_pc, boot_x0;
	struct vcpu vcpus[VM_MAX_CPUS];
	unsigned ncpus;
	pthread_mutex_t lock;
	_Atomic int state;          /* enum vm_state */
	int console_fd;             /* where the UART's output goes (-1: none) */
	pthread_cond_t main_cond;   /* vm_run waits on it for the state to change */
	/* ACCEL_CAP_KERNEL_PSCI: vCPUs are created in index order, all before
	 * any runs (under lock; create_cond signals each creation). */
	unsigned vcpus_created;
	pthread_cond_t create_cond;
	_Atomic uint64_t unassigned_logged; /* vCPUs log concurrently */
	struct apple_svc svc;       /* per-boot keys and boot session UUID */
	struct hvc_patch patch;     /* valid when opts.hvc_patch != 0 */
	/* Lifecycle. */
	struct evloop *_Atomic loop; /* the main loop (main thread): vm_run runs it */
	unsigned vcpus_running;     /* vCPU threads still in their run loop (under lock) */
	struct vm_image images[VM_MAX_IMAGES]; /* kernel, initrd, firmware */
	unsigned nimages;
	uint8_t *dtb;               /* the device tree as placed (rng-seed renewed per boot) */
	size_t dtb_size;
	uint64_t dtb_gpa;
	uint64_t boots;             /* 1 + system resets so far */
	bool pause_req;             /* vm_pause: vCPUs park until vm_resume (under lock; kept across resets) */
};

/* One boot: start the vCPU threads (vCPU 0 at the boot entry, the others
 * off until PSCI CPU_ON), run the main loop (vm->loop, on the calling
 * thread) until the guest powers off, resets or fails, then stop every vCPU
 * and join its thread (each destroys its vCPU). Returns that state; after
 * VM_RESET the machine's reset (virt_reset) makes it runnable again. */
enum vm_state vm_run(struct vm *vm);
/* Ask the VM to stop (any thread): every vCPU leaves its loop. A power-off
 * or an error replaces a reset that has not started again yet. */
void vm_request(struct vm *vm, enum vm_state s);
/* After a reset: VM_RESET -> VM_RUNNING, unless a power-off or an error was
 * requested meanwhile. True if the VM may run again. */
bool vm_restart(struct vm *vm);
/* Pause every vCPU (QMP stop): returns once none runs guest code (each
 * parked outside accel_vcpu_run or powered off), or the VM is stopping.
 * The request lasts across system resets until vm_resume. Main thread. */
void vm_pause(struct vm *vm);
void vm_resume(struct vm *vm);
bool vm_paused(struct vm *vm);
/* The interrupt controller's output callback (see gicv3_cpu_irq_fn). */
void vm_cpu_irq(void *opaque, unsigned cpu, bool irq, bool fiq);

#endif
