/*-------------------------------------------------------------------------
 *
 * expr_logic.c
 *	  Comparison, boolean and conditional expression operators: $eq $ne
 *	  $gt $gte $lt $lte $cmp, $and $or $not, $cond $ifNull $switch.
 *
 * Comparisons use MongoDB's full BSON order (asp_value_compare): unlike
 * query operators there is no type bracketing, so {$gt: ["a", 1]} is true
 * and a missing field sorts below null.  $and and $or short-circuit;
 * truth is MongoDB's coerceToBool (asp_value_truthy).
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "expr.h"

/* ---------- comparison ---------- */

/* compare_args: evaluate both operands and compare them (-1, 0, 1) */
static bool
compare_args(const asp_expr *e, asp_eval_ctx *ctx, int *cmp)
{
	bson_value_t v[2];
	int			c;

	if (!asp_eval_args(e, ctx, v))
		return false;
	c = asp_value_compare(&v[0], &v[1]);
	*cmp = c < 0 ? -1 : (c > 0 ? 1 : 0);
	return true;
}

/*
 * DEFINE_COMPARISON: eval_eq, eval_ne, eval_gt, eval_gte, eval_lt and
 * eval_lte, each testing the -1/0/1 result of compare_args.
 */
#define DEFINE_COMPARISON(fname, test) \
static bool \
fname(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out) \
{ \
	int			cmp; \
\
	if (!compare_args(e, ctx, &cmp)) \
		return false; \
	asp_value_set_bool(out, (test)); \
	return true; \
}

DEFINE_COMPARISON(eval_eq, cmp == 0)
DEFINE_COMPARISON(eval_ne, cmp != 0)
DEFINE_COMPARISON(eval_gt, cmp > 0)
DEFINE_COMPARISON(eval_gte, cmp >= 0)
DEFINE_COMPARISON(eval_lt, cmp < 0)
DEFINE_COMPARISON(eval_lte, cmp <= 0)

/* eval_cmp: $cmp: -1, 0 or 1 */
static bool
eval_cmp(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	int			cmp;

	if (!compare_args(e, ctx, &cmp))
		return false;
	asp_value_set_int32(out, cmp);
	return true;
}

/* ---------- boolean ---------- */

/* eval_and: $and, stopping at the first false operand */
static bool
eval_and(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	int			i;

	for (i = 0; i < e->nargs; i++)
	{
		bson_value_t v;

		if (!asp_expr_eval(e->args[i], ctx, &v))
			return false;
		if (!asp_value_truthy(&v))
		{
			asp_value_set_bool(out, false);
			return true;
		}
	}
	asp_value_set_bool(out, true);
	return true;
}

/* eval_or: $or, stopping at the first true operand */
static bool
eval_or(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	int			i;

	for (i = 0; i < e->nargs; i++)
	{
		bson_value_t v;

		if (!asp_expr_eval(e->args[i], ctx, &v))
			return false;
		if (asp_value_truthy(&v))
		{
			asp_value_set_bool(out, true);
			return true;
		}
	}
	asp_value_set_bool(out, false);
	return true;
}

/* eval_not: $not */
static bool
eval_not(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t v;

	if (!asp_expr_eval(e->args[0], ctx, &v))
		return false;
	asp_value_set_bool(out, !asp_value_truthy(&v));
	return true;
}

/* ---------- $cond ---------- */

/* eval_cond: $cond; only the chosen branch is evaluated */
static bool
eval_cond(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t v;

	if (!asp_expr_eval(e->args[0], ctx, &v))
		return false;
	return asp_expr_eval(e->args[asp_value_truthy(&v) ? 1 : 2], ctx, out);
}

/* count_elements: number of fields of a document or array value */
static int
count_elements(const bson_value_t *v)
{
	bson_iter_t it;
	int			n = 0;

	if (bson_iter_init_from_data(&it, v->value.v_doc.data, v->value.v_doc.data_len))
		while (bson_iter_next(&it))
			n++;
	return n;
}

/* compile_list: compile the n elements of an array value into e->args */
static bool
compile_list(asp_expr_compiler *c, const bson_value_t *arr, asp_expr *e, int first)
{
	bson_iter_t it;
	int			i = first;

	if (!bson_iter_init_from_data(&it, arr->value.v_doc.data, arr->value.v_doc.data_len))
		return false;
	while (bson_iter_next(&it))
	{
		e->args[i] = asp_expr_compile_iter(c, &it);
		if (e->args[i] == NULL)
			return false;
		i++;
	}
	return true;
}

/*
 * compile_cond: {$cond: [if, then, else]} or {$cond: {if, then, else}};
 * all three are required.
 */
