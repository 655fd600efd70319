/*-------------------------------------------------------------------------
 *
 * datetime_parse.c
 *	  Date string parsing for $dateFromString and $convert: free-form
 *	  strings (no format) and strings driven by a format ("%Y-%m-%d").
 *
 * MongoDB parses free-form strings with timelib's strtotime, which accepts
 * a very large grammar (relative dates such as "next monday" included).
 * Stream processing needs the absolute forms only, and this parser accepts:
 *	- ISO 8601: 2024-05-01, 2024-05, 20240501, 2024-05-01T10:00[:03[.123]],
 *	  with 'T', 't' or spaces between date and time;
 *	- 2024/05/01, 05/01/2024 (US month/day/year), 01.05.2024, 01-05-2024;
 *	- textual months: "May 1, 2024", "1 May 2024", "Wed, 01 May 2024
 *	  10:00:03 +0000" (RFC 2822), with an optional day name;
 *	- a time of hh:mm[:ss[.fraction]] with an optional am/pm;
 *	- a zone: Z, UTC, GMT, UT, common abbreviations (EST, CEST, ...),
 *	  +hh, +hhmm, +hh:mm (or '-'), GMT+hh:mm.
 * As in MongoDB, invalid dates ("2024-02-30", "25:00") are errors, a
 * string without a date is "incomplete", and a time zone identifier in the
 * string ("... Europe/Berlin") is refused.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "datetime.h"

typedef struct dp_state
{
	const char *s;
	size_t		len;
	size_t		pos;
	int64_t		year;
	int			month,
				day;
	bool		have_date;
	int			hour,
				minute,
				second,
				micros;
	bool		have_time;
	asp_parsed_date *out;
	bool		have_zone;
	char	   *errbuf;
	size_t		errlen;
} dp_state;

/* zone abbreviations timelib knows, with their offsets (seconds east) */
static const struct
{
	const char *name;
	int32_t		offset;
}			zone_abbrs[] = {
	{"z", 0}, {"utc", 0}, {"gmt", 0}, {"ut", 0}, {"wet", 0}, {"west", 3600},
	{"bst", 3600}, {"cet", 3600}, {"cest", 7200}, {"met", 3600}, {"mest", 7200},
	{"eet", 7200}, {"eest", 10800}, {"msk", 10800}, {"jst", 32400}, {"kst", 32400},
	{"hkt", 28800}, {"awst", 28800}, {"acst", 34200}, {"acdt", 37800},
	{"aest", 36000}, {"aedt", 39600}, {"nzst", 43200}, {"nzdt", 46800},
	{"est", -18000}, {"edt", -14400}, {"cst", -21600}, {"cdt", -18000},
	{"mst", -25200}, {"mdt", -21600}, {"pst", -28800}, {"pdt", -25200},
	{"akst", -32400}, {"akdt", -28800}, {"hst", -36000}, {"ast", -14400},
	{"adt", -10800}, {"nst", -12600}, {"ndt", -9000}, {NULL, 0}
};

static const char *const day_names[7] = {
	"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"
};

/* dp_error: "Error parsing date string '<s>'; <pos>: <what> '<char>'" */
static bool
dp_error(dp_state *st, size_t pos, const char *what)
{
	if (pos < st->len)
		snprintf(st->errbuf, st->errlen, "Error parsing date string '%.*s'; %zu: %s '%c'",
				 (int) st->len, st->s, pos, what, st->s[pos]);
	else
		snprintf(st->errbuf, st->errlen, "Error parsing date string '%.*s'; %zu: %s",
				 (int) st->len, st->s, pos, what);
	return false;
}

/* is_digit: ASCII digit */
static inline bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* is_alpha: ASCII letter */
static inline bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* lower: ASCII lower case */
static inline char
lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* word_eq: case-insensitive comparison of s[0..n) with a lower-case word */
static bool
word_eq(const char *s, size_t n, const char *word)
{
	size_t		i;

	if (strlen(word) != n)
		return false;
	for (i = 0; i < n; i++)
		if (lower(s[i]) != word[i])
			return false;
	return true;
}

