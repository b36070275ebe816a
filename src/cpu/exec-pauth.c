/* Pointer authentication (FEAT_PAuth, Armv8.3) for the EL1&0 regime of this
 * EL0/EL1-only CPU: PAC*, AUT*, XPAC*, PACGA, the hint-space forms, the
 * combined branches (BRAA ... ERETAB) and LDRAA/LDRAB. Written from the Arm
 * ARM's shared pseudocode (AddPAC, Auth, Strip, CalculateBottomPACBit,
 * EffectiveTBI, AddPACIA ... AuthDB, PACGA) and the instruction pages.
 *
 * What is advertised (features.h): ID_AA64ISAR1_EL1.API = 1 and GPI = 1
 * (address and generic authentication with an IMPLEMENTATION DEFINED
 * algorithm), APA = GPA = 0, and nothing more: no EnhancedPAC, no PAuth2, no
 * FPAC. So a failed AUT writes the architected 2-bit error code into the
 * pointer's extension bits (54:53, or 62:61 without TBI) and the later use
 * of that pointer faults through translation.
 *
 * Choices and inferences:
 * - There is no EL2/EL3: behave as if HCR_EL2.API = APK = 1 and
 *   SCR_EL3.API = APK = 1 (nothing traps); SCTLR_EL1.En{IA,IB,DA,DB}
 *   enable the keys at EL0 and EL1 alike (EL1&0 regime).
 * - TCR_EL1.TBID0/TBID1 read as 0 (not writable, sysreg.c): the fetch path
 *   treats instruction addresses like data addresses for TBI, so letting the
 *   guest set TBID would make PAC placement and fetch disagree.
 *   EffectiveTBI below still reads the bits so that enabling them later
 *   only needs the TCR mask and the fetch path.
 * - T0SZ/T1SZ outside 16..39 are clamped (Constraint_FORCE), as the
 *   translation walk does (src/arch/pgwalk.c).
 * - LDRAA/LDRAB with writeback and Rn == Rt: the loaded value is written,
 *   then the base (the load/store group's choice, exec-ldst.c).
 * - Everything is decided at decode time: with pointer authentication off
 *   the trans_ functions decline, so the non-hint forms are UNDEFINED and
 *   the hint forms fall through to HINT (NOP). No hot path changes. */
#include "cpu/features.h"
#include "cpu/internal.h"
#include "cpu/ldst-common.h"
#include "a64-decode.h"

#define BIT(n) (1ull << (n))
#define MASK(hi, lo) ((((hi) >= 63) ? ~0ull : (BIT((hi) + 1) - 1)) & ~(BIT(lo) - 1))

#define TCR_TBI0 BIT(37)
#define TCR_TBI1 BIT(38)
#define TCR_TBID0 BIT(51)
#define TCR_TBID1 BIT(52)

enum { KEY_IA, KEY_IB, KEY_DA, KEY_DB, KEY_GA };

/* SCTLR_EL1 enable bit of each address key. */
static const uint64_t key_enable[4] = { BIT(31), BIT(30), BIT(27), BIT(13) };

void a64_vm_set_pauth(struct a64_vm *vm, bool on)
{
	vm->pauth = on;
}

/* ---- The IMPLEMENTATION DEFINED PAC function ------------------------------
 * Stands in for ComputePAC(data, modifier, key0, key1). Not QARMA: a few
 * rounds of xor-in / multiply / xor-shift (the murmur3/splitmix finaliser
 * shape, about 10 cycles a round). Each round is a bijection of the state
 * for a fixed round input (xor, then odd multiplies and xor-shifts), and the
 * round inputs are the key halves and the modifier, so for fixed other
 * inputs the result is a bijection of the pointer, of the modifier and of
 * each key half: every input bit matters and two different keys (or
 * modifiers) never give the same 64-bit value for the same pointer. The
 * PAC field keeps 7 to 31 bits of it, which the full avalanche of the
 * last rounds makes look random. Not a cryptographic MAC: enough to make
 * forged and confused pointers fail, which is what the guest relies on. */
static inline uint64_t pac_round(uint64_t h, uint64_t k)
{
	h ^= k;
	h *= 0x9e3779b97f4a7c15ull;
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ull;
	h ^= h >> 29;
	return h;
}

static uint64_t compute_pac(uint64_t data, uint64_t modifier, const uint64_t key[2])
{
	uint64_t h = pac_round(data, key[1]); /* key[1]: KeyHi (key0), key[0]: KeyLo (key1) */
	h = pac_round(h, modifier);
	h = pac_round(h, key[0]);
	return pac_round(h, modifier ^ key[1]);
}

