/* The command line's storage and device options in QEMU's forms: -drive,
 * -hda, -device (virtio-blk-pci / virtio-blk-device with drive=,
 * virtio-rng-pci / virtio-rng-device, pci-testdev), parsed into plain
 * records the machine builds from. QEMU's syntax: comma-separated
 * key=value, ",," for a comma inside a value, on/off (yes/no, true/false)
 * for booleans, the -device driver name first. Errors name the option,
 * the parameter and what is accepted. */
#ifndef AVMM_VMM_DEVOPTS_H
#define AVMM_VMM_DEVOPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "block/block.h"
#include "net/net.h"

#define VM_MAX_DRIVES 16
#define VM_MAX_DEVICES 32
#define DEVOPT_ID_MAX 32
#define VM_MAX_NETDEVS 8

enum drive_if { DRIVE_IF_VIRTIO, DRIVE_IF_NONE };

struct vm_drive {
	char id[DEVOPT_ID_MAX];
	char *file;               /* malloc'd */
	enum drive_if iface;
	struct blk_opts blk;
	char serial[21];
	bool used;                /* a device refers to it */
};

enum vm_device_kind {
	VMDEV_VIRTIO_BLK_PCI,
	VMDEV_VIRTIO_BLK_MMIO,
	VMDEV_VIRTIO_RNG_PCI,
	VMDEV_VIRTIO_RNG_MMIO,
	VMDEV_PCI_TESTDEV,
	VMDEV_VIRTIO_NET_PCI,
	VMDEV_VIRTIO_NET_MMIO,
};

struct vm_device {
	enum vm_device_kind kind;
	char id[DEVOPT_ID_MAX];
	int drive;                /* index into drives, -1 for none */
	int slot, fn;             /* PCI addr=SLOT[.FN]; -1: the first free slot */
	char serial[21];
	unsigned num_queues;      /* virtio-blk num-queues= (0: 1) */
	int netdev;               /* virtio-net netdev=: index into netdevs, -1 for none */
	uint8_t mac[6];           /* virtio-net mac= (52:54:00:12:34:56 + the NIC's index when not given) */
};

struct vm_devopts {
	struct vm_drive drives[VM_MAX_DRIVES];
	unsigned ndrives;
	struct vm_device devices[VM_MAX_DEVICES];
	unsigned ndevices;
	/* -netdev, -nic (vmm/devopts.c); the NIC's back ends. */
	struct netdev_opts netdevs[VM_MAX_NETDEVS];
	unsigned nnetdevs;
	unsigned nnics;           /* virtio-net devices so far (the default MAC's index) */
	bool nic_none;            /* -nic none */
	bool net_given;           /* any -netdev, -nic or virtio-net -device */
	/* devopts_finish: no network options at all, so one -nic user (QEMU's
	 * default): a user-mode netdev "net0" with a virtio-net-pci. */
	bool default_nic;
};

/* Each returns 0, or -1 with one message in err. */
int devopts_drive(struct vm_devopts *o, const char *arg, char *err, size_t errlen);
/* -hda FILE: -drive file=FILE,if=virtio. */
int devopts_hda(struct vm_devopts *o, const char *file, char *err, size_t errlen);
int devopts_device(struct vm_devopts *o, const char *arg, char *err, size_t errlen);
/* -netdev user|tap|vmnet-shared|vmnet-host|vmnet-bridged,id=ID,...
 * -nic none | -nic user|tap|...[,model=virtio-net-pci|virtio-net-device][,mac=..][,netdev opts] */
int devopts_netdev(struct vm_devopts *o, const char *arg, char *err, size_t errlen);
int devopts_nic(struct vm_devopts *o, const char *arg, char *err, size_t errlen);
/* The default NIC's (or -nic's) MAC: 52:54:00:12:34:56 plus the index. */
void devopts_default_mac(unsigned index, uint8_t mac[6]);
/* After the whole command line: every if=virtio drive gets its
 * virtio-blk-pci, every drive= names a drive used once. */
int devopts_finish(struct vm_devopts *o, char *err, size_t errlen);
void devopts_free(struct vm_devopts *o);
/* The -device names known (for --help and errors). */
extern const char devopts_device_names[];

#endif
