/*-------------------------------------------------------------------------
 *
 * test_window.c
 *	  TAP tests of $tumblingWindow and $hoppingWindow (window.c) run through
 *	  the executor: the watermark and allowedLateness boundaries, late
 *	  documents, event time from the source and from timeField, idleTimeout,
 *	  boundary "processingTime", hopping membership, negative event times
 *	  and offsets, pre-stages reading the window bounds, statistics, empty
 *	  windows, window pipelines without a blocking stage, documents in more
 *	  than 64 hopping windows, and event times at the ends of the int64
 *	  range.
 *
 * Each test compiles a pipeline with asp_pipeline_compile, pushes
 * documents with asp_exec_push_source at chosen event times (ms since the
 * epoch), and checks what came out since the previous check.  An output
 * document is compared in a simplified form: {w: [window start, window
 * end] (ms, from _stream_meta.window), ...its fields without _ts and
 * _stream_meta}, as relaxed extended JSON.  A dead letter is compared by
 * operatorName, a fragment of errInfo.reason, and its "doc" in the same
 * simplified form.  Pipelines and documents are written with ' for " to
 * keep the C strings readable.
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

#define MAX_OUT 128

typedef struct run
{
	asp_pipeline *p;
	asp_exec   *x;
	int			ndocs;
	char	   *docs[MAX_OUT];	/* simplified output documents */
	char	   *raw[MAX_OUT];	/* the output documents as they are */
	bool		has_win[MAX_OUT];	/* _stream_meta.window of each output */
	int64_t		wstart[MAX_OUT];
	int64_t		wend[MAX_OUT];
	int			ndlq;
	char	   *dlq_doc[MAX_OUT];	/* simplified "doc" of each dead letter */
	char	   *dlq_op[MAX_OUT];
	char	   *dlq_reason[MAX_OUT];
	char	   *dlq_raw[MAX_OUT];
} run;

/* ---------- helpers ---------- */

/* parse: JSON text with ' for " (object or array) to BSON; bails out on bad JSON */
static bson_t *
parse(const char *json)
{
	return test_parse_json(json, true);
}

/* relaxed: relaxed extended JSON of a document */
static char *
relaxed(const bson_t *b)
{
	return bson_as_relaxed_extended_json(b, NULL);
}

/*
 * simplify: {w: [start, end]} from _stream_meta.window (if any), then the
 * fields of the document other than _ts and _stream_meta
 */
static char *
simplify(const uint8_t *doc, uint32_t len)
{
	bson_t		b,
				out = BSON_INITIALIZER;
	bson_iter_t it,
				d;
	char	   *s;

	if (!bson_init_static(&b, doc, len))
		return strdup("<invalid BSON>");
	if (bson_iter_init(&it, &b) && bson_iter_find_descendant(&it, "_stream_meta.window.start", &d) &&
		BSON_ITER_HOLDS_DATE_TIME(&d))
	{
		int64_t		start = bson_iter_date_time(&d);
		bson_t		arr;

		bson_iter_init(&it, &b);
		if (bson_iter_find_descendant(&it, "_stream_meta.window.end", &d) &&
			BSON_ITER_HOLDS_DATE_TIME(&d))
		{
			BSON_APPEND_ARRAY_BEGIN(&out, "w", &arr);
			BSON_APPEND_INT64(&arr, "0", start);
			BSON_APPEND_INT64(&arr, "1", bson_iter_date_time(&d));
			bson_append_array_end(&out, &arr);
		}
	}
	bson_iter_init(&it, &b);
	while (bson_iter_next(&it))
		if (strcmp(bson_iter_key(&it), "_ts") != 0 && strcmp(bson_iter_key(&it), "_stream_meta") != 0)
			bson_append_iter(&out, NULL, 0, &it);
	s = relaxed(&out);
	bson_destroy(&out);
	{
		char	   *copy = strdup(s);

		bson_free(s);
		return copy;
	}
}

/* utf8_at: a string field of a document (dotted path), "" if absent */
static char *
utf8_at(const bson_t *b, const char *path)
{
	bson_iter_t it,
				d;

	if (bson_iter_init(&it, b) && bson_iter_find_descendant(&it, path, &d) &&
		BSON_ITER_HOLDS_UTF8(&d))
		return strdup(bson_iter_utf8(&d, NULL));
	return strdup("");
}

/* collect: the output callback */
static void
collect(void *ud, asp_output_kind kind, const uint8_t *doc, uint32_t len)
{
	run		   *r = ud;
	bson_t		b;

	if (!bson_init_static(&b, doc, len))
		return;
	if (kind == ASP_OUTPUT_DOC)
	{
		char	   *s;

		if (r->ndocs >= MAX_OUT)
			return;
		r->docs[r->ndocs] = simplify(doc, len);
		{
			bson_iter_t it,
						d;

			r->has_win[r->ndocs] = false;
			if (bson_iter_init(&it, &b) &&
				bson_iter_find_descendant(&it, "_stream_meta.window.start", &d) &&
				BSON_ITER_HOLDS_DATE_TIME(&d))
			{
				r->wstart[r->ndocs] = bson_iter_date_time(&d);
				bson_iter_init(&it, &b);
				if (bson_iter_find_descendant(&it, "_stream_meta.window.end", &d) &&
					BSON_ITER_HOLDS_DATE_TIME(&d))
				{
					r->wend[r->ndocs] = bson_iter_date_time(&d);
					r->has_win[r->ndocs] = true;
				}
			}
		}
		s = relaxed(&b);
		r->raw[r->ndocs] = strdup(s);
		bson_free(s);
		r->ndocs++;
	}
	else
	{
		bson_iter_t it;
		char	   *s;

		if (r->ndlq >= MAX_OUT)
			return;
		if (bson_iter_init_find(&it, &b, "doc") && BSON_ITER_HOLDS_DOCUMENT(&it))
		{
			const uint8_t *data;
			uint32_t	dlen;

			bson_iter_document(&it, &dlen, &data);
			r->dlq_doc[r->ndlq] = simplify(data, dlen);
		}
		else
			r->dlq_doc[r->ndlq] = strdup("<no doc>");
		r->dlq_op[r->ndlq] = utf8_at(&b, "operatorName");
		r->dlq_reason[r->ndlq] = utf8_at(&b, "errInfo.reason");
		s = relaxed(&b);
		r->dlq_raw[r->ndlq] = strdup(s);
		bson_free(s);
		r->ndlq++;
	}
}

static void
clear_docs(run *r)
{
	int			i;

	for (i = 0; i < r->ndocs; i++)
	{
		free(r->docs[i]);
		free(r->raw[i]);
	}
	r->ndocs = 0;
}

static void
clear_dlq(run *r)
{
	int			i;

	for (i = 0; i < r->ndlq; i++)
	{
		free(r->dlq_doc[i]);
		free(r->dlq_op[i]);
		free(r->dlq_reason[i]);
		free(r->dlq_raw[i]);
	}
	r->ndlq = 0;
}

/* start: compile a pipeline (JSON array, ' for ") and make its executor */
static bool
start(run *r, const char *pipeline_json)
{
	bson_t	   *pb = parse(pipeline_json);
	asp_error	err;

	memset(r, 0, sizeof(*r));
	asp_error_init(&err);
	r->p = asp_pipeline_compile(pb, NULL, &err);
	bson_destroy(pb);
	if (r->p == NULL)
	{
		diag("pipeline does not compile: %s (path %s): %s", err.message, err.path, pipeline_json);
		return false;
	}
	r->x = asp_exec_new(r->p, collect, r);
	return true;
}

static void
stop(run *r)
{
	clear_docs(r);
	clear_dlq(r);
	if (r->x)
		asp_exec_free(r->x);
	if (r->p)
		asp_pipeline_free(r->p);
	memset(r, 0, sizeof(*r));
}

