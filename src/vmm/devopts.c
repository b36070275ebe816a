#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/devopts.h"

const char devopts_device_names[] = "virtio-blk-pci, virtio-blk-device, virtio-rng-pci, virtio-rng-device, pci-testdev";

/* One key=value (or a bare word) of a QEMU option string; ",," is a comma
 * inside a value. *s advances past the separator. */
static bool next_kv(const char **s, char *key, size_t kn, char *val, size_t vn, bool *has_val)
{
	const char *p = *s;
	if (!*p)
		return false;
	size_t k = 0, v = 0;
	while (*p && *p != '=' && *p != ',') {
		if (k + 1 < kn)
			key[k++] = *p;
		p++;
	}
	key[k] = 0;
	*has_val = *p == '=';
	if (*p == '=') {
		p++;
		for (;;) {
			if (*p == ',' && p[1] == ',') {
				if (v + 1 < vn)
					val[v++] = ',';
				p += 2;
				continue;
			}
			if (!*p || *p == ',')
				break;
			if (v + 1 < vn)
				val[v++] = *p;
			p++;
		}
	}
	val[v] = 0;
	if (*p == ',')
		p++;
	*s = p;
	return true;
}

static int parse_bool(const char *opt, const char *key, const char *v, bool *out, char *err, size_t n)
{
	if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true")) {
		*out = true;
		return 0;
	}
	if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false")) {
		*out = false;
		return 0;
	}
	snprintf(err, n, "%s: %s=%s: use on or off", opt, key, v);
	return -1;
}

static int copy_id(const char *opt, const char *v, char *dst, char *err, size_t n)
{
	size_t l = strlen(v);
	if (!l || l >= DEVOPT_ID_MAX || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != l ||
	    !((v[0] >= 'a' && v[0] <= 'z') || (v[0] >= 'A' && v[0] <= 'Z'))) {
		snprintf(err, n, "%s: id=%s: an id starts with a letter and has letters, digits, '-', '_', '.' (at most %d)",
			 opt, v, DEVOPT_ID_MAX - 1);
		return -1;
	}
	memcpy(dst, v, l + 1);
	return 0;
}

static bool id_taken(struct vm_devopts *o, const char *id)
{
	for (unsigned i = 0; i < o->ndrives; i++)
		if (!strcmp(o->drives[i].id, id))
			return true;
	for (unsigned i = 0; i < o->ndevices; i++)
		if (o->devices[i].id[0] && !strcmp(o->devices[i].id, id))
			return true;
	return false;
}

int devopts_drive(struct vm_devopts *o, const char *arg, char *err, size_t n)
{
	if (o->ndrives == VM_MAX_DRIVES) {
		snprintf(err, n, "-drive: at most %d drives", VM_MAX_DRIVES);
		return -1;
	}
	struct vm_drive d = { .iface = DRIVE_IF_VIRTIO };
	char key[32], val[4096];
	bool hv;
	const char *s = arg;
	while (next_kv(&s, key, sizeof(key), val, sizeof(val), &hv)) {
		if (!hv) {
			snprintf(err, n, "-drive %s: '%s' needs a value (key=value)", arg, key);
			goto fail;
		}
		if (!strcmp(key, "file")) {
			free(d.file);
			d.file = strdup(val);
		} else if (!strcmp(key, "if")) {
			if (!strcmp(val, "virtio"))
				d.iface = DRIVE_IF_VIRTIO;
			else if (!strcmp(val, "none"))
				d.iface = DRIVE_IF_NONE;
			else {
				snprintf(err, n, "-drive: if=%s: only if=virtio and if=none are supported", val);
				goto fail;
			}
		} else if (!strcmp(key, "format")) {
			if (strcmp(val, "raw")) {
				snprintf(err, n, "-drive: format=%s: only raw images are read directly; serve other formats "
						 "with qemu-nbd (qemu-utils) and give that image as raw", val);
				goto fail;
			}
		} else if (!strcmp(key, "readonly")) {
			if (parse_bool("-drive", key, val, &d.blk.readonly, err, n))
				goto fail;
		} else if (!strcmp(key, "snapshot")) {
			if (parse_bool("-drive", key, val, &d.blk.snapshot, err, n))
				goto fail;
		} else if (!strcmp(key, "cache")) {
			static const char *names[] = { "writeback", "writethrough", "none", "directsync", "unsafe" };
			unsigned i = 0;
			while (i < 5 && strcmp(val, names[i]))
				i++;
			if (i == 5) {
				snprintf(err, n, "-drive: cache=%s: use writeback, writethrough, none, directsync or unsafe", val);
				goto fail;
			}
			d.blk.cache = (enum blk_cache)i;
		} else if (!strcmp(key, "id")) {
			if (copy_id("-drive", val, d.id, err, n))
				goto fail;
		} else if (!strcmp(key, "serial")) {
			if (strlen(val) > 20) {
				snprintf(err, n, "-drive: serial=%s: at most 20 characters", val);
				goto fail;
			}
			strcpy(d.serial, val);
		} else if (!strcmp(key, "media")) {
			if (strcmp(val, "disk")) {
				snprintf(err, n, "-drive: media=%s: only disks (media=disk)", val);
				goto fail;
			}
		} else {
			snprintf(err, n, "-drive: unknown parameter '%s' (known: file, if, format, readonly, snapshot, cache, "
					 "id, serial, media)", key);
			goto fail;
		}
	}
	if (!d.file || !d.file[0]) {
		snprintf(err, n, "-drive %s: no file= given", arg);
		goto fail;
	}
	if (!d.id[0])
		snprintf(d.id, sizeof(d.id), "drive%u", o->ndrives);
	if (id_taken(o, d.id)) {
		snprintf(err, n, "-drive: id=%s is used twice", d.id);
		goto fail;
	}
	o->drives[o->ndrives++] = d;
	return 0;
fail:
	free(d.file);
	return -1;
}