/* ---- Pointer layout (Arm ARM: EffectiveTBI, CalculateBottomPACBit) ------- */

/* Whether the top byte of ptr is ignored for a data or instruction access. */
static bool effective_tbi(const struct a64_cpu *c, uint64_t ptr, bool instr)
{
	bool hi = (ptr >> 55) & 1;
	bool tbi = (c->tcr & (hi ? TCR_TBI1 : TCR_TBI0)) != 0;
	bool tbid = (c->tcr & (hi ? TCR_TBID1 : TCR_TBID0)) != 0;
	return tbi && !(instr && tbid);
}

/* 64 - TxSZ of the half selected by `upper`, TxSZ clamped to 16..39. */
static unsigned bottom_pac_bit(const struct a64_cpu *c, bool upper)
{
	unsigned tsz = (unsigned)(c->tcr >> (upper ? 16 : 0)) & 0x3f;
	if (tsz < 16)
		tsz = 16;
	if (tsz > 39)
		tsz = 39;
	return 64 - tsz;
}

/* The pointer with its PAC field replaced by extension bits (Strip, and the
 * original pointer Auth reconstructs): bit 55 selects the half. */
static uint64_t pac_original(const struct a64_cpu *c, uint64_t ptr, bool data)
{
	bool tbi = effective_tbi(c, ptr, !data);
	unsigned bot = bottom_pac_bit(c, (ptr >> 55) & 1);
	uint64_t ext = (ptr >> 55) & 1 ? ~0ull : 0;
	uint64_t field = MASK(tbi ? 55 : 63, bot);
	return (ptr & ~field) | (ext & field);
}

/* AddPAC (no EnhancedPAC / PAuth2). */
static uint64_t add_pac(const struct a64_cpu *c, uint64_t ptr, uint64_t modifier, const uint64_t key[2],
			bool data)
{
	bool tbi = effective_tbi(c, ptr, !data);
	unsigned top = tbi ? 55 : 63;
	/* EL1&0 has two address ranges: bit 55 selects when any TBI applies
	 * to this kind of access, else bit 63. */
	bool tbi0 = (c->tcr & TCR_TBI0) && (data || !(c->tcr & TCR_TBID0));
	bool tbi1 = (c->tcr & TCR_TBI1) && (data || !(c->tcr & TCR_TBID1));
	unsigned selbit = (unsigned)(ptr >> (tbi0 || tbi1 ? 55 : 63)) & 1;
	unsigned bot = bottom_pac_bit(c, selbit);
	uint64_t ext = selbit ? ~0ull : 0;
	uint64_t low = MASK(bot - 1, 0);
	uint64_t ext_ptr = tbi ? (ptr & MASK(63, 56)) | (ext & MASK(55, bot)) | (ptr & low)
			       : (ext & MASK(63, bot)) | (ptr & low);
	uint64_t pac = compute_pac(ext_ptr, modifier, key);
	/* A pointer with bad extension bits gets a PAC that cannot match. */
	uint64_t f = ptr & MASK(top, bot);
	if (f != 0 && f != MASK(top, bot))
		pac ^= BIT(top - 1);
	uint64_t res = (uint64_t)selbit << 55 | (pac & MASK(54, bot)) | (ptr & low);
	return res | (tbi ? ptr & MASK(63, 56) : pac & MASK(63, 56));
}

/* Auth (no EnhancedPAC2 / FPAC): the original pointer, or it with the
 * error code key_number:NOT(key_number) at 54:53 (62:61 without TBI). */
static uint64_t auth(const struct a64_cpu *c, uint64_t ptr, uint64_t modifier, const uint64_t key[2], bool data,
		     unsigned key_number)
{
	bool tbi = effective_tbi(c, ptr, !data);
	unsigned bot = bottom_pac_bit(c, (ptr >> 55) & 1);
	uint64_t orig = pac_original(c, ptr, data);
	uint64_t pac = compute_pac(orig, modifier, key);
	uint64_t check = MASK(54, bot) | (tbi ? 0 : MASK(63, 56));
	if (((pac ^ ptr) & check) == 0)
		return orig;
	uint64_t err = key_number ? 2 : 1;
	unsigned at = tbi ? 53 : 61;
	return (orig & ~(3ull << at)) | err << at;
}

/* AddPACxx / AuthXx with the SCTLR_EL1 key enable: disabled keys leave the
 * value unchanged. key is KEY_IA..KEY_DB. */
