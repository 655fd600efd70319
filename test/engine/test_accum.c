/*-------------------------------------------------------------------------
 *
 * test_accum.c
 *	  TAP tests of the $group accumulators (accum*.c): results on mixed
 *	  inputs, numeric type widening, null and missing, the N family, n from
 *	  the group key, the eval/apply phases, compile errors, state sizes,
 *	  memory accounting, the encoding of owned copies and malformed
 *	  checkpoint states.  Merges, checkpoint round trips and large inputs
 *	  are in test_accum_merge.c; the $group stage in test_group.c.
 *
 *-------------------------------------------------------------------------
 */
#include "accum_util.h"

/* ---------- deterministic results ---------- */

/* test_sum: $sum types, widening, compensation, non-numbers */
static void
test_sum(void)
{
	expect("{\"$sum\": \"$x\"}", "[]", "0");
	expect("{\"$sum\": \"$x\"}", "[{\"x\": 1}, {\"x\": 2}, {\"x\": 3}]", "6");
	expect("{\"$sum\": \"$x\"}", "[{\"x\": 1}, {\"x\": \"a\"}, {\"x\": null}, {}, {\"x\": true}, {\"x\": [5]}, {\"x\": {\"a\": 1}}]", "1");
	expect("{\"$sum\": \"$x\"}", "[{\"x\": \"a\"}, {}]", "0");
	/* int32 overflow widens to long; back in range stays int */
	expect("{\"$sum\": \"$x\"}", "[{\"x\": 2147483647}, {\"x\": 1}]", "{\"$numberLong\": \"2147483648\"}");
	expect("{\"$sum\": \"$x\"}", "[{\"x\": 2147483647}, {\"x\": 1}, {\"x\": -1}]", "2147483647");
	expect("{\"$sum\": \"$x\"}", "[{\"x\": -2147483648}, {\"x\": -1}]", "{\"$numberLong\": \"-2147483649\"}");
	expect("{\"$sum\": \"$x\"}", "[{\"x\": 1}, {\"x\": {\"$numberLong\": \"2\"}}]", "{\"$numberLong\": \"3\"}");
	/* long overflow widens to double */
	expect("{\"$sum\": \"$x\"}", "[{\"x\": {\"$numberLong\": \"9223372036854775807\"}}, {\"x\": {\"$numberLong\": \"1\"}}]",
		   "{\"$numberDouble\": \"9.2233720368547758e+18\"}");
	expect("{\"$sum\": \"$x\"}", "[{\"x\": {\"$numberLong\": \"9223372036854775807\"}}, {\"x\": 1}, {\"x\": -1}]",
		   "{\"$numberLong\": \"9223372036854775807\"}");
	expect("{\"$sum\": \"$x\"}", "[{\"x\": {\"$numberLong\": \"-9223372036854775808\"}}, {\"x\": {\"$numberLong\": \"-1\"}}]",
		   "{\"$numberDouble\": \"-9.2233720368547758e+18\"}");
	/* int64 sums stay exact beyond 2^53 */
	expect("{\"$sum\": \"$x\"}", "[{\"x\": {\"$numberLong\": \"9007199254740993\"}}, {\"x\": {\"$numberLong\": \"1\"}}]",
		   "{\"$numberLong\": \"9007199254740994\"}");
	/* any double makes it double */
	expect("{\"$sum\": \"$x\"}", "[{\"x\": 1}, {\"x\": 2.5}]", "3.5");
	expect("{\"$sum\": \"$x\"}", "[{\"x\": 1}, {\"x\": 2.0}]", "{\"$numberDouble\": \"3.0\"}");
	/* compensated summation */
	expect("{\"$sum\": \"$x\"}", "[{\"x\": 0.1}, {\"x\": 0.2}, {\"x\": 0.3}]", "{\"$numberDouble\": \"0.6\"}");
	expect("{\"$sum\": \"$x\"}", "[{\"x\": 0.1}, {\"x\": 0.1}, {\"x\": 0.1}, {\"x\": 0.1}, {\"x\": 0.1}, "
		   "{\"x\": 0.1}, {\"x\": 0.1}, {\"x\": 0.1}, {\"x\": 0.1}, {\"x\": 0.1}]", "{\"$numberDouble\": \"1.0\"}");
	/* MongoDB's DoubleDoubleSummation returns its rounded sum without the compensation */
	expect("{\"$sum\": \"$x\"}", "[{\"x\": 1e100}, {\"x\": 1.0}, {\"x\": -1e100}]", "{\"$numberDouble\": \"0.0\"}");
	expect("{\"$sum\": \"$x\"}", "[{\"x\": {\"$numberDouble\": \"Infinity\"}}, {\"x\": 1}]",
		   "{\"$numberDouble\": \"Infinity\"}");
	expect("{\"$sum\": \"$x\"}", "[{\"x\": {\"$numberDouble\": \"Infinity\"}}, {\"x\": {\"$numberDouble\": \"-Infinity\"}}]",
		   "{\"$numberDouble\": \"NaN\"}");
	expect("{\"$sum\": \"$x\"}", "[{\"x\": {\"$numberDouble\": \"NaN\"}}, {\"x\": 1}]", "{\"$numberDouble\": \"NaN\"}");
	/* any decimal makes it decimal */
	expect_num("{\"$sum\": \"$x\"}", "[{\"x\": 1}, {\"x\": {\"$numberDecimal\": \"2.5\"}}]", "{\"$numberDecimal\": \"3.5\"}");
	expect_num("{\"$sum\": \"$x\"}", "[{\"x\": {\"$numberDecimal\": \"0.1\"}}, {\"x\": {\"$numberDecimal\": \"0.2\"}}]",
			   "{\"$numberDecimal\": \"0.3\"}");
	expect_num("{\"$sum\": \"$x\"}", "[{\"x\": {\"$numberDecimal\": \"1\"}}, {\"x\": 1.5}, {\"x\": {\"$numberLong\": \"2\"}}]",
			   "{\"$numberDecimal\": \"4.5\"}");
	expect("{\"$sum\": \"$x\"}", "[{\"x\": {\"$numberDecimal\": \"0.1\"}}, {\"x\": {\"$numberDecimal\": \"0.20\"}}, {\"x\": 1}]",
		   "{\"$numberDecimal\": \"1.30\"}");
	/* constant operand */
	expect("{\"$sum\": 1}", "[{}, {}, {}]", "3");
	expect("{\"$sum\": 2.5}", "[{}, {}]", "5.0");
	expect("{\"$sum\": \"a\"}", "[{}, {}]", "0");
}

