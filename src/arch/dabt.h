/* Data-abort syndromes: which A64 load/store forms report a valid
 * instruction syndrome (ISV=1) and what it holds. Shared by the soft CPU
 * (to build the ESR of a stage-2 exit exactly as hardware would) and the
 * VMM (to complete ISV=1 MMIO). Arm ARM, "ISS encoding for an exception
 * from a Data Abort"; facts/hvapi.md §4.2. */
#ifndef AVMM_ARCH_DABT_H
#define AVMM_ARCH_DABT_H

#include <stdbool.h>
#include <stdint.h>

#define ISS_ISV (1u << 24)
#define ISS_SAS_SHIFT 22
#define ISS_SSE (1u << 21)
#define ISS_SRT_SHIFT 16
#define ISS_SF (1u << 15)
#define ISS_AR (1u << 14)
#define ISS_CM (1u << 8)
#define ISS_WNR (1u << 6)

/* ISS bits 24:14 (ISV, SAS, SSE, SRT, SF, AR) for instruction `insn`:
 * non-zero only for loads/stores of a single general-purpose register
 * without writeback (incl. acquire/release and unprivileged forms);
 * 0 (ISV=0) for everything else. */
uint32_t a64_dabt_insn_syndrome(uint32_t insn);

#endif
