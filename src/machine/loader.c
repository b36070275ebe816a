/* Boot image loading (see loader.h). */
#include "machine/loader.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libfdt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define MIB (1ull << 20)
#define ALIGN_2M (2ull << 20)
#define PAGE 4096ull

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* "12 MiB" for whole MiB, else "12345 bytes" (with the MiB figure when large). */
static const char *human(uint64_t n, char buf[48])
{
	if (n >= MIB && n % MIB == 0)
		snprintf(buf, 48, "%" PRIu64 ".0 MiB", (uint64_t)(n / MIB));
	else if (n >= MIB)
		snprintf(buf, 48, "%" PRIu64 " bytes (%.1f MiB)", n, (double)n / (double)MIB);
	else
		snprintf(buf, 48, "%" PRIu64 " bytes", n);
	return buf;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

/* Round up to a power-of-two alignment; false on overflow. */
static bool align_up(uint64_t v, uint64_t a, uint64_t *out)
{
	if (v > UINT64_MAX - (a - 1))
		return false;
	*out = (v + a - 1) & ~(a - 1);
	return true;
}

/* Open a file for reading and refuse directories. Returns the fd or -1 with
 * the reason in why. */
static int open_file(const char *path, char *why, size_t whylen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whylen, "cannot open: %s", strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "is a directory");
		close(fd);
		return -1;
	}
	return fd;
}

/* Read the whole of fd into dst (cap bytes). *len = bytes read; *more = the
 * file has data beyond cap. 0, or -1 with the reason. */
static int read_into(int fd, uint8_t *dst, uint64_t cap, uint64_t *len, bool *more, char *why, size_t whylen)
{
	uint64_t n = 0;
	*more = false;
	while (n < cap) {
		size_t chunk = cap - n > (64 * MIB) ? 64 * MIB : (size_t)(cap - n);
		ssize_t r = read(fd, dst + n, chunk);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			snprintf(why, whylen, "read error: %s", strerror(errno));
			return -1;
		}
		if (r == 0)
			break;
		n += (uint64_t)r;
	}
	if (n == cap) {
		uint8_t c;
		ssize_t r;
		do
			r = read(fd, &c, 1);
		while (r < 0 && errno == EINTR);
		if (r < 0) {
			snprintf(why, whylen, "read error: %s", strerror(errno));
			return -1;
		}
		*more = r > 0;
	}
	*len = n;
	return 0;
}

