/* libFuzzer target for the ISV=0 load/store emulator (src/arch/insn-emu.c):
 * random instruction words, register state, features and monitor state,
 * executed against a mock vCPU and a mock bus (4 KiB of "RAM" at 0x1000,
 * everything else faults). Built with ASan and UBSan, so out-of-bounds
 * accesses and undefined behaviour abort; on top of that the target checks
 * the emulator's contract:
 *  - every memory access is 1, 2, 4, 8 or 16 bytes;
 *  - an instruction that is not executed (UNHANDLED) makes no memory access
 *    and writes no register;
 *  - a fault (memory or alignment) writes no register;
 *  - a fault reports an address that was accessed (memory) or computed;
 *  - the access attributes make sense: INSN_EMU_ACC_WRITE only on probes,
 *    INSN_EMU_ACC_RMW only on reads, never with UNPRIV;
 *  - with the probe callback, an instruction that faults made no access at
 *    all (what the VMM relies on to touch no device and no page the guest's
 *    tables forbid). The second RAM page forbids writes and/or unprivileged
 *    accesses as the input says, so permission faults part-way happen.
 *
 * Input: insn (4 bytes), features (1), flags (2), X0-X30, SP (8 each; low
 * bit of the first byte set: an address near the RAM), V0-V31 (16 each);
 * missing bytes are zero. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/insn-emu.h"

#define RAM_BASE 0x1000u
#define RAM_SIZE 0x2000u /* two pages: the second with restricted permissions */
#define PAGE2 (RAM_BASE + 0x1000u)

struct st {
	uint64_t x[31], sp;
	uint8_t v[32][16];
	uint8_t ram[RAM_SIZE];
	unsigned nread, nwrite, nregw;
	unsigned nok; /* accesses that succeeded */
	bool p2_ro, p2_priv; /* page 2: no writes; no unprivileged accesses */
	uint64_t last_fault_candidate;
};

static void check_acc(unsigned acc, bool probe, bool write)
{
	if (acc & ~(unsigned)(INSN_EMU_ACC_WRITE | INSN_EMU_ACC_UNPRIV | INSN_EMU_ACC_RMW))
		abort();
	if (!probe && (acc & INSN_EMU_ACC_WRITE))
		abort(); /* the write callback knows it writes */
	if ((acc & INSN_EMU_ACC_RMW) && ((acc & INSN_EMU_ACC_UNPRIV) || (write && !probe)))
		abort(); /* no unprivileged atomics; RMW marks the read */
}

/* Does [va, va + len) touch page 2 in a way it forbids? */
static bool denied(const struct st *s, uint64_t va, uint64_t len, bool write, unsigned acc)
{
	if (va + len <= PAGE2 || va >= RAM_BASE + RAM_SIZE)
		return false;
	return ((write || (acc & INSN_EMU_ACC_RMW)) && s->p2_ro) || ((acc & INSN_EMU_ACC_UNPRIV) && s->p2_priv);
}

static uint64_t get_x(void *o, unsigned n)
{
	if (n > 30)
		abort();
	return ((struct st *)o)->x[n];
}
static void set_x(void *o, unsigned n, uint64_t v)
{
	struct st *s = o;
	if (n > 30)
		abort();
	s->x[n] = v;
	s->nregw++;
}
static uint64_t get_sp(void *o) { return ((struct st *)o)->sp; }
static void set_sp(void *o, uint64_t v)
{
	struct st *s = o;
	s->sp = v;
	s->nregw++;
}
static void get_v(void *o, unsigned n, uint8_t v[16])
{
	if (n > 31)
		abort();
	memcpy(v, ((struct st *)o)->v[n], 16);
}
static void set_v(void *o, unsigned n, const uint8_t v[16])
{
	struct st *s = o;
	if (n > 31)
		abort();
	memcpy(s->v[n], v, 16);
	s->nregw++;
}

static uint8_t *at(struct st *s, uint64_t va, unsigned size)
{
	if (size != 1 && size != 2 && size != 4 && size != 8 && size != 16)
		abort();
	s->last_fault_candidate = va;
	if (va < RAM_BASE || va - RAM_BASE > RAM_SIZE - size)
		return NULL;
	return s->ram + (va - RAM_BASE);
}
static int mread(void *o, uint64_t va, unsigned size, void *buf, unsigned acc)
{
	struct st *s = o;
	check_acc(acc, false, false);
	uint8_t *p = at(s, va, size);
	s->nread++;
	if (!p || denied(s, va, size, false, acc))
		return -1;
	memcpy(buf, p, size);
	s->nok++;
	return 0;
}
static int mwrite(void *o, uint64_t va, unsigned size, const void *buf, unsigned acc)
{
	struct st *s = o;
	check_acc(acc, false, true);
	uint8_t *p = at(s, va, size);
	s->nwrite++;
	if (!p || denied(s, va, size, true, acc))
		return -1;
	memcpy(p, buf, size);
	s->nok++;
	return 0;
}

