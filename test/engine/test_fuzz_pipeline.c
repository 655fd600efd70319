/*-------------------------------------------------------------------------
 *
 * test_fuzz_pipeline.c
 *	  A seeded mutation fuzzer over the whole engine path: JSON text ->
 *	  BSON -> compiled pipeline -> run over documents -> finish -> free.
 *
 * Seeds are valid pipelines covering every stage kind; each iteration
 * mutates one (token swaps from a dictionary of stage and operator names
 * and extreme values, byte edits, duplicated slices) and runs whatever
 * still parses and compiles.  The engine must never crash, leak or read
 * out of bounds: run it under AddressSanitizer/UndefinedBehaviorSanitizer
 * with `make fuzz` (FUZZ_ITERS iterations, default 200000; FUZZ_SEED picks
 * another random sequence); `make check-engine` runs a short deterministic
 * pass (2,000 iterations).
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "json.h"
#include "pipeline.h"
#include "solar.h"
#include "tap.h"

static const char *const seeds[] = {
	"[{\"$source\": {\"documents\": [{\"a\": 1, \"b\": [1, 2, {\"c\": \"x\"}], \"t\": {\"$date\": \"2024-01-01T00:00:01Z\"}}, {\"a\": -2.5, \"s\": \"hello\"}]}},"
	" {\"$match\": {\"a\": {\"$gte\": 0}, \"b.c\": {\"$in\": [\"x\", {\"$regularExpression\": {\"pattern\": \"^x\", \"options\": \"i\"}}]}}},"
	" {\"$project\": {\"_id\": 0, \"a\": 1, \"d\": {\"$add\": [\"$a\", 1]}, \"e\": {\"$concat\": [\"$s\", \"!\"]}}}]",
	"[{\"$source\": {\"documents\": [{\"k\": \"x\", \"v\": 3, \"t\": {\"$date\": \"2024-01-01T00:00:01Z\"}}, {\"k\": \"y\", \"v\": 0, \"t\": {\"$date\": \"2024-01-01T00:00:12Z\"}}],"
	" \"timeField\": {\"$toDate\": \"$t\"}}}, {\"$tumblingWindow\": {\"interval\": {\"size\": 10, \"unit\": \"second\"},"
	" \"allowedLateness\": {\"size\": 1, \"unit\": \"second\"}, \"pipeline\": [{\"$group\": {\"_id\": \"$k\", \"s\": {\"$sum\": \"$v\"},"
	" \"a\": {\"$avg\": \"$v\"}, \"m\": {\"$max\": \"$v\"}, \"p\": {\"$push\": \"$v\"}, \"q\": {\"$sum\": {\"$divide\": [1, \"$v\"]}}}}, {\"$sort\": {\"s\": -1}}, {\"$limit\": 5}]}}]",
	"[{\"$source\": {\"connectionName\": \"sample_stream_solar\", \"timeField\": {\"$dateFromString\": {\"dateString\": \"$timestamp\"}}}},"
	" {\"$hoppingWindow\": {\"interval\": {\"size\": 10, \"unit\": \"second\"}, \"hopSize\": {\"size\": 5, \"unit\": \"second\"},"
	" \"pipeline\": [{\"$match\": {\"obs.watts\": {\"$gt\": 10}}}, {\"$group\": {\"_id\": {\"g\": \"$group_id\"}, \"t\": {\"$topN\": {\"n\": 2, \"sortBy\": {\"obs.temp\": -1}, \"output\": \"$device_id\"}},"
	" \"x\": {\"$stdDevSamp\": \"$obs.watts\"}, \"c\": {\"$count\": {}}, \"w\": {\"$first\": {\"$meta\": \"stream.window.start\"}}}}]}}]",
	"[{\"$source\": {\"documents\": [{\"arr\": [1, [2, 3], null, {\"z\": 4}], \"o\": {\"p\": {\"q\": 1}}}]}},"
	" {\"$unwind\": {\"path\": \"$arr\", \"includeArrayIndex\": \"i\", \"preserveNullAndEmptyArrays\": true}},"
	" {\"$addFields\": {\"o.p.r\": {\"$map\": {\"input\": {\"$range\": [0, 3]}, \"as\": \"n\", \"in\": {\"$multiply\": [\"$$n\", 2]}}}}},"
	" {\"$set\": {\"f\": {\"$filter\": {\"input\": [1, 2, 3], \"cond\": {\"$gt\": [\"$$this\", 1]}}}, \"r\": {\"$reduce\": {\"input\": [1, 2], \"initialValue\": 0, \"in\": {\"$add\": [\"$$value\", \"$$this\"]}}}}},"
	" {\"$unset\": [\"o.p.q\"]}, {\"$replaceWith\": {\"$mergeObjects\": [\"$$ROOT\", {\"extra\": {\"$toString\": \"$i\"}}]}}]",
	"[{\"$source\": {\"documents\": [{\"name\": \"Ada\", \"age\": 36, \"email\": \"a@b.c\", \"lvl\": {\"x\": {\"secret\": 1}}}]}},"
	" {\"$validate\": {\"validator\": {\"$jsonSchema\": {\"bsonType\": \"object\", \"required\": [\"name\"], \"properties\": {\"age\": {\"bsonType\": \"int\", \"minimum\": 18}}}}, \"validationAction\": \"dlq\"}},"
	" {\"$redact\": {\"$cond\": [{\"$eq\": [\"$secret\", 1]}, \"$$PRUNE\", \"$$DESCEND\"]}},"
	" {\"$project\": {\"n\": {\"$toUpper\": \"$name\"}, \"d\": {\"$dateToString\": {\"date\": {\"$toDate\": 0}, \"format\": \"%Y-%m-%d\", \"timezone\": \"Europe/Berlin\"}},"
	" \"sw\": {\"$switch\": {\"branches\": [{\"case\": {\"$lt\": [\"$age\", 40]}, \"then\": \"young\"}], \"default\": \"old\"}}, \"rx\": {\"$regexFindAll\": {\"input\": \"$email\", \"regex\": \"[a-z]\"}}}}]",
	"[{\"$source\": {\"documents\": [{\"x\": {\"$numberDecimal\": \"1.5\"}, \"y\": {\"$numberLong\": \"9223372036854775807\"}, \"z\": {\"$numberDouble\": \"NaN\"}}]}},"
	" {\"$project\": {\"a\": {\"$add\": [\"$x\", \"$y\", \"$z\"]}, \"b\": {\"$pow\": [\"$x\", 3]}, \"c\": {\"$round\": [\"$x\", 1]}, \"d\": {\"$convert\": {\"input\": \"$y\", \"to\": \"int\", \"onError\": -1}},"
	" \"e\": {\"$let\": {\"vars\": {\"v\": \"$x\"}, \"in\": {\"$ln\": \"$$v\"}}}, \"f\": {\"$dateTrunc\": {\"date\": {\"$toDate\": \"$y\"}, \"unit\": \"week\"}}}}]",
};

static const char *const dict[] = {
	"\"$match\"", "\"$project\"", "\"$group\"", "\"$sort\"", "\"$limit\"", "\"$count\"", "\"$unwind\"",
	"\"$redact\"", "\"$set\"", "\"$unset\"", "\"$replaceRoot\"", "\"$tumblingWindow\"", "\"$hoppingWindow\"",
	"\"$merge\"", "\"$source\"", "\"$emit\"", "\"$add\"", "\"$divide\"", "\"$mod\"", "\"$pow\"", "\"$concat\"",
	"\"$substrCP\"", "\"$split\"", "\"$size\"", "\"$arrayElemAt\"", "\"$slice\"", "\"$map\"", "\"$filter\"",
	"\"$reduce\"", "\"$convert\"", "\"$toInt\"", "\"$toDate\"", "\"$dateFromString\"", "\"$dateToString\"",
	"\"$sum\"", "\"$avg\"", "\"$min\"", "\"$max\"", "\"$push\"", "\"$addToSet\"", "\"$topN\"", "\"$firstN\"",
	"\"$elemMatch\"", "\"$all\"", "\"$in\"", "\"$nin\"", "\"$type\"", "\"$regex\"", "\"$exists\"", "\"$not\"",
	"\"$expr\"", "\"$jsonSchema\"", "\"$$ROOT\"", "\"$$CURRENT\"", "\"$$REMOVE\"", "\"$$NOW\"", "\"$a\"",
	"\"$b.c\"", "\"$arr\"", "\"$t\"", "\"$_ts\"", "\"$_stream_meta.source\"", "0", "-1", "1", "2147483647",
	"2147483648", "-9223372036854775808", "1e308", "-0.0", "{\"$numberDouble\": \"NaN\"}",
	"{\"$numberDecimal\": \"-Infinity\"}", "{\"$date\": \"1969-12-31T23:59:59.999Z\"}", "null", "true", "[]",
	"{}", "[[[]]]", "\"\"", "\"x\"", "{\"size\": 1, \"unit\": \"ms\"}", "{\"size\": 0, \"unit\": \"day\"}",
};

static uint64_t rng_state = 42;

static uint64_t
rnd(void)
{
	uint64_t	x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return x;
}

/* mutate: one random edit of buf (length *len, capacity cap) */
static void
mutate(char *buf, size_t *len, size_t cap)
{
	size_t		n = *len;
	size_t		pos = n ? rnd() % n : 0;

	/* half of the edits swap tokens: those keep the JSON valid more often */
	switch (rnd() % 2 ? 0 : rnd() % 6)
	{
		case 0:					/* replace a token-ish span by a dictionary entry */
			{
				const char *d = dict[rnd() % (sizeof(dict) / sizeof(dict[0]))];
				size_t		dl = strlen(d);
				size_t		end;

				/* from the start of a token to its end */
				while (pos > 0 && strchr(",:{[ ", buf[pos - 1]) == NULL)
					pos--;
				end = pos;
				while (end < n && strchr(",:}] ", buf[end]) == NULL)
					end++;
				if (n - (end - pos) + dl < cap)
				{
					memmove(buf + pos + dl, buf + end, n - end);
					memcpy(buf + pos, d, dl);
					*len = n - (end - pos) + dl;
				}
				break;
			}
		case 1:					/* delete a byte */
			if (n > 0)
			{
				memmove(buf + pos, buf + pos + 1, n - pos - 1);
				*len = n - 1;
			}
			break;
		case 2:					/* insert a structural byte */
			if (n + 1 < cap)
			{
				static const char ch[] = "{}[]:,\"$0.-9aZ\\";

				memmove(buf + pos + 1, buf + pos, n - pos);
				buf[pos] = ch[rnd() % (sizeof(ch) - 1)];
				*len = n + 1;
			}
			break;
		case 3:					/* duplicate a slice */
			{
				size_t		sl = 1 + rnd() % 40;

				if (pos + sl <= n && n + sl < cap)
				{
					memmove(buf + pos + sl, buf + pos, n - pos);
					*len = n + sl;
				}
				break;
			}
		case 4:					/* flip a byte */
			if (n > 0)
				buf[pos] ^= (char) (1 << (rnd() % 8));
			break;
		default:				/* change a digit */
			if (n > 0 && buf[pos] >= '0' && buf[pos] <= '9')
				buf[pos] = (char) ('0' + rnd() % 10);
			break;
	}
}