static inline uint64_t pac_sign(const struct a64_cpu *c, unsigned key, uint64_t ptr, uint64_t modifier)
{
	if (!(c->sctlr & key_enable[key]))
		return ptr;
	return add_pac(c, ptr, modifier, c->apkey[key], key >= KEY_DA);
}

static inline uint64_t pac_auth(const struct a64_cpu *c, unsigned key, uint64_t ptr, uint64_t modifier)
{
	if (!(c->sctlr & key_enable[key]))
		return ptr;
	return auth(c, ptr, modifier, c->apkey[key], key >= KEY_DA, key & 1);
}

static bool have_pauth(const struct a64_dctx *s)
{
	return s->c->vm->pauth;
}

/* ---- PAC*, AUT*, XPAC*, PACGA ---------------------------------------------
 * Operands: ra = pointer (read slot), rd = result (write slot), rn =
 * modifier (SP for 31; REG_ZR for the zero-modifier forms), f0 = key. */

static const dinsn *h_pac(struct a64_cpu *c, const dinsn *d)
{
	c->x[d->rd] = pac_sign(c, d->f0, c->x[d->ra], c->x[d->rn]);
	return cpu_next(c, d + 1);
}

static const dinsn *h_aut(struct a64_cpu *c, const dinsn *d)
{
	c->x[d->rd] = pac_auth(c, d->f0, c->x[d->ra], c->x[d->rn]);
	return cpu_next(c, d + 1);
}

/* XPACI / XPACD / XPACLRI: f0 = data. */
static const dinsn *h_xpac(struct a64_cpu *c, const dinsn *d)
{
	c->x[d->rd] = pac_original(c, c->x[d->ra], d->f0);
	return cpu_next(c, d + 1);
}

static void set_pacaut(dinsn *d, bool aut, unsigned key, unsigned ptr, uint8_t mod_slot)
{
	d->fn = aut ? h_aut : h_pac;
	d->f0 = (uint8_t)key;
	d->ra = reg_zr(ptr);
	d->rd = reg_zr_w(ptr);
	d->rn = mod_slot;
}

bool trans_PACAUT(struct a64_dctx *s, arg_PACAUT *a)
{
	if (!have_pauth(s) || (a->z && a->rn != 31))
		return false;
	set_pacaut(s->d, a->aut, (unsigned)(a->d << 1 | a->b), (unsigned)a->rd,
		   a->z ? REG_ZR : reg_sp((unsigned)a->rn));
	return true;
}

bool trans_XPAC(struct a64_dctx *s, arg_XPAC *a)
{
	if (!have_pauth(s))
		return false;
	s->d->fn = h_xpac;
	s->d->f0 = (uint8_t)a->d;
	s->d->ra = reg_zr((unsigned)a->rd);
	s->d->rd = reg_zr_w((unsigned)a->rd);
	return true;
}

/* PACGA: the top 32 bits of the generic PAC of Xn with modifier Xm|SP. */
static const dinsn *h_pacga(struct a64_cpu *c, const dinsn *d)
{
	c->x[d->rd] = compute_pac(c->x[d->rn], c->x[d->rm], c->apkey[KEY_GA]) & MASK(63, 32);
	return cpu_next(c, d + 1);
}

bool trans_PACGA(struct a64_dctx *s, arg_PACGA *a)
{
	if (!have_pauth(s))
		return false;
	s->d->fn = h_pacga;
	s->d->rd = reg_zr_w((unsigned)a->rd);
	s->d->rn = reg_zr((unsigned)a->rn);
	s->d->rm = reg_sp((unsigned)a->rm);
	return true;
}

/* ---- Hint space: NOPs without FEAT_PAuth (trans_HINT takes them) --------- */

bool trans_XPACLRI(struct a64_dctx *s, arg_XPACLRI *a)
{
	(void)a;
	if (!have_pauth(s))
		return false;
	s->d->fn = h_xpac;
	s->d->f0 = 0;
	s->d->ra = 30;
	s->d->rd = 30;
	return true;
}

/* PACIA1716 ... AUTIB1716: X17 signed/authenticated with modifier X16. */
bool trans_PAC1716(struct a64_dctx *s, arg_PAC1716 *a)
{
	if (!have_pauth(s))
		return false;
	set_pacaut(s->d, a->aut, (unsigned)a->b, 17, 16);
	return true;
}

