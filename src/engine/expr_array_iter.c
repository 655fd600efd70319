/*-------------------------------------------------------------------------
 *
 * expr_array_iter.c
 *	  Array operators that iterate with variables or keys: $map, $filter,
 *	  $reduce, $sortArray and $zip.
 *
 * $map and $filter bind "as" (default "this") to each element; $reduce
 * binds $$this and $$value.  The variables are declared with
 * asp_expr_push_var while the body is compiled and popped afterwards, so
 * the body sees them and nothing else does.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr_array.h"
#include "expr_named.h"

/* var_name: the "as" name, "this" by default; false + error if not a string */
static bool
var_name(asp_expr_compiler *c, const char *op, const asp_named_arg *as,
		 const char **name, size_t *len)
{
	if (!as->present)
	{
		*name = "this";
		*len = 4;
		return true;
	}
	if (as->value.value_type != BSON_TYPE_UTF8)
	{
		asp_expr_compile_error(c, "'as' of %s must be a variable name (a string), not %s",
							   op, asp_type_name(as->value.value_type));
		return false;
	}
	*name = as->value.value.v_utf8.str;
	*len = as->value.value.v_utf8.len;
	return true;
}

/* compile_in_scope: compile body with one variable declared; slot in *slot */
static asp_expr *
compile_in_scope(asp_expr_compiler *c, const char *name, size_t len,
				 const bson_value_t *body, int *slot)
{
	asp_expr   *r;

	*slot = asp_expr_push_var(c, name, len);
	if (*slot < 0)
		return NULL;
	r = asp_expr_compile_value(c, body);
	asp_expr_pop_vars(c, 1);
	return r;
}

/* ---------- $map ---------- */

/* asp_compile_map: {$map: {input, as, in}} */
asp_expr *
asp_compile_map(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand)
{
	asp_named_arg args[3] = {{.name = "input"}, {.name = "as"}, {.name = "in"}};
	const char *name;
	size_t		len;
	asp_expr   *e;

	if (!asp_named_args_parse(c, "$map", operand, args, 3))
		return NULL;
	if (!args[0].present)
		return asp_expr_compile_error(c, "missing 'input' parameter to $map");
	if (!args[2].present)
		return asp_expr_compile_error(c, "missing 'in' parameter to $map");
	if (!var_name(c, "$map", &args[1], &name, &len))
		return NULL;
	e = asp_expr_new(def->name, def->eval, 2);
	e->var_slots = malloc(sizeof(int));
	if (e->var_slots == NULL)
		abort();
	e->args[0] = asp_expr_compile_value(c, &args[0].value);
	if (e->args[0] != NULL)
		e->args[1] = compile_in_scope(c, name, len, &args[2].value, &e->var_slots[0]);
	if (e->args[0] == NULL || e->args[1] == NULL)
	{
		asp_expr_free(e);
		return NULL;
	}
	return e;
}

/* asp_eval_map */
bool
asp_eval_map(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t in;
	bson_iter_t it;
	asp_arr_builder ab;
	int			slot = e->var_slots[0];

	if (!asp_expr_eval(e->args[0], ctx, &in))
		return false;
	if (asp_value_is_nullish(&in))
	{
		asp_value_set_null(out);
		return true;
	}
	if (in.value_type != BSON_TYPE_ARRAY)
		return asp_eval_error(ctx, "input to $map must be an array not %s", asp_type_name(in.value_type));
	asp_arr_init(&ab);
	if (bson_iter_init_from_data(&it, in.value.v_doc.data, in.value.v_doc.data_len))
		while (bson_iter_next(&it))
		{
			bson_value_t r;

			ctx->vars[slot] = *bson_iter_value(&it);
			if (!asp_expr_eval(e->args[1], ctx, &r))
			{
				asp_arr_abort(&ab);
				return false;
			}
			asp_arr_append(&ab, &r);
		}
	asp_arr_finish(&ab, ctx, out);
	return true;
}

/* ---------- $filter ---------- */

