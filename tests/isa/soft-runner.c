/* The soft-CPU side of the differential test: one VM with the code page at
 * ISA_CODE_BASE and the data page at ISA_DATA_BASE, one vCPU at EL0 with
 * EL1 set up the way Linux sets it up for user space, and every exception
 * classified into the signal Linux would deliver.
 *
 * The MMU is on, as under Linux (with it off, data accesses would be to
 * Device memory and every unaligned access would fault): 4 KB granule,
 * 48-bit VAs in TTBR0 with TBI0 (TTBR1 walks disabled), an identity map of
 * the code pages (EL0 read/write/execute) and the data page (EL0
 * read/write, execute-never) as Normal write-back memory, nothing else. The
 * tables live in their own RAM at TABLES_BASE, which no VA maps.
 *
 * Exceptions: BRK exits to us directly (set_trap_debug_exceptions). Anything
 * taken to EL1 goes to VBAR_EL1 = 0x7f000000. The level-1 entry covering
 * 0x40000000-0x7fffffff points at a "table" outside RAM, so fetching the
 * vector (VBAR + 0x400: synchronous, lower EL, AArch64) exits as a stage-2
 * instruction abort on the walk (S1PTW) at that address;
 * ESR_EL1/ELR_EL1/FAR_EL1/SPSR_EL1 then describe the exception. EL0
 * accesses in that range exit the same way as stage-2 aborts (SIGSEGV
 * MAPERR, as for any unmapped address under Linux); other unmapped
 * addresses take a translation fault to EL1. */
#include "soft-runner.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "accel/accel.h"

#define VBAR 0x7f000000ull
#define WATCHDOG_MS 3000

/* SCTLR_EL1 as Linux has it for EL0: M, UCI, UCT, DZE, nTWE, nTWI and the
 * RES1 bits; UMA = 0 (DAIF access traps); SA0 = 0 (as qemu-aarch64, which
 * does not check SP alignment); A = 0. */
#define SCTLR_USER (1ull << 0 | 1ull << 26 | 1ull << 15 | 1ull << 14 | 1ull << 18 | 1ull << 16 | \
		    1ull << 29 | 1ull << 28 | 1ull << 23 | 1ull << 22 | 1ull << 20 | 1ull << 11)

/* Stage-1 tables: L0, L1, L2 and two L3 tables, one 4 KB page each. */
#define TABLES_BASE 0x30000000ull
#define TABLES_SIZE 0x5000ull
#define NOT_RAM_TABLE 0x60000000ull /* the L1 entry for 1-2 GB points here */
/* TCR_EL1: T0SZ = 16, IRGN0/ORGN0 write-back, SH0 inner, TG0 4 KB, EPD1,
 * IPS 48 bits, 16-bit ASIDs, TBI0. */
#define TCR_USER (16ull | 1ull << 8 | 1ull << 10 | 3ull << 12 | 1ull << 23 | 5ull << 32 | 1ull << 36 | 1ull << 37)
#define MAIR_USER 0xffull /* Attr0: Normal, inner/outer write-back */
#define PTE_TABLE 3ull
#define PTE_PAGE (3ull | 1ull << 10 | 3ull << 8 | 1ull << 6) /* AF, inner shareable, EL0 RW, Attr0 */
#define PTE_UXN (1ull << 54)
#define PTE_PXN (1ull << 53)

struct soft_runner {
	struct accel_vm *vm;
	struct accel_vcpu *vcpu;
	const struct accel_exit *exit;
	uint32_t *code;
	uint8_t *data;
	uint64_t *tables;
	bool code_mapped;

