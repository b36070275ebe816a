/* The Cryptographic Extension of Armv8.0 (FEAT_AES, FEAT_SHA1, FEAT_SHA256;
 * PMULL with 64-bit elements is in exec-simd.c): AESE, AESD, AESMC, AESIMC,
 * SHA1C, SHA1P, SHA1M, SHA1H, SHA1SU0, SHA1SU1, SHA256H, SHA256H2,
 * SHA256SU0, SHA256SU1, after the Arm ARM pseudocode (C7.2 instruction
 * pages, shared/functions/crypto).
 *
 * AES state: byte i of the register is state[i % 4][i / 4] (FIPS-197 column
 * order), so ShiftRows maps byte i from byte shift_rows[i] and MixColumns
 * works on the four bytes 4c..4c+3 of column c. */
#include <stdlib.h>

#include "cpu/exec-simd.h"
#include "a64-decode.h"

#define H(name) static const dinsn *name(struct a64_cpu *c, const dinsn *d)

static const uint8_t sbox[256] = {
	0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5, 0x30, 0x01, 0x67, 0x2b, 0xfe, 0xd7, 0xab, 0x76,
	0xca, 0x82, 0xc9, 0x7d, 0xfa, 0x59, 0x47, 0xf0, 0xad, 0xd4, 0xa2, 0xaf, 0x9c, 0xa4, 0x72, 0xc0,
	0xb7, 0xfd, 0x93, 0x26, 0x36, 0x3f, 0xf7, 0xcc, 0x34, 0xa5, 0xe5, 0xf1, 0x71, 0xd8, 0x31, 0x15,
	0x04, 0xc7, 0x23, 0xc3, 0x18, 0x96, 0x05, 0x9a, 0x07, 0x12, 0x80, 0xe2, 0xeb, 0x27, 0xb2, 0x75,
	0x09, 0x83, 0x2c, 0x1a, 0x1b, 0x6e, 0x5a, 0xa0, 0x52, 0x3b, 0xd6, 0xb3, 0x29, 0xe3, 0x2f, 0x84,
	0x53, 0xd1, 0x00, 0xed, 0x20, 0xfc, 0xb1, 0x5b, 0x6a, 0xcb, 0xbe, 0x39, 0x4a, 0x4c, 0x58, 0xcf,
	0xd0, 0xef, 0xaa, 0xfb, 0x43, 0x4d, 0x33, 0x85, 0x45, 0xf9, 0x02, 0x7f, 0x50, 0x3c, 0x9f, 0xa8,
	0x51, 0xa3, 0x40, 0x8f, 0x92, 0x9d, 0x38, 0xf5, 0xbc, 0xb6, 0xda, 0x21, 0x10, 0xff, 0xf3, 0xd2,
	0xcd, 0x0c, 0x13, 0xec, 0x5f, 0x97, 0x44, 0x17, 0xc4, 0xa7, 0x7e, 0x3d, 0x64, 0x5d, 0x19, 0x73,
	0x60, 0x81, 0x4f, 0xdc, 0x22, 0x2a, 0x90, 0x88, 0x46, 0xee, 0xb8, 0x14, 0xde, 0x5e, 0x0b, 0xdb,
	0xe0, 0x32, 0x3a, 0x0a, 0x49, 0x06, 0x24, 0x5c, 0xc2, 0xd3, 0xac, 0x62, 0x91, 0x95, 0xe4, 0x79,
	0xe7, 0xc8, 0x37, 0x6d, 0x8d, 0xd5, 0x4e, 0xa9, 0x6c, 0x56, 0xf4, 0xea, 0x65, 0x7a, 0xae, 0x08,
	0xba, 0x78, 0x25, 0x2e, 0x1c, 0xa6, 0xb4, 0xc6, 0xe8, 0xdd, 0x74, 0x1f, 0x4b, 0xbd, 0x8b, 0x8a,
	0x70, 0x3e, 0xb5, 0x66, 0x48, 0x03, 0xf6, 0x0e, 0x61, 0x35, 0x57, 0xb9, 0x86, 0xc1, 0x1d, 0x9e,
	0xe1, 0xf8, 0x98, 0x11, 0x69, 0xd9, 0x8e, 0x94, 0x9b, 0x1e, 0x87, 0xe9, 0xce, 0x55, 0x28, 0xdf,
	0x8c, 0xa1, 0x89, 0x0d, 0xbf, 0xe6, 0x42, 0x68, 0x41, 0x99, 0x2d, 0x0f, 0xb0, 0x54, 0xbb, 0x16,
};

static uint8_t inv_sbox[256];

static void __attribute__((constructor)) crypto_init(void)
{
	for (unsigned i = 0; i < 256; i++)
		inv_sbox[sbox[i]] = (uint8_t)i;
}

