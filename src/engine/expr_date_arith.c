/*-------------------------------------------------------------------------
 *
 * expr_date_arith.c
 *	  Date arithmetic operators: $dateTrunc, $dateAdd, $dateSubtract and
 *	  $dateDiff.
 *
 * The algorithms are MongoDB's (date_time_support.cpp):
 *	- units of a day or more are computed on the local calendar of the
 *	  timezone, so adding a day across a DST change keeps the wall-clock
 *	  time; adding months clamps the day to the end of the month
 *	  (Jan 31 + 1 month = Feb 28/29); hours and smaller are plain
 *	  milliseconds;
 *	- $dateDiff counts calendar boundaries crossed (2024-12-31 to
 *	  2025-01-01 is one year), with hours, minutes and seconds corrected by
 *	  the change of UTC offset between the two dates;
 *	- $dateTrunc bins are anchored at 2000-01-01T00:00 local time (for
 *	  weeks: the first startOfWeek day on or after it), and hours and
 *	  smaller are truncated in milliseconds from that anchor.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "expr_date.h"
#include "expr_named.h"
#include "expr_type.h"

typedef enum time_unit
{
	TU_YEAR, TU_QUARTER, TU_MONTH, TU_WEEK, TU_DAY, TU_HOUR, TU_MINUTE, TU_SECOND, TU_MILLISECOND
} time_unit;

static const char *const unit_names[] = {
	"year", "quarter", "month", "week", "day", "hour", "minute", "second", "millisecond"
};

static const int64_t unit_ms[] = {0, 0, 0, 0, 0, ASP_MS_PER_HOUR, ASP_MS_PER_MINUTE, 1000, 1};

/* days of the week: 1 = Monday .. 7 = Sunday (MongoDB's DayOfWeek) */
static const char *const dow_names[] = {
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
};

#define SOW_DEFAULT 7			/* Sunday */

/* parse_unit: a time unit, or -1 with msg */
static int
parse_unit(const bson_value_t *v, const char *op, char *msg, size_t msglen)
{
	int			i;

	if (v->value_type != BSON_TYPE_UTF8)
	{
		snprintf(msg, msglen, "%s requires 'unit' to be a string, but got %s", op,
				 asp_type_name(v->value_type));
		return -1;
	}
	for (i = 0; i <= TU_MILLISECOND; i++)
		if (strlen(unit_names[i]) == v->value.v_utf8.len &&
			memcmp(unit_names[i], v->value.v_utf8.str, v->value.v_utf8.len) == 0)
			return i;
	snprintf(msg, msglen, "%s parameter 'unit' value parsing failed :: caused by :: unknown time unit value: %.*s",
			 op, (int) (v->value.v_utf8.len > 100 ? 100 : v->value.v_utf8.len), v->value.v_utf8.str);
	return -1;
}

/* parse_sow: 1..7 from a case-insensitive day name ("mon" or "monday") */
static int
parse_sow(const bson_value_t *v, const char *op, char *msg, size_t msglen)
{
	int			i;
	size_t		len;

	if (v->value_type != BSON_TYPE_UTF8)
	{
		snprintf(msg, msglen, "%s requires 'startOfWeek' to be a string, but got %s", op,
				 asp_type_name(v->value_type));
		return -1;
	}
	len = v->value.v_utf8.len;
	for (i = 0; i < 7; i++)
		if ((len == 3 || len == strlen(dow_names[i])) &&
			strncasecmp(dow_names[i], v->value.v_utf8.str, len) == 0)
			return i + 1;
	snprintf(msg, msglen, "%s parameter 'startOfWeek' value cannot be recognized as a day of a week: %.*s",
			 op, (int) (len > 100 ? 100 : len), v->value.v_utf8.str);
	return -1;
}

/* ---------- calendar helpers ---------- */

