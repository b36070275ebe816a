/* hvc-patch's W^X state machine (src/vmm/hvc-patch.c) on a fake
 * accelerator that records every protect, with guest page tables in fake
 * RAM so the store's PC really goes through the stage-1 walk; and the
 * `hvc #0` rewrite racing a store to the same word. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "accel/accel.h"
#include "vmm/hvc-patch.h"
#include "check.h"

#define RAM_IPA 0x40000000ull
#define RAM_SIZE 0x100000ull /* 1 MiB */
#define ALIAS_VA 0x80000000ull
#define TABLES 0x80000ull    /* RAM offset of the page tables */
#define CPSR_EL1H 0x3c5u
#define CPSR_EL2H 0x3c9u

/* ---- the fake accelerator ----------------------------------------------------- */

static uint8_t *ram;
static unsigned nprotect, ncode_written;
static uint64_t last_ipa, last_size;
static unsigned last_flags;
static uint8_t perm[RAM_SIZE / 0x1000]; /* the stage-2 rights per 4 KiB page */
static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;

static int f_protect(struct accel_vm *vm, uint64_t ipa, uint64_t size, unsigned flags)
{
	(void)vm;
	if (ipa < RAM_IPA || ipa + size > RAM_IPA + RAM_SIZE || (ipa | size) & 0xfff)
		return -EINVAL;
	pthread_mutex_lock(&fake_lock);
	nprotect++;
	last_ipa = ipa;
	last_size = size;
	last_flags = flags;
	for (uint64_t a = ipa; a < ipa + size; a += 0x1000)
		perm[(a - RAM_IPA) >> 12] = (uint8_t)flags;
	pthread_mutex_unlock(&fake_lock);
	return 0;
}

static void f_code_written(struct accel_vm *vm, void *host, size_t size)
{
	(void)vm, (void)host, (void)size;
	__atomic_fetch_add(&ncode_written, 1, __ATOMIC_RELAXED);
}

struct fcpu {
	struct accel_vcpu base;
	uint64_t pc, cpsr, sctlr, tcr, ttbr0;
};

static int f_get_reg(struct accel_vcpu *v, enum accel_reg r, uint64_t *val)
{
	struct fcpu *c = (struct fcpu *)v;
	if (r == ACCEL_REG_PC)
		*val = c->pc;
	else if (r == ACCEL_REG_CPSR)
		*val = c->cpsr;
	else
		return -EINVAL;
	return 0;
}

static int f_get_sysreg(struct accel_vcpu *v, uint16_t enc, uint64_t *val)
{
	struct fcpu *c = (struct fcpu *)v;
	switch (enc) {
	case SYSREG_SCTLR_EL1: *val = c->sctlr; return 0;
	case SYSREG_TCR_EL1: *val = c->tcr; return 0;
	case SYSREG_TTBR0_EL1: *val = c->ttbr0; return 0;
	case SYSREG_TTBR1_EL1: *val = 0; return 0;
	default: return -EINVAL; /* ID_AA64MMFR0: the module assumes 48 bits */
	}
}

static const struct accel_ops fops = {
	.name = "fake", .protect = f_protect, .code_written = f_code_written,
	.get_reg = f_get_reg, .get_sysreg = f_get_sysreg,
};
static struct accel_vm fvm = { &fops };

static void *m_ram(void *opaque, uint64_t ipa, uint64_t len)
{
	(void)opaque;
	if (ipa < RAM_IPA || len > RAM_SIZE || ipa - RAM_IPA > RAM_SIZE - len)
		return NULL;
	return ram + (ipa - RAM_IPA);
}
static const struct mmio_exit_mem mem = { .ram = m_ram };

/* 4 KiB granule, 39-bit VAs: RAM identity-mapped (a level-1 block) and
 * aliased page by page at ALIAS_VA. */
