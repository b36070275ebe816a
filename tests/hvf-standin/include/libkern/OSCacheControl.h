/* Stand-in for macOS's <libkern/OSCacheControl.h>: the one call avmm uses.
 * Declaration written from Apple's documentation: after writing
 * instructions through a data mapping, invalidate the instruction cache
 * for that range. The stand-in drops the soft CPU's decoded copies of the
 * guest RAM the range belongs to (standin.c). */
#ifndef AVMM_STANDIN_OSCACHECONTROL_H
#define AVMM_STANDIN_OSCACHECONTROL_H

#include <stddef.h>

void sys_icache_invalidate(void *start, size_t len);

#endif
