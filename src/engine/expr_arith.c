/*-------------------------------------------------------------------------
 *
 * expr_arith.c
 *	  Arithmetic expression operators: $add $subtract $multiply $divide
 *	  $mod $abs $ceil $floor $round $trunc $sqrt $pow $exp $ln $log $log10.
 *
 * Result types follow MongoDB exactly: int op int stays int unless it
 * overflows (then long), long overflow gives double, any double makes the
 * result double, any decimal makes it decimal.  Conversions of doubles to
 * decimal are MongoDB's: 15 significant digits when an operand is coerced
 * (asp_value_as_decimal), 34 digits where MongoDB widens a running double
 * total ($add) or rounds ($round, $trunc).  Null or missing operands give
 * null; other non-numeric operands are runtime errors worded as MongoDB's.
 *
 * Decimal functions that _Decimal128 lacks (sqrt, exp, ln, pow, quantize,
 * fmod) live in expr_arith_dec.c.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>

#include "expr.h"
#include "expr_arith_dec.h"

/* numeric widths in MongoDB's widening order */
typedef enum num_width
{
	W_INT,
	W_LONG,
	W_DOUBLE,
	W_DECIMAL,
	W_NONE						/* not a number */
} num_width;

/* width_of: the width of a value's type */
static num_width
width_of(const bson_value_t *v)
{
	switch (v->value_type)
	{
		case BSON_TYPE_INT32:
			return W_INT;
		case BSON_TYPE_INT64:
			return W_LONG;
		case BSON_TYPE_DOUBLE:
			return W_DOUBLE;
		case BSON_TYPE_DECIMAL128:
			return W_DECIMAL;
		default:
			return W_NONE;
	}
}

/* widest: MongoDB's Value::getWidestNumeric */
static num_width
widest(num_width a, num_width b)
{
	if (a == W_NONE || b == W_NONE)
		return W_NONE;
	return a > b ? a : b;
}

/* set_int_or_long: an int32 if it fits, else an int64 (createIntOrLong) */
static void
set_int_or_long(bson_value_t *out, int64_t v)
{
	if (v >= INT32_MIN && v <= INT32_MAX)
		asp_value_set_int32(out, (int32_t) v);
	else
		asp_value_set_int64(out, v);
}

/* dec_value: the decimal of a number value */
static asp_dec128
dec_value(const bson_value_t *v)
{
	return asp_value_as_decimal(v);
}

/*
 * coerce_long: MongoDB's Value::coerceToLong of a number: doubles are
 * truncated, decimals rounded half to even; out of range is an error.
 */
static bool
coerce_long(asp_eval_ctx *ctx, const bson_value_t *v, int64_t *out)
{
	if (asp_number_to_int64(v, out))
		return true;
	if (!asp_value_is_number(v))
		return asp_eval_error(ctx, "can't convert from BSON type %s to long",
							  asp_type_name(v->value_type));
	return asp_eval_error(ctx, "Can't coerce out of range value %g to long",
						  asp_value_as_double(v));
}

/* value_integral: MongoDB's Value::integral(): a number with an exact int32 value */
static bool
value_integral(const bson_value_t *v)
{
	int32_t		i;

	switch (v->value_type)
	{
		case BSON_TYPE_INT32:
			return true;
		case BSON_TYPE_INT64:
			return v->value.v_int64 >= INT32_MIN && v->value.v_int64 <= INT32_MAX;
		case BSON_TYPE_DOUBLE:
			return v->value.v_double >= INT32_MIN && v->value.v_double <= INT32_MAX &&
				v->value.v_double == (double) (int32_t) v->value.v_double;
		case BSON_TYPE_DECIMAL128:
			return asp_dec_to_int32_exact(dec_value(v), &i);
		default:
			return false;
	}
}

/* ---------- $add ---------- */

/* the running state of $add (MongoDB's AddState) */
typedef struct add_state
{
	int64_t		long_total;
	double		double_total;
	asp_dec128	decimal_total;
	num_width	width;
	bool		is_date;
} add_state;

