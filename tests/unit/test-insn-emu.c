/* Unit test of the ISV=0 load/store emulator (src/arch/insn-emu.c): one
 * case per encoding form, run against a mock vCPU and a mock memory that
 * records every access (address, width, direction, data). Each case checks
 * the result, the exact access sequence (width and order: "a 64-bit store
 * is one 64-bit write, a pair two element accesses, lower address first"),
 * the registers it must change and that every other register is unchanged.
 * Instruction words were assembled with aarch64-linux-gnu-as
 * (-march=armv8.5-a+memtag+rcpc+lse); the disassembly is next to each. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "arch/insn-emu.h"
#include "check.h"

#define RAM_BASE 0x10000ull
#define RAM_SIZE 0x10000ull
#define PC 0x18000ull

static uint8_t ram[RAM_SIZE];
static uint64_t X[31], SP, X0[31], SP0;
static uint8_t V[32][16], V0[32][16];
static struct insn_emu_monitor mon;

struct access {
	uint64_t va;
	unsigned size;
	bool write;
	unsigned acc; /* INSN_EMU_ACC_* */
	uint8_t data[16];
};
static struct access log_[64];
static unsigned nlog;

static uint8_t pat(uint64_t a) { return (uint8_t)(a * 13 + 7); }
static uint64_t patv(uint64_t a, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)pat(a + i) << (8 * i);
	return v;
}

static uint8_t *at(uint64_t va, unsigned size)
{
	if (va < RAM_BASE || va - RAM_BASE > RAM_SIZE - size)
		return NULL;
	return ram + (va - RAM_BASE);
}

static uint64_t get_x(void *o, unsigned n)
{
	if (n > 30)
		check(false, "get_x(%u)", n);
	return X[n % 31];
}
static void set_x(void *o, unsigned n, uint64_t v)
{
	if (n > 30)
		check(false, "set_x(%u)", n);
	X[n % 31] = v;
}
static uint64_t get_sp(void *o) { return SP; }
static void set_sp(void *o, uint64_t v) { SP = v; }
static void get_v(void *o, unsigned n, uint8_t v[16]) { memcpy(v, V[n & 31], 16); }
static void set_v(void *o, unsigned n, const uint8_t v[16]) { memcpy(V[n & 31], v, 16); }

static int record(uint64_t va, unsigned size, bool write, unsigned acc, const void *buf)
{
	if (size != 1 && size != 2 && size != 4 && size != 8 && size != 16)
		check(false, "access of %u bytes", size);
	if (nlog < 64) {
		log_[nlog] = (struct access){ va, size, write, acc, { 0 } };
		memcpy(log_[nlog].data, buf, size <= 16 ? size : 16);
		nlog++;
	}
	return 0;
}
static int mread(void *o, uint64_t va, unsigned size, void *buf, unsigned acc)
{
	uint8_t *p = at(va, size);
	if (!p)
		return -1;
	memcpy(buf, p, size);
	return record(va, size, false, acc, buf);
}
static int mwrite(void *o, uint64_t va, unsigned size, const void *buf, unsigned acc)
{
	uint8_t *p = at(va, size);
	if (!p)
		return -1;
	memcpy(p, buf, size);
	return record(va, size, true, acc, buf);
}
static uint64_t strip(void *o, uint64_t p, bool key_b) { return p & 0x0000ffffffffffffull; }

static unsigned nprobe, probe_acc;
static uint64_t probe_va, probe_len;
static int probe(void *o, uint64_t va, uint64_t len, unsigned acc)
{
	nprobe++;
	probe_va = va;
	probe_len = len;
	probe_acc = acc;
	return len <= RAM_SIZE && at(va, (unsigned)len) ? 0 : -1;
}

static const struct insn_emu_ops ops = {
	.get_x = get_x, .set_x = set_x, .get_sp = get_sp, .set_sp = set_sp, .get_v = get_v, .set_v = set_v,
	.read = mread, .write = mwrite, .strip_pac = strip, .probe = probe,
};
static const struct insn_emu_ops ops_noprobe = {
	.get_x = get_x, .set_x = set_x, .get_sp = get_sp, .set_sp = set_sp, .get_v = get_v, .set_v = set_v,
	.read = mread, .write = mwrite, .strip_pac = strip, .probe = NULL,
};
static bool no_probe;

static struct insn_emu E;

static void reset(const char *name)
{
	check_ctx = name;
	for (uint64_t i = 0; i < RAM_SIZE; i++)
		ram[i] = pat(RAM_BASE + i);
	for (int i = 0; i < 31; i++)
		X[i] = 0x1111111111111111ull * (uint64_t)(i % 15 + 1) ^ (uint64_t)i << 56;
	SP = 0xdead0000beef0000ull;
	for (int i = 0; i < 32; i++)
		for (int b = 0; b < 16; b++)
			V[i][b] = (uint8_t)(0x80 + i * 16 + b);
	nlog = 0;
	nprobe = 0;
	probe_acc = ~0u;
	probe_va = probe_len = 0;
	no_probe = false;
	mon.open = false;
}

