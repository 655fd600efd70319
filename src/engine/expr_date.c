/*-------------------------------------------------------------------------
 *
 * expr_date.c
 *	  Date operators: the table asp_ops_date, the date part operators
 *	  ($year $month $dayOfMonth $hour $minute $second $millisecond
 *	  $dayOfWeek $dayOfYear $week $isoWeek $isoWeekYear $isoDayOfWeek),
 *	  $dateToString, $dateFromString, $dateToParts and $dateFromParts.
 *
 * $dateTrunc, $dateAdd, $dateSubtract and $dateDiff live in
 * expr_date_arith.c.  Evaluation order, null handling and messages follow
 * MongoDB's evaluate_date.cpp; calendars and zones come from datetime.h and
 * tz.h.  A constant timezone is resolved once at compile time (an unknown
 * one is a compile error); a computed one is looked up per evaluation in
 * the zone cache.  $dateFromString without a format, in UTC, first tries
 * the fast ISO-8601 parser (asp_parse_iso8601).
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr_date.h"
#include "expr_named.h"
#include "expr_type.h"

/* ---------- shared helpers ---------- */

/* asp_date_tz_compile: resolve a constant timezone at compile time */
bool
asp_date_tz_compile(asp_expr_compiler *c, const asp_expr *arg, asp_date_tz *out,
					const char *prefix)
{
	const bson_value_t *v;

	memset(out, 0, sizeof(*out));
	if (arg == NULL)
	{
		out->known = true;
		asp_tz_set_utc(&out->tz);
		return true;
	}
	if (!arg->is_const)
		return true;
	v = &arg->constant;
	if (asp_value_is_nullish(v))
	{
		out->known = true;
		out->is_null = true;
		return true;
	}
	if (v->value_type != BSON_TYPE_UTF8)
	{
		asp_expr_compile_error(c, "%stimezone must evaluate to a string, found %s",
							   prefix, asp_type_name(v->value_type));
		return false;
	}
	if (!asp_tz_lookup(v->value.v_utf8.str, v->value.v_utf8.len, &out->tz))
	{
		asp_expr_compile_error(c, "%sunrecognized time zone identifier: \"%.*s\"", prefix,
							   (int) v->value.v_utf8.len, v->value.v_utf8.str);
		asp_error_hint(c->err, "Use \"UTC\", an offset such as \"+02:00\", or a tz database name such as \"Europe/Berlin\".");
		return false;
	}
	out->known = true;
	return true;
}

/* asp_date_tz_eval: the timezone of this evaluation */
int
asp_date_tz_eval(asp_eval_ctx *ctx, const asp_expr *arg, const asp_date_tz *pre,
				 asp_timezone *out, const char *prefix)
{
	bson_value_t v;

	if (pre->known)
	{
		if (pre->is_null)
			return 0;
		*out = pre->tz;
		return 1;
	}
	if (!asp_expr_eval(arg, ctx, &v))
		return -1;
	if (asp_value_is_nullish(&v))
		return 0;
	if (v.value_type != BSON_TYPE_UTF8)
	{
		asp_eval_error(ctx, "%stimezone must evaluate to a string, found %s", prefix,
					   asp_type_name(v.value_type));
		return -1;
	}
	if (!asp_tz_lookup(v.value.v_utf8.str, v.value.v_utf8.len, out))
	{
		asp_eval_error(ctx, "%sunrecognized time zone identifier: \"%.*s\"", prefix,
					   (int) (v.value.v_utf8.len > 200 ? 200 : v.value.v_utf8.len), v.value.v_utf8.str);
		return -1;
	}
	return 1;
}

/* asp_date_coerce: date, timestamp or objectId */
bool
asp_date_coerce(asp_eval_ctx *ctx, const bson_value_t *v, int64_t *ms)
{
	if (asp_coerce_to_date(v, ms))
		return true;
	return asp_eval_error(ctx, "can't convert from BSON type %s to Date", asp_type_name(v->value_type));
}

