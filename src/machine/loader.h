/* Boot images: the arm64 Linux Image (raw or gzip-compressed, as Debian's
 * vmlinuz), the initrd, the device tree blob and -bios firmware.
 *
 * Layout for a Linux boot (Documentation/arch/arm64/booting.rst):
 *   kernel  at the first 2 MiB-aligned address of RAM + text_offset (an Image
 *           with image_size 0 predates v3.17: text_offset is then 0x80000);
 *           it occupies max(image_size, file size) bytes
 *   DTB     at the next 2 MiB boundary after the kernel, a 2 MiB slot (the
 *           protocol's limit; 8-byte aligned), inside the first 1 GiB of RAM
 *   initrd  right after the DTB slot (page aligned), inside the 1 GiB-aligned
 *           32 GiB window that holds the kernel, as the protocol requires
 * Every size and offset taken from a file is checked against RAM with
 * overflow-safe arithmetic. A function that fails writes one message naming
 * the file and the problem into `err` (e.g. "kernel 'vmlinuz': ...") and
 * returns -1; guest RAM may then hold part of the file, but nothing is
 * reported as loaded. */
#ifndef AVMM_MACHINE_LOADER_H
#define AVMM_MACHINE_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOADER_DTB_MAX (2ull << 20)     /* booting.rst: the DTB must not exceed 2 MiB */
#define LOADER_KERNEL_MAX (1ull << 30)  /* no kernel Image is larger: bounds gzip expansion */
#define LOADER_DTB_WINDOW (1ull << 30)  /* the DTB is kept within the first 1 GiB of RAM */
#define LOADER_INITRD_WINDOW (32ull << 30)

/* Guest RAM: `size` bytes at guest physical `base`, mapped at `host`. */
struct loader_ram {
	uint8_t *host;
	uint64_t base, size;
};

/* The arm64 Image header fields (little-endian in the file). */
struct arm64_image_header {
	uint32_t code0, code1;
	uint64_t text_offset, image_size, flags;
	uint64_t res2, res3, res4;
	uint32_t magic; /* "ARM\x64" */
	uint32_t res5;
};
#define ARM64_IMAGE_MAGIC 0x644d5241u
#define ARM64_IMAGE_FLAG_BE (1ull << 0)
#define ARM64_IMAGE_FLAG_PAGE_SHIFT 1 /* bits 2:1: 0 unspecified, 1 4K, 2 16K, 3 64K */
#define ARM64_IMAGE_FLAG_ANYWHERE (1ull << 3)

struct boot_layout {
	uint64_t kernel_entry; /* guest physical address of the Image = entry point */
	uint64_t kernel_end;   /* end of its footprint */
	uint64_t kernel_bytes; /* bytes of Image copied (after decompression) */
	bool kernel_gzip;      /* the file was gzip-compressed */
	struct arm64_image_header hdr;
	uint64_t dtb_addr;     /* where the DTB goes (LOADER_DTB_MAX reserved) */
	uint64_t initrd_start, initrd_size; /* 0 size: no initrd */
};

/* Parse an in-memory Image (already decompressed): checks the header and
 * works out the kernel's placement in RAM without copying anything. `name`
 * is used in messages. */
int loader_parse_image(const struct loader_ram *ram, const char *name, const uint8_t *img, size_t len,
		       struct boot_layout *bl, char *err, size_t errlen);

/* Load a kernel (raw or gzip Image) and an optional initrd (NULL: none),
 * filling the layout. */
int loader_load_linux(const struct loader_ram *ram, const char *kernel, const char *initrd, struct boot_layout *bl,
		      char *err, size_t errlen);

/* Read a -dtb file: a valid flattened device tree of at most LOADER_DTB_MAX
 * bytes. *blob is malloc'd (caller frees). */
int loader_read_dtb(const char *path, void **blob, size_t *size, char *err, size_t errlen);

/* Copy a DTB into RAM at `addr` (8-byte aligned, inside RAM, at most
 * LOADER_DTB_MAX bytes). */
int loader_place_dtb(const struct loader_ram *ram, uint64_t addr, const void *blob, size_t size, char *err,
		     size_t errlen);

/* Load a raw firmware image (-bios) at the start of a flash bank of
 * flash_size bytes; the rest of the bank is left as it is (the caller fills
 * erased flash with 0xff or 0). */
int loader_load_firmware(const char *path, uint8_t *flash, uint64_t flash_size, uint64_t *loaded, char *err,
			 size_t errlen);

/* Write `size` bytes to a new or truncated file (-M virt,dumpdtb=FILE). */
int loader_write_file(const char *path, const void *buf, size_t size, char *err, size_t errlen);

/* Decompress a gzip stream (one or more members; trailing zero padding is
 * allowed) into a malloc'd buffer of at most `limit` bytes. Returns 0, or -1
 * with a message (without the file name) in err. */
int loader_gunzip(const uint8_t *in, size_t inlen, uint64_t limit, uint8_t **out, size_t *outlen, char *err,
		  size_t errlen);

#endif
