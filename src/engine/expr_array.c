/*-------------------------------------------------------------------------
 *
 * expr_array.c
 *	  Array and object operators: the operator table asp_ops_array, element
 *	  access ($size, $arrayElemAt, $first, $last, $slice, $in,
 *	  $indexOfArray, $isArray, $reverseArray, $concatArrays, $range) and
 *	  set operators ($setUnion, $setIntersection, $setDifference,
 *	  $setEquals, $setIsSubset, $anyElementTrue, $allElementsTrue).
 *
 * $map, $filter, $reduce, $sortArray and $zip live in expr_array_iter.c;
 * the object operators in expr_object.c.  Semantics and messages follow
 * MongoDB's evaluate_array.cpp.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "expr_array.h"

/* ---------- shared helpers ---------- */

/* asp_array_count: number of elements of an array value */
uint32_t
asp_array_count(const bson_value_t *arr)
{
	bson_iter_t it;
	uint32_t	n = 0;

	if (bson_iter_init_from_data(&it, arr->value.v_doc.data, arr->value.v_doc.data_len))
		while (bson_iter_next(&it))
			n++;
	return n;
}

/* asp_array_elements: elements of an array as an arena vector */
uint32_t
asp_array_elements(asp_eval_ctx *ctx, const bson_value_t *arr, bson_value_t **elems)
{
	uint32_t	n = asp_array_count(arr);
	uint32_t	i = 0;
	bson_iter_t it;

	*elems = asp_arena_alloc(ctx->arena, sizeof(bson_value_t) * (n ? n : 1));
	if (n > 0 && bson_iter_init_from_data(&it, arr->value.v_doc.data, arr->value.v_doc.data_len))
		while (bson_iter_next(&it) && i < n)
			(*elems)[i++] = *bson_iter_value(&it);
	return i;
}

/* asp_value_int32: Value::integral() */
bool
asp_value_int32(const bson_value_t *v, int32_t *out)
{
	int64_t		i;

	if (!asp_value_as_int64_exact(v, &i) || i < INT32_MIN || i > INT32_MAX)
		return false;
	*out = (int32_t) i;
	return true;
}

/* asp_describe: a value rendered for a message, in the arena */
const char *
asp_describe(asp_eval_ctx *ctx, const bson_value_t *v)
{
	char	   *buf = asp_arena_alloc(ctx->arena, 160);

	asp_value_describe(v, buf, 160);
	return buf;
}

/* asp_sort_values: stable merge sort */
void
asp_sort_values(asp_eval_ctx *ctx, bson_value_t *vals, uint32_t n,
				asp_value_cmp_fn cmp, void *arg)
{
	bson_value_t *tmp;
	uint32_t	width,
				i;

	if (n < 2)
		return;
	/* insertion sort for short runs */
	for (i = 1; i < n; i++)
	{
		uint32_t	j = i;

		if (n > 16)
			break;
		while (j > 0 && cmp(&vals[j - 1], &vals[j], arg) > 0)
		{
			bson_value_t t = vals[j - 1];

			vals[j - 1] = vals[j];
			vals[j] = t;
			j--;
		}
	}
	if (n <= 16)
		return;
	tmp = asp_arena_alloc(ctx->arena, sizeof(bson_value_t) * n);
	for (width = 1; width < n; width *= 2)
	{
		for (i = 0; i < n; i += 2 * width)
		{
			uint32_t	lo = i,
						mid = i + width < n ? i + width : n,
						hi = i + 2 * width < n ? i + 2 * width : n;
			uint32_t	a = lo,
						b = mid,
						k = lo;

			while (a < mid && b < hi)
				tmp[k++] = cmp(&vals[a], &vals[b], arg) <= 0 ? vals[a++] : vals[b++];
			while (a < mid)
				tmp[k++] = vals[a++];
			while (b < hi)
				tmp[k++] = vals[b++];
		}
		memcpy(vals, tmp, sizeof(bson_value_t) * n);
	}
}

/* cmp_plain: BSON order */
static int
cmp_plain(const bson_value_t *a, const bson_value_t *b, void *arg)
{
	(void) arg;
	return asp_value_compare(a, b);
}

/* ---------- element access ---------- */