typedef struct local_date
{
	int64_t		year;
	int			month;
	int			day;
	int			hour;
	int			minute;
	int			second;
	int64_t		days;			/* day number of the local date */
	int32_t		z;				/* UTC offset, seconds */
} local_date;

/* local_of: the local date of ms in tz, at second precision (timelib) */
static void
local_of(const asp_timezone *tz, int64_t ms, local_date *ld)
{
	int64_t		sec = asp_floor_div(ms, 1000);
	int64_t		lsec;
	int64_t		rem;

	ld->z = asp_tz_offset_at(tz, sec);
	lsec = sec + ld->z;
	ld->days = asp_floor_div(lsec, 86400);
	rem = lsec - ld->days * 86400;
	asp_civil_from_days(ld->days, &ld->year, &ld->month, &ld->day);
	ld->hour = (int) (rem / 3600);
	ld->minute = (int) (rem / 60 % 60);
	ld->second = (int) (rem % 60);
}

/* day_in_week: 0 for startOfWeek .. 6 */
static int
day_in_week(int64_t days, int sow)
{
	return (asp_iso_day_of_week(days) - sow + 7) % 7;
}

/* diff_calendar: MongoDB's dateDiff for units of a day or more */
static int64_t
diff_calendar(const local_date *a, const local_date *b, time_unit unit, int sow)
{
	switch (unit)
	{
		case TU_YEAR:
			return b->year - a->year;
		case TU_QUARTER:
			return (b->month - 1) / 3 - (a->month - 1) / 3 + (b->year - a->year) * 4;
		case TU_MONTH:
			return b->month - a->month + (b->year - a->year) * 12;
		case TU_WEEK:
			return (b->days - a->days + day_in_week(a->days, sow) - day_in_week(b->days, sow)) / 7;
		default:
			return b->days - a->days;
	}
}

/* amount_valid: MongoDB's isDateAddAmountValid */
static bool
amount_valid(int64_t amount, time_unit unit)
{
	const int64_t max_days = (int64_t) (UINT64_MAX / ASP_MS_PER_DAY) + 1;
	const int64_t max_years = max_days / 365 + 1;
	int64_t		max;

	switch (unit)
	{
		case TU_YEAR:
			max = max_years;
			break;
		case TU_QUARTER:
			max = max_years * 4;
			break;
		case TU_MONTH:
			max = max_years * 12;
			break;
		case TU_WEEK:
			max = max_days / 7;
			break;
		case TU_DAY:
			max = max_days;
			break;
		case TU_HOUR:
			max = max_days * 24;
			break;
		case TU_MINUTE:
			max = max_days * 24 * 60;
			break;
		default:
			max = max_days * 24 * 3600;
			break;
	}
	return -max < amount && amount < max;
}

