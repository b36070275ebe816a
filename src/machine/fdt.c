/* Device-tree building over libfdt (see fdt.h). */
#include "machine/fdt.h"

#include <errno.h>
#include <inttypes.h>
#include <libfdt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/host.h"

#define FDT_INITIAL_SIZE 4096u

void fdtb_fail(struct fdt_builder *b, int err, const char *fmt, ...)
{
	if (b->err)
		return;
	b->err = err ? err : -EINVAL;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b->msg, sizeof(b->msg), fmt, ap);
	va_end(ap);
}

static int setup(struct fdt_builder *b, size_t max_size)
{
	memset(b, 0, sizeof(*b));
	b->next_phandle = 1;
	b->max_size = max_size ? max_size : FDT_MAX_SIZE_DEFAULT;
	if (b->max_size > INT32_MAX || b->max_size < 64) {
		fdtb_fail(b, -EINVAL, "device tree: size limit %zu out of range", b->max_size);
		return b->err;
	}
	return 0;
}

int fdtb_init(struct fdt_builder *b, size_t max_size)
{
	if (setup(b, max_size))
		return b->err;
	b->size = b->max_size < FDT_INITIAL_SIZE ? b->max_size : FDT_INITIAL_SIZE;
	b->blob = calloc(1, b->size);
	if (!b->blob) {
		fdtb_fail(b, -ENOMEM, "device tree: out of memory");
		return b->err;
	}
	int r = fdt_create_empty_tree(b->blob, (int)b->size);
	if (r)
		fdtb_fail(b, r, "device tree: cannot create an empty tree: %s", fdt_strerror(r));
	return b->err;
}

/* The highest phandle in the tree, so new ones do not collide. */
static uint32_t max_phandle(const void *fdt)
{
	uint32_t m = 0;
	for (int off = fdt_next_node(fdt, -1, NULL); off >= 0; off = fdt_next_node(fdt, off, NULL)) {
		uint32_t p = fdt_get_phandle(fdt, off);
		if (p != (uint32_t)-1 && p > m)
			m = p;
	}
	return m;
}

int fdtb_open(struct fdt_builder *b, const void *blob, size_t len, size_t max_size)
{
	if (setup(b, max_size))
		return b->err;
	int r;
	if (len < sizeof(struct fdt_header) || (r = fdt_check_header(blob)) != 0) {
		fdtb_fail(b, -FDT_ERR_BADMAGIC, "device tree: not a flattened device tree (%s)",
			  len < sizeof(struct fdt_header) ? "too short" : fdt_strerror(r));
		return b->err;
	}
	size_t total = fdt_totalsize(blob);
	if (total > len) {
		fdtb_fail(b, -FDT_ERR_TRUNCATED, "device tree: header says %zu bytes but only %zu are present", total,
			  len);
		return b->err;
	}
	if (total > b->max_size) {
		fdtb_fail(b, -FDT_ERR_NOSPACE, "device tree: %zu bytes, more than the %zu-byte limit", total,
			  b->max_size);
		return b->err;
	}
	b->size = total + FDT_INITIAL_SIZE < b->max_size ? total + FDT_INITIAL_SIZE : b->max_size;
	b->blob = calloc(1, b->size);
	if (!b->blob) {
		fdtb_fail(b, -ENOMEM, "device tree: out of memory");
		return b->err;
	}
	r = fdt_open_into(blob, b->blob, (int)b->size);
	if (!r)
		r = fdt_check_full(b->blob, b->size);
	if (r) {
		fdtb_fail(b, r, "device tree: malformed (%s)", fdt_strerror(r));
		return b->err;
	}
	b->next_phandle = max_phandle(b->blob) + 1;
	return 0;
}

void fdtb_free(struct fdt_builder *b)
{
	free(b->blob);
	for (size_t i = 0; i < b->npaths; i++)
		free(b->paths[i]);
	free(b->paths);
	b->blob = NULL;
	b->paths = NULL;
	b->npaths = b->cap = 0;
}