static asp_expr *
compile_cond(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand)
{
	asp_expr   *e;
	bson_iter_t it;
	bson_value_t parts[3];
	static const char *const names[3] = {"if", "then", "else"};
	bool		seen[3] = {false, false, false};
	int			i;

	if (operand->value_type != BSON_TYPE_DOCUMENT)
	{
		int			n = operand->value_type == BSON_TYPE_ARRAY ? count_elements(operand) : 1;

		if (n != 3)
		{
			asp_expr_compile_error(c, "expression $cond takes exactly 3 arguments, %d were passed in", n);
			asp_error_hint(c->err, "Write {\"$cond\": [<if>, <then>, <else>]} or {\"$cond\": {\"if\": ..., \"then\": ..., \"else\": ...}}.");
			return NULL;
		}
		e = asp_expr_new(def->name, def->eval, 3);
		if (!compile_list(c, operand, e, 0))
		{
			asp_expr_free(e);
			return NULL;
		}
		return e;
	}

	bson_iter_init_from_data(&it, operand->value.v_doc.data, operand->value.v_doc.data_len);
	while (bson_iter_next(&it))
	{
		const char *key = bson_iter_key(&it);

		for (i = 0; i < 3; i++)
			if (strcmp(key, names[i]) == 0)
				break;
		if (i == 3)
		{
			asp_expr_compile_error(c, "unrecognized parameter to $cond: %s", key);
			asp_error_hint(c->err, "$cond takes 'if', 'then' and 'else'.");
			return NULL;
		}
		parts[i] = *bson_iter_value(&it);
		seen[i] = true;
	}
	for (i = 0; i < 3; i++)
		if (!seen[i])
		{
			asp_expr_compile_error(c, "$cond requires 'if', 'then' and 'else'");
			asp_error_detail(c->err, "'%s' is missing.", names[i]);
			return NULL;
		}
	e = asp_expr_new(def->name, def->eval, 3);
	for (i = 0; i < 3; i++)
	{
		e->args[i] = asp_expr_compile_value(c, &parts[i]);
		if (e->args[i] == NULL)
		{
			asp_expr_free(e);
			return NULL;
		}
	}
	return e;
}

/* ---------- $ifNull ---------- */

/* eval_if_null: $ifNull: the first operand that is neither null nor missing */
static bool
eval_if_null(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	int			i;

	for (i = 0; i < e->nargs; i++)
	{
		if (!asp_expr_eval(e->args[i], ctx, out))
			return false;
		if (!asp_value_is_nullish(out))
			return true;
	}
	/* the last operand is the replacement, even if it is null or missing */
	return true;
}

/* ---------- $switch ---------- */

/*
 * A compiled $switch has args case0, then0, case1, then1, ... and, when
 * nargs is odd, the default last.
 */
static bool
eval_switch(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	int			nbranches = e->nargs / 2;
	int			i;

	for (i = 0; i < nbranches; i++)
	{
		bson_value_t v;

		if (!asp_expr_eval(e->args[2 * i], ctx, &v))
			return false;
		if (asp_value_truthy(&v))
			return asp_expr_eval(e->args[2 * i + 1], ctx, out);
	}
	if (e->nargs % 2 == 0)
		return asp_eval_error(ctx, "$switch could not find a matching branch for an input, and no default was specified.");
	return asp_expr_eval(e->args[e->nargs - 1], ctx, out);
}

/* compile_branch: one {case, then} object into args[at], args[at + 1] */
static bool
compile_branch(asp_expr_compiler *c, const bson_value_t *branch, asp_expr *e, int at)
{
	bson_iter_t it;
	bson_value_t case_v,
				then_v;
	bool		has_case = false,
				has_then = false;

	if (branch->value_type != BSON_TYPE_DOCUMENT)
	{
		asp_expr_compile_error(c, "$switch expected each branch to be an object, found: %s",
							   asp_type_name(branch->value_type));
		asp_error_hint(c->err, "Each branch is {\"case\": <condition>, \"then\": <value>}.");
		return false;
	}
	bson_iter_init_from_data(&it, branch->value.v_doc.data, branch->value.v_doc.data_len);
	while (bson_iter_next(&it))
	{
		if (strcmp(bson_iter_key(&it), "case") == 0)
		{
			case_v = *bson_iter_value(&it);
			has_case = true;
		}
		else if (strcmp(bson_iter_key(&it), "then") == 0)
		{
			then_v = *bson_iter_value(&it);
			has_then = true;
		}
		else
		{
			asp_expr_compile_error(c, "unrecognized parameter to a $switch branch: %s",
								   bson_iter_key(&it));
			asp_error_hint(c->err, "Each branch is {\"case\": <condition>, \"then\": <value>}.");
			return false;
		}
	}
	if (!has_case)
	{
		asp_expr_compile_error(c, "$switch requires each branch have a 'case' expression");
		return false;
	}
	if (!has_then)
	{
		asp_expr_compile_error(c, "$switch requires each branch have a 'then' expression");
		return false;
	}
	e->args[at] = asp_expr_compile_value(c, &case_v);
	if (e->args[at] == NULL)
		return false;
	e->args[at + 1] = asp_expr_compile_value(c, &then_v);
	return e->args[at + 1] != NULL;
}