/* eval_size: $size */
static bool
eval_size(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t v;

	if (!asp_expr_eval(e->args[0], ctx, &v))
		return false;
	if (v.value_type != BSON_TYPE_ARRAY)
		return asp_eval_error(ctx, "The argument to $size must be an array. Type of argument is %s",
							  asp_type_name(v.value_type));
	asp_value_set_int32(out, (int32_t) asp_array_count(&v));
	return true;
}

/* array_elem_at: MongoDB's arrayElemAt shared by $arrayElemAt, $first, $last */
static bool
array_elem_at(asp_eval_ctx *ctx, const char *op, bool unary, const bson_value_t *arr,
			  const bson_value_t *idx, bson_value_t *out)
{
	int32_t		i;
	uint32_t	n;
	bson_iter_t it;

	if (asp_value_is_nullish(arr) || asp_value_is_nullish(idx))
	{
		asp_value_set_null(out);
		return true;
	}
	if (arr->value_type != BSON_TYPE_ARRAY)
		return asp_eval_error(ctx, "%s's %s must be an array, but is %s", op,
							  unary ? "argument" : "first argument", asp_type_name(arr->value_type));
	if (!asp_value_is_number(idx))
		return asp_eval_error(ctx, "%s's second argument must be a numeric value, but is %s", op,
							  asp_type_name(idx->value_type));
	if (!asp_value_int32(idx, &i))
		return asp_eval_error(ctx, "%s's second argument must be representable as a 32-bit integer: %s",
							  op, asp_describe(ctx, idx));
	n = asp_array_count(arr);
	if (i < 0)
	{
		if ((uint32_t) -(int64_t) i > n)
		{
			asp_value_set_missing(out);
			return true;
		}
		i = (int32_t) (n + i);
	}
	if ((uint32_t) i >= n)
	{
		asp_value_set_missing(out);
		return true;
	}
	bson_iter_init_from_data(&it, arr->value.v_doc.data, arr->value.v_doc.data_len);
	while (bson_iter_next(&it))
		if (i-- == 0)
		{
			*out = *bson_iter_value(&it);
			return true;
		}
	asp_value_set_missing(out);
	return true;
}

/* eval_array_elem_at: $arrayElemAt */
static bool
eval_array_elem_at(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t v[2];

	if (!asp_eval_args(e, ctx, v))
		return false;
	return array_elem_at(ctx, "$arrayElemAt", false, &v[0], &v[1], out);
}

/* eval_first: $first of an array */
static bool
eval_first(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t v,
				idx;

	if (!asp_expr_eval(e->args[0], ctx, &v))
		return false;
	asp_value_set_int32(&idx, 0);
	return array_elem_at(ctx, "$first", true, &v, &idx, out);
}

/* eval_last: $last of an array */
static bool
eval_last(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t v,
				idx;

	if (!asp_expr_eval(e->args[0], ctx, &v))
		return false;
	asp_value_set_int32(&idx, -1);
	return array_elem_at(ctx, "$last", true, &v, &idx, out);
}

/* eval_in: $in */
static bool
eval_in(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t v[2];
	bson_iter_t it;

	if (!asp_eval_args(e, ctx, v))
		return false;
	if (v[1].value_type != BSON_TYPE_ARRAY)
		return asp_eval_error(ctx, "$in requires an array as a second argument, found: %s",
							  v[1].value_type == BSON_TYPE_EOD ? "missing" : asp_type_name(v[1].value_type));
	if (bson_iter_init_from_data(&it, v[1].value.v_doc.data, v[1].value.v_doc.data_len))
		while (bson_iter_next(&it))
			if (asp_value_equal(&v[0], bson_iter_value(&it)))
			{
				asp_value_set_bool(out, true);
				return true;
			}
	asp_value_set_bool(out, false);
	return true;
}

