/*-------------------------------------------------------------------------
 *
 * test_expr_date.c
 *	  TAP tests of the date operators: date parts, $dateToString,
 *	  $dateFromString (fast ISO-8601 path, free-form and format-driven
 *	  parsing), $dateToParts, $dateFromParts, $dateTrunc, $dateAdd,
 *	  $dateSubtract and $dateDiff, with time zones (offsets and Olson
 *	  zones with DST), negative dates, leap years and round trips.  Many
 *	  vectors are MongoDB's own (date_time_support_test.cpp), written with
 *	  $dateFromParts in the zone as MongoDB writes them with
 *	  createFromDateParts.
 *
 *-------------------------------------------------------------------------
 */
#include "expr_util.h"
#include "../../src/engine/datetime.h"
#include "../../src/engine/tz.h"

#define LONG(s) "{\"$numberLong\": \"" s "\"}"
#define DATE(s) "{\"$date\": \"" s "\"}"
#define DATEMS(s) "{\"$date\": {\"$numberLong\": \"" s "\"}}"

/* a ring of formatting buffers for building expressions */
static char ring[64][1024];
static int	ring_pos = 0;

static char *
fmt(const char *f,...)
			__attribute__((format(printf, 1, 2)));

/* fmt: printf into the next ring buffer */
static char *
fmt(const char *f,...)
{
	char	   *b = ring[ring_pos++ % 64];
	va_list		ap;

	va_start(ap, f);
	vsnprintf(b, sizeof(ring[0]), f, ap);
	va_end(ap);
	return b;
}

/* P: a date given by its local parts in tz, as MongoDB's createFromDateParts */
static const char *
P(const char *tz, int y, int mo, int d, int h, int mi, int s, int ms)
{
	return fmt("{\"$dateFromParts\": {\"year\": %d, \"month\": %d, \"day\": %d, \"hour\": %d, "
			   "\"minute\": %d, \"second\": %d, \"millisecond\": %d, \"timezone\": \"%s\"}}",
			   y, mo, d, h, mi, s, ms, tz);
}

/* U: a date given by its UTC parts */
static const char *
U(int y, int mo, int d, int h, int mi, int s, int ms)
{
	return P("UTC", y, mo, d, h, mi, s, ms);
}

/* expect_same: two expressions give the same value */
static int
expect_same(const char *a, const char *b, const char *what)
{
	char		e1[600],
				e2[600];
	char	   *ra = eval_expr(a, NULL, e1, sizeof(e1));
	char	   *rb = eval_expr(b, NULL, e2, sizeof(e2));
	int			r;

	r = ok(ra != NULL && rb != NULL && strcmp(ra, rb) == 0, "%s", what);
	if (!r)
		diag("got %s, want %s (%s / %s)", ra ? ra : e1, rb ? rb : e2, a, b);
	free(ra);
	free(rb);
	return r;
}

/* trunc_expr: a $dateTrunc expression */
static const char *
trunc_expr(const char *date, const char *unit, long bin, const char *tz, const char *sow)
{
	return fmt("{\"$dateTrunc\": {\"date\": %s, \"unit\": \"%s\", \"binSize\": %ld, "
			   "\"timezone\": \"%s\", \"startOfWeek\": \"%s\"}}", date, unit, bin, tz, sow);
}

/* add_expr: a $dateAdd expression (amount as a long) */
static const char *
add_expr(const char *date, const char *unit, long long amount, const char *tz)
{
	return fmt("{\"$dateAdd\": {\"startDate\": %s, \"unit\": \"%s\", \"amount\": {\"$numberLong\": \"%lld\"}, "
			   "\"timezone\": \"%s\"}}", date, unit, amount, tz);
}

/* expect_diff: $dateDiff of a and b is want (a long) */
static void
expect_diff(const char *a, const char *b, const char *unit, const char *tz, const char *sow,
			long long want)
{
	expect_value(fmt("{\"$dateDiff\": {\"startDate\": %s, \"endDate\": %s, \"unit\": \"%s\", "
					 "\"timezone\": \"%s\", \"startOfWeek\": \"%s\"}}", a, b, unit, tz, sow),
				 NULL, fmt("{\"$numberLong\": \"%lld\"}", want));
}

static const char *const D1 = DATE("2024-02-29T13:45:30.123Z");	/* a leap day, Thursday */

/* test_parts_utc: every date part operator in UTC, operand forms, nulls */
static void
test_parts_utc(void)
{
	static const struct
	{
		const char *op;
		const char *want;
	}			parts[] = {
		{"$year", "2024"}, {"$month", "2"}, {"$dayOfMonth", "29"}, {"$hour", "13"},
		{"$minute", "45"}, {"$second", "30"}, {"$millisecond", "123"}, {"$dayOfWeek", "5"},
		{"$dayOfYear", "60"}, {"$week", "8"}, {"$isoWeek", "9"}, {"$isoWeekYear", LONG("2024")},
		{"$isoDayOfWeek", "4"}
	};
	size_t		i;

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
	{
		expect_value(fmt("{\"%s\": %s}", parts[i].op, D1), NULL, parts[i].want);
		expect_value(fmt("{\"%s\": [%s]}", parts[i].op, D1), NULL, parts[i].want);
		expect_value(fmt("{\"%s\": {\"date\": %s}}", parts[i].op, D1), NULL, parts[i].want);
		expect_value(fmt("{\"%s\": {\"date\": %s, \"timezone\": \"UTC\"}}", parts[i].op, D1), NULL, parts[i].want);
		expect_value(fmt("{\"%s\": \"$d\"}", parts[i].op), fmt("{\"d\": %s}", D1), parts[i].want);
		expect_value(fmt("{\"%s\": \"$nope\"}", parts[i].op), NULL, "null");
		expect_value(fmt("{\"%s\": null}", parts[i].op), NULL, "null");
		expect_value(fmt("{\"%s\": {\"date\": %s, \"timezone\": null}}", parts[i].op, D1), NULL, "null");
		expect_value(fmt("{\"%s\": {\"date\": %s, \"timezone\": \"$nope\"}}", parts[i].op, D1), NULL, "null");
		expect_error(fmt("{\"%s\": \"2024-01-01\"}", parts[i].op), NULL, "can't convert from BSON type string to Date");
	}
	/* timestamps and objectIds are dates too */
	expect_value("{\"$year\": {\"$timestamp\": {\"t\": 1704067200, \"i\": 1}}}", NULL, "2024");
	expect_value("{\"$hour\": {\"$oid\": \"5f1a2b3c4d5e6f7a8b9c0d1e\"}}", NULL, "0");
	expect_value("{\"$minute\": {\"$oid\": \"5f1a2b3c4d5e6f7a8b9c0d1e\"}}", NULL, "28");
	expect_value("{\"$year\": {\"$add\": [" DATE("2024-12-31T23:00:00Z") ", 3600000]}}", NULL, "2025");
	/* errors */
	expect_error("{\"$year\": 5}", NULL, "can't convert from BSON type int to Date");
	expect_error("{\"$year\": [1, 2]}", NULL, "compile: $year accepts exactly one argument if given an array, but was given 2");
	expect_error("{\"$year\": {\"date\": " DATE("2024-01-01T00:00:00Z") ", \"tz\": \"UTC\"}}", NULL,
				 "compile: unrecognized parameter to $year: tz");
	expect_error("{\"$month\": {\"timezone\": \"UTC\"}}", NULL, "compile: missing 'date' parameter to $month");
	expect_error("{\"$month\": {}}", NULL, "compile: missing 'date' parameter to $month");
	expect_error("{\"$hour\": {\"date\": " DATE("2024-01-01T00:00:00Z") ", \"timezone\": \"Mars/Olympus\"}}", NULL,
				 "compile: unrecognized time zone identifier: \"Mars/Olympus\"");
	expect_error("{\"$hour\": {\"date\": " DATE("2024-01-01T00:00:00Z") ", \"timezone\": 5}}", NULL,
				 "compile: timezone must evaluate to a string, found int");
	expect_error("{\"$hour\": {\"date\": " DATE("2024-01-01T00:00:00Z") ", \"timezone\": \"$tz\"}}", "{\"tz\": \"Nowhere\"}",
				 "runtime: unrecognized time zone identifier: \"Nowhere\"");
	expect_error("{\"$hour\": {\"date\": " DATE("2024-01-01T00:00:00Z") ", \"timezone\": \"$tz\"}}", "{\"tz\": true}",
				 "runtime: timezone must evaluate to a string, found bool");
	expect_error("{\"$hour\": {\"date\": \"x\", \"timezone\": \"$tz\"}}", "{\"tz\": true}",
				 "can't convert from BSON type string to Date");
}

/* test_parts_tz: offsets, Olson zones, DST */
static void
test_parts_tz(void)
{
	const char *d = D1;

	expect_value(fmt("{\"$hour\": {\"date\": %s, \"timezone\": \"+05:30\"}}", d), NULL, "19");
	expect_value(fmt("{\"$minute\": {\"date\": %s, \"timezone\": \"+05:30\"}}", d), NULL, "15");
	expect_value(fmt("{\"$minute\": {\"date\": %s, \"timezone\": \"+0530\"}}", d), NULL, "15");
	expect_value(fmt("{\"$hour\": {\"date\": %s, \"timezone\": \"+05\"}}", d), NULL, "18");
	expect_value(fmt("{\"$hour\": {\"date\": %s, \"timezone\": \"-11:00\"}}", d), NULL, "2");
	expect_value(fmt("{\"$hour\": {\"date\": %s, \"timezone\": \"-00:00\"}}", d), NULL, "13");
	expect_value(fmt("{\"$dayOfMonth\": {\"date\": %s, \"timezone\": \"+11\"}}", d), NULL, "1");
	expect_value(fmt("{\"$month\": {\"date\": %s, \"timezone\": \"+11\"}}", d), NULL, "3");
	expect_value(fmt("{\"$hour\": {\"date\": %s, \"timezone\": \"Asia/Kolkata\"}}", d), NULL, "19");
	expect_value(fmt("{\"$hour\": {\"date\": %s, \"timezone\": \"America/St_Johns\"}}", d), NULL, "10");
	expect_value(fmt("{\"$minute\": {\"date\": %s, \"timezone\": \"America/St_Johns\"}}", d), NULL, "15");
	expect_value(fmt("{\"$hour\": {\"date\": %s, \"timezone\": \"GMT\"}}", d), NULL, "13");
	expect_value(fmt("{\"$hour\": {\"date\": %s, \"timezone\": \"Etc/GMT+5\"}}", d), NULL, "8");
	expect_value(fmt("{\"$hour\": {\"date\": %s, \"timezone\": \"$tz\"}}", d), "{\"tz\": \"Europe/Berlin\"}", "14");
	/* Europe/Berlin: CET +1 in winter, CEST +2 in summer */
	expect_value("{\"$hour\": {\"date\": " DATE("2024-01-15T12:00:00Z") ", \"timezone\": \"Europe/Berlin\"}}", NULL, "13");
	expect_value("{\"$hour\": {\"date\": " DATE("2024-07-15T12:00:00Z") ", \"timezone\": \"Europe/Berlin\"}}", NULL, "14");
	expect_value("{\"$hour\": {\"date\": " DATE("2024-03-31T00:59:59Z") ", \"timezone\": \"Europe/Berlin\"}}", NULL, "1");
	expect_value("{\"$hour\": {\"date\": " DATE("2024-03-31T01:00:00Z") ", \"timezone\": \"Europe/Berlin\"}}", NULL, "3");
	expect_value("{\"$hour\": {\"date\": " DATE("2024-10-27T00:59:59Z") ", \"timezone\": \"Europe/Berlin\"}}", NULL, "2");
	expect_value("{\"$hour\": {\"date\": " DATE("2024-10-27T01:00:00Z") ", \"timezone\": \"Europe/Berlin\"}}", NULL, "2");
	/* America/New_York: EST -5, EDT -4 */
	expect_value("{\"$hour\": {\"date\": " DATE("2024-03-10T06:59:59Z") ", \"timezone\": \"America/New_York\"}}", NULL, "1");
	expect_value("{\"$hour\": {\"date\": " DATE("2024-03-10T07:00:00Z") ", \"timezone\": \"America/New_York\"}}", NULL, "3");
	expect_value("{\"$hour\": {\"date\": " DATE("2024-11-03T05:30:00Z") ", \"timezone\": \"America/New_York\"}}", NULL, "1");
	expect_value("{\"$hour\": {\"date\": " DATE("2024-11-03T06:30:00Z") ", \"timezone\": \"America/New_York\"}}", NULL, "1");
	expect_value("{\"$dayOfMonth\": {\"date\": " DATE("2024-01-01T03:00:00Z") ", \"timezone\": \"America/New_York\"}}", NULL, "31");
	expect_value("{\"$year\": {\"date\": " DATE("2024-01-01T03:00:00Z") ", \"timezone\": \"America/New_York\"}}", NULL, "2023");
	/* far future dates use the POSIX rule of the TZif footer */
	expect_value("{\"$hour\": {\"date\": " DATE("2099-07-01T12:00:00Z") ", \"timezone\": \"America/New_York\"}}", NULL, "8");
	expect_value("{\"$hour\": {\"date\": " DATE("2099-01-01T12:00:00Z") ", \"timezone\": \"America/New_York\"}}", NULL, "7");
	expect_value("{\"$hour\": {\"date\": " DATE("2199-07-01T12:00:00Z") ", \"timezone\": \"Australia/Sydney\"}}", NULL, "22");
	expect_value("{\"$hour\": {\"date\": " DATE("2199-01-01T12:00:00Z") ", \"timezone\": \"Australia/Sydney\"}}", NULL, "23");
	/* local mean time before the first transition */
	expect_value("{\"$minute\": {\"date\": " DATE("1850-01-01T12:00:00Z") ", \"timezone\": \"Europe/Berlin\"}}", NULL, "53");
}

