/*-------------------------------------------------------------------------
 *
 * test_match.c
 *	  Unit tests (TAP) of the query matcher: match.c, match_eval.c,
 *	  jsonschema.c and regex.c.
 *
 * Build and run from the repository root (or use `make check-engine`,
 * which links every engine source):
 *
 *   gcc -std=gnu11 -O2 -g -Wall -Wextra -Werror \
 *       $(pkg-config --cflags libbson-1.0 libpcre2-8) -Isrc/engine -Itest/engine \
 *       -o /tmp/test_match test/engine/test_match.c \
 *       src/engine/match.c src/engine/match_eval.c src/engine/jsonschema.c \
 *       src/engine/regex.c src/engine/error.c src/engine/value.c \
 *       src/engine/arena.c src/engine/path.c src/engine/expr.c \
 *       src/engine/expr_*.c src/engine/datetime*.c src/engine/tz.c \
 *       src/engine/solar.c \
 *       $(pkg-config --libs libbson-1.0 libpcre2-8) -lm
 *   /tmp/test_match
 *
 * Queries and documents are written as JSON with single quotes, turned
 * into double quotes before libbson parses them.  Beware that libbson's
 * JSON parser reads {"$regex": "x"} (and {"$regex": "x", "$options": "i"})
 * as a BSON regex value; the string forms of $regex are built by hand.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>
#include <bson/bson.h>

#include "../../src/engine/match.h"
#include "../../src/engine/regex.h"
#include "tap.h"

static asp_arena *arena;

/*
 * copy_renaming: copy a document, renaming keys "$tYpE" to "$type" (the
 * JSON parser would take {"$type": ...} for legacy binary syntax).
 */
static void
copy_renaming(bson_t *dst, const bson_t *src)
{
	bson_iter_t it;

	bson_iter_init(&it, src);
	while (bson_iter_next(&it))
	{
		const char *key = strcmp(bson_iter_key(&it), "$tYpE") == 0 ? "$type" : bson_iter_key(&it);

		if (BSON_ITER_HOLDS_DOCUMENT(&it) || BSON_ITER_HOLDS_ARRAY(&it))
		{
			const uint8_t *data;
			uint32_t	len;
			bson_t		in,
						out;

			bson_iter_document(&it, &len, &data);
			if (BSON_ITER_HOLDS_ARRAY(&it))
			{
				bson_iter_array(&it, &len, &data);
				bson_init_static(&in, data, len);
				bson_append_array_begin(dst, key, -1, &out);
				copy_renaming(&out, &in);
				bson_append_array_end(dst, &out);
			}
			else
			{
				bson_init_static(&in, data, len);
				bson_append_document_begin(dst, key, -1, &out);
				copy_renaming(&out, &in);
				bson_append_document_end(dst, &out);
			}
		}
		else
			bson_append_value(dst, key, -1, bson_iter_value(&it));
	}
}

/*
 * from_json: parse JSON written with single quotes (and "$type" keys);
 * aborts on a test bug
 */
static bson_t *
from_json(const char *json)
{
	char	   *s = malloc(strlen(json) * 2 + 1);
	const char *p;
	char	   *o = s;
	bson_error_t berr;
	bson_t	   *b,
			   *r;

	for (p = json; *p; p++)
	{
		if (strncmp(p, "'$type'", 7) == 0)
		{
			memcpy(o, "\"$tYpE\"", 7);
			o += 7;
			p += 6;
			continue;
		}
		*o++ = *p == '\'' ? '"' : *p;
	}
	*o = '\0';
	b = bson_new_from_json((const uint8_t *) s, -1, &berr);
	if (b == NULL)
	{
		printf("Bail out! bad test JSON %s: %s\n", json, berr.message);
		exit(2);
	}
	free(s);
	r = bson_new();
	copy_renaming(r, b);
	bson_destroy(b);
	return r;
}

/* compile_bson: compile a query; NULL with err filled on error */
static asp_match *
compile_bson(const bson_t *q, asp_error *err)
{
	asp_expr_compiler c;

	asp_error_init(err);
	asp_expr_compiler_init(&c, err, "$match");
	return asp_match_compile(&c, bson_get_data(q), q->len);
}

/* run: evaluate a compiled query; -1 on a runtime error */
static int
run(asp_match *m, const bson_t *d, asp_error *err)
{
	asp_eval_ctx ctx;
	bool		matched = false;

	asp_arena_reset(arena);
	asp_eval_ctx_init(&ctx, arena, err);
	if (!asp_match_eval(m, bson_get_data(d), d->len, &ctx, &matched))
		return -1;
	return matched ? 1 : 0;
}

/* check_b: query (BSON) on doc (BSON) gives expect */
static void
check_b(const bson_t *q, const bson_t *d, bool expect, const char *desc)
{
	asp_error	err;
	asp_match  *m = compile_bson(q, &err);
	int			r;

	if (m == NULL)
	{
		ok(0, "%s (compile error: %s)", desc, err.message);
		return;
	}
	r = run(m, d, &err);
	if (r < 0)
		ok(0, "%s (runtime error: %s)", desc, err.message);
	else if (!ok(r == (int) expect, "%s", desc))
		diag("expected %s", expect ? "match" : "no match");
	asp_match_free(m);
}

/* M: query on doc (both JSON) gives expect */
static void
M(const char *query, const char *doc, bool expect)
{
	bson_t	   *q = from_json(query);
	bson_t	   *d = from_json(doc);
	char		desc[600];

	snprintf(desc, sizeof(desc), "%s on %s -> %s", query, doc, expect ? "match" : "no match");
	check_b(q, d, expect, desc);
	bson_destroy(q);
	bson_destroy(d);
}

/* E_b: compiling the query fails with code, message containing frag, and err->path */
static void
E_b(const bson_t *q, asp_error_code code, const char *frag, const char *path,
	const char *desc)
{
	asp_error	err;
	asp_match  *m = compile_bson(q, &err);

	if (m != NULL)
	{
		ok(0, "%s fails with '%s' (but compiled)", desc, frag);
		asp_match_free(m);
		return;
	}
	if (!ok(err.code == code && strstr(err.message, frag) != NULL &&
			(path == NULL || strcmp(err.path, path) == 0),
			"%s fails with '%s'", desc, frag))
		diag("got code %d message '%s' path '%s'", err.code, err.message, err.path);
}

static void
E(const char *query, asp_error_code code, const char *frag, const char *path)
{
	bson_t	   *q = from_json(query);

	E_b(q, code, frag, path, query);
	bson_destroy(q);
}

/* X: after a failed match, the explanation contains frag */
static void
X_b(const bson_t *q, const bson_t *d, const char *frag, const char *desc)
{
	asp_error	err;
	asp_match  *m = compile_bson(q, &err);
	asp_eval_ctx ctx;
	char		buf[512];
	int			r;

	if (m == NULL)
	{
		ok(0, "explain %s (compile error: %s)", desc, err.message);
		return;
	}
	r = run(m, d, &err);
	asp_arena_reset(arena);
	asp_eval_ctx_init(&ctx, arena, &err);
	asp_match_explain_failure(m, bson_get_data(d), d->len, &ctx, buf, sizeof(buf));
	if (!ok(r == 0 && strstr(buf, frag) != NULL, "explain %s: '%s'", desc, frag))
		diag("matched=%d", r);
	diag("reason: %s", buf);
	asp_match_free(m);
}

static void
X(const char *query, const char *doc, const char *frag)
{
	bson_t	   *q = from_json(query);
	bson_t	   *d = from_json(doc);
	char		desc[600];

	snprintf(desc, sizeof(desc), "%s on %s", query, doc);
	X_b(q, d, frag, desc);
	bson_destroy(q);
	bson_destroy(d);
}

/* ---------- the tests ---------- */

static void
test_equality_and_paths(void)
{
	/* implicit equality, cross-numeric */
	M("{'a': 5}", "{'a': 5}", true);
	M("{'a': 5}", "{'a': 5.0}", true);
	M("{'a': 5}", "{'a': {'$numberLong': '5'}}", true);
	M("{'a': 5}", "{'a': {'$numberDecimal': '5'}}", true);
	M("{'a': 5}", "{'a': {'$numberDecimal': '5.000'}}", true);
	M("{'a': {'$numberDecimal': '1'}}", "{'a': 1}", true);
	M("{'a': {'$numberLong': '1'}}", "{'a': 1.0}", true);
	M("{'a': 1.0}", "{'a': {'$numberDecimal': '1'}}", true);
	M("{'a': 5}", "{'a': '5'}", false);
	M("{'a': 5}", "{}", false);
	M("{'a': 5, 'b': 'x'}", "{'a': 5, 'b': 'x'}", true);
	M("{'a': 5, 'b': 'x'}", "{'a': 5, 'b': 'y'}", false);
	M("{}", "{'a': 1}", true);
	/* document equality is exact, field order matters */
	M("{'a': {'b': 1, 'c': 2}}", "{'a': {'b': 1, 'c': 2}}", true);
	M("{'a': {'b': 1, 'c': 2}}", "{'a': {'c': 2, 'b': 1}}", false);
	M("{'a': {'b': 1}}", "{'a': {'b': 1, 'c': 2}}", false);
	M("{'a': {'b': 1}}", "{'a': {'b': 1.0}}", true);
	/* dotted paths and implicit array traversal */
	M("{'a.b': 1}", "{'a': {'b': 1}}", true);
	M("{'a.b': 1}", "{'a': [{'b': 1}, {'b': 2}]}", true);
	M("{'a.b': 2}", "{'a': [{'b': 1}, {'b': 2}]}", true);
	M("{'a.b': 3}", "{'a': [{'b': 1}, {'b': 2}]}", false);
	M("{'a.b': 1}", "{'a': {'b': [0, 1]}}", true);
	M("{'a.b': 1}", "{'a': [{'b': [0, 1]}]}", true);
	M("{'a.b.c': 1}", "{'a': [{'b': [{'c': 1}]}]}", true);
	M("{'a.b': 1}", "{'a': [[{'b': 1}]]}", false);	/* nested arrays are not traversed */
	M("{'a.b': 1}", "{'a': 5}", false);
	/* numeric path segments: array index and field named "0" */
	M("{'a.0.b': 1}", "{'a': [{'b': 1}]}", true);
	M("{'a.0.b': 1}", "{'a': [{'b': 2}, {'b': 1}]}", false);
	M("{'a.1.b': 1}", "{'a': [{'b': 2}, {'b': 1}]}", true);
	M("{'a.0.b': 1}", "{'a': {'0': {'b': 1}}}", true);
	M("{'a.0.b': 1}", "{'a': [{'0': {'b': 1}}]}", true);
	M("{'a.0': 5}", "{'a': [5, 6]}", true);
	M("{'a.1': 5}", "{'a': [5, 6]}", false);
	M("{'a.0': [1, 2]}", "{'a': [[1, 2]]}", true);
	M("{'a.0': 1}", "{'a': [[1, 2]]}", false);
	M("{'a.0.1': 2}", "{'a': [[1, 2]]}", true);
	/* MongoDB's jstests/core/array_match2.js */
	M("{'a.1': 4}", "{'a': [{'1': 4}, 5]}", true);
	M("{'a.1': 5}", "{'a': [{'1': 4}, 5]}", true);
	M("{'a.1.foo': 4}", "{'a': [{'1': {'foo': 4}}, {'foo': 5}]}", true);
	M("{'a.1.foo': 5}", "{'a': [{'1': {'foo': 4}}, {'foo': 5}]}", true);
	M("{'a.1': {'$exists': true}}", "{'a': [{'1': {'foo': 4}}, {}]}", true);
	M("{'a.1.foo': {'$exists': true}}", "{'a': [{'1': {'foo': 4}}, {}]}", true);
	/* arrays at the leaf: any element, or the whole array */
	M("{'tags': 'x'}", "{'tags': ['x', 'y']}", true);
	M("{'tags': 'z'}", "{'tags': ['x', 'y']}", false);
	M("{'tags': ['x', 'y']}", "{'tags': ['x', 'y']}", true);
	M("{'tags': ['y', 'x']}", "{'tags': ['x', 'y']}", false);
	M("{'tags': ['x']}", "{'tags': ['x', 'y']}", false);
	M("{'tags': ['x', 'y']}", "{'tags': [['x', 'y'], 'z']}", true);
	M("{'a': [1]}", "{'a': [[1]]}", true);
	M("{'a': 1}", "{'a': [[1]]}", false);
	M("{'a': []}", "{'a': []}", true);
	M("{'a': []}", "{'a': [[]]}", true);
}