static void build_tables(struct fcpu *c)
{
	uint64_t *l1 = (uint64_t *)(void *)(ram + TABLES), *l2 = l1 + 512, *l3 = l2 + 512;
	memset(l1, 0, 3 * 4096);
	l1[1] = RAM_IPA | 1ull << 10 | 1;                      /* block, AF */
	l1[2] = (RAM_IPA + TABLES + 4096) | 3;
	l2[0] = (RAM_IPA + TABLES + 8192) | 3;
	for (unsigned i = 0; i < 512 && i * 4096ull < RAM_SIZE; i++)
		l3[i] = (RAM_IPA + i * 4096ull) | 1ull << 10 | 1ull << 54 | 1ull << 53 | 3; /* AF, XN */
	c->sctlr = 1; /* M */
	c->tcr = 25 | 1ull << 23 | 2ull << 32; /* T0SZ 25, TG0 4K, EPD1, IPS 40 bits */
	c->ttbr0 = RAM_IPA + TABLES;
	c->cpsr = CPSR_EL1H;
}

static struct accel_exit iabt(uint64_t ipa)
{
	return (struct accel_exit){ .reason = ACCEL_EXIT_EXCEPTION, .esr = (uint64_t)EC_IABT_LOWER << 26 | 0x0f,
				    .va = ipa, .ipa = ipa };
}

static struct accel_exit store(uint64_t va, uint64_t ipa)
{
	return (struct accel_exit){ .reason = ACCEL_EXIT_EXCEPTION,
				    .esr = (uint64_t)EC_DABT_LOWER << 26 | 1u << 6 | 0x0f, .va = va, .ipa = ipa };
}

static unsigned state_of(const struct hvc_patch *p, uint64_t ipa)
{
	return p->exec[(ipa - RAM_IPA) / p->granule];
}

/* ---- the W^X state machine ---------------------------------------------------- */

static void setup(struct hvc_patch *p, uint64_t granule)
{
	memset(ram, 0, RAM_SIZE);
	nprotect = 0;
	EQ(hvc_patch_init(p, HVC_PATCH_EXEC, &fvm, ram, RAM_IPA, RAM_SIZE, granule), 0);
	EQ(last_flags, ACCEL_MEM_READ | ACCEL_MEM_WRITE);
	EQ(last_size, RAM_SIZE);
}

