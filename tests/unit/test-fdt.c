/* Unit test of the device-tree builder: the virt machine's tree (root,
 * memory, cpus, psci, timer, GICv3, clock, PL011, PL031, chosen) built and
 * read back with libfdt, property by property; sticky errors (duplicate
 * node, missing parent, size limit, bad arguments) reported with a message
 * and never a crash; editing an existing blob (a -dtb file); and, when
 * `dtc` is installed, the blob decompiled by it. */
#include <libfdt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/pl011.h"
#include "hw/pl031.h"
#include "machine/fdt.h"
#include "check.h"

static int node(const void *fdt, const char *path)
{
	int off = fdt_path_offset(fdt, path);
	CHECK(off >= 0, "node %s: %s", path, fdt_strerror(off));
	return off;
}

/* The property must hold exactly these bytes. */
static void prop_is(const void *fdt, const char *path, const char *name, const void *val, int len)
{
	int off = fdt_path_offset(fdt, path), l = -1;
	const void *p = off >= 0 ? fdt_getprop(fdt, off, name, &l) : NULL;
	CHECK(p && l == len && (!len || !memcmp(p, val, (size_t)len)), "%s:%s (len %d, want %d)", path, name, l, len);
}

static void prop_str(const void *fdt, const char *path, const char *name, const char *s)
{
	prop_is(fdt, path, name, s, (int)strlen(s) + 1);
}

/* Cells given as host values. */
static void prop_cells(const void *fdt, const char *path, const char *name, unsigned n, ...)
{
	fdt32_t be[32];
	va_list ap;
	va_start(ap, n);
	for (unsigned i = 0; i < n; i++)
		be[i] = cpu_to_fdt32(va_arg(ap, uint32_t));
	va_end(ap);
	prop_is(fdt, path, name, be, (int)(n * 4));
}

static uint32_t u32_of(const void *fdt, const char *path, const char *name)
{
	int off = fdt_path_offset(fdt, path), l = 0;
	const fdt32_t *p = off >= 0 ? fdt_getprop(fdt, off, name, &l) : NULL;
	return p && l == 4 ? fdt32_to_cpu(*p) : 0xdeadbeef;
}

static void *build_virt(size_t *size)
{
	struct fdt_builder b;
	CHECK(fdtb_init(&b, 0) == 0, "init: %s", b.msg);
	fdt_virt_root(&b);
	fdt_virt_memory(&b, 0x40000000, 0x8000000);
	uint64_t mpidr[2] = { 0x80000000, 0x80000001 };
	fdt_virt_cpus(&b, mpidr, 2);
	fdt_virt_psci(&b, "hvc");
	fdt_virt_timer(&b);
	uint32_t gic = fdt_virt_gicv3(&b, 0x08000000, 0x10000, 0x080a0000, 2 * 0x20000);
	uint32_t clk = fdt_virt_apb_pclk(&b);
	CHECK(gic != 0 && clk != 0 && gic != clk, "phandles %u %u", gic, clk);
	const char *uart = pl011_fdt_node(&b, 0x09000000, 1, clk);
	const char *rtc = pl031_fdt_node(&b, 0x09010000, 2, clk);
	CHECK(uart && !strcmp(uart, "/pl011@9000000"), "uart path %s", uart ? uart : "(null)");
	CHECK(rtc && !strcmp(rtc, "/pl031@9010000"), "rtc path %s", rtc ? rtc : "(null)");
	fdt_virt_chosen(&b, "console=ttyAMA0 earlycon", uart, 0x48000000, 0x123456, "0123456789abcdef", 16);
	void *blob;
	int r = fdtb_finish(&b, &blob, size);
	CHECK(r == 0, "finish: %s", b.msg);
	fdtb_free(&b);
	return blob;
}

