/* Stores to code pages under hvc-patch's W^X (-M virt,hvc-patch=on), the
 * way kernels make them: Linux writes its text through a second mapping
 * (the fixmap alias), JITs rewrite code they run, another CPU stores where
 * this one executes. Each must complete, with few permission faults (the
 * runner checks avmm's --stats counters). hvc-patch decides by guest
 * physical page, not VA: on the old VA compare, A and B never finish.
 *
 * The code region is five 16 KiB blocks (HVF's protection granule; the
 * soft CPU's is 4 KiB), also mapped at ALIAS_VA (read/write, never
 * executable):
 *  G0 A: a loop stores through the alias into its own 4 KiB page;
 *  G1 B: ... into the next 4 KiB page, the same 16 KiB granule;
 *  G2 C: ... into its own page through its own (identity) VA;
 *  G3 D: code elsewhere rewrites a function here, then calls it, 1000 times;
 *  G4 E: (-smp 2) vCPU 1 runs a loop here while vCPU 0 stores into this
 *        granule through the alias, in lockstep, 1000 times.
 * Architectural behaviour only: runs on qemu-system-aarch64 too. */
#include "rt/rt.h"

#define ALIAS_VA 0x80000000ull
#define GRAN16 0x4000ull
#define NREGION 5
#define ITER 1000

extern uint32_t hp_region[];
extern uint64_t hp_store_g0(uint32_t *target, uint64_t n);
extern uint64_t hp_store_g1(uint32_t *target, uint64_t n);
extern uint64_t hp_store_g2(uint32_t *target, uint64_t n);
extern uint32_t hp_jit[];
extern void hp_follow(volatile uint32_t *seq, volatile uint32_t *ack, uint64_t n);
extern uint32_t hp_seq[];

/* Each stores n (n, n-1, ..., 1) to *target, one str per iteration. */
#define STORE_LOOP(name)                   \
	".balign 16384\n"                  \
	".globl " #name "\n" #name ":\n"   \
	"1:	str	w1, [x0]\n"        \
	"	subs	x1, x1, #1\n"      \
	"	b.ne	1b\n"              \
	"	ret\n"

__asm__(".section .text.hvcregion, \"ax\"\n"
	".balign 16384\n"
	".globl hp_region\nhp_region:\n"
	STORE_LOOP(hp_store_g0)
	STORE_LOOP(hp_store_g1)
	STORE_LOOP(hp_store_g2)
	/* G3: rewritten by jit_test */
	".balign 16384\n"
	".globl hp_jit\nhp_jit:\n"
	"	mov	w0, #0\n"
	"	ret\n"
	/* G4: hp_follow(seq, ack, n): for i = 1..n wait for *seq == i, then
	 * *ack = i. seq is hp_seq, in this granule. */
	".balign 16384\n"
	".globl hp_follow\nhp_follow:\n"
	"	mov	x3, #1\n"
	"1:	ldr	w4, [x0]\n"
	"	cmp	w4, w3\n"
	"	b.eq	2f\n"
	"	wfe\n"
	"	b	1b\n"
	"2:	str	w3, [x1]\n"
	"	sev\n"
	"	add	x3, x3, #1\n"
	"	cmp	x3, x2\n"
	"	b.ls	1b\n"
	"	ret\n"
	".balign 2048\n"
	".globl hp_seq\nhp_seq:\n"
	"	.word	0\n"
	".balign 16384\n"
	".text\n");

/* ---- page tables: 4 KiB granule, 39-bit VAs, identity + the alias ---------- */

static uint64_t l1[512] __attribute__((aligned(4096)));
static uint64_t l2[512] __attribute__((aligned(4096)));
static uint64_t l3[512] __attribute__((aligned(4096)));

#define D_AF (1ull << 10)
#define D_ISH (3ull << 8)
#define D_NORMAL (1ull << 2) /* Attr1 */
#define D_XN (1ull << 54 | 1ull << 53)
#define MAIR 0xff00ull
#define TCR (25 | 1ull << 8 | 1ull << 10 | 3ull << 12 | 1ull << 23 | 2ull << 32)
#define SCTLR_MCI (1ull | 1ull << 2 | 1ull << 12)

static void mmu_on(void)
{
	RT_MSR(mair_el1, MAIR);
	RT_MSR(tcr_el1, TCR);
	RT_MSR(ttbr0_el1, (uint64_t)l1);
	__asm__ volatile("tlbi vmalle1\n\tdsb ish\n\tisb" ::: "memory");
	RT_MSR(sctlr_el1, RT_MRS(sctlr_el1) | SCTLR_MCI);
}

