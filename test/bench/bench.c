/*-------------------------------------------------------------------------
 *
 * bench.c
 *	  Engine-only throughput benchmark for the asp pipeline engine, with a
 *	  PostgreSQL jsonb baseline for the windowed $group scenario (S2).
 *
 * Run it with "make bench" from the top of the tree.  The input is a
 * seeded stream shaped like sample_stream_solar (src/engine/solar.c),
 * generated up front as BSON and as JSON text; generation is not timed.
 * Every scenario compiles a fresh pipeline and executor, pushes the
 * documents with asp_exec_push_source() (the pipeline's $source is an
 * empty "documents" array), calls asp_exec_finish(), and counts the output
 * documents in the callback.  Throughput is input documents per CPU second
 * of this process (CLOCK_PROCESS_CPUTIME_ID), best of BENCH_REPS runs.
 *
 *	 S0  pass-through: $source only
 *	 S1  $match {obs.watts >= 100} + $project
 *	 S2  timeField $dateFromString + $tumblingWindow 10 s, $group by group_id
 *		 ($avg watts, $max temp, $sum 1); fed BSON, JSON through
 *		 asp_json_to_bson, and JSON through libbson's bson_init_from_json
 *	 S3  the same timeField and accumulators in a $hoppingWindow 10 s / 2 s,
 *		 $group by device_id, over 10,000 devices; half way through the
 *		 first run it measures window state bytes per open (window, key)
 *	 S2g P2's pipeline (processor.sh) without its $merge, fed by the
 *		 generator a processor's worker uses (1,000 devices in 10 groups, as
 *		 P2's first two runs, from 2024-05-01T00:00:00Z), generating each
 *		 document in the timed loop:
 *		 the processor figure P2 against it is what the worker adds
 *
 * The baseline (baseline.sh, given with --baseline) loads the same JSON
 * into a PostgreSQL table of jsonb and times the equivalent GROUP BY.  If
 * it cannot run, the engine figures are still printed.
 *
 * Correctness cross-checks (the program exits 1 if one fails): output
 * counts of S0/S1, the number of S2 results and the sum of their n (which
 * must equal the number of input documents; the stream is in order, so no
 * document may be late), the sum of n in S3 (5 windows per document), and
 * the PostgreSQL group count against S2.  A MISS of a performance target
 * is reported but does not fail the run.
 *
 * Environment: BENCH_DOCS (default 1000000), BENCH_REPS (default 3),
 * BENCH_BASELINE=0 skips PostgreSQL, BENCH_ONLY=S2 picks scenarios and
 * BENCH_INPUT=bson (or json, libbson) one input kind (for profiling).
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <bson/bson.h>

#include "error.h"
#include "exec.h"
#include "json.h"
#include "pipeline.h"
#include "solar.h"

#define DEFAULT_DOCS		1000000
#define DEFAULT_REPS		3
#define BENCH_SEED			42
#define BENCH_START_MS		INT64_C(1714557600000)	/* 2024-05-01T10:00:00Z */
#define PROC_START_MS		INT64_C(1714521600000)	/* 2024-05-01T00:00:00Z, processor.sh's start */
#define WINDOW_MS			10000
#define HOP_MS				2000
#define DEFAULT_LATENESS_MS 3000	/* ASP's default allowedLateness */

/* performance targets */
#define TARGET_S2_BSON		2000000.0
#define TARGET_S2_JSON		1000000.0
#define TARGET_VS_PG		10.0
#define TARGET_STATE_BYTES	256.0
#define TARGET_PROC_VS_S2	0.5

/* ---------- pipelines (JSON, read with asp_json_to_bson) ---------- */

static const char *const PIPE_S0 =
"[{\"$source\": {\"documents\": []}}]";

static const char *const PIPE_S1 =
"[{\"$source\": {\"documents\": []}},"
" {\"$match\": {\"obs.watts\": {\"$gte\": 100}}},"
" {\"$project\": {\"device_id\": 1, \"watts\": \"$obs.watts\", \"_id\": 0}}]";

static const char *const PIPE_S2 =
"[{\"$source\": {\"documents\": [],"
"   \"timeField\": {\"$dateFromString\": {\"dateString\": \"$timestamp\"}}}},"
" {\"$tumblingWindow\": {\"interval\": {\"size\": 10, \"unit\": \"second\"},"
"   \"pipeline\": [{\"$group\": {\"_id\": \"$group_id\","
"     \"avg_watts\": {\"$avg\": \"$obs.watts\"},"
"     \"max_temp\": {\"$max\": \"$obs.temp\"},"
"     \"n\": {\"$sum\": 1}}}]}}]";

/* P2's pipeline (processor.sh) without its $merge: S2's, then an _id of {group_id, window start} per result */
static const char *const PIPE_P2 =
"[{\"$source\": {\"documents\": [],"
"   \"timeField\": {\"$dateFromString\": {\"dateString\": \"$timestamp\"}}}},"
" {\"$tumblingWindow\": {\"interval\": {\"size\": 10, \"unit\": \"second\"},"
"   \"pipeline\": [{\"$group\": {\"_id\": \"$group_id\","
"     \"avg_watts\": {\"$avg\": \"$obs.watts\"},"
"     \"max_temp\": {\"$max\": \"$obs.temp\"},"
"     \"n\": {\"$sum\": 1}}}]}},"
" {\"$set\": {\"_id\": {\"group_id\": \"$_id\", \"start\": \"$_stream_meta.window.start\"}}}]";

static const char *const PIPE_S3 =
"[{\"$source\": {\"documents\": [],"
"   \"timeField\": {\"$dateFromString\": {\"dateString\": \"$timestamp\"}}}},"
" {\"$hoppingWindow\": {\"interval\": {\"size\": 10, \"unit\": \"second\"},"
"   \"hopSize\": {\"size\": 2, \"unit\": \"second\"},"
"   \"pipeline\": [{\"$group\": {\"_id\": \"$device_id\","
"     \"avg_watts\": {\"$avg\": \"$obs.watts\"},"
"     \"max_temp\": {\"$max\": \"$obs.temp\"},"
"     \"n\": {\"$sum\": 1}}}]}}]";

/* ---------- the pre-generated input ---------- */

