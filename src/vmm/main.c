/* avmm: the command line (QEMU's common options, as QEMU users expect them)
 * and the top level: build the machine, run it, report. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "host/host.h"
#include "machine/virt.h"
#include "monitor/monitor-vm.h"
#include "vmm/devopts.h"
#include "vmm/console.h"
#include "vmm/evloop.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: avmm [options] -kernel IMAGE | -bios FIRMWARE\n"
		"\n"
		"  -M, -machine NAME[,hvc-patch=on|off|watchdog|both]\n"
		"                      machine type: virt (default); hvc-patch: rewrite the guest's hvc #0 to\n"
		"                      hvc #1 when a page is first executed (on), or when a vCPU spins after a\n"
		"                      refused Apple call (watchdog), or both (default off)\n"
		"  -M virt,dumpdtb=FILE  write the device tree the guest would get to FILE and exit\n"
		"  -cpu MODEL[,pauth=on|off]  host (default) or max (pointer authentication on); with\n"
		"                      -accel hvf both are the host CPU, pointer authentication included\n"
		"  -m SIZE             guest RAM: MiB, or with a suffix K, M, G or T (default 512M); at most\n"
		"                      255G, the host's memory, and what the accelerator's IPA size allows\n"
		"  -smp N              number of vCPUs, 1 to %u (default 1)\n"
		"  -kernel FILE        arm64 Linux Image (raw or gzip) or a bare-metal program with an Image header\n"
		"  -initrd FILE        initial RAM disk\n"
		"  -append STRING      kernel command line\n"
		"  -dtb FILE           use this device tree instead of the generated one; its memory node,\n"
		"                      /psci and (with -kernel) /chosen are fitted to -m, -append, -initrd\n"
		"  -bios FILE          firmware image, loaded into flash at 0x0 and started there\n"
		"  -serial DEV         stdio (default), none, or file:PATH\n"
		"  -nographic          accepted for QEMU compatibility (there is no display)\n"
		"  -accel NAME         soft, hvf or kvm (default here: %s)\n"
		"  -accel soft,hvc0=exit|hvf-public|hvf-private  how the soft CPU treats hvc #0 with x0 in\n"
		"                      0xC1xxxxxx: exit to the VMM, refuse as HVF does (default), or answer as\n"
		"                      HVF with Apple's private ISA level does\n"
		"  -accel NAME,gic=user|kernel|auto  the GICv3 in user space (default), in the accelerator\n"
		"                      (hvf on macOS 15+), or in the accelerator when it has one; kvm: always\n"
		"                      the kernel's (KVM also runs PSCI, WFI and the timer in the kernel)\n"
		"  -accel hvf,el2=on   give the guest EL2 (nested virtualization; needs host support)\n"
		"  -d hvc-patch        log patched pages and print the hvc-patch counters at exit\n"
		"  -no-reboot          exit when the guest asks for a reset\n"
		"  -device testdev     map the MMIO test device and print its access log at exit\n"
		"  -name NAME          the VM's name (QMP query-name)\n"
		"  -qmp unix:PATH,server=on,wait=off | tcp:HOST:PORT,server=on,wait=off\n"
		"                      a QMP socket (several allowed; wait=on, the default, waits for a first\n"
		"                      client before the guest starts)\n"
		"  -monitor unix:PATH,server=on,wait=off | tcp:...  the human monitor on a socket\n"
		"  -nic user[,hostfwd=tcp::HOSTPORT-:GUESTPORT][,model=virtio-net-pci|virtio-net-device][,mac=..]\n"
		"                      a NIC on user-mode networking (libslirp: guest 10.0.2.15 by DHCP,\n"
		"                      gateway 10.0.2.2 = the host's loopback, DNS 10.0.2.3); the default\n"
		"                      when no network option is given. -nic none: no NIC\n"
		"  -netdev user|tap|vmnet-shared|vmnet-host|vmnet-bridged,id=ID[,...]  a back end for\n"
		"                      -device virtio-net-pci|virtio-net-device,netdev=ID[,mac=..]\n"
		"  --stats             print execution counters at exit\n"
		"  -h, --help          this text\n"
		"\n"
		"Console: Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A.\n"
		"\n"
		"Exit status: 0 the guest powered off, or was stopped by Ctrl-A x, SIGINT, SIGTERM or SIGHUP\n"
		"(orderly shutdown, as QEMU), or asked for a reset under -no-reboot; 1 an error (the VM could\n"
		"not be built, or failed while running); 2 a bad command line. A guest reset restarts the\n"
		"machine inside the same process. Other signals: the terminal is restored, then avmm dies by\n"
		"the signal (SIGPIPE is ignored: output to a closed pipe is dropped).\n",
		VM_MAX_CPUS, accel_default_name());
}

/* -m: a whole number with an optional suffix K, M (the default), G or T,
 * as QEMU reads it. 0 and overflow are refused here; the limits of the
 * machine and the host are checked by check_ram. */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	if (*s < '0' || *s > '9') /* strtoull takes "-1" and " 1" */
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	unsigned shift = 20;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	case 'T': case 't': shift = 40; end++; break;
	}
	if (*end || v == 0 || v > UINT64_MAX >> shift)
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

