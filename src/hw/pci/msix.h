/* MSI-X (PCI Local Bus 3.0 §6.8.2) with its table and pending-bit array in
 * a BAR of their own, and MSI (§6.8.1, 64-bit with per-vector masking).
 * A masked vector (function mask or the entry's mask bit) sets its pending
 * bit instead of sending; unmasking sends what is pending. Nothing is sent
 * while bus mastering is off. The table is written by vCPUs while device
 * threads send: one lock per state. */
#ifndef AVMM_HW_PCI_MSIX_H
#define AVMM_HW_PCI_MSIX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/mmio.h"

struct pci_dev;

#define MSIX_MAX_VECTORS 2048

struct msix_state {
	struct pci_dev *d;
	pthread_mutex_t lock;
	unsigned n;            /* vectors */
	uint8_t cap;           /* capability offset */
	unsigned bar;
	uint32_t pba_off;      /* in the BAR */
	uint8_t *table;        /* n * 16 bytes */
	uint64_t *pba;         /* n bits */
	bool enabled, masked;  /* from Message Control, cached */
	uint64_t n_sent, n_pending_set;
};

/* Add the capability and its BAR (`bar`, 32-bit memory). 0 or -errno. */
int msix_init(struct pci_dev *d, struct msix_state *ms, unsigned nvec, unsigned bar);
void msix_destroy(struct msix_state *ms);
void msix_reset(struct msix_state *ms);
/* Called by pci_cfg_write for every write (checks the range itself). */
void msix_cfg_write(struct msix_state *ms, uint32_t off, unsigned len);
/* Signal vector v. Returns false when MSI-X is not enabled (the device
 * then uses INTx, if it has one). */
bool msix_notify(struct msix_state *ms, unsigned v);
bool msix_enabled(struct msix_state *ms);
/* Is vector v's entry (not the function) masked? For tests and virtio. */
bool msix_vector_masked(struct msix_state *ms, unsigned v);
extern const struct mmio_ops msix_bar_ops;

struct msi_state {
	struct pci_dev *d;
	pthread_mutex_t lock;
	uint8_t cap;
	unsigned nvec;         /* supported (a power of two up to 32) */
};

int msi_init(struct pci_dev *d, struct msi_state *ms, unsigned nvec);
void msi_reset(struct msi_state *ms);
void msi_cfg_write(struct msi_state *ms, uint32_t off, unsigned len);
/* Signal vector v (< enabled count). False when MSI is off. */
bool msi_notify(struct msi_state *ms, unsigned v);

#endif