/* test_avg_count: $avg and $count */
static void
test_avg_count(void)
{
	expect("{\"$avg\": \"$x\"}", "[{\"x\": 1}, {\"x\": 2}]", "1.5");
	expect("{\"$avg\": \"$x\"}", "[{\"x\": 1}, {\"x\": \"a\"}, {\"x\": null}, {}]", "1.0");
	expect("{\"$avg\": \"$x\"}", "[{\"x\": \"a\"}, {}]", "null");
	expect("{\"$avg\": \"$x\"}", "[]", "null");
	expect("{\"$avg\": \"$x\"}", "[{\"x\": {\"$numberLong\": \"9223372036854775807\"}}, {\"x\": {\"$numberLong\": \"9223372036854775807\"}}]",
		   "{\"$numberDouble\": \"9.2233720368547758e+18\"}");
	expect("{\"$avg\": \"$x\"}", "[{\"x\": 0.1}, {\"x\": 0.2}, {\"x\": 0.3}]", "{\"$numberDouble\": \"0.19999999999999998\"}");
	expect_num("{\"$avg\": \"$x\"}", "[{\"x\": 1}, {\"x\": {\"$numberDecimal\": \"2\"}}]", "{\"$numberDecimal\": \"1.5\"}");
	expect_num("{\"$avg\": \"$x\"}", "[{\"x\": {\"$numberDecimal\": \"1\"}}, {\"x\": {\"$numberDecimal\": \"2\"}}, {\"x\": \"z\"}]",
			   "{\"$numberDecimal\": \"1.5\"}");
	expect("{\"$count\": {}}", "[]", "0");
	expect("{\"$count\": {}}", "[{}, {\"x\": 1}, {\"x\": null}]", "3");
}

/* test_min_max: $min and $max over mixed types, null and missing ignored */
static void
test_min_max(void)
{
	expect("{\"$min\": \"$x\"}", "[{\"x\": 3}, {\"x\": 1}, {\"x\": 2}]", "1");
	expect("{\"$max\": \"$x\"}", "[{\"x\": 3}, {\"x\": 1}, {\"x\": 2}]", "3");
	/* null and missing are ignored */
	expect("{\"$min\": \"$x\"}", "[{\"x\": null}, {\"x\": 5}, {}, {\"x\": {\"$undefined\": true}}]", "5");
	expect("{\"$max\": \"$x\"}", "[{\"x\": null}, {}]", "null");
	expect("{\"$min\": \"$x\"}", "[]", "null");
	/* BSON order across types */
	expect("{\"$min\": \"$x\"}", "[{\"x\": \"a\"}, {\"x\": 3}, {\"x\": {\"k\": 1}}]", "3");
	expect("{\"$max\": \"$x\"}", "[{\"x\": \"a\"}, {\"x\": 3}, {\"x\": {\"k\": 1}}]", "{\"k\": 1}");
	expect("{\"$max\": \"$x\"}", "[{\"x\": \"apple\"}, {\"x\": \"pear\"}, {\"x\": \"fig\"}]", "\"pear\"");
	expect("{\"$min\": \"$x\"}", "[{\"x\": \"apple\"}, {\"x\": \"pear\"}, {\"x\": \"fig\"}]", "\"apple\"");
	expect("{\"$max\": \"$x\"}", "[{\"x\": [1, 2]}, {\"x\": [1, 3]}, {\"x\": \"s\"}]", "[1, 3]");
	expect("{\"$max\": \"$x\"}", "[{\"x\": {\"$date\": \"2024-01-01T00:00:00Z\"}}, {\"x\": true}]",
		   "{\"$date\": \"2024-01-01T00:00:00Z\"}");
	/* ties keep the first value seen */
	expect("{\"$min\": \"$x\"}", "[{\"x\": 1.0}, {\"x\": 1}, {\"x\": {\"$numberLong\": \"1\"}}]", "1.0");
	expect("{\"$max\": \"$x\"}", "[{\"x\": {\"$numberLong\": \"7\"}}, {\"x\": 7}]", "{\"$numberLong\": \"7\"}");
	/* a long string replaced by numbers and strings again */
	expect("{\"$max\": \"$x\"}", "[{\"x\": 1}, {\"x\": \"a long string that spills to the heap\"}, {\"x\": 2}, {\"x\": \"b\"}]", "\"b\"");
}

/* test_first_last: $first and $last, missing as null */
static void
test_first_last(void)
{
	expect("{\"$first\": \"$x\"}", "[{\"x\": 1}, {\"x\": 2}]", "1");
	expect("{\"$last\": \"$x\"}", "[{\"x\": 1}, {\"x\": 2}]", "2");
	expect("{\"$first\": \"$x\"}", "[{}, {\"x\": 2}]", "null");
	expect("{\"$first\": \"$x\"}", "[{\"x\": null}, {\"x\": 2}]", "null");
	expect("{\"$last\": \"$x\"}", "[{\"x\": 1}, {}]", "null");
	expect("{\"$last\": \"$x\"}", "[{\"x\": \"s\"}, {\"x\": {\"a\": [1, {\"b\": \"c\"}]}}]", "{\"a\": [1, {\"b\": \"c\"}]}");
	expect("{\"$first\": \"$x\"}", "[{\"x\": \"first string\"}, {\"x\": \"second\"}]", "\"first string\"");
	expect("{\"$first\": \"$x\"}", "[]", "null");
	expect("{\"$first\": \"$$ROOT\"}", "[{\"a\": 1}, {\"a\": 2}]", "{\"a\": 1}");
	expect("{\"$last\": {\"a\": \"$x\", \"b\": \"$y\"}}", "[{\"x\": 1}, {\"x\": 2, \"y\": \"q\"}]", "{\"a\": 2, \"b\": \"q\"}");
}

/* test_push_set: $push and $addToSet */
static void
test_push_set(void)
{
	expect("{\"$push\": \"$x\"}", "[]", "[]");
	expect("{\"$push\": \"$x\"}", "[{\"x\": 1}, {\"x\": null}, {}, {\"x\": \"a\"}, {\"x\": [1, 2]}]", "[1, null, \"a\", [1, 2]]");
	expect("{\"$push\": {\"v\": \"$x\"}}", "[{\"x\": 1}, {}]", "[{\"v\": 1}, {}]");
	expect("{\"$addToSet\": \"$x\"}", "[]", "[]");
	expect("{\"$addToSet\": \"$x\"}",
		   "[{\"x\": 1}, {\"x\": 1.0}, {\"x\": {\"$numberLong\": \"1\"}}, {\"x\": {\"$numberDecimal\": \"1.00\"}}, "
		   "{\"x\": \"a\"}, {\"x\": \"a\"}, {\"x\": [1]}, {\"x\": [1.0]}, {\"x\": {\"k\": 1}}, {\"x\": {\"k\": 1}}, "
		   "{}, {\"x\": null}, {\"x\": null}]",
		   "[1, \"a\", [1], {\"k\": 1}, null]");
	/* many distinct values: the hash table grows */
	{
		char		json[20000];
		char		want[20000];
		size_t		o = 0,
					w = 0;
		int			i;

		o += (size_t) snprintf(json + o, sizeof(json) - o, "[");
		w += (size_t) snprintf(want + w, sizeof(want) - w, "[");
		for (i = 0; i < 300; i++)
		{
			o += (size_t) snprintf(json + o, sizeof(json) - o, "%s{\"x\": \"v%d\"}, {\"x\": \"v%d\"}",
								   i ? ", " : "", i, i / 2);
			w += (size_t) snprintf(want + w, sizeof(want) - w, "%s\"v%d\"", i ? ", " : "", i);
		}
		snprintf(json + o, sizeof(json) - o, "]");
		snprintf(want + w, sizeof(want) - w, "]");
		expect("{\"$addToSet\": \"$x\"}", json, want);
	}
}

