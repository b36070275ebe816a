/* The vCPU threads and the exit dispatch, the same for every backend:
 * data aborts to the MMIO path (vmm/mmio-exit.c), HVC/SMC to PSCI, system
 * register traps to the GIC CPU interface, WFI sleeping until an interrupt
 * or the virtual timer's deadline, the vtimer as PPI 27 (facts/hvapi.md §2). */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "host/host.h"
#include "vmm/evloop.h"
#include "hw/gic/gicv3.h"
#include "vmm/psci.h"
#include "vmm/vm.h"

#define PPI_VTIMER 27
#define SCTLR_RESET 0x30d00800ull /* RES1 bits; MMU and caches off */
#define CPSR_EL1H_MASKED 0x3c5ull
#define CPSR_EL2H_MASKED 0x3c9ull /* -accel hvf,el2=on: the guest starts at EL2 */

/* Make the vCPU leave its run (remembered if it is not running). Under
 * vm->lock, so the vCPU's accelerator handle cannot go away meanwhile. */
static void vcpu_kick_locked(struct vcpu *v)
{
	struct accel_vcpu *a = atomic_load(&v->av);
	if (a)
		a->ops->vcpus_exit(&a, 1);
}

void vm_request(struct vm *vm, enum vm_state s)
{
	pthread_mutex_lock(&vm->lock);
	int cur = atomic_load(&vm->state);
	/* Between boots (VM_RESET) a power-off or error still counts: Ctrl-A x
	 * or SIGTERM during a reset must not be lost. */
	if (cur == VM_RUNNING || (cur == VM_RESET && s != VM_RESET && s != VM_RUNNING))
		atomic_store(&vm->state, s);
	for (unsigned i = 0; i < vm->ncpus; i++) {
		pthread_cond_broadcast(&vm->vcpus[i].cond);
		vcpu_kick_locked(&vm->vcpus[i]);
	}
	pthread_cond_broadcast(&vm->create_cond);
	pthread_cond_broadcast(&vm->main_cond);
	pthread_mutex_unlock(&vm->lock);
	struct evloop *l = atomic_load(&vm->loop);
	if (l)
		evloop_stop(l); /* vm_run's main loop returns and looks at the state */
}

bool vm_restart(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	int expect = VM_RESET;
	bool ok = atomic_compare_exchange_strong(&vm->state, &expect, VM_RUNNING);
	pthread_mutex_unlock(&vm->lock);
	return ok;
}

/* Called by the GIC, with its lock held, when a CPU's output changes. Lock
 * order: GIC lock, then vm->lock; nothing calls into the GIC under vm->lock. */
void vm_cpu_irq(void *opaque, unsigned cpu, bool irq, bool fiq)
{
	struct vm *vm = opaque;
	if (cpu >= vm->ncpus)
		return;
	struct vcpu *v = &vm->vcpus[cpu];
	atomic_store(&v->irq, irq);
	atomic_store(&v->fiq, fiq);
	pthread_mutex_lock(&vm->lock);
	if (irq || fiq) {
		v->wake = true;
		pthread_cond_signal(&v->cond);
	}
	/* The new level is applied before the next run (HVF clears it after
	 * each run); a running vCPU must leave to pick it up. */
	vcpu_kick_locked(v);
	pthread_mutex_unlock(&vm->lock);
}

/* ---- pause (QMP stop / cont) ----
 * vm_pause sets pause_req and kicks; each vCPU parks at the top of its run
 * loop (or counts as paused while powered off) and waits on its cond until
 * the request is withdrawn or the VM stops. */

static bool all_paused_locked(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ncpus; i++)
		if (!vm->vcpus[i].paused)
			return false;
	return true;
}

