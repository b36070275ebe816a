/* A64 branches and exception-generating instructions. */
#include "cpu/internal.h"
#include "a64-decode.h"

/* ---- Immediate branches ----
 * Every control-flow handler marks itself as the end of the chain
 * (cpu_branch_mark: the run loop counts instructions with it). A taken
 * branch returns to the run loop, except a forward one inside the page; a
 * branch not taken continues the chain.
 * Pages are 4 KiB in VA and PA alike, so whether an immediate branch stays
 * in its page is known when decoding: the _near handlers return the target
 * entry directly (d->imm is the entry delta), the others go through
 * cpu_goto (d->imm is the byte offset). */

static const dinsn *h_b(struct a64_cpu *c, const dinsn *d)
{
	cpu_branch_mark(c, d);
	return cpu_goto(c, insn_pc(c, d) + d->imm);
}
/* Taken, in the page: forward the chain goes on (cpu_next_skip), backward
 * (a loop) a new chain starts at the target while the chunk has room
 * (cpu_loop_back), so a loop's iterations do not go through the run loop. */
static inline const dinsn *near_taken(struct a64_cpu *c, const dinsn *d)
{
	int64_t delta = (int64_t)d->imm;
	if (delta > 0)
		return cpu_next_skip(c, d + delta, (uint64_t)delta - 1);
	return cpu_loop_back(c, d, d + delta);
}

static const dinsn *h_b_near(struct a64_cpu *c, const dinsn *d)
{
	cpu_branch_mark(c, d);
	return near_taken(c, d);
}

static const dinsn *h_bl(struct a64_cpu *c, const dinsn *d)
{
	uint64_t pc = insn_pc(c, d);
	cpu_branch_mark(c, d);
	c->x[30] = pc + 4;
	return cpu_goto(c, pc + d->imm);
}
static const dinsn *h_bl_near(struct a64_cpu *c, const dinsn *d)
{
	cpu_branch_mark(c, d);
	c->x[30] = insn_pc(c, d) + 4;
	return near_taken(c, d);
}

/* Picks the near or far handler for a branch by `off` bytes from s->d and
 * sets d->imm accordingly. */
static void set_target(struct a64_dctx *s, int64_t off, dinsn_fn far, dinsn_fn near)
{
	int64_t t = (s->d - s->c->cur_dp->e) * 4 + off;
	if (t >= 0 && t < 0x1000) {
		s->d->fn = near;
		s->d->imm = (uint64_t)(off / 4);
	} else {
		s->d->fn = far;
		s->d->imm = (uint64_t)off;
	}
}

bool trans_B(struct a64_dctx *s, arg_B *a)
{
	set_target(s, (int64_t)a->imm * 4, h_b, h_b_near);
	return true;
}

bool trans_BL(struct a64_dctx *s, arg_BL *a)
{
	set_target(s, (int64_t)a->imm * 4, h_bl, h_bl_near);
	return true;
}

#define DEF_CBR(name, COND)                                                     \
	static const dinsn *h_##name(struct a64_cpu *c, const dinsn *d)          \
	{                                                                        \
		cpu_branch_mark(c, d);                                           \
		if (COND)                                                        \
			return cpu_goto(c, insn_pc(c, d) + d->imm);              \
		return cpu_next(c, d + 1);                          \
	}                                                                        \
	static const dinsn *h_##name##_near(struct a64_cpu *c, const dinsn *d)   \
	{                                                                        \
		cpu_branch_mark(c, d);                                           \
		if (COND)                                                        \
			return near_taken(c, d);                                 \
		return cpu_next(c, d + 1);                          \
	}

DEF_CBR(cbz64, c->x[d->rd] == 0)
DEF_CBR(cbnz64, c->x[d->rd] != 0)
DEF_CBR(cbz32, (uint32_t)c->x[d->rd] == 0)
DEF_CBR(cbnz32, (uint32_t)c->x[d->rd] != 0)
DEF_CBR(tbz, !((c->x[d->rd] >> d->f0) & 1))
DEF_CBR(tbnz, (c->x[d->rd] >> d->f0) & 1)
/* B.cond: one handler pair per condition, so the test is straight-line
 * code with a constant condition (loops test these on every iteration). */
#define DEF_BCOND(n) DEF_CBR(bcond##n, cond_holds(c, n))
DEF_BCOND(0) DEF_BCOND(1) DEF_BCOND(2) DEF_BCOND(3) DEF_BCOND(4) DEF_BCOND(5) DEF_BCOND(6) DEF_BCOND(7)
DEF_BCOND(8) DEF_BCOND(9) DEF_BCOND(10) DEF_BCOND(11) DEF_BCOND(12) DEF_BCOND(13) DEF_BCOND(14) DEF_BCOND(15)
#undef DEF_BCOND
/* B.NE in the page, by name: a flag-setting handler that this entry follows
 * jumps to it directly (exec-dp.c). */
const dinsn *h_bne_near(struct a64_cpu *c, const dinsn *d)
{
	return h_bcond1_near(c, d);
}

bool trans_CBZ(struct a64_dctx *s, arg_CBZ *a)
{
	static const dinsn_fn fns[2][2][2] = {
		{ { h_cbz32, h_cbnz32 }, { h_cbz64, h_cbnz64 } },
		{ { h_cbz32_near, h_cbnz32_near }, { h_cbz64_near, h_cbnz64_near } },
	};
	set_target(s, (int64_t)a->imm * 4, fns[0][a->sf][a->nz], fns[1][a->sf][a->nz]);
	s->d->rd = reg_zr((unsigned)a->rt);
	return true;
}

