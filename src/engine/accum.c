/*-------------------------------------------------------------------------
 *
 * accum.c
 *	  $group accumulators: the registry, compilation of {<field>: {<$acc>:
 *	  <operand>}}, and the single-value accumulators $min $max $first
 *	  $last.
 *
 * The other accumulators live in accum_num.c ($sum $avg $count $stdDevPop
 * $stdDevSamp), accum_coll.c ($push $addToSet) and accum_n.c ($firstN ...
 * $bottom); owned copies of values in accum_store.c.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accum_internal.h"

/* ---------- single held value: $min $max $first $last ---------- */

/* val_init: no value held */
static void
val_init(const asp_accum *a, void *state)
{
	(void) a;
	memset(state, 0, sizeof(acc_val));
}

/* val_destroy: free the heap copy of the held value */
static void
val_destroy(const asp_accum *a, void *state)
{
	(void) a;
	acc_val_free(state);
}

/* val_mem: heap bytes of the held value (0 for numbers) */
static size_t
val_mem(const asp_accum *a, const void *state)
{
	(void) a;
	return ((const acc_val *) state)->cap;
}

/* val_finalize: the held value copied into the arena, or null */
static bool
val_finalize(const asp_accum *a, const void *state, asp_eval_ctx *ctx, bson_value_t *out)
{
	const acc_val *h = state;
	bson_value_t v;

	(void) a;
	if (!acc_val_has(h))
	{
		asp_value_set_null(out);
		return true;
	}
	acc_val_get(h, &v);
	acc_value_to_arena(ctx->arena, &v, out);
	return true;
}

/* val_serialize: {v: value}, or {} when nothing is held */
static bool
val_serialize(const asp_accum *a, const void *state, bson_t *out, const char *key)
{
	const acc_val *h = state;
	bson_t		b;

	(void) a;
	bson_append_document_begin(out, key, -1, &b);
	if (acc_val_has(h))
	{
		bson_value_t v;

		acc_val_get(h, &v);
		asp_bson_append_value(&b, "v", 1, &v);
	}
	bson_append_document_end(out, &b);
	return true;
}

/* val_deserialize: the reverse of val_serialize */
static bool
val_deserialize(const asp_accum *a, void *state, const bson_value_t *v, asp_error *err)
{
	bson_value_t f;

	if (v->value_type != BSON_TYPE_DOCUMENT)
		return acc_state_error(err, a->def->name, "expected a document");
	if (asp_doc_get(v->value.v_doc.data, v->value.v_doc.data_len, "v", 1, &f))
		acc_val_set(state, &f);
	return true;
}

/* minmax_offer: MongoDB's AccumulatorMinMax::processInternal (sense 1 min, -1 max) */
static void
minmax_offer(acc_val *h, const bson_value_t *v, int sense)
{
	bson_value_t cur;

	if (asp_value_is_nullish(v))
		return;
	if (!acc_val_has(h))
	{
		acc_val_set(h, v);
		return;
	}
	acc_val_get(h, &cur);
	if (asp_value_compare(&cur, v) * sense > 0)
		acc_val_set(h, v);
}

/* min_apply: $min of the input */
static bool
min_apply(const asp_accum *a, void *state, const asp_accum_input *in, asp_eval_ctx *ctx)
{
	(void) a;
	(void) ctx;
	minmax_offer(state, &in->v[0], 1);
	return true;
}

/* max_apply: $max of the input */
static bool
max_apply(const asp_accum *a, void *state, const asp_accum_input *in, asp_eval_ctx *ctx)
{
	(void) a;
	(void) ctx;
	minmax_offer(state, &in->v[0], -1);
	return true;
}

/* min_merge: offer the later partial minimum */
static bool
min_merge(const asp_accum *a, void *dst, const void *src, asp_error *err)
{
	bson_value_t v;

	(void) a;
	(void) err;
	if (acc_val_has(src))
	{
		acc_val_get(src, &v);
		minmax_offer(dst, &v, 1);
	}
	return true;
}

/* max_merge: offer the later partial maximum */
static bool
max_merge(const asp_accum *a, void *dst, const void *src, asp_error *err)
{
	bson_value_t v;

	(void) a;
	(void) err;
	if (acc_val_has(src))
	{
		acc_val_get(src, &v);
		minmax_offer(dst, &v, -1);
	}
	return true;
}

/*
 * first_apply: $first keeps the first value, missing included (finalized
 * as null).  Its operand is evaluated for every document, as MongoDB
 * does, so an expression error in a later document still counts.
 */
static bool
first_apply(const asp_accum *a, void *state, const asp_accum_input *in, asp_eval_ctx *ctx)
{
	(void) a;
	(void) ctx;
	if (!acc_val_has(state))
		acc_val_set(state, &in->v[0]);
	return true;
}

