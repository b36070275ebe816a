/* isa-oracle: a freestanding static AArch64 Linux program (no libc) that runs
 * instruction test cases under qemu-aarch64 and reports the resulting state.
 *
 * Build: aarch64-linux-gnu-gcc -static -nostdlib -ffreestanding
 *          -fno-stack-protector -mgeneral-regs-only -O2 -o isa-oracle oracle.c
 * Run:   qemu-aarch64 -cpu cortex-a76 isa-oracle   (binary protocol: isa-case.h)
 *
 * Method: the whole case state is installed through the signal frame. The
 * oracle executes `brk #0x7a7`; its SIGTRAP handler saves the oracle's own
 * context from the ucontext and overwrites the ucontext with the case state
 * (x0..x30, sp, pc = ISA_CASE_PC, pstate = NZCV at EL0t, and the fpsimd
 * record). Returning from the handler (rt_sigreturn) starts the case. The case
 * ends at the next signal (normally SIGTRAP from the `brk #1` that fills the
 * rest of the code page): the handler records the state from the frame and
 * puts the saved oracle context back, so rt_sigreturn resumes the oracle loop.
 * The handler runs on an alternate signal stack, so any case SP is fine.
 * The oracle does not use TLS, so cases may write TPIDR_EL0 freely. */
#include "isa-case.h"

typedef uint64_t u64;
typedef uint32_t u32;
typedef uint8_t u8;

/* ---- raw system calls ---- */
enum {
	NR_sigaltstack = 132, NR_rt_sigaction = 134, NR_rt_sigreturn = 139,
	NR_read = 63, NR_write = 64, NR_exit_group = 94, NR_mmap = 222,
};

static inline long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;
	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory", "cc");
	return x0;
}
#define sys3(nr, a, b, c) sys6(nr, (long)(a), (long)(b), (long)(c), 0, 0, 0)

static __attribute__((noreturn)) void sys_exit(int code)
{
	for (;;)
		sys3(NR_exit_group, code, 0, 0);
}

/* The compiler may emit calls to these even when freestanding. Keep it from
 * turning the loops back into calls to themselves. */
__attribute__((optimize("no-tree-loop-distribute-patterns"))) void *memcpy(void *d, const void *s, size_t n)
{
	u8 *dp = d;
	const u8 *sp = s;
	while (n--)
		*dp++ = *sp++;
	return d;
}
__attribute__((optimize("no-tree-loop-distribute-patterns"))) void *memset(void *d, int c, size_t n)
{
	u8 *dp = d;
	while (n--)
		*dp++ = (u8)c;
	return d;
}

static size_t slen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

static void say(const char *s) { sys3(NR_write, 2, s, slen(s)); }