/* test_calendar: negative dates, leap years, ISO weeks */
static void
test_calendar(void)
{
	expect_value("{\"$year\": " DATEMS("-1") "}", NULL, "1969");
	expect_value("{\"$millisecond\": " DATEMS("-1") "}", NULL, "999");
	expect_value("{\"$second\": " DATEMS("-1") "}", NULL, "59");
	expect_value("{\"$dayOfYear\": " DATEMS("-1") "}", NULL, "365");
	expect_value("{\"$year\": " DATEMS("-62135596800000") "}", NULL, "1");
	expect_value("{\"$year\": " DATEMS("-62167219200000") "}", NULL, "0");
	expect_value("{\"$year\": " DATEMS("-62167219200001") "}", NULL, "-1");
	expect_value("{\"$dayOfMonth\": " DATEMS("-62167219200001") "}", NULL, "31");
	expect_value("{\"$dayOfYear\": " DATEMS("-62162208000000") "}", NULL, "59");
	expect_value("{\"$month\": " DATEMS("-62162121600000") "}", NULL, "2");
	expect_value("{\"$dayOfMonth\": " DATEMS("-62162121600000") "}", NULL, "29");
	expect_value("{\"$year\": " DATEMS("9223372036854775807") "}", NULL, "292278994");
	expect_value("{\"$year\": " DATEMS("-9223372036854775808") "}", NULL, "-292275055");
	/* leap years: 2000 and 2024 are, 1900 and 2100 are not */
	expect_value("{\"$dayOfYear\": " DATE("2000-12-31T00:00:00Z") "}", NULL, "366");
	expect_value("{\"$dayOfYear\": " DATE("1900-12-31T00:00:00Z") "}", NULL, "365");
	expect_value("{\"$dayOfYear\": " DATE("2100-12-31T00:00:00Z") "}", NULL, "365");
	expect_value("{\"$dayOfMonth\": {\"$add\": [" DATE("1900-02-28T00:00:00Z") ", 86400000]}}", NULL, "1");
	expect_value("{\"$dayOfMonth\": {\"$add\": [" DATE("2000-02-28T00:00:00Z") ", 86400000]}}", NULL, "29");
	/* ISO weeks and $week */
	expect_value("{\"$isoWeek\": " DATE("2021-01-03T00:00:00Z") "}", NULL, "53");
	expect_value("{\"$isoWeekYear\": " DATE("2021-01-03T00:00:00Z") "}", NULL, LONG("2020"));
	expect_value("{\"$isoDayOfWeek\": " DATE("2021-01-03T00:00:00Z") "}", NULL, "7");
	expect_value("{\"$week\": " DATE("2021-01-03T00:00:00Z") "}", NULL, "1");
	expect_value("{\"$dayOfWeek\": " DATE("2021-01-03T00:00:00Z") "}", NULL, "1");
	expect_value("{\"$isoWeek\": " DATE("2024-12-30T00:00:00Z") "}", NULL, "1");
	expect_value("{\"$isoWeekYear\": " DATE("2024-12-30T00:00:00Z") "}", NULL, LONG("2025"));
	expect_value("{\"$week\": " DATE("2024-12-30T00:00:00Z") "}", NULL, "52");
	expect_value("{\"$week\": " DATE("2024-01-01T00:00:00Z") "}", NULL, "0");
	expect_value("{\"$week\": " DATE("2020-12-31T00:00:00Z") "}", NULL, "52");
	expect_value("{\"$isoWeek\": " DATE("2020-12-31T00:00:00Z") "}", NULL, "53");
	expect_value("{\"$isoWeekYear\": " DATE("2008-12-29T00:00:00Z") "}", NULL, LONG("2009"));
	expect_value("{\"$isoWeekYear\": " DATE("2010-01-03T00:00:00Z") "}", NULL, LONG("2009"));
	expect_value("{\"$isoWeek\": " DATE("2010-01-03T00:00:00Z") "}", NULL, "53");
	expect_value("{\"$dayOfWeek\": " DATE("1970-01-01T00:00:00Z") "}", NULL, "5");
	expect_value("{\"$dayOfWeek\": " DATEMS("-86400000") "}", NULL, "4");
}

/* test_date_to_string: formats, time zones, nulls, errors */
static void
test_date_to_string(void)
{
	expect_value("{\"$dateToString\": {\"date\": " DATE("2024-02-29T13:45:30.123Z") "}}", NULL, "\"2024-02-29T13:45:30.123Z\"");
	expect_value("{\"$dateToString\": {\"date\": " DATEMS("-1") "}}", NULL, "\"1969-12-31T23:59:59.999Z\"");
	expect_value("{\"$dateToString\": {\"date\": " DATE("2024-02-29T13:45:30.123Z") ", \"timezone\": \"Europe/Berlin\"}}",
				 NULL, "\"2024-02-29T14:45:30.123\"");
	expect_value("{\"$dateToString\": {\"date\": " DATE("2024-02-29T13:45:30.123Z") ", \"timezone\": \"+00:00\"}}",
				 NULL, "\"2024-02-29T13:45:30.123Z\"");
	expect_value("{\"$dateToString\": {\"date\": " DATE("2024-02-29T13:45:30.123Z") ", \"timezone\": \"GMT\"}}",
				 NULL, "\"2024-02-29T13:45:30.123\"");
	expect_value("{\"$dateToString\": {\"date\": " DATE("2024-02-29T13:45:30.123Z") ", "
				 "\"format\": \"%Y-%m-%d %H:%M:%S.%L|%j|%w|%u|%U|%V|%G|%z|%Z|%%|%b|%B\"}}",
				 NULL, "\"2024-02-29 13:45:30.123|060|5|4|08|09|2024|+0000|0|%|Feb|February\"");
	expect_value("{\"$dateToString\": {\"date\": " DATE("2024-02-29T13:45:30.123Z") ", \"format\": \"%H:%M %z %Z\", "
				 "\"timezone\": \"America/St_Johns\"}}", NULL, "\"10:15 -0330 -210\"");
	expect_value("{\"$dateToString\": {\"date\": " DATE("2024-07-01T00:00:00Z") ", \"format\": \"%d %H %z %Z\", "
				 "\"timezone\": \"America/New_York\"}}", NULL, "\"30 20 -0400 -240\"");
	expect_value("{\"$dateToString\": {\"date\": " DATE("2024-02-29T13:45:30.123Z") ", \"format\": \"%z %Z\", "
				 "\"timezone\": \"+05:30\"}}", NULL, "\"+0530 330\"");
	expect_value("{\"$dateToString\": {\"date\": " DATE("2021-01-03T00:00:00Z") ", \"format\": \"%G-W%V-%u %Y/%U/%w\"}}",
				 NULL, "\"2020-W53-7 2021/01/1\"");
	expect_value("{\"$dateToString\": {\"date\": " DATE("0001-01-01T00:00:00Z") ", \"format\": \"%Y %j\"}}", NULL, "\"0001 001\"");
	expect_value("{\"$dateToString\": {\"date\": " DATE("2024-02-29T13:45:30.123Z") ", \"format\": \"plain text\"}}", NULL, "\"plain text\"");
	expect_value("{\"$dateToString\": {\"date\": " DATE("2024-02-29T13:45:30.123Z") ", \"format\": \"\"}}", NULL, "\"\"");
	expect_value("{\"$dateToString\": {\"date\": \"$d\", \"format\": \"$f\"}}",
				 "{\"d\": {\"$date\": \"2024-05-01T10:00:00Z\"}, \"f\": \"%d.%m.%Y\"}", "\"01.05.2024\"");
	expect_value("{\"$dateToString\": {\"date\": {\"$timestamp\": {\"t\": 1704067200, \"i\": 1}}}}", NULL, "\"2024-01-01T00:00:00.000Z\"");
	/* nulls */
	expect_value("{\"$dateToString\": {\"date\": null}}", NULL, "null");
	expect_value("{\"$dateToString\": {\"date\": \"$nope\", \"onNull\": \"no date\"}}", NULL, "\"no date\"");
	expect_value("{\"$dateToString\": {\"date\": \"$nope\", \"onNull\": \"$nope\"}}", NULL, NULL);
	expect_value("{\"$dateToString\": {\"date\": " DATE("2024-01-01T00:00:00Z") ", \"format\": null}}", NULL, "null");
	expect_value("{\"$dateToString\": {\"date\": " DATE("2024-01-01T00:00:00Z") ", \"timezone\": null}}", NULL, "null");
	expect_value("{\"$dateToString\": {\"date\": " DATE("2024-01-01T00:00:00Z") ", \"timezone\": null, \"onNull\": 1}}", NULL, "null");
	expect_value("{\"$dateToString\": {\"date\": null, \"timezone\": null, \"onNull\": 1}}", NULL, "1");
	/* errors */
	expect_error("{\"$dateToString\": {\"date\": " DATEMS("-62167219200001") "}}", NULL,
				 "Could not convert date to string: date component was outside the supported range of 0-9999: -1");
	expect_error("{\"$dateToString\": {\"date\": " DATEMS("253402300800000") ", \"format\": \"%Y\"}}", NULL, "0-9999: 10000");
	expect_error("{\"$dateToString\": {\"date\": \"2024\"}}", NULL, "can't convert from BSON type string to Date");
	expect_error("{\"$dateToString\": {\"date\": " DATE("2024-01-01T00:00:00Z") ", \"format\": \"%Q\"}}", NULL,
				 "compile: $dateToString: invalid format character '%Q' in format string");
	expect_error("{\"$dateToString\": {\"date\": " DATE("2024-01-01T00:00:00Z") ", \"format\": \"abc%\"}}", NULL,
				 "compile: $dateToString: unmatched '%' at end of format string");
	expect_error("{\"$dateToString\": {\"date\": " DATE("2024-01-01T00:00:00Z") ", \"format\": 5}}", NULL,
				 "compile: $dateToString requires that 'format' be a string, found: int");
	expect_error("{\"$dateToString\": {\"date\": " DATE("2024-01-01T00:00:00Z") ", \"format\": \"$f\"}}", "{\"f\": 5}",
				 "runtime: $dateToString requires that 'format' be a string, found: int with value 5");
	expect_error("{\"$dateToString\": {\"date\": null, \"format\": \"$f\"}}", "{\"f\": \"%x\"}",
				 "runtime: Invalid format character '%x' in format string");
	expect_error("{\"$dateToString\": {\"date\": null, \"timezone\": \"$tz\"}}", "{\"tz\": \"Nowhere\"}",
				 "unrecognized time zone identifier");
	expect_error("{\"$dateToString\": {\"format\": \"%Y\"}}", NULL, "compile: missing 'date' parameter to $dateToString");
	expect_error("{\"$dateToString\": {\"date\": 1, \"bogus\": 1}}", NULL, "compile: unrecognized parameter to $dateToString: bogus");
	expect_error("{\"$dateToString\": \"x\"}", NULL, "compile: $dateToString only supports an object as its argument");
}

