/* CPU benchmark workload, compiled once and linked into both the bare-metal
 * guest (run on avmm) and a static Linux program (run on qemu-aarch64), so
 * both execute the same instructions. Integer only: a sieve of Eratosthenes
 * and a table-free CRC-32, repeated. */
#include <stdint.h>

#define SIEVE_N 1000000
static uint8_t composite[SIEVE_N + 1];
static uint8_t buf[65536];

static uint32_t sieve(void)
{
	uint32_t count = 0;
	for (uint32_t i = 0; i <= SIEVE_N; i++)
		composite[i] = 0;
	for (uint32_t i = 2; i <= SIEVE_N; i++) {
		if (composite[i])
			continue;
		count++;
		for (uint64_t j = (uint64_t)i * i; j <= SIEVE_N; j += i)
			composite[j] = 1;
	}
	return count;
}

static uint32_t crc32_bitwise(const uint8_t *p, uint32_t n)
{
	uint32_t crc = ~0u;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

uint64_t bench_workload(unsigned rounds);
uint64_t bench_workload(unsigned rounds)
{
	uint64_t acc = 0;
	for (unsigned r = 0; r < rounds; r++) {
		acc += sieve();
		for (uint32_t i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)(i * 7 + r);
		acc ^= crc32_bitwise(buf, sizeof(buf));
	}
	return acc;
}
