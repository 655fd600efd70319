/*-------------------------------------------------------------------------
 *
 * pipeline_text.c
 *	  Reading pipelines and options from the JSON text of SQL arguments.
 *
 * Pipelines are read from their text, never through jsonb: key order
 * matters in MongoDB pipelines ($sort keys, $group and $project fields).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "engine/json.h"
#include "sql/asp_sql.h"
#include "sql/connections.h"
#include "sql/pipeline_text.h"

/*
 * asp_builtin_connection: the built-in connections, which exist in every
 * database (the registry has rows for them too)
 */
asp_conn_type
asp_builtin_connection(void *ud, const char *name)
{
	(void) ud;
	if (strcmp(name, "sample_stream_solar") == 0)
		return ASP_CONN_SAMPLE;
	if (strcmp(name, "local") == 0)
		return ASP_CONN_POSTGRES;
	return ASP_CONN_UNKNOWN;
}

/* asp_parse_json_text: JSON text of an argument into BSON, or an ERROR */
void
asp_parse_json_text(text *t, const char *what, int max_depth, bson_t *out, bool *is_array)
{
	asp_json_opts jopts = {0};
	asp_error	err;

	jopts.max_depth = max_depth;
	if (!asp_json_to_bson(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &jopts, out, is_array, &err))
	{
		bson_destroy(out);
		asp_report_error(&err, what);
	}
}

/*
 * asp_compile_pipeline_text: parse and compile a pipeline against the
 * connection registry, or an ERROR
 */
asp_pipeline *
asp_compile_pipeline_text(text *t)
{
	bson_t		pl;
	bool		is_array;
	asp_error	err;
	asp_registry reg;
	asp_compile_opts copts = {asp_registry_lookup, &reg};
	asp_pipeline *p;

	asp_registry_load(&reg);

	bson_init(&pl);
	asp_parse_json_text(t, "invalid pipeline", ASP_PIPELINE_MAX_DEPTH, &pl, &is_array);
	if (!is_array)
	{
		bson_destroy(&pl);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid pipeline: a pipeline must be a JSON array of stages"),
				 errhint("Write it as '[{\"$source\": {...}}, ...]'.")));
	}
	p = asp_pipeline_compile(&pl, &copts, &err);
	bson_destroy(&pl);
	if (p == NULL)
		asp_report_error(&err, "invalid pipeline");
	return p;
}