/* eval_named: evaluate argument k if present; missing value if absent */
static bool
eval_named(const asp_expr *e, int k, asp_eval_ctx *ctx, bson_value_t *out)
{
	const asp_expr *a = asp_named_get(e, k);

	if (a == NULL)
	{
		asp_value_set_missing(out);
		return true;
	}
	return asp_expr_eval(a, ctx, out);
}

/* ---------- date part operators ---------- */

typedef enum date_part
{
	DP_YEAR, DP_MONTH, DP_DAY_OF_MONTH, DP_HOUR, DP_MINUTE, DP_SECOND, DP_MILLISECOND,
	DP_DAY_OF_WEEK, DP_DAY_OF_YEAR, DP_WEEK, DP_ISO_WEEK, DP_ISO_WEEK_YEAR, DP_ISO_DAY_OF_WEEK
} date_part;

typedef struct date_part_data
{
	asp_named_idx n;
	asp_date_tz tz;
} date_part_data;

enum
{
	PA_DATE, PA_TIMEZONE, PA_NARGS
};

/*
 * compile_date_part: {$year: <date>}, {$year: [<date>]} or
 * {$year: {date: <date>, timezone: <tz>}}
 */
static asp_expr *
compile_date_part(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand)
{
	asp_named_arg args[PA_NARGS] = {{.name = "date"}, {.name = "timezone"}};
	bson_iter_t it;
	asp_expr   *e;
	date_part_data *d;
	bool		named = false;

	if (operand->value_type == BSON_TYPE_DOCUMENT &&
		bson_iter_init_from_data(&it, operand->value.v_doc.data, operand->value.v_doc.data_len))
		named = !bson_iter_next(&it) || bson_iter_key(&it)[0] != '$';
	if (named)
	{
		if (!asp_named_args_parse(c, def->name, operand, args, PA_NARGS))
			return NULL;
		if (!args[PA_DATE].present)
			return asp_expr_compile_error(c, "missing 'date' parameter to %s", def->name);
	}
	else
	{
		args[PA_DATE].present = true;
		args[PA_DATE].value = *operand;
		args[PA_TIMEZONE].present = false;
		if (operand->value_type == BSON_TYPE_ARRAY)
		{
			int			n = 0;

			if (bson_iter_init_from_data(&it, operand->value.v_doc.data, operand->value.v_doc.data_len))
				while (bson_iter_next(&it))
				{
					if (n++ == 0)
						args[PA_DATE].value = *bson_iter_value(&it);
				}
			if (n != 1)
				return asp_expr_compile_error(c, "%s accepts exactly one argument if given an array, but was given %d",
											  def->name, n);
		}
	}
	e = asp_named_args_compile(c, def->name, def->eval, args, PA_NARGS, sizeof(date_part_data));
	if (e == NULL)
		return NULL;
	d = e->data;
	if (!asp_date_tz_compile(c, asp_named_get(e, PA_TIMEZONE), &d->tz, ""))
	{
		asp_expr_free(e);
		return NULL;
	}
	return e;
}

