/*-------------------------------------------------------------------------
 *
 * expr_type.h
 *	  Type conversions of $convert and the $to* operators, for use by other
 *	  operators that need MongoDB's renderings (doubles in messages, ...).
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_ENGINE_EXPR_TYPE_H
#define ASP_ENGINE_EXPR_TYPE_H

#include "expr.h"

/* outcome of a conversion */
typedef enum asp_conv_result
{
	ASP_CONV_OK = 0,
	ASP_CONV_FAILED,			/* a conversion failure: onError applies */
	ASP_CONV_ERROR				/* any other error: onError does not apply */
} asp_conv_result;

/*
 * asp_format_double: a double the way MongoDB's $toString writes it (the
 * shortest digits that read back to the same double, fixed notation for
 * decimal exponents -5 < e < 16, else "1.5e+20"; "NaN", "Infinity",
 * "-Infinity", "-0").  Returns the length; buf needs 32 bytes.
 */
extern int	asp_format_double(double d, char *buf, size_t size);

/*
 * asp_convert_value: convert a non-null value to the BSON type `to` as
 * $convert does.  Strings, documents etc. of the result live in
 * ctx->arena.  On failure writes MongoDB's message ("... in $convert with
 * no onError value") to msg.
 */
extern asp_conv_result asp_convert_value(asp_eval_ctx *ctx, const bson_value_t *in,
										 bson_type_t to, bson_value_t *out,
										 char *msg, size_t msglen);

/*
 * asp_coerce_to_date: MongoDB's Value::coerceToDate (date, timestamp,
 * objectId); false for other types.
 */
extern bool asp_coerce_to_date(const bson_value_t *v, int64_t *ms);

#endif							/* ASP_ENGINE_EXPR_TYPE_H */
