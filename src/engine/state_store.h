/*-------------------------------------------------------------------------
 *
 * state_store.h
 *	  Where a window keeps its state between batches: an optional store
 *	  outside the executor (the runtime's is in PostgreSQL shared memory).
 *
 * Without a store (asp.process, the unit tests, the benchmark) every open
 * window holds the whole state of its first blocking stage in the
 * executor's memory.  With one (asp_exec_set_state_store), the executor
 * aggregates a batch locally as before; at the end of the batch
 * (asp_exec_end_batch) the window writes what the batch changed into the
 * store and drops its local states, keeping only its bookkeeping (the
 * open windows and the watermark).  So the store is touched once per
 * (window, group) per batch, never per document.  Results are identical
 * to those without a store because nothing is merged approximately: the
 * first time a batch touches a stored group, the group's states are
 * loaded from the store and the batch continues them, as a run resumed
 * from a checkpoint does.
 *
 * Entries are (window start, 64-bit key) -> an opaque BSON value, by
 * blocking stage (asp_block_store_mode_of):
 *	ASP_STORE_GROUPS  $group: key = the group key's hash; value
 *		{g: [{k: <group key>, s: <first-seen rank>, a: <states>}, ...]}
 *		(several groups only when their hashes collide)
 *	ASP_STORE_APPEND  $sort and a window without a blocking stage: key =
 *		the batch's rank in the window; value {s: <rank>, v: [documents]},
 *		the documents that batch added
 *	ASP_STORE_WHOLE   $limit, $count: key 0; value {v: <the state>}, the
 *		whole (small) state, loaded when a batch first touches the window
 * When a window closes, its entries are taken from the store, the state is
 * rebuilt in first-seen order, and it emits as without a store.  A
 * checkpoint rebuilds each window's state the same way (without taking).
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_ENGINE_STATE_STORE_H
#define ASP_ENGINE_STATE_STORE_H

#include <bson/bson.h>

#include "error.h"

typedef struct asp_stage asp_stage;
typedef struct asp_exec asp_exec;

/* asp_state_scan_fn: one entry of a window, valid during the call */
typedef void (*asp_state_scan_fn) (void *arg, uint64_t key, const uint8_t *val, uint32_t len);

/*
 * asp_state_store: the store's operations; ud is passed to each.  One
 * store serves one executor (one processor), single-threaded.
 */
typedef struct asp_state_store
{
	void	   *ud;
	/* get: the value of (wstart, key) if stored; *val valid until the next call */
	bool		(*get) (void *ud, int64_t wstart, uint64_t key, const uint8_t **val,
						uint32_t *len);
	/*
	 * put: insert or replace (wstart, key).  False with err set when it
	 * cannot (the store's memory bound): the executor then stops with err.
	 */
	bool		(*put) (void *ud, int64_t wstart, uint64_t key, const uint8_t *val,
						uint32_t len, asp_error *err);
	/* scan: fn for each entry of window wstart (any order); take: then remove them */
	void		(*scan) (void *ud, int64_t wstart, bool take, asp_state_scan_fn fn, void *arg);
	/* bytes: the memory the store holds for this executor */
	size_t		(*bytes) (void *ud);
} asp_state_store;

/* how a window keeps the states of its first blocking stage in a store */
typedef enum asp_block_store_mode
{
	ASP_STORE_GROUPS,
	ASP_STORE_APPEND,
	ASP_STORE_WHOLE
} asp_block_store_mode;

/* rank of a group the store does not have yet */
#define ASP_GROUP_SEQ_NONE UINT64_MAX

/*
 * asp_group_load_fn: the stored states of a group: 1 (*stored_key, the
 * key as first seen, *accs, the {"0": <state>, ...} document, both valid
 * until the next store call, and *seq set), 0 when not stored, -1 on
 * error (err set)
 */
typedef int (*asp_group_load_fn) (void *arg, const bson_value_t *key, uint64_t hash,
								  bson_value_t *stored_key, bson_value_t *accs,
								  uint64_t *seq, asp_error *err);

/* asp_group_export_fn: one group of a $group state (see asp_group_export) */
typedef bool (*asp_group_export_fn) (void *arg, const bson_value_t *key, uint64_t hash,
									 uint64_t seq, const bson_t *accs, asp_error *err);

/* stage_group.c */
extern asp_block_store_mode asp_block_store_mode_of(const asp_stage *s);
extern void asp_group_set_loader(asp_stage *s, void *state, asp_group_load_fn fn, void *arg);
extern bool asp_group_export(asp_stage *s, void *state, asp_group_export_fn fn, void *arg,
							 asp_error *err);

/* window.c */
extern void asp_window_set_store(asp_stage *window, const asp_state_store *store);
extern bool asp_window_end_batch(asp_stage *window, asp_exec *x);

#endif							/* ASP_ENGINE_STATE_STORE_H */
