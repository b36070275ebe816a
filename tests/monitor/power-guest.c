/* A guest for the monitor tests: says it is up, ticks on the generic
 * timer, and powers off (PSCI SYSTEM_OFF) when the power button is pressed:
 * an edge on the PL061's line 3 (QMP system_powerdown), found by polling
 * GPIORIS as a driver would find it in its interrupt handler. */
#include "rt/rt.h"

#define GPIO 0x09030000ul

static inline void w32(uint64_t off, uint32_t v) { *(volatile uint32_t *)(GPIO + off) = v; }
static inline uint32_t r32(uint64_t off) { return *(volatile uint32_t *)(GPIO + off); }

int main(void)
{
	rt_puts("power-guest: up\n");
	rt_check(r32(0xfe0) == 0x61 && r32(0xfe4) == 0x10 && r32(0xff0) == 0x0d && r32(0xffc) == 0xb1, "PL061 IDs");
	rt_check(r32(0x400) == 0 && r32(0x410) == 0 && r32(0x414) == 0, "PL061 reset state");
	w32(0x404, 0);      /* GPIOIS: edge */
	w32(0x408, 1 << 3); /* GPIOIBE: both edges (Linux gpio-keys asks for both) */
	w32(0x410, 1 << 3); /* GPIOIE */
	uint64_t frq = RT_MRS(cntfrq_el0), next = RT_MRS(cntvct_el0), ticks = 0;
	for (;;) {
		if (r32(0x418) & (1 << 3)) { /* GPIOMIS */
			w32(0x41c, 1 << 3);
			rt_puts("power-guest: power button pressed\n");
			break;
		}
		uint64_t now = RT_MRS(cntvct_el0);
		if (now >= next) {
			rt_puts("power-guest: tick ");
			rt_put_dec(ticks++);
			rt_putc('\n');
			next = now + frq / 5;
		}
	}
	return 0; /* rt_exit: the summary, then SYSTEM_OFF */
}
