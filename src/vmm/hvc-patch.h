/* Exec-time patching of `hvc #0` to `hvc #1`, so that Apple's CPU-service
 * calls reach the VMM on Hypervisor.framework without the private ISA level
 * (facts/vmapple.md §3, facts/hvapi.md §2.2): HVF answers `hvc #0` with x0
 * in 0xC1xxxxxx itself (0xFFFFFFFF) but passes `hvc #1` on.
 *
 * Two ways to find the sites:
 *  - exec faults (HVC_PATCH_EXEC): guest RAM is mapped without EXEC; the
 *    first fetch from a page exits (EC 0x20, permission fault); the page is
 *    scanned (word-aligned), every `hvc #0` rewritten, then it becomes
 *    READ|EXEC (no WRITE). A store to it exits (EC 0x24, permission fault)
 *    and makes it READ|WRITE again (no EXEC), so code written later is
 *    scanned when it is first executed (write-xor-execute).
 *  - the watchdog (HVC_PATCH_WATCHDOG), needing no stage-2 exec faults: a
 *    thread kicks a vCPU that made no exit for a few milliseconds; on that
 *    CANCELED exit the vCPU recognises XNU's spin after a refused call
 *    (`hvc #0` then `cbnz x0, .` with x0 = 0xFFFFFFFF), recovers the
 *    function ID from the instructions that set x0 (the refused call
 *    overwrote it), patches the page and rewinds PC to the hvc.
 *
 * The unit of protection is `granule` bytes (16 KiB on HVF: hv_vm_protect's
 * page; 4 KiB on the soft backend), named by guest-physical address (IPA):
 * several VAs (Linux's fixmap alias of its text) and several 4 KiB guest
 * pages share one granule. One lock per VM serialises the faults of
 * several vCPUs on the same granule; the fault handlers re-check the
 * granule's state under it, so a stale fault (another vCPU got there
 * first) only retries.
 *
 * A granule goes READ|WRITE|EXEC for good (W^X given up, the watchdog
 * covers `hvc #0` written there later; it is started for that if it is
 * not running) when
 *  - a store hits the granule its own instruction is in (translated with
 *    the guest's stage-1 tables: the IPA, not the VA, decides): under W^X
 *    that store could never complete, each retry faulting the other way;
 *  - it flips RX -> RW HVC_FLIP_LIMIT times in a row with less than
 *    HVC_FLIP_GAP_NS between flips (code being rewritten while it runs, or
 *    one vCPU storing where another executes, or a PC that could not be
 *    translated): each flip costs two exits and a scan. */
#ifndef AVMM_VMM_HVC_PATCH_H
#define AVMM_VMM_HVC_PATCH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "accel/accel.h"
#include "vmm/mmio-exit.h"

#define HVC0_INSN 0xd4000002u      /* hvc #0 */
#define HVC1_INSN 0xd4000022u      /* hvc #1 */
#define CBNZ_X0_SELF 0xb5000000u   /* cbnz x0, . */

enum { HVC_PATCH_EXEC = 1u << 0, HVC_PATCH_WATCHDOG = 1u << 1 };

/* Per-granule state (hvc_patch.exec). */
enum { HVC_G_RW = 0, HVC_G_RX = 1, HVC_G_RWX = 2 };

#define HVC_FLIP_LIMIT 8
#define HVC_FLIP_GAP_NS 20000000u /* 20 ms */
#define HVC_FLIP_SLOTS 32         /* recently flipped granules remembered */

struct vm;

struct hvc_patch {
	unsigned mode;
	bool debug;               /* -d hvc-patch: log each patched page */
	struct accel_vm *avm;
	uint8_t *ram;
	uint64_t ram_base, ram_size, granule;
	uint8_t *exec;            /* per granule: HVC_G_*; written under lock */
	pthread_mutex_t lock;
	/* Granules that flipped RX -> RW lately (direct-mapped by index;
	 * a collision only forgets a count), under lock. */
	struct hvc_flip {
		uint64_t g1; /* granule index + 1; 0: empty */
		uint64_t last_ns;
		unsigned n;
	} flips[HVC_FLIP_SLOTS];
	uint64_t flip_gap_ns; /* HVC_FLIP_GAP_NS (tests may change it) */
	/* counters, under lock */
	uint64_t exec_faults, write_faults, pages_scanned, sites_patched;
	uint64_t scan_ns_total, scan_ns_max;
	uint64_t spins_found, spins_unrecovered;
	uint64_t rwx_pages;          /* granules left RWX: */
	uint64_t rwx_own, rwx_flips; /* store to its own granule, repeated flips */
	uint64_t pc_unknown;         /* write faults whose PC could not be translated */
	/* the watchdog; vm set by the caller (hvc_patch_watchdog_start, or
	 * before the first fault so that an RWX granule can start it) */
	struct vm *vm;
	pthread_t wd_thread;
	bool wd_started;
	_Atomic bool wd_stop;
	_Atomic uint64_t wd_kicks;
};

/* "on"/"exec", "watchdog", "both", "off" -> mode bits; -1 if unknown. */
int hvc_patch_parse_mode(const char *s);

/* Set up for RAM [base, base + size) at host address ram. With
 * HVC_PATCH_EXEC, RAM loses EXEC here. Returns 0 or a negative errno. */
int hvc_patch_init(struct hvc_patch *p, unsigned mode, struct accel_vm *avm, void *ram, uint64_t base,
		   uint64_t size, uint64_t granule);
void hvc_patch_destroy(struct hvc_patch *p);

/* Rewrite every `hvc #0` among n words to `hvc #1`; returns how many.
 * Each rewrite is a compare-and-swap of the word: a store another vCPU
 * makes to it meanwhile is never lost (nor overwritten with a stale value). */
size_t hvc_patch_scan(uint32_t *words, size_t n);

/* An instruction abort (EC 0x20) / data abort (EC 0x24) exit: 1 if it was
 * a permission fault this module caused and has resolved (resume at the
 * same PC), 0 if not ours, a negative errno if the accelerator failed. */
int hvc_patch_exec_fault(struct hvc_patch *p, const struct accel_exit *ex);
/* v: the vCPU that took the exit (on its own thread), mem: guest RAM, to
 * translate the store's PC with the guest's stage-1 tables (the granule of
 * its instruction). */
int hvc_patch_write_fault(struct hvc_patch *p, const struct accel_exit *ex, struct accel_vcpu *v,
			  const struct mmio_exit_mem *mem);

/* The value x0 had at the hvc, from the (up to 8) instructions before it,
 * oldest first: MOVZ/MOVN then MOVKs, or MOV x0, Xm (xm(opaque, m) gives
 * Xm now). False if they don't say. */
bool hvc_patch_recover_x0(const uint32_t *before, unsigned n, uint64_t (*xm)(void *opaque, unsigned m),
			  void *opaque, uint64_t *x0);

/* On a watchdog kick of vCPU v: 1 if v was spinning after a refused call
 * and has been patched and rewound, 0 if not, a negative errno. */
int hvc_patch_check_spin(struct hvc_patch *p, struct accel_vcpu *v, const struct mmio_exit_mem *mem);

/* Start / stop the watchdog thread over vm's vCPUs. */
int hvc_patch_watchdog_start(struct hvc_patch *p, struct vm *vm);
void hvc_patch_watchdog_stop(struct hvc_patch *p);

void hvc_patch_print_stats(struct hvc_patch *p, FILE *f);

#endif