/* date_add: MongoDB's dateAdd */
static bool
date_add(asp_eval_ctx *ctx, int64_t date, time_unit unit, int64_t amount,
		 const asp_timezone *tz, int64_t *out)
{
	local_date	ld;
	int64_t		delta_days;
	int64_t		r;

	if (unit == TU_MILLISECOND)
	{
		if (__builtin_add_overflow(date, amount, out))
			return asp_eval_error(ctx, "dateAdd overflowed");
		return true;
	}
	if (!amount_valid(amount, unit))
		return asp_eval_error(ctx, "invalid dateAdd 'amount' parameter value: %lld %s",
							  (long long) amount, unit_names[unit]);
	if (unit >= TU_HOUR)
	{
		if (__builtin_mul_overflow(amount, unit_ms[unit], &r) || __builtin_add_overflow(date, r, out))
			return asp_eval_error(ctx, "dateAdd overflowed");
		return true;
	}
	local_of(tz, date, &ld);
	if (unit == TU_YEAR || unit == TU_QUARTER || unit == TU_MONTH)
	{
		int64_t		months = amount * (unit == TU_YEAR ? 12 : unit == TU_QUARTER ? 3 : 1);
		int64_t		total = ld.year * 12 + (ld.month - 1) + months;
		int64_t		y = asp_floor_div(total, 12);
		int			m = (int) asp_floor_mod(total, 12) + 1;
		int			dim = asp_days_in_month(y, m);

		delta_days = asp_days_from_civil(y, m, ld.day < dim ? ld.day : dim) - ld.days;
	}
	else
		delta_days = unit == TU_WEEK ? amount * 7 : amount;
	if (tz->kind != ASP_TZ_ZONE)
	{
		if (__builtin_mul_overflow(delta_days, ASP_MS_PER_DAY, &r) || __builtin_add_overflow(date, r, out))
			return asp_eval_error(ctx, "dateAdd overflowed");
		return true;
	}
	/* local wall-clock arithmetic, then back to UTC */
	{
		int64_t		local_sec = (ld.days + delta_days) * 86400 + ld.hour * 3600 + ld.minute * 60 + ld.second;
		int64_t		utc_sec = asp_tz_local_to_utc(tz, local_sec,
												  asp_tz_is_dst(tz, asp_floor_div(date, 1000)));

		if (__builtin_mul_overflow(utc_sec, (int64_t) 1000, &r) ||
			__builtin_add_overflow(r, asp_floor_mod(date, 1000), out))
			return asp_eval_error(ctx, "dateAdd overflowed");
	}
	return true;
}

/* date_diff: MongoDB's dateDiff */
static bool
date_diff(asp_eval_ctx *ctx, int64_t start, int64_t end, time_unit unit,
		  const asp_timezone *tz, int sow, int64_t *out)
{
	local_date	a,
				b;
	int64_t		days,
				hours,
				minutes;

	if (unit == TU_MILLISECOND)
	{
		if (__builtin_sub_overflow(end, start, out))
			return asp_eval_error(ctx, "dateDiff overflowed");
		return true;
	}
	local_of(tz, start, &a);
	local_of(tz, end, &b);
	if (unit < TU_HOUR)
	{
		*out = diff_calendar(&a, &b, unit, sow);
		return true;
	}
	days = b.days - a.days;
	hours = b.hour - a.hour + days * 24;
	minutes = b.minute - a.minute + hours * 60;
	switch (unit)
	{
		case TU_HOUR:
			*out = hours + (a.z - b.z) / 3600;
			break;
		case TU_MINUTE:
			*out = minutes + (a.z - b.z) / 60;
			break;
		default:
			*out = b.second - a.second + minutes * 60 + (a.z - b.z);
			break;
	}
	return true;
}

/* date_trunc: MongoDB's truncateDate with the default reference point */
static bool
date_trunc(asp_eval_ctx *ctx, int64_t date, time_unit unit, int64_t bin,
		   const asp_timezone *tz, int sow, int64_t *out)
{
	int64_t		ref = ASP_MS_2000 - (int64_t) asp_tz_offset_at(tz, ASP_MS_2000 / 1000) * 1000;
	int			ref_day = 1;

	if (unit == TU_WEEK)
	{
		/* 2000-01-01 is a Saturday (6) */
		int			ref_dow = (6 - sow + 7) % 7;
		int			adjust = (7 - ref_dow) % 7;

		ref += adjust * ASP_MS_PER_DAY;
		ref_day += adjust;
	}
	if (unit >= TU_HOUR)
	{
		int64_t		bin_ms,
					shifted;

		if (__builtin_mul_overflow(bin, unit_ms[unit], &bin_ms) ||
			__builtin_sub_overflow(date, ref, &shifted) ||
			__builtin_sub_overflow(date, asp_floor_mod(shifted, bin_ms), out))
			return asp_eval_error(ctx, "dateTrunc overflowed");
		return true;
	}
	else
	{
		local_date	ld,
					rd;
		int64_t		distance,
					lower;

		if (bin > 100000000000LL)
			return asp_eval_error(ctx, "dateTrunc unsupported binSize value");
		local_of(tz, date, &ld);
		memset(&rd, 0, sizeof(rd));
		rd.year = 2000;
		rd.month = 1;
		rd.day = ref_day;
		rd.days = asp_days_from_civil(2000, 1, ref_day);
		distance = diff_calendar(&rd, &ld, unit, sow);
		lower = distance - asp_floor_mod(distance, bin);
		return date_add(ctx, ref, unit, lower, tz, out);
	}
}

