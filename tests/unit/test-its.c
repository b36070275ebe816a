/* The GICv3 ITS and LPIs, set up the way Linux's irq-gic-v3-its does it:
 * property and pending tables, EnableLPIs, the device table and command
 * queue, MAPD / MAPC / MAPTI / SYNC, then an MSI write raises the LPI,
 * which the CPU interface acknowledges and EOIs; MOVI, DISCARD, INT/CLEAR,
 * MOVALL; and what a hostile driver does (IDs out of range, tables outside
 * RAM, a queue the ITS cannot read). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hw/gic/gicv3-its.h"

#define OK(c) CHECK(c, "%s", "false")
#define RAM_BASE 0x40000000ull
#define RAM_SIZE 0x400000ull
#define PROP (RAM_BASE + 0x10000)   /* 64 KiB: 16 bits of INTID */
#define PEND0 (RAM_BASE + 0x20000)
#define PEND1 (RAM_BASE + 0x30000)
#define DEVT (RAM_BASE + 0x100000)  /* 512 KiB device table */
#define CMDQ (RAM_BASE + 0x200000)
#define ITT (RAM_BASE + 0x210000)

static uint8_t *ram;
static struct guest_mem gm;
static struct gicv3 *gic;
static struct gicv3_its its;
static bool irq[2];
static unsigned ncmd;

static void cpu_irq(void *o, unsigned cpu, bool i, bool f)
{
	irq[cpu] = i;
}

static void its_w(uint64_t off, uint64_t v)
{
	gicv3_its_write(&its, off, 8, v);
}

static uint64_t its_r(uint64_t off)
{
	return gicv3_its_read(&its, off, 8);
}

static void cmd(uint64_t d0, uint64_t d1, uint64_t d2, uint64_t d3)
{
	uint64_t c[4] = { d0, d1, d2, d3 };
	unsigned slot = ncmd++ % (0x1000 / 32);
	memcpy(ram + (CMDQ - RAM_BASE) + 32 * slot, c, 32);
	its_w(0x88, (uint64_t)((slot + 1) % (0x1000 / 32)) * 32);
}

static uint64_t iar(unsigned cpu)
{
	uint64_t v;
	gicv3_cpuif_read(gic, cpu, ICC_IAR1_EL1, &v);
	return v;
}

static void eoi(unsigned cpu, uint64_t id)
{
	gicv3_cpuif_write(gic, cpu, ICC_EOIR1_EL1, id);
}

static void cpu_setup(unsigned cpu, uint64_t pend)
{
	uint64_t rd = (uint64_t)cpu * GICV3_REDIST_STRIDE;
	gicv3_redist_write(gic, rd + 0x14, 4, 0); /* wake */
	gicv3_redist_write(gic, rd + 0x70, 8, PROP | 15);
	gicv3_redist_write(gic, rd + 0x78, 8, pend | 1ull << 62);
	gicv3_redist_write(gic, rd + 0x00, 4, 1); /* EnableLPIs */
	gicv3_cpuif_write(gic, cpu, ICC_PMR_EL1, 0xff);
	gicv3_cpuif_write(gic, cpu, ICC_IGRPEN1_EL1, 1);
}

