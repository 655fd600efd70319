/*-------------------------------------------------------------------------
 *
 * tap.h
 *	  A minimal TAP producer for the engine's unit tests (run by prove).
 *
 * Usage: call ok(cond, "description", ...) for each check and return
 * tap_done() from main.  The plan line is printed at the end.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_TEST_TAP_H
#define ASP_TEST_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int	tap_count = 0;
static int	tap_failed = 0;

/* ok: report one check; returns cond */
static inline int
ok(int cond, const char *fmt,...)
{
	va_list		ap;

	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

/* diag: a diagnostic line */
static inline void
diag(const char *fmt,...)
{
	va_list		ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* tap_done: print the plan; exit status 1 if any check failed */
static inline int
tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif							/* ASP_TEST_TAP_H */
