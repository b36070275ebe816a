/* avmm: command line and the vCPU loop for the first machine: RAM at the
 * QEMU virt address, a PL011-compatible console transmit register and PSCI
 * SYSTEM_OFF/RESET over HVC, enough to run bare-metal guest programs on
 * the soft CPU. The full virt machine (GIC, devices, device tree, Linux
 * boot) grows from here. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "accel/accel.h"

#define RAM_BASE 0x40000000ull
#define UART_BASE 0x09000000ull
#define UART_SIZE 0x1000ull

#define PSCI_VERSION 0x84000000u
#define PSCI_SYSTEM_OFF 0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u

struct opts {
	const char *kernel;
	const char *accel;
	uint64_t ram_mib;
	bool stats;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: avmm [options] -kernel FILE\n"
		"  -kernel FILE   raw AArch64 image, loaded at 0x%llx and entered at EL1\n"
		"  -m MIB         guest RAM in MiB (default 128)\n"
		"  -accel NAME    soft (default here: %s)\n"
		"  --stats        print execution counters on exit\n"
		"  -h, --help     this text\n",
		(unsigned long long)RAM_BASE, accel_default_name());
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "kernel", required_argument, 0, 'k' }, { "accel", required_argument, 0, 'a' },
		{ "stats", no_argument, 0, 's' },          { "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	o->ram_mib = 128;
	o->accel = NULL;
	int ch;
	while ((ch = getopt_long_only(argc, argv, "m:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'k': o->kernel = optarg; break;
		case 'a': o->accel = optarg; break;
		case 's': o->stats = true; break;
		case 'm': {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(optarg, &end, 10);
			if (errno || *end || v < 1 || v > 65536) {
				fprintf(stderr, "avmm: -m %s: give the RAM size in MiB, 1 to 65536\n", optarg);
				return -1;
			}
			o->ram_mib = v;
			break;
		}
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "avmm: unexpected argument '%s' (see avmm --help)\n", argv[optind]);
		return -1;
	}
	if (!o->kernel) {
		fprintf(stderr, "avmm: no guest given: pass -kernel FILE (see avmm --help)\n");
		return -1;
	}
	return 0;
}

/* Load the guest image. An arm64 Image (magic "ARM\x64" at 0x38) goes to
 * RAM + text_offset as the arm64 boot protocol says; anything else is a raw
 * binary at the start of RAM. Returns the entry offset into RAM, or -1. */
static int64_t load_image(const char *path, uint8_t *ram, uint64_t ram_size)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "avmm: cannot open kernel '%s': %s\n", path, strerror(errno));
		return -1;
	}
	uint8_t hdr[64] = { 0 };
	size_t hn = fread(hdr, 1, sizeof(hdr), f);
	uint64_t off = 0;
	if (hn == sizeof(hdr) && !memcmp(hdr + 0x38, "ARM\x64", 4)) {
		memcpy(&off, hdr + 8, 8);
		if (off >= ram_size) {
			fprintf(stderr, "avmm: kernel '%s' asks for text_offset 0x%" PRIx64 ", beyond guest RAM\n", path, off);
			fclose(f);
			return -1;
		}
	}
	rewind(f);
	size_t n = fread(ram + off, 1, ram_size - off, f);
	int more = fgetc(f);
	fclose(f);
	if (more != EOF) {
		fprintf(stderr, "avmm: kernel '%s' is larger than guest RAM (%" PRIu64 " MiB); raise -m\n", path,
			ram_size >> 20);
		return -1;
	}
	if (n == 0) {
		fprintf(stderr, "avmm: kernel '%s' is empty\n", path);
		return -1;
	}
	return (int64_t)off;
}

