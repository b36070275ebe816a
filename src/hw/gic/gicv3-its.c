#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hw/gic/gicv3-its.h"
#include "machine/fdt.h"

#define GITS_CTLR 0x0000
#define GITS_IIDR 0x0004
#define GITS_TYPER 0x0008
#define GITS_CBASER 0x0080
#define GITS_CWRITER 0x0088
#define GITS_CREADR 0x0090
#define GITS_BASER 0x0100
#define GITS_PIDR2 0xffe8

#define CTLR_ENABLED 1u
#define CTLR_QUIESCENT (1u << 31)
#define VALID (1ull << 63)
#define CMD_SIZE 32u

/* GITS_BASER0: a flat device table; Type and Entry_Size are read-only. */
#define BASER_TYPE_DEVICE (1ull << 56)
#define BASER_ENTRY_8 (7ull << 48)
#define BASER_RW (VALID | 7ull << 59 | 7ull << 53 | 0x0000fffffffff000ull | 3ull << 10 | 3ull << 8 | 0xffull)

/* Commands (§5.3). */
enum {
	CMD_MOVI = 0x01, CMD_INT = 0x03, CMD_CLEAR = 0x04, CMD_SYNC = 0x05, CMD_MAPD = 0x08, CMD_MAPC = 0x09,
	CMD_MAPTI = 0x0a, CMD_MAPI = 0x0b, CMD_INV = 0x0c, CMD_INVALL = 0x0d, CMD_MOVALL = 0x0e, CMD_DISCARD = 0x0f,
};

