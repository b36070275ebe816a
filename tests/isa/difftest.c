/* isa-difftest: runs random instruction cases on avmm's soft CPU and on
 * qemu-aarch64 (through isa-oracle) and compares the outcome bit for bit:
 * the signal that ended the case, PC, fault address (SIGSEGV/SIGBUS),
 * X0-X30, SP, NZCV, FPCR, FPSR, V0-V31 and the 4 KiB data page.
 *
 * usage: isa-difftest --oracle PATH [--qemu PATH] [--cpu MODEL] [--seed N]
 *                     [--cases N] [--group NAME[,NAME...]] [--index I]
 *                     [--max-report N] [--disas] [--verbose] [--list-groups]
 *                     [--oracle-only] [--emulator]
 *
 * --cases is the total over the selected groups, shared by group weight.
 * Cases are deterministic in (seed, group, index): a failure prints the
 * command line that regenerates exactly that case.
 *
 * One qemu-aarch64 process serves the whole run: a writer thread streams the
 * cases into its stdin while the main thread reads its results, runs the
 * same case on the soft CPU and compares.
 *
 * --oracle-only runs the cases on qemu alone and prints how each group's
 * cases ended (a check of the generators: how many are UNDEFINED, fault...).
 *
 * Exit status: 0 all cases matched, 1 mismatches, 2 harness error (the oracle
 * died or hung, bad arguments, accelerator failure). */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gen.h"
#include "oracle-client.h"
#include "soft-runner.h"
#include "emu-runner.h"

#define ORACLE_TIMEOUT_MS 30000

struct plan {
	const struct gen_group *g;
	uint64_t first, count;
};

static struct plan plans[32];
static unsigned nplans;
static uint64_t seed;
static struct oracle orc;
static bool opt_verbose, opt_disas, opt_oracle_only;
/* --emulator: run the cases through the ISV=0 instruction emulator
 * (emu-runner.c) instead of the soft CPU; default groups: the loads/stores. */
static bool opt_emulator;

/* --coverage FILE: the decoder's pattern list (tools/decodegen.py --list:
 * "NAME MASK VALUE" per line, in decode order). Each compared instruction
 * is attributed to the first pattern it matches; a pattern counts as
 * exercised when a case ran it without the oracle raising SIGILL on it. */
#define COV_MAX 512
static struct cov_pat {
	char name[64];
	uint32_t mask, value;
	uint64_t hits, undef;
} cov[COV_MAX];
static unsigned ncov;

static int cov_load(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("harness error: --coverage %s: %s\n", path, strerror(errno));
		return -1;
	}
	char name[64];
	unsigned mask, value;
	while (ncov < COV_MAX && fscanf(f, "%63s %x %x", name, &mask, &value) == 3) {
		snprintf(cov[ncov].name, sizeof(cov[ncov].name), "%s", name);
		cov[ncov].mask = mask;
		cov[ncov].value = value;
		ncov++;
	}
	fclose(f);
	return 0;
}

static void cov_count(const struct isa_case *c, const struct isa_result *exp)
{
	for (unsigned k = 0; k < c->ninsn; k++) {
		uint32_t w = c->insn[k];
		for (unsigned i = 0; i < ncov; i++) {
			if ((w & cov[i].mask) != cov[i].value)
				continue;
			bool undef = exp->signo == ISA_SIGILL && exp->pc == ISA_CASE_PC + 4 * k;
			if (undef)
				cov[i].undef++;
			else
				cov[i].hits++;
			break;
		}
	}
}