/* RAM the machine and the host can hold: one message naming the limit and
 * the fix. The accelerator's IPA size is checked once it exists (virt.c). */
static int check_ram(const char *arg, uint64_t size)
{
	if (size & 0x3fff) {
		fprintf(stderr, "avmm: -m %s: the RAM size must be a multiple of 16 KiB (the page size "
				"Hypervisor.framework maps), e.g. -m 512M\n", arg);
		return -1;
	}
	if (size > VIRT_RAM_MAX) {
		fprintf(stderr, "avmm: -m %s: the virt machine has room for %" PRIu64 " GiB of RAM at most (from 0x%" PRIx64
				" up to its high MMIO regions at 0x%" PRIx64 "); lower -m\n",
			arg, (uint64_t)(VIRT_RAM_MAX >> 30), (uint64_t)VIRT_RAM_BASE, (uint64_t)(VIRT_RAM_BASE + VIRT_RAM_MAX));
		return -1;
	}
	/* Guest RAM is reserved lazily (MAP_NORESERVE), so any size maps; more
	 * than the host has in all would be refused by Linux's default
	 * overcommit for QEMU's allocation, and can only end in the OOM killer. */
#ifdef __linux__
	static const char what[] = " (RAM and swap)";
#else
	static const char what[] = "";
#endif
	uint64_t host = host_memory_total();
	if (host && size > host) {
		fprintf(stderr, "avmm: -m %s: more than the %.1f GiB of memory this host has%s; lower -m\n", arg,
			(double)host / (double)(1ull << 30), what);
		return -1;
	}
	return 0;
}

/* "NAME[,key=value...]": NAME is copied to name[VM_OPT_NAME_MAX]; each
 * key=value goes to fn, which returns 0 or -1 (it prints why). */
static int parse_subopts(const char *opt, const char *arg, char *name,
			 int (*fn)(struct vm_opts *o, const char *opt, const char *key, const char *val),
			 struct vm_opts *o)
{
	size_t n = strcspn(arg, ",");
	char copy[256];
	if (n >= VM_OPT_NAME_MAX || strlen(arg) >= sizeof(copy)) {
		fprintf(stderr, "avmm: %s %s: too long\n", opt, arg);
		return -1;
	}
	memcpy(copy, arg, strlen(arg) + 1);
	copy[n] = 0;
	memcpy(name, copy, n + 1);
	for (char *kv = arg[n] ? copy + n + 1 : NULL, *next; kv; kv = next) {
		next = strchr(kv, ',');
		if (next)
			*next++ = 0;
		char *eq = strchr(kv, '=');
		if (!eq) {
			fprintf(stderr, "avmm: %s %s: expected key=value, got '%s'\n", opt, arg, kv);
			return -1;
		}
		*eq = 0;
		if (fn(o, opt, kv, eq + 1))
			return -1;
	}
	return 0;
}

