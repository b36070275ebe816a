/* PCI enumeration through ECAM on the virt machine, run with
 * `-device pci-testdev -device virtio-rng-pci` (QEMU: the same, and -nic
 * none): IDs of every function of bus 0 (absent ones read all ones), buses
 * 1 and 15 empty, BAR sizing and assignment inside the windows, the
 * command register's decode bits (a disabled BAR is a master abort: reads
 * all ones, writes dropped, as QEMU's host bridge), the capability lists,
 * and pci-testdev's tests through its memory and I/O BARs. Prints only
 * what QEMU and avmm must agree on (addresses are our own assignment). */
#include "pci-common.h"

#define TESTDEV_ID 0x00051b36u

static void put_hex_n(uint64_t v, int digits)
{
	for (int i = (digits - 1) * 4; i >= 0; i -= 4)
		rt_putc("0123456789abcdef"[(v >> i) & 15]);
}

static void kv(const char *k, uint64_t v, int digits)
{
	rt_puts(k);
	put_hex_n(v, digits);
}

uintptr_t ecam_base;
static struct bar bars[32][6];
static unsigned nbars[32];

static void walk_caps(unsigned dev)
{
	uint16_t status = cfg16(dev, 0x06);
	rt_puts("  caps:");
	if (!(status & 0x10)) {
		rt_puts(" none\n");
		return;
	}
	/* In ID order (QEMU links them newest first), without the PCI Express
	 * capability (avmm's functions have one; QEMU's on the root bus are
	 * conventional PCI). */
	unsigned p = cfg8(dev, 0x34) & 0xfc, n = 0, ncap = 0;
	uint8_t at[48];
	while (p && n++ < 48) {
		if (cfg8(dev, p) != 0x10)
			at[ncap++] = (uint8_t)p;
		p = cfg8(dev, p + 1) & 0xfc;
	}
	for (unsigned i = 1; i < ncap; i++)
		for (unsigned j = i; j > 0; j--) {
			unsigned a = cfg8(dev, at[j - 1]) << 8 | cfg8(dev, at[j - 1] + 3);
			unsigned b = cfg8(dev, at[j]) << 8 | cfg8(dev, at[j] + 3);
			if (a <= b)
				break;
			uint8_t t = at[j];
			at[j] = at[j - 1];
			at[j - 1] = t;
		}
	for (unsigned i = 0; i < ncap; i++) {
		p = at[i];
		uint8_t id = cfg8(dev, p);
		kv(" ", id, 2);
		if (id == 0x09) /* vendor-specific: virtio's cfg_type and BAR */
			kv("/", cfg8(dev, p + 3), 1), kv("@bar", cfg8(dev, p + 4), 1);
		if (id == 0x11) { /* MSI-X: table size, table and PBA BIR */
			kv("/n", (cfg16(dev, p + 2) & 0x7ff) + 1u, 2);
			kv("@bar", cfg32(dev, p + 4) & 7, 1);
			kv("+", cfg32(dev, p + 4) & ~7u, 4);
			kv(",pba@bar", cfg32(dev, p + 8) & 7, 1);
			kv("+", cfg32(dev, p + 8) & ~7u, 4);
		}
	}
	rt_putc('\n');
	rt_check(n < 48, "  capability list ends");
}

/* pci-testdev's header of the selected test, read byte by byte at base. */
static uint32_t hdr32(uintptr_t base, unsigned off)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < 4; i++)
		v |= (uint32_t)REG8(base + off + i) << (8 * i);
	return v;
}