/* push: one source document at event time t (ms) */
static void
push(run *r, int64_t t, const char *doc_json)
{
	bson_t	   *d;

	if (r->x == NULL)
		return;
	d = parse(doc_json);
	if (!asp_exec_push_source(r->x, bson_get_data(d), d->len, t, NULL))
		diag("fatal error: %s", asp_exec_error(r->x)->message);
	bson_destroy(d);
}

/* push_at: set the processing-time clock to now, then push */
static void
push_at(run *r, int64_t now, int64_t t, const char *doc_json)
{
	if (r->x == NULL)
		return;
	asp_exec_set_now(r->x, now);
	push(r, t, doc_json);
}

static void
tick(run *r, int64_t now)
{
	if (r->x && !asp_exec_tick(r->x, now))
		diag("fatal error: %s", asp_exec_error(r->x)->message);
}

static void
finish(run *r)
{
	if (r->x && !asp_exec_finish(r->x))
		diag("fatal error: %s", asp_exec_error(r->x)->message);
}

/* canon_list: relaxed JSON of each element of a JSON array of documents */
static int
canon_list(const char *json, char **out)
{
	return test_canon_list(parse(json), out, MAX_OUT, true);
}

/* same_list: got[0..ngot) equals the documents of the JSON array want_json */
static bool
same_list(char **got, int ngot, const char *want_json)
{
	char	   *want[MAX_OUT];
	int			n = canon_list(want_json, want);
	bool		same = (n == ngot);
	int			i;

	for (i = 0; same && i < n; i++)
		same = strcmp(want[i], got[i]) == 0;
	if (!same)
	{
		for (i = 0; i < n; i++)
			diag("want[%d] %s", i, want[i]);
		for (i = 0; i < ngot; i++)
			diag("got[%d]  %s", i, got[i]);
	}
	for (i = 0; i < n; i++)
		bson_free(want[i]);
	return same;
}

/*
 * out_is: the documents output since the last check are exactly want_json
 * (simplified form, in order), and no dead letter came; clears both.
 */
static void
out_is(run *r, const char *what, const char *want_json)
{
	bool		good = same_list(r->docs, r->ndocs, want_json);
	int			i;

	if (r->ndlq != 0)
	{
		for (i = 0; i < r->ndlq; i++)
			diag("unexpected dead letter: %s", r->dlq_raw[i]);
		good = false;
	}
	ok(good && r->x != NULL, "%s", what);
	clear_docs(r);
	clear_dlq(r);
}

/*
 * dlq_is: the dead letters since the last check have exactly the docs of
 * want_json (simplified), each with operatorName op and a reason
 * containing frag; no other output came.  Clears both.
 */
static void
dlq_is(run *r, const char *what, const char *op, const char *frag, const char *want_json)
{
	bool		good = same_list(r->dlq_doc, r->ndlq, want_json);
	int			i;

	for (i = 0; i < r->ndlq; i++)
	{
		if (strcmp(r->dlq_op[i], op) != 0)
		{
			diag("dead letter %d: operatorName '%s', want '%s'", i, r->dlq_op[i], op);
			good = false;
		}
		if (strstr(r->dlq_reason[i], frag) == NULL)
		{
			diag("dead letter %d: reason '%s' lacks '%s'", i, r->dlq_reason[i], frag);
			good = false;
		}
	}
	if (r->ndocs != 0)
	{
		for (i = 0; i < r->ndocs; i++)
			diag("unexpected output: %s", r->docs[i]);
		good = false;
	}
	ok(good && r->x != NULL, "%s", what);
	clear_docs(r);
	clear_dlq(r);
}

/* ms_utc: ms since the epoch of a UTC civil time (proleptic Gregorian) */
static int64_t
ms_utc(int y, int mo, int d, int h, int mi, int s, int ms)
{
	/* days from civil (H. Hinnant) */
	int64_t		yy = y - (mo <= 2);
	int64_t		era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t		yoe = yy - era * 400;
	int64_t		doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t		doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t		days = era * 146097 + doe - 719468;

	return ((days * 24 + h) * 60 + mi) * 60000 + (int64_t) s * 1000 + ms;
}

/* the window pipelines used below */
#define SRC "{'$source': {'documents': []}}"
#define IDS "{'$group': {'_id': null, 'ids': {'$push': '$id'}}}"

/* tumbling: [$source, $tumblingWindow {interval: size s, <extra>, pipeline: [<pl>]}] */
static bool
start_tumbling(run *r, int size_s, const char *extra, const char *pl)
{
	char		text[2048];

	snprintf(text, sizeof(text),
			 "[" SRC ", {'$tumblingWindow': {'interval': {'size': %d, 'unit': 'second'}%s%s,"
			 " 'pipeline': [%s]}}]", size_s, extra[0] ? ", " : "", extra, pl);
	return start(r, text);
}

static bool
start_hopping(run *r, int size_s, int hop_s, const char *extra, const char *pl)
{
	char		text[2048];

	snprintf(text, sizeof(text),
			 "[" SRC ", {'$hoppingWindow': {'interval': {'size': %d, 'unit': 'second'},"
			 " 'hopSize': {'size': %d, 'unit': 'second'}%s%s, 'pipeline': [%s]}}]",
			 size_s, hop_s, extra[0] ? ", " : "", extra, pl);
	return start(r, text);
}

#define LATE0 "'allowedLateness': {'size': 0, 'unit': 'second'}"

/* ---------- 1. watermark and allowedLateness boundaries ---------- */

