/*-------------------------------------------------------------------------
 *
 * accum_coll.c
 *	  The collecting accumulators $push and $addToSet.
 *
 * Both keep their values in one sequential acc_list (accum_internal.h),
 * one small BSON document per value, so adding a value is one append into
 * a buffer grown geometrically.  $addToSet also keeps an open-addressing
 * hash table of the entries' offsets, keyed by asp_value_hash (which is
 * consistent with BSON equality: 1, NumberLong(1) and 1.0 are one value).
 * Missing values are skipped by both, as in MongoDB; the output order of
 * $addToSet (unspecified by MongoDB) is first-seen order.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "accum_internal.h"

/* ---------- shared ---------- */

/* seq_next: the entry after the one at off */
static inline uint32_t
seq_next(const acc_list *l, uint32_t off)
{
	return off + acc_entry_len(l->data + off);
}

/* seq_serialize: the values of a sequential list as an array under key */
static void
seq_serialize(const acc_list *l, bson_t *out, const char *key)
{
	bson_t		arr;
	uint32_t	off;
	uint32_t	i = 0;

	bson_append_array_begin(out, key, -1, &arr);
	for (off = l->start; off < l->len; off = seq_next(l, off))
	{
		bson_value_t v;
		char		kbuf[16];
		size_t		klen;
		const char *k = asp_array_key(i++, kbuf, sizeof(kbuf), &klen);

		acc_entry_get(l->data + off, 0, &v);
		asp_bson_append_value(&arr, k, (int) klen, &v);
	}
	bson_append_array_end(out, &arr);
}

/* list_init: an empty list state */
static void
list_init(const asp_accum *a, void *state)
{
	(void) a;
	memset(state, 0, a->def->state_size);
}

/* ---------- $push ---------- */

/* push_apply: append the evaluated value; missing is skipped */
static bool
push_apply(const asp_accum *a, void *state, const asp_accum_input *in, asp_eval_ctx *ctx)
{
	if (in->v[0].value_type == BSON_TYPE_EOD)
		return true;
	if (!acc_list_append_seq(state, &in->v[0], 1))
		return acc_limit_error(ctx, a->def->name);
	return true;
}

/* push_merge: append the later values */
static bool
push_merge(const asp_accum *a, void *dst, const void *src, asp_error *err)
{
	const acc_list *s = src;
	uint32_t	off;

	for (off = s->start; off < s->len; off = seq_next(s, off))
	{
		if (!acc_list_append_raw_seq(dst, s->data + off))
			return asp_error_set(err, ASP_ERR_LIMIT,
								 "%s used too much memory and cannot spill to disk; memory limit: %d bytes",
								 a->def->name, ACC_MAX_BYTES);
	}
	return true;
}

/* push_finalize: the values as an array */
static bool
push_finalize(const asp_accum *a, const void *state, asp_eval_ctx *ctx, bson_value_t *out)
{
	(void) a;
	acc_list_to_array(state, 0, false, ctx->arena, out);
	return true;
}

/* push_destroy: free the buffer */
static void
push_destroy(const asp_accum *a, void *state)
{
	(void) a;
	acc_list_free(state);
}

/* push_mem: bytes of the buffer */
static size_t
push_mem(const asp_accum *a, const void *state)
{
	(void) a;
	return acc_list_mem(state);
}

/* push_serialize: the values as an array */
static bool
push_serialize(const asp_accum *a, const void *state, bson_t *out, const char *key)
{
	(void) a;
	seq_serialize(state, out, key);
	return true;
}

/* push_deserialize: the reverse of push_serialize */
static bool
push_deserialize(const asp_accum *a, void *state, const bson_value_t *v, asp_error *err)
{
	bson_iter_t it;

	if (v->value_type != BSON_TYPE_ARRAY ||
		!bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len))
		return acc_state_error(err, a->def->name, "expected an array");
	while (bson_iter_next(&it))
		if (!acc_list_append_seq(state, bson_iter_value(&it), 1))
			return acc_state_error(err, a->def->name, "too large");
	return true;
}

const asp_accum_def acc_def_push = {
	"$push", sizeof(acc_list), true, acc_compile_unary, list_init, asp_accum_eval_unary,
	push_apply, asp_accum_add, push_merge, push_finalize, push_destroy, push_mem,
	push_serialize, push_deserialize
};

/* ---------- $addToSet ---------- */

typedef struct set_state
{
	acc_list	list;			/* the distinct values, first-seen order */
	uint64_t   *table;			/* slots: hash << 32 | (offset + 1); 0 is empty */
	uint32_t	tcap;			/* slots (a power of two) */
	uint32_t	pad;
} set_state;

_Static_assert(sizeof(set_state) == 56, "set_state must stay 56 bytes");

