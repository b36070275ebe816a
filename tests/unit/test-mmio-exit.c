/* Unit test of the ISV=0 data-abort path (src/vmm/mmio-exit.c) against a
 * mock vCPU (registers and system registers in arrays) and a mock machine
 * (64 KiB of RAM holding the guest's page tables, a logging device): the
 * permission checks on every page an emulated access touches, with the
 * parts of PSTATE and the ID registers the soft CPU does not implement
 * (FEAT_PAN, FEAT_PAN3's EPAN, FEAT_UAO), so the guest programs cannot
 * reach them: PAN, UAO with LDTR/STTR, the WnR of an atomic's fault, FAR
 * with a tagged address, and that a faulting access reaches no device and
 * no RAM.
 *
 * Guest layout (4 KiB granule, 39-bit VAs, TTBR0): VA 0x10000 the device
 * page (IPA 0x0a100000), VA 0x11000 a RAM data page, VA 0x20000 the code
 * page (PC). Each case sets the two data pages' descriptors. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "arch/dabt.h"
#include "check.h"
#include "vmm/mmio-exit.h"

#define RAM_IPA 0x40000000ull
#define RAM_SIZE 0x10000ull
#define DEV_IPA 0x0a100000ull
#define L1 (RAM_IPA + 0x0000)
#define L2 (RAM_IPA + 0x1000)
#define L3 (RAM_IPA + 0x2000)
#define CODE (RAM_IPA + 0x3000)
#define DATA (RAM_IPA + 0x4000)
#define VA_DEV 0x10000ull
#define VA_DATA 0x11000ull
#define VA_CODE 0x20000ull
#define VBAR 0x80000ull

#define D_PAGE 3ull
#define D_AF (1ull << 10)
#define D_NORMAL (D_AF | 3ull << 8) /* Attr0 */
#define AP_EL1RW 0ull
#define AP_RW (1ull << 6)
#define AP_EL1RO (2ull << 6)
#define D_UXN (1ull << 54)
#define D_PXN (1ull << 53)

#define PSR_EL1H 0x3c5ull
#define PSR_EL0T 0x000ull
#define PSR_PAN (1ull << 22)
#define PSR_UAO (1ull << 23)

#define SR_MMFR0 ACCEL_SYSREG(3, 0, 0, 7, 0)
#define SR_MMFR1 ACCEL_SYSREG(3, 0, 0, 7, 1)
#define SR_MMFR2 ACCEL_SYSREG(3, 0, 0, 7, 2)

static uint8_t ram[RAM_SIZE];
static uint64_t regs[35];
static uint64_t sysregs[65536];
static uint8_t simd[32][16];
static unsigned ndev; /* device accesses */

static int get_reg(struct accel_vcpu *v, enum accel_reg r, uint64_t *val)
{
	if ((unsigned)r >= 35)
		return -EINVAL;
	*val = regs[r];
	return 0;
}
static int set_reg(struct accel_vcpu *v, enum accel_reg r, uint64_t val)
{
	if ((unsigned)r >= 35)
		return -EINVAL;
	regs[r] = val;
	return 0;
}
static int get_simd(struct accel_vcpu *v, unsigned r, uint8_t val[16])
{
	memcpy(val, simd[r & 31], 16);
	return 0;
}
static int set_simd(struct accel_vcpu *v, unsigned r, const uint8_t val[16])
{
	memcpy(simd[r & 31], val, 16);
	return 0;
}
static int get_sysreg(struct accel_vcpu *v, uint16_t enc, uint64_t *val)
{
	*val = sysregs[enc];
	return 0;
}
static int set_sysreg(struct accel_vcpu *v, uint16_t enc, uint64_t val)
{
	sysregs[enc] = val;
	return 0;
}

static const struct accel_ops mock_ops = {
	.name = "mock", .get_reg = get_reg, .set_reg = set_reg, .get_simd = get_simd, .set_simd = set_simd,
	.get_sysreg = get_sysreg, .set_sysreg = set_sysreg,
};
static struct accel_vcpu mock_vcpu = { &mock_ops };

static void *m_ram(void *o, uint64_t ipa, uint64_t len)
{
	if (ipa < RAM_IPA || ipa - RAM_IPA > RAM_SIZE || len > RAM_SIZE - (ipa - RAM_IPA))
		return NULL;
	return ram + (ipa - RAM_IPA);
}
static bool m_read(void *o, uint64_t ipa, unsigned size, uint64_t *val)
{
	if (ipa < DEV_IPA || ipa >= DEV_IPA + 0x1000)
		return false;
	ndev++;
	*val = 0x5a5a5a5a5a5a5a5aull;
	return true;
}
static bool m_write(void *o, uint64_t ipa, unsigned size, uint64_t val)
{
	if (ipa < DEV_IPA || ipa >= DEV_IPA + 0x1000)
		return false;
	ndev++;
	return true;
}
static bool m_present(void *o, uint64_t ipa, uint64_t len) { return ipa >= DEV_IPA && ipa + len <= DEV_IPA + 0x1000; }

