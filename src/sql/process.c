/*-------------------------------------------------------------------------
 *
 * process.c
 *	  asp.process(pipeline json, options json): run a pipeline ephemerally
 *	  in the calling backend, like sp.process() in mongosh.
 *
 * The pipeline is parsed from its text (key order matters in pipelines,
 * so it never goes through jsonb), compiled, and run over its source: a
 * documents array runs to its end; a connection source (the built-in
 * sample_stream_solar) runs until maxDocs documents or timeoutMs.  Then
 * open windows close.  Every document that leaves the pipeline is a row
 * ('output', doc); every dead letter queue entry a row ('dlq', doc), as
 * relaxed extended JSON in MongoDB field order.
 *
 * A pipeline may end in $merge into the built-in "local" connection (a
 * table of this database, see connectors/pg_sink.c): the documents are
 * written in the caller's transaction and still returned as 'output' rows
 * once written; those that cannot be written become 'dlq' rows.  Other
 * sinks are refused.
 *
 * The caller must be allowed to use the connections the pipeline names
 * (asp.grant_connection; see privileges.h); a refusal is audited.  Tables
 * are written with the caller's privileges, which PostgreSQL checks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "connectors/pg_sink.h"
#include "engine/exec.h"
#include "engine/json_out.h"
#include "engine/pipeline.h"
#include "engine/solar.h"
#include "engine/value.h"
#include "sql/asp_sql.h"
#include "sql/audit.h"
#include "sql/pipeline_text.h"
#include "sql/privileges.h"

int			asp_process_max_docs = 1000;
int			asp_process_timeout_ms = 10000;

PG_FUNCTION_INFO_V1(asp_process);

typedef struct process_options
{
	int64		max_docs;
	int64		timeout_ms;
	uint64		sample_seed;
	bool		have_sample_start;
	int64		sample_start_ms;
} process_options;

typedef struct process_state
{
	Tuplestorestate *tupstore;
	TupleDesc	tupdesc;
	asp_strbuf	json;			/* reused for every document */
	asp_pg_sink *sink;			/* $merge into "local", or NULL */
} process_state;

/* unix_now_ms: wall clock in ms since the Unix epoch */
static int64
unix_now_ms(void)
{
	TimestampTz now = GetCurrentTimestamp();

	return now / 1000 + ((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000);
}

/* options_int: an integer option >= 0 */
static int64
options_int(bson_iter_t *it, const char *name)
{
	int64_t		v;

	if (!asp_value_is_number(bson_iter_value(it)) ||
		!asp_value_as_int64_exact(bson_iter_value(it), &v) || v < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid asp.process option: \"%s\" must be a non-negative integer", name)));
	return v;
}

/* parse_options: the options argument of asp.process */
static void
parse_options(text *t, process_options *o)
{
	bson_t		b;
	bool		is_array;
	bson_iter_t it;

	o->max_docs = asp_process_max_docs;
	o->timeout_ms = asp_process_timeout_ms;
	o->sample_seed = 42;
	o->have_sample_start = false;
	if (t == NULL)
		return;
	bson_init(&b);
	asp_parse_json_text(t, "invalid asp.process options", 16, &b, &is_array);
	if (is_array)
	{
		bson_destroy(&b);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid asp.process options: options must be a JSON object"),
				 errhint("For example '{\"maxDocs\": 100}'.")));
	}
	PG_TRY();
	{
		bson_iter_init(&it, &b);
		while (bson_iter_next(&it))
		{
			const char *k = bson_iter_key(&it);

			if (strcmp(k, "maxDocs") == 0)
				o->max_docs = options_int(&it, k);
			else if (strcmp(k, "timeoutMs") == 0)
				o->timeout_ms = options_int(&it, k);
			else if (strcmp(k, "sampleSeed") == 0)
				o->sample_seed = (uint64) options_int(&it, k);
			else if (strcmp(k, "sampleStart") == 0)
			{
				if (!BSON_ITER_HOLDS_DATE_TIME(&it))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("invalid asp.process option: \"sampleStart\" must be a date"),
							 errhint("Write it as {\"$date\": \"2024-05-01T00:00:00Z\"}.")));
				o->sample_start_ms = bson_iter_date_time(&it);
				o->have_sample_start = true;
			}
			else
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid asp.process options: unrecognized option \"%s\"", k),
						 errhint("Valid options are maxDocs, timeoutMs, sampleSeed and sampleStart.")));
		}
	}
	PG_FINALLY();
	{
		bson_destroy(&b);
	}
	PG_END_TRY();
}

/* put_row: one output or DLQ document becomes a row */
static void
put_row(void *ud, asp_output_kind kind, const uint8_t *doc, uint32_t len)
{
	process_state *st = ud;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	asp_strbuf_reset(&st->json);
	if (!asp_bson_to_json(doc, len, false, &st->json))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not convert an output document to JSON")));
	values[0] = CStringGetTextDatum(kind == ASP_OUTPUT_DOC ? "output" : "dlq");
	values[1] = PointerGetDatum(cstring_to_text_with_len(st->json.data, (int) st->json.len));
	tuplestore_putvalues(st->tupstore, st->tupdesc, values, nulls);
}

