/* Backend selection. */
#include <string.h>
#ifdef AVMM_HAVE_KVM
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#endif

#include "accel/accel.h"

#ifdef AVMM_HAVE_HVF
/* src/accel/hvf.c: real Hypervisor.framework on macOS, the stand-in
 * (tests/hvf-standin/) elsewhere. */
extern const struct accel_ops accel_hvf_ops;
#endif
#ifdef AVMM_HAVE_KVM
extern const struct accel_ops accel_kvm_ops; /* src/accel/kvm.c, Linux arm64 */
#endif

const struct accel_ops *accel_find(const char *name)
{
	if (!strcmp(name, "soft"))
		return &accel_soft_ops;
#ifdef AVMM_HAVE_HVF
	if (!strcmp(name, "hvf"))
		return &accel_hvf_ops;
#endif
#ifdef AVMM_HAVE_KVM
	if (!strcmp(name, "kvm"))
		return &accel_kvm_ops;
#endif
	return NULL; /* not built in */
}

const char *accel_default_name(void)
{
#if defined(__APPLE__) && defined(__aarch64__)
	return "hvf";
#elif defined(AVMM_HAVE_KVM)
	/* Linux arm64: kvm when /dev/kvm can be used (no KVM in the kernel, or
	 * no access to it: the soft CPU, saying why). */
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return "kvm";
	}
	fprintf(stderr, "avmm: note: /dev/kvm: %s; using -accel soft\n", strerror(errno));
	return "soft";
#else
	return "soft";
#endif
}
