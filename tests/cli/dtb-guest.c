/* A guest that prints what the boot loader told it through the device tree:
 * /chosen bootargs, initrd range, rng-seed and kaslr-seed, and every root
 * memory node's reg, one "key: value" line each. The DTB is where avmm (and
 * QEMU) put it for an Image: the first 2 MiB boundary holding the FDT magic. */
#include "rt/rt.h"

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static int prefix(const char *s, const char *p)
{
	while (*p && *s == *p)
		s++, p++;
	return !*p;
}

static void put_bytes(const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		rt_putc("0123456789abcdef"[p[i] >> 4]);
		rt_putc("0123456789abcdef"[p[i] & 15]);
	}
}

int main(void)
{
	const uint8_t *fdt = 0;
	for (uint64_t a = 0x40000000; a < 0x44000000; a += 0x200000)
		if (be32((const uint8_t *)a) == 0xd00dfeed) {
			fdt = (const uint8_t *)a;
			break;
		}
	rt_check(fdt != 0, "device tree found");
	if (!fdt)
		return 0;
	const uint8_t *st = fdt + be32(fdt + 8);
	const char *strs = (const char *)fdt + be32(fdt + 12);
	const uint8_t *end = st + be32(fdt + 36);
	int depth = 0, chosen = 0, memory = 0;
	for (const uint8_t *p = st; p < end;) {
		uint32_t tok = be32(p);
		p += 4;
		if (tok == 1) { /* FDT_BEGIN_NODE */
			const char *name = (const char *)p;
			while (*p)
				p++;
			p = (const uint8_t *)(((uint64_t)p + 4) & ~3ull);
			depth++;
			if (depth == 2) {
				chosen = streq(name, "chosen");
				memory = streq(name, "memory") || prefix(name, "memory@");
			}
		} else if (tok == 2) { /* FDT_END_NODE */
			depth--;
		} else if (tok == 3) { /* FDT_PROP */
			uint32_t len = be32(p), nameoff = be32(p + 4);
			const uint8_t *val = p + 8;
			const char *name = strs + nameoff;
			p = (const uint8_t *)(((uint64_t)val + len + 3) & ~3ull);
			if (depth == 2 && chosen) {
				if (streq(name, "bootargs")) {
					rt_puts("bootargs: ");
					rt_puts((const char *)val);
					rt_putc('\n');
				} else if (streq(name, "linux,initrd-start") || streq(name, "linux,initrd-end") ||
					   streq(name, "rng-seed") || streq(name, "kaslr-seed")) {
					rt_puts(name);
					rt_puts(": ");
					put_bytes(val, len);
					rt_putc('\n');
				}
			} else if (depth == 2 && memory && streq(name, "reg")) {
				rt_puts("memory: ");
				put_bytes(val, len);
				rt_putc('\n');
			}
		} else if (tok == 9) { /* FDT_END */
			break;
		} else if (tok != 4) { /* not FDT_NOP */
			rt_check(0, "device tree token");
			break;
		}
	}
	return 0;
}
