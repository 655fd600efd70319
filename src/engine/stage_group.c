/*-------------------------------------------------------------------------
 *
 * stage_group.c
 *	  The blocking stages of window pipelines: $group, $sort, $limit and
 *	  $count.
 *
 * $group keeps, per window, a hash table from group key to the inline
 * states of its accumulators.  Entries live in chunks in insertion order
 * (results are emitted in the order groups were first seen) and the table
 * holds pointers to them; a document costs one key evaluation, one eval
 * per accumulator, one hash probe and one apply per accumulator, with no
 * allocation unless a new group appears or an accumulator collects values.
 *
 * A document is taken atomically: the key and every accumulator's operands
 * are evaluated first (into a scratch array of the stage), and only when
 * all succeed is the group looked up or created and the values applied.
 * A document that fails goes to the dead letter queue without being
 * counted by any accumulator and without creating a group; a new group
 * whose key an accumulator refuses (n of $topN... not a positive integer)
 * is not created either.
 *
 *-------------------------------------------------------------------------
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* qsort_r */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accum.h"
#include "docbuf.h"
#include "exec.h"
#include "pipeline.h"
#include "sort.h"
#include "stage.h"
#include "state_store.h"

/* ---------- $group ---------- */

static bool ckpt_error(asp_error *err, const char *what, const char *msg);

typedef struct group_spec
{
	asp_expr   *id;
	int			nacc;
	asp_accum  *acc;
	size_t	   *state_off;		/* offset of each accumulator state in an entry */
	size_t		entry_size;
	asp_accum_input *in;		/* scratch: each accumulator's operands for the current document */
	uint8_t    *eval_mode;		/* how each accumulator's operands are evaluated: GROUP_EVAL_* */
} group_spec;

/*
 * The evaluation of an accumulator's operands: its def->eval, or, for the
 * unary accumulators, their operand expression called directly (one call
 * less per document), or nothing at all for a constant operand ({$sum: 1}),
 * whose value spec->in holds from compile time on.
 */
#define GROUP_EVAL_DEF		0
#define GROUP_EVAL_EXPR		1
#define GROUP_EVAL_CONST	2

typedef struct group_entry
{
	uint64_t	hash;
	uint64_t	seq;			/* first-seen rank in a state store, or ASP_GROUP_SEQ_NONE */
	bson_value_t key;			/* owned copy (bson_value_copy) */
	/* accumulator states follow at group_spec.state_off[i] */
} group_entry;

#define GROUP_ENTRY_HDR ((sizeof(group_entry) + 15) & ~(size_t) 15)
#define GROUP_CHUNK_ENTRIES 64

typedef struct group_chunk
{
	struct group_chunk *next;
	int			used;
	/* entries follow */
} group_chunk;

#define GROUP_CHUNK_HDR ((sizeof(group_chunk) + 15) & ~(size_t) 15)

typedef struct group_state
{
	group_entry **slots;		/* open addressing, power of two */
	uint32_t	cap;
	uint32_t	count;
	group_chunk *first;
	group_chunk *last;
	size_t		key_bytes;		/* heap bytes of non-scalar keys */
	asp_group_load_fn load;		/* window state store: states of groups seen before */
	void	   *load_arg;
} group_state;

static bool
key_is_scalar(const bson_value_t *v)
{
	switch (v->value_type)
	{
		case BSON_TYPE_UTF8:
		case BSON_TYPE_DOCUMENT:
		case BSON_TYPE_ARRAY:
		case BSON_TYPE_BINARY:
		case BSON_TYPE_REGEX:
		case BSON_TYPE_CODE:
		case BSON_TYPE_CODEWSCOPE:
		case BSON_TYPE_SYMBOL:
		case BSON_TYPE_DBPOINTER:
			return false;
		default:
			return true;
	}
}

static void *
group_state_new(asp_stage *s)
{
	group_state *g = calloc(1, sizeof(group_state));

	(void) s;
	if (g == NULL)
		abort();
	return g;
}

static group_entry *
group_alloc_entry(group_state *g, const group_spec *spec)
{
	group_chunk *c = g->last;

	if (c == NULL || c->used == GROUP_CHUNK_ENTRIES)
	{
		c = malloc(GROUP_CHUNK_HDR + GROUP_CHUNK_ENTRIES * spec->entry_size);
		if (c == NULL)
			abort();
		c->next = NULL;
		c->used = 0;
		if (g->last)
			g->last->next = c;
		else
			g->first = c;
		g->last = c;
	}
	{
		group_entry *e = (group_entry *) ((char *) c + GROUP_CHUNK_HDR + (size_t) c->used++ * spec->entry_size);

		e->seq = ASP_GROUP_SEQ_NONE;
		return e;
	}
}

static void
group_grow(group_state *g)
{
	uint32_t	ncap = g->cap ? g->cap * 2 : 16;
	group_entry **ns = calloc(ncap, sizeof(group_entry *));
	uint32_t	i;

	if (ns == NULL)
		abort();
	for (i = 0; i < g->cap; i++)
	{
		group_entry *e = g->slots[i];

		if (e)
		{
			uint32_t	j = (uint32_t) e->hash & (ncap - 1);

			while (ns[j])
				j = (j + 1) & (ncap - 1);
			ns[j] = e;
		}
	}
	free(g->slots);
	g->slots = ns;
	g->cap = ncap;
}

#define GROUP_HASH_SEED 0x2545F4914F6CDD1DULL

