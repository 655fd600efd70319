/*-------------------------------------------------------------------------
 *
 * test_group.c
 *	  TAP tests of the $group stage (stage_group.c) as a whole: a document
 *	  is taken atomically (a document whose key or any accumulator operand
 *	  fails is counted by no accumulator and creates no group), n of the N
 *	  accumulators is evaluated with the group key's fields as the
 *	  document, and state_add_multi gives what repeated state_add gives.
 *
 * The pipeline tests compile a $source + $tumblingWindow pipeline with
 * asp_pipeline_compile and run it with asp_exec_push_source and
 * asp_exec_finish; every input document has the same event time, so all
 * of them fall in one window.  Results are compared as canonical extended
 * JSON without _stream_meta.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>

#include "../../src/engine/exec.h"
#include "../../src/engine/json.h"
#include "../../src/engine/pipeline.h"
#include "../../src/engine/stage.h"
#include "json_util.h"
#include "tap.h"

#define MAX_OUT 256

typedef struct collected
{
	int			ndocs;
	char	   *docs[MAX_OUT];	/* canonical extended JSON, _stream_meta removed */
	int			ndlq;
	char	   *reasons[MAX_OUT];
} collected;

/* collect: the output callback */
static void
collect(void *ud, asp_output_kind kind, const uint8_t *doc, uint32_t len)
{
	collected  *c = ud;
	bson_t		b;
	bson_iter_t it;

	if (!bson_init_static(&b, doc, len))
		return;
	if (kind == ASP_OUTPUT_DOC)
	{
		bson_t		copy = BSON_INITIALIZER;

		if (c->ndocs >= MAX_OUT)
			return;
		bson_copy_to_excluding_noinit(&b, &copy, "_stream_meta", NULL);
		c->docs[c->ndocs++] = bson_as_canonical_extended_json(&copy, NULL);
		bson_destroy(&copy);
	}
	else if (c->ndlq < MAX_OUT)
	{
		bson_iter_t d;
		const char *reason = "";

		if (bson_iter_init(&it, &b) && bson_iter_find_descendant(&it, "errInfo.reason", &d) &&
			BSON_ITER_HOLDS_UTF8(&d))
			reason = bson_iter_utf8(&d, NULL);
		c->reasons[c->ndlq++] = strdup(reason);
	}
}

/* collected_free: free what collect gathered */
static void
collected_free(collected *c)
{
	int			i;

	for (i = 0; i < c->ndocs; i++)
		bson_free(c->docs[i]);
	for (i = 0; i < c->ndlq; i++)
		free(c->reasons[i]);
	memset(c, 0, sizeof(*c));
}

/* parse: JSON text (object or array) to BSON; aborts the test run on bad JSON */
static bson_t *
parse(const char *json)
{
	return test_parse_json(json, false);
}

/* canon_list: canonical JSON of each element of a JSON array of documents */
static int
canon_list(const char *json, char **out)
{
	return test_canon_list(parse(json), out, MAX_OUT, false);
}

/* same_docs: the collected documents are exactly the expected ones, in order */
static bool
same_docs(const collected *c, const char *want_json)
{
	char	   *want[MAX_OUT];
	int			n = canon_list(want_json, want);
	bool		same = (n == c->ndocs);
	int			i;

	for (i = 0; same && i < n; i++)
		same = strcmp(want[i], c->docs[i]) == 0;
	if (!same)
	{
		for (i = 0; i < n; i++)
			diag("want[%d] %s", i, want[i]);
		for (i = 0; i < c->ndocs; i++)
			diag("got[%d]  %s", i, c->docs[i]);
	}
	for (i = 0; i < n; i++)
		bson_free(want[i]);
	return same;
}

