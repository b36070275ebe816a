/* Arm PrimeCell UART (PL011), after the Technical Reference Manual DDI0183.
 *
 * Registers (offsets from the base, one 4 KiB region):
 *   0x000 DR    data; reads pop the receive FIFO with the error bits FE/PE/BE/OE in 11:8
 *   0x004 RSR   receive status (read) / ECR error clear (write: any value clears)
 *   0x018 FR    flags: CTS DSR DCD BUSY RXFE TXFF RXFF TXFE RI
 *   0x020 ILPR  IrDA low-power divisor (stored, no effect)
 *   0x024 IBRD  integer baud divisor (16 bits); 0x028 FBRD fractional (6 bits)
 *   0x02c LCR_H line control: BRK PEN EPS STP2 FEN WLEN SPS
 *   0x030 CR    control: UARTEN SIREN SIRLP LBE TXE RXE DTR RTS OUT1 OUT2 RTSEN CTSEN
 *   0x034 IFLS  FIFO interrupt levels; 0x038 IMSC mask; 0x03c RIS; 0x040 MIS; 0x044 ICR
 *   0x048 DMACR (stored; there is no DMA controller)
 *   0xfe0..0xffc PeriphID0-3 / PCellID0-3 (Linux's AMBA bus matches them)
 *
 * The model:
 * - Transmission is instantaneous: a character leaves the transmit FIFO as
 *   soon as the transmitter may send it, through the `tx` callback (or, with
 *   CR.LBE, back into the receive path). So FR.BUSY is never seen set, and
 *   the TX interrupt is raised after each transmission that leaves the FIFO at
 *   or below the IFLS level (FIFO off: holding register empty); it is cleared
 *   by ICR or by filling the FIFO above the level, as the TRM says.
 * - Receive: pl011_receive() pushes characters; a character arriving with the
 *   FIFO full is lost and sets OE (RSR, RIS.OE, and the next character's DR
 *   OE bit), as on hardware. The RX interrupt follows the FIFO level against
 *   IFLS (FIFO off: a character waiting). The receive timeout (32 bit periods
 *   without new data) is taken to elapse when a pl011_receive() call returns
 *   with data waiting: the console thread delivers whatever the host gave it
 *   in one call, so the end of a call is the end of the burst.
 * - Modem inputs are those of a connected terminal (CTS, DSR, DCD asserted,
 *   RI not); in loopback (CR.LBE) they follow RTS/DTR/OUT1/OUT2 as the TRM
 *   describes, with the modem-status interrupts on every change. CTSEN holds
 *   transmission while CTS is deasserted; RTSEN drives RTS from the receive
 *   FIFO level.
 * - Enables: by default (as QEMU's virt UART, which existing bare-metal
 *   programs and Linux's earlycon rely on: nothing enables the UART before
 *   they write to it) characters are sent and received whatever
 *   CR.UARTEN/TXE/RXE say. With `strict_enables`, the transmitter runs only
 *   with UARTEN and TXE (written characters wait in the FIFO), the receiver
 *   only with UARTEN and RXE (pl011_can_receive() returns 0), and characters
 *   are masked to the word length of LCR_H.WLEN.
 * - The PeriphID revision is 1 (r1p1-r1p3 parts have 16-deep FIFOs; Linux
 *   takes 32-deep FIFOs for revision 3 and up).
 *
 * Accesses of 8, 16 and 32 bits are accepted at any offset inside a register:
 * a read returns those bytes of the register (any read of DR pops the FIFO,
 * as the APB reads whole words); a write updates only the bytes written
 * (DR transmits when byte 0 is written; ICR clears the bits written; any
 * write to ECR clears the errors). Writes to read-only registers and reads of
 * write-only ones are ignored / read as zero.
 *
 * Locking: each device has its own mutex. MMIO callbacks and pl011_receive()
 * (from the console thread) may run concurrently. The `tx` callback and the
 * irq_line are called with that mutex held: they must not call back into
 * this device. */
#ifndef AVMM_HW_PL011_H
#define AVMM_HW_PL011_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/mmio.h"

struct fdt_builder;

#define PL011_MMIO_SIZE 0x1000u
#define PL011_FIFO_DEPTH 16u

enum {
	PL011_DR = 0x000,
	PL011_RSR = 0x004, /* ECR on write */
	PL011_FR = 0x018,
	PL011_ILPR = 0x020,
	PL011_IBRD = 0x024,
	PL011_FBRD = 0x028,
	PL011_LCR_H = 0x02c,
	PL011_CR = 0x030,
	PL011_IFLS = 0x034,
	PL011_IMSC = 0x038,
	PL011_RIS = 0x03c,
	PL011_MIS = 0x040,
	PL011_ICR = 0x044,
	PL011_DMACR = 0x048,
	PL011_PERIPHID0 = 0xfe0,
};

