/*-------------------------------------------------------------------------
 *
 * expr_date.h
 *	  Internal interface of the date operators, split over expr_date.c (the
 *	  table, date parts, $dateToString, $dateFromString, $dateToParts,
 *	  $dateFromParts) and expr_date_arith.c ($dateTrunc, $dateAdd,
 *	  $dateSubtract, $dateDiff).
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_ENGINE_EXPR_DATE_H
#define ASP_ENGINE_EXPR_DATE_H

#include "datetime.h"
#include "expr.h"
#include "tz.h"

/* a timezone argument resolved at compile time when it is a constant */
typedef struct asp_date_tz
{
	bool		known;			/* tz/is_null are valid: absent or constant */
	bool		is_null;		/* the constant is null: results are null */
	asp_timezone tz;
} asp_date_tz;

/*
 * asp_date_tz_compile: resolve the compiled timezone argument (NULL when
 * absent, meaning UTC) if it is a constant; false + compile error if it is
 * a constant that is not a known timezone.  prefix is put before the
 * message ("$dateTrunc parameter 'timezone' value parsing failed :: caused
 * by :: ") or is "".
 */
extern bool asp_date_tz_compile(asp_expr_compiler *c, const asp_expr *arg,
								asp_date_tz *out, const char *prefix);

/*
 * asp_date_tz_eval: the timezone for this evaluation: 1 = *out set,
 * 0 = null timezone (the result is null), -1 = runtime error set.
 */
extern int	asp_date_tz_eval(asp_eval_ctx *ctx, const asp_expr *arg,
							 const asp_date_tz *pre, asp_timezone *out,
							 const char *prefix);

/* asp_date_coerce: Value::coerceToDate with MongoDB's error message */
extern bool asp_date_coerce(asp_eval_ctx *ctx, const bson_value_t *v, int64_t *ms);

/* operators of expr_date_arith.c */
extern asp_expr *asp_compile_date_trunc(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand);
extern asp_expr *asp_compile_date_add(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand);
extern asp_expr *asp_compile_date_diff(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand);
extern bool asp_eval_date_trunc(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out);
extern bool asp_eval_date_add(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out);
extern bool asp_eval_date_subtract(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out);
extern bool asp_eval_date_diff(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out);

#endif							/* ASP_ENGINE_EXPR_DATE_H */
