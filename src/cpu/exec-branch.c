/* A64 branches and exception-generating instructions. */
#include "cpu/internal.h"
#include "a64-decode.h"

/* ---- Immediate branches: d->imm is the signed byte offset ---- */

static const dinsn *h_b(struct a64_cpu *c, const dinsn *d)
{
	return cpu_goto(c, insn_pc(c, d) + d->imm);
}

static const dinsn *h_bl(struct a64_cpu *c, const dinsn *d)
{
	uint64_t pc = insn_pc(c, d);
	c->x[30] = pc + 4;
	return cpu_goto(c, pc + d->imm);
}

bool trans_B(struct a64_dctx *s, arg_B *a)
{
	s->d->fn = h_b;
	s->d->imm = (uint64_t)(a->imm * 4);
	return true;
}

bool trans_BL(struct a64_dctx *s, arg_BL *a)
{
	s->d->fn = h_bl;
	s->d->imm = (uint64_t)(a->imm * 4);
	return true;
}

static const dinsn *h_cbz64(struct a64_cpu *c, const dinsn *d)
{
	return c->x[d->rd] == 0 ? cpu_goto(c, insn_pc(c, d) + d->imm) : d + 1;
}
static const dinsn *h_cbnz64(struct a64_cpu *c, const dinsn *d)
{
	return c->x[d->rd] != 0 ? cpu_goto(c, insn_pc(c, d) + d->imm) : d + 1;
}
static const dinsn *h_cbz32(struct a64_cpu *c, const dinsn *d)
{
	return (uint32_t)c->x[d->rd] == 0 ? cpu_goto(c, insn_pc(c, d) + d->imm) : d + 1;
}
static const dinsn *h_cbnz32(struct a64_cpu *c, const dinsn *d)
{
	return (uint32_t)c->x[d->rd] != 0 ? cpu_goto(c, insn_pc(c, d) + d->imm) : d + 1;
}

bool trans_CBZ(struct a64_dctx *s, arg_CBZ *a)
{
	static const dinsn_fn fns[2][2] = { { h_cbz32, h_cbnz32 }, { h_cbz64, h_cbnz64 } };
	s->d->fn = fns[a->sf][a->nz];
	s->d->rd = reg_zr((unsigned)a->rt);
	s->d->imm = (uint64_t)(a->imm * 4);
	return true;
}

static const dinsn *h_tbz(struct a64_cpu *c, const dinsn *d)
{
	return !((c->x[d->rd] >> d->f0) & 1) ? cpu_goto(c, insn_pc(c, d) + d->imm) : d + 1;
}
static const dinsn *h_tbnz(struct a64_cpu *c, const dinsn *d)
{
	return ((c->x[d->rd] >> d->f0) & 1) ? cpu_goto(c, insn_pc(c, d) + d->imm) : d + 1;
}

bool trans_TBZ(struct a64_dctx *s, arg_TBZ *a)
{
	s->d->fn = a->nz ? h_tbnz : h_tbz;
	s->d->rd = reg_zr((unsigned)a->rt);
	s->d->f0 = (uint8_t)(a->b5 << 5 | a->b40);
	s->d->imm = (uint64_t)(a->imm * 4);
	return true;
}

static const dinsn *h_bcond(struct a64_cpu *c, const dinsn *d)
{
	return cond_holds(c, d->f0) ? cpu_goto(c, insn_pc(c, d) + d->imm) : d + 1;
}
/* Common conditions specialised: loops test these on every iteration. */
static const dinsn *h_beq(struct a64_cpu *c, const dinsn *d)
{
	return c->zf == 0 ? cpu_goto(c, insn_pc(c, d) + d->imm) : d + 1;
}
static const dinsn *h_bne(struct a64_cpu *c, const dinsn *d)
{
	return c->zf != 0 ? cpu_goto(c, insn_pc(c, d) + d->imm) : d + 1;
}

bool trans_B_cond(struct a64_dctx *s, arg_B_cond *a)
{
	s->d->fn = a->cond == 0 ? h_beq : a->cond == 1 ? h_bne : h_bcond;
	s->d->f0 = (uint8_t)a->cond;
	s->d->imm = (uint64_t)(a->imm * 4);
	return true;
}

/* ---- Register branches ---- */

static const dinsn *h_br(struct a64_cpu *c, const dinsn *d)
{
	return cpu_goto(c, c->x[d->rn]);
}
static const dinsn *h_blr(struct a64_cpu *c, const dinsn *d)
{
	uint64_t target = c->x[d->rn]; /* read before writing X30 (BLR X30) */
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
