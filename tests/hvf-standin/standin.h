/* The stand-in framework's internals shared by standin.c (VM, vCPUs) and
 * standin-gic.c (the in-kernel GIC). Like Hypervisor.framework, the
 * stand-in has one VM per process: its state is the process-wide g_*
 * variables below, defined in standin.c, under g_lock (VM and vCPU
 * lifetime) and g_irq_lock (interrupt state). */
#ifndef AVMM_HVF_STANDIN_H
#define AVMM_HVF_STANDIN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <Hypervisor/Hypervisor.h>

#include "accel/accel.h"

#define STANDIN_PAGE 0x4000ull /* Apple Silicon host page: 16 KiB */
#define STANDIN_MAX_VCPUS 64u
#define STANDIN_DEFAULT_IPA 36u
#define STANDIN_MAX_IPA 40u
#define STANDIN_MIN_IPA 32u

struct hv_vm_config_s {
	unsigned kind; /* must be first: os_release looks at it */
	uint32_t ipa_bits;
	bool el2;
};
struct hv_vcpu_config_s {
	unsigned kind;
};
enum { OBJ_VM_CONFIG = 0x564d4346, OBJ_VCPU_CONFIG = 0x56435046, OBJ_GIC_CONFIG = 0x47434346, OBJ_GIC_STATE = 0x47535446 };

struct standin_vcpu {
	struct a64_cpu *cpu;
	pthread_t owner;
	hv_vcpu_exit_t exit;      /* handed out by hv_vcpu_create */
	struct accel_exit scratch; /* the soft CPU's exit record */
	bool pending[2];           /* IRQ, FIQ as last set */
	bool trap_debug;
	/* With an hv_gic: */
	_Atomic bool cancel;       /* hv_vcpus_exit asked for a CANCELED exit */
	int gic_cpu;               /* GIC CPU interface bound at the first run; -1 */
	bool vtimer_ppi;           /* PPI 27 raised for the vtimer */
	pthread_cond_t wfi_cond;   /* WFI inside the framework, with g_irq_lock */
};

extern pthread_mutex_t g_lock;
extern struct a64_vm *g_vm;
extern uint32_t g_ipa_bits;
extern unsigned g_nvcpus;
extern struct a64_cpu *g_clock; /* a hidden vCPU to read the VM's counter */
extern struct standin_vcpu *g_vcpus[STANDIN_MAX_VCPUS];
extern unsigned g_running; /* vCPUs inside hv_vcpu_run */

/* The vCPU, if the handle is live and the caller is its owning thread. */
struct standin_vcpu *standin_own(hv_vcpu_t id);

/* standin-gic.c */
struct standin_gic;
extern struct standin_gic *g_gic; /* created and destroyed under g_lock */
extern pthread_mutex_t g_irq_lock;
void gic_vm_destroy(void);
hv_return_t gic_run(struct standin_vcpu *v);
void gic_vcpu_gone(struct standin_vcpu *v);
void gic_wake(struct standin_vcpu *v);

#endif
