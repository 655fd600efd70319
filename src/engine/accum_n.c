/*-------------------------------------------------------------------------
 *
 * accum_n.c
 *	  The "N" accumulators $firstN $lastN $minN $maxN $topN $bottomN and
 *	  the single-value $top and $bottom.
 *
 * n is an expression that must give a positive integer.  A constant n is
 * validated at compile time.  Otherwise it is evaluated once per group:
 * with the group key's fields as the document when the caller uses
 * asp_accum_start_group() (MongoDB's behaviour: $$ROOT is the key if it is
 * a document, else an empty document), else against the group's first
 * document.
 *
 * $firstN/$lastN keep a sequential acc_list; the others keep an indexed
 * acc_list in sort order (values for $minN/$maxN, sort keys for
 * $topN/$bottomN), equal entries in arrival order, like MongoDB's
 * multiset/multimap.  The entries kept are the n best under a total
 * order in which, between equal keys, the value seen first wins ("when
 * the sort key produces a tie we keep the first value seen", MongoDB).
 * That makes merge(dst, src) exactly equal to adding src's documents
 * after dst's.  MongoDB itself deviates from that rule for $bottomN and
 * $maxN: when full it evicts the *earliest* entry of the smallest key
 * while rejecting a tied newcomer, so its result on ties at the boundary
 * depends on history (and differs between its sharded and unsharded
 * plans); we keep the first seen instead.  $topN/$bottomN entries are
 * {"": key0, ..., "": keyK, "": output}; the sort keys are computed from
 * the "$<field>" values of sortBy as in MongoDB (see sort.h).
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accum_internal.h"
#include "sort.h"

typedef enum accn_kind
{
	ACCN_FIRST,
	ACCN_LAST,
	ACCN_MIN,
	ACCN_MAX,
	ACCN_TOP,
	ACCN_BOTTOM
} accn_kind;

/* compiled data of an N accumulator (asp_accum.data) */
typedef struct accn_data
{
	accn_kind	kind;
	bool		single;			/* $top / $bottom */
	int64_t		n_const;		/* validated constant n, or 0 */
	int			nkeys;			/* $top*, $bottom*: sortBy fields */
	asp_expr  **keys;			/* "$<field>" of each sortBy field */
} accn_data;

/* the state */
typedef struct n_state
{
	acc_list	list;
	int64_t		n;				/* 0 until known */
} n_state;

_Static_assert(sizeof(n_state) == 48, "n_state must stay 48 bytes");

/* ndata: the compiled data of an N accumulator */
static inline const accn_data *
ndata(const asp_accum *a)
{
	return (const accn_data *) a->data;
}

/* entry_nvals: values per entry (sort keys and output, or one value) */
static inline int
entry_nvals(const accn_data *d)
{
	return (d->kind == ACCN_TOP || d->kind == ACCN_BOTTOM) ? d->nkeys + 1 : 1;
}

/* is_sorted: does the accumulator keep an indexed list in sort order? */
static inline bool
is_sorted(const accn_data *d)
{
	return d->kind >= ACCN_MIN;
}

/* ---------- n ---------- */

/*
 * check_n: MongoDB's AccumulatorN::validateN; on failure writes the
 * message into msg and returns 0.
 */
static int64_t
check_n(const bson_value_t *v, char *msg, size_t msglen)
{
	int64_t		n;
	char		buf[128];

	if (!asp_value_is_number(v) || !asp_value_as_int64_exact(v, &n))
	{
		asp_value_describe(v, buf, sizeof(buf));
		snprintf(msg, msglen, "Value for 'n' must be of integral type, but found %s", buf);
		return 0;
	}
	if (n <= 0)
	{
		snprintf(msg, msglen, "'n' must be greater than 0, found %lld", (long long) n);
		return 0;
	}
	return n;
}