static void
test_boundaries(void)
{
	run			r;

	/* allowedLateness 0: [0, 10s) closes when the watermark reaches 10 s */
	start_tumbling(&r, 10, LATE0, IDS);
	push(&r, 0, "{'id': 'a'}");
	push(&r, 9999, "{'id': 'b'}");
	out_is(&r, "lateness 0: documents at 0 and 9.999 s: [0, 10s) still open", "[]");
	push(&r, 10000, "{'id': 'c'}");
	out_is(&r, "lateness 0: a document at t = 10 s closes [0, 10s) (without that document)",
		   "[{'w': [0, 10000], '_id': null, 'ids': ['a', 'b']}]");
	push(&r, 9999, "{'id': 'd'}");
	dlq_is(&r, "lateness 0: t = 9.999 s after the watermark reached 10 s is late",
		   "$tumblingWindow", "late", "[{'id': 'd'}]");
	finish(&r);
	out_is(&r, "lateness 0: finish closes [10s, 20s)",
		   "[{'w': [10000, 20000], '_id': null, 'ids': ['c']}]");
	stop(&r);

	/* allowedLateness 2 s */
	start_tumbling(&r, 10, "'allowedLateness': {'size': 2, 'unit': 'second'}", IDS);
	push(&r, 1000, "{'id': 'a'}");
	push(&r, 11999, "{'id': 'b'}");
	out_is(&r, "lateness 2 s: watermark 11.999 s: [0, 10s) still open", "[]");
	push(&r, 9000, "{'id': 'c'}");
	out_is(&r, "lateness 2 s: t = 9 s after a document of [10s, 20s) is not late", "[]");
	push(&r, 12000, "{'id': 'd'}");
	out_is(&r, "lateness 2 s: t = 12 s closes [0, 10s), which counted the out-of-order document",
		   "[{'w': [0, 10000], '_id': null, 'ids': ['a', 'c']}]");
	push(&r, 9999, "{'id': 'e'}");
	dlq_is(&r, "lateness 2 s: t = 9.999 s after the watermark reached 12 s goes to the DLQ",
		   "$tumblingWindow", "late", "[{'id': 'e'}]");
	push(&r, 10000, "{'id': 'f'}");
	out_is(&r, "lateness 2 s: t = 10 s (window [10s, 20s) open) is counted", "[]");
	finish(&r);
	out_is(&r, "lateness 2 s: finish closes [10s, 20s) with b, d, f",
		   "[{'w': [10000, 20000], '_id': null, 'ids': ['b', 'd', 'f']}]");
	stop(&r);

	/* the default allowedLateness is 3 s */
	start_tumbling(&r, 10, "", IDS);
	push(&r, 500, "{'id': 'a'}");
	push(&r, 12999, "{'id': 'b'}");
	out_is(&r, "default lateness: watermark 12.999 s: [0, 10s) open", "[]");
	push(&r, 13000, "{'id': 'c'}");
	out_is(&r, "default lateness (3 s): watermark 13 s closes [0, 10s)",
		   "[{'w': [0, 10000], '_id': null, 'ids': ['a']}]");
	stop(&r);

	/* the DLQ document of a late document */
	start_tumbling(&r, 10, LATE0, "");
	push(&r, 25000, "{'id': 'x'}");
	push(&r, 5000, "{'id': 'late', 'v': 1}");
	{
		bool		good = r.ndlq == 1 && r.ndocs == 0;

		if (good)
		{
			bson_t	   *got = bson_new_from_json((const uint8_t *) r.dlq_raw[0], -1, NULL);
			bson_iter_t it,
						d;

			good = got != NULL;
			if (good)
			{
				/* {_stream_meta: {source: {type: documents}}, errInfo, operatorName, doc} */
				good = bson_iter_init(&it, got) &&
					bson_iter_find_descendant(&it, "_stream_meta.source.type", &d) &&
					BSON_ITER_HOLDS_UTF8(&d) && strcmp(bson_iter_utf8(&d, NULL), "documents") == 0;
				bson_iter_init(&it, got);
				good = good && !bson_iter_find_descendant(&it, "_stream_meta.window", &d);
				bson_iter_init(&it, got);
				good = good && bson_iter_find_descendant(&it, "doc._ts", &d) &&
					BSON_ITER_HOLDS_DATE_TIME(&d) && bson_iter_date_time(&d) == 5000;
				good = good && strstr(r.dlq_reason[0], "1970-01-01T00:00:05.000Z") != NULL &&
					strstr(r.dlq_reason[0], "1970-01-01T00:00:25.000Z") != NULL;
				bson_destroy(got);
			}
		}
		if (!good && r.ndlq > 0)
			diag("got %s", r.dlq_raw[0]);
		ok(good, "late DLQ document: _stream_meta.source, no window, doc with _ts; reason names event time and watermark");
	}
	clear_dlq(&r);
	stop(&r);
}

/* ---------- 2. event time from the source, and from timeField ---------- */

static void
test_event_time_source(void)
{
	run			r;

	start_tumbling(&r, 10, LATE0, "");
	push(&r, 15000, "{'id': 'a'}");
	push(&r, 12000, "{'id': 'b'}");
	out_is(&r, "no timeField: nothing closes while source times stay in [10s, 20s)", "[]");
	push(&r, 20000, "{'id': 'c'}");
	out_is(&r, "no timeField: the event_time_ms argument puts documents in [10s, 20s)",
		   "[{'w': [10000, 20000], 'id': 'a'}, {'w': [10000, 20000], 'id': 'b'}]");
	push(&r, 19999, "{'id': 'd'}");
	dlq_is(&r, "no timeField: a source time of 19.999 s after watermark 20 s is late",
		   "$tumblingWindow", "late", "[{'id': 'd'}]");
	finish(&r);
	ok(r.ndocs == 1 && strstr(r.raw[0], "\"_ts\" : { \"$date\" : \"1970-01-01T00:00:20Z\" }") != NULL,
	   "no timeField: _ts is the source time (%s)", r.ndocs ? r.raw[0] : "nothing");
	clear_docs(&r);
	stop(&r);

	/* with timeField the argument is ignored */
	start(&r, "[{'$source': {'documents': [], 'timeField': {'$toDate': '$t'}}},"
		  " {'$tumblingWindow': {'interval': {'size': 10, 'unit': 'second'}, " LATE0 ","
		  " 'pipeline': [{'$project': {'id': 1}}]}}]");
	push(&r, 0, "{'id': 'a', 't': {'$date': '1970-01-01T00:00:25Z'}}");
	push(&r, 99000, "{'id': 'b', 't': {'$date': '1970-01-01T00:00:31Z'}}");
	out_is(&r, "timeField: event times come from the document, not the argument",
		   "[{'w': [20000, 30000], 'id': 'a'}]");
	stop(&r);
}

/* ---------- 3. idleTimeout ---------- */

static void
test_idle_timeout(void)
{
	run			r;
	const int64_t T = 1700000000000LL;	/* processing time */

	start_tumbling(&r, 10, "'idleTimeout': {'size': 5, 'unit': 'second'}", IDS);
	push_at(&r, T, 1000, "{'id': 'a'}");
	push_at(&r, T + 1000, 12000, "{'id': 'b'}");
	push_at(&r, T + 2000, 5000, "{'id': 'c'}");
	out_is(&r, "idle: two windows open (default lateness 3 s)", "[]");
	tick(&r, T + 2000 + 1000);
	tick(&r, T + 2000 + 4999);
	out_is(&r, "idle: tick at last input + 4.999 s closes nothing", "[]");
	tick(&r, T + 2000 + 5000);
	out_is(&r, "idle: tick at last input + 5 s closes and emits every open window",
		   "[{'w': [0, 10000], '_id': null, 'ids': ['a', 'c']},"
		   " {'w': [10000, 20000], '_id': null, 'ids': ['b']}]");
	tick(&r, T + 2000 + 6000);
	out_is(&r, "idle: a second tick emits nothing more", "[]");
	push_at(&r, T + 9000, 15000, "{'id': 'd'}");
	push_at(&r, T + 9001, 9000, "{'id': 'e'}");
	dlq_is(&r, "idle: later documents for windows closed by the idle timeout are late",
		   "$tumblingWindow", "late", "[{'id': 'd'}, {'id': 'e'}]");
	push_at(&r, T + 10000, 21000, "{'id': 'f'}");
	tick(&r, T + 14999);
	out_is(&r, "idle: a document for a new window opens it; 4.999 s later nothing closes", "[]");
	tick(&r, T + 15000);
	out_is(&r, "idle: 5 s after the last input it closes",
		   "[{'w': [20000, 30000], '_id': null, 'ids': ['f']}]");
	finish(&r);
	out_is(&r, "idle: finish has nothing left", "[]");
	stop(&r);

	/* a late document counts as input for the idle clock */
	start_tumbling(&r, 10, LATE0 ", 'idleTimeout': {'size': 5, 'unit': 'second'}", IDS);
	push_at(&r, T, 25000, "{'id': 'a'}");
	push_at(&r, T + 3000, 1000, "{'id': 'late'}");
	dlq_is(&r, "idle: a late document", "$tumblingWindow", "late", "[{'id': 'late'}]");
	tick(&r, T + 5000);
	out_is(&r, "idle: 5 s after the first input but 2 s after the last: nothing closes", "[]");
	tick(&r, T + 8000);
	out_is(&r, "idle: 5 s after the last input: closes",
		   "[{'w': [20000, 30000], '_id': null, 'ids': ['a']}]");
	stop(&r);
}

/* ---------- 4. boundary processingTime ---------- */