/* same_collected: two runs gave the same documents in the same order */
static bool
same_collected(const collected *a, const collected *b)
{
	int			i;

	if (a->ndocs != b->ndocs)
	{
		diag("%d documents against %d", a->ndocs, b->ndocs);
		return false;
	}
	for (i = 0; i < a->ndocs; i++)
	{
		if (strcmp(a->docs[i], b->docs[i]) != 0)
		{
			diag("[%d] %s", i, a->docs[i]);
			diag("[%d] %s", i, b->docs[i]);
			return false;
		}
	}
	return true;
}

/*
 * run_group: a tumbling window whose pipeline is [{$group: <group_json>}]
 * over the documents of input_json (a JSON array), all at one event
 * time; false if the pipeline does not compile.
 */
static bool
run_group(const char *group_json, const char *input_json, collected *c)
{
	const char *fmt = "[{\"$source\": {\"documents\": []}},"
		" {\"$tumblingWindow\": {\"interval\": {\"size\": 10, \"unit\": \"second\"},"
		" \"pipeline\": [{\"$group\": %s}]}}]";
	size_t		len = strlen(fmt) + strlen(group_json) + 1;
	char	   *text = malloc(len);
	bson_t	   *pb,
			   *in;
	asp_pipeline *p;
	asp_exec   *x;
	asp_error	err;
	bson_iter_t it;

	memset(c, 0, sizeof(*c));
	snprintf(text, len, fmt, group_json);
	pb = parse(text);
	free(text);
	asp_error_init(&err);
	p = asp_pipeline_compile(pb, NULL, &err);
	bson_destroy(pb);
	if (p == NULL)
	{
		diag("compile of %s failed: %s", group_json, err.message);
		return false;
	}
	x = asp_exec_new(p, collect, c);
	in = parse(input_json);
	bson_iter_init(&it, in);
	while (bson_iter_next(&it))
	{
		const uint8_t *data;
		uint32_t	dlen;

		bson_iter_document(&it, &dlen, &data);
		if (!asp_exec_push_source(x, data, dlen, 1700000001000LL, NULL))
			diag("fatal error: %s", asp_exec_error(x)->message);
	}
	if (!asp_exec_finish(x))
		diag("fatal error: %s", asp_exec_error(x)->message);
	bson_destroy(in);
	asp_exec_free(x);
	asp_pipeline_free(p);
	return true;
}

/*
 * expect_group: the $group over input gives exactly want (a JSON array)
 * and ndlq dead letters, each with a reason containing frag (if given).
 */
static void
expect_group(const char *what, const char *group_json, const char *input_json,
			 const char *want_json, int ndlq, const char *frag)
{
	collected	c;
	bool		good;
	int			i;

	if (!run_group(group_json, input_json, &c))
	{
		ok(0, "%s (does not compile)", what);
		return;
	}
	good = same_docs(&c, want_json);
	if (c.ndlq != ndlq)
	{
		diag("%d dead letters, want %d", c.ndlq, ndlq);
		good = false;
	}
	for (i = 0; i < c.ndlq; i++)
	{
		if (frag && strstr(c.reasons[i], frag) == NULL)
		{
			diag("dead letter %d: '%s' lacks '%s'", i, c.reasons[i], frag);
			good = false;
		}
	}
	ok(good, "%s", what);
	collected_free(&c);
}

/* ---------- atomicity ---------- */

