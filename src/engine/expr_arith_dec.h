/*-------------------------------------------------------------------------
 *
 * expr_arith_dec.h
 *	  Decimal128 operations for the arithmetic operators that the
 *	  compiler's _Decimal128 support (libgcc's BID code: + - * / and
 *	  conversions) does not provide: quantize, remainder, square root,
 *	  exponential, logarithms and power.
 *
 * MongoDB computes these with Intel's decimal floating point library.
 * Intel's ln, log10, log2 and exp round the exact result to a binary128
 * number and convert that to decimal; pow works from a two-part decimal
 * logarithm; sqrt, quantize and fmod are exact IEEE 754 operations.  The
 * functions here reproduce those results: the binary128 step is computed
 * with a correctly rounded high-precision evaluation, and the binary128 to
 * decimal conversion is libgcc's, which is Intel's own code.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_ENGINE_EXPR_ARITH_DEC_H
#define ASP_ENGINE_EXPR_ARITH_DEC_H

#include <stdbool.h>
#include <stdint.h>

#include "value.h"

typedef enum asp_dec_rounding
{
	ASP_DEC_HALF_EVEN,			/* $round */
	ASP_DEC_TOWARD_ZERO,		/* $trunc */
	ASP_DEC_CEILING,			/* $ceil */
	ASP_DEC_FLOOR				/* $floor */
} asp_dec_rounding;

/* asp_dec_nan: a quiet NaN */
extern asp_dec128 asp_dec_nan(void);

/* asp_dec_is_zero / asp_dec_is_negative (sign bit, also for -0 and NaN) */
extern bool asp_dec_is_zero(asp_dec128 x);
extern bool asp_dec_is_negative(asp_dec128 x);

/* asp_dec_abs: x with the sign bit cleared (Intel's abs) */
extern asp_dec128 asp_dec_abs(asp_dec128 x);

/*
 * asp_dec_quantize: IEEE quantize of x to the exponent `exponent`
 * (-6176..6111): NaN if x is infinite or the coefficient would need more
 * than 34 digits.
 */
extern asp_dec128 asp_dec_quantize(asp_dec128 x, int exponent, asp_dec_rounding mode);

/* asp_dec_to_int64: round half to even; false for NaN, infinity, out of range */
extern bool asp_dec_to_int64(asp_dec128 x, int64_t *out);

/*
 * asp_number_to_int64: MongoDB's Value::coerceToLong of a number: int32
 * and int64 as they are, doubles truncated, decimals rounded half to even;
 * false for non-numbers and values out of the int64 range (and NaN).
 */
extern bool asp_number_to_int64(const bson_value_t *v, int64_t *out);

/* asp_dec_to_int32_exact: true if x is an integer in the int32 range */
extern bool asp_dec_to_int32_exact(asp_dec128 x, int32_t *out);

/* asp_dec_fmod: exact remainder with the sign of x (C fmod) */
extern asp_dec128 asp_dec_fmod(asp_dec128 x, asp_dec128 y);

/* asp_dec_sqrt: correctly rounded square root (NaN for x < 0) */
extern asp_dec128 asp_dec_sqrt(asp_dec128 x);

/* the transcendental functions, as MongoDB computes them */
extern asp_dec128 asp_dec_exp(asp_dec128 x);
extern asp_dec128 asp_dec_ln(asp_dec128 x);
extern asp_dec128 asp_dec_log10(asp_dec128 x);
extern asp_dec128 asp_dec_log2(asp_dec128 x);
extern asp_dec128 asp_dec_pow(asp_dec128 x, asp_dec128 y);

#endif							/* ASP_ENGINE_EXPR_ARITH_DEC_H */
