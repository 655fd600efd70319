/*-------------------------------------------------------------------------
 *
 * test_sort.c
 *	  TAP tests of compiled sort specifications (sort.c): compile errors,
 *	  MongoDB's sort-key derivation (missing, arrays, nested arrays,
 *	  positional paths, parallel arrays) and comparison order.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bson/bson.h>

#include "../../src/engine/sort.h"
#include "../../src/engine/value.h"
#include "tap.h"

/* json_doc: parse extended JSON or die */
static bson_t *
json_doc(const char *json)
{
	bson_error_t berr;
	bson_t	   *b = bson_new_from_json((const uint8_t *) json, -1, &berr);

	if (b == NULL)
	{
		fprintf(stderr, "test bug: bad JSON %s: %s\n", json, berr.message);
		exit(2);
	}
	return b;
}

/* compile_spec: compile a sort spec given as JSON */
static asp_sort_spec *
compile_spec(const char *json, asp_error *err)
{
	bson_t	   *b = json_doc(json);
	asp_sort_spec *s;

	asp_error_init(err);
	s = asp_sort_compile(bson_get_data(b), b->len, err);
	bson_destroy(b);
	return s;
}

/* expect_compile_error: the spec is rejected with code and a message containing frag */
static void
expect_compile_error(const char *json, asp_error_code code, const char *frag)
{
	asp_error	err;
	asp_sort_spec *s = compile_spec(json, &err);

	if (!ok(s == NULL && err.code == code && strstr(err.message, frag) != NULL,
			"sort spec %s rejected with '%s'", json, frag))
		diag("got %s (code %d, message '%s')", s ? "a spec" : "an error", err.code, err.message);
	asp_sort_free(s);
}