void vm_pause(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	vm->pause_req = true;
	for (unsigned i = 0; i < vm->ncpus; i++) {
		vm->vcpus[i].wake = true; /* out of WFI: WFI may always complete early */
		pthread_cond_broadcast(&vm->vcpus[i].cond);
		vcpu_kick_locked(&vm->vcpus[i]);
	}
	/* Between boots there are no vCPU threads; the next boot's park at once. */
	while (vm->vcpus_running && atomic_load(&vm->state) == VM_RUNNING && !all_paused_locked(vm))
		pthread_cond_wait(&vm->main_cond, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
}

void vm_resume(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	vm->pause_req = false;
	for (unsigned i = 0; i < vm->ncpus; i++)
		pthread_cond_broadcast(&vm->vcpus[i].cond);
	pthread_mutex_unlock(&vm->lock);
}

bool vm_paused(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	bool p = vm->pause_req;
	pthread_mutex_unlock(&vm->lock);
	return p;
}

/* At the top of the run loop: park while a pause is requested. */
static void vcpu_park(struct vcpu *v)
{
	struct vm *vm = v->vm;
	pthread_mutex_lock(&vm->lock);
	if (vm->pause_req) {
		v->paused = true;
		pthread_cond_broadcast(&vm->main_cond);
		while (vm->pause_req && atomic_load(&vm->state) == VM_RUNNING)
			pthread_cond_wait(&v->cond, &vm->lock);
		v->paused = false;
	}
	pthread_mutex_unlock(&vm->lock);
}

/* ---- helpers on the accelerator ---- */

static uint64_t getreg(struct vcpu *v, enum accel_reg r)
{
	uint64_t val = 0;
	accel_get_reg(v->av, r, &val);
	return val;
}

static uint64_t getsys(struct vcpu *v, uint16_t enc)
{
	uint64_t val = 0;
	accel_get_sysreg(v->av, enc, &val);
	return val;
}

static void advance_pc(struct vcpu *v)
{
	accel_set_reg(v->av, ACCEL_REG_PC, getreg(v, ACCEL_REG_PC) + 4);
}

/* Take a synchronous exception to the guest's EL1 at its current PC, as
 * the architecture's exception entry does (HVF has no helper for this). */
static void inject_sync(struct vcpu *v, uint32_t esr, uint64_t far)
{
	uint64_t pc = getreg(v, ACCEL_REG_PC), cpsr = getreg(v, ACCEL_REG_CPSR);
	unsigned el = (cpsr >> 2) & 3;
	uint64_t off = el == 0 ? 0x400 : ((cpsr & 1) ? 0x200 : 0);
	accel_set_sysreg(v->av, SYSREG_ESR_EL1, esr);
	accel_set_sysreg(v->av, SYSREG_FAR_EL1, far);
	accel_set_sysreg(v->av, SYSREG_ELR_EL1, pc);
	accel_set_sysreg(v->av, SYSREG_SPSR_EL1, cpsr);
	accel_set_reg(v->av, ACCEL_REG_CPSR, CPSR_EL1H_MASKED);
	accel_set_reg(v->av, ACCEL_REG_PC, getsys(v, SYSREG_VBAR_EL1) + off);
}

static void inject_undef(struct vcpu *v)
{
	inject_sync(v, (uint32_t)EC_UNKNOWN << 26 | 1u << 25, 0);
}

/* ---- virtual timer (HVF's model: one exit when it fires, then masked) ---- */

static bool vtimer_asserted(struct vcpu *v)
{
	return (getsys(v, SYSREG_CNTV_CTL_EL0) & 7) == 5; /* ENABLE | ISTATUS, IMASK clear */
}

/* Nanoseconds until the vtimer fires; 0 if it already has; -1 if never. */
static int64_t vtimer_ns(struct vcpu *v)
{
	uint64_t ctl = getsys(v, SYSREG_CNTV_CTL_EL0);
	if ((ctl & 3) != 1)
		return -1;
	uint64_t cval = getsys(v, SYSREG_CNTV_CVAL_EL0);
	uint64_t cnt = getsys(v, ACCEL_SYSREG(3, 3, 14, 0, 2));
	uint64_t frq = getsys(v, ACCEL_SYSREG(3, 3, 14, 0, 0));
	if (!frq)
		return -1;
	if ((int64_t)(cval - cnt) <= 0)
		return 0;
	unsigned __int128 t = (unsigned __int128)(cval - cnt) * 1000000000u / frq + 1;
	return t > (unsigned __int128)INT64_MAX ? INT64_MAX : (int64_t)t;
}

/* WFI: sleep until an interrupt is signalled, the vtimer's deadline, or the
 * VM stops. WFI may complete early, so a bounded sleep is always correct. */
static void wfi(struct vcpu *v)
{
	struct vm *vm = v->vm;
	int64_t ns = v->vtimer_irq ? -1 : vtimer_ns(v);
	if (ns == 0)
		return;
	int64_t wait = ns < 0 ? 1000000000 : ns;
	/* With the in-kernel GIC the VMM does not see interrupts (SGIs from
	 * other vCPUs above all): if WFI exits at all (unconfirmed on macOS 15;
	 * the stand-in waits inside the framework), only poll. */
	if (vm->kgic && wait > 1000000)
		wait = 1000000;
	uint64_t deadline = host_now_ns() + (uint64_t)wait;
	pthread_mutex_lock(&vm->lock);
	/* `wake` records interrupts signalled from now on; the lines already
	 * up are read after it is cleared, under the lock, so none is lost. */
	v->wake = v->kicked; /* a VCPU_KICK that came first ends the wait at once */
	v->kicked = false;
	if (!v->wake && !atomic_load(&v->irq) && !atomic_load(&v->fiq) && atomic_load(&vm->state) == VM_RUNNING &&
	    !vm->pause_req) {
		v->wfi_sleeps++;
		/* Wake at the deadline, not up to the default 50 us timer slack
		 * later (measured: timed-out WFIs woke 66-100 us late). */
		host_thread_timer_slack_min();
		while (!v->wake && atomic_load(&vm->state) == VM_RUNNING && !vm->pause_req &&
		       host_cond_wait_until(&v->cond, &vm->lock, deadline) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&vm->lock);
}

/* ---- PSCI power operations ---- */

static struct vcpu *vcpu_by_mpidr(struct vm *vm, uint64_t mpidr)
{
	for (unsigned i = 0; i < vm->ncpus; i++)
		if ((vm->vcpus[i].mpidr & 0xff00ffffffull) == (mpidr & 0xff00ffffffull))
			return &vm->vcpus[i];
	return NULL;
}

static int psci_cpu_on(void *opaque, uint64_t mpidr, uint64_t entry, uint64_t ctx)
{
	struct vm *vm = opaque;
	struct vcpu *t = vcpu_by_mpidr(vm, mpidr);
	if (!t)
		return PSCI_RET_INVALID_PARAMS;
	if (entry < vm->ram_base || entry - vm->ram_base >= vm->ram_size || (entry & 3))
		return PSCI_RET_INVALID_ADDRESS;
	int r = PSCI_RET_SUCCESS;
	pthread_mutex_lock(&vm->lock);
	if (t->power == VCPU_ON)
		r = PSCI_RET_ALREADY_ON;
	else if (t->power == VCPU_ON_PENDING)
		r = PSCI_RET_ON_PENDING;
	else {
		t->entry = entry;
		t->context = ctx;
		t->power = VCPU_ON_PENDING;
		pthread_cond_signal(&t->cond);
	}
	pthread_mutex_unlock(&vm->lock);
	return r;
}

static int psci_affinity_info(void *opaque, uint64_t mpidr)
{
	struct vm *vm = opaque;
	struct vcpu *t = vcpu_by_mpidr(vm, mpidr);
	if (!t)
		return PSCI_RET_INVALID_PARAMS;
	pthread_mutex_lock(&vm->lock);
	int r = t->power == VCPU_ON ? 0 : t->power == VCPU_OFF ? 1 : 2;
	pthread_mutex_unlock(&vm->lock);
	return r;
}

/* ---- Apple CPU services (arch/apple-services.h) ---- */

static int svc_set_sysreg(void *ctx, uint16_t enc, uint64_t val)
{
	return accel_set_sysreg(((struct vcpu *)ctx)->av, enc, val);
}

static int svc_vtimer_offset(void *ctx, uint64_t *off)
{
	struct accel_vcpu *a = ((struct vcpu *)ctx)->av;
	return a->ops->get_vtimer_offset(a, off);
}

/* VCPU_WFK: a WFI that a VCPU_KICK also ends (wfi() consumes `kicked`). */
static void svc_wait_for_kick(void *ctx, uint64_t ien)
{
	(void)ien; /* interrupts end the wait either way; the guest masks them if it must */
	wfi(ctx);
}

static int svc_kick(void *ctx, uint64_t mpidr)
{
	struct vcpu *v = ctx;
	struct vcpu *t = vcpu_by_mpidr(v->vm, mpidr);
	if (!t)
		return -1;
	pthread_mutex_lock(&v->vm->lock);
	t->kicked = true;
	t->wake = true;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&v->vm->lock);
	return 0;
}

/* Returns true if the call was Apple's (answered). `hvc #1` is what the
 * patcher makes of `hvc #0`; both reach the services. */
static bool apple_call(struct vcpu *v, uint16_t imm)
{
	if (imm > 1)
		return false;
	uint64_t x[5];
	x[0] = getreg(v, ACCEL_REG_X0);
	uint32_t oen = (uint32_t)x[0] & 0x3f000000u;
	if (x[0] >> 32 || (oen != 0x01000000u && oen != 0x03000000u)) /* CPU service / OEM only */
		return false;
	for (unsigned i = 1; i < 5; i++)
		x[i] = getreg(v, (enum accel_reg)(ACCEL_REG_X0 + i));
	const struct apple_svc_env env = { svc_set_sysreg, svc_vtimer_offset, svc_wait_for_kick, svc_kick, v };
	unsigned m = apple_svc_call(&v->vm->svc, &v->svc, &env, x);
	for (unsigned i = 0; i < 5; i++)
		if (m & (1u << i))
			accel_set_reg(v->av, (enum accel_reg)(ACCEL_REG_X0 + i), x[i]);
	return m != 0;
}

/* Returns false when this vCPU must power off. */
static bool hypercall(struct vcpu *v, bool smc)
{
	const struct psci_ops ops = { psci_cpu_on, psci_affinity_info, v->vm };
	uint16_t imm = (uint16_t)(v->ex->esr & 0xffff);
	if (!smc && apple_call(v, imm))
		return true;
	/* A patched `hvc #0` is an `hvc #1`: same answers (PSCI included). */
	if (!smc && imm == 1 && v->vm->opts.hvc_patch)
		imm = 0;
	uint64_t regs[4];
	for (unsigned i = 0; i < 4; i++)
		regs[i] = getreg(v, (enum accel_reg)(ACCEL_REG_X0 + i));
	if (smc) /* HVF reports SMC with PC at the instruction */
		advance_pc(v);
	switch (psci_call(&ops, imm, regs)) {
	case PSCI_ACT_SUSPEND:
		wfi(v);
		/* fall through */
	case PSCI_ACT_RETURN:
		accel_set_reg(v->av, ACCEL_REG_X0, regs[0]);
		return true;
	case PSCI_ACT_CPU_OFF:
		return false;
	case PSCI_ACT_SYSTEM_OFF:
		vm_request(v->vm, VM_OFF);
		return true;
	case PSCI_ACT_SYSTEM_RESET:
		vm_request(v->vm, VM_RESET);
		return true;
	}
	return true;
}

/* ---- system register traps (EC 0x18) ---- */

static void sysreg_trap(struct vcpu *v)
{
	uint32_t iss = (uint32_t)ESR_ISS(v->ex->esr);
	unsigned op0 = (iss >> 20) & 3, op2 = (iss >> 17) & 7, op1 = (iss >> 14) & 7, crn = (iss >> 10) & 15,
		 rt = (iss >> 5) & 31, crm = (iss >> 1) & 15;
	bool read = iss & 1;
	uint16_t enc = ACCEL_SYSREG(op0, op1, crn, crm, op2);
	uint64_t val = 0;
	if (v->vm->gic && gicv3_is_cpuif_reg(enc)) {
		int r;
		if (read) {
			r = gicv3_cpuif_read(v->vm->gic, v->idx, enc, &val);
		} else {
			if (rt != 31)
				val = getreg(v, (enum accel_reg)rt);
			r = gicv3_cpuif_write(v->vm->gic, v->idx, enc, val);
		}
		if (r) {
			inject_undef(v);
			return;
		}
	} else if (op0 == 2 || (op0 == 3 && crn == 9 && crm >= 12) || (op0 == 3 && op1 == 3 && crn == 14 && crm >= 8)) {
		/* Debug, OS lock, PMU (none advertised): RAZ/WI, as VMMs on HVF do. */
		val = 0;
	} else {
		inject_undef(v);
		return;
	}
	if (read && rt != 31)
		accel_set_reg(v->av, (enum accel_reg)rt, val);
	advance_pc(v);
}

/* ---- the run loop ---- */

static void fatal_exit(struct vcpu *v, const char *what)
{
	fprintf(stderr, "avmm: vCPU %u: %s: ESR 0x%" PRIx64 " at PC 0x%" PRIx64 " (VA 0x%" PRIx64 ", IPA 0x%" PRIx64
		")\n", v->idx, what, v->ex->esr, getreg(v, ACCEL_REG_PC), v->ex->va, v->ex->ipa);
	vm_request(v->vm, VM_ERROR);
}

/* An instruction fetch the accelerator could not satisfy. From an address
 * with no RAM or ROM it is reported once per vCPU (QEMU logs it as a guest
 * error), then an external abort is injected as before. When the abort's
 * own vector is the address that faulted (VBAR_EL1 still 0 with no -bios,
 * or pointing at nothing), the vCPU can never make progress: QEMU would spin
 * at 100% CPU forever; we stop the VM with an error (exit status 1).
 * Returns true when the VM is stopped. */
static bool iabt_no_ram(struct vcpu *v)
{
	const struct accel_exit *ex = v->ex;
	if (v->vm->mem.ram(v->vm->mem.opaque, ex->ipa, 4))
		return false; /* RAM there: a permission fault, not a missing image */
	uint64_t cpsr = getreg(v, ACCEL_REG_CPSR);
	unsigned el = (cpsr >> 2) & 3;
	uint64_t vec = getsys(v, SYSREG_VBAR_EL1) + (el == 0 ? 0x400 : (cpsr & 1) ? 0x200 : 0);
	bool stuck = el == 1 && vec == ex->va;
	if (!v->noram_reported || stuck) {
		char ipa[40] = "";
		if (ex->ipa != ex->va) /* the MMU is on */
			snprintf(ipa, sizeof(ipa), " (IPA 0x%" PRIx64 ")", ex->ipa);
		fprintf(stderr,
			"avmm: vCPU %u: guest executes at 0x%" PRIx64 "%s where there is no RAM or ROM "
			"(check -kernel/-bios)%s\n",
			v->idx, ex->va, ipa,
			stuck ? "; the exception vector for that abort is the same address, so the vCPU cannot make "
				"progress: stopping the VM"
			      : "; injecting an external abort");
	}
	v->noram_reported = true;
	if (stuck)
		vm_request(v->vm, VM_ERROR);
	return stuck;
}

/* Runs until the vCPU powers off (returns true) or the VM stops (false). */
static bool run_powered(struct vcpu *v)
{
	struct vm *vm = v->vm;
	const struct accel_exit *ex = v->ex;
	while (atomic_load(&vm->state) == VM_RUNNING) {
		vcpu_park(v);
		if (atomic_load(&vm->state) != VM_RUNNING)
			break;
		accel_set_pending_interrupt(v->av, ACCEL_IRQ, atomic_load(&v->irq));
		accel_set_pending_interrupt(v->av, ACCEL_FIQ, atomic_load(&v->fiq));
		atomic_store(&v->in_guest, true);
		int r = accel_vcpu_run(v->av);
		atomic_store(&v->in_guest, false);
		atomic_fetch_add_explicit(&v->run_seq, 1, memory_order_relaxed);
		if (r) {
			fprintf(stderr, "avmm: vCPU %u: run failed: %s\n", v->idx, strerror(-r));
			vm_request(vm, VM_ERROR);
			return false;
		}
		v->exits++;
		if (ex->reason == ACCEL_EXIT_MMIO) { /* decoded by the accelerator (KVM) */
			r = mmio_exit_access(&v->dabt, ex);
			if (r < 0) {
				fatal_exit(v, "MMIO access not completed");
				return false;
			}
			if (r == MMIO_EXIT_UNCLAIMED && v->dabt.n_unclaimed <= 10)
				fprintf(stderr, "avmm: vCPU %u: %s of %u bytes at IPA 0x%" PRIx64 ": no device there\n", v->idx,
					ex->mmio.write ? "write" : "read", ex->mmio.len, ex->ipa);
			continue;
		}
		if (ex->reason == ACCEL_EXIT_SYSTEM_EVENT) { /* PSCI in the accelerator */
			vm_request(vm, ex->event == ACCEL_EVENT_OFF ? VM_OFF : ex->event == ACCEL_EVENT_RESET ? VM_RESET : VM_ERROR);
			continue;
		}
		if (ex->reason == ACCEL_EXIT_VTIMER_ACTIVATED) {
			/* The framework has masked the vtimer. With the in-kernel
			 * GIC the timer's PPI is the framework's (HVF documents no
			 * such exit then, but nothing says it cannot come): only
			 * unmask below once the timer condition is gone, as QEMU
			 * does, instead of stopping the VM. */
			v->vtimer_irq = true;
			if (vm->gic)
				gicv3_set_ppi(vm->gic, v->idx, PPI_VTIMER, true);
			continue;
		}
		if (v->vtimer_irq && !vtimer_asserted(v)) {
			v->vtimer_irq = false;
			if (vm->gic) {
				gicv3_set_ppi(vm->gic, v->idx, PPI_VTIMER, false);
				accel_set_pending_interrupt(v->av, ACCEL_IRQ, atomic_load(&v->irq));
			}
			v->av->ops->set_vtimer_mask(v->av, false);
		}
		if (ex->reason == ACCEL_EXIT_CANCELED) {
			/* A watchdog kick: is the vCPU spinning on a refused call? */
			if (atomic_exchange(&v->wd_check, false) && hvc_patch_check_spin(&vm->patch, v->av, &vm->mem) < 0) {
				fatal_exit(v, "hvc-patch watchdog failed");
				return false;
			}
			continue;
		}
		if (ex->reason != ACCEL_EXIT_EXCEPTION) {
			fatal_exit(v, "unexpected exit reason");
			return false;
		}
		switch (ESR_EC(ex->esr)) {
		case EC_DABT_LOWER:
			/* A store to a page made executable by hvc-patch. */
			r = vm->opts.hvc_patch ? hvc_patch_write_fault(&vm->patch, ex, v->av, &vm->mem) : 0;
			if (r < 0) {
				fatal_exit(v, "hvc-patch write fault not resolved");
				return false;
			}
			if (r)
				break;
			r = mmio_exit_handle(&v->dabt, ex);
			if (r < 0) {
				fatal_exit(v, "data abort not completed");
				return false;
			}
			if (r == MMIO_EXIT_INJECTED && v->dabt.n_injected <= 10)
				fprintf(stderr, "avmm: vCPU %u: external abort injected at PC 0x%" PRIx64
						" (instruction %08x, VA 0x%" PRIx64 ")\n",
					v->idx, v->dabt.last_inject_pc, v->dabt.last_insn, v->dabt.last_inject_va);
			break;
		case EC_HVC64:
			if (!hypercall(v, false))
				return true;
			break;
		case EC_SMC64:
			if (!hypercall(v, true))
				return true;
			break;
		case EC_SYSREG:
			sysreg_trap(v);
			break;
		case EC_WFX:
			if (!(ex->esr & 1)) /* WFI */
				wfi(v);
			else /* WFE: a spin-wait; let the vCPU it waits for run (the host may have fewer CPUs) */
				sched_yield();
			advance_pc(v);
			break;
		case EC_IABT_LOWER:
			/* First fetch from a page hvc-patch has not scanned yet. */
			r = vm->opts.hvc_patch ? hvc_patch_exec_fault(&vm->patch, ex) : 0;
			if (r < 0) {
				fatal_exit(v, "hvc-patch exec fault not resolved");
				return false;
			}
			if (r)
				break;
			/* Fetch from an address with no RAM: an external abort. */
			if (iabt_no_ram(v))
				return false;
			inject_sync(v, (uint32_t)((getreg(v, ACCEL_REG_CPSR) & 0xc) ? EC_IABT_CUR : EC_IABT_LOWER) << 26 |
					       1u << 25 | 0x10,
				    ex->va);
			break;
		default:
			fatal_exit(v, "unhandled exit");
			return false;
		}
	}
	return false;
}

/* Power-on state (PSCI CPU_ON / boot): EL1h (EL2h with el2=on),
 * interrupts masked, MMU off, x0 = context. */
static void power_on_regs(struct vcpu *v, uint64_t entry, uint64_t ctx)
{
	struct accel_vcpu *av = v->av;
	for (unsigned i = 0; i < 31; i++)
		accel_set_reg(av, (enum accel_reg)(ACCEL_REG_X0 + i), 0);
	accel_set_reg(av, ACCEL_REG_X0, ctx);
	accel_set_sysreg(av, SYSREG_SCTLR_EL1, SCTLR_RESET);
	accel_set_reg(av, ACCEL_REG_CPSR, v->vm->opts.el2 ? CPSR_EL2H_MASKED : CPSR_EL1H_MASKED);
	accel_set_reg(av, ACCEL_REG_PC, entry);
}

/* With PSCI in the accelerator the vCPU's id is its creation order (KVM
 * derives MPIDR and the redistributor from it) and nothing may run before
 * every vCPU exists: create in index order, then wait for the rest. */
static int vcpu_create_ordered(struct vcpu *v, struct accel_vcpu **av)
{
	struct vm *vm = v->vm;
	pthread_mutex_lock(&vm->lock);
	while (vm->vcpus_created != v->idx && atomic_load(&vm->state) == VM_RUNNING)
		pthread_cond_wait(&vm->create_cond, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
	int r = atomic_load(&vm->state) == VM_RUNNING ? accel_vcpu_create(vm->avm, av, &v->ex) : -ECANCELED;
	pthread_mutex_lock(&vm->lock);
	vm->vcpus_created++;
	pthread_cond_broadcast(&vm->create_cond);
	while (!r && vm->vcpus_created < vm->ncpus && atomic_load(&vm->state) == VM_RUNNING)
		pthread_cond_wait(&vm->create_cond, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
	return r;
}

/* This vCPU thread has left its run loop (or never entered it): wait until
 * every other one has too before any vCPU is destroyed, so none can still
 * reach into another's state (the soft CPU's TLB shoot-down does). */
static void vcpu_done_running(struct vcpu *v)
{
	struct vm *vm = v->vm;
	pthread_mutex_lock(&vm->lock);
	if (--vm->vcpus_running == 0)
		pthread_cond_broadcast(&vm->create_cond);
	while (vm->vcpus_running)
		pthread_cond_wait(&vm->create_cond, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	struct accel_vcpu *av;
	bool kpsci = vm->ops->caps & ACCEL_CAP_KERNEL_PSCI;
	char name[16];
	snprintf(name, sizeof(name), "vcpu%u", v->idx);
	host_thread_name(name);
	atomic_store(&v->tid, host_thread_id());
	int r = kpsci ? vcpu_create_ordered(v, &av) : accel_vcpu_create(vm->avm, &av, &v->ex);
	if (r && r != -ECANCELED) {
		fprintf(stderr, "avmm: cannot create vCPU %u: %s\n", v->idx, strerror(-r));
		vm_request(vm, VM_ERROR);
	}
	if (r) {
		vcpu_done_running(v);
		return NULL;
	}
	atomic_store(&v->av, av);
	accel_set_sysreg(av, SYSREG_MPIDR_EL1, v->mpidr);
	v->dabt = (struct mmio_exit){ .vcpu = av, .mem = &vm->mem, .features = INSN_EMU_F_ALL };
	if (kpsci) {
		/* vCPU 0 boots; the others wait inside the accelerator's run for
		 * the guest's CPU_ON. Power-off ends the VM (SYSTEM_EVENT). */
		if (!v->idx)
			power_on_regs(v, v->entry, v->context);
		if (atomic_load(&vm->state) == VM_RUNNING)
			run_powered(v);
	}
	while (!kpsci) {
		pthread_mutex_lock(&vm->lock);
		v->paused = true; /* powered off: nothing to park */
		pthread_cond_broadcast(&vm->main_cond);
		while (v->power == VCPU_OFF && atomic_load(&vm->state) == VM_RUNNING)
			pthread_cond_wait(&v->cond, &vm->lock);
		v->paused = false;
		uint64_t entry = v->entry, ctx = v->context;
		if (atomic_load(&vm->state) == VM_RUNNING)
			v->power = VCPU_ON;
		pthread_mutex_unlock(&vm->lock);
		if (atomic_load(&vm->state) != VM_RUNNING)
			break;
		power_on_regs(v, entry, ctx);
		if (!run_powered(v))
			break;
		pthread_mutex_lock(&vm->lock);
		v->power = VCPU_OFF;
		pthread_mutex_unlock(&vm->lock);
	}
	vcpu_done_running(v);
	if (vm->opts.stats && vm->ops == &accel_soft_ops) {
		extern void soft_print_stats(struct accel_vcpu *v, FILE *f);
		fprintf(stderr, "avmm: vCPU %u: ", v->idx);
		soft_print_stats(av, stderr);
	}
	/* A vCPU is destroyed on its own thread (HVF's rule). */
	pthread_mutex_lock(&vm->lock);
	atomic_store(&v->av, NULL);
	pthread_mutex_unlock(&vm->lock);
	accel_vcpu_destroy(av);
	return NULL;
}

/* Per-boot Apple service state; hvc-patch: RAM without EXEC, the watchdog. */
static int apple_setup(struct vm *vm)
{
	int r = apple_svc_init(&vm->svc);
	if (r) {
		fprintf(stderr, "avmm: no random numbers for the Apple service keys: %s\n", strerror(-r));
		return r;
	}
	if (!vm->opts.hvc_patch)
		return 0;
	/* hv_vm_protect works on 16 KiB host pages; the soft CPU on 4 KiB. */
	uint64_t granule = vm->ops == &accel_soft_ops ? 0x1000 : 0x4000;
	r = hvc_patch_init(&vm->patch, vm->opts.hvc_patch, vm->avm, vm->ram, vm->ram_base, vm->ram_size, granule);
	vm->patch.debug = vm->opts.debug_hvc_patch;
	vm->patch.vm = vm; /* an RWX page starts the watchdog */
	if (!r && (vm->opts.hvc_patch & HVC_PATCH_WATCHDOG))
		r = hvc_patch_watchdog_start(&vm->patch, vm);
	if (r)
		fprintf(stderr, "avmm: hvc-patch: cannot set up: %s\n", strerror(-r));
	return r;
}

/* Every vCPU back to its power-on state for a new boot (the threads are
 * gone: no lock needed, but take it for the analyzers). */
static void vcpus_boot_state(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		v->power = VCPU_OFF;
		v->entry = v->context = 0;
		v->wake = v->kicked = false;
		v->vtimer_irq = false;
		v->thread_started = false;
		v->paused = false;
		memset(&v->svc, 0, sizeof(v->svc));
		atomic_store(&v->wd_check, false);
		atomic_store(&v->in_guest, false);
	}
	vm->vcpus[0].power = VCPU_ON_PENDING;
	vm->vcpus[0].entry = vm->boot_pc;
	vm->vcpus[0].context = vm->boot_x0;
	vm->vcpus_created = 0;
	vm->vcpus_running = vm->ncpus;
	pthread_mutex_unlock(&vm->lock);
}

enum vm_state vm_run(struct vm *vm)
{
	vcpus_boot_state(vm);
	vm->boots++;
	if (apple_setup(vm))
		return VM_ERROR;
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (pthread_create(&v->thread, NULL, vcpu_thread, v)) {
			fprintf(stderr, "avmm: cannot start the thread of vCPU %u\n", i);
			pthread_mutex_lock(&vm->lock);
			vm->vcpus_running -= vm->ncpus - i; /* those never started */
			pthread_cond_broadcast(&vm->create_cond);
			pthread_mutex_unlock(&vm->lock);
			vm_request(vm, VM_ERROR);
			break;
		}
		v->thread_started = true;
	}
	/* The main loop runs here until the state changes (vm_request stops
	 * it); without one, wait on main_cond. */
	while (atomic_load(&vm->state) == VM_RUNNING) {
		struct evloop *l = atomic_load(&vm->loop);
		if (l) {
			int r = evloop_run(l);
			if (r) {
				fprintf(stderr, "avmm: the main loop failed: %s\n", strerror(-r));
				vm_request(vm, VM_ERROR);
			}
			continue;
		}
		pthread_mutex_lock(&vm->lock);
		while (atomic_load(&vm->state) == VM_RUNNING)
			pthread_cond_wait(&vm->main_cond, &vm->lock);
		pthread_mutex_unlock(&vm->lock);
	}
	vm_request(vm, (enum vm_state)atomic_load(&vm->state)); /* wake every vCPU */
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (!v->thread_started)
			continue;
		pthread_join(v->thread, NULL);
	}
	if (vm->opts.hvc_patch) {
		hvc_patch_watchdog_stop(&vm->patch);
		if (vm->opts.stats || vm->opts.debug_hvc_patch)
			hvc_patch_print_stats(&vm->patch, stderr);
		hvc_patch_destroy(&vm->patch);
	}
	if (vm->opts.stats)
		for (unsigned i = 0; i < vm->ncpus; i++)
			if (vm->vcpus[i].svc.calls)
				fprintf(stderr, "avmm: vCPU %u: %" PRIu64 " Apple service calls, %" PRIu64 " key writes failed\n",
					i, vm->vcpus[i].svc.calls, vm->vcpus[i].svc.key_errors);
	return (enum vm_state)atomic_load(&vm->state);
}