static void
test_null_and_exists(void)
{
	M("{'a': null}", "{}", true);
	M("{'a': null}", "{'a': null}", true);
	M("{'a': null}", "{'a': [1, null]}", true);
	M("{'a': null}", "{'a': [1]}", false);
	M("{'a': null}", "{'a': []}", false);
	M("{'a': null}", "{'a': 0}", false);
	M("{'a': null}", "{'a': {'$undefined': true}}", false);
	M("{'a': {'$eq': null}}", "{'b': 1}", true);
	/* null on dotted paths (MongoDB's null_query_semantics.js) */
	M("{'a.b': null}", "{'a': {}}", true);
	M("{'a.b': null}", "{'a': 4}", true);
	M("{'a.b': null}", "{'a': {'b': 'hi'}}", false);
	M("{'a.b': null}", "{'a': [1, 'string', 4]}", true);
	M("{'a.b': null}", "{'a': [[]]}", true);
	M("{'a.b': null}", "{'a': []}", true);
	M("{'a.b': null}", "{'a': [{'b': 3}, {}]}", true);
	M("{'a.b': null}", "{'a': [{'b': 1}, {'b': 3}]}", false);
	M("{'a.b': null}", "{'a': [{'b': {'$undefined': true}}, {'b': 3}]}", false);
	M("{'a.b': {'$in': [null, 75]}}", "{'a': [{'b': 3}, {}]}", true);
	M("{'a.b': {'$in': [null, 75]}}", "{'a': [{'b': 3}]}", false);
	/* $ne null */
	M("{'a': {'$ne': null}}", "{}", false);
	M("{'a': {'$ne': null}}", "{'a': 1}", true);
	M("{'a': {'$ne': null}}", "{'a': [null]}", false);
	M("{'a': {'$ne': null}}", "{'a': {'$undefined': true}}", true);
	M("{'a.b': {'$ne': null}}", "{'a': [{'b': 1}, {'b': 3}]}", true);
	M("{'a.b': {'$ne': null}}", "{'a': [1, 2]}", false);
	M("{'a': {'$lte': null}}", "{}", true);
	M("{'a': {'$gte': null}}", "{'a': null}", true);
	M("{'a': {'$lt': null}}", "{}", false);
	M("{'a': {'$gte': null}}", "{'a': 1}", false);
	/* $exists */
	M("{'a': {'$exists': true}}", "{'a': null}", true);
	M("{'a': {'$exists': true}}", "{}", false);
	M("{'a': {'$exists': true}}", "{'a': []}", true);
	M("{'a': {'$exists': false}}", "{}", true);
	M("{'a': {'$exists': false}}", "{'a': null}", false);
	M("{'a': {'$exists': 0}}", "{}", true);
	M("{'a': {'$exists': 1}}", "{'a': 0}", true);
	M("{'a.b': {'$exists': false}}", "{'a': [1, 2]}", true);
	M("{'a.b': {'$exists': true}}", "{'a': [1, {'b': null}]}", true);
	M("{'a.b': {'$exists': true}}", "{'a': [1, 2]}", false);
}

static void
test_comparison(void)
{
	/* type bracketing */
	M("{'a': {'$gt': 5}}", "{'a': 10}", true);
	M("{'a': {'$gt': 5}}", "{'a': 5}", false);
	M("{'a': {'$gt': 5}}", "{'a': '10'}", false);
	M("{'a': {'$gt': 5}}", "{'a': [1, 10]}", true);
	M("{'a': {'$gt': 5}}", "{'a': [1, '10']}", false);
	M("{'a': {'$gt': 5}}", "{'a': {'$numberDecimal': '5.5'}}", true);
	M("{'a': {'$gt': 5}}", "{'a': {'$numberLong': '6'}}", true);
	M("{'a': {'$gte': 5}}", "{'a': 5.0}", true);
	M("{'a': {'$lt': 5}}", "{'a': 4.999}", true);
	M("{'a': {'$lte': 5}}", "{'a': {'$numberDecimal': '5.0'}}", true);
	M("{'a': {'$lt': 'b'}}", "{'a': 'a'}", true);
	M("{'a': {'$lt': 'b'}}", "{'a': 1}", false);
	M("{'a': {'$gt': 1, '$lt': 5}}", "{'a': 3}", true);
	M("{'a': {'$gt': 1, '$lt': 5}}", "{'a': [0, 6]}", true);	/* each on any element */
	M("{'a': {'$gt': 1, '$lt': 5}}", "{'a': 7}", false);
	M("{'a': {'$gt': {'$date': '2020-01-01T00:00:00Z'}}}", "{'a': {'$date': '2021-01-01T00:00:00Z'}}", true);
	M("{'a': {'$gt': {'$date': '2020-01-01T00:00:00Z'}}}", "{'a': 1700000000000}", false);
	M("{'a': {'$gt': [1]}}", "{'a': [2]}", true);	/* the whole array [2] > [1] */
	M("{'a': {'$gt': [1]}}", "{'a': 2}", false);
	/* MinKey and MaxKey bound every type */
	M("{'a': {'$gt': {'$minKey': 1}}}", "{'a': 'x'}", true);
	M("{'a': {'$gt': {'$minKey': 1}}}", "{}", true);
	M("{'a': {'$lt': {'$maxKey': 1}}}", "{'a': 5}", true);
	M("{'a': {'$eq': {'$minKey': 1}}}", "{'a': 5}", false);
	M("{'a': {'$eq': {'$minKey': 1}}}", "{'a': {'$minKey': 1}}", true);
	/* NaN */
	M("{'a': {'$numberDouble': 'NaN'}}", "{'a': {'$numberDouble': 'NaN'}}", true);
	M("{'a': {'$gte': {'$numberDouble': 'NaN'}}}", "{'a': {'$numberDouble': 'NaN'}}", true);
	M("{'a': {'$gt': 1}}", "{'a': {'$numberDouble': 'NaN'}}", false);
	M("{'a': {'$lt': 1}}", "{'a': {'$numberDouble': 'NaN'}}", false);
	M("{'a': {'$lt': {'$numberDouble': 'NaN'}}}", "{'a': 1}", false);
	/* $eq and $ne */
	M("{'a': {'$eq': 5}}", "{'a': [4, 5]}", true);
	M("{'a': {'$eq': [1, 2]}}", "{'a': [1, 2]}", true);
	M("{'a': {'$eq': [1, 2]}}", "{'a': [[1, 2], 3]}", true);
	M("{'a': {'$eq': {'$gt': 1}}}", "{'a': 5}", false);	/* literal object */
	M("{'a': {'$eq': {'$gt': 1}}}", "{'a': {'$gt': 1}}", true);
	M("{'a': {'$eq': {'$regularExpression': {'pattern': 'x', 'options': ''}}}}", "{'a': 'x'}", false);
	M("{'a': {'$eq': {'$regularExpression': {'pattern': 'x', 'options': ''}}}}",
	  "{'a': {'$regularExpression': {'pattern': 'x', 'options': ''}}}", true);
	M("{'a': {'$ne': 5}}", "{'a': [5, 6]}", false);
	M("{'a': {'$ne': 5}}", "{'a': [6]}", true);
	M("{'a': {'$ne': 5}}", "{}", true);
	M("{'a': {'$ne': 5}}", "{'a': 5.0}", false);
	M("{'a.b': {'$ne': 1}}", "{'a': [{'b': 1}, {'b': 2}]}", false);
}