/* Like the VMM's: no side effect, the whole range must be RAM, permitted. */
static int probe(void *o, uint64_t va, uint64_t len, unsigned acc)
{
	struct st *s = o;
	check_acc(acc, true, acc & INSN_EMU_ACC_WRITE);
	s->last_fault_candidate = va;
	if (len == 0 || len > 2048)
		abort(); /* the emulator never probes an empty or huge range (DC ZVA: 2 KiB at most) */
	if (denied(s, va, len, acc & INSN_EMU_ACC_WRITE, acc))
		return -1;
	return va >= RAM_BASE && va - RAM_BASE <= RAM_SIZE - len ? 0 : -1;
}

static const struct insn_emu_ops ops = {
	.get_x = get_x, .set_x = set_x, .get_sp = get_sp, .set_sp = set_sp, .get_v = get_v, .set_v = set_v,
	.read = mread, .write = mwrite, .strip_pac = NULL, .probe = probe,
};
static const struct insn_emu_ops ops_noprobe = {
	.get_x = get_x, .set_x = set_x, .get_sp = get_sp, .set_sp = set_sp, .get_v = get_v, .set_v = set_v,
	.read = mread, .write = mwrite, .strip_pac = NULL, .probe = NULL,
};

static size_t take(const uint8_t **d, size_t *n, void *out, size_t want)
{
	size_t k = *n < want ? *n : want;
	memset(out, 0, want);
	memcpy(out, *d, k);
	*d += k;
	*n -= k;
	return k;
}

static uint64_t reg_value(uint64_t raw)
{
	if ((raw & 3) == 3) /* near the boundary between the two pages */
		return PAGE2 - 0x40 + (raw >> 8) % 0x80;
	if (raw & 1) /* near the RAM: in it, at its edges, or just outside */
		return RAM_BASE - 0x40 + (raw >> 8) % (RAM_SIZE + 0x80);
	return raw;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct st s;
	uint32_t insn;
	uint8_t features, flags, flags2;
	take(&data, &size, &insn, 4);
	take(&data, &size, &features, 1);
	take(&data, &size, &flags, 1);
	take(&data, &size, &flags2, 1);
	for (int i = 0; i < 31; i++) {
		uint64_t raw;
		take(&data, &size, &raw, 8);
		s.x[i] = reg_value(raw);
	}
	uint64_t raw;
	take(&data, &size, &raw, 8);
	s.sp = reg_value(raw);
	take(&data, &size, s.v, sizeof(s.v));
	for (unsigned i = 0; i < RAM_SIZE; i++)
		s.ram[i] = (uint8_t)(i * 31 + 5);
	s.nread = s.nwrite = s.nregw = s.nok = 0;
	s.p2_ro = flags2 & 2;
	s.p2_priv = flags2 & 4;

	struct insn_emu_monitor mon = { .open = flags & 1, .addr = s.x[flags >> 3 & 15], .size = 1u << (flags >> 1 & 3) };
	static const unsigned zva[4] = { 0, 64, 8, 2048 };
	struct insn_emu e = {
		.ops = (flags2 & 1) ? &ops_noprobe : &ops,
		.opaque = &s,
		.pc = reg_value(s.x[30] | 1) & ~3ull,
		.features = features & INSN_EMU_F_ALL,
		.dczva_bytes = zva[flags >> 5 & 3],
		.monitor = (flags & 0x80) ? NULL : &mon,
	};
	uint64_t x0[31], sp0 = s.sp;
	uint8_t v0[32][16];
	memcpy(x0, s.x, sizeof(x0));
	memcpy(v0, s.v, sizeof(v0));

	enum insn_emu_result r = insn_emu_exec(&e, insn);
	switch (r) {
	case INSN_EMU_OK:
		break;
	case INSN_EMU_UNHANDLED:
		if (s.nread || s.nwrite)
			abort(); /* not executed, but memory was touched */
		/* fall through */
	case INSN_EMU_MEM_FAULT:
	case INSN_EMU_ALIGN_FAULT:
		if (s.nregw || memcmp(x0, s.x, sizeof(x0)) || sp0 != s.sp || memcmp(v0, s.v, sizeof(v0)))
			abort(); /* a register changed although the instruction did not complete */
		if (r == INSN_EMU_MEM_FAULT && e.fault_addr != s.last_fault_candidate)
			abort(); /* the fault is not at the access that failed */
		if (r == INSN_EMU_MEM_FAULT && e.ops->probe && s.nok)
			abort(); /* probed, yet part of the instruction was done before the fault */
		break;
	default:
		abort();
	}
	return 0;
}
