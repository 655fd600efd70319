/*-------------------------------------------------------------------------
 *
 * expr_string.c
 *	  String expression operators: $concat $substrCP $substrBytes $substr
 *	  $toUpper $toLower $split $strLenCP $strLenBytes $trim $ltrim $rtrim
 *	  $indexOfCP $indexOfBytes $strcasecmp $replaceOne $replaceAll, and the
 *	  table entries of the regex operators (expr_regex.c).
 *
 * Strings are UTF-8; the *CP operators count code points, the *Bytes
 * operators bytes.  $substr*, $toUpper, $toLower and $strcasecmp convert
 * their input to a string first, as MongoDB's coerceToString does (null
 * and missing become "", numbers are printed, dates become ISO strings);
 * case mapping is ASCII only, as in MongoDB.  Results are built in the
 * per-document arena.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "expr_arith_dec.h"
#include "expr_string.h"
#include "regex.h"

/* limit on a string built by an operator (the BSON document limit) */
#define MAX_STRING_RESULT	ASP_MAX_BSON_SIZE

/* asp_string_result: an arena copy of s as a string value */
void
asp_string_result(asp_eval_ctx *ctx, const char *s, size_t len, bson_value_t *out)
{
	char	   *p = asp_arena_alloc(ctx->arena, len + 1);

	if (len > 0)
		memcpy(p, s, len);
	p[len] = '\0';
	asp_value_set_utf8(out, p, (uint32_t) len);
}

/*
 * value_text: a value the way MongoDB prints a Value in messages
 * (Value::toString): strings quoted, numbers as numbers.
 */
static const char *
value_text(const bson_value_t *v, char *buf, size_t size)
{
	switch (v->value_type)
	{
		case BSON_TYPE_UTF8:
			snprintf(buf, size, "\"%.*s\"", (int) (v->value.v_utf8.len > 200 ? 200 : v->value.v_utf8.len),
					 v->value.v_utf8.str);
			break;
		case BSON_TYPE_DOUBLE:
			snprintf(buf, size, "%g", v->value.v_double);
			break;
		case BSON_TYPE_INT32:
			snprintf(buf, size, "%d", v->value.v_int32);
			break;
		case BSON_TYPE_INT64:
			snprintf(buf, size, "%lld", (long long) v->value.v_int64);
			break;
		case BSON_TYPE_DECIMAL128:
			if (size >= BSON_DECIMAL128_STRING)
				bson_decimal128_to_string(&v->value.v_decimal128, buf);
			else
				snprintf(buf, size, "decimal");
			break;
		case BSON_TYPE_EOD:
			snprintf(buf, size, "MISSING");
			break;
		default:
			asp_value_describe(v, buf, size);
			break;
	}
	return buf;
}

/* ---------- coercion to string ---------- */