static const uint8_t shift_rows[16] = { 0, 5, 10, 15, 4, 9, 14, 3, 8, 13, 2, 7, 12, 1, 6, 11 };
static const uint8_t inv_shift_rows[16] = { 0, 13, 10, 7, 4, 1, 14, 11, 8, 5, 2, 15, 12, 9, 6, 3 };

static inline uint8_t xtime(uint8_t x)
{
	return (uint8_t)(x << 1 ^ ((x >> 7) * 0x1b));
}

/* GF(2^8) product with the AES polynomial. */
static inline uint8_t gmul(uint8_t a, uint8_t b)
{
	uint8_t r = 0;
	while (b) {
		if (b & 1)
			r ^= a;
		a = xtime(a);
		b >>= 1;
	}
	return r;
}

/* AddRoundKey, then SubBytes and ShiftRows (or their inverses). */
static const dinsn *aes_round(struct a64_cpu *c, const dinsn *d, const uint8_t *box, const uint8_t *rows)
{
	simd_check(c, d);
	uint8_t in[16], out[16];
	vr t = vget(c, d->rd), k = vget(c, d->rn);
	t.d[0] ^= k.d[0];
	t.d[1] ^= k.d[1];
	memcpy(in, t.d, 16);
	for (unsigned i = 0; i < 16; i++)
		out[i] = box[in[rows[i]]];
	memcpy(&c->v[d->rd], out, 16);
	return cpu_next(c, d + 1);
}

H(h_aese)
{
	return aes_round(c, d, sbox, shift_rows);
}

H(h_aesd)
{
	return aes_round(c, d, inv_sbox, inv_shift_rows);
}

H(h_aesmc)
{
	simd_check(c, d);
	uint8_t in[16], out[16];
	memcpy(in, &c->v[d->rn], 16);
	for (unsigned col = 0; col < 4; col++) {
		const uint8_t *a = in + 4 * col;
		uint8_t *r = out + 4 * col;
		uint8_t t = a[0] ^ a[1] ^ a[2] ^ a[3];
		r[0] = a[0] ^ t ^ xtime(a[0] ^ a[1]);
		r[1] = a[1] ^ t ^ xtime(a[1] ^ a[2]);
		r[2] = a[2] ^ t ^ xtime(a[2] ^ a[3]);
		r[3] = a[3] ^ t ^ xtime(a[3] ^ a[0]);
	}
	memcpy(&c->v[d->rd], out, 16);
	return cpu_next(c, d + 1);
}

H(h_aesimc)
{
	simd_check(c, d);
	uint8_t in[16], out[16];
	memcpy(in, &c->v[d->rn], 16);
	for (unsigned col = 0; col < 4; col++) {
		const uint8_t *a = in + 4 * col;
		uint8_t *r = out + 4 * col;
		for (unsigned i = 0; i < 4; i++)
			r[i] = gmul(a[i], 14) ^ gmul(a[(i + 1) & 3], 11) ^ gmul(a[(i + 2) & 3], 13) ^
			       gmul(a[(i + 3) & 3], 9);
	}
	memcpy(&c->v[d->rd], out, 16);
	return cpu_next(c, d + 1);
}

/* x86-64 hosts with AES-NI: the same state layout (byte i = state[i % 4]
 * [i / 4]), so AESE = AESENCLAST(d ^ n, 0), AESD = AESDECLAST(d ^ n, 0),
 * AESIMC = AESIMC, and MixColumns = AESENC(AESDECLAST(x, 0), 0) (the
 * (Inv)ShiftRows and (Inv)SubBytes steps cancel). */
#if defined(__x86_64__)
#include <wmmintrin.h>
#define HOSTAES __attribute__((target("aes,sse2")))
#define DEF_HOSTAES(NAME, EXPR)                                                   \
	HOSTAES static const dinsn *h_##NAME##_ni(struct a64_cpu *c, const dinsn *d)  \
	{                                                                         \
		simd_check(c, d);                                                 \
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)&c->v[d->rd]); \
		__m128i k = _mm_loadu_si128((const __m128i *)(const void *)&c->v[d->rn]); \
		__m128i z = _mm_setzero_si128();                                  \
		(void)x;                                                          \
		(void)z;                                                          \
		_mm_storeu_si128((__m128i *)(void *)&c->v[d->rd], (EXPR));         \
		return cpu_next(c, d + 1);                                        \
	}
DEF_HOSTAES(aese, _mm_aesenclast_si128(_mm_xor_si128(x, k), z))
DEF_HOSTAES(aesd, _mm_aesdeclast_si128(_mm_xor_si128(x, k), z))
DEF_HOSTAES(aesmc, _mm_aesenc_si128(_mm_aesdeclast_si128(k, z), z))
DEF_HOSTAES(aesimc, _mm_aesimc_si128(k))
#endif