int devopts_hda(struct vm_devopts *o, const char *file, char *err, size_t n)
{
	/* Through -drive, with commas in the name escaped. */
	size_t l = strlen(file);
	char *a = malloc(2 * l + 16);
	if (!a)
		return -1;
	char *p = a + sprintf(a, "file=");
	for (size_t i = 0; i < l; i++) {
		*p++ = file[i];
		if (file[i] == ',')
			*p++ = ',';
	}
	*p = 0;
	int r = devopts_drive(o, a, err, n);
	free(a);
	return r;
}

static int parse_addr(const char *v, int *slot, int *fn)
{
	char *end;
	long s = strtol(v, &end, 16);
	long f = 0;
	if (end == v || s < 0 || s > 31)
		return -1;
	if (*end == '.') {
		const char *q = end + 1;
		f = strtol(q, &end, 16);
		if (end == q || f < 0 || f > 7)
			return -1;
	}
	if (*end)
		return -1;
	*slot = (int)s;
	*fn = (int)f;
	return 0;
}

int devopts_device(struct vm_devopts *o, const char *arg, char *err, size_t n)
{
	if (o->ndevices == VM_MAX_DEVICES) {
		snprintf(err, n, "-device: at most %d devices", VM_MAX_DEVICES);
		return -1;
	}
	struct vm_device d = { .drive = -1, .slot = -1 };
	char key[32], val[256], drive[DEVOPT_ID_MAX] = "";
	bool hv;
	const char *s = arg;
	if (!next_kv(&s, key, sizeof(key), val, sizeof(val), &hv) || hv) {
		snprintf(err, n, "-device %s: give the device's name first (%s)", arg, devopts_device_names);
		return -1;
	}
	static const struct { const char *name; enum vm_device_kind kind; } kinds[] = {
		{ "virtio-blk-pci", VMDEV_VIRTIO_BLK_PCI }, { "virtio-blk-device", VMDEV_VIRTIO_BLK_MMIO },
		{ "virtio-rng-pci", VMDEV_VIRTIO_RNG_PCI }, { "virtio-rng-device", VMDEV_VIRTIO_RNG_MMIO },
		{ "pci-testdev", VMDEV_PCI_TESTDEV },
	};
	unsigned k = 0;
	while (k < sizeof(kinds) / sizeof(kinds[0]) && strcmp(key, kinds[k].name))
		k++;
	if (k == sizeof(kinds) / sizeof(kinds[0])) {
		snprintf(err, n, "-device %s: unknown device (known: %s)", key, devopts_device_names);
		return -1;
	}
	d.kind = kinds[k].kind;
	bool pci = d.kind == VMDEV_VIRTIO_BLK_PCI || d.kind == VMDEV_VIRTIO_RNG_PCI || d.kind == VMDEV_PCI_TESTDEV;
	bool blk = d.kind == VMDEV_VIRTIO_BLK_PCI || d.kind == VMDEV_VIRTIO_BLK_MMIO;
	const char *dn = kinds[k].name;
	while (next_kv(&s, key, sizeof(key), val, sizeof(val), &hv)) {
		if (!hv) {
			snprintf(err, n, "-device %s: '%s' needs a value (key=value)", dn, key);
			return -1;
		}
		if (!strcmp(key, "id")) {
			if (copy_id("-device", val, d.id, err, n))
				return -1;
		} else if (!strcmp(key, "drive") && blk) {
			snprintf(drive, sizeof(drive), "%s", val);
		} else if (!strcmp(key, "serial") && blk) {
			if (strlen(val) > 20) {
				snprintf(err, n, "-device %s: serial=%s: at most 20 characters", dn, val);
				return -1;
			}
			strcpy(d.serial, val);
		} else if (!strcmp(key, "num-queues") && blk) {
			char *end;
			long q = strtol(val, &end, 10);
			if (*end || q < 1 || q > 8) {
				snprintf(err, n, "-device %s: num-queues=%s: give 1 to 8", dn, val);
				return -1;
			}
			d.num_queues = (unsigned)q;
		} else if (!strcmp(key, "addr") && pci) {
			if (parse_addr(val, &d.slot, &d.fn)) {
				snprintf(err, n, "-device %s: addr=%s: give SLOT or SLOT.FN in hex (slot 1-1f, function 0-7)",
					 dn, val);
				return -1;
			}
			if (d.slot == 0) {
				snprintf(err, n, "-device %s: addr=%s: slot 0 is the host bridge", dn, val);
				return -1;
			}
		} else if (!strcmp(key, "bus") && pci) {
			if (strcmp(val, "pcie.0")) {
				snprintf(err, n, "-device %s: bus=%s: the only PCI bus is pcie.0", dn, val);
				return -1;
			}
		} else {
			snprintf(err, n, "-device %s: unknown parameter '%s'", dn, key);
			return -1;
		}
	}
	if (blk) {
		if (!drive[0]) {
			snprintf(err, n, "-device %s: needs drive=ID (a -drive if=none,id=ID,file=...)", dn);
			return -1;
		}
		int found = -1;
		for (unsigned i = 0; i < o->ndrives; i++)
			if (!strcmp(o->drives[i].id, drive))
				found = (int)i;
		if (found < 0) {
			snprintf(err, n, "-device %s: drive=%s: no -drive with that id (give -drive before -device)", dn, drive);
			return -1;
		}
		if (o->drives[found].used || o->drives[found].iface != DRIVE_IF_NONE) {
			snprintf(err, n, "-device %s: drive=%s is already in use%s", dn, drive,
				 o->drives[found].iface != DRIVE_IF_NONE ? " (give it if=none)" : "");
			return -1;
		}
		o->drives[found].used = true;
		d.drive = found;
	}
	if (d.id[0] && id_taken(o, d.id)) {
		snprintf(err, n, "-device: id=%s is used twice", d.id);
		return -1;
	}
	o->devices[o->ndevices++] = d;
	return 0;
}

