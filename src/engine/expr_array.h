/*-------------------------------------------------------------------------
 *
 * expr_array.h
 *	  Internal interface of the array and object operators, which are split
 *	  over expr_array.c (the operator table, element access, sets),
 *	  expr_array_iter.c ($map, $filter, $reduce, $sortArray, $zip) and
 *	  expr_object.c ($mergeObjects, $getField, $setField, $unsetField,
 *	  $arrayToObject, $objectToArray).
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_ENGINE_EXPR_ARRAY_H
#define ASP_ENGINE_EXPR_ARRAY_H

#include "expr.h"

/* building an array result: missing elements become null */
typedef struct asp_arr_builder
{
	bson_t		b;
	uint32_t	n;
} asp_arr_builder;

static inline void
asp_arr_init(asp_arr_builder *ab)
{
	bson_init(&ab->b);
	ab->n = 0;
}

static inline void
asp_arr_append(asp_arr_builder *ab, const bson_value_t *v)
{
	char		kbuf[16];
	size_t		klen;
	const char *key = asp_array_key(ab->n++, kbuf, sizeof(kbuf), &klen);
	bson_value_t null_value;

	if (v->value_type == BSON_TYPE_EOD)
	{
		null_value.value_type = BSON_TYPE_NULL;
		v = &null_value;
	}
	asp_bson_append_value(&ab->b, key, (int) klen, v);
}

static inline void
asp_arr_finish(asp_arr_builder *ab, asp_eval_ctx *ctx, bson_value_t *out)
{
	asp_arena_take_bson(ctx->arena, &ab->b, BSON_TYPE_ARRAY, out);
}

static inline void
asp_arr_abort(asp_arr_builder *ab)
{
	bson_destroy(&ab->b);
}

/*
 * asp_array_elements: the elements of an array value as an arena vector
 * (values borrowed from the array); returns the count.
 */
extern uint32_t asp_array_elements(asp_eval_ctx *ctx, const bson_value_t *arr,
								   bson_value_t **elems);

/* asp_array_count: number of elements of an array value */
extern uint32_t asp_array_count(const bson_value_t *arr);

/*
 * asp_value_int32: MongoDB's Value::integral(): a number whose value is a
 * whole number representable as int32.
 */
extern bool asp_value_int32(const bson_value_t *v, int32_t *out);

/* asp_describe: a short rendering of a value for messages (arena string) */
extern const char *asp_describe(asp_eval_ctx *ctx, const bson_value_t *v);

/*
 * asp_sort_values: stable merge sort of n values with cmp(a, b, arg);
 * uses the arena for scratch space.
 */
typedef int (*asp_value_cmp_fn) (const bson_value_t *a, const bson_value_t *b, void *arg);
extern void asp_sort_values(asp_eval_ctx *ctx, bson_value_t *vals, uint32_t n,
							asp_value_cmp_fn cmp, void *arg);

/* operators implemented in expr_array_iter.c */
extern asp_expr *asp_compile_map(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand);
extern asp_expr *asp_compile_filter(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand);
extern asp_expr *asp_compile_reduce(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand);
extern asp_expr *asp_compile_sort_array(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand);
extern asp_expr *asp_compile_zip(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand);
extern bool asp_eval_map(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out);
extern bool asp_eval_filter(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out);
extern bool asp_eval_reduce(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out);
extern bool asp_eval_sort_array(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out);
extern bool asp_eval_zip(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out);

/* operators implemented in expr_object.c */
extern asp_expr *asp_compile_get_field(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand);
extern asp_expr *asp_compile_set_field(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand);
extern asp_expr *asp_compile_unset_field(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand);
extern bool asp_eval_merge_objects(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out);
extern bool asp_eval_get_field(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out);
extern bool asp_eval_set_field(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out);
extern bool asp_eval_array_to_object(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out);
extern bool asp_eval_object_to_array(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out);

#endif							/* ASP_ENGINE_EXPR_ARRAY_H */
