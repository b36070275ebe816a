/* The A64 load/store instruction emulator (see insn-emu.h). Decoding
 * follows the Arm ARM's "Loads and Stores" encoding tables (C4.1.4): each
 * class is recognised by its fixed bits, its fields are checked for the
 * unallocated combinations, and a small executor per class does the
 * accesses, then the register writes, then the writeback. */
#include "arch/insn-emu.h"

#include <string.h>

typedef uint64_t u64;
typedef uint32_t u32;

#define R_OK INSN_EMU_OK
#define R_UNDEF INSN_EMU_UNHANDLED

static inline u32 bits(u32 w, unsigned hi, unsigned lo) { return (w >> lo) & ((1u << (hi - lo + 1)) - 1); }
static inline u32 bit(u32 w, unsigned b) { return (w >> b) & 1; }
static inline int64_t sext(u64 v, unsigned n) { return (int64_t)(v << (64 - n)) >> (64 - n); }

static bool feat(const struct insn_emu *e, unsigned f) { return (e->features & f) == f; }

/* ---- registers ------------------------------------------------------------ */

static u64 rx(struct insn_emu *e, unsigned n) { return n == 31 ? 0 : e->ops->get_x(e->opaque, n); }
static void wx(struct insn_emu *e, unsigned n, u64 v)
{
	if (n != 31)
		e->ops->set_x(e->opaque, n, v);
}
static u64 rxsp(struct insn_emu *e, unsigned n) { return n == 31 ? e->ops->get_sp(e->opaque) : e->ops->get_x(e->opaque, n); }
static void wxsp(struct insn_emu *e, unsigned n, u64 v)
{
	if (n == 31)
		e->ops->set_sp(e->opaque, v);
	else
		e->ops->set_x(e->opaque, n, v);
}

/* ---- memory --------------------------------------------------------------- */

static enum insn_emu_result rd(struct insn_emu *e, u64 va, unsigned size, void *buf, unsigned acc)
{
	if (e->ops->read(e->opaque, va, size, buf, acc) != 0) {
		e->fault_addr = va;
		e->fault_size = size;
		e->fault_write = false;
		return INSN_EMU_MEM_FAULT;
	}
	return R_OK;
}

static enum insn_emu_result wr(struct insn_emu *e, u64 va, unsigned size, const void *buf, unsigned acc)
{
	if (e->ops->write(e->opaque, va, size, buf, acc) != 0) {
		e->fault_addr = va;
		e->fault_size = size;
		e->fault_write = true;
		return INSN_EMU_MEM_FAULT;
	}
	return R_OK;
}

/* Before an instruction of several accesses covering [va, va + len). */
static enum insn_emu_result probe(struct insn_emu *e, u64 va, u64 len, unsigned acc)
{
	if (e->ops->probe && e->ops->probe(e->opaque, va, len, acc) != 0) {
		e->fault_addr = va;
		e->fault_size = (unsigned)len;
		e->fault_write = (acc & INSN_EMU_ACC_WRITE) != 0;
		return INSN_EMU_MEM_FAULT;
	}
	return R_OK;
}
static enum insn_emu_result probe_w(struct insn_emu *e, u64 va, u64 len) { return probe(e, va, len, INSN_EMU_ACC_WRITE); }
static enum insn_emu_result probe_r(struct insn_emu *e, u64 va, u64 len) { return probe(e, va, len, 0); }

static u64 le_get(const uint8_t *b, unsigned size)
{
	u64 v = 0;
	for (unsigned i = 0; i < size && i < 8; i++)
		v |= (u64)b[i] << (8 * i);
	return v;
}

