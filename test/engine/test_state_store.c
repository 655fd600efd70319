/*-------------------------------------------------------------------------
 *
 * test_state_store.c
 *	  TAP tests of window state kept in a state store between batches
 *	  (state_store.h, asp_exec_set_state_store, asp_exec_end_batch).
 *
 * Each case runs a windowed pipeline over N documents of the
 * sample_stream_solar generator once without a store, then with an
 * in-memory test store ending a batch every B documents for several B
 * (1, 7, 100, 1000 and a varying size): the outputs and dead letters, in
 * order and byte for byte, must be those of the run without a store.  The
 * store must be empty once the source ended.  Runs with a store are also
 * interrupted by a checkpoint and resumed in a fresh executor with a
 * fresh store.  Cases: every accumulator in tumbling and hopping windows
 * (group keys that are documents, numbers of several types that are
 * equal, a forced hash collision), $sort + $limit, $limit, $count, a
 * window without a blocking stage, a pre-stage reading the window bounds,
 * idleTimeout; and a store at its memory bound, whose error stops the
 * run.
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
#include "../../src/engine/solar.h"
#include "../../src/engine/state_store.h"
#include "json_util.h"
#include "outs_util.h"
#include "tap.h"

#define SEED 7
#define START_MS INT64_C(1700000000000)

/* ---------- the test store: an array of entries ---------- */

typedef struct tentry
{
	int64_t		wstart;
	uint64_t	key;
	uint8_t    *val;
	uint32_t	len;
} tentry;

typedef struct tstore
{
	tentry	   *e;
	size_t		n;
	size_t		cap;
	size_t		bytes;
	size_t		limit;			/* 0: none */
	bool		collide;		/* store every group key under one key */
	uint64_t	puts;
	uint64_t	gets;
	asp_state_store ops;
} tstore;

static tentry *
ts_find(tstore *t, int64_t wstart, uint64_t key)
{
	size_t		i;

	for (i = 0; i < t->n; i++)
		if (t->e[i].wstart == wstart && t->e[i].key == key)
			return &t->e[i];
	return NULL;
}

static bool
ts_get(void *ud, int64_t wstart, uint64_t key, const uint8_t **val, uint32_t *len)
{
	tstore	   *t = ud;
	tentry	   *e = ts_find(t, wstart, t->collide ? key % 3 : key);

	t->gets++;
	if (e == NULL)
		return false;
	*val = e->val;
	*len = e->len;
	return true;
}

static bool
ts_put(void *ud, int64_t wstart, uint64_t key, const uint8_t *val, uint32_t len,
	   asp_error *err)
{
	tstore	   *t = ud;
	tentry	   *e;

	if (t->collide)
		key %= 3;
	e = ts_find(t, wstart, key);
	t->puts++;
	if (t->limit && t->bytes - (e ? e->len : 0) + len > t->limit)
		return asp_error_set(err, ASP_ERR_LIMIT, "test store: over %zu bytes", t->limit);
	if (e == NULL)
	{
		if (t->n == t->cap)
		{
			t->cap = t->cap ? t->cap * 2 : 64;
			t->e = realloc(t->e, t->cap * sizeof(tentry));
		}
		e = &t->e[t->n++];
		e->wstart = wstart;
		e->key = key;
		e->val = NULL;
		e->len = 0;
	}
	t->bytes -= e->len;
	/* a fresh copy each time: a stale pointer from get would be caught by ASan */
	free(e->val);
	e->val = malloc(len);
	memcpy(e->val, val, len);
	e->len = len;
	t->bytes += len;
	return true;
}

static void
ts_scan(void *ud, int64_t wstart, bool take, asp_state_scan_fn fn, void *arg)
{
	tstore	   *t = ud;
	size_t		i = 0;

	/* newest first, so that the caller cannot rely on the order */
	for (i = t->n; i-- > 0;)
		if (t->e[i].wstart == wstart)
			fn(arg, t->e[i].key, t->e[i].val, t->e[i].len);
	if (!take)
		return;
	for (i = 0; i < t->n;)
	{
		if (t->e[i].wstart == wstart)
		{
			t->bytes -= t->e[i].len;
			free(t->e[i].val);
			t->e[i] = t->e[--t->n];
		}
		else
			i++;
	}
}