/* Snapshot the registers after the test set its inputs. */
static enum insn_emu_result run_f(uint32_t insn, unsigned features)
{
	memcpy(X0, X, sizeof(X));
	SP0 = SP;
	memcpy(V0, V, sizeof(V));
	E = (struct insn_emu){ .ops = no_probe ? &ops_noprobe : &ops, .pc = PC, .features = features, .monitor = &mon,
			       .dczva_bytes = 64 };
	return insn_emu_exec(&E, insn);
}
static enum insn_emu_result run(uint32_t insn) { return run_f(insn, INSN_EMU_F_ALL); }

/* Expected register changes: X registers (mask), SP, V registers (mask);
 * every other register must be unchanged. */
static uint32_t xchanged, vchanged;
static bool spchanged;
static void expect_x(unsigned n, uint64_t v)
{
	xchanged |= 1u << n;
	CHECK(X[n] == v, "x%u = %#llx, expected %#llx", n, (unsigned long long)X[n], (unsigned long long)v);
}
static void expect_sp(uint64_t v)
{
	spchanged = true;
	CHECK(SP == v, "sp = %#llx, expected %#llx", (unsigned long long)SP, (unsigned long long)v);
}
static void expect_v(unsigned n, uint64_t lo, uint64_t hi)
{
	vchanged |= 1u << n;
	uint64_t l, h;
	memcpy(&l, V[n], 8);
	memcpy(&h, V[n] + 8, 8);
	CHECK(l == lo && h == hi, "v%u = %016llx%016llx, expected %016llx%016llx", n, (unsigned long long)h,
	      (unsigned long long)l, (unsigned long long)hi, (unsigned long long)lo);
}
static uint64_t vlo(unsigned n) { uint64_t l; memcpy(&l, V0[n], 8); return l; }
static uint64_t vhi(unsigned n) { uint64_t h; memcpy(&h, V0[n] + 8, 8); return h; }

static void expect_acc(unsigned i, uint64_t va, unsigned size, bool write, uint64_t lo, uint64_t hi)
{
	if (i >= nlog) {
		check(false, "access %u missing (%s %u bytes at %#llx)", i, write ? "write" : "read", size,
		      (unsigned long long)va);
		return;
	}
	const struct access *a = &log_[i];
	uint64_t l = 0, h = 0;
	memcpy(&l, a->data, a->size < 8 ? a->size : 8);
	if (a->size == 16)
		memcpy(&h, a->data + 8, 8);
	CHECK(a->va == va && a->size == size && a->write == write && l == lo && h == hi,
	      "access %u: %s %u bytes at %#llx data %#llx:%#llx; expected %s %u bytes at %#llx data %#llx:%#llx", i,
	      a->write ? "write" : "read", a->size, (unsigned long long)a->va, (unsigned long long)h,
	      (unsigned long long)l, write ? "write" : "read", size, (unsigned long long)va, (unsigned long long)hi,
	      (unsigned long long)lo);
}
static void rd(unsigned i, uint64_t va, unsigned size) { expect_acc(i, va, size, false, patv(va, size < 8 ? size : 8), size == 16 ? patv(va + 8, 8) : 0); }
static void wr(unsigned i, uint64_t va, unsigned size, uint64_t lo) { expect_acc(i, va, size, true, lo, 0); }

/* Close a case: the result, the number of accesses, untouched registers. */
static void done(enum insn_emu_result got, enum insn_emu_result want, unsigned naccess)
{
	CHECK(got == want, "result %d, expected %d", got, want);
	CHECK(nlog == naccess, "%u accesses, expected %u", nlog, naccess);
	for (unsigned i = 0; i < 31; i++)
		if (!(xchanged >> i & 1))
			CHECK(X[i] == X0[i], "x%u changed to %#llx", i, (unsigned long long)X[i]);
	if (!spchanged)
		CHECK(SP == SP0, "sp changed");
	for (unsigned i = 0; i < 32; i++)
		if (!(vchanged >> i & 1))
			CHECK(!memcmp(V[i], V0[i], 16), "v%u changed", i);
	xchanged = vchanged = 0;
	spchanged = false;
}

static uint64_t sx(uint64_t v, unsigned bits) { return (uint64_t)((int64_t)(v << (64 - bits)) >> (64 - bits)); }

#define A(off) (RAM_BASE + 0x1000 + (off))