/* ---------- operator plumbing ---------- */

typedef struct arith_data
{
	asp_named_idx n;
	asp_date_tz tz;
	int			unit;			/* constant unit, or -1 */
	int			sow;			/* constant startOfWeek, or 0 */
	int64_t		bin;			/* constant binSize, or 0 */
} arith_data;

static const char *const tz_prefix_trunc = "$dateTrunc parameter 'timezone' value parsing failed :: caused by :: ";
static const char *const tz_prefix_diff = "$dateDiff parameter 'timezone' value parsing failed :: caused by :: ";

/* check_binsize: a valid $dateTrunc binSize, or -1 with msg */
static int64_t
check_binsize(const bson_value_t *v, char *msg, size_t msglen)
{
	int64_t		b;

	if (!asp_value_is_number(v) || !asp_value_as_int64_exact(v, &b))
	{
		char		desc[128];

		asp_value_describe(v, desc, sizeof(desc));
		snprintf(msg, msglen, "$dateTrunc requires 'binSize' to be a 64-bit integer, but got value '%s' of type %s",
				 desc, asp_type_name(v->value_type));
		return -1;
	}
	if (b <= 0)
	{
		snprintf(msg, msglen, "$dateTrunc requires 'binSize' to be greater than 0, but got value %lld",
				 (long long) b);
		return -1;
	}
	return b;
}

/*
 * finish_compile: resolve constant unit, startOfWeek, binSize and timezone;
 * unit_k/sow_k/bin_k/tz_k are argument numbers or -1.
 */
static asp_expr *
finish_compile(asp_expr_compiler *c, asp_expr *e, const char *op, int unit_k, int sow_k,
			   int bin_k, int tz_k, const char *tz_prefix)
{
	arith_data *d = e->data;
	const bson_value_t *v;
	char		msg[ASP_ERROR_MSG_LEN];

	d->unit = -1;
	if (unit_k >= 0 && (v = asp_named_const(e, unit_k)) != NULL && !asp_value_is_nullish(v))
	{
		d->unit = parse_unit(v, op, msg, sizeof(msg));
		if (d->unit < 0)
			goto fail;
	}
	if (sow_k >= 0 && (v = asp_named_const(e, sow_k)) != NULL && !asp_value_is_nullish(v))
	{
		d->sow = parse_sow(v, op, msg, sizeof(msg));
		if (d->sow < 0)
			goto fail;
	}
	if (bin_k >= 0 && (v = asp_named_const(e, bin_k)) != NULL && !asp_value_is_nullish(v))
	{
		d->bin = check_binsize(v, msg, sizeof(msg));
		if (d->bin < 0)
			goto fail;
	}
	if (!asp_date_tz_compile(c, tz_k >= 0 ? asp_named_get(e, tz_k) : NULL, &d->tz, tz_prefix))
	{
		asp_expr_free(e);
		return NULL;
	}
	return e;

fail:
	asp_expr_free(e);
	return asp_expr_compile_error(c, "%s", msg);
}

/* eval_opt: evaluate argument k (missing if absent) */
static bool
eval_opt(const asp_expr *e, int k, asp_eval_ctx *ctx, bson_value_t *out)
{
	const asp_expr *a = asp_named_get(e, k);

	if (a == NULL)
	{
		asp_value_set_missing(out);
		return true;
	}
	return asp_expr_eval(a, ctx, out);
}