/* set_find: is a value equal to v (with hash h) in the set? */
static bool
set_find(const set_state *s, const bson_value_t *v, uint32_t h)
{
	uint32_t	mask,
				i;

	if (s->tcap == 0)
		return false;
	mask = s->tcap - 1;
	for (i = h & mask; s->table[i] != 0; i = (i + 1) & mask)
	{
		uint64_t	slot = s->table[i];

		if ((uint32_t) (slot >> 32) == h)
		{
			bson_value_t ev;

			acc_entry_get(s->list.data + (uint32_t) slot - 1, 0, &ev);
			if (asp_value_equal(&ev, v))
				return true;
		}
	}
	return false;
}

/* set_slot_put: place a slot in the table (no duplicate check) */
static void
set_slot_put(uint64_t *table, uint32_t tcap, uint64_t slot)
{
	uint32_t	mask = tcap - 1;
	uint32_t	i;

	for (i = (uint32_t) (slot >> 32) & mask; table[i] != 0; i = (i + 1) & mask)
		;
	table[i] = slot;
}

/* set_grow: keep the table at most half full */
static void
set_grow(set_state *s)
{
	uint32_t	ncap;
	uint64_t   *nt;
	uint32_t	i;

	if ((uint64_t) (s->list.count + 1) * 2 <= s->tcap)
		return;
	ncap = s->tcap ? s->tcap * 2 : 16;
	nt = calloc(ncap, sizeof(uint64_t));
	if (nt == NULL)
		abort();
	for (i = 0; i < s->tcap; i++)
		if (s->table[i] != 0)
			set_slot_put(nt, ncap, s->table[i]);
	free(s->table);
	s->table = nt;
	s->tcap = ncap;
}

/* set_insert: add v unless present; false only over the memory limit */
static bool
set_insert(set_state *s, const bson_value_t *v, const uint8_t *raw)
{
	uint32_t	h = (uint32_t) asp_value_hash(v, 0);
	uint32_t	off = s->list.len;
	bool		ok;

	if (set_find(s, v, h))
		return true;
	set_grow(s);
	ok = raw ? acc_list_append_raw_seq(&s->list, raw) : acc_list_append_seq(&s->list, v, 1);
	if (!ok)
		return false;
	set_slot_put(s->table, s->tcap, ((uint64_t) h << 32) | (uint64_t) (off + 1));
	return true;
}

/* set_apply: add the evaluated value unless present; missing is skipped */
static bool
set_apply(const asp_accum *a, void *state, const asp_accum_input *in, asp_eval_ctx *ctx)
{
	if (in->v[0].value_type == BSON_TYPE_EOD)
		return true;
	if (!set_insert(state, &in->v[0], NULL))
		return acc_limit_error(ctx, a->def->name);
	return true;
}

/* set_merge: add the later values that are not present yet */
static bool
set_merge(const asp_accum *a, void *dst, const void *src, asp_error *err)
{
	const set_state *s = src;
	uint32_t	off;

	for (off = s->list.start; off < s->list.len; off = seq_next(&s->list, off))
	{
		bson_value_t v;

		acc_entry_get(s->list.data + off, 0, &v);
		if (!set_insert(dst, &v, s->list.data + off))
			return asp_error_set(err, ASP_ERR_LIMIT,
								 "%s used too much memory and cannot spill to disk; memory limit: %d bytes",
								 a->def->name, ACC_MAX_BYTES);
	}
	return true;
}

/* set_finalize: the distinct values in first-seen order */
static bool
set_finalize(const asp_accum *a, const void *state, asp_eval_ctx *ctx, bson_value_t *out)
{
	(void) a;
	acc_list_to_array(&((const set_state *) state)->list, 0, false, ctx->arena, out);
	return true;
}

/* set_destroy: free buffer and hash table */
static void
set_destroy(const asp_accum *a, void *state)
{
	set_state  *s = state;

	(void) a;
	acc_list_free(&s->list);
	free(s->table);
	s->table = NULL;
	s->tcap = 0;
}

/* set_mem: bytes of buffer and hash table */
static size_t
set_mem(const asp_accum *a, const void *state)
{
	const set_state *s = state;

	(void) a;
	return acc_list_mem(&s->list) + (size_t) s->tcap * sizeof(uint64_t);
}

/* set_serialize: the distinct values as an array */
static bool
set_serialize(const asp_accum *a, const void *state, bson_t *out, const char *key)
{
	(void) a;
	seq_serialize(&((const set_state *) state)->list, out, key);
	return true;
}

/* set_deserialize: the reverse of set_serialize */
static bool
set_deserialize(const asp_accum *a, void *state, const bson_value_t *v, asp_error *err)
{
	bson_iter_t it;

	if (v->value_type != BSON_TYPE_ARRAY ||
		!bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len))
		return acc_state_error(err, a->def->name, "expected an array");
	while (bson_iter_next(&it))
		if (!set_insert(state, bson_iter_value(&it), NULL))
			return acc_state_error(err, a->def->name, "too large");
	return true;
}

const asp_accum_def acc_def_add_to_set = {
	"$addToSet", sizeof(set_state), true, acc_compile_unary, list_init, asp_accum_eval_unary,
	set_apply, asp_accum_add, set_merge, set_finalize, set_destroy, set_mem, set_serialize,
	set_deserialize
};
