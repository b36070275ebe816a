/* Soft CPU: TLB invalidation by VA and the run-loop shortcuts, through the
 * accelerator interface with guest code.
 *
 * A TLBI by VA drops only that VA's entries on the issuing vCPU, and the
 * soft TLB holds 4 KiB pieces of larger blocks, so the cases that matter
 * are the ones a slot-only invalidation would get wrong: a TLBI naming a
 * different 4 KiB page of a 2 MiB block must still drop the block's other
 * pieces (Arm ARM D8.13: a TLBI by VA invalidates every entry used to
 * translate that VA, and a block entry translates the whole block), for
 * data and for instruction fetches; every TLBI-by-VA form (VAE1, VALE1,
 * VAAE1, VAALE1, IS and not) makes a changed page descriptor visible; the
 * ASID bits of Xt (63:48) do not stop it. Also: MSR DAIF (register form)
 * that unmasks a pending IRQ takes it before the next instruction, and
 * one that leaves it masked does not.
 *
 * Expected values are the data the test itself placed at the physical
 * pages the descriptors point to. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "accel/accel.h"
#include "check.h"



/* Guest physical memory: 8 MiB at BASE. VA = PA in the first 2 MiB (code
 * and tables, one block); VA PAGES.. has 4 KiB pages; VA BLK.. is one 2 MiB
 * block, pointing at PA BLK or ALT. */
#define BASE 0x40000000ull
#define RAM_SIZE (8ull << 20)
#define CODE BASE
#define VEC (BASE + 0x10000)
#define TABLES (BASE + 0x100000)
#define PAGES (BASE + 0x200000)
#define BLK (BASE + 0x400000)
#define ALT (BASE + 0x600000)

#define PTE_AF (1ull << 10)


static uint8_t *gram;
static struct accel_vcpu *cpu;
static const struct accel_exit *vexit;

static uint64_t *gq(uint64_t pa)
{
	return (uint64_t *)(void *)(gram + (pa - BASE));
}
static void put32(uint64_t pa, uint32_t w)
{
	memcpy(gram + (pa - BASE), &w, 4);
}
static void put_insns(uint64_t pa, const uint32_t *w, unsigned n)
{
	memcpy(gram + (pa - BASE), w, 4 * n);
}

static uint64_t xreg(unsigned n)
{
	uint64_t v = 0;
	accel_get_reg(cpu, (enum accel_reg)n, &v);
	return v;
}
static uint64_t sreg(uint16_t enc)
{
	uint64_t v = 0;
	accel_get_sysreg(cpu, enc, &v);
	return v;
}

/* Run from pc at EL1h (interrupts masked unless daif says otherwise) until
 * an exit; returns the BRK immediate, or -1 for any other exit. */
static int run_at(uint64_t pc, uint64_t cpsr)
{
	accel_set_reg(cpu, ACCEL_REG_PC, pc);
	accel_set_reg(cpu, ACCEL_REG_CPSR, cpsr);
	accel_vcpu_run(cpu);
	if (vexit->reason != ACCEL_EXIT_EXCEPTION || ESR_EC(vexit->esr) != EC_BRK)
		return -1;
	return (int)(vexit->esr & 0xffff);
}
#define EL1H_MASKED 0x3c5ull

#define LDR_X1_X0 0xf9400001u
#define BRK(n) (0xd4200000u | (uint32_t)(n) << 5)
#define MOVZ_X1(n) (0xd2800001u | (uint32_t)(n) << 5)
#define DSB_ISH 0xd5033b9fu
#define ISB 0xd5033fdfu
#define BLR_X0 0xd63f0000u
#define MSR_DAIF_XZR 0xd51b423fu

/* TLBI <op>, X2 encodings: VALE1IS, VAE1IS, VAAE1IS, VAALE1IS, VAE1. */
static const struct {
	uint32_t insn;
	const char *name;
} tlbi_ops[] = {
	{ 0xd50883a2u, "VALE1IS" }, { 0xd5088322u, "VAE1IS" }, { 0xd5088362u, "VAAE1IS" },
	{ 0xd50883e2u, "VAALE1IS" }, { 0xd5088722u, "VAE1" },
};

/* A stub at `at`: tlbi <insn>, x2; dsb ish; ldr x1, [x0]; brk #0. Every
 * stub has an address of its own: code is written from the host, which the
 * CPU's decoded copy does not see. */
static void put_tlbi_load(uint64_t at, uint32_t tlbi)
{
	const uint32_t w[] = { tlbi, DSB_ISH, LDR_X1_X0, BRK(0) };
	put_insns(at, w, 4);
}

static uint64_t l2, l3;