static void
test_in_all_size_mod_type(void)
{
	int			i;
	char		q[1024],
				d[64];
	size_t		len;

	M("{'a': {'$in': [1, 'x']}}", "{'a': 'x'}", true);
	M("{'a': {'$in': [1, 'x']}}", "{'a': [2, 1]}", true);
	M("{'a': {'$in': [1, 'x']}}", "{'a': 3}", false);
	M("{'a': {'$in': [1.0]}}", "{'a': {'$numberLong': '1'}}", true);
	M("{'a': {'$in': [null]}}", "{}", true);
	M("{'a': {'$in': [null]}}", "{'a': {'$undefined': true}}", false);
	M("{'a': {'$in': [{'$regularExpression': {'pattern': '^x', 'options': ''}}]}}", "{'a': 'xy'}", true);
	M("{'a': {'$in': [{'$regularExpression': {'pattern': '^x', 'options': ''}}, 5]}}", "{'a': 5}", true);
	M("{'a': {'$in': [{'$regularExpression': {'pattern': '^x', 'options': ''}}]}}", "{'a': 'yx'}", false);
	M("{'a': {'$in': [[1, 2]]}}", "{'a': [1, 2]}", true);
	M("{'a': {'$in': []}}", "{'a': 1}", false);
	M("{'a': {'$in': [{'b': 1}]}}", "{'a': {'b': 1}}", true);
	/* a long $in list is searched by binary search */
	len = (size_t) snprintf(q, sizeof(q), "{'a': {'$in': [");
	for (i = 0; i < 40; i++)
		len += (size_t) snprintf(q + len, sizeof(q) - len, "%s%d", i ? ", " : "", i * 3);
	snprintf(q + len, sizeof(q) - len, ", 'z', 2.5]}}");
	for (i = 0; i < 120; i += 7)
	{
		snprintf(d, sizeof(d), "{'a': %d}", i);
		M(q, d, i % 3 == 0);
	}
	M(q, "{'a': 2.5}", true);
	M(q, "{'a': 'z'}", true);
	M(q, "{'a': 'y'}", false);
	/* $nin */
	M("{'a': {'$nin': [1, 2]}}", "{'a': 3}", true);
	M("{'a': {'$nin': [1, 2]}}", "{'a': [3, 1]}", false);
	M("{'a': {'$nin': [1, 2]}}", "{}", true);
	M("{'a': {'$nin': [null]}}", "{}", false);
	M("{'a': {'$nin': [null, {'$regularExpression': {'pattern': '^s', 'options': ''}}]}}", "{'a': 'str'}", false);

	/* $all */
	M("{'tags': {'$all': ['a', 'b']}}", "{'tags': ['b', 'a', 'c']}", true);
	M("{'tags': {'$all': ['a', 'b']}}", "{'tags': ['a']}", false);
	M("{'tags': {'$all': []}}", "{'tags': ['a']}", false);
	M("{'tags': {'$all': [['a', 'b']]}}", "{'tags': [['a', 'b'], 'c']}", true);
	M("{'tags': {'$all': [['a', 'b']]}}", "{'tags': ['a', 'b']}", true);
	M("{'tags': {'$all': [{'$regularExpression': {'pattern': '^a', 'options': ''}}, 'b']}}", "{'tags': ['abc', 'b']}", true);
	M("{'a': {'$all': [5]}}", "{'a': 5}", true);
	/* $all with $elemMatch (MongoDB manual) */
	M("{'qty': {'$all': [{'$elemMatch': {'size': 'M', 'num': {'$gt': 50}}}, {'$elemMatch': {'num': 100, 'color': 'green'}}]}}",
	  "{'qty': [{'size': 'S', 'num': 10, 'color': 'blue'}, {'size': 'M', 'num': 100, 'color': 'blue'}, {'size': 'L', 'num': 100, 'color': 'green'}]}",
	  true);
	M("{'qty': {'$all': [{'$elemMatch': {'size': 'M', 'num': {'$gt': 50}}}, {'$elemMatch': {'num': 100, 'color': 'green'}}]}}",
	  "{'qty': [{'size': 'M', 'num': 100, 'color': 'blue'}, {'size': 'L', 'num': 50, 'color': 'green'}]}",
	  false);

	/* $size */
	M("{'a': {'$size': 2}}", "{'a': [1, 2]}", true);
	M("{'a': {'$size': 2}}", "{'a': [1]}", false);
	M("{'a': {'$size': 2}}", "{'a': [[1, 2]]}", false);
	M("{'a': {'$size': 1}}", "{'a': [[1, 2]]}", true);
	M("{'a': {'$size': 2}}", "{'a': 'ab'}", false);
	M("{'a': {'$size': 0}}", "{'a': []}", true);
	M("{'a': {'$size': 0}}", "{}", false);
	M("{'a': {'$size': 2.0}}", "{'a': [1, 2]}", true);
	M("{'a.b': {'$size': 2}}", "{'a': [{'b': [1, 2]}, {'b': [1]}]}", true);

	/* $mod */
	M("{'a': {'$mod': [4, 0]}}", "{'a': 8}", true);
	M("{'a': {'$mod': [4, 0]}}", "{'a': 7}", false);
	M("{'a': {'$mod': [4, 0]}}", "{'a': 8.9}", true);
	M("{'a': {'$mod': [4, 0]}}", "{'a': -8}", true);
	M("{'a': {'$mod': [4, -3]}}", "{'a': -7}", true);
	M("{'a': {'$mod': [4.5, 0]}}", "{'a': 8}", true);	/* divisor truncated to 4 */
	M("{'a': {'$mod': [4, 0.9]}}", "{'a': 8}", true);	/* remainder truncated to 0 */
	M("{'a': {'$mod': [4, 0]}}", "{'a': {'$numberDecimal': '8.7'}}", true);
	M("{'a': {'$mod': [4, 0]}}", "{'a': {'$numberLong': '12'}}", true);
	M("{'a': {'$mod': [4, 0]}}", "{'a': '8'}", false);
	M("{'a': {'$mod': [4, 0]}}", "{'a': {'$numberDouble': 'NaN'}}", false);
	M("{'a': {'$mod': [-1, 0]}}", "{'a': {'$numberLong': '-9223372036854775808'}}", true);
	M("{'a': {'$mod': [3, 1]}}", "{'a': [3, 4]}", true);

	/* $type */
	M("{'a': {'$type': 'string'}}", "{'a': 'x'}", true);
	M("{'a': {'$type': 'string'}}", "{'a': 1}", false);
	M("{'a': {'$type': 2}}", "{'a': 'x'}", true);
	M("{'a': {'$type': 2.0}}", "{'a': 'x'}", true);
	M("{'a': {'$type': 'number'}}", "{'a': 1}", true);
	M("{'a': {'$type': 'number'}}", "{'a': 1.5}", true);
	M("{'a': {'$type': 'number'}}", "{'a': {'$numberLong': '1'}}", true);
	M("{'a': {'$type': 'number'}}", "{'a': {'$numberDecimal': '1'}}", true);
	M("{'a': {'$type': 'number'}}", "{'a': '1'}", false);
	M("{'a': {'$type': ['string', 'int']}}", "{'a': 1}", true);
	M("{'a': {'$type': ['string', 'int']}}", "{'a': 1.5}", false);
	M("{'a': {'$type': 'array'}}", "{'a': []}", true);
	M("{'a': {'$type': 'array'}}", "{'a': [1]}", true);
	M("{'a': {'$type': 'array'}}", "{'a': 1}", false);
	M("{'a': {'$type': 'int'}}", "{'a': [1.5, 2]}", true);
	M("{'a': {'$type': 'null'}}", "{'a': null}", true);
	M("{'a': {'$type': 'null'}}", "{}", false);
	M("{'a': {'$type': 'long'}}", "{'a': {'$numberLong': '1'}}", true);
	M("{'a': {'$type': 'decimal'}}", "{'a': {'$numberDecimal': '1'}}", true);
	M("{'a': {'$type': 'double'}}", "{'a': 1}", false);
	M("{'a': {'$type': 'object'}}", "{'a': {'b': 1}}", true);
	M("{'a': {'$type': 'bool'}}", "{'a': false}", true);
	M("{'a': {'$type': 'date'}}", "{'a': {'$date': '2020-01-01T00:00:00Z'}}", true);
	M("{'a': {'$type': 'objectId'}}", "{'a': {'$oid': '5f0c1e6b9d3b2a1e4c8b4567'}}", true);
	M("{'a': {'$type': 'minKey'}}", "{'a': {'$minKey': 1}}", true);
	M("{'a': {'$type': -1}}", "{'a': {'$minKey': 1}}", true);
	M("{'a': {'$type': 127}}", "{'a': {'$maxKey': 1}}", true);
	M("{'a.b': {'$type': 'int'}}", "{'a': [{'b': 'x'}, {'b': 1}]}", true);

	/* $bitsAllSet and friends: 54 = 0b110110 */
	M("{'a': {'$bitsAllSet': [1, 5]}}", "{'a': 54}", true);
	M("{'a': {'$bitsAllSet': 35}}", "{'a': 54}", false);
	M("{'a': {'$bitsAllSet': 6}}", "{'a': 54}", true);
	M("{'a': {'$bitsAnySet': [0, 1]}}", "{'a': 54}", true);
	M("{'a': {'$bitsAnySet': [0, 3]}}", "{'a': 54}", false);
	M("{'a': {'$bitsAllClear': [0, 3]}}", "{'a': 54}", true);
	M("{'a': {'$bitsAllClear': [0, 1]}}", "{'a': 54}", false);
	M("{'a': {'$bitsAnyClear': [1, 2]}}", "{'a': 54}", false);
	M("{'a': {'$bitsAnyClear': [0, 1]}}", "{'a': 54}", true);
	M("{'a': {'$bitsAllSet': [1]}}", "{'a': 2.5}", false);
	M("{'a': {'$bitsAllSet': [1, 2]}}", "{'a': {'$binary': {'base64': 'Bg==', 'subType': '00'}}}", true);
	M("{'a': {'$bitsAllSet': [1, 9]}}", "{'a': {'$binary': {'base64': 'Bg==', 'subType': '00'}}}", false);
	M("{'a': {'$bitsAllSet': [63]}}", "{'a': -1}", true);

	M("{'$alwaysTrue': 1}", "{}", true);
	M("{'$alwaysFalse': 1}", "{}", false);
	M("{'$comment': 'ignored', 'a': 1}", "{'a': 1}", true);
	M("{'a': {'$ref': 'c', '$id': 1}}", "{'a': {'$ref': 'c', '$id': 1}}", true);
}

/* make_str_regex: {field: {[$exists: true,] $regex: pattern [, $options: options]}} with string values */
static bson_t *
make_str_regex(const char *field, const char *pattern, const char *options, bool exists)
{
	bson_t	   *q = bson_new();
	bson_t		sub;

	bson_append_document_begin(q, field, -1, &sub);
	if (exists)
		bson_append_bool(&sub, "$exists", -1, true);
	bson_append_utf8(&sub, "$regex", -1, pattern, -1);
	if (options)
		bson_append_utf8(&sub, "$options", -1, options, -1);
	bson_append_document_end(q, &sub);
	return q;
}