static void single_register_forms(void)
{
	enum insn_emu_result r;

	reset("str w9, [x8, #0x80]! (pre-index: XNU's GIC store)");
	X[8] = A(0);
	r = run(0xb8080d09);
	wr(0, A(0x80), 4, X0[9] & 0xffffffff);
	expect_x(8, A(0x80));
	done(r, INSN_EMU_OK, 1);

	reset("ldr x0, [x1], #-8 (post-index)");
	X[1] = A(0x40);
	r = run(0xf85f8420);
	rd(0, A(0x40), 8);
	expect_x(0, patv(A(0x40), 8));
	expect_x(1, A(0x38));
	done(r, INSN_EMU_OK, 1);

	reset("ldur w2, [x3, #-3] (unscaled, unaligned)");
	X[3] = A(0x10);
	r = run(0xb85fd062);
	rd(0, A(0xd), 4);
	expect_x(2, patv(A(0xd), 4));
	done(r, INSN_EMU_OK, 1);

	reset("ldrsb x4, [x5, #1] (sign-extend to 64)");
	X[5] = A(0x7);
	r = run(0x398004a4);
	rd(0, A(8), 1);
	expect_x(4, sx(patv(A(8), 1), 8));
	done(r, INSN_EMU_OK, 1);

	reset("ldrsh w6, [x7, x8, lsl #1] (register offset, sign-extend to 32)");
	X[7] = A(0);
	X[8] = 0x21;
	r = run(0x78e878e6);
	rd(0, A(0x42), 2);
	expect_x(6, (uint32_t)sx(patv(A(0x42), 2), 16));
	done(r, INSN_EMU_OK, 1);

	reset("ldr x9, [x10, w11, sxtw #3] (negative extended index)");
	X[10] = A(0x100);
	X[11] = 0xabcdef00fffffffeull; /* w11 = -2 */
	r = run(0xf86bd949);
	rd(0, A(0xf0), 8);
	expect_x(9, patv(A(0xf0), 8));
	done(r, INSN_EMU_OK, 1);

	reset("strb w12, [sp, #-1]! (SP base, writeback)");
	SP = A(0x20);
	r = run(0x381fffec);
	wr(0, A(0x1f), 1, X0[12] & 0xff);
	expect_sp(A(0x1f));
	done(r, INSN_EMU_OK, 1);

	reset("ldr x0, [sp, #-16]! (SP base pre-index)");
	SP = A(0x30);
	r = run(0xf85f0fe0);
	rd(0, A(0x20), 8);
	expect_x(0, patv(A(0x20), 8));
	expect_sp(A(0x20));
	done(r, INSN_EMU_OK, 1);

	reset("ldr x0, literal (PC - 4)");
	r = run(0x58ffffe0);
	rd(0, PC - 4, 8);
	expect_x(0, patv(PC - 4, 8));
	done(r, INSN_EMU_OK, 1);

	reset("ldrsw x1, literal (PC + 12)");
	r = run(0x98000061);
	rd(0, PC + 12, 4);
	expect_x(1, sx(patv(PC + 12, 4), 32));
	done(r, INSN_EMU_OK, 1);

	reset("prfm pldl1keep, [x0] (no access)");
	X[0] = 0x123; /* unmapped: still no fault */
	done(run(0xf9800000), INSN_EMU_OK, 0);

	reset("STR with XZR (str xzr, [x1]) stores zero");
	X[1] = A(0);
	r = run(0xf900003f);
	wr(0, A(0), 8, 0);
	done(r, INSN_EMU_OK, 1);

	reset("ldr x0, [x1, #8]! with Rn = Rt: loaded value then writeback (CONSTRAINED UNPREDICTABLE choice)");
	X[1] = A(0);
	r = run(0xf8408c21);
	rd(0, A(8), 8);
	expect_x(1, A(8));
	done(r, INSN_EMU_OK, 1);
}

static void fp_forms(void)
{
	enum insn_emu_result r;

	reset("str q0, [x1] (one 16-byte access)");
	X[1] = A(0x100);
	r = run(0x3d800020);
	expect_acc(0, A(0x100), 16, true, vlo(0), vhi(0));
	done(r, INSN_EMU_OK, 1);

	reset("ldr b5, [x2, #3] (upper bytes cleared)");
	X[2] = A(0);
	r = run(0x3d400c45);
	rd(0, A(3), 1);
	expect_v(5, patv(A(3), 1), 0);
	done(r, INSN_EMU_OK, 1);

	reset("ldr h6, [x3], #2");
	X[3] = A(0x10);
	r = run(0x7c402466);
	rd(0, A(0x10), 2);
	expect_v(6, patv(A(0x10), 2), 0);
	expect_x(3, A(0x12));
	done(r, INSN_EMU_OK, 1);

	reset("ldr s7, [x4, x5]");
	X[4] = A(0x100);
	X[5] = 0x24;
	r = run(0xbc656887);
	rd(0, A(0x124), 4);
	expect_v(7, patv(A(0x124), 4), 0);
	done(r, INSN_EMU_OK, 1);

	reset("ldr d8, literal (PC + 8)");
	r = run(0x5c000048);
	rd(0, PC + 8, 8);
	expect_v(8, patv(PC + 8, 8), 0);
	done(r, INSN_EMU_OK, 1);

	reset("ldnp d0, d1, [x9] (two 8-byte reads, lower first)");
	X[9] = A(0x200);
	r = run(0x6c400520);
	rd(0, A(0x200), 8);
	rd(1, A(0x208), 8);
	expect_v(0, patv(A(0x200), 8), 0);
	expect_v(1, patv(A(0x208), 8), 0);
	done(r, INSN_EMU_OK, 2);

	reset("stp q2, q3, [sp, #-32]! (two 16-byte writes)");
	SP = A(0x300);
	r = run(0xadbf0fe2);
	expect_acc(0, A(0x2e0), 16, true, vlo(2), vhi(2));
	expect_acc(1, A(0x2f0), 16, true, vlo(3), vhi(3));
	expect_sp(A(0x2e0));
	done(r, INSN_EMU_OK, 2);
}