static void testdev_tests(uintptr_t base, const char *what)
{
	for (unsigned t = 0; t < 3; t++) {
		REG8(base) = (uint8_t)t;
		char name[40];
		unsigned k = 0;
		while (k < sizeof(name) - 1 && (name[k] = (char)REG8(base + 16 + k)) != 0)
			k++;
		name[k] = 0;
		uint32_t off = hdr32(base, 4);
		uint8_t data = REG8(base + 8);
		rt_puts(what);
		kv(" test ", REG8(base), 1);
		kv(" width ", REG8(base + 1), 1);
		kv(" offset ", off, 3);
		kv(" data ", data, 2);
		kv(" count ", hdr32(base, 12), 2);
		rt_puts(" name ");
		rt_puts(name);
		rt_putc('\n');
		if (off >= 4096)
			continue;
		REG8(base + off) = (uint8_t)(data ^ 0x55); /* counts only for the wildcard test */
		uint32_t c1 = hdr32(base, 12);
		REG8(base + off) = data;
		REG8(base + off) = data;
		uint32_t c2 = hdr32(base, 12);
		REG8(base) = (uint8_t)t; /* selecting again: does the count survive? */
		uint32_t c3 = hdr32(base, 12);
		rt_puts(what);
		kv("   counts: other data ", c1, 2);
		kv(", then twice the data ", c2, 2);
		kv(", after reselect ", c3, 2);
		rt_putc('\n');
	}
	REG8(base) = 7; /* no such test: the header reads zero */
	rt_puts(what);
	kv(" after selecting test 7: header byte 0 ", REG8(base), 2);
	rt_putc('\n');
}