/* test_stddev: $stdDevPop and $stdDevSamp */
static void
test_stddev(void)
{
	expect("{\"$stdDevPop\": \"$x\"}", "[{\"x\": 1}, {\"x\": 2}, {\"x\": 3}, {\"x\": 4}]", "1.118033988749895");
	expect("{\"$stdDevSamp\": \"$x\"}", "[{\"x\": 1}, {\"x\": 2}, {\"x\": 3}, {\"x\": 4}]", "1.2909944487358056");
	expect("{\"$stdDevPop\": \"$x\"}", "[{\"x\": 5}]", "0.0");
	expect("{\"$stdDevSamp\": \"$x\"}", "[{\"x\": 5}, {\"x\": \"a\"}]", "null");
	expect("{\"$stdDevPop\": \"$x\"}", "[{\"x\": \"a\"}, {}]", "null");
	expect("{\"$stdDevPop\": \"$x\"}", "[{\"x\": 2}, {\"x\": {\"$numberLong\": \"4\"}}, {\"x\": 4.0}, {\"x\": {\"$numberDecimal\": \"4\"}}, "
		   "{\"x\": 5}, {\"x\": 5}, {\"x\": 7}, {\"x\": 9}, {\"x\": null}]", "2.0");
}

/* test_n_family: $firstN $lastN $minN $maxN $topN $bottomN $top $bottom */
static void
test_n_family(void)
{
	const char *xs = "[{\"x\": 3, \"s\": 1}, {\"s\": 2}, {\"x\": 1, \"s\": 2}, {\"x\": null, \"s\": 0}, "
		"{\"x\": 5, \"s\": 3}, {\"x\": 2, \"s\": 1}]";

	expect("{\"$firstN\": {\"n\": 2, \"input\": \"$x\"}}", xs, "[3, null]");
	expect("{\"$firstN\": {\"n\": 10, \"input\": \"$x\"}}", xs, "[3, null, 1, null, 5, 2]");
	expect("{\"$lastN\": {\"n\": 3, \"input\": \"$x\"}}", xs, "[null, 5, 2]");
	expect("{\"$lastN\": {\"n\": 1, \"input\": \"$x\"}}", xs, "[2]");
	expect("{\"$minN\": {\"n\": 3, \"input\": \"$x\"}}", xs, "[1, 2, 3]");
	expect("{\"$maxN\": {\"n\": 3, \"input\": \"$x\"}}", xs, "[5, 3, 2]");
	expect("{\"$maxN\": {\"n\": 9, \"input\": \"$x\"}}", xs, "[5, 3, 2, 1]");
	expect("{\"$minN\": {\"n\": 2, \"input\": \"$x\"}}", "[{\"x\": null}, {}]", "[]");
	expect("{\"$minN\": {\"n\": 2, \"input\": \"$x\"}}", "[{\"x\": \"b\"}, {\"x\": 10}, {\"x\": \"a\"}]", "[10, \"a\"]");
	expect("{\"$maxN\": {\"n\": 2, \"input\": \"$x\"}}", "[{\"x\": \"b\"}, {\"x\": 10}, {\"x\": \"a\"}]", "[\"b\", \"a\"]");
	/* $topN/$bottomN: sort order, ties keep the first seen, missing output is null */
	expect("{\"$topN\": {\"n\": 2, \"sortBy\": {\"s\": 1}, \"output\": \"$x\"}}", xs, "[null, 3]");
	expect("{\"$topN\": {\"n\": 3, \"sortBy\": {\"s\": -1}, \"output\": \"$x\"}}", xs, "[5, null, 1]");
	expect("{\"$topN\": {\"n\": 2, \"sortBy\": {\"s\": -1}, \"output\": \"$x\"}}", xs, "[5, null]");
	/* s = 2 ties: the first seen (x missing) wins; MongoDB's multimap would give [1, 5] */
	expect("{\"$bottomN\": {\"n\": 2, \"sortBy\": {\"s\": 1}, \"output\": \"$x\"}}", xs, "[null, 5]");
	/* ties at the boundary: the value seen first wins */
	expect("{\"$bottomN\": {\"n\": 2, \"sortBy\": {\"s\": 1}, \"output\": \"$x\"}}",
		   "[{\"x\": \"D\", \"s\": 5}, {\"x\": \"y\", \"s\": 5}, {\"x\": \"w\", \"s\": 5}, {\"x\": \"z\", \"s\": 6}]",
		   "[\"D\", \"z\"]");
	expect("{\"$topN\": {\"n\": 2, \"sortBy\": {\"s\": -1}, \"output\": \"$x\"}}",
		   "[{\"x\": \"D\", \"s\": 5}, {\"x\": \"y\", \"s\": 5}, {\"x\": \"w\", \"s\": 5}, {\"x\": \"z\", \"s\": 6}]",
		   "[\"z\", \"D\"]");
	expect("{\"$maxN\": {\"n\": 2, \"input\": \"$x\"}}",
		   "[{\"x\": 5}, {\"x\": 5.0}, {\"x\": {\"$numberLong\": \"5\"}}, {\"x\": 6}]", "[6, 5]");
	expect("{\"$minN\": {\"n\": 2, \"input\": \"$x\"}}",
		   "[{\"x\": 5}, {\"x\": 5.0}, {\"x\": {\"$numberLong\": \"5\"}}, {\"x\": 4}]", "[4, 5]");
	expect("{\"$bottomN\": {\"n\": 3, \"sortBy\": {\"s\": -1}, \"output\": \"$x\"}}", xs, "[3, 2, null]");
	expect("{\"$bottomN\": {\"n\": 1, \"sortBy\": {\"s\": 1}, \"output\": \"$x\"}}",
		   "[{\"x\": \"a\", \"s\": 9}, {\"x\": \"b\", \"s\": 9}]", "[\"a\"]");
	expect("{\"$top\": {\"sortBy\": {\"s\": 1}, \"output\": \"$x\"}}", xs, "null");
	expect("{\"$top\": {\"sortBy\": {\"s\": -1}, \"output\": [\"$x\", \"$s\"]}}", xs, "[5, 3]");
	expect("{\"$bottom\": {\"sortBy\": {\"s\": -1}, \"output\": \"$x\"}}", xs, "null");
	expect("{\"$bottom\": {\"sortBy\": {\"s\": -1, \"x\": -1}, \"output\": \"$x\"}}", xs, "null");
	expect("{\"$bottom\": {\"sortBy\": {\"s\": 1, \"x\": 1}, \"output\": \"$x\"}}", xs, "5");
	expect("{\"$top\": {\"sortBy\": {\"s\": 1, \"x\": -1}, \"output\": \"$x\"}}", xs, "null");
	expect("{\"$top\": {\"sortBy\": {\"s\": 1.0e0, \"x\": -1}, \"output\": \"$x\"}}", xs, "null");
	/* sortBy fields are aggregation paths; arrays sort by their min / max element */
	expect("{\"$topN\": {\"n\": 2, \"sortBy\": {\"v\": 1}, \"output\": \"$id\"}}",
		   "[{\"id\": 1, \"v\": [5, 9]}, {\"id\": 2, \"v\": 6}, {\"id\": 3, \"v\": [7, 2]}]", "[3, 1]");
	expect("{\"$topN\": {\"n\": 2, \"sortBy\": {\"v\": -1}, \"output\": \"$id\"}}",
		   "[{\"id\": 1, \"v\": [5, 9]}, {\"id\": 2, \"v\": 6}, {\"id\": 3, \"v\": [7, 2]}]", "[1, 3]");
	expect("{\"$topN\": {\"n\": 3, \"sortBy\": {\"a.b\": 1}, \"output\": \"$id\"}}",
		   "[{\"id\": 1, \"a\": [{\"b\": 5}, {\"c\": 1}]}, {\"id\": 2, \"a\": {\"b\": 4}}, {\"id\": 3, \"a\": []}]", "[3, 2, 1]");
	/* large n and string outputs */
	expect("{\"$topN\": {\"n\": 100, \"sortBy\": {\"s\": 1}, \"output\": \"$t\"}}",
		   "[{\"t\": \"c\", \"s\": 3}, {\"t\": \"a\", \"s\": 1}, {\"t\": \"b\", \"s\": 2}]", "[\"a\", \"b\", \"c\"]");
	/* n from the document; n constant expressions */
	expect("{\"$firstN\": {\"n\": \"$k\", \"input\": \"$x\"}}",
		   "[{\"k\": 2, \"x\": 1}, {\"k\": 5, \"x\": 2}, {\"x\": 3}]", "[1, 2]");
	expect("{\"$lastN\": {\"n\": {\"$literal\": 2}, \"input\": \"$x\"}}", "[{\"x\": 1}, {\"x\": 2}, {\"x\": 3}]", "[2, 3]");
	expect("{\"$lastN\": {\"n\": 2.0, \"input\": \"$x\"}}", "[{\"x\": 1}, {\"x\": 2}, {\"x\": 3}]", "[2, 3]");
	expect("{\"$lastN\": {\"n\": {\"$numberLong\": \"2\"}, \"input\": \"$x\"}}", "[{\"x\": 1}, {\"x\": 2}, {\"x\": 3}]", "[2, 3]");
	/* runtime errors */
	expect_runtime_error("{\"$firstN\": {\"n\": \"$k\", \"input\": \"$x\"}}", "[{\"k\": 0, \"x\": 1}]",
						 "'n' must be greater than 0, found 0");
	expect_runtime_error("{\"$maxN\": {\"n\": \"$k\", \"input\": \"$x\"}}", "[{\"x\": 1}]",
						 "Value for 'n' must be of integral type, but found missing");
	expect_runtime_error("{\"$maxN\": {\"n\": \"$k\", \"input\": \"$x\"}}", "[{\"k\": 1.5, \"x\": 1}]",
						 "Value for 'n' must be of integral type, but found 1.5");
	expect_runtime_error("{\"$topN\": {\"n\": 2, \"sortBy\": {\"a\": 1, \"b\": 1}, \"output\": \"$x\"}}",
						 "[{\"a\": [1], \"b\": [2]}]", "cannot sort with keys that are parallel arrays");
}