static void pair_forms(void)
{
	enum insn_emu_result r;

	reset("ldp x0, x1, [x2, #16] (LDP from an MSI frame)");
	X[2] = A(0x40);
	r = run(0xa9410440);
	rd(0, A(0x50), 8);
	rd(1, A(0x58), 8);
	expect_x(0, patv(A(0x50), 8));
	expect_x(1, patv(A(0x58), 8));
	done(r, INSN_EMU_OK, 2);

	reset("stp w3, w4, [x5], #8 (two 4-byte writes, post-index)");
	X[5] = A(0x60);
	r = run(0x288110a3);
	wr(0, A(0x60), 4, X0[3] & 0xffffffff);
	wr(1, A(0x64), 4, X0[4] & 0xffffffff);
	expect_x(5, A(0x68));
	done(r, INSN_EMU_OK, 2);

	reset("ldpsw x6, x7, [x8, #-8]!");
	X[8] = A(0x80);
	r = run(0x69ff1d06);
	rd(0, A(0x78), 4);
	rd(1, A(0x7c), 4);
	expect_x(6, sx(patv(A(0x78), 4), 32));
	expect_x(7, sx(patv(A(0x7c), 4), 32));
	expect_x(8, A(0x78));
	done(r, INSN_EMU_OK, 2);

	reset("stgp x0, x1, [x2, #16] (FEAT_MTE: data part)");
	X[2] = A(0x100);
	r = run(0x69008440);
	wr(0, A(0x110), 8, X0[0]);
	wr(1, A(0x118), 8, X0[1]);
	done(r, INSN_EMU_OK, 2);

	reset("stgp without FEAT_MTE is UNDEFINED");
	X[2] = A(0x100);
	done(run_f(0x69008440, INSN_EMU_F_ALL & ~INSN_EMU_F_MTE), INSN_EMU_UNHANDLED, 0);

	reset("ldp x0, x1, [x2] with the second element unmapped: probed, nothing read, no register written");
	X[2] = RAM_BASE + RAM_SIZE - 8;
	r = run(0xa9400440);
	CHECK(nprobe == 1 && probe_acc == 0 && E.fault_addr == RAM_BASE + RAM_SIZE - 8 && E.fault_size == 16 &&
		      !E.fault_write,
	      "probe %u acc %#x, fault address %#llx", nprobe, probe_acc, (unsigned long long)E.fault_addr);
	done(r, INSN_EMU_MEM_FAULT, 0);

	reset("the same load without a probe: first element read, fault at the second");
	no_probe = true;
	X[2] = RAM_BASE + RAM_SIZE - 8;
	r = run(0xa9400440);
	rd(0, RAM_BASE + RAM_SIZE - 8, 8);
	CHECK(E.fault_addr == RAM_BASE + RAM_SIZE && !E.fault_write, "fault address %#llx",
	      (unsigned long long)E.fault_addr);
	done(r, INSN_EMU_MEM_FAULT, 1);

	reset("stp x0, x1, [x2] with the second element unmapped: probed, nothing written");
	X[2] = RAM_BASE + RAM_SIZE - 8;
	r = run(0xa9000440);
	CHECK(nprobe == 1 && E.fault_addr == RAM_BASE + RAM_SIZE - 8 && E.fault_size == 16 && E.fault_write,
	      "probe %u, fault %#llx size %u", nprobe, (unsigned long long)E.fault_addr, E.fault_size);
	done(r, INSN_EMU_MEM_FAULT, 0);

	reset("the same without a probe: first element written, fault at the second");
	no_probe = true;
	X[2] = RAM_BASE + RAM_SIZE - 8;
	r = run(0xa9000440);
	wr(0, RAM_BASE + RAM_SIZE - 8, 8, X0[0]);
	CHECK(E.fault_addr == RAM_BASE + RAM_SIZE && E.fault_size == 8, "fault %#llx", (unsigned long long)E.fault_addr);
	done(r, INSN_EMU_MEM_FAULT, 1);

	reset("stp x0, x1, [x2, #-16]! faulting on the first element: no writeback");
	X[2] = RAM_BASE + 8;
	r = run(0xa9bf0440);
	CHECK(E.fault_addr == RAM_BASE - 8 && E.fault_write, "fault address %#llx", (unsigned long long)E.fault_addr);
	done(r, INSN_EMU_MEM_FAULT, 0);
}