static uint64_t outputs,
			dlqs;

static void
sink(void *ud, asp_output_kind kind, const uint8_t *doc, uint32_t len)
{
	bson_t		b;

	(void) ud;
	/* touch every output byte: a bad length shows up under ASan */
	if (bson_init_static(&b, doc, len) && bson_validate(&b, 0, NULL))
	{
		if (kind == ASP_OUTPUT_DOC)
			outputs++;
		else
			dlqs++;
	}
}

/* run_one: parse, compile and run one pipeline text; counts what happened */
static void
run_one(const char *text, size_t len, int *parsed, int *compiled)
{
	bson_t		pl;
	bool		is_array;
	asp_error	err;
	asp_pipeline *p;
	asp_exec   *x;

	bson_init(&pl);
	if (!asp_json_to_bson(text, len, NULL, &pl, &is_array, &err) || !is_array)
	{
		bson_destroy(&pl);
		return;
	}
	(*parsed)++;
	p = asp_pipeline_compile(&pl, NULL, &err);
	bson_destroy(&pl);
	if (p == NULL)
		return;
	(*compiled)++;
	x = asp_exec_new(p, sink, NULL);
	asp_exec_set_now(x, 1704067200000LL);
	if (p->source_kind == ASP_SOURCE_DOCUMENTS)
		asp_exec_push_source_documents(x);
	else
	{
		asp_solar	g;
		bson_t	   *doc = bson_new();
		uint64_t	i;

		asp_solar_init(&g, 7, 1704067200000LL);
		for (i = 0; i < 60; i++)
		{
			int64_t		t = asp_solar_doc(&g, i, doc);

			if (!asp_exec_push_source(x, bson_get_data(doc), doc->len, t, NULL))
				break;
		}
		bson_destroy(doc);
	}
	asp_exec_tick(x, 1704067200000LL + 3600000);
	asp_exec_finish(x);
	asp_exec_free(x);
	asp_pipeline_free(p);
}