static void say_hex(u64 v)
{
	char b[19];
	b[0] = '0';
	b[1] = 'x';
	for (int i = 0; i < 16; i++)
		b[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
	b[18] = 0;
	say(b);
}

static __attribute__((noreturn)) void die(const char *msg, int code)
{
	say("isa-oracle: ");
	say(msg);
	say("\n");
	sys_exit(code);
}

static int read_full(void *buf, size_t n)
{
	u8 *p = buf;
	size_t got = 0;
	while (got < n) {
		long r = sys3(NR_read, 0, p + got, n - got);
		if (r == -4) /* EINTR */
			continue;
		if (r < 0)
			die("read error on stdin", 3);
		if (r == 0)
			return got == 0 ? 0 : -1;
		got += (size_t)r;
	}
	return 1;
}

static void write_full(const void *buf, size_t n)
{
	const u8 *p = buf;
	while (n) {
		long r = sys3(NR_write, 1, p, n);
		if (r == -4)
			continue;
		if (r <= 0)
			die("write error on stdout", 3);
		p += r;
		n -= (size_t)r;
	}
}

/* ---- kernel signal ABI (arm64) ---- */
#define K_SIGTRAP 5
#define K_SIGILL 4
#define K_SIGBUS 7
#define K_SIGFPE 8
#define K_SIGSEGV 11
#define K_SA_SIGINFO 0x4ul
#define K_SA_ONSTACK 0x08000000ul
#define K_SA_RESTORER 0x04000000ul
#define FPSIMD_MAGIC 0x46508001u
#define EXTRA_MAGIC 0x45585401u

struct k_siginfo {
	int si_signo, si_errno, si_code, pad;
	u64 si_addr;
};

struct k_sigcontext {
	u64 fault_address;
	u64 regs[31];
	u64 sp, pc, pstate;
	u8 reserved[4096] __attribute__((aligned(16)));
};

struct k_ucontext {
	u64 uc_flags;
	u64 uc_link;
	u64 ss_sp;
	u64 ss_flags;
	u64 ss_size;
	u8 uc_sigmask[128];
	struct k_sigcontext mc __attribute__((aligned(16)));
};

struct k_ctx_head {
	u32 magic, size;
};

struct k_fpsimd {
	struct k_ctx_head head;
	u32 fpsr, fpcr;
	u64 vregs[32][2]; /* __uint128_t, 16-byte aligned at offset 16 */
};

struct k_sigaction {
	void *handler;
	u64 flags;
	void *restorer;
	u64 mask;
};

struct k_stack {
	void *ss_sp;
	int ss_flags;
	u64 ss_size;
};

_Static_assert(__builtin_offsetof(struct k_ucontext, mc) == 176, "ucontext layout");
_Static_assert(__builtin_offsetof(struct k_sigcontext, reserved) == 288, "sigcontext layout");
_Static_assert(__builtin_offsetof(struct k_fpsimd, vregs) == 16, "fpsimd layout");

/* ---- the trampolines ---- */
extern void oracle_start_trap(void);
extern void oracle_restorer(void);
extern char oracle_start_brk[];
__asm__(".text\n"
	".globl oracle_start_trap\n"
	".type oracle_start_trap, %function\n"
	"oracle_start_trap:\n"
	".globl oracle_start_brk\n"
	"oracle_start_brk:\n"
	"	brk #0x7a7\n"
	"	ret\n"
	".size oracle_start_trap, .-oracle_start_trap\n"
	".globl oracle_restorer\n"
	".type oracle_restorer, %function\n"
	"oracle_restorer:\n"
	"	mov x8, #139\n" /* rt_sigreturn */
	"	svc #0\n"
	".size oracle_restorer, .-oracle_restorer\n"
	".globl _start\n"
	".type _start, %function\n"
	"_start:\n"
	"	mov x29, #0\n"
	"	mov x30, #0\n"
	"	bl oracle_main\n"
	"	mov x8, #94\n"
	"	svc #0\n"
	".size _start, .-_start\n");

/* ---- state shared between the loop and the handler ---- */
/* The signal stack lives at a fixed address no generated SP is likely to
 * hit. When a case leaves SP inside the alternate stack, the kernel (and
 * qemu-user) treats the handler as already on it and puts the frame just
 * below SP, over whatever precedes the stack: as a .bss array that was the
 * oracle's own state, and 32-bit or small SP values reached it. */
#define ALTSTACK_BASE 0x5a3c9e000000ull
#define ALTSTACK_SIZE (256 * 1024)

enum { ST_IDLE, ST_RUNNING };
static volatile int g_state = ST_IDLE;
static const struct isa_case *volatile g_case;
static struct isa_result g_res;
static struct isa_case g_case_buf;

static struct {
	u64 regs[31], sp, pc, pstate;
	u32 fpsr, fpcr;
	u64 v[32][2];
} g_saved;

static struct k_fpsimd *find_fpsimd(struct k_sigcontext *mc)
{
	u32 off = 0;
	while (off + sizeof(struct k_ctx_head) <= sizeof(mc->reserved)) {
		struct k_ctx_head *h = (struct k_ctx_head *)(mc->reserved + off);
		if (h->magic == FPSIMD_MAGIC)
			return (struct k_fpsimd *)h;
		if (h->magic == 0 || h->size < sizeof(*h))
			break;
		off += h->size;
	}
	return 0;
}

static void handler(int sig, struct k_siginfo *si, void *ucv)
{
	struct k_ucontext *uc = ucv;
	struct k_sigcontext *mc = &uc->mc;
	struct k_fpsimd *fp = find_fpsimd(mc);

	if (!fp)
		die("no fpsimd record in the signal frame", 5);

	if (g_state == ST_IDLE) {
		if (sig != K_SIGTRAP || mc->pc != (u64)oracle_start_brk) {
			say("isa-oracle: unexpected signal in the oracle itself, pc=");
			say_hex(mc->pc);
			say("\n");
			sys_exit(4);
		}
		const struct isa_case *c = g_case;
		for (int i = 0; i < 31; i++) {
			g_saved.regs[i] = mc->regs[i];
			mc->regs[i] = c->x[i];
		}
		g_saved.sp = mc->sp;
		g_saved.pc = mc->pc;
		g_saved.pstate = mc->pstate;
		g_saved.fpsr = fp->fpsr;
		g_saved.fpcr = fp->fpcr;
		for (int i = 0; i < 32; i++) {
			g_saved.v[i][0] = fp->vregs[i][0];
			g_saved.v[i][1] = fp->vregs[i][1];
			fp->vregs[i][0] = c->v[i][0];
			fp->vregs[i][1] = c->v[i][1];
		}
		mc->sp = c->sp;
		mc->pc = ISA_CASE_PC;
		mc->pstate = c->nzcv & 0xf0000000u; /* EL0t, DAIF clear */
		fp->fpsr = c->fpsr;
		fp->fpcr = c->fpcr;
		g_state = ST_RUNNING;
		return;
	}

	struct isa_result *r = &g_res;
	r->magic = ISA_RESULT_MAGIC;
	r->signo = sig;
	r->si_code = si->si_code;
	r->fault_addr = si->si_addr;
	r->pc = mc->pc;
	r->nzcv = (u32)mc->pstate & 0xf0000000u;
	for (int i = 0; i < 31; i++) {
		r->x[i] = mc->regs[i];
		mc->regs[i] = g_saved.regs[i];
	}
	r->sp = mc->sp;
	r->fpcr = fp->fpcr;
	r->fpsr = fp->fpsr;
	for (int i = 0; i < 32; i++) {
		r->v[i][0] = fp->vregs[i][0];
		r->v[i][1] = fp->vregs[i][1];
		fp->vregs[i][0] = g_saved.v[i][0];
		fp->vregs[i][1] = g_saved.v[i][1];
	}
	mc->sp = g_saved.sp;
	mc->pc = g_saved.pc + 4; /* past the start brk */
	mc->pstate = g_saved.pstate;
	fp->fpsr = g_saved.fpsr;
	fp->fpcr = g_saved.fpcr;
	g_state = ST_IDLE;
}

static void install_handlers(void)
{
	struct k_stack ss = { (void *)ALTSTACK_BASE, 0, ALTSTACK_SIZE };
	if (sys3(NR_sigaltstack, &ss, 0, 0) != 0)
		die("sigaltstack failed", 2);
	static const int sigs[] = { K_SIGTRAP, K_SIGILL, K_SIGSEGV, K_SIGBUS, K_SIGFPE };
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct k_sigaction sa = {
			.handler = (void *)handler,
			.flags = K_SA_SIGINFO | K_SA_ONSTACK | K_SA_RESTORER,
			.restorer = (void *)oracle_restorer,
			.mask = 0,
		};
		if (sys6(NR_rt_sigaction, sigs[i], (long)&sa, 0, 8, 0, 0) != 0)
			die("rt_sigaction failed", 2);
	}
}