/* group_hash: the hash of a group key (integers without the general hash's dispatch) */
static inline uint64_t
group_hash(const bson_value_t *key)
{
	if (key->value_type == BSON_TYPE_INT32)
		return asp_value_hash_int(key->value.v_int32, GROUP_HASH_SEED);
	return asp_value_hash(key, GROUP_HASH_SEED);
}

/* group_key_equal: keys equal as MongoDB compares them (int32 pairs directly) */
static inline bool
group_key_equal(const bson_value_t *a, const bson_value_t *b)
{
	if (a->value_type == BSON_TYPE_INT32 && b->value_type == BSON_TYPE_INT32)
		return a->value.v_int32 == b->value.v_int32;
	return asp_value_compare(a, b) == 0;
}

/*
 * group_lookup: the entry for key (hash h), or NULL with *slot set to the
 * free slot where the key belongs (valid until the table changes).
 */
static group_entry *
group_lookup(group_state *g, const bson_value_t *key, uint64_t h, uint32_t *slot)
{
	uint32_t	j;
	group_entry *e;

	if (g->count * 2 >= g->cap)
		group_grow(g);
	j = (uint32_t) h & (g->cap - 1);
	while ((e = g->slots[j]) != NULL)
	{
		if (e->hash == h && group_key_equal(&e->key, key))
			return e;
		j = (j + 1) & (g->cap - 1);
	}
	*slot = j;
	return NULL;
}

/* group_entry_states_destroy: destroy every accumulator state of an entry */
static void
group_entry_states_destroy(const group_spec *spec, group_entry *e)
{
	int			i;

	for (i = 0; i < spec->nacc; i++)
		if (spec->acc[i].def->destroy)
			spec->acc[i].def->destroy(&spec->acc[i], (char *) e + spec->state_off[i]);
}

/*
 * group_entry_deserialize: the accumulator states of entry e (initialised)
 * from accs, the {"0": <state>, ...} document group_serialize writes.
 */
static bool
group_entry_deserialize(const group_spec *spec, group_entry *e, const bson_value_t *accs,
						asp_error *err)
{
	int			i;

	if (accs->value_type != BSON_TYPE_DOCUMENT)
		return ckpt_error(err, "$group", "a group needs 'a'");
	for (i = 0; i < spec->nacc; i++)
	{
		const asp_accum *a = &spec->acc[i];
		char		abuf[24];
		const char *ak;
		bson_value_t sv;

		bson_uint32_to_string((uint32_t) i, &ak, abuf, sizeof(abuf));
		if (!asp_doc_get(accs->value.v_doc.data, accs->value.v_doc.data_len, ak,
						 (uint32_t) strlen(ak), &sv) ||
			a->def->deserialize == NULL || !a->def->deserialize(a, (char *) e + spec->state_off[i], &sv, err))
		{
			if (err->code == ASP_OK)
				ckpt_error(err, "$group", "an accumulator state is missing");
			return false;
		}
	}
	return true;
}

/*
 * group_load: for a state with a loader (a window whose earlier batches
 * went to a state store), fill the new entry e of key with the group's
 * stored states, if the store has the group; *stored_key is then the key
 * as the group first saw it (1 and 1.0 are one group: the first one names
 * it).  1 when loaded, 0 when the store does not have it, -1 on an error
 * (ctx->err set).
 */
static int
group_load(group_state *g, const group_spec *spec, group_entry *e, const bson_value_t *key,
		   uint64_t h, asp_eval_ctx *ctx, bson_value_t *stored_key)
{
	bson_value_t accs;
	uint64_t	seq;
	int			r = g->load(g->load_arg, key, h, stored_key, &accs, &seq, ctx->err);

	if (r <= 0)
		return r;
	if (!group_entry_deserialize(spec, e, &accs, ctx->err))
		return -1;
	e->seq = seq;
	return 1;
}

/*
 * group_create: a new group for key in the free slot that group_lookup
 * found: states initialised and given the key (asp_accum_start_group),
 * then the key copied and the entry put in the table.  If an accumulator
 * refuses the key, the entry is given back and NULL returned (ctx->err
 * set): nothing of the group remains.
 */
static group_entry *
group_create(group_state *g, const group_spec *spec, const bson_value_t *key, uint64_t h,
			 uint32_t slot, asp_eval_ctx *ctx)
{
	group_entry *e = group_alloc_entry(g, spec);
	int			i;
	bson_value_t stored_key;

	for (i = 0; i < spec->nacc; i++)
		spec->acc[i].def->init(&spec->acc[i], (char *) e + spec->state_off[i]);
	if (g->load != NULL)
	{
		int			r = group_load(g, spec, e, key, h, ctx, &stored_key);

		if (r > 0)
		{
			key = &stored_key;
			goto keyed;
		}
		if (r < 0)
		{
			group_entry_states_destroy(spec, e);
			g->last->used--;
			return NULL;
		}
	}
	for (i = 0; i < spec->nacc; i++)
	{
		if (!asp_accum_start_group(&spec->acc[i], (char *) e + spec->state_off[i], key, ctx))
		{
			group_entry_states_destroy(spec, e);
			g->last->used--;	/* e is the last entry of the last chunk */
			return NULL;
		}
	}
keyed:
	e->hash = h;
	if (key_is_scalar(key))
		e->key = *key;
	else
	{
		bson_value_copy(key, &e->key);
		g->key_bytes += key->value_type == BSON_TYPE_UTF8 ? key->value.v_utf8.len + 1 :
			key->value.v_doc.data_len;
	}
	g->slots[slot] = e;
	g->count++;
	return e;
}

