"""Tiny bare-metal guests for the console tests, assembled here so the tests
need no cross compiler: an arm64 Image header, then a few instructions that
poke the PL011 at 0x09000000 and end with a PSCI call through hvc #0."""
import struct

UART_FR_RXFE, UART_FR_TXFF = 4, 5
PSCI_SYSTEM_OFF, PSCI_SYSTEM_RESET = 0x84000008, 0x84000009


# ---- just the instructions the guests below use ----
def movz(rd, imm, hw=0): return 0xD2800000 | hw << 21 | (imm & 0xffff) << 5 | rd
def movk(rd, imm, hw): return 0xF2800000 | hw << 21 | (imm & 0xffff) << 5 | rd
def ldr_w(rt, rn, off): return 0xB9400000 | (off // 4) << 10 | rn << 5 | rt
def str_w(rt, rn, off): return 0xB9000000 | (off // 4) << 10 | rn << 5 | rt
def strb(rt, rn): return 0x39000000 | rn << 5 | rt
def subs1(rd): return 0xF1000400 | rd << 5 | rd            # subs xd, xd, #1
def orr(rd, rn, rm): return 0xAA000000 | rm << 16 | rn << 5 | rd
def lsr8(rd): return 0xD348FC00 | rd << 5 | rd             # lsr xd, xd, #8
HVC0, SELF = 0xD4000002, 0x14000000                        # hvc #0; b .


class Asm:
    def __init__(self):
        self.w = []
        self.fix = []  # (index, label, kind, reg/bit)

    def __call__(self, *ins): self.w.extend(ins)
    def here(self): return len(self.w)

    def tbnz(self, rt, bit, target): self.w.append(0x37000000 | bit << 19 | ((target - self.here()) & 0x3fff) << 5 | rt)
    def bne(self, target): self.w.append(0x54000001 | ((target - self.here()) & 0x7ffff) << 5)
    def cbz_fwd(self, rt): self.fix.append(self.here()); self.w.append(0xB4000000 | rt)
    def land(self):  # resolve the pending forward cbz to here
        i = self.fix.pop()
        self.w[i] |= ((self.here() - i) & 0x7ffff) << 5

    def putc(self, rt):  # wait for TXFF clear, write rt (x1 = UART)
        top = self.here()
        self(ldr_w(4, 1, 0x18))
        self.tbnz(4, UART_FR_TXFF, top)
        self(strb(rt, 1))

    def image(self):
        code = b"".join(struct.pack("<I", x) for x in self.w)
        hdr = struct.pack("<II", 0x14000010, 0)                  # b +64
        hdr += struct.pack("<QQQ", 0x80000, 0x10000, 0xa)        # text_offset, image_size, flags
        hdr += b"\0" * 24 + b"ARM\x64" + b"\0" * 4
        return hdr + code


def prologue(a, fen):
    a(movz(1, 0x0900, 1))                  # x1 = 0x09000000, the PL011
    if fen:
        a(movz(7, 0x70), str_w(7, 1, 0x2c))  # LCR_H: FIFOs on, 8 bits
def psci(a, fn): a(movz(0, fn & 0xffff), movk(0, fn >> 16, 1), HVC0, SELF)
def power_off(a): psci(a, PSCI_SYSTEM_OFF)


def printer(count):
    """Prints count 'x' (0: forever), then powers off."""
    a = Asm()
    prologue(a, False)
    a(movz(2, count & 0xffff), movk(2, count >> 16, 1), movz(3, ord("x")))
    top = a.here()
    a.putc(3)
    a(subs1(2))
    a.bne(top)
    power_off(a)
    return a.image()


def echo(count, fen):
    """Prints R, reads count characters, echoes each, then prints K (no DR
    error bit seen) or E, and powers off."""
    a = Asm()
    prologue(a, fen)
    a(movz(3, ord("R")))
    a.putc(3)                          # ready: input sent before this could be flushed by the FEN write
    a(movz(2, count), movz(6, 0))
    top = a.here()
    a(ldr_w(4, 1, 0x18))
    a.tbnz(4, UART_FR_RXFE, top)
    a(ldr_w(5, 1, 0), orr(6, 6, 5))
    a.putc(5)
    a(subs1(2))
    a.bne(top)
    a(lsr8(6), movz(3, ord("K")))
    a.cbz_fwd(6)
    a(movz(3, ord("E")))
    a.land()
    a.putc(3)
    power_off(a)
    return a.image()




def reset_loop(text):
    """Prints text, then asks for a system reset (SYSTEM_RESET): forever."""
    a = Asm()
    prologue(a, False)
    for ch in text.encode():
        a(movz(3, ch))
        a.putc(3)
    psci(a, PSCI_SYSTEM_RESET)
    return a.image()
