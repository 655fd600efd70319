/*-------------------------------------------------------------------------
 *
 * conn_util.h
 *	  Helpers shared by the connector unit tests (test_conn_*.c): configs
 *	  from JSON text, results as JSON text, skipped checks.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_TEST_CONN_UTIL_H
#define ASP_TEST_CONN_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>

#include "tap.h"

/* cfg: a config from (canonical or relaxed extended) JSON; exits on bad JSON */
static inline bson_t *
cfg(const char *json)
{
	bson_error_t e;
	bson_t	   *b = bson_new_from_json((const uint8_t *) json, -1, &e);

	if (b == NULL)
	{
		printf("Bail out! bad JSON in the test: %s: %s\n", e.message, json);
		exit(2);
	}
	return b;
}

/* to_json: a document as relaxed extended JSON (static buffer, one at a time) */
static inline const char *
to_json(const bson_t *b)
{
	static char buf[4096];
	char	   *j = bson_as_relaxed_extended_json(b, NULL);

	snprintf(buf, sizeof(buf), "%s", j ? j : "(invalid)");
	bson_free(j);
	return buf;
}

/* skip: a check that cannot run here, reported as passed with a reason */
static inline void
skip(const char *why, const char *what)
{
	tap_count++;
	printf("ok %d - %s # skip %s\n", tap_count, what, why);
	fflush(stdout);
}

#endif							/* ASP_TEST_CONN_UTIL_H */
