/* Guest runtime: PL011 transmit at the virt machine's UART address, PSCI
 * SYSTEM_OFF at the end. */
#include "rt.h"

#define UART_DR ((volatile uint32_t *)0x09000000)
#define UART_FR ((volatile uint32_t *)0x09000018)

static unsigned failures, checks;
void (*rt_exception_hook)(unsigned kind, struct rt_frame *f);

void rt_putc(char ch)
{
	while (*UART_FR & (1u << 5)) /* TXFF */
		;
	*UART_DR = (uint32_t)(unsigned char)ch;
}

void rt_puts(const char *s)
{
	while (*s)
		rt_putc(*s++);
}

void rt_put_hex(uint64_t v)
{
	rt_puts("0x");
	for (int i = 60; i >= 0; i -= 4)
		rt_putc("0123456789abcdef"[(v >> i) & 15]);
}

void rt_put_dec(uint64_t v)
{
	char buf[21];
	int i = 20;
	buf[i] = 0;
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	rt_puts(&buf[i]);
}

void rt_check(int cond, const char *what)
{
	checks++;
	if (!cond)
		failures++;
	rt_puts(cond ? "ok   " : "FAIL ");
	rt_puts(what);
	rt_putc('\n');
}

volatile struct rt_exc rt_last;
volatile uint64_t rt_resume;

void rt_record_hook(unsigned kind, struct rt_frame *f)
{
	(void)f;
	uint64_t esr = rt_read_esr(), elr = rt_read_elr();
	rt_last.count++;
	rt_last.kind = kind;
	rt_last.esr = esr;
	rt_last.elr = elr;
	rt_last.spsr = RT_MRS(spsr_el1);
	rt_last.far = RT_MRS(far_el1);
	if (rt_resume) {
		rt_write_elr(rt_resume);
		rt_resume = 0;
	} else if ((kind & 3) == 0 && (esr >> 26) != 0x15) {
		rt_write_elr(elr + 4);
	}
}

void rt_record(void)
{
	rt_last.count = 0;
	rt_last.kind = ~0u;
	rt_last.esr = rt_last.elr = rt_last.spsr = rt_last.far = 0;
	rt_exception_hook = rt_record_hook;
}

extern char rt_el0_return[];

void rt_exception(unsigned kind, struct rt_frame *f);
void rt_exception(unsigned kind, struct rt_frame *f)
{
	/* rt_call_el0's function returned: resume at EL1h in rt_call_el0. */
	if (kind == 8 && rt_read_esr() == (0x56000000u | RT_SVC_EL0_RETURN)) {
		rt_write_elr((uint64_t)rt_el0_return);
		RT_MSR(spsr_el1, 0x3c5);
		return;
	}
	if (rt_exception_hook) {
		rt_exception_hook(kind, f);
		return;
	}
	rt_puts("FAIL unexpected exception, vector ");
	rt_put_dec(kind);
	rt_puts(" ESR ");
	rt_put_hex(rt_read_esr());
	rt_puts(" ELR ");
	rt_put_hex(rt_read_elr());
	rt_putc('\n');
	failures++;
	rt_exit();
}

void rt_exit(void)
{
	rt_put_dec(checks - failures);
	rt_puts(" passed, ");
	rt_put_dec(failures);
	rt_puts(" failed\n");
	rt_psci(0x84000008, 0, 0, 0); /* SYSTEM_OFF */
	for (;;)
		;
}

/* An identity map with the MMU and caches on: the first GiB (devices) as
 * Device-nGnRnE, execute-never; the second (RAM at 0x40000000) as Normal
 * write-back memory. 4K granule, 39-bit VAs, level-1 blocks. For programs
 * that want Normal-memory behaviour (unaligned accesses, speed). */
static uint64_t rt_l1[512] __attribute__((aligned(4096)));
void rt_mmu_identity(void)
{
	rt_l1[0] = 0x00000000ull | 1ull << 10 | 0ull << 2 | 1ull << 54 | 1ull << 53 | 1; /* AF, Attr0, UXN, PXN */
	rt_l1[1] = 0x40000000ull | 1ull << 10 | 3ull << 8 | 1ull << 2 | 1;            /* AF, inner shareable, Attr1 */
	__asm__ volatile("dsb ish" ::: "memory");
	RT_MSR(mair_el1, 0xff00ull);  /* Attr0 Device-nGnRnE, Attr1 Normal WB */
	RT_MSR(tcr_el1, 25 | 1ull << 8 | 1ull << 10 | 3ull << 12 | 1ull << 23 | 2ull << 32);
	RT_MSR(ttbr0_el1, (uint64_t)rt_l1);
	__asm__ volatile("tlbi vmalle1\n\tdsb ish\n\tisb" ::: "memory");
	RT_MSR(sctlr_el1, RT_MRS(sctlr_el1) | 1 | 1ull << 2 | 1ull << 12); /* M, C, I */
}
