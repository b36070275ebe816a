#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hw/pci/msix.h"
#include "hw/pci/pci.h"

#define MSIX_CTRL_ENABLE 0x8000u
#define MSIX_CTRL_MASKALL 0x4000u
#define MSIX_ENTRY_MASKED 1u

static void send(struct pci_dev *d, uint64_t addr, uint32_t data)
{
	if (d->sink.msi && pci_bus_master(d))
		d->sink.msi(d->sink.opaque, addr, data, (uint32_t)d->bus << 8 | d->devfn);
}

/* ---- MSI-X ---- */

static uint32_t entry32(struct msix_state *ms, unsigned v, unsigned word)
{
	uint32_t x;
	memcpy(&x, ms->table + 16 * v + 4 * word, 4);
	return x;
}

static bool entry_masked(struct msix_state *ms, unsigned v)
{
	return entry32(ms, v, 3) & MSIX_ENTRY_MASKED;
}

static bool pending(struct msix_state *ms, unsigned v)
{
	return (ms->pba[v / 64] >> (v % 64)) & 1;
}

static void set_pending(struct msix_state *ms, unsigned v, bool on)
{
	if (on)
		ms->pba[v / 64] |= 1ull << (v % 64);
	else
		ms->pba[v / 64] &= ~(1ull << (v % 64));
}

static void send_entry(struct msix_state *ms, unsigned v)
{
	uint64_t addr = entry32(ms, v, 0) | (uint64_t)entry32(ms, v, 1) << 32;
	send(ms->d, addr, entry32(ms, v, 2));
	ms->n_sent++;
}

/* Under ms->lock: send what became deliverable. */
static void flush_pending(struct msix_state *ms, unsigned from, unsigned to)
{
	if (!ms->enabled || ms->masked)
		return;
	for (unsigned v = from; v < to; v++)
		if (pending(ms, v) && !entry_masked(ms, v)) {
			set_pending(ms, v, false);
			send_entry(ms, v);
		}
}

static uint64_t bar_read(void *opaque, uint64_t off, unsigned size)
{
	struct msix_state *ms = opaque;
	uint64_t v = 0;
	pthread_mutex_lock(&ms->lock);
	if (off + size <= 16ull * ms->n)
		memcpy(&v, ms->table + off, size);
	else if (off >= ms->pba_off && off - ms->pba_off + size <= 8ull * ((ms->n + 63) / 64))
		memcpy(&v, (uint8_t *)ms->pba + (off - ms->pba_off), size);
	pthread_mutex_unlock(&ms->lock);
	return v;
}

static void bar_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct msix_state *ms = opaque;
	/* Only the table is writable; DWORD- or QWORD-aligned accesses. */
	if (off + size > 16ull * ms->n || (off & (size - 1)))
		return;
	pthread_mutex_lock(&ms->lock);
	unsigned v = (unsigned)(off / 16);
	memcpy(ms->table + off, &val, size);
	/* Reserved bits of Vector Control read as zero. */
	uint32_t ctl = entry32(ms, v, 3) & MSIX_ENTRY_MASKED;
	memcpy(ms->table + 16 * v + 12, &ctl, 4);
	flush_pending(ms, v, v + 1);
	pthread_mutex_unlock(&ms->lock);
}

const struct mmio_ops msix_bar_ops = { bar_read, bar_write, MMIO_W32 | MMIO_W64 };

int msix_init(struct pci_dev *d, struct msix_state *ms, unsigned nvec, unsigned bar)
{
	if (!nvec || nvec > MSIX_MAX_VECTORS)
		return -EINVAL;
	memset(ms, 0, sizeof(*ms));
	ms->d = d;
	ms->n = nvec;
	ms->bar = bar;
	ms->pba_off = (16 * nvec + 0x7ff) & ~0x7ffu;
	uint64_t size = 0x1000;
	while (size < ms->pba_off + 8ull * ((nvec + 63) / 64))
		size <<= 1;
	ms->table = calloc(nvec, 16);
	ms->pba = calloc((nvec + 63) / 64, 8);
	if (!ms->table || !ms->pba)
		goto fail;
	uint8_t c = pci_dev_add_cap(d, PCI_CAP_ID_MSIX, 12);
	if (!c || pci_dev_add_bar(d, bar, size, 0, &msix_bar_ops, ms))
		goto fail;
	ms->cap = c;
	pci_set16(d->cfg, c + 2, (uint16_t)(nvec - 1));
	pci_set16(d->wmask, c + 2, MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL);
	pci_set32(d->cfg, c + 4, 0 | bar);            /* table at offset 0 */
	pci_set32(d->cfg, c + 8, ms->pba_off | bar);  /* PBA after it */
	pthread_mutex_init(&ms->lock, NULL);
	d->msix = ms;
	msix_reset(ms);
	return 0;
fail:
	free(ms->table);
	free(ms->pba);
	return -ENOMEM;
}

void msix_destroy(struct msix_state *ms)
{
	free(ms->table);
	free(ms->pba);
	pthread_mutex_destroy(&ms->lock);
}

void msix_reset(struct msix_state *ms)
{
	pthread_mutex_lock(&ms->lock);
	memset(ms->table, 0, 16ull * ms->n);
	for (unsigned v = 0; v < ms->n; v++) {
		uint32_t ctl = MSIX_ENTRY_MASKED;
		memcpy(ms->table + 16 * v + 12, &ctl, 4);
	}
	memset(ms->pba, 0, 8ull * ((ms->n + 63) / 64));
	ms->enabled = ms->masked = false;
	pthread_mutex_unlock(&ms->lock);
}

