/* ISV=0 emulation must honour the guest's own stage-1 tables on every page
 * an access touches (issue 12, defect 1). An access that starts on the test
 * device's page (avmm -device testdev, src/hw/testdev.h) and ends on the
 * next page exits to the VMM on the device page; the hardware (or the soft
 * CPU) never checked the second page. The VMM must check it with the
 * access's own privilege and, if the tables forbid it, give the guest the
 * data abort the Arm ARM gives: EC 0x24 from EL0 / 0x25 from EL1, DFSC,
 * WnR, FAR = the first byte of the access in the faulting page (as QEMU and
 * the soft CPU report it), and touch nothing: no device access (the test
 * device logs every one), no byte of RAM.
 *
 * Pages (TTBR1, 4 KiB granule, H = 0xffffff8000000000), each "TD" the test
 * device's data window mapped Normal so that unaligned accesses are allowed:
 *   H+0x1000 TD (EL0+EL1 RW)   H+0x2000 RAM, EL1 read-only
 *   H+0x3000 TD (EL0+EL1 RW)   H+0x4000 RAM, EL1 read/write only
 *   H+0x5000 TD                H+0x6000 invalid descriptor
 *   H+0x7000 TD                H+0x8000 RAM with AF = 0
 *   H+0x9000 TD (EL1 only)     H+0xa000 RAM, EL0+EL1 RW (PAN)
 *   H+0xb000 TD                H+0xc000 RAM mapped Device-nGnRnE
 * TTBR0: identity, 1 GiB blocks, RAM EL1 read/write (and EL0-executable,
 * so EL0 code runs from the image). avmm-only: qemu-system has no test
 * device. */
#include "rt/rt.h"

#define TD 0x0a100000ull
#define TD_COUNT (TD + 0x1000)
#define TD_CLEAR (TD + 0x1008)
#define TD_ENTRY (TD + 0x1100)
#define H 0xffffff8000000000ull

#define AF (1ull << 10)
#define SH_IS (3ull << 8)
#define NORMAL (AF | SH_IS | 1ull << 2) /* Attr1: Normal write-back */
#define DEVICE (AF | 0ull << 2)         /* Attr0: Device-nGnRnE */
#define AP_EL1RW 0ull
#define AP_RW (1ull << 6)
#define AP_EL1RO (2ull << 6)
#define XN (3ull << 53)
#define PAGE 3ull

#define EC_EL0 0x24ull
#define EC_EL1 0x25ull
#define ESR(ec, wnr, fsc) ((ec) << 26 | 1ull << 25 | (wnr) << 6 | (fsc))

static uint64_t l1_lo[512] __attribute__((aligned(4096)));
static uint64_t l1_hi[512] __attribute__((aligned(4096)));
static uint64_t l2_hi[512] __attribute__((aligned(4096)));
static uint64_t l3_hi[512] __attribute__((aligned(4096)));
static uint8_t ram[6][4096] __attribute__((aligned(4096))); /* A, B, C, D, E (Device), EL0 stack */

static inline uint64_t rd64(uint64_t a) { return *(volatile uint64_t *)a; }
static inline void wr64(uint64_t a, uint64_t v) { *(volatile uint64_t *)a = v; }
static void td_clear(void) { wr64(TD_CLEAR, 1); }
static uint64_t td_count(void) { return rd64(TD_COUNT); }

static uint64_t tdval(uint64_t off, unsigned size)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)(uint8_t)((off + i) * 7 + 0x31) << (8 * i);
	return v;
}

static int td_is(unsigned i, uint64_t off, unsigned size, int write, uint64_t val)
{
	uint64_t e = TD_ENTRY + 32 * i;
	return rd64(e) == off && rd64(e + 8) == (size | (uint64_t)write << 8) && rd64(e + 16) == val;
}

static uint8_t fill(unsigned page, unsigned i) { return (uint8_t)(page * 0x40 + i * 3 + 1); }

static void fill_all(void)
{
	for (unsigned p = 0; p < 5; p++)
		for (unsigned i = 0; i < 4096; i++)
			ram[p][i] = fill(p, i);
}

static int unchanged(unsigned page)
{
	for (unsigned i = 0; i < 4096; i++)
		if (ram[page][i] != fill(page, i))
			return 0;
	return 1;
}

static uint64_t ram_le(unsigned page, unsigned off, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = n; i-- > 0;)
		v = v << 8 | ram[page][off + i];
	return v;
}

static void arm(void)
{
	fill_all();
	td_clear();
	rt_record();
}

