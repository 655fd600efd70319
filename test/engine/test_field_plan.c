/*-------------------------------------------------------------------------
 *
 * test_field_plan.c
 *	  The field plan (one walk of each source document filling the paths a
 *	  pipeline reads), its shape cache, the unbuilt $source document and
 *	  the integer shortcuts of $group, against the general paths.
 *
 * Random documents cover missing fields, arrays and scalars on a path,
 * duplicate field names, nested documents, long keys, many fields, fields
 * in other orders, non-string and odd timestamps, _ts and _stream_meta in
 * the input, late documents, per-document source metadata and corrupted
 * bytes.  Part 1 checks asp_field_plan_fill against asp_path_get and a
 * plain walk, with a warm and a cold shape cache.  Part 2 runs pipelines
 * compiled with and without the field plan over the same stream and
 * requires byte-identical outputs and dead letters.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>

#include "../../src/engine/exec.h"
#include "../../src/engine/json.h"
#include "../../src/engine/path.h"
#include "../../src/engine/pipeline.h"
#include "json_util.h"
#include "tap.h"

static uint64_t rng_state = 0x853c49e6748fea9bULL;

static uint64_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* rnd_below: 0 .. n-1 */
static int
rnd_below(int n)
{
	return (int) (rnd() % (uint64_t) n);
}

static const char *const ts_odd[] = {
	"2024-05-01t10:00:0%dZ", "2024-05-01 10:00:0%d.5z", "2024-05-01T10:00:0%d.123456+05:30",
	"2024-04-30T10:00:0%d.000+00:00", "2024-02-29T10:00:0%dZ", "2023-02-29T10:00:0%dZ",
	"2024/05/01 10:00:0%d", "May 1 2024 10:00:0%d", "2024-05-01T10:00:0%d+0100", "2024-05-01T10:00:0%d"
};

/* add_obs: the obs field in one of its forms */
static void
add_obs(bson_t *d)
{
	bson_t		o,
				a,
				e;
	int			k = rnd_below(20);

	switch (k)
	{
		case 0:
			return;				/* missing */
		case 1:
			BSON_APPEND_INT32(d, "obs", 7);	/* a scalar on the path */
			return;
		case 2:
			/* an array on the path: the paths map over it */
			BSON_APPEND_ARRAY_BEGIN(d, "obs", &a);
			BSON_APPEND_DOCUMENT_BEGIN(&a, "0", &e);
			BSON_APPEND_INT32(&e, "watts", rnd_below(100));
			bson_append_document_end(&a, &e);
			BSON_APPEND_INT32(&a, "1", 5);
			BSON_APPEND_DOCUMENT_BEGIN(&a, "2", &e);
			BSON_APPEND_DOUBLE(&e, "temp", 20.5);
			bson_append_document_end(&a, &e);
			bson_append_array_end(d, &a);
			return;
		default:
			break;
	}
	BSON_APPEND_DOCUMENT_BEGIN(d, "obs", &o);
	if (k == 3)
		BSON_APPEND_UTF8(&o, "note", "first");
	if (k == 4)
		BSON_APPEND_INT32(&o, "temp", 1);	/* other order */
	if (k != 5)
	{
		switch (rnd_below(6))
		{
			case 0:
				BSON_APPEND_DOUBLE(&o, "watts", rnd_below(1000) / 4.0);
				break;
			case 1:
				BSON_APPEND_INT64(&o, "watts", rnd_below(1000));
				break;
			case 2:
				BSON_APPEND_UTF8(&o, "watts", "high");
				break;
			default:
				BSON_APPEND_INT32(&o, "watts", rnd_below(1000));
		}
	}
	if (k == 6)
		BSON_APPEND_INT32(&o, "watts", -1);	/* a duplicate: the first one counts */
	if (k != 7 && k != 4)
		BSON_APPEND_INT32(&o, "temp", 5 + rnd_below(30));
	if (k == 8)
	{
		bson_t		deep;

		BSON_APPEND_DOCUMENT_BEGIN(&o, "deep", &deep);
		BSON_APPEND_INT32(&deep, "x", 1);
		bson_append_document_end(&o, &deep);
	}
	bson_append_document_end(d, &o);
}

