/* QEMU's pci-testdev (1b36:0005), for payloads written against it
 * (kvm-unit-tests' pci test): BAR0 memory (4 KiB) and BAR1 I/O (256 bytes);
 * writing a test number (0..2) to offset 0 selects one of three tests of
 * that BAR ("no-eventfd", "wildcard-eventfd", "datamatch-eventfd"), whose
 * header then reads at offset 0 (test, width, offset, data, count, name);
 * writes to the test's offset count (datamatch: only writes of the test's
 * data byte). Accesses act byte by byte, as QEMU's 1-byte implementation
 * makes wider ones. No interrupt pin. */
#ifndef AVMM_HW_PCI_PCI_TESTDEV_H
#define AVMM_HW_PCI_PCI_TESTDEV_H

#include <pthread.h>

#include "hw/pci/pci.h"

struct pci_testdev {
	struct pci_dev pci;
	pthread_mutex_t lock;
	int current;            /* test index 0..5, -1: none */
	uint32_t count[6];
};

void pci_testdev_init(struct pci_testdev *t);
void pci_testdev_destroy(struct pci_testdev *t);

#endif
