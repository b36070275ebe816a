/* Unit test of the boot loader: synthetic arm64 Images (raw and gzip,
 * multi-member, padded), their placement per booting.rst, initrd and DTB
 * placement, and every malformed or oversized input giving one error that
 * names the file and the problem: truncated, wrong magic, ELF, big-endian,
 * huge/overflowing text_offset and image_size, corrupt/truncated/bomb gzip,
 * trailing garbage, missing/empty/directory files, an initrd that does not
 * fit, bad DTB files, firmware larger than the flash. When the Debian
 * fixtures are present (scripts/fixtures.sh), the real kernel, initramfs and
 * u-boot.bin are loaded too. */
#include <errno.h>
#include <glob.h>
#include <libfdt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "machine/loader.h"
#include "check.h"

#define MIB (1ull << 20)
#define RAM_BASE 0x40000000ull
#define RAM_SIZE (64 * MIB)

static char dir[256];
static uint8_t *ram_host;
static struct loader_ram ram;

static char *path_of(const char *name)
{
	static char p[8][512];
	static unsigned i;
	char *s = p[i++ % 8];
	snprintf(s, 512, "%s/%s", dir, name);
	return s;
}

static void write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f || (n && fwrite(data, 1, n, f) != n)) {
		perror(path);
		exit(2);
	}
	fclose(f);
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* An Image of `len` bytes (>= 64) with a recognisable payload. */
static uint8_t *make_image(size_t len, uint64_t text_offset, uint64_t image_size, uint64_t flags)
{
	uint8_t *b = malloc(len);
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(i * 7 + (i >> 12));
	put64(b + 0, 0x14000010); /* b +0x40, code1 = 0 */
	put64(b + 8, text_offset);
	put64(b + 16, image_size);
	put64(b + 24, flags);
	memset(b + 32, 0, 24);
	memcpy(b + 56, "ARM\x64", 4);
	memset(b + 60, 0, 4);
	return b;
}

static uint8_t *gzip_buf(const uint8_t *in, size_t n, size_t *outn)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		exit(2);
	size_t cap = deflateBound(&zs, n) + 64;
	uint8_t *out = malloc(cap);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
		exit(2);
	*outn = zs.total_out;
	deflateEnd(&zs);
	return out;
}

static char err[1024];

/* Loading must fail with a message containing each of the strings. */
static void expect_fail(const char *kernel, const char *initrd, ...)
{
	struct boot_layout bl;
	memset(err, 0, sizeof(err));
	int r = loader_load_linux(&ram, kernel, initrd, &bl, err, sizeof(err));
	CHECK(r == -1, "load of %s succeeded", kernel);
	CHECK(strchr(err, '\n') == NULL && err[0], "one-line message: '%s'", err);
	va_list ap;
	va_start(ap, initrd);
	for (const char *s; (s = va_arg(ap, const char *)) != NULL;)
		CHECK(strstr(err, s) != NULL, "message '%s' lacks '%s'", err, s);
	va_end(ap);
}