	/* watchdog */
	pthread_t wd;
	bool wd_started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	_Atomic uint64_t seq;       /* case sequence number, odd while running */
	_Atomic uint64_t fired_seq; /* the case the watchdog cancelled */
};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void *watchdog(void *arg)
{
	struct soft_runner *sr = arg;
	uint64_t seen = 0, since = mono_ms();
	pthread_mutex_lock(&sr->lock);
	while (!sr->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 250 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&sr->cond, &sr->lock, &ts);
		uint64_t s = atomic_load(&sr->seq);
		if (s != seen) {
			seen = s;
			since = mono_ms();
			continue;
		}
		if ((s & 1) && mono_ms() - since > WATCHDOG_MS && atomic_load(&sr->fired_seq) != s) {
			atomic_store(&sr->fired_seq, s);
			struct accel_vcpu *v = sr->vcpu;
			v->ops->vcpus_exit(&v, 1);
		}
	}
	pthread_mutex_unlock(&sr->lock);
	return NULL;
}

/* The identity map described at the top (t: TABLES_SIZE bytes at
 * TABLES_BASE). */
static void build_tables(uint64_t *t)
{
	uint64_t *l0 = t, *l1 = t + 512, *l2 = t + 1024, *l3c = t + 1536, *l3d = t + 2048;
	memset(t, 0, TABLES_SIZE);
	l0[0] = (TABLES_BASE + 0x1000) | PTE_TABLE;
	l1[0] = (TABLES_BASE + 0x2000) | PTE_TABLE;
	l1[1] = NOT_RAM_TABLE | PTE_TABLE;
	l2[(ISA_CODE_BASE >> 21) & 511] = (TABLES_BASE + 0x3000) | PTE_TABLE;
	l2[(ISA_DATA_BASE >> 21) & 511] = (TABLES_BASE + 0x4000) | PTE_TABLE;
	for (uint64_t a = ISA_CODE_BASE; a < ISA_CODE_BASE + ISA_CODE_SIZE; a += 0x1000)
		l3c[(a >> 12) & 511] = a | PTE_PAGE | PTE_PXN;
	for (uint64_t a = ISA_DATA_BASE; a < ISA_DATA_BASE + ISA_DATA_SIZE; a += 0x1000)
		l3d[(a >> 12) & 511] = a | PTE_PAGE | PTE_UXN | PTE_PXN;
}