/* One exception: the expected ESR and FAR, no device access, RAM as it was. */
static void expect_abort(const char *what, uint64_t esr, uint64_t far, unsigned page)
{
	uint64_t n = td_count();
	int ok = rt_last.count == 1 && rt_last.esr == esr && rt_last.far == far && n == 0 && unchanged(page);
	rt_check(ok, what);
	if (!ok) {
		rt_puts("  exceptions ");
		rt_put_dec(rt_last.count);
		rt_puts(" ESR ");
		rt_put_hex(rt_last.esr);
		rt_puts(" (want ");
		rt_put_hex(esr);
		rt_puts(") FAR ");
		rt_put_hex(rt_last.far);
		rt_puts(" (want ");
		rt_put_hex(far);
		rt_puts(") device accesses ");
		rt_put_dec(n);
		rt_puts(unchanged(page) ? "\n" : ", RAM changed\n");
	}
	rt_exception_hook = 0;
}

static void expect_none(const char *what)
{
	rt_check(rt_last.count == 0, what);
	if (rt_last.count) {
		rt_puts("  unexpected exception, ESR ");
		rt_put_hex(rt_last.esr);
		rt_puts(" FAR ");
		rt_put_hex(rt_last.far);
		rt_putc('\n');
	}
	rt_exception_hook = 0;
}

#define V64 0x1122334455667788ull

static void str_(uint64_t a) { __asm__ volatile("str %1, [%0]" : : "r"(a), "r"(V64) : "memory"); }
static uint64_t ldr_(uint64_t a)
{
	uint64_t v = 0;
	__asm__ volatile("ldr %0, [%1]" : "+r"(v) : "r"(a) : "memory");
	return v;
}
static void stp_(uint64_t a) { __asm__ volatile("stp %1, %1, [%0]" : : "r"(a), "r"(V64) : "memory"); }
static void sttr_(uint64_t a) { __asm__ volatile("sttr %1, [%0]" : : "r"(a), "r"(V64) : "memory"); }
static void ldtr_(uint64_t a)
{
	uint64_t v = 0;
	__asm__ volatile("ldtr %0, [%1]" : "+r"(v) : "r"(a) : "memory");
}

/* Run at EL0 (from the EL1-only identity map: executable at EL0, UXN = 0);
 * they touch no memory but the access under test. */
static uint64_t el0_str(uint64_t a)
{
	__asm__ volatile("str %1, [%0]" : : "r"(a), "r"(V64) : "memory");
	return 0;
}
static uint64_t el0_ldr(uint64_t a)
{
	uint64_t v = 0;
	__asm__ volatile("ldr %0, [%1]" : "+r"(v) : "r"(a) : "memory");
	return v;
}
static uint64_t el0_ldp(uint64_t a)
{
	uint64_t v = 0, w = 0;
	__asm__ volatile("ldp %0, %1, [%2]" : "+r"(v), "+r"(w) : "r"(a) : "memory");
	return v ^ w;
}
static uint64_t el0_stack(void) { return (uint64_t)ram[5] + 4096; }

static void setup(void)
{
	l1_lo[0] = 0x00000000ull | DEVICE | XN | 1;
	l1_lo[1] = 0x40000000ull | NORMAL | AP_EL1RW | 1;
	l1_hi[0] = (uint64_t)l2_hi | 3;
	l2_hi[0] = (uint64_t)l3_hi | 3;
	l3_hi[1] = TD | NORMAL | AP_RW | XN | PAGE;
	l3_hi[2] = (uint64_t)ram[0] | NORMAL | AP_EL1RO | PAGE;
	l3_hi[3] = TD | NORMAL | AP_RW | XN | PAGE;
	l3_hi[4] = (uint64_t)ram[1] | NORMAL | AP_EL1RW | PAGE;
	l3_hi[5] = TD | NORMAL | AP_RW | XN | PAGE;
	l3_hi[6] = 0;
	l3_hi[7] = TD | NORMAL | AP_RW | XN | PAGE;
	l3_hi[8] = ((uint64_t)ram[2] | NORMAL | AP_EL1RW | PAGE) & ~AF;
	l3_hi[9] = TD | NORMAL | AP_EL1RW | XN | PAGE;
	l3_hi[10] = (uint64_t)ram[3] | NORMAL | AP_RW | XN | PAGE;
	l3_hi[11] = TD | NORMAL | AP_RW | XN | PAGE;
	l3_hi[12] = (uint64_t)ram[4] | DEVICE | AP_RW | XN | PAGE;
	uint64_t tcr = 25 | 1ull << 8 | 1ull << 10 | 3ull << 12 | 25ull << 16 | 1ull << 24 | 1ull << 26 | 3ull << 28 |
		       2ull << 30 | 2ull << 32;
	__asm__ volatile("dsb ish\n msr mair_el1, %0\n msr tcr_el1, %1\n msr ttbr0_el1, %2\n msr ttbr1_el1, %3\n isb\n"
			 "tlbi vmalle1\n dsb ish\n isb"
			 : : "r"(0xff00ull), "r"(tcr), "r"((uint64_t)l1_lo), "r"((uint64_t)l1_hi) : "memory");
	RT_MSR(sctlr_el1, RT_MRS(sctlr_el1) | 1 | 1ull << 2 | 1ull << 12);
}