static void
test_processing_time(void)
{
	run			r;
	asp_error	err;
	bson_t	   *pb;
	asp_pipeline *p;

	start_tumbling(&r, 10, "'boundary': 'processingTime'", IDS);
	push_at(&r, 1000, 999999000, "{'id': 'a'}");
	push_at(&r, 4000, -5000, "{'id': 'b'}");
	push_at(&r, 9999, 55000, "{'id': 'c'}");
	out_is(&r, "processingTime: event times are ignored; [0, 10s) open at now = 9.999 s", "[]");
	tick(&r, 9999);
	out_is(&r, "processingTime: tick at 9.999 s closes nothing", "[]");
	push_at(&r, 10000, 1, "{'id': 'd'}");
	out_is(&r, "processingTime: a document arriving at now = 10 s closes [0, 10s)",
		   "[{'w': [0, 10000], '_id': null, 'ids': ['a', 'b', 'c']}]");
	push_at(&r, 12000, 3, "{'id': 'e'}");
	tick(&r, 19999);
	out_is(&r, "processingTime: tick at 19.999 s closes nothing", "[]");
	tick(&r, 20500);
	out_is(&r, "processingTime: tick past the end closes [10s, 20s)",
		   "[{'w': [10000, 20000], '_id': null, 'ids': ['d', 'e']}]");
	push_at(&r, 31000, 0, "{'id': 'f'}");
	finish(&r);
	out_is(&r, "processingTime: windows come from the clock; finish closes [30s, 40s)",
		   "[{'w': [30000, 40000], '_id': null, 'ids': ['f']}]");
	stop(&r);

	/* hopping on processing time */
	start_hopping(&r, 10, 5, "'boundary': 'processingTime'", IDS);
	push_at(&r, 7000, 0, "{'id': 'a'}");
	tick(&r, 10000);
	out_is(&r, "processingTime hopping: tick at 10 s closes [0, 10s)",
		   "[{'w': [0, 10000], '_id': null, 'ids': ['a']}]");
	tick(&r, 15000);
	out_is(&r, "processingTime hopping: tick at 15 s closes [5s, 15s)",
		   "[{'w': [5000, 15000], '_id': null, 'ids': ['a']}]");
	stop(&r);

	/* refused options */
	pb = parse("[" SRC ", {'$tumblingWindow': {'interval': {'size': 1, 'unit': 'second'},"
			   " 'boundary': 'processingTime', 'allowedLateness': {'size': 1, 'unit': 'second'},"
			   " 'pipeline': []}}]");
	asp_error_init(&err);
	p = asp_pipeline_compile(pb, NULL, &err);
	bson_destroy(pb);
	ok(p == NULL && err.code == ASP_ERR_INVALID &&
	   strcmp(err.message, "'allowedLateness' is not allowed with boundary \"processingTime\"") == 0 &&
	   err.stage_index == 1 && strcmp(err.stage_name, "$tumblingWindow") == 0 &&
	   strcmp(err.path, "allowedLateness") == 0,
	   "processingTime + allowedLateness is refused (%s | %d %s %s)", err.message,
	   err.stage_index, err.stage_name, err.path);
	if (p)
		asp_pipeline_free(p);

	pb = parse("[" SRC ", {'$hoppingWindow': {'interval': {'size': 2, 'unit': 'second'},"
			   " 'hopSize': {'size': 1, 'unit': 'second'},"
			   " 'idleTimeout': {'size': 1, 'unit': 'second'}, 'boundary': 'processingTime',"
			   " 'pipeline': []}}]");
	asp_error_init(&err);
	p = asp_pipeline_compile(pb, NULL, &err);
	bson_destroy(pb);
	ok(p == NULL && err.code == ASP_ERR_INVALID &&
	   strcmp(err.message, "'idleTimeout' is not allowed with boundary \"processingTime\"") == 0 &&
	   err.stage_index == 1 && strcmp(err.stage_name, "$hoppingWindow") == 0 &&
	   strcmp(err.path, "idleTimeout") == 0,
	   "processingTime + idleTimeout is refused (%s | %d %s %s)", err.message,
	   err.stage_index, err.stage_name, err.path);
	if (p)
		asp_pipeline_free(p);

	pb = parse("[" SRC ", {'$tumblingWindow': {'interval': {'size': 1, 'unit': 'second'},"
			   " 'boundary': 'eventTime', 'allowedLateness': {'size': 1, 'unit': 'second'},"
			   " 'idleTimeout': {'size': 1, 'unit': 'second'}, 'pipeline': []}}]");
	asp_error_init(&err);
	p = asp_pipeline_compile(pb, NULL, &err);
	bson_destroy(pb);
	ok(p != NULL, "boundary eventTime accepts allowedLateness and idleTimeout (%s)", err.message);
	if (p)
		asp_pipeline_free(p);
}

/* ---------- 5. hopping windows ---------- */

static void
test_hopping(void)
{
	run			r;

	/* size 10 s, hop 5 s: every document is in two windows */
	start_hopping(&r, 10, 5, LATE0, IDS);
	push(&r, 7000, "{'id': 'a'}");
	push(&r, 9999, "{'id': 'b'}");
	out_is(&r, "hop 10/5: nothing closed yet", "[]");
	push(&r, 10000, "{'id': 'c'}");
	out_is(&r, "hop 10/5: t = 10 s closes [0, 10s) with a, b",
		   "[{'w': [0, 10000], '_id': null, 'ids': ['a', 'b']}]");
	push(&r, 8000, "{'id': 'd'}");
	out_is(&r, "hop 10/5: t = 8 s ([0,10s) closed, [5s,15s) open) is added to the open one, not late",
		   "[]");
	push(&r, 16000, "{'id': 'e'}");
	out_is(&r, "hop 10/5: t = 16 s closes [5s, 15s) with a, b, c, d",
		   "[{'w': [5000, 15000], '_id': null, 'ids': ['a', 'b', 'c', 'd']}]");
	push(&r, 9000, "{'id': 'f'}");
	dlq_is(&r, "hop 10/5: t = 9 s with both its windows closed goes to the DLQ once",
		   "$hoppingWindow", "late", "[{'id': 'f'}]");
	finish(&r);
	out_is(&r, "hop 10/5: finish closes [10s, 20s) and [15s, 25s) in start order",
		   "[{'w': [10000, 20000], '_id': null, 'ids': ['c', 'e']},"
		   " {'w': [15000, 25000], '_id': null, 'ids': ['e']}]");
	stop(&r);

	/* size 7 s, hop 3 s: windows [3k, 3k + 7): 3 windows for t mod 3 s < 1 s, else 2 */
	start_hopping(&r, 7, 3, LATE0, IDS);
	push(&r, 0, "{'id': 't0'}");
	push(&r, 999, "{'id': 't0.999'}");
	push(&r, 1000, "{'id': 't1'}");
	push(&r, 2500, "{'id': 't2.5'}");
	push(&r, 3000, "{'id': 't3'}");
	finish(&r);
	out_is(&r, "hop 7/3: t = 0, 0.999, 3 s are in 3 windows, t = 1, 2.5 s in 2",
		   "[{'w': [-6000, 1000], '_id': null, 'ids': ['t0', 't0.999']},"
		   " {'w': [-3000, 4000], '_id': null, 'ids': ['t0', 't0.999', 't1', 't2.5', 't3']},"
		   " {'w': [0, 7000], '_id': null, 'ids': ['t0', 't0.999', 't1', 't2.5', 't3']},"
		   " {'w': [3000, 10000], '_id': null, 'ids': ['t3']}]");
	stop(&r);

	/* size 7 s, hop 3 s: partially closed */
	start_hopping(&r, 7, 3, LATE0, IDS);
	push(&r, 6500, "{'id': 'a'}");	/* [0,7) [3,10) [6,13) */
	push(&r, 7000, "{'id': 'b'}");	/* closes [0,7); b in [3,10) [6,13) */
	out_is(&r, "hop 7/3: watermark 7 s closes [0, 7s)",
		   "[{'w': [0, 7000], '_id': null, 'ids': ['a']}]");
	push(&r, 6000, "{'id': 'c'}");	/* [0,7) closed; [3,10) [6,13) open */
	out_is(&r, "hop 7/3: t = 6 s goes to its 2 open windows of 3", "[]");
	push(&r, 13000, "{'id': 'd'}");	/* closes [3,10) and [6,13) */
	out_is(&r, "hop 7/3: watermark 13 s closes [3s, 10s) and [6s, 13s)",
		   "[{'w': [3000, 10000], '_id': null, 'ids': ['a', 'b', 'c']},"
		   " {'w': [6000, 13000], '_id': null, 'ids': ['a', 'b', 'c']}]");
	push(&r, 6999, "{'id': 'e'}");
	dlq_is(&r, "hop 7/3: t = 6.999 s, all 3 windows closed: one dead letter",
		   "$hoppingWindow", "late", "[{'id': 'e'}]");
	stop(&r);

	/* hop == size is a tumbling window */
	start_hopping(&r, 10, 10, LATE0, IDS);
	push(&r, 3000, "{'id': 'a'}");
	push(&r, 13000, "{'id': 'b'}");
	finish(&r);
	out_is(&r, "hop 10/10: every document is in one window",
		   "[{'w': [0, 10000], '_id': null, 'ids': ['a']},"
		   " {'w': [10000, 20000], '_id': null, 'ids': ['b']}]");
	stop(&r);

	/* $group keyed on the window start: each window's key is its own start */
	start_hopping(&r, 10, 5, LATE0,
				  "{'$group': {'_id': {'$meta': 'stream.window.start'},"
				  " 'end': {'$max': {'$meta': 'stream.window.end'}}, 'n': {'$sum': 1}}}");
	push(&r, 7000, "{'id': 'a'}");
	push(&r, 8000, "{'id': 'b'}");
	finish(&r);
	out_is(&r, "hop 10/5: a $group reading {$meta: stream.window.*} sees each window's bounds",
		   "[{'w': [0, 10000], '_id': {'$date': '1970-01-01T00:00:00Z'},"
		   " 'end': {'$date': '1970-01-01T00:00:10Z'}, 'n': 2},"
		   " {'w': [5000, 15000], '_id': {'$date': '1970-01-01T00:00:05Z'},"
		   " 'end': {'$date': '1970-01-01T00:00:15Z'}, 'n': 2}]");
	stop(&r);
}

