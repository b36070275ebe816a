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
#include "hw/testdev.h"
#include "vmm/mmio-exit.h"

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
	bool testdev; /* -device testdev */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: avmm [options] -kernel FILE\n"
		"  -kernel FILE   raw AArch64 image, loaded at 0x%llx and entered at EL1\n"
		"  -m MIB         guest RAM in MiB (default 128)\n"
		"  -accel NAME    soft (default here: %s)\n"
		"  --stats        print execution counters on exit\n"
		"  -device testdev  map the MMIO test device at 0x%llx; its access log is printed at exit\n"
		"  -h, --help     this text\n",
		(unsigned long long)RAM_BASE, accel_default_name(), (unsigned long long)TESTDEV_BASE);
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "kernel", required_argument, 0, 'k' }, { "accel", required_argument, 0, 'a' },
		{ "stats", no_argument, 0, 's' },          { "help", no_argument, 0, 'h' },
		{ "device", required_argument, 0, 'd' },
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
		case 'd':
			if (strcmp(optarg, "testdev")) {
				fprintf(stderr, "avmm: -device %s: unknown device (known: testdev)\n", optarg);
				return -1;
			}
			o->testdev = true;
			break;
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

/* Guest memory as the data-abort handler (vmm/mmio-exit.c) sees it: RAM,
 * the console's transmit and flag registers, and the test device. */
struct machine_mem {
	uint8_t *ram;
	uint64_t ram_size;
	struct testdev *testdev; /* NULL without -device testdev */
	unsigned unassigned;     /* accesses that hit nothing (the first few are logged) */
};

static void *mem_ram(void *opaque, uint64_t ipa, uint64_t len)
{
	struct machine_mem *mm = opaque;
	if (ipa < RAM_BASE || ipa - RAM_BASE > mm->ram_size || len > mm->ram_size - (ipa - RAM_BASE))
		return NULL;
	return mm->ram + (ipa - RAM_BASE);
}

static bool mem_unassigned(struct machine_mem *mm, const char *what, uint64_t ipa, unsigned size)
{
	if (mm->unassigned++ < 10)
		fprintf(stderr, "avmm: guest %s of %u bytes at unmapped address 0x%" PRIx64 ": external abort\n", what,
			size, ipa);
	return false;
}

static bool mem_read(void *opaque, uint64_t ipa, unsigned size, uint64_t *val)
{
	struct machine_mem *mm = opaque;
	if (ipa >= UART_BASE && ipa - UART_BASE < UART_SIZE) {
		*val = ipa - UART_BASE == 0x18 ? 0x90 : 0; /* UARTFR: TX empty, RX empty */
		return true;
	}
	if (mm->testdev && ipa >= TESTDEV_BASE && ipa - TESTDEV_BASE < TESTDEV_SIZE) {
		*val = testdev_read(mm->testdev, ipa - TESTDEV_BASE, size);
		return true;
	}
	return mem_unassigned(mm, "read", ipa, size);
}

static bool mem_present(void *opaque, uint64_t ipa, uint64_t len)
{
	struct machine_mem *mm = opaque;
	if (ipa >= UART_BASE && ipa - UART_BASE < UART_SIZE && len <= UART_SIZE - (ipa - UART_BASE))
		return true;
	return mm->testdev && ipa >= TESTDEV_BASE && ipa - TESTDEV_BASE < TESTDEV_SIZE &&
	       len <= TESTDEV_SIZE - (ipa - TESTDEV_BASE);
}

static bool mem_write(void *opaque, uint64_t ipa, unsigned size, uint64_t val)
{
	struct machine_mem *mm = opaque;
	if (ipa >= UART_BASE && ipa - UART_BASE < UART_SIZE) {
		if (ipa == UART_BASE) { /* UARTDR */
			putchar((int)(val & 0xff));
			fflush(stdout);
		}
		return true;
	}
	if (mm->testdev && ipa >= TESTDEV_BASE && ipa - TESTDEV_BASE < TESTDEV_SIZE) {
		testdev_write(mm->testdev, ipa - TESTDEV_BASE, size, val);
		return true;
	}
	return mem_unassigned(mm, "write", ipa, size);
}

/* ---- Virtual timer and WFI (Hypervisor.framework's model, facts/hvapi.md
 * §2.3): a VTIMER_ACTIVATED exit means the guest's EL1 virtual timer fired;
 * the accelerator has masked it. With no interrupt controller yet, the
 * timer drives the vCPU's IRQ line directly: it is asserted before every
 * run while CNTV_CTL shows the condition (ENABLE, ISTATUS, not IMASK); once
 * the guest has dealt with it (checked on every exit, as QEMU and VBox do)
 * the line drops and the vtimer is unmasked. */
