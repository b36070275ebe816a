/* The demo guest: prints a greeting and some arithmetic from the soft CPU. */
#include "rt/rt.h"

static uint64_t fib(unsigned n)
{
	uint64_t a = 0, b = 1;
	while (n--) {
		uint64_t t = a + b;
		a = b;
		b = t;
	}
	return a;
}

int main(void)
{
	rt_puts("Hello from an AArch64 guest running on avmm.\n");
	rt_puts("fib(90) = ");
	rt_put_dec(fib(90));
	rt_putc('\n');
	rt_check(fib(90) == 2880067194370816120ull, "fib(90)");
	return 0;
}
