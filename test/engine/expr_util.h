/*-------------------------------------------------------------------------
 *
 * expr_util.h
 *	  Helpers for expression unit tests: compile an expression given as
 *	  JSON, evaluate it on a document given as JSON, and compare the result
 *	  as canonical extended JSON.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_TEST_EXPR_UTIL_H
#define ASP_TEST_EXPR_UTIL_H

#include <stdlib.h>
#include <string.h>
#include <bson/bson.h>

#include "../../src/engine/expr.h"
#include "tap.h"

/*
 * eval_expr: evaluate expr_json (any JSON value, wrapped as {"e": ...})
 * on doc_json.  Returns a malloc'd canonical extended JSON string of
 * {"r": <result>} ("{ }" for a missing result), or NULL with the error
 * message copied into errbuf (prefixed "compile: " or "runtime: ").
 */
static inline char *
eval_expr(const char *expr_json, const char *doc_json, char *errbuf, size_t errlen)
{
	char	   *wrapped = malloc(strlen(expr_json) + 16);
	bson_t	   *eb,
			   *db;
	bson_error_t berr;
	bson_iter_t it;
	asp_error	err;
	asp_expr_compiler c;
	asp_expr   *e;
	asp_arena  *arena;
	asp_eval_ctx ctx;
	bson_value_t v;
	char	   *res = NULL;

	sprintf(wrapped, "{\"e\": %s}", expr_json);
	eb = bson_new_from_json((const uint8_t *) wrapped, -1, &berr);
	free(wrapped);
	db = bson_new_from_json((const uint8_t *) (doc_json ? doc_json : "{}"), -1, &berr);
	if (eb == NULL || db == NULL)
	{
		snprintf(errbuf, errlen, "test bug: bad JSON: %s", berr.message);
		if (eb)
			bson_destroy(eb);
		if (db)
			bson_destroy(db);
		return NULL;
	}
	bson_iter_init_find(&it, eb, "e");
	asp_error_init(&err);
	asp_expr_compiler_init(&c, &err, "test");
	c.allow_window_meta = true;
	e = asp_expr_compile_iter(&c, &it);
	if (e == NULL)
	{
		snprintf(errbuf, errlen, "compile: %s", err.message);
		bson_destroy(eb);
		bson_destroy(db);
		return NULL;
	}
	arena = asp_arena_new(4096);
	asp_eval_ctx_init(&ctx, arena, &err);
	ctx.now_ms = 1700000000000LL;
	asp_eval_ctx_set_root(&ctx, bson_get_data(db), db->len);
	if (asp_expr_eval(e, &ctx, &v))
	{
		bson_t		out = BSON_INITIALIZER;

		asp_bson_append_value(&out, "r", 1, &v);
		res = bson_as_canonical_extended_json(&out, NULL);
		bson_destroy(&out);
	}
	else
		snprintf(errbuf, errlen, "runtime: %s", err.message);
	asp_arena_free(arena);
	asp_expr_free(e);
	bson_destroy(eb);
	bson_destroy(db);
	return res;
}

/*
 * canon: canonical extended JSON of {"r": <value_json>}, for expected
 * values written as JSON ("1" is an int32, "{\"$numberLong\": \"1\"}" a
 * long, "1.0" a double).
 */
static inline char *
canon(const char *value_json)
{
	char	   *wrapped = malloc(strlen(value_json) + 16);
	bson_t	   *b;
	bson_error_t berr;
	char	   *res;

	sprintf(wrapped, "{\"r\": %s}", value_json);
	b = bson_new_from_json((const uint8_t *) wrapped, -1, &berr);
	free(wrapped);
	if (b == NULL)
		return strdup("<bad expected JSON>");
	res = bson_as_canonical_extended_json(b, NULL);
	bson_destroy(b);
	return res;
}

/*
 * expect_value: ok() that expr on doc gives the value written as JSON
 * (NULL expected_json means "missing", i.e. no field).
 */
static inline int
expect_value(const char *expr_json, const char *doc_json, const char *expected_json)
{
	char		errbuf[600];
	char	   *got = eval_expr(expr_json, doc_json, errbuf, sizeof(errbuf));
	char	   *want = expected_json ? canon(expected_json) : strdup("{ }");
	int			r;

	if (got == NULL)
	{
		r = ok(0, "%s on %s -> %s (got error: %s)", expr_json, doc_json ? doc_json : "{}",
			   expected_json ? expected_json : "missing", errbuf);
	}
	else
	{
		r = ok(strcmp(got, want) == 0, "%s on %s -> %s", expr_json, doc_json ? doc_json : "{}",
			   expected_json ? expected_json : "missing");
		if (!r)
			diag("got %s, want %s", got, want);
	}
	free(got);
	free(want);
	return r;
}

/*
 * expect_error: ok() that expr fails (at compile or run time) with a
 * message containing `fragment`.
 */
static inline int
expect_error(const char *expr_json, const char *doc_json, const char *fragment)
{
	char		errbuf[600];
	char	   *got = eval_expr(expr_json, doc_json, errbuf, sizeof(errbuf));
	int			r;

	if (got != NULL)
	{
		r = ok(0, "%s fails with '%s' (but gave %s)", expr_json, fragment, got);
		free(got);
		return r;
	}
	r = ok(strstr(errbuf, fragment) != NULL, "%s fails with '%s'", expr_json, fragment);
	if (!r)
		diag("error was: %s", errbuf);
	return r;
}

#endif							/* ASP_TEST_EXPR_UTIL_H */