/* test_atomic: a failing document is counted by no accumulator */
static void
test_atomic(void)
{
	const char *g = "{\"_id\": null, \"n\": {\"$sum\": 1}, \"vs\": {\"$push\": \"$v\"},"
		" \"s\": {\"$sum\": {\"$divide\": [1, \"$v\"]}}, \"m\": {\"$min\": \"$v\"}}";

	expect_group("v = 1, 0, 2: the document with v = 0 is counted by no accumulator", g,
				 "[{\"v\": 1}, {\"v\": 0}, {\"v\": 2}]",
				 "[{\"_id\": null, \"n\": 2, \"vs\": [1, 2], \"s\": 1.5, \"m\": 1}]",
				 1, "can't $divide by zero");
	expect_group("a failing first document does not start the group", g,
				 "[{\"v\": 0}, {\"v\": 4}, {\"v\": 0}]",
				 "[{\"_id\": null, \"n\": 1, \"vs\": [4], \"s\": 0.25, \"m\": 4}]",
				 2, "can't $divide by zero");
	expect_group("a failing document alone creates no group", g, "[{\"v\": 0}]", "[]", 1,
				 "can't $divide by zero");
	expect_group("a failing document that would be the only member of its group creates no group",
				 "{\"_id\": \"$k\", \"n\": {\"$count\": {}}, \"vs\": {\"$push\": \"$v\"},"
				 " \"s\": {\"$sum\": {\"$divide\": [1, \"$v\"]}}}",
				 "[{\"k\": \"a\", \"v\": 1}, {\"k\": \"b\", \"v\": 0}, {\"k\": \"a\", \"v\": 2}]",
				 "[{\"_id\": \"a\", \"n\": 2, \"vs\": [1, 2], \"s\": 1.5}]",
				 1, "can't $divide by zero");
	expect_group("a key that fails creates no group",
				 "{\"_id\": {\"$divide\": [6, \"$v\"]}, \"n\": {\"$sum\": 1}}",
				 "[{\"v\": 0}, {\"v\": 2}, {\"v\": 3}, {\"v\": 2}]",
				 "[{\"_id\": 3.0, \"n\": 2}, {\"_id\": 2.0, \"n\": 1}]",
				 1, "can't $divide by zero");
	/* the first failing accumulator decides the reason */
	expect_group("the reason is the first failing operand's",
				 "{\"_id\": null, \"a\": {\"$sum\": {\"$add\": [1, \"$s\"]}},"
				 " \"b\": {\"$sum\": {\"$divide\": [1, \"$v\"]}}}",
				 "[{\"s\": \"x\", \"v\": 0}]", "[]", 1, "$add only supports numeric or date types");
}

/*
 * test_atomic_every_accumulator: with failing documents mixed in, every
 * accumulator (placed before the failing operand) gives exactly what it
 * gives without those documents.
 */
static void
test_atomic_every_accumulator(void)
{
	const char *g = "{\"_id\": \"$k\","
		" \"sum\": {\"$sum\": \"$x\"}, \"avg\": {\"$avg\": \"$x\"}, \"cnt\": {\"$count\": {}},"
		" \"min\": {\"$min\": \"$x\"}, \"max\": {\"$max\": \"$x\"},"
		" \"first\": {\"$first\": \"$x\"}, \"last\": {\"$last\": \"$x\"},"
		" \"push\": {\"$push\": \"$x\"}, \"set\": {\"$addToSet\": \"$x\"},"
		" \"sdp\": {\"$stdDevPop\": \"$x\"}, \"sds\": {\"$stdDevSamp\": \"$x\"},"
		" \"fn\": {\"$firstN\": {\"n\": 2, \"input\": \"$x\"}},"
		" \"ln\": {\"$lastN\": {\"n\": 2, \"input\": \"$x\"}},"
		" \"mn\": {\"$minN\": {\"n\": 2, \"input\": \"$x\"}},"
		" \"xn\": {\"$maxN\": {\"n\": 2, \"input\": \"$x\"}},"
		" \"tn\": {\"$topN\": {\"n\": 2, \"sortBy\": {\"x\": -1}, \"output\": \"$x\"}},"
		" \"bn\": {\"$bottomN\": {\"n\": 2, \"sortBy\": {\"x\": -1, \"k\": 1, \"a\": 1, \"b\": 1}, \"output\": \"$x\"}},"
		" \"top\": {\"$top\": {\"sortBy\": {\"x\": 1}, \"output\": \"$x\"}},"
		" \"bot\": {\"$bottom\": {\"sortBy\": {\"x\": 1}, \"output\": \"$x\"}},"
		" \"inv\": {\"$sum\": {\"$divide\": [1, \"$d\"]}}}";
	const char *with = "[{\"k\": 1, \"x\": 5, \"d\": 1}, {\"k\": 1, \"x\": 100, \"d\": 0},"
		" {\"k\": 2, \"x\": -7, \"d\": 0}, {\"k\": 1, \"x\": 3, \"d\": 2}, {\"k\": 2, \"x\": 8, \"d\": 4},"
		" {\"k\": 1, \"x\": -100, \"d\": 0}, {\"k\": 3, \"x\": 1, \"d\": 0}, {\"k\": 1, \"x\": 4, \"d\": 1},"
		" {\"k\": 2, \"x\": 99, \"d\": 0}]";
	const char *without = "[{\"k\": 1, \"x\": 5, \"d\": 1}, {\"k\": 1, \"x\": 3, \"d\": 2},"
		" {\"k\": 2, \"x\": 8, \"d\": 4}, {\"k\": 1, \"x\": 4, \"d\": 1}]";
	collected	a,
				b;

	if (!run_group(g, with, &a) || !run_group(g, without, &b))
	{
		ok(0, "every accumulator: compile");
		return;
	}
	ok(same_collected(&a, &b) && a.ndocs == 2,
	   "every accumulator gives the result without the failing documents (2 groups)");
	ok(a.ndlq == 5 && b.ndlq == 0, "the 5 failing documents are dead letters (%d)", a.ndlq);
	collected_free(&a);
	collected_free(&b);
}