/* key_doc: a group key given as JSON, as a document value borrowed from *b */
static bson_value_t
key_doc(const char *json, bson_t **b)
{
	bson_value_t v;

	*b = bson_new_from_json((const uint8_t *) json, -1, NULL);
	asp_value_set_doc(&v, BSON_TYPE_DOCUMENT, bson_get_data(*b), (*b)->len);
	return v;
}

/* test_start_group: a non-constant n evaluated with the group key's fields as the document */
static void
test_start_group(void)
{
	runner		r;
	docs		ds = parse_docs("[{\"k\": 1, \"x\": 1}, {\"k\": 1, \"x\": 2}, {\"x\": 3}, {\"x\": 4}]");
	void	   *st;
	char	   *got;
	bson_value_t key;
	bson_t	   *kb;

	if (!runner_init(&r, "{\"$lastN\": {\"n\": \"$k\", \"input\": \"$x\"}}"))
	{
		ok(0, "compile $lastN with n: $k");
		free_docs(&ds);
		return;
	}
	st = state_new(&r);
	key = key_doc("{\"k\": 3}", &kb);
	ok(asp_accum_start_group(&r.a, st, &key, &r.ctx), "start_group evaluates n against the key {k: 3}");
	bson_destroy(kb);
	add_range(&r, st, &ds, 0, ds.n);
	got = result_json(&r, st);
	ok(got && strstr(got, "\"2\"") && strstr(got, "\"4\"") && !strstr(got, "\"1\""),
	   "n came from the group key, not from the first document: %s", got ? got : "null");
	bson_free(got);
	state_free(&r, st);

	st = state_new(&r);
	add_range(&r, st, &ds, 0, ds.n);
	got = result_json(&r, st);
	ok(got && strstr(got, "[ { \"$numberInt\" : \"4\" } ]") != NULL,
	   "without start_group n comes from the first document: %s", got ? got : "null");
	bson_free(got);
	state_free(&r, st);

	/* a key that is not a document: n is evaluated against {} */
	st = state_new(&r);
	asp_value_set_int32(&key, 3);
	asp_error_init(&r.err);
	ok(!asp_accum_start_group(&r.a, st, &key, &r.ctx) &&
	   strstr(r.err.message, "Value for 'n' must be of integral type, but found missing"),
	   "a scalar key gives an empty document: %s", r.err.message);
	state_free(&r, st);

	st = state_new(&r);
	key = key_doc("{\"k\": 0}", &kb);
	asp_error_init(&r.err);
	ok(!asp_accum_start_group(&r.a, st, &key, &r.ctx) &&
	   strstr(r.err.message, "'n' must be greater than 0, found 0"),
	   "start_group reports n = 0 from the key: %s", r.err.message);
	bson_destroy(kb);
	state_free(&r, st);

	st = state_new(&r);
	asp_value_set_null(&key);
	asp_error_init(&r.err);
	ok(!asp_accum_start_group(&r.a, st, &key, &r.ctx) && strstr(r.err.message, "integral type"),
	   "start_group reports a bad n");
	state_free(&r, st);
	runner_done(&r);

	/* $_id is not a field of the key document */
	runner_init(&r, "{\"$firstN\": {\"n\": \"$_id\", \"input\": \"$x\"}}");
	st = state_new(&r);
	key = key_doc("{\"_id\": 2}", &kb);
	ok(asp_accum_start_group(&r.a, st, &key, &r.ctx), "a key document with an _id field gives n");
	bson_destroy(kb);
	state_free(&r, st);
	st = state_new(&r);
	asp_value_set_int32(&key, 2);
	asp_error_init(&r.err);
	ok(!asp_accum_start_group(&r.a, st, &key, &r.ctx), "n: \"$_id\" with a scalar key is missing");
	state_free(&r, st);
	runner_done(&r);

	/* $cond on a key field; $$ROOT is the key document; ctx's root is restored */
	runner_init(&r, "{\"$firstN\": {\"n\": {\"$cond\": [{\"$eq\": [\"$$ROOT\", {\"k\": \"a\"}]}, 1, 2]}, \"input\": \"$x\"}}");
	st = state_new(&r);
	key = key_doc("{\"k\": \"a\"}", &kb);
	asp_value_set_int32(&r.ctx.vars[0], 77);
	ok(asp_accum_start_group(&r.a, st, &key, &r.ctx) && r.ctx.vars[0].value_type == BSON_TYPE_INT32 &&
	   r.ctx.vars[0].value.v_int32 == 77, "start_group with $$ROOT = the key, and $$ROOT restored");
	bson_destroy(kb);
	add_range(&r, st, &ds, 0, ds.n);
	got = result_json(&r, st);
	ok(got && strstr(got, "[ { \"$numberInt\" : \"1\" } ]") != NULL, "n = 1 for {k: \"a\"}: %s",
	   got ? got : "null");
	bson_free(got);
	state_free(&r, st);
	runner_done(&r);

	/* a no-op for other accumulators */
	runner_init(&r, "{\"$sum\": \"$x\"}");
	st = state_new(&r);
	asp_value_set_int32(&key, 3);
	ok(asp_accum_start_group(&r.a, st, &key, &r.ctx), "start_group is a no-op for $sum");
	state_free(&r, st);
	runner_done(&r);
	free_docs(&ds);
}