/* eval_date_part: the shared evaluation of the date part operators */
static bool
eval_date_part(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out, date_part part)
{
	const date_part_data *d = e->data;
	bson_value_t dv;
	int64_t		ms;
	asp_timezone tz;
	asp_civil	c;
	int			r;
	int64_t		iso_year;
	int			iso_week;

	if (!eval_named(e, PA_DATE, ctx, &dv))
		return false;
	if (asp_value_is_nullish(&dv))
	{
		asp_value_set_null(out);
		return true;
	}
	if (!asp_date_coerce(ctx, &dv, &ms))
		return false;
	r = asp_date_tz_eval(ctx, asp_named_get(e, PA_TIMEZONE), &d->tz, &tz, "");
	if (r < 0)
		return false;
	if (r == 0)
	{
		asp_value_set_null(out);
		return true;
	}
	asp_civil_from_ms(asp_tz_utc_to_local_ms(&tz, ms), &c);
	switch (part)
	{
		case DP_YEAR:
			asp_value_set_int32(out, (int32_t) c.year);
			break;
		case DP_MONTH:
			asp_value_set_int32(out, c.month);
			break;
		case DP_DAY_OF_MONTH:
			asp_value_set_int32(out, c.day);
			break;
		case DP_HOUR:
			asp_value_set_int32(out, c.hour);
			break;
		case DP_MINUTE:
			asp_value_set_int32(out, c.minute);
			break;
		case DP_SECOND:
			asp_value_set_int32(out, c.second);
			break;
		case DP_MILLISECOND:
			asp_value_set_int32(out, c.millis);
			break;
		case DP_DAY_OF_WEEK:
			asp_value_set_int32(out, asp_day_of_week(c.days));
			break;
		case DP_DAY_OF_YEAR:
			asp_value_set_int32(out, asp_day_of_year(c.year, c.month, c.day));
			break;
		case DP_WEEK:
			asp_value_set_int32(out, asp_week_of_year(c.year, c.month, c.day, c.days));
			break;
		case DP_ISO_WEEK:
			asp_iso_week(c.days, &iso_year, &iso_week);
			asp_value_set_int32(out, iso_week);
			break;
		case DP_ISO_WEEK_YEAR:
			/* MongoDB returns a long here (TimeZone::isoYear is long long) */
			asp_iso_week(c.days, &iso_year, &iso_week);
			asp_value_set_int64(out, iso_year);
			break;
		case DP_ISO_DAY_OF_WEEK:
			asp_value_set_int32(out, asp_iso_day_of_week(c.days));
			break;
	}
	return true;
}

#define DATE_PART_FN(fn, part) \
static bool \
fn(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out) \
{ \
	return eval_date_part(e, ctx, out, part); \
}

DATE_PART_FN(eval_year, DP_YEAR)
DATE_PART_FN(eval_month, DP_MONTH)
DATE_PART_FN(eval_day_of_month, DP_DAY_OF_MONTH)
DATE_PART_FN(eval_hour, DP_HOUR)
DATE_PART_FN(eval_minute, DP_MINUTE)
DATE_PART_FN(eval_second, DP_SECOND)
DATE_PART_FN(eval_millisecond, DP_MILLISECOND)
DATE_PART_FN(eval_day_of_week, DP_DAY_OF_WEEK)
DATE_PART_FN(eval_day_of_year, DP_DAY_OF_YEAR)
DATE_PART_FN(eval_week, DP_WEEK)
DATE_PART_FN(eval_iso_week, DP_ISO_WEEK)
DATE_PART_FN(eval_iso_week_year, DP_ISO_WEEK_YEAR)
DATE_PART_FN(eval_iso_day_of_week, DP_ISO_DAY_OF_WEEK)

/* ---------- $dateToString ---------- */

enum
{
	TS_DATE, TS_FORMAT, TS_TIMEZONE, TS_ON_NULL, TS_NARGS
};

typedef struct format_data
{
	asp_named_idx n;
	asp_date_tz tz;
	bool		format_valid;	/* constant format already validated */
	asp_iso_cache iso;			/* $dateFromString: the last date string's minute */
} format_data;

/* check_const_format: validate a constant format at compile time */
static bool
check_const_format(asp_expr_compiler *c, const asp_expr *e, int k, const char *op,
				   bool for_parse, format_data *d)
{
	const bson_value_t *f = asp_named_const(e, k);
	char		msg[ASP_ERROR_MSG_LEN];

	if (f == NULL || asp_value_is_nullish(f))
		return true;
	if (f->value_type != BSON_TYPE_UTF8)
	{
		asp_expr_compile_error(c, "%s requires that 'format' be a string, found: %s", op,
							   asp_type_name(f->value_type));
		return false;
	}
	if (!asp_validate_date_format(f->value.v_utf8.str, f->value.v_utf8.len, for_parse, msg, sizeof(msg)))
	{
		msg[0] = (char) tolower((unsigned char) msg[0]);
		asp_expr_compile_error(c, "%s: %s", op, msg);
		return false;
	}
	d->format_valid = true;
	return true;
}

