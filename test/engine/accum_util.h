/*-------------------------------------------------------------------------
 *
 * accum_util.h
 *	  Helpers for the accumulator unit tests: compile an accumulator given
 *	  as JSON, run it over documents given as a JSON array, and compare
 *	  the result as canonical extended JSON.
 *
 * Every input document is copied into its own malloc'd buffer that is
 * freed right after add(), so an accumulator that kept a pointer into an
 * input document shows up under valgrind.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_TEST_ACCUM_UTIL_H
#define ASP_TEST_ACCUM_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bson/bson.h>

#include "../../src/engine/accum.h"
#include "../../src/engine/accum_internal.h"
#include "tap.h"

/* ---------- harness ---------- */

typedef struct docs
{
	int			n;
	bson_t	  **d;
} docs;

/* parse_docs: a JSON array of documents */
static inline docs
parse_docs(const char *json)
{
	docs		r = {0, NULL};
	char	   *wrapped = malloc(strlen(json) + 16);
	bson_error_t berr;
	bson_t	   *b;
	bson_iter_t it;

	sprintf(wrapped, "{\"d\": %s}", json);
	b = bson_new_from_json((const uint8_t *) wrapped, -1, &berr);
	free(wrapped);
	if (b == NULL)
	{
		fprintf(stderr, "test bug: bad docs JSON %s: %s\n", json, berr.message);
		exit(2);
	}
	bson_iter_init_find(&it, b, "d");
	{
		bson_iter_t ai;

		bson_iter_recurse(&it, &ai);
		while (bson_iter_next(&ai))
		{
			uint32_t	len;
			const uint8_t *data;

			bson_iter_document(&ai, &len, &data);
			r.d = realloc(r.d, sizeof(bson_t *) * (r.n + 1));
			r.d[r.n++] = bson_new_from_data(data, len);
		}
	}
	bson_destroy(b);
	return r;
}

/* free_docs: free what parse_docs returned */
static inline void
free_docs(docs *ds)
{
	int			i;

	for (i = 0; i < ds->n; i++)
		bson_destroy(ds->d[i]);
	free(ds->d);
}

/* compile_field: compile {<field>: <spec>} with asp_accum_compile */
static inline bool
compile_field(const char *field, const char *spec_json, asp_accum *a, asp_error *err)
{
	char	   *wrapped = malloc(strlen(spec_json) + 16);
	bson_error_t berr;
	bson_t	   *b;
	bson_iter_t it;
	asp_expr_compiler c;
	bool		res;

	sprintf(wrapped, "{\"f\": %s}", spec_json);
	b = bson_new_from_json((const uint8_t *) wrapped, -1, &berr);
	free(wrapped);
	if (b == NULL)
	{
		fprintf(stderr, "test bug: bad spec JSON %s: %s\n", spec_json, berr.message);
		exit(2);
	}
	bson_iter_init_find(&it, b, "f");
	asp_error_init(err);
	asp_expr_compiler_init(&c, err, field);
	res = asp_accum_compile(&c, field, bson_iter_value(&it), a);
	bson_destroy(b);
	return res;
}

/* compile_acc: compile_field for the field "f" */
static inline bool
compile_acc(const char *spec_json, asp_accum *a, asp_error *err)
{
	return compile_field("f", spec_json, a, err);
}

typedef struct runner
{
	asp_accum	a;
	asp_error	err;
	asp_arena  *arena;
	asp_eval_ctx ctx;
} runner;

/* runner_init: compile spec and set up an arena and an evaluation context */
static inline bool
runner_init(runner *r, const char *spec_json)
{
	memset(r, 0, sizeof(*r));
	if (!compile_acc(spec_json, &r->a, &r->err))
	{
		diag("compile of %s failed: %s", spec_json, r->err.message);
		return false;
	}
	r->arena = asp_arena_new(4096);
	asp_eval_ctx_init(&r->ctx, r->arena, &r->err);
	return true;
}

/* runner_done: free what runner_init allocated */
static inline void
runner_done(runner *r)
{
	asp_accum_destroy_compiled(&r->a);
	asp_arena_free(r->arena);
}

/* state_new: a malloc'd, initialised state */
static inline void *
state_new(runner *r)
{
	void	   *st = malloc(r->a.def->state_size);

	r->a.def->init(&r->a, st);
	return st;
}

/* state_free: destroy and free a state */
static inline void
state_free(runner *r, void *st)
{
	if (st == NULL)
		return;
	r->a.def->destroy(&r->a, st);
	free(st);
}

/* add_range: add docs [from, to) to a state; each document is freed right after */
static inline bool
add_range(runner *r, void *st, const docs *ds, int from, int to)
{
	int			i;

	for (i = from; i < to; i++)
	{
		uint8_t    *copy = malloc(ds->d[i]->len);
		bool		okay;

		memcpy(copy, bson_get_data(ds->d[i]), ds->d[i]->len);
		asp_arena_reset(r->arena);
		asp_eval_ctx_new_document(&r->ctx);
		asp_eval_ctx_set_root(&r->ctx, copy, ds->d[i]->len);
		okay = r->a.def->add(&r->a, st, &r->ctx);
		memset(copy, 0xAB, ds->d[i]->len);
		free(copy);
		if (!okay)
			return false;
	}
	return true;
}

/* result_doc: finalize into a new bson {"r": <value>} */
static inline bson_t *
result_doc(runner *r, const void *st)
{
	bson_value_t v;
	bson_t	   *out = bson_new();

	asp_arena_reset(r->arena);
	if (!r->a.def->finalize(&r->a, st, &r->ctx, &v))
	{
		bson_destroy(out);
		return NULL;
	}
	asp_bson_append_value(out, "r", 1, &v);
	return out;
}

