/*-------------------------------------------------------------------------
 *
 * pipeline_text.h
 *	  Reading pipelines and options from the JSON text of SQL arguments.
 *
 * Shared by asp.process and the stream processor catalog, so that a
 * pipeline is refused with the same errors wherever it is given.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_SQL_PIPELINE_TEXT_H
#define ASP_SQL_PIPELINE_TEXT_H

#include "postgres.h"

#include <bson/bson.h>

#include "engine/pipeline.h"

/* nesting limit of a pipeline's JSON text */
#define ASP_PIPELINE_MAX_DEPTH 200

/*
 * asp_builtin_connection: the built-in connections (sample_stream_solar, a
 * source; local, this database, a sink).  An asp_conn_lookup_fn; ud is
 * unused.
 */
extern asp_conn_type asp_builtin_connection(void *ud, const char *name);

/*
 * asp_parse_json_text: the JSON text of an argument into BSON (out must be
 * initialised and empty), or an ERROR prefixed by what.
 */
extern void asp_parse_json_text(text *t, const char *what, int max_depth,
								bson_t *out, bool *is_array);

/*
 * asp_compile_pipeline_text: parse and compile the text of a pipeline
 * against the connection registry (asp.connections), or ERROR ("invalid
 * pipeline: ...").  Needs a transaction.  The caller frees the result with
 * asp_pipeline_free.
 */
extern asp_pipeline *asp_compile_pipeline_text(text *t);

#endif							/* ASP_SQL_PIPELINE_TEXT_H */