/* eval_n: evaluate n in ctx as it is */
static bool
eval_n(const asp_accum *a, n_state *s, asp_eval_ctx *ctx)
{
	bson_value_t v;
	char		msg[256];
	int64_t		n;

	if (!asp_expr_eval(a->n, ctx, &v))
		return false;
	n = check_n(&v, msg, sizeof(msg));
	if (n == 0)
		return asp_eval_error(ctx, "%s: %s", a->def->name, msg);
	s->n = n;
	return true;
}

/* ensure_n: n is known (first document of the group when start_group was not called) */
static inline bool
ensure_n(const asp_accum *a, n_state *s, asp_eval_ctx *ctx)
{
	if (s->n > 0)
		return true;
	if (ndata(a)->n_const > 0)
	{
		s->n = ndata(a)->n_const;
		return true;
	}
	return eval_n(a, s, ctx);
}

/*
 * acc_n_start_group: evaluate n with the group key's fields as the
 * document: $$ROOT and $$CURRENT are the key if it is a document, else an
 * empty document (MongoDB's GroupProcessor evaluates the initializer on
 * the expanded _id when it is an object, else on Document()).
 */
bool
acc_n_start_group(const asp_accum *a, void *state, const bson_value_t *group_id,
				  asp_eval_ctx *ctx)
{
	static const uint8_t empty_doc[5] = {5, 0, 0, 0, 0};
	n_state    *s = state;
	bson_value_t root,
				save_root,
				save_cur;
	bool		ok;

	if (s->n > 0)
		return true;
	if (ndata(a)->n_const > 0)
	{
		s->n = ndata(a)->n_const;
		return true;
	}
	if (group_id->value_type == BSON_TYPE_DOCUMENT)
		root = *group_id;
	else
		asp_value_set_doc(&root, BSON_TYPE_DOCUMENT, empty_doc, sizeof(empty_doc));
	save_root = ctx->vars[ASP_VAR_ROOT];
	save_cur = ctx->vars[ASP_VAR_CURRENT];
	ctx->vars[ASP_VAR_ROOT] = root;
	ctx->vars[ASP_VAR_CURRENT] = root;
	ok = eval_n(a, s, ctx);
	ctx->vars[ASP_VAR_ROOT] = save_root;
	ctx->vars[ASP_VAR_CURRENT] = save_cur;
	return ok;
}

/* ---------- sorted lists ---------- */

/* entry_cmp: compare two entries in the list's order */
static int
entry_cmp(const asp_accum *a, const uint8_t *x, const uint8_t *y)
{
	const accn_data *d = ndata(a);
	bson_iter_t ix,
				iy;
	int			i;

	if (d->kind == ACCN_MIN || d->kind == ACCN_MAX)
	{
		bson_value_t vx,
					vy;

		acc_entry_get(x, 0, &vx);
		acc_entry_get(y, 0, &vy);
		return asp_value_compare(&vx, &vy);
	}
	if (!bson_iter_init_from_data(&ix, x, acc_entry_len(x)) ||
		!bson_iter_init_from_data(&iy, y, acc_entry_len(y)))
		return 0;
	for (i = 0; i < d->nkeys; i++)
	{
		int			c;

		if (!bson_iter_next(&ix) || !bson_iter_next(&iy))
			return 0;
		c = asp_value_compare(bson_iter_value(&ix), bson_iter_value(&iy));
		if (c != 0)
			return ((const asp_sort_spec *) a->sort_spec)->dirs[i] < 0 ? -c : c;
	}
	return 0;
}