/* eval_concat_arrays: $concatArrays */
static bool
eval_concat_arrays(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	asp_arr_builder ab;
	int			i;

	asp_arr_init(&ab);
	for (i = 0; i < e->nargs; i++)
	{
		bson_value_t v;
		bson_iter_t it;

		if (!asp_expr_eval(e->args[i], ctx, &v))
		{
			asp_arr_abort(&ab);
			return false;
		}
		if (asp_value_is_nullish(&v))
		{
			asp_arr_abort(&ab);
			asp_value_set_null(out);
			return true;
		}
		if (v.value_type != BSON_TYPE_ARRAY)
		{
			asp_arr_abort(&ab);
			return asp_eval_error(ctx, "$concatArrays only supports arrays, not %s",
								  asp_type_name(v.value_type));
		}
		if (bson_iter_init_from_data(&it, v.value.v_doc.data, v.value.v_doc.data_len))
			while (bson_iter_next(&it))
				asp_arr_append(&ab, bson_iter_value(&it));
	}
	asp_arr_finish(&ab, ctx, out);
	return true;
}

/* build_slice: elements [start, end) of an array */
static void
build_slice(asp_eval_ctx *ctx, const bson_value_t *arr, uint32_t start, uint32_t end,
			bson_value_t *out)
{
	asp_arr_builder ab;
	bson_iter_t it;
	uint32_t	i = 0;

	asp_arr_init(&ab);
	if (bson_iter_init_from_data(&it, arr->value.v_doc.data, arr->value.v_doc.data_len))
		while (bson_iter_next(&it) && i < end)
		{
			if (i >= start)
				asp_arr_append(&ab, bson_iter_value(&it));
			i++;
		}
	asp_arr_finish(&ab, ctx, out);
}

/* eval_slice: $slice: [array, n] and [array, position, n] */
static bool
eval_slice(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t arr,
				arg2;
	int32_t		a2;
	uint32_t	n,
				start,
				end;

	if (!asp_expr_eval(e->args[0], ctx, &arr) || !asp_expr_eval(e->args[1], ctx, &arg2))
		return false;
	if (asp_value_is_nullish(&arr) || asp_value_is_nullish(&arg2))
	{
		asp_value_set_null(out);
		return true;
	}
	if (arr.value_type != BSON_TYPE_ARRAY)
		return asp_eval_error(ctx, "First argument to $slice must be an array, but is of type: %s",
							  asp_type_name(arr.value_type));
	if (!asp_value_is_number(&arg2))
		return asp_eval_error(ctx, "Second argument to $slice must be a numeric value, but is of type: %s",
							  asp_type_name(arg2.value_type));
	if (!asp_value_int32(&arg2, &a2))
		return asp_eval_error(ctx, "Second argument to $slice can't be represented as a 32-bit integer: %s",
							  asp_describe(ctx, &arg2));
	n = asp_array_count(&arr);
	if (e->nargs == 2)
	{
		start = 0;
		end = n;
		if (a2 >= 0)
			end = (uint32_t) a2 < n ? (uint32_t) a2 : n;
		else
			start = (int64_t) n + a2 > 0 ? (uint32_t) ((int64_t) n + a2) : 0;
	}
	else
	{
		bson_value_t cv;
		int32_t		count;

		if (a2 < 0)
			start = (int64_t) n + a2 > 0 ? (uint32_t) ((int64_t) n + a2) : 0;
		else
			start = (uint32_t) a2 < n ? (uint32_t) a2 : n;
		if (!asp_expr_eval(e->args[2], ctx, &cv))
			return false;
		if (asp_value_is_nullish(&cv))
		{
			asp_value_set_null(out);
			return true;
		}
		if (!asp_value_is_number(&cv))
			return asp_eval_error(ctx, "Third argument to $slice must be numeric, but is of type: %s",
								  asp_type_name(cv.value_type));
		if (!asp_value_int32(&cv, &count))
			return asp_eval_error(ctx, "Third argument to $slice can't be represented as a 32-bit integer: %s",
								  asp_describe(ctx, &cv));
		if (count <= 0)
			return asp_eval_error(ctx, "Third argument to $slice must be positive: %d", count);
		end = (uint64_t) start + (uint32_t) count < n ? start + (uint32_t) count : n;
	}
	build_slice(ctx, &arr, start, end, out);
	return true;
}

/* eval_is_array: $isArray */
static bool
eval_is_array(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t v;

	if (!asp_expr_eval(e->args[0], ctx, &v))
		return false;
	asp_value_set_bool(out, v.value_type == BSON_TYPE_ARRAY);
	return true;
}