static void
test_regex_and_not(void)
{
	bson_t	   *q,
			   *d;
	bson_t		sub;

	M("{'a': {'$regex': '^ab'}}", "{'a': 'abc'}", true);
	M("{'a': {'$regex': '^ab'}}", "{'a': 'xab'}", false);
	M("{'a': {'$regex': '^ab'}}", "{'a': 5}", false);
	M("{'a': {'$regex': '^ab'}}", "{}", false);
	M("{'a': {'$regex': '^ab'}}", "{'a': ['x', 'abc']}", true);
	M("{'a': {'$regex': '^ab'}}", "{'a': {'$symbol': 'abc'}}", true);
	M("{'a': {'$regularExpression': {'pattern': '^AB', 'options': 'i'}}}", "{'a': 'abc'}", true);
	M("{'a': {'$regularExpression': {'pattern': '^AB', 'options': ''}}}", "{'a': 'abc'}", false);
	M("{'a': {'$regularExpression': {'pattern': '^ab', 'options': 'm'}}}", "{'a': 'x\\nab'}", true);
	M("{'a': {'$regularExpression': {'pattern': '^ab', 'options': ''}}}", "{'a': 'x\\nab'}", false);
	M("{'a': {'$regularExpression': {'pattern': 'a.b', 'options': 's'}}}", "{'a': 'a\\nb'}", true);
	M("{'a': {'$regularExpression': {'pattern': 'a.b', 'options': ''}}}", "{'a': 'a\\nb'}", false);
	M("{'a': {'$regularExpression': {'pattern': 'a b c # comment', 'options': 'x'}}}", "{'a': 'abc'}", true);
	M("{'a': {'$regularExpression': {'pattern': '^\\u00e9t\\u00e9$', 'options': 'i'}}}", "{'a': '\\u00c9T\\u00c9'}", true);
	M("{'a': {'$regularExpression': {'pattern': '^.$', 'options': 'u'}}}", "{'a': '\\u00e9'}", true);
	/* a regex field matches only the same regex */
	M("{'a': {'$regularExpression': {'pattern': 'x', 'options': ''}}}", "{'a': {'$regularExpression': {'pattern': 'x', 'options': ''}}}", true);
	M("{'a': {'$regularExpression': {'pattern': 'x', 'options': 'i'}}}", "{'a': {'$regularExpression': {'pattern': 'x', 'options': ''}}}", false);

	/* string $regex with $options */
	q = make_str_regex("a", "^ab", "i", false);
	d = from_json("{'a': 'ABC'}");
	check_b(q, d, true, "{a: {$regex: '^ab', $options: 'i'}} (strings) on {a: 'ABC'} -> match");
	bson_destroy(d);
	d = from_json("{'a': 'xABC'}");
	check_b(q, d, false, "{a: {$regex: '^ab', $options: 'i'}} (strings) on {a: 'xABC'} -> no match");
	bson_destroy(d);
	bson_destroy(q);
	q = make_str_regex("a", "b", NULL, true);
	d = from_json("{'a': 'abc'}");
	check_b(q, d, true, "{a: {$exists: true, $regex: 'b'}} (string) on {a: 'abc'} -> match");
	bson_destroy(d);
	bson_destroy(q);
	/* a BSON regex under $regex, flags from $options */
	q = bson_new();
	bson_append_document_begin(q, "a", -1, &sub);
	bson_append_regex(&sub, "$regex", -1, "^ab", "");
	bson_append_utf8(&sub, "$options", -1, "i", -1);
	bson_append_document_end(q, &sub);
	d = from_json("{'a': 'ABx'}");
	check_b(q, d, true, "{a: {$regex: /^ab/, $options: 'i'}} on {a: 'ABx'} -> match");
	bson_destroy(d);
	bson_destroy(q);
	/* invalid UTF-8 in the subject: the bad byte matches nothing, no failure */
	d = bson_new();
	bson_append_utf8(d, "a", -1, "a\xff" "b", 3);
	q = from_json("{'a': {'$regex': 'b'}}");
	check_b(q, d, true, "regex /b/ on invalid UTF-8 subject 'a\\xffb' -> match");
	bson_destroy(q);
	q = from_json("{'a': {'$regex': '^a.b$'}}");
	check_b(q, d, false, "regex /^a.b$/ on invalid UTF-8 subject 'a\\xffb' -> no match");
	bson_destroy(q);
	bson_destroy(d);

	/* $not */
	M("{'a': {'$not': {'$gt': 5}}}", "{'a': 3}", true);
	M("{'a': {'$not': {'$gt': 5}}}", "{'a': 6}", false);
	M("{'a': {'$not': {'$gt': 5}}}", "{}", true);
	M("{'a': {'$not': {'$gt': 5}}}", "{'a': 'x'}", true);
	M("{'a': {'$not': {'$gt': 5}}}", "{'a': [1, 6]}", false);
	M("{'a': {'$not': {'$gt': 1, '$lt': 5}}}", "{'a': 3}", false);
	M("{'a': {'$not': {'$gt': 1, '$lt': 5}}}", "{'a': 7}", true);
	M("{'a': {'$not': {'$regularExpression': {'pattern': '^x', 'options': ''}}}}", "{'a': 'xy'}", false);
	M("{'a': {'$not': {'$regularExpression': {'pattern': '^x', 'options': ''}}}}", "{'a': 'y'}", true);
	M("{'a': {'$not': {'$regex': '^x'}}}", "{'a': 'y'}", true);
	M("{'a': {'$not': {'$in': [1, 2]}}}", "{'a': 3}", true);
	M("{'a': {'$not': {'$not': {'$gt': 5}}}}", "{'a': 6}", true);
}

static void
test_logical_and_elem_match(void)
{
	M("{'$and': [{'a': 1}, {'b': 2}]}", "{'a': 1, 'b': 2}", true);
	M("{'$and': [{'a': 1}, {'b': 2}]}", "{'a': 1, 'b': 3}", false);
	M("{'$or': [{'a': 1}, {'b': 2}]}", "{'a': 0, 'b': 2}", true);
	M("{'$or': [{'a': 1}, {'b': 2}]}", "{'a': 0, 'b': 3}", false);
	M("{'$nor': [{'a': 1}, {'b': 2}]}", "{'a': 0, 'b': 3}", true);
	M("{'$nor': [{'a': 1}, {'b': 2}]}", "{'a': 1}", false);
	M("{'$nor': [{'a': 1}]}", "{}", true);
	M("{'$and': [{'$or': [{'a': 1}, {'a': 2}]}, {'$or': [{'b': 1}, {'b': 2}]}]}", "{'a': 2, 'b': 1}", true);
	M("{'$and': [{'$or': [{'a': 1}, {'a': 2}]}, {'$or': [{'b': 1}, {'b': 2}]}]}", "{'a': 2, 'b': 3}", false);
	M("{'a': 1, '$or': [{'b': 1}, {'c': 1}]}", "{'a': 1, 'c': 1}", true);

	/* $elemMatch, value form: one element satisfies all conditions */
	M("{'a': {'$elemMatch': {'$gt': 1, '$lt': 5}}}", "{'a': [0, 6, 3]}", true);
	M("{'a': {'$elemMatch': {'$gt': 1, '$lt': 5}}}", "{'a': [0, 6]}", false);
	M("{'a': {'$elemMatch': {'$gt': 1}}}", "{'a': 5}", false);
	M("{'a': {'$elemMatch': {'$eq': null}}}", "{'a': [1, null]}", true);
	M("{'a': {'$elemMatch': {'$eq': null}}}", "{'a': null}", false);
	M("{'a': {'$elemMatch': {'$ne': null}}}", "{'a': [[]]}", true);
	M("{'a': {'$elemMatch': {'$ne': null}}}", "{'a': [null]}", false);
	M("{'a': {'$elemMatch': {'$gt': 1}}}", "{'a': [[2]]}", false);	/* elements are not expanded */
	M("{'a': {'$elemMatch': {'$elemMatch': {'$gt': 5}}}}", "{'a': [[1], [6]]}", true);
	M("{'a': {'$elemMatch': {'$in': [3, 4], '$type': 'int'}}}", "{'a': [4.0, 3]}", true);
	M("{'a': {'$elemMatch': {'$not': {'$gt': 5}}}}", "{'a': [7, 8]}", false);
	M("{'a': {'$elemMatch': {'$not': {'$gt': 5}}}}", "{'a': [7, 2]}", true);
	M("{'a.b': {'$elemMatch': {'$gt': 1}}}", "{'a': [{'b': [0, 2]}]}", true);
	/* object form (MongoDB manual) */
	M("{'results': {'$elemMatch': {'product': 'xyz', 'score': {'$gte': 8}}}}",
	  "{'results': [{'product': 'abc', 'score': 10}, {'product': 'xyz', 'score': 5}]}", false);
	M("{'results': {'$elemMatch': {'product': 'xyz', 'score': {'$gte': 8}}}}",
	  "{'results': [{'product': 'abc', 'score': 10}, {'product': 'xyz', 'score': 8}]}", true);
	M("{'results.product': 'xyz', 'results.score': {'$gte': 8}}",
	  "{'results': [{'product': 'abc', 'score': 10}, {'product': 'xyz', 'score': 5}]}", true);
	M("{'a': {'$elemMatch': {'b': null}}}", "{'a': [[]]}", true);
	M("{'a': {'$elemMatch': {'b': null}}}", "{'a': [{'b': 1}]}", false);
	M("{'a': {'$elemMatch': {}}}", "{'a': [1]}", false);
	M("{'a': {'$elemMatch': {}}}", "{'a': [{}]}", true);
	M("{'a': {'$elemMatch': {'$or': [{'b': 1}, {'c': 1}]}}}", "{'a': [{'b': 2}, {'c': 1}]}", true);
	M("{'a': {'$elemMatch': {'$or': [{'b': 1}, {'c': 1}]}}}", "{'a': [{'b': 2}, {'c': 2}]}", false);
	M("{'a': {'$elemMatch': {'b.c': {'$elemMatch': {'$gt': 1}}}}}", "{'a': [{'b': {'c': [0, 3]}}]}", true);
	M("{'$or': [{'a': {'$elemMatch': {'x': 1}}}, {'b': 1}]}", "{'a': [{'x': 1}]}", true);
}

static void
test_expr(void)
{
	M("{'$expr': '$flag'}", "{'flag': true}", true);
	M("{'$expr': '$flag'}", "{'flag': 0}", false);
	M("{'$expr': '$flag'}", "{}", false);
	M("{'$expr': true}", "{}", true);
	M("{'$expr': {'$literal': false}}", "{}", false);
	M("{'$expr': {'$let': {'vars': {'x': '$a.b'}, 'in': '$$x'}}}", "{'a': {'b': 1}}", true);
	M("{'$expr': '$$ROOT.ok'}", "{'ok': 1}", true);
	M("{'a': 1, '$expr': '$ok'}", "{'a': 1, 'ok': true}", true);
	M("{'a': 1, '$expr': '$ok'}", "{'a': 2, 'ok': true}", false);
	M("{'$or': [{'$expr': '$ok'}, {'a': 1}]}", "{'a': 1, 'ok': false}", true);
	M("{'$expr': {'$gt': ['$spent', '$budget']}}", "{'spent': 450, 'budget': 400}", true);
	M("{'$expr': {'$gt': ['$spent', '$budget']}}", "{'spent': 150, 'budget': 400}", false);
	M("{'$nor': [{'$expr': {'$lt': ['$a', 0]}}]}", "{'a': 1}", true);

	/* a runtime error inside $expr makes asp_match_eval fail */
	{
		bson_t	   *q = from_json("{'x': 1, '$expr': {'$divide': [1, '$z']}}");
		bson_t	   *d = from_json("{'x': 1, 'z': 0}");
		bson_t	   *d2 = from_json("{'x': 2, 'z': 0}");
		asp_error	err;
		asp_match  *m = compile_bson(q, &err);
		asp_eval_ctx ctx;
		char		buf[256];
		int			r;

		r = m ? run(m, d, &err) : -2;
		ok(r == -1 && err.code == ASP_ERR_RUNTIME && err.message[0] != '\0',
		   "$expr runtime error is returned (%s)", err.message);
		r = m ? run(m, d2, &err) : -2;
		ok(r == 0, "$expr is not evaluated when an earlier clause fails");
		if (m)
		{
			asp_arena_reset(arena);
			asp_eval_ctx_init(&ctx, arena, &err);
			asp_match_explain_failure(m, bson_get_data(d), d->len, &ctx, buf, sizeof(buf));
			ok(strncmp(buf, "error evaluating $expr: ", 24) == 0, "explain reports the $expr error: %s", buf);
		}
		asp_match_free(m);
		bson_destroy(q);
		bson_destroy(d);
		bson_destroy(d2);
	}
	/* the caller's $$ROOT is put back after the match */
	{
		bson_t	   *q = from_json("{'$expr': '$ok'}");
		bson_t	   *d = from_json("{'ok': true}");
		asp_error	err;
		asp_match  *m = compile_bson(q, &err);
		asp_eval_ctx ctx;
		bool		matched = false;

		asp_arena_reset(arena);
		asp_eval_ctx_init(&ctx, arena, &err);
		asp_value_set_int32(&ctx.vars[ASP_VAR_ROOT], 7);
		ok(m && asp_match_eval(m, bson_get_data(d), d->len, &ctx, &matched) && matched &&
		   ctx.vars[ASP_VAR_ROOT].value_type == BSON_TYPE_INT32, "$$ROOT is the matched document, then restored");
		asp_match_free(m);
		bson_destroy(q);
		bson_destroy(d);
	}
}

