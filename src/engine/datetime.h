/*-------------------------------------------------------------------------
 *
 * datetime.h
 *	  Date and time helpers of the engine: proleptic Gregorian calendar
 *	  arithmetic on int64 milliseconds, ISO-8601 parsing (with a fast path
 *	  for the timestamps stream sources carry), free-form and format-driven
 *	  date string parsing, and MongoDB's date format specifiers.
 *
 * Dates are BSON dates: int64 milliseconds since the Unix epoch, UTC,
 * negative before 1970.  Nothing here uses gmtime/timegm/localtime or the
 * process time zone: calendar conversions are days-from-civil arithmetic
 * (valid for every int64 date), time zones come from tz.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef ASP_ENGINE_DATETIME_H
#define ASP_ENGINE_DATETIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tz.h"

#define ASP_MS_PER_SECOND	1000LL
#define ASP_MS_PER_MINUTE	60000LL
#define ASP_MS_PER_HOUR		3600000LL
#define ASP_MS_PER_DAY		86400000LL

/* 2000-01-01T00:00:00Z, the anchor of $dateTrunc bins */
#define ASP_MS_2000			946684800000LL

/* a broken-down date (in whatever zone the caller chose) */
typedef struct asp_civil
{
	int64_t		year;
	int			month;			/* 1..12 */
	int			day;			/* 1..31 */
	int			hour;
	int			minute;
	int			second;
	int			millis;
	int64_t		days;			/* days since 1970-01-01 of the date */
} asp_civil;