/* ---------- 6. negative event times and offset ---------- */

static void
test_negative_and_offset(void)
{
	run			r;
	char		want[1024];
	int64_t		h = 3600000;
	int64_t		t1 = ms_utc(2024, 1, 1, 10, 44, 59, 999);
	int64_t		t2 = ms_utc(2024, 1, 1, 10, 45, 0, 0);
	int64_t		t3 = ms_utc(1969, 12, 31, 23, 50, 0, 0);
	int64_t		t4 = ms_utc(1969, 12, 31, 23, 44, 59, 999);
	int64_t		t5 = ms_utc(1960, 6, 15, 12, 0, 0, 0);
	int64_t		t6 = ms_utc(1960, 6, 15, 11, 45, 0, 0);

	ok(t3 == -600000 && t2 == 1704105900000LL, "ms_utc helper (%lld, %lld)",
	   (long long) t3, (long long) t2);

	/* negative times, no offset */
	start_tumbling(&r, 10, LATE0, IDS);
	push(&r, -10001, "{'id': 'a'}");
	push(&r, -10000, "{'id': 'b'}");
	out_is(&r, "negative: t = -10 s closes [-20s, -10s)",
		   "[{'w': [-20000, -10000], '_id': null, 'ids': ['a']}]");
	push(&r, -1, "{'id': 'c'}");
	push(&r, 0, "{'id': 'd'}");
	out_is(&r, "negative: t = 0 closes [-10s, 0)",
		   "[{'w': [-10000, 0], '_id': null, 'ids': ['b', 'c']}]");
	push(&r, -5000, "{'id': 'e'}");
	dlq_is(&r, "negative: a late document before 1970 (reason in ISO-8601)",
		   "$tumblingWindow", "event time 1969-12-31T23:59:55.000Z", "[{'id': 'e'}]");
	finish(&r);
	out_is(&r, "negative: finish closes [0, 10s)",
		   "[{'w': [0, 10000], '_id': null, 'ids': ['d']}]");
	stop(&r);

	/* hourly windows at :45 (offset -15 minutes), also before 1970 */
	start(&r, "[" SRC ", {'$tumblingWindow': {'interval': {'size': 1, 'unit': 'hour'},"
		  " 'offset': {'offsetFromUtc': -15, 'unit': 'minute'}, " LATE0 ", 'pipeline': [" IDS "]}}]");
	push(&r, t5, "{'id': '1960 12:00'}");
	push(&r, t6, "{'id': '1960 11:45'}");
	push(&r, t4, "{'id': '1969 23:44:59.999'}");
	push(&r, t3, "{'id': '1969 23:50'}");
	push(&r, t1, "{'id': '2024 10:44:59.999'}");
	push(&r, t2, "{'id': '2024 10:45'}");
	finish(&r);
	snprintf(want, sizeof(want),
			 "[{'w': [%lld, %lld], '_id': null, 'ids': ['1960 12:00', '1960 11:45']},"
			 " {'w': [%lld, %lld], '_id': null, 'ids': ['1969 23:44:59.999']},"
			 " {'w': [%lld, %lld], '_id': null, 'ids': ['1969 23:50']},"
			 " {'w': [%lld, %lld], '_id': null, 'ids': ['2024 10:44:59.999']},"
			 " {'w': [%lld, %lld], '_id': null, 'ids': ['2024 10:45']}]",
			 (long long) t6, (long long) (t6 + h),
			 (long long) ms_utc(1969, 12, 31, 22, 45, 0, 0), (long long) ms_utc(1969, 12, 31, 23, 45, 0, 0),
			 (long long) ms_utc(1969, 12, 31, 23, 45, 0, 0), (long long) ms_utc(1970, 1, 1, 0, 45, 0, 0),
			 (long long) ms_utc(2024, 1, 1, 9, 45, 0, 0), (long long) t2,
			 (long long) t2, (long long) (t2 + h));
	out_is(&r, "offset -15 min: hourly windows start at :45, before and after 1970", want);
	stop(&r);

	/* hopping 1 h every 30 min with offset -15 min: windows at :15 and :45 */
	start(&r, "[" SRC ", {'$hoppingWindow': {'interval': {'size': 1, 'unit': 'hour'},"
		  " 'hopSize': {'size': 30, 'unit': 'minute'},"
		  " 'offset': {'offsetFromUtc': -15, 'unit': 'minute'}, " LATE0 ", 'pipeline': [" IDS "]}}]");
	push(&r, t3, "{'id': 'a'}");
	finish(&r);
	snprintf(want, sizeof(want),
			 "[{'w': [%lld, %lld], '_id': null, 'ids': ['a']},"
			 " {'w': [%lld, %lld], '_id': null, 'ids': ['a']}]",
			 (long long) ms_utc(1969, 12, 31, 23, 15, 0, 0), (long long) ms_utc(1970, 1, 1, 0, 15, 0, 0),
			 (long long) ms_utc(1969, 12, 31, 23, 45, 0, 0), (long long) ms_utc(1970, 1, 1, 0, 45, 0, 0));
	out_is(&r, "offset -15 min, hopping 1 h / 30 min: 23:50 in 1969 is in [23:15, 00:15) and [23:45, 00:45)",
		   want);
	stop(&r);

	/* positive offset, day windows, timeField with a date before 1970 */
	start(&r, "[{'$source': {'documents': [], 'timeField': {'$toDate': '$t'}}},"
		  " {'$tumblingWindow': {'interval': {'size': 1, 'unit': 'day'},"
		  " 'offset': {'offsetFromUtc': 6, 'unit': 'hour'}, " LATE0 ", 'pipeline': [" IDS "]}}]");
	push(&r, 0, "{'id': 'a', 't': {'$date': {'$numberLong': '-86400001'}}}");
	push(&r, 0, "{'id': 'b', 't': {'$date': {'$numberLong': '-64800000'}}}");
	finish(&r);
	/* -86400001 = 1969-12-30T23:59:59.999; -64800000 = 1969-12-31T06:00 */
	snprintf(want, sizeof(want),
			 "[{'w': [%lld, %lld], '_id': null, 'ids': ['a']},"
			 " {'w': [%lld, %lld], '_id': null, 'ids': ['b']}]",
			 (long long) ms_utc(1969, 12, 30, 6, 0, 0, 0), (long long) ms_utc(1969, 12, 31, 6, 0, 0, 0),
			 (long long) ms_utc(1969, 12, 31, 6, 0, 0, 0), (long long) ms_utc(1970, 1, 1, 6, 0, 0, 0));
	out_is(&r, "offset +6 h, day windows from timeField before 1970: days start at 06:00", want);
	stop(&r);
}