static size_t
ts_bytes(void *ud)
{
	return ((tstore *) ud)->bytes;
}

static void
ts_init(tstore *t)
{
	memset(t, 0, sizeof(*t));
	t->ops.ud = t;
	t->ops.get = ts_get;
	t->ops.put = ts_put;
	t->ops.scan = ts_scan;
	t->ops.bytes = ts_bytes;
}

static void
ts_free(tstore *t)
{
	size_t		i;

	for (i = 0; i < t->n; i++)
		free(t->e[i].val);
	free(t->e);
}

/* ---------- collected output ---------- */

/* same_outputs: the same documents in the same order */
static bool
same_outputs(const outs *a, const outs *b)
{
	int			i;

	if (a->n != b->n)
	{
		diag("%d documents instead of %d", b->n, a->n);
		return false;
	}
	for (i = 0; i < a->n; i++)
		if (a->len[i] != b->len[i] || memcmp(a->d[i], b->d[i], a->len[i]) != 0)
		{
			bson_t		x,
						y;
			char	   *sx = NULL,
					   *sy = NULL;

			if (bson_init_static(&x, (const uint8_t *) a->d[i] + 1, a->len[i] - 1))
				sx = bson_as_relaxed_extended_json(&x, NULL);
			if (bson_init_static(&y, (const uint8_t *) b->d[i] + 1, b->len[i] - 1))
				sy = bson_as_relaxed_extended_json(&y, NULL);
			diag("document %d differs:\n#   %s\n#   %s", i, sx ? sx : "?", sy ? sy : "?");
			bson_free(sx);
			bson_free(sy);
			return false;
		}
	return true;
}

/* ---------- runs ---------- */

