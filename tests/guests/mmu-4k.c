/* The MMU test with the 4 KB granule (see mmu-common.c). */
#define GRAN_SHIFT 12
#include "mmu-common.c"
