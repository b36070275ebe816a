/* Shared helpers of the Advanced SIMD, crypto and SIMD&FP load/store
 * handlers (exec-simd*.c, exec-crypto.c, exec-ldst-simd.c): the FP/SIMD
 * access check, a plain 128-bit register value and typed lane access.
 * Private to those files. Little-endian hosts only (as the rest of the
 * soft CPU): lane i of a register is at byte offset i * esize. */
#ifndef AVMM_CPU_EXEC_SIMD_H
#define AVMM_CPU_EXEC_SIMD_H

#include "cpu/internal.h"

#define FPSR_QC (1u << 27)

typedef uint8_t u8a __attribute__((may_alias));
typedef uint16_t u16a __attribute__((may_alias));
typedef uint32_t u32a __attribute__((may_alias));
typedef uint64_t u64a __attribute__((may_alias));

/* A 128-bit register value: d[0] = bits 63:0. */
typedef struct {
	uint64_t d[2];
} vr;

/* CheckFPAdvSIMDEnabled64 (CPACR_EL1.FPEN): internal.h's cpu_fp_check,
 * which traps to EL1 with EC 0x07 when FP/SIMD is disabled at this EL. */
static inline void simd_check(struct a64_cpu *c, const dinsn *d)
{
	cpu_fp_check(c, d);
}

/* Use the host's AES/carry-less-multiply instructions (exec-crypto.c). */
bool simd_host_crypto(void);

static inline vr vget(const struct a64_cpu *c, unsigned n)
{
	vr r;
	r.d[0] = c->v[n].d[0];
	r.d[1] = c->v[n].d[1];
	return r;
}
static inline void vset(struct a64_cpu *c, unsigned n, vr r)
{
	c->v[n].d[0] = r.d[0];
	c->v[n].d[1] = r.d[1];
}
/* Write a 64-bit result, zeroing bits 127:64. */
static inline void vset64(struct a64_cpu *c, unsigned n, uint64_t lo)
{
	c->v[n].d[0] = lo;
	c->v[n].d[1] = 0;
}

/* Lane i of element size E bits (8, 16, 32, 64), zero-extended. */
static inline uint64_t lane(const vr *v, unsigned E, unsigned i)
{
	switch (E) {
	case 8: return ((const u8a *)v->d)[i];
	case 16: return ((const u16a *)v->d)[i];
	case 32: return ((const u32a *)v->d)[i];
	default: return v->d[i];
	}
}
static inline int64_t slane(const vr *v, unsigned E, unsigned i)
{
	switch (E) {
	case 8: return (int8_t)((const u8a *)v->d)[i];
	case 16: return (int16_t)((const u16a *)v->d)[i];
	case 32: return (int32_t)((const u32a *)v->d)[i];
	default: return (int64_t)v->d[i];
	}
}
static inline void setlane(vr *v, unsigned E, unsigned i, uint64_t x)
{
	switch (E) {
	case 8: ((u8a *)v->d)[i] = (uint8_t)x; break;
	case 16: ((u16a *)v->d)[i] = (uint16_t)x; break;
	case 32: ((u32a *)v->d)[i] = (uint32_t)x; break;
	default: v->d[i] = x; break;
	}
}

static inline uint64_t sext_e(uint64_t v, unsigned E)
{
	return E >= 64 ? v : (uint64_t)((int64_t)(v << (64 - E)) >> (64 - E));
}
/* 1 in the lowest bit of every E-bit lane of a 64-bit word. */
static inline uint64_t replicate_lsb(unsigned E)
{
	switch (E) {
	case 8: return 0x0101010101010101ull;
	case 16: return 0x0001000100010001ull;
	case 32: return 0x0000000100000001ull;
	default: return 1;
	}
}
static inline uint64_t ones_e(unsigned E)
{
	return E >= 64 ? ~0ull : (1ull << E) - 1;
}

#endif