static void test_virt(void)
{
	size_t size;
	void *fdt = build_virt(&size);
	if (!fdt)
		return;
	CHECK(fdt_check_full(fdt, size) == 0, "check_full");
	EQ(fdt_totalsize(fdt), size);
	CHECK(size <= FDT_MAX_SIZE_DEFAULT, "size %zu", size);
	prop_str(fdt, "/", "compatible", "linux,dummy-virt");
	prop_cells(fdt, "/", "#address-cells", 1, 2);
	prop_cells(fdt, "/", "#size-cells", 1, 2);
	node(fdt, "/memory@40000000");
	prop_str(fdt, "/memory@40000000", "device_type", "memory");
	prop_cells(fdt, "/memory@40000000", "reg", 4, 0, 0x40000000, 0, 0x8000000);

	prop_cells(fdt, "/cpus", "#address-cells", 1, 1);
	prop_cells(fdt, "/cpus", "#size-cells", 1, 0);
	prop_cells(fdt, "/cpus/cpu@0", "reg", 1, 0);
	prop_cells(fdt, "/cpus/cpu@1", "reg", 1, 1); /* affinity only, not the RES1/U bits */
	prop_str(fdt, "/cpus/cpu@1", "compatible", "arm,arm-v8");
	prop_str(fdt, "/cpus/cpu@1", "device_type", "cpu");
	prop_str(fdt, "/cpus/cpu@0", "enable-method", "psci");
	int c0 = fdt_first_subnode(fdt, fdt_path_offset(fdt, "/cpus"));
	CHECK(c0 >= 0 && !strcmp(fdt_get_name(fdt, c0, NULL), "cpu@0"), "cpu@0 first");
	CHECK(!strcmp(fdt_get_name(fdt, fdt_next_subnode(fdt, c0), NULL), "cpu@1"), "cpu@1 second");

	prop_is(fdt, "/psci", "compatible", "arm,psci-1.0\0arm,psci-0.2", 26);
	prop_str(fdt, "/psci", "method", "hvc");

	prop_is(fdt, "/timer", "compatible", "arm,armv8-timer\0arm,armv7-timer", 32);
	prop_cells(fdt, "/timer", "interrupts", 12, 1, 13, 4, 1, 14, 4, 1, 11, 4, 1, 10, 4);
	prop_is(fdt, "/timer", "always-on", "", 0);

	const char *g = "/intc@8000000";
	prop_str(fdt, g, "compatible", "arm,gic-v3");
	prop_cells(fdt, g, "reg", 8, 0, 0x08000000, 0, 0x10000, 0, 0x080a0000, 0, 0x40000);
	prop_cells(fdt, g, "#interrupt-cells", 1, 3);
	prop_is(fdt, g, "interrupt-controller", "", 0);
	prop_cells(fdt, g, "#redistributor-regions", 1, 1);
	uint32_t gic = u32_of(fdt, g, "phandle");
	EQ(u32_of(fdt, "/", "interrupt-parent"), gic);
	EQ(fdt_node_offset_by_phandle(fdt, gic), fdt_path_offset(fdt, g));

	uint32_t clk = u32_of(fdt, "/apb-pclk", "phandle");
	prop_str(fdt, "/apb-pclk", "compatible", "fixed-clock");
	prop_cells(fdt, "/apb-pclk", "clock-frequency", 1, 24000000);
	prop_cells(fdt, "/apb-pclk", "#clock-cells", 1, 0);

	const char *u = "/pl011@9000000";
	prop_is(fdt, u, "compatible", "arm,pl011\0arm,primecell", 24);
	prop_cells(fdt, u, "reg", 4, 0, 0x09000000, 0, 0x1000);
	prop_cells(fdt, u, "interrupts", 3, 0, 1, 4);
	prop_cells(fdt, u, "clocks", 2, clk, clk);
	prop_is(fdt, u, "clock-names", "uartclk\0apb_pclk", 17);
	const char *r = "/pl031@9010000";
	prop_is(fdt, r, "compatible", "arm,pl031\0arm,primecell", 24);
	prop_cells(fdt, r, "reg", 4, 0, 0x09010000, 0, 0x1000);
	prop_cells(fdt, r, "interrupts", 3, 0, 2, 4);
	prop_cells(fdt, r, "clocks", 1, clk);
	prop_str(fdt, r, "clock-names", "apb_pclk");

	prop_str(fdt, "/chosen", "bootargs", "console=ttyAMA0 earlycon");
	prop_str(fdt, "/chosen", "stdout-path", u);
	prop_str(fdt, "/aliases", "serial0", u);
	prop_cells(fdt, "/chosen", "linux,initrd-start", 2, 0, 0x48000000);
	prop_cells(fdt, "/chosen", "linux,initrd-end", 2, 0, 0x48123456);
	prop_is(fdt, "/chosen", "rng-seed", "0123456789abcdef", 16);

	/* dtc, if installed, must accept and decompile it. */
	if (system("command -v dtc >/dev/null 2>&1") == 0) {
		char path[] = "/tmp/avmm-fdt-XXXXXX";
		int fd = mkstemp(path);
		CHECK(fd >= 0 && write(fd, fdt, size) == (ssize_t)size, "temp file");
		close(fd);
		char cmd[256];
		snprintf(cmd, sizeof(cmd), "dtc -q -I dtb -O dts '%s' 2>&1", path);
		FILE *p = popen(cmd, "r");
		char out[16384];
		size_t n = p ? fread(out, 1, sizeof(out) - 1, p) : 0;
		out[n] = 0;
		int st = p ? pclose(p) : -1;
		CHECK(st == 0, "dtc exit %d: %s", st, out);
		CHECK(strstr(out, "compatible = \"linux,dummy-virt\"") && strstr(out, "pl011@9000000 {") &&
			      strstr(out, "interrupts = <0x01 0x0d 0x04"),
		      "dtc output:\n%s", out);
		unlink(path);
		printf("dtc decompiled the tree (%zu bytes)\n", size);
	} else {
		printf("dtc not installed: decompile check skipped\n");
	}
	free(fdt);
}

