/* Wire format shared by the host harness (isa-difftest, isa-oracle-selfcheck)
 * and the freestanding AArch64 oracle that runs under qemu-aarch64.
 *
 * Everything is little-endian and laid out with fixed-width fields; both
 * sides are LP64 GCC builds, and the _Static_asserts below pin the layout.
 *
 * Protocol (host -> oracle on the oracle's stdin, oracle -> host on stdout):
 *   1. the oracle writes one struct isa_hello;
 *   2. for every struct isa_case the host writes, the oracle answers with the
 *      ISA_RESULT_HDR_SIZE first bytes of a struct isa_result, followed by the
 *      64-byte chunks of the data page that differ from the seeded fill
 *      (bit i of mem_dirty set: chunk i, in ascending order). The receiver
 *      rebuilds mem[] from isa_fill_mem(mem_seed) plus those chunks, so the
 *      comparison is still over all 4096 bytes, bit for bit.
 *   3. EOF on stdin ends the oracle (exit status 0).
 *
 * No libc in here: the oracle is built with -nostdlib -ffreestanding. */
#ifndef AVMM_TESTS_ISA_CASE_H
#define AVMM_TESTS_ISA_CASE_H

#include <stdint.h>
#include <stddef.h>

#define ISA_CODE_BASE 0x10000000ull /* 64 KiB, RWX, filled with ISA_INSN_END */
#define ISA_CODE_SIZE 0x10000ull
#define ISA_CASE_OFF 0x8000ull      /* the case's first instruction */
#define ISA_CASE_PC (ISA_CODE_BASE + ISA_CASE_OFF)
#define ISA_DATA_BASE 0x20000000ull /* 4 KiB, RW, filled from mem_seed */
#define ISA_DATA_SIZE 4096u
#define ISA_MEM_CHUNK 64u           /* granule of the mem_dirty bitmap */

#define ISA_INSN_END 0xd4200020u   /* brk #1: fills the code page */
#define ISA_INSN_START 0xd420f4e0u /* brk #0x7a7: the oracle's own start trap */

#define ISA_MAX_INSN 8

#define ISA_CASE_MAGIC 0x43415349u   /* "ISAC" */
#define ISA_RESULT_MAGIC 0x52415349u /* "ISAR" */
#define ISA_HELLO_MAGIC 0x4f415349u  /* "ISAO" */
#define ISA_PROTO_VERSION 1u

/* Linux signal numbers and the si_code values used in results. */
#define ISA_SIGILL 4
#define ISA_SIGTRAP 5
#define ISA_SIGBUS 7
#define ISA_SIGFPE 8
#define ISA_SIGSEGV 11
#define ISA_ILL_ILLOPC 1
#define ISA_ILL_ILLOPN 2
#define ISA_TRAP_BRKPT 1
#define ISA_SEGV_MAPERR 1
#define ISA_SEGV_ACCERR 2
#define ISA_BUS_ADRALN 1

struct isa_hello {
	uint32_t magic;        /* ISA_HELLO_MAGIC */
	uint32_t version;      /* ISA_PROTO_VERSION */
	uint32_t case_size;    /* sizeof(struct isa_case) as the oracle was built */
	uint32_t result_hdr;   /* ISA_RESULT_HDR_SIZE as the oracle was built */
};

struct isa_case {
	uint32_t magic;        /* ISA_CASE_MAGIC */
	uint32_t ninsn;        /* 1..ISA_MAX_INSN, placed at ISA_CASE_PC */
	uint32_t insn[ISA_MAX_INSN];
	uint64_t x[31];
	uint64_t sp;           /* SP_EL0 */
	uint32_t nzcv;         /* PSTATE.NZCV in bits 31:28, everything else 0 */
	uint32_t fpcr;
	uint32_t fpsr;
	uint32_t pad0;
	uint64_t v[32][2];     /* V0..V31: [0] = low 64 bits, [1] = high 64 bits */
	uint64_t mem_seed;     /* data page = isa_fill_mem(mem_seed) */
};

struct isa_result {
	uint32_t magic;        /* ISA_RESULT_MAGIC */
	int32_t signo;         /* signal that ended the case (SIGTRAP for the final brk) */
	int32_t si_code;
	uint32_t nzcv;         /* PSTATE.NZCV in bits 31:28 */
	uint64_t pc;
	uint64_t fault_addr;   /* si_addr */
	uint64_t x[31];
	uint64_t sp;
	uint32_t fpcr;
	uint32_t fpsr;
	uint64_t v[32][2];
	uint64_t mem_dirty;    /* on the wire: which 64-byte chunks follow */
	uint8_t mem[ISA_DATA_SIZE];
};

#define ISA_RESULT_HDR_SIZE offsetof(struct isa_result, mem)

_Static_assert(sizeof(struct isa_hello) == 16, "isa_hello layout");
_Static_assert(offsetof(struct isa_case, x) == 40, "isa_case layout");
_Static_assert(offsetof(struct isa_case, v) == 312, "isa_case layout");
_Static_assert(sizeof(struct isa_case) == 832, "isa_case layout");
_Static_assert(offsetof(struct isa_result, x) == 32, "isa_result layout");
_Static_assert(offsetof(struct isa_result, v) == 296, "isa_result layout");
_Static_assert(offsetof(struct isa_result, mem) == 816, "isa_result layout");
_Static_assert(ISA_DATA_SIZE / ISA_MEM_CHUNK == 64, "mem_dirty is one u64");

/* splitmix64: the PRNG of the data page (and of the harness). */
static inline uint64_t isa_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* The data page of a case: 512 little-endian words of splitmix64(seed).
 * page must be 8-byte aligned. */
static inline void isa_fill_mem(void *page, uint64_t seed)
{
	uint64_t *p = (uint64_t *)page;
	uint64_t s = seed;
	for (unsigned i = 0; i < ISA_DATA_SIZE / 8; i++)
		p[i] = isa_splitmix64(&s);
}

/* 64-bit word i (0..511) of the data page of seed, without filling it. */
static inline uint64_t isa_mem_word(uint64_t seed, unsigned i)
{
	uint64_t s = seed + (uint64_t)i * 0x9e3779b97f4a7c15ull;
	return isa_splitmix64(&s);
}

#endif
