/*-------------------------------------------------------------------------
 *
 * test_stages.c
 *	  TAP tests of the document stages: $match, $validate, $project,
 *	  $addFields / $set, $unset, $replaceRoot, $replaceWith, $unwind and
 *	  $redact.
 *
 * Each test compiles a chain of stages from JSON with
 * asp_compile_inner_stage, runs input documents through it with a chain
 * executor, and compares the output documents (as canonical extended
 * JSON, so field order and number types count) and the dead letter queue
 * entries (errInfo.reason, operatorName) with what MongoDB produces.
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

#define MAX_OUT 64

typedef struct collected
{
	int			ndocs;
	char	   *docs[MAX_OUT];	/* canonical extended JSON */
	int			ndlq;
	char	   *reasons[MAX_OUT];
	char	   *operators[MAX_OUT];
	char	   *dlq_docs[MAX_OUT];	/* the failed document, canonical JSON */
} collected;

/* collect: the output callback */
static void
collect(void *ud, asp_output_kind kind, const uint8_t *doc, uint32_t len)
{
	collected  *c = ud;
	bson_t		b;

	if (!bson_init_static(&b, doc, len))
		return;
	if (kind == ASP_OUTPUT_DOC)
	{
		if (c->ndocs < MAX_OUT)
			c->docs[c->ndocs++] = bson_as_canonical_extended_json(&b, NULL);
	}
	else if (c->ndlq < MAX_OUT)
	{
		bson_iter_t it,
					d;
		const char *reason = "",
				   *op = "";
		char	   *djson = NULL;

		if (bson_iter_init(&it, &b) && bson_iter_find_descendant(&it, "errInfo.reason", &d) &&
			BSON_ITER_HOLDS_UTF8(&d))
			reason = bson_iter_utf8(&d, NULL);
		if (bson_iter_init(&it, &b) && bson_iter_find(&it, "operatorName") &&
			BSON_ITER_HOLDS_UTF8(&it))
			op = bson_iter_utf8(&it, NULL);
		if (bson_iter_init(&it, &b) && bson_iter_find(&it, "doc") &&
			BSON_ITER_HOLDS_DOCUMENT(&it))
		{
			const uint8_t *data;
			uint32_t	dlen;
			bson_t		sub;

			bson_iter_document(&it, &dlen, &data);
			if (bson_init_static(&sub, data, dlen))
				djson = bson_as_canonical_extended_json(&sub, NULL);
		}
		c->reasons[c->ndlq] = strdup(reason);
		c->operators[c->ndlq] = strdup(op);
		c->dlq_docs[c->ndlq] = djson;
		c->ndlq++;
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
	{
		free(c->reasons[i]);
		free(c->operators[i]);
		bson_free(c->dlq_docs[i]);
	}
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

/* a compiled chain of stages */
typedef struct chain
{
	int			n;
	asp_stage  *stages[16];
} chain;

/* chain_free: free the stages of a chain */
static void
chain_free(chain *ch)
{
	int			i;

	for (i = 0; i < ch->n; i++)
		asp_stage_free(ch->stages[i]);
	ch->n = 0;
}

/*
 * compile_chain: compile a JSON array of stages; false with err filled
 * (stage index and name included) on a compile error.
 */
static bool
compile_chain(const char *stages_json, bool in_window, chain *ch, asp_error *err)
{
	bson_t	   *b = parse(stages_json);
	bson_iter_t it;
	int			idx = 0;
	bool		ok = true;

	ch->n = 0;
	asp_error_init(err);
	bson_iter_init(&it, b);
	while (bson_iter_next(&it))
	{
		bson_iter_t st;
		asp_stage_compile_ctx cc;
		char		where[32];
		asp_stage  *s;

		bson_iter_recurse(&it, &st);
		bson_iter_next(&st);
		snprintf(where, sizeof(where), "pipeline[%d]", idx);
		cc.err = err;
		cc.index = idx;
		cc.where = where;
		cc.in_window = in_window;
		s = asp_compile_inner_stage(bson_iter_key(&st), bson_iter_value(&st), &cc);
		if (s == NULL)
		{
			ok = false;
			break;
		}
		if (ch->n > 0)
			ch->stages[ch->n - 1]->next = s;
		ch->stages[ch->n++] = s;
		idx++;
	}
	bson_destroy(b);
	if (!ok)
		chain_free(ch);
	return ok;
}

/* run: compile stages, push every document of input (a JSON array) */
static bool
run(const char *stages_json, const char *input_json, collected *c, asp_error *err)
{
	chain		ch;
	asp_exec   *x;
	bson_t	   *in;
	bson_iter_t it;

	memset(c, 0, sizeof(*c));
	if (!compile_chain(stages_json, false, &ch, err))
		return false;
	x = asp_exec_new_chain(ch.stages[0], collect, c);
	in = parse(input_json);
	bson_iter_init(&it, in);
	while (bson_iter_next(&it))
	{
		const uint8_t *data;
		uint32_t	len;

		bson_iter_document(&it, &len, &data);
		if (!asp_exec_push_doc(x, data, len))
			diag("fatal error: %s", asp_exec_error(x)->message);
	}
	bson_destroy(in);
	asp_exec_free(x);
	chain_free(&ch);
	return true;
}

/* same_docs: the collected documents are exactly the expected ones */
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

/*
 * expect: stages on input give exactly the documents in want (a JSON
 * array) and no dead letters.
 */
static int
expect(const char *desc, const char *stages, const char *input, const char *want)
{
	collected	c;
	asp_error	err;
	int			r;

	if (!run(stages, input, &c, &err))
		return ok(0, "%s (compile error: %s)", desc, err.message);
	r = ok(same_docs(&c, want) && c.ndlq == 0, "%s", desc);
	if (c.ndlq > 0)
		diag("unexpected dead letter: %s", c.reasons[0]);
	collected_free(&c);
	return r;
}

/*
 * expect_dlq: stages on input give the documents in want, and exactly one
 * dead letter, from operator op, whose reason contains fragment.
 */
static int
expect_dlq(const char *desc, const char *stages, const char *input, const char *want,
		   const char *op, const char *fragment)
{
	collected	c;
	asp_error	err;
	int			r;

	if (!run(stages, input, &c, &err))
		return ok(0, "%s (compile error: %s)", desc, err.message);
	r = ok(same_docs(&c, want) && c.ndlq == 1 &&
		   strcmp(c.operators[0], op) == 0 && strstr(c.reasons[0], fragment) != NULL,
		   "%s", desc);
	if (!r)
	{
		int			i;

		diag("want one dead letter from %s with reason containing: %s", op, fragment);
		for (i = 0; i < c.ndlq; i++)
			diag("dead letter from %s: %s", c.operators[i], c.reasons[i]);
	}
	collected_free(&c);
	return r;
}

/*
 * expect_error: compiling stages fails with a message containing
 * fragment, at option path `path` (NULL: not checked) of stage `index`.
 */
static int
expect_error(const char *stages, const char *fragment, const char *path)
{
	chain		ch;
	asp_error	err;
	int			r;

	if (compile_chain(stages, false, &ch, &err))
	{
		chain_free(&ch);
		return ok(0, "%s fails with '%s' (but compiled)", stages, fragment);
	}
	r = ok(strstr(err.message, fragment) != NULL && (path == NULL || strcmp(err.path, path) == 0) &&
		   (err.code == ASP_ERR_INVALID || err.code == ASP_ERR_UNSUPPORTED),
		   "%s fails with '%s'", stages, fragment);
	if (!r)
		diag("error was: %s (path '%s', code %d)", err.message, err.path, err.code);
	return r;
}

/* ---------- $match ---------- */

/* test_match: $match */
static void
test_match(void)
{
	expect("$match equality", "[{\"$match\": {\"a\": 1}}]",
		   "[{\"a\": 1}, {\"a\": 2}, {\"b\": 1}, {\"a\": [3, 1]}]",
		   "[{\"a\": 1}, {\"a\": [3, 1]}]");
	expect("$match with operators and dotted path", "[{\"$match\": {\"s.t\": {\"$gt\": 10}, \"k\": {\"$in\": [\"x\", \"y\"]}}}]",
		   "[{\"s\": {\"t\": 11}, \"k\": \"x\"}, {\"s\": {\"t\": 9}, \"k\": \"x\"}, {\"s\": {\"t\": 20}, \"k\": \"z\"}]",
		   "[{\"s\": {\"t\": 11}, \"k\": \"x\"}]");
	expect("$match $expr", "[{\"$match\": {\"$expr\": {\"$gt\": [\"$a\", \"$b\"]}}}]",
		   "[{\"a\": 2, \"b\": 1}, {\"a\": 1, \"b\": 2}]",
		   "[{\"a\": 2, \"b\": 1}]");
	expect("$match {} passes everything", "[{\"$match\": {}}]",
		   "[{\"a\": 1}, {}]", "[{\"a\": 1}, {}]");
	expect_dlq("$match $expr runtime error goes to the DLQ",
			   "[{\"$match\": {\"$expr\": {\"$gt\": [{\"$divide\": [1, \"$d\"]}, 0]}}}]",
			   "[{\"d\": 0}, {\"d\": 1}]", "[{\"d\": 1}]", "$match", "divide by zero");
	expect_error("[{\"$match\": 5}]", "$match specification must be an object", NULL);
	expect_error("[{\"$match\": {\"$where\": \"this.a > 1\"}}]", "$where", NULL);
	expect_error("[{\"$match\": {\"a\": {\"$foo\": 1}}}]", "$foo", NULL);
	expect_error("[{\"$match\": {\"$text\": {\"$search\": \"x\"}}}]", "$text", NULL);
	expect_error("[{\"$match\": {\"loc\": {\"$near\": [0, 0]}}}]", "$near", NULL);
	expect_error("[{\"$validate\": {\"validator\": {\"loc\": {\"$nearSphere\": [0, 0]}}}}]", "$nearSphere", NULL);
}

/* ---------- $validate ---------- */

/* test_validate: $validate */
static void
test_validate(void)
{
	expect("$validate passes valid documents and discards others by default",
		   "[{\"$validate\": {\"validator\": {\"temp\": {\"$gte\": 0}}}}]",
		   "[{\"temp\": 5}, {\"temp\": -1}, {\"x\": 1}]", "[{\"temp\": 5}]");
	expect("$validate validationAction discard",
		   "[{\"$validate\": {\"validator\": {\"temp\": {\"$gte\": 0}}, \"validationAction\": \"discard\"}}]",
		   "[{\"temp\": -1}, {\"temp\": 1}]", "[{\"temp\": 1}]");
	expect_dlq("$validate validationAction dlq",
			   "[{\"$validate\": {\"validator\": {\"temp\": {\"$gte\": 0}}, \"validationAction\": \"dlq\"}}]",
			   "[{\"temp\": -1}, {\"temp\": 1}]", "[{\"temp\": 1}]", "$validate",
			   "input document found to be invalid in $validate stage: ");
	expect_dlq("$validate dlq reason names the failing field",
			   "[{\"$validate\": {\"validator\": {\"temp\": {\"$gte\": 0}}, \"validationAction\": \"dlq\"}}]",
			   "[{\"temp\": -1}]", "[]", "$validate", "temp");
	expect_dlq("$validate with a top-level $jsonSchema",
			   "[{\"$validate\": {\"validator\": {\"$jsonSchema\": {\"required\": [\"a\"], \"properties\": {\"a\": {\"bsonType\": \"int\"}}}}, \"validationAction\": \"dlq\"}}]",
			   "[{\"a\": 1}, {\"a\": \"x\"}]", "[{\"a\": 1}]", "$validate", "invalid");
	expect("$validate with $jsonSchema and discard",
		   "[{\"$validate\": {\"validator\": {\"$jsonSchema\": {\"required\": [\"a\"]}}}}]",
		   "[{\"b\": 1}, {\"a\": 2}]", "[{\"a\": 2}]");
	expect_dlq("$validate runtime error goes to the DLQ even with discard",
			   "[{\"$validate\": {\"validator\": {\"$expr\": {\"$divide\": [1, \"$d\"]}}}}]",
			   "[{\"d\": 0}, {\"d\": 2}]", "[{\"d\": 2}]", "$validate", "divide by zero");
	expect_error("[{\"$validate\": {\"validator\": {\"a\": 1}, \"validationAction\": \"warn\"}}]",
				 "'validationAction' must be \"discard\" or \"dlq\"", "validationAction");
	expect_error("[{\"$validate\": {\"validator\": {\"a\": 1}, \"validationAction\": 1}}]",
				 "'validationAction' must be", "validationAction");
	expect_error("[{\"$validate\": {\"validationAction\": \"dlq\"}}]",
				 "$validate requires a 'validator' option", NULL);
	expect_error("[{\"$validate\": {\"validator\": 5}}]", "'validator' must be an object", "validator");
	expect_error("[{\"$validate\": {\"validator\": {}, \"foo\": 1}}]",
				 "unrecognized option to $validate: foo", "foo");
	expect_error("[{\"$validate\": []}]", "$validate specification must be an object", NULL);
	expect_error("[{\"$validate\": {\"validator\": {\"$where\": \"1\"}}}]", "$where", NULL);
	{
		chain		ch;
		asp_error	err;

		ok(!compile_chain("[{\"$validate\": {\"validator\": {\"a\": {\"$foo\": 1}}}}]", false, &ch, &err) &&
		   strncmp(err.path, "validator", 9) == 0 && err.stage_index == 0 &&
		   strcmp(err.stage_name, "$validate") == 0,
		   "$validate compile error path starts with 'validator' (got '%s')", err.path);
	}
}

/* ---------- $project ---------- */

/* test_project: $project */
static void
test_project(void)
{
	const char *doc = "[{\"_id\": 1, \"b\": 2, \"a\": 1, \"c\": {\"d\": 4, \"e\": 5}}]";

	/* inclusion */
	expect("$project inclusion keeps input order and _id", "[{\"$project\": {\"a\": 1, \"b\": true}}]",
		   doc, "[{\"_id\": 1, \"b\": 2, \"a\": 1}]");
	expect("$project inclusion with non-zero numbers", "[{\"$project\": {\"a\": 2.5, \"b\": {\"$numberLong\": \"-1\"}, \"c\": {\"$numberDecimal\": \"1\"}}}]",
		   doc, "[{\"_id\": 1, \"b\": 2, \"a\": 1, \"c\": {\"d\": 4, \"e\": 5}}]");
	expect("$project _id: 0 in an inclusion", "[{\"$project\": {\"_id\": 0, \"a\": 1}}]",
		   doc, "[{\"a\": 1}]");
	expect("$project _id: false in an inclusion", "[{\"$project\": {\"a\": 1, \"_id\": false}}]",
		   doc, "[{\"a\": 1}]");
	expect("$project {_id: 1} alone is an inclusion", "[{\"$project\": {\"_id\": 1}}]",
		   doc, "[{\"_id\": 1}]");
	expect("$project {_id: 0} alone is an exclusion", "[{\"$project\": {\"_id\": 0}}]",
		   doc, "[{\"b\": 2, \"a\": 1, \"c\": {\"d\": 4, \"e\": 5}}]");
	expect("$project missing included field is left out", "[{\"$project\": {\"zz\": 1}}]",
		   doc, "[{\"_id\": 1}]");
	expect("$project dotted inclusion", "[{\"$project\": {\"c.e\": 1}}]",
		   doc, "[{\"_id\": 1, \"c\": {\"e\": 5}}]");
	expect("$project nested form equals dotted", "[{\"$project\": {\"c\": {\"e\": 1}}}]",
		   doc, "[{\"_id\": 1, \"c\": {\"e\": 5}}]");
	expect("$project nested and dotted forms merge", "[{\"$project\": {\"c\": {\"e\": 1}, \"c.d\": 1}}]",
		   doc, "[{\"_id\": 1, \"c\": {\"d\": 4, \"e\": 5}}]");
	expect("$project dotted inclusion on a scalar leaves it out", "[{\"$project\": {\"a.b\": 1}}]",
		   doc, "[{\"_id\": 1}]");
	expect("$project dotted inclusion keeps an empty sub-document", "[{\"$project\": {\"c.zz\": 1}}]",
		   doc, "[{\"_id\": 1, \"c\": {}}]");
	expect("$project inclusion through arrays drops scalars",
		   "[{\"$project\": {\"_id\": 0, \"a.b\": 1}}]",
		   "[{\"a\": [{\"b\": 1, \"c\": 2}, 5, {\"c\": 3}, [{\"b\": 4, \"c\": 5}, 6]]}]",
		   "[{\"a\": [{\"b\": 1}, {}, [{\"b\": 4}]]}]");
	expect("$project \"_id.x\" counts as specifying _id",
		   "[{\"$project\": {\"_id.x\": 1, \"a\": 1}}]",
		   "[{\"_id\": {\"x\": 1, \"y\": 2}, \"a\": 1, \"b\": 2}]",
		   "[{\"_id\": {\"x\": 1}, \"a\": 1}]");
	expect("$project dotted names inside a sub-object",
		   "[{\"$project\": {\"_id\": 0, \"a\": {\"b.c\": 1}}}]",
		   "[{\"a\": {\"b\": {\"c\": 1, \"d\": 2}, \"e\": 3}}]",
		   "[{\"a\": {\"b\": {\"c\": 1}}}]");
	expect("$project included sub-document and array values are copied whole",
		   "[{\"$project\": {\"_id\": 0, \"c\": 1, \"l\": 1}}]",
		   "[{\"l\": [1, {\"x\": 2}], \"c\": {\"d\": [3]}}]",
		   "[{\"l\": [1, {\"x\": 2}], \"c\": {\"d\": [3]}}]");
	/* computed fields */
	expect("$project computed field from a path", "[{\"$project\": {\"x\": \"$c.d\", \"a\": 1}}]",
		   doc, "[{\"_id\": 1, \"a\": 1, \"x\": 4}]");
	expect("$project computed fields follow included fields in spec order",
		   "[{\"$project\": {\"z\": {\"$add\": [\"$a\", 1]}, \"b\": 1, \"y\": \"lit\"}}]",
		   doc, "[{\"_id\": 1, \"b\": 2, \"z\": 2, \"y\": \"lit\"}]");
	expect("$project computed _id goes after the included fields (MongoDB order)",
		   "[{\"$project\": {\"_id\": \"$a\", \"b\": 1}}]",
		   doc, "[{\"b\": 2, \"_id\": 1}]");
	expect("$project computed field replacing an input field is appended",
		   "[{\"$project\": {\"a\": {\"$multiply\": [\"$a\", 10]}, \"b\": 1}}]",
		   doc, "[{\"_id\": 1, \"b\": 2, \"a\": 10}]");
	expect("$project literals: string, null, array, object, date",
		   "[{\"$project\": {\"_id\": 0, \"s\": \"text\", \"n\": null, \"arr\": [1, \"$a\"], \"o\": {\"p\": \"$b\"}, \"d\": {\"$date\": \"2024-01-01T00:00:00Z\"}}}]",
		   doc, "[{\"s\": \"text\", \"n\": null, \"arr\": [1, 1], \"o\": {\"p\": 2}, \"d\": {\"$date\": \"2024-01-01T00:00:00Z\"}}]");
	expect("$project $literal keeps 1 as a value",
		   "[{\"$project\": {\"_id\": 0, \"one\": {\"$literal\": 1}, \"zero\": {\"$literal\": 0}}}]",
		   doc, "[{\"one\": 1, \"zero\": 0}]");
	expect("$project $$REMOVE removes the field", "[{\"$project\": {\"a\": 1, \"x\": \"$$REMOVE\"}}]",
		   doc, "[{\"_id\": 1, \"a\": 1}]");
	expect("$project only $$REMOVE gives an empty document",
		   "[{\"$project\": {\"_id\": 0, \"x\": \"$$REMOVE\"}}]", doc, "[{}]");
	expect("$project computed field from a missing path is left out",
		   "[{\"$project\": {\"a\": 1, \"x\": \"$nope\"}}]", doc, "[{\"_id\": 1, \"a\": 1}]");
	expect("$project $$ROOT", "[{\"$project\": {\"_id\": 0, \"r\": \"$$ROOT\"}}]",
		   "[{\"a\": 1}]", "[{\"r\": {\"a\": 1}}]");
	expect("$project computed sub-field keeps its sub-document's position",
		   "[{\"$project\": {\"c.x\": \"$a\", \"c.d\": 1, \"b\": 1}}]",
		   doc, "[{\"_id\": 1, \"b\": 2, \"c\": {\"d\": 4, \"x\": 1}}]");
	expect("$project computed sub-field on a scalar keeps its position",
		   "[{\"$project\": {\"_id\": 0, \"a.x\": \"$b\", \"b\": 1}}]",
		   doc, "[{\"b\": 2, \"a\": {\"x\": 2}}]");
	expect("$project computed sub-field on a missing field is appended",
		   "[{\"$project\": {\"_id\": 0, \"n.x\": \"$b\", \"b\": 1}}]",
		   "[{\"b\": 2, \"z\": 1}]", "[{\"b\": 2, \"n\": {\"x\": 2}}]");
	expect("$project computed sub-field through an array",
		   "[{\"$project\": {\"_id\": 0, \"a.b\": 1, \"a.c\": \"$k\"}}]",
		   "[{\"k\": 9, \"a\": [{\"b\": 1, \"z\": 0}, 5, [{\"b\": 2}]]}]",
		   "[{\"a\": [{\"b\": 1, \"c\": 9}, {\"c\": 9}, [{\"b\": 2, \"c\": 9}]]}]");
	expect("$project {\"a.b\": {$literal: 1}} on a: [{x: 1}, 5]",
		   "[{\"$project\": {\"_id\": 0, \"a.b\": {\"$literal\": 1}}}]",
		   "[{\"a\": [{\"x\": 1}, 5]}]", "[{\"a\": [{\"b\": 1}, {\"b\": 1}]}]");
	expect("$project $switch status then $match on status",
		   "[{\"$project\": {\"_id\": 0, \"sensor\": 1, \"status\": {\"$switch\": {\"branches\": ["
		   "{\"case\": {\"$gt\": [\"$temp\", 40]}, \"then\": \"HIGH\"},"
		   "{\"case\": {\"$lt\": [\"$temp\", 10]}, \"then\": \"LOW\"}], \"default\": \"OK\"}}}},"
		   "{\"$match\": {\"status\": {\"$ne\": \"OK\"}}}]",
		   "[{\"sensor\": \"A\", \"temp\": 45}, {\"sensor\": \"B\", \"temp\": 5}, {\"sensor\": \"C\", \"temp\": 20}]",
		   "[{\"sensor\": \"A\", \"status\": \"HIGH\"}, {\"sensor\": \"B\", \"status\": \"LOW\"}]");
	expect("$project $cond status then $match on status (the debugging listing)",
		   "[{\"$project\": {\"sensor\": 1, \"temp\": 1, \"status\": {\"$cond\": [{\"$gt\": [\"$temp\", 40]}, \"HIGH\", "
		   "{\"$cond\": [{\"$lt\": [\"$temp\", 10]}, \"LOW\", \"OK\"]}]}}},"
		   "{\"$match\": {\"status\": {\"$ne\": \"OK\"}}}]",
		   "[{\"sensor\": \"A\", \"temp\": 45}, {\"sensor\": \"B\", \"temp\": 5}]",
		   "[{\"sensor\": \"A\", \"temp\": 45, \"status\": \"HIGH\"}, {\"sensor\": \"B\", \"temp\": 5, \"status\": \"LOW\"}]");

	/* exclusion */
	expect("$project exclusion keeps order", "[{\"$project\": {\"b\": 0}}]",
		   doc, "[{\"_id\": 1, \"a\": 1, \"c\": {\"d\": 4, \"e\": 5}}]");
	expect("$project exclusion with false and _id", "[{\"$project\": {\"_id\": false, \"c\": false}}]",
		   doc, "[{\"b\": 2, \"a\": 1}]");
	expect("$project {_id: 1, a: 0} is an exclusion", "[{\"$project\": {\"_id\": 1, \"a\": 0}}]",
		   doc, "[{\"_id\": 1, \"b\": 2, \"c\": {\"d\": 4, \"e\": 5}}]");
	expect("$project dotted exclusion", "[{\"$project\": {\"c.d\": 0}}]",
		   doc, "[{\"_id\": 1, \"b\": 2, \"a\": 1, \"c\": {\"e\": 5}}]");
	expect("$project exclusion through arrays keeps scalars",
		   "[{\"$project\": {\"a.b\": 0}}]",
		   "[{\"a\": [{\"b\": 1, \"c\": 2}, 5, [{\"b\": 3, \"d\": 4}]], \"x.b\": 1}]",
		   "[{\"a\": [{\"c\": 2}, 5, [{\"d\": 4}]], \"x.b\": 1}]");
	expect("$project exclusion of a sub-field of a scalar keeps it",
		   "[{\"$project\": {\"a.b\": 0}}]", "[{\"a\": 3}]", "[{\"a\": 3}]");

	/* errors */
	expect_error("[{\"$project\": {}}]", "$project specification must have at least one field", NULL);
	expect_error("[{\"$project\": 1}]", "$project specification must be an object, got int", NULL);
	expect_error("[{\"$project\": {\"a\": 1, \"b\": 0}}]",
				 "cannot do exclusion on field b in inclusion projection", "b");
	expect_error("[{\"$project\": {\"b\": 0, \"a\": 1}}]",
				 "cannot do inclusion on field a in exclusion projection", "a");
	expect_error("[{\"$project\": {\"b\": 0, \"a\": \"$x\"}}]",
				 "cannot use an expression for field a in an exclusion projection", "a");
	expect_error("[{\"$project\": {\"a\": \"$x\", \"b\": 0}}]",
				 "cannot do exclusion on field b in inclusion projection", "b");
	expect_error("[{\"$project\": {\"a\": 1, \"a.b\": 1}}]", "path collision at a.b remaining portion b", "a.b");
	expect_error("[{\"$project\": {\"a.b\": 1, \"a\": 1}}]", "path collision at a", "a");
	expect_error("[{\"$project\": {\"a\": 1, \"a\": 1}}]", "path collision at a", "a");
	expect_error("[{\"$project\": {\"a\": {}}}]", "an empty sub-projection is not a valid value", "a");
	expect_error("[{\"$project\": {\"a\": {\"$add\": [1, 2], \"b\": 1}}}]",
				 "an expression specification must contain exactly one field", "a");
	expect_error("[{\"$project\": {\"$a\": 1}}]", "field names may not start with '$'", "$a");
	expect_error("[{\"$project\": {\"a..b\": 1}}]", "must not contain an empty field name", "a..b");
	expect_error("[{\"$project\": {\"a\": {\"$nosuchop\": 1}}}]", "$nosuchop", "a");
	expect_error("[{\"$project\": {\"a\": \"$$nosuchvar\"}}]", "undefined variable", "a");
	expect_error("[{\"$project\": {\"a\": {\"b\": {\"$bad\": 1}}}}]", "$bad", "a.b");
	expect_error("[{\"$project\": {\"a\": 1, \"$b\": 1}}]", "field names may not start with '$'", "$b");

	/* runtime errors */
	expect_dlq("$project runtime error goes to the DLQ",
			   "[{\"$project\": {\"r\": {\"$divide\": [\"$a\", \"$b\"]}}}]",
			   "[{\"_id\": 1, \"a\": 1, \"b\": 0}, {\"_id\": 2, \"a\": 4, \"b\": 2}]",
			   "[{\"_id\": 2, \"r\": 2.0}]", "$project", "divide by zero");
	expect_dlq("$project runtime error in a nested computed field",
			   "[{\"$project\": {\"c.r\": {\"$divide\": [1, \"$b\"]}}}]",
			   "[{\"_id\": 1, \"b\": 0, \"c\": {\"d\": 1}}]", "[]", "$project", "divide by zero");
	{
		collected	c;
		asp_error	err;

		run("[{\"$project\": {\"r\": {\"$divide\": [\"$a\", \"$b\"]}}}]",
			"[{\"_id\": 7, \"a\": 1, \"b\": 0}]", &c, &err);
		ok(c.ndlq == 1 && c.dlq_docs[0] && strstr(c.dlq_docs[0], "\"_id\" : { \"$numberInt\" : \"7\" }") != NULL,
		   "the DLQ entry carries the input document");
		collected_free(&c);
	}
	expect("$project: a failing expression under an empty array is not evaluated",
		   "[{\"$project\": {\"_id\": 0, \"a.r\": {\"$divide\": [1, 0]}}}]",
		   "[{\"a\": []}]", "[{\"a\": []}]");
}

/* ---------- $addFields / $set ---------- */

/* test_add_fields: $addFields and $set */
static void
test_add_fields(void)
{
	const char *doc = "[{\"_id\": 1, \"a\": 1, \"b\": {\"c\": 2, \"d\": 3}, \"e\": 5}]";

	expect("$addFields appends a new field", "[{\"$addFields\": {\"x\": {\"$add\": [\"$a\", \"$e\"]}}}]",
		   doc, "[{\"_id\": 1, \"a\": 1, \"b\": {\"c\": 2, \"d\": 3}, \"e\": 5, \"x\": 6}]");
	expect("$addFields replaces an existing field in place", "[{\"$addFields\": {\"a\": \"new\"}}]",
		   doc, "[{\"_id\": 1, \"a\": \"new\", \"b\": {\"c\": 2, \"d\": 3}, \"e\": 5}]");
	expect("$set is $addFields", "[{\"$set\": {\"e\": 0, \"n\": 1}}]",
		   doc, "[{\"_id\": 1, \"a\": 1, \"b\": {\"c\": 2, \"d\": 3}, \"e\": 0, \"n\": 1}]");
	expect("$addFields evaluates against the original document",
		   "[{\"$addFields\": {\"a\": 100, \"x\": \"$a\"}}]",
		   doc, "[{\"_id\": 1, \"a\": 100, \"b\": {\"c\": 2, \"d\": 3}, \"e\": 5, \"x\": 1}]");
	expect("$addFields numbers are values, not inclusion flags",
		   "[{\"$addFields\": {\"one\": 1, \"zero\": 0, \"t\": true}}]",
		   "[{\"a\": 1}]", "[{\"a\": 1, \"one\": 1, \"zero\": 0, \"t\": true}]");
	expect("$addFields $$REMOVE removes an existing field",
		   "[{\"$addFields\": {\"a\": \"$$REMOVE\", \"zz\": \"$$REMOVE\"}}]",
		   doc, "[{\"_id\": 1, \"b\": {\"c\": 2, \"d\": 3}, \"e\": 5}]");
	expect("$addFields missing path removes the field",
		   "[{\"$addFields\": {\"a\": \"$nope\"}}]",
		   doc, "[{\"_id\": 1, \"b\": {\"c\": 2, \"d\": 3}, \"e\": 5}]");
	expect("$addFields dotted path into a sub-document (in place and appended)",
		   "[{\"$addFields\": {\"b.c\": 20, \"b.z\": 9}}]",
		   doc, "[{\"_id\": 1, \"a\": 1, \"b\": {\"c\": 20, \"d\": 3, \"z\": 9}, \"e\": 5}]");
	expect("$addFields nested object form merges into a sub-document",
		   "[{\"$addFields\": {\"b\": {\"z\": 9}}}]",
		   doc, "[{\"_id\": 1, \"a\": 1, \"b\": {\"c\": 2, \"d\": 3, \"z\": 9}, \"e\": 5}]");
	expect("$addFields empty object sets {}", "[{\"$addFields\": {\"b\": {}}}]",
		   doc, "[{\"_id\": 1, \"a\": 1, \"b\": {}, \"e\": 5}]");
	expect("$addFields dotted path on a scalar replaces it with a document",
		   "[{\"$addFields\": {\"a.x\": \"$e\"}}]",
		   doc, "[{\"_id\": 1, \"a\": {\"x\": 5}, \"b\": {\"c\": 2, \"d\": 3}, \"e\": 5}]");
	expect("$addFields dotted path on a missing field appends a document",
		   "[{\"$addFields\": {\"n.x.y\": 1}}]",
		   "[{\"a\": 1}]", "[{\"a\": 1, \"n\": {\"x\": {\"y\": 1}}}]");
	expect("$addFields dotted $$REMOVE on a missing field gives {}",
		   "[{\"$addFields\": {\"n.x\": \"$$REMOVE\"}}]",
		   "[{\"a\": 1}]", "[{\"a\": 1, \"n\": {}}]");
	expect("$addFields dotted path sets the field in each array element",
		   "[{\"$addFields\": {\"a.b\": 1}}]",
		   "[{\"a\": [1, {\"c\": 2}, {\"b\": 0, \"c\": 3}, [{\"c\": 4}, 5]]}]",
		   "[{\"a\": [{\"b\": 1}, {\"c\": 2, \"b\": 1}, {\"b\": 1, \"c\": 3}, [{\"c\": 4, \"b\": 1}, {\"b\": 1}]]}]");
	expect("$addFields dotted path through an empty array",
		   "[{\"$addFields\": {\"a.b\": 1}}]", "[{\"a\": []}]", "[{\"a\": []}]");
	expect("$addFields order of several new fields follows the spec",
		   "[{\"$addFields\": {\"z\": 1, \"y.q\": 2, \"x\": 3, \"y.p\": 4}}]",
		   "[{\"a\": 0}]", "[{\"a\": 0, \"z\": 1, \"y\": {\"q\": 2, \"p\": 4}, \"x\": 3}]");
	expect("$addFields {} is a no-op", "[{\"$addFields\": {}}]", doc, doc);
	expect("$addFields with $$ROOT copies the original",
		   "[{\"$addFields\": {\"copy\": \"$$ROOT\"}}]",
		   "[{\"a\": 1}]", "[{\"a\": 1, \"copy\": {\"a\": 1}}]");

	expect_error("[{\"$addFields\": 1}]", "$addFields specification must be an object", NULL);
	expect_error("[{\"$set\": [1]}]", "specification must be an object", NULL);
	expect_error("[{\"$addFields\": {\"a\": 1, \"a.b\": 2}}]", "path collision at a.b", "a.b");
	expect_error("[{\"$addFields\": {\"a\": {\"b\": 1}, \"a.b\": 2}}]", "path collision at a.b", "a.b");
	expect_error("[{\"$addFields\": {\"a\": {\"b.c\": 1}}}]", "cannot use dotted field name 'b.c' in a sub-object", "a.b.c");
	expect_error("[{\"$addFields\": {\"$a\": 1}}]", "field names may not start with '$'", "$a");
	expect_error("[{\"$addFields\": {\"\": 1}}]", "must not be empty", NULL);
	expect_error("[{\"$addFields\": {\"a\": {\"$add\": 1, \"$sub\": 2}}}]",
				 "an expression specification must contain exactly one field", "a");
	expect_error("[{\"$set\": {\"x\": {\"$unknownOp\": []}}}]", "$unknownOp", "x");

	expect_dlq("$addFields runtime error goes to the DLQ",
			   "[{\"$addFields\": {\"r\": {\"$divide\": [1, \"$z\"]}}}]",
			   "[{\"z\": 0}, {\"z\": 4}]", "[{\"z\": 4, \"r\": 0.25}]", "$addFields", "divide by zero");
}

/* ---------- $unset ---------- */

/* test_unset: $unset */
static void
test_unset(void)
{
	const char *doc = "[{\"_id\": 1, \"a\": 1, \"b\": {\"c\": 2, \"d\": 3}, \"e\": [{\"c\": 1, \"f\": 2}, 7]}]";

	expect("$unset a string", "[{\"$unset\": \"a\"}]", doc,
		   "[{\"_id\": 1, \"b\": {\"c\": 2, \"d\": 3}, \"e\": [{\"c\": 1, \"f\": 2}, 7]}]");
	expect("$unset an array with dotted paths and _id", "[{\"$unset\": [\"_id\", \"b.c\", \"e.c\"]}]", doc,
		   "[{\"a\": 1, \"b\": {\"d\": 3}, \"e\": [{\"f\": 2}, 7]}]");
	expect("$unset a missing field", "[{\"$unset\": [\"zz\", \"a.q\"]}]", "[{\"a\": 1}]", "[{\"a\": 1}]");
	expect_error("[{\"$unset\": []}]", "$unset specification must be a string or an array with at least one field", NULL);
	expect_error("[{\"$unset\": {\"a\": 1}}]", "$unset specification must be a string or an array", NULL);
	expect_error("[{\"$unset\": [\"a\", 1]}]", "$unset specification must be a string or an array containing only string values", NULL);
	expect_error("[{\"$unset\": \"\"}]", "must not be empty", NULL);
	expect_error("[{\"$unset\": [\"a\", \"a.b\"]}]", "path collision", NULL);
	expect_error("[{\"$unset\": \"$a\"}]", "field names may not start with '$'", NULL);
}

/* ---------- $replaceRoot / $replaceWith ---------- */

/* test_replace: $replaceRoot and $replaceWith */
static void
test_replace(void)
{
	expect("$replaceRoot newRoot path", "[{\"$replaceRoot\": {\"newRoot\": \"$s\"}}]",
		   "[{\"a\": 1, \"s\": {\"x\": 1, \"y\": [2]}}]", "[{\"x\": 1, \"y\": [2]}]");
	expect("$replaceRoot newRoot object expression",
		   "[{\"$replaceRoot\": {\"newRoot\": {\"k\": \"$a\", \"all\": \"$$ROOT\"}}}]",
		   "[{\"a\": 1}]", "[{\"k\": 1, \"all\": {\"a\": 1}}]");
	expect("$replaceRoot $mergeObjects",
		   "[{\"$replaceRoot\": {\"newRoot\": {\"$mergeObjects\": [{\"d\": 0}, \"$s\"]}}}]",
		   "[{\"s\": {\"x\": 1}}]", "[{\"d\": 0, \"x\": 1}]");
	expect("$replaceWith", "[{\"$replaceWith\": \"$s\"}]",
		   "[{\"s\": {\"x\": 1}}]", "[{\"x\": 1}]");
	expect_dlq("$replaceRoot non-object goes to the DLQ",
			   "[{\"$replaceRoot\": {\"newRoot\": \"$a\"}}]", "[{\"a\": 5}, {\"a\": {\"ok\": 1}}]",
			   "[{\"ok\": 1}]", "$replaceRoot",
			   "'newRoot' expression must evaluate to an object, but resulting value was: 5. Type of resulting value: 'int'");
	expect_dlq("$replaceRoot missing value goes to the DLQ",
			   "[{\"$replaceRoot\": {\"newRoot\": \"$nope\"}}]", "[{\"a\": 5}]", "[]", "$replaceRoot",
			   "resulting value was: MISSING. Type of resulting value: 'missing'");
	expect_dlq("$replaceRoot array goes to the DLQ",
			   "[{\"$replaceRoot\": {\"newRoot\": \"$a\"}}]", "[{\"a\": [1]}]", "[]", "$replaceRoot",
			   "Type of resulting value: 'array'");
	expect_dlq("$replaceWith string goes to the DLQ",
			   "[{\"$replaceWith\": \"$a\"}]", "[{\"a\": \"s\"}]", "[]", "$replaceWith",
			   "'replacement document' must evaluate to an object, but resulting value was: \"s\". Type of resulting value: 'string'");
	expect_dlq("$replaceWith runtime error goes to the DLQ",
			   "[{\"$replaceWith\": {\"v\": {\"$divide\": [1, 0]}}}]", "[{\"a\": 1}]", "[]", "$replaceWith",
			   "divide by zero");
	expect_error("[{\"$replaceRoot\": {}}]", "$replaceRoot requires a 'newRoot' option", NULL);
	expect_error("[{\"$replaceRoot\": {\"newRoot\": \"$a\", \"x\": 1}}]", "unrecognized option to $replaceRoot: x", "x");
	expect_error("[{\"$replaceRoot\": \"$a\"}]", "$replaceRoot specification must be an object, got string", NULL);
	expect_error("[{\"$replaceRoot\": {\"newRoot\": {\"$bogus\": 1}}}]", "$bogus", "newRoot");
	expect_error("[{\"$replaceWith\": \"$$undefinedVar\"}]", "undefined variable", NULL);
}

/* ---------- $unwind ---------- */

/* test_unwind: $unwind */
static void
test_unwind(void)
{
	expect("$unwind string form", "[{\"$unwind\": \"$a\"}]",
		   "[{\"_id\": 1, \"a\": [1, {\"x\": 2}], \"b\": 3}]",
		   "[{\"_id\": 1, \"a\": 1, \"b\": 3}, {\"_id\": 1, \"a\": {\"x\": 2}, \"b\": 3}]");
	expect("$unwind drops null, missing and empty arrays", "[{\"$unwind\": \"$a\"}]",
		   "[{\"_id\": 1, \"a\": null}, {\"_id\": 2}, {\"_id\": 3, \"a\": []}]", "[]");
	expect("$unwind passes a non-array value through", "[{\"$unwind\": \"$a\"}]",
		   "[{\"_id\": 1, \"a\": 5}, {\"_id\": 2, \"a\": {\"x\": [1]}}]",
		   "[{\"_id\": 1, \"a\": 5}, {\"_id\": 2, \"a\": {\"x\": [1]}}]");
	expect("$unwind dotted path", "[{\"$unwind\": {\"path\": \"$s.t\"}}]",
		   "[{\"s\": {\"u\": 0, \"t\": [\"p\", \"q\"], \"v\": 1}}]",
		   "[{\"s\": {\"u\": 0, \"t\": \"p\", \"v\": 1}}, {\"s\": {\"u\": 0, \"t\": \"q\", \"v\": 1}}]");
	expect("$unwind does not traverse arrays on the path", "[{\"$unwind\": \"$s.t\"}]",
		   "[{\"s\": [{\"t\": [1, 2]}]}]", "[]");
	expect("$unwind nested arrays unwind one level", "[{\"$unwind\": \"$a\"}]",
		   "[{\"a\": [[1, 2], 3]}]", "[{\"a\": [1, 2]}, {\"a\": 3}]");
	expect("$unwind preserveNullAndEmptyArrays",
		   "[{\"$unwind\": {\"path\": \"$a\", \"preserveNullAndEmptyArrays\": true}}]",
		   "[{\"_id\": 1, \"a\": null, \"z\": 0}, {\"_id\": 2}, {\"_id\": 3, \"a\": [], \"z\": 0}, {\"_id\": 4, \"a\": [7]}]",
		   "[{\"_id\": 1, \"a\": null, \"z\": 0}, {\"_id\": 2}, {\"_id\": 3, \"z\": 0}, {\"_id\": 4, \"a\": 7}]");
	expect("$unwind preserveNullAndEmptyArrays false",
		   "[{\"$unwind\": {\"path\": \"$a\", \"preserveNullAndEmptyArrays\": false}}]",
		   "[{\"a\": null}, {\"a\": [1]}]", "[{\"a\": 1}]");
	expect("$unwind includeArrayIndex",
		   "[{\"$unwind\": {\"path\": \"$a\", \"includeArrayIndex\": \"i\"}}]",
		   "[{\"a\": [\"x\", \"y\"], \"b\": 1}, {\"a\": 5}]",
		   "[{\"a\": \"x\", \"b\": 1, \"i\": {\"$numberLong\": \"0\"}}, {\"a\": \"y\", \"b\": 1, \"i\": {\"$numberLong\": \"1\"}},"
		   " {\"a\": 5, \"i\": null}]");
	expect("$unwind includeArrayIndex with preserve gives null",
		   "[{\"$unwind\": {\"path\": \"$a\", \"includeArrayIndex\": \"i\", \"preserveNullAndEmptyArrays\": true}}]",
		   "[{\"a\": []}, {\"b\": 1}, {\"a\": null}]",
		   "[{\"i\": null}, {\"b\": 1, \"i\": null}, {\"a\": null, \"i\": null}]");
	expect("$unwind includeArrayIndex replaces an existing field in place",
		   "[{\"$unwind\": {\"path\": \"$a\", \"includeArrayIndex\": \"i\"}}]",
		   "[{\"i\": \"old\", \"a\": [true]}]",
		   "[{\"i\": {\"$numberLong\": \"0\"}, \"a\": true}]");
	expect("$unwind dotted includeArrayIndex",
		   "[{\"$unwind\": {\"path\": \"$a\", \"includeArrayIndex\": \"m.i\"}}]",
		   "[{\"a\": [1], \"m\": {\"k\": 0}}, {\"a\": [2], \"m\": 3}, {\"a\": [3]}]",
		   "[{\"a\": 1, \"m\": {\"k\": 0, \"i\": {\"$numberLong\": \"0\"}}},"
		   " {\"a\": 2, \"m\": {\"i\": {\"$numberLong\": \"0\"}}},"
		   " {\"a\": 3, \"m\": {\"i\": {\"$numberLong\": \"0\"}}}]");
	expect("$unwind includeArrayIndex equal to the path",
		   "[{\"$unwind\": {\"path\": \"$a\", \"includeArrayIndex\": \"a\"}}]",
		   "[{\"a\": [\"x\", \"y\"]}]",
		   "[{\"a\": {\"$numberLong\": \"0\"}}, {\"a\": {\"$numberLong\": \"1\"}}]");
	expect("$unwind then $project", "[{\"$unwind\": \"$t\"}, {\"$project\": {\"_id\": 0, \"v\": \"$t.v\"}}]",
		   "[{\"t\": [{\"v\": 1}, {\"v\": 2}]}]", "[{\"v\": 1}, {\"v\": 2}]");

	expect_error("[{\"$unwind\": \"a\"}]", "'path' must be a field path starting with '$'", NULL);
	expect_error("[{\"$unwind\": \"$\"}]", "must not be empty", NULL);
	expect_error("[{\"$unwind\": 1}]", "$unwind specification must be a string or an object, got int", NULL);
	expect_error("[{\"$unwind\": {\"path\": \"a\"}}]", "'path' must be a field path starting with '$'", "path");
	expect_error("[{\"$unwind\": {\"path\": 1}}]", "'path' must be a string", "path");
	expect_error("[{\"$unwind\": {}}]", "$unwind requires a 'path' option", NULL);
	expect_error("[{\"$unwind\": {\"path\": \"$a\", \"preserveNullAndEmptyArrays\": 1}}]",
				 "'preserveNullAndEmptyArrays' must be a boolean", "preserveNullAndEmptyArrays");
	expect_error("[{\"$unwind\": {\"path\": \"$a\", \"includeArrayIndex\": \"$i\"}}]",
				 "'includeArrayIndex' must not start with '$'", "includeArrayIndex");
	expect_error("[{\"$unwind\": {\"path\": \"$a\", \"includeArrayIndex\": \"\"}}]",
				 "'includeArrayIndex' must be a non-empty string", "includeArrayIndex");
	expect_error("[{\"$unwind\": {\"path\": \"$a\", \"includeArrayIndex\": 3}}]",
				 "'includeArrayIndex' must be a non-empty string, got int", "includeArrayIndex");
	expect_error("[{\"$unwind\": {\"path\": \"$a\", \"foo\": 1}}]", "unrecognized option to $unwind: foo", "foo");
	expect_error("[{\"$unwind\": {\"path\": \"$a..b\"}}]", "empty field name", "path");
}

/* ---------- $redact ---------- */

/* test_redact: $redact */
static void
test_redact(void)
{
	const char *doc =
		"[{\"_id\": 1, \"level\": 1, \"a\": {\"level\": 5, \"x\": 1},"
		" \"b\": {\"level\": 1, \"c\": {\"level\": 9}, \"d\": 2},"
		" \"arr\": [{\"level\": 1, \"v\": 1}, {\"level\": 7}, 3, [{\"level\": 8}, {\"level\": 0}]]}]";
	const char *cond =
		"[{\"$redact\": {\"$cond\": {\"if\": {\"$gt\": [\"$level\", 4]}, \"then\": \"$$PRUNE\", \"else\": \"$$DESCEND\"}}}]";

	expect("$redact descends and prunes sub-documents and array elements", cond, doc,
		   "[{\"_id\": 1, \"level\": 1, \"b\": {\"level\": 1, \"d\": 2},"
		   " \"arr\": [{\"level\": 1, \"v\": 1}, 3, [{\"level\": 0}]]}]");
	expect("$redact $$KEEP keeps the whole document", "[{\"$redact\": \"$$KEEP\"}]", doc, doc);
	expect("$redact $$PRUNE at the top drops the document", "[{\"$redact\": \"$$PRUNE\"}]", doc, "[]");
	expect("$redact $$KEEP below stops descending",
		   "[{\"$redact\": {\"$cond\": [{\"$eq\": [\"$level\", 1]}, \"$$DESCEND\", \"$$KEEP\"]}}]",
		   "[{\"level\": 1, \"s\": {\"level\": 2, \"t\": {\"level\": 9}}}]",
		   "[{\"level\": 1, \"s\": {\"level\": 2, \"t\": {\"level\": 9}}}]");
	expect("$redact $$ROOT stays the top document",
		   "[{\"$redact\": {\"$cond\": [{\"$eq\": [\"$$ROOT.keep\", true]}, \"$$DESCEND\", \"$$PRUNE\"]}}]",
		   "[{\"keep\": true, \"s\": {\"x\": 1}}, {\"keep\": false}]",
		   "[{\"keep\": true, \"s\": {\"x\": 1}}]");
	expect("$redact access by tags (MongoDB docs example)",
		   "[{\"$redact\": {\"$cond\": {\"if\": {\"$gt\": [{\"$size\": {\"$setIntersection\": [\"$tags\", [\"STLW\", \"G\"]]}}, 0]},"
		   " \"then\": \"$$DESCEND\", \"else\": \"$$PRUNE\"}}}]",
		   "[{\"_id\": 1, \"tags\": [\"G\", \"STLW\"], \"s\": {\"tags\": [\"SI\"], \"x\": 1}, \"t\": {\"tags\": [\"G\"], \"y\": 2}}]",
		   "[{\"_id\": 1, \"tags\": [\"G\", \"STLW\"], \"t\": {\"tags\": [\"G\"], \"y\": 2}}]");
	expect_dlq("$redact other result goes to the DLQ", "[{\"$redact\": \"$a\"}]",
			   "[{\"a\": \"keep\"}, {\"a\": 5}]", "[{\"a\": \"keep\"}]", "$redact",
			   "$redact's expression should not return anything aside from the variables $$KEEP, $$DESCEND, and $$PRUNE, but returned 5");
	expect_dlq("$redact bad result in a sub-document goes to the DLQ",
			   "[{\"$redact\": {\"$ifNull\": [\"$r\", \"$$DESCEND\"]}}]",
			   "[{\"s\": {\"r\": \"other\"}}]", "[]", "$redact", "but returned \"other\"");
	expect_dlq("$redact missing result goes to the DLQ", "[{\"$redact\": \"$nope\"}]",
			   "[{\"a\": 1}]", "[]", "$redact", "but returned MISSING");
	expect_dlq("$redact runtime error goes to the DLQ",
			   "[{\"$redact\": {\"$cond\": [{\"$divide\": [1, \"$z\"]}, \"$$KEEP\", \"$$PRUNE\"]}}]",
			   "[{\"z\": 0}]", "[]", "$redact", "divide by zero");
	expect_error("[{\"$redact\": {\"$nosuch\": 1}}]", "$nosuch", NULL);
}

/* ---------- stage chains, windows, names ---------- */

/* test_misc: chains of stages, window pipelines, error locations */
static void
test_misc(void)
{
	chain		ch;
	asp_error	err;

	expect("chain $addFields -> $unwind -> $match -> $unset",
		   "[{\"$addFields\": {\"n\": {\"$size\": \"$v\"}}}, {\"$unwind\": \"$v\"},"
		   " {\"$match\": {\"v\": {\"$gte\": 2}}}, {\"$unset\": \"n\"}]",
		   "[{\"v\": [1, 2, 3]}]", "[{\"v\": 2}, {\"v\": 3}]");
	ok(compile_chain("[{\"$project\": {\"ws\": {\"$meta\": \"stream.window.start\"}}}]", true, &ch, &err),
	   "$meta stream.window.start is allowed in a window's pipeline");
	chain_free(&ch);
	ok(compile_chain("[{\"$set\": {\"ws\": {\"$meta\": \"stream.window.end\"}}}, {\"$match\": {\"$expr\": {\"$lt\": [{\"$meta\": \"stream.window.start\"}, 1]}}}]",
					 true, &ch, &err), "$meta in $set and $match $expr inside a window");
	chain_free(&ch);
	ok(!compile_chain("[{\"$match\": {}}, {\"$project\": {\"a\": 1, \"b\": 0}}]", false, &ch, &err) &&
	   err.stage_index == 1 && strcmp(err.stage_name, "$project") == 0 && strcmp(err.path, "b") == 0,
	   "compile error names stage index, stage and option path (%d %s %s)",
	   err.stage_index, err.stage_name, err.path);
	ok(!compile_chain("[{\"$unwind\": {\"path\": \"$a\", \"foo\": 1}}]", false, &ch, &err) &&
	   err.hint[0] != '\0', "errors carry a hint");
}

/* test_too_large: an output document over 16 MiB goes to the DLQ */
static void
test_too_large(void)
{
	chain		ch;
	asp_error	err;
	collected	c;
	asp_exec   *x;
	bson_t	   *in = bson_new();
	size_t		n = 9 * 1024 * 1024;
	char	   *big = malloc(n + 1);

	memset(big, 'x', n);
	big[n] = '\0';
	bson_append_utf8(in, "s", 1, big, (int) n);
	free(big);
	memset(&c, 0, sizeof(c));
	if (!compile_chain("[{\"$addFields\": {\"t\": \"$s\"}}]", false, &ch, &err))
	{
		ok(0, "compile: %s", err.message);
		bson_destroy(in);
		return;
	}
	x = asp_exec_new_chain(ch.stages[0], collect, &c);
	asp_exec_push_doc(x, bson_get_data(in), in->len);
	ok(c.ndocs == 0 && c.ndlq == 1 && strstr(c.reasons[0], "exceeds the maximum document size") != NULL,
	   "an output document over 16 MiB goes to the DLQ");
	asp_exec_free(x);
	chain_free(&ch);
	collected_free(&c);
	bson_destroy(in);
}

/* main: run every test, TAP output */
int
main(void)
{
	test_match();
	test_validate();
	test_project();
	test_add_fields();
	test_unset();
	test_replace();
	test_unwind();
	test_redact();
	test_misc();
	test_too_large();
	return tap_done();
}