/* eval_reverse_array: $reverseArray */
static bool
eval_reverse_array(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t v;
	bson_value_t *elems;
	uint32_t	n,
				i;
	asp_arr_builder ab;

	if (!asp_expr_eval(e->args[0], ctx, &v))
		return false;
	if (asp_value_is_nullish(&v))
	{
		asp_value_set_null(out);
		return true;
	}
	if (v.value_type != BSON_TYPE_ARRAY)
		return asp_eval_error(ctx, "The argument to $reverseArray must be an array, but was of type: %s",
							  asp_type_name(v.value_type));
	n = asp_array_elements(ctx, &v, &elems);
	if (n < 2)
	{
		*out = v;
		return true;
	}
	asp_arr_init(&ab);
	for (i = n; i > 0; i--)
		asp_arr_append(&ab, &elems[i - 1]);
	asp_arr_finish(&ab, ctx, out);
	return true;
}

/* eval_range: $range: [start, end, step?] of int32 */
static bool
eval_range(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t v[3];
	int32_t		start,
				end,
				step = 1;
	int64_t		cur,
				count,
				bytes;
	asp_arr_builder ab;

	if (!asp_eval_args(e, ctx, v))
		return false;
	if (!asp_value_is_number(&v[0]))
		return asp_eval_error(ctx, "$range requires a numeric starting value, found value of type: %s",
							  asp_type_name(v[0].value_type));
	if (!asp_value_int32(&v[0], &start))
		return asp_eval_error(ctx, "$range requires a starting value that can be represented as a 32-bit integer, found value: %s",
							  asp_describe(ctx, &v[0]));
	if (!asp_value_is_number(&v[1]))
		return asp_eval_error(ctx, "$range requires a numeric ending value, found value of type: %s",
							  asp_type_name(v[1].value_type));
	if (!asp_value_int32(&v[1], &end))
		return asp_eval_error(ctx, "$range requires an ending value that can be represented as a 32-bit integer, found value: %s",
							  asp_describe(ctx, &v[1]));
	if (e->nargs == 3)
	{
		if (!asp_value_is_number(&v[2]))
			return asp_eval_error(ctx, "$range requires a numeric step value, found value of type: %s",
								  asp_type_name(v[2].value_type));
		if (!asp_value_int32(&v[2], &step))
			return asp_eval_error(ctx, "$range requires a step value that can be represented as a 32-bit integer, found value: %s",
								  asp_describe(ctx, &v[2]));
		if (step == 0)
			return asp_eval_error(ctx, "$range requires a non-zero step value");
	}
	count = 0;
	if ((step > 0 && end > start) || (step < 0 && end < start))
		count = ((int64_t) end - start + step + (step > 0 ? -1 : 1)) / step;
	/* element: type byte, key (up to 10 digits) and NUL, 4 bytes */
	bytes = count * 16;
	if (bytes > ASP_MAX_BSON_SIZE)
		return asp_eval_error(ctx, "$range would produce an array of %lld elements, larger than the 16MB document limit",
							  (long long) count);
	asp_arr_init(&ab);
	for (cur = start; count-- > 0; cur += step)
	{
		bson_value_t iv;

		asp_value_set_int32(&iv, (int32_t) cur);
		asp_arr_append(&ab, &iv);
	}
	asp_arr_finish(&ab, ctx, out);
	return true;
}

/* index_arg: an $indexOfArray start/end index */
static bool
index_arg(asp_eval_ctx *ctx, const bson_value_t *v, const char *what, int32_t *out)
{
	if (!asp_value_int32(v, out))
		return asp_eval_error(ctx, "$indexOfArray requires an integral %s, found a value of type: %s, with value: %s",
							  what, asp_type_name(v->value_type), asp_describe(ctx, v));
	if (*out < 0)
		return asp_eval_error(ctx, "$indexOfArray requires a nonnegative %s, found: %d", what, *out);
	return true;
}

