#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "vmm/devopts.h"

const char devopts_device_names[] =
	"virtio-blk-pci, virtio-blk-device, virtio-rng-pci, virtio-rng-device, virtio-net-pci, virtio-net-device, pci-testdev";

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
	for (unsigned i = 0; i < o->nnetdevs; i++)
		if (!strcmp(o->netdevs[i].id, id))
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

void devopts_default_mac(unsigned index, uint8_t mac[6])
{
	static const uint8_t base[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	memcpy(mac, base, 6);
	mac[5] = (uint8_t)(mac[5] + index);
}

static int parse_mac(const char *v, uint8_t mac[6])
{
	unsigned b[6];
	char tail;
	if (sscanf(v, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6 ||
	    strlen(v) != 17 || (b[0] & 1))
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

/* netdev=ID of a virtio-net device: a -netdev given before, not yet used. */
static int attach_netdev(struct vm_devopts *o, const char *dn, const char *id, struct vm_device *d, bool has_mac,
			 char *err, size_t n)
{
	if (!id[0]) {
		snprintf(err, n, "-device %s: needs netdev=ID (a -netdev user,id=ID or -netdev tap,id=ID,...)", dn);
		return -1;
	}
	int found = -1;
	for (unsigned i = 0; i < o->nnetdevs; i++)
		if (!strcmp(o->netdevs[i].id, id))
			found = (int)i;
	if (found < 0) {
		snprintf(err, n, "-device %s: netdev=%s: no -netdev with that id (give -netdev before -device)", dn, id);
		return -1;
	}
	if (o->netdevs[found].used) {
		snprintf(err, n, "-device %s: netdev=%s is already used by another NIC", dn, id);
		return -1;
	}
	d->netdev = found;
	if (!has_mac)
		devopts_default_mac(o->nnics, d->mac);
	o->nnics++;
	o->net_given = true;
	return 0;
}

int devopts_device(struct vm_devopts *o, const char *arg, char *err, size_t n)
{
	if (o->ndevices == VM_MAX_DEVICES) {
		snprintf(err, n, "-device: at most %d devices", VM_MAX_DEVICES);
		return -1;
	}
	struct vm_device d = { .drive = -1, .slot = -1, .netdev = -1 };
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
		{ "pci-testdev", VMDEV_PCI_TESTDEV }, { "virtio-net-pci", VMDEV_VIRTIO_NET_PCI },
		{ "virtio-net-device", VMDEV_VIRTIO_NET_MMIO },
	};
	unsigned k = 0;
	while (k < sizeof(kinds) / sizeof(kinds[0]) && strcmp(key, kinds[k].name))
		k++;
	if (k == sizeof(kinds) / sizeof(kinds[0])) {
		snprintf(err, n, "-device %s: unknown device (known: %s)", key, devopts_device_names);
		return -1;
	}
	d.kind = kinds[k].kind;
	bool pci = d.kind == VMDEV_VIRTIO_BLK_PCI || d.kind == VMDEV_VIRTIO_RNG_PCI || d.kind == VMDEV_PCI_TESTDEV ||
		   d.kind == VMDEV_VIRTIO_NET_PCI;
	bool blk = d.kind == VMDEV_VIRTIO_BLK_PCI || d.kind == VMDEV_VIRTIO_BLK_MMIO;
	bool net = d.kind == VMDEV_VIRTIO_NET_PCI || d.kind == VMDEV_VIRTIO_NET_MMIO;
	char netdev[DEVOPT_ID_MAX] = "";
	bool has_mac = false;
	const char *dn = kinds[k].name;
	while (next_kv(&s, key, sizeof(key), val, sizeof(val), &hv)) {
		if (!hv) {
			snprintf(err, n, "-device %s: '%s' needs a value (key=value)", dn, key);
			return -1;
		}
		if (!strcmp(key, "id")) {
			if (copy_id("-device", val, d.id, err, n))
				return -1;
		} else if (!strcmp(key, "netdev") && net) {
			if (strlen(val) >= sizeof(netdev)) {
				snprintf(err, n, "-device %s: netdev=%.40s...: no such id (too long)", dn, val);
				return -1;
			}
			memcpy(netdev, val, strlen(val) + 1);
		} else if (!strcmp(key, "mac") && net) {
			if (parse_mac(val, d.mac)) {
				snprintf(err, n, "-device %s: mac=%s: give six hex bytes, e.g. 52:54:00:12:34:56 (not multicast)",
					 dn, val);
				return -1;
			}
			has_mac = true;
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
	if (net && attach_netdev(o, dn, netdev, &d, has_mac, err, n))
		return -1;
	if (d.id[0] && id_taken(o, d.id)) {
		snprintf(err, n, "-device: id=%s is used twice", d.id);
		return -1;
	}
	if (net)
		o->netdevs[d.netdev].used = true;
	o->devices[o->ndevices++] = d;
	return 0;
}

int devopts_finish(struct vm_devopts *o, char *err, size_t n)
{
	o->default_nic = !o->net_given && !o->nic_none;
	if (o->nic_none && o->net_given) {
		snprintf(err, n, "-nic none: but a network device or -netdev is given too");
		return -1;
	}
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

/* ---- -netdev and -nic ---- */

static int parse_ip(const char *v, uint32_t *out)
{
	struct in_addr a;
	if (inet_pton(AF_INET, v, &a) != 1)
		return -1;
	*out = a.s_addr;
	return 0;
}

static int parse_port(const char *v, uint16_t *out)
{
	char *end;
	long p = strtol(v, &end, 10);
	if (end == v || *end || p < 1 || p > 65535)
		return -1;
	*out = (uint16_t)p;
	return 0;
}

/* hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT */
static int parse_hostfwd(const char *v, struct net_hostfwd *f)
{
	char buf[128], *p = buf;
	if (strlen(v) >= sizeof(buf))
		return -1;
	strcpy(buf, v);
	memset(f, 0, sizeof(*f));
	char *c = strchr(p, ':');
	if (!c)
		return -1;
	*c = 0;
	if (!strcmp(p, "udp"))
		f->udp = true;
	else if (strcmp(p, "tcp") && *p)
		return -1;
	p = c + 1;
	char *dash = strchr(p, '-');
	if (!dash)
		return -1;
	*dash = 0;
	char *g = dash + 1;
	c = strchr(p, ':');
	if (!c)
		return -1;
	*c = 0;
	if ((*p && parse_ip(p, &f->host_addr)) || parse_port(c + 1, &f->host_port))
		return -1;
	c = strchr(g, ':');
	if (!c)
		return -1;
	*c = 0;
	if ((*g && parse_ip(g, &f->guest_addr)) || parse_port(c + 1, &f->guest_port))
		return -1;
	return 0;
}

static int net_type(const char *name, enum netdev_type *t)
{
	static const struct { const char *name; enum netdev_type t; } types[] = {
		{ "user", NETDEV_USER }, { "tap", NETDEV_TAP }, { "vmnet-shared", NETDEV_VMNET_SHARED },
		{ "vmnet-host", NETDEV_VMNET_HOST }, { "vmnet-bridged", NETDEV_VMNET_BRIDGED },
	};
	for (unsigned i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(name, types[i].name)) {
			*t = types[i].t;
			return 0;
		}
	return -1;
}

/* One back-end parameter; 1 if the key is not a back end's. */
static int netdev_kv(const char *opt, struct netdev_opts *d, const char *key, const char *val, char *err, size_t n)
{
	bool user = d->type == NETDEV_USER;
	if (user && !strcmp(key, "hostfwd")) {
		if (d->nfwd == NET_MAX_HOSTFWD) {
			snprintf(err, n, "%s: at most %d hostfwd= rules", opt, NET_MAX_HOSTFWD);
			return -1;
		}
		if (parse_hostfwd(val, &d->fwd[d->nfwd])) {
			snprintf(err, n, "%s: hostfwd=%s: give [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT, "
					 "e.g. hostfwd=tcp::2222-:22", opt, val);
			return -1;
		}
		d->nfwd++;
	} else if (user && !strcmp(key, "restrict")) {
		if (parse_bool(opt, key, val, &d->restrict_, err, n))
			return -1;
	} else if (user && !strcmp(key, "net")) {
		char a[64];
		snprintf(a, sizeof(a), "%s", val);
		char *sl = strchr(a, '/');
		unsigned bits = 24;
		if (sl) {
			*sl = 0;
			uint32_t m;
			char *end;
			long b = strtol(sl + 1, &end, 10);
			if (!*end && end != sl + 1 && b >= 1 && b <= 30)
				bits = (unsigned)b;
			else if (!parse_ip(sl + 1, &m))
				bits = (unsigned)__builtin_popcount(m);
			else
				bits = 0;
		}
		uint32_t net;
		if (!bits || parse_ip(a, &net)) {
			snprintf(err, n, "%s: net=%s: give ADDR[/MASK], e.g. net=10.0.2.0/24", opt, val);
			return -1;
		}
		uint32_t mask = htonl(bits >= 32 ? 0xffffffffu : ~(0xffffffffu >> bits));
		d->net = net & mask;
		d->mask = mask;
		/* The others follow the network, as QEMU's: host .2, DNS .3, DHCP .15. */
		d->host = d->net | htonl(2);
		d->dns = d->net | htonl(3);
		d->dhcp_start = d->net | htonl(15);
	} else if (user && (!strcmp(key, "host") || !strcmp(key, "dns") || !strcmp(key, "dhcpstart"))) {
		uint32_t a;
		if (parse_ip(val, &a)) {
			snprintf(err, n, "%s: %s=%s: give an IPv4 address", opt, key, val);
			return -1;
		}
		*(!strcmp(key, "host") ? &d->host : !strcmp(key, "dns") ? &d->dns : &d->dhcp_start) = a;
	} else if (user && !strcmp(key, "hostname")) {
		if (strlen(val) >= sizeof(d->hostname)) {
			snprintf(err, n, "%s: hostname=%s: at most %zu characters", opt, val, sizeof(d->hostname) - 1);
			return -1;
		}
		strcpy(d->hostname, val);
	} else if (user && !strcmp(key, "ipv6")) {
		bool on;
		if (parse_bool(opt, key, val, &on, err, n))
			return -1;
		if (on) {
			snprintf(err, n, "%s: ipv6=on: IPv6 is not offered by avmm's user networking yet", opt);
			return -1;
		}
	} else if (d->type == NETDEV_TAP && !strcmp(key, "ifname")) {
		if (strlen(val) >= sizeof(d->ifname)) {
			snprintf(err, n, "%s: ifname=%s: at most %zu characters", opt, val, sizeof(d->ifname) - 1);
			return -1;
		}
		strcpy(d->ifname, val);
	} else if (d->type == NETDEV_TAP && (!strcmp(key, "script") || !strcmp(key, "downscript"))) {
		if (strcmp(val, "no")) {
			snprintf(err, n, "%s: %s=%s: avmm runs no scripts; give %s=no and configure the tap yourself", opt,
				 key, val, key);
			return -1;
		}
	} else if (d->type == NETDEV_VMNET_BRIDGED && !strcmp(key, "ifname")) {
		snprintf(d->ifname_bridge, sizeof(d->ifname_bridge), "%s", val);
	} else {
		return 1;
	}
	return 0;
}

static int netdev_check(const char *opt, struct netdev_opts *d, char *err, size_t n)
{
	if (d->type == NETDEV_USER) {
		uint32_t m = d->mask;
		if ((d->host & m) != d->net || (d->dns & m) != d->net || (d->dhcp_start & m) != d->net) {
			snprintf(err, n, "%s: host=, dns= and dhcpstart= must be inside net=", opt);
			return -1;
		}
		for (unsigned i = 0; i < d->nfwd; i++)
			if (d->fwd[i].guest_addr && (d->fwd[i].guest_addr & m) != d->net) {
				snprintf(err, n, "%s: hostfwd: the guest address must be inside net=", opt);
				return -1;
			}
	}
	if (d->type == NETDEV_VMNET_BRIDGED && !d->ifname_bridge[0]) {
		snprintf(err, n, "%s: vmnet-bridged needs ifname=HOSTIF (e.g. en0)", opt);
		return -1;
	}
	return 0;
}

int devopts_netdev(struct vm_devopts *o, const char *arg, char *err, size_t n)
{
	if (o->nnetdevs == VM_MAX_NETDEVS) {
		snprintf(err, n, "-netdev: at most %d network back ends", VM_MAX_NETDEVS);
		return -1;
	}
	struct netdev_opts d = { 0 };
	char key[32], val[256];
	bool hv;
	const char *s = arg;
	if (!next_kv(&s, key, sizeof(key), val, sizeof(val), &hv) || hv || net_type(key, &d.type)) {
		snprintf(err, n, "-netdev %s: give the type first (user, tap, vmnet-shared, vmnet-host, vmnet-bridged)",
			 arg);
		return -1;
	}
	if (d.type == NETDEV_USER)
		netdev_opts_user_defaults(&d);
	while (next_kv(&s, key, sizeof(key), val, sizeof(val), &hv)) {
		if (!hv) {
			snprintf(err, n, "-netdev: '%s' needs a value (key=value)", key);
			return -1;
		}
		if (!strcmp(key, "id")) {
			if (copy_id("-netdev", val, d.id, err, n))
				return -1;
			continue;
		}
		int r = netdev_kv("-netdev", &d, key, val, err, n);
		if (r < 0)
			return -1;
		if (r > 0) {
			snprintf(err, n, "-netdev: unknown parameter '%s' for this type%s", key,
				 d.type == NETDEV_USER ? " (known: id, hostfwd, restrict, net, host, dns, dhcpstart, hostname)"
				 : d.type == NETDEV_TAP ? " (known: id, ifname, script=no, downscript=no)" : "");
			return -1;
		}
	}
	if (!d.id[0]) {
		snprintf(err, n, "-netdev %s: needs id=ID (the NIC names it with netdev=ID)", arg);
		return -1;
	}
	if (id_taken(o, d.id)) {
		snprintf(err, n, "-netdev: id=%s is used twice", d.id);
		return -1;
	}
	if (netdev_check("-netdev", &d, err, n))
		return -1;
	o->netdevs[o->nnetdevs++] = d;
	o->net_given = true;
	return 0;
}

int devopts_nic(struct vm_devopts *o, const char *arg, char *err, size_t n)
{
	if (!strcmp(arg, "none")) {
		o->nic_none = true;
		return 0;
	}
	if (o->nnetdevs == VM_MAX_NETDEVS || o->ndevices == VM_MAX_DEVICES) {
		snprintf(err, n, "-nic: too many network devices");
		return -1;
	}
	struct netdev_opts d = { 0 };
	struct vm_device dv = { .kind = VMDEV_VIRTIO_NET_PCI, .drive = -1, .slot = -1 };
	bool has_mac = false;
	char key[32], val[256];
	bool hv;
	const char *s = arg;
	if (!next_kv(&s, key, sizeof(key), val, sizeof(val), &hv) || hv || net_type(key, &d.type)) {
		snprintf(err, n, "-nic %s: give the type first (none, user, tap, vmnet-shared, vmnet-host, vmnet-bridged)",
			 arg);
		return -1;
	}
	if (d.type == NETDEV_USER)
		netdev_opts_user_defaults(&d);
	while (next_kv(&s, key, sizeof(key), val, sizeof(val), &hv)) {
		if (!hv) {
			snprintf(err, n, "-nic: '%s' needs a value (key=value)", key);
			return -1;
		}
		if (!strcmp(key, "model")) {
			if (!strcmp(val, "virtio-net-pci") || !strcmp(val, "virtio"))
				dv.kind = VMDEV_VIRTIO_NET_PCI;
			else if (!strcmp(val, "virtio-net-device"))
				dv.kind = VMDEV_VIRTIO_NET_MMIO;
			else {
				snprintf(err, n, "-nic: model=%s: use virtio-net-pci or virtio-net-device", val);
				return -1;
			}
			continue;
		}
		if (!strcmp(key, "mac")) {
			if (parse_mac(val, dv.mac)) {
				snprintf(err, n, "-nic: mac=%s: give six hex bytes, e.g. 52:54:00:12:34:56 (not multicast)", val);
				return -1;
			}
			has_mac = true;
			continue;
		}
		if (!strcmp(key, "id")) {
			if (copy_id("-nic", val, d.id, err, n))
				return -1;
			continue;
		}
		int r = netdev_kv("-nic", &d, key, val, err, n);
		if (r < 0)
			return -1;
		if (r > 0) {
			snprintf(err, n, "-nic: unknown parameter '%s' (known: model, mac, id and the -netdev parameters)", key);
			return -1;
		}
	}
	if (!d.id[0])
		snprintf(d.id, sizeof(d.id), "nic%u", o->nnics);
	if (id_taken(o, d.id)) {
		snprintf(err, n, "-nic: id=%s is used twice", d.id);
		return -1;
	}
	if (netdev_check("-nic", &d, err, n))
		return -1;
	d.used = true;
	dv.netdev = (int)o->nnetdevs;
	o->netdevs[o->nnetdevs++] = d;
	if (!has_mac)
		devopts_default_mac(o->nnics, dv.mac);
	o->nnics++;
	o->net_given = true;
	o->devices[o->ndevices++] = dv;
	return 0;
}