void msix_cfg_write(struct msix_state *ms, uint32_t off, unsigned len)
{
	if (off + len <= ms->cap + 2u || off >= ms->cap + 4u)
		return;
	uint16_t ctl = pci_get16(ms->d, ms->cap + 2);
	pthread_mutex_lock(&ms->lock);
	ms->enabled = ctl & MSIX_CTRL_ENABLE;
	ms->masked = ctl & MSIX_CTRL_MASKALL;
	flush_pending(ms, 0, ms->n);
	pthread_mutex_unlock(&ms->lock);
}

bool msix_enabled(struct msix_state *ms)
{
	pthread_mutex_lock(&ms->lock);
	bool e = ms->enabled;
	pthread_mutex_unlock(&ms->lock);
	return e;
}

bool msix_vector_masked(struct msix_state *ms, unsigned v)
{
	pthread_mutex_lock(&ms->lock);
	bool m = v >= ms->n || entry_masked(ms, v);
	pthread_mutex_unlock(&ms->lock);
	return m;
}

bool msix_notify(struct msix_state *ms, unsigned v)
{
	pthread_mutex_lock(&ms->lock);
	bool on = ms->enabled;
	if (on && v < ms->n) {
		if (ms->masked || entry_masked(ms, v)) {
			set_pending(ms, v, true);
			ms->n_pending_set++;
		} else {
			send_entry(ms, v);
		}
	}
	pthread_mutex_unlock(&ms->lock);
	return on;
}

/* ---- MSI: 64-bit address, per-vector masking (24-byte capability) ---- */

#define MSI_CTRL_ENABLE 1u
#define MSI_CTRL_64 0x80u
#define MSI_CTRL_PVM 0x100u

int msi_init(struct pci_dev *d, struct msi_state *ms, unsigned nvec)
{
	if (!nvec || nvec > 32 || (nvec & (nvec - 1)))
		return -EINVAL;
	memset(ms, 0, sizeof(*ms));
	uint8_t c = pci_dev_add_cap(d, PCI_CAP_ID_MSI, 24);
	if (!c)
		return -ENOSPC;
	ms->d = d;
	ms->cap = c;
	ms->nvec = nvec;
	unsigned mmc = (unsigned)__builtin_ctz(nvec);
	pci_set16(d->cfg, c + 2, (uint16_t)(MSI_CTRL_64 | MSI_CTRL_PVM | mmc << 1));
	pci_set16(d->wmask, c + 2, MSI_CTRL_ENABLE | 0x70u);
	pci_set32(d->wmask, c + 4, ~3u);
	pci_set32(d->wmask, c + 8, ~0u);
	pci_set16(d->wmask, c + 12, 0xffff);
	pci_set32(d->wmask, c + 16, nvec == 32 ? ~0u : (1u << nvec) - 1);
	pthread_mutex_init(&ms->lock, NULL);
	d->msi = ms;
	return 0;
}

void msi_reset(struct msi_state *ms)
{
	/* The registers are config space: pci_dev_reset restored them. */
	(void)ms;
}

/* Vectors the driver enabled (Multiple Message Enable, capped by MMC). */
static unsigned enabled_vectors(struct msi_state *ms, uint16_t ctl)
{
	unsigned mme = (ctl >> 4) & 7, mmc = (ctl >> 1) & 7;
	return 1u << (mme < mmc ? mme : mmc);
}

static void msi_send_locked(struct msi_state *ms, uint16_t ctl, unsigned v)
{
	struct pci_dev *d = ms->d;
	uint64_t addr = pci_get32(d, ms->cap + 4) | (uint64_t)pci_get32(d, ms->cap + 8) << 32;
	uint32_t data = pci_get16(d, ms->cap + 12);
	unsigned n = enabled_vectors(ms, ctl);
	/* Multiple messages: the low bits of the data carry the vector. */
	data = (data & ~(n - 1)) | v;
	send(d, addr, data);
}

void msi_cfg_write(struct msi_state *ms, uint32_t off, unsigned len)
{
	if (off + len <= ms->cap || off >= ms->cap + 24u)
		return;
	struct pci_dev *d = ms->d;
	pthread_mutex_lock(&ms->lock);
	uint16_t ctl = pci_get16(d, ms->cap + 2);
	uint32_t mask = pci_get32(d, ms->cap + 16), pend = pci_get32(d, ms->cap + 20);
	if (ctl & MSI_CTRL_ENABLE) {
		for (unsigned v = 0; v < enabled_vectors(ms, ctl); v++)
			if ((pend >> v & 1) && !(mask >> v & 1)) {
				pend &= ~(1u << v);
				msi_send_locked(ms, ctl, v);
			}
		pci_set32(d->cfg, ms->cap + 20, pend);
	}
	pthread_mutex_unlock(&ms->lock);
}

bool msi_notify(struct msi_state *ms, unsigned v)
{
	struct pci_dev *d = ms->d;
	pthread_mutex_lock(&ms->lock);
	uint16_t ctl = pci_get16(d, ms->cap + 2);
	bool on = ctl & MSI_CTRL_ENABLE;
	if (on && v < enabled_vectors(ms, ctl)) {
		if (pci_get32(d, ms->cap + 16) >> v & 1)
			pci_set32(d->cfg, ms->cap + 20, pci_get32(d, ms->cap + 20) | 1u << v);
		else
			msi_send_locked(ms, ctl, v);
	}
	pthread_mutex_unlock(&ms->lock);
	return on;
}