/* upper_bound: the first position whose entry sorts after the entry e */
static uint32_t
upper_bound(const asp_accum *a, const acc_list *l, const uint8_t *e)
{
	uint32_t	lo = 0,
				hi = l->count;

	while (lo < hi)
	{
		uint32_t	mid = lo + (hi - lo) / 2;

		if (entry_cmp(a, acc_list_entry(l, mid), e) > 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/*
 * offer_end: the candidate entry of size bytes has been written at
 * data + len (not yet part of the list); keep it or not.  Entries are in
 * ascending order, equal ones in arrival order.  With n entries held:
 *	- $topN, $minN keep the n first in sort order: the candidate replaces
 *	  the last entry if it sorts strictly before it (MongoDB);
 *	- $bottomN, $maxN keep the n last in sort order: the candidate
 *	  replaces an entry of the smallest key if it sorts strictly after
 *	  it, and the entry replaced is the latest of that key, so that ties
 *	  are always won by the value seen first.  (MongoDB replaces the
 *	  earliest, which makes the result depend on how the input was split
 *	  into partial groups; see accum_n.c's header.)
 */
static void
offer_end(const asp_accum *a, n_state *s, uint32_t size)
{
	const accn_data *d = ndata(a);
	acc_list   *l = &s->list;
	uint32_t	off = l->len;
	const uint8_t *cand = l->data + off;
	bool		keep_first = d->kind == ACCN_TOP || d->kind == ACCN_MIN;
	int64_t		victim = -1;
	uint32_t	pos;

	if ((int64_t) l->count >= s->n)
	{
		if (keep_first)
		{
			if (entry_cmp(a, acc_list_entry(l, l->count - 1), cand) <= 0)
				return;
			victim = l->count - 1;
		}
		else
		{
			if (entry_cmp(a, cand, acc_list_entry(l, 0)) <= 0)
				return;
			victim = (int64_t) upper_bound(a, l, acc_list_entry(l, 0)) - 1;
		}
	}
	pos = upper_bound(a, l, cand);
	l->len += size;
	acc_list_idx_insert(l, pos, off);
	if (victim >= 0)
		acc_list_idx_remove(l, (uint32_t) victim + ((uint32_t) victim >= pos ? 1 : 0));
}

/* offer_vals: encode an entry and offer it; false over the memory limit */
static bool
offer_vals(const asp_accum *a, n_state *s, const bson_value_t *vals, int n)
{
	size_t		size = acc_entry_size(vals, n);

	if (!acc_list_reserve(&s->list, size))
		return false;
	acc_entry_write(s->list.data + s->list.len, vals, n);
	offer_end(a, s, (uint32_t) size);
	return true;
}

/* offer_raw: offer an encoded entry */
static bool
offer_raw(const asp_accum *a, n_state *s, const uint8_t *entry)
{
	uint32_t	size = acc_entry_len(entry);

	if (!acc_list_reserve(&s->list, size))
		return false;
	memcpy(s->list.data + s->list.len, entry, size);
	offer_end(a, s, size);
	return true;
}

/* ---------- the accumulator functions ---------- */

/* n_init: no entries, n not known yet */
static void
n_init(const asp_accum *a, void *state)
{
	(void) a;
	memset(state, 0, sizeof(n_state));
}

/*
 * n_eval: the input ($firstN $lastN $minN $maxN), or the sort key and
 * the output ($topN $bottomN $top $bottom: nkeys + 1 values, in the
 * layout of an entry).  The input is evaluated for every document, even
 * when the state would not keep it (a full $firstN), as MongoDB does.
 */
static bool
n_eval(const asp_accum *a, asp_eval_ctx *ctx, asp_accum_input *in)
{
	const accn_data *d = ndata(a);
	bson_value_t fields[ASP_SORT_MAX_KEYS];
	bson_value_t *vals;
	int			i;

	if (d->kind != ACCN_TOP && d->kind != ACCN_BOTTOM)
	{
		in->n = 1;
		return asp_expr_eval(a->arg, ctx, &in->v[0]);
	}
	in->n = d->nkeys + 1;
	if (in->n > ASP_ACCUM_MAX_INPUTS)
	{
		in->ext = asp_arena_alloc(ctx->arena, sizeof(bson_value_t) * (size_t) in->n);
		vals = in->ext;
	}
	else
		vals = in->v;
	if (!asp_expr_eval(a->output, ctx, &vals[d->nkeys]))
		return false;
	for (i = 0; i < d->nkeys; i++)
		if (!asp_expr_eval(d->keys[i], ctx, &fields[i]))
			return false;
	return asp_sort_key_from_values(a->sort_spec, fields, vals, ctx->err);
}

/*
 * n_apply: offer an evaluated input.  n is known for states given
 * start_group; otherwise it is evaluated on ctx's current document (the
 * group's first one) here, the only error apply has besides the limit.
 */
static bool
n_apply(const asp_accum *a, void *state, const asp_accum_input *in, asp_eval_ctx *ctx)
{
	const accn_data *d = ndata(a);
	n_state    *s = state;

	if (!ensure_n(a, s, ctx))
		return false;
	switch (d->kind)
	{
		case ACCN_FIRST:
			if ((int64_t) s->list.count >= s->n)
				return true;
			if (!acc_list_append_seq(&s->list, &in->v[0], 1))
				return acc_limit_error(ctx, a->def->name);
			return true;
		case ACCN_LAST:
			if (!acc_list_append_seq(&s->list, &in->v[0], 1))
				return acc_limit_error(ctx, a->def->name);
			if ((int64_t) s->list.count > s->n)
				acc_list_drop_front_seq(&s->list);
			return true;
		case ACCN_MIN:
		case ACCN_MAX:
			if (asp_value_is_nullish(&in->v[0]))
				return true;
			if (!offer_vals(a, s, &in->v[0], 1))
				return acc_limit_error(ctx, a->def->name);
			return true;
		case ACCN_TOP:
		case ACCN_BOTTOM:
			if (!offer_vals(a, s, asp_accum_input_vals(in), in->n))
				return acc_limit_error(ctx, a->def->name);
			return true;
	}
	return true;
}

/*
 * n_add: eval + apply; without start_group, n comes from the group's
 * first document and is evaluated before the input, as before.
 */
static bool
n_add(const asp_accum *a, void *state, asp_eval_ctx *ctx)
{
	asp_accum_input in;

	return ensure_n(a, state, ctx) && n_eval(a, ctx, &in) && n_apply(a, state, &in, ctx);
}

/* n_merge: offer the later state's entries in their order */
static bool
n_merge(const asp_accum *a, void *dst, const void *src, asp_error *err)
{
	const accn_data *d = ndata(a);
	n_state    *ds = dst;
	const n_state *ss = src;
	const acc_list *sl = &ss->list;
	uint32_t	i;

	if (ss->n == 0 && sl->count == 0)
		return true;
	if (ds->n == 0)
		ds->n = ss->n;
	if (!is_sorted(d))
	{
		uint32_t	off;

		for (off = sl->start; off < sl->len; off += acc_entry_len(sl->data + off))
		{
			if (d->kind == ACCN_FIRST && (int64_t) ds->list.count >= ds->n)
				break;
			if (!acc_list_append_raw_seq(&ds->list, sl->data + off))
				goto limit;
			if (d->kind == ACCN_LAST && (int64_t) ds->list.count > ds->n)
				acc_list_drop_front_seq(&ds->list);
		}
		return true;
	}
	for (i = 0; i < sl->count; i++)
		if (!offer_raw(a, ds, acc_list_entry(sl, i)))
			goto limit;
	return true;

limit:
	return asp_error_set(err, ASP_ERR_LIMIT,
						 "%s used too much memory and cannot spill to disk; memory limit: %d bytes",
						 a->def->name, ACC_MAX_BYTES);
}

/* n_finalize: the entries' outputs as an array ($top/$bottom: the first output) */
static bool
n_finalize(const asp_accum *a, const void *state, asp_eval_ctx *ctx, bson_value_t *out)
{
	const accn_data *d = ndata(a);
	const n_state *s = state;
	int			elem = entry_nvals(d) - 1;

	if (d->single)
	{
		bson_value_t v;

		if (s->list.count == 0)
		{
			asp_value_set_null(out);
			return true;
		}
		acc_entry_get(acc_list_entry(&s->list, 0), elem, &v);
		acc_value_to_arena(ctx->arena, &v, out);
		return true;
	}
	acc_list_to_array(&s->list, elem, d->kind == ACCN_MAX, ctx->arena, out);
	return true;
}

/* n_destroy: free the list */
static void
n_destroy(const asp_accum *a, void *state)
{
	(void) a;
	acc_list_free(&((n_state *) state)->list);
}

/* n_mem: bytes of the list */
static size_t
n_mem(const asp_accum *a, const void *state)
{
	(void) a;
	return acc_list_mem(&((const n_state *) state)->list);
}

/* append_entry_array: one entry's values as an array */
static void
append_entry_array(bson_t *out, const char *key, size_t keylen, const uint8_t *entry)
{
	bson_t		arr;
	bson_iter_t it;
	uint32_t	i = 0;

	bson_append_array_begin(out, key, (int) keylen, &arr);
	if (bson_iter_init_from_data(&it, entry, acc_entry_len(entry)))
	{
		while (bson_iter_next(&it))
		{
			char		kbuf[16];
			size_t		klen;
			const char *k = asp_array_key(i++, kbuf, sizeof(kbuf), &klen);

			asp_bson_append_value(&arr, k, (int) klen, bson_iter_value(&it));
		}
	}
	bson_append_array_end(out, &arr);
}

/* n_serialize: {n: <n>, v: [[values of entry], ...]} in list order */
static bool
n_serialize(const asp_accum *a, const void *state, bson_t *out, const char *key)
{
	const n_state *s = state;
	const acc_list *l = &s->list;
	bson_t		doc,
				arr;
	uint32_t	i;
	uint32_t	off = l->start;

	bson_append_document_begin(out, key, -1, &doc);
	BSON_APPEND_INT64(&doc, "n", s->n);
	bson_append_array_begin(&doc, "v", 1, &arr);
	for (i = 0; i < l->count; i++)
	{
		char		kbuf[16];
		size_t		klen;
		const char *k = asp_array_key(i, kbuf, sizeof(kbuf), &klen);
		const uint8_t *entry;

		if (is_sorted(ndata(a)))
			entry = acc_list_entry(l, i);
		else
		{
			entry = l->data + off;
			off += acc_entry_len(entry);
		}
		append_entry_array(&arr, k, klen, entry);
	}
	bson_append_array_end(&doc, &arr);
	bson_append_document_end(out, &doc);
	return true;
}

/* n_deserialize: the reverse of n_serialize */
static bool
n_deserialize(const asp_accum *a, void *state, const bson_value_t *v, asp_error *err)
{
	const accn_data *d = ndata(a);
	n_state    *s = state;
	int			nvals = entry_nvals(d);
	bson_value_t f;
	bson_iter_t it;

	if (v->value_type != BSON_TYPE_DOCUMENT ||
		!asp_doc_get(v->value.v_doc.data, v->value.v_doc.data_len, "n", 1, &f) ||
		f.value_type != BSON_TYPE_INT64 || f.value.v_int64 < 0)
		return acc_state_error(err, a->def->name, "bad 'n'");
	s->n = f.value.v_int64;
	if (!asp_doc_get(v->value.v_doc.data, v->value.v_doc.data_len, "v", 1, &f) ||
		f.value_type != BSON_TYPE_ARRAY ||
		!bson_iter_init_from_data(&it, f.value.v_doc.data, f.value.v_doc.data_len))
		return acc_state_error(err, a->def->name, "bad 'v'");
	while (bson_iter_next(&it))
	{
		const bson_value_t *ev = bson_iter_value(&it);
		bson_value_t vals[ASP_SORT_MAX_KEYS + 1];
		bson_iter_t vi;
		int			k = 0;

		if (ev->value_type != BSON_TYPE_ARRAY ||
			!bson_iter_init_from_data(&vi, ev->value.v_doc.data, ev->value.v_doc.data_len))
			return acc_state_error(err, a->def->name, "an entry is not an array");
		while (bson_iter_next(&vi))
		{
			if (k == nvals)
				return acc_state_error(err, a->def->name, "an entry has too many values");
			vals[k++] = *bson_iter_value(&vi);
		}
		if (k != nvals)
			return acc_state_error(err, a->def->name, "an entry has too few values");
		if ((int64_t) s->list.count >= s->n)
			return acc_state_error(err, a->def->name, "more entries than n");
		if (is_sorted(d))
		{
			uint32_t	off = s->list.len;
			size_t		size = acc_entry_size(vals, nvals);

			if (!acc_list_reserve(&s->list, size))
				return acc_state_error(err, a->def->name, "too large");
			acc_entry_write(s->list.data + off, vals, nvals);
			s->list.len += (uint32_t) size;
			acc_list_idx_insert(&s->list, s->list.count, off);
		}
		else if (!acc_list_append_seq(&s->list, vals, nvals))
			return acc_state_error(err, a->def->name, "too large");
	}
	return true;
}

/* ---------- compilation ---------- */

/* acc_n_free_data: free the compiled data of an N accumulator (any accumulator) */
void
acc_n_free_data(asp_accum *a)
{
	accn_data  *d = a->data;
	int			i;

	if (a->sort_spec)
		asp_sort_free(a->sort_spec);
	a->sort_spec = NULL;
	if (d == NULL)
		return;
	for (i = 0; i < d->nkeys; i++)
		asp_expr_free(d->keys[i]);
	free(d->keys);
	free(d);
	a->data = NULL;
}

/* kind_of: the kind of an N accumulator by its name */
static accn_kind
kind_of(const char *name, bool *single)
{
	*single = false;
	if (strcmp(name, "$firstN") == 0)
		return ACCN_FIRST;
	if (strcmp(name, "$lastN") == 0)
		return ACCN_LAST;
	if (strcmp(name, "$minN") == 0)
		return ACCN_MIN;
	if (strcmp(name, "$maxN") == 0)
		return ACCN_MAX;
	if (strcmp(name, "$topN") == 0)
		return ACCN_TOP;
	if (strcmp(name, "$bottomN") == 0)
		return ACCN_BOTTOM;
	*single = true;
	return strcmp(name, "$top") == 0 ? ACCN_TOP : ACCN_BOTTOM;
}

/* compile_sort_by: sortBy and the "$<field>" expressions of its fields */
static bool
compile_sort_by(asp_expr_compiler *c, const bson_value_t *sort_by, asp_accum *a,
				accn_data *d)
{
	asp_sort_spec *spec;
	asp_error	tmp;
	int			i;

	if (sort_by->value_type != BSON_TYPE_DOCUMENT)
		return acc_compile_error(c, a, "'sortBy' must be an object such as {\"score\": -1}, found %s",
								 asp_type_name(sort_by->value_type));
	asp_error_init(&tmp);
	spec = asp_sort_compile(sort_by->value.v_doc.data, sort_by->value.v_doc.data_len, &tmp);
	if (spec == NULL)
	{
		acc_compile_error(c, a, "'sortBy': %s", tmp.message);
		if (c->err)
		{
			c->err->code = tmp.code;
			if (tmp.hint[0])
				snprintf(c->err->hint, sizeof(c->err->hint), "%s", tmp.hint);
		}
		return false;
	}
	a->sort_spec = spec;
	d->nkeys = spec->nkeys;
	d->keys = calloc(spec->nkeys, sizeof(asp_expr *));
	if (d->keys == NULL)
		abort();
	for (i = 0; i < spec->nkeys; i++)
	{
		size_t		len = strlen(spec->paths[i].dotted);
		char	   *path = malloc(len + 2);
		bson_value_t pv;

		if (path == NULL)
			abort();
		path[0] = '$';
		memcpy(path + 1, spec->paths[i].dotted, len + 1);
		asp_value_set_utf8(&pv, path, (uint32_t) len + 1);
		d->keys[i] = asp_expr_compile_value(c, &pv);
		free(path);
		if (d->keys[i] == NULL)
			return false;
	}
	return true;
}

/* n_compile: {n, input} or {n, sortBy, output} */
static bool
n_compile(asp_expr_compiler *c, const bson_value_t *operand, asp_accum *a)
{
	const char *name = a->def->name;
	accn_data  *d;
	bson_iter_t it;
	bson_value_t n_v,
				input_v,
				output_v,
				sort_v;
	bool		have_n = false,
				have_input = false,
				have_output = false,
				have_sort = false;
	bool		topbottom;

	memset(&n_v, 0, sizeof(n_v));
	memset(&input_v, 0, sizeof(input_v));
	memset(&output_v, 0, sizeof(output_v));
	memset(&sort_v, 0, sizeof(sort_v));
	d = calloc(1, sizeof(accn_data));
	if (d == NULL)
		abort();
	a->data = d;
	d->kind = kind_of(name, &d->single);
	topbottom = d->kind == ACCN_TOP || d->kind == ACCN_BOTTOM;

	if (operand->value_type != BSON_TYPE_DOCUMENT ||
		!bson_iter_init_from_data(&it, operand->value.v_doc.data, operand->value.v_doc.data_len))
	{
		char		buf[128];

		asp_value_describe(operand, buf, sizeof(buf));
		return acc_compile_error(c, a, "specification must be an object; found %s", buf);
	}
	while (bson_iter_next(&it))
	{
		const char *key = bson_iter_key(&it);

		if (strcmp(key, "n") == 0 && !d->single)
		{
			n_v = *bson_iter_value(&it);
			have_n = true;
		}
		else if (!topbottom && strcmp(key, "input") == 0)
		{
			input_v = *bson_iter_value(&it);
			have_input = true;
		}
		else if (topbottom && strcmp(key, "output") == 0)
		{
			output_v = *bson_iter_value(&it);
			have_output = true;
		}
		else if (topbottom && strcmp(key, "sortBy") == 0)
		{
			sort_v = *bson_iter_value(&it);
			have_sort = true;
		}
		else if (topbottom)
			return acc_compile_error(c, a, "unknown argument to %s '%s'", name, key);
		else
			return acc_compile_error(c, a, "unknown argument for 'n' operator: %s", key);
	}
	if (!d->single && !have_n)
		return acc_compile_error(c, a, "missing value for 'n'");
	if (!topbottom && !have_input)
		return acc_compile_error(c, a, "missing value for 'input'");
	if (topbottom && !have_output)
		return acc_compile_error(c, a, "missing value for 'output'");
	if (topbottom && !have_sort)
		return acc_compile_error(c, a, "missing value for 'sortBy'");

	if (d->single)
	{
		bson_value_t one;

		asp_value_set_int32(&one, 1);
		a->n = asp_expr_new_literal(&one);
		d->n_const = 1;
	}
	else
	{
		a->n = asp_expr_compile_value(c, &n_v);
		if (a->n == NULL)
			return false;
		if (a->n->is_const)
		{
			char		msg[256];

			d->n_const = check_n(&a->n->constant, msg, sizeof(msg));
			if (d->n_const == 0)
				return acc_compile_error(c, a, "%s", msg);
		}
	}
	if (topbottom)
	{
		if (!compile_sort_by(c, &sort_v, a, d))
			return false;
		a->output = asp_expr_compile_value(c, &output_v);
		return a->output != NULL;
	}
	a->arg = asp_expr_compile_value(c, &input_v);
	return a->arg != NULL;
}

#define N_DEF(name, order_sensitive) { \
	name, sizeof(n_state), order_sensitive, n_compile, n_init, n_eval, n_apply, n_add, \
	n_merge, n_finalize, n_destroy, n_mem, n_serialize, n_deserialize }

const asp_accum_def acc_def_first_n = N_DEF("$firstN", true);
const asp_accum_def acc_def_last_n = N_DEF("$lastN", true);
const asp_accum_def acc_def_min_n = N_DEF("$minN", false);
const asp_accum_def acc_def_max_n = N_DEF("$maxN", false);
const asp_accum_def acc_def_top_n = N_DEF("$topN", true);
const asp_accum_def acc_def_bottom_n = N_DEF("$bottomN", true);
const asp_accum_def acc_def_top = N_DEF("$top", true);
const asp_accum_def acc_def_bottom = N_DEF("$bottom", true);
