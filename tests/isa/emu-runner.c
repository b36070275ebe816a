/* The emulator side of the differential test (see emu-runner.h). The
 * features given to the emulator are those of the oracle's CPU model,
 * qemu-aarch64 -cpu cortex-a76 (Armv8.2: LSE, LOR, RCpc; no LRCPC2, PAuth,
 * MTE or LSE2), so the encodings that CPU UNDEFs are UNHANDLED here too. */
#include "emu-runner.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/insn-emu.h"
#include "soft-runner.h" /* ISA_SOFT_HANG */

#define MAX_STEPS 64

struct emu_runner {
	uint8_t code[ISA_CODE_SIZE];
	uint8_t data[ISA_DATA_SIZE] __attribute__((aligned(8))); /* isa_fill_mem */
	uint64_t x[31], sp;
	uint8_t v[32][16];
	struct insn_emu_monitor mon;
};

/* Host pointer for [va, va+size) if wholly inside the code or data page. */
static uint8_t *mem_at(struct emu_runner *er, uint64_t va, unsigned size)
{
	if (va >= ISA_CODE_BASE && va - ISA_CODE_BASE <= ISA_CODE_SIZE - size)
		return er->code + (va - ISA_CODE_BASE);
	if (va >= ISA_DATA_BASE && va - ISA_DATA_BASE <= ISA_DATA_SIZE - size)
		return er->data + (va - ISA_DATA_BASE);
	return NULL;
}

static uint64_t get_x(void *o, unsigned n) { return ((struct emu_runner *)o)->x[n]; }
static void set_x(void *o, unsigned n, uint64_t v) { ((struct emu_runner *)o)->x[n] = v; }
static uint64_t get_sp(void *o) { return ((struct emu_runner *)o)->sp; }
static void set_sp(void *o, uint64_t v) { ((struct emu_runner *)o)->sp = v; }
static void get_v(void *o, unsigned n, uint8_t val[16]) { memcpy(val, ((struct emu_runner *)o)->v[n], 16); }
static void set_v(void *o, unsigned n, const uint8_t val[16]) { memcpy(((struct emu_runner *)o)->v[n], val, 16); }

static int mread(void *o, uint64_t va, unsigned size, void *buf, unsigned acc)
{
	uint8_t *p = mem_at(o, va, size);
	if (!p)
		return -1;
	memcpy(buf, p, size);
	return 0;
}

static int mwrite(void *o, uint64_t va, unsigned size, const void *buf, unsigned acc)
{
	uint8_t *p = mem_at(o, va, size);
	if (!p)
		return -1;
	memcpy(p, buf, size);
	return 0;
}

static int probe(void *o, uint64_t va, uint64_t len, unsigned acc)
{
	return len <= ISA_CODE_SIZE && mem_at(o, va, (unsigned)len) ? 0 : -1;
}

static const struct insn_emu_ops ops = {
	.get_x = get_x, .set_x = set_x, .get_sp = get_sp, .set_sp = set_sp,
	.get_v = get_v, .set_v = set_v, .read = mread, .write = mwrite, .probe = probe,
};

/* The address Linux reports for a failed access (as qemu-aarch64 models
 * it): its first byte that is not mapped. */
static uint64_t first_unmapped(struct emu_runner *er, uint64_t va, unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		if (!mem_at(er, va + i, 1))
			return va + i;
	return va;
}

/* A store of several accesses that faults part-way leaves memory UNKNOWN
 * (Arm ARM); the emulator (with its probe) writes nothing. qemu-aarch64
 * does ST1 (multiple structures, one register per structure) as 8-byte
 * little-endian accesses and keeps those below the fault: model that, so
 * the comparison stays exact. */
static void st1_qemu_prefix(struct emu_runner *er, uint32_t w)
{
	static const unsigned nregs[16] = { [2] = 4, [6] = 3, [7] = 1, [10] = 2 };
	bool multiple = (w & 0xbfbf0000u) == 0x0c000000u || (w & 0xbfa00000u) == 0x0c800000u;
	unsigned n = nregs[(w >> 12) & 15], rt = w & 31, rn = (w >> 5) & 31, rbytes = (w >> 30 & 1) ? 16 : 8;
	if (!multiple || (w >> 22 & 1) || !n)
		return;
	uint64_t base = rn == 31 ? er->sp : er->x[rn];
	uint8_t data[64];
	for (unsigned i = 0; i < n; i++)
		memcpy(data + i * rbytes, er->v[(rt + i) % 32], rbytes);
	for (unsigned off = 0; off < n * rbytes; off += 8) {
		uint8_t *p = mem_at(er, base + off, 8);
		if (!p)
			break;
		memcpy(p, data + off, 8);
	}
}