static void test_hvf_granule(void)
{
	check_ctx = "16 KiB granule";
	struct hvc_patch p;
	struct fcpu c = { .base = { &fops } };
	setup(&p, 0x4000);
	build_tables(&c);
	uint32_t *w = (uint32_t *)(void *)(ram + 0x4100);
	*w = HVC0_INSN;

	/* First fetch from granule 1: scanned, READ (no store lands unseen), then RX. */
	struct accel_exit e = iabt(RAM_IPA + 0x4010);
	unsigned n0 = nprotect;
	EQ(hvc_patch_exec_fault(&p, &e), 1);
	EQ(nprotect - n0, 2);
	CHECK(last_ipa == RAM_IPA + 0x4000 && last_size == 0x4000 && last_flags == (ACCEL_MEM_READ | ACCEL_MEM_EXEC),
	      "granule 1 RX");
	EQ(*w, HVC1_INSN);
	EQ(p.sites_patched, 1);
	EQ(state_of(&p, RAM_IPA + 0x4000), HVC_G_RX);

	/* A second vCPU's fault on the same granule, handled meanwhile: retry only. */
	n0 = nprotect;
	EQ(hvc_patch_exec_fault(&p, &e), 1);
	EQ(nprotect, n0);
	EQ(p.pages_scanned, 1);

	/* A store through the alias to the next 4 KiB page, from code in the
	 * granule's first page (VAs far apart, one 16 KiB granule): RWX. */
	c.pc = RAM_IPA + 0x4020;
	e = store(ALIAS_VA + 0x5800, RAM_IPA + 0x5800);
	EQ(hvc_patch_write_fault(&p, &e, &c.base, &mem), 1);
	EQ(last_flags, ACCEL_MEM_READ | ACCEL_MEM_WRITE | ACCEL_MEM_EXEC);
	EQ(state_of(&p, RAM_IPA + 0x4000), HVC_G_RWX);
	CHECK(p.rwx_own == 1 && p.rwx_pages == 1 && p.pc_unknown == 0, "counted as an own-page store");
	/* From then on faults on it are stale. */
	n0 = nprotect;
	EQ(hvc_patch_write_fault(&p, &e, &c.base, &mem), 1);
	e = iabt(RAM_IPA + 0x4000);
	EQ(hvc_patch_exec_fault(&p, &e), 1);
	EQ(nprotect, n0);

	/* The PC through the alias, the store to the identity VA: the same. */
	e = iabt(RAM_IPA + 0x8000);
	EQ(hvc_patch_exec_fault(&p, &e), 1);
	c.pc = ALIAS_VA + 0x8004;
	e = store(RAM_IPA + 0xb000, RAM_IPA + 0xb000);
	EQ(hvc_patch_write_fault(&p, &e, &c.base, &mem), 1);
	EQ(state_of(&p, RAM_IPA + 0x8000), HVC_G_RWX);
	EQ(p.rwx_own, 2);

	/* PC and store in one 16 KiB VA block, but aliases of different
	 * granules (the old VA compare took that for one page): W^X kept. */
	uint64_t *l3 = (uint64_t *)(void *)(ram + TABLES + 8192);
	l3[0x30] = (RAM_IPA + 0xc000) | 1ull << 10 | 3; /* VA ALIAS_VA + 0x30000 -> granule 3 */
	e = iabt(RAM_IPA + 0x30000);
	EQ(hvc_patch_exec_fault(&p, &e), 1);
	c.pc = ALIAS_VA + 0x30004;
	e = store(ALIAS_VA + 0x31000, RAM_IPA + 0x31000);
	EQ(hvc_patch_write_fault(&p, &e, &c.base, &mem), 1);
	EQ(last_flags, ACCEL_MEM_READ | ACCEL_MEM_WRITE);
	EQ(state_of(&p, RAM_IPA + 0x30000), HVC_G_RW);
	/* And with the MMU off (VA = IPA), code in granule 0 storing into 3. */
	e = iabt(RAM_IPA + 0xc000);
	EQ(hvc_patch_exec_fault(&p, &e), 1);
	c.pc = RAM_IPA + 0x3ffc;
	c.sctlr = 0;
	e = store(RAM_IPA + 0xc000, RAM_IPA + 0xc000);
	EQ(hvc_patch_write_fault(&p, &e, &c.base, &mem), 1);
	EQ(state_of(&p, RAM_IPA + 0xc000), HVC_G_RW);
	EQ(p.rwx_pages, 2);
	EQ(p.pc_unknown, 0);

	/* Not ours: a read, a translation fault, outside RAM. */
	e = store(RAM_IPA, RAM_IPA);
	e.esr &= ~(1ull << 6);
	EQ(hvc_patch_write_fault(&p, &e, &c.base, &mem), 0);
	e = store(RAM_IPA, RAM_IPA);
	e.esr = (e.esr & ~0x3full) | 0x07;
	EQ(hvc_patch_write_fault(&p, &e, &c.base, &mem), 0);
	e = store(RAM_IPA + RAM_SIZE, RAM_IPA + RAM_SIZE);
	EQ(hvc_patch_write_fault(&p, &e, &c.base, &mem), 0);
	hvc_patch_destroy(&p);
}

static void test_soft_granule(void)
{
	check_ctx = "4 KiB granule";
	struct hvc_patch p;
	struct fcpu c = { .base = { &fops } };
	setup(&p, 0x1000);
	build_tables(&c);
	/* The next 4 KiB page is another granule here: W^X kept. */
	struct accel_exit e = iabt(RAM_IPA + 0x5000);
	EQ(hvc_patch_exec_fault(&p, &e), 1);
	c.pc = RAM_IPA + 0x4020;
	e = store(ALIAS_VA + 0x5800, RAM_IPA + 0x5800);
	EQ(hvc_patch_write_fault(&p, &e, &c.base, &mem), 1);
	EQ(state_of(&p, RAM_IPA + 0x5000), HVC_G_RW);
	CHECK(last_ipa == RAM_IPA + 0x5000 && last_size == 0x1000, "one 4 KiB page");
	/* Its own page through the alias: RWX. */
	e = iabt(RAM_IPA + 0x4000);
	EQ(hvc_patch_exec_fault(&p, &e), 1);
	e = store(ALIAS_VA + 0x4800, RAM_IPA + 0x4800);
	EQ(hvc_patch_write_fault(&p, &e, &c.base, &mem), 1);
	EQ(state_of(&p, RAM_IPA + 0x4000), HVC_G_RWX);

	/* A PC that pgwalk cannot translate (EL2, or an unmapped VA): counted,
	 * W^X kept, the flip count decides. */
	e = iabt(RAM_IPA + 0x6000);
	EQ(hvc_patch_exec_fault(&p, &e), 1);
	c.cpsr = CPSR_EL2H;
	e = store(RAM_IPA + 0x6000, RAM_IPA + 0x6000);
	EQ(hvc_patch_write_fault(&p, &e, &c.base, &mem), 1);
	EQ(state_of(&p, RAM_IPA + 0x6000), HVC_G_RW);
	c.cpsr = CPSR_EL1H;
	e = iabt(RAM_IPA + 0x6000);
	EQ(hvc_patch_exec_fault(&p, &e), 1);
	c.pc = 0x1000; /* no mapping */
	e = store(RAM_IPA + 0x6000, RAM_IPA + 0x6000);
	EQ(hvc_patch_write_fault(&p, &e, &c.base, &mem), 1);
	EQ(p.pc_unknown, 2);
	EQ(hvc_patch_write_fault(&p, &e, NULL, NULL), 1); /* stale, nothing to translate */
	hvc_patch_destroy(&p);
}