/* ---------- 7. pre-stages reading the window bounds ---------- */

static void
test_pre_stages(void)
{
	run			r;

	/* each window keeps only the documents of its first half */
	start_hopping(&r, 10, 5, LATE0,
				  "{'$addFields': {'ws': {'$meta': 'stream.window.start'},"
				  " 'we': {'$meta': 'stream.window.end'}}},"
				  " {'$match': {'$expr': {'$lt': [{'$subtract': ['$_ts', '$ws']}, 5000]}}},"
				  " {'$group': {'_id': '$ws', 'end': {'$first': '$we'}, 'ids': {'$push': '$id'}}}");
	push(&r, 2000, "{'id': 'a'}");	/* [-5,5): second half; [0,10): first half */
	push(&r, 7000, "{'id': 'b'}");	/* [0,10): second half; [5,15): first half */
	push(&r, 9999, "{'id': 'c'}");	/* [0,10): second half; [5,15): first half */
	push(&r, 12000, "{'id': 'd'}");	/* [5,15): second half; [10,20): first half */
	finish(&r);
	out_is(&r, "pre-stages in a hopping window see their own window's bounds",
		   "[{'w': [0, 10000], '_id': {'$date': '1970-01-01T00:00:00Z'},"
		   " 'end': {'$date': '1970-01-01T00:00:10Z'}, 'ids': ['a']},"
		   " {'w': [5000, 15000], '_id': {'$date': '1970-01-01T00:00:05Z'},"
		   " 'end': {'$date': '1970-01-01T00:00:15Z'}, 'ids': ['b', 'c']},"
		   " {'w': [10000, 20000], '_id': {'$date': '1970-01-01T00:00:10Z'},"
		   " 'end': {'$date': '1970-01-01T00:00:20Z'}, 'ids': ['d']}]");
	stop(&r);

	/* a $match on the window start in a tumbling window, and post-stages see the bounds too */
	start_tumbling(&r, 10, LATE0,
				  "{'$match': {'$expr': {'$gte': [{'$meta': 'stream.window.start'},"
				  " {'$toDate': {'$numberLong': '10000'}}]}}}, " IDS ","
				  " {'$addFields': {'end': {'$meta': 'stream.window.end'}}}");
	push(&r, 3000, "{'id': 'a'}");
	push(&r, 13000, "{'id': 'b'}");
	push(&r, 14000, "{'id': 'c'}");
	finish(&r);
	out_is(&r, "a $match on {$meta: stream.window.start} drops [0,10s); a post-stage reads the end",
		   "[{'w': [10000, 20000], '_id': null, 'ids': ['b', 'c'],"
		   " 'end': {'$date': '1970-01-01T00:00:20Z'}}]");
	stop(&r);
}

/* ---------- 8. statistics ---------- */

static void
test_stats(void)
{
	run			r;
	asp_exec_stats st,
				st1;

	start_tumbling(&r, 10, LATE0, IDS);
	if (r.x == NULL)
	{
		ok(0, "stats: compile");
		return;
	}
	asp_exec_get_stats(r.x, &st);
	ok(st.watermark == INT64_MIN && st.state_bytes == 0 && st.input_count == 0,
	   "stats: no watermark and no state before input");
	push(&r, 5000, "{'id': 'a'}");
	asp_exec_get_stats(r.x, &st1);
	push(&r, 3000, "{'id': 'b'}");
	asp_exec_get_stats(r.x, &st);
	ok(st1.watermark == 5000 && st.watermark == 5000,
	   "stats: watermark is the highest event time (%lld, %lld)",
	   (long long) st1.watermark, (long long) st.watermark);
	ok(st1.state_bytes > 0 && st.state_bytes > 0, "stats: state_bytes > 0 with a window open (%zu)",
	   st.state_bytes);
	push(&r, 15000, "{'id': 'c'}");
	asp_exec_get_stats(r.x, &st1);
	push(&r, 14000, "{'id': 'd'}");
	push(&r, 25000, "{'id': 'e'}");
	asp_exec_get_stats(r.x, &st);
	ok(st1.state_bytes > 0 && st.state_bytes > 0 && st.watermark == 25000,
	   "stats: after windows closed: state %zu, watermark %lld", st.state_bytes,
	   (long long) st.watermark);
	push(&r, 1000, "{'id': 'late'}");
	finish(&r);
	asp_exec_get_stats(r.x, &st);
	ok(st.state_bytes == 0, "stats: state_bytes is 0 after finish (%zu)", st.state_bytes);
	ok(st.input_count == 6 && st.output_count == 3 && st.dlq_count == 1,
	   "stats: input 6, output 3, dlq 1 (%llu, %llu, %llu)", (unsigned long long) st.input_count,
	   (unsigned long long) st.output_count, (unsigned long long) st.dlq_count);
	ok(st.input_bytes > 0 && st.output_bytes > 0 && st.dlq_bytes > 0,
	   "stats: byte counters (%llu, %llu, %llu)", (unsigned long long) st.input_bytes,
	   (unsigned long long) st.output_bytes, (unsigned long long) st.dlq_bytes);
	ok(st.watermark == 25000, "stats: the watermark stays after finish (%lld)",
	   (long long) st.watermark);
	ok(r.ndocs == 3 && r.ndlq == 1, "stats: counters match the callback (%d docs, %d dlq)",
	   r.ndocs, r.ndlq);
	clear_docs(&r);
	clear_dlq(&r);
	stop(&r);

	/* state grows with the number of open windows (no blocking stage: buffered documents) */
	start_tumbling(&r, 10, "", "");
	if (r.x == NULL)
	{
		ok(0, "stats: compile");
		return;
	}
	push(&r, 1000, "{'id': 'a'}");
	asp_exec_get_stats(r.x, &st1);
	push(&r, 11000, "{'id': 'b'}");
	asp_exec_get_stats(r.x, &st);
	ok(st.state_bytes > st1.state_bytes, "stats: two open windows hold more than one (%zu > %zu)",
	   st.state_bytes, st1.state_bytes);
	push(&r, 13000, "{'id': 'c'}");	/* closes [0, 10s) with the default lateness */
	asp_exec_get_stats(r.x, &st1);
	ok(st1.state_bytes < st.state_bytes && st1.state_bytes > 0,
	   "stats: closing a window frees its state (%zu < %zu)", st1.state_bytes, st.state_bytes);
	finish(&r);
	asp_exec_get_stats(r.x, &st);
	ok(st.state_bytes == 0 && st.output_count == 3, "stats: buffer: state 0 and 3 outputs after finish");
	stop(&r);

	/* processingTime: the watermark is the clock */
	start_tumbling(&r, 10, "'boundary': 'processingTime'", IDS);
	if (r.x == NULL)
	{
		ok(0, "stats: compile");
		return;
	}
	push_at(&r, 4000, 99, "{'id': 'a'}");
	asp_exec_get_stats(r.x, &st);
	ok(st.watermark == 4000, "stats: processingTime watermark is the arrival time (%lld)",
	   (long long) st.watermark);
	tick(&r, 7000);
	asp_exec_get_stats(r.x, &st);
	ok(st.watermark == 7000, "stats: processingTime watermark follows ticks (%lld)",
	   (long long) st.watermark);
	stop(&r);
}