static void cov_report(void)
{
	unsigned ex = 0;
	for (unsigned i = 0; i < ncov; i++)
		ex += cov[i].hits > 0;
	printf("coverage: %u of %u encoding patterns exercised (attributed by first matching pattern)\n", ex, ncov);
	for (unsigned i = 0; i < ncov; i++)
		if (!cov[i].hits)
			printf("  not exercised: %-28s mask %08x value %08x (%" PRIu64 " cases UNDEFINED)\n", cov[i].name,
			       cov[i].mask, cov[i].value, cov[i].undef);
}
static const char emulator_groups[] = "ldst,excl,atomics,ldst_fp,ldst_simd";
static unsigned max_report = 10;
static const char *argv0;
static char base_cmd[1024]; /* the command line that reruns a case, without --seed/--group/--index */

/* ---- the writer thread ---- */

static volatile int writer_errno;

static void *writer(void *arg)
{
	(void)arg;
	struct isa_case c;
	for (unsigned p = 0; p < nplans; p++)
		for (uint64_t i = 0; i < plans[p].count; i++) {
			gen_case(plans[p].g, seed, plans[p].first + i, &c);
			if (oracle_send(&orc, &c) != 0) {
				writer_errno = errno;
				return NULL;
			}
		}
	oracle_close_input(&orc);
	return NULL;
}

/* ---- reporting ---- */

static const char *signame(int s)
{
	switch (s) {
	case ISA_SIGILL: return "SIGILL";
	case ISA_SIGTRAP: return "SIGTRAP";
	case ISA_SIGBUS: return "SIGBUS";
	case ISA_SIGFPE: return "SIGFPE";
	case ISA_SIGSEGV: return "SIGSEGV";
	case ISA_SOFT_HANG: return "HANG(soft CPU still running after the watchdog time)";
	default: break;
	}
	static char buf[4][64];
	static unsigned k;
	char *b = buf[k++ & 3];
	if (s >= ISA_SOFT_VMM_EC_BASE)
		snprintf(b, 64, "VMM-EXIT(EC %#x)", s - ISA_SOFT_VMM_EC_BASE);
	else if (s >= ISA_SOFT_EXIT_BASE + 100)
		snprintf(b, 64, "EL1-UNEXPECTED-VECTOR(exit reason %d)", s - ISA_SOFT_EXIT_BASE - 100);
	else if (s >= ISA_SOFT_EXIT_BASE)
		snprintf(b, 64, "VMM-EXIT(reason %d)", s - ISA_SOFT_EXIT_BASE);
	else if (s >= ISA_SOFT_EL1_EC_BASE)
		snprintf(b, 64, "EL1-EXCEPTION(EC %#x, no signal)", s - ISA_SOFT_EL1_EC_BASE);
	else
		snprintf(b, 64, "signal %d", s);
	return b;
}

static void disassemble(const struct isa_case *c)
{
	char path[] = "/tmp/isa-disas-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return;
	ssize_t n = write(fd, c->insn, 4 * c->ninsn);
	close(fd);
	if (n == (ssize_t)(4 * c->ninsn)) {
		char cmd[256];
		snprintf(cmd, sizeof(cmd),
			 "aarch64-linux-gnu-objdump -D -b binary -m aarch64 --adjust-vma=%#llx %s 2>/dev/null", ISA_CASE_PC,
			 path);
		FILE *f = popen(cmd, "r");
		if (f) {
			char line[256];
			bool body = false;
			while (fgets(line, sizeof(line), f)) {
				if (strstr(line, "<.data>:")) {
					body = true;
					continue;
				}
				if (body && line[0] != '\n')
					printf("    %s", line);
			}
			pclose(f);
		}
	}
	unlink(path);
}

static void print_case(const struct isa_case *c)
{
	for (unsigned i = 0; i < c->ninsn; i++)
		printf("  insn[%u] @%#llx: %08x\n", i, ISA_CASE_PC + 4 * i, c->insn[i]);
	if (opt_disas)
		disassemble(c);
	printf("  initial: nzcv=%x sp=%#" PRIx64 " fpcr=%#x fpsr=%#x mem_seed=%#" PRIx64 "\n", c->nzcv >> 28, c->sp,
	       c->fpcr, c->fpsr, c->mem_seed);
	for (int i = 0; i < 31; i++)
		printf("%s x%-2d=%016" PRIx64 "%s", i % 4 == 0 ? "  " : "", i, c->x[i], i % 4 == 3 || i == 30 ? "\n" : "");
}