/* PACIAZ/PACIASP ... AUTIBSP: X30 with modifier zero or SP. */
bool trans_PACHINT(struct a64_dctx *s, arg_PACHINT *a)
{
	if (!have_pauth(s))
		return false;
	set_pacaut(s->d, a->aut, (unsigned)a->b, 30, a->sp ? REG_SP : REG_ZR);
	return true;
}

/* ---- Combined branches ----------------------------------------------------
 * Operands: rn = target, rm = modifier slot (REG_ZR for the Z forms), f0 =
 * key (KEY_IA/KEY_IB). */

static const dinsn *h_bra(struct a64_cpu *c, const dinsn *d)
{
	cpu_branch_mark(c, d);
	return cpu_goto(c, pac_auth(c, d->f0, c->x[d->rn], c->x[d->rm]));
}

static const dinsn *h_blra(struct a64_cpu *c, const dinsn *d)
{
	uint64_t target = pac_auth(c, d->f0, c->x[d->rn], c->x[d->rm]); /* before X30 changes */
	c->x[30] = insn_pc(c, d) + 4;
	cpu_branch_mark(c, d);
	return cpu_goto(c, target);
}

bool trans_BRA(struct a64_dctx *s, arg_BRA *a)
{
	if (!have_pauth(s) || (!a->z && a->rm != 31))
		return false;
	s->d->fn = a->link ? h_blra : h_bra;
	s->d->f0 = (uint8_t)a->m;
	s->d->rn = reg_zr((unsigned)a->rn);
	s->d->rm = a->z ? reg_sp((unsigned)a->rm) : REG_ZR;
	return true;
}

/* RETAA/RETAB: X30 authenticated with SP as the modifier. */
bool trans_RETA(struct a64_dctx *s, arg_RETA *a)
{
	if (!have_pauth(s))
		return false;
	s->d->fn = h_bra;
	s->d->f0 = (uint8_t)a->m;
	s->d->rn = 30;
	s->d->rm = REG_SP;
	return true;
}

/* ERETAA/ERETAB: ELR_EL1 authenticated with SP (SP_EL1 or SP_EL0, whichever
 * is current) before the exception return; UNDEFINED at EL0. */
static const dinsn *h_ereta(struct a64_cpu *c, const dinsn *d)
{
	if (c->el == 0)
		cpu_undef(c, d);
	uint64_t target = pac_auth(c, d->f0, c->elr_el1, c->x[REG_SP]);
	cpu_set_pstate_from_spsr(c, c->spsr_el1);
	c->excl_addr = ~0ull; /* an exception return clears the local monitor */
	cpu_resync(c, target);
}

bool trans_ERETA(struct a64_dctx *s, arg_ERETA *a)
{
	if (!have_pauth(s))
		return false;
	s->d->fn = h_ereta;
	s->d->f0 = (uint8_t)a->m;
	return true;
}

/* ---- LDRAA / LDRAB ----------------------------------------------------------
 * Operands: rd = Rt (write slot), rn = base (SP for 31), f0 = KEY_DA/KEY_DB,
 * imm = S:imm9 * 8. The base is authenticated with modifier zero. */

static inline uint64_t ldra_addr(struct a64_cpu *c, const dinsn *d)
{
	return pac_auth(c, d->f0, ld_base(c, d), 0) + d->imm;
}

static const dinsn *h_ldra(struct a64_cpu *c, const dinsn *d)
{
	uint64_t va = ldra_addr(c, d);
	chk_align(c, d, va, 8, false);
	c->x[d->rd] = mem_ld(c, d, va, 8, c->mmu_idx);
	return cpu_next(c, d + 1);
}

static const dinsn *h_ldra_wb(struct a64_cpu *c, const dinsn *d)
{
	uint64_t va = ldra_addr(c, d);
	chk_align(c, d, va, 8, false);
	c->x[d->rd] = mem_ld(c, d, va, 8, c->mmu_idx);
	c->x[d->rn] = va;
	return cpu_next(c, d + 1);
}

bool trans_LDRA(struct a64_dctx *s, arg_LDRA *a)
{
	if (!have_pauth(s))
		return false;
	int64_t off = (int64_t)(a->s << 9 | a->imm);
	off = (off ^ 0x200) - 0x200; /* sign-extend S:imm9 */
	s->d->fn = a->w ? h_ldra_wb : h_ldra;
	s->d->f0 = (uint8_t)(a->m ? KEY_DB : KEY_DA);
	s->d->rd = reg_zr_w((unsigned)a->rt);
	s->d->rn = reg_sp((unsigned)a->rn);
	s->d->imm = (uint64_t)(off * 8);
	return true;
}