/* add_group: group_id in one of its types */
static void
add_group(bson_t *d)
{
	int			g = rnd_below(4);
	bson_t		sub;

	switch (rnd_below(14))
	{
		case 0:
			BSON_APPEND_INT64(d, "group_id", g);
			break;
		case 1:
			BSON_APPEND_DOUBLE(d, "group_id", g);	/* 1.0 groups with 1 */
			break;
		case 2:
			BSON_APPEND_DOUBLE(d, "group_id", g + 0.5);
			break;
		case 3:
			BSON_APPEND_UTF8(d, "group_id", "g1");
			break;
		case 4:
			BSON_APPEND_NULL(d, "group_id");
			break;
		case 5:
			break;				/* missing */
		case 6:
			BSON_APPEND_DOCUMENT_BEGIN(d, "group_id", &sub);
			BSON_APPEND_INT32(&sub, "a", g);
			bson_append_document_end(d, &sub);
			break;
		case 7:
			BSON_APPEND_INT32(d, "group_id", g);
			BSON_APPEND_INT32(d, "group_id", 99);	/* duplicate */
			break;
		default:
			BSON_APPEND_INT32(d, "group_id", g);
	}
}

/* add_timestamp: the timestamp field for event time t (ms) */
static void
add_timestamp(bson_t *d, int64_t t)
{
	char		buf[64];
	int64_t		s = t / 1000;
	int			k = rnd_below(40);

	if (k == 0)
		return;					/* missing: timeField is null, a dead letter */
	if (k == 1)
	{
		BSON_APPEND_INT32(d, "timestamp", 5);	/* not a string */
		return;
	}
	if (k == 2)
	{
		BSON_APPEND_DATE_TIME(d, "timestamp", t);
		return;
	}
	if (k == 3)
	{
		snprintf(buf, sizeof(buf), ts_odd[rnd_below(sizeof(ts_odd) / sizeof(ts_odd[0]))],
				 (int) (s % 10));
		BSON_APPEND_UTF8(d, "timestamp", buf);
		return;
	}
	snprintf(buf, sizeof(buf), "2024-05-01T%02d:%02d:%02d.%03d%s", (int) (s / 3600 % 24),
			 (int) (s / 60 % 60), (int) (s % 60), (int) (t % 1000), k % 2 ? "+00:00" : "Z");
	BSON_APPEND_UTF8(d, "timestamp", buf);
	if (k == 4)
		BSON_APPEND_UTF8(d, "timestamp", "1999-01-01T00:00:00Z");	/* duplicate */
}

/* make_doc: one random source document for event time t */
static void
make_doc(bson_t *d, int64_t t)
{
	int			shape = rnd_below(30);
	int			i;
	char		key[48];

	bson_reinit(d);
	if (shape == 0)
	{
		/* many fields: more than the shape cache keeps */
		for (i = 0; i < 30; i++)
		{
			snprintf(key, sizeof(key), "f%d", i);
			BSON_APPEND_INT32(d, key, i);
		}
	}
	if (shape == 1)
		BSON_APPEND_INT32(d, "a_rather_long_field_name_beyond_the_cache", 1);
	if (shape == 2)
		add_obs(d);				/* another order */
	BSON_APPEND_UTF8(d, "device_id", rnd_below(2) ? "device_1" : "device_22");
	add_group(d);
	add_timestamp(d, t);
	BSON_APPEND_INT32(d, "max_watts", 450);
	if (shape != 2)
		add_obs(d);
	if (shape == 3)
		BSON_APPEND_DATE_TIME(d, "_ts", 5);
	if (shape == 4)
	{
		bson_t		m;

		BSON_APPEND_DOCUMENT_BEGIN(d, "_stream_meta", &m);
		BSON_APPEND_UTF8(&m, "x", "y");
		bson_append_document_end(d, &m);
	}
	if (shape == 5)
	{
		bson_t		a,
					b;

		BSON_APPEND_DOCUMENT_BEGIN(d, "a", &a);
		BSON_APPEND_DOCUMENT_BEGIN(&a, "b", &b);
		BSON_APPEND_INT32(&b, "c", 3);
		bson_append_document_end(&a, &b);
		bson_append_document_end(d, &a);
	}
	if (shape == 6)
		BSON_APPEND_UTF8(d, "event_details", "Network error");
}

/* ---------- part 1: asp_field_plan_fill against the general lookups ---------- */

static const char *const plan_paths[] = {
	"timestamp", "group_id", "obs.watts", "obs.temp", "obs", "a.b.c", "obs.deep.x", "f29",
	"a_rather_long_field_name_beyond_the_cache"
};
#define NPATHS ((int) (sizeof(plan_paths) / sizeof(plan_paths[0])))

