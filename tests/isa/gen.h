/* Random test-case generators, one per instruction group. */
#ifndef AVMM_TESTS_ISA_GEN_H
#define AVMM_TESTS_ISA_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include "isa-case.h"

typedef struct prng {
	uint64_t s;
} prng;

static inline uint64_t pr64(prng *r) { return isa_splitmix64(&r->s); }
/* n random bits, n in 0..32 */
static inline uint32_t prbits(prng *r, unsigned n) { return n ? (uint32_t)(pr64(r) >> (64 - n)) : 0; }
static inline uint64_t prbelow(prng *r, uint64_t n) { return pr64(r) % n; }
static inline bool prpct(prng *r, unsigned pct) { return prbelow(r, 100) < pct; }

struct gen_group {
	const char *name;
	unsigned weight;   /* share of the cases of a run */
	bool by_default;   /* run when no --group is given */
	void (*gen)(struct isa_case *c, prng *r);
	const char *what;
};

extern const struct gen_group gen_groups[];
extern const unsigned gen_ngroups;

const struct gen_group *gen_find(const char *name);

/* Case `index` of group g for a run seed: deterministic in (seed, g, index),
 * so one case can be regenerated alone. */
void gen_case(const struct gen_group *g, uint64_t seed, uint64_t index, struct isa_case *c);

#endif