/* eval_index_of_array: $indexOfArray: [array, value, start?, end?] */
static bool
eval_index_of_array(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t arr,
				target,
				iv;
	bson_value_t *elems;
	uint32_t	n;
	int32_t		start = 0,
				end,
				i;

	if (!asp_expr_eval(e->args[0], ctx, &arr))
		return false;
	if (asp_value_is_nullish(&arr))
	{
		asp_value_set_null(out);
		return true;
	}
	if (arr.value_type != BSON_TYPE_ARRAY)
		return asp_eval_error(ctx, "$indexOfArray requires an array as a first argument, found: %s",
							  asp_type_name(arr.value_type));
	n = asp_array_elements(ctx, &arr, &elems);
	end = (int32_t) n;
	if (e->nargs > 2)
	{
		if (!asp_expr_eval(e->args[2], ctx, &iv) || !index_arg(ctx, &iv, "starting index", &start))
			return false;
	}
	if (e->nargs > 3)
	{
		int32_t		ev;

		if (!asp_expr_eval(e->args[3], ctx, &iv) || !index_arg(ctx, &iv, "ending index", &ev))
			return false;
		if (ev < end)
			end = ev;
	}
	if (!asp_expr_eval(e->args[1], ctx, &target))
		return false;
	for (i = start; i < end; i++)
		if (asp_value_equal(&elems[i], &target))
		{
			asp_value_set_int32(out, i);
			return true;
		}
	asp_value_set_int32(out, -1);
	return true;
}

/* ---------- sets ---------- */

/* sorted_unique: sort and deduplicate (MongoDB's ordered ValueSet) */
static uint32_t
sorted_unique(asp_eval_ctx *ctx, bson_value_t *vals, uint32_t n)
{
	uint32_t	i,
				k = 0;

	asp_sort_values(ctx, vals, n, cmp_plain, NULL);
	for (i = 0; i < n; i++)
		if (k == 0 || asp_value_compare(&vals[k - 1], &vals[i]) != 0)
			vals[k++] = vals[i];
	return k;
}

