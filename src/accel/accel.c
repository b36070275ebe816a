/* Backend selection. */
#include <string.h>

#include "accel/accel.h"

const struct accel_ops *accel_find(const char *name)
{
	if (!strcmp(name, "soft"))
		return &accel_soft_ops;
	return NULL; /* hvf and kvm backends are not built in yet */
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