/* Complete an ISV=1 MMIO access (facts/hvapi.md §4.2). */
static int mmio(struct accel_vcpu *v, const struct accel_exit *ex)
{
	uint64_t esr = ex->esr;
	if (!(esr & (1u << 24))) {
		fprintf(stderr, "avmm: guest MMIO at 0x%" PRIx64 " without a valid syndrome\n", ex->ipa);
		return -1;
	}
	unsigned srt = (esr >> 16) & 31, sas = (esr >> 22) & 3;
	bool write = esr & (1u << 6);
	uint64_t pc;
	accel_get_reg(v, ACCEL_REG_PC, &pc);
	if (ex->ipa >= UART_BASE && ex->ipa < UART_BASE + UART_SIZE) {
		uint64_t off = ex->ipa - UART_BASE;
		if (write) {
			uint64_t val = 0;
			if (srt != 31)
				accel_get_reg(v, (enum accel_reg)srt, &val);
			if (off == 0) { /* UARTDR */
				putchar((int)(val & 0xff));
				fflush(stdout);
			}
		} else if (srt != 31) {
			uint64_t val = off == 0x18 ? 0x90 : 0; /* UARTFR: TX empty, RX empty */
			(void)sas;
			accel_set_reg(v, (enum accel_reg)srt, val);
		}
	} else {
		fprintf(stderr, "avmm: guest %s of %u bytes at unmapped address 0x%" PRIx64 "\n",
			write ? "write" : "read", 1u << sas, ex->ipa);
		return -1;
	}
	return accel_set_reg(v, ACCEL_REG_PC, pc + 4);
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	if (parse(argc, argv, &o))
		return 2;
	const char *an = o.accel ? o.accel : accel_default_name();
	const struct accel_ops *ops = accel_find(an);
	if (!ops) {
		fprintf(stderr, "avmm: accelerator '%s' is not available in this build (try -accel soft)\n", an);
		return 2;
	}
	uint64_t ram_size = o.ram_mib << 20;
	uint8_t *ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED) {
		fprintf(stderr, "avmm: cannot allocate %" PRIu64 " MiB of guest RAM: %s\n", o.ram_mib, strerror(errno));
		return 1;
	}
	int64_t entry = load_image(o.kernel, ram, ram_size);
	if (entry < 0)
		return 2;

	struct accel_vm *vm;
	struct accel_vcpu *v;
	const struct accel_exit *ex;
	int r = accel_vm_create(ops, NULL, &vm);
	if (!r)
		r = accel_map(vm, ram, RAM_BASE, ram_size, ACCEL_MEM_READ | ACCEL_MEM_WRITE | ACCEL_MEM_EXEC);
	if (!r)
		r = accel_vcpu_create(vm, &v, &ex);
	if (r) {
		fprintf(stderr, "avmm: cannot create the VM: %s\n", strerror(-r));
		return 1;
	}
	accel_set_reg(v, ACCEL_REG_CPSR, 0x3c5); /* EL1h, DAIF masked */
	accel_set_reg(v, ACCEL_REG_PC, RAM_BASE + (uint64_t)entry);
	accel_set_sysreg(v, SYSREG_SP_EL1, RAM_BASE + ram_size);

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int status = -1;
	while (status < 0) {
		accel_vcpu_run(v);
		if (ex->reason == ACCEL_EXIT_CANCELED || ex->reason == ACCEL_EXIT_VTIMER_ACTIVATED)
			continue;
		uint64_t pc, x0;
		accel_get_reg(v, ACCEL_REG_PC, &pc);
		switch (ESR_EC(ex->esr)) {
		case EC_DABT_LOWER:
			if (mmio(v, ex))
				status = 1;
			break;
		case EC_HVC64:
			accel_get_reg(v, ACCEL_REG_X0, &x0);
			if ((uint32_t)x0 == PSCI_SYSTEM_OFF || (uint32_t)x0 == PSCI_SYSTEM_RESET)
				status = 0;
			else if ((uint32_t)x0 == PSCI_VERSION)
				accel_set_reg(v, ACCEL_REG_X0, 0x10001);
			else
				accel_set_reg(v, ACCEL_REG_X0, ~0ull); /* SMCCC NOT_SUPPORTED */
			break;
		case EC_SMC64:
			accel_set_reg(v, ACCEL_REG_X0, ~0ull);
			accel_set_reg(v, ACCEL_REG_PC, pc + 4);
			break;
		case EC_WFX:
			accel_set_reg(v, ACCEL_REG_PC, pc + 4);
			break;
		default:
			fprintf(stderr, "avmm: unhandled guest exit: ESR 0x%" PRIx64 " at PC 0x%" PRIx64 " (VA 0x%" PRIx64
				", IPA 0x%" PRIx64 ")\n", ex->esr, pc, ex->va, ex->ipa);
			status = 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (o.stats) {
		extern void soft_print_stats(struct accel_vcpu *v, FILE *f);
		double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		fprintf(stderr, "avmm: ran %.3f s\n", s);
		if (ops == &accel_soft_ops)
			soft_print_stats(v, stderr);
	}
	accel_vcpu_destroy(v);
	accel_vm_destroy(vm);
	munmap(ram, ram_size);
	return status;
}
