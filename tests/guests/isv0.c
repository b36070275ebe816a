/* ISV=0 MMIO: the load/store forms newer macOS kernels use on device
 * registers, none of which gives the hypervisor a valid syndrome, done on
 * the test device (avmm -device testdev, src/hw/testdev.h). The device
 * records each access (offset, width, value, direction) and returns
 * byte (off * 7 + 0x31) for every byte read; this program reads the log back
 * through the device's control page (plain 64-bit loads: ISV=1) and checks
 * that every access reached the device exactly as the architecture makes
 * it: width, order, value, and the registers afterwards (writeback
 * included). An access to an address with no device must come back as a
 * synchronous external abort (EC 0x25, DFSC 0x10, FnV), not stop the VM.
 * avmm-only: qemu-system has no test device. MMU off (VA = IPA). */
#include "rt/rt.h"

#define TD 0x0a100000ull
#define TD_COUNT (TD + 0x1000)
#define TD_CLEAR (TD + 0x1008)
#define TD_ENTRY (TD + 0x1100)

static inline uint64_t rd64(uint64_t a) { return *(volatile uint64_t *)a; }
static inline void wr64(uint64_t a, uint64_t v) { *(volatile uint64_t *)a = v; }

static uint64_t tdval(uint64_t off, unsigned size)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)(uint8_t)((off + i) * 7 + 0x31) << (8 * i);
	return v;
}

static void td_clear(void) { wr64(TD_CLEAR, 1); }
static uint64_t td_count(void) { return rd64(TD_COUNT); }

/* Log entry i is (off, size, write, val)? */
static int td_is(unsigned i, uint64_t off, unsigned size, int write, uint64_t val)
{
	uint64_t e = TD_ENTRY + 32 * i;
	return rd64(e) == off && rd64(e + 8) == (size | (uint64_t)write << 8) && rd64(e + 16) == val;
}

static void check_log(unsigned n, const char *what)
{
	uint64_t c = td_count();
	rt_check(c == n, what);
	if (c != n) {
		rt_puts("  device saw ");
		rt_put_dec(c);
		rt_puts(" accesses\n");
	}
}

static volatile unsigned aborts;
static volatile uint64_t abort_esr, abort_far;

static void on_exception(unsigned kind, struct rt_frame *f)
{
	(void)kind;
	(void)f;
	aborts++;
	abort_esr = rt_read_esr();
	__asm__ volatile("mrs %0, far_el1" : "=r"(abort_far));
	rt_write_elr(rt_read_elr() + 4);
}

static int has_pauth(void)
{
	uint64_t isar1;
	__asm__ volatile("mrs %0, id_aa64isar1_el1" : "=r"(isar1));
	return ((isar1 >> 4) & 0xff) || ((isar1 >> 24) & 0xff); /* APA/API or GPA/GPI */
}

/* ---- the same through the guest's own page tables (VA != IPA) ----------------
 * TTBR0: identity, 1 GiB blocks (0-1 GiB Device, RAM Normal). TTBR1 (39-bit
 * VA, 4 KiB granule, three levels): H + 0x0000 -> a RAM page, H + 0x1000 ->
 * the test device's data window mapped as Normal memory (so unaligned and
 * page-straddling accesses are allowed), H + 0x2000 -> its control page. */
#define H 0xffffff8000000000ull
static uint64_t l1_lo[512] __attribute__((aligned(4096)));
static uint64_t l1_hi[512] __attribute__((aligned(4096)));
static uint64_t l2_hi[512] __attribute__((aligned(4096)));
static uint64_t l3_hi[512] __attribute__((aligned(4096)));
static uint8_t rampage[4096] __attribute__((aligned(4096)));

#define AF (1ull << 10)
#define SH_IS (3ull << 8)
#define ATTR(i) ((uint64_t)(i) << 2)