/* add_operand: fold one number or date into the state */
static bool
add_operand(add_state *st, asp_eval_ctx *ctx, const bson_value_t *v)
{
	num_width	old = st->width;
	bson_value_t val = *v;
	int64_t		sum;

	if (v->value_type == BSON_TYPE_DATE_TIME)
	{
		if (st->is_date)
			return asp_eval_error(ctx, "only one date allowed in an $add expression");
		st->is_date = true;
		asp_value_set_int64(&val, v->value.v_datetime);
	}
	else
		st->width = widest(st->width, width_of(v));

	if (old != st->width)
	{
		if (st->width == W_DOUBLE)
			st->double_total = (double) st->long_total;
		else if (st->width == W_DECIMAL)
			st->decimal_total = old == W_DOUBLE ? (asp_dec128) st->double_total :
				(asp_dec128) st->long_total;
	}

	switch (st->width)
	{
		case W_INT:
		case W_LONG:
			if (__builtin_add_overflow(st->long_total,
									   val.value_type == BSON_TYPE_INT32 ?
									   (int64_t) val.value.v_int32 : val.value.v_int64,
									   &sum))
			{
				st->width = W_DOUBLE;
				st->double_total = (double) st->long_total + asp_value_as_double(&val);
			}
			else
				st->long_total = sum;
			break;
		case W_DOUBLE:
			st->double_total += asp_value_as_double(&val);
			break;
		default:
			st->decimal_total += dec_value(&val);
			break;
	}
	return true;
}

/* eval_add: $add of numbers and at most one date (a date result) */
static bool
eval_add(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	add_state	st = {0, 0.0, 0, W_INT, false};
	int			i;

	for (i = 0; i < e->nargs; i++)
	{
		bson_value_t v;

		if (!asp_expr_eval(e->args[i], ctx, &v))
			return false;
		if (asp_value_is_nullish(&v))
		{
			asp_value_set_null(out);
			return true;
		}
		if (!asp_value_is_number(&v) && v.value_type != BSON_TYPE_DATE_TIME)
			return asp_eval_error(ctx, "$add only supports numeric or date types, not %s",
								  asp_type_name(v.value_type));
		if (!add_operand(&st, ctx, &v))
			return false;
	}
	if (st.is_date)
	{
		int64_t		ms;

		switch (st.width)
		{
			case W_INT:
			case W_LONG:
				ms = st.long_total;
				break;
			case W_DOUBLE:
				if (!(st.double_total >= -9223372036854775808.0 &&
					  st.double_total < 9223372036854775808.0))
					return asp_eval_error(ctx, "date overflow in $add");
				ms = llround(st.double_total);
				break;
			default:
				/* decimal dates are not checked for overflow (Intel's invalid result) */
				if (!asp_dec_to_int64(st.decimal_total, &ms))
					ms = INT64_MIN;
				break;
		}
		asp_value_set_date(out, ms);
		return true;
	}
	switch (st.width)
	{
		case W_INT:
			set_int_or_long(out, st.long_total);
			break;
		case W_LONG:
			asp_value_set_int64(out, st.long_total);
			break;
		case W_DOUBLE:
			asp_value_set_double(out, st.double_total);
			break;
		default:
			asp_value_set_decimal(out, st.decimal_total);
			break;
	}
	return true;
}

/* ---------- $subtract ---------- */