int emu_runner_create(struct emu_runner **out, char *err, size_t errlen)
{
	struct emu_runner *er = calloc(1, sizeof(*er));
	if (!er) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*out = er;
	return 0;
}

void emu_runner_destroy(struct emu_runner *er) { free(er); }

int emu_runner_run(struct emu_runner *er, const struct isa_case *c, struct isa_result *res, char *err,
		   size_t errlen)
{
	(void)err;
	(void)errlen;
	for (unsigned i = 0; i < ISA_CODE_SIZE / 4; i++)
		memcpy(er->code + 4 * i, &(uint32_t){ ISA_INSN_END }, 4);
	memcpy(er->code + ISA_CASE_OFF, c->insn, 4 * c->ninsn);
	isa_fill_mem(er->data, c->mem_seed);
	memcpy(er->x, c->x, sizeof(er->x));
	er->sp = c->sp;
	for (unsigned i = 0; i < 32; i++) {
		memcpy(er->v[i], &c->v[i][0], 8);
		memcpy(er->v[i] + 8, &c->v[i][1], 8);
	}
	er->mon.open = false;

	memset(res, 0, ISA_RESULT_HDR_SIZE);
	res->magic = ISA_RESULT_MAGIC;
	uint64_t pc = ISA_CASE_PC;
	res->signo = ISA_SOFT_HANG;
	for (unsigned step = 0; step < MAX_STEPS; step++) {
		uint8_t *p = mem_at(er, pc, 4);
		res->pc = pc;
		res->fault_addr = pc;
		if (!p) {
			res->signo = ISA_SIGSEGV;
			res->si_code = ISA_SEGV_MAPERR;
			break;
		}
		uint32_t w;
		memcpy(&w, p, 4);
		if ((w & 0xffe0001fu) == 0xd4200000u) { /* BRK */
			res->signo = ISA_SIGTRAP;
			res->si_code = ISA_TRAP_BRKPT;
			break;
		}
		if ((w & 0xfffff0ffu) == 0xd503305fu) { /* CLREX */
			er->mon.open = false;
			pc += 4;
			continue;
		}
		struct insn_emu e = {
			.ops = &ops, .opaque = er, .pc = pc, .monitor = &er->mon,
			.features = INSN_EMU_F_LSE | INSN_EMU_F_LOR | INSN_EMU_F_LRCPC,
		};
		enum insn_emu_result r = insn_emu_exec(&e, w);
		if (r == INSN_EMU_OK) {
			pc += 4;
			continue;
		}
		if (r == INSN_EMU_UNHANDLED) {
			res->signo = ISA_SIGILL;
			res->si_code = ISA_ILL_ILLOPN;
		} else if (r == INSN_EMU_ALIGN_FAULT) {
			res->signo = ISA_SIGBUS;
			res->si_code = ISA_BUS_ADRALN;
			res->fault_addr = e.fault_addr;
		} else {
			res->signo = ISA_SIGSEGV;
			res->si_code = ISA_SEGV_MAPERR;
			res->fault_addr = first_unmapped(er, e.fault_addr, e.fault_size);
			if (e.fault_write)
				st1_qemu_prefix(er, w);
		}
		break;
	}
	res->nzcv = c->nzcv;
	memcpy(res->x, er->x, sizeof(res->x));
	res->sp = er->sp;
	res->fpcr = c->fpcr;
	res->fpsr = c->fpsr;
	for (unsigned i = 0; i < 32; i++) {
		memcpy(&res->v[i][0], er->v[i], 8);
		memcpy(&res->v[i][1], er->v[i] + 8, 8);
	}
	memcpy(res->mem, er->data, ISA_DATA_SIZE);
	res->mem_dirty = 0;
	return 0;
}