static void test_raw(void)
{
	size_t len = 1 * MIB + 123;
	uint8_t *img = make_image(len, 0, 3 * MIB, 0xa);
	char *p = path_of("Image");
	write_file(p, img, len);
	struct boot_layout bl;
	memset(ram_host, 0xee, RAM_SIZE);
	int r = loader_load_linux(&ram, p, NULL, &bl, err, sizeof(err));
	CHECK(r == 0, "load: %s", err);
	EQ(bl.kernel_entry, RAM_BASE);
	EQ(bl.kernel_end, RAM_BASE + 3 * MIB);
	EQ(bl.kernel_bytes, len);
	CHECK(!bl.kernel_gzip, "not gzip");
	EQ(bl.hdr.magic, ARM64_IMAGE_MAGIC);
	EQ(bl.hdr.image_size, 3 * MIB);
	EQ(bl.hdr.flags, 0xa);
	EQ(bl.dtb_addr, RAM_BASE + 4 * MIB);
	EQ(bl.initrd_size, 0);
	CHECK(!memcmp(ram_host, img, len), "kernel bytes in RAM");
	EQ(ram_host[len], 0xee); /* nothing beyond */

	/* text_offset honoured from a 2 MiB-aligned base. */
	put64(img + 8, 0x80000);
	write_file(p, img, len);
	r = loader_load_linux(&ram, p, NULL, &bl, err, sizeof(err));
	CHECK(r == 0, "load: %s", err);
	EQ(bl.kernel_entry, RAM_BASE + 0x80000);
	EQ(bl.kernel_end, RAM_BASE + 0x80000 + 3 * MIB);
	EQ(bl.dtb_addr, RAM_BASE + 4 * MIB);
	CHECK(!memcmp(ram_host + 0x80000, img, len), "kernel bytes at text_offset");

	/* image_size 0 (pre-3.17): text_offset is 0x80000 whatever the header says. */
	put64(img + 8, 0);
	put64(img + 16, 0);
	write_file(p, img, len);
	r = loader_load_linux(&ram, p, NULL, &bl, err, sizeof(err));
	CHECK(r == 0, "load: %s", err);
	EQ(bl.kernel_entry, RAM_BASE + 0x80000);
	EQ(bl.kernel_end, RAM_BASE + 0x80000 + len);

	/* RAM not starting on 2 MiB: the kernel goes to the next boundary. */
	struct loader_ram odd = { ram_host, RAM_BASE + 0x100000, RAM_SIZE };
	put64(img + 16, 3 * MIB);
	struct boot_layout k;
	r = loader_parse_image(&odd, "x", img, len, &k, err, sizeof(err));
	CHECK(r == 0, "parse: %s", err);
	EQ(k.kernel_entry, RAM_BASE + 2 * MIB);

	/* A file longer than image_size occupies its length. */
	put64(img + 16, 4096);
	write_file(p, img, len);
	r = loader_load_linux(&ram, p, NULL, &bl, err, sizeof(err));
	CHECK(r == 0, "load: %s", err);
	EQ(bl.kernel_end, RAM_BASE + len);
	free(img);
}

static void test_initrd(void)
{
	size_t len = 300000;
	uint8_t *img = make_image(len, 0, 5 * MIB, 0xa);
	char *kp = path_of("Image-i");
	write_file(kp, img, len);
	size_t ilen = 777777;
	uint8_t *rd = malloc(ilen);
	for (size_t i = 0; i < ilen; i++)
		rd[i] = (uint8_t)(i ^ (i >> 9));
	char *ip = path_of("initrd");
	write_file(ip, rd, ilen);
	struct boot_layout bl;
	int r = loader_load_linux(&ram, kp, ip, &bl, err, sizeof(err));
	CHECK(r == 0, "load: %s", err);
	EQ(bl.dtb_addr, RAM_BASE + 6 * MIB);
	EQ(bl.initrd_start, RAM_BASE + 8 * MIB);
	EQ(bl.initrd_size, ilen);
	CHECK(!memcmp(ram_host + 8 * MIB, rd, ilen), "initrd bytes");
	CHECK(!memcmp(ram_host, img, len), "kernel intact");
	CHECK(bl.initrd_start % 4096 == 0, "page aligned");
	CHECK(bl.initrd_start >= bl.dtb_addr + LOADER_DTB_MAX, "no overlap with the DTB slot");

	/* An initrd exactly filling the rest of RAM fits; one byte more does not. */
	char *big = path_of("initrd-big");
	FILE *f = fopen(big, "wb");
	if (!f || ftruncate(fileno(f), (off_t)(RAM_SIZE - 8 * MIB)))
		exit(2);
	fclose(f);
	r = loader_load_linux(&ram, kp, big, &bl, err, sizeof(err));
	CHECK(r == 0, "exact fit: %s", err);
	EQ(bl.initrd_size, RAM_SIZE - 8 * MIB);
	f = fopen(big, "wb");
	if (!f || ftruncate(fileno(f), (off_t)(RAM_SIZE - 8 * MIB + 1)))
		exit(2);
	fclose(f);
	expect_fail(kp, big, "initrd '", big, "does not fit", "raise -m", NULL);
	expect_fail(kp, path_of("no-such-initrd"), "initrd '", "no-such-initrd", "No such file", NULL);
	char *empty = path_of("empty");
	write_file(empty, "", 0);
	expect_fail(kp, empty, "initrd '", "empty", NULL);
	free(img);
	free(rd);
}