/*
 * ref_walk: a plain walk: valid top level, conflict keys.  The raw
 * iterator stops at a malformed element (and then points at the end, so
 * the check is where the failing step started).
 */
static bool
ref_walk(const uint8_t *doc, uint32_t len, bool *conflict)
{
	asp_raw_iter it;
	asp_raw_elem e;
	const uint8_t *before;

	*conflict = false;
	if (!asp_raw_iter_init(&it, doc, len))
		return false;
	for (;;)
	{
		before = it.p;
		if (!asp_raw_iter_next(&it, &e))
			break;
		if ((e.keylen == 3 && memcmp(e.key, "_ts", 3) == 0) ||
			(e.keylen == 12 && memcmp(e.key, "_stream_meta", 12) == 0))
			*conflict = true;
	}
	return before == it.end;
}

/* same_value: equal type and equal bytes/value */
static bool
same_value(const bson_value_t *a, const bson_value_t *b)
{
	if (a->value_type != b->value_type)
		return false;
	if (a->value_type == BSON_TYPE_EOD)
		return true;
	return asp_value_compare(a, b) == 0;
}

static void
test_plan_fill(void)
{
	asp_field_plan fp;
	asp_path	paths[NPATHS];
	int			slot[NPATHS];
	asp_field_plan_vals *warm = calloc(1, sizeof(asp_field_plan_vals));
	asp_field_plan_vals *cold = calloc(1, sizeof(asp_field_plan_vals));
	asp_arena  *arena = asp_arena_new(4096);
	bson_t		d = BSON_INITIALIZER;
	int			i,
				k,
				n = 0,
				bad = 0,
				used = 0,
				fallback = 0,
				invalid = 0,
				templated = 0;
	uint8_t    *prev = NULL;
	uint32_t	prevlen = 0;
	asp_error	err;

	memset(&fp, 0, sizeof(fp));
	for (i = 0; i < NPATHS; i++)
	{
		int			parent = -1;

		if (!asp_path_init(&paths[i], plan_paths[i], strlen(plan_paths[i]), "path", &err))
			abort();
		for (k = 0; k < paths[i].nparts; k++)
			parent = asp_field_plan_slot_for(&fp, parent, paths[i].parts[k].name,
											 paths[i].parts[k].len);
		slot[i] = parent;
	}
	asp_field_plan_prepare(&fp, "_ts", "_stream_meta");
	ok(fp.nslots > NPATHS && fp.nlevels >= 3, "plan: %d slots in %d levels", fp.nslots, fp.nlevels);

	for (i = 0; i < 60000; i++)
	{
		uint8_t    *buf;
		uint32_t	len;
		bool		cw,
					cc,
					cr,
					vw,
					vc,
					vr;

		if (prev != NULL && rnd_below(3) == 0)
		{
			/*
			 * The previous document with one or two bytes changed (values,
			 * keys, types, length words: anything): the same length as the
			 * warm walk's top-level template, matching it or not.
			 */
			len = prevlen;
			buf = malloc(len);
			memcpy(buf, prev, len);
			buf[4 + rnd_below((int) len - 5)] ^= (uint8_t) (1 + rnd_below(255));
			if (rnd_below(2) == 0)
				buf[4 + rnd_below((int) len - 5)] ^= (uint8_t) (1 + rnd_below(255));
		}
		else
		{
			make_doc(&d, 1714557600000 + i * 7);
			len = d.len;
			buf = malloc(len);
			memcpy(buf, bson_get_data(&d), len);
			if (rnd_below(25) == 0)
				buf[4 + rnd_below((int) len - 5)] ^= (uint8_t) (1 + rnd_below(255));	/* corrupt a byte */
		}
		free(prev);
		prev = malloc(len);
		memcpy(prev, buf, len);
		prevlen = len;
		if (warm->top.len == len)
			templated++;
		memset(cold, 0, sizeof(*cold));
		vw = asp_field_plan_fill(&fp, buf, len, &cw, warm);
		vc = asp_field_plan_fill(&fp, buf, len, &cc, cold);
		vr = ref_walk(buf, len, &cr);
		n++;
		if (vw != vr || vc != vr || (vr && (cw != cr || cc != cr)))
		{
			if (bad++ < 5)
				diag("doc %d: valid %d/%d/%d conflict %d/%d/%d", i, vw, vc, vr, cw, cc, cr);
			free(buf);
			continue;
		}
		if (!vr)
		{
			invalid++;
			free(buf);
			continue;
		}
		for (k = 0; k < NPATHS; k++)
		{
			bson_value_t ref;
			int			s = slot[k];

			asp_arena_reset(arena);
			asp_path_get(&paths[k], 0, buf, len, arena, &ref);
			if (warm->ok[s] != cold->ok[s] ||
				(warm->ok[s] && !same_value(&warm->v[s], &cold->v[s])))
			{
				if (bad++ < 5)
					diag("doc %d path %s: warm and cold shape walks differ", i, plan_paths[k]);
			}
			else if (warm->ok[s])
			{
				used++;
				if (!same_value(&warm->v[s], &ref) && bad++ < 5)
					diag("doc %d path %s: plan type %d, lookup type %d", i, plan_paths[k],
						 warm->v[s].value_type, ref.value_type);
			}
			else
				fallback++;
		}
		free(buf);
	}
	ok(bad == 0, "plan: %d documents (%d invalid): validity, conflicts and %d values as the general lookups, "
	   "warm and cold (%d left to the general lookup)", n, invalid, used, fallback);
	ok(invalid > 100 && fallback > 100, "plan: the sample has invalid documents and arrays on paths");
	ok(templated > 10000, "plan: %d documents of the warm walk's top-level template's length", templated);
	free(prev);
	for (i = 0; i < NPATHS; i++)
		asp_path_destroy(&paths[i]);
	asp_arena_free(arena);
	bson_destroy(&d);
	free(warm);
	free(cold);
}