/*
 * test_eval_apply: the two phases.  One evaluated input applied to two
 * states gives each what add() gives; eval of a failing operand reports
 * the error; $topN with more sort keys than fit inline uses the arena.
 */
static void
test_eval_apply(void)
{
	static const char *const specs[] = {
		"{\"$sum\": \"$x\"}", "{\"$avg\": \"$x\"}", "{\"$count\": {}}", "{\"$min\": \"$x\"}",
		"{\"$max\": \"$x\"}", "{\"$first\": \"$x\"}", "{\"$last\": \"$x\"}", "{\"$push\": \"$x\"}",
		"{\"$addToSet\": \"$x\"}", "{\"$stdDevPop\": \"$x\"}", "{\"$stdDevSamp\": \"$x\"}",
		"{\"$firstN\": {\"n\": 2, \"input\": \"$x\"}}", "{\"$lastN\": {\"n\": 2, \"input\": \"$x\"}}",
		"{\"$minN\": {\"n\": 2, \"input\": \"$x\"}}", "{\"$maxN\": {\"n\": 2, \"input\": \"$x\"}}",
		"{\"$topN\": {\"n\": 2, \"sortBy\": {\"s\": 1}, \"output\": \"$x\"}}",
		"{\"$bottomN\": {\"n\": 2, \"sortBy\": {\"s\": 1, \"x\": -1, \"a\": 1, \"b\": 1, \"c\": 1}, \"output\": \"$x\"}}",
		"{\"$top\": {\"sortBy\": {\"s\": -1}, \"output\": \"$x\"}}",
		"{\"$bottom\": {\"sortBy\": {\"s\": -1}, \"output\": [\"$x\", \"$s\"]}}",
		NULL
	};
	docs		ds = parse_docs("[{\"x\": 3, \"s\": 1}, {\"s\": 2}, {\"x\": \"str\", \"s\": 2}, {\"x\": 1.5, \"s\": 0},"
								" {\"x\": [1, 2], \"s\": 3}, {\"x\": 3, \"s\": 1}, {\"x\": null}]");
	int			i,
				k,
				bad = 0;

	for (i = 0; specs[i]; i++)
	{
		runner		r;
		void	   *a,
				   *b,
				   *c;
		char	   *ra,
				   *rb,
				   *rc;

		if (!runner_init(&r, specs[i]))
		{
			bad++;
			continue;
		}
		a = state_new(&r);
		b = state_new(&r);
		c = state_new(&r);
		for (k = 0; k < ds.n; k++)
		{
			asp_accum_input in;

			asp_arena_reset(r.arena);
			asp_eval_ctx_new_document(&r.ctx);
			asp_eval_ctx_set_root(&r.ctx, bson_get_data(ds.d[k]), ds.d[k]->len);
			if (!r.a.def->eval(&r.a, &r.ctx, &in) ||
				!r.a.def->apply(&r.a, a, &in, &r.ctx) || !r.a.def->apply(&r.a, b, &in, &r.ctx))
				bad++;
		}
		add_range(&r, c, &ds, 0, ds.n);
		ra = result_json(&r, a);
		rb = result_json(&r, b);
		rc = result_json(&r, c);
		if (ra == NULL || rb == NULL || rc == NULL || strcmp(ra, rb) != 0 || strcmp(ra, rc) != 0)
		{
			bad++;
			diag("%s: eval+apply %s, again %s, add %s", specs[i], ra ? ra : "-", rb ? rb : "-",
				 rc ? rc : "-");
		}
		bson_free(ra);
		bson_free(rb);
		bson_free(rc);
		state_free(&r, a);
		state_free(&r, b);
		state_free(&r, c);
		runner_done(&r);
	}
	ok(bad == 0, "one evaluated input applied to two states == add(), for every accumulator");

	{
		runner		r;
		asp_accum_input in;
		void	   *st;
		char	   *got;

		runner_init(&r, "{\"$bottomN\": {\"n\": 2, \"sortBy\": {\"s\": 1, \"x\": -1, \"a\": 1, \"b\": 1}, \"output\": \"$x\"}}");
		asp_eval_ctx_new_document(&r.ctx);
		asp_eval_ctx_set_root(&r.ctx, bson_get_data(ds.d[0]), ds.d[0]->len);
		ok(r.a.def->eval(&r.a, &r.ctx, &in) && in.n == 5 && asp_accum_input_vals(&in) == in.ext &&
		   in.ext[1].value_type == BSON_TYPE_INT32 && in.ext[2].value_type == BSON_TYPE_NULL &&
		   in.ext[4].value.v_int32 == 3,
		   "$bottomN with 4 sort keys: 5 values (keys, output) in the arena");
		runner_done(&r);

		runner_init(&r, "{\"$topN\": {\"n\": 2, \"sortBy\": {\"s\": 1, \"x\": -1}, \"output\": \"$x\"}}");
		asp_eval_ctx_new_document(&r.ctx);
		asp_eval_ctx_set_root(&r.ctx, bson_get_data(ds.d[0]), ds.d[0]->len);
		ok(r.a.def->eval(&r.a, &r.ctx, &in) && in.n == 3 && asp_accum_input_vals(&in) == in.v &&
		   in.v[0].value.v_int32 == 1 && in.v[2].value.v_int32 == 3,
		   "$topN with 2 sort keys: 3 values inline");
		runner_done(&r);

		runner_init(&r, "{\"$push\": {\"$divide\": [1, \"$x\"]}}");
		st = state_new(&r);
		asp_error_init(&r.err);
		asp_eval_ctx_new_document(&r.ctx);
		asp_eval_ctx_set_root(&r.ctx, bson_get_data(ds.d[6]), ds.d[6]->len);
		ok(r.a.def->eval(&r.a, &r.ctx, &in), "eval of {$divide: [1, null]} gives null");
		ok(r.a.def->apply(&r.a, st, &in, &r.ctx), "and apply takes it");
		{
			bson_t	   *zero = BCON_NEW("x", BCON_INT32(0));

			asp_eval_ctx_new_document(&r.ctx);
			asp_eval_ctx_set_root(&r.ctx, bson_get_data(zero), zero->len);
			ok(!r.a.def->eval(&r.a, &r.ctx, &in) && strstr(r.err.message, "divide by zero"),
			   "eval reports an operand error: %s", r.err.message);
			bson_destroy(zero);
		}
		got = result_json(&r, st);
		ok(got && strstr(got, "[ null ]") != NULL, "the state only has what was applied: %s",
		   got ? got : "null");
		bson_free(got);
		state_free(&r, st);
		runner_done(&r);
	}
	free_docs(&ds);
}

