/* Runs isa cases through the ISV=0 instruction emulator (src/arch/insn-emu.c)
 * against plain memory (the code and data pages), the way soft-runner.c runs
 * them on the soft CPU: same three-function interface, same result format.
 * Only the load/store groups make sense here (ldst, excl, atomics, ldst_fp,
 * ldst_simd): a BRK ends the case, CLREX clears the emulator's monitor, and
 * every other instruction goes to the emulator; UNHANDLED is reported as
 * SIGILL, a memory fault as SIGSEGV, an alignment fault as SIGBUS. */
#ifndef AVMM_TESTS_ISA_EMU_RUNNER_H
#define AVMM_TESTS_ISA_EMU_RUNNER_H

#include <stddef.h>

#include "isa-case.h"

struct emu_runner;

int emu_runner_create(struct emu_runner **out, char *err, size_t errlen);
int emu_runner_run(struct emu_runner *er, const struct isa_case *c, struct isa_result *res, char *err,
		   size_t errlen);
void emu_runner_destroy(struct emu_runner *er);

#endif
