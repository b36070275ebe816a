/* Runs isa cases on avmm's soft CPU through the accelerator interface and
 * reports them the way Linux (as qemu-aarch64 models it) reports a user
 * program's state: the signal that ended the case and the registers then.
 * The harness knows nothing else about the CPU. */
#ifndef AVMM_TESTS_ISA_SOFT_RUNNER_H
#define AVMM_TESTS_ISA_SOFT_RUNNER_H

#include <stddef.h>

#include "isa-case.h"

/* Pseudo signal numbers for outcomes Linux has no signal for. */
#define ISA_SOFT_HANG (-1)          /* still running after the watchdog time */
#define ISA_SOFT_EL1_EC_BASE 1000   /* + EC: exception to EL1 with no signal mapping */
#define ISA_SOFT_EXIT_BASE 2000     /* + exit reason: unexpected exit to the VMM */
#define ISA_SOFT_VMM_EC_BASE 3000   /* + EC: unexpected exception exit to the VMM */

struct soft_runner;

/* One VM and one vCPU for all cases. 0, or -1 with a message in err. */
int soft_runner_create(struct soft_runner **out, char *err, size_t errlen);

/* Run one case from its initial state; fill *res completely (mem too).
 * 0, or -1 with a message in err when the accelerator itself fails. */
int soft_runner_run(struct soft_runner *sr, const struct isa_case *c, struct isa_result *res, char *err,
		    size_t errlen);

void soft_runner_destroy(struct soft_runner *sr);

#endif