static void test_wide_cpus(void)
{
	struct fdt_builder b;
	fdtb_init(&b, 0);
	fdt_virt_root(&b);
	uint64_t mpidr[2] = { 0x80000000, 0x0000000100000203ull };
	fdt_virt_cpus(&b, mpidr, 2);
	void *fdt;
	size_t size;
	CHECK(fdtb_finish(&b, &fdt, &size) == 0, "finish: %s", b.msg);
	fdtb_free(&b);
	if (!fdt)
		return;
	prop_cells(fdt, "/cpus", "#address-cells", 1, 2);
	prop_cells(fdt, "/cpus/cpu@0", "reg", 2, 0, 0);
	prop_cells(fdt, "/cpus/cpu@100000203", "reg", 2, 1, 0x203);
	free(fdt);
}

static void test_errors(void)
{
	struct fdt_builder b;
	void *fdt;
	size_t size;

	/* Duplicate node: error named, later calls do nothing, finish fails. */
	fdtb_init(&b, 0);
	CHECK(fdtb_node(&b, "/", "x@1") != NULL, "first node");
	CHECK(fdtb_node(&b, "/", "x@1") == NULL, "duplicate");
	CHECK(b.err != 0 && strstr(b.msg, "/x@1") && strstr(b.msg, "FDT_ERR_EXISTS"), "msg '%s'", b.msg);
	char first[256];
	snprintf(first, sizeof(first), "%s", b.msg);
	fdtb_prop_u32(&b, "/x@1", "a", 1);
	CHECK(fdtb_node(&b, "/", "y") == NULL, "sticky");
	CHECK(!strcmp(b.msg, first), "first error kept");
	CHECK(fdtb_finish(&b, &fdt, &size) != 0 && fdt == NULL && size == 0, "finish fails");
	fdtb_free(&b);

	/* Properties on a node that was never created (NULL path). */
	fdtb_init(&b, 0);
	fdtb_prop_str(&b, NULL, "compatible", "x");
	CHECK(b.err && strstr(b.msg, "not created"), "msg '%s'", b.msg);
	fdtb_free(&b);
	fdtb_init(&b, 0);
	CHECK(fdtb_node(&b, NULL, "orphan") == NULL && b.err, "NULL parent");
	fdtb_free(&b);
	fdtb_init(&b, 0);
	fdtb_prop_u32(&b, "/nope", "a", 1);
	CHECK(b.err && strstr(b.msg, "/nope") && strstr(b.msg, "FDT_ERR_NOTFOUND"), "msg '%s'", b.msg);
	fdtb_free(&b);
	fdtb_init(&b, 0);
	CHECK(fdtb_node(&b, "/", "a/b") == NULL && strstr(b.msg, "bad node name"), "msg '%s'", b.msg);
	fdtb_free(&b);
	fdtb_init(&b, 0);
	fdt_virt_psci(&b, "svc");
	CHECK(b.err && strstr(b.msg, "PSCI method"), "msg '%s'", b.msg);
	fdtb_free(&b);
	fdtb_init(&b, 0);
	fdt_virt_cpus(&b, NULL, 0);
	CHECK(b.err && strstr(b.msg, "no CPUs"), "msg '%s'", b.msg);
	fdtb_free(&b);

	/* The size limit: the tree grows up to it, then fails cleanly. */
	fdtb_init(&b, 8192);
	char big[1000];
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	const char *n = fdtb_node(&b, "/", "n");
	unsigned i;
	for (i = 0; i < 100 && !b.err; i++) {
		char name[32];
		snprintf(name, sizeof(name), "p%u", i);
		fdtb_prop_str(&b, n, name, big);
	}
	CHECK(b.err && i > 4 && i < 10 && strstr(b.msg, "size limit"), "limit after %u props: '%s'", i, b.msg);
	CHECK(b.size <= 8192, "size %zu", b.size);
	CHECK(fdtb_finish(&b, &fdt, &size) != 0, "finish fails");
	fdtb_free(&b);
	/* ... and growing from 4 KiB works below it. */
	fdtb_init(&b, 0);
	n = fdtb_node(&b, "/", "n");
	for (i = 0; i < 100; i++) {
		char name[32];
		snprintf(name, sizeof(name), "p%u", i);
		fdtb_prop_str(&b, n, name, big);
	}
	CHECK(b.err == 0, "grown: %s", b.msg);
	CHECK(fdtb_finish(&b, &fdt, &size) == 0 && size > 100000, "finish %zu", size);
	fdtb_free(&b);
	free(fdt);
}

