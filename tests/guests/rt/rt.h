/* The guest test runtime: console output, results, exception hooks. */
#ifndef GUEST_RT_H
#define GUEST_RT_H

#include <stdint.h>

void rt_putc(char ch);
void rt_puts(const char *s);
void rt_put_hex(uint64_t v);
void rt_put_dec(uint64_t v);
/* Check a condition; prints "ok"/"FAIL" lines and counts failures. */
void rt_check(int cond, const char *what);
/* main() returns; rt_exit prints the summary and powers off. */
int main(void);
void rt_exit(void);
long rt_psci(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);

/* Saved registers of the exception being handled. */
struct rt_frame {
	uint64_t x[31];
	uint64_t pad[3];
};
/* Set by a test to handle exceptions: return to continue (the handler may
 * change ELR_EL1). Without a hook, an exception is a failure. */
extern void (*rt_exception_hook)(unsigned kind, struct rt_frame *f);

static inline uint64_t rt_read_esr(void)
{
	uint64_t v;
	__asm__ volatile("mrs %0, esr_el1" : "=r"(v));
	return v;
}
static inline uint64_t rt_read_elr(void)
{
	uint64_t v;
	__asm__ volatile("mrs %0, elr_el1" : "=r"(v));
	return v;
}
static inline void rt_write_elr(uint64_t v)
{
	__asm__ volatile("msr elr_el1, %0" ::"r"(v));
}

#endif
