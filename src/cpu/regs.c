/* Register access for the VMM (accelerator get/set). */
#include "cpu/internal.h"

uint64_t a64_get_reg(struct a64_cpu *c, enum accel_reg r)
{
	if (r <= 30)
		return c->x[r];
	switch (r) {
	case ACCEL_REG_PC: return c->pc;
	case ACCEL_REG_FPCR: return c->fpcr;
	case ACCEL_REG_FPSR: return c->fpsr;
	case ACCEL_REG_CPSR: return cpu_get_spsr_pstate(c);
	default: return 0;
	}
}

void a64_set_reg(struct a64_cpu *c, enum accel_reg r, uint64_t v)
{
	if (r <= 30) {
		c->x[r] = v;
		return;
	}
	switch (r) {
	case ACCEL_REG_PC: c->pc = v; break;
	case ACCEL_REG_FPCR: c->fpcr = (uint32_t)v & 0x07c00000u; break;
	case ACCEL_REG_FPSR: c->fpsr = (uint32_t)v & 0x0800009fu; break;
	case ACCEL_REG_CPSR: {
		/* The VMM may set any legal EL0/EL1 state directly. */
		unsigned m = v & 0x1f;
		if (m == 0x0 || m == 0x4 || m == 0x5)
			cpu_set_el_spsel(c, m >> 2, m & 1);
		set_nzcv(c, v);
		c->daif = v & 0x3c0;
		c->pstate_ss = (v >> 21) & 1;
		c->pstate_il = (v >> 20) & 1;
		break;
	}
	default: break;
	}
}

void a64_get_simd(struct a64_cpu *c, unsigned n, uint8_t out[16])
{
	memcpy(out, c->v[n & 31].b, 16);
}

void a64_set_simd(struct a64_cpu *c, unsigned n, const uint8_t in[16])
{
	memcpy(c->v[n & 31].b, in, 16);
}

void a64_set_irq_line(struct a64_cpu *c, enum accel_irq_type t, bool level)
{
	atomic_store(t == ACCEL_FIQ ? &c->fiq_line : &c->irq_line, level);
}

void a64_set_trap_debug(struct a64_cpu *c, bool trap) { c->trap_debug = trap; }
void a64_set_vtimer_mask(struct a64_cpu *c, bool masked) { c->vtimer_masked = masked; }
bool a64_get_vtimer_mask(struct a64_cpu *c) { return c->vtimer_masked; }
void a64_set_vtimer_offset(struct a64_cpu *c, uint64_t off) { c->cntvoff = off; }
uint64_t a64_get_vtimer_offset(struct a64_cpu *c) { return c->cntvoff; }