static void simd_structures(void)
{
	enum insn_emu_result r;

	reset("ld1 {v0.4s}, [x1] (four 4-byte element reads)");
	X[1] = A(0);
	r = run(0x4c407820);
	for (unsigned i = 0; i < 4; i++)
		rd(i, A(4 * i), 4);
	expect_v(0, patv(A(0), 8), patv(A(8), 8));
	done(r, INSN_EMU_OK, 4);

	reset("ld1 {v1.b}[3], [x2], #1 (one lane, others kept)");
	X[2] = A(0x33);
	r = run(0x0ddf0c41);
	rd(0, A(0x33), 1);
	expect_v(1, (vlo(1) & ~0xff000000ull) | patv(A(0x33), 1) << 24, vhi(1));
	expect_x(2, A(0x34));
	done(r, INSN_EMU_OK, 1);

	reset("st1 {v2.d}[1], [x3]");
	X[3] = A(0x40);
	r = run(0x4d008462);
	wr(0, A(0x40), 8, vhi(2));
	done(r, INSN_EMU_OK, 1);

	reset("ld1r {v3.8h}, [x4] (replicate)");
	X[4] = A(0x50);
	r = run(0x4d40c483);
	rd(0, A(0x50), 2);
	uint64_t h = patv(A(0x50), 2) * 0x0001000100010001ull;
	expect_v(3, h, h);
	done(r, INSN_EMU_OK, 1);

	reset("ld2 {v4.4s, v5.4s}, [x5], x6 (de-interleave, register post-index)");
	X[5] = A(0x100);
	X[6] = 0x1000;
	r = run(0x4cc688a4);
	for (unsigned i = 0; i < 8; i++)
		rd(i, A(0x100 + 4 * i), 4);
	expect_v(4, patv(A(0x100), 4) | patv(A(0x108), 4) << 32, patv(A(0x110), 4) | patv(A(0x118), 4) << 32);
	expect_v(5, patv(A(0x104), 4) | patv(A(0x10c), 4) << 32, patv(A(0x114), 4) | patv(A(0x11c), 4) << 32);
	expect_x(5, A(0x1100));
	done(r, INSN_EMU_OK, 8);

	reset("st4 {v6.8b-v9.8b}, [x10] (interleave, 32 byte writes)");
	X[10] = A(0x200);
	r = run(0x0c000146);
	for (unsigned e = 0; e < 8; e++)
		for (unsigned s = 0; s < 4; s++)
			wr(e * 4 + s, A(0x200 + e * 4 + s), 1, V0[6 + s][e]);
	done(r, INSN_EMU_OK, 32);

	reset("st1 {v0.16b, v1.16b}, [x0], #32");
	X[0] = A(0x300);
	r = run(0x4c9fa000);
	for (unsigned i = 0; i < 32; i++)
		wr(i, A(0x300 + i), 1, V0[i / 16][i % 16]);
	expect_x(0, A(0x320));
	done(r, INSN_EMU_OK, 32);
}

static void exclusive_and_ordered(void)
{
	enum insn_emu_result r;

	reset("ldxr w0, [x1]; stxr w2, w3, [x1] succeeds");
	X[1] = A(0x10);
	r = run(0x885f7c20);
	rd(0, A(0x10), 4);
	expect_x(0, patv(A(0x10), 4));
	done(r, INSN_EMU_OK, 1);
	nlog = 0;
	r = run(0x88027c23);
	wr(0, A(0x10), 4, X0[3] & 0xffffffff);
	expect_x(2, 0);
	done(r, INSN_EMU_OK, 1);
	CHECK(!mon.open, "monitor still open");

	reset("stxr w2, w3, [x1] without ldxr fails, no access");
	X[1] = A(0x10);
	r = run(0x88027c23);
	expect_x(2, 1);
	done(r, INSN_EMU_OK, 0);

	reset("ldaxp x4, x5, [x6]; stlxp w7, x8, x9, [x6]");
	X[6] = A(0x20);
	r = run(0xc87f94c4);
	rd(0, A(0x20), 8);
	rd(1, A(0x28), 8);
	expect_x(4, patv(A(0x20), 8));
	expect_x(5, patv(A(0x28), 8));
	done(r, INSN_EMU_OK, 2);
	nlog = 0;
	r = run(0xc827a4c8);
	wr(0, A(0x20), 8, X0[8]);
	wr(1, A(0x28), 8, X0[9]);
	expect_x(7, 0);
	done(r, INSN_EMU_OK, 2);

	reset("ldxr w0, [x1] unaligned: alignment fault");
	X[1] = A(0x11);
	r = run(0x885f7c20);
	CHECK(E.fault_addr == A(0x11), "fault address");
	done(r, INSN_EMU_ALIGN_FAULT, 0);

	reset("ldxr without a monitor is UNHANDLED");
	X[1] = A(0x10);
	memcpy(X0, X, sizeof(X));
	SP0 = SP;
	memcpy(V0, V, sizeof(V));
	E = (struct insn_emu){ .ops = &ops, .pc = PC, .features = INSN_EMU_F_ALL };
	done(insn_emu_exec(&E, 0x885f7c20), INSN_EMU_UNHANDLED, 0);

	reset("ldar x0, [x1]");
	X[1] = A(0x18);
	r = run(0xc8dffc20);
	rd(0, A(0x18), 8);
	expect_x(0, patv(A(0x18), 8));
	done(r, INSN_EMU_OK, 1);

	reset("stlr w2, [x3]");
	X[3] = A(0x1c);
	r = run(0x889ffc62);
	wr(0, A(0x1c), 4, X0[2] & 0xffffffff);
	done(r, INSN_EMU_OK, 1);

	reset("ldaprb w0, [x1] (FEAT_LRCPC)");
	X[1] = A(0x3);
	r = run(0x38bfc020);
	rd(0, A(3), 1);
	expect_x(0, patv(A(3), 1));
	done(r, INSN_EMU_OK, 1);

	reset("ldaprb without FEAT_LRCPC is UNDEFINED");
	X[1] = A(0x3);
	done(run_f(0x38bfc020, INSN_EMU_F_LSE), INSN_EMU_UNHANDLED, 0);

	reset("ldapur w0, [x1, #-1] (FEAT_LRCPC2)");
	X[1] = A(0x9);
	r = run(0x995ff020);
	rd(0, A(8), 4);
	expect_x(0, patv(A(8), 4));
	done(r, INSN_EMU_OK, 1);

	reset("stlur x2, [x3, #5]");
	X[3] = A(0x3);
	r = run(0xd9005062);
	wr(0, A(8), 8, X0[2]);
	done(r, INSN_EMU_OK, 1);
}

