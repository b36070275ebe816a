/* Soft CPU: per-page metadata of guest RAM costs nothing until used (issue
 * 12, defect 10).
 *
 * The soft CPU keeps permissions, a write generation and a code flag per
 * 4 KiB page of RAM. The old code filled the permission array when RAM was
 * mapped, so mapping 1 TiB made the process resident by 256 MiB before the
 * guest ran an instruction (-m 4096G: 1 GiB). Here 1 TiB of host address
 * space (never touched) is mapped as guest RAM: the peak RSS must grow by
 * far less than that, and the metadata must still work where it is used
 * (code at both ends of the region runs; a page protected without EXEC
 * stops execution with a stage-2 fault, as under HVF; unprotected again,
 * it runs). */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "accel/accel.h"
#include "check.h"

#define BASE 0x40000000ull
#define RAM_SIZE (1ull << 40)
#define EL1H_MASKED 0x3c5ull
#define EC_HVC64 0x16u
#define EC_IABT_LOWER 0x20u
#define RWX (ACCEL_MEM_READ | ACCEL_MEM_WRITE | ACCEL_MEM_EXEC)

static uint64_t peak_rss_kib(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
#ifdef __APPLE__
	return (uint64_t)ru.ru_maxrss >> 10; /* bytes there, KiB on Linux */
#else
	return (uint64_t)ru.ru_maxrss;
#endif
}

static struct accel_vcpu *cpu;
static const struct accel_exit *ex;

/* Run `movz x0, #7; hvc #0` at off; returns the exit's EC (x0 checked). */
static unsigned run_at(uint8_t *ram, uint64_t off)
{
	const uint32_t w[] = { 0xd28000e0u, 0xd4000002u };
	memcpy(ram + off, w, sizeof(w));
	accel_set_reg(cpu, ACCEL_REG_X0, 0);
	accel_set_reg(cpu, ACCEL_REG_PC, BASE + off);
	accel_set_reg(cpu, ACCEL_REG_CPSR, EL1H_MASKED);
	int rc;
	do
		rc = accel_vcpu_run(cpu);
	while (!rc && ex->reason == ACCEL_EXIT_CANCELED);
	if (rc || ex->reason != ACCEL_EXIT_EXCEPTION)
		return ~0u;
	uint64_t x0 = 0;
	accel_get_reg(cpu, ACCEL_REG_X0, &x0);
	unsigned ec = (unsigned)(ex->esr >> 26);
	return ec == EC_HVC64 && x0 != 7 ? ~0u : ec;
}

int main(void)
{
	uint8_t *ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED) {
		printf("SKIP: the host gives no 1 TiB of address space\n");
		return 77;
	}
	struct accel_vm *vm;
	struct accel_vm_config cfg = { 0 };
	if (accel_vm_create(&accel_soft_ops, &cfg, &vm) || accel_vcpu_create(vm, &cpu, &ex)) {
		printf("FAIL soft CPU set-up\n");
		return 1;
	}
	uint64_t before = peak_rss_kib();
	int r = accel_map(vm, ram, BASE, RAM_SIZE, RWX);
	EQ(r, 0);
	uint64_t after = peak_rss_kib();
	/* The old code: +256 MiB. Now a few pages of the tables. */
	CHECK(after - before < 32 * 1024, "mapping 1 TiB of RAM grew the peak RSS by %llu MiB",
	      (unsigned long long)(after - before) >> 10);

	EQ(run_at(ram, 0), EC_HVC64);
	EQ(run_at(ram, RAM_SIZE - 0x1000), EC_HVC64);
	const uint64_t mid = RAM_SIZE / 2;
	EQ(accel_protect(vm, BASE + mid, 0x1000, ACCEL_MEM_READ | ACCEL_MEM_WRITE), 0);
	EQ(run_at(ram, mid), EC_IABT_LOWER);
	EQ(run_at(ram, mid + 0x1000), EC_HVC64); /* its neighbour keeps the mapping's rights */
	EQ(accel_protect(vm, BASE + mid, 0x1000, RWX), 0);
	EQ(run_at(ram, mid), EC_HVC64);
	printf("peak RSS %llu KiB before mapping 1 TiB, %llu KiB after, %llu KiB at the end\n",
	       (unsigned long long)before, (unsigned long long)after, (unsigned long long)peak_rss_kib());

	accel_vcpu_destroy(cpu);
	accel_vm_destroy(vm);
	munmap(ram, RAM_SIZE);
	return check_summary();
}