/* eval_format_arg: the format (1), null (0) or error (-1); absent gives 1 with fmt NULL */
static int
eval_format_arg(const asp_expr *e, int k, asp_eval_ctx *ctx, const char *op, bool for_parse,
				bool prevalidated, const char **fmt, size_t *flen)
{
	bson_value_t fv;
	char		msg[ASP_ERROR_MSG_LEN];

	*fmt = NULL;
	*flen = 0;
	if (asp_named_get(e, k) == NULL)
		return 1;
	if (!eval_named(e, k, ctx, &fv))
		return -1;
	if (asp_value_is_nullish(&fv))
		return 0;
	if (fv.value_type != BSON_TYPE_UTF8)
	{
		char		desc[128];

		asp_value_describe(&fv, desc, sizeof(desc));
		asp_eval_error(ctx, "%s requires that 'format' be a string, found: %s with value %s", op,
					   asp_type_name(fv.value_type), desc);
		return -1;
	}
	if (!prevalidated && !asp_validate_date_format(fv.value.v_utf8.str, fv.value.v_utf8.len, for_parse,
												   msg, sizeof(msg)))
	{
		asp_eval_error(ctx, "%s", msg);
		return -1;
	}
	*fmt = fv.value.v_utf8.str;
	*flen = fv.value.v_utf8.len;
	return 1;
}

/*
 * finish_format_op: the common end of compiling $dateToString and
 * $dateFromString: check a constant format and resolve a constant time
 * zone once; frees e and returns NULL on error.
 */
static asp_expr *
finish_format_op(asp_expr_compiler *c, asp_expr *e, int format_arg, int tz_arg,
				 const char *opname, bool for_parse)
{
	format_data *d;

	if (e == NULL)
		return NULL;
	d = e->data;
	if (!check_const_format(c, e, format_arg, opname, for_parse, d) ||
		!asp_date_tz_compile(c, asp_named_get(e, tz_arg), &d->tz, ""))
	{
		asp_expr_free(e);
		return NULL;
	}
	return e;
}

/* compile_date_to_string: {$dateToString: {date, format, timezone, onNull}} */
static asp_expr *
compile_date_to_string(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand)
{
	asp_named_arg args[TS_NARGS] = {{.name = "date"}, {.name = "format"}, {.name = "timezone"}, {.name = "onNull"}};
	asp_expr   *e;

	if (!asp_named_args_parse(c, def->name, operand, args, TS_NARGS))
		return NULL;
	if (!args[TS_DATE].present)
		return asp_expr_compile_error(c, "missing 'date' parameter to $dateToString");
	e = asp_named_args_compile(c, def->name, def->eval, args, TS_NARGS, sizeof(format_data));
	return finish_format_op(c, e, TS_FORMAT, TS_TIMEZONE, "$dateToString", false);
}

/* eval_date_to_string: $dateToString */
static bool
eval_date_to_string(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	const format_data *d = e->data;
	bson_value_t dv;
	const char *fmt;
	size_t		flen;
	int			fr,
				tr;
	asp_timezone tz;
	int64_t		ms;
	char	   *buf;
	long		n;
	char		msg[ASP_ERROR_MSG_LEN];

	if (!eval_named(e, TS_DATE, ctx, &dv))
		return false;
	fr = eval_format_arg(e, TS_FORMAT, ctx, "$dateToString", false, d->format_valid, &fmt, &flen);
	if (fr < 0)
		return false;
	tr = asp_date_tz_eval(ctx, asp_named_get(e, TS_TIMEZONE), &d->tz, &tz, "");
	if (tr < 0)
		return false;
	if (asp_value_is_nullish(&dv))
	{
		if (asp_named_get(e, TS_ON_NULL))
			return eval_named(e, TS_ON_NULL, ctx, out);
		asp_value_set_null(out);
		return true;
	}
	if (tr == 0 || fr == 0)
	{
		asp_value_set_null(out);
		return true;
	}
	if (!asp_date_coerce(ctx, &dv, &ms))
		return false;
	if (fmt == NULL)
	{
		if (tz.kind == ASP_TZ_UTC)
		{
			buf = asp_arena_alloc(ctx->arena, 32);
			n = asp_format_iso_utc(ms, buf);
			if (n >= 0)
			{
				asp_value_set_utf8(out, buf, (uint32_t) n);
				return true;
			}
			fmt = "%Y-%m-%dT%H:%M:%S.%LZ";
		}
		else
			fmt = "%Y-%m-%dT%H:%M:%S.%L";
		flen = strlen(fmt);
	}
	buf = asp_arena_alloc(ctx->arena, asp_format_date_bufsize(flen));
	n = asp_format_date(fmt, flen, ms, &tz, buf, msg, sizeof(msg));
	if (n < 0)
		return asp_eval_error(ctx, "%s", msg);
	asp_value_set_utf8(out, buf, (uint32_t) n);
	return true;
}

