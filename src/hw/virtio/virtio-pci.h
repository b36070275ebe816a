/* The virtio 1.x PCI transport (virtio 1.2 §4.1), modern only, laid out as
 * QEMU's: vendor 0x1af4, device 0x1040 + the virtio device ID, revision 1;
 * BAR4 (64-bit prefetchable, 16 KiB) holds the common configuration at 0,
 * the ISR at 0x1000, the device configuration at 0x2000 and the queue
 * notifications at 0x3000 (4 bytes a queue); MSI-X (a vector per queue
 * plus one for configuration changes) in BAR1; INTx pin A when MSI-X is
 * off. The PCI configuration access capability (VIRTIO_PCI_CAP_PCI_CFG)
 * reaches BAR4 through config space. */
#ifndef AVMM_HW_VIRTIO_VIRTIO_PCI_H
#define AVMM_HW_VIRTIO_VIRTIO_PCI_H

#include "hw/pci/msix.h"
#include "hw/pci/pci.h"
#include "hw/virtio/virtio.h"

#define VPCI_BAR 4
#define VPCI_MSIX_BAR 1
#define VPCI_COMMON_OFF 0x0000u
#define VPCI_ISR_OFF 0x1000u
#define VPCI_DEVICE_OFF 0x2000u
#define VPCI_NOTIFY_OFF 0x3000u
#define VPCI_BAR_SIZE 0x4000u
#define VPCI_NOTIFY_MULT 4u

/* Common configuration offsets (§4.1.4.3). */
enum {
	VPCI_DFSELECT = 0x00,
	VPCI_DF = 0x04,
	VPCI_GFSELECT = 0x08,
	VPCI_GF = 0x0c,
	VPCI_MSIX = 0x10,
	VPCI_NUMQ = 0x12,
	VPCI_STATUS = 0x14,
	VPCI_CFGGEN = 0x15,
	VPCI_Q_SELECT = 0x16,
	VPCI_Q_SIZE = 0x18,
	VPCI_Q_MSIX = 0x1a,
	VPCI_Q_ENABLE = 0x1c,
	VPCI_Q_NOFF = 0x1e,
	VPCI_Q_DESC = 0x20,
	VPCI_Q_AVAIL = 0x28,
	VPCI_Q_USED = 0x30,
	VPCI_Q_NDATA = 0x38,
	VPCI_Q_RESET = 0x3a,
	VPCI_COMMON_SIZE = 0x3c,
};

struct virtio_pci {
	struct pci_dev pci;
	struct msix_state msix;
	struct virtio_dev *dev;
	uint8_t cfg_cap;             /* VIRTIO_PCI_CAP_PCI_CFG offset */
};

/* Build the PCI function for dev (not yet plugged). 0 or -errno. */
int virtio_pci_init(struct virtio_pci *vp, struct virtio_dev *dev, const char *name, uint32_t class_code);
void virtio_pci_destroy(struct virtio_pci *vp);

#endif