static const char *const month_names[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/* civil_from_ms: UTC calendar fields of milliseconds since the epoch */
static void
civil_from_ms(int64_t ms, int64_t *year, int *month, int *day, int *hour,
			  int *minute, int *second, int *millis)
{
	int64_t		days = ms / 86400000,
				rem = ms % 86400000,
				z,
				era,
				doe,
				yoe,
				doy,
				mp;

	if (rem < 0)
	{
		rem += 86400000;
		days--;
	}
	*hour = (int) (rem / 3600000);
	*minute = (int) (rem / 60000 % 60);
	*second = (int) (rem / 1000 % 60);
	*millis = (int) (rem % 1000);
	/* days-from-civil inverse (H. Hinnant) */
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*day = (int) (doy - (153 * mp + 2) / 5 + 1);
	*month = (int) (mp < 10 ? mp + 3 : mp - 9);
	*year = yoe + era * 400 + (*month <= 2 ? 1 : 0);
}

/*
 * coerce_string: MongoDB's Value::coerceToString.  Strings are borrowed;
 * other renderings go to the arena.  Other types are an error.
 */
static bool
coerce_string(asp_eval_ctx *ctx, const bson_value_t *v, const char **s, size_t *len)
{
	char		buf[64];
	int			n;
	int64_t		year;
	int			month,
				day,
				hour,
				minute,
				second,
				millis;

	*s = "";
	*len = 0;
	switch (v->value_type)
	{
		case BSON_TYPE_UTF8:
			*s = v->value.v_utf8.str;
			*len = v->value.v_utf8.len;
			return true;
		case BSON_TYPE_SYMBOL:
			*s = v->value.v_symbol.symbol;
			*len = v->value.v_symbol.len;
			return true;
		case BSON_TYPE_CODE:
			*s = v->value.v_code.code;
			*len = v->value.v_code.code_len;
			return true;
		case BSON_TYPE_EOD:
		case BSON_TYPE_NULL:
		case BSON_TYPE_UNDEFINED:
			*s = "";
			*len = 0;
			return true;
		case BSON_TYPE_DOUBLE:
			n = snprintf(buf, sizeof(buf), "%g", v->value.v_double);
			break;
		case BSON_TYPE_INT32:
			n = snprintf(buf, sizeof(buf), "%d", v->value.v_int32);
			break;
		case BSON_TYPE_INT64:
			n = snprintf(buf, sizeof(buf), "%lld", (long long) v->value.v_int64);
			break;
		case BSON_TYPE_DECIMAL128:
			bson_decimal128_to_string(&v->value.v_decimal128, buf);
			n = (int) strlen(buf);
			break;
		case BSON_TYPE_DATE_TIME:
			civil_from_ms(v->value.v_datetime, &year, &month, &day, &hour, &minute,
						  &second, &millis);
			n = snprintf(buf, sizeof(buf), "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ",
						 (long long) year, month, day, hour, minute, second, millis);
			break;
		case BSON_TYPE_TIMESTAMP:
			/* Timestamp::toStringPretty: ctime's "Mmm dd hh:mm:ss" and the increment */
			civil_from_ms((int64_t) v->value.v_timestamp.timestamp * 1000, &year, &month,
						  &day, &hour, &minute, &second, &millis);
			n = snprintf(buf, sizeof(buf), "%s%3d %02d:%02d:%02d:%u", month_names[month - 1],
						 day, hour, minute, second, v->value.v_timestamp.increment);
			break;
		default:
			return asp_eval_error(ctx, "can't convert from BSON type %s to String",
								  asp_type_name(v->value_type));
	}
	*s = asp_arena_strndup(ctx->arena, buf, (size_t) n);
	*len = (size_t) n;
	return true;
}

/* ---------- $concat ---------- */

/* eval_concat: $concat of strings; null if any operand is null or missing */
static bool
eval_concat(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t *vals;
	size_t		total = 0;
	char	   *p;
	int			i;

	if (e->nargs == 0)
	{
		asp_string_result(ctx, "", 0, out);
		return true;
	}
	vals = asp_arena_alloc(ctx->arena, sizeof(bson_value_t) * e->nargs);
	for (i = 0; i < e->nargs; i++)
	{
		if (!asp_expr_eval(e->args[i], ctx, &vals[i]))
			return false;
		if (asp_value_is_nullish(&vals[i]))
		{
			asp_value_set_null(out);
			return true;
		}
		if (vals[i].value_type != BSON_TYPE_UTF8)
			return asp_eval_error(ctx, "$concat only supports strings, not %s",
								  asp_type_name(vals[i].value_type));
		total += vals[i].value.v_utf8.len;
	}
	if (total > MAX_STRING_RESULT)
		return asp_eval_error(ctx, "$concat: the result would be %zu bytes, more than the 16MB limit",
							  total);
	p = asp_arena_alloc(ctx->arena, total + 1);
	total = 0;
	for (i = 0; i < e->nargs; i++)
	{
		memcpy(p + total, vals[i].value.v_utf8.str, vals[i].value.v_utf8.len);
		total += vals[i].value.v_utf8.len;
	}
	p[total] = '\0';
	asp_value_set_utf8(out, p, (uint32_t) total);
	return true;
}

/* ---------- $substrBytes, $substr, $substrCP ---------- */

/*
 * $substrBytes: a byte range; the range may not start or end inside a
 * UTF-8 character.  A negative length means "to the end".
 */
static bool
eval_substr_bytes(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t v[3];
	const char *s;
	size_t		len,
				lower,
				length;
	int64_t		l,
				n;

	if (!asp_eval_args(e, ctx, v) || !coerce_string(ctx, &v[0], &s, &len))
		return false;
	if (!asp_value_is_number(&v[1]))
		return asp_eval_error(ctx, "$substrBytes:  starting index must be a numeric type (is BSON type %s)",
							  asp_type_name(v[1].value_type));
	if (!asp_value_is_number(&v[2]))
		return asp_eval_error(ctx, "$substrBytes:  length must be a numeric type (is BSON type %s)",
							  asp_type_name(v[2].value_type));
	if (!asp_number_to_int64(&v[1], &l))
		return asp_eval_error(ctx, "Can't coerce out of range value %g to long",
							  asp_value_as_double(&v[1]));
	if (!asp_number_to_int64(&v[2], &n))
		return asp_eval_error(ctx, "Can't coerce out of range value %g to long",
							  asp_value_as_double(&v[2]));
	if (l < 0)
		return asp_eval_error(ctx, "$substrBytes:  starting index must be non-negative (got: %lld)",
							  (long long) l);
	lower = (size_t) l;
	length = n < 0 ? len : (size_t) n;
	if (lower < len && asp_utf8_is_continuation((unsigned char) s[lower]))
		return asp_eval_error(ctx, "$substrBytes:  Invalid range, starting index is a UTF-8 continuation byte.");
	if (lower < len && length < len - lower &&
		asp_utf8_is_continuation((unsigned char) s[lower + length]))
		return asp_eval_error(ctx, "$substrBytes:  Invalid range, ending index is in the middle of a UTF-8 character.");
	if (lower >= len)
	{
		asp_string_result(ctx, "", 0, out);
		return true;
	}
	if (length > len - lower)
		length = len - lower;
	asp_string_result(ctx, s + lower, length, out);
	return true;
}

/* int_arg: a $substrCP bound: numeric and representable as int32 */
static bool
int_arg(asp_eval_ctx *ctx, const bson_value_t *v, const char *what, int32_t *out)
{
	char		buf[64];
	int64_t		i;

	if (!asp_value_is_number(v))
		return asp_eval_error(ctx, "$substrCP: %s must be a numeric type (is BSON type %s)",
							  what, asp_type_name(v->value_type));
	if (!asp_value_as_int64_exact(v, &i) || i < INT32_MIN || i > INT32_MAX)
		return asp_eval_error(ctx, "$substrCP: %s cannot be represented as a 32-bit integral value: %s",
							  what, value_text(v, buf, sizeof(buf)));
	*out = (int32_t) i;
	return true;
}

/* $substrCP: a range of code points */
static bool
eval_substr_cp(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t v[3];
	const char *s;
	size_t		len,
				start = 0,
				end;
	int32_t		first,
				count,
				i;

	if (!asp_eval_args(e, ctx, v) || !coerce_string(ctx, &v[0], &s, &len))
		return false;
	if (!int_arg(ctx, &v[1], "starting index", &first) ||
		!int_arg(ctx, &v[2], "length", &count))
		return false;
	if (count < 0)
		return asp_eval_error(ctx, "$substrCP: length must be a nonnegative integer.");
	if (first < 0)
		return asp_eval_error(ctx, "$substrCP: the starting index must be nonnegative integer.");
	for (i = 0; i < first; i++)
	{
		if (start >= len)
		{
			asp_string_result(ctx, "", 0, out);
			return true;
		}
		if (asp_utf8_is_continuation((unsigned char) s[start]) ||
			asp_utf8_cp_len((unsigned char) s[start]) > 4)
			return asp_eval_error(ctx, "$substrCP: invalid UTF-8 string");
		start += asp_utf8_cp_len((unsigned char) s[start]);
	}
	end = start;
	for (i = 0; i < count && end < len; i++)
	{
		if (asp_utf8_is_continuation((unsigned char) s[end]) ||
			asp_utf8_cp_len((unsigned char) s[end]) > 4)
			return asp_eval_error(ctx, "$substrCP: invalid UTF-8 string");
		end += asp_utf8_cp_len((unsigned char) s[end]);
	}
	if (start > len)
		start = len;
	if (end > len)
		end = len;
	asp_string_result(ctx, s + start, end - start, out);
	return true;
}

/* ---------- $toUpper, $toLower, $strcasecmp ---------- */

/* change_case: ASCII case mapping of the coerced input */
static bool
change_case(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out, bool upper)
{
	bson_value_t v;
	const char *s;
	size_t		len,
				i;
	char	   *p;

	if (!asp_expr_eval(e->args[0], ctx, &v) || !coerce_string(ctx, &v, &s, &len))
		return false;
	p = asp_arena_alloc(ctx->arena, len + 1);
	for (i = 0; i < len; i++)
	{
		char		ch = s[i];

		if (upper && ch >= 'a' && ch <= 'z')
			ch = (char) (ch - 'a' + 'A');
		else if (!upper && ch >= 'A' && ch <= 'Z')
			ch = (char) (ch - 'A' + 'a');
		p[i] = ch;
	}
	p[len] = '\0';
	asp_value_set_utf8(out, p, (uint32_t) len);
	return true;
}

/* eval_to_upper: $toUpper */
static bool
eval_to_upper(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	return change_case(e, ctx, out, true);
}

/* eval_to_lower: $toLower */
static bool
eval_to_lower(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	return change_case(e, ctx, out, false);
}

/* ascii_upper: upper-case ASCII letters */
static unsigned char
ascii_upper(unsigned char c)
{
	return (c >= 'a' && c <= 'z') ? (unsigned char) (c - 'a' + 'A') : c;
}

/* eval_strcasecmp: $strcasecmp, ASCII case-insensitive: -1, 0 or 1 */
static bool
eval_strcasecmp(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t v[2];
	const char *a,
			   *b;
	size_t		alen,
				blen,
				i;
	int			cmp = 0;

	if (!asp_eval_args(e, ctx, v) || !coerce_string(ctx, &v[0], &a, &alen) ||
		!coerce_string(ctx, &v[1], &b, &blen))
		return false;
	for (i = 0; i < alen && i < blen && cmp == 0; i++)
	{
		unsigned char ca = ascii_upper((unsigned char) a[i]),
					cb = ascii_upper((unsigned char) b[i]);

		if (ca != cb)
			cmp = ca < cb ? -1 : 1;
	}
	if (cmp == 0 && alen != blen)
		cmp = alen < blen ? -1 : 1;
	asp_value_set_int32(out, cmp);
	return true;
}

/* ---------- $split ---------- */

/* find_bytes: first occurrence of needle in hay at or after from, or -1 */
static long
find_bytes(const char *hay, size_t hlen, const char *needle, size_t nlen, size_t from)
{
	size_t		i;

	if (nlen == 0)
		return from <= hlen ? (long) from : -1;
	if (nlen > hlen)
		return -1;
	for (i = from; i + nlen <= hlen; i++)
	{
		const char *p = memchr(hay + i, needle[0], hlen - nlen + 1 - i);

		if (p == NULL)
			return -1;
		i = (size_t) (p - hay);
		if (memcmp(p, needle, nlen) == 0)
			return (long) i;
	}
	return -1;
}

/* eval_split: $split [string, separator] into an array of strings */
static bool
eval_split(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t v[2];
	const char *s,
			   *sep;
	size_t		len,
				seplen,
				pos = 0;
	uint32_t	n = 0;
	bson_t		arr;

	if (!asp_eval_args(e, ctx, v))
		return false;
	if (asp_value_is_nullish(&v[0]) || asp_value_is_nullish(&v[1]))
	{
		asp_value_set_null(out);
		return true;
	}
	if (v[0].value_type != BSON_TYPE_UTF8)
		return asp_eval_error(ctx, "$split requires an expression that evaluates to a string as a first argument, found: %s",
							  asp_type_name(v[0].value_type));
	if (v[1].value_type != BSON_TYPE_UTF8)
		return asp_eval_error(ctx, "$split requires an expression that evaluates to a string as a second argument, found: %s",
							  asp_type_name(v[1].value_type));
	s = v[0].value.v_utf8.str;
	len = v[0].value.v_utf8.len;
	sep = v[1].value.v_utf8.str;
	seplen = v[1].value.v_utf8.len;
	if (seplen == 0)
		return asp_eval_error(ctx, "$split requires a non-empty separator");
	bson_init(&arr);
	for (;;)
	{
		long		at = find_bytes(s, len, sep, seplen, pos);
		size_t		piece_end = at < 0 ? len : (size_t) at;
		char		kbuf[16];
		size_t		klen;
		const char *key = asp_array_key(n++, kbuf, sizeof(kbuf), &klen);

		bson_append_utf8(&arr, key, (int) klen, s + pos, (int) (piece_end - pos));
		if (at < 0)
			break;
		pos = piece_end + seplen;
	}
	asp_arena_take_bson(ctx->arena, &arr, BSON_TYPE_ARRAY, out);
	return true;
}

/* ---------- $strLenBytes, $strLenCP ---------- */

/* eval_str_len_bytes: $strLenBytes */
static bool
eval_str_len_bytes(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t v;

	if (!asp_expr_eval(e->args[0], ctx, &v))
		return false;
	if (v.value_type != BSON_TYPE_UTF8)
		return asp_eval_error(ctx, "$strLenBytes requires a string argument, found: %s",
							  asp_type_name(v.value_type));
	asp_value_set_int32(out, (int32_t) v.value.v_utf8.len);
	return true;
}

/* eval_str_len_cp: $strLenCP, in code points */
static bool
eval_str_len_cp(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t v;

	if (!asp_expr_eval(e->args[0], ctx, &v))
		return false;
	if (v.value_type != BSON_TYPE_UTF8)
		return asp_eval_error(ctx, "$strLenCP requires a string argument, found: %s",
							  asp_type_name(v.value_type));
	asp_value_set_int32(out, (int32_t) asp_utf8_count(v.value.v_utf8.str, v.value.v_utf8.len));
	return true;
}

/* ---------- $indexOfBytes, $indexOfCP ---------- */

/* index_bound: an optional start/end argument: a nonnegative int32 */
static bool
index_bound(const asp_expr *e, asp_eval_ctx *ctx, int at, const char *what, size_t *out)
{
	bson_value_t v;
	int64_t		i;
	char		buf[256];

	if (!asp_expr_eval(e->args[at], ctx, &v))
		return false;
	if (!asp_value_is_number(&v) || !asp_value_as_int64_exact(&v, &i) ||
		i < INT32_MIN || i > INT32_MAX)
		return asp_eval_error(ctx, "%s requires an integral %s, found a value of type: %s, with value: %s",
							  e->name, what, asp_type_name(v.value_type),
							  value_text(&v, buf, sizeof(buf)));
	if (i < 0)
		return asp_eval_error(ctx, "%s requires a nonnegative %s, found: %s",
							  e->name, what, value_text(&v, buf, sizeof(buf)));
	*out = (size_t) i;
	return true;
}

/* index_strings: the string and token arguments of $indexOf*; *done when null */
static bool
index_strings(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *v, bson_value_t *out,
			  bool *done)
{
	*done = false;
	if (!asp_expr_eval(e->args[0], ctx, &v[0]))
		return false;
	if (asp_value_is_nullish(&v[0]))
	{
		asp_value_set_null(out);
		*done = true;
		return true;
	}
	if (v[0].value_type != BSON_TYPE_UTF8)
		return asp_eval_error(ctx, "%s requires a string as the first argument, found: %s",
							  e->name, asp_type_name(v[0].value_type));
	if (!asp_expr_eval(e->args[1], ctx, &v[1]))
		return false;
	if (v[1].value_type != BSON_TYPE_UTF8)
		return asp_eval_error(ctx, "%s requires a string as the second argument, found: %s",
							  e->name, asp_type_name(v[1].value_type));
	return true;
}

/* eval_index_of_bytes: $indexOfBytes [string, token, start, end] */
static bool
eval_index_of_bytes(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t v[2];
	bool		done;
	size_t		len,
				start = 0,
				end;
	long		at;

	if (!index_strings(e, ctx, v, out, &done))
		return false;
	if (done)
		return true;
	len = v[0].value.v_utf8.len;
	end = len;
	if (e->nargs > 2 && !index_bound(e, ctx, 2, "starting index", &start))
		return false;
	if (e->nargs > 3)
	{
		if (!index_bound(e, ctx, 3, "ending index", &end))
			return false;
		if (end > len)
			end = len;
	}
	if (start > len || end < start)
	{
		asp_value_set_int32(out, -1);
		return true;
	}
	at = find_bytes(v[0].value.v_utf8.str, end, v[1].value.v_utf8.str,
					v[1].value.v_utf8.len, start);
	asp_value_set_int32(out, (int32_t) at);
	return true;
}

/* eval_index_of_cp: $indexOfCP [string, token, start, end], in code points */
static bool
eval_index_of_cp(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t v[2];
	bool		done;
	const char *s,
			   *tok;
	size_t		len,
				toklen,
				start_cp = 0,
				start_byte = 0,
				ncp = 0,
				end_cp,
				i,
				cp;

	if (!index_strings(e, ctx, v, out, &done))
		return false;
	if (done)
		return true;
	s = v[0].value.v_utf8.str;
	len = v[0].value.v_utf8.len;
	tok = v[1].value.v_utf8.str;
	toklen = v[1].value.v_utf8.len;
	if (e->nargs > 2 && !index_bound(e, ctx, 2, "starting index", &start_cp))
		return false;
	/* count code points, and find the byte where the search starts */
	for (i = 0; i < len; ncp++)
	{
		if (ncp == start_cp)
			start_byte = i;
		if (asp_utf8_is_continuation((unsigned char) s[i]))
			return asp_eval_error(ctx, "$indexOfCP found bad UTF-8 in the input");
		i += asp_utf8_cp_len((unsigned char) s[i]);
	}
	end_cp = ncp;
	if (e->nargs > 3)
	{
		if (!index_bound(e, ctx, 3, "ending index", &end_cp))
			return false;
		if (end_cp > ncp)
			end_cp = ncp;
	}
	if (end_cp < start_cp)
	{
		asp_value_set_int32(out, -1);
		return true;
	}
	if (start_byte == 0 && len == 0 && toklen == 0)
	{
		asp_value_set_int32(out, 0);
		return true;
	}
	for (cp = start_cp, i = start_byte; cp < end_cp; cp++)
	{
		if (i + toklen <= len && memcmp(s + i, tok, toklen) == 0)
		{
			asp_value_set_int32(out, (int32_t) cp);
			return true;
		}
		i += asp_utf8_cp_len((unsigned char) s[i]);
		if (i > len)
			break;
	}
	asp_value_set_int32(out, -1);
	return true;
}

/* ---------- $trim, $ltrim, $rtrim ---------- */

/* a code point to trim */
typedef struct trim_cp
{
	const char *p;
	size_t		len;
} trim_cp;

/* MongoDB's default: NUL and the Unicode whitespace characters */
static const trim_cp default_trim[] = {
	{"\0", 1}, {" ", 1}, {"\t", 1}, {"\n", 1}, {"\v", 1}, {"\f", 1}, {"\r", 1},
	{"\xc2\xa0", 2}, {"\xe1\x9a\x80", 3}, {"\xe2\x80\x80", 3}, {"\xe2\x80\x81", 3},
	{"\xe2\x80\x82", 3}, {"\xe2\x80\x83", 3}, {"\xe2\x80\x84", 3}, {"\xe2\x80\x85", 3},
	{"\xe2\x80\x86", 3}, {"\xe2\x80\x87", 3}, {"\xe2\x80\x88", 3}, {"\xe2\x80\x89", 3},
	{"\xe2\x80\x8a", 3}
};

#define TRIM_LEFT	1
#define TRIM_RIGHT	2

/* trim_cp_bytes: MongoDB's numberOfBytesForCodePoint */
static size_t
trim_cp_bytes(unsigned char c)
{
	if ((c & 0xF8) == 0xF0)
		return 4;
	if ((c & 0xF0) == 0xE0)
		return 3;
	if ((c & 0xE0) == 0xC0)
		return 2;
	return 1;
}

/* trim_match: the code point of set that occurs at s[at..], or NULL */
static const trim_cp *
trim_match(const char *s, size_t len, size_t at, const trim_cp *set, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		if (at + set[i].len <= len && memcmp(s + at, set[i].p, set[i].len) == 0)
			return &set[i];
	return NULL;
}

/* eval_trim: $trim, $ltrim and $rtrim {input, chars}; chars are code points */
static bool
eval_trim(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	bson_value_t in,
				chars;
	const trim_cp *set = default_trim;
	int			nset = (int) (sizeof(default_trim) / sizeof(default_trim[0]));
	int			sides = strcmp(e->name, "$ltrim") == 0 ? TRIM_LEFT :
		strcmp(e->name, "$rtrim") == 0 ? TRIM_RIGHT : TRIM_LEFT | TRIM_RIGHT;
	const char *s;
	size_t		len,
				lo = 0,
				hi;
	char		buf[256];

	if (!asp_expr_eval(e->args[0], ctx, &in))
		return false;
	if (asp_value_is_nullish(&in))
	{
		asp_value_set_null(out);
		return true;
	}
	if (in.value_type != BSON_TYPE_UTF8)
		return asp_eval_error(ctx, "%s requires its input to be a string, got %s (of type %s) instead.",
							  e->name, value_text(&in, buf, sizeof(buf)), asp_type_name(in.value_type));
	s = in.value.v_utf8.str;
	len = in.value.v_utf8.len;
	if (e->nargs > 1)
	{
		trim_cp    *user;
		const char *c;
		size_t		clen,
					i;

		if (!asp_expr_eval(e->args[1], ctx, &chars))
			return false;
		if (asp_value_is_nullish(&chars))
		{
			asp_value_set_null(out);
			return true;
		}
		if (chars.value_type != BSON_TYPE_UTF8)
			return asp_eval_error(ctx, "%s requires 'chars' to be a string, got %s (of type %s) instead.",
								  e->name, value_text(&chars, buf, sizeof(buf)),
								  asp_type_name(chars.value_type));
		c = chars.value.v_utf8.str;
		clen = chars.value.v_utf8.len;
		user = asp_arena_alloc(ctx->arena, sizeof(trim_cp) * (clen + 1));
		nset = 0;
		for (i = 0; i < clen;)
		{
			size_t		n = trim_cp_bytes((unsigned char) c[i]);

			if (asp_utf8_is_continuation((unsigned char) c[i]))
				return asp_eval_error(ctx, "Failed to parse \"chars\" argument to %s: Detected invalid UTF-8. Got continuation byte when expecting the start of a new code point.",
									  e->name);
			user[nset].p = c + i;
			user[nset].len = i + n <= clen ? n : clen - i;
			nset++;
			i += n;
			if (i > clen)
				return asp_eval_error(ctx, "Failed to parse \"chars\" argument to %s: Detected invalid UTF-8. Missing expected continuation byte at end of string.",
									  e->name);
		}
		set = user;
	}
	hi = len;
	if (sides & TRIM_LEFT)
	{
		const trim_cp *m;

		while (lo < hi && (m = trim_match(s, len, lo, set, nset)) != NULL)
			lo += m->len;
	}
	if (sides & TRIM_RIGHT)
	{
		while (hi > lo)
		{
			int			i;

			for (i = 0; i < nset; i++)
				if (set[i].len <= hi - lo &&
					memcmp(s + hi - set[i].len, set[i].p, set[i].len) == 0)
					break;
			if (i == nset)
				break;
			hi -= set[i].len;
		}
	}
	asp_string_result(ctx, s + lo, hi - lo, out);
	return true;
}

/*
 * compile_named: parse {name: expr, ...} named arguments into e->args in
 * the order of names[]; required[] marks mandatory ones.  Absent optional
 * arguments leave a NULL slot at the end (nargs is trimmed to the last
 * present argument).  Returns NULL after a compile error.
 */
static asp_expr *
compile_named(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand,
			  const char *const *names, const bool *required, int n,
			  const char *missing_fmt)
{
	bson_value_t vals[4];
	bool		seen[4] = {false, false, false, false};
	bson_iter_t it;
	asp_expr   *e;
	int			i,
				last = 0;

	if (operand->value_type != BSON_TYPE_DOCUMENT)
	{
		asp_expr_compile_error(c, "%s requires an object as an argument, found: %s",
							   def->name, asp_type_name(operand->value_type));
		asp_error_hint(c->err, "Write {\"%s\": {\"%s\": ...}}.", def->name, names[0]);
		return NULL;
	}
	bson_iter_init_from_data(&it, operand->value.v_doc.data, operand->value.v_doc.data_len);
	while (bson_iter_next(&it))
	{
		for (i = 0; i < n; i++)
			if (strcmp(bson_iter_key(&it), names[i]) == 0)
				break;
		if (i == n)
		{
			asp_expr_compile_error(c, "unrecognized parameter to %s: %s", def->name,
								   bson_iter_key(&it));
			return NULL;
		}
		vals[i] = *bson_iter_value(&it);
		seen[i] = true;
	}
	for (i = 0; i < n; i++)
	{
		if (required[i] && !seen[i])
		{
			asp_expr_compile_error(c, missing_fmt, def->name, names[i]);
			return NULL;
		}
		if (seen[i])
			last = i + 1;
	}
	e = asp_expr_new(def->name, def->eval, last);
	for (i = 0; i < last; i++)
	{
		bson_value_t missing;

		if (!seen[i])
		{
			/* an absent optional argument before a present one */
			asp_value_set_missing(&missing);
			e->args[i] = asp_expr_new_literal(&missing);
			continue;
		}
		e->args[i] = asp_expr_compile_value(c, &vals[i]);
		if (e->args[i] == NULL)
		{
			asp_expr_free(e);
			return NULL;
		}
	}
	return e;
}

/* compile_trim: {$trim: {input, chars}} */
static asp_expr *
compile_trim(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand)
{
	static const char *const names[] = {"input", "chars"};
	static const bool required[] = {true, false};

	if (operand->value_type != BSON_TYPE_DOCUMENT)
	{
		asp_expr_compile_error(c, "%s only supports an object as an argument, found %s",
							   def->name, asp_type_name(operand->value_type));
		asp_error_hint(c->err, "Write {\"%s\": {\"input\": <string>, \"chars\": <string>}}.", def->name);
		return NULL;
	}
	return compile_named(c, def, operand, names, required, 2, "%s requires an '%s' field");
}

/* ---------- $replaceOne, $replaceAll ---------- */

/* replace: $replaceOne (all = false) and $replaceAll */
static bool
replace(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out, bool all)
{
	static const char *const what[3] = {"input", "find", "replacement"};
	bson_value_t v[3];
	const char *s,
			   *find,
			   *rep;
	size_t		len,
				flen,
				rlen,
				total,
				count,
				pos;
	char	   *p;
	long		at;
	int			i;
	char		buf[256];

	if (!asp_eval_args(e, ctx, v))
		return false;
	for (i = 0; i < 3; i++)
		if (v[i].value_type != BSON_TYPE_UTF8 && !asp_value_is_nullish(&v[i]))
			return asp_eval_error(ctx, "%s requires that '%s' be a string, found: %s",
								  e->name, what[i], value_text(&v[i], buf, sizeof(buf)));
	for (i = 0; i < 3; i++)
		if (asp_value_is_nullish(&v[i]))
		{
			asp_value_set_null(out);
			return true;
		}
	s = v[0].value.v_utf8.str;
	len = v[0].value.v_utf8.len;
	find = v[1].value.v_utf8.str;
	flen = v[1].value.v_utf8.len;
	rep = v[2].value.v_utf8.str;
	rlen = v[2].value.v_utf8.len;

	if (!all)
	{
		at = find_bytes(s, len, find, flen, 0);
		if (at < 0)
		{
			asp_string_result(ctx, s, len, out);
			return true;
		}
		total = len - flen + rlen;
		if (total > MAX_STRING_RESULT)
			return asp_eval_error(ctx, "%s: the result would be %zu bytes, more than the 16MB limit",
								  e->name, total);
		p = asp_arena_alloc(ctx->arena, total + 1);
		memcpy(p, s, (size_t) at);
		memcpy(p + at, rep, rlen);
		memcpy(p + at + rlen, s + at + flen, len - (size_t) at - flen);
		p[total] = '\0';
		asp_value_set_utf8(out, p, (uint32_t) total);
		return true;
	}

	if (flen == 0)
	{
		/* the empty string matches before every character and at the end */
		size_t		ncp = asp_utf8_count(s, len);

		total = len + (ncp + 1) * rlen;
		if (total > MAX_STRING_RESULT)
			return asp_eval_error(ctx, "%s: the result would be %zu bytes, more than the 16MB limit",
								  e->name, total);
		p = asp_arena_alloc(ctx->arena, total + 1);
		total = 0;
		for (pos = 0; pos <= len;)
		{
			size_t		n;

			memcpy(p + total, rep, rlen);
			total += rlen;
			if (pos == len)
				break;
			/* copy one code point (a lead byte and its continuation bytes) */
			n = 1;
			while (pos + n < len && asp_utf8_is_continuation((unsigned char) s[pos + n]))
				n++;
			memcpy(p + total, s + pos, n);
			total += n;
			pos += n;
		}
		p[total] = '\0';
		asp_value_set_utf8(out, p, (uint32_t) total);
		return true;
	}

	/* count matches first, then build the result in one allocation */
	count = 0;
	for (pos = 0; (at = find_bytes(s, len, find, flen, pos)) >= 0; pos = (size_t) at + flen)
		count++;
	total = len - count * flen + count * rlen;
	if (total > MAX_STRING_RESULT)
		return asp_eval_error(ctx, "%s: the result would be %zu bytes, more than the 16MB limit",
							  e->name, total);
	p = asp_arena_alloc(ctx->arena, total + 1);
	total = 0;
	for (pos = 0; (at = find_bytes(s, len, find, flen, pos)) >= 0; pos = (size_t) at + flen)
	{
		memcpy(p + total, s + pos, (size_t) at - pos);
		total += (size_t) at - pos;
		memcpy(p + total, rep, rlen);
		total += rlen;
	}
	memcpy(p + total, s + pos, len - pos);
	total += len - pos;
	p[total] = '\0';
	asp_value_set_utf8(out, p, (uint32_t) total);
	return true;
}

/* eval_replace_one: $replaceOne */
static bool
eval_replace_one(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	return replace(e, ctx, out, false);
}

/* eval_replace_all: $replaceAll */
static bool
eval_replace_all(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	return replace(e, ctx, out, true);
}

/* compile_replace: {$replaceOne: {input, find, replacement}} */
static asp_expr *
compile_replace(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand)
{
	static const char *const names[] = {"input", "find", "replacement"};
	static const bool required[] = {true, true, true};

	return compile_named(c, def, operand, names, required, 3,
						 "%s requires '%s' to be specified");
}

const asp_op_def asp_ops_string[] = {
	{"$concat", eval_concat, 0, -1, NULL, true},
	{"$substrCP", eval_substr_cp, 3, 3, NULL, true},
	{"$substrBytes", eval_substr_bytes, 3, 3, NULL, true},
	{"$substr", eval_substr_bytes, 3, 3, NULL, true},
	{"$toUpper", eval_to_upper, 1, 1, NULL, true},
	{"$toLower", eval_to_lower, 1, 1, NULL, true},
	{"$split", eval_split, 2, 2, NULL, true},
	{"$strLenCP", eval_str_len_cp, 1, 1, NULL, true},
	{"$strLenBytes", eval_str_len_bytes, 1, 1, NULL, true},
	{"$trim", eval_trim, 1, 2, compile_trim, true},
	{"$ltrim", eval_trim, 1, 2, compile_trim, true},
	{"$rtrim", eval_trim, 1, 2, compile_trim, true},
	{"$regexMatch", asp_eval_regex_match, 2, 3, asp_compile_regex_op, true},
	{"$regexFind", asp_eval_regex_find, 2, 3, asp_compile_regex_op, true},
	{"$regexFindAll", asp_eval_regex_find_all, 2, 3, asp_compile_regex_op, true},
	{"$indexOfCP", eval_index_of_cp, 2, 4, NULL, true},
	{"$indexOfBytes", eval_index_of_bytes, 2, 4, NULL, true},
	{"$strcasecmp", eval_strcasecmp, 2, 2, NULL, true},
	{"$replaceOne", eval_replace_one, 3, 3, compile_replace, true},
	{"$replaceAll", eval_replace_all, 3, 3, compile_replace, true},
	{NULL, NULL, 0, 0, NULL, false}
};
