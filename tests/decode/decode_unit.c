/*
 * Unit test for tools/decodegen.py: includes the decoder generated from
 * succ_unit.decode and checks, for a set of instruction words, which trans
 * functions are called (in which order, with which argument values) and what
 * the decoder returns.  Each case can make selected trans functions return
 * false to exercise fall-through to later patterns.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

enum {
    N_EXACT, N_HINT, N_ADR, N_SIMM, N_CONSTS, N_CAT, N_WIDE, N_LOWTAG,
    N_OVL_A, N_OVL_B, N_OVL_C, N_MULTI, N_CONT, N_LAST, N_COUNT
};

static const char *const names[N_COUNT] = {
    "EXACT", "HINT", "ADR", "SIMM", "CONSTS", "CAT", "WIDE", "LOWTAG",
    "OVL_A", "OVL_B", "OVL_C", "MULTI", "CONT", "LAST",
};

#define MAX_CALLS 8
#define MAX_ARGS 6

struct call {
    int id;
    int nargs;
    int64_t v[MAX_ARGS];
};

struct unit_ctx {
    unsigned reject;        /* bit N_x set: trans_x returns false */
    int ncalls;
    struct call calls[MAX_CALLS];
};

#include "unit_decode.h"
#include "unit_decode.c.inc"

/* The argument structs: int64_t members in order of first appearance. */
_Static_assert(sizeof(((arg_ADR *)0)->scat) == sizeof(int64_t), "int64_t fields");
_Static_assert(offsetof(arg_ADR, rd) < offsetof(arg_ADR, scat), "field order");
_Static_assert(offsetof(arg_ADR, scat) < offsetof(arg_ADR, page), "field order");
_Static_assert(offsetof(arg_MULTI, x) < offsetof(arg_MULTI, y), "field order");
_Static_assert(sizeof(arg_WIDE) == 4 * sizeof(int64_t), "arg_WIDE size");

static bool record(struct unit_ctx *s, int id, const int64_t *v, int n)
{
    if (s->ncalls < MAX_CALLS) {
        struct call *c = &s->calls[s->ncalls];
        c->id = id;
        c->nargs = n;
        for (int i = 0; i < n; i++) {
            c->v[i] = v[i];
        }
    }
    s->ncalls++;
    return !(s->reject & (1u << id));
}

#define REC(id, ...)                                                          \
    do {                                                                      \
        const int64_t v_[] = { __VA_ARGS__ };                                 \
        return record(s, id, v_, (int)(sizeof(v_) / sizeof(v_[0])));          \
    } while (0)

bool trans_EXACT(struct unit_ctx *s, arg_EXACT *a)
{
    (void)a;
    return record(s, N_EXACT, NULL, 0);
}

bool trans_HINT(struct unit_ctx *s, arg_HINT *a) { REC(N_HINT, a->crm, a->op2); }
bool trans_ADR(struct unit_ctx *s, arg_ADR *a) { REC(N_ADR, a->rd, a->scat, a->page); }
bool trans_SIMM(struct unit_ctx *s, arg_SIMM *a) { REC(N_SIMM, a->imm, a->rd, a->x); }
bool trans_CONSTS(struct unit_ctx *s, arg_CONSTS *a)
{
    REC(N_CONSTS, a->dec, a->hex, a->neg, a->min, a->max);
}
bool trans_CAT(struct unit_ctx *s, arg_CAT *a) { REC(N_CAT, a->ucat, a->word, a->sword); }
bool trans_WIDE(struct unit_ctx *s, arg_WIDE *a)
{
    REC(N_WIDE, a->s64, a->u63, a->sword, a->word);
}

bool trans_LOWTAG(struct unit_ctx *s, arg_LOWTAG *a)
{
    (void)a;
    return record(s, N_LOWTAG, NULL, 0);
}

