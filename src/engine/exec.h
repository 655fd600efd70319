/*-------------------------------------------------------------------------
 *
 * exec.h
 *	  Running a compiled pipeline: the executor.
 *
 * The caller (the SQL function asp.process, a background worker, a unit
 * test or the benchmark) owns the loop: it pushes source documents with
 * asp_exec_push_source(), tells the executor when a finite source ended
 * (asp_exec_finish) or time passed (asp_exec_tick), and receives output and
 * dead letter documents through the output callback.  Documents given to
 * the callback are valid only during the call.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_ENGINE_EXEC_H
#define ASP_ENGINE_EXEC_H

#include <bson/bson.h>

#include "error.h"

typedef struct asp_exec asp_exec;
typedef struct asp_stage asp_stage;
typedef struct asp_pipeline asp_pipeline;

typedef enum asp_output_kind
{
	ASP_OUTPUT_DOC,				/* a document that reached the end / the sink */
	ASP_OUTPUT_DLQ				/* a dead letter queue document */
} asp_output_kind;

typedef void (*asp_output_fn) (void *ud, asp_output_kind kind,
							   const uint8_t *doc, uint32_t len);

/* asp_exec_new: an executor for a compiled pipeline */
extern asp_exec *asp_exec_new(asp_pipeline *p, asp_output_fn out, void *ud);

/*
 * asp_exec_new_chain: an executor over a bare chain of stages (no $source,
 * no window): for unit tests of stages.  Documents pushed with
 * asp_exec_push_doc go straight into `first`.
 */
extern asp_exec *asp_exec_new_chain(asp_stage *first, asp_output_fn out, void *ud);

/* asp_exec_push_doc: push one document into the first stage (chain executors) */
extern bool asp_exec_push_doc(asp_exec *x, const uint8_t *doc, uint32_t len);

/*
 * asp_exec_push_source: one document from the source.  event_time_ms is
 * the source's own time for the document (Kafka message time, generator
 * time, processing time for document arrays), used when the pipeline has
 * no timeField.  source_meta is the _stream_meta.source document for it
 * (NULL: {type: <source type>}).  Returns false only on a fatal error.
 */
extern bool asp_exec_push_source(asp_exec *x, const uint8_t *doc, uint32_t len,
								 int64_t event_time_ms, const bson_t *source_meta);

/* asp_exec_push_source_documents: push every document of a $source.documents array */
extern bool asp_exec_push_source_documents(asp_exec *x);

/* asp_exec_set_now: the processing-time clock, in ms since the epoch */
extern void asp_exec_set_now(asp_exec *x, int64_t now_ms);

/* asp_exec_finish: a finite source ended: close and emit every open window */
extern bool asp_exec_finish(asp_exec *x);

/* asp_exec_tick: time passed without input (idleTimeout, processing-time windows) */
extern bool asp_exec_tick(asp_exec *x, int64_t now_ms);

/* asp_exec_set_processor_name: name recorded in DLQ documents */
extern void asp_exec_set_processor_name(asp_exec *x, const char *name);

typedef struct asp_exec_stats
{
	uint64_t	input_count;
	uint64_t	input_bytes;
	uint64_t	output_count;
	uint64_t	output_bytes;
	uint64_t	dlq_count;
	uint64_t	dlq_bytes;
	int64_t		watermark;		/* INT64_MIN when none */
	size_t		state_bytes;
} asp_exec_stats;

extern void asp_exec_get_stats(const asp_exec *x, asp_exec_stats *st);

/*
 * asp_exec_checkpoint: append the executor's state to *out (an initialised
 * document the caller owns): the statistics counters and, for a windowed
 * pipeline, the watermark and every open window with the state of its
 * first blocking stage.  Take it between calls only (not from the output
 * callback).  The source position is the caller's: it belongs with the
 * checkpoint but the executor does not know it.
 */
extern bool asp_exec_checkpoint(asp_exec *x, bson_t *out, asp_error *err);

/*
 * asp_exec_restore: load a checkpoint taken from an executor of the same
 * pipeline into a fresh executor (nothing pushed yet).  Pushing the
 * source documents after the checkpoint's position then gives the same
 * output as a run that never stopped.
 */
extern bool asp_exec_restore(asp_exec *x, const uint8_t *ckpt, uint32_t len, asp_error *err);

/*
 * asp_exec_set_state_store: keep the window state in store between
 * batches (state_store.h); NULL (the default): in the executor's memory.
 * Set it before the first push (or restore).  The store must outlive the
 * executor's use of it.
 */
struct asp_state_store;
extern void asp_exec_set_state_store(asp_exec *x, const struct asp_state_store *store);

/*
 * asp_exec_end_batch: the end of a batch of pushes: with a state store,
 * the window writes what the batch changed into it.  False (the fatal
 * error set) when the store refuses, e.g. at its memory bound.
 */
extern bool asp_exec_end_batch(asp_exec *x);

extern void asp_exec_free(asp_exec *x);

/* asp_exec_error: the fatal error after a call returned false */
extern const asp_error *asp_exec_error(const asp_exec *x);

#endif							/* ASP_ENGINE_EXEC_H */