/*
 * eval_unit: the unit (>= 0), 0-null as -2, or -1 on error.  Constant units
 * were parsed at compile time.
 */
static int
eval_unit(const asp_expr *e, int k, asp_eval_ctx *ctx, const char *op)
{
	const arith_data *d = e->data;
	bson_value_t v;
	char		msg[ASP_ERROR_MSG_LEN];
	int			u;

	if (d->unit >= 0)
		return d->unit;
	if (!eval_opt(e, k, ctx, &v))
		return -1;
	if (asp_value_is_nullish(&v))
		return -2;
	u = parse_unit(&v, op, msg, sizeof(msg));
	if (u < 0)
	{
		asp_eval_error(ctx, "%s", msg);
		return -1;
	}
	return u;
}

/* eval_sow: startOfWeek (1..7), -2 for null, -1 on error */
static int
eval_sow(const asp_expr *e, int k, asp_eval_ctx *ctx, const char *op)
{
	const arith_data *d = e->data;
	bson_value_t v;
	char		msg[ASP_ERROR_MSG_LEN];
	int			s;

	if (d->sow > 0)
		return d->sow;
	if (asp_named_get(e, k) == NULL)
		return SOW_DEFAULT;
	if (!eval_opt(e, k, ctx, &v))
		return -1;
	if (asp_value_is_nullish(&v))
		return -2;
	s = parse_sow(&v, op, msg, sizeof(msg));
	if (s < 0)
	{
		asp_eval_error(ctx, "%s", msg);
		return -1;
	}
	return s;
}

/* convert_date: $dateTrunc/$dateDiff date parameters */
static bool
convert_date(asp_eval_ctx *ctx, const bson_value_t *v, const char *op, const char *param, int64_t *ms)
{
	if (asp_coerce_to_date(v, ms))
		return true;
	return asp_eval_error(ctx, "%s requires '%s' to be a date, but got %s", op, param,
						  asp_type_name(v->value_type));
}

#define RETURN_NULL() \
	do { \
		asp_value_set_null(out); \
		return true; \
	} while (0)

/* ---------- $dateTrunc ---------- */

enum
{
	DT_DATE, DT_UNIT, DT_BIN_SIZE, DT_TIMEZONE, DT_START_OF_WEEK, DT_NARGS
};

/* asp_compile_date_trunc: {$dateTrunc: {date, unit, binSize, timezone, startOfWeek}} */
asp_expr *
asp_compile_date_trunc(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand)
{
	asp_named_arg args[DT_NARGS] = {
		{.name = "date"}, {.name = "unit"}, {.name = "binSize"}, {.name = "timezone"}, {.name = "startOfWeek"}
	};
	asp_expr   *e;

	if (!asp_named_args_parse(c, def->name, operand, args, DT_NARGS))
		return NULL;
	if (!args[DT_DATE].present)
		return asp_expr_compile_error(c, "missing 'date' parameter to $dateTrunc");
	if (!args[DT_UNIT].present)
		return asp_expr_compile_error(c, "missing 'unit' parameter to $dateTrunc");
	e = asp_named_args_compile(c, def->name, def->eval, args, DT_NARGS, sizeof(arith_data));
	if (e == NULL)
		return NULL;
	return finish_compile(c, e, "$dateTrunc", DT_UNIT, DT_START_OF_WEEK, DT_BIN_SIZE, DT_TIMEZONE,
						  tz_prefix_trunc);
}