/*
 * flip_base: a document of S2's layout in one of a few variants (obs of
 * int32s, of a double, in the other order, with a sub-document under it,
 * as an array, with _ts): the top-level template covers it, obs included
 * when its values have fixed sizes.
 */
static void
flip_base(bson_t *d, int variant)
{
	bson_t		o,
				deep;

	bson_reinit(d);
	BSON_APPEND_UTF8(d, "device_id", "device_42");
	BSON_APPEND_INT32(d, "group_id", 7);
	BSON_APPEND_UTF8(d, "timestamp", "2024-05-01T10:00:03.123Z");
	BSON_APPEND_INT32(d, "max_watts", 450);
	if (variant == 4)
	{
		BSON_APPEND_ARRAY_BEGIN(d, "obs", &o);
		BSON_APPEND_INT32(&o, "0", 1);
		bson_append_array_end(d, &o);
		return;
	}
	BSON_APPEND_DOCUMENT_BEGIN(d, "obs", &o);
	if (variant == 2)
		BSON_APPEND_INT32(&o, "temp", 21);
	if (variant == 1)
		BSON_APPEND_DOUBLE(&o, "watts", 12.5);
	else
		BSON_APPEND_INT32(&o, "watts", 120);
	if (variant != 2)
		BSON_APPEND_INT32(&o, "temp", 21);
	if (variant == 3)
	{
		BSON_APPEND_DOCUMENT_BEGIN(&o, "deep", &deep);
		BSON_APPEND_INT32(&deep, "x", 1);
		bson_append_document_end(&o, &deep);
	}
	bson_append_document_end(d, &o);
	if (variant == 5)
		BSON_APPEND_DATE_TIME(d, "_ts", 5);
}

/*
 * test_template_flips: every byte of a templated document changed, one at
 * a time: the fill that starts from the template (warm) gives what a cold
 * one gives (validity, conflicts, every slot's value and ok).
 */