/* Double the buffer (up to the limit) after FDT_ERR_NOSPACE. */
static bool grow(struct fdt_builder *b)
{
	if (b->size >= b->max_size)
		return false;
	size_t ns = b->size * 2 < b->max_size ? b->size * 2 : b->max_size;
	void *nb = calloc(1, ns);
	if (!nb)
		return false;
	if (fdt_open_into(b->blob, nb, (int)ns)) {
		free(nb);
		return false;
	}
	free(b->blob);
	b->blob = nb;
	b->size = ns;
	return true;
}

static const char *keep_path(struct fdt_builder *b, const char *path)
{
	for (size_t i = 0; i < b->npaths; i++)
		if (!strcmp(b->paths[i], path))
			return b->paths[i];
	if (b->npaths == b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 16;
		char **np = realloc(b->paths, nc * sizeof(*np));
		if (!np) {
			fdtb_fail(b, -ENOMEM, "device tree: out of memory");
			return NULL;
		}
		b->paths = np;
		b->cap = nc;
	}
	char *p = strdup(path);
	if (!p) {
		fdtb_fail(b, -ENOMEM, "device tree: out of memory");
		return NULL;
	}
	b->paths[b->npaths++] = p;
	return p;
}

/* The offset of `path`, recording an error if it is missing. */
static int lookup(struct fdt_builder *b, const char *path, const char *what)
{
	if (b->err)
		return -1;
	if (!path) {
		fdtb_fail(b, -EINVAL, "device tree: %s on a node that was not created", what);
		return -1;
	}
	int off = fdt_path_offset(b->blob, path);
	if (off < 0)
		fdtb_fail(b, off, "device tree: %s: node %s: %s", what, path, fdt_strerror(off));
	return off;
}

const char *fdtb_find(struct fdt_builder *b, const char *path)
{
	if (b->err || !path || fdt_path_offset(b->blob, path) < 0)
		return NULL;
	return keep_path(b, path);
}