/* One granule rewritten while it runs: exec fault, store from elsewhere,
 * again and again. Returns the flips until it stayed RWX (0: never, in n). */
static unsigned flips_until_rwx(struct hvc_patch *p, struct fcpu *c, unsigned n)
{
	c->pc = RAM_IPA + 0x10;
	for (unsigned i = 1; i <= n; i++) {
		struct accel_exit e = iabt(RAM_IPA + 0x7000);
		if (hvc_patch_exec_fault(p, &e) != 1)
			return 0;
		e = store(RAM_IPA + 0x7000, RAM_IPA + 0x7000);
		if (hvc_patch_write_fault(p, &e, &c->base, &mem) != 1)
			return 0;
		if (state_of(p, RAM_IPA + 0x7000) == HVC_G_RWX)
			return i;
	}
	return 0;
}

static void test_flips(void)
{
	check_ctx = "repeated flips";
	struct hvc_patch p;
	struct fcpu c = { .base = { &fops } };
	setup(&p, 0x1000);
	build_tables(&c);
	p.flip_gap_ns = UINT64_MAX; /* every flip counts as quick */
	EQ(flips_until_rwx(&p, &c, 100), HVC_FLIP_LIMIT);
	CHECK(p.rwx_flips == 1 && p.rwx_own == 0 && p.rwx_pages == 1, "counted as repeated flips");
	EQ(p.exec_faults, HVC_FLIP_LIMIT);
	hvc_patch_destroy(&p);

	setup(&p, 0x1000);
	p.flip_gap_ns = 0; /* every flip too late to count */
	EQ(flips_until_rwx(&p, &c, 100), 0);
	EQ(p.rwx_pages, 0);
	hvc_patch_destroy(&p);
}

/* Several vCPU threads fault on one granule at once: it is scanned once,
 * every fault is resolved, the state matches the last protect. */
static struct hvc_patch race_p;
static void *race_thread(void *arg)
{
	struct fcpu *c = arg;
	for (unsigned i = 0; i < 2000; i++) {
		struct accel_exit e = iabt(RAM_IPA + 0x9000);
		if (hvc_patch_exec_fault(&race_p, &e) != 1)
			return arg;
		if (i & 1) {
			e = store(RAM_IPA + 0x9000, RAM_IPA + 0x9000);
			if (hvc_patch_write_fault(&race_p, &e, &c->base, &mem) != 1)
				return arg;
		}
	}
	return NULL;
}

