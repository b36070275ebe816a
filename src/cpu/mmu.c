/* Stage-1 translation with the MMU on. The table walker (4K/16K/64K
 * granules, TTBR0/TTBR1, permissions) belongs to the system-level work;
 * until it lands, enabling the MMU makes every access a level-0
 * translation fault, so a guest that needs it fails visibly. */
#include "cpu/internal.h"

bool mmu_walk(struct a64_cpu *c, uint64_t va, unsigned idx, int access, uint64_t *pa, uint32_t *fsc)
{
	(void)c; (void)va; (void)idx; (void)access; (void)pa;
	*fsc = 0x04;
	return false;
}