/* ---------- $dateFromString ---------- */

enum
{
	FS_DATE_STRING, FS_FORMAT, FS_TIMEZONE, FS_ON_ERROR, FS_ON_NULL, FS_NARGS
};

/* compile_date_from_string: {$dateFromString: {dateString, format, timezone, onError, onNull}} */
static asp_expr *
compile_date_from_string(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand)
{
	asp_named_arg args[FS_NARGS] = {
		{.name = "dateString"}, {.name = "format"}, {.name = "timezone"}, {.name = "onError"}, {.name = "onNull"}
	};
	asp_expr   *e;

	if (!asp_named_args_parse(c, def->name, operand, args, FS_NARGS))
		return NULL;
	if (!args[FS_DATE_STRING].present)
		return asp_expr_compile_error(c, "missing 'dateString' parameter to $dateFromString");
	e = asp_named_args_compile(c, def->name, def->eval, args, FS_NARGS, sizeof(format_data));
	return finish_format_op(c, e, FS_FORMAT, FS_TIMEZONE, "$dateFromString", true);
}

/* parse_date_value: the conversion part of $dateFromString; false + msg on failure */
static bool
parse_date_value(const char *s, size_t len, const char *fmt, size_t flen,
				 const asp_timezone *tz, int64_t *ms, char *msg, size_t msglen)
{
	asp_parsed_date pd;

	if (fmt == NULL)
	{
		if (tz->kind == ASP_TZ_UTC && asp_parse_iso8601(s, len, ms))
			return true;
		if (!asp_parse_date_string(s, len, &pd, msg, msglen))
			return false;
	}
	else if (!asp_parse_date_format(s, len, fmt, flen, &pd, msg, msglen))
		return false;
	if (pd.zone != ASP_PZ_NONE)
	{
		if (tz->kind != ASP_TZ_UTC)
		{
			if (pd.zone == ASP_PZ_OFFSET)
				snprintf(msg, msglen, "you cannot pass in a date/time string with GMT offset together with a timezone argument");
			else
				snprintf(msg, msglen, "you cannot pass in a date/time string with time zone information ('%s') together with a timezone argument",
						 pd.abbr);
			return false;
		}
		*ms = pd.local_ms - (int64_t) pd.offset * 1000;
		return true;
	}
	*ms = asp_tz_local_to_utc_ms(tz, pd.local_ms, asp_tz_is_dst(tz, 0));
	return true;
}