static int machine_opt(struct vm_opts *o, const char *opt, const char *key, const char *val)
{
	static char dumpdtb[256]; /* val lives in parse_subopts' copy */
	int m;
	if (!strcmp(key, "dumpdtb") && *val && strlen(val) < sizeof(dumpdtb)) {
		memcpy(dumpdtb, val, strlen(val) + 1);
		o->dumpdtb = dumpdtb;
		return 0;
	}
	if (!strcmp(key, "hvc-patch") && (m = hvc_patch_parse_mode(val)) >= 0) {
		o->hvc_patch = (unsigned)m;
		return 0;
	}
	fprintf(stderr, "avmm: %s: unknown option %s=%s (known: hvc-patch=on|off|watchdog|both, dumpdtb=FILE)\n", opt, key, val);
	return -1;
}

static int accel_opt(struct vm_opts *o, const char *opt, const char *key, const char *val)
{
	/* gic=user|kernel|auto (enum vm_gic_mode), el2=on|off: hvf's in-kernel
	 * GIC and guest EL2 (docs/hvf.md). */
	static const char *const gics[] = { "user", "kernel", "auto" };
	for (unsigned i = 0; !strcmp(key, "gic") && i < 3; i++)
		if (!strcmp(val, gics[i])) {
			o->gic = (uint8_t)i;
			return 0;
		}
	if (!strcmp(key, "el2") && (!strcmp(val, "on") || !strcmp(val, "off"))) {
		o->el2 = !strcmp(val, "on");
		return 0;
	}
	static const char *const modes[] = { "exit", "hvf-public", "hvf-private" }; /* enum accel_hvc0_mode */
	for (unsigned i = 0; !strcmp(key, "hvc0") && i < 3; i++)
		if (!strcmp(val, modes[i])) {
			o->hvc0_mode = (uint8_t)i;
			return 0;
		}
	fprintf(stderr, "avmm: %s: unknown option %s=%s (known: hvc0=exit|hvf-public|hvf-private, gic=user|kernel|auto, el2=on|off)\n", opt, key, val);
	return -1;
}

static int cpu_opt(struct vm_opts *o, const char *opt, const char *key, const char *val)
{
	if (!strcmp(key, "pauth") && (!strcmp(val, "on") || !strcmp(val, "off"))) {
		o->pauth = !strcmp(val, "on");
		return 0;
	}
	fprintf(stderr, "avmm: %s: unknown option %s=%s (known: pauth=on|off)\n", opt, key, val);
	return -1;
}

static int check_file(const char *opt, const char *path)
{
	struct stat st;
	if (stat(path, &st)) {
		fprintf(stderr, "avmm: %s %s: %s\n", opt, path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "avmm: %s %s: not a regular file\n", opt, path);
		return -1;
	}
	return 0;
}

static struct monitor_opts mon_opts;