/* asp_compile_filter: {$filter: {input, as, cond, limit}} */
asp_expr *
asp_compile_filter(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand)
{
	asp_named_arg args[4] = {{.name = "input"}, {.name = "as"}, {.name = "cond"}, {.name = "limit"}};
	const char *name;
	size_t		len;
	asp_expr   *e;

	if (!asp_named_args_parse(c, "$filter", operand, args, 4))
		return NULL;
	if (!args[0].present)
		return asp_expr_compile_error(c, "missing 'input' parameter to $filter");
	if (!args[2].present)
		return asp_expr_compile_error(c, "missing 'cond' parameter to $filter");
	if (!var_name(c, "$filter", &args[1], &name, &len))
		return NULL;
	e = asp_expr_new(def->name, def->eval, args[3].present ? 3 : 2);
	e->var_slots = malloc(sizeof(int));
	if (e->var_slots == NULL)
		abort();
	e->args[0] = asp_expr_compile_value(c, &args[0].value);
	if (e->args[0] != NULL && args[3].present)
	{
		e->args[2] = asp_expr_compile_value(c, &args[3].value);
		if (e->args[2] == NULL)
		{
			asp_expr_free(e);
			return NULL;
		}
	}
	if (e->args[0] != NULL)
		e->args[1] = compile_in_scope(c, name, len, &args[2].value, &e->var_slots[0]);
	if (e->args[0] == NULL || e->args[1] == NULL)
	{
		asp_expr_free(e);
		return NULL;
	}
	return e;
}

/* asp_eval_filter */
bool
asp_eval_filter(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t in;
	bson_iter_t it;
	asp_arr_builder ab;
	int			slot = e->var_slots[0];
	int64_t		remaining = -1;

	if (!asp_expr_eval(e->args[0], ctx, &in))
		return false;
	if (asp_value_is_nullish(&in))
	{
		asp_value_set_null(out);
		return true;
	}
	if (in.value_type != BSON_TYPE_ARRAY)
		return asp_eval_error(ctx, "input to $filter must be an array not %s", asp_type_name(in.value_type));
	if (in.value.v_doc.data_len <= 5)
	{
		*out = in;				/* empty array */
		return true;
	}
	if (e->nargs == 3)
	{
		bson_value_t lv;
		int32_t		limit;

		if (!asp_expr_eval(e->args[2], ctx, &lv))
			return false;
		if (!asp_value_is_nullish(&lv))
		{
			if (!asp_value_int32(&lv, &limit))
				return asp_eval_error(ctx, "$filter: limit must be represented as a 32-bit integral value: %s",
									  asp_describe(ctx, &lv));
			if (limit <= 0)
				return asp_eval_error(ctx, "$filter: limit must be greater than 0: %d", limit);
			remaining = limit;
		}
	}
	asp_arr_init(&ab);
	if (bson_iter_init_from_data(&it, in.value.v_doc.data, in.value.v_doc.data_len))
		while (remaining != 0 && bson_iter_next(&it))
		{
			bson_value_t r;
			bson_value_t elem = *bson_iter_value(&it);

			ctx->vars[slot] = elem;
			if (!asp_expr_eval(e->args[1], ctx, &r))
			{
				asp_arr_abort(&ab);
				return false;
			}
			if (asp_value_truthy(&r))
			{
				asp_arr_append(&ab, &elem);
				if (remaining > 0)
					remaining--;
			}
		}
	asp_arr_finish(&ab, ctx, out);
	return true;
}

/* ---------- $reduce ---------- */