/* eval_subtract: $subtract of numbers, date - date (a long) or date - number */
static bool
eval_subtract(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t v[2];
	int64_t		l,
				r,
				diff;

	if (!asp_eval_args(e, ctx, v))
		return false;
	switch (widest(width_of(&v[1]), width_of(&v[0])))
	{
		case W_DECIMAL:
			asp_value_set_decimal(out, dec_value(&v[0]) - dec_value(&v[1]));
			return true;
		case W_DOUBLE:
			asp_value_set_double(out, asp_value_as_double(&v[0]) - asp_value_as_double(&v[1]));
			return true;
		case W_LONG:
			l = v[0].value_type == BSON_TYPE_INT32 ? v[0].value.v_int32 : v[0].value.v_int64;
			r = v[1].value_type == BSON_TYPE_INT32 ? v[1].value.v_int32 : v[1].value.v_int64;
			if (__builtin_sub_overflow(l, r, &diff))
				asp_value_set_double(out, (double) l - (double) r);
			else
				asp_value_set_int64(out, diff);
			return true;
		case W_INT:
			set_int_or_long(out, (int64_t) v[0].value.v_int32 - v[1].value.v_int32);
			return true;
		default:
			break;
	}
	if (asp_value_is_nullish(&v[0]) || asp_value_is_nullish(&v[1]))
	{
		asp_value_set_null(out);
		return true;
	}
	if (v[0].value_type == BSON_TYPE_DATE_TIME)
	{
		if (v[1].value_type == BSON_TYPE_DATE_TIME)
		{
			/* milliseconds between the dates, as a long */
			asp_value_set_int64(out, (int64_t) ((uint64_t) v[0].value.v_datetime -
												(uint64_t) v[1].value.v_datetime));
			return true;
		}
		if (asp_value_is_number(&v[1]))
		{
			if (v[1].value_type == BSON_TYPE_DOUBLE || v[1].value_type == BSON_TYPE_DECIMAL128)
			{
				/* a fractional number of ms rounds, as in $add */
				double		d = asp_value_as_double(&v[1]);

				if (!(d >= -9.2e18 && d <= 9.2e18))
					return asp_eval_error(ctx, "can't $subtract %s from Date: value out of range",
										  asp_type_name(v[1].value_type));
				r = llround(d);
			}
			else if (!coerce_long(ctx, &v[1], &r))
				return false;
			asp_value_set_date(out, (int64_t) ((uint64_t) v[0].value.v_datetime - (uint64_t) r));
			return true;
		}
		return asp_eval_error(ctx, "can't $subtract %s from Date",
							  asp_type_name(v[1].value_type));
	}
	return asp_eval_error(ctx, "can't $subtract %s from %s",
						  asp_type_name(v[1].value_type), asp_type_name(v[0].value_type));
}

/* ---------- $multiply ---------- */

/* eval_multiply: $multiply, in the narrowest type that holds the product */
static bool
eval_multiply(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	double		double_product = 1;
	int64_t		long_product = 1;
	asp_dec128	decimal_product = 1;
	num_width	width = W_INT;
	int			i;

	for (i = 0; i < e->nargs; i++)
	{
		bson_value_t v;
		num_width	old = width;

		if (!asp_expr_eval(e->args[i], ctx, &v))
			return false;
		if (asp_value_is_nullish(&v))
		{
			asp_value_set_null(out);
			return true;
		}
		if (!asp_value_is_number(&v))
			return asp_eval_error(ctx, "$multiply only supports numeric types, not %s",
								  asp_type_name(v.value_type));
		width = widest(width, width_of(&v));
		if (width == W_DECIMAL)
		{
			/* on the first decimal, the partial product becomes decimal */
			if (old != W_DECIMAL)
			{
				bson_value_t partial;

				if (old == W_DOUBLE)
					asp_value_set_double(&partial, double_product);
				else
					asp_value_set_int64(&partial, long_product);
				decimal_product = dec_value(&partial);
			}
			decimal_product *= dec_value(&v);
		}
		else
		{
			double		d = asp_value_as_double(&v);

			double_product *= d;
			if (width != W_DOUBLE)
			{
				int64_t		m = v.value_type == BSON_TYPE_INT32 ? v.value.v_int32 : v.value.v_int64;

				if (__builtin_mul_overflow(long_product, m, &long_product))
					width = W_DOUBLE;
			}
		}
	}
	switch (width)
	{
		case W_DOUBLE:
			asp_value_set_double(out, double_product);
			break;
		case W_LONG:
			asp_value_set_int64(out, long_product);
			break;
		case W_INT:
			set_int_or_long(out, long_product);
			break;
		default:
			asp_value_set_decimal(out, decimal_product);
			break;
	}
	return true;
}