typedef struct doc_stream
{
	asp_solar	gen;
	size_t		n;
	uint8_t    *bson;			/* every document, back to back */
	uint64_t   *bson_off;		/* n + 1 offsets into bson */
	char	   *json;			/* JSON text, one document per line, or NULL */
	uint64_t   *json_off;		/* n + 1 offsets; a line ends with '\n' */
	int64_t    *t;				/* event time of each document */
	uint64_t	n_watts_ge_100; /* documents that pass S1's $match */
	uint64_t	n_window_groups;	/* distinct (10 s window, group_id) pairs */
} doc_stream;

/* ---------- output and results ---------- */

typedef struct sink
{
	uint64_t	docs;
	uint64_t	dlq;
	bool		sum_n;			/* add up field "n" of every output */
	int64_t		n_total;
	uint64_t	n_missing;		/* outputs without a numeric "n" */
} sink;

typedef enum input_kind
{
	INPUT_BSON,
	INPUT_JSON_ASP,				/* asp_json_to_bson, then push */
	INPUT_JSON_LIBBSON,			/* bson_init_from_json, then push */
	INPUT_GENERATOR				/* asp_solar_doc_raw (timed), then push */
} input_kind;

static const char *const input_names[] = {
	"BSON", "JSON asp_json_to_bson", "JSON bson_init_from_json", "solar generator (BSON)"
};

typedef struct state_probe
{
	bool		done;
	size_t		state_bytes;
	int			engine_windows; /* asp_window_open_count */
	int			windows;		/* open windows computed from the input */
	uint64_t	pairs;			/* open (window, key) pairs */
	uint64_t	at_doc;
} state_probe;

typedef struct scenario
{
	const char *id;
	const char *label;
	const char *pipeline;
	doc_stream *stream;
	input_kind	input;
	bool		sum_n;
	int64_t		expect_docs;	/* -1: not checked */
	int64_t		expect_n;		/* -1: not checked */
	state_probe *probe;			/* S3: measure state half way */
	bool		skipped;		/* not selected by BENCH_ONLY */
	/* results */
	double		rate;			/* best input documents per CPU second */
	double		cpu;			/* CPU seconds of the best run */
	uint64_t	out_docs;
	int64_t		n_total;
	uint64_t	dlq;
} scenario;

typedef struct pg_result
{
	char		variant[16];
	uint64_t	rows;			/* input rows */
	uint64_t	groups;			/* result rows */
	int64_t		sum_count;		/* sum of count(*) over the result */
	double		cpu_s;			/* backend CPU seconds, best run */
	double		wall_s;			/* \timing of the same run */
	double		rate;			/* rows per backend CPU second */
} pg_result;

/* one run of processor.sh: a processor in its worker (P2) */
typedef struct proc_result
{
	char		interval[16];	/* asp.checkpoint_interval */
	uint64_t	docs;
	double		cpu_s;			/* the worker's utime + stime */
	double		wall_s;
	uint64_t	rows;			/* rows of the sink table */
	int64_t		sum_n;
	uint64_t	dlq;
	char		stats_in[24];	/* asp.stats inputMessageCount before the stop */
	int			devices;		/* options.sample.devices */
	double		rate;
} proc_result;

static bool check_failed = false;

/* ---------- helpers ---------- */

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static double
wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void *
xmalloc(size_t n)
{
	void	   *p = malloc(n ? n : 1);

	if (p == NULL)
	{
		fprintf(stderr, "bench: out of memory (%zu bytes)\n", n);
		exit(2);
	}
	return p;
}

static void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
	{
		fprintf(stderr, "bench: out of memory (%zu bytes)\n", n);
		exit(2);
	}
	return p;
}