/* cmp_docs: asp_sort_compare of two JSON documents under spec, normalised to -1/0/1 */
static int
cmp_docs(const char *spec_json, const char *a_json, const char *b_json)
{
	asp_error	err;
	asp_sort_spec *s = compile_spec(spec_json, &err);
	bson_t	   *a = json_doc(a_json);
	bson_t	   *b = json_doc(b_json);
	int			c;

	if (s == NULL)
	{
		diag("spec %s failed: %s", spec_json, err.message);
		exit(2);
	}
	c = asp_sort_compare(s, bson_get_data(a), a->len, bson_get_data(b), b->len, NULL);
	asp_sort_free(s);
	bson_destroy(a);
	bson_destroy(b);
	return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

/* expect_order: asp_sort_compare of a and b under spec is want */
static void
expect_order(const char *spec, const char *a, const char *b, int want)
{
	int			got = cmp_docs(spec, a, b);

	if (!ok(got == want, "sort %s: %s %s %s", spec, a,
			want < 0 ? "<" : (want > 0 ? ">" : "=="), b))
		diag("got %d", got);
}

/* key_json: the extracted key of a document as canonical JSON {"k": [..]}, or the error */
static char *
key_json(const char *spec_json, const char *doc_json, char *errbuf, size_t errlen)
{
	asp_error	err;
	asp_sort_spec *s = compile_spec(spec_json, &err);
	bson_t	   *d = json_doc(doc_json);
	bson_value_t keys[ASP_SORT_MAX_KEYS];
	char	   *res = NULL;

	if (s == NULL)
	{
		snprintf(errbuf, errlen, "compile: %s", err.message);
		bson_destroy(d);
		return NULL;
	}
	if (asp_sort_key_extract(s, bson_get_data(d), d->len, keys, &err))
	{
		bson_t		out = BSON_INITIALIZER;
		bson_t		arr;
		int			i;

		bson_append_array_begin(&out, "k", 1, &arr);
		for (i = 0; i < s->nkeys; i++)
		{
			char		kb[16];

			snprintf(kb, sizeof(kb), "%d", i);
			asp_bson_append_value(&arr, kb, -1, &keys[i]);
		}
		bson_append_array_end(&out, &arr);
		res = bson_as_canonical_extended_json(&out, NULL);
		bson_destroy(&out);
	}
	else
		snprintf(errbuf, errlen, "%s", err.message);
	asp_sort_free(s);
	bson_destroy(d);
	return res;
}

/* expect_key: the extracted key of doc under spec is want_keys */
static void
expect_key(const char *spec, const char *doc, const char *want_keys)
{
	char		errbuf[600];
	char	   *got = key_json(spec, doc, errbuf, sizeof(errbuf));
	char		wrapped[512];
	bson_t	   *w;
	char	   *want;

	snprintf(wrapped, sizeof(wrapped), "{\"k\": %s}", want_keys);
	w = json_doc(wrapped);
	want = bson_as_canonical_extended_json(w, NULL);
	bson_destroy(w);
	if (got == NULL)
		ok(0, "key of %s under %s is %s (got error %s)", doc, spec, want_keys, errbuf);
	else if (!ok(strcmp(got, want) == 0, "key of %s under %s is %s", doc, spec, want_keys))
		diag("got %s want %s", got, want);
	bson_free(got);
	bson_free(want);
}

/* expect_key_error: key extraction of doc under spec fails with frag */
static void
expect_key_error(const char *spec, const char *doc, const char *frag)
{
	char		errbuf[600];
	char	   *got = key_json(spec, doc, errbuf, sizeof(errbuf));

	if (got)
	{
		ok(0, "key of %s under %s fails with '%s' (got %s)", doc, spec, frag, got);
		bson_free(got);
		return;
	}
	if (!ok(strstr(errbuf, frag) != NULL, "key of %s under %s fails with '%s'", doc, spec, frag))
		diag("error was %s", errbuf);
}

/* test_compile: valid and invalid sort specifications */
static void
test_compile(void)
{
	asp_error	err;
	asp_sort_spec *s;

	s = compile_spec("{\"a\": 1, \"b.c\": -1, \"d\": 1.0, \"e\": {\"$numberLong\": \"-1\"}, "
					 "\"f\": {\"$numberDecimal\": \"1\"}, \"g\": -1.0}", &err);
	ok(s != NULL && asp_sort_nkeys(s) == 6, "numeric 1/-1 of every type accepted");
	if (s)
	{
		ok(s->dirs[0] == 1 && s->dirs[1] == -1 && s->dirs[2] == 1 && s->dirs[3] == -1 &&
		   s->dirs[4] == 1 && s->dirs[5] == -1, "directions recorded");
		ok(strcmp(s->paths[1].dotted, "b.c") == 0 && s->paths[1].nparts == 2, "dotted path compiled");
	}
	asp_sort_free(s);

	expect_compile_error("{}", ASP_ERR_INVALID, "at least one sort key");
	expect_compile_error("{\"a\": 2}", ASP_ERR_INVALID, "must be 1 (for ascending) or -1");
	expect_compile_error("{\"a\": 0}", ASP_ERR_INVALID, "must be 1 (for ascending) or -1");
	expect_compile_error("{\"a\": 0.5}", ASP_ERR_INVALID, "must be 1 (for ascending) or -1");
	expect_compile_error("{\"a\": \"asc\"}", ASP_ERR_INVALID, "must be 1 (for ascending) or -1");
	expect_compile_error("{\"a\": true}", ASP_ERR_INVALID, "must be 1 (for ascending) or -1");
	expect_compile_error("{\"a\": {\"x\": 1}}", ASP_ERR_INVALID, "must be 1 (for ascending) or -1");
	expect_compile_error("{\"a\": {\"$meta\": \"textScore\"}}", ASP_ERR_UNSUPPORTED, "$meta");
	expect_compile_error("{\"a\": 1, \"b\": 1, \"a\": -1}", ASP_ERR_INVALID, "more than once");
	expect_compile_error("{\"\": 1}", ASP_ERR_INVALID, "must not be empty");
	expect_compile_error("{\"a..b\": 1}", ASP_ERR_INVALID, "empty field name");
	expect_compile_error("{\"$a\": 1}", ASP_ERR_INVALID, "may not start with '$'");
	expect_compile_error("{\"a.$b\": 1}", ASP_ERR_INVALID, "may not start with '$'");
	{
		char		buf[1024];
		size_t		off;
		int			i;

		strcpy(buf, "{");
		off = 1;
		for (i = 0; i < 33; i++)
			off += (size_t) snprintf(buf + off, sizeof(buf) - off, "%s\"k%d\": 1", i ? ", " : "", i);
		snprintf(buf + off, sizeof(buf) - off, "}");
		expect_compile_error(buf, ASP_ERR_INVALID, "at most 32");
		*strstr(buf, ", \"k32\"") = '\0';	/* drop the last key: 32 keys */
		strcat(buf, "}");
		s = compile_spec(buf, &err);
		ok(s != NULL && s->nkeys == 32, "32 sort keys are accepted");
		asp_sort_free(s);
	}
	{
		char		buf[1024];
		int			i;

		strcpy(buf, "{\"a");
		for (i = 0; i < 64; i++)
			strcat(buf, ".a");
		strcat(buf, "\": 1}");
		expect_compile_error(buf, ASP_ERR_INVALID, "too many components");
	}
}

/* test_scalars: order of scalar values, missing as null, several keys */
static void
test_scalars(void)
{
	const char *asc = "{\"a\": 1}";
	const char *desc = "{\"a\": -1}";

	expect_order(asc, "{\"a\": 1}", "{\"a\": 2}", -1);
	expect_order(desc, "{\"a\": 1}", "{\"a\": 2}", 1);
	expect_order(asc, "{\"a\": 2}", "{\"a\": 2.0}", 0);
	expect_order(asc, "{\"a\": {\"$numberLong\": \"3\"}}", "{\"a\": 2.5}", 1);
	expect_order(asc, "{\"a\": {\"$numberDecimal\": \"2.1\"}}", "{\"a\": 2}", 1);
	expect_order(asc, "{}", "{\"a\": null}", 0);
	expect_order(asc, "{}", "{\"a\": 0}", -1);
	expect_order(desc, "{}", "{\"a\": 0}", 1);
	expect_order(asc, "{\"a\": null}", "{\"a\": 5}", -1);
	expect_order(asc, "{\"a\": 5}", "{\"a\": \"5\"}", -1);
	expect_order(asc, "{\"a\": \"b\"}", "{\"a\": \"ab\"}", 1);
	expect_order(asc, "{\"a\": \"z\"}", "{\"a\": {\"x\": 1}}", -1);
	expect_order(asc, "{\"a\": {\"x\": 1}}", "{\"a\": true}", -1);
	expect_order(asc, "{\"a\": true}", "{\"a\": {\"$date\": \"2024-01-01T00:00:00Z\"}}", -1);
	expect_order(asc, "{\"a\": {\"$minKey\": 1}}", "{}", -1);
	expect_order(asc, "{\"a\": {\"$maxKey\": 1}}", "{\"a\": \"zzz\"}", 1);
	expect_order(asc, "{\"a\": {\"$numberDouble\": \"NaN\"}}", "{\"a\": -1e300}", -1);
	expect_order(asc, "{\"a\": {\"$numberDouble\": \"NaN\"}}", "{\"a\": null}", 1);
	/* scalar on the way of a dotted path: null */
	expect_order("{\"a.b\": 1}", "{\"a\": 5}", "{}", 0);
	expect_order("{\"a.b\": 1}", "{\"a\": {\"b\": 1}}", "{\"a\": {\"c\": 1}}", 1);
	expect_order("{\"a.b.c\": -1}", "{\"a\": {\"b\": {\"c\": 3}}}", "{\"a\": {\"b\": {\"c\": 4}}}", 1);
	/* several keys */
	expect_order("{\"a\": 1, \"b\": -1}", "{\"a\": 1, \"b\": 1}", "{\"a\": 1, \"b\": 2}", 1);
	expect_order("{\"a\": 1, \"b\": -1}", "{\"a\": 1, \"b\": 9}", "{\"a\": 2, \"b\": 0}", -1);
	expect_order("{\"a\": 1, \"b\": -1}", "{\"a\": 1, \"b\": 2}", "{\"b\": 2, \"a\": 1.0}", 0);
	expect_order("{\"b\": 1, \"a\": 1}", "{\"a\": 1, \"b\": 2}", "{\"a\": 2, \"b\": 1}", 1);
}

/* test_arrays: sort keys of arrays, nested and positional paths, parallel arrays */
static void
test_arrays(void)
{
	/* an array sorts by its smallest element ascending, its largest descending */
	expect_key("{\"a\": 1}", "{\"a\": [3, 1, 2]}", "[1]");
	expect_key("{\"a\": -1}", "{\"a\": [3, 1, 2]}", "[3]");
	expect_order("{\"a\": 1}", "{\"a\": [1, 10]}", "{\"a\": 5}", -1);
	expect_order("{\"a\": -1}", "{\"a\": [1, 10]}", "{\"a\": 5}", -1);
	expect_order("{\"a\": 1}", "{\"a\": [5, 6]}", "{\"a\": 5}", 0);
	/* mixed types inside the array: BSON order */
	expect_key("{\"a\": 1}", "{\"a\": [\"x\", 2, null]}", "[null]");
	expect_key("{\"a\": -1}", "{\"a\": [\"x\", 2, null]}", "[\"x\"]");
	/* empty array: undefined, before null and missing */
	expect_key("{\"a\": 1}", "{\"a\": []}", "[{\"$undefined\": true}]");
	expect_order("{\"a\": 1}", "{\"a\": []}", "{}", -1);
	expect_order("{\"a\": 1}", "{\"a\": []}", "{\"a\": null}", -1);
	expect_order("{\"a\": -1}", "{\"a\": []}", "{\"a\": null}", 1);
	/* nested arrays are values, not expanded again */
	expect_key("{\"a\": 1}", "{\"a\": [[1, 2], 3]}", "[3]");
	expect_key("{\"a\": -1}", "{\"a\": [[1, 2], 3]}", "[[1, 2]]");
	/* arrays of documents along a dotted path */
	expect_key("{\"a.b\": 1}", "{\"a\": [{\"b\": 5}, {\"b\": 2}]}", "[2]");
	expect_key("{\"a.b\": -1}", "{\"a\": [{\"b\": 5}, {\"b\": 2}]}", "[5]");
	/* an element without the field contributes null */
	expect_key("{\"a.b\": 1}", "{\"a\": [{\"b\": 5}, {\"c\": 2}]}", "[null]");
	expect_key("{\"a.b\": -1}", "{\"a\": [{\"b\": 5}, {\"c\": 2}]}", "[5]");
	/* scalars inside the array on the way: null */
	expect_key("{\"a.b\": 1}", "{\"a\": [1, {\"b\": 3}]}", "[null]");
	/* arrays of arrays of documents: the inner arrays are not documents */
	expect_key("{\"a.b\": -1}", "{\"a\": [[{\"b\": 1}]]}", "[null]");
	/* arrays inside documents inside arrays are expanded too */
	expect_key("{\"a.b\": 1}", "{\"a\": [{\"b\": [7, 4]}, {\"b\": 6}]}", "[4]");
	expect_key("{\"a.b\": -1}", "{\"a\": [{\"b\": [7, 4]}, {\"b\": 9}]}", "[9]");
	expect_key("{\"a.b\": 1}", "{\"a\": [{\"b\": []}, {\"b\": 6}]}", "[{\"$undefined\": true}]");
	/* empty array in the middle of a path: null */
	expect_key("{\"a.b\": 1}", "{\"a\": []}", "[null]");
	/* positional components */
	expect_key("{\"a.1\": 1}", "{\"a\": [5, 3, 9]}", "[3]");
	expect_key("{\"a.0.b\": 1}", "{\"a\": [{\"b\": 8}, {\"b\": 1}]}", "[8]");
	expect_key("{\"a.5\": 1}", "{\"a\": [5, 3]}", "[null]");
	expect_key("{\"a.0\": 1}", "{\"a\": [[2, 1], 3]}", "[[2, 1]]");
	expect_key("{\"a.0\": 1}", "{\"a\": {\"0\": 4}}", "[4]");
	/* two fields through the same array take values from the same element */
	expect_key("{\"a.x\": 1, \"a.y\": 1}", "{\"a\": [{\"x\": 1, \"y\": 5}, {\"x\": 2, \"y\": 0}]}",
			   "[1, 5]");
	expect_key("{\"a.x\": 1, \"a.y\": -1}", "{\"a\": [{\"x\": 1, \"y\": 5}, {\"x\": 1, \"y\": 7}]}",
			   "[1, 7]");
	expect_key("{\"a\": 1, \"a.x\": 1}", "{\"a\": [{\"x\": 3}, {\"x\": 2}]}", "[{\"x\": 2}, 2]");
	expect_order("{\"a.x\": 1, \"a.y\": 1}",
				 "{\"a\": [{\"x\": 1, \"y\": 5}, {\"x\": 2, \"y\": 0}]}",
				 "{\"a\": {\"x\": 1, \"y\": 3}}", 1);
	/* one array field and one scalar field */
	expect_key("{\"a\": 1, \"b\": -1}", "{\"a\": 4, \"b\": [1, 3]}", "[4, 3]");
	/* parallel arrays */
	expect_key_error("{\"a\": 1, \"b\": 1}", "{\"a\": [1, 2], \"b\": [3, 4]}", "parallel arrays");
	expect_key_error("{\"a.0\": 1}", "{\"a\": [{\"0\": 1}]}", "ambiguous field name");
	/* asp_sort_compare falls back to each field on its own */
	expect_order("{\"a\": 1, \"b\": 1}", "{\"a\": [1, 2], \"b\": [3, 4]}",
				 "{\"a\": 1, \"b\": 3}", 0);
	expect_order("{\"a\": 1, \"b\": 1}", "{\"a\": [1, 2], \"b\": [3, 4]}",
				 "{\"a\": 1, \"b\": 2}", 1);
}

/* test_from_values: asp_sort_key_from_values ($topN sortBy) */
static void
test_from_values(void)
{
	asp_error	err;
	asp_sort_spec *s = compile_spec("{\"a\": 1, \"b\": -1}", &err);
	bson_t	   *d = json_doc("{\"arr\": [4, 2, 9], \"arr2\": [1], \"e\": [], \"s\": \"x\"}");
	bson_value_t vals[2],
				keys[2];

	asp_doc_get(bson_get_data(d), d->len, "arr", 3, &vals[0]);
	asp_doc_get(bson_get_data(d), d->len, "s", 1, &vals[1]);
	ok(asp_sort_key_from_values(s, vals, keys, &err) &&
	   keys[0].value_type == BSON_TYPE_INT32 && keys[0].value.v_int32 == 2 &&
	   keys[1].value_type == BSON_TYPE_UTF8, "ascending array value reduces to its smallest element");
	vals[0] = vals[1];
	asp_doc_get(bson_get_data(d), d->len, "arr", 3, &vals[1]);
	ok(asp_sort_key_from_values(s, vals, keys, &err) &&
	   keys[1].value_type == BSON_TYPE_INT32 && keys[1].value.v_int32 == 9,
	   "descending array value reduces to its largest element");
	asp_doc_get(bson_get_data(d), d->len, "e", 1, &vals[0]);
	asp_value_set_missing(&vals[1]);
	ok(asp_sort_key_from_values(s, vals, keys, &err) &&
	   keys[0].value_type == BSON_TYPE_UNDEFINED && keys[1].value_type == BSON_TYPE_NULL,
	   "empty array is undefined, missing is null");
	asp_doc_get(bson_get_data(d), d->len, "arr", 3, &vals[0]);
	asp_doc_get(bson_get_data(d), d->len, "arr2", 4, &vals[1]);
	asp_error_init(&err);
	ok(!asp_sort_key_from_values(s, vals, keys, &err) && err.code == ASP_ERR_RUNTIME &&
	   strstr(err.message, "parallel arrays") != NULL, "two array values are parallel arrays");
	bson_destroy(d);
	asp_sort_free(s);
}

/* test_sort_many: sorting with extracted keys agrees with asp_sort_compare */
static void
test_sort_many(void)
{
	asp_error	err;
	asp_sort_spec *s = compile_spec("{\"g\": 1, \"v\": -1}", &err);
	bson_t	   *docs[60];
	bson_value_t keys[60][2];
	int			i,
				j,
				bad = 0;

	srand(7);
	for (i = 0; i < 60; i++)
	{
		char		json[128];
		int			r = rand() % 5;

		if (r == 0)
			snprintf(json, sizeof(json), "{\"g\": %d}", rand() % 3);
		else if (r == 1)
			snprintf(json, sizeof(json), "{\"g\": %d, \"v\": [%d, %d]}", rand() % 3, rand() % 10, rand() % 10);
		else if (r == 2)
			snprintf(json, sizeof(json), "{\"g\": %d.5, \"v\": \"s%d\"}", rand() % 3, rand() % 10);
		else
			snprintf(json, sizeof(json), "{\"v\": %d, \"g\": %d}", rand() % 10, rand() % 3);
		docs[i] = json_doc(json);
		if (!asp_sort_key_extract(s, bson_get_data(docs[i]), docs[i]->len, keys[i], &err))
			bad++;
	}
	for (i = 0; i < 60; i++)
		for (j = 0; j < 60; j++)
		{
			int			c1 = asp_sort_key_compare(s, keys[i], keys[j]);
			int			c2 = asp_sort_compare(s, bson_get_data(docs[i]), docs[i]->len,
											  bson_get_data(docs[j]), docs[j]->len, NULL);

			if ((c1 < 0) != (c2 < 0) || (c1 > 0) != (c2 > 0) ||
				(c1 < 0) != (asp_sort_key_compare(s, keys[j], keys[i]) > 0))
				bad++;
		}
	ok(bad == 0, "extracted keys order 60 documents like asp_sort_compare, antisymmetrically");
	for (i = 0; i < 60; i++)
		bson_destroy(docs[i]);
	asp_sort_free(s);
}

/* main: run the tests */
int
main(void)
{
	test_compile();
	test_scalars();
	test_arrays();
	test_from_values();
	test_sort_many();
	return tap_done();
}