static bool vtimer_asserted(struct accel_vcpu *v)
{
	uint64_t ctl = 0;
	accel_get_sysreg(v, SYSREG_CNTV_CTL_EL0, &ctl);
	return (ctl & 7) == 5; /* ENABLE | ISTATUS, IMASK clear */
}

/* WFI: sleep until the vtimer deadline (or at most 50 ms when there is
 * none: WFI may complete early, so the guest just waits again), unless an
 * interrupt is already pending. */
static void wfi_sleep(struct accel_vcpu *v, bool irq_pending)
{
	uint64_t ns = 50000000;
	uint64_t ctl = 0, cval = 0, cnt = 0, frq = 0;
	if (irq_pending)
		return;
	accel_get_sysreg(v, SYSREG_CNTV_CTL_EL0, &ctl);
	/* The guest's virtual count: soft backend register; on HVF this is
	 * mach_absolute_time() - vtimer offset. */
	if ((ctl & 3) == 1 && !accel_get_sysreg(v, SYSREG_CNTV_CVAL_EL0, &cval) &&
	    !accel_get_sysreg(v, ACCEL_SYSREG(3, 3, 14, 0, 2), &cnt) &&
	    !accel_get_sysreg(v, ACCEL_SYSREG(3, 3, 14, 0, 0), &frq) && frq) {
		if ((int64_t)(cval - cnt) <= 0)
			return;
		unsigned __int128 t = (unsigned __int128)(cval - cnt) * 1000000000u / frq + 1;
		ns = t < 1000000000u ? (uint64_t)t : 1000000000u;
	}
	struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Guest RAM: anonymous memory aligned to 16 KiB, the page size
 * Hypervisor.framework maps (the host's own page may be smaller). */
static uint8_t *ram_alloc(uint64_t size)
{
	const uint64_t align = 0x4000;
	uint8_t *p = mmap(NULL, size + align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	uint64_t head = (align - ((uintptr_t)p & (align - 1))) & (align - 1);
	if (head)
		munmap(p, head);
	munmap(p + head + size, align - head);
	return p + head;
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
	uint8_t *ram = ram_alloc(ram_size);
	if (!ram) {
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

	static struct testdev td;
	struct machine_mem mm = { .ram = ram, .ram_size = ram_size, .testdev = o.testdev ? &td : NULL };
	if (o.testdev)
		testdev_init(&td);
	const struct mmio_exit_mem mem = { .ram = mem_ram, .read = mem_read, .write = mem_write, .present = mem_present,
					   .opaque = &mm };
	struct mmio_exit dabt = { .vcpu = v, .mem = &mem, .features = INSN_EMU_F_ALL };

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int status = -1;
	bool vtimer_irq = false;
	while (status < 0) {
		if (vtimer_irq)
			accel_set_pending_interrupt(v, ACCEL_IRQ, true);
		accel_vcpu_run(v);
		if (ex->reason == ACCEL_EXIT_VTIMER_ACTIVATED) {
			vtimer_irq = true;
		} else if (vtimer_irq && !vtimer_asserted(v)) {
			vtimer_irq = false;
			accel_set_pending_interrupt(v, ACCEL_IRQ, false); /* hvf keeps the level set */
			v->ops->set_vtimer_mask(v, false);
		}
		if (ex->reason == ACCEL_EXIT_CANCELED || ex->reason == ACCEL_EXIT_VTIMER_ACTIVATED)
			continue;
		uint64_t pc, x0;
		accel_get_reg(v, ACCEL_REG_PC, &pc);
		switch (ESR_EC(ex->esr)) {
		case EC_DABT_LOWER:
			r = mmio_exit_handle(&dabt, ex);
			if (r < 0) {
				fprintf(stderr, "avmm: data abort at PC 0x%" PRIx64 " (ESR 0x%" PRIx64 "): %s\n", pc, ex->esr,
					strerror(-r));
				status = 1;
			} else if (r == MMIO_EXIT_INJECTED && dabt.n_injected <= 10) {
				fprintf(stderr, "avmm: external abort injected at PC 0x%" PRIx64 " (insn %08x, VA 0x%" PRIx64
					")\n", dabt.last_inject_pc, dabt.last_insn, dabt.last_inject_va);
			}
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
			if (!(ex->esr & 1)) /* WFI; WFE is a yield */
				wfi_sleep(v, vtimer_irq);
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
	if (o.testdev) {
		testdev_dump(&td, stderr);
		testdev_destroy(&td);
	}
	accel_vcpu_destroy(v);
	accel_vm_destroy(vm);
	munmap(ram, ram_size);
	return status;
}
