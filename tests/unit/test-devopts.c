/* -drive, -hda and -device parsed as QEMU parses them, and refused with one
 * clear message when they are wrong. */
#include <string.h>

#include "check.h"
#include "vmm/devopts.h"

#define OK(c) CHECK(c, "%s", "false")

static char err[512];

static bool refused(int (*fn)(struct vm_devopts *, const char *, char *, size_t), struct vm_devopts *o,
		    const char *arg, const char *needle)
{
	err[0] = 0;
	bool r = fn(o, arg, err, sizeof(err)) != 0 && strstr(err, needle) != NULL;
	if (!r)
		printf("for '%s': got '%s', wanted '%s'\n", arg, err, needle);
	return r;
}

int main(void)
{
	struct vm_devopts o = { 0 };
	check_ctx = "drive";
	EQ(devopts_drive(&o, "file=a,,b.img,if=virtio,format=raw,readonly=on,cache=none,serial=S1", err, sizeof(err)), 0);
	OK(!strcmp(o.drives[0].file, "a,b.img"));
	OK(o.drives[0].blk.readonly);
	EQ(o.drives[0].blk.cache, BLK_CACHE_NONE);
	OK(!strcmp(o.drives[0].id, "drive0"));
	OK(!strcmp(o.drives[0].serial, "S1"));
	EQ(devopts_drive(&o, "if=none,id=d1,file=x.img,snapshot=yes", err, sizeof(err)), 0);
	OK(o.drives[1].blk.snapshot);
	OK(refused(devopts_drive, &o, "file=y,format=qcow2", "qemu-nbd"));
	OK(refused(devopts_drive, &o, "file=y,if=scsi", "if=virtio"));
	OK(refused(devopts_drive, &o, "file=y,readonly=maybe", "on or off"));
	OK(refused(devopts_drive, &o, "file=y,cache=fast", "writeback"));
	OK(refused(devopts_drive, &o, "file=y,bogus=1", "unknown parameter 'bogus'"));
	OK(refused(devopts_drive, &o, "if=none", "no file="));
	OK(refused(devopts_drive, &o, "file=y,id=d1", "used twice"));
	OK(refused(devopts_drive, &o, "file=y,id=1x", "starts with a letter"));
	OK(refused(devopts_drive, &o, "file=y,serial=012345678901234567890", "20 characters"));
	EQ(devopts_hda(&o, "c,d.img", err, sizeof(err)), 0);
	OK(!strcmp(o.drives[2].file, "c,d.img"));
	check_ctx = "device";
	EQ(devopts_device(&o, "virtio-blk-pci,drive=d1,addr=3,id=disk1,serial=SER", err, sizeof(err)), 0);
	EQ(o.devices[0].slot, 3);
	EQ(o.devices[0].drive, 1);
	OK(refused(devopts_device, &o, "virtio-blk-device,drive=d1", "already in use"));
	OK(refused(devopts_device, &o, "virtio-blk-device,drive=drive0", "if=none"));
	OK(refused(devopts_device, &o, "virtio-blk-pci,drive=nope", "no -drive with that id"));
	OK(refused(devopts_device, &o, "virtio-blk-pci", "needs drive="));
	OK(refused(devopts_device, &o, "e1000", "unknown device"));
	OK(refused(devopts_device, &o, "virtio-rng-pci,addr=0", "host bridge"));
	OK(refused(devopts_device, &o, "virtio-rng-pci,addr=20", "SLOT"));
	OK(refused(devopts_device, &o, "virtio-rng-pci,bus=pcie.1", "pcie.0"));
	OK(refused(devopts_device, &o, "virtio-rng-device,addr=3", "unknown parameter 'addr'"));
	OK(refused(devopts_device, &o, "drive=d1", "name first"));
	EQ(devopts_device(&o, "virtio-rng-pci,addr=4.2", err, sizeof(err)), 0);
	EQ(o.devices[1].fn, 2);
	EQ(devopts_device(&o, "virtio-rng-device", err, sizeof(err)), 0);
	check_ctx = "finish";
	EQ(devopts_finish(&o, err, sizeof(err)), 0);
	EQ(o.ndevices, 5u); /* + the two if=virtio drives */
	EQ(o.devices[3].kind, VMDEV_VIRTIO_BLK_PCI);
	EQ(o.devices[3].drive, 0);
	EQ(o.devices[4].drive, 2);
	EQ(devopts_device(&o, "pci-testdev,addr=3", err, sizeof(err)), 0);
	OK(devopts_finish(&o, err, sizeof(err)) != 0 && strstr(err, "two devices"));
	devopts_free(&o);
	return check_summary();
}