/* test_date_from_string: the fast path, free-form strings, formats, zones, errors */
static void
test_date_from_string(void)
{
	/* ISO 8601 (the fast path and its neighbours) */
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-05-01T10:00:03.000+00:00\"}}", NULL, DATE("2024-05-01T10:00:03Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-05-01T10:00:03Z\"}}", NULL, DATE("2024-05-01T10:00:03Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-05-01T10:00:03\"}}", NULL, DATE("2024-05-01T10:00:03Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-05-01 10:00:03.5\"}}", NULL, DATE("2024-05-01T10:00:03.500Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-05-01t10:00:03.123456789z\"}}", NULL, DATE("2024-05-01T10:00:03.123Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-05-01T12:30:03+02:30\"}}", NULL, DATE("2024-05-01T10:00:03Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-05-01T05:00:03-0500\"}}", NULL, DATE("2024-05-01T10:00:03Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-05-01T13:00:03+03\"}}", NULL, DATE("2024-05-01T10:00:03Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-05-01T10:00\"}}", NULL, DATE("2024-05-01T10:00:00Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-05-01\"}}", NULL, DATE("2024-05-01T00:00:00Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-05\"}}", NULL, DATE("2024-05-01T00:00:00Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"20240501\"}}", NULL, DATE("2024-05-01T00:00:00Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-5-1 9:05\"}}", NULL, DATE("2024-05-01T09:05:00Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"1969-12-31T23:59:59.999Z\"}}", NULL, DATEMS("-1"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"0000-03-01T00:00:00Z\"}}", NULL, DATEMS("-62162035200000"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"0000-02-29T00:00:00Z\"}}", NULL, DATEMS("-62162121600000"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2000-02-29\"}}", NULL, DATE("2000-02-29T00:00:00Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"$s\"}}", "{\"s\": \"2024-05-01T10:00:03.000+00:00\"}", DATE("2024-05-01T10:00:03Z"));
	/* other free-form layouts */
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024/05/01 10:00:03\"}}", NULL, DATE("2024-05-01T10:00:03Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"05/01/2024\"}}", NULL, DATE("2024-05-01T00:00:00Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"01.05.2024 10:00\"}}", NULL, DATE("2024-05-01T10:00:00Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"15-06-2018\"}}", NULL, DATE("2018-06-15T00:00:00Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"May 1, 2024\"}}", NULL, DATE("2024-05-01T00:00:00Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"July 4th, 2017 3:04:05 pm\"}}", NULL, DATE("2017-07-04T15:04:05Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"12:00 AM Jan 2 2020\"}}", NULL, DATE("2020-01-02T00:00:00Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"1 Sept 2024\"}}", NULL, DATE("2024-09-01T00:00:00Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"Wed, 01 May 2024 10:00:03 +0200\"}}", NULL, DATE("2024-05-01T08:00:03Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"Wed, 01 May 2024 10:00:03 GMT\"}}", NULL, DATE("2024-05-01T10:00:03Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-05-01 10:00:03 EST\"}}", NULL, DATE("2024-05-01T15:00:03Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-05-01 10:00:03 CEST\"}}", NULL, DATE("2024-05-01T08:00:03Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-05-01 10:00:03 GMT+01:00\"}}", NULL, DATE("2024-05-01T09:00:03Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-05-01 10:00:03 UTC\"}}", NULL, DATE("2024-05-01T10:00:03Z"));
	/* the timezone argument applies to strings without a zone */
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-05-01T12:00:03\", \"timezone\": \"Europe/Berlin\"}}", NULL, DATE("2024-05-01T10:00:03Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-01-01T12:00:03\", \"timezone\": \"Europe/Berlin\"}}", NULL, DATE("2024-01-01T11:00:03Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-05-01T12:00:03\", \"timezone\": \"+05:30\"}}", NULL, DATE("2024-05-01T06:30:03Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-05-01T10:00:03Z\", \"timezone\": \"UTC\"}}", NULL, DATE("2024-05-01T10:00:03Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-05-01T10:00:03+01:00\", \"timezone\": \"+00:00\"}}", NULL, DATE("2024-05-01T09:00:03Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-05-01T12:00:03\", \"timezone\": \"$tz\"}}", "{\"tz\": \"America/New_York\"}", DATE("2024-05-01T16:00:03Z"));
	/* DST: skipped local times move forward, ambiguous ones take standard time */
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-03-10 02:30:00\", \"timezone\": \"America/New_York\"}}", NULL, DATE("2024-03-10T07:30:00Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-03-10 01:59:59\", \"timezone\": \"America/New_York\"}}", NULL, DATE("2024-03-10T06:59:59Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-03-10 03:00:00\", \"timezone\": \"America/New_York\"}}", NULL, DATE("2024-03-10T07:00:00Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-11-03 01:30:00\", \"timezone\": \"America/New_York\"}}", NULL, DATE("2024-11-03T06:30:00Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-03-31 02:30:00\", \"timezone\": \"Europe/Berlin\"}}", NULL, DATE("2024-03-31T01:30:00Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-10-27 02:30:00\", \"timezone\": \"Europe/Berlin\"}}", NULL, DATE("2024-10-27T01:30:00Z"));
	/* formats */
	expect_value("{\"$dateFromString\": {\"dateString\": \"15/06/2018\", \"format\": \"%d/%m/%Y\"}}", NULL, DATE("2018-06-15T00:00:00Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2018-06-15T10:20:30.4Z\", \"format\": \"%Y-%m-%dT%H:%M:%S.%LZ\"}}", NULL, DATE("2018-06-15T10:20:30.400Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"20180615\", \"format\": \"%Y%m%d\"}}", NULL, DATE("2018-06-15T00:00:00Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2018 166\", \"format\": \"%Y %j\"}}", NULL, DATE("2018-06-15T00:00:00Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2018-W24-5\", \"format\": \"%G-W%V-%u\"}}", NULL, DATE("2018-06-15T00:00:00Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2020-W53-7\", \"format\": \"%G-W%V-%u\"}}", NULL, DATE("2021-01-03T00:00:00Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"Jun 15, 2018 10h\", \"format\": \"%b %d, %Y %Hh\"}}", NULL, DATE("2018-06-15T10:00:00Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"June 15 2018\", \"format\": \"%B %d %Y\"}}", NULL, DATE("2018-06-15T00:00:00Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2018-06-15 10:20 +0200\", \"format\": \"%Y-%m-%d %H:%M %z\"}}", NULL, DATE("2018-06-15T08:20:00Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2018-06-15 10:20 Z\", \"format\": \"%Y-%m-%d %H:%M %z\"}}", NULL, DATE("2018-06-15T10:20:00Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2018-06-15 10:20 -60\", \"format\": \"%Y-%m-%d %H:%M %Z\"}}", NULL, DATE("2018-06-15T11:20:00Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2018-06-15 100%\", \"format\": \"%Y-%m-%d 100%%\"}}", NULL, DATE("2018-06-15T00:00:00Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"10:20 2018-06-15\", \"format\": \"%H:%M %Y-%m-%d\", \"timezone\": \"Europe/Berlin\"}}", NULL, DATE("2018-06-15T08:20:00Z"));
	expect_value("{\"$dateFromString\": {\"dateString\": \"2018-06-15\", \"format\": \"$f\"}}", "{\"f\": \"%Y-%m-%d\"}", DATE("2018-06-15T00:00:00Z"));
	/* nulls, onNull, onError */
	expect_value("{\"$dateFromString\": {\"dateString\": null}}", NULL, "null");
	expect_value("{\"$dateFromString\": {\"dateString\": \"$nope\", \"onNull\": 0}}", NULL, "0");
	expect_value("{\"$dateFromString\": {\"dateString\": null, \"onError\": 0}}", NULL, "null");
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-01-01\", \"timezone\": null}}", NULL, "null");
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-01-01\", \"format\": null}}", NULL, "null");
	expect_value("{\"$dateFromString\": {\"dateString\": \"garbage\", \"onError\": \"bad\"}}", NULL, "\"bad\"");
	expect_value("{\"$dateFromString\": {\"dateString\": 5, \"onError\": \"bad\"}}", NULL, "\"bad\"");
	expect_value("{\"$dateFromString\": {\"dateString\": \"2024-01-01Z\", \"timezone\": \"Europe/Berlin\", \"onError\": \"bad\"}}", NULL, "\"bad\"");
	expect_value("{\"$dateFromString\": {\"dateString\": \"x\", \"format\": \"%Y\", \"onError\": \"$nope\"}}", NULL, NULL);
	/* errors */
	expect_error("{\"$dateFromString\": {\"dateString\": \"garbage\"}}", NULL, "Error parsing date string 'garbage'");
	expect_error("{\"$dateFromString\": {\"dateString\": \"\"}}", NULL, "an incomplete date/time string has been found");
	expect_error("{\"$dateFromString\": {\"dateString\": \"10:00:00\"}}", NULL,
				 "an incomplete date/time string has been found, with elements missing: \"10:00:00\"");
	expect_error("{\"$dateFromString\": {\"dateString\": \"2023-02-29\"}}", NULL, "The parsed date was invalid");
	expect_error("{\"$dateFromString\": {\"dateString\": \"2024-13-01\"}}", NULL, "The parsed date was invalid");
	expect_error("{\"$dateFromString\": {\"dateString\": \"2024-01-01T24:00:00\"}}", NULL, "The parsed time was invalid");
	expect_error("{\"$dateFromString\": {\"dateString\": \"2024-01-01T10:60\"}}", NULL, "The parsed time was invalid");
	expect_error("{\"$dateFromString\": {\"dateString\": \"2024-01-01T10:00:00 Europe/Berlin\"}}", NULL,
				 "passing a time zone identifier as part of the string is not allowed");
	expect_error("{\"$dateFromString\": {\"dateString\": \"2024-01-01T10:00:00 XYZ\"}}", NULL, "The timezone could not be found in the database");
	expect_error("{\"$dateFromString\": {\"dateString\": \"2024-01-01T10:00:00Zjunk\"}}", NULL, "Error parsing date string");
	expect_error("{\"$dateFromString\": {\"dateString\": \"2024-01-01T10:00:00Z\", \"timezone\": \"Europe/Berlin\"}}", NULL,
				 "you cannot pass in a date/time string with time zone information ('Z') together with a timezone argument");
	expect_error("{\"$dateFromString\": {\"dateString\": \"2024-01-01T10:00:00 UTC\", \"timezone\": \"GMT\"}}", NULL,
				 "time zone information ('UTC')");
	expect_error("{\"$dateFromString\": {\"dateString\": \"2024-01-01T10:00:00+01:00\", \"timezone\": \"+01:00\"}}", NULL,
				 "you cannot pass in a date/time string with GMT offset together with a timezone argument");
	expect_error("{\"$dateFromString\": {\"dateString\": 5}}", NULL,
				 "$dateFromString requires that 'dateString' be a string, found: int with value 5");
	expect_error("{\"$dateFromString\": {\"dateString\": \"2018-06-15\", \"format\": \"%Y/%m/%d\"}}", NULL, "The format separator does not match");
	expect_error("{\"$dateFromString\": {\"dateString\": \"2018-06-15 extra\", \"format\": \"%Y-%m-%d\"}}", NULL, "Trailing data");
	expect_error("{\"$dateFromString\": {\"dateString\": \"10:20\", \"format\": \"%H:%M\"}}", NULL, "an incomplete date/time string");
	expect_error("{\"$dateFromString\": {\"dateString\": \"2018-02-30\", \"format\": \"%Y-%m-%d\"}}", NULL, "The parsed date was invalid");
	expect_error("{\"$dateFromString\": {\"dateString\": \"2017-55\", \"format\": \"%G-%V\"}}", NULL, "The parsed date was invalid");
	expect_error("{\"$dateFromString\": {\"dateString\": \"2017-8\", \"format\": \"%G-%u\"}}", NULL, "incomplete");
	expect_error("{\"$dateFromString\": {\"dateString\": \"20i7\", \"format\": \"%Y\"}}", NULL, "Error parsing date string");
	expect_error("{\"$dateFromString\": {\"dateString\": \"2017-01-01T00:00:00.i\", \"format\": \"%Y-%m-%dT%H:%M:%S.%L\"}}", NULL, "Error parsing date string");
	expect_error("{\"$dateFromString\": {\"dateString\": \"1/1/2017\", \"format\": \"\"}}", NULL, "Trailing data");
	expect_error("{\"$dateFromString\": {\"dateString\": \"2018\", \"format\": \"%w\"}}", NULL,
				 "compile: $dateFromString: invalid format character '%w' in format string");
	expect_error("{\"$dateFromString\": {\"dateString\": \"2018\", \"format\": 1}}", NULL,
				 "compile: $dateFromString requires that 'format' be a string, found: int");
	expect_error("{\"$dateFromString\": {\"dateString\": \"2018\", \"format\": \"$f\", \"onError\": 0}}", "{\"f\": 1}",
				 "runtime: $dateFromString requires that 'format' be a string, found: int with value 1");
	expect_error("{\"$dateFromString\": {\"dateString\": null, \"format\": \"$f\"}}", "{\"f\": \"%U\"}",
				 "Invalid format character '%U' in format string");
	expect_error("{\"$dateFromString\": {\"dateString\": \"2018\", \"timezone\": \"$tz\", \"onError\": 0}}", "{\"tz\": \"Nowhere\"}",
				 "unrecognized time zone identifier: \"Nowhere\"");
	expect_error("{\"$dateFromString\": {\"format\": \"%Y\"}}", NULL, "compile: missing 'dateString' parameter to $dateFromString");
	expect_error("{\"$dateFromString\": {\"dateString\": \"x\", \"bogus\": 1}}", NULL, "compile: unrecognized parameter to $dateFromString: bogus");
	expect_error("{\"$dateFromString\": {\"dateString\": \"x\", \"timezone\": \"Bad/Zone\"}}", NULL, "compile: unrecognized time zone identifier");
}

/* test_round_trips: $dateToString then $dateFromString gives the date back */
static void
test_round_trips(void)
{
	static const char *const zones[] = {
		"UTC", "+05:30", "-0800", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
		"Asia/Kathmandu", "America/St_Johns"
	};
	int64_t		ms;
	size_t		z;
	int			bad = 0,
				n = 0;

	for (z = 0; z < sizeof(zones) / sizeof(zones[0]); z++)
		for (ms = -1072915200000LL; ms < 7258118400000LL; ms += 117263511237LL)
		{
			const char *d = fmt(DATEMS("%lld"), (long long) ms);
			const char *f = "%Y-%m-%dT%H:%M:%S.%L%z";
			const char *e = fmt("{\"$dateFromString\": {\"dateString\": {\"$dateToString\": {\"date\": %s, \"format\": \"%s\", "
								"\"timezone\": \"%s\"}}, \"format\": \"%s\"}}", d, f, zones[z], f);
			char		errbuf[600];
			char	   *got = eval_expr(e, NULL, errbuf, sizeof(errbuf));
			char	   *want = canon(d);

			n++;
			if (got == NULL || strcmp(got, want) != 0)
			{
				if (bad++ < 5)
					diag("round trip of %lld in %s: %s", (long long) ms, zones[z], got ? got : errbuf);
			}
			free(got);
			free(want);
		}
	/* 1936..2200: older local mean times have offsets with seconds, which %z drops (as in MongoDB) */
	ok(bad == 0, "%d $dateToString/$dateFromString round trips with %%z in 8 zones", n);

	/* default formats, UTC: the ISO string and back, also through $toString/$toDate */
	bad = 0;
	n = 0;
	for (ms = -62167219200000LL; ms < 253402300799999LL; ms += 987654321987LL)
	{
		const char *d = fmt(DATEMS("%lld"), (long long) ms);
		const char *e1 = fmt("{\"$dateFromString\": {\"dateString\": {\"$dateToString\": {\"date\": %s}}}}", d);
		const char *e2 = fmt("{\"$toDate\": {\"$toString\": %s}}", d);
		char		errbuf[600];
		char	   *want = canon(d);
		char	   *g1 = eval_expr(e1, NULL, errbuf, sizeof(errbuf));
		char	   *g2 = eval_expr(e2, NULL, errbuf, sizeof(errbuf));

		n++;
		if (g1 == NULL || g2 == NULL || strcmp(g1, want) != 0 || strcmp(g2, want) != 0)
		{
			if (bad++ < 5)
				diag("round trip of %lld: %s / %s", (long long) ms, g1 ? g1 : errbuf, g2 ? g2 : errbuf);
		}
		free(g1);
		free(g2);
		free(want);
	}
	ok(bad == 0, "%d ISO-8601 round trips (years 0 to 9999)", n);

	/* date parts back through $dateFromParts, in zones without ambiguity at these instants */
	bad = 0;
	n = 0;
	for (z = 0; z < sizeof(zones) / sizeof(zones[0]); z++)
		for (ms = 1000000000000LL; ms < 2000000000000LL; ms += 7777777777LL)
		{
			const char *d = fmt(DATEMS("%lld"), (long long) ms);
			const char *e = fmt("{\"$let\": {\"vars\": {\"p\": {\"$dateToParts\": {\"date\": %s, \"timezone\": \"%s\"}}}, "
								"\"in\": {\"$dateFromParts\": {\"year\": \"$$p.year\", \"month\": \"$$p.month\", \"day\": \"$$p.day\", "
								"\"hour\": \"$$p.hour\", \"minute\": \"$$p.minute\", \"second\": \"$$p.second\", "
								"\"millisecond\": \"$$p.millisecond\", \"timezone\": \"%s\"}}}}", d, zones[z], zones[z]);
			const char *e2 = fmt("{\"$let\": {\"vars\": {\"p\": {\"$dateToParts\": {\"date\": %s, \"timezone\": \"%s\", \"iso8601\": true}}}, "
								 "\"in\": {\"$dateFromParts\": {\"isoWeekYear\": \"$$p.isoWeekYear\", \"isoWeek\": \"$$p.isoWeek\", "
								 "\"isoDayOfWeek\": \"$$p.isoDayOfWeek\", \"hour\": \"$$p.hour\", \"minute\": \"$$p.minute\", "
								 "\"second\": \"$$p.second\", \"millisecond\": \"$$p.millisecond\", \"timezone\": \"%s\"}}}}",
								 d, zones[z], zones[z]);
			char		errbuf[600];
			char	   *want = canon(d);
			char	   *g1 = eval_expr(e, NULL, errbuf, sizeof(errbuf));
			char	   *g2 = eval_expr(e2, NULL, errbuf, sizeof(errbuf));

			n++;
			if (g1 == NULL || g2 == NULL || strcmp(g1, want) != 0 || strcmp(g2, want) != 0)
			{
				if (bad++ < 5)
					diag("parts round trip of %lld in %s: %s / %s", (long long) ms, zones[z],
						 g1 ? g1 : errbuf, g2 ? g2 : errbuf);
			}
			free(g1);
			free(g2);
			free(want);
		}
	ok(bad == 0, "%d $dateToParts/$dateFromParts round trips", n);
}

/* test_parts_docs: $dateToParts and $dateFromParts */
static void
test_parts_docs(void)
{
	expect_value("{\"$dateToParts\": {\"date\": " DATE("2024-02-29T13:45:30.123Z") "}}", NULL,
				 "{\"year\": 2024, \"month\": 2, \"day\": 29, \"hour\": 13, \"minute\": 45, \"second\": 30, \"millisecond\": 123}");
	expect_value("{\"$dateToParts\": {\"date\": " DATE("2021-01-03T01:00:00Z") ", \"iso8601\": true, \"timezone\": \"-02:00\"}}", NULL,
				 "{\"isoWeekYear\": 2020, \"isoWeek\": 53, \"isoDayOfWeek\": 6, \"hour\": 23, \"minute\": 0, \"second\": 0, \"millisecond\": 0}");
	expect_value("{\"$dateToParts\": {\"date\": null}}", NULL, "null");
	expect_value("{\"$dateToParts\": {\"date\": " DATE("2024-01-01T00:00:00Z") ", \"iso8601\": null}}", NULL, "null");
	expect_value("{\"$dateToParts\": {\"date\": " DATE("2024-01-01T00:00:00Z") ", \"timezone\": null}}", NULL, "null");
	expect_error("{\"$dateToParts\": {\"date\": " DATE("2024-01-01T00:00:00Z") ", \"iso8601\": 1}}", NULL, "iso8601 must evaluate to a bool, found int");
	expect_error("{\"$dateToParts\": {\"date\": 1}}", NULL, "can't convert from BSON type int to Date");
	expect_error("{\"$dateToParts\": {}}", NULL, "compile: missing 'date' parameter to $dateToParts");

	expect_value("{\"$dateFromParts\": {\"year\": 2024}}", NULL, DATE("2024-01-01T00:00:00Z"));
	expect_value("{\"$dateFromParts\": {\"year\": 2024, \"month\": 2, \"day\": 29, \"hour\": 13, \"minute\": 45, \"second\": 30, \"millisecond\": 123}}",
				 NULL, DATE("2024-02-29T13:45:30.123Z"));
	expect_value("{\"$dateFromParts\": {\"year\": 2017, \"month\": 14, \"day\": 0, \"hour\": -1}}", NULL, DATE("2018-01-30T23:00:00Z"));
	expect_value("{\"$dateFromParts\": {\"year\": 2017, \"second\": 86400, \"millisecond\": -1}}", NULL, DATE("2017-01-01T23:59:59.999Z"));
	expect_value("{\"$dateFromParts\": {\"year\": 2024, \"month\": 3, \"day\": 10, \"hour\": 2, \"minute\": 30, \"timezone\": \"America/New_York\"}}",
				 NULL, DATE("2024-03-10T07:30:00Z"));
	expect_value("{\"$dateFromParts\": {\"year\": 2024, \"month\": 7, \"timezone\": \"+02:00\"}}", NULL, DATE("2024-06-30T22:00:00Z"));
	expect_value("{\"$dateFromParts\": {\"isoWeekYear\": 2020, \"isoWeek\": 53, \"isoDayOfWeek\": 7}}", NULL, DATE("2021-01-03T00:00:00Z"));
	expect_value("{\"$dateFromParts\": {\"isoWeekYear\": 2019}}", NULL, DATE("2018-12-31T00:00:00Z"));
	expect_value("{\"$dateFromParts\": {\"year\": 1.0, \"month\": " LONG("1") "}}", NULL, DATE("0001-01-01T00:00:00Z"));
	expect_value("{\"$dateFromParts\": {\"year\": null}}", NULL, "null");
	expect_value("{\"$dateFromParts\": {\"year\": 2024, \"hour\": \"$nope\"}}", NULL, "null");
	expect_value("{\"$dateFromParts\": {\"year\": 2024, \"timezone\": null}}", NULL, "null");
	expect_error("{\"$dateFromParts\": {\"year\": 0}}", NULL, "'year' must evaluate to an integer in the range 1 to 9999, found 0");
	expect_error("{\"$dateFromParts\": {\"year\": 10000}}", NULL, "found 10000");
	expect_error("{\"$dateFromParts\": {\"isoWeekYear\": 0}}", NULL, "'isoWeekYear' must evaluate to an integer in the range 1 to 9999");
	expect_error("{\"$dateFromParts\": {\"year\": 2024, \"month\": 40000}}", NULL,
				 "'month' must evaluate to a value in the range [-32768, 32767]; value 40000 is not in range");
	expect_error("{\"$dateFromParts\": {\"year\": 2024, \"day\": 1.5}}", NULL, "'day' must evaluate to an integer, found double with value 1.5");
	expect_error("{\"$dateFromParts\": {\"year\": \"2024\"}}", NULL, "'year' must evaluate to an integer, found string");
	expect_error("{\"$dateFromParts\": {\"year\": 2024, \"millisecond\": " LONG("9223372036854775807") "}}", NULL, "out of the range");
	expect_error("{\"$dateFromParts\": {\"month\": 1}}", NULL, "compile: $dateFromParts requires either 'year' or 'isoWeekYear' to be present");
	expect_error("{\"$dateFromParts\": {\"year\": 2020, \"isoWeek\": 1}}", NULL, "compile: $dateFromParts does not allow mixing natural dates with ISO dates");
	expect_error("{\"$dateFromParts\": {\"year\": 2020, \"tz\": 1}}", NULL, "compile: unrecognized parameter to $dateFromParts: tz");
}

/* test_trunc: $dateTrunc with MongoDB's vectors */
static void
test_trunc(void)
{
	static const char *const zones[] = {
		"UTC", "America/New_York", "Australia/Eucla", "Europe/Sofia", "Australia/Sydney", "-10:00",
		"Asia/Kolkata", "Pacific/Chatham", "America/St_Johns"
	};
	size_t		i;

	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
	{
		const char *z = zones[i];

		expect_same(trunc_expr(P(z, 2000, 1, 1, 0, 0, 2, 0), "millisecond", 1020, z, "sun"), P(z, 2000, 1, 1, 0, 0, 1, 20), fmt("ms bin in %s", z));
		expect_same(trunc_expr(P(z, 2000, 1, 1, 0, 0, 2, 39), "millisecond", 1020, z, "sun"), P(z, 2000, 1, 1, 0, 0, 1, 20), fmt("ms bin top in %s", z));
		expect_same(trunc_expr(P(z, 2000, 1, 1, 0, 0, 2, 40), "millisecond", 1020, z, "sun"), P(z, 2000, 1, 1, 0, 0, 2, 40), fmt("ms next bin in %s", z));
		expect_same(trunc_expr(P(z, 2020, 1, 1, 3, 0, 0, 0), "hour", 2, z, "sun"), P(z, 2020, 1, 1, 2, 0, 0, 0), fmt("hour bin in %s", z));
		expect_same(trunc_expr(P(z, 2020, 1, 1, 3, 59, 59, 999), "hour", 2, z, "sun"), P(z, 2020, 1, 1, 2, 0, 0, 0), fmt("hour bin top in %s", z));
		expect_same(trunc_expr(P(z, 1999, 12, 31, 23, 59, 51, 0), "hour", 2, z, "sun"), P(z, 1999, 12, 31, 22, 0, 0, 0), fmt("hour before ref in %s", z));
		expect_same(trunc_expr(P(z, 2000, 1, 8, 0, 0, 2, 0), "day", 2, z, "sun"), P(z, 2000, 1, 7, 0, 0, 0, 0), fmt("day bin in %s", z));
		expect_same(trunc_expr(P(z, 2000, 1, 10, 23, 59, 59, 999), "day", 2, z, "sun"), P(z, 2000, 1, 9, 0, 0, 0, 0), fmt("day bin top in %s", z));
		expect_same(trunc_expr(P(z, 1999, 12, 29, 23, 59, 59, 999), "day", 2, z, "sun"), P(z, 1999, 12, 28, 0, 0, 0, 0), fmt("day before ref in %s", z));
		expect_same(trunc_expr(P(z, 2000, 1, 26, 0, 0, 0, 0), "week", 2, z, "wednesday"), P(z, 2000, 1, 19, 0, 0, 0, 0), fmt("week (wed) in %s", z));
		expect_same(trunc_expr(P(z, 2000, 1, 2, 0, 0, 0, 0), "week", 1, z, "Sat"), P(z, 2000, 1, 1, 0, 0, 0, 0), fmt("week (sat) in %s", z));
		expect_same(trunc_expr(P(z, 2021, 8, 1, 23, 59, 59, 999), "week", 1, z, "MONDAY"), P(z, 2021, 7, 26, 0, 0, 0, 0), fmt("week (mon) in %s", z));
		expect_same(trunc_expr(P(z, 1999, 12, 19, 23, 59, 59, 999), "week", 2, z, "mon"), P(z, 1999, 12, 6, 0, 0, 0, 0), fmt("week before ref in %s", z));
		expect_same(trunc_expr(P(z, 2021, 4, 30, 23, 59, 59, 999), "month", 2, z, "sun"), P(z, 2021, 3, 1, 0, 0, 0, 0), fmt("month bin in %s", z));
		expect_same(trunc_expr(P(z, 1900, 3, 31, 23, 59, 59, 999), "month", 3, z, "sun"), P(z, 1900, 1, 1, 0, 0, 0, 0), fmt("month 1900 in %s", z));
		expect_same(trunc_expr(P(z, 2005, 2, 28, 23, 59, 59, 999), "month", 1, z, "sun"), P(z, 2005, 2, 1, 0, 0, 0, 0), fmt("february in %s", z));
		expect_same(trunc_expr(P(z, 2021, 6, 30, 23, 59, 59, 999), "quarter", 2, z, "sun"), P(z, 2021, 1, 1, 0, 0, 0, 0), fmt("quarter in %s", z));
		expect_same(trunc_expr(P(z, 2021, 7, 1, 0, 0, 0, 0), "quarter", 2, z, "sun"), P(z, 2021, 7, 1, 0, 0, 0, 0), fmt("quarter next in %s", z));
		expect_same(trunc_expr(P(z, 2021, 12, 31, 23, 59, 59, 999), "year", 2, z, "sun"), P(z, 2020, 1, 1, 0, 0, 0, 0), fmt("year bin in %s", z));
		expect_same(trunc_expr(P(z, 1950, 1, 1, 0, 0, 0, 0), "year", 1, z, "sun"), P(z, 1950, 1, 1, 0, 0, 0, 0), fmt("year 1950 in %s", z));
	}
	/* DST days */
	expect_same(trunc_expr(P("America/New_York", 2021, 3, 14, 4, 0, 0, 0), "day", 1, "America/New_York", "sun"),
				P("America/New_York", 2021, 3, 14, 0, 0, 0, 0), "day of DST start in New York");
	expect_same(trunc_expr(P("America/New_York", 2021, 11, 7, 2, 0, 0, 0), "day", 1, "America/New_York", "sun"),
				P("America/New_York", 2021, 11, 7, 0, 0, 0, 0), "day of DST end in New York");
	expect_same(trunc_expr(P("Europe/Sofia", 2021, 3, 28, 4, 0, 0, 0), "day", 1, "Europe/Sofia", "sun"),
				P("Europe/Sofia", 2021, 3, 28, 0, 0, 0, 0), "day of DST start in Sofia");
	expect_same(trunc_expr(P("Europe/Sofia", 2021, 11, 1, 0, 0, 0, 1), "day", 1, "Europe/Sofia", "sun"),
				P("Europe/Sofia", 2021, 11, 1, 0, 0, 0, 0), "day after DST end in Sofia");
	/* documented examples: no timezone (UTC), defaults */
	expect_value("{\"$dateTrunc\": {\"date\": " DATE("2021-03-20T11:30:05Z") ", \"unit\": \"hour\"}}", NULL, DATE("2021-03-20T11:00:00Z"));
	expect_value("{\"$dateTrunc\": {\"date\": " DATE("2021-03-20T11:30:05Z") ", \"unit\": \"hour\", \"binSize\": 2}}", NULL, DATE("2021-03-20T10:00:00Z"));
	expect_value("{\"$dateTrunc\": {\"date\": " DATE("2021-03-20T11:30:05Z") ", \"unit\": \"week\"}}", NULL, DATE("2021-03-14T00:00:00Z"));
	expect_value("{\"$dateTrunc\": {\"date\": " DATE("2024-11-29T10:00:00Z") ", \"unit\": \"week\", \"startOfWeek\": \"Monday\"}}", NULL, DATE("2024-11-25T00:00:00Z"));
	expect_value("{\"$dateTrunc\": {\"date\": " DATE("2021-03-20T11:30:05.123Z") ", \"unit\": \"second\", \"binSize\": 15}}", NULL, DATE("2021-03-20T11:30:00Z"));
	expect_value("{\"$dateTrunc\": {\"date\": " DATE("2021-03-20T11:30:05Z") ", \"unit\": \"minute\", \"binSize\": 7}}", NULL, DATE("2021-03-20T11:26:00Z"));
	expect_value("{\"$dateTrunc\": {\"date\": " DATE("2021-03-20T11:30:05Z") ", \"unit\": \"hour\", \"timezone\": \"Asia/Kolkata\"}}", NULL, DATE("2021-03-20T11:30:00Z"));
	expect_value("{\"$dateTrunc\": {\"date\": " DATE("2021-03-20T11:10:05Z") ", \"unit\": \"hour\", \"timezone\": \"Asia/Kolkata\"}}", NULL, DATE("2021-03-20T10:30:00Z"));
	expect_value("{\"$dateTrunc\": {\"date\": " DATEMS("-1") ", \"unit\": \"day\"}}", NULL, DATE("1969-12-31T00:00:00Z"));
	expect_value("{\"$dateTrunc\": {\"date\": " DATE("2020-02-29T12:00:00Z") ", \"unit\": \"year\", \"binSize\": 4}}", NULL, DATE("2020-01-01T00:00:00Z"));
	expect_value("{\"$dateTrunc\": {\"date\": {\"$timestamp\": {\"t\": 1704070000, \"i\": 1}}, \"unit\": \"hour\"}}", NULL, DATE("2024-01-01T00:00:00Z"));
	expect_value("{\"$dateTrunc\": {\"date\": \"$d\", \"unit\": \"$u\", \"binSize\": \"$b\", \"timezone\": \"$z\", \"startOfWeek\": \"$s\"}}",
				 "{\"d\": {\"$date\": \"2021-03-20T11:30:05Z\"}, \"u\": \"week\", \"b\": 2, \"z\": \"America/Los_Angeles\", \"s\": \"Monday\"}",
				 DATE("2021-03-15T07:00:00Z"));
	/* nulls */
	expect_value("{\"$dateTrunc\": {\"date\": null, \"unit\": \"hour\"}}", NULL, "null");
	expect_value("{\"$dateTrunc\": {\"date\": " DATE("2021-03-20T11:30:05Z") ", \"unit\": null}}", NULL, "null");
	expect_value("{\"$dateTrunc\": {\"date\": " DATE("2021-03-20T11:30:05Z") ", \"unit\": \"hour\", \"binSize\": null}}", NULL, "null");
	expect_value("{\"$dateTrunc\": {\"date\": " DATE("2021-03-20T11:30:05Z") ", \"unit\": \"hour\", \"timezone\": null}}", NULL, "null");
	expect_value("{\"$dateTrunc\": {\"date\": " DATE("2021-03-20T11:30:05Z") ", \"unit\": \"week\", \"startOfWeek\": null}}", NULL, "null");
	expect_value("{\"$dateTrunc\": {\"date\": " DATE("2021-03-20T11:30:05Z") ", \"unit\": \"day\", \"startOfWeek\": \"$nope\"}}", NULL, DATE("2021-03-20T00:00:00Z"));
	/* errors */
	expect_error("{\"$dateTrunc\": {\"date\": \"x\", \"unit\": \"hour\"}}", NULL, "$dateTrunc requires 'date' to be a date, but got string");
	expect_error("{\"$dateTrunc\": {\"date\": " DATE("2021-03-20T11:30:05Z") ", \"unit\": \"fortnight\"}}", NULL,
				 "compile: $dateTrunc parameter 'unit' value parsing failed :: caused by :: unknown time unit value: fortnight");
	expect_error("{\"$dateTrunc\": {\"date\": " DATE("2021-03-20T11:30:05Z") ", \"unit\": \"$u\"}}", "{\"u\": 5}",
				 "runtime: $dateTrunc requires 'unit' to be a string, but got int");
	expect_error("{\"$dateTrunc\": {\"date\": " DATE("2021-03-20T11:30:05Z") ", \"unit\": \"hour\", \"binSize\": 0}}", NULL,
				 "compile: $dateTrunc requires 'binSize' to be greater than 0, but got value 0");
	expect_error("{\"$dateTrunc\": {\"date\": " DATE("2021-03-20T11:30:05Z") ", \"unit\": \"hour\", \"binSize\": 1.5}}", NULL,
				 "$dateTrunc requires 'binSize' to be a 64-bit integer, but got value '1.5' of type double");
	expect_error("{\"$dateTrunc\": {\"date\": " DATE("2021-03-20T11:30:05Z") ", \"unit\": \"hour\", \"binSize\": \"$b\"}}", "{\"b\": -1}",
				 "runtime: $dateTrunc requires 'binSize' to be greater than 0, but got value -1");
	expect_error("{\"$dateTrunc\": {\"date\": " DATE("2021-03-20T11:30:05Z") ", \"unit\": \"week\", \"startOfWeek\": \"someday\"}}", NULL,
				 "$dateTrunc parameter 'startOfWeek' value cannot be recognized as a day of a week: someday");
	expect_error("{\"$dateTrunc\": {\"date\": " DATE("2021-03-20T11:30:05Z") ", \"unit\": \"week\", \"startOfWeek\": \"$s\"}}", "{\"s\": 1}",
				 "$dateTrunc requires 'startOfWeek' to be a string, but got int");
	expect_error("{\"$dateTrunc\": {\"date\": " DATE("2021-03-20T11:30:05Z") ", \"unit\": \"hour\", \"timezone\": \"Nowhere\"}}", NULL,
				 "compile: $dateTrunc parameter 'timezone' value parsing failed :: caused by :: unrecognized time zone identifier: \"Nowhere\"");
	expect_error("{\"$dateTrunc\": {\"date\": " DATE("2021-03-20T11:30:05Z") ", \"unit\": \"month\", \"binSize\": " LONG("100000000001") "}}", NULL,
				 "dateTrunc unsupported binSize value");
	expect_error("{\"$dateTrunc\": {\"date\": " DATEMS("-9223372036854775808") ", \"unit\": \"hour\", \"binSize\": 7}}", NULL, "dateTrunc overflowed");
	expect_error("{\"$dateTrunc\": {\"unit\": \"hour\"}}", NULL, "compile: missing 'date' parameter to $dateTrunc");
	expect_error("{\"$dateTrunc\": {\"date\": 1}}", NULL, "compile: missing 'unit' parameter to $dateTrunc");
	expect_error("{\"$dateTrunc\": {\"date\": 1, \"unit\": \"day\", \"x\": 1}}", NULL, "compile: unrecognized parameter to $dateTrunc: x");
}

/* test_add: $dateAdd and $dateSubtract with MongoDB's vectors */
static void
test_add(void)
{
	const char *ams = "Europe/Amsterdam";
	const char *ny = "America/New_York";
	const char *lh = "Australia/Lord_Howe";

	expect_same(add_expr(U(2017, 2, 28, 0, 0, 0, 0), "year", 3, "UTC"), U(2020, 2, 28, 0, 0, 0, 0), "2017-02-28 + 3 years");
	expect_same(add_expr(U(2016, 2, 29, 0, 0, 0, 0), "year", 2, "UTC"), U(2018, 2, 28, 0, 0, 0, 0), "2016-02-29 + 2 years");
	expect_same(add_expr(U(2016, 2, 29, 0, 0, 0, 0), "year", -4, "UTC"), U(2012, 2, 29, 0, 0, 0, 0), "2016-02-29 - 4 years");
	expect_same(add_expr(U(2020, 1, 31, 0, 0, 0, 0), "quarter", 1, "UTC"), U(2020, 4, 30, 0, 0, 0, 0), "Jan 31 + 1 quarter");
	expect_same(add_expr(U(2020, 1, 31, 0, 0, 0, 0), "quarter", -3, "UTC"), U(2019, 4, 30, 0, 0, 0, 0), "Jan 31 - 3 quarters");
	expect_same(add_expr(U(2020, 8, 31, 10, 5, 0, 5), "month", 6, "UTC"), U(2021, 2, 28, 10, 5, 0, 5), "Aug 31 + 6 months");
	expect_same(add_expr(U(2020, 8, 31, 10, 5, 0, 5), "month", -6, "UTC"), U(2020, 2, 29, 10, 5, 0, 5), "Aug 31 - 6 months");
	expect_same(add_expr(U(2020, 8, 31, 10, 5, 0, 5), "month", -18, "UTC"), U(2019, 2, 28, 10, 5, 0, 5), "Aug 31 - 18 months");
	expect_same(add_expr(U(2021, 3, 1, 0, 0, 0, 0), "month", -1, "UTC"), U(2021, 2, 1, 0, 0, 0, 0), "Mar 1 - 1 month");
	expect_same(add_expr(U(2020, 8, 31, 10, 5, 0, 7), "day", -366, "UTC"), U(2019, 8, 31, 10, 5, 0, 7), "- 366 days");
	expect_same(add_expr(U(2020, 8, 31, 10, 5, 0, 7), "week", 2, "UTC"), U(2020, 9, 14, 10, 5, 0, 7), "+ 2 weeks");
	expect_same(add_expr(U(2020, 8, 31, 10, 5, 0, 9), "hour", 168, "UTC"), U(2020, 9, 7, 10, 5, 0, 9), "+ 168 hours");
	expect_same(add_expr(U(2020, 12, 31, 23, 55, 15, 8), "minute", 10, "UTC"), U(2021, 1, 1, 0, 5, 15, 8), "+ 10 minutes");
	expect_same(add_expr(U(2020, 12, 31, 23, 55, 15, 8), "second", -3600, "UTC"), U(2020, 12, 31, 22, 55, 15, 8), "- 3600 seconds");
	expect_same(add_expr(U(2020, 12, 31, 23, 59, 59, 999), "millisecond", 1, "UTC"), U(2021, 1, 1, 0, 0, 0, 0), "+ 1 ms");
	/* last day of month adjustments in zones */
	expect_same(add_expr(P(ams, 2021, 5, 31, 0, 30, 0, 4), "month", 1, ams), P(ams, 2021, 6, 30, 0, 30, 0, 4), "Amsterdam May 31 + 1 month");
	expect_same(add_expr(P(ams, 2021, 5, 31, 0, 30, 0, 4), "quarter", -5, ams), P(ams, 2020, 2, 29, 0, 30, 0, 4), "Amsterdam - 5 quarters");
	expect_same(add_expr(P(ams, 2021, 2, 1, 0, 0, 0, 0), "month", -2, ams), P(ams, 2020, 12, 1, 0, 0, 0, 0), "Amsterdam Feb 1 - 2 months");
	expect_same(add_expr(U(2020, 12, 31, 3, 0, 0, 0), "month", -1, ny), U(2020, 12, 1, 3, 0, 0, 0), "New York Dec 30 22:00 - 1 month");
	expect_same(add_expr(U(2020, 12, 31, 3, 0, 0, 0), "quarter", -2, ny), U(2020, 7, 1, 2, 0, 0, 0), "New York - 2 quarters crosses DST");
	expect_same(add_expr(P(ny, 2021, 4, 30, 20, 0, 0, 6), "month", -2, ny), P(ny, 2021, 2, 28, 20, 0, 0, 6), "New York Apr 30 - 2 months");
	expect_same(add_expr(P("Australia/Eucla", 2021, 4, 30, 0, 0, 0, 0), "quarter", 1, "Australia/Eucla"),
				P("Australia/Eucla", 2021, 7, 30, 0, 0, 0, 0), "Eucla + 1 quarter");
	/* DST: hours are physical time, days keep the wall clock */
	expect_same(add_expr(U(2020, 10, 25, 0, 50, 5, 0), "minute", 10, ams), U(2020, 10, 25, 1, 0, 5, 0), "Amsterdam + 10 min at DST end");
	expect_same(add_expr(U(2020, 10, 25, 1, 10, 5, 0), "hour", -1, ams), U(2020, 10, 25, 0, 10, 5, 0), "Amsterdam - 1 hour at DST end");
	expect_same(add_expr(P(ams, 2020, 10, 25, 1, 50, 0, 0), "day", 1, ams), P(ams, 2020, 10, 26, 1, 50, 0, 0), "Amsterdam + 1 day over DST end");
	expect_same(add_expr(P(ams, 2020, 10, 25, 2, 30, 0, 0), "day", 1, ams), P(ams, 2020, 10, 26, 2, 30, 0, 0), "Amsterdam + 1 day from the repeated hour");
	expect_same(add_expr(P(ams, 2020, 10, 24, 2, 0, 1, 0), "day", 1, ams),
				fmt("{\"$add\": [%s, 2000]}", P(ams, 2020, 10, 25, 1, 59, 59, 0)), "Amsterdam + 1 day into the repeated hour keeps DST");
	expect_same(add_expr(P(ams, 2020, 10, 24, 3, 0, 1, 0), "day", 1, ams), U(2020, 10, 25, 2, 0, 1, 0), "Amsterdam + 1 day after the repeated hour");
	expect_same(add_expr(P(ams, 2020, 10, 26, 2, 30, 0, 0), "day", -1, ams), P(ams, 2020, 10, 25, 2, 30, 0, 0), "Amsterdam - 1 day into the repeated hour");
	expect_same(add_expr(P(ams, 2021, 3, 27, 2, 20, 0, 0), "day", 1, ams), P(ams, 2021, 3, 28, 3, 20, 0, 0), "Amsterdam + 1 day into the gap");
	expect_same(add_expr(P(ams, 2021, 3, 29, 2, 20, 0, 0), "day", -1, ams), P(ams, 2021, 3, 28, 3, 20, 0, 0), "Amsterdam - 1 day into the gap");
	expect_same(add_expr(P(ams, 2020, 11, 28, 2, 20, 0, 0), "month", 4, ams), P(ams, 2021, 3, 28, 3, 20, 0, 0), "Amsterdam + 4 months into the gap");
	expect_same(add_expr(U(2020, 3, 8, 6, 50, 0, 0), "hour", 1, ny), U(2020, 3, 8, 7, 50, 0, 0), "New York + 1 hour at DST start");
	expect_same(add_expr(U(2020, 3, 8, 7, 20, 0, 0), "minute", -25, ny), U(2020, 3, 8, 6, 55, 0, 0), "New York - 25 min at DST start");
	expect_same(add_expr(P(ny, 2020, 11, 1, 0, 30, 0, 0), "day", 1, ny), P(ny, 2020, 11, 2, 0, 30, 0, 0), "New York + 1 day over DST end");
	expect_same(add_expr(P(ny, 2020, 10, 31, 1, 0, 1, 0), "day", 1, ny),
				fmt("{\"$add\": [%s, 2000]}", P(ny, 2020, 11, 1, 0, 59, 59, 0)), "New York + 1 day into the repeated hour keeps DST");
	expect_same(add_expr(P(ny, 2020, 11, 1, 3, 0, 0, 0), "day", -1, ny), P(ny, 2020, 10, 31, 3, 0, 0, 0), "New York - 1 day over DST end");
	expect_same(add_expr(P(ny, 2021, 3, 13, 2, 20, 0, 0), "day", 1, ny), P(ny, 2021, 3, 14, 3, 20, 0, 0), "New York + 1 day into the gap");
	expect_same(add_expr(P(ny, 2021, 1, 14, 2, 20, 0, 0), "month", 2, ny), P(ny, 2021, 3, 14, 3, 20, 0, 0), "New York + 2 months into the gap");
	expect_same(add_expr(P(lh, 2021, 4, 5, 1, 0, 0, 0), "day", -1, lh), P(lh, 2021, 4, 4, 1, 0, 0, 0), "Lord Howe - 1 day");
	expect_same(add_expr(P(lh, 2020, 10, 3, 2, 15, 0, 0), "day", 1, lh), P(lh, 2020, 10, 4, 2, 45, 0, 0), "Lord Howe + 1 day into the half-hour gap");
	expect_same(add_expr(U(2021, 4, 3, 14, 50, 5, 0), "hour", 1, lh), P(lh, 2021, 4, 4, 2, 20, 5, 0), "Lord Howe + 1 hour over DST end");
	expect_same(add_expr(P("+02:00", 2021, 3, 31, 1, 30, 0, 0), "month", 1, "+02:00"), P("+02:00", 2021, 4, 30, 1, 30, 0, 0), "+02:00 Mar 31 + 1 month");
	/* $dateSubtract */
	expect_value("{\"$dateSubtract\": {\"startDate\": " DATE("2021-03-31T12:00:00Z") ", \"unit\": \"month\", \"amount\": 1}}", NULL, DATE("2021-02-28T12:00:00Z"));
	expect_value("{\"$dateSubtract\": {\"startDate\": " DATE("2021-03-31T12:00:00Z") ", \"unit\": \"day\", \"amount\": -1}}", NULL, DATE("2021-04-01T12:00:00Z"));
	expect_value("{\"$dateSubtract\": {\"startDate\": " DATE("2021-03-31T12:00:00Z") ", \"unit\": \"hour\", \"amount\": 2.0}}", NULL, DATE("2021-03-31T10:00:00Z"));
	expect_value("{\"$dateAdd\": {\"startDate\": {\"$oid\": \"5f1a2b3c4d5e6f7a8b9c0d1e\"}, \"unit\": \"second\", \"amount\": 16}}", NULL, DATE("2020-07-24T00:29:00Z"));
	expect_value("{\"$dateAdd\": {\"startDate\": " DATEMS("-1") ", \"unit\": \"day\", \"amount\": 1}}", NULL, DATE("1970-01-01T23:59:59.999Z"));
	/* nulls */
	expect_value("{\"$dateAdd\": {\"startDate\": null, \"unit\": \"day\", \"amount\": 1}}", NULL, "null");
	expect_value("{\"$dateAdd\": {\"startDate\": " DATEMS("0") ", \"unit\": null, \"amount\": 1}}", NULL, "null");
	expect_value("{\"$dateAdd\": {\"startDate\": " DATEMS("0") ", \"unit\": \"day\", \"amount\": \"$nope\"}}", NULL, "null");
	expect_value("{\"$dateAdd\": {\"startDate\": " DATEMS("0") ", \"unit\": \"day\", \"amount\": 1, \"timezone\": null}}", NULL, "null");
	expect_value("{\"$dateSubtract\": {\"startDate\": \"$nope\", \"unit\": \"day\", \"amount\": 1}}", NULL, "null");
	/* errors */
	expect_error("{\"$dateAdd\": {\"startDate\": \"x\", \"unit\": \"day\", \"amount\": 1}}", NULL, "$dateAdd requires startDate to be convertible to a date");
	expect_error("{\"$dateAdd\": {\"startDate\": " DATEMS("0") ", \"unit\": \"day\", \"amount\": 1.5}}", NULL, "$dateAdd expects integer amount of time units");
	expect_error("{\"$dateSubtract\": {\"startDate\": " DATEMS("0") ", \"unit\": \"day\", \"amount\": \"1\"}}", NULL, "$dateSubtract expects integer amount of time units");
	expect_error("{\"$dateAdd\": {\"startDate\": " DATEMS("0") ", \"unit\": \"eon\", \"amount\": 1}}", NULL,
				 "compile: $dateAdd parameter 'unit' value parsing failed :: caused by :: unknown time unit value: eon");
	expect_error("{\"$dateAdd\": {\"startDate\": " DATEMS("0") ", \"unit\": \"$u\", \"amount\": 1}}", "{\"u\": 1}",
				 "$dateAdd requires 'unit' to be a string, but got int");
	expect_error(add_expr(U(2016, 1, 1, 0, 0, 0, 0), "year", 584942418LL, "UTC"), NULL, "invalid dateAdd 'amount' parameter value: 584942418 year");
	expect_error(add_expr(U(2016, 1, 1, 0, 0, 0, 0), "day", -213503982335LL, "UTC"), NULL, "invalid dateAdd 'amount' parameter value: -213503982335 day");
	expect_error(add_expr(U(9999, 1, 1, 0, 0, 0, 0), "day", 213503982334LL, "UTC"), NULL, "dateAdd overflowed");
	expect_error(add_expr(DATEMS("9223372036854775807"), "millisecond", 1, "UTC"), NULL, "dateAdd overflowed");
	expect_error("{\"$dateSubtract\": {\"startDate\": " DATEMS("0") ", \"unit\": \"millisecond\", \"amount\": " LONG("-9223372036854775808") "}}", NULL,
				 "invalid $dateSubtract 'amount' parameter value: -9223372036854775808");
	expect_error("{\"$dateAdd\": {\"startDate\": 1, \"unit\": \"day\"}}", NULL, "compile: missing 'amount' parameter to $dateAdd");
	expect_error("{\"$dateSubtract\": {\"unit\": \"day\", \"amount\": 1}}", NULL, "compile: missing 'startDate' parameter to $dateSubtract");
	expect_error("{\"$dateAdd\": {\"startDate\": 1, \"unit\": \"day\", \"amount\": 1, \"x\": 0}}", NULL, "compile: unrecognized parameter to $dateAdd: x");
}

/* test_diff: $dateDiff with MongoDB's vectors */
static void
test_diff(void)
{
	const char *ny = "America/New_York";
	const char *lh = "Australia/Lord_Howe";

	expect_diff(P(ny, 2000, 12, 31, 23, 59, 59, 500), P(ny, 2000, 12, 31, 23, 59, 59, 999), "year", ny, "sun", 0);
	expect_diff(P(ny, 2000, 12, 31, 23, 59, 59, 500), P(ny, 2001, 1, 1, 0, 0, 0, 0), "year", ny, "sun", 1);
	expect_diff(P(ny, 2001, 1, 1, 0, 0, 0, 0), P(ny, 2000, 12, 31, 23, 59, 59, 500), "year", ny, "sun", -1);
	expect_diff(P(ny, 1002, 1, 1, 0, 0, 0, 0), P(ny, 2001, 1, 1, 0, 0, 0, 0), "year", ny, "sun", 999);
	expect_diff(P(ny, 2020, 2, 28, 23, 59, 59, 500), P(ny, 2020, 2, 29, 23, 59, 59, 999), "month", ny, "sun", 0);
	expect_diff(P(ny, 2020, 2, 29, 23, 59, 59, 999), P(ny, 2020, 3, 1, 0, 0, 0, 0), "month", ny, "sun", 1);
	expect_diff(P(ny, 2010, 2, 28, 23, 59, 59, 999), P(ny, 2008, 12, 31, 23, 59, 59, 500), "month", ny, "sun", -14);
	expect_diff(P(ny, 520, 3, 1, 0, 0, 0, 0), P(ny, 2020, 3, 1, 0, 0, 0, 0), "month", ny, "sun", 18000);
	expect_diff(P(ny, 2020, 1, 1, 0, 0, 0, 0), P(ny, 2020, 3, 31, 23, 59, 59, 999), "quarter", ny, "sun", 0);
	expect_diff(P(ny, 2020, 1, 1, 0, 0, 0, 0), P(ny, 2020, 4, 1, 0, 0, 0, 0), "quarter", ny, "sun", 1);
	expect_diff(P(ny, 2000, 12, 31, 23, 59, 59, 500), P(ny, 1500, 9, 30, 23, 59, 59, 999), "quarter", ny, "sun", -2001);
	expect_diff(P(ny, 2020, 11, 2, 0, 0, 0, 0), P(ny, 2020, 11, 9, 0, 0, 0, 0), "week", ny, "monday", 1);
	expect_diff(P(ny, 2020, 11, 2, 0, 0, 0, 0), P(ny, 2020, 11, 15, 0, 0, 0, 0), "week", ny, "monday", 1);
	expect_diff(P(ny, 2020, 11, 2, 0, 0, 0, 0), P(ny, 2020, 11, 8, 0, 0, 0, 0), "week", ny, "monday", 0);
	expect_diff(P(ny, 2020, 11, 8, 0, 0, 0, 0), P(ny, 2020, 11, 9, 0, 0, 0, 0), "week", ny, "monday", 1);
	expect_diff(P(ny, 2020, 11, 10, 0, 0, 0, 0), P(ny, 2020, 10, 8, 0, 0, 0, 0), "week", ny, "monday", -5);
	expect_diff(P(ny, 2020, 11, 13, 0, 0, 0, 0), P(ny, 2020, 11, 15, 0, 0, 0, 0), "week", ny, "sunday", 1);
	expect_diff(P(ny, 2020, 11, 13, 0, 0, 0, 0), P(ny, 2020, 11, 14, 0, 0, 0, 0), "week", ny, "sunday", 0);
	expect_diff(P(ny, 2020, 11, 7, 0, 0, 0, 0), P(ny, 2020, 11, 15, 0, 0, 0, 0), "week", ny, "sunday", 2);
	expect_diff(P(ny, 2020, 11, 4, 0, 0, 0, 0), P(ny, 2020, 11, 10, 0, 0, 0, 0), "week", ny, "wednesday", 0);
	expect_diff(P(ny, 2020, 11, 8, 0, 0, 0, 0), P(ny, 2020, 11, 8, 23, 59, 59, 999), "day", ny, "sun", 0);
	expect_diff(P(ny, 2020, 11, 9, 0, 0, 0, 0), P(ny, 2020, 11, 8, 23, 59, 59, 999), "day", ny, "sun", -1);
	expect_diff(P(ny, 1999, 12, 30, 0, 0, 0, 0), P(ny, 2001, 1, 2, 0, 0, 0, 0), "day", ny, "sun", 369);
	expect_diff(P(ny, 1583, 1, 1, 0, 0, 0, 0), P(ny, 1601, 1, 1, 0, 0, 0, 0), "day", ny, "sun", 6575);
	expect_diff(P(ny, 2004, 2, 10, 0, 0, 0, 0), P(ny, 2004, 3, 10, 0, 0, 0, 0), "day", ny, "sun", 29);
	expect_diff(P("Australia/Eucla", 2005, 2, 10, 0, 0, 0, 0), P("Australia/Eucla", 2005, 3, 10, 0, 0, 0, 0), "day", "Australia/Eucla", "sun", 28);
	expect_diff(P(ny, 2020, 11, 8, 1, 0, 0, 0), P(ny, 2020, 11, 8, 1, 59, 59, 999), "hour", ny, "sun", 0);
	expect_diff(P(ny, 2020, 11, 10, 0, 0, 0, 0), P(ny, 2020, 11, 8, 23, 59, 59, 999), "hour", ny, "sun", -25);
	expect_diff(P("Australia/Eucla", 2020, 11, 10, 20, 55, 0, 0), P("Australia/Eucla", 2020, 11, 10, 21, 5, 0, 0), "hour", "Australia/Eucla", "sun", 1);
	expect_diff(U(2020, 11, 1, 5, 0, 0, 0), U(2020, 11, 1, 6, 0, 0, 0), "hour", ny, "sun", 1);
	expect_diff(U(2020, 11, 1, 6, 0, 0, 0), U(2020, 11, 1, 5, 0, 0, 0), "hour", ny, "sun", -1);
	expect_diff(U(2020, 3, 8, 6, 45, 0, 0), U(2020, 3, 8, 7, 0, 0, 0), "hour", ny, "sun", 1);
	expect_diff(P(ny, 1999, 1, 1, 0, 0, 0, 0), P(ny, 2001, 1, 1, 1, 0, 0, 0), "hour", ny, "sun", 17545);
	expect_diff(P(lh, 2021, 4, 4, 1, 0, 0, 0), P(lh, 2021, 4, 4, 2, 0, 0, 0), "hour", lh, "sun", 1);
	expect_diff(P(lh, 2021, 10, 3, 1, 0, 0, 0), P(lh, 2021, 10, 3, 2, 30, 0, 0), "hour", lh, "sun", 1);
	expect_diff(P(ny, 2020, 11, 8, 1, 55, 0, 0), P(ny, 2020, 11, 8, 1, 30, 59, 999), "minute", ny, "sun", -25);
	expect_diff(P(ny, 1585, 11, 8, 1, 55, 0, 0), P(ny, 2030, 11, 8, 1, 30, 59, 999), "minute", ny, "sun", 234047498);
	expect_diff(P(lh, 2021, 4, 4, 1, 0, 0, 0), P(lh, 2021, 4, 4, 2, 0, 0, 0), "minute", lh, "sun", 90);
	expect_diff(P(lh, 2021, 10, 3, 1, 0, 0, 0), P(lh, 2021, 10, 3, 2, 30, 0, 0), "minute", lh, "sun", 60);
	expect_diff(P(ny, 2020, 11, 8, 2, 10, 16, 999), P(ny, 2020, 11, 8, 1, 30, 15, 999), "second", ny, "sun", -2401);
	expect_diff(U(1970, 1, 1, 0, 0, 0, 0), U(2020, 11, 10, 1, 30, 16, 0), "second", ny, "sun", 1604971816);
	expect_diff(U(1969, 12, 31, 23, 59, 59, 999), U(1970, 1, 1, 0, 0, 1, 0), "second", "UTC", "sun", 2);
	expect_diff(P(lh, 2021, 4, 4, 1, 0, 0, 0), P(lh, 2021, 4, 4, 2, 0, 0, 0), "second", lh, "sun", 5400);
	expect_diff(P("Europe/Madrid", 1900, 12, 31, 23, 45, 15, 0), P("Europe/Madrid", 1901, 1, 1, 0, 0, 0, 0), "second", "Europe/Madrid", "sun", 1);
	expect_diff(P(ny, 2020, 11, 8, 1, 30, 16, 500), P(ny, 2020, 11, 8, 1, 30, 15, 0), "millisecond", ny, "sun", -1500);
	expect_diff(U(1970, 1, 1, 0, 0, 0, 0), U(2020, 11, 10, 1, 30, 16, 0), "millisecond", ny, "sun", 1604971816000LL);
	/* without timezone and startOfWeek */
	expect_value("{\"$dateDiff\": {\"startDate\": " DATE("2024-12-31T23:59:59Z") ", \"endDate\": " DATE("2025-01-01T00:00:00Z") ", \"unit\": \"year\"}}",
				 NULL, LONG("1"));
	expect_value("{\"$dateDiff\": {\"startDate\": " DATE("2024-03-09T00:00:00Z") ", \"endDate\": " DATE("2024-03-10T00:00:00Z") ", \"unit\": \"week\"}}",
				 NULL, LONG("1"));
	expect_value("{\"$dateDiff\": {\"startDate\": {\"$timestamp\": {\"t\": 0, \"i\": 1}}, \"endDate\": " DATE("1970-01-02T00:00:00Z") ", \"unit\": \"hour\"}}",
				 NULL, LONG("24"));
	/* nulls */
	expect_value("{\"$dateDiff\": {\"startDate\": null, \"endDate\": 1, \"unit\": \"day\"}}", NULL, "null");
	expect_value("{\"$dateDiff\": {\"startDate\": " DATEMS("0") ", \"endDate\": \"$nope\", \"unit\": \"day\"}}", NULL, "null");
	expect_value("{\"$dateDiff\": {\"startDate\": " DATEMS("0") ", \"endDate\": " DATEMS("0") ", \"unit\": null}}", NULL, "null");
	expect_value("{\"$dateDiff\": {\"startDate\": " DATEMS("0") ", \"endDate\": " DATEMS("0") ", \"unit\": \"day\", \"timezone\": null}}", NULL, "null");
	expect_value("{\"$dateDiff\": {\"startDate\": " DATEMS("0") ", \"endDate\": " DATEMS("0") ", \"unit\": \"week\", \"startOfWeek\": null}}", NULL, "null");
	/* errors */
	expect_error("{\"$dateDiff\": {\"startDate\": 1, \"endDate\": " DATEMS("0") ", \"unit\": \"day\"}}", NULL, "$dateDiff requires 'startDate' to be a date, but got int");
	expect_error("{\"$dateDiff\": {\"startDate\": " DATEMS("0") ", \"endDate\": \"x\", \"unit\": \"day\"}}", NULL, "$dateDiff requires 'endDate' to be a date, but got string");
	expect_error("{\"$dateDiff\": {\"startDate\": " DATEMS("-9223372036854775808") ", \"endDate\": " DATEMS("9223372036854775807") ", \"unit\": \"millisecond\"}}",
				 NULL, "dateDiff overflowed");
	expect_error("{\"$dateDiff\": {\"startDate\": " DATEMS("0") ", \"endDate\": " DATEMS("0") ", \"unit\": \"days\"}}", NULL,
				 "compile: $dateDiff parameter 'unit' value parsing failed :: caused by :: unknown time unit value: days");
	expect_error("{\"$dateDiff\": {\"startDate\": " DATEMS("0") ", \"endDate\": " DATEMS("0") ", \"unit\": \"day\", \"timezone\": \"$z\"}}", "{\"z\": \"No/Where\"}",
				 "$dateDiff parameter 'timezone' value parsing failed :: caused by :: unrecognized time zone identifier: \"No/Where\"");
	expect_error("{\"$dateDiff\": {\"startDate\": " DATEMS("0") ", \"endDate\": " DATEMS("0") ", \"unit\": \"week\", \"startOfWeek\": \"x\"}}", NULL,
				 "compile: $dateDiff parameter 'startOfWeek' value cannot be recognized as a day of a week: x");
	expect_error("{\"$dateDiff\": {\"startDate\": 1, \"unit\": \"day\"}}", NULL, "compile: missing 'endDate' parameter to $dateDiff");
	expect_error("{\"$dateDiff\": {\"startDate\": 1, \"endDate\": 1}}", NULL, "compile: missing 'unit' parameter to $dateDiff");
}

/* test_c_api: the ISO-8601 fast path and zone lookups directly */
static void
test_c_api(void)
{
	static const char *const good[] = {
		"2024-05-01T10:00:03.000+00:00", "2024-05-01T10:00:03Z", "2024-05-01 10:00:03",
		"2024-05-01t10:00:03.1z", "2024-02-29T23:59:59.999999999-23:59", "0000-01-01T00:00:00Z",
		"9999-12-31T23:59:59.999+0000", "1900-03-01T00:00:00-05", "2000-02-29T12:00:00+14:00"
	};
	static const char *const bad[] = {
		"2024-05-01", "2024-05-01T10:00", "2024-05-01T10:00:03.", "2024-05-01T10:00:03.1234567890Z",
		"2024-05-01T24:00:00Z", "2024-05-01T10:60:00Z", "2024-05-01T10:00:60Z", "2023-02-29T00:00:00Z",
		"2024-13-01T00:00:00Z", "2024-00-01T00:00:00Z", "2024-05-00T00:00:00Z", "2024-05-01T10:00:03+1",
		"2024-05-01T10:00:03+01:0", "2024-05-01T10:00:03 Z", "2024-05-01T10:00:03ZZ", "2024/05/01T10:00:03Z",
		"x2024-05-01T10:00:03", "2024-05-01T10:00:03+24:00", "2024-05-01T10:00:03+01:60", ""
	};
	size_t		i;
	asp_timezone tz;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
	{
		int64_t		fast = 0;
		asp_parsed_date pd;
		char		err[256];
		bool		okf = asp_parse_iso8601(good[i], strlen(good[i]), &fast);
		bool		okg = asp_parse_date_string(good[i], strlen(good[i]), &pd, err, sizeof(err));
		int64_t		slow = pd.local_ms - (pd.zone != ASP_PZ_NONE ? (int64_t) pd.offset * 1000 : 0);

		ok(okf && okg && fast == slow, "fast ISO parser accepts '%s' like the general parser (%lld)",
		   good[i], (long long) fast);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		int64_t		v = 42;

		ok(!asp_parse_iso8601(bad[i], strlen(bad[i]), &v) && v == 42, "fast ISO parser declines '%s'", bad[i]);
	}
	ok(asp_tz_lookup("UTC", 3, &tz) && tz.kind == ASP_TZ_UTC, "UTC");
	ok(asp_tz_lookup("+00:00", 6, &tz) && tz.kind == ASP_TZ_UTC, "+00:00 is UTC");
	ok(asp_tz_lookup("-0130", 5, &tz) && tz.kind == ASP_TZ_OFFSET && tz.offset == -5400, "-0130");
	ok(asp_tz_lookup("+14", 3, &tz) && tz.offset == 14 * 3600, "+14");
	ok(!asp_tz_lookup("+5", 2, &tz), "+5 is not an offset");
	ok(!asp_tz_lookup("+05:3", 5, &tz), "+05:3 is not an offset");
	ok(!asp_tz_lookup("+05:30:00", 9, &tz), "+05:30:00 is not an offset");
	ok(asp_tz_lookup("Europe/Berlin", 13, &tz) && tz.kind == ASP_TZ_ZONE, "Europe/Berlin");
	ok(asp_tz_lookup("Europe/Berlin", 13, &tz) && tz.kind == ASP_TZ_ZONE, "Europe/Berlin again (cached)");
	ok(asp_tz_lookup("GMT", 3, &tz) && tz.kind == ASP_TZ_ZONE && asp_tz_offset_at(&tz, 0) == 0, "GMT");
	ok(!asp_tz_lookup("europe/berlin", 13, &tz), "zone names are case-sensitive");
	ok(!asp_tz_lookup("../../etc/passwd", 16, &tz), "no path traversal");
	ok(!asp_tz_lookup("/etc/localtime", 14, &tz), "no absolute paths");
	ok(!asp_tz_lookup("Europe", 6, &tz), "a directory is not a zone");
	ok(!asp_tz_lookup("zone.tab", 8, &tz), "a non-TZif file is not a zone");
	ok(!asp_tz_lookup("", 0, &tz), "empty name");
	ok(asp_tz_lookup("America/Argentina/Buenos_Aires", 30, &tz) && asp_tz_offset_at(&tz, 1700000000) == -3 * 3600,
	   "three-level zone name");
}

/*
 * test_iso_canonical: the word-compare shortcut of asp_parse_iso8601 for
 * YYYY-MM-DDThh:mm:ss[.fff]Z gives exactly what the general fast parser
 * and the general date parser give, over random strings of that shape
 * (digits, out-of-range fields, a wrong byte anywhere) and near shapes.
 */
static void
test_iso_canonical(void)
{
	static const char *const shapes[] = {
		"2024-05-01T10:00:03.123Z", "2024-05-01T10:00:03Z", "2024-05-01T10:00:03.123z",
		"2024-05-01t10:00:03Z", "2024-05-01 10:00:03.123Z", "2024-05-01T10:00:03.12Z",
		"2024-05-01T10:00:03.1234Z", "0000-01-01T00:00:00Z", "0001-02-28T00:00:00.000Z",
		"2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "2024-04-31T00:00:00Z",
		"2024-05-01T10:00:03.123+00:00", "2024-05-01T10:00:03-05:30", "2024-05-01T10:00:03.123+05:45",
		"2024-05-01T10:00:03.123+0530", "2024-05-01T10:00:03+05", "2024-05-01T10:00:03.123+00:00x"
	};
	static const char alphabet[] = "0123456789-:TZ.z /+a\x80";
	uint64_t	r = 0x9e3779b97f4a7c15ULL;
	asp_iso_cache cache = {0};
	char		prev[16] = {0};
	int			cached_same = 0,
				same = 0,
				accepted = 0,
				n = 0,
				i;

	for (i = 0; i < 200000; i++)
	{
		char		buf[32];
		size_t		len;
		int64_t		a = 42,
					b = 42,
					c = 42;
		bool		oka,
					okb,
					okc;
		int			k;

		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		snprintf(buf, sizeof(buf), "%s", shapes[r % (sizeof(shapes) / sizeof(shapes[0]))]);
		len = strlen(buf);
		/* random digits in the digit positions, then maybe one random byte anywhere */
		for (k = 0; k < (int) len; k++)
			if (buf[k] >= '0' && buf[k] <= '9')
			{
				r ^= r << 13;
				r ^= r >> 7;
				r ^= r << 17;
				/* mostly plausible values, so that many are valid dates */
				buf[k] = (char) ('0' + (r >> 20) % (k == 5 ? 2 : k == 8 ? 4 : k == 11 ? 3 :
												   (k == 14 || k == 17 || k == 27) ? 6 :
												   (k == 24 || k == 20) ? 3 : 10));
			}
		/* often the previous string's first 16 bytes (the cache's key), valid or not */
		if ((r >> 50) % 2 == 0 && i > 0)
			memcpy(buf, prev, 16);
		if ((r >> 40) % 4 == 0)
			buf[(r >> 8) % len] = alphabet[(r >> 30) % (sizeof(alphabet) - 1)];
		memcpy(prev, buf, 16);
		oka = asp_parse_iso8601(buf, len, &a);
		okb = asp_parse_iso8601_general(buf, len, &b);
		okc = asp_parse_iso8601_cached(buf, len, &cache, &c);
		n++;
		if (okc == oka && c == a)
			cached_same++;
		else if (n - cached_same <= 5)
			diag("cached parse differs on '%s': %d %lld / %d %lld", buf, okc, (long long) c, oka, (long long) a);
		if (oka == okb && a == b)
			same++;
		else if (n - same <= 5)
			diag("differs on '%s': %d %lld / %d %lld", buf, oka, (long long) a, okb, (long long) b);
		if (oka)
		{
			asp_parsed_date pd;
			char		err[256];
			int64_t		slow;

			accepted++;
			if (!asp_parse_date_string(buf, len, &pd, err, sizeof(err)))
				slow = INT64_MIN;
			else
				slow = pd.local_ms - (pd.zone != ASP_PZ_NONE ? (int64_t) pd.offset * 1000 : 0);
			if (slow != a)
			{
				same--;
				if (n - same <= 5)
					diag("general parser differs on '%s': %lld / %lld", buf, (long long) a, (long long) slow);
			}
		}
	}
	ok(same == n, "ISO shortcut: %d of %d random canonical-shaped strings parse as the general parsers do", same, n);
	ok(cached_same == n, "ISO shortcut with the minute cache: %d of %d parse as without it", cached_same, n);
	ok(accepted > n / 5 && accepted < n, "ISO shortcut: the sample has valid (%d) and invalid dates", accepted);
}

int
main(void)
{
	test_parts_utc();
	test_parts_tz();
	test_calendar();
	test_date_to_string();
	test_date_from_string();
	test_round_trips();
	test_parts_docs();
	test_trunc();
	test_add();
	test_diff();
	test_c_api();
	test_iso_canonical();
	asp_tz_free_cache();
	return tap_done();
}