static void mmu_phase(void)
{
	uint64_t sctlr0, x0, x1, base;
	l1_lo[0] = 0x00000000ull | AF | ATTR(0) | 1;              /* Device-nGnRnE block */
	l1_lo[1] = 0x40000000ull | AF | SH_IS | ATTR(1) | 1;      /* RAM */
	l1_hi[0] = (uint64_t)l2_hi | 3;
	l2_hi[0] = (uint64_t)l3_hi | 3;
	l3_hi[0] = (uint64_t)rampage | AF | SH_IS | ATTR(1) | 3;
	l3_hi[1] = TD | AF | SH_IS | ATTR(1) | 3;                 /* device window as Normal */
	l3_hi[2] = (TD + 0x1000) | AF | ATTR(0) | 3;
	for (unsigned i = 0; i < 4096; i++)
		rampage[i] = (uint8_t)(i ^ 0x5a);
	uint64_t tcr = 25 | 1ull << 8 | 1ull << 10 | 3ull << 12 | 25ull << 16 | 1ull << 24 | 1ull << 26 | 3ull << 28 |
		       2ull << 30 | 2ull << 32;
	__asm__ volatile("msr mair_el1, %0\n msr tcr_el1, %1\n msr ttbr0_el1, %2\n msr ttbr1_el1, %3\n isb\n"
			 "tlbi vmalle1\n dsb ish\n isb"
			 : : "r"(0xff00ull), "r"(tcr), "r"((uint64_t)l1_lo), "r"((uint64_t)l1_hi) : "memory");
	__asm__ volatile("mrs %0, sctlr_el1" : "=r"(sctlr0));
	__asm__ volatile("msr sctlr_el1, %0\n isb" : : "r"(sctlr0 | 1 | 1ull << 2 | 1ull << 12) : "memory");

	td_clear();
	base = H + 0x1000 + 0x100;
	__asm__ volatile("str %w1, [%0, #0x80]!" : "+r"(base) : "r"(0xa5a5f00du) : "memory");
	check_log(1, "MMU on: str w9, [x8, #0x80]! through TTBR1: one access");
	rt_check(td_is(0, 0x180, 4, 1, 0xa5a5f00d) && base == H + 0x1180, "MMU on: str w9, [x8, #0x80]!: write and writeback");

	/* LDP straddling a RAM page and the device: one element from each. */
	td_clear();
	base = H + 0xff8;
	__asm__ volatile("ldp %0, %1, [%2]" : "=&r"(x0), "=&r"(x1) : "r"(base) : "memory");
	uint64_t ramv = 0;
	for (int i = 7; i >= 0; i--)
		ramv = ramv << 8 | rampage[0xff8 + i];
	check_log(1, "MMU on: ldp straddling RAM and MMIO: one device access");
	rt_check(x0 == ramv && x1 == tdval(0, 8) && td_is(0, 0, 8, 0, tdval(0, 8)),
		 "MMU on: ldp straddling RAM and MMIO: RAM element and 8-byte device read");

	/* A Q store straddling them: low half to RAM, high half one 8-byte write. */
	static uint64_t q[2] __attribute__((aligned(16))) = { 0x1122334455667788ull, 0x99aabbccddeeff00ull };
	td_clear();
	__asm__ volatile("ldr q2, [%0]\n str q2, [%1]" : : "r"(q), "r"(H + 0xff8) : "v2", "memory");
	uint64_t lo = 0;
	for (int i = 7; i >= 0; i--)
		lo = lo << 8 | rampage[0xff8 + i];
	check_log(1, "MMU on: str q2 straddling RAM and MMIO: one device access");
	rt_check(lo == q[0] && td_is(0, 0, 8, 1, q[1]), "MMU on: str q2 straddling: low half in RAM, high half to the device");

	/* Unaligned post-indexed load inside the device (Normal mapping). */
	td_clear();
	base = H + 0x1003;
	__asm__ volatile("ldr %0, [%1], #8" : "=&r"(x0), "+r"(base) : : "memory");
	check_log(1, "MMU on: unaligned ldr x, [x], #8: one access");
	rt_check(td_is(0, 3, 8, 0, tdval(3, 8)) && x0 == tdval(3, 8) && base == H + 0x100b,
		 "MMU on: unaligned ldr x, [x], #8: one 8-byte read at +3, writeback");

	/* The control page through TTBR1 too (ISV=1 path, IPA from the walk). */
	rt_check(rd64(H + 0x2000) == 1, "MMU on: ISV=1 read of COUNT through TTBR1");

	__asm__ volatile("msr sctlr_el1, %0\n isb\n tlbi vmalle1\n dsb ish\n isb" : : "r"(sctlr0) : "memory");
}

