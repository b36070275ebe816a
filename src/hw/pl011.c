/* Arm PrimeCell UART PL011 (DDI0183); the model is described in pl011.h. */
#include "hw/pl011.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "machine/fdt.h"

static const uint8_t pl011_id[8] = { 0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1 };

static unsigned depth(const struct pl011_regs *r) { return (r->lcr_h & PL011_LCRH_FEN) ? PL011_FIFO_DEPTH : 1; }

/* IFLS levels in FIFO entries: 1/8, 1/4, 1/2, 3/4, 7/8 (reserved encodings act as 7/8). */
static unsigned ifls_entries(unsigned sel) { return sel == 0 ? 2 : sel == 1 ? 4 : sel == 2 ? 8 : sel == 3 ? 12 : 14; }

/* TX interrupt when the FIFO is at or below this (FIFO off: empty). */
static unsigned tx_level(const struct pl011_regs *r)
{
	return (r->lcr_h & PL011_LCRH_FEN) ? ifls_entries(r->ifls & 7) : 0;
}

/* RX interrupt when the FIFO holds at least this (FIFO off: one character). */
static unsigned rx_level(const struct pl011_regs *r)
{
	return (r->lcr_h & PL011_LCRH_FEN) ? ifls_entries((r->ifls >> 3) & 7) : 1;
}

/* Character mask for the word length (strict mode only). */
static unsigned char_mask(const struct pl011 *d)
{
	if (!d->cfg.strict_enables)
		return 0xff;
	return (1u << (5 + ((d->r.lcr_h >> PL011_LCRH_WLEN_SHIFT) & 3))) - 1;
}

static bool rx_enabled(const struct pl011 *d)
{
	return !d->cfg.strict_enables || ((d->r.cr & PL011_CR_UARTEN) && (d->r.cr & PL011_CR_RXE));
}

static bool tx_enabled(const struct pl011 *d)
{
	if (d->cfg.strict_enables && !((d->r.cr & PL011_CR_UARTEN) && (d->r.cr & PL011_CR_TXE)))
		return false;
	if ((d->r.cr & PL011_CR_CTSEN) && !(d->r.modem & PL011_FR_CTS))
		return false;
	return true;
}

/* Modem inputs as FR bits: a connected terminal, or the outputs in loopback. */
static uint32_t modem_inputs(const struct pl011 *d)
{
	const struct pl011_regs *r = &d->r;
	if (!(r->cr & PL011_CR_LBE))
		return PL011_FR_CTS | PL011_FR_DSR | PL011_FR_DCD;
	bool rts = (r->cr & PL011_CR_RTSEN) ? r->rx_count < rx_level(r) : (r->cr & PL011_CR_RTS) != 0;
	uint32_t m = 0;
	if (rts)
		m |= PL011_FR_CTS;
	if (r->cr & PL011_CR_DTR)
		m |= PL011_FR_DSR;
	if (r->cr & PL011_CR_OUT1)
		m |= PL011_FR_DCD;
	if (r->cr & PL011_CR_OUT2)
		m |= PL011_FR_RI;
	return m;
}

/* Latch the modem inputs, raising the modem-status interrupts that changed. */
static void modem_update(struct pl011 *d)
{
	uint32_t m = modem_inputs(d), ch = m ^ d->r.modem;
	if (ch & PL011_FR_CTS)
		d->r.ris |= PL011_INT_CTS;
	if (ch & PL011_FR_DSR)
		d->r.ris |= PL011_INT_DSR;
	if (ch & PL011_FR_DCD)
		d->r.ris |= PL011_INT_DCD;
	if (ch & PL011_FR_RI)
		d->r.ris |= PL011_INT_RI;
	d->r.modem = m;
}

/* A character (with error bits in 11:8) arrives at the receiver. */
static bool rx_push(struct pl011 *d, uint32_t v)
{
	struct pl011_regs *r = &d->r;
	if (r->rx_count >= depth(r)) {
		r->rsr |= PL011_RSR_OE;
		r->ris |= PL011_INT_OE;
		r->pending_oe = 1;
		return false;
	}
	if (r->pending_oe) {
		v |= PL011_DR_OE;
		r->pending_oe = 0;
	}
	r->rx_fifo[(r->rx_head + r->rx_count) % PL011_FIFO_DEPTH] = (uint16_t)v;
	r->rx_count++;
	if (v & PL011_DR_FE)
		r->ris |= PL011_INT_FE;
	if (v & PL011_DR_PE)
		r->ris |= PL011_INT_PE;
	if (v & PL011_DR_BE)
		r->ris |= PL011_INT_BE;
	if (r->rx_count >= rx_level(r))
		r->ris |= PL011_INT_RX;
	return true;
}