/* Compare; print details when report. Returns true if equal. */
static bool compare(const struct isa_case *c, const struct isa_result *exp, const struct isa_result *got, bool report,
		    unsigned *field_hist)
{
	bool same = true;
#define DIFF(kind)                \
	do {                      \
		same = false;     \
		field_hist[kind]++; \
	} while (0)
	if (exp->signo != got->signo || exp->si_code != got->si_code || exp->pc != got->pc) {
		DIFF(0);
		if (report)
			printf("  end: expected %s (code %d) at pc %#" PRIx64 ", got %s (code %d) at pc %#" PRIx64 "\n",
			       signame(exp->signo), exp->si_code, exp->pc, signame(got->signo), got->si_code, got->pc);
	}
	if ((exp->signo == ISA_SIGSEGV || exp->signo == ISA_SIGBUS) && exp->signo == got->signo &&
	    exp->fault_addr != got->fault_addr) {
		DIFF(1);
		if (report)
			printf("  fault address: expected %#" PRIx64 ", got %#" PRIx64 "\n", exp->fault_addr,
			       got->fault_addr);
	}
	for (int i = 0; i < 31; i++)
		if (exp->x[i] != got->x[i]) {
			DIFF(2);
			if (report)
				printf("  x%d: old %#" PRIx64 " expected %#" PRIx64 " got %#" PRIx64 "\n", i, c->x[i],
				       exp->x[i], got->x[i]);
		}
	if (exp->sp != got->sp) {
		DIFF(3);
		if (report)
			printf("  sp: old %#" PRIx64 " expected %#" PRIx64 " got %#" PRIx64 "\n", c->sp, exp->sp, got->sp);
	}
	if (exp->nzcv != got->nzcv) {
		DIFF(4);
		if (report)
			printf("  nzcv: old %x expected %x got %x\n", c->nzcv >> 28, exp->nzcv >> 28, got->nzcv >> 28);
	}
	if (exp->fpcr != got->fpcr || exp->fpsr != got->fpsr) {
		DIFF(5);
		if (report)
			printf("  fpcr/fpsr: old %#x/%#x expected %#x/%#x got %#x/%#x\n", c->fpcr, c->fpsr, exp->fpcr,
			       exp->fpsr, got->fpcr, got->fpsr);
	}
	for (int i = 0; i < 32; i++)
		if (exp->v[i][0] != got->v[i][0] || exp->v[i][1] != got->v[i][1]) {
			DIFF(6);
			if (report)
				printf("  v%d: old %016" PRIx64 "%016" PRIx64 " expected %016" PRIx64 "%016" PRIx64
				       " got %016" PRIx64 "%016" PRIx64 "\n",
				       i, c->v[i][1], c->v[i][0], exp->v[i][1], exp->v[i][0], got->v[i][1], got->v[i][0]);
		}
	if (memcmp(exp->mem, got->mem, ISA_DATA_SIZE) != 0) {
		DIFF(7);
		if (report) {
			uint8_t old[ISA_DATA_SIZE] __attribute__((aligned(8)));
			isa_fill_mem(old, c->mem_seed);
			unsigned shown = 0;
			for (unsigned off = 0; off < ISA_DATA_SIZE && shown < 4; off += 16) {
				if (!memcmp(exp->mem + off, got->mem + off, 16))
					continue;
				shown++;
				printf("  mem[%#06x] (addr %#llx):\n", off, ISA_DATA_BASE + off);
				const uint8_t *rows[3] = { old + off, exp->mem + off, got->mem + off };
				const char *names[3] = { "old     ", "expected", "got     " };
				for (int k = 0; k < 3; k++) {
					printf("    %s", names[k]);
					for (int b = 0; b < 16; b++)
						printf(" %02x", rows[k][b]);
					printf("\n");
				}
			}
		}
	}
#undef DIFF
	return same;
}