static int parse(int argc, char **argv, struct vm_opts *o)
{
	enum { O_STATS = 256, O_NOREBOOT, O_NOGRAPHIC, O_CPU, O_DRIVE, O_HDA, O_NAME, O_QMP, O_MONITOR, O_NETDEV, O_NIC };
	static const struct option lo[] = {
		{ "machine", required_argument, 0, 'M' }, { "kernel", required_argument, 0, 'k' },
		{ "initrd", required_argument, 0, 'i' },  { "append", required_argument, 0, 'a' },
		{ "dtb", required_argument, 0, 'd' },     { "bios", required_argument, 0, 'b' },
		{ "serial", required_argument, 0, 's' },  { "accel", required_argument, 0, 'A' },
		{ "smp", required_argument, 0, 'S' },     { "device", required_argument, 0, 'D' },
		{ "stats", no_argument, 0, O_STATS },     { "no-reboot", no_argument, 0, O_NOREBOOT },
		{ "nographic", no_argument, 0, O_NOGRAPHIC }, { "help", no_argument, 0, 'h' },
		{ "cpu", required_argument, 0, O_CPU },   { "d", required_argument, 0, 'g' },
		{ "drive", required_argument, 0, O_DRIVE }, { "hda", required_argument, 0, O_HDA },
		{ "name", required_argument, 0, O_NAME }, { "qmp", required_argument, 0, O_QMP },
		{ "monitor", required_argument, 0, O_MONITOR },
		{ "netdev", required_argument, 0, O_NETDEV }, { "nic", required_argument, 0, O_NIC },
		{ 0, 0, 0, 0 },
	};
	static struct vm_devopts devopts;
	char err[600];
	memset(o, 0, sizeof(*o));
	o->devopts = &devopts;
	o->machine = "virt";
	o->ram_size = 512ull << 20;
	o->smp = 1;
	o->serial = "stdio";
	/* The soft backend answers `hvc #0` in Apple's 0xC1 range as HVF does on
	 * every public host (no private ISA level): the VMM never sees them. */
	o->hvc0_mode = ACCEL_HVC0_HVF_PUBLIC;
	bool pauth_given = false; /* -cpu ...,pauth=on|off */
	bool gic_given = false;   /* -accel ...,gic= */
	const char *m_arg = "512M";
	int ch;
	opterr = 0;
	while ((ch = getopt_long_only(argc, argv, ":M:m:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'M':
			if (parse_subopts("-M", optarg, o->machine_name, machine_opt, o))
				return -1;
			o->machine = o->machine_name;
			break;
		case O_CPU: {
			char model[VM_OPT_NAME_MAX];
			if (parse_subopts("-cpu", optarg, model, cpu_opt, o))
				return -1;
			pauth_given = pauth_given || strstr(optarg, "pauth=");
			if (!strcmp(model, "max")) { /* QEMU's "everything implemented" */
				if (!strstr(optarg, "pauth="))
					o->pauth = true;
			} else if (strcmp(model, "host")) {
				fprintf(stderr, "avmm: -cpu %s: unknown CPU model (known: host, max)\n", model);
				return -1;
			}
			break;
		}
		case 'g':
			if (strcmp(optarg, "hvc-patch")) {
				fprintf(stderr, "avmm: -d %s: unknown debug item (known: hvc-patch)\n", optarg);
				return -1;
			}
			o->debug_hvc_patch = true;
			break;
		case 'k': o->kernel = optarg; break;
		case 'i': o->initrd = optarg; break;
		case 'a': o->append = optarg; break;
		case 'd': o->dtb = optarg; break;
		case 'b': o->bios = optarg; break;
		case 's': o->serial = optarg; break;
		case 'A':
			if (parse_subopts("-accel", optarg, o->accel_name, accel_opt, o))
				return -1;
			o->accel = o->accel_name;
			gic_given = gic_given || strstr(optarg, "gic=");
			break;
		case O_STATS: o->stats = true; break;
		case O_NOREBOOT: o->no_reboot = true; break;
		case O_NOGRAPHIC: break;
		case 'D':
			if (!strcmp(optarg, "testdev")) {
				o->testdev = true;
				break;
			}
			if (devopts_device(o->devopts, optarg, err, sizeof(err))) {
				fprintf(stderr, "avmm: %s\n", err);
				return -1;
			}
			break;
		case O_NETDEV:
		case O_NIC:
			if (ch == O_NETDEV ? devopts_netdev(o->devopts, optarg, err, sizeof(err))
					   : devopts_nic(o->devopts, optarg, err, sizeof(err))) {
				fprintf(stderr, "avmm: %s\n", err);
				return -1;
			}
			break;
		case O_DRIVE:
		case O_HDA:
			if (ch == O_DRIVE ? devopts_drive(o->devopts, optarg, err, sizeof(err))
					  : devopts_hda(o->devopts, optarg, err, sizeof(err))) {
				fprintf(stderr, "avmm: %s\n", err);
				return -1;
			}
			break;
		case O_NAME: mon_opts.name = optarg; break;
		case O_QMP:
		case O_MONITOR: {
			bool q = ch == O_QMP;
			unsigned *n = q ? &mon_opts.nqmp : &mon_opts.nhmp;
			if (!q && (!strcmp(optarg, "stdio") || !strcmp(optarg, "none"))) {
				if (!strcmp(optarg, "none"))
					break;
				fprintf(stderr, "avmm: -monitor stdio: the console has stdio; use -monitor "
						"unix:PATH,server=on,wait=off (or QMP's human-monitor-command)\n");
				return -1;
			}
			if (*n >= MONITOR_MAX_SOCKETS) {
				fprintf(stderr, "avmm: %s: at most %u\n", q ? "-qmp" : "-monitor", MONITOR_MAX_SOCKETS);
				return -1;
			}
			(q ? mon_opts.qmp : mon_opts.hmp)[(*n)++] = optarg;
			break;
		}
		case 'm':
			if (parse_size(optarg, &o->ram_size)) {
				fprintf(stderr, "avmm: -m %s: give the RAM size in MiB or with a suffix, e.g. -m 512 or -m 2G\n",
					optarg);
				return -1;
			}
			m_arg = optarg;
			break;
		case 'S': {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || n < 1 || n > VM_MAX_CPUS) {
				fprintf(stderr, "avmm: -smp %s: give a number of vCPUs from 1 to %u\n", optarg, VM_MAX_CPUS);
				return -1;
			}
			o->smp = (unsigned)n;
			break;
		}
		case 'h': usage(stdout); exit(0);
		case ':':
			fprintf(stderr, "avmm: option %s needs an argument (see avmm --help)\n", argv[optind - 1]);
			return -1;
		default:
			fprintf(stderr, "avmm: unknown option '%s' (see avmm --help)\n", argv[optind - 1]);
			return -1;
		}
	}
	if (devopts_finish(o->devopts, err, sizeof(err))) {
		fprintf(stderr, "avmm: %s\n", err);
		return -1;
	}
	if (optind < argc) {
		fprintf(stderr, "avmm: unexpected argument '%s' (see avmm --help)\n", argv[optind]);
		return -1;
	}
	if (strcmp(o->machine, "virt")) {
		fprintf(stderr, "avmm: -M %s: unknown machine (known: virt)\n", o->machine);
		return -1;
	}
	/* On Hypervisor.framework the guest runs on the host CPU: -cpu host and
	 * max both mean its features (QEMU's meaning on hvf and KVM), and
	 * Apple silicon's pointer authentication runs natively whatever the
	 * ID registers say, so it cannot be turned off; HVF answers `hvc #0`
	 * in Apple's 0xC1 range itself (hvc0=hvf-public), nothing else. */
	if (!o->accel) /* once: on Linux arm64 this probes /dev/kvm and may note a fallback */
		o->accel = accel_default_name();
	/* KVM keeps PSCI, WFI, the timer and the GIC in the kernel
	 * (ACCEL_CAP_KERNEL_PSCI): its GIC is the only one, and nothing that
	 * needs HVC or trap exits in avmm can work. */
	if (!strcmp(o->accel, "kvm")) {
		if (gic_given && o->gic == VM_GIC_USER) {
			fprintf(stderr, "avmm: -accel kvm,gic=user: not supported (KVM on arm64 needs its in-kernel GICv3); "
					"use gic=kernel or gic=auto\n");
			return -1;
		}
		o->gic = VM_GIC_KERNEL;
		const char *no = o->hvc_patch ? "-M virt,hvc-patch=...: KVM answers hvc #0 in the kernel, avmm never sees it"
			       : o->el2 ? "-accel kvm,el2=on: guest EL2 is not supported with kvm"
			       : o->hvc0_mode != ACCEL_HVC0_HVF_PUBLIC ? "-accel kvm,hvc0=...: that is a soft-CPU option"
			       : o->debug_hvc_patch ? "-d hvc-patch: no hvc-patch with kvm"
			       : NULL;
		if (no) {
			fprintf(stderr, "avmm: %s\n", no);
			return -1;
		}
	}
	if (!strcmp(o->accel, "hvf")) {
		if (pauth_given && !o->pauth) {
			fprintf(stderr, "avmm: -cpu ...,pauth=off: not possible with -accel hvf (the host CPU's pointer "
					"authentication runs natively in the guest); use -accel soft\n");
			return -1;
		}
		if (o->hvc0_mode != ACCEL_HVC0_HVF_PUBLIC) {
			fprintf(stderr, "avmm: -accel hvf,hvc0=...: Hypervisor.framework answers hvc #0 with x0 in "
					"0xC1xxxxxx itself (hvc0=hvf-public); to reach avmm's Apple services use "
					"-M virt,hvc-patch=on\n");
			return -1;
		}
	}
	if (!o->kernel && !o->bios) {
		fprintf(stderr, "avmm: nothing to boot: pass -kernel IMAGE or -bios FIRMWARE (see avmm --help)\n");
		return -1;
	}
	if ((o->initrd || o->append) && !o->kernel) {
		fprintf(stderr, "avmm: -initrd and -append need -kernel\n");
		return -1;
	}
	if (check_ram(m_arg, o->ram_size))
		return -1;
	if ((o->kernel && check_file("-kernel", o->kernel)) || (o->initrd && check_file("-initrd", o->initrd)) ||
	    (o->dtb && check_file("-dtb", o->dtb)) || (o->bios && check_file("-bios", o->bios)))
		return -1;
	return 0;
}