static void map_tables(void)
{
	uint64_t l1 = TABLES;
	l2 = TABLES + 0x1000;
	l3 = TABLES + 0x2000;
	memset(gq(TABLES), 0, 0x3000);
	*gq(l1 + 8 * 1) = l2 | 3;                                 /* 1 GiB .. 2 GiB */
	*gq(l2 + 8 * 0) = BASE | 1 | PTE_AF;                      /* code, tables: block */
	*gq(l2 + 8 * 1) = l3 | 3;                                 /* PAGES: 4 KiB pages */
	for (unsigned i = 0; i < 512; i++)
		*gq(l3 + 8 * i) = (PAGES + 0x1000ull * i) | 3 | PTE_AF;
	*gq(l2 + 8 * 2) = BLK | 1 | PTE_AF;                       /* BLK: block */
	accel_set_sysreg(cpu, SYSREG_MAIR_EL1, 0xff);
	accel_set_sysreg(cpu, SYSREG_TCR_EL1, 25 | 1ull << 23 | 5ull << 32); /* 39-bit, 4K, EPD1 */
	accel_set_sysreg(cpu, SYSREG_TTBR0_EL1, l1);
	uint64_t sctlr = 0;
	accel_get_sysreg(cpu, SYSREG_SCTLR_EL1, &sctlr);
	accel_set_sysreg(cpu, SYSREG_SCTLR_EL1, sctlr | 1);
}

/* Every TLBI-by-VA form makes a changed 4 KiB descriptor visible. */
static void test_page_forms(void)
{
	for (unsigned k = 0; k < sizeof(tlbi_ops) / sizeof(tlbi_ops[0]); k++) {
		uint64_t va = PAGES + 0x1000ull * (10 + k), pa_new = PAGES + 0x1000ull * (100 + k);
		*gq(va) = 0x1000 + k;
		*gq(pa_new) = 0x2000 + k;
		uint64_t stub = CODE + 0x1000 + 0x20ull * k;
		put_tlbi_load(stub, tlbi_ops[k].insn);
		const uint32_t ld[] = { LDR_X1_X0, BRK(0) };
		put_insns(CODE + 0x80, ld, 2);
		accel_set_reg(cpu, 0, va);
		check(run_at(CODE + 0x80, EL1H_MASKED) == 0 && xreg(1) == 0x1000 + k, "%s: load before the remap",
		      tlbi_ops[k].name);
		*gq(l3 + 8 * (10 + k)) = pa_new | 3 | PTE_AF;
		/* Xt = VA[55:12], with an ASID in 63:48 that must not matter. */
		accel_set_reg(cpu, 2, (va >> 12) | 0x5a5aull << 48);
		accel_set_reg(cpu, 0, va);
		int r = run_at(stub, EL1H_MASKED);
		check(r == 0 && xreg(1) == 0x2000 + k,
		      "TLBI %s of the page: the new descriptor is used (x1 = %#llx)", tlbi_ops[k].name,
		      (unsigned long long)xreg(1));
	}
}

/* A 2 MiB block: TLBI by VA of one 4 KiB page of it drops the others. */
static void test_block_data(void)
{
	uint64_t off_a = 0x5008, off_b = 0x1f3010; /* two pages of the block, not the TLBI's */
	*gq(BLK + off_a) = 0xa1;
	*gq(BLK + off_b) = 0xb1;
	*gq(ALT + off_a) = 0xa2;
	*gq(ALT + off_b) = 0xb2;
	const uint32_t ld[] = { LDR_X1_X0, BRK(0) };
	put_insns(CODE + 0x80, ld, 2);
	accel_set_reg(cpu, 0, BLK + off_a);
	int r = run_at(CODE + 0x80, EL1H_MASKED);
	bool ok = r == 0 && xreg(1) == 0xa1;
	accel_set_reg(cpu, 0, BLK + off_b);
	ok = ok && run_at(CODE + 0x80, EL1H_MASKED) == 0 && xreg(1) == 0xb1;
	check(ok, "block: loads through the old block");
	*gq(l2 + 8 * 2) = ALT | 1 | PTE_AF;
	put_tlbi_load(CODE + 0x2000, tlbi_ops[0].insn); /* VALE1IS: a leaf entry */
	accel_set_reg(cpu, 2, (BLK + 0x42000) >> 12);   /* another page of the block */
	accel_set_reg(cpu, 0, BLK + off_a);
	r = run_at(CODE + 0x2000, EL1H_MASKED);
	check(r == 0 && xreg(1) == 0xa2,
	      "block: TLBI of another page of the block drops this page's entry (x1 = %#llx)",
	      (unsigned long long)xreg(1));
	accel_set_reg(cpu, 0, BLK + off_b);
	check(run_at(CODE + 0x80, EL1H_MASKED) == 0 && xreg(1) == 0xb2, "block: and the block's last page's");
	*gq(l2 + 8 * 2) = BLK | 1 | PTE_AF;
	accel_set_sysreg(cpu, SYSREG_TTBR0_EL1, TABLES); /* back to BLK for the next test */
}

/* Instruction fetches: a function in a 4 KiB page and one in the block
 * are remapped; the TLBI (of the page, of another page of the block) and
 * an ISB make the new code run. Code: blr x0 calls `movz x1, #n; ret`. */