static void atomics(void)
{
	enum insn_emu_result r;
	struct {
		const char *name;
		uint32_t insn;
		unsigned size;
	} t[] = {
		{ "ldadd w0, w1, [x2]", 0xb8200041, 4 },
		{ "ldeor x0, x1, [x2]", 0xf8202041, 8 },
		{ "ldsmin w0, w1, [x2]", 0xb8205041, 4 },
		{ "ldumax x0, x1, [x2]", 0xf8206041, 8 },
		{ "ldseth w0, w1, [x2]", 0x78203041, 2 },
	};
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		reset(t[i].name);
		X[2] = A(0x40);
		X[0] = 0x80000001fffffff0ull;
		unsigned n = t[i].size, bits = 8 * n;
		uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
		uint64_t old = patv(A(0x40), n), s = X[0] & mask, nv;
		switch (i) {
		case 0: nv = old + s; break;
		case 1: nv = old ^ s; break;
		case 2: nv = (int64_t)sx(old, bits) < (int64_t)sx(s, bits) ? old : s; break;
		case 3: nv = old > s ? old : s; break;
		default: nv = old | s; break;
		}
		r = run(t[i].insn);
		rd(0, A(0x40), n);
		wr(1, A(0x40), n, nv & mask);
		expect_x(1, old);
		done(r, INSN_EMU_OK, 2);
	}

	reset("ldclral x3, x4, [x5]");
	X[5] = A(0x48);
	r = run(0xf8e310a4);
	rd(0, A(0x48), 8);
	wr(1, A(0x48), 8, patv(A(0x48), 8) & ~X0[3]);
	expect_x(4, patv(A(0x48), 8));
	done(r, INSN_EMU_OK, 2);

	reset("ldsmaxb w6, w7, [x8] (signed byte compare)");
	X[8] = A(0x50);
	X[6] = 0x7f;
	r = run(0x38264107);
	uint64_t o = patv(A(0x50), 1);
	rd(0, A(0x50), 1);
	wr(1, A(0x50), 1, 0x7f); /* nothing is above 0x7f signed */
	expect_x(7, o);
	done(r, INSN_EMU_OK, 2);

	reset("lduminh w9, w10, [x11]");
	X[11] = A(0x52);
	X[9] = 0x10;
	r = run(0x7829716a);
	rd(0, A(0x52), 2);
	wr(1, A(0x52), 2, patv(A(0x52), 2) < 0x10 ? patv(A(0x52), 2) : 0x10);
	expect_x(10, patv(A(0x52), 2));
	done(r, INSN_EMU_OK, 2);

	reset("swp x12, x13, [x14]");
	X[14] = A(0x58);
	r = run(0xf82c81cd);
	rd(0, A(0x58), 8);
	wr(1, A(0x58), 8, X0[12]);
	expect_x(13, patv(A(0x58), 8));
	done(r, INSN_EMU_OK, 2);

	reset("stadd w15, [x16] (Rt = XZR)");
	X[16] = A(0x60);
	r = run(0xb82f021f);
	rd(0, A(0x60), 4);
	wr(1, A(0x60), 4, (patv(A(0x60), 4) + X0[15]) & 0xffffffff);
	done(r, INSN_EMU_OK, 2);

	reset("ldadd without FEAT_LSE is UNDEFINED");
	X[2] = A(0x40);
	done(run_f(0xb8200041, 0), INSN_EMU_UNHANDLED, 0);

	reset("ldadd w0, w1, [x2] unaligned: alignment fault");
	X[2] = A(0x41);
	done(run_f(0xb8200041, INSN_EMU_F_LSE), INSN_EMU_ALIGN_FAULT, 0);

	reset("cas w0, w1, [x2], compare equal: swap");
	X[2] = A(0x70);
	X[0] = patv(A(0x70), 4) | 0xffffffff00000000ull; /* upper bits ignored */
	r = run(0x88a07c41);
	rd(0, A(0x70), 4);
	wr(1, A(0x70), 4, X0[1] & 0xffffffff);
	expect_x(0, patv(A(0x70), 4));
	done(r, INSN_EMU_OK, 2);

	reset("cas w0, w1, [x2], compare different: no write");
	X[2] = A(0x70);
	X[0] = ~patv(A(0x70), 4);
	r = run(0x88a07c41);
	rd(0, A(0x70), 4);
	expect_x(0, patv(A(0x70), 4));
	done(r, INSN_EMU_OK, 1);

	reset("casp x0, x1, x2, x3, [x4], equal");
	X[4] = A(0x80);
	X[0] = patv(A(0x80), 8);
	X[1] = patv(A(0x88), 8);
	r = run(0x48207c82);
	rd(0, A(0x80), 8);
	rd(1, A(0x88), 8);
	wr(2, A(0x80), 8, X0[2]);
	wr(3, A(0x88), 8, X0[3]);
	expect_x(0, patv(A(0x80), 8));
	expect_x(1, patv(A(0x88), 8));
	done(r, INSN_EMU_OK, 4);

	reset("casp with odd Rs is UNDEFINED");
	X[4] = A(0x80);
	done(run(0x48217c82), INSN_EMU_UNHANDLED, 0);
}