/*
 * group_eval: the evaluation phase of a document: its group key (null for
 * missing and undefined) into *key and every accumulator's operands into
 * spec->in.  False with ctx->err set if any of them fails; no state is
 * touched either way.
 */
static inline bool
group_eval(group_spec *spec, asp_eval_ctx *ctx, const uint8_t *doc, uint32_t len,
		   bson_value_t *key)
{
	int			i;
	bool		plan_ok;

	asp_eval_ctx_set_root(ctx, doc, len);
	plan_ok = asp_eval_ctx_plan_ok(ctx, doc, len);
	if (!asp_expr_eval_planned(spec->id, ctx, plan_ok, key))
		return false;
	if (key->value_type == BSON_TYPE_EOD || key->value_type == BSON_TYPE_UNDEFINED)
		asp_value_set_null(key);
	for (i = 0; i < spec->nacc; i++)
	{
		const asp_accum *a = &spec->acc[i];

		switch (spec->eval_mode[i])
		{
			case GROUP_EVAL_EXPR:
				if (!asp_expr_eval_planned(a->arg, ctx, plan_ok, &spec->in[i].v[0]))
					return false;
				break;
			case GROUP_EVAL_CONST:
				break;
			default:
				if (!a->def->eval(a, ctx, &spec->in[i]))
					return false;
				break;
		}
	}
	return true;
}

/*
 * group_fold: the apply phase of an evaluated document for one state: find
 * or create its group and apply every accumulator.  False (ctx->err) if
 * the group cannot be created (nothing is left of it) or an accumulator
 * is over its memory limit (the accumulators before it keep the document).
 */
static inline bool
group_fold(group_state *g, const group_spec *spec, const bson_value_t *key, uint64_t h,
		   asp_eval_ctx *ctx)
{
	uint32_t	slot = 0;
	group_entry *e;
	int			i;

	e = group_lookup(g, key, h, &slot);
	if (e == NULL && (e = group_create(g, spec, key, h, slot, ctx)) == NULL)
		return false;
	for (i = 0; i < spec->nacc; i++)
		if (!spec->acc[i].def->apply(&spec->acc[i], (char *) e + spec->state_off[i],
									 &spec->in[i], ctx))
			return false;
	return true;
}

/*
 * group_add_multi: add a document to several states (the windows of a
 * hopping window that it falls in), evaluating it once.  Each state takes
 * it or not as group_add would; a document that fails is dead-lettered
 * once.
 */
static bool
group_add_multi(asp_stage *s, void **states, int nstates, asp_exec *x, const uint8_t *doc,
				uint32_t len)
{
	group_spec *spec = s->data;
	asp_eval_ctx *ctx = asp_exec_ctx(x);
	bson_value_t key;
	uint64_t	h;
	bool		dead = false;
	int			k;

	if (nstates <= 0)
		return true;
	if (!group_eval(spec, ctx, doc, len, &key))
	{
		asp_exec_dlq(x, s, doc, len, ctx->err->message);
		return true;
	}
	h = group_hash(&key);
	for (k = 0; k < nstates; k++)
	{
		if (!group_fold(states[k], spec, &key, h, ctx) && !dead)
		{
			asp_exec_dlq(x, s, doc, len, ctx->err->message);
			dead = true;
		}
	}
	return true;
}

/* group_add: evaluate a document, then fold it into its group of state */
static bool
group_add(asp_stage *s, void *state, asp_exec *x, const uint8_t *doc, uint32_t len)
{
	group_spec *spec = s->data;
	asp_eval_ctx *ctx = asp_exec_ctx(x);
	bson_value_t key;

	if (!group_eval(spec, ctx, doc, len, &key) ||
		!group_fold(state, spec, &key, group_hash(&key), ctx))
		asp_exec_dlq(x, s, doc, len, ctx->err->message);
	return true;
}

static bool
group_emit(asp_stage *s, void *state, asp_exec *x)
{
	group_spec *spec = s->data;
	group_state *g = state;
	asp_eval_ctx *ctx = asp_exec_ctx(x);
	group_chunk *c;

	for (c = g->first; c; c = c->next)
	{
		int			k;

		for (k = 0; k < c->used; k++)
		{
			group_entry *e = (group_entry *) ((char *) c + GROUP_CHUNK_HDR + (size_t) k * spec->entry_size);
			int			i;

			asp_exec_reset_arena(x);
			bson_reinit(s->out);
			asp_bson_append_value(s->out, "_id", 3, &e->key);
			for (i = 0; i < spec->nacc; i++)
			{
				bson_value_t v;

				if (!spec->acc[i].def->finalize(&spec->acc[i], (char *) e + spec->state_off[i], ctx, &v))
				{
					/* a result that cannot be computed: report the group */
					asp_exec_dlq(x, s, NULL, 0, ctx->err->message);
					goto next_entry;
				}
				asp_bson_append_value(s->out, spec->acc[i].field, -1, &v);
			}
			if (s->out->len > ASP_MAX_BSON_SIZE)
			{
				char		reason[160];

				snprintf(reason, sizeof(reason),
						 "the $group result is %u bytes, over the maximum document size of %d bytes",
						 s->out->len, ASP_MAX_BSON_SIZE);
				asp_exec_dlq(x, s, NULL, 0, reason);
				continue;
			}
			if (!asp_stage_emit(s, x, bson_get_data(s->out), s->out->len))
				return false;
	next_entry:
			;
		}
	}
	return true;
}