/* ---------- 9. empty windows ---------- */

static void
test_empty_windows(void)
{
	run			r;

	start_tumbling(&r, 10, LATE0, IDS);
	push(&r, 1000, "{'id': 'a'}");
	push(&r, 35000, "{'id': 'b'}");
	out_is(&r, "gap: a jump from 1 s to 35 s emits [0, 10s) only",
		   "[{'w': [0, 10000], '_id': null, 'ids': ['a']}]");
	push(&r, 47000, "{'id': 'c'}");
	finish(&r);
	out_is(&r, "gap: no output for the empty windows in between",
		   "[{'w': [30000, 40000], '_id': null, 'ids': ['b']},"
		   " {'w': [40000, 50000], '_id': null, 'ids': ['c']}]");
	stop(&r);

	start_hopping(&r, 10, 5, LATE0, IDS);
	push(&r, 1000, "{'id': 'a'}");
	push(&r, 31000, "{'id': 'b'}");
	finish(&r);
	out_is(&r, "gap, hopping: only the windows holding documents emit",
		   "[{'w': [-5000, 5000], '_id': null, 'ids': ['a']},"
		   " {'w': [0, 10000], '_id': null, 'ids': ['a']},"
		   " {'w': [25000, 35000], '_id': null, 'ids': ['b']},"
		   " {'w': [30000, 40000], '_id': null, 'ids': ['b']}]");
	stop(&r);

	/* every document of a window filtered by a pre-stage: nothing for it */
	start_tumbling(&r, 10, LATE0, "{'$match': {'keep': true}}, " IDS);
	push(&r, 1000, "{'id': 'a', 'keep': true}");
	push(&r, 12000, "{'id': 'b', 'keep': false}");
	push(&r, 13000, "{'id': 'c', 'keep': false}");
	push(&r, 21000, "{'id': 'd', 'keep': true}");
	finish(&r);
	out_is(&r, "$match + $group: a window whose documents were all filtered emits nothing",
		   "[{'w': [0, 10000], '_id': null, 'ids': ['a']},"
		   " {'w': [20000, 30000], '_id': null, 'ids': ['d']}]");
	stop(&r);

	start_tumbling(&r, 10, LATE0, "{'$match': {'keep': true}}, {'$count': 'n'}");
	push(&r, 1000, "{'keep': true}");
	push(&r, 2000, "{'keep': true}");
	push(&r, 12000, "{'keep': false}");
	finish(&r);
	out_is(&r, "$match + $count: the filtered window emits nothing (not n: 0)",
		   "[{'w': [0, 10000], 'n': 2}]");
	stop(&r);

	start_hopping(&r, 10, 5, LATE0, "{'$match': {'keep': true}}, {'$sort': {'id': 1}}");
	push(&r, 7000, "{'id': 'a', 'keep': false}");
	push(&r, 27000, "{'id': 'b', 'keep': true}");
	finish(&r);
	out_is(&r, "$match + $sort, hopping: the filtered windows emit nothing",
		   "[{'w': [20000, 30000], 'id': 'b', 'keep': true},"
		   " {'w': [25000, 35000], 'id': 'b', 'keep': true}]");
	stop(&r);

	start_tumbling(&r, 10, LATE0, "{'$match': {'keep': true}}");
	push(&r, 1000, "{'id': 'a', 'keep': false}");
	push(&r, 11000, "{'id': 'b', 'keep': true}");
	finish(&r);
	out_is(&r, "$match only (buffer): the filtered window emits nothing",
		   "[{'w': [10000, 20000], 'id': 'b', 'keep': true}]");
	stop(&r);
}

/* ---------- 10. no blocking stage ---------- */

static void
test_buffer(void)
{
	run			r;

	start_tumbling(&r, 10, LATE0, "");
	push(&r, 3000, "{'id': 'a', 'v': 1}");
	push(&r, 1000, "{'id': 'b', 'v': 2}");
	push(&r, 2000, "{'id': 'c', 'v': 3}");
	out_is(&r, "buffer: nothing before the window closes", "[]");
	push(&r, 10000, "{'id': 'd'}");
	{
		bool		good = r.ndocs == 3;

		if (good)
		{
			char	   *want[1];

			canon_list("[{'id': 'a', 'v': 1, '_ts': {'$date': '1970-01-01T00:00:03Z'},"
					   " '_stream_meta': {'source': {'type': 'documents'},"
					   " 'window': {'start': {'$date': '1970-01-01T00:00:00Z'},"
					   " 'end': {'$date': '1970-01-01T00:00:10Z'}}}}]", want);
			good = strcmp(want[0], r.raw[0]) == 0;
			if (!good)
				diag("want %s\n# got  %s", want[0], r.raw[0]);
			bson_free(want[0]);
		}
		ok(good, "buffer: the document keeps _ts and _stream_meta.source and gets _stream_meta.window");
	}
	out_is(&r, "buffer: documents leave in arrival order at close, with window {start, end}",
		   "[{'w': [0, 10000], 'id': 'a', 'v': 1}, {'w': [0, 10000], 'id': 'b', 'v': 2},"
		   " {'w': [0, 10000], 'id': 'c', 'v': 3}]");
	finish(&r);
	out_is(&r, "buffer: finish emits the last window",
		   "[{'w': [10000, 20000], 'id': 'd'}]");
	stop(&r);

	/* stateless stages only, hopping: each copy carries its own window */
	start_hopping(&r, 10, 5, LATE0,
				  "{'$addFields': {'s': {'$meta': 'stream.window.start'}}}, {'$project': {'id': 1, 's': 1}}");
	push(&r, 6000, "{'id': 'a', 'x': 0}");
	push(&r, 8000, "{'id': 'b', 'x': 0}");
	finish(&r);
	out_is(&r, "buffer, hopping: every window emits its documents with its own bounds",
		   "[{'w': [0, 10000], 'id': 'a', 's': {'$date': '1970-01-01T00:00:00Z'}},"
		   " {'w': [0, 10000], 'id': 'b', 's': {'$date': '1970-01-01T00:00:00Z'}},"
		   " {'w': [5000, 15000], 'id': 'a', 's': {'$date': '1970-01-01T00:00:05Z'}},"
		   " {'w': [5000, 15000], 'id': 'b', 's': {'$date': '1970-01-01T00:00:05Z'}}]");
	stop(&r);

	/* a document that already has _stream_meta.window from the source: replaced */
	start_tumbling(&r, 10, LATE0, "");
	if (r.x)
	{
		bson_t	   *d = parse("{'id': 'a'}");
		bson_t	   *meta = parse("{'type': 'kafka', 'topic': 't'}");

		asp_exec_push_source(r.x, bson_get_data(d), d->len, 4000, meta);
		bson_destroy(d);
		bson_destroy(meta);
	}
	finish(&r);
	ok(r.ndocs == 1 &&
	   strstr(r.raw[0], "\"_stream_meta\" : { \"source\" : { \"type\" : \"kafka\", \"topic\" : \"t\" },"
			  " \"window\" : { \"start\" : { \"$date\" : \"1970-01-01T00:00:00Z\" },"
			  " \"end\" : { \"$date\" : \"1970-01-01T00:00:10Z\" } } }") != NULL,
	   "buffer: a source_meta given to asp_exec_push_source is kept next to window (%s)",
	   r.ndocs ? r.raw[0] : "nothing");
	clear_docs(&r);
	stop(&r);
}

/* ---------- 11. many windows per document; extreme event times ---------- */

