/* Building flattened device trees: thin helpers over libfdt's read-write API.
 *
 * Nodes are named by their full path (the builder keeps the strings), so a
 * device can add its node and properties in any order without tracking libfdt
 * offsets, which move as the tree grows. The blob grows as needed up to a
 * limit. Errors are sticky: the first failure (libfdt error, bad argument,
 * size limit) is recorded with a message naming the node and property, every
 * later call does nothing, and fdtb_finish() reports it. No call crashes on
 * a failed builder; functions returning a path return NULL then.
 *
 * The fdt_virt_* functions write the nodes of avmm's `virt` machine, with the
 * bindings QEMU's virt machine uses (facts: qemu-virt.md). */
#ifndef AVMM_MACHINE_FDT_H
#define AVMM_MACHINE_FDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Interrupt specifiers for the GIC binding (3 cells: type, number, flags). */
enum { FDT_IRQ_SPI = 0, FDT_IRQ_PPI = 1 };
enum { FDT_IRQ_EDGE_RISING = 1, FDT_IRQ_LEVEL_HIGH = 4 };

#define FDT_MAX_SIZE_DEFAULT (2u << 20) /* the arm64 boot protocol's DTB limit */

struct fdt_builder {
	void *blob;
	size_t size, max_size;
	int err;            /* 0, or the first error (negative libfdt or errno value) */
	char msg[256];      /* its message */
	char **paths;       /* node paths handed out */
	size_t npaths, cap;
	uint32_t next_phandle;
};

/* An empty tree (root node only). 0 or -ENOMEM/-EINVAL (message set). */
int fdtb_init(struct fdt_builder *b, size_t max_size);
/* Start from an existing blob (e.g. a -dtb file), copied and validated. */
int fdtb_open(struct fdt_builder *b, const void *blob, size_t len, size_t max_size);
void fdtb_free(struct fdt_builder *b);

/* Add node `name` (printf format) under `parent` ("/" or a path from this
 * builder); returns the new node's path. An existing node of that name is
 * an error. */
const char *fdtb_node(struct fdt_builder *b, const char *parent, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The path of an existing node, or NULL (no error recorded) if absent. */
const char *fdtb_find(struct fdt_builder *b, const char *path);

void fdtb_prop(struct fdt_builder *b, const char *node, const char *name, const void *val, size_t len);
void fdtb_prop_empty(struct fdt_builder *b, const char *node, const char *name);
void fdtb_prop_str(struct fdt_builder *b, const char *node, const char *name, const char *s);
/* A string list: the strings up to a NULL. */
void fdtb_prop_strs(struct fdt_builder *b, const char *node, const char *name, ...) __attribute__((sentinel));
void fdtb_prop_u32(struct fdt_builder *b, const char *node, const char *name, uint32_t v);
void fdtb_prop_u64(struct fdt_builder *b, const char *node, const char *name, uint64_t v);
void fdtb_prop_cells(struct fdt_builder *b, const char *node, const char *name, const uint32_t *cells, size_t n);
/* "reg" with 2 address and 2 size cells (the root's layout). */
void fdtb_prop_reg(struct fdt_builder *b, const char *node, uint64_t addr, uint64_t size);
/* "interrupts" = one GIC specifier. */
void fdtb_prop_irq(struct fdt_builder *b, const char *node, uint32_t type, uint32_t num, uint32_t flags);
void fdtb_delprop(struct fdt_builder *b, const char *node, const char *name);
/* Give the node a fresh "phandle" and return it (0 on error). */
uint32_t fdtb_phandle(struct fdt_builder *b, const char *node);

/* Record an error (printf format) unless one is recorded already. */
void fdtb_fail(struct fdt_builder *b, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Pack the tree. On success returns 0 and the blob (malloc'd, the caller
 * frees it; the builder keeps nothing) and its size; else the error with the
 * message in b->msg. The builder must still be freed. */
int fdtb_finish(struct fdt_builder *b, void **blob, size_t *size);

/* ---- the virt machine's nodes ---- */

/* Root: compatible "linux,dummy-virt", model, #address-cells/#size-cells 2. */
void fdt_virt_root(struct fdt_builder *b);
/* memory@BASE. */
void fdt_virt_memory(struct fdt_builder *b, uint64_t base, uint64_t size);
/* /cpus and cpu@N, reg = MPIDR affinity (Aff3 << 32 | Aff2:Aff1:Aff0), enable-method "psci". */
void fdt_virt_cpus(struct fdt_builder *b, const uint64_t *mpidr, unsigned n);
/* /psci: "arm,psci-1.0", "arm,psci-0.2"; method "hvc" or "smc". */
void fdt_virt_psci(struct fdt_builder *b, const char *method);
/* /timer: arm,armv8-timer, PPIs 13 14 11 10 (secure phys, phys, virt, hyp), always-on. */
void fdt_virt_timer(struct fdt_builder *b);
/* intc@DIST: GICv3 with one redistributor region; becomes the root's
 * interrupt-parent. Returns its phandle (0 on error). */
uint32_t fdt_virt_gicv3(struct fdt_builder *b, uint64_t dist_base, uint64_t dist_size, uint64_t redist_base,
			uint64_t redist_size);
/* The fixed 24 MHz "apb-pclk" clock of the PrimeCells; returns its phandle. */
uint32_t fdt_virt_apb_pclk(struct fdt_builder *b);
/* /chosen: bootargs (if non-NULL), stdout-path (if non-NULL; also /aliases
 * serial0), linux,initrd-start/end (if initrd_size), rng-seed (if
 * seed_len). Updates an existing /chosen. */
void fdt_virt_chosen(struct fdt_builder *b, const char *bootargs, const char *stdout_path, uint64_t initrd_start,
		     uint64_t initrd_size, const void *seed, size_t seed_len);

/* /chosen rng-seed (FDT_RNG_SEED_LEN bytes, for the guest's entropy pool)
 * and kaslr-seed (8 bytes, for arm64 KASLR), fresh from the host's CSPRNG
 * (host_random) for every tree built: two boots never share them. Creates
 * /chosen if absent; replaces seeds already there. */
#define FDT_RNG_SEED_LEN 32
void fdt_virt_seeds(struct fdt_builder *b);

/* Fit a user-supplied tree (-dtb) to the machine as QEMU does: every root
 * memory node (memory, memory@...) replaced by one memory@RAM_BASE in the
 * root's #address-cells/#size-cells (an error if they cannot describe the
 * RAM), /psci replaced by the machine's ("hvc"), and, when the Linux boot
 * protocol is used (linux_boot: -kernel), /chosen's bootargs (when bootargs
 * is non-empty; else the tree's are kept) and linux,initrd-start/end (set
 * for an initrd, removed otherwise: nothing was loaded there). /chosen is
 * created if absent. The seeds are fdt_virt_seeds' job. */
void fdt_virt_fit_user(struct fdt_builder *b, uint64_t ram_base, uint64_t ram_size, bool linux_boot,
		       const char *bootargs, uint64_t initrd_start, uint64_t initrd_size);

#endif