/* eval_date_from_string: $dateFromString */
static bool
eval_date_from_string(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	const format_data *d = e->data;
	bson_value_t sv;
	const char *fmt;
	size_t		flen;
	int			fr,
				tr;
	asp_timezone tz;
	int64_t		ms;
	char		msg[ASP_ERROR_MSG_LEN];

	if (!eval_named(e, FS_DATE_STRING, ctx, &sv))
		return false;
	/* fast path: constant UTC, no format, an ISO-8601 string */
	if (d->tz.known && !d->tz.is_null && d->tz.tz.kind == ASP_TZ_UTC &&
		asp_named_get(e, FS_FORMAT) == NULL && sv.value_type == BSON_TYPE_UTF8 &&
		asp_parse_iso8601_cached(sv.value.v_utf8.str, sv.value.v_utf8.len,
								 &((format_data *) e->data)->iso, &ms))
	{
		asp_value_set_date(out, ms);
		return true;
	}
	fr = eval_format_arg(e, FS_FORMAT, ctx, "$dateFromString", true, d->format_valid, &fmt, &flen);
	if (fr < 0)
		return false;
	tr = asp_date_tz_eval(ctx, asp_named_get(e, FS_TIMEZONE), &d->tz, &tz, "");
	if (tr < 0)
		return false;
	if (asp_value_is_nullish(&sv))
	{
		if (asp_named_get(e, FS_ON_NULL))
			return eval_named(e, FS_ON_NULL, ctx, out);
		asp_value_set_null(out);
		return true;
	}
	if (sv.value_type != BSON_TYPE_UTF8)
	{
		char		desc[128];

		asp_value_describe(&sv, desc, sizeof(desc));
		snprintf(msg, sizeof(msg), "$dateFromString requires that 'dateString' be a string, found: %s with value %s",
				 asp_type_name(sv.value_type), desc);
	}
	else if (tr == 0 || fr == 0)
	{
		asp_value_set_null(out);
		return true;
	}
	else if (parse_date_value(sv.value.v_utf8.str, sv.value.v_utf8.len, fmt, flen, &tz, &ms,
							  msg, sizeof(msg)))
	{
		asp_value_set_date(out, ms);
		return true;
	}
	if (asp_named_get(e, FS_ON_ERROR))
		return eval_named(e, FS_ON_ERROR, ctx, out);
	return asp_eval_error(ctx, "%s", msg);
}

/* ---------- $dateToParts ---------- */

enum
{
	TP_DATE, TP_TIMEZONE, TP_ISO8601, TP_NARGS
};

/* compile_date_to_parts: {$dateToParts: {date, timezone, iso8601}} */
static asp_expr *
compile_date_to_parts(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand)
{
	asp_named_arg args[TP_NARGS] = {{.name = "date"}, {.name = "timezone"}, {.name = "iso8601"}};
	asp_expr   *e;
	date_part_data *d;

	if (!asp_named_args_parse(c, def->name, operand, args, TP_NARGS))
		return NULL;
	if (!args[TP_DATE].present)
		return asp_expr_compile_error(c, "missing 'date' parameter to $dateToParts");
	e = asp_named_args_compile(c, def->name, def->eval, args, TP_NARGS, sizeof(date_part_data));
	if (e == NULL)
		return NULL;
	d = e->data;
	if (!asp_date_tz_compile(c, asp_named_get(e, TP_TIMEZONE), &d->tz, ""))
	{
		asp_expr_free(e);
		return NULL;
	}
	return e;
}

/* eval_date_to_parts: $dateToParts */
static bool
eval_date_to_parts(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	const date_part_data *d = e->data;
	bson_value_t dv,
				iv;
	asp_timezone tz;
	int			r;
	bool		iso = false;
	int64_t		ms;
	asp_civil	c;
	bson_t		b;

	if (!eval_named(e, TP_DATE, ctx, &dv))
		return false;
	r = asp_date_tz_eval(ctx, asp_named_get(e, TP_TIMEZONE), &d->tz, &tz, "");
	if (r < 0)
		return false;
	if (r == 0)
	{
		asp_value_set_null(out);
		return true;
	}
	if (asp_named_get(e, TP_ISO8601))
	{
		if (!eval_named(e, TP_ISO8601, ctx, &iv))
			return false;
		if (asp_value_is_nullish(&iv))
		{
			asp_value_set_null(out);
			return true;
		}
		if (iv.value_type != BSON_TYPE_BOOL)
			return asp_eval_error(ctx, "iso8601 must evaluate to a bool, found %s", asp_type_name(iv.value_type));
		iso = iv.value.v_bool;
	}
	if (asp_value_is_nullish(&dv))
	{
		asp_value_set_null(out);
		return true;
	}
	if (!asp_date_coerce(ctx, &dv, &ms))
		return false;
	asp_civil_from_ms(asp_tz_utc_to_local_ms(&tz, ms), &c);
	bson_init(&b);
	if (iso)
	{
		int64_t		iso_year;
		int			iso_week;

		asp_iso_week(c.days, &iso_year, &iso_week);
		BSON_APPEND_INT32(&b, "isoWeekYear", (int32_t) iso_year);
		BSON_APPEND_INT32(&b, "isoWeek", iso_week);
		BSON_APPEND_INT32(&b, "isoDayOfWeek", asp_iso_day_of_week(c.days));
	}
	else
	{
		BSON_APPEND_INT32(&b, "year", (int32_t) c.year);
		BSON_APPEND_INT32(&b, "month", c.month);
		BSON_APPEND_INT32(&b, "day", c.day);
	}
	BSON_APPEND_INT32(&b, "hour", c.hour);
	BSON_APPEND_INT32(&b, "minute", c.minute);
	BSON_APPEND_INT32(&b, "second", c.second);
	BSON_APPEND_INT32(&b, "millisecond", c.millis);
	asp_arena_take_bson(ctx->arena, &b, BSON_TYPE_DOCUMENT, out);
	return true;
}

