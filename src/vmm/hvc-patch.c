/* Exec-time `hvc #0` -> `hvc #1` patching and the spin watchdog (see
 * hvc-patch.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arch/pgwalk.h"
#include "host/host.h"
#include "vmm/hvc-patch.h"
#include "vmm/vm.h"

#define WD_PERIOD_NS 2000000 /* the watchdog looks every 2 ms ... */
#define WD_QUIET_TICKS 3     /* ... and kicks a vCPU quiet for 3 looks */
#define RW (ACCEL_MEM_READ | ACCEL_MEM_WRITE)
#define RX (ACCEL_MEM_READ | ACCEL_MEM_EXEC)
#define RWX (RW | ACCEL_MEM_EXEC)
#define SYSREG_ID_AA64MMFR0_EL1 ACCEL_SYSREG(3, 0, 0, 7, 0)

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
	p->flip_gap_ns = HVC_FLIP_GAP_NS;
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
		memset(p->exec, HVC_G_RX, size / granule); /* everything executable as mapped */
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
		/* little-endian guests only */
		if (__atomic_load_n(&words[i], __ATOMIC_RELAXED) != HVC0_INSN)
			continue;
		/* A vCPU may store to this word between the load and the
		 * rewrite (the page can be writable: RWX, the watchdog's patch):
		 * only an `hvc #0` still there becomes `hvc #1`. */
		uint32_t want = HVC0_INSN;
		if (__atomic_compare_exchange_n(&words[i], &want, HVC1_INSN, false, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			hits++;
	}
	return hits;
}

/* Scan and patch one granule (index g), then tell whoever caches decoded
 * code. Under p->lock. */
