/* FP/SIMD benchmark workload, compiled once for both the bare-metal guest
 * (avmm) and the static Linux program (qemu-aarch64): a single-precision
 * matrix multiply (vectorised by the compiler) and a memcpy/memset-heavy
 * loop (Q-register loads and stores). */
#include <stdint.h>

#define N 48
static float a[N][N] __attribute__((aligned(16))), b[N][N] __attribute__((aligned(16))),
	c[N][N] __attribute__((aligned(16)));
static uint8_t src[32768] __attribute__((aligned(64))), dst[32768] __attribute__((aligned(64)));

static void matmul(void)
{
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++)
			c[i][j] = 0;
	for (int i = 0; i < N; i++)
		for (int k = 0; k < N; k++) {
			float aik = a[i][k];
			for (int j = 0; j < N; j++)
				c[i][j] += aik * b[k][j];
		}
}

/* Freestanding: our own copy loop over 16-byte blocks (the compiler turns
 * it into LDP/STP of Q registers at -O2). */
static void copy(uint8_t *d, const uint8_t *s, uint32_t n)
{
	typedef struct { uint64_t x[4]; } blk;
	for (uint32_t i = 0; i + sizeof(blk) <= n; i += sizeof(blk))
		*(blk *)(void *)(d + i) = *(const blk *)(const void *)(s + i);
}

uint64_t bench_workload(unsigned rounds);
uint64_t bench_workload(unsigned rounds)
{
	uint64_t acc = 0;
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++) {
			a[i][j] = (float)((i * 7 + j * 3) % 17) * 0.25f;
			b[i][j] = (float)((i * 5 + j * 11) % 13) * 0.5f;
		}
	for (unsigned r = 0; r < rounds; r++) {
		matmul();
		uint32_t bits;
		float s = c[r % N][(r * 7) % N];
		__builtin_memcpy(&bits, &s, 4);
		acc += bits;
		for (uint32_t i = 0; i < sizeof(src); i++)
			src[i] = (uint8_t)(i + r);
		for (int k = 0; k < 8; k++)
			copy(dst, src, sizeof(src));
		acc ^= dst[r % sizeof(dst)];
	}
	return acc;
}
