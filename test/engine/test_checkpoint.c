/*-------------------------------------------------------------------------
 *
 * test_checkpoint.c
 *	  TAP tests of executor checkpoints (asp_exec_checkpoint and
 *	  asp_exec_restore): a run interrupted at position K and resumed from
 *	  its checkpoint in a fresh executor gives the same output as a run
 *	  that never stopped.
 *
 * Each case runs a windowed pipeline over N documents of the
 * sample_stream_solar generator (deterministic for its seed, start and
 * position): once without interruption, then for several K: documents
 * 0..K, checkpoint, a fresh executor of a fresh compile of the pipeline,
 * restore, documents K..N, finish.  The outputs (and dead letters) of
 * both parts together, as raw BSON sorted bytewise, must equal those of
 * the uninterrupted run.  Cases: tumbling and hopping $group with many
 * accumulators, $sort + $limit, $limit, $count, a window without a
 * blocking stage, a run resumed twice, and checkpoints refused by another
 * pipeline.
 *
 *-------------------------------------------------------------------------
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* qsort_r */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>

#include "../../src/engine/exec.h"
#include "../../src/engine/json.h"
#include "../../src/engine/pipeline.h"
#include "../../src/engine/solar.h"
#include "json_util.h"
#include "outs_util.h"
#include "tap.h"

#define SEED 7
#define START_MS INT64_C(1700000000000)

/* parse: JSON text with ' for " to BSON */
static bson_t *
parse(const char *json)
{
	return test_parse_json(json, true);
}

/* compile: a pipeline from JSON, bailing out if it does not compile */
static asp_pipeline *
compile(const char *json)
{
	bson_t	   *b = parse(json);
	asp_error	err;
	asp_pipeline *p;

	asp_error_init(&err);
	p = asp_pipeline_compile(b, NULL, &err);
	bson_destroy(b);
	if (p == NULL)
	{
		printf("Bail out! pipeline does not compile: %s\n", err.message);
		exit(2);
	}
	return p;
}

/* push_range: generator documents from..to into x */
static void
push_range(asp_exec *x, uint64_t from, uint64_t to)
{
	asp_solar	g;
	bson_t		doc = BSON_INITIALIZER;
	uint64_t	i;

	asp_solar_init(&g, SEED, START_MS);
	for (i = from; i < to; i++)
	{
		int64_t		t = asp_solar_doc(&g, i, &doc);

		if (!asp_exec_push_source(x, bson_get_data(&doc), doc.len, t, NULL))
		{
			printf("Bail out! push failed: %s\n", asp_exec_error(x)->message);
			exit(2);
		}
	}
	bson_destroy(&doc);
}

static int
cmp_doc(const void *a, const void *b, void *arg)
{
	const outs *o = arg;
	int			ia = *(const int *) a,
				ib = *(const int *) b;
	size_t		la = o->len[ia],
				lb = o->len[ib];
	int			r = memcmp(o->d[ia], o->d[ib], la < lb ? la : lb);

	if (r != 0)
		return r;
	return la < lb ? -1 : (la > lb ? 1 : 0);
}

/* same_outputs: the two collections hold the same documents, in any order */
static bool
same_outputs(outs *a, outs *b)
{
	int		   *ia,
			   *ib;
	int			i;
	bool		same = true;

	if (a->n != b->n)
	{
		diag("%d documents instead of %d", b->n, a->n);
		return false;
	}
	ia = malloc(sizeof(int) * (a->n + 1));
	ib = malloc(sizeof(int) * (b->n + 1));
	for (i = 0; i < a->n; i++)
		ia[i] = ib[i] = i;
	qsort_r(ia, a->n, sizeof(int), cmp_doc, a);
	qsort_r(ib, b->n, sizeof(int), cmp_doc, b);
	for (i = 0; i < a->n && same; i++)
		if (a->len[ia[i]] != b->len[ib[i]] ||
			memcmp(a->d[ia[i]], b->d[ib[i]], a->len[ia[i]]) != 0)
		{
			diag("first difference at sorted document %d", i);
			same = false;
		}
	free(ia);
	free(ib);
	return same;
}