/* month_from_word: 1..12 for a full or 3-letter month name ("sept" too) */
static int
month_from_word(const char *s, size_t n)
{
	int			m;
	char		full[16];

	for (m = 0; m < 12; m++)
	{
		size_t		k;
		size_t		fl = strlen(asp_month_names[m]);

		for (k = 0; k < fl; k++)
			full[k] = lower(asp_month_names[m][k]);
		full[fl] = '\0';
		if (word_eq(s, n, full))
			return m + 1;
		if (n == 3 && strncmp(full, (char[4]) {lower(s[0]), lower(s[1]), lower(s[2]), 0}, 3) == 0)
			return m + 1;
	}
	if (word_eq(s, n, "sept"))
		return 9;
	return 0;
}

/* day_name_word: a full or 3-letter day name */
static bool
day_name_word(const char *s, size_t n)
{
	int			d;

	for (d = 0; d < 7; d++)
		if (word_eq(s, n, day_names[d]) ||
			(n == 3 && strncmp(day_names[d], (char[4]) {lower(s[0]), lower(s[1]), lower(s[2]), 0}, 3) == 0))
			return true;
	return false;
}

/* read_num: read up to max digits at st->pos; returns digit count (0: none) */
static int
read_num(dp_state *st, int max, int64_t *val)
{
	int			n = 0;
	int64_t		v = 0;

	while (st->pos < st->len && n < max && is_digit(st->s[st->pos]))
	{
		v = v * 10 + (st->s[st->pos++] - '0');
		n++;
	}
	*val = v;
	return n;
}

/* digit_run: number of digits starting at from */
static size_t
digit_run(const dp_state *st, size_t from)
{
	size_t		p = from;

	while (p < st->len && is_digit(st->s[p]))
		p++;
	return p - from;
}

/* parse_time: hh:mm[:ss[.frac]] at pos */
static bool
parse_time(dp_state *st)
{
	int64_t		v;

	if (read_num(st, 2, &v) == 0)
		return dp_error(st, st->pos, "Unexpected character");
	st->hour = (int) v;
	if (st->pos >= st->len || st->s[st->pos] != ':')
		return dp_error(st, st->pos, "Unexpected character");
	st->pos++;
	if (read_num(st, 2, &v) != 2)
		return dp_error(st, st->pos, "Unexpected character");
	st->minute = (int) v;
	st->second = 0;
	st->micros = 0;
	if (st->pos < st->len && st->s[st->pos] == ':')
	{
		st->pos++;
		if (read_num(st, 2, &v) != 2)
			return dp_error(st, st->pos, "Unexpected character");
		st->second = (int) v;
		if (st->pos + 1 < st->len && (st->s[st->pos] == '.' || st->s[st->pos] == ',') &&
			is_digit(st->s[st->pos + 1]))
		{
			int			n = 0;

			st->pos++;
			while (st->pos < st->len && is_digit(st->s[st->pos]))
			{
				if (n < 6)
					st->micros = st->micros * 10 + (st->s[st->pos] - '0');
				n++;
				st->pos++;
			}
			for (; n < 6; n++)
				st->micros *= 10;
		}
	}
	st->have_time = true;
	return true;
}

/* parse_offset: +hh, +h, +hhmm, +hh:mm at pos (the sign included) */
static bool
parse_offset(dp_state *st)
{
	int			sign = st->s[st->pos] == '-' ? -1 : 1;
	size_t		start = st->pos;
	int64_t		h,
				m = 0;
	int			n;

	st->pos++;
	n = (int) digit_run(st, st->pos);
	if (n == 1 || n == 2)
	{
		read_num(st, 2, &h);
		if (st->pos < st->len && st->s[st->pos] == ':')
		{
			st->pos++;
			if (read_num(st, 2, &m) != 2)
				return dp_error(st, st->pos, "Unexpected character");
		}
	}
	else if (n == 3 || n == 4)
	{
		int64_t		v;

		read_num(st, 4, &v);
		h = v / 100;
		m = v % 100;
	}
	else
		return dp_error(st, start, "Unexpected character");
	st->out->zone = ASP_PZ_OFFSET;
	st->out->offset = (int32_t) (sign * (h * 3600 + m * 60));
	st->have_zone = true;
	return true;
}

/* parse_text_year: "[,] YYYY" after a day/month */
static bool
parse_text_year(dp_state *st)
{
	int64_t		v;

	while (st->pos < st->len && (st->s[st->pos] == ',' || st->s[st->pos] == ' '))
		st->pos++;
	if (digit_run(st, st->pos) != 4)
		return dp_error(st, st->pos, "Unexpected character");
	read_num(st, 4, &v);
	st->year = v;
	st->have_date = true;
	return true;
}