static void
test_template_flips(void)
{
	asp_field_plan fp;
	asp_path	paths[NPATHS];
	asp_field_plan_vals *warm = calloc(1, sizeof(asp_field_plan_vals));
	asp_field_plan_vals *cold = calloc(1, sizeof(asp_field_plan_vals));
	bson_t		d = BSON_INITIALIZER;
	int			i,
				k,
				variant,
				n = 0,
				bad = 0,
				templated = 0;
	asp_error	err;

	memset(&fp, 0, sizeof(fp));
	for (i = 0; i < NPATHS; i++)
	{
		int			parent = -1;

		if (!asp_path_init(&paths[i], plan_paths[i], strlen(plan_paths[i]), "path", &err))
			abort();
		for (k = 0; k < paths[i].nparts; k++)
			parent = asp_field_plan_slot_for(&fp, parent, paths[i].parts[k].name,
											 paths[i].parts[k].len);
	}
	asp_field_plan_prepare(&fp, "_ts", "_stream_meta");
	for (variant = 0; variant < 6; variant++)
	{
		uint8_t		base[512],
					buf[512];
		uint32_t	len;
		bool		c;
		int			x;

		flip_base(&d, variant);
		len = d.len;
		memcpy(base, bson_get_data(&d), len);
		for (i = 4; i < (int) len - 1; i++)
			for (x = 0; x < 3; x++)
			{
				static const uint8_t flips[3] = {0x01, 0x20, 0x80};
				bool		cw,
							cc,
							vw,
							vc;

				/* the base twice: its template (and obs's) is in place */
				asp_field_plan_fill(&fp, base, len, &c, warm);
				asp_field_plan_fill(&fp, base, len, &c, warm);
				if (warm->top.len == len)
					templated++;
				memcpy(buf, base, len);
				buf[i] ^= flips[x];
				memset(cold, 0, sizeof(*cold));
				vw = asp_field_plan_fill(&fp, buf, len, &cw, warm);
				vc = asp_field_plan_fill(&fp, buf, len, &cc, cold);
				n++;
				if (vw != vc || (vw && cw != cc))
				{
					if (bad++ < 5)
						diag("variant %d byte %d ^ %02x: valid %d/%d conflict %d/%d",
							 variant, i, flips[x], vw, vc, cw, cc);
					continue;
				}
				if (!vw)
					continue;
				for (k = 0; k < fp.nslots; k++)
					if (warm->ok[k] != cold->ok[k] ||
						(warm->ok[k] && !same_value(&warm->v[k], &cold->v[k])))
					{
						if (bad++ < 5)
							diag("variant %d byte %d ^ %02x: slot %d differs", variant, i,
								 flips[x], k);
						break;
					}
			}
	}
	ok(bad == 0, "template: %d one-byte changes of templated documents fill as a cold walk", n);
	ok(templated == n, "template: the base documents were templated (%d of %d)", templated, n);
	for (i = 0; i < NPATHS; i++)
		asp_path_destroy(&paths[i]);
	bson_destroy(&d);
	free(warm);
	free(cold);
}

/* ---------- part 2: pipelines with and without the field plan ---------- */

typedef struct out_log
{
	uint8_t    *buf;
	size_t		len,
				cap;
	int			docs,
				dlq;
} out_log;

static void
log_out(void *ud, asp_output_kind kind, const uint8_t *doc, uint32_t len)
{
	out_log    *o = ud;

	if (o->len + len + 1 > o->cap)
	{
		o->cap = (o->len + len + 1) * 2;
		o->buf = realloc(o->buf, o->cap);
	}
	o->buf[o->len++] = (uint8_t) kind;
	memcpy(o->buf + o->len, doc, len);
	o->len += len;
	if (kind == ASP_OUTPUT_DOC)
		o->docs++;
	else if (o->dlq++ < 3 && getenv("PLAN_TEST_DEBUG"))
	{
		bson_t		b;
		char	   *j;

		bson_init_static(&b, doc, len);
		j = bson_as_relaxed_extended_json(&b, NULL);
		diag("%s", j);
		bson_free(j);
	}
}

/* run_stream: the random stream through a pipeline; compiled with or without the plan */
static asp_pipeline *
run_stream(const char *json, bool plan, uint64_t seed, int ndocs, out_log *o)
{
	bson_t	   *spec = test_parse_json(json, true);
	asp_error	err;
	asp_pipeline *p = plan ? asp_pipeline_compile(spec, NULL, &err) :
		asp_pipeline_compile_unplanned(spec, NULL, &err);
	asp_exec   *x;
	bson_t		d = BSON_INITIALIZER;
	bson_t	   *meta = BCON_NEW("type", "kafka", "topic", "t");
	int64_t		t = 1714557600000;
	int			i;

	bson_destroy(spec);
	if (p == NULL)
	{
		printf("Bail out! test bug: %s\n", err.message);
		exit(2);
	}
	memset(o, 0, sizeof(*o));
	x = asp_exec_new(p, log_out, o);
	rng_state = seed;
	for (i = 0; i < ndocs; i++)
	{
		uint8_t    *buf;
		uint32_t	len;

		t += rnd_below(40) == 0 ? -6000 : 300;	/* now and then a late document */
		make_doc(&d, t);
		len = d.len;
		buf = malloc(len);
		memcpy(buf, bson_get_data(&d), len);
		if (rnd_below(40) == 0)
			buf[4 + rnd_below((int) len - 5)] ^= (uint8_t) (1 + rnd_below(255));
		if (!asp_exec_push_source(x, buf, len, t, rnd_below(30) == 0 ? meta : NULL))
		{
			printf("Bail out! fatal error: %s\n", asp_exec_error(x)->message);
			exit(2);
		}
		free(buf);
	}
	if (!asp_exec_finish(x))
	{
		printf("Bail out! fatal error at finish: %s\n", asp_exec_error(x)->message);
		exit(2);
	}
	asp_exec_free(x);
	bson_destroy(&d);
	bson_destroy(meta);
	return p;
}