/* last_apply: $last keeps the latest value, missing included (finalized as null) */
static bool
last_apply(const asp_accum *a, void *state, const asp_accum_input *in, asp_eval_ctx *ctx)
{
	(void) a;
	(void) ctx;
	acc_val_set(state, &in->v[0]);
	return true;
}

/* first_merge: dst keeps its value if it has one */
static bool
first_merge(const asp_accum *a, void *dst, const void *src, asp_error *err)
{
	bson_value_t v;

	(void) a;
	(void) err;
	if (!acc_val_has(dst) && acc_val_has(src))
	{
		acc_val_get(src, &v);
		acc_val_set(dst, &v);
	}
	return true;
}

/* last_merge: the later state wins if it saw a document */
static bool
last_merge(const asp_accum *a, void *dst, const void *src, asp_error *err)
{
	bson_value_t v;

	(void) a;
	(void) err;
	if (acc_val_has(src))
	{
		acc_val_get(src, &v);
		acc_val_set(dst, &v);
	}
	return true;
}

/* ---------- definitions ---------- */

static const asp_accum_def def_min = {
	"$min", sizeof(acc_val), false, acc_compile_unary, val_init, asp_accum_eval_unary,
	min_apply, asp_accum_add, min_merge, val_finalize, val_destroy, val_mem, val_serialize,
	val_deserialize
};
static const asp_accum_def def_max = {
	"$max", sizeof(acc_val), false, acc_compile_unary, val_init, asp_accum_eval_unary,
	max_apply, asp_accum_add, max_merge, val_finalize, val_destroy, val_mem, val_serialize,
	val_deserialize
};
static const asp_accum_def def_first = {
	"$first", sizeof(acc_val), true, acc_compile_unary, val_init, asp_accum_eval_unary,
	first_apply, asp_accum_add, first_merge, val_finalize, val_destroy, val_mem,
	val_serialize, val_deserialize
};
static const asp_accum_def def_last = {
	"$last", sizeof(acc_val), true, acc_compile_unary, val_init, asp_accum_eval_unary,
	last_apply, asp_accum_add, last_merge, val_finalize, val_destroy, val_mem,
	val_serialize, val_deserialize
};
static const asp_accum_def *const accum_defs[] = {
	&acc_def_sum, &acc_def_avg, &acc_def_count, &def_min, &def_max, &def_first, &def_last,
	&acc_def_push, &acc_def_add_to_set, &acc_def_stddev_pop, &acc_def_stddev_samp,
	&acc_def_top, &acc_def_bottom, &acc_def_top_n, &acc_def_bottom_n,
	&acc_def_first_n, &acc_def_last_n, &acc_def_min_n, &acc_def_max_n,
	NULL
};

/* MongoDB group operators that stream processing does not offer */
static const char *const unsupported_accums[] = {
	"$mergeObjects", "$concatArrays", "$setUnion", "$median", "$percentile",
	NULL
};

/* asp_accum_find: the definition for a name like "$sum", or NULL */
const asp_accum_def *
asp_accum_find(const char *name, size_t len)
{
	int			i;

	for (i = 0; accum_defs[i] != NULL; i++)
		if (strlen(accum_defs[i]->name) == len && memcmp(accum_defs[i]->name, name, len) == 0)
			return accum_defs[i];
	return NULL;
}

/* ---------- compilation ---------- */

/* acc_compile_error: "<$acc> for field '<field>': <message>" */
bool
acc_compile_error(asp_expr_compiler *c, const asp_accum *a, const char *fmt,...)
{
	char		msg[ASP_ERROR_MSG_LEN];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	asp_expr_compile_error(c, "%s for field '%s': %s", a->def ? a->def->name : "accumulator",
						   a->field ? a->field : "", msg);
	return false;
}

/* acc_compile_unary: the single expression operand of $sum, $push... */
bool
acc_compile_unary(asp_expr_compiler *c, const bson_value_t *operand, asp_accum *a)
{
	a->arg = asp_expr_compile_value(c, operand);
	return a->arg != NULL;
}

/* asp_accum_eval_unary: the eval of single-expression accumulators: the operand's value */
bool
asp_accum_eval_unary(const asp_accum *a, asp_eval_ctx *ctx, asp_accum_input *in)
{
	in->n = 1;
	return asp_expr_eval(a->arg, ctx, &in->v[0]);
}

/* acc_eval_none: the eval of accumulators without operands ($count) */
bool
acc_eval_none(const asp_accum *a, asp_eval_ctx *ctx, asp_accum_input *in)
{
	(void) a;
	(void) ctx;
	in->n = 0;
	return true;
}