static void pac_and_cache(void)
{
	enum insn_emu_result r;

	reset("ldraa x0, [x1, #8]! (PAC stripped, writeback)");
	X[1] = 0x002a000000000000ull | A(0x100); /* a PAC in bits 53:48 */
	r = run(0xf8201c20);
	rd(0, A(0x108), 8);
	expect_x(0, patv(A(0x108), 8));
	expect_x(1, A(0x108));
	done(r, INSN_EMU_OK, 1);

	reset("ldrab x2, [x3, #-16]");
	X[3] = 0x7f00000000000000ull | A(0x100);
	r = run(0xf8ffe462);
	rd(0, A(0xf0), 8);
	expect_x(2, patv(A(0xf0), 8));
	done(r, INSN_EMU_OK, 1);

	reset("ldraa without FEAT_PAuth is UNDEFINED");
	X[1] = A(0x100);
	done(run_f(0xf8201c20, INSN_EMU_F_LSE), INSN_EMU_UNHANDLED, 0);

	reset("dc civac, x0 (no-op)");
	X[0] = 0x5;
	done(run(0xd50b7e20), INSN_EMU_OK, 0);

	reset("dc zva, x1 (64-byte block: eight 8-byte zero writes)");
	X[1] = A(0x47);
	r = run(0xd50b7421);
	for (unsigned i = 0; i < 8; i++)
		wr(i, A(0x40 + 8 * i), 8, 0);
	done(r, INSN_EMU_OK, 8);
}

static void undefined(void)
{
	static const struct {
		uint32_t insn;
		const char *what;
	} u[] = {
		{ 0x8b020020, "add x0, x1, x2 (not a load/store)" },
		{ 0xf8c00020, "LDR size=11 opc=11 (unallocated)" },
		{ 0xb9c00020, "LDRSW-to-W size=10 opc=11 (unallocated)" },
		{ 0xf8800c20, "PRFM pre-index (unallocated)" },
		{ 0xe9400440, "LDP opc=11 (unallocated)" },
		{ 0x68400440, "LDPSW no-allocate form (unallocated)" },
		{ 0x3cc00c20, "SIMD&FP size=00 opc=11 pre-index is Q: allowed, so use size=01 opc=11" },
		{ 0xf8602820, "register offset option 001 (unallocated)" },
		{ 0x0c40f020, "LD1 multiple opcode 1111 (unallocated)" },
		{ 0x0c408c20, "LD2 .1d (size=11, Q=0, selem>1)" },
		{ 0xd5087000 | (8u << 8), "AT S1E1R (not emulated)" },
		{ 0xfc200800 | (1u << 10) | (1u << 21), "LDRAA with V=1 (unallocated)" },
	};
	for (unsigned i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		reset(u[i].what);
		X[1] = A(0);
		X[2] = A(0x100);
		enum insn_emu_result r = run(u[i].insn);
		if (u[i].insn == 0x3cc00c20) { /* ldr q0, [x1, #0]! is allocated */
			rd(0, A(0), 16);
			expect_v(0, patv(A(0), 8), patv(A(8), 8));
			expect_x(1, A(0));
			done(r, INSN_EMU_OK, 1);
			/* size=01 opc=11 (SIMD&FP): unallocated */
			reset("SIMD&FP size=01 opc=11 (unallocated)");
			X[1] = A(0);
			done(run(0x7cc00c20), INSN_EMU_UNHANDLED, 0);
			continue;
		}
		done(r, INSN_EMU_UNHANDLED, 0);
	}
}

/* What each access tells the caller (INSN_EMU_ACC_*): the VMM checks the
 * guest's permissions with it on every page an access touches. */
static void acc_is(unsigned i, unsigned acc)
{
	CHECK(i < nlog && log_[i].acc == acc, "access %u: acc %#x, expected %#x", i, i < nlog ? log_[i].acc : ~0u, acc);
}

