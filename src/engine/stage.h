/*-------------------------------------------------------------------------
 *
 * stage.h
 *	  Pipeline stages and the push-based executor interface between them.
 *
 * A compiled pipeline is a chain of asp_stage.  The executor pushes each
 * source document into the first stage; a stage transforms it and pushes
 * zero or more documents to the next one with asp_stage_emit().  A document
 * pushed to a stage is valid only during that push call: a stage that keeps
 * documents (window buffers, $sort) copies them.  Output documents are
 * built in the stage's own reusable buffer (s->out), so the steady state
 * does no allocation per document.
 *
 * A stage never fails the run because of one document: it reports the
 * document to the dead letter queue with asp_exec_dlq() and goes on.
 * push returns false only for errors that must stop the processor
 * (s->exec->err is then set).
 *
 * Blocking stages ($group, $sort, $limit, $count) only appear inside a
 * window's pipeline; they collect on push and emit on flush.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_ENGINE_STAGE_H
#define ASP_ENGINE_STAGE_H

#include <bson/bson.h>

#include "expr.h"
#include "match.h"

typedef struct asp_stage asp_stage;
typedef struct asp_exec asp_exec;

typedef struct asp_stage_ops
{
	/* push: process one document; false only for a fatal error */
	bool		(*push) (asp_stage *s, asp_exec *x, const uint8_t *doc, uint32_t len);
	/* flush: end of a batch (window close, end of stream); NULL = just flush next */
	bool		(*flush) (asp_stage *s, asp_exec *x);
	/* destroy: free s->data (the stage struct itself is freed by the caller) */
	void		(*destroy) (asp_stage *s);
	/* reset: forget collected state (blocking stages); may be NULL */
	void		(*reset) (asp_stage *s);
} asp_stage_ops;

/*
 * Blocking stages keep their collected documents in a state object, so a
 * window can hold one state per open window for its first blocking stage.
 * Elsewhere (after the first blocking stage of a window pipeline) a
 * blocking stage uses its own state: push adds, flush emits and resets.
 */
typedef struct asp_block_ops
{
	void	   *(*state_new) (asp_stage *s);
	/* state_add: fold one document in; false only for a fatal error */
	bool		(*state_add) (asp_stage *s, void *state, asp_exec *x,
							  const uint8_t *doc, uint32_t len);
	/* state_emit: push the results to s's next stage */
	bool		(*state_emit) (asp_stage *s, void *state, asp_exec *x);
	void		(*state_free) (asp_stage *s, void *state);
	/* state_bytes: memory held by the state */
	size_t		(*state_bytes) (asp_stage *s, void *state);
	/*
	 * state_add_multi: add one document to several states (hopping
	 * windows); NULL = call state_add for each.  Same result as state_add
	 * on each state in turn, but the document is evaluated once (with the
	 * evaluation context as it is) and dead-lettered at most once.
	 */
	bool		(*state_add_multi) (asp_stage *s, void **states, int nstates, asp_exec *x,
									const uint8_t *doc, uint32_t len);
} asp_block_ops;

struct asp_stage
{
	const asp_stage_ops *ops;
	const char *name;			/* "$project" */
	int			index;			/* position in its pipeline */
	char	   *where;			/* "pipeline[3]" or "pipeline[1].$tumblingWindow.pipeline[0]" */
	asp_stage  *next;			/* NULL: emit to the stage's sink (see exec) */
	void	   *data;			/* stage-specific compiled data */
	bson_t	   *out;			/* reusable output buffer */
	bool		blocking;		/* $group $sort $limit $count */
	bool		reads_window_bounds;	/* an expression uses {$meta: "stream.window.*"} */
	const asp_block_ops *bops;	/* blocking stages only */
	void	   *own_state;		/* blocking stages outside the first position */
	/* statistics */
	uint64_t	in_docs;
	uint64_t	out_docs;
	uint64_t	time_ns;
};