/* asp_compile_reduce: {$reduce: {input, initialValue, in}} with $$this and $$value */
asp_expr *
asp_compile_reduce(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand)
{
	asp_named_arg args[3] = {{.name = "input"}, {.name = "initialValue"}, {.name = "in"}};
	asp_expr   *e;

	if (!asp_named_args_parse(c, "$reduce", operand, args, 3))
		return NULL;
	if (!args[0].present)
		return asp_expr_compile_error(c, "missing 'input' parameter to $reduce");
	if (!args[1].present)
		return asp_expr_compile_error(c, "missing 'initialValue' parameter to $reduce");
	if (!args[2].present)
		return asp_expr_compile_error(c, "missing 'in' parameter to $reduce");
	e = asp_expr_new(def->name, def->eval, 3);
	e->var_slots = malloc(2 * sizeof(int));
	if (e->var_slots == NULL)
		abort();
	e->args[0] = asp_expr_compile_value(c, &args[0].value);
	if (e->args[0] == NULL)
		goto fail;
	e->args[1] = asp_expr_compile_value(c, &args[1].value);
	if (e->args[1] == NULL)
		goto fail;
	e->var_slots[0] = asp_expr_push_var(c, "this", 4);
	if (e->var_slots[0] < 0)
		goto fail;
	e->var_slots[1] = asp_expr_push_var(c, "value", 5);
	if (e->var_slots[1] < 0)
	{
		asp_expr_pop_vars(c, 1);
		goto fail;
	}
	e->args[2] = asp_expr_compile_value(c, &args[2].value);
	asp_expr_pop_vars(c, 2);
	if (e->args[2] == NULL)
		goto fail;
	return e;

fail:
	asp_expr_free(e);
	return NULL;
}

/* asp_eval_reduce */
bool
asp_eval_reduce(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t in,
				acc;
	bson_iter_t it;

	if (!asp_expr_eval(e->args[0], ctx, &in))
		return false;
	if (asp_value_is_nullish(&in))
	{
		asp_value_set_null(out);
		return true;
	}
	if (in.value_type != BSON_TYPE_ARRAY)
		return asp_eval_error(ctx, "$reduce requires that 'input' be an array, found: %s",
							  asp_describe(ctx, &in));
	if (!asp_expr_eval(e->args[1], ctx, &acc))
		return false;
	if (bson_iter_init_from_data(&it, in.value.v_doc.data, in.value.v_doc.data_len))
		while (bson_iter_next(&it))
		{
			ctx->vars[e->var_slots[0]] = *bson_iter_value(&it);
			ctx->vars[e->var_slots[1]] = acc;
			if (!asp_expr_eval(e->args[2], ctx, &acc))
				return false;
		}
	*out = acc;
	return true;
}

/* ---------- $sortArray ---------- */

typedef struct sort_spec
{
	int			nkeys;			/* 0: sort by whole value */
	int			whole_dir;
	asp_path   *paths;
	int		   *dirs;
} sort_spec;

/* free_sort_spec: free a compiled sortBy */
static void
free_sort_spec(void *p)
{
	sort_spec  *s = p;
	int			i;

	for (i = 0; i < s->nkeys; i++)
		asp_path_destroy(&s->paths[i]);
	free(s->paths);
	free(s->dirs);
	free(s);
}

/* sort_direction: 1 or -1 from a sortBy value; 0 if invalid */
static int
sort_direction(const bson_value_t *v)
{
	int64_t		d;

	if (!asp_value_is_number(v) || !asp_value_as_int64_exact(v, &d) || (d != 1 && d != -1))
		return 0;
	return (int) d;
}

