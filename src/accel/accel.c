/* Backend selection. */
#include <string.h>

#include "accel/accel.h"

#ifdef AVMM_HAVE_HVF
/* src/accel/hvf.c: real Hypervisor.framework on macOS, the stand-in
 * (tests/hvf-standin/) elsewhere. */
extern const struct accel_ops accel_hvf_ops;
#endif

const struct accel_ops *accel_find(const char *name)
{
	if (!strcmp(name, "soft"))
		return &accel_soft_ops;
#ifdef AVMM_HAVE_HVF
	if (!strcmp(name, "hvf"))
		return &accel_hvf_ops;
#endif
	return NULL; /* not built in (kvm: not yet) */
}

const char *accel_default_name(void)
{
#if defined(__APPLE__) && defined(__aarch64__)
	return "hvf";
#elif defined(__linux__) && defined(__aarch64__)
	return "kvm";
#else
	return "soft";
#endif
}