static void its_log(struct gicv3_its *its, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void its_log(struct gicv3_its *its, const char *fmt, ...)
{
	if (its->log_count >= 20)
		return;
	its->log_count++;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "avmm: its: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, its->log_count == 20 ? " (further messages suppressed)\n" : "\n");
	va_end(ap);
}

static uint64_t typer(const struct gicv3_its *its)
{
	return 1ull                                 /* Physical LPIs */
	       | 7ull << 4                          /* ITT_entry_size: 8 bytes */
	       | (uint64_t)(GITS_EVBITS - 1) << 8   /* IDbits */
	       | (uint64_t)(GITS_DEVBITS - 1) << 13 /* Devbits */
	       | (uint64_t)its->ncpus << 24;        /* HCC: a collection per CPU in the ITS */
	/* PTA = 0: targets are processor numbers; CIL = 0: 16-bit ICIDs. */
}

static uint64_t page_size(uint64_t baser)
{
	switch ((baser >> 8) & 3) {
	case 0: return 0x1000;
	case 1: return 0x4000;
	default: return 0x10000;
	}
}

/* The guest-physical address of DeviceID's entry, or 0 if out of the table. */
static uint64_t dte_addr(struct gicv3_its *its, uint32_t devid)
{
	uint64_t b = its->baser_dev;
	if (!(b & VALID) || devid >= (1u << GITS_DEVBITS))
		return 0;
	uint64_t ps = page_size(b), size = ((b & 0xff) + 1) * ps;
	uint64_t base = b & 0x0000fffffffff000ull & ~(ps - 1);
	if (ps == 0x10000)
		base |= ((b >> 12) & 0xf) << 48; /* 64K pages: PA bits 51:48 in 15:12 */
	if ((uint64_t)devid * 8 + 8 > size)
		return 0;
	return base + (uint64_t)devid * 8;
}

static bool read_dte(struct gicv3_its *its, uint32_t devid, uint64_t *dte)
{
	uint64_t a = dte_addr(its, devid);
	return a && !gmem_read(its->gm, a, dte, 8);
}

/* The ITE of (devid, eventid): its address in *ite_gpa, 0 if none. */
static bool ite_addr(struct gicv3_its *its, uint32_t devid, uint32_t eventid, uint64_t *gpa)
{
	uint64_t dte;
	if (!read_dte(its, devid, &dte) || !(dte & 1))
		return false;
	unsigned bits = (unsigned)((dte >> 1) & 0x1f) + 1;
	if (eventid >= (1ull << bits))
		return false;
	*gpa = (dte & 0x000fffffffffff00ull) + (uint64_t)eventid * 8;
	return true;
}

static bool read_ite(struct gicv3_its *its, uint32_t devid, uint32_t eventid, uint32_t *intid, uint16_t *icid)
{
	uint64_t a, ite;
	if (!ite_addr(its, devid, eventid, &a) || gmem_read(its->gm, a, &ite, 8) || !(ite & 1))
		return false;
	*intid = (uint32_t)(ite >> 32);
	*icid = (uint16_t)(ite >> 16);
	return true;
}

static int target(struct gicv3_its *its, uint16_t icid)
{
	return icid < its->ncpus && its->col[icid].valid ? its->col[icid].cpu : -1;
}

static bool lpi_ok(uint32_t intid)
{
	return intid >= 8192 && intid < (1u << 16);
}

/* One command; false if it was in error (logged by the caller). */
static bool run_cmd(struct gicv3_its *its, const uint64_t c[4], const char **why)
{
	unsigned op = c[0] & 0xff;
	uint32_t devid = (uint32_t)(c[0] >> 32), eventid = (uint32_t)c[1];
	uint16_t icid = (uint16_t)c[2];
	uint32_t intid;
	uint16_t old_icid;
	uint64_t a;
	int t;
	switch (op) {
	case CMD_MAPD: {
		unsigned size = c[1] & 0x1f;
		uint64_t itt = c[2] & 0x000fffffffffff00ull, da = dte_addr(its, devid);
		if (!da)
			return *why = "MAPD: DeviceID outside the device table", false;
		if (size + 1 > GITS_EVBITS)
			return *why = "MAPD: ITT size above the supported EventID bits", false;
		uint64_t dte = c[2] & VALID ? itt | (uint64_t)size << 1 | 1 : 0;
		if (dte && !gmem_valid(its->gm, itt, 8ull << (size + 1), true))
			return *why = "MAPD: ITT outside RAM", false;
		return gmem_write(its->gm, da, &dte, 8) ? (*why = "MAPD: device table outside RAM", false) : true;
	}
	case CMD_MAPC: {
		uint64_t rd = (c[2] >> 16) & 0xfffffffffull;
		if (icid >= its->ncpus)
			return *why = "MAPC: ICID beyond the ITS's collections", false;
		if ((c[2] & VALID) && rd >= its->ncpus)
			return *why = "MAPC: no such redistributor", false;
		its->col[icid].valid = c[2] & VALID;
		its->col[icid].cpu = (uint16_t)rd;
		return true;
	}
	case CMD_MAPTI:
	case CMD_MAPI: {
		intid = op == CMD_MAPI ? eventid : (uint32_t)(c[1] >> 32);
		if (!lpi_ok(intid))
			return *why = "MAPTI: pINTID is not an LPI", false;
		if (icid >= its->ncpus)
			return *why = "MAPTI: ICID out of range", false;
		if (!ite_addr(its, devid, eventid, &a))
			return *why = "MAPTI: device not mapped or EventID too large", false;
		uint64_t ite = (uint64_t)intid << 32 | (uint64_t)icid << 16 | 1;
		return gmem_write(its->gm, a, &ite, 8) ? (*why = "MAPTI: ITT outside RAM", false) : true;
	}
	case CMD_MOVI:
		if (icid >= its->ncpus || !read_ite(its, devid, eventid, &intid, &old_icid) || !ite_addr(its, devid, eventid, &a))
			return *why = "MOVI: no such mapping or collection", false;
		if ((t = target(its, old_icid)) >= 0 && gicv3_lpi_set(its->gic, (unsigned)t, intid, false) == 1 &&
		    target(its, icid) >= 0)
			gicv3_lpi_set(its->gic, (unsigned)target(its, icid), intid, true);
		{
			uint64_t ite = (uint64_t)intid << 32 | (uint64_t)icid << 16 | 1;
			gmem_write(its->gm, a, &ite, 8);
		}
		return true;
	case CMD_DISCARD:
		if (!read_ite(its, devid, eventid, &intid, &old_icid) || !ite_addr(its, devid, eventid, &a))
			return *why = "DISCARD: no such mapping", false;
		/* Wherever it is pending now (a MOVALL may have moved it). */
		for (unsigned cpu = 0; cpu < its->ncpus; cpu++)
			gicv3_lpi_set(its->gic, cpu, intid, false);
		{
			uint64_t zero = 0;
			gmem_write(its->gm, a, &zero, 8);
		}
		return true;
	case CMD_INT:
	case CMD_CLEAR:
		if (!read_ite(its, devid, eventid, &intid, &old_icid) || (t = target(its, old_icid)) < 0)
			return *why = "INT/CLEAR: no such mapping or collection", false;
		gicv3_lpi_set(its->gic, (unsigned)t, intid, op == CMD_INT);
		return true;
	case CMD_INV:
		/* The configuration is read from the property table each time. */
		if (!read_ite(its, devid, eventid, &intid, &old_icid))
			return *why = "INV: no such mapping", false;
		gicv3_lpi_sync(its->gic);
		return true;
	case CMD_INVALL:
		if (icid >= its->ncpus)
			return *why = "INVALL: ICID out of range", false;
		gicv3_lpi_sync(its->gic);
		return true;
	case CMD_SYNC:
		return true; /* every effect is already visible */
	case CMD_MOVALL: {
		uint64_t r1 = (c[2] >> 16) & 0xfffffffffull, r2 = (c[3] >> 16) & 0xfffffffffull;
		if (r1 >= its->ncpus || r2 >= its->ncpus)
			return *why = "MOVALL: no such redistributor", false;
		gicv3_lpi_move_all(its->gic, (unsigned)r1, (unsigned)r2);
		return true;
	}
	}
	*why = "unknown or unsupported command (virtual LPIs are not implemented)";
	return false;
}

static uint64_t queue_size(const struct gicv3_its *its)
{
	return ((its->cbaser & 0xff) + 1) * 0x1000;
}

/* Process commands from CREADR up to CWRITER (ITS lock held). */
static void process(struct gicv3_its *its)
{
	if (!(its->ctlr & CTLR_ENABLED) || !(its->cbaser & VALID) || its->stalled)
		return;
	uint64_t base = its->cbaser & 0x000ffffffffff000ull, qs = queue_size(its);
	for (unsigned guard = 0; its->creadr != its->cwriter && guard < qs / CMD_SIZE; guard++) {
		uint64_t c[4];
		if (gmem_read(its->gm, base + its->creadr, c, sizeof(c))) {
			its->stalled = true;
			its->n_errors++;
			its_log(its, "command queue at 0x%" PRIx64 " is not in RAM: stalled", base + its->creadr);
			return;
		}
		its->n_cmds++;
		const char *why = NULL;
		if (!run_cmd(its, c, &why)) {
			its->n_errors++;
			its_log(its, "command 0x%02x (DeviceID 0x%x, EventID 0x%x) ignored: %s", (unsigned)(c[0] & 0xff),
				(unsigned)(c[0] >> 32), (unsigned)c[1], why);
		}
		its->creadr = (its->creadr + CMD_SIZE) % qs;
	}
}

void gicv3_its_translate(struct gicv3_its *its, uint32_t devid, uint32_t eventid)
{
	pthread_mutex_lock(&its->lock);
	uint32_t intid;
	uint16_t icid;
	int t;
	if ((its->ctlr & CTLR_ENABLED) && read_ite(its, devid, eventid, &intid, &icid) && (t = target(its, icid)) >= 0 &&
	    gicv3_lpi_set(its->gic, (unsigned)t, intid, true) >= 0)
		its->n_translated++;
	else
		its->n_dropped++; /* no mapping: the write is ignored (§5.2.5) */
	pthread_mutex_unlock(&its->lock);
}

uint64_t gicv3_its_read(void *opaque, uint64_t off, unsigned size)
{
	struct gicv3_its *its = opaque;
	uint64_t v = 0;
	pthread_mutex_lock(&its->lock);
	unsigned r = (unsigned)(off & ~7ull), hi = (off & 4) ? 32 : 0;
	switch (r) {
	case GITS_CTLR: v = (uint64_t)(its->ctlr | CTLR_QUIESCENT) | (uint64_t)0x0000043bu << 32; break; /* + IIDR */
	case GITS_TYPER: v = typer(its); break;
	case GITS_CBASER: v = its->cbaser; break;
	case GITS_CWRITER: v = its->cwriter; break;
	case GITS_CREADR: v = its->creadr | (its->stalled ? 1 : 0); break;
	case GITS_BASER: v = its->baser_dev | BASER_TYPE_DEVICE | BASER_ENTRY_8; break;
	case GITS_PIDR2: v = 0x3b; break; /* ArchRev 3 (GICv3), JEP106 low bits */
	}
	pthread_mutex_unlock(&its->lock);
	if (size == 8)
		return (off & 7) ? 0 : v;
	return (v >> hi) & 0xffffffffu;
}

static void set64(uint64_t *reg, uint64_t off, unsigned size, uint64_t v, uint64_t rw)
{
	if (size == 8)
		*reg = (*reg & ~rw) | (v & rw);
	else if (off & 4)
		*reg = (*reg & ~(rw & ~0xffffffffull)) | ((v << 32) & rw);
	else
		*reg = (*reg & ~(rw & 0xffffffffull)) | (v & rw & 0xffffffffull);
}

void gicv3_its_write(void *opaque, uint64_t off, unsigned size, uint64_t v)
{
	struct gicv3_its *its = opaque;
	if (off == GITS_TRANSLATER && size == 4) {
		gicv3_its_translate(its, 0, (uint32_t)v); /* a CPU's write: requester ID 0 */
		return;
	}
	if ((size == 8 && (off & 7)) || (size != 4 && size != 8) || (off & 3))
		return;
	pthread_mutex_lock(&its->lock);
	unsigned r = (unsigned)(off & ~7ull);
	switch (r) {
	case GITS_CTLR:
		if (!(off & 4)) {
			its->ctlr = (uint32_t)v & CTLR_ENABLED;
			process(its);
		}
		break;
	case GITS_CBASER:
		/* Writable only while disabled (§12.19.3); resets CREADR. */
		if (!(its->ctlr & CTLR_ENABLED)) {
			set64(&its->cbaser, off, size, v, VALID | 7ull << 59 | 7ull << 53 | 0x000ffffffffff000ull | 3ull << 10 | 0xff);
			its->creadr = 0;
			its->stalled = false;
		}
		break;
	case GITS_CWRITER:
		if (!(off & 4)) {
			uint64_t w = v & 0xfffe0;
			if (w >= queue_size(its)) {
				its_log(its, "GITS_CWRITER 0x%" PRIx64 " beyond the command queue ignored", w);
				break;
			}
			its->cwriter = w;
			if (v & 1) /* Retry: restart a stalled queue */
				its->stalled = false;
			process(its);
		}
		break;
	case GITS_BASER:
		if (!(its->ctlr & CTLR_ENABLED))
			set64(&its->baser_dev, off, size, v, BASER_RW);
		break;
	default: break; /* read-only, other BASERs (type 0: unimplemented) and reserved: ignored */
	}
	pthread_mutex_unlock(&its->lock);
}

const struct mmio_ops gicv3_its_ops = { gicv3_its_read, gicv3_its_write, MMIO_W32 | MMIO_W64 };

int gicv3_its_init(struct gicv3_its *its, struct gicv3 *gic, struct guest_mem *gm, unsigned ncpus)
{
	if (!ncpus || ncpus > GICV3_MAX_CPUS)
		return -EINVAL;
	memset(its, 0, sizeof(*its));
	its->gic = gic;
	its->gm = gm;
	its->ncpus = ncpus;
	pthread_mutex_init(&its->lock, NULL);
	return 0;
}

void gicv3_its_destroy(struct gicv3_its *its)
{
	pthread_mutex_destroy(&its->lock);
}

void gicv3_its_reset(struct gicv3_its *its)
{
	pthread_mutex_lock(&its->lock);
	its->ctlr = 0;
	its->cbaser = its->cwriter = its->creadr = its->baser_dev = 0;
	its->stalled = false;
	memset(its->col, 0, sizeof(its->col));
	pthread_mutex_unlock(&its->lock);
}

uint32_t gicv3_its_fdt_node(struct fdt_builder *b, const char *gic_path, uint64_t base)
{
	const char *n = fdtb_node(b, gic_path, "its@%" PRIx64, base);
	fdtb_prop_str(b, n, "compatible", "arm,gic-v3-its");
	fdtb_prop_empty(b, n, "msi-controller");
	fdtb_prop_u32(b, n, "#msi-cells", 1);
	fdtb_prop_reg(b, n, base, GITS_SIZE);
	uint32_t ph = fdtb_phandle(b, n);
	return b->err ? 0 : ph;
}