/* asp_compile_sort_array: {$sortArray: {input, sortBy}} */
asp_expr *
asp_compile_sort_array(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand)
{
	asp_named_arg args[2] = {{.name = "input"}, {.name = "sortBy"}};
	const bson_value_t *sb;
	sort_spec  *spec;
	asp_expr   *e;
	static const char *const bad_sort_by =
		"sortBy of $sortArray must be 1, -1 or an object of field paths to 1 or -1 such as {\"price\": -1}";

	if (!asp_named_args_parse(c, "$sortArray", operand, args, 2))
		return NULL;
	if (!args[0].present)
		return asp_expr_compile_error(c, "missing 'input' parameter to $sortArray");
	if (!args[1].present)
		return asp_expr_compile_error(c, "missing 'sortBy' parameter to $sortArray");
	sb = &args[1].value;
	spec = calloc(1, sizeof(sort_spec));
	if (spec == NULL)
		abort();
	if (asp_value_is_number(sb))
	{
		spec->whole_dir = sort_direction(sb);
		if (spec->whole_dir == 0)
		{
			free(spec);
			return asp_expr_compile_error(c, "%s", bad_sort_by);
		}
	}
	else if (sb->value_type == BSON_TYPE_DOCUMENT)
	{
		bson_iter_t it;
		int			n = 0;

		if (bson_iter_init_from_data(&it, sb->value.v_doc.data, sb->value.v_doc.data_len))
			while (bson_iter_next(&it))
				n++;
		if (n == 0)
		{
			free(spec);
			return asp_expr_compile_error(c, "%s", bad_sort_by);
		}
		spec->paths = calloc(n, sizeof(asp_path));
		spec->dirs = calloc(n, sizeof(int));
		if (spec->paths == NULL || spec->dirs == NULL)
			abort();
		bson_iter_init_from_data(&it, sb->value.v_doc.data, sb->value.v_doc.data_len);
		while (bson_iter_next(&it))
		{
			int			dir = sort_direction(bson_iter_value(&it));

			if (dir == 0)
			{
				free_sort_spec(spec);
				return asp_expr_compile_error(c, "%s", bad_sort_by);
			}
			if (!asp_path_init(&spec->paths[spec->nkeys], bson_iter_key(&it),
							   bson_iter_key_len(&it), "$sortArray sortBy field", c->err))
			{
				asp_error_where(c->err, -1, NULL, c->where);
				free_sort_spec(spec);
				return NULL;
			}
			spec->dirs[spec->nkeys++] = dir;
		}
	}
	else
	{
		free(spec);
		return asp_expr_compile_error(c, "%s", bad_sort_by);
	}
	e = asp_expr_new(def->name, def->eval, 1);
	e->data = spec;
	e->free_data = free_sort_spec;
	e->args[0] = asp_expr_compile_value(c, &args[0].value);
	if (e->args[0] == NULL)
	{
		asp_expr_free(e);
		return NULL;
	}
	return e;
}

/* key candidates along a path: min (asc) or max (desc) wins */
typedef struct key_pick
{
	int			dir;
	bool		found;
	bson_value_t best;
} key_pick;

/* key_offer: offer a key candidate */
static void
key_offer(key_pick *kp, const bson_value_t *v)
{
	int			c;

	if (!kp->found)
	{
		kp->best = *v;
		kp->found = true;
		return;
	}
	c = asp_value_compare(v, &kp->best);
	if ((kp->dir > 0 && c < 0) || (kp->dir < 0 && c > 0))
		kp->best = *v;
}

/* key_walk: MongoDB's sort key generation over arrays of documents */
static void
key_walk(const asp_path *p, int i, const bson_value_t *v, key_pick *kp)
{
	bson_iter_t it;
	bson_value_t null_value;

	null_value.value_type = BSON_TYPE_NULL;
	if (i == p->nparts)
	{
		if (v->value_type == BSON_TYPE_ARRAY)
		{
			bool		any = false;

			if (bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len))
				while (bson_iter_next(&it))
				{
					key_offer(kp, bson_iter_value(&it));
					any = true;
				}
			if (!any)
			{
				bson_value_t undef;

				undef.value_type = BSON_TYPE_UNDEFINED;
				key_offer(kp, &undef);
			}
		}
		else
			key_offer(kp, v);
		return;
	}
	if (v->value_type == BSON_TYPE_DOCUMENT)
	{
		bson_value_t f;

		if (asp_doc_get(v->value.v_doc.data, v->value.v_doc.data_len, p->parts[i].name,
						p->parts[i].len, &f))
			key_walk(p, i + 1, &f, kp);
		else
			key_offer(kp, &null_value);
	}
	else if (v->value_type == BSON_TYPE_ARRAY)
	{
		if (bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len))
			while (bson_iter_next(&it))
			{
				const bson_value_t *ev = bson_iter_value(&it);

				if (ev->value_type == BSON_TYPE_DOCUMENT || ev->value_type == BSON_TYPE_ARRAY)
				{
					bson_value_t copy = *ev;

					key_walk(p, i, &copy, kp);
				}
			}
	}
	else
		key_offer(kp, &null_value);
}

typedef struct sort_keys
{
	const sort_spec *spec;
	const bson_value_t *keys;	/* n * nkeys */
} sort_keys;

