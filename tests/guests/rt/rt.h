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
/* Identity map, MMU and caches on (RAM Normal, the first GiB Device). */
void rt_mmu_identity(void);
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

/* System register access by name (any name the assembler knows, or
 * S<op0>_<op1>_C<n>_C<m>_<op2>). */
#define RT_MRS(name)                                                \
	({                                                          \
		uint64_t v_;                                        \
		__asm__ volatile("mrs %0, " #name : "=r"(v_));      \
		v_;                                                 \
	})
#define RT_MSR(name, v) __asm__ volatile("msr " #name ", %0; isb" ::"r"((uint64_t)(v)) : "memory")

/* Run fn(arg) at EL0t (DAIF clear) on the stack sp_el0 (16-byte aligned
 * top); returns fn's result once fn returns (it goes back to EL1 with
 * `svc #0xe10`). Exceptions at EL0 reach rt_exception_hook as usual (kinds
 * 8-11). */
uint64_t rt_call_el0(uint64_t (*fn)(uint64_t), uint64_t arg, uint64_t sp_el0);
#define RT_SVC_EL0_RETURN 0xe10

/* A hook that records the exception in rt_last and resumes: at rt_resume
 * if it is set (then cleared), else after the faulting instruction for
 * synchronous exceptions that return to it (not SVC, whose ELR is already
 * past it), else at ELR. */
struct rt_exc {
	unsigned count, kind;
	uint64_t esr, elr, spsr, far;
};
extern volatile struct rt_exc rt_last;
extern volatile uint64_t rt_resume;
void rt_record_hook(unsigned kind, struct rt_frame *f);
/* Start recording (clears rt_last, installs rt_record_hook). */
void rt_record(void);

/* Execute the instruction word w (a constant expression) with x0-x3 all
 * pointing at scratch (16-byte aligned, 64 bytes); evaluates to the
 * address of the instruction. */
#define RT_EXEC(w, scratch)                                                          \
	({                                                                           \
		uint64_t at_;                                                        \
		__asm__ volatile("mov x0, %1\n\tmov x1, %1\n\tmov x2, %1\n\tmov x3, %1\n\t" \
				 "adr %0, 1f\n1:\t.inst " #w                                \
				 : "=&r"(at_)                                        \
				 : "r"(scratch)                                      \
				 : "x0", "x1", "x2", "x3", "memory", "cc");          \
		at_;                                                                 \
	})

#endif