/* ---------- n of the N accumulators ---------- */

/* test_n_from_key: n is evaluated with the group key's fields as the document */
static void
test_n_from_key(void)
{
	const char *docs = "[{\"k\": \"a\", \"x\": 1}, {\"k\": \"b\", \"x\": 2}, {\"k\": \"a\", \"x\": 3},"
		" {\"k\": \"b\", \"x\": 4}, {\"k\": \"b\", \"x\": 5}]";

	expect_group("n: {$cond: [{$eq: [\"$k\", \"a\"]}, 1, 2]} with _id {k: \"$k\"}",
				 "{\"_id\": {\"k\": \"$k\"}, \"f\": {\"$firstN\": {\"n\": {\"$cond\": [{\"$eq\": [\"$k\", \"a\"]}, 1, 2]},"
				 " \"input\": \"$x\"}}}", docs,
				 "[{\"_id\": {\"k\": \"a\"}, \"f\": [1]}, {\"_id\": {\"k\": \"b\"}, \"f\": [2, 4]}]", 0, NULL);
	expect_group("n: \"$k\" with _id {k: \"$k\"}: k = 2 gives n = 2, k = 0 fails and creates no group",
				 "{\"_id\": {\"k\": \"$k\"}, \"c\": {\"$sum\": 1}, \"l\": {\"$lastN\": {\"n\": \"$k\", \"input\": \"$x\"}}}",
				 "[{\"k\": 2, \"x\": 1}, {\"k\": 0, \"x\": 2}, {\"k\": 2, \"x\": 3}, {\"k\": 2, \"x\": 4},"
				 " {\"k\": 0, \"x\": 5}, {\"k\": 1, \"x\": 6}]",
				 "[{\"_id\": {\"k\": 2}, \"c\": 3, \"l\": [3, 4]}, {\"_id\": {\"k\": 1}, \"c\": 1, \"l\": [6]}]",
				 2, "'n' must be greater than 0, found 0");
	expect_group("n: \"$k\" with a scalar _id is evaluated against {}",
				 "{\"_id\": \"$k\", \"l\": {\"$maxN\": {\"n\": \"$k\", \"input\": \"$x\"}}}",
				 "[{\"k\": 2, \"x\": 1}, {\"k\": 2, \"x\": 3}]", "[]", 2,
				 "Value for 'n' must be of integral type, but found missing");
	expect_group("n: 2 with a scalar _id: a constant n does not need the key",
				 "{\"_id\": \"$k\", \"l\": {\"$maxN\": {\"n\": {\"$add\": [1, 1]}, \"input\": \"$x\"}}}",
				 "[{\"k\": 2, \"x\": 1}, {\"k\": 2, \"x\": 3}, {\"k\": 2, \"x\": 2}]",
				 "[{\"_id\": 2, \"l\": [3, 2]}]", 0, NULL);
	expect_group("$topN: n from a nested key field; $$ROOT is the key",
				 "{\"_id\": {\"g\": {\"n\": \"$n\"}}, \"t\": {\"$topN\": {\"n\": \"$g.n\","
				 " \"sortBy\": {\"x\": -1}, \"output\": \"$x\"}},"
				 " \"r\": {\"$firstN\": {\"n\": {\"$size\": {\"$objectToArray\": \"$$ROOT\"}}, \"input\": \"$x\"}}}",
				 "[{\"n\": 2, \"x\": 1}, {\"n\": 2, \"x\": 3}, {\"n\": 2, \"x\": 2}, {\"n\": 1, \"x\": 7},"
				 " {\"n\": 1, \"x\": 9}]",
				 "[{\"_id\": {\"g\": {\"n\": 2}}, \"t\": [3, 2], \"r\": [1]},"
				 " {\"_id\": {\"g\": {\"n\": 1}}, \"t\": [9], \"r\": [7]}]", 0, NULL);
	expect_group("n: \"$_id\" is not the key",
				 "{\"_id\": {\"k\": \"$k\"}, \"f\": {\"$firstN\": {\"n\": \"$_id\", \"input\": \"$x\"}}}",
				 "[{\"k\": 1, \"x\": 1}]", "[]", 1, "but found missing");
}