static void test_threads(void)
{
	check_ctx = "concurrent faults";
	struct fcpu c[4];
	setup(&race_p, 0x1000);
	for (unsigned i = 0; i < 4; i++) {
		c[i] = (struct fcpu){ .base = { &fops } };
		build_tables(&c[i]);
		c[i].pc = RAM_IPA + 0x100 * i; /* code in granule 0 */
	}
	race_p.flip_gap_ns = 0; /* keep W^X so the flips go on */
	pthread_t t[4];
	for (unsigned i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, race_thread, &c[i]);
	unsigned bad = 0;
	for (unsigned i = 0; i < 4; i++) {
		void *r;
		pthread_join(t[i], &r);
		bad += r != NULL;
	}
	EQ(bad, 0);
	unsigned st = state_of(&race_p, RAM_IPA + 0x9000), pm = perm[9];
	CHECK((st == HVC_G_RX && pm == (ACCEL_MEM_READ | ACCEL_MEM_EXEC)) ||
		      (st == HVC_G_RW && pm == (ACCEL_MEM_READ | ACCEL_MEM_WRITE)),
	      "state %u, stage-2 rights %u", st, pm);
	/* Each scan follows a flip to RW (or the first fetch). */
	CHECK(race_p.pages_scanned <= race_p.write_faults + 1 && race_p.pages_scanned >= 1, "%llu scans, %llu stores",
	      (unsigned long long)race_p.pages_scanned, (unsigned long long)race_p.write_faults);
	EQ(race_p.exec_faults, 4 * 2000);
	hvc_patch_destroy(&race_p);
}

/* ---- the rewrite against a store to the same word ----------------------------- */

/* The scan reads `hvc #0`; before its write lands another vCPU stores to
 * the word. Made deterministic with page protection: the page is read-only
 * so the scan's write faults; the handler makes the other vCPU's store
 * (and the page writable) and the write is retried. A plain store then
 * overwrites that value with `hvc #1`; a compare-and-swap sees it and
 * leaves it. */
#define OTHER_STORE 0x8b020020u /* add x0, x1, x2 */
static uint32_t *race_page;
static long page_size;
static volatile sig_atomic_t faults;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	uint8_t *a = si->si_addr;
	if ((uint8_t *)race_page > a || a >= (uint8_t *)race_page + page_size || faults++) {
		signal(sig, SIG_DFL);
		return;
	}
	mprotect(race_page, (size_t)page_size, PROT_READ | PROT_WRITE);
	__atomic_store_n(&race_page[5], OTHER_STORE, __ATOMIC_RELAXED);
}

static void test_cas(void)
{
	check_ctx = "rewrite vs. store";
	page_size = sysconf(_SC_PAGESIZE);
	race_page = mmap(NULL, (size_t)page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0);
	CHECK(race_page != MAP_FAILED, "mmap");
	if (race_page == MAP_FAILED)
		return;
	race_page[5] = HVC0_INSN;
	race_page[9] = HVC0_INSN ^ 1;
	struct sigaction sa = { 0 }, old_segv, old_bus;
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus); /* macOS reports protection faults so */
	mprotect(race_page, (size_t)page_size, PROT_READ);
	size_t hits = hvc_patch_scan(race_page, (size_t)page_size / 4);
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	EQ(faults, 1);
	EQ(race_page[5], OTHER_STORE);
	EQ(hits, 0);
	EQ(race_page[9], HVC0_INSN ^ 1);
	/* Without the race: rewritten. */
	race_page[5] = HVC0_INSN;
	EQ(hvc_patch_scan(race_page, (size_t)page_size / 4), 1);
	EQ(race_page[5], HVC1_INSN);
	munmap(race_page, (size_t)page_size);
}

/* The same race with a real second thread, many times: a store after the
 * thread's own `hvc #0` must be what it reads back. */
static uint32_t shared_word[16];
static volatile int stop_scan;
static void *scanner(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop_scan, __ATOMIC_RELAXED))
		hvc_patch_scan(shared_word, 16);
	return NULL;
}

static void test_cas_threads(void)
{
	check_ctx = "rewrite vs. store, threads";
	pthread_t t;
	pthread_create(&t, NULL, scanner, NULL);
	unsigned lost = 0;
	for (uint32_t i = 0; i < 200000; i++) {
		uint32_t v = 0x10000000u | i;
		__atomic_store_n(&shared_word[3], HVC0_INSN, __ATOMIC_RELAXED);
		__atomic_store_n(&shared_word[3], v, __ATOMIC_RELAXED);
		lost += __atomic_load_n(&shared_word[3], __ATOMIC_RELAXED) != v;
	}
	__atomic_store_n(&stop_scan, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	EQ(lost, 0);
}

int main(void)
{
	ram = aligned_alloc(0x4000, RAM_SIZE);
	if (!ram)
		return 1;
	test_hvf_granule();
	test_soft_granule();
	test_flips();
	test_threads();
	test_cas();
	test_cas_threads();
	free(ram);
	return check_summary();
}