/* ---------- $divide and $mod ---------- */

/* eval_divide: $divide, always a double (a decimal if an operand is one) */
static bool
eval_divide(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t v[2];

	if (!asp_eval_args(e, ctx, v))
		return false;
	if (asp_value_is_number(&v[0]) && asp_value_is_number(&v[1]))
	{
		if (v[0].value_type == BSON_TYPE_DECIMAL128 || v[1].value_type == BSON_TYPE_DECIMAL128)
		{
			asp_dec128	denom = dec_value(&v[1]);

			if (asp_dec_is_zero(denom))
				return asp_eval_error(ctx, "can't $divide by zero");
			asp_value_set_decimal(out, dec_value(&v[0]) / denom);
			return true;
		}
		if (asp_value_as_double(&v[1]) == 0.0)
			return asp_eval_error(ctx, "can't $divide by zero");
		asp_value_set_double(out, asp_value_as_double(&v[0]) / asp_value_as_double(&v[1]));
		return true;
	}
	if (asp_value_is_nullish(&v[0]) || asp_value_is_nullish(&v[1]))
	{
		asp_value_set_null(out);
		return true;
	}
	return asp_eval_error(ctx, "$divide only supports numeric types, not %s and %s",
						  asp_type_name(v[0].value_type), asp_type_name(v[1].value_type));
}

/* eval_mod: $mod, the remainder with the sign of the dividend */
static bool
eval_mod(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t v[2];
	bson_type_t lt,
				rt;

	if (!asp_eval_args(e, ctx, v))
		return false;
	lt = v[0].value_type;
	rt = v[1].value_type;
	if (asp_value_is_number(&v[0]) && asp_value_is_number(&v[1]))
	{
		int64_t		l,
					r;

		if (lt == BSON_TYPE_DECIMAL128 || rt == BSON_TYPE_DECIMAL128)
		{
			asp_dec128	right = dec_value(&v[1]);

			if (asp_dec_is_zero(right))
				return asp_eval_error(ctx, "can't $mod by zero");
			asp_value_set_decimal(out, asp_dec_fmod(dec_value(&v[0]), right));
			return true;
		}
		if (asp_value_as_double(&v[1]) == 0)
			return asp_eval_error(ctx, "can't $mod by zero");
		/* MongoDB 7.2+: the result has the wider type of the two operands */
		if (lt == BSON_TYPE_DOUBLE || rt == BSON_TYPE_DOUBLE)
		{
			asp_value_set_double(out, fmod(asp_value_as_double(&v[0]),
										   asp_value_as_double(&v[1])));
			return true;
		}
		if (!coerce_long(ctx, &v[0], &l) || !coerce_long(ctx, &v[1], &r))
			return false;
		if (lt == BSON_TYPE_INT64 || rt == BSON_TYPE_INT64)
			asp_value_set_int64(out, r == -1 ? 0 : l % r);
		else
			asp_value_set_int32(out, r == -1 ? 0 : (int32_t) (l % r));
		return true;
	}
	if (asp_value_is_nullish(&v[0]) || asp_value_is_nullish(&v[1]))
	{
		asp_value_set_null(out);
		return true;
	}
	return asp_eval_error(ctx, "$mod only supports numeric types, not %s and %s",
						  asp_type_name(lt), asp_type_name(rt));
}

/* ---------- operators of one numeric argument ---------- */

#define ARG_ERROR	0			/* runtime error set */
#define ARG_NULL	1			/* null or missing: out is null */
#define ARG_NUMBER	2			/* a number in *arg */