int soft_runner_create(struct soft_runner **out, char *err, size_t errlen)
{
	struct soft_runner *sr = calloc(1, sizeof(*sr));
	int rc;
	if (!sr) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&sr->lock, NULL);
	pthread_cond_init(&sr->cond, NULL);
	sr->code = mmap(NULL, ISA_CODE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	sr->data = mmap(NULL, ISA_DATA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	sr->tables = mmap(NULL, TABLES_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sr->code == MAP_FAILED || sr->data == MAP_FAILED || sr->tables == MAP_FAILED) {
		snprintf(err, errlen, "mmap: %s", strerror(errno));
		goto fail;
	}
	struct accel_vm_config cfg = { 0 };
	if ((rc = accel_vm_create(&accel_soft_ops, &cfg, &sr->vm)) != 0) {
		snprintf(err, errlen, "soft vm_create: %s", strerror(-rc));
		goto fail;
	}
	if ((rc = accel_map(sr->vm, sr->code, ISA_CODE_BASE, ISA_CODE_SIZE,
			    ACCEL_MEM_READ | ACCEL_MEM_WRITE | ACCEL_MEM_EXEC)) != 0 ||
	    (rc = accel_map(sr->vm, sr->data, ISA_DATA_BASE, ISA_DATA_SIZE, ACCEL_MEM_READ | ACCEL_MEM_WRITE)) != 0 ||
	    (rc = accel_map(sr->vm, sr->tables, TABLES_BASE, TABLES_SIZE, ACCEL_MEM_READ | ACCEL_MEM_WRITE)) != 0) {
		snprintf(err, errlen, "soft map: %s", strerror(-rc));
		goto fail;
	}
	sr->code_mapped = true;
	if ((rc = accel_vcpu_create(sr->vm, &sr->vcpu, &sr->exit)) != 0) {
		snprintf(err, errlen, "soft vcpu_create: %s", strerror(-rc));
		goto fail;
	}
	build_tables(sr->tables);
	if ((rc = accel_set_trap_debug_exceptions(sr->vcpu, true)) != 0 ||
	    (rc = accel_set_sysreg(sr->vcpu, SYSREG_MAIR_EL1, MAIR_USER)) != 0 ||
	    (rc = accel_set_sysreg(sr->vcpu, SYSREG_TCR_EL1, TCR_USER)) != 0 ||
	    (rc = accel_set_sysreg(sr->vcpu, SYSREG_TTBR0_EL1, TABLES_BASE)) != 0 ||
	    (rc = accel_set_sysreg(sr->vcpu, SYSREG_SCTLR_EL1, SCTLR_USER)) != 0 ||
	    (rc = accel_set_sysreg(sr->vcpu, SYSREG_VBAR_EL1, VBAR)) != 0 ||
	    (rc = accel_set_sysreg(sr->vcpu, SYSREG_CPACR_EL1, 3ull << 20)) != 0) { /* FPEN: no FP traps */
		snprintf(err, errlen, "soft vCPU setup: %s", strerror(-rc));
		goto fail;
	}
	if (pthread_create(&sr->wd, NULL, watchdog, sr) != 0) {
		snprintf(err, errlen, "cannot start the watchdog thread");
		goto fail;
	}
	sr->wd_started = true;
	*out = sr;
	return 0;
fail:
	soft_runner_destroy(sr);
	return -1;
}

void soft_runner_destroy(struct soft_runner *sr)
{
	if (!sr)
		return;
	if (sr->wd_started) {
		pthread_mutex_lock(&sr->lock);
		sr->stop = true;
		pthread_cond_signal(&sr->cond);
		pthread_mutex_unlock(&sr->lock);
		pthread_join(sr->wd, NULL);
	}
	if (sr->vcpu)
		accel_vcpu_destroy(sr->vcpu);
	if (sr->vm)
		accel_vm_destroy(sr->vm);
	if (sr->code && sr->code != MAP_FAILED)
		munmap(sr->code, ISA_CODE_SIZE);
	if (sr->data && sr->data != MAP_FAILED)
		munmap(sr->data, ISA_DATA_SIZE);
	if (sr->tables && sr->tables != MAP_FAILED)
		munmap(sr->tables, TABLES_SIZE);
	pthread_mutex_destroy(&sr->lock);
	pthread_cond_destroy(&sr->cond);
	free(sr);
}

/* Linux's signal for an exception taken to EL1 from EL0, with the si_code
 * values qemu-aarch64 uses (SIGILL is ILL_ILLOPN there). */
static void classify_el1(uint64_t esr, uint64_t elr, uint64_t far, struct isa_result *res)
{
	unsigned ec = (unsigned)ESR_EC(esr), fsc = (unsigned)(esr & 0x3f);
	res->pc = elr;
	res->fault_addr = elr;
	switch (ec) {
	case EC_UNKNOWN:
	case EC_ILLEGAL_STATE:
	case EC_SYSREG:
		res->signo = ISA_SIGILL;
		res->si_code = ISA_ILL_ILLOPN;
		return;
	case EC_PC_ALIGN:
	case EC_SP_ALIGN:
		res->signo = ISA_SIGBUS;
		res->si_code = ISA_BUS_ADRALN;
		res->fault_addr = far;
		return;
	case EC_IABT_LOWER:
	case EC_IABT_CUR:
	case EC_DABT_LOWER:
	case EC_DABT_CUR:
		res->fault_addr = far;
		if (fsc == 0x21) {
			res->signo = ISA_SIGBUS;
			res->si_code = ISA_BUS_ADRALN;
		} else {
			res->signo = ISA_SIGSEGV;
			res->si_code = (fsc >= 0x09 && fsc <= 0x0f) ? ISA_SEGV_ACCERR : ISA_SEGV_MAPERR;
		}
		return;
	case EC_BRK:
	case 0x30: case 0x31: case 0x32: case 0x33: case 0x34: case 0x35:
		res->signo = ISA_SIGTRAP;
		res->si_code = ISA_TRAP_BRKPT;
		return;
	case 0x2c: /* trapped floating-point exception */
		res->signo = ISA_SIGFPE;
		res->si_code = 0;
		return;
	default:
		res->signo = ISA_SOFT_EL1_EC_BASE + (int)ec;
		res->si_code = (int)ESR_ISS(esr);
		return;
	}
}

#define CK(expr)                                                                          \
	do {                                                                              \
		int rc_ = (expr);                                                         \
		if (rc_ != 0) {                                                           \
			snprintf(err, errlen, "%s failed: %s", #expr, strerror(-rc_));    \
			goto out;                                                         \
		}                                                                         \
	} while (0)

int soft_runner_run(struct soft_runner *sr, const struct isa_case *c, struct isa_result *res, char *err,
		    size_t errlen)
{
	struct accel_vcpu *v = sr->vcpu;
	int ret = -1;

	/* Fresh code page. The CPU caches decoded code and only sees guest
	 * stores and guest cache maintenance; the accelerator interface has no
	 * "host changed guest code" call, so remapping the page is how the host
	 * tells it (as after loading a new image). */
	for (unsigned i = 0; i < ISA_CODE_SIZE / 4; i++)
		sr->code[i] = ISA_INSN_END;
	memcpy(sr->code + ISA_CASE_OFF / 4, c->insn, 4 * c->ninsn);
	if (sr->code_mapped) {
		CK(accel_unmap(sr->vm, ISA_CODE_BASE, ISA_CODE_SIZE));
		sr->code_mapped = false;
	}
	CK(accel_map(sr->vm, sr->code, ISA_CODE_BASE, ISA_CODE_SIZE, ACCEL_MEM_READ | ACCEL_MEM_WRITE | ACCEL_MEM_EXEC));
	sr->code_mapped = true;
	isa_fill_mem(sr->data, c->mem_seed);

	/* Initial state: EL0t with the case's NZCV, DAIF clear. */
	CK(accel_set_reg(v, ACCEL_REG_CPSR, c->nzcv & 0xf0000000u));
	for (int i = 0; i < 31; i++)
		CK(accel_set_reg(v, (enum accel_reg)(ACCEL_REG_X0 + i), c->x[i]));
	CK(accel_set_reg(v, ACCEL_REG_PC, ISA_CASE_PC));
	CK(accel_set_sysreg(v, SYSREG_SP_EL0, c->sp));
	CK(accel_set_reg(v, ACCEL_REG_FPCR, c->fpcr));
	CK(accel_set_reg(v, ACCEL_REG_FPSR, c->fpsr));
	for (unsigned i = 0; i < 32; i++) {
		uint8_t b[16];
		memcpy(b, &c->v[i][0], 8);
		memcpy(b + 8, &c->v[i][1], 8);
		CK(accel_set_simd(v, i, b));
	}
	CK(accel_set_sysreg(v, SYSREG_TPIDR_EL0, 0));

	memset(res, 0, ISA_RESULT_HDR_SIZE);
	res->magic = ISA_RESULT_MAGIC;

	uint64_t seq = atomic_fetch_add(&sr->seq, 1) + 1; /* odd: running */
	bool hang = false;
	for (;;) {
		int rc = accel_vcpu_run(v);
		if (rc != 0) {
			atomic_fetch_add(&sr->seq, 1);
			snprintf(err, errlen, "vcpu_run failed: %s", strerror(-rc));
			return -1;
		}
		if (sr->exit->reason == ACCEL_EXIT_CANCELED) {
			if (atomic_load(&sr->fired_seq) == seq) {
				hang = true;
				break;
			}
			continue;
		}
		break;
	}
	atomic_fetch_add(&sr->seq, 1); /* even: idle */

	uint64_t cpsr = 0, pc = 0;
	CK(accel_get_reg(v, ACCEL_REG_CPSR, &cpsr));
	CK(accel_get_reg(v, ACCEL_REG_PC, &pc));
	bool at_el1 = (cpsr >> 2 & 3) != 0;
	uint64_t nzcv = cpsr;
	res->pc = pc;
	res->fault_addr = pc;
	if (hang) {
		res->signo = ISA_SOFT_HANG;
	} else if (at_el1) {
		uint64_t esr = 0, elr = 0, far = 0, spsr = 0;
		CK(accel_get_sysreg(v, SYSREG_ESR_EL1, &esr));
		CK(accel_get_sysreg(v, SYSREG_ELR_EL1, &elr));
		CK(accel_get_sysreg(v, SYSREG_FAR_EL1, &far));
		CK(accel_get_sysreg(v, SYSREG_SPSR_EL1, &spsr));
		nzcv = spsr;
		const struct accel_exit *e = sr->exit;
		if (e->reason == ACCEL_EXIT_EXCEPTION && ESR_EC(e->esr) == EC_IABT_LOWER && pc == VBAR + 0x400) {
			classify_el1(esr, elr, far, res);
		} else {
			/* EL1 was entered, but not through the synchronous
			 * lower-EL vector: report the vector as the "signal". */
			res->signo = ISA_SOFT_EXIT_BASE + 100 + (int)e->reason;
			res->si_code = (int)(pc - VBAR);
			res->pc = elr;
		}
	} else {
		const struct accel_exit *e = sr->exit;
		if (e->reason != ACCEL_EXIT_EXCEPTION) {
			res->signo = ISA_SOFT_EXIT_BASE + (int)e->reason;
		} else {
			unsigned ec = (unsigned)ESR_EC(e->esr), fsc = (unsigned)(e->esr & 0x3f);
			switch (ec) {
			case EC_BRK:
				res->signo = ISA_SIGTRAP;
				res->si_code = ISA_TRAP_BRKPT;
				break;
			case EC_IABT_LOWER:
			case EC_DABT_LOWER: /* stage 2: nothing mapped there */
				res->signo = ISA_SIGSEGV;
				res->si_code = (fsc >= 0x09 && fsc <= 0x0f) ? ISA_SEGV_ACCERR : ISA_SEGV_MAPERR;
				res->fault_addr = e->va ? e->va : e->ipa;
				if (fsc == 0x21) {
					res->signo = ISA_SIGBUS;
					res->si_code = ISA_BUS_ADRALN;
				}
				break;
			default:
				res->signo = ISA_SOFT_VMM_EC_BASE + (int)ec;
				res->si_code = (int)ESR_ISS(e->esr);
				break;
			}
		}
	}
	res->nzcv = (uint32_t)nzcv & 0xf0000000u;

	for (int i = 0; i < 31; i++)
		CK(accel_get_reg(v, (enum accel_reg)(ACCEL_REG_X0 + i), &res->x[i]));
	CK(accel_get_sysreg(v, SYSREG_SP_EL0, &res->sp));
	uint64_t fpcr = 0, fpsr = 0;
	CK(accel_get_reg(v, ACCEL_REG_FPCR, &fpcr));
	CK(accel_get_reg(v, ACCEL_REG_FPSR, &fpsr));
	res->fpcr = (uint32_t)fpcr;
	res->fpsr = (uint32_t)fpsr;
	for (unsigned i = 0; i < 32; i++) {
		uint8_t b[16];
		CK(accel_get_simd(v, i, b));
		memcpy(&res->v[i][0], b, 8);
		memcpy(&res->v[i][1], b + 8, 8);
	}
	memcpy(res->mem, sr->data, ISA_DATA_SIZE);
	res->mem_dirty = 0;
	ret = 0;
out:
	return ret;
}