static void
group_state_free(asp_stage *s, void *state)
{
	group_spec *spec = s->data;
	group_state *g = state;
	group_chunk *c = g->first;

	while (c)
	{
		group_chunk *n = c->next;
		int			k,
					i;

		for (k = 0; k < c->used; k++)
		{
			group_entry *e = (group_entry *) ((char *) c + GROUP_CHUNK_HDR + (size_t) k * spec->entry_size);

			if (!key_is_scalar(&e->key))
				bson_value_destroy(&e->key);
			for (i = 0; i < spec->nacc; i++)
				if (spec->acc[i].def->destroy)
					spec->acc[i].def->destroy(&spec->acc[i], (char *) e + spec->state_off[i]);
		}
		free(c);
		c = n;
	}
	free(g->slots);
	free(g);
}

/* group_state_bytes: table, entries, keys and accumulator heap memory */
static size_t
group_state_bytes(asp_stage *s, void *state)
{
	group_spec *spec = s->data;
	group_state *g = state;
	size_t		total = sizeof(group_state) + (size_t) g->cap * sizeof(group_entry *) + g->key_bytes;
	group_chunk *c;

	for (c = g->first; c; c = c->next)
	{
		int			k,
					i;

		total += GROUP_CHUNK_HDR + (size_t) c->used * spec->entry_size;
		for (k = 0; k < c->used; k++)
		{
			group_entry *e = (group_entry *) ((char *) c + GROUP_CHUNK_HDR + (size_t) k * spec->entry_size);

			for (i = 0; i < spec->nacc; i++)
				if (spec->acc[i].def->mem_size)
					total += spec->acc[i].def->mem_size(&spec->acc[i], (char *) e + spec->state_off[i]);
		}
	}
	return total;
}

static void
group_destroy(asp_stage *s)
{
	group_spec *spec = s->data;
	int			i;

	if (spec == NULL)
		return;
	asp_expr_free(spec->id);
	for (i = 0; i < spec->nacc; i++)
		asp_accum_destroy_compiled(&spec->acc[i]);
	free(spec->acc);
	free(spec->state_off);
	free(spec->in);
	free(spec->eval_mode);
	free(spec);
}

static const asp_block_ops group_bops = {
	group_state_new, group_add, group_emit, group_state_free, group_state_bytes,
	group_add_multi
};
static const asp_stage_ops group_ops = {
	asp_block_push, asp_block_flush, group_destroy, asp_block_reset
};

/* asp_group_exprs: the key and operand expressions of a $group */
int
asp_group_exprs(asp_stage *s, asp_expr **out, int max, bool *plain)
{
	group_spec *g;
	int			n = 0,
				need = 1,
				i;

	if (s == NULL || s->ops != &group_ops)
		return -1;
	g = s->data;
	*plain = true;
	if (n < max)
		out[n++] = g->id;
	for (i = 0; i < g->nacc; i++)
	{
		if (g->eval_mode[i] == GROUP_EVAL_DEF)
			*plain = false;
		if (g->acc[i].arg)
		{
			need++;
			if (n < max)
				out[n++] = g->acc[i].arg;
		}
		if (g->acc[i].n)
		{
			*plain = false;
			need++;
			if (n < max)
				out[n++] = g->acc[i].n;
		}
	}
	if (n < need)
		*plain = false;			/* some were left out */
	return n;
}

/* asp_stage_compile_group: {_id: <expr>, <field>: {<accumulator>: <expr>}, ...} */
asp_stage *
asp_stage_compile_group(const bson_value_t *spec, asp_stage_compile_ctx *cc)
{
	group_spec *g;
	asp_stage  *s;
	bson_iter_t it;
	int			n = 0;
	bool		have_id = false;
	size_t		off;

	if (spec->value_type != BSON_TYPE_DOCUMENT)
	{
		asp_error_set(cc->err, ASP_ERR_INVALID, "$group must be an object with an '_id' field");
		return NULL;
	}
	bson_iter_init_from_data(&it, spec->value.v_doc.data, spec->value.v_doc.data_len);
	while (bson_iter_next(&it))
		n++;
	g = calloc(1, sizeof(group_spec));
	if (g == NULL)
		abort();
	g->acc = calloc(n > 0 ? n : 1, sizeof(asp_accum));
	g->state_off = calloc(n > 0 ? n : 1, sizeof(size_t));
	g->in = calloc(n > 0 ? n : 1, sizeof(asp_accum_input));
	g->eval_mode = calloc(n > 0 ? n : 1, sizeof(uint8_t));
	if (g->acc == NULL || g->state_off == NULL || g->in == NULL || g->eval_mode == NULL)
		abort();
	s = asp_stage_new(&group_ops, "$group", cc);
	s->data = g;
	s->bops = &group_bops;

	bson_iter_init_from_data(&it, spec->value.v_doc.data, spec->value.v_doc.data_len);
	while (bson_iter_next(&it))
	{
		const char *k = bson_iter_key(&it);
		asp_expr_compiler c;

		asp_expr_compiler_init(&c, cc->err, k);
		c.allow_window_meta = cc->in_window;
		if (strcmp(k, "_id") == 0)
		{
			g->id = asp_expr_compile_iter(&c, &it);
			if (g->id == NULL)
				goto fail;
			s->reads_window_bounds |= c.used_window_meta;
			have_id = true;
			continue;
		}
		if (k[0] == '$' || strchr(k, '.') != NULL || k[0] == '\0')
		{
			asp_error_set(cc->err, ASP_ERR_INVALID,
						  "$group output field name '%s' must not be empty, start with '$' or contain '.'", k);
			asp_error_where(cc->err, -1, NULL, k);
			goto fail;
		}
		if (!asp_accum_compile(&c, k, bson_iter_value(&it), &g->acc[g->nacc]))
		{
			asp_error_where(cc->err, -1, NULL, k);
			goto fail;
		}
		s->reads_window_bounds |= c.used_window_meta;
		g->nacc++;
	}
	if (!have_id)
	{
		asp_error_set(cc->err, ASP_ERR_INVALID, "a $group specification must include an '_id'");
		asp_error_hint(cc->err, "Use \"_id\": null to aggregate all documents of the window into one group.");
		goto fail;
	}
	off = GROUP_ENTRY_HDR;
	{
		int			i;

		for (i = 0; i < g->nacc; i++)
		{
			const asp_accum *a = &g->acc[i];

			g->state_off[i] = off;
			off += (a->def->state_size + 7) & ~(size_t) 7;
			if (a->def->eval == asp_accum_eval_unary && a->arg != NULL)
			{
				g->in[i].n = 1;
				if (a->arg->is_const)
				{
					g->eval_mode[i] = GROUP_EVAL_CONST;
					g->in[i].v[0] = a->arg->constant;
				}
				else
					g->eval_mode[i] = GROUP_EVAL_EXPR;
			}
		}
	}
	g->entry_size = (off + 7) & ~(size_t) 7;
	return s;

fail:
	asp_stage_free(s);
	return NULL;
}