static void test_open(void)
{
	size_t size;
	void *fdt = build_virt(&size);
	if (!fdt)
		return;
	struct fdt_builder b;
	CHECK(fdtb_open(&b, fdt, size, 0) == 0, "open: %s", b.msg);
	/* A -dtb file gets the command line's chosen properties. */
	fdt_virt_chosen(&b, "root=/dev/vda", NULL, 0, 0, NULL, 0);
	const char *extra = fdtb_node(&b, "/", "extra");
	uint32_t ph = fdtb_phandle(&b, extra);
	CHECK(ph == 3, "a fresh phandle after the existing ones: %u", ph);
	void *out;
	size_t osize;
	CHECK(fdtb_finish(&b, &out, &osize) == 0, "finish: %s", b.msg);
	fdtb_free(&b);
	if (out) {
		prop_str(out, "/chosen", "bootargs", "root=/dev/vda");
		CHECK(fdt_getprop(out, fdt_path_offset(out, "/chosen"), "linux,initrd-start", NULL) == NULL,
		      "initrd removed");
		prop_str(out, "/chosen", "stdout-path", "/pl011@9000000");
		free(out);
	}
	/* Broken blobs. */
	CHECK(fdtb_open(&b, "garbage garbage garbage garbage garbage garbage", 48, 0) != 0 &&
		      strstr(b.msg, "not a flattened device tree"),
	      "garbage: %s", b.msg);
	fdtb_free(&b);
	CHECK(fdtb_open(&b, fdt, size - 1, 0) != 0 && strstr(b.msg, "only"), "truncated: %s", b.msg);
	fdtb_free(&b);
	CHECK(fdtb_open(&b, fdt, 8, 0) != 0 && strstr(b.msg, "too short"), "short: %s", b.msg);
	fdtb_free(&b);
	CHECK(fdtb_open(&b, fdt, size, 256) != 0 && strstr(b.msg, "limit"), "over limit: %s", b.msg);
	fdtb_free(&b);
	uint8_t *c = malloc(size);
	memcpy(c, fdt, size);
	((fdt32_t *)c)[3] = cpu_to_fdt32((uint32_t)size - 4); /* off_dt_strings near the end */
	CHECK(fdtb_open(&b, c, size, 0) != 0 && b.msg[0], "corrupt: %s", b.msg);
	fdtb_free(&b);
	free(c);
	free(fdt);
}

/* Seeds: fresh random bytes in every tree (defect 5: rand() seeded with the
 * time gave two trees built in the same second the same seed). */