/* test_compile_errors: every compile error of asp_accum_compile */
static void
test_compile_errors(void)
{
	const asp_accum_def *d;

	d = asp_accum_find("$sum", 4);
	ok(d != NULL && strcmp(d->name, "$sum") == 0, "asp_accum_find $sum");
	ok(asp_accum_find("$sumx", 5) == NULL && asp_accum_find("$su", 3) == NULL, "asp_accum_find rejects near names");
	ok(asp_accum_find("$bottomN", 8) && asp_accum_find("$stdDevSamp", 11) && asp_accum_find("$addToSet", 9),
	   "asp_accum_find knows $bottomN, $stdDevSamp, $addToSet");

	expect_compile_error("1", ASP_ERR_INVALID, "the field 'f' must be an accumulator object");
	expect_compile_error("{}", ASP_ERR_INVALID, "must be an accumulator object");
	expect_compile_error("{\"sum\": 1}", ASP_ERR_INVALID, "must be an accumulator object");
	expect_compile_error("{\"$sum\": 1, \"$avg\": 1}", ASP_ERR_INVALID, "must specify one accumulator");
	expect_compile_error("{\"$sum\": [1, 2]}", ASP_ERR_INVALID, "the $sum accumulator is a unary operator");
	expect_compile_error("{\"$push\": [\"$a\"]}", ASP_ERR_INVALID, "the $push accumulator is a unary operator");
	expect_compile_error("{\"$foo\": 1}", ASP_ERR_INVALID, "unknown group operator '$foo'");
	{
		asp_accum	a;
		asp_error	err;

		compile_acc("{\"$foo\": 1}", &a, &err);
		ok(strstr(err.hint, "$sum") && strstr(err.hint, "$topN"), "unknown operator hint lists valid ones");
	}
	expect_compile_error("{\"$accumulator\": {\"init\": \"function() {}\"}}", ASP_ERR_UNSUPPORTED,
						 "$accumulator is not supported: JavaScript is not available in stream processing");
	expect_compile_error("{\"$function\": {\"body\": \"x\"}}", ASP_ERR_UNSUPPORTED,
						 "$function is not supported: JavaScript is not available");
	expect_compile_error("{\"$mergeObjects\": \"$a\"}", ASP_ERR_UNSUPPORTED, "not supported");
	expect_compile_error("{\"$sum\": {\"$nope\": 1}}", ASP_ERR_INVALID, "$nope");
	expect_compile_error("{\"$sum\": \"$\"}", ASP_ERR_INVALID, "field path");
	expect_compile_error_f("a.b", "{\"$sum\": 1}", ASP_ERR_INVALID, "cannot contain '.'");
	expect_compile_error_f("$a", "{\"$sum\": 1}", ASP_ERR_INVALID, "cannot be an operator name");
	expect_compile_error("{\"$count\": 1}", ASP_ERR_INVALID, "$count takes no arguments");
	expect_compile_error("{\"$count\": {\"a\": 1}}", ASP_ERR_INVALID, "$count takes no arguments");
	/* the N family */
	expect_compile_error("{\"$firstN\": 3}", ASP_ERR_INVALID, "specification must be an object");
	expect_compile_error("{\"$firstN\": {\"input\": \"$x\"}}", ASP_ERR_INVALID, "missing value for 'n'");
	expect_compile_error("{\"$lastN\": {\"n\": 2}}", ASP_ERR_INVALID, "missing value for 'input'");
	expect_compile_error("{\"$minN\": {\"n\": 2, \"input\": \"$x\", \"z\": 1}}", ASP_ERR_INVALID,
						 "unknown argument for 'n' operator: z");
	expect_compile_error("{\"$maxN\": {\"n\": 2, \"output\": \"$x\"}}", ASP_ERR_INVALID,
						 "unknown argument for 'n' operator: output");
	expect_compile_error("{\"$maxN\": {\"n\": 0, \"input\": \"$x\"}}", ASP_ERR_INVALID, "'n' must be greater than 0, found 0");
	expect_compile_error("{\"$maxN\": {\"n\": -3, \"input\": \"$x\"}}", ASP_ERR_INVALID, "greater than 0");
	expect_compile_error("{\"$maxN\": {\"n\": 1.5, \"input\": \"$x\"}}", ASP_ERR_INVALID, "must be of integral type");
	expect_compile_error("{\"$maxN\": {\"n\": \"two\", \"input\": \"$x\"}}", ASP_ERR_INVALID, "must be of integral type");
	expect_compile_error("{\"$maxN\": {\"n\": null, \"input\": \"$x\"}}", ASP_ERR_INVALID, "must be of integral type");
	expect_compile_error("{\"$topN\": {\"n\": 2, \"output\": \"$x\"}}", ASP_ERR_INVALID, "missing value for 'sortBy'");
	expect_compile_error("{\"$topN\": {\"n\": 2, \"sortBy\": {\"a\": 1}}}", ASP_ERR_INVALID, "missing value for 'output'");
	expect_compile_error("{\"$topN\": {\"sortBy\": {\"a\": 1}, \"output\": \"$x\"}}", ASP_ERR_INVALID, "missing value for 'n'");
	expect_compile_error("{\"$topN\": {\"n\": 2, \"sortBy\": {\"a\": 1}, \"output\": \"$x\", \"input\": 1}}",
						 ASP_ERR_INVALID, "unknown argument to $topN 'input'");
	expect_compile_error("{\"$top\": {\"n\": 2, \"sortBy\": {\"a\": 1}, \"output\": \"$x\"}}", ASP_ERR_INVALID,
						 "unknown argument to $top 'n'");
	expect_compile_error("{\"$bottom\": {\"sortBy\": 1, \"output\": \"$x\"}}", ASP_ERR_INVALID, "'sortBy' must be an object");
	expect_compile_error("{\"$bottomN\": {\"n\": 1, \"sortBy\": {}, \"output\": \"$x\"}}", ASP_ERR_INVALID,
						 "at least one sort key");
	expect_compile_error("{\"$bottomN\": {\"n\": 1, \"sortBy\": {\"a\": 2}, \"output\": \"$x\"}}", ASP_ERR_INVALID,
						 "must be 1 (for ascending) or -1");
	expect_compile_error("{\"$bottomN\": {\"n\": 1, \"sortBy\": {\"a\": {\"$meta\": \"textScore\"}}, \"output\": \"$x\"}}",
						 ASP_ERR_UNSUPPORTED, "$meta");
	expect_compile_error("{\"$topN\": {\"n\": 1, \"sortBy\": {\"a\": 1}, \"output\": {\"$nope\": 1}}}",
						 ASP_ERR_INVALID, "$nope");
	expect_compile_error("{\"$topN\": {\"n\": {\"$nope\": 1}, \"sortBy\": {\"a\": 1}, \"output\": 1}}",
						 ASP_ERR_INVALID, "$nope");
	{
		asp_accum	a;
		asp_error	err;

		compile_acc("{\"$topN\": {\"n\": 2, \"output\": \"$x\"}}", &a, &err);
		ok(strstr(err.message, "$topN for field 'f'") != NULL, "N-family errors name the accumulator and field: %s",
		   err.message);
	}
}