/* ---------- $limit ---------- */

typedef struct limit_state
{
	int64_t		n;
	asp_docbuf	docs;
} limit_state;

static void *
limit_state_new(asp_stage *s)
{
	(void) s;
	return calloc(1, sizeof(limit_state));
}

static bool
limit_add(asp_stage *s, void *state, asp_exec *x, const uint8_t *doc, uint32_t len)
{
	limit_state *l = state;
	int64_t		max = *(int64_t *) s->data;

	(void) x;
	if (l->n >= max)
		return true;
	asp_docbuf_append(&l->docs, doc, len);
	l->n++;
	return true;
}

static bool
limit_emit(asp_stage *s, void *state, asp_exec *x)
{
	return asp_docbuf_emit(&((limit_state *) state)->docs, NULL, s, x);
}

static void
limit_state_free(asp_stage *s, void *state)
{
	(void) s;
	asp_docbuf_free(&((limit_state *) state)->docs);
	free(state);
}

static size_t
limit_state_bytes(asp_stage *s, void *state)
{
	(void) s;
	return sizeof(limit_state) + asp_docbuf_bytes(&((limit_state *) state)->docs);
}

static void
free_data(asp_stage *s)
{
	free(s->data);
}

static const asp_block_ops limit_bops = {
	limit_state_new, limit_add, limit_emit, limit_state_free, limit_state_bytes, NULL
};
static const asp_stage_ops limit_ops = {
	asp_block_push, asp_block_flush, free_data, asp_block_reset
};

/* asp_stage_compile_limit: {$limit: <positive integer>} */
asp_stage *
asp_stage_compile_limit(const bson_value_t *spec, asp_stage_compile_ctx *cc)
{
	int64_t		n;
	asp_stage  *s;

	if (!asp_value_is_number(spec) || !asp_value_as_int64_exact(spec, &n) || n <= 0)
	{
		asp_error_set(cc->err, ASP_ERR_INVALID, "$limit must be a positive integer");
		return NULL;
	}
	s = asp_stage_new(&limit_ops, "$limit", cc);
	s->data = malloc(sizeof(int64_t));
	*(int64_t *) s->data = n;
	s->bops = &limit_bops;
	return s;
}

/* ---------- $count ---------- */

static void *
count_state_new(asp_stage *s)
{
	(void) s;
	return calloc(1, sizeof(int64_t));
}

static bool
count_add(asp_stage *s, void *state, asp_exec *x, const uint8_t *doc, uint32_t len)
{
	(void) s;
	(void) x;
	(void) doc;
	(void) len;
	(*(int64_t *) state)++;
	return true;
}

static bool
count_emit(asp_stage *s, void *state, asp_exec *x)
{
	int64_t		n = *(int64_t *) state;

	if (n == 0)
		return true;			/* $count of nothing emits nothing */
	bson_reinit(s->out);
	if (n <= INT32_MAX)
		bson_append_int32(s->out, s->data, -1, (int32_t) n);
	else
		bson_append_int64(s->out, s->data, -1, n);
	return asp_stage_emit(s, x, bson_get_data(s->out), s->out->len);
}

static void
count_state_free(asp_stage *s, void *state)
{
	(void) s;
	free(state);
}

static size_t
count_state_bytes(asp_stage *s, void *state)
{
	(void) s;
	(void) state;
	return sizeof(int64_t);
}

static const asp_block_ops count_bops = {
	count_state_new, count_add, count_emit, count_state_free, count_state_bytes, NULL
};
static const asp_stage_ops count_ops = {
	asp_block_push, asp_block_flush, free_data, asp_block_reset
};

