/* Exec-time `hvc #0` -> `hvc #1` patching and the spin watchdog (see
 * hvc-patch.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arch/pgwalk.h"
#include "vmm/hvc-patch.h"
#include "vmm/vm.h"

#define WD_PERIOD_NS 2000000 /* the watchdog looks every 2 ms ... */
#define WD_QUIET_TICKS 3     /* ... and kicks a vCPU quiet for 3 looks */
#define RW (ACCEL_MEM_READ | ACCEL_MEM_WRITE)
#define RX (ACCEL_MEM_READ | ACCEL_MEM_EXEC)

int hvc_patch_parse_mode(const char *s)
{
	if (!strcmp(s, "on") || !strcmp(s, "exec"))
		return HVC_PATCH_EXEC;
	if (!strcmp(s, "watchdog"))
		return HVC_PATCH_WATCHDOG;
	if (!strcmp(s, "both"))
		return HVC_PATCH_EXEC | HVC_PATCH_WATCHDOG;
	if (!strcmp(s, "off"))
		return 0;
	return -1;
}

int hvc_patch_init(struct hvc_patch *p, unsigned mode, struct accel_vm *avm, void *ram, uint64_t base,
		   uint64_t size, uint64_t granule)
{
	memset(p, 0, sizeof(*p));
	if (!granule || (granule & (granule - 1)) || (granule & 3) || (base & (granule - 1)) ||
	    (size & (granule - 1)) || !size)
		return -EINVAL;
	p->mode = mode;
	p->avm = avm;
	p->ram = ram;
	p->ram_base = base;
	p->ram_size = size;
	p->granule = granule;
	p->exec = calloc(size / granule, 1);
	if (!p->exec)
		return -ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	if (mode & HVC_PATCH_EXEC) {
		int r = accel_protect(avm, base, size, RW);
		if (r) {
			free(p->exec);
			p->exec = NULL;
			return r;
		}
	} else {
		memset(p->exec, 1, size / granule); /* everything executable as mapped */
	}
	return 0;
}

void hvc_patch_destroy(struct hvc_patch *p)
{
	hvc_patch_watchdog_stop(p);
	if (p->exec) {
		free(p->exec);
		p->exec = NULL;
		pthread_mutex_destroy(&p->lock);
	}
}