static void update_irq(struct pl011 *d)
{
	bool level = (d->r.ris & d->r.imsc & PL011_INT_ALL) != 0;
	if (level != d->irq_level) {
		d->irq_level = level;
		irq_set(&d->cfg.irq, level);
	}
}

/* After every state change: modem lines, the transmitter (which may feed
 * the receiver in loopback and so move RTS/CTS), then the interrupt line. */
static void pl011_update(struct pl011 *d)
{
	struct pl011_regs *r = &d->r;
	bool looped = false;
	modem_update(d);
	while (r->tx_count && tx_enabled(d)) {
		uint8_t c = r->tx_fifo[r->tx_head] & char_mask(d); /* the word length when it is sent */
		r->tx_head = (r->tx_head + 1) % PL011_FIFO_DEPTH;
		r->tx_count--;
		if (r->tx_count <= tx_level(r))
			r->ris |= PL011_INT_TX;
		if (r->cr & PL011_CR_LBE) {
			if (rx_enabled(d))
				looped |= rx_push(d, c);
			modem_update(d); /* RTSEN: RTS (looped to CTS) follows the RX level */
		} else if (d->cfg.tx) {
			d->cfg.tx(d->cfg.tx_opaque, &c, 1);
		}
	}
	if (looped && r->rx_count)
		r->ris |= PL011_INT_RT; /* the looped-back burst is over */
	modem_update(d);
	update_irq(d);
}

void pl011_init(struct pl011 *d, const struct pl011_config *cfg)
{
	memset(d, 0, sizeof(*d));
	pthread_mutex_init(&d->lock, NULL);
	if (cfg)
		d->cfg = *cfg;
	pl011_reset(d);
}

void pl011_destroy(struct pl011 *d) { pthread_mutex_destroy(&d->lock); }

void pl011_reset(struct pl011 *d)
{
	pthread_mutex_lock(&d->lock);
	memset(&d->r, 0, sizeof(d->r));
	d->r.cr = PL011_CR_TXE | PL011_CR_RXE; /* 0x300 */
	d->r.ifls = 0x12;                       /* 1/2 and 1/2 */
	d->r.modem = modem_inputs(d);           /* no change interrupt at reset */
	pl011_update(d);
	pthread_mutex_unlock(&d->lock);
}

static uint32_t fr(const struct pl011 *d)
{
	const struct pl011_regs *r = &d->r;
	uint32_t v = r->modem;
	if (r->tx_count)
		v |= PL011_FR_BUSY;
	else
		v |= PL011_FR_TXFE;
	if (r->tx_count >= depth(r))
		v |= PL011_FR_TXFF;
	if (r->rx_count == 0)
		v |= PL011_FR_RXFE;
	if (r->rx_count >= depth(r))
		v |= PL011_FR_RXFF;
	return v;
}

/* A whole-register read at a word offset (with DR's side effect). */
static uint32_t reg_read(struct pl011 *d, uint64_t off)
{
	struct pl011_regs *r = &d->r;
	switch (off) {
	case PL011_DR: {
		if (!r->rx_count)
			return 0;
		uint32_t v = r->rx_fifo[r->rx_head];
		r->rx_head = (r->rx_head + 1) % PL011_FIFO_DEPTH;
		r->rx_count--;
		r->rsr |= (v >> 8) & (PL011_RSR_FE | PL011_RSR_PE | PL011_RSR_BE);
		if (r->rx_count < rx_level(r))
			r->ris &= ~PL011_INT_RX;
		if (r->rx_count == 0)
			r->ris &= ~PL011_INT_RT;
		pl011_update(d);
		return v;
	}
	case PL011_RSR: return r->rsr;
	case PL011_FR: return fr(d);
	case PL011_ILPR: return r->ilpr;
	case PL011_IBRD: return r->ibrd;
	case PL011_FBRD: return r->fbrd;
	case PL011_LCR_H: return r->lcr_h;
	case PL011_CR: return r->cr;
	case PL011_IFLS: return r->ifls;
	case PL011_IMSC: return r->imsc;
	case PL011_RIS: return r->ris;
	case PL011_MIS: return r->ris & r->imsc;
	case PL011_DMACR: return r->dmacr;
	default:
		if (off >= PL011_PERIPHID0 && off < PL011_MMIO_SIZE)
			return pl011_id[(off - PL011_PERIPHID0) / 4];
		return 0; /* ICR (write-only), reserved and test registers */
	}
}