/* asp_stage_compile_count: {$count: "<field name>"} */
asp_stage *
asp_stage_compile_count(const bson_value_t *spec, asp_stage_compile_ctx *cc)
{
	asp_stage  *s;
	const char *name;

	if (spec->value_type != BSON_TYPE_UTF8 || spec->value.v_utf8.len == 0)
	{
		asp_error_set(cc->err, ASP_ERR_INVALID, "$count must be a non-empty string, the output field name");
		return NULL;
	}
	name = spec->value.v_utf8.str;
	if (name[0] == '$' || strchr(name, '.') != NULL || strlen(name) != spec->value.v_utf8.len)
	{
		asp_error_set(cc->err, ASP_ERR_INVALID, "$count field name '%s' must not start with '$' or contain '.'", name);
		return NULL;
	}
	s = asp_stage_new(&count_ops, "$count", cc);
	s->data = strdup(name);
	s->bops = &count_bops;
	return s;
}

/* ---------- $sort ---------- */

typedef struct sort_cmp_arg
{
	const asp_sort_spec *spec;
	const bson_value_t *keys;	/* n * nkeys */
} sort_cmp_arg;

static void *
sort_state_new(asp_stage *s)
{
	(void) s;
	return calloc(1, sizeof(asp_docbuf));
}

static bool
sort_add(asp_stage *s, void *state, asp_exec *x, const uint8_t *doc, uint32_t len)
{
	asp_sort_spec *spec = s->data;
	bson_value_t keys[ASP_SORT_MAX_KEYS];
	asp_error	err;

	/* a document that cannot be sorted (parallel arrays) goes to the DLQ now */
	if (!asp_sort_key_extract(spec, doc, len, keys, &err))
	{
		asp_exec_dlq(x, s, doc, len, err.message);
		return true;
	}
	asp_docbuf_append(state, doc, len);
	return true;
}

/* sort_cmp: key order, then arrival order (a stable sort) */
static int
sort_cmp(const void *a, const void *b, void *arg)
{
	const sort_cmp_arg *c = arg;
	size_t		ia = *(const size_t *) a;
	size_t		ib = *(const size_t *) b;
	int			nk = asp_sort_nkeys(c->spec);
	int			r = asp_sort_key_compare(c->spec, c->keys + ia * nk, c->keys + ib * nk);

	if (r != 0)
		return r;
	return ia < ib ? -1 : (ia > ib ? 1 : 0);
}

static bool
sort_emit(asp_stage *s, void *state, asp_exec *x)
{
	asp_docbuf *st = state;
	asp_sort_spec *spec = s->data;
	int			nk = asp_sort_nkeys(spec);
	bson_value_t *keys;
	size_t	   *idx;
	size_t		i;
	sort_cmp_arg arg;
	bool		ok;

	if (st->n == 0)
		return true;
	keys = malloc(st->n * nk * sizeof(bson_value_t));
	idx = malloc(st->n * sizeof(size_t));
	if (keys == NULL || idx == NULL)
		abort();
	for (i = 0; i < st->n; i++)
	{
		uint32_t	len;
		const uint8_t *d = asp_docbuf_doc(st, i, &len);
		asp_error	err;

		/* cannot fail: the same document was checked when it was added */
		asp_sort_key_extract(spec, d, len, keys + i * nk, &err);
		idx[i] = i;
	}
	arg.spec = spec;
	arg.keys = keys;
	qsort_r(idx, st->n, sizeof(size_t), sort_cmp, &arg);
	ok = asp_docbuf_emit(st, idx, s, x);
	free(keys);
	free(idx);
	return ok;
}

static void
sort_state_free(asp_stage *s, void *state)
{
	(void) s;
	asp_docbuf_free(state);
	free(state);
}

static size_t
sort_state_bytes(asp_stage *s, void *state)
{
	(void) s;
	return sizeof(asp_docbuf) + asp_docbuf_bytes(state);
}

static void
sort_destroy(asp_stage *s)
{
	asp_sort_free(s->data);
}

static const asp_block_ops sort_bops = {
	sort_state_new, sort_add, sort_emit, sort_state_free, sort_state_bytes, NULL
};
static const asp_stage_ops sort_ops = {
	asp_block_push, asp_block_flush, sort_destroy, asp_block_reset
};

/* asp_stage_compile_sort: {$sort: {field: 1 | -1, ...}} */
asp_stage *
asp_stage_compile_sort(const bson_value_t *spec, asp_stage_compile_ctx *cc)
{
	asp_sort_spec *ss;
	asp_stage  *s;

	if (spec->value_type != BSON_TYPE_DOCUMENT)
	{
		asp_error_set(cc->err, ASP_ERR_INVALID, "$sort must be an object such as {\"field\": 1}");
		return NULL;
	}
	ss = asp_sort_compile(spec->value.v_doc.data, spec->value.v_doc.data_len, cc->err);
	if (ss == NULL)
		return NULL;
	s = asp_stage_new(&sort_ops, "$sort", cc);
	s->data = ss;
	s->bops = &sort_bops;
	return s;
}

/* ---------- checkpoints ---------- */

/*
 * Checkpoint forms of the states of a window's first blocking stage:
 *	$group:  [{k: <key>, a: {"0": <state of accumulator 0>, ...}}, ...] in
 *			 the order the groups were first seen (the order of results)
 *	$sort, the buffer: [<document>, ...] in arrival order
 *	$limit:  {n: <documents taken>, d: [<document>, ...]}
 *	$count:  the counter (int64)
 */

static bool
ckpt_error(asp_error *err, const char *what, const char *msg)
{
	asp_error_set(err, ASP_ERR_INVALID, "invalid checkpoint: %s: %s", what, msg);
	return false;
}