/* cmp_by_keys: compare element indexes by their sort keys */
static int
cmp_by_keys(const bson_value_t *a, const bson_value_t *b, void *arg)
{
	const sort_keys *sk = arg;
	int			nk = sk->spec->nkeys;
	int			k;

	for (k = 0; k < nk; k++)
	{
		int			c = asp_value_compare(&sk->keys[a->value.v_int32 * nk + k],
										  &sk->keys[b->value.v_int32 * nk + k]);

		if (c != 0)
			return c * sk->spec->dirs[k];
	}
	return 0;
}

/* cmp_whole: compare whole values in the sort direction */
static int
cmp_whole(const bson_value_t *a, const bson_value_t *b, void *arg)
{
	return asp_value_compare(a, b) * *(const int *) arg;
}

/* asp_eval_sort_array */
bool
asp_eval_sort_array(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	const sort_spec *spec = e->data;
	bson_value_t in;
	bson_value_t *elems;
	uint32_t	n,
				i;
	asp_arr_builder ab;

	if (!asp_expr_eval(e->args[0], ctx, &in))
		return false;
	if (asp_value_is_nullish(&in))
	{
		asp_value_set_null(out);
		return true;
	}
	if (in.value_type != BSON_TYPE_ARRAY)
		return asp_eval_error(ctx, "The input argument to $sortArray must be an array, but was of type: %s",
							  asp_type_name(in.value_type));
	n = asp_array_elements(ctx, &in, &elems);
	if (n < 2)
	{
		*out = in;
		return true;
	}
	asp_arr_init(&ab);
	if (spec->nkeys == 0)
	{
		asp_sort_values(ctx, elems, n, cmp_whole, (void *) &spec->whole_dir);
		for (i = 0; i < n; i++)
			asp_arr_append(&ab, &elems[i]);
	}
	else
	{
		bson_value_t *keys = asp_arena_alloc(ctx->arena, sizeof(bson_value_t) * n * spec->nkeys);
		bson_value_t *order = asp_arena_alloc(ctx->arena, sizeof(bson_value_t) * n);
		sort_keys	sk = {spec, keys};
		int			k;

		for (i = 0; i < n; i++)
		{
			for (k = 0; k < spec->nkeys; k++)
			{
				key_pick	kp = {spec->dirs[k], false, {0}};

				if (elems[i].value_type == BSON_TYPE_DOCUMENT)
					key_walk(&spec->paths[k], 0, &elems[i], &kp);
				if (!kp.found)
					kp.best.value_type = BSON_TYPE_NULL;
				keys[i * spec->nkeys + k] = kp.best;
			}
			asp_value_set_int32(&order[i], (int32_t) i);
		}
		asp_sort_values(ctx, order, n, cmp_by_keys, &sk);
		for (i = 0; i < n; i++)
			asp_arr_append(&ab, &elems[order[i].value.v_int32]);
	}
	asp_arr_finish(&ab, ctx, out);
	return true;
}

/* ---------- $zip ---------- */

typedef struct zip_data
{
	int			ninputs;
	int			ndefaults;
	bool		longest;
} zip_data;

/* count_array: elements of a BSON array literal */
static int
count_array(const bson_value_t *v)
{
	bson_iter_t it;
	int			n = 0;

	if (bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len))
		while (bson_iter_next(&it))
			n++;
	return n;
}