static void le_put(uint8_t *b, unsigned size, u64 v)
{
	for (unsigned i = 0; i < size && i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static enum insn_emu_result rd_int(struct insn_emu *e, u64 va, unsigned size, u64 *v, unsigned acc)
{
	uint8_t b[8];
	enum insn_emu_result r = rd(e, va, size, b, acc);
	if (r == R_OK)
		*v = le_get(b, size);
	return r;
}

static enum insn_emu_result wr_int(struct insn_emu *e, u64 va, unsigned size, u64 v)
{
	uint8_t b[8];
	le_put(b, size, v);
	return wr(e, va, size, b, 0);
}

/* Natural alignment of an access of `size` bytes; `lse2`: FEAT_LSE2 lets
 * it be unaligned within a 16-byte granule (not for exclusives). */
static enum insn_emu_result align(struct insn_emu *e, u64 va, unsigned size, bool write, bool lse2)
{
	if (!(va & (size - 1)))
		return R_OK;
	if (lse2 && feat(e, INSN_EMU_F_LSE2) && (va & 15) + size <= 16)
		return R_OK;
	e->fault_addr = va;
	e->fault_size = size;
	e->fault_write = write;
	return INSN_EMU_ALIGN_FAULT;
}

/* ---- single register (GPR or SIMD&FP) -------------------------------------- */

struct kind {
	unsigned size;   /* bytes; 0 = unallocated */
	bool store, prfm, fp;
	unsigned sext;   /* load: sign-extend to 32 or 64 bits, 0 = zero-extend */
};

/* size:opc of "load/store register" (V = 0 or 1). */
static struct kind reg_kind(u32 size, u32 opc, u32 v)
{
	struct kind k = { 0 };
	if (v) {
		k.fp = true;
		if (opc < 2)
			k.size = 1u << size;
		else if (size == 0)
			k.size = 16;
		k.store = !(opc & 1);
		return k;
	}
	k.size = 1u << size;
	switch (opc) {
	case 0: k.store = true; break;
	case 1: break;
	case 2:
		if (size == 3)
			k.prfm = true;
		else
			k.sext = 64;
		break;
	default:
		if (size >= 2)
			k.size = 0;
		else
			k.sext = 32;
		break;
	}
	return k;
}

static u64 extend_load(u64 v, const struct kind *k)
{
	if (k->sext == 64)
		return (u64)sext(v, 8 * k->size);
	if (k->sext == 32)
		return (u32)sext(v, 8 * k->size);
	return v;
}

/* One register to/from `addr`, then the optional writeback of `wb` to Rn. */
static enum insn_emu_result do_single(struct insn_emu *e, const struct kind *k, unsigned rt, u64 addr, bool wback,
				       unsigned rn, u64 wb, unsigned acc)
{
	enum insn_emu_result r;
	if (k->prfm)
		return R_OK;
	uint8_t buf[16];
	if (k->store) {
		if (k->fp) {
			e->ops->get_v(e->opaque, rt, buf);
		} else {
			le_put(buf, k->size, rx(e, rt));
		}
		if ((r = wr(e, addr, k->size, buf, acc)) != R_OK)
			return r;
	} else {
		if ((r = rd(e, addr, k->size, buf, acc)) != R_OK)
			return r;
		if (k->fp) {
			memset(buf + k->size, 0, 16 - k->size);
			e->ops->set_v(e->opaque, rt, buf);
		} else {
			wx(e, rt, extend_load(le_get(buf, k->size), k));
		}
	}
	if (wback)
		wxsp(e, rn, wb);
	return R_OK;
}

/* Load/store register, unsigned immediate: size 111 V 01 opc imm12 Rn Rt. */
static enum insn_emu_result ldst_uimm(struct insn_emu *e, u32 w)
{
	struct kind k = reg_kind(bits(w, 31, 30), bits(w, 23, 22), bit(w, 26));
	if (!k.size)
		return R_UNDEF;
	unsigned scale = k.size == 16 ? 4 : bits(w, 31, 30);
	u64 addr = rxsp(e, bits(w, 9, 5)) + ((u64)bits(w, 21, 10) << scale);
	return do_single(e, &k, bits(w, 4, 0), addr, false, 0, 0, 0);
}

/* Load/store register, 9-bit immediate: size 111 V 00 opc 0 imm9 op Rn Rt,
 * op = unscaled / post-index / unprivileged / pre-index. */
static enum insn_emu_result ldst_imm9(struct insn_emu *e, u32 w)
{
	u32 op = bits(w, 11, 10), v = bit(w, 26);
	struct kind k = reg_kind(bits(w, 31, 30), bits(w, 23, 22), v);
	if (!k.size)
		return R_UNDEF;
	if (k.prfm && op != 0) /* only PRFUM; pre/post/unprivileged are unallocated */
		return R_UNDEF;
	if (op == 2 && v) /* no unprivileged SIMD&FP */
		return R_UNDEF;
	unsigned rn = bits(w, 9, 5);
	int64_t simm = sext(bits(w, 20, 12), 9);
	u64 base = rxsp(e, rn);
	switch (op) {
	case 1: return do_single(e, &k, bits(w, 4, 0), base, true, rn, base + (u64)simm, 0);
	case 2: return do_single(e, &k, bits(w, 4, 0), base + (u64)simm, false, 0, 0, INSN_EMU_ACC_UNPRIV);
	case 3: return do_single(e, &k, bits(w, 4, 0), base + (u64)simm, true, rn, base + (u64)simm, 0);
	default: return do_single(e, &k, bits(w, 4, 0), base + (u64)simm, false, 0, 0, 0);
	}
}

/* Load/store register, register offset: size 111 V 00 opc 1 Rm option S 10 Rn Rt. */
static enum insn_emu_result ldst_reg(struct insn_emu *e, u32 w)
{
	struct kind k = reg_kind(bits(w, 31, 30), bits(w, 23, 22), bit(w, 26));
	u32 option = bits(w, 15, 13);
	if (!k.size || !(option & 2))
		return R_UNDEF;
	unsigned scale = k.size == 16 ? 4 : bits(w, 31, 30);
	u64 m = rx(e, bits(w, 20, 16));
	switch (option) {
	case 2: m = (u32)m; break;
	case 6: m = (u64)(int64_t)(int32_t)m; break;
	default: break; /* LSL/UXTX, SXTX */
	}
	if (bit(w, 12))
		m <<= scale;
	u64 addr = rxsp(e, bits(w, 9, 5)) + m;
	return do_single(e, &k, bits(w, 4, 0), addr, false, 0, 0, 0);
}

/* Load register (literal): opc 011 V 00 imm19 Rt. */
static enum insn_emu_result ldst_literal(struct insn_emu *e, u32 w)
{
	u32 opc = bits(w, 31, 30);
	struct kind k = { 0 };
	if (bit(w, 26)) {
		if (opc == 3)
			return R_UNDEF;
		k.fp = true;
		k.size = 4u << opc;
	} else {
		k.size = opc == 1 ? 8 : 4;
		if (opc == 2)
			k.sext = 64;
		if (opc == 3)
			k.prfm = true;
	}
	u64 addr = e->pc + (u64)(sext(bits(w, 23, 5), 19) * 4);
	return do_single(e, &k, bits(w, 4, 0), addr, false, 0, 0, 0);
}

/* LDAPUR/STLUR (FEAT_LRCPC2): size 011001 opc 0 imm9 00 Rn Rt. */
static enum insn_emu_result ldst_rcpc2(struct insn_emu *e, u32 w)
{
	if (!feat(e, INSN_EMU_F_LRCPC2))
		return R_UNDEF;
	u32 size = bits(w, 31, 30), opc = bits(w, 23, 22);
	struct kind k = reg_kind(size, opc, 0);
	if (!k.size || k.prfm)
		return R_UNDEF;
	u64 addr = rxsp(e, bits(w, 9, 5)) + (u64)sext(bits(w, 20, 12), 9);
	enum insn_emu_result r = align(e, addr, k.size, k.store, true);
	if (r != R_OK)
		return r;
	return do_single(e, &k, bits(w, 4, 0), addr, false, 0, 0, 0);
}

/* LDRAA/LDRAB: 11 111 0 00 M S 1 imm9 W 1 Rn Rt. */
static enum insn_emu_result ldst_pac(struct insn_emu *e, u32 w)
{
	if (bits(w, 31, 30) != 3 || bit(w, 26) || !feat(e, INSN_EMU_F_PAUTH))
		return R_UNDEF;
	unsigned rn = bits(w, 9, 5);
	bool key_b = bit(w, 23);
	u64 ptr = rxsp(e, rn);
	if (e->ops->strip_pac) {
		ptr = e->ops->strip_pac(e->opaque, ptr, key_b);
	} else {
		u64 hi = ~0ull << 48;
		ptr = (ptr >> 55 & 1) ? (ptr | hi) : (ptr & ~hi);
	}
	int64_t off = sext(bit(w, 22) << 9 | bits(w, 20, 12), 10) * 8;
	u64 addr = ptr + (u64)off;
	struct kind k = { .size = 8 };
	return do_single(e, &k, bits(w, 4, 0), addr, bit(w, 11), rn, addr, 0);
}

/* ---- pairs ------------------------------------------------------------------ */

/* opc 101 V 0 type L imm7 Rt2 Rn Rt; type: 00 no-allocate, 01 post-index,
 * 10 offset, 11 pre-index. */
static enum insn_emu_result ldst_pair(struct insn_emu *e, u32 w)
{
	u32 opc = bits(w, 31, 30), v = bit(w, 26), type = bits(w, 24, 23), l = bit(w, 22);
	unsigned rt = bits(w, 4, 0), rt2 = bits(w, 14, 10), rn = bits(w, 9, 5);
	unsigned esize, scale;
	bool sx = false;
	if (v) {
		if (opc == 3)
			return R_UNDEF;
		esize = 4u << opc;
		scale = 2 + opc;
	} else if (opc == 0 || opc == 2) {
		esize = opc ? 8 : 4;
		scale = opc ? 3 : 2;
	} else if (opc == 1 && type != 0) {
		if (l) { /* LDPSW */
			esize = 4;
			scale = 2;
			sx = true;
		} else { /* STGP: data part of a tagged store */
			if (!feat(e, INSN_EMU_F_MTE))
				return R_UNDEF;
			esize = 8;
			scale = 4;
		}
	} else {
		return R_UNDEF;
	}
	int64_t off = sext(bits(w, 21, 15), 7) * (int64_t)(1u << scale);
	u64 base = rxsp(e, rn);
	u64 addr = type == 1 ? base : base + (u64)off;
	u64 wb = base + (u64)off;
	bool wback = type == 1 || type == 3;
	enum insn_emu_result r;
	uint8_t b1[16], b2[16];
	if (!l) {
		if (v) {
			e->ops->get_v(e->opaque, rt, b1);
			e->ops->get_v(e->opaque, rt2, b2);
		} else {
			le_put(b1, esize, rx(e, rt));
			le_put(b2, esize, rx(e, rt2));
		}
		if ((r = probe_w(e, addr, 2 * esize)) != R_OK || (r = wr(e, addr, esize, b1, 0)) != R_OK ||
		    (r = wr(e, addr + esize, esize, b2, 0)) != R_OK)
			return r;
	} else {
		if ((r = probe_r(e, addr, 2 * esize)) != R_OK || (r = rd(e, addr, esize, b1, 0)) != R_OK ||
		    (r = rd(e, addr + esize, esize, b2, 0)) != R_OK)
			return r;
		if (v) {
			memset(b1 + esize, 0, 16 - esize);
			memset(b2 + esize, 0, 16 - esize);
			e->ops->set_v(e->opaque, rt2, b2);
			e->ops->set_v(e->opaque, rt, b1);
		} else {
			u64 v1 = le_get(b1, esize), v2 = le_get(b2, esize);
			if (sx) {
				v1 = (u64)sext(v1, 32);
				v2 = (u64)sext(v2, 32);
			}
			wx(e, rt2, v2);
			wx(e, rt, v1);
		}
	}
	if (wback)
		wxsp(e, rn, wb);
	return R_OK;
}

/* ---- exclusives, ordered, CAS ------------------------------------------------- */

/* size 001000 o2 L o1 Rs o0 Rt2 Rn Rt. */
static enum insn_emu_result ldst_excl(struct insn_emu *e, u32 w)
{
	u32 size = bits(w, 31, 30), o2 = bit(w, 23), l = bit(w, 22), o1 = bit(w, 21), o0 = bit(w, 15);
	unsigned rs = bits(w, 20, 16), rt2 = bits(w, 14, 10), rn = bits(w, 9, 5), rt = bits(w, 4, 0);
	enum insn_emu_result r;

	if (o2 && o1) { /* CAS, CASA, CASL, CASAL (B/H/W/X) */
		if (!feat(e, INSN_EMU_F_LSE) || rt2 != 31)
			return R_UNDEF;
		unsigned n = 1u << size;
		u64 addr = rxsp(e, rn), old;
		u64 mask = n == 8 ? ~0ull : (1ull << (8 * n)) - 1;
		if ((r = align(e, addr, n, true, true)) != R_OK || (r = rd_int(e, addr, n, &old, INSN_EMU_ACC_RMW)) != R_OK)
			return r;
		if (old == (rx(e, rs) & mask) && (r = wr_int(e, addr, n, rx(e, rt))) != R_OK)
			return r;
		wx(e, rs, old);
		return R_OK;
	}
	if (!o2 && o1 && size < 2) { /* CASP, CASPA, CASPL, CASPAL (W or X pairs) */
		if (!feat(e, INSN_EMU_F_LSE) || rt2 != 31 || (rs & 1) || (rt & 1))
			return R_UNDEF;
		unsigned n = 4u << size;
		u64 mask = n == 8 ? ~0ull : 0xffffffffull;
		u64 addr = rxsp(e, rn), lo, hi;
		if ((r = align(e, addr, 2 * n, true, true)) != R_OK || (r = probe(e, addr, 2 * n, INSN_EMU_ACC_RMW)) != R_OK ||
		    (r = rd_int(e, addr, n, &lo, INSN_EMU_ACC_RMW)) != R_OK ||
		    (r = rd_int(e, addr + n, n, &hi, INSN_EMU_ACC_RMW)) != R_OK)
			return r;
		if (lo == (rx(e, rs) & mask) && hi == (rx(e, rs + 1) & mask)) {
			u64 n1 = rx(e, rt), n2 = rx(e, rt + 1);
			if ((r = probe_w(e, addr, 2 * n)) != R_OK || (r = wr_int(e, addr, n, n1)) != R_OK ||
			    (r = wr_int(e, addr + n, n, n2)) != R_OK)
				return r;
		}
		wx(e, rs, lo);
		wx(e, rs + 1, hi);
		return R_OK;
	}
	if (o2) { /* LDAR/STLR (o0 = 1), LDLAR/STLLR (o0 = 0, FEAT_LOR) */
		if (!o0 && !feat(e, INSN_EMU_F_LOR))
			return R_UNDEF;
		unsigned n = 1u << size;
		u64 addr = rxsp(e, rn), v;
		if ((r = align(e, addr, n, !l, true)) != R_OK)
			return r;
		if (!l)
			return wr_int(e, addr, n, rx(e, rt));
		if ((r = rd_int(e, addr, n, &v, 0)) != R_OK)
			return r;
		wx(e, rt, v);
		return R_OK;
	}
	/* Exclusives: single (o1 = 0) or pair (o1 = 1, size 2/3). */
	if (!e->monitor)
		return R_UNDEF;
	bool pair = o1;
	unsigned n = pair ? 4u << (size & 1) : 1u << size;
	unsigned total = pair ? 2 * n : n;
	u64 addr = rxsp(e, rn);
	if ((r = align(e, addr, total, !l, false)) != R_OK)
		return r;
	if (l) {
		u64 v1, v2 = 0;
		if ((pair && (r = probe_r(e, addr, total)) != R_OK) || (r = rd_int(e, addr, n, &v1, 0)) != R_OK ||
		    (pair && (r = rd_int(e, addr + n, n, &v2, 0)) != R_OK))
			return r;
		e->monitor->open = true;
		e->monitor->addr = addr;
		e->monitor->size = total;
		wx(e, rt, v1);
		if (pair)
			wx(e, rt2, v2);
		return R_OK;
	}
	u64 v1 = rx(e, rt), v2 = pair ? rx(e, rt2) : 0;
	bool pass = e->monitor->open && e->monitor->addr == addr && e->monitor->size == total;
	if (pass) {
		if ((pair && (r = probe_w(e, addr, total)) != R_OK) || (r = wr_int(e, addr, n, v1)) != R_OK ||
		    (pair && (r = wr_int(e, addr + n, n, v2)) != R_OK))
			return r;
	}
	e->monitor->open = false;
	wx(e, rs, pass ? 0 : 1);
	return R_OK;
}

/* ---- LSE atomics (and LDAPR) ---------------------------------------------------- */

/* size 111 V 00 A R 1 Rs o3 opc 00 Rn Rt. */
static enum insn_emu_result ldst_atomic(struct insn_emu *e, u32 w)
{
	u32 size = bits(w, 31, 30), o3 = bit(w, 15), opc = bits(w, 14, 12);
	unsigned rs = bits(w, 20, 16), rn = bits(w, 9, 5), rt = bits(w, 4, 0);
	unsigned n = 1u << size;
	enum insn_emu_result r;
	if (bit(w, 26))
		return R_UNDEF;
	if (o3 && opc == 4) { /* LDAPR: A = 1, R = 0, Rs = 31 */
		if (!bit(w, 23) || bit(w, 22) || rs != 31 || !feat(e, INSN_EMU_F_LRCPC))
			return R_UNDEF;
		u64 addr = rxsp(e, rn), v;
		if ((r = align(e, addr, n, false, true)) != R_OK || (r = rd_int(e, addr, n, &v, 0)) != R_OK)
			return r;
		wx(e, rt, v);
		return R_OK;
	}
	if ((o3 && opc != 0) || !feat(e, INSN_EMU_F_LSE))
		return R_UNDEF;
	u64 addr = rxsp(e, rn), old, nv;
	u64 mask = n == 8 ? ~0ull : (1ull << (8 * n)) - 1;
	u64 s = rx(e, rs) & mask;
	if ((r = align(e, addr, n, true, true)) != R_OK || (r = rd_int(e, addr, n, &old, INSN_EMU_ACC_RMW)) != R_OK)
		return r;
	int64_t so = sext(old, 8 * n), ss = sext(s, 8 * n);
	if (o3) {
		nv = s; /* SWP */
	} else {
		switch (opc) {
		case 0: nv = old + s; break;                  /* LDADD */
		case 1: nv = old & ~s; break;                 /* LDCLR */
		case 2: nv = old ^ s; break;                  /* LDEOR */
		case 3: nv = old | s; break;                  /* LDSET */
		case 4: nv = so > ss ? old : s; break;        /* LDSMAX */
		case 5: nv = so < ss ? old : s; break;        /* LDSMIN */
		case 6: nv = old > s ? old : s; break;        /* LDUMAX */
		default: nv = old < s ? old : s; break;       /* LDUMIN */
		}
	}
	if ((r = wr_int(e, addr, n, nv & mask)) != R_OK)
		return r;
	wx(e, rt, old);
	return R_OK;
}

/* ---- AdvSIMD structures ------------------------------------------------------------ */

/* Element `idx` of `esize` bytes of a register image. */
static void elem_get(const uint8_t *reg, unsigned idx, unsigned esize, uint8_t *out) { memcpy(out, reg + idx * esize, esize); }
static void elem_put(uint8_t *reg, unsigned idx, unsigned esize, const uint8_t *in) { memcpy(reg + idx * esize, in, esize); }

/* Post-index writeback of a structure instruction: Rm = 31 is the
 * immediate form (the number of bytes transferred). */
static void simd_wb(struct insn_emu *e, u32 w, unsigned rn, u64 base, u64 nbytes)
{
	if (!bit(w, 23))
		return;
	unsigned rm = bits(w, 20, 16);
	wxsp(e, rn, base + (rm == 31 ? nbytes : rx(e, rm)));
}

/* LD1-4/ST1-4 (multiple structures): 0 Q 0011000 L 000000 opcode size Rn Rt,
 * post-index: 0 Q 0011001 L 0 Rm opcode size Rn Rt. */
static enum insn_emu_result simd_multiple(struct insn_emu *e, u32 w)
{
	u32 q = bit(w, 30), l = bit(w, 22), opcode = bits(w, 15, 12), size = bits(w, 11, 10);
	unsigned rt = bits(w, 4, 0), rn = bits(w, 9, 5);
	unsigned rpt, selem;
	switch (opcode) {
	case 0: rpt = 1; selem = 4; break;
	case 2: rpt = 4; selem = 1; break;
	case 4: rpt = 1; selem = 3; break;
	case 6: rpt = 3; selem = 1; break;
	case 7: rpt = 1; selem = 1; break;
	case 8: rpt = 1; selem = 2; break;
	case 10: rpt = 2; selem = 1; break;
	default: return R_UNDEF;
	}
	if (size == 3 && !q && selem != 1)
		return R_UNDEF;
	unsigned esize = 1u << size, elements = (q ? 16 : 8) / esize, nregs = rpt * selem;
	uint8_t regs[4][16];
	u64 base = rxsp(e, rn), offs = 0;
	enum insn_emu_result r;
	for (unsigned i = 0; i < nregs; i++) {
		if (l)
			memset(regs[i], 0, 16);
		else
			e->ops->get_v(e->opaque, (rt + i) % 32, regs[i]);
	}
	if ((r = probe(e, base, (u64)nregs * elements * esize, l ? 0 : INSN_EMU_ACC_WRITE)) != R_OK)
		return r;
	for (unsigned rp = 0; rp < rpt; rp++)
		for (unsigned el = 0; el < elements; el++)
			for (unsigned s = 0; s < selem; s++) {
				uint8_t *reg = regs[rp + s]; /* rpt > 1 only with selem 1 and vice versa */
				uint8_t buf[8];
				if (l) {
					if ((r = rd(e, base + offs, esize, buf, 0)) != R_OK)
						return r;
					elem_put(reg, el, esize, buf);
				} else {
					elem_get(reg, el, esize, buf);
					if ((r = wr(e, base + offs, esize, buf, 0)) != R_OK)
						return r;
				}
				offs += esize;
			}
	if (l)
		for (unsigned i = 0; i < nregs; i++)
			e->ops->set_v(e->opaque, (rt + i) % 32, regs[i]);
	simd_wb(e, w, rn, base, offs);
	return R_OK;
}

/* LD1-4/ST1-4 (single structure) and LD1R-LD4R:
 * 0 Q 0011010 L R 00000 opcode S size Rn Rt, post-index 0 Q 0011011 L R Rm .... */
static enum insn_emu_result simd_single(struct insn_emu *e, u32 w)
{
	u32 q = bit(w, 30), l = bit(w, 22), rbit = bit(w, 21), opcode = bits(w, 15, 13), s = bit(w, 12),
	    size = bits(w, 11, 10);
	unsigned rt = bits(w, 4, 0), rn = bits(w, 9, 5);
	unsigned scale = opcode >> 1, selem = ((opcode & 1) << 1 | rbit) + 1, index = 0;
	bool replicate = false;
	switch (scale) {
	case 3:
		if (!l || s)
			return R_UNDEF;
		scale = size;
		replicate = true;
		break;
	case 0:
		index = q << 3 | s << 2 | size;
		break;
	case 1:
		if (size & 1)
			return R_UNDEF;
		index = q << 2 | s << 1 | size >> 1;
		break;
	default:
		if (size & 2)
			return R_UNDEF;
		if (!(size & 1)) {
			index = q << 1 | s;
		} else {
			if (s)
				return R_UNDEF;
			index = q;
			scale = 3;
		}
		break;
	}
	unsigned esize = 1u << scale;
	uint8_t regs[4][16];
	u64 base = rxsp(e, rn), offs = 0;
	enum insn_emu_result r;
	for (unsigned i = 0; i < selem; i++)
		e->ops->get_v(e->opaque, (rt + i) % 32, regs[i]);
	if (selem > 1 && (r = probe(e, base, (u64)selem * esize, l ? 0 : INSN_EMU_ACC_WRITE)) != R_OK)
		return r;
	for (unsigned i = 0; i < selem; i++) {
		uint8_t buf[8];
		if (replicate) {
			if ((r = rd(e, base + offs, esize, buf, 0)) != R_OK)
				return r;
			memset(regs[i], 0, 16);
			for (unsigned k = 0; k < (q ? 16u : 8u) / esize; k++)
				elem_put(regs[i], k, esize, buf);
		} else if (l) {
			if ((r = rd(e, base + offs, esize, buf, 0)) != R_OK)
				return r;
			elem_put(regs[i], index, esize, buf);
		} else {
			elem_get(regs[i], index, esize, buf);
			if ((r = wr(e, base + offs, esize, buf, 0)) != R_OK)
				return r;
		}
		offs += esize;
	}
	if (l)
		for (unsigned i = 0; i < selem; i++)
			e->ops->set_v(e->opaque, (rt + i) % 32, regs[i]);
	simd_wb(e, w, rn, base, offs);
	return R_OK;
}

/* ---- DC / IC ------------------------------------------------------------------------ */

/* SYS #op1, C7, Cm, #op2, Xt: 1101010100 0 01 op1 0111 CRm op2 Rt. */
static enum insn_emu_result sys_cache(struct insn_emu *e, u32 w)
{
	u32 op1 = bits(w, 18, 16), crm = bits(w, 11, 8), op2 = bits(w, 7, 5);
	if (op1 == 3 && crm == 4 && op2 == 1) { /* DC ZVA */
		unsigned bs = e->dczva_bytes;
		if (!bs || (bs & (bs - 1)) || bs < 8 || bs > 2048)
			return R_UNDEF;
		u64 addr = rx(e, bits(w, 4, 0)) & ~(u64)(bs - 1);
		enum insn_emu_result r = probe_w(e, addr, bs);
		if (r != R_OK)
			return r;
		for (unsigned i = 0; i < bs; i += 8)
			if ((r = wr_int(e, addr + i, 8, 0)) != R_OK)
				return r;
		return R_OK;
	}
	if (crm == 8 || crm == 9) /* AT: writes PAR_EL1, not a memory access */
		return R_UNDEF;
	if ((op1 == 3 && crm == 5 && op2 == 1) || crm == 6 || crm == 10 || crm == 11 || crm == 12 || crm == 13 ||
	    crm == 14)
		return R_OK; /* IC IVAU, DC IVAC/ISW/.../CIVAC/CVAP/CVADP: nothing to emulate */
	return R_UNDEF;
}

/* ---- top level ---------------------------------------------------------------------- */

enum insn_emu_result insn_emu_exec(struct insn_emu *e, uint32_t w)
{
	e->fault_addr = 0;
	e->fault_size = 0;
	e->fault_write = false;
	if ((w & 0xfff8f000u) == 0xd5087000u)
		return sys_cache(e, w);
	if ((w & 0x0a000000u) != 0x08000000u) /* not in the loads and stores space */
		return R_UNDEF;
	if ((w & 0xbfbf0000u) == 0x0c000000u || (w & 0xbfa00000u) == 0x0c800000u)
		return simd_multiple(e, w);
	if ((w & 0xbf9f0000u) == 0x0d000000u || (w & 0xbf800000u) == 0x0d800000u)
		return simd_single(e, w);
	if ((w & 0x3f000000u) == 0x08000000u)
		return ldst_excl(e, w);
	if ((w & 0x3f200c00u) == 0x19000000u)
		return ldst_rcpc2(e, w);
	if ((w & 0x3b000000u) == 0x18000000u)
		return ldst_literal(e, w);
	if ((w & 0x3a000000u) == 0x28000000u)
		return ldst_pair(e, w);
	if ((w & 0x3b200000u) == 0x38000000u)
		return ldst_imm9(e, w);
	if ((w & 0x3b200c00u) == 0x38200000u)
		return ldst_atomic(e, w);
	if ((w & 0x3b200c00u) == 0x38200800u)
		return ldst_reg(e, w);
	if ((w & 0x3b200400u) == 0x38200400u)
		return ldst_pac(e, w);
	if ((w & 0x3b000000u) == 0x39000000u)
		return ldst_uimm(e, w);
	return R_UNDEF;
}