static asp_pipeline *
compile(const char *json)
{
	bson_t	   *b = test_parse_json(json, true);
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

/*
 * push_range: generator documents from..to, ending a batch every `batch`
 * documents (0: a varying size); ticks advance processing time with the
 * event time (for idleTimeout), once per batch.  False if the run stops.
 */
static bool
push_range(asp_exec *x, uint64_t from, uint64_t to, int batch)
{
	asp_solar	g;
	bson_t		doc = BSON_INITIALIZER;
	uint64_t	i;
	int			in_batch = 0;
	int			size = batch > 0 ? batch : 3;
	int64_t		t = START_MS;

	asp_solar_init(&g, SEED, START_MS);
	for (i = from; i < to; i++)
	{
		t = asp_solar_doc(&g, i, &doc);
		/* a quiet second every 700 documents, for idleTimeout */
		if (i % 700 == 699)
			asp_exec_tick(x, t + 1500);
		asp_exec_set_now(x, t);
		if (!asp_exec_push_source(x, bson_get_data(&doc), doc.len, t, NULL))
		{
			bson_destroy(&doc);
			return false;
		}
		if (++in_batch == size)
		{
			if (!asp_exec_end_batch(x))
			{
				bson_destroy(&doc);
				return false;
			}
			in_batch = 0;
			if (batch == 0)
				size = size * 7 % 113 + 1;
		}
	}
	bson_destroy(&doc);
	return asp_exec_end_batch(x);
}

/* run: the whole run over 0..n, with a store ending batches every `batch` documents or without */
static bool
run(const char *pipeline, uint64_t n, tstore *t, int batch, outs *o)
{
	asp_pipeline *p = compile(pipeline);
	asp_exec   *x = asp_exec_new(p, collect, o);
	bool		ok;

	if (t)
		asp_exec_set_state_store(x, &t->ops);
	ok = push_range(x, 0, n, batch) && asp_exec_finish(x);
	if (!ok)
		diag("run failed: %s", asp_exec_error(x)->message);
	asp_exec_free(x);
	asp_pipeline_free(p);
	return ok;
}

/* resumed_run: with a store, 0..k, checkpoint, a fresh executor and store, restore, k..n */
static bool
resumed_run(const char *pipeline, uint64_t k, uint64_t n, int batch, outs *o)
{
	asp_pipeline *p = compile(pipeline);
	asp_exec   *x = asp_exec_new(p, collect, o);
	tstore		t1,
				t2;
	bson_t	   *ck = bson_new();
	asp_error	err;
	bool		ok;

	asp_error_init(&err);
	ts_init(&t1);
	ts_init(&t2);
	asp_exec_set_state_store(x, &t1.ops);
	ok = push_range(x, 0, k, batch) && asp_exec_checkpoint(x, ck, &err);
	asp_exec_free(x);
	asp_pipeline_free(p);
	if (ok)
	{
		p = compile(pipeline);
		x = asp_exec_new(p, collect, o);
		asp_exec_set_state_store(x, &t2.ops);
		ok = asp_exec_restore(x, bson_get_data(ck), ck->len, &err) &&
			push_range(x, k, n, batch) && asp_exec_finish(x);
		asp_exec_free(x);
		asp_pipeline_free(p);
	}
	ok = ok && t2.n == 0;
	ts_free(&t1);
	ts_free(&t2);
	bson_destroy(ck);
	return ok;
}

static void
check_case(const char *name, const char *pipeline, uint64_t n)
{
	outs		full = {0};
	int			batches[] = {1, 7, 100, 1000, 0};
	int			i;

	run(pipeline, n, NULL, 1, &full);
	ok(full.n > 0, "%s: the run without a store has output (%d documents)", name, full.n);
	for (i = 0; i < (int) (sizeof(batches) / sizeof(batches[0])); i++)
	{
		outs		r = {0};
		tstore		t;
		bool		done;
		size_t		max_bytes = 0;

		ts_init(&t);
		done = run(pipeline, n, &t, batches[i], &r);
		(void) max_bytes;
		ok(done && same_outputs(&full, &r) && t.n == 0 && t.bytes == 0,
		   "%s: batches of %d: same output, store empty at the end (%llu puts, %llu gets)",
		   name, batches[i], (unsigned long long) t.puts, (unsigned long long) t.gets);
		ts_free(&t);
		outs_free(&r);
	}
	{
		outs		r = {0};

		ok(resumed_run(pipeline, n / 2 + 3, n, 50, &r) && same_outputs(&full, &r),
		   "%s: checkpoint with a store, resumed with a fresh store: same output", name);
		outs_free(&r);
	}
	outs_free(&full);
}

#define SRC "{'$source': {'connectionName': 'sample_stream_solar'}}"
#define ALL_ACC \
	"'n': {'$sum': 1}, 'w': {'$sum': '$obs.watts'}, 'avg': {'$avg': '$obs.watts'}, " \
	"'mn': {'$min': '$obs.temp'}, 'mx': {'$max': '$obs.temp'}, " \
	"'f': {'$first': '$device_id'}, 'l': {'$last': '$device_id'}, " \
	"'p': {'$push': '$obs.watts'}, 's': {'$addToSet': '$device_id'}, " \
	"'sd': {'$stdDevPop': '$obs.watts'}, 'ss': {'$stdDevSamp': {'$multiply': ['$obs.watts', 1.1]}}, " \
	"'c': {'$count': {}}, " \
	"'top': {'$top': {'sortBy': {'obs.watts': -1}, 'output': '$device_id'}}, " \
	"'bot': {'$bottom': {'sortBy': {'obs.temp': 1}, 'output': ['$device_id', '$obs.temp']}}, " \
	"'topn': {'$topN': {'n': 2, 'sortBy': {'obs.watts': -1}, 'output': '$device_id'}}, " \
	"'botn': {'$bottomN': {'n': 2, 'sortBy': {'obs.watts': -1}, 'output': '$device_id'}}, " \
	"'fn': {'$firstN': {'n': 3, 'input': '$obs.watts'}}, " \
	"'ln': {'$lastN': {'n': 3, 'input': '$obs.watts'}}, " \
	"'mnn': {'$minN': {'n': 2, 'input': '$obs.temp'}}, " \
	"'mxn': {'$maxN': {'n': 3, 'input': '$obs.temp'}}"

int
main(void)
{
	check_case("tumbling $group, every accumulator",
			   "[" SRC ", {'$tumblingWindow': {'interval': {'size': 1, 'unit': 'second'}, "
			   "'allowedLateness': {'size': 0, 'unit': 'second'}, 'pipeline': ["
			   "{'$group': {'_id': '$group_id', " ALL_ACC "}}]}}]", 2000);
	check_case("hopping $group, document keys, every accumulator",
			   "[" SRC ", {'$hoppingWindow': {'interval': {'size': 3, 'unit': 'second'}, "
			   "'hopSize': {'size': 1, 'unit': 'second'}, 'pipeline': ["
			   "{'$group': {'_id': {'g': '$group_id', 'e': '$event_type'}, " ALL_ACC "}}, "
			   "{'$sort': {'n': -1}}]}}]", 2000);
	check_case("$group: equal numbers of several types are one group",
			   "[" SRC ", {'$tumblingWindow': {'interval': {'size': 2, 'unit': 'second'}, "
			   "'pipeline': [{'$group': {'_id': {'$switch': {'branches': ["
			   "{'case': {'$lt': ['$obs.watts', 100]}, 'then': {'$toLong': '$group_id'}}, "
			   "{'case': {'$lt': ['$obs.watts', 200]}, 'then': {'$toDouble': '$group_id'}}], "
			   "'default': {'$toDecimal': '$group_id'}}}, 'n': {'$sum': 1}, "
			   "'p': {'$push': '$obs.watts'}}}]}}]", 1500);
	check_case("$group with the window bounds in a pre-stage",
			   "[" SRC ", {'$hoppingWindow': {'interval': {'size': 2, 'unit': 'second'}, "
			   "'hopSize': {'size': 1, 'unit': 'second'}, 'pipeline': ["
			   "{'$addFields': {'ws': {'$meta': 'stream.window.start'}}}, "
			   "{'$group': {'_id': {'d': '$device_id', 'ws': '$ws'}, 'avg': {'$avg': '$obs.temp'}}}]}}]",
			   1200);
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
	check_case("idleTimeout",
			   "[" SRC ", {'$tumblingWindow': {'interval': {'size': 3, 'unit': 'second'}, "
			   "'idleTimeout': {'size': 1, 'unit': 'second'}, 'pipeline': ["
			   "{'$group': {'_id': '$group_id', 'n': {'$sum': 1}, 'l': {'$last': '$obs.temp'}}}]}}]",
			   2100);

	/* every group under one of three store keys: collisions */
	{
		const char *pl = "[" SRC ", {'$tumblingWindow': {'interval': {'size': 2, 'unit': 'second'}, "
			"'pipeline': [{'$group': {'_id': '$device_id', " ALL_ACC "}}]}}]";
		outs		full = {0},
					r = {0};
		tstore		t;

		run(pl, 1500, NULL, 1, &full);
		ts_init(&t);
		t.collide = true;
		ok(run(pl, 1500, &t, 13, &r) && same_outputs(&full, &r) && t.n == 0,
		   "groups whose hashes collide in the store: same output");
		ts_free(&t);
		outs_free(&r);
		outs_free(&full);
	}

	/* the store's memory bound stops the run with its error */
	{
		const char *pl = "[" SRC ", {'$tumblingWindow': {'interval': {'size': 60, 'unit': 'second'}, "
			"'pipeline': [{'$group': {'_id': '$device_id', 'p': {'$push': '$$ROOT'}}}]}}]";
		asp_pipeline *p = compile(pl);
		outs		o = {0};
		asp_exec   *x = asp_exec_new(p, collect, &o);
		tstore		t;
		asp_exec_stats st;
		bool		done;

		ts_init(&t);
		t.limit = 20000;
		asp_exec_set_state_store(x, &t.ops);
		done = push_range(x, 0, 20, 10);
		asp_exec_get_stats(x, &st);
		ok(done && st.state_bytes >= t.bytes && t.bytes > 0,
		   "state bytes include the store's (%zu >= %zu)", st.state_bytes, t.bytes);
		done = push_range(x, 20, 1000, 10);
		ok(!done && strstr(asp_exec_error(x)->message, "test store: over 20000 bytes") != NULL,
		   "at the bound the run stops with the store's error: %s", asp_exec_error(x)->message);
		ok(t.bytes <= 20000, "the store stayed within its bound (%zu bytes)", t.bytes);
		asp_exec_free(x);
		asp_pipeline_free(p);
		ts_free(&t);
		outs_free(&o);
	}
	return tap_done();
}
