/* Host side of the oracle protocol (isa-case.h): one qemu-aarch64 process
 * running isa-oracle, fed through pipes. */
#ifndef AVMM_TESTS_ISA_ORACLE_CLIENT_H
#define AVMM_TESTS_ISA_ORACLE_CLIENT_H

#include <stddef.h>
#include <sys/types.h>

#include "isa-case.h"

struct oracle {
	pid_t pid;
	int to_fd;   /* oracle's stdin */
	int from_fd; /* oracle's stdout */
};

/* fork/exec `qemu -cpu cpu oracle_path` and check its hello record.
 * Returns 0, or -1 with a message in err. */
int oracle_start(struct oracle *o, const char *qemu, const char *cpu, const char *oracle_path,
		 char *err, size_t errlen);

/* Write one case (blocking). 0, or -1 with errno set (EPIPE: oracle gone). */
int oracle_send(struct oracle *o, const struct isa_case *c);

/* Read the result of a case whose data page was seeded with mem_seed, and
 * rebuild the full data page. Waits at most timeout_ms for each chunk of
 * input. 0, or -1 with a message in err (EOF, timeout, protocol error). */
int oracle_recv(struct oracle *o, uint64_t mem_seed, struct isa_result *r, int timeout_ms, char *err,
		size_t errlen);

/* Close the oracle's stdin (it then exits). */
void oracle_close_input(struct oracle *o);

/* Wait for the oracle to exit (killing it first if kill_it); describe its
 * exit status in buf. Returns 0 if it exited with status 0. */
int oracle_wait(struct oracle *o, int kill_it, char *buf, size_t len);

#endif