static const struct mmio_exit_mem mem = { m_ram, m_read, m_write, m_present, NULL };

static void put64(uint64_t ipa, uint64_t v) { memcpy(m_ram(NULL, ipa, 8), &v, 8); }

/* A fresh vCPU at EL1 (or EL0) with the MMU on, the device page and the data
 * page mapped with these descriptor attributes, insn at PC. */
static void setup(uint64_t cpsr, uint64_t dev_attr, uint64_t data_attr, uint32_t insn)
{
	memset(ram, 0, sizeof(ram));
	memset(regs, 0, sizeof(regs));
	memset(sysregs, 0, sizeof(sysregs));
	ndev = 0;
	put64(L1, L2 | 3);
	put64(L2, L3 | 3);
	put64(L3 + 8 * (VA_DEV >> 12), DEV_IPA | D_PAGE | D_NORMAL | dev_attr);
	put64(L3 + 8 * (VA_DATA >> 12), DATA | D_PAGE | D_NORMAL | data_attr);
	put64(L3 + 8 * (VA_CODE >> 12), CODE | D_PAGE | D_NORMAL | AP_EL1RO);
	memcpy(m_ram(NULL, CODE, 4), &insn, 4);
	for (unsigned i = 0; i < 0x1000; i++)
		ram[DATA - RAM_IPA + i] = (uint8_t)(i * 5 + 3);
	sysregs[SYSREG_SCTLR_EL1] = 1;                                          /* M */
	sysregs[SYSREG_TCR_EL1] = 25 | 1ull << 23 | 2ull << 32;                 /* T0SZ 25, EPD1, 40-bit IPS */
	sysregs[SYSREG_TTBR0_EL1] = L1;
	sysregs[SYSREG_MAIR_EL1] = 0xff;
	sysregs[SYSREG_VBAR_EL1] = VBAR;
	sysregs[SR_MMFR0] = 2; /* 40-bit PA */
	regs[ACCEL_REG_PC] = VA_CODE;
	regs[ACCEL_REG_CPSR] = cpsr;
	regs[0] = VA_DATA - 4; /* straddles the device page and the data page */
	regs[1] = 0x1122334455667788ull;
	regs[2] = 0x99aabbccddeeff00ull;
}

static int data_untouched(void)
{
	for (unsigned i = 0; i < 0x1000; i++)
		if (ram[DATA - RAM_IPA + i] != (uint8_t)(i * 5 + 3))
			return 0;
	return 1;
}

/* The exit the hardware gives: a stage-2 fault on the device page, ISV=0. */
static int run(bool write)
{
	struct mmio_exit m = { .vcpu = &mock_vcpu, .mem = &mem, .features = INSN_EMU_F_ALL };
	struct accel_exit ex = {
		.reason = ACCEL_EXIT_EXCEPTION,
		.esr = (uint64_t)EC_DABT_LOWER << 26 | 1u << 25 | (write ? ISS_WNR : 0) | 0x07,
		.va = regs[0] < VA_DEV + 0x1000 ? regs[0] : VA_DEV,
		.ipa = DEV_IPA + (regs[0] & 0xfff),
	};
	return mmio_exit_handle(&m, &ex);
}

/* The access completed: PC advanced, no exception. */
static void expect_done(const char *what, int r, unsigned devs)
{
	check_ctx = what;
	EQ(r, MMIO_EXIT_DONE);
	EQ(regs[ACCEL_REG_PC], VA_CODE + 4);
	EQ(ndev, devs);
}

/* The guest's own data abort: ESR_EL1, FAR_EL1, the vector, nothing done. */
static void expect_fault(const char *what, int r, bool from_el0, bool wnr, uint32_t dfsc, uint64_t far)
{
	check_ctx = what;
	EQ(r, MMIO_EXIT_FAULT);
	EQ(sysregs[SYSREG_ESR_EL1], (uint64_t)(from_el0 ? 0x24 : 0x25) << 26 | 1u << 25 | (wnr ? ISS_WNR : 0) | dfsc);
	EQ(sysregs[SYSREG_FAR_EL1], far);
	EQ(sysregs[SYSREG_ELR_EL1], VA_CODE);
	EQ(regs[ACCEL_REG_PC], VBAR + (from_el0 ? 0x400 : 0x200));
	EQ(ndev, 0);
	CHECK(data_untouched(), "RAM written");
}