static void test_gzip(void)
{
	size_t len = 2 * MIB + 4097;
	uint8_t *img = make_image(len, 0x80000, 4 * MIB, 0xa);
	size_t gn;
	uint8_t *gz = gzip_buf(img, len, &gn);
	char *p = path_of("vmlinuz");
	write_file(p, gz, gn);
	struct boot_layout bl;
	memset(ram_host, 0, RAM_SIZE);
	int r = loader_load_linux(&ram, p, NULL, &bl, err, sizeof(err));
	CHECK(r == 0, "gzip load: %s", err);
	CHECK(bl.kernel_gzip, "gzip noticed");
	EQ(bl.kernel_entry, RAM_BASE + 0x80000);
	EQ(bl.kernel_bytes, len);
	CHECK(!memcmp(ram_host + 0x80000, img, len), "decompressed bytes");

	/* Two members, then zero padding. */
	size_t n1, n2;
	uint8_t *g1 = gzip_buf(img, 1000, &n1), *g2 = gzip_buf(img + 1000, len - 1000, &n2);
	uint8_t *cat = calloc(1, n1 + n2 + 512);
	memcpy(cat, g1, n1);
	memcpy(cat + n1, g2, n2);
	write_file(p, cat, n1 + n2 + 512);
	memset(ram_host, 0, RAM_SIZE);
	r = loader_load_linux(&ram, p, NULL, &bl, err, sizeof(err));
	CHECK(r == 0, "multi-member: %s", err);
	CHECK(!memcmp(ram_host + 0x80000, img, len), "multi-member bytes");

	/* Trailing garbage. */
	cat[n1 + n2 + 100] = 0x55;
	write_file(p, cat, n1 + n2 + 512);
	expect_fail(p, NULL, p, "unexpected data after the gzip stream", NULL);

	/* Truncated. */
	write_file(p, gz, gn / 2);
	expect_fail(p, NULL, p, "truncated gzip", NULL);
	write_file(p, gz, 10);
	expect_fail(p, NULL, p, "truncated gzip", NULL);
	/* Corrupt deflate data, corrupt CRC. */
	uint8_t *bad = malloc(gn);
	memcpy(bad, gz, gn);
	bad[gn / 2] ^= 0xff;
	bad[gn / 2 + 1] ^= 0x5a;
	write_file(p, bad, gn);
	expect_fail(p, NULL, p, "gzip", NULL);
	memcpy(bad, gz, gn);
	bad[gn - 6] ^= 1; /* CRC32 */
	write_file(p, bad, gn);
	expect_fail(p, NULL, p, "corrupt gzip data", NULL);
	/* A gzip header on something that is not deflate data. */
	write_file(p, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbagegarbage", 24);
	expect_fail(p, NULL, p, "gzip", NULL);

	/* A bomb: 80 MiB of zeros against 64 MiB of RAM. */
	size_t bn = 80 * MIB;
	uint8_t *zeros = calloc(1, bn);
	memcpy(zeros, img, 64);
	size_t zn;
	uint8_t *zgz = gzip_buf(zeros, bn, &zn);
	write_file(p, zgz, zn);
	expect_fail(p, NULL, p, "decompresses to more than 64.0 MiB", NULL);

	/* A gzip of something that is not an Image. */
	static const char text[] = "hello, world: this is not a kernel image at all, it really is not one";
	uint8_t *t = gzip_buf((const uint8_t *)text, sizeof(text), &zn);
	write_file(p, t, zn);
	expect_fail(p, NULL, p, "not an arm64 Linux Image", NULL);

	free(t);
	free(zeros);
	free(zgz);
	free(bad);
	free(g1);
	free(g2);
	free(cat);
	free(gz);
	free(img);
}

static void test_malformed(void)
{
	char *p = path_of("bad");
	uint8_t *img = make_image(8192, 0, 8192, 0xa);
	write_file(p, img, 63);
	expect_fail(p, NULL, "kernel '", p, "too short", NULL);
	img[56] = 'X';
	write_file(p, img, 8192);
	expect_fail(p, NULL, p, "not an arm64 Linux Image", NULL);
	memcpy(img, "\x7f" "ELF", 4);
	write_file(p, img, 8192);
	expect_fail(p, NULL, p, "ELF", NULL);
	memcpy(img, "MZ\0\0zimg", 8);
	write_file(p, img, 8192);
	expect_fail(p, NULL, p, "zboot", NULL);
	free(img);

	static const struct {
		uint64_t text_offset, image_size, flags;
		const char *msg;
	} cases[] = {
		{ 0, 8192, 0xb, "big-endian" },
		{ 0, 1ull << 40, 0xa, "more than the 64.0 MiB of guest RAM" },
		{ 0, RAM_SIZE + 1, 0xa, "raise -m" },
		{ 1ull << 63, 8192, 0xa, "text_offset 0x8000000000000000" },
		{ UINT64_MAX - 4095, 8192, 0xa, "more than" },
		{ 4096, UINT64_MAX - 100, 0xa, "more than" },
		{ 0, UINT64_MAX, 0xa, "more than" },
		{ RAM_SIZE - 8192, 8192, 0xa, "no room for the device tree" },
		{ 0, RAM_SIZE - MIB, 0xa, "no room for the device tree" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		img = make_image(8192, cases[i].text_offset, cases[i].image_size, cases[i].flags);
		write_file(p, img, 8192);
		expect_fail(p, NULL, p, cases[i].msg, NULL);
		free(img);
	}
	/* Images that would only spin in the guest (defect 11). */
	img = make_image(8192, 0x80000, 1 << 21, 0xa);
	write_file(p, img, 64);
	expect_fail(p, NULL, p, "only the 64-byte arm64 Image header", NULL);
	write_file(p, img, 65);
	expect_fail(p, NULL, p, "the entry branch in the header jumps to offset 0x40, past the 65 bytes", NULL);
	put64(img + 8, 0x80001);
	write_file(p, img, 8192);
	expect_fail(p, NULL, p, "text_offset 0x80001 is not 4 KiB aligned", NULL);
	put64(img + 8, 0x80800);
	write_file(p, img, 8192);
	expect_fail(p, NULL, p, "text_offset 0x80800 is not 4 KiB aligned", NULL);
	put64(img + 8, 0x80000);
	put64(img, 0x14000000u | (0x100000 / 4)); /* b +1 MiB: past the file */
	write_file(p, img, 8192);
	expect_fail(p, NULL, p, "jumps to offset 0x100000, past the 8192 bytes", NULL);
	put64(img, 0x17ffffffu); /* b -4: before the Image */
	write_file(p, img, 8192);
	expect_fail(p, NULL, p, "entry branch", NULL);
	/* An EFI-stub Image: "MZ" in code0, the branch in code1. */
	put64(img, 0xfa405a4du | (uint64_t)(0x14000000u | (0x100000 - 4) / 4) << 32);
	write_file(p, img, 8192);
	expect_fail(p, NULL, p, "jumps to offset 0x100000", NULL);
	put64(img, 0xfa405a4du | (uint64_t)(0x14000000u | (0x1000 - 4) / 4) << 32);
	write_file(p, img, 8192);
	struct boot_layout ok;
	CHECK(loader_load_linux(&ram, p, NULL, &ok, err, sizeof(err)) == 0, "EFI-stub Image, entry in the file: %s", err);
	/* Without a branch (a bare program's own first instruction) nothing is assumed. */
	put64(img, 0xd503201fd503201full); /* nop; nop */
	write_file(p, img, 8192);
	CHECK(loader_load_linux(&ram, p, NULL, &ok, err, sizeof(err)) == 0, "nop entry: %s", err);
	free(img);

	/* A raw file larger than RAM. */
	char *big = path_of("huge");
	FILE *f = fopen(big, "wb");
	if (!f || ftruncate(fileno(f), (off_t)(RAM_SIZE + 1)))
		exit(2);
	fclose(f);
	expect_fail(big, NULL, big, "larger than 64.0 MiB", NULL);
	expect_fail(path_of("missing"), NULL, "kernel '", "missing", "No such file or directory", NULL);
	expect_fail(dir, NULL, dir, "is a directory", NULL);
	char *empty = path_of("empty-k");
	write_file(empty, "", 0);
	expect_fail(empty, NULL, empty, "empty", NULL);
}

static void test_dtb(void)
{
	uint8_t blob[512];
	CHECK(fdt_create_empty_tree(blob, sizeof(blob)) == 0, "empty tree");
	fdt_pack(blob);
	size_t n = fdt_totalsize(blob);
	char *p = path_of("t.dtb");
	write_file(p, blob, n);
	void *b;
	size_t sz;
	int r = loader_read_dtb(p, &b, &sz, err, sizeof(err));
	CHECK(r == 0, "read dtb: %s", err);
	EQ(sz, n);
	CHECK(b && !memcmp(b, blob, n), "dtb bytes");
	r = loader_place_dtb(&ram, RAM_BASE + 4 * MIB, b, sz, err, sizeof(err));
	CHECK(r == 0, "place: %s", err);
	CHECK(!memcmp(ram_host + 4 * MIB, blob, n), "placed bytes");
	CHECK(loader_place_dtb(&ram, RAM_BASE + 4 * MIB + 4, b, sz, err, sizeof(err)) == -1 &&
		      strstr(err, "aligned"),
	      "unaligned: %s", err);
	CHECK(loader_place_dtb(&ram, RAM_BASE + RAM_SIZE - 8, b, sz, err, sizeof(err)) == -1 &&
		      strstr(err, "do not fit"),
	      "beyond RAM: %s", err);
	CHECK(loader_place_dtb(&ram, RAM_BASE - 4096, b, sz, err, sizeof(err)) == -1, "below RAM");
	CHECK(loader_place_dtb(&ram, UINT64_MAX - 7, b, sz, err, sizeof(err)) == -1, "wrapping address");
	CHECK(loader_place_dtb(&ram, RAM_BASE, b, LOADER_DTB_MAX + 1, err, sizeof(err)) == -1 &&
		      strstr(err, "2 MiB"),
	      "too large: %s", err);
	free(b);

	write_file(p, blob, n - 1);
	CHECK(loader_read_dtb(p, &b, &sz, err, sizeof(err)) == -1 && strstr(err, p) && strstr(err, "truncated"),
	      "truncated dtb: %s", err);
	write_file(p, "this is not a device tree, no, not at all", 41);
	CHECK(loader_read_dtb(p, &b, &sz, err, sizeof(err)) == -1 && strstr(err, "not a flattened device tree"),
	      "garbage dtb: %s", err);
	write_file(p, blob, 8);
	CHECK(loader_read_dtb(p, &b, &sz, err, sizeof(err)) == -1 && strstr(err, "not a flattened device tree"),
	      "short dtb: %s", err);
	/* A header whose structure offset points outside the blob. */
	uint8_t c[512];
	memcpy(c, blob, n);
	((fdt32_t *)c)[2] = cpu_to_fdt32(0x7ffffff0); /* off_dt_struct */
	write_file(p, c, n);
	CHECK(loader_read_dtb(p, &b, &sz, err, sizeof(err)) == -1 && strstr(err, p), "bad offsets: %s", err);
	FILE *f = fopen(p, "wb");
	if (!f || ftruncate(fileno(f), (off_t)(LOADER_DTB_MAX + 1)))
		exit(2);
	fclose(f);
	CHECK(loader_read_dtb(p, &b, &sz, err, sizeof(err)) == -1 && strstr(err, "larger than 2.0 MiB"),
	      "big dtb: %s", err);
	CHECK(loader_read_dtb(path_of("nodtb"), &b, &sz, err, sizeof(err)) == -1 && strstr(err, "nodtb"),
	      "missing dtb: %s", err);
}

static void test_firmware(void)
{
	uint8_t flash[65536];
	memset(flash, 0xff, sizeof(flash));
	uint8_t fw[4096];
	for (unsigned i = 0; i < sizeof(fw); i++)
		fw[i] = (uint8_t)(i * 13);
	char *p = path_of("fw.bin");
	write_file(p, fw, sizeof(fw));
	uint64_t loaded;
	int r = loader_load_firmware(p, flash, sizeof(flash), &loaded, err, sizeof(err));
	CHECK(r == 0, "firmware: %s", err);
	EQ(loaded, sizeof(fw));
	CHECK(!memcmp(flash, fw, sizeof(fw)) && flash[sizeof(fw)] == 0xff, "flash contents");
	write_file(p, flash, sizeof(flash)); /* exactly the bank */
	r = loader_load_firmware(p, flash, sizeof(flash), &loaded, err, sizeof(err));
	CHECK(r == 0 && loaded == sizeof(flash), "exact fit: %s", err);
	uint8_t *big = calloc(1, sizeof(flash) + 1);
	write_file(p, big, sizeof(flash) + 1);
	r = loader_load_firmware(p, flash, sizeof(flash), &loaded, err, sizeof(err));
	CHECK(r == -1 && loaded == 0 && strstr(err, p) && strstr(err, "larger than the 65536 bytes flash bank"),
	      "too big: %s", err);
	write_file(p, "", 0);
	r = loader_load_firmware(p, flash, sizeof(flash), &loaded, err, sizeof(err));
	CHECK(r == -1 && strstr(err, "empty"), "empty: %s", err);
	r = loader_load_firmware(path_of("nofw"), flash, sizeof(flash), &loaded, err, sizeof(err));
	CHECK(r == -1 && strstr(err, "firmware '") && strstr(err, "nofw"), "missing: %s", err);
	free(big);
}

/* The real Debian files, if scripts/fixtures.sh (or someone) fetched them:
 * $AVMM_FIXTURES, ~/.cache/avmm/fixtures, /tmp/avmm-fixtures (optional). */
static void test_real_files(void)
{
	const char *dirs[3] = { getenv("AVMM_FIXTURES"), NULL, "/tmp/avmm-fixtures" };
	char home[512] = "";
	if (getenv("HOME")) {
		snprintf(home, sizeof(home), "%s/.cache/avmm/fixtures", getenv("HOME"));
		dirs[1] = home;
	}
	uint64_t size = 512 * MIB;
	uint8_t *h = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (h == MAP_FAILED)
		return;
	struct loader_ram big = { h, RAM_BASE, size };
	unsigned found = 0;
	for (unsigned d = 0; d < 3; d++) {
		if (!dirs[d] || !*dirs[d])
			continue;
		char pat[600], initrd[600], uboot[600];
		snprintf(pat, sizeof(pat), "%s/vmlinuz*", dirs[d]);
		snprintf(initrd, sizeof(initrd), "%s/initramfs.cpio.gz", dirs[d]);
		snprintf(uboot, sizeof(uboot), "%s/u-boot.bin", dirs[d]);
		glob_t g;
		if (glob(pat, 0, NULL, &g) == 0) {
			for (size_t i = 0; i < g.gl_pathc; i++) {
				struct boot_layout bl;
				const char *ird = access(initrd, R_OK) == 0 ? initrd : NULL;
				int r = loader_load_linux(&big, g.gl_pathv[i], ird, &bl, err, sizeof(err));
				CHECK(r == 0, "%s: %s", g.gl_pathv[i], err);
				found++;
				if (r)
					continue;
				CHECK(bl.hdr.image_size > bl.kernel_bytes, "image_size covers the file and bss");
				CHECK((bl.kernel_entry - bl.hdr.text_offset) % (2 * MIB) == 0, "2 MiB-aligned base");
				CHECK(bl.dtb_addr >= bl.kernel_end && bl.dtb_addr + LOADER_DTB_MAX <= RAM_BASE + (1ull << 30),
				      "DTB slot");
				CHECK(!ird || (bl.initrd_start >= bl.dtb_addr + LOADER_DTB_MAX && bl.initrd_size > 0),
				      "initrd placed");
				printf("%s: %s Image, %llu bytes, image_size %llu, text_offset 0x%llx, flags 0x%llx; "
				       "dtb 0x%llx, initrd 0x%llx+%llu\n",
				       g.gl_pathv[i], bl.kernel_gzip ? "gzip" : "raw", (unsigned long long)bl.kernel_bytes,
				       (unsigned long long)bl.hdr.image_size, (unsigned long long)bl.hdr.text_offset,
				       (unsigned long long)bl.hdr.flags, (unsigned long long)bl.dtb_addr,
				       (unsigned long long)bl.initrd_start, (unsigned long long)bl.initrd_size);
			}
			globfree(&g);
		}
		if (access(uboot, R_OK) == 0) {
			uint64_t loaded;
			int r = loader_load_firmware(uboot, h, 64 * MIB, &loaded, err, sizeof(err));
			CHECK(r == 0 && loaded > 0, "%s: %s", uboot, err);
			printf("%s: %llu bytes into the 64 MiB flash bank\n", uboot, (unsigned long long)loaded);
			found++;
		}
	}
	if (!found)
		printf("no fixtures (vmlinuz, u-boot.bin): real-file checks skipped\n");
	munmap(h, size);
}

static void cleanup(void)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/avmm-loader-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	ram_host = malloc(RAM_SIZE);
	ram = (struct loader_ram){ ram_host, RAM_BASE, RAM_SIZE };
	test_raw();
	test_initrd();
	test_gzip();
	test_malformed();
	test_dtb();
	test_firmware();
	test_real_files();
	cleanup();
	free(ram_host);
	return check_summary();
}