/* ---- signals, in one place ----
 * SIGINT, SIGTERM, SIGHUP: an orderly shutdown, taken by the main loop
 * (signalfd / EVFILT_SIGNAL; blocked in every thread, which inherit the mask
 * from main). Signals that kill (SIGQUIT, SIGUSR1/2, the crash signals): the
 * terminal is restored first, async-signal-safely, then avmm dies by the
 * same signal. SIGUSR1 is KVM's vCPU kick when -accel kvm installs its
 * no-op handler (after this). SIGPIPE: ignored, writes fail with EPIPE. */

static void on_fatal_signal(int sig)
{
	console_restore_terminal();
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	raise(sig); /* pending until the handler returns: then the default action */
}

static void fatal_signals_setup(void)
{
	static const int fatal[] = { SIGQUIT, SIGUSR1, SIGUSR2, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS };
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sigemptyset(&sa.sa_mask);
	for (unsigned i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void on_term_signal(void *opaque, int sig)
{
	struct vm *vm = opaque;
	/* QEMU's words; the exit status stays 0, as QEMU's does. */
	fprintf(stderr, "\r\navmm: terminating on signal %d\r\n", sig);
	monitor_vm_reason("host-signal");
	vm_request(vm, VM_OFF);
}

int main(int argc, char **argv)
{
	fatal_signals_setup();
	struct vm_opts o;
	if (parse(argc, argv, &o))
		return 2;
	/* Before any thread exists: the termination signals are blocked in
	 * this one and so in every thread created from now on. */
	struct evloop *loop = evloop_new();
	static struct vm vm;
	static const int term[] = { SIGINT, SIGTERM, SIGHUP };
	int r = loop ? evloop_signals(loop, term, 3, on_term_signal, &vm) : -errno;
	if (r) {
		fprintf(stderr, "avmm: cannot set up the main loop: %s\n", strerror(-r));
		evloop_free(loop);
		return 1;
	}
	int cr = virt_create(&vm, &o);
	if (cr) { /* 1: nothing to run (dumpdtb) */
		virt_destroy(&vm);
		evloop_free(loop);
		return cr > 0 ? 0 : 1;
	}
	atomic_store(&vm.loop, loop);
	if (monitor_vm_start(&vm, loop, &mon_opts)) {
		atomic_store(&vm.loop, NULL);
		virt_destroy(&vm);
		evloop_free(loop);
		return 1;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Boot, and after each guest reset request boot again in this process
	 * (virt_reset: devices, memory, the accelerator's VM), unless
	 * -no-reboot or a power-off came first. */
	enum vm_state st;
	for (;;) {
		st = vm_run(&vm);
		monitor_vm_boot_ended(st, st == VM_RESET && !o.no_reboot);
		if (st != VM_RESET || o.no_reboot)
			break;
		if (virt_reset(&vm)) {
			st = VM_ERROR;
			break;
		}
		if (!vm_restart(&vm)) {
			st = (enum vm_state)atomic_load(&vm.state);
			break;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (o.stats) {
		fprintf(stderr, "avmm: ran %.3f s, %" PRIu64 " boot(s)\n",
			(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, vm.boots);
		virt_print_stats(&vm);
	}
	monitor_vm_stop();
	atomic_store(&vm.loop, NULL);
	virt_destroy(&vm);
	evloop_free(loop);
	return st == VM_ERROR || console_had_error() ? 1 : 0;
}
