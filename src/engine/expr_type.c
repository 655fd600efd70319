/*-------------------------------------------------------------------------
 *
 * expr_type.c
 *	  Type operators: $type, $isNumber, $convert and its shorthands $toInt,
 *	  $toLong, $toDouble, $toDecimal, $toString, $toBool, $toDate and
 *	  $toObjectId.
 *
 * The conversion matrix is MongoDB's (evaluate_convert.cpp): every pair
 * it supports between double, string, objectId, bool, date, int, long,
 * decimal and timestamp (to date), with the same truncation, range checks,
 * string parsing rules and messages.  Conversion failures are caught by
 * onError; a null or missing input gives onNull (or null).  The $to*
 * shorthands are $convert without onError/onNull.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "datetime.h"
#include "expr_named.h"
#include "expr_type.h"

/* ---------- helpers ---------- */

/* asp_format_double: shortest round-trip digits, fmt's "{}" layout */
int
asp_format_double(double d, char *buf, size_t size)
{
	char		tmp[40];
	char		digits[24];
	int			nd = 0;
	int			exp10;
	int			prec;
	char	   *p;
	char	   *o = buf;
	char		out[48];
	int			i;

	if (isnan(d))
		return snprintf(buf, size, "NaN");
	if (isinf(d))
		return snprintf(buf, size, d < 0 ? "-Infinity" : "Infinity");
	if (d == 0)
		return snprintf(buf, size, signbit(d) ? "-0" : "0");
	if (d == floor(d) && fabs(d) < 1e15)
		return snprintf(buf, size, "%lld", (long long) d);
	for (prec = 1; prec <= 17; prec++)
	{
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	/* tmp: [-]d[.ddd]e[+-]xx */
	p = tmp;
	o = out;
	if (*p == '-')
		*o++ = *p++;
	while (*p && *p != 'e')
	{
		if (*p != '.')
			digits[nd++] = *p;
		p++;
	}
	exp10 = atoi(p + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	if (exp10 < -4 || exp10 >= 16)
	{
		*o++ = digits[0];
		if (nd > 1)
		{
			*o++ = '.';
			for (i = 1; i < nd; i++)
				*o++ = digits[i];
		}
		o += sprintf(o, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
	}
	else if (exp10 >= nd - 1)
	{
		for (i = 0; i < nd; i++)
			*o++ = digits[i];
		for (i = 0; i < exp10 - nd + 1; i++)
			*o++ = '0';
	}
	else if (exp10 >= 0)
	{
		for (i = 0; i <= exp10; i++)
			*o++ = digits[i];
		*o++ = '.';
		for (; i < nd; i++)
			*o++ = digits[i];
	}
	else
	{
		*o++ = '0';
		*o++ = '.';
		for (i = 0; i < -exp10 - 1; i++)
			*o++ = '0';
		for (i = 0; i < nd; i++)
			*o++ = digits[i];
	}
	*o = '\0';
	return snprintf(buf, size, "%s", out);
}

/* asp_coerce_to_date: date, timestamp or objectId as milliseconds */
bool
asp_coerce_to_date(const bson_value_t *v, int64_t *ms)
{
	switch (v->value_type)
	{
		case BSON_TYPE_DATE_TIME:
			*ms = v->value.v_datetime;
			return true;
		case BSON_TYPE_TIMESTAMP:
			*ms = (int64_t) v->value.v_timestamp.timestamp * 1000;
			return true;
		case BSON_TYPE_OID:
			*ms = (int64_t) bson_oid_get_time_t(&v->value.v_oid) * 1000;
			return true;
		default:
			return false;
	}
}

/* set_string: a copy of s in the arena as the result */
static void
set_string(asp_eval_ctx *ctx, bson_value_t *out, const char *s, size_t len)
{
	asp_value_set_utf8(out, asp_arena_strndup(ctx->arena, s, len), (uint32_t) len);
}

/* dec_string: a decimal as a string (BSON_DECIMAL128_STRING bytes) */
static void
dec_string(asp_dec128 d, char *buf)
{
	bson_decimal128_t bd;

	memcpy(&bd, &d, sizeof(bd));
	bson_decimal128_to_string(&bd, buf);
}

/* short rendering of a string for messages */
#define SHOWN(s, len) (int) ((len) > 200 ? 200 : (len)), (s)

/* parse_int64_base10: MongoDB's NumberParser (base 10, no whitespace) */
static const char *
parse_int64_base10(const char *s, size_t len, int64_t min, int64_t max, int64_t *out)
{
	bool		neg = false;
	uint64_t	mag = 0;
	size_t		i = 0;
	size_t		start;

	if (len > 0 && (s[0] == '-' || s[0] == '+'))
	{
		neg = s[0] == '-';
		i = 1;
	}
	if (i == len)
		return "No digits";
	start = i;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
	{
		uint64_t	dgt = (uint64_t) (s[i] - '0');

		if (mag > (UINT64_MAX - dgt) / 10)
			return "Overflow";
		mag = mag * 10 + dgt;
	}
	if (i != len)
		return "Did not consume whole string.";
	if (i == start)
		return "Did not consume any digits";
	if (neg)
	{
		if (mag > (uint64_t) max + 1)
			return "Overflow";
		*out = (int64_t) (0 - mag);
		if (*out < min)
			return "Overflow";
	}
	else
	{
		if (mag > (uint64_t) max)
			return "Overflow";
		*out = (int64_t) mag;
	}
	return NULL;
}

/* parse_double: NumberParser for doubles (strtod, whole string) */
static const char *
parse_double(asp_eval_ctx *ctx, const char *s, size_t len, double *out)
{
	char		buf[128];
	char	   *copy = buf;
	char	   *end;
	double		d;

	if (len == 0)
		return "Empty string";
	if (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r'))
		return "Leading whitespace";
	if (len >= sizeof(buf))
		copy = asp_arena_alloc(ctx->arena, len + 1);
	memcpy(copy, s, len);
	copy[len] = '\0';
	errno = 0;
	d = strtod(copy, &end);
	if (end == copy)
		return "Did not consume any digits";
	if (errno == ERANGE)
		return "Out of range";
	if ((size_t) (end - copy) != len)
		return "Did not consume whole string.";
	*out = d;
	return NULL;
}

/* parse_decimal: Decimal128 from a string */
static const char *
parse_decimal(const char *s, size_t len, asp_dec128 *out)
{
	bson_decimal128_t bd;

	if (len == 0)
		return "Empty string";
	if (!bson_decimal128_from_string_w_len(s, (int) len, &bd))
		return "Failed to parse string to decimal";
	*out = asp_dec_from_bson(&bd);
	/* libbson turns out-of-range exponents into NaN; a NaN not written as such overflowed */
	if (asp_dec_is_nan(*out) && !(len >= 3 && strncasecmp(s + (s[0] == '-' || s[0] == '+'), "nan", 3) == 0))
		return "Conversion from string to decimal would overflow";
	return NULL;
}

/* is_hex_prefixed: starts with 0x or 0X */
static bool
is_hex_prefixed(const char *s, size_t len)
{
	return len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

/* ---------- conversions ---------- */

#define NO_ON_ERROR " in $convert with no onError value"

static asp_conv_result
conv_fail(char *msg, size_t msglen, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

/* conv_fail: write a conversion failure message; returns ASP_CONV_FAILED */
static asp_conv_result
conv_fail(char *msg, size_t msglen, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	return ASP_CONV_FAILED;
}

/* unsupported: the failure of a conversion MongoDB does not support */
static asp_conv_result
unsupported(const bson_value_t *in, bson_type_t to, char *msg, size_t msglen)
{
	return conv_fail(msg, msglen, "Unsupported conversion from %s to %s" NO_ON_ERROR,
					 asp_type_name(in->value_type), asp_type_name(to));
}

/* double_to_int64: MongoDB's performCastDoubleToInt/Long */
static asp_conv_result
double_to_int(double d, bool to_long, int64_t *out, char *msg, size_t msglen)
{
	char		buf[40];

	if (isnan(d))
		return conv_fail(msg, msglen, "Attempt to convert NaN value to integer type" NO_ON_ERROR);
	if (isinf(d))
		return conv_fail(msg, msglen, "Attempt to convert infinity value to integer type" NO_ON_ERROR);
	if (to_long ? !(d >= -9223372036854775808.0 && d < 9223372036854775808.0)
		: !(d >= -2147483648.0 && d <= 2147483647.0))
	{
		asp_format_double(d, buf, sizeof(buf));
		return conv_fail(msg, msglen, "Conversion would overflow target type" NO_ON_ERROR ": %s", buf);
	}
	*out = (int64_t) d;
	return ASP_CONV_OK;
}

/* decimal_to_int: truncation toward zero with range checks */
static asp_conv_result
decimal_to_int(asp_dec128 d, bool to_long, int64_t *out, char *msg, size_t msglen)
{
	char		buf[BSON_DECIMAL128_STRING];

	if (asp_dec_is_nan(d))
		return conv_fail(msg, msglen, "Attempt to convert NaN value to integer type" NO_ON_ERROR);
	if (asp_dec_is_inf(d))
		return conv_fail(msg, msglen, "Attempt to convert infinity value to integer type" NO_ON_ERROR);
	if (to_long ? !(d > -9223372036854775809.0DL && d < 9223372036854775808.0DL)
		: !(d > -2147483649.0DL && d < 2147483648.0DL))
	{
		dec_string(d, buf);
		return conv_fail(msg, msglen, "Conversion would overflow target type" NO_ON_ERROR ": %s", buf);
	}
	*out = (int64_t) d;
	return ASP_CONV_OK;
}

/* string_to_date: $convert string -> date (UTC, no format) */
static asp_conv_result
string_to_date(const char *s, size_t len, int64_t *ms, char *msg, size_t msglen)
{
	asp_parsed_date pd;

	if (asp_parse_iso8601(s, len, ms))
		return ASP_CONV_OK;
	if (!asp_parse_date_string(s, len, &pd, msg, msglen))
		return ASP_CONV_FAILED;
	*ms = pd.local_ms - (pd.zone != ASP_PZ_NONE ? (int64_t) pd.offset * 1000 : 0);
	return ASP_CONV_OK;
}

/* to_double: conversions to double */
static asp_conv_result
to_double(asp_eval_ctx *ctx, const bson_value_t *in, bson_value_t *out, char *msg, size_t msglen)
{
	switch (in->value_type)
	{
		case BSON_TYPE_DOUBLE:
			*out = *in;
			return ASP_CONV_OK;
		case BSON_TYPE_INT32:
		case BSON_TYPE_INT64:
			asp_value_set_double(out, asp_value_as_double(in));
			return ASP_CONV_OK;
		case BSON_TYPE_DECIMAL128:
			{
				asp_dec128 d = asp_dec_from_bson(&in->value.v_decimal128);
				double		r = asp_dec_to_double(d);

				if ((isinf(r) && !asp_dec_is_inf(d)) || (r == 0 && d != 0))
				{
					char		buf[BSON_DECIMAL128_STRING];

					dec_string(d, buf);
					return conv_fail(msg, msglen, "Conversion would overflow target type" NO_ON_ERROR ": %s", buf);
				}
				asp_value_set_double(out, r);
				return ASP_CONV_OK;
			}
		case BSON_TYPE_BOOL:
			asp_value_set_double(out, in->value.v_bool ? 1.0 : 0.0);
			return ASP_CONV_OK;
		case BSON_TYPE_DATE_TIME:
			asp_value_set_double(out, (double) in->value.v_datetime);
			return ASP_CONV_OK;
		case BSON_TYPE_UTF8:
			{
				const char *s = in->value.v_utf8.str;
				size_t		len = in->value.v_utf8.len;
				const char *err;
				double		d = 0;

				if (is_hex_prefixed(s, len))
					return conv_fail(msg, msglen, "Illegal hexadecimal input" NO_ON_ERROR ": %.*s", SHOWN(s, len));
				err = parse_double(ctx, s, len, &d);
				if (err)
					return conv_fail(msg, msglen, "Failed to parse number '%.*s'" NO_ON_ERROR ": %s",
									 SHOWN(s, len), err);
				asp_value_set_double(out, d);
				return ASP_CONV_OK;
			}
		default:
			return unsupported(in, BSON_TYPE_DOUBLE, msg, msglen);
	}
}

/* to_integer: conversions to int and long */
static asp_conv_result
to_integer(const bson_value_t *in, bson_type_t to, bson_value_t *out, char *msg, size_t msglen)
{
	bool		to_long = to == BSON_TYPE_INT64;
	int64_t		v = 0;
	asp_conv_result r = ASP_CONV_OK;

	switch (in->value_type)
	{
		case BSON_TYPE_INT32:
			v = in->value.v_int32;
			break;
		case BSON_TYPE_INT64:
			v = in->value.v_int64;
			if (!to_long && (v < INT32_MIN || v > INT32_MAX))
				return conv_fail(msg, msglen, "Conversion would overflow target type" NO_ON_ERROR ": %lld",
								 (long long) v);
			break;
		case BSON_TYPE_DOUBLE:
			r = double_to_int(in->value.v_double, to_long, &v, msg, msglen);
			break;
		case BSON_TYPE_DECIMAL128:
			r = decimal_to_int(asp_dec_from_bson(&in->value.v_decimal128), to_long, &v, msg, msglen);
			break;
		case BSON_TYPE_BOOL:
			v = in->value.v_bool ? 1 : 0;
			break;
		case BSON_TYPE_DATE_TIME:
			if (!to_long)
				return unsupported(in, to, msg, msglen);
			v = in->value.v_datetime;
			break;
		case BSON_TYPE_UTF8:
			{
				const char *s = in->value.v_utf8.str;
				size_t		len = in->value.v_utf8.len;
				const char *err;

				if (is_hex_prefixed(s, len))
					return conv_fail(msg, msglen, "Illegal hexadecimal input" NO_ON_ERROR ": %.*s", SHOWN(s, len));
				err = parse_int64_base10(s, len, to_long ? INT64_MIN : INT32_MIN,
										 to_long ? INT64_MAX : INT32_MAX, &v);
				if (err)
					return conv_fail(msg, msglen, "Failed to parse number '%.*s'" NO_ON_ERROR ": %s",
									 SHOWN(s, len), err);
				break;
			}
		default:
			return unsupported(in, to, msg, msglen);
	}
	if (r != ASP_CONV_OK)
		return r;
	if (to_long)
		asp_value_set_int64(out, v);
	else
		asp_value_set_int32(out, (int32_t) v);
	return ASP_CONV_OK;
}

/* to_decimal: conversions to decimal */
static asp_conv_result
to_decimal(const bson_value_t *in, bson_value_t *out, char *msg, size_t msglen)
{
	switch (in->value_type)
	{
		case BSON_TYPE_DECIMAL128:
			*out = *in;
			return ASP_CONV_OK;
		case BSON_TYPE_INT32:
		case BSON_TYPE_INT64:
		case BSON_TYPE_DOUBLE:
			asp_value_set_decimal(out, asp_value_as_decimal(in));
			return ASP_CONV_OK;
		case BSON_TYPE_BOOL:
			asp_value_set_decimal(out, in->value.v_bool ? (asp_dec128) 1 : (asp_dec128) 0);
			return ASP_CONV_OK;
		case BSON_TYPE_DATE_TIME:
			asp_value_set_decimal(out, (asp_dec128) in->value.v_datetime);
			return ASP_CONV_OK;
		case BSON_TYPE_UTF8:
			{
				const char *s = in->value.v_utf8.str;
				size_t		len = in->value.v_utf8.len;
				const char *err;
				asp_dec128	d = 0;

				if (is_hex_prefixed(s, len))
					return conv_fail(msg, msglen, "Illegal hexadecimal input" NO_ON_ERROR ": %.*s", SHOWN(s, len));
				err = parse_decimal(s, len, &d);
				if (err)
					return conv_fail(msg, msglen, "Failed to parse number '%.*s'" NO_ON_ERROR ": %s",
									 SHOWN(s, len), err);
				asp_value_set_decimal(out, d);
				return ASP_CONV_OK;
			}
		default:
			return unsupported(in, BSON_TYPE_DECIMAL128, msg, msglen);
	}
}

/* to_string: conversions to string */
static asp_conv_result
to_string(asp_eval_ctx *ctx, const bson_value_t *in, bson_value_t *out, char *msg, size_t msglen)
{
	char		buf[64];
	int			n;

	switch (in->value_type)
	{
		case BSON_TYPE_UTF8:
			*out = *in;
			return ASP_CONV_OK;
		case BSON_TYPE_DOUBLE:
			n = asp_format_double(in->value.v_double, buf, sizeof(buf));
			break;
		case BSON_TYPE_INT32:
			n = snprintf(buf, sizeof(buf), "%d", in->value.v_int32);
			break;
		case BSON_TYPE_INT64:
			n = snprintf(buf, sizeof(buf), "%lld", (long long) in->value.v_int64);
			break;
		case BSON_TYPE_DECIMAL128:
			bson_decimal128_to_string(&in->value.v_decimal128, buf);
			n = (int) strlen(buf);
			break;
		case BSON_TYPE_BOOL:
			n = snprintf(buf, sizeof(buf), "%s", in->value.v_bool ? "true" : "false");
			break;
		case BSON_TYPE_OID:
			bson_oid_to_string(&in->value.v_oid, buf);
			n = 24;
			break;
		case BSON_TYPE_DATE_TIME:
			n = asp_format_iso_utc(in->value.v_datetime, buf);
			if (n < 0)
			{
				asp_civil	c;

				asp_civil_from_ms(in->value.v_datetime, &c);
				snprintf(msg, msglen,
						 "Could not convert date to string: date component was outside the supported range of 0-9999: %lld",
						 (long long) c.year);
				return ASP_CONV_ERROR;
			}
			break;
		default:
			return unsupported(in, BSON_TYPE_UTF8, msg, msglen);
	}
	set_string(ctx, out, buf, (size_t) n);
	return ASP_CONV_OK;
}

/* to_date: conversions to date */
static asp_conv_result
to_date(const bson_value_t *in, bson_value_t *out, char *msg, size_t msglen)
{
	int64_t		ms = 0;
	asp_conv_result r = ASP_CONV_OK;

	switch (in->value_type)
	{
		case BSON_TYPE_DATE_TIME:
		case BSON_TYPE_TIMESTAMP:
		case BSON_TYPE_OID:
			asp_coerce_to_date(in, &ms);
			break;
		case BSON_TYPE_INT64:
			ms = in->value.v_int64;
			break;
		case BSON_TYPE_DOUBLE:
			r = double_to_int(in->value.v_double, true, &ms, msg, msglen);
			break;
		case BSON_TYPE_DECIMAL128:
			r = decimal_to_int(asp_dec_from_bson(&in->value.v_decimal128), true, &ms, msg, msglen);
			break;
		case BSON_TYPE_UTF8:
			r = string_to_date(in->value.v_utf8.str, in->value.v_utf8.len, &ms, msg, msglen);
			break;
		default:
			return unsupported(in, BSON_TYPE_DATE_TIME, msg, msglen);
	}
	if (r == ASP_CONV_OK)
		asp_value_set_date(out, ms);
	return r;
}

/* to_oid: conversions to objectId */
static asp_conv_result
to_oid(const bson_value_t *in, bson_value_t *out, char *msg, size_t msglen)
{
	if (in->value_type == BSON_TYPE_OID)
	{
		*out = *in;
		return ASP_CONV_OK;
	}
	if (in->value_type == BSON_TYPE_UTF8)
	{
		const char *s = in->value.v_utf8.str;
		size_t		len = in->value.v_utf8.len;
		size_t		i;

		if (len != 24)
			return conv_fail(msg, msglen,
							 "Failed to parse objectId '%.*s'" NO_ON_ERROR ": Invalid string length for parsing to OID, expected 24 but found %zu",
							 SHOWN(s, len), len);
		for (i = 0; i < 24; i++)
			if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
				  (s[i] >= 'A' && s[i] <= 'F')))
				return conv_fail(msg, msglen,
								 "Failed to parse objectId '%.*s'" NO_ON_ERROR ": Invalid character found in hex string: '%c'",
								 SHOWN(s, len), s[i]);
		out->value_type = BSON_TYPE_OID;
		bson_oid_init_from_string_unsafe(&out->value.v_oid, s);
		return ASP_CONV_OK;
	}
	return unsupported(in, BSON_TYPE_OID, msg, msglen);
}

/* to_bool: conversions to bool */
static asp_conv_result
to_bool(const bson_value_t *in, bson_value_t *out, char *msg, size_t msglen)
{
	switch (in->value_type)
	{
		case BSON_TYPE_BOOL:
			*out = *in;
			return ASP_CONV_OK;
		case BSON_TYPE_INT32:
			asp_value_set_bool(out, in->value.v_int32 != 0);
			return ASP_CONV_OK;
		case BSON_TYPE_INT64:
			asp_value_set_bool(out, in->value.v_int64 != 0);
			return ASP_CONV_OK;
		case BSON_TYPE_DOUBLE:
			asp_value_set_bool(out, in->value.v_double != 0);
			return ASP_CONV_OK;
		case BSON_TYPE_DECIMAL128:
			asp_value_set_bool(out, asp_dec_from_bson(&in->value.v_decimal128) != 0 ||
							   asp_dec_is_nan(asp_dec_from_bson(&in->value.v_decimal128)));
			return ASP_CONV_OK;
		case BSON_TYPE_UTF8:
		case BSON_TYPE_OID:
		case BSON_TYPE_DATE_TIME:
		case BSON_TYPE_DOCUMENT:
		case BSON_TYPE_ARRAY:
		case BSON_TYPE_BINARY:
		case BSON_TYPE_REGEX:
		case BSON_TYPE_DBPOINTER:
		case BSON_TYPE_CODE:
		case BSON_TYPE_SYMBOL:
		case BSON_TYPE_CODEWSCOPE:
		case BSON_TYPE_TIMESTAMP:
		case BSON_TYPE_MINKEY:
		case BSON_TYPE_MAXKEY:
			asp_value_set_bool(out, true);
			return ASP_CONV_OK;
		default:
			return unsupported(in, BSON_TYPE_BOOL, msg, msglen);
	}
}

/* asp_convert_value: the conversion table */
asp_conv_result
asp_convert_value(asp_eval_ctx *ctx, const bson_value_t *in, bson_type_t to,
				  bson_value_t *out, char *msg, size_t msglen)
{
	switch (to)
	{
		case BSON_TYPE_DOUBLE:
			return to_double(ctx, in, out, msg, msglen);
		case BSON_TYPE_UTF8:
			return to_string(ctx, in, out, msg, msglen);
		case BSON_TYPE_OID:
			return to_oid(in, out, msg, msglen);
		case BSON_TYPE_BOOL:
			return to_bool(in, out, msg, msglen);
		case BSON_TYPE_DATE_TIME:
			return to_date(in, out, msg, msglen);
		case BSON_TYPE_INT32:
		case BSON_TYPE_INT64:
			return to_integer(in, to, out, msg, msglen);
		case BSON_TYPE_DECIMAL128:
			return to_decimal(in, out, msg, msglen);
		default:
			return unsupported(in, to, msg, msglen);
	}
}

/* ---------- $type, $isNumber ---------- */

/* eval_type: $type */
static bool
eval_type(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t v;
	const char *name;

	if (!asp_expr_eval(e->args[0], ctx, &v))
		return false;
	name = asp_type_name(v.value_type);
	asp_value_set_utf8(out, name, (uint32_t) strlen(name));
	return true;
}

/* eval_is_number: $isNumber */
static bool
eval_is_number(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t v;

	if (!asp_expr_eval(e->args[0], ctx, &v))
		return false;
	asp_value_set_bool(out, asp_value_is_number(&v));
	return true;
}

/* ---------- $convert ---------- */

enum
{
	CV_INPUT, CV_TO, CV_ON_ERROR, CV_ON_NULL, CV_FORMAT, CV_BASE, CV_BYTE_ORDER, CV_SUBTYPE, CV_NARGS
};

typedef struct convert_data
{
	asp_named_idx n;
	bool		to_const;
	int			to_type;		/* 0: 'to' is null */
} convert_data;

/* parse_to: the target type of a 'to' value; 0 for null; -1 + msg on error */
static int
parse_to(const bson_value_t *v, char *msg, size_t msglen)
{
	int			t;
	int64_t		n;

	if (asp_value_is_nullish(v))
		return 0;
	if (v->value_type == BSON_TYPE_UTF8)
	{
		t = asp_type_from_name(v->value.v_utf8.str, v->value.v_utf8.len);
		if (t < 0)
			snprintf(msg, msglen, "Unknown type name: %.*s", SHOWN(v->value.v_utf8.str, v->value.v_utf8.len));
		return t;
	}
	if (asp_value_is_number(v))
	{
		if (!asp_value_as_int64_exact(v, &n))
		{
			snprintf(msg, msglen, "In $convert, numeric 'to' argument is not an integer");
			return -1;
		}
		t = asp_type_from_number(n);
		if (t < 0)
			snprintf(msg, msglen, "In $convert, numeric value for 'to' does not correspond to a BSON type: %lld",
					 (long long) n);
		return t;
	}
	snprintf(msg, msglen, "$convert's 'to' argument must be a string or number, but is %s",
			 asp_type_name(v->value_type));
	return -1;
}

/* convert_common: input evaluated; handles null, conversion and onError */
static bool
convert_common(asp_eval_ctx *ctx, const bson_value_t *in, int to, const asp_expr *on_null,
			   const asp_expr *on_error, bson_value_t *out)
{
	char		msg[ASP_ERROR_MSG_LEN];
	asp_conv_result r;

	if (asp_value_is_nullish(in))
	{
		if (on_null)
			return asp_expr_eval(on_null, ctx, out);
		asp_value_set_null(out);
		return true;
	}
	if (to == 0)
	{
		asp_value_set_null(out);
		return true;
	}
	r = asp_convert_value(ctx, in, (bson_type_t) to, out, msg, sizeof(msg));
	if (r == ASP_CONV_OK)
		return true;
	if (r == ASP_CONV_FAILED && on_error)
		return asp_expr_eval(on_error, ctx, out);
	return asp_eval_error(ctx, "%s", msg);
}

/* eval_convert: $convert */
static bool
eval_convert(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	const convert_data *d = e->data;
	bson_value_t in;
	int			to = d->to_type;

	if (!d->to_const)
	{
		bson_value_t tv;
		char		msg[ASP_ERROR_MSG_LEN];

		if (!asp_expr_eval(asp_named_get(e, CV_TO), ctx, &tv))
			return false;
		to = parse_to(&tv, msg, sizeof(msg));
		if (to < 0)
			return asp_eval_error(ctx, "%s", msg);
	}
	if (!asp_expr_eval(asp_named_get(e, CV_INPUT), ctx, &in))
		return false;
	return convert_common(ctx, &in, to, asp_named_get(e, CV_ON_NULL),
						  asp_named_get(e, CV_ON_ERROR), out);
}

/* compile_convert: {$convert: {input, to, onError, onNull}} */
static asp_expr *
compile_convert(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand)
{
	asp_named_arg args[CV_NARGS] = {
		{.name = "input"}, {.name = "to"}, {.name = "onError"}, {.name = "onNull"},
		{.name = "format"}, {.name = "base"}, {.name = "byteOrder"}, {.name = "subtype"}
	};
	asp_expr   *e;
	convert_data *d;
	int			i;

	if (!asp_named_args_parse(c, def->name, operand, args, CV_NARGS))
		return NULL;
	for (i = CV_FORMAT; i < CV_NARGS; i++)
		if (args[i].present)
		{
			asp_expr_compile_error(c, "$convert parameter '%s' is not supported", args[i].name);
			if (c->err)
				c->err->code = ASP_ERR_UNSUPPORTED;
			asp_error_hint(c->err, "Stream processing supports conversions between numbers, strings, booleans, dates and objectIds.");
			return NULL;
		}
	if (!args[CV_INPUT].present)
		return asp_expr_compile_error(c, "missing 'input' parameter to $convert");
	if (!args[CV_TO].present)
		return asp_expr_compile_error(c, "missing 'to' parameter to $convert");
	e = asp_named_args_compile(c, def->name, def->eval, args, CV_NARGS, sizeof(convert_data));
	if (e == NULL)
		return NULL;
	d = e->data;
	if (asp_named_const(e, CV_TO))
	{
		char		msg[ASP_ERROR_MSG_LEN];

		d->to_type = parse_to(asp_named_const(e, CV_TO), msg, sizeof(msg));
		if (d->to_type < 0)
		{
			asp_expr_free(e);
			/* compile errors start in lower case */
			msg[0] = (char) tolower((unsigned char) msg[0]);
			return asp_expr_compile_error(c, "%s", msg);
		}
		d->to_const = true;
	}
	return e;
}

/* eval_to_type: the $to* shorthands, {$toInt: <expr>} */
static bool
eval_to_type(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out, bson_type_t to)
{
	bson_value_t in;

	if (!asp_expr_eval(e->args[0], ctx, &in))
		return false;
	return convert_common(ctx, &in, to, NULL, NULL, out);
}

#define TO_FN(fn, type) \
static bool \
fn(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out) \
{ \
	return eval_to_type(e, ctx, out, type); \
}

TO_FN(eval_to_int, BSON_TYPE_INT32)
TO_FN(eval_to_long, BSON_TYPE_INT64)
TO_FN(eval_to_double, BSON_TYPE_DOUBLE)
TO_FN(eval_to_decimal, BSON_TYPE_DECIMAL128)
TO_FN(eval_to_string, BSON_TYPE_UTF8)
TO_FN(eval_to_bool, BSON_TYPE_BOOL)
TO_FN(eval_to_date, BSON_TYPE_DATE_TIME)
TO_FN(eval_to_oid, BSON_TYPE_OID)

const asp_op_def asp_ops_type[] = {
	{"$type", eval_type, 1, 1, NULL, true},
	{"$isNumber", eval_is_number, 1, 1, NULL, true},
	{"$convert", eval_convert, 0, 0, compile_convert, true},
	{"$toInt", eval_to_int, 1, 1, NULL, true},
	{"$toLong", eval_to_long, 1, 1, NULL, true},
	{"$toDouble", eval_to_double, 1, 1, NULL, true},
	{"$toDecimal", eval_to_decimal, 1, 1, NULL, true},
	{"$toString", eval_to_string, 1, 1, NULL, true},
	{"$toBool", eval_to_bool, 1, 1, NULL, true},
	{"$toDate", eval_to_date, 1, 1, NULL, true},
	{"$toObjectId", eval_to_oid, 1, 1, NULL, true},
	{NULL, NULL, 0, 0, NULL, false}
};