/* numeric_arg: evaluate the single operand of e and check that it is a number */
static int
numeric_arg(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *arg, bson_value_t *out)
{
	if (!asp_expr_eval(e->args[0], ctx, arg))
		return ARG_ERROR;
	if (asp_value_is_nullish(arg))
	{
		asp_value_set_null(out);
		return ARG_NULL;
	}
	if (!asp_value_is_number(arg))
	{
		asp_eval_error(ctx, "%s only supports numeric types, not %s",
					   e->name, asp_type_name(arg->value_type));
		return ARG_ERROR;
	}
	return ARG_NUMBER;
}

/* eval_abs: $abs (int32 min becomes a long) */
static bool
eval_abs(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t a;
	int			rc = numeric_arg(e, ctx, &a, out);
	int64_t		n;

	if (rc != ARG_NUMBER)
		return rc == ARG_NULL;
	switch (a.value_type)
	{
		case BSON_TYPE_DOUBLE:
			asp_value_set_double(out, fabs(a.value.v_double));
			return true;
		case BSON_TYPE_DECIMAL128:
			asp_value_set_decimal(out, asp_dec_abs(dec_value(&a)));
			return true;
		default:
			n = a.value_type == BSON_TYPE_INT32 ? a.value.v_int32 : a.value.v_int64;
			if (n == INT64_MIN)
				return asp_eval_error(ctx, "can't take $abs of long long min");
			if (a.value_type == BSON_TYPE_INT64)
				asp_value_set_int64(out, n < 0 ? -n : n);
			else
				set_int_or_long(out, n < 0 ? -n : n);
			return true;
	}
}

/* ceil_floor: integers are returned unchanged */
static bool
ceil_floor(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out, bool ceiling)
{
	bson_value_t a;
	int			rc = numeric_arg(e, ctx, &a, out);

	if (rc != ARG_NUMBER)
		return rc == ARG_NULL;
	if (a.value_type == BSON_TYPE_DOUBLE)
		asp_value_set_double(out, ceiling ? ceil(a.value.v_double) : floor(a.value.v_double));
	else if (a.value_type == BSON_TYPE_DECIMAL128)
		asp_value_set_decimal(out, asp_dec_quantize(dec_value(&a), 0,
													ceiling ? ASP_DEC_CEILING : ASP_DEC_FLOOR));
	else
		*out = a;
	return true;
}

/* eval_ceil: $ceil */
static bool
eval_ceil(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	return ceil_floor(e, ctx, out, true);
}

/* eval_floor: $floor */
static bool
eval_floor(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	return ceil_floor(e, ctx, out, false);
}

/* eval_sqrt: $sqrt; negative arguments are an error */
static bool
eval_sqrt(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t a;
	int			rc = numeric_arg(e, ctx, &a, out);

	if (rc != ARG_NUMBER)
		return rc == ARG_NULL;
	if (a.value_type == BSON_TYPE_DECIMAL128)
	{
		asp_dec128	d = dec_value(&a);

		/* NaN is not below zero: it gives NaN */
		if (d < 0)
			return asp_eval_error(ctx, "$sqrt's argument must be greater than or equal to 0");
		asp_value_set_decimal(out, asp_dec_sqrt(d));
		return true;
	}
	if (asp_value_as_double(&a) < 0)
		return asp_eval_error(ctx, "$sqrt's argument must be greater than or equal to 0");
	asp_value_set_double(out, sqrt(asp_value_as_double(&a)));
	return true;
}

/* eval_exp: $exp, a double unless the argument is a decimal */
static bool
eval_exp(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t a;
	int			rc = numeric_arg(e, ctx, &a, out);

	if (rc != ARG_NUMBER)
		return rc == ARG_NULL;
	if (a.value_type == BSON_TYPE_DECIMAL128)
		asp_value_set_decimal(out, asp_dec_exp(dec_value(&a)));
	else
		asp_value_set_double(out, exp(asp_value_as_double(&a)));
	return true;
}

/*
 * ln_log10: a positive decimal stays decimal; anything else (including a
 * decimal NaN) is computed as a double, as in MongoDB.
 */