/* asp_eval_date_trunc: $dateTrunc */
bool
asp_eval_date_trunc(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	const arith_data *d = e->data;
	bson_value_t dv;
	int64_t		bin = 1,
				ms;
	int			unit,
				sow = SOW_DEFAULT,
				r;
	asp_timezone tz;

	if (!eval_opt(e, DT_DATE, ctx, &dv))
		return false;
	if (asp_value_is_nullish(&dv))
		RETURN_NULL();
	if (d->bin > 0)
		bin = d->bin;
	else if (asp_named_get(e, DT_BIN_SIZE))
	{
		bson_value_t bv;
		char		msg[ASP_ERROR_MSG_LEN];

		if (!eval_opt(e, DT_BIN_SIZE, ctx, &bv))
			return false;
		if (asp_value_is_nullish(&bv))
			RETURN_NULL();
		bin = check_binsize(&bv, msg, sizeof(msg));
		if (bin < 0)
			return asp_eval_error(ctx, "%s", msg);
	}
	unit = eval_unit(e, DT_UNIT, ctx, "$dateTrunc");
	if (unit == -1)
		return false;
	if (unit == -2)
		RETURN_NULL();
	if (unit == TU_WEEK)
	{
		sow = eval_sow(e, DT_START_OF_WEEK, ctx, "$dateTrunc");
		if (sow == -1)
			return false;
		if (sow == -2)
			RETURN_NULL();
	}
	r = asp_date_tz_eval(ctx, asp_named_get(e, DT_TIMEZONE), &d->tz, &tz, tz_prefix_trunc);
	if (r < 0)
		return false;
	if (r == 0)
		RETURN_NULL();
	if (!convert_date(ctx, &dv, "$dateTrunc", "date", &ms))
		return false;
	if (!date_trunc(ctx, ms, (time_unit) unit, bin, &tz, sow, &ms))
		return false;
	asp_value_set_date(out, ms);
	return true;
}

/* ---------- $dateAdd / $dateSubtract ---------- */

enum
{
	DA_START_DATE, DA_UNIT, DA_AMOUNT, DA_TIMEZONE, DA_NARGS
};

/* asp_compile_date_add: {$dateAdd|$dateSubtract: {startDate, unit, amount, timezone}} */
asp_expr *
asp_compile_date_add(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand)
{
	asp_named_arg args[DA_NARGS] = {
		{.name = "startDate"}, {.name = "unit"}, {.name = "amount"}, {.name = "timezone"}
	};
	asp_expr   *e;
	int			i;

	if (!asp_named_args_parse(c, def->name, operand, args, DA_NARGS))
		return NULL;
	for (i = 0; i < DA_TIMEZONE; i++)
		if (!args[i].present)
			return asp_expr_compile_error(c, "missing '%s' parameter to %s", args[i].name, def->name);
	e = asp_named_args_compile(c, def->name, def->eval, args, DA_NARGS, sizeof(arith_data));
	if (e == NULL)
		return NULL;
	return finish_compile(c, e, def->name, DA_UNIT, -1, -1, DA_TIMEZONE, "");
}

/* eval_date_arith: $dateAdd and $dateSubtract */
static bool
eval_date_arith(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out, bool subtract)
{
	const arith_data *d = e->data;
	const char *op = subtract ? "$dateSubtract" : "$dateAdd";
	bson_value_t sv,
				av;
	int			unit,
				r;
	asp_timezone tz;
	int64_t		ms,
				amount;

	if (!eval_opt(e, DA_START_DATE, ctx, &sv))
		return false;
	if (asp_value_is_nullish(&sv))
		RETURN_NULL();
	unit = eval_unit(e, DA_UNIT, ctx, op);
	if (unit == -1)
		return false;
	if (unit == -2)
		RETURN_NULL();
	if (!eval_opt(e, DA_AMOUNT, ctx, &av))
		return false;
	if (asp_value_is_nullish(&av))
		RETURN_NULL();
	r = asp_date_tz_eval(ctx, asp_named_get(e, DA_TIMEZONE), &d->tz, &tz, "");
	if (r < 0)
		return false;
	if (r == 0)
		RETURN_NULL();
	if (!asp_coerce_to_date(&sv, &ms))
		return asp_eval_error(ctx, "%s requires startDate to be convertible to a date", op);
	if (!asp_value_is_number(&av) || !asp_value_as_int64_exact(&av, &amount))
		return asp_eval_error(ctx, "%s expects integer amount of time units", op);
	if (subtract)
	{
		if (amount == INT64_MIN)
			return asp_eval_error(ctx, "invalid $dateSubtract 'amount' parameter value: %lld",
								  (long long) amount);
		amount = -amount;
	}
	if (!date_add(ctx, ms, (time_unit) unit, amount, &tz, &ms))
		return false;
	asp_value_set_date(out, ms);
	return true;
}