bool trans_OVL_A(struct unit_ctx *s, arg_OVL_A *a) { REC(N_OVL_A, a->a); }
bool trans_OVL_B(struct unit_ctx *s, arg_OVL_B *a) { REC(N_OVL_B, a->b); }
bool trans_OVL_C(struct unit_ctx *s, arg_OVL_C *a) { REC(N_OVL_C, a->c); }
bool trans_MULTI(struct unit_ctx *s, arg_MULTI *a) { REC(N_MULTI, a->x, a->y); }
bool trans_CONT(struct unit_ctx *s, arg_CONT *a) { REC(N_CONT, a->v); }
bool trans_LAST(struct unit_ctx *s, arg_LAST *a) { REC(N_LAST, a->hi1); }

struct tcase {
    const char *what;
    uint32_t insn;
    unsigned reject;
    bool result;
    int ncalls;
    struct call calls[MAX_CALLS];
};

#define R(id) (1u << (id))
#define ALL ((1u << N_COUNT) - 1)

static const struct tcase cases[] = {
    /* Fully fixed pattern wins over the broader one that follows it. */
    { "exact match", 0xd503201f, 0, true, 1, { { N_EXACT, 0, { 0 } } } },
    { "exact rejects -> HINT -> LAST", 0xd503201f, R(N_EXACT) | R(N_HINT), true, 3,
      { { N_EXACT, 0, { 0 } }, { N_HINT, 2, { 0, 0 } }, { N_LAST, 1, { 1 } } } },
    { "HINT fields", 0xd503245f, 0, true, 1, { { N_HINT, 2, { 4, 2 } } } },
    { "HINT op2=1", 0xd503203f, 0, true, 1, { { N_HINT, 2, { 0, 1 } } } },

    /* Signed concatenated field immhi:immlo, two encodings of one NAME. */
    { "ADR all ones", 0x70ffffe7, 0, true, 1, { { N_ADR, 3, { 7, -1, 0 } } } },
    { "ADR sign bit", 0xb080001f, 0, true, 1, { { N_ADR, 3, { 31, -1048575, 1 } } } },
    { "ADR positive", 0x502468a0, 0, true, 1, { { N_ADR, 3, { 0, 298262, 0 } } } },
    { "ADR rejects -> LAST", 0xb080001f, R(N_ADR), true, 2,
      { { N_ADR, 3, { 31, -1048575, 1 } }, { N_LAST, 1, { 1 } } } },

    /* Signed inline fields; don't-care bits do not matter. */
    { "SIMM negative", 0x018002ff, R(N_LAST), true, 1, { { N_SIMM, 3, { -2048, 5, -1 } } } },
    { "SIMM positive", 0x017ff000, 0, true, 1, { { N_SIMM, 3, { 2047, 0, 0 } } } },
    { "SIMM don't-care", 0x017ff025, 0, true, 1, { { N_SIMM, 3, { 2047, 0, 0 } } } },

    { "constants", 0x02000000, 0, true, 1,
      { { N_CONSTS, 5, { 12345, 0xdeadbeef, -42, INT64_MIN, INT64_MAX } } } },
    { "constants, other don't-care bits", 0x02abcde0, 0, true, 1,
      { { N_CONSTS, 5, { 12345, 0xdeadbeef, -42, INT64_MIN, INT64_MAX } } } },

    /* Concatenation including fixed bits; whole-word fields. */
    { "CAT", 0x33abcde5, 0, true, 1, { { N_CAT, 3, { 23, 0x33abcde5, 0x33abcde5 } } } },
    { "WIDE 64/63-bit and signed word", 0xf4000001, 0, true, 1,
      { { N_WIDE, 4, { -INT64_C(0x0bfffffe0bffffff), INT64_C(0x74000001f4000001),
                      -INT64_C(0x0bffffff), INT64_C(0xf4000001) } } } },

    /* Overlapping patterns are tried in file order. */
    { "OVL_A first", 0x05030000, 0, true, 1, { { N_OVL_A, 1, { 3 } } } },
    { "OVL_A rejects -> OVL_B", 0x05030000, R(N_OVL_A), true, 2,
      { { N_OVL_A, 1, { 3 } }, { N_OVL_B, 1, { 3 } } } },
    { "OVL_A, OVL_B reject -> OVL_C", 0x05030000, R(N_OVL_A) | R(N_OVL_B), true, 3,
      { { N_OVL_A, 1, { 3 } }, { N_OVL_B, 1, { 3 } }, { N_OVL_C, 1, { 0 } } } },
    { "OVL all reject -> false", 0x05030000, ALL, false, 3,
      { { N_OVL_A, 1, { 3 } }, { N_OVL_B, 1, { 3 } }, { N_OVL_C, 1, { 0 } } } },
    { "OVL_A does not match -> OVL_B", 0x05f30000, 0, true, 1, { { N_OVL_B, 1, { 3 } } } },
    /* The broad LOWTAG precedes the OVL group and LAST follows it. */
    { "LOWTAG before OVL", 0x05f3001a, 0, true, 1, { { N_LOWTAG, 0, { 0 } } } },
    { "full chain, all reject", 0x05f3001a, ALL, false, 4,
      { { N_LOWTAG, 0, { 0 } }, { N_OVL_B, 1, { 3 } }, { N_OVL_C, 1, { 0x1a } },
        { N_LAST, 1, { 0 } } } },
    { "LOWTAG in an otherwise unused area", 0x8f00000a, 0, true, 1,
      { { N_LOWTAG, 0, { 0 } } } },

    /* Same NAME, arguments in a different order on the second line. */
    { "MULTI line 1", 0x06123400, 0, true, 1, { { N_MULTI, 2, { 0x12, 0x34 } } } },
    { "MULTI line 2", 0x07123400, 0, true, 1, { { N_MULTI, 2, { 0x34, 0x12 } } } },

    { "continued line", 0x08ab0000, 0, true, 1, { { N_CONT, 1, { 0xab } } } },

    /* Nothing matches. */
    { "no match", 0x0f000000, 0, false, 0, { { 0, 0, { 0 } } } },
    { "no match (zero)", 0x00000000, 0, false, 0, { { 0, 0, { 0 } } } },
    { "only LAST matches", 0x8f000010, 0, true, 1, { { N_LAST, 1, { 1 } } } },
    { "only LAST matches, rejects", 0x8f000010, R(N_LAST), false, 1,
      { { N_LAST, 1, { 1 } } } },
};