/* what stage compile functions get */
typedef struct asp_stage_compile_ctx
{
	asp_error  *err;
	int			index;			/* stage position in its pipeline */
	const char *where;			/* "pipeline[3]" etc. for messages */
	bool		in_window;		/* compiling a window's inner pipeline */
} asp_stage_compile_ctx;

/*
 * The executor's side, used by stages.  asp_exec_ctx gives an evaluation
 * context whose arena is reset per input document; a stage sets ROOT /
 * CURRENT itself with asp_eval_ctx_set_root.
 */
extern asp_eval_ctx *asp_exec_ctx(asp_exec *x);

/*
 * asp_exec_dlq: send doc to the dead letter queue as a failure of stage s,
 * with err->message as errInfo.reason.  The run continues.
 */
extern void asp_exec_dlq(asp_exec *x, const asp_stage *s, const uint8_t *doc,
						 uint32_t len, const char *reason);

/* asp_stage_emit: push a document to the next stage (or the sink) */
extern bool asp_stage_emit(asp_stage *s, asp_exec *x, const uint8_t *doc, uint32_t len);

/* asp_stage_flush: flush s and every stage after it, in order */
extern bool asp_stage_flush(asp_stage *s, asp_exec *x);

/* generic ops for blocking stages: push into own_state, flush emits it */
extern bool asp_block_push(asp_stage *s, asp_exec *x, const uint8_t *doc, uint32_t len);
extern bool asp_block_flush(asp_stage *s, asp_exec *x);
extern void asp_block_reset(asp_stage *s);

/* asp_exec_reset_arena: drop per-document temporaries (between documents only) */
extern void asp_exec_reset_arena(asp_exec *x);

/* asp_exec_source_type: the source type string for _stream_meta ("generated", "kafka", ...) */
extern const char *asp_exec_source_type(const asp_exec *x);

/* asp_stage_new: allocate a stage with its output buffer */
extern asp_stage *asp_stage_new(const asp_stage_ops *ops, const char *name,
								const asp_stage_compile_ctx *cc);
extern void asp_stage_free(asp_stage *s);

/*
 * Stage compilers: spec is the stage's operand (the value of "$project"
 * etc.).  Each returns NULL with cc->err set (ASP_ERR_INVALID, message
 * naming the option, err->path the option path inside the stage) on error.
 */
extern asp_stage *asp_stage_compile_match(const bson_value_t *spec, asp_stage_compile_ctx *cc);
extern asp_stage *asp_stage_compile_validate(const bson_value_t *spec, asp_stage_compile_ctx *cc);
extern asp_stage *asp_stage_compile_project(const bson_value_t *spec, asp_stage_compile_ctx *cc);
extern asp_stage *asp_stage_compile_add_fields(const bson_value_t *spec, asp_stage_compile_ctx *cc);	/* $addFields and $set */
extern asp_stage *asp_stage_compile_unset(const bson_value_t *spec, asp_stage_compile_ctx *cc);
extern asp_stage *asp_stage_compile_replace_root(const bson_value_t *spec, asp_stage_compile_ctx *cc);	/* {newRoot: expr} */
extern asp_stage *asp_stage_compile_replace_with(const bson_value_t *spec, asp_stage_compile_ctx *cc);	/* expr */
extern asp_stage *asp_stage_compile_unwind(const bson_value_t *spec, asp_stage_compile_ctx *cc);
extern asp_stage *asp_stage_compile_redact(const bson_value_t *spec, asp_stage_compile_ctx *cc);
/* blocking stages (window pipelines only) */
extern asp_stage *asp_stage_compile_group(const bson_value_t *spec, asp_stage_compile_ctx *cc);
extern asp_stage *asp_stage_compile_sort(const bson_value_t *spec, asp_stage_compile_ctx *cc);
extern asp_stage *asp_stage_compile_limit(const bson_value_t *spec, asp_stage_compile_ctx *cc);
extern asp_stage *asp_stage_compile_count(const bson_value_t *spec, asp_stage_compile_ctx *cc);

#endif							/* ASP_ENGINE_STAGE_H */