static void *map_fixed(u64 addr, u64 size, int prot)
{
	long r = sys6(NR_mmap, (long)addr, (long)size, prot, 0x02 | 0x20 | 0x10 /* PRIVATE|ANON|FIXED */, -1, 0);
	if (r != (long)addr)
		die("mmap at a fixed address failed", 2);
	return (void *)r;
}

static void sync_code(u64 start, u64 end)
{
	for (u64 a = start & ~63ull; a < end; a += 64)
		__asm__ volatile("dc cvau, %0" ::"r"(a) : "memory");
	__asm__ volatile("dsb ish" ::: "memory");
	for (u64 a = start & ~63ull; a < end; a += 64)
		__asm__ volatile("ic ivau, %0" ::"r"(a) : "memory");
	__asm__ volatile("dsb ish\n\tisb" ::: "memory");
}

void oracle_main(void);
void oracle_main(void)
{
	map_fixed(ALTSTACK_BASE, ALTSTACK_SIZE, 3);
	install_handlers();
	u32 *code = map_fixed(ISA_CODE_BASE, ISA_CODE_SIZE, 7);
	u64 *data = map_fixed(ISA_DATA_BASE, ISA_DATA_SIZE, 3);
	for (u64 i = 0; i < ISA_CODE_SIZE / 4; i++)
		code[i] = ISA_INSN_END;
	sync_code(ISA_CODE_BASE, ISA_CODE_BASE + ISA_CODE_SIZE);

	struct isa_hello hello = { ISA_HELLO_MAGIC, ISA_PROTO_VERSION, sizeof(struct isa_case),
				   (u32)ISA_RESULT_HDR_SIZE };
	write_full(&hello, sizeof(hello));

	u32 *slot = code + ISA_CASE_OFF / 4;
	struct isa_case *c = &g_case_buf;
	for (;;) {
		int rr = read_full(c, sizeof(*c));
		if (rr == 0)
			sys_exit(0);
		if (rr < 0)
			die("truncated case on stdin", 3);
		if (c->magic != ISA_CASE_MAGIC || c->ninsn < 1 || c->ninsn > ISA_MAX_INSN)
			die("bad case record (magic or ninsn)", 3);

		for (u32 i = 0; i < ISA_MAX_INSN; i++)
			slot[i] = i < c->ninsn ? c->insn[i] : ISA_INSN_END;
		sync_code((u64)slot, (u64)(slot + ISA_MAX_INSN));
		isa_fill_mem(data, c->mem_seed);

		g_case = c;
		__asm__ volatile("msr tpidr_el0, xzr" ::: "memory");
		oracle_start_trap();
		if (g_state != ST_IDLE)
			die("case did not end through the handler", 4);

		/* Send the header, then the chunks of the data page that differ
		 * from the seeded fill. */
		struct isa_result *r = &g_res;
		u64 dirty = 0;
		u64 s = c->mem_seed;
		for (unsigned w = 0; w < ISA_DATA_SIZE / 8; w++)
			if (data[w] != isa_splitmix64(&s))
				dirty |= 1ull << (w * 8 / ISA_MEM_CHUNK);
		r->mem_dirty = dirty;
		write_full(r, ISA_RESULT_HDR_SIZE);
		for (unsigned k = 0; k < 64; k++)
			if (dirty >> k & 1)
				write_full((u8 *)data + k * ISA_MEM_CHUNK, ISA_MEM_CHUNK);
	}
}