#define STR 0xf9000001u   /* str x1, [x0] */
#define LDR 0xf9400001u   /* ldr x1, [x0] */
#define STTR 0xf8000801u  /* sttr x1, [x0] */
#define LDTR 0xf8400801u  /* ldtr x1, [x0] */
#define STP 0xa9000801u   /* stp x1, x2, [x0] */
#define LDADD 0xb8210002u /* ldadd w1, w2, [x0] */

static void privilege(void)
{
	setup(PSR_EL1H, AP_RW, AP_EL1RO, STR);
	expect_fault("EL1 str into an EL1 read-only page", run(true), false, true, 0x0f, VA_DATA);

	setup(PSR_EL1H, AP_RW, AP_EL1RO, LDR);
	expect_done("EL1 ldr from an EL1 read-only page", run(false), 1);

	setup(PSR_EL0T, AP_RW, AP_EL1RW, STR);
	expect_fault("EL0 str into an EL1-only page", run(true), true, true, 0x0f, VA_DATA);

	setup(PSR_EL0T, AP_RW, AP_RW, STR);
	expect_done("EL0 str into an EL0 page", run(true), 1);

	setup(PSR_EL1H, AP_RW, AP_EL1RW, STTR);
	expect_fault("EL1 sttr into an EL1-only page: EL0 privilege", run(true), false, true, 0x0f, VA_DATA);

	setup(PSR_EL1H, AP_RW, AP_EL1RW, LDTR);
	expect_fault("EL1 ldtr from an EL1-only page: no device read", run(false), false, false, 0x0f, VA_DATA);

	setup(PSR_EL1H, AP_RW, AP_EL1RW, STP);
	regs[0] = VA_DATA - 8;
	put64(L3 + 8 * (VA_DATA >> 12), DATA | D_PAGE | D_NORMAL | AP_EL1RO);
	expect_fault("EL1 stp, second element in a read-only page", run(true), false, true, 0x0f, VA_DATA);

	/* Execute-never does not matter for data. */
	setup(PSR_EL1H, AP_RW | D_UXN | D_PXN, AP_EL1RW | D_UXN | D_PXN, STR);
	expect_done("EL1 str into XN pages", run(true), 1);

	/* A tagged address (TBI0): FAR keeps the tag. */
	setup(PSR_EL1H, AP_RW, AP_EL1RO, STR);
	sysregs[SYSREG_TCR_EL1] |= 1ull << 37;
	regs[0] = 0x5a00000000000000ull | (VA_DATA - 4);
	expect_fault("tagged address: FAR with the tag", run(true), false, true, 0x0f, 0x5a00000000000000ull | VA_DATA);
}

static void uao(void)
{
	/* PSTATE.UAO with FEAT_UAO: LDTR/STTR at EL1 are privileged. */
	setup(PSR_EL1H | PSR_UAO, AP_RW, AP_EL1RW, STTR);
	sysregs[SR_MMFR2] = 1u << 4;
	expect_done("UAO: sttr into an EL1-only page", run(true), 1);

	/* Without FEAT_UAO the bit is RES0: ignored. */
	setup(PSR_EL1H | PSR_UAO, AP_RW, AP_EL1RW, STTR);
	expect_fault("UAO bit without FEAT_UAO: sttr still unprivileged", run(true), false, true, 0x0f, VA_DATA);

	/* UAO does nothing at EL0. */
	setup(PSR_EL0T | PSR_UAO, AP_RW, AP_EL1RW, STTR);
	sysregs[SR_MMFR2] = 1u << 4;
	expect_fault("UAO at EL0: sttr is an EL0 access", run(true), true, true, 0x0f, VA_DATA);
}