static void
test_json_schema(void)
{
	/* bsonType / type */
	M("{'$jsonSchema': {'bsonType': 'object'}}", "{'a': 1}", true);
	M("{'$jsonSchema': {'bsonType': 'array'}}", "{'a': 1}", false);
	M("{'$jsonSchema': {'properties': {'a': {'bsonType': 'int'}}}}", "{'a': 1}", true);
	M("{'$jsonSchema': {'properties': {'a': {'bsonType': 'int'}}}}", "{'a': 1.0}", false);
	M("{'$jsonSchema': {'properties': {'a': {'bsonType': 'int'}}}}", "{}", true);
	M("{'$jsonSchema': {'properties': {'a': {'bsonType': 'int'}}}}", "{'a': [1]}", false);
	M("{'$jsonSchema': {'properties': {'a': {'bsonType': 'number'}}}}", "{'a': 1.5}", true);
	M("{'$jsonSchema': {'properties': {'a': {'bsonType': 'number'}}}}", "{'a': 'x'}", false);
	M("{'$jsonSchema': {'properties': {'a': {'bsonType': ['string', 'null']}}}}", "{'a': null}", true);
	M("{'$jsonSchema': {'properties': {'a': {'bsonType': ['string', 'null']}}}}", "{'a': 2}", false);
	M("{'$jsonSchema': {'properties': {'a': {'type': 'number'}}}}", "{'a': {'$numberLong': '2'}}", true);
	M("{'$jsonSchema': {'properties': {'a': {'type': 'number'}}}}", "{'a': '2'}", false);
	M("{'$jsonSchema': {'properties': {'a': {'type': 'string'}}}}", "{'a': 'x'}", true);
	M("{'$jsonSchema': {'properties': {'a': {'type': 'boolean'}}}}", "{'a': 1}", false);
	M("{'$jsonSchema': {'properties': {'a': {'type': 'object'}}}}", "{'a': {}}", true);
	M("{'$jsonSchema': {'properties': {'a': {'type': 'array'}}}}", "{'a': {}}", false);
	M("{'$jsonSchema': {'properties': {'a': {'type': ['null', 'boolean']}}}}", "{'a': true}", true);
	/* required, nested properties */
	M("{'$jsonSchema': {'required': ['name']}}", "{'name': null}", true);
	M("{'$jsonSchema': {'required': ['name']}}", "{'nam': 1}", false);
	M("{'$jsonSchema': {'properties': {'ad': {'bsonType': 'object', 'required': ['zip'], 'properties': {'zip': {'bsonType': 'string'}}}}}}",
	  "{'ad': {'zip': '1'}}", true);
	M("{'$jsonSchema': {'properties': {'ad': {'bsonType': 'object', 'required': ['zip'], 'properties': {'zip': {'bsonType': 'string'}}}}}}",
	  "{'ad': {'zip': 1}}", false);
	M("{'$jsonSchema': {'properties': {'ad': {'required': ['zip']}}}}", "{'ad': 'x'}", true);	/* required ignores non-objects */
	/* patternProperties, additionalProperties */
	M("{'$jsonSchema': {'patternProperties': {'^s_': {'bsonType': 'string'}}}}", "{'s_a': 'x', 'b': 1}", true);
	M("{'$jsonSchema': {'patternProperties': {'^s_': {'bsonType': 'string'}}}}", "{'s_a': 1}", false);
	M("{'$jsonSchema': {'properties': {'a': {}}, 'additionalProperties': false}}", "{'a': 1}", true);
	M("{'$jsonSchema': {'properties': {'a': {}}, 'additionalProperties': false}}", "{'a': 1, 'b': 2}", false);
	M("{'$jsonSchema': {'properties': {'a': {}}, 'patternProperties': {'^x': {}}, 'additionalProperties': false}}", "{'a': 1, 'xy': 2}", true);
	M("{'$jsonSchema': {'additionalProperties': {'bsonType': 'int'}}}", "{'a': 1}", true);
	M("{'$jsonSchema': {'additionalProperties': {'bsonType': 'int'}}}", "{'a': 'x'}", false);
	M("{'$jsonSchema': {'additionalProperties': true}}", "{'a': 'x'}", true);
	/* minProperties / maxProperties */
	M("{'$jsonSchema': {'minProperties': 2}}", "{'a': 1, 'b': 2}", true);
	M("{'$jsonSchema': {'minProperties': 2}}", "{'a': 1}", false);
	M("{'$jsonSchema': {'maxProperties': 1}}", "{'a': 1}", true);
	M("{'$jsonSchema': {'maxProperties': 1}}", "{'a': 1, 'b': 2}", false);
	/* enum */
	M("{'$jsonSchema': {'properties': {'a': {'enum': [1, 'x', {'b': 1, 'c': 2}]}}}}", "{'a': 1.0}", true);
	M("{'$jsonSchema': {'properties': {'a': {'enum': [1, 'x', {'b': 1, 'c': 2}]}}}}", "{'a': 'y'}", false);
	M("{'$jsonSchema': {'properties': {'a': {'enum': [1, 'x', {'b': 1, 'c': 2}]}}}}", "{'a': {'c': 2, 'b': 1}}", true);
	M("{'$jsonSchema': {'properties': {'a': {'enum': [[1, 2]]}}}}", "{'a': [2, 1]}", false);
	/* minimum / maximum / exclusive* / multipleOf */
	M("{'$jsonSchema': {'properties': {'a': {'minimum': 5}}}}", "{'a': 5}", true);
	M("{'$jsonSchema': {'properties': {'a': {'minimum': 5}}}}", "{'a': 4.9}", false);
	M("{'$jsonSchema': {'properties': {'a': {'minimum': 5}}}}", "{'a': 'x'}", true);
	M("{'$jsonSchema': {'properties': {'a': {'minimum': 5, 'exclusiveMinimum': true}}}}", "{'a': 5}", false);
	M("{'$jsonSchema': {'properties': {'a': {'minimum': 5, 'exclusiveMinimum': false}}}}", "{'a': 5}", true);
	M("{'$jsonSchema': {'properties': {'a': {'maximum': 10}}}}", "{'a': 10}", true);
	M("{'$jsonSchema': {'properties': {'a': {'maximum': 10}}}}", "{'a': {'$numberLong': '11'}}", false);
	M("{'$jsonSchema': {'properties': {'a': {'maximum': 10, 'exclusiveMaximum': true}}}}", "{'a': 10}", false);
	M("{'$jsonSchema': {'properties': {'a': {'maximum': 10}}}}", "{'a': {'$numberDouble': 'NaN'}}", false);
	M("{'$jsonSchema': {'properties': {'a': {'multipleOf': 3}}}}", "{'a': 9}", true);
	M("{'$jsonSchema': {'properties': {'a': {'multipleOf': 3}}}}", "{'a': 10}", false);
	M("{'$jsonSchema': {'properties': {'a': {'multipleOf': 0.5}}}}", "{'a': 1.5}", true);
	M("{'$jsonSchema': {'properties': {'a': {'multipleOf': 0.1}}}}", "{'a': 0.3}", true);
	M("{'$jsonSchema': {'properties': {'a': {'multipleOf': 0.1}}}}", "{'a': 0.35}", false);
	M("{'$jsonSchema': {'properties': {'a': {'multipleOf': {'$numberDecimal': '0.01'}}}}}", "{'a': {'$numberDecimal': '12.34'}}", true);
	M("{'$jsonSchema': {'properties': {'a': {'multipleOf': 2}}}}", "{'a': 'x'}", true);
	/* minLength / maxLength count code points; pattern */
	M("{'$jsonSchema': {'properties': {'a': {'maxLength': 5}}}}", "{'a': 'h\\u00e9llo'}", true);
	M("{'$jsonSchema': {'properties': {'a': {'maxLength': 4}}}}", "{'a': 'h\\u00e9llo'}", false);
	M("{'$jsonSchema': {'properties': {'a': {'minLength': 2}}}}", "{'a': 'x'}", false);
	M("{'$jsonSchema': {'properties': {'a': {'minLength': 2}}}}", "{'a': 5}", true);
	M("{'$jsonSchema': {'properties': {'a': {'pattern': '^a'}}}}", "{'a': 'ab'}", true);
	M("{'$jsonSchema': {'properties': {'a': {'pattern': '^a'}}}}", "{'a': 'b'}", false);
	M("{'$jsonSchema': {'properties': {'a': {'pattern': '^a'}}}}", "{'a': 5}", true);
	/* items, additionalItems, minItems, maxItems, uniqueItems */
	M("{'$jsonSchema': {'properties': {'a': {'items': {'bsonType': 'int'}}}}}", "{'a': [1, 2]}", true);
	M("{'$jsonSchema': {'properties': {'a': {'items': {'bsonType': 'int'}}}}}", "{'a': [1, 'x']}", false);
	M("{'$jsonSchema': {'properties': {'a': {'items': [{'bsonType': 'int'}, {'bsonType': 'string'}], 'additionalItems': false}}}}", "{'a': [1, 'x']}", true);
	M("{'$jsonSchema': {'properties': {'a': {'items': [{'bsonType': 'int'}, {'bsonType': 'string'}], 'additionalItems': false}}}}", "{'a': [1, 'x', 3]}", false);
	M("{'$jsonSchema': {'properties': {'a': {'items': [{'bsonType': 'int'}, {'bsonType': 'string'}], 'additionalItems': false}}}}", "{'a': ['x']}", false);
	M("{'$jsonSchema': {'properties': {'a': {'items': [{'bsonType': 'int'}], 'additionalItems': {'bsonType': 'string'}}}}}", "{'a': [1, 'x', 'y']}", true);
	M("{'$jsonSchema': {'properties': {'a': {'items': [{'bsonType': 'int'}], 'additionalItems': {'bsonType': 'string'}}}}}", "{'a': [1, 'x', 2]}", false);
	M("{'$jsonSchema': {'properties': {'a': {'minItems': 2}}}}", "{'a': [1]}", false);
	M("{'$jsonSchema': {'properties': {'a': {'minItems': 2}}}}", "{'a': [1, 2]}", true);
	M("{'$jsonSchema': {'properties': {'a': {'maxItems': 1}}}}", "{'a': [1, 2]}", false);
	M("{'$jsonSchema': {'properties': {'a': {'uniqueItems': true}}}}", "{'a': [1, 2]}", true);
	M("{'$jsonSchema': {'properties': {'a': {'uniqueItems': true}}}}", "{'a': [1, 1.0]}", false);
	M("{'$jsonSchema': {'properties': {'a': {'uniqueItems': true}}}}", "{'a': [{'x': 1, 'y': 2}, {'y': 2, 'x': 1}]}", false);
	M("{'$jsonSchema': {'properties': {'a': {'uniqueItems': false}}}}", "{'a': [1, 1]}", true);
	/* allOf, anyOf, oneOf, not */
	M("{'$jsonSchema': {'properties': {'a': {'allOf': [{'minimum': 1}, {'maximum': 3}]}}}}", "{'a': 2}", true);
	M("{'$jsonSchema': {'properties': {'a': {'allOf': [{'minimum': 1}, {'maximum': 3}]}}}}", "{'a': 4}", false);
	M("{'$jsonSchema': {'properties': {'a': {'anyOf': [{'bsonType': 'string'}, {'minimum': 3}]}}}}", "{'a': 4}", true);
	M("{'$jsonSchema': {'properties': {'a': {'anyOf': [{'bsonType': 'string'}, {'minimum': 3}]}}}}", "{'a': 2}", false);
	M("{'$jsonSchema': {'properties': {'a': {'oneOf': [{'minimum': 1}, {'maximum': 3}]}}}}", "{'a': 5}", true);
	M("{'$jsonSchema': {'properties': {'a': {'oneOf': [{'minimum': 1}, {'maximum': 3}]}}}}", "{'a': 2}", false);
	M("{'$jsonSchema': {'properties': {'a': {'not': {'bsonType': 'string'}}}}}", "{'a': 2}", true);
	M("{'$jsonSchema': {'properties': {'a': {'not': {'bsonType': 'string'}}}}}", "{'a': 'x'}", false);
	/* dependencies */
	M("{'$jsonSchema': {'dependencies': {'a': ['b']}}}", "{'a': 1, 'b': 1}", true);
	M("{'$jsonSchema': {'dependencies': {'a': ['b']}}}", "{'a': 1}", false);
	M("{'$jsonSchema': {'dependencies': {'a': ['b']}}}", "{'c': 1}", true);
	M("{'$jsonSchema': {'dependencies': {'a': {'required': ['c']}}}}", "{'a': 1, 'c': 1}", true);
	M("{'$jsonSchema': {'dependencies': {'a': {'required': ['c']}}}}", "{'a': 1}", false);
	/* annotations, combination with other operators */
	M("{'$jsonSchema': {'title': 't', 'description': 'd', 'required': ['a']}}", "{'a': 1}", true);
	M("{'$jsonSchema': {'required': ['a']}, 'a': {'$gt': 1}}", "{'a': 2}", true);
	M("{'$jsonSchema': {'required': ['a']}, 'a': {'$gt': 1}}", "{'a': 1}", false);
	M("{'$or': [{'$jsonSchema': {'required': ['a']}}, {'b': 1}]}", "{'b': 1}", true);
	M("{'a': {'$elemMatch': {'$jsonSchema': {'required': ['x']}}}}", "{'a': [{'y': 1}, {'x': 1}]}", true);
}

