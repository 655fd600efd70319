/*-------------------------------------------------------------------------
 *
 * accum_internal.h
 *	  Internals shared by the accumulator files: how values are copied into
 *	  accumulator-owned memory, the value lists of collecting accumulators,
 *	  and the per-file accumulator definitions.
 *
 * Files:
 *	  accum.c		registry and compilation; $min $max $first $last
 *	  accum_num.c	$sum $avg $count $stdDevPop $stdDevSamp
 *	  accum_store.c	value encoding, acc_val, acc_list (this header)
 *	  accum_coll.c	$push $addToSet
 *	  accum_n.c		$firstN $lastN $minN $maxN $topN $bottomN $top $bottom
 *
 * Owned copies.  Input values are borrowed from the input document, which
 * is gone after the document is processed, so accumulators copy what they
 * keep.  A copy is a tiny BSON document whose elements all have the empty
 * key: {"": v} (or {"": k0, "": k1, ..., "": out} for $topN entries); this
 * covers every BSON type with one code path and is read back with
 * bson_iter.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_ENGINE_ACCUM_INTERNAL_H
#define ASP_ENGINE_ACCUM_INTERNAL_H

#include "accum.h"

/*
 * Memory limit of one collecting accumulator state, as MongoDB's
 * internalQueryMaxPushBytes / internalQueryMaxAddToSetBytes /
 * internalQueryTopNAccumulatorBytes (100 MiB each).
 */
#define ACC_MAX_BYTES (100 * 1024 * 1024)

/* ---------- value encoding (accum_store.c) ---------- */

/* acc_entry_size: bytes of the document {"": vals[0], ..., "": vals[n-1]} */
extern size_t acc_entry_size(const bson_value_t *vals, int n);
/* acc_entry_write: write that document at p; returns p + size (missing is written as null) */
extern uint8_t *acc_entry_write(uint8_t *p, const bson_value_t *vals, int n);
/* acc_entry_len: length of the entry document at p */
static inline uint32_t
acc_entry_len(const uint8_t *p)
{
	uint32_t	l;

	memcpy(&l, p, 4);
	return BSON_UINT32_FROM_LE(l);
}
/* acc_entry_get: the i-th value of the entry at p (borrowed from p); false if absent */
extern bool acc_entry_get(const uint8_t *p, int i, bson_value_t *out);
/* acc_value_to_arena: copy a value into the arena (scalars are copied as they are) */
extern void acc_value_to_arena(asp_arena *arena, const bson_value_t *in, bson_value_t *out);
/* acc_value_inline: is the value of a type kept without heap memory? */
extern bool acc_value_inline(bson_type_t t);

/* ---------- one held value (acc_val, 32 bytes) ---------- */

/*
 * acc_val: a value owned by an accumulator.  Numbers, booleans, dates,
 * object ids, timestamps, null and the like live inline; strings,
 * documents, arrays and other variable-length types live in a heap
 * document {"": v} that is reused (grown only) when the value changes.
 */
typedef struct acc_val
{
	uint8_t		type;			/* bson_type_t; BSON_TYPE_EOD: no value */
	uint8_t		pad[3];
	uint32_t	cap;			/* bytes allocated at heap */
	uint8_t    *heap;			/* {"": v} for variable-length types */
	union
	{
		int32_t		i32;
		int64_t		i64;
		double		d;
		bool		b;
		uint8_t		bytes[16];	/* decimal128, object id, timestamp */
	}			u;
} acc_val;

extern void acc_val_set(acc_val *h, const bson_value_t *v);
extern void acc_val_get(const acc_val *h, bson_value_t *out);	/* borrowed */
extern void acc_val_free(acc_val *h);
static inline bool
acc_val_has(const acc_val *h)
{
	return h->type != BSON_TYPE_EOD;
}

/* ---------- value lists (acc_list, 40 bytes) ---------- */

/*
 * acc_list: entries (BSON documents as above) back to back in one heap
 * buffer grown geometrically.  Two flavours:
 *	- sequential (idx NULL): live entries are the bytes [start, len);
 *	  append at the end, drop at the front ($push, $addToSet, $firstN,
 *	  $lastN);
 *	- indexed: idx[start .. start+count) holds the offsets of the live
 *	  entries in order, so entries can be inserted and dropped anywhere
 *	  in sort order ($minN, $maxN, $topN, $bottomN).
 * Dropped entries leave dead bytes, compacted away once they outweigh the
 * live ones.
 */