/* Whether to use the host's AES and carry-less multiply instructions:
 * when it has them, unless AVMM_SOFT_CRYPTO=1 (the tests run both). */
bool simd_host_crypto(void)
{
	static _Atomic int use = -1; /* vCPU threads decode concurrently */
	int u = atomic_load_explicit(&use, memory_order_relaxed);
	if (u < 0) {
		const char *e = getenv("AVMM_SOFT_CRYPTO");
		bool soft = e && *e == '1';
#if defined(__x86_64__)
		__builtin_cpu_init();
		u = !soft && __builtin_cpu_supports("aes") && __builtin_cpu_supports("pclmul");
#else
		u = 0;
		(void)soft;
#endif
		atomic_store_explicit(&use, u, memory_order_relaxed);
	}
	return u;
}

bool trans_AES(struct a64_dctx *s, arg_AES *a)
{
	static const dinsn_fn fn[4] = { h_aese, h_aesd, h_aesmc, h_aesimc };
	dinsn *d = s->d;
	unsigned op = (unsigned)a->opcode;
	if (op < 4 || op > 7)
		return false;
	d->fn = fn[op - 4];
#if defined(__x86_64__)
	static const dinsn_fn fn_ni[4] = { h_aese_ni, h_aesd_ni, h_aesmc_ni, h_aesimc_ni };
	if (simd_host_crypto())
		d->fn = fn_ni[op - 4];
#endif
	d->rd = (uint8_t)a->rd;
	d->rn = (uint8_t)a->rn;
	return true;
}

/* ---- SHA-1 and SHA-256 -------------------------------------------------------- */

static inline uint32_t rol32(uint32_t x, unsigned n) { return x << n | x >> (32 - n); }
static inline uint32_t ror32(uint32_t x, unsigned n) { return x >> n | x << (32 - n); }
static inline uint32_t sha_choose(uint32_t x, uint32_t y, uint32_t z) { return ((y ^ z) & x) ^ z; }
static inline uint32_t sha_parity(uint32_t x, uint32_t y, uint32_t z) { return x ^ y ^ z; }
static inline uint32_t sha_majority(uint32_t x, uint32_t y, uint32_t z) { return (x & y) | ((x | y) & z); }

static inline void get4(const struct a64_cpu *c, unsigned n, uint32_t w[4])
{
	memcpy(w, &c->v[n], 16);
}
static inline void put4(struct a64_cpu *c, unsigned n, const uint32_t w[4])
{
	memcpy(&c->v[n], w, 16);
}