static bool
ln_log10(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out, bool base10)
{
	bson_value_t a;
	int			rc = numeric_arg(e, ctx, &a, out);
	double		x;

	if (rc != ARG_NUMBER)
		return rc == ARG_NULL;
	if (a.value_type == BSON_TYPE_DECIMAL128 && dec_value(&a) > 0)
	{
		asp_value_set_decimal(out, base10 ? asp_dec_log10(dec_value(&a)) :
							  asp_dec_ln(dec_value(&a)));
		return true;
	}
	x = asp_value_as_double(&a);
	if (!(x > 0 || isnan(x)))
		return asp_eval_error(ctx, "%s's argument must be a positive number, but is %g",
							  e->name, x);
	asp_value_set_double(out, base10 ? log10(x) : log(x));
	return true;
}

/* eval_ln: $ln */
static bool
eval_ln(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	return ln_log10(e, ctx, out, false);
}

/* eval_log10: $log10 */
static bool
eval_log10(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	return ln_log10(e, ctx, out, true);
}

/* ---------- $log ---------- */

/* eval_log: $log [number, base] */
static bool
eval_log(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t v[2];
	double		x,
				b;

	if (!asp_eval_args(e, ctx, v))
		return false;
	if (asp_value_is_nullish(&v[0]) || asp_value_is_nullish(&v[1]))
	{
		asp_value_set_null(out);
		return true;
	}
	if (!asp_value_is_number(&v[0]))
		return asp_eval_error(ctx, "$log's argument must be numeric, not %s",
							  asp_type_name(v[0].value_type));
	if (!asp_value_is_number(&v[1]))
		return asp_eval_error(ctx, "$log's base must be numeric, not %s",
							  asp_type_name(v[1].value_type));
	if (v[0].value_type == BSON_TYPE_DECIMAL128 || v[1].value_type == BSON_TYPE_DECIMAL128)
	{
		asp_dec128	dx = dec_value(&v[0]);
		asp_dec128	db = dec_value(&v[1]);

		if (dx > 0 && db != 1 && db > 0)
		{
			if (db == 2)
				asp_value_set_decimal(out, asp_dec_log2(dx));
			else if (db == 10)
				asp_value_set_decimal(out, asp_dec_log10(dx));
			else
				asp_value_set_decimal(out, asp_dec_ln(dx) / asp_dec_ln(db));
			return true;
		}
		/* the error cases (and NaN) fall through to doubles */
	}
	x = asp_value_as_double(&v[0]);
	b = asp_value_as_double(&v[1]);
	if (!(x > 0 || isnan(x)))
		return asp_eval_error(ctx, "$log's argument must be a positive number, but is %g", x);
	if (!((b > 0 && b != 1) || isnan(b)))
		return asp_eval_error(ctx, "$log's base must be a positive number not equal to 1, but is %g", b);
	asp_value_set_double(out, log(x) / log(b));
	return true;
}

/* ---------- $pow ---------- */

/*
 * The bases that can be raised to each exponent 0..63 without overflowing
 * an int64 (MongoDB's representableAsLong table).
 */
static const int64_t pow_base_limits[64][2] = {
	{INT64_MIN, INT64_MAX}, {INT64_MIN, INT64_MAX}, {-3037000499LL, 3037000499LL},
	{-2097152, 2097151}, {-55108, 55108}, {-6208, 6208}, {-1448, 1448}, {-512, 511},
	{-234, 234}, {-128, 127}, {-78, 78}, {-52, 52}, {-38, 38}, {-28, 28}, {-22, 22},
	{-18, 18}, {-15, 15}, {-13, 13}, {-11, 11}, {-9, 9}, {-8, 8}, {-8, 7}, {-7, 7},
	{-6, 6}, {-6, 6}, {-5, 5}, {-5, 5}, {-5, 5}, {-4, 4}, {-4, 4}, {-4, 4}, {-4, 4},
	{-3, 3}, {-3, 3}, {-3, 3}, {-3, 3}, {-3, 3}, {-3, 3}, {-3, 3}, {-3, 3},
	{-2, 2}, {-2, 2}, {-2, 2}, {-2, 2}, {-2, 2}, {-2, 2}, {-2, 2}, {-2, 2}, {-2, 2},
	{-2, 2}, {-2, 2}, {-2, 2}, {-2, 2}, {-2, 2}, {-2, 2}, {-2, 2}, {-2, 2}, {-2, 2},
	{-2, 2}, {-2, 2}, {-2, 2}, {-2, 2}, {-2, 2}, {-2, 1}
};