static inline uint32_t merge(uint32_t old, uint32_t v, uint32_t bm) { return (old & ~bm) | (v & bm); }

/* A write of the bytes `bm` of the register at word offset `off`. */
static void reg_write(struct pl011 *d, uint64_t off, uint32_t v, uint32_t bm)
{
	struct pl011_regs *r = &d->r;
	switch (off) {
	case PL011_DR:
		if (!(bm & 0xff))
			return;
		if (r->tx_count < depth(r)) {
			r->tx_fifo[(r->tx_head + r->tx_count) % PL011_FIFO_DEPTH] = (uint8_t)v;
			r->tx_count++;
			if (r->tx_count > tx_level(r))
				r->ris &= ~PL011_INT_TX;
		} /* a write to a full FIFO is lost */
		break;
	case PL011_RSR: /* ECR */
		r->rsr = 0;
		break;
	case PL011_ILPR: r->ilpr = merge(r->ilpr, v, bm) & 0xff; break;
	case PL011_IBRD: r->ibrd = merge(r->ibrd, v, bm) & 0xffff; break;
	case PL011_FBRD: r->fbrd = merge(r->fbrd, v, bm) & 0x3f; break;
	case PL011_LCR_H: {
		uint32_t n = merge(r->lcr_h, v, bm) & 0xff;
		if ((n ^ r->lcr_h) & PL011_LCRH_FEN) { /* changing FEN flushes both FIFOs */
			r->rx_head = r->rx_count = r->tx_head = r->tx_count = 0;
			r->pending_oe = 0;
			r->ris &= ~(PL011_INT_RX | PL011_INT_RT);
		}
		r->lcr_h = n;
		break;
	}
	case PL011_CR: r->cr = merge(r->cr, v, bm) & 0xffff; break;
	case PL011_IFLS: r->ifls = merge(r->ifls, v, bm) & 0x3f; break;
	case PL011_IMSC: r->imsc = merge(r->imsc, v, bm) & PL011_INT_ALL; break;
	case PL011_ICR: r->ris &= ~(v & bm & PL011_INT_ALL); break;
	case PL011_DMACR: r->dmacr = merge(r->dmacr, v, bm) & 7; break;
	default: return; /* read-only, reserved and test registers */
	}
	pl011_update(d);
}

static bool access_ok(uint64_t off, unsigned size)
{
	return (size == 1 || size == 2 || size == 4) && off < PL011_MMIO_SIZE && !(off & (size - 1));
}

uint64_t pl011_read(void *opaque, uint64_t off, unsigned size)
{
	struct pl011 *d = opaque;
	if (!access_ok(off, size))
		return 0;
	pthread_mutex_lock(&d->lock);
	uint32_t v = reg_read(d, off & ~3ull);
	pthread_mutex_unlock(&d->lock);
	v >>= (off & 3) * 8;
	return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

void pl011_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct pl011 *d = opaque;
	if (!access_ok(off, size))
		return;
	unsigned sh = (off & 3) * 8;
	uint32_t bm = (size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1) << sh;
	pthread_mutex_lock(&d->lock);
	reg_write(d, off & ~3ull, (uint32_t)(val << sh), bm);
	pthread_mutex_unlock(&d->lock);
}

const struct mmio_ops pl011_mmio_ops = {
	.read = pl011_read,
	.write = pl011_write,
	.widths = MMIO_W8 | MMIO_W16 | MMIO_W32,
};

size_t pl011_can_receive(struct pl011 *d)
{
	pthread_mutex_lock(&d->lock);
	size_t n = rx_enabled(d) ? depth(&d->r) - d->r.rx_count : 0;
	pthread_mutex_unlock(&d->lock);
	return n;
}

size_t pl011_receive(struct pl011 *d, const uint8_t *buf, size_t n)
{
	size_t taken = 0;
	pthread_mutex_lock(&d->lock);
	if (rx_enabled(d)) {
		for (size_t i = 0; i < n; i++)
			taken += rx_push(d, buf[i] & char_mask(d));
		if (d->r.rx_count)
			d->r.ris |= PL011_INT_RT; /* the burst is over: receive timeout */
		pl011_update(d);
	}
	pthread_mutex_unlock(&d->lock);
	return taken;
}