/*
 * asp_accum_compile: compile the value of one $group field, with
 * MongoDB's checks and messages (AccumulationStatement).
 */
bool
asp_accum_compile(asp_expr_compiler *c, const char *field, const bson_value_t *spec,
				  asp_accum *a)
{
	bson_iter_t it;
	const char *name;
	size_t		namelen;
	int			nfields = 0;
	bson_value_t operand;
	int			i;

	memset(a, 0, sizeof(*a));
	if (spec->value_type != BSON_TYPE_DOCUMENT ||
		!bson_iter_init_from_data(&it, spec->value.v_doc.data, spec->value.v_doc.data_len) ||
		!bson_iter_next(&it) || bson_iter_key(&it)[0] != '$')
	{
		asp_expr_compile_error(c, "the field '%s' must be an accumulator object", field);
		asp_error_hint(c->err, "Write the field as {\"%s\": {\"$sum\": \"$x\"}} with one accumulator such as $sum, $avg, $min, $max, $push.",
					   field);
		return false;
	}
	if (strchr(field, '.') != NULL)
	{
		asp_expr_compile_error(c, "the field name '%s' cannot contain '.'", field);
		return false;
	}
	if (field[0] == '$')
	{
		asp_expr_compile_error(c, "the field name '%s' cannot be an operator name", field);
		return false;
	}
	name = bson_iter_key(&it);
	namelen = bson_iter_key_len(&it);
	operand = *bson_iter_value(&it);
	do
		nfields++;
	while (bson_iter_next(&it));
	if (nfields != 1)
	{
		asp_expr_compile_error(c, "the field '%s' must specify one accumulator", field);
		asp_error_hint(c->err, "Compute each accumulator in its own $group field.");
		return false;
	}
	if (operand.value_type == BSON_TYPE_ARRAY)
	{
		asp_expr_compile_error(c, "the %s accumulator is a unary operator", name);
		asp_error_hint(c->err, "Give it a single expression, e.g. {\"%s\": \"$x\"}.", name);
		return false;
	}
	if ((namelen == 12 && memcmp(name, "$accumulator", 12) == 0) ||
		(namelen == 9 && memcmp(name, "$function", 9) == 0))
	{
		asp_expr_compile_error(c, "%s is not supported: JavaScript is not available in stream processing",
							   name);
		if (c->err)
			c->err->code = ASP_ERR_UNSUPPORTED;
		asp_error_hint(c->err, "Use the built-in accumulators ($sum, $avg, $min, $max, $push, $addToSet, $topN, ...) with aggregation expressions.");
		return false;
	}
	a->def = asp_accum_find(name, namelen);
	if (a->def == NULL)
	{
		for (i = 0; unsupported_accums[i] != NULL; i++)
		{
			if (strcmp(unsupported_accums[i], name) == 0)
			{
				asp_expr_compile_error(c, "group operator '%s' is not supported in stream processing",
									   name);
				if (c->err)
					c->err->code = ASP_ERR_UNSUPPORTED;
				asp_error_hint(c->err, "Collect the values with $push or $addToSet and combine them in a later $project.");
				return false;
			}
		}
		asp_expr_compile_error(c, "unknown group operator '%s'", name);
		asp_error_hint(c->err, "Valid group operators are $sum, $avg, $min, $max, $count, $first, $last, $push, $addToSet, $stdDevPop, $stdDevSamp, $top, $bottom, $topN, $bottomN, $firstN, $lastN, $minN and $maxN.");
		return false;
	}
	a->field = strdup(field);
	if (a->field == NULL)
		abort();
	if (!a->def->compile(c, &operand, a))
	{
		asp_accum_destroy_compiled(a);
		return false;
	}
	return true;
}

/* asp_accum_destroy_compiled: free what asp_accum_compile allocated */
void
asp_accum_destroy_compiled(asp_accum *a)
{
	acc_n_free_data(a);
	asp_expr_free(a->arg);
	asp_expr_free(a->n);
	asp_expr_free(a->output);
	free(a->field);
	memset(a, 0, sizeof(*a));
}

/* asp_accum_start_group: give a fresh state its group key (N accumulators) */
bool
asp_accum_start_group(const asp_accum *a, void *state, const bson_value_t *group_id,
					  asp_eval_ctx *ctx)
{
	if (a->n == NULL)
		return true;
	return acc_n_start_group(a, state, group_id, ctx);
}

/* asp_accum_add: evaluate the current document's operands and fold them in */
bool
asp_accum_add(const asp_accum *a, void *state, asp_eval_ctx *ctx)
{
	asp_accum_input in;

	return a->def->eval(a, ctx, &in) && a->def->apply(a, state, &in, ctx);
}