static void
test_validators(void)
{
	const char *v1 = "{'$and': [{'name': {'$exists': true, '$type': 'string'}}, "
	"{'age': {'$exists': true, '$type': 'int', '$gte': 18}}, "
	"{'email': {'$exists': true, '$regex': '^.+@.+\\\\..+$'}}]}";
	const char *v2 = "{'$and': [{'productId': {'$exists': true, '$type': 'string'}}, "
	"{'quantity': {'$exists': true, '$type': 'int', '$gte': 1}}, "
	"{'price': {'$exists': true, '$type': 'double', '$gte': 0}}]}";
	bson_t	   *q = from_json(v1);
	bson_iter_t it,
				arr,
				clause,
				ops;
	bool		is_string = false;

	/* libbson keeps {"$exists": .., "$regex": "<string>"}: check we test the string form */
	if (bson_iter_init_find(&it, q, "$and") && bson_iter_recurse(&it, &arr) &&
		bson_iter_find(&arr, "2") && bson_iter_recurse(&arr, &clause) &&
		bson_iter_find(&clause, "email") && bson_iter_recurse(&clause, &ops) &&
		bson_iter_find(&ops, "$regex"))
		is_string = BSON_ITER_HOLDS_UTF8(&ops);
	ok(is_string, "validator 1 has a string-valued $regex");
	bson_destroy(q);

	M(v1, "{'name': 'Ann', 'age': 30, 'email': 'ann@example.com'}", true);
	M(v1, "{'name': 'Ann', 'age': 17, 'email': 'ann@example.com'}", false);
	M(v1, "{'name': 'Ann', 'age': 30.0, 'email': 'ann@example.com'}", false);
	M(v1, "{'name': 'Ann', 'age': 30, 'email': 'ann@example'}", false);
	M(v1, "{'age': 30, 'email': 'ann@example.com'}", false);
	M(v1, "{'name': 5, 'age': 30, 'email': 'ann@example.com'}", false);
	M(v1, "{'name': 'Ann', 'age': {'$numberLong': '30'}, 'email': 'a@b.c'}", false);
	X(v1, "{'name': 'Ann', 'age': 17, 'email': 'ann@example.com'}",
	  "field 'age' does not match {$gte: 18}: found 17 (int)");
	X(v1, "{'name': 'Ann', 'age': 30.5, 'email': 'ann@example.com'}",
	  "field 'age' does not match {$type: \"int\"}: found 30.5 (double)");
	X(v1, "{'age': 30, 'email': 'ann@example.com'}",
	  "field 'name' does not match {$exists: true}: field is missing");
	X(v1, "{'name': 'Ann', 'age': 30, 'email': 'nope'}",
	  "field 'email' does not match {$regex: ");

	M(v2, "{'productId': 'p1', 'quantity': 2, 'price': 9.99}", true);
	M(v2, "{'productId': 'p1', 'quantity': 2, 'price': 10.0}", true);
	M(v2, "{'productId': 'p1', 'quantity': 2, 'price': 10}", false);
	M(v2, "{'productId': 'p1', 'quantity': 0, 'price': 9.99}", false);
	M(v2, "{'productId': 'p1', 'quantity': 2, 'price': -1.5}", false);
	M(v2, "{'productId': 1, 'quantity': 2, 'price': 9.99}", false);
	M(v2, "{'quantity': 2, 'price': 9.99}", false);
	X(v2, "{'productId': 'p1', 'quantity': 2, 'price': 10}",
	  "field 'price' does not match {$type: \"double\"}: found 10 (int)");
	X(v2, "{'productId': 'p1', 'quantity': 0, 'price': 1.5}",
	  "field 'quantity' does not match {$gte: 1}: found 0 (int)");
}

static void
test_explain(void)
{
	X("{'a': {'$ne': 5}}", "{'a': 5}", "field 'a' does not match {$ne: 5}: found 5 (int)");
	X("{'a.b': 1}", "{'a': {'c': 1}}", "field 'a.b' does not match {$eq: 1}: field is missing");
	X("{'a.b': 1}", "{'a': [{'b': 2}]}", "field 'a.b' does not match {$eq: 1}: found array");
	X("{'a': {'$exists': false}}", "{'a': 1}", "field 'a' does not match {$exists: false}");
	X("{'tags': {'$all': ['x', 'y']}}", "{'tags': ['x']}", "field 'tags' does not match {$all: [");
	X("{'tags': {'$size': 2}}", "{'tags': ['x']}", "field 'tags' does not match {$size: 2}");
	X("{'$or': [{'a': 1}, {'b': 1}]}", "{}", "document does not match any clause of $or (first clause: field 'a'");
	X("{'$nor': [{'a': 1}, {'b': 1}]}", "{'b': 1}", "document matches the $nor clause at index 1");
	X("{'$expr': '$ok'}", "{'ok': false}", "document does not match $expr");
	X("{'$jsonSchema': {'required': ['name']}}", "{}", "document failed $jsonSchema: property 'name' is required");
	X("{'$jsonSchema': {'properties': {'ad': {'required': ['zip']}}}}", "{'ad': {}}",
	  "document failed $jsonSchema: property 'ad.zip' is required");
	X("{'$jsonSchema': {'properties': {'age': {'bsonType': 'int', 'minimum': 18}}}}", "{'age': 3}",
	  "property 'age' must be >= 18 (found 3)");
	X("{'$jsonSchema': {'properties': {'age': {'bsonType': 'int'}}}}", "{'age': 'x'}",
	  "property 'age' must be of bsonType \"int\" (found string)");
	X("{'$jsonSchema': {'properties': {'t': {'items': {'bsonType': 'string'}}}}}", "{'t': ['a', 1]}",
	  "property 't.1' must be of bsonType");
	X("{'$jsonSchema': {'additionalProperties': false, 'properties': {'a': {}}}}", "{'a': 1, 'b': 2}",
	  "property 'b' is not allowed by additionalProperties: false");
	X("{'a': 1, 'b': {'$gt': 5}}", "{'a': 1, 'b': 2}", "field 'b' does not match {$gt: 5}: found 2 (int)");
	X("{'a': {'$elemMatch': {'$gt': 5}}}", "{'a': [1]}", "field 'a' does not match {$elemMatch: {");
	X("{'$alwaysFalse': 1}", "{}", "$alwaysFalse never matches");

	/* tiny buffers are safe */
	{
		bson_t	   *q = from_json("{'a': 1}");
		bson_t	   *d = from_json("{'a': 2}");
		asp_error	err;
		asp_match  *m = compile_bson(q, &err);
		char		small[8];

		asp_match_explain_failure(m, bson_get_data(d), d->len, NULL, small, sizeof(small));
		ok(strlen(small) == 7 && strncmp(small, "field '", 7) == 0, "explain into an 8-byte buffer truncates");
		asp_match_explain_failure(m, bson_get_data(d), d->len, NULL, small, 0);
		ok(1, "explain into a 0-byte buffer does nothing");
		asp_match_free(m);
		bson_destroy(q);
		bson_destroy(d);
	}
}