/* skip_ordinal: skip an ordinal suffix: st, nd, rd, th */
static void
skip_ordinal(dp_state *st)
{
	if (st->pos + 1 < st->len &&
		(word_eq(st->s + st->pos, 2, "st") || word_eq(st->s + st->pos, 2, "nd") ||
		 word_eq(st->s + st->pos, 2, "rd") || word_eq(st->s + st->pos, 2, "th")) &&
		(st->pos + 2 >= st->len || !is_alpha(st->s[st->pos + 2])))
		st->pos += 2;
}

/* parse_numeric_date: a date starting with digits */
static bool
parse_numeric_date(dp_state *st)
{
	size_t		start = st->pos;
	size_t		n = digit_run(st, st->pos);
	char		next = start + n < st->len ? st->s[start + n] : '\0';
	int64_t		a,
				b,
				c;

	if (n == 4 && (next == '-' || next == '/'))
	{
		/* YYYY-MM[-DD], YYYY/MM/DD */
		read_num(st, 4, &a);
		st->pos++;
		if (read_num(st, 2, &b) == 0)
			return dp_error(st, st->pos, "Unexpected character");
		c = 1;
		if (st->pos < st->len && st->s[st->pos] == next)
		{
			st->pos++;
			if (read_num(st, 2, &c) == 0)
				return dp_error(st, st->pos, "Unexpected character");
		}
		else if (next == '/')
			return dp_error(st, st->pos, "Unexpected character");
		st->year = a;
		st->month = (int) b;
		st->day = (int) c;
	}
	else if (n == 8)
	{
		/* YYYYMMDD */
		read_num(st, 4, &a);
		read_num(st, 2, &b);
		read_num(st, 2, &c);
		st->year = a;
		st->month = (int) b;
		st->day = (int) c;
	}
	else if (n <= 2 && next == '/')
	{
		/* MM/DD/YYYY */
		read_num(st, 2, &a);
		st->pos++;
		if (read_num(st, 2, &b) == 0 || st->pos >= st->len || st->s[st->pos] != '/')
			return dp_error(st, st->pos, "Unexpected character");
		st->pos++;
		if (digit_run(st, st->pos) != 4)
			return dp_error(st, st->pos, "Unexpected character");
		read_num(st, 4, &c);
		st->year = c;
		st->month = (int) a;
		st->day = (int) b;
	}
	else if (n <= 2 && (next == '.' || next == '-'))
	{
		/* DD.MM.YYYY, DD-MM-YYYY */
		read_num(st, 2, &a);
		st->pos++;
		if (read_num(st, 2, &b) == 0 || st->pos >= st->len ||
			(st->s[st->pos] != '.' && st->s[st->pos] != '-'))
			return dp_error(st, st->pos, "Unexpected character");
		st->pos++;
		if (digit_run(st, st->pos) != 4)
			return dp_error(st, st->pos, "Unexpected character");
		read_num(st, 4, &c);
		st->year = c;
		st->month = (int) b;
		st->day = (int) a;
	}
	else if (n <= 2)
	{
		/* D[st] Month[,] YYYY */
		size_t		w;

		read_num(st, 2, &a);
		skip_ordinal(st);
		while (st->pos < st->len && (st->s[st->pos] == ' ' || st->s[st->pos] == '-'))
			st->pos++;
		w = st->pos;
		while (w < st->len && is_alpha(st->s[w]))
			w++;
		b = month_from_word(st->s + st->pos, w - st->pos);
		if (b == 0)
			return dp_error(st, st->pos, "Unexpected character");
		st->pos = w;
		if (st->pos < st->len && st->s[st->pos] == '-')
			st->pos++;
		st->month = (int) b;
		st->day = (int) a;
		return parse_text_year(st);
	}
	else
		return dp_error(st, start, "Unexpected character");
	st->have_date = true;
	return true;
}