/* ---------- $dateFromParts ---------- */

enum
{
	FP_YEAR, FP_MONTH, FP_DAY, FP_HOUR, FP_MINUTE, FP_SECOND, FP_MILLISECOND,
	FP_ISO_WEEK_YEAR, FP_ISO_WEEK, FP_ISO_DAY_OF_WEEK, FP_TIMEZONE, FP_NARGS
};

static const char *const fp_names[FP_NARGS] = {
	"year", "month", "day", "hour", "minute", "second", "millisecond",
	"isoWeekYear", "isoWeek", "isoDayOfWeek", "timezone"
};

/* compile_date_from_parts: {$dateFromParts: {...}} */
static asp_expr *
compile_date_from_parts(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand)
{
	asp_named_arg args[FP_NARGS];
	asp_expr   *e;
	date_part_data *d;
	int			i;
	bool		natural,
				iso;

	for (i = 0; i < FP_NARGS; i++)
		args[i].name = fp_names[i];
	if (!asp_named_args_parse(c, def->name, operand, args, FP_NARGS))
		return NULL;
	natural = args[FP_YEAR].present || args[FP_MONTH].present || args[FP_DAY].present;
	iso = args[FP_ISO_WEEK_YEAR].present || args[FP_ISO_WEEK].present || args[FP_ISO_DAY_OF_WEEK].present;
	if (natural && iso)
		return asp_expr_compile_error(c, "$dateFromParts does not allow mixing natural dates with ISO dates");
	if (!args[FP_YEAR].present && !args[FP_ISO_WEEK_YEAR].present)
		return asp_expr_compile_error(c, "$dateFromParts requires either 'year' or 'isoWeekYear' to be present");
	e = asp_named_args_compile(c, def->name, def->eval, args, FP_NARGS, sizeof(date_part_data));
	if (e == NULL)
		return NULL;
	d = e->data;
	if (!asp_date_tz_compile(c, asp_named_get(e, FP_TIMEZONE), &d->tz, ""))
	{
		asp_expr_free(e);
		return NULL;
	}
	return e;
}

/* fp_number: one part: 1 = value, 0 = null, -1 = error */
static int
fp_number(const asp_expr *e, int k, asp_eval_ctx *ctx, int64_t def, bool bounded, int64_t *out)
{
	bson_value_t v;

	if (asp_named_get(e, k) == NULL)
	{
		*out = def;
		return 1;
	}
	if (!eval_named(e, k, ctx, &v))
		return -1;
	if (asp_value_is_nullish(&v))
		return 0;
	if (!asp_value_is_number(&v) || !asp_value_as_int64_exact(&v, out))
	{
		char		desc[128];

		asp_value_describe(&v, desc, sizeof(desc));
		asp_eval_error(ctx, "'%s' must evaluate to an integer, found %s with value %s",
					   fp_names[k], asp_type_name(v.value_type), desc);
		return -1;
	}
	if (bounded && (*out < -32768 || *out > 32767))
	{
		asp_eval_error(ctx, "'%s' must evaluate to a value in the range [-32768, 32767]; value %lld is not in range",
					   fp_names[k], (long long) *out);
		return -1;
	}
	return 1;
}