static void
test_compile_errors(void)
{
	bson_t	   *q;
	bson_t		sub;
	int			i;

	E("{'a': {'$foo': 1}}", ASP_ERR_INVALID, "unknown operator: $foo in field 'a'", "a");
	E("{'a.b': {'$gt': 1, '$foo': 1}}", ASP_ERR_INVALID, "unknown operator: $foo in field 'a.b'", "a.b");
	E("{'$foo': 1}", ASP_ERR_INVALID, "unknown top level operator: $foo", "$foo");
	E("{'a': {'$gt': 1, 'b': 2}}", ASP_ERR_INVALID, "unknown operator: b in field 'a'", "a");
	E("{'$where': 'this.a > 1'}", ASP_ERR_UNSUPPORTED,
	  "$where is not supported: JavaScript is not available in stream processing", NULL);
	E("{'a': {'$where': 'x'}}", ASP_ERR_UNSUPPORTED, "$where is not supported", "a");
	E("{'$text': {'$search': 'x'}}", ASP_ERR_UNSUPPORTED, "$text is not supported in stream processing", NULL);
	E("{'loc': {'$near': [0, 0]}}", ASP_ERR_UNSUPPORTED, "geospatial query operator $near is not supported", "loc");
	E("{'loc': {'$geoWithin': {'$center': [[0, 0], 1]}}}", ASP_ERR_UNSUPPORTED, "$geoWithin is not supported", "loc");
	E("{'a': {'$in': 5}}", ASP_ERR_INVALID, "$in needs an array in field 'a'", "a");
	E("{'a': {'$nin': 'x'}}", ASP_ERR_INVALID, "$nin needs an array", "a");
	E("{'a': {'$in': [{'$gt': 1}]}}", ASP_ERR_INVALID, "cannot nest $ under $in", "a");
	E("{'a': {'$in': [{'$undefined': true}]}}", ASP_ERR_INVALID, "$in cannot contain undefined", "a");
	E("{'a': {'$all': 5}}", ASP_ERR_INVALID, "$all needs an array", "a");
	E("{'a': {'$all': [{'$elemMatch': {'b': 1}}, 5]}}", ASP_ERR_INVALID, "$all/$elemMatch has to be consistent", "a");
	E("{'a': {'$all': [{'$gt': 5}]}}", ASP_ERR_INVALID, "no $ expressions in $all", "a");
	E("{'a': {'$size': -1}}", ASP_ERR_INVALID, "$size may not be negative", "a");
	E("{'a': {'$size': 2.5}}", ASP_ERR_INVALID, "$size must be a whole number", "a");
	E("{'a': {'$size': '2'}}", ASP_ERR_INVALID, "$size needs a number", "a");
	E("{'a': {'$mod': 5}}", ASP_ERR_INVALID, "malformed $mod, needs to be an array", "a");
	E("{'a': {'$mod': [0, 1]}}", ASP_ERR_INVALID, "$mod divisor cannot be 0", "a");
	E("{'a': {'$mod': [0.5, 1]}}", ASP_ERR_INVALID, "$mod divisor cannot be 0", "a");
	E("{'a': {'$mod': [1]}}", ASP_ERR_INVALID, "malformed $mod, not enough elements", "a");
	E("{'a': {'$mod': [1, 2, 3]}}", ASP_ERR_INVALID, "malformed $mod, too many elements", "a");
	E("{'a': {'$mod': ['x', 1]}}", ASP_ERR_INVALID, "malformed $mod, divisor not a number", "a");
	E("{'a': {'$mod': [2, 'x']}}", ASP_ERR_INVALID, "malformed $mod, remainder not a number", "a");
	E("{'a': {'$mod': [{'$numberDouble': 'NaN'}, 1]}}", ASP_ERR_INVALID, "malformed $mod, divisor value is invalid", "a");
	E("{'a': {'$type': 'foo'}}", ASP_ERR_INVALID, "unknown type name alias for $type: foo", "a");
	E("{'a': {'$type': 'missing'}}", ASP_ERR_INVALID, "unknown type name alias for $type: missing", "a");
	E("{'a': {'$type': 100}}", ASP_ERR_INVALID, "invalid numerical type code for $type: 100", "a");
	E("{'a': {'$type': 2.5}}", ASP_ERR_INVALID, "invalid numerical type code for $type", "a");
	E("{'a': {'$type': []}}", ASP_ERR_INVALID, "$type array must contain at least one type", "a");
	E("{'a': {'$type': true}}", ASP_ERR_INVALID, "$type must be a type name", "a");
	E("{'a': {'$regularExpression': {'pattern': '(', 'options': ''}}}", ASP_ERR_INVALID, "invalid regular expression", "a");
	E("{'a': {'$regularExpression': {'pattern': 'x', 'options': 'l'}}}", ASP_ERR_INVALID, "invalid flag in regex options: l", "a");
	E("{'a': {'$not': 5}}", ASP_ERR_INVALID, "$not needs a regex or a document", "a");
	E("{'a': {'$not': {}}}", ASP_ERR_INVALID, "$not cannot be empty", "a");
	E("{'a': {'$not': {'b': 1}}}", ASP_ERR_INVALID, "unknown operator: b in field 'a'", "a");
	E("{'a': {'$elemMatch': 5}}", ASP_ERR_INVALID, "$elemMatch needs an object", "a");
	E("{'a': {'$elemMatch': {'$expr': '$x'}}}", ASP_ERR_INVALID, "$expr can only be applied to the top-level document", "a");
	E("{'a': {'$elemMatch': {'$gt': 1, '$foo': 2}}}", ASP_ERR_INVALID, "unknown operator: $foo", "a");
	E("{'$and': []}", ASP_ERR_INVALID, "$and must be a non-empty array", "$and");
	E("{'$or': 5}", ASP_ERR_INVALID, "$or must be a non-empty array", "$or");
	E("{'$nor': [5]}", ASP_ERR_INVALID, "$nor entries need to be full objects", "$nor");
	E("{'$or': [{'a': {'$bad': 1}}]}", ASP_ERR_INVALID, "unknown operator: $bad in field 'a'", "a");
	E("{'a': {'$gt': {'$regularExpression': {'pattern': 'x', 'options': ''}}}}", ASP_ERR_INVALID,
	  "can't have a regex as the argument of $gt in field 'a'", "a");
	E("{'a': {'$ne': {'$regularExpression': {'pattern': 'x', 'options': ''}}}}", ASP_ERR_INVALID,
	  "can't have a regex as the argument of $ne", "a");
	E("{'a': {'$eq': {'$undefined': true}}}", ASP_ERR_INVALID, "$eq cannot compare to undefined in field 'a'", "a");
	E("{'a': {'$undefined': true}}", ASP_ERR_INVALID, "cannot compare to undefined", "a");
	E("{'a..b': 1}", ASP_ERR_INVALID, "must not contain an empty field name", "a..b");
	E("{'a.$b': 1}", ASP_ERR_INVALID, "field names may not start with '$'", "a.$b");
	E("{'$expr': {'$noSuchOperator': 1}}", ASP_ERR_INVALID, "$noSuchOperator", "$expr");
	E("{'$jsonSchema': 5}", ASP_ERR_INVALID, "$jsonSchema must be an object", "$jsonSchema");
	E("{'$alwaysTrue': 2}", ASP_ERR_INVALID, "$alwaysTrue must be an integer value of 1", "$alwaysTrue");
	E("{'a': {'$bitsAllSet': -1}}", ASP_ERR_INVALID, "$bitsAllSet bitmask must be a non-negative integer", "a");
	E("{'a': {'$bitsAnySet': [-1]}}", ASP_ERR_INVALID, "bit positions must be non-negative integers", "a");
	E("{'a': {'$bitsAnyClear': 'x'}}", ASP_ERR_INVALID, "$bitsAnyClear takes a bitmask", "a");

	/* string-valued $regex / $options built by hand */
	q = make_str_regex("a", "x", "z", false);
	E_b(q, ASP_ERR_INVALID, "invalid flag in regex options: z", "a", "{a: {$regex: 'x', $options: 'z'}}");
	bson_destroy(q);
	q = make_str_regex("a", "[", NULL, false);
	E_b(q, ASP_ERR_INVALID, "invalid regular expression: missing terminating ]", "a", "{a: {$regex: '['}}");
	bson_destroy(q);
	q = bson_new();
	bson_append_document_begin(q, "a", -1, &sub);
	bson_append_utf8(&sub, "$options", -1, "i", -1);
	bson_append_document_end(q, &sub);
	E_b(q, ASP_ERR_INVALID, "$options needs a $regex", "a", "{a: {$options: 'i'}}");
	bson_destroy(q);
	q = bson_new();
	bson_append_document_begin(q, "a", -1, &sub);
	bson_append_int32(&sub, "$regex", -1, 5);
	bson_append_document_end(q, &sub);
	E_b(q, ASP_ERR_INVALID, "$regex has to be a string", "a", "{a: {$regex: 5}}");
	bson_destroy(q);
	q = bson_new();
	bson_append_document_begin(q, "a", -1, &sub);
	bson_append_utf8(&sub, "$regex", -1, "x", -1);
	bson_append_int32(&sub, "$options", -1, 1);
	bson_append_document_end(q, &sub);
	E_b(q, ASP_ERR_INVALID, "$options has to be a string", "a", "{a: {$regex: 'x', $options: 1}}");
	bson_destroy(q);
	q = bson_new();
	bson_append_document_begin(q, "a", -1, &sub);
	bson_append_regex(&sub, "$regex", -1, "x", "i");
	bson_append_utf8(&sub, "$options", -1, "m", -1);
	bson_append_document_end(q, &sub);
	E_b(q, ASP_ERR_INVALID, "options set in both $regex and $options", "a", "{a: {$regex: /x/i, $options: 'm'}}");
	bson_destroy(q);
	q = bson_new();
	bson_append_document_begin(q, "a", -1, &sub);
	bson_append_utf8(&sub, "$regex", -1, "a\0b", 3);
	bson_append_document_end(q, &sub);
	E_b(q, ASP_ERR_INVALID, "regular expression cannot contain an embedded null byte", "a", "{a: {$regex: 'a\\0b'}}");
	bson_destroy(q);

	/* nesting limit: {$and: [{$and: [... {a: 1} ...]}]}, 120 levels */
	q = from_json("{'a': 1}");
	for (i = 0; i < 120; i++)
	{
		bson_t	   *outer = bson_new();
		bson_t		arr;

		bson_append_array_begin(outer, "$and", -1, &arr);
		bson_append_document(&arr, "0", -1, q);
		bson_append_array_end(outer, &arr);
		bson_destroy(q);
		q = outer;
	}
	E_b(q, ASP_ERR_LIMIT, "query is nested too deeply", NULL, "120 nested $and");
	bson_destroy(q);

	/* $jsonSchema keyword errors */
	E("{'$jsonSchema': {'foo': 1}}", ASP_ERR_INVALID, "unknown $jsonSchema keyword: foo", "$jsonSchema.foo");
	E("{'$jsonSchema': {'properties': {'a': {'type': 'integer'}}}}", ASP_ERR_INVALID,
	  "$jsonSchema type 'integer' is not currently supported", "$jsonSchema.properties.a.type");
	E("{'$jsonSchema': {'type': 'thing'}}", ASP_ERR_INVALID, "unknown $jsonSchema type: thing", "$jsonSchema.type");
	E("{'$jsonSchema': {'bsonType': 'thing'}}", ASP_ERR_INVALID, "unknown type name alias in $jsonSchema keyword 'bsonType': thing", NULL);
	E("{'$jsonSchema': {'type': []}}", ASP_ERR_INVALID, "must name at least one type", NULL);
	E("{'$jsonSchema': {'type': ['string', 'string']}}", ASP_ERR_INVALID, "must not contain duplicate values", NULL);
	E("{'$jsonSchema': {'type': 5}}", ASP_ERR_INVALID, "must be either a string or an array of strings", NULL);
	E("{'$jsonSchema': {'type': 'object', 'bsonType': 'object'}}", ASP_ERR_INVALID,
	  "cannot specify both $jsonSchema keywords 'type' and 'bsonType'", NULL);
	E("{'$jsonSchema': {'required': []}}", ASP_ERR_INVALID, "'required' cannot be an empty array", NULL);
	E("{'$jsonSchema': {'required': 'a'}}", ASP_ERR_INVALID, "'required' must be an array of strings", NULL);
	E("{'$jsonSchema': {'required': ['a', 'a']}}", ASP_ERR_INVALID, "must not contain duplicate values", NULL);
	E("{'$jsonSchema': {'properties': {'a': {'minimum': 'x'}}}}", ASP_ERR_INVALID,
	  "$jsonSchema keyword 'minimum' must be a number", "$jsonSchema.properties.a.minimum");
	E("{'$jsonSchema': {'maxLength': -1}}", ASP_ERR_INVALID, "'maxLength' must be a non-negative integer", NULL);
	E("{'$jsonSchema': {'minItems': 1.5}}", ASP_ERR_INVALID, "'minItems' must be a non-negative integer", NULL);
	E("{'$jsonSchema': {'exclusiveMaximum': true}}", ASP_ERR_INVALID, "'maximum' must be present if exclusiveMaximum is present", NULL);
	E("{'$jsonSchema': {'exclusiveMinimum': 1}}", ASP_ERR_INVALID, "'exclusiveMinimum' must be a boolean", NULL);
	E("{'$jsonSchema': {'format': 'email'}}", ASP_ERR_INVALID, "$jsonSchema keyword 'format' is not currently supported", NULL);
	E("{'$jsonSchema': {'$ref': '#/x'}}", ASP_ERR_INVALID, "'$ref' is not currently supported", NULL);
	E("{'$jsonSchema': {'encrypt': {}}}", ASP_ERR_UNSUPPORTED, "'encrypt' is not supported in stream processing", NULL);
	E("{'$jsonSchema': {'enum': []}}", ASP_ERR_INVALID, "'enum' cannot be an empty array", NULL);
	E("{'$jsonSchema': {'enum': [1, 1.0]}}", ASP_ERR_INVALID, "'enum' array must not contain duplicate values", NULL);
	E("{'$jsonSchema': {'properties': {'a': 5}}}", ASP_ERR_INVALID, "nested schema for $jsonSchema property 'a' must be an object", NULL);
	E("{'$jsonSchema': {'properties': 5}}", ASP_ERR_INVALID, "'properties' must be an object", NULL);
	E("{'$jsonSchema': {'items': 5}}", ASP_ERR_INVALID, "'items' must be an array or an object", NULL);
	E("{'$jsonSchema': {'additionalProperties': 5}}", ASP_ERR_INVALID, "'additionalProperties' must be either an object or a boolean", NULL);
	E("{'$jsonSchema': {'pattern': '('}}", ASP_ERR_INVALID, "invalid regular expression", "$jsonSchema.pattern");
	E("{'$jsonSchema': {'patternProperties': {'(': {}}}}", ASP_ERR_INVALID, "invalid regular expression", NULL);
	E("{'$jsonSchema': {'multipleOf': 0}}", ASP_ERR_INVALID, "'multipleOf' must have a positive value", NULL);
	E("{'$jsonSchema': {'multipleOf': -2}}", ASP_ERR_INVALID, "'multipleOf' must have a positive value", NULL);
	E("{'$jsonSchema': {'allOf': []}}", ASP_ERR_INVALID, "'allOf' must be a non-empty array", NULL);
	E("{'$jsonSchema': {'anyOf': [5]}}", ASP_ERR_INVALID, "'anyOf' must be an array of objects", "$jsonSchema.anyOf.0");
	E("{'$jsonSchema': {'not': []}}", ASP_ERR_INVALID, "'not' must be an object", NULL);
	E("{'$jsonSchema': {'dependencies': {'a': 5}}}", ASP_ERR_INVALID, "must be an object or an array of strings", NULL);
	E("{'$jsonSchema': {'uniqueItems': 1}}", ASP_ERR_INVALID, "'uniqueItems' must be a boolean", NULL);
	E("{'$jsonSchema': {'title': 1}}", ASP_ERR_INVALID, "'title' must be a string", NULL);
	E("{'$jsonSchema': {'description': []}}", ASP_ERR_INVALID, "'description' must be a string", NULL);
	E("{'$jsonSchema': {'dependencies': 5}}", ASP_ERR_INVALID, "'dependencies' must be an object", NULL);
	E("{'$jsonSchema': {'oneOf': {}}}", ASP_ERR_INVALID, "'oneOf' must be an array", NULL);
	E("{'$jsonSchema': {'patternProperties': []}}", ASP_ERR_INVALID, "'patternProperties' must be an object", NULL);
	E("{'$jsonSchema': {'exclusiveMinimum': false}}", ASP_ERR_INVALID, "'minimum' must be present if exclusiveMinimum is present", NULL);
	E("{'$jsonSchema': {'multipleOf': {'$numberDouble': 'Infinity'}}}", ASP_ERR_INVALID, "'multipleOf' must be finite", NULL);
	E("{'$jsonSchema': {'additionalItems': 'x'}}", ASP_ERR_INVALID, "'additionalItems' must be either an object or a boolean", NULL);
	E("{'$jsonSchema': {'pattern': 5}}", ASP_ERR_INVALID, "'pattern' must be a string", NULL);
	E("{'$jsonSchema': {'enum': 5}}", ASP_ERR_INVALID, "'enum' must be an array", NULL);
	E("{'$jsonSchema': {'bsonType': [5]}}", ASP_ERR_INVALID, "'bsonType' array elements must be strings", NULL);
	E("{'$jsonSchema': {'required': ['a', 5]}}", ASP_ERR_INVALID, "'required' must be an array of strings", NULL);
	E("{'$jsonSchema': {'items': [{}, 5]}}", ASP_ERR_INVALID, "'items' must be an array of objects", "$jsonSchema.items.1");
	E("{'$jsonSchema': {'properties': {'a': {'properties': {'b': {'bsonType': 'x'}}}}}}", ASP_ERR_INVALID,
	  "unknown type name alias", "$jsonSchema.properties.a.properties.b.bsonType");
	E("{'$sampleRate': 0.5}", ASP_ERR_UNSUPPORTED, "$sampleRate is not supported in stream processing", "$sampleRate");
	E("{'$alwaysFalse': 'x'}", ASP_ERR_INVALID, "$alwaysFalse must be an integer value of 1", "$alwaysFalse");
}

