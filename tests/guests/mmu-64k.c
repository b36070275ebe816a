/* The MMU test with the 64 KB granule (see mmu-common.c). */
#define GRAN_SHIFT 16
#include "mmu-common.c"