/* pow_result: an integer $pow result: long if either operand is long */
static void
pow_result(bson_value_t *out, int64_t r, bool is_long)
{
	if (is_long)
		asp_value_set_int64(out, r);
	else
		set_int_or_long(out, r);
}

/* eval_pow: $pow; integers stay integers when the result fits a long */
static bool
eval_pow(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t v[2];
	int64_t		base,
				ex,
				result;
	bool		is_long;

	if (!asp_eval_args(e, ctx, v))
		return false;
	if (asp_value_is_nullish(&v[0]) || asp_value_is_nullish(&v[1]))
	{
		asp_value_set_null(out);
		return true;
	}
	if (!asp_value_is_number(&v[0]))
		return asp_eval_error(ctx, "$pow's base must be numeric, not %s",
							  asp_type_name(v[0].value_type));
	if (!asp_value_is_number(&v[1]))
		return asp_eval_error(ctx, "$pow's exponent must be numeric, not %s",
							  asp_type_name(v[1].value_type));
	if (v[0].value_type == BSON_TYPE_DECIMAL128 || v[1].value_type == BSON_TYPE_DECIMAL128)
	{
		asp_dec128	db = dec_value(&v[0]);
		asp_dec128	dx = dec_value(&v[1]);

		if (asp_dec_is_zero(db) && asp_dec_is_negative(dx))
			return asp_eval_error(ctx, "$pow cannot take a base of 0 and a negative exponent");
		asp_value_set_decimal(out, asp_dec_pow(db, dx));
		return true;
	}
	if (asp_value_as_double(&v[0]) == 0 && asp_value_as_double(&v[1]) < 0)
		return asp_eval_error(ctx, "$pow cannot take a base of 0 and a negative exponent");
	if (v[0].value_type == BSON_TYPE_DOUBLE || v[1].value_type == BSON_TYPE_DOUBLE)
	{
		asp_value_set_double(out, pow(asp_value_as_double(&v[0]), asp_value_as_double(&v[1])));
		return true;
	}

	/* integers: exact when the result fits a long */
	is_long = v[0].value_type == BSON_TYPE_INT64 || v[1].value_type == BSON_TYPE_INT64;
	base = v[0].value_type == BSON_TYPE_INT32 ? v[0].value.v_int32 : v[0].value.v_int64;
	ex = v[1].value_type == BSON_TYPE_INT32 ? v[1].value.v_int32 : v[1].value.v_int64;
	if (base == 0)
	{
		pow_result(out, ex == 0 ? 1 : 0, is_long);
		return true;
	}
	if (base == 1)
	{
		pow_result(out, 1, is_long);
		return true;
	}
	if (base == -1)
	{
		pow_result(out, ex % 2 == 0 ? 1 : -1, is_long);
		return true;
	}
	if (ex > 63 || ex < 0 || base < pow_base_limits[ex][0] || base > pow_base_limits[ex][1])
	{
		asp_value_set_double(out, pow((double) base, (double) ex));
		return true;
	}
	result = 1;
	while (ex > 1)
	{
		if (ex % 2 == 1)
		{
			result *= base;
			ex--;
		}
		base *= base;
		ex /= 2;
	}
	if (ex == 1)
		result *= base;
	pow_result(out, result, is_long);
	return true;
}

/* ---------- $round and $trunc ---------- */

/*
 * round_trunc: $round and $trunc [number, place]: the result keeps the type of
 * the number; place is -20..100 (negative places round integers)
 */