typedef struct plan_case
{
	const char *name;
	const char *pipeline;
	int			lazy;			/* expected source_lazy with the plan */
} plan_case;

#define SRC "{'$source': {'documents': [], 'timeField': {'$dateFromString': {'dateString': '$timestamp'}}}}"

static const plan_case cases[] = {
	{"S2: tumbling $group of unary accumulators", "[" SRC ", {'$tumblingWindow': {'interval': {'size': 10, 'unit': 'second'},"
		" 'pipeline': [{'$group': {'_id': '$group_id', 'avg_watts': {'$avg': '$obs.watts'},"
		" 'max_temp': {'$max': '$obs.temp'}, 'n': {'$sum': 1}}}]}}]", 1},
	{"hopping, compound key, $push, 3-level path, window bounds", "[" SRC ", {'$hoppingWindow': {'interval': {'size': 10, 'unit': 'second'},"
		" 'hopSize': {'size': 4, 'unit': 'second'}, 'allowedLateness': {'size': 1, 'unit': 'second'},"
		" 'pipeline': [{'$group': {'_id': {'g': '$group_id', 'd': '$device_id'}, 's': {'$sum': '$obs.watts'},"
		" 'mn': {'$min': '$obs.temp'}, 'p': {'$push': '$obs.watts'}, 'f': {'$first': '$a.b.c'},"
		" 'o': {'$last': '$obs'}, 'x': {'$max': '$obs.deep.x'}, 'w': {'$max': {'$meta': 'stream.window.start'}}}},"
		" {'$sort': {'_id.g': 1, '_id.d': 1}}]}}]", 1},
	{"runtime errors in $group (dead letters of unbuilt documents)", "[" SRC ", {'$tumblingWindow': {'interval': {'size': 5, 'unit': 'second'},"
		" 'pipeline': [{'$group': {'_id': '$group_id', 's': {'$sum': {'$add': ['$obs.watts', 1]}},"
		" 'r': {'$max': {'$divide': [100, '$obs.temp']}}}}]}}]", 1},
	{"$group reading _ts and _stream_meta", "[" SRC ", {'$tumblingWindow': {'interval': {'size': 10, 'unit': 'second'},"
		" 'pipeline': [{'$group': {'_id': '$group_id', 't': {'$max': '$_ts'}, 'm': {'$first': '$_stream_meta.source.type'},"
		" 'n': {'$sum': 1}}}]}}]", 0},
	{"$group pushing $$ROOT", "[" SRC ", {'$tumblingWindow': {'interval': {'size': 10, 'unit': 'second'},"
		" 'pipeline': [{'$group': {'_id': '$group_id', 'docs': {'$push': '$$ROOT'}}}]}}]", 0},
	{"$group with $top (its own evaluation)", "[" SRC ", {'$tumblingWindow': {'interval': {'size': 10, 'unit': 'second'},"
		" 'pipeline': [{'$group': {'_id': '$group_id', 't': {'$top': {'sortBy': {'obs.temp': -1}, 'output': '$obs.watts'}}}}]}}]", 0},
	{"$match before $group in the window", "[" SRC ", {'$tumblingWindow': {'interval': {'size': 10, 'unit': 'second'},"
		" 'pipeline': [{'$match': {'obs.watts': {'$gte': 10}}}, {'$group': {'_id': '$group_id', 'n': {'$sum': 1}}}]}}]", 0},
	{"$project, no window", "[" SRC ", {'$project': {'w': '$obs.watts', 'g': '$group_id', '_ts': 1}}]", 0},
	{"timeField with onError", "[{'$source': {'documents': [], 'timeField': {'$dateFromString': {'dateString': '$timestamp',"
		" 'onError': {'$toDate': 0}, 'onNull': {'$toDate': 1}}}}}, {'$tumblingWindow': {'interval': {'size': 10, 'unit': 'second'},"
		" 'pipeline': [{'$group': {'_id': '$obs.temp', 'n': {'$sum': 1}, 'a': {'$avg': '$obs.watts'}}}]}}]", 1},
};