/* fmt_count: 1234567.8 -> "1,234,568" in buf */
static const char *
fmt_count(double v, char *buf, size_t size)
{
	char		digits[32];
	int			len,
				i,
				o = 0;

	snprintf(digits, sizeof(digits), "%.0f", v < 0 ? 0 : v);
	len = (int) strlen(digits);
	for (i = 0; i < len && o < (int) size - 2; i++)
	{
		if (i > 0 && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

static long
env_long(const char *name, long dflt)
{
	const char *s = getenv(name);
	char	   *end;
	long		v;

	if (s == NULL || *s == '\0')
		return dflt;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
	{
		fprintf(stderr, "bench: %s must be a positive integer, not \"%s\"\n", name, s);
		exit(2);
	}
	return v;
}

static int64_t
floor_div64(int64_t a, int64_t b)
{
	int64_t		q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* ---------- input generation (not timed) ---------- */

/* generate: n documents of g as BSON and, if want_json, as JSON lines */
static void
generate(doc_stream *s, const asp_solar *g, size_t n, bool want_json)
{
	bson_t		b = BSON_INITIALIZER;
	size_t		bcap = n * 192 + 4096,
				jcap = n * 192 + 4096;
	size_t		blen = 0,
				jlen = 0;
	int64_t		cur_window = INT64_MIN;
	uint64_t	cur_groups = 0;
	size_t		i;

	memset(s, 0, sizeof(*s));
	s->gen = *g;
	s->n = n;
	s->bson = xmalloc(bcap);
	s->bson_off = xmalloc((n + 1) * sizeof(uint64_t));
	s->t = xmalloc((n ? n : 1) * sizeof(int64_t));
	if (want_json)
	{
		s->json = xmalloc(jcap);
		s->json_off = xmalloc((n + 1) * sizeof(uint64_t));
	}
	if (g->ngroups > 64)
	{
		fprintf(stderr, "bench: at most 64 groups\n");
		exit(2);
	}

	for (i = 0; i < n; i++)
	{
		int64_t		t = asp_solar_doc(g, i, &b);
		bson_iter_t it;
		int64_t		w;

		if (i > 0 && t < s->t[i - 1])
		{
			fprintf(stderr, "bench: the generator is not in time order at %zu\n", i);
			exit(2);
		}
		s->t[i] = t;
		if (blen + b.len > bcap)
		{
			bcap = bcap * 2 + b.len;
			s->bson = xrealloc(s->bson, bcap);
		}
		s->bson_off[i] = blen;
		memcpy(s->bson + blen, bson_get_data(&b), b.len);
		blen += b.len;

		/* facts for the cross-checks */
		if (bson_iter_init(&it, &b) && bson_iter_find_descendant(&it, "obs.watts", &it) &&
			bson_iter_as_int64(&it) >= 100)
			s->n_watts_ge_100++;
		w = floor_div64(t, WINDOW_MS);
		if (w != cur_window)
		{
			s->n_window_groups += (uint64_t) __builtin_popcountll(cur_groups);
			cur_window = w;
			cur_groups = 0;
		}
		if (bson_iter_init_find(&it, &b, "group_id"))
			cur_groups |= UINT64_C(1) << (bson_iter_as_int64(&it) & 63);

		if (want_json)
		{
			char		line[1024];
			size_t		len = asp_solar_json(g, i, line, sizeof(line));

			if (len == 0 || len >= sizeof(line) - 1)
			{
				fprintf(stderr, "bench: JSON document %zu does not fit\n", i);
				exit(2);
			}
			if (jlen + len + 1 > jcap)
			{
				jcap = jcap * 2 + len + 1;
				s->json = xrealloc(s->json, jcap);
			}
			s->json_off[i] = jlen;
			memcpy(s->json + jlen, line, len);
			jlen += len;
			s->json[jlen++] = '\n';
		}
	}
	s->n_window_groups += (uint64_t) __builtin_popcountll(cur_groups);
	s->bson_off[n] = blen;
	if (want_json)
		s->json_off[n] = jlen;
	bson_destroy(&b);
}

static void
stream_free(doc_stream *s)
{
	free(s->bson);
	free(s->bson_off);
	free(s->json);
	free(s->json_off);
	free(s->t);
	memset(s, 0, sizeof(*s));
}

/* ---------- the engine ---------- */

static void
sink_out(void *ud, asp_output_kind kind, const uint8_t *doc, uint32_t len)
{
	sink	   *s = ud;
	bson_iter_t it;

	if (kind == ASP_OUTPUT_DLQ)
	{
		if (s->dlq++ == 0)
		{
			bson_t		d;
			char	   *j;

			/* show the first dead letter: it explains a failed check */
			if (bson_init_static(&d, doc, len) &&
				(j = bson_as_relaxed_extended_json(&d, NULL)) != NULL)
			{
				fprintf(stderr, "bench: first DLQ document: %.600s\n", j);
				bson_free(j);
			}
		}
		return;
	}
	s->docs++;
	if (s->sum_n)
	{
		if (bson_iter_init_from_data(&it, doc, len) && bson_iter_find(&it, "n") &&
			BSON_ITER_HOLDS_NUMBER(&it))
			s->n_total += bson_iter_as_int64(&it);
		else
			s->n_missing++;
	}
}

static asp_pipeline *
compile_pipeline(const char *text)
{
	bson_t		spec;
	asp_error	err;
	bool		is_array = false;
	asp_pipeline *p;

	bson_init(&spec);
	asp_error_init(&err);
	if (!asp_json_to_bson(text, strlen(text), NULL, &spec, &is_array, &err) || !is_array)
	{
		fprintf(stderr, "bench: cannot read pipeline %s: %s\n", text, err.message);
		exit(2);
	}
	p = asp_pipeline_compile(&spec, NULL, &err);
	bson_destroy(&spec);
	if (p == NULL)
	{
		fprintf(stderr, "bench: pipeline does not compile: %s (stage %d %s, %s)\n%s%s\n",
				err.message, err.stage_index, err.stage_name, err.path,
				err.hint[0] ? "hint: " : "", err.hint);
		exit(2);
	}
	return p;
}

/*
 * probe_state: S3, half way: engine state bytes, and the number of open
 * (window, key) pairs computed independently from the documents pushed so
 * far (docs [0, upto)): a hopping window [s, s + size) is open if it got a
 * document and has not closed (end > watermark - allowedLateness); its keys
 * are the distinct devices among its documents.
 */
static void
probe_state(const doc_stream *s, asp_pipeline *p, asp_exec *x, size_t upto,
			state_probe *pr)
{
	asp_exec_stats st;
	int64_t		wm;
	int64_t		first_start,
				last_start;
	int			nwin,
				w;
	uint8_t   **seen;
	uint64_t   *keys;
	size_t		i;

	asp_exec_get_stats(x, &st);
	pr->state_bytes = st.state_bytes;
	pr->engine_windows = p->window ? asp_window_open_count(p->window) : 0;
	pr->at_doc = upto;
	wm = st.watermark;
	if (wm == INT64_MIN || upto == 0)
	{
		pr->done = true;
		return;
	}
	/* candidate windows: starts that are multiples of the hop */
	last_start = floor_div64(wm, HOP_MS) * HOP_MS;
	first_start = last_start;
	while (first_start - HOP_MS + WINDOW_MS > wm - DEFAULT_LATENESS_MS)
		first_start -= HOP_MS;
	nwin = (int) ((last_start - first_start) / HOP_MS) + 1;
	seen = xmalloc(nwin * sizeof(uint8_t *));
	keys = calloc(nwin, sizeof(uint64_t));
	for (w = 0; w < nwin; w++)
		seen[w] = calloc((size_t) s->gen.ndevices, 1);
	for (i = upto; i-- > 0;)
	{
		int64_t		t = s->t[i];
		int			dev = (int) (i % (size_t) s->gen.ndevices);

		if (t < first_start)
			break;
		for (w = 0; w < nwin; w++)
		{
			int64_t		start = first_start + (int64_t) w * HOP_MS;

			if (t >= start && t < start + WINDOW_MS && !seen[w][dev])
			{
				seen[w][dev] = 1;
				keys[w]++;
			}
		}
	}
	pr->windows = 0;
	pr->pairs = 0;
	for (w = 0; w < nwin; w++)
	{
		if (keys[w] > 0)
			pr->windows++;
		pr->pairs += keys[w];
		free(seen[w]);
	}
	free(seen);
	free(keys);
	pr->done = true;
}

/* run_once: one timed run of a scenario; returns CPU seconds */
static double
run_once(scenario *sc, bool probe)
{
	doc_stream *s = sc->stream;
	asp_pipeline *p = compile_pipeline(sc->pipeline);
	sink		out = {0};
	asp_exec   *x;
	asp_exec_stats st;
	bson_t		jb;
	double		t0,
				t1,
				paused = 0;
	size_t		half = s->n / 2;
	size_t		i;

	out.sum_n = sc->sum_n;
	x = asp_exec_new(p, sink_out, &out);
	bson_init(&jb);

	t0 = cpu_now();
	for (i = 0; i < s->n; i++)
	{
		const uint8_t *doc;
		uint32_t	len;
		bool		ok;

		if (probe && i == half)
		{
			double		p0 = cpu_now();

			probe_state(s, p, x, i, sc->probe);
			paused += cpu_now() - p0;
		}
		switch (sc->input)
		{
			case INPUT_BSON:
				doc = s->bson + s->bson_off[i];
				len = (uint32_t) (s->bson_off[i + 1] - s->bson_off[i]);
				ok = asp_exec_push_source(x, doc, len, s->t[i], NULL);
				break;
			case INPUT_JSON_ASP:
				{
					asp_error	err;

					bson_reinit(&jb);
					if (!asp_json_to_bson(s->json + s->json_off[i],
										  s->json_off[i + 1] - s->json_off[i] - 1,
										  NULL, &jb, NULL, &err))
					{
						fprintf(stderr, "bench: asp_json_to_bson failed on document %zu: %s\n",
								i, err.message);
						exit(2);
					}
					ok = asp_exec_push_source(x, bson_get_data(&jb), jb.len, s->t[i], NULL);
					break;
				}
			case INPUT_GENERATOR:
				{
					/* as a processor's worker does: generate, then push */
					uint8_t		gbuf[ASP_SOLAR_DOC_MAX];
					int64_t		t = asp_solar_doc_raw(&s->gen, i, gbuf, &len);

					ok = asp_exec_push_source(x, gbuf, len, t, NULL);
					break;
				}
			case INPUT_JSON_LIBBSON:
				{
					bson_error_t berr;
					bson_t		lb;

					if (!bson_init_from_json(&lb, s->json + s->json_off[i],
											 (ssize_t) (s->json_off[i + 1] - s->json_off[i] - 1),
											 &berr))
					{
						fprintf(stderr, "bench: bson_init_from_json failed on document %zu: %s\n",
								i, berr.message);
						exit(2);
					}
					ok = asp_exec_push_source(x, bson_get_data(&lb), lb.len, s->t[i], NULL);
					bson_destroy(&lb);
					break;
				}
			default:
				ok = false;
		}
		if (!ok)
		{
			fprintf(stderr, "bench: %s: fatal error at document %zu: %s\n",
					sc->id, i, asp_exec_error(x)->message);
			exit(2);
		}
	}
	if (!asp_exec_finish(x))
	{
		fprintf(stderr, "bench: %s: fatal error at finish: %s\n",
				sc->id, asp_exec_error(x)->message);
		exit(2);
	}
	t1 = cpu_now();

	asp_exec_get_stats(x, &st);
	sc->out_docs = out.docs;
	sc->n_total = out.n_total;
	sc->dlq = out.dlq;
	if (out.dlq != st.dlq_count || out.docs != st.output_count)
	{
		fprintf(stderr, "bench: %s: callback counts (%" PRIu64 " docs, %" PRIu64 " DLQ) "
				"differ from the executor's statistics (%" PRIu64 ", %" PRIu64 ")\n",
				sc->id, out.docs, out.dlq, st.output_count, st.dlq_count);
		check_failed = true;
	}
	if (out.n_missing > 0)
	{
		fprintf(stderr, "bench: %s: %" PRIu64 " outputs have no numeric n\n",
				sc->id, out.n_missing);
		check_failed = true;
	}
	bson_destroy(&jb);
	asp_exec_free(x);
	asp_pipeline_free(p);
	return t1 - t0 - paused;
}

static void
run_scenario(scenario *sc, int reps)
{
	int			r;
	double		w0 = wall_now();

	sc->rate = 0;
	for (r = 0; r < reps; r++)
	{
		double		cpu = run_once(sc, sc->probe != NULL && r == 0);
		double		rate = cpu > 0 ? (double) sc->stream->n / cpu : 0;

		if (rate > sc->rate)
		{
			sc->rate = rate;
			sc->cpu = cpu;
		}
	}
	fprintf(stderr, "  %-3s %-26s %-25s %6.3f CPU-s best of %d  (%.1f s wall)\n",
			sc->id, sc->label, input_names[sc->input], sc->cpu, reps, wall_now() - w0);
}

/* parse_only: documents per CPU second of the JSON reader alone (reference) */
static double
parse_only(const doc_stream *s, input_kind kind, int reps)
{
	double		best = 0;
	int			r;

	for (r = 0; r < reps; r++)
	{
		bson_t		jb;
		uint64_t	bytes = 0;
		double		t0,
					cpu;
		size_t		i;

		bson_init(&jb);
		t0 = cpu_now();
		for (i = 0; i < s->n; i++)
		{
			const char *text = s->json + s->json_off[i];
			size_t		len = s->json_off[i + 1] - s->json_off[i] - 1;

			if (kind == INPUT_JSON_ASP)
			{
				asp_error	err;

				bson_reinit(&jb);
				if (!asp_json_to_bson(text, len, NULL, &jb, NULL, &err))
					exit(2);
				bytes += jb.len;
			}
			else
			{
				bson_error_t berr;
				bson_t		lb;

				if (!bson_init_from_json(&lb, text, (ssize_t) len, &berr))
					exit(2);
				bytes += lb.len;
				bson_destroy(&lb);
			}
		}
		cpu = cpu_now() - t0;
		bson_destroy(&jb);
		if (bytes != s->bson_off[s->n])
		{
			fprintf(stderr, "bench: %s produced %" PRIu64 " BSON bytes, the generator %" PRIu64 "\n",
					input_names[kind], bytes, s->bson_off[s->n]);
			check_failed = true;
		}
		if (cpu > 0 && s->n / cpu > best)
			best = s->n / cpu;
	}
	return best;
}

/* ---------- the PostgreSQL baseline ---------- */

/*
 * run_baseline: write the JSON lines to a file and run baseline.sh on it;
 * it prints one "PGBASE ..." line per query variant.  Returns the number
 * of results, 0 if the baseline was skipped.
 */
static int
run_baseline(const char *script, const doc_stream *s, pg_result *res, int maxres)
{
	char		path[] = "/tmp/asp_bench_json.XXXXXX";
	char		cmd[1024];
	char		line[512];
	FILE	   *f;
	int			fd;
	int			nres = 0;
	int			rc;

	fd = mkstemp(path);
	if (fd < 0)
	{
		fprintf(stderr, "bench: baseline skipped: cannot create a temporary file: %s\n",
				strerror(errno));
		return 0;
	}
	f = fdopen(fd, "w");
	if (f == NULL || fwrite(s->json, 1, s->json_off[s->n], f) != s->json_off[s->n] ||
		fclose(f) != 0)
	{
		fprintf(stderr, "bench: baseline skipped: cannot write %s\n", path);
		unlink(path);
		return 0;
	}
	snprintf(cmd, sizeof(cmd), "bash '%s' '%s'", script, path);
	f = popen(cmd, "r");
	if (f == NULL)
	{
		fprintf(stderr, "bench: baseline skipped: cannot run %s\n", script);
		unlink(path);
		return 0;
	}
	while (fgets(line, sizeof(line), f) != NULL)
	{
		pg_result  *r = &res[nres];
		unsigned long long rows,
					groups;
		long long	sumc;

		if (nres < maxres &&
			sscanf(line, "PGBASE variant=%15s rows=%llu groups=%llu sum_count=%lld cpu_s=%lf wall_s=%lf",
				   r->variant, &rows, &groups, &sumc, &r->cpu_s, &r->wall_s) == 6)
		{
			r->rows = rows;
			r->groups = groups;
			r->sum_count = sumc;
			r->rate = r->cpu_s > 0 ? (double) rows / r->cpu_s : 0;
			nres++;
		}
		else
			fputs(line, stderr);
	}
	rc = pclose(f);
	unlink(path);
	if (rc != 0)
	{
		fprintf(stderr, "bench: baseline skipped: %s exited with status %d\n", script,
				WIFEXITED(rc) ? WEXITSTATUS(rc) : -1);
		return 0;
	}
	return nres;
}

/*
 * run_processor: run processor.sh (a processor in a background worker of
 * a throwaway server, see there) for ndocs documents.  Returns the number
 * of runs read, 0 if skipped (the reason in skip_reason).
 */
static int
run_processor(const char *script, size_t ndocs, proc_result *res, int maxres,
			  char *skip_reason, size_t reason_len)
{
	char		cmd[1024];
	char		line[1024];
	FILE	   *f;
	int			nres = 0;
	int			rc;

	snprintf(skip_reason, reason_len, "no output from %s", script);
	snprintf(cmd, sizeof(cmd), "bash '%s' %zu", script, ndocs);
	f = popen(cmd, "r");
	if (f == NULL)
	{
		snprintf(skip_reason, reason_len, "cannot run %s", script);
		return 0;
	}
	while (fgets(line, sizeof(line), f) != NULL)
	{
		proc_result *r = &res[nres];
		unsigned long long docs,
					rows,
					dlq;
		long long	sumn;

		if (nres < maxres &&
			sscanf(line, "PROC interval=%15s docs=%llu cpu_s=%lf wall_s=%lf rows=%llu sum_n=%lld "
				   "dlq=%llu stats_in=%23s",
				   r->interval, &docs, &r->cpu_s, &r->wall_s, &rows, &sumn, &dlq,
				   r->stats_in) == 8)
		{
			const char *gr = strstr(line, " devices=");

			r->devices = gr ? atoi(gr + 9) : 0;
			r->docs = docs;
			r->rows = rows;
			r->sum_n = sumn;
			r->dlq = dlq;
			r->rate = r->cpu_s > 0 ? (double) docs / r->cpu_s : 0;
			nres++;
		}
		else if (strncmp(line, "PROCSKIP ", 9) == 0)
		{
			line[strcspn(line, "\n")] = '\0';
			size_t		len = strlen(line + 9);

			if (len >= reason_len)
				len = reason_len - 1;
			memcpy(skip_reason, line + 9, len);
			skip_reason[len] = '\0';
		}
		else
			fputs(line, stderr);
	}
	rc = pclose(f);
	if (rc != 0 || nres < 2)
	{
		if (rc != 0 && strncmp(skip_reason, "no output", 9) == 0)
			snprintf(skip_reason, reason_len, "%s exited with status %d", script,
					 WIFEXITED(rc) ? WEXITSTATUS(rc) : -1);
		fprintf(stderr, "bench: processor skipped: %s\n", skip_reason);
		return 0;
	}
	return nres;
}

/* ---------- report ---------- */

static void
print_row(const char *scen, const char *input, double rate, const char *ratio,
		  const char *target, const char *result)
{
	char		num[32];

	printf("%-36s %-25s %13s %8s %13s %s\n", scen, input,
		   rate > 0 ? fmt_count(rate, num, sizeof(num)) : "-", ratio, target, result);
}

static void
check(bool ok, const char *what)
{
	printf("  [%s] %s\n", ok ? "ok" : "FAILED", what);
	if (!ok)
		check_failed = true;
}

int
main(int argc, char **argv)
{
	size_t		ndocs = (size_t) env_long("BENCH_DOCS", DEFAULT_DOCS);
	int			reps = (int) env_long("BENCH_REPS", DEFAULT_REPS);
	const char *baseline = NULL;
	const char *processor = NULL;
	proc_result proc[3];
	int			nproc = 0;
	char		proc_skip[512] = "";
	bool		want_processor;
	const char *only = getenv("BENCH_ONLY");
	const char *only_input = getenv("BENCH_INPUT");	/* bson, json or libbson */
	bool		want_baseline;
	doc_stream	a,
				b,
				c;
	asp_solar	g;
	state_probe probe = {0};
	pg_result	pg[4];
	int			npg = 0;
	double		w0 = wall_now();
	double		asp_parse,
				lib_parse,
				pg_best = 0;
	const char *pg_best_variant = NULL;
	char		buf[512],
				num[32],
				num2[32];
	int			i;

	scenario	sc[] = {
		{.id = "S0", .label = "pass-through", .pipeline = PIPE_S0, .stream = &a,
		.input = INPUT_BSON},
		{.id = "S1", .label = "$match + $project", .pipeline = PIPE_S1, .stream = &a,
		.input = INPUT_BSON},
		{.id = "S2", .label = "tumbling 10s, group_id", .pipeline = PIPE_S2, .stream = &a,
		.input = INPUT_BSON, .sum_n = true},
		{.id = "S2", .label = "tumbling 10s, group_id", .pipeline = PIPE_S2, .stream = &a,
		.input = INPUT_JSON_ASP, .sum_n = true},
		{.id = "S2", .label = "tumbling 10s, group_id", .pipeline = PIPE_S2, .stream = &a,
		.input = INPUT_JSON_LIBBSON, .sum_n = true},
		{.id = "S3", .label = "hopping 10s/2s, device_id", .pipeline = PIPE_S3, .stream = &b,
		.input = INPUT_BSON, .sum_n = true, .probe = &probe},
		{.id = "S2g", .label = "P2's pipeline, engine only", .pipeline = PIPE_P2, .stream = &c,
		.input = INPUT_GENERATOR, .sum_n = true},
	};
	scenario   *gen_sc = &sc[6];
	int			nsc = (int) (sizeof(sc) / sizeof(sc[0]));

	for (i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--baseline") == 0 && i + 1 < argc)
			baseline = argv[++i];
		else if (strcmp(argv[i], "--processor") == 0 && i + 1 < argc)
			processor = argv[++i];
		else
		{
			fprintf(stderr, "usage: %s [--baseline baseline.sh] [--processor processor.sh]\n",
					argv[0]);
			return 2;
		}
	}
	want_baseline = baseline != NULL &&
		!(getenv("BENCH_BASELINE") && strcmp(getenv("BENCH_BASELINE"), "0") == 0);
	want_processor = processor != NULL &&
		!(getenv("BENCH_PROCESSOR") && strcmp(getenv("BENCH_PROCESSOR"), "0") == 0) &&
		(only == NULL || strstr(only, "P2") != NULL || strstr(only, "S2") != NULL);
	if (processor != NULL && !want_processor)
		snprintf(proc_skip, sizeof(proc_skip), "BENCH_PROCESSOR=0 or BENCH_ONLY");
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* the input: not timed */
	fprintf(stderr, "bench: generating %zu documents x 2 streams (not timed)...\n", ndocs);
	asp_solar_init(&g, BENCH_SEED, BENCH_START_MS);
	g.ndevices = 1000;
	g.ngroups = 10;
	generate(&a, &g, ndocs, true);
	asp_solar_init(&g, BENCH_SEED, BENCH_START_MS);
	g.ndevices = 10000;
	g.ngroups = 10;
	generate(&b, &g, ndocs, false);
	/* the processor's generator, as P2 runs it: 1,000 devices in 10 groups, from 2024-05-01T00:00:00Z */
	asp_solar_init(&g, BENCH_SEED, PROC_START_MS);
	g.ndevices = 1000;
	generate(&c, &g, ndocs, false);

	/* expected results */
	for (i = 0; i < nsc; i++)
		sc[i].expect_docs = sc[i].expect_n = -1;
	sc[0].expect_docs = (int64_t) ndocs;
	sc[1].expect_docs = (int64_t) a.n_watts_ge_100;
	for (i = 2; i <= 4; i++)
	{
		sc[i].expect_docs = (int64_t) a.n_window_groups;
		sc[i].expect_n = (int64_t) ndocs;
	}
	sc[5].expect_n = (int64_t) ndocs * (WINDOW_MS / HOP_MS);
	gen_sc->expect_docs = (int64_t) c.n_window_groups;
	gen_sc->expect_n = (int64_t) ndocs;

	fprintf(stderr, "bench: engine scenarios, best of %d runs each:\n", reps);
	for (i = 0; i < nsc; i++)
	{
		static const char *const input_keys[] = {"bson", "json", "libbson", "generator"};

		sc[i].skipped = (only != NULL && strstr(only, sc[i].id) == NULL &&
						 !(&sc[i] == gen_sc && (strstr(only, "S2") || strstr(only, "P2")))) ||
			(only_input != NULL && strcmp(only_input, input_keys[sc[i].input]) != 0);
		if (!sc[i].skipped)
			run_scenario(&sc[i], reps);
	}
	asp_parse = lib_parse = 0;
	if (only == NULL || strstr(only, "parse") != NULL)
	{
		asp_parse = parse_only(&a, INPUT_JSON_ASP, reps);
		lib_parse = parse_only(&a, INPUT_JSON_LIBBSON, reps);
	}
	stream_free(&b);
	stream_free(&c);

	if (want_baseline)
	{
		fprintf(stderr, "bench: PostgreSQL baseline (%s)...\n", baseline);
		npg = run_baseline(baseline, &a, pg, 4);
	}
	if (want_processor)
	{
		fprintf(stderr, "bench: processor P2 in a background worker (%s), checkpoint_interval "
				"1s and 1h...\n", processor);
		/* more documents than the engine runs: the worker's CPU time comes in 10 ms ticks */
		nproc = run_processor(processor, (size_t) env_long("BENCH_PROC_DOCS", (long) (5 * ndocs)),
							  proc, 3, proc_skip, sizeof(proc_skip));
	}
	for (i = 0; i < npg; i++)
		if (pg[i].rate > pg_best)
		{
			pg_best = pg[i].rate;
			pg_best_variant = pg[i].variant;
		}

	/* the table */
	printf("\nasp engine benchmark: %s documents shaped like sample_stream_solar (seed %d)\n",
		   fmt_count((double) ndocs, num, sizeof(num)), BENCH_SEED);
	printf("  S0-S2: 1,000 devices in 10 groups, S3: 10,000 devices; one reading per device every 500 ms\n");
	printf("  throughput = input documents per CPU second of one process (best of %d)\n\n", reps);
	printf("%-36s %-25s %13s %8s %13s %s\n", "scenario", "input", "events/CPU-s",
		   "vs PG", "target", "result");
	for (i = 0; i < 98; i++)
		putchar('-');
	putchar('\n');
	for (i = 0; i < nsc; i++)
	{
		char		scen[64];
		char		ratio[16] = "";
		char		target[32] = "";
		const char *result = "";

		snprintf(scen, sizeof(scen), "%s %s", sc[i].id, sc[i].label);
		if (strcmp(sc[i].id, "S2") == 0 && pg_best > 0)
			snprintf(ratio, sizeof(ratio), "%.1fx", sc[i].rate / pg_best);
		if (strcmp(sc[i].id, "S2") == 0 && sc[i].input == INPUT_BSON)
		{
			snprintf(target, sizeof(target), ">= %s", fmt_count(TARGET_S2_BSON, num, sizeof(num)));
			result = sc[i].rate >= TARGET_S2_BSON ? "PASS" : "MISS";
		}
		else if (strcmp(sc[i].id, "S2") == 0 && sc[i].input == INPUT_JSON_ASP)
		{
			snprintf(target, sizeof(target), ">= %s", fmt_count(TARGET_S2_JSON, num, sizeof(num)));
			result = sc[i].rate >= TARGET_S2_JSON ? "PASS" : "MISS";
		}
		if (sc[i].skipped)
			result = "skipped (BENCH_ONLY)";
		print_row(scen, input_names[sc[i].input], sc[i].rate,
				  ratio[0] ? ratio : "-", target[0] ? target : "-", result);
	}
	print_row("JSON->BSON only (reference)", input_names[INPUT_JSON_ASP], asp_parse,
			  "-", "-", "");
	print_row("JSON->BSON only (reference)", input_names[INPUT_JSON_LIBBSON], lib_parse,
			  "-", "-", "");
	for (i = 0; i < npg; i++)
	{
		char		scen[64];

		snprintf(scen, sizeof(scen), "PG baseline S2 (%.15s)", pg[i].variant);
		if (pg_best > 0)
			snprintf(buf, sizeof(buf), "%.1fx", pg[i].rate / pg_best);
		else
			snprintf(buf, sizeof(buf), "-");
		print_row(scen, "jsonb table", pg[i].rate, buf, "-",
				  pg[i].rate <= 0 ? "too short to time (10 ms ticks)" :
				  pg[i].rate == pg_best ? "(baseline)" : "");
	}
	if (npg == 0)
		print_row("PG baseline S2", "jsonb table", 0, "-", "-", "SKIPPED");
	if (pg_best > 0 && !sc[2].skipped)
	{
		snprintf(buf, sizeof(buf), "%.1fx", sc[2].rate / pg_best);
		print_row("S2 vs PostgreSQL", input_names[INPUT_BSON], sc[2].rate, buf, ">= 10.0x",
				  sc[2].rate >= TARGET_VS_PG * pg_best ? "PASS" : "MISS");
	}
	else
		print_row("S2 vs PostgreSQL", input_names[INPUT_BSON], sc[2].rate, "-", ">= 10.0x",
				  sc[2].skipped ? "skipped (BENCH_ONLY)" : "SKIPPED (no baseline)");
	if (nproc >= 2)
	{
		char		scen[64];
		char		ratio[16] = "-";
		const char *result = "-";

		if (!sc[2].skipped && sc[2].rate > 0)
		{
			snprintf(ratio, sizeof(ratio), "%.2fx", proc[0].rate / sc[2].rate);
			result = proc[0].rate >= TARGET_PROC_VS_S2 * sc[2].rate ? "PASS" : "MISS";
		}
		snprintf(scen, sizeof(scen), "P2 processor (worker), ckpt %.8s", proc[0].interval);
		print_row(scen, "sample_stream_solar", proc[0].rate, ratio, ">= 0.5x S2", result);
		snprintf(scen, sizeof(scen), "P2 processor (worker), ckpt %.8s", proc[1].interval);
		if (!sc[2].skipped && sc[2].rate > 0)
			snprintf(ratio, sizeof(ratio), "%.2fx", proc[1].rate / sc[2].rate);
		print_row(scen, "sample_stream_solar", proc[1].rate, ratio, "-", "(final ckpt only)");
		snprintf(buf, sizeof(buf), "%+.1f %%",
				 proc[1].cpu_s > 0 ? 100.0 * (proc[0].cpu_s - proc[1].cpu_s) / proc[1].cpu_s : 0);
		printf("%-36s %-25s %13s %8s %13s %s\n", "checkpoint overhead (1s vs 1h)",
			   "worker CPU-s", buf, "-", "-", "(reported)");
		/* against the same pipeline and generator without PostgreSQL: the runtime's cost */
		if (!gen_sc->skipped && gen_sc->rate > 0)
		{
			snprintf(ratio, sizeof(ratio), "%.2fx", proc[0].rate / gen_sc->rate);
			print_row("P2 ckpt 1s vs its engine-only (S2g)", "sample_stream_solar",
					  proc[0].rate, ratio, "-", "(runtime + $merge cost)");
		}
		if (nproc == 3)
		{
			snprintf(scen, sizeof(scen), "P2 %d devices (1 row/%d docs)", proc[2].devices,
					 proc[2].rows > 0 ? (int) (proc[2].docs / proc[2].rows) : 0);
			snprintf(ratio, sizeof(ratio), "-");
			if (!sc[2].skipped && sc[2].rate > 0)
				snprintf(ratio, sizeof(ratio), "%.2fx", proc[2].rate / sc[2].rate);
			snprintf(buf, sizeof(buf), "-");
			if (!gen_sc->skipped && gen_sc->rate > 0)
				snprintf(buf, sizeof(buf), "%.2fx S2g", proc[2].rate / gen_sc->rate);
			print_row(scen, "sample_stream_solar", proc[2].rate, ratio, buf, "(ckpt 1s)");
		}
	}
	else
		print_row("P2 processor (worker)", "sample_stream_solar", 0, "-", ">= 0.5x S2",
				  proc_skip[0] ? "skipped (see details)" : "skipped (no --processor)");
	if (probe.done && probe.pairs > 0)
	{
		double		per = (double) probe.state_bytes / (double) probe.pairs;

		snprintf(buf, sizeof(buf), "%.1f B", per);
		printf("%-36s %-25s %13s %8s %13s %s\n", "S3 state per open (window,key)",
			   "$avg+$max+$sum", buf, "-", "<= 256 B",
			   per <= TARGET_STATE_BYTES ? "PASS" : "MISS");
	}
	else
		printf("%-36s %-25s %13s %8s %13s %s\n", "S3 state per open (window,key)",
			   "$avg+$max+$sum", "-", "-", "<= 256 B", "SKIPPED (no open windows)");
	for (i = 0; i < 98; i++)
		putchar('-');
	putchar('\n');

	/* details */
	printf("\ndetails:\n");
	if (probe.done)
		printf("  S3 state after %s documents: %s bytes in %d open windows (engine: %d), "
			   "%s open (window,key) pairs\n",
			   fmt_count((double) probe.at_doc, num, sizeof(num)),
			   fmt_count((double) probe.state_bytes, num2, sizeof(num2)),
			   probe.windows, probe.engine_windows,
			   fmt_count((double) probe.pairs, buf, sizeof(buf)));
	for (i = 0; i < npg; i++)
		printf("  PG %-7s: %s rows, %.3f backend CPU-s (%.3f s wall, \\timing), %s groups; "
			   "max_parallel_workers_per_gather = 0, jit = off\n",
			   pg[i].variant, fmt_count((double) pg[i].rows, num, sizeof(num)),
			   pg[i].cpu_s, pg[i].wall_s, fmt_count((double) pg[i].groups, num2, sizeof(num2)));
	if (pg_best_variant)
		printf("  ratios are against the faster PostgreSQL variant (%s)\n", pg_best_variant);
	for (i = 0; i < nproc; i++)
		printf("  P2 ckpt %-3s %d devices: %s documents, %.3f worker CPU-s (%.2f s wall), %s sink rows; "
			   "ratios are against S2 %s engine-only\n",
			   proc[i].interval, proc[i].devices,
			   fmt_count((double) proc[i].docs, num, sizeof(num)),
			   proc[i].cpu_s, proc[i].wall_s, fmt_count((double) proc[i].rows, num2, sizeof(num2)),
			   input_names[INPUT_BSON]);
	if (nproc >= 2)
		printf("  P2: S2's pipeline, then $set _id {group_id, window start}, $merge into a local table;\n"
			   "      1,000 devices in 10 groups (S2's stream; the last run: 10 devices, the default),\n"
			   "      2 readings per device per second, unthrottled (100,000 documents a round,\n"
			   "      rounds back to back);\n"
			   "      CPU = utime + stime of the worker (10 ms ticks), stop not counted.\n"
			   "  S2g: the same pipeline without $merge, fed by the same generator in this process\n"
			   "      (generation timed), outputs counted, not written\n");
	if (nproc < 2 && proc_skip[0])
		printf("  P2 processor skipped: %s\n", proc_skip);
	for (i = 0; i < npg; i++)
		if (pg[i].cpu_s < 0.2)
		{
			printf("  note: PostgreSQL CPU time is counted in 10 ms ticks; use more documents "
				   "(BENCH_DOCS) for a precise baseline\n");
			break;
		}

	/* correctness */
	printf("\ncorrectness:\n");
	for (i = 0; i < nsc; i++)
	{
		if (sc[i].skipped)
			continue;
		if (sc[i].expect_docs >= 0)
		{
			snprintf(buf, sizeof(buf), "%s %s: %" PRIu64 " output documents, expected %" PRId64,
					 sc[i].id, input_names[sc[i].input], sc[i].out_docs, sc[i].expect_docs);
			check(sc[i].out_docs == (uint64_t) sc[i].expect_docs, buf);
		}
		if (sc[i].expect_n >= 0)
		{
			snprintf(buf, sizeof(buf), "%s %s: sum of n = %" PRId64 ", expected %" PRId64
					 " (%zu inputs%s)",
					 sc[i].id, input_names[sc[i].input], sc[i].n_total, sc[i].expect_n, ndocs,
					 strcmp(sc[i].id, "S3") == 0 ? " x 5 windows each" : ", none late");
			check(sc[i].n_total == sc[i].expect_n, buf);
		}
		snprintf(buf, sizeof(buf), "%s %s: %" PRIu64 " dead letters, expected 0",
				 sc[i].id, input_names[sc[i].input], sc[i].dlq);
		check(sc[i].dlq == 0, buf);
	}
	if (probe.done && probe.pairs > 0)
	{
		snprintf(buf, sizeof(buf), "S3 open windows: computed %d, engine reports %d",
				 probe.windows, probe.engine_windows);
		check(probe.windows == probe.engine_windows, buf);
	}
	for (i = 0; i < npg; i++)
	{
		snprintf(buf, sizeof(buf), "PG %.15s: %" PRIu64 " groups (S2: %" PRIu64 "), sum of count(*) %"
				 PRId64 " (inputs: %zu)",
				 pg[i].variant, pg[i].groups, sc[2].out_docs, pg[i].sum_count, ndocs);
		check((sc[2].skipped || pg[i].groups == sc[2].out_docs) &&
			  pg[i].sum_count == (int64_t) ndocs &&
			  pg[i].rows == ndocs, buf);
	}
	for (i = 0; i < nproc; i++)
	{
		snprintf(buf, sizeof(buf), "P2 ckpt %s %d devices: sink sum of n = %" PRId64 " (expected %" PRIu64
				 "), %" PRIu64 " dead letters, asp.stats inputMessageCount %s",
				 proc[i].interval, proc[i].devices, proc[i].sum_n,
				 proc[i].docs, proc[i].dlq, proc[i].stats_in);
		check(proc[i].sum_n == (int64_t) proc[i].docs && proc[i].dlq == 0 &&
			  (strcmp(proc[i].interval, "1s") != 0 ||
			   strtoull(proc[i].stats_in, NULL, 10) == proc[i].docs), buf);
	}
	if (nproc >= 2)
	{
		snprintf(buf, sizeof(buf), "P2: the same sink rows with ckpt %s and %s (%" PRIu64 ", %"
				 PRIu64 ")", proc[0].interval, proc[1].interval, proc[0].rows, proc[1].rows);
		check(proc[0].rows == proc[1].rows && proc[0].rows > 0, buf);
	}
	printf("\n%s; total %.0f s wall\n",
		   check_failed ? "CORRECTNESS CHECK FAILED" : "all correctness checks passed",
		   wall_now() - w0);

	stream_free(&a);
	return check_failed ? 1 : 0;
}