static void test_fetch(void)
{
	const uint32_t fn1[] = { MOVZ_X1(1), 0xd65f03c0u }, fn2[] = { MOVZ_X1(2), 0xd65f03c0u };
	uint64_t fpage = PAGES + 0x1000ull * 200, fpage_alt = PAGES + 0x1000ull * 201;
	put_insns(fpage, fn1, 2);
	put_insns(fpage_alt, fn2, 2);
	put_insns(BLK + 0x7000, fn1, 2);
	put_insns(ALT + 0x7000, fn2, 2);
	/* caller: blr x0; brk #0 / tlbi x2; dsb; isb; blr x0; brk #0 */
	const uint32_t call[] = { BLR_X0, BRK(0) };
	put_insns(CODE + 0x200, call, 2);
	const uint32_t tcall[] = { tlbi_ops[1].insn, DSB_ISH, ISB, BLR_X0, BRK(0) };
	put_insns(CODE + 0x300, tcall, 5);

	accel_set_reg(cpu, 0, fpage);
	check(run_at(CODE + 0x200, EL1H_MASKED) == 0 && xreg(1) == 1, "fetch: page, old code");
	*gq(l3 + 8 * 200) = fpage_alt | 3 | PTE_AF;
	accel_set_reg(cpu, 0, fpage);
	accel_set_reg(cpu, 2, fpage >> 12);
	int r = run_at(CODE + 0x300, EL1H_MASKED);
	check(r == 0 && xreg(1) == 2, "fetch: TLBI VAE1IS of the page: new code (x1 = %llu)",
	      (unsigned long long)xreg(1));

	accel_set_reg(cpu, 0, BLK + 0x7000);
	check(run_at(CODE + 0x200, EL1H_MASKED) == 0 && xreg(1) == 1, "fetch: block, old code");
	*gq(l2 + 8 * 2) = ALT | 1 | PTE_AF;
	accel_set_reg(cpu, 0, BLK + 0x7000);
	accel_set_reg(cpu, 2, (BLK + 0x100000) >> 12);
	r = run_at(CODE + 0x300, EL1H_MASKED);
	check(r == 0 && xreg(1) == 2,
	      "fetch: TLBI of another page of the block: new code (x1 = %llu)", (unsigned long long)xreg(1));
	*gq(l2 + 8 * 2) = BLK | 1 | PTE_AF;
	accel_set_sysreg(cpu, SYSREG_TTBR0_EL1, TABLES);
}

/* MSR DAIF, XZR with an IRQ pending: taken before the next instruction
 * (ELR_EL1 = the instruction after the MSR, which has not run); with I
 * still set by the register value, not taken. */
static void test_daif(void)
{
	accel_set_sysreg(cpu, SYSREG_VBAR_EL1, VEC);
	put32(VEC + 0x280, BRK(7)); /* IRQ, current EL with SP_ELx */
	const uint32_t w[] = { MSR_DAIF_XZR, MOVZ_X1(1), BRK(0) };
	put_insns(CODE + 0x400, w, 3);
	accel_set_reg(cpu, 1, 0);
	accel_set_pending_interrupt(cpu, ACCEL_IRQ, true);
	int r = run_at(CODE + 0x400, EL1H_MASKED);
	check(r == 7 && xreg(1) == 0 && sreg(SYSREG_ELR_EL1) == CODE + 0x404,
	      "MSR DAIF unmasking a pending IRQ: taken at once (brk %d, x1 %llu, ELR %#llx)", r,
	      (unsigned long long)xreg(1), (unsigned long long)sreg(SYSREG_ELR_EL1));
	/* msr daif, x3 with x3 = I|F: still masked, no IRQ. */
	const uint32_t w2[] = { 0xd51b4223u /* msr daif, x3 */, MOVZ_X1(1), BRK(0) };
	put_insns(CODE + 0x500, w2, 3);
	accel_set_reg(cpu, 1, 0);
	accel_set_reg(cpu, 3, 0xc0);
	accel_set_pending_interrupt(cpu, ACCEL_IRQ, true);
	r = run_at(CODE + 0x500, EL1H_MASKED);
	check(r == 0 && xreg(1) == 1, "MSR DAIF keeping I set: no IRQ (brk %d)", r);
	accel_set_pending_interrupt(cpu, ACCEL_IRQ, false);
}

int main(void)
{
	struct accel_vm *vm;
	struct accel_vm_config cfg = { 0 };
	gram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (gram == MAP_FAILED || accel_vm_create(&accel_soft_ops, &cfg, &vm) ||
	    accel_map(vm, gram, BASE, RAM_SIZE, ACCEL_MEM_READ | ACCEL_MEM_WRITE | ACCEL_MEM_EXEC) ||
	    accel_vcpu_create(vm, &cpu, &vexit)) {
		printf("FAIL soft CPU set-up\n");
		return 1;
	}
	accel_set_trap_debug_exceptions(cpu, true);
	map_tables();
	test_page_forms();
	test_block_data();
	test_fetch();
	test_daif();
	accel_vcpu_destroy(cpu);
	accel_vm_destroy(vm);
	munmap(gram, RAM_SIZE);
	return check_summary();
}