/* windows_sane: every output window has start < end; no dead letter says "late" */
static bool
windows_sane(run *r, int want_accounted)
{
	bool		good = (r->ndocs + r->ndlq == want_accounted);
	int			i;

	for (i = 0; i < r->ndocs; i++)
	{
		if (!r->has_win[i] || r->wstart[i] >= r->wend[i])
		{
			diag("output %d: window [%lld, %lld): %s", i, (long long) r->wstart[i],
				 (long long) r->wend[i], r->docs[i]);
			good = false;
		}
	}
	for (i = 0; i < r->ndlq; i++)
	{
		if (strstr(r->dlq_reason[i], "late") != NULL)
		{
			diag("dead letter %d called late: %s", i, r->dlq_reason[i]);
			good = false;
		}
	}
	if (r->ndocs + r->ndlq != want_accounted)
		diag("%d outputs + %d dead letters, want %d", r->ndocs, r->ndlq, want_accounted);
	clear_docs(r);
	clear_dlq(r);
	return good;
}

static void
test_many_windows_and_extremes(void)
{
	run			r;
	int			i;
	bool		good;

	/* size 100 s, hop 1 s: a document is in 100 windows (more than are added at once) */
	start_hopping(&r, 100, 1, LATE0, IDS);
	push(&r, 50000, "{'id': 'a'}");
	push(&r, 50500, "{'id': 'b'}");
	finish(&r);
	good = r.ndocs == 100 && r.ndlq == 0;
	for (i = 0; good && i < 100; i++)
	{
		char		want[128];

		snprintf(want, sizeof(want), "{ \"w\" : [ %d, %d ], \"_id\" : null, \"ids\" : [ \"a\", \"b\" ] }",
				 (i - 49) * 1000, (i + 51) * 1000);
		good = strcmp(r.docs[i], want) == 0;
		if (!good)
			diag("output %d: %s, want %s", i, r.docs[i], want);
	}
	ok(good, "hop 100/1: each document is in 100 windows, [-49s, 51s) .. [50s, 150s) (%d outputs)",
	   r.ndocs);
	clear_docs(&r);
	stop(&r);

	/* a document whose $group operand fails: dead-lettered once, however many windows */
	start_hopping(&r, 10, 5, LATE0,
				  "{'$group': {'_id': null, 's': {'$sum': {'$divide': [1, '$z']}}}}");
	push(&r, 7000, "{'id': 'a', 'z': 0}");
	finish(&r);
	dlq_is(&r, "hop 10/5: a document failing in $group is dead-lettered once",
		   "$group", "can't $divide by zero", "[{'id': 'a', 'z': 0}]");
	stop(&r);

	start_hopping(&r, 100, 1, LATE0,
				  "{'$group': {'_id': null, 's': {'$sum': {'$divide': [1, '$z']}}}}");
	push(&r, 50000, "{'id': 'a', 'z': 0}");
	finish(&r);
	dlq_is(&r, "hop 100/1: a document failing in $group is dead-lettered once (as with 2 windows)",
		   "$group", "can't $divide by zero", "[{'id': 'a', 'z': 0}]");
	stop(&r);

	/*
	 * event times at the ends of the int64 range (timeField can give any
	 * date): no window with end <= start, no document called late before
	 * any window closed
	 */
	start_tumbling(&r, 10, LATE0, IDS);
	push(&r, INT64_MAX, "{'id': 'max'}");
	finish(&r);
	ok(windows_sane(&r, 1),
	   "t = INT64_MAX as the first document: not a late dead letter, no inverted window");
	stop(&r);

	start_tumbling(&r, 10, LATE0, IDS);
	push(&r, INT64_MIN, "{'id': 'min'}");
	push(&r, INT64_MIN + 1, "{'id': 'min+1'}");
	finish(&r);
	ok(windows_sane(&r, r.ndocs ? 1 : 2),
	   "t = INT64_MIN, INT64_MIN + 1: no inverted window, no late dead letter");
	stop(&r);
}

/* ---------- 12. the tumbling fast path against the general path ---------- */

/*
 * A tumbling window takes a shortcut when a document falls in the open
 * window of the document before it.  A hopping window whose hop equals its
 * size has the same windows and always takes the general path: both must
 * give the same results and the same dead letters, over event times that
 * mostly advance, sometimes repeat, step back inside the open window, fall
 * on window ends, come late, or jump ahead.
 */
static void
test_tumbling_fast_path(void)
{
	static const char *const lateness[] = {LATE0, "'allowedLateness': {'size': 3, 'unit': 'second'}"};
	const char *pl = "{'$group': {'_id': '$k', 'n': {'$sum': 1}, 's': {'$sum': '$v'},"
		" 'f': {'$first': '$v'}, 'l': {'$last': '$v'}}}";
	int			li,
				seed;

	for (li = 0; li < 2; li++)
		for (seed = 1; seed <= 20; seed++)
		{
			run			a,
						b;
			int64_t		t = 0;
			int			i;
			bool		same = true;
			char		doc[64];

			srand((unsigned) (seed * 7919 + li));
			if (!start_tumbling(&a, 2, lateness[li], pl) ||
				!start_hopping(&b, 2, 2, lateness[li], pl))
			{
				ok(false, "fast path: pipelines compile");
				stop(&a);
				stop(&b);
				return;
			}
			for (i = 0; i < 200 && same; i++)
			{
				int			r = rand() % 20;

				if (r < 12)
					t += rand() % 400;	/* advance */
				else if (r < 14)
					t -= rand() % 1500; /* back: same window, an earlier one, or late */
				else if (r < 16)
					t = (t / 2000 + 1) * 2000;	/* the next window's start */
				else if (r < 17)
					t = (t / 2000 + 1) * 2000 - 1;	/* the last ms of this window */
				else if (r < 18)
					t += 2000 * (1 + rand() % 4);	/* jump ahead */
				/* else: the same time again */
				snprintf(doc, sizeof(doc), "{'k': %d, 'v': %d}", rand() % 3, i);
				push(&a, t, doc);
				push(&b, t, doc);
				same = a.ndocs == b.ndocs && a.ndlq == b.ndlq && a.ndocs < MAX_OUT / 2 &&
					a.ndlq < MAX_OUT / 2;
				for (int j = 0; same && j < a.ndocs; j++)
					same = strcmp(a.raw[j], b.raw[j]) == 0;
				for (int j = 0; same && j < a.ndlq; j++)
					same = strcmp(a.dlq_doc[j], b.dlq_doc[j]) == 0 &&
						strcmp(a.dlq_reason[j], b.dlq_reason[j]) == 0;
				if (!same)
					diag("seed %d, lateness %d, document %d at %lld: tumbling %d out %d dlq, "
						 "hopping %d out %d dlq", seed, li, i, (long long) t,
						 a.ndocs, a.ndlq, b.ndocs, b.ndlq);
				if (a.ndocs >= MAX_OUT / 2 || b.ndocs >= MAX_OUT / 2)
					same = a.ndocs == b.ndocs;
				clear_docs(&a);
				clear_docs(&b);
				clear_dlq(&a);
				clear_dlq(&b);
			}
			if (same)
			{
				finish(&a);
				finish(&b);
				same = a.ndocs == b.ndocs;
				for (i = 0; same && i < a.ndocs; i++)
					same = strcmp(a.raw[i], b.raw[i]) == 0;
			}
			ok(same, "fast path: tumbling 2 s = hopping 2 s / 2 s, %s, seed %d",
			   li ? "lateness 3 s" : "lateness 0", seed);
			stop(&a);
			stop(&b);
		}
}

int
main(void)
{
	test_boundaries();
	test_event_time_source();
	test_idle_timeout();
	test_processing_time();
	test_hopping();
	test_negative_and_offset();
	test_pre_stages();
	test_stats();
	test_empty_windows();
	test_buffer();
	test_many_windows_and_extremes();
	test_tumbling_fast_path();
	return tap_done();
}