static void pan(void)
{
	/* PSTATE.PAN with FEAT_PAN: a privileged access to EL0 data faults. */
	setup(PSR_EL1H | PSR_PAN, AP_EL1RW, AP_RW, STR);
	sysregs[SR_MMFR1] = 1u << 20;
	expect_fault("PAN: EL1 str into an EL0 page", run(true), false, true, 0x0f, VA_DATA);

	setup(PSR_EL1H | PSR_PAN, AP_EL1RW, AP_RW | (1ull << 7), LDR); /* EL0 read-only: still EL0 data */
	sysregs[SR_MMFR1] = 1u << 20;
	expect_fault("PAN: EL1 ldr from an EL0 read-only page", run(false), false, false, 0x0f, VA_DATA);

	setup(PSR_EL1H, AP_EL1RW, AP_RW, STR);
	sysregs[SR_MMFR1] = 1u << 20;
	expect_done("PAN clear: EL1 str into an EL0 page", run(true), 1);

	setup(PSR_EL1H | PSR_PAN, AP_EL1RW, AP_RW, STR);
	expect_done("PAN bit without FEAT_PAN: ignored", run(true), 1);

	/* Unprivileged accesses are not affected by PAN. */
	setup(PSR_EL1H | PSR_PAN, AP_RW, AP_RW, STTR);
	sysregs[SR_MMFR1] = 1u << 20;
	expect_done("PAN: sttr into an EL0 page", run(true), 1);

	/* ... unless UAO makes them privileged. */
	setup(PSR_EL1H | PSR_PAN | PSR_UAO, AP_EL1RW, AP_RW, STTR);
	sysregs[SR_MMFR1] = 1u << 20;
	sysregs[SR_MMFR2] = 1u << 4;
	expect_fault("PAN and UAO: sttr is privileged, so PAN applies", run(true), false, true, 0x0f, VA_DATA);

	/* FEAT_PAN3 with SCTLR_EL1.EPAN: EL0-executable locations too. */
	setup(PSR_EL1H | PSR_PAN, AP_EL1RW | D_UXN, AP_EL1RW | D_PXN, STR); /* data page UXN = 0: EL0-executable */
	sysregs[SR_MMFR1] = 3u << 20;
	sysregs[SYSREG_SCTLR_EL1] |= 1ull << 57;
	expect_fault("EPAN: EL1 str into an EL0-executable page", run(true), false, true, 0x0f, VA_DATA);

	setup(PSR_EL1H | PSR_PAN, AP_EL1RW, AP_EL1RW | D_UXN, STR); /* the device page itself EL0-executable */
	sysregs[SR_MMFR1] = 3u << 20;
	sysregs[SYSREG_SCTLR_EL1] |= 1ull << 57;
	expect_fault("EPAN: the first page faults first, FAR = the access", run(true), false, true, 0x0f, VA_DATA - 4);

	setup(PSR_EL1H | PSR_PAN, AP_EL1RW, AP_EL1RW | D_PXN, STR);
	sysregs[SR_MMFR1] = 3u << 20;
	expect_done("PAN3 without EPAN: EL0-executable page allowed", run(true), 1);
}

static void atomics(void)
{
	/* An atomic needs read and write permission: WnR says which failed
	 * (the read, checked first, gives 0). Atomics are aligned, so this is
	 * the device page itself, whose descriptor changed after the
	 * hardware's check. */
	setup(PSR_EL1H, AP_EL1RO, AP_EL1RW, LDADD);
	regs[0] = VA_DEV + 0x40;
	expect_fault("ldadd on a read-only page: WnR = 1", run(true), false, true, 0x0f, VA_DEV + 0x40);

	setup(PSR_EL0T, AP_EL1RW, AP_EL1RW, LDADD);
	regs[0] = VA_DEV + 0x40;
	expect_fault("EL0 ldadd on an EL1-only page: WnR = 0", run(true), true, false, 0x0f, VA_DEV + 0x40);

	setup(PSR_EL1H, AP_EL1RW, AP_EL1RW, LDADD);
	regs[0] = VA_DEV + 0x40;
	expect_done("ldadd on a read/write device page", run(true), 2);

	setup(PSR_EL1H, AP_EL1RW, AP_EL1RW, LDADD);
	regs[0] = VA_DEV + 0x40;
	put64(L3 + 8 * (VA_DEV >> 12), 0);
	expect_fault("ldadd on an invalid page: translation fault, WnR = 1", run(true), false, true, 0x07, VA_DEV + 0x40);
}

static void other_faults(void)
{
	setup(PSR_EL1H, AP_RW, 0, STR); /* the data page: invalid descriptor */
	put64(L3 + 8 * (VA_DATA >> 12), 0);
	expect_fault("translation fault on the second page", run(true), false, true, 0x07, VA_DATA);

	setup(PSR_EL1H, AP_RW, 0, LDR);
	put64(L3 + 8 * (VA_DATA >> 12), (DATA | D_PAGE | D_NORMAL) & ~D_AF);
	expect_fault("access flag fault on the second page, no device read", run(false), false, false, 0x0b, VA_DATA);

	setup(PSR_EL1H, AP_RW, AP_EL1RW | 1ull << 2, STR); /* Attr1: Device-nGnRnE */
	expect_fault("unaligned into a Device page: alignment fault at the access", run(true), false, true, 0x21,
		     VA_DATA - 4);

	setup(PSR_EL1H, AP_RW, AP_EL1RW, STR);
	put64(L2, 0x7f000000ull | 3); /* the level-3 table is not RAM */
	check_ctx = "page tables outside RAM (the fetch too): external abort";
	EQ(run(true), MMIO_EXIT_INJECTED);
	EQ(sysregs[SYSREG_ESR_EL1] & 0x3f, 0x10);
}

int main(void)
{
	privilege();
	uao();
	pan();
	atomics();
	other_faults();
	return check_summary();
}