/* parse_word: a run of letters at pos */
static bool
parse_word(dp_state *st)
{
	size_t		start = st->pos;
	size_t		w = st->pos;
	size_t		n;
	int			m;
	int			i;

	while (w < st->len && is_alpha(st->s[w]))
		w++;
	n = w - start;
	if (w < st->len && st->s[w] == '/')
		return dp_error(st, start, "passing a time zone identifier as part of the string is not allowed");
	/* 'T' between date and time */
	if (n == 1 && lower(st->s[start]) == 't' && w < st->len && is_digit(st->s[w]) &&
		st->have_date && !st->have_time)
	{
		st->pos = w;
		return parse_time(st);
	}
	if (!st->have_date && (m = month_from_word(st->s + start, n)) > 0)
	{
		int64_t		d;

		st->pos = w;
		if (st->pos < st->len && st->s[st->pos] == '.')
			st->pos++;
		while (st->pos < st->len && (st->s[st->pos] == ' ' || st->s[st->pos] == '-'))
			st->pos++;
		if (read_num(st, 2, &d) == 0)
			return dp_error(st, st->pos, "Unexpected character");
		skip_ordinal(st);
		st->month = m;
		st->day = (int) d;
		if (st->pos < st->len && st->s[st->pos] == '-')
			st->pos++;
		return parse_text_year(st);
	}
	if (day_name_word(st->s + start, n))
	{
		st->pos = w;
		if (st->pos < st->len && st->s[st->pos] == ',')
			st->pos++;
		return true;
	}
	if (st->have_time && (word_eq(st->s + start, n, "am") || word_eq(st->s + start, n, "pm")))
	{
		if (st->hour < 1 || st->hour > 12)
			return dp_error(st, start, "Unexpected character");
		if (st->hour == 12)
			st->hour = 0;
		if (lower(st->s[start]) == 'p')
			st->hour += 12;
		st->pos = w;
		return true;
	}
	if (!st->have_zone)
	{
		for (i = 0; zone_abbrs[i].name; i++)
			if (word_eq(st->s + start, n, zone_abbrs[i].name))
				break;
		if (zone_abbrs[i].name != NULL)
		{
			size_t		k;

			st->pos = w;
			/* GMT+01:00, UTC-5: an offset zone */
			if (zone_abbrs[i].offset == 0 && st->pos < st->len &&
				(st->s[st->pos] == '+' || st->s[st->pos] == '-'))
				return parse_offset(st);
			st->out->zone = ASP_PZ_ABBR;
			st->out->offset = zone_abbrs[i].offset;
			for (k = 0; k < n && k < sizeof(st->out->abbr) - 1; k++)
			{
				char		ch = st->s[start + k];

				st->out->abbr[k] = (ch >= 'a' && ch <= 'z') ? ch - 'a' + 'A' : ch;
			}
			st->out->abbr[k] = '\0';
			st->have_zone = true;
			return true;
		}
	}
	return dp_error(st, start, "The timezone could not be found in the database");
}

/* dp_finish: validate and compute the local milliseconds */
static bool
dp_finish(dp_state *st)
{
	int64_t		days;

	if (!st->have_date)
	{
		snprintf(st->errbuf, st->errlen,
				 "an incomplete date/time string has been found, with elements missing: \"%.*s\"",
				 (int) st->len, st->s);
		return false;
	}
	if (!st->have_time)
	{
		st->hour = st->minute = st->second = 0;
		st->micros = 0;
	}
	if (st->month < 1 || st->month > 12 || st->day < 1 ||
		st->day > asp_days_in_month(st->year, st->month))
		return dp_error(st, st->len, "The parsed date was invalid");
	if (st->hour > 23 || st->minute > 59 || st->second > 59)
		return dp_error(st, st->len, "The parsed time was invalid");
	days = asp_days_from_civil(st->year, st->month, st->day);
	st->out->local_ms = days * ASP_MS_PER_DAY +
		((int64_t) st->hour * 3600 + st->minute * 60 + st->second) * 1000 + st->micros / 1000;
	return true;
}

/* dp_init: a parser state over s */
static void
dp_init(dp_state *st, const char *s, size_t len, asp_parsed_date *out, char *errbuf, size_t errlen)
{
	memset(st, 0, sizeof(*st));
	memset(out, 0, sizeof(*out));
	st->s = s;
	st->len = len;
	st->out = out;
	st->errbuf = errbuf;
	st->errlen = errlen;
}