const char *fdtb_node(struct fdt_builder *b, const char *parent, const char *fmt, ...)
{
	char name[128], path[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	if (b->err)
		return NULL;
	if (n <= 0 || (size_t)n >= sizeof(name) || strchr(name, '/')) {
		fdtb_fail(b, -EINVAL, "device tree: bad node name '%s'", name);
		return NULL;
	}
	if (!parent) {
		fdtb_fail(b, -EINVAL, "device tree: node %s under a parent that was not created", name);
		return NULL;
	}
	n = snprintf(path, sizeof(path), "%s%s%s", parent, strcmp(parent, "/") ? "/" : "", name);
	if (n <= 0 || (size_t)n >= sizeof(path)) {
		fdtb_fail(b, -EINVAL, "device tree: node path too long under %s", parent);
		return NULL;
	}
	for (;;) {
		int po = lookup(b, parent, "adding a node");
		if (po < 0)
			return NULL;
		int r = fdt_add_subnode(b->blob, po, name);
		if (r >= 0)
			return keep_path(b, path);
		if (r != -FDT_ERR_NOSPACE || !grow(b)) {
			fdtb_fail(b, r, "device tree: cannot add node %s: %s%s", path, fdt_strerror(r),
				  r == -FDT_ERR_NOSPACE ? " (tree size limit reached)" : "");
			return NULL;
		}
	}
}

void fdtb_prop(struct fdt_builder *b, const char *node, const char *name, const void *val, size_t len)
{
	if (b->err)
		return;
	if (len > INT32_MAX) {
		fdtb_fail(b, -EINVAL, "device tree: property %s too large", name);
		return;
	}
	for (;;) {
		int off = lookup(b, node, name);
		if (off < 0)
			return;
		int r = fdt_setprop(b->blob, off, name, val, (int)len);
		if (!r)
			return;
		if (r != -FDT_ERR_NOSPACE || !grow(b)) {
			fdtb_fail(b, r, "device tree: cannot set %s:%s: %s%s", node, name, fdt_strerror(r),
				  r == -FDT_ERR_NOSPACE ? " (tree size limit reached)" : "");
			return;
		}
	}
}

void fdtb_prop_empty(struct fdt_builder *b, const char *node, const char *name)
{
	fdtb_prop(b, node, name, NULL, 0);
}

void fdtb_prop_str(struct fdt_builder *b, const char *node, const char *name, const char *s)
{
	if (!s) {
		fdtb_fail(b, -EINVAL, "device tree: %s:%s: no string given", node ? node : "?", name);
		return;
	}
	fdtb_prop(b, node, name, s, strlen(s) + 1);
}

void fdtb_prop_strs(struct fdt_builder *b, const char *node, const char *name, ...)
{
	char buf[1024];
	size_t len = 0;
	va_list ap;
	va_start(ap, name);
	for (const char *s; (s = va_arg(ap, const char *)) != NULL;) {
		size_t l = strlen(s) + 1;
		if (l > sizeof(buf) - len) {
			va_end(ap);
			fdtb_fail(b, -EINVAL, "device tree: %s:%s: string list too long", node ? node : "?", name);
			return;
		}
		memcpy(buf + len, s, l);
		len += l;
	}
	va_end(ap);
	fdtb_prop(b, node, name, buf, len);
}

void fdtb_prop_u32(struct fdt_builder *b, const char *node, const char *name, uint32_t v)
{
	fdtb_prop_cells(b, node, name, &v, 1);
}

void fdtb_prop_u64(struct fdt_builder *b, const char *node, const char *name, uint64_t v)
{
	uint32_t c[2] = { (uint32_t)(v >> 32), (uint32_t)v };
	fdtb_prop_cells(b, node, name, c, 2);
}

void fdtb_prop_cells(struct fdt_builder *b, const char *node, const char *name, const uint32_t *cells, size_t n)
{
	fdt32_t be[256]; /* a PCI interrupt-map is 160 cells */
	if (n > 256) {
		fdtb_fail(b, -EINVAL, "device tree: %s:%s: too many cells", node ? node : "?", name);
		return;
	}
	for (size_t i = 0; i < n; i++)
		be[i] = cpu_to_fdt32(cells[i]);
	fdtb_prop(b, node, name, be, n * sizeof(be[0]));
}

void fdtb_prop_reg(struct fdt_builder *b, const char *node, uint64_t addr, uint64_t size)
{
	uint32_t c[4] = { (uint32_t)(addr >> 32), (uint32_t)addr, (uint32_t)(size >> 32), (uint32_t)size };
	fdtb_prop_cells(b, node, "reg", c, 4);
}

void fdtb_prop_irq(struct fdt_builder *b, const char *node, uint32_t type, uint32_t num, uint32_t flags)
{
	uint32_t c[3] = { type, num, flags };
	fdtb_prop_cells(b, node, "interrupts", c, 3);
}

void fdtb_delprop(struct fdt_builder *b, const char *node, const char *name)
{
	int off = lookup(b, node, name);
	if (off < 0)
		return;
	int r = fdt_delprop(b->blob, off, name);
	if (r && r != -FDT_ERR_NOTFOUND)
		fdtb_fail(b, r, "device tree: cannot delete %s:%s: %s", node, name, fdt_strerror(r));
}

uint32_t fdtb_phandle(struct fdt_builder *b, const char *node)
{
	if (b->err)
		return 0;
	if (b->next_phandle == 0 || b->next_phandle >= 0xfffffff0u) {
		fdtb_fail(b, -FDT_ERR_NOPHANDLES, "device tree: out of phandles");
		return 0;
	}
	uint32_t p = b->next_phandle;
	fdtb_prop_u32(b, node, "phandle", p);
	if (b->err)
		return 0;
	b->next_phandle++;
	return p;
}

int fdtb_finish(struct fdt_builder *b, void **blob, size_t *size)
{
	*blob = NULL;
	*size = 0;
	if (b->err)
		return b->err;
	int r = fdt_pack(b->blob);
	if (!r)
		r = fdt_check_full(b->blob, fdt_totalsize(b->blob));
	if (r) {
		fdtb_fail(b, r, "device tree: cannot finish the tree: %s", fdt_strerror(r));
		return b->err;
	}
	size_t total = fdt_totalsize(b->blob);
	void *out = malloc(total);
	if (!out) {
		fdtb_fail(b, -ENOMEM, "device tree: out of memory");
		return b->err;
	}
	memcpy(out, b->blob, total);
	*blob = out;
	*size = total;
	return 0;
}

/* ---- virt ---- */

void fdt_virt_root(struct fdt_builder *b)
{
	const char *r = fdtb_find(b, "/");
	fdtb_prop_str(b, r, "compatible", "linux,dummy-virt");
	fdtb_prop_str(b, r, "model", "avmm virt");
	fdtb_prop_u32(b, r, "#address-cells", 2);
	fdtb_prop_u32(b, r, "#size-cells", 2);
}

void fdt_virt_memory(struct fdt_builder *b, uint64_t base, uint64_t size)
{
	const char *m = fdtb_node(b, "/", "memory@%" PRIx64, base);
	fdtb_prop_str(b, m, "device_type", "memory");
	fdtb_prop_reg(b, m, base, size);
}

void fdt_virt_cpus(struct fdt_builder *b, const uint64_t *mpidr, unsigned n)
{
	if (n == 0) {
		fdtb_fail(b, -EINVAL, "device tree: no CPUs");
		return;
	}
	bool wide = false;
	for (unsigned i = 0; i < n; i++)
		wide |= ((mpidr[i] >> 32) & 0xff) != 0;
	const char *cpus = fdtb_node(b, "/", "cpus");
	fdtb_prop_u32(b, cpus, "#address-cells", wide ? 2 : 1);
	fdtb_prop_u32(b, cpus, "#size-cells", 0);
	/* libfdt puts a new node first among its siblings: add them last to first
	 * so the tree lists them in order (Linux numbers secondaries in tree order). */
	for (unsigned i = n; i-- > 0;) {
		uint64_t aff = (mpidr[i] & 0xffffffull) | (((mpidr[i] >> 32) & 0xff) << 32);
		const char *c = fdtb_node(b, cpus, "cpu@%" PRIx64, aff);
		fdtb_prop_str(b, c, "device_type", "cpu");
		fdtb_prop_str(b, c, "compatible", "arm,arm-v8");
		if (wide)
			fdtb_prop_u64(b, c, "reg", aff);
		else
			fdtb_prop_u32(b, c, "reg", (uint32_t)aff);
		fdtb_prop_str(b, c, "enable-method", "psci");
	}
}

void fdt_virt_psci(struct fdt_builder *b, const char *method)
{
	if (!method || (strcmp(method, "hvc") && strcmp(method, "smc"))) {
		fdtb_fail(b, -EINVAL, "device tree: PSCI method must be \"hvc\" or \"smc\"");
		return;
	}
	const char *p = fdtb_node(b, "/", "psci");
	fdtb_prop_strs(b, p, "compatible", "arm,psci-1.0", "arm,psci-0.2", NULL);
	fdtb_prop_str(b, p, "method", method);
}

void fdt_virt_timer(struct fdt_builder *b)
{
	static const uint32_t ppis[4] = { 13, 14, 11, 10 }; /* secure phys, non-secure phys, virt, hyp */
	uint32_t cells[12];
	for (unsigned i = 0; i < 4; i++) {
		cells[3 * i] = FDT_IRQ_PPI;
		cells[3 * i + 1] = ppis[i];
		cells[3 * i + 2] = FDT_IRQ_LEVEL_HIGH;
	}
	const char *t = fdtb_node(b, "/", "timer");
	fdtb_prop_strs(b, t, "compatible", "arm,armv8-timer", "arm,armv7-timer", NULL);
	fdtb_prop_cells(b, t, "interrupts", cells, 12);
	fdtb_prop_empty(b, t, "always-on");
}

uint32_t fdt_virt_gicv3(struct fdt_builder *b, uint64_t dist_base, uint64_t dist_size, uint64_t redist_base,
			uint64_t redist_size)
{
	const char *g = fdtb_node(b, "/", "intc@%" PRIx64, dist_base);
	fdtb_prop_str(b, g, "compatible", "arm,gic-v3");
	uint32_t reg[8] = {
		(uint32_t)(dist_base >> 32),   (uint32_t)dist_base,   (uint32_t)(dist_size >> 32),   (uint32_t)dist_size,
		(uint32_t)(redist_base >> 32), (uint32_t)redist_base, (uint32_t)(redist_size >> 32), (uint32_t)redist_size,
	};
	fdtb_prop_cells(b, g, "reg", reg, 8);
	fdtb_prop_u32(b, g, "#interrupt-cells", 3);
	fdtb_prop_empty(b, g, "interrupt-controller");
	fdtb_prop_u32(b, g, "#redistributor-regions", 1);
	fdtb_prop_u32(b, g, "#address-cells", 2);
	fdtb_prop_u32(b, g, "#size-cells", 2);
	fdtb_prop_empty(b, g, "ranges");
	uint32_t ph = fdtb_phandle(b, g);
	if (ph)
		fdtb_prop_u32(b, fdtb_find(b, "/"), "interrupt-parent", ph);
	return b->err ? 0 : ph;
}

uint32_t fdt_virt_apb_pclk(struct fdt_builder *b)
{
	const char *c = fdtb_node(b, "/", "apb-pclk");
	fdtb_prop_str(b, c, "compatible", "fixed-clock");
	fdtb_prop_u32(b, c, "#clock-cells", 0);
	fdtb_prop_u32(b, c, "clock-frequency", 24000000);
	fdtb_prop_str(b, c, "clock-output-names", "clk24mhz");
	uint32_t ph = fdtb_phandle(b, c);
	return b->err ? 0 : ph;
}

void fdt_virt_chosen(struct fdt_builder *b, const char *bootargs, const char *stdout_path, uint64_t initrd_start,
		     uint64_t initrd_size, const void *seed, size_t seed_len)
{
	const char *c = fdtb_find(b, "/chosen");
	if (!c)
		c = fdtb_node(b, "/", "chosen");
	if (bootargs)
		fdtb_prop_str(b, c, "bootargs", bootargs);
	if (stdout_path) {
		fdtb_prop_str(b, c, "stdout-path", stdout_path);
		const char *a = fdtb_find(b, "/aliases");
		if (!a)
			a = fdtb_node(b, "/", "aliases");
		fdtb_prop_str(b, a, "serial0", stdout_path);
	}
	if (initrd_size) {
		if (initrd_start + initrd_size < initrd_start) {
			fdtb_fail(b, -EINVAL, "device tree: initrd range wraps around");
			return;
		}
		fdtb_prop_u64(b, c, "linux,initrd-start", initrd_start);
		fdtb_prop_u64(b, c, "linux,initrd-end", initrd_start + initrd_size);
	} else {
		fdtb_delprop(b, c, "linux,initrd-start");
		fdtb_delprop(b, c, "linux,initrd-end");
	}
	if (seed_len)
		fdtb_prop(b, c, "rng-seed", seed, seed_len);
}

void fdt_virt_seeds(struct fdt_builder *b)
{
	uint8_t rng[FDT_RNG_SEED_LEN], kaslr[8];
	int r = host_random(rng, sizeof(rng));
	if (!r)
		r = host_random(kaslr, sizeof(kaslr));
	if (r) {
		fdtb_fail(b, r, "device tree: no random bytes for /chosen rng-seed: %s", strerror(-r));
		return;
	}
	const char *c = fdtb_find(b, "/chosen");
	if (!c)
		c = fdtb_node(b, "/", "chosen");
	fdtb_prop(b, c, "rng-seed", rng, sizeof(rng));
	fdtb_prop(b, c, "kaslr-seed", kaslr, sizeof(kaslr));
	/* Leave no copy of the guest's seeds on our stack. */
	memset(rng, 0, sizeof(rng));
	memset(kaslr, 0, sizeof(kaslr));
	__asm__ volatile("" : : "r"(rng), "r"(kaslr) : "memory");
}

/* A root node that describes memory: "memory" or "memory@..." (QEMU's rule). */
static bool is_memory_node(const char *name)
{
	return !strcmp(name, "memory") || !strncmp(name, "memory@", 7);
}

void fdt_virt_fit_user(struct fdt_builder *b, uint64_t ram_base, uint64_t ram_size, bool linux_boot,
		       const char *bootargs, uint64_t initrd_start, uint64_t initrd_size)
{
	if (b->err)
		return;
	int ac = fdt_address_cells(b->blob, 0), sc = fdt_size_cells(b->blob, 0);
	if (ac < 1 || ac > 2 || sc < 1 || sc > 2) {
		fdtb_fail(b, -FDT_ERR_BADNCELLS,
			  "device tree: the root's #address-cells/#size-cells (%d/%d) must be 1 or 2 to describe RAM",
			  ac, sc);
		return;
	}
	uint64_t end = ram_base + ram_size;
	if (end < ram_base || (ac == 1 && end - 1 > UINT32_MAX) || (sc == 1 && ram_size > UINT32_MAX)) {
		fdtb_fail(b, -FDT_ERR_BADNCELLS,
			  "device tree: its root #address-cells = <%d>, #size-cells = <%d> cannot describe %" PRIu64
			  " MiB of RAM at 0x%" PRIx64 " (lower -m below 4 GiB, or use a tree with 2 and 2)",
			  ac, sc, ram_size >> 20, ram_base);
		return;
	}
	/* Every root memory node goes: the tree's idea of RAM is not the machine's. */
	for (;;) {
		int off, found = -1;
		fdt_for_each_subnode(off, b->blob, 0) {
			const char *name = fdt_get_name(b->blob, off, NULL);
			if (name && is_memory_node(name)) {
				found = off;
				break;
			}
		}
		if (found < 0)
			break;
		int r = fdt_del_node(b->blob, found);
		if (r) {
			fdtb_fail(b, r, "device tree: cannot remove a memory node: %s", fdt_strerror(r));
			return;
		}
	}
	const char *m = fdtb_node(b, "/", "memory@%" PRIx64, ram_base);
	fdtb_prop_str(b, m, "device_type", "memory");
	uint32_t reg[4], n = 0;
	if (ac == 2)
		reg[n++] = (uint32_t)(ram_base >> 32);
	reg[n++] = (uint32_t)ram_base;
	if (sc == 2)
		reg[n++] = (uint32_t)(ram_size >> 32);
	reg[n++] = (uint32_t)ram_size;
	fdtb_prop_cells(b, m, "reg", reg, n);

	/* PSCI is the machine's (over HVC), whatever the tree says. */
	if (!b->err) {
		int off = fdt_path_offset(b->blob, "/psci");
		if (off >= 0 && (off = fdt_del_node(b->blob, off)) != 0) {
			fdtb_fail(b, off, "device tree: cannot replace /psci: %s", fdt_strerror(off));
			return;
		}
	}
	fdt_virt_psci(b, "hvc");

	const char *c = fdtb_find(b, "/chosen");
	if (!c)
		c = fdtb_node(b, "/", "chosen");
	if (linux_boot)
		fdt_virt_chosen(b, bootargs && *bootargs ? bootargs : NULL, NULL, initrd_start, initrd_size, NULL, 0);
}