bool trans_TBZ(struct a64_dctx *s, arg_TBZ *a)
{
	if (a->nz)
		set_target(s, (int64_t)a->imm * 4, h_tbnz, h_tbnz_near);
	else
		set_target(s, (int64_t)a->imm * 4, h_tbz, h_tbz_near);
	s->d->rd = reg_zr((unsigned)a->rt);
	s->d->f0 = (uint8_t)(a->b5 << 5 | a->b40);
	return true;
}

bool trans_B_cond(struct a64_dctx *s, arg_B_cond *a)
{
#define BC(n) h_bcond##n
#define BCN(n) h_bcond##n##_near
#define TAB(X) { X(0), X(1), X(2), X(3), X(4), X(5), X(6), X(7), X(8), X(9), X(10), X(11), X(12), X(13), X(14), X(15) }
	static const dinsn_fn far[16] = TAB(BC), near[16] = TAB(BCN);
#undef TAB
#undef BCN
#undef BC
	set_target(s, (int64_t)a->imm * 4, far[a->cond & 15], near[a->cond & 15]);
	if (s->d->fn == h_bcond1_near)
		s->d->fn = h_bne_near;
	s->d->f0 = (uint8_t)a->cond;
	return true;
}

/* ---- Register branches ---- */

static const dinsn *h_br(struct a64_cpu *c, const dinsn *d)
{
	cpu_branch_mark(c, d);
	return cpu_goto(c, c->x[d->rn]);
}
static const dinsn *h_blr(struct a64_cpu *c, const dinsn *d)
{
	uint64_t target = c->x[d->rn]; /* read before writing X30 (BLR X30) */
	cpu_branch_mark(c, d);
	c->x[30] = insn_pc(c, d) + 4;
	return cpu_goto(c, target);
}

bool trans_BR(struct a64_dctx *s, arg_BR *a)
{
	s->d->fn = h_br;
	s->d->rn = reg_zr((unsigned)a->rn);
	return true;
}
bool trans_BLR(struct a64_dctx *s, arg_BLR *a)
{
	s->d->fn = h_blr;
	s->d->rn = reg_zr((unsigned)a->rn);
	return true;
}
bool trans_RET(struct a64_dctx *s, arg_RET *a)
{
	s->d->fn = h_br;
	s->d->rn = reg_zr((unsigned)a->rn);
	return true;
}

static const dinsn *h_eret(struct a64_cpu *c, const dinsn *d)
{
	if (c->el == 0)
		cpu_undef(c, d);
	uint64_t target = c->elr_el1;
	cpu_set_pstate_from_spsr(c, c->spsr_el1);
	c->excl_addr = ~0ull; /* an exception return clears the local monitor */
	cpu_resync(c, target);
}

bool trans_ERET(struct a64_dctx *s, arg_ERET *a)
{
	(void)a;
	s->d->fn = h_eret;
	return true;
}

/* ---- Exception generation ---- */

static const dinsn *h_svc(struct a64_cpu *c, const dinsn *d)
{
	cpu_exception(c, insn_pc(c, d) + 4, (uint32_t)EC_SVC64 << 26 | 1u << 25 | (uint32_t)d->imm, 0, false);
}

/* HVC: UNDEFINED at EL0; at EL1 it exits to the VMM with PC already past
 * the instruction, as Hypervisor.framework reports it. */
static const dinsn *h_hvc(struct a64_cpu *c, const dinsn *d)
{
	if (c->el == 0)
		cpu_undef(c, d);
	uint64_t pc = insn_pc(c, d);
	cpu_exit_to_vmm(c, pc + 4, ACCEL_EXIT_EXCEPTION, (uint64_t)EC_HVC64 << 26 | 1u << 25 | d->imm, 0, 0);
}

/* SMC: trapped to the hypervisor (HCR_EL2.TSC); PC at the instruction. */
static const dinsn *h_smc(struct a64_cpu *c, const dinsn *d)
{
	if (c->el == 0)
		cpu_undef(c, d);
	uint64_t pc = insn_pc(c, d);
	cpu_exit_to_vmm(c, pc, ACCEL_EXIT_EXCEPTION, (uint64_t)EC_SMC64 << 26 | 1u << 25 | d->imm, 0, 0);
}

static const dinsn *h_brk(struct a64_cpu *c, const dinsn *d)
{
	uint64_t pc = insn_pc(c, d);
	uint32_t esr = (uint32_t)EC_BRK << 26 | 1u << 25 | (uint32_t)d->imm;
	if (c->trap_debug) /* MDCR_EL2.TDE: debug exceptions go to the VMM */
		cpu_exit_to_vmm(c, pc, ACCEL_EXIT_EXCEPTION, esr, 0, 0);
	cpu_exception(c, pc, esr, 0, false);
}

bool trans_SVC(struct a64_dctx *s, arg_SVC *a)
{
	s->d->fn = h_svc;
	s->d->imm = (uint64_t)a->imm;
	return true;
}
bool trans_HVC(struct a64_dctx *s, arg_HVC *a)
{
	s->d->fn = h_hvc;
	s->d->imm = (uint64_t)a->imm;
	return true;
}
bool trans_SMC(struct a64_dctx *s, arg_SMC *a)
{
	s->d->fn = h_smc;
	s->d->imm = (uint64_t)a->imm;
	return true;
}
bool trans_BRK(struct a64_dctx *s, arg_BRK *a)
{
	s->d->fn = h_brk;
	s->d->imm = (uint64_t)a->imm;
	return true;
}
/* HLT: halting debug is not enabled (EDSCR.HDE = 0), so UNDEFINED. */
bool trans_HLT(struct a64_dctx *s, arg_HLT *a)
{
	(void)s; (void)a;
	return false;
}
