/*-------------------------------------------------------------------------
 *
 * expr_arith_dec.h
 *	  Decimal128 operations for the arithmetic operators that the
 *	  compiler's _Decimal128 support (libgcc's BID code: + - * / and
 *	  conversions) does not provide: quantize, remainder, square root
 *	  (expr_arith_dec.c), exponential, logarithms and power
 *	  (expr_arith_trans.c).
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

/*
 * Internals shared by expr_arith_dec.c (encoding, exact operations) and
 * expr_arith_trans.c (exp, logarithms, pow).
 */
#define ASP_DEC_BIAS	6176
#define ASP_DEC_EMIN	(-6176)
#define ASP_DEC_EMAX	6111
/* 10^34, the first coefficient that does not fit */
#define ASP_DEC_TEN34	((((unsigned __int128) 0x1ed09bead87c0ULL) << 64) | 0x378d8e6400000000ULL)

#define ASP_DEC_FINITE	0
#define ASP_DEC_INF		1
#define ASP_DEC_NAN		2

/* an unpacked decimal */
typedef struct asp_dec_parts
{
	bool		neg;
	int			kind;			/* ASP_DEC_FINITE, ASP_DEC_INF or ASP_DEC_NAN */
	int			exp;			/* unbiased exponent */
	unsigned __int128 coef;		/* < 10^34 */
} asp_dec_parts;

/* asp_dec_bits: a decimal from its high and low 64-bit words */
extern asp_dec128 asp_dec_bits(uint64_t hi, uint64_t lo);
/* asp_dec_unpack: split a decimal (non-canonical coefficients read as 0) */
extern void asp_dec_unpack(asp_dec128 d, asp_dec_parts *p);
/* asp_dec_pack: encode a finite decimal (coef < 10^34, exponent in range) */
extern asp_dec128 asp_dec_pack(bool neg, int exp, unsigned __int128 coef);
/* asp_pow10_128: 10^k for 0 <= k <= 38 */
extern unsigned __int128 asp_pow10_128(int k);

/* constants of Intel's library, by their encodings */
#define ASP_D_ONE		asp_dec_bits(0x3040000000000000ULL, 1)
#define ASP_D_ZERO		asp_dec_bits(0x3040000000000000ULL, 0)	/* 0 */
#define ASP_D_ZERO_MIN	asp_dec_bits(0, 0)	/* 0E-6176 */
#define ASP_D_INF		asp_dec_bits(0x7800000000000000ULL, 0)
#define ASP_D_NEG_INF	asp_dec_bits(0xf800000000000000ULL, 0)

#endif							/* ASP_ENGINE_EXPR_ARITH_DEC_H */