/* eval_date_from_parts: $dateFromParts */
static bool
eval_date_from_parts(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	const date_part_data *d = e->data;
	int64_t		hour,
				minute,
				second,
				millis,
				year,
				month,
				day,
				local;
	asp_timezone tz;
	int			r;

#define PART(k, def, bounded, var) \
	do { \
		r = fp_number(e, k, ctx, def, bounded, &var); \
		if (r < 0) \
			return false; \
		if (r == 0) \
		{ \
			asp_value_set_null(out); \
			return true; \
		} \
	} while (0)

	PART(FP_HOUR, 0, true, hour);
	PART(FP_MINUTE, 0, true, minute);
	PART(FP_SECOND, 0, false, second);
	PART(FP_MILLISECOND, 0, false, millis);
	r = asp_date_tz_eval(ctx, asp_named_get(e, FP_TIMEZONE), &d->tz, &tz, "");
	if (r < 0)
		return false;
	if (r == 0)
	{
		asp_value_set_null(out);
		return true;
	}
	if (asp_named_get(e, FP_YEAR))
	{
		PART(FP_YEAR, 1970, false, year);
		PART(FP_MONTH, 1, true, month);
		PART(FP_DAY, 1, true, day);
		if (year < 1 || year > 9999)
			return asp_eval_error(ctx, "'year' must evaluate to an integer in the range 1 to 9999, found %lld",
								  (long long) year);
	}
	else
	{
		int64_t		iso_week,
					iso_dow,
					days;

		PART(FP_ISO_WEEK_YEAR, 1970, false, year);
		PART(FP_ISO_WEEK, 1, true, iso_week);
		PART(FP_ISO_DAY_OF_WEEK, 1, true, iso_dow);
		if (year < 1 || year > 9999)
			return asp_eval_error(ctx, "'isoWeekYear' must evaluate to an integer in the range 1 to 9999, found %lld",
								  (long long) year);
		days = asp_days_from_iso(year, iso_week, iso_dow);
		year = 1970;
		month = 1;
		day = days + 1;
	}
#undef PART
	if (!asp_local_ms_from_parts(year, month, day, hour, minute, second, millis, &local))
		return asp_eval_error(ctx, "$dateFromParts: the date is out of the range of BSON dates");
	asp_value_set_date(out, asp_tz_local_to_utc_ms(&tz, local, asp_tz_is_dst(&tz, 0)));
	return true;
}

const asp_op_def asp_ops_date[] = {
	{"$year", eval_year, 0, 0, compile_date_part, true},
	{"$month", eval_month, 0, 0, compile_date_part, true},
	{"$dayOfMonth", eval_day_of_month, 0, 0, compile_date_part, true},
	{"$hour", eval_hour, 0, 0, compile_date_part, true},
	{"$minute", eval_minute, 0, 0, compile_date_part, true},
	{"$second", eval_second, 0, 0, compile_date_part, true},
	{"$millisecond", eval_millisecond, 0, 0, compile_date_part, true},
	{"$dayOfWeek", eval_day_of_week, 0, 0, compile_date_part, true},
	{"$dayOfYear", eval_day_of_year, 0, 0, compile_date_part, true},
	{"$week", eval_week, 0, 0, compile_date_part, true},
	{"$isoWeek", eval_iso_week, 0, 0, compile_date_part, true},
	{"$isoWeekYear", eval_iso_week_year, 0, 0, compile_date_part, true},
	{"$isoDayOfWeek", eval_iso_day_of_week, 0, 0, compile_date_part, true},
	{"$dateToString", eval_date_to_string, 0, 0, compile_date_to_string, true},
	{"$dateFromString", eval_date_from_string, 0, 0, compile_date_from_string, true},
	{"$dateToParts", eval_date_to_parts, 0, 0, compile_date_to_parts, true},
	{"$dateFromParts", eval_date_from_parts, 0, 0, compile_date_from_parts, true},
	{"$dateTrunc", asp_eval_date_trunc, 0, 0, asp_compile_date_trunc, true},
	{"$dateAdd", asp_eval_date_add, 0, 0, asp_compile_date_add, true},
	{"$dateSubtract", asp_eval_date_subtract, 0, 0, asp_compile_date_add, true},
	{"$dateDiff", asp_eval_date_diff, 0, 0, asp_compile_date_diff, true},
	{NULL, NULL, 0, 0, NULL, false}
};