/* asp_compile_zip: {$zip: {inputs, useLongestLength, defaults}} */
asp_expr *
asp_compile_zip(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand)
{
	asp_named_arg args[3] = {{.name = "inputs"}, {.name = "useLongestLength"}, {.name = "defaults"}};
	zip_data   *zd;
	asp_expr   *e;
	int			ni,
				nd = 0,
				i = 0,
				k;
	bson_iter_t it;

	if (!asp_named_args_parse(c, "$zip", operand, args, 3))
		return NULL;
	if (!args[0].present)
		return asp_expr_compile_error(c, "missing 'inputs' parameter to $zip");
	if (args[0].value.value_type != BSON_TYPE_ARRAY)
		return asp_expr_compile_error(c, "inputs of $zip must be an array of expressions, found %s",
									  asp_type_name(args[0].value.value_type));
	ni = count_array(&args[0].value);
	if (ni == 0)
		return asp_expr_compile_error(c, "$zip requires at least one input array");
	if (args[1].present && args[1].value.value_type != BSON_TYPE_BOOL)
		return asp_expr_compile_error(c, "useLongestLength of $zip must be a bool, found %s",
									  asp_type_name(args[1].value.value_type));
	if (args[2].present)
	{
		if (args[2].value.value_type != BSON_TYPE_ARRAY)
			return asp_expr_compile_error(c, "defaults of $zip must be an array of expressions, found %s",
										  asp_type_name(args[2].value.value_type));
		if (!(args[1].present && args[1].value.value.v_bool))
			return asp_expr_compile_error(c, "$zip cannot have defaults unless useLongestLength is true");
		nd = count_array(&args[2].value);
		if (nd != ni)
			return asp_expr_compile_error(c, "defaults and inputs of $zip must have the same length");
	}
	e = asp_expr_new(def->name, def->eval, ni + nd);
	zd = calloc(1, sizeof(zip_data));
	if (zd == NULL)
		abort();
	zd->ninputs = ni;
	zd->ndefaults = nd;
	zd->longest = args[1].present && args[1].value.value.v_bool;
	e->data = zd;
	e->free_data = free;
	for (k = 0; k < (nd ? 3 : 1); k += 2)
	{
		bson_iter_init_from_data(&it, args[k].value.value.v_doc.data, args[k].value.value.v_doc.data_len);
		while (bson_iter_next(&it))
		{
			e->args[i] = asp_expr_compile_iter(c, &it);
			if (e->args[i] == NULL)
			{
				asp_expr_free(e);
				return NULL;
			}
			i++;
		}
	}
	return e;
}

/* asp_eval_zip */
bool
asp_eval_zip(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	const zip_data *zd = e->data;
	bson_value_t **cols = asp_arena_alloc(ctx->arena, sizeof(bson_value_t *) * zd->ninputs);
	uint32_t   *lens = asp_arena_alloc(ctx->arena, sizeof(uint32_t) * zd->ninputs);
	bson_value_t *defs = asp_arena_alloc(ctx->arena, sizeof(bson_value_t) * zd->ninputs);
	uint32_t	minlen = 0,
				maxlen = 0,
				rows,
				r;
	int			i;
	asp_arr_builder ab;

	for (i = 0; i < zd->ninputs; i++)
	{
		bson_value_t v;

		if (!asp_expr_eval(e->args[i], ctx, &v))
			return false;
		if (asp_value_is_nullish(&v))
		{
			asp_value_set_null(out);
			return true;
		}
		if (v.value_type != BSON_TYPE_ARRAY)
			return asp_eval_error(ctx, "$zip found a non-array expression in input: %s",
								  asp_describe(ctx, &v));
		lens[i] = asp_array_elements(ctx, &v, &cols[i]);
		if (i == 0 || lens[i] < minlen)
			minlen = lens[i];
		if (i == 0 || lens[i] > maxlen)
			maxlen = lens[i];
		defs[i].value_type = BSON_TYPE_NULL;
	}
	if (minlen != maxlen)
		for (i = 0; i < zd->ndefaults; i++)
			if (!asp_expr_eval(e->args[zd->ninputs + i], ctx, &defs[i]))
				return false;
	rows = zd->longest ? maxlen : minlen;
	asp_arr_init(&ab);
	for (r = 0; r < rows; r++)
	{
		asp_arr_builder row;
		char		kbuf[16];
		size_t		klen;
		const char *key = asp_array_key(ab.n++, kbuf, sizeof(kbuf), &klen);

		asp_arr_init(&row);
		for (i = 0; i < zd->ninputs; i++)
			asp_arr_append(&row, r < lens[i] ? &cols[i][r] : &defs[i]);
		bson_append_array(&ab.b, key, (int) klen, &row.b);
		bson_destroy(&row.b);
	}
	asp_arr_finish(&ab, ctx, out);
	return true;
}