static bool
round_trunc(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out, asp_dec_rounding mode)
{
	bson_value_t num,
				prec;
	int64_t		place = 0,
				n,
				r;
	asp_dec128	d;

	if (!asp_expr_eval(e->args[0], ctx, &num))
		return false;
	if (asp_value_is_nullish(&num))
	{
		asp_value_set_null(out);
		return true;
	}
	if (!asp_value_is_number(&num))
		return asp_eval_error(ctx, "%s only supports numeric types, not %s",
							  e->name, asp_type_name(num.value_type));
	if (e->nargs > 1)
	{
		if (!asp_expr_eval(e->args[1], ctx, &prec))
			return false;
		if (asp_value_is_nullish(&prec))
		{
			asp_value_set_null(out);
			return true;
		}
		if (!coerce_long(ctx, &prec, &place))
			return false;
		if (!value_integral(&prec))
			return asp_eval_error(ctx, "precision argument to %s must be a integral value", e->name);
		if (place < -20 || place > 100)
			return asp_eval_error(ctx, "cannot apply %s with precision value %lld value must be in [-20, 100]",
								  e->name, (long long) place);
	}
	switch (num.value_type)
	{
		case BSON_TYPE_DECIMAL128:
			d = dec_value(&num);
			if (asp_dec_is_inf(d))
				*out = num;
			else
				asp_value_set_decimal(out, asp_dec_quantize(d, (int) -place, mode));
			return true;
		case BSON_TYPE_DOUBLE:
			/* the double's exact value to 34 digits, rounded in decimal */
			d = (asp_dec128) num.value.v_double;
			if (asp_dec_is_inf(d))
				*out = num;
			else
				asp_value_set_double(out, (double) asp_dec_quantize(d, (int) -place, mode));
			return true;
		default:
			if (place >= 0)
			{
				*out = num;
				return true;
			}
			n = num.value_type == BSON_TYPE_INT32 ? num.value.v_int32 : num.value.v_int64;
			if (!asp_dec_to_int64(asp_dec_quantize((asp_dec128) n, (int) -place, mode), &r))
				return asp_eval_error(ctx, "invalid conversion from Decimal128 result in %s resulting from arguments: [%lld, %lld]",
									  e->name, (long long) n, (long long) place);
			if (num.value_type == BSON_TYPE_INT64 || r > INT32_MAX || r < INT32_MIN)
				asp_value_set_int64(out, r);
			else
				asp_value_set_int32(out, (int32_t) r);
			return true;
	}
}

/* eval_round: $round, half to even */
static bool
eval_round(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	return round_trunc(e, ctx, out, ASP_DEC_HALF_EVEN);
}

/* eval_trunc: $trunc, toward zero */
static bool
eval_trunc(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	return round_trunc(e, ctx, out, ASP_DEC_TOWARD_ZERO);
}

const asp_op_def asp_ops_arith[] = {
	{"$add", eval_add, 0, -1, NULL, true},
	{"$subtract", eval_subtract, 2, 2, NULL, true},
	{"$multiply", eval_multiply, 0, -1, NULL, true},
	{"$divide", eval_divide, 2, 2, NULL, true},
	{"$mod", eval_mod, 2, 2, NULL, true},
	{"$abs", eval_abs, 1, 1, NULL, true},
	{"$ceil", eval_ceil, 1, 1, NULL, true},
	{"$floor", eval_floor, 1, 1, NULL, true},
	{"$round", eval_round, 1, 2, NULL, true},
	{"$trunc", eval_trunc, 1, 2, NULL, true},
	{"$sqrt", eval_sqrt, 1, 1, NULL, true},
	{"$pow", eval_pow, 2, 2, NULL, true},
	{"$exp", eval_exp, 1, 1, NULL, true},
	{"$ln", eval_ln, 1, 1, NULL, true},
	{"$log", eval_log, 2, 2, NULL, true},
	{"$log10", eval_log10, 1, 1, NULL, true},
	{NULL, NULL, 0, 0, NULL, false}
};