/* ---------- state_add_multi ---------- */

/* compile_group_stage: a $group stage alone, as inside a window */
static asp_stage *
compile_group_stage(const char *group_json)
{
	bson_t	   *b = parse(group_json);
	bson_value_t v;
	asp_stage_compile_ctx cc;
	asp_error	err;
	asp_stage  *s;

	asp_error_init(&err);
	asp_value_set_doc(&v, BSON_TYPE_DOCUMENT, bson_get_data(b), b->len);
	cc.err = &err;
	cc.index = 0;
	cc.where = "pipeline[0]";
	cc.in_window = true;
	s = asp_compile_inner_stage("$group", &v, &cc);
	if (s == NULL)
		diag("compile of %s failed: %s", group_json, err.message);
	bson_destroy(b);
	return s;
}

#define NSTATES 4

/*
 * test_add_multi: state_add_multi into NSTATES states gives the results
 * that state_add into each of them gives, with states that already hold
 * some of the groups, new groups, groups whose n fails and failing
 * operands; a failing document is dead-lettered once.
 */
static void
test_add_multi(void)
{
	const char *g = "{\"_id\": {\"k\": \"$k\"}, \"n\": {\"$sum\": 1}, \"avg\": {\"$avg\": \"$x\"},"
		" \"max\": {\"$max\": \"$x\"}, \"push\": {\"$push\": \"$x\"}, \"set\": {\"$addToSet\": \"$s\"},"
		" \"first\": {\"$first\": \"$s\"}, \"ln\": {\"$lastN\": {\"n\": \"$k\", \"input\": \"$x\"}},"
		" \"tn\": {\"$topN\": {\"n\": {\"$add\": [\"$k\", 1]}, \"sortBy\": {\"x\": -1, \"s\": 1}, \"output\": [\"$x\", \"$s\"]}},"
		" \"inv\": {\"$sum\": {\"$divide\": [1, \"$x\"]}}}";
	bson_t	   *in;
	bson_iter_t it;
	asp_stage  *s = compile_group_stage(g);
	asp_exec   *xa,
			   *xb;
	collected	ca,
				cb;
	void	   *sa[NSTATES],
			   *sb[NSTATES];
	int			ndoc = 0,
				nfail = 0,
				i;
	bool		same = true;
	char		json[16384];
	size_t		o = 0;

	if (s == NULL)
	{
		ok(0, "state_add_multi: compile");
		return;
	}
	if (!ok(s->bops->state_add_multi != NULL, "$group has state_add_multi"))
	{
		asp_stage_free(s);
		return;
	}
	/* 60 documents over keys 0..4 (k = 0 makes n fail), x = 0 fails the operand */
	o += (size_t) snprintf(json + o, sizeof(json) - o, "[");
	for (i = 0; i < 60; i++)
		o += (size_t) snprintf(json + o, sizeof(json) - o,
							   "%s{\"k\": %d, \"x\": %d, \"s\": \"s%d\"}", i ? ", " : "",
							   (i * 7) % 5, (i * 13) % 11 - 3, i % 4);
	snprintf(json + o, sizeof(json) - o, "]");
	in = parse(json);

	memset(&ca, 0, sizeof(ca));
	memset(&cb, 0, sizeof(cb));
	xa = asp_exec_new_chain(s, collect, &ca);
	xb = asp_exec_new_chain(s, collect, &cb);
	for (i = 0; i < NSTATES; i++)
	{
		sa[i] = s->bops->state_new(s);
		sb[i] = s->bops->state_new(s);
	}
	bson_iter_init(&it, in);
	while (bson_iter_next(&it))
	{
		const uint8_t *data;
		uint32_t	dlen;
		int			before = cb.ndlq;

		bson_iter_document(&it, &dlen, &data);
		/* document d goes to states d % NSTATES .. NSTATES - 1, the window way */
		for (i = ndoc % NSTATES; i < NSTATES; i++)
		{
			asp_exec_reset_arena(xa);
			asp_eval_ctx_new_document(asp_exec_ctx(xa));
			s->bops->state_add(s, sa[i], xa, data, dlen);
		}
		asp_exec_reset_arena(xb);
		asp_eval_ctx_new_document(asp_exec_ctx(xb));
		s->bops->state_add_multi(s, sb + ndoc % NSTATES, NSTATES - ndoc % NSTATES, xb, data, dlen);
		if (cb.ndlq > before + 1)
			same = false;
		nfail += cb.ndlq - before;
		ndoc++;
	}
	ok(same, "state_add_multi dead-letters a document at most once");
	for (i = 0; i < NSTATES; i++)
	{
		collected	ra,
					rb;

		memset(&ra, 0, sizeof(ra));
		memset(&rb, 0, sizeof(rb));
		collected_free(&ca);
		collected_free(&cb);
		asp_exec_reset_arena(xa);
		s->bops->state_emit(s, sa[i], xa);
		asp_exec_reset_arena(xb);
		s->bops->state_emit(s, sb[i], xb);
		if (!same_collected(&ca, &cb) || ca.ndocs != 4)
		{
			diag("state %d differs (%d and %d groups)", i, ca.ndocs, cb.ndocs);
			same = false;
		}
		if (i == 0)
			diag("state 0, first group: %s", ca.ndocs ? ca.docs[0] : "none");
		if (s->bops->state_bytes(s, sa[i]) != s->bops->state_bytes(s, sb[i]))
		{
			diag("state %d: %zu bytes against %zu", i, s->bops->state_bytes(s, sa[i]),
				 s->bops->state_bytes(s, sb[i]));
			same = false;
		}
		s->bops->state_free(s, sa[i]);
		s->bops->state_free(s, sb[i]);
	}
	ok(same, "state_add_multi into %d states == state_add into each (results and memory)", NSTATES);
	ok(nfail > 0 && nfail < ndoc, "some documents failed (%d of %d)", nfail, ndoc);
	collected_free(&ca);
	collected_free(&cb);
	asp_exec_free(xa);
	asp_exec_free(xb);
	asp_stage_free(s);
	bson_destroy(in);
}

/* main: run the tests */
int
main(void)
{
	test_atomic();
	test_atomic_every_accumulator();
	test_n_from_key();
	test_add_multi();
	return tap_done();
}