static void test_seeds(void)
{
	uint8_t seen[2][FDT_RNG_SEED_LEN + 8];
	for (int i = 0; i < 2; i++) {
		struct fdt_builder b;
		CHECK(fdtb_init(&b, 0) == 0, "init: %s", b.msg);
		fdt_virt_seeds(&b);
		void *out;
		size_t osize;
		CHECK(fdtb_finish(&b, &out, &osize) == 0, "finish: %s", b.msg);
		fdtb_free(&b);
		if (!out)
			return;
		int off = fdt_path_offset(out, "/chosen"), l1 = 0, l2 = 0;
		const void *r = fdt_getprop(out, off, "rng-seed", &l1), *k = fdt_getprop(out, off, "kaslr-seed", &l2);
		CHECK(r && k && l1 == FDT_RNG_SEED_LEN && l2 == 8, "seed lengths %d %d", l1, l2);
		if (r && k && l1 == FDT_RNG_SEED_LEN && l2 == 8) {
			memcpy(seen[i], r, FDT_RNG_SEED_LEN);
			memcpy(seen[i] + FDT_RNG_SEED_LEN, k, 8);
		}
		free(out);
	}
	CHECK(memcmp(seen[0], seen[1], FDT_RNG_SEED_LEN) != 0, "two trees, two rng-seeds");
	CHECK(memcmp(seen[0] + FDT_RNG_SEED_LEN, seen[1] + FDT_RNG_SEED_LEN, 8) != 0, "two trees, two kaslr-seeds");
}

/* A user tree (-dtb) fitted to the machine: tightly packed (no free space),
 * no /chosen, stray memory nodes, a foreign /psci. */
static void test_fit_user(void)
{
	struct fdt_builder b;
	CHECK(fdtb_init(&b, 0) == 0, "init: %s", b.msg);
	const char *r = fdtb_find(&b, "/");
	fdtb_prop_u32(&b, r, "#address-cells", 2);
	fdtb_prop_u32(&b, r, "#size-cells", 2);
	const char *m2 = fdtb_node(&b, "/", "memory"); /* first: libfdt matches "memory" to "memory@..." */
	fdtb_prop_reg(&b, m2, 0x100000000ull, 0x1000);
	fdt_virt_memory(&b, 0x80000000, 0x1000);
	const char *keep = fdtb_node(&b, "/", "memoryless@0"); /* not a memory node */
	fdtb_prop_str(&b, keep, "compatible", "x,y");
	const char *ps = fdtb_node(&b, "/", "psci");
	fdtb_prop_str(&b, ps, "method", "smc");
	void *user;
	size_t usize;
	CHECK(fdtb_finish(&b, &user, &usize) == 0, "finish: %s", b.msg);
	fdtb_free(&b);
	if (!user)
		return;
	CHECK(fdtb_open(&b, user, usize, 0) == 0, "open: %s", b.msg);
	fdt_virt_fit_user(&b, 0x40000000, 5ull << 30, true, "console=ttyAMA0", 0x48000000, 0x1234);
	fdt_virt_seeds(&b);
	void *out;
	size_t osize;
	CHECK(fdtb_finish(&b, &out, &osize) == 0, "finish: %s", b.msg);
	fdtb_free(&b);
	if (out) {
		int n = 0, off;
		fdt_for_each_subnode(off, out, 0) {
			const char *name = fdt_get_name(out, off, NULL);
			n += !strncmp(name, "memory", 6) && (name[6] == 0 || name[6] == '@');
		}
		CHECK(n == 1, "one memory node left, not %d", n);
		prop_cells(out, "/memory@40000000", "reg", 4, 0, 0x40000000, 1, 0x40000000);
		prop_str(out, "/memoryless@0", "compatible", "x,y");
		prop_str(out, "/psci", "method", "hvc");
		prop_str(out, "/chosen", "bootargs", "console=ttyAMA0");
		prop_cells(out, "/chosen", "linux,initrd-start", 2, 0, 0x48000000);
		prop_cells(out, "/chosen", "linux,initrd-end", 2, 0, 0x48001234);
		free(out);
	}
	/* One size cell cannot hold 5 GiB: refused with a message, no crash. */
	uint8_t *c = malloc(usize);
	memcpy(c, user, usize);
	CHECK(fdtb_open(&b, c, usize, 0) == 0, "open: %s", b.msg);
	fdtb_prop_u32(&b, fdtb_find(&b, "/"), "#size-cells", 1);
	fdt_virt_fit_user(&b, 0x40000000, 5ull << 30, true, NULL, 0, 0);
	CHECK(b.err && strstr(b.msg, "#size-cells = <1>"), "1 size cell, 5 GiB: %s", b.msg);
	fdtb_free(&b);
	free(c);
	free(user);
}

int main(void)
{
	test_virt();
	test_wide_cpus();
	test_errors();
	test_open();
	test_seeds();
	test_fit_user();
	return check_summary();
}
