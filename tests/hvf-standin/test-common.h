/* Scaffolding shared by the stand-in's test programs (test-contract.c,
 * test-gic.c, test-accel-hvf.c): counted checks, a 64 KiB guest RAM at
 * RAM_IPA, a few instruction words, a VM brought up and down through the
 * framework. Each program is one translation unit, so the state below is
 * that program's own. */
#ifndef AVMM_HVF_STANDIN_TEST_COMMON_H
#define AVMM_HVF_STANDIN_TEST_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <Hypervisor/Hypervisor.h>

static int failures, checks;

#define CHECK(cond)                                                                                          \
	do {                                                                                                 \
		checks++;                                                                                    \
		if (!(cond)) {                                                                               \
			failures++;                                                                          \
			fprintf(stderr, "%s:%d: %s: check failed: %s\n", __FILE__, __LINE__, __func__, #cond); \
		}                                                                                            \
	} while (0)
#define CHECK_HV(call, want) CHECK((call) == (want))

#define RAM_IPA 0x40000000ull
#define RAM_SIZE 0x10000ull
#define VBAR_OFF 0x800u

/* A64 encodings the guest snippets share. */
#define I_HVC(imm) (0xd4000002u | (uint32_t)(imm) << 5)
#define I_B_SELF 0x14000000u

#define CPSR_EL1H_MASKED 0x3c5u
#define CPSR_EL1H_IRQ_ON 0x345u /* D, A, F masked; I clear */

static uint8_t *ram;

static inline void put(uint64_t off, uint32_t insn)
{
	memcpy(ram + off, &insn, 4);
}

/* A VM with the RAM mapped RWX at RAM_IPA, zeroed. */
static inline void vm_up(void)
{
	CHECK_HV(hv_vm_create(NULL), HV_SUCCESS);
	memset(ram, 0, RAM_SIZE);
	CHECK_HV(hv_vm_map(ram, RAM_IPA, RAM_SIZE, HV_MEMORY_READ | HV_MEMORY_WRITE | HV_MEMORY_EXEC), HV_SUCCESS);
}

static inline void vm_down(void)
{
	CHECK_HV(hv_vm_unmap(RAM_IPA, RAM_SIZE), HV_SUCCESS);
	CHECK_HV(hv_vm_destroy(), HV_SUCCESS);
}

static inline uint64_t reg(hv_vcpu_t v, hv_reg_t r)
{
	uint64_t x = 0xdeadbeef;
	CHECK_HV(hv_vcpu_get_reg(v, r, &x), HV_SUCCESS);
	return x;
}

/* The RAM, and a time limit: a missing exit shows up as a spinning run,
 * which must fail the test rather than hang it. 0 or -1. */
static inline int test_start(void)
{
	alarm(20);
	ram = aligned_alloc(0x4000, RAM_SIZE);
	return ram ? 0 : -1;
}

/* The summary line; the exit status. */
static inline int test_finish(const char *what)
{
	free(ram);
	printf("%s: %d checks, %d failed\n", what, checks, failures);
	return failures ? 1 : 0;
}

#endif