int main(void)
{
	ram = calloc(1, RAM_SIZE);
	gmem_init(&gm);
	gmem_add(&gm, RAM_BASE, RAM_SIZE, ram, false);
	struct gicv3_config gc = { .num_cpus = 2, .cpu_irq = cpu_irq, .lpis = true, .gm = &gm };
	EQ(gicv3_create(&gc, &gic), 0);
	EQ(gicv3_its_init(&its, gic, &gm, 2), 0);
	check_ctx = "id registers";
	OK(gicv3_dist_read(gic, 0x4, 4) & (1u << 17));               /* GICD_TYPER.LPIS */
	EQ((gicv3_dist_read(gic, 0x4, 4) >> 19) & 0x1f, 15u);         /* 16 bits of INTID */
	OK(gicv3_redist_read(gic, 0x8, 8) & 1);                       /* GICR_TYPER.PLPIS */
	EQ(gicv3_its_read(&its, 0xffe8, 4) >> 4 & 0xf, 3u);           /* ArchRev */
	uint64_t typer = its_r(0x8);
	EQ(typer & 1, 1u);
	EQ((typer >> 4) & 0xf, 7u);                                   /* 8-byte ITEs */
	EQ((typer >> 13) & 0x1f, 15u);                                /* 16 DeviceID bits */
	EQ(its_r(0x100) >> 56 & 7, 1u);                               /* BASER0: devices */
	EQ(its_r(0x108), 0u);                                         /* BASER1: none */
	OK(gicv3_its_read(&its, 0, 4) & (1u << 31));                  /* quiescent */
	/* Linux's order: redistributors, then the ITS tables and queue. */
	gicv3_dist_write(gic, 0x0, 4, 2 | 0x10); /* EnableGrp1, ARE */
	memset(ram + (PROP - RAM_BASE), 0xa0 | 1, 0x10000);            /* prio 0xa0, enabled */
	cpu_setup(0, PEND0);
	cpu_setup(1, PEND1);
	EQ(gicv3_redist_read(gic, 0x0, 4), 1u);
	gicv3_redist_write(gic, 0x70, 8, 0);                          /* ignored once enabled */
	EQ(gicv3_redist_read(gic, 0x70, 8), PROP | 15);
	its_w(0x100, 1ull << 63 | DEVT | 0ull << 8 | (0x80000 / 0x1000 - 1));
	OK(!(its_r(0x100) & (1ull << 62)));                           /* Indirect RAZ/WI */
	its_w(0x80, 1ull << 63 | CMDQ | 0);                           /* one 4 KiB page */
	gicv3_its_write(&its, 0, 4, 1);
	check_ctx = "map and deliver";
	uint32_t dev = 0x0010; /* 00:02.0 */
	cmd(0x08 | (uint64_t)dev << 32, 4, 1ull << 63 | ITT, 0);      /* MAPD, 5 EventID bits */
	cmd(0x09, 0, 1ull << 63 | 0ull << 16 | 0, 0);                 /* MAPC ICID 0 -> CPU 0 */
	cmd(0x09, 0, 1ull << 63 | 1ull << 16 | 1, 0);                 /* MAPC ICID 1 -> CPU 1 */
	cmd(0x0a | (uint64_t)dev << 32, 3 | 8200ull << 32, 0, 0);     /* MAPTI event 3 -> 8200, ICID 0 */
	cmd(0x05, 0, 0, 0);                                           /* SYNC */
	EQ(its_r(0x90), its_r(0x88));                                 /* all consumed */
	EQ(its.n_errors, 0u);
	OK(!irq[0]);
	gicv3_its_translate(&its, dev, 3);
	OK(irq[0]);
	OK(!irq[1]);
	EQ(iar(0), 8200u);
	OK(!irq[0]);                                                  /* no active state, but priority drop pending */
	eoi(0, 8200);
	EQ(iar(0), 1023u);
	/* A disabled LPI stays pending, then fires when enabled + INV. */
	check_ctx = "property table";
	ram[PROP - RAM_BASE + 8200 - 8192] = 0xa0;                    /* disable */
	gicv3_its_translate(&its, dev, 3);
	OK(!irq[0]);
	ram[PROP - RAM_BASE + 8200 - 8192] = 0xa1;
	cmd(0x0c | (uint64_t)dev << 32, 3, 0, 0);                     /* INV */
	cmd(0x05, 0, 0, 0);
	OK(irq[0]);
	EQ(iar(0), 8200u);
	eoi(0, 8200);
	/* MOVI to CPU 1, INT, CLEAR, DISCARD. */
	check_ctx = "movi int clear discard";
	cmd(0x01 | (uint64_t)dev << 32, 3, 1, 0);                     /* MOVI -> ICID 1 */
	gicv3_its_translate(&its, dev, 3);
	OK(irq[1]);
	OK(!irq[0]);
	cmd(0x04 | (uint64_t)dev << 32, 3, 0, 0);                     /* CLEAR */
	OK(!irq[1]);
	cmd(0x03 | (uint64_t)dev << 32, 3, 0, 0);                     /* INT */
	OK(irq[1]);
	cmd(0x0e, 0, 1ull << 16, 0ull << 16);                         /* MOVALL 1 -> 0 */
	OK(irq[0]);
	OK(!irq[1]);
	cmd(0x0f | (uint64_t)dev << 32, 3, 0, 0);                     /* DISCARD */
	OK(!irq[0]);
	gicv3_its_translate(&its, dev, 3);                            /* unmapped now: dropped */
	OK(!irq[0]);
	EQ(its.n_errors, 0u);
	/* Hostile commands: each is an error, skipped, and the queue goes on. */
	check_ctx = "hostile commands";
	uint64_t before = its.n_errors;
	cmd(0x08 | (uint64_t)0x12345 << 32, 4, 1ull << 63 | ITT, 0);  /* DeviceID beyond 16 bits */
	cmd(0x08 | (uint64_t)7 << 32, 20, 1ull << 63 | ITT, 0);       /* ITT size above 16 bits */
	cmd(0x08 | (uint64_t)7 << 32, 4, 1ull << 63 | 0x1000, 0);     /* ITT outside RAM */
	cmd(0x0a | (uint64_t)dev << 32, 40 | 8300ull << 32, 0, 0);    /* EventID beyond the ITT */
	cmd(0x0a | (uint64_t)dev << 32, 4 | 100ull << 32, 0, 0);      /* pINTID not an LPI */
	cmd(0x0a | (uint64_t)dev << 32, 4 | 8300ull << 32, 9, 0);     /* ICID out of range */
	cmd(0x09, 0, 1ull << 63 | 5ull << 16 | 0, 0);                 /* MAPC to no CPU */
	cmd(0x22, 0, 0, 0);                                           /* a GICv4 command */
	cmd(0x0c | (uint64_t)0x99 << 32, 0, 0, 0);                    /* INV on an unmapped device */
	EQ(its.n_errors - before, 9u);
	EQ(its_r(0x90), its_r(0x88));
	cmd(0x0a | (uint64_t)dev << 32, 4 | 8300ull << 32, 0, 0);     /* a good one still works */
	gicv3_its_translate(&its, dev, 4);
	EQ(iar(0), 8300u);
	eoi(0, 8300);
	/* CWRITER beyond the queue is ignored; a queue outside RAM stalls. */
	check_ctx = "queue";
	uint64_t w = its_r(0x88);
	its_w(0x88, 0x2000);
	EQ(its_r(0x88), w);
	gicv3_its_write(&its, 0, 4, 0);
	its_w(0x80, 1ull << 63 | 0x1000);                             /* the queue in no RAM */
	EQ(its_r(0x90), 0u);                                          /* CBASER resets CREADR */
	gicv3_its_write(&its, 0, 4, 1);
	its_w(0x88, 32);
	EQ(its_r(0x90), 1u);                                          /* stalled, not advanced */
	/* Reset: everything off. */
	check_ctx = "reset";
	gicv3_its_reset(&its);
	gicv3_reset(gic);
	EQ(its_r(0x80), 0u);
	EQ(gicv3_redist_read(gic, 0x0, 4), 0u);
	gicv3_its_destroy(&its);
	gicv3_destroy(gic);
	free(ram);
	return check_summary();
}