/* asp_parse_date_string: free-form date parsing */
bool
asp_parse_date_string(const char *s, size_t len, asp_parsed_date *out,
					  char *errbuf, size_t errlen)
{
	dp_state	st;

	dp_init(&st, s, len, out, errbuf, errlen);
	while (st.pos < len)
	{
		char		c = s[st.pos];

		if (c == ' ' || c == '\t' || c == ',')
		{
			st.pos++;
			continue;
		}
		if (is_digit(c))
		{
			size_t		n = digit_run(&st, st.pos);
			char		next = st.pos + n < len ? s[st.pos + n] : '\0';

			if (n <= 2 && next == ':' && !st.have_time)
			{
				if (!parse_time(&st))
					return false;
			}
			else if (!st.have_date)
			{
				if (!parse_numeric_date(&st))
					return false;
			}
			else
				return dp_error(&st, st.pos, "Unexpected character");
			continue;
		}
		if (is_alpha(c))
		{
			if (!parse_word(&st))
				return false;
			continue;
		}
		if ((c == '+' || c == '-') && !st.have_zone && (st.have_time || st.have_date))
		{
			if (!parse_offset(&st))
				return false;
			continue;
		}
		return dp_error(&st, st.pos, "Unexpected character");
	}
	return dp_finish(&st);
}

/* ---------- format-driven parsing ---------- */

/* fmt_num: up to max digits, at least one */
static bool
fmt_num(dp_state *st, int max, int64_t *v, const char *what)
{
	if (st->pos >= st->len || !is_digit(st->s[st->pos]))
		return dp_error(st, st->pos, st->pos >= st->len ? what : "Unexpected data found.");
	read_num(st, max, v);
	return true;
}