static void
test_regex_module(void)
{
	asp_error	err;
	asp_regex  *re;
	size_t		ms,
				me;
	long		caps[6];
	int			n;

	asp_error_init(&err);
	re = asp_regex_compile("(\\d+)-(x)?(\\d+)", 15, "", &err);
	ok(re != NULL && asp_regex_ngroups(re) == 3, "regex with 3 groups compiles");
	n = asp_regex_find(re, "ab 12-34 56-x7", 14, 0, &ms, &me, caps, 3);
	ok(n == 3 && ms == 3 && me == 8 && caps[0] == 3 && caps[1] == 5 && caps[2] == -1 &&
	   caps[3] == -1 && caps[4] == 6 && caps[5] == 8, "asp_regex_find: offsets and an unset group");
	n = asp_regex_find(re, "ab 12-34 56-x7", 14, 4, &ms, &me, caps, 3);
	ok(n == 3 && ms == 4 && me == 8, "asp_regex_find from an offset");
	n = asp_regex_find(re, "ab 12-34 56-x7", 14, 9, &ms, &me, caps, 1);
	ok(n == 3 && ms == 9 && me == 14 && caps[0] == 9 && caps[1] == 11, "asp_regex_find with fewer caps than groups");
	ok(asp_regex_find(re, "none", 4, 0, &ms, &me, caps, 3) == -1, "asp_regex_find: no match is -1");
	ok(asp_regex_find(re, "1-2", 3, 4, &ms, &me, caps, 3) == -1, "asp_regex_find: start past the end is -1");
	ok(asp_regex_match(re, "x 1-2", 5) && !asp_regex_match(re, "x 1-", 4), "asp_regex_match");
	asp_regex_free(re);
	re = asp_regex_compile("^caf\xc3\xa9$", 7, "iu", &err);
	ok(re != NULL && asp_regex_match(re, "CAF\xc3\x89", 5), "caseless UTF-8 match");
	asp_regex_free(re);
	re = asp_regex_compile("x", 1, "ig", &err);
	ok(re == NULL && err.code == ASP_ERR_INVALID && strstr(err.message, "invalid flag in regex options: g"),
	   "unknown option letter rejected");
	re = asp_regex_compile("a(", 2, NULL, &err);
	ok(re == NULL && strstr(err.message, "invalid regular expression") && strstr(err.detail, "offset"),
	   "pattern error has PCRE2 message and offset");
	re = asp_regex_compile("\xff", 1, NULL, &err);
	ok(re == NULL && err.code == ASP_ERR_INVALID, "invalid UTF-8 pattern rejected");
	ok(asp_regex_options_valid("imsxu", &err) && asp_regex_options_valid(NULL, &err) &&
	   !asp_regex_options_valid("l", &err), "asp_regex_options_valid");
	asp_regex_free(NULL);
}

int
main(void)
{
	arena = asp_arena_new(4096);
	test_equality_and_paths();
	test_null_and_exists();
	test_comparison();
	test_in_all_size_mod_type();
	test_regex_and_not();
	test_logical_and_elem_match();
	test_expr();
	test_json_schema();
	test_validators();
	test_explain();
	test_compile_errors();
	test_regex_module();
	asp_arena_free(arena);
	asp_regex_release_thread_cache();
	return tap_done();
}