int main(void)
{
	setup();

	/* Positive controls: what the tables allow still works, split at the
	 * page boundary (4 bytes to the device, 4 to RAM). */
	arm();
	str_(H + 0x3ffc);
	expect_none("EL1 str x straddling the device and an EL1 read/write page: no fault");
	rt_check(td_count() == 1 && td_is(0, 0xffc, 4, 1, V64 & 0xffffffff) && ram_le(1, 0, 4) == V64 >> 32,
		 "  low half to the device, high half to RAM");
	arm();
	uint64_t v = ldr_(H + 0x1ffc);
	expect_none("EL1 ldr x straddling the device and an EL1 read-only page: no fault");
	rt_check(td_count() == 1 && v == (tdval(0xffc, 4) | ram_le(0, 0, 4) << 32), "  value from both pages");

	/* (a) EL1 stores into an EL1 read-only page. */
	arm();
	str_(H + 0x1ffc);
	expect_abort("EL1 str x into an EL1 read-only page: permission fault L3, WnR, FAR in page 2",
		     ESR(EC_EL1, 1, 0x0f), H + 0x2000, 0);
	arm();
	stp_(H + 0x1ff8);
	expect_abort("EL1 stp x into an EL1 read-only page: permission fault, the device not written",
		     ESR(EC_EL1, 1, 0x0f), H + 0x2000, 0);

	/* (b) EL0 accesses into an EL1-only page: not even the device part. */
	arm();
	rt_call_el0(el0_str, H + 0x3ffc, el0_stack());
	expect_abort("EL0 str x into an EL1-only page: permission fault from EL0 (EC 0x24)", ESR(EC_EL0, 1, 0x0f),
		     H + 0x4000, 1);
	arm();
	rt_call_el0(el0_ldr, H + 0x3ffc, el0_stack());
	expect_abort("EL0 ldr x from an EL1-only page: permission fault, WnR = 0, no device read",
		     ESR(EC_EL0, 0, 0x0f), H + 0x4000, 1);
	arm();
	rt_call_el0(el0_ldp, H + 0x3ff8, el0_stack());
	expect_abort("EL0 ldp x from an EL1-only page: permission fault at the second element, no device read",
		     ESR(EC_EL0, 0, 0x0f), H + 0x4000, 1);

	/* (c) Unprivileged accesses at EL1 are checked as EL0 (no FEAT_UAO
	 * here, or PSTATE.UAO clear). */
	arm();
	sttr_(H + 0x3ffc);
	expect_abort("EL1 sttr into an EL1-only page: permission fault (EL0 privilege)", ESR(EC_EL1, 1, 0x0f),
		     H + 0x4000, 1);
	arm();
	ldtr_(H + 0x3ffc);
	expect_abort("EL1 ldtr from an EL1-only page: permission fault, no device read", ESR(EC_EL1, 0, 0x0f),
		     H + 0x4000, 1);
	arm();
	sttr_(H + 0x1ffc);
	expect_abort("EL1 sttr into an EL1 read-only page: permission fault", ESR(EC_EL1, 1, 0x0f), H + 0x2000, 0);

	/* Translation and access-flag faults on the second page. */
	arm();
	str_(H + 0x5ffc);
	expect_abort("EL1 str x into an invalid page: translation fault L3", ESR(EC_EL1, 1, 0x07), H + 0x6000, 0);
	arm();
	(void)ldr_(H + 0x7ffc);
	expect_abort("EL1 ldr x from a page with AF = 0: access flag fault L3, no device read", ESR(EC_EL1, 0, 0x0b),
		     H + 0x8000, 2);

	/* An unaligned access reaching a Device page: alignment fault at the
	 * access's address (the hardware checked the first page only). */
	arm();
	str_(H + 0xbffc);
	expect_abort("EL1 str x into a Device page: alignment fault", ESR(EC_EL1, 1, 0x21), H + 0xbffc, 4);

	/* (d) PAN: privileged accesses to EL0-accessible data fault. */
	uint64_t mmfr1 = RT_MRS(id_aa64mmfr1_el1);
	if ((mmfr1 >> 20) & 0xf) {
		__asm__ volatile(".inst 0xd500419f" ::: "memory"); /* msr pan, #1 */
		arm();
		str_(H + 0x9ffc);
		expect_abort("PAN: EL1 str x into an EL0 page: permission fault", ESR(EC_EL1, 1, 0x0f), H + 0xa000, 3);
		__asm__ volatile(".inst 0xd500409f" ::: "memory"); /* msr pan, #0 */
	} else {
		rt_puts("PAN not implemented: PAN case skipped\n");
	}
	arm();
	str_(H + 0x9ffc);
	expect_none("no PAN: EL1 str x into an EL0 read/write page: no fault");
	rt_check(td_count() == 1 && ram_le(3, 0, 4) == V64 >> 32, "  both halves written");
	td_clear();
	return 0;
}
