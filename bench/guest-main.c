/* Bare-metal entry of the CPU benchmark (avmm side). */
#include "rt/rt.h"

uint64_t bench_workload(unsigned rounds);

int main(void)
{
	rt_mmu_identity(); /* Normal memory, as user programs have */
	uint64_t r = bench_workload(BENCH_ROUNDS);
	rt_puts("result ");
	rt_put_hex(r);
	rt_putc('\n');
	return 0;
}