int main(void)
{
	ecam_probe();
	/* Bus 0: every device and function. */
	unsigned present = 0, absent = 0, absent_ones = 0, testdev = 0, rng = 0;
	for (unsigned d = 0; d < 32; d++)
		for (unsigned f = 0; f < 8; f++) {
			uint32_t id = REG32(ecam(0, d, f, 0));
			if (id == 0xffffffffu) {
				absent++;
				absent_ones += REG32(ecam(0, d, f, 8)) == ~0u && REG16(ecam(0, d, f, 0x0e)) == 0xffff &&
					       REG8(ecam(0, d, f, 0x3c)) == 0xff && REG32(ecam(0, d, f, 0xffc)) == ~0u;
				continue;
			}
			present++;
			uint32_t cls = REG32(ecam(0, d, f, 8));
			kv("00:", d, 2);
			kv(".", f, 1);
			kv(" ", id & 0xffff, 4);
			kv(":", id >> 16, 4);
			kv(" class ", cls >> 8, 6);
			kv(" rev ", cls & 0xff, 2);
			kv(" hdr ", REG8(ecam(0, d, f, 0x0e)), 2);
			/* (A modern virtio function's subsystem ID is free: QEMU 0x1100, avmm 0x1040 + type.) */
			if ((id & 0xffff) != 0x1af4) {
				kv(" subsys ", REG16(ecam(0, d, f, 0x2c)), 4);
				kv(":", REG16(ecam(0, d, f, 0x2e)), 4);
			}
			kv(" pin ", REG8(ecam(0, d, f, 0x3d)), 1);
			kv(" cmd ", REG16(ecam(0, d, f, 4)), 4);
			rt_putc('\n');
			if (f == 0 && id == TESTDEV_ID)
				testdev = d;
			if (f == 0 && (id & 0xffff) == 0x1af4 && (id >> 16) == 0x1044)
				rng = d;
		}
	rt_check(present == 3, "bus 0: three functions (host bridge, pci-testdev, virtio-rng-pci)");
	rt_check(absent_ones == absent, "absent functions read all ones (ID, class, header type, line, offset 0xffc)");
	rt_check(REG32(ecam(1, 0, 0, 0)) == ~0u && REG32(ecam(1, 1, 0, 0)) == ~0u && REG32(ecam(15, 0, 0, 0)) == ~0u,
		 "buses 1 and 15 read all ones");
	rt_check(REG16(ecam(1, 0, 0, 2)) == 0xffff && REG8(ecam(15, 31, 7, 0xfff)) == 0xff,
		 "  also in 8- and 16-bit reads");
	rt_check(testdev != 0 && rng != 0, "pci-testdev and virtio-rng-pci (modern, 1af4:1044) found");
	if (!testdev || !rng)
		return 0;

	/* Size and assign every BAR. */
	uint64_t mem32 = MMIO32_BASE, mem64 = MMIO64_BASE, port = 0x1000;
	const unsigned devs[2] = { testdev, rng };
	for (unsigned k = 0; k < 2; k++) {
		unsigned d = devs[k];
		cfg16w(d, 4, 0);
		kv("00:", d, 2);
		rt_puts(" BARs:\n");
		for (unsigned i = 0; i < 6;) {
			struct bar *b = &bars[d][i];
			unsigned next = bar_size(d, i, b);
			if (b->size) {
				kv("  BAR", i, 1);
				rt_puts(b->io ? " io   " : b->is64 ? " mem64" : " mem32");
				rt_puts(b->flags & 8 ? " pref" : "     ");
				kv(" size 0x", b->size, 8);
				rt_putc('\n');
				bar_assign(d, i, b, &mem32, &mem64, &port);
				nbars[d]++;
			}
			i = next;
		}
		walk_caps(d);
	}
	rt_check(mem32 <= 0x3eff0000ul && mem64 <= MMIO64_BASE + (512ull << 30) && port <= 0x10000,
		 "assigned inside the windows");

	/* The addresses read back as written. */
	int same = 1;
	for (unsigned k = 0; k < 2; k++)
		for (unsigned i = 0; i < 6; i++) {
			struct bar *b = &bars[devs[k]][i];
			if (!b->size)
				continue;
			uint64_t a = cfg32(devs[k], 0x10 + 4 * i) & (b->io ? ~3u : ~15u);
			if (b->is64)
				a |= (uint64_t)cfg32(devs[k], 0x14 + 4 * i) << 32;
			same &= a == (b->io ? b->addr - PIO_BASE : b->addr);
		}
	rt_check(same, "BAR addresses read back as assigned");

	/* Decode off: the BARs are not there (master abort: ones, writes
	 * dropped); an exception would be recorded. */
	struct bar *m = &bars[testdev][0], *io = &bars[testdev][1];
	rt_record();
	uint32_t r_mem = REG32(m->addr + 0x10), r_io = REG8(io->addr + 0x10);
	REG8(m->addr) = 1;
	unsigned exc = rt_last.count;
	rt_exception_hook = 0;
	kv("decode off: mem BAR reads ", r_mem, 8);
	kv(", io BAR reads ", r_io, 2);
	kv(", exceptions ", exc, 1);
	rt_putc('\n');
	rt_check(r_mem == ~0u && r_io == 0xff && exc == 0, "  a BAR with decode off reads all ones, no abort");

	/* I/O decode only: the memory BAR stays off. */
	cfg16w(testdev, 4, 1);
	rt_record();
	r_mem = REG32(m->addr + 0x10);
	REG8(io->addr) = 0;
	r_io = REG8(io->addr);
	exc = rt_last.count;
	rt_exception_hook = 0;
	rt_check(r_mem == ~0u && r_io == 3 && exc == 0, /* selected test 3, the first I/O one */ "command = IO: the I/O BAR decodes, the memory BAR not");
	cfg16w(testdev, 4, 2);
	rt_record();
	r_io = REG8(io->addr);
	REG8(m->addr) = 0;
	r_mem = REG8(m->addr);
	exc = rt_last.count;
	rt_exception_hook = 0;
	rt_check(r_io == 0xff && r_mem == 0 && exc == 0, "command = MEM: the memory BAR decodes, the I/O BAR not");
	cfg16w(testdev, 4, 3);
	rt_check((cfg16(testdev, 4) & 3) == 3, "command = IO|MEM reads back");
	cfg16w(rng, 4, 2);

	/* An unassigned hole in the windows reads as ones as well. */
	rt_record();
	uint32_t hole = REG32(0x3e000000ul), phole = REG8(PIO_BASE + 0x8000), hole64 = REG32(MMIO64_BASE + (1ull << 36));
	exc = rt_last.count;
	rt_exception_hook = 0;
	kv("unassigned window: mmio32 ", hole, 8);
	kv(" pio ", phole, 2);
	kv(" mmio64 ", hole64, 8);
	kv(" exceptions ", exc, 1);
	rt_putc('\n');
	rt_check(hole == ~0u && phole == 0xff && hole64 == ~0u && exc == 0, "  master abort: all ones, no abort");

	testdev_tests(m->addr, "mem");
	testdev_tests(io->addr, "io ");

	/* Moving a BAR: the old address goes dark, the new one decodes. */
	uint64_t old = m->addr;
	cfg32w(testdev, 0x10, (uint32_t)(old + 0x100000));
	REG8(old + 0x100000) = 2;
	rt_record();
	uint32_t r_old = REG8(old), r_new = REG8(old + 0x100000);
	exc = rt_last.count;
	rt_exception_hook = 0;
	rt_check(r_old == 0xff && r_new == 2 && exc == 0, "moved memory BAR: old address reads ones, new one decodes");
	return 0;
}
