/*-------------------------------------------------------------------------
 *
 * expr_named.h
 *	  Helpers for operators with named arguments ({$filter: {input, as,
 *	  cond}}, {$convert: {input, to, onError}}, {$dateTrunc: {...}}).
 *
 * asp_named_args_parse() matches the fields of the operand object against
 * the operator's parameter names (unknown or repeated names are compile
 * errors); asp_named_args_compile() compiles the present ones into
 * e->args, in parameter order, and records where each one went in an
 * asp_named_idx at the start of e->data, so that the generic constant
 * folding of expr.c, which looks at e->args, keeps working.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_ENGINE_EXPR_NAMED_H
#define ASP_ENGINE_EXPR_NAMED_H

#include <stdlib.h>
#include <string.h>

#include "expr.h"

#define ASP_NAMED_MAX 16

typedef struct asp_named_arg
{
	const char *name;
	bson_value_t value;			/* BSON_TYPE_EOD when absent */
	bool		present;
} asp_named_arg;

/* must be the first member of an operator's e->data */
typedef struct asp_named_idx
{
	int8_t		idx[ASP_NAMED_MAX];	/* position in e->args, or -1 */
} asp_named_idx;

/*
 * asp_named_args_parse: fill args[].value/present from an object operand;
 * args[].name must be set by the caller.  Returns false after setting a
 * compile error.
 */
static inline bool
asp_named_args_parse(asp_expr_compiler *c, const char *op,
					 const bson_value_t *operand, asp_named_arg *args, int nargs)
{
	bson_iter_t it;
	int			i;

	for (i = 0; i < nargs; i++)
	{
		args[i].present = false;
		args[i].value.value_type = BSON_TYPE_EOD;
	}
	if (operand->value_type != BSON_TYPE_DOCUMENT)
	{
		asp_expr_compile_error(c, "%s only supports an object as its argument, not %s",
							   op, asp_type_name(operand->value_type));
		return false;
	}
	if (!bson_iter_init_from_data(&it, operand->value.v_doc.data, operand->value.v_doc.data_len))
	{
		asp_expr_compile_error(c, "%s: malformed argument object", op);
		return false;
	}
	while (bson_iter_next(&it))
	{
		const char *key = bson_iter_key(&it);

		for (i = 0; i < nargs; i++)
			if (strcmp(args[i].name, key) == 0)
				break;
		if (i == nargs)
		{
			asp_expr_compile_error(c, "unrecognized parameter to %s: %s", op, key);
			return false;
		}
		if (args[i].present)
		{
			asp_expr_compile_error(c, "duplicate parameter to %s: %s", op, key);
			return false;
		}
		args[i].present = true;
		args[i].value = *bson_iter_value(&it);
	}
	return true;
}

/*
 * asp_named_args_compile: a node whose args are the compiled present
 * arguments; e->data is a zeroed block of data_size bytes (at least
 * sizeof(asp_named_idx)) starting with the index table.  NULL on error.
 */
static inline asp_expr *
asp_named_args_compile(asp_expr_compiler *c, const char *opname, asp_expr_eval_fn eval,
					   const asp_named_arg *args, int nargs, size_t data_size)
{
	int			n = 0,
				i,
				j = 0;
	asp_expr   *e;
	asp_named_idx *ix;

	for (i = 0; i < nargs; i++)
		if (args[i].present)
			n++;
	e = asp_expr_new(opname, eval, n);
	if (data_size < sizeof(asp_named_idx))
		data_size = sizeof(asp_named_idx);
	ix = calloc(1, data_size);
	if (ix == NULL)
		abort();
	e->data = ix;
	e->free_data = free;
	for (i = 0; i < ASP_NAMED_MAX; i++)
		ix->idx[i] = -1;
	for (i = 0; i < nargs; i++)
	{
		if (!args[i].present)
			continue;
		e->args[j] = asp_expr_compile_value(c, &args[i].value);
		if (e->args[j] == NULL)
		{
			asp_expr_free(e);
			return NULL;
		}
		ix->idx[i] = (int8_t) j++;
	}
	return e;
}

/* asp_named_get: the compiled argument number k, or NULL if absent */
static inline const asp_expr *
asp_named_get(const asp_expr *e, int k)
{
	const asp_named_idx *ix = (const asp_named_idx *) e->data;

	return ix->idx[k] >= 0 ? e->args[ix->idx[k]] : NULL;
}

/* asp_named_const: the constant value of argument k, or NULL if absent or not constant */
static inline const bson_value_t *
asp_named_const(const asp_expr *e, int k)
{
	const asp_expr *a = asp_named_get(e, k);

	return (a != NULL && a->is_const) ? &a->constant : NULL;
}

#endif							/* ASP_ENGINE_EXPR_NAMED_H */
