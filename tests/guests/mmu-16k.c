/* The MMU test with the 16 KB granule (see mmu-common.c): avmm only, as
 * qemu -cpu cortex-a57 has no 16 KB granule; so it also covers the
 * alignment faults qemu 7.2 does not model. */
#define GRAN_SHIFT 14
#define AVMM_ONLY
#include "mmu-common.c"