static void build_tables(void)
{
	l1[0] = 0x00000000ull | D_AF | D_XN | 1;                /* devices */
	l1[1] = 0x40000000ull | D_AF | D_ISH | D_NORMAL | 1;    /* RAM, identity */
	l1[2] = (uint64_t)l2 | 3;                               /* ALIAS_VA */
	l2[0] = (uint64_t)l3 | 3;
	uint64_t pa = (uint64_t)hp_region;
	for (unsigned i = 0; i < NREGION * GRAN16 / 4096; i++)
		l3[i] = (pa + i * 4096ull) | D_AF | D_ISH | D_NORMAL | D_XN | 3;
	__asm__ volatile("dsb ish" ::: "memory");
}

static volatile uint32_t *alias_at(uint64_t off)
{
	return (volatile uint32_t *)(ALIAS_VA + off);
}

static volatile uint32_t *word_at(uint64_t off)
{
	return (volatile uint32_t *)((uint64_t)hp_region + off);
}

/* ---- D: a function rewritten while it is called --------------------------- */

static void jit_write(uint32_t imm)
{
	volatile uint32_t *f = (volatile uint32_t *)hp_jit;
	f[0] = 0x52800000u | (imm & 0xffff) << 5; /* movz w0, #imm */
	f[1] = 0xd65f03c0u;                       /* ret */
	__asm__ volatile("dc cvau, %0\n\tdsb ish\n\tic ivau, %0\n\tdsb ish\n\tisb" ::"r"(hp_jit) : "memory");
}

static int jit_test(void)
{
	uint32_t (*fn)(void) = (uint32_t(*)(void))(uintptr_t)hp_jit;
	for (uint32_t i = 1; i <= ITER; i++) {
		jit_write(i);
		if (fn() != i)
			return 0;
	}
	return 1;
}

/* ---- E: vCPU 1 runs in G4 while vCPU 0 stores into it ---------------------- */

static volatile uint32_t ack, cpu1_state;
static uint8_t cpu1_stack[8192] __attribute__((aligned(16)));

void cpu1_main(void);
void cpu1_main(void)
{
	mmu_on();
	cpu1_state = 1;
	__asm__ volatile("sev");
	hp_follow(hp_seq, &ack, ITER);
	cpu1_state = 2;
	rt_psci(0x84000002, 0, 0, 0); /* CPU_OFF */
	for (;;)
		;
}

__asm__(".text\n"
	".globl cpu1_entry\ncpu1_entry:\n"
	"	mov	sp, x0\n"
	"	adrp	x1, rt_vectors\n"
	"	add	x1, x1, :lo12:rt_vectors\n"
	"	msr	vbar_el1, x1\n"
	"	isb\n"
	"	bl	cpu1_main\n"
	"1:	b	1b\n");
extern char cpu1_entry[];

static void wait_for(volatile uint32_t *v, uint32_t want)
{
	while (*v != want)
		__asm__ volatile("wfe");
}

static void smp_test(void)
{
	long r = rt_psci(0xc4000003, 1, (uint64_t)cpu1_entry, (uint64_t)(cpu1_stack + sizeof(cpu1_stack)));
	rt_check(r == 0, "E: CPU_ON vCPU 1");
	if (r)
		return;
	wait_for(&cpu1_state, 1);
	volatile uint32_t *seq = alias_at((uint64_t)hp_seq - (uint64_t)hp_region);
	for (uint32_t i = 1; i <= ITER; i++) {
		*seq = i;
		__asm__ volatile("dsb ish\n\tsev" ::: "memory");
		wait_for(&ack, i);
	}
	wait_for(&cpu1_state, 2);
	rt_check(hp_seq[0] == ITER, "E: vCPU 0 stored through the alias into the granule vCPU 1 runs in");
}

int main(void)
{
	build_tables();
	mmu_on();
	uint64_t g0 = 0, g1 = GRAN16, g2 = 2 * GRAN16;

	hp_store_g0((uint32_t *)alias_at(g0 + 0x800), ITER);
	rt_check(*word_at(g0 + 0x800) == 1, "A: stores through an alias into the storing loop's own page");
	hp_store_g1((uint32_t *)alias_at(g1 + 0x1800), ITER);
	rt_check(*word_at(g1 + 0x1800) == 1, "B: ... into the next 4 KiB page of its 16 KiB granule");
	hp_store_g2((uint32_t *)word_at(g2 + 0x800), ITER);
	rt_check(*word_at(g2 + 0x800) == 1, "C: ... into its own page through its own VA");
	rt_check(jit_test(), "D: a function rewritten and called 1000 times returns each new value");
	if ((RT_MRS(mpidr_el1) & 0xff) == 0 && rt_psci(0x84000004, 1, 0, 0) != -2) /* AFFINITY_INFO: vCPU 1 exists */
		smp_test();
	return 0;
}
