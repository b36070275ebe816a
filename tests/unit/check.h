/* How the unit tests count and report their checks: check() records one
 * result and prints a failure (prefixed with check_ctx, when a test sets
 * it, to say which part it is in); CHECK() and EQ() do the same and name
 * the file, line and condition; check_summary() prints the line the suite
 * expects and gives main's exit status. Tests that judge a whole case at
 * once report each fault with check_report() and count the case with
 * check_count(). Header-only: each test is one program. */
#ifndef AVMM_TESTS_UNIT_CHECK_H
#define AVMM_TESTS_UNIT_CHECK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

static unsigned check_npass, check_nfail;
static const char *check_ctx;

/* Count one result; returns it. */
static bool __attribute__((unused)) check_count(bool ok)
{
	ok ? check_npass++ : check_nfail++;
	return ok;
}

/* Print one failure: the context, then file:line and the condition's text
 * when known (file may be NULL), then the message. */
static void check_vreport(const char *file, int line, const char *cond, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0), unused));
static void check_vreport(const char *file, int line, const char *cond, const char *fmt, va_list ap)
{
	printf(check_ctx ? "FAIL [%s] " : "FAIL ", check_ctx);
	if (file)
		printf("%s:%d: %s: ", file, line, cond);
	vprintf(fmt, ap);
	putchar('\n');
}

static void check_report(const char *file, int line, const char *cond, const char *fmt, ...)
	__attribute__((format(printf, 4, 5), unused));
static void check_report(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	check_vreport(file, line, cond, fmt, ap);
	va_end(ap);
}

static void check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3), unused));
static void check(bool ok, const char *fmt, ...)
{
	if (check_count(ok))
		return;
	va_list ap;
	va_start(ap, fmt);
	check_vreport(NULL, 0, NULL, fmt, ap);
	va_end(ap);
}

/* The message's arguments are evaluated only on failure. */
#define CHECK(cond, ...)                                                                                               \
	do {                                                                                                           \
		if (!check_count(!!(cond)))                                                                            \
			check_report(__FILE__, __LINE__, #cond, __VA_ARGS__);                                          \
	} while (0)

/* a and b compared as uint64_t, each evaluated once. */
#define EQ(a, b)                                                                                                       \
	do {                                                                                                           \
		uint64_t check_a_ = (uint64_t)(a), check_b_ = (uint64_t)(b);                                           \
		if (!check_count(check_a_ == check_b_))                                                                \
			check_report(__FILE__, __LINE__, #a " == " #b, "got 0x%llx, want 0x%llx",                      \
				     (unsigned long long)check_a_, (unsigned long long)check_b_);                      \
	} while (0)

static int __attribute__((unused)) check_summary(void)
{
	printf("%u passed, %u failed\n", check_npass, check_nfail);
	return check_nfail ? 1 : 0;
}

#endif