static void patch_granule(struct hvc_patch *p, uint64_t g)
{
	uint64_t t0 = host_now_ns();
	uint32_t *w = (uint32_t *)(void *)(p->ram + g * p->granule);
	size_t hits = hvc_patch_scan(w, p->granule / 4);
	uint64_t dt = host_now_ns() - t0;
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

static uint8_t gstate(const struct hvc_patch *p, int64_t g)
{
	return __atomic_load_n(&p->exec[g], __ATOMIC_RELAXED);
}

static void set_gstate(struct hvc_patch *p, int64_t g, uint8_t st)
{
	__atomic_store_n(&p->exec[g], st, __ATOMIC_RELAXED);
}

int hvc_patch_exec_fault(struct hvc_patch *p, const struct accel_exit *ex)
{
	if (!(p->mode & HVC_PATCH_EXEC) || ESR_EC(ex->esr) != EC_IABT_LOWER || !perm_fault(ex->esr))
		return 0;
	int64_t g = granule_of(p, ex->ipa);
	if (g < 0)
		return 0;
	int r = 0;
	uint64_t ipa = p->ram_base + (uint64_t)g * p->granule;
	pthread_mutex_lock(&p->lock);
	p->exec_faults++;
	/* Another vCPU may have handled this granule meanwhile: then just retry. */
	if (gstate(p, g) == HVC_G_RW) {
		/* Drop WRITE before scanning, so no store lands unseen (the
		 * protect holds for every vCPU when it returns). */
		r = accel_protect(p->avm, ipa, p->granule, ACCEL_MEM_READ);
		if (!r) {
			patch_granule(p, (uint64_t)g);
			r = accel_protect(p->avm, ipa, p->granule, RX);
		}
		if (!r)
			set_gstate(p, g, HVC_G_RX);
	}
	pthread_mutex_unlock(&p->lock);
	return r ? r : 1;
}

/* ---- the store's own instruction ------------------------------------------ */

/* o: the struct mmio_exit_mem. */
static uint32_t walk_read(void *o, uint64_t pa, uint64_t *desc)
{
	const struct mmio_exit_mem *mem = o;
	uint64_t *d = (pa & 7) ? NULL : mem->ram(mem->opaque, pa, 8);
	if (!d)
		return 0x07;
	*desc = __atomic_load_n(d, __ATOMIC_ACQUIRE);
	return 0;
}

static unsigned pa_bits(uint64_t mmfr0)
{
	static const unsigned bits[] = { 32, 36, 40, 42, 44, 48 };
	return (mmfr0 & 0xf) < 6 ? bits[mmfr0 & 0xf] : 48;
}

/* The EL1&0 translation registers of v (what pgwalk knows); false if v is
 * not in that regime (EL2, AArch32) or a register read failed. */
static bool el10_regs(struct accel_vcpu *v, struct pgw_regs *regs, uint64_t *pc, bool *el0)
{
	uint64_t cpsr = 0, mmfr0 = 0;
	if (accel_get_reg(v, ACCEL_REG_CPSR, &cpsr) || accel_get_reg(v, ACCEL_REG_PC, pc) ||
	    (cpsr & (1u << 4)) || ((cpsr >> 2) & 3) > 1)
		return false;
	*el0 = ((cpsr >> 2) & 3) == 0;
	memset(regs, 0, sizeof(*regs));
	if (accel_get_sysreg(v, SYSREG_SCTLR_EL1, &regs->sctlr) || accel_get_sysreg(v, SYSREG_TCR_EL1, &regs->tcr) ||
	    accel_get_sysreg(v, SYSREG_TTBR0_EL1, &regs->ttbr0) || accel_get_sysreg(v, SYSREG_TTBR1_EL1, &regs->ttbr1))
		return false;
	if (accel_get_sysreg(v, SYSREG_ID_AA64MMFR0_EL1, &mmfr0))
		mmfr0 = 5;
	regs->pa_bits = pa_bits(mmfr0);
	return true;
}

/* Granule index of the instruction at v's PC, or -1 if that is unknown
 * (not EL1&0, the walk faults now, not RAM). A guest running its own
 * hypervisor's stage 2 gives a wrong IPA here; the flip count covers it. */
static int64_t pc_granule(const struct hvc_patch *p, struct accel_vcpu *v, const struct mmio_exit_mem *mem)
{
	struct pgw_regs regs;
	uint64_t pc = 0;
	bool el0 = false;
	if (!v || !mem || !el10_regs(v, &regs, &pc, &el0))
		return -1;
	struct pgw_result r;
	/* A permission fault still names the page (the fetch itself got past
	 * stage 1, or the store would not have been reached). */
	if (!pgw_translate(&regs, pc, PGW_EXEC, el0, walk_read, (void *)mem, &r) && r.fault != PGW_PERMISSION)
		return -1;
	return granule_of(p, r.pa);
}

/* One more RX -> RW flip of granule g: true once it has flipped
 * HVC_FLIP_LIMIT times with gaps under flip_gap_ns. Under lock. */
static bool flip_hot(struct hvc_patch *p, int64_t g)
{
	struct hvc_flip *f = &p->flips[(uint64_t)g % HVC_FLIP_SLOTS];
	uint64_t now = host_now_ns();
	if (f->g1 != (uint64_t)g + 1 || now - f->last_ns >= p->flip_gap_ns) {
		f->g1 = (uint64_t)g + 1;
		f->n = 0;
	}
	f->last_ns = now;
	return ++f->n >= HVC_FLIP_LIMIT;
}

static void start_watchdog(struct hvc_patch *p)
{
	/* Under lock; hvc_patch_watchdog_stop runs after every vCPU thread
	 * has been joined, so it never races with this. */
	if (p->wd_started || !p->vm || hvc_patch_watchdog_start(p, p->vm))
		return;
	if (p->debug)
		fprintf(stderr, "avmm: hvc-patch: watchdog started for the RWX pages\n");
}

int hvc_patch_write_fault(struct hvc_patch *p, const struct accel_exit *ex, struct accel_vcpu *v,
			  const struct mmio_exit_mem *mem)
{
	uint64_t esr = ex->esr;
	if (!(p->mode & HVC_PATCH_EXEC) || ESR_EC(esr) != EC_DABT_LOWER || !perm_fault(esr) || !(esr & (1u << 6)))
		return 0;
	int64_t g = granule_of(p, ex->ipa);
	if (g < 0)
		return 0;
	int r = 0;
	uint64_t ipa = p->ram_base + (uint64_t)g * p->granule;
	pthread_mutex_lock(&p->lock);
	p->write_faults++;
	if (gstate(p, g) == HVC_G_RX) {
		/* Where the store's own instruction is (this vCPU's registers,
		 * the guest's page tables: no other lock is taken). */
		int64_t pcg = pc_granule(p, v, mem);
		bool own = pcg == g;
		bool hot = !own && flip_hot(p, g);
		p->pc_unknown += pcg < 0;
		r = accel_protect(p->avm, ipa, p->granule, own || hot ? RWX : RW);
		if (!r) {
			set_gstate(p, g, own || hot ? HVC_G_RWX : HVC_G_RW);
			p->rwx_own += own;
			p->rwx_flips += hot;
			p->rwx_pages += own || hot;
			if (own || hot) {
				if (p->debug)
					fprintf(stderr, "avmm: hvc-patch: page 0x%" PRIx64 " left RWX (%s)\n", ipa,
						own ? "store to its own page" : "rewritten while it runs");
				start_watchdog(p);
			}
		}
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
	if (!pgw_translate(regs, va, PGW_EXEC, false, walk_read, (void *)c->mem, &r) && r.fault != PGW_PERMISSION)
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
	uint64_t mmfr0 = 5;
	if (accel_get_sysreg(v, SYSREG_ID_AA64MMFR0_EL1, &mmfr0))
		mmfr0 = 5;
	regs.pa_bits = pa_bits(mmfr0);
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
		" spins (%" PRIu64 " unrecovered), %" PRIu64 " pages left RWX (%" PRIu64 " own-page stores, %" PRIu64
		" repeated flips), %" PRIu64 " store PCs not translated\n",
		p->exec_faults, p->write_faults, p->pages_scanned, p->sites_patched, p->scan_ns_total, p->scan_ns_max,
		atomic_load(&p->wd_kicks), p->spins_found, p->spins_unrecovered, p->rwx_pages, p->rwx_own, p->rwx_flips,
		p->pc_unknown);
	pthread_mutex_unlock(&p->lock);
}