/* set_contains: binary search in a sorted unique vector */
static bool
set_contains(const bson_value_t *set, uint32_t n, const bson_value_t *v)
{
	uint32_t	lo = 0,
				hi = n;

	while (lo < hi)
	{
		uint32_t	mid = (lo + hi) / 2;
		int			c = asp_value_compare(&set[mid], v);

		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* emit_array: an array of n values */
static void
emit_array(asp_eval_ctx *ctx, const bson_value_t *vals, uint32_t n, bson_value_t *out)
{
	asp_arr_builder ab;
	uint32_t	i;

	asp_arr_init(&ab);
	for (i = 0; i < n; i++)
		asp_arr_append(&ab, &vals[i]);
	asp_arr_finish(&ab, ctx, out);
}

/* eval_set_union_or_intersection: $setUnion and $setIntersection */
static bool
eval_set_union_or_intersection(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out, bool is_union)
{
	bson_value_t *acc = NULL;
	uint32_t	nacc = 0;
	int			i;

	for (i = 0; i < e->nargs; i++)
	{
		bson_value_t v;
		bson_value_t *elems;
		uint32_t	n;

		if (!asp_expr_eval(e->args[i], ctx, &v))
			return false;
		if (asp_value_is_nullish(&v))
		{
			asp_value_set_null(out);
			return true;
		}
		if (v.value_type != BSON_TYPE_ARRAY)
			return asp_eval_error(ctx, "All operands of %s must be arrays. One argument is of type: %s",
								  is_union ? "$setUnion" : "$setIntersection", asp_type_name(v.value_type));
		n = asp_array_elements(ctx, &v, &elems);
		n = sorted_unique(ctx, elems, n);
		if (i == 0)
		{
			acc = elems;
			nacc = n;
		}
		else if (is_union)
		{
			bson_value_t *m = asp_arena_alloc(ctx->arena, sizeof(bson_value_t) * (nacc + n + 1));

			memcpy(m, acc, sizeof(bson_value_t) * nacc);
			memcpy(m + nacc, elems, sizeof(bson_value_t) * n);
			acc = m;
			nacc = sorted_unique(ctx, m, nacc + n);
		}
		else
		{
			uint32_t	k = 0,
						j;

			for (j = 0; j < nacc; j++)
				if (set_contains(elems, n, &acc[j]))
					acc[k++] = acc[j];
			nacc = k;
		}
	}
	emit_array(ctx, acc, nacc, out);
	return true;
}

/* eval_set_union: $setUnion */
static bool
eval_set_union(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	return eval_set_union_or_intersection(e, ctx, out, true);
}

/* eval_set_intersection: $setIntersection */
static bool
eval_set_intersection(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	return eval_set_union_or_intersection(e, ctx, out, false);
}

/* eval_set_difference: $setDifference: elements of the first not in the second, first-seen order */
static bool
eval_set_difference(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t v[2];
	bson_value_t *l,
			   *r,
			   *seen;
	uint32_t	nl,
				nr,
				i;
	asp_arr_builder ab;

	if (!asp_eval_args(e, ctx, v))
		return false;
	if (asp_value_is_nullish(&v[0]) || asp_value_is_nullish(&v[1]))
	{
		asp_value_set_null(out);
		return true;
	}
	if (v[0].value_type != BSON_TYPE_ARRAY)
		return asp_eval_error(ctx, "both operands of $setDifference must be arrays. First argument is of type: %s",
							  asp_type_name(v[0].value_type));
	if (v[1].value_type != BSON_TYPE_ARRAY)
		return asp_eval_error(ctx, "both operands of $setDifference must be arrays. Second argument is of type: %s",
							  asp_type_name(v[1].value_type));
	nl = asp_array_elements(ctx, &v[0], &l);
	nr = asp_array_elements(ctx, &v[1], &r);
	nr = sorted_unique(ctx, r, nr);
	/* seen: the elements of l already emitted, kept sorted for lookups */
	seen = asp_arena_alloc(ctx->arena, sizeof(bson_value_t) * (nl + 1));
	asp_arr_init(&ab);
	{
		uint32_t	nseen = 0;

		for (i = 0; i < nl; i++)
		{
			uint32_t	pos;

			if (set_contains(r, nr, &l[i]) || set_contains(seen, nseen, &l[i]))
				continue;
			asp_arr_append(&ab, &l[i]);
			/* insert into seen keeping it sorted */
			pos = nseen;
			while (pos > 0 && asp_value_compare(&seen[pos - 1], &l[i]) > 0)
			{
				seen[pos] = seen[pos - 1];
				pos--;
			}
			seen[pos] = l[i];
			nseen++;
		}
	}
	asp_arr_finish(&ab, ctx, out);
	return true;
}

/* eval_set_equals: $setEquals: all arrays hold the same set */
static bool
eval_set_equals(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t *first = NULL;
	uint32_t	nfirst = 0;
	int			i;

	for (i = 0; i < e->nargs; i++)
	{
		bson_value_t v;
		bson_value_t *elems;
		uint32_t	n,
					j;

		if (!asp_expr_eval(e->args[i], ctx, &v))
			return false;
		if (v.value_type != BSON_TYPE_ARRAY)
			return asp_eval_error(ctx, "All operands of $setEquals must be arrays. %d-th argument is of type: %s",
								  i + 1, asp_type_name(v.value_type));
		n = asp_array_elements(ctx, &v, &elems);
		n = sorted_unique(ctx, elems, n);
		if (i == 0)
		{
			first = elems;
			nfirst = n;
			continue;
		}
		if (n != nfirst)
		{
			asp_value_set_bool(out, false);
			return true;
		}
		for (j = 0; j < n; j++)
			if (asp_value_compare(&elems[j], &first[j]) != 0)
			{
				asp_value_set_bool(out, false);
				return true;
			}
	}
	asp_value_set_bool(out, true);
	return true;
}

/* eval_set_is_subset: $setIsSubset */
static bool
eval_set_is_subset(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t v[2];
	bson_value_t *l,
			   *r;
	uint32_t	nl,
				nr,
				i;

	if (!asp_expr_eval(e->args[0], ctx, &v[0]))
		return false;
	if (v[0].value_type != BSON_TYPE_ARRAY)
		return asp_eval_error(ctx, "both operands of $setIsSubset must be arrays. First argument is of type: %s",
							  asp_type_name(v[0].value_type));
	if (!asp_expr_eval(e->args[1], ctx, &v[1]))
		return false;
	if (v[1].value_type != BSON_TYPE_ARRAY)
		return asp_eval_error(ctx, "both operands of $setIsSubset must be arrays. Second argument is of type: %s",
							  asp_type_name(v[1].value_type));
	nl = asp_array_elements(ctx, &v[0], &l);
	nr = asp_array_elements(ctx, &v[1], &r);
	nr = sorted_unique(ctx, r, nr);
	for (i = 0; i < nl; i++)
		if (!set_contains(r, nr, &l[i]))
		{
			asp_value_set_bool(out, false);
			return true;
		}
	asp_value_set_bool(out, true);
	return true;
}

/* eval_elements_true: $anyElementTrue / $allElementsTrue */
static bool
eval_elements_true(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out, bool any)
{
	bson_value_t v;
	bson_iter_t it;

	if (!asp_expr_eval(e->args[0], ctx, &v))
		return false;
	if (v.value_type != BSON_TYPE_ARRAY)
		return asp_eval_error(ctx, "%s's argument must be an array, but is %s",
							  any ? "$anyElementTrue" : "$allElementsTrue",
							  v.value_type == BSON_TYPE_EOD ? "missing" : asp_type_name(v.value_type));
	if (bson_iter_init_from_data(&it, v.value.v_doc.data, v.value.v_doc.data_len))
		while (bson_iter_next(&it))
			if (asp_value_truthy(bson_iter_value(&it)) == any)
			{
				asp_value_set_bool(out, any);
				return true;
			}
	asp_value_set_bool(out, !any);
	return true;
}

/* eval_any_element_true: $anyElementTrue */
static bool
eval_any_element_true(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	return eval_elements_true(e, ctx, out, true);
}

/* eval_all_elements_true: $allElementsTrue */
static bool
eval_all_elements_true(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	return eval_elements_true(e, ctx, out, false);
}

const asp_op_def asp_ops_array[] = {
	{"$size", eval_size, 1, 1, NULL, true},
	{"$arrayElemAt", eval_array_elem_at, 2, 2, NULL, true},
	{"$first", eval_first, 1, 1, NULL, true},
	{"$last", eval_last, 1, 1, NULL, true},
	{"$in", eval_in, 2, 2, NULL, true},
	{"$concatArrays", eval_concat_arrays, 0, -1, NULL, true},
	{"$slice", eval_slice, 2, 3, NULL, true},
	{"$isArray", eval_is_array, 1, 1, NULL, true},
	{"$reverseArray", eval_reverse_array, 1, 1, NULL, true},
	{"$range", eval_range, 2, 3, NULL, true},
	{"$indexOfArray", eval_index_of_array, 2, 4, NULL, true},
	{"$map", asp_eval_map, 0, 0, asp_compile_map, true},
	{"$filter", asp_eval_filter, 0, 0, asp_compile_filter, true},
	{"$reduce", asp_eval_reduce, 0, 0, asp_compile_reduce, true},
	{"$sortArray", asp_eval_sort_array, 0, 0, asp_compile_sort_array, true},
	{"$zip", asp_eval_zip, 0, 0, asp_compile_zip, true},
	{"$setUnion", eval_set_union, 0, -1, NULL, true},
	{"$setIntersection", eval_set_intersection, 0, -1, NULL, true},
	{"$setDifference", eval_set_difference, 2, 2, NULL, true},
	{"$setEquals", eval_set_equals, 2, -1, NULL, true},
	{"$setIsSubset", eval_set_is_subset, 2, 2, NULL, true},
	{"$anyElementTrue", eval_any_element_true, 1, 1, NULL, true},
	{"$allElementsTrue", eval_all_elements_true, 1, 1, NULL, true},
	{"$mergeObjects", asp_eval_merge_objects, 0, -1, NULL, true},
	{"$objectToArray", asp_eval_object_to_array, 1, 1, NULL, true},
	{"$arrayToObject", asp_eval_array_to_object, 1, 1, NULL, true},
	{"$getField", asp_eval_get_field, 0, 0, asp_compile_get_field, true},
	{"$setField", asp_eval_set_field, 0, 0, asp_compile_set_field, true},
	{"$unsetField", asp_eval_set_field, 0, 0, asp_compile_unset_field, true},
	{NULL, NULL, 0, 0, NULL, false}
};