/* DR error bits (11:8) and RSR bits (3:0). */
enum { PL011_DR_FE = 1u << 8, PL011_DR_PE = 1u << 9, PL011_DR_BE = 1u << 10, PL011_DR_OE = 1u << 11 };
enum { PL011_RSR_FE = 1u << 0, PL011_RSR_PE = 1u << 1, PL011_RSR_BE = 1u << 2, PL011_RSR_OE = 1u << 3 };
enum {
	PL011_FR_CTS = 1u << 0, PL011_FR_DSR = 1u << 1, PL011_FR_DCD = 1u << 2, PL011_FR_BUSY = 1u << 3,
	PL011_FR_RXFE = 1u << 4, PL011_FR_TXFF = 1u << 5, PL011_FR_RXFF = 1u << 6, PL011_FR_TXFE = 1u << 7,
	PL011_FR_RI = 1u << 8,
};
enum { PL011_LCRH_BRK = 1u << 0, PL011_LCRH_FEN = 1u << 4, PL011_LCRH_WLEN_SHIFT = 5 };
enum {
	PL011_CR_UARTEN = 1u << 0, PL011_CR_LBE = 1u << 7, PL011_CR_TXE = 1u << 8, PL011_CR_RXE = 1u << 9,
	PL011_CR_DTR = 1u << 10, PL011_CR_RTS = 1u << 11, PL011_CR_OUT1 = 1u << 12, PL011_CR_OUT2 = 1u << 13,
	PL011_CR_RTSEN = 1u << 14, PL011_CR_CTSEN = 1u << 15,
};
/* Interrupt bits of IMSC/RIS/MIS/ICR. */
enum {
	PL011_INT_RI = 1u << 0, PL011_INT_CTS = 1u << 1, PL011_INT_DCD = 1u << 2, PL011_INT_DSR = 1u << 3,
	PL011_INT_RX = 1u << 4, PL011_INT_TX = 1u << 5, PL011_INT_RT = 1u << 6, PL011_INT_FE = 1u << 7,
	PL011_INT_PE = 1u << 8, PL011_INT_BE = 1u << 9, PL011_INT_OE = 1u << 10, PL011_INT_ALL = 0x7ff,
};

/* The architectural registers and FIFOs: everything save/restore carries. */
struct pl011_regs {
	uint16_t rx_fifo[PL011_FIFO_DEPTH]; /* received characters, 11:8 = their FE/PE/BE/OE bits */
	uint8_t tx_fifo[PL011_FIFO_DEPTH];  /* characters waiting to be transmitted */
	uint32_t rx_head, rx_count;         /* receive FIFO: oldest entry, entries in use */
	uint32_t tx_head, tx_count;         /* transmit FIFO: oldest entry, entries in use */
	uint32_t rsr;                       /* RSR: FE/PE/BE of the last character read, OE sticky */
	uint32_t ilpr;                      /* ILPR (8 bits) */
	uint32_t ibrd;                      /* IBRD (16 bits) */
	uint32_t fbrd;                      /* FBRD (6 bits) */
	uint32_t lcr_h;                     /* LCR_H (8 bits) */
	uint32_t cr;                        /* CR (16 bits) */
	uint32_t ifls;                      /* IFLS: TXIFLSEL 2:0, RXIFLSEL 5:3 */
	uint32_t imsc;                      /* IMSC (11 bits) */
	uint32_t ris;                       /* RIS: raw interrupt status (11 bits) */
	uint32_t dmacr;                     /* DMACR (3 bits) */
	uint32_t modem;                     /* modem input levels as FR bits (CTS DSR DCD RI), for change detection */
	uint32_t pending_oe;                /* 1: a character was lost; the next one received carries DR.OE */
};

#define PL011_STATE_VERSION 1u
struct pl011_state {
	uint32_t version; /* PL011_STATE_VERSION */
	uint32_t size;    /* sizeof(struct pl011_state) */
	struct pl011_regs regs;
};

struct pl011_config {
	/* Transmitted characters; NULL discards them. Called with the device lock held. */
	void (*tx)(void *opaque, const uint8_t *buf, size_t n);
	void *tx_opaque;
	struct irq_line irq; /* the combined interrupt UARTINTR */
	bool strict_enables; /* see above; false = QEMU-compatible */
};

struct pl011 {
	pthread_mutex_t lock;
	struct pl011_config cfg;
	struct pl011_regs r;
	bool irq_level; /* last level driven on cfg.irq */
};

void pl011_init(struct pl011 *d, const struct pl011_config *cfg);
void pl011_destroy(struct pl011 *d);
void pl011_reset(struct pl011 *d);

uint64_t pl011_read(void *opaque, uint64_t off, unsigned size);
void pl011_write(void *opaque, uint64_t off, unsigned size, uint64_t val);
extern const struct mmio_ops pl011_mmio_ops; /* widths 8, 16, 32 */

/* Input from the host side (any thread). pl011_can_receive() says how many
 * characters the receiver takes now without loss; pl011_receive() delivers
 * n of them (those beyond the free space are lost with an overrun, as on a
 * real line) and returns how many entered the FIFO. */
size_t pl011_can_receive(struct pl011 *d);
size_t pl011_receive(struct pl011 *d, const uint8_t *buf, size_t n);
/* A break condition on the line: a NUL character with BE set. */
void pl011_receive_break(struct pl011 *d);

void pl011_save(struct pl011 *d, struct pl011_state *s);
/* 0, or -EINVAL (state untouched) for a wrong version/size or an
 * out-of-range index, count or register value. */
int pl011_restore(struct pl011 *d, const struct pl011_state *s);

/* The device-tree node "pl011@BASE" under the root (compatible "arm,pl011",
 * "arm,primecell"; interrupts = SPI `spi`, level high; clocks = clk_phandle
 * for uartclk and apb_pclk). Returns the node's path (owned by the builder),
 * or NULL with the builder's error set. */
const char *pl011_fdt_node(struct fdt_builder *b, uint64_t base, uint32_t spi, uint32_t clk_phandle);

/* The device interface (hw/device.h): reset, save/load of struct
 * pl011_state, destroy = pl011_destroy + free (a heap-allocated device). */
struct device_ops;
extern const struct device_ops pl011_device_ops;

#endif
