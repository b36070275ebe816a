/* Soft CPU: vCPUs destroyed and created while others are in the middle of
 * broadcast TLB maintenance (issue 12, defect 2).
 *
 * A broadcast TLBI waits until every other running vCPU has applied it. A
 * guest that powers off while its CPUs run TLBI loops has its vCPUs leave
 * and be destroyed, each on its own thread, while the others still wait:
 * the waiters must never read a destroyed vCPU (the old code read its
 * state after the free: ASan reports a heap-use-after-free), and must not
 * wait for a vCPU that left. In-process reset also creates new vCPUs while
 * others run, so here every thread destroys its vCPU and creates the next
 * one again and again while the other threads' vCPUs run TLBI loops, for
 * many rounds, so that a sanitizer build sees the races. Each run must end
 * at its HVC with the loop finished (x0 = 0); a waiter stuck on a vCPU
 * that is gone would hang the test (the suite's timeout). */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "accel/accel.h"
#include "check.h"

#define BASE 0x40000000ull
#define RAM_SIZE (2ull << 20)
#define THREADS 4
#define BOOTS 20  /* VMs, one after the other */
#define ROUNDS 12 /* vCPUs each thread creates and destroys per VM */
#define EL1H_MASKED 0x3c5ull
#define EC_HVC64 0x16u

static struct accel_vm *vm;
static _Atomic unsigned started; /* a start line (macOS has no pthread barriers) */
static _Atomic unsigned bad_exits, bad_x0, create_fail;

/* loop: tlbi vmalle1is; dsb ish; tlbi vae1is, x1; dsb ish;
 *       subs x0, x0, #1; b.ne loop; hvc #0 */
static const uint32_t code[] = {
	0xd508831fu, 0xd5033b9fu, 0xd5088321u, 0xd5033b9fu, 0xf1000400u, 0x54ffff61u, 0xd4000002u,
};

static void *churn(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	for (started++; started < THREADS;)
		sched_yield();
	for (unsigned r = 0; r < ROUNDS; r++) {
		struct accel_vcpu *cpu;
		const struct accel_exit *ex;
		if (accel_vcpu_create(vm, &cpu, &ex)) {
			create_fail++;
			continue;
		}
		/* Different lengths, so that vCPUs leave while others loop. */
		uint64_t n = 8 + (id * 131 + r * 71) % 40;
		accel_set_reg(cpu, ACCEL_REG_X0, n);
		accel_set_reg(cpu, (enum accel_reg)(ACCEL_REG_X0 + 1), (BASE + 0x1000 * r) >> 12);
		accel_set_reg(cpu, ACCEL_REG_PC, BASE);
		accel_set_reg(cpu, ACCEL_REG_CPSR, EL1H_MASKED);
		int rc;
		do /* a cancel is not what ends the loop: run on */
			rc = accel_vcpu_run(cpu);
		while (!rc && ex->reason == ACCEL_EXIT_CANCELED);
		uint64_t x0 = ~0ull;
		accel_get_reg(cpu, ACCEL_REG_X0, &x0);
		if (rc || ex->reason != ACCEL_EXIT_EXCEPTION || (ex->esr >> 26) != EC_HVC64)
			bad_exits++;
		else if (x0 != 0)
			bad_x0++;
		accel_vcpu_destroy(cpu); /* "power off": gone while others TLBI */
	}
	return NULL;
}

int main(void)
{
	uint8_t *ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED) {
		printf("FAIL mmap\n");
		return 1;
	}
	memcpy(ram, code, sizeof(code));
	for (unsigned b = 0; b < BOOTS; b++) {
		struct accel_vm_config cfg = { 0 };
		if (accel_vm_create(&accel_soft_ops, &cfg, &vm) ||
		    accel_map(vm, ram, BASE, RAM_SIZE, ACCEL_MEM_READ | ACCEL_MEM_WRITE | ACCEL_MEM_EXEC)) {
			printf("FAIL soft CPU set-up\n");
			return 1;
		}
		pthread_t t[THREADS];
		started = 0;
		for (unsigned i = 0; i < THREADS; i++)
			pthread_create(&t[i], NULL, churn, (void *)(uintptr_t)i);
		for (unsigned i = 0; i < THREADS; i++)
			pthread_join(t[i], NULL);
		accel_vm_destroy(vm);
	}
	check(create_fail == 0, "%u vCPU creations failed", create_fail);
	check(bad_exits == 0, "%u runs did not end at the HVC", bad_exits);
	check(bad_x0 == 0, "%u runs ended with the loop unfinished", bad_x0);
	printf("%u VMs, %u threads, %u vCPUs each\n", BOOTS, THREADS, ROUNDS);
	munmap(ram, RAM_SIZE);
	return check_summary();
}
