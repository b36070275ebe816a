/* Power-off while every CPU runs broadcast TLB maintenance (issue 12,
 * defect 2). CPU 0 starts the others (PSCI CPU_ON), each of which loops on
 * TLBI VMALLE1IS; DSB ISH forever, counting its iterations; CPU 0 runs the
 * same loop until every CPU has counted some, then powers off with the
 * others still in the middle of their loops. The VMM then stops and
 * destroys each vCPU on its own thread while the others may be waiting for
 * its acknowledgement: the old soft CPU read a destroyed vCPU there (ASan
 * reports a heap-use-after-free; repeat-guest.py runs this many times). */
#include "rt/rt.h"

#define NCPUS 4
#define PSCI_CPU_ON 0xc4000003u

static volatile uint64_t counts[NCPUS];

/* x0: this CPU's counter. Runs with the MMU off: no stack needed. */
void tlbi_spin(void);
__asm__(".globl tlbi_spin\n"
	"tlbi_spin:\n"
	"1:	tlbi vmalle1is\n"
	"	dsb ish\n"
	"	ldr x2, [x0]\n"
	"	add x2, x2, #1\n"
	"	str x2, [x0]\n"
	"	b 1b\n");

static void tlbi_once(void)
{
	__asm__ volatile("tlbi vmalle1is\n\tdsb ish" ::: "memory");
}

int main(void)
{
	unsigned started = 1;
	for (unsigned i = 1; i < NCPUS; i++)
		started += rt_psci(PSCI_CPU_ON, i, (uint64_t)tlbi_spin, (uint64_t)&counts[i]) == 0;
	rt_check(started == NCPUS, "CPU_ON for every secondary CPU");
	/* Wait (bounded) until every CPU has run its loop a while. */
	unsigned ready = 0;
	for (uint64_t n = 0; n < 50000000 && ready < NCPUS; n++) {
		tlbi_once();
		counts[0]++;
		ready = 0;
		for (unsigned i = 0; i < NCPUS; i++)
			ready += counts[i] >= 200;
	}
	rt_check(ready == NCPUS, "every CPU in its TLBI loop");
	return 0; /* power off now, the others mid-loop */
}