static void access_attributes(void)
{
	enum insn_emu_result r;
	static const struct {
		uint32_t insn;
		const char *what;
		uint64_t off;
		unsigned size;
		bool write;
	} unpriv[] = {
		{ 0xf8008820, "sttr x0, [x1, #8]: unprivileged", 8, 8, true },
		{ 0xf8400862, "ldtr x2, [x3]: unprivileged", 0, 8, false },
		{ 0x78dfe8a4, "ldtrsh w4, [x5, #-2]: unprivileged", (uint64_t)-2, 2, false },
		{ 0x380008e6, "sttrb w6, [x7]: unprivileged", 0, 1, true },
	};
	for (unsigned i = 0; i < sizeof(unpriv) / sizeof(unpriv[0]); i++) {
		reset(unpriv[i].what);
		for (unsigned n = 1; n <= 7; n += 2)
			X[n] = A(0x40);
		r = run(unpriv[i].insn);
		CHECK(nlog == 1 && log_[0].va == A(0x40) + unpriv[i].off && log_[0].size == unpriv[i].size &&
			      log_[0].write == unpriv[i].write,
		      "access");
		acc_is(0, INSN_EMU_ACC_UNPRIV);
		xchanged = 0x1d; /* loads write x2/x4; not checked here */
		done(r, INSN_EMU_OK, 1);
	}

	reset("ldr x0, [x1]: an ordinary access");
	X[1] = A(0);
	r = run(0xf9400020);
	acc_is(0, 0);
	expect_x(0, patv(A(0), 8));
	done(r, INSN_EMU_OK, 1);

	reset("ldadd w0, w1, [x2]: the read needs write permission too (RMW), then a plain write");
	X[2] = A(0x10);
	r = run(0xb8200041);
	acc_is(0, INSN_EMU_ACC_RMW);
	acc_is(1, 0);
	xchanged = 2;
	done(r, INSN_EMU_OK, 2);

	reset("cas x0, x1, [x2], compare different: the read is RMW although nothing is written");
	X[2] = A(0x20);
	r = run(0xc8a07c41);
	acc_is(0, INSN_EMU_ACC_RMW);
	xchanged = 1;
	done(r, INSN_EMU_OK, 1);

	reset("casp x0, x1, x2, x3, [x4]: probed as RMW, reads RMW");
	X[4] = A(0x30);
	r = run(0x48207c82);
	CHECK(nprobe >= 1 && probe_va == A(0x30) && probe_len == 16 && probe_acc == INSN_EMU_ACC_RMW, "probe %u at %#llx len %llu", nprobe,
	      (unsigned long long)probe_va, (unsigned long long)probe_len);
	acc_is(0, INSN_EMU_ACC_RMW);
	acc_is(1, INSN_EMU_ACC_RMW);
	xchanged = 3;
	done(r, INSN_EMU_OK, 2);

	reset("ldp x0, x1, [x2]: probed for reading before either element");
	X[2] = A(0x40);
	r = run(0xa9400440);
	CHECK(nprobe == 1 && probe_acc == 0 && probe_va == A(0x40) && probe_len == 16, "probe %u acc %#x", nprobe,
	      probe_acc);
	acc_is(0, 0);
	acc_is(1, 0);
	xchanged = 3;
	done(r, INSN_EMU_OK, 2);

	reset("stp x0, x1, [x2]: probed for writing");
	X[2] = A(0x40);
	r = run(0xa9000440);
	CHECK(nprobe == 1 && probe_acc == INSN_EMU_ACC_WRITE && probe_len == 16, "probe %u acc %#x", nprobe, probe_acc);
	done(r, INSN_EMU_OK, 2);

	reset("ldxp x0, x1, [x2]: probed for reading");
	X[2] = A(0x40);
	r = run(0xc87f0440);
	CHECK(nprobe == 1 && probe_acc == 0 && probe_len == 16, "probe %u acc %#x", nprobe, probe_acc);
	xchanged = 3;
	done(r, INSN_EMU_OK, 2);
	mon.open = false;

	reset("ld1 {v0.16b, v1.16b}, [x2]: probed for reading (32 bytes)");
	X[2] = A(0x40);
	r = run(0x4c40a040);
	CHECK(nprobe == 1 && probe_acc == 0 && probe_len == 32, "probe %u acc %#x len %llu", nprobe, probe_acc,
	      (unsigned long long)probe_len);
	vchanged = 3;
	done(r, INSN_EMU_OK, 32);

	reset("ld2 {v0.s, v1.s}[1], [x2] faulting on its second element: probed, nothing read");
	X[2] = RAM_BASE + RAM_SIZE - 4;
	r = run(0x0d609040);
	CHECK(nprobe == 1 && probe_len == 8 && E.fault_addr == RAM_BASE + RAM_SIZE - 4, "probe %u fault %#llx", nprobe,
	      (unsigned long long)E.fault_addr);
	done(r, INSN_EMU_MEM_FAULT, 0);
}

int main(void)
{
	access_attributes();
	single_register_forms();
	fp_forms();
	pair_forms();
	simd_structures();
	exclusive_and_ordered();
	atomics();
	pac_and_cache();
	undefined();
	return check_summary();
}