size_t hvc_patch_scan(uint32_t *words, size_t n)
{
	size_t hits = 0;
	for (size_t i = 0; i < n; i++) {
		if (words[i] == HVC0_INSN) { /* little-endian guests only */
			__atomic_store_n(&words[i], HVC1_INSN, __ATOMIC_RELAXED);
			hits++;
		}
	}
	return hits;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Scan and patch one granule (index g), then tell whoever caches decoded
 * code. Under p->lock. */
static void patch_granule(struct hvc_patch *p, uint64_t g)
{
	uint64_t t0 = now_ns();
	uint32_t *w = (uint32_t *)(void *)(p->ram + g * p->granule);
	size_t hits = hvc_patch_scan(w, p->granule / 4);
	uint64_t dt = now_ns() - t0;
	p->pages_scanned++;
	p->sites_patched += hits;
	p->scan_ns_total += dt;
	if (dt > p->scan_ns_max)
		p->scan_ns_max = dt;
	if (hits) {
		uint64_t ipa = p->ram_base + g * p->granule;
		accel_code_written(p->avm, w, p->granule);
		if (p->debug)
			fprintf(stderr, "avmm: hvc-patch: %zu site(s) in page 0x%" PRIx64 "\n", hits, ipa);
	}
}

/* Granule index of an IPA in RAM, or -1. */
static int64_t granule_of(const struct hvc_patch *p, uint64_t ipa)
{
	if (!p->exec || ipa - p->ram_base >= p->ram_size)
		return -1;
	return (int64_t)((ipa - p->ram_base) / p->granule);
}

static bool perm_fault(uint64_t esr)
{
	return (esr & 0x3c) == 0x0c; /* IFSC/DFSC 0b0011xx: permission fault */
}

int hvc_patch_exec_fault(struct hvc_patch *p, const struct accel_exit *ex)
{
	if (!(p->mode & HVC_PATCH_EXEC) || ESR_EC(ex->esr) != EC_IABT_LOWER || !perm_fault(ex->esr))
		return 0;
	int64_t g = granule_of(p, ex->ipa);
	if (g < 0)
		return 0;
	int r = 0;
	pthread_mutex_lock(&p->lock);
	p->exec_faults++;
	/* Another vCPU may have handled this page meanwhile: then just retry. */
	if (!p->exec[g]) {
		/* Drop WRITE before scanning, so no store lands unseen. */
		r = accel_protect(p->avm, p->ram_base + (uint64_t)g * p->granule, p->granule, ACCEL_MEM_READ);
		if (!r) {
			patch_granule(p, (uint64_t)g);
			r = accel_protect(p->avm, p->ram_base + (uint64_t)g * p->granule, p->granule, RX);
		}
		if (!r)
			p->exec[g] = 1;
	}
	pthread_mutex_unlock(&p->lock);
	return r ? r : 1;
}

int hvc_patch_write_fault(struct hvc_patch *p, const struct accel_exit *ex, uint64_t pc)
{
	uint64_t esr = ex->esr;
	if (!(p->mode & HVC_PATCH_EXEC) || ESR_EC(esr) != EC_DABT_LOWER || !perm_fault(esr) || !(esr & (1u << 6)))
		return 0;
	int64_t g = granule_of(p, ex->ipa);
	if (g < 0)
		return 0;
	int r = 0;
	pthread_mutex_lock(&p->lock);
	p->write_faults++;
	if (p->exec[g] == 1) {
		bool same = !((pc ^ ex->va) & ~(p->granule - 1)); /* same VA page: the same page */
		r = accel_protect(p->avm, p->ram_base + (uint64_t)g * p->granule, p->granule,
				  same ? RW | ACCEL_MEM_EXEC : RW);
		if (!r)
			p->exec[g] = same ? 2 : 0;
		p->rwx_pages += same && !r;
	}
	pthread_mutex_unlock(&p->lock);
	return r ? r : 1;
}

/* ---- recovering x0 -------------------------------------------------------- */

static bool rd_is_x0(uint32_t insn) { return (insn & 31) == 0; }

bool hvc_patch_recover_x0(const uint32_t *before, unsigned n, uint64_t (*xm)(void *opaque, unsigned m),
			  void *opaque, uint64_t *x0)
{
	/* Walk back collecting MOVKs to x0 until the instruction that set all
	 * of it; give up at anything else that names x0 as its destination
	 * field (conservative: bits 4:0 = 0 in any other instruction). */
	uint32_t movk[8];
	unsigned nk = 0;
	for (unsigned i = n; i-- > 0;) {
		uint32_t w = before[i];
		if (!rd_is_x0(w))
			continue;
		bool sf = w >> 31;
		unsigned hw = (w >> 21) & 3;
		uint64_t imm = (uint64_t)((w >> 5) & 0xffff) << (16 * hw);
		uint64_t v;
		if ((w & 0x7f800000u) == 0x72800000u) { /* MOVK */
			if (nk == 8 || (!sf && hw > 1))
				return false;
			movk[nk++] = w;
			continue;
		}
		if ((w & 0x7f800000u) == 0x52800000u && (sf || hw < 2)) /* MOVZ */
			v = imm;
		else if ((w & 0x7f800000u) == 0x12800000u && (sf || hw < 2)) /* MOVN */
			v = ~imm;
		else if ((w & 0x7fe0ffe0u) == 0x2a0003e0u) /* ORR Rd, ZR, Rm (MOV register) */
			v = xm(opaque, (w >> 16) & 31);
		else
			return false;
		if (!sf)
			v = (uint32_t)v;
		while (nk) { /* apply the MOVKs in program order */
			uint32_t k = movk[--nk];
			unsigned khw = (k >> 21) & 3;
			uint64_t mask = 0xffffull << (16 * khw);
			v = (v & ~mask) | ((uint64_t)((k >> 5) & 0xffff) << (16 * khw));
		}
		*x0 = v;
		return true;
	}
	return false;
}

/* ---- the spin check on a watchdog kick ------------------------------------ */

struct spin_ctx {
	struct accel_vcpu *v;
	const struct mmio_exit_mem *mem;
	int err;
};

static uint32_t desc_read(void *o, uint64_t pa, uint64_t *desc)
{
	struct spin_ctx *c = o;
	uint64_t *d = (pa & 7) ? NULL : c->mem->ram(c->mem->opaque, pa, 8);
	if (!d)
		return 0x07;
	*desc = __atomic_load_n(d, __ATOMIC_ACQUIRE);
	return 0;
}

static uint64_t get_x(void *o, unsigned n)
{
	struct spin_ctx *c = o;
	uint64_t val = 0;
	if (n == 31)
		return 0; /* XZR in MOV's Rm */
	int r = accel_get_reg(c->v, (enum accel_reg)(ACCEL_REG_X0 + n), &val);
	if (r && !c->err)
		c->err = r;
	return val;
}

static uint64_t get_sys(struct spin_ctx *c, uint16_t enc)
{
	uint64_t val = 0;
	int r = accel_get_sysreg(c->v, enc, &val);
	if (r && !c->err)
		c->err = r;
	return val;
}

/* Instruction word at va (EL1 fetch), and its IPA. */
static bool fetch(struct spin_ctx *c, const struct pgw_regs *regs, uint64_t va, uint32_t *w, uint64_t *ipa)
{
	struct pgw_result r;
	if (!pgw_translate(regs, va, PGW_EXEC, false, desc_read, c, &r) && r.fault != PGW_PERMISSION)
		return false;
	uint32_t *p = c->mem->ram(c->mem->opaque, r.pa, 4);
	if (!p)
		return false;
	*w = __atomic_load_n(p, __ATOMIC_RELAXED);
	*ipa = r.pa;
	return true;
}

int hvc_patch_check_spin(struct hvc_patch *p, struct accel_vcpu *v, const struct mmio_exit_mem *mem)
{
	struct spin_ctx c = { v, mem, 0 };
	uint64_t cpsr = 0, pc = 0;
	int r = accel_get_reg(v, ACCEL_REG_CPSR, &cpsr);
	if (!r)
		r = accel_get_reg(v, ACCEL_REG_PC, &pc);
	if (r)
		return r;
	if (((cpsr >> 2) & 3) != 1 || (pc & 3) || pc < 4 || get_x(&c, 0) != 0xffffffffu)
		return c.err;
	struct pgw_regs regs = {
		.sctlr = get_sys(&c, SYSREG_SCTLR_EL1), .tcr = get_sys(&c, SYSREG_TCR_EL1),
		.ttbr0 = get_sys(&c, SYSREG_TTBR0_EL1), .ttbr1 = get_sys(&c, SYSREG_TTBR1_EL1),
	};
	if (c.err)
		return c.err;
	uint32_t w, hvc;
	uint64_t ipa, hvc_ipa;
	if (!fetch(&c, &regs, pc, &w, &ipa) || w != CBNZ_X0_SELF || !fetch(&c, &regs, pc - 4, &hvc, &hvc_ipa) ||
	    (hvc != HVC0_INSN && hvc != HVC1_INSN))
		return c.err;
	/* x0 was overwritten by the refusal: recover the function ID from the
	 * instructions that set it (same 4 KiB page of code only). */
	uint32_t before[8];
	unsigned n = 0;
	uint64_t start = pc - 4;
	unsigned avail = (unsigned)(((start & 0xfff) / 4) < 8 ? (start & 0xfff) / 4 : 8);
	for (unsigned i = avail; i > 0; i--) {
		uint64_t dummy;
		if (!fetch(&c, &regs, start - 4 * i, &before[n], &dummy))
			return c.err;
		n++;
	}
	uint64_t fid;
	pthread_mutex_lock(&p->lock);
	p->spins_found++;
	bool ok = hvc_patch_recover_x0(before, n, get_x, &c, &fid) && !c.err;
	if (!ok)
		p->spins_unrecovered++;
	int64_t g = granule_of(p, hvc_ipa);
	if (ok && g >= 0)
		patch_granule(p, (uint64_t)g);
	pthread_mutex_unlock(&p->lock);
	if (!ok || g < 0)
		return c.err;
	r = accel_set_reg(v, ACCEL_REG_X0, fid);
	if (!r)
		r = accel_set_reg(v, ACCEL_REG_PC, pc - 4);
	return r ? r : 1;
}

/* ---- the watchdog thread -------------------------------------------------- */

static void *watchdog(void *arg)
{
	struct hvc_patch *p = arg;
	struct vm *vm = p->vm;
	uint32_t seen[VM_MAX_CPUS] = { 0 };
	unsigned quiet[VM_MAX_CPUS] = { 0 };
	while (!atomic_load(&p->wd_stop) && atomic_load(&vm->state) == VM_RUNNING) {
		struct timespec ts = { 0, WD_PERIOD_NS };
		nanosleep(&ts, NULL);
		for (unsigned i = 0; i < vm->ncpus; i++) {
			struct vcpu *v = &vm->vcpus[i];
			uint32_t s = atomic_load(&v->run_seq);
			if (!atomic_load(&v->in_guest) || s != seen[i]) {
				seen[i] = s;
				quiet[i] = 0;
				continue;
			}
			if (++quiet[i] < WD_QUIET_TICKS)
				continue;
			quiet[i] = 0;
			atomic_store(&v->wd_check, true);
			atomic_fetch_add(&p->wd_kicks, 1);
			pthread_mutex_lock(&vm->lock); /* the handle lives while we hold it */
			struct accel_vcpu *a = atomic_load(&v->av);
			if (a)
				a->ops->vcpus_exit(&a, 1);
			pthread_mutex_unlock(&vm->lock);
		}
	}
	return NULL;
}

int hvc_patch_watchdog_start(struct hvc_patch *p, struct vm *vm)
{
	p->vm = vm;
	atomic_store(&p->wd_stop, false);
	if (pthread_create(&p->wd_thread, NULL, watchdog, p))
		return -EAGAIN;
	p->wd_started = true;
	return 0;
}

void hvc_patch_watchdog_stop(struct hvc_patch *p)
{
	if (!p->wd_started)
		return;
	atomic_store(&p->wd_stop, true);
	pthread_join(p->wd_thread, NULL);
	p->wd_started = false;
}

void hvc_patch_print_stats(struct hvc_patch *p, FILE *f)
{
	pthread_mutex_lock(&p->lock);
	fprintf(f,
		"avmm: hvc-patch: %" PRIu64 " exec faults, %" PRIu64 " write faults, %" PRIu64 " pages scanned, %" PRIu64
		" sites patched, scan %" PRIu64 " ns total / %" PRIu64 " ns max, watchdog %" PRIu64 " kicks, %" PRIu64
		" spins (%" PRIu64 " unrecovered), %" PRIu64 " pages left RWX\n",
		p->exec_faults, p->write_faults, p->pages_scanned, p->sites_patched, p->scan_ns_total, p->scan_ns_max,
		atomic_load(&p->wd_kicks), p->spins_found, p->spins_unrecovered, p->rwx_pages);
	pthread_mutex_unlock(&p->lock);
}