/* SHA1C/SHA1P/SHA1M: X = Qd (abcd), Y = Sn (e), W = Vm. */
#define DEF_SHA1_HASH(NAME, F)                                                    \
	H(h_##NAME)                                                               \
	{                                                                         \
		simd_check(c, d);                                                 \
		uint32_t x[4], w[4], y = c->v[d->rn].s[0];                        \
		get4(c, d->rd, x);                                                \
		get4(c, d->rm, w);                                                \
		for (unsigned e = 0; e < 4; e++) {                                \
			uint32_t t = F(x[1], x[2], x[3]);                         \
			y = y + rol32(x[0], 5) + t + w[e];                        \
			x[1] = rol32(x[1], 30);                                   \
			uint32_t top = x[3];                                      \
			x[3] = x[2];                                              \
			x[2] = x[1];                                              \
			x[1] = x[0];                                              \
			x[0] = y;                                                 \
			y = top;                                                  \
		}                                                                 \
		put4(c, d->rd, x);                                                \
		return cpu_next(c, d + 1);                                        \
	}
DEF_SHA1_HASH(sha1c, sha_choose)
DEF_SHA1_HASH(sha1p, sha_parity)
DEF_SHA1_HASH(sha1m, sha_majority)

H(h_sha1su0)
{
	simd_check(c, d);
	vr x = vget(c, d->rd), n = vget(c, d->rn), m = vget(c, d->rm), r;
	r.d[0] = x.d[1] ^ x.d[0] ^ m.d[0];
	r.d[1] = n.d[0] ^ x.d[1] ^ m.d[1];
	vset(c, d->rd, r);
	return cpu_next(c, d + 1);
}

/* SHA256H (part1: X = Qd, Y = Qn, result X) and SHA256H2 (X = Qn, Y = Qd,
 * result Y); W = Vm. */
static void sha256_hash(uint32_t x[4], uint32_t y[4], const uint32_t w[4])
{
	for (unsigned e = 0; e < 4; e++) {
		uint32_t chs = sha_choose(y[0], y[1], y[2]);
		uint32_t maj = sha_majority(x[0], x[1], x[2]);
		uint32_t t1 = y[3] + (ror32(y[0], 6) ^ ror32(y[0], 11) ^ ror32(y[0], 25)) + chs + w[e];
		x[3] = t1 + x[3];
		y[3] = t1 + (ror32(x[0], 2) ^ ror32(x[0], 13) ^ ror32(x[0], 22)) + maj;
		/* ROL(Y:X, 32) */
		uint32_t xt = x[3], yt = y[3];
		x[3] = x[2]; x[2] = x[1]; x[1] = x[0]; x[0] = yt;
		y[3] = y[2]; y[2] = y[1]; y[1] = y[0]; y[0] = xt;
	}
}

H(h_sha256h)
{
	simd_check(c, d);
	uint32_t x[4], y[4], w[4];
	get4(c, d->rd, x);
	get4(c, d->rn, y);
	get4(c, d->rm, w);
	sha256_hash(x, y, w);
	put4(c, d->rd, x);
	return cpu_next(c, d + 1);
}

H(h_sha256h2)
{
	simd_check(c, d);
	uint32_t x[4], y[4], w[4];
	get4(c, d->rn, x);
	get4(c, d->rd, y);
	get4(c, d->rm, w);
	sha256_hash(x, y, w);
	put4(c, d->rd, y);
	return cpu_next(c, d + 1);
}

H(h_sha256su1)
{
	simd_check(c, d);
	uint32_t o1[4], o2[4], o3[4], t0[4], r[4];
	get4(c, d->rd, o1);
	get4(c, d->rn, o2);
	get4(c, d->rm, o3);
	t0[0] = o2[1]; t0[1] = o2[2]; t0[2] = o2[3]; t0[3] = o3[0];
	for (unsigned e = 0; e < 2; e++) {
		uint32_t elt = o3[2 + e];
		elt = ror32(elt, 17) ^ ror32(elt, 19) ^ (elt >> 10);
		r[e] = elt + o1[e] + t0[e];
	}
	for (unsigned e = 2; e < 4; e++) {
		uint32_t elt = r[e - 2];
		elt = ror32(elt, 17) ^ ror32(elt, 19) ^ (elt >> 10);
		r[e] = elt + o1[e] + t0[e];
	}
	put4(c, d->rd, r);
	return cpu_next(c, d + 1);
}

bool trans_SHA3REG(struct a64_dctx *s, arg_SHA3REG *a)
{
	static const dinsn_fn fn[7] = { h_sha1c, h_sha1p, h_sha1m, h_sha1su0, h_sha256h, h_sha256h2, h_sha256su1 };
	dinsn *d = s->d;
	if (a->opcode == 7)
		return false;
	d->fn = fn[a->opcode];
	d->rd = (uint8_t)a->rd;
	d->rn = (uint8_t)a->rn;
	d->rm = (uint8_t)a->rm;
	return true;
}

H(h_sha1h)
{
	simd_check(c, d);
	vset64(c, d->rd, rol32(c->v[d->rn].s[0], 30));
	return cpu_next(c, d + 1);
}

H(h_sha1su1)
{
	simd_check(c, d);
	uint32_t x[4], y[4], t[4], w[4];
	get4(c, d->rd, x);
	get4(c, d->rn, y);
	/* T = X EOR LSR(Y, 32) */
	t[0] = x[0] ^ y[1];
	t[1] = x[1] ^ y[2];
	t[2] = x[2] ^ y[3];
	t[3] = x[3];
	w[0] = rol32(t[0], 1);
	w[1] = rol32(t[1], 1);
	w[2] = rol32(t[2], 1);
	w[3] = rol32(t[3], 1) ^ rol32(t[0], 2);
	put4(c, d->rd, w);
	return cpu_next(c, d + 1);
}

H(h_sha256su0)
{
	simd_check(c, d);
	uint32_t o1[4], o2[4], t[4], r[4];
	get4(c, d->rd, o1);
	get4(c, d->rn, o2);
	t[0] = o1[1]; t[1] = o1[2]; t[2] = o1[3]; t[3] = o2[0];
	for (unsigned e = 0; e < 4; e++) {
		uint32_t elt = t[e];
		elt = ror32(elt, 7) ^ ror32(elt, 18) ^ (elt >> 3);
		r[e] = elt + o1[e];
	}
	put4(c, d->rd, r);
	return cpu_next(c, d + 1);
}

bool trans_SHA2REG(struct a64_dctx *s, arg_SHA2REG *a)
{
	static const dinsn_fn fn[3] = { h_sha1h, h_sha1su1, h_sha256su0 };
	dinsn *d = s->d;
	if (a->opcode > 2)
		return false;
	d->fn = fn[a->opcode];
	d->rd = (uint8_t)a->rd;
	d->rn = (uint8_t)a->rn;
	return true;
}