/* compile_switch: {$switch: {branches: [{case, then}, ...], default}} */
static asp_expr *
compile_switch(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand)
{
	bson_iter_t it;
	bson_value_t branches,
				dflt;
	bool		has_branches = false,
				has_default = false,
				all_false;
	int			n,
				i;
	asp_expr   *e;

	if (operand->value_type != BSON_TYPE_DOCUMENT)
	{
		asp_expr_compile_error(c, "$switch requires an object as an argument, found: %s",
							   asp_type_name(operand->value_type));
		asp_error_hint(c->err, "Write {\"$switch\": {\"branches\": [{\"case\": ..., \"then\": ...}], \"default\": ...}}.");
		return NULL;
	}
	bson_iter_init_from_data(&it, operand->value.v_doc.data, operand->value.v_doc.data_len);
	while (bson_iter_next(&it))
	{
		const char *key = bson_iter_key(&it);

		if (strcmp(key, "branches") == 0)
		{
			branches = *bson_iter_value(&it);
			has_branches = true;
			if (branches.value_type != BSON_TYPE_ARRAY)
			{
				asp_expr_compile_error(c, "$switch expected an array for 'branches', found: %s",
									   asp_type_name(branches.value_type));
				return NULL;
			}
		}
		else if (strcmp(key, "default") == 0)
		{
			dflt = *bson_iter_value(&it);
			has_default = true;
		}
		else
		{
			asp_expr_compile_error(c, "unrecognized parameter to $switch: %s", key);
			asp_error_hint(c->err, "$switch takes 'branches' and an optional 'default'.");
			return NULL;
		}
	}
	n = has_branches ? count_elements(&branches) : 0;
	if (n == 0)
	{
		asp_expr_compile_error(c, "$switch requires at least one branch");
		asp_error_hint(c->err, "Add \"branches\": [{\"case\": <condition>, \"then\": <value>}].");
		return NULL;
	}
	e = asp_expr_new(def->name, def->eval, 2 * n + (has_default ? 1 : 0));
	i = 0;
	bson_iter_init_from_data(&it, branches.value.v_doc.data, branches.value.v_doc.data_len);
	while (bson_iter_next(&it))
	{
		if (!compile_branch(c, bson_iter_value(&it), e, 2 * i))
		{
			asp_expr_free(e);
			return NULL;
		}
		i++;
	}
	if (has_default)
	{
		e->args[2 * n] = asp_expr_compile_value(c, &dflt);
		if (e->args[2 * n] == NULL)
		{
			asp_expr_free(e);
			return NULL;
		}
	}
	else
	{
		/* MongoDB rejects a $switch that can never match anything */
		all_false = true;
		for (i = 0; i < n && all_false; i++)
			if (!e->args[2 * i]->is_const || asp_value_truthy(&e->args[2 * i]->constant))
				all_false = false;
		if (all_false)
		{
			asp_expr_free(e);
			asp_expr_compile_error(c, "one cannot execute a switch statement where all the cases evaluate to false without a default");
			asp_error_hint(c->err, "Add a \"default\" to the $switch.");
			return NULL;
		}
	}
	return e;
}

const asp_op_def asp_ops_logic[] = {
	{"$eq", eval_eq, 2, 2, NULL, true},
	{"$ne", eval_ne, 2, 2, NULL, true},
	{"$gt", eval_gt, 2, 2, NULL, true},
	{"$gte", eval_gte, 2, 2, NULL, true},
	{"$lt", eval_lt, 2, 2, NULL, true},
	{"$lte", eval_lte, 2, 2, NULL, true},
	{"$cmp", eval_cmp, 2, 2, NULL, true},
	{"$and", eval_and, 0, -1, NULL, true},
	{"$or", eval_or, 0, -1, NULL, true},
	{"$not", eval_not, 1, 1, NULL, true},
	{"$cond", eval_cond, 3, 3, compile_cond, true},
	{"$ifNull", eval_if_null, 2, -1, NULL, true},
	{"$switch", eval_switch, 1, -1, compile_switch, true},
	{NULL, NULL, 0, 0, NULL, false}
};