/*
 * process_output: the executor's output callback.  Documents that reach a
 * $merge sink are written by it, which gives them back as rows (put_row)
 * once their batch is written.
 */
static void
process_output(void *ud, asp_output_kind kind, const uint8_t *doc, uint32_t len)
{
	process_state *st = ud;

	if (kind == ASP_OUTPUT_DOC && st->sink != NULL)
		asp_pg_sink_write(st->sink, doc, len);
	else
		put_row(ud, kind, doc, len);
}

/* run_source: feed the source into the executor */
static void
run_source(asp_pipeline *p, asp_exec *x, const process_options *o)
{
	int64		start = unix_now_ms();

	asp_exec_set_now(x, start);
	if (p->source_kind == ASP_SOURCE_DOCUMENTS)
	{
		bson_iter_t it;

		if (bson_iter_init_from_data(&it, p->documents.value.v_doc.data,
									 p->documents.value.v_doc.data_len))
		{
			while (bson_iter_next(&it))
			{
				const bson_value_t *v = bson_iter_value(&it);

				CHECK_FOR_INTERRUPTS();
				asp_exec_set_now(x, unix_now_ms());
				if (!asp_exec_push_source(x, v->value.v_doc.data, v->value.v_doc.data_len,
										  unix_now_ms(), NULL))
					asp_report_error(asp_exec_error(x), "stream processing failed");
			}
		}
	}
	else if (p->source_kind == ASP_SOURCE_SAMPLE)
	{
		asp_solar	g;
		bson_t	   *doc = bson_new();
		uint64		pos;

		asp_solar_init(&g, o->sample_seed,
					   o->have_sample_start ? o->sample_start_ms : start - start % 1000);
		PG_TRY();
		{
			for (pos = 0; pos < (uint64) o->max_docs; pos++)
			{
				int64_t		t;

				CHECK_FOR_INTERRUPTS();
				if ((pos & 255) == 0 && unix_now_ms() - start >= o->timeout_ms)
					break;
				t = asp_solar_doc(&g, pos, doc);
				if (!asp_exec_push_source(x, bson_get_data(doc), doc->len, t, NULL))
					asp_report_error(asp_exec_error(x), "stream processing failed");
			}
		}
		PG_FINALLY();
		{
			bson_destroy(doc);
		}
		PG_END_TRY();
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("asp.process cannot read from connection \"%s\"", p->source_connection)));
	if (!asp_exec_finish(x))
		asp_report_error(asp_exec_error(x), "stream processing failed");
}

/* asp_process: SQL function asp.process(pipeline json, options json) */
Datum
asp_process(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	text	   *pipeline_text;
	process_options opts;
	asp_pipeline *volatile p = NULL;
	asp_exec   *volatile x = NULL;
	process_state st;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("pipeline must not be null")));
	pipeline_text = PG_GETARG_TEXT_PP(0);
	parse_options(PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1), &opts);

	InitMaterializedSRF(fcinfo, 0);
	st.tupstore = rsinfo->setResult;
	st.tupdesc = rsinfo->setDesc;
	asp_strbuf_init(&st.json);

	p = asp_compile_pipeline_text(pipeline_text);
	{
		/* the caller must be allowed to use the pipeline's connections */
		asp_refusal r;

		if (!asp_pipeline_access_ok(p, NULL, GetUserId(), NULL, false, &r))
		{
			asp_pipeline_free(p);
			asp_refuse("process", NULL, &r);
		}
	}
	if (p->sink_kind != ASP_SINK_NONE &&
		!(p->sink_kind == ASP_SINK_MERGE &&
		  asp_builtin_connection(NULL, p->sink_connection) == ASP_CONN_POSTGRES))
	{
		int			idx = p->nstages - 1;
		const char *sink = p->sink_kind == ASP_SINK_MERGE ? "$merge" : "$emit";

		asp_pipeline_free(p);
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("asp.process does not write to sinks: pipeline[%d] is a %s stage", idx, sink),
				 errhint("Remove the last stage to see the documents it would receive.")));
	}
	st.sink = NULL;
	PG_TRY();
	{
		if (p->sink_kind == ASP_SINK_MERGE)
			st.sink = asp_pg_sink_open(&p->sink_spec, put_row, &st);
		x = asp_exec_new(p, process_output, &st);
		run_source(p, x, &opts);
		if (st.sink)
			asp_pg_sink_flush(st.sink);
	}
	PG_FINALLY();
	{
		asp_exec_free(x);
		asp_pipeline_free(p);
		asp_strbuf_free(&st.json);
		asp_pg_sink_free(st.sink);
	}
	PG_END_TRY();
	return (Datum) 0;
}