/* floor division and modulo (the remainder has the sign of b) */
static inline int64_t
asp_floor_div(int64_t a, int64_t b)
{
	int64_t		q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static inline int64_t
asp_floor_mod(int64_t a, int64_t b)
{
	int64_t		r = a % b;

	if (r != 0 && ((r < 0) != (b < 0)))
		r += b;
	return r;
}

/* calendar */
extern bool asp_is_leap_year(int64_t year);
extern int	asp_days_in_month(int64_t year, int month);
/* asp_days_from_civil: days since 1970-01-01 of a valid y-m-d */
extern int64_t asp_days_from_civil(int64_t year, int month, int day);
/* asp_civil_from_days: the y-m-d of a day number */
extern void asp_civil_from_days(int64_t days, int64_t *year, int *month, int *day);
/* asp_civil_from_ms: break down milliseconds (already shifted to local time) */
extern void asp_civil_from_ms(int64_t ms, asp_civil *c);
/* asp_day_of_year: 1..366 */
extern int	asp_day_of_year(int64_t year, int month, int day);
/* asp_day_of_week: 1 (Sunday) .. 7 (Saturday), MongoDB's $dayOfWeek */
extern int	asp_day_of_week(int64_t days);
/* asp_iso_day_of_week: 1 (Monday) .. 7 (Sunday) */
extern int	asp_iso_day_of_week(int64_t days);
/* asp_iso_week: ISO 8601 week number (1..53) and week-numbering year */
extern void asp_iso_week(int64_t days, int64_t *iso_year, int *iso_week);
/* asp_week_of_year: MongoDB's $week, 0..53 (weeks start on Sunday) */
extern int	asp_week_of_year(int64_t year, int month, int day, int64_t days);
/* asp_days_from_iso: days since epoch of ISO year/week/weekday (values may overflow their range) */
extern int64_t asp_days_from_iso(int64_t iso_year, int64_t week, int64_t weekday);

/*
 * asp_local_ms_from_parts: milliseconds of a local date given by parts
 * that may be out of range (month 14, day 0, minute -5 ...), normalised
 * the way MongoDB's $dateFromParts does.  False on int64 overflow.
 */
extern bool asp_local_ms_from_parts(int64_t year, int64_t month, int64_t day,
									int64_t hour, int64_t minute, int64_t second,
									int64_t millis, int64_t *out);

/*
 * asp_parse_iso8601: the fast path of $dateFromString without a format
 * and of $toDate on strings.  Accepts exactly
 *	YYYY-MM-DD[Tt ]hh:mm:ss[.f{1,9}][Z|z|+hh:mm|+hhmm|+hh|-...]
 * (a string without a zone is UTC) and returns false for anything else,
 * including valid dates it does not handle (the caller then falls back to
 * asp_parse_date_string).  Never writes *ms_out on failure.
 */
extern bool asp_parse_iso8601(const char *s, size_t len, int64_t *ms_out);

/*
 * asp_iso_cache: the first 16 bytes (YYYY-MM-DDThh:mm) of the last string
 * asp_parse_iso8601_cached accepted in the canonical shape, and that
 * minute's time: consecutive event times mostly share it.  Zero it first.
 */
typedef struct asp_iso_cache
{
	uint64_t	w0;
	uint64_t	w1;
	int64_t		base_ms;
	bool		valid;
} asp_iso_cache;

/* asp_parse_iso8601 with a cache: the same results */
extern bool asp_parse_iso8601_cached(const char *s, size_t len, asp_iso_cache *cache,
									 int64_t *ms_out);
/* the same without the word-compare shortcut for YYYY-MM-DDThh:mm:ss[.fff]Z (for tests) */
extern bool asp_parse_iso8601_general(const char *s, size_t len, int64_t *ms_out);

/* what a parsed date string said about its zone */
typedef enum asp_parsed_zone
{
	ASP_PZ_NONE = 0,			/* no zone: local time of the timezone argument */
	ASP_PZ_OFFSET,				/* "+02:00", "-0500" */
	ASP_PZ_ABBR					/* "Z", "UTC", "GMT", "EST", ... */
} asp_parsed_zone;

typedef struct asp_parsed_date
{
	int64_t		local_ms;		/* the wall-clock date/time as written */
	asp_parsed_zone zone;
	int32_t		offset;			/* seconds east of UTC when zone != NONE */
	char		abbr[8];		/* abbreviation for ASP_PZ_ABBR */
} asp_parsed_date;

/*
 * asp_parse_date_string: free-form date parsing ($dateFromString without
 * format, $convert string->date).  On failure writes MongoDB's style of
 * message ("Error parsing date string '...'; 4: ...") to errbuf.
 */
extern bool asp_parse_date_string(const char *s, size_t len, asp_parsed_date *out,
								  char *errbuf, size_t errlen);

/*
 * asp_parse_date_format: parse s with a $dateFromString format (already
 * validated with asp_validate_date_format(..., true, ...)).
 */
extern bool asp_parse_date_format(const char *s, size_t len, const char *fmt,
								  size_t flen, asp_parsed_date *out,
								  char *errbuf, size_t errlen);

/*
 * asp_validate_date_format: check that every '%' is followed by a valid
 * specifier; for_parse selects $dateFromString's smaller set.  Writes
 * MongoDB's message ("Invalid format character '%x' in format string").
 */
extern bool asp_validate_date_format(const char *fmt, size_t flen, bool for_parse,
									 char *errbuf, size_t errlen);

/* asp_format_date_bufsize: output buffer size enough for any date with fmt */
static inline size_t
asp_format_date_bufsize(size_t flen)
{
	return flen * 6 + 16;
}

/*
 * asp_format_date: format a date (ms, UTC) in tz with a validated format.
 * Returns the length written to out (not NUL-terminated), or -1 with a
 * message in errbuf when a component is outside 0..9999 (MongoDB refuses
 * those).
 */
extern long asp_format_date(const char *fmt, size_t flen, int64_t ms,
							const asp_timezone *tz, char *out,
							char *errbuf, size_t errlen);

/*
 * asp_format_iso_utc: "YYYY-MM-DDTHH:MM:SS.mmmZ" into out (at least 25
 * bytes); returns 24, or -1 when the year is outside 0..9999.
 */
extern int	asp_format_iso_utc(int64_t ms, char *out);

/* month names for %b / %B */
extern const char *const asp_month_names[12];

#endif							/* ASP_ENGINE_DATETIME_H */