int
main(void)
{
	const char *env = getenv("FUZZ_ITERS");
	const char *seed_env = getenv("FUZZ_SEED");
	long		iters = env ? atol(env) : 2000;
	size_t		cap = 1 << 16;
	char	   *buf = malloc(cap);
	int			parsed = 0,
				compiled = 0;
	long		i;
	size_t		s;

	if (seed_env && atoll(seed_env) != 0)
		rng_state = (uint64_t) atoll(seed_env);
	/* every seed must run as it is */
	for (s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++)
	{
		int			p0 = parsed,
					c0 = compiled;

		run_one(seeds[s], strlen(seeds[s]), &parsed, &compiled);
		ok(parsed == p0 + 1 && compiled == c0 + 1, "seed %zu parses and compiles", s);
	}
	ok(outputs > 0 && dlqs > 0, "the seeds produce output (%llu) and DLQ (%llu) documents",
	   (unsigned long long) outputs, (unsigned long long) dlqs);
	for (i = 0; i < iters; i++)
	{
		const char *seed = seeds[rnd() % (sizeof(seeds) / sizeof(seeds[0]))];
		size_t		len = strlen(seed);
		int			k,
					nmut = 1 + (int) (rnd() % 4);

		memcpy(buf, seed, len);
		for (k = 0; k < nmut; k++)
			mutate(buf, &len, cap);
		run_one(buf, len, &parsed, &compiled);
	}
	/* reaching this line is the test: no crash, no sanitizer report */
	ok(1, "%ld mutated pipelines: %d parsed, %d compiled and ran; no crash",
	   iters, parsed, compiled);
	ok(compiled > iters / 20, "enough mutants compile to exercise the executor (%d)", compiled);
	free(buf);
	return tap_done();
}