/* Read a whole file of at most `limit` bytes into a malloc'd buffer. */
static int read_file(const char *path, uint64_t limit, uint8_t **buf, size_t *len, char *why, size_t whylen)
{
	char h[48];
	*buf = NULL;
	*len = 0;
	if (limit > SIZE_MAX / 2)
		limit = SIZE_MAX / 2;
	int fd = open_file(path, why, whylen);
	if (fd < 0)
		return -1;
	struct stat st;
	uint64_t cap = MIB;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
		cap = (uint64_t)st.st_size + 1; /* +1: see the end of file without another allocation */
	if (cap > limit + 1)
		cap = limit + 1;
	uint8_t *b = NULL;
	uint64_t n = 0;
	int rc = -1;
	for (;;) {
		if (n == cap || !b) {
			if (n == cap) {
				if (cap > limit) {
					snprintf(why, whylen, "is larger than %s", human(limit, h));
					goto out;
				}
				cap = cap > limit / 2 ? limit + 1 : cap * 2;
			}
			uint8_t *nb = realloc(b, cap);
			if (!nb) {
				snprintf(why, whylen, "out of memory reading %s", human(cap, h));
				goto out;
			}
			b = nb;
		}
		size_t chunk = cap - n > 64 * MIB ? 64 * MIB : (size_t)(cap - n);
		ssize_t r = read(fd, b + n, chunk);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			snprintf(why, whylen, "read error: %s", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (uint64_t)r;
	}
	*buf = b;
	*len = n;
	b = NULL;
	rc = 0;
out:
	free(b);
	close(fd);
	return rc;
}

int loader_gunzip(const uint8_t *in, size_t inlen, uint64_t limit, uint8_t **out, size_t *outlen, char *err,
		  size_t errlen)
{
	*out = NULL;
	*outlen = 0;
	if (limit > SIZE_MAX / 2)
		limit = SIZE_MAX / 2;
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return fail(err, errlen, "cannot initialise zlib");
	size_t cap = inlen < limit / 4 ? inlen * 4 + 4096 : (size_t)limit;
	if (cap > limit)
		cap = (size_t)limit;
	uint8_t *buf = malloc(cap ? cap : 1);
	size_t pos = 0, inpos = 0;
	int rc = -1;
	if (!buf) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	for (;;) {
		zs.next_in = (Bytef *)(in + inpos);
		zs.avail_in = (uInt)(inlen - inpos > UINT32_MAX ? UINT32_MAX : inlen - inpos);
		if (pos == cap) {
			if (cap >= limit) {
				char h[48];
				fail(err, errlen, "decompresses to more than %s", human(limit, h));
				goto out;
			}
			size_t nc = cap > limit / 2 ? (size_t)limit : cap * 2;
			uint8_t *nb = realloc(buf, nc);
			if (!nb) {
				fail(err, errlen, "out of memory decompressing");
				goto out;
			}
			buf = nb;
			cap = nc;
		}
		zs.next_out = buf + pos;
		zs.avail_out = (uInt)(cap - pos > UINT32_MAX ? UINT32_MAX : cap - pos);
		uInt ai = zs.avail_in, ao = zs.avail_out;
		int z = inflate(&zs, Z_NO_FLUSH);
		inpos += ai - zs.avail_in;
		pos += ao - zs.avail_out;
		if (z == Z_STREAM_END) {
			/* Another member, zero padding, or garbage. */
			size_t rest = inlen - inpos;
			if (rest >= 2 && in[inpos] == 0x1f && in[inpos + 1] == 0x8b) {
				if (inflateReset(&zs) != Z_OK) {
					fail(err, errlen, "zlib reset failed");
					goto out;
				}
				continue;
			}
			for (size_t i = inpos; i < inlen; i++)
				if (in[i]) {
					fail(err, errlen, "unexpected data after the gzip stream at byte %zu", i);
					goto out;
				}
			break;
		}
		if (z == Z_OK || (z == Z_BUF_ERROR && zs.avail_out == 0))
			continue;
		if (z == Z_BUF_ERROR) { /* no progress possible: input exhausted */
			fail(err, errlen, "truncated gzip data (the input ends after %zu bytes decompressed)", pos);
			goto out;
		}
		if (z == Z_MEM_ERROR) {
			fail(err, errlen, "out of memory decompressing");
			goto out;
		}
		fail(err, errlen, "corrupt gzip data: %s", zs.msg ? zs.msg : "inflate failed");
		goto out;
	}
	*out = buf;
	*outlen = pos;
	buf = NULL;
	rc = 0;
out:
	inflateEnd(&zs);
	free(buf);
	return rc;
}

int loader_parse_image(const struct loader_ram *ram, const char *name, const uint8_t *img, size_t len,
		       struct boot_layout *bl, char *err, size_t errlen)
{
	char h1[48], h2[48];
	memset(bl, 0, sizeof(*bl));
	if (len < 64)
		return fail(err, errlen, "%s: too short for an arm64 Image (%zu bytes, the header alone is 64)", name,
			    len);
	struct arm64_image_header *hd = &bl->hdr;
	hd->code0 = le32(img);
	hd->code1 = le32(img + 4);
	hd->text_offset = le64(img + 8);
	hd->image_size = le64(img + 16);
	hd->flags = le64(img + 24);
	hd->res2 = le64(img + 32);
	hd->res3 = le64(img + 40);
	hd->res4 = le64(img + 48);
	hd->magic = le32(img + 56);
	hd->res5 = le32(img + 60);
	if (hd->magic != ARM64_IMAGE_MAGIC) {
		if (img[0] == 'M' && img[1] == 'Z' && !memcmp(img + 4, "zimg", 4))
			return fail(err, errlen,
				    "%s: an EFI zboot compressed image, which is not supported: give the plain Image "
				    "or a gzip-compressed one",
				    name);
		if (img[0] == 0x7f && !memcmp(img + 1, "ELF", 3))
			return fail(err, errlen, "%s: an ELF file, not an arm64 Image (use arch/arm64/boot/Image)",
				    name);
		return fail(err, errlen, "%s: not an arm64 Linux Image (no \"ARM\\x64\" magic at offset 0x38)", name);
	}
	if (hd->flags & ARM64_IMAGE_FLAG_BE)
		return fail(err, errlen, "%s: a big-endian kernel, which this machine cannot run", name);
	/* What would only spin in the guest with no output (defect 11): no code
	 * after the header, an entry branch past the end of the file (a
	 * truncated Image: the branch lands in zeroed memory), an entry that
	 * is not page aligned. */
	if (len <= 64)
		return fail(err, errlen, "%s: only the %zu-byte arm64 Image header, no code after it (a truncated file?)",
			    name, len);
	uint64_t text_offset = hd->text_offset, footprint = hd->image_size;
	if (footprint == 0) /* pre-v3.17 kernel: booting.rst says text_offset is then 0x80000 */
		text_offset = 0x80000;
	if (text_offset & (PAGE - 1))
		return fail(err, errlen,
			    "%s: text_offset 0x%" PRIx64 " is not 4 KiB aligned (the Image goes text_offset bytes above a "
			    "2 MiB-aligned base; Linux has always required 4 KiB alignment)",
			    name, text_offset);
	/* code0 branches to the entry; an EFI-stub Image has "MZ" in code0 (an
	 * add with no effect) and the branch in code1. */
	for (unsigned i = 0; i < 2; i++) {
		uint32_t insn = i ? hd->code1 : hd->code0;
		if ((insn & 0xfc000000u) != 0x14000000u) { /* not B imm26 */
			if (i == 0 && (insn & 0xffffu) == 0x5a4du) /* "MZ": look at code1 */
				continue;
			break;
		}
		int64_t disp = (int64_t)((uint64_t)(insn & 0x03ffffffu) << 38) >> 36; /* imm26 * 4, signed */
		int64_t target = 4 * (int64_t)i + disp;
		if (target < 0 || (uint64_t)target + 4 > len) /* the entry instruction not in the file */
			return fail(err, errlen,
				    "%s: the entry branch in the header jumps to offset 0x%" PRIx64 ", past the %zu bytes "
				    "of the file (a truncated Image?)",
				    name, (uint64_t)target, len);
		break;
	}
	if (footprint < len)
		footprint = len;
	uint64_t base2m, load, end;
	if (!align_up(ram->base, ALIGN_2M, &base2m) || base2m - ram->base >= ram->size)
		return fail(err, errlen, "%s: guest RAM has no 2 MiB-aligned address for the kernel", name);
	uint64_t room = ram->size - (base2m - ram->base);
	if (text_offset >= room || footprint > room - text_offset)
		return fail(err, errlen,
			    "%s: needs %s at text_offset 0x%" PRIx64 ", more than the %s of guest RAM (raise -m)", name,
			    human(footprint, h1), text_offset, human(ram->size, h2));
	load = base2m + text_offset;
	end = load + footprint;
	bl->kernel_entry = load;
	bl->kernel_end = end;
	bl->kernel_bytes = len;
	return 0;
}

int loader_load_linux(const struct loader_ram *ram, const char *kernel, const char *initrd, struct boot_layout *bl,
		      char *err, size_t errlen)
{
	char why[256], name[600], h1[48], h2[48];
	memset(bl, 0, sizeof(*bl));
	snprintf(name, sizeof(name), "kernel '%s'", kernel);
	uint64_t limit = ram->size < LOADER_KERNEL_MAX ? ram->size : LOADER_KERNEL_MAX;
	uint8_t *file;
	size_t flen;
	if (read_file(kernel, limit, &file, &flen, why, sizeof(why)))
		return fail(err, errlen, "%s: %s", name, why);
	if (flen == 0) {
		free(file);
		return fail(err, errlen, "%s: the file is empty", name);
	}
	uint8_t *img = file;
	size_t ilen = flen;
	bool gz = flen >= 2 && file[0] == 0x1f && file[1] == 0x8b;
	if (gz) {
		if (loader_gunzip(file, flen, limit, &img, &ilen, why, sizeof(why))) {
			free(file);
			return fail(err, errlen, "%s: %s", name, why);
		}
		free(file);
		file = NULL;
	}
	struct boot_layout k;
	int r = loader_parse_image(ram, name, img, ilen, &k, err, errlen);
	if (r) {
		free(img);
		return r;
	}
	k.kernel_gzip = gz;

	/* The DTB slot: the next 2 MiB boundary, inside the first 1 GiB. */
	uint64_t ram_end = ram->base + ram->size, dtb;
	uint64_t dtb_limit = ram->base + (ram->size < LOADER_DTB_WINDOW ? ram->size : LOADER_DTB_WINDOW);
	if (!align_up(k.kernel_end, ALIGN_2M, &dtb) || dtb > dtb_limit || dtb_limit - dtb < LOADER_DTB_MAX) {
		free(img);
		return fail(err, errlen,
			    "%s: no room for the device tree after the kernel (it ends at 0x%" PRIx64
			    "; the 2 MiB DTB slot must fit in the first %s of RAM; raise -m)",
			    name, k.kernel_end, human(dtb_limit - ram->base, h1));
	}
	k.dtb_addr = dtb;
	memcpy(ram->host + (k.kernel_entry - ram->base), img, ilen);
	free(img);

	if (initrd) {
		snprintf(name, sizeof(name), "initrd '%s'", initrd);
		uint64_t start = dtb + LOADER_DTB_MAX; /* 2 MiB aligned, so page aligned */
		uint64_t win = (k.kernel_entry & ~(LOADER_DTB_WINDOW - 1)) + LOADER_INITRD_WINDOW;
		uint64_t lim = ram_end < win ? ram_end : win;
		uint64_t cap = start < lim ? lim - start : 0;
		int fd = open_file(initrd, why, sizeof(why));
		if (fd < 0)
			return fail(err, errlen, "%s: %s", name, why);
		uint64_t got;
		bool more;
		r = read_into(fd, ram->host + (start < lim ? start - ram->base : 0), cap, &got, &more, why, sizeof(why));
		close(fd);
		if (r)
			return fail(err, errlen, "%s: %s", name, why);
		if (more) {
			struct stat st;
			uint64_t sz = 0;
			if (stat(initrd, &st) == 0 && S_ISREG(st.st_mode))
				sz = (uint64_t)st.st_size;
			if (sz)
				return fail(err, errlen,
					    "%s: %s does not fit in the %s of guest RAM left after the kernel and "
					    "device tree (raise -m)",
					    name, human(sz, h1), human(cap, h2));
			return fail(err, errlen,
				    "%s: does not fit in the %s of guest RAM left after the kernel and device tree "
				    "(raise -m)",
				    name, human(cap, h2));
		}
		if (got == 0)
			return fail(err, errlen, "%s: the file is empty", name);
		k.initrd_start = start;
		k.initrd_size = got;
	}
	*bl = k;
	return 0;
}

int loader_read_dtb(const char *path, void **blob, size_t *size, char *err, size_t errlen)
{
	char why[256], h[48];
	uint8_t *b;
	size_t n;
	*blob = NULL;
	*size = 0;
	if (read_file(path, LOADER_DTB_MAX, &b, &n, why, sizeof(why)))
		return fail(err, errlen, "device tree '%s': %s%s", path, why,
			    strstr(why, "larger") ? " (the arm64 boot protocol's limit)" : "");
	int r = n < sizeof(struct fdt_header) ? -FDT_ERR_TRUNCATED : fdt_check_header(b);
	if (r) {
		free(b);
		return fail(err, errlen, "device tree '%s': not a flattened device tree blob (%s)", path,
			    fdt_strerror(r));
	}
	size_t total = fdt_totalsize(b);
	if (total > n) {
		free(b);
		return fail(err, errlen, "device tree '%s': truncated (the header says %s, the file has %zu bytes)",
			    path, human(total, h), n);
	}
	r = fdt_check_full(b, total);
	if (r) {
		free(b);
		return fail(err, errlen, "device tree '%s': malformed (%s)", path, fdt_strerror(r));
	}
	*blob = b;
	*size = total;
	return 0;
}

int loader_place_dtb(const struct loader_ram *ram, uint64_t addr, const void *blob, size_t size, char *err,
		     size_t errlen)
{
	char h[48];
	if (size > LOADER_DTB_MAX)
		return fail(err, errlen, "device tree: %s, larger than the 2 MiB the arm64 boot protocol allows",
			    human(size, h));
	if (addr & 7)
		return fail(err, errlen, "device tree: address 0x%" PRIx64 " is not 8-byte aligned", addr);
	if (addr < ram->base || addr - ram->base > ram->size || size > ram->size - (addr - ram->base))
		return fail(err, errlen, "device tree: %zu bytes at 0x%" PRIx64 " do not fit in guest RAM", size, addr);
	memcpy(ram->host + (addr - ram->base), blob, size);
	return 0;
}

int loader_load_firmware(const char *path, uint8_t *flash, uint64_t flash_size, uint64_t *loaded, char *err,
			 size_t errlen)
{
	char why[256], h1[48], h2[48];
	*loaded = 0;
	int fd = open_file(path, why, sizeof(why));
	if (fd < 0)
		return fail(err, errlen, "firmware '%s': %s", path, why);
	uint64_t got;
	bool more;
	int r = read_into(fd, flash, flash_size, &got, &more, why, sizeof(why));
	struct stat st;
	uint64_t sz = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	close(fd);
	if (r)
		return fail(err, errlen, "firmware '%s': %s", path, why);
	if (more) {
		if (sz)
			return fail(err, errlen, "firmware '%s': %s, larger than the %s flash bank", path, human(sz, h1),
				    human(flash_size, h2));
		return fail(err, errlen, "firmware '%s': larger than the %s flash bank", path, human(flash_size, h2));
	}
	if (got == 0)
		return fail(err, errlen, "firmware '%s': the file is empty", path);
	*loaded = got;
	return 0;
}

int loader_write_file(const char *path, const void *buf, size_t size, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail(err, errlen, "cannot create: %s", strerror(errno));
	const uint8_t *p = buf;
	while (size) {
		ssize_t n = write(fd, p, size);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			close(fd);
			return fail(err, errlen, "write error: %s", strerror(e));
		}
		p += n;
		size -= (size_t)n;
	}
	if (close(fd))
		return fail(err, errlen, "write error: %s", strerror(errno));
	return 0;
}