/* asp_docbuf_serialize: the documents of a buffer as an array under key */
void
asp_docbuf_serialize(const struct asp_docbuf *b, bson_t *out, const char *key)
{
	bson_t		arr;
	size_t		i;

	bson_append_array_begin(out, key, -1, &arr);
	for (i = 0; i < b->n; i++)
	{
		uint32_t	len;
		const uint8_t *d = asp_docbuf_doc(b, i, &len);
		bson_t		doc;
		char		ibuf[24];
		const char *ik;

		bson_uint32_to_string((uint32_t) i, &ik, ibuf, sizeof(ibuf));
		if (bson_init_static(&doc, d, len))
			bson_append_document(&arr, ik, -1, &doc);
	}
	bson_append_array_end(out, &arr);
}

/* asp_docbuf_restore: append the documents of an array made by asp_docbuf_serialize */
bool
asp_docbuf_restore(struct asp_docbuf *b, const bson_value_t *v, const char *what,
				   asp_error *err)
{
	bson_iter_t it;

	if (v->value_type != BSON_TYPE_ARRAY ||
		!bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len))
		return ckpt_error(err, what, "expected an array of documents");
	while (bson_iter_next(&it))
	{
		const bson_value_t *d = bson_iter_value(&it);

		if (d->value_type != BSON_TYPE_DOCUMENT)
			return ckpt_error(err, what, "expected an array of documents");
		asp_docbuf_append(b, d->value.v_doc.data, d->value.v_doc.data_len);
	}
	return true;
}

/* group_serialize: every group of a state, in first-seen order */
static bool
group_serialize(asp_stage *s, group_state *g, bson_t *out, const char *key,
				asp_error *err)
{
	group_spec *spec = s->data;
	group_chunk *c;
	bson_t		arr;
	uint32_t	n = 0;

	bson_append_array_begin(out, key, -1, &arr);
	for (c = g->first; c; c = c->next)
	{
		int			k;

		for (k = 0; k < c->used; k++)
		{
			group_entry *e = (group_entry *) ((char *) c + GROUP_CHUNK_HDR + (size_t) k * spec->entry_size);
			bson_t		ent,
						accs;
			char		ibuf[24];
			const char *ik;
			int			i;

			bson_uint32_to_string(n++, &ik, ibuf, sizeof(ibuf));
			bson_append_document_begin(&arr, ik, -1, &ent);
			asp_bson_append_value(&ent, "k", 1, &e->key);
			bson_append_document_begin(&ent, "a", 1, &accs);
			for (i = 0; i < spec->nacc; i++)
			{
				const asp_accum *a = &spec->acc[i];
				char		abuf[24];
				const char *ak;

				bson_uint32_to_string((uint32_t) i, &ak, abuf, sizeof(abuf));
				if (a->def->serialize == NULL ||
					!a->def->serialize(a, (char *) e + spec->state_off[i], &accs, ak))
				{
					asp_error_set(err, ASP_ERR_INTERNAL,
								  "cannot checkpoint the state of accumulator %s of field '%s'",
								  a->def->name, a->field);
					return false;
				}
			}
			bson_append_document_end(&ent, &accs);
			bson_append_document_end(&arr, &ent);
		}
	}
	bson_append_array_end(out, &arr);
	return true;
}

/* group_restore: recreate the groups of a serialized state in an empty state */
static bool
group_restore(asp_stage *s, group_state *g, const bson_value_t *v, asp_error *err)
{
	group_spec *spec = s->data;
	bson_iter_t it;

	if (v->value_type != BSON_TYPE_ARRAY ||
		!bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len))
		return ckpt_error(err, "$group", "expected an array of groups");
	while (bson_iter_next(&it))
	{
		const bson_value_t *ev = bson_iter_value(&it);
		bson_value_t key,
					accs;
		uint64_t	h;
		uint32_t	slot = 0;
		group_entry *e;
		int			i;

		if (ev->value_type != BSON_TYPE_DOCUMENT ||
			!asp_doc_get(ev->value.v_doc.data, ev->value.v_doc.data_len, "k", 1, &key) ||
			!asp_doc_get(ev->value.v_doc.data, ev->value.v_doc.data_len, "a", 1, &accs) ||
			accs.value_type != BSON_TYPE_DOCUMENT)
			return ckpt_error(err, "$group", "a group needs 'k' and 'a'");
		h = group_hash(&key);
		if (group_lookup(g, &key, h, &slot) != NULL)
			return ckpt_error(err, "$group", "a group key appears twice");
		e = group_alloc_entry(g, spec);
		for (i = 0; i < spec->nacc; i++)
			spec->acc[i].def->init(&spec->acc[i], (char *) e + spec->state_off[i]);
		for (i = 0; i < spec->nacc; i++)
		{
			const asp_accum *a = &spec->acc[i];
			char		abuf[24];
			const char *ak;
			bson_value_t sv;

			bson_uint32_to_string((uint32_t) i, &ak, abuf, sizeof(abuf));
			if (!asp_doc_get(accs.value.v_doc.data, accs.value.v_doc.data_len, ak, (uint32_t) strlen(ak), &sv) ||
				a->def->deserialize == NULL || !a->def->deserialize(a, (char *) e + spec->state_off[i], &sv, err))
			{
				if (err->code == ASP_OK)
					ckpt_error(err, "$group", "an accumulator state is missing");
				group_entry_states_destroy(spec, e);
				g->last->used--;
				return false;
			}
		}
		e->hash = h;
		if (key_is_scalar(&key))
			e->key = key;
		else
		{
			bson_value_copy(&key, &e->key);
			g->key_bytes += key.value_type == BSON_TYPE_UTF8 ? key.value.v_utf8.len + 1 :
				key.value.v_doc.data_len;
		}
		g->slots[slot] = e;
		g->count++;
	}
	return true;
}