/* full_run: the uninterrupted run over 0..n */
static void
full_run(const char *pipeline, uint64_t n, outs *o)
{
	asp_pipeline *p = compile(pipeline);
	asp_exec   *x = asp_exec_new(p, collect, o);

	push_range(x, 0, n);
	asp_exec_finish(x);
	asp_exec_free(x);
	asp_pipeline_free(p);
}

/*
 * resumed_run: 0..k1, checkpoint, restore into a fresh executor, k1..k2,
 * checkpoint, restore again, k2..n, finish.  False if a checkpoint fails.
 */
static bool
resumed_run(const char *pipeline, uint64_t k1, uint64_t k2, uint64_t n, outs *o)
{
	uint64_t	bounds[3] = {k1, k2, n};
	uint64_t	pos = 0;
	bson_t	   *ckpt = NULL;
	int			part;

	for (part = 0; part < 3; part++)
	{
		asp_pipeline *p = compile(pipeline);
		asp_exec   *x = asp_exec_new(p, collect, o);
		asp_error	err;

		asp_error_init(&err);
		if (ckpt)
		{
			if (!asp_exec_restore(x, bson_get_data(ckpt), ckpt->len, &err))
			{
				diag("restore failed: %s", err.message);
				return false;
			}
			bson_destroy(ckpt);
			ckpt = NULL;
		}
		push_range(x, pos, bounds[part]);
		pos = bounds[part];
		if (part == 2)
			asp_exec_finish(x);
		else
		{
			ckpt = bson_new();
			if (!asp_exec_checkpoint(x, ckpt, &err))
			{
				diag("checkpoint failed: %s", err.message);
				return false;
			}
		}
		asp_exec_free(x);
		asp_pipeline_free(p);
	}
	return true;
}

/* check_case: the uninterrupted run against runs resumed at several positions */
static void
check_case(const char *name, const char *pipeline, uint64_t n)
{
	outs		full = {0};
	uint64_t	ks[][2] = {{0, 0}, {1, 1}, {n / 3, n / 2}, {n / 2 + 7, n - 1}, {n, n}};
	int			i;

	full_run(pipeline, n, &full);
	ok(full.n > 0, "%s: the uninterrupted run has output (%d documents)", name, full.n);
	for (i = 0; i < (int) (sizeof(ks) / sizeof(ks[0])); i++)
	{
		outs		r = {0};
		bool		done = resumed_run(pipeline, ks[i][0], ks[i][1], n, &r);

		ok(done && same_outputs(&full, &r),
		   "%s: resumed at %llu and %llu of %llu: same output", name,
		   (unsigned long long) ks[i][0], (unsigned long long) ks[i][1],
		   (unsigned long long) n);
		outs_free(&r);
	}
	outs_free(&full);
}

#define SRC "{'$source': {'connectionName': 'sample_stream_solar'}}"