static const char *const field_names[8] = { "signal/pc", "fault-addr", "x-regs", "sp", "nzcv", "fpcr/fpsr", "v-regs",
					    "memory" };

/* ---- main ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s --oracle PATH [--qemu PATH] [--cpu MODEL] [--seed N] [--cases N]\n"
		"          [--group NAME[,NAME...]] [--index I] [--max-report N] [--disas] [--verbose]\n"
		"          [--list-groups] [--oracle-only] [--emulator] [--coverage PATTERN-LIST]\n",
		argv0);
}

static int add_group(const char *name)
{
	const struct gen_group *g = gen_find(name);
	if (!g) {
		fprintf(stderr, "%s: unknown group '%s' (see --list-groups)\n", argv0, name);
		return -1;
	}
	for (unsigned i = 0; i < nplans; i++)
		if (plans[i].g == g)
			return 0;
	plans[nplans++].g = g;
	return 0;
}

int main(int argc, char **argv)
{
	const char *oracle_path = NULL, *qemu = "qemu-aarch64", *cpu = "cortex-a76", *groups = NULL;
	uint64_t total = 110000;
	int64_t only_index = -1;
	bool have_seed = false;
	argv0 = argv[0];

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--list-groups")) {
			for (unsigned k = 0; k < gen_ngroups; k++)
				printf("%-8s weight %2u%s  %s\n", gen_groups[k].name, gen_groups[k].weight,
				       gen_groups[k].by_default ? "          " : " (opt-in) ", gen_groups[k].what);
			return 0;
		} else if (!strcmp(a, "--verbose")) {
			opt_verbose = true;
		} else if (!strcmp(a, "--oracle-only")) {
			opt_oracle_only = true;
		} else if (!strcmp(a, "--emulator")) {
			opt_emulator = true;
		} else if (!strcmp(a, "--disas")) {
			opt_disas = true;
		} else if (val && !strcmp(a, "--coverage")) {
			if (cov_load(argv[++i]))
				return 2;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (val && !strcmp(a, "--oracle")) {
			oracle_path = argv[++i];
		} else if (val && !strcmp(a, "--qemu")) {
			qemu = argv[++i];
		} else if (val && !strcmp(a, "--cpu")) {
			cpu = argv[++i];
		} else if (val && !strcmp(a, "--seed")) {
			seed = strtoull(argv[++i], NULL, 0);
			have_seed = true;
		} else if (val && !strcmp(a, "--cases")) {
			total = strtoull(argv[++i], NULL, 0);
		} else if (val && !strcmp(a, "--group")) {
			groups = argv[++i];
		} else if (val && !strcmp(a, "--index")) {
			only_index = (int64_t)strtoull(argv[++i], NULL, 0);
		} else if (val && !strcmp(a, "--max-report")) {
			max_report = (unsigned)strtoul(argv[++i], NULL, 0);
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!oracle_path) {
		usage(stderr);
		return 2;
	}
	if (!have_seed) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_sec * 1000000007ull ^ (uint64_t)ts.tv_nsec ^ (uint64_t)getpid() << 32;
	}
	if (opt_emulator && !groups)
		groups = emulator_groups;
	snprintf(base_cmd, sizeof(base_cmd), "%s%s --oracle %s%s%s%s%s", argv0, opt_emulator ? " --emulator" : "", oracle_path,
		 strcmp(qemu, "qemu-aarch64") ? " --qemu " : "", strcmp(qemu, "qemu-aarch64") ? qemu : "",
		 strcmp(cpu, "cortex-a76") ? " --cpu " : "", strcmp(cpu, "cortex-a76") ? cpu : "");
	printf("seed=%" PRIu64 "\n", seed);
	fflush(stdout);

	if (groups) {
		char *list = strdup(groups);
		for (char *t = strtok(list, ","); t; t = strtok(NULL, ","))
			if (add_group(t) != 0)
				return 2;
		free(list);
	} else {
		for (unsigned k = 0; k < gen_ngroups; k++)
			if (gen_groups[k].by_default)
				plans[nplans++].g = &gen_groups[k];
	}
	if (only_index >= 0) {
		for (unsigned p = 0; p < nplans; p++) {
			plans[p].first = (uint64_t)only_index;
			plans[p].count = 1;
		}
	} else {
		unsigned wsum = 0;
		for (unsigned p = 0; p < nplans; p++)
			wsum += plans[p].g->weight;
		for (unsigned p = 0; p < nplans; p++) {
			plans[p].count = total * plans[p].g->weight / wsum;
			if (plans[p].count == 0)
				plans[p].count = 1;
		}
	}

	signal(SIGPIPE, SIG_IGN);
	char err[512];
	struct soft_runner *sr = NULL;
	struct emu_runner *er = NULL;
	if (!opt_oracle_only && opt_emulator && emu_runner_create(&er, err, sizeof(err)) != 0) {
		printf("harness error: emulator: %s\n", err);
		return 2;
	}
	if (!opt_oracle_only && !opt_emulator && soft_runner_create(&sr, err, sizeof(err)) != 0) {
		printf("harness error: soft CPU: %s\n", err);
		return 2;
	}
	if (oracle_start(&orc, qemu, cpu, oracle_path, err, sizeof(err)) != 0) {
		printf("harness error: %s\n", err);
		soft_runner_destroy(sr);
		emu_runner_destroy(er);
		return 2;
	}
	pthread_t wt;
	if (pthread_create(&wt, NULL, writer, NULL) != 0) {
		printf("harness error: cannot start the writer thread\n");
		return 2;
	}

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	static struct isa_case c;
	static struct isa_result exp, got;
	unsigned groups_passed = 0, groups_failed = 0;
	uint64_t total_cases = 0, total_mismatches = 0;
	int status = 0;
	bool harness_error = false;

	for (unsigned p = 0; p < nplans && !harness_error; p++) {
		const struct plan *pl = &plans[p];
		uint64_t mism = 0, done = 0;
		unsigned field_hist[8] = { 0 };
		struct {
			uint32_t key;
			uint64_t n;
		} cls[64];
		unsigned ncls = 0;
		uint64_t outcome[6] = { 0 };
		for (uint64_t i = 0; i < pl->count; i++) {
			uint64_t idx = pl->first + i;
			gen_case(pl->g, seed, idx, &c);
			err[0] = 0;
			if (oracle_recv(&orc, c.mem_seed, &exp, ORACLE_TIMEOUT_MS, err, sizeof(err)) != 0) {
				char st[128];
				oracle_wait(&orc, 1, st, sizeof(st));
				printf("harness error: %s (qemu: %s)\n", err, st);
				if (writer_errno)
					printf("  writing cases to the oracle failed: %s\n", strerror(writer_errno));
				printf("  in-flight case: group %s #%" PRIu64 " (reproduce: %s --seed %" PRIu64
				       " --group %s --index %" PRIu64 ")\n",
				       pl->g->name, idx, base_cmd, seed, pl->g->name, idx);
				print_case(&c);
				harness_error = true;
				break;
			}
			if (opt_oracle_only) {
				done++;
				unsigned o = exp.signo == ISA_SIGTRAP && exp.pc == ISA_CASE_PC + 4 * c.ninsn ? 0
					     : exp.signo == ISA_SIGTRAP ? 1
					     : exp.signo == ISA_SIGILL ? 2
					     : exp.signo == ISA_SIGSEGV ? 3
					     : exp.signo == ISA_SIGBUS ? 4 : 5;
				outcome[o]++;
				if (opt_verbose)
					printf("%s #%" PRIu64 ": %08x%s -> %s pc %#" PRIx64 "\n", pl->g->name, idx,
					       c.insn[0], c.ninsn > 1 ? " ..." : "", signame(exp.signo), exp.pc);
				continue;
			}
			if ((er ? emu_runner_run(er, &c, &got, err, sizeof(err))
				: soft_runner_run(sr, &c, &got, err, sizeof(err))) != 0) {
				printf("harness error: soft CPU: %s (group %s #%" PRIu64 ")\n", err, pl->g->name, idx);
				char st[128];
				oracle_wait(&orc, 1, st, sizeof(st));
				harness_error = true;
				break;
			}
			done++;
			if (ncov)
				cov_count(&c, &exp);
			bool report = mism < max_report;
			if (report) {
				/* Dry run first so the header precedes the details. */
				unsigned scratch[8] = { 0 };
				if (!compare(&c, &exp, &got, false, scratch)) {
					printf("MISMATCH group %s #%" PRIu64 " (reproduce: %s --seed %" PRIu64
					       " --group %s --index %" PRIu64 ")\n",
					       pl->g->name, idx, base_cmd, seed, pl->g->name, idx);
					print_case(&c);
				} else {
					report = false;
				}
			}
			if (!compare(&c, &exp, &got, report, field_hist)) {
				mism++;
				uint32_t key = c.insn[0] & 0xff000000u;
				unsigned k;
				for (k = 0; k < ncls && cls[k].key != key; k++)
					;
				if (k == ncls && ncls < 64)
					cls[ncls++] = (typeof(cls[0])){ key, 0 };
				if (k < ncls)
					cls[k].n++;
			} else if (opt_verbose) {
				printf("ok %s #%" PRIu64 ": %08x%s -> %s pc %#" PRIx64 "\n", pl->g->name, idx, c.insn[0],
				       c.ninsn > 1 ? " ..." : "", signame(exp.signo), exp.pc);
			}
		}
		total_cases += done;
		total_mismatches += mism;
		printf("group %s: %" PRIu64 " cases, %" PRIu64 " mismatches\n", pl->g->name, done, mism);
		if (opt_oracle_only)
			printf("  oracle outcomes: fell through %" PRIu64 ", branched/brk %" PRIu64 ", SIGILL %" PRIu64
			       ", SIGSEGV %" PRIu64 ", SIGBUS %" PRIu64 ", other %" PRIu64 "\n",
			       outcome[0], outcome[1], outcome[2], outcome[3], outcome[4], outcome[5]);
		if (mism) {
			printf("  differing fields:");
			for (int k = 0; k < 8; k++)
				if (field_hist[k])
					printf(" %s %u", field_names[k], field_hist[k]);
			printf("\n  by first instruction's top byte:");
			for (unsigned k = 0; k < ncls; k++)
				printf(" %02x..:%" PRIu64, cls[k].key >> 24, cls[k].n);
			printf("\n");
		}
		fflush(stdout);
		if (mism || done < pl->count)
			groups_failed++;
		else
			groups_passed++;
	}

	pthread_join(wt, NULL);
	if (!harness_error) {
		char st[128];
		if (oracle_wait(&orc, 0, st, sizeof(st)) != 0) {
			printf("harness error: oracle: %s\n", st);
			harness_error = true;
		}
	}
	soft_runner_destroy(sr);
	emu_runner_destroy(er);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("total: %" PRIu64 " cases, %" PRIu64 " mismatches, %.1f s (%.0f cases/s), seed=%" PRIu64 "\n",
	       total_cases, total_mismatches, secs, secs > 0 ? (double)total_cases / secs : 0.0, seed);
	if (ncov)
		cov_report();
	/* The final tally counts instruction groups (a group passes when all
	 * its cases matched). */
	printf("%u passed, %u failed\n", groups_passed, groups_failed);
	if (harness_error)
		status = 2;
	else if (total_mismatches)
		status = 1;
	return status;
}