int main(void)
{
	uint64_t x0, x1, base;
	uint32_t w;

	/* FP/SIMD on for str q0 / ldr q1. */
	__asm__ volatile("msr cpacr_el1, %0\n isb" ::"r"(3ull << 20));

	/* XNU's pe_init_fiq(): str w9, [x8, #0x80]! to a GIC redistributor register. */
	td_clear();
	base = TD + 0x100;
	w = 0x12345678;
	__asm__ volatile("str %w1, [%0, #0x80]!" : "+r"(base) : "r"(w) : "memory");
	check_log(1, "str w9, [x8, #0x80]!: one access");
	rt_check(td_is(0, 0x180, 4, 1, 0x12345678), "str w9, [x8, #0x80]!: 4-byte write of the value at +0x180");
	rt_check(base == TD + 0x180, "str w9, [x8, #0x80]!: base written back");

	/* The same with SP as the base register. */
	td_clear();
	base = TD + 0x200;
	__asm__ volatile("mov x10, sp\n mov sp, %0\n str %w1, [sp, #-16]!\n mov %0, sp\n mov sp, x10"
			 : "+r"(base) : "r"(0xcafef00du) : "x10", "memory");
	check_log(1, "str w, [sp, #-16]!: one access");
	rt_check(td_is(0, 0x1f0, 4, 1, 0xcafef00d), "str w, [sp, #-16]!: 4-byte write at +0x1f0");
	rt_check(base == TD + 0x1f0, "str w, [sp, #-16]!: SP written back");

	/* LDP from an MMIO frame (the GICv2m MSI frame in macOS). */
	td_clear();
	base = TD + 0x300;
	__asm__ volatile("ldp %0, %1, [%2, #16]" : "=&r"(x0), "=&r"(x1) : "r"(base) : "memory");
	check_log(2, "ldp x0, x1, [x2, #16]: two accesses");
	rt_check(td_is(0, 0x310, 8, 0, tdval(0x310, 8)) && td_is(1, 0x318, 8, 0, tdval(0x318, 8)),
		 "ldp x0, x1, [x2, #16]: two 8-byte reads, lower address first");
	rt_check(x0 == tdval(0x310, 8) && x1 == tdval(0x318, 8), "ldp x0, x1, [x2, #16]: values");

	td_clear();
	base = TD + 0x320;
	__asm__ volatile("ldp %w0, %w1, [%2], #8" : "=&r"(x0), "=&r"(x1), "+r"(base) : : "memory");
	check_log(2, "ldp w0, w1, [x2], #8: two accesses");
	rt_check(td_is(0, 0x320, 4, 0, tdval(0x320, 4)) && td_is(1, 0x324, 4, 0, tdval(0x324, 4)),
		 "ldp w0, w1, [x2], #8: two 4-byte reads");
	rt_check(x0 == tdval(0x320, 4) && x1 == tdval(0x324, 4) && base == TD + 0x328,
		 "ldp w0, w1, [x2], #8: values and writeback");

	td_clear();
	base = TD + 0x400;
	__asm__ volatile("stp %1, %2, [%0, #-16]!" : "+r"(base) : "r"(0x1111222233334444ull), "r"(0x5555666677778888ull)
			 : "memory");
	check_log(2, "stp x3, x4, [x5, #-16]!: two accesses");
	rt_check(td_is(0, 0x3f0, 8, 1, 0x1111222233334444ull) && td_is(1, 0x3f8, 8, 1, 0x5555666677778888ull),
		 "stp x3, x4, [x5, #-16]!: two 8-byte writes in order");
	rt_check(base == TD + 0x3f0, "stp x3, x4, [x5, #-16]!: writeback");

	/* A 64-bit post-indexed store: one 64-bit write, never two halves. */
	td_clear();
	base = TD + 0x440;
	__asm__ volatile("str %1, [%0], #8" : "+r"(base) : "r"(0x0123456789abcdefull) : "memory");
	check_log(1, "str x, [x], #8: one access");
	rt_check(td_is(0, 0x440, 8, 1, 0x0123456789abcdefull), "str x, [x], #8: one 8-byte write");
	rt_check(base == TD + 0x448, "str x, [x], #8: writeback");

	/* SIMD&FP: str q0 to MMIO (two 8-byte writes, low half first), ldr q1 from it. */
	static uint64_t qbuf[2] __attribute__((aligned(16))) = { 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull };
	static uint64_t qout[2] __attribute__((aligned(16)));
	td_clear();
	__asm__ volatile("ldr q0, [%0]\n str q0, [%1]" : : "r"(qbuf), "r"(TD + 0x500) : "v0", "memory");
	check_log(2, "str q0, [x1]: a 16-byte store reaches the device as two 8-byte writes");
	rt_check(td_is(0, 0x500, 8, 1, qbuf[0]) && td_is(1, 0x508, 8, 1, qbuf[1]), "str q0, [x1]: values, low half first");
	td_clear();
	__asm__ volatile("ldr q1, [%0], #16\n str q1, [%1]" : : "r"(TD + 0x520), "r"(qout) : "v1", "memory");
	check_log(2, "ldr q1, [x0], #16: two 8-byte reads");
	rt_check(qout[0] == tdval(0x520, 8) && qout[1] == tdval(0x528, 8), "ldr q1, [x0], #16: value");

	/* LSE atomic on a device register: a read and a write of the same width. */
	td_clear();
	__asm__ volatile(".arch_extension lse\n ldaddal %w1, %w0, [%2]" : "=&r"(x0) : "r"(5u), "r"(TD + 0x600) : "memory");
	check_log(2, "ldaddal w, w, [x]: read then write");
	rt_check(td_is(0, 0x600, 4, 0, tdval(0x600, 4)) && td_is(1, 0x600, 4, 1, (tdval(0x600, 4) + 5) & 0xffffffff),
		 "ldaddal w, w, [x]: 4-byte read, 4-byte write of old + 5");
	rt_check(x0 == tdval(0x600, 4), "ldaddal w, w, [x]: old value returned");

	/* Exclusive pair on a device register. */
	td_clear();
	uint64_t status;
	__asm__ volatile("ldxr %w0, [%2]\n add %w0, %w0, #1\n stxr %w1, %w0, [%2]"
			 : "=&r"(x0), "=&r"(status) : "r"(TD + 0x640) : "memory");
	check_log(2, "ldxr/stxr to MMIO: read then write");
	rt_check(status == 0 && td_is(1, 0x640, 4, 1, (tdval(0x640, 4) + 1) & 0xffffffff), "ldxr/stxr to MMIO: store succeeds");

	/* LDRAA with writeback (FEAT_PAuth only). */
	td_clear();
	aborts = 0;
	rt_exception_hook = on_exception;
	base = TD + 0x700;
	x0 = 0;
	__asm__ volatile(".arch_extension pauth\n ldraa %0, [%1, #8]!" : "+r"(x0), "+r"(base) : : "memory");
	if (has_pauth()) {
		rt_check(aborts == 0 && td_count() == 1 && td_is(0, 0x708, 8, 0, tdval(0x708, 8)),
			 "ldraa x0, [x1, #8]!: one 8-byte read");
		rt_check(x0 == tdval(0x708, 8) && base == TD + 0x708, "ldraa x0, [x1, #8]!: value and writeback");
	} else {
		rt_check(aborts == 1 && (abort_esr >> 26) == 0 && td_count() == 0,
			 "ldraa x0, [x1, #8]!: UNDEFINED on this CPU (no FEAT_PAuth)");
	}

	/* No device there: a synchronous external abort, the VM goes on. */
	aborts = 0;
	base = 0x0a200000;
	__asm__ volatile("ldp %0, %1, [%2]" : "=&r"(x0), "=&r"(x1) : "r"(base) : "memory");
	rt_check(aborts == 1, "ldp from an unassigned address: one exception");
	rt_check((abort_esr >> 26) == 0x25 && (abort_esr & 0x3f) == 0x10 && (abort_esr & (1u << 10)),
		 "ldp from an unassigned address: data abort, DFSC 0x10 (external), FnV");

	/* An instruction the emulator does not handle is answered the same way:
	 * not applicable to loads/stores; an ISV=1 access with no device is. */
	aborts = 0;
	(void)rd64(0x0a200008);
	rt_check(aborts == 1 && (abort_esr >> 26) == 0x25 && (abort_esr & 0x3f) == 0x10,
		 "ldr from an unassigned address: external abort");
	rt_exception_hook = 0;

	/* Cache maintenance by VA on MMIO (CM=1 on hardware): skipped. */
	__asm__ volatile("dc civac, %0" : : "r"(TD + 0x800) : "memory");
	rt_check(1, "dc civac on MMIO completes");

	/* ISV=1 sign extension still exact. */
	td_clear();
	int64_t s;
	__asm__ volatile("ldrsh %0, [%1]" : "=r"(s) : "r"(TD + 0x86e) : "memory");
	rt_check(s == (int64_t)(int16_t)tdval(0x86e, 2) && td_is(0, 0x86e, 2, 0, tdval(0x86e, 2)),
		 "ldrsh x0, [x1]: sign-extended 2-byte read");
	mmu_phase();
	td_clear();
	return 0;
}
