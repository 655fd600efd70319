/*-------------------------------------------------------------------------
 *
 * json_util.h
 *	  JSON helpers shared by the engine's pipeline tests: parse test JSON
 *	  (bailing out on a bug in the test itself) and canonicalise lists of
 *	  expected documents.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_TEST_JSON_UTIL_H
#define ASP_TEST_JSON_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bson/bson.h>

#include "json.h"

/*
 * parse: JSON text (object or array) to BSON with the engine's reader;
 * single quotes are allowed for readability when sq is true (they become
 * double quotes, so test JSON may not contain a literal ').  Aborts the run
 * on bad JSON: that is a bug in the test.
 */
static inline bson_t *
test_parse_json(const char *json, bool sq)
{
	char	   *text = strdup(json);
	bson_t	   *b = bson_new();
	asp_error	err;
	char	   *c;

	if (sq)
		for (c = text; *c; c++)
			if (*c == '\'')
				*c = '"';
	if (!asp_json_to_bson(text, strlen(text), NULL, b, NULL, &err))
	{
		printf("Bail out! test bug: bad JSON (%s): %s\n", err.message, text);
		exit(2);
	}
	free(text);
	return b;
}

/*
 * test_canon_list: the JSON of each document of a BSON array (at most max),
 * canonical or relaxed extended JSON; frees arr.
 */
static inline int
test_canon_list(bson_t *arr, char **out, int max, bool relaxed)
{
	bson_iter_t it;
	int			n = 0;

	bson_iter_init(&it, arr);
	while (bson_iter_next(&it) && n < max)
	{
		const uint8_t *data;
		uint32_t	len;
		bson_t		sub;

		bson_iter_document(&it, &len, &data);
		bson_init_static(&sub, data, len);
		out[n++] = relaxed ? bson_as_relaxed_extended_json(&sub, NULL) :
			bson_as_canonical_extended_json(&sub, NULL);
	}
	bson_destroy(arr);
	return n;
}

#endif							/* ASP_TEST_JSON_UTIL_H */