static void dump(const char *label, int n, const struct call *calls)
{
    fprintf(stderr, "    %s:", label);
    for (int i = 0; i < n && i < MAX_CALLS; i++) {
        fprintf(stderr, " %s(", names[calls[i].id]);
        for (int j = 0; j < calls[i].nargs; j++) {
            fprintf(stderr, "%s%" PRId64, j ? ", " : "", calls[i].v[j]);
        }
        fprintf(stderr, ")");
    }
    fprintf(stderr, "\n");
}

static bool same_calls(const struct tcase *t, const struct unit_ctx *c)
{
    if (t->ncalls != c->ncalls) {
        return false;
    }
    for (int i = 0; i < t->ncalls; i++) {
        const struct call *e = &t->calls[i], *g = &c->calls[i];
        if (e->id != g->id || e->nargs != g->nargs) {
            return false;
        }
        for (int j = 0; j < e->nargs; j++) {
            if (e->v[j] != g->v[j]) {
                return false;
            }
        }
    }
    return true;
}

int main(void)
{
    int failed = 0;
    int n = (int)(sizeof(cases) / sizeof(cases[0]));

    for (int i = 0; i < n; i++) {
        const struct tcase *t = &cases[i];
        struct unit_ctx c;

        memset(&c, 0, sizeof(c));
        c.reject = t->reject;
        bool r = unit_decode(&c, t->insn);
        if (r != t->result || !same_calls(t, &c)) {
            failed++;
            fprintf(stderr, "FAIL %s: insn 0x%08" PRIx32 ", reject 0x%x: returned %d, expected %d\n",
                    t->what, t->insn, t->reject, r, t->result);
            dump("expected", t->ncalls, t->calls);
            dump("got     ", c.ncalls, c.calls);
        }
    }
    printf("%d passed, %d failed\n", n - failed, failed);
    return failed ? 1 : 0;
}