/* test_state_sizes: inline states stay small */
static void
test_state_sizes(void)
{
	static const char *const small[] = {"$sum", "$avg", "$count", "$min", "$max", "$first", "$last",
	"$stdDevPop", "$stdDevSamp", NULL};
	static const char *const all[] = {"$sum", "$avg", "$count", "$min", "$max", "$first", "$last",
		"$push", "$addToSet", "$stdDevPop", "$stdDevSamp", "$top", "$bottom", "$topN", "$bottomN",
	"$firstN", "$lastN", "$minN", "$maxN", NULL};
	int			i;
	bool		good = true;

	for (i = 0; small[i]; i++)
	{
		const asp_accum_def *d = asp_accum_find(small[i], strlen(small[i]));

		if (d == NULL || d->state_size > 48)
			good = false;
		diag("%s state_size %zu", small[i], d ? d->state_size : 0);
	}
	ok(good, "numeric / single-value accumulator states are at most 48 bytes");
	good = true;
	for (i = 0; all[i]; i++)
	{
		const asp_accum_def *d = asp_accum_find(all[i], strlen(all[i]));

		if (d == NULL || d->state_size % 8 != 0 || d->state_size > 64)
			good = false;
	}
	ok(good, "every state is a multiple of 8 bytes and at most 64");
	ok(asp_accum_find("$avg", 4)->state_size + asp_accum_find("$max", 4)->state_size +
	   asp_accum_find("$sum", 4)->state_size <= 160,
	   "$avg + $max + $sum states leave room for the _id in 256 bytes");
	{
		acc_list	l;

		memset(&l, 0, sizeof(l));
		ok(!acc_list_reserve(&l, (size_t) ACC_MAX_BYTES + 1) && l.data == NULL,
		   "a list refuses to grow past the 100 MiB limit");
	}
}

/* test_mem_size: heap accounting */
static void
test_mem_size(void)
{
	runner		r;
	docs		ds = parse_docs("[{\"x\": 1}, {\"x\": 2.5}, {\"x\": \"a string value\"}, {\"x\": [1, 2, 3]}]");
	void	   *st;

	runner_init(&r, "{\"$sum\": \"$x\"}");
	st = state_new(&r);
	add_range(&r, st, &ds, 0, ds.n);
	ok(r.a.def->mem_size(&r.a, st) == 0, "$sum holds no heap memory");
	state_free(&r, st);
	runner_done(&r);

	runner_init(&r, "{\"$max\": \"$x\"}");
	st = state_new(&r);
	add_range(&r, st, &ds, 0, 2);
	ok(r.a.def->mem_size(&r.a, st) == 0, "$max of numbers holds no heap memory");
	add_range(&r, st, &ds, 2, 4);
	ok(r.a.def->mem_size(&r.a, st) > 0, "$max of an array holds heap memory");
	state_free(&r, st);
	runner_done(&r);

	runner_init(&r, "{\"$push\": \"$x\"}");
	st = state_new(&r);
	ok(r.a.def->mem_size(&r.a, st) == 0, "an empty $push holds nothing");
	add_range(&r, st, &ds, 0, ds.n);
	ok(r.a.def->mem_size(&r.a, st) >= 40, "$push reports its buffer (%zu bytes)", r.a.def->mem_size(&r.a, st));
	state_free(&r, st);
	runner_done(&r);

	runner_init(&r, "{\"$addToSet\": \"$x\"}");
	st = state_new(&r);
	add_range(&r, st, &ds, 0, ds.n);
	ok(r.a.def->mem_size(&r.a, st) >= 40 + 16 * 8, "$addToSet reports buffer and hash table");
	state_free(&r, st);
	runner_done(&r);
	free_docs(&ds);
}

