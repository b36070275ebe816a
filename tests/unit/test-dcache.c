/* Soft CPU: the decoded-code cache has a budget (issue 12, defect 4).
 *
 * The old cache kept up to 8192 decoded pages per vCPU (200 MB) whatever
 * the guest's size, and aborted when an allocation failed. Now each vCPU
 * holds at most its share of a budget that scales with RAM and the number
 * of vCPUs, and drops everything and refills when the share is reached.
 * Here code runs through more distinct pages than the budget holds: the
 * result must be right (every page is decoded again after it was evicted,
 * including a page the host rewrote after its eviction), the cache must
 * stay within the budget it reports, and a second vCPU must shrink the
 * first one's share. On the old code the cache grows past the budget this
 * test computes (the stats it reads do not exist there). */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "accel/accel.h"
#include "cpu/cpu.h"
#include "check.h"

#define BASE 0x40000000ull
#define RAM_SIZE (16ull << 20)
#define PAGES 3500 /* pages of code, 14 MiB: decoded, about 84 MiB */
#define EL1H_MASKED 0x3c5ull
#define EC_HVC64 0x16u
#define ADD_X0_1 0x91000400u   /* add x0, x0, #1 */
#define ADD_X0_2 0x91000800u   /* add x0, x0, #2 */
#define B_NEXT_PAGE 0x140003ffu /* b . + 4092: the next page's first word */
#define HVC0 0xd4000002u

static uint8_t *ram;
static struct accel_vm *vm;

static void put32(uint64_t off, uint32_t w)
{
	memcpy(ram + off, &w, 4);
}

/* Run the page chain on cpu; returns x0, or ~0 for a wrong exit. */
static uint64_t run_chain(struct accel_vcpu *cpu, const struct accel_exit *ex)
{
	accel_set_reg(cpu, ACCEL_REG_X0, 0);
	accel_set_reg(cpu, ACCEL_REG_PC, BASE);
	accel_set_reg(cpu, ACCEL_REG_CPSR, EL1H_MASKED);
	int rc;
	do
		rc = accel_vcpu_run(cpu);
	while (!rc && ex->reason == ACCEL_EXIT_CANCELED);
	if (rc || ex->reason != ACCEL_EXIT_EXCEPTION || (ex->esr >> 26) != EC_HVC64)
		return ~0ull;
	uint64_t x0 = ~0ull;
	accel_get_reg(cpu, ACCEL_REG_X0, &x0);
	return x0;
}

int main(void)
{
	struct accel_vm_config cfg = { 0 };
	struct accel_vcpu *cpu, *cpu2;
	const struct accel_exit *ex, *ex2;
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED || accel_vm_create(&accel_soft_ops, &cfg, &vm) ||
	    accel_map(vm, ram, BASE, RAM_SIZE, ACCEL_MEM_READ | ACCEL_MEM_WRITE | ACCEL_MEM_EXEC) ||
	    accel_vcpu_create(vm, &cpu, &ex)) {
		printf("FAIL soft CPU set-up\n");
		return 1;
	}
	for (uint64_t p = 0; p < PAGES; p++) {
		put32(p * 0x1000, ADD_X0_1);
		put32(p * 0x1000 + 4, p + 1 < PAGES ? B_NEXT_PAGE : HVC0);
	}
	const struct a64_stats *st = soft_vcpu_stats(cpu);

	EQ(run_chain(cpu, ex), PAGES);
	uint64_t budget1 = st->dcache_budget_bytes;
	CHECK(budget1 > 0 && budget1 < (uint64_t)PAGES * 6 * 4096, "budget %llu below what the code needs",
	      (unsigned long long)budget1);
	CHECK(st->dcache_peak_bytes <= budget1, "peak %llu KiB over the budget %llu KiB",
	      (unsigned long long)st->dcache_peak_bytes >> 10, (unsigned long long)budget1 >> 10);
	CHECK(st->dcache_flushes >= 2, "the cache was emptied %llu times", (unsigned long long)st->dcache_flushes);
	EQ(st->decoded, 2 * PAGES);

	/* Again: everything evicted is decoded afresh. */
	EQ(run_chain(cpu, ex), PAGES);
	EQ(st->decoded, 4 * PAGES);
	CHECK(st->dcache_bytes <= budget1, "%llu bytes held", (unsigned long long)st->dcache_bytes);

	/* A page whose decoded copy is long gone is rewritten by the host
	 * (which the CPU does not see): the rewrite must show, as must the
	 * untouched pages decoded afresh. */
	put32(5 * 0x1000, ADD_X0_2);
	accel_code_written(vm, ram + 5 * 0x1000, 4);
	EQ(run_chain(cpu, ex), PAGES + 1);

	/* A second vCPU halves the first one's share (the VM's budget is
	 * spread over its vCPUs); both run the chain correctly within it. */
	if (accel_vcpu_create(vm, &cpu2, &ex2)) {
		printf("FAIL second vCPU\n");
		return 1;
	}
	EQ(run_chain(cpu, ex), PAGES + 1);
	uint64_t budget2 = st->dcache_budget_bytes;
	CHECK(budget2 < budget1, "budget with two vCPUs %llu, with one %llu", (unsigned long long)budget2,
	      (unsigned long long)budget1);
	CHECK(st->dcache_bytes <= budget2, "%llu bytes held", (unsigned long long)st->dcache_bytes);
	EQ(run_chain(cpu2, ex2), PAGES + 1);
	const struct a64_stats *st2 = soft_vcpu_stats(cpu2);
	CHECK(st2->dcache_peak_bytes <= budget2, "second vCPU: peak %llu over %llu",
	      (unsigned long long)st2->dcache_peak_bytes, (unsigned long long)budget2);
	printf("budget %llu KiB with one vCPU, %llu KiB each with two; %llu flushes\n",
	       (unsigned long long)budget1 >> 10, (unsigned long long)budget2 >> 10,
	       (unsigned long long)st->dcache_flushes);

	accel_vcpu_destroy(cpu2);
	accel_vcpu_destroy(cpu);
	accel_vm_destroy(vm);
	munmap(ram, RAM_SIZE);
	return check_summary();
}