/* asp_parse_date_format: parse s with a $dateFromString format */
bool
asp_parse_date_format(const char *s, size_t len, const char *fmt, size_t flen,
					  asp_parsed_date *out, char *errbuf, size_t errlen)
{
	dp_state	st;
	size_t		i;
	int64_t		v;
	bool		have_h = false,
				have_i = false,
				have_s = false,
				have_ms = false;
	bool		have_y = false,
				have_m = false,
				have_d = false;
	int64_t		iso_year = 0,
				iso_week = 0,
				iso_dow = 1;
	bool		have_iso_year = false,
				have_iso_week = false;
	int64_t		doy = 0;
	bool		have_doy = false;

	dp_init(&st, s, len, out, errbuf, errlen);
	st.micros = 0;
	for (i = 0; i < flen; i++)
	{
		if (fmt[i] != '%')
		{
			if (st.pos >= len || s[st.pos] != fmt[i])
				return dp_error(&st, st.pos, "The format separator does not match");
			st.pos++;
			continue;
		}
		i++;
		switch (fmt[i])
		{
			case '%':
				if (st.pos >= len || s[st.pos] != '%')
					return dp_error(&st, st.pos, "The escaped character could not be found");
				st.pos++;
				break;
			case 'Y':
				if (!fmt_num(&st, 4, &v, "A four digit year could not be found"))
					return false;
				st.year = v;
				have_y = true;
				break;
			case 'm':
				if (!fmt_num(&st, 2, &v, "A two digit month could not be found"))
					return false;
				st.month = (int) v;
				have_m = true;
				break;
			case 'd':
				if (!fmt_num(&st, 2, &v, "A two digit day could not be found"))
					return false;
				st.day = (int) v;
				have_d = true;
				break;
			case 'H':
				if (!fmt_num(&st, 2, &v, "A two digit hour could not be found"))
					return false;
				st.hour = (int) v;
				have_h = true;
				break;
			case 'M':
				if (!fmt_num(&st, 2, &v, "A two digit minute could not be found"))
					return false;
				st.minute = (int) v;
				have_i = true;
				break;
			case 'S':
				if (!fmt_num(&st, 2, &v, "A two digit second could not be found"))
					return false;
				st.second = (int) v;
				have_s = true;
				break;
			case 'L':
				{
					size_t		start = st.pos;
					int			n;

					if (!fmt_num(&st, 3, &v, "A three digit millisecond could not be found"))
						return false;
					for (n = (int) (st.pos - start); n < 3; n++)
						v *= 10;
					st.micros = (int) v * 1000;
					have_ms = true;
					break;
				}
			case 'j':
				if (!fmt_num(&st, 3, &doy, "A three digit day-of-year could not be found"))
					return false;
				have_doy = true;
				break;
			case 'G':
				if (!fmt_num(&st, 4, &iso_year, "A four digit ISO year could not be found"))
					return false;
				have_iso_year = true;
				break;
			case 'V':
				if (!fmt_num(&st, 2, &iso_week, "A two digit ISO week could not be found"))
					return false;
				have_iso_week = true;
				break;
			case 'u':
				if (!fmt_num(&st, 1, &iso_dow, "A single digit day of week could not be found"))
					return false;
				break;
			case 'b':
			case 'B':
				{
					size_t		w = st.pos;
					int			m;

					while (w < len && is_alpha(s[w]))
						w++;
					m = month_from_word(s + st.pos, w - st.pos);
					if (m == 0 || (fmt[i] == 'b' && w - st.pos != 3))
						return dp_error(&st, st.pos, "A textual month could not be found");
					st.pos = w;
					st.month = m;
					have_m = true;
					break;
				}
			case 'z':
				if (st.pos < len && (s[st.pos] == '+' || s[st.pos] == '-'))
				{
					if (!parse_offset(&st))
						return false;
				}
				else if (st.pos < len && is_alpha(s[st.pos]))
				{
					if (!parse_word(&st) || !st.have_zone)
						return dp_error(&st, st.pos, "The timezone could not be found in the database");
				}
				else
					return dp_error(&st, st.pos, "The timezone could not be found in the database");
				break;
			case 'Z':
				{
					int			sign = 1;

					if (st.pos < len && (s[st.pos] == '+' || s[st.pos] == '-'))
					{
						sign = s[st.pos] == '-' ? -1 : 1;
						st.pos++;
					}
					if (!fmt_num(&st, 4, &v, "A timezone offset in minutes could not be found"))
						return false;
					out->zone = ASP_PZ_OFFSET;
					out->offset = (int32_t) (sign * v * 60);
					st.have_zone = true;
					break;
				}
			default:
				return dp_error(&st, st.pos, "Unknown format specifier");
		}
	}
	if (st.pos < len)
		return dp_error(&st, st.pos, "Trailing data");

	if (have_iso_year || have_iso_week)
	{
		int64_t		days;

		if (!(have_iso_year && have_iso_week) || have_y || have_m || have_d)
		{
			snprintf(errbuf, errlen,
					 "an incomplete date/time string has been found, with elements missing: \"%.*s\"",
					 (int) len, s);
			return false;
		}
		if (iso_week < 1 || iso_week > 53 || iso_dow < 1 || iso_dow > 7)
			return dp_error(&st, len, "The parsed date was invalid");
		days = asp_days_from_iso(iso_year, iso_week, iso_dow);
		asp_civil_from_days(days, &st.year, &st.month, &st.day);
		have_y = have_m = have_d = true;
	}
	else if (have_doy)
	{
		if (!have_y || doy < 1 || doy > (asp_is_leap_year(st.year) ? 366 : 365))
		{
			if (!have_y)
			{
				snprintf(errbuf, errlen,
						 "an incomplete date/time string has been found, with elements missing: \"%.*s\"",
						 (int) len, s);
				return false;
			}
			return dp_error(&st, len, "The parsed date was invalid");
		}
		asp_civil_from_days(asp_days_from_civil(st.year, 1, 1) + doy - 1,
							&st.year, &st.month, &st.day);
		have_m = have_d = true;
	}
	if (!(have_y && have_m && have_d))
	{
		snprintf(errbuf, errlen,
				 "an incomplete date/time string has been found, with elements missing: \"%.*s\"",
				 (int) len, s);
		return false;
	}
	st.have_date = true;
	/* any time part given: the others default to 0 (timelib) */
	st.have_time = have_h || have_i || have_s || have_ms;
	if (!have_h)
		st.hour = 0;
	if (!have_i)
		st.minute = 0;
	if (!have_s)
		st.second = 0;
	if (st.have_time)
	{
		if (st.month < 1 || st.month > 12 || st.day < 1 ||
			st.day > asp_days_in_month(st.year, st.month))
			return dp_error(&st, len, "The parsed date was invalid");
		if (st.hour > 23 || st.minute > 59 || st.second > 59)
			return dp_error(&st, len, "The parsed time was invalid");
		st.out->local_ms = asp_days_from_civil(st.year, st.month, st.day) * ASP_MS_PER_DAY +
			((int64_t) st.hour * 3600 + st.minute * 60 + st.second) * 1000 + st.micros / 1000;
		return true;
	}
	return dp_finish(&st);
}