int devopts_finish(struct vm_devopts *o, char *err, size_t n)
{
	for (unsigned i = 0; i < o->ndrives; i++) {
		struct vm_drive *d = &o->drives[i];
		if (d->iface != DRIVE_IF_VIRTIO || d->used)
			continue;
		if (o->ndevices == VM_MAX_DEVICES) {
			snprintf(err, n, "-drive: too many devices");
			return -1;
		}
		d->used = true;
		o->devices[o->ndevices++] = (struct vm_device){ .kind = VMDEV_VIRTIO_BLK_PCI, .drive = (int)i, .slot = -1 };
	}
	/* Two devices at one PCI address. */
	for (unsigned i = 0; i < o->ndevices; i++)
		for (unsigned j = i + 1; j < o->ndevices; j++)
			if (o->devices[i].slot >= 0 && o->devices[i].slot == o->devices[j].slot &&
			    o->devices[i].fn == o->devices[j].fn) {
				snprintf(err, n, "-device: two devices at PCI address %x.%x", o->devices[i].slot,
					 o->devices[i].fn);
				return -1;
			}
	return 0;
}

void devopts_free(struct vm_devopts *o)
{
	for (unsigned i = 0; i < o->ndrives; i++)
		free(o->drives[i].file);
	memset(o, 0, sizeof(*o));
}