static void
test_pipelines(void)
{
	size_t		c;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
	{
		out_log		a,
					b;
		asp_pipeline *pa = run_stream(cases[c].pipeline, true, 1000 + c, 20000, &a);
		asp_pipeline *pb = run_stream(cases[c].pipeline, false, 1000 + c, 20000, &b);

		if (a.len != b.len || memcmp(a.buf, b.buf, a.len) != 0)
		{
			size_t		off = 0;

			size_t		ra = 0;

			/* the first record that differs, as JSON */
			for (;;)
			{
				uint32_t	la,
							lb;

				if (ra >= a.len || ra >= b.len)
					break;
				memcpy(&la, a.buf + ra + 1, 4);
				memcpy(&lb, b.buf + ra + 1, 4);
				if (la != lb || memcmp(a.buf + ra, b.buf + ra, la + 1) != 0)
				{
					bson_t		x,
								y;
					char	   *jx,
							   *jy;

					bson_init_static(&x, a.buf + ra + 1, la);
					bson_init_static(&y, b.buf + ra + 1, lb);
					jx = bson_as_relaxed_extended_json(&x, NULL);
					jy = bson_as_relaxed_extended_json(&y, NULL);
					diag("plan (kind %d): %s", a.buf[ra], jx ? jx : "?");
					diag("none (kind %d): %s", b.buf[ra], jy ? jy : "?");
					bson_free(jx);
					bson_free(jy);
					break;
				}
				ra += la + 1;
			}
			(void) off;
		}
		ok(a.len == b.len && memcmp(a.buf, b.buf, a.len) == 0 && a.docs > 0 && a.dlq > 0,
		   "%s: the same %d outputs and %d dead letters with and without the field plan (%d / %d)",
		   cases[c].name, a.docs, a.dlq, b.docs, b.dlq);
		ok(pa->source_lazy == (cases[c].lazy != 0) && !pb->source_lazy && pa->plan.nslots > 0 &&
		   pb->plan.nslots == 0,
		   "%s: source document %s, %d planned slots", cases[c].name,
		   pa->source_lazy ? "built on demand" : "built", pa->plan.nslots);
		asp_pipeline_free(pa);
		asp_pipeline_free(pb);
		free(a.buf);
		free(b.buf);
	}
}

/* test_hash_int: the integer hash shortcut equals the general hash */
static void
test_hash_int(void)
{
	int			i,
				bad = 0;

	for (i = 0; i < 100000; i++)
	{
		int64_t		v = (int64_t) rnd();
		bson_value_t a,
					b;

		if (i % 3 == 0)
			v = (int32_t) v;
		if (i % 5 == 0)
			v = i - 50000;
		asp_value_set_int64(&a, v);
		if (asp_value_hash_int(v, 77) != asp_value_hash(&a, 77))
			bad++;
		if (v == (int32_t) v)
		{
			asp_value_set_int32(&b, (int32_t) v);
			if (asp_value_hash_int(v, 0x2545F4914F6CDD1DULL) != asp_value_hash(&b, 0x2545F4914F6CDD1DULL))
				bad++;
		}
	}
	ok(bad == 0, "asp_value_hash_int equals asp_value_hash for int32 and int64");
}

/* ---------- $sum / $avg of int32: the exact shortcut of the compensated sum ---------- */

typedef struct sum_out
{
	bson_value_t s;
	double		a;
	int			n;
	uint8_t		sbuf[64];
} sum_out;

static void
sum_collect(void *ud, asp_output_kind kind, const uint8_t *doc, uint32_t len)
{
	sum_out    *o = ud;
	bson_value_t v;

	if (kind != ASP_OUTPUT_DOC)
		return;
	o->n++;
	if (asp_doc_get(doc, len, "s", 1, &v))
		o->s = v;
	if (asp_doc_get(doc, len, "a", 1, &v) && v.value_type == BSON_TYPE_DOUBLE)
		o->a = v.value.v_double;
}