int
main(void)
{
	check_case("tumbling $group",
			   "[" SRC ", {'$tumblingWindow': {'interval': {'size': 1, 'unit': 'second'}, "
			   "'allowedLateness': {'size': 0, 'unit': 'second'}, 'pipeline': ["
			   "{'$group': {'_id': '$group_id', 'n': {'$sum': 1}, 'w': {'$sum': '$obs.watts'}, "
			   "'avg': {'$avg': '$obs.watts'}, 'mn': {'$min': '$obs.temp'}, 'mx': {'$max': '$obs.temp'}, "
			   "'f': {'$first': '$device_id'}, 'l': {'$last': '$device_id'}, "
			   "'p': {'$push': '$obs.watts'}, 's': {'$addToSet': '$device_id'}, "
			   "'sd': {'$stdDevPop': '$obs.watts'}, 'c': {'$count': {}}, "
			   "'top': {'$topN': {'n': 2, 'sortBy': {'obs.watts': -1}, 'output': '$device_id'}}, "
			   "'mxn': {'$maxN': {'n': 3, 'input': '$obs.temp'}}}}, "
			   "{'$sort': {'_id': 1}}]}}]", 2000);
	check_case("hopping $group",
			   "[" SRC ", {'$hoppingWindow': {'interval': {'size': 3, 'unit': 'second'}, "
			   "'hopSize': {'size': 1, 'unit': 'second'}, 'pipeline': ["
			   "{'$group': {'_id': {'g': '$group_id'}, 'n': {'$sum': 1}, "
			   "'avg': {'$avg': '$obs.watts'}, 'l': {'$last': '$obs.temp'}, "
			   "'e': {'$push': '$event_type'}}}]}}]", 2000);
	check_case("$sort and $limit",
			   "[" SRC ", {'$tumblingWindow': {'interval': {'size': 2, 'unit': 'second'}, 'pipeline': ["
			   "{'$match': {'group_id': {'$lte': 5}}}, "
			   "{'$sort': {'obs.watts': -1, 'device_id': 1}}, {'$limit': 3}]}}]", 1500);
	check_case("$limit",
			   "[" SRC ", {'$tumblingWindow': {'interval': {'size': 1, 'unit': 'second'}, 'pipeline': ["
			   "{'$limit': 4}]}}]", 1500);
	check_case("$count",
			   "[" SRC ", {'$hoppingWindow': {'interval': {'size': 2, 'unit': 'second'}, "
			   "'hopSize': {'size': 500, 'unit': 'ms'}, 'pipeline': [{'$count': 'n'}]}}]", 1500);
	check_case("window without a blocking stage",
			   "[" SRC ", {'$tumblingWindow': {'interval': {'size': 1, 'unit': 'second'}, 'pipeline': ["
			   "{'$project': {'device_id': 1, 'w': '$obs.watts'}}]}}]", 1200);
	check_case("no window",
			   "[" SRC ", {'$match': {'event_type': 1}}]", 3000);

	/* a checkpoint is refused by another pipeline */
	{
		asp_pipeline *p1 = compile("[" SRC ", {'$tumblingWindow': {'interval': {'size': 1, 'unit': 'second'}, "
								   "'pipeline': [{'$count': 'n'}]}}]");
		asp_pipeline *p2 = compile("[" SRC ", {'$tumblingWindow': {'interval': {'size': 2, 'unit': 'second'}, "
								   "'pipeline': [{'$count': 'n'}]}}]");
		asp_pipeline *p3 = compile("[" SRC ", {'$project': {'a': 1}}]");
		outs		o = {0};
		asp_exec   *x1 = asp_exec_new(p1, collect, &o);
		asp_exec   *x2 = asp_exec_new(p2, collect, &o);
		asp_exec   *x3 = asp_exec_new(p3, collect, &o);
		bson_t	   *ck = bson_new();
		asp_error	err;

		asp_error_init(&err);
		push_range(x1, 0, 100);
		ok(asp_exec_checkpoint(x1, ck, &err), "checkpoint of a $count window");
		ok(!asp_exec_restore(x2, bson_get_data(ck), ck->len, &err) &&
		   strstr(err.message, "another window definition") != NULL,
		   "restoring into another window size is refused: %s", err.message);
		asp_error_init(&err);
		ok(!asp_exec_restore(x3, bson_get_data(ck), ck->len, &err) &&
		   strstr(err.message, "another pipeline") != NULL,
		   "restoring into a pipeline without a window is refused: %s", err.message);
		asp_error_init(&err);
		ok(!asp_exec_restore(x2, (const uint8_t *) "garbage!", 8, &err),
		   "a malformed checkpoint is refused: %s", err.message);
		bson_destroy(ck);
		asp_exec_free(x1);
		asp_exec_free(x2);
		asp_exec_free(x3);
		asp_pipeline_free(p1);
		asp_pipeline_free(p2);
		asp_pipeline_free(p3);
		outs_free(&o);
	}
	return tap_done();
}