/*
 * asp_block_state_serialize: append the state of blocking stage s ($group,
 * $sort, $limit, $count) under key.  False (err set) for another stage or
 * an accumulator that cannot be checkpointed.
 */
bool
asp_block_state_serialize(asp_stage *s, void *state, bson_t *out, const char *key,
						  asp_error *err)
{
	if (s->bops == &group_bops)
		return group_serialize(s, state, out, key, err);
	if (s->bops == &sort_bops)
	{
		asp_docbuf_serialize(state, out, key);
		return true;
	}
	if (s->bops == &limit_bops)
	{
		limit_state *l = state;
		bson_t		d;

		bson_append_document_begin(out, key, -1, &d);
		BSON_APPEND_INT64(&d, "n", l->n);
		asp_docbuf_serialize(&l->docs, &d, "d");
		bson_append_document_end(out, &d);
		return true;
	}
	if (s->bops == &count_bops)
	{
		bson_append_int64(out, key, -1, *(int64_t *) state);
		return true;
	}
	asp_error_set(err, ASP_ERR_INTERNAL, "cannot checkpoint the state of %s", s->name);
	return false;
}

/*
 * asp_block_state_restore: fill a new (empty) state of blocking stage s
 * from the value asp_block_state_serialize wrote.
 */
bool
asp_block_state_restore(asp_stage *s, void *state, const bson_value_t *v, asp_error *err)
{
	if (s->bops == &group_bops)
		return group_restore(s, state, v, err);
	if (s->bops == &sort_bops)
		return asp_docbuf_restore(state, v, "$sort", err);
	if (s->bops == &limit_bops)
	{
		limit_state *l = state;
		bson_value_t n,
					d;

		if (v->value_type != BSON_TYPE_DOCUMENT ||
			!asp_doc_get(v->value.v_doc.data, v->value.v_doc.data_len, "n", 1, &n) ||
			n.value_type != BSON_TYPE_INT64 || n.value.v_int64 < 0 ||
			!asp_doc_get(v->value.v_doc.data, v->value.v_doc.data_len, "d", 1, &d))
			return ckpt_error(err, "$limit", "expected {n, d}");
		l->n = n.value.v_int64;
		return asp_docbuf_restore(&l->docs, &d, "$limit", err);
	}
	if (s->bops == &count_bops)
	{
		if (v->value_type != BSON_TYPE_INT64 || v->value.v_int64 < 0)
			return ckpt_error(err, "$count", "expected a counter");
		*(int64_t *) state = v->value.v_int64;
		return true;
	}
	asp_error_set(err, ASP_ERR_INTERNAL, "cannot restore the state of %s", s->name);
	return false;
}

/* ---------- window state stores (see state_store.h) ---------- */

/* asp_block_store_mode_of: how a window keeps the states of blocking stage s in a store */
asp_block_store_mode
asp_block_store_mode_of(const asp_stage *s)
{
	if (s->bops == &group_bops)
		return ASP_STORE_GROUPS;
	if (s->bops == &sort_bops)
		return ASP_STORE_APPEND;
	return ASP_STORE_WHOLE;
}

/*
 * asp_group_set_loader: give a new $group state a loader: when a document
 * opens a group the state does not have, the group's stored states are
 * asked for first (see group_load).
 */
void
asp_group_set_loader(asp_stage *s, void *state, asp_group_load_fn fn, void *arg)
{
	group_state *g = state;

	(void) s;
	g->load = fn;
	g->load_arg = arg;
}

/*
 * asp_group_export: call fn for every group of a $group state, in the order
 * the groups were first seen in it, with its key, hash, rank in the store
 * (ASP_GROUP_SEQ_NONE for a group the store does not have yet) and its
 * accumulator states in checkpoint form.
 */
bool
asp_group_export(asp_stage *s, void *state, asp_group_export_fn fn, void *arg, asp_error *err)
{
	group_spec *spec = s->data;
	group_state *g = state;
	group_chunk *c;
	bson_t		accs;

	bson_init(&accs);
	for (c = g->first; c; c = c->next)
	{
		int			k;

		for (k = 0; k < c->used; k++)
		{
			group_entry *e = (group_entry *) ((char *) c + GROUP_CHUNK_HDR + (size_t) k * spec->entry_size);
			int			i;

			bson_reinit(&accs);
			for (i = 0; i < spec->nacc; i++)
			{
				const asp_accum *a = &spec->acc[i];
				char		abuf[24];
				const char *ak;

				bson_uint32_to_string((uint32_t) i, &ak, abuf, sizeof(abuf));
				if (a->def->serialize == NULL ||
					!a->def->serialize(a, (char *) e + spec->state_off[i], &accs, ak))
				{
					bson_destroy(&accs);
					return asp_error_set(err, ASP_ERR_INTERNAL,
										 "cannot store the state of accumulator %s of field '%s'",
										 a->def->name, a->field);
				}
			}
			if (!fn(arg, &e->key, e->hash, e->seq, &accs, err))
			{
				bson_destroy(&accs);
				return false;
			}
		}
	}
	bson_destroy(&accs);
	return true;
}