void pl011_receive_break(struct pl011 *d)
{
	pthread_mutex_lock(&d->lock);
	if (rx_enabled(d)) {
		rx_push(d, PL011_DR_BE);
		d->r.ris |= PL011_INT_RT;
		pl011_update(d);
	}
	pthread_mutex_unlock(&d->lock);
}

void pl011_save(struct pl011 *d, struct pl011_state *s)
{
	memset(s, 0, sizeof(*s));
	s->version = PL011_STATE_VERSION;
	s->size = sizeof(*s);
	pthread_mutex_lock(&d->lock);
	s->regs = d->r;
	pthread_mutex_unlock(&d->lock);
}

int pl011_restore(struct pl011 *d, const struct pl011_state *s)
{
	const struct pl011_regs *r = &s->regs;
	if (s->version != PL011_STATE_VERSION || s->size != sizeof(*s))
		return -EINVAL;
	unsigned dep = (r->lcr_h & PL011_LCRH_FEN) ? PL011_FIFO_DEPTH : 1;
	if (r->rx_head >= PL011_FIFO_DEPTH || r->tx_head >= PL011_FIFO_DEPTH || r->rx_count > dep ||
	    r->tx_count > dep)
		return -EINVAL;
	for (unsigned i = 0; i < PL011_FIFO_DEPTH; i++)
		if (r->rx_fifo[i] & ~0xfffu)
			return -EINVAL;
	if (r->rsr & ~0xfu || r->ilpr & ~0xffu || r->ibrd & ~0xffffu || r->fbrd & ~0x3fu || r->lcr_h & ~0xffu ||
	    r->cr & ~0xffffu || r->ifls & ~0x3fu || r->imsc & ~(uint32_t)PL011_INT_ALL ||
	    r->ris & ~(uint32_t)PL011_INT_ALL || r->dmacr & ~7u ||
	    r->modem & ~(uint32_t)(PL011_FR_CTS | PL011_FR_DSR | PL011_FR_DCD | PL011_FR_RI) || r->pending_oe > 1)
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	d->r = *r;
	pl011_update(d);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

const char *pl011_fdt_node(struct fdt_builder *b, uint64_t base, uint32_t spi, uint32_t clk_phandle)
{
	const char *n = fdtb_node(b, "/", "pl011@%" PRIx64, base);
	fdtb_prop_strs(b, n, "compatible", "arm,pl011", "arm,primecell", NULL);
	fdtb_prop_reg(b, n, base, PL011_MMIO_SIZE);
	fdtb_prop_irq(b, n, FDT_IRQ_SPI, spi, FDT_IRQ_LEVEL_HIGH);
	uint32_t clocks[2] = { clk_phandle, clk_phandle };
	fdtb_prop_cells(b, n, "clocks", clocks, 2);
	fdtb_prop_strs(b, n, "clock-names", "uartclk", "apb_pclk", NULL);
	return b->err ? NULL : n;
}

/* ---- the device interface (hw/device.h) ---- */
#include <stdlib.h>

#include "hw/device.h"

static void dev_reset(void *o) { pl011_reset(o); }
static size_t dev_state_size(void *o) { (void)o; return sizeof(struct pl011_state); }

static int dev_save(void *o, void *buf, size_t len)
{
	struct pl011_state s;
	if (len != sizeof(s))
		return -EINVAL;
	pl011_save(o, &s);
	memcpy(buf, &s, sizeof(s));
	return 0;
}

static int dev_load(void *o, const void *buf, size_t len, uint32_t version)
{
	struct pl011_state s;
	if (len != sizeof(s) || version != PL011_STATE_VERSION)
		return -EINVAL;
	memcpy(&s, buf, sizeof(s)); /* buf may be unaligned */
	return pl011_restore(o, &s);
}

static void dev_destroy(void *o)
{
	pl011_destroy(o);
	free(o);
}

const struct device_ops pl011_device_ops = {
	.type = "pl011",
	.state_version = PL011_STATE_VERSION,
	.reset = dev_reset,
	.state_size = dev_state_size,
	.save = dev_save,
	.load = dev_load,
	.destroy = dev_destroy,
};
