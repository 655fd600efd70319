/*-------------------------------------------------------------------------
 *
 * pipeline.h
 *	  Compiling an Atlas Stream Processing pipeline into a plan.
 *
 * The compiler enforces the structural rules of ASP ($source first and
 * once, at most one sink and it is last, at most one window stage,
 * $group/$sort/$limit/$count only inside a window, no $out, no JavaScript)
 * and compiles every stage, so that a pipeline that compiles can run.
 * Errors name the stage (index and name), the option path and the fix.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_ENGINE_PIPELINE_H
#define ASP_ENGINE_PIPELINE_H

#include <bson/bson.h>

#include "error.h"
#include "expr.h"
#include "stage.h"

typedef enum asp_source_kind
{
	ASP_SOURCE_DOCUMENTS,		/* $source.documents */
	ASP_SOURCE_SAMPLE,			/* sample_stream_solar */
	ASP_SOURCE_KAFKA,
	ASP_SOURCE_MONGODB			/* change stream */
} asp_source_kind;

typedef enum asp_sink_kind
{
	ASP_SINK_NONE,
	ASP_SINK_MERGE,
	ASP_SINK_EMIT
} asp_sink_kind;

/* connection types known to the caller's registry */
typedef enum asp_conn_type
{
	ASP_CONN_UNKNOWN = 0,		/* no such connection */
	ASP_CONN_SAMPLE,
	ASP_CONN_KAFKA,
	ASP_CONN_MONGODB,
	ASP_CONN_POSTGRES
} asp_conn_type;

/* asp_conn_lookup_fn: the type of a named connection, ASP_CONN_UNKNOWN if none */
typedef asp_conn_type (*asp_conn_lookup_fn) (void *ud, const char *name);

typedef struct asp_compile_opts
{
	asp_conn_lookup_fn lookup;	/* NULL: every connection name is accepted by shape */
	void	   *lookup_ud;
} asp_compile_opts;

typedef struct asp_window_spec asp_window_spec;

typedef struct asp_pipeline
{
	bson_t	   *spec;			/* owned copy of the pipeline (a BSON array) */
	int			nstages;		/* stages in the user's pipeline, $source and sink included */

	/* $source */
	asp_source_kind source_kind;
	char	   *source_connection;	/* NULL for documents */
	bson_value_t documents;		/* the documents array (borrowed from spec) */
	asp_expr   *time_field;		/* NULL: source time */
	char	   *ts_field;		/* "_ts" unless tsFieldName */
	bson_value_t source_spec;	/* the whole $source operand, for connectors */

	/* processing stages between $source and the sink */
	asp_stage  *first;
	asp_stage **stages;			/* every stage, for freeing and statistics */
	int			nall;
	asp_stage  *window;			/* the window stage, if any */

	/* sink */
	asp_sink_kind sink_kind;
	char	   *sink_connection;
	bson_value_t sink_spec;		/* the $merge / $emit operand */

	/*
	 * The field plan: the field paths that timeField and the stage that
	 * first receives the source document read, filled by one walk of each
	 * source document (see value.h).  source_lazy: that stage reads the
	 * document only through such paths (a window whose pipeline starts with
	 * a $group of unary accumulators), so the executor does not build the
	 * document with the timestamp field and _stream_meta unless something
	 * needs it whole (a dead letter).
	 */
	asp_field_plan plan;
	bool		source_lazy;
} asp_pipeline;

/*
 * asp_pipeline_compile: compile a pipeline given as a BSON array.  Returns
 * NULL with *err filled (stage index/name and option path set) on error.
 */
extern asp_pipeline *asp_pipeline_compile(const bson_t *pipeline,
										  const asp_compile_opts *opts,
										  asp_error *err);
/*
 * asp_pipeline_compile_unplanned: the same without the field plan (general
 * lookups, source documents always built), for tests that compare the two.
 */
extern asp_pipeline *asp_pipeline_compile_unplanned(const bson_t *pipeline,
													const asp_compile_opts *opts,
													asp_error *err);
extern void asp_pipeline_free(asp_pipeline *p);

/* asp_duration_ms: parse {size, unit} (unit ms|second|minute|hour|day) */
extern bool asp_duration_ms(const bson_value_t *v, const char *what,
							bool allow_zero, int64_t *ms, asp_error *err);

/* window stage compiler (window.c) */
extern asp_stage *asp_stage_compile_window(const char *name, const bson_value_t *spec,
										   asp_stage_compile_ctx *cc);

/* asp_window_tick: time passed (idle timeout, processing-time windows) */
extern bool asp_window_tick(asp_stage *window, asp_exec *x, int64_t now_ms);

/* asp_compile_inner_stage: compile one stage that is not $source, a sink or a window */
extern asp_stage *asp_compile_inner_stage(const char *name, const bson_value_t *operand,
										  asp_stage_compile_ctx *cc);

/* window state queries (window.c), for statistics and checkpoints */
extern int64_t asp_window_watermark(const asp_stage *window);	/* INT64_MIN when none */
extern size_t asp_window_state_bytes(const asp_stage *window);
extern int	asp_window_open_count(const asp_stage *window);

/* asp_window_first_stage: the stage of the window's pipeline that receives its documents first */
extern asp_stage *asp_window_first_stage(const asp_stage *window);

/*
 * Checkpoints (window.c): asp_window_serialize appends under key the
 * window's kind, size and hop, its watermark, and every open window
 * [start, end] with the state of the first blocking stage; restoring
 * needs a window stage of the same pipeline with no open window.
 */
extern bool asp_window_serialize(asp_stage *window, bson_t *out, const char *key,
								 asp_error *err);
extern bool asp_window_restore(asp_stage *window, const bson_value_t *v, asp_error *err);

/*
 * asp_group_exprs (stage_group.c): the key and operand expressions of a
 * $group stage into out (at most max); -1 if s is not a $group.  *plain is
 * false when an accumulator evaluates its operands itself ($top, $topN
 * ...), which may read more of the document than its expressions.
 */
extern int	asp_group_exprs(asp_stage *s, asp_expr **out, int max, bool *plain);

/* checkpoint forms of blocking-stage states and document buffers (stage_group.c) */
struct asp_docbuf;
extern bool asp_block_state_serialize(asp_stage *s, void *state, bson_t *out,
									  const char *key, asp_error *err);
extern bool asp_block_state_restore(asp_stage *s, void *state, const bson_value_t *v,
									asp_error *err);
extern void asp_docbuf_serialize(const struct asp_docbuf *b, bson_t *out, const char *key);
extern bool asp_docbuf_restore(struct asp_docbuf *b, const bson_value_t *v, const char *what,
							   asp_error *err);

#endif							/* ASP_ENGINE_PIPELINE_H */