typedef struct acc_list
{
	uint8_t    *data;			/* entries */
	uint32_t   *idx;			/* indexed lists: entry offsets */
	uint32_t	len;			/* bytes used in data */
	uint32_t	cap;			/* bytes allocated for data */
	uint32_t	start;			/* sequential: offset of first live entry; indexed: first live slot */
	uint32_t	count;			/* live entries */
	uint32_t	icap;			/* slots allocated in idx */
	uint32_t	dead;			/* bytes of dropped entries inside data */
} acc_list;

/* acc_list_reserve: room for size more bytes at data + len; false if over ACC_MAX_BYTES */
extern bool acc_list_reserve(acc_list *l, size_t size);
/* acc_list_append_seq: append an entry of n values to a sequential list */
extern bool acc_list_append_seq(acc_list *l, const bson_value_t *vals, int n);
/* acc_list_append_raw_seq: append an already encoded entry to a sequential list */
extern bool acc_list_append_raw_seq(acc_list *l, const uint8_t *entry);
/* acc_list_drop_front_seq: drop the first entry of a sequential list */
extern void acc_list_drop_front_seq(acc_list *l);
/* acc_list_idx_insert: make the entry at data offset off the pos-th live entry */
extern void acc_list_idx_insert(acc_list *l, uint32_t pos, uint32_t off);
/* acc_list_idx_remove: drop the pos-th live entry of an indexed list */
extern void acc_list_idx_remove(acc_list *l, uint32_t pos);
/* acc_list_entry: the i-th live entry of an indexed list */
static inline const uint8_t *
acc_list_entry(const acc_list *l, uint32_t i)
{
	return l->data + l->idx[l->start + i];
}
extern void acc_list_free(acc_list *l);
extern size_t acc_list_mem(const acc_list *l);

/*
 * acc_list_to_array: the value element `elem` of every live entry as a
 * BSON array in the arena (reverse: last entry first).
 */
extern void acc_list_to_array(const acc_list *l, int elem, bool reverse,
							  asp_arena *arena, bson_value_t *out);

/* acc_limit_error: the runtime error for an accumulator over ACC_MAX_BYTES */
extern bool acc_limit_error(asp_eval_ctx *ctx, const char *name);

/* acc_state_error: the error for a malformed checkpoint state */
extern bool acc_state_error(asp_error *err, const char *name, const char *what);

/* ---------- definitions living in the other files ---------- */

extern const asp_accum_def acc_def_sum;
extern const asp_accum_def acc_def_avg;
extern const asp_accum_def acc_def_count;
extern const asp_accum_def acc_def_stddev_pop;
extern const asp_accum_def acc_def_stddev_samp;
extern const asp_accum_def acc_def_push;
extern const asp_accum_def acc_def_add_to_set;
extern const asp_accum_def acc_def_first_n;
extern const asp_accum_def acc_def_last_n;
extern const asp_accum_def acc_def_min_n;
extern const asp_accum_def acc_def_max_n;
extern const asp_accum_def acc_def_top_n;
extern const asp_accum_def acc_def_bottom_n;
extern const asp_accum_def acc_def_top;
extern const asp_accum_def acc_def_bottom;

/* helpers of accum.c for the compile functions of the other files */

/* acc_compile_error: "<$acc> for field '<field>': <message>" (ASP_ERR_INVALID) */
extern bool acc_compile_error(asp_expr_compiler *c, const asp_accum *a, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

/* acc_compile_unary: the operand of a single-expression accumulator */
extern bool acc_compile_unary(asp_expr_compiler *c, const bson_value_t *operand, asp_accum *a);

/* acc_eval_none: eval of an accumulator without operands (n = 0) */
extern bool acc_eval_none(const asp_accum *a, asp_eval_ctx *ctx, asp_accum_input *in);

/* acc_n_start_group: see asp_accum_start_group (accum_n.c) */
extern bool acc_n_start_group(const asp_accum *a, void *state, const bson_value_t *group_id,
							  asp_eval_ctx *ctx);
extern void acc_n_free_data(asp_accum *a);

#endif							/* ASP_ENGINE_ACCUM_INTERNAL_H */