/*
 * sum_case: $sum and $avg of field v over documents in one window against
 * the exact result (int64, or a double when a value is one: those cases
 * only add values whose double sum is exact)
 */
static void
sum_case(const char *name, const bson_value_t *vals, int n)
{
	bson_t	   *spec = test_parse_json("[{'$source': {'documents': []}}, {'$tumblingWindow': {'interval': {'size': 10, 'unit': 'second'},"
									   " 'pipeline': [{'$group': {'_id': null, 's': {'$sum': '$v'}, 'a': {'$avg': '$v'}}}]}}]", true);
	asp_error	err;
	asp_pipeline *p = asp_pipeline_compile(spec, NULL, &err);
	sum_out		o;
	asp_exec   *x;
	__int128	exact = 0;
	double		dexact;
	bool		dbl = false;
	int			i;

	memset(&o, 0, sizeof(o));
	x = asp_exec_new(p, sum_collect, &o);
	for (i = 0; i < n; i++)
	{
		bson_t		d = BSON_INITIALIZER;

		bson_append_value(&d, "v", 1, &vals[i]);
		if (vals[i].value_type == BSON_TYPE_INT32)
			exact += vals[i].value.v_int32;
		else if (vals[i].value_type == BSON_TYPE_INT64)
			exact += vals[i].value.v_int64;
		else
			dbl = true;
		asp_exec_push_source(x, bson_get_data(&d), d.len, 1000, NULL);
		bson_destroy(&d);
	}
	asp_exec_finish(x);
	dexact = (double) exact;
	if (dbl)
	{
		/* the cases with a double add exactly representable halves only */
		for (i = 0; i < n; i++)
			if (vals[i].value_type == BSON_TYPE_DOUBLE)
				dexact += vals[i].value.v_double;
		ok(o.n == 1 && o.s.value_type == BSON_TYPE_DOUBLE && o.s.value.v_double == dexact &&
		   o.a == dexact / n, "$sum/$avg %s: %.17g (expected %.17g), avg %.17g", name,
		   o.s.value.v_double, dexact, o.a);
	}
	else
		ok(o.n == 1 && ((o.s.value_type == BSON_TYPE_INT64 && o.s.value.v_int64 == (int64_t) exact) ||
						(o.s.value_type == BSON_TYPE_INT32 && o.s.value.v_int32 == (int64_t) exact)) &&
		   o.a == dexact / n, "$sum/$avg %s: %lld (expected %lld), avg %.17g (expected %.17g)", name,
		   (long long) (o.s.value_type == BSON_TYPE_INT64 ? o.s.value.v_int64 : o.s.value.v_int32),
		   (long long) exact, o.a, dexact / n);
	asp_exec_free(x);
	asp_pipeline_free(p);
	bson_destroy(spec);
}

static void
test_sum_int32(void)
{
	int			n = 4000,
				i;
	bson_value_t *v = calloc((size_t) n, sizeof(bson_value_t));

	/* across 2^52 from below: the shortcut must give way */
	asp_value_set_int64(&v[0], INT64_C(4503599627370496) - 496);
	for (i = 1; i < n; i++)
		asp_value_set_int32(&v[i], 1);
	sum_case("int64 2^52 - 496 then int32 ones", v, n);
	asp_value_set_int64(&v[0], -INT64_C(4503599627370496) + 5);
	for (i = 1; i < n; i++)
		asp_value_set_int32(&v[i], -3);
	sum_case("across -2^52", v, n);
	/* random int32 over the whole range */
	for (i = 0; i < n; i++)
		asp_value_set_int32(&v[i], (int32_t) rnd());
	sum_case("random int32", v, n);
	/* a fractional sum first: the general path throughout */
	asp_value_set_double(&v[0], 0.5);
	for (i = 1; i < n; i++)
		asp_value_set_int32(&v[i], 3);
	sum_case("0.5 then int32", v, n);
	/* beyond 2^53 in a double, then an int32: the general path (1e16 + 2 is a double) */
	asp_value_set_double(&v[0], 1e16);
	asp_value_set_int32(&v[1], 2);
	sum_case("1e16 then 2", v, 2);
	free(v);
}

int
main(void)
{
	test_hash_int();
	test_sum_int32();
	test_plan_fill();
	test_template_flips();
	test_pipelines();
	return tap_done();
}