/* test_encoding: owned copies of every BSON type are byte-exact */
static void
test_encoding(void)
{
	bson_t	   *b = bson_new();
	bson_t		sub;
	bson_oid_t	oid;
	bson_decimal128_t dec;
	uint8_t		bin[5] = {1, 0, 2, 3, 4};
	bson_iter_t it;
	int			bad_bytes = 0,
				bad_val = 0,
				n = 0;

	bson_oid_init_from_string(&oid, "0123456789abcdef01234567");
	bson_decimal128_from_string("-12.345E-7", &dec);
	BSON_APPEND_DOUBLE(b, "d", -2.5);
	bson_append_utf8(b, "s", 1, "with\0nul", 8);
	BSON_APPEND_UTF8(b, "e", "");
	bson_append_document_begin(b, "o", 1, &sub);
	BSON_APPEND_INT32(&sub, "k", 1);
	bson_append_document_end(b, &sub);
	bson_append_array_begin(b, "a", 1, &sub);
	BSON_APPEND_UTF8(&sub, "0", "x");
	bson_append_array_end(b, &sub);
	bson_append_binary(b, "b0", 2, BSON_SUBTYPE_BINARY, bin, 5);
	bson_append_binary(b, "b2", 2, BSON_SUBTYPE_BINARY_DEPRECATED, bin, 5);
	bson_append_binary(b, "b4", 2, BSON_SUBTYPE_UUID, bin, 0);
	BSON_APPEND_UNDEFINED(b, "u");
	BSON_APPEND_OID(b, "i", &oid);
	BSON_APPEND_BOOL(b, "t", true);
	BSON_APPEND_DATE_TIME(b, "dt", -1234567);
	BSON_APPEND_NULL(b, "n");
	BSON_APPEND_REGEX(b, "r", "^a.*b$", "im");
	bson_append_dbpointer(b, "p", 1, "db.coll", &oid);
	BSON_APPEND_CODE(b, "c", "function() {}");
	BSON_APPEND_SYMBOL(b, "y", "sym");
	bson_append_code_with_scope(b, "w", 1, "x + 1", &sub);
	BSON_APPEND_INT32(b, "i32", -7);
	BSON_APPEND_TIMESTAMP(b, "ts", 1700000000, 42);
	BSON_APPEND_INT64(b, "i64", INT64_MIN);
	BSON_APPEND_DECIMAL128(b, "dec", &dec);
	BSON_APPEND_MINKEY(b, "mn");
	BSON_APPEND_MAXKEY(b, "mx");

	bson_iter_init(&it, b);
	while (bson_iter_next(&it))
	{
		const bson_value_t *v = bson_iter_value(&it);
		bson_t		ref = BSON_INITIALIZER;
		size_t		size = acc_entry_size(v, 1);
		uint8_t    *buf = malloc(size);
		acc_val		h;
		bson_value_t back;

		n++;
		bson_append_value(&ref, "", 0, v);
		if (acc_entry_write(buf, v, 1) != buf + size || size != ref.len ||
			memcmp(buf, bson_get_data(&ref), size) != 0)
		{
			bad_bytes++;
			diag("encoding of '%s' differs from libbson", bson_iter_key(&it));
		}
		memset(&h, 0, sizeof(h));
		acc_val_set(&h, v);
		acc_val_set(&h, v);		/* reuse of the heap copy */
		acc_val_get(&h, &back);
		if (back.value_type != v->value_type || asp_value_compare(&back, v) != 0)
		{
			bad_val++;
			diag("acc_val round trip of '%s' failed", bson_iter_key(&it));
		}
		acc_val_free(&h);
		bson_destroy(&ref);
		free(buf);
	}
	ok(n == 24 && bad_bytes == 0, "entry encoding of all %d BSON types matches libbson byte for byte", n);
	ok(bad_val == 0, "acc_val keeps every BSON type");
	bson_destroy(b);
}

/* test_deserialize_errors: malformed checkpoint states are rejected */
static void
test_deserialize_errors(void)
{
	static const char *const specs[] = {
		"{\"$sum\": \"$x\"}", "{\"$avg\": \"$x\"}", "{\"$count\": {}}", "{\"$min\": \"$x\"}",
		"{\"$push\": \"$x\"}", "{\"$addToSet\": \"$x\"}", "{\"$stdDevPop\": \"$x\"}",
		"{\"$topN\": {\"n\": 2, \"sortBy\": {\"s\": 1}, \"output\": \"$x\"}}",
		"{\"$firstN\": {\"n\": 2, \"input\": \"$x\"}}", NULL
	};
	int			i;
	int			bad = 0;

	for (i = 0; specs[i]; i++)
	{
		runner		r;
		void	   *st;
		bson_value_t v;
		asp_error	err;

		runner_init(&r, specs[i]);
		st = state_new(&r);
		asp_value_set_utf8(&v, "junk", 4);
		asp_error_init(&err);
		if (r.a.def->deserialize(&r.a, st, &v, &err) || err.code != ASP_ERR_INTERNAL ||
			strstr(err.message, "malformed") == NULL)
		{
			bad++;
			diag("%s accepted a string state (%s)", specs[i], err.message);
		}
		state_free(&r, st);
		runner_done(&r);
	}
	ok(bad == 0, "every accumulator rejects a malformed checkpoint state");
	{
		runner		r;
		void	   *st;
		bson_t	   *b = bson_new_from_json((const uint8_t *) "{\"s\": {\"n\": {\"$numberLong\": \"1\"}, \"v\": [[1, 2], [3, 4]]}}", -1, NULL);
		bson_iter_t it;
		asp_error	err;

		runner_init(&r, "{\"$topN\": {\"n\": 1, \"sortBy\": {\"s\": 1}, \"output\": \"$x\"}}");
		st = state_new(&r);
		bson_iter_init_find(&it, b, "s");
		asp_error_init(&err);
		ok(!r.a.def->deserialize(&r.a, st, bson_iter_value(&it), &err) && strstr(err.message, "more entries than n"),
		   "a $topN state with more entries than n is rejected");
		state_free(&r, st);
		runner_done(&r);
		bson_destroy(b);
	}
}


/* main: run the tests */
int
main(void)
{
	test_sum();
	test_avg_count();
	test_min_max();
	test_first_last();
	test_push_set();
	test_stddev();
	test_n_family();
	test_start_group();
	test_eval_apply();
	test_compile_errors();
	test_state_sizes();
	test_mem_size();
	test_encoding();
	test_deserialize_errors();
	return tap_done();
}