/* asp_eval_date_add: $dateAdd */
bool
asp_eval_date_add(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	return eval_date_arith(e, ctx, out, false);
}

/* asp_eval_date_subtract: $dateSubtract */
bool
asp_eval_date_subtract(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	return eval_date_arith(e, ctx, out, true);
}

/* ---------- $dateDiff ---------- */

enum
{
	DD_START_DATE, DD_END_DATE, DD_UNIT, DD_TIMEZONE, DD_START_OF_WEEK, DD_NARGS
};

/* asp_compile_date_diff: {$dateDiff: {startDate, endDate, unit, timezone, startOfWeek}} */
asp_expr *
asp_compile_date_diff(asp_expr_compiler *c, const asp_op_def *def, const bson_value_t *operand)
{
	asp_named_arg args[DD_NARGS] = {
		{.name = "startDate"}, {.name = "endDate"}, {.name = "unit"}, {.name = "timezone"},
		{.name = "startOfWeek"}
	};
	asp_expr   *e;
	int			i;

	if (!asp_named_args_parse(c, def->name, operand, args, DD_NARGS))
		return NULL;
	for (i = 0; i < DD_TIMEZONE; i++)
		if (!args[i].present)
			return asp_expr_compile_error(c, "missing '%s' parameter to $dateDiff", args[i].name);
	e = asp_named_args_compile(c, def->name, def->eval, args, DD_NARGS, sizeof(arith_data));
	if (e == NULL)
		return NULL;
	return finish_compile(c, e, "$dateDiff", DD_UNIT, DD_START_OF_WEEK, -1, DD_TIMEZONE,
						  tz_prefix_diff);
}

/* asp_eval_date_diff: $dateDiff */
bool
asp_eval_date_diff(const asp_expr *e, asp_eval_ctx *ctx, bson_value_t *out)
{
	const arith_data *d = e->data;
	bson_value_t sv,
				ev;
	int			unit,
				sow = SOW_DEFAULT,
				r;
	asp_timezone tz;
	int64_t		start,
				end,
				diff;

	if (!eval_opt(e, DD_START_DATE, ctx, &sv))
		return false;
	if (asp_value_is_nullish(&sv))
		RETURN_NULL();
	if (!eval_opt(e, DD_END_DATE, ctx, &ev))
		return false;
	if (asp_value_is_nullish(&ev))
		RETURN_NULL();
	unit = eval_unit(e, DD_UNIT, ctx, "$dateDiff");
	if (unit == -1)
		return false;
	if (unit == -2)
		RETURN_NULL();
	if (unit == TU_WEEK)
	{
		sow = eval_sow(e, DD_START_OF_WEEK, ctx, "$dateDiff");
		if (sow == -1)
			return false;
		if (sow == -2)
			RETURN_NULL();
	}
	r = asp_date_tz_eval(ctx, asp_named_get(e, DD_TIMEZONE), &d->tz, &tz, tz_prefix_diff);
	if (r < 0)
		return false;
	if (r == 0)
		RETURN_NULL();
	if (!convert_date(ctx, &sv, "$dateDiff", "startDate", &start) ||
		!convert_date(ctx, &ev, "$dateDiff", "endDate", &end))
		return false;
	if (!date_diff(ctx, start, end, (time_unit) unit, &tz, sow, &diff))
		return false;
	asp_value_set_int64(out, diff);
	return true;
}