/* result_json: finalize as canonical JSON of {"r": <value>} */
static inline char *
result_json(runner *r, const void *st)
{
	bson_t	   *b = result_doc(r, st);
	char	   *s;

	if (b == NULL)
		return NULL;
	s = bson_as_canonical_extended_json(b, NULL);
	bson_destroy(b);
	return s;
}

/* run: the accumulator over all docs; malloc'd canonical JSON or NULL + errbuf */
static inline char *
run(const char *spec, const char *docs_json, char *errbuf, size_t errlen)
{
	runner		r;
	docs		ds = parse_docs(docs_json);
	void	   *st;
	char	   *res = NULL;

	if (!runner_init(&r, spec))
	{
		snprintf(errbuf, errlen, "compile: %s", r.err.message);
		free_docs(&ds);
		return NULL;
	}
	st = state_new(&r);
	if (add_range(&r, st, &ds, 0, ds.n))
		res = result_json(&r, st);
	else
		snprintf(errbuf, errlen, "runtime: %s", r.err.message);
	state_free(&r, st);
	runner_done(&r);
	free_docs(&ds);
	return res;
}

/* canon: canonical JSON of {"r": <value_json>} */
static inline char *
canon(const char *value_json)
{
	char	   *wrapped = malloc(strlen(value_json) + 16);
	bson_error_t berr;
	bson_t	   *b;
	char	   *res;

	sprintf(wrapped, "{\"r\": %s}", value_json);
	b = bson_new_from_json((const uint8_t *) wrapped, -1, &berr);
	free(wrapped);
	if (b == NULL)
	{
		fprintf(stderr, "test bug: bad expected JSON %s\n", value_json);
		exit(2);
	}
	res = bson_as_canonical_extended_json(b, NULL);
	bson_destroy(b);
	return res;
}

/* expect: spec over docs gives exactly the value written as JSON */
static inline void
expect(const char *spec, const char *docs_json, const char *want_json)
{
	char		errbuf[600];
	char	   *got = run(spec, docs_json, errbuf, sizeof(errbuf));
	char	   *want = canon(want_json);

	if (got == NULL)
		ok(0, "%s over %s -> %s (error: %s)", spec, docs_json, want_json, errbuf);
	else if (!ok(strcmp(got, want) == 0, "%s over %s -> %s", spec, docs_json, want_json))
		diag("got %s, want %s", got, want);
	bson_free(got);
	bson_free(want);
}

/* expect_num: the result has the type of want and is numerically equal */
static inline void
expect_num(const char *spec, const char *docs_json, const char *want_json)
{
	char		errbuf[600];
	char	   *got = run(spec, docs_json, errbuf, sizeof(errbuf));
	char	   *want = canon(want_json);
	bson_t	   *gb,
			   *wb;
	bson_iter_t gi,
				wi;
	bool		same;

	if (got == NULL)
	{
		ok(0, "%s over %s -> %s (error: %s)", spec, docs_json, want_json, errbuf);
		bson_free(want);
		return;
	}
	gb = bson_new_from_json((const uint8_t *) got, -1, NULL);
	wb = bson_new_from_json((const uint8_t *) want, -1, NULL);
	bson_iter_init_find(&gi, gb, "r");
	bson_iter_init_find(&wi, wb, "r");
	same = bson_iter_type(&gi) == bson_iter_type(&wi) &&
		asp_value_equal(bson_iter_value(&gi), bson_iter_value(&wi));
	if (!ok(same, "%s over %s -> %s (numerically, same type)", spec, docs_json, want_json))
		diag("got %s, want %s", got, want);
	bson_destroy(gb);
	bson_destroy(wb);
	bson_free(got);
	bson_free(want);
}

/* expect_runtime_error: running spec over docs fails at run time with frag */
static inline void
expect_runtime_error(const char *spec, const char *docs_json, const char *frag)
{
	char		errbuf[600];
	char	   *got = run(spec, docs_json, errbuf, sizeof(errbuf));

	if (got)
	{
		ok(0, "%s over %s fails with '%s' (gave %s)", spec, docs_json, frag, got);
		bson_free(got);
		return;
	}
	if (!ok(strncmp(errbuf, "runtime:", 8) == 0 && strstr(errbuf, frag) != NULL,
			"%s over %s fails with '%s'", spec, docs_json, frag))
		diag("error was %s", errbuf);
}

/* expect_compile_error_f: {field: spec} is rejected with code and frag */
static inline void
expect_compile_error_f(const char *field, const char *spec, asp_error_code code, const char *frag)
{
	asp_accum	a;
	asp_error	err;
	bool		res = compile_field(field, spec, &a, &err);

	if (res)
	{
		ok(0, "{%s: %s} is rejected with '%s' (but compiled)", field, spec, frag);
		asp_accum_destroy_compiled(&a);
		return;
	}
	if (!ok(err.code == code && strstr(err.message, frag) != NULL,
			"{%s: %s} is rejected with '%s'", field, spec, frag))
		diag("error was code %d '%s'", err.code, err.message);
}

/* expect_compile_error: expect_compile_error_f for the field "f" */
static inline void
expect_compile_error(const char *spec, asp_error_code code, const char *frag)
{
	expect_compile_error_f("f", spec, code, frag);
}

#endif							/* ASP_TEST_ACCUM_UTIL_H */
