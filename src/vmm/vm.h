/* A running virtual machine: its memory, devices and vCPU threads. The
 * machine file (src/machine/virt.c) builds it; vcpu.c runs it. */
#ifndef AVMM_VMM_VM_H
#define AVMM_VMM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "accel/accel.h"
#include "hw/mmio.h"
#include "vmm/mmio-exit.h"

#define VM_MAX_CPUS 8

struct vm_opts {
	const char *machine;  /* "virt" */
	const char *accel;    /* NULL: the host default */
	uint64_t ram_size;    /* bytes */
	unsigned smp;
	const char *kernel, *initrd, *append, *dtb, *bios;
	const char *serial;   /* "stdio" (default), "none", "file:PATH" */
	bool no_reboot;       /* a guest reset request exits instead */
	bool stats;
	bool testdev;
	uint64_t cntfrq_hz;   /* 0: default */
};

enum vcpu_power { VCPU_OFF, VCPU_ON_PENDING, VCPU_ON };
enum vm_state { VM_RUNNING, VM_OFF, VM_RESET, VM_ERROR };

struct vm;

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
	pthread_cond_t cond;        /* WFI and powered-off waits, with vm->lock */
	/* The interrupt controller's outputs for this CPU (any thread). */
	_Atomic bool irq, fiq;
	bool vtimer_irq;            /* vCPU thread only */
	struct mmio_exit dabt;
	uint64_t exits, wfi_sleeps;
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
	struct gicv3 *gic;
	struct pl011 *uart;
	struct pl031 *rtc;
	struct testdev *testdev;
	/* Boot state for vCPU 0. */
	uint64_t boot_pc, boot_x0;
	struct vcpu vcpus[VM_MAX_CPUS];
	unsigned ncpus;
	pthread_mutex_t lock;
	_Atomic int state;          /* enum vm_state */
	int console_fd;             /* where the UART's output goes (-1: none) */
	pthread_cond_t main_cond;   /* vm_run waits on it for the state to change */
	uint64_t unassigned_logged;
};

/* Start the vCPU threads and wait until the guest powers off, resets or
 * fails. Returns the final state. */
enum vm_state vm_run(struct vm *vm);
/* Ask the VM to stop (any thread): every vCPU leaves its loop. */
void vm_request(struct vm *vm, enum vm_state s);
/* The interrupt controller's output callback (see gicv3_cpu_irq_fn). */
void vm_cpu_irq(void *opaque, unsigned cpu, bool irq, bool fiq);

#endif
